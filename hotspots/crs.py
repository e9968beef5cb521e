"""Coordinate reference systems and the lon/lat -> British National Grid transform."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from hotspots._validate import HotspotsError

WORKING_CRS = "EPSG:27700"  # British National Grid (OSGB36), metres: all analysis
WEB_CRS = "EPSG:4326"  # WGS84 lon/lat: only the web map and GeoJSON/KML output

#: Extent of the British National Grid's valid area (metres), used to call a point
#: "outside Great Britain" when OSTN15 is not available to say so.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)

#: One long-lived thread for the dashboard's transforms: pyproj builds a
#: transformer again in every new thread (about 40 ms for BNG -> WGS84, 0.1-0.3 s
#: for some pairs), and Streamlit runs every rerun of the page in a new thread.
_PROJECTION = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots-proj")
_PROJECTION_THREAD = threading.local()
_T = TypeVar("_T")

OSTN15 = "OSTN15 (Ordnance Survey's definitive ETRS89/WGS84 -> OSGB36 transformation, about 0.1 m; via convertbng)"
HELMERT = "Helmert 7-parameter fallback (EPSG:1314 via PROJ; about 2-5 m off OSTN15)"


@dataclass(frozen=True)
class Transformed:
    """Eastings and northings (metres, NaN where not transformable) and the method."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    method: str


def _helmert() -> Transformer:
    return Transformer.from_crs(WEB_CRS, WORKING_CRS, always_xy=True)


def ostn15_available() -> bool:
    """Whether the OSTN15 transformation (the convertbng package) is installed."""
    try:
        import convertbng.cutil  # noqa: F401
    except ImportError:
        return False
    return True


def lonlat_to_bng(lon: ArrayLike, lat: ArrayLike) -> Transformed:
    """Transform WGS84 longitude/latitude (degrees) to British National Grid (metres).

    Uses OSTN15 when the convertbng package is installed, else PROJ's Helmert
    transformation; the method used is returned. OSTN15 only covers Great Britain
    and its waters: points outside it come back as NaN, which callers report as
    "outside Great Britain". The Helmert fallback gives NaN outside `BNG_BOUNDS`.
    """
    lon_a = np.asarray(lon, dtype="float64")
    lat_a = np.asarray(lat, dtype="float64")
    if lon_a.shape != lat_a.shape:
        raise HotspotsError(
            f"longitude and latitude differ in length ({lon_a.size} vs {lat_a.size})."
        )
    x = np.full(lon_a.shape, np.nan)
    y = np.full(lon_a.shape, np.nan)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90)
    ok &= np.abs(lon_a) <= 180
    if ostn15_available():
        from convertbng.cutil import convert_bng

        if ok.any():
            x[ok], y[ok] = convert_bng(lon_a[ok], lat_a[ok])
        return Transformed(x, y, OSTN15)
    if ok.any():
        x[ok], y[ok] = _helmert().transform(lon_a[ok], lat_a[ok])
        xmin, ymin, xmax, ymax = BNG_BOUNDS
        outside = ~((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
        x[outside] = np.nan
        y[outside] = np.nan
    return Transformed(x, y, HELMERT)


def to_working_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return `gdf` in WORKING_CRS (a copy); refuses a frame with no CRS."""
    if gdf.crs is None:
        raise HotspotsError(
            "The layer has no CRS, so it cannot be placed on the map. Set it first, "
            "for example gdf.set_crs('EPSG:4326') for longitude/latitude."
        )
    if gdf.crs == WORKING_CRS:
        return gdf.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return gdf.to_crs(WORKING_CRS)


def on_projection_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``fn(*args, **kwargs)`` on the long-lived projection thread.

    Inline when already on it; its pyproj transformers are built once per process.
    """
    if getattr(_PROJECTION_THREAD, "here", False):
        return fn(*args, **kwargs)

    def run() -> _T:
        _PROJECTION_THREAD.here = True
        return fn(*args, **kwargs)

    return _PROJECTION.submit(run).result()


def to_web(frame: Any) -> Any:
    """``frame.to_crs(WEB_CRS)`` on the projection thread, for the web map.

    `frame` is a GeoDataFrame or GeoSeries.
    """
    return on_projection_thread(frame.to_crs, WEB_CRS)
