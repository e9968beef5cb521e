"""Write incidents and hotspot layers to files: GeoPackage, GeoJSON, Shapefile, KML...

Every export goes through GDAL (pyogrio for vectors, rasterio for the GeoTIFF),
carries its provenance (inside the file where the format has room, else a
``.provenance.json`` sidecar) and applies disclosure control
(`hotspots.disclosure`; public by default). Text reaching HTML (KML
descriptions) is escaped and text reaching spreadsheets (CSV) is neutralised.
"""

from __future__ import annotations

import html
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray

from hotspots._validate import HotspotsError
from hotspots.crs import WEB_CRS, WORKING_CRS, to_wgs84, wgs84_method
from hotspots.disclosure import (
    SURFACE_ROUNDING,
    check_mode,
    disclose_areas,
    disclose_gistar_bins,
    disclose_hotspots,
    disclose_record,
    disclose_surface,
    disclose_trend_cells,
    disclosure_record,
    safeguarding_rows,
)
from hotspots.io import write_csv_safe

if TYPE_CHECKING:
    from hotspots.detect import Detection


_Rows = TypeVar("_Rows", bound=pd.DataFrame)


def without_safeguarding(incidents: _Rows) -> tuple[_Rows, int]:
    """`incidents` without safeguarding rows, and how many were left out.

    Safeguarding rows are never written as points, in any mode (DESIGN.md's data
    contract): a point, or its location text, would place a child or vulnerable
    adult. They are counted in the hotspots and area tables all the same.
    """
    guarded = safeguarding_rows(incidents)
    return incidents[~guarded], int(guarded.sum())


def write_incidents_gpkg(incidents: gpd.GeoDataFrame, path: str | Path) -> int:
    """Write canonical incidents as a GeoPackage layer ``incidents`` (EPSG:27700).

    Unlocated incidents are written with empty geometry, so counts match the table;
    safeguarding rows are left out (`without_safeguarding`): returns how many.
    Month is written as YYYY-MM text, since GeoPackage has no month type.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise HotspotsError(
            f"{path}: --out writes a GeoPackage; give a name ending .gpkg."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    kept, left_out = without_safeguarding(incidents)
    out = kept.assign(month=kept["month"].astype(str))
    out.to_file(path, layer="incidents", driver="GPKG", engine="pyogrio")
    return left_out


def provenance_rows(
    record: dict[str, Any], *, prefix: str = ""
) -> list[tuple[str, str]]:
    """A record as (key, value) rows: nested keys joined by dots, values as JSON."""
    rows: list[tuple[str, str]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(provenance_rows(value, prefix=f"{name}."))
        else:
            rows.append((name, json.dumps(value, default=str, ensure_ascii=False)))
    return rows


#: What a detection's GeoPackage is (`write_detection`), in its provenance table
#: and where it is written: the analyst's full detail; `hotspots export` writes
#: the public form.
DETECTION_FILE_DISCLOSURE = {
    **disclosure_record("restricted"),
    "note": "exact counts, for analysts; not for publication: `hotspots export` "
    "writes public files (small counts withheld, others rounded)",
}


def write_detection(
    detection: Detection, path: str | Path, provenance: dict[str, Any]
) -> None:
    """Write hotspot polygons and their provenance to one GeoPackage.

    Layers: ``hotspots`` (polygons, EPSG:27700, with their statistics), then one
    per supporting layer (``kde_cells``, ``gistar_cells``), and two tables:
    ``parameters`` (name, value as JSON, automatic: whether chosen by a rule)
    and ``provenance`` (key, value as JSON: software, time, data, filters, and
    ``disclosure``: restricted, `DETECTION_FILE_DISCLOSURE`).
    """
    provenance = {**provenance, "disclosure": DETECTION_FILE_DISCLOSURE}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    hotspots = detection.hotspots
    if hotspots.empty:
        hotspots = gpd.GeoDataFrame(
            {"hotspot_id": pd.Series(dtype="int64")},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        )
    hotspots = hotspots.assign(
        **{
            c: hotspots[c].astype(str)
            for c in hotspots.columns
            if c != "geometry" and hotspots[c].dtype == object
        }
    )
    pyogrio.write_dataframe(hotspots, path, layer="hotspots", driver="GPKG")
    for name, layer in detection.layers().items():
        if len(layer):
            pyogrio.write_dataframe(
                layer, path, layer=name, driver="GPKG", append=False
            )
    _write_tables(path, detection.parameters, provenance)


def write_trend_cells(
    cells: gpd.GeoDataFrame,
    path: str | Path,
    record: dict[str, Any],
    *,
    mode: str,
    threshold: int = 10,
) -> int:
    """Emerging hot spot cells and their provenance in one GeoPackage; the cells written.

    Layers: ``trend_cells`` (squares, EPSG:27700: pattern, months hot, trend,
    incidents ``n``; `disclose_trend_cells` for `mode`), and the ``parameters``
    and ``provenance`` tables (public mode rounds the counts in them:
    `disclose_record`). `record`: the provenance, its ``parameters`` the
    analysis' (``cells.attrs["parameters"]``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    layer = disclose_trend_cells(cells, mode=mode, threshold=threshold)
    record = disclose_record(record, mode=mode, threshold=threshold)
    record["disclosure"] = layer.attrs["disclosure"]
    layer.attrs = {}
    pyogrio.write_dataframe(
        layer, path, layer="trend_cells", driver="GPKG", geometry_type="Polygon"
    )  # typed even when public mode withholds every cell (else "Unknown")
    _write_tables(path, record.get("parameters", {}), record)
    return len(layer)


