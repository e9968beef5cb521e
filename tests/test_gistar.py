"""Gi* on a grid: cross-checked against esda, a hand BH computation and scipy."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from esda.significance import calculate_significance
from libpysal.weights import W
from scipy import stats

from hotspots._validate import HotspotsError
from hotspots.gistar import (
    GiStarResult,
    _permutation_p,
    auto_cell_size,
    benjamini_hochberg,
    gi_bins,
    gi_star,
    gistar_grid,
    window,
)

CRS = "EPSG:27700"


# --------------------------------------------------------------------------- #
# helpers                                                                      #
# --------------------------------------------------------------------------- #


def esda_weights(mask: np.ndarray, footprint: np.ndarray) -> tuple[W, np.ndarray]:
    """libpysal W over the in-area cells: j neighbours i when in i's window."""
    ny, nx = mask.shape
    ids = np.flatnonzero(mask.ravel())
    pos = {int(c): i for i, c in enumerate(ids)}
    k = footprint.shape[0] // 2
    offsets = [
        (dr - k, dc - k)
        for dr in range(footprint.shape[0])
        for dc in range(footprint.shape[1])
        if footprint[dr, dc] and (dr, dc) != (k, k)
    ]
    neighbours = {}
    for c in ids:
        r, q = divmod(int(c), nx)
        neighbours[pos[int(c)]] = [
            pos[(r + dr) * nx + q + dc]
            for dr, dc in offsets
            if 0 <= r + dr < ny and 0 <= q + dc < nx and mask[r + dr, q + dc]
        ]
    with warnings.catch_warnings():
        # libpysal warns about islands / disconnected components; not an error here
        warnings.simplefilter("ignore", UserWarning)
        return W(neighbours), ids


def irregular_mask(ny: int = 20, nx: int = 30) -> np.ndarray:
    """A 30 x 20 grid with a 'sea' corner and a notch cut out."""
    mask = np.ones((ny, nx), dtype=bool)
    rows, cols = np.indices((ny, nx))
    mask[rows + cols < 8] = False  # sea in the south-west corner
    mask[14:, 24:] = False  # north-east notch
    mask[9, 12:15] = False  # an estuary across the middle
    return mask


def points_at(xy, *, crs: str = CRS, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs
    )


@pytest.fixture
def hotspot_points() -> gpd.GeoDataFrame:
    """Background of one incident per 100 m cell over 3 x 2 km, plus a strong blob."""
    rng = np.random.default_rng(0)
    xs, ys = np.meshgrid(570_050 + 100 * np.arange(30), 150_050 + 100 * np.arange(20))
    background = np.column_stack([xs.ravel(), ys.ravel()])
    blob = rng.normal((571_550, 151_050), 60, size=(300, 2))
    return points_at(np.vstack([background, blob]))


# --------------------------------------------------------------------------- #
# inputs                                                                       #
# --------------------------------------------------------------------------- #


def test_geographic_crs_is_refused(hotspot_points):
    wgs = hotspot_points.to_crs("EPSG:4326")
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        gistar_grid(wgs, cell_size=100)


def test_no_located_points_is_refused():
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(), shapely.Point()], crs=CRS)
    with pytest.raises(HotspotsError, match="None of the 2 incidents has a location"):
        gistar_grid(pts, cell_size=100)


def test_empty_frame_is_refused():
    pts = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS))
    with pytest.raises(HotspotsError, match="has a location"):
        gistar_grid(pts, cell_size=100)


@pytest.mark.parametrize("size", [0, -100, float("nan")])
def test_cell_size_must_be_positive(hotspot_points, size):
    with pytest.raises(HotspotsError, match="cell_size"):
        gistar_grid(hotspot_points, cell_size=size)


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_neighbours_must_be_a_positive_whole_number(hotspot_points, k):
    with pytest.raises(HotspotsError, match="neighbours"):
        gistar_grid(hotspot_points, cell_size=100, neighbours=k)


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_permutations_must_be_whole_and_non_negative(hotspot_points, bad):
    with pytest.raises(HotspotsError, match="permutations"):
        gistar_grid(hotspot_points, cell_size=100, permutations=bad)


def test_distance_must_be_positive(hotspot_points):
    with pytest.raises(HotspotsError, match="distance"):
        gistar_grid(hotspot_points, cell_size=100, distance=0)


