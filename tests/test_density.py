"""Kernel density surfaces and hotspot polygons (hotspots/density.py).

Every expected value is computed independently: analytic kernel constants,
exact direct summation (`kde_direct`), hand calculations of the bandwidth rules,
scipy/sklearn formulas and geopandas point-in-polygon joins.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import geopandas.testing
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.stats import gaussian_kde
from shapely.geometry import Point, box
from sklearn.neighbors import NearestNeighbors

from hotspots import density
from hotspots._validate import HotspotsError
from hotspots.density import (
    DensitySurface,
    auto_cell_size,
    bandwidth_knn,
    bandwidth_normal_reference,
    bandwidth_silverman_spatial,
    choose_bandwidth,
    kde_direct,
    kde_grid,
    kde_surface,
    surface_hotspots,
)
from hotspots.grid import grid_for

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ROOT / "boundaries" / "districts.parquet"
POLICE = ROOT / "data" / "police-uk-kent.parquet"

X0, Y0 = 600_000.0, 160_000.0  # somewhere in Kent (BNG metres)
ORIGIN = np.array([X0, Y0])
QUARTIC_PEAK = 3 / math.pi  # times 1/h², per m²


def frame(xy: np.ndarray, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700"
    )


def clustered_xy(n: int = 500, seed: int = 0) -> np.ndarray:
    """Gaussian blobs of several sizes plus 10 % uniform background, 5 × 4 km."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([X0, Y0], [X0 + 5_000, Y0 + 4_000], size=(6, 2))
    sizes = rng.multinomial(int(n * 0.9), [0.3, 0.25, 0.15, 0.1, 0.1, 0.1])
    blobs = [
        rng.normal(c, rng.uniform(40, 300), size=(k, 2))
        for c, k in zip(centres, sizes, strict=True)
    ]
    background = rng.uniform([X0, Y0], [X0 + 5_000, Y0 + 4_000], size=(n // 10, 2))
    return np.vstack([*blobs, background])


def snapped_xy(n: int = 5_000, seed: int = 1) -> np.ndarray:
    """police.uk-like: incidents snapped to ~600 anonymous points ~60 m apart,
    with heavy-tailed counts concentrated in two town centres."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(0, 3_000, 120.0), np.arange(0, 2_400, 120.0))
    snaps = np.column_stack([gx.ravel(), gy.ravel()]) + rng.normal(0, 25, (gx.size, 2))
    centres = np.array([[800.0, 900.0], [2_200.0, 1_500.0]])
    d = np.min(np.linalg.norm(snaps[:, None, :] - centres[None], axis=2), axis=1)
    p = np.exp(-d / 300) * rng.pareto(1.5, snaps.shape[0])
    idx = rng.choice(snaps.shape[0], size=n, p=p / p.sum())
    return snaps[idx] + [X0, Y0]


@pytest.fixture
def clustered() -> gpd.GeoDataFrame:
    return frame(clustered_xy())


@pytest.fixture
def snapped() -> gpd.GeoDataFrame:
    return frame(snapped_xy())


def single_point_grid(kernel: str, h: float, cell: float, xy: np.ndarray):
    reach = h if kernel == "quartic" else 4 * h
    return grid_for([*xy.min(axis=0), *xy.max(axis=0)], cell_size=cell, margin=reach)


# ====================================================================== inputs
def test_refuses_geographic_crs(clustered):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        kde_surface(clustered.to_crs("EPSG:4326"), bandwidth=300)


def test_refuses_no_located_points():
    empty = gpd.GeoDataFrame(geometry=[Point(), Point()], crs="EPSG:27700")
    with pytest.raises(HotspotsError, match="no located incidents"):
        kde_surface(empty, bandwidth=300)
    with pytest.raises(HotspotsError, match="no located incidents"):
        kde_surface(empty.iloc[:0], bandwidth=300)


@pytest.mark.parametrize("value", [0, -100, float("nan")])
def test_refuses_bad_bandwidth_and_cell_size(clustered, value):
    with pytest.raises(HotspotsError, match="`bandwidth` must be greater than 0"):
        kde_surface(clustered, bandwidth=value)
    with pytest.raises(HotspotsError, match="`cell_size` must be greater than 0"):
        kde_surface(clustered, bandwidth=300, cell_size=value)


def test_refuses_unknown_kernel_and_rule(clustered):
    with pytest.raises(HotspotsError, match="Unknown kernel 'epanechnikov'"):
        kde_surface(clustered, bandwidth=300, kernel="epanechnikov")
    with pytest.raises(HotspotsError, match="Unknown bandwidth rule 'scott'"):
        kde_surface(clustered, bandwidth_rule="scott")
    with pytest.raises(HotspotsError, match="Unknown bandwidth rule"):
        choose_bandwidth(clustered, rule="cv")


def test_refuses_bad_weights(clustered):
    n = len(clustered)
    with pytest.raises(HotspotsError, match="Weight column 'harm' not found"):
        kde_surface(clustered, bandwidth=300, weight="harm")
    bad = np.ones(n)
    bad[7] = -1
    with pytest.raises(HotspotsError, match=r"row 7 has -1\.0"):
        kde_surface(clustered.assign(weight=bad), bandwidth=300, weight="weight")
    bad[7] = np.nan
    with pytest.raises(HotspotsError, match="finite weights of 0 or more"):
        kde_surface(clustered.assign(weight=bad), bandwidth=300, weight="weight")
    with pytest.raises(HotspotsError, match="sums to 0"):
        kde_surface(clustered.assign(weight=0.0), bandwidth=300, weight="weight")
    with pytest.raises(HotspotsError, match="must be numeric"):
        kde_surface(clustered.assign(weight="x"), bandwidth=300, weight="weight")


def test_refuses_study_area_in_other_crs(clustered):
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1_000, Y0 + 1_000)], crs=27700)
    with pytest.raises(HotspotsError, match="reproject the study area"):
        kde_surface(clustered, bandwidth=300, study_area=area.to_crs(3857))


def test_refuses_automatic_bandwidth_without_spread():
    same = frame(np.full((5, 2), [X0, Y0]))
    with pytest.raises(HotspotsError, match="all incidents are at one place"):
        kde_surface(same)
    with pytest.raises(HotspotsError, match="from 1 weighted point"):
        kde_surface(frame(np.array([[X0, Y0]])))
    with pytest.raises(HotspotsError, match="more than k=10 distinct"):
        bandwidth_knn(np.array([[0.0, 0], [1, 1], [2, 0]]))


def test_threshold_arguments_checked(clustered):
    surface = kde_surface(clustered, bandwidth=300, cell_size=100)
    with pytest.raises(HotspotsError, match="exactly one threshold"):
        surface_hotspots(surface, clustered, coverage=0.05, k_mean=3)
    with pytest.raises(HotspotsError, match="exactly one threshold"):
        surface_hotspots(surface, clustered)
    for bad in (0, -0.1, 1.5, float("nan")):
        with pytest.raises(HotspotsError, match="coverage"):
            surface_hotspots(surface, clustered, coverage=bad)
    with pytest.raises(HotspotsError, match="`k_mean` must be greater than 0"):
        surface_hotspots(surface, clustered, k_mean=0)
    with pytest.raises(HotspotsError, match="`min_density` must be greater than 0"):
        surface_hotspots(surface, clustered, min_density=-5)
    with pytest.raises(HotspotsError, match="projected CRS"):
        surface_hotspots(surface, clustered.to_crs(4326), coverage=0.05)


def test_warns_when_bandwidth_under_twice_cell_size(clustered):
    with pytest.warns(UserWarning, match="under twice the cell size"):
        kde_surface(clustered, bandwidth=150, cell_size=100)


def test_warns_when_bandwidth_under_snap_spacing():
    # snap points on a 500 m lattice: a 300 m bandwidth gives isolated bumps
    gx, gy = np.meshgrid(np.arange(10) * 500.0, np.arange(8) * 500.0)
    xy = np.repeat(np.column_stack([gx.ravel(), gy.ravel()]) + ORIGIN, 3, axis=0)
    with pytest.warns(UserWarning, match=r"median spacing .* \(500 m"):
        kde_surface(frame(xy), bandwidth=300, cell_size=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        surface = kde_surface(frame(xy), bandwidth=900, cell_size=100)
    assert surface.parameters["median_location_spacing_m"] == pytest.approx(500)
    assert surface.parameters["distinct_locations"] == 80


# ============================================================== normalisation
@pytest.mark.parametrize(("h", "cell"), [(300.0, 50.0), (300.0, 100.0), (520, 100)])
def test_quartic_integrates_to_total_weight(h, cell, clustered):
    xy = np.array([[X0 + 13.7, Y0 + 41.2]])
    grid = single_point_grid("quartic", h, cell, xy)
    density, _ = kde_grid(grid, xy, bandwidth=h)
    assert density.sum() * grid.cell_area_km2 == pytest.approx(1.0, rel=2e-3)
    surface = kde_surface(clustered, bandwidth=h, cell_size=cell)
    total = np.nansum(surface.kde_per_km2) * surface.grid.cell_area_km2
    assert total == pytest.approx(len(clustered), rel=2e-3)
    assert surface.parameters["total_weight"] == len(clustered)


@pytest.mark.parametrize(("h", "cell"), [(100.0, 50.0), (200.0, 50.0)])
def test_gaussian_integrates_to_total_weight_less_the_tail(h, cell, clustered):
    weights = np.random.default_rng(3).uniform(0.5, 3, len(clustered))
    surface = kde_surface(
        clustered.assign(weight=weights),
        bandwidth=h,
        cell_size=cell,
        kernel="gaussian",
        weight="weight",
    )
    total = np.nansum(surface.kde_per_km2) * surface.grid.cell_area_km2
    # truncated at 4 sigma, not renormalised: exp(-8) of the weight is dropped
    assert total == pytest.approx(weights.sum() * (1 - math.exp(-8)), rel=1e-3)


def test_single_point_peak_is_the_analytic_constant():
    # 75 m cells, h = 300 m: oversample 3, so a lattice node sits on every centre
    h, cell = 300.0, 75.0
    xy = np.array([[X0 + 3 * cell + cell / 2, 160_050.0 + cell / 2]])  # a centre
    grid = single_point_grid("quartic", h, cell, xy)
    assert grid.index_of(xy[:, 0] - cell / 2, xy[:, 1] - cell / 2)[2].all()
    expected = QUARTIC_PEAK / h**2 * 1e6  # per m² -> per km²
    exact, count = kde_direct(grid, xy, bandwidth=h)
    assert exact.max() == pytest.approx(expected, rel=1e-12)
    assert count.max() == 1
    # the exact engine (the default for one point) to rounding
    density, count = kde_grid(grid, xy, bandwidth=h)
    assert density.max() == pytest.approx(expected, rel=1e-12)
    assert count.max() == 1
    # the FFT runs in single precision: rounding ~1e-7 of the peak
    density, count = kde_grid(grid, xy, bandwidth=h, oversample=3)
    assert density.max() == pytest.approx(expected, rel=1e-6)
    assert count.max() == 1
    # the QGIS bug (a quartic constant 7.25 times too large) would fail both
    assert abs(density.max() / (7.25 * expected) - 1) > 0.5
    surface = kde_surface(frame(xy), bandwidth=h, cell_size=cell)
    assert surface.parameters["density_method"] == "exact"
    assert surface.parameters["oversample"] is None
    assert np.nanmax(surface.kde_per_km2) == pytest.approx(expected, rel=1e-12)

    sigma = 500.0  # oversample 1 with 100 m cells
    xy = np.array([[X0 + 50.0, Y0 + 50.0]])
    grid = single_point_grid("gaussian", sigma, 100.0, xy)
    for oversample in (None, 1):  # exact, then binned + FFT
        density, _ = kde_grid(
            grid, xy, bandwidth=sigma, kernel="gaussian", oversample=oversample
        )
        assert density.max() == pytest.approx(1e6 / (2 * math.pi * sigma**2), rel=1e-6)


def test_kde_direct_matches_a_hand_evaluation():
    h = 300.0
    xy = np.array([[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 250]])
    grid = grid_for([X0, Y0, X0 + 100, Y0 + 100], cell_size=100)  # one cell
    density, count = kde_direct(grid, xy, bandwidth=h, weights=[2.0, 1.0])
    d2 = 100**2 + 200**2
    expected = 2 * 3 / (math.pi * h**2) + 3 / (math.pi * h**2) * (1 - d2 / h**2) ** 2
    assert density[0, 0] == pytest.approx(expected * 1e6, rel=1e-12)
    assert count[0, 0] == 3


# ============================================================ FFT vs direct
@pytest.mark.parametrize(
    ("kernel", "h", "cell"),
    [
        ("quartic", 300.0, 100.0),
        ("quartic", 200.0, 50.0),
        ("quartic", 250.0, 100.0),
        ("gaussian", 150.0, 50.0),
    ],
)
def test_fft_matches_direct_summation(clustered, kernel, h, cell, monkeypatch):
    monkeypatch.setattr(density, "EXACT_DENSITY_BUDGET", 0)  # force binning + FFT
    surface = kde_surface(clustered, bandwidth=h, cell_size=cell, kernel=kernel)
    assert surface.parameters["density_method"].startswith("binned")
    assert surface.parameters["oversample"] >= 1
    xy = clustered.get_coordinates().to_numpy()
    exact, exact_count = kde_direct(surface.grid, xy, bandwidth=h, kernel=kernel)
    err = np.abs(surface.kde_per_km2 - exact).max() / exact.max()
    assert 0 < err < 0.01, f"max error {err:.2%} of the peak"
    # police.uk-sized data: the count is exact
    assert surface.parameters["count_in_bandwidth_method"] == "exact"
    np.testing.assert_array_equal(surface.count_in_bandwidth, exact_count)


@pytest.mark.parametrize(
    ("kernel", "h", "cell"),
    [
        ("quartic", 300.0, 100.0),
        ("quartic", 200.0, 50.0),
        ("quartic", 250.0, 75.0),
        ("gaussian", 150.0, 50.0),
    ],
)
def test_exact_engine_equals_direct_summation(clustered, kernel, h, cell):
    """The default engine on police.uk-sized data: `kde_direct` to rounding,
    with and without (fractional) weights."""
    w = np.random.default_rng(11).uniform(0, 3, len(clustered))
    xy = clustered.get_coordinates().to_numpy()
    for weights in (None, w):
        data = clustered if weights is None else clustered.assign(harm=weights)
        surface = kde_surface(
            data, bandwidth=h, cell_size=cell, kernel=kernel,
            weight=None if weights is None else "harm",
        )  # fmt: skip
        assert surface.parameters["density_method"] == "exact"
        assert surface.parameters["count_in_bandwidth_method"] == "exact"
        exact, exact_count = kde_direct(
            surface.grid, xy, bandwidth=h, kernel=kernel, weights=weights
        )
        np.testing.assert_allclose(
            surface.kde_per_km2, exact, rtol=1e-9, atol=1e-9 * exact.max()
        )
        np.testing.assert_allclose(surface.count_in_bandwidth, exact_count, rtol=1e-12)


def numpy_pair_sums(grid, xy, weights, kernel, h):
    """The exact density and count as numpy sums them: every location-cell pair
    found (`_location_cell_pairs`, column offset by column offset), its kernel
    value (`_kernel_values`) and `np.bincount` over the pairs in that order,
    the distinct locations by x, then y (how the engine summed them before its
    compiled loops)."""
    loc, lw = density._distinct_in_grid(grid, xy, weights)
    order = np.lexsort((loc[:, 1], loc[:, 0]))
    loc, lw = loc[order], lw[order]
    cells, which, d2 = density._location_cell_pairs(
        grid, loc, density._support(kernel, h)
    )
    wk = lw[which]
    n = grid.nx * grid.ny
    dens = np.bincount(cells, wk * (density._kernel_values(kernel, d2, h) * 1e6), n)
    count = np.bincount(cells, np.where(d2 <= h * h, wk, 0.0), n)
    return dens.reshape(grid.shape), count.reshape(grid.shape)


@pytest.mark.parametrize(
    ("kernel", "h", "cell"), [("quartic", 300.0, 100.0), ("quartic", 225.0, 50.0),
                              ("gaussian", 60.0, 50.0)],
)  # fmt: skip
def test_compiled_exact_sums_are_numpys_over_every_pair(snapped, kernel, h, cell):
    """The compiled loops (`_kernels.kde_sums`) add the same terms in the same
    order as numpy's sums over the pairs: the very same numbers for the quartic
    kernel (the same arithmetic; numpy's exp may differ in the last bit from
    the compiled one), weighted or not; and `kde_direct`'s to rounding."""
    xy = snapped.get_coordinates().to_numpy()
    grid = single_point_grid(kernel, h, cell, xy)
    w = np.random.default_rng(5).uniform(0, 3, len(xy))
    for weights in (None, w):
        got = density._kde_exact(grid, xy, weights, kernel=kernel, h=h)
        assert got is not None
        want = numpy_pair_sums(grid, xy, weights, kernel, h)
        if kernel == "quartic":
            np.testing.assert_array_equal(got[0], want[0])
        else:
            np.testing.assert_allclose(got[0], want[0], rtol=1e-14, atol=0)
        np.testing.assert_array_equal(got[1], want[1])
        exact, exact_count = kde_direct(
            grid, xy, bandwidth=h, kernel=kernel, weights=weights
        )
        np.testing.assert_allclose(got[0], exact, rtol=1e-9, atol=1e-9 * exact.max())
        np.testing.assert_allclose(got[1], exact_count, rtol=1e-12)
        assert got[1].max() > 10  # cells with many incidents around them


def test_compiled_kde_loops_run_the_same_as_python():
    # the kernel is plain loops: with numba's compiler off it runs as Python and
    # gives the same sums (the reading a reviewer checks it by)
    from jit_runs import compiled_and_python

    script = (
        "import numpy as np\n"
        "from hotspots import density\n"
        "from hotspots.grid import grid_for\n"
        "r = np.random.default_rng(0)\n"
        "xy = np.round(r.normal(size=(3000, 2)) * 300) + 600000\n"
        "w = r.integers(1, 4, len(xy)).astype(float)\n"
        "g = grid_for([*xy.min(0), *xy.max(0)], cell_size=50.0, margin=250.0)\n"
        "for k, h in (('quartic', 250.0), ('gaussian', 60.0)):\n"
        "    d, c, _, _ = density._kde_exact(g, xy, w, kernel=k, h=h)\n"
        "    print(d.sum().hex(), c.sum().hex(), d.max().hex(), int((d > 0).sum()))"
    )
    runs = compiled_and_python(script, "kde_sums")
    assert int(runs["0"][0].split()[3]) > 1000  # cells with density
    assert runs["0"][0] == runs["1"][0]  # quartic: the same bits
    # Gaussian: numba's exp and numpy's may differ in the last bit
    for a, b in zip(runs["0"][1].split()[:3], runs["1"][1].split()[:3], strict=True):
        assert float.fromhex(a) == pytest.approx(float.fromhex(b), rel=1e-13)


def test_exact_sums_do_not_depend_on_the_order_of_the_incidents(snapped):
    # the distinct locations are summed in one order (x, then y): the incidents
    # shuffled give the same numbers, not the same to rounding
    xy = snapped.get_coordinates().to_numpy()
    grid = single_point_grid("quartic", 250.0, 50.0, xy)
    shuffled = xy[np.random.default_rng(6).permutation(len(xy))]
    a = density._kde_exact(grid, xy, None, kernel="quartic", h=250.0)
    b = density._kde_exact(grid, shuffled, None, kernel="quartic", h=250.0)
    assert a is not None
    assert b is not None
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_exact_engine_falls_back_to_fft_over_its_budget(snapped, monkeypatch):
    """Over `EXACT_DENSITY_BUDGET` location-cell pairs the binned engine runs,
    and the two agree within the documented binning bound."""
    exact = kde_surface(snapped, bandwidth=300, cell_size=100)
    assert exact.parameters["density_method"] == "exact"
    pairs = exact.parameters["distinct_locations"] * (2 * 3 + 3) ** 2  # ceil(300/100)
    monkeypatch.setattr(density, "EXACT_DENSITY_BUDGET", pairs - 1)
    binned = kde_surface(snapped, bandwidth=300, cell_size=100)
    assert binned.parameters["density_method"] == "binned (oversample 4) + FFT"
    assert binned.parameters["oversample"] == 4
    err = np.abs(binned.kde_per_km2 - exact.kde_per_km2).max()
    assert 0 < err < 0.01 * np.nanmax(exact.kde_per_km2)
    np.testing.assert_array_equal(binned.count_in_bandwidth, exact.count_in_bandwidth)
    monkeypatch.setattr(density, "EXACT_DENSITY_BUDGET", pairs)
    again = kde_surface(snapped, bandwidth=300, cell_size=100)
    assert again.parameters["density_method"] == "exact"


def test_binned_count_only_misplaces_points_near_the_circle(clustered, monkeypatch):
    monkeypatch.setattr(density, "EXACT_COUNT_MAX_INCIDENTS", 0)
    h, cell = 300.0, 100.0
    surface = kde_surface(clustered, bandwidth=h, cell_size=cell)
    assert surface.parameters["count_in_bandwidth_method"] == "binned"
    xy = clustered.get_coordinates().to_numpy()
    band = cell / math.sqrt(2)
    inner = kde_direct(surface.grid, xy, bandwidth=h - band)[1]
    outer = kde_direct(surface.grid, xy, bandwidth=h + band)[1]
    assert (surface.count_in_bandwidth >= inner).all()
    assert (surface.count_in_bandwidth <= outer).all()
    exact = kde_direct(surface.grid, xy, bandwidth=h)[1]
    assert np.abs(surface.count_in_bandwidth - exact).mean() < 0.5
    assert (surface.count_in_bandwidth == np.rint(surface.count_in_bandwidth)).all()


def test_binning_error_bound_on_snapped_data(snapped, monkeypatch):
    """The documented bound: cells ≤ bandwidth/3 -> max error < 1 % of the peak."""
    monkeypatch.setattr(density, "EXACT_DENSITY_BUDGET", 0)  # force binning + FFT
    # exact reference on the distinct snap points, weighted by their counts
    loc, counts = np.unique(
        snapped.get_coordinates().to_numpy(), axis=0, return_counts=True
    )
    worst = 0.0
    for kernel, h, cell in [
        ("quartic", 300.0, 100.0),
        ("quartic", 400.0, 100.0),
        ("quartic", 200.0, 50.0),
        ("quartic", 150.0, 50.0),
        ("quartic", 250.0, 100.0),
        ("gaussian", 150.0, 50.0),
        ("gaussian", 100.0, 50.0),
    ]:
        surface = kde_surface(snapped, bandwidth=h, cell_size=cell, kernel=kernel)
        exact, exact_count = kde_direct(
            surface.grid, loc, bandwidth=h, kernel=kernel, weights=counts
        )
        np.testing.assert_array_equal(surface.count_in_bandwidth, exact_count)
        err = np.abs(surface.kde_per_km2 - exact).max() / exact.max()
        worst = max(worst, err)
    assert worst < 0.01, f"max error {worst:.3%} of the peak"


def test_weights_double_density_doubles(clustered):
    once = kde_surface(clustered, bandwidth=300, cell_size=100)
    twice = kde_surface(
        clustered.assign(weight=2.0), bandwidth=300, cell_size=100, weight="weight"
    )
    np.testing.assert_allclose(twice.kde_per_km2, 2 * once.kde_per_km2, rtol=1e-10)
    np.testing.assert_allclose(
        twice.count_in_bandwidth, 2 * once.count_in_bandwidth, rtol=1e-10
    )
    assert twice.parameters["total_weight"] == 2 * len(clustered)
    assert twice.parameters["weight"] == "weight"


def test_fractional_weights_match_direct(clustered):
    w = np.random.default_rng(5).uniform(0, 4, len(clustered))
    surface = kde_surface(
        clustered.assign(harm=w), bandwidth=300, cell_size=100, weight="harm"
    )
    xy = clustered.get_coordinates().to_numpy()
    exact, _ = kde_direct(surface.grid, xy, bandwidth=300, weights=w)
    assert np.abs(surface.kde_per_km2 - exact).max() < 0.01 * exact.max()


def test_nearby_bandwidths_share_one_grid(clustered):
    """The margin is the kernel's reach rounded up to GRID_MARGIN_STEP_M: one
    grid (and its kept mask and pixel lookup) for 200-500 m, a larger one beyond,
    always reaching the support."""
    grids = {
        h: kde_surface(clustered, bandwidth=h, cell_size=50).grid
        for h in (200, 225, 250, 500, 600)
    }
    assert grids[200] == grids[225] == grids[250] == grids[500]
    assert grids[600].nx == grids[500].nx + 2 * 500 / 50
    minx, miny, maxx, maxy = clustered.total_bounds
    for h, grid in grids.items():
        gx0, gy0, gx1, gy1 = grid.bounds
        assert gx0 <= minx - h
        assert gy0 <= miny - h
        assert gx1 >= maxx + h
        assert gy1 >= maxy + h


def test_translation_invariance(clustered):
    a = kde_surface(clustered, bandwidth=300, cell_size=100)
    moved = clustered.translate(xoff=12_300, yoff=-4_500)  # whole cells
    b = kde_surface(gpd.GeoDataFrame(geometry=moved), bandwidth=300, cell_size=100)
    assert b.grid.x0 == a.grid.x0 + 12_300
    assert b.grid.y0 == a.grid.y0 - 4_500
    np.testing.assert_allclose(b.kde_per_km2, a.kde_per_km2, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(b.count_in_bandwidth, a.count_in_bandwidth)


def test_unlocated_rows_are_ignored(clustered):
    extra = gpd.GeoDataFrame(
        {"weight": [np.nan, 5.0]}, geometry=[Point(), None], crs="EPSG:27700"
    )
    both = pd.concat([clustered.assign(weight=1.0), extra], ignore_index=True)
    a = kde_surface(clustered.assign(weight=1.0), bandwidth=300, weight="weight")
    b = kde_surface(both, bandwidth=300, weight="weight")
    np.testing.assert_array_equal(a.kde_per_km2, b.kde_per_km2)
    assert b.parameters["incidents_unlocated"] == 2
    assert b.parameters["incidents_located"] == len(clustered)
    hs = surface_hotspots(b, both, coverage=0.05)
    assert (
        hs["incidents"].sum()
        == surface_hotspots(a, clustered, coverage=0.05)["incidents"].sum()
    )


def test_input_untouched_and_result_shape(clustered):
    before = clustered.copy()
    surface = kde_surface(clustered, bandwidth=300, cell_size=100)
    gpd.testing.assert_geodataframe_equal(clustered, before)
    assert isinstance(surface, DensitySurface)
    assert surface.kde_per_km2.shape == surface.grid.shape
    assert surface.count_in_bandwidth.shape == surface.grid.shape
    assert surface.mask.dtype == bool
    assert surface.mask.all()
    # the grid reaches one bandwidth beyond the incidents on every side
    minx, miny, maxx, maxy = clustered.total_bounds
    gx0, gy0, gx1, gy1 = surface.grid.bounds
    assert gx0 <= minx - 300
    assert gy0 <= miny - 300
    assert gx1 >= maxx + 300
    assert gy1 >= maxy + 300
    cells = surface.to_cells()
    assert list(cells.columns) == [
        "row",
        "col",
        "kde_per_km2",
        "count_in_bandwidth",
        "geometry",
    ]
    assert len(cells) == surface.grid.nx * surface.grid.ny
    assert cells.crs == "EPSG:27700"
    with pytest.raises(AttributeError):
        surface.parameters = {}  # type: ignore[misc]


# ============================================================ bandwidth rules
SQUARE = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0], [4.0, 3.0]]) + ORIGIN


