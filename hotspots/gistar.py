"""Getis-Ord Gi* hot and cold spots on a square grid, with FDR-corrected bins.

Method (Getis & Ord 1992; Ord & Getis 1995; the ArcGIS "Hot Spot Analysis" and
esda ``G_Local(star=True, transform="B")`` statistic):

* Incidents are counted (or their harm ``weight`` summed) in square cells of
  ``cell_size`` metres. Only cells whose centre lies in the study area take part:
  the ``n`` analysed cells are the in-area cells, and a cell outside the area is
  neither counted in ``n`` nor anybody's neighbour.
* Weights are binary and include the cell itself: ``w_ij = 1`` when in-area cell
  ``j`` lies in the window around ``i`` (``neighbours=1`` -> the 3 x 3 queen
  window, ``neighbours=2`` -> 5 x 5, ...; or, with ``distance``, every cell whose
  centre lies within ``distance`` metres of the centre of ``i``, a circular
  window). ``W_i = sum_j w_ij`` is the number of in-area cells in the window, so
  cells on the edge of the grid or next to the sea use only their in-area
  neighbours.
* For each in-area cell, with ``x`` the cell values, ``X̄`` their mean and ``S``
  their population standard deviation (``ddof=0``) over the ``n`` in-area cells::

      Gi* = (sum_j w_ij x_j - X̄ W_i) / (S sqrt((n W_i - W_i²) / (n - 1)))

  (binary weights, so ``sum_j w_ij² = W_i``). This is the z-score esda reports as
  ``G_Local(...).Zs``. Window sums are computed for the whole grid at once by
  correlation with the window (``scipy.ndimage``), so the cost is O(cells x window).
* p-values are **two-sided** from the standard normal, ``p = 2 Φ(-|z|)``. (esda's
  ``p_norm`` is one-sided: ``p = 2 * p_norm``.)
* Undefined z: when every in-area value is equal (``S = 0``) or a window covers
  every in-area cell (``n W_i - W_i² = 0``), the statistic is 0/0; such cells get
  ``z = 0`` and ``p = 1`` (no evidence of clustering), never a division warning.
  Cells outside the study area get ``z = p = NaN`` and bin 0.
* Optional permutation inference (``permutations > 0``): conditional
  randomisation as in esda - for each cell, keep its own value and draw the values
  of its ``W_i - 1`` neighbour slots at random without replacement from the other
  ``n - 1`` cells; ``extreme`` = number of simulated window sums at least as
  extreme as the observed one in the tail it lies in: the smaller of the counts of
  sums ``>=`` and ``<=`` the observed one (ties count in both, unlike esda's
  "directed" count, whose lower tail leaves them out); the one-sided pseudo p is
  ``(extreme + 1) / (permutations + 1)`` and ``gi_p`` is the two-sided
  ``min(1, 2 x that)``, so it can be read like the normal p-value.
  Because ``X̄``, ``S`` and ``W_i`` are the same in every permutation, comparing
  window sums is the same as comparing Gi* values.
* False discovery rate: Benjamini-Hochberg over the in-area cells, on by default
  (``fdr=True``). ``gi_p_adj`` are the BH-adjusted p-values.
* ``gi_bin`` (ArcGIS ``Gi_Bin``): +3 / +2 / +1 for a hot spot (``z > 0``) with
  ``p <= 0.01 / 0.05 / 0.10`` (99 / 95 / 90 % confidence), -3 / -2 / -1 for cold
  spots, 0 otherwise; ``p`` is ``gi_p_adj`` when ``fdr=True`` and ``gi_p``
  otherwise. ArcGIS's Hot Spot Analysis documents that its ``GiZScore`` and
  ``GiPValue`` fields "do not reflect any kind of FDR correction" and that, with
  "Apply False Discovery Rate (FDR) Correction", only ``Gi_Bin`` changes: the
  critical p-value of each confidence level is lowered, by ranking the p-values,
  to account for multiple testing. This module does the same with the
  Benjamini-Hochberg step-up rule: a cell is in a bin of level ``alpha`` exactly
  when its BH-adjusted p is ``<= alpha``, which is BH run separately at 0.10,
  0.05 and 0.01. The raw ``gi_z`` and ``gi_p`` stay unadjusted, as in ArcGIS;
  ``gi_p_adj`` is reported as well. ArcGIS does not publish its FDR step in
  full, so bins may differ from it for cells right at a critical value.

Defaults: 200 m cells (a street block; the 3 x 3 window is then a 600 m square,
about a town-centre block), ``neighbours=1``, analytic inference, FDR on, hot
spots at ``gi_bin >= +2`` (95 %). ``cell_size=None`` picks the cell size
automatically (see :func:`auto_cell_size`) and logs it; every setting is returned
in ``GiStarResult.parameters``.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage, special

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
    point_xy,
)

logger = logging.getLogger(__name__)

#: Default cell side in metres: a street block in urban Kent; 3 x 3 cells = 600 m.
DEFAULT_CELL_SIZE = 200.0

#: ArcGIS confidence levels: (bin magnitude, largest p-value for it).
BIN_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
#: The most permutations `gistar_grid` runs (99,999 take minutes over a district).
MAX_PERMUTATIONS = 99_999

#: Fewest in-area cells for which Gi* is computed.
MIN_CELLS = 3


# --------------------------------------------------------------------------- #
# Array level                                                                  #
# --------------------------------------------------------------------------- #


def window(
    neighbours: int = 1,
    *,
    distance: float | None = None,
    cell_size: float | None = None,
) -> NDArray[np.bool_]:
    """The window of binary weights around a cell (the cell itself included).

    Parameters
    ----------
    neighbours
        Rings of queen neighbours: 1 -> 3 x 3 cells, 2 -> 5 x 5, k -> (2k+1)².
        Used when `distance` is None. Default 1.
    distance
        Distance band in metres: every cell whose centre lies within `distance`
        of the focal cell's centre (a circular window). ``None`` (default) uses
        `neighbours`.
    cell_size
        Cell side in metres; required with `distance`.

    Returns
    -------
    ndarray
        Square boolean footprint of odd side, centre ``True``.
    """
    if distance is None:
        if (
            isinstance(neighbours, bool)
            or not isinstance(neighbours, int | np.integer)
            or neighbours < 1
        ):
            raise HotspotsError(
                f"`neighbours` must be a whole number of cells, 1 or more, got "
                f"{neighbours!r} (1 = the 3 x 3 window, 2 = 5 x 5)."
            )
        k = int(neighbours)
        return np.ones((2 * k + 1, 2 * k + 1), dtype=bool)
    require_positive(distance=distance, cell_size=cell_size)
    assert cell_size is not None
    k = math.floor(distance / cell_size)
    offsets = np.arange(-k, k + 1) * cell_size
    dx, dy = np.meshgrid(offsets, offsets)
    # a hair of tolerance so that distance = 2 * cell_size takes the cell 2 away
    return np.hypot(dx, dy) <= distance * (1 + 1e-9)


def window_sum(values: NDArray[np.float64], footprint: NDArray[np.bool_]) -> Any:
    """Sum of `values` over `footprint` centred on every cell (0 beyond the edge).

    Square all-True footprints use two 1-D passes (exact for integer counts).
    """
    values = np.asarray(values, dtype="float64")
    if footprint.all():
        out = ndimage.correlate1d(
            values, np.ones(footprint.shape[0]), axis=0, mode="constant"
        )
        return ndimage.correlate1d(
            out, np.ones(footprint.shape[1]), axis=1, mode="constant"
        )
    return ndimage.correlate(values, footprint.astype("float64"), mode="constant")


def _check_array(values: ArrayLike, mask: ArrayLike) -> tuple[Any, Any]:
    x = np.asarray(values, dtype="float64")
    m = np.asarray(mask, dtype=bool)
    if x.ndim != 2 or x.shape != m.shape:
        raise HotspotsError(
            f"`values` {x.shape} and `mask` {m.shape} must be 2-D arrays of the "
            "same shape."
        )
    n = int(m.sum())
    if n < MIN_CELLS:
        raise HotspotsError(
            f"Gi* needs at least {MIN_CELLS} cells in the study area, found {n}; "
            "use a smaller cell size or a larger area."
        )
    if not np.isfinite(x[m]).all():
        bad = np.argwhere(m & ~np.isfinite(x))[0]
        raise HotspotsError(
            f"Cell (row {bad[0]}, col {bad[1]}) has value {x[tuple(bad)]!r}; "
            "Gi* needs finite values (check the weight column for NaN)."
        )
    return x, m


def gi_star(
    values: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    neighbours: int = 1,
    footprint: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Analytic Gi* z-scores and two-sided normal p-values for a whole grid.

    Parameters
    ----------
    values
        ``(ny, nx)`` cell values (counts, or summed harm weights).
    mask
        ``(ny, nx)`` booleans, True for cells in the study area (default all).
        Cells outside are ignored: not in ``n``, never neighbours.
    neighbours
        Rings of queen neighbours in the window (1 -> 3 x 3). Default 1.
    footprint
        A window from :func:`window` (e.g. a circular distance band); overrides
        `neighbours`.

    Returns
    -------
    z, p
        ``(ny, nx)`` arrays; NaN outside the mask; ``z = 0, p = 1`` where the
        statistic is undefined (all values equal, or a window spanning every
        in-area cell). See the module docstring for the formula.
    """
    m_in = np.ones(np.shape(values), dtype=bool) if mask is None else mask
    x, m = _check_array(values, m_in)
    fp = window(neighbours) if footprint is None else np.asarray(footprint, bool)
    n = int(m.sum())
    xm = np.where(m, x, 0.0)
    mean = xm.sum() / n
    z = np.full(x.shape, np.nan)
    p = np.full(x.shape, np.nan)
    inside = x[m]
    if inside.max() == inside.min():  # S = 0: z undefined; report no clustering
        z[m] = 0.0
        p[m] = 1.0
        return z, p
    s = math.sqrt(float(np.mean((inside - mean) ** 2)))  # population SD, ddof=0
    sum_wx = window_sum(xm, fp)
    w = window_sum(m.astype("float64"), fp)
    num = sum_wx - mean * w
    spread = np.maximum(n * w - w * w, 0.0) / (n - 1)
    den = s * np.sqrt(spread)
    ok = m & (den > 0)
    np.divide(num, den, out=z, where=ok)
    z[m & ~ok] = 0.0
    p[m] = 2.0 * special.ndtr(-np.abs(z[m]))
    return z, p


