"""Gi* on grids (100 m over Kent, up to 1M cells) and hot spot trends, against esda.

Baselines are measured in the same run: esda ``G_Local(star=True, transform="B")``
on the same grid and values, with libpysal weights built from the in-area cells
(the weights' construction is timed on its own row; the classic ``lat2W`` W is
timed at 100 x 100 and 300 x 300 only, where it is safe).
"""

from __future__ import annotations

import tracemalloc
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from esda.getisord import G_Local
from libpysal.graph import Graph

from bench.common import peak_mb, row, timed
from hotspots import bundled
from hotspots.gistar import benjamini_hochberg, gi_bins, gi_star, gistar_grid, window

TARGET_1M_S = 1.0


def adjacency(mask: np.ndarray, footprint: np.ndarray) -> sp.csr_array:
    """Sparse binary weights (self included) of the in-area cells, by offsets."""
    ny, nx = mask.shape
    ids = np.full(mask.shape, -1, dtype=np.int64)
    n = int(mask.sum())
    ids[mask] = np.arange(n)
    k = footprint.shape[0] // 2
    rows, cols = [], []
    for dr in range(-k, k + 1):
        for dc in range(-k, k + 1):
            if not footprint[dr + k, dc + k]:
                continue
            src = ids[max(0, -dr) : ny - max(0, dr), max(0, -dc) : nx - max(0, dc)]
            dst = ids[
                max(0, dr) : ny + min(0, dr) or None,
                max(0, dc) : nx + min(0, dc) or None,
            ]
            ok = (src >= 0) & (dst >= 0)
            rows.append(src[ok])
            cols.append(dst[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_array((np.ones(len(r)), (r, c)), shape=(n, n))


def esda_graph(mask: np.ndarray, footprint: np.ndarray) -> Any:
    return Graph.from_sparse(adjacency(mask, footprint))


def esda_gi(values: np.ndarray, mask: np.ndarray, graph: Any) -> np.ndarray:
    g = G_Local(values[mask], graph, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs)


def speed(base: float, t: float) -> str:
    """How this run compares with its baseline, in words."""
    if t <= base:
        return f"{base / t:.1f}x faster than"
    return f"{t / base:.1f}x slower than"


def full_analytic(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    z, p = gi_star(values, mask)
    return gi_bins(z, benjamini_hochberg(p))


def bench_arrays(repeat: int) -> None:
    print("\nGi* (3 x 3 window) on synthetic Poisson(1) grids, all cells in the area")
    for side in (100, 300, 1000):
        rng = np.random.default_rng(0)
        values = rng.poisson(1.0, (side, side)).astype(float)
        mask = np.ones(values.shape, dtype=bool)
        cells = f"{side}x{side} cells"
        build_t, graph = timed(lambda m=mask: esda_graph(m, window(1)), 1)
        base_t, zb = timed(lambda v=values, m=mask, g=graph: esda_gi(v, m, g), repeat)
        t, (z, _) = timed(lambda v=values, m=mask: gi_star(v, m), repeat)
        full_t, _ = timed(lambda v=values, m=mask: full_analytic(v, m), repeat)
        diff = float(np.abs(z[mask] - zb).max())
        row(f"baseline: libpysal Graph weights, {cells}", build_t)
        row(f"baseline: esda G_Local (weights prebuilt), {cells}", base_t)
        row(
            f"gi_star, {cells}",
            t,
            f"{speed(base_t, t)} esda; max |dz| {diff:.1e}",
        )
        extra = f"{speed(base_t, full_t)} esda alone"
        if side == 1000:
            verdict = "met" if full_t <= TARGET_1M_S else "NOT met"
            extra += f"; target <= {TARGET_1M_S:g} s {verdict}"
        row(f"gi_star + BH FDR + bins, {cells}", full_t, extra)
        if side <= 300:
            from libpysal.weights import lat2W

            w_t, _ = timed(lambda s=side: lat2W(s, s, rook=False), 1)
            row(
                f"  (classic lat2W W build, {side}x{side}; not run at 1M)",
                w_t,
                f"{w_t / full_t:.0f}x gi_star + FDR",
            )
    values = np.random.default_rng(0).poisson(1.0, (1000, 1000)).astype(float)
    tracemalloc.start()
    full_analytic(values, np.ones(values.shape, dtype=bool))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  peak memory allocated by gi_star + FDR + bins at 1M cells: "
        f"{peak / 1e6:,.0f} MB (tracemalloc; input 8 MB)"
    )


def kent_points() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, str]:
    """The bundled Kent incidents and study area, else a synthetic 60 x 40 km."""
    if bundled.POLICE_UK_KENT.exists() and bundled.DISTRICTS.exists():
        from hotspots.boundaries import study_area
        from hotspots.store import read_bundled_police

        pts = read_bundled_police()
        return pts, study_area(), f"bundled Kent police.uk, {len(pts):,} incidents"
    rng = np.random.default_rng(0)
    n = 275_000
    centres = rng.uniform((560_000, 130_000), (620_000, 170_000), size=(40, 2))
    blob = centres[rng.integers(0, 40, n // 2)] + rng.normal(0, 400, (n // 2, 2))
    spread = rng.uniform((560_000, 130_000), (620_000, 170_000), size=(n - n // 2, 2))
    xy = np.vstack([blob, spread])
    import pandas as pd

    months = pd.period_range("2022-01", periods=17, freq="M")
    pts = gpd.GeoDataFrame(
        {"month": months[rng.integers(0, 17, n)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:27700",
    )
    return pts, None, f"synthetic Kent-sized 60 x 40 km, {n:,} incidents"


def bench_kent(repeat: int) -> None:
    pts, area, label = kent_points()
    print(f"\nGi* over Kent: {label}")
    t, res = timed(lambda: gistar_grid(pts, cell_size=100, study_area=area), repeat)
    mask = res.mask
    cells = f"{int(mask.sum()):,} of {mask.size:,} cells in area"
    build_t, graph = timed(lambda: esda_graph(mask, window(1)), 1)
    base_t, zb = timed(lambda: esda_gi(res.counts, mask, graph), repeat)
    diff = float(np.abs(res.gi_z[mask] - zb).max())
    row("baseline: esda G_Local, same 100 m grid (weights prebuilt)", base_t, cells)
    print("  (esda and this module agree on every cell: see max |dz| below)")
    row("baseline: libpysal Graph weights build for it", build_t)
    row(
        "gistar_grid 100 m: bin, mask, Gi*, FDR, bins",
        t,
        f"{speed(base_t, t)} esda G_Local alone, "
        f"{speed(base_t + build_t, t)} esda with its weights; max |dz| {diff:.1e}",
    )
    gi_t, _ = timed(lambda: gi_star(res.counts, mask), repeat)
    row(
        "gi_star alone on that grid",
        gi_t,
        f"{speed(base_t, gi_t)} esda G_Local (the rest of the "
        "pipeline is binning and the study-area mask)",
    )
    hot_t, hs = timed(res.hotspots, repeat)
    row("GiStarResult.hotspots(): dissolve hot cells", hot_t, f"{len(hs)} hot spots")
    t200, res200 = timed(
        lambda: gistar_grid(pts, cell_size=200, study_area=area), repeat
    )
    row(
        "gistar_grid 200 m (default cell size)",
        t200,
        f"{int(res200.mask.sum()):,} cells",
    )
    with warnings.catch_warnings():
        # 99 permutations are too coarse for the correction over every cell:
        # gistar says so; the bench times them all the same
        warnings.simplefilter("ignore", UserWarning)
        perm_t, _ = timed(
            lambda: gistar_grid(
                pts, cell_size=200, study_area=area, permutations=99, rng=0
            ),
            1,
        )
    row(
        "gistar_grid 200 m, 99 conditional permutations",
        perm_t,
        f"{perm_t / t200:.0f}x the analytic run",
    )
    from hotspots.trends import classify_hotspot_trends

    months = pts["month"].nunique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fewer-months warning
        trend_t, cells_t = timed(
            lambda: classify_hotspot_trends(pts, cell_size=200, study_area=area),
            repeat,
        )
    counts = cells_t.attrs["parameters"]["patterns"]
    top = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "no pattern")
    row(
        f"classify_hotspot_trends 200 m, {months} months",
        trend_t,
        f"{trend_t / t200:.0f}x one pooled Gi* run; {top}",
    )


def bench_permutations(repeat: int) -> None:
    print("\nPermutation inference, 100 x 100 grid, 99 permutations")
    from hotspots.gistar import _permutation_p

    rng = np.random.default_rng(1)
    values = rng.poisson(1.0, (100, 100)).astype(float)
    mask = np.ones(values.shape, dtype=bool)
    graph = esda_graph(mask, window(1))

    def esda_perm() -> Any:
        with warnings.catch_warnings():
            # esda 2.9 announces a change of default alternative
            warnings.simplefilter("ignore", DeprecationWarning)
            return G_Local(
                values[mask],
                graph,
                transform="B",
                star=True,
                permutations=99,
                seed=1,
                n_jobs=1,
            )

    base_t, _ = timed(esda_perm, 1)
    t, _ = timed(
        lambda: _permutation_p(values, mask, window(1), 99, np.random.default_rng(0)),
        repeat,
    )
    row("baseline: esda G_Local, 99 permutations (no numba here)", base_t)
    row("gistar conditional permutations (vectorised)", t, speed(base_t, t) + " esda")


def run(repeat: int) -> None:
    print("Gi* hot spots (hotspots.gistar, hotspots.trends)")
    bench_arrays(repeat)
    bench_kent(repeat)
    bench_permutations(repeat)
    print(f"\n  peak memory (max RSS of this process so far): {peak_mb():,.0f} MB")


if __name__ == "__main__":
    run(3)
