"""Hot spot trends: Mann-Kendall by hand and against scipy; patterns by construction."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from hotspots._validate import HotspotsError
from hotspots.trends import (
    PATTERNS,
    classify_hotspot_trends,
    classify_patterns,
    mann_kendall,
)

CRS = "EPSG:27700"
X0, Y0 = 570_000, 150_000
AREA = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 4_000, Y0 + 2_000)], crs=CRS)

#: pattern -> (row, col) of a 3 x 3 block's centre and its extra incidents per cell
#: in month t of 12; each block is far enough from the others not to share windows.
BLOCKS = {
    "persistent": (5, 4, lambda t: 8),
    "intensifying": (5, 13, lambda t: 5 + 3 * t),
    "diminishing": (5, 22, lambda t: 40 - 3 * t),
    "new": (5, 31, lambda t: 10 if t == 11 else 0),
    "consecutive": (14, 4, lambda t: 10 if t >= 9 else 0),
    "historical": (14, 13, lambda t: 10 if t <= 10 else 0),
    "former": (14, 22, lambda t: 10 if t <= 2 else 0),
    "sporadic": (14, 31, lambda t: 10 if t in (1, 4, 7, 11) else 0),
}


def crafted(months: pd.PeriodIndex, *, seed: int = 0) -> gpd.GeoDataFrame:
    """Poisson(1) background on a 40 x 20 grid of 100 m cells, plus the BLOCKS."""
    rng = np.random.default_rng(seed)
    xs, ys, ms = [], [], []
    for t, month in enumerate(months):
        counts = rng.poisson(1.0, (20, 40))
        for r, c, extra in BLOCKS.values():
            counts[r - 1 : r + 2, c - 1 : c + 2] += extra(t)
        rows, cols = np.nonzero(counts)
        rep = counts[rows, cols]
        rows, cols = np.repeat(rows, rep), np.repeat(cols, rep)
        xs.append(X0 + 100 * cols + rng.uniform(1, 99, len(cols)))
        ys.append(Y0 + 100 * rows + rng.uniform(1, 99, len(rows)))
        ms.append(np.repeat(month, len(cols)))
    return gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(np.concatenate(ms), freq="M")},
        geometry=gpd.points_from_xy(np.concatenate(xs), np.concatenate(ys)),
        crs=CRS,
    )


def pattern_at(cells: gpd.GeoDataFrame, r: int, c: int) -> str:
    hit = cells[(cells.row == r) & (cells.col == c)]
    assert len(hit) == 1
    return str(hit.pattern.iloc[0])


@pytest.fixture(scope="module")
def twelve_months() -> gpd.GeoDataFrame:
    return crafted(pd.period_range("2024-01", periods=12, freq="M"))


# --------------------------------------------------------------------------- #
# Mann-Kendall                                                                 #
# --------------------------------------------------------------------------- #


def test_mann_kendall_by_hand():
    # 1 3 2 4 4: pairs up 8, down 1 (3 > 2), one tie (4, 4) -> S = 7
    # Var = (5*4*15 - 2*1*9) / 18 = 282 / 18; z = (7 - 1) / sqrt(Var)
    res = mann_kendall([1, 3, 2, 4, 4])
    var = 282 / 18
    z = 6 / math.sqrt(var)
    assert res.s == 7
    assert res.var_s == pytest.approx(var)
    assert res.z == pytest.approx(z)
    assert res.p == pytest.approx(math.erfc(z / math.sqrt(2)))
    down = mann_kendall([5, 4, 3, 2, 1, 0])
    # S = -15, Var = 6*5*17/18, z = (-15 + 1) / sqrt(Var)
    assert down.s == -15
    assert down.z == pytest.approx(-14 / math.sqrt(6 * 5 * 17 / 18))


def test_mann_kendall_matches_scipy_kendalltau_without_continuity():
    rng = np.random.default_rng(1)
    series = rng.poisson(3, size=(50, 15)).astype(float)  # many ties
    series[:10] += np.arange(15)  # some trends
    res = mann_kendall(series, continuity=False)
    t = np.arange(15)
    for k in range(50):
        tau = stats.kendalltau(t, series[k], method="asymptotic")
        assert res.p[k] == pytest.approx(tau.pvalue, rel=1e-9, abs=1e-15)
        assert np.sign(res.z[k]) == np.sign(tau.statistic)


def test_mann_kendall_vectorised_equals_one_by_one():
    rng = np.random.default_rng(2)
    series = rng.integers(0, 4, size=(3, 4, 9)).astype(float)
    res = mann_kendall(series)
    assert res.z.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = mann_kendall(series[i, j])
            assert res.z[i, j] == pytest.approx(float(one.z))
            assert res.p[i, j] == pytest.approx(float(one.p))


def test_mann_kendall_constant_series_is_no_trend():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mann_kendall(np.zeros((2, 6)))
    assert (res.z == 0).all()
    assert (res.p == 1).all()


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, np.nan, 3.0, 4.0]])
def test_mann_kendall_bad_input(bad):
    with pytest.raises(HotspotsError, match="Mann-Kendall"):
        mann_kendall(bad)


# --------------------------------------------------------------------------- #
# the rule table on crafted flags                                              #
# --------------------------------------------------------------------------- #


def flags(text: str) -> list[bool]:
    return [ch in "HC" for ch in text]


@pytest.mark.parametrize(
    ("series", "trend", "expected"),
    [
        ("..........", 0, "no pattern"),
        (".........H", 0, "new"),
        ("........HH", 0, "consecutive"),
        ("HHHHHHHHHH", +1, "intensifying"),
        (".HHHHHHHHH", +1, "intensifying"),
        ("HHHHHHHHHH", -1, "diminishing"),
        ("HHHHHHHHHH", 0, "persistent"),
        ("HHHHHHHHH.", 0, "historical"),
        ("HHHHHHHHH.", -1, "historical"),
        ("..C..H...H", 0, "oscillating"),
        ("..H..H...H", 0, "sporadic"),
        ("H......HHH", 0, "sporadic"),  # a final run with earlier history
        ("HHH.......", 0, "former"),
        ("HHHHHHHH..", -1, "former"),  # 80 % hot: ArcGIS would say no pattern
        ("CCCCCCCCCC", 0, "no pattern"),  # cold spots are not classified
    ],
)
def test_classify_patterns_rules(series, trend, expected):
    hot = np.array([[ch == "H" for ch in series]])
    cold = np.array([[ch == "C" for ch in series]])
    z = np.array([3.0 * trend])
    p = np.array([0.001 if trend else 0.5])
    assert classify_patterns(hot, cold, z, p).tolist() == [expected]


def test_classify_patterns_uses_alpha_for_trend():
    hot = np.ones((1, 10), bool)
    cold = np.zeros((1, 10), bool)
    assert classify_patterns(hot, cold, [2.0], [0.03]).tolist() == ["intensifying"]
    assert classify_patterns(hot, cold, [2.0], [0.03], alpha=0.01).tolist() == [
        "persistent"
    ]


def test_classify_patterns_shape_checked():
    with pytest.raises(HotspotsError, match="cells, months"):
        classify_patterns(np.ones(5, bool), np.ones(5, bool), [0.0], [1.0])


# --------------------------------------------------------------------------- #
# end to end on crafted incidents                                              #
# --------------------------------------------------------------------------- #


def test_patterns_known_by_construction(twelve_months):
    cells = classify_hotspot_trends(twelve_months, cell_size=100, study_area=AREA)
    for name, (r, c, _) in BLOCKS.items():
        assert pattern_at(cells, r, c) == name, name
    inten = cells[(cells.row == 5) & (cells.col == 13)].iloc[0]
    assert inten.trend == "up"
    assert inten.mk_p < 0.001
    dim = cells[(cells.row == 5) & (cells.col == 22)].iloc[0]
    assert dim.trend == "down"
    assert dim.months_hot == 12
    new = cells[(cells.row == 5) & (cells.col == 31)].iloc[0]
    assert new.months_hot == 1
    assert new.hot_last


def test_output_columns_and_parameters(twelve_months):
    cells = classify_hotspot_trends(twelve_months, cell_size=100, study_area=AREA)
    assert list(cells.columns) == [
        "row",
        "col",
        "n",
        "months",
        "months_hot",
        "months_cold",
        "hot_last",
        "pattern",
        "mk_s",
        "mk_z",
        "mk_p",
        "trend",
        "geometry",
    ]
    assert cells.crs == CRS
    assert (cells.months_hot >= 1).all()  # only cells that were ever hot
    assert set(cells.pattern) <= set(PATTERNS) - {"no pattern"}
    assert set(cells.trend) <= {"up", "down", "none"}
    params = cells.attrs["parameters"]
    assert params["months"][0] == "2024-01"
    assert len(params["months"]) == 12
    assert params["incidents_in_area"] == len(twelve_months)
    assert sum(params["patterns"].values()) == 40 * 20
    # n is the total of incidents in the cell, checked by direct point-in-polygon
    block = cells[(cells.row == 5) & (cells.col == 4)].iloc[0]
    assert block.n == twelve_months.within(block.geometry).sum()


def test_all_cells_option(twelve_months):
    cells = classify_hotspot_trends(
        twelve_months, cell_size=100, study_area=AREA, all_cells=True
    )
    assert len(cells) == 800
    assert (cells[cells.months_hot == 0].pattern == "no pattern").all()


def test_gap_months_are_not_time_steps(twelve_months):
    # the same 12 slices dated 2022-07..2022-12 and 2024-01..2024-06 (a gap)
    gap = pd.PeriodIndex(
        [
            *pd.period_range("2022-07", periods=6, freq="M"),
            *pd.period_range("2024-01", periods=6, freq="M"),
        ]
    )
    relabel = dict(
        zip(pd.period_range("2024-01", periods=12, freq="M"), gap, strict=True)
    )
    shifted = twelve_months.assign(month=twelve_months.month.map(relabel))
    shifted["month"] = shifted["month"].astype("period[M]")
    cells = classify_hotspot_trends(shifted, cell_size=100, study_area=AREA)
    assert cells.attrs["parameters"]["months"][6] == "2024-01"
    for name, (r, c, _) in BLOCKS.items():
        assert pattern_at(cells, r, c) == name, name


def test_given_months_select_and_add_steps(twelve_months):
    months = [str(m) for m in pd.period_range("2024-01", periods=13, freq="M")]
    cells = classify_hotspot_trends(
        twelve_months, cell_size=100, study_area=AREA, months=months
    )
    # 2025-01 is listed but has no incidents: nothing is hot in the last month
    assert not cells.hot_last.any()
    assert pattern_at(cells, 5, 4) == "historical"  # persistent until now
    assert pattern_at(cells, 14, 31) == "former"  # sporadic, then off
    assert cells.attrs["parameters"]["months_from"] == "given"
    # a subset: the first 10 months leave the others' incidents out
    first10 = months[:10]
    part = classify_hotspot_trends(
        twelve_months, cell_size=100, study_area=AREA, months=first10
    )
    params = part.attrs["parameters"]
    in_first10 = twelve_months.month.astype(str).isin(first10)
    assert params["incidents_other_months"] == (~in_first10).sum()
    assert params["incidents_in_area"] == in_first10.sum()
    assert pattern_at(part, 14, 13) == "persistent"  # hot in all 10 months


def test_month_as_text_is_accepted(twelve_months):
    text = twelve_months.assign(month=twelve_months.month.astype(str))
    a = classify_hotspot_trends(text, cell_size=100, study_area=AREA)
    b = classify_hotspot_trends(twelve_months, cell_size=100, study_area=AREA)
    pd.testing.assert_series_equal(a.pattern, b.pattern)


def test_trend_on_z(twelve_months):
    cells = classify_hotspot_trends(
        twelve_months, cell_size=100, study_area=AREA, trend_on="z"
    )
    assert pattern_at(cells, 5, 13) == "intensifying"
    assert cells.attrs["parameters"]["trend_on"] == "z"


def test_unlocated_rows_are_skipped(twelve_months):
    extra = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(["2024-03"] * 4, freq="M")},
        geometry=[shapely.Point()] * 4,
        crs=CRS,
    )
    both = pd.concat([twelve_months, extra], ignore_index=True)
    cells = classify_hotspot_trends(both, cell_size=100, study_area=AREA)
    assert cells.attrs["parameters"]["incidents_unlocated"] == 4
    assert pattern_at(cells, 5, 4) == "persistent"


# --------------------------------------------------------------------------- #
# bad input                                                                    #
# --------------------------------------------------------------------------- #


def test_geographic_crs_refused(twelve_months):
    with pytest.raises(HotspotsError, match="projected CRS"):
        classify_hotspot_trends(twelve_months.to_crs("EPSG:4326"), cell_size=100)


def test_month_column_required(twelve_months):
    with pytest.raises(HotspotsError, match="no `month` column"):
        classify_hotspot_trends(twelve_months.drop(columns="month"), cell_size=100)
    missing = twelve_months.assign(month=twelve_months.month.astype(object))
    missing.loc[7, "month"] = None
    with pytest.raises(HotspotsError, match="Row 7 has no month"):
        classify_hotspot_trends(missing, cell_size=100)
    junk = twelve_months.assign(month="soon")
    with pytest.raises(HotspotsError, match="not a month"):
        classify_hotspot_trends(junk, cell_size=100)


def test_too_few_months(twelve_months):
    two = twelve_months[twelve_months.month.astype(str) <= "2024-02"]
    with pytest.raises(HotspotsError, match="at least 3 months"):
        classify_hotspot_trends(two, cell_size=100)
    with pytest.raises(HotspotsError, match="YYYY-MM"):
        classify_hotspot_trends(twelve_months, cell_size=100, months=["March"])


def test_few_months_warn(twelve_months):
    four = twelve_months[twelve_months.month.astype(str) <= "2024-04"]
    with pytest.warns(UserWarning, match="Only 4 months"):
        cells = classify_hotspot_trends(four, cell_size=100, study_area=AREA)
    assert pattern_at(cells, 5, 4) == "persistent"


def test_lone_incidents_in_sparse_months_are_counted_and_warned(twelve_months):
    """Gi*'s normal p-values make one incident among empty cells significant;
    the count of such hot cell-months is kept, and past half it is a warning."""
    months = pd.period_range("2024-01", periods=12, freq="M")
    rng = np.random.default_rng(3)
    cells_hit = rng.choice(800, size=(12, 3), replace=False)  # 3 lone incidents a month
    rows, cols = np.divmod(cells_hit.ravel(), 40)
    sparse = gpd.GeoDataFrame(
        {"month": np.repeat(months, 3)},
        geometry=gpd.points_from_xy(X0 + 100 * cols + 50, Y0 + 100 * rows + 50),
        crs=CRS,
    )
    with pytest.warns(UserWarning, match=r"too sparse for monthly Gi\*") as caught:
        cells = classify_hotspot_trends(sparse, cell_size=100, study_area=AREA)
    params = cells.attrs["parameters"]
    # a lone incident is significant in its own cell and its neighbours'; each
    # such hot cell-month's window holds that one incident (or two, when near)
    assert params["hot_cell_months"] == int(cells["months_hot"].sum()) > 0
    assert params["hot_cell_months_one_or_two_incidents"] == params["hot_cell_months"]
    (note,) = [str(w.message) for w in caught if "sparse" in str(w.message)]
    n = params["hot_cell_months"]
    assert note.startswith(f"{n:,} of the {n:,} hot cell-months (100%)")
    assert "at 100 m cells" in note
    # the crafted dense blocks: no hot cell-month is that thin, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dense = classify_hotspot_trends(twelve_months, cell_size=100, study_area=AREA)
    assert dense.attrs["parameters"]["hot_cell_months"] == dense["months_hot"].sum()
    assert dense.attrs["parameters"]["hot_cell_months_one_or_two_incidents"] == 0


def test_empty_and_unlocated_only():
    empty = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex([], freq="M")},
        geometry=gpd.GeoSeries([], crs=CRS),
    )
    with pytest.raises(HotspotsError, match="empty"):
        classify_hotspot_trends(empty, cell_size=100)
    nowhere = gpd.GeoDataFrame(
        {"month": pd.period_range("2024-01", periods=12, freq="M")},
        geometry=[shapely.Point()] * 12,
        crs=CRS,
    )
    with pytest.raises(HotspotsError, match="has a location"):
        classify_hotspot_trends(nowhere, cell_size=100)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cell_size": 0}, "cell_size"),
        ({"cell_size": 100, "alpha": 0}, "alpha"),
        ({"cell_size": 100, "alpha": 1.5}, "alpha"),
        ({"cell_size": 100, "neighbours": 0}, "neighbours"),
        ({"cell_size": 100, "trend_on": "rate"}, "trend_on"),
    ],
)
def test_bad_parameters(twelve_months, kwargs, match):
    with pytest.raises(HotspotsError, match=match):
        classify_hotspot_trends(twelve_months, **kwargs)


def test_harm_weights_are_summed_as_if_each_incident_happened_that_often(
    twelve_months,
):
    """With a harm weight, each month's Gi* and the trend run on the cells' summed
    harm: a weight of 1, 2 or 3 gives exactly what counting each incident that
    many times gives (the cube is the same), while ``n`` still counts incidents
    (disclosure counts people, not weights) and ``harm`` sums the weights."""
    rng = np.random.default_rng(7)
    w = rng.integers(1, 4, len(twelve_months)).astype(float)
    weighted = twelve_months.assign(weight=w)
    repeated = twelve_months.loc[twelve_months.index.repeat(w.astype(int))]
    kw = {"cell_size": 100, "study_area": AREA, "all_cells": True}
    got = classify_hotspot_trends(weighted, weight="weight", **kw)
    same = classify_hotspot_trends(repeated, **kw)
    plain = classify_hotspot_trends(twelve_months, **kw)
    for col in ("row", "col", "months_hot", "months_cold", "pattern", "trend"):
        assert got[col].tolist() == same[col].tolist(), col
    np.testing.assert_allclose(got["mk_z"], same["mk_z"])
    np.testing.assert_allclose(got["mk_p"], same["mk_p"])
    np.testing.assert_allclose(got["harm"], same["n"])
    assert got["n"].tolist() == plain["n"].tolist()
    assert got["harm"].sum() == pytest.approx(w.sum())
    assert got.attrs["parameters"]["weight"] == "weight"
    assert "harm" not in plain.columns
    # the weights the rows use are checked
    bad = weighted.assign(weight=np.where(np.arange(len(w)) == 4, -1.0, w))
    with pytest.raises(HotspotsError, match=r"row 4 has -1\.0"):
        classify_hotspot_trends(bad, weight="weight", **kw)
