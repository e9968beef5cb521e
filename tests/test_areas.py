"""Ward and district statistics: hand computations, the bundled data, bad input."""

from __future__ import annotations

import math
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely import Point, box

from hotspots import areas, bundled
from hotspots._validate import HotspotsError
from hotspots.areas import (
    area_statistics,
    change_test,
    month_list,
    monthly_counts,
    previous_period,
)
from hotspots.boundaries import COAST_SNAP_M, load_boundary

CRS = "EPSG:27700"
DARTFORD = "E07000107"


# ---------------------------------------------------------------------------
# a crafted study area: one district of three wards, 1,000 / 2,000 / 0 residents
# ---------------------------------------------------------------------------


@pytest.fixture
def three_wards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    wards = gpd.GeoDataFrame(
        {
            "ward_code": ["W1", "W2", "W3"],
            "ward_name": ["One", "Two", "Three"],
            "lad_code": ["D1"] * 3,
            "lad_name": ["Dee"] * 3,
        },
        geometry=[
            box(0, 0, 1000, 1000),
            box(1000, 0, 2000, 1000),
            box(0, 1000, 2000, 2000),
        ],
        crs=CRS,
    )
    districts = gpd.GeoDataFrame(
        {"lad_code": ["D1"], "lad_name": ["Dee"], "area_km2": [4.0]},
        geometry=[box(0, 0, 2000, 2000)],
        crs=CRS,
    )
    pops = {
        "ward": pd.DataFrame(
            {"ward_code": ["W1", "W2", "W3"], "residents": [1000, 2000, 0]}
        ),
        "district": pd.DataFrame({"lad_code": ["D1"], "residents": [3000]}),
    }
    layers = {"wards": wards, "districts": districts}
    monkeypatch.setattr(areas, "load_boundary", lambda name: layers[name])
    monkeypatch.setattr(areas, "load_population", lambda level: pops[level])
    areas._areas.cache_clear()  # the areas are kept per level and districts
    yield
    areas._areas.cache_clear()


def _incidents(rows: list[tuple[str, str | None, int]]) -> gpd.GeoDataFrame:
    """(month, ward, n) -> n canonical-ish incidents; ward None = unlocated."""
    records = []
    for month, ward, n in rows:
        for _ in range(n):
            records.append((month, ward))
    frame = pd.DataFrame(records, columns=["month", "ward_code"])
    centres = {
        "W1": (500, 500),
        "W2": (1500, 500),
        "W3": (1000, 1500),
        "X9": (9e3, 9e3),
    }
    geometry = [
        Point(centres[w]) if isinstance(w, str) else Point() for w in frame["ward_code"]
    ]
    lad = frame["ward_code"].map({"W1": "D1", "W2": "D1", "W3": "D1", "X9": "D9"})
    return gpd.GeoDataFrame(
        frame.assign(
            month=pd.PeriodIndex(frame["month"], freq="M"),
            ward_code=frame["ward_code"].astype("string"),
            lad_code=lad.astype("string"),
            theme=np.where(frame.index % 3 == 0, "acquisitive", "drugs & county lines"),
            weight=np.where(frame.index % 2 == 0, 1.0, 3.0),
        ),
        geometry=geometry,
        crs=CRS,
    )


@pytest.fixture
def crafted(three_wards: None) -> gpd.GeoDataFrame:
    """2022-02: W1 30, W2 10, W3 5, 2 unlocated, 1 outside; 2022-01: W1 10, W2 10."""
    return _incidents(
        [
            ("2022-01", "W1", 10),
            ("2022-01", "W2", 10),
            ("2022-01", None, 4),
            ("2022-02", "W1", 30),
            ("2022-02", "W2", 10),
            ("2022-02", "W3", 5),
            ("2022-02", None, 2),
            ("2022-02", "X9", 1),
        ]
    )


def _exact_two_sided(k: int, n: int) -> float:
    """Two-sided binomial(n, 1/2) p by direct summation of C(n, j) / 2^n."""
    pk = math.comb(n, k)
    total = sum(math.comb(n, j) for j in range(n + 1) if math.comb(n, j) <= pk)
    return min(1.0, total / 2**n)