def test_too_few_cells_is_refused():
    pts = points_at([(570_010, 150_010), (570_020, 150_020)])
    with pytest.raises(HotspotsError, match="at least 3 cells"):
        gistar_grid(pts, cell_size=100)


def test_weight_column_checked(hotspot_points):
    with pytest.raises(HotspotsError, match="'harm' not found"):
        gistar_grid(hotspot_points, cell_size=100, weight="harm")
    bad = hotspot_points.assign(weight=1.0)
    bad.loc[3, "weight"] = np.nan
    with pytest.raises(HotspotsError, match="finite weights"):
        gistar_grid(bad, cell_size=100, weight="weight")
    neg = hotspot_points.assign(weight=1.0)
    neg.loc[5, "weight"] = -2.0
    with pytest.raises(HotspotsError, match="finite weights"):
        gistar_grid(neg, cell_size=100, weight="weight")


def test_study_area_crs_must_match(hotspot_points):
    area = gpd.GeoDataFrame(
        geometry=[shapely.box(570_000, 150_000, 573_000, 152_000)], crs="EPSG:3857"
    )
    with pytest.raises(HotspotsError, match="reproject"):
        gistar_grid(hotspot_points, cell_size=100, study_area=area)


def test_array_inputs_checked():
    with pytest.raises(HotspotsError, match="same shape"):
        gi_star(np.zeros((3, 4)), np.ones((4, 3), bool))
    values = np.ones((4, 4))
    values[1, 1] = np.nan
    with pytest.raises(HotspotsError, match=r"row 1, col 1"):
        gi_star(values, np.ones((4, 4), bool))
    # NaN outside the mask is fine: it is not part of the analysis
    mask = np.ones((4, 4), bool)
    mask[1, 1] = False
    z, _ = gi_star(values, mask)
    assert np.isnan(z[1, 1])
    assert np.isfinite(z[mask]).all()


def test_all_equal_values_give_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z, p = gi_star(np.full((5, 6), 3.0))
    assert (z == 0).all()
    assert (p == 1).all()


def test_all_equal_incidents_give_no_hotspots():
    # one incident in each of 4 x 3 cells: S = 0, z undefined -> 0, bin 0
    xs, ys = np.meshgrid(570_050 + 100 * np.arange(4), 150_050 + 100 * np.arange(3))
    res = gistar_grid(
        points_at(np.column_stack([xs.ravel(), ys.ravel()])), cell_size=100
    )
    assert (res.gi_z == 0).all()
    assert (res.gi_bin == 0).all()
    assert len(res.hotspots()) == 0


def test_window_spanning_every_cell_gives_zero():
    # 3 cells in a row with a 5 x 5 window: n W - W² = 0 for every cell
    z, p = gi_star(np.array([[1.0, 5.0, 2.0]]), neighbours=2)
    assert (z == 0).all()
    assert (p == 1).all()


def test_input_frame_is_not_modified(hotspot_points):
    before = hotspot_points.copy()
    gistar_grid(hotspot_points, cell_size=100)
    pd.testing.assert_frame_equal(pd.DataFrame(hotspot_points), pd.DataFrame(before))


