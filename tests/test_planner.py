"""Street-week planner: exact optimum, constraints, determinism, explanations, errors."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from hotspots import bundled
from hotspots._validate import HotspotsError
from hotspots.planner import PlanInfeasible, plan_sites

X0, Y0 = 576_000.0, 150_000.0
CRS = "EPSG:27700"


def incidents(
    spots: list[tuple[float, float, int]],
    *,
    months: list[str] | None = None,
    theme: str = "ASB & public space",
    source: str = "police.uk",
    sensitivity: str = "public",
    start: int = 0,
) -> gpd.GeoDataFrame:
    """`count` incidents at each (dx, dy) offset from (X0, Y0), months cycling."""
    months = months or ["2024-01", "2024-02", "2024-03"]
    xs, ys, ms = [], [], []
    for dx, dy, count in spots:
        for i in range(count):
            xs.append(X0 + dx)
            ys.append(Y0 + dy)
            ms.append(months[i % len(months)])
    n = len(xs)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"{sensitivity}-{start + i}" for i in range(n)],
            "source": source,
            "month": pd.PeriodIndex(ms, freq="M"),
            "theme": theme,
            "category": "x",
            "sensitivity": sensitivity,
            "weight": 1.0,
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=CRS,
    )


def layer(rects: list[tuple[str, float, float, float, float]], col: str, name: str):
    """Rectangles (code, dx0, dy0, dx1, dy1) around (X0, Y0) as a boundary layer."""
    return gpd.GeoDataFrame(
        {col: [r[0] for r in rects], name: [f"{r[0]} name" for r in rects]},
        geometry=[
            shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, a, b, c, d in rects
        ],
        crs=CRS,
    )


# three districts side by side, 3 km wide each, one ward each
DISTRICTS = layer(
    [
        ("D1", -5_000, -5_000, 1_000, 5_000),
        ("D2", 1_000, -5_000, 4_000, 5_000),
        ("D3", 4_000, -5_000, 9_000, 5_000),
    ],
    "lad_code",
    "lad_name",
)
WARDS = layer(
    [
        ("W1", -5_000, -5_000, 1_000, 5_000),
        ("W2", 1_000, -5_000, 4_000, 5_000),
        ("W3", 4_000, -5_000, 9_000, 5_000),
    ],
    "ward_code",
    "ward_name",
)
NO_SCHOOLS = gpd.GeoDataFrame(
    {"pupil_referral_unit": [], "alternative_provision": []},
    geometry=gpd.GeoSeries([], crs=CRS),
    crs=CRS,
)
NO_IMD = gpd.GeoDataFrame(
    {"imd_decile": []}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS
)
AREAS = {"districts": DISTRICTS, "wards": WARDS, "schools": NO_SCHOOLS}
AREAS_IMD = {**AREAS, "deprivation": NO_IMD}


def coverage_value(sites: gpd.GeoDataFrame, pts: gpd.GeoDataFrame, radius: float):
    """Harm (sum of weight) of incidents within radius of any site: direct distances."""
    xy = pts.geometry.get_coordinates().to_numpy()
    s = sites.geometry.get_coordinates().to_numpy()
    d = np.hypot(xy[:, None, 0] - s[None, :, 0], xy[:, None, 1] - s[None, :, 1])
    return float(pts["weight"].to_numpy()[(d <= radius).any(axis=1)].sum())


# ------------------------------------------------------------------ outputs


@pytest.fixture
def greedy_trap() -> gpd.GeoDataFrame:
    """a(3) m1(4) m2(4) b(3) on a line 500 m apart: greedy takes m1+m2, optimum 14.

    With radius 300 a footprint reaches two neighbours (250 m each side) but not
    three; the middle pair (8) beats either end pair (7), so greedy's first pick
    is the middle, and then only 3 more can be had; the two end pairs give 14.
    """
    return incidents([(0, 50, 3), (500, 50, 4), (1000, 50, 4), (1500, 50, 3)])


def test_exact_beats_greedy_on_the_classic_trap(greedy_trap):
    kw = dict(k=2, radius=300.0, min_separation=0, **AREAS_IMD)
    greedy = plan_sites(greedy_trap, method="greedy", **kw)
    exact = plan_sites(greedy_trap, method="exact", **kw)
    assert greedy.parameters["objective"] == 11.0
    assert greedy.sites["incidents"].tolist()[0] == 8  # the middle pair first
    assert exact.parameters["objective"] == 14.0
    assert exact.parameters["solver"].startswith("exact (HiGHS MILP)")
    assert sorted(exact.sites["incidents"]) == [7, 7]
    # every figure checked against direct distances
    assert coverage_value(exact.sites, greedy_trap, 300) == 14.0
    assert coverage_value(greedy.sites, greedy_trap, 300) == 11.0
    # bounds are valid and the exact gap closes
    assert exact.parameters["bound"] >= 14.0 - 1e-9
    assert exact.parameters["gap"] == pytest.approx(0.0, abs=1e-9)
    assert greedy.parameters["bound"] >= 14.0 - 1e-9
    # auto uses the exact solver here
    auto = plan_sites(greedy_trap, **kw)
    assert auto.parameters["objective"] == 14.0


def brute_force(cands: gpd.GeoDataFrame, pts, radius, k, sep, max_per=None, req=()):
    """Best total over every feasible k-set of the candidates (direct distances)."""
    c = cands.geometry.get_coordinates().to_numpy()
    xy = pts.geometry.get_coordinates().to_numpy()
    w = pts["weight"].to_numpy()
    cov = np.hypot(xy[None, :, 0] - c[:, None, 0], xy[None, :, 1] - c[:, None, 1])
    cov = cov <= radius
    lad = cands["lad_code"].to_numpy()
    best = 0.0
    for combo in itertools.combinations(range(len(c)), k):
        idx = list(combo)
        if sep > 0 and any(
            math.dist(c[a], c[b]) < sep for a, b in itertools.combinations(idx, 2)
        ):
            continue
        codes = lad[idx].tolist()
        if max_per is not None and max(codes.count(x) for x in codes) > max_per:
            continue
        if any(r not in codes for r in req):
            continue
        best = max(best, float(w[cov[idx].any(axis=0)].sum()))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    spots = [
        (float(rng.integers(0, 40) * 37), float(rng.integers(0, 10) * 41), int(n))
        for n in rng.integers(1, 6, size=12)
    ]
    pts = incidents(spots)
    res = plan_sites(
        pts,
        k=2,
        radius=150.0,
        min_separation=400,
        cell_size=100,
        method="exact",
        keep_candidates=True,
        **AREAS_IMD,
    )
    best = brute_force(res.candidates, pts, 150.0, 2, 400)
    assert res.parameters["objective"] == pytest.approx(best)
    assert coverage_value(res.sites, pts, 150.0) == pytest.approx(best)
    assert res.parameters["bound"] >= best - 1e-6


def clustered(seed: int) -> gpd.GeoDataFrame:
    """Clusters of snapped incidents over the three districts, some safeguarding."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([-3_000, -3_000], [8_000, 3_000], size=(12, 2))
    spots = []
    for cx, cy in centres:
        for _ in range(int(rng.integers(3, 10))):
            dx, dy = rng.normal([cx, cy], 150)
            spots.append((round(dx, 1), round(dy, 1), int(rng.integers(1, 8))))
    base = incidents(spots, months=["2024-01", "2024-02", "2024-03", "2024-04"])
    sg = incidents(
        [(round(cx + 7.3, 1), round(cy - 3.1, 1), 2) for cx, cy in centres[:4]],
        sensitivity="safeguarding",
        theme="exploitation & safeguarding",
        source="partner",
    )
    return pd.concat([base, sg], ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("method", ["greedy", "exact"])
def test_constraints_always_hold(seed, method):
    pts = clustered(seed)
    exclude = gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2024-03-01"])},
        geometry=[pts.geometry.iloc[0]],
        crs=CRS,
    )
    res = plan_sites(
        pts,
        k=4,
        radius=250.0,
        min_separation=800,
        max_per_district=2,
        require_districts=["D3", "D1"],
        exclude=exclude,
        method=method,
        time_limit=5,
        **AREAS_IMD,
    )
    s = res.sites
    assert len(s) == 4
    xy = s.geometry.get_coordinates().to_numpy()
    for a, b in itertools.combinations(range(4), 2):
        assert math.dist(xy[a], xy[b]) >= 800 - 1e-9
    # district by an independent point-in-polygon join
    joined = gpd.sjoin(s[["geometry"]], DISTRICTS, predicate="within")
    assert joined["lad_code"].value_counts().max() <= 2
    assert {"D1", "D3"} <= set(joined["lad_code"])
    assert (joined["lad_code"].sort_index() == s["lad_code"]).all()
    assert (s.distance(exclude.geometry.iloc[0]) > 250).all()
    assert s["rank"].tolist() == [1, 2, 3, 4]
    p = res.parameters
    assert p["bound"] >= p["objective"] - 1e-9
    assert p["unconstrained_harm"] >= p["harm_covered"] - 1e-9
    assert p["constraint_cost_harm"] == pytest.approx(
        p["unconstrained_harm"] - p["harm_covered"]
    )
    assert p["harm_covered"] == pytest.approx(coverage_value(s, pts, 250.0))