def trend_cells_bytes(
    cells: gpd.GeoDataFrame, record: dict[str, Any], *, mode: str, name: str
) -> tuple[str, bytes, str]:
    """`write_trend_cells` as ``(filename, bytes, mime)`` for a download button."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.gpkg"
        write_trend_cells(cells, path, record, mode=mode)
        return path.name, path.read_bytes(), FORMATS["gpkg"][1]


def _write_tables(
    path: Path, parameters: dict[str, Any], record: dict[str, Any]
) -> None:
    """The ``parameters`` and ``provenance`` tables of a GeoPackage.

    A parameter is marked automatic when the method recorded ``<name>_automatic``
    (or Gi*'s ``<name>_auto``) as true, `<name>` without its unit: ``cell_size_m``
    by ``cell_size_automatic``.
    """

    def automatic(name: str) -> bool:
        bare = name.removesuffix("_m")
        flags = [
            parameters.get(f"{n}_{f}")
            for n in (name, bare)
            for f in ("automatic", "auto")
        ]
        return any(isinstance(v, bool | np.bool_) and bool(v) for v in flags)

    table = pd.DataFrame(
        [
            {
                "name": k,
                "value": json.dumps(v, default=str, ensure_ascii=False),
                "automatic": automatic(k),
            }
            for k, v in parameters.items()
        ]
    )
    pyogrio.write_dataframe(table, path, layer="parameters", driver="GPKG")
    prov = pd.DataFrame(provenance_rows(record), columns=["key", "value"])
    pyogrio.write_dataframe(prov, path, layer="provenance", driver="GPKG")


# =====================================================================
# Exports of a detection: every format, provenance, disclosure control
# =====================================================================

#: Export formats: name -> (file suffix, MIME type of `export_bytes`).
FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shapefile": (".zip", "application/zip"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "geotiff": (".tif", "image/tiff"),
    "csv": (".csv", "text/csv"),
    "pdf": (".pdf", "application/pdf"),
    "html": (".html", "text/html"),
}
#: The formats that are the summary report of a view (`hotspots.view_report`).
REPORT_FORMATS = ("pdf", "html")


def file_crs(fmt: str, crs: str) -> str:
    """The CRS a file of format `fmt` is written in when `crs` is asked for.

    GeoJSON and KML are always WGS84; the summary reports draw on the grid.
    """
    if fmt in REPORT_FORMATS:
        return WORKING_CRS
    return {"geojson": WEB_CRS, "kml": WEB_CRS}.get(fmt, crs)


#: CRSs a user may choose where the format allows (GeoJSON and KML: WGS84 only;
#: GeoTIFF: British National Grid only, since reprojecting resamples the surface).
EXPORT_CRSS = ("EPSG:27700", "EPSG:4326")
#: Nodata value of the GeoTIFF (cells outside the study area).
NODATA = -9999.0
#: Units of the KDE surface.
KDE_UNITS = "incidents per km2"
#: The surface's units when its incidents were weighted (by harm, say).
WEIGHTED_KDE_UNITS = "weight per km2 (incidents weighted by column {column!r})"

#: Shapefile field names (10 characters at most): full name -> short name.
#: Names not listed are cut to 10 characters and numbered if they clash.
SHORT_NAMES: dict[str, str] = {
    "hotspot_id": "hotspot_id",
    "incidents_note": "inc_note",
    "top_categories": "top_cats",
    "months_active": "months_act",
    "first_month": "first_mon",
    "last_month": "last_mon",
    "trend_ratio": "trend_rat",
    "trend_label": "trend_lab",
    "peak_kde_per_km2": "peak_kde",
    "mean_kde_per_km2": "mean_kde",
    "incidents_per_km2": "inc_km2",
    "threshold_kde_per_km2": "thresh_kde",
    "district_names": "dist_names",
    "ward_names": "ward_names",
    "rate_per_1000": "rate_1000",
    "location_quotient": "loc_quot",
    "previous_note": "prev_note",
    "change_significant": "change_sig",
    "change_significant_adj": "chg_sigadj",
    "change_p_adj": "chg_p_adj",
    "gi_p_adj": "gi_p_adj",
    "centroid_x": "centroid_x",
    "centroid_y": "centroid_y",
}


def shapefile_names(columns: list[str]) -> dict[str, str]:
    """Unique Shapefile field names (at most 10 characters) for `columns`.

    Uses `SHORT_NAMES`, else the first 10 characters; a clash gets a number
    (``name_1``, cut to fit). The geometry column is left out.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if col == "geometry":
            continue
        short = SHORT_NAMES.get(col, col[:10])
        k = 1
        while short.lower() in used:
            suffix = f"_{k}"
            short = SHORT_NAMES.get(col, col)[: 10 - len(suffix)] + suffix
            k += 1
        used.add(short.lower())
        out[col] = short
    return out


def _check_export(fmt: str, crs: str) -> None:
    if fmt not in FORMATS:
        raise HotspotsError(
            f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}."
        )
    if crs not in EXPORT_CRSS:
        raise HotspotsError(
            f"Unknown CRS {crs!r} for export; choose EPSG:27700 (British National "
            "Grid, metres) or EPSG:4326 (WGS84 longitude/latitude)."
        )
    if fmt == "geotiff" and crs != WORKING_CRS:
        raise HotspotsError(
            "The GeoTIFF is written in EPSG:27700 only (reprojecting a raster "
            "resamples the surface); choose `crs` EPSG:27700."
        )


