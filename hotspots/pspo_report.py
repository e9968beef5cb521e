"""HTML and PDF reports of PSPO evidence: an area profile and an order's evaluation.

Both reports are built once as a `hotspots.document.Doc` of plain blocks
(headings, paragraphs, tables, figures) from a `hotspots.pspo.AreaProfile` or a
`hotspots.pspo.Evaluation`, with disclosure control already applied, and
rendered by `hotspots.document` as self-contained HTML or A4 portrait PDF.

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

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from hotspots import pspo
from hotspots._validate import HotspotsError
from hotspots.briefing import (
    _disclose_one,
    _draw_wards,
    _fmt,
    _frame_map,
    _load_wards,
)
from hotspots.disclosure import (
    DEFAULT_THRESHOLD,
    SHOWN_PRIMARY,
    apply_disclosure,
    check_mode,
)
from hotspots.document import (
    Block,
    Break,
    Bullets,
    Doc,
    Drawer,
    Fig,
    Heading,
    Para,
    Rect,
    Table,
    fit_box,
    inner,
    legend,
    method_blocks,
    patch,
    plain,
    render_html,
    render_pdf,
    table,
)
from hotspots.pspo import AreaProfile, Evaluation, positions_note

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
#: On every page of a report (PDF) and at its foot (HTML).
FOOTER = "evidence, not legal advice"

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


def _area_style() -> dict[str, Any]:
    return {"facecolor": AREA_COLOUR, "edgecolor": AREA_COLOUR, "alpha": 0.3, "lw": 1.5}


def _profile_map(
    profile: AreaProfile, points: np.ndarray, wards: gpd.GeoDataFrame | None
) -> Drawer:
    def draw(fig: Figure, rect: Rect) -> None:
        ax = fig.add_axes(inner(rect, 0.0, 0.0, 1.0, 0.93))
        geom = profile.area.geometry
        box = fit_box(geom.bounds, ax)
        _draw_wards(ax, wards, box)
        ax.add_patch(patch(geom, **_area_style()))
        ax.add_patch(patch(geom, facecolor="none", edgecolor=AREA_COLOUR, lw=1.5))
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
        legend(ax, handles)
        note = (
            f"{profile.area.name}: {profile.area.area_km2:.2f} km². Dashed: ward "
            "boundaries. British National Grid."
        )
        note += (
            " "
            + positions_note(
                list(profile.provenance.get("data", {}).get("sources", {})),
                "a point is near, not at, where an incident happened.",
            )
            if len(points)
            else " No incident points in the public version."
        )
        ax.set_title("\n".join(textwrap.wrap(note, 120)), fontsize=7, parse_math=False)

    return draw


def _evaluation_map(evaluation: Evaluation, wards: gpd.GeoDataFrame | None) -> Drawer:
    def layers(ax: Axes, lw: float) -> None:
        ax.add_patch(
            patch(
                evaluation.control,
                facecolor=CONTROL_COLOUR,
                edgecolor=CONTROL_COLOUR,
                alpha=0.25,
                lw=lw,
            )
        )
        ax.add_patch(
            patch(
                evaluation.buffer,
                facecolor=BUFFER_COLOUR,
                alpha=0.45,
                edgecolor=BUFFER_COLOUR,
                hatch="///",
                lw=lw,
            )
        )
        ax.add_patch(patch(evaluation.area.geometry, **_area_style()))
        ax.add_patch(
            patch(
                evaluation.area.geometry, facecolor="none", edgecolor=AREA_COLOUR, lw=lw
            )
        )

    def draw(fig: Figure, rect: Rect) -> None:
        zoom = fig.add_axes(inner(rect, 0.0, 0.0, 0.56, 0.9))
        whole = shapely.union(evaluation.area.geometry, evaluation.buffer)
        zbox = fit_box(whole.bounds, zoom, pad=0.08)
        _draw_wards(zoom, wards, zbox)
        layers(zoom, 1.5)
        _frame_map(zoom, zbox)
        legend(
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
        over = fig.add_axes(inner(rect, 0.6, 0.0, 0.4, 0.9))
        everything = shapely.union(whole, evaluation.control)
        obox = fit_box(everything.bounds, over, pad=0.04)
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
        ax = fig.add_axes(inner(rect, 0.07, 0.3, 0.4, 0.6))
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
        ax2 = fig.add_axes(inner(rect, 0.58, 0.3, 0.4, 0.6))
        for values, colour, label in (
            (area_rate, AREA_COLOUR, "area"),
            (district_rate, DISTRICT_COLOUR, district_name),
        ):
            y = [float(v) if isinstance(v, int | float) else np.nan for v in values]
            ax2.plot(pos, y, marker="o", ms=3, color=colour, label=label)
        ax2.set_ylim(bottom=0)
        ax2.set_title("Incidents per 1,000 residents per month", fontsize=8)
        ax2.set_ylabel("per 1,000 residents", fontsize=7)
        legend(ax2, ax2.get_legend_handles_labels()[0], loc="best")
        for a in (ax, ax2):
            a.set_xticks(pos)
            a.set_xticklabels(months, rotation=90, fontsize=6)
            a.tick_params(axis="y", labelsize=6)

    return draw


def _heat_map(cells: pd.DataFrame, threshold: int, mode: str) -> Drawer:
    def draw(fig: Figure, rect: Rect) -> None:
        ax = fig.add_axes(inner(rect, 0.1, 0.2, 0.78, 0.68))
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
        bar = fig.colorbar(im, cax=fig.add_axes(inner(rect, 0.9, 0.2, 0.02, 0.68)))
        bar.set_label("incidents", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        title = "Incidents by day of the week and hour"
        if mode == "public":
            title += f" (grey: withheld, fewer than {threshold} or to protect one)"
        ax.set_title(title, fontsize=8)

    return draw


# ------------------------------------------------------------ area profile view


def _profile_figures(
    profile: AreaProfile, mode: str, threshold: int
) -> tuple[dict[str, int | str], dict[str, dict[str, Any]]]:
    """The counts and rates of the area, district and county as published.

    Public mode: counts by `_disclose_one`, and the rates, shares and
    concentration recomputed from them (exact ones would give the counts back).
    """
    public = mode == "public"
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
            # the area's incidents in the district (an area across a boundary
            # holds some outside it), as published, over the district's
            ours = _disclose_one(int(col(lvl, "in_district")), mode, threshold)
            r["share_inc"] = _ratio(ours, shown["district"])
        if not public:
            r.update(per_km2=col(lvl, "per_km2"), per_1000=col(lvl, "per_1000"))
            r["share_inc"] = col(lvl, "share_of_district_incidents")
        r["concentration"] = (
            _ratio(r["share_inc"], r["share_land"])
            if public
            else col(lvl, "concentration")
        )
        rates[lvl] = r
    return shown, rates


def _profile_doc(
    profile: AreaProfile, mode: str, threshold: int, wards: gpd.GeoDataFrame | None
) -> Doc:
    if not isinstance(profile, AreaProfile):
        raise HotspotsError(
            f"Expected an AreaProfile from hotspots.pspo.profile_area, got "
            f"{type(profile).__name__}."
        )
    check_mode(mode, threshold)
    public = mode == "public"
    months = list(profile.months)
    n_months = len(months)
    shown, rates = _profile_figures(profile, mode, threshold)
    area_r = rates.get("area", {})
    name = profile.area.name
    district = f"{profile.district_name} ({profile.district_code})"
    names = {"area": name, "district": profile.district_name, "county": "Kent & Medway"}

    blocks: list[Block] = [Para(NOT_LEGAL_ADVICE, "banner")]
    blocks.append(
        Para(
            f"{_fmt(shown.get('area', 0))} incidents were recorded in the area over "
            f"{_span(months)}: {_num(area_r.get('per_km2'))} "
            f"per km² and {_num(area_r.get('per_1000'), 2)} per 1,000 residents over "
            f"the months. "
            + (
                f"The area's share of {profile.district_name}'s incidents, and so "
                f"its concentration, are withheld (fewer than {threshold} of its "
                f"incidents are in {profile.district_name}); it covers "
                f"{_pct(area_r.get('share_land'))} of the district's land."
                if area_r.get("share_inc") == _WITHHELD
                else f"The area has {_pct(area_r.get('share_inc'))} of "
                f"{profile.district_name}'s incidents on "
                f"{_pct(area_r.get('share_land'))} of its land: a concentration of "
                f"{_num(area_r.get('concentration'), 2)} (1 = its fair share by land)."
            )
            + (" Counts rounded to the nearest 5." if public else ""),
            "key",
        )
    )
    points = (
        np.empty((0, 2))
        if public or profile.points is None
        else np.asarray(profile.points, dtype=float).reshape(-1, 2)
    )
    blocks.append(Fig(_profile_map(profile, points, wards), 3.5, "Map of the area"))
    blocks.append(Heading("How the area compares"))
    blocks.append(
        table(
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
        Para(
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
    blocks.append(Break())
    blocks.append(Heading("The statutory test (s59), point by point"))
    blocks.append(
        Para(
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
        table(
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
    blocks.append(Heading("Most frequent locations (not safeguarding)"))
    blocks.append(
        table(
            ["Location as recorded", "Incidents"],
            [[t, _fmt(c)] for t, c in top] or [["None", ""]],
            [0.8, 0.2],
            [1],
        )
    )
    blocks.extend(_persistence_blocks(profile, mode, threshold))

    # ---- appendix
    blocks.append(Break(keep=5.0))
    blocks.append(Heading("Limitations: what this data can and cannot show"))
    blocks.append(Bullets(tuple(profile.limitations) or ("None recorded.",)))
    blocks.append(Heading("Consultation and notification (s72)"))
    blocks.append(Bullets(tuple(profile.consultees) or ("None recorded.",)))
    blocks.extend(
        method_blocks(
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
                ("Filters", plain(profile.filters)),
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
    return Doc(f"PSPO area profile: {name}", subtitle, mode, tuple(blocks), FOOTER)


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
    out: list[Block] = [Heading("Incidents over time")]
    out.append(
        Fig(
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
    out.append(Para(sentence))
    return out


def _mix_table(
    frame: pd.DataFrame,
    first: str,
    totals: Mapping[str, int | str],
    mode: str,
    threshold: int,
) -> Table:
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
    return table(
        header,
        rows,
        [w] + [(1 - w) / (2 * len(levels))] * (2 * len(levels)),
        right=range(1, 1 + 2 * len(levels)),
    )


def _mix_blocks(
    profile: AreaProfile, totals: Mapping[str, int | str], mode: str, threshold: int
) -> list[Block]:
    out: list[Block] = [
        Heading("Incidents by theme: area, district and county"),
        _mix_table(profile.themes, "Theme", totals, mode, threshold),
        Heading("Incidents by category (the 12 most frequent in the area)"),
        _mix_table(profile.categories, "Category", totals, mode, threshold),
    ]
    if mode == "public":
        out.append(
            Para(
                f"Counts under {threshold} are shown as 'fewer than {threshold}', "
                "others rounded to the nearest 5; 'withheld' protects a small count "
                "from being worked out from the totals. Shares are of the published "
                "(rounded) totals.",
                "small",
            )
        )
    return out


def _day_hour_blocks(profile: AreaProfile, mode: str, threshold: int) -> list[Block]:
    out: list[Block] = [Heading("Day of the week and hour")]
    dh = profile.day_hour
    if dh is None or not profile.day_hour_n:
        out.append(
            Para(
                "No incident in the area has a time of day (police.uk records give "
                "the month only), so no day × hour pattern can be shown."
            )
        )
        return out
    flat = pd.DataFrame({"n": dh.to_numpy().ravel()})
    shown = np.array(_counts(flat, ["n"], mode, threshold)["n"], dtype=object)
    cells = pd.DataFrame(shown.reshape(dh.shape), index=dh.index, columns=dh.columns)
    out.append(Fig(_heat_map(cells, threshold, mode), 2.6, "Incidents by day and hour"))
    n = _fmt(_disclose_one(profile.day_hour_n, mode, threshold))
    out.append(Para(f"From the {n} incidents in the area with a time of day.", "small"))
    return out


def _persistence_blocks(profile: AreaProfile, mode: str, threshold: int) -> list[Block]:
    p = profile.persistence
    hot = list(p.get("months_hot") or [])
    out: list[Block] = [
        Heading("Persistence"),
        Para(
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
            out.append(table(["Month", "Incidents", "Hot"], rows, [0.4, 0.3, 0.3], [1]))
            out.append(
                Para(
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
                table(
                    ["Month", "Incidents", "Expected", "p", "Hot"],
                    rows,
                    [0.24, 0.19, 0.19, 0.19, 0.19],
                    [1, 2, 3],
                )
            )
    return out


# -------------------------------------------------------------- evaluation view


def _evaluation_counts(
    ev: Evaluation, mode: str, threshold: int
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The zones (area, buffer, control) and their before/after counts as published."""
    c = ev.counts
    zones = [z for z in ("area", "buffer", "control") if z in c.index]
    shown = _counts(c.loc[zones], ["before", "after"], mode, threshold)
    pub = {
        z: {"before": shown["before"][i], "after": shown["after"][i]}
        for i, z in enumerate(zones)
    }
    return zones, pub


