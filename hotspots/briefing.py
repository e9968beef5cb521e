"""One-page briefing per street-week site (HTML and PDF), from `hotspots.planner`.

A briefing describes one site of a `~hotspots.planner.PlanResult`: its ward and
district, its centre, the planner's explanation, and what lies in its footprint.

Footprint
    The incidents whose point is within ``radius`` metres of the site centre
    (Euclidean distance in EPSG:27700, ``distance <= radius``, the planner's own
    rule; ``radius`` is ``plan.parameters["radius_m"]``). Unlocated rows (empty
    points) are never in a footprint.
Counts by theme
    ``n_t = #{incidents in the footprint with theme t}``; ``incidents = sum n_t``
    (rows with no theme are counted under ``"(no theme)"``).
Monthly trend
    Footprint incidents per month over the selection's months
    (``plan.parameters["months"]``), zero-filled.
Top locations
    The 5 most frequent ``location_text`` values among the footprint's
    **non-safeguarding** rows (ties: alphabetical). Safeguarding rows are counted
    (``safeguarding``) but never contribute a place, a dot on the map or a text.
Schools nearby
    Schools (bundled GIAS extract by default) whose point is within
    ``SCHOOL_RADIUS_M`` = 400 m of the centre, nearest first, with the distance
    in metres; a PRU is a pupil referral unit or alternative provision.
Disclosure
    ``mode="restricted"``: exact numbers. ``mode="public"``: every count goes
    through `hotspots.disclosure.apply_disclosure` (counts under `threshold`,
    default 10, withheld and shown as ``"fewer than 10"``; published counts
    rounded to the nearest 5; secondary suppression so a withheld theme or month
    cannot be recovered from the total; a table whose total is under the
    threshold is withheld whole, and one `apply_disclosure` cannot protect is
    shown as "withheld"), the safeguarding count, the total and each top
    location count (no total of those is published) get primary suppression
    and rounding only (`hotspots.disclosure.round_to_base`), the
    planner's sentence is replaced by one built from the published figures, and
    the map shows no incident points (disclosure rule 4).

Figures are drawn with ``matplotlib.figure.Figure`` (Agg canvas, no pyplot global
state, no internet): the map in EPSG:27700 with the footprint circle, incident
dots, schools, ward boundaries, a scale bar and a north arrow.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import textwrap
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from hotspots import __version__, bundled
from hotspots._validate import HotspotsError, require_points
from hotspots.crs import to_wgs84
from hotspots.disclosure import (
    DEFAULT_THRESHOLD,
    SHOWN_PRIMARY,
    apply_disclosure,
    check_mode,
    round_to_base,
    safeguarding_rows,
)
from hotspots.grid import located
from hotspots.planner import SCHOOL_RADIUS_M, PlanResult

#: Number of location descriptions listed.
TOP_LOCATIONS = 5
#: Open-data attribution lines printed on every briefing.
ATTRIBUTION_LINES = (
    "Street-level crime: data.police.uk, Kent Police (locations anonymised to "
    "snap points).",
    "Contains public sector information licensed under the Open Government "
    "Licence v3.0.",
    "Contains National Statistics data © Crown copyright and database right 2025.",
    "Contains OS data © Crown copyright and database right 2025.",
    "Schools: Get Information about Schools (DfE), Open Government Licence v3.0.",
)
#: A4 portrait in inches.
A4_INCHES = (8.27, 11.69)
_NO_THEME = "(no theme)"
_WITHHELD = "withheld"


# ---------------------------------------------------------------------- inputs


def _site(plan: PlanResult, rank: int) -> pd.Series:
    if not isinstance(plan, PlanResult):
        raise HotspotsError(
            f"`plan` must be a PlanResult from hotspots.planner.plan_sites, got "
            f"{type(plan).__name__}."
        )
    ranks = [int(r) for r in plan.sites["rank"]]
    if isinstance(rank, bool) or not isinstance(rank, int | np.integer):
        raise HotspotsError(f"`rank` must be a whole number, got {rank!r}.")
    if int(rank) not in ranks:
        raise HotspotsError(
            f"No site of rank {rank!r} in the plan; the ranks available are {ranks}."
        )
    return plan.sites.loc[plan.sites["rank"] == int(rank)].iloc[0]


def _radius(plan: PlanResult) -> float:
    r = plan.parameters.get("radius_m")
    if r is None or not np.isfinite(float(r)) or float(r) <= 0:
        raise HotspotsError(
            f"The plan's parameters hold no positive `radius_m` (got {r!r}); "
            "make the plan with hotspots.planner.plan_sites."
        )
    return float(r)


def _load_schools(schools: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if schools is not None:
        return schools
    try:
        return gpd.read_parquet(bundled.SCHOOLS)
    except FileNotFoundError:
        return None


def _load_wards(wards: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if wards is not None:
        return wards
    from hotspots.boundaries import load_boundary

    try:
        return load_boundary("wards")
    except HotspotsError:
        return None


def _footprint(
    incidents: gpd.GeoDataFrame, cx: float, cy: float, radius: float
) -> gpd.GeoDataFrame:
    """Located rows within `radius` metres of (cx, cy), in input order."""
    pts = incidents[located(incidents)]
    xy = pts.geometry.get_coordinates().to_numpy()
    if not len(xy):
        return pts
    d = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)
    return pts[d <= radius]


# ------------------------------------------------------------------ disclosure


def _disclose(
    labels: Sequence[str], counts: Sequence[int], mode: str, threshold: int
) -> dict[str, int | str]:
    """Counts as published: exact (restricted) or via `apply_disclosure` (public)."""
    if mode == "restricted" or not len(labels):
        return {lab: int(c) for lab, c in zip(labels, counts, strict=True)}
    small = f"fewer than {threshold}"
    if sum(counts) < threshold:
        # the total itself is withheld, so every cell is (no line total to differ)
        return dict.fromkeys(labels, small)
    frame = pd.DataFrame({"label": list(labels), "n": [int(c) for c in counts]})
    try:
        out = apply_disclosure(
            frame,
            mode=mode,
            threshold=threshold,
            count_columns=("n",),
            row_totals=False,
        )
    except HotspotsError:
        # the table cannot be protected cell by cell: withhold all of it
        return dict.fromkeys(labels, _WITHHELD)
    shown: dict[str, int | str] = {}
    for lab, value, note in zip(out["label"], out["n"], out["n_note"], strict=True):
        if pd.isna(value):
            shown[lab] = (
                small if note == SHOWN_PRIMARY.format(t=threshold) else _WITHHELD
            )
        else:
            shown[lab] = int(value)
    return shown


def _disclose_one(count: int, mode: str, threshold: int) -> int | str:
    """A single count: exact, or ``"fewer than t"`` / rounded to 5 (public)."""
    if mode == "restricted":
        return int(count)
    if count < threshold:
        return f"fewer than {threshold}"
    return int(round_to_base([count])[0])


def _fmt(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


# --------------------------------------------------------------------- profile


def site_profile(
    plan: PlanResult,
    incidents: gpd.GeoDataFrame,
    rank: int,
    *,
    schools: gpd.GeoDataFrame | None = None,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """Everything a briefing shows about one site, as plain values.

    Parameters
    ----------
    plan
        The result of `hotspots.planner.plan_sites`.
    incidents
        The canonical incidents the plan was made from (EPSG:27700 metres; the
        selection, i.e. the same rows). Unlocated rows are ignored.
    rank
        The site's rank in the plan (1 = first pick).
    schools
        Schools with ``name``, ``establishment_type``, ``pupil_referral_unit``,
        ``alternative_provision`` and points in the incidents' CRS; ``None``:
        the bundled ``data/schools.parquet`` (no schools if missing).
    mode
        ``"restricted"`` (exact numbers, default) or ``"public"`` (disclosure
        rules of `hotspots.disclosure`; see the module docstring).
    threshold
        Counts below it are withheld in public mode (default 10).

    Returns
    -------
    dict
        ``rank, mode, threshold, radius_m, area_km2, ward_code, ward_name,
        lad_code, lad_name, centre`` (``x, y`` metres BNG; ``lon, lat`` WGS84),
        ``explanation``, ``incidents`` (total in the footprint),
        ``safeguarding``, ``themes`` (theme -> count, largest first), ``months``
        (month ``"YYYY-MM"`` -> count), ``top_locations`` (list of
        ``(location_text, count)``), ``schools`` (list of dicts ``name, type,
        pru, distance_m``, nearest first), ``points`` ((n, 2) array of the
        non-safeguarding footprint incident coordinates for the map; empty in
        public mode), ``solver``, ``sources``.
        Counts are ``int``, or a ``str`` such as ``"fewer than 10"`` in public mode.

    Raises
    ------
    HotspotsError
        `rank` not in the plan (the message lists the ranks), unknown `mode`,
        a bad `threshold`, incidents not in a projected CRS or in another CRS
        than the plan, or schools in another CRS.
    """
    check_mode(mode, threshold)
    site = _site(plan, rank)
    radius = _radius(plan)
    require_points(incidents, name="incidents")
    if plan.sites.crs != incidents.crs:
        raise HotspotsError(
            f"`incidents` are in {incidents.crs}, the plan in {plan.sites.crs}; "
            "reproject the incidents (hotspots.to_working_crs) first."
        )
    cx, cy = float(site.geometry.x), float(site.geometry.y)
    inside = _footprint(incidents, cx, cy, radius)
    sg = safeguarding_rows(inside)

    # counts by theme (largest first, ties alphabetical)
    theme = (
        inside["theme"].astype("string").fillna(_NO_THEME)
        if "theme" in inside.columns
        else pd.Series(_NO_THEME, index=inside.index, dtype="string")
    )
    tc = theme.value_counts()
    tc = sorted(tc.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    themes = _disclose(
        [str(k) for k, _ in tc], [int(v) for _, v in tc], mode, threshold
    )

    # monthly trend over the selection's months, zero-filled
    months = [str(m) for m in plan.parameters.get("months") or []]
    if "month" in inside.columns:
        per = inside["month"].astype("string").value_counts()
        extra = sorted(set(per.index.dropna()) - set(months))
        months = months + [str(m) for m in extra]
        mcounts = [int(per.get(m, 0)) for m in months]
    else:
        mcounts = [0] * len(months)
    monthly = _disclose(months, mcounts, mode, threshold)

    # top location descriptions, never of safeguarding rows
    top: list[tuple[str, int | str]] = []
    if "location_text" in inside.columns:
        text = inside.loc[~sg, "location_text"].astype("string").str.strip()
        text = text[text.notna() & (text != "")]
        vc = sorted(text.value_counts().items(), key=lambda kv: (-int(kv[1]), kv[0]))
        vc = vc[:TOP_LOCATIONS]
        # no total of the listed places is published: primary rule and rounding
        top = [(str(k), _disclose_one(int(v), mode, threshold)) for k, v in vc]

    # schools within SCHOOL_RADIUS_M
    school_rows: list[dict[str, Any]] = []
    sch = _load_schools(schools)
    if sch is not None and len(sch):
        if sch.crs != incidents.crs:
            raise HotspotsError(
                f"`schools` are in {sch.crs}, the incidents in {incidents.crs}; "
                "reproject the schools first."
            )
        sch = sch[located(sch)]
        sxy = sch.geometry.get_coordinates().to_numpy()
        dist = np.hypot(sxy[:, 0] - cx, sxy[:, 1] - cy)
        near = np.flatnonzero(dist <= SCHOOL_RADIUS_M)
        near = near[np.argsort(dist[near], kind="stable")]
        for i in near:
            rec = sch.iloc[i]
            pru = any(
                bool(rec[c]) if c in sch.columns and not pd.isna(rec[c]) else False
                for c in ("pupil_referral_unit", "alternative_provision")
            )
            school_rows.append(
                {
                    "name": str(rec.get("name", "")),
                    "type": str(rec.get("establishment_type", "")),
                    "pru": pru,
                    "distance_m": round(float(dist[i])),
                }
            )

    lonlat = to_wgs84(gpd.GeoSeries([site.geometry], crs=plan.sites.crs))
    total = _disclose_one(len(inside), mode, threshold)
    safeguarding = _disclose_one(int(sg.sum()), mode, threshold)
    if mode == "restricted":
        explanation = str(site.get("explanation", ""))
        points = inside.loc[~sg].geometry.get_coordinates().to_numpy()
    else:
        n_pru = sum(s["pru"] for s in school_rows)
        explanation = (
            f"Covers {_fmt(total)} incidents in {math.pi * radius**2 / 1e6:.2f} km² "
            f"(counts rounded to the nearest 5); safeguarding concerns: "
            f"{_fmt(safeguarding)}; {len(school_rows)} school"
            f"{'s' if len(school_rows) != 1 else ''} within {SCHOOL_RADIUS_M:.0f} m"
            + (f" ({n_pru} PRU or alternative provision)" if n_pru else "")
            + f"; trend {site.get('trend', 'unknown')}."
        )
        points = np.empty((0, 2))
    return {
        "rank": int(site["rank"]),
        "mode": mode,
        "threshold": int(threshold),
        "radius_m": radius,
        "area_km2": math.pi * radius**2 / 1e6,
        "ward_code": _text(site.get("ward_code")),
        "ward_name": _text(site.get("ward_name")),
        "lad_code": _text(site.get("lad_code")),
        "lad_name": _text(site.get("lad_name")),
        "centre": {
            "x": cx,
            "y": cy,
            "lon": float(lonlat.x.iloc[0]),
            "lat": float(lonlat.y.iloc[0]),
        },
        "explanation": explanation,
        "incidents": total,
        "safeguarding": safeguarding,
        "themes": themes,
        "months": monthly,
        "top_locations": top,
        "schools": school_rows,
        "points": points,
        "solver": str(plan.parameters.get("solver", "")),
        "sources": dict(plan.parameters.get("sources") or {}),
    }


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


# ---------------------------------------------------------------------- drawing


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^n metres) of about a quarter of `span`."""
    target = span / 4
    p = 10 ** math.floor(math.log10(target))
    return max(m * p for m in (1, 2, 5) if m * p <= target)


