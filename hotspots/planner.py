"""Street-week planner: choose k sites covering the most weighted harm, and explain them.

The problem is a **maximal covering location problem** (MCLP; Church & ReVelle
1974) with a few planning constraints.

Demand
    The selection's located incidents, collapsed onto their distinct locations
    (police.uk snaps ~60k incidents of four months onto ~14k points). Location
    ``i`` carries the harm ``h_i = sum over its incidents of weight x w_theme x
    w_source`` (``weight`` is the canonical harm column, 1.0 by default; the
    multipliers come from `weights`, default 1). Safeguarding rows are demand like
    any other (they are counted and weighted), but they are never output as
    points: the sites are grid-cell centres, never incident positions.
Candidates
    Centres of ``cell_size`` (default 100 m) grid cells, aligned to multiples of
    the cell size, that have at least one located incident within `radius`
    (distance <= radius). Candidate ids number them south to north, then west to
    east; every tie is broken by the lower id. Candidates within `radius` of a
    place in `exclude`, and candidates in no district (the study area is the
    districts layer), are never chosen.
Coverage
    Candidate ``j`` covers location ``i`` when their distance is at most
    `radius` (default 300 m, a walkable street-week footprint of 0.28 km²).
    ``harm_j = sum of h_i over the locations it covers`` (``scipy`` cKDTree on
    the distinct locations).
Priorities (optional, default weight 0 = off)
    Four terms, each scaled to 0..1 per candidate:

    * ``schools_term = min(schools + PRUs, 3) / 3`` where ``schools`` counts
      schools within ``SCHOOL_RADIUS_M`` = 400 m of the centre and ``PRUs`` counts
      those that are pupil referral units or alternative provision again (so a
      PRU counts twice: the strategy's vulnerable locations);
    * ``deprivation_term = (10 - imd_decile) / 9`` of the 2011 LSOA holding the
      centre (IMD 2019; decile 1, the most deprived tenth, scores 1; no LSOA -> 0);
    * ``trend_term = min(ratio - 1, 1)`` when the covered incidents are rising,
      else 0: ``ratio`` = monthly rate in the recent third of the selection's
      months over the earlier two thirds (`hotspots.profile.recent_split`;
      with sources that cover different months, of the months every source
      holds: `plan_sites`' `trend_months`), and
      rising means at least ``MIN_TREND_INCIDENTS`` incidents and a one-sided
      exact binomial ``P(X >= recent) < 0.025`` under no change (the upper half
      of the two-sided 5 % test in `hotspots.profile.trend_test`);
    * ``persistence_term = months_active / months``: the share of the
      selection's months with at least one covered incident.

    A candidate's bonus, in harm units, is ``bonus_j = H x sum_p w_p x term_pj``
    with ``H`` the largest single-candidate ``harm_j``: a priority weight of 0.1
    makes a candidate with a full term worth a tenth of the best footprint more.
    The standalone score is ``total_j = harm_j + bonus_j``.
Objective
    Choose a set ``S`` of exactly ``k`` candidates maximising
    ``f(S) = sum of h_i over the locations covered by any site in S + sum of
    bonus_j over j in S``: harm covered twice counts once. Constraints: sites at
    least `min_separation` apart (default ``2 x radius``, so footprints do not
    overlap), at most `max_per_district` sites in a district, at least one site in
    each of `require_districts`, no site near an excluded place. The district
    (and ward) of a site is the boundary polygon holding its centre (a centre in
    the sea within ``COAST_SNAP_M`` of a district takes the nearest one).

Solvers
    * **Greedy** adds, k times, the feasible candidate with the largest marginal
      gain (ties -> lower id). ``f`` is monotone submodular, so without
      constraints greedy is within ``1 - 1/e`` (63 %) of the optimum (Nemhauser,
      Wolsey & Fisher 1978). With at most m per district only (a partition
      matroid) the guarantee is 1/2 (Fisher, Nemhauser & Wolsey 1978); with a
      minimum separation or required districts there is no a-priori guarantee.
      Whatever the constraints, the a-posteriori bound below holds.
    * **Exact**: an integer program (``scipy.optimize.milp``, HiGHS) over a
      reduced model: the top ``MODEL_CANDIDATES`` candidates by standalone score,
      the top ``MODEL_PER_DISTRICT`` of each district (when districts are
      constrained), the greedy picks, and the locations they reach; binary
      ``x_j`` (site), continuous ``0 <= y_i <= 1`` (covered) with ``y_i <= sum of
      x_j over the j covering i``, ``sum x_j = k``, ``x_a + x_b <= 1`` for every
      pair closer than `min_separation` (plus clique rows, the candidates within
      ``min_separation / 2`` of a candidate, to tighten the relaxation), the
      district rows; under a time limit.
      Before the integer program, the LP relaxation is solved with column
      generation: candidates outside the model whose reduced cost (from the LP
      duals) is positive are added, up to ``PRICING_ROUNDS`` rounds.
Bounds and gap
    ``bound`` is a valid upper bound on ``f`` over **all** candidates, the
    smaller of (a) the greedy-style bound ``f(S) + the largest k marginal gains
    Delta_j(S)`` (at most `max_per_district` per district), true for any set of k
    sites because ``f`` is submodular (Nemhauser et al. 1978), and (b) for the
    exact solver, the Lagrangian bound of the LP relaxation over all candidates
    from the reduced LP's duals (equal to the LP optimum once no candidate
    prices out). ``gap = (bound - f(S)) / bound``. ``model_bound`` is HiGHS's own
    dual bound on the reduced model.
Cost of the constraints
    The same solver is run once more with no separation, district limits,
    required districts or exclusions (k sites anywhere, overlap allowed, harm
    counted once): ``constraint_cost_harm = unconstrained harm covered - harm
    covered`` (and ``constraint_cost_objective`` likewise on ``f``; with
    priorities on, the unconstrained run maximises ``f``, so the harm
    difference can be negative). ``time_limit`` applies to each of the two runs.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse, stats
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.spatial import cKDTree

from hotspots import bundled, disclosure
from hotspots._validate import (
    HotspotsError,
    plural,
    require_points,
    require_projected,
    weight_values,
)
from hotspots.categories import THEMES
from hotspots.dates import time_steps
from hotspots.grid import located
from hotspots.profile import MIN_TREND_INCIDENTS, recent_split, trend_test

log = logging.getLogger(__name__)

#: Default spacing (metres) of the grid whose cell centres are the candidate sites.
CELL_SIZE_M = 100.0
#: Schools within this distance (metres) of a site count for the schools priority.
SCHOOL_RADIUS_M = 400.0
#: schools + PRUs at which the schools term reaches 1.
SCHOOLS_FULL = 3
#: A site centre this close (metres) to a district or ward but in none (sea,
#: coastline-clipped boundaries) takes the nearest one.
COAST_SNAP_M = 1_000.0
#: Candidates (by standalone score) in the exact model, before per-district ones.
MODEL_CANDIDATES = 400
#: Best candidates per district added to the exact model when districts are limited.
MODEL_PER_DISTRICT = 30
#: Column-generation rounds of the LP relaxation (and columns added per round).
PRICING_ROUNDS = 6
PRICING_COLUMNS = 300
#: Largest coverage matrix (non-zeros, all candidates) that method="auto" prices
#: for the exact solver (about 12 bytes each); beyond it, greedy alone.
MAX_PRICING_NONZEROS = 50_000_000
#: Significance of the (one-sided) rising test in the trend term.
TREND_ALPHA_ONE_SIDED = 0.025
#: The priorities and their defaults (0 = off).
DEFAULT_PRIORITIES: dict[str, float] = {
    "schools": 0.0,
    "deprivation": 0.0,
    "trend": 0.0,
    "persistence": 0.0,
}

_Float = NDArray[np.float64]
_Int = NDArray[np.int64]
_Bool = NDArray[np.bool_]
_TOL = 1e-9


@dataclass(frozen=True)
class PlanResult:
    """The chosen sites, their footprints, every setting, and optionally all candidates.

    Attributes
    ----------
    sites
        One point per site (EPSG of the incidents), ranked 1..k, with its
        district, ward, score terms, coverage and a one-sentence ``explanation``.
    footprints
        The same sites as circles of `radius` metres (``rank``, ``site_id``,
        ``area_km2``).
    parameters
        Plain JSON-ready settings and results: inputs, solver, objective, bound,
        gap, unconstrained coverage and the cost of the constraints, timings.
    candidates
        Every candidate with its terms (``keep_candidates=True``), else ``None``.
    """

    sites: gpd.GeoDataFrame
    footprints: gpd.GeoDataFrame
    parameters: dict[str, Any]
    candidates: gpd.GeoDataFrame | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: the parameters plus one dict per site (no geometry)."""
        cols = [c for c in self.sites.columns if c != self.sites.geometry.name]
        rows = self.sites[cols].to_dict(orient="records")
        return {**self.parameters, "sites": [_plain(r) for r in rows]}


