"""Map source categories to the product's categories and themes (editable table)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hotspots import bundled
from hotspots._validate import HotspotsError

THEMES = (
    "serious violence & weapons",
    "drugs & county lines",
    "ASB & public space",
    "exploitation & safeguarding",
    "acquisitive",
    "other",
)
UNMAPPED_CATEGORY = "Other (unmapped)"


def _key(values: pd.Series) -> pd.Series:
    return (
        values.astype("string")
        .str.strip()
        .str.casefold()
        .str.replace(r"\s+", " ", regex=True)
    )


def load_categories(path: str | Path | None = None) -> pd.DataFrame:
    """Read the category table: raw_category -> category, theme.

    The default is ``data/categories.csv``; lines starting with ``#`` are comments.
    Matching is case-insensitive and ignores repeated spaces.
    """
    path = Path(path) if path is not None else bundled.CATEGORIES
    try:
        table = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise HotspotsError(f"{path}: category table not found.") from None
    missing = {"raw_category", "category", "theme"} - set(table.columns)
    if missing:
        raise HotspotsError(
            f"{path}: the category table needs columns raw_category, category, theme; "
            f"missing {sorted(missing)}."
        )
    bad = table[~table["theme"].isin(THEMES)]
    if len(bad):
        first = bad.iloc[0]
        raise HotspotsError(
            f"{path}: theme {first['theme']!r} for {first['raw_category']!r} is not one "
            f"of {', '.join(THEMES)}."
        )
    table = table.assign(key=_key(table["raw_category"]))
    return table.drop_duplicates("key", keep="last").reset_index(drop=True)


def map_categories(raw: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    """Return ``category`` and ``theme`` for each raw category (same index as `raw`).

    Unknown categories are kept: category ``Other (unmapped)``, theme ``other``;
    the raw text stays in the incident's ``raw_category``.
    """
    lookup = table.set_index("key")
    keys = _key(raw)
    category = keys.map(lookup["category"]).fillna(UNMAPPED_CATEGORY)
    theme = keys.map(lookup["theme"]).fillna("other")
    return pd.DataFrame(
        {"category": category.astype(str), "theme": theme.astype(str)}, index=raw.index
    )
