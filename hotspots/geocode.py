"""Read hand-typed locations (postcodes, grid references, coordinates) as BNG metres."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots._validate import HotspotsError
from hotspots.crs import BNG_BOUNDS
from hotspots.dates import _SPACES, _by_unique, _kinds, _require_series

NO_LOCATION = "no location given"
MATCHED = "matched"
#: A well-formed postcode of a postcode area the postcode table holds (``ME``
#: of ``ME1 1AA``), but not in it: made up, mistyped, terminated or too new.
UNKNOWN_POSTCODE = "unknown postcode"
#: A well-formed postcode of an area the postcode table does not hold (the
#: bundled table holds the whole BR, CT, DA, ME and TN postcode areas).
OUTSIDE_POSTCODES = "postcode outside the area of the postcode list"

#: Text that means "no value" in a location column (compared upper-case with spaces
#: and punctuation removed, so "n/a", "N.A." and "not known" all count).
PLACEHOLDERS = frozenset(
    {
        "", "NA", "NONE", "NULL", "NIL", "NAN", "UNKNOWN", "NOTKNOWN", "NK", "TBC",
        "NFA", "NOFIXEDABODE", "NOTGIVEN", "NOTRECORDED", "WITHHELD", "REDACTED",
        "NOPOSTCODE", "NOGRIDREF",
    }
)  # fmt: skip

#: Uncertainty (metres) of a Code-Point Open position, by its positional quality
#: indicator (PQI). A postcode unit covers about 15 addresses (up to 100), so even
#: a position in a building stands for the whole unit: about 100 m in towns.
#:
#: ===  ==============================================================  ========
#: PQI  Meaning (OS Code-Point Open; ONS postcode directory codes 1-9)  metres
#: ===  ==============================================================  ========
#: 10   within the building of the matched address closest to the
#:      postcode mean                                                     100
#: 20   as 10, by visual inspection of maps (Scotland only)               100
#: 30   approximate to within 50 m                                        100
#: 40   postcode unit mean, not snapped to a building                     100
#: 50   estimated from surrounding postcodes (to about 100 m)            1000
#: 60   postcode sector mean (mainly PO boxes)                           1000
#: 90   no coordinates: treated as an unknown postcode                    --
#: ===  ==============================================================  ========
#:
#: Any other value also gets 1000 m.
PQI_PRECISION_M: dict[int, float] = {
    10: 100.0,
    20: 100.0,
    30: 100.0,
    40: 100.0,
    50: 1_000.0,
    60: 1_000.0,
}
_PQI_OTHER_M = 1_000.0
_PQI_NO_COORDINATES = 90
_TABLE_COLUMNS = ("postcode", "easting", "northing", "quality")

# Outward code A9, A99, AA9, AA99, A9A or AA9A; inward code 9AA.
_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"
# The same with letter O typed for the zero that starts the inward code.
_POSTCODE_O_TYPO = r"[A-Z]{1,2}[0-9][A-Z0-9]?O[A-Z]{2}"
_NOT_WORD = r"[\W_]+"

#: OS grid letters: A-Z without I, in a 5 x 5 block read from the top-left.
GRID_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
_GRIDREF = r"[A-HJ-Z]{2}(?:[0-9]{2}){1,5}"


def _grid_squares() -> dict[str, tuple[int, int]]:
    """South-west corner (metres) of each 100 km square inside the BNG extent.

    The first letter picks a 500 km square, with S at the false origin (0, 0); the
    second a 100 km square inside it. Only squares inside 0-700 km east and
    0-1300 km north (the grid's extent) are kept.
    """
    squares = {}
    xmin, ymin, xmax, ymax = BNG_BOUNDS
    for i, first in enumerate(GRID_LETTERS):
        e500 = (i % 5 - 2) * 500_000
        n500 = (3 - i // 5) * 500_000
        for j, second in enumerate(GRID_LETTERS):
            e = e500 + (j % 5) * 100_000
            n = n500 + (4 - j // 5) * 100_000
            if xmin <= e < xmax and ymin <= n < ymax:
                squares[first + second] = (e, n)
    return squares


GRID_SQUARES = _grid_squares()


# --------------------------------------------------------------------------------
# helpers


def _compact_upper(values: pd.Series) -> pd.Series:
    """Text upper-cased with spaces and punctuation removed (NaN stays NaN)."""
    text = values.astype("str").str.upper()
    return text.str.replace(_NOT_WORD, "", regex=True)


def is_blank(values: pd.Series) -> pd.Series:
    """Flag cells that hold nothing: missing, blank, punctuation or a placeholder."""
    compact = _by_unique(values, lambda u: _compact_upper(u).isin(PLACEHOLDERS))
    return compact.fillna(True).astype(bool)


def _as_float(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.astype("float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _same_index(a: pd.Series, b: pd.Series, names: str) -> None:
    if not a.index.equals(b.index):
        raise ValueError(f"{names} must have the same index.")


# --------------------------------------------------------------------------------
# postcodes


def _normalise_unique(u: pd.Series) -> pd.Series:
    compact = _compact_upper(u)
    typo = compact.str.fullmatch(_POSTCODE_O_TYPO)
    if typo.any():
        fixed = compact[typo].str.slice(0, -3) + "0" + compact[typo].str.slice(-2)
        compact[typo] = fixed
    ok = compact.str.fullmatch(_POSTCODE)
    spaced = compact.str.slice(0, -3) + " " + compact.str.slice(-3)
    return spaced.where(ok).astype("string")


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Write each postcode in Code-Point's form (``"ME1 1AA"``), or <NA>.

    Upper-cases, removes spaces and punctuation, then puts one space before the
    last three characters: ``"me11aa"`` -> ``"ME1 1AA"``, ``" me10  1aa "`` ->
    ``"ME10 1AA"``, ``"CT9-1PD"`` -> ``"CT9 1PD"``. The letter O typed for the zero
    that starts the inward code is corrected (``"ME1 OAA"`` -> ``"ME1 0AA"``), and
    only there. The result must have the UK shape (outward A9, A99, AA9, AA99, A9A
    or AA9A; inward 9AA); the letters each position may hold are not checked, as
    the lookup table decides whether a postcode exists. Anything else (blank,
    "N/A", "unknown", a partial "ME1", a number) gives <NA>.

    Parameters
    ----------
    values
        Postcodes as typed.

    Returns
    -------
    Series
        ``string`` dtype, same index and name; <NA> where not a plausible postcode.
    """
    values = _require_series(values)
    return _by_unique(values, _normalise_unique).astype("string")


def lookup_postcodes(values: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    """Locate each postcode at its Code-Point Open position (BNG metres).

    Parameters
    ----------
    values
        Postcodes as typed (normalised here with :func:`normalise_postcode`).
    table
        Code-Point Open rows with columns ``postcode`` (already normalised, e.g.
        ``"ME1 1AA"``), ``easting`` and ``northing`` (BNG metres) and ``quality``
        (the positional quality indicator). Where a postcode repeats, its first
        row is used. Rows with quality 90 or no coordinates count as absent.

    Returns
    -------
    DataFrame
        Same index as `values`, columns ``postcode`` (normalised, <NA> if not a
        postcode), ``x`` and ``y`` (float BNG metres, NaN if not found),
        ``precision_m`` (float metres, from :data:`PQI_PRECISION_M`; NaN if not
        found) and ``status``: ``"matched"``, ``"no location given"`` (blank or a
        placeholder such as "N/A"), ``"invalid postcode"`` (text that is not a
        postcode), ``"unknown postcode"`` (well formed, of a postcode area
        `table` holds, but not in it) or ``OUTSIDE_POSTCODES`` (of an area
        `table` does not hold).
    """
    values = _require_series(values)
    missing = [c for c in _TABLE_COLUMNS if c not in table]
    if missing:
        raise HotspotsError(
            f"The postcode table lacks column(s) {', '.join(missing)}; it needs "
            "postcode, easting, northing and quality (OS Code-Point Open)."
        )
    postcode = normalise_postcode(values)
    known = table.drop_duplicates("postcode")
    easting = pd.to_numeric(known["easting"], errors="coerce").to_numpy(float)
    northing = pd.to_numeric(known["northing"], errors="coerce").to_numpy(float)
    quality = pd.to_numeric(known["quality"], errors="coerce")
    precision = quality.map(PQI_PRECISION_M).fillna(_PQI_OTHER_M).to_numpy(float)
    located = np.isfinite(easting) & np.isfinite(northing)
    located &= ~((easting == 0) & (northing == 0))
    located &= (quality != _PQI_NO_COORDINATES).to_numpy()

    keys = pd.Index(known["postcode"].astype("str"))
    codes, uniques = pd.factorize(postcode, use_na_sentinel=True)
    pos = np.full(len(codes), -1, dtype=np.intp)
    has = codes >= 0
    pos[has] = keys.get_indexer(uniques.astype("str"))[codes[has]]
    found = pos >= 0
    found[found] = located[pos[found]]
    take = np.where(found, pos, 0)

    def pick(column: np.ndarray) -> np.ndarray:
        if len(column) == 0:
            return np.full(len(pos), np.nan)
        return np.where(found, column[take], np.nan)

    not_postcode = postcode.isna().to_numpy()
    blank = np.zeros(len(values), dtype=bool)
    if not_postcode.any():
        blank[not_postcode] = is_blank(values[not_postcode]).to_numpy()
    status = np.select(
        [found, blank, not_postcode],
        [MATCHED, NO_LOCATION, "invalid postcode"],
        default=UNKNOWN_POSTCODE,
    ).astype(object)
    unknown = status == UNKNOWN_POSTCODE
    if unknown.any() and len(keys):
        # a postcode area (the outward code's letters) the table does not hold
        # at all: most likely a real postcode from beyond the area it covers
        held = set(keys.str.extract(r"^([A-Z]+)", expand=False).dropna())
        area = postcode[unknown].str.extract(r"^([A-Z]+)", expand=False)
        status[unknown] = np.where(
            area.isin(held).to_numpy(), UNKNOWN_POSTCODE, OUTSIDE_POSTCODES
        )
    return pd.DataFrame(
        {
            "postcode": postcode,
            "x": pick(easting),
            "y": pick(northing),
            "precision_m": pick(precision),
            "status": pd.Series(status, index=values.index, dtype="string"),
        },
        index=values.index,
    )


# --------------------------------------------------------------------------------
# grid references


def _letter_index() -> np.ndarray:
    index = np.full(256, 0, dtype=np.intp)  # shaped text only holds grid letters
    for i, letter in enumerate(GRID_LETTERS):
        index[ord(letter)] = i
    return index


def _square_origins() -> tuple[np.ndarray, np.ndarray]:
    """25 x 25 arrays (first letter, second letter) of SW corners; NaN outside."""
    east = np.full((25, 25), np.nan)
    north = np.full((25, 25), np.nan)
    for pair, (e, n) in GRID_SQUARES.items():
        i, j = GRID_LETTERS.index(pair[0]), GRID_LETTERS.index(pair[1])
        east[i, j], north[i, j] = e, n
    return east, north


_LETTER_INDEX = _letter_index()
_SQUARE_EAST, _SQUARE_NORTH = _square_origins()


def parse_gridref(values: pd.Series) -> pd.DataFrame:
    """Read OS National Grid references as the centre of the square they name.

    Two letters and 2, 4, 6, 8 or 10 digits (half easting, half northing), with or
    without spaces, any case: ``"TQ 7570 6820"``, ``"tq75706820"``, ``"TQ757682"``,
    ``"TQ 75 68"``. The letters are OS's 500 km and 100 km squares (A-Z without I,
    5 x 5, S at the false origin); pairs outside the grid's extent (0-700 km east,
    0-1300 km north) are invalid. All-digit references are not accepted.

    Parameters
    ----------
    values
        Grid references as typed.

    Returns
    -------
    DataFrame
        Same index as `values`, columns ``x``, ``y`` (float BNG metres: the centre
        of the referenced square, NaN if not read), ``precision_m`` (the square's
        side in metres: 10,000 for 2 digits, 1,000 for 4, 100 for 6, 10 for 8 and
        1 for 10; NaN if not read) and ``status``: ``"matched"``,
        ``"no location given"`` or ``"invalid grid reference"``.
    """
    values = _require_series(values)
    n_rows = len(values)
    text = values.astype("str").str.upper().str.replace(_SPACES, "", regex=True)
    shaped = text.str.fullmatch(_GRIDREF).fillna(False).to_numpy(dtype=bool)
    x = np.full(n_rows, np.nan)
    y = np.full(n_rows, np.nan)
    side = np.full(n_rows, np.nan)
    if shaped.any():
        # shaped text is ASCII and at most 12 characters: work on its bytes
        raw = text[shaped].to_numpy(dtype="S12")
        chars = raw.view(np.uint8).reshape(len(raw), 12)
        half = ((chars != 0).sum(axis=1) - 2) // 2
        first = _LETTER_INDEX[chars[:, 0]]
        second = _LETTER_INDEX[chars[:, 1]]
        e0 = _SQUARE_EAST[first, second]
        n0 = _SQUARE_NORTH[first, second]
        digits = chars[:, 2:].astype(np.int64) - ord("0")
        sx = np.full(len(raw), np.nan)
        sy = np.full(len(raw), np.nan)
        ss = np.full(len(raw), np.nan)
        for k in range(1, 6):
            rows = half == k
            size = 10.0 ** (5 - k)
            weights = 10 ** np.arange(k - 1, -1, -1)
            sx[rows] = e0[rows] + (digits[rows, :k] @ weights) * size + size / 2
            sy[rows] = n0[rows] + (digits[rows, k : 2 * k] @ weights) * size + size / 2
            ss[rows] = size
        ss[np.isnan(sx)] = np.nan
        x[shaped], y[shaped], side[shaped] = sx, sy, ss
    ok = ~np.isnan(x)
    blank = np.zeros(n_rows, dtype=bool)
    if not ok.all():
        blank[~ok] = is_blank(values[~ok]).to_numpy()
    status = np.select(
        [ok, blank], [MATCHED, NO_LOCATION], default="invalid grid reference"
    )
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "precision_m": side,
            "status": pd.Series(status, index=values.index, dtype="string"),
        },
        index=values.index,
    )