# --------------------------------------------------------------------------- #
# the statistic against esda                                                   #
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("footprint", "label"),
    [
        (window(1), "3x3"),
        (window(2), "5x5"),
        (window(distance=250, cell_size=100), "circle 250 m"),
    ],
)
def test_z_and_p_match_esda_on_irregular_mask(footprint, label):
    rng = np.random.default_rng(7)
    mask = irregular_mask()
    values = rng.poisson(2.0, mask.shape).astype(float)
    values[12:15, 5:8] += 9  # a hot spot
    values[~mask] = 1000.0  # outside the area: must be ignored entirely
    z, p = gi_star(values, mask, footprint=footprint)
    w, ids = esda_weights(mask, footprint)
    g = G_Local(values.ravel()[ids], w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(z.ravel()[ids], g.Zs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(p.ravel()[ids], 2 * g.p_norm, rtol=0, atol=1e-10)
    assert np.isnan(z[~mask]).all()
    assert np.isnan(p[~mask]).all()


def test_z_matches_direct_formula_by_summation():
    rng = np.random.default_rng(3)
    mask = np.ones((8, 9), dtype=bool)
    mask[:2, :3] = False  # sea corner
    mask[5, 4] = False  # a lake
    values = rng.integers(0, 6, mask.shape).astype(float)
    z, _ = gi_star(values, mask)
    x = values[mask]
    n, mean, s = x.size, x.mean(), x.std(ddof=0)
    for r, c in zip(*np.nonzero(mask), strict=True):
        win = [
            values[rr, cc]
            for rr in range(r - 1, r + 2)
            for cc in range(c - 1, c + 2)
            if 0 <= rr < 8 and 0 <= cc < 9 and mask[rr, cc]
        ]
        wi = len(win)
        expected = (sum(win) - mean * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
        assert z[r, c] == pytest.approx(expected, abs=1e-12)


def test_window_shapes():
    assert window(1).shape == (3, 3)
    assert window(1).all()
    assert window(2).sum() == 25
    circle = window(distance=200, cell_size=100)
    assert circle.shape == (5, 5)
    # centres within 200 m: the 3 x 3 block plus the 4 cells 2 away on the axes
    assert circle.sum() == 13
    assert window(distance=50, cell_size=100).sum() == 1


# --------------------------------------------------------------------------- #
# FDR and bins                                                                 #
# --------------------------------------------------------------------------- #


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005])
    # sorted: 0.005 0.01 0.03 0.04 0.20, m = 5 -> m p / rank:
    # 0.025 0.025 0.05 0.05 0.20, then running minimum from the top: same values
    expected = np.array([0.025, 0.05, 0.05, 0.20, 0.025])
    np.testing.assert_allclose(benjamini_hochberg(p), expected)
    # step-up monotonicity: a large p earlier in rank is pulled down by a later one
    p2 = np.array([0.02, 0.03, 0.031])
    # m p / rank = 0.06, 0.045, 0.031 -> running min from the top: .031 .031 .031
    np.testing.assert_allclose(benjamini_hochberg(p2), [0.031, 0.031, 0.031])


def test_benjamini_hochberg_matches_scipy_and_keeps_nan():
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(size=500), rng.uniform(0, 0.001, size=50)])
    np.testing.assert_allclose(
        benjamini_hochberg(p), stats.false_discovery_control(p, method="bh")
    )
    grid = p[:12].reshape(3, 4).copy()
    grid[0, 0] = np.nan
    adj = benjamini_hochberg(grid)
    assert adj.shape == (3, 4)
    assert np.isnan(adj[0, 0])
    finite = grid[np.isfinite(grid)]
    np.testing.assert_allclose(
        adj[np.isfinite(grid)], stats.false_discovery_control(finite)
    )
    assert np.isnan(benjamini_hochberg(np.array([np.nan]))).all()
    with pytest.raises(HotspotsError, match="between 0 and 1"):
        benjamini_hochberg(np.array([0.5, 1.5]))


def test_bins_at_thresholds():
    z = np.array([3.0, 3.0, 3.0, 3.0, 3.0, -1.0, -1.0, -1.0, 0.0, np.nan, 1.0])
    p = np.array([0.01, 0.0101, 0.05, 0.10, 0.1001, 0.01, 0.05, 0.1, 1.0, 0.01, np.nan])
    assert gi_bins(z, p).tolist() == [3, 2, 2, 1, 0, -3, -2, -1, 0, 0, 0]


def test_bins_use_fdr_adjusted_p_when_on(hotspot_points):
    on = gistar_grid(hotspot_points, cell_size=100)
    off = gistar_grid(hotspot_points, cell_size=100, fdr=False)
    np.testing.assert_array_equal(on.gi_z, off.gi_z)
    np.testing.assert_array_equal(on.gi_p, off.gi_p)
    np.testing.assert_array_equal(on.gi_bin, gi_bins(on.gi_z, on.gi_p_adj))
    np.testing.assert_array_equal(off.gi_bin, gi_bins(off.gi_z, off.gi_p))
    np.testing.assert_array_equal(off.gi_p_adj, off.gi_p)
    inside = on.mask
    np.testing.assert_allclose(
        on.gi_p_adj[inside], stats.false_discovery_control(on.gi_p[inside])
    )
    # FDR can only remove significance, never add it
    assert (np.abs(on.gi_bin) <= np.abs(off.gi_bin)).all()
    assert (np.abs(on.gi_bin) < np.abs(off.gi_bin)).any()


