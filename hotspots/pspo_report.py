"""HTML and PDF reports of PSPO evidence: an area profile and an order's evaluation.

Both reports are built once as a list of plain blocks (headings, paragraphs,
tables, figures) from a `hotspots.pspo.AreaProfile` or a
`hotspots.pspo.Evaluation`, with disclosure control already applied; one
renderer turns the blocks into self-contained HTML (inline CSS, base64 PNG
figures, every text through `html.escape`) and another flows them onto A4
portrait PDF pages (matplotlib ``Figure`` with the Agg canvas, no pyplot,
``parse_math=False`` on every text, tables split across pages with their
header repeated, PDF bytes deterministic).

Disclosure
    ``mode="restricted"``: exact counts, and the area's non-safeguarding
    incident positions (``profile.points``) on the map.
    ``mode="public"``, the rules of `hotspots.disclosure` (threshold ``t``,
    default 10):

    - single counts (the area's, the district's, the county's, each top
      location, each before/after count when alone) under ``t`` are shown as
      "fewer than t", others rounded to the nearest 5;
    - tables whose column totals are published (themes, categories, months,
      before/after by zone, day × hour) go through
      `hotspots.disclosure.apply_disclosure`: primary suppression, rounding and
      secondary suppression ("withheld"); a table it cannot protect is withheld
      whole;
    - every rate, share, concentration, ratio, change, odds ratio, WDQ and net
      effect is recomputed from the published counts, or withheld when one of
      its counts is; exact-count statistics that cannot be recomputed (the
      persistence test's expected counts, the engine's p-values) are dropped;
    - sentences the engine wrote with exact figures (the statutory "what the
      data shows", the trend and verdict sentences, notes with figures) are
      replaced by sentences built from the published figures;
    - no incident points on any map, and the area's safeguarding count is not
      printed (nothing finer than ward from safeguarding rows).

Map colours are from the Okabe-Ito palette (colour-blind safe); the heat map
uses viridis.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from shapely.geometry.base import BaseGeometry

from hotspots import __version__, pspo
from hotspots._validate import HotspotsError
from hotspots.briefing import (
    A4_INCHES,
    ATTRIBUTION_LINES,
    _disclose_one,
    _draw_wards,
    _fmt,
    _frame_map,
    _load_wards,
    _pdf_bytes,
    _png,
)
from hotspots.disclosure import (
    DEFAULT_THRESHOLD,
    SHOWN_PRIMARY,
    apply_disclosure,
    check_mode,
    disclose_record,
)
from hotspots.pspo import AreaProfile, Evaluation

#: Printed at the top of every report.
NOT_LEGAL_ADVICE = (
    "Evidence, not legal advice. This report summarises recorded incidents for "
    "the statutory test of the Anti-social Behaviour, Crime and Policing Act 2014 "
    "(s59: the test; s72: consultation; s60: duration). Whether to make, vary or "
    "extend an order is the council's decision, taken on legal advice and after "
    "consultation."
)
#: Okabe-Ito colours (colour-blind safe) of the map layers.
AREA_COLOUR = "#0072B2"
BUFFER_COLOUR = "#E69F00"
CONTROL_COLOUR = "#009E73"
POINT_COLOUR = "#D55E00"
DISTRICT_COLOUR = "#E69F00"
_WITHHELD = "withheld"

Rect = tuple[float, float, float, float]
Drawer = Callable[[Figure, Rect], None]


# ----------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class _Heading:
    text: str


@dataclass(frozen=True)
class _Para:
    text: str
    kind: str = "p"  # p, banner, key, small


@dataclass(frozen=True)
class _Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width, adding up to 1
    right: tuple[int, ...] = ()  # right-aligned (numeric) columns


@dataclass(frozen=True)
class _Fig:
    draw: Drawer
    height_in: float
    alt: str


@dataclass(frozen=True)
class _Break:
    keep: float = 0.0  # inches: stay on the page if this much is left (0: never)


Block = _Heading | _Para | _Bullets | _Table | _Fig | _Break


@dataclass(frozen=True)
class _Doc:
    title: str
    subtitle: str
    mode: str
    blocks: tuple[Block, ...]


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    right: Sequence[int] = (),
) -> _Table:
    return _Table(
        tuple(header),
        tuple(tuple(str(c) for c in r) for r in rows),
        tuple(widths),
        tuple(right),
    )


# ------------------------------------------------------------------- formatting


def _num(value: Any, places: int = 1, suffix: str = "") -> str:
    """A number with thousands separators, or the withheld text as it is."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "n/a"
    if math.isinf(float(value)):
        return "∞"
    return f"{float(value):,.{places}f}{suffix}"


