"""Describe hotspot polygons by the incidents inside them: mix, months, trend, areas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom, binomtest

from hotspots._points import known_facts, position_codes
from hotspots._validate import HotspotsError, require_points
from hotspots.dates import time_steps
from hotspots.grid import located

#: Fewer incidents than this in a hotspot and the trend is not tested.
MIN_TREND_INCIDENTS = 10
#: Significance level of the trend test.
TREND_ALPHA = 0.05


def recent_split(
    months: Sequence[pd.Period],
) -> tuple[list[pd.Period], list[pd.Period]]:
    """Split the selected months into the earlier two thirds and the recent third.

    The split is over the months **present** in the selection (the Kent data has an
    11-month gap in 2023), so the recent third is always a third of the data's
    months; with fewer than 3 months there is no recent third.
    """
    ordered = sorted(set(months))
    k = len(ordered) // 3
    if k == 0:
        return ordered, []
    return ordered[:-k], ordered[-k:]


def trend_test(
    recent: int, total: int, *, recent_months: int, all_months: int
) -> tuple[float, float, str]:
    """Rate ratio, p-value and plain label of recent against earlier months.

    Under no change each incident falls in the recent months with probability
    ``recent_months / all_months``; the count in the recent months is tested
    against that with an exact two-sided binomial test (the conditional test for
    comparing two Poisson counts, exact for small counts). The rate ratio is
    (recent per month) / (earlier per month).

    Returns
    -------
    tuple
        ``(ratio, p, label)``; label is ``rising``, ``falling``, ``stable``,
        ``too few to tell`` (under `MIN_TREND_INCIDENTS` incidents) or ``n/a``
        (no recent third).
    """
    earlier_months = all_months - recent_months
    if recent_months <= 0 or earlier_months <= 0:
        return float("nan"), float("nan"), "n/a"
    earlier = total - recent
    if earlier > 0:
        ratio = (recent / recent_months) / (earlier / earlier_months)
    else:
        ratio = float("inf") if recent else float("nan")
    if total < MIN_TREND_INCIDENTS:
        return ratio, float("nan"), "too few to tell"
    p = float(binomtest(recent, total, recent_months / all_months).pvalue)
    if p >= TREND_ALPHA:
        return ratio, p, "stable"
    return ratio, p, "rising" if ratio > 1 else "falling"


def trend_tests(
    recent: ArrayLike, total: ArrayLike, *, recent_months: int, all_months: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """`trend_test` for many areas at once: the same ratios, p-values and labels.

    One exact test per hotspot, each a few scipy calls, took 0.6 s for the
    county's 500 hotspots; `binomtest_pvalues` runs them together.
    """
    r = np.asarray(recent, dtype=np.int64)
    n = np.asarray(total, dtype=np.int64)
    nan = np.full(r.shape, np.nan)
    earlier_months = all_months - recent_months
    if recent_months <= 0 or earlier_months <= 0:
        return nan, nan.copy(), ["n/a"] * r.size
    earlier = n - r
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            earlier > 0,
            (r / recent_months) / (earlier / earlier_months),
            np.where(r > 0, np.inf, np.nan),
        )
    tested = n >= MIN_TREND_INCIDENTS
    p = nan.copy()
    p[tested] = binomtest_pvalues(r[tested], n[tested], recent_months / all_months)
    labels = [
        "too few to tell"
        if not t
        else "stable"
        if pv >= TREND_ALPHA
        else ("rising" if q > 1 else "falling")
        for t, pv, q in zip(tested, p, ratio, strict=True)
    ]
    return ratio, p, labels


def binomtest_pvalues(k: ArrayLike, n: ArrayLike, p: float) -> NDArray[np.float64]:
    """``scipy.stats.binomtest(k, n, p).pvalue`` (two-sided) for arrays of `k`, `n`.

    The same steps as scipy's own (its binary search for the other tail included)
    run on every pair at once, so the p-values are identical to scipy's.
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    out = np.ones(k.shape)
    d = binom.pmf(k, n, p)
    rerr = 1 + 1e-7
    pn = p * n
    low = k < pn  # the other tail lies above the mode
    if low.any():
        kk, nn, dd = k[low], n[low], d[low]
        ix = _search(lambda x: -binom.pmf(x, nn, p), -dd * rerr, np.ceil(p * nn), nn)
        y = nn - ix + (dd * rerr == binom.pmf(ix, nn, p)).astype(np.int64)
        out[low] = binom.cdf(kk, nn, p) + binom.sf(nn - y, nn, p)
    high = k > pn
    if high.any():
        kk, nn, dd = k[high], n[high], d[high]
        ix = _search(lambda x: binom.pmf(x, nn, p), dd * rerr, 0, np.floor(p * nn))
        out[high] = binom.cdf(ix, nn, p) + binom.sf(kk - 1, nn, p)
    return np.minimum(out, 1.0)


