"""Errors a user can fix, and the checks that raise them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

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


def weight_values(
    frame: Any, weight: str, rows: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """The harm weights in `frame`'s column `weight`, checked (of `rows` only).

    Every method that sums harm reads its weights here: a number, finite and 0
    or more in every row it uses (`rows`: a boolean mask, e.g. the located
    incidents; default every row). Errors name the column, the numeric columns
    that could be meant, or the first bad row and its value.
    """
    import pandas as pd

    if not isinstance(weight, str):
        raise TypeError(f"`weight` must be a column name, got {type(weight).__name__}.")
    if weight not in frame.columns:
        geometry = getattr(getattr(frame, "geometry", None), "name", None)
        numeric = [
            c
            for c in frame.columns
            if c != geometry
            and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])
        ]
        raise HotspotsError(
            f"Weight column {weight!r} not found; the numeric columns are {numeric} "
            "(the canonical harm column is 'weight'). Pass one of them, or no weight "
            "to count incidents."
        )
    col = frame[weight]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise HotspotsError(
            f"Weight column {weight!r} must be numeric, got {col.dtype}."
        )
    w = col.to_numpy(dtype="float64", na_value=np.nan)
    at = np.arange(len(w)) if rows is None else np.flatnonzero(rows)
    w = w[at]
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = frame.index[at[i]]
        row = row.item() if isinstance(row, np.generic) else row  # 13, not np.int64(13)
        raise HotspotsError(
            f"Weight column {weight!r} must hold finite weights of 0 or more; row "
            f"{row!r} has {float(w[i])!r}. Fill or fix it (1.0 is the default weight)."
        )
    return w