# ---------------------------------------------------------------------------
# outputs
# ---------------------------------------------------------------------------


def test_counts_rates_lq_match_hand_computation(crafted: gpd.GeoDataFrame) -> None:
    before = crafted.copy()
    out = area_statistics(crafted, months="2022-02").set_index("ward_code")
    assert list(out.index) == ["W1", "W2", "W3"]  # sorted by rank
    assert list(out["incidents"]) == [30, 10, 5]
    assert list(out["residents"]) == [1000, 2000, 0]
    # C = 45 incidents over R = 3,000 residents: study rate 15 per 1,000
    np.testing.assert_allclose(out["rate_per_1000"], [30.0, 5.0, np.nan])
    np.testing.assert_allclose(out["location_quotient"], [2.0, 1 / 3, np.nan])
    np.testing.assert_allclose(out["share"], [30 / 45, 10 / 45, 5 / 45])
    assert out["share"].sum() == pytest.approx(1.0)
    assert list(out["previous"]) == [10, 10, 0]
    assert list(out["change"]) == [20, 0, 5]
    np.testing.assert_allclose(out["change_pct"], [200.0, 0.0, np.nan])
    p = [_exact_two_sided(30, 40), 1.0, 2 / 2**5]
    np.testing.assert_allclose(out["change_p"], p, rtol=1e-12)
    # BH by hand: sorted p1 < 0.0625 < 1 -> 3 p1, 0.0625 * 3 / 2, 1
    np.testing.assert_allclose(out["change_p_adj"], [3 * p[0], 1.0, 0.09375])
    assert list(out["change_significant"]) == [True, False, False]
    assert list(out["change_significant_adj"]) == [True, False, False]
    assert out["previous_note"].isna().all()
    assert list(out["rank"]) == [1, 2, 3]
    assert list(out["rate_rank"].astype(object)) == [1, 2, pd.NA]
    assert out.attrs["unlocated"] == 2
    assert out.attrs["outside"] == 1
    assert out.attrs["unlocated_previous"] == 4
    assert out.attrs["months"] == ["2022-02"]
    assert out.attrs["previous_months"] == ["2022-01"]
    assert out.attrs["total_incidents"] == 45
    assert out["harm"].isna().all()
    pd.testing.assert_frame_equal(crafted, before)


def test_kept_areas_and_population_are_not_changed_by_their_users() -> None:
    # the areas of a level are made once and the population read once per
    # process: a table changed by its user must not change the next table
    from hotspots.summary import load_population

    pop = load_population("ward")
    pop["residents"] = 0
    assert (load_population("ward")["residents"] > 0).all()
    police = pd.DataFrame(
        {"month": ["2024-01"] * 3, "ward_code": ["E05005010"] * 2 + [None]}
    )
    first = area_statistics(police, months="2024-01")
    first.loc[:, "residents"] = 0
    first.loc[:, "ward_name"] = "changed"
    again = area_statistics(police, months="2024-01")
    assert again["residents"].gt(0).all()
    assert not again["ward_name"].eq("changed").any()
    assert len(again) == 279
    assert again.set_index("ward_code").loc["E05005010", "incidents"] == 2


def test_columns_and_dtypes(crafted: gpd.GeoDataFrame) -> None:
    out = area_statistics(crafted, months="2022-02")
    assert type(out) is pd.DataFrame
    assert list(out.columns) == [
        "ward_code", "ward_name", "lad_code", "lad_name", "incidents", "harm",
        "residents", "rate_per_1000", "share", "location_quotient", "previous",
        "change", "change_pct", "change_p", "change_p_adj", "change_significant",
        "change_significant_adj", "previous_note", "rank", "rate_rank",
    ]  # fmt: skip
    assert out["incidents"].dtype == np.int64
    assert out["rank"].dtype == np.int64
    assert str(out["residents"].dtype) == "Int64"
    assert str(out["change_significant"].dtype) == "boolean"
    district = area_statistics(crafted, months="2022-02", level="district")
    assert list(district.columns[:3]) == ["lad_code", "lad_name", "incidents"]
    assert list(district["incidents"]) == [45]
    assert district["location_quotient"].iloc[0] == pytest.approx(1.0)
    assert district.attrs["outside"] == 1


