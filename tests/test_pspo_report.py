"""Tests of hotspots.pspo_report: PSPO area profile and evaluation reports.

Hand-made `AreaProfile` and `Evaluation` instances (realistic Margate town centre
figures, the sample order boundary) test the layout and the disclosure rules;
the PDF pages are rendered to PNG with pypdfium2 and saved under
test-artifacts/pspo-report/ for a human to look at.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pdf_text import page_texts

from hotspots import bundled, pspo
from hotspots._validate import HotspotsError
from hotspots.pspo import Area, AreaProfile, Evaluation
from hotspots.pspo_report import (
    NOT_LEGAL_ADVICE,
    _counts,
    evaluation_html,
    evaluation_pdf,
    profile_html,
    profile_pdf,
    write_report,
)

pdfium = pytest.importorskip("pypdfium2")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "pspo-report"
SAMPLE = bundled.SAMPLES_DIR / "margate-town-centre-pspo.geojson"
THANET = "E07000114"
INJECTED = "<script>alert(1)</script>"
MATHY = 'Cliftonville $x$ & "Co" $\\frac{1}{'  # unbalanced mathtext would raise

pytestmark = pytest.mark.skipif(
    not (SAMPLE.exists() and bundled.WARDS.exists() and bundled.DISTRICTS.exists()),
    reason="bundled boundaries or the sample order not built (make data)",
)


# ----------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return gpd.read_parquet(bundled.WARDS)


@pytest.fixture(scope="module")
def area() -> Area:
    g = gpd.read_file(SAMPLE).to_crs(27700)
    return Area(
        name="Margate town centre (illustrative)",
        kind="uploaded",
        geometry=g.union_all(),
        source="margate-town-centre-pspo.geojson",
    )


def _points(geom, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = geom.bounds
    xy = rng.uniform((x0, y0), (x1, y1), size=(4 * n, 2))
    return xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])][:n]


def _mix(rows: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    f = pd.DataFrame(rows, index=["area", "district", "county"]).T
    for col in ("area", "district", "county"):
        f[f"{col}_share"] = f[col] / f[col].sum()
    return f[["area", "area_share", "district", "district_share", "county",
              "county_share"]]  # fmt: skip


def make_profile(area: Area, **changes) -> AreaProfile:
    """A realistic profile of the sample area, 2024-01..04 (Thanet comparator)."""
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    comp = pd.DataFrame(
        {
            "incidents": [353, 5303, 60021],
            "in_district": [353, 5303, 5303],
            "area_km2": [area.area_km2, 103.3, 3736.0],
            "residents": [2910.0, 140600.0, 1905000.0],
        },
        index=["area", "district", "county"],
    )
    comp["per_km2"] = comp["incidents"] / comp["area_km2"]
    comp["per_1000"] = 1000 * comp["incidents"] / comp["residents"]
    comp["share_of_district_incidents"] = [353 / 5303, 1.0, np.nan]
    comp["share_of_district_land"] = [area.area_km2 / 103.3, 1.0, np.nan]
    comp["concentration"] = (
        comp["share_of_district_incidents"] / comp["share_of_district_land"]
    )
    themes = _mix({
        "serious violence & weapons": (138, 2010, 23500),
        "ASB & public space": (112, 1500, 16000),
        "acquisitive": (84, 1300, 15000),
        "drugs & county lines": (13, 220, 2600),
        "other": (6, 273, 2921),
    })  # fmt: skip
    categories = _mix({
        "Violence and sexual offences": (128, 1900, 22000),
        "Anti-social behaviour": (66, 900, 9500),
        "Shoplifting": (44, 520, 6000),
        "Other theft": (26, 400, 4800),
        "Criminal damage and arson": (25, 480, 5600),
        "Public order": (21, 330, 3900),
        "Drugs": (13, 220, 2600),
        "Burglary": (8, 210, 2700),
        "Other crime": (6, 90, 1100),
        "Robbery": (5, 40, 500),
        "Possession of weapons": (5, 70, 900),
        "Theft from the person": (4, 30, 420),
    })  # fmt: skip
    monthly = pd.DataFrame(
        {
            "month": months,
            "area": pd.array([87, 65, 91, 110], dtype="Int64"),
            "district": pd.array([1290, 1205, 1380, 1428], dtype="Int64"),
        }
    )
    monthly["area_per_1000"] = 1000 * monthly["area"].astype(float) / 2910.0
    by_month = pd.DataFrame(
        {
            "month": months,
            "area": [87, 65, 91, 110],
            "expected": [4.0, 3.7, 4.2, 4.4],
            "p": [1e-40, 1e-30, 1e-42, 1e-50],
            "hot": [True, True, True, True],
        }
    )
    values = {
        "area": area,
        "district_code": THANET,
        "district_name": "Thanet",
        "months": months,
        "filters": {"months": months, "themes": None, "categories": None},
        "comparison": comp,
        "themes": themes,
        "categories": categories,
        "monthly": monthly,
        "trend": {
            "mann_kendall_tau": 0.33,
            "mann_kendall_p": 0.73,
            "direction": "no trend",
            "recent_months": ["2024-04"],
            "earlier_months": months[:3],
            "recent": 110,
            "earlier": 243,
            "rate_ratio": 1.358,
            "p": 0.004,
            "label": "rising",
            "sentence": "110 incidents in the recent month against 81.0 per month "
            "before (rate ratio 1.36, p = 0.004): rising.",
        },
        "day_hour": None,
        "day_hour_n": 0,
        "top_locations": [
            ("On or near Queen Street", 38),
            ("On or near Supermarket", 32),
            ("On or near Mill Lane", 29),
            ("On or near Shopping Area", 29),
            ("On or near Belgrave Road", 23),
            ("On or near Parking Area", 20),
            ("On or near B2055", 17),
            ("On or near Marine Drive", 12),
            ("On or near Grosvenor Place", 11),
            ("On or near Eaton Hill", 7),
        ],
        "persistence": {
            "months_hot": months,
            "months": months,
            "n_hot": 4,
            "n_months": 4,
            "definition": "A month is hot when the area's count is significantly "
            "above its share of the district's count by land (one-sided Poisson "
            "test, p < 0.05).",
            "by_month": by_month,
        },
        "safeguarding": 7,
        "statutory": [
            {
                "test": "Detrimental effect on the quality of life",
                "shows": "353 incidents in 4 months (1,112 per km², 121.3 per 1,000 "
                "residents), 21.7 times the area's share of Thanet by land; "
                "112 were anti-social behaviour or public space incidents.",
                "cannot_show": "How residents and visitors experience the "
                "behaviour: gather impact statements, complaints to the council "
                "and consultation responses.",
            },
            {
                "test": "Persistent or continuing",
                "shows": "Incidents in every one of the 4 months, all 4 "
                "significantly above expected; no trend (Mann-Kendall p = 0.73).",
                "cannot_show": "Behaviour before the selected months or not "
                "reported to the police: use council ASB logs and patrol records.",
            },
            {
                "test": "Unreasonable",
                "shows": "The data records offences and ASB, not whether the "
                "conduct was unreasonable in context.",
                "cannot_show": "Whether the conduct is unreasonable: needs "
                "officers' and residents' accounts of the behaviour.",
            },
            {
                "test": "Justifies the restrictions",
                "shows": "ASB and public space incidents are 31.7% of the area's "
                "incidents against 28.3% in Thanet.",
                "cannot_show": "Whether each proposed prohibition targets the "
                "behaviour and is proportionate: a legal judgement.",
            },
        ],
        "limitations": [
            "police.uk locations are snapped to anonymous points; incidents near "
            "the boundary may fall on the wrong side.",
            "Recorded incidents depend on reporting; under-reporting of ASB is common.",
        ],
        "consultees": [
            "The chief officer of police and the local policing body (s72(4)(a)).",
            "Community representatives the council thinks appropriate (s72(4)(b)).",
            "The owner or occupier of land within the area, where reasonably "
            "practicable (s72(4)(c)).",
        ],
        "points": _points(area.geometry, 300),
        "provenance": {
            "software": "hotspots 0.1.0",
            "created": "2026-01-01T00:00:00+00:00",
            "data": {
                "incidents": 60021,
                "located": 59800,
                "unlocated": 221,
                "sources": {"police.uk": 60021},
                "months": months,
            },
            "filters": {"months": months},
            "method": "pspo profile",
            "parameters": {"persistence_alpha": 0.05, "top_locations": 10},
            "crs": "EPSG:27700 (British National Grid, metres)",
            "transformation": "OSTN15",
            "area_source": area.source,
        },
    }
    values.update(changes)
    return AreaProfile(**values)


def make_evaluation(area: Area, **changes) -> Evaluation:
    """A realistic evaluation of the sample order from 2022-07 (6 months each)."""
    buffer = area.geometry.buffer(400.0).difference(area.geometry)
    lads = gpd.read_parquet(bundled.DISTRICTS)
    thanet = lads.loc[lads["lad_code"] == THANET].geometry.iloc[0]
    control = thanet.difference(area.geometry.buffer(400.0))
    before = ["2022-01", "2022-02", "2022-03", "2022-04", "2022-05", "2022-06"]
    after = ["2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12"]
    rb, ra, bb, ba, cb, ca = 520, 431, 300, 296, 7300, 7420
    counts = pd.DataFrame(
        {
            "before": [rb, bb, cb],
            "after": [ra, ba, ca],
            "area_km2": [area.area_km2, buffer.area / 1e6, control.area / 1e6],
        },
        index=["area", "buffer", "control"],
    )
    counts["change"] = counts["after"] - counts["before"]
    counts["change_pct"] = 100 * counts["change"] / counts["before"]
    counts["per_month_before"] = counts["before"] / 6
    counts["per_month_after"] = counts["after"] / 6
    counts["p"] = [0.006, 0.87, 0.32]
    counts = counts[["before", "after", "change", "change_pct", "per_month_before",
                     "per_month_after", "p", "area_km2"]]  # fmt: skip
    relative = pd.DataFrame(
        {
            "odds_ratio": [1.229, 1.031],
            "ci_low": [1.08, 0.88],
            "ci_high": [1.40, 1.21],
            "z": [3.12, 0.37],
            "p": [0.0018, 0.71],
            "corrected": [False, False],
        },
        index=["area vs control", "buffer vs control"],
    )
    success = ra / ca - rb / cb
    buf = ba / ca - bb / cb
    values = {
        "area": area,
        "buffer_m": 400.0,
        "buffer": buffer,
        "control": control,
        "control_source": "the rest of Thanet (district), outside the area and buffer",
        "start": "2022-07",
        "before_months": before,
        "after_months": after,
        "counts": counts,
        "relative": relative,
        "success_measure": success,
        "buffer_measure": buf,
        "wdq": buf / success,
        "total_net_effect": (rb * ca / cb - ra) + (bb * ca / cb - ba),
        "verdict": "reduction with diffusion of benefit",
        "sentence": "Incidents in the area fell from 520 to 431 (-17.1%) while the "
        "control rose 1.6% (odds ratio 1.23, p = 0.002); the buffer also improved "
        "relative to the control (WDQ 0.22): a net 102 fewer incidents.",
        "notes": [
            "Before and after periods have 6 months each.",
            "The control had no missing months.",
        ],
        "provenance": {
            "software": "hotspots 0.1.0",
            "created": "2026-01-01T00:00:00+00:00",
            "data": {"incidents": 16158, "sources": {"police.uk": 16158}},
            "filters": {"themes": ["ASB & public space"]},
            "parameters": {"buffer_m": 400.0, "start": "2022-07", "alpha": 0.05},
        },
    }
    values.update(changes)
    return Evaluation(**values)


def render(pdf: bytes, name: str, scale: float = 1.5) -> list[np.ndarray]:
    """Each page of `pdf` as an RGB array; saved as test-artifacts/.../name-N.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    doc = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for i in range(len(doc)):
            image = doc[i].render(scale=scale).to_pil().convert("RGB")
            image.save(ARTIFACTS / f"{name}-{i + 1}.png")
            pages.append(np.asarray(image))
    finally:
        doc.close()
    return pages


