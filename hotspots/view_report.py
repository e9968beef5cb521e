"""A summary report of one hotspot analysis, for partnership meetings (PDF or HTML).

What the dashboard shows for a view (a selection and a method), on paper: the
headline figures, a map, the ranked hotspots, the wards with the highest rates,
the districts, how to read them, and the method and provenance. Made from the
layers of an export **after** disclosure control (`hotspots.export.export_layers`),
so a public report holds exactly what a public GIS file of the same view holds,
and nothing finer:

- ``mode="public"``: hotspots of fewer than `threshold` (default 10) incidents
  are left out and counts are rounded to 5; ward and district counts under the
  threshold show as "fewer than 10"; the provenance's counts are rounded
  (`hotspots.disclosure.disclose_record`); no total over the hotspots is printed
  (it could be differenced against the published tables); the sparse-data note
  (which counts hotspots of one or two incidents) is left out; the map shows
  the density only where at least `threshold` incidents lie within the
  bandwidth (`hotspots.disclosure.disclose_surface`).
- ``mode="restricted"``: the exact figures, for partners with a data-sharing
  agreement. Neither version draws incident points.

Rendering is `hotspots.document` (`render_pdf`: A4 portrait pages; `render_html`:
one self-contained page). The map is drawn in EPSG:27700 with matplotlib: district and ward
boundaries, the KDE surface (viridis, incidents per km²) or the Gi* cells
(ColorBrewer RdBu by confidence), hotspot outlines numbered by rank, a scale
bar and a north arrow.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import PatchCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hotspots._validate import plural
from hotspots.boundaries import load_boundary
from hotspots.briefing import _frame_map
from hotspots.detect import (
    METHOD_LABELS,
    METHOD_MEANINGS,
    explanations,
    sparse_warning,
)
from hotspots.disclosure import (
    DEFAULT_THRESHOLD,
    SURFACE_ROUNDING,
    check_mode,
    disclose_record,
)
from hotspots.document import (
    Block,
    Bullets,
    Doc,
    Fig,
    Heading,
    Para,
    Rect,
    fit_box,
    inner,
    legend,
    method_blocks,
    patch,
    render_html,
    render_pdf,
    table,
)
from hotspots.export import gistar_shown, surface_values
from hotspots.mapping import GISTAR_COLOURS, GISTAR_LABELS, HOTSPOT_OUTLINE
from hotspots.profile import MIN_TREND_INCIDENTS, TREND_ALPHA

if TYPE_CHECKING:
    from hotspots.detect import Detection

#: Hotspots listed in the ranked table (the GIS files hold every one).
TOP_HOTSPOTS = 15
#: Hotspots numbered on the map.
NUMBERED = 10
#: Wards listed by rate.
TOP_WARDS = 10
#: Ward boundaries are drawn on maps narrower than this (metres): a few districts.
WARDS_BELOW_M = 45_000.0
#: What a missing figure shows as.
MISSING = "–"
#: On every page (PDF) and at the foot (HTML).
FOOTER = "hotspot summary; method and provenance at the end"
_TRENDS = ("rising", "stable", "falling", "too few to tell", "n/a")


# ------------------------------------------------------------------- formatting


def _count(value: Any) -> str:
    """A count as published: a number with separators, or the withheld text."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return MISSING
    return f"{round(float(value)):,}"


def _fixed(value: Any, places: int = 1) -> str:
    if value is None or isinstance(value, str) or pd.isna(value):
        return MISSING if not isinstance(value, str) else value
    return f"{float(value):,.{places}f}"


def _text(value: Any, missing: str = MISSING) -> str:
    """A text cell: `missing` for a blank (None, NA, NaN or "")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or not value:
        return missing
    return str(value)


def _yes_no(value: Any) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return "yes" if bool(value) else "no"


def _few(names: Any, most: int) -> str:
    """A comma-separated list of names cut to its first `most` ("and 5 more")."""
    if names is None or (not isinstance(names, str) and pd.isna(names)) or not names:
        return MISSING
    parts = [p.strip() for p in str(names).split(",") if p.strip()]
    if len(parts) <= most:
        return ", ".join(parts)
    return f"{', '.join(parts[:most])} and {len(parts) - most} more"


# ----------------------------------------------------------------------- inputs


def _names(codes: Any, frame: gpd.GeoDataFrame, code: str, name: str) -> list[str]:
    lookup = dict(zip(frame[code].astype(str), frame[name].astype(str), strict=True))
    return [lookup.get(str(c), str(c)) for c in codes or []]


def _what(filters: Mapping[str, Any]) -> str:
    """The selection's themes, categories and sources in words."""
    parts = []
    for key in ("themes", "categories"):
        if filters.get(key):
            parts.append(", ".join(str(v) for v in filters[key]))
    text = "; ".join(parts) or "all incidents"
    if filters.get("sources"):
        text += f" ({', '.join(str(s) for s in filters['sources'])})"
    return text


