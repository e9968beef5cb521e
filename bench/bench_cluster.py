"""DBSCAN/HDBSCAN on distinct weighted locations against sklearn on the raw points.

Run: .venv/bin/python -c "from bench.bench_cluster import run; run(1)"

Every step whose memory matters runs in a subprocess that prints its own peak
RSS (``ru_maxrss``), so figures do not inherit this process's peak. The raw
sklearn baseline runs under ``resource.setrlimit(RLIMIT_AS)``; it is never run on
1M snapped points: its radius neighbourhoods hold every raw pair within ``eps``
(estimated and printed below), tens of GiB at county scale.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from bench.common import peak_mb, row, timed

ROOT = Path(__file__).resolve().parent.parent
RAW_CAP_GB = 6  # address-space cap for the raw sklearn baseline subprocess


def synthetic(n_incidents: int, n_sites: int = 50_000, seed: int = 0):
    """`n_incidents` incidents snapped onto `n_sites` points over a 60 x 40 km county.

    60% of the snap points lie in 40 towns (normal, 300-1,500 m spread), the rest
    uniformly; incidents pick snap points with lognormal popularity (town-centre
    points busier), as police.uk's anonymised map points are used.
    """
    rng = np.random.default_rng(seed)
    towns = rng.uniform([560_000, 130_000], [620_000, 170_000], size=(40, 2))
    spread = rng.uniform(300, 1_500, size=40)
    n_town = int(0.6 * n_sites)
    which = rng.integers(0, 40, size=n_town)
    in_towns = rng.normal(towns[which], spread[which, None])
    rural = rng.uniform([560_000, 130_000], [620_000, 170_000], (n_sites - n_town, 2))
    sites = np.round(np.vstack([in_towns, rural]), 1)
    sites = np.unique(sites, axis=0)
    pop = rng.lognormal(0.0, 1.2, size=len(sites))
    d = np.min(
        np.hypot(
            sites[:, None, 0] - towns[None, :, 0], sites[:, None, 1] - towns[None, :, 1]
        ),
        axis=1,
    )
    pop *= 1 + 4 * np.exp(-d / 500)
    idx = rng.choice(len(sites), size=n_incidents, p=pop / pop.sum())
    return sites[idx]


def raw_pairs(xy: np.ndarray, eps: float) -> float:
    """Number of raw (incident, incident) pairs within eps, self pairs included."""
    from scipy.spatial import cKDTree

    sites, counts = np.unique(xy, axis=0, return_counts=True)
    tree = cKDTree(sites)
    m = tree.sparse_distance_matrix(tree, eps, output_type="coo_matrix")
    w = np.bincount(m.row, weights=counts[m.col].astype(float), minlength=len(sites))
    w += counts  # the site itself (distance 0 is not stored)
    return float((counts * w).sum())


_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np
    sys.path.insert(0, {root!r})

    def hwm_mb():
        # VmHWM is this process's own peak (ru_maxrss survives fork + exec on Linux)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def reset_hwm():
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak RSS to the current RSS (Linux >= 4.0)
        except OSError:
            pass

    spec = json.loads(sys.argv[1])
    if spec.get("cap_gb"):
        cap = int(spec["cap_gb"] * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import geopandas as gpd
    from bench.bench_cluster import synthetic, kent_xy
    if spec["data"] == "kent":
        xy = kent_xy(spec.get("months"))
    else:
        xy = synthetic(spec["n"])
    reset_hwm()
    out = {{"n": len(xy), "before_mb": hwm_mb()}}
    t0 = time.perf_counter()
    try:
        if spec["step"] == "raw":
            from sklearn.cluster import DBSCAN
            labels = DBSCAN(eps=spec["eps"], min_samples=spec["min"]).fit_predict(xy)
        else:
            from hotspots.cluster import dbscan_clusters
            g = gpd.GeoDataFrame(
                geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700"
            )
            reset_hwm()
            out["before_mb"] = hwm_mb()
            t0 = time.perf_counter()
            labels = dbscan_clusters(
                g, eps=spec["eps"], min_incidents=spec["min"], min_locations=1
            )["cluster"].to_numpy()
        out["seconds"] = time.perf_counter() - t0
        out["clusters"] = int(labels.max()) + 1
    except MemoryError:
        out["seconds"] = time.perf_counter() - t0
        out["error"] = "MemoryError"
    out["peak_mb"] = hwm_mb()
    print(json.dumps(out))
    """
)