def test_rules_by_hand_on_four_points():
    # sigma_x = 2, sigma_y = 1.5 (population SD), n = 4
    assert bandwidth_normal_reference(SQUARE) == pytest.approx(4 ** (-1 / 6) * 1.75)
    # every point is 2.5 from the mean centre: SD = Dm = 2.5
    expected = 0.9 * min(2.5, math.sqrt(1 / math.log(2)) * 2.5) * 4**-0.2
    assert bandwidth_silverman_spatial(SQUARE) == pytest.approx(expected)
    # nearest neighbours of every corner: 3 (side), 4 (side), 5 (diagonal)
    assert bandwidth_knn(SQUARE, 1) == pytest.approx(3)
    assert bandwidth_knn(SQUARE, 2) == pytest.approx(4)
    assert bandwidth_knn(SQUARE, 3) == pytest.approx(5)


def test_rules_against_independent_formulas():
    xy = clustered_xy(400, seed=4)
    # scipy's Scott factor is n^(-1/(d+4)) = n^(-1/6) for d = 2
    factor = gaussian_kde(xy.T).scotts_factor()
    assert factor == pytest.approx(len(xy) ** (-1 / 6))
    assert bandwidth_normal_reference(xy) == pytest.approx(
        factor * np.std(xy, axis=0).mean()
    )
    centre = xy.mean(axis=0)
    dist = np.linalg.norm(xy - centre, axis=1)
    sd = np.sqrt(np.sum(np.var(xy, axis=0)))
    dm = np.median(dist)
    expected = 0.9 * min(sd, np.sqrt(1 / np.log(2)) * dm) * len(xy) ** -0.2
    assert bandwidth_silverman_spatial(xy) == pytest.approx(expected)
    nn = NearestNeighbors(n_neighbors=11).fit(xy)
    dist_k = nn.kneighbors(xy)[0][:, 10]  # column 0 is the point itself
    assert bandwidth_knn(xy, 10) == pytest.approx(np.median(dist_k))


