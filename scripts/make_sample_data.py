"""Generate the synthetic partner samples in data/samples/ (GENERATED: no real people).

Writes, from the raw open data in ../shared/data only:

- ``council-asb-log.csv`` and ``.xlsx``: a Medway Council / Thanet District Council
  anti-social behaviour log, with a known number of messy rows of each kind;
- ``ae-assaults-cardiff.csv``: A&E assault attendances in the Cardiff Model shape;
- ``safeguarding-concerns.csv``: safeguarding concerns, by month and postcode;
- ``README.md``: how they were made and what ingest should do with each messy kind.

Spatial model: every incident is placed at a real police.uk Kent incident position
of related crime types (sampled with replacement, from the same month where police.uk
has that month, restricted to the districts the file covers), jittered by
``JITTER_M`` metres, then written in the file's location form: the nearest OS
Code-Point Open postcode, an OS grid reference or WGS84 latitude/longitude. Hotspots
in the samples therefore follow real incident density.

The output is deterministic (numpy ``default_rng(SEED)``, no timestamps): the same
bytes on every run.

Usage: ``.venv/bin/python scripts/make_sample_data.py [--shared DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from pyproj import Transformer
from scipy.spatial import cKDTree

from hotspots.bundled import KENT_MEDWAY_DISTRICTS

SEED = 20240501
REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = REPO / "data" / "samples"

ASB_CSV = "council-asb-log.csv"
ASB_XLSX = "council-asb-log.xlsx"
AE_CSV = "ae-assaults-cardiff.csv"
SAFEGUARDING_CSV = "safeguarding-concerns.csv"

#: Standard deviation (metres) of the jitter added to each sampled police.uk position.
JITTER_M = 30.0
#: A police.uk position further than this from any Code-Point postcode is not used
#: (it lies outside the BR, CT, DA, ME and TN postcode areas).
MAX_POSTCODE_DISTANCE_M = 1_000.0
POSTCODE_AREAS = ("br", "ct", "da", "me", "tn")
#: Fixed zip member time for the .xlsx, so its bytes do not depend on the clock.
XLSX_TIMESTAMP = (2024, 5, 1, 0, 0, 0)

LAD_NAMES = KENT_MEDWAY_DISTRICTS
MEDWAY, THANET = "E06000035", "E07000114"

TOWNS = {
    "E06000035": ("Chatham", "Gillingham", "Rochester", "Strood"),
    "E07000105": ("Ashford",),
    "E07000106": ("Canterbury", "Herne Bay", "Whitstable"),
    "E07000107": ("Dartford", "Swanscombe"),
    "E07000108": ("Dover", "Deal"),
    "E07000109": ("Gravesend",),
    "E07000110": ("Maidstone",),
    "E07000111": ("Sevenoaks", "Swanley", "Edenbridge"),
    "E07000112": ("Folkestone", "Hythe"),
    "E07000113": ("Sittingbourne", "Sheerness", "Faversham"),
    "E07000114": ("Margate", "Ramsgate", "Broadstairs"),
    "E07000115": ("Tonbridge", "West Malling", "Snodland"),
    "E07000116": ("Tunbridge Wells", "Paddock Wood"),
}

#: police.uk "Location" values that name a kind of place rather than a street.
GENERIC_PLACES = frozenset(
    {
        "Parking Area", "Supermarket", "Shopping Area", "Petrol Station",
        "Sports/Recreation Area", "Hospital", "Police Station", "Park/Open Space",
        "Pedestrian Subway", "Theatre/Concert Hall", "Nightclub", "Prison",
        "Further/Higher Educational Building", "Conference/Exhibition Centre",
        "Bus/Coach Station", "Airport/Airfield", "Hotel/Motel", "Sports Ground",
    }
)  # fmt: skip

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0.",
    "Contains National Statistics data © Crown copyright and database right 2025.",
    "Contains OS data © Crown copyright and database right 2025.",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
)

# --- council ASB log ---------------------------------------------------------------
ASB_ROWS = 3_000  # incident rows, messy ones included (plus 3 non-data rows)
ASB_ROWS_2023 = 240  # late-entered rows from Nov-Dec 2023
ASB_COLUMNS = [
    "Ref", "Date Reported", "Time", "Incident Type", "Location Description",
    "Postcode", "Grid Reference", "Latitude", "Longitude", "Organisation",
    "Reporting Officer Team",
]  # fmt: skip
ASB_CRIME_TYPES = {"Anti-social behaviour": 0.75, "Public order": 0.25}
ASB_CATEGORIES = {
    "Rowdy or nuisance behaviour": 0.30,
    "Noise": 0.14,
    "Fly-tipping": 0.10,
    "Intimidation / harassment": 0.09,
    "Street drinking": 0.08,
    "Vehicle nuisance": 0.08,
    "Graffiti": 0.06,
    "Drug dealing suspected": 0.06,
    "Begging": 0.05,
    "Drug paraphernalia found": 0.04,
}
ASB_UNMAPPED_CATEGORIES = (
    "Dog fouling",
    "Abandoned vehicle",
    "Bonfire / burning waste",
)
ASB_AGENCIES = {MEDWAY: "Medway Council", THANET: "Thanet District Council"}
ASB_TEAMS = (
    "ASB Team", "Community Wardens", "Environmental Enforcement",
    "Community Safety Unit", "Street Scene",
)  # fmt: skip
ASB_PLACES = (
    "{street}", "Outside shops, {street}", "Alleyway off {street}", "Car park, {street}",
    "Bus stop, {street}", "Play area near {street}", "Rear of {street}",
)  # fmt: skip
#: How a clean row gives its location: one form mostly, sometimes two.
ASB_LOCATION_FORMS = {"postcode": 0.50, "latlon": 0.25, "gridref": 0.20, "both": 0.05}
#: How a clean row writes its date: (form, share).
ASB_DATE_FORMS = {"dmy": 0.50, "dmy_hm": 0.25, "iso": 0.15, "d_mon_y": 0.10}
ASB_BLANK_TIME_SHARE = 0.05
#: Figures in a grid reference (4 = 1 km square ... 10 = 1 m) and their shares.
GRIDREF_FIGURES = {4: 0.15, 6: 0.45, 8: 0.30, 10: 0.10}
ASB_HOURS = [2, 1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 3, 4, 4, 4, 5, 6, 7, 7, 7, 7, 6, 5, 4, 3]  # fmt: skip
ASB_WEEKDAYS = [0.9, 0.9, 0.9, 1.0, 1.2, 1.3, 1.1]  # Monday first

# --- A&E assaults (Cardiff Model) ---------------------------------------------------
AE_ROWS = 1_500
AE_COLUMNS = [
    "Attendance ID", "Arrival Date", "Arrival Time", "Incident Date", "Incident Time",
    "Assault Location", "Location Postcode", "Weapon / Body Part Used", "Hospital",
]  # fmt: skip
AE_CRIME_TYPES = {
    "Violence and sexual offences": 0.85,
    "Robbery": 0.08,
    "Possession of weapons": 0.07,
}
AE_WEAPONS = {
    "Fist": 0.38,
    "Feet": 0.12,
    "Body part": 0.10,
    "Blunt object": 0.08,
    "Bottle / glass": 0.07,
    "Knife": 0.07,
    "Other sharp object": 0.03,
    "Firearm": 0.0015,
    "Not known": 0.1385,
}
#: Hospital with an emergency department serving each district: (name, id prefix).
AE_HOSPITALS = {
    "E06000035": ("Medway Maritime Hospital", "MMH"),
    "E07000113": ("Medway Maritime Hospital", "MMH"),
    "E07000114": ("Queen Elizabeth The Queen Mother Hospital (Margate)", "QEQM"),
    "E07000106": ("Queen Elizabeth The Queen Mother Hospital (Margate)", "QEQM"),
    "E07000105": ("William Harvey Hospital (Ashford)", "WHH"),
    "E07000108": ("William Harvey Hospital (Ashford)", "WHH"),
    "E07000112": ("William Harvey Hospital (Ashford)", "WHH"),
    "E07000110": ("Maidstone Hospital", "MGH"),
    "E07000115": ("Maidstone Hospital", "MGH"),
    "E07000107": ("Darent Valley Hospital", "DVH"),
    "E07000109": ("Darent Valley Hospital", "DVH"),
    "E07000111": ("Darent Valley Hospital", "DVH"),
    "E07000116": ("Tunbridge Wells Hospital (Pembury)", "TWH"),
}
AE_PLACES = {
    "Home address": 0.18,
    "Friend's address": 0.05,
    "Street - {street}": 0.20,
    "Outside Wetherspoons, {street}": 0.05,
    "Outside pub, {street}": 0.08,
    "Nightclub, {town}": 0.08,
    "Inside pub, {town}": 0.05,
    "{town} bus station": 0.03,
    "{town} railway station": 0.04,
    "Park": 0.05,
    "Takeaway, {street}": 0.04,
    "Shop, {street}": 0.03,
    "Workplace": 0.03,
    "Prison": 0.01,
    "Not known": 0.08,
}
AE_HOURS = [9, 8, 6, 4, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 4, 4, 5, 6, 8, 10, 11]  # fmt: skip
AE_WEEKDAYS = [0.8, 0.7, 0.7, 0.8, 1.2, 1.9, 1.7]
AE_DELAY_MEDIAN_MIN = 60.0  # minutes from incident to arrival
AE_DELAY_RANGE_MIN = (10, 360)

# --- safeguarding concerns ----------------------------------------------------------
SG_ROWS = 800
SG_COLUMNS = ["Concern Ref", "Month", "Postcode", "Category", "Sensitivity"]
SG_CRIME_TYPES = {
    "Drugs": 0.45,
    "Violence and sexual offences": 0.35,
    "Possession of weapons": 0.20,
}
SG_CATEGORIES = {
    "Missing episode": 0.35,
    "Child criminal exploitation": 0.18,
    "County lines concern": 0.15,
    "Exploitation concern - adult": 0.08,
    "Cuckooing concern": 0.08,
    "Child sexual exploitation": 0.08,
    "Knife possession": 0.08,
}
SG_MONTH_FORMS = ("%Y-%m", "%b %Y")


# ==================================================================================
# open data


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) -> British National Grid (metres)."""
    return _transformer("EPSG:4326", "EPSG:27700").transform(lon, lat)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid (metres) -> WGS84 lon/lat (degrees)."""
    return _transformer("EPSG:27700", "EPSG:4326").transform(x, y)


@dataclass
class OpenData:
    """Code-Point postcodes (with a k-d tree) and police.uk positions in BNG."""

    postcodes: pd.DataFrame  # postcode, easting, northing, lad
    tree: cKDTree
    police: pd.DataFrame  # month, crime_type, street, x, y, lad
    terminated: list[str]  # terminated Medway/Thanet postcodes, not in Code-Point

    def nearest_postcodes(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        _, i = self.tree.query(np.column_stack([x, y]))
        return self.postcodes["postcode"].to_numpy()[i]


def load_postcodes(shared: Path) -> pd.DataFrame:
    folder = shared / "postcodes" / "codepoint-open-2025.2"
    header = pd.read_csv(folder / "Doc" / "Code-Point_Open_Column_Headers.csv")
    names = list(header.iloc[0])  # the second header line holds the long names
    frames = [
        pd.read_csv(folder / f"{area}.csv", header=None, names=names, dtype=str)
        for area in POSTCODE_AREAS
    ]
    cp = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame(
        {
            "postcode": cp["Postcode"].str.strip(),
            "easting": pd.to_numeric(cp["Eastings"]),
            "northing": pd.to_numeric(cp["Northings"]),
            "lad": cp["Admin_district_code"],
        }
    )
    usable = (out["easting"] > 0) & (out["northing"] > 0)
    usable &= pd.to_numeric(cp["Positional_quality_indicator"]) != 90
    return out[usable].sort_values("postcode").reset_index(drop=True)


def load_police(shared: Path, postcodes: pd.DataFrame, tree: cKDTree) -> pd.DataFrame:
    files = sorted((shared / "police-uk" / "kent").glob("*.csv"))
    if not files:
        raise SystemExit(f"{shared}/police-uk/kent: no police.uk CSV files found.")
    columns = ["Month", "Longitude", "Latitude", "Location", "Crime type"]
    raw = pd.concat([pd.read_csv(f, usecols=columns) for f in files], ignore_index=True)
    raw = raw.dropna(subset=["Longitude", "Latitude"]).reset_index(drop=True)
    x, y = to_bng(raw["Longitude"].to_numpy(), raw["Latitude"].to_numpy())
    distance, nearest = tree.query(np.column_stack([x, y]))
    street = raw["Location"].fillna("").str.replace(r"^On or near ?", "", regex=True)
    police = pd.DataFrame(
        {
            "month": raw["Month"],
            "crime_type": raw["Crime type"],
            "street": street.str.strip(),
            "x": x,
            "y": y,
            "lad": postcodes["lad"].to_numpy()[nearest],
        }
    )
    inside = (distance < MAX_POSTCODE_DISTANCE_M) & police["lad"].isin(LAD_NAMES)
    return police[inside.to_numpy()].reset_index(drop=True)


def load_terminated(shared: Path, live: set[str]) -> list[str]:
    name = (
        "PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU__extract_kent_medway_and_BR_CT_DA_ME_TN.csv"
    )
    ons = pd.read_csv(
        shared / "postcodes" / name,
        usecols=["pcds", "doterm", "ladcd"],
        dtype=str,
        encoding="latin-1",
    )
    gone = ons["doterm"].notna() & ons["ladcd"].isin([MEDWAY, THANET])
    return sorted(set(ons.loc[gone, "pcds"]) - live)


def load_open_data(shared: Path) -> OpenData:
    postcodes = load_postcodes(shared)
    tree = cKDTree(postcodes[["easting", "northing"]].to_numpy())
    police = load_police(shared, postcodes, tree)
    terminated = load_terminated(shared, set(postcodes["postcode"]))
    return OpenData(postcodes, tree, police, terminated)


# ==================================================================================
# the spatial and temporal model


def choose(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """Draw `n` keys of `weights` with probability proportional to their values."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(np.array(list(weights)), size=n, p=p / p.sum())


