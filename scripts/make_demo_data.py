"""Regenerate the shipped demo dataset in src/secretome/datasets/ (deterministic).

Usage: python scripts/make_demo_data.py [OUT_DIR]
Writes demo_proteinGroups.txt (MaxQuant format), demo_samples.tsv and demo_truth.json; see
secretome.datasets.simulate_secretome for the model and DEMO_PARAMETERS for the settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

from secretome.datasets import write_demo_files

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "secretome" / "datasets"


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    for kind, path in write_demo_files(out).items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main(sys.argv)
