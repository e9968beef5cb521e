"""Kent & Medway hotspot mapping: ingest, geocode, store, detect and map incidents."""

from __future__ import annotations

from hotspots._validate import HotspotsError, require_points, require_positive
from hotspots.crs import WEB_CRS, WORKING_CRS, lonlat_to_bng, to_working_crs

__version__ = "0.1.0"

__all__ = [
    "WEB_CRS",
    "WORKING_CRS",
    "HotspotsError",
    "__version__",
    "lonlat_to_bng",
    "require_points",
    "require_positive",
    "to_working_crs",
]
