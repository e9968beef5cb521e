"""Write incidents and hotspot layers to files (GeoPackage first)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from hotspots._validate import HotspotsError


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
