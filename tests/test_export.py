"""Exports: every format from the bundled Kent data, read back with GDAL."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio

from hotspots._validate import HotspotsError
from hotspots.areas import area_statistics
from hotspots.boundaries import study_area
from hotspots.detect import Detection, detect
from hotspots.export import (
    NODATA,
    csv_table,
    export_bytes,
    export_detection,
    shapefile_names,
)
from hotspots.provenance import provenance
from hotspots.store import read_bundled_police

EVIL = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def thanet() -> dict[str, Any]:
    inc = read_bundled_police()
    month = inc["month"].astype(str)
    sel = inc[
        (inc["lad_code"] == "E07000114") & (month >= "2024-01") & (month <= "2024-04")
    ]
    area = study_area(["E07000114"])
    out: dict[str, Any] = {"incidents": sel}
    for method in ("kde", "gistar"):
        d = detect(sel, method=method, study_area=area)
        # a crafted hostile place name in the first hotspot's text
        hot = d.hotspots.assign(wards=[EVIL, *d.hotspots["wards"].iloc[1:]])
        hot = hot.assign(districts=[FORMULA, *hot["districts"].iloc[1:]])
        out[method] = Detection(d.method, hot, d.parameters, d.study_area_km2, d.result)
        out[f"{method}_prov"] = provenance(
            sel,
            filters={"district": ["E07000114"]},
            method=method,
            parameters=d.parameters,
        )
    robbery = inc[inc["category"] == "Robbery"]
    kw = {"months": ("2024-01", "2024-04"), "districts": ["E07000114", "E07000112"]}
    out["areas"] = {
        "ward": area_statistics(robbery, level="ward", **kw),
        "district": area_statistics(robbery, level="district", **kw),
    }
    return out


def _export(
    t: dict[str, Any], tmp: Path, fmt: str, method: str = "kde", **kw: Any
) -> list[Path]:
    return export_detection(
        t[method],
        tmp,
        fmt=fmt,
        provenance=t[f"{method}_prov"],
        area_tables=t["areas"],
        **kw,
    )


# ------------------------------------------------------------------ inputs
def test_bad_format_crs_and_suffix(thanet: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(HotspotsError, match="Unknown export format"):
        _export(thanet, tmp_path, "xlsx")
    with pytest.raises(HotspotsError, match="EPSG:27700"):
        _export(thanet, tmp_path, "gpkg", crs="EPSG:3857")
    with pytest.raises(HotspotsError, match="EPSG:27700 only"):
        _export(thanet, tmp_path, "geotiff", crs="EPSG:4326")
    with pytest.raises(HotspotsError, match=r"ending \.gpkg"):
        _export(thanet, tmp_path / "x.shp", "gpkg")
    with pytest.raises(HotspotsError, match="method 'kde'"):
        _export(thanet, tmp_path, "geotiff", method="gistar")


def test_public_refuses_safeguarding(thanet: dict[str, Any], tmp_path: Path) -> None:
    prov = {
        **thanet["kde_prov"],
        "data": {
            **thanet["kde_prov"]["data"],
            "sensitivities": ["public", "safeguarding"],
        },
    }
    for fmt in ("gpkg", "geotiff"):
        with pytest.raises(HotspotsError, match="safeguarding"):
            export_detection(thanet["kde"], tmp_path, fmt=fmt, provenance=prov)
    unknown = {k: v for k, v in thanet["kde_prov"].items() if k != "data"}
    with pytest.raises(HotspotsError, match="unknown"):
        export_detection(thanet["kde"], tmp_path, fmt="gpkg", provenance=unknown)
    export_detection(
        thanet["kde"],
        tmp_path,
        fmt="gpkg",
        provenance=unknown,
        safeguarding_excluded=True,
    )
    flagged = thanet["incidents"].assign(sensitivity="safeguarding")
    with pytest.raises(HotspotsError, match="safeguarding"):
        export_detection(
            thanet["kde"], tmp_path, fmt="csv", provenance=unknown, incidents=flagged
        )
    # restricted: allowed
    export_detection(
        thanet["kde"], tmp_path, fmt="gpkg", provenance=prov, mode="restricted"
    )


# ------------------------------------------------------------------ formats
@pytest.mark.parametrize("crs", ["EPSG:27700", "EPSG:4326"])
def test_gpkg_layers_crs_and_provenance(
    thanet: dict[str, Any], tmp_path: Path, crs: str
) -> None:
    (path,) = _export(thanet, tmp_path, "gpkg", method="gistar", crs=crs)
    layers = dict(pyogrio.list_layers(path))
    assert {
        "hotspots",
        "gistar_cells",
        "ward_statistics",
        "district_statistics",
        "parameters",
        "provenance",
    } <= set(layers)
    hot = pyogrio.read_dataframe(path, layer="hotspots")
    assert hot.crs.to_epsg() == int(crs.split(":")[1])
    expected = (thanet["gistar"].hotspots["incidents"] >= 10).sum()
    assert len(hot) == expected
    assert (hot["incidents"] % 5 == 0).all()
    assert "locations" not in hot
    assert "trend_ratio" not in hot
    cells = pyogrio.read_dataframe(path, layer="gistar_cells")
    assert set(cells.columns) == {
        "row",
        "col",
        "gi_bin",
        "geometry",
    }  # public: no counts
    # public: only the cells whose 3 x 3 window holds 10 incidents or more (a lone
    # incident's window is "significant" among empty cells); the window counted
    # here independently of the module (scipy.signal on the in-area counts)
    from scipy.signal import convolve2d

    result = thanet["gistar"].result
    in_area = np.where(result.mask, result.counts, 0.0)
    windows = convolve2d(in_area, np.ones((3, 3)), mode="same")
    shown = result.mask & (windows >= 10)
    assert 0 < shown.sum() < result.mask.sum()
    assert len(cells) == int(shown.sum())
    assert shown[cells["row"].to_numpy(), cells["col"].to_numpy()].all()
    assert (cells["gi_bin"] != 0).any()
    wards = pyogrio.read_dataframe(path, layer="ward_statistics")
    assert len(wards) == len(thanet["areas"]["ward"])
    assert wards.geometry.notna().all()
    prov = pyogrio.read_dataframe(path, layer="provenance")
    rec = dict(zip(prov["key"], prov["value"], strict=True))
    assert json.loads(rec["disclosure.mode"]) == "public"
    assert json.loads(rec["software"]).startswith("hotspots ")
    assert "created" in rec
    # the parameters table's incident counts are rounded as the record's are (the
    # exact selection total would let the rounded figures be differenced)
    params = pyogrio.read_dataframe(path, layer="parameters")
    value = dict(zip(params["name"], params["value"].map(json.loads), strict=True))
    exact = thanet["gistar"].parameters["incidents"]
    assert exact % 5  # the premise: the exact total is not a multiple of 5
    assert value["incidents"] == json.loads(rec["parameters.incidents"])
    assert value["incidents"] % 5 == 0
    assert value["incidents"] != exact
    assert value["cell_size_m"] == thanet["gistar"].parameters["cell_size_m"]


def test_gpkg_restricted_full_detail(thanet: dict[str, Any], tmp_path: Path) -> None:
    (path,) = _export(thanet, tmp_path, "gpkg", method="gistar", mode="restricted")
    params = pyogrio.read_dataframe(path, layer="parameters")
    value = dict(zip(params["name"], params["value"].map(json.loads), strict=True))
    assert value["incidents"] == thanet["gistar"].parameters["incidents"]
    hot = pyogrio.read_dataframe(path, layer="hotspots")
    assert len(hot) == len(thanet["gistar"].hotspots)
    assert hot["incidents"].tolist() == thanet["gistar"].hotspots["incidents"].tolist()
    cells = pyogrio.read_dataframe(path, layer="gistar_cells")
    assert "n" in cells
    assert (
        cells["n"].sum()
        == thanet["gistar"].result.counts[thanet["gistar"].result.mask].sum()
    )


def _ring_area(coords: list[list[float]]) -> float:
    xy = np.asarray(coords)
    return 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


def test_geojson_rfc7946(thanet: dict[str, Any], tmp_path: Path) -> None:
    paths = _export(thanet, tmp_path, "geojson")
    text = paths[0].read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    assert data["provenance"]["disclosure"]["mode"] == "public"
    assert data["provenance"]["export"]["crs"] == "EPSG:4326"
    numbers = re.findall(r'"coordinates":\s*(\[.*?\]\s*\]\s*\]\s*\]?)', text)
    assert numbers
    for chunk in numbers:
        for value in re.findall(r"-?\d+\.\d+", chunk):
            assert len(value.split(".")[1]) <= 6
    for feature in data["features"]:
        geom = feature["geometry"]
        polys = (
            [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        )
        for poly in polys:
            lon, lat = np.asarray(poly[0]).T
            assert (lon > 0.2).all()
            assert (lon < 1.6).all()
            assert (lat > 51).all()
            assert (lat < 51.6).all()
            assert _ring_area(poly[0]) > 0  # exterior counter-clockwise
            for hole in poly[1:]:
                assert _ring_area(hole) < 0
    back = pyogrio.read_dataframe(paths[0])
    assert back.crs.to_epsg() == 4326
    assert len(back) == len(data["features"])
    assert back["wards"].iloc[0] == EVIL  # text kept as text in data formats


@pytest.mark.parametrize("fmt", ["geojson", "kml", "gpkg", "csv"])
def test_wgs84_files_are_transformed_by_ostn15_and_say_so(
    thanet: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    """WGS84 files take OSTN15 (about 0.1 m), as their record says, not PROJ's
    Helmert (2-5 m off, what ``to_crs`` does without the OSTN15 grid)."""
    from pyproj import Transformer

    from hotspots.crs import lonlat_to_bng

    paths = _export(thanet, tmp_path, fmt, crs="EPSG:4326")
    record = (
        json.loads(paths[0].read_text())["provenance"]
        if fmt == "geojson"
        else json.loads(paths[-1].read_text())
        if fmt in ("kml", "csv")
        else {
            k: json.loads(v)
            for k, v in pyogrio.read_dataframe(paths[0], layer="provenance")[
                ["key", "value"]
            ].itertuples(index=False)
        }
    )
    key = "export.transformation" if fmt == "gpkg" else None
    said = record[key] if key else record["export"]["transformation"]
    assert said.startswith("OSTN15")
    assert "OSGB36 -> ETRS89/WGS84" in said
    hot = thanet["kde"].hotspots
    public = hot[hot["incidents"] >= 10]
    if fmt == "csv":
        table = pd.read_csv(paths[0], encoding="utf-8-sig")
        lon, lat = table["longitude"].to_numpy(), table["latitude"].to_numpy()
        grid = public.geometry.representative_point().get_coordinates().to_numpy()
    else:
        back = pyogrio.read_dataframe(
            paths[0], layer="hotspots" if fmt == "gpkg" else None
        )
        lon, lat = back.geometry.get_coordinates().to_numpy().T
        grid = public.geometry.get_coordinates().to_numpy()
    assert len(lon) == len(grid) > 10
    # back to the grid by OSTN15 (the ingest's transformation): the same points,
    # to the 6 decimals of a degree GeoJSON keeps (0.1 m); GeoJSON may turn a
    # ring's order round, so each point is matched to its nearest on the grid
    from scipy.spatial import cKDTree

    tree = cKDTree(grid)
    there = lonlat_to_bng(lon, lat)
    assert tree.query(np.column_stack([there.x, there.y]))[0].max() < 0.15
    # and PROJ's Helmert puts them more than a metre away
    helmert = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    hx, hy = helmert.transform(lon, lat)
    assert tree.query(np.column_stack([hx, hy]))[0].min() > 1.0


def test_restricted_and_public_files_in_one_folder_keep_apart(
    thanet: dict[str, Any], tmp_path: Path
) -> None:
    """A restricted export into the folder of a public one had written over it
    (both hotspots-kde.csv); the restricted file's name now says what it is."""
    public = _export(thanet, tmp_path, "csv")
    restricted = _export(thanet, tmp_path, "csv", mode="restricted")
    assert public[0].name == "hotspots-kde.csv"
    assert restricted[0].name == "hotspots-kde-restricted.csv"
    assert not set(public) & set(restricted)
    for paths, mode in ((public, "public"), (restricted, "restricted")):
        assert json.loads(paths[-1].read_text())["disclosure"]["mode"] == mode
    exact = pd.read_csv(restricted[0], encoding="utf-8-sig")
    rounded = pd.read_csv(public[0], encoding="utf-8-sig", dtype=str)
    assert len(exact) == len(thanet["kde"].hotspots) > len(rounded)
    name, _, _ = export_bytes(
        thanet["kde"], fmt="gpkg", provenance=thanet["kde_prov"], mode="restricted"
    )
    assert name == "hotspots-kde-restricted.gpkg"