def test_exclusions_only_since_date():
    pts = incidents([(0, 0, 20), (3_000, 0, 5)])
    old = gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2023-01-01"])},
        geometry=[shapely.Point(X0, Y0)],
        crs=CRS,
    )
    kept = plan_sites(
        pts, k=1, radius=200, exclude=old, exclude_since="2024-01-01", **AREAS_IMD
    )
    assert kept.sites["incidents"].iloc[0] == 20
    gone = plan_sites(pts, k=1, radius=200, exclude=old, **AREAS_IMD)
    assert gone.sites["incidents"].iloc[0] == 5
    # a polygon excludes every centre within the radius of it
    poly = gpd.GeoDataFrame(geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50)])
    poly = poly.set_crs(CRS)
    res = plan_sites(pts, k=1, radius=200, exclude=poly, **AREAS_IMD)
    assert res.sites.distance(poly.geometry.iloc[0]).min() > 200


def test_deterministic():
    pts = clustered(5)
    a = plan_sites(pts, k=3, radius=250.0, max_per_district=1, **AREAS_IMD)
    b = plan_sites(
        pts.sample(frac=1.0, random_state=1),
        k=3,
        radius=250.0,
        max_per_district=1,
        **AREAS_IMD,
    )
    assert_geodataframe_equal(a.sites, b.sites)
    assert_geodataframe_equal(a.footprints, b.footprints)
    pa = {k: v for k, v in a.parameters.items() if k != "seconds"}
    pb = {k: v for k, v in b.parameters.items() if k != "seconds"}
    assert pa == pb