# --------------------------------------------------------------------------------
# coordinates

#: A hand-typed decimal coordinate: optional hemisphere letter before or after,
#: optional sign, decimal point or (one) decimal comma, optional degree sign.
_COORDINATE = (
    r"^(?P<lead>[NSEW])? ?(?P<num>[-+]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+))"
    r" ?(?:°|º|˚|DEG(?:REES?|S)?)? ?(?P<trail>[NSEW])?$"
)


_PLAIN_NUMBER = r"-?[0-9]{1,3}(?:\.[0-9]+)?"


def _parse_coordinate_unique(u: pd.Series) -> pd.Series:
    out = pd.Series(np.nan, index=u.index)
    if len(u) == 0:
        return out
    kind = _kinds(u)
    number = kind == "number"
    if number.any():
        out[number] = pd.to_numeric(u[number], errors="coerce").astype("float64")
    text = u.index[kind == "text"]
    if len(text):
        clean = u[text].astype("str").str.strip().str.upper()
        plain = clean.str.fullmatch(_PLAIN_NUMBER)
        out[clean.index[plain]] = pd.to_numeric(clean[plain]).astype("float64")
        rest = clean[~plain].str.replace("\u2212", "-", regex=False)  # Unicode minus
        if len(rest):
            parts = rest.str.extract(_COORDINATE)
            digits = parts["num"].str.replace(",", ".", regex=False)
            value = pd.to_numeric(digits, errors="coerce").astype("float64")
            hemisphere = parts["trail"].fillna(parts["lead"])
            southwest = hemisphere.isin(["S", "W"]).to_numpy()
            out[rest.index] = np.where(southwest, -value.abs(), value)
    return out