def test_gpkg_tables_hold_readable_text(thanet: dict[str, Any], tmp_path: Path) -> None:
    """The provenance and parameters values are JSON, written as UTF-8 text: a
    unit reads km², not km\\u00b2, in a GIS's attribute table."""
    (path,) = _export(thanet, tmp_path, "gpkg")
    values = [
        *pyogrio.read_dataframe(path, layer="provenance")["value"],
        *pyogrio.read_dataframe(path, layer="parameters")["value"],
    ]
    assert not any("\\u" in v for v in values)
    assert any("km²" in v or "≥" in v for v in values)
    assert all(json.loads(v) is not None or v == "null" for v in values)


def test_shapefile_zip(thanet: dict[str, Any], tmp_path: Path) -> None:
    (path,) = _export(thanet, tmp_path, "shapefile", method="gistar")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            assert f"hotspots{ext}" in names
        assert "fieldnames.csv" in names
        assert "provenance.json" in names
        prj = archive.read("hotspots.prj").decode()
        assert "British_National_Grid" in prj or "OSGB" in prj
        fields = list(
            csv.DictReader(io.StringIO(archive.read("fieldnames.csv").decode()))
        )
        assert (
            json.loads(archive.read("provenance.json"))["disclosure"]["mode"]
            == "public"
        )
    hot_fields = {
        r["field"]: r["shapefile_field"] for r in fields if r["layer"] == "hotspots"
    }
    assert hot_fields["top_categories"] == "top_cats"
    assert all(len(v) <= 10 for v in hot_fields.values())
    back = pyogrio.read_dataframe(f"/vsizip/{path}/hotspots.shp")
    assert back.crs.to_epsg() == 27700
    assert set(back.columns) - {"geometry"} == set(hot_fields.values())
    assert len(back) == (thanet["gistar"].hotspots["incidents"] >= 10).sum()