def test_rules_on_weighted_distinct_equal_expanded_raw(snapped):
    raw = snapped.get_coordinates().to_numpy()
    counts = pd.DataFrame(raw, columns=["x", "y"]).value_counts().reset_index(name="n")
    distinct = counts[["x", "y"]].to_numpy()
    n = counts["n"].to_numpy(dtype=float)
    assert len(distinct) < len(raw) / 5
    assert bandwidth_silverman_spatial(distinct, n) == pytest.approx(
        bandwidth_silverman_spatial(raw), rel=1e-12
    )
    assert bandwidth_normal_reference(distinct, weights=n) == pytest.approx(
        bandwidth_normal_reference(raw), rel=1e-12
    )
    assert bandwidth_knn(distinct, 5, weights=n) == pytest.approx(
        bandwidth_knn(raw, 5), rel=1e-12
    )
    # a weighted median of repeated values, with an even total
    two = np.array([[0.0, 0], [10, 0], [0, 10], [30, 30]]) + ORIGIN
    w = np.array([1.0, 2.0, 2.0, 1.0])
    assert bandwidth_silverman_spatial(two, w) == pytest.approx(
        bandwidth_silverman_spatial(np.repeat(two, w.astype(int), axis=0))
    )


def test_choose_bandwidth_explains_itself(snapped):
    value, text = choose_bandwidth(snapped)
    assert value == round(bandwidth_silverman_spatial(snapped.get_coordinates()))
    assert text == (
        f"bandwidth {value:,.0f} m, chosen by the spatial Silverman rule "
        f"(ArcGIS default) on {len(snapped):,} incidents"
    )
    value, text = choose_bandwidth(snapped, rule="knn", k=5)
    assert "5th nearest" in text
    value, text = choose_bandwidth(
        snapped.assign(weight=2.0), rule="normal", weight="weight"
    )
    assert "normal reference" in text
    assert "total weight 10,000" in text
    surface = kde_surface(snapped)
    p = surface.parameters
    assert p["bandwidth_automatic"]
    assert p["cell_size_automatic"]
    assert p["bandwidth_rule"] == "silverman"
    assert p["bandwidth_explanation"].startswith(f"bandwidth {p['bandwidth_m']:,.0f} m")
    assert p["cell_size_m"] == auto_cell_size(p["bandwidth_m"])