# --------------------------------------------------------------------------- #
# incidents -> result                                                          #
# --------------------------------------------------------------------------- #


def test_strong_hotspot_is_found_and_reported(hotspot_points):
    res = gistar_grid(hotspot_points, cell_size=100)
    assert isinstance(res, GiStarResult)
    r, c = res.grid.index_of([571_550], [151_050])[:2]
    assert res.gi_bin[r[0], c[0]] == 3
    assert res.gi_z[r[0], c[0]] > 5
    assert res.counts.sum() == len(hotspot_points)
    assert res.parameters["incidents_in_area"] == len(hotspot_points)
    assert res.parameters["cell_size_m"] == 100.0
    assert res.parameters["p_values"] == "two-sided"
    assert res.parameters["fdr"] == "benjamini-hochberg"
    hs = res.hotspots()
    assert len(hs) == 1
    assert hs.crs == CRS
    assert list(hs.columns) == [
        "hotspot",
        "cells",
        "incidents",
        "harm",
        "area_km2",
        "max_z",
        "mean_z",
        "geometry",
    ]
    spot = hs.iloc[0]
    assert spot.geometry.contains(shapely.Point(571_550, 151_050))
    assert spot.geometry.geom_type == "Polygon"
    hot = res.mask & (res.gi_bin >= 2)
    assert spot.cells == hot.sum()
    assert spot.incidents == res.counts[hot].sum()
    assert spot.area_km2 == pytest.approx(hot.sum() * 0.01)
    assert spot.geometry.area == pytest.approx(spot.area_km2 * 1e6)
    assert spot.max_z == pytest.approx(res.gi_z[hot].max())
    assert spot.mean_z == pytest.approx(res.gi_z[hot].mean())
    assert hs.attrs["parameters"]["min_bin"] == 2
    assert len(res.hotspots(min_bin=3)) >= 1
    with pytest.raises(HotspotsError, match="min_bin"):
        res.hotspots(min_bin=0)


def test_two_hotspots_are_separate_polygons_largest_first():
    rng = np.random.default_rng(2)
    xs, ys = np.meshgrid(570_050 + 100 * np.arange(40), 150_050 + 100 * np.arange(20))
    background = np.column_stack([xs.ravel(), ys.ravel()])
    big = rng.normal((570_800, 151_000), 50, size=(300, 2))
    small = rng.normal((573_300, 151_000), 50, size=(150, 2))
    res = gistar_grid(points_at(np.vstack([background, big, small])), cell_size=100)
    hs = res.hotspots()
    assert len(hs) == 2
    assert hs.hotspot.tolist() == [1, 2]
    assert hs.incidents.iloc[0] > hs.incidents.iloc[1]
    assert hs.geometry.iloc[0].contains(shapely.Point(570_800, 151_000))
    assert hs.geometry.iloc[1].contains(shapely.Point(573_300, 151_000))


def test_hotspot_statistics_are_scipy_labelled_statistics():
    # several hot spots with harm weights: each one's cells, incidents, harm and
    # z are exactly what scipy.ndimage computes over the labelled grid
    from scipy import ndimage

    rng = np.random.default_rng(5)
    xs, ys = np.meshgrid(570_050 + 100 * np.arange(40), 150_050 + 100 * np.arange(25))
    blobs = [rng.normal(c, 80, size=(n, 2)) for c, n in [((570_800, 151_000), 300),
             ((573_300, 151_200), 150), ((572_000, 152_000), 90)]]  # fmt: skip
    xy = np.vstack([np.column_stack([xs.ravel(), ys.ravel()]), *blobs])
    weight = rng.uniform(0.5, 3.0, len(xy))
    res = gistar_grid(points_at(xy, weight=weight), cell_size=100, weight="weight")
    for min_bin in (1, 2, 3):
        hs = res.hotspots(min_bin=min_bin)
        assert len(hs) >= 2
        labels, k = ndimage.label(res.mask & (res.gi_bin >= min_bin))
        assert k == len(hs)
        # each hot spot's label: the one under its first cell's centre
        at = [labels[res.grid.index_of([p.x], [p.y])[0][0],
                     res.grid.index_of([p.x], [p.y])[1][0]]
              for p in hs.geometry.representative_point()]  # fmt: skip
        idx = np.array(at)
        assert sorted(idx.tolist()) == list(range(1, k + 1))
        np.testing.assert_array_equal(
            hs.incidents, ndimage.sum_labels(res.counts, labels, idx).round()
        )
        np.testing.assert_array_equal(
            hs.harm, ndimage.sum_labels(res.harm, labels, idx)
        )
        np.testing.assert_array_equal(hs.max_z, ndimage.maximum(res.gi_z, labels, idx))
        np.testing.assert_array_equal(hs.mean_z, ndimage.mean(res.gi_z, labels, idx))
        np.testing.assert_array_equal(
            hs.cells, ndimage.sum_labels(labels > 0, labels, idx)
        )