def benjamini_hochberg(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (NaN entries are ignored and kept NaN).

    With the ``m`` finite p-values sorted ascending, ``p_(1) <= ... <= p_(m)``::

        p_adj_(k) = min(1, min_{j >= k} m p_(j) / j)

    A hypothesis is rejected at false discovery rate ``alpha`` exactly when
    ``p_adj <= alpha`` (Benjamini & Hochberg 1995); this equals
    ``scipy.stats.false_discovery_control(p, method="bh")``.

    Parameters
    ----------
    p
        p-values in [0, 1], any shape.

    Returns
    -------
    ndarray
        Same shape as `p`.
    """
    arr = np.asarray(p, dtype="float64")
    out = np.full(arr.shape, np.nan)
    finite = np.isfinite(arr)
    vals = arr[finite]
    if vals.size == 0:
        return out
    if (vals < 0).any() or (vals > 1).any():
        raise HotspotsError("p-values must lie between 0 and 1.")
    m = vals.size
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[finite] = adj
    return out


def gi_bins(z: ArrayLike, p: ArrayLike) -> NDArray[np.int8]:
    """ArcGIS ``Gi_Bin``: ±3/±2/±1 at 99/95/90 % confidence (``p <= 0.01/0.05/0.10``).

    The sign is the sign of `z`; NaN p or z (cells outside the study area) give 0.
    """
    za = np.asarray(z, dtype="float64")
    pa = np.asarray(p, dtype="float64")
    mag = np.zeros(za.shape, dtype=np.int8)
    finite = np.isfinite(pa) & np.isfinite(za)
    for level, alpha in reversed(BIN_LEVELS):  # 1 then 2 then 3 overwrite
        mag[finite & (np.where(finite, pa, 1.0) <= alpha)] = level
    sign = np.sign(np.where(finite, za, 0.0)).astype(np.int8)
    return (mag * sign).astype(np.int8)


def _permutation_p(
    x: NDArray[np.float64],
    m: NDArray[np.bool_],
    fp: NDArray[np.bool_],
    permutations: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Two-sided conditional-randomisation pseudo p-values (NaN outside `m`)."""
    n = int(m.sum())
    xm = np.where(m, x, 0.0)
    v = x[m]
    obs = window_sum(xm, fp)[m]
    card = (window_sum(m.astype("float64"), fp)[m] - 1).astype(np.int64)  # others
    k_max = int(card.max())
    k_max = min(k_max, n - 1)
    idx = np.arange(n)
    # One draw of k_max distinct indices among n - 1 per permutation serves every
    # cell (as in esda): index d means the d-th cell *other than i*, i.e. cell d
    # when d < i and cell d + 1 otherwise. Cell i uses the first card[i] draws.
    take = [card > k for k in range(k_max)]
    larger = np.zeros(n, dtype=np.int64)
    smaller = np.zeros(n, dtype=np.int64)
    for _ in range(permutations):
        draws = rng.choice(n - 1, size=k_max, replace=False)
        sim = v.copy()
        for k in range(k_max):
            d = draws[k]
            drawn = np.where(idx > d, v[d], v[d + 1])
            sim += np.where(take[k], drawn, 0.0)
        larger += sim >= obs
        smaller += sim <= obs
    # the tail the observed sum lies in, ties counted as at least as extreme
    # (esda's "directed" count takes the lower tail as `permutations - larger`,
    # which leaves ties out: an empty window among mostly empty cells, tied with
    # nearly every draw, came out as extreme as the draws can show)
    one_sided = (np.minimum(larger, smaller) + 1) / (permutations + 1)
    out = np.full(x.shape, np.nan)
    out[m] = np.minimum(1.0, 2.0 * one_sided)
    return out


def _note_coarse_permutations(
    p: NDArray[np.float64], p_adj: NDArray[np.float64], smallest: float, runs: int
) -> None:
    """Warn when cells hit the permutations' floor but the FDR cut left them out.

    Such a cell is as extreme as `runs` permutations can show (p = `smallest`),
    yet with every cell tested at once its corrected p is over 0.05: more
    permutations could show it significant.
    """
    finite = np.isfinite(p)
    floor = finite & (p <= smallest * (1 + 1e-9))
    held = int((floor & (p_adj > dict(BIN_LEVELS)[2])).sum())
    if held:
        warnings.warn(
            f"{held:,} cells are as extreme as {runs:,} permutations can show "
            f"(p = {smallest:.3f}) but not significant at 95% after the correction "
            f"for testing all {int(finite.sum()):,} cells: more permutations "
            f"(such as {(runs + 1) * 10 - 1:,}) may show them significant.",
            UserWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------- #
# Incident level                                                               #
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class GiStarResult:
    """Gi* on a grid: per-cell arrays (``(ny, nx)``, row 0 southernmost) and settings.

    Attributes
    ----------
    grid
        The grid.
    counts
        Incidents per cell (located incidents in the study area).
    harm
        Sum of the harm ``weight`` per cell (equals `counts` without a weight
        column).
    gi_z
        Gi* z-score (NaN outside the study area).
    gi_p
        Two-sided p-value: normal, or permutation pseudo p when
        ``parameters["inference"] == "permutation"``.
    gi_p_adj
        Benjamini-Hochberg adjusted `gi_p` (equal to `gi_p` when FDR is off).
    gi_bin
        ArcGIS-style bin -3..+3 from `gi_p_adj` (FDR on) or `gi_p`.
    mask
        True for cells in the study area.
    parameters
        Every setting used, automatic ones included, plus incident tallies.
    """

    grid: Grid
    counts: NDArray[np.float64]
    harm: NDArray[np.float64]
    gi_z: NDArray[np.float64]
    gi_p: NDArray[np.float64]
    gi_p_adj: NDArray[np.float64]
    gi_bin: NDArray[np.int8]
    mask: NDArray[np.bool_]
    parameters: dict[str, Any] = field(default_factory=dict)

    def window_counts(self) -> NDArray[np.float64]:
        """Incidents (unweighted, in-area cells only) in each cell's window.

        The window of the statistic (`window`: ``neighbours`` or ``distance_m``
        from `parameters`); what public outputs test against the smallest
        published count (`hotspots.disclosure.disclose_gistar_bins`).
        """
        p = self.parameters
        if p.get("distance_m") is not None:
            fp = window(distance=p["distance_m"], cell_size=self.grid.cell_size)
        else:
            fp = window(int(p.get("neighbours") or 1))
        return np.asarray(window_sum(np.where(self.mask, self.counts, 0.0), fp))

    def to_cells(self) -> gpd.GeoDataFrame:
        """In-area cells as square polygons with their statistics.

        Returns
        -------
        GeoDataFrame
            Columns ``row, col, n`` (incidents), ``harm``, ``gi_z``, ``gi_p``,
            ``gi_p_adj``, ``gi_bin``; the grid's CRS; ``attrs["parameters"]``.
        """
        cells = cells_frame(
            self.grid,
            {
                "n": self.counts.astype("int64"),
                "harm": self.harm,
                "gi_z": self.gi_z,
                "gi_p": self.gi_p,
                "gi_p_adj": self.gi_p_adj,
                "gi_bin": self.gi_bin,
            },
            where=self.mask,
        )
        cells.attrs["parameters"] = dict(self.parameters)
        return cells

    def hotspots(self, *, min_bin: int = 2) -> gpd.GeoDataFrame:
        """Hot spots: groups of edge-adjacent hot cells dissolved into polygons.

        Parameters
        ----------
        min_bin
            Smallest ``gi_bin`` that counts as hot: 3 (99 %), 2 (95 %, default)
            or 1 (90 %).

        Returns
        -------
        GeoDataFrame
            One row per hot spot, largest ``incidents`` first, columns
            ``hotspot`` (1, 2, ...), ``cells``, ``incidents``, ``harm``,
            ``area_km2``, ``max_z``, ``mean_z`` and the polygon; cells sharing an
            edge (rook adjacency) join, so every hot spot is one polygon.
            ``attrs["parameters"]`` holds the settings including `min_bin`.
        """
        if min_bin not in (1, 2, 3):
            raise HotspotsError(f"`min_bin` must be 1, 2 or 3, got {min_bin!r}.")
        hot = self.mask & (self.gi_bin >= min_bin)
        labels, k = ndimage.label(hot)  # default structure: 4-connectivity (rook)
        columns = [
            "hotspot",
            "cells",
            "incidents",
            "harm",
            "area_km2",
            "max_z",
            "mean_z",
        ]
        params = {
            **self.parameters,
            "min_bin": min_bin,
            "threshold": _hot_threshold(min_bin),
        }
        if k == 0:
            empty = gpd.GeoDataFrame(
                {c: pd.Series(dtype="float64") for c in columns},
                geometry=gpd.GeoSeries([], crs=self.grid.crs),
                crs=self.grid.crs,
            )
            empty = empty.astype({"hotspot": "int64", "cells": "int64"})
            empty.attrs["parameters"] = params
            return empty
        lab = labels[hot]
        idx = np.arange(1, k + 1)
        cells = np.bincount(lab, minlength=k + 1)[1:]
        # per group over the hot cells only, in the grid's order: the same sums
        # as ndimage's over the whole grid (which bincounts every cell)
        z = self.gi_z[hot]
        incidents = np.bincount(lab, self.counts[hot], minlength=k + 1)[1:]
        harm = np.bincount(lab, self.harm[hot], minlength=k + 1)[1:]
        max_z = np.full(k + 1, -np.inf)
        np.maximum.at(max_z, lab, z)
        max_z = max_z[1:]
        mean_z = np.bincount(lab, z, minlength=k + 1)[1:] / cells
        rows, cols = np.nonzero(hot)
        g = self.grid
        x = g.x0 + cols * g.cell_size
        y = g.y0 + rows * g.cell_size
        boxes = shapely.box(x, y, x + g.cell_size, y + g.cell_size)
        order = np.argsort(lab, kind="stable")
        starts = np.searchsorted(lab[order], idx)
        parts = np.split(boxes[order], starts[1:])
        geoms = [shapely.coverage_union_all(part) for part in parts]
        out = gpd.GeoDataFrame(
            {
                "cells": cells.astype("int64"),
                "incidents": np.asarray(incidents, dtype="float64")
                .round()
                .astype("int64"),
                "harm": np.asarray(harm, dtype="float64"),
                "area_km2": cells * g.cell_area_km2,
                "max_z": np.asarray(max_z, dtype="float64"),
                "mean_z": np.asarray(mean_z, dtype="float64"),
            },
            geometry=geoms,
            crs=g.crs,
        )
        out = out.sort_values(
            ["incidents", "max_z"], ascending=False, kind="stable"
        ).reset_index(drop=True)
        out.insert(0, "hotspot", np.arange(1, k + 1, dtype="int64"))
        out.attrs["parameters"] = params
        return out


def auto_cell_size(bounds: ArrayLike) -> float:
    """Automatic cell size: the shorter side of `bounds` / 50 (sfhotspot's rule).

    Rounded down to 1, 2 or 5 x a power of ten, and never below 10 m.
    """
    minx, miny, maxx, maxy = np.asarray(bounds, dtype="float64")
    raw = min(maxx - minx, maxy - miny) / 50
    if not raw > 10:
        return 10.0
    power = 10 ** math.floor(math.log10(raw))
    nice = max(s * power for s in (1, 2, 5) if s * power <= raw)
    return float(nice)


def gistar_grid(
    points: gpd.GeoDataFrame,
    *,
    cell_size: float | None = DEFAULT_CELL_SIZE,
    study_area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    neighbours: int = 1,
    distance: float | None = None,
    weight: str | None = None,
    permutations: int = 0,
    rng: int | np.random.Generator | None = None,
    fdr: bool = True,
) -> GiStarResult:
    """Getis-Ord Gi* hot and cold spots of incidents on a square grid.

    Parameters
    ----------
    points
        Incidents as points in a projected CRS in metres. Unlocated rows (empty
        geometry) are skipped and counted in ``parameters``.
    cell_size
        Cell side in metres; the setting that matters most (larger cells find
        larger, smoother hot spots). Default 200 m, a street block. ``None``
        chooses it automatically (sfhotspot's rule: the shorter side of the
        study area's bounding box / 50, rounded down to 1, 2 or 5 x 10^k m) and
        logs the choice.
    study_area
        Polygons (same CRS) bounding the analysis; only cells whose centre lies
        inside are analysed, e.g. ``hotspots.boundaries.study_area()``. ``None``
        (default): every cell of the grid over the incidents' bounding box.
    neighbours
        Rings of queen neighbours in the Gi* window: 1 (default) -> 3 x 3 cells,
        2 -> 5 x 5. Ignored when `distance` is given.
    distance
        Distance band in metres: the window is every cell whose centre lies within
        `distance` of the cell's centre (circular). Default None (use
        `neighbours`).
    weight
        Name of a numeric column (e.g. ``"weight"``, the harm weight) to sum per
        cell instead of counting incidents. Default None: counts.
    permutations
        Conditional permutations for pseudo p-values (e.g. 999); 0 (default) uses
        the analytic normal p-values. The smallest possible pseudo p is
        ``2 / (permutations + 1)``, so with the FDR correction over many cells use
        thousands of permutations, or few cells will stay significant.
    rng
        Seed or generator for the permutations (``np.random.default_rng(rng)``).
    fdr
        Apply the Benjamini-Hochberg false discovery rate correction to the
        bins (default True).

    Returns
    -------
    GiStarResult
        Arrays, settings, ``.to_cells()`` and ``.hotspots()``.
    """
    require_points(points)
    if permutations < 0 or int(permutations) != permutations:
        raise HotspotsError(
            f"`permutations` must be 0 (analytic p-values) or a positive whole "
            f"number such as 999, got {permutations!r}."
        )
    if permutations > MAX_PERMUTATIONS:  # each one a pass over every cell
        raise HotspotsError(
            f"`permutations` of {permutations:,} would run for hours; use at most "
            f"{MAX_PERMUTATIONS:,} (9,999 gives p-values down to 0.0002)."
        )
    keep = located(points)
    n_rows = len(points)
    if not keep.any():
        raise HotspotsError(
            f"None of the {n_rows} incidents has a location; Gi* needs located "
            "incidents (check the geocoding report)."
        )
    xy = point_xy(points)
    w = np.ones(len(xy)) if weight is None else weight_values(points, weight, keep)
    if study_area is not None and (study_area.crs != points.crs):
        raise HotspotsError(
            f"The study area is in {study_area.crs}, the incidents in "
            f"{points.crs}; reproject one of them."
        )
    bounds = study_area.total_bounds if study_area is not None else xy_bounds(xy)
    auto = cell_size is None
    size = auto_cell_size(bounds) if cell_size is None else cell_size
    require_positive(cell_size=size)
    if auto:
        logger.info("Cell size set to %g m", size)
    grid = grid_for(bounds, cell_size=size, crs=points.crs.to_string())
    # a window wider than the grid compares every cell with the same whole area
    # (and was built as an array of its size: 37 GiB for 100,000 rings)
    given: Any = neighbours if distance is None else distance
    usable = isinstance(given, int | float) and math.isfinite(given)  # else `window`
    cells = (given if distance is None else given / size) if usable else 0  # says why
    side = 2 * cells + 1
    if side > 2 * max(grid.nx, grid.ny) + 1:
        most = max(grid.nx, grid.ny)
        raise HotspotsError(
            f"A window of {side:,.0f} cells a side is wider than the study area "
            f"({grid.nx:,} × {grid.ny:,} cells of {size:g} m): choose `neighbours` "
            f"of at most {most:,} (or a `distance` of at most {most * size:,.0f} m)."
        )
    if distance is None:
        fp = window(neighbours)
    else:
        fp = window(distance=distance, cell_size=size)
    mask = area_mask(grid, study_area)
    counts = bin_points(grid, xy[:, 0], xy[:, 1])
    harm = counts if weight is None else bin_points(grid, xy[:, 0], xy[:, 1], weights=w)
    counts = np.where(mask, counts, 0.0)
    harm = np.where(mask, harm, 0.0)
    values = counts if weight is None else harm
    z, p_norm = gi_star(values, mask, footprint=fp)
    generator = np.random.default_rng(rng)
    if permutations:
        smallest = min(1.0, 2 / (permutations + 1))  # `_permutation_p`'s floor
        if smallest > dict(BIN_LEVELS)[2]:  # 95%: the hotspots' default level
            warnings.warn(
                f"With {permutations:,} permutations the smallest p-value is "
                f"{smallest:.2f}, so no cell can be significant at 95% confidence "
                "(the hotspot level) and none will be found. Use thousands (such as "
                "9,999; over many cells the correction needs them), or 0 for "
                "p-values from the normal distribution.",
                UserWarning,
                stacklevel=2,
            )
        p = _permutation_p(values, mask, fp, int(permutations), generator)
    else:
        p = p_norm
    p_adj = benjamini_hochberg(p) if fdr else p.copy()
    bins = gi_bins(z, p_adj)
    if permutations and fdr and smallest <= dict(BIN_LEVELS)[2]:
        _note_coarse_permutations(p, p_adj, smallest, int(permutations))
    in_area = int(counts.sum())
    params: dict[str, Any] = {
        "method": "gistar",
        "cell_size_m": float(size),
        "cell_size_auto": auto,
        "neighbours": None if distance is not None else int(neighbours),
        "distance_m": None if distance is None else float(distance),
        "window_cells": int(fp.sum()),
        "weight": weight,
        "inference": "permutation" if permutations else "normal",
        "permutations": int(permutations),
        "p_values": "two-sided",
        "fdr": "benjamini-hochberg" if fdr else None,
        "cells_in_area": int(mask.sum()),
        "grid_shape": [grid.ny, grid.nx],
        "incidents": n_rows,
        "incidents_unlocated": int((~keep).sum()),
        "incidents_in_area": in_area,
        "incidents_outside_area": int(keep.sum()) - in_area,
        "cell_size_explanation": (
            f"cell size {size:g} m, chosen automatically: the study area's shorter "
            "side / 50, rounded down to 1, 2 or 5 × a power of ten (sfhotspot's rule)"
            if auto
            else f"cell size {size:g} m, as given"
        ),
        "window_explanation": _window_text(
            fp,
            size,
            distance,
            int(mask.sum()),
            weight=weight,
            permutations=int(permutations),
            fdr=fdr,
        ),
    }
    return GiStarResult(
        grid=grid,
        counts=counts,
        harm=harm,
        gi_z=z,
        gi_p=p,
        gi_p_adj=p_adj,
        gi_bin=bins,
        mask=mask,
        parameters=params,
    )


#: The confidence of each hot `gi_bin` level (+1, +2, +3).
_CONFIDENCE = {1: 90, 2: 95, 3: 99}


def _window_text(
    footprint: NDArray[np.bool_],
    cell_size: float,
    distance: float | None,
    cells: int,
    *,
    weight: str | None,
    permutations: int,
    fdr: bool,
) -> str:
    """One line on what each cell is tested against, and how."""
    what = "incidents" if weight is None else "harm"
    side = footprint.shape[0]
    if distance is None:
        window = (
            f"its {int(footprint.sum()) - 1} neighbours ({side} × {side} cells, a "
            f"{side * cell_size:g} m square)"
        )
    else:
        window = (
            f"every cell whose centre is within {distance:g} m "
            f"({int(footprint.sum())} cells)"
        )
    p = (
        f"pseudo p-values from {permutations:,} random permutations"
        if permutations
        else "p-values from the normal distribution"
    )
    many = (
        "corrected for testing every cell at once (Benjamini-Hochberg false "
        "discovery rate)"
        if fdr
        else "not corrected for testing every cell at once"
    )
    return (
        f"test: the {what} in each cell and {window}, against all {cells:,} cells "
        f"of the area; two-sided {p}, {many}"
    )


def _hot_threshold(min_bin: int) -> str:
    """Which cells make a hot spot, in words (`GiStarResult.hotspots`)."""
    return (
        f"cells hot at {_CONFIDENCE[min_bin]}% confidence or more, joined where they "
        "share an edge"
    )


def xy_bounds(xy: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of an ``(n, 2)`` coordinate array."""
    return (
        float(xy[:, 0].min()),
        float(xy[:, 1].min()),
        float(xy[:, 0].max()),
        float(xy[:, 1].max()),
    )
