r"""Kernel density surfaces of incidents on a grid, and hotspot polygons cut from them.

The surface
-----------
For incidents at points :math:`p_i` with weights :math:`w_i` (1 each, or a harm
weight column), the density at a cell centre :math:`c` is

.. math:: f(c) = 10^6 \sum_i w_i K(\lVert c - p_i \rVert)
   \quad \text{incidents per km}^2,

the kernel :math:`K` being in per m² (hence the factor :math:`10^6`). Every kernel
integrates to 1 over the plane, so the surface integrates to the total weight.

* ``quartic`` (biweight, the default; as in ArcGIS, CrimeStat and QGIS), with
  ``h`` = `bandwidth` = the support radius:
  :math:`K(d) = \frac{3}{\pi h^2}(1 - d^2/h^2)^2` for :math:`d < h`, else 0.
  Its spread equals a Gaussian's with :math:`\sigma \approx 0.354 h` (variance
  :math:`h^2/8` per axis).
* ``gaussian``, with :math:`\sigma` = `bandwidth` (the standard deviation, *not*
  a radius): :math:`K(d) = \frac{1}{2\pi\sigma^2} e^{-d^2/(2\sigma^2)}`,
  truncated at :math:`d = 4\sigma` and **not** renormalised: each incident loses
  :math:`e^{-8} \approx 0.034\%` of its weight beyond :math:`4\sigma`, so the
  surface stays equal to the textbook kernel wherever it is non-zero. A Gaussian
  bandwidth of :math:`\sigma` smooths about as much as a quartic one of
  :math:`2.8\sigma`.

``count_in_bandwidth`` is the (weighted) number of incidents within `bandwidth`
metres of the cell centre (a disc of radius `bandwidth` for both kernels).

How it is computed (fast, and exact where affordable)
----------------------------------------------------
Points are never evaluated against every cell (that is `kde_direct`, the exact
reference, used by the tests and the benchmark). Two engines:

0. **Exact sums over the distinct locations** (`_kde_exact`), whenever the
   distinct locations times the cells around each,
   :math:`(2\lceil \text{reach}/\text{cell}\rceil + 3)^2`, fit
   `EXACT_DENSITY_BUDGET` (and there are at most `EXACT_COUNT_MAX_INCIDENTS`
   incidents): each distinct location, with its summed weight, adds its kernel
   at the true distance to every cell centre within the kernel's reach, and its
   weight to every centre within `bandwidth` for the count. That is the
   definition above, term for term (the same numbers as `kde_direct`, to
   rounding), and for police.uk data, which snaps incidents onto a few per cent
   as many anonymous points, the faster engine: all Kent over 17 months is
   35,000 locations, 1.7 million location-cell pairs at 200 m / 50 m, summed by
   compiled loops (`hotspots._kernels.kde_sums`) in 0.05-0.12 s against 0.5-1.0 s
   by steps 1-3 (`make bench`). ``parameters["density_method"]`` says "exact".

Otherwise (e.g. a million scattered points, or a Gaussian reaching many cells),
``parameters["density_method"]`` says "binned (oversample f) + FFT":

1. **Linear binning** on a lattice ``oversample`` times finer than the output
   grid (node spacing :math:`s = \text{cell}/f`): each incident's weight is shared
   between the four surrounding lattice nodes in proportion to its closeness
   (Wand & Jones 1994), which keeps each incident's mean position exactly.
2. **FFT convolution**: the lattice is split into its :math:`f^2` phases (one
   coarse-grid-sized layer per sub-node position); each layer is convolved with
   the kernel sampled at the exact offsets from its nodes to the output cell
   centres, the products are summed in the frequency domain and inverted once
   (``scipy.fft``), giving the density at the output cell centres directly.
   The transforms run in single precision (twice as fast as double): rounding
   is about 1e-7 of the peak, and densities under `ROUNDING_FLOOR` (1e-6) of the
   peak are set to 0, so cells beyond every incident's reach are exactly 0.
3. ``count_in_bandwidth``: **exact** whenever the distinct locations times the
   cells around each, :math:`(2\lceil h/\text{cell}\rceil + 3)^2`, fit
   `EXACT_COUNT_BUDGET` (police.uk selections: Thanet over 4 months is 1.2k
   distinct points; all Kent over 17 months, 35k, is exact at 200 m / 50 m but
   not at 2,200 m / 100 m): each distinct location adds its weight to every
   cell whose centre is within `bandwidth` of it. Otherwise (also above
   `EXACT_COUNT_MAX_INCIDENTS` incidents, e.g. a million scattered points)
   incidents are binned to their cell (`hotspots.grid.bin_points`) and
   summed over the disc of cells whose centres lie within `bandwidth`, by one
   more FFT convolution; that misplaces only incidents within half a cell
   diagonal (:math:`\text{cell}/\sqrt{2}`) of the circle, which matters for
   snap points carrying many incidents (measured: up to 13 % of a cell's count
   on real Thanet data at 526 m / 100 m), hence the exact path where it is
   affordable; with a bandwidth of many cells the band is relatively thin.
   ``parameters["count_in_bandwidth_method"]`` says which was used.

Binning error, the only approximation of the density: for one incident,
linear binning changes the quartic surface by at most about :math:`(s/h)^2` of
its peak :math:`3/(\pi h^2)` (Gaussian: :math:`(s/\sigma)^2 / 4`); measured by
dense evaluation: 10.8 % at :math:`s = h/3`, 1.56 % at :math:`s = h/8`, 0.69 %
at :math:`s = h/12`. The default ``oversample`` is the smallest :math:`f` (at
most `MAX_OVERSAMPLE`) with :math:`s \le h/10` (quartic) or
:math:`s \le \sigma/5` (Gaussian): about 1 % of one incident's own peak at
worst, and the errors of many incidents largely cancel. **Bound, measured** in
``tests/test_density.py`` against `kde_direct` on clustered and on police.uk-like
snapped data (5,000 incidents on ~600 snap points) and on real Thanet data, with
cells of a third to a quarter of the bandwidth: the largest error anywhere is
under 1 % of the peak density (0.74 % at worst, quartic, 250 m bandwidth, 100 m
cells).

Bandwidth and cell size
-----------------------
Both are in metres. ``None`` chooses them automatically and says how, in
``DensitySurface.parameters``: the bandwidth by `choose_bandwidth` (default the
spatial Silverman rule, ArcGIS Pro's default), the cell size by `auto_cell_size`
(the largest of 1, 2, 2.5, 5 × 10^k m not above ``min(100 m, bandwidth / 3)``).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft
from scipy import ndimage
from scipy.spatial import cKDTree

from hotspots._validate import (
    HotspotsError,
    require_points,
    require_positive,
    weight_values,
)
from hotspots.grid import (
    Grid,
    area_mask,
    bin_points,
    cells_frame,
    grid_for,
    located,
    located_xy,
)

__all__ = [
    "KERNELS",
    "DensitySurface",
    "auto_cell_size",
    "bandwidth_knn",
    "bandwidth_normal_reference",
    "bandwidth_silverman_spatial",
    "choose_bandwidth",
    "default_oversample",
    "kde_direct",
    "kde_grid",
    "kde_surface",
    "surface_hotspots",
]

log = logging.getLogger(__name__)

#: Kernels and how far their (truncated) support reaches, in bandwidths.
KERNELS: dict[str, float] = {"quartic": 1.0, "gaussian": 4.0}
#: Bandwidth rules accepted by `choose_bandwidth`.
BANDWIDTH_RULES = ("silverman", "normal", "knn")
#: Linear-binning lattice spacing target, in bandwidths: h/10 (quartic), σ/5
#: (Gaussian); about 1 % of one incident's peak at worst (module docstring).
LATTICE_FRACTION: dict[str, float] = {"quartic": 1 / 10, "gaussian": 1 / 5}
#: The finest oversampling used (f² FFT layers); beyond it the cells are too
#: coarse for the bandwidth anyway (a warning says so).
MAX_OVERSAMPLE = 8
#: Densities under this fraction of the surface's peak are FFT rounding: set to 0.
ROUNDING_FLOOR = 1e-6
#: `count_in_bandwidth` is exact (distinct locations stamped on the cells within
#: the bandwidth) up to this many incidents and this many location-cell pairs;
#: beyond, it is binned and convolved (module docstring).
EXACT_COUNT_MAX_INCIDENTS = 500_000
EXACT_COUNT_BUDGET = 10_000_000
#: The density itself is summed exactly (every distinct location's kernel on the
#: cells within its reach) up to this many location-cell pairs; beyond, it is
#: binned and convolved by FFT (module docstring).
EXACT_DENSITY_BUDGET = 10_000_000
#: The surface's grid reaches the kernel's support beyond the incidents (or the
#: study area), rounded up to a multiple of this: a few cells more, the same
#: grid for bandwidths 200-500 m (quartic).
GRID_MARGIN_STEP_M = 500.0
#: Default neighbour rank of the k-nearest-neighbour bandwidth rule.
DEFAULT_KNN_K = 10
#: Largest automatic cell size, metres.
MAX_AUTO_CELL_M = 100.0
#: Above this many incidents the snap-spacing check first tries a one-pass grid
#: test on a sample (see `_location_spacing`) before building a k-d tree.
_EXACT_SPACING_LIMIT = 500_000
#: Size of that sample (every k-th incident).
_SPACING_SAMPLE = 100_000
#: Incidents binned per chunk (bounds the temporary memory: ~10 arrays of this).
_CHUNK = 1_000_000


# --------------------------------------------------------------------- kernels
def _kernel_values(kernel: str, d2: NDArray[np.float64], h: float) -> NDArray[Any]:
    """Kernel value in per m² at squared distances `d2` (m²) for bandwidth `h` (m)."""
    if kernel == "quartic":
        u = d2 / (h * h)
        return np.where(u < 1.0, 3.0 / (math.pi * h * h) * (1.0 - u) ** 2, 0.0)
    # gaussian, truncated at 4 sigma, not renormalised
    return np.where(
        d2 < (4.0 * h) ** 2, np.exp(-d2 / (2.0 * h * h)) / (2.0 * math.pi * h * h), 0.0
    )


def _check_kernel(kernel: str) -> None:
    if kernel not in KERNELS:
        raise HotspotsError(
            f"Unknown kernel {kernel!r}; choose one of {sorted(KERNELS)} "
            "(quartic is the default)."
        )


def _support(kernel: str, bandwidth: float) -> float:
    """Distance in metres beyond which the kernel is 0."""
    return KERNELS[kernel] * bandwidth


def default_oversample(kernel: str, *, bandwidth: float, cell_size: float) -> int:
    """Lattice refinement `f` for linear binning: the smallest with spacing ≤ target.

    Parameters
    ----------
    kernel
        ``"quartic"`` or ``"gaussian"``.
    bandwidth
        Bandwidth in metres.
    cell_size
        Output cell side in metres.

    Returns
    -------
    int
        ``ceil(cell_size / (LATTICE_FRACTION[kernel] * bandwidth))`` clipped to
        ``1..MAX_OVERSAMPLE``; e.g. 4 for a quartic with cells of a third of the
        bandwidth, 3 with a quarter.
    """
    _check_kernel(kernel)
    need = cell_size / (LATTICE_FRACTION[kernel] * bandwidth)
    return int(min(MAX_OVERSAMPLE, max(1, math.ceil(need - 1e-9))))


# ------------------------------------------------------------------ the engine
def _as_xy_weights(
    xy: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    pts = np.asarray(xy, dtype="float64").reshape(-1, 2)
    if weights is None:
        return pts, None
    w = np.asarray(weights, dtype="float64").reshape(-1)
    if w.shape[0] != pts.shape[0]:
        raise HotspotsError(
            f"{w.shape[0]} weights given for {pts.shape[0]} points; give one each."
        )
    return pts, w


def _fft_sum(
    layers: list[NDArray[np.float64]],
    kernels: list[NDArray[np.float64]],
    radius: int,
    *,
    single: bool = False,
) -> NDArray[np.float64]:
    """Σ layer ⊛ kernel (linear convolution), cropped to the layers' shape.

    Each kernel is small (``2 * radius + 1`` square), so its transform is taken
    as a 1-D real FFT of its few rows followed by a DFT matrix product down the
    columns, a fraction of the cost of a zero-padded ``rfft2``. ``single`` runs
    the transforms in float32 (about twice as fast; rounding about 1e-7 of the
    largest value).
    """
    ny, nx = layers[0].shape
    shape = (sfft.next_fast_len(ny + 2 * radius), sfft.next_fast_len(nx + 2 * radius))
    real = np.float32 if single else np.float64
    k = 2 * radius + 1
    dft = np.exp(
        (-2j * math.pi / shape[0]) * np.outer(np.arange(shape[0]), np.arange(k))
    ).astype(np.complex64 if single else np.complex128)
    acc: NDArray[Any] | None = None
    for layer, kern in zip(layers, kernels, strict=True):
        prod = sfft.rfft2(layer.astype(real, copy=False), s=shape, workers=-1)
        prod *= dft @ sfft.rfft(kern.astype(real), n=shape[1], axis=1)
        if acc is None:
            acc = prod
        else:
            acc += prod
    assert acc is not None
    full = sfft.irfft2(acc, s=shape, workers=-1)
    return full[radius : radius + ny, radius : radius + nx].astype(np.float64)


def _linear_bin_phases(
    grid: Grid,
    xy: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    f: int,
) -> list[list[NDArray[np.float64]]]:
    """Linear binning on the f-times finer lattice, split into f×f phase layers.

    Lattice node ``i`` (x) sits at ``x0 + (i + 0.5) * cell / f``; phase ``p = i % f``
    of output column ``i // f``. Returns ``layers[q][p]`` of shape ``(ny, nx)``.
    Shares landing outside the lattice (incidents within half a node spacing of
    the grid edge) are dropped.
    """
    s = grid.cell_size / f
    wf, hf = grid.nx * f + 2, grid.ny * f + 2  # one padding node on each side
    fine = np.zeros(wf * hf)
    for start in range(0, xy.shape[0], _CHUNK):
        part = xy[start : start + _CHUNK]
        u = (part[:, 0] - grid.x0) / s - 0.5
        v = (part[:, 1] - grid.y0) / s - 0.5
        i0 = np.floor(u)
        j0 = np.floor(v)
        fx = u - i0
        fy = v - j0
        ok = (i0 >= -1) & (i0 < wf - 2) & (j0 >= -1) & (j0 < hf - 2)
        wt: NDArray[np.float64] | None = None
        if w is not None:
            wt = w[start : start + _CHUNK]
            ok &= wt != 0
        if not ok.all():
            i0, j0, fx, fy = i0[ok], j0[ok], fx[ok], fy[ok]
            wt = None if wt is None else wt[ok]
        idx = (j0.astype(np.int64) + 1) * wf + (i0.astype(np.int64) + 1)
        gx = 1.0 - fx
        gy = 1.0 - fy
        if wt is not None:
            gy *= wt
            fy *= wt
        # one bincount over the four corners (one lattice-sized temporary)
        fine += np.bincount(
            np.concatenate([idx, idx + 1, idx + wf, idx + wf + 1]),
            np.concatenate([gx * gy, fx * gy, gx * fy, fx * fy]),
            minlength=wf * hf,
        )
    lattice = fine.reshape(hf, wf)[1:-1, 1:-1].reshape(grid.ny, f, grid.nx, f)
    return [[lattice[:, q, :, p] for p in range(f)] for q in range(f)]


def _distinct_in_grid(
    grid: Grid, pts: NDArray[np.float64], w: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`_distinct` locations (summed weights) of the incidents inside `grid`."""
    _, _, inside = grid.index_of(pts[:, 0], pts[:, 1])
    return _distinct(pts[inside], None if w is None else w[inside])