def _where(filters: Mapping[str, Any]) -> str:
    """The selection's districts and wards in words ("Kent & Medway" for none)."""
    districts = load_boundary("districts")
    chosen = _names(filters.get("districts"), districts, "lad_code", "lad_name")
    where = ", ".join(chosen) if chosen else "Kent & Medway"
    wards = filters.get("wards") or []
    if wards:
        names = _names(wards, load_boundary("wards"), "ward_code", "ward_name")
        where = (
            ", ".join(names) if len(names) <= 3 else f"{len(names)} wards"
        ) + f" ({where})"
    return where


def _extent(filters: Mapping[str, Any]) -> gpd.GeoSeries:
    """The outline of the area analysed: the chosen wards, districts or county."""
    if filters.get("wards"):
        wards = load_boundary("wards")
        return wards.geometry[wards["ward_code"].isin(filters["wards"])]
    districts = load_boundary("districts")
    if filters.get("districts"):
        return districts.geometry[districts["lad_code"].isin(filters["districts"])]
    return districts.geometry


# -------------------------------------------------------------------------- map


def _surface(ax: Any, detection: Detection, surface: Any) -> Any:
    """The KDE surface or the Gi* cells as an image on `ax`; the image, or None.

    `surface`: the KDE densities to show (NaN: hidden).
    """
    result = detection.result
    grid = getattr(result, "grid", None)
    if grid is None:
        return None
    extent = (
        grid.x0,
        grid.x0 + grid.nx * grid.cell_size,
        grid.y0,
        grid.y0 + grid.ny * grid.cell_size,
    )
    if detection.method == "kde":
        if surface is None:
            return None
        with np.errstate(invalid="ignore"):
            values = np.where(surface > 0, surface, np.nan)
        return ax.imshow(
            values, origin="lower", extent=extent, cmap="viridis",
            interpolation="nearest", alpha=0.85, zorder=1,
        )  # fmt: skip
    if detection.method == "gistar":
        bins = (-3, -2, -1, 1, 2, 3)
        # `surface`: the cells that may be shown (public: windows of 10 or more)
        values = np.where(surface & (result.gi_bin != 0), result.gi_bin, np.nan)
        cmap = ListedColormap([GISTAR_COLOURS[b] for b in bins])
        norm = BoundaryNorm([-3.5, -2.5, -1.5, 0, 1.5, 2.5, 3.5], cmap.N)
        return ax.imshow(
            values.astype(float), origin="lower", extent=extent, cmap=cmap,
            norm=norm, interpolation="nearest", zorder=1,
        )  # fmt: skip
    return None


def _shapes(
    ax: Any,
    geoms: Any,
    *,
    face: Any = "none",
    edge: str,
    lw: float,
    zorder: float,
) -> None:
    """Polygons drawn as one collection.

    One artist: a county's hotspots added one by one took 2 s of matplotlib's
    bookkeeping.
    """
    patches = [patch(g) for g in geoms if g is not None and not g.is_empty]
    ax.add_collection(
        PatchCollection(
            patches, facecolors=face, edgecolors=edge, linewidths=lw, zorder=zorder
        ),
        autolim=False,
    )


