"""Command line: ``python -m hotspots COMMAND`` (also the ``hotspots`` command)."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from hotspots import __version__, bundled
from hotspots._validate import HotspotsError
from hotspots.categories import THEMES
from hotspots.ingest import (
    ROLES,
    SENSITIVITIES,
    ingest,
    ingest_positions,
    read_mapping_file,
)
from hotspots.io import write_csv_safe
from hotspots.store import Selection, default_store_path, open_store, parse_month

#: Help of every --theme.
THEME_HELP = (
    "themes to keep, by name or its start, any case: "
    f"{', '.join(repr(t) for t in THEMES)} (e.g. --theme ASB 'serious violence')"
)

#: Help of every --bandwidth-rule (the rules of `hotspots.density._choose_bandwidth_xy`).
RULE_HELP = (
    "choose the KDE bandwidth from the data instead of --bandwidth: silverman (the "
    "spatial Silverman rule, ArcGIS's default), normal (the normal reference rule) "
    "or knn (the median distance to the k-th nearest other location)"
)


#: detect's and export's method options: method -> {option: the flag's `dest`}.
DETECT_OPTIONS: dict[str, dict[str, str]] = {
    "kde": {
        "bandwidth": "bandwidth",
        "bandwidth_rule": "bandwidth_rule",
        "cell_size": "cell_size",
        "kernel": "kernel",
        "k_mean": "k_mean",
        "min_density": "min_density",
    },
    "dbscan": {"eps": "eps", "min_incidents": "min_incidents"},
    "hdbscan": {"min_cluster_incidents": "min_incidents"},
    "gistar": {
        "cell_size": "cell_size",
        "neighbours": "neighbours",
        "permutations": "permutations",
        "rng": "seed",
        "fdr": "no_fdr",
    },
}


def _methods_of(options: dict[str, dict[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each flag's `dest` -> the methods it is an option of."""
    dests = dict.fromkeys(d for opts in options.values() for d in opts.values())
    return {
        d: tuple(m for m, opts in options.items() if d in opts.values()) for d in dests
    }


#: The methods each method flag is for (by its `dest`), in the commands that take
#: them: a flag given for another method is refused, not ignored.
METHOD_FLAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "detect": _methods_of(DETECT_OPTIONS),
    "evaluate": {
        "bandwidth": ("kde",),
        "bandwidth_rule": ("kde",),
        "cell_size": ("gistar",),
        "eps": ("dbscan",),
        "min_incidents": ("dbscan", "hdbscan"),
    },
}
METHOD_FLAGS["export"] = METHOD_FLAGS["detect"]
METHOD_FLAGS["pspo"] = {"coverage": ("kde",)}  # which hotspots --hotspot means


def _check_flag_combinations(args: argparse.Namespace) -> None:
    """Refuse contradicting flags, and flags that would do nothing without another."""
    from hotspots.disclosure import DEFAULT_THRESHOLD

    command = args.command
    both = getattr(args, "bandwidth", None), getattr(args, "bandwidth_rule", None)
    if None not in both:
        raise HotspotsError(
            "Give --bandwidth (metres) or --bandwidth-rule (chosen from the data), "
            "not both."
        )
    if (getattr(args, "seed", None) or 0) < 0:
        raise HotspotsError(f"--seed takes a whole number, 0 or more, got {args.seed}.")
    if getattr(args, "seed", None) is not None and not getattr(args, "permutations", 0):
        raise HotspotsError(
            "--seed sets the random draws of --permutations; give --permutations too "
            "(without them, p-values come from the normal distribution)."
        )
    restricted = command in ("export", "pspo") and args.mode == "restricted"
    if restricted and args.threshold != DEFAULT_THRESHOLD:
        raise HotspotsError(
            "--threshold is the smallest count public mode publishes; restricted "
            "mode withholds none. Leave it out, or use --mode public."
        )
    if command == "export":
        _check_export_crs(args)
    if command == "plan" and args.mode != "restricted" and not args.briefings:
        raise HotspotsError(
            "--mode sets the level of the briefings: give --briefings FOLDER too (the "
            "sites file of --out is always restricted)."
        )


def _check_export_crs(args: argparse.Namespace) -> None:
    """Refuse a --crs the format cannot take (it had been ignored); set the default."""
    from hotspots.export import file_crs

    if args.format == "shp":  # what GIS users call it
        args.format = "shapefile"

    if args.crs is None:
        args.crs = file_crs(args.format, "EPSG:27700")
        return
    # the CRS the format is written in (`file_crs`; a GeoTIFF is never reprojected)
    fixed = (
        "EPSG:27700" if args.format == "geotiff" else file_crs(args.format, args.crs)
    )
    if args.crs != fixed:
        name = {"geojson": "GeoJSON", "kml": "KML", "geotiff": "The GeoTIFF"}.get(
            args.format, f"The {args.format.upper()} report"
        )
        why = {
            "geojson": "as RFC 7946 requires",
            "kml": "as the format requires",
            "geotiff": "reprojecting a raster resamples the surface",
        }.get(args.format, "its map is drawn on the British National Grid")
        raise HotspotsError(
            f"--crs {args.crs}: {name} is written in {fixed} only ({why}); leave "
            "out --crs, or choose --format gpkg, shapefile or csv."
        )


#: The flags that name a file or folder a command writes.
OUTPUT_FLAGS = ("out", "rejects", "briefings")