class PlanInfeasible(HotspotsError):
    """No `k` sites satisfy the plan's limits; `limit` names the one at fault.

    The message names the API's parameters; the attributes let a caller with
    other controls (the dashboard) say it in its own words (0 or None where they
    do not apply):

    - ``"sites"``: only `possible` candidate sites, fewer than `k` (`excluded`
      places left out by `exclude`, when it removed some);
    - ``"required"``: a required `district` (code) has no candidate site;
    - ``"per_district"``: `max_per` a district over `districts` districts with
      candidates holds only `possible` sites;
    - ``"separation"``: no `k` sites are `separation` metres apart;
    - ``"combined"``: the district limit and the required districts together.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: Literal["sites", "required", "per_district", "separation", "combined"],
        k: int,
        possible: int = 0,
        excluded: int = 0,
        district: str | None = None,
        max_per: int | None = None,
        districts: int = 0,
        separation: float = 0.0,
    ):
        super().__init__(message)
        self.limit = limit
        self.k = k
        self.possible = possible
        self.excluded = excluded
        self.district = district
        self.max_per = max_per
        self.districts = districts
        self.separation = separation


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, np.generic):
            value = value.item()
        if value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
            value = None
        out[str(key)] = value
    return out


# --------------------------------------------------------------------------- inputs


def _harm(incidents: gpd.GeoDataFrame, weights: Mapping[str, float] | None) -> _Float:
    """Per-row harm: ``weight`` column x theme multiplier x source multiplier."""
    n = len(incidents)
    base = (
        weight_values(incidents, "weight")
        if "weight" in incidents.columns
        else np.ones(n)
    )
    if not weights:
        return base
    if not isinstance(weights, Mapping):
        raise TypeError(f"`weights` must be a dict, got {type(weights).__name__}.")
    themes = incidents["theme"].astype(str) if "theme" in incidents.columns else None
    sources = incidents["source"].astype(str) if "source" in incidents.columns else None
    known_sources = set(sources.unique()) if sources is not None else set()
    mult = np.ones(n)
    for key, value in weights.items():
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise HotspotsError(
                f"Weight for {key!r} must be a number, got {value!r}."
            ) from None
        if not math.isfinite(w) or w < 0:
            raise HotspotsError(f"Weight for {key!r} must be 0 or more, got {value!r}.")
        kind, _, name = str(key).partition(":")
        if not name or kind not in ("theme", "source"):
            kind, name = "", str(key)
        is_theme = name in THEMES and kind in ("", "theme")
        is_source = name in known_sources and kind in ("", "source")
        if is_theme and is_source:
            raise HotspotsError(
                f"Weight key {key!r} is both a theme and a source; write "
                f"'theme:{name}' or 'source:{name}'."
            )
        if is_theme and themes is not None:
            mult *= np.where(themes.to_numpy() == name, w, 1.0)
        elif is_source and sources is not None:
            mult *= np.where(sources.to_numpy() == name, w, 1.0)
        else:
            raise HotspotsError(
                f"Unknown weight key {key!r}: use a theme ({', '.join(THEMES)}) or a "
                f"source in the selection ({', '.join(sorted(known_sources)) or 'none'})."
            )
    return base * mult


def _priorities(priorities: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_PRIORITIES)
    for key, value in (priorities or {}).items():
        if key not in out:
            raise HotspotsError(
                f"Unknown priority {key!r}; choose from {', '.join(DEFAULT_PRIORITIES)}."
            )
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise HotspotsError(
                f"Priority {key!r} must be a number, got {value!r}."
            ) from None
        if not math.isfinite(w) or w < 0:
            raise HotspotsError(f"Priority {key!r} must be 0 or more, got {value!r}.")
        out[key] = w
    return out


@dataclass(frozen=True)
class _Demand:
    """Distinct locations of the located incidents."""

    xy: _Float  # (L, 2)
    harm: _Float  # (L,)
    count: _Float  # (L,) incidents
    safeguarding: _Float  # (L,) safeguarding incidents
    by_month: _Float  # (L, M) incidents per month
    months: list[pd.Period]
    #: The columns of `by_month` (months) a trend compares: all, or those
    #: every source holds (`plan_sites`' `trend_months`).
    trend_cols: NDArray[np.int64]
    located: int
    unlocated: int


def _demand(
    incidents: gpd.GeoDataFrame,
    harm: _Float,
    months: Sequence[Any] | None = None,
    trend_months: Sequence[Any] | None = None,
) -> _Demand:
    mask = located(incidents)
    if not mask.any():
        raise HotspotsError(
            f"None of the {len(incidents):,} incidents has a location, so there is "
            "nothing to plan; check the geocoding of the source."
        )
    pts = incidents[mask]
    xy = pts.geometry.get_coordinates().to_numpy()
    if not np.isfinite(xy).all():
        raise HotspotsError("Some incident coordinates are NaN or infinite; fix them.")
    frame = pd.DataFrame(xy, columns=["x", "y"])
    code = frame.groupby(["x", "y"], sort=True).ngroup().to_numpy()
    n_loc = int(code.max()) + 1
    loc_xy = np.empty((n_loc, 2))
    loc_xy[code] = xy
    sens = disclosure.safeguarding_rows(pts)
    if "month" in incidents.columns:
        distinct = time_steps(pd.PeriodIndex(incidents["month"], freq="M"), months)
        ordinals = np.asarray(distinct.asi8)
        all_months = list(distinct)
        month = pd.PeriodIndex(pts["month"], freq="M")
        midx = np.searchsorted(ordinals, month.asi8)
        bad = np.asarray(month.isna()) | (midx >= len(ordinals))
        midx = np.where(bad, -1, midx)
    else:
        all_months, midx = [], np.full(len(pts), -1)
    by_month = np.zeros((n_loc, max(1, len(all_months))))
    ok = midx >= 0
    np.add.at(by_month, (code[ok], midx[ok]), 1.0)
    compared = None if trend_months is None else {str(m)[:7] for m in trend_months}
    trend_cols = np.array(
        [i for i, m in enumerate(all_months) if compared is None or str(m) in compared],
        dtype=np.int64,
    )
    return _Demand(
        xy=loc_xy,
        harm=np.bincount(code, weights=harm[mask], minlength=n_loc).astype("float64"),
        count=np.bincount(code, minlength=n_loc).astype("float64"),
        safeguarding=np.bincount(code, weights=sens, minlength=n_loc).astype("float64"),
        by_month=by_month[:, : len(all_months)],
        months=all_months,
        trend_cols=trend_cols,
        located=int(mask.sum()),
        unlocated=int((~mask).sum()),
    )


def _grid_candidates(xy: _Float, radius: float, cell_size: float) -> _Float:
    """Centres of aligned cells with a location within `radius`, ordered (y, x)."""
    reach = math.ceil(radius / cell_size) + 1
    col = np.floor(xy[:, 0] / cell_size).astype("int64")
    row = np.floor(xy[:, 1] / cell_size).astype("int64")
    # one int64 key per cell (row-major), so np.unique sorts south to north, then
    # west to east, and is fast (np.unique with axis=0 is not)
    r0, c0 = int(row.min()) - reach, int(col.min()) - reach
    width = int(col.max()) + reach - c0 + 1
    cells = np.unique((row - r0) * width + (col - c0))
    offs = np.arange(-reach, reach + 1)
    dr, dc = np.meshgrid(offs, offs, indexing="ij")
    keys = np.unique((cells[:, None] + (dr * width + dc).ravel()[None]).ravel())
    near = np.column_stack([keys // width + r0, keys % width + c0])
    centres = (near[:, ::-1] + 0.5) * cell_size
    tree = cKDTree(xy)
    n_hit = tree.query_ball_point(centres, radius, return_length=True, workers=-1)
    keep = np.asarray(n_hit) > 0
    return np.asarray(centres[keep], dtype="float64")


def _coverage(cand: _Float, xy: _Float, radius: float) -> sparse.csr_array:
    """``(C, L)`` 0/1 matrix: candidate j covers location i (distance <= radius)."""
    tree = cKDTree(xy)
    lists = tree.query_ball_point(cand, radius, workers=-1, return_sorted=True)
    lengths = np.fromiter((len(x) for x in lists), dtype="int64", count=len(lists))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = (
        np.concatenate([np.asarray(x, dtype="int64") for x in lists])
        if indptr[-1]
        else np.empty(0, dtype="int64")
    )
    data = np.ones(len(indices))
    return sparse.csr_array((data, indices, indptr), shape=(len(cand), len(xy)))


def _exclusion_mask(
    cand: _Float,
    exclude: gpd.GeoDataFrame | None,
    radius: float,
    crs: Any,
    since: str | pd.Timestamp | None,
) -> tuple[_Bool, int]:
    """True for candidates within `radius` of an excluded place; rows used."""
    out = np.zeros(len(cand), dtype=bool)
    if exclude is None:
        if since is not None:
            raise HotspotsError(
                "`exclude_since` applies to the places of `exclude`; give those too."
            )
        return out, 0
    if not isinstance(exclude, gpd.GeoDataFrame):
        raise TypeError(
            f"`exclude` must be a GeoDataFrame, got {type(exclude).__name__}."
        )
    require_projected(exclude, name="exclude")
    if exclude.crs != crs:
        raise HotspotsError(
            f"`exclude` is in {exclude.crs.name}, the incidents in "
            f"{crs.name if crs is not None else 'no CRS'}; reproject `exclude` first."
        )
    places = exclude[located(exclude)]
    if since is not None:
        try:
            start = pd.Timestamp(since)
        except (ValueError, TypeError):
            raise HotspotsError(
                f"`exclude_since` takes a date such as 2024-01-31, got {since!r}."
            ) from None
        if "date" not in places.columns:
            raise HotspotsError(
                "`exclude_since` needs a date column in the places of `exclude` "
                f"(it has {', '.join(map(str, exclude.columns))}); leave it out to "
                "exclude every place."
            )
        dates = pd.to_datetime(places["date"], errors="coerce")
        places = places[(dates.isna() | (dates >= start)).to_numpy()]
    if places.empty or not len(cand):
        return out, len(places)
    geoms = np.asarray(places.geometry.array)
    tree = shapely.STRtree(geoms)
    pts = shapely.points(cand)
    hit_pt, _ = tree.query(pts, predicate="dwithin", distance=radius)
    out[np.unique(hit_pt)] = True
    return out, len(places)


def _areas(
    xy: _Float, layer: gpd.GeoDataFrame, code: str, name: str
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Code and name of the polygon holding each point (nearest within COAST_SNAP_M)."""
    codes = np.full(len(xy), None, dtype=object)
    names = np.full(len(xy), None, dtype=object)
    if not len(xy) or layer is None or layer.empty:
        return codes, names
    layer = layer.reset_index(drop=True)
    geoms = np.asarray(layer.geometry.array)
    tree = shapely.STRtree(geoms)
    pts = shapely.points(xy)
    p_idx, g_idx = tree.query(pts, predicate="within")
    first = np.full(len(xy), -1, dtype="int64")
    # lowest polygon index wins on shared edges (deterministic)
    order = np.lexsort((g_idx, p_idx))
    p_s, g_s = p_idx[order], g_idx[order]
    keep = np.r_[True, p_s[1:] != p_s[:-1]] if len(p_s) else np.empty(0, dtype=bool)
    first[p_s[keep]] = g_s[keep]
    miss = np.flatnonzero(first < 0)
    if len(miss):
        near_p, near_g = tree.query_nearest(
            pts[miss], max_distance=COAST_SNAP_M, all_matches=False
        )
        first[miss[near_p]] = near_g
    ok = first >= 0
    codes[ok] = layer[code].astype(str).to_numpy()[first[ok]]
    if name in layer.columns:
        names[ok] = layer[name].astype(str).to_numpy()[first[ok]]
    else:
        names[ok] = codes[ok]
    return codes, names


