"""Clinical outcomes linked to the lots patients received (import, scoring, diagnosis, analysis, privacy).

Library functions only: the ``outcomes`` job (:mod:`secretome.jobs.outcomes`), the CLI and the registry's
app call these. Rules (scoring, criteria, identifier patterns) are data in ``clinical/data/*.toml``.

- import: :func:`~secretome.clinical.importing.read_redcap`, :func:`~secretome.clinical.importing.read_tidy`,
  :func:`~secretome.clinical.importing.read_wide`, :func:`~secretome.clinical.importing.read_treatments`;
- privacy: :class:`~secretome.clinical.privacy.Pseudonymizer`, :func:`~secretome.clinical.privacy.load_key`,
  :func:`~secretome.clinical.privacy.suppress_small_cells`;
- scoring and diagnosis: :func:`~secretome.clinical.scoring.score`, :func:`~secretome.clinical.diagnosis.diagnose`;
- analysis: :mod:`secretome.clinical.analysis` (change, responders, composition link), :mod:`secretome.clinical.models`
  (mixed model as lme4, Kaplan-Meier and Cox as survival);
- lots: :func:`~secretome.clinical.lots.lot_composition` (folders) and
  :func:`~secretome.clinical.lots.composition_from_summaries` (the registry's lot -> profile summary);
- results for apps: :mod:`secretome.clinical.results` (patient-level vs aggregated outputs).
"""