def _draw_wards(
    ax: Axes, wards: gpd.GeoDataFrame | None, box: tuple[float, float, float, float]
) -> None:
    """Dashed ward boundaries and grey ward names within `box` (x0, y0, x1, y1)."""
    if wards is None or not len(wards):
        return
    x0, y0, x1, y1 = box
    near = wards.cx[x0:x1, y0:y1]
    lines = []
    for geom in shapely.boundary(np.asarray(near.geometry.array)):
        for part in getattr(geom, "geoms", [geom]):
            lines.append(np.asarray(part.coords))
    ax.add_collection(
        LineCollection(lines, colors="#888888", linewidths=0.8, linestyles="--")
    )
    if "ward_name" in near.columns:
        for name, geom in zip(near["ward_name"], near.geometry, strict=True):
            pt = shapely.intersection(geom, shapely.box(x0, y0, x1, y1))
            if pt.is_empty:
                continue
            p = pt.representative_point()
            ax.text(p.x, p.y, str(name), fontsize=6, color="#666666",
                    ha="center", va="center", parse_math=False, clip_on=True)  # fmt: skip


def _frame_map(ax: Axes, box: tuple[float, float, float, float]) -> None:
    """Limits to `box` (metres, BNG), no ticks, a scale bar and a north arrow."""
    x0, y0, x1, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    # scale bar (metres) bottom left
    width = x1 - x0
    length = _nice_length(width)
    bx, by = x0 + 0.06 * width, y0 + 0.06 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color="black", lw=3)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:.0f} m"
    ax.text(bx + length / 2, by + 0.02 * (y1 - y0), label, ha="center",
            va="bottom", fontsize=7, zorder=6,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})  # fmt: skip
    # north arrow top right (EPSG:27700 grid north is up)
    ax.annotate("N", xy=(0.93, 0.95), xytext=(0.93, 0.82), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black"})  # fmt: skip


def _draw_map(
    ax: Axes, prof: Mapping[str, Any], wards: gpd.GeoDataFrame | None
) -> None:
    """The footprint map on `ax`, in EPSG:27700 metres."""
    cx, cy = prof["centre"]["x"], prof["centre"]["y"]
    r = prof["radius_m"]
    half = max(r, SCHOOL_RADIUS_M) * 1.25
    x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
    _draw_wards(ax, wards, (x0, y0, x1, y1))
    ax.add_patch(
        Circle((cx, cy), r, facecolor="#fdd0a2", edgecolor="#d94801", alpha=0.5, lw=1.5)
    )
    pts = prof["points"]
    if len(pts):
        ax.scatter(pts[:, 0], pts[:, 1], s=4, c="#3f007d", alpha=0.6, lw=0,
                   label="incident locations (not safeguarding)")  # fmt: skip
    ax.plot([cx], [cy], marker="+", color="black", ms=10)
    for kind, colour, marker, label in (
        (False, "#1b9e77", "s", "school"),
        (True, "#d95f02", "^", "PRU / alternative provision"),
    ):
        xy = [(s["x"], s["y"]) for s in prof.get("_school_xy", []) if s["pru"] is kind]
        if xy:
            arr = np.asarray(xy)
            ax.scatter(arr[:, 0], arr[:, 1], marker=marker, s=36, c=colour,
                       edgecolors="black", lw=0.5, label=label, zorder=5)  # fmt: skip
    _frame_map(ax, (x0, y0, x1, y1))
    if len(pts) or prof.get("_school_xy"):
        ax.legend(loc="lower right", fontsize=6, framealpha=0.8)
    note = (
        f"Footprint: {r:.0f} m radius; schools within {SCHOOL_RADIUS_M:.0f} m. "
        "British National Grid."
    )
    if prof["mode"] == "public":
        note += " No incident points in public mode."
    ax.set_title(note, fontsize=7)


def _draw_trend(ax: Axes, prof: Mapping[str, Any]) -> None:
    months = list(prof["months"])
    values = [v if isinstance(v, int) else 0 for v in prof["months"].values()]
    pos = np.arange(len(months))
    ax.bar(pos, values, color="#6a51a3")
    for i, v in enumerate(prof["months"].values()):
        if not isinstance(v, int):
            ax.text(i, 0, f"<{prof['threshold']}", ha="center", va="bottom",
                    fontsize=6, rotation=90)  # fmt: skip
    ax.set_xticks(pos)
    ax.set_xticklabels(months, rotation=90, fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title("Incidents per month in the footprint", fontsize=8)


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # a location text with a glyph DejaVu lacks (emoji) only draws a box
        warnings.filterwarnings(
            "ignore", message=r"Glyph .* missing", category=UserWarning
        )
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _with_school_xy(
    prof: dict[str, Any], schools: gpd.GeoDataFrame | None
) -> dict[str, Any]:
    """The profile plus school positions (``_school_xy``) for the map."""
    sch = _load_schools(schools)
    out = dict(prof)
    out["_school_xy"] = []
    if sch is None or not len(sch) or not prof["schools"]:
        return out
    sch = sch[located(sch)]
    xy = sch.geometry.get_coordinates().to_numpy()
    cx, cy = prof["centre"]["x"], prof["centre"]["y"]
    d = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)
    for i in np.flatnonzero(d <= SCHOOL_RADIUS_M):
        rec = sch.iloc[i]
        pru = any(
            bool(rec[c]) if c in sch.columns and not pd.isna(rec[c]) else False
            for c in ("pupil_referral_unit", "alternative_provision")
        )
        out["_school_xy"].append({"x": xy[i, 0], "y": xy[i, 1], "pru": pru})
    return out


# ------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;font-size:11px;color:#222;margin:0}
.page{width:190mm;margin:6mm auto}
h1{font-size:17px;margin:0 0 2px}
.sub{color:#555;margin:0 0 6px}
.expl{background:#f3f0f7;border-left:4px solid #6a51a3;padding:4px 8px;margin:4px 0}
.cols{display:flex;gap:8px}
.col{flex:1}
table{border-collapse:collapse;width:100%;margin:2px 0 6px}
th,td{border-bottom:1px solid #ddd;padding:1px 4px;text-align:left}
td.n{text-align:right}
h2{font-size:12px;margin:6px 0 2px}
img{max-width:100%}
footer{font-size:8.5px;color:#555;border-top:1px solid #ccc;margin-top:6px}
@page{size:A4;margin:8mm}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _rows(pairs: Iterable[tuple[Any, Any]]) -> str:
    return "".join(
        f"<tr><td>{_e(a)}</td><td class='n'>{_e(_fmt(b))}</td></tr>" for a, b in pairs
    )


def _provenance_lines(
    plan: PlanResult, prof: Mapping[str, Any], provenance: Mapping[str, Any] | None
) -> list[str]:
    months = list(prof["months"])
    span = f"{months[0]} to {months[-1]} ({len(months)} months)" if months else "none"
    sources = ", ".join(prof["sources"]) or "unknown"
    lines = [
        f"hotspots {__version__}; street-week planner, solver {prof['solver']}, "
        f"radius {prof['radius_m']:.0f} m, k = {plan.parameters.get('k')}, "
        f"max per district {plan.parameters.get('max_per_district')}, gap "
        + (
            f"{plan.parameters['gap']:.2%}"
            if isinstance(plan.parameters.get("gap"), float)
            else "n/a"
        )
        + ".",
        f"Months: {span}. Sources: {sources}.",
        f"Disclosure: {prof['mode']}"
        + (
            f" (counts under {prof['threshold']} withheld, others rounded to 5; "
            "no incident points)."
            if prof["mode"] == "public"
            else " (exact counts, for partners with a data-sharing agreement)."
        ),
    ]
    if provenance:
        for key in ("software", "created"):
            if key in provenance:
                lines.append(f"{key}: {provenance[key]}")
    return lines + list(ATTRIBUTION_LINES)


def briefing_html(
    plan: PlanResult,
    incidents: gpd.GeoDataFrame,
    rank: int,
    *,
    schools: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    provenance: Mapping[str, Any] | None = None,
) -> str:
    """A self-contained one-page HTML briefing for the site of `rank`.

    Inline CSS, figures as base64 PNG ``data:`` URLs, no external resource; every
    text is escaped with `html.escape`. Arguments as in `site_profile`, plus
    `wards` (ward polygons for the map; ``None``: the bundled layer, skipped if
    missing) and `provenance` (a `hotspots.provenance.provenance` record, whose
    ``software`` and ``created`` entries are printed).

    Returns
    -------
    str
        The HTML document.
    """
    prof = site_profile(
        plan, incidents, rank, schools=schools, mode=mode, threshold=threshold
    )
    map_png, trend_png = _figures_png(prof, schools, wards)
    title = f"Street-week site {prof['rank']}: {prof['ward_name'] or 'unknown ward'}"
    c = prof["centre"]
    school_rows = (
        "".join(
            f"<tr><td>{_e(s['name'])}</td><td>{_e(s['type'])}"
            f"{' (PRU/AP)' if s['pru'] else ''}</td>"
            f"<td class='n'>{s['distance_m']:,} m</td></tr>"
            for s in prof["schools"]
        )
        or "<tr><td colspan='3'>None within 400 m</td></tr>"
    )
    top = _rows(prof["top_locations"]) or "<tr><td colspan='2'>None</td></tr>"
    foot = "<br>".join(_e(x) for x in _provenance_lines(plan, prof, provenance))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><div class="page">
<h1>{_e(title)}</h1>
<p class="sub">{_e(prof["lad_name"])} &middot; ward {_e(prof["ward_name"])}
({_e(prof["ward_code"])}) &middot; centre {c["x"]:.0f} E, {c["y"]:.0f} N
(lon {c["lon"]:.5f}, lat {c["lat"]:.5f}) &middot; {_e(prof["mode"])}</p>
<p class="expl">{_e(prof["explanation"])}</p>
<div class="cols">
<div class="col"><img alt="Map of the footprint" src="data:image/png;base64,{map_png}"></div>
<div class="col">
<h2>Incidents in the footprint: {_e(_fmt(prof["incidents"]))};
safeguarding concerns: {_e(_fmt(prof["safeguarding"]))}</h2>
<table><tr><th>Theme</th><th>Incidents</th></tr>{_rows(prof["themes"].items())}</table>
<img alt="Monthly trend" src="data:image/png;base64,{trend_png}">
</div></div>
<div class="cols">
<div class="col"><h2>Most frequent locations</h2>
<table><tr><th>Location</th><th>Incidents</th></tr>{top}</table></div>
<div class="col"><h2>Schools and PRUs within 400 m</h2>
<table><tr><th>Name</th><th>Type</th><th>Distance</th></tr>{school_rows}</table></div>
</div>
<footer>{foot}</footer>
</div></body></html>
"""


def _figures_png(
    prof: dict[str, Any],
    schools: gpd.GeoDataFrame | None,
    wards: gpd.GeoDataFrame | None,
) -> tuple[str, str]:
    fig = Figure(figsize=(4.2, 4.2))
    _draw_map(fig.add_axes((0.02, 0.02, 0.96, 0.9)), _with_school_xy(prof, schools),
              _load_wards(wards))  # fmt: skip
    map_png = _png(fig)
    fig = Figure(figsize=(4.0, 1.9))
    ax = fig.add_axes((0.1, 0.33, 0.87, 0.55))
    _draw_trend(ax, prof)
    trend_png = _png(fig)
    return map_png, trend_png


# -------------------------------------------------------------------------- PDF


def _table(
    fig: Figure, rect: tuple[float, float, float, float], title: str,
    header: list[str], rows: list[list[str]], widths: list[float],
) -> None:  # fmt: skip
    ax = fig.add_axes(rect)
    ax.axis("off")
    ax.set_title(title, fontsize=8, loc="left")
    if not rows:
        ax.text(0, 0.9, "None", fontsize=7, va="top")
        return
    tab = ax.table(cellText=rows, colLabels=header, colWidths=widths,
                   loc="upper left", cellLoc="left")  # fmt: skip
    tab.auto_set_font_size(False)
    tab.set_fontsize(6.5)
    for cell in tab.get_celld().values():
        cell.get_text().set_parse_math(False)
        cell.set_linewidth(0.3)
        cell.set_height(0.11 if len(rows) > 6 else 0.13)


def briefing_pdf(
    plan: PlanResult,
    incidents: gpd.GeoDataFrame,
    rank: int,
    *,
    schools: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    provenance: Mapping[str, Any] | None = None,
) -> bytes:
    """The briefing of `briefing_html` on one A4 portrait page, as PDF bytes.

    Drawn with matplotlib's ``PdfPages`` (no creation date, so the same inputs
    give the same bytes). Arguments as in `briefing_html`.

    Returns
    -------
    bytes
        A one-page PDF document.
    """
    prof = site_profile(
        plan, incidents, rank, schools=schools, mode=mode, threshold=threshold
    )
    fig = Figure(figsize=A4_INCHES)
    FigureCanvasAgg(fig)
    title = f"Street-week site {prof['rank']}: {prof['ward_name'] or 'unknown ward'}"
    c = prof["centre"]
    fig.text(0.05, 0.965, title, fontsize=14, fontweight="bold", parse_math=False)
    fig.text(
        0.05, 0.945,
        f"{prof['lad_name']} · ward {prof['ward_name']} ({prof['ward_code']}) · "
        f"centre {c['x']:.0f} E, {c['y']:.0f} N (lon {c['lon']:.5f}, "
        f"lat {c['lat']:.5f}) · {prof['mode']}",
        fontsize=8, color="#444444", parse_math=False,
    )  # fmt: skip
    fig.text(0.05, 0.935, "\n".join(textwrap.wrap(prof["explanation"], 110)),
             fontsize=8, va="top", parse_math=False)  # fmt: skip
    _draw_map(fig.add_axes((0.04, 0.48, 0.5, 0.38)), _with_school_xy(prof, schools),
              _load_wards(wards))  # fmt: skip
    _draw_trend(fig.add_axes((0.6, 0.72, 0.36, 0.12)), prof)
    _table(
        fig, (0.58, 0.47, 0.38, 0.2),
        f"Incidents: {_fmt(prof['incidents'])}; safeguarding: "
        f"{_fmt(prof['safeguarding'])}",
        ["Theme", "Incidents"],
        [[k, _fmt(v)] for k, v in prof["themes"].items()], [0.75, 0.25],
    )  # fmt: skip
    _table(
        fig, (0.05, 0.3, 0.9, 0.13), "Most frequent locations",
        ["Location", "Incidents"],
        [[k[:90], _fmt(v)] for k, v in prof["top_locations"]], [0.85, 0.15],
    )  # fmt: skip
    _table(
        fig, (0.05, 0.12, 0.9, 0.15), "Schools and PRUs within 400 m",
        ["Name", "Type", "Distance"],
        [[s["name"][:60], s["type"][:40] + (" (PRU/AP)" if s["pru"] else ""),
          f"{s['distance_m']:,} m"] for s in prof["schools"][:10]],
        [0.55, 0.33, 0.12],
    )  # fmt: skip
    foot = _provenance_lines(plan, prof, provenance)
    fig.text(0.05, 0.1, "\n".join(textwrap.fill(x, 150) for x in foot),
             fontsize=5.5, va="top", color="#444444", parse_math=False)  # fmt: skip
    return _pdf_bytes([fig])


def _pdf_bytes(figures: Sequence[Figure]) -> bytes:
    """`figures` as the pages of one PDF, with no creation date (deterministic)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # a location text with a glyph DejaVu lacks (emoji) only draws a box
        warnings.filterwarnings(
            "ignore", message=r"Glyph .* missing", category=UserWarning
        )
        with PdfPages(buf, metadata={"CreationDate": None, "Creator": None}) as pdf:
            for fig in figures:
                pdf.savefig(fig)
    return buf.getvalue()


# ------------------------------------------------------------------------ files


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def write_briefings(
    plan: PlanResult,
    incidents: gpd.GeoDataFrame,
    folder: str | Path,
    *,
    fmt: Sequence[str] = ("html", "pdf"),
    schools: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    provenance: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write one briefing per site per format, ``site-<rank>-<ward slug>.<ext>``.

    Parameters
    ----------
    plan, incidents
        As in `site_profile`.
    folder
        Output folder (created if missing; files in it are overwritten).
    fmt
        Formats among ``"html"`` and ``"pdf"`` (default both).
    schools, wards, mode, threshold, provenance
        As in `briefing_html`.

    Returns
    -------
    list of Path
        The files written, by rank then format.
    """
    if isinstance(fmt, str):
        fmt = (fmt,)
    bad = [f for f in fmt if f not in ("html", "pdf")]
    if bad or not fmt:
        raise HotspotsError(
            f"Unknown briefing format(s) {bad or list(fmt)!r}; choose 'html' and/or 'pdf'."
        )
    check_mode(mode, threshold)
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    kw: dict[str, Any] = {"schools": schools, "wards": wards, "mode": mode,
                          "threshold": threshold, "provenance": provenance}  # fmt: skip
    if schools is None:
        kw["schools"] = _load_schools(None)
    if wards is None:
        kw["wards"] = _load_wards(None)
    written: list[Path] = []
    for _, site in plan.sites.sort_values("rank").iterrows():
        rank = int(site["rank"])
        stem = f"site-{rank}-{_slug(_text(site.get('ward_name')))}"
        for f in fmt:
            path = out_dir / f"{stem}.{f}"
            if f == "html":
                path.write_text(
                    briefing_html(plan, incidents, rank, **kw), encoding="utf-8"
                )
            else:
                path.write_bytes(briefing_pdf(plan, incidents, rank, **kw))
            written.append(path)
    return written


__all__ = [
    "ATTRIBUTION_LINES",
    "briefing_html",
    "briefing_pdf",
    "site_profile",
    "write_briefings",
]