@cache
def _bundled_schools() -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(bundled.SCHOOLS)
    except FileNotFoundError:
        raise HotspotsError(
            f"{bundled.SCHOOLS}: bundled schools file missing. Run `make data`."
        ) from None


@cache
def _bundled_deprivation() -> gpd.GeoDataFrame:
    from hotspots.boundaries import load_boundary

    try:
        table = pd.read_parquet(
            bundled.DEPRIVATION, columns=["lsoa11_code", "imd_decile"]
        )
    except FileNotFoundError:
        raise HotspotsError(
            f"{bundled.DEPRIVATION}: bundled deprivation file missing. Run `make data`."
        ) from None
    lsoa = load_boundary("lsoa2011")[["lsoa11_code", "geometry"]]
    return lsoa.merge(table, on="lsoa11_code", how="left")


def _school_counts(
    xy: _Float, schools: gpd.GeoDataFrame | None, crs: Any
) -> tuple[_Int, _Int]:
    """Schools, and PRUs / alternative provision, within SCHOOL_RADIUS_M of each point."""
    n = len(xy)
    if schools is None or schools.empty or not n:
        return np.zeros(n, dtype="int64"), np.zeros(n, dtype="int64")
    if schools.crs != crs:
        raise HotspotsError(
            f"`schools` is in {schools.crs}, the incidents in {crs}; reproject first."
        )
    sch = schools[located(schools)]
    s_xy = sch.geometry.get_coordinates().to_numpy()
    pru = np.zeros(len(sch), dtype=bool)
    for col in ("pupil_referral_unit", "alternative_provision"):
        if col in sch.columns:
            pru |= sch[col].fillna(False).to_numpy(dtype=bool)
    if not len(s_xy):
        return np.zeros(n, dtype="int64"), np.zeros(n, dtype="int64")
    tree = cKDTree(s_xy)
    lists = tree.query_ball_point(xy, SCHOOL_RADIUS_M, workers=-1)
    total = np.fromiter((len(x) for x in lists), dtype="int64", count=n)
    prus = np.fromiter((int(pru[x].sum()) for x in lists), dtype="int64", count=n)
    return total, prus