def test_shapefile_cuts_long_lists_where_it_says_so(
    thanet: dict[str, Any], tmp_path: Path
) -> None:
    """A ward list over dBASE's 254 bytes loses whole names and says how many
    ("and 31 more"), and fieldnames.csv says which fields were cut; GDAL had cut
    mid-name with only a console warning."""
    wards = ", ".join(f"Ward number {i} & Somewhere-on-Sea" for i in range(40))
    d = thanet["kde"]
    hot = d.hotspots.assign(wards=[wards, *d.hotspots["wards"].iloc[1:]])
    long = Detection(d.method, hot, d.parameters, d.study_area_km2, d.result)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's truncation warning would fail it
        (path,) = export_detection(
            long, tmp_path, fmt="shapefile", provenance=thanet["kde_prov"],
            area_tables=thanet["areas"], mode="restricted",
        )  # fmt: skip
    back = pyogrio.read_dataframe(f"/vsizip/{path}/hotspots.shp")
    first = back.loc[back["hotspot_id"] == hot["hotspot_id"].iloc[0], "wards"].iloc[0]
    assert len(first.encode()) <= 254
    kept, more = first.rsplit(" and ", 1)
    names = kept.split(", ")
    assert names == wards.split(", ")[: len(names)]
    assert more == f"{40 - len(names)} more"
    with zipfile.ZipFile(path) as archive:
        rows = list(
            csv.DictReader(io.StringIO(archive.read("fieldnames.csv").decode()))
        )
    notes = {r["field"]: r["note"] for r in rows if r["layer"] == "hotspots"}
    assert notes["wards"] == (
        "cut to 254 bytes in 1 feature: the whole text is in the GeoPackage, GeoJSON "
        "and CSV"
    )
    assert notes["incidents"] == ""


