"""A simulated cytokine/growth-factor immunoassay panel for the demo lots, with known truth.

The demo's 12 conditioned-medium samples (lots A and B) are "measured" on a 9-plex bead panel: each
sample's true concentration follows its own MS intensity for the factors the proteome detects (so the
agreement view has something to find), IL-1b and TNF sit near the kit's LLOQ (so flags show), and the
plate carries an 8-level 2.5-fold standard series in duplicate per analyte, read through a known 5PL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from secretome.assays.curves import logistic

#: analyte (kit name) -> (gene, typical conditioned-medium concentration in pg/mL, top standard in pg/mL)
PANEL = {
    "IL-1RA": ("IL1RN", 800.0, 20000.0), "IL-1b": ("IL1B", 0.8, 2000.0), "IL-6": ("IL6", 1500.0, 20000.0),
    "IL-8": ("CXCL8", 3000.0, 20000.0), "IL-10": ("IL10", 60.0, 5000.0), "TNF-alpha": ("TNF", 1.0, 2000.0),
    "HGF": ("HGF", 2500.0, 40000.0), "VEGF": ("VEGFA", 900.0, 20000.0), "TSG-6": ("TNFAIP6", 400.0, 10000.0),
}
SIGNAL = {"A": 15.0, "B": 22000.0, "scal": 1.0, "g": 0.8}
SEED = 12


def demo_assay_frame(proteome) -> pd.DataFrame:
    """The panel as a long table with standards (plate, well, sample, analyte, signal, expected, unit)."""
    rng = np.random.default_rng(SEED)
    samples = list(map(str, proteome.obs_names))
    genes = proteome.var["gene"].astype(str).to_numpy()
    x = np.asarray(proteome.X, dtype=float)
    rows = []
    wells = (f"{r}{c}" for r in "ABCDEFGHIJKLMNOP" for c in range(1, 25))
    for analyte, (gene, typical, top) in PANEL.items():
        levels = top / 2.5 ** np.arange(8)
        midpoint = float(np.log(levels[3]))
        params = SIGNAL | {"xmid": midpoint}
        for level, conc in enumerate(levels, start=1):
            for _ in range(2):
                y = logistic(np.log(conc), params) * (1 + rng.normal(0, 0.02))
                rows.append({"plate": "1", "well": next(wells), "sample": f"Standard{level}", "analyte": analyte,
                             "signal": round(float(y), 2), "expected": conc, "unit": "pg/mL", "dilution": 1})
        column = np.flatnonzero(genes == gene)
        intensity = x[:, column[0]] if column.size else np.full(len(samples), np.nan)
        finite = np.isfinite(intensity)
        relative = np.where(finite, intensity / np.nanmedian(intensity) if finite.any() else 1.0, 0.05)
        for sample, share in zip(samples, relative):
            conc = typical * share * float(np.exp(rng.normal(0, 0.1)))
            y = logistic(np.log(max(conc, 1e-6)), params) * (1 + rng.normal(0, 0.02))
            rows.append({"plate": "1", "well": next(wells), "sample": sample, "analyte": analyte,
                         "signal": round(float(y), 2), "expected": "", "unit": "pg/mL", "dilution": 1})
    return pd.DataFrame(rows)


#: The demo's potency/release specification (a made-up example, not a regulatory limit).
DEMO_POTENCY = [
    {"analyte": "HGF", "kind": "potency", "low": 1500.0, "high": np.nan, "unit": "pg/mL",
     "source": "demo specification (illustrative, not a regulatory limit)"},
    {"analyte": "TSG-6", "kind": "potency", "low": 200.0, "high": np.nan, "unit": "pg/mL",
     "source": "demo specification (illustrative, not a regulatory limit)"},
]


def write_demo_assay(directory: str | Path, proteome) -> Path:
    """Write the demo panel as ``demo_assay.csv`` in ``directory``; returns its path."""
    from secretome.outputs import atomic_file

    path = Path(directory) / "demo_assay.csv"
    with atomic_file(path) as temporary:
        demo_assay_frame(proteome).to_csv(temporary, index=False)
    return path