def _deciles(xy: _Float, deprivation: gpd.GeoDataFrame | None, crs: Any) -> _Float:
    out = np.full(len(xy), np.nan)
    if deprivation is None or deprivation.empty or not len(xy):
        return out
    if deprivation.crs != crs:
        raise HotspotsError(
            f"`deprivation` is in {deprivation.crs}, the incidents in {crs}; "
            "reproject first."
        )
    if "imd_decile" not in deprivation.columns:
        raise HotspotsError("`deprivation` needs a column `imd_decile` (1..10).")
    layer = deprivation.reset_index(drop=True)
    tree = shapely.STRtree(np.asarray(layer.geometry.array))
    p_idx, g_idx = tree.query(shapely.points(xy), predicate="within")
    order = np.lexsort((-g_idx, p_idx))  # lowest polygon index written last wins
    dec = pd.to_numeric(layer["imd_decile"], errors="coerce").to_numpy(dtype="float64")
    out[p_idx[order]] = dec[g_idx[order]]
    return out


# --------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class _Terms:
    harm: _Float
    incidents: _Float
    safeguarding: _Float
    months_active: _Int
    in_trend: _Float  # incidents of the months the trend compares
    recent: _Float
    ratio: _Float
    schools: _Int
    prus: _Int
    decile: _Float
    schools_term: _Float
    deprivation_term: _Float
    trend_term: _Float
    persistence_term: _Float
    bonus: _Float
    total: _Float


def _terms(
    cover: sparse.csr_array,
    demand: _Demand,
    cand: _Float,
    prio: dict[str, float],
    schools: gpd.GeoDataFrame | None,
    deprivation: gpd.GeoDataFrame | None,
    crs: Any,
) -> _Terms:
    harm = cover @ demand.harm
    count = cover @ demand.count
    monthly = cover @ demand.by_month if demand.months else np.zeros((len(cand), 0))
    months_active = (np.asarray(monthly) > 0).sum(axis=1).astype("int64")
    n_months = len(demand.months)
    # the trend: over the months it compares (all, or those every source holds)
    cols = demand.trend_cols
    t_months = len(cols)
    _, recent_months = recent_split([demand.months[i] for i in cols])
    r_m = len(recent_months)
    by_col = np.asarray(monthly)
    in_trend = by_col[:, cols].sum(axis=1) if t_months else np.zeros(len(cand))
    recent = (
        by_col[:, cols[t_months - r_m :]].sum(axis=1) if r_m else np.zeros(len(cand))
    )
    earlier = in_trend - recent
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            (r_m > 0) & (earlier > 0),
            (recent / max(r_m, 1)) / (earlier / max(t_months - r_m, 1)),
            np.where((r_m > 0) & (recent > 0), np.inf, np.nan),
        )  # as profile.trend_test: inf when only the recent months have incidents
    if r_m:
        p_up = stats.binom.sf(recent - 1, in_trend, r_m / t_months)
        rising = (
            (in_trend >= MIN_TREND_INCIDENTS)
            & (p_up < TREND_ALPHA_ONE_SIDED)
            & (ratio > 1)
        )
    else:
        rising = np.zeros(len(cand), dtype=bool)
    trend_term = np.where(rising, np.clip(np.nan_to_num(ratio) - 1, 0, 1), 0.0)
    persistence_term = months_active / n_months if n_months else np.zeros(len(cand))
    need_schools = prio["schools"] > 0
    n_sch, n_pru = (
        _school_counts(cand, schools, crs)
        if need_schools
        else (np.zeros(len(cand), "int64"), np.zeros(len(cand), "int64"))
    )
    schools_term = np.minimum(n_sch + n_pru, SCHOOLS_FULL) / SCHOOLS_FULL
    decile = (
        _deciles(cand, deprivation, crs)
        if prio["deprivation"] > 0
        else np.full(len(cand), np.nan)
    )
    deprivation_term = np.where(np.isfinite(decile), (10 - decile) / 9, 0.0)
    scale = float(harm.max()) if len(harm) else 0.0
    bonus = scale * (
        prio["schools"] * schools_term
        + prio["deprivation"] * deprivation_term
        + prio["trend"] * trend_term
        + prio["persistence"] * persistence_term
    )
    return _Terms(
        harm=harm,
        incidents=count,
        safeguarding=cover @ demand.safeguarding,
        months_active=months_active,
        in_trend=in_trend,
        recent=recent,
        ratio=ratio,
        schools=n_sch,
        prus=n_pru,
        decile=decile,
        schools_term=schools_term,
        deprivation_term=deprivation_term,
        trend_term=trend_term,
        persistence_term=persistence_term,
        bonus=bonus,
        total=harm + bonus,
    )


# --------------------------------------------------------------------------- solvers


@dataclass(frozen=True)
class _Rules:
    k: int
    separation: float
    max_per: int | None
    group: _Int  # (C,) district index, -1 = none
    required: tuple[int, ...]  # district indices
    allowed: _Bool  # (C,) not excluded


def _value(
    cover: sparse.csr_array, h: _Float, bonus: _Float, chosen: Sequence[int]
) -> float:
    if not len(chosen):
        return 0.0
    hit = np.zeros(cover.shape[1], dtype=bool)
    sub = cover[np.asarray(chosen)]
    hit[sub.indices] = True
    return float(h[hit].sum() + bonus[np.asarray(chosen)].sum())


def _greedy(
    cover: sparse.csr_array, h: _Float, bonus: _Float, xy: _Float, rules: _Rules
) -> tuple[list[int], str | None]:
    """Greedy picks (ties -> lower id) and the reason it stopped short, if any."""
    allowed = rules.allowed.copy()
    uncovered = np.ones(cover.shape[1], dtype=bool)
    chosen: list[int] = []
    per: dict[int, int] = {}
    req = set(rules.required)
    for step in range(rules.k):
        unmet = req - set(per)
        mask = allowed.copy()
        if unmet and len(unmet) >= rules.k - step:
            mask &= np.isin(rules.group, sorted(unmet))
        if not mask.any():
            if unmet and len(unmet) >= rules.k - step:
                return chosen, "require_districts"
            return chosen, "min_separation" if rules.separation > 0 else "k"
        gains = cover @ (h * uncovered) + bonus
        gains = np.where(mask, gains, -np.inf)
        j = int(np.argmax(gains))
        chosen.append(j)
        uncovered[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]] = False
        allowed[j] = False
        if rules.separation > 0:
            d = np.hypot(xy[:, 0] - xy[j, 0], xy[:, 1] - xy[j, 1])
            allowed &= d >= rules.separation - _TOL
        g = int(rules.group[j])
        per[g] = per.get(g, 0) + 1
        if rules.max_per is not None and g >= 0 and per[g] >= rules.max_per:
            allowed &= rules.group != g
    return chosen, None


def _online_bound(
    cover: sparse.csr_array,
    h: _Float,
    bonus: _Float,
    chosen: Sequence[int],
    rules: _Rules,
) -> float:
    """``f(S) + max sum of k marginal gains`` (at most max_per per district)."""
    uncovered = np.ones(cover.shape[1], dtype=bool)
    if len(chosen):
        uncovered[cover[np.asarray(chosen)].indices] = False
    gains = cover @ (h * uncovered) + bonus
    gains[np.asarray(chosen, dtype="int64")] = 0.0
    gains = np.where(rules.allowed, gains, 0.0)
    order = np.lexsort((np.arange(len(gains)), -gains))
    total, taken, per = 0.0, 0, dict[int, int]()
    for j in order:
        if taken >= rules.k or gains[j] <= 0:
            break
        g = int(rules.group[j])
        if rules.max_per is not None and g >= 0 and per.get(g, 0) >= rules.max_per:
            continue
        per[g] = per.get(g, 0) + 1
        total += float(gains[j])
        taken += 1
    return _value(cover, h, bonus, chosen) + total


@dataclass(frozen=True)
class _Model:
    cand: _Int  # candidate ids in the model
    loc: _Int  # location ids in the model
    c: _Float  # minimise c @ [x, y]
    a_ub: sparse.csr_array
    b_ub: _Float
    a_eq: sparse.csr_array
    n_demand_rows: int
    max_rows: dict[int, int]  # district -> row in a_ub
    req_rows: dict[int, int]