def test_shapefile_names_unique() -> None:
    cols = ["incidents_per_km2", "incidents_per_km2x", "aaaaaaaaaaaa1", "aaaaaaaaaaaa2"]
    names = shapefile_names(cols)
    assert len(set(names.values())) == 4
    assert all(len(v) <= 10 for v in names.values())


def test_kml_escaped_descriptions(thanet: dict[str, Any], tmp_path: Path) -> None:
    paths = _export(thanet, tmp_path, "kml")
    kml = paths[0]
    assert paths[-1].name.endswith(".provenance.json")
    raw = kml.read_text(encoding="utf-8")
    assert "<script>" not in raw
    tree = ET.parse(kml)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    descriptions = [
        d.text or "" for d in tree.iter("{http://www.opengis.net/kml/2.2}description")
    ]
    assert len(descriptions) == len(tree.findall(".//k:Placemark", ns))
    first = descriptions[0]
    assert "<table>" in first  # the HTML Google Earth renders
    assert "<script>" not in first
    assert "&lt;script&gt;" in first
    back = pyogrio.read_dataframe(kml)
    assert back.crs.to_epsg() == 4326
    # counts are typed as numbers (GDAL types a 64-bit integer column as text)
    assert '<SimpleField name="incidents" type="int">' in raw
    assert pd.api.types.is_integer_dtype(back["incidents"])
    assert len(back) == (thanet["kde"].hotspots["incidents"] >= 10).sum()