def kent_xy(months: list[str] | None = None) -> np.ndarray:
    """Coordinates of the located bundled Kent incidents (optionally some months)."""
    import pandas as pd

    from hotspots.grid import point_xy
    from hotspots.store import read_bundled_police

    g = read_bundled_police()
    if months:
        g = g[g["month"].isin([pd.Period(m, "M") for m in months])]
    return point_xy(g)


def child(spec: dict) -> dict:
    """Run one step in a fresh interpreter; its JSON line back."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.format(root=str(ROOT)), json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {last}", "seconds": float("nan")}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mem(r: dict) -> str:
    if "peak_mb" not in r:
        return r.get("error", "")
    return (
        f"peak RSS {r['peak_mb']:,.0f} MB "
        f"(+{r['peak_mb'] - r['before_mb']:,.0f} MB over the input's {r['before_mb']:,.0f})"
    )


def bench_kent(repeat: int) -> None:
    from hotspots import bundled

    if not bundled.POLICE_UK_KENT.exists():
        print("\nClusters on Kent: skipped (data/police-uk-kent.parquet not built)")
        return
    import pandas as pd
    from sklearn.cluster import DBSCAN, HDBSCAN

    from hotspots.cluster import (
        _sites,
        cluster_polygons,
        dbscan_clusters,
        hdbscan_clusters,
        suggest_eps,
    )
    from hotspots.store import read_bundled_police

    g = read_bundled_police()
    sites = _sites(g, None)
    n_loc = int(sites.count.sum())
    print(
        f"\nClusters: bundled Kent police.uk, 17 months: {len(g):,} incidents, "
        f"{n_loc:,} located on {len(sites.xy):,} distinct points"
    )
    t_eps, (eps, text) = timed(lambda: suggest_eps(g), repeat)
    row("suggest_eps (k=20, Kneedle)", t_eps, text)
    t_fix, lab = timed(lambda: dbscan_clusters(g, eps=eps), repeat)
    row(
        f"dbscan_clusters eps={eps:.0f} m, min_incidents=20 (distinct)",
        t_fix,
        f"{lab['cluster'].max() + 1} clusters; target <= 1 s",
    )
    t_auto, _ = timed(lambda: dbscan_clusters(g), repeat)
    row("dbscan_clusters eps=None (automatic, as above)", t_auto)
    t_poly, poly = timed(lambda: cluster_polygons(lab), repeat)
    row("cluster_polygons (concave hulls + statistics)", t_poly, f"{len(poly)} rows")

    # Raw baseline on the same data at a safe size: the first months up to ~100k.
    counts = g["month"].value_counts().sort_index()
    months = [str(m) for m in counts.index[(counts.cumsum() <= 100_000).to_numpy()]]
    raw = child(
        {
            "data": "kent",
            "months": months,
            "step": "raw",
            "eps": eps,
            "min": 20,
            "cap_gb": RAW_CAP_GB,
        }
    )
    ours = child(
        {"data": "kent", "months": months, "step": "ours", "eps": eps, "min": 20}
    )
    label = f"Kent {months[0]}..{months[-1]} ({ours.get('n', 0):,} located)"
    row(f"baseline: sklearn DBSCAN on raw points, {label}", raw["seconds"], mem(raw))
    row(
        "dbscan_clusters on distinct points, same data",
        ours["seconds"],
        f"{raw['seconds'] / ours['seconds']:.0f}x faster; {mem(ours)}",
    )

    # HDBSCAN: weighted condensed tree vs sklearn on the same distinct points.
    # Its compiled loops load from numba's disk cache once per process first (the
    # dashboard does so on its warm-up thread), as sklearn's compiled code loads
    # with its import.
    from hotspots import _kernels

    t_load, _ = timed(_kernels.warm, 1)
    row(
        "the compiled loops loaded (numba's disk cache), once a process",
        t_load,
    )
    t_h, h = timed(lambda: hdbscan_clusters(g, min_cluster_incidents=50), repeat)
    xy = sites.xy
    t_base, _ = timed(lambda: HDBSCAN(min_cluster_size=50, copy=True).fit(xy), 1)
    row(
        "baseline: sklearn HDBSCAN on the distinct points (unweighted)",
        t_base,
        f"{len(xy):,} points",
    )
    row(
        "hdbscan_clusters (weighted, min_cluster_incidents=50)",
        t_h,
        f"{h['cluster'].max() + 1} clusters ({t_h / t_base:.2f}x baseline)",
    )
    # Medway, 2024-01..04: the dashboard's typical selection
    med = g[(g["lad_code"] == "E06000035") & (g["month"] >= pd.Period("2024-01", "M"))]
    t_med, _ = timed(lambda: dbscan_clusters(med), repeat)
    xy_med = med.geometry[~med.geometry.is_empty].get_coordinates().to_numpy()
    t_medraw, _ = timed(lambda: DBSCAN(eps=eps, min_samples=20).fit(xy_med), repeat)
    row(f"baseline: sklearn DBSCAN raw, Medway 2024-01..04 ({len(xy_med):,})", t_medraw)
    row("dbscan_clusters (automatic eps), same", t_med, f"{t_medraw / t_med:.1f}x")


def bench_synthetic() -> None:
    n_big, n_small, eps = 1_000_000, 100_000, 150.0
    print(
        f"\nClusters: synthetic county, incidents snapped onto ~50k points "
        f"(eps {eps:.0f} m, min_incidents 20), each step in a subprocess"
    )
    small = child(
        {"data": "synthetic", "n": n_small, "step": "ours", "eps": eps, "min": 20}
    )
    raw = child(
        {
            "data": "synthetic",
            "n": n_small,
            "step": "raw",
            "eps": eps,
            "min": 20,
            "cap_gb": RAW_CAP_GB,
        }
    )
    row(f"baseline: sklearn DBSCAN on {n_small:,} raw points", raw["seconds"], mem(raw))
    row(
        f"dbscan_clusters on the same {n_small:,} (distinct + weights)",
        small["seconds"],
        f"{raw['seconds'] / small['seconds']:.0f}x faster; {mem(small)}",
    )
    big = child(
        {"data": "synthetic", "n": n_big, "step": "ours", "eps": eps, "min": 20}
    )
    row(
        f"dbscan_clusters on {n_big:,} snapped incidents",
        big["seconds"],
        f"{big.get('clusters', '?')} clusters; {mem(big)}; target <= 5 s, <= 2 GB",
    )
    auto = child(
        {"data": "synthetic", "n": n_big, "step": "ours", "eps": None, "min": 20}
    )
    row(
        f"dbscan_clusters on {n_big:,}, eps=None (automatic)",
        auto["seconds"],
        f"{auto.get('clusters', '?')} clusters; {mem(auto)}",
    )
    pairs = raw_pairs(synthetic(n_big), eps)
    print(
        f"  raw baseline at {n_big:,} not run: its neighbourhoods would hold "
        f"{pairs:,.0f} index pairs ({pairs * 8 / 2**30:,.1f} GiB of int64 alone, "
        "before Python object overhead)"
    )


def run(repeat: int = 3) -> None:
    """Print the clustering figures (best of `repeat` for the in-process ones)."""
    bench_kent(repeat)
    bench_synthetic()
    print(f"  peak memory of the bench process itself: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