def _build(
    ids: _Int,
    cover: sparse.csr_array,
    h: _Float,
    bonus: _Float,
    xy: _Float,
    rules: _Rules,
) -> _Model:
    sub = cover[ids]
    loc = np.unique(sub.indices)
    n, m = len(ids), len(loc)
    sub = sub[:, loc].tocsr()
    rows: list[sparse.csr_array] = []
    rhs: list[_Float] = []
    # y_i - sum_j x_j <= 0
    rows.append(sparse.hstack([-sub.T, sparse.eye_array(m)], format="csr"))
    rhs.append(np.zeros(m))
    extra_r, extra_c, extra_b = [], [], []
    r = 0
    max_rows: dict[int, int] = {}
    req_rows: dict[int, int] = {}
    grp = rules.group[ids]
    if rules.separation > 0 and n > 1:
        tree = cKDTree(xy[ids])
        pairs = tree.query_pairs(rules.separation, output_type="ndarray")
        if len(pairs):
            d = np.hypot(*(xy[ids[pairs[:, 0]]] - xy[ids[pairs[:, 1]]]).T)
            pairs = pairs[d < rules.separation - _TOL]
        for a, b in pairs:
            extra_r += [r, r]
            extra_c += [int(a), int(b)]
            extra_b.append(1.0)
            r += 1
        # clique rows: candidates within separation/2 of one are pairwise too close
        seen: set[tuple[int, ...]] = set()
        for members in tree.query_ball_point(xy[ids], rules.separation / 2 - _TOL):
            clique = tuple(sorted(members))
            if len(clique) >= 3 and clique not in seen:
                seen.add(clique)
                extra_r += [r] * len(clique)
                extra_c += list(clique)
                extra_b.append(1.0)
                r += 1
    if rules.max_per is not None:
        for g in sorted(set(grp[grp >= 0].tolist())):
            members = np.flatnonzero(grp == g)
            if len(members) > rules.max_per:
                max_rows[g] = r
                extra_r += [r] * len(members)
                extra_c += members.tolist()
                extra_b.append(float(rules.max_per))
                r += 1
    for g in rules.required:
        members = np.flatnonzero(grp == g)
        req_rows[g] = r
        extra_r += [r] * len(members)
        extra_c += members.tolist()
        extra_b.append(-1.0)
        r += 1
    vals = np.ones(len(extra_r))
    for row in req_rows.values():
        vals[np.asarray(extra_r) == row] = -1.0
    extra = sparse.csr_array(
        (vals, (np.asarray(extra_r, "int64"), np.asarray(extra_c, "int64"))),
        shape=(r, n + m),
    )
    a_ub = sparse.vstack([rows[0], extra], format="csr")
    b_ub = np.concatenate([rhs[0], np.asarray(extra_b, dtype="float64")])
    a_eq = sparse.csr_array(
        (np.ones(n), (np.zeros(n, "int64"), np.arange(n))), shape=(1, n + m)
    )
    c = -np.concatenate([bonus[ids], h[loc]])
    return _Model(
        cand=ids,
        loc=loc,
        c=c,
        a_ub=a_ub,
        b_ub=b_ub,
        a_eq=a_eq,
        n_demand_rows=m,
        max_rows={g: m + row for g, row in max_rows.items()},
        req_rows={g: m + row for g, row in req_rows.items()},
    )


def _lp_price(
    model: _Model,
    cover: sparse.csr_array,
    h: _Float,
    bonus: _Float,
    rules: _Rules,
) -> tuple[float, float, _Float] | None:
    """LP optimum, Lagrangian bound over all candidates, and all reduced costs.

    Reduced costs are in minimisation form (negative = attractive). Returns None when the LP is infeasible or fails.
    """
    n = len(model.cand)
    res = linprog(
        model.c,
        A_ub=model.a_ub,
        b_ub=model.b_ub,
        A_eq=model.a_eq,
        b_eq=np.array([float(rules.k)]),
        bounds=(0, 1),
        method="highs",
    )
    if res.status != 0:
        return None
    pi_ub = np.minimum(np.asarray(res.ineqlin.marginals, dtype="float64"), 0.0)
    pi_k = float(res.eqlin.marginals[0])
    # duals of every location's covering row; rows not in the model: -h_i
    pi_loc = -h.copy()
    pi_loc[model.loc] = pi_ub[: model.n_demand_rows]
    rc = -bonus + cover @ pi_loc - pi_k
    grp = rules.group
    for g, row in model.max_rows.items():
        rc -= np.where(grp == g, pi_ub[row], 0.0)
    for g, row in model.req_rows.items():
        rc += np.where(grp == g, pi_ub[row], 0.0)
    # model columns: exact reduced costs from the model's own rows
    a_full = sparse.vstack([model.a_ub, model.a_eq], format="csc")
    pi_all = np.concatenate([pi_ub, [pi_k]])
    rc_model = model.c - a_full.T @ pi_all
    rc[model.cand] = rc_model[:n]
    rc = np.where(rules.allowed, rc, 0.0)
    rc_y = -h - pi_loc
    rc_y[model.loc] = rc_model[n:]
    lagr = float(
        pi_ub @ model.b_ub
        + pi_k * rules.k
        + np.minimum(rc, 0.0).sum()
        + np.minimum(rc_y, 0.0).sum()
    )
    return -float(res.fun), -lagr, rc


def _exact(
    cover: sparse.csr_array,
    h: _Float,
    bonus: _Float,
    total: _Float,
    xy: _Float,
    rules: _Rules,
    seeds: Sequence[int],
    time_limit: float,
) -> dict[str, Any]:
    """Column generation on the LP, then the integer program on the final model."""
    ids_all = np.flatnonzero(rules.allowed)
    order = ids_all[np.lexsort((ids_all, -total[ids_all]))]
    pick = set(order[:MODEL_CANDIDATES].tolist()) | {int(s) for s in seeds}
    if rules.max_per is not None or rules.required:
        grp = rules.group[order]
        for g in np.unique(grp[grp >= 0]):
            pick |= set(order[grp == g][:MODEL_PER_DISTRICT].tolist())
    ids = np.asarray(sorted(pick), dtype="int64")
    lagr_bound = math.inf
    rounds = 0
    t0 = time.perf_counter()
    model = _build(ids, cover, h, bonus, xy, rules)
    while True:
        priced = _lp_price(model, cover, h, bonus, rules)
        if priced is None:
            break
        _, lb, rc = priced
        lagr_bound = min(lagr_bound, lb)
        rc_out = rc.copy()
        rc_out[model.cand] = 0.0
        new = np.flatnonzero(rc_out < -1e-7 * max(1.0, float(h.sum())))
        if not len(new) or rounds >= PRICING_ROUNDS:
            break
        if time.perf_counter() - t0 > time_limit / 2:
            break
        new = new[np.lexsort((new, rc_out[new]))][:PRICING_COLUMNS]
        ids = np.union1d(ids, new)
        model = _build(ids, cover, h, bonus, xy, rules)
        rounds += 1
    n = len(model.cand)
    nvar = len(model.c)
    integrality = np.zeros(nvar)
    integrality[:n] = 1
    cons = [
        LinearConstraint(model.a_ub, -np.inf, model.b_ub),
        LinearConstraint(model.a_eq, rules.k, rules.k),
    ]
    remaining = max(1.0, time_limit - (time.perf_counter() - t0))
    res = milp(
        model.c,
        constraints=cons,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": remaining, "mip_rel_gap": 1e-7, "disp": False},
    )
    chosen: list[int] = []
    if res.x is not None:
        chosen = sorted(model.cand[np.flatnonzero(res.x[:n] > 0.5)].tolist())
    dual = getattr(res, "mip_dual_bound", None)
    return {
        "chosen": chosen,
        "status": int(res.status),
        "message": str(res.message),
        "optimal": res.status == 0,
        "model_bound": -float(dual) if dual is not None and np.isfinite(dual) else None,
        "lagrangian_bound": lagr_bound if math.isfinite(lagr_bound) else None,
        "model_candidates": int(n),
        "model_locations": len(model.loc),
        "pricing_rounds": rounds,
    }