def test_csv_safe_for_excel(thanet: dict[str, Any], tmp_path: Path) -> None:
    paths = _export(thanet, tmp_path, "csv", crs="EPSG:4326")
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(paths[0], encoding="utf-8-sig", dtype=str)
    assert table["districts"].iloc[0] == "'" + FORMULA
    assert table["wards"].iloc[0] == EVIL  # plain text in a spreadsheet
    assert "geometry" not in table
    lon = table["longitude"].astype(float)
    assert lon.between(0.2, 1.6).all()
    for col in table.columns:  # no cell can start a formula
        assert not table[col].dropna().str.match(r"^[=+@\t\r]").any(), col
        neg = table[col].dropna()
        assert all(
            v.lstrip("-").replace(".", "", 1).isdigit()
            for v in neg[neg.str.startswith("-")]
        )
    wards = pd.read_csv(
        next(p for p in paths if "ward" in p.name), encoding="utf-8-sig", dtype=str
    )
    assert (wards["incidents"] == "<10").any()
    assert "incidents_note" not in wards
    # the previous period (2023-09..12) is not in the data: its count is blank,
    # and why is in its own column, not in the column of counts
    assert wards["previous"].isna().all()
    assert wards["previous_note"].str.startswith("Previous period 2023-09").all()
    side = json.loads(paths[-1].read_text())
    assert side["disclosure"]["mode"] == "public"
    assert side["software"].startswith("hotspots")


def test_csv_table_puts_marks_in_counts_and_keeps_other_notes() -> None:
    table = pd.DataFrame(
        {
            "incidents": pd.array([25, pd.NA, pd.NA], dtype="Int64"),
            "incidents_note": pd.array([pd.NA, "<10", "[c]"], dtype="string"),
            "previous": pd.array([20, pd.NA, pd.NA], dtype="Int64"),
            "previous_note": pd.array(
                [pd.NA, "<10", "no data for 2023-09"], dtype="string"
            ),
            "trend_ratio": [1.5, np.inf, np.nan],
        }
    )
    out = csv_table(table)
    assert out["incidents"].tolist() == ["25", "<10", "[c]"]
    assert "incidents_note" not in out  # marks only: folded into the counts
    assert out["previous"].tolist() == ["20", "<10", pd.NA]
    assert out["previous_note"].tolist() == [pd.NA, pd.NA, "no data for 2023-09"]
    assert out["trend_ratio"].iloc[0] == 1.5
    assert out["trend_ratio"].iloc[1:].isna().all()  # inf: blank, as in the gpkg


def test_geotiff_matches_grid(thanet: dict[str, Any], tmp_path: Path) -> None:
    (path,) = _export(thanet, tmp_path, "geotiff")
    surface = thanet["kde"].result
    grid = surface.grid
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.shape == (grid.ny, grid.nx)
        assert src.transform.to_gdal() == grid.affine()
        assert src.nodata == NODATA
        assert src.dtypes[0] == "float32"
        data = src.read(1)
        tags = src.tags()
        assert "incidents per km2" in tags["UNITS"]
        assert json.loads(tags["PROVENANCE"])["disclosure"]["mode"] == "public"
        assert src.descriptions[0] == "kde_per_km2"
        assert "withheld" in json.loads(tags["PROVENANCE"])["disclosure"]["surface"]
    north_up = np.flipud(surface.mask)
    assert (data[~north_up] == NODATA).all()
    expected = np.flipud(surface.kde_per_km2).astype("float32")
    # public: the density only where 10 or more incidents lie within the bandwidth
    # (a lone incident's bump would give its place away)
    count = np.flipud(surface.count_in_bandwidth)
    shown = north_up & (count >= 10)
    withheld = north_up & (count < 10) & (expected > 0)
    assert shown.sum() > 1000
    assert withheld.sum() > 1000
    # to 1 significant figure (exact densities give the counts back: see
    # test_disclosure), rounded here by Python's own formatting
    first = np.array([float(f"{v:.1g}") for v in expected[shown].astype("float64")])
    np.testing.assert_allclose(data[shown], first, rtol=1e-6)
    assert (data[shown] != expected[shown]).mean() > 0.9
    assert (data[north_up & (count < 10)] == NODATA).all()
    # restricted: the whole surface
    (whole,) = _export(thanet, tmp_path / "r", "geotiff", mode="restricted")
    with rasterio.open(whole) as src:
        full = src.read(1)
    np.testing.assert_array_equal(full[north_up], expected[north_up])
    # a cell centre maps back to the same cell: (row 0 of the array = south)
    x, y = grid.centres()
    r, c = rasterio.transform.rowcol(src.transform, x[0, 5], y[0, 5])
    assert (r, c) == (grid.ny - 1, 5)


