"""`hotspots pspo` on the bundled Kent data: a Margate profile and an order evaluation."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from hotspots.cli import main
from hotspots.store import read_bundled_police

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
ORDER = SAMPLES / "margate-town-centre-pspo.geojson"
THANET = "E07000114"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def police():
    return read_bundled_police()


@pytest.fixture(scope="module")
def order():
    return gpd.read_file(ORDER).to_crs(27700).geometry.union_all()


def inside(police, polygon, months):
    """Incidents in `months` whose point lies in `polygon` (independent count)."""
    rows = police[police["month"].astype(str).isin(months)]
    pts = rows.geometry.to_numpy()
    located = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    return int(shapely.intersects(polygon, pts[located]).sum())


def test_profile_of_margate_town_centre(capsys, tmp_path, police, order):
    out = tmp_path / "margate.pdf"
    code, stdout, err = run(
        capsys, "pspo", "profile", "--area", ORDER, "--from", "2024-01", "--to",
        "2024-04", "--mode", "restricted", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    s = last_json(stdout)
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert s["months"] == months
    assert s["district"] == "Thanet"
    assert s["incidents"]["area"] == inside(police, order, months)
    thanet = police[police["month"].astype(str).isin(months)]
    assert s["incidents"]["district"] == int((thanet["lad_code"] == THANET).sum())
    assert s["area_km2"] == pytest.approx(order.area / 1e6, abs=1e-4)
    assert s["per_km2"]["area"] == pytest.approx(
        s["incidents"]["area"] / s["area_km2"], rel=1e-3
    )
    # a town centre holds far more than its share of the district's land
    assert s["concentration"] > 5
    assert out.read_bytes().startswith(b"%PDF")
    assert s["mode"] == "restricted"


def test_evaluation_of_an_order_from_2022_07(capsys, tmp_path, police, order):
    out = tmp_path / "evaluation.html"
    code, stdout, err = run(
        capsys, "pspo", "evaluate", "--area", ORDER, "--start", "2022-07",
        "--buffer", "400", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    s = last_json(stdout)
    # equal windows of months present in the data: 2023-01 is left out
    assert s["before_months"] == [f"2022-{m:02d}" for m in range(1, 7)]
    assert s["after_months"] == [f"2022-{m:02d}" for m in range(7, 13)]
    exact = {
        "area": [inside(police, order, s[w]) for w in ("before_months", "after_months")]
    }
    ring = order.buffer(400).difference(order)
    exact["buffer"] = [inside(police, ring, s["before_months"])]
    # public mode (the default): the counts the report publishes, to the nearest
    # 5 (halves up), never the exact ones the terminal had printed
    assert [s["counts"]["area"]["before"], s["counts"]["area"]["after"]] == [
        5 * ((n + 2) // 5) for n in exact["area"]
    ]
    assert s["counts"]["buffer"]["before"] == 5 * ((exact["buffer"][0] + 2) // 5)
    assert any(n % 5 for n in exact["area"] + exact["buffer"])  # so rounding shows
    assert s["sentence"].startswith("Published counts (rounded to the nearest 5)")
    code, stdout, err = run(
        capsys, "pspo", "evaluate", "--area", ORDER, "--start", "2022-07",
        "--buffer", "400", "--mode", "restricted", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    full = last_json(stdout)
    assert [full["counts"]["area"]["before"], full["counts"]["area"]["after"]] == (
        exact["area"]
    )
    assert full["counts"]["buffer"]["before"] == exact["buffer"][0]
    # the hand formula of the WDQ from the counts printed, in both modes (public
    # mode recomputes it from the published counts, as its report does)
    for said in (s, full):
        check_measures(said)
    page = out.read_text(encoding="utf-8")
    assert "weighted displacement quotient" in page.lower()
    assert (s["mode"], full["mode"]) == ("public", "restricted")


def check_measures(s):
    c = s["counts"]
    rb, ra = c["area"]["before"], c["area"]["after"]
    bb, ba = c["buffer"]["before"], c["buffer"]["after"]
    cb, ca = c["control"]["before"], c["control"]["after"]
    success = ra / ca - rb / cb
    if success < 0:
        assert s["wdq"] == pytest.approx((ba / ca - bb / cb) / success, rel=1e-6)
    else:
        assert s["wdq"] is None
    tne = (rb * ca / cb - ra) + (bb * ca / cb - ba)
    assert s["total_net_effect"] == pytest.approx(tne, rel=1e-6)
    assert s["verdict"] in {
        "reduction", "reduction with displacement",
        "reduction with diffusion of benefit", "no evidence of reduction",
        "increase", "too few incidents to tell",
    }  # fmt: skip


def test_profile_of_a_ward_and_of_a_hotspot(capsys, tmp_path):
    # a ward by its code, and by its name as people write it: the same profile
    wards = []
    for ward in ("E05005093", "margate  central"):
        code, stdout, err = run(
            capsys, "pspo", "profile", "--ward", ward, "--from", "2024-01",
            "--to", "2024-04", "--out", tmp_path / "ward.html", "--json",
        )  # fmt: skip
        assert code == 0, err
        wards.append(last_json(stdout))
    by_code, by_name = wards
    assert by_code["district"] == "Thanet"
    assert by_name["incidents"] == by_code["incidents"]
    assert by_name["area_km2"] == by_code["area_km2"]
    code, stdout, err = run(
        capsys, "pspo", "profile", "--hotspot", "1", "--district", THANET,
        "--from", "2024-01", "--to", "2024-04", "--theme",
        "serious violence & weapons", "--out", tmp_path / "hot.html", "--json",
    )  # fmt: skip
    assert code == 0, err
    hot = last_json(stdout)
    assert hot["district"] == "Thanet"
    assert hot["incidents"]["area"] > 0
    assert np.isfinite(hot["concentration"])


def test_hotspot_of_a_coverage_is_the_one_detect_finds_there(capsys, tmp_path):
    """--coverage chooses the hotspots --hotspot RANK counts in (the dashboard
    opens at 2%, the command line's default is 5%): hotspot 1 of the page's
    view is the report's area."""
    from hotspots.boundaries import study_area
    from hotspots.detect import detect
    from hotspots.grid import located as has_point
    from hotspots.store import Selection

    args = ["pspo", "profile", "--hotspot", "1", "--district", THANET, "--from",
            "2024-01", "--to", "2024-04", "--theme", "serious violence & weapons",
            "--mode", "restricted", "--json"]  # fmt: skip
    reports = {}
    for coverage in ("0.02", None):
        flags = [] if coverage is None else ["--coverage", coverage]
        code, stdout, err = run(capsys, *args, *flags, "--out", tmp_path / "h.html")
        assert code == 0, err
        reports[coverage] = last_json(stdout)
    assert (
        reports["0.02"]["area_source"] == "kde, 2024-01..2024-04, hottest 2%, hotspot 1"
    )
    assert reports[None]["area_source"] == "kde, 2024-01..2024-04, hotspot 1"
    police = read_bundled_police()
    chosen = Selection(
        month_from="2024-01", month_to="2024-04", themes=["serious violence & weapons"]
    ).apply(police[has_point(police)])
    for coverage, share in (("0.02", 0.02), (None, 0.05)):
        first = detect(
            chosen, method="kde", study_area=study_area([THANET]), coverage=share
        ).hotspots.iloc[0]
        assert reports[coverage]["area_km2"] == round(first.geometry.area / 1e6, 4)
        assert reports[coverage]["incidents"]["area"] == first["incidents"]
    assert reports["0.02"]["area_km2"] < reports[None]["area_km2"]


def test_hotspot_by_harm_is_the_one_detect_ranks_first_by_harm(capsys, tmp_path):
    """--harm picks --hotspot RANK among hotspots found and ranked by harm."""
    from hotspots.boundaries import study_area
    from hotspots.detect import detect
    from hotspots.ingest import ingest
    from hotspots.store import Selection

    rows = (
        (SAMPLES / "council-asb-log.csv").read_text(encoding="utf-8-sig").splitlines()
    )
    scale = ["1", "3", "0.5", "10", "1"]  # a partner's own harm score
    log = tmp_path / "asb-harm.csv"
    log.write_text(
        "\n".join(
            [rows[0] + ",Harm score"]
            + [f"{r},{scale[i % len(scale)]}" for i, r in enumerate(rows[1:])]
        ),
        encoding="utf-8",
    )
    months = ("2024-01", "2024-04")
    args = ["pspo", "profile", "--input", log, "--hotspot", "1", "--district",
            THANET, "--from", *months[:1], "--to", months[1], "--json"]  # fmt: skip
    code, stdout, err = run(capsys, *args, "--out", tmp_path / "n.html")
    assert code == 0, err
    by_count = last_json(stdout)
    code, stdout, err = run(capsys, *args, "--harm", "--out", tmp_path / "h.html")
    assert code == 0, err
    by_harm = last_json(stdout)
    assert (
        by_harm["area_source"] == "kde, 2024-01..2024-04, weighted by harm, hotspot 1"
    )
    assert by_count["area_source"] == "kde, 2024-01..2024-04, hotspot 1"
    assert "--harm changes nothing" not in err  # the weights differ
    # independently: the hotspots found and ranked by harm, and by incidents
    incidents = ingest([log]).incidents
    from hotspots.grid import located as has_point

    located = Selection(month_from=months[0], month_to=months[1]).apply(
        incidents[has_point(incidents)]
    )
    area = study_area([THANET])
    harm = detect(located, method="kde", study_area=area, coverage=0.05,
                  weight="weight").hotspots  # fmt: skip
    plain = detect(located, method="kde", study_area=area, coverage=0.05).hotspots
    assert harm["harm"].iloc[0] == harm["harm"].max()
    assert by_harm["area_km2"] == round(harm.geometry.iloc[0].area / 1e6, 4)
    assert by_count["area_km2"] == round(plain.geometry.iloc[0].area / 1e6, 4)
    assert by_harm["area_km2"] != by_count["area_km2"]
    # police.uk incidents all weigh 1: it says --harm changes nothing
    code, _, err = run(
        capsys, "pspo", "profile", "--hotspot", "1", "--district", THANET, "--harm",
        "--from", "2024-01", "--to", "2024-04", "--out", tmp_path / "p.html",
    )  # fmt: skip
    assert code == 0, err
    assert "hotspots pspo: note: --harm changes nothing" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "--out", "r.pdf"], "exactly one of --area"),
        (
            ["profile", "--ward", "E05005093", "--area", str(ORDER), "--out", "r.pdf"],
            "exactly one of --area",
        ),
        (["evaluate", "--area", str(ORDER), "--out", "r.pdf"], "--start"),
        (["profile", "--area", str(ORDER), "--out", "r.docx"], ".pdf or .html"),
        (
            ["profile", "--ward", "E05005093", "--coverage", "0.02", "--out", "r.pdf"],
            "--coverage chooses which hotspot --hotspot RANK means. Give it with "
            "--hotspot, or leave it out.",
        ),
        (
            [
                "profile",
                "--hotspot",
                "1",
                "--method",
                "gistar",
                "--coverage",
                "0.02",
                "--from",
                "2024-01",
                "--to",
                "2024-04",
                "--out",
                "r.pdf",
            ],
            "--coverage is an option of --method kde; --method gistar takes none",
        ),
        (
            [
                "profile",
                "--hotspot",
                "1",
                "--coverage",
                "0",
                "--from",
                "2024-01",
                "--to",
                "2024-04",
                "--out",
                "r.pdf",
            ],
            "--coverage must be greater than 0",
        ),
        (
            ["profile", "--area", str(ORDER), "--start", "2022-07", "--out", "r.pdf"],
            "--start is for `pspo evaluate`",
        ),
        (
            [
                "evaluate",
                "--area",
                str(ORDER),
                "--start",
                "2022-07",
                "--to",
                "2022-09",
                "--out",
                "r.pdf",
            ],
            "--to is for `pspo profile`; an evaluation's months are set by --start",
        ),
        (
            [
                "profile",
                "--ward",
                "Margate Central",
                "--from",
                "2030-01",
                "--out",
                "r.pdf",
            ],
            "--from 2030-01 leaves no months: the data runs 2022-01 to 2024-04.",
        ),
        (
            [
                "evaluate",
                "--ward",
                "Margate Central",
                "--start",
                "2024-03",
                "--buffer",
                "0",
                "--out",
                "r.pdf",
            ],
            "--buffer must be greater than 0, got 0.0.",
        ),
        (["profile", "--area", "missing.geojson", "--out", "r.pdf"], "cannot read"),
        (["profile", "--hotspot", "1", "--out", "r.pdf"], "--from and --to"),
        (
            ["profile", "--ward", "E05005093", "--harm", "--out", "r.pdf"],
            "--harm chooses which hotspot",
        ),
        (["profile", "--ward", "E99999999", "--out", "r.pdf"], "E99999999"),
        (
            ["profile", "--ward", "Margat Central", "--out", "r.pdf"],
            "Unknown ward 'Margat Central'",
        ),
        (["profile", "--ward", "Town", "--out", "r.pdf"], "2 wards are called 'Town'"),
    ],
)
def test_pspo_errors_are_one_line(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(capsys, "pspo", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_public_profile_of_an_area_across_a_district_boundary(capsys, tmp_path):
    """A square on the Maidstone / Tonbridge and Malling boundary, compared with
    Tonbridge and Malling, where none of its incidents lie: the public report had
    divided all of the area's incidents (Maidstone's too) by the district's and
    said 2.6% and a concentration of 6.17; the restricted one said 0.0%."""
    square = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature", "properties": {"name": "Allington border"},
            "geometry": {"type": "Polygon", "coordinates": [[
                [0.496410, 51.279329], [0.497092, 51.291906], [0.477033, 51.292332],
                [0.476357, 51.279755], [0.496410, 51.279329],
            ]]},
        }],
    }  # fmt: skip
    path = tmp_path / "border.geojson"
    path.write_text(json.dumps(square))
    said = {}
    for mode in ("restricted", "public"):
        out = tmp_path / f"{mode}.html"
        code, stdout, err = run(
            capsys, "pspo", "profile", "--area", path, "--from", "2024-01",
            "--to", "2024-04", "--mode", mode, "--out", out, "--json",
        )  # fmt: skip
        assert code == 0, err
        said[mode] = (last_json(stdout), out.read_text(encoding="utf-8"))
    s, restricted = said["restricted"]
    for mode, says in (
        ("restricted", "; concentration 0.0x its share of the land;"),  # was "nanx"
        ("public", "; concentration withheld;"),  # as the public report says
    ):
        code, stdout, _ = run(
            capsys, "pspo", "profile", "--area", path, "--from", "2024-01", "--to",
            "2024-04", "--mode", mode, "--out", tmp_path / "r.html",
        )  # fmt: skip
        assert says in stdout
    assert s["district"] == "Tonbridge and Malling"
    assert s["incidents"]["area"] > 10  # in Maidstone: the area has incidents
    assert s["concentration"] == 0.0  # but none in the district compared
    assert "The area has 0.0% of Tonbridge and Malling" in restricted
    _, public = said["public"]
    assert "The area has 2.6%" not in public
    assert (
        "share of Tonbridge and Malling&#x27;s incidents, and so its concentration, "
        "are withheld (fewer than 10 of its incidents are in Tonbridge and Malling)"
    ) in public


