"""Map source categories to the product's categories and themes (editable table)."""

from __future__ import annotations

from collections.abc import Sequence
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


def resolve_themes(names: Sequence[str]) -> list[str]:
    """The product's themes named by `names`, whatever their case.

    A name may also be the start of exactly one theme ("ASB" for "ASB & public
    space", "serious violence"). Anything else is a HotspotsError listing them.
    """
    out: list[str] = []
    for given in names:
        key = " ".join(str(given).casefold().split())
        exact = [t for t in THEMES if t.casefold() == key]
        starts = [t for t in THEMES if key and t.casefold().startswith(key)]
        found = exact or starts
        if len(found) != 1:
            why = "matches more than one theme" if found else "is not a theme"
            raise HotspotsError(
                f"{given!r} {why}; the themes are: {'; '.join(THEMES)}."
            )
        out.append(found[0])
    return out


def resolve_categories(
    names: Sequence[str], table: pd.DataFrame | None = None
) -> list[str]:
    """The categories (of `table`, default `load_categories()`) named by `names`.

    Matched whatever their case and spacing; ``Other (unmapped)`` is one too.
    Anything else is a HotspotsError listing the categories.
    """
    table = load_categories() if table is None else table
    known = sorted({*table["category"], UNMAPPED_CATEGORY})
    by_key = {" ".join(c.casefold().split()): c for c in known}
    out: list[str] = []
    for given in names:
        found = by_key.get(" ".join(str(given).casefold().split()))
        if found is None:
            raise HotspotsError(
                f"{given!r} is not a category; the categories are: "
                f"{'; '.join(known)} (a theme groups several: use the theme)."
            )
        out.append(found)
    return out


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