def test_harm_is_the_sum_of_the_weight_column(crafted: gpd.GeoDataFrame) -> None:
    out = area_statistics(crafted, months="2022-02", weight="weight")
    current = crafted[crafted["month"] == pd.Period("2022-02", "M")]
    expected = current.groupby("ward_code")["weight"].sum()
    got = out.set_index("ward_code")["harm"]
    np.testing.assert_allclose(got[expected.index.drop("X9")], expected.drop("X9"))
    assert list(out["incidents"]) == [30, 10, 5]  # counts still count incidents


def test_with_geometry_gives_the_boundaries(crafted: gpd.GeoDataFrame) -> None:
    out = area_statistics(crafted, months="2022-02", with_geometry=True)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs == CRS
    assert list(out["ward_code"]) == ["W1", "W2", "W3"]
    np.testing.assert_allclose(out.area, [1e6, 1e6, 2e6])


def test_previous_period_equal_length_immediately_before() -> None:
    assert previous_period(("2024-01", "2024-04")) == list(
        pd.period_range("2023-09", "2023-12", freq="M")
    )
    assert previous_period("2022-01") == [pd.Period("2021-12", "M")]
    # a list need not be contiguous: the previous period has as many months
    prev = previous_period(["2022-05", "2022-07"])
    assert prev == [pd.Period("2022-03", "M"), pd.Period("2022-04", "M")]
    assert month_list(("2022-11", "2023-02"))[-1] == pd.Period("2023-02", "M")


def test_missing_previous_months_give_no_change_and_say_why(
    crafted: gpd.GeoDataFrame,
) -> None:
    # 2022-01 is the first month in the data: the previous month is absent
    out = area_statistics(crafted, months="2022-01")
    for col in ["previous", "change", "change_significant", "change_significant_adj"]:
        assert out[col].isna().all(), col
    for col in ["change_pct", "change_p", "change_p_adj"]:
        assert out[col].isna().all(), col
    assert out["previous_note"].str.contains("2021-12").all()
    assert "2021-12" in out.attrs["previous_note"]
    assert list(out["incidents"]) == [10, 10, 0]  # the counts themselves stand


def test_available_months_turn_absent_months_into_real_zeros(
    crafted: gpd.GeoDataFrame,
) -> None:
    out = area_statistics(
        crafted, months="2022-01", available_months=["2021-12", "2022-01", "2022-02"]
    )
    assert out["previous_note"].isna().all()
    assert list(out.set_index("ward_code")["previous"]) == [0, 0, 0]
    assert list(out.set_index("ward_code")["change"]) == [10, 10, 0]


def test_explicit_previous_period(crafted: gpd.GeoDataFrame) -> None:
    out = area_statistics(crafted, months="2022-02", previous="2022-01")
    auto = area_statistics(crafted, months="2022-02")
    pd.testing.assert_frame_equal(out, auto)


def test_equal_counts_give_p_one() -> None:
    np.testing.assert_array_equal(change_test([0, 1, 7, 250], [0, 1, 7, 250]), 1.0)


def test_change_test_against_hand_and_scipy() -> None:
    # 30 against 10: 2 * sum_{k<=10} C(40, k) / 2^40
    hand = 2 * sum(math.comb(40, k) for k in range(11)) / 2**40
    assert change_test([30], [10])[0] == pytest.approx(hand, rel=1e-12)
    assert change_test([30], [10])[0] == pytest.approx(
        2 * stats.binom.cdf(10, 40, 0.5), rel=1e-12
    )
    assert change_test([5], [0])[0] == pytest.approx(0.0625)
    c, p = np.meshgrid(np.arange(25), np.arange(25))
    ours = change_test(c.ravel(), p.ravel())
    ref = [
        stats.binomtest(int(a), int(a + b), 0.5).pvalue if a + b else 1.0
        for a, b in zip(c.ravel(), p.ravel(), strict=True)
    ]
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    np.testing.assert_allclose(ours, change_test(p.ravel(), c.ravel()))