def _rank(
    chosen: Sequence[int], cover: sparse.csr_array, h: _Float, bonus: _Float
) -> tuple[list[int], list[float]]:
    """Order the sites by greedy marginal gain within the set (ties -> lower id)."""
    left = sorted(int(j) for j in chosen)
    uncovered = np.ones(cover.shape[1], dtype=bool)
    ranked: list[int] = []
    gains: list[float] = []
    while left:
        g = [
            float(
                h[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]][
                    uncovered[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]]
                ].sum()
            )
            + float(bonus[j])
            for j in left
        ]
        i = int(np.argmax(g))
        j = left.pop(i)
        ranked.append(j)
        gains.append(g[i])
        uncovered[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]] = False
    return ranked, gains


# --------------------------------------------------------------------------- API


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise HotspotsError(f"`{name}` must be a whole number, got {value!r}.")
    if value < minimum:
        raise HotspotsError(f"`{name}` must be at least {minimum}, got {value!r}.")
    return int(value)


def _check_float(name: str, value: Any, *, positive: bool) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise HotspotsError(
            f"`{name}` must be a number of metres, got {value!r}."
        ) from None
    if not math.isfinite(v) or (v <= 0 if positive else v < 0):
        need = "greater than 0" if positive else "0 or more"
        raise HotspotsError(f"`{name}` must be {need} metres, got {value!r}.")
    return v


