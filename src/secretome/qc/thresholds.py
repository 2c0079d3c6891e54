"""QC limits and settings: ``config/qc_thresholds.toml``, a user's config file and ``key=value`` overrides,
each value remembering where it came from so that verdicts can cite it."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretome.config import config as shipped_defaults
from secretome.config import read_toml_file, toml_value
from secretome.errors import SecretomeInputError
from secretome.qc.registry import PURITY_REGISTRY

THRESHOLDS_FILE = "qc_thresholds.toml"

OVERRIDE = "override"
"""Origin of a value set through ``load_thresholds(overrides=...)``, as verdicts cite it (``override: serum_share.fail``)."""

_DIRECTIONS = ("above", "below", "below_median_fraction")


@dataclass
class Thresholds:
    """QC limits and settings, each value remembering where it came from (for verdict citations)."""

    values: dict[str, dict[str, Any]]
    origins: dict[str, str] = field(default_factory=dict)
    """Key -> the config file (or ``override``) that changed it."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Metric -> where its default limits come from when not :data:`THRESHOLDS_FILE` (a purity registry entry)."""

    def limit(self, metric: str, level: str) -> float:
        """The ``warn`` or ``fail`` limit of a metric."""
        return float(self.values[metric][level])

    def direction(self, metric: str) -> str:
        return str(self.values[metric]["direction"])

    def setting(self, name: str) -> Any:
        return self.values["settings"][name]

    def cite(self, metric: str, level: str) -> str:
        """Where a limit comes from, e.g. ``qc_thresholds.toml: serum_share.fail`` (or ``purity registry entry
        'hemolysis': hemolysis_share.fail`` for limits an added index brought)."""
        key = f"{metric}.{level}"
        return f"{self.origins.get(key) or self.defaults.get(metric, THRESHOLDS_FILE)}: {key}"

    def as_dict(self) -> dict[str, Any]:
        """Plain nested copy (values, with the origin of every overridden key and of every default not in the file)."""
        out: dict[str, Any] = {"values": copy.deepcopy(self.values), "overridden": dict(self.origins)}
        if self.defaults:
            out["defaults_from"] = dict(self.defaults)
        return out


def load_thresholds(
    config: str | Path | Mapping[str, Any] | None = None,
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
) -> Thresholds:
    """Defaults from ``qc_thresholds.toml``, then a config TOML file (or mapping), then ``key=value`` overrides.

    Keys are ``section.name`` (e.g. ``serum_share.fail`` or ``settings.top_n``). Unknown keys, wrong
    types and warn/fail limits in the wrong order are input errors naming the source.
    """
    values = copy.deepcopy(shipped_defaults("qc_thresholds"))  # the cached defaults are shared; this copy is changed
    defaults = {}
    for category in PURITY_REGISTRY:  # a registered index brings its limits (with their source) unless the file has them
        if category.flagged and category.share not in values:
            limits = dict(category.limits or {})
            missing = [key for key in ("direction", "warn", "fail", "source") if not str(limits.get(key, "")).strip()]
            if missing:
                raise ValueError(f"purity category {category.name!r} is flagged but its limits lack {', '.join(missing)} "
                                 "(a threshold is data with its source)")
            values[category.share] = limits
            defaults[category.share] = f"purity registry entry {category.name!r}"
    thresholds = Thresholds(values=values, defaults=defaults)
    if config is not None:
        if isinstance(config, Mapping):
            source, data = "config", dict(config)
        else:
            config_path = Path(config)
            data = read_toml_file(config_path, expected=f"a UTF-8 TOML file laid out as {THRESHOLDS_FILE}")
            source = config_path.name
        for section, entries in data.items():
            if not isinstance(entries, Mapping):
                raise SecretomeInputError(
                    f"top-level key {section!r} is not a table",
                    file=source,
                    expected=f"tables as in {THRESHOLDS_FILE}, e.g. [serum_share] fail = 0.3",
                )
            for name, value in entries.items():
                _set_value(thresholds, f"{section}.{name}", value, source)
    if overrides is not None:
        items = overrides.items() if isinstance(overrides, Mapping) else (_split_setting(s) for s in overrides)
        for key, value in items:
            _set_value(thresholds, key, toml_value(value) if isinstance(value, str) else value, OVERRIDE)
    _validate(thresholds)
    return thresholds


