"""Load the bundled district, ward and LSOA boundaries and place points in them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import bundled
from hotspots._validate import HotspotsError, require_points

#: A point this close to a ward (metres) but outside every ward, e.g. on a pier or a
#: beach cut off by the coastline-clipped boundaries, is given the nearest ward.
COAST_SNAP_M = 1_000.0


def _read(path: object) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except FileNotFoundError:
        raise HotspotsError(
            f"{path}: bundled boundary file missing. Run `make data` to rebuild it."
        ) from None


@cache
def load_boundary(name: str) -> gpd.GeoDataFrame:
    """Return a bundled layer in EPSG:27700: districts, uk-districts, wards or lsoa2011.

    The frame is cached; callers must not modify it (functions here never do).
    """
    paths = {
        "districts": bundled.DISTRICTS,
        "uk-districts": bundled.UK_DISTRICTS,
        "wards": bundled.WARDS,
        "lsoa2011": bundled.LSOA2011,
    }
    if name not in paths:
        raise HotspotsError(
            f"Unknown boundary {name!r}; choose one of {sorted(paths)}."
        )
    return _read(paths[name])


def _name_key(name: str) -> str:
    """A district's name for matching: case, "&"/"and", spaces and dots ignored."""
    text = name.casefold().replace("&", " and ").replace(".", " ")
    return " ".join(text.split())


def district_codes(names_or_codes: Sequence[str]) -> list[str]:
    """ONS codes of Kent & Medway districts given by code or by name.

    A name matches whatever its case, "&" for "and" and its spacing
    ("thanet", "Folkestone & Hythe", "tunbridge  wells"). Anything else is a
    HotspotsError that lists the districts.
    """
    layer = load_boundary("districts")
    codes = list(layer["lad_code"])
    by_name = {_name_key(n): c for c, n in zip(codes, layer["lad_name"], strict=True)}
    out: list[str] = []
    for given in names_or_codes:
        text = str(given).strip()
        code = text.upper() if text.upper() in codes else by_name.get(_name_key(text))
        if code is None:
            known = ", ".join(
                f"{c} {n}" for c, n in zip(codes, layer["lad_name"], strict=True)
            )
            raise HotspotsError(
                f"Unknown district {text!r}; give a Kent & Medway district by name or "
                f"code: {known}."
            )
        out.append(code)
    return out


def ward_code(name_or_code: str) -> str:
    """The ONS code of a Kent & Medway ward (May 2024) given by code or by name.

    A name matches whatever its case and spacing ("margate central"). Three
    names belong to two wards each (Roman, Town, Watling): those take their
    district too, "Town, Dartford" or "Town (Dartford)". Anything else is a
    HotspotsError naming the nearest names.
    """
    import difflib
    import re

    wards = load_boundary("wards")
    text = str(name_or_code).strip()
    if text.upper() in set(wards["ward_code"]):
        return text.upper()
    names = wards["ward_name"].map(_name_key)
    name, hit = text, wards[names == _name_key(text)]
    # else a name with its district: "Town, Dartford", "Town (Dartford)"; the
    # whole text first, for names with a comma of their own ("Farningham, ...")
    parts = re.fullmatch(r"(.+),\s*([^,]+)|(.+?)\s*\((.+)\)", text)
    if hit.empty and parts:
        name, district = parts[1] or parts[3], parts[2] or parts[4]
        hit = wards[
            (names == _name_key(name))
            & (wards["lad_name"].map(_name_key) == _name_key(district))
        ]
    if len(hit) == 1:
        return str(hit["ward_code"].iloc[0])
    if len(hit) > 1:
        which = ", ".join(
            f"{n} ({d}) {c}"
            for n, d, c in zip(
                hit["ward_name"], hit["lad_name"], hit["ward_code"], strict=True
            )
        )
        first = hit.iloc[0]
        raise HotspotsError(
            f"{len(hit)} wards are called {first['ward_name']!r}: {which}. Give the "
            f"code, or the name with its district ('{first['ward_name']}, "
            f"{first['lad_name']}')."
        )
    near = difflib.get_close_matches(name, sorted(set(wards["ward_name"])), n=4)
    hint = f" Nearest names: {', '.join(near)}." if near else ""
    raise HotspotsError(
        f"Unknown ward {text!r}: not the name or code of one of the {len(wards)} "
        f"Kent & Medway wards (May 2024; codes look like E05005093).{hint}"
    )


