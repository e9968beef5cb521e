"""Kent & Medway hotspot mapping: ingest, geocode, store, detect and map incidents.

Callers write ``import hotspots as hs``; the functions below are the public API.
"""

from __future__ import annotations

from hotspots._validate import HotspotsError, require_points, require_positive
from hotspots.crs import WEB_CRS, WORKING_CRS, lonlat_to_bng, to_working_crs

__version__ = "0.1.0"

from hotspots.boundaries import assign_areas, load_boundary, study_area
from hotspots.detect import Detection, detect
from hotspots.ingest import IngestResult, ingest
from hotspots.store import Selection, Store, open_store

__all__ = [
    "WEB_CRS",
    "WORKING_CRS",
    "Detection",
    "HotspotsError",
    "IngestResult",
    "Selection",
    "Store",
    "__version__",
    "assign_areas",
    "detect",
    "ingest",
    "load_boundary",
    "lonlat_to_bng",
    "open_store",
    "require_points",
    "require_positive",
    "study_area",
    "to_working_crs",
]