def parse_coordinate(values: pd.Series) -> pd.Series:
    """Read decimal degrees written by hand: ``"51.38"``, ``"0.5234W"``, ``"N51.38"``.

    Accepted: a decimal number with a point or one decimal comma (``" 51,38 "``),
    optionally signed, optionally with a degree sign (``"51.38°"``) and a hemisphere
    letter before or after (``"N51.38"``, ``"0.5234 W"``; S and W make it negative).
    Numbers pass through. Anything else (blank, degrees-minutes-seconds, thousands
    separators, exponents) gives NaN.

    Parameters
    ----------
    values
        Longitudes or latitudes as typed, in degrees.

    Returns
    -------
    Series
        float64 degrees, same index and name; NaN where no number could be read.
    """
    values = _require_series(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(np.nan, index=values.index, name=values.name)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    return _by_unique(values, _parse_coordinate_unique).astype("float64")


def fix_swapped_lonlat(
    lon: pd.Series, lat: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Swap longitude and latitude back on rows where they were entered the wrong way.

    A row is swapped when its "latitude" looks like a longitude in or near Great
    Britain (-9 to 3 degrees) and its "longitude" like a latitude there (49 to 61
    degrees). The two ranges do not overlap, so correct rows are never swapped.
    Every other row is left as is.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (numbers; parse text with
        :func:`parse_coordinate` first), with the same index.

    Returns
    -------
    tuple of Series
        ``(lon, lat, swapped)``: float64 degrees, and a bool mask of the rows
        swapped; all with the input index.
    """
    lon = _require_series(lon, "lon")
    lat = _require_series(lat, "lat")
    _same_index(lon, lat, "`lon` and `lat`")
    x = _as_float(lon)
    y = _as_float(lat)
    swapped = x.between(49.0, 61.0) & y.between(-9.0, 3.0)
    new_lon = pd.Series(x.where(~swapped, y), index=lon.index, name=lon.name)
    new_lat = pd.Series(y.where(~swapped, x), index=lat.index, name=lat.name)
    return new_lon, new_lat, pd.Series(swapped, dtype=bool, name="swapped")


def _reasons(
    index: pd.Index, conditions: list[pd.Series], reasons: list[str]
) -> pd.Series:
    """Give each row the first reason whose condition holds, else <NA>."""
    out = pd.Series(pd.NA, index=index, dtype="string")
    for condition, reason in zip(reversed(conditions), reversed(reasons), strict=True):
        out[condition.to_numpy(dtype=bool)] = reason
    return out


def classify_lonlat(lon: pd.Series, lat: pd.Series) -> pd.Series:
    """Say why each longitude/latitude pair cannot be used, or <NA> if it can.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (numbers), with the same index.

    Returns
    -------
    Series
        ``string`` dtype, same index: ``"no location given"`` (either missing),
        ``"(0,0) placeholder"`` (both exactly 0), ``"not a valid
        longitude/latitude"`` (abs(lat) > 90 or abs(lon) > 180, or infinite), else
        <NA>. Whether the point lies in Great Britain is for the transformation to
        say (:func:`hotspots.crs.lonlat_to_bng`).
    """
    lon = _require_series(lon, "lon")
    lat = _require_series(lat, "lat")
    _same_index(lon, lat, "`lon` and `lat`")
    x = _as_float(lon)
    y = _as_float(lat)
    return _reasons(
        lon.index,
        [x.isna() | y.isna(), (x == 0) & (y == 0), (y.abs() > 90) | (x.abs() > 180)],
        [NO_LOCATION, "(0,0) placeholder", "not a valid longitude/latitude"],
    )


def classify_bng(x: pd.Series, y: pd.Series) -> pd.Series:
    """Say why each easting/northing pair cannot be used, or <NA> if it can.

    Parameters
    ----------
    x, y
        Eastings and northings in British National Grid metres (numbers), with the
        same index.

    Returns
    -------
    Series
        ``string`` dtype, same index: ``"no location given"`` (either missing),
        ``"(0,0) placeholder"`` (both exactly 0), ``"outside Great Britain"``
        (outside :data:`hotspots.crs.BNG_BOUNDS`, 0-700 km east and 0-1300 km
        north, edges included), else <NA>.
    """
    x = _require_series(x, "x")
    y = _require_series(y, "y")
    _same_index(x, y, "`x` and `y`")
    e = _as_float(x)
    n = _as_float(y)
    xmin, ymin, xmax, ymax = BNG_BOUNDS
    inside = e.between(xmin, xmax) & n.between(ymin, ymax)
    return _reasons(
        x.index,
        [e.isna() | n.isna(), (e == 0) & (n == 0), ~inside],
        [NO_LOCATION, "(0,0) placeholder", "outside Great Britain"],
    )
