import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, binomtest
from shapely import box

from hotspots._validate import HotspotsError
from hotspots.profile import describe_hotspots, recent_split, trend_test


def _incidents(xy, months, categories=None, wards=None):
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "month": pd.PeriodIndex(months, freq="M"),
            "category": categories or ["Drugs"] * n,
            "ward_code": wards or ["W1"] * n,
            "lad_code": ["L1"] * n,
            "weight": np.ones(n),
        },
        geometry=gpd.points_from_xy(*np.asarray(xy, float).T),
        crs="EPSG:27700",
    )


# --- inputs -------------------------------------------------------------------------
def test_crs_mismatch():
    inc = _incidents([(0, 0)], ["2024-01"])
    polys = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:3857")
    with pytest.raises(HotspotsError, match="must match"):
        describe_hotspots(polys, inc)


def test_geographic_incidents_refused():
    inc = _incidents([(0, 0)], ["2024-01"]).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(HotspotsError, match="projected CRS"):
        describe_hotspots(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), inc)


# --- outputs ------------------------------------------------------------------------
def test_recent_third_uses_the_months_present():
    months = [
        pd.Period(m, "M")
        for m in ["2022-01", "2022-02", "2022-03", "2024-01", "2024-02", "2024-03"]
    ]
    earlier, recent = recent_split(months)
    assert recent == months[-2:]
    assert earlier == months[:4]
    assert recent_split(months[:2]) == (months[:2], [])


def test_trend_test_matches_the_binomial_by_hand():
    # 12 months, recent third = 4 months; 30 of 40 incidents in the recent months
    ratio, p, label = trend_test(30, 40, recent_months=4, all_months=12)
    assert ratio == pytest.approx((30 / 4) / (10 / 8))
    # exact two-sided p: sum of P(X=k) over k no more likely than the observed 30
    pmf = binom.pmf(np.arange(41), 40, 1 / 3)
    assert p == pytest.approx(pmf[pmf <= pmf[30] * (1 + 1e-7)].sum())
    assert label == "rising"
    assert trend_test(2, 40, recent_months=4, all_months=12)[2] == "falling"
    assert trend_test(13, 40, recent_months=4, all_months=12)[2] == "stable"
    assert trend_test(3, 5, recent_months=4, all_months=12)[2] == "too few to tell"
    assert trend_test(3, 5, recent_months=0, all_months=2)[2] == "n/a"


def test_describe_counts_equal_an_independent_join():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 3000, size=(500, 2))
    months = rng.choice(["2024-01", "2024-02", "2024-03"], size=500).tolist()
    cats = rng.choice(["Drugs", "Robbery"], size=500, p=[0.7, 0.3]).tolist()
    inc = _incidents(xy, months, categories=cats)
    polys = gpd.GeoDataFrame(
        geometry=[box(0, 0, 1000, 1000), box(2000, 2000, 2500, 3000)], crs="EPSG:27700"
    )
    out = describe_hotspots(polys, inc)
    for i, poly in enumerate(polys.geometry):
        inside = inc[inc.intersects(poly)]
        assert out.loc[i, "incidents"] == len(inside)
        assert out.loc[i, "months_active"] == inside["month"].nunique()
        assert out.loc[i, "share"] == pytest.approx(len(inside) / 500)
        top = inside["category"].value_counts(normalize=True)
        assert out.loc[i, "top_categories"].startswith(
            f"{top.index[0]} {top.iloc[0]:.0%}"
        )
    assert out["wards"].tolist() == ["W1", "W1"]
    assert (out["incidents"] == out["harm"]).all()


def test_unlocated_rows_are_ignored_and_input_untouched():
    from shapely import Point

    inc = _incidents([(10, 10), (20, 20)], ["2024-01", "2024-02"])
    inc.loc[1, "geometry"] = Point()
    before = inc.copy()
    polys = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs="EPSG:27700")
    out = describe_hotspots(polys, inc)
    assert out.loc[0, "incidents"] == 1
    pd.testing.assert_frame_equal(pd.DataFrame(inc), pd.DataFrame(before))
    assert list(polys.columns) == ["geometry"]