def test_to_cells_columns_and_values(hotspot_points):
    res = gistar_grid(hotspot_points, cell_size=100)
    cells = res.to_cells()
    assert list(cells.columns) == [
        "row",
        "col",
        "n",
        "harm",
        "gi_z",
        "gi_p",
        "gi_p_adj",
        "gi_bin",
        "geometry",
    ]
    assert len(cells) == res.mask.sum()
    assert cells.crs == CRS
    assert cells.n.dtype == "int64"
    assert cells.n.sum() == len(hotspot_points)
    np.testing.assert_array_equal(cells.gi_z, res.gi_z[cells.row, cells.col])
    # every incident lies in the cell that counts it
    joined = gpd.sjoin(hotspot_points, cells, predicate="within")
    assert (joined.groupby("index_right").size() == cells.n[cells.n > 0]).all()
    assert cells.attrs["parameters"]["method"] == "gistar"


def test_study_area_excludes_cells_and_points(hotspot_points):
    # an area covering the western 2 km only: eastern points are outside
    area = gpd.GeoDataFrame(
        geometry=[shapely.box(570_000, 150_000, 572_000, 152_000)], crs=CRS
    )
    res = gistar_grid(hotspot_points, cell_size=100, study_area=area)
    assert res.mask.sum() == 20 * 20
    inside = hotspot_points.geometry.within(area.geometry.iloc[0])
    assert res.counts.sum() == inside.sum()
    assert res.parameters["incidents_outside_area"] == (~inside).sum()
    assert np.isnan(res.gi_z[~res.mask]).all()
    assert (res.gi_bin[~res.mask] == 0).all()
    # same statistic as the array function on the in-area counts
    z, _ = gi_star(res.counts, res.mask)
    np.testing.assert_allclose(res.gi_z, z, equal_nan=True)


def test_study_area_as_geoseries(hotspot_points):
    area = gpd.GeoSeries([shapely.box(570_000, 150_000, 572_000, 152_000)], crs=CRS)
    res = gistar_grid(hotspot_points, cell_size=100, study_area=area)
    assert res.mask.sum() == 400


def test_unlocated_rows_are_skipped_and_counted(hotspot_points):
    extra = gpd.GeoDataFrame(
        geometry=[shapely.Point()] * 3, crs=CRS, index=[-1, -2, -3]
    )
    both = pd.concat([hotspot_points, extra])
    res = gistar_grid(both, cell_size=100)
    ref = gistar_grid(hotspot_points, cell_size=100)
    np.testing.assert_array_equal(res.gi_z, ref.gi_z)
    assert res.parameters["incidents_unlocated"] == 3
    assert res.parameters["incidents"] == len(both)


def test_weight_column_is_summed(hotspot_points):
    w = np.where(np.arange(len(hotspot_points)) % 2 == 0, 2.5, 1.0)
    pts = hotspot_points.assign(weight=w)
    res = gistar_grid(pts, cell_size=100, weight="weight")
    assert res.harm.sum() == pytest.approx(w.sum())
    z, _ = gi_star(res.harm, res.mask)
    np.testing.assert_allclose(res.gi_z, z)
    assert res.hotspots().harm.iloc[0] > res.hotspots().incidents.iloc[0]


def test_automatic_cell_size_is_reported(hotspot_points, caplog):
    assert auto_cell_size((0, 0, 3000, 2000)) == 20.0
    assert auto_cell_size((0, 0, 60_000, 40_000)) == 500.0
    assert auto_cell_size((0, 0, 100, 100)) == 10.0
    with caplog.at_level("INFO", logger="hotspots.gistar"):
        res = gistar_grid(hotspot_points, cell_size=None)
    assert res.parameters["cell_size_auto"] is True
    assert res.parameters["cell_size_m"] == res.grid.cell_size
    assert "Cell size set to" in caplog.text