def _map(
    detection: Detection,
    hot: gpd.GeoDataFrame,
    filters: Mapping[str, Any],
    surface: Any,
    note: str = "",
) -> Any:
    def draw(fig: Figure, rect: Rect) -> None:
        kde = detection.method == "kde"
        ax = fig.add_axes(inner(rect, 0.0, 0.0, 0.88 if kde else 1.0, 0.93))
        area = _extent(filters)
        box = fit_box(area.total_bounds, ax, pad=0.03, min_span=2000.0)
        x0, y0, x1, y1 = box
        image = _surface(ax, detection, surface)
        handles: list[Any] = []
        districts = load_boundary("districts").cx[x0:x1, y0:y1]
        if x1 - x0 < WARDS_BELOW_M:
            wards = load_boundary("wards").cx[x0:x1, y0:y1]
            _shapes(ax, wards.geometry, edge="#aaaaaa", lw=0.35, zorder=2)
            handles.append(Line2D([], [], color="#aaaaaa", lw=0.6, label="ward"))
        _shapes(ax, districts.geometry, edge="#444444", lw=0.9, zorder=3)
        handles.append(Line2D([], [], color="#444444", lw=0.9, label="district"))
        for name, geom in zip(districts["lad_name"], districts.geometry, strict=True):
            spot = shapely.intersection(geom, shapely.box(*box))
            if not spot.is_empty and spot.area > 0.02 * (x1 - x0) * (y1 - y0):
                p = spot.representative_point()
                ax.text(p.x, p.y, str(name), fontsize=6, color="#555555",
                        ha="center", va="center", zorder=4, parse_math=False)  # fmt: skip
        cluster = detection.method in ("dbscan", "hdbscan")
        face = to_rgba(HOTSPOT_OUTLINE, 0.35) if cluster else "none"
        _shapes(ax, hot.geometry, face=face, edge=HOTSPOT_OUTLINE, lw=1.0, zorder=5)
        ranked = hot.sort_values("hotspot_id").head(NUMBERED)
        for rank, geom in zip(ranked["hotspot_id"], ranked.geometry, strict=True):
            p = geom.representative_point()
            ax.annotate(
                str(int(rank)), (p.x, p.y), xytext=(4, 4), textcoords="offset points",
                fontsize=6.5, fontweight="bold", zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                      "edgecolor": HOTSPOT_OUTLINE, "lw": 0.6},
            )  # fmt: skip
        handles.insert(
            0,
            Patch(
                facecolor=HOTSPOT_OUTLINE if cluster else "none",
                alpha=0.6 if cluster else 1.0,
                edgecolor=HOTSPOT_OUTLINE,
                label=f"hotspot (top {NUMBERED} numbered by rank)",
            ),
        )
        if detection.method == "gistar":
            present = set(np.unique(detection.result.gi_bin[surface]))
            handles += [
                Patch(facecolor=GISTAR_COLOURS[b], label=GISTAR_LABELS[b])
                for b in (3, 2, 1, -1, -2, -3)
                if b in present
            ]
        _frame_map(ax, box)
        legend(ax, handles, loc="lower right")
        if kde and image is not None:
            cax = fig.add_axes(inner(rect, 0.9, 0.12, 0.02, 0.7))
            bar = fig.colorbar(image, cax=cax)
            weight = detection.parameters.get("weight")
            bar.set_label(
                "incidents per km²" if not weight else "harm per km²", fontsize=7
            )
            bar.ax.tick_params(labelsize=6)
        ax.set_title(
            f"{METHOD_LABELS[detection.method]}. British National Grid; no incident "
            "points are drawn." + (f"\n{note.strip()}" if note else ""),
            fontsize=7,
            loc="left",
            parse_math=False,
        )

    return draw


# ----------------------------------------------------------------------- blocks


def _headline(
    detection: Detection,
    hot: gpd.GeoDataFrame,
    record: Mapping[str, Any],
    mode: str,
    threshold: int,
) -> str:
    data = record.get("data", {})
    params = detection.parameters
    study = params.get("study_area_km2") or detection.study_area_km2
    area = float(hot["area_km2"].sum()) if len(hot) else 0.0
    of_area = f", {area / study:.1%} of the {study:,.0f} km² analysed" if study else ""
    text = (
        f"{_count(data.get('incidents'))} incidents selected, "
        f"{_count(data.get('located'))} with a location. "
    )
    if mode == "public":
        text += (
            f"{plural(len(hot), 'hotspot')} of at least {threshold} incidents "
            f"shown, covering {area:,.2f} km²{of_area}. Public version: counts "
            f"under {threshold} are not shown and the others are rounded to the "
            "nearest 5."
        )
        return text
    inside = int(hot["incidents"].sum()) if len(hot) else 0
    located = data.get("located")
    share = f" ({inside / located:.0%})" if isinstance(located, int) and located else ""
    return text + (
        f"{plural(len(hot), 'hotspot')} hold {inside:,} of the located incidents"
        f"{share} in {area:,.2f} km²{of_area}."
    )