@pytest.mark.parametrize(
    ("h", "cell"), [(310, 100), (200, 50), (90, 25), (12, 2.5), (1_000, 100), (45, 10)]
)
def test_auto_cell_size(h, cell):
    assert auto_cell_size(h) == cell
    assert auto_cell_size(h) <= h / 3


# ================================================================ masking
def test_cells_outside_study_area_are_masked(clustered):
    area = gpd.GeoDataFrame(
        geometry=[box(X0, Y0, X0 + 2_500, Y0 + 4_000)], crs="EPSG:27700"
    )
    surface = kde_surface(clustered, bandwidth=300, cell_size=100, study_area=area)
    cx, cy = surface.grid.centres()
    inside = (cx > X0) & (cx < X0 + 2_500) & (cy > Y0) & (cy < Y0 + 4_000)
    np.testing.assert_array_equal(surface.mask, inside)
    assert np.isnan(surface.kde_per_km2[~inside]).all()
    assert np.isnan(surface.count_in_bandwidth[~inside]).all()
    assert np.isfinite(surface.kde_per_km2[inside]).all()
    assert surface.parameters["study_area_km2"] == pytest.approx(2.5 * 4)
    assert len(surface.to_cells()) == inside.sum()
    # inside the area the values are those of the unmasked surface (points
    # outside the area still add density near its edge)
    full = kde_surface(clustered, bandwidth=300, cell_size=100)
    xy = clustered.get_coordinates().to_numpy()
    exact, _ = kde_direct(surface.grid, xy, bandwidth=300)
    assert np.nanmax(np.abs(surface.kde_per_km2 - exact)) < 0.01 * np.nanmax(
        full.kde_per_km2
    )
    for kw in ({"coverage": 0.2}, {"k_mean": 1.0}, {"min_density": 1.0}):
        hs = surface_hotspots(surface, clustered, **kw)
        assert len(hs) > 0
        assert hs.union_all().within(area.geometry[0].buffer(1e-6))