def test_text_columns_equal_a_direct_count_per_hotspot():
    # ties in the category counts, shared positions, missing categories and wards,
    # an empty hotspot: every text column against a plain per-polygon computation
    from collections import Counter

    rng = np.random.default_rng(3)
    n = 400
    xy = rng.integers(0, 20, size=(n, 2)) * 100.0 + 50
    months = rng.choice(["2023-01", "2023-02", "2024-01", "2024-03"], size=n).tolist()
    cats = rng.choice(["Drugs", "Robbery", "Burglary", "Arson"], size=n).tolist()
    wards = rng.choice(["W2", "W1", "W10"], size=n).tolist()
    inc = _incidents(xy, months, categories=cats, wards=wards)
    inc.loc[inc.index[:20], "category"] = None
    inc.loc[inc.index[20:40], "ward_code"] = None
    polys = gpd.GeoDataFrame(
        geometry=[
            box(0, 0, 600, 600),
            box(1000, 0, 1300, 400),
            box(-900, -900, -800, -800),
        ],
        crs="EPSG:27700",
    )
    out = describe_hotspots(
        polys, inc, ward_names=pd.Series({"W1": "One", "W2": "Two"})
    )
    for i, poly in enumerate(polys.geometry):
        inside = inc[inc.intersects(poly)]
        counts = Counter(c for c in inside["category"] if isinstance(c, str))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        total = sum(counts.values())
        top = ", ".join(f"{c} {round(100 * (k / total))}%" for c, k in ranked)
        assert out.loc[i, "top_categories"] == top
        codes = sorted({w for w in inside["ward_code"] if isinstance(w, str)})
        names = {"W1": "One", "W2": "Two"}
        assert out.loc[i, "wards"] == ", ".join(names.get(c, c) for c in codes)
        assert out.loc[i, "locations"] == len({(p.x, p.y) for p in inside.geometry})
        shown = sorted(inside["month"].astype(str))
        assert out.loc[i, "first_month"] == (shown[0] if shown else "")
        assert out.loc[i, "last_month"] == (shown[-1] if shown else "")
        assert out.loc[i, "months_active"] == len(set(shown))
    assert out.loc[2, "incidents"] == 0
    assert out.loc[2, "top_categories"] == ""
    assert out.loc[2, "wards"] == ""
    # equal counts: alphabetical
    inc = _incidents([(1, 1)] * 5, ["2024-01"] * 5, categories=list("BACCD"))
    out = describe_hotspots(polys, inc)
    assert out.loc[0, "top_categories"] == "C 40%, A 20%, B 20%"


def test_membership_is_the_first_polygon_touched():
    # points on shared edges, corners and holes of overlapping polygons: the
    # lowest position among the polygons each point intersects (-1 if none)
    from shapely import Point

    from hotspots.profile import polygon_membership

    ring = box(0, 0, 300, 300).difference(box(100, 100, 200, 200))
    polys = gpd.GeoDataFrame(
        geometry=[
            box(300, 0, 400, 100),
            ring,
            box(150, 150, 350, 250),
            box(0, 0, 50, 50),
        ],
        crs="EPSG:27700",
    )
    k = np.arange(0, 451, 25.0)
    xy = np.array([(x, y) for x in k for y in k] * 2)  # repeated positions too
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs="EPSG:27700")
    got = polygon_membership(pts, polys)
    expected = [
        next((i for i, g in enumerate(polys.geometry) if g.intersects(Point(p))), -1)
        for p in xy
    ]
    assert got.tolist() == expected
    assert set(expected) == {-1, 0, 1, 2}


