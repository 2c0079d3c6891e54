"""Trends across the lots of one preparation, with control limits from the released lots.

The values come from each lot's latest finished profile run (kept by
:func:`secretome.registry.services.index_profile`) and, for ``potency:<analyte>``, its latest assay run
(:func:`secretome.registry.services.index_assay`); the rule for the limits lives in
``registry/data/trends.toml`` with its source.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secretome.config import package_data
from secretome.registry.models import Lot
from secretome.registry.services import latest_potency_metrics, latest_profile_metrics


def trend_rules() -> dict[str, float]:
    """The control-limit rule (``k_sd``, ``min_released_lots``) from ``trends.toml``."""
    return package_data("secretome.registry", "trends.toml")


def control_limits(released: list[float]) -> dict[str, float | None]:
    """Centre line and lower/upper control limits from the released lots' values (see ``trends.toml``)."""
    rules = trend_rules()
    if not released:
        return {"center": None, "lower": None, "upper": None, "n_released": 0}
    center = statistics.fmean(released)
    if len(released) < rules["min_released_lots"]:
        return {"center": center, "lower": None, "upper": None, "n_released": len(released)}
    spread = rules["k_sd"] * statistics.stdev(released)
    return {"center": center, "lower": center - spread, "upper": center + spread, "n_released": len(released)}


def lot_trend(session: Session, lot: Lot) -> dict[str, Any]:
    """Every metric across the lots of ``lot``'s preparation (in registration order), with control limits."""
    lots = list(session.execute(select(Lot).where(Lot.preparation_id == lot.preparation_id).order_by(Lot.id)).scalars())
    metrics = latest_profile_metrics(session, [item.id for item in lots])
    for lot_id, values in latest_potency_metrics(session, [item.id for item in lots]).items():  # from assay runs
        metrics.setdefault(lot_id, {}).update(values)
    names = sorted({name for values in metrics.values() for name in values},
                   key=lambda n: (n.startswith("potency:"), n.startswith("factor:"), n.startswith("class_share:"), n))
    series = []
    for name in names:
        points = [{"lot": item.number, "lot_id": item.id, "status": item.status, "value": metrics.get(item.id, {}).get(name)}
                  for item in lots if item.id in metrics]
        released = [p["value"] for p in points if p["status"] == "released" and p["value"] is not None and math.isfinite(p["value"])]
        series.append({"metric": name, "points": points, "limits": control_limits(released)})
    rules = trend_rules()
    return {"lot": lot.number, "preparation_id": lot.preparation_id, "series": series,
            "rule": f"centre = mean of released lots; limits = centre +/- {rules['k_sd']:g} SD of released lots "
                    f"(at least {rules['min_released_lots']:g} released lots)"}