def _trend_sentence(hot: gpd.GeoDataFrame) -> str:
    if hot.empty or "trend" not in hot:
        return ""
    counts = hot["trend"].astype(str).value_counts()
    parts = [f"{counts[t]:,} {t}" for t in _TRENDS if counts.get(t)]
    return (
        "Trend of the hotspots (recent third of the months against the earlier "
        f"two thirds): {', '.join(parts)}."
    )


def _top_ward_sentence(wards: pd.DataFrame | None) -> str:
    if wards is None or wards.empty or wards["rate_per_1000"].isna().all():
        return ""
    top = wards.sort_values("rate_per_1000", ascending=False).iloc[0]
    return (
        f"Highest rate: {top['ward_name']} ({top['lad_name']}), "
        f"{_fixed(top['rate_per_1000'])} per 1,000 residents."
    )


def _hotspot_table(
    hot: gpd.GeoDataFrame, weighted: bool, withheld: str = MISSING
) -> list[Block]:
    """The ranked hotspots (the first `TOP_HOTSPOTS`) as a table.

    `withheld`: the text where public mode left out every category of a hotspot
    (each under the threshold).
    """
    if hot.empty:
        return [Para("No hotspots in this view.")]
    t = hot.sort_values("hotspot_id")
    shown = t.head(TOP_HOTSPOTS)
    header = ["Rank", "Incidents"]
    widths = [0.05, 0.08]
    if weighted:
        header.append("Harm")
        widths.append(0.07)
    header += ["Share", "Trend", "Months active", "Top categories", "Wards",
               "Districts", "Area (km²)"]  # fmt: skip
    rest = 1.0 - sum(widths)
    widths += [0.07, 0.09, 0.07, rest - 0.6, 0.2, 0.1, 0.07]  # sums to 1
    rows = []
    for _, h in shown.iterrows():
        row = [str(int(h["hotspot_id"])), _count(h["incidents"])]
        if weighted:
            row.append(_fixed(h.get("harm")))
        row += [
            _fixed(100 * h["share"]) + "%" if pd.notna(h.get("share")) else MISSING,
            str(h.get("trend", MISSING)),
            _count(h.get("months_active")),
            _text(h.get("top_categories"), withheld),
            _few(h.get("wards"), 4),
            _few(h.get("districts"), 3),
            _fixed(h["area_km2"], 2),
        ]
        rows.append(row)
    # numbers right-aligned: incidents, harm, share, months active, area
    right = [1, 2, 3, 5, 9] if weighted else [1, 2, 4, 8]
    blocks: list[Block] = [table(header, rows, widths, right)]
    if len(t) > TOP_HOTSPOTS:
        blocks.append(
            Para(
                f"And {len(t) - TOP_HOTSPOTS:,} more hotspots: every one is in the "
                "GIS download of this view.",
                "small",
            )
        )
    return blocks


def _change(row: pd.Series, shown: bool) -> list[str]:
    if not shown:
        return []
    return [
        _count(row.get("previous")),
        _fixed(row.get("change_pct"), 0) + "%"
        if pd.notna(row.get("change_pct"))
        else MISSING,
        _yes_no(row.get("change_significant_adj")),
    ]


def _incidents(row: pd.Series) -> str:
    if pd.isna(row.get("incidents")) and row.get("incidents_note"):
        return str(row["incidents_note"])
    return _count(row.get("incidents"))


def _period_note(stats: pd.DataFrame) -> str:
    """The periods compared, and why change is not shown.

    Months only: the table's other attrs hold exact totals, which a public report
    must not print.
    """
    a = stats.attrs
    months, prev = a.get("months") or [], a.get("previous_months") or []
    note = f"Current period {months[0]} to {months[-1]}" if months else ""
    if prev:
        note += f"; previous period {prev[0]} to {prev[-1]}"
    if a.get("previous_note") and not _has_change(stats):
        note += f". Change not shown: {str(a['previous_note']).rstrip('.')}"
    return note + "." if note else ""


