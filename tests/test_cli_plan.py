"""`hotspots plan` on the bundled Kent data: the issue's acceptance run."""

import json

import geopandas as gpd
import pandas as pd
import pytest

from hotspots.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_six_sites_in_six_districts(capsys, tmp_path):
    out = tmp_path / "plan.gpkg"
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-01", "--to", "2024-04", "--k", "6", "--radius",
        "300", "--max-per-district", "1", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    sites = summary["sites"]
    assert len(sites) == 6
    assert len({s["lad_code"] for s in sites}) == 6
    assert all(s["explanation"].startswith("Covers ") for s in sites)
    assert summary["gap"] <= 0.05
    layer = gpd.read_file(out, layer="sites")
    assert layer.crs.to_epsg() == 27700
    assert layer["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    rings = gpd.read_file(out, layer="footprints")
    assert rings.area.round(-3).eq(round(3.14159 * 300**2, -3)).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # the API's parameter names as the flags that set them
        (["--k", "0"], "--k must be at least 1"),
        (
            [
                "--theme",
                "drugs & county lines",
                "--district",
                "E07000114",
                "--k",
                "12",
                "--radius",
                "800",
            ],
            "No 12 sites can be placed at least --min-separation = 1600 m apart under "
            "the other constraints; lower --min-separation or --k.",
        ),
        (
            ["--district", "E07000114", "--max-per-district", "1"],
            "raise --max-per-district or lower --k.",
        ),
        (
            ["--require-district", "E07000114", "E07000112", "--k", "1"],
            "--require-district asks for 2 districts but k = 1",
        ),
        (
            ["--district", "Thanet", "--require-district", "Medway"],
            "--require-district asks for a site in Medway (E06000035), not among the "
            "districts planned for: Thanet (E07000114). Add it to the districts",
        ),
        (["--priority", "schools=x"], "--priority takes NAME=NUMBER"),
        (["--district", "E99999999"], "Unknown district 'E99999999'; give a Kent"),
        (["--out", "sites.shp"], "plan writes .gpkg or .csv"),
    ],
)
def test_plan_errors_are_one_line(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(capsys, "plan", "--from", "2024-04", "--to", "2024-04", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_plan_csv_is_safe_for_excel(capsys, tmp_path):
    out = tmp_path / "sites.csv"
    code, _, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--k", "2",
        "--out", out,
    )  # fmt: skip
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    table = pd.read_csv(out)
    assert table["rank"].tolist() == [1, 2]
    assert table["explanation"].str.startswith("Covers ").all()
    assert (
        not table.astype(str)
        .apply(lambda c: c.str.startswith(("=", "+", "@")))
        .any()
        .any()
    )


def test_plan_writes_one_page_briefings(capsys, tmp_path):
    folder = tmp_path / "briefings"
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-01", "--to", "2024-04", "--k", "2",
        "--briefings", folder, "--mode", "public", "--json",
    )  # fmt: skip
    assert code == 0, err
    files = json.loads(stdout.strip().splitlines()[-1])["briefings"]
    assert sorted(p.rsplit(".", 1)[1] for p in files) == ["html", "html", "pdf", "pdf"]
    pdf = next(p for p in files if p.endswith(".pdf"))
    with open(pdf, "rb") as f:
        assert f.read(4) == b"%PDF"


def test_plan_sites_file_says_it_is_restricted_whatever_the_briefings(capsys, tmp_path):
    """--mode sets the briefings' level; the sites file is exact (safeguarding
    concerns counted in each footprint), and the file and the output say so."""
    out = tmp_path / "plan.gpkg"
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-01", "--to", "2024-04", "--k", "2",
        "--district", "Thanet", "--out", out, "--briefings", tmp_path / "b",
        "--mode", "public",
    )  # fmt: skip
    assert code == 0, err
    assert (
        f"Sites written to {out}: restricted (exact counts, for the partnership's "
        "planning; not for publication)." in stdout
    )
    assert f"4 briefing files (public) written to {tmp_path / 'b'}." in stdout
    table = gpd.read_file(out, layer="parameters").set_index("key")["value"]
    assert json.loads(table["disclosure"]).startswith("restricted: exact counts")
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-01", "--to", "2024-04", "--k", "2",
        "--district", "Thanet", "--out", tmp_path / "p.csv", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(stdout.strip().splitlines()[-1])["out_mode"] == "restricted"