def _check_writable(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path the tool could not write.

    The nearest folder of each output that exists must take a new file (tried
    with a temporary one: permission bits do not tell, for root or on a
    read-only or virtual file system); folders still missing are made when the
    output is written, as ``mkdir -p`` would.
    """
    import tempfile

    for dest in OUTPUT_FLAGS:
        value = getattr(args, dest, None)
        if not value:
            continue
        path = Path(value)
        if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
            raise HotspotsError(
                f"--{dest} {value}: the file exists and cannot be written over; "
                "give another name, or change its permissions."
            )
        folder = path if path.is_dir() else path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise HotspotsError(
                f"--{dest} {value}: {folder} is a file, not a folder; give a path "
                "in a folder."
            )
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as err:
            raise HotspotsError(
                f"--{dest} {value}: cannot write in {folder} ({err.strerror or err}); "
                "give a path in a folder you can write to."
            ) from None


def _check_method_flags(args: argparse.Namespace) -> None:
    """Refuse a method flag given for another method (it would be ignored)."""
    flags = METHOD_FLAGS.get(args.command, {})
    method = getattr(args, "method", None)
    for dest, methods in flags.items():
        if getattr(args, dest, None) in (None, False) or method in methods:
            continue
        own = [f"--{d.replace('_', '-')}" for d, m in flags.items() if method in m]
        takes = (
            ", ".join(own[:-1]) + " and " + own[-1] if len(own) > 1 else "".join(own)
        )
        raise HotspotsError(
            f"--{dest.replace('_', '-')} is an option of --method "
            f"{' or '.join(methods)}; --method {method} takes "
            f"{takes or 'none of these options'}."
        )


def _finite(text: str) -> float:
    """A number flag's value: finite (``inf`` would reach the engine as a size)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


class _StoreOrAdd(argparse._StoreAction):
    """A flag of several values given twice keeps both lists of values.

    ``--district Thanet --district Medway`` is both districts; argparse's own
    store kept only the last. The default (a list, say) is replaced, not added to.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        current = getattr(namespace, self.dest, None)
        several = self.nargs in ("+", "*") and isinstance(values, list)
        if several and isinstance(current, list) and current is not self.default:
            values = [*current, *values]
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (DESIGN.md: one-line errors).

    Number flags (``type=float``) take finite values only; a flag of several
    values may be given more than once (`_StoreOrAdd`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("type", float, _finite)
        self.register("action", None, _StoreOrAdd)
        self.register("action", "store", _StoreOrAdd)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}. See `{self.prog} --help`.\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
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
        f"roles: {' '.join(ROLES)}",
    )
    ing.add_argument(
        "--mapping", metavar="FILE", help="column roles from a JSON or CSV file"
    )
    _covers_arg(ing)
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
    _detect_parser(sub, common)
    _evaluate_parser(sub, common)
    _plan_parser(sub, common)
    _pspo_parser(sub, common)
    tr = sub.add_parser(
        "trends",
        help="classify grid cells as new, persistent, intensifying, ... hotspots",
        description="Gi* per month on a grid, then a Mann-Kendall trend test per cell: "
        "each cell that was ever a significant hot spot gets a pattern (new, "
        "consecutive, intensifying, persistent, diminishing, sporadic, oscillating, "
        "historical, former). Only months present in the data count.",
    )
    _selection_args(tr)
    tr.add_argument(
        "--cell-size",
        type=float,
        default=200.0,
        metavar="M",
        help="side of the grid cells in metres (default 200; 400 to 800 for a "
        "sparse selection, such as one theme county-wide)",
    )
    tr.add_argument(
        "--harm",
        action="store_true",
        help="sum the harm weights per cell and month instead of counting "
        "incidents (Gi* and the trend on harm; disclosure still counts incidents)",
    )
    tr.add_argument(
        "--out", required=True, metavar="FILE", help="GeoPackage to write (.gpkg)"
    )
    tr.add_argument(
        "--mode",
        default="restricted",
        choices=["public", "restricted"],
        help="restricted (default: exact counts, for analysts and data-sharing "
        "partners) or public (cells under 10 incidents left out, counts rounded "
        "to 5)",
    )
    common(tr)
    return p


def _covers_arg(sp: argparse.ArgumentParser) -> None:
    """--covers, for ingest and for the files given with --input."""
    sp.add_argument(
        "--covers",
        metavar="YYYY-MM..YYYY-MM",
        help="the months partner files cover, when their first or last months had "
        "no incident (default: the first to the last incident's month)",
    )


def _selection_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--input",
        nargs="+",
        metavar="PATH",
        help="read these police.uk or partner files instead of the store",
    )
    _covers_arg(sp)
    sp.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month")
    sp.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month")
    sp.add_argument(
        "--category", nargs="+", metavar="NAME", help="categories to keep (any case)"
    )
    sp.add_argument("--theme", nargs="+", metavar="NAME", help=THEME_HELP)
    sp.add_argument("--source", nargs="+", metavar="NAME", help="sources to keep")
    sp.add_argument(
        "--district",
        nargs="+",
        metavar="NAME",
        help="districts by name or ONS code (Thanet or E07000114); also the study "
        "area (default: all 13 Kent & Medway districts)",
    )
    sp.add_argument(
        "--include-safeguarding",
        action="store_true",
        help="include safeguarding-sensitive incidents (restricted use only)",
    )


def _detect_parser(sub: Any, common: Any) -> None:
    for name in ("detect", "export"):
        if name == "detect":
            det = sub.add_parser(
                "detect",
                help="find hotspots (kde, dbscan, hdbscan, gistar) and write them",
                description="Find hotspots in a selection of incidents and write the "
                "polygons with their statistics and every parameter used to a "
                "GeoPackage (restricted detail: for analysts).",
            )
        else:
            det = sub.add_parser(
                "export",
                help="hotspot layers and ward tables for QGIS, ArcGIS or publishing",
                description="Find hotspots and write them with the ward and district "
                "tables in one format, with provenance and disclosure control "
                "(public mode by default: small counts suppressed, others rounded).",
            )
            det.add_argument(
                "--format",
                default="gpkg",
                choices=[
                    "gpkg",
                    "geojson",
                    "shapefile",
                    "shp",
                    "kml",
                    "geotiff",
                    "csv",
                    "pdf",
                    "html",
                ],
                help="pdf: a summary report for meetings (map, ranked hotspots, "
                "wards by rate, method and provenance); html: the same report as "
                "an accessible web page",
            )
            det.add_argument(
                "--mode", default="public", choices=["public", "restricted"]
            )
            det.add_argument(
                "--crs",
                choices=["EPSG:27700", "EPSG:4326"],
                help="for gpkg, shapefile and csv (default EPSG:27700; GeoJSON and "
                "KML are always EPSG:4326; GeoTIFF, PDF and HTML EPSG:27700)",
            )
            det.add_argument(
                "--threshold", type=int, default=10, help="smallest published count"
            )
        det.add_argument(
            "--method", required=True, choices=["kde", "dbscan", "hdbscan", "gistar"]
        )
        _selection_args(det)
        det.add_argument(
            "--coverage",
            type=float,
            metavar="FRACTION",
            help="keep the hottest areas covering this share of the study area, e.g. "
            "0.05 (KDE default 0.05)",
        )
        det.add_argument("--harm", action="store_true", help="weight incidents by harm")
        g = det.add_argument_group("kde options")
        g.add_argument(
            "--bandwidth",
            type=float,
            metavar="M",
            help="metres (default 200; --bandwidth-rule chooses one from the data)",
        )
        g.add_argument(
            "--bandwidth-rule", choices=["silverman", "normal", "knn"], help=RULE_HELP
        )
        g.add_argument(
            "--cell-size",
            type=float,
            metavar="M",
            help="metres (KDE default: automatic; Gi* default 100)",
        )
        g.add_argument("--kernel", choices=["quartic", "gaussian"])
        g.add_argument(
            "--k-mean", type=float, metavar="K", help="cells at least K x the mean"
        )
        g.add_argument(
            "--min-density", type=float, metavar="PER_KM2", help="fixed threshold"
        )
        g = det.add_argument_group("dbscan / hdbscan options")
        g.add_argument(
            "--eps", type=float, metavar="M", help="metres (default: automatic)"
        )
        g.add_argument(
            "--min-incidents", type=int, metavar="N", help="incidents to form a cluster"
        )
        g = det.add_argument_group("gistar options")
        g.add_argument("--neighbours", type=int, metavar="RINGS", help="1 = 3x3 window")
        g.add_argument(
            "--permutations",
            type=int,
            metavar="N",
            help="pseudo p-values from N random permutations instead of the normal "
            "distribution (with the FDR correction over many cells, thousands: e.g. "
            "9999)",
        )
        g.add_argument("--seed", type=int, help="random seed for permutations")
        g.add_argument(
            "--no-fdr", action="store_true", help="no false discovery rate correction"
        )
        det.add_argument(
            "--out",
            required=True,
            metavar="PATH",
            help="the file to write (detect: .gpkg; export: a file or a folder)",
        )
        common(det)


def _plan_parser(sub: Any, common: Any) -> None:
    pl = sub.add_parser(
        "plan",
        help="choose street-week sites that together cover the most harm",
        description="Choose k street-week sites (circles of --radius metres) that "
        "together cover the most weighted harm, under the constraints given, and "
        "explain each pick. Safeguarding concerns are counted, never shown as points.",
    )
    for flag in ("--from", "--to"):
        pl.add_argument(flag, dest=f"month_{flag[2:]}", metavar="YYYY-MM")
    pl.add_argument("--theme", nargs="+", metavar="NAME", help=THEME_HELP)
    pl.add_argument("--source", nargs="+", metavar="NAME", help="sources to keep")
    pl.add_argument(
        "--input", nargs="+", metavar="PATH", help="files instead of the store"
    )
    _covers_arg(pl)
    pl.add_argument("--k", type=int, default=6, help="how many sites (default 6)")
    pl.add_argument(
        "--radius", type=float, default=300.0, metavar="M", help="footprint"
    )
    pl.add_argument(
        "--min-separation", type=float, metavar="M", help="default 2 x radius"
    )
    pl.add_argument("--max-per-district", type=int, metavar="N")
    pl.add_argument(
        "--district",
        nargs="+",
        metavar="NAME",
        help="only sites in these districts (names or codes)",
    )
    pl.add_argument(
        "--require-district",
        nargs="+",
        metavar="NAME",
        help="at least one site in each (names or codes)",
    )
    pl.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=X",
        help="multiply the harm of a theme or source, e.g. --weight 'drugs & county "
        "lines=2' (repeatable)",
    )
    pl.add_argument(
        "--priority",
        action="append",
        default=[],
        metavar="NAME=X",
        help="schools, deprivation, trend or persistence with a weight, e.g. "
        "--priority schools=0.5 (repeatable)",
    )
    pl.add_argument(
        "--exclude", metavar="FILE", help="recent sites to leave out (points/polygons)"
    )
    pl.add_argument(
        "--exclude-since", metavar="YYYY-MM-DD", help="only later exclusions"
    )
    pl.add_argument("--method", default="auto", choices=["auto", "greedy", "exact"])
    pl.add_argument("--out", metavar="FILE", help="write the sites (.gpkg or .csv)")
    pl.add_argument(
        "--briefings",
        metavar="FOLDER",
        help="write a one-page briefing per site (HTML and PDF) into this folder",
    )
    pl.add_argument(
        "--mode",
        default="restricted",
        choices=["public", "restricted"],
        help="disclosure level of the briefings (public: small counts withheld)",
    )
    common(pl)


def _pspo_parser(sub: Any, common: Any) -> None:
    ps = sub.add_parser(
        "pspo",
        help="PSPO evidence: an area profile, or a before/after evaluation of an order",
        description="profile: the evidence for a Public Spaces Protection Order in an "
        "area (counts and rates against its district and the county, mix, trend, "
        "persistence, the s59 test point by point, consultees). evaluate: an existing "
        "order's area before and after its start month against a buffer ring and a "
        "control (Weighted Displacement Quotient, total net effect, tests). Writes an "
        "HTML or PDF report; evidence, not legal advice.",
    )
    ps.add_argument("what", choices=["profile", "evaluate"], help="which report")
    where = ps.add_argument_group("the area (give one)")
    where.add_argument(
        "--area",
        metavar="FILE",
        help="the area's polygon: GeoJSON, GeoPackage, zipped shapefile or KML",
    )
    where.add_argument(
        "--ward",
        metavar="NAME",
        help="a ward by name or code: 'Margate Central' or E05005093 ('Town, "
        "Dartford' where two wards share a name)",
    )
    where.add_argument(
        "--hotspot",
        type=int,
        metavar="RANK",
        help="a hotspot of the selection (rank 1 = most incidents; with --harm, "
        "most harm), found with --method over --district",
    )
    where.add_argument(
        "--harm",
        action="store_true",
        help="with --hotspot: find and rank the hotspots weighted by harm, as "
        "`detect --harm` and the dashboard's toggle do (the report still counts "
        "incidents)",
    )
    where.add_argument(
        "--method",
        default="kde",
        choices=["kde", "dbscan", "hdbscan", "gistar"],
        help="hotspot method for --hotspot (default kde, 200 m, 5%% coverage)",
    )
    where.add_argument(
        "--coverage",
        type=float,
        metavar="FRACTION",
        help="with --hotspot and kde: the hottest share of the study area that "
        "makes the hotspots, as `detect --coverage` (default 0.05; the dashboard "
        "opens at 0.02)",
    )
    where.add_argument("--name", help="what to call the area in the report")
    _selection_args(ps)
    ev = ps.add_argument_group("evaluate")
    ev.add_argument("--start", metavar="YYYY-MM", help="the order's first month")
    ev.add_argument(
        "--buffer",
        type=float,
        metavar="M",
        help="width of the displacement ring around the area (default 400 m)",
    )
    ev.add_argument(
        "--control",
        metavar="FILE",
        help="control area polygon (default: the rest of the area's district)",
    )
    ev.add_argument(
        "--before",
        nargs=2,
        metavar=("FROM", "TO"),
        help="months before the order (default: as many months as after, ending "
        "the month before --start)",
    )
    ev.add_argument(
        "--after",
        nargs=2,
        metavar=("FROM", "TO"),
        help="months after the start (default: as many as the data allows)",
    )
    ps.add_argument(
        "--mode",
        default="public",
        choices=["public", "restricted"],
        help="public (default: counts under --threshold withheld, others rounded to "
        "5, no incident points) or restricted (exact, for data-sharing partners)",
    )
    ps.add_argument(
        "--threshold", type=int, default=10, help="smallest published count"
    )
    ps.add_argument(
        "--out", required=True, metavar="FILE", help="the report (.pdf or .html)"
    )
    common(ps)


def _pairs(items: list[str], flag: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise HotspotsError(
                f"{flag} takes NAME=NUMBER, e.g. {flag} schools=0.5; got {item!r}."
            )
    return out


def _theme_keys(weights: dict[str, float]) -> dict[str, float]:
    """`weights` with each theme's key as the theme's name; other keys (sources) kept.

    A key names a theme as --theme takes it: any case, or its start ("ASB").
    """
    from hotspots.categories import resolve_themes

    out: dict[str, float] = {}
    for name, value in weights.items():
        try:
            (theme,) = resolve_themes([name])
        except HotspotsError:
            theme = name  # a source's name, or unknown: the planner says which
        out[theme] = value
    return out


def _evaluate_parser(sub: Any, common: Any) -> None:
    ev = sub.add_parser(
        "evaluate",
        help="back-test a method against the naive baseline",
        description="Find hotspots in the training months and score them on the test "
        "months (hit rate, PAI, PEI, RRI), beside the naive baseline: the training "
        "counts on the same grid, hottest cells first. See docs/backtest.md.",
    )
    ev.add_argument(
        "--method",
        required=True,
        choices=["kde", "dbscan", "hdbscan", "gistar", "naive"],
    )
    for name in ("train-from", "train-to", "test-from", "test-to"):
        ev.add_argument(f"--{name}", required=True, metavar="YYYY-MM")
    ev.add_argument(
        "--coverage",
        type=float,
        nargs="+",
        default=[0.005, 0.01, 0.02, 0.05],
        metavar="FRACTION",
        help="shares of the study area flagged (default 0.005 0.01 0.02 0.05)",
    )
    ev.add_argument("--eval-cell-size", type=float, default=100.0, metavar="M")
    ev.add_argument("--theme", nargs="+", metavar="NAME", help=THEME_HELP)
    ev.add_argument(
        "--district",
        nargs="+",
        metavar="NAME",
        help="study area districts (names or codes)",
    )
    ev.add_argument(
        "--input", nargs="+", metavar="PATH", help="files instead of the store"
    )
    _covers_arg(ev)
    ev.add_argument(
        "--bandwidth", type=float, metavar="M", help="KDE bandwidth (default 200)"
    )
    ev.add_argument(
        "--bandwidth-rule", choices=["silverman", "normal", "knn"], help=RULE_HELP
    )
    ev.add_argument(
        "--cell-size", type=float, metavar="M", help="Gi* cell size (default 100)"
    )
    ev.add_argument("--eps", type=float, metavar="M", help="DBSCAN radius")
    ev.add_argument("--min-incidents", type=int, metavar="N")
    common(ev)


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
    if args.rejects and Path(args.rejects).suffix.lower() != ".csv":
        raise HotspotsError(
            f"{args.rejects}: the rejected rows are written as CSV; give a name "
            "ending .csv."
        )
    result = ingest(
        args.paths,
        source=args.source,
        mapping=_mapping(args),
        agency=args.agency,
        sensitivity=args.sensitivity,
        covers=args.covers,
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

        left_out = write_incidents_gpkg(result.incidents, args.out)
        report["out"] = args.out
        if left_out:  # never written as points (they are in the store)
            report["out_safeguarding_left_out"] = left_out
    if not args.dry_run:
        store = open_store(args.store)
        report["store"] = str(store.path)
        report["store_incidents"] = store.add(result.incidents)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def _read(args: argparse.Namespace, selection: Selection) -> Any:
    """A selection of the files given with --input, or else of the store."""
    if args.input:
        if args.store:
            raise HotspotsError("Give --input or --store, not both.")
        return selection.apply(_input(args))
    return open_store(args.store).read(selection)


def _input(args: argparse.Namespace) -> Any:
    """Every incident of the files given with --input (and the months they cover)."""
    return _ingested(tuple(args.input), args.covers)


@cache
def _ingested(paths: tuple[str, ...], covers: str | None) -> Any:
    """Files given with --input, read once per command; `covers`: --covers."""
    return ingest(list(paths), covers=covers).incidents


def _selected(args: argparse.Namespace) -> tuple[Any, Selection]:
    """The incidents chosen by the selection arguments, and the selection."""
    sensitivities = None if args.include_safeguarding else ["public", "restricted"]
    selection = Selection(
        month_from=args.month_from,
        month_to=args.month_to,
        categories=args.category,
        themes=args.theme,
        sources=args.source,
        districts=args.district,
        sensitivities=sensitivities,
    )
    incidents = _read(args, selection)
    if incidents.empty:
        raise _nothing_selected(selection, _held(args))
    return incidents, selection


def _held(args: argparse.Namespace) -> dict[str, Any]:
    """What the data holds: its months (YYYY-MM), sources and each one's months.

    Of the files given with --input, or else of the store (``source_months``:
    the months each source holds).
    """
    from hotspots.dates import any_months, source_months

    if args.input:
        everything = _input(args)
        held = source_months(everything)
        return {
            # as the store's info: every month a source holds (declared ones too)
            "months": any_months(held),
            "sources": sorted(everything["source"].astype(str).unique()),
            "source_months": held,
        }
    info = open_store(args.store).info()
    return {
        "months": list(info["months"]),
        "sources": list(info["sources"]),
        "source_months": info["source_months"],
    }


def _over_time(
    args: argparse.Namespace, incidents: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """The time steps of the selection `incidents` and the months it compares.

    Within --from and --to (`hotspots.dates.selection_months`).
    """
    from hotspots.dates import selection_months

    first = str(parse_month(args.month_from)) if args.month_from else None
    last = str(parse_month(args.month_to)) if args.month_to else None
    return selection_months(incidents, _held(args)["source_months"], first, last)


def _nothing_selected(
    selection: Selection, held: dict[str, list[str]]
) -> HotspotsError:
    """The error for a selection without incidents: what was asked, what is held."""
    from hotspots.dates import month_runs

    asked = selection.as_dict()
    first, last = asked.get("month_from"), asked.get("month_to")
    words = []
    if first or last:
        words.append(
            f"months {first} to {last}" if first and last
            else f"months from {first}" if first else f"months up to {last}"
        )  # fmt: skip
    for key in ("themes", "categories", "sources", "districts", "wards"):
        if asked.get(key):
            words.append(f"{key} {', '.join(map(str, asked[key]))}")
    months = month_runs([pd.Period(m, freq="M") for m in held["months"]])
    sources = "; ".join(held["sources"]) or "none"
    return HotspotsError(
        f"No incidents match {'; '.join(words) or 'the selection'}. The data holds "
        f"the months {months} and the sources {sources} (`hotspots info`)."
    )


def cmd_detect(args: argparse.Namespace) -> dict[str, Any]:
    """Detect hotspots and write them with their parameters and provenance."""
    from hotspots.boundaries import study_area
    from hotspots.detect import detect, sparse_warning
    from hotspots.export import write_detection
    from hotspots.grid import located
    from hotspots.provenance import provenance

    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        raise HotspotsError(
            f"{out}: detect writes a GeoPackage; give a name ending .gpkg."
        )
    area = study_area(args.district)  # checks the district codes first
    incidents, selection = _selected(args)
    if args.harm:
        _note_uniform_weight("detect", incidents)
    options = _method_options(args)
    steps, compared = _over_time(args, incidents)
    result = detect(
        incidents,
        method=args.method,
        study_area=area,
        coverage=args.coverage,
        weight="weight" if args.harm else None,
        options=options,
        months=steps,
        trend_months=compared,
    )
    sparse = sparse_warning(
        args.method, result.hotspots, result, int(located(incidents).sum())
    )
    if sparse:
        warnings.warn(sparse, UserWarning, stacklevel=1)
    record = provenance(
        incidents,
        filters={**selection.as_dict(), "study_area": area["lad_codes"].iloc[0]},
        method=args.method,
        parameters=result.parameters,
    )
    write_detection(result, out, record)
    return {
        **result.summary(), "out": str(out), "out_mode": "restricted",
        "data": record["data"],
    }  # fmt: skip


def _note_uniform_weight(command: str, incidents: Any) -> None:
    """Note on stderr when --harm changes nothing (one weight for every incident).

    As the dashboard says under its map.
    """
    from hotspots.detect import uniform_weight

    same = uniform_weight(incidents)
    if same is not None:
        print(
            f"hotspots {command}: note: --harm changes nothing here: every located "
            f"incident selected weighs {same:g} (police.uk incidents all weigh 1; "
            "a partner file can give each row a weight in a harm weight column).",
            file=sys.stderr,
        )


def _method_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of `args.method` as `hotspots.detect` takes them (`DETECT_OPTIONS`)."""
    options = {
        name: getattr(args, dest) for name, dest in DETECT_OPTIONS[args.method].items()
    }
    if "fdr" in options:  # --no-fdr: off; else the method's default
        options["fdr"] = False if options["fdr"] else None
    return options


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    """Detect, count by area and export one format with disclosure control."""
    from hotspots.boundaries import study_area
    from hotspots.disclosure import disclose_hotspots, disclose_record
    from hotspots.export import file_crs
    from hotspots.pipeline import analyse, export_analysis

    study_area(args.district)  # checks the district codes first
    incidents, selection = _selected(args)
    area_sel = Selection(
        categories=args.category,
        themes=args.theme,
        sources=args.source,
        sensitivities=selection.sensitivities,
    )
    area_incidents = _read(args, area_sel)
    months = sorted(incidents["month"].astype(str).unique())
    analysis = analyse(
        incidents,
        method=args.method,
        filters=selection.as_dict(),
        districts=args.district,
        months=(args.month_from or months[0], args.month_to or months[-1]),
        coverage=args.coverage,
        weight="weight" if args.harm else None,
        options=_method_options(args),
        area_incidents=area_incidents,
        source_months=_held(args)["source_months"],
    )
    paths = export_analysis(
        analysis,
        Path(args.out),
        fmt=args.format,
        mode=args.mode,
        crs=args.crs,
        threshold=args.threshold,
    )
    assert isinstance(paths, list)
    # the hotspots the files hold: public mode leaves out those under the threshold
    written = len(
        disclose_hotspots(
            analysis.detection.hotspots, mode=args.mode, threshold=args.threshold
        )
    )
    # public mode: the counts said as the files say them (rounded, small ones
    # withheld), so a script that passes this on publishes no exact figure
    summary = disclose_record(
        analysis.detection.summary(), mode=args.mode, threshold=args.threshold
    )
    return {
        **summary,
        "hotspots_written": written,
        "format": args.format,
        "mode": args.mode,
        "crs": file_crs(args.format, args.crs),  # the files' (GeoJSON: WGS84)
        "files": [str(p) for p in paths],
    }


def cmd_plan(args: argparse.Namespace) -> dict[str, Any]:
    """Choose street-week sites and explain them."""
    from hotspots.planner import plan_sites

    selection = Selection(
        month_from=args.month_from,
        month_to=args.month_to,
        themes=args.theme,
        sources=args.source,
    )
    incidents = _read(args, selection)
    if incidents.empty:
        raise _nothing_selected(selection, _held(args))
    steps, compared = _over_time(args, incidents)
    districts = None
    if args.district:
        from hotspots.boundaries import load_boundary

        layer = load_boundary("districts")  # codes: checked by `_resolve_names`
        districts = layer[layer["lad_code"].isin(args.district)]
    exclude = None
    if args.exclude:
        from hotspots.io import read_layer

        exclude = read_layer(*_file_bytes(args.exclude))
    result = plan_sites(
        incidents,
        k=args.k,
        radius=args.radius,
        weights=_theme_keys(_pairs(args.weight, "--weight")) or None,
        min_separation=args.min_separation,
        max_per_district=args.max_per_district,
        require_districts=args.require_district,
        exclude=exclude,
        exclude_since=args.exclude_since,
        priorities=_pairs(args.priority, "--priority") or None,
        method=args.method,
        districts=districts,
        months=steps,
        trend_months=compared,
    )
    summary = result.summary()
    if args.out:
        from hotspots.pipeline import write_plan

        filters = selection.as_dict()
        if args.district:  # where sites may go; the data is the selection's
            filters["sites_in_districts"] = list(args.district)
        out = write_plan(result, args.out, filters=filters)
        summary["out"] = str(out)
        summary["out_mode"] = "restricted"  # whatever --mode (the briefings') says
    if args.briefings:
        from hotspots.briefing import write_briefings

        written = write_briefings(result, incidents, args.briefings, mode=args.mode)
        summary["briefings"] = [str(p) for p in written]
        summary["briefings_mode"] = args.mode
    return summary


def _pspo_area(args: argparse.Namespace, incidents: Any) -> Any:
    """The area chosen by --area, --ward or --hotspot (exactly one)."""
    from hotspots import pspo

    given = [f for f, v in (("--area", args.area), ("--ward", args.ward),
                            ("--hotspot", args.hotspot)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise HotspotsError(
            "Give the area with exactly one of --area FILE, --ward CODE or "
            f"--hotspot RANK (got {', '.join(given) or 'none'})."
        )
    if args.hotspot is None:
        for flag, hint in (("harm", "; the report counts incidents"), ("coverage", "")):
            if getattr(args, flag) not in (None, False):
                raise HotspotsError(
                    f"--{flag} chooses which hotspot --hotspot RANK means{hint}. "
                    "Give it with --hotspot, or leave it out."
                )
    if args.area is not None:
        kind = "order" if args.what == "evaluate" else "uploaded"
        return pspo.read_area(*_file_bytes(args.area), kind=kind, area_name=args.name)
    if args.ward is not None:
        area = pspo.area_from_ward(args.ward)
    else:
        from hotspots.boundaries import study_area
        from hotspots.detect import detect

        if args.month_from is None or args.month_to is None:
            raise HotspotsError(
                "--hotspot needs the months the hotspots are found in: give "
                "--from and --to."
            )
        chosen = Selection(month_from=args.month_from, month_to=args.month_to)
        located = chosen.apply(incidents[_located(incidents)])
        if args.harm:
            _note_uniform_weight("pspo", located)
        found = detect(
            located,
            method=args.method,
            study_area=study_area(args.district),
            coverage=(0.05 if args.coverage is None else args.coverage)
            if args.method == "kde"
            else None,
            weight="weight" if args.harm else None,
        )
        by = ", weighted by harm" if args.harm else ""
        share = "" if args.coverage is None else f", hottest {100 * args.coverage:g}%"
        label = f"{args.method}, {args.month_from}..{args.month_to}{share}{by}"
        area = pspo.area_from_hotspot(found.hotspots, args.hotspot, label=label)
    if args.name:
        from dataclasses import replace

        area = replace(area, name=args.name)
    return area


def _file_bytes(name: str) -> tuple[str, bytes]:
    """A file's name and bytes, or a one-line error naming it."""
    path = Path(name)
    try:
        return path.name, path.read_bytes()
    except OSError as err:
        raise HotspotsError(f"{path}: cannot read it ({err.strerror}).") from None


def _located(incidents: Any) -> Any:
    geoms = incidents.geometry
    return ~(geoms.isna() | geoms.is_empty).to_numpy()


def cmd_pspo(args: argparse.Namespace) -> dict[str, Any]:
    """An area profile or an order's before/after evaluation, as a report."""
    from hotspots import pspo
    from hotspots.dates import month_runs, selection_months
    from hotspots.disclosure import check_mode
    from hotspots.pspo_report import published_figures, write_report

    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise HotspotsError(f"{out}: give a report name ending .pdf or .html.")
    check_mode(args.mode, args.threshold)
    if args.what == "evaluate" and not args.start:
        raise HotspotsError("evaluate needs the order's first month: --start YYYY-MM.")
    if args.what == "profile":
        for flag in ("start", "buffer", "control", "before", "after"):
            if getattr(args, flag) is not None:
                raise HotspotsError(
                    f"--{flag} is for `pspo evaluate`; a profile takes --from/--to."
                )
    else:  # the windows come from --start (and --before/--after), not --from/--to
        for flag, dest in (("--from", "month_from"), ("--to", "month_to")):
            if getattr(args, dest, None) is not None:
                raise HotspotsError(
                    f"{flag} is for `pspo profile`; an evaluation's months are set "
                    "by --start, with --before and --after for the windows."
                )
    sensitivities = None if args.include_safeguarding else ["public", "restricted"]
    # theme, category and source filters only: the profile and the evaluation
    # choose their months and compare the area with its district and county
    selection = Selection(
        categories=args.category,
        themes=args.theme,
        sources=args.source,
        sensitivities=sensitivities,
    )
    incidents = _read(args, selection)
    held = _held(args)
    if incidents.empty:
        raise _nothing_selected(selection, held)
    # comparisons of months: only those every source of the incidents holds
    every, available = selection_months(incidents, held["source_months"])
    if every != available:
        periods = [pd.Period(m, freq="M") for m in available]
        warnings.warn(
            "The sources of this selection cover different months: the report "
            f"compares only the months all of them hold ({month_runs(periods)}), so "
            "that a month one source lacks is not read as a month without its "
            "incidents. Choose one source (--source) to use all of its months.",
            UserWarning,
            stacklevel=1,
        )
    area = _pspo_area(args, incidents)
    filters = {**selection.as_dict(), "from": args.month_from, "to": args.month_to}
    result: Any
    if args.what == "profile":
        months = (
            (args.month_from or available[0], args.month_to or available[-1])
            if available
            else None
        )
        if months and months[0] > months[1]:  # one end given, past the data's other
            given = "--from" if args.month_from else "--to"
            raise HotspotsError(
                f"{given} {args.month_from or args.month_to} leaves no months: the "
                f"data runs {available[0]} to {available[-1]}."
            )
        result = pspo.profile_area(
            incidents, area, months=months, available_months=available,
            filters=filters,
        )  # fmt: skip
        summary: dict[str, Any] = {
            "area": area.name,
            "area_source": area.source,
            "area_km2": round(area.area_km2, 4),
            "district": result.district_name,
            "months": result.months,
            # counts, rates and concentration as the report gives them (public
            # mode: rounded or withheld, the rates recomputed from those)
            **published_figures(result, mode=args.mode, threshold=args.threshold),
            "trend": result.trend.get("label"),
            "months_hot": result.persistence.get("n_hot"),
            "months_tested": result.persistence.get("n_months"),
        }
    else:
        control = None
        if args.control:
            control = pspo.read_area(*_file_bytes(args.control), kind="uploaded")
        kw: dict[str, Any] = {}
        if args.buffer is not None:
            kw["buffer_m"] = args.buffer
        result = pspo.evaluate_order(
            incidents, area, args.start, control=control,
            before=tuple(args.before) if args.before else None,
            after=tuple(args.after) if args.after else None,
            available_months=available, filters=filters, **kw,
        )  # fmt: skip
        summary = {
            "area": area.name,
            "area_source": area.source,
            "area_km2": round(area.area_km2, 4),
            "start": result.start,
            "buffer_m": result.buffer_m,
            "control": result.control_source,
            "before_months": result.before_months,
            "after_months": result.after_months,
            "verdict": result.verdict,
            # counts, p-values, WDQ, net effect and sentence as the report gives
            # them (public mode: from the rounded counts, or withheld)
            **published_figures(result, mode=args.mode, threshold=args.threshold),
        }
    written = write_report(result, out, mode=args.mode, threshold=args.threshold)
    return {**summary, "mode": args.mode, "out": str(written)}


def _num(value: Any) -> float | None:
    """A float for JSON (None for NaN or missing)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else round(f, 6)


def cmd_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Back-test a method and the naive baseline on the selection."""
    import math

    from hotspots.boundaries import study_area
    from hotspots.detect import GISTAR_CELL_SIZE_M, KDE_BANDWIDTH_M, default_text
    from hotspots.evaluate import evaluate

    area = study_area(args.district)
    selection = Selection(
        themes=args.theme,
        districts=args.district,
        sensitivities=["public", "restricted"],
    )
    incidents = _read(args, selection)
    options: dict[str, Any] = {}
    if args.method == "kde":
        if args.bandwidth_rule:
            options["bandwidth_rule"] = args.bandwidth_rule
        else:
            given = args.bandwidth
            options["bandwidth"] = KDE_BANDWIDTH_M if given is None else given
    elif args.method == "gistar":
        given = args.cell_size
        options["cell_size"] = GISTAR_CELL_SIZE_M if given is None else given
    elif args.method in ("dbscan", "hdbscan"):
        if args.eps is not None:
            options["eps"] = args.eps
        if args.min_incidents is not None:
            key = (
                "min_incidents" if args.method == "dbscan" else "min_cluster_incidents"
            )
            options[key] = args.min_incidents
    table = evaluate(
        incidents,
        method=args.method,
        train=(args.train_from, args.train_to),
        test=(args.test_from, args.test_to),
        coverages=args.coverage,
        study_area=area,
        eval_cell_size=args.eval_cell_size,
        options=options or None,
    )
    params = dict(table.attrs.get("parameters", {}))
    if args.method == "kde" and args.bandwidth is None and not args.bandwidth_rule:
        # the default, not "as given": said as `detect` says it
        params["method_parameters"] = {
            **params.get("method_parameters", {}),
            "bandwidth_rule": "default",
            "bandwidth_explanation": default_text("bandwidth", KDE_BANDWIDTH_M),
        }
    rows = [
        {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r.items()
        }
        for r in table.drop(columns=["parameters"], errors="ignore").to_dict("records")
    ]
    return {"method": args.method, "rows": rows, "parameters": params}


def cmd_trends(args: argparse.Namespace) -> dict[str, Any]:
    """Emerging-hotspot patterns of grid cells, written to a GeoPackage."""
    from hotspots.boundaries import study_area
    from hotspots.export import write_trend_cells
    from hotspots.provenance import provenance
    from hotspots.trends import classify_hotspot_trends, over_shared_months

    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        raise HotspotsError(
            f"{out}: trends writes a GeoPackage; give a name ending .gpkg."
        )
    area = study_area(args.district)
    incidents, selection = _selected(args)
    incidents, steps, note = over_shared_months(incidents, *_over_time(args, incidents))
    if note:
        if incidents.empty:
            raise HotspotsError(note)
        warnings.warn(note, UserWarning, stacklevel=1)
    if args.harm:
        _note_uniform_weight("trends", incidents)
    cells = classify_hotspot_trends(
        incidents, cell_size=args.cell_size, study_area=area, months=steps,
        weight="weight" if args.harm else None,
    )  # fmt: skip
    params = dict(cells.attrs.get("parameters", {}))
    record = provenance(
        incidents, filters=selection.as_dict(), method="trends", parameters=params
    )
    written = write_trend_cells(cells, out, record, mode=args.mode)
    patterns = cells["pattern"].value_counts().sort_index()
    return {
        "cells": len(cells),
        "cells_written": written,
        "patterns": {str(k): int(v) for k, v in patterns.items()},
        "months": params["months"],
        "cell_size_m": params["cell_size_m"],
        "harm": bool(args.harm),
        "mode": args.mode,
        "out": str(out),
    }


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
        for f in out.get("files", []):
            if f.get("read_as"):
                print(f"  {f['file']} was read with: {'; '.join(f['read_as'])}.")
        for label, key in (
            ("Rejected", "rejected_by_reason"),
            ("Unlocated", "unlocated_by_reason"),
            ("Kept, noted", "noted_by_reason"),
        ):
            for reason, n in out[key].items():
                print(f"  {label}: {n:,} {reason}")
        if out["rows_rejected"]:
            print(f"Rejected rows written to {out['rejects_file']}")
        positions = ingest_positions(out)
        if positions:
            print(f"Positions: {positions}.")
        if "covers" in out:
            print(f"The files cover {out['covers']} (as given with --covers).")
        if "store" in out:
            print(
                f"Store {out['store']} now holds {out['store_incidents']:,} incidents."
            )
        if "out" in out:
            print(f"Clean incidents written to {out['out']}")
        if out.get("out_safeguarding_left_out"):
            print(
                f"  ({out['out_safeguarding_left_out']:,} safeguarding incidents left "
                "out of it: they are never written as points; the store holds them.)"
            )
    elif command == "detect":
        from hotspots.detect import explanations

        p = out["parameters"]
        print(
            f"{out['hotspots']} hotspots ({p['method']}) holding "
            f"{out['incidents_in_hotspots']:,} incidents in {out['area_km2']:.2f} km² "
            f"of a {out['study_area_km2']:,.0f} km² study area; written to "
            f"{out['out']} (restricted: exact counts, for analysts; `hotspots export` "
            "writes public files)"
        )
        for line in explanations(p):
            print(f"  {line}")
    elif command == "evaluate":
        print(
            f"{'method':<40} {'coverage':>8} {'hit rate':>9} {'PAI':>7} {'PEI':>6} {'RRI':>6}"
        )
        for r in out["rows"]:

            def f(v: Any, spec: str) -> str:
                return "n/a" if v is None else format(v, spec)

            print(
                f"{str(r['label'])[:40]:<40} {r['coverage']:>8.1%} {f(r['hit_rate'], '.1%'):>9} "
                f"{f(r['pai'], '.1f'):>7} {f(r['pei'], '.2f'):>6} {f(r['rri'], '.2f'):>6}"
            )
    elif command == "plan":
        n = len(out["sites"])
        print(f"{n} site{'s' if n != 1 else ''} ({out.get('solver', '')}):")
        if out.get("n_candidates_outside_districts"):
            print(
                "  (sites in the districts given only; each share is of the "
                f"{out['incidents_located']:,} located incidents of the selection in "
                "every district, as a footprint counts those across a border too)"
            )
        for site in out["sites"]:
            print(
                f"  {site['rank']}. {site['ward_name']}, {site['lad_name']}: {site['explanation']}"
            )
        if out.get("out"):
            print(
                f"Sites written to {out['out']}: restricted (exact counts, for the "
                "partnership's planning; not for publication)."
            )
        if out.get("briefings"):
            print(
                f"{len(out['briefings'])} briefing files ({out['briefings_mode']}) written to "
                f"{Path(out['briefings'][0]).parent}."
            )
    elif command == "export":
        held = out["hotspots"] - out["hotspots_written"]
        print(
            f"{out['hotspots_written']} hotspots ({out['mode']} mode, {out['format']}) "
            f"written to {', '.join(out['files'])}"
            + (
                f"; {held} of the {out['hotspots']} found left out (fewer incidents "
                "than the smallest published count)"
                if held
                else ""
            )
        )
    elif command == "trends":
        from hotspots.trends import PATTERN_MEANINGS, method_sentence

        print(
            f"{method_sentence(out['cell_size_m'], out['months'], weighted=out['harm'])} "
            f"{out['cells']:,} cells were significant hot spots in "
            f"some month; {out['cells_written']:,} written ({out['mode']}"
            + (": cells under 10 incidents left out" if out["mode"] == "public" else "")
            + f") to {out['out']}"
        )
        for name, meaning in PATTERN_MEANINGS.items():
            if out["patterns"].get(name):
                print(f"  {name:<13}{out['patterns'][name]:>7,}  {meaning}")
    elif command == "pspo":
        if "verdict" in out:
            print(f"{out['area']}: {out['verdict']}. {out['sentence']}")
        else:
            # public mode: counts rounded, or withheld ("fewer than 10")
            n = {
                k: v if isinstance(v, str) else f"{v:,}"
                for k, v in out["incidents"].items()
            }
            c = out["concentration"]  # None where the district has no incident
            said = (
                "n/a"
                if c is None
                else c
                if isinstance(c, str)
                else f"{c:.1f}x its share of the land"
            )
            print(
                f"{out['area']} ({out['area_km2']:.2f} km², {out['district']}): "
                f"{n['area']} incidents against {n['district']} in the district; "
                f"concentration {said}; trend {out['trend']}."
            )
        print(f"Report ({out['mode']}) written to {out['out']}")
    elif command == "info":
        print(
            f"{out['store']}: {out['incidents']:,} incidents ({out['unlocated']:,} unlocated)"
        )
        from hotspots.dates import any_months, month_runs

        for s, n in out["sources"].items():
            own = [pd.Period(m, freq="M") for m in out["source_months"].get(s, [])]
            print(f"  {s}: {n:,} ({month_runs(own)})")
        # the months any source holds: with incidents, or inside a file's span
        months = [pd.Period(m, freq="M") for m in any_months(out["source_months"])]
        if months:
            held = set(months)
            every = pd.period_range(months[0], months[-1], freq="M")
            missing = [m for m in every if m not in held]
            gap = f"; none for {month_runs(missing)}" if missing else ""
            print(f"  months {month_runs(months)} ({len(months)} months{gap})")


COMMANDS = {
    "ingest": cmd_ingest,
    "info": cmd_info,
    "detect": cmd_detect,
    "evaluate": cmd_evaluate,
    "trends": cmd_trends,
    "export": cmd_export,
    "plan": cmd_plan,
    "pspo": cmd_pspo,
}


#: Parameters of the Python API named differently by a command-line flag.
_FLAG_OF = {"require_districts": "require_district", "buffer_m": "buffer"}


def _in_flags(message: str, parser: argparse.ArgumentParser, command: str) -> str:
    """`message` with the API's parameter names as the flags of `command`.

    A name in backticks that a flag of the command sets becomes the flag:
    "`min_separation` = 1600 m" -> "--min-separation = 1600 m". Other names stay,
    and so does a column's name ("Column `weight` must be finite" is the data's
    column, not --weight).
    """
    flags: dict[str, str] = {}

    def collect(p: argparse.ArgumentParser) -> None:  # the command's and its own
        for action in p._actions:  # subcommands' flags (pspo profile / evaluate)
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    collect(sub)
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs:
                flags.setdefault(action.dest, longs[0])

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            collect(action.choices[command])

    def flag(match: re.Match[str]) -> str:
        name = match.group(1)
        return flags.get(_FLAG_OF.get(name, name), match.group(0))

    return re.sub(r"(?<!column )(?<!Column )`([a-z_]+)`", flag, message)


def _resolve_names(args: argparse.Namespace) -> None:
    """Districts, themes and categories as the engine takes them; months in order.

    Districts and wards may be given by name ("Thanet", "folkestone & hythe",
    "Margate Central") or code, themes by any case or their start ("ASB"),
    categories by any case; each unknown one is an error that lists the known
    ones (for wards, the nearest names).
    """
    from hotspots.boundaries import district_codes, ward_code
    from hotspots.categories import resolve_categories, resolve_themes

    for name in ("district", "require_district"):
        if getattr(args, name, None):
            setattr(args, name, district_codes(getattr(args, name)))
    if getattr(args, "ward", None):
        args.ward = ward_code(args.ward)
    if getattr(args, "theme", None):
        args.theme = resolve_themes(args.theme)
    if getattr(args, "category", None):
        args.category = resolve_categories(args.category)
    first, last = getattr(args, "month_from", None), getattr(args, "month_to", None)
    if first and last and parse_month(first) > parse_month(last):
        raise HotspotsError(
            f"--from {first} is after --to {last}: give the earlier month first."
        )


def _note(
    command: str, message: Warning | str, category: type[Warning], *_: Any
) -> None:
    """A warning from the engine as one line on stderr: `hotspots CMD: note: ...`.

    A user warning is advice about the data or a parameter (a bandwidth under the
    spacing of the locations, too few months for a trend); Python's own format
    names a source file and line of the tool, which mean nothing to its user.
    Other warnings keep Python's format.
    """
    if issubclass(category, UserWarning):
        print(f"hotspots {command}: note: {message}", file=sys.stderr)
    else:
        print(
            warnings.formatwarning(message, category, *_[:2]), end="", file=sys.stderr
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version or a usage error (one line)
        return done.code if isinstance(done.code, int) else 0
    try:
        if (
            args.command != "ingest"
            and getattr(args, "covers", None)
            and not args.input
        ):
            raise HotspotsError(
                "--covers applies to the files given with --input; a store keeps the "
                "months its files cover from `hotspots ingest --covers`."
            )
        _check_method_flags(args)
        _check_flag_combinations(args)
        _check_writable(args)
        _resolve_names(args)
        with warnings.catch_warnings():  # the engine's advice, as notes
            warnings.simplefilter("default", UserWarning)
            warnings.showwarning = partial(_note, args.command)
            out = COMMANDS[args.command](args)
    except HotspotsError as err:
        message = _in_flags(str(err), parser, args.command)
        print(f"hotspots {args.command}: error: {message}", file=sys.stderr)
        return 2
    except MemoryError:  # numpy's ArrayMemoryError too
        print(
            f"hotspots {args.command}: error: this needs more memory than the "
            "computer has: a size setting is too large for the area (a Gi* window, "
            "a radius, a grid or bandwidth); choose a smaller one.",
            file=sys.stderr,
        )
        return 2
    except OSError as err:  # a path that is a folder, a folder that is missing
        where = f"{err.filename}: " if err.filename else ""
        print(
            f"hotspots {args.command}: error: {where}{err.strerror or err}. Check "
            "the path (give a file name, in a folder that exists).",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"hotspots {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a fault of the tool: one line, the trace on request
        if os.environ.get("HOTSPOTS_TRACEBACK"):
            raise
        print(
            f"hotspots {args.command}: error: the tool failed "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). "
            "This is a fault in hotspots, not in your data: run again with "
            "HOTSPOTS_TRACEBACK=1 to see where, and report it.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(out, default=str))
    else:
        _print_human(args.command, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