def assign_areas(points: gpd.GeoDataFrame) -> pd.DataFrame:
    """Ward and district codes for each point, by point-in-polygon.

    Wards are the 279 Kent & Medway wards (May 2024); districts come from all UK
    districts (Dec 2024), so points from other forces get their district too.
    Points within `COAST_SNAP_M` of a Kent & Medway ward but in none (the
    boundaries are clipped to the coastline) take the nearest ward. Empty
    geometries get nulls.

    Returns
    -------
    DataFrame
        Same index as `points`, columns ``ward_code`` and ``lad_code`` (str or NA).
    """
    require_points(points)
    out = pd.DataFrame(
        {"ward_code": pd.NA, "lad_code": pd.NA}, index=points.index, dtype="string"
    )
    located = points[~(points.geometry.isna() | points.geometry.is_empty)]
    if located.empty:
        return out
    pts = gpd.GeoDataFrame(geometry=located.geometry.to_numpy(), crs=points.crs)
    pts.index = np.arange(len(pts))
    wards = load_boundary("wards")[["ward_code", "lad_code", "geometry"]]
    hit = gpd.sjoin(pts, wards, how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    miss = hit["ward_code"].isna()
    if miss.any():
        near = gpd.sjoin_nearest(
            pts[miss.to_numpy()], wards, how="left", max_distance=COAST_SNAP_M
        )
        near = near[~near.index.duplicated(keep="first")]
        hit.loc[near.index, ["ward_code", "lad_code"]] = near[["ward_code", "lad_code"]]
    miss = hit["lad_code"].isna()
    if miss.any():
        uk = load_boundary("uk-districts")[["lad_code", "geometry"]]
        far = gpd.sjoin(pts[miss.to_numpy()], uk, how="left", predicate="within")
        far = far[~far.index.duplicated(keep="first")]
        hit.loc[far.index, "lad_code"] = far["lad_code"]
    out.loc[located.index, "ward_code"] = hit["ward_code"].astype("string").to_numpy()
    out.loc[located.index, "lad_code"] = hit["lad_code"].astype("string").to_numpy()
    return out


def study_area(
    districts: Sequence[str] | None = None, wards: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """The study area: the chosen districts (default all 13), or wards, dissolved.

    Parameters
    ----------
    districts
        District (LAD) codes such as ``E07000114``; ``None`` means all 13.
    wards
        Ward codes such as ``E05005093``; ``None`` or empty: the districts whole.
        A selection of wards holds only their incidents, so its hotspots are the
        hottest share of the wards, and its cells outside them are never hot.

    Returns
    -------
    GeoDataFrame
        One row (geometry = the union) in EPSG:27700, with ``lad_codes`` listing
        the districts it is made of (of its wards, when wards are chosen).
    """
    area = _study_area(None if districts is None else tuple(districts))
    if wards:
        area = _ward_area(tuple(sorted(set(wards))))
    return area.copy()


@cache
def _ward_area(wards: tuple[str, ...]) -> gpd.GeoDataFrame:
    """`study_area` of some wards, dissolved once per set of wards (kept)."""
    layer = load_boundary("wards")
    unknown = sorted(set(wards) - set(layer["ward_code"]))
    if unknown:
        raise HotspotsError(
            f"Unknown ward code(s) {unknown}: give Kent & Medway ward codes, such "
            "as E05005093 (Margate Central)."
        )
    layer = layer[layer["ward_code"].isin(wards)]
    return gpd.GeoDataFrame(
        {
            "lad_codes": [",".join(sorted(set(layer["lad_code"])))],
            "ward_codes": [",".join(sorted(layer["ward_code"]))],
        },
        geometry=[layer.geometry.union_all()],
        crs=layer.crs,
    )


@cache
def _study_area(districts: tuple[str, ...] | None) -> gpd.GeoDataFrame:
    """`study_area`, dissolved once per set of districts (kept: copy it to change it)."""
    layer = load_boundary("districts")
    if districts is not None:
        codes = list(districts)
        unknown = sorted(set(codes) - set(layer["lad_code"]))
        if unknown or not codes:
            known = ", ".join(
                f"{c} {n}"
                for c, n in zip(layer["lad_code"], layer["lad_name"], strict=True)
            )
            raise HotspotsError(
                f"Unknown district code(s) {unknown or '(none given)'}; the Kent & Medway "
                f"districts are: {known}."
            )
        layer = layer[layer["lad_code"].isin(codes)]
    union = layer.geometry.union_all()
    return gpd.GeoDataFrame(
        {"lad_codes": [",".join(sorted(layer["lad_code"]))]},
        geometry=[union],
        crs=layer.crs,
    )