def test_plan_files_carry_their_provenance(capsys, tmp_path):
    """The sites file had no provenance (software, data, selection): the
    GeoPackage had only its parameters, and a CSV nothing beside it."""
    from hotspots import __version__

    sel = ["--from", "2024-02", "--to", "2024-04", "--k", "2", "--district",
           "Thanet", "--theme", "drugs"]  # fmt: skip
    for name in ("plan.gpkg", "plan.csv"):
        code, _, err = run(capsys, "plan", *sel, "--out", tmp_path / name)
        assert code == 0, err
    record = json.loads((tmp_path / "plan.provenance.json").read_text("utf-8"))
    assert record["software"] == f"hotspots {__version__}"
    assert record["data"]["months"] == ["2024-02", "2024-03", "2024-04"]
    assert list(record["data"]["sources"]) == ["police.uk"]
    assert list(record["data"]["themes"]) == ["drugs & county lines"]
    assert record["filters"]["themes"] == ["drugs & county lines"]
    assert record["filters"]["sites_in_districts"] == ["E07000114"]
    assert record["parameters"]["k"] == 2
    assert record["disclosure"].startswith("restricted: exact counts")
    assert record["crs"].startswith("EPSG:27700")
    # the GeoPackage's table: the same record, a row a value
    rows = gpd.read_file(tmp_path / "plan.gpkg", layer="provenance")
    table = dict(zip(rows["key"], rows["value"].map(json.loads), strict=True))
    assert table["software"] == record["software"]
    assert table["data.sources.police.uk"] == record["data"]["sources"]["police.uk"]
    assert table["filters.sites_in_districts"] == ["E07000114"]
    assert table["parameters.k"] == 2
    assert table["disclosure"] == record["disclosure"]
    sites = pd.read_csv(tmp_path / "plan.csv")
    assert record["parameters"]["incidents_covered"] <= sites["incidents"].sum()


def test_plan_leaves_out_recent_sites_from_a_kml(capsys, tmp_path):
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--k", "2", "--json",
    )  # fmt: skip
    assert code == 0, err
    first = json.loads(stdout.strip().splitlines()[-1])["sites"][0]
    point = gpd.GeoSeries.from_xy([first["x"]], [first["y"]], crs=27700)
    lon, lat = point.to_crs(4326).x.iloc[0], point.to_crs(4326).y.iloc[0]
    kml = tmp_path / "recent.kml"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>last street week</name><Point><coordinates>"
        f"{lon},{lat}</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )
    code, stdout, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--k", "2",
        "--exclude", kml, "--json",
    )  # fmt: skip
    assert code == 0, err
    again = json.loads(stdout.strip().splitlines()[-1])["sites"]
    # no new site within the 300 m footprint of the recent one (KML read, WGS84)
    for site in again:
        assert (
            (site["x"] - first["x"]) ** 2 + (site["y"] - first["y"]) ** 2
        ) ** 0.5 >= 299
    bad = tmp_path / "recent.geojson"
    bad.write_text("not a map", encoding="utf-8")
    code, _, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--exclude", bad
    )
    assert code == 2
    assert "recent.geojson: cannot read it as a map layer" in err
    assert len(err.strip().splitlines()) == 1


def test_human_output_says_shares_are_of_every_district(capsys):
    # --district limits where sites go, not which incidents count: the shares in
    # the explanations are of the selection's incidents in every district
    code, out, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--k", "1",
        "--district", "Thanet", "--theme", "drugs",
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("1 site (")
    assert lines[1].startswith("  (sites in the districts given only; each share is of")
    located = int(lines[1].split("share is of the ")[1].split(" ")[0].replace(",", ""))
    assert f"of the {located:,} located in the selection" in lines[2]
    assert ", Thanet: Covers " in lines[2]
    # without --district there is nothing to say
    code, out, err = run(
        capsys, "plan", "--from", "2024-04", "--to", "2024-04", "--k", "1",
        "--theme", "drugs",
    )  # fmt: skip
    assert code == 0, err
    assert "districts given only" not in out


def test_plan_weight_names_a_theme_as_theme_does(capsys):
    """--weight ASB=2 had been refused although --theme ASB is taken."""
    code, out, err = run(
        capsys, "plan", "--district", "Thanet", "--from", "2024-01", "--to", "2024-02",
        "--k", "2", "--weight", "ASB=2", "--weight", "police.uk=0.5", "--json",
    )  # fmt: skip
    assert code == 0, err
    said = json.loads(out.strip().splitlines()[-1])
    assert said["weights"] == {"ASB & public space": 2.0, "police.uk": 0.5}