def _pair_window(cell: float, reach_m: float) -> int:
    """Cells `_location_cell_pairs` looks at around each location (its budget)."""
    return (2 * (math.ceil(reach_m / cell) + 1) + 1) ** 2


def _row_steps(
    steps: NDArray[np.int64], di: int, cell: float, reach_m: float
) -> NDArray[np.int64]:
    """The row offsets of `steps` that can hold a cell centre within reach.

    A location lies in its own cell, so a centre `di` columns away is at least
    ``(|di| - 1/2)`` cells away across, and one `dj` rows away at least
    ``(|dj| - 1/2)`` cells away up or down: only ``|dj| - 1/2 <= sqrt(reach² -
    ((|di| - 1/2) cell)²) / cell`` can be within `reach_m` (a disc of rows,
    not the square: 40% fewer to test at 225 m / 50 m). A contiguous run of
    `steps` in their order (with a margin for rounding), so the pairs found
    and their order are those of every step.
    """
    across = max(abs(di) - 0.5, 0.0) * cell
    up = math.sqrt(max(reach_m * reach_m - across * across, 0.0))
    limit = math.floor(up / cell + 0.5 + 1e-6)
    return steps[np.abs(steps) <= limit]


def _location_cell_pairs(
    grid: Grid, loc: NDArray[np.float64], reach_m: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Every (location, cell) pair whose cell centre is within `reach_m` of it.

    Returns the flat cell index, the location's index in `loc` and the squared
    distance (m²) of each pair: the exact count and the exact density both sum
    over these.
    """
    cell = grid.cell_size
    steps = np.arange(-(math.ceil(reach_m / cell) + 1), math.ceil(reach_m / cell) + 2)
    row, col, _ = grid.index_of(loc[:, 0], loc[:, 1])
    rel_x = loc[:, 0] - grid.x0
    rel_y = loc[:, 1] - grid.y0
    ids = np.arange(loc.shape[0])
    r2 = reach_m * reach_m

    def offsets(
        part: NDArray[np.int64],
    ) -> list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]]:
        out = []
        for di in part:  # one column offset at a time: (locations × rows) arrays
            cc = col + di
            dx2 = ((cc + 0.5) * cell - rel_x) ** 2
            okx = (cc >= 0) & (cc < grid.nx) & (dx2 <= r2)
            rr = row[okx, None] + _row_steps(steps, int(di), cell, reach_m)[None, :]
            d2 = dx2[okx, None] + ((rr + 0.5) * cell - rel_y[okx, None]) ** 2
            ok = (d2 <= r2) & (rr >= 0) & (rr < grid.ny)
            out.append(
                (
                    (rr * grid.nx + cc[okx, None])[ok],
                    np.broadcast_to(ids[okx, None], d2.shape)[ok],
                    d2[ok],
                )
            )
        return out

    # the later column offsets on another thread (numpy's array work leaves
    # Python free: county-wide, 0.1 s of 0.2 s), joined in the same order
    half = len(steps) // 2
    later = (
        _BESIDE.submit(offsets, steps[half:]) if loc.shape[0] >= _PAIRS_SPLIT else None
    )
    parts = offsets(steps[:half] if later is not None else steps)
    if later is not None:
        parts += later.result()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


#: Work beside the caller that leaves Python free (numpy arrays, compiled loops,
#: GEOS), one job at a time: half of `_location_cell_pairs`' column offsets,
#: half the rows of the exact KDE (`_kde_exact`), and the hotspot cells
#: dissolved with ``outlines_later`` (`_surface_hotspots`).
_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots-density")
#: `_location_cell_pairs` splits its offsets, and `_kde_exact` its rows, from
#: this many locations (below it, handing work to a thread costs more than it
#: saves).
_PAIRS_SPLIT = 2_000


def _count_in_bandwidth(
    grid: Grid,
    pts: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    h: float,
) -> tuple[NDArray[np.float64], str]:
    """(Weighted) incidents within `h` of each cell centre, and the method used.

    Exact when the distinct locations (police.uk data: a few per cent of the
    incidents) times the cells around each are at most `EXACT_COUNT_BUDGET`:
    every distinct location adds its weight to each cell whose centre is within
    `h` of it. Otherwise incidents are binned to their cell
    (`hotspots.grid.bin_points`) and summed over the disc of cells whose centres
    lie within `h` of the cell's centre, by FFT; that misplaces only incidents
    within half a cell diagonal of the circle.
    """
    cell = grid.cell_size
    if pts.shape[0] <= EXACT_COUNT_MAX_INCIDENTS:
        loc, lw = _distinct_in_grid(grid, pts, w)
        if loc.shape[0] * _pair_window(cell, h) <= EXACT_COUNT_BUDGET:
            cells, which, _ = _location_cell_pairs(grid, loc, h)
            flat = np.bincount(cells, lw[which], minlength=grid.nx * grid.ny)
            return flat.reshape(grid.shape).astype("float64"), "exact"
    binned = np.zeros(grid.shape)
    for start in range(0, pts.shape[0], _CHUNK):
        part = pts[start : start + _CHUNK]
        binned += bin_points(
            grid,
            part[:, 0],
            part[:, 1],
            weights=None if w is None else w[start : start + _CHUNK],
        )
    cr = math.floor(h / cell)
    csteps = np.arange(-cr, cr + 1) * cell
    disc = (csteps[:, None] ** 2 + csteps[None, :] ** 2 <= h * h).astype("float64")
    count = _fft_sum([binned], [disc], cr)
    total = float(binned.sum())
    # FFT rounding: whole numbers when the weights are whole, else clear ~0
    if w is None or bool(np.all(np.mod(w, 1.0) == 0)):
        return np.rint(count) + 0.0, "binned"
    return np.where(count < 1e-12 * max(total, 1.0), 0.0, count), "binned"


def kde_grid(
    grid: Grid,
    xy: ArrayLike,
    *,
    bandwidth: float,
    kernel: str = "quartic",
    weights: ArrayLike | None = None,
    oversample: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Density and count within the bandwidth at every cell centre.

    The engine behind `kde_surface`, on plain arrays and a given grid (no masking,
    no automatic choices, no warnings). See the module docstring for the method
    and its error bound.

    Parameters
    ----------
    grid
        Output grid (metres). Incidents outside it are ignored, so make it reach
        the kernel support (`bandwidth`, or 4 × `bandwidth` for the Gaussian)
        beyond the incidents, as `kde_surface` does.
    xy
        ``(n, 2)`` incident coordinates in metres.
    bandwidth
        Quartic support radius ``h`` or Gaussian ``σ``, in metres.
    kernel
        ``"quartic"`` (default) or ``"gaussian"``.
    weights
        ``(n,)`` non-negative weights; default 1 each.
    oversample
        Linear-binning lattice refinement ``f`` (``f²`` FFT layers). Given, it
        forces the binned FFT engine; default None: the exact sums when they fit
        `EXACT_DENSITY_BUDGET`, else binning with `default_oversample`.

    Returns
    -------
    kde_per_km2, count_in_bandwidth
        Two ``(ny, nx)`` arrays: the density in (weighted) incidents per km², and
        the (weighted) number of incidents within `bandwidth` metres of each cell
        centre (exact up to `EXACT_COUNT_MAX_INCIDENTS` incidents, else binned;
        see the module docstring).
    """
    density, count, _, _ = _kde_grid(
        grid,
        xy,
        bandwidth=bandwidth,
        kernel=kernel,
        weights=weights,
        oversample=oversample,
    )
    return density, count


def _collapse(
    xy: NDArray[np.float64], w: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Distinct positions with summed weights, when that shrinks the input by a fifth."""
    codes, uniques = pd.factorize(xy[:, 0] + 1j * xy[:, 1])
    if len(uniques) > 0.8 * len(xy):
        return xy, w
    summed = np.bincount(codes, weights=w, minlength=len(uniques)).astype(np.float64)
    return np.column_stack([uniques.real, uniques.imag]), summed


def _kde_grid(
    grid: Grid,
    xy: ArrayLike,
    *,
    bandwidth: float,
    kernel: str,
    weights: ArrayLike | None,
    oversample: int | None = None,
    locations: _Locations | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], str, str]:
    """`kde_grid`, also returning how the density and the count were made.

    The density is summed exactly (`_kde_exact`) when that is affordable and
    `oversample` is not given; otherwise binned on the lattice and convolved.
    `locations`: the `_Locations` of these points, if the caller has them.
    """
    _check_kernel(kernel)
    require_positive(bandwidth=bandwidth)
    pts, w = _as_xy_weights(xy, weights)
    if w is not None and not (np.isfinite(w).all() and (w >= 0).all()):
        raise HotspotsError("`weights` must be finite and 0 or more.")
    h = float(bandwidth)
    f = (
        default_oversample(kernel, bandwidth=h, cell_size=grid.cell_size)
        if oversample is None
        else int(oversample)
    )
    require_positive(oversample=f)
    cell = grid.cell_size
    s = cell / f
    reach = _support(kernel, h)
    radius = math.ceil(reach / cell + 0.5)
    steps = np.arange(-radius, radius + 1) * cell

    if oversample is None:
        exact = _kde_exact(grid, pts, w, kernel=kernel, h=h, locations=locations)
        if exact is not None:
            return exact

    # police.uk snaps many incidents onto one point: bin each position once with
    # its summed weight (binning is linear in the weights, so the surface is the same)
    bin_xy, bin_w = _collapse(pts, w)
    layers = _linear_bin_phases(grid, bin_xy, bin_w, f)
    flat_layers: list[NDArray[np.float64]] = []
    kernels: list[NDArray[np.float64]] = []
    for q in range(f):
        dy = steps + s * ((f - 1) / 2 - q)
        for p in range(f):
            dx = steps + s * ((f - 1) / 2 - p)
            d2 = dy[:, None] ** 2 + dx[None, :] ** 2
            flat_layers.append(layers[q][p])
            kernels.append(_kernel_values(kernel, d2, h))
    density = _fft_sum(flat_layers, kernels, radius, single=True) * 1e6

    count, count_method = _count_in_bandwidth(grid, pts, w, h)

    # remove FFT rounding: the single-precision transforms leave about 1e-7 of
    # the peak anywhere, so values under `ROUNDING_FLOOR` × the peak are set to 0
    # (nothing negative, and cells beyond every incident's reach are exactly 0)
    peak = float(density.max()) if density.size else 0.0
    density[density < ROUNDING_FLOOR * peak] = 0.0
    return density, count, f"binned (oversample {f}) + FFT", count_method


def _kde_exact(
    grid: Grid,
    pts: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    *,
    kernel: str,
    h: float,
    locations: _Locations | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], str, str] | None:
    """Density and count summed exactly over the distinct locations, or None.

    Each distinct location (summed weight) adds its kernel, evaluated at the
    true distance, to every cell centre within the kernel's reach, and its
    weight to every centre within `h` (the count): `kde_direct` restricted to
    the cells each kernel reaches, so the same numbers to rounding. None when
    the locations times the cells around each exceed `EXACT_DENSITY_BUDGET`
    (then binning + FFT is cheaper). police.uk data snaps incidents to a few
    per cent as many points: all Kent over 17 months is 35,000 locations, 1.7
    million location-cell pairs at 200 m / 50 m, summed in 0.05-0.12 s by
    compiled loops (`hotspots._kernels.kde_sums`, two threads) against 0.5-1.0 s
    by FFT. (Found as numpy arrays first, the pairs of a new bandwidth took
    0.25-0.36 s and 100 MB; they were kept for the next selection.)
    `locations`: the `_Locations` of these points (their distinct locations),
    if the caller has them.
    """
    if pts.shape[0] > EXACT_COUNT_MAX_INCIDENTS:  # finding the distinct ones costs
        return None
    support = _support(kernel, h)
    loc, lw = (
        locations.distinct if locations is not None else _distinct_in_grid(grid, pts, w)
    )
    if loc.shape[0] * _pair_window(grid.cell_size, support) > EXACT_DENSITY_BUDGET:
        return None
    from hotspots import _kernels  # numba: imported when first summed

    # the locations in one order (by x, then y), so every cell's terms are
    # added in the same order however the locations came
    order = np.lexsort((loc[:, 1], loc[:, 0]))
    loc = loc[order]
    lw = np.asarray(lw, dtype=np.float64)[order]
    row, col, _ = grid.index_of(loc[:, 0], loc[:, 1])
    rel_x = loc[:, 0] - grid.x0
    rel_y = loc[:, 1] - grid.y0
    density = np.zeros(grid.nx * grid.ny)
    count = np.zeros(grid.nx * grid.ny)

    def rows(first: int, last: int) -> None:
        _kernels.kde_sums(
            row, col, rel_x, rel_y, lw, grid.nx, (first, last), grid.cell_size,
            support, h, kernel == "gaussian", density, count,
        )  # fmt: skip

    # the rows north of the middle location summed on another thread (the
    # compiled loops leave Python free), into the same arrays: no cell is in
    # both halves, and each cell's terms come in the same order
    if loc.shape[0] >= _PAIRS_SPLIT:
        middle = int(np.median(row))
        later = _BESIDE.submit(rows, middle, grid.ny)
        rows(0, middle)
        later.result()
    else:
        rows(0, grid.ny)
    return (
        density.reshape(grid.shape),
        count.reshape(grid.shape),
        "exact",
        "exact",
    )


def kde_direct(
    grid: Grid,
    xy: ArrayLike,
    *,
    bandwidth: float,
    kernel: str = "quartic",
    weights: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact reference: every incident evaluated at every cell centre.

    ``O(n × cells)`` time; meant for tests and the benchmark baseline on small
    data (collapse duplicate locations into weights first for police.uk data).

    Parameters
    ----------
    grid
        Output grid (metres).
    xy
        ``(n, 2)`` incident coordinates in metres.
    bandwidth
        Quartic support radius ``h`` or Gaussian ``σ``, in metres.
    kernel
        ``"quartic"`` (default) or ``"gaussian"``.
    weights
        ``(n,)`` weights; default 1 each.

    Returns
    -------
    kde_per_km2, count_in_bandwidth
        As `kde_grid`, computed exactly (count: distance ≤ `bandwidth`).
    """
    _check_kernel(kernel)
    require_positive(bandwidth=bandwidth)
    pts, w = _as_xy_weights(xy, weights)
    wt = np.ones(pts.shape[0]) if w is None else w
    cx, cy = grid.centres()
    cx, cy = cx.ravel(), cy.ravel()
    h = float(bandwidth)
    density = np.zeros(cx.shape)
    count = np.zeros(cx.shape)
    step = max(1, 2_000_000 // max(cx.size, 1))
    for start in range(0, pts.shape[0], step):
        p = pts[start : start + step]
        ww = wt[start : start + step]
        d2 = (cx[None, :] - p[:, :1]) ** 2 + (cy[None, :] - p[:, 1:]) ** 2
        density += ww @ _kernel_values(kernel, d2, h)
        count += ww @ (d2 <= h * h)
    return (density * 1e6).reshape(grid.shape), count.reshape(grid.shape)


# ------------------------------------------------------------ bandwidth rules
def _weights_or_ones(
    xy: NDArray[np.float64], weights: ArrayLike | None
) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(xy.shape[0])
    w = np.asarray(weights, dtype="float64").reshape(-1)
    if w.shape[0] != xy.shape[0]:
        raise HotspotsError(
            f"{w.shape[0]} weights given for {xy.shape[0]} points; give one each."
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise HotspotsError("Weights must be finite and 0 or more.")
    return w


def _rule_input(
    xy: ArrayLike, weights: ArrayLike | None, *, least: int = 2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    pts = np.asarray(xy, dtype="float64").reshape(-1, 2)
    if not np.isfinite(pts).all():
        raise HotspotsError("Coordinates must be finite to choose a bandwidth.")
    w = _weights_or_ones(pts, weights)
    keep = w > 0
    pts, w = pts[keep], w[keep]
    if pts.shape[0] < least:
        raise HotspotsError(
            f"Cannot choose a bandwidth automatically from {pts.shape[0]} "
            f"weighted point(s); give `bandwidth` in metres."
        )
    return pts, w


def _weighted_median(values: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    """Weighted median: the mean of the lower and upper weighted medians.

    For whole-number weights it equals ``np.median`` of the repeated values.
    """
    order = np.argsort(values, kind="stable")
    v, cw = values[order], np.cumsum(w[order])
    half = cw[-1] / 2.0
    lower = v[np.searchsorted(cw, half, side="left")]
    upper = v[min(np.searchsorted(cw, half, side="right"), v.size - 1)]
    return float((lower + upper) / 2.0)


def _no_spread(value: float, rule: str) -> float:
    if not value > 0:
        raise HotspotsError(
            f"The {rule} gives a bandwidth of 0: all incidents are at one place. "
            "Give `bandwidth` in metres."
        )
    return value


def bandwidth_normal_reference(
    xy: ArrayLike, *, weights: ArrayLike | None = None
) -> float:
    r"""Normal-reference (Scott) bandwidth in metres, averaged over the two axes.

    :math:`h = n^{-1/(d+4)} \cdot \tfrac12(\sigma_x + \sigma_y)` with
    :math:`d = 2`, i.e. :math:`n^{-1/6}`; :math:`\sigma` are the (weighted)
    population standard deviations of the coordinates and :math:`n` the number
    of points, or the sum of `weights`. It is the AMISE-optimal Gaussian
    :math:`\sigma` for normally distributed data, so it oversmooths clustered
    crime data; used as a quartic radius it smooths about 2.8 times less.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres (duplicates are real incidents).
    weights
        ``(n,)`` non-negative weights; default 1 each (a location's count as its
        weight gives the same value as the repeated points).

    Returns
    -------
    float
        Bandwidth in metres.
    """
    pts, w = _rule_input(xy, weights)
    n = float(w.sum())
    mean = (w @ pts) / n
    sd = np.sqrt((w @ (pts - mean) ** 2) / n)
    return _no_spread(float(n ** (-1 / 6) * sd.mean()), "normal reference rule")


def bandwidth_silverman_spatial(
    xy: ArrayLike, weights: ArrayLike | None = None
) -> float:
    r"""Spatial Silverman bandwidth in metres, the default of ArcGIS Kernel Density.

    :math:`h = 0.9 \cdot \min(SD, \sqrt{1/\ln 2} \cdot D_m) \cdot n^{-0.2}`,
    where :math:`SD = \sqrt{\sum w_i \lVert p_i - \bar p \rVert^2 / \sum w_i}`
    is the standard distance about the weighted mean centre :math:`\bar p`,
    :math:`D_m` the weighted median distance from :math:`\bar p`, and :math:`n`
    the number of points or the sum of `weights` (Esri, "How Kernel Density
    works"). The weighted median is the mean of the lower and upper weighted
    medians, so distinct locations weighted by their incident counts give exactly
    the value of the repeated (police.uk snapped) points.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres.
    weights
        ``(n,)`` non-negative weights (e.g. counts per distinct location, or
        harm); default 1 each.

    Returns
    -------
    float
        Bandwidth in metres (the quartic search radius in ArcGIS).
    """
    pts, w = _rule_input(xy, weights)
    n = float(w.sum())
    centre = (w @ pts) / n
    dist = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
    sd = math.sqrt(float(w @ dist**2) / n)
    dm = _weighted_median(dist, w)
    h = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * n**-0.2
    return _no_spread(h, "spatial Silverman rule")


def _distinct(
    pts: NDArray[np.float64], w: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distinct locations (to the millimetre) and the summed weight at each."""
    wt = np.ones(pts.shape[0]) if w is None else w
    if pts.shape[0] == 0:
        return pts, wt.astype("float64")
    mm = np.rint(pts * 1000.0)
    mm -= mm.min(axis=0)
    span = mm.max(axis=0) + 1
    if span[0] * span[1] < 2.0**62:  # one int64 key per point (hash, fast)
        codes, uniq = pd.factorize(
            mm[:, 0].astype(np.int64) * int(span[1]) + mm[:, 1].astype(np.int64)
        )
        n = len(uniq)
    else:
        _, codes, counts = np.unique(
            mm, axis=0, return_inverse=True, return_counts=True
        )
        codes = codes.reshape(-1)
        n = counts.size
    sums = np.bincount(codes, weights=wt, minlength=n).astype("float64")
    first = np.zeros(n, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size)[::-1]
    return pts[first], sums


def bandwidth_knn(
    xy: ArrayLike, k: int = DEFAULT_KNN_K, *, weights: ArrayLike | None = None
) -> float:
    """k-nearest-neighbour bandwidth in metres, over distinct locations.

    Duplicate points (police.uk snaps many incidents to one point) are collapsed
    to distinct locations (to the millimetre). For each distinct location, take
    the distance to its `k`-th nearest *other* distinct location; the bandwidth
    is the **median** of these over incidents, i.e. weighted by the incidents (or
    `weights`) at each location: the radius that holds `k` other places of
    incidents around a typical incident. Raw snapped points and distinct
    locations weighted by their counts give the same value.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres.
    k
        Neighbour rank; default 10 (about a street block of police.uk snap
        points in a town centre, a few hundred metres).
    weights
        ``(n,)`` non-negative weights; default 1 each.

    Returns
    -------
    float
        Bandwidth in metres.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"`k` must be an int, got {type(k).__name__}.")
    require_positive(k=k)
    pts, w = _rule_input(xy, weights)
    loc, lw = _distinct(pts, w)
    if loc.shape[0] <= k:
        raise HotspotsError(
            f"The k-nearest-neighbour rule needs more than k={k} distinct "
            f"locations, found {loc.shape[0]}; lower `k` or give `bandwidth`."
        )
    dist, _ = cKDTree(loc).query(loc, k=[k + 1], workers=-1)
    return _no_spread(_weighted_median(dist[:, 0], lw), "k-nearest-neighbour rule")


def _describe_count(
    n_incidents: int, w: NDArray[np.float64] | None, weight: str | None
) -> str:
    text = f"{n_incidents:,} incidents"
    if w is not None and weight is not None:
        text += f" (total weight {float(w.sum()):,.6g} from column {weight!r})"
    return text


def _round_bandwidth(h: float) -> float:
    return float(round(h)) if h >= 10 else float(f"{h:.3g}")


def _choose_bandwidth_xy(
    pts: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    *,
    rule: str,
    k: int,
    weight: str | None,
) -> tuple[float, str]:
    if rule not in BANDWIDTH_RULES:
        raise HotspotsError(
            f"Unknown bandwidth rule {rule!r}; choose one of {list(BANDWIDTH_RULES)}."
        )
    what = _describe_count(pts.shape[0], w, weight)
    if rule == "silverman":
        h = _round_bandwidth(bandwidth_silverman_spatial(pts, w))
        how = "the spatial Silverman rule (ArcGIS default)"
    elif rule == "normal":
        h = _round_bandwidth(bandwidth_normal_reference(pts, weights=w))
        how = "the normal reference (Scott) rule"
    else:
        h = _round_bandwidth(bandwidth_knn(pts, k, weights=w))
        how = (
            f"the median distance from an incident's location to its {k}th nearest "
            "other distinct location"
        )
    return h, f"bandwidth {h:,.4g} m, chosen by {how} on {what}"


def choose_bandwidth(
    points: gpd.GeoDataFrame,
    *,
    rule: str = "silverman",
    weight: str | None = None,
    k: int = DEFAULT_KNN_K,
) -> tuple[float, str]:
    """Choose a bandwidth automatically and say how, in plain English.

    Parameters
    ----------
    points
        Incidents as points in a projected metre CRS; unlocated rows are skipped.
    rule
        ``"silverman"`` (default; `bandwidth_silverman_spatial`, ArcGIS's
        default), ``"normal"`` (`bandwidth_normal_reference`) or ``"knn"``
        (`bandwidth_knn`).
    weight
        Weight column (e.g. ``"weight"``, the harm weight); ``None`` = 1 each.
    k
        Neighbour rank for ``rule="knn"``; default 10.

    Returns
    -------
    bandwidth, explanation
        The bandwidth in metres, rounded to the metre (3 significant figures
        under 10 m), and e.g. ``"bandwidth 310 m, chosen by the spatial Silverman
        rule (ArcGIS default) on 12,345 incidents"``.
    """
    require_points(points)
    pts, w = _located_xy_weights(points, weight)
    return _choose_bandwidth_xy(pts, w, rule=rule, k=k, weight=weight)


def auto_cell_size(bandwidth: float) -> float:
    """Automatic cell side in metres: a round number ≤ ``min(100, bandwidth / 3)``.

    The largest of 1, 2, 2.5 and 5 × 10^k metres not above the limit, so a
    bandwidth of 310 m gives 100 m, 200 m gives 50 m and 90 m gives 25 m. A
    third of the bandwidth keeps the binning error small (module docstring);
    100 m keeps street-scale detail on county-wide maps.

    Parameters
    ----------
    bandwidth
        Bandwidth in metres.

    Returns
    -------
    float
        Cell side in metres.
    """
    require_positive(bandwidth=bandwidth)
    limit = min(MAX_AUTO_CELL_M, bandwidth / 3.0)
    base = 10.0 ** math.floor(math.log10(limit))
    best = base
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * base <= limit * (1 + 1e-12):
            best = m * base
    return float(f"{best:.6g}")


# -------------------------------------------------------------------- surface
@dataclass(frozen=True, eq=False)
class DensitySurface:
    """A kernel density surface on a grid, with the parameters that made it.

    Attributes
    ----------
    grid
        The grid (metres); arrays are ``(ny, nx)``, row 0 the southernmost.
    kde_per_km2
        Density in (weighted) incidents per km²; NaN outside the study area.
    count_in_bandwidth
        (Weighted) incidents within the bandwidth of each cell centre; NaN
        outside the study area.
    mask
        True for cells in the study area (cell centre inside it).
    parameters
        Kernel, bandwidth and cell size (values, whether automatic, and plain
        English explanations), incidents used, weight column and total weight.
    """

    grid: Grid
    kde_per_km2: NDArray[np.float64]
    count_in_bandwidth: NDArray[np.float64]
    mask: NDArray[np.bool_]
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_cells(self) -> gpd.GeoDataFrame:
        """The study-area cells as square polygons with their values.

        Returns
        -------
        GeoDataFrame
            Columns ``row``, ``col``, ``kde_per_km2``, ``count_in_bandwidth`` and
            the cell polygon, in the grid's CRS; one row per study-area cell.
        """
        return cells_frame(
            self.grid,
            {
                "kde_per_km2": self.kde_per_km2,
                "count_in_bandwidth": self.count_in_bandwidth,
            },
            where=self.mask,
        )


def count_in_bandwidth(
    points: gpd.GeoDataFrame, grid: Grid, bandwidth: float
) -> NDArray[np.float64]:
    """Incidents (unweighted) within `bandwidth` metres of each cell centre of `grid`.

    The same count as a `DensitySurface`'s ``count_in_bandwidth`` made without a
    weight (`_count_in_bandwidth`): for public surfaces of harm-weighted
    densities, whose own count is weighted (`hotspots.export`).
    """
    xy, _ = _located_xy_weights(points, None)
    count, _ = _count_in_bandwidth(grid, xy, None, float(bandwidth))
    return count


def _located_xy_weights(
    points: gpd.GeoDataFrame, weight: str | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Coordinates of located rows and their weights (checked), or None weights."""
    has, xy = located_xy(points)
    if not has.any():
        raise HotspotsError(
            f"`points` has no located incidents ({len(points):,} rows, all without "
            "a location); select rows with coordinates."
        )
    if not np.isfinite(xy).all():
        raise HotspotsError("`points` has non-finite coordinates; fix or drop them.")
    if weight is None:
        return xy, None
    w = weight_values(points, weight, has)
    if not w.sum() > 0:
        raise HotspotsError(f"Weight column {weight!r} sums to 0: nothing to map.")
    return xy, w


def _location_spacing(
    xy: NDArray[np.float64],
    bandwidth: float,
    locations: _Locations | None = None,
) -> tuple[float | None, int | None, str]:
    """Median distance from each distinct location to its nearest other one.

    Returns ``(spacing_m, distinct_locations, method)``. Exact (k-d tree on the
    distinct locations, to the millimetre) up to `_EXACT_SPACING_LIMIT`
    incidents. Above it, a one-pass test on an evenly strided sample first: two
    locations in one square of side bandwidth/√2 are within the bandwidth, so if
    at least half of the sampled locations share their square with another, the
    median spacing is at most the bandwidth and is not computed (None).
    `locations`: the `_Locations` of these points, if the caller has them.
    """
    n = xy.shape[0]
    if n > _EXACT_SPACING_LIMIT:
        step = math.ceil(n / _SPACING_SAMPLE)
        loc, _ = _distinct(xy[::step])
        side = bandwidth / math.sqrt(2)
        cells = np.floor((loc - loc.min(axis=0)) / side).astype(np.int64)
        codes, _ = pd.factorize(
            cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]
        )
        shared = np.bincount(codes)[codes] >= 2
        if shared.mean() >= 0.5:
            return (
                None,
                None,
                (f"at most the bandwidth (grid test on every {step}th incident)"),
            )
    if locations is not None:
        return locations.spacing
    loc, _ = _distinct(xy)
    return _nearest_spacing(loc)


def _nearest_spacing(loc: NDArray[np.float64]) -> tuple[float | None, int, str]:
    """`_location_spacing`'s exact answer for distinct locations `loc`."""
    if loc.shape[0] < 2:
        return None, int(loc.shape[0]), "fewer than two distinct locations"
    dist, _ = cKDTree(loc).query(loc, k=[2], workers=-1)
    return float(np.median(dist[:, 0])), int(loc.shape[0]), "exact"


class _Locations:
    """The distinct locations of some incidents on a grid, found when first asked.

    `distinct` is `_distinct_in_grid` (the summed weight at each) and `spacing`
    `_location_spacing`'s exact answer for them. Kept by `_locations` for the
    next surface of the same incidents and weights on the same grid.
    """

    def __init__(
        self, grid: Grid, xy: NDArray[np.float64], w: NDArray[np.float64] | None
    ) -> None:
        self.grid, self.xy, self.w = grid, xy, w

    @functools.cached_property
    def distinct(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """`_distinct_in_grid` of the incidents."""
        return _distinct_in_grid(self.grid, self.xy, self.w)

    @functools.cached_property
    def spacing(self) -> tuple[float | None, int, str]:
        """Median nearest-neighbour spacing of the distinct locations (exact)."""
        return _nearest_spacing(self.distinct[0])


#: `_Locations` of the last few surfaces, most recent last: another bandwidth
#: on the same grid (or another method's view) sums over the same distinct
#: locations and reports the same spacing (0.08 s county-wide).
_LOCATIONS: list[_Locations] = []
_LOCATIONS_KEPT = 4
_LOCATIONS_LOCK = threading.Lock()


def _same(a: NDArray[Any] | None, b: NDArray[Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and bool(np.array_equal(a, b)))


def _locations(
    grid: Grid, xy: NDArray[np.float64], w: NDArray[np.float64] | None
) -> _Locations:
    """The `_Locations` of these incidents (compared by value), kept for reuse.

    `xy` and `w` are kept as given: the caller must not change them later
    (`kde_surface` gives arrays of its own or read-only ones).
    """
    with _LOCATIONS_LOCK:
        for at, kept in enumerate(_LOCATIONS):
            if kept.grid == grid and _same(kept.xy, xy) and _same(kept.w, w):
                _LOCATIONS.append(_LOCATIONS.pop(at))  # most recent last
                return kept
        made = _Locations(grid, xy, w)
        _LOCATIONS.append(made)
        while len(_LOCATIONS) > _LOCATIONS_KEPT:
            del _LOCATIONS[0]
        return made


def kde_surface(
    points: gpd.GeoDataFrame,
    *,
    bandwidth: float | None = None,
    cell_size: float | None = None,
    kernel: str = "quartic",
    weight: str | None = None,
    study_area: gpd.GeoDataFrame | None = None,
    bandwidth_rule: str = "silverman",
) -> DensitySurface:
    r"""Kernel density surface of incidents, in incidents per km², on a square grid.

    Formulas, method and error bound are in the module docstring: quartic
    :math:`K(d) = 3/(\pi h^2)(1 - d^2/h^2)^2` for :math:`d < h` (default) or
    Gaussian :math:`K(d) = e^{-d^2/2\sigma^2}/(2\pi\sigma^2)` truncated at
    :math:`4\sigma` (not renormalised), computed by linear binning and FFT.

    Parameters
    ----------
    points
        Incidents as points in a projected metre CRS (EPSG:27700). Unlocated rows
        (empty geometry) are skipped and counted in ``parameters``.
    bandwidth
        **The parameter that matters most**: quartic search radius, or Gaussian
        standard deviation, in metres. ``None`` (default) chooses it by
        `bandwidth_rule` (see `choose_bandwidth`) from the located incidents
        inside the study area's bounding box (all of them without a study area).
    cell_size
        Cell side in metres. ``None`` (default) uses `auto_cell_size`:
        ``min(100, bandwidth / 3)`` rounded down to 1, 2, 2.5 or 5 × 10^k m.
    kernel
        ``"quartic"`` (default) or ``"gaussian"``.
    weight
        Column of non-negative weights (``"weight"`` is the canonical harm
        weight); ``None`` (default) counts each incident once.
    study_area
        Polygons in the same CRS; cells whose centre lies outside (the sea, other
        districts) are masked: NaN, never hotspots, not counted in the area.
        ``None`` (default): every cell counts. Incidents outside the area but
        within the kernel's reach still add density inside it.
    bandwidth_rule
        Rule for ``bandwidth=None``: ``"silverman"`` (default), ``"normal"`` or
        ``"knn"``.

    Returns
    -------
    DensitySurface
        The grid reaches the kernel support (``bandwidth``; ``4 × bandwidth`` for
        the Gaussian), rounded up to a multiple of `GRID_MARGIN_STEP_M`, beyond
        the incidents, or beyond the study area when given, so the surface is
        never cut off.

    Warns
    -----
    UserWarning
        When the bandwidth is under twice the cell size (a blocky surface), or
        under the median distance between neighbouring distinct locations (for
        police.uk data, the spacing of the anonymous snap points): the surface
        is then a set of separate bumps on the snap points rather than a density.
    """
    require_points(points)
    _check_kernel(kernel)
    if bandwidth is not None:
        require_positive(bandwidth=bandwidth)
    if cell_size is not None:
        require_positive(cell_size=cell_size)
    if bandwidth_rule not in BANDWIDTH_RULES:
        raise HotspotsError(
            f"Unknown bandwidth rule {bandwidth_rule!r}; choose one of "
            f"{list(BANDWIDTH_RULES)}."
        )
    crs = points.crs.to_string()
    n_rows = len(points)
    xy, w = _located_xy_weights(points, weight)
    n_located = xy.shape[0]

    area_bounds: NDArray[np.float64] | None = None
    if study_area is not None:
        if not isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
            raise TypeError(
                f"`study_area` must be a GeoDataFrame, got {type(study_area).__name__}."
            )
        if study_area.crs is None or study_area.crs != points.crs:
            raise HotspotsError(
                f"The study area is in {study_area.crs}, the incidents in "
                f"{points.crs}; reproject the study area with to_working_crs()."
            )
        geoms = study_area.geometry
        if len(study_area) == 0 or (geoms.isna() | geoms.is_empty).all():
            raise HotspotsError("`study_area` is empty; give at least one polygon.")
        area_bounds = np.asarray(study_area.total_bounds, dtype="float64")

    # bandwidth
    if bandwidth is None:
        pick = np.ones(n_located, dtype=bool)
        if area_bounds is not None:
            minx, miny, maxx, maxy = area_bounds
            pick = (
                (xy[:, 0] >= minx)
                & (xy[:, 0] <= maxx)
                & (xy[:, 1] >= miny)
                & (xy[:, 1] <= maxy)
            )
            if not pick.any():
                raise HotspotsError(
                    "No located incidents lie within the study area; widen the "
                    "selection or the area."
                )
        h, h_text = _choose_bandwidth_xy(
            xy[pick],
            None if w is None else w[pick],
            rule=bandwidth_rule,
            k=DEFAULT_KNN_K,
            weight=weight,
        )
        h_auto = True
        log.info(h_text)
    else:
        h = float(bandwidth)
        h_text = f"bandwidth {h:,.4g} m, as given"
        h_auto = False

    # cell size
    if cell_size is None:
        cell = auto_cell_size(h)
        cell_text = (
            f"cell size {cell:g} m, chosen automatically as a round number "
            f"≤ min(100 m, bandwidth / 3)"
        )
        cell_auto = True
        log.info(cell_text)
    else:
        cell = float(cell_size)
        cell_text = f"cell size {cell:g} m, as given"
        cell_auto = False

    # grid: the support beyond the incidents (or the study area), rounded up to
    # `GRID_MARGIN_STEP_M` so that nearby bandwidths share one grid (and what is
    # kept for it: the study-area mask, the dashboard's pixel lookup)
    reach = _support(kernel, h)
    margin = math.ceil(reach / GRID_MARGIN_STEP_M) * GRID_MARGIN_STEP_M
    bounds = (
        area_bounds
        if area_bounds is not None
        else np.array([*xy.min(axis=0), *xy.max(axis=0)])
    )
    grid = grid_for(bounds, cell_size=cell, margin=margin, crs=crs)
    mask = area_mask(grid, study_area)
    if not mask.any():
        raise HotspotsError(
            "No grid cell has its centre inside the study area; use a smaller "
            "`cell_size`."
        )
    if area_bounds is None:  # the grid was built around every incident
        n_used, xy_in, w_in = n_located, xy, w
    else:
        _, _, inside = grid.index_of(xy[:, 0], xy[:, 1])
        n_used = int(inside.sum())
        xy_in = xy[inside]
        w_in = None if w is None else w[inside]

    # the distinct locations (every incident used is inside the grid), found
    # once for the spacing check and the exact sum (0.03 s each, county-wide),
    # and kept for the next surface of the same incidents on this grid
    locations = _locations(grid, xy_in, w_in)

    # suspicious but valid settings
    spacing, n_distinct, spacing_how = _location_spacing(xy_in, h, locations)
    if h < 2 * cell:
        warnings.warn(
            f"The bandwidth ({h:g} m) is under twice the cell size ({cell:g} m): "
            "the surface will be blocky. Use cells of at most a third of the "
            "bandwidth.",
            UserWarning,
            stacklevel=2,
        )
    if spacing is not None and h < spacing:
        warnings.warn(
            f"The bandwidth ({h:g} m) is under the median spacing of the distinct "
            f"incident locations ({spacing:.0f} m; police.uk puts incidents on "
            "anonymous snap points, a postcode all its incidents on one point): "
            "the surface will be isolated bumps on those points. Use a larger "
            "bandwidth.",
            UserWarning,
            stacklevel=2,
        )

    density, count, density_method, count_method = _kde_grid(
        grid,
        xy_in,
        bandwidth=h,
        kernel=kernel,
        weights=w_in,
        locations=locations,
    )
    density = np.where(mask, density, np.nan)
    count = np.where(mask, count, np.nan)
    parameters: dict[str, Any] = {
        "kernel": kernel,
        "kernel_formula": (
            "K(d) = 3/(pi h^2) (1 - d^2/h^2)^2 for d < h (h = bandwidth)"
            if kernel == "quartic"
            else "K(d) = exp(-d^2/(2 s^2))/(2 pi s^2) for d < 4s, s = bandwidth "
            "(truncated, not renormalised)"
        ),
        "bandwidth_m": h,
        "bandwidth_rule": bandwidth_rule if h_auto else "given",
        "bandwidth_automatic": h_auto,
        "bandwidth_explanation": h_text,
        "cell_size_m": cell,
        "cell_size_automatic": cell_auto,
        "cell_size_explanation": cell_text,
        "density_method": density_method,
        "oversample": (
            None
            if density_method == "exact"
            else default_oversample(kernel, bandwidth=h, cell_size=cell)
        ),
        "incidents": n_rows,
        "incidents_located": n_located,
        "incidents_unlocated": n_rows - n_located,
        "incidents_used": n_used,
        "weight": weight,
        "total_weight": float(n_used if w_in is None else w_in.sum()),
        "distinct_locations": n_distinct,
        "count_in_bandwidth_method": count_method,
        "median_location_spacing_m": spacing,
        "median_location_spacing_method": spacing_how,
        "study_area": study_area is not None,
        "study_area_km2": float(mask.sum() * grid.cell_area_km2),
    }
    return DensitySurface(
        grid=grid,
        kde_per_km2=density,
        count_in_bandwidth=count,
        mask=mask,
        parameters=parameters,
    )


# ------------------------------------------------------------------- hotspots
_HOTSPOT_COLUMNS = [
    "hotspot_id",
    "incidents",
    "harm",
    "area_km2",
    "peak_kde_per_km2",
    "mean_kde_per_km2",
    "incidents_per_km2",
    "threshold",
    "threshold_kde_per_km2",
]


def _threshold(
    surface: DensitySurface,
    coverage: float | None,
    k_mean: float | None,
    min_density: float | None,
) -> tuple[float, str, dict[str, Any]]:
    given = {
        k: v
        for k, v in {
            "coverage": coverage,
            "k_mean": k_mean,
            "min_density": min_density,
        }.items()
        if v is not None
    }
    if len(given) != 1:
        raise HotspotsError(
            "Give exactly one threshold: `coverage` (share of the study area, e.g. "
            "0.05), `k_mean` (times the mean density) or `min_density` (per km²); "
            f"got {sorted(given) or 'none'}."
        )
    ((name, value),) = given.items()
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    require_positive(**{name: value})
    values = surface.kde_per_km2[surface.mask]
    if name == "coverage":
        if not value <= 1:
            raise HotspotsError(
                f"`coverage` must be in (0, 1] (a share of the study area), got "
                f"{value!r}; 5 % is 0.05."
            )
        k = max(1, round(float(value) * values.size))
        # rank only the cells with some density (zero cells are never hot; they
        # are also most of a county, where they slow a partition down)
        hot = values[values > 0]
        if hot.size == 0:
            thr = math.inf
        elif k >= hot.size:
            thr = float(hot.min())
        else:
            thr = float(np.partition(hot, hot.size - k)[hot.size - k])
        text = (
            f"hottest {100 * float(value):.3g}% of the study area ({k:,} of "
            f"{values.size:,} cells): density ≥ {thr:,.4g} per km²"
            if k <= hot.size
            else f"every cell with any density, {hot.size:,} of {values.size:,} "
            f"(fewer than the {k:,} of the hottest {100 * float(value):.3g}% asked "
            f"for): density ≥ {thr:,.4g} per km²"
        )
    elif name == "k_mean":
        mean = float(values.mean())
        thr = float(value) * mean
        text = (
            f"density ≥ {value:g} × the study-area mean ({mean:,.4g} per km²) = "
            f"{thr:,.4g} per km²"
        )
    else:
        thr = float(value)
        text = f"density ≥ {thr:,.4g} per km² (fixed)"
    return thr, text, {"threshold_rule": name, "threshold_value": float(value)}


def _dissolve_cells(
    grid: Grid, rows: NDArray[np.intp], cols: NDArray[np.intp], cells: NDArray[np.intp]
) -> NDArray[np.object_]:
    """One polygon per run of `cells` consecutive cells: the union of their squares.

    Each hotspot's squares go to GEOS as one MultiPolygon built straight from
    coordinates (as ``shapely.box`` draws them: counter-clockwise from the
    bottom-right corner), so no Python object is made per cell (30,000 on the
    county) and the unions run in one call; the result is the same as
    ``coverage_union_all`` of the hotspot's boxes.
    """
    x0 = grid.x0 + cols * grid.cell_size
    y0 = grid.y0 + rows * grid.cell_size
    x1 = x0 + grid.cell_size
    y1 = y0 + grid.cell_size
    xs = np.stack([x1, x1, x0, x0, x1], axis=1)
    ys = np.stack([y0, y1, y1, y0, y0], axis=1)
    coords = np.stack([xs, ys], axis=2).reshape(-1, 2)
    m = len(rows)
    offsets = (
        np.arange(0, 5 * m + 1, 5),  # ring starts (5 coordinates a square)
        np.arange(m + 1),  # one ring a polygon
        np.concatenate([[0], np.cumsum(cells)]),  # the squares of each hotspot
    )
    squares = shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, coords, offsets
    )
    return np.asarray(shapely.coverage_union_all(squares[:, None], axis=1))


def surface_hotspots(
    surface: DensitySurface,
    points: gpd.GeoDataFrame,
    *,
    coverage: float | None = None,
    k_mean: float | None = None,
    min_density: float | None = None,
) -> gpd.GeoDataFrame:
    """Hotspot polygons: the study-area cells above a density threshold, dissolved.

    Give exactly one threshold. Cells are selected when their density is at
    least the threshold and above 0 (never outside the study area); edge-adjacent
    selected cells (4-connectivity) are dissolved into one polygon, so cells
    touching only at a corner form separate hotspots.

    Parameters
    ----------
    surface
        From `kde_surface`.
    points
        The incidents to count in each polygon (normally those given to
        `kde_surface`), same CRS; unlocated rows are ignored. An incident is
        inside a polygon when its grid cell is: cells are half-open
        ``[x, x + cell) × [y, y + cell)``, so an incident exactly on a shared edge
        counts once, in the cell to its north or east.
    coverage
        Share of the study area's cells to select, in (0, 1]: the ``round(coverage
        × cells)`` hottest (``0.05`` = the hottest 5 %; more on exact ties).
    k_mean
        Select cells with density ≥ `k_mean` × the mean density over the study
        area (zero cells included).
    min_density
        Select cells with density ≥ this value, in incidents per km².

    Returns
    -------
    GeoDataFrame
        One row per hotspot in the surface's CRS, ranked by ``incidents``
        (descending; ties by harm then peak density): ``hotspot_id`` (1..n),
        ``incidents`` (located incidents inside), ``harm`` (sum of the surface's
        weight column; without one, of the canonical ``weight`` column if
        present, else the incident count), ``area_km2``, ``peak_kde_per_km2``,
        ``mean_kde_per_km2`` (mean over its cells), ``incidents_per_km2``,
        ``threshold`` (plain English) and ``threshold_kde_per_km2``. The threshold
        and the surface parameters are also in ``.attrs["parameters"]``.
    """
    return _surface_hotspots(
        surface, points, coverage=coverage, k_mean=k_mean, min_density=min_density,
        membership=False,
    )[0]  # fmt: skip


def _surface_hotspots(
    surface: DensitySurface,
    points: gpd.GeoDataFrame,
    *,
    coverage: float | None = None,
    k_mean: float | None = None,
    min_density: float | None = None,
    membership: bool = True,
    outlines_later: bool = False,
) -> tuple[
    gpd.GeoDataFrame,
    NDArray[np.int64] | None,
    Callable[[], NDArray[np.object_]] | None,
]:
    """`surface_hotspots`, and the hotspot of each located point in `points`.

    The second array has one entry per located row of `points` (in order): the
    position (0-based) in the returned frame of the first hotspot polygon the
    point lies in or on, -1 if none; the same as
    ``hotspots.profile.polygon_membership`` of those points, read off the
    labelled cells instead of testing polygons. A point strictly inside a cell
    is in a hotspot exactly when its cell is; the few on a cell's edge or corner
    (which may touch two hotspots) are tested against the squares of the cells
    around them (`_cell_membership`). None with ``membership=False``.

    With ``outlines_later``, the polygons are dissolved on another thread (GEOS
    work, which leaves Python free for the caller's next steps; nothing here
    waits for them): the frame's geometry is missing, and the third value waits
    for the polygons and gives them, one per row of the frame in its order (None
    when there are none).
    """
    if not isinstance(surface, DensitySurface):
        raise TypeError(
            f"`surface` must be a DensitySurface, got {type(surface).__name__}."
        )
    require_points(points)
    if points.crs != surface.grid.crs:
        raise HotspotsError(
            f"`points` are in {points.crs.name}, the surface in {surface.grid.crs}; "
            "use the incidents the surface was made from."
        )
    thr, text, info = _threshold(surface, coverage, k_mean, min_density)
    dens = surface.kde_per_km2
    selected = surface.mask & (dens >= thr) & (dens > 0)  # never outside the area
    labels, n = ndimage.label(selected)
    parameters = {**surface.parameters, **info, "threshold": text}
    parameters["threshold_kde_per_km2"] = thr
    if n == 0:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype="float64") for c in _HOTSPOT_COLUMNS},
            geometry=gpd.GeoSeries([], crs=surface.grid.crs),
        )
        empty = empty.astype({"hotspot_id": "int64", "incidents": "int64"})
        empty["threshold"] = empty["threshold"].astype("object")
        empty.attrs["parameters"] = parameters
        none = np.full(int(located(points).sum()), -1, dtype=np.int64)
        return empty, none if membership else None, None

    grid = surface.grid
    has, xy = located_xy(points)
    weight = surface.parameters.get("weight")
    col = weight if weight is not None else "weight"
    if col in points.columns:
        harm_w = points[col].to_numpy(dtype="float64", na_value=np.nan)[has]
        harm_w = np.nan_to_num(harm_w, nan=0.0)
    else:
        harm_w = np.ones(xy.shape[0])
    row, colx, inside = (
        grid.index_of(xy[:, 0], xy[:, 1])
        if xy.size
        else (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
        )
    )
    lab = np.where(inside, labels[row, colx], 0)
    incidents = np.bincount(lab, minlength=n + 1)[1:]
    harm = np.bincount(lab, weights=harm_w, minlength=n + 1)[1:]

    # per-hotspot cell statistics, from the selected cells sorted by label
    rows, cols = np.nonzero(selected)
    order = np.argsort(labels[rows, cols], kind="stable")
    rows, cols = rows[order], cols[order]
    vals = dens[rows, cols]
    cells = np.bincount(labels[rows, cols], minlength=n + 1)[1:]
    starts = np.concatenate([[0], np.cumsum(cells)[:-1]])
    peak = np.maximum.reduceat(vals, starts)
    mean = np.add.reduceat(vals, starts) / cells
    area = cells * grid.cell_area_km2

    if outlines_later:
        pending = _BESIDE.submit(_dissolve_cells, grid, rows, cols, cells)
        polygons = np.full(n, None, dtype=object)
    else:
        polygons = _dissolve_cells(grid, rows, cols, cells)

    out = gpd.GeoDataFrame(
        {
            "incidents": incidents.astype("int64"),
            "harm": harm,
            "area_km2": area,
            "peak_kde_per_km2": np.asarray(peak, dtype="float64"),
            "mean_kde_per_km2": np.asarray(mean, dtype="float64"),
            "incidents_per_km2": incidents / area,
            "threshold": text,
            "threshold_kde_per_km2": thr,
        },
        geometry=polygons,
        crs=grid.crs,
    )
    out = out.sort_values(
        ["incidents", "harm", "peak_kde_per_km2"],
        ascending=False,
        kind="stable",
    )
    # label (1..n) -> position after ranking; 0 (no hotspot) -> -1
    ranked = out.index.to_numpy()
    position = np.full(n + 1, -1, dtype=np.int64)
    position[ranked + 1] = np.arange(n)
    out = out.reset_index(drop=True)
    out.insert(0, "hotspot_id", np.arange(1, n + 1, dtype="int64"))
    out.attrs["parameters"] = parameters
    later = None
    if outlines_later:

        def later() -> NDArray[np.object_]:  # the polygons in the frame's order
            return np.asarray(pending.result())[ranked]

    if not membership:
        return out, None, later
    return out, _cell_membership(grid, xy, position[lab], labels, position), later


def _cell_membership(
    grid: Grid,
    xy: NDArray[np.float64],
    which: NDArray[np.int64],
    labels: NDArray[np.int32],
    position: NDArray[np.int64],
) -> NDArray[np.int64]:
    """`which`, each point's hotspot by the cell it is in, checked at the edges.

    A hotspot's polygon is the union of its cells' closed squares (as
    `_dissolve_cells` draws them), so a point lies in or on it exactly when it
    lies in or on one of them. The points on a cell's edge or corner (or near
    one, to rounding) get the first hotspot (`position`, by cell `labels`) among
    the squares of the 3 × 3 cells around them that hold them: what
    ``polygon_membership`` gives against the polygons, without them.
    """
    if not xy.size:
        return which
    fx = (xy[:, 0] - grid.x0) / grid.cell_size
    fy = (xy[:, 1] - grid.y0) / grid.cell_size
    tol = 1e-9
    edge = (np.abs(fx - np.rint(fx)) <= tol * np.maximum(1.0, np.abs(fx))) | (
        np.abs(fy - np.rint(fy)) <= tol * np.maximum(1.0, np.abs(fy))
    )
    edge &= np.isfinite(fx) & np.isfinite(fy)
    if edge.any():
        at = np.flatnonzero(edge)
        px, py = xy[at, 0], xy[at, 1]
        col, row = np.floor(fx[at]).astype(np.int64), np.floor(fy[at]).astype(np.int64)
        none = np.iinfo(np.int64).max
        first = np.full(at.size, none)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = row + dr, col + dc
                ok = (r >= 0) & (r < grid.ny) & (c >= 0) & (c < grid.nx)
                r, c = np.where(ok, r, 0), np.where(ok, c, 0)
                x0 = grid.x0 + c * grid.cell_size  # the square's corners exactly
                y0 = grid.y0 + r * grid.cell_size  # as `_dissolve_cells` has them
                x1 = x0 + grid.cell_size
                y1 = y0 + grid.cell_size
                pos = position[labels[r, c]]
                holds = ok & (pos >= 0) & (px >= x0) & (px <= x1)
                holds &= (py >= y0) & (py <= y1)
                first = np.where(holds, np.minimum(first, pos), first)
        which = which.copy()
        which[at] = np.where(first == none, -1, first)
    return which
