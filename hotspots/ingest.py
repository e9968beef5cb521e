"""Turn police.uk and partner files into canonical incidents, losing no row."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import bundled
from hotspots._validate import HotspotsError
from hotspots.boundaries import assign_areas
from hotspots.categories import load_categories, map_categories
from hotspots.crs import WORKING_CRS, lonlat_to_bng, ostn15_available
from hotspots.dates import (
    COVERS,
    combine_date_time,
    parse_dates,
    parse_months,
    parse_span,
    parse_times,
)
from hotspots.geocode import (
    classify_bng,
    classify_lonlat,
    fix_swapped_lonlat,
    is_blank,
    lookup_postcodes,
    parse_coordinate,
    parse_gridref,
)
from hotspots.io import Table, iter_files, read_table

POLICE_UK = "police.uk"
SENSITIVITIES = ("public", "restricted", "safeguarding")
GEOCODE_METHODS = ("coordinates", "bng", "gridref", "postcode", "unlocated")

#: Nominal uncertainty of a police.uk position: incidents are moved to an anonymous
#: "snap point" (the centre of a street or area with at least eight addresses).
POLICE_UK_PRECISION_M = 200.0

#: A located row is "far outside the area of the data" when it is both distant (beyond
#: max(FAR_FLOOR_M, the 95th percentile distance) from its file's median position) and
#: isolated (fewer than FAR_NEIGHBOURS other rows of the file within FAR_RADIUS_M).
#: Checked on police.uk Kent, Derbyshire, Leicestershire and City of London files:
#: every row it flags lies outside the force's area, and none inside it.
FAR_FLOOR_M = 20_000.0
FAR_RADIUS_M = 10_000.0
FAR_NEIGHBOURS = 5
FAR_MIN_ROWS = 20

#: Canonical columns, in order (DESIGN.md), then the store's bookkeeping columns.
CANONICAL_COLUMNS = [
    "incident_id",
    "source",
    "agency",
    "month",
    "occurred_at",
    "category",
    "theme",
    "raw_category",
    "location_text",
    "geocode_method",
    "geocode_precision_m",
    "sensitivity",
    "weight",
    "ward_code",
    "lad_code",
    "geometry",
]
EXTRA_COLUMNS = ["unlocated_reason", "batch"]

# Header names we recognise, compared after lower-casing and dropping non-letters/digits.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ref", "reference", "incidentid", "incidentref", "incidentreference",
           "caseref", "casereference", "crimeid", "recordid", "logref", "lognumber",
           "attendanceid", "attendanceref", "concernref", "concernid", "referralid",
           "referralref"),
    "date": ("date", "incidentdate", "datereported", "reporteddate", "dateofincident",
             "occurreddate", "dateoccurred", "attendancedate", "eventdate", "datetime",
             "incidentdatetime", "arrivaldate", "createddate", "daterecorded"),
    "time": ("time", "incidenttime", "arrivaltime", "timereported", "timeofincident",
             "reportedtime", "timeoccurred", "attendancetime"),
    "month": ("month", "period", "yearmonth", "monthyear", "reportingmonth"),
    "category": ("category", "type", "incidenttype", "crimetype", "asbtype",
                 "concerncategory", "concerntype", "weaponbodypartused", "weaponused",
                 "weapon", "offence", "offencetype", "incidentcategory", "natureofincident"),
    "location": ("location", "locationdescription", "address", "street", "place",
                 "assaultlocation", "incidentlocation", "locationtext", "site",
                 "locationofincident", "streetname", "assaultlocationdescription",
                 "incidentlocationdescription"),
    "postcode": ("postcode", "postalcode", "pcode", "locationpostcode",
                 "incidentpostcode", "postcodeofincident"),
    "gridref": ("gridref", "gridreference", "osgridref", "osgridreference", "ngr",
                "nationalgridreference", "osgr"),
    "lat": ("lat", "latitude", "wgs84latitude", "ylat"),
    "lon": ("lon", "long", "lng", "longitude", "wgs84longitude", "xlong"),
    "easting": ("easting", "eastings", "x", "xcoord", "bngx", "bngeasting"),
    "northing": ("northing", "northings", "y", "ycoord", "bngy", "bngnorthing"),
    "agency": ("agency", "reportedby", "organisation", "organization", "recordedby",
               "reportingagency", "service", "hospital", "hospitalsite"),
    "sensitivity": ("sensitivity", "protectivemarking"),
    "weight": ("harmweight", "harm", "weight", "harmscore", "harmindex",
               "crimeharmindex", "severityscore", "crimeseverityscore"),
}  # fmt: skip
ROLES = tuple(SYNONYMS)
# Partial matches we trust: "Location Postcode", "Incident Grid Ref", "Date of call".
CONTAINS = {
    "postcode": ("postcode",),
    "gridref": ("gridref", "gridreference"),
    "lat": ("latitude",),
    "lon": ("longitude",),
    "easting": ("easting",),
    "northing": ("northing",),
    "date": ("date",),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).casefold())


def detect_columns(
    columns: list[str], overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """Choose the column for each role (date, postcode, lat, ...) from header names.

    `overrides` maps role -> column name and wins over detection; an override naming
    a column that does not exist is an error. Each column serves one role.
    """
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise HotspotsError(
            f"Unknown column role(s) {sorted(unknown)} in the mapping; roles are "
            f"{', '.join(ROLES)}."
        )
    for role, col in overrides.items():
        if col not in columns:
            raise HotspotsError(
                f"The mapping says {role} is column {col!r}, but the file has no such "
                f"column. Its columns are: {', '.join(map(repr, columns))}."
            )
    chosen: dict[str, str] = dict(overrides)
    used = set(chosen.values())
    normed = {c: _norm(c) for c in columns}
    for role in ROLES:
        if role in chosen:
            continue
        exact = [c for c in columns if c not in used and normed[c] in SYNONYMS[role]]
        if exact:
            # prefer the synonym listed first
            exact.sort(key=lambda c: SYNONYMS[role].index(normed[c]))
            chosen[role] = exact[0]
            used.add(exact[0])
    for role, tokens in CONTAINS.items():
        if role in chosen:
            continue
        part = [
            c for c in columns if c not in used and any(t in normed[c] for t in tokens)
        ]
        if part:
            chosen[role] = part[0]
            used.add(part[0])
    return chosen


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """Read a column mapping: JSON ``{"role": "Column name"}`` or CSV role,column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HotspotsError(f"{path}: mapping file not found.") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise HotspotsError(
                f"{path}: not valid JSON ({err.msg}, line {err.lineno})."
            ) from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise HotspotsError(
                f'{path}: expected an object like {{"date": "Date Reported"}}.'
            )
        return data
    pairs = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",", 1)]
        if len(parts) != 2 or not all(parts):
            raise HotspotsError(
                f"{path}, line {n}: expected 'role,Column name', got {line!r}."
            )
        if parts[0].lower() == "role":
            continue
        pairs[parts[0]] = parts[1]
    return pairs