def test_empty_selection_gives_zero_rows_not_a_crash(crafted: gpd.GeoDataFrame) -> None:
    empty = crafted.iloc[:0]
    out = area_statistics(empty)
    assert list(out["incidents"]) == [0, 0, 0]
    assert out["share"].isna().all()
    assert out["location_quotient"].isna().all()
    assert list(out["rate_per_1000"].fillna(-1)) == [0.0, 0.0, -1]
    assert out["previous_note"].notna().all()
    given = area_statistics(
        empty, months="2022-02", available_months=["2022-01", "2022-02"]
    )
    assert list(given["incidents"]) == [0, 0, 0]
    np.testing.assert_array_equal(given["change_p"], 1.0)


def test_month_as_text_is_accepted(crafted: gpd.GeoDataFrame) -> None:
    text = crafted.assign(month=crafted["month"].astype(str))
    pd.testing.assert_frame_equal(
        area_statistics(text, months="2022-02"),
        area_statistics(crafted, months="2022-02"),
    )


def test_plain_dataframe_counts_rows_without_code_as_unlocated(
    crafted: gpd.GeoDataFrame,
) -> None:
    plain = pd.DataFrame(crafted.drop(columns="geometry"))
    out = area_statistics(plain, months="2022-02")
    assert list(out["incidents"]) == [30, 10, 5]
    assert out.attrs["unlocated"] == 2


def test_monthly_counts_fill_zeros_and_mark_absent_months(
    crafted: gpd.GeoDataFrame,
) -> None:
    out = monthly_counts(crafted, months=("2021-12", "2022-03"))
    assert list(out.columns) == ["month", "group", "incidents"]
    assert out["month"].dtype == pd.PeriodDtype("M")
    assert len(out) == 4 * 2
    by = out.set_index([out["month"].astype(str), "group"])["incidents"]
    assert pd.isna(by[("2021-12", "acquisitive")])  # absent from the data
    assert pd.isna(by[("2022-03", "drugs & county lines")])
    expected = crafted.groupby([crafted["month"].astype(str), "theme"]).size()
    for key, n in expected.items():
        assert by[key] == n
    total = monthly_counts(crafted, by=None)
    assert list(total["group"]) == ["all incidents"] * 2
    assert list(total["incidents"]) == [24, 48]
    w1 = monthly_counts(crafted, by=None, area_codes=["W1"])
    assert list(w1["incidents"]) == [10, 30]
    none = monthly_counts(
        crafted, by=None, area_codes=[], months=("2022-01", "2022-02")
    )
    assert list(none["incidents"]) == [0, 0]
    # a month inside the range with nothing recorded, but known present: zero
    gap = monthly_counts(
        crafted,
        by=None,
        months=("2022-01", "2022-03"),
        available_months=["2022-01", "2022-02", "2022-03"],
    )
    assert list(gap["incidents"]) == [24, 48, 0]


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def test_unknown_level(crafted: gpd.GeoDataFrame) -> None:
    with pytest.raises(HotspotsError, match="Unknown level 'lsoa'"):
        area_statistics(crafted, level="lsoa")
    with pytest.raises(HotspotsError, match="Unknown level"):
        monthly_counts(crafted, level="county")


def test_months_out_of_order(crafted: gpd.GeoDataFrame) -> None:
    with pytest.raises(HotspotsError, match="runs backwards"):
        area_statistics(crafted, months=("2022-03", "2022-01"))
    with pytest.raises(HotspotsError, match="increasing order"):
        area_statistics(crafted, months=["2022-02", "2022-01", "2022-03"])
    with pytest.raises(HotspotsError, match="increasing order"):
        previous_period(["2022-02", "2022-02"])
    with pytest.raises(HotspotsError, match="empty"):
        area_statistics(crafted, months=[])
    with pytest.raises(HotspotsError, match="'2022-13' is not a month"):
        area_statistics(crafted, months="2022-13")
    with pytest.raises(HotspotsError, match="not a month"):
        month_list([5])


