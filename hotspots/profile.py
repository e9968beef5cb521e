"""Describe hotspot polygons by the incidents inside them: mix, months, trend, areas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom, binomtest

from hotspots._validate import HotspotsError, require_points
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
    points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame
) -> np.ndarray:
    """Position (0..n-1) of the first polygon each point lies in or on; -1 if none.

    police.uk puts many incidents on one snap point, so the spatial join runs on
    the distinct positions and is spread back to the incidents (several times
    faster than joining every incident). Points must all be located.
    """
    out = np.full(len(points), -1, dtype="int64")
    if not len(points) or not len(polygons):
        return out
    ids = location_ids(points)
    first = pd.Series(np.arange(len(ids))).groupby(ids).first().to_numpy()
    distinct = gpd.GeoDataFrame(
        geometry=points.geometry.to_numpy()[first], crs=points.crs
    )
    hit = gpd.sjoin(
        distinct,
        polygons[[polygons.geometry.name]].reset_index(drop=True),
        predicate="intersects",
        how="inner",
    )
    hit = hit.sort_values("index_right", kind="stable")
    hit = hit[~hit.index.duplicated(keep="first")]
    per_location = np.full(len(first), -1, dtype="int64")
    per_location[hit.index.to_numpy()] = hit["index_right"].to_numpy()
    return per_location[ids]


def _month_text(ordinals: pd.Series) -> pd.Series:
    """Integer month ordinals as ``YYYY-MM`` text."""
    text = pd.PeriodIndex.from_ordinals(ordinals.to_numpy(dtype="int64"), freq="M")  # type: ignore[attr-defined]
    return pd.Series(text.astype(str), index=ordinals.index)


def location_ids(points: gpd.GeoDataFrame) -> np.ndarray:
    """An integer per distinct position (police.uk snap points share one)."""
    xy = points.geometry.get_coordinates().to_numpy()
    # one complex number per position hashes fast (a MultiIndex of floats does not)
    codes, _ = pd.factorize(xy[:, 0] + 1j * xy[:, 1])
    return np.asarray(codes)


def describe_hotspots(
    polygons: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    months: Sequence[pd.Period] | None = None,
    weight: str | None = None,
    ward_names: pd.Series | None = None,
    district_names: pd.Series | None = None,
    membership: NDArray[np.int64] | None = None,
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
        The selection's months (for months active and the trend); default the
        distinct months of `incidents`.
    weight
        Harm weight column; ``None`` makes ``harm`` equal ``incidents``.
    ward_names, district_names
        Code -> name, to write names instead of codes (default codes).
    membership
        ``polygon_membership(located incidents, polygons)`` if the caller has it
        already (computed here otherwise).

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
    pts = incidents[located(incidents)]
    months = (
        sorted(set(months)) if months is not None else sorted(pts["month"].unique())
    )
    _, recent = recent_split(months)
    out = polygons.copy()
    n_poly = len(out)
    ordinals = pd.PeriodIndex(pts["month"], freq="M").asi8
    which = polygon_membership(pts, out) if membership is None else membership
    if len(which) != len(pts):
        raise ValueError("`membership` must have one entry per located incident.")
    rows = np.flatnonzero(which >= 0)
    member = which[rows]
    inside = pd.DataFrame(
        {
            "poly": member,
            "w": pts[weight].to_numpy(float)[rows] if weight else np.ones(len(rows)),
            # months as integer ordinals: boxing 275k Periods is slow
            "month": ordinals[rows],
            "recent": np.isin(ordinals, [p.ordinal for p in recent])[rows],
            "category": pts["category"].astype(str).to_numpy()[rows],
            "ward": pts["ward_code"].to_numpy()[rows],
            "lad": pts["lad_code"].to_numpy()[rows],
            "loc": location_ids(pts)[rows],
        }
    )
    g = inside.groupby("poly")
    idx = pd.RangeIndex(n_poly)
    n = g.size().reindex(idx, fill_value=0).to_numpy()
    r = g["recent"].sum().reindex(idx, fill_value=0).to_numpy()
    total = len(pts)
    ratios, pvalues, labels = trend_tests(
        r, n, recent_months=len(recent), all_months=len(months)
    )
    mix = (
        inside.groupby(["poly", "category"]).size().rename("k").reset_index()
        .sort_values(["poly", "k", "category"], ascending=[True, False, True])
    )  # fmt: skip
    mix["pct"] = mix["k"] / mix.groupby("poly")["k"].transform("sum")
    mix = mix.groupby("poly").head(3)
    top = (
        (
            mix["category"]
            + " "
            + (100 * mix["pct"]).round().astype(int).astype(str)
            + "%"
        )
        .groupby(mix["poly"])
        .agg(", ".join)
    )

    def names(col: str, lookup: pd.Series | None) -> pd.Series:
        codes = (
            inside[["poly", col]].dropna().drop_duplicates().sort_values(["poly", col])
        )
        shown = (
            codes[col].map(lambda c: str(lookup.get(c, c)))
            if lookup is not None
            else codes[col]
        )
        return shown.groupby(codes["poly"]).agg(", ".join)

    ms = g["month"]
    data = {
        "incidents": n,
        "harm": g["w"].sum().reindex(idx, fill_value=0.0).to_numpy(),
        "locations": g["loc"].nunique().reindex(idx, fill_value=0).to_numpy(),
        "share": n / total if total else np.full(n_poly, np.nan),
        "top_categories": top.reindex(idx, fill_value="").to_numpy(),
        "months_active": ms.nunique().reindex(idx, fill_value=0).to_numpy(),
        "first_month": _month_text(ms.min()).reindex(idx, fill_value="").to_numpy(),
        "last_month": _month_text(ms.max()).reindex(idx, fill_value="").to_numpy(),
        "trend": labels,
        "trend_ratio": ratios,
        "trend_p": pvalues,
        "wards": names("ward", ward_names).reindex(idx, fill_value="").to_numpy(),
        "districts": names("lad", district_names)
        .reindex(idx, fill_value="")
        .to_numpy(),
    }
    for name, values in data.items():
        out[name] = pd.Series(values, index=out.index).astype(_COLUMNS[name])  # type: ignore[call-overload]
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