def sample_places(
    data: OpenData,
    rng: np.random.Generator,
    months: np.ndarray,
    crime_types: dict[str, float],
    lads: Sequence[str],
) -> pd.DataFrame:
    """Real police.uk positions of related crime types, jittered: x, y, lad, street.

    Each row takes a crime type by `crime_types` weight, then a position of that
    type from its own month (or from all months where police.uk lacks the month).
    """
    pool = data.police[
        data.police["crime_type"].isin(crime_types) & data.police["lad"].isin(lads)
    ]
    types = choose(rng, crime_types, len(months))
    pool_type = pool["crime_type"].to_numpy()
    pool_month = pool["month"].to_numpy()
    picked = np.empty(len(months), dtype=np.intp)
    for kind, month in sorted(set(zip(types, months, strict=True))):
        rows = np.flatnonzero((types == kind) & (months == month))
        candidates = np.flatnonzero((pool_type == kind) & (pool_month == month))
        if len(candidates) == 0:
            candidates = np.flatnonzero(pool_type == kind)
        picked[rows] = rng.choice(candidates, size=len(rows))
    chosen = pool.iloc[picked].reset_index(drop=True)
    jitter = rng.normal(0.0, JITTER_M, size=(len(months), 2))
    return chosen.assign(x=chosen["x"] + jitter[:, 0], y=chosen["y"] + jitter[:, 1])[
        ["x", "y", "lad", "street"]
    ]