def test_hot_cluster_outside_study_area_never_forms_a_hotspot():
    rng = np.random.default_rng(2)
    sea = rng.normal([X0 + 3_500, Y0 + 500], 50, (300, 2))
    land = rng.normal([X0 + 1_000, Y0 + 500], 150, (100, 2))
    points = frame(np.vstack([sea, land]))
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 2_000, Y0 + 1_000)], crs=27700)
    surface = kde_surface(points, bandwidth=300, cell_size=100, study_area=area)
    hs = surface_hotspots(surface, points, coverage=0.1)
    assert hs["incidents"].sum() <= 100
    assert hs.total_bounds[2] <= X0 + 2_000


def test_study_area_with_no_cell_centre_is_refused(clustered):
    sliver = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=27700)
    with pytest.raises(HotspotsError, match="No grid cell"):
        kde_surface(clustered, bandwidth=300, cell_size=100, study_area=sliver)
    far = gpd.GeoDataFrame(geometry=[box(0, 0, 1_000, 1_000)], crs=27700)
    with pytest.raises(HotspotsError, match="No located incidents lie within"):
        kde_surface(clustered, study_area=far)


# ================================================================ hotspots
def selected_cells(hs: gpd.GeoDataFrame, surface: DensitySurface) -> int:
    return round(hs["area_km2"].sum() / surface.grid.cell_area_km2)


def test_coverage_selects_the_share_of_study_area_cells(clustered):
    surface = kde_surface(clustered, bandwidth=300, cell_size=100)
    n_cells = surface.mask.sum()
    for coverage in (0.01, 0.05, 0.2):
        hs = surface_hotspots(surface, clustered, coverage=coverage)
        assert abs(selected_cells(hs, surface) - coverage * n_cells) <= 1
        # the selected cells are the hottest: threshold = the cut-off density
        thr = hs["threshold_kde_per_km2"].iloc[0]
        assert (surface.kde_per_km2 >= thr).sum() == selected_cells(hs, surface)
        assert hs.attrs["parameters"]["threshold_kde_per_km2"] == thr
        assert hs["threshold"].iloc[0].startswith(f"hottest {100 * coverage:g}%")


def test_coverage_beyond_the_cells_with_density_says_so():
    """Three incidents in a 5 x 4 km area: their bumps cover under 5% of it, so
    every cell with any density is hot, and the threshold says that, not "the
    hottest 5%" (which would claim more cells than are outlined)."""
    xy = np.array(
        [[X0 + 1_000, Y0 + 1_000], [X0 + 3_000, Y0 + 2_000], [X0 + 4_000, Y0 + 500]]
    )
    area = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 5_000, Y0 + 4_000)], crs=27700)
    with pytest.warns(UserWarning, match="under the median spacing"):
        surface = kde_surface(frame(xy), bandwidth=200, cell_size=50, study_area=area)
    hs = surface_hotspots(surface, frame(xy), coverage=0.05)
    in_area = int(surface.mask.sum())
    lit = int((surface.kde_per_km2[surface.mask] > 0).sum())
    assert lit < round(0.05 * in_area)
    assert selected_cells(hs, surface) == lit
    assert (
        hs["threshold"]
        .iloc[0]
        .startswith(
            f"every cell with any density, {lit:,} of {in_area:,} (fewer than the "
            f"{round(0.05 * in_area):,} of the hottest 5% asked for): density ≥ "
        )
    )


def test_k_mean_and_min_density_thresholds(clustered):
    surface = kde_surface(clustered, bandwidth=300, cell_size=100)
    dens = surface.kde_per_km2
    mean = np.nanmean(dens)
    hs = surface_hotspots(surface, clustered, k_mean=3)
    assert hs["threshold_kde_per_km2"].iloc[0] == pytest.approx(3 * mean)
    assert selected_cells(hs, surface) == (dens >= 3 * mean).sum()
    assert (hs["mean_kde_per_km2"] >= 3 * mean).all()
    hs = surface_hotspots(surface, clustered, min_density=500)
    assert selected_cells(hs, surface) == (dens >= 500).sum()
    assert hs["peak_kde_per_km2"].max() == pytest.approx(dens.max())
    none = surface_hotspots(surface, clustered, min_density=1e9)
    assert len(none) == 0
    assert list(none.columns) == [*list(hs.columns)]


