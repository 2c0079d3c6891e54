"""Write the simulated inputs of the clinical R fixtures (tests/fixtures/clinical_r/*_input.tsv).

mixed_input.tsv: 36 patients, two eyes (some one-eyed), three visits (some drop-outs), two arms, random
patient and eye effects. survival_input.tsv: 70 eyes, arm and a continuous potency covariate, whole-day
times (many ties) with censoring. Then ``Rscript scripts/make_clinical_fixtures.R`` writes R's results.
Usage: python scripts/make_clinical_model_inputs.py [fixture directory]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.tables import write_tsv


def main(directory: Path) -> None:
    rng = np.random.default_rng(1301)
    rows = []
    for i in range(36):
        arm = "secretome" if i % 2 else "vehicle"
        patient_effect = rng.normal(0, 6)
        for eye in ("OD", "OS"):
            if i % 9 == 4 and eye == "OS":
                continue
            eye_effect = rng.normal(0, 3)
            for v, (visit, drift) in enumerate([("day0", 0), ("day28", -4), ("day84", -6)]):
                if i % 7 == 3 and visit == "day84":
                    continue
                mean = 40 + drift + (-5 if arm == "secretome" and v > 0 else 0) * v
                rows.append({"patient": f"S{i:02d}", "eye": eye, "visit": visit, "treatment": arm,
                             "value": round(mean + patient_effect + eye_effect + rng.normal(0, 4), 3)})
    write_tsv(pd.DataFrame(rows), directory / "mixed_input.tsv")
    rows = []
    for i in range(70):
        arm = i % 2
        potency = round(rng.normal(0, 1), 3)
        healing = rng.exponential(10 / np.exp(0.5 * arm + 0.4 * potency))
        censoring = rng.uniform(5, 30)
        rows.append({"eye_id": f"E{i:02d}", "arm": arm, "potency": potency, "time": int(np.ceil(min(healing, censoring))),
                     "event": int(healing <= censoring)})
    write_tsv(pd.DataFrame(rows), directory / "survival_input.tsv")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "clinical_r")