def is_police_uk(columns: list[str]) -> bool:
    """Whether a header is a data.police.uk street-level crime file."""
    cols = set(columns)
    return {"Month", "Crime type"} <= cols and bool(
        {"Falls within", "Reported by"} & cols
    )


@dataclass
class IngestResult:
    """Canonical incidents, rejected rows and the report of one ingest run."""

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


@cache
def _postcode_table() -> pd.DataFrame:
    try:
        return pd.read_parquet(bundled.POSTCODES)
    except FileNotFoundError:
        raise HotspotsError(
            f"{bundled.POSTCODES}: bundled postcode table missing. Run `make data`."
        ) from None


# ---------------------------------------------------------------------------------
# Each reader returns a "staged" frame (one row per kept row, located or not) with
# the columns below, and a frame of rejected rows (the original cells + reason).
STAGED = [
    "incident_id", "source", "agency", "month", "occurred_at", "raw_category",
    "location_text", "x", "y", "geocode_method", "geocode_precision_m",
    "sensitivity", "weight", "unlocated_reason", "batch",
]  # fmt: skip


def _not_data_rows(frame: pd.DataFrame) -> pd.Series:
    """Reason a row is not an incident at all (blank, repeated header, totals), or NA."""
    cells = frame.apply(lambda c: c.str.strip())
    blank = (cells == "").all(axis=1)
    header = pd.Series(
        [str(c).strip().casefold() for c in frame.columns], index=frame.columns
    )
    lowered = cells.apply(lambda c: c.str.casefold())
    repeated = (lowered.eq(header, axis=1) | (cells == "")).all(axis=1) & ~blank
    # the first non-empty cell of each row (column by column: no wide transposes)
    first = pd.Series("", index=frame.index, dtype="string")
    for name in cells.columns:
        todo = (first == "") & (cells[name] != "")
        if not todo.any():
            continue
        first = first.where(~todo, cells[name])
        if (first != "").all():
            break
    totals = (
        first.str.fullmatch(r"(?i)(grand\s+)?(sub\s*)?totals?:?(\s.*)?") & ~repeated
    )
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    reason[blank] = "not a data row: empty"
    reason[repeated] = "not a data row: repeated header"
    reason[totals] = "not a data row: totals line"
    return reason


