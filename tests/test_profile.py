import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
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