def _split_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise SecretomeInputError(f"setting {text!r} has no '='", expected="key=value, e.g. serum_share.fail=0.3")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _where(source: str) -> dict[str, Any]:
    """Error location of a threshold value: its config file, or the ``overrides`` parameter."""
    return {"parameters": ("overrides",)} if source == OVERRIDE else {"file": source}


def _set_value(thresholds: Thresholds, key: str, value: Any, source: str) -> None:
    section, _, name = key.partition(".")
    known = thresholds.values
    if section not in known or name not in known[section] or name == "source":
        valid = sorted(f"{s}.{n}" for s, entries in known.items() for n in entries if n != "source")
        raise SecretomeInputError(
            f"unknown threshold key {key!r}", **_where(source), expected=f"one of {', '.join(valid)}"
        )
    default = known[section][name]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok and isinstance(default, float) else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise SecretomeInputError(
            f"wrong type for {key!r}: {value!r}", **_where(source),
            expected=f"a value like {json.dumps(default)} (TOML spelling)",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _checked_number(key, value, default, source)
    if name == "direction" and value not in _DIRECTIONS:
        raise SecretomeInputError(f"unknown direction {value!r} for {key!r}", **_where(source), expected=str(_DIRECTIONS))
    known[section][name] = value
    thresholds.origins[key] = source


#: Least value of the integer settings: counts below it make the computation meaningless (a CV needs two
#: values, a median/MAD outlier score three samples, a Pearson correlation two shared proteins).
_SETTING_MINIMUM = {"purity_min_proteins": 1, "pca_components": 1, "correlation_min_overlap": 2, "outlier_min_samples": 3,
                    "cv_min_detected": 2, "top_n": 1, "max_heatmap_samples": 0}
#: Settings and metrics whose values are fractions (0..1): the shares, and n_proteins' fraction of the median.
_FRACTIONS = ("pca_min_detection", "n_proteins")


def _checked_number(key: str, value: float, default: float, source: str) -> float:
    """A numeric setting in its domain: finite, whole where the default is an integer, a fraction where it is one."""
    section, _, name = key.partition(".")
    if not math.isfinite(value):
        raise SecretomeInputError(f"{key!r} is {value!r}", **_where(source), expected="a finite number")
    if isinstance(default, int):
        if not float(value).is_integer():
            raise SecretomeInputError(f"{key!r} is {value!r}", **_where(source), expected="a whole number")
        value = int(value)
        least = _SETTING_MINIMUM.get(name, 0)
        if value < least:
            raise SecretomeInputError(f"{key!r} is {value}", **_where(source), expected=f"a whole number >= {least}")
    fraction = section.endswith("_share") or section in _FRACTIONS or name in _FRACTIONS
    if fraction and name != "direction" and not 0 <= value <= 1:
        raise SecretomeInputError(f"{key!r} is {value}", **_where(source), expected="a fraction between 0 and 1")
    return value


def _validate(thresholds: Thresholds) -> None:
    for metric, entries in thresholds.values.items():
        if metric == "settings":
            continue
        warn, fail = float(entries["warn"]), float(entries["fail"])
        above = entries["direction"] == "above"
        if (above and fail < warn) or (not above and fail > warn):
            raise SecretomeInputError(
                f"{metric}: fail limit {fail} is less strict than warn limit {warn}",
                **_where(thresholds.origins.get(f"{metric}.fail", THRESHOLDS_FILE)),
                expected="fail >= warn for 'above' metrics, fail <= warn for 'below' metrics",
            )