def _reject(table: Table, mask: pd.Series, reason: pd.Series) -> pd.DataFrame:
    rejected = table.frame[mask.to_numpy()].copy()
    rejected.insert(0, "reject_reason", reason[mask].astype(str).to_numpy())
    rejected.insert(0, "row", table.rows[mask.to_numpy()].to_numpy())
    rejected.insert(0, "file", table.name)
    return rejected


def _unique_ids(ids: pd.Series) -> pd.Series:
    """Keep ids unique: the k-th repeat of an id becomes ``id#k``."""
    k = ids.groupby(ids).cumcount()
    return ids.where(k == 0, ids + "#" + k.astype(str))


def _police(table: Table, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = table.frame
    not_data = _not_data_rows(f)
    month = parse_months(f["Month"].str.strip())
    bad_month = month.isna() & not_data.isna()
    reason = not_data.copy()
    reason[bad_month] = "no usable month: " + f.loc[bad_month, "Month"].str.slice(0, 40)
    rejected = reason.notna()
    keep = ~rejected
    k = f[keep.to_numpy()]
    rows = table.rows[keep.to_numpy()]
    base = Path(table.name).name
    agency = (k["Reported by"] if "Reported by" in k else k["Falls within"]).str.strip()
    crime_id = (
        k["Crime ID"].str.strip() if "Crime ID" in k else pd.Series("", index=k.index)
    )
    fallback = f"{source}:{base}:" + rows.astype(str).to_numpy()
    incident_id = _unique_ids(
        crime_id.where(crime_id != "", pd.Series(fallback, index=k.index))
    )
    if {"Longitude", "Latitude"} <= set(k.columns):
        lon = pd.to_numeric(k["Longitude"].str.strip(), errors="coerce")
        lat = pd.to_numeric(k["Latitude"].str.strip(), errors="coerce")
        x, y, why, method = _from_lonlat(lon, lat)
    elif {"Easting", "Northing"} <= set(k.columns):
        ex = pd.to_numeric(k["Easting"].str.strip(), errors="coerce")
        ny = pd.to_numeric(k["Northing"].str.strip(), errors="coerce")
        x, y, why, method = _from_bng(ex, ny)
    else:
        raise HotspotsError(
            f"{table.name}: police.uk file without Longitude/Latitude or "
            "Easting/Northing columns. Is it a street-level crime file?"
        )
    m = month[keep]
    staged = pd.DataFrame(
        {
            "incident_id": incident_id,
            "source": source,
            "agency": agency,
            "month": m,
            "occurred_at": pd.Series(pd.NaT, index=k.index, dtype="datetime64[ns]"),
            "raw_category": k["Crime type"].str.strip(),
            "location_text": k["Location"].str.strip() if "Location" in k else "",
            "x": x,
            "y": y,
            "geocode_method": np.where(why.isna(), method, "unlocated"),
            "geocode_precision_m": np.where(why.isna(), POLICE_UK_PRECISION_M, np.nan),
            "sensitivity": "public",
            "weight": 1.0,  # police.uk gives no harm weight
            "unlocated_reason": why,
            "batch": source + "|" + agency + "|" + m.astype(str),
        },
        index=k.index,
    )
    return staged, _reject(table, rejected, reason)


def _from_lonlat(
    lon: pd.Series, lat: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    """x, y, unlocated reason (NA when located) and method for lon/lat columns."""
    why = classify_lonlat(lon, lat).astype("string")
    t = lonlat_to_bng(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
    x = pd.Series(t.x, index=lon.index)
    y = pd.Series(t.y, index=lon.index)
    outside = why.isna() & (x.isna() | y.isna())
    why[outside] = "outside Great Britain"
    return x.where(why.isna()), y.where(why.isna()), why, "coordinates"


def _from_bng(
    ex: pd.Series, ny: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    why = classify_bng(ex, ny).astype("string")
    return (
        ex.where(why.isna()).astype(float),
        ny.where(why.isna()).astype(float),
        why,
        "bng",
    )


def _pair_reason(
    texts: tuple[pd.Series, pd.Series],
    values: tuple[pd.Series, pd.Series],
    pair: str,
    unreadable: str,
) -> pd.Series:
    """Why a coordinate pair that was typed in could not be used; <NA> elsewhere.

    `texts`: the two columns as typed; `values`: the same read as numbers (NaN
    where no number could be read). A row gives `unreadable` when a cell holds
    text that is not a number ("51°22'N", "abc"), "only one of `pair` given"
    when the other cell is blank. Blank cells and placeholders ("N/A",
    "unknown") count as not typed in: a row with neither keeps the geocoder's
    "no location given".
    """
    first, second = (~is_blank(t) for t in texts)
    why = pd.Series(pd.NA, index=texts[0].index, dtype="string")
    why[first ^ second] = f"only one of {pair} given"
    why[(first & values[0].isna()) | (second & values[1].isna())] = unreadable
    return why


def _decimals(values: pd.Series) -> pd.Series:
    """Digits after the decimal point of numbers written as text (0 when none)."""
    frac = values.str.extract(r"[.,](\d+)", expand=False)
    return frac.str.len().fillna(0).astype(int)


#: Dates that systems write for "not known": Excel's day 0 (1899-12-30 in its
#: 1900 date system as pandas reads it, 1899-12-31 as some exports write it),
#: its day 1 (1900-01-01) and the Unix epoch (1970-01-01). A row dated one of
#: them is rejected as a placeholder.
PLACEHOLDER_DATES = pd.to_datetime(
    ["1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01"]
)


def _partner(
    table: Table,
    source: str,
    mapping: dict[str, str],
    *,
    agency: str | None,
    sensitivity: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = table.frame
    col = {role: f[c].astype("string").str.strip() for role, c in mapping.items()}
    n = len(f)
    blank = pd.Series("", index=f.index, dtype="string")
    not_data = _not_data_rows(f)

    # when: a date (+ time) gives occurred_at and month; else a month column
    occurred = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    if "date" in col:
        occurred = parse_dates(col["date"])
        if "time" in col:
            occurred = combine_date_time(occurred, parse_times(col["time"]))
    month = occurred.dt.to_period("M")
    if "month" in col:
        month = month.where(month.notna(), parse_months(col["month"]))
    reason = not_data.copy()
    no_when = month.isna() & not_data.isna()
    shown = (
        col.get("date", blank).fillna("") + " " + col.get("month", blank).fillna("")
    ).str.strip()
    reason[no_when] = (
        "no usable date or month: " + shown[no_when].str.slice(0, 40)
    ).str.replace(r": $", ": (blank)", regex=True)
    # a date a system writes for "not known" (Excel's day 0 and 1, the Unix
    # epoch) or one still to come is not when an incident happened
    day = occurred.dt.normalize()
    placeholder = day.isin(PLACEHOLDER_DATES) & reason.isna()
    reason[placeholder] = "placeholder date: " + shown[placeholder].str.slice(0, 40)
    today = pd.Timestamp.now().normalize()
    future = ((day > today) | (month > today.to_period("M"))) & reason.isna()
    reason[future] = "date in the future: " + shown[future].str.slice(0, 40)
    rejected = reason.notna()

    # where: lat/lon, then easting/northing, then grid reference, then postcode
    x = pd.Series(np.nan, index=f.index)
    y = pd.Series(np.nan, index=f.index)
    method = pd.Series("unlocated", index=f.index, dtype="string")
    precision = pd.Series(np.nan, index=f.index)
    why = pd.Series(pd.NA, index=f.index, dtype="string")
    notes: Counter[str] = Counter()

    def take(
        mask: pd.Series, xs: pd.Series, ys: pd.Series, how: str, prec: Any
    ) -> None:
        todo = mask & x.isna()
        x[todo], y[todo] = xs[todo], ys[todo]
        method[todo] = how
        precision[todo] = prec[todo] if isinstance(prec, pd.Series) else prec

    def first_reason(given: pd.Series, r: pd.Series) -> None:
        todo = given & why.isna() & r.notna()
        why[todo] = r[todo]

    if "lat" in col and "lon" in col:
        lon = parse_coordinate(col["lon"])
        lat = parse_coordinate(col["lat"])
        typed = _pair_reason(
            (col["lat"], col["lon"]), (lat, lon), "latitude and longitude",
            "latitude/longitude not in decimal degrees",
        )  # fmt: skip
        lon, lat, swapped = fix_swapped_lonlat(lon, lat)
        notes["lat/lon swapped in the source (fixed)"] += int(swapped.sum())
        lx, ly, lwhy, _ = _from_lonlat(lon, lat)
        lwhy = typed.where(typed.notna(), lwhy)
        given = (col["lat"].fillna("") != "") | (col["lon"].fillna("") != "")
        d = np.minimum(
            _decimals(col["lat"].fillna("")).to_numpy(dtype=float),
            _decimals(col["lon"].fillna("")).to_numpy(dtype=float),
        )
        prec = pd.Series(
            np.maximum(1.0, 111_320.0 * 10.0 ** (-d)),
            index=f.index,
        )
        take(lwhy.isna() & given, lx, ly, "coordinates", prec)
        first_reason(given, lwhy)
    if "easting" in col and "northing" in col:
        ex = pd.to_numeric(col["easting"].str.replace(",", ""), errors="coerce")
        ny = pd.to_numeric(col["northing"].str.replace(",", ""), errors="coerce")
        typed = _pair_reason(
            (col["easting"], col["northing"]), (ex, ny), "easting and northing",
            "easting/northing not a number of metres",
        )  # fmt: skip
        bx, by, bwhy, _ = _from_bng(ex, ny)
        bwhy = typed.where(typed.notna(), bwhy)
        given = (col["easting"].fillna("") != "") | (col["northing"].fillna("") != "")
        take(bwhy.isna() & given, bx, by, "bng", 1.0)
        first_reason(given, bwhy)
    if "gridref" in col:
        g = parse_gridref(col["gridref"])
        given = g["status"] != "no location given"
        ok = g["status"] == "matched"
        take(ok, g["x"], g["y"], "gridref", g["precision_m"])
        first_reason(given, g["status"].where(~ok).astype("string"))
    if "postcode" in col:
        p = lookup_postcodes(col["postcode"], _postcode_table())
        given = p["status"] != "no location given"
        ok = p["status"] == "matched"
        take(ok, p["x"], p["y"], "postcode", p["precision_m"])
        first_reason(given, p["status"].where(~ok).astype("string"))
    # how much: a bad harm weight does not make a row less of an incident; it
    # counts as 1 and the report says how many did
    weight, bad_weight = _harm_weights(col.get("weight"), f.index)
    notes["harm weight not a number of 0 or more (counted as 1)"] += int(
        (bad_weight & ~rejected).sum()
    )
    located = x.notna()
    why = why.where(~located)
    why = why.fillna("no location given").where(~located)

    base = Path(table.name).name
    rows = table.rows.astype(str)
    rows.index = f.index
    fallback = f"{source}:{base}:" + rows
    ids = col["id"].fillna("") if "id" in col else blank
    incident_id = _unique_ids(ids.where(ids != "", fallback).astype(str))
    agency_col = col["agency"].fillna("") if "agency" in col else blank
    agency_val = agency_col.where(agency_col != "", agency or source)
    sens = _sensitivity(col.get("sensitivity"), sensitivity, n, f.index, table.name)
    staged = pd.DataFrame(
        {
            "incident_id": incident_id,
            "source": source,
            "agency": agency_val,
            "month": month,
            "occurred_at": occurred,
            "raw_category": col["category"].fillna("") if "category" in col else blank,
            "location_text": col["location"].fillna("") if "location" in col else blank,
            "x": x,
            "y": y,
            "geocode_method": method,
            "geocode_precision_m": precision.where(located),
            "sensitivity": sens,
            "weight": weight,
            "unlocated_reason": why,
            "batch": f"{source}|{base}",
        },
        index=f.index,
    )
    keep = ~rejected
    table.noted.update({k: v for k, v in notes.items() if v})
    return staged[keep.to_numpy()], _reject(table, rejected, reason)


def _harm_weights(
    column: pd.Series | None, index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """Each row's harm weight, and where the one given is bad (counted as 1).

    A weight is a plain number (``2``, ``0.5``, ``1e3``), finite and 0 or more;
    a blank or bad one (text, a negative or infinite number) is 1, the weight
    of every police.uk incident.
    """
    if column is None:
        return pd.Series(1.0, index=index), pd.Series(False, index=index)
    text = column.fillna("")
    value = pd.to_numeric(text, errors="coerce").astype("float64")
    good = np.isfinite(value) & (value >= 0)
    return value.where(good, 1.0), (text != "") & ~good


def _sensitivity(
    column: pd.Series | None,
    default: str | None,
    n: int,
    index: pd.Index,
    name: str,
) -> pd.Series:
    """Per-row sensitivity: the column's value, else the default (restricted)."""
    fallback = default or "restricted"
    out = pd.Series(fallback, index=index, dtype="string")
    if column is not None:
        given = column.fillna("").str.casefold()
        bad = (given != "") & ~given.isin(SENSITIVITIES)
        if bad.any():
            raise HotspotsError(
                f"{name}: sensitivity must be one of {', '.join(SENSITIVITIES)}; "
                f"found {column[bad].iloc[0]!r}. Fix the column or drop it and use "
                "--sensitivity."
            )
        out = given.where(given != "", fallback)
    return out


def _far_outside(staged: pd.DataFrame) -> pd.Series:
    """Located rows far from, and isolated from, the rest of their file's data."""
    located = staged["x"].notna().to_numpy()
    far = pd.Series(False, index=staged.index)
    if located.sum() < FAR_MIN_ROWS:
        return far
    xy = staged.loc[located, ["x", "y"]].to_numpy()
    d = np.hypot(*(xy - np.median(xy, axis=0)).T)
    candidate = d > max(FAR_FLOOR_M, float(np.percentile(d, 95)))
    if candidate.any():
        # imported here: scipy.spatial is 0.6 s of every dashboard start
        from scipy.spatial import cKDTree

        near = cKDTree(xy).query_ball_point(
            xy[candidate], r=FAR_RADIUS_M, return_length=True
        )
        flags = np.zeros(len(xy), dtype=bool)
        flags[np.flatnonzero(candidate)] = (near - 1) < FAR_NEIGHBOURS
        far[located] = flags
    return far


def _canonical(staged: pd.DataFrame, categories: pd.DataFrame) -> gpd.GeoDataFrame:
    cats = map_categories(staged["raw_category"], categories)
    # exploitation & safeguarding data is safeguarding-sensitive whatever the source says
    sens = staged["sensitivity"].where(
        cats["theme"] != "exploitation & safeguarding", "safeguarding"
    )
    geometry = gpd.GeoSeries.from_xy(staged["x"], staged["y"], crs=WORKING_CRS)
    geometry[staged["x"].isna()] = None
    gdf = gpd.GeoDataFrame(
        staged.drop(columns=["x", "y"]).assign(
            category=cats["category"],
            theme=cats["theme"],
            sensitivity=sens,
        ),
        geometry=geometry,
        crs=WORKING_CRS,
    )
    areas = assign_areas(gdf.set_geometry(gdf.geometry.fillna(_empty_point())))
    gdf = gdf.assign(ward_code=areas["ward_code"], lad_code=areas["lad_code"])
    gdf["geometry"] = gdf.geometry.fillna(_empty_point())
    return normalise_types(gdf[CANONICAL_COLUMNS + EXTRA_COLUMNS])


def _empty_point() -> Any:
    from shapely import Point

    return Point()


def normalise_types(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give the canonical columns their documented dtypes (month: period[M])."""
    text = [
        "incident_id", "source", "agency", "category", "theme", "raw_category",
        "location_text", "geocode_method", "sensitivity", "ward_code", "lad_code",
        "unlocated_reason", "batch",
    ]  # fmt: skip
    out = gdf.astype({c: "string" for c in text if c in gdf})
    out["month"] = out["month"].astype("period[M]")
    out["occurred_at"] = pd.to_datetime(out["occurred_at"]).astype("datetime64[ns]")
    out["geocode_precision_m"] = out["geocode_precision_m"].astype("float64")
    out["weight"] = out["weight"].astype("float64")
    return out.reset_index(drop=True)


def ingest(
    paths: list[str | Path],
    *,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    agency: str | None = None,
    sensitivity: str | None = None,
    categories: pd.DataFrame | None = None,
    covers: str | None = None,
) -> IngestResult:
    """Read files, folders or zips of police.uk or partner data into canonical incidents.

    Parameters
    ----------
    paths
        Files (CSV, XLSX), folders (searched recursively) or zips of them.
    source
        Dataset name; default ``police.uk`` for police.uk files, else the file name.
    mapping
        Column role -> column name, overriding header detection for partner files.
    agency
        Who recorded partner rows with no agency column; default the source name.
    sensitivity
        public, restricted or safeguarding for partner rows with no sensitivity
        column; default restricted. Theme "exploitation & safeguarding" is always
        safeguarding.
    categories
        The category table; default ``data/categories.csv``.
    covers
        The months the partner files cover, ``YYYY-MM..YYYY-MM``, when their
        first or last months had no incident (by default a file covers its
        first to its last incident's month: `hotspots.dates.source_months`).
        Every kept row must fall within it. Kept in ``incidents.attrs["covers"]``
        (batch -> ``[first, last]``), which the store keeps. Not for police.uk
        files, which cover their own month.

    Returns
    -------
    IngestResult
        ``incidents`` (canonical GeoDataFrame, EPSG:27700, unlocated rows with empty
        geometry and an ``unlocated_reason``), ``rejects`` (each rejected row whole,
        with file, row and reason) and ``report`` (counts by reason, per file).
    """
    if sensitivity is not None and sensitivity not in SENSITIVITIES:
        raise HotspotsError(
            f"sensitivity must be one of {', '.join(SENSITIVITIES)}, got {sensitivity!r}."
        )
    span = parse_span(covers) if covers is not None else None
    this_month = pd.Timestamp.now().strftime("%Y-%m")
    if span is not None and span[1] > this_month:
        raise HotspotsError(
            f"The months covered end in {span[1]}, after this month ({this_month}): "
            "a file covers months that have happened; give its last month."
        )
    categories = load_categories() if categories is None else categories
    staged_parts: list[pd.DataFrame] = []
    reject_parts: list[pd.DataFrame] = []
    files: list[dict[str, Any]] = []
    for name, data in iter_files(paths):
        if _is_police_outcomes_or_stops(name):
            files.append({"file": name, "kind": "skipped", "note": "not street crime"})
            continue
        table = read_table(name, data)
        columns = list(table.frame.columns)
        if is_police_uk(columns) and not mapping:
            if span is not None:
                raise HotspotsError(
                    f"{table.name}: a police.uk file covers its own month; give "
                    "--covers for partner files only (ingest them apart)."
                )
            for name_, given, own in (
                ("agency", agency, "the force that reported each row"),
                ("sensitivity", sensitivity, "public: police.uk is published data"),
            ):
                if given is not None:
                    raise HotspotsError(
                        f"{table.name}: a police.uk file gives its own {name_} "
                        f"({own}); give `{name_}` for partner files only (ingest "
                        "them apart)."
                    )
            kind, used = "police.uk", {}
            staged, rejects = _police(table, source or POLICE_UK)
        else:
            kind = "partner"
            used = detect_columns(columns, mapping)
            _require_partner_columns(table.name, columns, used)
            named = source or Path(name).stem
            if named.strip().casefold() == POLICE_UK:
                # its months would count as police.uk's (a change over time
                # across months police.uk lacks would read as real)
                raise HotspotsError(
                    f"{table.name}: '{named}' is the police.uk street files' source "
                    "name; give the partner file a name of its own (--source NAME)."
                )
            staged, rejects = _partner(
                table,
                named,
                used,
                agency=agency,
                sensitivity=sensitivity,
            )
        far = _far_outside(staged)
        staged.loc[far, ["x", "y"]] = np.nan
        staged.loc[far, "geocode_method"] = "unlocated"
        staged.loc[far, "geocode_precision_m"] = np.nan
        staged.loc[far, "unlocated_reason"] = "far outside the area of the data"
        staged_parts.append(staged)
        reject_parts.append(rejects)
        files.append(
            {
                "file": name,
                "kind": kind,
                "columns": used,
                "rows_read": len(table.frame),
                "rows_kept": len(staged),
                "rows_unlocated": int(staged["x"].isna().sum()),
                "rows_rejected": len(rejects),
                # how the file was read, then what happened to kept rows
                "notes": [*table.notes, *(f"{k}: {v}" for k, v in table.noted.items())],
                "read_as": list(table.notes),
                "noted": table.noted,
            }
        )
    if not staged_parts:
        raise HotspotsError("No incident files found among the paths given.")
    staged_all = pd.concat(staged_parts, ignore_index=True)
    if span is not None:
        _check_covers(staged_all, span)
    incidents = _canonical(staged_all, categories)
    if span is not None:
        incidents.attrs[COVERS] = {
            str(b): list(span) for b in pd.unique(staged_all["batch"])
        }
    rejects = (
        pd.concat(reject_parts, ignore_index=True) if reject_parts else pd.DataFrame()
    )
    unlocated = incidents["unlocated_reason"].dropna().value_counts()
    rejected = (
        rejects["reject_reason"].str.replace(r":.*$", "", regex=True).value_counts()
        if len(rejects)
        else pd.Series(dtype=int)
    )
    report: dict[str, Any] = {
        "rows_read": int(sum(f.get("rows_read", 0) for f in files)),
        "rows_kept": len(incidents),
        "rows_unlocated": int(unlocated.sum()),
        "rows_rejected": len(rejects),
        "by_reason": {
            **{str(k): int(v) for k, v in rejected.items()},
            **{str(k): int(v) for k, v in unlocated.items()},
        },
        "rejected_by_reason": {str(k): int(v) for k, v in rejected.items()},
        "unlocated_by_reason": {str(k): int(v) for k, v in unlocated.items()},
        # kept rows changed or counted otherwise (swapped lat/lon fixed, a bad
        # harm weight counted as 1), by what happened
        "noted_by_reason": dict(
            sum((Counter(f.get("noted", {})) for f in files), Counter())
        ),
        # how the kept rows were placed (GEOCODE_METHODS' order), unlocated apart
        "positions_by_method": {
            m: n
            for m in GEOCODE_METHODS[:-1]
            if (n := int((incidents["geocode_method"] == m).sum()))
        },
        "months": {
            str(k): int(v)
            for k, v in incidents["month"]
            .astype(str)
            .value_counts()
            .sort_index()
            .items()
        },
        **({"covers": "..".join(span)} if span is not None else {}),
        "transformation": "OSTN15" if ostn15_available() else "Helmert",
        "files": files,
    }
    assert report["rows_read"] == report["rows_kept"] + report["rows_rejected"]
    return IngestResult(incidents=incidents, rejects=rejects, report=report)


def _check_covers(staged: pd.DataFrame, span: tuple[str, str]) -> None:
    """Refuse kept rows whose month falls outside the months declared covered."""
    month = staged["month"].astype(str)
    outside = sorted(set(month[(month < span[0]) | (month > span[1])]))
    if outside:
        shown = ", ".join(outside[:3]) + (" ..." if len(outside) > 3 else "")
        raise HotspotsError(
            f"The file has incidents in {shown}, outside the months it is said to "
            f"cover ({'..'.join(span)}); widen the months it covers (--covers), or give "
            "none: a file covers its first to its last incident's month."
        )


#: How each geocode method is said in a report.
_POSITIONS_FROM = {
    "coordinates": "from longitude/latitude",
    "bng": "from eastings/northings",
    "gridref": "from OS grid references",
    "postcode": "from postcodes (the postcode's position)",
}


def ingest_positions(report: dict[str, Any]) -> str:
    """How the kept rows were placed, in words ("" when none was).

    From an ingest report: e.g. "2 from longitude/latitude (by OSTN15), 1 from
    postcodes (the postcode's position)". The transformation is named only when
    longitudes and latitudes were transformed.
    """
    parts = []
    for method, n in report.get("positions_by_method", {}).items():
        part = f"{n:,} {_POSITIONS_FROM.get(method, 'by ' + method)}"
        if method == "coordinates":
            part += f" (by {report['transformation']})"
        parts.append(part)
    return ", ".join(parts)


def _is_police_outcomes_or_stops(name: str) -> bool:
    base = Path(name).name.lower()
    return base.endswith(("-outcomes.csv", "-stop-and-search.csv"))


def _require_partner_columns(
    name: str, columns: list[str], used: dict[str, str]
) -> None:
    shown = ", ".join(map(repr, columns[:12])) + (" ..." if len(columns) > 12 else "")
    if "date" not in used and "month" not in used:
        raise HotspotsError(
            f"{name}: no date or month column found among {shown}. Name the column "
            "with --map date=COLUMN (or month=COLUMN)."
        )
    located = (
        {"postcode", "gridref"} & set(used)
        or {"lat", "lon"} <= set(used)
        or {
            "easting",
            "northing",
        }
        <= set(used)
    )
    if not located:
        raise HotspotsError(
            f"{name}: no location columns found among {shown}: need a postcode, a grid "
            "reference, latitude and longitude, or easting and northing. Name them "
            "with --map postcode=COLUMN (or gridref=, lat= and lon=, easting= and "
            "northing=)."
        )