def _has_change(stats: pd.DataFrame) -> bool:
    """Whether the table compares periods (else its change columns are blank)."""
    return "change" in stats and bool(stats["change"].notna().any())


_CHANGE_HEADER = ["Previous period", "Change", "Significant change"]


def _area_blocks(layers: Mapping[str, gpd.GeoDataFrame]) -> list[Block]:
    blocks: list[Block] = []
    wards = layers.get("ward_statistics")
    if wards is not None and len(wards):
        change = _has_change(wards)
        ranked = wards.sort_values(
            ["rate_per_1000", "ward_name"], ascending=[False, True], na_position="last"
        ).head(TOP_WARDS)
        widths = [0.27, 0.17, 0.1, 0.12] + ([0.11, 0.1, 0.13] if change else [])
        rest = 1.0 - sum(widths)
        widths[0] += rest * 0.6
        widths[1] += rest * 0.4
        blocks += [
            Heading(f"Wards with the highest rates (top {len(ranked)})"),
            table(
                ["Ward", "District", "Incidents", "Per 1,000 residents"]
                + (_CHANGE_HEADER if change else []),
                [
                    [
                        str(r["ward_name"]),
                        str(r["lad_name"]),
                        _incidents(r),
                        _fixed(r["rate_per_1000"]),
                        *_change(r, change),
                    ]
                    for _, r in ranked.iterrows()
                ],
                widths,
                [2, 3, 4, 5] if change else [2, 3],
            ),
        ]
        note = _period_note(wards)
        if note:
            blocks.append(Para(note, "small"))
    districts = layers.get("district_statistics")
    if districts is not None and len(districts) > 1:
        change = _has_change(districts)
        ordered = districts.sort_values(
            ["rate_per_1000", "lad_name"], ascending=[False, True], na_position="last"
        )
        widths = [0.3, 0.13, 0.15] + ([0.14, 0.12, 0.16] if change else [])
        widths[0] += 1.0 - sum(widths)
        blocks += [
            Heading("Districts"),
            table(
                ["District", "Incidents", "Per 1,000 residents"]
                + (_CHANGE_HEADER if change else []),
                [
                    [
                        str(r["lad_name"]),
                        _incidents(r),
                        _fixed(r["rate_per_1000"]),
                        *_change(r, change),
                    ]
                    for _, r in ordered.iterrows()
                ],
                widths,
                [1, 2, 3, 4] if change else [1, 2],
            ),
        ]
    return blocks


def _reading(detection: Detection, mode: str, threshold: int) -> list[Block]:
    items = [
        f"{METHOD_LABELS[detection.method]}: {METHOD_MEANINGS[detection.method]}",
        *explanations(detection.parameters),
        "Rank: hotspots are numbered by the incidents they hold, most first. "
        "Share: of the selection's located incidents.",
        "Trend: the incidents of the recent third of the months against the earlier "
        "two thirds, per month (an exact binomial test at the "
        f"{TREND_ALPHA:.0%} level); 'too few to tell' under {MIN_TREND_INCIDENTS} "
        "incidents.",
        "Rate: incidents over the selected months per 1,000 residents (Census "
        "2021; not annualised). Change: against the previous period of the same "
        "length; significant when an exact test says so after a false discovery "
        "rate correction over the areas (5% level).",
    ]
    if mode == "public":
        items.append(
            f"Public version: hotspots with fewer than {threshold} incidents are "
            f"left out; counts under {threshold} are shown as 'fewer than "
            f"{threshold}', others rounded to the nearest 5, so figures may not add "
            "up."
        )
    return [Heading("How to read this"), Bullets(tuple(items))]


