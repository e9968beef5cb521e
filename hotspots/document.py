"""Reports as plain blocks, rendered as self-contained HTML or flowed onto A4 PDF pages.

A report is a `Doc`: a title, a subtitle, its disclosure mode and a list of
blocks (`Heading`, `Para`, `Bullets`, `Table`, `Fig`, `Break`) with disclosure
control already applied by whoever made them. `render_html` turns the blocks
into one self-contained page (inline CSS, base64 PNG figures, every text through
`html.escape`); `render_pdf` flows them onto A4 portrait pages (matplotlib
``Figure`` with the Agg canvas, no pyplot, ``parse_math=False`` on every text,
tables split across pages with their header repeated, PDF bytes deterministic).
Used by the PSPO reports (`hotspots.pspo_report`) and the hotspot summary
(`hotspots.view_report`).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from shapely.geometry.base import BaseGeometry

from hotspots import __version__
from hotspots.briefing import A4_INCHES, ATTRIBUTION_LINES, _pdf_bytes, _png
from hotspots.disclosure import disclose_record

Rect = tuple[float, float, float, float]
Drawer = Callable[[Figure, Rect], None]


# ----------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    """A section heading (kept on the page with the start of what follows)."""

    text: str


@dataclass(frozen=True)
class Para:
    """A paragraph; `kind` ``p``, ``small``, ``key`` (shaded blue) or ``banner``."""

    text: str
    kind: str = "p"  # p, banner, key, small


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text (header repeated on each page it spans); see `table`."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width, adding up to 1
    right: tuple[int, ...] = ()  # right-aligned (numeric) columns


@dataclass(frozen=True)
class Fig:
    """A figure: `draw` draws it into a rectangle of a matplotlib figure."""

    draw: Drawer
    height_in: float
    alt: str


@dataclass(frozen=True)
class Break:
    """A page break."""

    keep: float = 0.0  # inches: stay on the page if this much is left (0: never)


Block = Heading | Para | Bullets | Table | Fig | Break


@dataclass(frozen=True)
class Doc:
    """A whole report: title, subtitle, disclosure mode, blocks and page footer."""

    title: str
    subtitle: str
    mode: str
    blocks: tuple[Block, ...]
    #: on every page after the title and mode (PDF) and at the foot (HTML)
    footer: str = ""


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    right: Sequence[int] = (),
) -> Table:
    """A `Table` of `rows`, each cell as text.

    `widths` are fractions of the text width adding up to 1; `right` lists the
    right-aligned (numeric) columns.
    """
    return Table(
        tuple(header),
        tuple(tuple(str(c) for c in r) for r in rows),
        tuple(widths),
        tuple(right),
    )


def plain(value: Any) -> str:
    """A value of a provenance record in plain text."""
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
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


def label(key: Any) -> str:
    """A record key as a label: ``month_from`` -> ``Month from``."""
    text = str(key).replace("_", " ")
    return "CRS" if text.lower() == "crs" else text[:1].upper() + text[1:]


def method_blocks(
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
            rows += [[f"{nested[key]}: {k}", plain(v)] for k, v in value.items()]
        else:
            rows.append([label(key), plain(value)])
    rows.append(["Disclosure", plain(record["disclosure"])])
    return [
        Heading("Method and provenance"),
        table(["Item", "Value"], rows, [0.26, 0.74]),
        Heading("Open data attribution"),
        Bullets(tuple(ATTRIBUTION_LINES)),
    ]


# ---------------------------------------------------------------- map figures


def patch(geom: BaseGeometry, **style: Any) -> PathPatch:
    """A (Multi)Polygon as one matplotlib patch, holes kept."""
    paths = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
    path = MplPath.make_compound_path(*paths) if paths else MplPath(np.zeros((0, 2)))
    return PathPatch(path, **style)


def fit_box(
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


def inner(rect: Rect, left: float, bottom: float, width: float, height: float) -> Rect:
    """A sub-rectangle of `rect` given in fractions of it."""
    x, y, w, h = rect
    return x + left * w, y + bottom * h, width * w, height * h


def legend(ax: Axes, handles: list[Any], loc: Any = "lower right") -> None:
    """A small legend of `handles` whose labels are plain text (no mathtext)."""
    leg = ax.legend(handles=handles, loc=loc, fontsize=6, framealpha=0.85)
    for text in leg.get_texts():
        text.set_parse_math(False)


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
    if isinstance(block, Heading):
        return f"<h2>{_e(block.text)}</h2>"
    if isinstance(block, Para):
        return f"<p class='{block.kind}'>{_e(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in block.items) + "</ul>"
    if isinstance(block, Table):

        def cell(tag: str, j: int, text: str) -> str:
            cls = " class='n'" if j in block.right else ""
            return f"<{tag}{cls}>{_e(text)}</{tag}>"

        head = "".join(cell("th", j, h) for j, h in enumerate(block.header))
        body = "".join(
            "<tr>" + "".join(cell("td", j, t) for j, t in enumerate(r)) + "</tr>"
            for r in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Fig):
        fig = Figure(figsize=(width_in, block.height_in))
        FigureCanvasAgg(fig)
        block.draw(fig, (0.01, 0.01, 0.98, 0.98))
        return f"<img alt='{_e(block.alt)}' src='data:image/png;base64,{_png(fig)}'>"
    return "<div class='break'></div>"


def render_html(doc: Doc) -> str:
    """`doc` as one self-contained HTML page (inline CSS, figures as data URLs)."""
    body = "\n".join(_html_block(b, _TEXT_W) for b in doc.blocks)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(doc.title)}</title><style>{_CSS}</style></head>
<body><div class="page">
<h1>{_e(doc.title)}</h1>
<p class="sub">{_e(doc.subtitle)}</p>
{body}
<footer>{_e(doc.title)} · {_e(doc.mode)} version · {_e(doc.footer)}</footer>
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

    def __init__(self, doc: Doc) -> None:
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

    def table(self, t: Table) -> None:
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
        if isinstance(block, Heading):
            # keep a heading with the start of what follows it
            follow = (
                after.height_in
                if isinstance(after, Fig)
                else 0.8
                if isinstance(after, Table)  # its header and first rows
                else 0.45
            )
            self.room(0.4 + follow)
            self.y += 0.08
            self.text(block.text, 10.5, "#111111", weight="bold")
        elif isinstance(block, Para):
            size, colour, background, weight = _STYLES.get(block.kind, _STYLES["p"])
            self.text(block.text, size, colour, weight=weight, background=background)
        elif isinstance(block, Bullets):
            for item in block.items:
                self.room(0.3)
                self.lines(_MARGIN_X + 0.08, self.y, ["•"], 8.0)
                self.text(item, 8.0, x=_MARGIN_X + 0.25, width=_TEXT_W - 0.25)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Fig):
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
                " · ".join(
                    x
                    for x in (
                        self.doc.title,
                        f"{self.doc.mode} version",
                        self.doc.footer,
                        f"page {i} of {n}",
                    )
                    if x
                ),
                ha="center",
                fontsize=6.5,
                color="#666666",
                parse_math=False,
            )
        return self.figs


def render_pdf(doc: Doc) -> bytes:
    """`doc` flowed onto A4 portrait pages, as PDF bytes (no creation date)."""
    pages = _Pages(doc)
    for block, after in zip(doc.blocks, [*doc.blocks[1:], None], strict=True):
        pages.block(block, after)
    return _pdf_bytes(pages.finish())