def _search(
    a: Any, d: NDArray[np.float64], lo: ArrayLike, hi: ArrayLike
) -> NDArray[np.float64]:
    """The binary search of scipy's binomtest, run on arrays.

    For each element the i in [lo, hi] with a(i) <= d < a(i + 1) (`a` ascending),
    as scipy's ``_binary_search_for_binom_tst`` finds it.
    """
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), d.shape).copy()
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), d.shape).copy()
    found = np.full(d.shape, np.nan)
    active = lo < hi
    while active.any():
        mid = np.where(active, lo + (hi - lo) // 2, lo)
        value = a(mid)
        below = active & (value < d)
        above = active & (value > d)
        equal = active & ~below & ~above
        found[equal] = mid[equal]
        lo[below] = mid[below] + 1
        hi[above] = mid[above] - 1
        active = (lo < hi) & np.isnan(found)
    rest = np.isnan(found)
    found[rest] = np.where(a(lo)[rest] <= d[rest], lo[rest], lo[rest] - 1)
    return found


def polygon_membership(
    points: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    ids: NDArray[np.int64] | None = None,
) -> np.ndarray:
    """Position (0..n-1) of the first polygon each point lies in or on; -1 if none.

    police.uk puts many incidents on one snap point, so the spatial query runs on
    the distinct positions and is spread back to the incidents (several times
    faster than testing every incident). Points must all be located. `ids`:
    `location_ids(points)`, if the caller has them.
    """
    out = np.full(len(points), -1, dtype="int64")
    if not len(points) or not len(polygons):
        return out
    if ids is None:
        ids = location_ids(points)
    elif len(ids) != len(points):
        raise ValueError("`ids` must have one entry per point.")
    # codes count up from 0 in order of first appearance: a position's first
    # incident is where its code exceeds every code before it
    seen = np.maximum.accumulate(ids)
    first = np.flatnonzero(np.concatenate([[True], ids[1:] > seen[:-1]]))
    # the tree on the points and the polygons as queries: each polygon is then
    # prepared once and tests its candidates fast (3 times faster than a tree
    # on the polygons); "intersects" is symmetric, so the pairs are the same
    tree = shapely.STRtree(np.asarray(points.geometry.array)[first])
    poly, point = tree.query(
        np.asarray(polygons.geometry.array), predicate="intersects"
    )
    # the lowest polygon position of each point that lies in any
    order = np.lexsort((poly, point))
    point, poly = point[order], poly[order]
    lead = np.ones(len(point), dtype=bool)
    lead[1:] = point[1:] != point[:-1]
    per_location = np.full(len(first), -1, dtype="int64")
    per_location[point[lead]] = poly[lead]
    return per_location[ids]


def location_ids(
    points: gpd.GeoDataFrame, rows: NDArray[np.intp] | None = None
) -> np.ndarray:
    """An integer per distinct position (police.uk snap points share one).

    Of every row, or of the rows at positions `rows` only (all located).
    """
    facts = known_facts(points.geometry.array)
    if (
        facts is not None
        and rows is not None
        and np.array_equal(rows, facts.located_rows)
    ):
        return facts.location_codes  # the same codes, found once in the block
    shapes = np.asarray(points.geometry.array)
    return position_codes(
        shapely.get_coordinates(shapes if rows is None else shapes[rows])
    )


def _trend_steps(
    months: list[pd.Period], trend_months: Sequence[Any]
) -> list[pd.Period]:
    """The time steps of `months` that are in `trend_months` (YYYY-MM or Periods)."""
    wanted = {str(m)[:7] for m in trend_months}
    steps = [m for m in months if str(m) in wanted]
    return months if len(steps) == len(months) else steps  # all: the same list


def describe_hotspots(
    polygons: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    months: Sequence[Any] | None = None,
    trend_months: Sequence[Any] | None = None,
    weight: str | None = None,
    ward_names: pd.Series | None = None,
    district_names: pd.Series | None = None,
    membership: NDArray[np.int64] | None = None,
    locations: NDArray[np.int64] | None = None,
) -> gpd.GeoDataFrame:
    """Add statistics from the incidents inside each hotspot polygon.

    Parameters
    ----------
    polygons
        Hotspot polygons (same CRS as `incidents`).
    incidents
        The selection's canonical incidents; unlocated rows are ignored. An
        incident on the shared edge of two polygons counts in the first.
    months
        The selection's months (``YYYY-MM`` or Periods; for months active and the
        trend), every month of the data in its range; default the distinct
        months of the located incidents (`hotspots.dates.time_steps`).
    trend_months
        The months the trend compares (some of `months`): with sources that
        cover different months, those every source of the selection holds
        (`hotspots.dates.shared_months`), so that a month only one source
        holds is not read as a rise or fall; the incidents of other months
        count everywhere but in the trend. Default `months`.
    weight
        Harm weight column; ``None`` makes ``harm`` equal ``incidents``.
    ward_names, district_names
        Code -> name, to write names instead of codes (default codes).
    membership
        ``polygon_membership(located incidents, polygons)`` if the caller has it
        already (computed here otherwise).
    locations
        ``location_ids(incidents, located rows)`` if the caller has them (the
        ``locations`` column counts distinct positions; found here otherwise).

    Returns
    -------
    GeoDataFrame
        Copy of `polygons` plus ``incidents``, ``harm``, ``locations`` (distinct
        positions), ``share`` (of the selection's located incidents),
        ``top_categories``, ``months_active``, ``first_month``, ``last_month``,
        ``trend`` (label), ``trend_ratio``, ``trend_p``, ``wards``, ``districts``.
    """
    require_points(incidents, name="incidents")
    if polygons.crs != incidents.crs:
        raise HotspotsError(
            f"Hotspots are in {polygons.crs}, incidents in {incidents.crs}; they must match."
        )
    # positions of the located incidents: columns are read through them, one at
    # a time, rather than copying every column of the frame
    at = np.flatnonzero(located(incidents))
    located_months = pd.PeriodIndex(incidents["month"], freq="M")[at]
    months = list(time_steps(located_months, months))
    compared = months if trend_months is None else _trend_steps(months, trend_months)
    _, recent = recent_split(compared)
    out = polygons.copy()
    n_poly = len(out)
    ordinals = located_months.asi8
    which = (
        polygon_membership(incidents.iloc[at], out)
        if membership is None
        else membership
    )
    if len(which) != len(at):
        raise ValueError("`membership` must have one entry per located incident.")
    if locations is None:  # in a `located_once` block: found once there
        facts = known_facts(incidents.geometry.array)
        locations = None if facts is None else facts.location_codes
    if locations is not None and len(locations) != len(at):
        raise ValueError("`locations` must have one entry per located incident.")
    rows = np.flatnonzero(which >= 0)
    # every statistic from integer codes and counts (np.bincount, np.unique): a
    # pandas groupby with Python-level aggregations took 0.4 s on the county
    member = np.asarray(which[rows], dtype=np.int64)
    month = ordinals[rows]  # integer ordinals: boxing 275k Periods is slow
    n = np.bincount(member, minlength=n_poly)
    is_recent = np.isin(month, [p.ordinal for p in recent])
    r = np.bincount(member[is_recent], minlength=n_poly)
    in_trend = (
        n
        if compared is months
        else np.bincount(
            member[np.isin(month, [p.ordinal for p in compared])], minlength=n_poly
        )
    )
    total = len(at)
    ratios, pvalues, labels = trend_tests(
        r, in_trend, recent_months=len(recent), all_months=len(compared)
    )
    if weight:
        w = incidents[weight].iloc[at[rows]].to_numpy(float)
        harm = (
            pd.Series(w).groupby(member).sum().reindex(range(n_poly), fill_value=0.0)
        ).to_numpy()
    else:
        harm = n.astype("float64")
    first, last, months_active = _month_span(member, month, n_poly)
    data = {
        "incidents": n,
        "harm": harm,
        "locations": _distinct_count(
            member,
            location_ids(incidents, at[rows]) if locations is None else locations[rows],
            n_poly,
        ),
        "share": n / total if total else np.full(n_poly, np.nan),
        "top_categories": _top_categories(
            member, incidents["category"], at[rows], n_poly
        ),
        "months_active": months_active,
        "first_month": first,
        "last_month": last,
        "trend": labels,
        "trend_ratio": ratios,
        "trend_p": pvalues,
        "wards": _names(member, incidents["ward_code"], at[rows], n_poly, ward_names),
        "districts": _names(
            member, incidents["lad_code"], at[rows], n_poly, district_names
        ),
    }
    for name, values in data.items():
        out[name] = pd.Series(values, index=out.index).astype(_COLUMNS[name])  # type: ignore[call-overload]
    return out


def _ranked_codes(
    values: pd.Series, rows: NDArray[np.intp], *, text: bool = False
) -> tuple[NDArray[np.int64], list[Any]]:
    """Codes of ``values[rows]`` numbered in sorted order of the values (-1 = missing).

    Only the few distinct values are converted (``text``: to ``str``, as
    ``astype(str)`` would) and sorted (as Python sorts them, which is how pandas
    sorts text too), not every row.
    """
    codes, uniques = pd.factorize(values)
    distinct = np.asarray(uniques, dtype=object).tolist()  # not one by one
    keys = [str(u) for u in distinct] if text else distinct
    ordered = sorted(set(keys))
    position = {v: i for i, v in enumerate(ordered)}
    rank = np.array([position[v] for v in keys] + [-1], dtype=np.int64)
    return rank[np.asarray(codes)[rows]], ordered


def _pairs(
    member: NDArray[np.int64], codes: NDArray[np.int64], n_codes: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct (polygon, code) pairs with their counts, sorted; missing codes left out."""
    keep = codes >= 0
    pair, count = np.unique(
        member[keep] * max(n_codes, 1) + codes[keep], return_counts=True
    )
    poly, code = np.divmod(pair, max(n_codes, 1))
    return poly, code, count


def _distinct_count(
    member: NDArray[np.int64], values: ArrayLike, n_poly: int
) -> NDArray[np.int64]:
    """Distinct values per polygon (``groupby(member)[values].nunique()``)."""
    codes, uniques = pd.factorize(np.asarray(values))
    poly, _, _ = _pairs(member, np.asarray(codes, dtype=np.int64), len(uniques))
    return np.bincount(poly, minlength=n_poly)


def _month_span(
    member: NDArray[np.int64], month: NDArray[np.int64], n_poly: int
) -> tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.int64]]:
    """First and last month (``YYYY-MM``, "" if none) and months active per polygon."""
    first = np.full(n_poly, "", dtype=object)
    last = np.full(n_poly, "", dtype=object)
    active = _distinct_count(member, month, n_poly)
    lo = np.full(n_poly, np.iinfo(np.int64).max)
    hi = np.full(n_poly, np.iinfo(np.int64).min)
    np.minimum.at(lo, member, month)
    np.maximum.at(hi, member, month)
    some = active > 0
    first[some] = _month_text(lo[some])
    last[some] = _month_text(hi[some])
    return first, last, active


def _month_text(ordinals: NDArray[np.int64]) -> NDArray[np.object_]:
    """Integer month ordinals as ``YYYY-MM`` text."""
    text = pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype="int64"), freq="M")  # type: ignore[attr-defined]
    return np.asarray(text.astype(str), dtype=object)


def _groups(poly: NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """(polygon, start, end) of each run of equal values in sorted `poly`."""
    if not len(poly):
        return []
    start = np.flatnonzero(np.concatenate([[True], poly[1:] != poly[:-1]]))
    end = np.concatenate([start[1:], [len(poly)]])
    return list(zip(poly[start].tolist(), start.tolist(), end.tolist(), strict=True))


def _top_categories(
    member: NDArray[np.int64], category: pd.Series, rows: NDArray[np.intp], n_poly: int
) -> NDArray[np.object_]:
    """The 3 most frequent categories of each polygon with their share, as text.

    ``"Burglary 40%, Shoplifting 30%, Robbery 10%"``: by count, ties
    alphabetically; shares of the polygon's incidents with a category, rounded
    half to even; "" for a polygon without incidents.
    """
    codes, text = _ranked_codes(category, rows, text=True)
    poly, code, k = _pairs(member, codes, len(text))
    order = np.lexsort((code, -k, poly))
    poly, code, k = poly[order], code[order], k[order]
    out = np.full(n_poly, "", dtype=object)
    groups = _groups(poly)
    if not groups:
        return out
    start = np.asarray([lo for _, lo, _ in groups], dtype=np.intp)
    totals = np.repeat(np.add.reduceat(k, start), np.diff(np.append(start, len(k))))
    pct = (100 * (k / totals)).round().astype(int).tolist()
    code_list = code.tolist()
    for p, lo, hi in groups:
        out[p] = ", ".join(
            f"{text[code_list[i]]} {pct[i]}%" for i in range(lo, min(hi, lo + 3))
        )
    return out


def _names(
    member: NDArray[np.int64],
    values: pd.Series,
    rows: NDArray[np.intp],
    n_poly: int,
    lookup: pd.Series | None,
) -> NDArray[np.object_]:
    """The distinct codes of each polygon in code order, as names, joined by ", "."""
    codes, distinct = _ranked_codes(values, rows)
    poly, code, _ = _pairs(member, codes, len(distinct))
    code_list = code.tolist()
    # only the codes inside hotspots are looked up (in a dict: Series.get is slow)
    if lookup is None:
        shown = {c: distinct[c] for c in set(code_list)}
    else:
        get = lookup.to_dict().get if lookup.index.is_unique else lookup.get
        shown = {c: str(get(distinct[c], distinct[c])) for c in set(code_list)}
    out = np.full(n_poly, "", dtype=object)
    for p, lo, hi in _groups(poly):
        out[p] = ", ".join([shown[c] for c in code_list[lo:hi]])
    return out


_COLUMNS = {
    "incidents": "int64",
    "harm": "float64",
    "locations": "int64",
    "share": "float64",
    "top_categories": "string",
    "months_active": "int64",
    "first_month": "string",
    "last_month": "string",
    "trend": "string",
    "trend_ratio": "float64",
    "trend_p": "float64",
    "wards": "string",
    "districts": "string",
}
