"""Street-week planner on the bundled Kent data: coverage build, greedy vs exact.

Run: .venv/bin/python -c "from bench.bench_planner import run; run(1)"

Baselines measured in the same run:
* coverage: geopandas ``sjoin(predicate="dwithin")`` of the raw located incidents
  to every candidate centre, against the cKDTree on distinct locations;
* solver: greedy alone, against the exact integer program (time and objective).
"""

from __future__ import annotations

import sys

import numpy as np

from bench.common import peak_mb, row, timed


def run(repeat: int = 1) -> None:
    """Print the planner figures (best of `repeat`)."""
    from hotspots import bundled

    if not bundled.POLICE_UK_KENT.exists():
        print("\nPlanner: skipped (data/police-uk-kent.parquet not built)")
        return
    import geopandas as gpd
    import pandas as pd

    from hotspots.planner import (
        _coverage,
        _demand,
        _grid_candidates,
        _harm,
        plan_sites,
    )
    from hotspots.store import read_bundled_police

    every = read_bundled_police()
    g = every[every["month"] >= pd.Period("2024-01", "M")]
    demand = _demand(g, _harm(g, None))
    print(
        f"\nPlanner: Kent police.uk 2024-01..04, {len(g):,} incidents on "
        f"{len(demand.xy):,} distinct points; radius 300 m, 100 m candidate grid"
    )
    t_cand, cand = timed(lambda: _grid_candidates(demand.xy, 300.0, 100.0), repeat)
    row("grid candidates (cells with an incident within 300 m)", t_cand,
        f"{len(cand):,} candidates")  # fmt: skip
    t_cov, cover = timed(lambda: _coverage(cand, demand.xy, 300.0), repeat)
    pts = g[~g.geometry.is_empty][["geometry"]]
    sites = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(cand[:, 0], cand[:, 1]), crs=g.crs
    )

    def baseline() -> int:
        hit = gpd.sjoin(pts, sites, predicate="dwithin", distance=300.0)
        return len(hit)

    t_base, pairs = timed(baseline, 1)
    covered = int((cover @ demand.count).sum())
    row("baseline: sjoin dwithin raw incidents x candidates", t_base,
        f"{pairs:,} incident-site pairs")  # fmt: skip
    row("coverage on distinct locations (cKDTree, CSR)", t_cov,
        f"{cover.nnz:,} non-zeros, {covered:,} pairs (same: {covered == pairs}); "
        f"{t_base / t_cov:.1f}x faster")  # fmt: skip

    kw = {"k": 6, "radius": 300.0, "max_per_district": 1}
    t_g, greedy = timed(lambda: plan_sites(g, method="greedy", **kw), repeat)
    t_e, exact = timed(lambda: plan_sites(g, method="exact", **kw), repeat)
    pg, pe = greedy.parameters, exact.parameters
    row("plan_sites greedy, k=6, max 1 per district", t_g,
        f"objective {pg['objective']:,.0f}, bound {pg['bound']:,.0f} "
        f"(gap {pg['gap']:.1%})")  # fmt: skip
    row("plan_sites exact (HiGHS, column generation)", t_e,
        f"objective {pe['objective']:,.0f}, bound {pe['bound']:,.1f} "
        f"(gap {pe['gap']:.2%}); {t_e / t_g:.1f}x greedy's time; "
        f"{pe['model_candidates']} model candidates, "
        f"{pe['pricing_rounds']} pricing rounds")  # fmt: skip
    print(f"    solver: {pe['solver']}; districts: "
          f"{', '.join(exact.sites['lad_name'].astype(str))}")  # fmt: skip

    req = ["E07000112", "E07000108"]  # Folkestone & Hythe, Dover
    t_r, r = timed(lambda: plan_sites(g, require_districts=req, **kw), repeat)
    pr = r.parameters
    row("plan_sites auto + 2 required districts", t_r,
        f"objective {pr['objective']:,.0f} (gap {pr['gap']:.2%}); constraints cost "
        f"{pr['constraint_cost_harm']:,.0f} of {pr['unconstrained_harm']:,.0f} "
        f"({pr['constraint_cost_share']:.1%})")  # fmt: skip

    t_all, a = timed(lambda: plan_sites(every, **kw), 1)
    pa = a.parameters
    row(f"plan_sites auto, all 17 months ({len(every):,} incidents)", t_all,
        f"objective {pa['objective']:,.0f} (gap {pa['gap']:.2%}), "
        f"{pa['n_candidates']:,} candidates; {pa['solver']}")  # fmt: skip
    assert np.isfinite(pa["objective"])
    print(f"  peak memory of the bench process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
