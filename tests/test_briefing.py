"""Tests of hotspots.briefing on the bundled Kent data (plan of 3 sites, 2024-01..04)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import bundled
from hotspots._validate import HotspotsError
from hotspots.briefing import (
    briefing_html,
    briefing_pdf,
    site_profile,
    write_briefings,
)
from hotspots.planner import plan_sites

pytestmark = pytest.mark.skipif(
    not (
        bundled.POLICE_UK_KENT.exists()
        and bundled.DISTRICTS.exists()
        and bundled.SCHOOLS.exists()
    ),
    reason="bundled Kent data not built (make data)",
)

RADIUS = 300.0


@pytest.fixture(scope="module")
def kent():
    from hotspots.store import read_bundled_police

    g = read_bundled_police()
    g = g[g["month"] >= pd.Period("2024-01", "M")].copy()
    plan = plan_sites(g, k=3, radius=RADIUS, max_per_district=1)
    return g, plan


@pytest.fixture(scope="module")
def schools():
    return gpd.read_parquet(bundled.SCHOOLS)


def _centre(plan, rank):
    return plan.sites.loc[plan.sites["rank"] == rank].geometry.iloc[0]


def _inside(g, plan, rank):
    """Independent footprint: geopandas distance, located rows only."""
    c = _centre(plan, rank)
    pts = g[~g.geometry.is_empty]
    return pts[pts.geometry.distance(c) <= RADIUS]


def _with_safeguarding(g, plan, rank, n):
    """A copy with the first `n` footprint rows of site `rank` marked safeguarding."""
    g2 = g.copy()
    idx = _inside(g, plan, rank).index[:n]
    g2["sensitivity"] = g2["sensitivity"].astype("string")
    g2.loc[idx, "sensitivity"] = "safeguarding"
    g2.loc[idx, "location_text"] = "SECRET SAFEGUARDING PLACE"
    return g2, idx


# ---------------------------------------------------------------- profile


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_counts_by_theme_equal_independent_count(kent, rank):
    g, plan = kent
    p = site_profile(plan, g, rank)
    inside = _inside(g, plan, rank)
    # and a second, spatial-join count
    hit = gpd.sjoin(
        g[~g.geometry.is_empty][["theme", "geometry"]],
        plan.sites.loc[plan.sites["rank"] == rank, ["geometry"]],
        predicate="dwithin",
        distance=RADIUS,
    )
    expected = inside["theme"].value_counts().to_dict()
    assert p["themes"] == expected
    assert hit["theme"].value_counts().to_dict() == expected
    assert p["incidents"] == len(inside) == sum(p["themes"].values())
    site = plan.sites.loc[plan.sites["rank"] == rank].iloc[0]
    assert p["incidents"] == int(site["incidents"])
    assert p["ward_name"] == site["ward_name"]
    assert p["lad_name"] == site["lad_name"]
    assert p["explanation"] == site["explanation"]
    # themes are listed largest first
    assert list(p["themes"].values()) == sorted(p["themes"].values(), reverse=True)


def test_monthly_trend_and_centre(kent):
    g, plan = kent
    p = site_profile(plan, g, 1)
    inside = _inside(g, plan, 1)
    assert list(p["months"]) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    for m, n in p["months"].items():
        assert n == int((inside["month"] == pd.Period(m, "M")).sum())
    c = _centre(plan, 1)
    assert (p["centre"]["x"], p["centre"]["y"]) == (c.x, c.y)
    # by OSTN15 (convertbng, as the README says), not PROJ's Helmert (2-5 m off)
    from convertbng.cutil import convert_lonlat

    (lon,), (lat,) = convert_lonlat([c.x], [c.y])
    assert p["centre"]["lon"] == pytest.approx(lon, abs=1e-9)
    assert p["centre"]["lat"] == pytest.approx(lat, abs=1e-9)
    helmert = gpd.GeoSeries([c], crs=27700).to_crs(4326).iloc[0]
    assert p["centre"]["lon"] != pytest.approx(helmert.x, abs=1e-5)
    assert 0.3 < p["centre"]["lon"] < 1.5
    assert 51 < p["centre"]["lat"] < 51.6


def test_months_zero_filled(kent):
    g, plan = kent
    # drop every footprint incident of 2024-02: the month stays, with 0
    inside = _inside(g, plan, 1)
    drop = inside.index[inside["month"] == pd.Period("2024-02", "M")]
    p = site_profile(plan, g.drop(index=drop), 1)
    assert p["months"]["2024-02"] == 0
    assert len(p["months"]) == 4


def test_top_locations_equal_value_counts(kent):
    g, plan = kent
    for rank in (1, 2):
        p = site_profile(plan, g, rank)
        inside = _inside(g, plan, rank)
        vc = inside["location_text"].value_counts()
        got = p["top_locations"]
        assert len(got) == 5
        assert [n for _, n in got] == vc.iloc[:5].tolist()
        for text, n in got:
            assert vc[text] == n


def test_schools_within_400m_equal_distance_filter(kent, schools):
    g, plan = kent
    for rank in (1, 2, 3):
        p = site_profile(plan, g, rank, schools=schools)
        c = _centre(plan, rank)
        s = schools[~schools.geometry.is_empty]
        d = s.geometry.distance(c)
        near = s[d <= 400].assign(d=d[d <= 400]).sort_values("d")
        assert [x["name"] for x in p["schools"]] == near["name"].tolist()
        assert [x["distance_m"] for x in p["schools"]] == [round(v) for v in near["d"]]
        prus = near["pupil_referral_unit"] | near["alternative_provision"]
        assert [x["pru"] for x in p["schools"]] == prus.tolist()
        site = plan.sites.loc[plan.sites["rank"] == rank].iloc[0]
        assert len(p["schools"]) == site["schools_400m"]


def test_crafted_schools_with_empty_geometry():
    # a tiny synthetic selection in Maidstone, crafted schools at known distances
    pts = shapely.points([[576_000 + i, 155_600] for i in range(30)])
    g = gpd.GeoDataFrame(
        {
            "month": pd.PeriodIndex(["2024-01"] * 30, freq="M"),
            "theme": ["acquisitive"] * 30,
            "location_text": ["On or near A"] * 30,
            "sensitivity": ["none"] * 30,
            "source": ["police.uk"] * 30,
        },
        geometry=pts,
        crs=27700,
    )
    plan = plan_sites(g, k=1, radius=RADIUS)
    c = _centre(plan, 1)
    sch = gpd.GeoDataFrame(
        {
            "name": ["Near", "PRU", "Far", "Nowhere"],
            "establishment_type": ["Academy", "Pupil referral unit", "Academy", "x"],
            "pupil_referral_unit": [False, True, False, False],
            "alternative_provision": [False, False, False, False],
        },
        geometry=[
            shapely.Point(c.x + 100, c.y),
            shapely.Point(c.x, c.y - 399.5),
            shapely.Point(c.x + 400.5, c.y),
            shapely.Point(),
        ],
        crs=27700,
    )
    p = site_profile(plan, g, 1, schools=sch)
    assert [(s["name"], s["pru"], s["distance_m"]) for s in p["schools"]] == [
        ("Near", False, 100),
        ("PRU", True, 400),
    ]
    assert p["incidents"] == 30
    assert p["themes"] == {"acquisitive": 30}
    html = briefing_html(plan, g, 1, schools=sch, wards=g.iloc[:0])
    assert "PRU/AP" in html


# ---------------------------------------------------------------- disclosure


def test_public_mode_hides_small_counts(kent):
    g, plan = kent
    g2, _idx = _with_safeguarding(g, plan, 1, 7)
    r = site_profile(plan, g2, 1, mode="restricted")
    assert r["safeguarding"] == 7
    p = site_profile(plan, g2, 1, mode="public")
    assert p["safeguarding"] == "fewer than 10"
    assert "7 safeguarding" not in p["explanation"]
    assert "fewer than 10" in p["explanation"]
    # every published count is >= 10 and a multiple of 5, or withheld
    for table in (p["themes"], p["months"], dict(p["top_locations"])):
        for v in table.values():
            assert (isinstance(v, int) and v >= 10 and v % 5 == 0) or isinstance(v, str)
    # small theme counts (restricted < 10) are never shown as numbers
    for theme, n in r["themes"].items():
        if n < 10:
            assert p["themes"][theme] == "fewer than 10"
    assert p["incidents"] == 5 * int(np.floor(r["incidents"] / 5 + 0.5))
    assert len(p["points"]) == 0  # no incident points in public mode
    # a larger safeguarding count is shown, rounded
    g3, _ = _with_safeguarding(g, plan, 1, 23)
    assert site_profile(plan, g3, 1, mode="public")["safeguarding"] == 25
    html = briefing_html(plan, g2, 1, mode="public")
    assert "safeguarding concerns: fewer than 10" in html


def test_public_mode_secondary_suppression(kent):
    g, plan = kent
    g2 = g.copy()
    inside = _inside(g, plan, 1)
    # make exactly one theme small: re-label 3 footprint rows as a new theme
    g2["theme"] = g2["theme"].astype("string")
    g2.loc[inside.index[:3], "theme"] = "tiny theme"
    p = site_profile(plan, g2, 1, mode="public")
    assert p["themes"]["tiny theme"] == "fewer than 10"
    # the total is published, so a second theme must be withheld too
    withheld = [k for k, v in p["themes"].items() if isinstance(v, str)]
    assert len(withheld) >= 2


def test_safeguarding_counted_never_shown(kent):
    g, plan = kent
    g2, idx = _with_safeguarding(g, plan, 1, 12)
    p = site_profile(plan, g2, 1)
    assert p["safeguarding"] == 12
    assert p["incidents"] == len(_inside(g, plan, 1))  # still counted
    assert all(t != "SECRET SAFEGUARDING PLACE" for t, _ in p["top_locations"])
    # the map dots are exactly the non-safeguarding footprint points
    inside = _inside(g2, plan, 1)
    expected = inside.drop(index=idx).geometry.get_coordinates().to_numpy()
    assert len(p["points"]) == len(inside) - 12
    assert np.array_equal(np.sort(p["points"], axis=0), np.sort(expected, axis=0))
    sg_xy = {tuple(xy) for xy in g2.loc[idx].geometry.get_coordinates().to_numpy()}
    non_sg = {tuple(xy) for xy in expected}
    # a safeguarding row only appears as a dot when a non-safeguarding row shares it
    dots = {tuple(xy) for xy in p["points"]}
    assert dots <= non_sg
    assert sg_xy - non_sg == sg_xy - dots
    html = briefing_html(plan, g2, 1)
    assert "SECRET SAFEGUARDING PLACE" not in html


# ---------------------------------------------------------------- HTML / PDF


def test_html_escapes_location_text(kent):
    g, plan = kent
    g2 = g.copy()
    c = _centre(plan, 1)
    n = 200  # enough to be a top location
    extra = g2.iloc[:n].copy()
    extra["location_text"] = "<script>alert(1)</script>"
    extra["sensitivity"] = pd.array(["none"] * n, dtype="string")
    extra = extra.set_geometry(
        gpd.GeoSeries([shapely.Point(c.x + 10, c.y + 10)] * n, crs=g.crs).values
    )
    extra.index = pd.RangeIndex(10**7, 10**7 + n)
    g2 = pd.concat([g2, extra])
    p = site_profile(plan, g2, 1)
    assert p["top_locations"][0] == ("<script>alert(1)</script>", n)
    html = briefing_html(plan, g2, 1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_html_self_contained(kent):
    g, plan = kent
    html = briefing_html(plan, g, 1, provenance={"software": "hotspots x", "a": 1})
    assert html.startswith("<!DOCTYPE html>")
    srcs = re.findall(r'src\s*=\s*["\']?([^"\' >]*)', html, flags=re.I)
    assert len(srcs) == 2
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(href|src)\s*=\s*["\']?https?:', html, flags=re.I)
    assert "<link" not in html.lower()
    assert "@import" not in html
    assert "Open Government Licence v3.0" in html
    assert "hotspots 0." in html
    assert "radius 300 m" in html
    assert "2024-01 to 2024-04" in html
    site = plan.sites.loc[plan.sites["rank"] == 1].iloc[0]
    assert str(site["ward_name"]) in html


def test_pdf_one_page(kent):
    g, plan = kent
    pdf = briefing_pdf(plan, g, 2)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    assert b"/MediaBox [ 0 0 595" in pdf  # A4 width in points
    assert briefing_pdf(plan, g, 2) == pdf  # deterministic


def test_write_briefings(kent, tmp_path):
    g, plan = kent
    paths = write_briefings(plan, g, tmp_path / "out", fmt=("html",))
    assert len(paths) == 3
    for path, (_, site) in zip(paths, plan.sites.iterrows(), strict=True):
        assert path.name.startswith(f"site-{site['rank']}-")
        assert path.suffix == ".html"
        assert re.fullmatch(r"site-\d-[a-z0-9-]+\.html", path.name)
        assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    one = write_briefings(plan, g, tmp_path, fmt="pdf")
    assert [p.suffix for p in one] == [".pdf"] * 3
    with pytest.raises(HotspotsError, match="docx"):
        write_briefings(plan, g, tmp_path, fmt=("docx",))


# ---------------------------------------------------------------- bad input


def test_rank_not_in_plan(kent):
    g, plan = kent
    with pytest.raises(HotspotsError, match=r"ranks available are \[1, 2, 3\]"):
        site_profile(plan, g, 4)
    with pytest.raises(HotspotsError, match="ranks available"):
        briefing_html(plan, g, 0)
    with pytest.raises(HotspotsError, match="whole number"):
        briefing_pdf(plan, g, 1.5)  # type: ignore[arg-type]


def test_bad_inputs(kent):
    g, plan = kent
    with pytest.raises(HotspotsError, match="mode"):
        site_profile(plan, g, 1, mode="secret")
    with pytest.raises(HotspotsError, match="threshold"):
        site_profile(plan, g, 1, mode="public", threshold=0)
    with pytest.raises(HotspotsError):
        site_profile(plan, g.to_crs(4326), 1)
    with pytest.raises(HotspotsError, match="PlanResult"):
        site_profile({"sites": None}, g, 1)  # type: ignore[arg-type]
    with pytest.raises(HotspotsError, match="schools"):
        site_profile(plan, g, 1, schools=gpd.read_parquet(bundled.SCHOOLS).to_crs(3857))


def test_empty_and_unlocated(kent):
    g, plan = kent
    p = site_profile(plan, g.iloc[:0], 1)
    assert p["incidents"] == 0
    assert p["themes"] == {}
    assert p["top_locations"] == []
    assert all(v == 0 for v in p["months"].values())
    unloc = g.iloc[:50].copy()
    unloc = unloc.set_geometry(gpd.GeoSeries([shapely.Point()] * 50, crs=g.crs).values)
    p = site_profile(plan, unloc, 1)
    assert p["incidents"] == 0
    pdf = briefing_pdf(plan, unloc, 1, mode="public")
    assert pdf.startswith(b"%PDF")
    assert "None" in briefing_html(plan, unloc, 1)
