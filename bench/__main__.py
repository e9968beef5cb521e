"""`make bench`: ingest throughput and store read-back, each against a baseline.

Every figure is measured in this run on this machine; ratios compare with a
baseline measured alongside it, so they hold across machines better than seconds.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path

import pandas as pd

from bench.common import peak_mb, row, timed
from hotspots import bundled
from hotspots.ingest import ingest
from hotspots.store import Selection, Store, read_bundled_police

SHARED = bundled.ROOT.parent / "shared" / "data"
#: Sections of `make bench`, in order; ``--only NAME`` runs some of them.
SECTIONS = (
    "ingest",
    "store",
    "density",
    "cluster",
    "gistar",
    "export",
    "pspo",
    "dashboard",
)


def bench_ingest(kent: Path, repeat: int) -> None:
    files = sorted(kent.glob("*.csv"))
    print(f"\nIngest: {len(files)} police.uk files from {kent}")
    base_t, frames = timed(lambda: [pd.read_csv(f, dtype=str) for f in files], repeat)
    n = sum(len(f) for f in frames)
    t, result = timed(lambda: ingest([kent]), repeat)
    assert result.report["rows_read"] == n
    row(
        "baseline: pandas.read_csv of the same files (parse only)",
        base_t,
        f"{n / base_t:,.0f} rows/s",
    )
    row(
        "ingest: parse, geocode (OSTN15), wards, categories",
        t,
        f"{n / t:,.0f} rows/s  ({t / base_t:.1f}x baseline)",
    )
    print(
        f"  rows read {n:,}; kept {result.report['rows_kept']:,}; rejected {result.report['rows_rejected']:,}"
    )


def bench_store(repeat: int) -> None:
    print("\nStore (DuckDB) with the bundled 17 Kent months")
    base_t, incidents = timed(read_bundled_police, repeat)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        add_t, _ = timed(lambda: store.add(incidents), repeat)
        read_t, back = timed(store.read, repeat)
        sel = Selection(
            month_from="2024-01",
            month_to="2024-04",
            districts=["E07000114"],
            themes=["serious violence & weapons"],
        )
        sel_t, part = timed(lambda: store.read(sel), repeat)
    n = len(incidents)
    row(
        "baseline: geopandas.read_parquet of the bundled GeoParquet",
        base_t,
        f"{n:,} rows",
    )
    row("store.add (replace 17 month batches)", add_t, f"{n / add_t:,.0f} rows/s")
    row(
        "store.read: all incidents back as a GeoDataFrame",
        read_t,
        f"{len(back):,} rows  ({read_t / base_t:.1f}x baseline)",
    )
    row("store.read: Thanet, violence, 2024-01..04", sel_t, f"{len(part):,} rows")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per figure (best is shown)"
    )
    p.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only these sections (repeatable); default all",
    )
    args = p.parse_args(argv)
    wanted = args.only or list(SECTIONS)
    print(
        f"hotspots benchmarks (best of {args.repeat}; python {sys.version.split()[0]})"
    )
    kent = SHARED / "police-uk" / "kent"
    if "ingest" in wanted:
        if kent.exists():
            bench_ingest(kent, args.repeat)
        else:
            print(f"\nIngest: skipped ({kent} not present: the raw police.uk files)")
    if "store" in wanted:
        bench_store(args.repeat)
    for name in SECTIONS[2:]:
        if name in wanted:
            importlib.import_module(f"bench.bench_{name}").run(args.repeat)
    print(f"\nPeak memory (max RSS of this process): {peak_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