def _hue_sat(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hue (degrees) and saturation of RGB rows (0..255)."""
    rgb = rgb.astype(float)
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    d = np.where(mx > mn, mx - mn, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.select(
        [mx == mn, mx == r, mx == g],
        [0.0, ((g - b) / d) % 6, (b - r) / d + 2],
        (r - g) / d + 4,
    )
    return 60 * hue, np.where(mx > 0, (mx - mn) / np.maximum(mx, 1), 0)


def colour_pixels(img: np.ndarray, colour: str, *, tol: float = 8.0) -> int:
    """Pixels of the hue of `colour` (hex), whatever its transparency over white."""
    want, _ = _hue_sat(np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]))
    hue, sat = _hue_sat(img.reshape(-1, 3))
    diff = np.abs((hue - want + 180) % 360 - 180)
    return int(((diff < tol) & (sat > 0.15)).sum())


def region(img: np.ndarray, top: float, bottom: float) -> np.ndarray:
    h = img.shape[0]
    return img[int(top * h) : int(bottom * h)]


# ------------------------------------------------------------------- HTML


def test_profile_html_self_contained_and_complete(area, wards):
    html = profile_html(make_profile(area), wards=wards)
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", html)
    assert "<link" not in html
    assert "<script" not in html.lower()
    srcs = re.findall(r"src=['\"]([^'\"]*)", html)
    assert srcs
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "Evidence, not legal advice" in html
    assert html.index("Evidence, not legal advice") < html.index("<img")
    for text in ("Detrimental effect on the quality of life", "Persistent or continuing",
                 "Unreasonable", "Justifies the restrictions", "per km²",
                 "Per 1,000 residents", "Consultation and notification (s72)",
                 "The chief officer of police", "Method and provenance",
                 "margate-town-centre-pspo.geojson", "Open Government Licence",
                 "hotspots 0.1.0", "persistence_alpha", "restricted"):  # fmt: skip
        assert html.count(text) >= 1, text
    # restricted: exact figures
    assert ">353<" in html
    assert ">5,303<" in html
    assert "Safeguarding incidents in the area: 7" in html
    assert ">7<" in html  # the smallest top location count, exact


def test_html_escapes_injected_text(area, wards):
    named = dataclasses.replace(area, name=MATHY, source=INJECTED)
    p = make_profile(named, top_locations=[(INJECTED, 40), ("$5 store", 12)])
    for html in (
        profile_html(p, wards=wards),
        profile_html(p, mode="public", wards=wards),
        evaluation_html(make_evaluation(named), wards=wards),
    ):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()
        assert "Cliftonville $x$ &amp; &quot;Co&quot;" in html
    # matplotlib must not parse the $...$ as mathtext (it would raise)
    assert profile_pdf(p, wards=wards).startswith(b"%PDF")
    text = "\n".join(page_texts(evaluation_pdf(make_evaluation(named), wards=wards)))
    assert "Cliftonville $x$" in text


def test_public_profile_suppresses_and_rounds(area, wards):
    p = make_profile(area)
    html = profile_html(p, mode="public", wards=wards)
    assert "public version" in html
    # area 353 -> 355, district 5,303 -> 5,305, county 60,021 -> 60,020
    assert ">355<" in html
    assert ">5,305<" in html
    assert ">60,020<" in html
    for exact in (">353<", ">5,303<", "60,021", ">138<", ">112<", ">87<", ">91<"):
        assert exact not in html, exact
    # small counts withheld: drugs 13 -> 15 published, other (6) withheld
    assert "fewer than 10" in html
    assert ">7<" not in html  # the smallest top location (7) is withheld
    assert "On or near Eaton Hill" in html
    # no safeguarding count below ward
    assert "Safeguarding incidents in the area" not in html
    # the engine's sentences with exact figures are replaced
    assert "353 incidents" not in html
    assert "110 incidents in the recent month" not in html
    assert "1,112 per km²" not in html
    # rates recomputed from the published counts: 355 / area km²
    assert f"{355 / area.area_km2:,.1f}" in html
    # every number in the counts of the theme table is a multiple of 5 or withheld
    mix = html[html.index("Incidents by theme") : html.index("Incidents by category")]
    cells = re.findall(r"<td class='n'>([\d,]+)</td>", mix)
    assert cells
    assert all(int(c.replace(",", "")) % 5 == 0 for c in cells)
    # the provenance counts are rounded too
    assert "59,800" in html or "59800" in html
    assert "60021" not in html


def test_public_counts_cells_withheld_or_rounded():
    rng = np.random.default_rng(3)
    cells = pd.DataFrame({"n": rng.poisson(6, size=7 * 24)})
    shown = _counts(cells, ["n"], "public", 10)["n"]
    for true, out in zip(cells["n"], shown, strict=True):
        if true < 10:
            assert out == "fewer than 10"
        else:
            assert out == "withheld" or (isinstance(out, int) and out % 5 == 0)
    exact = _counts(cells, ["n"], "restricted", 10)["n"]
    assert list(exact) == list(cells["n"])


def test_day_hour_heat_map(area, wards):
    rng = np.random.default_rng(5)
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
            "Sunday"]  # fmt: skip
    dh = pd.DataFrame(rng.poisson(3, (7, 24)), index=days, columns=range(24))
    dh.iloc[4:6, 20:24] = 40  # Friday and Saturday nights
    dh.iloc[0, 0] += 5 - int(dh.to_numpy().sum()) % 5 + 2  # total not a multiple of 5
    p = make_profile(area, day_hour=dh, day_hour_n=int(dh.to_numpy().sum()))
    html = profile_html(p, mode="public", wards=wards)
    assert "Incidents by day and hour" in html
    assert f"From the {int(dh.to_numpy().sum())} incidents" not in html
    pdf = profile_pdf(p, wards=wards)
    pages = render(pdf, "profile-day-hour")
    assert len(pages) >= 3


# -------------------------------------------------------------------- PDF


def test_profile_pdf_pages_show_map_and_tables(area, wards):
    p = make_profile(area)
    pdf = profile_pdf(p, wards=wards)
    assert pdf.startswith(b"%PDF")
    assert profile_pdf(p, wards=wards) == pdf  # deterministic
    pages = render(pdf, "profile-restricted")
    assert 3 <= len(pages) <= 5
    assert all(abs(pg.shape[1] - 595.3 * 1.5) <= 2 for pg in pages)  # A4 width
    texts = page_texts(pdf)
    assert "Evidence, not legal advice" in texts[0]
    assert "How the area compares" in texts[0]
    assert "Kent & Medway" in texts[0]
    everything = "\n".join(texts)
    for s in p.statutory:
        assert s["test"] in everything
    for text in ("Consultation and notification", "Method and provenance",
                 "On or near Eaton Hill", "Theft from the person", "Persistence",
                 "Open Government Licence"):  # fmt: skip
        assert text in everything, text
    # page 1: the map (between the header and the table) is mostly the area colour
    map_band = region(pages[0], 0.12, 0.55)
    assert colour_pixels(map_band, "#0072B2") > 20_000
    # incident points (vermillion) in restricted mode only
    restricted_dots = colour_pixels(map_band, "#D55E00")
    public = render(profile_pdf(p, mode="public", wards=wards), "profile-public")
    assert restricted_dots > 300
    assert colour_pixels(region(public[0], 0.12, 0.55), "#D55E00") == 0
    # the comparison table under the map has text (dark pixels)
    table_band = region(pages[0], 0.55, 0.8)
    assert (table_band.min(axis=2) < 100).sum() > 2_000


def test_long_tables_flow_onto_new_pages(area, wards):
    many = [(f"On or near Street number {i} with a long name", 50 - i)
            for i in range(40)]  # fmt: skip
    long_text = "The figures show a persistent problem. " * 40
    endless = "A very long account of the behaviour, line after line. " * 250
    statutory = [dict(s, shows=long_text) for s in make_profile(area).statutory]
    statutory[0] = dict(statutory[0], shows=endless + "THE END.")
    p = make_profile(area, top_locations=many, statutory=statutory)
    pdf = profile_pdf(p, wards=wards)
    texts = page_texts(pdf)
    render(pdf, "profile-long")
    everything = "\n".join(texts)
    for loc, _ in many:
        assert loc in everything  # no row cut off
    assert sum("Location as recorded" in t for t in texts) >= 1
    # a cell taller than a page continues on the next page, to its end
    assert "THE END." in everything
    assert sum("What the data shows" in t for t in texts) >= 3


def test_evaluation_reports(area, wards):
    ev = make_evaluation(area)
    html = evaluation_html(ev, wards=wards)
    assert not re.search(r"https?://", html)
    for text in ("Evidence, not legal advice", "reduction with diffusion of benefit",
                 "Ra/Ca − Rb/Cb", "Ba/Ca − Bb/Cb", "(Rb·Ca/Cb − Ra) + (Bb·Ca/Cb − Ba)",
                 "WDQ &gt; 0: diffusion of benefit", "WDQ &lt; 0: displacement",
                 "WDQ &lt; −1", "area vs control", "buffer vs control", ">520<",
                 ">431<", "-89", "the rest of Thanet", "400 m", "0.006",
                 "Bowers &amp; Johnson", "Method and provenance"):  # fmt: skip
        assert text in html, text
    assert f"{ev.wdq:.2f}" in html
    pdf = evaluation_pdf(ev, wards=wards)
    assert evaluation_pdf(ev, wards=wards) == pdf
    pages = render(pdf, "evaluation-restricted")
    assert 2 <= len(pages) <= 3
    texts = page_texts(pdf)
    assert "Evidence, not legal advice" in texts[0]
    assert "Incidents before and after the order" in texts[0]
    maps = region(pages[0], 0.12, 0.5)
    assert colour_pixels(maps, "#0072B2") > 5_000  # the order area
    assert colour_pixels(maps, "#E69F00") > 5_000  # the buffer ring
    assert colour_pixels(maps, "#009E73") > 5_000  # the control
    everything = "\n".join(texts)
    for text in ("Weighted displacement quotient", "How to read the WDQ",
                 "Limitations", "Open Government Licence"):  # fmt: skip
        assert text in everything, text


def test_evaluation_public(area, wards):
    ev = make_evaluation(area)
    html = evaluation_html(ev, mode="public", wards=wards)
    # 520 -> 520, 431 -> 430, 296 -> 295, 7,420 -> 7,420; p-values not published
    assert ">430<" in html
    assert ">295<" in html
    assert ">431<" not in html
    assert ">296<" not in html
    # p-values recomputed from the published counts, not the engine's exact ones
    assert "0.006" not in html
    assert f">{pspo.change_p(520, 430, 6, 6):.3f}<" in html
    assert "fell from 520 to 431" not in html
    # ratios recomputed from the published counts
    rb, ra, bb, ba, cb, ca = 520, 430, 300, 295, 7300, 7420
    assert f"{(ba / ca - bb / cb) / (ra / ca - rb / cb):.2f}" in html
    assert f"{(rb * ca / cb - ra) + (bb * ca / cb - ba):.1f}" in html
    # a small area count is withheld and takes the ratios with it
    small = ev.counts.copy()
    small.loc["area", ["before", "after"]] = [8, 3]
    html = evaluation_html(dataclasses.replace(ev, counts=small), mode="public",
                           wards=wards)  # fmt: skip
    assert "fewer than 10" in html
    assert "withheld" in html
    render(evaluation_pdf(ev, mode="public", wards=wards), "evaluation-public")


# ----------------------------------------------------------- write_report


def test_write_report(area, wards, tmp_path):
    p, ev = make_profile(area), make_evaluation(area)
    out = write_report(p, tmp_path / "profile.html", mode="public")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "public version" in out.read_text(encoding="utf-8")
    out = write_report(ev, tmp_path / "Evaluation.PDF", mode="restricted")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(HotspotsError, match=r"'report\.docx'.*'\.html' or '\.pdf'"):
        write_report(p, tmp_path / "report.docx", mode="public")
    with pytest.raises(HotspotsError, match="must end in"):
        write_report(p, tmp_path / "report", mode="public")
    with pytest.raises(HotspotsError, match="AreaProfile"):
        write_report({"area": area}, tmp_path / "x.html", mode="public")  # type: ignore[arg-type]
    with pytest.raises(HotspotsError, match="mode"):
        write_report(p, tmp_path / "x.html", mode="secret")
    with pytest.raises(HotspotsError, match="threshold"):
        profile_html(p, mode="public", threshold=0)
    with pytest.raises(HotspotsError, match="Evaluation"):
        evaluation_pdf(p)  # type: ignore[arg-type]


def test_not_legal_advice_is_plain():
    assert NOT_LEGAL_ADVICE.startswith("Evidence, not legal advice.")


# ------------------------------------------------- on the bundled Kent data


@pytest.fixture(scope="module")
def kent():
    if not bundled.POLICE_UK_KENT.exists():
        pytest.skip("bundled police.uk data not built (make data)")
    g = gpd.read_parquet(bundled.POLICE_UK_KENT)
    area = pspo.read_area(SAMPLE.name, SAMPLE.read_bytes())
    return g, area


@pytest.fixture(scope="module")
def real_profile(kent):
    g, area = kent
    return pspo.profile_area(
        g, area, months=["2024-01", "2024-02", "2024-03", "2024-04"]
    )


@pytest.fixture(scope="module")
def real_evaluation(kent):
    g, area = kent
    return pspo.evaluate_order(g, area, "2022-07")


def test_real_profile_reports(real_profile, wards):
    p = real_profile
    n = int(p.comparison.loc["area", "incidents"])
    pdf = profile_pdf(p, wards=wards)
    pages = render(pdf, "real-profile-restricted")
    texts = page_texts(pdf)
    assert "Evidence, not legal advice" in texts[0]
    assert f"{n:,} incidents were recorded" in texts[0]
    everything = " ".join(texts)
    for s in p.statutory:
        assert " ".join(s["test"].split()) in everything
    for loc, _ in p.top_locations:
        assert loc in everything
    assert colour_pixels(region(pages[0], 0.12, 0.5), "#0072B2") > 20_000
    assert colour_pixels(region(pages[0], 0.12, 0.5), "#D55E00") > 100  # points

    public_pdf = profile_pdf(p, mode="public", wards=wards)
    public = render(public_pdf, "real-profile-public")
    assert colour_pixels(region(public[0], 0.12, 0.5), "#D55E00") == 0
    html = profile_html(p, mode="public", wards=wards)
    assert f">{n:,}<" not in html or n % 5 == 0
    assert f">{5 * round(n / 5):,}<" in html
    assert not re.search(r"https?://", html)


def test_real_evaluation_reports(real_evaluation, wards):
    ev = real_evaluation
    pdf = evaluation_pdf(ev, wards=wards)
    pages = render(pdf, "real-evaluation-restricted")
    texts = page_texts(pdf)
    assert f"Verdict: {ev.verdict}" in texts[0]
    maps = region(pages[0], 0.12, 0.5)
    for colour in ("#0072B2", "#E69F00", "#009E73"):
        assert colour_pixels(maps, colour) > 5_000, colour
    rb = int(ev.counts.loc["area", "before"])
    html = evaluation_html(ev, wards=wards)
    assert f">{rb:,}<" in html
    render(evaluation_pdf(ev, mode="public", wards=wards), "real-evaluation-public")
    public = evaluation_html(ev, mode="public", wards=wards)
    assert ev.sentence not in public
    assert f">{5 * round(rb / 5):,}<" in public
