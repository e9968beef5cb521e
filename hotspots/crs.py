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
import shapely
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
#: The same two, the other way: British National Grid -> WGS84, for files in WGS84.
OSTN15_TO_WGS84 = "OSTN15 (Ordnance Survey's definitive OSGB36 -> ETRS89/WGS84 transformation, about 0.1 m; via convertbng)"
HELMERT_TO_WGS84 = "Helmert 7-parameter fallback (EPSG:1314 via PROJ, OSGB36 -> WGS84; about 2-5 m off OSTN15)"


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


def _pair(
    a: ArrayLike, b: ArrayLike, names: str
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]:
    """Two coordinate arrays as floats, and two NaN arrays of their shape."""
    a_a = np.asarray(a, dtype="float64")
    b_a = np.asarray(b, dtype="float64")
    if a_a.shape != b_a.shape:
        raise HotspotsError(f"{names} differ in length ({a_a.size} vs {b_a.size}).")
    return a_a, b_a, np.full(a_a.shape, np.nan), np.full(a_a.shape, np.nan)


def lonlat_to_bng(lon: ArrayLike, lat: ArrayLike) -> Transformed:
    """Transform WGS84 longitude/latitude (degrees) to British National Grid (metres).

    Uses OSTN15 when the convertbng package is installed, else PROJ's Helmert
    transformation; the method used is returned. OSTN15 only covers Great Britain
    and its waters: points outside it come back as NaN, which callers report as
    "outside Great Britain". The Helmert fallback gives NaN outside `BNG_BOUNDS`.
    """
    lon_a, lat_a, x, y = _pair(lon, lat, "longitude and latitude")
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


def bng_to_lonlat(x: ArrayLike, y: ArrayLike) -> Transformed:
    """Transform British National Grid eastings/northings (metres) to WGS84 lon/lat.

    The inverse of `lonlat_to_bng`: OSTN15 when convertbng is installed, else
    PROJ's Helmert transformation. Returns longitudes as ``x``, latitudes as
    ``y``. Points OSTN15 does not cover (far out at sea) take the Helmert
    transformation, so every finite point gets a position; the method names
    the mix then.
    """
    x_a, y_a, lon, lat = _pair(x, y, "eastings and northings")
    ok = np.isfinite(x_a) & np.isfinite(y_a)
    method = HELMERT_TO_WGS84
    if ostn15_available() and ok.any():
        from convertbng.cutil import convert_lonlat

        method = OSTN15_TO_WGS84
        lon[ok], lat[ok] = convert_lonlat(x_a[ok], y_a[ok])
    rest = ok & ~(np.isfinite(lon) & np.isfinite(lat))
    if rest.any():
        if method == OSTN15_TO_WGS84:
            method = f"{OSTN15_TO_WGS84}; {HELMERT_TO_WGS84} outside OSTN15's cover"
        # rare (far out at sea): a transformer made here, used on this thread
        lon[rest], lat[rest] = _to_web_helmert().transform(x_a[rest], y_a[rest])
    return Transformed(lon, lat, method)


def _to_web_helmert() -> Transformer:
    return Transformer.from_crs(WORKING_CRS, WEB_CRS, always_xy=True)


def wgs84_method() -> str:
    """The transformation `to_wgs84` uses (points inside OSTN15's cover)."""
    return OSTN15_TO_WGS84 if ostn15_available() else HELMERT_TO_WGS84


def to_wgs84(frame: Any) -> Any:
    """A GeoDataFrame or GeoSeries in British National Grid, in WGS84 (a copy).

    Every vertex is transformed by `bng_to_lonlat` (OSTN15 where installed), not
    by ``to_crs`` (which PROJ does by the Helmert transformation without the
    OSTN15 grid, 2-5 m off). A frame in another CRS goes through ``to_crs``.
    """
    if frame.crs is None:
        raise HotspotsError(
            "The layer has no CRS, so it cannot be transformed to WGS84. Set it "
            "first, for example with set_crs('EPSG:27700')."
        )
    if frame.crs != WORKING_CRS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return frame.to_crs(WEB_CRS)

    def lonlat(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        moved = bng_to_lonlat(coords[:, 0], coords[:, 1])
        return np.column_stack([moved.x, moved.y])

    geoms = shapely.transform(np.asarray(frame.geometry.array), lonlat)
    series = gpd.GeoSeries(geoms, index=frame.index, crs=WEB_CRS)
    if isinstance(frame, gpd.GeoDataFrame):
        return frame.set_geometry(series.rename(frame.geometry.name), crs=WEB_CRS)
    return series.rename(frame.name)


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