def test_geotiff_of_a_weighted_surface_says_its_units(
    thanet: dict[str, Any], tmp_path: Path
) -> None:
    sel = thanet["incidents"]
    weighted = sel.assign(
        weight=np.where(sel["category"] == "Violence and sexual offences", 5.0, 1.0)
    )
    d = detect(
        weighted, method="kde", study_area=study_area(["E07000114"]), weight="weight"
    )
    (path,) = export_detection(
        d, tmp_path, fmt="geotiff", provenance=thanet["kde_prov"],
        area_tables=thanet["areas"], mode="restricted",
    )  # fmt: skip
    with rasterio.open(path) as src:
        units = "weight per km2 (incidents weighted by column 'weight')"
        assert src.tags()["UNITS"] == src.tags(1)["UNITS"] == units
        assert src.units == (units,)
        # the weighted surface integrates to the total weight, not the count
        data = src.read(1)
        cell_km2 = (d.result.grid.cell_size / 1000) ** 2
        total = float(data[data != NODATA].sum()) * cell_km2
    located = weighted[~weighted.geometry.is_empty]
    assert total == pytest.approx(located["weight"].sum(), rel=0.02)
    assert total > 1.1 * len(located)
    # public: cells withheld by the unweighted count (a weight of 5 would let a
    # lone incident's cells pass for 5 incidents), which needs the incidents
    with pytest.raises(HotspotsError, match="incidents"):
        export_detection(
            d, tmp_path / "p", fmt="geotiff", provenance=thanet["kde_prov"]
        )
    (public,) = export_detection(
        d, tmp_path / "p", fmt="geotiff", provenance=thanet["kde_prov"],
        incidents=weighted,
    )  # fmt: skip
    unweighted = detect(sel, method="kde", study_area=study_area(["E07000114"]))
    count = np.flipud(unweighted.result.count_in_bandwidth)
    inside = np.flipud(d.result.mask)
    with rasterio.open(public) as src:
        shown = src.read(1) != NODATA
    np.testing.assert_array_equal(shown, inside & (count >= 10))
    assert (np.flipud(d.result.count_in_bandwidth)[inside & ~shown] >= 10).any()