def test_hotspot_counts_match_point_in_polygon(clustered):
    weights = np.random.default_rng(9).integers(1, 5, len(clustered)).astype(float)
    points = clustered.assign(weight=weights)
    surface = kde_surface(points, bandwidth=300, cell_size=100, weight="weight")
    hs = surface_hotspots(surface, points, k_mean=2)
    assert len(hs) >= 3
    assert list(hs.columns) == [
        "hotspot_id",
        "incidents",
        "harm",
        "area_km2",
        "peak_kde_per_km2",
        "mean_kde_per_km2",
        "incidents_per_km2",
        "threshold",
        "threshold_kde_per_km2",
        "geometry",
    ]
    joined = gpd.sjoin(points, hs[["hotspot_id", "geometry"]], predicate="within")
    by_id = joined.groupby("hotspot_id").agg(
        n=("weight", "size"), harm=("weight", "sum")
    )
    by_id = by_id.reindex(hs["hotspot_id"], fill_value=0)
    np.testing.assert_array_equal(hs["incidents"], by_id["n"])
    np.testing.assert_allclose(hs["harm"], by_id["harm"])
    assert hs["hotspot_id"].tolist() == list(range(1, len(hs) + 1))
    assert hs["incidents"].is_monotonic_decreasing
    np.testing.assert_allclose(hs["area_km2"], hs.area / 1e6)
    np.testing.assert_allclose(
        hs["incidents_per_km2"], hs["incidents"] / hs["area_km2"]
    )
    assert (hs.geom_type == "Polygon").all()
    # polygons are disjoint (they may touch at a corner)
    assert shapely.intersection_all(hs.geometry).area == 0


def test_points_on_cell_edges_count_once():
    # a 3-cell hotspot row; incidents exactly on the cell edges and corners
    xy = np.array([[X0 + 100.0 * i, Y0 + 100.0] for i in range(4)] * 30)
    points = frame(xy)
    surface = kde_surface(points, bandwidth=300, cell_size=100)
    hs = surface_hotspots(surface, points, coverage=1.0)
    assert len(hs) == 1
    assert hs["incidents"].sum() == len(points)


def test_adjacent_cells_dissolve_into_one_polygon():
    offsets = np.array([[0.0, 0.0], [30, 0], [0, 30]])
    xy = np.vstack([offsets + ORIGIN + 50, offsets + ORIGIN + [2_050, 50]])
    points = frame(xy)
    surface = kde_surface(points, bandwidth=300, cell_size=100)
    hs = surface_hotspots(surface, points, min_density=1e-6)
    assert len(hs) == 2
    assert sorted(hs["incidents"]) == [3, 3]
    # every cell within 300 m of each point: one polygon each, no holes
    assert (hs.geometry.apply(lambda g: len(g.interiors)) == 0).all()


def test_each_incidents_hotspot_is_read_off_its_cell_as_polygons_would_place_it():
    # `_surface_hotspots` gives each located point's hotspot from its cell; it
    # must be polygon_membership's answer, also for points exactly on a cell's
    # edge or corner (inside or on the outline of a hotspot, or between two)
    from hotspots.profile import polygon_membership

    xy = clustered_xy(800, seed=3)
    surface = kde_surface(frame(xy), bandwidth=150, cell_size=25)
    grid = surface.grid
    hs, _, _ = density._surface_hotspots(surface, frame(xy), coverage=0.05)
    assert len(hs) >= 3
    # points on every corner and edge midpoint of the cells of some hotspots,
    # on the grid's outer edge, in empty cells, plus unlocated rows
    corners = []
    for poly in hs.geometry.iloc[:3]:
        minx, miny, maxx, maxy = poly.bounds
        for x in np.arange(minx - 25, maxx + 50, 12.5):
            for y in np.arange(miny - 25, maxy + 50, 12.5):
                corners.append((x, y))
    x1, y1 = grid.x0 + grid.nx * grid.cell_size, grid.y0 + grid.ny * grid.cell_size
    corners += [(grid.x0, grid.y0), (x1, y1), (x1, grid.y0 + 100.0)]
    pts = np.vstack([xy, np.array(corners)])
    geoms = [*shapely.points(pts), None, shapely.Point()]
    points = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:27700")
    got_hs, which, none = density._surface_hotspots(surface, points, coverage=0.05)
    assert none is None  # the polygons were made at once
    # the same cells (the added points change the counts, so the ranking)
    assert len(got_hs) == len(hs)
    assert shapely.equals(got_hs.union_all(), hs.union_all())
    expected = polygon_membership(points.geometry[: len(pts)], got_hs)
    assert len(which) == len(pts)
    np.testing.assert_array_equal(which, expected)
    on_edge = expected[len(xy) :]
    assert (on_edge >= 0).sum() > 100
    assert (on_edge == -1).sum() > 100
    # dissolved on another thread: the same frame but its geometry (missing until
    # waited for), the same membership (the edge points wait for the polygons),
    # and the same polygons in the frame's order
    later_hs, later_which, outlines = density._surface_hotspots(
        surface, points, coverage=0.05, outlines_later=True
    )
    assert outlines is not None
    assert later_hs.geometry.isna().all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(later_hs.drop(columns="geometry")),
        pd.DataFrame(got_hs.drop(columns="geometry")),
    )
    np.testing.assert_array_equal(later_which, which)
    polygons = outlines()
    assert len(polygons) == len(got_hs)
    assert all(shapely.equals_exact(polygons, got_hs.geometry.to_numpy(), 0))


# ============================================================ real Kent data
@pytest.mark.skipif(
    not (DISTRICTS.exists() and POLICE.exists()),
    reason="bundled boundaries/districts.parquet or data/police-uk-kent.parquet absent",
)
def test_real_thanet_2024():
    from hotspots.boundaries import load_boundary, study_area
    from hotspots.store import read_bundled_police

    police = read_bundled_police()
    months = police["month"].astype(str)
    thanet = police[
        (months >= "2024-01")
        & (months <= "2024-04")
        & (police["lad_code"] == "E07000114")
    ]
    area = study_area(["E07000114"])
    surface = kde_surface(thanet, study_area=area)
    p = surface.parameters
    assert 200 < p["bandwidth_m"] < 1_500
    assert (
        p["incidents_used"] == p["incidents_located"] == thanet.geometry.notna().sum()
    )

    # the unmasked surface integrates to the incidents; FFT ≈ exact summation
    free = kde_surface(thanet, bandwidth=p["bandwidth_m"], cell_size=p["cell_size_m"])
    assert np.nansum(free.kde_per_km2) * free.grid.cell_area_km2 == pytest.approx(
        free.parameters["incidents_used"], rel=2e-3
    )
    xy = thanet.get_coordinates().dropna().to_numpy()
    loc, counts = np.unique(xy, axis=0, return_counts=True)
    exact, exact_count = kde_direct(
        free.grid, loc, bandwidth=p["bandwidth_m"], weights=counts
    )
    assert np.abs(free.kde_per_km2 - exact).max() < 0.01 * exact.max()
    np.testing.assert_array_equal(free.count_in_bandwidth, exact_count)

    hs = surface_hotspots(surface, thanet, coverage=0.05)
    wards = load_boundary("wards")
    top = gpd.GeoDataFrame(geometry=hs.geometry.iloc[:2].representative_point())
    names = gpd.sjoin(top, wards, predicate="within")["ward_name"].tolist()
    margate = {"Margate Central", "Cliftonville West", "Cliftonville East", "Westbrook"}
    ramsgate = {"Central Harbour", "Eastcliff", "Northwood", "Sir Moses Montefiore"}
    assert names[0] in margate | ramsgate
    assert {names[0], names[1]} & margate
    assert {names[0], names[1]} & ramsgate
    assert hs["incidents"].sum() > 0.2 * len(thanet)