def test_ties_break_by_lower_candidate_id():
    # two identical spots far apart: the southern (lower id) one wins with k=1
    pts = incidents([(0, 2_000, 5), (0, 0, 5)])
    res = plan_sites(pts, k=1, radius=100, keep_candidates=True, **AREAS_IMD)
    site = res.sites.iloc[0]
    assert site["y"] < Y0 + 1_000
    c = res.candidates
    best = c[c["total"] == c["total"].max()]["site_id"].min()
    assert site["site_id"] == best


def test_explanation_figures_equal_independent_counts():
    pts = clustered(7)
    schools = gpd.GeoDataFrame(
        {
            "name": ["A", "B", "C"],
            "pupil_referral_unit": [False, True, False],
            "alternative_provision": [False, False, False],
        },
        geometry=[shapely.Point(X0 + 50 * i, Y0 + 30 * i) for i in range(3)],
        crs=CRS,
    )
    # move the schools next to the top site (schools do not change the pick)
    first = plan_sites(pts, k=3, radius=250.0, **AREAS_IMD)
    sx, sy = first.sites["x"].iloc[0], first.sites["y"].iloc[0]
    schools = schools.set_geometry(
        [
            shapely.Point(sx + 100, sy),
            shapely.Point(sx, sy - 350),
            shapely.Point(sx + 390, sy + 60),
        ]
    )
    res = plan_sites(
        pts,
        k=3,
        radius=250.0,
        districts=DISTRICTS,
        wards=WARDS,
        schools=schools,
        deprivation=NO_IMD,
    )
    s = res.sites
    hit = gpd.sjoin(pts, s[["rank", "geometry"]], predicate="dwithin", distance=250.0)
    n = hit.groupby("rank").size().reindex(s["rank"], fill_value=0)
    sg = (
        hit[hit["sensitivity"] == "safeguarding"]
        .groupby("rank")
        .size()
        .reindex(s["rank"], fill_value=0)
    )
    near = gpd.sjoin(
        s[["rank", "geometry"]], schools, predicate="dwithin", distance=400.0
    )
    n_sch = near.groupby("rank").size().reindex(s["rank"], fill_value=0)
    located = int((~pts.geometry.is_empty).sum())
    assert s["incidents"].tolist() == n.tolist()
    assert s["safeguarding"].tolist() == sg.tolist()
    assert s["schools_400m"].tolist() == n_sch.tolist()
    assert s["schools_400m"].iloc[0] == 3
    assert s["prus_400m"].iloc[0] == 1
    for row, count, guard, nearby in zip(s.itertuples(), n, sg, n_sch, strict=True):
        text = row.explanation
        assert f"Covers {count:,} incidents ({count / located:.1%} of the " in text
        assert f"{located:,} located" in text
        assert f"{guard} safeguarding concern" in text
        assert f"{nearby} school" in text
        assert "0.20 km²" in text  # pi x 250² = 0.196 km²
        # trend: recent third = 2024-04, earlier = 2024-01..03, rate per month
        inside = hit[hit["rank"] == row.rank]
        rec = int((inside["month"] == pd.Period("2024-04", "M")).sum())
        ratio = rec / ((len(inside) - rec) / 3)
        word = "up" if ratio >= 1 else "down"
        assert (
            f"monthly rate {word} {abs(ratio - 1):.0%} in 2024-04 on 2024-01..2024-03"
            in text
        )
    # footprints: circles of the radius around the sites (buffer + sjoin count)
    fp = res.footprints
    assert fp["area_km2"].iloc[0] == pytest.approx(math.pi * 250**2 / 1e6)
    inside_fp = gpd.sjoin(pts, fp[["rank", "geometry"]], predicate="intersects")
    counts = inside_fp.groupby("rank").size().reindex(s["rank"], fill_value=0)
    # the polygon is inscribed in the circle: it can only miss points on the rim
    assert (counts.to_numpy() <= n.to_numpy()).all()
    assert (counts.to_numpy() >= n.to_numpy() - 2).all()
    assert s["ward_code"].notna().all()


