"""Back-test hotspot methods: train on some months, score on later ones (hit rate, PAI, PEI, RRI).

How a method is scored
----------------------
Every method is scored on one **common evaluation grid**, the standard and fair way
of comparing hotspot maps (Chainey, Tompson & Uhlig 2008; Levine 2008; the open_cp
library): square cells of `eval_cell_size` metres (default 100 m) aligned to
multiples of the cell size (`hotspots.grid.grid_for`), keeping the ``N`` cells whose
centre lies in the study area (`hotspots.grid.area_mask`). Incidents are counted in
the cell that holds their point; located incidents in no in-area cell are outside
the study area, and unlocated incidents (empty geometry) are reported but not
scored.

From the **training months** each method produces a *ranking* of the cells (hottest
first):

* ``naive`` (the baseline, always reported): training incidents per cell.
* ``kde``: the quartic (or Gaussian) kernel density of the training incidents,
  averaged over each evaluation cell: the surface is computed with
  `hotspots.density.kde_grid` on a grid ``subdivide`` times finer than the
  evaluation grid (default: the smallest whole number making the fine cell at most
  half the bandwidth, at most 4; 1 for bandwidths of two cells or more) and
  block-averaged, i.e. the expected share of incidents in the cell under the
  smoothed model (open_cp averages its KDE over each cell the same way). Training
  incidents outside the study area but within the kernel's reach contribute, as in
  `hotspots.density.kde_surface`. ``bandwidth=None`` chooses it by the
  ``bandwidth_rule`` (default Silverman) on the training incidents inside the study
  area's bounding box, exactly as `kde_surface` does.
* ``gistar``: the Gi* z-score (`hotspots.gistar.gistar_grid`, its own defaults:
  200 m cells, 3 x 3 window) of the Gi* cell holding the evaluation cell's centre.
  Evaluation cells whose centre falls in no in-area Gi* cell are not ranked.
* ``dbscan`` / ``hdbscan``: the cluster polygons of `hotspots.detect.detect`;
  evaluation cells whose centre lies in a polygon get that cluster's incident
  density (incidents per km²; the densest if polygons overlap). Cells outside
  every cluster are **not ranked** (never flagged): filling the rest of the
  coverage with, say, training counts would credit the clustering with the
  baseline's hits. When the clusters cover less than the coverage asked for, the
  row's ``flagged_cells`` and ``area_share`` say how much was flagged, a ``note``
  says so, and PAI (hits per unit area) stays comparable.

**Ties** (cells with equal scores: the many empty cells of the baseline, the four
100 m cells in one 200 m Gi* cell, the cells of one cluster) are broken by one
deterministic rule for every method: more training incidents in the cell first,
then more training incidents in its 3 x 3 neighbourhood (in-area cells only), then
the lower cell index (row-major, row 0 southernmost, i.e. south-west first).

At coverage ``c`` the flagged area is the first ``k = ⌈c N⌉`` ranked cells. With
``T`` the located test incidents in the study area (in-area cells), ``t_F`` those in
the flagged cells, ``R`` and ``r_F`` the same for the training incidents, and
``T*_k`` the test incidents in the ``k`` cells with the most test incidents (the
best any ranking of ``k`` cells could have done):

* hit rate ``H = t_F / T``; ``hit_rate_max = T*_k / T``;
* area share ``A = k / N`` (= c up to the rounding of ``k``);
* Prediction Accuracy Index ``PAI = H / A`` (Chainey et al. 2008): how many
  times better than flagging cells at random; 1 = no better;
* Prediction Efficiency Index ``PEI = H / H_max = t_F / T*_k`` (Hunt 2016; the
  ratio ``PAI / PAI*`` of the achieved PAI to the best possible PAI with the same
  area), between 0 and 1; 1 = the method flagged cells holding as many test
  incidents as the test period's own hottest cells;
* Recapture Rate Index ``RRI = (t_F / r_F) / (T / R)`` (Levine 2008, "The
  'hottest' part of a hotspot", Security Journal 21, 295-302: the ratio of
  period-2 to period-1 crime in the hotspots, divided by the same ratio in the
  whole study area, so an overall rise or fall cancels). RRI > 1: the flagged
  cells kept more of their crime than the area as a whole. RRI is NaN, with a
  note, when the flagged cells held no training incidents (``r_F = 0``).

PAI and PEI are NaN (with a note) only when no cell was flagged (a method that
ranks no cell). ``T = 0`` (no test incidents) and ``R = 0`` (no training incidents)
are errors, not NaNs.

Months
------
``train`` and ``test`` are ``(from, to)`` month pairs (``"YYYY-MM"`` text or
``pandas.Period``), both ends included. The test period must start **after** the
training period ends: a test month inside the training period would score the
method on incidents it was fitted to, so overlap is a `HotspotsError`, as is a test
period before the training period. A gap between them is allowed (e.g. train
2022, test 2024-01 … 2024-04).

Caveat for police.uk data: incidents are snapped to a few anonymous points per
street and crime repeats at the same points, so plain counts on a fine grid (the
baseline) predict very well, and a wide KDE bandwidth spreads weight away from
those points; compare each method with the baseline in the same table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from hotspots._validate import HotspotsError, require_points, require_positive
from hotspots.grid import Grid, area_mask, bin_points, grid_for, located, point_xy

__all__ = [
    "DEFAULT_COVERAGES",
    "DEFAULT_EVAL_CELL_SIZE",
    "METHODS",
    "evaluate",
    "month_windows",
    "polygon_score",
    "rank_cells",
    "score_ranking",
]

#: Methods `evaluate` accepts; ``naive`` is the baseline, reported with every method.
METHODS = ("naive", "kde", "gistar", "dbscan", "hdbscan")
#: Coverages scored by default: 0.5 %, 1 %, 2 % and 5 % of the study area.
DEFAULT_COVERAGES = (0.005, 0.01, 0.02, 0.05)
#: Evaluation cell side in metres: about a street block.
DEFAULT_EVAL_CELL_SIZE = 100.0
#: Largest sub-division of an evaluation cell for averaging the KDE.
MAX_SUBDIVIDE = 4

_COLUMNS = [
    "method",
    "label",
    "coverage",
    "flagged_cells",
    "area_share",
    "area_km2",
    "hit_rate",
    "hit_rate_max",
    "pai",
    "pei",
    "rri",
    "test_incidents",
    "test_in_flagged",
    "train_incidents",
    "train_in_flagged",
    "note",
    "parameters",
]


# --------------------------------------------------------------------------- #
# Months                                                                       #
# --------------------------------------------------------------------------- #


def _month(value: Any, name: str) -> pd.Period:
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    text = str(value).strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError(text)
        return pd.Period(text, freq="M")
    except ValueError:
        raise HotspotsError(
            f"`{name}` month {value!r} is not a month; write it as YYYY-MM."
        ) from None


def _window(pair: Any, name: str) -> tuple[pd.Period, pd.Period]:
    if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
        raise HotspotsError(
            f"`{name}` must be a (from, to) pair of YYYY-MM months, got {pair!r}."
        )
    start, end = _month(pair[0], f"{name}[0]"), _month(pair[1], f"{name}[1]")
    if end < start:
        raise HotspotsError(
            f"The {name} period ends ({end}) before it starts ({start}); swap them."
        )
    return start, end


def month_windows(
    train: Sequence[Any], test: Sequence[Any]
) -> tuple[tuple[pd.Period, pd.Period], tuple[pd.Period, pd.Period]]:
    """Check and parse the training and test periods.

    Parameters
    ----------
    train, test
        ``(from, to)`` pairs of ``"YYYY-MM"`` months or ``pandas.Period``; both ends
        are included.

    Returns
    -------
    train, test
        The two periods as pairs of monthly ``pandas.Period``.

    Raises
    ------
    HotspotsError
        A month that is not ``YYYY-MM``, a period that ends before it starts, a test
        period that starts before the training period or overlaps it (a back-test
        must score months the method has not seen).
    """
    tr = _window(train, "train")
    te = _window(test, "test")
    if te[1] < tr[0]:
        raise HotspotsError(
            f"The test period ({te[0]} to {te[1]}) is before the training period "
            f"({tr[0]} to {tr[1]}); a back-test trains on earlier months and tests "
            "on later ones."
        )
    if te[0] <= tr[1]:
        raise HotspotsError(
            f"The test period ({te[0]} to {te[1]}) overlaps the training period "
            f"({tr[0]} to {tr[1]}); start the test after {tr[1]} so that no test "
            "incident was used for training."
        )
    return tr, te


# --------------------------------------------------------------------------- #
# Ranking and scoring (array level)                                            #
# --------------------------------------------------------------------------- #


def _neighbour_counts(
    counts: NDArray[np.float64], mask: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Sum of in-area `counts` over the 3 x 3 window around each cell."""
    values = np.where(mask, counts, 0.0)
    out = ndimage.correlate(values, np.ones((3, 3)), mode="constant", cval=0.0)
    return np.asarray(out, dtype="float64")