def _zone_p(
    ev: Evaluation, zone: str, pub: Mapping[str, Mapping[str, Any]], public: bool
) -> float | str:
    """A zone's p-value of change as published.

    Public mode: from the published counts (withheld when one is); restricted:
    the evaluation's own.
    """
    if not public:
        p: Any = ev.counts.loc[zone, "p"]
        return float(p)
    b, a = pub[zone]["before"], pub[zone]["after"]
    if not (isinstance(a, int) and isinstance(b, int)):
        return _WITHHELD
    return float(pspo.change_p(b, a, len(ev.before_months), len(ev.after_months)))


def _evaluation_doc(
    evaluation: Evaluation, mode: str, threshold: int, wards: gpd.GeoDataFrame | None
) -> Doc:
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
    zones, pub = _evaluation_counts(ev, mode, threshold)
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
        else:
            row: Any = c.loc[z]
            change, pct = int(row["change"]), row["change_pct"] / 100
            pmb, pma = row["per_month_before"], row["per_month_after"]
        p = _zone_p(ev, z, pub, public)
        p = p if isinstance(p, str) else _p(p)
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

    blocks: list[Block] = [Para(NOT_LEGAL_ADVICE, "banner")]
    sentence = ev.sentence if not public else _public_verdict(ev, pub)
    blocks.append(Para(f"Verdict: {ev.verdict}. {sentence}", "key"))
    blocks.append(
        Fig(
            _evaluation_map(ev, wards), 4.0, "Map of the order area, buffer and control"
        )
    )
    blocks.append(Heading("Incidents before and after the order"))
    blocks.append(
        table(
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
        Para(
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
        blocks.append(Heading("Notes"))
        blocks.append(Bullets(tuple(notes)))
    blocks.append(Break(keep=5.0))
    blocks.append(Heading("Limitations"))
    blocks.append(
        Bullets(
            (
                "A before/after comparison with a control cannot prove that the "
                "order caused a change: other initiatives, policing and reporting "
                "changes in the same period also act on the counts.",
                "Recorded incidents depend on reporting and recording; a change in "
                "counts can be a change in reporting.",
                positions_note(
                    list(ev.provenance.get("data", {}).get("sources", {})),
                    "incidents near the boundary may fall on the wrong side.",
                ),
                "Displacement can also move to other times, targets or offences, "
                "which a spatial buffer does not measure.",
            )
        )
    )
    blocks.extend(
        method_blocks(
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
    return Doc(f"PSPO evaluation: {name}", subtitle, mode, tuple(blocks), FOOTER)


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
        Heading("Relative effects against the control (odds ratios)"),
        table(
            ["Comparison", "Odds ratio", "95% CI", "z", "p", "0.5 added"],
            rows,
            [0.28, 0.13, 0.2, 0.12, 0.13, 0.14],
            [1, 2, 3, 4],
        ),
        Para(
            "Odds ratio = (Xb·Ca)/(Xa·Cb): above 1, the zone fell relative to the "
            "control; below 1, it rose relative to the control. 95% confidence "
            "interval and two-sided p from the log odds ratio (variance 1/Xb + 1/Xa "
            "+ 1/Cb + 1/Ca); '0.5 added' when a count was 0."
            + (" Recomputed from the published (rounded) counts." if public else ""),
            "small",
        ),
    ]


def _measures(
    ev: Evaluation, pub: Mapping[str, Mapping[str, Any]], public: bool
) -> tuple[float | str, float | str, float | str, float | str]:
    """Success and buffer measures, WDQ and total net effect, as published.

    Public mode recomputes them from the published (rounded) counts, or
    withholds them when a count is withheld.
    """
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
    return success, buffer, wdq, tne


def _wdq_blocks(
    ev: Evaluation, pub: Mapping[str, Mapping[str, Any]], public: bool
) -> list[Block]:
    success, buffer, wdq, tne = _measures(ev, pub, public)
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
        Heading("Displacement: weighted displacement quotient and total net effect"),
        Para(
            "R = order area, B = buffer, C = control; b = before, a = after "
            "(Bowers & Johnson 2003)."
            + (" Recomputed from the published (rounded) counts." if public else ""),
            "small",
        ),
        table(
            ["Measure", "Formula", "Value", "Meaning"],
            rows,
            [0.24, 0.28, 0.1, 0.38],
            [2],
        ),
        Heading("How to read the WDQ"),
        Bullets(
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
    return render_html(_profile_doc(profile, mode, threshold, _load_wards(wards)))


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
    return render_pdf(_profile_doc(profile, mode, threshold, _load_wards(wards)))


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
    return render_html(_evaluation_doc(evaluation, mode, threshold, _load_wards(wards)))


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
    return render_pdf(_evaluation_doc(evaluation, mode, threshold, _load_wards(wards)))


def published_figures(
    obj: AreaProfile | Evaluation, *, mode: str, threshold: int = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """The headline figures of the report of `obj`, as the report shows them.

    For a summary beside the report (the command line's): in public mode the
    counts are rounded or withheld (``"fewer than 10"``, ``"withheld"``) and every
    rate, p-value and measure is recomputed from them, as in the report; in
    restricted mode they are exact. A profile gives ``incidents``, ``per_km2``
    and ``per_1000`` (by area, district and county) and ``concentration``; an
    evaluation ``counts`` (by zone: ``before``, ``after``, ``p``), ``wdq``,
    ``total_net_effect`` and ``sentence``. Figures that cannot be given are None.
    """
    check_mode(mode, threshold)
    public = mode == "public"

    def number(value: Any) -> Any:
        if isinstance(value, str):
            return value
        if value is None or pd.isna(value):
            return None
        return value if isinstance(value, int) else round(float(value), 6)

    if isinstance(obj, AreaProfile):
        shown, rates = _profile_figures(obj, mode, threshold)
        return {
            "incidents": {k: number(v) for k, v in shown.items()},
            "per_km2": {k: number(r["per_km2"]) for k, r in rates.items()},
            "per_1000": {k: number(r["per_1000"]) for k, r in rates.items()},
            "concentration": number(rates.get("area", {}).get("concentration")),
        }
    if not isinstance(obj, Evaluation):
        raise HotspotsError(
            "published_figures takes an AreaProfile (hotspots.pspo.profile_area) or "
            f"an Evaluation (hotspots.pspo.evaluate_order), got {type(obj).__name__}."
        )
    zones, pub = _evaluation_counts(obj, mode, threshold)
    counts: dict[str, dict[str, Any]] = {}
    for z in zones:
        b, a = pub[z]["before"], pub[z]["after"]
        p = _zone_p(obj, z, pub, public)
        counts[z] = {"before": number(b), "after": number(a), "p": number(p)}
    _, _, wdq, tne = _measures(obj, pub, public)
    return {
        "counts": counts,
        "wdq": number(wdq),
        "total_net_effect": number(tne),
        "sentence": _public_verdict(obj, pub) if public else obj.sentence,
    }


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
    out.parent.mkdir(parents=True, exist_ok=True)  # as every other command's --out
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