def test_safeguarding_counted_never_output_as_points():
    public = incidents([(0, 0, 5), (2_000, 0, 6)])
    sg = incidents([(2_033.3, 17.7, 9)], sensitivity="safeguarding", start=100)
    pts = pd.concat([public, sg], ignore_index=True)
    res = plan_sites(pts, k=1, radius=200, keep_candidates=True, **AREAS_IMD)
    site = res.sites.iloc[0]
    assert site["safeguarding"] == 9
    assert site["incidents"] == 15  # the safeguarding rows tip the choice
    assert "9 safeguarding concerns" in site["explanation"]
    secret = sg.geometry.iloc[0]
    for frame in (res.sites, res.candidates):
        assert not frame.geometry.geom_equals(secret).any()
        assert not (frame.geometry.distance(secret) < 1e-6).any()
        assert not frame.columns.isin(["incident_id", "location_text"]).any()
    assert res.parameters["safeguarding_covered"] == 9


def test_unlocated_rows_count_in_totals_only():
    pts = incidents([(0, 0, 4)])
    empty = pts.iloc[:2].copy()
    empty = empty.set_geometry([shapely.Point(), shapely.Point()], crs=CRS)
    both = pd.concat([pts, empty], ignore_index=True)
    res = plan_sites(both, k=1, radius=100, **AREAS_IMD)
    assert res.parameters["incidents_unlocated"] == 2
    assert res.parameters["incidents_located"] == 4
    assert res.sites["incidents"].iloc[0] == 4


