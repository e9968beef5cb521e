"""`hotspots export` and the dashboard's downloads: the same files for the same view."""

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pdf_text import pdf_text

from hotspots import dashboard as dash
from hotspots.cli import main
from hotspots.pipeline import export_analysis

THANET = "E07000114"
VIOLENCE = "serious violence & weapons"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def dashboard_analysis():
    """The analysis behind the dashboard's download for Thanet violence, 2024-01..04."""
    incidents = dash.load_incidents(None)
    view = dash.View(
        month_from="2024-01", month_to="2024-04", themes=[VIOLENCE], districts=[THANET]
    )
    return dash.analysis_for_export(incidents, view, upload=None)


def _layers(path):
    return {
        name: pyogrio.read_dataframe(path, layer=name)
        for name, _ in pyogrio.list_layers(path)
    }


def test_cli_export_equals_dashboard_download(capsys, tmp_path, dashboard_analysis):
    out = tmp_path / "cli.gpkg"
    code, stdout, err = run(
        capsys, "export", "--method", "kde", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", VIOLENCE, "--coverage", "0.02", "--out", out,
        "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["mode"] == "public"
    name, data, mime = export_analysis(dashboard_analysis, None, fmt="gpkg")
    assert name.endswith(".gpkg")
    assert mime
    downloaded = tmp_path / name
    downloaded.write_bytes(data)
    cli, web = _layers(out), _layers(downloaded)
    assert (
        set(cli) == set(web) >= {"hotspots", "ward_statistics", "district_statistics"}
    )
    for layer in ("hotspots", "ward_statistics", "district_statistics"):
        a = cli[layer].drop(columns="geometry", errors="ignore")
        b = web[layer].drop(columns="geometry", errors="ignore")
        assert a.equals(b), layer
    # public mode: every published count is a multiple of 5 and at least 10
    hot = cli["hotspots"]
    assert (hot["incidents"] % 5 == 0).all()
    assert (hot["incidents"] >= 10).all()
    prov = cli["provenance"].set_index("key")["value"]
    assert json.loads(prov["disclosure.mode"]) == "public"


@pytest.mark.parametrize("fmt", ["geojson", "shapefile", "kml", "geotiff", "csv"])
def test_cli_export_every_format(capsys, tmp_path, fmt):
    code, stdout, err = run(
        capsys, "export", "--method", "kde", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", VIOLENCE, "--format", fmt, "--out", tmp_path,
        "--json",
    )  # fmt: skip
    assert code == 0, err
    files = json.loads(stdout.strip().splitlines()[-1])["files"]
    assert files
    main_file = files[0]
    if fmt == "shapefile":
        with zipfile.ZipFile(main_file) as z:
            assert any(n.endswith(".prj") for n in z.namelist())
            assert "fieldnames.csv" in z.namelist()
    elif fmt == "geotiff":
        import rasterio

        with rasterio.open(main_file) as src:
            assert src.crs.to_epsg() == 27700
            assert "PROVENANCE" in src.tags()
    elif fmt == "csv":
        with open(main_file, "rb") as f:
            assert f.read(3) == b"\xef\xbb\xbf"
    else:
        layer = gpd.read_file(main_file)
        assert layer.crs.to_epsg() == 4326
        assert len(layer) > 0


def test_export_bad_format_is_one_line(capsys, tmp_path):
    code, _, err = run(
        capsys, "export", "--method", "kde", "--format", "xls", "--out", tmp_path
    )
    assert code == 2
    assert "invalid choice" in err
    assert len(err.strip().splitlines()) == 1


def test_dashboard_download_zips_several_files(dashboard_analysis):
    name, data, mime = export_analysis(dashboard_analysis, None, fmt="csv")
    assert name.endswith(".zip")
    assert mime == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert any(n.endswith(".provenance.json") for n in names)
    assert sum(n.endswith(".csv") for n in names) == 3


def test_cli_summary_report_equals_dashboard_download(
    capsys, tmp_path, dashboard_analysis
):
    """`export --format pdf` and the dashboard's "Summary report": the same figures."""
    code, stdout, err = run(
        capsys, "export", "--method", "kde", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", VIOLENCE, "--coverage", "0.02",
        "--format", "pdf", "--out", tmp_path / "summary.pdf", "--json",
    )  # fmt: skip
    assert code == 0, err
    files = json.loads(stdout.strip().splitlines()[-1])["files"]
    assert files == [str(tmp_path / "summary.pdf")]
    cli = pdf_text((tmp_path / "summary.pdf").read_bytes())
    name, data, mime = export_analysis(dashboard_analysis, None, fmt="pdf")
    assert (name, mime) == ("hotspots-kde.pdf", "application/pdf")
    web = pdf_text(data)

    def section(text: str) -> str:
        return text[text.index("Hotspots, ranked") : text.index("How to read this")]

    assert "public version" in cli
    assert section(cli) == section(web)
    assert f"Hotspots: {VIOLENCE}, Thanet" in cli
    # the same report as a web page
    code, stdout, err = run(
        capsys, "export", "--method", "kde", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", VIOLENCE, "--coverage", "0.02",
        "--format", "html", "--out", tmp_path / "summary.html",
    )  # fmt: skip
    assert code == 0, err
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h2>Hotspots, ranked</h2>" in page
    _, data, mime = export_analysis(dashboard_analysis, None, fmt="html")
    assert mime == "text/html"
    web_page = data.decode("utf-8")

    def tables(html: str) -> str:
        return html[html.index("<h2>Hotspots, ranked") : html.index("<h2>How to read")]

    assert tables(page) == tables(web_page)


def test_export_says_what_it_wrote(capsys, tmp_path):
    """The JSON's crs is the files' (GeoJSON is WGS84), and hotspots left out by
    the public threshold are not said to be written."""
    sel = [
        "--method",
        "kde",
        "--district",
        THANET,
        "--from",
        "2024-01",
        "--to",
        "2024-02",
    ]
    code, out, err = run(
        capsys, "export", *sel, "--format", "geojson", "--out",
        tmp_path / "h.geojson", "--json",
    )  # fmt: skip
    assert code == 0, err
    said = json.loads(out.strip().splitlines()[-1])
    assert said["crs"] == "EPSG:4326"
    written = gpd.read_file(tmp_path / "h.geojson")
    assert written.crs.to_epsg() == 4326
    assert said["hotspots_written"] == len(written) < said["hotspots"]
    code, out, err = run(
        capsys, "export", *sel, "--threshold", "1000000", "--out", tmp_path / "n.gpkg"
    )
    assert code == 0, err
    found = said["hotspots"]
    assert out.splitlines()[0] == (
        f"0 hotspots (public mode, gpkg) written to {tmp_path / 'n.gpkg'}; {found} of "
        f"the {found} found left out (fewer incidents than the smallest published count)"
    )
    assert len(pyogrio.read_dataframe(tmp_path / "n.gpkg", layer="hotspots")) == 0


@pytest.mark.parametrize(
    ("fmt", "crs", "says"),
    [
        ("geotiff", "EPSG:4326", "The GeoTIFF is written in EPSG:27700 only "
         "(reprojecting a raster resamples the surface)"),
        ("geojson", "EPSG:27700", "GeoJSON is written in EPSG:4326 only (as RFC "
         "7946 requires)"),
        ("kml", "EPSG:27700", "KML is written in EPSG:4326 only (as the format "
         "requires)"),
        ("pdf", "EPSG:4326", "The PDF report is written in EPSG:27700 only (its "
         "map is drawn on the British National Grid)"),
        ("html", "EPSG:4326", "The HTML report is written in EPSG:27700 only (its "
         "map is drawn on the British National Grid)"),
    ],
)  # fmt: skip
def test_a_crs_the_format_cannot_take_is_refused_in_the_flags_words(
    capsys, tmp_path, fmt, crs, says
):
    """--crs had been ignored for GeoJSON, KML, PDF and HTML."""
    code, out, err = run(
        capsys, "export", "--method", "kde", "--format", fmt, "--crs", crs,
        "--district", THANET, "--out", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"hotspots export: error: --crs {crs}: {says}; leave out --crs, or choose "
        "--format gpkg, shapefile or csv."
    ]
    assert list(tmp_path.iterdir()) == []


def test_public_export_with_safeguarding_says_which_flags_to_change(capsys, tmp_path):
    """The refusal had suggested a filter (sensitivity != 'safeguarding') the
    command line does not have."""
    sample = (
        Path(__file__).parent.parent / "data" / "samples" / "safeguarding-concerns.csv"
    )
    code, out, err = run(
        capsys, "export", "--method", "kde", "--input", sample,
        "--include-safeguarding", "--bandwidth", "400", "--out", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert "sensitivity !=" not in line
    assert "without --include-safeguarding" in line
    assert "(--mode restricted)" in line
    assert list(tmp_path.iterdir()) == []
    code, _, err = run(
        capsys, "export", "--method", "kde", "--input", sample,
        "--include-safeguarding", "--bandwidth", "400", "--mode", "restricted",
        "--out", tmp_path,
    )  # fmt: skip
    assert code == 0, err


def test_shp_is_the_shapefile_format(capsys, tmp_path):
    """`--format shp` (what a GIS user types) had been refused."""
    code, out, err = run(
        capsys, "export", "--method", "kde", "--district", THANET, "--from",
        "2024-01", "--to", "2024-01", "--format", "shp", "--out", tmp_path, "--json",
    )  # fmt: skip
    assert code == 0, err
    said = json.loads(out.strip().splitlines()[-1])
    assert said["format"] == "shapefile"
    (path,) = [Path(p) for p in said["files"]]
    assert path.name == "hotspots-kde.zip"
    with zipfile.ZipFile(path) as archive:
        assert "hotspots.shp" in {Path(n).name for n in archive.namelist()}