def test_public_runs_print_the_published_figures_not_the_exact_ones(capsys, tmp_path):
    """A public profile had printed the exact counts (here 0 incidents in a small
    square, and 5,938 in Maidstone) on the terminal and in --json, beside a
    report that withholds and rounds them; so had `export --json`."""
    square = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature", "properties": {"name": "Quiet corner"},
            "geometry": {"type": "Polygon", "coordinates": [[
                [0.4964, 51.2793], [0.4970, 51.2793], [0.4970, 51.2797],
                [0.4964, 51.2797], [0.4964, 51.2793],
            ]]},
        }],
    }  # fmt: skip
    path = tmp_path / "quiet.geojson"
    path.write_text(json.dumps(square))
    said = {}
    for mode in ("restricted", "public"):
        argv = ["pspo", "profile", "--area", path, "--from", "2024-01", "--to",
                "2024-04", "--mode", mode, "--out", tmp_path / f"{mode}.html"]  # fmt: skip
        code, stdout, err = run(capsys, *argv, "--json")
        assert code == 0, err
        code, human, err = run(capsys, *argv)
        assert code == 0, err
        said[mode] = (last_json(stdout), human)
    exact, _ = said["restricted"]
    public, human = said["public"]
    assert exact["incidents"]["area"] < 10
    assert exact["incidents"]["district"] % 5  # so rounding shows
    assert public["incidents"]["area"] == "fewer than 10"
    district = public["incidents"]["district"]
    assert district == 5 * ((exact["incidents"]["district"] + 2) // 5)
    assert public["per_km2"]["area"] == "withheld"
    assert public["concentration"] == "withheld"
    # the district's rate from the published count, as the report gives it
    assert public["per_km2"]["district"] == pytest.approx(
        district / (exact["incidents"]["district"] / exact["per_km2"]["district"]),
        rel=1e-6,
    )
    assert human.splitlines()[0] == (
        f"Quiet corner (0.00 km², Maidstone): fewer than 10 incidents against "
        f"{district:,} in the district; concentration withheld; trend too few to "
        "tell."
    )
    page = (tmp_path / "public.html").read_text(encoding="utf-8")
    assert f"{district:,}" in page

    # export: the JSON's counts as the files give them
    code, stdout, err = run(
        capsys, "export", "--method", "kde", "--district", THANET, "--from",
        "2024-01", "--to", "2024-02", "--out", tmp_path / "h.gpkg", "--json",
    )  # fmt: skip
    assert code == 0, err
    s = last_json(stdout)
    assert s["disclosure"]["mode"] == "public"
    assert s["incidents_in_hotspots"] % 5 == 0
    assert s["parameters"]["incidents"] % 5 == 0
    import pyogrio

    params = pyogrio.read_dataframe(tmp_path / "h.gpkg", layer="parameters")
    value = dict(zip(params["name"], params["value"].map(json.loads), strict=True))
    assert s["parameters"]["incidents"] == value["incidents"]
