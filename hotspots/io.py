"""Read user files (CSV, XLSX, folders, zips; map layers) with clear errors."""

from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from pandas.api.types import is_object_dtype, is_string_dtype
from shapely.geometry.base import BaseGeometry

from hotspots._validate import HotspotsError
from hotspots.crs import WORKING_CRS, lonlat_to_bng, to_working_crs

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
READABLE_SUFFIXES = TEXT_SUFFIXES | EXCEL_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")
#: A delimiter other than the comma, as the ingest report says it.
_SEPARATED_BY = {";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}
#: The note on a CSV file that was not UTF-8 (read as Windows-1252 instead).
CP1252_NOTE = "not UTF-8: read as Windows-1252 (cp1252) text"
#: The note on a CSV file read as UTF-16 (it began with a byte-order mark).
UTF16_NOTE = "UTF-16 text"
#: Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """One sheet or CSV file read as text.

    ``frame`` holds every data row as strings ("" for a blank cell), in file order,
    indexed 0..n-1; ``rows`` gives each row's number as a spreadsheet shows it
    (the header is row 1, so the first data row is row 2, unless the header sits
    lower in the sheet).
    """

    name: str  # what the user sees: a path, or "archive.zip/member.csv"
    frame: pd.DataFrame
    rows: pd.Series
    notes: list[str] = field(default_factory=list)
    # rows kept but changed or counted otherwise, by what happened (`notes`
    # says how the file was read)
    noted: dict[str, int] = field(default_factory=dict)


def iter_files(paths: list[str | Path]) -> Iterator[tuple[str, bytes]]:
    """Yield (display name, bytes) for every readable file in files, folders or zips.

    Folders are searched recursively in sorted order; zips are opened and their
    CSV/XLSX members read. Anything else given directly is an error.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise HotspotsError(
                f"{path}: no such file or folder. Check the path (it is relative to "
                f"the folder you ran the command from: {Path.cwd()})."
            )
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and (p.suffix.lower() in READABLE_SUFFIXES | {".zip"})
                and not p.name.startswith((".", "~$"))
            )
            if not found:
                raise HotspotsError(
                    f"{path}: the folder holds no CSV, XLSX or zip files to ingest."
                )
            for p in found:
                yield from iter_files([p])
        elif path.suffix.lower() == ".zip":
            yield from _iter_zip(str(path), path.read_bytes())
        elif path.suffix.lower() in READABLE_SUFFIXES:
            yield str(path), path.read_bytes()
        else:
            raise HotspotsError(_wrong_type(str(path)))


def _iter_zip(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise HotspotsError(
            f"{name}: not a valid zip archive. Re-download it or unzip it yourself "
            "and ingest the folder."
        ) from None
    with archive:
        members = sorted(
            m
            for m in archive.namelist()
            if Path(m).suffix.lower() in READABLE_SUFFIXES
            and not Path(m).name.startswith((".", "~$"))
            and "__MACOSX" not in m
        )
        if not members:
            raise HotspotsError(f"{name}: the zip holds no CSV or XLSX files.")
        for member in members:
            yield f"{name}/{member}", archive.read(member)


def _wrong_type(name: str) -> str:
    suffix = Path(name).suffix.lower() or "(no extension)"
    hint = (
        "Open it in Excel and save as .xlsx (Excel Workbook) or CSV UTF-8."
        if suffix in {".xls", ".ods", ".numbers"}
        else "Give a .csv, .xlsx, a folder of them or a .zip of them."
    )
    return f"{name}: cannot read {suffix} files. {hint}"


def read_table(name: str, data: bytes) -> Table:
    """Read one CSV or XLSX file's bytes as a text table.

    CSV: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
    (Excel's "Unicode Text", some case-management exports) or, failing those,
    Windows-1252; comma, semicolon, tab or pipe delimited (chosen from the header
    line). Every cell is kept as text, exactly as written: nothing is evaluated.
    """
    suffix = Path(name).suffix.lower()
    if not data.strip():
        raise HotspotsError(
            f"{name}: the file is empty. Export it again from the source system."
        )
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(name, data)
    if suffix not in TEXT_SUFFIXES:
        raise HotspotsError(_wrong_type(name))
    notes: list[str] = []
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16's byte-order marks
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise HotspotsError(
                f"{name}: the file starts as UTF-16 text but is not. Save it from "
                "Excel as CSV UTF-8."
            ) from None
        notes.append(UTF16_NOTE)
    if data[:4] == b"PK\x03\x04" or b"\x00" in data[:4096]:
        raise HotspotsError(
            f"{name}: this is not a text CSV file (it looks like a spreadsheet or a "
            "binary file renamed to .csv). Save it from Excel as CSV UTF-8."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        notes.append(CP1252_NOTE)
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header_line.count)
    if header_line.count(delimiter) == 0:
        raise HotspotsError(
            f"{name}: the first line has no comma, semicolon or tab, so it is not a "
            "table with a header row. Check the file is a CSV export with column "
            "names on line 1."
        )
    if delimiter != ",":
        notes.append(f"separated by {_SEPARATED_BY[delimiter]}")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
            on_bad_lines="error",
        )
    except pd.errors.ParserError as err:
        raise HotspotsError(
            f"{name}: the CSV is malformed ({_first_line(err)}). Check for an "
            "unclosed quote or a row with more columns than the header."
        ) from None
    except pd.errors.EmptyDataError:
        raise HotspotsError(f"{name}: the file is empty.") from None
    return _finish(name, frame, header_row=1, notes=notes)


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _read_excel(name: str, data: bytes) -> Table:
    try:
        sheets = pd.read_excel(
            io.BytesIO(data),
            sheet_name=None,
            header=None,
            dtype=object,
            engine="openpyxl",
        )
    except Exception as err:  # openpyxl raises many types for a bad workbook
        raise HotspotsError(
            f"{name}: cannot open the workbook ({_first_line(err)}). Check it is an "
            ".xlsx file and not password-protected."
        ) from None
    # the first sheet with data; its header is the first row with 2+ filled cells
    for sheet, raw in sheets.items():
        filled = raw.notna() & raw.astype(str).apply(lambda c: c.str.strip() != "")
        header_at = next(
            (i for i in range(min(len(raw), 20)) if filled.iloc[i].sum() >= 2), None
        )
        if header_at is None:
            continue
        header = [
            str(v).strip() if pd.notna(v) else f"column_{j + 1}"
            for j, v in enumerate(raw.iloc[header_at])
        ]
        body = raw.iloc[header_at + 1 :].reset_index(drop=True)
        body.columns = pd.Index(_dedupe(header))
        keep = [c for c, h in zip(body.columns, header, strict=True) if h]
        body = body[keep]
        # blank rows at the very end of a sheet are formatting, not data rows
        nonblank = body.notna().any(axis=1).to_numpy().nonzero()[0]
        body = body.iloc[: (nonblank[-1] + 1) if len(nonblank) else 0]
        text = body.apply(lambda col: col.map(_cell_text)).astype("str")
        notes = [f"sheet {sheet!r}"] if len(sheets) > 1 else []
        return _finish(name, text, header_row=header_at + 1, notes=notes)
    raise HotspotsError(
        f"{name}: the workbook's sheets hold no table with a header row."
    )


