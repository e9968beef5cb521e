"""Write incidents and hotspot layers to files (GeoPackage first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from hotspots._validate import HotspotsError
from hotspots.crs import WORKING_CRS

if TYPE_CHECKING:
    from hotspots.detect import Detection


def write_incidents_gpkg(incidents: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write canonical incidents as a GeoPackage layer ``incidents`` (EPSG:27700).

    Unlocated incidents are written with empty geometry, so counts match the table.
    Month is written as YYYY-MM text, since GeoPackage has no month type.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise HotspotsError(
            f"{path}: --out writes a GeoPackage; give a name ending .gpkg."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    out = incidents.assign(month=incidents["month"].astype(str))
    out.to_file(path, layer="incidents", driver="GPKG", engine="pyogrio")


def _table(record: dict[str, Any], *, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_table(value, prefix=f"{name}."))
        else:
            rows.append((name, json.dumps(value, default=str)))
    return rows


def write_detection(
    detection: Detection, path: str | Path, provenance: dict[str, Any]
) -> None:
    """Write hotspot polygons and their provenance to one GeoPackage.

    Layers: ``hotspots`` (polygons, EPSG:27700, with their statistics), then one
    per supporting layer (``kde_cells``, ``gistar_cells``), and two tables:
    ``parameters`` (name, value as JSON, automatic: whether chosen by a rule)
    and ``provenance`` (key, value as JSON: software, time, data, filters).
    """
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
    params = detection.parameters
    table = pd.DataFrame(
        [
            {
                "name": k,
                "value": json.dumps(v, default=str),
                "automatic": bool(params.get(f"{k}_automatic", False)),
            }
            for k, v in params.items()
        ]
    )
    pyogrio.write_dataframe(table, path, layer="parameters", driver="GPKG")
    prov = pd.DataFrame(_table(provenance), columns=["key", "value"])
    pyogrio.write_dataframe(prov, path, layer="provenance", driver="GPKG")