def test_weights_change_the_pick():
    asb = incidents([(0, 0, 10)])
    drugs = incidents([(3_000, 0, 6)], theme="drugs & county lines", start=50)
    pts = pd.concat([asb, drugs], ignore_index=True)
    plain = plan_sites(pts, k=1, radius=100, **AREAS_IMD)
    assert plain.sites["incidents"].iloc[0] == 10
    heavy = plan_sites(
        pts, k=1, radius=100, weights={"drugs & county lines": 2.0}, **AREAS_IMD
    )
    assert heavy.sites["harm"].iloc[0] == 12.0
    by_source = plan_sites(
        pts, k=1, radius=100, weights={"source:police.uk": 0.5}, **AREAS_IMD
    )
    assert by_source.sites["harm"].iloc[0] == 5.0


def test_priorities_add_scaled_bonus():
    pts = incidents([(0, 0, 10), (3_000, 0, 9)])
    school = gpd.GeoDataFrame(
        {"pupil_referral_unit": [True], "alternative_provision": [False]},
        geometry=[shapely.Point(X0 + 3_000, Y0 + 100)],
        crs=CRS,
    )
    kw = {
        "k": 1,
        "radius": 100,
        "districts": DISTRICTS,
        "wards": WARDS,
        "deprivation": NO_IMD,
    }
    off = plan_sites(pts, schools=school, **kw)
    assert off.sites["incidents"].iloc[0] == 10
    on = plan_sites(pts, schools=school, priorities={"schools": 0.2}, **kw)
    s = on.sites.iloc[0]
    assert s["incidents"] == 9
    assert s["schools_term"] == pytest.approx(2 / 3)  # one PRU counts twice of 3
    assert s["bonus"] == pytest.approx(10 * 0.2 * 2 / 3)  # scale = best harm (10)
    assert s["total"] == pytest.approx(9 + 10 * 0.2 * 2 / 3)


def test_persistence_and_trend_terms():
    steady = incidents([(0, 0, 12)], months=["2024-01", "2024-02", "2024-03"])
    rising = incidents([(3_000, 0, 12)], months=["2024-03"], start=100)
    pts = pd.concat([steady, rising], ignore_index=True)
    res = plan_sites(pts, k=2, radius=100, keep_candidates=True, **AREAS_IMD)
    ordered = res.sites.sort_values("x")
    a, b = ordered.iloc[0], ordered.iloc[1]
    assert a["persistence_term"] == pytest.approx(1.0)
    assert b["persistence_term"] == pytest.approx(1 / 3)
    assert b["trend"] == "rising"
    assert b["trend_term"] == 1.0  # ratio infinite, capped at 1
    assert a["trend_term"] == 0.0


def test_given_months_count_a_month_without_incidents_as_none():
    """Months of the data without an incident of the selection are months with
    none: a site active in three months of six persists half the time, not
    always; an incident outside the months given is an error."""
    pts = incidents([(0, 0, 12)], months=["2024-01", "2024-02", "2024-03"])
    present = plan_sites(pts, k=1, radius=100, **AREAS_IMD).sites.iloc[0]
    assert present["months_active"] == 3
    six = [f"2024-{m:02d}" for m in range(1, 7)]
    given = plan_sites(pts, k=1, radius=100, months=six, keep_candidates=True,
                       **AREAS_IMD)  # fmt: skip
    site = given.sites.iloc[0]
    assert site["months_active"] == 3
    assert site["persistence_term"] == pytest.approx(3 / 6)
    assert "active in 3 of 6 months" in site["explanation"]
    assert site["trend"] == "falling"  # none in the recent two of six months
    assert present["trend"] == "stable"  # 2024-03 against 01..02: 4 of 12
    with pytest.raises(HotspotsError, match="2024-01 are not in the months given"):
        plan_sites(pts, k=1, radius=100, months=six[1:], **AREAS_IMD)