def _cell_text(value: object) -> str:
    """Excel cell -> text; dates keep ISO form so no day/month ambiguity arises."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


def _finish(
    name: str,
    frame: pd.DataFrame,
    *,
    header_row: int,
    notes: list[str],
) -> Table:
    frame = frame.rename(columns=lambda c: str(c).strip())
    if len(frame) == 0:
        raise HotspotsError(
            f"{name}: the file has a header row but no data rows. Export it again "
            "with the incidents included."
        )
    frame = frame.reset_index(drop=True)
    rows = pd.Series(range(header_row + 1, header_row + 1 + len(frame)), dtype="int64")
    return Table(name=name, frame=frame, rows=rows, notes=notes)


def neutralise_formula(values: pd.Series) -> pd.Series:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Cells starting with = + - @ tab or carriage return become text; plain numbers
    such as ``-0.52`` are left alone, so coordinates survive.
    """
    text = values.astype("string")
    risky = text.str.startswith(FORMULA_PREFIXES, na=False)
    numeric = pd.to_numeric(text.str.strip(), errors="coerce").notna()
    out = text.where(~(risky & ~numeric), "'" + text)
    return out


def write_csv_safe(frame: pd.DataFrame, path: str | Path) -> None:
    """Write `frame` as UTF-8 CSV (with BOM, for Excel) with formulas neutralised."""
    safe = frame.apply(
        lambda c: (
            neutralise_formula(c) if is_string_dtype(c) or is_object_dtype(c) else c
        )
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    safe.to_csv(path, index=False, encoding="utf-8-sig")


# ---------------------------------------------------------------------------
# map layers (area boundaries, recent sites)
# ---------------------------------------------------------------------------

LAYER_FORMATS = "a GeoJSON, GeoPackage, KML/KMZ or zipped shapefile"
#: Members of a zip that GDAL can read, in the order they are preferred.
_ZIP_MEMBERS = (".shp", ".gpkg", ".geojson", ".json", ".kml")


def _sniff(name: str, data: bytes) -> str:
    """The file suffix GDAL needs, from the bytes themselves (not the name)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"PK\x03\x04"):
        return ".zip"
    if data.startswith(b"SQLite format 3\x00"):
        return ".gpkg"
    if head.startswith(b"{"):
        return ".geojson"
    if head.startswith(b"<") and b"<kml" in head.lower():
        return ".kml"
    raise HotspotsError(
        f"{name}: cannot read it as a map layer (not {LAYER_FORMATS}). "
        f"Save the layer as {LAYER_FORMATS} and upload that."
    )


def _zip_member(name: str, path: Path) -> str:
    """The GDAL path of the map layer inside a zip (a shapefile may sit in a folder)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        raise HotspotsError(
            f"{name}: the zip file is damaged; zip the files again and upload it."
        ) from None
    for suffix in _ZIP_MEMBERS:
        found = sorted(m for m in members if m.lower().endswith(suffix))
        if found:
            return f"/vsizip/{path}/{found[0]}"
    raise HotspotsError(
        f"{name}: the zip holds no map layer (no .shp, .gpkg, .geojson or .kml). "
        "Zip a shapefile's .shp, .shx, .dbf and .prj files together and upload that."
    )


def lonlat_geometries_to_bng(name: str, geometry: NDArray[Any]) -> NDArray[Any]:
    """Geometries in WGS84 lon/lat to British National Grid (OSTN15 when installed)."""
    flat = shapely.force_2d(geometry)
    coords = shapely.get_coordinates(flat)
    out = lonlat_to_bng(coords[:, 0], coords[:, 1])
    if not (np.isfinite(out.x).all() and np.isfinite(out.y).all()):
        raise HotspotsError(
            f"{name}: the shape lies (partly) outside Great Britain, so it cannot be "
            "in Kent & Medway. Check the coordinates are longitude, latitude."
        )
    return np.asarray(shapely.set_coordinates(flat, np.column_stack([out.x, out.y])))


def _to_bng(name: str, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`layer` in WORKING_CRS: lon/lat through `lonlat_to_bng`, others through PROJ."""
    crs = layer.crs
    if crs is not None and crs.equals("EPSG:4326", ignore_axis_order=True):
        geometry = lonlat_geometries_to_bng(name, layer.geometry.to_numpy())
        return gpd.GeoDataFrame(
            layer.drop(columns=layer.geometry.name),
            geometry=geometry,
            crs=WORKING_CRS,
        )
    return to_working_crs(layer)


def _haspolygon_union(layer: gpd.GeoDataFrame) -> bool:
    return polygon_union(layer.geometry.to_numpy()) is not None


def read_layer(
    name: str, data: bytes, *, prefer_polygons: bool = False
) -> gpd.GeoDataFrame:
    """Read an uploaded map layer: GeoJSON, GeoPackage, KML/KMZ or zipped shapefile.

    The format is recognised from the bytes (a zip, an SQLite file, JSON or
    KML text), not from the name. Longitude/latitude layers (GeoJSON and KML
    are WGS84 by definition) are converted with `hotspots.crs.lonlat_to_bng`
    (OSTN15 when installed), others with PROJ.

    Parameters
    ----------
    name
        The file's name, for messages.
    data
        The file's bytes.
    prefer_polygons
        If True, the first layer holding a polygon is read (a GeoPackage or KML
        may hold several layers); else, and when no layer has a polygon, the
        first layer with any features.

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:27700 (its attribute columns kept).

    Raises
    ------
    HotspotsError
        For an empty file, bytes that are not one of the formats, a damaged
        file, a layer with no features, or no coordinate system.
    """
    if not data:
        raise HotspotsError(f"{name}: the file is empty; upload the saved file.")
    suffix = _sniff(name, data)
    with tempfile.TemporaryDirectory(prefix="hotspots-layer-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        source = _zip_member(name, path) if suffix == ".zip" else str(path)
        chosen: gpd.GeoDataFrame | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GDAL's notes on odd files
                for layer_name in pyogrio.list_layers(source)[:, 0]:
                    layer = gpd.read_file(source, layer=layer_name)
                    if not isinstance(layer, gpd.GeoDataFrame) or layer.empty:
                        continue
                    layer = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]
                    if layer.empty:
                        continue
                    if chosen is None:
                        chosen = layer
                    if not prefer_polygons or _haspolygon_union(layer):
                        chosen = layer
                        break
        except HotspotsError:
            raise
        except Exception as err:  # GDAL raises several types for unreadable files
            detail = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise HotspotsError(
                f"{name}: cannot read it as a map layer ({detail}). Give {LAYER_FORMATS}."
            ) from None
    if chosen is None:
        raise HotspotsError(
            f"{name}: the file holds no features (its layers are empty). "
            "Save the layer with its shapes and upload it again."
        )
    if chosen.crs is None:
        raise HotspotsError(
            f"{name}: the layer has no coordinate system, so it cannot be placed "
            "on the map. Save it with one (for a shapefile, include its .prj file "
            "in the zip)."
        )
    return _to_bng(name, chosen)


def polygon_union(geometry: Iterable[BaseGeometry | None]) -> BaseGeometry | None:
    """The union of every polygon in `geometry` (made valid), or None if none."""
    parts = shapely.get_parts(
        np.asarray([g for g in geometry if g is not None], dtype=object)
    )
    while len(parts) and (shapely.get_type_id(parts) == 7).any():  # collections
        parts = shapely.get_parts(parts)
    polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])] if len(parts) else parts
    if not len(polys):
        return None
    valid = shapely.make_valid(shapely.force_2d(polys))
    pieces = shapely.get_parts(valid)
    while len(pieces) and (shapely.get_type_id(pieces) == 7).any():
        pieces = shapely.get_parts(pieces)
    pieces = pieces[np.isin(shapely.get_type_id(pieces), [3, 6])]
    union = shapely.union_all(pieces)
    if union.is_empty or union.area <= 0:
        return None
    return union