def test_distance_band_is_recorded(hotspot_points):
    res = gistar_grid(hotspot_points, cell_size=100, distance=200)
    assert res.parameters["window_cells"] == 13
    assert res.parameters["distance_m"] == 200.0
    assert res.parameters["neighbours"] is None


# --------------------------------------------------------------------------- #
# permutation inference                                                        #
# --------------------------------------------------------------------------- #


def exact_tail_p(values: np.ndarray, mask: np.ndarray, r: int, c: int) -> float:
    """The one-sided p of one cell in its own tail (ties included), by enumerating
    every draw of its neighbour slots."""
    x = values[mask]
    flat = np.flatnonzero(mask.ravel())
    i = int(np.flatnonzero(flat == r * mask.shape[1] + c)[0])
    others = np.delete(x, i)
    win = [
        values[rr, cc]
        for rr in range(r - 1, r + 2)
        for cc in range(c - 1, c + 2)
        if 0 <= rr < mask.shape[0] and 0 <= cc < mask.shape[1] and mask[rr, cc]
    ]
    obs = sum(win)
    k = len(win) - 1
    sims = np.array([x[i] + sum(comb) for comb in itertools.combinations(others, k)])
    return min((sims >= obs).mean(), (sims <= obs).mean())


def test_permutation_p_matches_exact_enumeration():
    values = np.array(
        [[0.0, 1.0, 0.0, 2.0], [5.0, 7.0, 1.0, 0.0], [6.0, 4.0, 0.0, 1.0]]
    )
    mask = np.ones_like(values, dtype=bool)
    mask[2, 3] = False  # 11 cells
    p = _permutation_p(values, mask, window(1), 20_000, np.random.default_rng(5))
    for r, c in [(1, 0), (1, 1), (0, 3), (2, 2)]:
        exact = exact_tail_p(values, mask, r, c)
        # Monte Carlo error of a proportion from 20,000 draws is below 0.004
        assert p[r, c] == pytest.approx(min(1.0, 2 * exact), abs=0.015)


def test_permutation_p_agrees_with_esda():
    rng = np.random.default_rng(4)
    mask = irregular_mask()
    values = rng.poisson(2.0, mask.shape).astype(float)
    values[12:15, 5:8] += 6
    p = _permutation_p(values, mask, window(1), 999, np.random.default_rng(0))
    w, ids = esda_weights(mask, window(1))
    with warnings.catch_warnings():
        # esda 2.9 warns (DeprecationWarning) that its default alternative will change
        warnings.simplefilter("ignore", DeprecationWarning)
        g = G_Local(
            values.ravel()[ids],
            w,
            transform="B",
            star=True,
            permutations=999,
            seed=1,
            n_jobs=1,
        )
    # esda's own draws, scored in each cell's tail with ties included (its
    # `calculate_significance`), against ours from other random draws
    lesser = calculate_significance(g.Gs, g.rGs, alternative="lesser")
    greater = calculate_significance(g.Gs, g.rGs, alternative="greater")
    theirs = np.minimum(1.0, 2 * np.minimum(lesser, greater))
    mine = p.ravel()[ids]
    assert np.abs(mine - theirs).mean() < 0.03
    assert np.corrcoef(mine, theirs)[0, 1] > 0.98


def test_permutation_p_counts_ties_in_the_lower_tail():
    """An empty window among mostly empty cells is tied with most draws: not
    extreme. (Counting only strictly smaller draws gave it the smallest p.)"""
    values = np.zeros((12, 12))
    values[5:7, 5:7] = 30.0  # one busy block, every other cell empty
    mask = np.ones_like(values, dtype=bool)
    p = _permutation_p(values, mask, window(1), 499, np.random.default_rng(2))
    assert p[0, 0] == 1.0  # every draw of an empty corner's slots sums to >= 0
    assert p[10, 10] > 0.5  # 8 draws all empty: likely among 139 empty of 143 cells
    assert p[5, 5] == pytest.approx(2 / 500)  # the busy block stays as extreme


