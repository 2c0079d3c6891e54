from secretome.stats.limma import moderated_test  # noqa: F401
