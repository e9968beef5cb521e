"""Tests for hotspots.geocode: postcodes, grid references and coordinates as typed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots._validate import HotspotsError
from hotspots.geocode import (
    GRID_SQUARES,
    classify_bng,
    classify_lonlat,
    fix_swapped_lonlat,
    lookup_postcodes,
    normalise_postcode,
    parse_coordinate,
    parse_gridref,
)

LONG = "x" * 10_000
NA = pd.NA

#: A small Code-Point-like table (made up positions in Kent).
TABLE = pd.DataFrame(
    {
        "postcode": [
            "ME1 1AA",
            "ME10 1AA",
            "CT9 1PD",
            "ME1 0AA",
            "TN23 1AA",
            "ME1 1AA",
            "DA1 1AA",
            "BR1 1AA",
            "CT1 1AA",
        ],
        "easting": [574570, 590000, 635000, 574000, 601000, 1, 555000, 540000, 615000],
        "northing": [168212, 164000, 170000, 168000, 142000, 1, 174000, 169000, 157000],
        "quality": [10, 50, 60, 20, 30, 10, 40, 90, 77],
    }
)


def xy_of(frame: pd.DataFrame) -> list[tuple[float, float]]:
    return list(zip(frame["x"], frame["y"], strict=True))


# ================================================================================
# inputs: bad values never raise; they come back as NA with a readable status

BAD_TEXT = ["=1+1", '=HYPERLINK("x")', LONG, "ünïcødé", "日本語", "ME1 1AA; DROP"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "N/A",
        "n/a",
        "unknown",
        "ME1",
        "ME1 1",
        "1AA",
        "ME1 1A",
        "ME1 1AAA",
        "MEO 1AA",
        "ME1 1A1",
        "12345",
        "ME1 1AA (rear)",
        "ME1 1AA ME2 2BB",
        None,
        np.nan,
        45730,
        1.5,
        True,
        *BAD_TEXT,
    ],
)
def test_normalise_postcode_rejects(value):
    out = normalise_postcode(pd.Series([value], dtype=object))
    assert out.isna().all()
    assert out.dtype == "string"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("", "no location given"),
        ("   ", "no location given"),
        (None, "no location given"),
        (np.nan, "no location given"),
        ("N/A", "no location given"),
        ("unknown", "no location given"),
        ("-", "no location given"),
        ("\x00", "no location given"),
        ("ME1", "invalid postcode"),
        (45730, "invalid postcode"),
        # an area the table holds: made up, mistyped, terminated or too new
        ("ME1 9ZZ", "unknown postcode"),
        ("ME99 9ZZ", "unknown postcode"),
        ("BR1 1AA", "unknown postcode"),  # quality 90: no coordinates
        # an area the table does not hold: a postcode from beyond it
        ("SW1A 1AA", "postcode outside the area of the postcode list"),
        ("rh1 1aa", "postcode outside the area of the postcode list"),
        ("M1 1AE", "postcode outside the area of the postcode list"),
        *[(v, "invalid postcode") for v in BAD_TEXT],
    ],
)
def test_lookup_postcodes_statuses_for_bad_input(value, status):
    out = lookup_postcodes(pd.Series([value], dtype=object), TABLE)
    assert out["status"].tolist() == [status]
    assert out[["x", "y", "precision_m"]].isna().all(axis=None)


def test_lookup_postcodes_needs_table_columns():
    with pytest.raises(HotspotsError, match="easting, northing"):
        lookup_postcodes(pd.Series(["ME1 1AA"]), TABLE[["postcode", "quality"]])


def test_lookup_postcodes_empty_table_and_input():
    out = lookup_postcodes(pd.Series(["ME1 1AA", ""]), TABLE.iloc[:0])
    assert out["status"].tolist() == ["unknown postcode", "no location given"]
    empty = lookup_postcodes(pd.Series([], dtype="str"), TABLE)
    assert empty.empty
    assert list(empty.columns) == ["postcode", "x", "y", "precision_m", "status"]


@pytest.mark.parametrize(
    "value",
    [
        "TQ",
        "TQ1",
        "TQ123",
        "TQ 123 4567",
        "TQ12345678901",
        "TQ123456789012",
        "IQ 12 12",
        "AA 12 12",
        "ZZ 12 12",
        "JA 12 12",
        "T Q 12 12 x",
        "757000 168000",
        "1234",
        "TQ 75.7 68.2",
        "Q7568",
        "TQ-7568x",
        7568,
        1.5,
        *BAD_TEXT,
    ],
)
def test_parse_gridref_invalid(value):
    out = parse_gridref(pd.Series([value], dtype=object))
    assert out["status"].tolist() == ["invalid grid reference"]
    assert out[["x", "y", "precision_m"]].isna().all(axis=None)


@pytest.mark.parametrize(
    "value", ["", "  ", None, np.nan, "N/A", "unknown", "-", "\x00", "\t\n"]
)
def test_parse_gridref_blank(value):
    out = parse_gridref(pd.Series([value], dtype=object))
    assert out["status"].tolist() == ["no location given"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        None,
        "abc",
        "1,234.5",
        "51°22'48\"N",
        "51.38.1",
        "1e5",
        "inf",
        "nan",
        "N",
        "51,38,1",
        "--5",
        "51.38 X",
        True,
        *BAD_TEXT,
    ],
)
def test_parse_coordinate_rejects(value):
    out = parse_coordinate(pd.Series([value], dtype=object))
    assert np.isnan(out.iloc[0])
    assert out.dtype == "float64"


@pytest.mark.parametrize("func", [normalise_postcode, parse_coordinate, parse_gridref])
def test_rejects_non_series(func):
    with pytest.raises(TypeError, match="pandas Series"):
        func(["ME1 1AA"])


@pytest.mark.parametrize("func", [fix_swapped_lonlat, classify_lonlat, classify_bng])
def test_pairs_need_same_index(func):
    with pytest.raises(ValueError, match="same index"):
        func(pd.Series([1.0], index=[0]), pd.Series([1.0], index=[1]))


# ================================================================================
# outputs: exact values, dtypes, index kept, input untouched

# ---- postcodes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("me11aa", "ME1 1AA"),
        (" me10  1aa ", "ME10 1AA"),
        ("CT9-1PD", "CT9 1PD"),
        ("tn23 1aa", "TN23 1AA"),
        ("ME1 1AA", "ME1 1AA"),
        ("ME1 1AA.", "ME1 1AA"),
        ("ME11AA\n", "ME1 1AA"),
        ("me1\xa01aa", "ME1 1AA"),
        ("M1 1AA", "M1 1AA"),  # A9
        ("M60 1NW", "M60 1NW"),  # A99
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("W1A 1HQ", "W1A 1HQ"),  # A9A
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A
        ("ec1a1bb", "EC1A 1BB"),
        ("ME1 OAA", "ME1 0AA"),  # letter O typed for the zero of the inward code
        ("me1oaa", "ME1 0AA"),
        ("ME1 1OA", "ME1 1OA"),  # O in a letter position is kept
    ],
)
def test_normalise_postcode_values(value, expected):
    assert normalise_postcode(pd.Series([value])).tolist() == [expected]


def test_normalise_postcode_dtype_index_and_input_untouched():
    values = pd.Series(
        ["me11aa", None, "junk", "ME1 1AA"], index=[7, 5, 3, 1], name="PC"
    )
    before = values.copy()
    out = normalise_postcode(values)
    assert out.dtype == "string"
    assert out.index.equals(values.index)
    assert out.name == "PC"
    assert out.tolist() == ["ME1 1AA", NA, NA, "ME1 1AA"]
    pd.testing.assert_series_equal(values, before)


def test_lookup_postcodes_small_table():
    values = pd.Series(
        [
            "me11aa",
            "ME10 1AA",
            "ct9-1pd",
            "ME1 OAA",
            "tn23 1aa",
            "DA1 1AA",
            "CT1 1AA",
            "",
            "ME1",
            "SW1A 1AA",
            "BR1 1AA",
        ],
        index=range(100, 89, -1),
    )
    table_before = TABLE.copy()
    values_before = values.copy()
    out = lookup_postcodes(values, TABLE)
    assert list(out.columns) == ["postcode", "x", "y", "precision_m", "status"]
    assert out.index.equals(values.index)
    assert out["postcode"].dtype == "string"
    assert out["status"].dtype == "string"
    assert out[["x", "y", "precision_m"]].dtypes.eq("float64").all()
    assert out["status"].tolist() == ["matched"] * 7 + [
        "no location given",
        "invalid postcode",
        "postcode outside the area of the postcode list",
        "unknown postcode",
    ]
    assert out["postcode"].tolist()[:7] == [
        "ME1 1AA",
        "ME10 1AA",
        "CT9 1PD",
        "ME1 0AA",
        "TN23 1AA",
        "DA1 1AA",
        "CT1 1AA",
    ]
    # the first of a repeated postcode's rows is used
    assert xy_of(out.iloc[:7]) == [
        (574570.0, 168212.0),
        (590000.0, 164000.0),
        (635000.0, 170000.0),
        (574000.0, 168000.0),
        (601000.0, 142000.0),
        (555000.0, 174000.0),
        (615000.0, 157000.0),
    ]
    # PQI 10, 50, 60, 20, 30, 40 and an unknown code 77
    assert out["precision_m"].tolist()[:7] == [100, 1000, 1000, 100, 100, 100, 1000]
    assert out.iloc[7:][["x", "y", "precision_m"]].isna().all(axis=None)
    pd.testing.assert_frame_equal(TABLE, table_before)
    pd.testing.assert_series_equal(values, values_before)


def test_lookup_postcodes_repeated_inputs():
    values = pd.Series(["ME1 1AA", "me11aa", "ME1 1AA", None] * 500)
    out = lookup_postcodes(values, TABLE)
    assert (out["status"] == "matched").sum() == 1500
    assert set(out.loc[out["status"] == "matched", "x"]) == {574570.0}


# ---- grid references

# (reference, SW corner of the square (easting, northing), side in metres), worked out
# by hand from OS's letter scheme: S = (0, 0) 500 km square, T east of it, N north of
# it, H north of N; second letter A-E top row ... V-Z bottom row of 100 km squares.
GRIDREFS = [
    ("TQ 30 80", (530_000, 180_000), 1_000),  # central London
    ("NT 25 73", (325_000, 673_000), 1_000),  # Edinburgh
    ("SV 90 10", (90_000, 10_000), 1_000),  # Isles of Scilly
    ("TR 37 70", (637_000, 170_000), 1_000),  # Margate area
    ("TQ 7570 6820", (575_700, 168_200), 10),
    ("tq75706820", (575_700, 168_200), 10),
    ("TR 3705 7073", (637_050, 170_730), 10),
    ("TQ757682", (575_700, 168_200), 100),
    ("TQ 75 68", (575_000, 168_000), 1_000),
    ("tq7568", (575_000, 168_000), 1_000),
    ("TQ 7 6", (570_000, 160_000), 10_000),
    ("TQ 75704 68205", (575_704, 168_205), 1),
    ("  tq 757 682  ", (575_700, 168_200), 100),
    ("HP 60 10", (460_000, 1_210_000), 1_000),  # Unst, Shetland
    ("NN 16 71", (216_000, 771_000), 1_000),  # Ben Nevis
    ("SH 60 54", (260_000, 354_000), 1_000),  # Snowdon
    ("TA 00 00", (500_000, 400_000), 1_000),
    ("TG 00 00", (600_000, 300_000), 1_000),
    ("NA 00 00", (0, 900_000), 1_000),
]


@pytest.mark.parametrize(("ref", "corner", "side"), GRIDREFS)
def test_parse_gridref_known_squares(ref, corner, side):
    out = parse_gridref(pd.Series([ref]))
    assert out["status"].tolist() == ["matched"]
    assert out["precision_m"].tolist() == [float(side)]
    centre = (corner[0] + side / 2, corner[1] + side / 2)
    assert xy_of(out) == [centre]


def _reference(easting: int, northing: int, digits: int) -> str:
    """Independent encoder (the usual published algorithm), for a cross-check."""
    e100k, n100k = easting // 100_000, northing // 100_000
    l1 = (19 - n100k) - (19 - n100k) % 5 + (e100k + 10) // 5
    l2 = (19 - n100k) * 5 % 25 + e100k % 5
    letters = "".join(chr(ord("A") + v + (v > 7)) for v in (l1, l2))  # skip I
    k = digits // 2
    e = str(easting % 100_000).zfill(5)[:k]
    n = str(northing % 100_000).zfill(5)[:k]
    return f"{letters} {e} {n}"


@pytest.mark.parametrize("digits", [2, 4, 6, 8, 10])
def test_parse_gridref_cross_check_random_points(digits):
    rng = np.random.default_rng(digits)
    east = rng.integers(0, 700_000, 500)
    north = rng.integers(0, 1_300_000, 500)
    refs = pd.Series(
        [_reference(e, n, digits) for e, n in zip(east, north, strict=True)]
    )
    out = parse_gridref(refs)
    assert (out["status"] == "matched").all()
    side = 10.0 ** (5 - digits // 2)
    assert (out["precision_m"] == side).all()
    np.testing.assert_array_equal(out["x"], east // side * side + side / 2)
    np.testing.assert_array_equal(out["y"], north // side * side + side / 2)


def test_grid_squares_cover_exactly_the_bng_extent():
    # 7 x 13 squares of 100 km, each once, corners on the 100 km lattice
    assert len(GRID_SQUARES) == 7 * 13
    assert set(GRID_SQUARES.values()) == {
        (e * 100_000, n * 100_000) for e in range(7) for n in range(13)
    }
    assert GRID_SQUARES["SV"] == (0, 0)
    assert GRID_SQUARES["TQ"] == (500_000, 100_000)


def test_parse_gridref_dtypes_index_and_input_untouched():
    values = pd.Series(
        ["TQ 7570 6820", "", "junk", None], index=list("wxyz"), name="NGR"
    )
    before = values.copy()
    out = parse_gridref(values)
    assert list(out.columns) == ["x", "y", "precision_m", "status"]
    assert out.index.equals(values.index)
    assert out[["x", "y", "precision_m"]].dtypes.eq("float64").all()
    assert out["status"].dtype == "string"
    assert out["status"].tolist() == [
        "matched",
        "no location given",
        "invalid grid reference",
        "no location given",
    ]
    pd.testing.assert_series_equal(values, before)


# ---- coordinates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("51.38", 51.38),
        (" 51,38 ", 51.38),
        ("0.5234W", -0.5234),
        ("0.5234 W", -0.5234),
        ("0.5234 w", -0.5234),
        ("W0.5234", -0.5234),
        ("0.5234E", 0.5234),
        ("N51.38", 51.38),
        ("51.38N", 51.38),
        ("51.38°", 51.38),
        ("51.38° N", 51.38),
        ("51.38 deg", 51.38),
        ("S 12.5", -12.5),
        ("-0.52", -0.52),
        ("\u22120.52", -0.52),  # Unicode minus sign
        ("+1.25", 1.25),
        ("-0.52W", -0.52),
        (".5", 0.5),
        ("51", 51.0),
        ("0", 0.0),
        (51.38, 51.38),
        (1e-05, 1e-05),
        (0, 0.0),
    ],
)
def test_parse_coordinate_values(value, expected):
    out = parse_coordinate(pd.Series([value], dtype=object))
    assert out.tolist() == [pytest.approx(expected)]


def test_parse_coordinate_dtype_index_and_input_untouched():
    values = pd.Series(["51.38", None, "0.5W"], index=[2, 1, 0], name="Lat")
    before = values.copy()
    out = parse_coordinate(values)
    assert out.dtype == "float64"
    assert out.index.equals(values.index)
    assert out.name == "Lat"
    assert out[2] == 51.38
    assert np.isnan(out[1])
    assert out[0] == -0.5
    pd.testing.assert_series_equal(values, before)
    numbers = pd.Series([51.38, np.nan], index=[5, 6])
    pd.testing.assert_series_equal(parse_coordinate(numbers), numbers)


def test_fix_swapped_lonlat_on_a_mix():
    index = pd.Index(list("abcdefgh"))
    lon = pd.Series([0.52, 51.38, np.nan, 0.0, 200.0, 51.0, -1.0, 60.0], index=index)
    lat = pd.Series([51.38, 0.52, 51.0, 0.0, 10.0, 52.0, 55.0, -8.5], index=index)
    before = lon.copy(), lat.copy()
    new_lon, new_lat, swapped = fix_swapped_lonlat(lon, lat)
    assert swapped.tolist() == [False, True, False, False, False, False, False, True]
    assert swapped.dtype == bool
    np.testing.assert_array_equal(
        new_lon, [0.52, 0.52, np.nan, 0.0, 200.0, 51.0, -1.0, -8.5]
    )
    np.testing.assert_array_equal(
        new_lat, [51.38, 51.38, 51.0, 0.0, 10.0, 52.0, 55.0, 60.0]
    )
    for s in (new_lon, new_lat, swapped):
        assert s.index.equals(index)
    pd.testing.assert_series_equal(lon, before[0])
    pd.testing.assert_series_equal(lat, before[1])


@pytest.mark.parametrize(
    ("lon", "lat", "reason"),
    [
        (0.52, 51.38, NA),
        (-180.0, 90.0, NA),
        (np.nan, 51.38, "no location given"),
        (0.52, np.nan, "no location given"),
        (np.nan, np.nan, "no location given"),
        (0.0, 0.0, "(0,0) placeholder"),
        (0.0, 51.38, NA),
        (0.52, 91.0, "not a valid longitude/latitude"),
        (181.0, 51.0, "not a valid longitude/latitude"),
        (np.inf, 51.0, "not a valid longitude/latitude"),
    ],
)
def test_classify_lonlat(lon, lat, reason):
    out = classify_lonlat(pd.Series([lon]), pd.Series([lat]))
    assert out.dtype == "string"
    assert out.tolist() == [reason]


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        (575_000.0, 168_000.0, NA),
        (0.0, 1.0, NA),
        (700_000.0, 1_300_000.0, NA),
        (np.nan, 168_000.0, "no location given"),
        (0.0, 0.0, "(0,0) placeholder"),
        (-5.0, 168_000.0, "outside Great Britain"),
        (700_001.0, 168_000.0, "outside Great Britain"),
        (575_000.0, 1_300_001.0, "outside Great Britain"),
        (5_750_000.0, 1_680_000.0, "outside Great Britain"),
    ],
)
def test_classify_bng(x, y, reason):
    out = classify_bng(pd.Series([x]), pd.Series([y]))
    assert out.dtype == "string"
    assert out.tolist() == [reason]


def test_classify_keeps_index():
    index = pd.Index([10, 5])
    out = classify_lonlat(
        pd.Series([0.0, 1.0], index=index), pd.Series([0.0, 51.0], index=index)
    )
    assert out.index.equals(index)
    assert out.tolist() == ["(0,0) placeholder", NA]