def test_positions_given_by_the_caller_give_the_same_profile():
    # detect finds each located incident's position once and gives it to the
    # spatial query and the profile: the same as each finding them itself
    from hotspots.grid import located
    from hotspots.profile import location_ids, polygon_membership

    rng = np.random.default_rng(8)
    xy = rng.integers(0, 15, size=(300, 2)) * 100.0 + 50
    months = rng.choice(["2023-01", "2023-06", "2024-01"], size=300).tolist()
    inc = _incidents(xy, months)
    inc.loc[inc.index[:7], "geometry"] = None  # unlocated rows are skipped
    polys = gpd.GeoDataFrame(
        geometry=[box(0, 0, 700, 700), box(500, 500, 1200, 900)], crs="EPSG:27700"
    )
    has = located(inc)
    places = location_ids(inc, np.flatnonzero(has))
    assert len(places) == has.sum() == 293
    which = polygon_membership(inc.geometry[has], polys, ids=places)
    np.testing.assert_array_equal(which, polygon_membership(inc.geometry[has], polys))
    given = describe_hotspots(polys, inc, membership=which, locations=places)
    itself = describe_hotspots(polys, inc)
    pd.testing.assert_frame_equal(given, itself)
    assert (given["locations"] > 1).all()
    with pytest.raises(ValueError, match="locations"):
        describe_hotspots(polys, inc, membership=which, locations=places[:-1])
    with pytest.raises(ValueError, match="ids"):
        polygon_membership(inc.geometry[has], polys, ids=places[:-1])


def test_given_months_are_the_time_steps_of_the_trend():
    """A month of the data without an incident of the selection is a month with
    none: 12 incidents a month in 2024-01..04 and none in 05..06 is falling over
    the six months, but would look stable over the four months present."""
    months = [f"2024-{m:02d}" for m in range(1, 5) for _ in range(12)]
    inc = _incidents([(50 + i % 7, 50 + i % 5) for i in range(48)], months)
    polys = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs="EPSG:27700")
    present = describe_hotspots(polys, inc).iloc[0]
    assert present["trend"] == "stable"  # 2024-04 against 01..03: 12 of 48, 1/4
    six = pd.period_range("2024-01", "2024-06", freq="M")
    given = describe_hotspots(polys, inc, months=list(six)).iloc[0]
    _, p, label = trend_test(0, 48, recent_months=2, all_months=6)
    assert given["trend"] == label == "falling"
    assert given["trend_p"] == pytest.approx(p)
    assert p == pytest.approx(binomtest(0, 48, 2 / 6).pvalue)  # recent 2 of 6 months
    assert given["months_active"] == 4
    # an incident outside the months given is an error, not an earlier month
    with pytest.raises(HotspotsError, match="2024-01 are not in the months given"):
        describe_hotspots(polys, inc, months=list(six[1:]))


def test_trend_months_compare_only_the_months_every_source_holds():
    """Police data for 2024-01..06 and a partner log that starts in 2024-04: over
    all six months the partner's incidents make a steady place look 'rising';
    over the months both hold (2024-04..06) it is stable, as each source alone
    is. The other months' incidents still count in the totals and months active."""
    police = [f"2024-{m:02d}" for m in range(1, 7) for _ in range(10)]
    partner = [f"2024-{m:02d}" for m in range(4, 7) for _ in range(10)]
    months = police + partner
    inc = _incidents([(50 + i % 7, 50 + i % 5) for i in range(len(months))], months)
    polys = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs="EPSG:27700")
    steps = [f"2024-{m:02d}" for m in range(1, 7)]
    union = describe_hotspots(polys, inc, months=steps).iloc[0]
    # recent third 2024-05..06: 40 of 90 incidents against 2 of 6 months
    assert union["trend_p"] == pytest.approx(binomtest(40, 90, 2 / 6).pvalue)
    assert union["trend"] == "rising"
    shared = ["2024-04", "2024-05", "2024-06"]
    got = describe_hotspots(polys, inc, months=steps, trend_months=shared).iloc[0]
    # recent third of the shared months, 2024-06: 20 of the 60 incidents of 04..06
    assert got["trend_p"] == pytest.approx(binomtest(20, 60, 1 / 3).pvalue)
    assert got["trend_ratio"] == pytest.approx((20 / 1) / (40 / 2))
    assert got["trend"] == "stable"
    assert got["incidents"] == 90
    assert got["months_active"] == 6
    assert got["first_month"] == "2024-01"
    # no trend_months: the same as all the steps
    same = describe_hotspots(polys, inc, months=steps, trend_months=steps).iloc[0]
    assert same["trend_p"] == union["trend_p"]
