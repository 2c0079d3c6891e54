"""The lab's registry: preparations, lots, datasets, analysis runs, release decisions and the audit log.

:func:`secretome.registry.db.open_registry` opens it (SQLite in the data folder, or PostgreSQL by
``SECRETOME_DATABASE_URL``); :mod:`~secretome.registry.services` changes it (each change audited);
:mod:`~secretome.registry.worker` runs queued analyses through :mod:`~secretome.registry.engine`, the
only module that calls the engine.
"""