def plan_sites(
    incidents: gpd.GeoDataFrame,
    *,
    k: int = 6,
    radius: float = 300.0,
    weights: Mapping[str, float] | None = None,
    min_separation: float | None = None,
    max_per_district: int | None = None,
    require_districts: Sequence[str] | None = None,
    exclude: gpd.GeoDataFrame | None = None,
    exclude_since: str | pd.Timestamp | None = None,
    priorities: Mapping[str, float] | None = None,
    method: Literal["auto", "greedy", "exact"] = "auto",
    time_limit: float = 10.0,
    cell_size: float = CELL_SIZE_M,
    districts: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    schools: gpd.GeoDataFrame | None = None,
    deprivation: gpd.GeoDataFrame | None = None,
    keep_candidates: bool = False,
    months: Sequence[Any] | None = None,
    trend_months: Sequence[Any] | None = None,
) -> PlanResult:
    """Choose `k` street-week sites covering the most weighted harm, and explain them.

    See the module docstring for the exact formulas (demand, coverage, priority
    terms, objective, solvers, bound and gap).

    Parameters
    ----------
    incidents
        The selection's canonical incidents in a projected metre CRS (EPSG:27700).
        Unlocated rows count in the totals only; safeguarding rows are counted
        and weighted but never output as points.
    k
        Number of sites (at least 1). Default 6.
    radius
        Footprint radius in metres (the parameter that matters most): a site
        covers the incidents within this distance of its centre. Default 300 m.
    weights
        Harm multiplier per theme or source, e.g. ``{"drugs & county lines": 2,
        "council ASB log": 0.5}`` (``"theme:NAME"`` / ``"source:NAME"`` when a
        name is both). Multiplies the ``weight`` column. ``None``: all 1.
    min_separation
        Least distance between two sites, in metres; ``None`` means
        ``2 x radius`` (footprints never overlap); 0 turns it off.
    max_per_district
        At most this many sites in one district; ``None``: no limit.
    require_districts
        District (LAD) codes that must each get at least one site; ``None``: none.
    exclude
        Places to leave out (points or polygons, same CRS): no site centre within
        `radius` of them. An optional ``date`` column is used with `exclude_since`.
    exclude_since
        Only exclusions dated on or after this (rows without a date always
        apply); ``None``: every row applies.
    priorities
        Weights of the optional terms ``schools``, ``deprivation``, ``trend``,
        ``persistence`` (default 0 each = off); see the module docstring.
    method
        ``"greedy"``, ``"exact"`` (integer program) or ``"auto"`` (exact unless
        the model is too large, then greedy). Default ``"auto"``.
    time_limit
        Seconds the exact solver may take (LP pricing and integer program
        together). Default 10 s; the best solution found so far is used after it.
    cell_size
        Side of the candidate grid cells in metres. Default 100 m.
    districts, wards
        Boundary layers (``lad_code``/``lad_name``, ``ward_code``/``ward_name``);
        ``None``: the bundled Kent & Medway layers.
    schools
        Points with ``pupil_referral_unit`` / ``alternative_provision`` flags;
        ``None``: the bundled schools (data/schools.parquet).
    deprivation
        Polygons with ``imd_decile``; ``None``: the bundled 2011 LSOAs with IMD 2019.
    keep_candidates
        Also return every candidate with its terms. Default False.
    months
        The selection's months (``YYYY-MM``): the time steps of each site's
        months active, trend and persistence. Give every month of the data in
        the selection's range, so that a month without an incident of the
        selection counts as none; default the months of the incidents.
    trend_months
        The months each site's trend compares, when not all of `months`: with
        sources that cover different months, those every source of the
        selection holds (`hotspots.dates.selection_months`), so that a month
        one source lacks is not read as a rise. Default `months`.

    Returns
    -------
    PlanResult
        ``sites`` (ranked points with ``rank, site_id, x, y, lad_code, lad_name,
        ward_code, ward_name, incidents, harm, share, safeguarding, new_harm,
        schools_400m, prus_400m, imd_decile, months_active, trend, trend_ratio,
        harm_term, schools_term, deprivation_term, trend_term,
        persistence_term, bonus, total, explanation``), ``footprints``,
        ``parameters`` and optionally ``candidates``. Rank 1 is the site with the
        largest total; each next rank adds the most harm not yet covered
        (``new_harm``), ties to the lower ``site_id``.
    """
    started = time.perf_counter()
    require_points(incidents, name="incidents")
    if len(incidents) == 0:
        raise HotspotsError("`incidents` is empty: select some incidents first.")
    k = _check_int("k", k, 1)
    radius = _check_float("radius", radius, positive=True)
    cell_size = _check_float("cell_size", cell_size, positive=True)
    separation = (
        2 * radius
        if min_separation is None
        else _check_float("min_separation", min_separation, positive=False)
    )
    max_per = (
        None
        if max_per_district is None
        else _check_int("max_per_district", max_per_district, 1)
    )
    time_limit = _check_float("time_limit", time_limit, positive=True)
    if method not in ("auto", "greedy", "exact"):
        raise HotspotsError(
            f"`method` must be 'auto', 'greedy' or 'exact', got {method!r}."
        )
    prio = _priorities(priorities)
    harm_rows = _harm(incidents, weights)
    demand = _demand(incidents, harm_rows, months, trend_months)
    crs = incidents.crs

    # boundaries
    from hotspots.boundaries import load_boundary

    dist_layer = load_boundary("districts") if districts is None else districts
    ward_layer = load_boundary("wards") if wards is None else wards
    for name, layer, col in (
        ("districts", dist_layer, "lad_code"),
        ("wards", ward_layer, "ward_code"),
    ):
        if col not in layer.columns:
            raise HotspotsError(f"`{name}` needs a column `{col}`.")
        if layer.crs != crs:
            raise HotspotsError(
                f"`{name}` is in {layer.crs}, the incidents in {crs}; reproject first."
            )
    known = sorted(set(dist_layer["lad_code"].astype(str)))
    if isinstance(require_districts, str):
        require_districts = [require_districts]
    required = list(dict.fromkeys(str(c) for c in require_districts or []))
    unknown = [c for c in required if c not in known]
    if unknown:
        from hotspots.boundaries import load_boundary

        names = dict(
            load_boundary("districts")[["lad_code", "lad_name"]].astype(str).values
        )

        def named(codes: list[str]) -> str:
            return ", ".join(f"{names.get(c, c)} ({c})" for c in codes)

        raise HotspotsError(
            f"`require_districts` asks for a site in {named(unknown)}, not among the "
            f"districts planned for: {named(known)}. Add it to the districts, or "
            "leave it out."
        )
    if len(required) > k:
        raise HotspotsError(
            f"`require_districts` asks for {len(required)} districts but k = {k}; "
            "raise k or require fewer districts."
        )

    # candidates and coverage
    cand = _grid_candidates(demand.xy, radius, cell_size)
    cover = _coverage(cand, demand.xy, radius)
    excluded, n_exclude = _exclusion_mask(cand, exclude, radius, crs, exclude_since)
    lad, lad_name = _areas(cand, dist_layer, "lad_code", "lad_name")
    code_index = {c: i for i, c in enumerate(known)}
    group = np.fromiter(
        (code_index.get(c, -1) if c is not None else -1 for c in lad),
        dtype="int64",
        count=len(lad),
    )
    if prio["schools"] > 0 and schools is None:
        schools = _bundled_schools()
    if prio["deprivation"] > 0 and deprivation is None:
        deprivation = _bundled_deprivation()
    terms = _terms(cover, demand, cand, prio, schools, deprivation, crs)
    h, bonus = demand.harm, terms.bonus
    if not (terms.total > 0).any():
        raise HotspotsError(
            "Every incident has harm 0 under these weights; give some theme or "
            "source a weight above 0."
        )
    allowed = ~excluded & (group >= 0)
    rules = _Rules(
        k=k,
        separation=separation,
        max_per=max_per,
        group=group,
        required=tuple(code_index[c] for c in required),
        allowed=allowed,
    )
    _feasible_or_raise(rules, known, k, n_exclude)

    free = _Rules(
        k=k,
        separation=0.0,
        max_per=None,
        group=group,
        required=(),
        allowed=np.ones(len(cand), dtype=bool),
    )
    use_exact = method == "exact" or (
        method == "auto" and cover.nnz <= MAX_PRICING_NONZEROS
    )
    greedy, why = _greedy(cover, h, bonus, cand, rules)
    free_greedy, _ = _greedy(cover, h, bonus, cand, free)
    info: dict[str, Any] = {}
    chosen = greedy if why is None else []
    solver = "greedy"
    bound = _online_bound(cover, h, bonus, greedy, rules) if why is None else math.inf
    free_chosen = free_greedy
    free_bound = _online_bound(cover, h, bonus, free_greedy, free)
    if use_exact:
        info = _exact(cover, h, bonus, terms.total, cand, rules, greedy, time_limit)
        if info["status"] == 2 and not info["chosen"]:
            _raise_infeasible(cover, h, bonus, terms.total, cand, rules, time_limit)
        v_exact = _value(cover, h, bonus, info["chosen"]) if info["chosen"] else None
        v_greedy = _value(cover, h, bonus, chosen) if chosen else None
        if v_exact is not None and (v_greedy is None or v_exact > v_greedy + _TOL):
            chosen = info["chosen"]
            solver = "exact (HiGHS MILP)" if info["optimal"] else "exact (time limit)"
        elif chosen and info["optimal"]:
            # equal value: keep greedy's set, whose ties went to the lower id
            solver = "exact (HiGHS MILP): greedy's sites are optimal"
        elif chosen:
            solver = "greedy (exact stopped at the time limit, no better)"
        if chosen:
            bound = min(bound, _online_bound(cover, h, bonus, chosen, rules))
        if info.get("lagrangian_bound") is not None:
            bound = min(bound, info["lagrangian_bound"])
        free_info = _exact(
            cover, h, bonus, terms.total, cand, free, free_greedy, time_limit
        )
        if free_info["chosen"] and _value(
            cover, h, bonus, free_info["chosen"]
        ) > _value(cover, h, bonus, free_greedy):
            free_chosen = free_info["chosen"]
        if free_info.get("lagrangian_bound") is not None:
            free_bound = min(free_bound, free_info["lagrangian_bound"])
    if not chosen:
        _raise_infeasible(cover, h, bonus, terms.total, cand, rules, time_limit)

    ranked, gains = _rank(chosen, cover, h, bonus)
    objective = _value(cover, h, bonus, ranked)
    harm_cov = _value(cover, h, np.zeros_like(bonus), ranked)
    free_harm = _value(cover, h, np.zeros_like(bonus), free_chosen)
    free_obj = _value(cover, h, bonus, free_chosen)
    hit = np.zeros(len(h), dtype=bool)
    hit[cover[np.asarray(ranked)].indices] = True

    sites = _site_frame(
        ranked, gains, cand, cover, terms, demand, lad, lad_name, ward_layer,
        radius, crs, schools, deprivation,
    )  # fmt: skip
    footprints = gpd.GeoDataFrame(
        {
            "rank": sites["rank"].to_numpy(),
            "site_id": sites["site_id"].to_numpy(),
            "lad_code": sites["lad_code"].to_numpy(),
            "area_km2": np.full(len(sites), math.pi * radius**2 / 1e6),
        },
        geometry=shapely.buffer(np.asarray(sites.geometry.array), radius, quad_segs=32),
        crs=crs,
    )
    total_harm = float(h.sum())
    params: dict[str, Any] = {
        "k": k,
        "radius_m": radius,
        "cell_size_m": cell_size,
        "candidates": "grid cell centres with an incident within the radius",
        "weights": dict(weights or {}),
        "min_separation_m": separation,
        "max_per_district": max_per,
        "require_districts": required,
        "exclusions": n_exclude,
        "exclude_since": None if exclude_since is None else str(exclude_since),
        "priorities": prio,
        "method": method,
        "solver": solver,
        "objective": objective,
        "harm_covered": harm_cov,
        "harm_total": total_harm,
        "harm_share": harm_cov / total_harm if total_harm else None,
        "incidents_covered": int(demand.count[hit].sum()),
        "incidents_located": demand.located,
        "incidents_unlocated": demand.unlocated,
        "safeguarding_covered": int(demand.safeguarding[hit].sum()),
        "bound": bound if math.isfinite(bound) else None,
        "gap": (bound - objective) / bound
        if math.isfinite(bound) and bound > 0
        else None,
        "model_bound": info.get("model_bound"),
        "model_status": info.get("message"),
        "model_candidates": info.get("model_candidates"),
        "model_locations": info.get("model_locations"),
        "pricing_rounds": info.get("pricing_rounds"),
        "greedy_objective": _value(cover, h, bonus, greedy) if why is None else None,
        "unconstrained_objective": free_obj,
        "unconstrained_harm": free_harm,
        "unconstrained_bound": free_bound,
        "constraint_cost_harm": free_harm - harm_cov,
        "constraint_cost_share": (free_harm - harm_cov) / free_harm
        if free_harm
        else None,
        "constraint_cost_objective": free_obj - objective,
        "n_candidates": len(cand),
        "n_excluded_candidates": int(excluded.sum()),
        "n_candidates_outside_districts": int((group < 0).sum()),
        "sources": _counts(incidents, "source"),
        "themes": _counts(incidents, "theme"),
        "n_locations": len(h),
        "months": [str(m) for m in demand.months],
        "trend_months": [str(demand.months[i]) for i in demand.trend_cols],
        "seconds": time.perf_counter() - started,
    }
    cands = None
    if keep_candidates:
        cands = gpd.GeoDataFrame(
            {
                "site_id": np.arange(len(cand)),
                "lad_code": lad,
                "harm": terms.harm,
                "incidents": terms.incidents.astype("int64"),
                "schools_term": terms.schools_term,
                "deprivation_term": terms.deprivation_term,
                "trend_term": terms.trend_term,
                "persistence_term": terms.persistence_term,
                "bonus": terms.bonus,
                "total": terms.total,
                "excluded": excluded,
            },
            geometry=gpd.points_from_xy(cand[:, 0], cand[:, 1]),
            crs=crs,
        )
    log.info(
        "Planned %d sites with %s: %.0f of %.0f harm covered (gap %s)",
        k, solver, harm_cov, total_harm, params["gap"],
    )  # fmt: skip
    return PlanResult(
        sites=sites, footprints=footprints, parameters=params, candidates=cands
    )


