"""Density-based clusters (DBSCAN, HDBSCAN) of incidents, run on distinct locations.

police.uk snaps every incident to one of a fixed set of anonymous map points, so
Kent's 275,539 incidents sit on about 34,700 distinct points. Both methods here
cluster the **distinct locations**, each carrying the number of incidents at it
(or the sum of their harm ``weight``) as a sample weight, instead of the raw,
heavily duplicated points:

* DBSCAN: exact. A location is a core point when the weighted sum of the
  locations within ``eps`` (itself included) is at least ``min_incidents``, which
  is precisely the raw rule "at least ``min_incidents`` incidents within
  ``eps``" because all copies of a point share one neighbourhood. Ordering the
  locations by their first incident makes sklearn's labels equal, number for
  number, to DBSCAN on the raw points (tests/test_cluster.py proves it).
* HDBSCAN: an HDBSCAN* over weighted points (see `hdbscan_clusters` for what
  holds exactly and what does not).

One rule the raw algorithms do not have: a cluster needs at least two distinct
locations (``min_locations=2``). A single snap point holding many incidents (a
police station, a shopping centre's point) is a "hot point", not an area; such a
one-location cluster is relabelled noise and the remaining clusters renumbered.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN

from hotspots._points import known_facts, position_codes
from hotspots._validate import (
    HotspotsError,
    require_points,
    require_positive,
    weight_values,
)
from hotspots.grid import located_once, located_xy
from hotspots.profile import binomtest_pvalues

log = logging.getLogger(__name__)

#: Label of incidents in no cluster (as in sklearn); also used for unlocated rows.
NOISE = -1
#: Share of incidents (weighted) kept when looking for the knee of the k-distance
#: curve: the most isolated 1% (rural outliers, km away) are left out so that a
#: few far points cannot drag the knee towards them.
KNEE_QUANTILE = 0.99
#: ``shapely.concave_hull`` ratio for cluster outlines (0 = tightest, 1 = convex).
HULL_RATIO = 0.3
#: Buffer (metres) around the concave hull, so that two-location clusters (a line)
#: and the snap points on the edge get an area.
HULL_PAD_M = 25.0
#: Significance level of the trend test.
TREND_ALPHA = 0.05

_Float = NDArray[np.float64]
_Int = NDArray[np.int64]


@dataclass(frozen=True)
class _Sites:
    """Distinct locations of the located rows, in order of their first incident."""

    mask: NDArray[np.bool_]  # (n,) rows with a point
    code: _Int  # (n_located,) site of each located row
    xy: _Float  # (L, 2)
    weight: _Float  # (L,) summed weight of the incidents at each site
    count: _Int  # (L,) number of incidents at each site
    n_positive: int  # sites [0, n_positive) have weight > 0, the rest weight 0


def _row_weights(points: gpd.GeoDataFrame, weight: str | None) -> _Float:
    """Per-row weights: 1 each, or a checked numeric column (`weight_values`)."""
    if weight is None:
        return np.ones(len(points))
    return weight_values(points, weight)


def _sites(points: gpd.GeoDataFrame, weight: str | None) -> _Sites:
    """Validate `points` and collapse the located rows onto distinct locations."""
    require_points(points)
    if len(points) == 0:
        raise HotspotsError("`points` is empty: select some incidents first.")
    w = _row_weights(points, weight)
    mask, xy = located_xy(points)
    if not mask.any():
        raise HotspotsError(
            f"None of the {len(points):,} incidents has a location, so there is "
            "nothing to cluster; check the geocoding of the source."
        )
    # numbered in order of first appearance (see module doc): the block's codes
    # when it knows them (`located_once`), the same numbers
    facts = known_facts(points.geometry.array)
    codes = position_codes(xy) if facts is None else facts.location_codes
    code = codes.astype("int64")
    n_sites = int(code.max()) + 1
    wl = w[mask]
    # Order sites by their first incident of positive weight (zero-weight sites
    # last): the order DBSCAN on the raw points, each repeated `weight` times,
    # would meet them in, which makes the labels equal number for number.
    rank = np.arange(len(code), dtype="float64") + np.where(wl > 0, 0, len(code))
    first = np.full(n_sites, np.inf)
    np.minimum.at(first, code, rank)
    new = np.empty(n_sites, dtype="int64")
    new[np.argsort(first, kind="stable")] = np.arange(n_sites)
    code = new[code]
    site_xy = np.empty((n_sites, 2))
    site_xy[code] = xy
    site_w = np.bincount(code, weights=wl, minlength=n_sites).astype("float64")
    return _Sites(
        mask=mask,
        code=code,
        xy=site_xy,
        weight=site_w,
        count=np.bincount(code, minlength=n_sites).astype("int64"),
        n_positive=int((site_w > 0).sum()),
    )


def _kdistance(xy: _Float, w: _Float, k: float) -> _Float:
    """Weighted k-distance of each site: the smallest radius holding weight >= k.

    The disc is centred on the site and includes it (distance 0), so a site whose
    own weight is at least `k` has k-distance 0. With unit weights this is the
    distance to the k-th nearest incident counting itself, i.e. sklearn's
    ``NearestNeighbors(n_neighbors=k)`` distance used for HDBSCAN core distances.
    ``inf`` when all the weight together is below `k`.
    """
    n = len(xy)
    out = np.full(n, np.inf)
    tree = cKDTree(xy)
    todo = np.arange(n)
    # a site holds 8 incidents on average county-wide, so most reach `k` within
    # a few neighbours: 16 first (k = 30: 0.05 s, against 0.07 s asking every
    # site for 31; k = 200: 0.19 s against 0.51 s), then 4 times more for the rest
    m = min(n, max(2, min(math.ceil(k) + 1, 16)))
    while len(todo):
        dist, idx = tree.query(xy[todo], k=m, workers=-1)
        dist = dist.reshape(len(todo), -1)
        idx = idx.reshape(len(todo), -1)
        reach = np.cumsum(w[idx], axis=1) >= k
        ok = reach[:, -1]
        first = np.argmax(reach, axis=1)
        out[todo[ok]] = dist[ok, first[ok]]
        todo = todo[~ok]
        if m >= n:
            break
        m = min(n, m * 4)
    return out


def _knee(values: _Float, mass: _Float, *, quantile: float) -> tuple[float, float]:
    """Kneedle point of the weighted, ascending k-distance curve, and the cap used.

    The curve is x = cumulative share of the (weighted) incidents, y = k-distance,
    over the incidents with a positive k-distance (one whose own snap point holds
    k incidents is core at any radius, so it says nothing about the radius),
    truncated at the `quantile` of those incidents. Both axes are scaled to 0..1 and
    the knee is the point farthest below the straight line from the first to the
    last point, ``argmax(x - y)`` (Satopää et al. 2011, "Kneedle"; for a convex,
    rising curve this is the point of maximum curvature where the normalised slope
    passes 1).
    """
    keep = (mass > 0) & np.isfinite(values) & (values > 0)
    if not keep.any():
        return 0.0, 0.0
    v, m = values[keep], mass[keep]
    order = np.argsort(v, kind="stable")
    v, m = v[order], m[order]
    cum = np.cumsum(m) / m.sum()
    cap = float(v[min(int(np.searchsorted(cum, quantile)), len(v) - 1)])
    inside = v <= cap
    v, x = v[inside], cum[inside]
    if v[-1] == v[0]:
        return float(v[0]), cap
    y = (v - v[0]) / (v[-1] - v[0])
    x = (x - x[0]) / (x[-1] - x[0]) if x[-1] > x[0] else x
    return float(v[int(np.argmax(x - y))]), cap


def _check_min(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"`{name}` must be a number, got {value!r}.")
    if not value >= 1:
        raise HotspotsError(
            f"`{name}` must be at least 1 incident, got {value!r}; "
            "it counts incidents (or harm weight), the point itself included."
        )


def suggest_eps(
    points: gpd.GeoDataFrame,
    *,
    k: float = 20,
    weight: str | None = None,
    quantile: float = KNEE_QUANTILE,
) -> tuple[float, str]:
    """An automatic DBSCAN radius from the knee of the k-nearest-incident distances.

    For every incident, its k-distance is the smallest radius around it that holds
    at least `k` incidents (weighted), itself and the incidents at its own snap
    point included. With ``eps`` = that radius and ``min_incidents = k`` the
    incident is a DBSCAN core point, so the curve says how much of the data a
    given ``eps`` makes dense. The curve is all incidents' k-distances sorted
    ascending (each snap point counted once per incident, or by its weight).
    Incidents whose own snap point already holds `k` incidents (k-distance 0)
    are core at any radius, so they say nothing about it and are left out; the
    curve is then truncated at the `quantile` share of the rest (default 0.99:
    the most isolated 1%, typically rural, are left out); the value returned is its
    Kneedle knee: with both axes scaled to 0..1, the point farthest below the
    chord, ``argmax(x - y)``.

    Parameters
    ----------
    points
        Incidents (EPSG:27700 or another metre CRS); unlocated rows are skipped.
    k
        Incidents (weighted) the disc must hold; use the ``min_incidents`` you
        will give DBSCAN. Default 20.
    weight
        None counts incidents; a column name (e.g. ``"weight"`` for harm) weights them.
    quantile
        Share of the incidents the knee is looked for in, 0 < quantile <= 1.

    Returns
    -------
    tuple of (float, str)
        ``eps`` in metres and an explanation, e.g. "eps 187 m, from the knee of
        the 20-nearest-incident distance curve (...)".
    """
    _check_min("k", k)
    if not 0 < quantile <= 1:
        raise HotspotsError(f"`quantile` must be in (0, 1], got {quantile!r}.")
    return _suggest(_sites(points, weight), k=k, weight=weight, quantile=quantile)


def _suggest(
    sites: _Sites, *, k: float, weight: str | None, quantile: float = KNEE_QUANTILE
) -> tuple[float, str]:
    total = float(sites.weight.sum())
    if total < k:
        raise HotspotsError(
            f"Only {total:g} incidents (weighted) have a location, fewer than "
            f"k={k:g}; choose a smaller k (min_incidents) or a larger selection."
        )
    kd = _kdistance(sites.xy, sites.weight, k)
    eps, cap = _knee(kd, sites.weight, quantile=quantile)
    if not eps > 0:
        raise HotspotsError(
            f"Cannot suggest eps: every incident sits on a snap point holding {k:g} "
            "or more incidents, so any radius makes them all core. Give eps in "
            "metres, or raise min_incidents."
        )
    what = "incident" if weight is None else f"incident ({weight}-weighted)"
    text = (
        f"eps {eps:.0f} m, from the knee (Kneedle) of the {k:g}-nearest-{what} "
        f"distance curve, up to its {quantile:.0%} point ({cap:.0f} m)"
    )
    return eps, text


def _drop_small(labels: _Int, min_locations: int) -> _Int:
    """Relabel clusters with fewer than `min_locations` sites as noise; renumber."""
    if min_locations <= 1 or not (labels >= 0).any():
        return labels
    sizes = np.bincount(labels[labels >= 0])
    keep = sizes >= min_locations
    new = np.full(len(sizes), NOISE, dtype="int64")
    new[keep] = np.arange(int(keep.sum()))
    return np.where(labels >= 0, new[np.maximum(labels, 0)], NOISE)


def _cluster_positive(sites: _Sites, method: Callable[[_Float, _Float], _Int]) -> _Int:
    """Run `method` on the sites of positive weight; zero-weight sites are noise."""
    labels = np.full(len(sites.xy), NOISE, dtype="int64")
    k = sites.n_positive
    if k:
        labels[:k] = method(sites.xy[:k], sites.weight[:k])
    return labels


def _expand(points: gpd.GeoDataFrame, sites: _Sites, site_labels: _Int) -> _Int:
    labels = np.full(len(points), NOISE, dtype="int64")
    labels[sites.mask] = site_labels[sites.code]
    return labels


def _check_min_locations(min_locations: int) -> None:
    if isinstance(min_locations, bool) or not isinstance(
        min_locations, int | np.integer
    ):
        raise TypeError(f"`min_locations` must be an int, got {min_locations!r}.")
    if min_locations < 1:
        raise HotspotsError(f"`min_locations` must be 1 or more, got {min_locations}.")


def dbscan_clusters(
    points: gpd.GeoDataFrame,
    *,
    eps: float | None = None,
    min_incidents: float = 20,
    weight: str | None = None,
    min_locations: int = 2,
) -> gpd.GeoDataFrame:
    """Label each incident with its DBSCAN cluster, clustering distinct locations.

    DBSCAN (Ester et al. 1996) on the distinct snap points with the incidents at
    each as ``sample_weight``: a location is *core* when the incidents (weighted)
    within `eps` of it, its own included, sum to at least `min_incidents`; core
    locations within `eps` of each other join one cluster, and other locations
    within `eps` of a core location join its cluster (the first one found).
    Locations are given to sklearn in order of their first incident, which makes
    the labels identical to ``DBSCAN(eps, min_samples=min_incidents)`` on the
    raw points with ``min_locations=1`` (proved in the tests); with integer harm
    weights, equal to DBSCAN on the rows each repeated `weight` times. Locations
    whose incidents all have weight 0 carry no harm: they are left out and
    labelled noise (a weighted DBSCAN would let them bridge clusters). Then
    clusters with fewer than `min_locations` distinct locations become noise.

    Parameters
    ----------
    points
        Incidents as points in a projected metre CRS. Rows with an empty geometry
        (unlocated) are never in a cluster: they get -1, like noise.
    eps
        Neighbourhood radius in metres, the parameter that matters most. None
        (default) chooses it with `suggest_eps` (k = `min_incidents`); the choice
        is logged and recorded in ``result.attrs["cluster_parameters"]``.
    min_incidents
        DBSCAN's ``min_samples`` in incidents (harm-weighted when `weight` is
        given), the point itself included. Default 20; at least 1.
    weight
        None counts each incident as 1; a column name (e.g. ``"weight"``) uses
        that column (finite, 0 or more).
    min_locations
        Distinct locations a cluster needs, default 2 (a single snap point holding
        many incidents is a hot point, not an area). 1 keeps DBSCAN's clusters.

    Returns
    -------
    GeoDataFrame
        Copy of `points` (same index and CRS) plus int64 column ``cluster``:
        0, 1, ... in order of discovery, -1 = noise or unlocated.
    """
    _check_min("min_incidents", min_incidents)
    _check_min_locations(min_locations)
    if eps is not None:
        require_positive(eps=eps)
    sites = _sites(points, weight)
    automatic = eps is None
    if eps is None:
        eps, explanation = _suggest(sites, k=min_incidents, weight=weight)
        log.info("DBSCAN: %s", explanation)
    else:
        explanation = f"eps {float(eps):g} m, as given"
    site_labels = _cluster_positive(
        sites, lambda xy, w: _weighted_dbscan(xy, w, float(eps), min_incidents)
    )
    site_labels = _drop_small(site_labels, min_locations)
    out = points.assign(cluster=_expand(points, sites, site_labels))
    places = (
        f"a cluster needs {min_locations} or more distinct places, "
        if min_locations > 1
        else ""
    )
    rule = (
        f"clusters grow from places with {_amount(min_incidents, weight)} within "
        f"{float(eps):.0f} m (their own included) and take in the places within "
        f"{float(eps):.0f} m of those; {places}the rest is noise"
    )
    out.attrs["cluster_parameters"] = {
        "method": "dbscan",
        "eps_m": float(eps),
        "eps_automatic": automatic,
        "eps_explanation": explanation,
        "min_incidents": min_incidents,
        "weight": weight,
        "min_locations": min_locations,
        "min_incidents_explanation": rule,
    }
    return out


def _amount(n: float, weight: str | None) -> str:
    """`n` incidents, or a harm of `n`, in words."""
    return f"{n:g} or more incidents" if weight is None else f"a harm of {n:g} or more"


def _weighted_dbscan(xy: _Float, w: _Float, eps: float, min_incidents: float) -> _Int:
    if float(min_incidents).is_integer():
        model = DBSCAN(eps=eps, min_samples=int(min_incidents))
        labels = model.fit_predict(xy, sample_weight=w)
    else:  # sklearn wants an int: core iff sum(w / m) >= 1, i.e. sum(w) >= m
        model = DBSCAN(eps=eps, min_samples=1)
        labels = model.fit_predict(xy, sample_weight=w / min_incidents)
    return np.asarray(labels, dtype="int64")


# --------------------------------------------------------------------------- HDBSCAN


def _mst(xy: _Float, core: _Float) -> tuple[_Int, _Int, _Float]:
    """A minimum spanning tree of the mutual-reachability graph, edges sorted.

    Weights ``max(core_a, core_b, d_ab)``. Borůvka's algorithm over a k-d tree,
    compiled (`hotspots._kernels.boruvka`): each round joins every component to
    another by its lightest edge, so about log₂(L) rounds for L locations.
    Exact: the tree's sorted weights are those of Prim's tree over all pairs
    (sklearn's, O(L²): 4.1 s for the county's 35,000 locations, against 0.07 s
    here; tested). Where weights tie, another minimum tree may be found; the
    hierarchy built from it is the same (`_tie_hierarchy`). Edges sorted by
    weight, then by their ends.
    """
    from hotspots import _kernels  # numba: imported when first needed (0.5 s)

    ea, eb, ew = _kernels.boruvka(
        np.ascontiguousarray(xy, dtype=np.float64),
        np.ascontiguousarray(core, dtype=np.float64),
    )
    order = np.lexsort((np.maximum(ea, eb), np.minimum(ea, eb), ew))
    return ea[order], eb[order], ew[order]


def _tie_hierarchy(a: _Int, b: _Int, dist: _Float, n: int) -> tuple[_Int, _Int, _Float]:
    """The single-linkage hierarchy of sorted tree edges, equal weights at once.

    Node ``n + i`` has children ``kids[start[i]:start[i + 1]]`` (points ``< n``,
    or earlier nodes) joined at ``heights[i]``. Edges of equal weight are joined
    together: every component that the graph of the edges up to that weight
    joins becomes one node, whatever tree of equal weight gave them (a binary
    dendrogram would nest them in the order its edges came in, and the
    condensed tree could then depend on that order). Without ties every node
    has two children, as sklearn's single linkage. Returns (start, kids,
    heights); compiled (`hotspots._kernels.tie_hierarchy`).
    """
    from hotspots import _kernels

    return _kernels.tie_hierarchy(
        np.ascontiguousarray(a, dtype=np.int64),
        np.ascontiguousarray(b, dtype=np.int64),
        np.ascontiguousarray(dist, dtype=np.float64),
        n,
    )


def _weighted_hdbscan(
    xy: _Float, w: _Float, min_cluster_size: float, min_samples: float
) -> _Int:
    """HDBSCAN* (EOM selection) of weighted sites; clusters numbered 0, 1, ...

    In the order of the condensed tree's clusters (which follows the spanning
    tree where weights tie), not sklearn's numbers. The condensed tree is
    sklearn's ``_condense_tree``, in the same breadth-first order, with a site's
    weight as its size; a single site never
    forms a cluster on its own; a node of several children (equal weights,
    `_tie_hierarchy`) splits into all its big ones at once. Excess of mass
    selects the clusters, the root excluded (sklearn's
    ``allow_single_cluster=False``). The loops are compiled (`hotspots._kernels`).
    """
    n = len(xy)
    if n < 2:
        return np.full(n, NOISE, dtype="int64")
    core = _kdistance(xy, w, min_samples)
    if not np.isfinite(core).all():  # all weight together < min_samples
        return np.full(n, NOISE, dtype="int64")
    from hotspots import _kernels

    start, kids, heights = _tie_hierarchy(*_mst(xy, core), n)
    size = _kernels.node_sizes(np.ascontiguousarray(w, dtype=np.float64), start, kids)
    par, chi, lam, csz, n_clusters = _kernels.condense(
        start, kids, heights, size, float(min_cluster_size)
    )
    birth = np.zeros(n_clusters)
    is_c = chi >= n
    birth[chi[is_c] - n] = lam[is_c]
    stability = np.zeros(n_clusters)
    np.add.at(stability, par - n, (lam - birth[par - n]) * csz)
    cluster_parent = np.full(n_clusters, -1, dtype="int64")
    cluster_parent[chi[is_c] - n] = par[is_c] - n
    selected = _kernels.excess_of_mass(stability, cluster_parent)
    owner = _kernels.owners(selected, cluster_parent)
    labels = np.full(n, NOISE, dtype="int64")
    leaf = ~is_c
    labels[chi[leaf]] = owner[par[leaf] - n]
    return labels


def hdbscan_clusters(
    points: gpd.GeoDataFrame,
    *,
    min_cluster_incidents: float = 50,
    min_samples: float | None = None,
    weight: str | None = None,
    min_locations: int = 2,
) -> gpd.GeoDataFrame:
    """Label each incident with its HDBSCAN cluster, clustering weighted locations.

    HDBSCAN* (Campello et al. 2013; McInnes et al. 2017) generalised to weighted
    points. Each distinct location is one point carrying its incidents (weighted)
    as mass:

    1. core distance of a location = the smallest radius around it holding
       `min_samples` incidents, its own included (`_kdistance`) — exactly the
       core distance every raw copy of that point gets in sklearn's HDBSCAN;
    2. mutual reachability ``max(core_a, core_b, d_ab)`` and a minimum
       spanning tree of it (`_mst`, Borůvka's algorithm with k-d trees; sklearn
       runs Prim's over all pairs) — the raw tree minus the edges that join
       copies of one point to each other;
    3. the single-linkage hierarchy, equal weights joined at once
       (`_tie_hierarchy`), then the condensed tree and excess-of-mass selection
       of sklearn's HDBSCAN (``allow_single_cluster=False``,
       ``cluster_selection_epsilon=0``), with sizes and stabilities summed over
       incident weights instead of counting points.

    What holds: with one incident per location this is sklearn's
    ``HDBSCAN(min_cluster_size, min_samples)``: the same clusters and noise,
    numbered in another order (tested), but for the points sklearn places by
    the order of the input rows. Mutual reachabilities tie often (every
    neighbour within a place's core distance is that far from it); sklearn's
    binary dendrogram nests equal merges in the order it meets them, so such a
    point can join either of two clusters that split at its own core distance
    (1 point in 510 in two of the three tests). Here the clusters split at once
    and the point leaves at that level, as HDBSCAN* (Campello et al. 2015)
    defines it, whatever tree of equal weight was found. With
    duplicates there is no exact equivalence with HDBSCAN on the raw points, and
    sklearn's HDBSCAN takes no ``sample_weight``: raw copies of one point have
    mutual reachability equal to their core distance (0 when the point alone
    holds `min_samples` incidents, an infinite λ), so raw HDBSCAN can split a
    single snap point holding ``min_cluster_incidents`` or more incidents off
    as a cluster of its own, or into several zero-width clusters, depending on
    tie order; when such a point alone holds `min_samples` incidents its core
    distance is 0, the zero-width cluster has infinite stability and the
    excess-of-mass selection always keeps it, shattering the clusters around
    it (seen in testing: 16 raw clusters against 6 here). Raw results even
    change with the order of the input rows. Here a location is never split
    and never a cluster on its own: it leaves its parent cluster whole.
    Locations whose incidents all weigh 0 are left out (noise). The tests show the labels equal raw
    sklearn HDBSCAN's (up to numbering) when every location holds fewer than
    `min_cluster_incidents` incidents; they may differ when ties of the mutual
    reachability at a core distance are broken differently.

    Parameters
    ----------
    points
        Incidents as points in a projected metre CRS; unlocated rows get -1.
    min_cluster_incidents
        Smallest cluster, in incidents (weighted); the parameter that matters
        most. Default 50.
    min_samples
        Incidents (weighted) defining the core distance, the point itself
        included; None (default) = `min_cluster_incidents`, as in sklearn.
    weight
        None counts incidents; a column name (e.g. ``"weight"``) weights them.
    min_locations
        Distinct locations a cluster needs (default 2); smaller clusters become
        noise and the rest are renumbered.

    Returns
    -------
    GeoDataFrame
        Copy of `points` (same index and CRS) plus int64 column ``cluster``
        (-1 = noise or unlocated). The county's 35,000 locations take about
        0.07 s for the tree (Prim's over all pairs, as sklearn: 4.1 s).
    """
    _check_min("min_cluster_incidents", min_cluster_incidents)
    if min_samples is not None:
        _check_min("min_samples", min_samples)
    _check_min_locations(min_locations)
    samples = min_cluster_incidents if min_samples is None else min_samples
    sites = _sites(points, weight)
    site_labels = _cluster_positive(
        sites,
        lambda xy, w: _weighted_hdbscan(
            xy, w, float(min_cluster_incidents), float(samples)
        ),
    )
    site_labels = _drop_small(site_labels, min_locations)
    out = points.assign(cluster=_expand(points, sites, site_labels))
    places = f" at {min_locations} or more distinct places" if min_locations > 1 else ""
    core = f"{samples:g} incidents" if weight is None else f"a harm of {samples:g}"
    rule = (
        f"clusters of {_amount(min_cluster_incidents, weight)}{places}, each with its "
        "own radius from how densely its incidents lie (a place's core distance: the "
        f"radius around it holding {core})"
    )
    out.attrs["cluster_parameters"] = {
        "method": "hdbscan",
        "min_cluster_incidents": min_cluster_incidents,
        "min_samples": samples,
        "min_samples_automatic": min_samples is None,
        "weight": weight,
        "min_locations": min_locations,
        "min_cluster_incidents_explanation": rule,
    }
    return out


# ---------------------------------------------------------------- cluster polygons

_POLYGON_COLUMNS = [
    "cluster",
    "rank",
    "incidents",
    "harm",
    "locations",
    "share",
    "top_categories",
    "months_active",
    "first_month",
    "last_month",
    "trend",
    "trend_label",
    "trend_p",
    "wards",
    "ward_names",
    "districts",
    "district_names",
    "area_km2",
]
#: `cluster_polygons` with ``statistics=False``: the outlines, and what a
#: coverage limit reads (`hotspots.detect.limit_to_coverage`).
_OUTLINE_COLUMNS = ["cluster", "rank", "incidents", "harm", "area_km2"]


def _names(layer: str, code_col: str, name_col: str) -> dict[str, str]:
    from hotspots.boundaries import load_boundary

    try:
        frame = load_boundary(layer)
    except HotspotsError:
        return {}
    return dict(zip(frame[code_col], frame[name_col], strict=True))


def cluster_polygons(
    labelled: gpd.GeoDataFrame,
    *,
    eps: float | None = None,
    shape: Literal["concave", "buffer"] = "concave",
    months: Sequence[pd.Period] | None = None,
    statistics: bool = True,
) -> gpd.GeoDataFrame:
    """One polygon per cluster with its statistics, ranked by incidents.

    Outline: ``"concave"`` (default) is ``shapely.concave_hull`` (ratio
    `HULL_RATIO` = 0.3) of the cluster's distinct locations, buffered by
    `HULL_PAD_M` = 25 m; ``"buffer"`` is the union of discs of radius ``eps / 2``
    around them (core locations of one DBSCAN cluster lie within `eps` of each
    other, so their discs touch). Statistics (located rows only; unlocated rows
    are never in a cluster):

    - ``incidents`` rows; ``harm`` sum of ``weight`` (= incidents without that
      column); ``locations`` distinct points; ``share`` = incidents / all located
      incidents of `labelled` (0..1; the shares sum to at most 1);
    - ``top_categories`` the three commonest ``category`` values with their share
      of the cluster's incidents, e.g. "Violence and sexual offences 45%, ...";
    - ``months_active`` distinct months with an incident, ``first_month``,
      ``last_month`` (``YYYY-MM``);
    - ``trend``: the selection's months are `months` (default every month from the
      first to the last month in `labelled`) that are also present in `labelled`
      (so a gap in the data, such as Kent's 2023-02..2023-12, is not counted as
      zero months). The most recent ``R = max(1, round(M / 3))`` of these M months
      are "recent", the rest "earlier". ``trend`` is the rate ratio
      ``(recent / R) / (earlier / (M - R))`` of incident counts per month;
      ``trend_p`` the two-sided exact binomial test of the recent count given the
      cluster's total in the M months, with ``p = R / M`` (a constant rate);
      ``trend_label`` "rising" / "falling" when ``trend_p < 0.05``, else
      "stable"; "n/a" with fewer than 2 months or no incidents in them. Counts,
      not harm, because the test needs counts. No correction for testing many
      clusters.
    - ``wards``, ``districts``: the ``ward_code`` / ``lad_code`` values of the
      cluster's incidents (comma-separated, sorted), with ``ward_names``,
      ``district_names`` from the bundled boundaries when they are present;
    - ``area_km2`` of the polygon; ``rank`` 1 = most incidents (ties: more harm,
      then lower cluster id).

    Parameters
    ----------
    labelled
        Output of `dbscan_clusters` / `hdbscan_clusters` (needs ``cluster``).
    eps
        DBSCAN radius in metres; needed for ``shape="buffer"`` only.
    shape
        ``"concave"`` or ``"buffer"``.
    months
        The selection's months (``pandas.Period``, monthly); None = first..last
        month present.
    statistics
        False: only ``cluster``, ``rank``, ``incidents``, ``harm`` and
        ``area_km2`` with the outline, for a caller that profiles the polygons
        itself (`hotspots.detect.detect` counts the incidents inside each
        outline, with `hotspots.profile.describe_hotspots`).

    Returns
    -------
    GeoDataFrame
        One row per cluster in `labelled`'s CRS, sorted by ``rank``.
    """
    require_points(labelled, name="labelled")
    if "cluster" not in labelled.columns:
        raise HotspotsError(
            "`labelled` has no `cluster` column; run dbscan_clusters() or "
            "hdbscan_clusters() first."
        )
    if shape not in ("concave", "buffer"):
        raise HotspotsError(f"`shape` must be 'concave' or 'buffer', got {shape!r}.")
    if shape == "buffer":
        require_positive(eps=eps)
    # the members' columns read one at a time, not the frame's rows copied
    # (every column of 270,000 rows: 45 ms county-wide)
    mask, located_points = located_xy(labelled)
    cluster = labelled["cluster"].to_numpy(dtype="int64")
    member = cluster[mask] >= 0
    rows = np.flatnonzero(mask)[member]
    columns = _POLYGON_COLUMNS if statistics else _OUTLINE_COLUMNS
    if not len(rows):
        empty = {c: pd.Series(dtype="object") for c in columns}
        return gpd.GeoDataFrame(empty, geometry=[], crs=labelled.crs)
    xy = located_points[member]
    data = pd.DataFrame(
        {
            "cluster": cluster[rows],
            "x": xy[:, 0],
            "y": xy[:, 1],
            "harm": (
                labelled["weight"].to_numpy(dtype="float64")[rows]
                if "weight" in labelled.columns
                else 1.0
            ),
        }
    )
    by = data.groupby("cluster", sort=True)
    out = pd.DataFrame({"incidents": by.size(), "harm": by["harm"].sum()})
    sites = data.drop_duplicates(["cluster", "x", "y"]).sort_values(
        "cluster", kind="stable"
    )
    if statistics:
        _statistics(out, data, sites, labelled, rows, int(mask.sum()), months)

    # Outlines, vectorised over clusters: one MultiPoint of distinct sites each.
    ids = out.index.to_numpy()
    part = np.searchsorted(ids, sites["cluster"].to_numpy())
    multi = shapely.multipoints(sites[["x", "y"]].to_numpy(), indices=part)
    if shape == "buffer":
        assert eps is not None
        radius = eps / 2
        geoms = _in_two(lambda m: shapely.buffer(m, radius), multi, part)
    else:
        geoms = _in_two(_concave_outlines, multi, part)
    out["area_km2"] = shapely.area(geoms) / 1e6
    out = out.reset_index()
    order = np.lexsort((out["cluster"], -out["harm"], -out["incidents"]))
    out["rank"] = 0
    out.loc[order, "rank"] = np.arange(1, len(out) + 1)
    result = gpd.GeoDataFrame(out, geometry=geoms, crs=labelled.crs)
    result = result.sort_values("rank").reset_index(drop=True)
    return result[[*columns, "geometry"]]


def _concave_outlines(multi: NDArray[np.object_]) -> NDArray[np.object_]:
    """Concave hulls (`HULL_RATIO`) of MultiPoints, buffered by `HULL_PAD_M`."""
    return shapely.buffer(shapely.concave_hull(multi, ratio=HULL_RATIO), HULL_PAD_M)


#: The second thread of `_in_two` (one for the process: a dashboard's pages share it).
_OUTLINE_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots-hulls")
#: Fewer sites than this are outlined in the caller's thread alone.
_TWO_THREADS_FROM = 4_000


def _in_two(
    fn: Callable[[NDArray[np.object_]], NDArray[np.object_]],
    geoms: NDArray[np.object_],
    part: NDArray[np.intp],
) -> NDArray[np.object_]:
    """``fn(geoms)`` in two threads, each with about half the sites.

    `part` is the geometry of each site, ascending. GEOS leaves Python's lock,
    so on two cores the county's 2,800 HDBSCAN outlines take 0.03 s instead of
    0.05 s. For element-wise `fn` only: the result is the same in one piece.
    """
    if len(part) < _TWO_THREADS_FROM or len(geoms) < 2:
        return fn(geoms)
    cut = int(part[len(part) // 2])
    cut = min(max(cut, 1), len(geoms) - 1)
    second = _OUTLINE_POOL.submit(fn, geoms[cut:])
    first = fn(geoms[:cut])
    return np.concatenate([first, second.result()])


def _statistics(
    out: pd.DataFrame,
    data: pd.DataFrame,
    sites: pd.DataFrame,
    labelled: gpd.GeoDataFrame,
    rows: NDArray[np.intp],
    n_located: int,
    months: Sequence[pd.Period] | None,
) -> None:
    """Fill `cluster_polygons`' statistics of each cluster (`out`, by cluster).

    `data` holds the members, the rows `rows` of `labelled`.
    """
    for col in ("category", "ward_code", "lad_code"):
        if col in labelled.columns:
            data[col] = labelled[col].to_numpy()[rows]
    if "month" in labelled.columns:  # month as an int ordinal (fast), NaT -> NA
        data["month"] = _month_ordinals(labelled["month"].iloc[rows]).array
    out["locations"] = sites.groupby("cluster").size()
    out["share"] = out["incidents"] / n_located
    out["top_categories"] = _top_categories(data, out["incidents"])
    _month_stats(out, data, labelled, months)
    ward_names = _names("wards", "ward_code", "ward_name")
    lad_names = _names("districts", "lad_code", "lad_name")
    for col, key, names in (
        ("ward_code", "wards", ward_names),
        ("lad_code", "districts", lad_names),
    ):
        out[key], out[key[:-1] + "_names"] = "", ""
        if col in data.columns:
            pairs = data[["cluster", col]].dropna().drop_duplicates()
            pairs = pairs.assign(**{col: pairs[col].astype(str)})
            pairs = pairs.sort_values(["cluster", col])
            grouped = pairs.groupby("cluster")[col]
            out.loc[grouped.size().index, key] = grouped.agg(",".join)
            pairs = pairs[pairs[col].isin(names)]
            pairs = pairs.assign(name=pairs[col].map(names))
            labels = pairs.groupby("cluster")["name"].agg(", ".join)
            out.loc[labels.index, key[:-1] + "_names"] = labels


def _top_categories(data: pd.DataFrame, incidents: pd.Series) -> pd.Series:
    """The 3 commonest categories per cluster, e.g. "Shoplifting 45%, ..."."""
    if "category" not in data.columns:
        return pd.Series("", index=incidents.index)
    counts = (
        data.groupby(["cluster", "category"], sort=False, observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    counts = counts.sort_values(
        ["cluster", "n", "category"], ascending=[True, False, True]
    )
    counts = counts.groupby("cluster").head(3)
    pct = 100 * counts["n"] / counts["cluster"].map(incidents)
    text = counts["category"].astype(str) + " " + pct.map("{:.0f}%".format)
    joined = text.groupby(counts["cluster"]).agg(", ".join)
    return joined.reindex(incidents.index, fill_value="")


def _month_stats(
    out: pd.DataFrame,
    data: pd.DataFrame,
    labelled: gpd.GeoDataFrame,
    months: Sequence[pd.Period] | None,
) -> None:
    """Fill months_active, first/last month and the trend columns of `out`."""
    out["months_active"] = 0
    out["first_month"], out["last_month"] = "", ""
    out["trend"], out["trend_label"], out["trend_p"] = math.nan, "n/a", math.nan
    if "month" not in data.columns:
        return
    present = set(_month_ordinals(labelled["month"]).dropna().tolist())
    window: list[int] = []
    if months is not None:
        window = sorted({pd.Period(m, freq="M").ordinal for m in months})
    elif present:
        window = list(range(min(present), max(present) + 1))
    window = [m for m in window if m in present]
    mon = data[["cluster", "month"]].dropna()
    by = mon.groupby("cluster")["month"]
    idx = by.size().index
    out.loc[idx, "months_active"] = by.nunique()
    out.loc[idx, "first_month"] = by.min().map(_month_text)
    out.loc[idx, "last_month"] = by.max().map(_month_text)
    n_months = len(window)
    if n_months < 2:
        return
    n_recent = max(1, round(n_months / 3))
    recent_months = window[n_months - n_recent :]
    mon = mon[mon["month"].isin(window)]
    total = mon.groupby("cluster").size().reindex(out.index, fill_value=0)
    recent = (
        mon[mon["month"].isin(recent_months)]
        .groupby("cluster")
        .size()
        .reindex(out.index, fill_value=0)
    )
    earlier = (total - recent).to_numpy()
    r, t = recent.to_numpy(), total.to_numpy()
    tested = t > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_e = earlier / (n_months - n_recent)
        trend = np.where(
            tested, np.where(rate_e > 0, (r / n_recent) / rate_e, np.inf), np.nan
        )
    # every cluster's exact test at once (one scipy call each took 0.5-1.1 s for
    # the county's 900-2,800 clusters): the same p-values as stats.binomtest
    pvalue = np.full(len(t), np.nan)
    pvalue[tested] = binomtest_pvalues(r[tested], t[tested], n_recent / n_months)
    label = np.where(
        ~tested,
        "n/a",
        np.where(
            pvalue >= TREND_ALPHA, "stable", np.where(trend > 1, "rising", "falling")
        ),
    ).tolist()
    out["trend"], out["trend_label"], out["trend_p"] = trend, label, pvalue


def _month_ordinals(values: pd.Series) -> pd.Series:
    """Monthly periods as integer ordinals (months since 1970-01), NA kept."""
    periods = pd.PeriodIndex(values.astype(pd.PeriodDtype("M")))
    ords = pd.Series(periods.asi8, index=values.index, dtype="Int64")
    return ords.mask(np.asarray(periods.isna()))


def _month_text(ordinal: int) -> str:
    return str(pd.Period(ordinal=int(ordinal), freq="M"))


# -------------------------------------------------------------------- find_clusters


@dataclass(frozen=True)
class ClusterResult:
    """Labelled incidents, cluster polygons and every parameter that made them.

    Attributes
    ----------
    labelled
        The incidents with ``cluster`` (-1 = noise or unlocated).
    polygons
        One row per cluster (see `cluster_polygons`).
    parameters
        Every parameter, automatic ones flagged (``eps_automatic``) with their
        explanation (``eps_explanation``).
    """

    labelled: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


def find_clusters(
    points: gpd.GeoDataFrame,
    *,
    method: Literal["dbscan", "hdbscan"] = "dbscan",
    eps: float | None = None,
    min_incidents: float = 20,
    min_cluster_incidents: float = 50,
    min_samples: float | None = None,
    weight: str | None = None,
    min_locations: int = 2,
    shape: Literal["concave", "buffer"] = "concave",
    months: Sequence[pd.Period] | None = None,
    statistics: bool = True,
) -> ClusterResult:
    """Cluster incidents, outline the clusters and record the parameters.

    Parameters
    ----------
    points
        Incidents (canonical table or any points in a metre CRS).
    method
        ``"dbscan"`` (default; uses `eps`, `min_incidents`) or ``"hdbscan"``
        (uses `min_cluster_incidents`, `min_samples`).
    eps
        DBSCAN radius in metres; None = automatic (`suggest_eps`). For
        ``shape="buffer"`` with HDBSCAN it is required (the disc radius is eps/2).
    min_incidents
        DBSCAN ``min_samples`` in (weighted) incidents, default 20.
    min_cluster_incidents
        HDBSCAN smallest cluster in (weighted) incidents, default 50.
    min_samples
        HDBSCAN core-distance incidents; None = `min_cluster_incidents`.
    weight
        None = 1 per incident; a column name (e.g. ``"weight"``) for harm.
    min_locations
        Distinct locations a cluster needs, default 2.
    shape
        Polygon outline, ``"concave"`` (default) or ``"buffer"``.
    months
        The selection's months for the trend; None = first..last month present.
    statistics
        False: the polygons carry only their outline, ``cluster``, ``rank``,
        ``incidents``, ``harm`` and ``area_km2`` (`cluster_polygons`).

    Returns
    -------
    ClusterResult
        ``labelled``, ``polygons`` and ``parameters``.
    """
    if method == "dbscan":
        labelled = dbscan_clusters(
            points,
            eps=eps,
            min_incidents=min_incidents,
            weight=weight,
            min_locations=min_locations,
        )
    elif method == "hdbscan":
        labelled = hdbscan_clusters(
            points,
            min_cluster_incidents=min_cluster_incidents,
            min_samples=min_samples,
            weight=weight,
            min_locations=min_locations,
        )
    else:
        raise HotspotsError(f"`method` must be 'dbscan' or 'hdbscan', got {method!r}.")
    params = dict(labelled.attrs.get("cluster_parameters", {}))
    poly_eps = params.get("eps_m", eps)
    # `labelled` is `points` with a column more: the same rows, so the same
    # facts of where they are, when a block knows them (`located_once`)
    with located_once(labelled, known_facts(points.geometry.array)):
        polygons = cluster_polygons(
            labelled, eps=poly_eps, shape=shape, months=months, statistics=statistics
        )
    params.update(
        shape=shape,
        hull_ratio=HULL_RATIO if shape == "concave" else None,
        hull_pad_m=HULL_PAD_M if shape == "concave" else None,
        buffer_m=poly_eps / 2 if shape == "buffer" and poly_eps else None,
        months=[str(m) for m in months] if months is not None else None,
        trend_alpha=TREND_ALPHA,
        knee_quantile=KNEE_QUANTILE if params.get("eps_automatic") else None,
    )
    return ClusterResult(labelled=labelled, polygons=polygons, parameters=params)