def test_export_bytes_same_content(thanet: dict[str, Any], tmp_path: Path) -> None:
    name, data, mime = export_bytes(
        thanet["gistar"],
        fmt="shapefile",
        provenance=thanet["gistar_prov"],
        area_tables=thanet["areas"],
    )
    assert name == "hotspots-gistar.zip"
    assert mime == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "hotspots.shp" in archive.namelist()
    name, data, mime = export_bytes(
        thanet["kde"],
        fmt="csv",
        provenance=thanet["kde_prov"],
        area_tables=thanet["areas"],
    )
    (path,) = [
        p for p in _export(thanet, tmp_path, "csv") if p.name == "hotspots-kde.csv"
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("hotspots-kde.csv") == path.read_bytes()


def test_folium_popups_escape_text(thanet: dict[str, Any]) -> None:
    from hotspots.mapping import add_hotspots, new_map

    m = new_map(basemap="none")
    add_hotspots(
        m,
        thanet["kde"].hotspots.head(3),
        name="Hotspots",
        fields={"wards": "Wards", "districts": "Districts", "incidents": "n"},
    )
    page = m.get_root().render()
    assert EVIL not in page
    assert "<script>alert" not in page
    # the value reaches Leaflet's innerHTML HTML-escaped (folium writes & as \u0026)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escaped in page or escaped.replace("&", "\\u0026") in page


def test_restricted_gpkg_may_hold_points(
    thanet: dict[str, Any], tmp_path: Path
) -> None:
    (path,) = _export(
        thanet, tmp_path, "gpkg", mode="restricted", incidents=thanet["incidents"]
    )
    assert "incidents" in dict(pyogrio.list_layers(path))
    (pub,) = _export(thanet, tmp_path / "p", "gpkg", incidents=thanet["incidents"])
    assert "incidents" not in dict(pyogrio.list_layers(pub))  # no points in public
    # safeguarding rows are never points, restricted or not (counted all the same)
    sensitivity = ["safeguarding"] * 7 + ["public"] * (len(thanet["incidents"]) - 7)
    mixed = thanet["incidents"].assign(sensitivity=sensitivity)
    (path,) = _export(
        thanet, tmp_path / "s", "gpkg", mode="restricted", incidents=mixed
    )
    points = pyogrio.read_dataframe(path, layer="incidents")
    assert len(points) == len(mixed) - 7
    assert set(points["sensitivity"]) == {"public"}


def test_empty_detection_exports(thanet: dict[str, Any], tmp_path: Path) -> None:
    d = thanet["kde"]
    empty = Detection(
        d.method, d.hotspots.iloc[:0], d.parameters, d.study_area_km2, d.result
    )
    (path,) = export_detection(
        empty, tmp_path, fmt="gpkg", provenance=thanet["kde_prov"]
    )
    assert len(pyogrio.read_dataframe(path, layer="hotspots")) == 0


@pytest.mark.parametrize("dtype", ["string", "category", "object"])
def test_provenance_describes_the_data(dtype: str) -> None:
    import geopandas as gpd
    from shapely import Point

    from hotspots.provenance import describe_data

    incidents = gpd.GeoDataFrame(
        {
            "month": pd.PeriodIndex(
                ["2024-02", "2024-01", "2024-02", "2024-03"], freq="M"
            ),
            "source": pd.Series(["police", "council", "police", "police"], dtype=dtype),
            "sensitivity": pd.Series(
                ["public", "safeguarding", None, "public"], dtype=dtype
            ),
        },
        geometry=[Point(600_000, 150_000), Point(), None, Point(601_000, 151_000)],
        crs=27700,
    )
    data = describe_data(incidents)
    assert data["incidents"] == 4
    assert (data["located"], data["unlocated"]) == (2, 2)
    assert data["sources"] == {"council": 1, "police": 3}
    assert data["source_months"] == {
        "council": ["2024-01"],
        "police": ["2024-02", "2024-03"],
    }
    one = describe_data(incidents.iloc[[0, 2]])
    assert one["source_months"] == {"police": ["2024-02"]}
    assert data["months"] == ["2024-01", "2024-02", "2024-03"]
    assert (data["month_from"], data["month_to"]) == ("2024-01", "2024-03")
    # a missing sensitivity is named, never dropped or unsortable
    assert data["sensitivities"] == ["missing", "public", "safeguarding"]


def test_public_gistar_cells_leave_out_lone_incidents(
    thanet: dict[str, Any], tmp_path: Path
) -> None:
    """Drugs in Thanet in one month: sparse, so single incidents make "hot" cells;
    the public layer and the summary report's map leave those windows out."""
    sel = thanet["incidents"]
    drugs = sel[
        (sel["theme"] == "drugs & county lines")
        & (sel["month"].astype(str) == "2024-04")
    ]
    d = detect(drugs, method="gistar", study_area=study_area(["E07000114"]))
    result = d.result
    windows = result.window_counts()
    lone = result.mask & (windows < 10) & (result.gi_bin > 0)
    assert lone.any()  # the premise: hot cells of fewer than 10 incidents
    rec = provenance(drugs, filters={}, method="gistar", parameters=d.parameters)
    (path,) = export_detection(d, tmp_path, fmt="gpkg", provenance=rec, incidents=drugs)
    cells = pyogrio.read_dataframe(path, layer="gistar_cells")
    rows, cols = cells["row"].to_numpy(), cells["col"].to_numpy()
    assert not lone[rows, cols].any()
    assert (windows[rows, cols] >= 10).all()
    (whole,) = export_detection(
        d, tmp_path / "r", fmt="gpkg", provenance=rec, incidents=drugs,
        mode="restricted",
    )  # fmt: skip
    full = pyogrio.read_dataframe(whole, layer="gistar_cells")
    assert len(full) == int(result.mask.sum())
