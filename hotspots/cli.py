"""Command line: ``python -m hotspots COMMAND`` (also the ``hotspots`` command)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from hotspots import __version__, bundled
from hotspots._validate import HotspotsError
from hotspots.ingest import SENSITIVITIES, ingest, read_mapping_file
from hotspots.io import write_csv_safe
from hotspots.store import default_store_path, open_store


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hotspots",
        description="Kent & Medway hotspot mapping: ingest incidents, inspect the store.",
    )
    p.add_argument("--version", action="version", version=f"hotspots {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--json", action="store_true", help="print one JSON object last"
        )
        sp.add_argument(
            "--store",
            metavar="PATH",
            help=f"the DuckDB store (default {bundled.DEFAULT_STORE.relative_to(bundled.ROOT)},"
            " created from the bundled Kent data on first use)",
        )

    ing = sub.add_parser(
        "ingest",
        help="read police.uk or partner files into the store",
        description="Read police.uk street-crime CSVs or partner CSV/XLSX files (files, "
        "folders or zips), geocode them and add them to the store. Re-ingesting a "
        "police.uk month, or a partner file of the same name and source, replaces it.",
    )
    ing.add_argument("paths", nargs="+", metavar="PATH")
    ing.add_argument(
        "--source", help="dataset name (default police.uk, or the file name)"
    )
    ing.add_argument("--agency", help="who recorded partner rows with no agency column")
    ing.add_argument(
        "--sensitivity",
        choices=SENSITIVITIES,
        help="for partner rows with no sensitivity column (default restricted)",
    )
    ing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="name a column yourself, e.g. --map date='Date Reported' (repeatable); "
        "roles: id date time month category location postcode gridref lat lon "
        "easting northing agency sensitivity",
    )
    ing.add_argument(
        "--mapping", metavar="FILE", help="column roles from a JSON or CSV file"
    )
    ing.add_argument(
        "--out", metavar="FILE", help="also write the clean incidents (.gpkg)"
    )
    ing.add_argument(
        "--rejects",
        metavar="FILE",
        help="where to write rejected rows (default: rejects/ingest-TIME.csv beside the store)",
    )
    ing.add_argument(
        "--dry-run",
        action="store_true",
        help="read and report, but do not change the store",
    )
    common(ing)

    info = sub.add_parser("info", help="what the store holds")
    common(info)
    return p


def _mapping(args: argparse.Namespace) -> dict[str, str] | None:
    mapping: dict[str, str] = {}
    if args.mapping:
        mapping.update(read_mapping_file(args.mapping))
    for item in args.map:
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise HotspotsError(
                f"--map takes ROLE=COLUMN, e.g. --map date='Date Reported'; got {item!r}."
            )
        mapping[role.strip()] = column.strip()
    return mapping or None


def cmd_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Ingest files into the store; the report of DESIGN.md plus store counts."""
    started = time.perf_counter()
    result = ingest(
        args.paths,
        source=args.source,
        mapping=_mapping(args),
        agency=args.agency,
        sensitivity=args.sensitivity,
    )
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    store_path = Path(args.store) if args.store else default_store_path()
    rejects_file = (
        Path(args.rejects)
        if args.rejects
        else (store_path.parent / "rejects" / f"ingest-{stamp}.csv")
    )
    write_csv_safe(result.rejects, rejects_file)
    report = dict(result.report)
    report["rejects_file"] = str(rejects_file)
    if args.out:
        from hotspots.export import write_incidents_gpkg

        write_incidents_gpkg(result.incidents, args.out)
        report["out"] = args.out
    if not args.dry_run:
        store = open_store(args.store)
        report["store"] = str(store.path)
        report["store_incidents"] = store.add(result.incidents)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def cmd_info(args: argparse.Namespace) -> dict[str, Any]:
    """What the store holds."""
    return open_store(args.store).info()


def _print_human(command: str, out: dict[str, Any]) -> None:
    if command == "ingest":
        print(
            f"Read {out['rows_read']:,} rows: kept {out['rows_kept']:,} "
            f"({out['rows_unlocated']:,} without a usable location, counted but not "
            f"mapped), rejected {out['rows_rejected']:,}."
        )
        for label, key in (
            ("Rejected", "rejected_by_reason"),
            ("Unlocated", "unlocated_by_reason"),
        ):
            for reason, n in out[key].items():
                print(f"  {label}: {n:,} {reason}")
        print(f"Rejected rows written to {out['rejects_file']}")
        print(f"Positions from longitude/latitude by {out['transformation']}.")
        if "store" in out:
            print(
                f"Store {out['store']} now holds {out['store_incidents']:,} incidents."
            )
        if "out" in out:
            print(f"Clean incidents written to {out['out']}")
    elif command == "info":
        print(
            f"{out['store']}: {out['incidents']:,} incidents ({out['unlocated']:,} unlocated)"
        )
        for s, n in out["sources"].items():
            print(f"  {s}: {n:,}")
        months = list(out["months"])
        if months:
            print(f"  months {months[0]} to {months[-1]} ({len(months)} months)")


COMMANDS = {"ingest": cmd_ingest, "info": cmd_info}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        out = COMMANDS[args.command](args)
    except HotspotsError as err:
        print(f"hotspots {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hotspots {args.command}: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(out, default=str))
    else:
        _print_human(args.command, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
