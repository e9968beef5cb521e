"""hotspots.cluster: DBSCAN/HDBSCAN on distinct weighted locations, polygons, stats."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from hotspots import bundled
from hotspots._validate import HotspotsError
from hotspots.cluster import (
    NOISE,
    ClusterResult,
    _kdistance,
    _mst,
    cluster_polygons,
    dbscan_clusters,
    find_clusters,
    hdbscan_clusters,
    suggest_eps,
)

CRS = "EPSG:27700"


def frame(xy, crs=CRS, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(*xy.T), crs=crs)


def snapped(seed: int, n_sites: int = 250, p: float = 0.15):
    """Raw incidents heavily duplicated on snap points, in shuffled order."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 2_000, size=(4, 2))
    sites = np.vstack(
        [
            *(rng.normal(c, 120, size=(n_sites // 5, 2)) for c in centres),
            rng.uniform(-500, 2_500, size=(n_sites - 4 * (n_sites // 5), 2)),
        ]
    )
    sites = np.round(sites + np.array([560_000, 150_000]), 3)
    counts = rng.geometric(p, size=len(sites))
    raw = np.repeat(sites, counts, axis=0)
    return raw[rng.permutation(len(raw))]


def relabel_min_locations(xy, labels, min_locations=2):
    """Independent: raw labels with clusters of < min_locations points dropped."""
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "c": labels})
    locs = df[df.c >= 0].drop_duplicates().groupby("c").size()
    kept = sorted(locs[locs >= min_locations].index)
    new = {old: i for i, old in enumerate(kept)}
    return np.array([new.get(c, -1) for c in labels])


def same_partition(a, b) -> bool:
    """Equal labels up to renumbering (noise must match exactly)."""
    if not np.array_equal(a < 0, b < 0):
        return False
    pairs = set(zip(a[a >= 0].tolist(), b[b >= 0].tolist(), strict=True))
    return len(pairs) == len({x for x, _ in pairs}) == len({y for _, y in pairs})


# ------------------------------------------------------------------------ inputs


@pytest.mark.parametrize(
    "call",
    [
        lambda g: dbscan_clusters(g, eps=100),
        lambda g: hdbscan_clusters(g),
        lambda g: suggest_eps(g),
    ],
)
def test_refuses_geographic_crs(call, two_clusters):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        call(two_clusters.to_crs("EPSG:4326"))


def test_refuses_non_geodataframe(two_clusters):
    with pytest.raises(TypeError, match="GeoDataFrame"):
        dbscan_clusters(pd.DataFrame(two_clusters), eps=100)


def test_refuses_empty_frame():
    with pytest.raises(HotspotsError, match="empty"):
        dbscan_clusters(frame(np.empty((0, 2))), eps=100)
    with pytest.raises(HotspotsError, match="empty"):
        hdbscan_clusters(frame(np.empty((0, 2))))


def test_refuses_only_unlocated_rows():
    g = gpd.GeoDataFrame(geometry=[shapely.Point()] * 3, crs=CRS)
    with pytest.raises(HotspotsError, match="None of the 3 incidents has a location"):
        dbscan_clusters(g, eps=100)
    with pytest.raises(HotspotsError, match="location"):
        suggest_eps(g)


def test_refuses_non_points(two_clusters):
    g = two_clusters.copy()
    g.loc[3, "geometry"] = shapely.box(0, 0, 1, 1)
    with pytest.raises(HotspotsError, match="row 3 is a Polygon"):
        dbscan_clusters(g, eps=100)


@pytest.mark.parametrize("eps", [0, -10, float("nan")])
def test_refuses_bad_eps(two_clusters, eps):
    with pytest.raises(HotspotsError, match="`eps` must be greater than 0"):
        dbscan_clusters(two_clusters, eps=eps)


@pytest.mark.parametrize("value", [0, 0.5, -3, float("nan")])
def test_refuses_min_below_one(two_clusters, value):
    with pytest.raises(HotspotsError, match="`min_incidents` must be at least 1"):
        dbscan_clusters(two_clusters, eps=100, min_incidents=value)
    with pytest.raises(HotspotsError, match="`min_cluster_incidents` must be"):
        hdbscan_clusters(two_clusters, min_cluster_incidents=value)
    with pytest.raises(HotspotsError, match="`min_samples` must be"):
        hdbscan_clusters(two_clusters, min_samples=value)
    with pytest.raises(HotspotsError, match="`k` must be"):
        suggest_eps(two_clusters, k=value)


def test_refuses_bad_min_locations(two_clusters):
    with pytest.raises(HotspotsError, match="`min_locations` must be 1 or more"):
        dbscan_clusters(two_clusters, eps=100, min_locations=0)
    with pytest.raises(TypeError, match="min_locations"):
        dbscan_clusters(two_clusters, eps=100, min_locations=1.5)


def test_refuses_unknown_weight_column(two_clusters):
    g = two_clusters.assign(weight=1.0)
    with pytest.raises(HotspotsError, match=r"'harm' not found.*\['weight'\]"):
        dbscan_clusters(g, eps=100, weight="harm")


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_refuses_bad_weights(two_clusters, bad):
    w = np.ones(len(two_clusters))
    w[7] = bad
    g = two_clusters.assign(weight=w)
    with pytest.raises(HotspotsError, match="row 7"):
        dbscan_clusters(g, eps=100, weight="weight")
    with pytest.raises(HotspotsError, match="row 7"):
        hdbscan_clusters(g, weight="weight")


def test_refuses_text_weights(two_clusters):
    g = two_clusters.assign(weight="1")
    with pytest.raises(HotspotsError, match="must be numeric"):
        dbscan_clusters(g, eps=100, weight="weight")


def test_polygons_bad_input(two_clusters):
    with pytest.raises(HotspotsError, match="no `cluster` column"):
        cluster_polygons(two_clusters)
    labelled = dbscan_clusters(two_clusters, eps=100, min_incidents=5)
    with pytest.raises(HotspotsError, match="`eps` must be greater than 0"):
        cluster_polygons(labelled, shape="buffer")
    with pytest.raises(HotspotsError, match="`shape` must be"):
        cluster_polygons(labelled, shape="circle")  # type: ignore[arg-type]
    with pytest.raises(HotspotsError, match="projected CRS"):
        cluster_polygons(labelled.to_crs("EPSG:4326"))


def test_find_clusters_bad_method(two_clusters):
    with pytest.raises(HotspotsError, match="`method` must be"):
        find_clusters(two_clusters, method="kmeans")  # type: ignore[arg-type]


def test_suggest_eps_too_few_incidents(two_clusters):
    with pytest.raises(HotspotsError, match="fewer than k=100"):
        suggest_eps(two_clusters, k=100)


def test_suggest_eps_knee_at_zero():
    # every snap point alone holds k incidents: no positive radius to suggest
    g = frame(np.repeat([[0, 0], [500, 0], [0, 500]], 30, axis=0))
    with pytest.raises(HotspotsError, match="every incident sits on a snap point"):
        suggest_eps(g, k=20)
    with pytest.raises(HotspotsError, match="every incident sits on a snap point"):
        dbscan_clusters(g)


# ----------------------------------------------------------------------- outputs


def test_two_clusters_fixture(two_clusters):
    out = dbscan_clusters(two_clusters, eps=100, min_incidents=5)
    assert out["cluster"].dtype == np.int64
    assert list(np.bincount(out["cluster"] + 1)) == [5, 20, 20]
    assert (out["cluster"].iloc[40:] == NOISE).all()
    assert out["cluster"].iloc[:20].nunique() == 1
    xy = two_clusters.get_coordinates().to_numpy()
    expected = DBSCAN(eps=100, min_samples=5).fit_predict(xy)
    assert np.array_equal(out["cluster"].to_numpy(), expected)

    h = hdbscan_clusters(two_clusters, min_cluster_incidents=10)
    assert list(np.bincount(h["cluster"] + 1)) == [5, 20, 20]
    assert same_partition(h["cluster"].to_numpy(), out["cluster"].to_numpy())


@pytest.mark.parametrize("method", ["dbscan", "hdbscan"])
def test_same_index_crs_and_input_untouched(two_clusters, method):
    g = two_clusters.assign(weight=2.0)
    g.index = [f"r{i}" for i in range(len(g))]
    before = g.copy()
    if method == "dbscan":
        out = dbscan_clusters(g, eps=100, min_incidents=10, weight="weight")
    else:
        out = hdbscan_clusters(g, min_cluster_incidents=20, weight="weight")
    assert_geodataframe_equal(g, before)
    assert list(out.index) == list(g.index)
    assert out.crs == g.crs
    assert_geodataframe_equal(out.drop(columns="cluster"), g)
    assert list(np.bincount(out["cluster"] + 1)) == [5, 20, 20]


@pytest.mark.parametrize("method", ["dbscan", "hdbscan"])
def test_unlocated_rows_ignored(two_clusters, method):
    empty = gpd.GeoDataFrame(geometry=[shapely.Point()] * 4, crs=CRS)
    empty.index = [100, 101, 102, 103]
    g = pd.concat([empty.iloc[:2], two_clusters, empty.iloc[2:]])
    run = (
        (lambda x: dbscan_clusters(x, eps=100, min_incidents=5))
        if method == "dbscan"
        else (lambda x: hdbscan_clusters(x, min_cluster_incidents=10))
    )
    with_empty, without = run(g), run(two_clusters)
    assert (with_empty.loc[[100, 101, 102, 103], "cluster"] == NOISE).all()
    assert np.array_equal(
        with_empty.loc[two_clusters.index, "cluster"], without["cluster"]
    )
    poly = cluster_polygons(with_empty)
    assert poly["incidents"].sum() == 40
    assert np.allclose(poly["share"], 20 / 45)  # of the 45 located incidents


@pytest.mark.parametrize("seed", range(5))
def test_dbscan_distinct_weighted_equals_raw(seed):
    raw = snapped(seed)
    assert len(np.unique(raw, axis=0)) < len(raw) / 4  # heavy duplication
    g = frame(raw)
    rng = np.random.default_rng(seed)
    for eps, m in [(60.0, 10), (100.0, 25), (float(rng.uniform(40, 200)), 15)]:
        expected = DBSCAN(eps=eps, min_samples=m).fit_predict(raw)
        got = dbscan_clusters(g, eps=eps, min_incidents=m, min_locations=1)
        assert np.array_equal(got["cluster"].to_numpy(), expected)  # number for number
        got2 = dbscan_clusters(g, eps=eps, min_incidents=m)
        assert np.array_equal(
            got2["cluster"].to_numpy(), relabel_min_locations(raw, expected)
        )


@pytest.mark.parametrize("seed", range(3))
def test_dbscan_harm_weights_equal_repeated_rows(seed):
    raw = snapped(seed, n_sites=150)
    w = np.random.default_rng(seed).integers(0, 4, size=len(raw)).astype(float)
    g = frame(raw, weight=w)
    expanded = np.repeat(raw, w.astype(int), axis=0)
    got = dbscan_clusters(g, eps=80, min_incidents=20, weight="weight", min_locations=1)
    want = DBSCAN(eps=80, min_samples=20).fit_predict(expanded)
    # each expanded row carries the label of its source row
    got_rows = np.repeat(got["cluster"].to_numpy(), w.astype(int))
    assert same_partition(got_rows, want)
    # fractional min_incidents: scaling weights and threshold together changes nothing
    half = dbscan_clusters(
        g.assign(weight=w / 8), eps=80, min_incidents=2.5, weight="weight"
    )
    full = dbscan_clusters(g, eps=80, min_incidents=20, weight="weight")
    assert np.array_equal(half["cluster"], full["cluster"])


def test_single_location_cluster_is_noise_by_default():
    rng = np.random.default_rng(1)
    blob = rng.normal([600_000, 150_000], 20, size=(30, 2))
    other = rng.normal([602_000, 150_000], 20, size=(30, 2))  # HDBSCAN needs 2
    lone = np.repeat([[605_000, 150_000]], 40, axis=0)  # one snap point, 40 incidents
    near = np.repeat([[600_030, 150_000]], 25, axis=0)  # heavy point inside the blob
    g = frame(np.vstack([blob, lone, near, other]))
    keep = dbscan_clusters(g, eps=60, min_incidents=20, min_locations=1)
    assert keep["cluster"].iloc[30:70].nunique() == 1
    assert keep["cluster"].iloc[30] >= 0  # raw DBSCAN makes the lone point a cluster
    out = dbscan_clusters(g, eps=60, min_incidents=20)
    assert (out["cluster"].iloc[30:70] == NOISE).all()
    # the heavy point near other locations is merged into their cluster
    assert out["cluster"].iloc[70:95].nunique() == 1
    assert out["cluster"].iloc[70] == out["cluster"].iloc[0] == 0
    assert (out["cluster"].iloc[95:] == 1).all()  # renumbered consecutively
    assert keep["cluster"].iloc[95] == 2
    h = hdbscan_clusters(g, min_cluster_incidents=20, min_samples=10)
    assert (h["cluster"].iloc[30:70] == NOISE).all()
    assert h["cluster"].iloc[70] == h["cluster"].iloc[0] >= 0
    assert h["cluster"].max() == 1


def test_kdistance_equals_raw_k_nearest():
    raw = snapped(7, n_sites=120)
    sites, counts = np.unique(raw, axis=0, return_counts=True)
    for k in (1, 5, 17):
        kd = _kdistance(sites, counts.astype(float), k)
        dist = cdist(sites, raw)  # brute force over raw incidents, self included
        expected = np.sort(dist, axis=1)[:, k - 1]
        assert np.allclose(kd, expected)
        nn = NearestNeighbors(n_neighbors=k).fit(raw).kneighbors(sites, k)[0][:, -1]
        assert np.allclose(kd, nn)


@pytest.mark.parametrize("seed", range(3))
def test_hdbscan_unit_weights_equal_sklearn(seed):
    # with one incident per location, sklearn's HDBSCAN, but for the points
    # that sklearn itself places by the order of the input rows: where mutual
    # reachabilities tie, its binary dendrogram nests equal merges in the order
    # it met them, so a point can join either cluster (1 in 510 here, in seeds
    # 0 and 2); the hierarchy here joins them at once (`_tie_hierarchy`)
    rng = np.random.default_rng(seed)
    xy = np.vstack(
        [rng.normal(c, 60, (150, 2)) for c in [(0, 0), (500, 0), (250, 400)]]
        + [rng.uniform(-500, 1000, (60, 2))]
    ) + np.array([560_000, 150_000])

    def sklearns(order):
        labels = np.empty(len(xy), dtype=np.int64)
        labels[order] = HDBSCAN(
            min_cluster_size=15, min_samples=5, copy=True
        ).fit_predict(xy[order])
        return labels

    want = sklearns(np.arange(len(xy)))
    runs = [want] + [sklearns(np.random.default_rng(s).permutation(len(xy))) for s in range(12)]  # fmt: skip
    # each run's clusters named by the cluster of `want` they share most with
    named = []
    for run in runs:
        name = {
            c: np.bincount(want[run == c] + 1).argmax() - 1 for c in set(run) - {NOISE}
        }
        named.append(np.array([name.get(c, NOISE) for c in run]))
    steady = (np.array(named) == named[0]).all(axis=0)
    assert steady.mean() > 0.99  # the ties concern a point or two
    got = hdbscan_clusters(
        frame(xy), min_cluster_incidents=15, min_samples=5, min_locations=1
    )["cluster"].to_numpy()
    # the same clusters and noise (numbered in another order) where sklearn is
    # steady; a point it places by the row order is noise here: it leaves at
    # the level where the clusters split, as HDBSCAN* defines
    assert same_partition(got[steady], want[steady])
    assert (got[~steady] == NOISE).all()
    assert len(set(want)) >= 4  # three clusters and noise


def prim_tree(xy, core):
    """sklearn's minimum spanning tree (Prim's, over all pairs), sorted."""
    from sklearn.cluster._hdbscan._linkage import mst_from_data_matrix
    from sklearn.metrics import DistanceMetric

    mst = mst_from_data_matrix(
        np.ascontiguousarray(xy, dtype="float64"),
        np.ascontiguousarray(core, dtype="float64"),
        DistanceMetric.get_metric("euclidean"),
        1.0,
    )
    mst = mst[np.argsort(mst["distance"])]
    return (
        mst["current_node"].astype("int64"),
        mst["next_node"].astype("int64"),
        mst["distance"].astype("float64"),
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("k", [1, 5, 40])
def test_mst_is_a_minimum_spanning_tree(seed, k):
    # Borůvka's tree against Prim's over all pairs: every minimum spanning tree
    # has the same sorted weights; snapped data has many equal weights
    sites, counts = np.unique(snapped(seed, n_sites=400), axis=0, return_counts=True)
    rng = np.random.default_rng(seed)
    xy = np.vstack(
        [sites, rng.uniform(-4e3, 6e3, (30, 2)) + np.array([560_000, 150_000])]
    )
    w = np.concatenate([counts, np.ones(30)]).astype(float)
    core = _kdistance(xy, w, k)
    a, b, dist = _mst(xy, core)
    assert len(dist) == len(xy) - 1
    mr = np.maximum(np.maximum(core[a], core[b]), np.hypot(*(xy[a] - xy[b]).T))
    assert np.allclose(dist, mr, rtol=1e-12, atol=0)  # each edge's own weight
    assert (np.diff(dist) >= 0).all()
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(xy), len(xy)))
    assert connected_components(graph, directed=False)[0] == 1  # spans them all
    # (distances to the last bit as each computes them)
    assert np.allclose(dist, prim_tree(xy, core)[2], rtol=1e-12, atol=0)
    assert abs(dist.sum() - prim_tree(xy, core)[2].sum()) < 1e-9 * dist.sum()


@pytest.mark.parametrize("n", [2, 3, 16, 17, 40, 300])
@pytest.mark.parametrize("layout", ["scatter", "line", "grid"])
def test_mst_small_and_degenerate(n, layout):
    # the compiled k-d tree's edge cases: one leaf (n <= 16), the first split,
    # points all on a line (boxes of no width), a lattice (every distance tied)
    rng = np.random.default_rng(n)
    if layout == "scatter":
        xy = rng.uniform(0, 1_000, (n, 2))
    elif layout == "line":
        xy = np.column_stack([np.arange(n) * 7.0, np.full(n, 3.0)])
    else:
        side = int(np.ceil(np.sqrt(n)))
        xy = np.array([(i % side, i // side) for i in range(n)], dtype=float) * 10
    core = _kdistance(xy, np.ones(n), min(n, 3))
    a, b, dist = _mst(xy, core)
    assert len(a) == n - 1
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    assert connected_components(graph, directed=False)[0] == 1
    assert np.allclose(dist, prim_tree(xy, core)[2], rtol=1e-12, atol=0)
    # to the last bit as the k-d tree of the core distances computes distances
    # (sqrt(dx² + dy²)), so that an edge at a neighbour's core distance ties it
    dx, dy = (xy[a] - xy[b]).T
    mr = np.maximum(np.maximum(core[a], core[b]), np.sqrt(dx * dx + dy * dy))
    assert np.array_equal(dist, mr)


def test_mst_of_one_location_is_empty():
    a, b, dist = _mst(np.array([[1.0, 2.0]]), np.zeros(1))
    assert len(a) == len(b) == len(dist) == 0


def test_hdbscan_does_not_depend_on_the_tree(monkeypatch):
    # equal mutual reachabilities are common (every neighbour within a site's
    # core distance is that far from it), so several minimum trees exist; the
    # hierarchy joins equal weights at once, so each gives the same clusters.
    # On Thanet's 17 months a binary dendrogram gave 165 clusters from Prim's
    # tree and 167 from Borůvka's (labels differing at 1 incident in 20)
    from hotspots import cluster
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    inc = inc[inc["lad_code"].eq("E07000114").fillna(False).to_numpy(dtype=bool)]
    ours = hdbscan_clusters(inc)["cluster"].to_numpy()
    monkeypatch.setattr(cluster, "_mst", prim_tree)
    prims = hdbscan_clusters(inc)["cluster"].to_numpy()
    assert ours.max() > 100
    assert same_partition(ours, prims)

    def reversed_ties(xy, core):  # Prim's tree, equal weights in reverse order
        a, b, d = prim_tree(xy, core)
        order = np.lexsort((-np.arange(len(d)), d))
        return b[order], a[order], d[order]

    monkeypatch.setattr(cluster, "_mst", reversed_ties)
    assert same_partition(hdbscan_clusters(inc)["cluster"].to_numpy(), ours)


def test_tie_hierarchy_joins_equal_weights_at_once():
    from hotspots.cluster import _tie_hierarchy

    # points 0-1 at 1; then 1-2, 3-4 and 2-3 all at 2; then 4-5 at 3
    a, b = np.array([0, 1, 3, 2, 4]), np.array([1, 2, 4, 3, 5])
    d = np.array([1.0, 2.0, 2.0, 2.0, 3.0])
    start, kids, heights = _tie_hierarchy(a, b, d, 6)
    children = [kids[start[i] : start[i + 1]].tolist() for i in range(len(heights))]
    assert heights.tolist() == [1.0, 2.0, 3.0]
    assert children[0] == [0, 1]
    assert sorted(children[1]) == [2, 3, 4, 6]  # node 6 = {0, 1}, with 2, 3, 4
    assert sorted(children[2]) == [5, 7]


@pytest.mark.parametrize("seed", range(4))
def test_hdbscan_duplicates_close_to_raw(seed):
    # Exact equality is not defined: raw HDBSCAN on duplicated points depends on
    # the tie order of equal mutual reachabilities (the docstring says why). The
    # claim holds while every location has fewer than min_cluster_size incidents.
    rng = np.random.default_rng(seed)
    sites, counts = np.unique(
        snapped(seed, n_sites=300, p=0.25), axis=0, return_counts=True
    )
    counts = np.minimum(counts, 19)
    raw = np.repeat(sites, counts, axis=0)[rng.permutation(counts.sum())]
    want = HDBSCAN(min_cluster_size=20, min_samples=10, copy=True).fit_predict(raw)
    got = hdbscan_clusters(
        frame(raw), min_cluster_incidents=20, min_samples=10, min_locations=1
    )
    assert adjusted_rand_score(got["cluster"], want) > 0.95


def test_hdbscan_weights_scale_invariant():
    raw = snapped(3, n_sites=200)
    g = frame(raw, weight=np.full(len(raw), 0.5))
    a = hdbscan_clusters(g, min_cluster_incidents=20, min_samples=8)
    b = hdbscan_clusters(g, min_cluster_incidents=10, min_samples=4, weight="weight")
    assert np.array_equal(a["cluster"], b["cluster"])
    assert a["cluster"].max() >= 1


def grid_with_loners():
    xs, ys = np.meshgrid(np.arange(40) * 50.0, np.arange(40) * 50.0)
    grid = np.column_stack([xs.ravel(), ys.ravel()]) + np.array([550_000, 140_000])
    loners = [[560_000 + 3_000 * i, 160_000] for i in range(10)]
    return frame(np.vstack([grid, loners]))


def test_suggest_eps_on_grid():
    g = grid_with_loners()
    eps, text = suggest_eps(g, k=5)
    # interior: itself + 4 neighbours at 50 m; edges need a diagonal (70.7 m)
    assert eps == pytest.approx(50.0)
    assert text.startswith("eps 50 m, from the knee")
    assert "5-nearest-incident" in text
    # k=9 needs the 4 diagonals: 70.7 m in the interior
    assert suggest_eps(g, k=9)[0] == pytest.approx(50 * np.sqrt(2))
    # the knee lies where DBSCAN makes the grid one cluster and the loners noise
    out = dbscan_clusters(g, min_incidents=5)
    assert out.attrs["cluster_parameters"]["eps_automatic"] is True
    assert out.attrs["cluster_parameters"]["eps_m"] == pytest.approx(50.0)
    corners = [0, 39, 1560, 1599]  # only edge points within 50 m: not core
    assert (out["cluster"].iloc[corners] == NOISE).all()
    assert (out["cluster"].drop(index=corners).iloc[:1596] == 0).all()
    assert (out["cluster"].iloc[1600:] == NOISE).all()


def test_suggest_eps_weights_count_as_incidents():
    g = grid_with_loners()
    doubled = pd.concat([g, g])
    with_weight = g.assign(weight=2.0)
    eps1, _ = suggest_eps(doubled, k=10)
    eps2, text = suggest_eps(with_weight, k=10, weight="weight")
    assert eps1 == eps2 == pytest.approx(50.0)
    assert "weight-weighted" in text


def test_dbscan_eps_none_uses_suggestion(two_clusters):
    eps, text = suggest_eps(two_clusters, k=5)
    auto = dbscan_clusters(two_clusters, min_incidents=5)
    fixed = dbscan_clusters(two_clusters, eps=eps, min_incidents=5)
    assert np.array_equal(auto["cluster"], fixed["cluster"])
    params = auto.attrs["cluster_parameters"]
    assert params["eps_automatic"]
    assert params["eps_explanation"] == text
    assert fixed.attrs["cluster_parameters"]["eps_automatic"] is False


# ---------------------------------------------------------------------- polygons


def crafted_incidents() -> gpd.GeoDataFrame:
    """Three sites 10 m apart: 10/month in 2022-01..08 then 30/month 2022-09..12;
    a second group 2 km away with a steady 6/month; and unlocated rows."""
    rows = []
    months = pd.period_range("2022-01", "2022-12", freq="M")
    sites_a = [(570_000, 160_000), (570_010, 160_000), (570_000, 160_010)]
    for i, m in enumerate(months):
        n = 10 if i < 8 else 30
        for j in range(n):
            x, y = sites_a[j % 3]
            cat = "Shoplifting" if j % 2 == 0 else ("Drugs" if j % 4 == 1 else "ASB")
            rows.append((x, y, m, cat, "E05000001" if j % 3 else "E05000002", 1.5))
        for j in range(6):
            rows.append(
                (572_000 + 10 * (j % 2), 160_000, m, "Burglary", "E05000003", 1.0)
            )
    df = pd.DataFrame(rows, columns=["x", "y", "month", "category", "ward", "w"])
    g = gpd.GeoDataFrame(
        {
            "month": df["month"].astype("period[M]"),
            "category": df["category"],
            "ward_code": df["ward"],
            "lad_code": np.where(df["x"] < 571_000, "E07000110", "E07000111"),
            "weight": df["w"],
        },
        geometry=gpd.points_from_xy(df["x"], df["y"]),
        crs=CRS,
    )
    unlocated = g.iloc[:5].copy()
    unlocated["geometry"] = shapely.Point()
    unlocated.index = range(10_000, 10_005)
    return pd.concat([g, unlocated])


def test_polygon_stats_equal_independent_counts():
    g = crafted_incidents()
    labelled = dbscan_clusters(g, eps=50, min_incidents=5)
    poly = cluster_polygons(labelled)
    assert list(poly.columns[-1:]) == ["geometry"]
    assert poly.crs == g.crs
    assert len(poly) == 2
    loc = labelled[~labelled.geometry.is_empty]
    members = loc[loc["cluster"] >= 0]
    xy = members.get_coordinates()
    by = members.groupby("cluster")
    p = poly.set_index("cluster")
    assert (p["incidents"] == by.size()).all()
    assert np.allclose(p["harm"], by["weight"].sum())
    assert (
        p["locations"]
        == xy.assign(c=members["cluster"]).drop_duplicates().groupby("c").size()
    ).all()
    assert np.allclose(p["share"], by.size() / len(loc))
    assert poly["share"].sum() <= 1
    assert (p["months_active"] == by["month"].nunique()).all()
    assert (p["first_month"] == "2022-01").all()
    assert (p["last_month"] == "2022-12").all()
    assert list(poly["rank"]) == [1, 2]
    assert poly["incidents"].is_monotonic_decreasing
    big = p.loc[members.loc[0, "cluster"]]  # the first crafted row is in group A
    counts = members[members["cluster"] == members.loc[0, "cluster"]]["category"]
    share = counts.value_counts() / len(counts)
    expected = ", ".join(f"{k} {100 * v:.0f}%" for k, v in share.items())
    assert big["top_categories"] == expected
    assert big["wards"] == "E05000001,E05000002"
    assert big["districts"] == "E07000110"
    assert np.allclose(poly["area_km2"], poly.area / 1e6)
    # every member location lies inside its polygon
    for c, geom in zip(poly["cluster"], poly.geometry, strict=True):
        pts = members[members["cluster"] == c].geometry
        assert pts.within(geom).all()


def test_trend_rising_and_stable():
    poly = cluster_polygons(
        dbscan_clusters(crafted_incidents(), eps=50, min_incidents=5)
    )
    rising = poly[poly["incidents"] == 8 * 10 + 4 * 30].iloc[0]
    # 12 months present: the recent third is 2022-09..12 (4 months)
    assert rising["trend"] == pytest.approx((120 / 4) / (80 / 8))
    assert rising["trend_label"] == "rising"
    assert rising["trend_p"] == pytest.approx(stats.binomtest(120, 200, 4 / 12).pvalue)
    assert rising["trend_p"] < 1e-6
    steady = poly[poly["incidents"] == 72].iloc[0]
    assert steady["trend"] == pytest.approx(1.0)
    assert steady["trend_label"] == "stable"


def test_trend_falling_and_data_gap():
    g = crafted_incidents()
    g = g[g["month"] <= pd.Period("2022-08", "M")]  # drop the busy months
    # add a gap: the same steady data moved to 2024-01..03 (2022-09..2023-12 absent)
    late = g[g["month"] >= pd.Period("2022-06", "M")].copy()
    late["month"] = late["month"] + 19  # 2022-06..08 -> 2024-01..03
    late = late[late.geometry.x > 571_000]  # only the steady group continues
    late.index = late.index + 100_000
    data = pd.concat([g, late])
    poly = cluster_polygons(dbscan_clusters(data, eps=50, min_incidents=5))
    # present months: 2022-01..08 and 2024-01..03 = 11; recent = round(11/3) = 4
    # = 2022-08, 2024-01, 2024-02, 2024-03
    a = poly[poly["locations"] == 3].iloc[0]
    assert a["last_month"] == "2022-08"
    assert a["trend"] == pytest.approx((10 / 4) / (70 / 7))
    assert a["trend_label"] == "falling"
    assert a["trend_p"] == pytest.approx(stats.binomtest(10, 80, 4 / 11).pvalue)
    b = poly[poly["locations"] == 2].iloc[0]
    assert b["months_active"] == 11
    assert b["trend"] == pytest.approx(1.0)
    assert b["trend_label"] == "stable"
    # an explicit window: only the selected months present in the data count
    months = list(pd.period_range("2022-05", "2024-06", freq="M"))
    poly2 = cluster_polygons(
        dbscan_clusters(data, eps=50, min_incidents=5), months=months
    )
    b2 = poly2[poly2["locations"] == 2].iloc[0]  # 7 present months, recent 2
    assert b2["trend"] == pytest.approx(1.0)
    a2 = poly2[poly2["locations"] == 3].iloc[0]  # 2022-05..08 only: 40 earlier
    assert a2["trend"] == 0.0
    assert a2["trend_label"] == "falling"
    assert a2["trend_p"] == pytest.approx(stats.binomtest(0, 40, 2 / 7).pvalue)


def test_trend_p_values_are_scipys_binomtest():
    # every cluster's exact test is run at once: the same p-values as one
    # scipy.stats.binomtest per cluster, on Thanet's 17 months of incidents
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    inc = inc[inc["lad_code"].eq("E07000114").fillna(False).to_numpy(dtype=bool)]
    poly = cluster_polygons(dbscan_clusters(inc, eps=150, min_incidents=30))
    assert len(poly) > 20
    months = sorted(set(inc["month"]))
    recent = max(1, round(len(months) / 3))
    member = dbscan_clusters(inc, eps=150, min_incidents=30)
    for row in poly.itertuples():
        rows = member[member["cluster"] == row.cluster]
        r = int((rows["month"] >= months[-recent]).sum())
        want = stats.binomtest(r, row.incidents, recent / len(months)).pvalue
        assert row.trend_p == want
        assert row.trend_label == (
            "stable" if want >= 0.05 else ("rising" if row.trend > 1 else "falling")
        )


def test_polygons_outlines_only(two_clusters):
    labelled = dbscan_clusters(two_clusters, eps=100, min_incidents=5)
    full = cluster_polygons(labelled, eps=100)
    bare = cluster_polygons(labelled, eps=100, statistics=False)
    assert list(bare.columns) == [
        "cluster", "rank", "incidents", "harm", "area_km2", "geometry"
    ]  # fmt: skip
    cols = list(bare.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(bare[cols]), pd.DataFrame(full[cols]))


@pytest.mark.parametrize("shape", ["concave", "buffer"])
def test_outlines_made_on_two_threads_are_those_made_on_one(monkeypatch, shape):
    # from `_TWO_THREADS_FROM` sites half the clusters are outlined on another
    # thread: the same geometries, in the same order, as on one
    from hotspots import cluster

    raw = np.vstack([snapped(seed, n_sites=1_500) for seed in range(6)])
    labelled = hdbscan_clusters(frame(raw), min_cluster_incidents=20)
    sites = np.unique(raw[labelled["cluster"].to_numpy() >= 0], axis=0)
    assert len(sites) >= cluster._TWO_THREADS_FROM
    two = cluster_polygons(labelled, eps=120, shape=shape, statistics=False)
    monkeypatch.setattr(cluster, "_TWO_THREADS_FROM", 10**9)
    one = cluster_polygons(labelled, eps=120, shape=shape, statistics=False)
    assert len(two) > 10
    assert two.geometry.geom_equals_exact(one.geometry, 0).all()
    pd.testing.assert_frame_equal(
        pd.DataFrame(two.drop(columns="geometry")),
        pd.DataFrame(one.drop(columns="geometry")),
    )


def test_polygons_without_optional_columns(two_clusters):
    labelled = dbscan_clusters(two_clusters, eps=100, min_incidents=5)
    poly = cluster_polygons(labelled, eps=100, shape="buffer")
    assert list(poly["incidents"]) == [20, 20]
    assert (poly["harm"] == 20.0).all()
    assert (poly["top_categories"] == "").all()
    assert (poly["trend_label"] == "n/a").all()
    assert (poly["wards"] == "").all()
    assert (poly["months_active"] == 0).all()
    # buffer: union of 50 m discs around each location
    for c, geom in zip(poly["cluster"], poly.geometry, strict=True):
        pts = labelled[labelled["cluster"] == c].geometry
        union = shapely.union_all(pts.buffer(50).to_numpy())
        # same shape up to the discs' polygon approximation
        assert shapely.symmetric_difference(geom, union).area < 0.01 * union.area
        assert pts.within(geom).all()


def test_polygons_empty_when_no_cluster(two_clusters):
    labelled = dbscan_clusters(two_clusters, eps=10, min_incidents=10)
    assert (labelled["cluster"] == NOISE).all()
    poly = cluster_polygons(labelled)
    assert len(poly) == 0
    assert poly.crs == two_clusters.crs
    assert "incidents" in poly.columns


@pytest.mark.skipif(not bundled.WARDS.exists(), reason="bundled wards not built")
def test_ward_and_district_names_from_boundaries():
    g = crafted_incidents().assign(ward_code="E05014450", lad_code="E06000035")
    poly = cluster_polygons(dbscan_clusters(g, eps=50, min_incidents=5))
    assert (poly["ward_names"] == "Chatham Central & Brompton").all()
    assert (poly["district_names"] == "Medway").all()


def test_find_clusters_records_parameters():
    g = crafted_incidents()
    result = find_clusters(g, min_incidents=50)
    assert isinstance(result, ClusterResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.labelled = g  # type: ignore[misc]
    p = result.parameters
    assert p["method"] == "dbscan"
    assert p["eps_automatic"] is True
    assert p["eps_explanation"].startswith(f"eps {p['eps_m']:.0f} m")
    assert p["shape"] == "concave"
    assert p["min_locations"] == 2
    assert len(result.polygons) == result.labelled["cluster"].max() + 1
    h = find_clusters(
        g, method="hdbscan", min_cluster_incidents=30, eps=50, shape="buffer"
    )
    assert h.parameters["method"] == "hdbscan"
    assert h.parameters["min_samples_automatic"] is True
    assert h.parameters["buffer_m"] == 25
    assert len(h.polygons) == 2


# ---------------------------------------------------------------- real Kent data


@pytest.mark.skipif(
    not bundled.POLICE_UK_KENT.exists(), reason="bundled police.uk data not built"
)
def test_kent_medway_finds_chatham_town_centre():
    from hotspots.store import read_bundled_police

    g = read_bundled_police()
    med = g[(g["lad_code"] == "E06000035") & (g["month"] >= pd.Period("2024-01", "M"))]
    result = find_clusters(med, eps=100, min_incidents=20)
    poly = result.polygons
    assert len(poly) > 10
    assert result.labelled["cluster"].max() + 1 == len(poly)
    # the Pentagon shopping centre and the High Street car park snap points
    for xy in [(575_837.380, 167_988.928), (575_995.985, 167_767.074)]:
        hit = poly[poly.contains(shapely.Point(xy))]
        assert len(hit) == 1
        assert "E05014450" in hit["wards"].iloc[0].split(",")
    # default parameters: automatic eps from the knee, recorded
    auto = find_clusters(med)
    assert auto.parameters["eps_automatic"]
    assert 100 < auto.parameters["eps_m"] < 400


def test_cluster_rules_are_explained_with_their_numbers(two_clusters):
    db = dbscan_clusters(two_clusters, eps=120, min_incidents=5).attrs
    assert db["cluster_parameters"]["min_incidents_explanation"] == (
        "clusters grow from places with 5 or more incidents within 120 m (their own "
        "included) and take in the places within 120 m of those; a cluster needs 2 "
        "or more distinct places, the rest is noise"
    )
    weighted = dbscan_clusters(
        two_clusters.assign(weight=1.5), eps=120, min_incidents=5, weight="weight",
        min_locations=1,
    ).attrs["cluster_parameters"]  # fmt: skip
    assert weighted["min_incidents_explanation"] == (
        "clusters grow from places with a harm of 5 or more within 120 m (their own "
        "included) and take in the places within 120 m of those; the rest is noise"
    )
    hdb = hdbscan_clusters(two_clusters, min_cluster_incidents=10).attrs
    assert hdb["cluster_parameters"]["min_cluster_incidents_explanation"] == (
        "clusters of 10 or more incidents at 2 or more distinct places, each with its "
        "own radius from how densely its incidents lie (a place's core distance: the "
        "radius around it holding 10 incidents)"
    )
    own = hdbscan_clusters(
        two_clusters.assign(weight=2.0), min_cluster_incidents=10, min_samples=4,
        weight="weight",
    ).attrs["cluster_parameters"]  # fmt: skip
    assert own["min_cluster_incidents_explanation"].startswith(
        "clusters of a harm of 10 or more at 2 or more distinct places"
    )
    assert own["min_cluster_incidents_explanation"].endswith("holding a harm of 4)")


def test_compiled_hdbscan_loops_run_the_same_as_python():
    # the kernels are plain loops: with numba's compiler off they run as Python,
    # and must give the same labels (the reading a reviewer checks them by)
    from jit_runs import compiled_and_python

    script = (
        "import numpy as np\n"
        "from hotspots.cluster import _weighted_hdbscan\n"
        "r = np.random.default_rng(0)\n"
        "p = np.round(r.normal(size=(600, 2)) * 50)"
        " + np.repeat(r.uniform(0, 2000, (6, 2)), 100, axis=0)\n"
        "p = np.unique(p, axis=0)\n"
        "w = r.integers(1, 5, len(p)).astype(float)\n"
        "print(','.join(map(str, _weighted_hdbscan(p, w, 15.0, 7.0))))"
    )
    runs = {
        jit: np.array(lines[0].split(","), dtype=int)
        for jit, lines in compiled_and_python(script, "boruvka").items()
    }
    assert runs["0"].max() >= 4  # clusters found
    assert np.array_equal(runs["0"], runs["1"])
