"""Preparation types: the key-factor panel each one expects and the proteins it cannot plausibly contain.

Knowledge is data (``data/preparations/``): ``preparations.tsv`` names the types (MSC conditioned medium, MSC-EV,
ocular surface epithelium, tear fluid ...) and their panels, ``panel_<type>.tsv`` the key factors, and
``plausibility_markers.tsv`` the tear, saliva and neutrophil proteins that report contamination where the
preparation cannot make them (LCN1 in a stromal or endothelial medium). A user may pass a panel file of their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
import pandas as pd
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.kb.panel import key_factor_panel
from secretome.kb.store import data_dir

PANEL_COLUMNS = ("gene", "seed_class", "why")
PREPARATION_COLUMN = "preparation"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir() / "preparations" / name, sep="\t", comment="#", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def preparation_types() -> pd.DataFrame:
    """The preparation types: ``type, label, aliases, panel``."""
    return _read("preparations.tsv")


def resolve_preparation(value: str, column: str | None = None) -> str:
    """A preparation type from its name, label or alias (case-insensitive); an input error names the choices."""
    text = str(value).strip().lower()
    for kind, label, aliases in preparation_types()[["type", "label", "aliases"]].itertuples(index=False):
        if text in {kind.lower(), label.lower(), *(a.strip().lower() for a in aliases.split(";") if a.strip())}:
            return kind
    raise SecretomeInputError(
        f"unknown preparation type {value!r}", column=column,
        expected=f"one of {', '.join(preparation_types()['type'])} (kb/data/preparations/preparations.tsv)",
    )


def preparation_of(adata: AnnData, preparation: str | None = None) -> str | None:
    """The dataset's preparation type: ``preparation`` if given, else the sample sheet's ``preparation`` column
    (one type for the whole dataset), else None."""
    if preparation is not None:
        return resolve_preparation(preparation)
    if PREPARATION_COLUMN not in adata.obs:
        return None
    values = {str(v).strip() for v in adata.obs[PREPARATION_COLUMN].astype(str) if str(v).strip() not in ("", "nan")}
    kinds = {resolve_preparation(v, PREPARATION_COLUMN) for v in values}
    if len(kinds) > 1:
        raise SecretomeInputError(
            f"the samples name several preparation types: {', '.join(sorted(kinds))}", column=PREPARATION_COLUMN,
            expected="one preparation type per dataset (profile each preparation on its own)",
        )
    return kinds.pop() if kinds else None


def preparation_panel(preparation: str | None = None, panel_file: str | Path | None = None) -> tuple[pd.DataFrame, str]:
    """The key-factor panel (``gene, seed_class, why``) and where it came from: a user's ``panel_file`` (TSV with
    those columns), else the panel of ``preparation``, else the general panel."""
    if panel_file is not None:
        path = Path(panel_file)
        try:
            panel = pd.read_csv(path, sep="\t", comment="#", dtype=str, keep_default_na=False)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
            raise SecretomeInputError(f"cannot read the panel file ({error})", file=path,
                                      expected="a TSV with columns gene, seed_class, why") from None
        missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
        if missing or panel.empty or (panel["gene"].str.strip() == "").any():
            raise SecretomeInputError(f"panel file lacks {missing or 'gene values'}", file=path, column=(missing or ["gene"])[0],
                                      expected="a TSV with columns gene, seed_class, why and one gene per row")
        return panel[list(PANEL_COLUMNS)].copy(), str(path)
    if preparation is not None:
        row = preparation_types().set_index("type").loc[preparation]
        if row["panel"]:
            return _read(row["panel"])[list(PANEL_COLUMNS)], f"kb/data/preparations/{row['panel']}"
    return key_factor_panel()[list(PANEL_COLUMNS)].copy(), "kb/data/curated/key_factor_panel.tsv"


def plausibility_markers(preparation: str) -> pd.DataFrame:
    """The proteins ``preparation`` cannot plausibly contain (``plausibility_markers.tsv``: ``gene, group, reason``
    and the preparation types they are implausible in); :func:`secretome.qc.plausibility_warnings` looks for them."""
    markers = _read("plausibility_markers.tsv")
    return markers[markers["implausible_in"].str.split(";").map(lambda kinds: preparation in kinds)].reset_index(drop=True)


def preparation_label(preparation: str) -> str:
    """The preparation type's label (``MSC conditioned medium``) as reports name it."""
    return str(preparation_types().set_index("type").loc[preparation, "label"])
