"""Hot spot change over time: monthly Gi* slices and a Mann-Kendall trend per cell.

The scheme (ArcGIS "Emerging Hot Spot Analysis", time-slice version; sfhotspot's
``hotspot_classify`` for the extra "former" class):

1. One square grid for the whole selection (over the study area, or over every
   located incident when there is none). Cells whose centre is outside the study
   area take no part, as in :mod:`hotspots.gistar`.
2. For each month of the selection, Gi* (binary window incl. the cell itself,
   ``neighbours`` rings of queen neighbours; space only, no time lag) on that
   month's counts; two-sided normal p-values, Benjamini-Hochberg adjusted within
   the month (``fdr=True``). A cell is **hot** that month when ``z > 0`` and
   ``p_adj <= alpha``, **cold** when ``z < 0`` and ``p_adj <= alpha``.
3. Mann-Kendall test on each cell's monthly counts (``trend_on="counts"``,
   default: "is the number of incidents here going up?"), or on its monthly Gi*
   z-scores (``trend_on="z"``, which is what ArcGIS does: "is the clustering
   getting more intense?"). ``trend`` is "up" / "down" when ``mk_p <= alpha``,
   else "none".
4. Each cell gets the first pattern in the rule table below that fits.

Months: only the months of the selection are time steps - the ``months`` given,
or else the distinct months found in the data. A month with no data at all (the
bundled Kent data has no 2023-02..2023-12) is therefore never counted as a month
in which a cell was "not hot"; the time steps are the months present, in order,
and the Mann-Kendall test treats them as equally spaced.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from hotspots._validate import (
    HotspotsError,
    require_points,
    require_positive,
    weight_values,
)
from hotspots.dates import month_runs
from hotspots.gistar import (
    DEFAULT_CELL_SIZE,
    benjamini_hochberg,
    gi_star,
    window,
    window_sum,
    xy_bounds,
)
from hotspots.grid import area_mask, cells_frame, grid_for, located, point_xy

_YYYY_MM = r"\d{4}-(0[1-9]|1[0-2])"

#: Patterns, in the order the rules are tried.
PATTERNS = (
    "no pattern",
    "new",
    "consecutive",
    "intensifying",
    "diminishing",
    "historical",
    "persistent",
    "oscillating",
    "sporadic",
    "former",
)

#: Each pattern in a few words (the default trend: of the monthly counts), for
#: people reading a summary; `classify_patterns` has the exact rules.
PATTERN_MEANINGS = {
    "new": "hot in the last month only",
    "consecutive": "hot in an unbroken run of months up to the last, never before",
    "intensifying": "hot in 90% of the months or more, the last too; rising",
    "persistent": "hot in 90% of the months or more, the last too; no trend",
    "diminishing": "hot in 90% of the months or more, the last too; falling",
    "oscillating": "hot in the last month, on and off before, cold in some month",
    "sporadic": "hot in the last month, on and off before, never cold",
    "historical": "hot in 90% of the months or more, but not in the last",
    "former": "hot in some months, not in the last",
}


def method_sentence(
    cell_size: float, months: Sequence[Any], *, weighted: bool = False
) -> str:
    """What `classify_hotspot_trends` did, in one sentence, for people reading it.

    'Gi* each month on 200 m cells over 17 months (2022-01..2023-01,
    2024-01..2024-04), then a Mann-Kendall test of each cell's monthly counts.'
    `weighted`: of each cell's harm (its summed harm weights) instead.
    """
    periods = [pd.Period(str(m)[:7], freq="M") for m in months]
    span = f"{cell_size:g} m cells over {len(periods)} months ({month_runs(periods)})"
    if weighted:
        return (
            f"Gi* of each month's harm on {span}, then a Mann-Kendall test of each "
            "cell's monthly harm (its summed harm weights)."
        )
    return f"Gi* each month on {span}, then a Mann-Kendall test of each cell's monthly counts."


#: Share of months a cell must be hot to be intensifying, diminishing,
#: persistent or historical (ArcGIS: 90 %).
PERSISTENT_SHARE = 0.9

#: Fewer months than this draw a warning (ArcGIS needs 10 time steps).
FEW_MONTHS = 10

#: More than this share of hot cell-months holding one or two incidents in their
#: window draws a warning (`sparse_note`), as a KDE map whose hotspots are mostly
#: one or two incidents does in the dashboard.
SPARSE_SHARE = 0.5


def sparse_note(thin: int, hot: int, cell_size: float) -> str:
    """Why monthly hot spots of a sparse selection are mostly lone incidents.

    Gi*'s p-values come from the normal distribution. In a month where almost
    every cell is empty, one incident makes its window's z-score large (about
    the square root of the cells over the window's), so it is "significant"
    however often such a lone incident happens by chance.
    """
    return (
        f"{thin:,} of the {hot:,} hot cell-months ({thin / hot:.0%}) hold only one or "
        f"two incidents in their window: at {cell_size:g} m cells this selection is "
        "too sparse for monthly Gi*, which then marks lone incidents among empty "
        "cells as significant. Use larger cells (400 to 800 m), more themes or "
        "categories, or read the patterns as where incidents happened, not where "
        "they concentrate."
    )


@dataclass(frozen=True)
class MannKendall:
    """Mann-Kendall trend test results, one value per series."""

    s: NDArray[np.float64]
    var_s: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]


def mann_kendall(series: ArrayLike, *, continuity: bool = True) -> MannKendall:
    """Mann-Kendall test for a monotonic trend, vectorised over series.

    For a series ``x_1 .. x_n`` (time order)::

        S      = sum_{i<j} sign(x_j - x_i)
        Var(S) = (n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)) / 18
        z      = (S - sign(S)) / sqrt(Var(S))     (continuity correction)
        p      = 2 (1 - Φ(|z|))                   (two-sided)

    where ``t_g`` is the size of each group of tied values. ``Var(S) = 0`` (every
    value equal) gives ``z = 0, p = 1``.

    Parameters
    ----------
    series
        Array whose last axis is time (e.g. ``(cells, months)``); at least 3
        steps, finite values.
    continuity
        Apply the continuity correction (default True, as in Kendall 1975 and
        R's ``Kendall::MannKendall``); without it the p-value equals
        ``scipy.stats.kendalltau(t, x, method="asymptotic")``'s.

    Returns
    -------
    MannKendall
        Arrays ``s``, ``var_s``, ``z``, ``p`` of shape ``series.shape[:-1]``.
    """
    x = np.asarray(series, dtype="float64")
    if x.ndim == 0 or x.shape[-1] < 3:
        raise HotspotsError(
            "The Mann-Kendall test needs a series of at least 3 time steps."
        )
    if not np.isfinite(x).all():
        raise HotspotsError("The Mann-Kendall test needs finite values (no NaN).")
    n = x.shape[-1]
    s = np.zeros(x.shape[:-1])
    for i in range(n - 1):
        s += np.sign(x[..., i + 1 :] - x[..., i : i + 1]).sum(axis=-1)
    ties = (x[..., :, None] == x[..., None, :]).sum(axis=-1)  # group size per value
    tie_term = ((ties - 1) * (2 * ties + 5)).sum(axis=-1)
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    num = s - np.sign(s) if continuity else s
    z = np.zeros_like(s)
    np.divide(num, np.sqrt(var_s), out=z, where=var_s > 0)
    p = 2.0 * special.ndtr(-np.abs(z))
    return MannKendall(s=s, var_s=var_s, z=z, p=p)


def classify_patterns(
    hot: ArrayLike,
    cold: ArrayLike,
    mk_z: ArrayLike,
    mk_p: ArrayLike,
    *,
    alpha: float = 0.05,
) -> NDArray[np.str_]:
    """Hot spot pattern of each cell from its monthly hot/cold flags and trend.

    Rules, tried in this order (``T`` months, ``share`` = hot months / ``T``,
    "last" = the final month of the selection, "up"/"down" = Mann-Kendall trend
    with ``mk_p <= alpha``):

    ============  ==============================================================
    pattern       rule
    ============  ==============================================================
    no pattern    never hot
    new           hot in the last month and in no other
    consecutive   hot in an unbroken run of >= 2 months ending with the last,
                  never hot before the run, share < 90 %
    intensifying  share >= 90 %, hot in the last month, trend up
    diminishing   share >= 90 %, hot in the last month, trend down
    historical    share >= 90 %, not hot in the last month
    persistent    share >= 90 % (so hot in the last month), no trend
    oscillating   hot in the last month, share < 90 %, cold in some month
    sporadic      hot in the last month, share < 90 %, never cold (on and off)
    former        hot in some month, not in the last, share < 90 %
    ============  ==============================================================

    The first eight follow ArcGIS's Emerging Hot Spot Analysis definitions
    (hot-spot side only); where ArcGIS's "persistent" and "historical" overlap
    (>= 90 % hot but not in the last month) this takes "historical", the more
    specific. "former" is sfhotspot's name for a cell that was hot but is no
    longer; ArcGIS calls it "no pattern". In the issue's words: emerging = new or
    consecutive, intermittent = sporadic or oscillating, former = historical or
    former.

    Parameters
    ----------
    hot, cold
        ``(cells, months)`` booleans.
    mk_z, mk_p
        ``(cells,)`` Mann-Kendall z and two-sided p.
    alpha
        Significance level of the trend; default 0.05.

    Returns
    -------
    ndarray
        ``(cells,)`` pattern names from :data:`PATTERNS`.
    """
    h = np.asarray(hot, dtype=bool)
    c = np.asarray(cold, dtype=bool)
    if h.ndim != 2 or h.shape != c.shape:
        raise HotspotsError("`hot` and `cold` must be (cells, months) arrays.")
    t = h.shape[1]
    z = np.asarray(mk_z, dtype="float64")
    p = np.asarray(mk_p, dtype="float64")
    n_hot = h.sum(axis=1)
    share = n_hot / t
    most = share >= PERSISTENT_SHARE - 1e-12
    last = h[:, -1]
    rev = h[:, ::-1]
    run = np.where(rev.all(axis=1), t, rev.argmin(axis=1))  # trailing hot months
    up = (p <= alpha) & (z > 0)
    down = (p <= alpha) & (z < 0)
    ever_cold = c.any(axis=1)
    rules = [
        ("no pattern", n_hot == 0),
        ("new", last & (n_hot == 1)),
        ("consecutive", last & (run >= 2) & (n_hot == run) & ~most),
        ("intensifying", most & last & up),
        ("diminishing", most & last & down),
        ("historical", most & ~last),
        ("persistent", most),
        ("oscillating", last & ever_cold),
        ("sporadic", last),
        ("former", n_hot > 0),
    ]
    assert tuple(name for name, _ in rules) == PATTERNS
    return np.select(
        [cond for _, cond in rules], [name for name, _ in rules], "no pattern"
    )


def _months_of(points: gpd.GeoDataFrame) -> pd.PeriodIndex:
    if "month" not in points.columns:
        raise HotspotsError(
            "The incidents have no `month` column; trends need one month per "
            "incident (period[M] or YYYY-MM)."
        )
    col = points["month"]
    if col.isna().any():
        first = col[col.isna()].index[0]
        raise HotspotsError(
            f"Row {first!r} has no month; every incident needs one (YYYY-MM)."
        )
    if isinstance(col.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(col).asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return pd.PeriodIndex(col, freq="M")
    text = col.astype(str).str.slice(0, 7)
    bad = ~text.str.fullmatch(_YYYY_MM)
    if bad.any():
        first = bad[bad].index[0]
        raise HotspotsError(
            f"Row {first!r} has month {col[first]!r}, which is not a month; "
            "write months as YYYY-MM."
        )
    return pd.PeriodIndex(text, freq="M")


def _month(value: Any) -> pd.Period:
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, pd.Timestamp):
        return value.to_period("M")
    if isinstance(value, str) and re.fullmatch(_YYYY_MM, value.strip()):
        return pd.Period(value.strip(), freq="M")
    raise HotspotsError(f"`months` must be months written YYYY-MM, got {value!r}.")


def _selected_months(months: Sequence[Any] | None, data: pd.PeriodIndex) -> Any:
    if months is None:
        return data.unique().sort_values()
    if isinstance(months, str):
        raise TypeError("`months` must be a list of months, not one string.")
    chosen = pd.PeriodIndex([_month(m) for m in months], freq="M")
    return chosen.unique().sort_values()


def over_shared_months(
    incidents: gpd.GeoDataFrame, steps: Sequence[str], shared: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[str], str]:
    """The incidents and time steps of a trend over sources that differ in months.

    `steps`: every month any source of the selection holds; `shared`: those every
    one holds (`hotspots.dates.selection_months`). When they differ the steps
    are `shared`, and the incidents of the other months are left out: a month
    one source lacks is not a month without its incidents. Returns the
    incidents, the steps and a note of what was left out ("" if nothing).
    """
    if list(steps) == list(shared):
        return incidents, list(steps), ""
    if not shared:
        return (
            incidents.iloc[:0],
            [],
            (
                "The sources of this selection hold no month in common, so there is no "
                "month to compare: choose one source, or months that all of them hold."
            ),
        )
    keep = incidents["month"].astype(str).str[:7].isin(set(shared))
    held = month_runs([pd.Period(m, "M") for m in shared])
    note = (
        "The sources of this selection cover different months: the cells' trends "
        f"step only through the months all of them hold ({held}); the "
        f"{int((~keep).sum()):,} incidents of other months are left out, so that a "
        "month one source lacks is not read as a month without its incidents."
    )
    return incidents[keep.to_numpy()], list(shared), note


def classify_hotspot_trends(
    points: gpd.GeoDataFrame,
    *,
    cell_size: float = DEFAULT_CELL_SIZE,
    study_area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    months: Sequence[Any] | None = None,
    neighbours: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_on: str = "counts",
    all_cells: bool = False,
    weight: str | None = None,
) -> gpd.GeoDataFrame:
    """Classify grid cells as new, intensifying, persistent, ... hot spots over months.

    See the module docstring for the scheme and :func:`classify_patterns` for the
    rule table.

    Parameters
    ----------
    points
        Incidents (points in a projected CRS in metres) with a ``month`` column
        (period[M], or text YYYY-MM). Unlocated rows are skipped.
    cell_size
        Cell side in metres; default 200 m.
    study_area
        Polygons (same CRS); only cells whose centre lies inside are analysed.
        ``None``: every cell over the incidents' bounding box.
    months
        The months to analyse (time steps), e.g. ``["2024-01", "2024-02", ...]``;
        incidents in other months are left out, and a listed month without
        incidents counts as a month with none. ``None`` (default): the distinct
        months present in `points`, so a gap in the data is not a time step.
    neighbours
        Rings of queen neighbours in the Gi* window (1 -> 3 x 3). Default 1.
    alpha
        Significance level for a hot/cold month (on the FDR-adjusted p) and for
        the trend; default 0.05.
    fdr
        Benjamini-Hochberg adjust each month's Gi* p-values (default True).
    trend_on
        ``"counts"`` (default): Mann-Kendall on monthly incident counts;
        ``"z"``: on monthly Gi* z-scores (ArcGIS).
    all_cells
        Return every in-area cell (pattern "no pattern" for most) instead of
        only the cells that were hot in at least one month (default False).
    weight
        A column of harm weights (``"weight"``) to sum per cell and month
        instead of counting incidents: each month's Gi* and the trend
        (``trend_on="counts"``) then run on harm, as ArcGIS's space-time cube
        sums a field. ``n`` still counts incidents (disclosure and the sparse
        warning count incidents); ``harm`` is added. Default None: counts.

    Returns
    -------
    GeoDataFrame
        Cells (square polygons, the grid's CRS) with ``row``, ``col``, ``n``
        (incidents over the months; with a `weight`, ``harm`` too), ``months``
        (time steps), ``months_hot``,
        ``months_cold``, ``hot_last``, ``pattern``, ``mk_s``, ``mk_z``, ``mk_p``
        and ``trend`` ("up", "down", "none"); ``attrs["parameters"]`` lists the
        months used and every setting.
    """
    require_points(points)
    require_positive(cell_size=cell_size, alpha=alpha)
    if not alpha < 1:
        raise HotspotsError(f"`alpha` must be below 1, got {alpha!r}.")
    if trend_on not in ("counts", "z"):
        raise HotspotsError(f'`trend_on` must be "counts" or "z", got {trend_on!r}.')
    fp = window(neighbours)
    if len(points) == 0:
        raise HotspotsError("No incidents to analyse: the selection is empty.")
    all_months = _months_of(points)
    steps = _selected_months(months, all_months)
    t = len(steps)
    if t < 3:
        raise HotspotsError(
            f"Trends need at least 3 months; the selection has {t} "
            f"({', '.join(str(m) for m in steps) or 'none'}). Choose a longer period."
        )
    if t < FEW_MONTHS:
        warnings.warn(
            f"Only {t} months: hot spot trends from fewer than {FEW_MONTHS} time "
            "steps are weak (ArcGIS requires 10).",
            UserWarning,
            stacklevel=2,
        )
    keep = located(points)
    step_of = steps.get_indexer(all_months)
    use = keep & (step_of >= 0)
    if not use.any():
        raise HotspotsError(
            "None of the incidents in the chosen months has a location; trends "
            "need located incidents."
        )
    if study_area is not None and study_area.crs != points.crs:
        raise HotspotsError(
            f"The study area is in {study_area.crs}, the incidents in "
            f"{points.crs}; reproject one of them."
        )
    xy = point_xy(points)[use[keep]]
    w = None if weight is None else weight_values(points, weight, use)
    bounds = study_area.total_bounds if study_area is not None else xy_bounds(xy)
    grid = grid_for(bounds, cell_size=cell_size, crs=points.crs.to_string())
    mask = area_mask(grid, study_area)
    row, col, inside = grid.index_of(xy[:, 0], xy[:, 1])
    month_idx = step_of[use]
    inside &= mask[row, col]
    ncell = grid.nx * grid.ny
    at = month_idx[inside] * ncell + row[inside] * grid.nx + col[inside]
    cube = np.bincount(at, minlength=t * ncell).reshape(t, grid.ny, grid.nx)
    # what Gi* and the trend read: incidents, or their summed harm
    values = (
        cube
        if w is None
        else np.bincount(at, weights=w[inside], minlength=t * ncell).reshape(
            t, grid.ny, grid.nx
        )
    )
    n_in = int(mask.sum())
    hot = np.zeros((n_in, t), dtype=bool)
    cold = np.zeros((n_in, t), dtype=bool)
    zs = np.zeros((n_in, t))
    thin = 0  # hot cell-months whose window holds one or two incidents
    for k in range(t):
        month = values[k].astype("float64")
        z, p = gi_star(month, mask, footprint=fp)
        p_use = benjamini_hochberg(p) if fdr else p
        zk, pk = z[mask], p_use[mask]
        zs[:, k] = zk
        hot[:, k] = (zk > 0) & (pk <= alpha)
        cold[:, k] = (zk < 0) & (pk <= alpha)
        incidents = cube[k].astype("float64")
        thin += int((hot[:, k] & (window_sum(incidents, fp)[mask] <= 2)).sum())
    n_hot = int(hot.sum())
    if n_hot and thin > SPARSE_SHARE * n_hot:
        warnings.warn(sparse_note(thin, n_hot, cell_size), UserWarning, stacklevel=2)
    counts = cube[:, mask].T.astype("float64")  # (cells, months)
    series = values[:, mask].T.astype("float64")  # counts, or harm
    mk = mann_kendall(series if trend_on == "counts" else zs)
    patterns = classify_patterns(hot, cold, mk.z, mk.p, alpha=alpha)
    trend = np.where(mk.p <= alpha, np.where(mk.z > 0, "up", "down"), "none").astype(
        object
    )

    def full(values: NDArray[Any], fill: Any) -> NDArray[Any]:
        out = np.full(grid.shape, fill, dtype=values.dtype)
        out[mask] = values
        return out

    ever_hot: NDArray[np.bool_] = np.asarray(hot.any(axis=1))
    keep_cells = mask & (full(ever_hot, False) | all_cells)
    frame = cells_frame(
        grid,
        {
            "n": full(counts.sum(axis=1).astype("int64"), 0),
            **({} if w is None else {"harm": full(series.sum(axis=1), 0.0)}),
            "months": np.full(grid.shape, t, dtype="int64"),
            "months_hot": full(hot.sum(axis=1).astype("int64"), 0),
            "months_cold": full(cold.sum(axis=1).astype("int64"), 0),
            "hot_last": full(hot[:, -1], False),
            "pattern": full(patterns.astype(object), "no pattern"),
            "mk_s": full(mk.s, math.nan),
            "mk_z": full(mk.z, math.nan),
            "mk_p": full(mk.p, math.nan),
            "trend": full(trend, "none"),
        },
        where=keep_cells,
    )
    frame.attrs["parameters"] = {
        "method": "emerging-gistar",
        "cell_size_m": float(cell_size),
        "neighbours": int(neighbours),
        "alpha": float(alpha),
        "fdr": "benjamini-hochberg per month" if fdr else None,
        "trend_on": trend_on,
        "weight": weight,
        "months": [str(m) for m in steps],
        "months_from": "given" if months is not None else "data",
        "cells_in_area": n_in,
        "incidents": len(points),
        "incidents_unlocated": int((~keep).sum()),
        "incidents_other_months": int((keep & (step_of < 0)).sum()),
        "incidents_in_area": int(inside.sum()),
        "patterns": {name: int((patterns == name).sum()) for name in PATTERNS},
        "hot_cell_months": n_hot,
        "hot_cell_months_one_or_two_incidents": thin,
    }
    return frame
