"""Errors a user can fix, and the checks that raise them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from hotspots._points import first_not_point, known_facts


class HotspotsError(ValueError):
    """Something the user can fix: a file, a column, the CRS or a parameter."""


def plural(count: int, noun: str) -> str:
    """``"1 site"``, ``"6 sites"``: a count and its noun, for messages."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


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
    shapes = geoms.array
    facts = known_facts(shapes)
    wrong = facts.not_point if facts is not None else first_not_point(shapes)
    if wrong >= 0:
        first = geoms.index[wrong]
        raise HotspotsError(
            f"`{name}` must hold points; row {first!r} is a {geoms[first].geom_type}. "
            "Try sending geometry.centroid."
        )


def require_positive(**values: Any) -> None:
    """Raise HotspotsError naming the first value that is not greater than 0."""
    for key, value in values.items():
        if value is None or not value > 0:
            raise HotspotsError(f"`{key}` must be greater than 0, got {value!r}.")