def _has_safeguarding(
    provenance: dict[str, Any], incidents: pd.DataFrame | None
) -> bool | None:
    """Whether the detection's data held safeguarding rows (None: unknown)."""
    if incidents is not None:
        if "sensitivity" not in incidents.columns:
            return None
        return bool(safeguarding_rows(incidents).any())
    data = provenance.get("data")
    if isinstance(data, dict) and "sensitivities" in data:
        return "safeguarding" in [str(s) for s in data["sensitivities"]]
    return None


def _area_layer(table: pd.DataFrame, level: str) -> gpd.GeoDataFrame:
    """An area table with its boundary, in EPSG:27700."""
    if isinstance(table, gpd.GeoDataFrame):
        return table.to_crs(WORKING_CRS)
    from hotspots.boundaries import load_boundary

    code = "ward_code" if level == "ward" else "lad_code"
    if code not in table.columns:
        raise HotspotsError(
            f"The {level} table has no {code!r} column; pass the table made by "
            f"hotspots.areas.area_statistics(level={level!r})."
        )
    bounds = load_boundary("wards" if level == "ward" else "districts")
    geometry = bounds.set_index(code).geometry.reindex(table[code].astype(str))
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=bounds.crs)


def export_layers(
    detection: Detection,
    *,
    provenance: dict[str, Any],
    mode: str = "public",
    threshold: int = 10,
    incidents: pd.DataFrame | None = None,
    area_tables: dict[str, pd.DataFrame] | None = None,
    safeguarding_excluded: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of an export, after disclosure control, in EPSG:27700.

    Parameters
    ----------
    detection
        What `hotspots.detect.detect` returned.
    provenance
        The record of `hotspots.provenance.provenance` for the detection.
    mode
        ``"public"`` (default; see `hotspots.disclosure`) or ``"restricted"``.
    threshold
        Smallest count published in public mode (default 10).
    incidents
        The incidents the detection was made from; used to check for
        safeguarding rows (and, in restricted mode only, written as an
        ``incidents`` point layer of the GeoPackage). ``None``: the check uses
        ``provenance["data"]["sensitivities"]``.
    area_tables
        ``{"ward": table, "district": table}`` from
        `hotspots.areas.area_statistics` (with or without geometry).
    safeguarding_excluded
        Public mode when neither `incidents` nor the provenance says which
        sensitivities the detection used: True states that safeguarding rows
        were excluded; otherwise the fine-scale layers are refused.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame: ``hotspots``, ``gistar_cells`` (Gi*),
        ``ward_statistics``, ``district_statistics``, ``incidents`` (restricted
        GeoPackage only, added by the writer).

    Raises
    ------
    HotspotsError
        Public mode with data that includes (or may include) safeguarding rows:
        hotspot polygons and surfaces are finer than ward.
    """
    check_mode(mode, threshold)
    layers: dict[str, gpd.GeoDataFrame] = {}
    if mode == "public":
        found = _has_safeguarding(provenance, incidents)
        if found or (found is None and not safeguarding_excluded):
            raise HotspotsError(
                "Public exports may not hold hotspot polygons or surfaces made from "
                "safeguarding incidents (finer than ward). "
                + (
                    "The selection includes safeguarding incidents: detect again "
                    "without them (on the command line, without "
                    "--include-safeguarding), or export in restricted mode (--mode "
                    "restricted) for partners with a data-sharing agreement."
                    if found
                    else "The sensitivities used are unknown: pass the incidents, "
                    "or safeguarding_excluded=True if they were filtered out."
                )
            )
    hot = detection.hotspots
    if hot.empty:
        hot = gpd.GeoDataFrame(
            {
                "hotspot_id": pd.Series(dtype="int64"),
                "incidents": pd.Series(dtype="int64"),
            },
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        )
    layers["hotspots"] = disclose_hotspots(hot, mode=mode, threshold=threshold)
    for name, layer in detection.layers().items():
        if mode == "public":
            # cell counts and exact statistics of 100 m cells could be inverted to
            # counts: only the classification is published, and only of cells
            # whose window holds `threshold` incidents or more
            if name == "gistar_cells":
                shown = gistar_shown(detection, mode=mode, threshold=threshold)
                rows, cols = layer["row"].to_numpy(), layer["col"].to_numpy()
                layer = layer[shown[rows, cols]]
            layer = layer[
                [c for c in ("row", "col", "gi_bin") if c in layer]
                + [layer.geometry.name]
            ]
        layers[name] = layer
    for level, table in (area_tables or {}).items():
        if level not in ("ward", "district"):
            raise HotspotsError(
                f"Unknown area table {level!r}; give 'ward' and/or 'district'."
            )
        safe = disclose_areas(table, mode=mode, threshold=threshold)
        layers[f"{level}_statistics"] = _area_layer(safe, level)
    return layers


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types every GDAL driver takes: text as str, booleans as Int."""
    changes: dict[str, Any] = {}
    for col in frame.columns:
        if col == getattr(frame, "_geometry_column_name", None):
            continue
        s = frame[col]
        if pd.api.types.is_float_dtype(s) and not isinstance(s.dtype, pd.ArrowDtype):
            # JSON and dBASE have no infinity (e.g. a trend ratio over a zero month)
            changes[col] = s.astype("float64").replace([np.inf, -np.inf], np.nan)
        elif pd.api.types.is_bool_dtype(s):
            changes[col] = s.astype("Int64")
        elif isinstance(s.dtype, pd.PeriodDtype):
            changes[col] = s.astype(str)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            changes[col] = s.astype("string").astype(object).where(s.notna(), None)
    return frame.assign(**changes)


def _to(layer: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """`layer` in `crs`; WGS84 by OSTN15 (`hotspots.crs.to_wgs84`)."""
    if layer.crs == crs:
        return layer
    return to_wgs84(layer) if crs == WEB_CRS else layer.to_crs(crs)


def _in_crs(layer: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    return _for_file(_to(layer, crs))


def _provenance_json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, default=str, ensure_ascii=False)


def write_sidecar(path: Path, record: dict[str, Any]) -> Path:
    """Write `record` as ``<stem>.provenance.json`` beside `path`; that file."""
    side = path.with_name(f"{path.stem}.provenance.json")
    side.write_text(_provenance_json(record), encoding="utf-8")
    return side


def _target(path_or_dir: str | Path, fmt: str, detection: Detection, mode: str) -> Path:
    """The file to write; in a folder ``hotspots-<method>[-restricted]<suffix>``.

    A restricted file's name says so: it cannot overwrite the public one of the
    same folder, and a file that travels without its record still says what
    it is.
    """
    path = Path(path_or_dir)
    suffix = FORMATS[fmt][0]
    if path.is_dir() or path.suffix == "":
        path.mkdir(parents=True, exist_ok=True)
        tag = "-restricted" if mode == "restricted" else ""
        return path / f"hotspots-{detection.method}{tag}{suffix}"
    if path.suffix.lower() != suffix:
        raise HotspotsError(
            f"{path}: a {fmt} export is written to a name ending {suffix}, "
            "or give a folder."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def export_detection(
    detection: Detection,
    path_or_dir: str | Path,
    *,
    fmt: str = "gpkg",
    provenance: dict[str, Any],
    mode: str = "public",
    crs: str = WORKING_CRS,
    threshold: int = 10,
    incidents: pd.DataFrame | None = None,
    area_tables: dict[str, pd.DataFrame] | None = None,
    safeguarding_excluded: bool = False,
) -> list[Path]:
    """Write a detection in one format, with its provenance and disclosure control.

    Parameters
    ----------
    detection
        What `hotspots.detect.detect` returned.
    path_or_dir
        A file name with the format's suffix (`FORMATS`), or a folder (the file
        is then ``hotspots-<method><suffix>``, ``hotspots-<method>-restricted<suffix>``
        in restricted mode).
    fmt
        ``gpkg`` (default: every layer plus ``provenance`` and ``parameters``
        tables), ``geojson`` (RFC 7946, one file per layer, provenance as a
        top-level ``provenance`` member), ``shapefile`` (one zip: each layer's
        .shp .shx .dbf .prj .cpg, ``fieldnames.csv`` and ``provenance.json``),
        ``kml`` (WGS84; one file per layer, escaped HTML descriptions, sidecar
        ``.provenance.json``), ``geotiff`` (the KDE surface, float32, EPSG:27700,
        nodata outside the study area, provenance and units in tags) or ``csv``
        (hotspot and area tables without geometry, centroid coordinates in
        `crs`, formula-safe UTF-8 with BOM, sidecar ``.provenance.json``) or
        ``pdf`` (a summary report for meetings: map, ranked hotspots, wards by
        rate, districts, method and provenance; `hotspots.view_report`) or
        ``html`` (the same report as one self-contained, accessible web page:
        real headings and tables, the map with its text alternative).
    provenance
        The record of `hotspots.provenance.provenance`; the ``disclosure`` entry
        is added (and public mode rounds its counts: `disclose_record`).
    mode
        ``"public"`` (default) or ``"restricted"``; see `hotspots.disclosure`.
    crs
        ``EPSG:27700`` (default) or ``EPSG:4326`` for GeoPackage, Shapefile and
        CSV; GeoJSON and KML are always EPSG:4326, GeoTIFF and the summary
        report (PDF, HTML) EPSG:27700.
    threshold
        Smallest published count in public mode (default 10).
    incidents, area_tables, safeguarding_excluded
        See `export_layers`.

    Returns
    -------
    list of Path
        The files written, main file first.
    """
    _check_export(fmt, crs)
    check_mode(mode, threshold)
    record = disclose_record(provenance, mode=mode, threshold=threshold)
    record["export"] = {"format": fmt, "crs": file_crs(fmt, crs)}
    if file_crs(fmt, crs) == WEB_CRS:
        record["export"]["transformation"] = wgs84_method()
    target = _target(path_or_dir, fmt, detection, mode)
    surface_formats = ("geotiff", *REPORT_FORMATS)
    if mode == "public" and detection.method == "kde" and fmt in surface_formats:
        record["disclosure"] = {
            **record.get("disclosure", {}),
            "surface": f"cells with fewer than {threshold} incidents within the "
            "bandwidth of their centre withheld; the others' densities rounded to "
            f"{SURFACE_ROUNDING} (exact ones would give the counts at each "
            "location back)",
        }
    if fmt == "geotiff":
        if mode == "public":  # the same safeguarding check as the vector layers
            export_layers(
                detection,
                provenance=provenance,
                mode=mode,
                threshold=threshold,
                incidents=incidents,
                safeguarding_excluded=safeguarding_excluded,
            )
        values = surface_values(
            detection, mode=mode, threshold=threshold, incidents=incidents
        )
        return [write_surface_tiff(detection, target, record, values=values)]
    layers = export_layers(
        detection,
        provenance=provenance,
        mode=mode,
        threshold=threshold,
        incidents=incidents,
        area_tables=area_tables,
        safeguarding_excluded=safeguarding_excluded,
    )
    if fmt in REPORT_FORMATS:
        from hotspots.view_report import write_summary

        surface = None
        if detection.method == "kde":
            surface = surface_values(
                detection, mode=mode, threshold=threshold, incidents=incidents
            )
        elif detection.method == "gistar":
            surface = gistar_shown(detection, mode=mode, threshold=threshold)
        return [
            write_summary(
                detection,
                layers,
                provenance,
                target,
                mode=mode,
                threshold=threshold,
                surface=surface,
            )
        ]
    if fmt == "gpkg":
        points = None
        if mode == "restricted" and incidents is not None:
            points = incidents
        # public mode rounds the parameters' incident counts as it does the
        # record's (exact ones would let the rounded figures be differenced)
        params = disclose_record(
            {"parameters": detection.parameters}, mode=mode, threshold=threshold
        )["parameters"]
        return [_write_gpkg(layers, target, record, params, crs, points)]
    if fmt == "geojson":
        return _write_geojson(layers, target, record)
    if fmt == "shapefile":
        return [_write_shapefile(layers, target, record, crs)]
    if fmt == "kml":
        return _write_kml(layers, target, record)
    return _write_csv(layers, target, record, crs)


def _write_gpkg(
    layers: dict[str, gpd.GeoDataFrame],
    path: Path,
    record: dict[str, Any],
    parameters: dict[str, Any],
    crs: str,
    points: pd.DataFrame | None,
) -> Path:
    path.unlink(missing_ok=True)
    text = _provenance_json(record)
    for name, layer in layers.items():
        pyogrio.write_dataframe(
            _in_crs(layer, crs),
            path,
            layer=name,
            driver="GPKG",
            layer_metadata={"PROVENANCE": text} if name == "hotspots" else None,
        )
    if points is not None and isinstance(points, gpd.GeoDataFrame):
        shown, _ = without_safeguarding(points)
        pyogrio.write_dataframe(
            _in_crs(shown, crs), path, layer="incidents", driver="GPKG"
        )
    _write_tables(path, parameters, record)
    return path


def _layer_path(target: Path, name: str) -> Path:
    return (
        target
        if name == "hotspots"
        else target.with_name(f"{target.stem}-{name}{target.suffix}")
    )


def _write_geojson(
    layers: dict[str, gpd.GeoDataFrame], target: Path, record: dict[str, Any]
) -> list[Path]:
    out = []
    for name, layer in layers.items():
        path = _layer_path(target, name)
        path.unlink(missing_ok=True)
        pyogrio.write_dataframe(
            _in_crs(layer, WEB_CRS),
            path,
            driver="GeoJSON",
            layer_options={
                "RFC7946": "YES",
                "COORDINATE_PRECISION": 6,
                "WRITE_NAME": "NO",
            },
        )
        # GDAL writes no foreign members: add the provenance with the json module
        data = json.loads(path.read_text(encoding="utf-8"))
        data["provenance"] = json.loads(json.dumps(record, default=str))
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        out.append(path)
    return out


def _write_shapefile(
    layers: dict[str, gpd.GeoDataFrame], target: Path, record: dict[str, Any], crs: str
) -> Path:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, layer in layers.items():
            names = shapefile_names(list(layer.columns))
            fitted, cut = _fit_dbf_text(_in_crs(layer, crs))
            rows += [
                {
                    "layer": name,
                    "field": k,
                    "shapefile_field": v,
                    "note": f"cut to {DBF_TEXT_BYTES} bytes in {cut[k]:,} feature"
                    f"{'s' if cut[k] != 1 else ''}: the whole text is in the "
                    "GeoPackage, GeoJSON and CSV"
                    if cut.get(k)
                    else "",
                }
                for k, v in names.items()
            ]
            pyogrio.write_dataframe(
                fitted.rename(columns=names),
                folder / f"{name}.shp",
                driver="ESRI Shapefile",
                encoding="UTF-8",
            )
        pd.DataFrame(rows).to_csv(folder / "fieldnames.csv", index=False)
        (folder / "provenance.json").write_text(
            _provenance_json(record), encoding="utf-8"
        )
        target.unlink(missing_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, file.name)
    return target


#: The longest text a dBASE (Shapefile) field holds, in bytes.
DBF_TEXT_BYTES = 254


def _fit_dbf_text(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Text cut to what a dBASE field holds, and how many values of each column.

    A list ("Margate Central, Cliftonville West, ...") loses whole names and ends
    "and 12 more"; other text ends "…". GDAL would cut at 254 bytes, mid-name,
    with only a warning on the console.
    """
    changes: dict[str, Any] = {}
    cut: dict[str, int] = {}
    for col in frame.columns:
        if col == frame.geometry.name or frame[col].dtype != object:
            continue
        values = frame[col].tolist()
        long = [isinstance(v, str) and _bytes(v) > DBF_TEXT_BYTES for v in values]
        if any(long):
            changes[col] = [
                _fit(v) if t else v for v, t in zip(values, long, strict=True)
            ]
            cut[col] = sum(long)
    return frame.assign(**changes), cut


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _fit(text: str) -> str:
    """`text` within `DBF_TEXT_BYTES`: whole list items and "and N more", else "…"."""
    items = text.split(", ")
    if len(items) > 1:
        for keep in range(len(items) - 1, 0, -1):
            short = f"{', '.join(items[:keep])} and {len(items) - keep} more"
            if _bytes(short) <= DBF_TEXT_BYTES:
                return short
    out = text.encode("utf-8")[: DBF_TEXT_BYTES - len("…".encode())]
    return out.decode("utf-8", errors="ignore") + "…"


def _description(row: pd.Series, columns: list[str]) -> str:
    """An HTML table of a feature's fields, every name and value escaped."""
    cells = "".join(
        f"<tr><th>{html.escape(str(c))}</th><td>{html.escape(_text(row[c]))}</td></tr>"
        for c in columns
    )
    return f"<table>{cells}</table>"


def _text(value: Any) -> str:
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _write_kml(
    layers: dict[str, gpd.GeoDataFrame], target: Path, record: dict[str, Any]
) -> list[Path]:
    out = []
    for name, layer in layers.items():
        path = _layer_path(target, name)
        path.unlink(missing_ok=True)
        columns = [c for c in layer.columns if c != layer.geometry.name]
        web = to_wgs84(layer)
        first = columns[0] if columns else None
        labels = [
            f"{name} {_text(v)}" if first else name
            for v in (web[first] if first else [None] * len(web))
        ]
        web = web.assign(
            Name=labels,
            Description=[_description(r, columns) for _, r in web.iterrows()],
        )
        pyogrio.write_dataframe(
            _int32(_for_file(web)),
            path,
            layer=name,
            driver="KML",
            dataset_options={"NameField": "Name", "DescriptionField": "Description"},
        )
        out.append(path)
    out.append(write_sidecar(target, record))
    return out


def _int32(frame: pd.DataFrame) -> pd.DataFrame:
    """64-bit integer columns as 32-bit where every value fits.

    GDAL's KML driver types a 64-bit column as text (``<SimpleField
    type="string">``), and a 32-bit one as ``int``.
    """
    changes: dict[str, Any] = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_integer_dtype(s) and np.dtype(s.dtype.type).itemsize > 4:
            values = s.dropna()
            if values.empty or values.abs().max() < 2**31:
                changes[col] = s.astype("Int32")
    return frame.assign(**changes)


def _write_csv(
    layers: dict[str, gpd.GeoDataFrame], target: Path, record: dict[str, Any], crs: str
) -> list[Path]:
    out = []
    for name in ("hotspots", "ward_statistics", "district_statistics"):
        if name not in layers:
            continue
        layer = layers[name]
        # the point inside each shape, chosen on the grid, then transformed
        points = _to(
            layer.geometry.representative_point() if len(layer) else layer.geometry, crs
        )
        xy = ("longitude", "latitude") if crs == WEB_CRS else ("easting", "northing")
        places = 6 if crs == WEB_CRS else 1
        table = pd.DataFrame(layer.drop(columns=layer.geometry.name)).assign(
            **{xy[0]: points.x.round(places), xy[1]: points.y.round(places)}
        )
        path = _layer_path(target, name)
        write_csv_safe(csv_table(table), path)
        out.append(path)
    out.append(write_sidecar(target, record))
    return out


#: A withheld count's mark in a ``<col>_note`` column (`SHOWN_PRIMARY`, ...).
_WITHHELD_MARK = r"<\d+|\[c\]"


def csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table as shown in CSV: withheld counts as their mark (``<10``, ``[c]``).

    A ``<col>_note`` column's marks (from `hotspots.disclosure.apply_disclosure`)
    fill the NA cells of ``<col>``; the note column is dropped when it held only
    marks, and keeps any other text (why the previous period has no count) in a
    column of its own, so that a column of numbers holds numbers or marks only.
    An infinite ratio (a trend against no earlier incident) is left blank, as
    the GeoPackage stores it (NULL).
    """
    changes: dict[str, Any] = {}
    drop = []
    for col in table.columns:
        note = f"{col}_note"
        if note in table.columns:
            text = table[note].astype("string")
            mark = text.str.fullmatch(_WITHHELD_MARK).fillna(False).astype(bool)
            changes[col] = table[col].astype("string").where(~mark, text)
            if text[~mark].isna().all():
                drop.append(note)
            else:
                changes[note] = text.where(~mark)
        elif pd.api.types.is_float_dtype(table[col]):
            values = table[col].to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(values).any():
                changes[col] = np.where(np.isinf(values), np.nan, values)
    return table.assign(**changes).drop(columns=drop)


def surface_values(
    detection: Detection,
    *,
    mode: str,
    threshold: int = 10,
    incidents: pd.DataFrame | None = None,
) -> np.ndarray:
    """The KDE surface's densities as `mode` may publish them (NaN: not shown).

    NaN outside the study area; public mode also withholds the cells with fewer
    than `threshold` incidents within the bandwidth
    (`hotspots.disclosure.disclose_surface`). Their count is the surface's own,
    or, for a harm-weighted surface (whose own count is weighted), counted again
    unweighted from `incidents`.

    Raises
    ------
    HotspotsError
        Not a KDE detection; or a public weighted surface without `incidents`.
    """
    from hotspots.density import DensitySurface, count_in_bandwidth

    surface = detection.result
    if not isinstance(surface, DensitySurface):
        raise HotspotsError(
            f"A GeoTIFF holds the KDE surface; this detection used "
            f"{detection.method!r}. Detect with method 'kde', or choose a vector "
            "format (gpkg, geojson, shapefile, kml, csv)."
        )
    values = np.where(surface.mask, surface.kde_per_km2, np.nan)
    if mode == "restricted":
        return values
    counts = surface.count_in_bandwidth
    if surface.parameters.get("weight") is not None:
        if incidents is None:
            raise HotspotsError(
                "A public surface weighted by harm needs the incidents it was made "
                "from, to count them unweighted (pass incidents=...)."
            )
        counts = count_in_bandwidth(
            incidents, surface.grid, surface.parameters["bandwidth_m"]
        )
    return disclose_surface(values, counts, mode=mode, threshold=threshold)


def gistar_shown(
    detection: Detection, *, mode: str, threshold: int = 10
) -> NDArray[np.bool_]:
    """The Gi* grid's cells whose bin `mode` may publish, as a boolean array.

    The cells in the study area; public mode only those whose window holds at
    least `threshold` incidents (`hotspots.disclosure.disclose_gistar_bins`).
    The GeoPackage's ``gistar_cells`` layer and the summary report's map show
    these.
    """
    result = detection.result
    return np.asarray(
        result.mask
        & disclose_gistar_bins(
            result.gi_bin, result.window_counts(), mode=mode, threshold=threshold
        )
    )


def write_surface_tiff(
    detection: Detection,
    path: str | Path,
    record: dict[str, Any],
    *,
    values: np.ndarray | None = None,
) -> Path:
    """Write the KDE surface as a GeoTIFF (float32, EPSG:27700, north up).

    The geotransform is `Grid.affine` exactly; cells outside the study area (and
    NaN cells) hold `NODATA`; band 1 is ``kde_per_km2`` in incidents per km²
    (weighted by harm: the weight per km², `WEIGHTED_KDE_UNITS`); dataset tags
    hold ``PROVENANCE`` (the JSON record) and ``UNITS``. `values`: the densities
    to write (`surface_values`; default the whole surface, restricted).

    Raises
    ------
    HotspotsError
        The detection has no density surface (not ``method="kde"``).
    """
    import rasterio
    from rasterio.transform import Affine

    if values is None:
        values = surface_values(detection, mode="restricted")
    surface = detection.result
    grid = surface.grid
    weight = surface.parameters.get("weight")
    units = KDE_UNITS if weight is None else WEIGHTED_KDE_UNITS.format(column=weight)
    values = np.where(np.isfinite(values), values, NODATA)
    data = np.flipud(values).astype("float32")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=grid.nx,
        height=grid.ny,
        count=1,
        dtype="float32",
        crs=grid.crs,
        transform=Affine.from_gdal(*grid.affine()),
        nodata=NODATA,
        compress="deflate",
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(
            PROVENANCE=json.dumps(record, default=str),
            UNITS=units,
            DISCLOSURE=json.dumps(record.get("disclosure"), default=str),
        )
        dst.update_tags(1, UNITS=units, NAME="kde_per_km2")
        dst.set_band_description(1, "kde_per_km2")
        dst.units = (units,)
    return path


def export_bytes(
    detection: Detection,
    *,
    fmt: str = "gpkg",
    provenance: dict[str, Any],
    mode: str = "public",
    crs: str = WORKING_CRS,
    threshold: int = 10,
    incidents: pd.DataFrame | None = None,
    area_tables: dict[str, pd.DataFrame] | None = None,
    safeguarding_excluded: bool = False,
) -> tuple[str, bytes, str]:
    """The export as ``(filename, bytes, mime)`` for a download button.

    The same files as `export_detection` (written to a temporary folder); when
    it writes several files (sidecars, one file per layer) they come zipped.
    """
    with tempfile.TemporaryDirectory() as tmp:
        paths = export_detection(
            detection,
            Path(tmp),
            fmt=fmt,
            provenance=provenance,
            mode=mode,
            crs=crs,
            threshold=threshold,
            incidents=incidents,
            area_tables=area_tables,
            safeguarding_excluded=safeguarding_excluded,
        )
        if len(paths) == 1:
            return paths[0].name, paths[0].read_bytes(), FORMATS[fmt][1]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in paths:
                archive.write(p, p.name)
        return f"{paths[0].stem}-{fmt}.zip", buffer.getvalue(), "application/zip"