def test_too_few_permutations_are_said(hotspot_points):
    """Under 39 permutations no p-value can reach 0.05: said before the run; with
    999 over these 600 cells the hot ones reach significance, and nothing is said."""
    with pytest.warns(
        UserWarning,
        match=r"With 19 permutations the smallest p-value is 0\.10, so no cell",
    ):
        few = gistar_grid(hotspot_points, cell_size=100, permutations=19, rng=1)
    assert not (few.gi_bin >= 2).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enough = gistar_grid(hotspot_points, cell_size=100, permutations=9999, rng=1)
    assert (enough.gi_bin >= 2).any()


def test_permutations_are_seeded_and_agree_with_analytic(hotspot_points):
    # 199 permutations: p >= 0.01, too coarse for the correction over 600 cells
    coarse = "cells are as extreme as 199 permutations can show"
    with pytest.warns(UserWarning, match=coarse):
        a = gistar_grid(hotspot_points, cell_size=100, permutations=199, rng=3)
    with pytest.warns(UserWarning, match=coarse):
        b = gistar_grid(hotspot_points, cell_size=100, permutations=199, rng=3)
    np.testing.assert_array_equal(a.gi_p, b.gi_p)
    assert a.parameters["inference"] == "permutation"
    analytic = gistar_grid(hotspot_points, cell_size=100, fdr=False)
    perm = gistar_grid(
        hotspot_points, cell_size=100, permutations=199, rng=3, fdr=False
    )
    r, c = analytic.grid.index_of([571_550], [151_050])[:2]
    assert perm.gi_p[r[0], c[0]] == pytest.approx(2 / 200)  # the smallest possible
    hot = analytic.gi_bin >= 2
    assert (perm.gi_bin[hot] >= 1).all()
    np.testing.assert_array_equal(perm.gi_z, analytic.gi_z)


def test_parameters_are_explained_in_words(hotspot_points):
    given = gistar_grid(hotspot_points, cell_size=100).parameters
    assert given["cell_size_explanation"] == "cell size 100 m, as given"
    cells = given["cells_in_area"]
    assert given["window_explanation"] == (
        "test: the incidents in each cell and its 8 neighbours (3 × 3 cells, a 300 m "
        f"square), against all {cells:,} cells of the area; two-sided p-values from "
        "the normal distribution, corrected for testing every cell at once "
        "(Benjamini-Hochberg false discovery rate)"
    )
    # the automatic size says so, with its rule: the points span 1.9 km north to
    # south, / 50 = 38 m, rounded down to 20 m
    auto = gistar_grid(hotspot_points, cell_size=None).parameters
    assert auto["cell_size_m"] == 20.0
    assert auto["cell_size_explanation"].startswith(
        "cell size 20 m, chosen automatically: the study area's shorter side / 50"
    )
    wide = gistar_grid(
        hotspot_points, cell_size=100, neighbours=2, weight=None, fdr=False
    ).parameters
    assert (
        "its 24 neighbours (5 × 5 cells, a 500 m square)" in wide["window_explanation"]
    )
    assert wide["window_explanation"].endswith(
        "not corrected for testing every cell at once"
    )
    with pytest.warns(UserWarning, match="as extreme as 99 permutations can show"):
        band = gistar_grid(
            hotspot_points.assign(weight=2.0), cell_size=100, distance=150,
            weight="weight", permutations=99, rng=1,
        ).parameters  # fmt: skip
    # a 150 m band around a 100 m cell: the cell and its 4 edge neighbours
    # (diagonal centres are 141 m away: in too), so 9 cells
    assert band["window_cells"] == 9
    assert (
        "the harm in each cell and every cell whose centre is within 150 m (9 cells)"
        in (band["window_explanation"])
    )
    assert (
        "two-sided pseudo p-values from 99 random permutations"
        in band["window_explanation"]
    )


@pytest.mark.parametrize(("min_bin", "level"), [(1, 90), (2, 95), (3, 99)])
def test_hot_spot_threshold_is_named_by_its_confidence(hotspot_points, min_bin, level):
    params = (
        gistar_grid(hotspot_points, cell_size=100)
        .hotspots(min_bin=min_bin)
        .attrs["parameters"]
    )
    assert params["threshold"] == (
        f"cells hot at {level}% confidence or more, joined where they share an edge"
    )