def test_unequal_or_overlapping_previous(crafted: gpd.GeoDataFrame) -> None:
    with pytest.raises(HotspotsError, match="equal length"):
        area_statistics(crafted, months=("2022-02", "2022-03"), previous="2022-01")
    with pytest.raises(HotspotsError, match="overlaps"):
        area_statistics(crafted, months="2022-02", previous="2022-02")


def test_missing_columns_are_named(crafted: gpd.GeoDataFrame) -> None:
    with pytest.raises(HotspotsError, match="no column 'ward_code'"):
        area_statistics(crafted.drop(columns="ward_code"))
    with pytest.raises(HotspotsError, match="no column 'lad_code'"):
        area_statistics(crafted.drop(columns="lad_code"), level="district")
    with pytest.raises(HotspotsError, match="no column 'month'"):
        area_statistics(crafted.drop(columns="month"))
    with pytest.raises(HotspotsError, match="Weight column 'harm' not found"):
        area_statistics(crafted, weight="harm")
    with pytest.raises(HotspotsError, match="no column 'category'"):
        monthly_counts(crafted, by="category")
    with pytest.raises(TypeError, match="DataFrame"):
        area_statistics([1, 2, 3])  # type: ignore[arg-type]


def test_bad_month_values_are_named(crafted: gpd.GeoDataFrame) -> None:
    text = crafted.assign(month=crafted["month"].astype(str))
    bad = text.assign(month=text["month"].where(text.index != 3, "March"))
    with pytest.raises(HotspotsError, match="'March' is not a month"):
        area_statistics(bad)
    missing = text.assign(month=text["month"].where(text.index != 3, None))
    with pytest.raises(HotspotsError, match="empty in row 3"):
        area_statistics(missing)


def test_bad_weights_districts_alpha_grouping(crafted: gpd.GeoDataFrame) -> None:
    nan = crafted.assign(weight=crafted["weight"].where(crafted.index != 5, np.nan))
    with pytest.raises(HotspotsError, match="row 5"):
        area_statistics(nan, weight="weight")
    with pytest.raises(HotspotsError, match="0 or more"):
        area_statistics(crafted.assign(weight=-1.0), weight="weight")
    with pytest.raises(HotspotsError, match="Unknown district code"):
        area_statistics(crafted, districts=["E07000999"])
    with pytest.raises(HotspotsError, match="none given"):
        area_statistics(crafted, districts=[])
    with pytest.raises(HotspotsError, match="alpha"):
        area_statistics(crafted, alpha=1.5)
    with pytest.raises(HotspotsError, match="Unknown grouping"):
        monthly_counts(crafted, by="colour")
    with pytest.raises(HotspotsError, match="Counts must be 0 or more"):
        change_test([-1], [2])


# ---------------------------------------------------------------------------
# the bundled Kent data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kent() -> gpd.GeoDataFrame:
    if not bundled.POLICE_UK_KENT.exists():
        pytest.skip("bundled police.uk data not built (make data)")
    gdf = gpd.read_parquet(
        bundled.POLICE_UK_KENT, columns=["month", "ward_code", "lad_code", "geometry"]
    )
    codes, uniques = pd.factorize(gdf["month"])  # parse the 17 months, not 275k rows
    return gdf.assign(month=pd.PeriodIndex(uniques, freq="M")[codes])