def summary_doc(
    detection: Detection,
    layers: Mapping[str, gpd.GeoDataFrame],
    provenance: Mapping[str, Any],
    *,
    mode: str = "public",
    threshold: int = DEFAULT_THRESHOLD,
    surface: Any = None,
) -> Doc:
    """The summary report of one analysis as a `hotspots.document.Doc`.

    Parameters
    ----------
    detection
        What `hotspots.detect.detect` returned (its surface or cells are drawn).
    layers
        `hotspots.export.export_layers` of the detection **in the same `mode`**:
        ``hotspots`` and, when the area tables were given, ``ward_statistics``
        and ``district_statistics``.
    provenance
        The analysis' record (`hotspots.provenance.provenance`), undisclosed:
        public mode rounds its counts here.
    mode, threshold
        ``"public"`` (default) or ``"restricted"``; smallest published count.
    surface
        KDE: the densities the map shows, as `mode` may publish them
        (`hotspots.export.surface_values`: public withholds cells with fewer
        than `threshold` incidents within the bandwidth). None: restricted
        shows the whole surface; public shows none. Gi*: the cells whose bin
        may be shown (`hotspots.export.gistar_shown`; None: found here).
    """
    check_mode(mode, threshold)
    record = disclose_record(dict(provenance), mode=mode, threshold=threshold)
    filters = record.get("filters", {})
    hot = layers["hotspots"]
    wards = layers.get("ward_statistics")
    data = record.get("data", {})
    held = data.get("months") or []
    first = filters.get("month_from") or data.get("month_from")
    last = filters.get("month_to") or data.get("month_to")
    span = f"{first} to {last}" if first and last else "no months"
    title = f"Hotspots: {_what(filters)}, {_where(filters)}"
    subtitle = (
        f"{span} ({plural(len(held), 'month')} of data) · "
        f"{METHOD_LABELS[detection.method]} · {mode} version · made "
        f"{str(record.get('created', ''))[:16].replace('T', ' ')} UTC with "
        f"{record.get('software', 'hotspots')}"
    )
    key = " ".join(
        s
        for s in (
            _headline(detection, hot, record, mode, threshold),
            _trend_sentence(hot),
            _top_ward_sentence(wards),
        )
        if s
    )
    blocks: list[Block] = [Para(key, "key")]
    if mode == "restricted":
        located = record.get("data", {}).get("located")
        warning = sparse_warning(
            detection.method, hot, detection, located if isinstance(located, int) else 0
        )
        if warning:
            blocks.append(Para(warning, "banner"))
    if surface is None and mode == "restricted" and detection.method == "kde":
        surface = surface_values(detection, mode="restricted")
    if surface is None and detection.method == "gistar":
        surface = gistar_shown(detection, mode=mode, threshold=threshold)
    note = ""
    if mode == "public" and detection.method == "kde":
        note = (
            f" Density shown where at least {threshold} incidents lie within the "
            f"bandwidth, to {SURFACE_ROUNDING}."
        )
    if mode == "public" and detection.method == "gistar":
        note = f" Cells shown where their window holds at least {threshold} incidents."
    shown = {
        "kde": "the density surface in incidents per km², ",
        "gistar": "the Gi* hot and cold spot cells, ",
    }.get(detection.method, "")
    alt = (
        f"Map of {_where(filters)} in British National Grid: district and ward "
        f"boundaries, {shown}the outlines of {plural(len(hot), 'hotspot')} with "
        f"the top {min(len(hot), 10)} numbered by rank. The table 'Hotspots, ranked' "
        "below lists the same places, with their wards."
    )
    blocks.append(Fig(_map(detection, hot, filters, surface, note), 4.6, alt))
    blocks.append(Heading("Hotspots, ranked"))
    weighted = bool(detection.parameters.get("weight")) and "harm" in hot
    withheld = f"each under {threshold}" if mode == "public" else MISSING
    blocks += _hotspot_table(hot, weighted, withheld)
    blocks += _area_blocks(layers)
    blocks += _reading(detection, mode, threshold)
    blocks += method_blocks(
        provenance, mode, threshold, [("Report", "hotspot summary of one view")]
    )
    return Doc(title, subtitle, mode, tuple(blocks), FOOTER)


def write_summary(
    detection: Detection,
    layers: Mapping[str, gpd.GeoDataFrame],
    provenance: Mapping[str, Any],
    path: str | Path,
    *,
    mode: str = "public",
    threshold: int = DEFAULT_THRESHOLD,
    surface: Any = None,
) -> Path:
    """Write the summary as PDF (``.pdf``) or HTML (``.html``) to `path`."""
    out = Path(path)
    doc = summary_doc(
        detection, layers, provenance, mode=mode, threshold=threshold, surface=surface
    )
    if out.suffix.lower() == ".html":
        out.write_text(render_html(doc), encoding="utf-8")
    else:
        out.write_bytes(render_pdf(doc))
    return out


__all__ = ["summary_doc", "write_summary"]