def random_times(
    rng: np.random.Generator,
    first: str,
    last: str,
    n: int,
    hours: Sequence[float],
    weekdays: Sequence[float],
) -> pd.Series:
    """`n` sorted times between two dates, by hour-of-day and day-of-week weights."""
    days = pd.date_range(first, last, freq="D")
    day_w = np.asarray(weekdays, dtype=float)[days.day_of_week]
    hour_w = np.asarray(hours, dtype=float)
    day = rng.choice(len(days), size=n, p=day_w / day_w.sum())
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    minute = rng.integers(0, 60, size=n)
    times = days[day] + pd.to_timedelta(hour * 60 + minute, unit="min")
    return pd.Series(np.sort(times.to_numpy()))


def months_of(times: pd.Series) -> np.ndarray:
    return times.dt.strftime("%Y-%m").to_numpy()


# ==================================================================================
# location forms


GRID_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # A-Z without I, 5 x 5 from the top left


def grid_reference(
    easting: float, northing: float, figures: int, sep: str = " "
) -> str:
    """OS grid reference with `figures` digits (4-10): ``TQ 7570 6820``."""
    e, n = int(easting), int(northing)
    first = (3 - n // 500_000) * 5 + e // 500_000 + 2  # S is the false origin
    second = (4 - (n % 500_000) // 100_000) * 5 + (e % 500_000) // 100_000
    half = figures // 2
    scale = 10 ** (5 - half)
    east = str((e % 100_000) // scale).zfill(half)
    north = str((n % 100_000) // scale).zfill(half)
    return f"{GRID_LETTERS[first]}{GRID_LETTERS[second]}{sep}{east}{sep}{north}"


def messy_gridref(easting: float, northing: float, k: int) -> str:
    """A grid reference as people type it: cycling case, spacing and figures."""
    figures = (4, 6, 8, 10)[k % 4]
    style = k % 5
    sep = " " if style in (0, 3) else ""
    ref = grid_reference(easting, northing, figures, sep)
    if style in (1, 3):
        return ref.lower()
    if style == 4:
        return ref[0] + ref[1].lower() + ref[2:]
    return ref


def messy_postcode(postcode: str, k: int) -> str:
    """A real postcode typed badly but fixably: case, spacing, punctuation."""
    compact = postcode.replace(" ", "")
    outward, inward = postcode.split(" ")
    forms = (
        postcode.lower(),
        compact,
        f" {outward}  {inward} ",
        compact.lower(),
        f"{outward}-{inward}",
        f"{outward.capitalize()} {inward.lower()}",
    )
    return forms[k % len(forms)]


def lonlat_text(lon: float, lat: float, decimals: int) -> tuple[str, str]:
    return f"{lon:.{decimals}f}", f"{lat:.{decimals}f}"


def street_place(street: str, template: str, town: str = "") -> str:
    """Fill a place template with a police.uk street name (or fall back to it)."""
    if not street:
        street = "open space"
    if street in GENERIC_PLACES and "{street}" in template:
        return street
    return template.format(street=street, town=town)


# ==================================================================================
# council ASB log


@dataclass(frozen=True)
class Kind:
    """A kind of messy row: how many, an example and what ingest does with it."""

    name: str
    count: int
    example: str
    outcome: str


@dataclass
class AsbRow:
    """One ASB log row: the cells, the true place and an optional Excel date cell."""

    cells: dict[str, str]
    x: float
    y: float
    postcode: str
    excel_date: dt.datetime | None = None
    excel_date_format: str = ""

    def set_location(
        self, postcode: str = "", gridref: str = "", latlon: tuple[str, ...] = ()
    ) -> None:
        lon, lat = latlon or ("", "")
        self.cells.update(
            {"Postcode": postcode, "Grid Reference": gridref,
             "Latitude": lat, "Longitude": lon}
        )  # fmt: skip


@dataclass(frozen=True)
class AsbContext:
    """What the messy-row makers draw from."""

    unknown_postcodes: list[str]
    terminated_postcodes: list[str]


PLACEHOLDERS = ("N/A", "unknown", "Not known", "n/a", "TBC")
PARTIAL_POSTCODES = ("ME4", "CT9 1", "ME7 2", "CT11")
FAR_AWAY = (  # lon, lat: one row in each city, so each is isolated
    (-2.2426, 53.4808, "Manchester"),
    (-1.5491, 53.8008, "Leeds"),
    (-1.8904, 52.4862, "Birmingham"),
    (-3.1791, 51.4816, "Cardiff"),
)
GARBAGE_DATES = ("TBC", "not recorded", "31/02/2024")
FORMULA_TEXTS = (
    '=HYPERLINK("http://x.invalid","click")',
    "+44 1634 000000 call back",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)
HTML_TEXT = "<script>alert(1)</script>"


def _postcode_typed_badly(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(postcode=messy_postcode(row.postcode, k))


def _gridref_other_format(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(gridref=messy_gridref(row.x, row.y, k))


def _unknown_postcode(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(postcode=ctx.unknown_postcodes[k % len(ctx.unknown_postcodes)])


def _terminated_postcode(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(
        postcode=ctx.terminated_postcodes[k % len(ctx.terminated_postcodes)]
    )


def _partial_postcode(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(postcode=PARTIAL_POSTCODES[k % len(PARTIAL_POSTCODES)])


def _swapped_lonlat(row: AsbRow, k: int, ctx: AsbContext) -> None:
    lon, lat = to_lonlat(np.array([row.x]), np.array([row.y]))
    lon_t, lat_t = lonlat_text(float(lon[0]), float(lat[0]), 6)
    row.set_location(latlon=(lat_t, lon_t))  # latitude typed in the longitude cell


def _zero_coordinates(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location(latlon=("0", "0"))


def _far_away(row: AsbRow, k: int, ctx: AsbContext) -> None:
    lon, lat, _ = FAR_AWAY[k % len(FAR_AWAY)]
    row.set_location(latlon=lonlat_text(lon + 0.001 * k, lat, 6))


def _blank_location(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.set_location()
    row.cells["Location Description"] = ""


def _placeholder_location(row: AsbRow, k: int, ctx: AsbContext) -> None:
    text = PLACEHOLDERS[k % len(PLACEHOLDERS)]
    if k % 2:
        row.set_location(gridref=text)
    else:
        row.set_location(postcode=text)
    row.cells["Location Description"] = "unknown"


def _missing_date(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.cells["Date Reported"] = ""
    row.excel_date = None


def _garbage_date(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.cells["Date Reported"] = GARBAGE_DATES[k % len(GARBAGE_DATES)]
    row.excel_date = None


def _formula_injection(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.cells["Location Description"] = FORMULA_TEXTS[k % len(FORMULA_TEXTS)]
    row.set_location(postcode=row.postcode)


def _html_injection(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.cells["Location Description"] = HTML_TEXT
    row.set_location(postcode=row.postcode)


def _unmapped_category(row: AsbRow, k: int, ctx: AsbContext) -> None:
    row.cells["Incident Type"] = ASB_UNMAPPED_CATEGORIES[
        k % len(ASB_UNMAPPED_CATEGORIES)
    ]


Maker = Callable[[AsbRow, int, AsbContext], None]
KEPT = "kept, located by"
UNLOCATED = "kept, unlocated:"
REJECTED = "rejected:"
ASB_KINDS: tuple[tuple[Kind, Maker], ...] = (
    (Kind("postcode typed badly but fixable", 110, "`me4 4aa`, `ME44AA`, ` ME4  4AA `",
          f"{KEPT} postcode"), _postcode_typed_badly),
    (Kind("grid reference, 4-10 figures, any case and spacing", 50, "`tq7568`, "
          "`TQ 75706 68204`, `tq 757 682`", f"{KEPT} gridref"), _gridref_other_format),
    (Kind("well-formed postcode that does not exist", 8, "`ME7 9ZZ`",
          f"{UNLOCATED} unknown postcode"), _unknown_postcode),
    (Kind("terminated postcode (ONS lookup, not in Code-Point)", 6, "`CT10 1BF`",
          f"{UNLOCATED} unknown postcode"), _terminated_postcode),
    (Kind("partial postcode", 4, "`ME4`, `CT9 1`",
          f"{UNLOCATED} invalid postcode"), _partial_postcode),
    (Kind("latitude and longitude swapped", 10, "Latitude `0.52`, Longitude `51.38`",
          f"{KEPT} coordinates (swap fixed)"), _swapped_lonlat),
    (Kind("(0,0) coordinates", 6, "`0`, `0`",
          f"{UNLOCATED} (0,0) placeholder"), _zero_coordinates),
    (Kind("coordinates far away (Manchester, Leeds, Birmingham, Cardiff)", 4,
          "`53.4808`, `-2.2426`", f"{UNLOCATED} far outside the area of the data"),
     _far_away),
    (Kind("blank location (no postcode, grid ref, coordinates or text)", 10, "",
          f"{UNLOCATED} no location given"), _blank_location),
    (Kind("placeholder location text", 10, "`N/A`, `unknown`, `Not known`, `TBC`",
          f"{UNLOCATED} no location given"), _placeholder_location),
    (Kind("missing date", 3, "", f"{REJECTED} no usable date or month"), _missing_date),
    (Kind("garbage date", 3, "`TBC`, `not recorded`, `31/02/2024`",
          f"{REJECTED} no usable date or month"), _garbage_date),
    (Kind("formula injection in Location Description", 3,
          '`=HYPERLINK("http://x.invalid","click")`, `+44 ...`, `@SUM(...)`',
          f"{KEPT} postcode; text kept verbatim"), _formula_injection),
    (Kind("HTML injection in Location Description", 1, f"`{HTML_TEXT}`",
          f"{KEPT} postcode; text kept verbatim"), _html_injection),
    (Kind("incident type not in data/categories.csv", 45,
          "`Dog fouling`, `Abandoned vehicle`", "kept, located as usual; category "
          "`Other (unmapped)`, theme `other`"), _unmapped_category),
)  # fmt: skip
ASB_NON_DATA = (
    Kind("blank row (all cells empty)", 1, "`,,,,,,,,,,`",
         f"{REJECTED} not a data row: empty"),
    Kind("repeated header row (two exports pasted together)", 1, "",
         f"{REJECTED} not a data row: repeated header"),
    Kind("`Total` line at the end", 1, "`Total,3000,...`",
         f"{REJECTED} not a data row: totals line"),
)  # fmt: skip


def unknown_postcodes(data: OpenData) -> list[str]:
    """Well-formed Medway/Thanet postcodes that Code-Point does not hold."""
    live = set(data.postcodes["postcode"])
    candidates = [
        f"{out} 9{a}{b}"
        for out in ("ME4", "ME7", "CT9", "CT11")
        for a in "ZY"
        for b in "ZYX"
    ]
    return [c for c in candidates if c not in live]


def asb_date_cells(
    rng: np.random.Generator, when: pd.Timestamp
) -> tuple[str, str, dt.datetime | None, str]:
    """Date Reported, Time, the Excel date cell (or None) and its number format."""
    form = choose(rng, ASB_DATE_FORMS, 1)[0]
    hm = when.strftime("%H:%M")
    day = when.to_pydatetime().replace(hour=0, minute=0)
    if form == "dmy":
        time = "" if rng.random() < ASB_BLANK_TIME_SHARE else hm
        return when.strftime("%d/%m/%Y"), time, day, "DD/MM/YYYY"
    if form == "dmy_hm":
        return (
            when.strftime("%d/%m/%Y %H:%M"),
            "",
            when.to_pydatetime(),
            "DD/MM/YYYY HH:MM",
        )
    if form == "iso":
        return when.strftime("%Y-%m-%d"), hm, None, ""
    return when.strftime("%d-%b-%Y"), hm, None, ""


def asb_location(rng: np.random.Generator, row: AsbRow) -> None:
    """Fill a clean row's location cells in one (sometimes two) forms."""
    form = choose(rng, ASB_LOCATION_FORMS, 1)[0]
    lon, lat = to_lonlat(np.array([row.x]), np.array([row.y]))
    latlon = lonlat_text(float(lon[0]), float(lat[0]), int(rng.choice([5, 6])))
    figures = int(choose(rng, {str(k): v for k, v in GRIDREF_FIGURES.items()}, 1)[0])
    if form == "postcode":
        row.set_location(postcode=row.postcode)
    elif form == "gridref":
        row.set_location(gridref=grid_reference(row.x, row.y, figures))
    elif form == "latlon":
        row.set_location(latlon=latlon)
    else:
        row.set_location(postcode=row.postcode, latlon=latlon)


def asb_rows(data: OpenData, rng: np.random.Generator) -> list[AsbRow]:
    """The clean log, in date order, before any messy rows are made."""
    times = pd.concat(
        [
            random_times(rng, "2023-11-01", "2023-12-31", ASB_ROWS_2023, ASB_HOURS,
                         ASB_WEEKDAYS),
            random_times(rng, "2024-01-01", "2024-04-30", ASB_ROWS - ASB_ROWS_2023,
                         ASB_HOURS, ASB_WEEKDAYS),
        ],
        ignore_index=True,
    )  # fmt: skip
    places = sample_places(
        data, rng, months_of(times), ASB_CRIME_TYPES, [MEDWAY, THANET]
    )
    postcodes = data.nearest_postcodes(places["x"].to_numpy(), places["y"].to_numpy())
    categories = choose(rng, ASB_CATEGORIES, ASB_ROWS)
    teams = rng.choice(np.array(ASB_TEAMS), size=ASB_ROWS)
    templates = rng.choice(np.array(ASB_PLACES), size=ASB_ROWS)
    serial: Counter[str] = Counter()
    rows = []
    for i, when in enumerate(times):
        place = places.iloc[i]
        agency = ASB_AGENCIES[place["lad"]]
        serial[agency] += 1
        ref = (
            f"MC/ASB/{when:%y}/{serial[agency]:05d}"
            if place["lad"] == MEDWAY
            else f"TDC-ASB-{serial[agency]:06d}"
        )
        date, time, excel, excel_format = asb_date_cells(rng, when)
        cells = {
            "Ref": ref,
            "Date Reported": date,
            "Time": time,
            "Incident Type": str(categories[i]),
            "Location Description": street_place(place["street"], str(templates[i])),
            "Organisation": agency,
            "Reporting Officer Team": str(teams[i]),
        }
        row = AsbRow(cells, float(place["x"]), float(place["y"]), str(postcodes[i]),
                     excel, excel_format)  # fmt: skip
        asb_location(rng, row)
        rows.append(row)
    return rows


def make_messy(
    rows: list[AsbRow], rng: np.random.Generator, ctx: AsbContext
) -> dict[str, list[str]]:
    """Turn chosen rows into each messy kind; return each kind's row refs."""
    order = rng.permutation(len(rows))
    refs: dict[str, list[str]] = {}
    start = 0
    for kind, maker in ASB_KINDS:
        chosen = sorted(order[start : start + kind.count])
        start += kind.count
        for k, i in enumerate(chosen):
            maker(rows[i], k, ctx)
        refs[kind.name] = [rows[i].cells["Ref"] for i in chosen]
    return refs


def asb_table(rows: list[AsbRow]) -> list[list[str] | AsbRow]:
    """Rows in file order, with the non-data rows: header repeat, blank, total."""
    table: list[list[str] | AsbRow] = list(rows)
    table.insert(len(rows) * 2 // 3, [""] * len(ASB_COLUMNS))
    table.insert(len(rows) // 2, list(ASB_COLUMNS))
    table.append(["Total", str(len(rows))] + [""] * (len(ASB_COLUMNS) - 2))
    return table


def write_csv(path: Path, header: list[str], rows: list[list[str]], bom: bool) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def cells_of(row: list[str] | AsbRow) -> list[str]:
    return row if isinstance(row, list) else [row.cells[c] for c in ASB_COLUMNS]


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def excel_value(column: str, text: str, row: list[str] | AsbRow) -> Any:
    """The typed Excel value of a cell: dates as dates, coordinates as numbers."""
    if isinstance(row, AsbRow):
        if column == "Date Reported" and row.excel_date is not None:
            return row.excel_date
        if column in ("Latitude", "Longitude") and _PLAIN_NUMBER.fullmatch(text):
            return float(text) if "." in text else int(text)
    return text or None


def write_xlsx(path: Path, table: list[list[str] | AsbRow]) -> None:
    """The ASB log as a workbook: real date cells where the export had them."""
    wb = Workbook()
    ws = wb.active
    ws.title = "ASB log"
    ws.append(ASB_COLUMNS)
    for r, row in enumerate(table, start=2):
        for c, (column, text) in enumerate(
            zip(ASB_COLUMNS, cells_of(row), strict=True), 1
        ):
            value = excel_value(column, text, row)
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, dt.datetime) and isinstance(row, AsbRow):
                cell.number_format = row.excel_date_format
    for letter, width in zip("ABCDEFGHIJK", (16, 18, 7, 26, 40, 11, 16, 11, 11, 24, 26),
                             strict=True):  # fmt: skip
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    fixed = dt.datetime(*XLSX_TIMESTAMP)
    wb.properties.creator = "scripts/make_sample_data.py (GENERATED sample)"
    wb.properties.created = wb.properties.modified = fixed
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member times and a fixed core.xml, for stable bytes."""
    out = io.BytesIO()
    stamp = dt.datetime(*XLSX_TIMESTAMP).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(),
                    body,
                )  # fmt: skip
            info = zipfile.ZipInfo(item.filename, date_time=XLSX_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, body)
    return out.getvalue()


def make_asb(data: OpenData, rng: np.random.Generator, out: Path) -> dict[str, int]:
    ctx = AsbContext(unknown_postcodes(data), data.terminated)
    rows = asb_rows(data, rng)
    make_messy(rows, rng, ctx)
    table = asb_table(rows)
    write_csv(out / ASB_CSV, ASB_COLUMNS, [cells_of(r) for r in table], bom=True)
    write_xlsx(out / ASB_XLSX, table)
    return {
        "rows": len(table),
        "agencies": dict(Counter(r.cells["Organisation"] for r in rows)),
    }


# ==================================================================================
# A&E assaults (Cardiff Model)

AE_KINDS = (
    Kind("Location Postcode blank", 90, "", f"{UNLOCATED} no location given"),
    Kind("Location Postcode `unknown` / `Not known`", 40, "`unknown`, `Not known`",
         f"{UNLOCATED} no location given"),
    Kind("postcode typed badly but fixable", 90, "`me7 1ab`, `CT91PD`",
         f"{KEPT} postcode"),
    Kind("Incident Time blank", 60, "", "kept; occurred_at is the date at 00:00"),
)  # fmt: skip
AE_POSTCODE_PLACEHOLDERS = ("unknown", "Not known", "UNKNOWN", "unknown")


def ae_place(template: str, street: str, lad: str, k: int) -> str:
    town = TOWNS[lad][k % len(TOWNS[lad])]
    return street_place(street, template, town)


def ae_postcodes(rng: np.random.Generator, postcodes: np.ndarray) -> list[str]:
    """Postcodes as recorded at triage: some blank, unknown or badly typed."""
    out = [str(p) for p in postcodes]
    blank, unknown, typed = (k.count for k in AE_KINDS[:3])
    order = rng.permutation(len(out))
    for i in order[:blank]:
        out[i] = ""
    for k, i in enumerate(order[blank : blank + unknown]):
        out[i] = AE_POSTCODE_PLACEHOLDERS[k % len(AE_POSTCODE_PLACEHOLDERS)]
    for k, i in enumerate(sorted(order[blank + unknown : blank + unknown + typed])):
        out[i] = messy_postcode(out[i], k)
    return out


def make_ae(data: OpenData, rng: np.random.Generator, out: Path) -> dict[str, int]:
    incident = random_times(
        rng, "2022-01-01", "2024-04-30", AE_ROWS, AE_HOURS, AE_WEEKDAYS
    )
    places = sample_places(
        data, rng, months_of(incident), AE_CRIME_TYPES, list(LAD_NAMES)
    )
    delay = np.clip(rng.lognormal(np.log(AE_DELAY_MEDIAN_MIN), 0.6, AE_ROWS),
                    *AE_DELAY_RANGE_MIN)  # fmt: skip
    arrival = incident + pd.to_timedelta(np.round(delay), unit="min")
    weapons = choose(rng, AE_WEAPONS, AE_ROWS)
    templates = choose(rng, AE_PLACES, AE_ROWS)
    postcodes = ae_postcodes(
        rng, data.nearest_postcodes(places["x"].to_numpy(), places["y"].to_numpy())
    )
    no_time = set(rng.permutation(AE_ROWS)[: AE_KINDS[3].count].tolist())
    order = np.argsort(arrival.to_numpy(), kind="stable")
    serial: Counter[str] = Counter()
    rows = []
    for i in order:
        hospital, code = AE_HOSPITALS[places["lad"].iat[i]]
        serial[code] += 1
        rows.append(
            [
                f"{code}{arrival.iat[i]:%Y}{serial[code]:06d}",
                f"{arrival.iat[i]:%d/%m/%Y}",
                f"{arrival.iat[i]:%H:%M}",
                f"{incident.iat[i]:%d/%m/%Y}",
                "" if i in no_time else f"{incident.iat[i]:%H:%M}",
                ae_place(
                    str(templates[i]), places["street"].iat[i], places["lad"].iat[i], i
                ),
                postcodes[i],
                str(weapons[i]),
                hospital,
            ]
        )
    write_csv(out / AE_CSV, AE_COLUMNS, rows, bom=False)
    return {"rows": len(rows), "firearm": int((weapons == "Firearm").sum())}


# ==================================================================================
# safeguarding concerns

SG_KINDS = (
    Kind("Postcode blank", 12, "", f"{UNLOCATED} no location given"),
    Kind("Postcode `NFA` (no fixed abode)", 8, "", f"{UNLOCATED} no location given"),
    Kind("postcode typed badly but fixable", 30, "`me4 4aa`", f"{KEPT} postcode"),
)  # fmt: skip


def make_safeguarding(
    data: OpenData, rng: np.random.Generator, out: Path
) -> dict[str, int]:
    times = random_times(rng, "2022-01-01", "2024-04-30", SG_ROWS, [1] * 24, [1] * 7)
    places = sample_places(data, rng, months_of(times), SG_CRIME_TYPES, list(LAD_NAMES))
    postcodes = [
        str(p)
        for p in data.nearest_postcodes(places["x"].to_numpy(), places["y"].to_numpy())
    ]
    blank, nfa, typed = (k.count for k in SG_KINDS)
    order = rng.permutation(SG_ROWS)
    for i in order[:blank]:
        postcodes[i] = ""
    for i in order[blank : blank + nfa]:
        postcodes[i] = "NFA"
    for k, i in enumerate(sorted(order[blank + nfa : blank + nfa + typed])):
        postcodes[i] = messy_postcode(postcodes[i], k)
    categories = choose(rng, SG_CATEGORIES, SG_ROWS)
    forms = rng.choice(np.array(SG_MONTH_FORMS), size=SG_ROWS)
    serial: Counter[int] = Counter()
    rows = []
    for i, when in enumerate(times):
        serial[when.year] += 1
        rows.append(
            [
                f"SG-{when.year}-{serial[when.year]:04d}",
                when.strftime(str(forms[i])),
                postcodes[i],
                str(categories[i]),
                "safeguarding",
            ]
        )
    write_csv(out / SAFEGUARDING_CSV, SG_COLUMNS, rows, bom=False)
    return {"rows": len(rows)}


# ==================================================================================
# README


def kinds_table(kinds: Sequence[Kind]) -> list[str]:
    lines = ["| messy kind | rows | example | what ingest does |", "|---|---:|---|---|"]
    lines += [f"| {k.name} | {k.count} | {k.example} | {k.outcome} |" for k in kinds]
    return lines


def expected(kinds: Sequence[Kind], rows_read: int) -> list[str]:
    rejected = sum(k.count for k in kinds if k.outcome.startswith(REJECTED))
    unlocated = sum(k.count for k in kinds if k.outcome.startswith(UNLOCATED))
    return [
        f"Expected on ingest: rows_read {rows_read}, rows_kept {rows_read - rejected}, "
        f"rows_rejected {rejected}, rows_unlocated {unlocated}.",
    ]


def messy_share(kinds: Sequence[Kind], rows: int) -> str:
    messy = sum(k.count for k in kinds)
    return (
        f"{messy} of the {rows} rows ({100 * messy / rows:.1f}%) are messy on purpose:"
    )


def readme(counts: dict[str, dict[str, Any]]) -> str:
    asb_kinds = [k for k, _ in ASB_KINDS] + list(ASB_NON_DATA)
    asb_rows = counts["asb"]["rows"]
    agencies = ", ".join(
        f"{a}: {n}" for a, n in sorted(counts["asb"]["agencies"].items())
    )
    lines = [
        "# GENERATED partner samples: synthetic, NOT real data",
        "",
        "**Every row in these files is GENERATED by `scripts/make_sample_data.py`. No "
        "real person, victim, patient, child or event is described: refs, dates, "
        "times, places and categories are random draws.** The files exist so the "
        "product can be shown and tested with partner-shaped data (a council ASB log, "
        "an A&E Cardiff Model extract, safeguarding concerns), which cannot be shared "
        "openly.",
        "",
        "Regenerate with `make samples`, or `.venv/bin/python "
        "scripts/make_sample_data.py [--shared ../shared/data] [--out data/samples]`. "
        f"The script is deterministic (numpy `default_rng({SEED})`, no timestamps, "
        "fixed times inside the .xlsx): every run writes the same bytes.",
        "",
        "## How the rows are placed",
        "Places follow real incident density, so hotspots in the samples mean "
        "something:",
        "",
        "1. Read the real police.uk Kent street-level crime CSVs (17 months between "
        "2022-01 and 2024-04) and keep the crime types related to the file. ASB log: "
        "Anti-social behaviour, Public order. A&E: Violence and sexual offences, "
        "Robbery, Possession of weapons. Safeguarding: Drugs, Possession of weapons, "
        "Violence and sexual offences.",
        "2. Give each police.uk position the district of its nearest OS Code-Point "
        "Open postcode, and keep the districts the file covers (ASB log: Medway and "
        "Thanet; the others: all 13 Kent and Medway districts).",
        "3. For each generated row draw a crime type, then a real position of that "
        "type from the same month (from any month where police.uk lacks it), with "
        "replacement.",
        f"4. Jitter it by a normal offset of {JITTER_M:.0f} m (standard deviation) "
        "in British National Grid metres.",
        "5. Write it in the file's location form: the nearest Code-Point Open postcode "
        "(scipy cKDTree on eastings/northings), an OS grid reference of 4 to 10 "
        "figures, or WGS84 latitude/longitude to 5-6 decimals (pyproj, EPSG:27700 -> "
        "EPSG:4326).",
        "",
        "Times are drawn by day-of-week and hour-of-day weights (ASB: afternoon and "
        "evening; A&E: night-time and weekend-heavy). Street names in the location "
        "text come from the police.uk `Location` column.",
        "",
        "## `council-asb-log.csv` and `council-asb-log.xlsx`",
        f"A district council ASB log: {asb_rows} rows under the header, that is "
        f"{ASB_ROWS} incidents ({ASB_ROWS_2023} from Nov-Dec 2023, the rest from "
        f"2024-01 to 2024-04) and 3 non-data rows. By organisation: {agencies}. "
        "UTF-8 with a byte-order mark, CRLF line ends. Dates are written `dd/mm/yyyy` "
        "with a separate Time, `dd/mm/yyyy HH:MM`, ISO `2024-03-14` or `14-Mar-2024`. "
        "A clean row gives its place as a postcode (about half), latitude/longitude, a "
        "grid reference, or a postcode and coordinates together (ingest uses the "
        "coordinates first). The `.xlsx` holds the same rows; its `dd/mm/yyyy` dates "
        "are real Excel date cells and its coordinates are numbers.",
        "",
        messy_share(asb_kinds, asb_rows),
        "",
        *kinds_table(asb_kinds),
        "",
        *expected(asb_kinds, asb_rows),
        "",
        "## `ae-assaults-cardiff.csv`",
        f"{counts['ae']['rows']} A&E assault attendances, 2022-01 to 2024-04, in the "
        "shape of the Cardiff Model (Information Sharing to Tackle Violence) minimum "
        "data set: one row per attendance, at the emergency department serving the "
        "incident's district. Every row has an Incident Date: ingest dates the row by "
        "Incident Date and Incident Time, and Arrival Date and Arrival Time are extra "
        "information. Weapon / Body Part Used maps to the product's categories "
        f"(Firearm is very rare: {counts['ae']['firearm']} rows). The location column "
        "is named `Assault Location` so that ingest detects it. Ingest detects "
        "`Attendance ID` as the id and `Hospital` as the agency (each row's emergency "
        "department).",
        "",
        *kinds_table(AE_KINDS),
        "",
        *expected(AE_KINDS, counts["ae"]["rows"]),
        "",
        "## `safeguarding-concerns.csv`",
        f"{counts['sg']['rows']} safeguarding concerns, 2022-01 to 2024-04, by month "
        "(written `2024-03` or `Mar 2024`) and postcode only. `Sensitivity` is "
        "`safeguarding` on every row: these rows are never shown or exported as "
        "points. Ingest detects `Concern Ref` as the id.",
        "",
        *kinds_table(SG_KINDS),
        "",
        *expected(SG_KINDS, counts["sg"]["rows"]),
        "",
        "## `margate-town-centre-pspo.geojson` (drawn by hand, not by this script)",
        "An **illustrative** PSPO boundary for Margate town centre (Thanet): one "
        "polygon of 0.32 km² around the High Street, Queen Street, Marine Drive, "
        "Market Street and the Old Town, drawn for this product from the police.uk "
        "incident positions, with the properties `name`, `note` and `order_start` "
        "(`2022-07`). **It is not a real order**: it exists so the PSPO profile and "
        "the before/after evaluation (`hotspots pspo ...`, the dashboard's *PSPO "
        "evidence* tab) can be shown and tested on the bundled data. GeoJSON "
        "(RFC 7946: WGS84 longitude/latitude, 6 decimals).",
        "",
        "## Open data used to place them (Open Government Licence v3.0)",
        "police.uk street-level crime (Kent Police), OS Code-Point Open 2025.2, and "
        "the ONS postcode lookup (May 2022) for terminated postcodes.",
        "",
        *[f"- {line}" for line in ATTRIBUTION],
        "",
    ]
    return "\n".join(lines)


# ==================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the raw open data folder (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where to write the samples (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if not (args.shared / "police-uk" / "kent").is_dir():
        parser.error(
            f"{args.shared}: not the shared open data folder (no police-uk/kent)."
        )
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_open_data(args.shared)
    rng = np.random.default_rng(SEED)
    counts = {
        "asb": make_asb(data, rng, args.out),
        "ae": make_ae(data, rng, args.out),
        "sg": make_safeguarding(data, rng, args.out),
    }
    (args.out / "README.md").write_text(readme(counts), encoding="utf-8", newline="\n")
    for name in (ASB_CSV, ASB_XLSX, AE_CSV, SAFEGUARDING_CSV, "README.md"):
        size = (args.out / name).stat().st_size
        print(f"wrote {args.out / name} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
