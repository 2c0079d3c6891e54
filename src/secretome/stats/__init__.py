"""Statistics: preprocessing, limma-exact moderated models, classic tests, lot comparability, enrichment."""

from secretome.stats.limma import moderated_test

__all__ = ["moderated_test"]
