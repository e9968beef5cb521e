"""Errors a user can fix, and the checks that raise them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely


class HotspotsError(ValueError):
    """Something the user can fix: a file, a column, the CRS or a parameter."""


def require_projected(gdf: gpd.GeoDataFrame, *, name: str = "points") -> None:
    """Raise HotspotsError unless `gdf` is in a projected CRS with metre units."""
    crs = gdf.crs
    if crs is None or not crs.is_projected or crs.axis_info[0].unit_name != "metre":
        found = "no CRS" if crs is None else crs.name
        raise HotspotsError(
            f"`{name}` must be in a projected CRS in metres, found {found}. "
            "Reproject with hotspots.to_working_crs() first."
        )


def require_points(gdf: gpd.GeoDataFrame, *, name: str = "points") -> None:
    """Raise HotspotsError unless `gdf` holds points in a metre-based projected CRS.

    Empty geometries (unlocated incidents) are allowed; other geometry types are not.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"`{name}` must be a GeoDataFrame, got {type(gdf).__name__}.")
    require_projected(gdf, name=name)
    geoms = gdf.geometry
    # shapely type ids: -1 missing, 0 point; an empty point is still type 0
    shapes = np.asarray(geoms.array)  # the bare array: 4x faster than through pandas
    types = shapely.get_type_id(shapes)
    wrong = (types != -1) & (types != 0)
    if wrong.any():
        wrong[wrong] = ~shapely.is_empty(shapes[wrong])
    if wrong.any():
        first = geoms.index[np.flatnonzero(wrong)[0]]
        raise HotspotsError(
            f"`{name}` must hold points; row {first!r} is a {geoms[first].geom_type}. "
            "Try sending geometry.centroid."
        )


def require_positive(**values: Any) -> None:
    """Raise HotspotsError naming the first value that is not greater than 0."""
    for key, value in values.items():
        if value is None or not value > 0:
            raise HotspotsError(f"`{key}` must be greater than 0, got {value!r}.")
