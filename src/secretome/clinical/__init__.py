"""Clinical outcomes linked to the lots patients received (import, scoring, diagnosis, analysis, privacy).

Library functions only: the ``outcomes`` job (:mod:`secretome.jobs.outcomes`), the CLI and the registry's
app call these. Rules (scoring, criteria, identifier patterns) are data in ``clinical/data/*.toml``.
"""