def test_ward_counts_equal_a_spatial_join_of_one_district(
    kent: gpd.GeoDataFrame,
) -> None:
    wards = load_boundary("wards")
    dartford = wards[wards["lad_code"] == DARTFORD]
    out = area_statistics(kent, districts=[DARTFORD]).set_index("ward_code")
    assert set(out.index) == set(dartford["ward_code"])

    # independent: points within each Dartford ward polygon
    x0, y0, x1, y1 = dartford.total_bounds + np.array([-2e3, -2e3, 2e3, 2e3])
    near = kent.cx[x0:x1, y0:y1]
    near = near[~near.geometry.is_empty]
    joined = gpd.sjoin(
        near[["ward_code", "geometry"]].rename(columns={"ward_code": "ingest"}),
        dartford[["ward_code", "geometry"]],
        predicate="within",
    )
    # every point inside a Dartford ward polygon was given that ward by ingest
    assert (joined["ingest"] == joined["ward_code"]).all()
    within = joined["ward_code"].value_counts()

    # the rest of the count: points given a Dartford ward but inside no ward at
    # all (beyond the clipped coastline or on a boundary line), snapped to the
    # nearest ward within COAST_SNAP_M
    given = near[near["ward_code"].isin(dartford["ward_code"])]
    snapped = given.loc[given.index.difference(joined.index)]
    in_any = gpd.sjoin(snapped[["geometry"]], wards[["geometry"]], predicate="within")
    assert in_any.empty
    polygons = dartford.set_index("ward_code").geometry
    distance = snapped.geometry.distance(
        gpd.GeoSeries(
            polygons.loc[snapped["ward_code"]].to_numpy(), index=snapped.index, crs=CRS
        )
    )
    assert (distance <= COAST_SNAP_M).all()
    assert 0 < len(snapped) < 0.01 * len(given)  # Dartford has a Thames shore
    expected = within.add(snapped["ward_code"].value_counts(), fill_value=0)
    expected = expected.reindex(out.index, fill_value=0).astype(int)
    pd.testing.assert_series_equal(
        out["incidents"], expected, check_names=False, check_dtype=False
    )
    assert out["incidents"].sum() > 15_000
    assert out.attrs["outside"] == len(kent) - out.attrs["unlocated"] - (
        out["incidents"].sum()
    )


def test_county_totals_are_consistent(kent: gpd.GeoDataFrame) -> None:
    months = ("2022-05", "2022-08")
    wards = area_statistics(kent, months=months)
    districts = area_statistics(kent, months=months, level="district")
    assert len(wards) == 279
    assert len(districts) == 13
    by_lad = wards.groupby("lad_code")["incidents"].sum()
    pd.testing.assert_series_equal(
        districts.set_index("lad_code")["incidents"].sort_index(),
        by_lad.sort_index(),
        check_names=False,
        check_index_type=False,
    )
    in_months = kent["month"].between(
        pd.Period("2022-05", "M"), pd.Period("2022-08", "M")
    )
    assert (
        wards["incidents"].sum() + wards.attrs["unlocated"] + wards.attrs["outside"]
        == in_months.sum()
    )
    assert wards.attrs["unlocated"] == (in_months & kent.geometry.is_empty).sum()
    # 2022-01..04 is in the data: change is computed
    assert wards["previous_note"].isna().all()
    assert wards["previous"].sum() == districts["previous"].sum()


def test_the_data_gap_withholds_change(kent: gpd.GeoDataFrame) -> None:
    out = area_statistics(kent, months=("2024-01", "2024-04"), level="district")
    assert out["change"].isna().all()
    assert out["change_p"].isna().all()
    assert "2023-09" in out.attrs["previous_note"]
    assert out["incidents"].sum() > 50_000
    series = monthly_counts(kent, by=None)
    gap = series[series["month"].astype(str).between("2023-02", "2023-12")]
    assert len(gap) == 11
    assert gap["incidents"].isna().all()
    assert series["incidents"].sum() == len(kent)


def test_monthly_counts_of_nothing(crafted: gpd.GeoDataFrame) -> None:
    empty = crafted.iloc[:0]
    assert monthly_counts(empty).empty
    out = monthly_counts(empty, by=None, months=("2022-01", "2022-02"))
    assert list(out["group"]) == ["all incidents"] * 2
    assert out["incidents"].isna().all()  # no data at all: absent, not zero


def test_study_area_is_dissolved_once_and_handed_out_as_copies() -> None:
    from hotspots.boundaries import study_area

    whole = study_area()
    districts = load_boundary("districts")
    assert whole.geometry.iloc[0].area == pytest.approx(districts.area.sum(), rel=1e-9)
    whole["lad_codes"] = "changed"
    whole.geometry = whole.geometry.buffer(1_000)
    again = study_area()
    assert again["lad_codes"].iloc[0] == ",".join(sorted(districts["lad_code"]))
    assert again.geometry.iloc[0].area == pytest.approx(districts.area.sum(), rel=1e-9)
    thanet = study_area(["E07000114"])
    assert thanet["lad_codes"].iloc[0] == "E07000114"
    with pytest.raises(HotspotsError, match="Unknown district"):
        study_area(["E07000114", "E99999999"])
    with pytest.raises(HotspotsError, match="none given"):
        study_area([])