def rank_cells(
    score: NDArray[np.float64],
    mask: NDArray[np.bool_],
    train_counts: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Flat indices of the ranked cells, hottest first.

    Parameters
    ----------
    score
        ``(ny, nx)`` method score (higher = hotter); NaN = the method does not rank
        the cell (it is never flagged).
    mask
        ``(ny, nx)`` True for in-area cells; only these are ranked.
    train_counts
        ``(ny, nx)`` training incidents per cell, for the tie-break.

    Returns
    -------
    ndarray
        Row-major flat indices of the in-area cells with a finite score, ordered by
        score (descending), then training incidents in the cell (descending), then
        training incidents in the 3 x 3 neighbourhood of in-area cells
        (descending), then flat index (ascending). Deterministic.
    """
    s = np.asarray(score, dtype="float64")
    m = np.asarray(mask, dtype=bool)
    if s.shape != m.shape or np.shape(train_counts) != m.shape:
        raise HotspotsError(
            f"`score` {s.shape}, `mask` {m.shape} and `train_counts` "
            f"{np.shape(train_counts)} must have the same shape."
        )
    counts = np.where(m, np.asarray(train_counts, dtype="float64"), 0.0)
    neighbours = _neighbour_counts(counts, m)
    idx = np.flatnonzero((m & np.isfinite(s)).ravel())
    order = np.lexsort(
        (idx, -neighbours.ravel()[idx], -counts.ravel()[idx], -s.ravel()[idx])
    )
    return np.asarray(idx[order], dtype=np.int64)


def _flag_count(coverage: float, n_cells: int) -> int:
    # round away float noise first, so that 0.05 x 2000 is 100, not 101
    return max(1, math.ceil(round(coverage * n_cells, 9)))


def score_ranking(
    order: NDArray[np.int64],
    test_counts: NDArray[np.float64],
    train_counts: NDArray[np.float64],
    mask: NDArray[np.bool_],
    *,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    cell_area_km2: float = DEFAULT_EVAL_CELL_SIZE**2 / 1e6,
) -> pd.DataFrame:
    """Hit rate, PAI, PEI and RRI of one ranking at each coverage.

    Parameters
    ----------
    order
        Flat indices of ranked in-area cells, hottest first (`rank_cells`).
    test_counts, train_counts
        ``(ny, nx)`` incidents per cell in the test and training periods.
    mask
        ``(ny, nx)`` True for the ``N`` in-area cells.
    coverages
        Shares of the study area to flag, each in (0, 1].
    cell_area_km2
        Area of one cell in km², for the ``area_km2`` column.

    Returns
    -------
    DataFrame
        One row per coverage with ``coverage, flagged_cells, area_share, area_km2,
        hit_rate, hit_rate_max, pai, pei, rri, test_incidents, test_in_flagged,
        train_incidents, train_in_flagged, note``; formulas in the module docstring.
    """
    m = np.asarray(mask, dtype=bool)
    n_cells = int(m.sum())
    test = np.where(m, np.asarray(test_counts, dtype="float64"), 0.0).ravel()
    train = np.where(m, np.asarray(train_counts, dtype="float64"), 0.0).ravel()
    t_total = float(test.sum())
    r_total = float(train.sum())
    if n_cells == 0:
        raise HotspotsError("No evaluation cell lies in the study area.")
    if not t_total > 0:
        raise HotspotsError("No test incidents in the study area: nothing to score.")
    if not r_total > 0:
        raise HotspotsError("No training incidents in the study area.")
    best = np.sort(test[m.ravel()])[::-1]
    best_cum = np.concatenate([[0.0], np.cumsum(best)])
    rows = []
    for c in coverages:
        k = _flag_count(c, n_cells)
        flagged = order[:k]
        nf = int(flagged.size)
        t_in = float(test[flagged].sum())
        r_in = float(train[flagged].sum())
        hit = t_in / t_total
        share = nf / n_cells
        t_best = float(best_cum[min(nf, best.size)])
        notes = []
        if nf < k:
            notes.append(
                f"the method ranks only {nf} of the {k} cells asked for "
                f"({100 * share:.2f}% of the area instead of {100 * c:g}%)"
            )
        if nf == 0:
            pai = pei = float("nan")
            notes.append("PAI and PEI undefined: no cell flagged")
        else:
            pai = hit / share
            pei = t_in / t_best  # t_best >= t_in > 0 or t_in = 0 < t_best
        if r_in > 0:
            rri = (t_in / r_in) / (t_total / r_total)
        else:
            rri = float("nan")
            notes.append("RRI undefined: no training incidents in the flagged cells")
        rows.append(
            {
                "coverage": float(c),
                "flagged_cells": nf,
                "area_share": share,
                "area_km2": nf * cell_area_km2,
                "hit_rate": hit,
                "hit_rate_max": t_best / t_total,
                "pai": pai,
                "pei": pei,
                "rri": rri,
                "test_incidents": round(t_total),
                "test_in_flagged": round(t_in),
                "train_incidents": round(r_total),
                "train_in_flagged": round(r_in),
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- #
# Method scores on the evaluation grid                                         #
# --------------------------------------------------------------------------- #


def _kde_score(
    train: gpd.GeoDataFrame,
    grid: Grid,
    study_area: gpd.GeoDataFrame | None,
    options: dict[str, Any],
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    from hotspots.density import (
        KERNELS,
        choose_bandwidth,
        kde_grid,
    )

    opts = dict(options)
    bandwidth = opts.pop("bandwidth", None)
    rule = opts.pop("bandwidth_rule", "silverman")
    kernel = opts.pop("kernel", "quartic")
    subdivide = opts.pop("subdivide", None)
    if opts:
        raise HotspotsError(
            f"Unknown KDE option(s) {sorted(opts)}; use bandwidth, bandwidth_rule, "
            "kernel or subdivide."
        )
    if kernel not in KERNELS:
        raise HotspotsError(
            f"Unknown kernel {kernel!r}; choose one of {list(KERNELS)}."
        )
    xy = point_xy(train)
    if bandwidth is None:
        pick = train
        if study_area is not None:
            minx, miny, maxx, maxy = study_area.total_bounds
            gx, gy = train.geometry.x, train.geometry.y
            inside = located(train) & (
                (gx >= minx) & (gx <= maxx) & (gy >= miny) & (gy <= maxy)
            ).to_numpy(dtype=bool, na_value=False)
            pick = train[inside]
            if pick.empty:
                raise HotspotsError(
                    "No training incidents lie within the study area's bounding "
                    "box; cannot choose a bandwidth."
                )
        h, explanation = choose_bandwidth(pick, rule=rule)
        automatic = True
    else:
        require_positive(bandwidth=bandwidth)
        h = float(bandwidth)
        explanation = f"bandwidth {h:,.4g} m, as given"
        automatic = False
    cell = grid.cell_size
    if subdivide is None:
        sub = min(MAX_SUBDIVIDE, max(1, math.ceil(2 * cell / h - 1e-9)))
    else:
        if isinstance(subdivide, bool) or int(subdivide) != subdivide or subdivide < 1:
            raise HotspotsError(
                f"`subdivide` must be a whole number, 1 or more, got {subdivide!r}."
            )
        sub = int(subdivide)
    reach = h * KERNELS[kernel]
    pad = math.ceil(reach / cell) + 1
    fine = Grid(
        x0=grid.x0 - pad * cell,
        y0=grid.y0 - pad * cell,
        cell_size=cell / sub,
        nx=(grid.nx + 2 * pad) * sub,
        ny=(grid.ny + 2 * pad) * sub,
        crs=grid.crs,
    )
    density, _ = kde_grid(fine, xy, bandwidth=h, kernel=kernel)
    coarse = density.reshape(grid.ny + 2 * pad, sub, grid.nx + 2 * pad, sub).mean(
        axis=(1, 3)
    )
    score = coarse[pad : pad + grid.ny, pad : pad + grid.nx]
    params = {
        "kernel": kernel,
        "bandwidth_m": h,
        "bandwidth_rule": rule if automatic else "given",
        "bandwidth_automatic": automatic,
        "bandwidth_explanation": explanation,
        "subdivide": sub,
        "kde_cell_size_m": cell / sub,
        "score": "mean KDE over the evaluation cell (incidents per km²)",
    }
    return np.asarray(score, dtype="float64"), params


def _gistar_score(
    train: gpd.GeoDataFrame,
    grid: Grid,
    study_area: gpd.GeoDataFrame | None,
    options: dict[str, Any],
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    from hotspots.gistar import gistar_grid

    opts = {k: v for k, v in options.items() if k not in ("min_bin",)}
    result = gistar_grid(train, study_area=study_area, **opts)
    cx, cy = grid.centres()
    row, col, inside = result.grid.index_of(cx, cy)
    z = np.where(inside, result.gi_z[row, col], np.nan)
    params: dict[str, Any] = {
        k: result.parameters[k]
        for k in (
            "cell_size_m",
            "cell_size_auto",
            "neighbours",
            "distance_m",
            "window_cells",
        )
        if k in result.parameters
    }
    params["score"] = "Gi* z-score of the Gi* cell holding the evaluation cell centre"
    return np.asarray(z, dtype="float64"), params


def polygon_score(grid: Grid, polygons: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Score evaluation cells by the incident density of the polygon holding them.

    Parameters
    ----------
    grid
        The evaluation grid.
    polygons
        Hotspot polygons with ``incidents`` and ``area_km2`` columns, in the grid's
        CRS.

    Returns
    -------
    ndarray
        ``(ny, nx)``: incidents per km² of the densest polygon containing the
        cell's centre; NaN for cells in no polygon.
    """
    score = np.full(grid.shape, np.nan)
    if polygons is None or len(polygons) == 0:
        return score
    density = polygons["incidents"].to_numpy(dtype="float64") / polygons[
        "area_km2"
    ].to_numpy(dtype="float64")
    cx, cy = grid.centres()
    for geom, d in zip(polygons.geometry.array, density, strict=True):
        if geom is None or geom.is_empty or not np.isfinite(d):
            continue
        minx, miny, maxx, maxy = geom.bounds
        c0 = max(0, math.floor((minx - grid.x0) / grid.cell_size))
        c1 = min(grid.nx, math.ceil((maxx - grid.x0) / grid.cell_size) + 1)
        r0 = max(0, math.floor((miny - grid.y0) / grid.cell_size))
        r1 = min(grid.ny, math.ceil((maxy - grid.y0) / grid.cell_size) + 1)
        if c0 >= c1 or r0 >= r1:
            continue
        shapely.prepare(geom)
        hit = shapely.contains_xy(geom, cx[r0:r1, c0:c1], cy[r0:r1, c0:c1])
        block = score[r0:r1, c0:c1]
        block[hit] = np.fmax(block[hit], d)
    return score


def _cluster_score(
    train: gpd.GeoDataFrame,
    method: str,
    grid: Grid,
    study_area: gpd.GeoDataFrame | None,
    options: dict[str, Any],
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    from hotspots.detect import detect

    found = detect(train, method=method, study_area=study_area, options=options)
    params = {k: v for k, v in found.parameters.items() if k != "method"}
    params["clusters"] = len(found.hotspots)
    params["score"] = "incidents per km² of the cluster polygon holding the cell"
    return polygon_score(grid, found.hotspots), params


# --------------------------------------------------------------------------- #
# Entry point                                                                  #
# --------------------------------------------------------------------------- #


def _select(
    incidents: gpd.GeoDataFrame,
    theme: str | Sequence[str] | None,
) -> gpd.GeoDataFrame:
    if theme is None:
        return incidents
    if "theme" not in incidents.columns:
        raise HotspotsError("`theme` was given but the incidents have no theme column.")
    wanted = [theme] if isinstance(theme, str) else list(theme)
    keep = incidents["theme"].isin(wanted).to_numpy(dtype=bool, na_value=False)
    if not keep.any():
        known = sorted(str(t) for t in incidents["theme"].dropna().unique())
        raise HotspotsError(
            f"No incidents in theme {theme!r}; the themes present are {known}."
        )
    return incidents[keep]


def _label(method: str, params: dict[str, Any]) -> str:
    if method == "naive":
        return "naive (training counts per cell)"
    if method == "kde":
        how = "auto" if params.get("bandwidth_automatic") else "fixed"
        return f"kde (bandwidth {params['bandwidth_m']:g} m, {how})"
    if method == "gistar":
        return f"gistar ({params.get('cell_size_m', 0):g} m cells)"
    if method == "dbscan" and params.get("eps_m") is not None:
        how = "auto" if params.get("eps_automatic") else "fixed"
        return f"dbscan (eps {params['eps_m']:.0f} m, {how})"
    if method == "hdbscan" and params.get("min_cluster_incidents") is not None:
        return f"hdbscan (min cluster {params['min_cluster_incidents']:g} incidents)"
    return method


def evaluate(
    incidents: gpd.GeoDataFrame,
    *,
    method: str,
    train: Sequence[Any],
    test: Sequence[Any],
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    study_area: gpd.GeoDataFrame | None = None,
    eval_cell_size: float = DEFAULT_EVAL_CELL_SIZE,
    options: dict[str, Any] | None = None,
    theme: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Back-test one hotspot method against the naive baseline on later months.

    Formulas, the ranking of each method, ties and the month rules are in the
    module docstring.

    Parameters
    ----------
    incidents
        Canonical incidents (EPSG:27700) with a ``month`` column (period[M] or
        ``YYYY-MM`` text). Unlocated rows are counted in the parameters, not
        scored.
    method
        ``kde``, ``gistar``, ``dbscan``, ``hdbscan``, or ``naive`` (the baseline
        alone). The baseline is reported with every method.
    train, test
        ``(from, to)`` months, ``"YYYY-MM"``, both included; the test period must
        start after the training period ends (e.g. ``("2022-01", "2022-12")`` and
        ``("2024-01", "2024-04")``).
    coverages
        Shares of the study area to flag, each in (0, 1]; default 0.5 %, 1 %, 2 %,
        5 %.
    study_area
        Polygon(s) in the incidents' CRS, e.g. ``boundaries.study_area(codes)``.
        ``None`` (default): every cell of the grid over the bounding box of the
        training and test incidents, which flatters every method (empty fields
        and sea count as area); give an area for figures to report.
    eval_cell_size
        Side of the evaluation cells in metres; default 100 m. The setting that
        matters most: every method is scored on these cells, so it sets the
        finest detail any method is credited for.
    options
        The method's options as its own function names them: KDE ``bandwidth``
        (metres; ``None`` = automatic), ``bandwidth_rule``, ``kernel``,
        ``subdivide``; Gi* ``cell_size``, ``neighbours``, ``distance``; DBSCAN /
        HDBSCAN as `hotspots.detect.detect` takes them.
    theme
        Keep only incidents of this theme (or these themes); ``None`` keeps all.

    Returns
    -------
    DataFrame
        Rows ``naive`` then the method, one per coverage, with columns
        ``method, label, coverage, flagged_cells, area_share, area_km2, hit_rate,
        hit_rate_max, pai, pei, rri, test_incidents, test_in_flagged,
        train_incidents, train_in_flagged, note, parameters`` (``parameters`` is
        the JSON text of the method's settings, automatic choices included).
        ``attrs["parameters"]`` holds the whole run's settings and tallies
        (months, theme, grid, incidents used, unlocated and outside the area).

    Raises
    ------
    HotspotsError
        Unknown method, bad months or coverages, a geographic CRS, a study area in
        another CRS, no training or no test incidents in the study area.
    """
    require_points(incidents, name="incidents")
    if method not in METHODS:
        raise HotspotsError(
            f"Unknown method {method!r}; choose one of {', '.join(METHODS)}."
        )
    require_positive(eval_cell_size=eval_cell_size)
    covs = [float(c) for c in coverages]
    if not covs:
        raise HotspotsError("Give at least one coverage, e.g. 0.05 for 5 %.")
    for c in covs:
        if not 0 < c <= 1:
            raise HotspotsError(
                f"Each coverage must be a share of the area in (0, 1], got {c!r} "
                "(write 5 % as 0.05)."
            )
    (tr0, tr1), (te0, te1) = month_windows(train, test)
    if "month" not in incidents.columns:
        raise HotspotsError("The incidents have no `month` column; ingest them first.")
    if study_area is not None:
        if not isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
            raise TypeError(
                f"`study_area` must be a GeoDataFrame, got {type(study_area).__name__}."
            )
        if study_area.crs is None or study_area.crs != incidents.crs:
            raise HotspotsError(
                f"The study area is in {study_area.crs}, the incidents in "
                f"{incidents.crs}; reproject the study area."
            )
        if len(study_area) == 0 or study_area.geometry.is_empty.all():
            raise HotspotsError("`study_area` is empty; give at least one polygon.")

    chosen = _select(incidents, theme)
    months = chosen["month"]
    if not isinstance(months.dtype, pd.PeriodDtype):
        months = pd.Series(
            pd.PeriodIndex(months.astype("string"), freq="M"), index=chosen.index
        )
    in_train = ((months >= tr0) & (months <= tr1)).to_numpy(dtype=bool)
    in_test = ((months >= te0) & (months <= te1)).to_numpy(dtype=bool)
    train_pts = chosen[in_train]
    test_pts = chosen[in_test]
    train_xy = point_xy(train_pts)
    test_xy = point_xy(test_pts)
    what = f" in theme {theme!r}" if theme is not None else ""
    if train_xy.shape[0] == 0:
        raise HotspotsError(
            f"No located incidents{what} in the training months {tr0} to {tr1}; "
            "choose months the data covers."
        )
    if test_xy.shape[0] == 0:
        raise HotspotsError(
            f"No located incidents{what} in the test months {te0} to {te1}; "
            "choose months the data covers."
        )

    crs = incidents.crs.to_string()
    if study_area is not None:
        bounds = np.asarray(study_area.total_bounds, dtype="float64")
    else:
        both = np.vstack([train_xy, test_xy])
        bounds = np.array([*both.min(axis=0), *both.max(axis=0)])
    grid = grid_for(bounds, cell_size=eval_cell_size, crs=crs)
    mask = area_mask(grid, study_area)
    if not mask.any():
        raise HotspotsError(
            f"No {eval_cell_size:g} m cell has its centre in the study area; use a "
            "smaller `eval_cell_size`."
        )
    train_counts = np.where(mask, bin_points(grid, *train_xy.T), 0.0)
    test_counts = np.where(mask, bin_points(grid, *test_xy.T), 0.0)
    if not test_counts.sum() > 0:
        raise HotspotsError(
            f"None of the {test_xy.shape[0]:,} located test incidents{what} "
            f"({te0} to {te1}) lies in the study area; nothing to score."
        )
    if not train_counts.sum() > 0:
        raise HotspotsError(
            f"None of the {train_xy.shape[0]:,} located training incidents{what} "
            f"({tr0} to {tr1}) lies in the study area."
        )

    opts = {k: v for k, v in (options or {}).items() if v is not None}
    rankings: list[tuple[str, NDArray[np.float64], dict[str, Any]]] = [
        (
            "naive",
            train_counts,
            {"score": "training incidents per evaluation cell"},
        )
    ]
    if method == "kde":
        rankings.append(("kde", *_kde_score(train_pts, grid, study_area, opts)))
    elif method == "gistar":
        rankings.append(("gistar", *_gistar_score(train_pts, grid, study_area, opts)))
    elif method in ("dbscan", "hdbscan"):
        rankings.append(
            (method, *_cluster_score(train_pts, method, grid, study_area, opts))
        )
    elif opts:
        raise HotspotsError("The naive baseline takes no options.")

    frames = []
    for name, score, params in rankings:
        order = rank_cells(np.where(mask, score, np.nan), mask, train_counts)
        scored = score_ranking(
            order,
            test_counts,
            train_counts,
            mask,
            coverages=covs,
            cell_area_km2=grid.cell_area_km2,
        )
        scored.insert(0, "label", _label(name, params))
        scored.insert(0, "method", name)
        scored["parameters"] = json.dumps(params, sort_keys=True, default=str)
        frames.append(scored)
    out = pd.concat(frames, ignore_index=True)[_COLUMNS]

    n_cells = int(mask.sum())
    out.attrs["parameters"] = {
        "method": method,
        "method_parameters": rankings[-1][2] if method != "naive" else {},
        "train": [str(tr0), str(tr1)],
        "test": [str(te0), str(te1)],
        "theme": theme,
        "coverages": covs,
        "eval_cell_size_m": float(eval_cell_size),
        "eval_cells": n_cells,
        "study_area": study_area is not None,
        "study_area_km2": n_cells * grid.cell_area_km2,
        "train_incidents": int(in_train.sum()),
        "train_unlocated": int(in_train.sum()) - train_xy.shape[0],
        "train_in_area": int(train_counts.sum()),
        "test_incidents": int(in_test.sum()),
        "test_unlocated": int(in_test.sum()) - test_xy.shape[0],
        "test_in_area": int(test_counts.sum()),
        "ties": "score, then training incidents in the cell, then in its 3x3 "
        "neighbourhood, then cell index (south-west first)",
    }
    return out