def test_trend_months_compare_only_the_months_every_source_holds():
    """Police data for 2024-01..06 and a partner log from 2024-04 at one place:
    over the six months the log's incidents look like a rise (and earn the
    trend bonus); over the months both hold (04..06) the place is steady. The
    other months still count in the site's incidents and months active."""
    from scipy.stats import binomtest

    six = [f"2024-{m:02d}" for m in range(1, 7)]
    police = incidents([(0, 0, 60)], months=six)
    log = incidents([(0, 0, 30)], months=six[3:], source="ASB log", start=100)
    pts = pd.concat([police, log], ignore_index=True)
    kw = {"k": 1, "radius": 100, "priorities": {"trend": 0.5}, **AREAS_IMD}
    union = plan_sites(pts, months=six, **kw).sites.iloc[0]
    assert union["trend"] == "rising"  # 2024-05..06: 40 of 90 against 2 of 6
    assert union["trend_term"] > 0
    shared = plan_sites(pts, months=six, trend_months=six[3:], **kw)
    site = shared.sites.iloc[0]
    assert site["incidents"] == 90
    assert site["months_active"] == 6
    assert site["recent_incidents"] == 20  # 2024-06: the recent third of 04..06
    assert site["trend_p"] == pytest.approx(binomtest(20, 60, 1 / 3).pvalue)
    assert site["trend"] == "stable"
    assert site["trend_term"] == 0.0
    assert shared.parameters["trend_months"] == six[3:]
    assert "in 2024-06 on 2024-04..2024-05" in site["explanation"]
    # no month in common: no trend (and no trend bonus), the rest unchanged
    none = plan_sites(pts, months=six, trend_months=[], **kw).sites.iloc[0]
    assert none["trend"] == "n/a"
    assert none["trend_term"] == 0.0
    assert none["incidents"] == 90


# ------------------------------------------------------------------ inputs


@pytest.fixture
def small() -> gpd.GeoDataFrame:
    return incidents([(0, 0, 5), (2_000, 0, 5), (5_000, 0, 5)])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"k": 0}, "`k` must be at least 1"),
        ({"k": 1.5}, "`k` must be a whole number"),
        ({"radius": 0}, "`radius` must be greater than 0"),
        ({"radius": -5}, "`radius` must be greater than 0"),
        ({"radius": float("nan")}, "`radius` must be greater than 0"),
        ({"min_separation": -1}, "`min_separation` must be 0 or more"),
        ({"max_per_district": 0}, "`max_per_district` must be at least 1"),
        ({"method": "magic"}, "`method` must be"),
        ({"weights": {"knives": 2}}, "Unknown weight key 'knives'"),
        ({"weights": {"acquisitive": -1}}, "must be 0 or more"),
        ({"priorities": {"beauty": 1}}, "Unknown priority 'beauty'"),
        (
            {"require_districts": ["E0XXXX"]},
            r"asks for a site in E0XXXX \(E0XXXX\), not among the districts",
        ),
        ({"k": 2, "require_districts": ["D1", "D2", "D3"]}, "raise k"),
        (
            {
                "k": 3,
                "max_per_district": 1,
                "min_separation": 0,
                "radius": 100,
                "require_districts": None,
                "districts": DISTRICTS.iloc[:1],
            },
            "`max_per_district` = 1",
        ),
        ({"k": 3, "min_separation": 100_000}, "`min_separation` = 100000 m"),
        ({"k": 400, "min_separation": 0}, "fewer than k = 400"),
    ],
)
def test_bad_parameters(small, kw, match):
    args = {**AREAS_IMD, **kw}
    with pytest.raises(HotspotsError, match=match):
        plan_sites(small, **args)


def test_an_impossible_plan_names_its_limit_for_callers_to_word(small):
    """`PlanInfeasible` carries which limit made k sites impossible, with the
    numbers a caller needs to say it with its own controls (the dashboard does)."""
    one = {**AREAS_IMD, "districts": DISTRICTS.iloc[:1]}
    with pytest.raises(PlanInfeasible) as err:
        plan_sites(small, k=3, max_per_district=1, min_separation=0, radius=100, **one)
    assert (err.value.limit, err.value.k, err.value.max_per) == ("per_district", 3, 1)
    assert (err.value.districts, err.value.possible) == (1, 1)

    with pytest.raises(PlanInfeasible) as err:
        plan_sites(small, k=3, min_separation=100_000, **AREAS_IMD)
    assert (err.value.limit, err.value.k, err.value.separation) == (
        "separation", 3, 100_000.0,
    )  # fmt: skip

    with pytest.raises(PlanInfeasible) as err:
        plan_sites(small, k=400, min_separation=0, **AREAS_IMD)
    assert (err.value.limit, err.value.k, err.value.excluded) == ("sites", 400, 0)
    # every 100 m cell centre within 300 m of one of the three places
    every = err.value.possible
    assert 0 < every < 400

    around_one = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=CRS)
    with pytest.raises(PlanInfeasible) as err:
        plan_sites(small, k=every, exclude=around_one, **AREAS_IMD)
    assert err.value.limit == "sites"
    assert err.value.possible < every
    assert err.value.excluded == 1
    assert isinstance(err.value, HotspotsError)  # callers catching that still do


