"""`evaluate`: back-test scores checked on crafted data where the answer is known."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from hotspots import bundled
from hotspots._validate import HotspotsError
from hotspots.evaluate import (
    _gistar_score,
    _kde_score,
    evaluate,
    month_windows,
    polygon_score,
    rank_cells,
    score_ranking,
)
from hotspots.gistar import gistar_grid
from hotspots.grid import Grid, area_mask, grid_for

CRS = "EPSG:27700"
X0, Y0 = 500_000.0, 150_000.0  # south-west corner of a 1 km x 1 km study area
TRAIN = ("2022-01", "2022-12")
TEST = ("2024-01", "2024-04")


def centre(col: int, row: int) -> tuple[float, float]:
    """Centre of 100 m cell (col, row) of the crafted area (row 0 southernmost)."""
    return X0 + 100 * col + 50, Y0 + 100 * row + 50


def incidents(rows: list[tuple[float, float, str]]) -> gpd.GeoDataFrame:
    """Canonical-ish incidents from (x, y, month); x = NaN means unlocated."""
    xs = [r[0] for r in rows]
    ys = [r[1] for r in rows]
    geoms = gpd.points_from_xy(xs, ys)
    geoms = [g if np.isfinite(x) else None for g, x in zip(geoms, xs, strict=True)]
    gdf = gpd.GeoDataFrame(
        {
            "incident_id": [f"i{i}" for i in range(len(rows))],
            "month": pd.PeriodIndex([r[2] for r in rows], freq="M"),
            "theme": ["ASB & public space"] * len(rows),
            "category": ["Anti-social behaviour"] * len(rows),
            "ward_code": pd.array([pd.NA] * len(rows), dtype="string"),
            "lad_code": pd.array([pd.NA] * len(rows), dtype="string"),
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS),
        crs=CRS,
    )
    # empty points, not missing ones, as the canonical table stores them
    return gdf.set_geometry(
        gdf.geometry.fillna(gpd.GeoSeries.from_wkt(["POINT EMPTY"]).iloc[0])
    )


def at(col: int, row: int, month: str, n: int = 1) -> list[tuple[float, float, str]]:
    x, y = centre(col, row)
    return [(x, y, month)] * n


@pytest.fixture
def area() -> gpd.GeoDataFrame:
    """1 km x 1 km: exactly 100 evaluation cells of 100 m."""
    return gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=CRS)


@pytest.fixture
def crafted() -> gpd.GeoDataFrame:
    """Training: 5 in cell (2,2), 2 in (7,7), 1 in (5,0); test: 4 in (2,2)."""
    return incidents(
        at(2, 2, "2022-03", 5)
        + at(7, 7, "2022-06", 2)
        + at(5, 0, "2022-11", 1)
        + at(2, 2, "2024-02", 4)
    )


@pytest.fixture
def random_data() -> gpd.GeoDataFrame:
    """Clustered points over 2 km x 2 km, 2022 and 2024, snapped to 40 'streets'."""
    rng = np.random.default_rng(0)
    snaps = rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(40, 2))
    pop = rng.gamma(0.5, size=40)
    pop /= pop.sum()
    rows = []
    for month, n in (("2022-05", 600), ("2024-02", 200)):
        pick = rng.choice(40, size=n, p=pop)
        rows += [(snaps[i, 0], snaps[i, 1], month) for i in pick]
    return incidents(rows)


@pytest.fixture
def big_area() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=CRS)


# --------------------------------------------------------------------------- #
# inputs                                                                       #
# --------------------------------------------------------------------------- #


def test_geographic_crs_refused(crafted, area):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        evaluate(crafted.to_crs("EPSG:4326"), method="naive", train=TRAIN, test=TEST)


def test_study_area_in_other_crs_refused(crafted, area):
    with pytest.raises(HotspotsError, match="reproject the study area"):
        evaluate(
            crafted,
            method="naive",
            train=TRAIN,
            test=TEST,
            study_area=area.to_crs("EPSG:3857"),
        )


def test_unknown_method(crafted):
    with pytest.raises(HotspotsError, match="Unknown method 'kmeans'"):
        evaluate(crafted, method="kmeans", train=TRAIN, test=TEST)


@pytest.mark.parametrize("coverage", [0, -0.01, 1.5, float("nan")])
def test_bad_coverage(crafted, coverage):
    with pytest.raises(HotspotsError, match="coverage"):
        evaluate(crafted, method="naive", train=TRAIN, test=TEST, coverages=[coverage])


def test_no_coverage(crafted):
    with pytest.raises(HotspotsError, match="at least one coverage"):
        evaluate(crafted, method="naive", train=TRAIN, test=TEST, coverages=[])


@pytest.mark.parametrize("size", [0, -100, None])
def test_bad_eval_cell_size(crafted, size):
    with pytest.raises(HotspotsError, match="eval_cell_size"):
        evaluate(crafted, method="naive", train=TRAIN, test=TEST, eval_cell_size=size)


def test_test_before_train_is_an_error():
    with pytest.raises(HotspotsError, match="before the training period"):
        month_windows(("2024-01", "2024-04"), ("2022-01", "2022-12"))


@pytest.mark.parametrize(
    "test", [("2022-12", "2023-03"), ("2022-06", "2022-06"), ("2021-06", "2022-01")]
)
def test_overlapping_periods_are_an_error(test):
    with pytest.raises(HotspotsError, match="overlaps the training period"):
        month_windows(("2022-01", "2022-12"), test)


def test_adjacent_periods_are_fine():
    (a, b), (c, d) = month_windows(("2022-01", "2022-12"), ("2023-01", "2023-01"))
    assert (str(a), str(b), str(c), str(d)) == (
        "2022-01",
        "2022-12",
        "2023-01",
        "2023-01",
    )


@pytest.mark.parametrize(
    ("train", "match"),
    [
        (("2022-12", "2022-01"), "ends .* before it starts"),
        (("2022-13", "2022-12"), "not a month"),
        (("22-01", "2022-12"), "not a month"),
        ("2022-01", r"\(from, to\) pair"),
        (("2022-01",), r"\(from, to\) pair"),
    ],
)
def test_bad_months(train, match):
    with pytest.raises(HotspotsError, match=match):
        month_windows(train, TEST)


def test_periods_accept_pandas_periods():
    tr, te = month_windows((pd.Period("2022-01", "M"), pd.Period("2022-12", "M")), TEST)
    assert tr[1] == pd.Period("2022-12", "M")
    assert te[0] == pd.Period("2024-01", "M")


def test_empty_test_period_is_a_clear_error(crafted, area):
    with pytest.raises(
        HotspotsError,
        match=r"No located incidents in the test months 2025-01 to 2025-03",
    ):
        evaluate(
            crafted,
            method="naive",
            train=TRAIN,
            test=("2025-01", "2025-03"),
            study_area=area,
        )


def test_empty_training_period_is_a_clear_error(crafted, area):
    with pytest.raises(HotspotsError, match="training months 2020-01 to 2020-12"):
        evaluate(
            crafted,
            method="naive",
            train=("2020-01", "2020-12"),
            test=TEST,
            study_area=area,
        )


def test_unlocated_only_test_period_is_an_error(area):
    data = incidents(
        at(2, 2, "2022-03", 5) + [(float("nan"), float("nan"), "2024-01")] * 3
    )
    with pytest.raises(HotspotsError, match="No located incidents in the test months"):
        evaluate(data, method="naive", train=TRAIN, test=TEST, study_area=area)


def test_test_incidents_outside_the_area_is_an_error(area):
    far = [(X0 + 50_000, Y0, "2024-01")] * 3
    data = incidents(at(2, 2, "2022-03", 5) + far)
    with pytest.raises(HotspotsError, match="lies in the study area"):
        evaluate(data, method="naive", train=TRAIN, test=TEST, study_area=area)


def test_unknown_theme(crafted, area):
    with pytest.raises(HotspotsError, match="themes present are"):
        evaluate(
            crafted,
            method="naive",
            train=TRAIN,
            test=TEST,
            theme="drugs & county lines",
        )


def test_kde_bad_options(crafted, area):
    with pytest.raises(HotspotsError, match="Unknown KDE option"):
        evaluate(
            crafted,
            method="kde",
            train=TRAIN,
            test=TEST,
            study_area=area,
            options={"eps": 3},
        )
    with pytest.raises(HotspotsError, match="bandwidth"):
        evaluate(
            crafted,
            method="kde",
            train=TRAIN,
            test=TEST,
            study_area=area,
            options={"bandwidth": -5},
        )
    with pytest.raises(HotspotsError, match="subdivide"):
        evaluate(
            crafted,
            method="kde",
            train=TRAIN,
            test=TEST,
            study_area=area,
            options={"bandwidth": 200, "subdivide": 0},
        )


def test_naive_takes_no_options(crafted, area):
    with pytest.raises(HotspotsError, match="no options"):
        evaluate(
            crafted,
            method="naive",
            train=TRAIN,
            test=TEST,
            study_area=area,
            options={"bandwidth": 3},
        )


# --------------------------------------------------------------------------- #
# outputs on crafted data                                                      #
# --------------------------------------------------------------------------- #


def test_all_test_incidents_in_the_hottest_training_cell(crafted, area):
    before = crafted.copy()
    out = evaluate(
        crafted,
        method="naive",
        train=TRAIN,
        test=TEST,
        study_area=area,
        coverages=[0.01, 0.02, 0.05],
    )
    pd.testing.assert_frame_equal(crafted, before)  # input untouched
    assert list(out["method"]) == ["naive"] * 3
    assert list(out["flagged_cells"]) == [1, 2, 5]
    np.testing.assert_allclose(out["area_share"], [0.01, 0.02, 0.05])
    np.testing.assert_allclose(out["hit_rate"], 1.0)
    np.testing.assert_allclose(out["pai"], [100.0, 50.0, 20.0])
    np.testing.assert_allclose(out["pei"], 1.0)
    # RRI by hand: T = 4, R = 8. 1 cell: r_F = 5 -> (4/5)/(4/8) = 1.6;
    # 2 cells: r_F = 7 -> (4/7)/(1/2); 5 cells: r_F = 8 -> 1.
    np.testing.assert_allclose(out["rri"], [1.6, 8 / 7, 1.0])
    assert list(out["train_in_flagged"]) == [5, 7, 8]
    assert (out["test_incidents"] == 4).all()
    assert (out["train_incidents"] == 8).all()
    assert (out["note"] == "").all()
    params = out.attrs["parameters"]
    assert params["eval_cells"] == 100
    assert params["train_in_area"] == 8
    assert params["test_in_area"] == 4
    assert params["study_area_km2"] == pytest.approx(1.0)


def test_test_incidents_in_a_cold_cell(area):
    """Test incidents where training had none: hit rate 0, PEI 0, RRI 0."""
    data = incidents(at(2, 2, "2022-03", 5) + at(8, 8, "2024-01", 3))
    out = evaluate(
        data, method="naive", train=TRAIN, test=TEST, study_area=area, coverages=[0.01]
    )
    row = out.iloc[0]
    assert row["hit_rate"] == 0
    assert row["pai"] == 0
    assert row["pei"] == 0
    assert row["rri"] == 0
    assert row["hit_rate_max"] == 1


def test_rri_by_hand_with_changing_volume(area):
    """Training 10 + 10 + 20 (R = 40); test 3 + 1 + 12 (T = 16); flag 2 cells."""
    data = incidents(
        at(1, 1, "2022-01", 20)
        + at(4, 4, "2022-02", 10)
        + at(6, 6, "2022-03", 10)
        + at(1, 1, "2024-01", 3)
        + at(4, 4, "2024-01", 1)
        + at(9, 9, "2024-01", 12)
    )
    out = evaluate(
        data, method="naive", train=TRAIN, test=TEST, study_area=area, coverages=[0.02]
    )
    row = out.iloc[0]
    # ties between (4,4) and (6,6), both 10 and no neighbours: lower index = (4,4)
    assert row["train_in_flagged"] == 30
    assert row["test_in_flagged"] == 4
    assert row["hit_rate"] == pytest.approx(4 / 16)
    assert row["rri"] == pytest.approx((4 / 30) / (16 / 40))
    # the best 2 cells of the test period hold 12 + 3
    assert row["hit_rate_max"] == pytest.approx(15 / 16)
    assert row["pei"] == pytest.approx(4 / 15)
    assert row["pai"] == pytest.approx((4 / 16) / 0.02)


def test_pei_is_pai_over_best_pai(random_data, big_area):
    out = evaluate(
        random_data,
        method="kde",
        train=TRAIN,
        test=TEST,
        study_area=big_area,
        options={"bandwidth": 300},
        coverages=[0.005, 0.01, 0.05, 0.2],
    )
    best_pai = out["hit_rate_max"] / out["area_share"]
    np.testing.assert_allclose(out["pei"], out["pai"] / best_pai)


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("naive", None),
        ("kde", {"bandwidth": 150}),
        ("kde", None),
        ("gistar", None),
        ("gistar", {"cell_size": 100}),
    ],
)
def test_pei_never_above_one(random_data, big_area, method, options):
    out = evaluate(
        random_data,
        method=method,
        train=TRAIN,
        test=TEST,
        study_area=big_area,
        options=options,
        coverages=[0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0],
    )
    assert (out["pei"] <= 1 + 1e-12).all()
    assert (out["pei"] >= 0).all()
    assert (out["hit_rate"] <= out["hit_rate_max"] + 1e-12).all()
    assert out["hit_rate"].between(0, 1).all()
    # full coverage: every test incident is hit, PAI = PEI = 1
    full = out[out["coverage"] == 1.0]
    np.testing.assert_allclose(full["hit_rate"], 1.0)
    np.testing.assert_allclose(full["pai"], 1.0)
    np.testing.assert_allclose(full["pei"], 1.0)
    np.testing.assert_allclose(full["rri"], 1.0)


def test_flagging_the_test_periods_own_top_cells_gives_pei_one(random_data, big_area):
    grid = grid_for(big_area.total_bounds, cell_size=100)
    mask = area_mask(grid, big_area)
    test = random_data[random_data["month"] >= pd.Period("2024-01", "M")]
    xy = test.get_coordinates().to_numpy()
    counts = np.zeros(grid.shape)
    row, col, inside = grid.index_of(xy[:, 0], xy[:, 1])
    np.add.at(counts, (row[inside], col[inside]), 1)  # independent of bin_points
    order = rank_cells(counts, mask, counts)
    out = score_ranking(
        order, counts, counts + 1, mask, coverages=[0.0025, 0.01, 0.03, 0.2]
    )
    np.testing.assert_allclose(out["pei"], 1.0)
    np.testing.assert_allclose(out["hit_rate"], out["hit_rate_max"])
    # and a copy of the test period as training data does the same through evaluate
    copy = test.assign(month=pd.Period("2022-06", "M"))
    both = pd.concat([copy, test], ignore_index=True)
    res = evaluate(
        both,
        method="naive",
        train=TRAIN,
        test=TEST,
        study_area=big_area,
        coverages=[0.0025, 0.01, 0.03, 0.2],
    )
    np.testing.assert_allclose(res["pei"], 1.0)


def test_baseline_ties_broken_by_neighbours_then_index():
    ny, nx = 6, 8
    mask = np.ones((ny, nx), dtype=bool)
    counts = np.zeros((ny, nx))
    counts[1, 6] = 2  # hottest
    counts[4, 1] = 1  # a pair of neighbours: 2 in each one's 3 x 3 window
    counts[3, 1] = 1
    counts[5, 7] = 1  # two loners: 1 in their windows, so after the pair ...
    counts[5, 4] = 1  # ... and between them the lower index (row-major) first
    order = rank_cells(counts, mask, counts)
    assert list(order[:5]) == [
        1 * nx + 6,
        3 * nx + 1,
        4 * nx + 1,
        5 * nx + 4,
        5 * nx + 7,
    ]
    # the empty cells follow: more incidents around them first, then by index
    rest = order[5:]
    window = np.array(
        [
            [
                counts[max(0, r - 1) : r + 2, max(0, c - 1) : c + 2].sum()
                for c in range(nx)
            ]
            for r in range(ny)
        ]
    ).ravel()
    keys = [(-window[i], i) for i in rest]
    assert keys == sorted(keys)
    assert len(order) == ny * nx


def test_rank_cells_skips_unranked_and_out_of_area_cells():
    grid = Grid(x0=0, y0=0, cell_size=100, nx=3, ny=1)
    score = np.array([[np.nan, 1.0, 2.0]])
    mask = np.array([[True, True, False]])
    assert list(rank_cells(score, mask, np.zeros(grid.shape))) == [1]


def test_evaluate_is_deterministic_and_order_free(random_data, big_area):
    args = {
        "method": "gistar",
        "train": TRAIN,
        "test": TEST,
        "study_area": big_area,
    }
    a = evaluate(random_data, **args)
    b = evaluate(random_data.sample(frac=1, random_state=1), **args)
    pd.testing.assert_frame_equal(a, b)


def test_fewer_ranked_cells_than_asked_is_reported():
    grid = Grid(x0=0, y0=0, cell_size=100, nx=10, ny=10)
    mask = np.ones(grid.shape, dtype=bool)
    train = np.zeros(grid.shape)
    test = np.zeros(grid.shape)
    train[5, 5] = 4
    test[5, 5] = 2
    test[0, 0] = 2
    out = score_ranking(np.array([55]), test, train, mask, coverages=[0.01, 0.05])
    assert list(out["flagged_cells"]) == [1, 1]
    np.testing.assert_allclose(out["area_share"], 0.01)
    np.testing.assert_allclose(out["hit_rate"], 0.5)
    np.testing.assert_allclose(out["pai"], 50.0)
    assert out["note"].iloc[0] == ""
    assert "ranks only 1 of the 5 cells" in out["note"].iloc[1]
    # nothing ranked: PAI and PEI undefined, said so
    none = score_ranking(
        np.array([], dtype=np.int64), test, train, mask, coverages=[0.05]
    )
    assert np.isnan(none["pai"].iloc[0])
    assert np.isnan(none["pei"].iloc[0])
    assert "no cell flagged" in none["note"].iloc[0]


def test_rri_nan_when_flagged_cells_had_no_training_incidents():
    grid = Grid(x0=0, y0=0, cell_size=100, nx=10, ny=10)
    mask = np.ones(grid.shape, dtype=bool)
    train = np.zeros(grid.shape)
    test = np.zeros(grid.shape)
    train[5, 5] = 4
    test[0, 0] = 2
    out = score_ranking(np.array([0]), test, train, mask, coverages=[0.01])
    assert np.isnan(out["rri"].iloc[0])
    assert "RRI undefined" in out["note"].iloc[0]
    assert out["pei"].iloc[0] == 1.0


def test_score_ranking_refuses_empty_periods():
    mask = np.ones((2, 2), dtype=bool)
    with pytest.raises(HotspotsError, match="No test incidents"):
        score_ranking(np.array([0]), np.zeros((2, 2)), np.ones((2, 2)), mask)
    with pytest.raises(HotspotsError, match="No training incidents"):
        score_ranking(np.array([0]), np.ones((2, 2)), np.zeros((2, 2)), mask)


def test_unlocated_rows_are_counted_not_scored(crafted, area):
    extra = incidents(
        [(float("nan"), float("nan"), "2024-01")] * 2
        + [(float("nan"), float("nan"), "2022-01")]
    )
    data = pd.concat([crafted, extra], ignore_index=True)
    out = evaluate(data, method="naive", train=TRAIN, test=TEST, study_area=area)
    params = out.attrs["parameters"]
    assert params["test_unlocated"] == 2
    assert params["train_unlocated"] == 1
    assert (out["test_incidents"] == 4).all()


def test_month_as_text_and_theme_filter(crafted, area):
    data = crafted.assign(month=crafted["month"].astype(str))
    other = incidents(at(9, 9, "2024-01", 50)).assign(theme="acquisitive")
    data = pd.concat([data, other.assign(month=other["month"].astype(str))])
    out = evaluate(
        data,
        method="naive",
        train=TRAIN,
        test=TEST,
        study_area=area,
        theme="ASB & public space",
        coverages=[0.01],
    )
    assert out["hit_rate"].iloc[0] == 1.0
    assert out["test_incidents"].iloc[0] == 4


def test_method_rows_follow_the_baseline_with_parameters(random_data, big_area):
    out = evaluate(
        random_data,
        method="kde",
        train=TRAIN,
        test=TEST,
        study_area=big_area,
    )
    assert list(out["method"]) == ["naive"] * 4 + ["kde"] * 4
    params = json.loads(out["parameters"].iloc[-1])
    assert params["bandwidth_automatic"] is True
    assert params["bandwidth_m"] > 0
    assert "chosen by" in params["bandwidth_explanation"]
    assert (
        out.attrs["parameters"]["method_parameters"]["bandwidth_m"]
        == params["bandwidth_m"]
    )
    assert out["label"].iloc[-1].startswith("kde (bandwidth")


def test_no_study_area_uses_the_incidents_box(crafted):
    out = evaluate(crafted, method="naive", train=TRAIN, test=TEST, coverages=[0.5])
    # box of the centres of cells (2,2), (7,7) and (5,0): columns 2-7, rows 0-7
    assert out.attrs["parameters"]["eval_cells"] == 6 * 8
    assert out["hit_rate"].iloc[0] == 1.0


# --------------------------------------------------------------------------- #
# method scores against independent calculations                               #
# --------------------------------------------------------------------------- #


def quartic_direct(
    xy: np.ndarray, cx: np.ndarray, cy: np.ndarray, h: float
) -> np.ndarray:
    d2 = (cx[..., None] - xy[:, 0]) ** 2 + (cy[..., None] - xy[:, 1]) ** 2
    k = np.where(d2 < h * h, 3 / (np.pi * h * h) * (1 - d2 / (h * h)) ** 2, 0.0)
    return k.sum(axis=-1) * 1e6


@pytest.mark.parametrize(
    ("bandwidth", "subdivide"), [(300.0, 1), (150.0, 2), (250.0, None)]
)
def test_kde_score_matches_direct_summation(
    random_data, big_area, bandwidth, subdivide
):
    train = random_data[random_data["month"] < pd.Period("2023-01", "M")]
    xy = train.get_coordinates().to_numpy()
    grid = grid_for(big_area.total_bounds, cell_size=100)
    opts = {"bandwidth": bandwidth}
    if subdivide is not None:
        opts["subdivide"] = subdivide
    score, params = _kde_score(train, grid, big_area, opts)
    sub = params["subdivide"]
    assert sub == (subdivide or 1)
    # average of the direct quartic sum at the sub-cell centres of each cell
    cx, cy = grid.centres()
    offsets = (np.arange(sub) + 0.5) / sub * 100 - 50
    direct = np.zeros(grid.shape)
    for ox in offsets:
        for oy in offsets:
            direct += quartic_direct(xy, cx + ox, cy + oy, bandwidth)
    direct /= sub * sub
    peak = direct.max()
    np.testing.assert_allclose(score, direct, atol=0.01 * peak)
    assert params["bandwidth_m"] == bandwidth


def test_default_subdivide_for_narrow_bandwidths(random_data, big_area):
    train = random_data[random_data["month"] < pd.Period("2023-01", "M")]
    grid = grid_for(big_area.total_bounds, cell_size=100)
    for h, expected in ((400, 1), (200, 1), (100, 2), (60, 4), (20, 4)):
        _, params = _kde_score(train, grid, big_area, {"bandwidth": h})
        assert params["subdivide"] == expected, h


def test_gistar_score_is_the_z_of_the_gistar_cell(random_data, big_area):
    train = random_data[random_data["month"] < pd.Period("2023-01", "M")]
    grid = grid_for(big_area.total_bounds, cell_size=100)
    score, params = _gistar_score(train, grid, big_area, {})
    ref = gistar_grid(train, study_area=big_area)
    assert params["cell_size_m"] == 200
    # each 200 m Gi* cell holds a 2 x 2 block of 100 m cells with its z
    for r in range(0, 20, 2):
        for c in range(0, 20, 2):
            rr, cc, inside = ref.grid.index_of(
                grid.x0 + (c + 0.5) * 100, grid.y0 + (r + 0.5) * 100
            )
            assert inside
            np.testing.assert_array_equal(score[r : r + 2, c : c + 2], ref.gi_z[rr, cc])


def test_polygon_score_by_cluster_density():
    grid = Grid(x0=0, y0=0, cell_size=100, nx=10, ny=10)
    polys = gpd.GeoDataFrame(
        {"incidents": [40, 10], "area_km2": [0.04, 0.09]},
        geometry=[box(0, 0, 200, 200), box(100, 100, 400, 400)],
        crs=CRS,
    )
    score = polygon_score(grid, polys)
    d1, d2 = 40 / 0.04, 10 / 0.09
    assert score[0, 0] == d1
    assert score[1, 1] == d1  # in both: the denser one
    assert score[3, 3] == pytest.approx(d2)
    assert score[1, 2] == pytest.approx(d2)
    assert np.isnan(score[5, 5])
    assert np.isfinite(score).sum() == 4 + 9 - 1
    empty = polygon_score(grid, polys.iloc[:0])
    assert np.isnan(empty).all()


# --------------------------------------------------------------------------- #
# the bundled Kent data                                                        #
# --------------------------------------------------------------------------- #


@pytest.mark.skipif(
    not bundled.POLICE_UK_KENT.exists(), reason="bundled police.uk data not built"
)
def test_kent_one_district_one_theme():
    from hotspots.boundaries import study_area
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    thanet = "E07000114"
    inc = inc[inc["lad_code"].eq(thanet).fillna(False).to_numpy(dtype=bool)]
    out = evaluate(
        inc,
        method="kde",
        train=("2022-01", "2022-12"),
        test=("2024-01", "2024-04"),
        study_area=study_area([thanet]),
        theme="drugs & county lines",
        options={"bandwidth": 200},
    )
    assert list(out["method"].unique()) == ["naive", "kde"]
    assert out["hit_rate"].between(0, 1).all()
    assert (out["pei"] <= 1).all()
    assert (out["pai"] > 1).all()  # both beat flagging cells at random
    np.testing.assert_allclose(
        out["area_share"],
        np.repeat([0.005, 0.01, 0.02, 0.05], 2).reshape(4, 2).T.ravel(),
        rtol=0.02,
    )
    n_test = out["test_incidents"].iloc[0]
    assert 100 < n_test < 1000
    assert (out["hit_rate"].diff()[out["coverage"].diff() > 0] >= 0).all()


def test_dbscan_flags_only_cluster_cells(big_area):
    pts = [(5, 5), (5, 6), (6, 5)]
    rows = []
    for c, r in pts:
        rows += at(c, r, "2022-04", 10) + at(c, r, "2024-03", 2)
    rows += at(15, 15, "2022-04", 1) + at(15, 15, "2024-03", 1)  # a loner
    out = evaluate(
        incidents(rows),
        method="dbscan",
        train=TRAIN,
        test=TEST,
        study_area=big_area,
        options={"eps": 150, "min_incidents": 5},
        coverages=[0.05],
    )
    row = out[out["method"] == "dbscan"].iloc[0]
    assert row["flagged_cells"] == 3
    assert row["test_in_flagged"] == 6
    assert row["hit_rate"] == pytest.approx(6 / 7)
    assert row["pai"] == pytest.approx((6 / 7) / (3 / 400))
    assert "ranks only 3 of the 20 cells" in row["note"]
    assert json.loads(row["parameters"])["clusters"] == 1