def test_study_area_of_wards_is_those_wards() -> None:
    from hotspots.boundaries import study_area

    wards = load_boundary("wards")
    chosen = ["E05005093", "E05005088"]  # Margate Central, Cliftonville West
    area = study_area(["E07000114"], chosen)
    these = wards[wards["ward_code"].isin(chosen)]
    assert area.geometry.iloc[0].area == pytest.approx(these.area.sum(), rel=1e-9)
    assert area["lad_codes"].iloc[0] == "E07000114"
    assert area["ward_codes"].iloc[0] == ",".join(sorted(chosen))
    # the same wards however given; no wards: the districts whole
    assert study_area(None, chosen[::-1]).geometry.iloc[0].equals(area.geometry.iloc[0])
    assert (
        study_area(["E07000114"], [])
        .geometry.iloc[0]
        .equals(study_area(["E07000114"]).geometry.iloc[0])
    )
    with pytest.raises(HotspotsError, match=r"Unknown ward code\(s\) \['E05999999'\]"):
        study_area(None, ["E05005093", "E05999999"])


def test_districts_by_name_or_code() -> None:
    from hotspots.boundaries import district_codes

    districts = load_boundary("districts")
    # every district's own name, in other cases and with "&" for "and", finds it
    for code, name in zip(districts["lad_code"], districts["lad_name"], strict=True):
        assert (
            district_codes([name, name.upper(), name.replace(" and ", " & ")])
            == [code] * 3
        )
    assert district_codes(["e07000114", " Tunbridge  wells "]) == [
        "E07000114",
        "E07000116",
    ]
    with pytest.raises(
        HotspotsError, match=r"Unknown district 'Kent'.*E07000114 Thanet"
    ):
        district_codes(["Thanet", "Kent"])


def test_wards_by_name_or_code() -> None:
    from hotspots.boundaries import ward_code

    wards = load_boundary("wards")
    shared = wards["ward_name"].duplicated(keep=False)
    # every ward whose name is its own is found by it, in any case
    for code, name in zip(
        wards.loc[~shared, "ward_code"], wards.loc[~shared, "ward_name"], strict=True
    ):
        assert ward_code(name.lower()) == code
    # the names two wards share (Roman, Town, Watling) take their district
    assert sorted(set(wards.loc[shared, "ward_name"])) == ["Roman", "Town", "Watling"]
    for code, name, district in zip(
        wards.loc[shared, "ward_code"],
        wards.loc[shared, "ward_name"],
        wards.loc[shared, "lad_name"],
        strict=True,
    ):
        assert ward_code(f"{name}, {district}") == code
        assert ward_code(f"{name} ({district.lower()})") == code
    # a name with a comma of its own is read whole first
    assert ward_code("Farningham, Horton Kirby & South Darenth") == "E05005016"
    assert ward_code("e05005093") == "E05005093"
    with pytest.raises(
        HotspotsError, match=r"2 wards are called 'Town'.*Town, Dartford"
    ):
        ward_code("town")
    with pytest.raises(HotspotsError, match="Nearest names: Margate Central"):
        ward_code("Margat Central")
    with pytest.raises(HotspotsError, match="Unknown ward 'Town, Thanet'"):
        ward_code("Town, Thanet")


def test_distinct_months_by_counting_equal_np_unique():
    from hotspots.areas import _distinct_months

    rng = np.random.default_rng(3)
    for ordinal in (
        rng.integers(600, 660, 50_000),
        np.array([655, 600, 600, 655]),
        np.array([640]),
        np.array([], dtype=np.int64),
        np.array([-5, 3_000_000, 7]),  # far apart: sorted instead
    ):
        got = _distinct_months(ordinal.astype(np.int64))
        np.testing.assert_array_equal(got, np.unique(ordinal))
        assert got.dtype == np.int64