def test_require_districts_accepts_one_code(small):
    res = plan_sites(small, k=2, require_districts="D3", **AREAS_IMD)
    assert "D3" in set(res.sites["lad_code"])
    assert res.parameters["require_districts"] == ["D3"]


def test_required_district_without_candidates(small):
    far = layer([("D9", 20_000, 20_000, 21_000, 21_000)], "lad_code", "lad_name")
    districts = pd.concat([DISTRICTS, far], ignore_index=True)
    with pytest.raises(HotspotsError, match="district D9 has no candidate"):
        plan_sites(
            small,
            k=2,
            require_districts=["D9"],
            districts=districts,
            wards=WARDS,
            schools=NO_SCHOOLS,
            deprivation=NO_IMD,
        )


def test_exclude_everything(small):
    everywhere = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 - 10_000, Y0 - 10_000, X0 + 10_000, Y0 + 10_000)],
        crs=CRS,
    )
    with pytest.raises(HotspotsError, match="after `exclude`"):
        plan_sites(small, k=1, exclude=everywhere, **AREAS_IMD)


def test_geographic_crs_refused(small):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        plan_sites(small.to_crs("EPSG:4326"), **AREAS_IMD)
    wgs = gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 51.2)], crs="EPSG:4326")
    with pytest.raises(HotspotsError, match="`exclude` must be in a projected CRS"):
        plan_sites(small, k=1, exclude=wgs, **AREAS_IMD)


def test_empty_and_unlocated_only(small):
    with pytest.raises(HotspotsError, match="empty"):
        plan_sites(small.iloc[:0], **AREAS_IMD)
    blank = small.set_geometry([shapely.Point()] * len(small), crs=CRS)
    with pytest.raises(HotspotsError, match="has a location"):
        plan_sites(blank, **AREAS_IMD)


def test_zero_harm_and_bad_weight_column(small):
    with pytest.raises(HotspotsError, match="harm 0"):
        plan_sites(small, k=1, weights={"ASB & public space": 0}, **AREAS_IMD)
    nan = small.assign(weight=[np.nan] + [1.0] * (len(small) - 1))
    with pytest.raises(
        HotspotsError, match=r"'weight' must hold finite weights.*row 0 has nan"
    ):
        plan_sites(nan, k=1, **AREAS_IMD)


def test_input_untouched(small):
    before = small.copy()
    plan_sites(small, k=2, **AREAS_IMD)
    assert_geodataframe_equal(small, before)


# ------------------------------------------------------------------ bundled Kent


@pytest.mark.skipif(
    not (bundled.POLICE_UK_KENT.exists() and bundled.DISTRICTS.exists()),
    reason="bundled Kent data not built (make data)",
)
def test_kent_six_sites_in_six_districts():
    from hotspots.store import read_bundled_police

    g = read_bundled_police()
    g = g[g["month"] >= pd.Period("2024-01", "M")]
    res = plan_sites(g, k=6, radius=300, max_per_district=1)
    s = res.sites
    assert len(s) == 6
    assert s["lad_code"].nunique() == 6
    assert s["explanation"].str.startswith("Covers ").all()
    p = res.parameters
    assert p["bound"] >= p["objective"] - 1e-6
    assert p["gap"] < 0.05
    # explanation counts = an independent dwithin count on the raw incidents
    pts = g[~g.geometry.is_empty]
    hit = gpd.sjoin(
        pts[["geometry"]], s[["rank", "geometry"]], predicate="dwithin", distance=300.0
    )
    n = hit.groupby("rank").size().reindex(s["rank"], fill_value=0)
    assert s["incidents"].tolist() == n.tolist()