def test_kde_grid_checks_its_inputs():
    grid = grid_for([X0, Y0, X0 + 1_000, Y0 + 1_000], cell_size=100)
    xy = np.array([[X0 + 500.0, Y0 + 500.0]])
    with pytest.raises(HotspotsError, match="finite and 0 or more"):
        kde_grid(grid, xy, bandwidth=300, weights=[-1.0])
    with pytest.raises(HotspotsError, match="2 weights given for 1 points"):
        kde_grid(grid, xy, bandwidth=300, weights=[1.0, 2.0])
    with pytest.raises(HotspotsError, match="`bandwidth` must be greater than 0"):
        kde_direct(grid, xy, bandwidth=0)
    with pytest.raises(HotspotsError, match="Unknown kernel"):
        kde_grid(grid, xy, bandwidth=300, kernel="uniform")
    # incidents outside the grid are ignored, not wrapped around by the FFT
    far = np.array([[X0 + 50_000.0, Y0 + 500.0], [X0 - 150.0, Y0 + 500.0]])
    density, count = kde_grid(grid, far, bandwidth=300)
    assert density.max() == 0
    assert count.max() == 0


def test_hotspot_outlines_equal_the_union_of_their_cells():
    # outlines are built from coordinates in one GEOS call: the same polygons
    # (vertices, order, holes) as the union of each hotspot's cell boxes
    from scipy import ndimage

    rng = np.random.default_rng(4)
    grid = grid_for((512_345.0, 150_000.0, 514_345.0, 151_500.0), cell_size=50.0)
    selected = rng.random(grid.shape) < 0.6
    labels, n = ndimage.label(selected)
    rows, cols = np.nonzero(selected)
    order = np.argsort(labels[rows, cols], kind="stable")
    rows, cols = rows[order], cols[order]
    cells = np.bincount(labels[rows, cols], minlength=n + 1)[1:]
    got = density._dissolve_cells(grid, rows, cols, cells)
    assert len(got) == n
    holes = 0
    for i in range(n):
        mine = labels[rows, cols] == i + 1
        x = grid.x0 + cols[mine] * grid.cell_size
        y = grid.y0 + rows[mine] * grid.cell_size
        boxes = shapely.box(x, y, x + grid.cell_size, y + grid.cell_size)
        expected = shapely.coverage_union_all(boxes)
        assert shapely.to_wkb(got[i]) == shapely.to_wkb(expected)
        holes += len(getattr(expected, "interiors", []))
    assert holes > 0


def test_location_cell_pairs_split_over_two_threads_are_the_same_arrays(monkeypatch):
    # from _PAIRS_SPLIT locations, half the column offsets run on another thread;
    # joined in order, the pairs (so every sum over them) are exactly the same
    xy = clustered_xy(6_000, seed=11)
    grid = kde_surface(frame(xy), bandwidth=200, cell_size=50).grid
    assert xy.shape[0] >= density._PAIRS_SPLIT
    split = density._location_cell_pairs(grid, xy, 250.0)
    monkeypatch.setattr(density, "_PAIRS_SPLIT", 10**9)
    whole = density._location_cell_pairs(grid, xy, 250.0)
    assert len(split[0]) > 100_000
    for a, b in zip(split, whole, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("cell", "reach"), [(50.0, 225.0), (50.0, 100.0), (25.0, 90.0), (10.0, 37.5)]
)
def test_location_cell_pairs_test_a_disc_of_rows_and_find_every_pair(
    monkeypatch, cell, reach
):
    # only the rows that can be within reach are tested (a disc, not the square
    # of offsets): the same pairs in the same order as testing every row, and
    # exactly the (location, cell) pairs within reach by brute force; locations
    # on cell edges and centres, and reaches that are whole cells (centres at
    # exactly the reach), included
    rng = np.random.default_rng(31)
    grid = grid_for([0.0, 0.0, 2_000.0, 1_500.0], cell_size=cell, margin=reach)
    xy = np.vstack(
        [
            rng.uniform([0, 0], [2_000, 1_500], (400, 2)),
            rng.integers(0, [2_000 / cell, 1_500 / cell], (100, 2)) * cell,  # edges
            (rng.integers(0, [1_900 / cell, 1_400 / cell], (100, 2)) + 0.5) * cell,
        ]
    )
    disc = density._location_cell_pairs(grid, xy, reach)
    monkeypatch.setattr(density, "_row_steps", lambda steps, *a: steps)
    square = density._location_cell_pairs(grid, xy, reach)
    for a, b in zip(disc, square, strict=True):
        np.testing.assert_array_equal(a, b)
    cx, cy = grid.centres()
    d2 = (cx.ravel()[None, :] - xy[:, :1]) ** 2 + (cy.ravel()[None, :] - xy[:, 1:]) ** 2
    r2 = reach * reach
    if reach % cell == 0:
        assert (d2 == r2).any()  # centres at exactly the reach
    got = set(zip(disc[1], disc[0], strict=True))
    assert len(got) == len(disc[0])  # no pair twice
    # every pair within reach, none beyond (at exactly the reach, either way:
    # the distance is rounded differently from here)
    inside = set(zip(*np.nonzero(d2 <= r2 * (1 - 1e-12)), strict=True))
    near = set(zip(*np.nonzero(d2 <= r2 * (1 + 1e-12)), strict=True))
    assert len(inside) > 10 * len(xy)
    assert inside <= got <= near
    np.testing.assert_allclose(disc[2], d2[disc[1], disc[0]], rtol=1e-12)


def test_exact_kde_rows_summed_on_two_threads_are_the_same(monkeypatch):
    # from _PAIRS_SPLIT locations the rows north of the middle location are
    # summed on another thread: the same arrays as summed on one, and the count
    # still equals direct counting
    xy = clustered_xy(6_000, seed=12)
    weights = np.random.default_rng(12).integers(1, 4, len(xy)).astype(float)
    grid = kde_surface(frame(xy), bandwidth=200, cell_size=50).grid
    assert len(xy) >= density._PAIRS_SPLIT
    beside = density._kde_exact(grid, xy, weights, kernel="quartic", h=200.0)
    assert beside is not None
    monkeypatch.setattr(density, "_PAIRS_SPLIT", 10**9)
    in_turn = density._kde_exact(grid, xy, weights, kernel="quartic", h=200.0)
    assert in_turn is not None
    for a, b in zip(beside[:2], in_turn[:2], strict=True):
        np.testing.assert_array_equal(a, b)
    middle = int(np.median(np.floor((xy[:, 1] - grid.y0) / grid.cell_size)))
    assert beside[0][: middle - 5].sum() > 0
    assert beside[0][middle + 5 :].sum() > 0
    # against direct counting at 1,000 cells, the busiest among them
    cx, cy = (c.ravel() for c in grid.centres())
    cells = np.r_[
        np.argsort(beside[1].ravel())[-200:],
        np.random.default_rng(13).choice(cx.size, 800, replace=False),
    ]
    near = (cx[cells, None] - xy[None, :, 0]) ** 2 + (
        cy[cells, None] - xy[None, :, 1]
    ) ** 2 <= 200.0**2
    assert (near @ weights).max() > 100
    np.testing.assert_allclose(beside[1].ravel()[cells], near @ weights)


def count_distinct(monkeypatch) -> list[int]:
    """Count the searches for distinct locations (`density._distinct`) from now."""
    calls: list[int] = []
    real = density._distinct

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(density, "_distinct", counted)
    return calls


def test_distinct_locations_are_found_once_for_spacing_and_sum(monkeypatch):
    # the spacing check and the exact sum share one search for the distinct
    # locations; the surface and spacing are those each finds on its own
    xy = clustered_xy(3_000, seed=14)
    xy = np.repeat(xy, 3, axis=0)  # snapped: three incidents per location
    pts = frame(xy)
    density._LOCATIONS.clear()
    calls = count_distinct(monkeypatch)
    surface = kde_surface(pts, bandwidth=200, cell_size=50)
    assert len(calls) == 1
    assert surface.parameters["density_method"] == "exact"
    spacing, n_distinct, how = density._location_spacing(xy, 200.0)
    assert how == "exact"
    assert n_distinct == 3_000
    assert surface.parameters["distinct_locations"] == n_distinct
    assert surface.parameters["median_location_spacing_m"] == pytest.approx(spacing)
    assert surface.parameters["median_location_spacing_method"] == "exact"
    on_its_own = density._kde_exact(surface.grid, xy, None, kernel="quartic", h=200.0)
    np.testing.assert_array_equal(
        np.where(surface.mask, on_its_own[0], np.nan), surface.kde_per_km2
    )