def _pct(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "n/a"
    return f"{100 * float(value):.1f}%"


def _p(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "n/a"
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _ratio(a: float | str, b: float | str) -> float | str:
    """``a / b`` of published values; withheld when either is withheld."""
    if isinstance(a, str) or isinstance(b, str):
        return _WITHHELD
    if not b or pd.isna(b):
        return math.nan
    return a / float(b)


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def _span(months: Sequence[str]) -> str:
    if not months:
        return "no months"
    n = len(months)
    return f"{months[0]} to {months[-1]} ({_months(n)})"


# ------------------------------------------------------------------- disclosure


def _counts(
    frame: pd.DataFrame, columns: Sequence[str], mode: str, threshold: int
) -> dict[str, list[Any]]:
    """`columns` of `frame` as published, one list per column in row order.

    Values are ``int`` or, in public mode, ``"fewer than t"`` / ``"withheld"``;
    ``None`` for NA (no data), which takes no part. Each column is a line whose
    total is published (the table's total); public mode applies
    `apply_disclosure` (primary and secondary suppression, rounding) and
    withholds the whole table when that cannot protect it.
    """
    exact = {
        col: [None if pd.isna(v) else int(v) for v in frame[col].astype("Float64")]
        for col in columns
    }
    if mode == "restricted":
        return exact
    rows = [
        i for i in range(len(frame)) if all(exact[c][i] is not None for c in columns)
    ]
    if not rows:
        return exact
    part = pd.DataFrame({c: [exact[c][i] for i in rows] for c in columns})
    out: dict[str, list[Any]] = {c: list(v) for c, v in exact.items()}
    try:
        shown = apply_disclosure(
            part,
            mode=mode,
            threshold=threshold,
            count_columns=tuple(columns),
            row_totals=False,
        )
    except HotspotsError:
        # cannot be protected cell by cell: withhold the whole table
        for c in columns:
            for i in rows:
                out[c][i] = _WITHHELD
        return out
    primary = SHOWN_PRIMARY.format(t=threshold)
    for c in columns:
        for i, value, note in zip(rows, shown[c], shown[f"{c}_note"], strict=True):
            if pd.isna(value):
                out[c][i] = f"fewer than {threshold}" if note == primary else _WITHHELD
            else:
                out[c][i] = int(value)
    return out


def _shares(values: Sequence[Any], total: int | str | None) -> list[float | str]:
    """Each published value over the published `total` (None: their own sum)."""
    if total is None:
        total = sum(v for v in values if isinstance(v, int))
    return [_ratio(v, total) if total else math.nan for v in values]


# ---------------------------------------------------------------------- drawing


def _patch(geom: BaseGeometry, **style: Any) -> PathPatch:
    """A (Multi)Polygon as one matplotlib patch, holes kept."""
    paths = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
    path = MplPath.make_compound_path(*paths) if paths else MplPath(np.zeros((0, 2)))
    return PathPatch(path, **style)


def _box(
    bounds: Sequence[float], ax: Axes, *, pad: float = 0.15, min_span: float = 600.0
) -> Rect:
    """`bounds` padded and widened to the shape of `ax` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max((x1 - x0) * (1 + 2 * pad), min_span)
    h = max((y1 - y0) * (1 + 2 * pad), min_span)
    pos = ax.get_position()
    fig: Any = ax.figure
    fw, fh = fig.get_size_inches()
    shape = (pos.height * fh) / (pos.width * fw)
    if h / w < shape:
        h = w * shape
    else:
        w = h / shape
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _inner(rect: Rect, left: float, bottom: float, width: float, height: float) -> Rect:
    """A sub-rectangle of `rect` given in fractions of it."""
    x, y, w, h = rect
    return x + left * w, y + bottom * h, width * w, height * h


def _legend(ax: Axes, handles: list[Any], loc: Any = "lower right") -> None:
    leg = ax.legend(handles=handles, loc=loc, fontsize=6, framealpha=0.85)
    for text in leg.get_texts():
        text.set_parse_math(False)


def _area_style() -> dict[str, Any]:
    return {"facecolor": AREA_COLOUR, "edgecolor": AREA_COLOUR, "alpha": 0.3, "lw": 1.5}


def _profile_map(
    profile: AreaProfile, points: np.ndarray, wards: gpd.GeoDataFrame | None
) -> Drawer:
    def draw(fig: Figure, rect: Rect) -> None:
        ax = fig.add_axes(_inner(rect, 0.0, 0.0, 1.0, 0.93))
        geom = profile.area.geometry
        box = _box(geom.bounds, ax)
        _draw_wards(ax, wards, box)
        ax.add_patch(_patch(geom, **_area_style()))
        ax.add_patch(_patch(geom, facecolor="none", edgecolor=AREA_COLOUR, lw=1.5))
        handles: list[Any] = [
            Patch(facecolor=AREA_COLOUR, alpha=0.4, label=profile.area.name[:60])
        ]
        if len(points):
            handles.append(
                ax.scatter(
                    points[:, 0],
                    points[:, 1],
                    s=5,
                    c=POINT_COLOUR,
                    alpha=0.7,
                    lw=0,
                    label="incident (not safeguarding)",
                )
            )
        _frame_map(ax, box)
        _legend(ax, handles)
        note = (
            f"{profile.area.name}: {profile.area.area_km2:.2f} km². Dashed: ward "
            "boundaries. British National Grid."
        )
        note += (
            " Incident positions are police.uk snap points."
            if len(points)
            else " No incident points in the public version."
        )
        ax.set_title("\n".join(textwrap.wrap(note, 120)), fontsize=7, parse_math=False)

    return draw


def _evaluation_map(evaluation: Evaluation, wards: gpd.GeoDataFrame | None) -> Drawer:
    def layers(ax: Axes, lw: float) -> None:
        ax.add_patch(
            _patch(
                evaluation.control,
                facecolor=CONTROL_COLOUR,
                edgecolor=CONTROL_COLOUR,
                alpha=0.25,
                lw=lw,
            )
        )
        ax.add_patch(
            _patch(
                evaluation.buffer,
                facecolor=BUFFER_COLOUR,
                alpha=0.45,
                edgecolor=BUFFER_COLOUR,
                hatch="///",
                lw=lw,
            )
        )
        ax.add_patch(_patch(evaluation.area.geometry, **_area_style()))
        ax.add_patch(
            _patch(
                evaluation.area.geometry, facecolor="none", edgecolor=AREA_COLOUR, lw=lw
            )
        )

    def draw(fig: Figure, rect: Rect) -> None:
        zoom = fig.add_axes(_inner(rect, 0.0, 0.0, 0.56, 0.9))
        whole = shapely.union(evaluation.area.geometry, evaluation.buffer)
        zbox = _box(whole.bounds, zoom, pad=0.08)
        _draw_wards(zoom, wards, zbox)
        layers(zoom, 1.5)
        _frame_map(zoom, zbox)
        _legend(
            zoom,
            [
                Patch(facecolor=AREA_COLOUR, alpha=0.5, label="order area (R)"),
                Patch(
                    facecolor=BUFFER_COLOUR,
                    alpha=0.5,
                    hatch="///",
                    label=f"buffer, {evaluation.buffer_m:.0f} m (B)",
                ),
                Patch(facecolor=CONTROL_COLOUR, alpha=0.35, label="control (C)"),
            ],
        )
        zoom.set_title("Order area and buffer", fontsize=8)
        over = fig.add_axes(_inner(rect, 0.6, 0.0, 0.4, 0.9))
        everything = shapely.union(whole, evaluation.control)
        obox = _box(everything.bounds, over, pad=0.04)
        layers(over, 0.6)
        over.add_patch(
            Rectangle(
                (zbox[0], zbox[1]),
                zbox[2] - zbox[0],
                zbox[3] - zbox[1],
                fill=False,
                lw=1.0,
                edgecolor="black",
            )
        )
        _frame_map(over, obox)
        over.set_title(
            "\n".join(textwrap.wrap(f"Control: {evaluation.control_source}", 55)),
            fontsize=7,
            parse_math=False,
        )

    return draw


def _monthly_chart(
    months: Sequence[str],
    area: Sequence[Any],
    area_rate: Sequence[Any],
    district_rate: Sequence[Any],
    district_name: str,
    threshold: int,
) -> Drawer:
    def draw(fig: Figure, rect: Rect) -> None:
        pos = np.arange(len(months))
        ax = fig.add_axes(_inner(rect, 0.07, 0.3, 0.4, 0.6))
        heights = [v if isinstance(v, int) else 0 for v in area]
        ax.bar(pos, heights, color=AREA_COLOUR)
        top = max([*heights, 1])
        for i, v in enumerate(area):
            if isinstance(v, str):
                label = f"<{threshold}" if v.startswith("fewer") else v
                ax.text(
                    i,
                    top * 0.02,
                    label,
                    ha="center",
                    va="bottom",
                    fontsize=5.5,
                    rotation=90,
                    parse_math=False,
                )
            elif v is None or v is pd.NA:
                ax.text(
                    i,
                    top * 0.02,
                    "no data",
                    ha="center",
                    va="bottom",
                    fontsize=5.5,
                    rotation=90,
                    color="#777777",
                )
        ax.set_title("Incidents per month in the area", fontsize=8)
        ax.set_ylabel("incidents", fontsize=7)
        ax2 = fig.add_axes(_inner(rect, 0.58, 0.3, 0.4, 0.6))
        for values, colour, label in (
            (area_rate, AREA_COLOUR, "area"),
            (district_rate, DISTRICT_COLOUR, district_name),
        ):
            y = [float(v) if isinstance(v, int | float) else np.nan for v in values]
            ax2.plot(pos, y, marker="o", ms=3, color=colour, label=label)
        ax2.set_ylim(bottom=0)
        ax2.set_title("Incidents per 1,000 residents per month", fontsize=8)
        ax2.set_ylabel("per 1,000 residents", fontsize=7)
        _legend(ax2, ax2.get_legend_handles_labels()[0], loc="best")
        for a in (ax, ax2):
            a.set_xticks(pos)
            a.set_xticklabels(months, rotation=90, fontsize=6)
            a.tick_params(axis="y", labelsize=6)

    return draw


def _heat_map(cells: pd.DataFrame, threshold: int, mode: str) -> Drawer:
    def draw(fig: Figure, rect: Rect) -> None:
        ax = fig.add_axes(_inner(rect, 0.1, 0.2, 0.78, 0.68))
        grid = np.array(
            [
                [v if isinstance(v, int) else np.nan for v in row]
                for row in cells.values
            ],
            dtype=float,
        )
        masked = np.ma.masked_invalid(grid)
        ax.set_facecolor("#d9d9d9")
        im = ax.imshow(masked, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.set_yticks(range(len(cells.index)))
        ax.set_yticklabels([str(d) for d in cells.index], fontsize=6)
        ax.set_xticks(range(len(cells.columns)))
        ax.set_xticklabels([f"{int(h):02d}" for h in cells.columns], fontsize=6)
        ax.set_xlabel("hour of the day (00 = midnight to 1 am)", fontsize=7)
        bar = fig.colorbar(im, cax=fig.add_axes(_inner(rect, 0.9, 0.2, 0.02, 0.68)))
        bar.set_label("incidents", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        title = "Incidents by day of the week and hour"
        if mode == "public":
            title += f" (grey: withheld, fewer than {threshold} or to protect one)"
        ax.set_title(title, fontsize=8)

    return draw


# ------------------------------------------------------------ area profile view


def _profile_doc(
    profile: AreaProfile, mode: str, threshold: int, wards: gpd.GeoDataFrame | None
) -> _Doc:
    if not isinstance(profile, AreaProfile):
        raise HotspotsError(
            f"Expected an AreaProfile from hotspots.pspo.profile_area, got "
            f"{type(profile).__name__}."
        )
    check_mode(mode, threshold)
    public = mode == "public"
    months = list(profile.months)
    n_months = len(months)
    cmp_ = profile.comparison
    levels = [lvl for lvl in ("area", "district", "county") if lvl in cmp_.index]
    shown: dict[str, int | str] = {
        lvl: _disclose_one(int(cmp_["incidents"].astype("int64")[lvl]), mode, threshold)
        for lvl in levels
    }

    def col(level: str, name: str) -> float:
        value: Any = cmp_.loc[level, name] if name in cmp_.columns else math.nan
        return float(value) if not pd.isna(value) else math.nan

    rates: dict[str, dict[str, Any]] = {}
    for lvl in levels:
        km2, res = col(lvl, "area_km2"), col(lvl, "residents")
        r: dict[str, Any] = {
            "km2": km2,
            "residents": res,
            "per_km2": _ratio(shown[lvl], km2),
            "per_1000": (_ratio(shown[lvl], res / 1000) if res else math.nan),
            "share_inc": math.nan,
            "share_land": col(lvl, "share_of_district_land"),
        }
        if lvl != "county" and "district" in shown:
            r["share_inc"] = _ratio(shown[lvl], shown["district"])
        if not public:
            r.update(per_km2=col(lvl, "per_km2"), per_1000=col(lvl, "per_1000"))
            r["share_inc"] = col(lvl, "share_of_district_incidents")
        r["concentration"] = (
            _ratio(r["share_inc"], r["share_land"])
            if public
            else col(lvl, "concentration")
        )
        rates[lvl] = r
    area_r = rates.get("area", {})
    name = profile.area.name
    district = f"{profile.district_name} ({profile.district_code})"
    names = {"area": name, "district": profile.district_name, "county": "Kent & Medway"}

    blocks: list[Block] = [_Para(NOT_LEGAL_ADVICE, "banner")]
    blocks.append(
        _Para(
            f"{_fmt(shown.get('area', 0))} incidents were recorded in the area over "
            f"{_span(months)}: {_num(area_r.get('per_km2'))} "
            f"per km² and {_num(area_r.get('per_1000'), 2)} per 1,000 residents over "
            f"the months. The area has {_pct(area_r.get('share_inc'))} of "
            f"{profile.district_name}'s incidents on {_pct(area_r.get('share_land'))} "
            f"of its land: a concentration of {_num(area_r.get('concentration'), 2)} "
            "(1 = its fair share by land)."
            + (" Counts rounded to the nearest 5." if public else ""),
            "key",
        )
    )
    points = (
        np.empty((0, 2))
        if public or profile.points is None
        else np.asarray(profile.points, dtype=float).reshape(-1, 2)
    )
    blocks.append(_Fig(_profile_map(profile, points, wards), 3.5, "Map of the area"))
    blocks.append(_Heading("How the area compares"))
    blocks.append(
        _table(
            [
                "Level",
                "Incidents",
                "Area (km²)",
                "Residents",
                "Incidents per km²",
                "Per 1,000 residents",
                "Share of district incidents",
                "Share of district land",
                "Concentration",
            ],
            [
                [
                    names[lvl],
                    _fmt(shown[lvl]),
                    _num(r["km2"], 2),
                    _num(r["residents"], 0),
                    _num(r["per_km2"]),
                    _num(r["per_1000"], 2),
                    _pct(r["share_inc"]),
                    _pct(r["share_land"]),
                    _num(r["concentration"], 2),
                ]
                for lvl, r in rates.items()
            ],
            [0.17, 0.1, 0.09, 0.1, 0.1, 0.1, 0.12, 0.11, 0.11],
            right=range(1, 9),
        )
    )
    if public:
        sg = (
            "Safeguarding incidents are counted in the totals but never mapped, and "
            "are not reported for areas smaller than a ward in the public version."
        )
    else:
        sg = (
            f"Safeguarding incidents in the area: {profile.safeguarding:,} (counted "
            "in the totals, never mapped or listed by place)."
        )
    blocks.append(
        _Para(
            f"Rates are over the {n_months} selected months, not annualised. The "
            "area's residents are estimated from Census 2021 ward populations, "
            "apportioned by the share of each ward's postcodes inside the area. "
            "Concentration = share of the district's incidents ÷ share of the "
            f"district's land. {sg}",
            "small",
        )
    )
    blocks.extend(_trend_blocks(profile, shown, rates, mode, threshold))

    # ---- the statutory test, the mix, places and persistence
    blocks.append(_Break())
    blocks.append(_Heading("The statutory test (s59), point by point"))
    blocks.append(
        _Para(
            "What the recorded incidents can and cannot show for each condition. "
            "The council must be satisfied on reasonable grounds of each.",
            "small",
        )
    )
    statutory = (
        _public_statutory(profile, shown, rates, threshold)
        if public
        else [(s["test"], s["shows"], s["cannot_show"]) for s in profile.statutory]
    )
    blocks.append(
        _table(
            [
                "Test",
                "What the data shows",
                "What it cannot show (other evidence needed)",
            ],
            statutory,
            [0.18, 0.44, 0.38],
        )
    )
    blocks.extend(_mix_blocks(profile, shown, mode, threshold))
    blocks.extend(_day_hour_blocks(profile, mode, threshold))
    top = [
        (t, _disclose_one(int(c), mode, threshold)) for t, c in profile.top_locations
    ]
    blocks.append(_Heading("Most frequent locations (not safeguarding)"))
    blocks.append(
        _table(
            ["Location as recorded", "Incidents"],
            [[t, _fmt(c)] for t, c in top] or [["None", ""]],
            [0.8, 0.2],
            [1],
        )
    )
    blocks.extend(_persistence_blocks(profile, mode, threshold))

    # ---- appendix
    blocks.append(_Break(keep=5.0))
    blocks.append(_Heading("Limitations: what this data can and cannot show"))
    blocks.append(_Bullets(tuple(profile.limitations) or ("None recorded.",)))
    blocks.append(_Heading("Consultation and notification (s72)"))
    blocks.append(_Bullets(tuple(profile.consultees) or ("None recorded.",)))
    blocks.extend(
        _method_blocks(
            profile.provenance,
            mode,
            threshold,
            [
                (
                    "Area",
                    f"{name} ({profile.area.kind}); {profile.area.area_km2:.3f} km²",
                ),
                ("Area source", profile.area.source),
                ("Comparator district", district),
                ("Months", _span(months)),
                ("Filters", _plain(profile.filters)),
                (
                    "Incidents with a time of day",
                    _fmt(_disclose_one(profile.day_hour_n, mode, threshold)),
                ),
            ],
        )
    )
    subtitle = (
        f"{district} · {profile.area.area_km2:.2f} km² · {_span(months)} · "
        f"{mode} version"
    )
    return _Doc(f"PSPO area profile: {name}", subtitle, mode, tuple(blocks))


def _public_statutory(
    profile: AreaProfile,
    shown: Mapping[str, int | str],
    rates: Mapping[str, Mapping[str, Any]],
    threshold: int,
) -> list[tuple[str, str, str]]:
    """The s59 points with "what the data shows" rebuilt from published figures."""
    a, d = rates.get("area", {}), rates.get("district", {})
    n = len(profile.months)
    pers = profile.persistence
    trend = profile.trend
    themes = dict(
        zip(
            profile.themes.index,
            _counts(profile.themes, ["area"], "public", threshold)["area"],
            strict=True,
        )
    )
    named = [
        f"{t} {_fmt(v)}" for t, v in themes.items() if isinstance(v, int) and v > 0
    ]
    mix = "; ".join(named) if named else "too few incidents to publish by theme"
    by_test = {
        "detrimental": (
            f"{_fmt(shown.get('area', 0))} incidents in {n} months: "
            f"{_num(a.get('per_km2'))} per km² and {_num(a.get('per_1000'), 2)} per "
            f"1,000 residents, against {_num(d.get('per_km2'))} per km² and "
            f"{_num(d.get('per_1000'), 2)} per 1,000 in {profile.district_name}."
        ),
        "persistent": (
            f"{pers.get('n_hot', 'n/a')} of {pers.get('n_months', 'n/a')} months with "
            f"significantly more incidents than expected; trend over the months: "
            f"{trend.get('direction', 'n/a')}."
        ),
        "unreasonable": f"Incidents by theme (published counts): {mix}.",
        "justif": (
            f"Concentration {_num(a.get('concentration'), 2)} (share of the district's "
            f"incidents ÷ share of its land); incidents by theme: {mix}."
        ),
    }
    out = []
    for item in profile.statutory:
        test = str(item.get("test", ""))
        key = next((k for k in by_test if k in test.lower()), None)
        shows = (
            by_test[key]
            if key
            else "Figures in the public version: see the tables of this report."
        )
        out.append(
            (
                test,
                shows + " (Counts rounded to the nearest 5.)",
                str(item.get("cannot_show", "")),
            )
        )
    return out


def _trend_blocks(
    profile: AreaProfile,
    shown: Mapping[str, int | str],
    rates: Mapping[str, Mapping[str, Any]],
    mode: str,
    threshold: int,
) -> list[Block]:
    mon = profile.monthly
    counts = _counts(mon, ["area", "district"], mode, threshold)
    res_a = rates.get("area", {}).get("residents", math.nan)
    res_d = rates.get("district", {}).get("residents", math.nan)
    area_rate = [
        _ratio(v, res_a / 1000) if not pd.isna(v) else np.nan for v in counts["area"]
    ]
    dist_rate = [
        _ratio(v, res_d / 1000) if not pd.isna(v) else np.nan
        for v in counts["district"]
    ]
    if mode == "restricted" and "area_per_1000" in mon.columns:
        area_rate = list(pd.to_numeric(mon["area_per_1000"]))
    month_labels = [str(m) for m in mon["month"]]
    out: list[Block] = [_Heading("Incidents over time")]
    out.append(
        _Fig(
            _monthly_chart(
                month_labels,
                list(counts["area"]),
                area_rate,
                dist_rate,
                profile.district_name,
                threshold,
            ),
            1.9,
            "Incidents per month in the area, and per 1,000 residents in the area "
            "and the district",
        )
    )
    t = profile.trend
    if mode == "restricted":
        sentence = str(t.get("sentence", ""))
    else:
        parts = pd.DataFrame(
            {"n": [int(t.get("earlier") or 0), int(t.get("recent") or 0)]}
        )
        ea, re_ = _counts(parts, ["n"], mode, threshold)["n"]
        ne, nr = len(t.get("earlier_months") or []), len(t.get("recent_months") or [])
        ratio = _ratio(
            _ratio(re_, nr) if nr else _WITHHELD, _ratio(ea, ne) if ne else _WITHHELD
        )
        sentence = (
            f"Mann-Kendall trend over the months: {t.get('direction', 'n/a')} "
            f"(tau {_num(t.get('mann_kendall_tau'), 2)}). Recent {_months(nr)}: "
            f"{_fmt(re_)} incidents against {_fmt(ea)} in the earlier {_months(ne)} "
            f"(rate ratio {_num(ratio, 2)} from the rounded counts): "
            f"{t.get('label', 'n/a')}."
        )
    out.append(_Para(sentence))
    return out


def _mix_table(
    frame: pd.DataFrame,
    first: str,
    totals: Mapping[str, int | str],
    mode: str,
    threshold: int,
) -> _Table:
    levels = [c for c in ("area", "district", "county") if c in frame.columns]
    counts = _counts(frame, levels, mode, threshold)
    shares = {
        lvl: (
            _shares(counts[lvl], totals.get(lvl))
            if mode == "public"
            else list(pd.to_numeric(frame[f"{lvl}_share"]))
        )
        for lvl in levels
    }
    header = [first]
    for lvl in levels:
        header += [lvl.capitalize(), "share"]
    rows = []
    for i, label in enumerate(frame.index):
        row = [str(label)]
        for lvl in levels:
            row += [_fmt(counts[lvl][i]), _pct(shares[lvl][i])]
        rows.append(row)
    w = 0.31
    return _table(
        header,
        rows,
        [w] + [(1 - w) / (2 * len(levels))] * (2 * len(levels)),
        right=range(1, 1 + 2 * len(levels)),
    )


def _mix_blocks(
    profile: AreaProfile, totals: Mapping[str, int | str], mode: str, threshold: int
) -> list[Block]:
    out: list[Block] = [
        _Heading("Incidents by theme: area, district and county"),
        _mix_table(profile.themes, "Theme", totals, mode, threshold),
        _Heading("Incidents by category (the 12 most frequent in the area)"),
        _mix_table(profile.categories, "Category", totals, mode, threshold),
    ]
    if mode == "public":
        out.append(
            _Para(
                f"Counts under {threshold} are shown as 'fewer than {threshold}', "
                "others rounded to the nearest 5; 'withheld' protects a small count "
                "from being worked out from the totals. Shares are of the published "
                "(rounded) totals.",
                "small",
            )
        )
    return out


def _day_hour_blocks(profile: AreaProfile, mode: str, threshold: int) -> list[Block]:
    out: list[Block] = [_Heading("Day of the week and hour")]
    dh = profile.day_hour
    if dh is None or not profile.day_hour_n:
        out.append(
            _Para(
                "No incident in the area has a time of day (police.uk records give "
                "the month only), so no day × hour pattern can be shown."
            )
        )
        return out
    flat = pd.DataFrame({"n": dh.to_numpy().ravel()})
    shown = np.array(_counts(flat, ["n"], mode, threshold)["n"], dtype=object)
    cells = pd.DataFrame(shown.reshape(dh.shape), index=dh.index, columns=dh.columns)
    out.append(
        _Fig(_heat_map(cells, threshold, mode), 2.6, "Incidents by day and hour")
    )
    n = _fmt(_disclose_one(profile.day_hour_n, mode, threshold))
    out.append(
        _Para(f"From the {n} incidents in the area with a time of day.", "small")
    )
    return out


def _persistence_blocks(profile: AreaProfile, mode: str, threshold: int) -> list[Block]:
    p = profile.persistence
    hot = list(p.get("months_hot") or [])
    out: list[Block] = [
        _Heading("Persistence"),
        _Para(
            f"{p.get('n_hot', len(hot))} of {p.get('n_months', 'n/a')} months tested "
            f"were 'hot': {', '.join(hot) if hot else 'none'}. "
            f"{p.get('definition', '')}"
        ),
    ]
    by = p.get("by_month")
    if isinstance(by, pd.DataFrame) and len(by):
        if mode == "public":
            counts = _counts(by, ["area"], mode, threshold)["area"]
            rows = [
                [str(m), _fmt(c), "yes" if bool(h) else "no"]
                for m, c, h in zip(by["month"], counts, by["hot"], strict=True)
            ]
            out.append(
                _table(["Month", "Incidents", "Hot"], rows, [0.4, 0.3, 0.3], [1])
            )
            out.append(
                _Para(
                    "Expected counts and p-values are not published in the "
                    "public version (they would reveal exact counts).",
                    "small",
                )
            )
        else:
            rows = [
                [
                    str(r["month"]),
                    _fmt(int(r["area"])),
                    _num(r["expected"], 1),
                    _p(r["p"]),
                    "yes" if bool(r["hot"]) else "no",
                ]
                for _, r in by.iterrows()
            ]
            out.append(
                _table(
                    ["Month", "Incidents", "Expected", "p", "Hot"],
                    rows,
                    [0.24, 0.19, 0.19, 0.19, 0.19],
                    [1, 2, 3],
                )
            )
    return out


# -------------------------------------------------------------- evaluation view


def _evaluation_doc(
    evaluation: Evaluation, mode: str, threshold: int, wards: gpd.GeoDataFrame | None
) -> _Doc:
    if not isinstance(evaluation, Evaluation):
        raise HotspotsError(
            f"Expected an Evaluation from hotspots.pspo.evaluate_order, got "
            f"{type(evaluation).__name__}."
        )
    check_mode(mode, threshold)
    ev = evaluation
    public = mode == "public"
    name = ev.area.name
    nb, na = len(ev.before_months), len(ev.after_months)
    c = ev.counts
    zones = [z for z in ("area", "buffer", "control") if z in c.index]
    table = _counts(c.loc[zones], ["before", "after"], mode, threshold)
    pub = {
        z: {"before": table["before"][i], "after": table["after"][i]}
        for i, z in enumerate(zones)
    }
    labels = {
        "area": "Order area (R)",
        "buffer": f"Buffer, {ev.buffer_m:.0f} m (B)",
        "control": "Control (C)",
    }
    rows = []
    for z in zones:
        b, a = pub[z]["before"], pub[z]["after"]
        if public:
            change: Any = (
                a - b if isinstance(a, int) and isinstance(b, int) else _WITHHELD
            )
            pct = _ratio(change, b) if b != 0 else math.nan
            pmb, pma = _ratio(b, nb), _ratio(a, na)
            p = (
                _p(pspo.change_p(b, a, nb, na))
                if isinstance(a, int) and isinstance(b, int)
                else _WITHHELD
            )
        else:
            row: Any = c.loc[z]
            change, pct = int(row["change"]), row["change_pct"] / 100
            pmb, pma, p = row["per_month_before"], row["per_month_after"], _p(row["p"])
        sign = "+" if isinstance(change, int) and change > 0 else ""
        rows.append(
            [
                labels[z],
                _num(c.loc[z, "area_km2"], 2),
                _fmt(b),
                _fmt(a),
                sign + _fmt(change),
                _pct(pct),
                _num(pmb),
                _num(pma),
                p,
            ]
        )

    blocks: list[Block] = [_Para(NOT_LEGAL_ADVICE, "banner")]
    sentence = ev.sentence if not public else _public_verdict(ev, pub)
    blocks.append(_Para(f"Verdict: {ev.verdict}. {sentence}", "key"))
    blocks.append(
        _Fig(
            _evaluation_map(ev, wards), 4.0, "Map of the order area, buffer and control"
        )
    )
    blocks.append(_Heading("Incidents before and after the order"))
    blocks.append(
        _table(
            [
                "Zone",
                "Area (km²)",
                f"Before ({nb} mo)",
                f"After ({na} mo)",
                "Change",
                "Change %",
                "Per month before",
                "Per month after",
                "p",
            ],
            rows,
            [0.19, 0.09, 0.1, 0.1, 0.09, 0.09, 0.11, 0.11, 0.12],
            range(1, 9),
        )
    )
    blocks.append(
        _Para(
            f"Before: {_span(ev.before_months)}; after: {_span(ev.after_months)}; the "
            f"order started in {ev.start}. p: exact conditional binomial test of the "
            "change in counts, adjusted for the lengths of the periods."
            + (
                " Public version: counts rounded to the nearest 5; every change, "
                "rate and p-value recomputed from the rounded counts."
                if public
                else ""
            ),
            "small",
        )
    )
    blocks.extend(_relative_blocks(ev, pub, public))
    blocks.extend(_wdq_blocks(ev, pub, public))
    notes = list(ev.notes)
    if public:
        kept = [n for n in notes if not _has_figures(n)]
        if len(kept) < len(notes):
            kept.append(
                f"{len(notes) - len(kept)} further note(s) with exact figures are "
                "in the restricted version."
            )
        notes = kept
    if notes:
        blocks.append(_Heading("Notes"))
        blocks.append(_Bullets(tuple(notes)))
    blocks.append(_Break(keep=5.0))
    blocks.append(_Heading("Limitations"))
    blocks.append(
        _Bullets(
            (
                "A before/after comparison with a control cannot prove that the "
                "order caused a change: other initiatives, policing and reporting "
                "changes in the same period also act on the counts.",
                "Recorded incidents depend on reporting and recording; a change in "
                "counts can be a change in reporting.",
                "police.uk positions are snapped to anonymous map points and "
                "months only; incidents near the boundary may fall on the wrong side.",
                "Displacement can also move to other times, targets or offences, "
                "which a spatial buffer does not measure.",
            )
        )
    )
    blocks.extend(
        _method_blocks(
            ev.provenance,
            mode,
            threshold,
            [
                ("Order area", f"{name} ({ev.area.kind}); {ev.area.area_km2:.3f} km²"),
                ("Area source", ev.area.source),
                ("Order start", ev.start),
                ("Before months", _span(ev.before_months)),
                ("After months", _span(ev.after_months)),
                ("Buffer", f"ring of {ev.buffer_m:.0f} m around the area"),
                ("Control", ev.control_source),
                (
                    "Method",
                    "Bowers & Johnson (2003) weighted displacement quotient; "
                    "odds ratios after Farrington & Welsh (log OR variance 1/Xb + 1/Xa "
                    "+ 1/Cb + 1/Ca).",
                ),
            ],
        )
    )
    subtitle = (
        f"Order from {ev.start} · before {_span(ev.before_months)} · after "
        f"{_span(ev.after_months)} · buffer {ev.buffer_m:.0f} m · {mode} version"
    )
    return _Doc(f"PSPO evaluation: {name}", subtitle, mode, tuple(blocks))


def _has_figures(text: str) -> bool:
    """Whether `text` holds a number other than a month or a number of months."""
    rest = re.sub(r"\b\d{4}-\d{2}\b|\b\d+ months?\b", "", text)
    return bool(re.search(r"\d", rest))


def _published_cells(pub: Mapping[str, Mapping[str, Any]]) -> dict[str, int] | None:
    """Rb, Ra, Bb, Ba, Cb, Ca from the published table; None if one is withheld."""
    out: dict[str, int] = {}
    for zone, key in (("area", "R"), ("buffer", "B"), ("control", "C")):
        for col, sub in (("before", "b"), ("after", "a")):
            value = pub[zone][col] if zone in pub else _WITHHELD
            if not isinstance(value, int):
                return None
            out[key + sub] = value
    return out


def _public_verdict(ev: Evaluation, pub: Mapping[str, Mapping[str, Any]]) -> str:
    parts = [
        f"{z}: {_fmt(pub[z]['before'])} before, {_fmt(pub[z]['after'])} after"
        for z in pub
    ]
    return "Published counts (rounded to the nearest 5): " + "; ".join(parts) + "."


def _relative_blocks(
    ev: Evaluation, pub: Mapping[str, Mapping[str, Any]], public: bool
) -> list[Block]:
    rel = ev.relative
    cells = _published_cells(pub) if public else None
    rows = []
    for label in rel.index:
        if public:
            x = "R" if str(label).startswith("area") else "B"
            r: Mapping[str, Any] = (
                pspo.relative_effect(
                    cells[x + "b"], cells[x + "a"], cells["Cb"], cells["Ca"]
                )
                if cells
                else dict.fromkeys(
                    ("odds_ratio", "ci_low", "ci_high", "z", "p"), _WITHHELD
                )
            )
        else:
            r = rel.loc[label]
        ci = (
            _WITHHELD
            if isinstance(r["ci_low"], str)
            else f"{_num(r['ci_low'], 2)} to {_num(r['ci_high'], 2)}"
        )
        corrected = r.get("corrected", False)
        rows.append(
            [
                str(label),
                _num(r["odds_ratio"], 2),
                ci,
                _num(r["z"], 2),
                _p(r["p"]),
                "yes" if corrected is True else "no",
            ]
        )
    return [
        _Heading("Relative effects against the control (odds ratios)"),
        _table(
            ["Comparison", "Odds ratio", "95% CI", "z", "p", "0.5 added"],
            rows,
            [0.28, 0.13, 0.2, 0.12, 0.13, 0.14],
            [1, 2, 3, 4],
        ),
        _Para(
            "Odds ratio = (Xb·Ca)/(Xa·Cb): above 1, the zone fell relative to the "
            "control; below 1, it rose relative to the control. 95% confidence "
            "interval and two-sided p from the log odds ratio (variance 1/Xb + 1/Xa "
            "+ 1/Cb + 1/Ca); '0.5 added' when a count was 0."
            + (" Recomputed from the published (rounded) counts." if public else ""),
            "small",
        ),
    ]


def _wdq_blocks(
    ev: Evaluation, pub: Mapping[str, Mapping[str, Any]], public: bool
) -> list[Block]:
    if public:
        cells = _published_cells(pub)
        if cells:
            args = (
                cells["Rb"],
                cells["Ra"],
                cells["Bb"],
                cells["Ba"],
                cells["Cb"],
                cells["Ca"],
            )
            rb, ra, bb, ba, cb, ca = args
            success: float | str = ra / ca - rb / cb if ca and cb else math.nan
            buffer: float | str = ba / ca - bb / cb if ca and cb else math.nan
            wdq: float | str = pspo.wdq(*args)
            tne: float | str = pspo.total_net_effect(*args)
        else:
            success = buffer = wdq = tne = _WITHHELD
    else:
        success, buffer = ev.success_measure, ev.buffer_measure
        wdq, tne = ev.wdq, ev.total_net_effect
    rows = [
        [
            "Success measure",
            "Ra/Ca − Rb/Cb",
            _num(success, 4),
            "negative: the area improved relative to the control",
        ],
        [
            "Buffer measure",
            "Ba/Ca − Bb/Cb",
            _num(buffer, 4),
            "positive: the buffer worsened relative to the control",
        ],
        [
            "Weighted displacement quotient (WDQ)",
            "buffer measure ÷ success measure",
            _num(wdq, 2),
            "see the key below; n/a when the area did not improve",
        ],
        [
            "Total net effect",
            "(Rb·Ca/Cb − Ra) + (Bb·Ca/Cb − Ba)",
            _num(tne, 1),
            "incidents prevented net of displacement (positive = net reduction)",
        ],
    ]
    return [
        _Heading("Displacement: weighted displacement quotient and total net effect"),
        _Para(
            "R = order area, B = buffer, C = control; b = before, a = after "
            "(Bowers & Johnson 2003)."
            + (" Recomputed from the published (rounded) counts." if public else ""),
            "small",
        ),
        _table(
            ["Measure", "Formula", "Value", "Meaning"],
            rows,
            [0.24, 0.28, 0.1, 0.38],
            [2],
        ),
        _Heading("How to read the WDQ"),
        _Bullets(
            (
                "WDQ > 0: diffusion of benefit: the buffer improved too.",
                "WDQ < 0: displacement: incidents moved into the buffer.",
                "WDQ < −1: the displacement exceeds the benefit in the area.",
                "WDQ n/a: there was no improvement in the area relative to the "
                "control (success measure ≥ 0), so there is nothing to displace.",
            )
        ),
    ]


# --------------------------------------------------------- method, provenance


def _plain(value: Any) -> str:
    """A value of a provenance record in plain text."""
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        if not value:
            return "none"
        items = [str(v) for v in value]
        if len(items) > 6 and all(re.fullmatch(r"\d{4}-\d{2}", s) for s in items):
            return f"{items[0]} to {items[-1]} ({len(items)} months)"
        return ", ".join(items)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}"
    return str(value)


def _label(key: Any) -> str:
    text = str(key).replace("_", " ")
    return "CRS" if text.lower() == "crs" else text[:1].upper() + text[1:]


def _method_blocks(
    provenance: Mapping[str, Any],
    mode: str,
    threshold: int,
    first: Sequence[tuple[str, str]],
) -> list[Block]:
    """Method and provenance table (every entry of the record) and attribution.

    Public mode passes the record through `disclose_record` (its incident
    counts rounded). The record's ``area`` entry is left out: `first` shows it.
    """
    record = disclose_record(dict(provenance), mode=mode, threshold=threshold)
    record.setdefault("software", f"hotspots {__version__}")
    rows = [list(r) for r in first]
    nested = {"data": "Data", "filters": "Filter", "parameters": "Parameter"}
    for key, value in record.items():
        if key in ("area", "disclosure"):
            continue
        if key in nested and isinstance(value, Mapping):
            rows += [[f"{nested[key]}: {k}", _plain(v)] for k, v in value.items()]
        else:
            rows.append([_label(key), _plain(value)])
    rows.append(["Disclosure", _plain(record["disclosure"])])
    return [
        _Heading("Method and provenance"),
        _table(["Item", "Value"], rows, [0.26, 0.74]),
        _Heading("Open data attribution"),
        _Bullets(tuple(ATTRIBUTION_LINES)),
    ]


# ------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#222;margin:0}
.page{max-width:190mm;margin:6mm auto}
h1{font-size:19px;margin:0 0 2px}
.sub{color:#555;margin:0 0 8px}
h2{font-size:14px;margin:12px 0 4px;border-bottom:1px solid #ccc}
.banner{background:#fff4d6;border-left:5px solid #E69F00;padding:6px 10px;margin:6px 0;
font-weight:bold}
.key{background:#e8f1f8;border-left:5px solid #0072B2;padding:6px 10px;margin:6px 0}
.small{font-size:10.5px;color:#444}
table{border-collapse:collapse;width:100%;margin:2px 0 6px}
th{background:#eeeeee;text-align:left;vertical-align:bottom}
th,td{border-bottom:1px solid #ddd;padding:2px 5px;vertical-align:top}
td.n,th.n{text-align:right}
img{max-width:100%}
.break{break-before:page}
footer{font-size:9.5px;color:#555;border-top:1px solid #ccc;margin-top:10px}
@page{size:A4;margin:10mm}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _html_block(block: Block, width_in: float) -> str:
    if isinstance(block, _Heading):
        return f"<h2>{_e(block.text)}</h2>"
    if isinstance(block, _Para):
        return f"<p class='{block.kind}'>{_e(block.text)}</p>"
    if isinstance(block, _Bullets):
        return "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in block.items) + "</ul>"
    if isinstance(block, _Table):

        def cell(tag: str, j: int, text: str) -> str:
            cls = " class='n'" if j in block.right else ""
            return f"<{tag}{cls}>{_e(text)}</{tag}>"

        head = "".join(cell("th", j, h) for j, h in enumerate(block.header))
        body = "".join(
            "<tr>" + "".join(cell("td", j, t) for j, t in enumerate(r)) + "</tr>"
            for r in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, _Fig):
        fig = Figure(figsize=(width_in, block.height_in))
        FigureCanvasAgg(fig)
        block.draw(fig, (0.01, 0.01, 0.98, 0.98))
        return f"<img alt='{_e(block.alt)}' src='data:image/png;base64,{_png(fig)}'>"
    return "<div class='break'></div>"


def _html(doc: _Doc) -> str:
    body = "\n".join(_html_block(b, _TEXT_W) for b in doc.blocks)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(doc.title)}</title><style>{_CSS}</style></head>
<body><div class="page">
<h1>{_e(doc.title)}</h1>
<p class="sub">{_e(doc.subtitle)}</p>
{body}
<footer>{_e(doc.title)} · {_e(doc.mode)} version · {_e(NOT_LEGAL_ADVICE[:36])}</footer>
</div></body></html>
"""


# -------------------------------------------------------------------------- PDF

_PAGE_W, _PAGE_H = A4_INCHES
_MARGIN_X, _TOP, _BOTTOM = 0.6, 0.55, 0.65  # inches
_TEXT_W = _PAGE_W - 2 * _MARGIN_X
_CHAR_EM = 0.53  # average DejaVu Sans character width, in ems
_STYLES = {  # kind: (font size, colour, background, weight)
    "p": (8.0, "#222222", None, "normal"),
    "small": (6.8, "#444444", None, "normal"),
    "key": (8.0, "#111111", "#e8f1f8", "normal"),
    "banner": (7.6, "#111111", "#fff4d6", "bold"),
}


def _wrap(text: str, width_in: float, size: float, *, bold: bool = False) -> list[str]:
    em = _CHAR_EM * (1.12 if bold else 1.0)
    chars = max(8, int(width_in * 72 / (size * em)))
    lines: list[str] = []
    for para in str(text).split("\n"):
        lines += textwrap.wrap(para, chars, break_long_words=True) or [""]
    return lines


class _Pages:
    """Flows blocks down A4 pages; `y` is inches from the top of the page."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.figs: list[Figure] = []
        self.y = _TOP
        self._new()
        self.text(doc.title, 14.0, "#000000", weight="bold")
        self.text(doc.subtitle, 7.5, "#444444")

    def _new(self) -> None:
        fig = Figure(figsize=A4_INCHES)
        FigureCanvasAgg(fig)
        self.figs.append(fig)
        self.y = _TOP

    @property
    def left(self) -> float:
        return _PAGE_H - _BOTTOM - self.y

    def room(self, height: float) -> None:
        """Start a new page unless `height` inches are left on this one."""
        if height > self.left and self.y > _TOP + 0.01:
            self._new()

    def rect(self, x: float, top: float, w: float, h: float, **style: Any) -> None:
        """A rectangle in inches from the page's top left corner."""
        fig = self.figs[-1]
        fig.add_artist(
            Rectangle(
                (x / _PAGE_W, 1 - (top + h) / _PAGE_H),
                w / _PAGE_W,
                h / _PAGE_H,
                transform=fig.transFigure,
                **style,
            )
        )

    def lines(
        self, x: float, top: float, lines: Sequence[str], size: float, **style: Any
    ) -> None:
        """Each line on its own baseline, so every cell of a row lines up."""
        fig = self.figs[-1]
        for i, line in enumerate(lines):
            base = top + (i * 1.3 + 1.0) * size / 72
            fig.text(
                x / _PAGE_W,
                1 - base / _PAGE_H,
                line,
                fontsize=size,
                va="baseline",
                parse_math=False,
                **style,
            )

    def text(
        self,
        text: str,
        size: float,
        colour: str = "#222222",
        *,
        x: float = _MARGIN_X,
        width: float = _TEXT_W,
        weight: str = "normal",
        background: str | None = None,
    ) -> None:
        pad = 0.07 if background else 0.0
        lines = _wrap(text, width - 3 * pad, size, bold=weight == "bold")
        line_h = size * 1.3 / 72
        while lines:
            fit = int((self.left - 2 * pad) // line_h)
            if fit < min(2, len(lines)):
                self._new()
                continue
            chunk, lines = lines[:fit], lines[fit:]
            height = len(chunk) * line_h + 2 * pad
            if background:
                self.rect(
                    x,
                    self.y,
                    width,
                    height,
                    facecolor=background,
                    edgecolor="none",
                    zorder=0,
                )
            self.lines(
                x + 1.5 * pad,
                self.y + pad,
                chunk,
                size,
                color=colour,
                fontweight=weight,
            )
            self.y += height + 0.06
            if lines:
                self._new()

    def table(self, t: _Table) -> None:
        size = 6.6 if len(t.header) <= 6 else 6.0
        line_h = size * 1.3 / 72
        widths = [w * _TEXT_W for w in t.widths]

        def wrapped(row: Sequence[str], bold: bool = False) -> list[list[str]]:
            return [
                _wrap(c, w - 0.1, size, bold=bold)
                for c, w in zip(row, widths, strict=True)
            ]

        def draw_row(cells: list[list[str]], fill: str | None, weight: str) -> None:
            h = max(len(c) for c in cells) * line_h + 0.06
            if fill:
                self.rect(
                    _MARGIN_X,
                    self.y,
                    _TEXT_W,
                    h,
                    facecolor=fill,
                    edgecolor="none",
                    zorder=0,
                )
            x = _MARGIN_X
            for j, (lines, w) in enumerate(zip(cells, widths, strict=True)):
                right = j in t.right
                self.lines(
                    x + (w - 0.05 if right else 0.05),
                    self.y + 0.03,
                    lines,
                    size,
                    ha="right" if right else "left",
                    fontweight=weight,
                )
                x += w
            self.rect(
                _MARGIN_X,
                self.y + h,
                _TEXT_W,
                0.0,
                fill=False,
                edgecolor="#bbbbbb",
                lw=0.4,
            )
            self.y += h

        head = wrapped(t.header, bold=True)
        head_h = max(len(c) for c in head) * line_h + 0.06
        rows = [wrapped(r) for r in t.rows]
        first = max(len(c) for c in head) + max((len(c) for c in rows[0]), default=0)
        self.room((first + 1) * line_h + 0.2)
        draw_row(head, "#e6e6e6", "bold")
        full_page = _PAGE_H - _TOP - _BOTTOM - head_h
        for i, cells in enumerate(rows):
            fill = "#f4f4f4" if i % 2 else None
            while cells:
                n = max(len(c) for c in cells)
                fit = int((self.left - 0.06) // line_h)
                if n > fit and (n * line_h + 0.06 <= full_page or fit < 3):
                    # a row that fits on a page moves to the next one whole
                    self._new()
                    draw_row(head, "#e6e6e6", "bold")
                    continue
                # a row taller than a page is split between pages
                draw_row([c[:fit] for c in cells], fill, "normal")
                cells = [c[fit:] for c in cells] if n > fit else []
        self.y += 0.12

    def block(self, block: Block, after: Block | None) -> None:
        if isinstance(block, _Heading):
            # keep a heading with the start of what follows it
            follow = after.height_in if isinstance(after, _Fig) else 0.45
            self.room(0.4 + follow)
            self.y += 0.08
            self.text(block.text, 10.5, "#111111", weight="bold")
        elif isinstance(block, _Para):
            size, colour, background, weight = _STYLES.get(block.kind, _STYLES["p"])
            self.text(block.text, size, colour, weight=weight, background=background)
        elif isinstance(block, _Bullets):
            for item in block.items:
                self.room(0.3)
                self.lines(_MARGIN_X + 0.08, self.y, ["•"], 8.0)
                self.text(item, 8.0, x=_MARGIN_X + 0.25, width=_TEXT_W - 0.25)
        elif isinstance(block, _Table):
            self.table(block)
        elif isinstance(block, _Fig):
            self.room(block.height_in)
            rect = (
                _MARGIN_X / _PAGE_W,
                1 - (self.y + block.height_in) / _PAGE_H,
                _TEXT_W / _PAGE_W,
                block.height_in / _PAGE_H,
            )
            block.draw(self.figs[-1], rect)
            self.y += block.height_in + 0.1
        elif self.y > _TOP + 1.5 and not (block.keep and self.left >= block.keep):
            # a page holding only the end of the last section takes the next too
            self._new()

    def finish(self) -> list[Figure]:
        n = len(self.figs)
        for i, fig in enumerate(self.figs, start=1):
            fig.text(
                0.5,
                0.025,
                f"{self.doc.title} · {self.doc.mode} version · "
                f"evidence, not legal advice · page {i} of {n}",
                ha="center",
                fontsize=6.5,
                color="#666666",
                parse_math=False,
            )
        return self.figs


def _pdf(doc: _Doc) -> bytes:
    pages = _Pages(doc)
    for block, after in zip(doc.blocks, [*doc.blocks[1:], None], strict=True):
        pages.block(block, after)
    return _pdf_bytes(pages.finish())


# ------------------------------------------------------------------- public API


def profile_html(
    profile: AreaProfile,
    *,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    wards: gpd.GeoDataFrame | None = None,
) -> str:
    """A self-contained HTML area profile for a proposed PSPO.

    Shows, in order: "evidence, not legal advice"; the headline figures; a map
    of the area (ward boundaries, scale bar, north arrow; incident points in
    restricted mode); the area against its district and Kent & Medway
    (incidents, km², residents, incidents per km², per 1,000 residents over the
    months, shares, concentration); the s59 test point by point; the monthly
    trend; themes and categories; day × hour (when times are known); top
    locations; persistence; limitations; consultees (s72); method and
    provenance; open data attribution.

    Parameters
    ----------
    profile
        From `hotspots.pspo.profile_area`.
    mode
        ``"restricted"`` (exact counts, incident points; default) or
        ``"public"`` (disclosure control, see the module docstring).
    threshold
        Counts below it are withheld in public mode (default 10).
    wards
        Ward polygons (EPSG:27700) drawn on the map; ``None``: the bundled
        layer (skipped if missing).

    Returns
    -------
    str
        The HTML document: inline CSS, figures as base64 PNG ``data:`` URLs, no
        external resource, every text escaped.

    Raises
    ------
    HotspotsError
        Not an `AreaProfile`, unknown `mode` or a bad `threshold`.
    """
    return _html(_profile_doc(profile, mode, threshold, _load_wards(wards)))


def profile_pdf(
    profile: AreaProfile,
    *,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    wards: gpd.GeoDataFrame | None = None,
) -> bytes:
    """The area profile of `profile_html` on A4 portrait pages, as PDF bytes.

    Page 1: summary, map and comparison table; then the statutory test, trend,
    mix, day × hour, top locations and persistence; the last page: limitations,
    consultees, method and provenance. Long tables continue on the next page
    with their header repeated. Deterministic bytes (no creation date).
    Arguments as in `profile_html`.

    Returns
    -------
    bytes
        A PDF document.
    """
    return _pdf(_profile_doc(profile, mode, threshold, _load_wards(wards)))


def evaluation_html(
    evaluation: Evaluation,
    *,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    wards: gpd.GeoDataFrame | None = None,
) -> str:
    """A self-contained HTML before/after evaluation of an order.

    Shows: "evidence, not legal advice"; the verdict; maps of the order area
    with its buffer ring (zoomed) and of the control (overview, the zoomed
    extent outlined); counts before and after for area, buffer and control
    with change, % and p; odds ratios with 95% CI and p; the success and buffer
    measures, WDQ and total net effect with their formulas and a key to reading
    the WDQ; notes; limitations; method and provenance.

    Parameters
    ----------
    evaluation
        From `hotspots.pspo.evaluate_order`.
    mode, threshold, wards
        As in `profile_html`. Public mode recomputes every ratio from the
        published counts (withheld if one is) and drops p-values of exact counts.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    HotspotsError
        Not an `Evaluation`, unknown `mode` or a bad `threshold`.
    """
    return _html(_evaluation_doc(evaluation, mode, threshold, _load_wards(wards)))


def evaluation_pdf(
    evaluation: Evaluation,
    *,
    mode: str = "restricted",
    threshold: int = DEFAULT_THRESHOLD,
    wards: gpd.GeoDataFrame | None = None,
) -> bytes:
    """The evaluation of `evaluation_html` on A4 portrait pages, as PDF bytes.

    Arguments as in `evaluation_html`; deterministic bytes.

    Returns
    -------
    bytes
        A PDF document.
    """
    return _pdf(_evaluation_doc(evaluation, mode, threshold, _load_wards(wards)))


def write_report(
    obj: AreaProfile | Evaluation,
    path: str | Path,
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    wards: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write the report of `obj` to `path`, as HTML or PDF by its suffix.

    Parameters
    ----------
    obj
        An `AreaProfile` (area profile report) or an `Evaluation` (evaluation
        report).
    path
        Output file, ending ``.html``/``.htm`` or ``.pdf`` (the folder must
        exist; the file is overwritten).
    mode
        ``"public"`` or ``"restricted"``: required, so the choice is explicit.
    threshold, wards
        As in `profile_html`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    HotspotsError
        Another suffix, another type of `obj`, unknown `mode` or bad `threshold`.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise HotspotsError(
            f"Cannot write a PSPO report to {out.name!r}: the file must end in "
            "'.html' or '.pdf'."
        )
    kw: dict[str, Any] = {"mode": mode, "threshold": threshold, "wards": wards}
    if isinstance(obj, AreaProfile):
        if suffix == ".pdf":
            out.write_bytes(profile_pdf(obj, **kw))
        else:
            out.write_text(profile_html(obj, **kw), encoding="utf-8")
    elif isinstance(obj, Evaluation):
        if suffix == ".pdf":
            out.write_bytes(evaluation_pdf(obj, **kw))
        else:
            out.write_text(evaluation_html(obj, **kw), encoding="utf-8")
    else:
        raise HotspotsError(
            "write_report takes an AreaProfile (hotspots.pspo.profile_area) or an "
            f"Evaluation (hotspots.pspo.evaluate_order), got {type(obj).__name__}."
        )
    return out


__all__ = [
    "NOT_LEGAL_ADVICE",
    "evaluation_html",
    "evaluation_pdf",
    "profile_html",
    "profile_pdf",
    "write_report",
]
