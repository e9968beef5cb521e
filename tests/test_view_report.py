"""The summary report of one view (PDF / HTML) on the bundled Kent data."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pdf_text import page_texts, pdf_text

from hotspots._validate import HotspotsError
from hotspots.detect import Detection
from hotspots.document import render_html, render_pdf
from hotspots.export import export_bytes, export_detection, export_layers
from hotspots.pipeline import Analysis, analyse
from hotspots.store import read_bundled_police
from hotspots.view_report import TOP_HOTSPOTS, TOP_WARDS, summary_doc

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "summary-report"
THANET = "E07000114"
SWALE = "E07000113"
VIOLENCE = "serious violence & weapons"
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def police() -> pd.DataFrame:
    return read_bundled_police()


def _analysis(
    police: pd.DataFrame, method: str, districts: list[str], **options: Any
) -> Analysis:
    month = police["month"].astype(str)
    around = police[police["theme"] == VIOLENCE]
    sel = around[
        around["lad_code"].isin(districts)
        & (month[around.index] >= "2024-01")
        & (month[around.index] <= "2024-04")
    ]
    return analyse(
        sel,
        method=method,
        filters={
            "month_from": "2024-01",
            "month_to": "2024-04",
            "themes": [VIOLENCE],
            "districts": districts,
        },
        districts=districts,
        months=("2024-01", "2024-04"),
        options=options or None,
        area_incidents=around,
        available_months=sorted(month.unique()),
    )


@pytest.fixture(scope="module")
def kde(police: pd.DataFrame) -> Analysis:
    return _analysis(police, "kde", [THANET])


def _layers(a: Analysis, mode: str) -> dict[str, Any]:
    return export_layers(
        a.detection,
        provenance=a.provenance,
        mode=mode,
        incidents=a.incidents,
        area_tables=a.area_tables,
    )


def _pdf(a: Analysis, mode: str, name: str | None = None) -> bytes:
    """The report as `export --format pdf` makes it (its surface disclosed)."""
    _, data, _ = export_bytes(
        a.detection, fmt="pdf", provenance=a.provenance, mode=mode,
        incidents=a.incidents, area_tables=a.area_tables,
    )  # fmt: skip
    if name:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / name).write_bytes(data)
    return data


def test_restricted_report_gives_the_view_exactly(kde: Analysis):
    text = " ".join(page_texts(_pdf(kde, "restricted", "thanet-kde-restricted.pdf")))
    assert f"Hotspots: {VIOLENCE}, Thanet 2024-01 to 2024-04" in text
    assert "2024-01 to 2024-04 (4 months of data)" in text
    hot = kde.detection.hotspots.sort_values("hotspot_id")
    located = int(kde.provenance["data"]["located"])
    inside = int(hot["incidents"].sum())
    assert (
        f"{len(hot)} hotspots hold {inside:,} of the located incidents "
        f"({inside / located:.0%})" in text
    )
    # the ranked table: rank 1 with its exact count and share, as detect made them
    first = hot.iloc[0]
    assert re.search(
        rf"\b1 {int(first['incidents']):,} {100 * first['share']:.1f}% "
        rf"{first['trend']} {int(first['months_active'])} ",
        text,
    ), text[:3000]
    shown = min(len(hot), TOP_HOTSPOTS)
    assert f"And {len(hot) - shown:,} more hotspots" in text
    # the threshold and bandwidth are explained in words
    assert "Bandwidth 200 m" in text
    assert "Hotspots: hottest 5% of the study area" in text
    # wards by rate: the highest-rate ward of the area table leads the list
    wards = kde.area_tables["ward"].sort_values("rate_per_1000", ascending=False)
    top = wards.iloc[0]
    assert f"Highest rate: {top['ward_name']} (Thanet), {top['rate_per_1000']:.1f}" in (
        text
    )
    assert f"Wards with the highest rates (top {min(TOP_WARDS, len(wards))})" in text
    # the previous period has no data: change is not shown, and the page says why
    assert "Change not shown" in text
    assert "Significant change" not in text
    assert "Open data attribution" in text
    assert "data.police.uk" in text
    assert "restricted version" in text


def test_public_report_publishes_only_disclosed_figures(kde: Analysis):
    pages = page_texts(_pdf(kde, "public", "thanet-kde-public.pdf"))
    text = " ".join(pages)
    assert "public version" in text
    hot = kde.detection.hotspots
    public = hot[hot["incidents"] >= 10]
    assert f"{len(public)} hotspots of at least 10 incidents shown" in text
    # no hotspot under 10, and every hotspot count rounded to 5
    table = text[text.index("Hotspots, ranked") : text.index("Wards with")]
    rows = re.findall(r"(?:^|\s)(\d{1,2}) (\d[\d,]*) \d+\.\d%", table)
    assert len(rows) == min(len(public), TOP_HOTSPOTS)
    assert all(int(n.replace(",", "")) % 5 == 0 for _, n in rows)
    # the exact selection total and hotspot total never appear
    exact = int(kde.provenance["data"]["incidents"])
    assert exact % 5  # (the test's premise: the exact figure is not a multiple of 5)
    assert f"{exact:,}" not in text
    assert f"{int(hot['incidents'].sum()):,}" not in text
    assert "hold one or two incidents" not in text  # the sparse note counts them
    assert "counts under 10 are not shown" in text


def test_public_report_says_when_every_category_of_a_hotspot_is_withheld(
    police: pd.DataFrame,
):
    """ASB in Folkestone & Hythe: some hotspots have no category of 10 or more
    incidents, so public mode leaves their categories blank; the report says
    why in that cell (it had stopped with a TypeError on the blank)."""
    fh, asb = "E07000112", "ASB & public space"
    month = police["month"].astype(str)
    around = police[police["theme"] == asb]
    sel = around[
        around["lad_code"].eq(fh).fillna(False)
        & month[around.index].between("2024-01", "2024-04")
    ]
    a = analyse(
        sel, method="kde",
        filters={"month_from": "2024-01", "month_to": "2024-04", "themes": [asb], "districts": [fh]},
        districts=[fh], months=("2024-01", "2024-04"), area_incidents=around,
        available_months=sorted(month.unique()),
    )  # fmt: skip
    hot = _layers(a, "public")["hotspots"].sort_values("hotspot_id")
    blank = hot["hotspot_id"][hot["top_categories"].isna()].tolist()
    assert blank  # the premise: a hotspot in the table with none of 10 or more
    assert blank[0] <= TOP_HOTSPOTS
    page = export_bytes(
        a.detection, fmt="html", provenance=a.provenance, mode="public",
        incidents=a.incidents, area_tables=a.area_tables,
    )[1].decode()  # fmt: skip
    cells = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    row = next(c for c in cells if re.match(rf"\s*<td[^>]*>{blank[0]}</td>", c))
    assert "each under 10" in row
    text = pdf_text(_pdf(a, "public"))
    assert "each under 10" in text
    restricted = pdf_text(_pdf(a, "restricted"))
    assert "each under 10" not in restricted


def test_report_of_gistar_and_clusters_over_two_districts(police: pd.DataFrame):
    gi = _analysis(police, "gistar", [THANET, SWALE])
    text = " ".join(page_texts(_pdf(gi, "restricted", "gistar-two-districts.pdf")))
    assert "Hotspots: serious violence & weapons, Swale, Thanet" in text or (
        "Thanet, Swale" in text
    )
    assert "Getis-Ord Gi*" in text
    area = gi.detection.area_km2
    study = gi.detection.study_area_km2
    assert (
        f"in {area:,.2f} km², {area / study:.1%} of the {study:,.0f} km² analysed"
        in (text)
    )
    assert "Hot spot, 99% confidence" in text
    public = pdf_text(_pdf(gi, "public"))
    assert "Cells shown where their window holds at least 10 incidents." in public
    assert "Districts" in text
    db = _analysis(police, "dbscan", [THANET], eps=150.0, min_incidents=20)
    text = " ".join(page_texts(_pdf(db, "public")))
    assert "Clusters (DBSCAN)" in text
    assert "Eps 150 m" in text


def test_report_without_hotspots(kde: Analysis):
    empty = kde.detection.hotspots.iloc[:0]
    d = kde.detection
    none = Detection(d.method, empty, d.parameters, d.study_area_km2, d.result)
    layers = export_layers(
        none, provenance=kde.provenance, mode="restricted", incidents=kde.incidents
    )
    text = " ".join(
        page_texts(
            render_pdf(summary_doc(none, layers, kde.provenance, mode="restricted"))
        )
    )
    assert "0 hotspots hold 0 of the located incidents" in text
    assert "No hotspots in this view." in text


def test_html_report_escapes_text_from_the_data(kde: Analysis):
    d = kde.detection
    hot = d.hotspots.assign(top_categories=[EVIL] * len(d.hotspots))
    evil = Detection(d.method, hot, d.parameters, d.study_area_km2, d.result)
    layers = export_layers(
        evil, provenance=kde.provenance, mode="restricted", incidents=kde.incidents
    )
    page = render_html(summary_doc(evil, layers, kde.provenance, mode="restricted"))
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<img") == 1  # the map, inline


def test_same_inputs_give_the_same_pdf(kde: Analysis):
    assert _pdf(kde, "public") == _pdf(kde, "public")


def _first_page(data: bytes) -> np.ndarray:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return np.asarray(doc[0].render(scale=1.5).to_pil().convert("RGB"), float)
    finally:
        doc.close()


def _surface_pixels(image: np.ndarray) -> int:
    """Pixels of viridis' low end (#440154) at the surface's 85% opacity on white."""
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return int(((abs(r - 96) < 20) & (g < 70) & (abs(b - 110) < 20)).sum())


def test_map_draws_the_surface_and_outlines(kde: Analysis):
    """The rendered first page holds the viridis surface and the magenta outlines;
    the public one only where 10 or more incidents lie within the bandwidth."""
    image = _first_page(_pdf(kde, "restricted"))
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    magenta = (r > 200) & (g < 90) & (b > 100)  # #e7298a
    assert magenta.sum() > 200
    whole = _surface_pixels(image)
    assert whole > 2000
    public = _pdf(kde, "public")
    shown = _surface_pixels(_first_page(public))
    # the lone incidents' bumps (most of the low end) are withheld
    assert 0 < shown < 0.7 * whole
    assert (
        "Density shown where at least 10 incidents lie within the bandwidth, to 1 "
        "significant figure" in " ".join(pdf_text(public).split())
    )


def test_public_pdf_refuses_safeguarding_rows(kde: Analysis):
    inc = kde.incidents.copy()
    inc.loc[inc.index[:3], "sensitivity"] = "safeguarding"
    with pytest.raises(HotspotsError, match="safeguarding"):
        export_bytes(
            kde.detection,
            fmt="pdf",
            provenance=kde.provenance,
            mode="public",
            incidents=inc,
            area_tables=kde.area_tables,
        )


def test_export_writes_the_pdf_beside_the_other_formats(kde: Analysis, tmp_path):
    paths = export_detection(
        kde.detection,
        tmp_path,
        fmt="pdf",
        provenance=kde.provenance,
        mode="public",
        incidents=kde.incidents,
        area_tables=kde.area_tables,
    )
    assert [p.name for p in paths] == ["hotspots-kde.pdf"]
    assert paths[0].read_bytes().startswith(b"%PDF")
    with pytest.raises(HotspotsError, match=r"\.pdf"):
        export_detection(
            kde.detection,
            tmp_path / "report.gpkg",
            fmt="pdf",
            provenance=kde.provenance,
            incidents=kde.incidents,
        )
    name, data, mime = export_bytes(
        kde.detection,
        fmt="pdf",
        provenance=kde.provenance,
        incidents=kde.incidents,
        area_tables=kde.area_tables,
    )
    assert (name, mime) == ("hotspots-kde.pdf", "application/pdf")
    assert data.startswith(b"%PDF")


def test_summary_doc_rejects_a_bad_mode(kde: Analysis):
    with pytest.raises(HotspotsError):
        summary_doc(kde.detection, _layers(kde, "public"), kde.provenance, mode="open")


class _Page(HTMLParser):
    """The headings, tables (rows of cell texts) and images of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.images: list[dict[str, str]] = []
        self.scripts = 0
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "h2"):
            self._text = []
        elif tag == "img":
            self.images.append({k: v or "" for k, v in attrs})
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._text is not None:
            self.tables[-1][-1].append("".join(self._text).strip())
        elif tag == "h2" and self._text is not None:
            self.headings.append("".join(self._text).strip())
        if tag in ("td", "th", "h2"):
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def test_the_html_report_is_the_pdf_as_an_accessible_web_page(kde: Analysis, tmp_path):
    """`export --format html`: the same report as the PDF on one self-contained
    page, with real headings and tables (a screen reader reads them as such) and
    the map as an image with a text alternative; the public table holds the
    disclosed hotspots, ranked, and nothing runs in it."""
    kw = {
        "provenance": kde.provenance, "mode": "public", "incidents": kde.incidents,
        "area_tables": kde.area_tables,
    }  # fmt: skip
    [path] = export_detection(kde.detection, tmp_path, fmt="html", **kw)
    assert path.name == "hotspots-kde.html"
    name, data, mime = export_bytes(kde.detection, fmt="html", **kw)
    assert (name, mime) == ("hotspots-kde.html", "text/html")
    page = _Page()
    page.feed(data.decode("utf-8"))
    assert page.headings[:2] == [
        "Hotspots, ranked",
        "Wards with the highest rates (top 10)",
    ]
    assert "How to read this" in page.headings
    assert page.scripts == 0
    [image] = page.images
    assert image["src"].startswith("data:image/png;base64,")
    public = _layers(kde, "public")["hotspots"]
    assert image["alt"].startswith("Map of Thanet in British National Grid")
    assert (
        f"the outlines of {len(public)} hotspots with the top 10 numbered"
        in image["alt"]
    )
    ranked = page.tables[0]
    assert ranked[0][:3] == ["Rank", "Incidents", "Share"]
    top = public.sort_values("hotspot_id").head(TOP_HOTSPOTS)
    assert [int(r[1].replace(",", "")) for r in ranked[1:]] == top["incidents"].tolist()
    # the PDF of the same view prints the same figures
    pdf = pdf_text(export_bytes(kde.detection, fmt="pdf", **kw)[1])
    for row in ranked[1:]:
        assert f"{row[0]} {row[1]} {row[2]}" in pdf
    with pytest.raises(HotspotsError, match=r"\.html"):
        export_detection(kde.detection, tmp_path / "report.pdf", fmt="html", **kw)