def test_distinct_locations_are_kept_for_the_same_incidents_on_the_same_grid(
    monkeypatch,
):
    # another bandwidth on the same grid (200 -> 225 m: both 50 m cells) finds
    # the same incidents' locations and spacing once; other incidents, other
    # weights or another grid find their own; every surface is the one made
    # with nothing kept
    xy = np.repeat(clustered_xy(3_000, seed=21), 2, axis=0)
    pts = frame(xy)

    def afresh(points, **kw):
        density._LOCATIONS.clear()
        return kde_surface(points, **kw)

    def same(a, b):
        np.testing.assert_array_equal(a.kde_per_km2, b.kde_per_km2)
        np.testing.assert_array_equal(a.count_in_bandwidth, b.count_in_bandwidth)
        assert a.parameters == b.parameters

    fresh = {bw: afresh(pts, bandwidth=bw) for bw in (200, 225)}
    weights = np.random.default_rng(22).integers(1, 5, len(pts)).astype(float)
    heavy = pts.assign(weight=weights)
    fresh_w = afresh(heavy, bandwidth=225, weight="weight")
    moved = frame(xy + np.array([1.0, 0.0]))
    fresh_moved = afresh(moved, bandwidth=225)
    fresh_coarse = afresh(pts, bandwidth=310)
    spacing = density._location_spacing(xy, 225.0)[0]
    density._LOCATIONS.clear()
    calls = count_distinct(monkeypatch)
    first = kde_surface(pts, bandwidth=200)
    assert len(calls) == 1
    # a copy of the frame: the same values, another object
    second = kde_surface(pts.copy(), bandwidth=225)
    assert len(calls) == 1
    assert second.grid == first.grid
    same(first, fresh[200])
    same(second, fresh[225])
    assert second.parameters["median_location_spacing_m"] == pytest.approx(spacing)
    same(kde_surface(heavy, bandwidth=225, weight="weight"), fresh_w)
    assert len(calls) == 2
    same(kde_surface(moved, bandwidth=225), fresh_moved)
    assert len(calls) == 3
    coarse = kde_surface(pts, bandwidth=310)  # 100 m cells: another grid
    assert coarse.grid != first.grid
    assert len(calls) == 4
    same(coarse, fresh_coarse)
    # only the last few are kept
    for shift in range(density._LOCATIONS_KEPT):
        kde_surface(frame(xy + np.array([0.0, 2.0 + shift])), bandwidth=200)
    assert len(calls) == 4 + density._LOCATIONS_KEPT
    kde_surface(pts, bandwidth=200)
    assert len(calls) == 5 + density._LOCATIONS_KEPT


def test_located_once_finds_the_mask_once_and_only_for_that_frame(monkeypatch):
    from shapely import Point

    from hotspots import _points
    from hotspots import grid as grid_module

    pts = gpd.GeoDataFrame(
        {"n": [1, 2, 3, 4]},
        geometry=[Point(600_000, 150_000), Point(), None, Point(601_000, 150_500)],
        crs=27700,
    )
    want = [True, False, False, True]
    found = []
    real = _points.located_mask

    def counted(shapes):
        found.append(1)
        return real(shapes)

    monkeypatch.setattr(_points, "located_mask", counted)
    monkeypatch.setattr(grid_module, "located_mask", counted)
    with grid_module.located_once(pts) as facts:
        assert facts.located.tolist() == want
        for _ in range(3):
            got = grid_module.located(pts)
            assert got.tolist() == want
            got[:] = False  # each call's own copy: changing it changes no other
        assert len(found) == 1
        # another frame (even with the same rows) is not taken for this one
        other = pts.copy()
        assert grid_module.located(other).tolist() == want
        assert len(found) == 2
        # nested blocks of the same frame restore the outer mask when they end
        with grid_module.located_once(pts):
            assert grid_module.located(pts).tolist() == want
        assert grid_module.located(pts).tolist() == want
        assert len(found) == 3
        # another thread finds its own (the block is this thread's)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(grid_module.located, pts).result().tolist() == want
        assert len(found) == 4
    # outside the block: found again, and after a change, the new answer
    assert grid_module.located(pts).tolist() == want
    assert len(found) == 5
    pts2 = pts.set_geometry([Point(), Point(1, 1), None, None], crs=27700)
    assert grid_module.located(pts2).tolist() == [False, True, False, False]


def test_located_once_facts_are_found_once_kept_and_handed_on(monkeypatch):
    """Coordinates, type check and positions: once per block, reusable by a caller."""
    import shapely
    from shapely import LineString, Point

    from hotspots import _points
    from hotspots import grid as grid_module
    from hotspots._validate import require_points
    from hotspots.profile import location_ids

    geoms = [Point(600_000, 150_000), Point(), None, Point(601_000, 150_500)]
    geoms += [Point(600_000, 150_000), Point(602_000, 151_000)]
    pts = gpd.GeoDataFrame({"n": range(6)}, geometry=geoms, crs=27700)
    rows = np.array([0, 3, 4, 5])
    want_xy = [[600_000, 150_000], [601_000, 150_500], [600_000, 150_000]]
    want_xy.append([602_000, 151_000])
    outside = location_ids(pts, rows)  # found without a block
    assert outside.tolist() == [0, 1, 0, 2]
    calls = {"xy": 0, "types": 0}
    real_xy, real_types = shapely.get_coordinates, _points.first_not_point

    def coordinates(*a, **k):
        calls["xy"] += 1
        return real_xy(*a, **k)

    def types(*a, **k):
        calls["types"] += 1
        return real_types(*a, **k)

    monkeypatch.setattr(_points.shapely, "get_coordinates", coordinates)
    monkeypatch.setattr(_points, "first_not_point", types)
    with grid_module.located_once(pts) as facts:
        for _ in range(3):
            mask, xy = grid_module.located_xy(pts)
            assert mask.tolist() == [True, False, False, True, True, True]
            assert xy.tolist() == want_xy
            assert grid_module.point_xy(pts).tolist() == want_xy
            require_points(pts)
            np.testing.assert_array_equal(location_ids(pts, rows), outside)
        assert calls == {"xy": 1, "types": 1}
        # shared arrays cannot be changed by a caller
        with pytest.raises(ValueError, match="read-only"):
            xy[0, 0] = 0.0
        # other rows than the located ones: found as before
        assert location_ids(pts, np.array([3, 5])).tolist() == [0, 1]
        assert calls == {"xy": 2, "types": 1}
    # the facts handed to a block on another frame of the same rows: not found again
    again = pts.copy()
    with grid_module.located_once(again, facts):
        assert grid_module.point_xy(again).tolist() == want_xy
        require_points(again)
        np.testing.assert_array_equal(location_ids(again, rows), outside)
        assert calls == {"xy": 2, "types": 1}
    with (
        pytest.raises(ValueError, match="facts are of 6"),
        grid_module.located_once(again.iloc[:3], facts),
    ):
        pass
    # outside the blocks: the coordinates found again, bad geometry still refused
    assert grid_module.point_xy(pts).tolist() == want_xy
    bad = pts.set_geometry([*geoms[:5], LineString([(0, 0), (1, 1)])], crs=27700)
    with (
        grid_module.located_once(bad),
        pytest.raises(HotspotsError, match="row 5 is a LineString"),
    ):
        require_points(bad)