def _counts(frame: pd.DataFrame, col: str) -> dict[str, int]:
    if col not in frame.columns:
        return {}
    counts = frame[col].astype(str).value_counts().sort_index()
    return {str(key): int(n) for key, n in counts.items()}


def _feasible_or_raise(rules: _Rules, known: list[str], k: int, n_exclude: int) -> None:
    """Cheap checks that name the constraint that makes k sites impossible."""
    n_ok = int(rules.allowed.sum())
    if n_ok < k:
        why = (
            f" after `exclude` ({n_exclude} places) removed the rest"
            if n_exclude
            else " inside the districts"
        )
        raise PlanInfeasible(
            f"Only {n_ok} candidate sites remain{why}, fewer than k = {k}; lower `k`, "
            "enlarge the selection or exclude fewer places.",
            limit="sites",
            k=k,
            possible=n_ok,
            excluded=n_exclude,
        )
    for g in rules.required:
        if not (rules.allowed & (rules.group == g)).any():
            raise PlanInfeasible(
                f"`require_districts`: district {known[g]} has no candidate site "
                "(no incident there, or all excluded); drop it from the list.",
                limit="required",
                k=k,
                district=known[g],
            )
    if rules.max_per is not None:
        groups = set(rules.group[rules.allowed].tolist())
        cap = sum(
            min(rules.max_per, int((rules.allowed & (rules.group == g)).sum()))
            for g in groups
            if g >= 0
        ) + int((rules.allowed & (rules.group < 0)).sum())
        if cap < k:
            raise PlanInfeasible(
                f"`max_per_district` = {rules.max_per}: "
                f"{plural(len(groups), 'district')} with candidates can hold only "
                f"{plural(cap, 'site')}, fewer than k = {k}; raise "
                "`max_per_district` or lower `k`.",
                limit="per_district",
                k=k,
                possible=cap,
                max_per=rules.max_per,
                districts=len(groups),
            )


def _raise_infeasible(
    cover: sparse.csr_array,
    h: _Float,
    bonus: _Float,
    total: _Float,
    xy: _Float,
    rules: _Rules,
    time_limit: float,
) -> None:
    """Name the constraint that makes k sites impossible (separation vs districts)."""
    if rules.separation > 0:
        relaxed = _Rules(
            k=rules.k,
            separation=0.0,
            max_per=rules.max_per,
            group=rules.group,
            required=rules.required,
            allowed=rules.allowed,
        )
        _, why = _greedy(cover, h, bonus, xy, relaxed)
        if why is None:
            raise PlanInfeasible(
                f"No {rules.k} sites can be placed at least `min_separation` = "
                f"{rules.separation:g} m apart under the other constraints; lower "
                "`min_separation` or `k`.",
                limit="separation",
                k=rules.k,
                separation=rules.separation,
            )
    raise PlanInfeasible(
        f"No {rules.k} sites satisfy `max_per_district` and `require_districts` "
        "together; relax one of them or lower `k`.",
        limit="combined",
        k=rules.k,
        max_per=rules.max_per,
    )


def _site_frame(
    ranked: list[int],
    gains: list[float],
    cand: _Float,
    cover: sparse.csr_array,
    terms: _Terms,
    demand: _Demand,
    lad: NDArray[np.object_],
    lad_name: NDArray[np.object_],
    ward_layer: gpd.GeoDataFrame,
    radius: float,
    crs: Any,
    schools: gpd.GeoDataFrame | None,
    deprivation: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    idx = np.asarray(ranked, dtype="int64")
    xy = cand[idx]
    ward, ward_name = _areas(xy, ward_layer, "ward_code", "ward_name")
    if schools is None:
        try:
            schools = _bundled_schools()
        except HotspotsError:
            schools = None
    if deprivation is None:
        try:
            deprivation = _bundled_deprivation()
        except HotspotsError:
            deprivation = None
    n_sch, n_pru = _school_counts(xy, schools, crs)
    decile = _deciles(xy, deprivation, crs)
    months = demand.months
    compared = [months[i] for i in demand.trend_cols]
    earlier, recent = recent_split(compared)
    area = math.pi * radius**2 / 1e6
    rows = []
    for pos, j in enumerate(idx):
        n = int(terms.incidents[j])
        rec = int(terms.recent[j])
        ratio, p, label = trend_test(
            rec, int(terms.in_trend[j]), recent_months=len(recent),
            all_months=len(compared),
        )  # fmt: skip
        share = n / demand.located
        text = (
            f"Covers {n:,} incidents ({share:.1%} of the {demand.located:,} located "
            f"in the selection) in {area:.2f} km²"
        )
        if abs(terms.harm[j] - n) > 1e-9:
            text += f", weighted harm {terms.harm[j]:,.1f}"
        sg = int(terms.safeguarding[j])
        text += f"; {sg} safeguarding concern{'s' if sg != 1 else ''}"
        text += (
            f"; {int(n_sch[pos])} school{'s' if n_sch[pos] != 1 else ''} within "
            f"{SCHOOL_RADIUS_M:.0f} m"
        )
        if n_pru[pos]:
            text += f" ({int(n_pru[pos])} PRU or alternative provision)"
        if recent and np.isfinite(ratio):
            change = ratio - 1
            span = _span(earlier)
            text += (
                f"; monthly rate {'up' if change >= 0 else 'down'} "
                f"{abs(change):.0%} in {_span(recent)} on {span} ({label})"
            )
        elif recent:
            text += f"; trend {label}"
        text += f"; active in {int(terms.months_active[j])} of {len(months)} months"
        if np.isfinite(decile[pos]):
            text += f"; IMD decile {int(decile[pos])}"
        rows.append(
            {
                "rank": pos + 1,
                "site_id": int(j),
                "x": float(xy[pos, 0]),
                "y": float(xy[pos, 1]),
                "lad_code": lad[j],
                "lad_name": lad_name[j],
                "ward_code": ward[pos],
                "ward_name": ward_name[pos],
                "incidents": n,
                "harm": float(terms.harm[j]),
                "share": share,
                "safeguarding": sg,
                "new_harm": float(gains[pos] - terms.bonus[j]),
                "schools_400m": int(n_sch[pos]),
                "prus_400m": int(n_pru[pos]),
                "imd_decile": decile[pos],
                "months_active": int(terms.months_active[j]),
                "recent_incidents": rec,
                "trend": label,
                "trend_ratio": float(ratio),
                "trend_p": float(p),
                "harm_term": float(terms.harm[j]),
                "schools_term": float(terms.schools_term[j]),
                "deprivation_term": float(terms.deprivation_term[j]),
                "trend_term": float(terms.trend_term[j]),
                "persistence_term": float(terms.persistence_term[j]),
                "bonus": float(terms.bonus[j]),
                "total": float(terms.total[j]),
                "explanation": text + ".",
            }
        )
    frame = pd.DataFrame(rows)
    for col in (
        "lad_code",
        "lad_name",
        "ward_code",
        "ward_name",
        "trend",
        "explanation",
    ):
        frame[col] = frame[col].astype("string")
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs
    )


def _span(months: Sequence[pd.Period]) -> str:
    if not months:
        return ""
    first, last = str(months[0]), str(months[-1])
    return first if first == last else f"{first}..{last}"
