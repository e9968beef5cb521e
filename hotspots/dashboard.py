"""What the dashboard shows, as plain data: views, selections, tables, map inputs.

`app.py` draws these with Streamlit; nothing here imports streamlit, so every
piece can be tested directly and the app stays a thin shell.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import pickle
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import disclosure
from hotspots._memo import FrameMemo
from hotspots._points import PointFacts, known_facts
from hotspots._validate import HotspotsError, plural
from hotspots.boundaries import load_boundary, study_area
from hotspots.categories import THEMES
from hotspots.crs import to_web
from hotspots.dates import (
    COVERS,
    any_months,
    selection_months,
    shared_months,
    sources_of,
)
from hotspots.detect import GISTAR_CELL_SIZE_M, KDE_BANDWIDTH_M, METHOD_LABELS
from hotspots.grid import located, located_once, located_xy
from hotspots.ingest import ROLES as INGEST_ROLES
from hotspots.ingest import detect_columns
from hotspots.io import Table, read_table, write_csv_safe
from hotspots.provenance import counted_not_mapped, provenance
from hotspots.store import Selection, default_store_path, open_store

if TYPE_CHECKING:
    from hotspots.planner import PlanInfeasible

ATTRIBUTION = """**Data sources and attribution**

- Street-level crime: data.police.uk, Kent Police (locations anonymised to snap points).
- Contains public sector information licensed under the Open Government Licence v3.0.
- Contains National Statistics data © Crown copyright and database right 2025.
- Contains OS data © Crown copyright and database right 2025.
- Contains Royal Mail data © Royal Mail copyright and database right 2025.
- Map tiles (when chosen): © OpenStreetMap contributors.
"""
CRS_NOTE = (
    "Analysis in British National Grid (EPSG:27700, metres); the map in WGS84. "
    "Latitude/longitude converted with OSTN15."
)
ROLES = INGEST_ROLES
ROLE_LABELS = {
    "id": "Reference",
    "date": "Date",
    "time": "Time",
    "month": "Month",
    "category": "Type / category",
    "location": "Location description",
    "postcode": "Postcode",
    "gridref": "Grid reference",
    "lat": "Latitude",
    "lon": "Longitude",
    "easting": "Easting",
    "northing": "Northing",
    "agency": "Agency",
    "sensitivity": "Sensitivity",
    "weight": "Harm weight",
}
#: The command line's advice in ingest's messages, and the page's in its place.
_PAGE_ADVICE = {
    "Name the column with --map date=COLUMN (or month=COLUMN).": "Choose its "
    "column under *Columns* above (Date, or Month).",
    "Name them with --map postcode=COLUMN (or gridref=, lat= and lon=, easting= "
    "and northing=).": "Choose them under *Columns* above (Postcode, Grid "
    "reference, Latitude and Longitude, or Easting and Northing).",
}


def upload_message(message: str, path: str | Path, name: str) -> str:
    """An ingest message about an uploaded file, as the page says it.

    The file by the name it was uploaded under (not the server's temporary
    copy), and the page's controls in place of command-line flags.
    """
    message = message.replace(str(path), name)
    for flag, page in _PAGE_ADVICE.items():
        message = message.replace(flag, page)
    return message


#: The Your data tab, for a file of which no row was kept.
NOTHING_KEPT = (
    "No row of this file was kept, so there is nothing to map: see the reasons "
    "above, correct the columns under *Columns* (or the file) and read it again."
)
EXPORT_FORMATS = {
    "gpkg": "GeoPackage (QGIS, ArcGIS)",
    "shapefile": "Shapefile (zipped, for older GIS)",
    "geojson": "GeoJSON (web maps)",
    "kml": "KML (Google Earth)",
    "geotiff": "GeoTIFF of the density surface (KDE only)",
    "csv": "CSV tables (Excel)",
    "pdf": "Summary report (PDF, for meetings)",
    "html": "Summary report (web page, accessible)",
}
RULE_LABELS = {
    "knn": "k-nearest-neighbour distance",
    "silverman": "Spatial Silverman (ArcGIS default)",
    "normal": "Normal reference (Scott)",
}
#: Most distinct incident locations drawn as points (zoomed in); above this the
#: layer is left out to keep the page light (a town's worth: ~0.2 MB per 1,000).
MAX_POINTS = 5_000
#: Incident locations appear from this zoom level (a few streets across).
POINTS_MIN_ZOOM = 15


#: What the tables show for a missing value (no previous incidents to compare
#: with, no residents for a rate), instead of Streamlit's "None".
MISSING = "–"


def _number(fmt: str, help: str | None = None) -> dict[str, Any]:
    """A number column's config: its display format (and help text)."""
    config: dict[str, Any] = {"type_config": {"type": "number", "format": fmt}}
    return config if help is None else {"help": help, **config}


# Help text and display format of the table columns (st.dataframe column_config
# accepts dicts). Counts are shown with thousands separators in the reader's
# locale; each decimal column keeps one number of decimals, so 10.0 lines up
# under 13.4 (the values themselves, as downloaded, are not rounded further).
_HARM_HELP = _number("%.1f", "Sum of the incidents' harm weights")
_COUNT = _number("localized")
#: Narrow number columns first, then the wards: the table's third of a 1366 px
#: screen shows each hotspot's rank, incidents, trend and the start of where it
#: is; the rest scroll in beside the rank, which stays.
HOTSPOT_COLUMNS: dict[str, Any] = {
    "Rank": {
        "help": "1 = most incidents (weighted by harm: most harm)",
        "width": 44,
        "pinned": True,
    },
    "Incidents": {**_COUNT, "width": 72},
    "Harm": {**_HARM_HELP, "width": 60},
    "Trend": {
        "help": "Recent third of the months against the earlier two thirds, "
        "exact binomial test at 5%",
        "width": 92,  # "too few to tell"
    },
    "Wards": {"width": "medium"},
    "Share": _number("%.1f%%", "Share of the selection's located incidents"),
    "Area (km²)": _number("%.2f", "Area of the hotspot polygon"),
}
AREA_COLUMNS: dict[str, Any] = {
    "Incidents": _COUNT,
    "Harm": _HARM_HELP,
    "Residents": _COUNT,
    "Per 1,000 residents": _number(
        "%.1f", "Incidents per 1,000 residents (Census 2021)"
    ),
    "Share %": _number("%.1f", "Share of the selection's incidents in the areas shown"),
    "LQ": _number(
        "%.2f",
        "Location quotient: the area's rate divided by the whole study area's "
        "(above 1 = more than its share)",
    ),
    "Previous period": _COUNT,
    "Change": _number("%+d", "Against the previous period of equal length"),
    "Change %": _number(
        "%+d%%",
        f"Change as a share of the previous period ({MISSING}: there were none then)",
    ),
    "Significant": {
        "help": "Change unlikely to be chance: exact binomial test, false "
        "discovery rate controlled at 5% across the areas"
    },
}

#: Each theme's colour in the charts: Okabe-Ito (colour-blind safe; grey for
#: "other"), the same in every chart whichever themes it shows.
THEME_COLOURS: dict[str, str] = {
    "serious violence & weapons": "#D55E00",
    "drugs & county lines": "#CC79A7",
    "ASB & public space": "#0072B2",
    "exploitation & safeguarding": "#009E73",
    "acquisitive": "#E69F00",
    "other": "#999999",
}

#: The PSPO tables' counts (the rest of their columns are labelled text).
PSPO_COLUMNS: dict[str, Any] = {
    "Incidents": _COUNT,
    "Area": {**_COUNT, "help": "Incidents in the area"},
    "Before": _COUNT,
    "After": _COUNT,
}

# ---------------------------------------------------------------------------------
# reference data


@dataclass(frozen=True)
class Reference:
    """Boundaries and schools the dashboard draws, read once."""

    districts: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame

    @property
    def district_names(self) -> dict[str, str]:
        """District code -> name."""
        return dict(
            zip(self.districts["lad_code"], self.districts["lad_name"], strict=True)
        )


def load_reference() -> Reference:
    """Read the bundled districts, wards and schools."""
    from hotspots import bundled

    try:
        schools = gpd.read_parquet(bundled.SCHOOLS)
    except FileNotFoundError:
        raise HotspotsError(f"{bundled.SCHOOLS} missing; run `make data`.") from None
    return Reference(
        districts=load_boundary("districts"),
        wards=load_boundary("wards"),
        schools=schools,
    )


def load_incidents(store_path: str | None) -> gpd.GeoDataFrame:
    """Every incident in the store (created from the bundled data on first use)."""
    return open_store(store_path).read(Selection())


@cache
def folium_frontend() -> str:
    """The folder of streamlit-folium's web component, found without importing it.

    The package declares its component from here (``frontend/build``); importing
    it imports folium, which the page's saved opening map does not need.
    """
    from importlib.util import find_spec

    spec = find_spec("streamlit_folium")
    if spec is None or not spec.submodule_search_locations:
        raise HotspotsError("streamlit-folium is not installed: run `make setup`.")
    return str(Path(spec.submodule_search_locations[0]) / "frontend" / "build")


#: Seconds between the first page of a fresh server and its background warm-up.
WARM_UP_DELAY_S = 3.0


def warm_up() -> None:
    """Import what a new view needs and build the raster worker's transformers.

    A fresh process otherwise pays these in its first new view: about 1.3 s
    for scipy.stats, 0.8 s for folium and its templates (with streamlit-folium,
    which the first page no longer imports), 0.1-0.3 s for the pyproj
    transformers (measured on the 2-core machine). The dashboard runs this on a
    background thread.
    """
    import importlib

    for name in (
        "scipy.stats", "scipy.fft", "scipy.ndimage", "scipy.spatial", "PIL.Image",
        "folium", "hotspots.mapping", "hotspots.detect", "hotspots.density",
        "hotspots.cluster", "hotspots.gistar", "hotspots.profile", "hotspots.areas",
        "hotspots.raster", "streamlit_folium",
    ):  # fmt: skip
        importlib.import_module(name)
    from hotspots.grid import grid_for
    from hotspots.raster import to_web_mercator

    grid = grid_for([600_000.0, 150_000.0, 600_100.0, 150_100.0], cell_size=50.0)
    to_web_mercator(grid, np.zeros(grid.shape))


#: Environment variable: a file each run of the dashboard's script appends its
#: seconds to (`log_run`); `make bench` sets it to split server and browser time.
RUN_LOG_ENV = "HOTSPOTS_RUN_LOG"


def log_run(seconds: float) -> None:
    """Append one script run's seconds to the file named by `RUN_LOG_ENV`, if set."""
    path = os.environ.get(RUN_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{seconds:.4f}\n")


def settle_heap() -> None:
    """Collect garbage, then exempt every object alive from later collections.

    Once the server has imported its modules and read the store and the
    reference layers (about 440,000 Python objects, alive for good), every full
    collection rescanned them all: 0.13-0.15 s in a rerun every few new views.
    `gc.freeze` moves them to a generation the collector skips; objects made
    later are collected as before.
    """
    import gc

    gc.collect()
    gc.freeze()


def warm_kernels() -> None:
    """Load the compiled loops of the KDE and HDBSCAN from numba's disk cache.

    `hotspots._kernels`: 0.5-0.8 s the first time in a process (numba's
    import, then the machine code), which a user's first view would otherwise
    wait for; compiling them
    anew (a new code version whose cache `make setup` did not fill) takes
    about 15 s. The dashboard runs this on its background thread, last.
    """
    from hotspots import _kernels

    _kernels.warm()


def prime(incidents: gpd.GeoDataFrame, ref: Reference) -> None:
    """Make one small county-wide view end to end (map included) and drop it.

    The first view of a fresh process paid 0.3-0.4 s of first calls on top of
    its own work (the county grid's pixel lookup, the projection thread's
    transformers, the map's templates, pandas' and pyarrow's first kernels); the
    dashboard runs this on its background thread after `warm_up`, so a user's
    first change does not.
    """
    ch = choices(incidents, ref)
    view = replace(default_view(ch), month_from=ch.months[-1], month_to=ch.months[-1])
    key = view_detect_key(view)
    result = detect_view(incidents, None, key, ref)
    tables = view_tables(incidents, None, key[0], harm=False)
    static = dict.fromkeys(("districts", "wards", "schools"), "")
    build_map(result, ref, tables, view, static_urls=static).get_root().render()


def view_detect_key(view: View, upload: str | None = None) -> tuple[Any, ...]:
    """What detection on a view depends on; `detect_view`'s `key`.

    (selection key, method, options as sorted items, coverage share, harm,
    upload). The coverage applies to KDE only (the sidebar offers it for KDE;
    the other methods keep every hotspot they find), as in `analysis_for_export`.
    """
    options = tuple(sorted(view_options(view).items()))
    coverage = view.coverage / 100 if view.method == "kde" else None
    return (
        selection_key(view, upload),
        view.method,
        options,
        coverage,
        view.harm,
        upload,
    )


#: The columns `counted_not_mapped` reads.
SG_COLUMNS = ("source", "sensitivity")


def detect_view(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[Any, ...],
    ref: Reference,
) -> MapResult:
    """Detection for a view's `key` (`view_detect_key`, or the page's own)."""
    selection, method, options, coverage, harm, _ = key
    base = detection_frame(incidents) if upload is None else incidents
    chosen = select(base, upload, selection, columns=DETECTION_COLUMNS)
    if chosen.empty:
        raise HotspotsError(no_match(base, upload, selection))
    about = None if upload is not None else _about(base, selection, chosen)
    # every step asks which rows have a location, and where: found once per
    # selection (the same rows again: the facts kept with the selection)
    k = dict(selection)
    held = held_months(incidents, upload, selection)
    months, compared = selection_months(chosen, held, k["month_from"], k["month_to"])
    with located_once(chosen, None if about is None else about.facts):
        result = run_method(
            chosen, ref, method=method, options=dict(options), coverage=coverage,
            harm=harm, districts=k.get("districts"), wards=k.get("wards"), about=about,
            filters=_filters(selection), months=months,
            trend_months=compared,
        )  # fmt: skip
    note = months_note(incidents, upload, selection, sources_of(chosen))
    if note:
        result = replace(result, warnings=[*result.warnings, note])
    # the safeguarding concerns the tables count, which the record's data (the
    # rows detection used) leaves out; looked for where the data may hold any
    tables_only = None
    if upload is not None or disclosure.safeguarding_rows(base).any():
        tables_only = counted_not_mapped(
            select(base, upload, selection, safeguarding=True, columns=SG_COLUMNS)
        )
    if tables_only:
        data = {**result.provenance["data"], "counted_not_mapped": tables_only}
        result = replace(result, provenance={**result.provenance, "data": data})
    return result


@dataclass(frozen=True)
class AboutSelection:
    """What the page shows about a selection whatever the method finds in it."""

    selected: pd.DataFrame  # `_selected`: each incident's month, theme, ...
    monthly: pd.DataFrame  # `monthly_by_theme`
    mix: pd.DataFrame  # `category_mix`
    points: pd.DataFrame  # `_points`
    data: dict[str, Any]  # `describe_data` (provenance)
    facts: PointFacts  # `located_once`: located rows, coordinates, positions

    @classmethod
    def of(cls, incidents: gpd.GeoDataFrame) -> AboutSelection:
        """Made from the selection's incidents (as `run_method` gets them)."""
        from hotspots.provenance import describe_data

        # in the caller's block, its facts (a block of its own starts afresh)
        kept = known_facts(incidents.geometry.array)
        with located_once(incidents, kept) as facts:
            selected = _selected(incidents)
            return cls(
                selected=selected,
                monthly=monthly_by_theme(selected),
                mix=category_mix(selected),
                points=_points(incidents),
                data=describe_data(incidents),
                facts=facts,
            )


#: `AboutSelection` of the last few selections of the page's frame: a new method
#: or parameter on the same selection does not make them again (0.04-0.06 s
#: county-wide). By selection key, with the frame they were made from.
_ABOUT: FrameMemo[AboutSelection] = FrameMemo(16)


def _about(
    base: gpd.GeoDataFrame, selection: tuple[Any, ...], chosen: gpd.GeoDataFrame
) -> AboutSelection:
    """`AboutSelection` of `chosen`, the rows of `base` that `selection` picks."""
    return _ABOUT.get(base, lambda: AboutSelection.of(chosen), selection)


def view_tables(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    selection: tuple[tuple[str, Any], ...],
    *,
    harm: bool,
) -> dict[str, Any]:
    """The ward and district tables of a selection key (`area_tables`)."""
    # the area columns are detection columns: from its categorical copy too
    base = detection_frame(incidents) if upload is None else incidents
    chosen = select(base, upload, selection, areas=True, columns=AREA_INPUT_COLUMNS)
    sources = sources_of(chosen)
    available = data_months(incidents, upload, selection, sources=sources, shared=True)
    with located_once(chosen):
        tables = area_tables(chosen, available, dict(selection), harm=harm)
    withheld = tables["district_stats"].attrs.get("previous_note")
    if withheld and available != data_months(
        incidents, upload, selection, sources=sources
    ):
        tables["note"] += (
            " A month that not every source of the selection holds counts as "
            "missing here."
        )
    return tables


def map_key(detect_key: tuple[Any, ...], basemap: str, focus: int | None) -> str:
    """The name of a view's map (its container's ``data-view`` once drawn).

    Of everything the map shows: the detection key (selection, method and every
    parameter), the basemap and the hotspot zoomed to.
    """
    digest = hashlib.sha256(repr(detect_key).encode()).hexdigest()[:10]
    return f"map-{detect_key[1]}-{basemap}-{focus}-{digest}"


def map_args(
    fmap: Any, detect_key: tuple[Any, ...], basemap: str, focus: int | None
) -> dict[str, Any]:
    """The map component of a view (`hotspots.mapping.in_place_args`).

    One frame per basemap: each new view is drawn in place of the one before.
    """
    from hotspots.mapping import in_place_args

    return in_place_args(
        fmap, key=f"dashboard-map-{basemap}", view=map_key(detect_key, basemap, focus)
    )


def write_static_layers(folder: Path, ref: Reference) -> dict[str, str]:
    """Write the map's fixed layers (`static_layers`) where missing; URLs by key.

    `folder` is the app's static/layers/, which Streamlit serves.
    """
    urls = {}
    for key, (name, data) in static_layers(ref).items():
        path = folder / name
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(f".{os.getpid()}.part")
            part.write_bytes(data)
            part.replace(path)
        urls[key] = f"/app/static/layers/{name}"
    return urls


# ---------------------------------------------------------------------------------
# the opening view, saved beside the store

#: The file beside the store that holds the opening view as last shown.
OPENING_FILE = "opening-view.pickle"


def code_digest(extra: bytes = b"") -> str:
    """A digest of this package's source (and `extra`, e.g. the app's source)."""
    h = hashlib.sha256(extra)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def opening_stamp(store_path: str | None, *, code: str) -> str | None:
    """What a saved opening view depends on: the store file and the code.

    The store's path, size and modification time (any ingest changes them) and
    `code` (`code_digest`); None when there is no store yet.
    """
    path = Path(store_path) if store_path else default_store_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{code}"


def load_opening(stamp: str | None, store_path: str | None) -> dict[str, Any] | None:
    """The opening view saved for `stamp`; None if none was, or for other data or code.

    A fresh dashboard process shows it without reading the store or detecting
    anything: a restart opens as fast as a new page on a running server.
    """
    if stamp is None:
        return None
    try:
        with opening_path(store_path).open("rb") as f:
            saved = pickle.load(f)
    except Exception:  # missing, half-written or from other code: compute again
        return None
    return saved if isinstance(saved, dict) and saved.get("stamp") == stamp else None


def save_opening(stamp: str, saved: dict[str, Any], store_path: str | None) -> None:
    """Save the opening view for `stamp`, whole or not at all.

    Silently skipped where the store's folder cannot be written.
    """
    path = opening_path(store_path)
    part = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        with part.open("wb") as f:
            pickle.dump({**saved, "stamp": stamp}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)


def opening_path(store_path: str | None) -> Path:
    """Where the opening view of a store (default: the default store) is saved."""
    store = Path(store_path) if store_path else default_store_path()
    return store.with_name(OPENING_FILE)


#: The background maps the opening view is prepared with (the page's choices).
BASEMAPS = ("OpenStreetMap", "none")


def opening_key(ch: Choices) -> tuple[Any, ...]:
    """`view_detect_key` of the opening view (the default view, no upload)."""
    return view_detect_key(default_view(ch))


def opening_view(
    incidents: gpd.GeoDataFrame,
    ref: Reference,
    *,
    static_urls: dict[str, str],
    basemaps: Sequence[str] = BASEMAPS,
) -> dict[str, Any]:
    """The opening view as the dashboard shows and saves it.

    Choices, detect_key, result, tables and the map component of each basemap
    (`map_args`).
    """
    ch = choices(incidents, ref)
    key = opening_key(ch)
    result = detect_view(incidents, None, key, ref)
    tables = view_tables(incidents, None, key[0], harm=False)
    maps = {}
    for basemap in basemaps:
        view = replace(default_view(ch), basemap=basemap)
        fmap = build_map(result, ref, tables, view, static_urls=static_urls)
        maps[basemap] = map_args(fmap, key, basemap, None)
    return {
        "choices": ch, "detect_key": key, "result": result, "tables": tables,
        "maps": maps,
    }  # fmt: skip


def prepare_opening(app_path: Path, *, store_path: str | None = None) -> bool:
    """Save the opening view of the dashboard at `app_path` (app.py) before it starts.

    As the page itself saves it on its first run: the first page of every
    server then opens from it (`load_opening`) instead of reading the store and
    detecting. Creates the default store from the bundled data if there is
    none, and the map's static layer files. False when a view for this store
    and code was already saved.
    """
    incidents = None
    if not (Path(store_path) if store_path else default_store_path()).exists():
        incidents = load_incidents(store_path)  # creates the default store
    stamp = opening_stamp(store_path, code=code_digest(app_path.read_bytes()))
    if stamp is None:  # a named store that does not exist (only the default is made)
        raise HotspotsError(f"No incident store at {store_path}; ingest data first.")
    saved = load_opening(stamp, store_path)
    if saved is not None and set(BASEMAPS) <= set(saved.get("maps", {})):
        return False
    ref = load_reference()
    urls = write_static_layers(app_path.parent / "static" / "layers", ref)
    if incidents is None:
        incidents = load_incidents(store_path)
    save_opening(stamp, opening_view(incidents, ref, static_urls=urls), store_path)
    return True


# ---------------------------------------------------------------------------------
# the view: every choice on the page, kept in the URL


@dataclass(frozen=True)
class Choices:
    """What can be chosen: months present, categories, areas, sources."""

    months: list[str]
    categories: list[str]
    districts: dict[str, str]
    wards: dict[str, str]
    sources: list[str]
    #: The months every source holds (`hotspots.dates.shared_months`).
    shared_months: list[str] = field(default_factory=list)


def choices(incidents: pd.DataFrame, ref: Reference) -> Choices:
    """The options of each selection widget, from the data and the boundaries.

    The months: every month any source holds (`hotspots.dates.source_months`:
    each month with an incident, and a month inside a partner file's span
    without one too).
    """
    held = _frame_months(incidents)
    months = any_months(held)
    if not months:
        raise HotspotsError("The store holds no incidents; ingest some data first.")
    wards = ref.wards.sort_values(["lad_name", "ward_name"])
    return Choices(
        months=months,
        categories=sorted(incidents["category"].dropna().astype(str).unique()),
        districts=dict(sorted(ref.district_names.items(), key=lambda kv: kv[1])),
        wards={
            c: f"{w} ({d})"
            for c, w, d in zip(
                wards["ward_code"], wards["ward_name"], wards["lad_name"], strict=True
            )
        },
        sources=sorted(incidents["source"].astype(str).unique()),
        shared_months=shared_months(held),
    )


def upload_choices(
    ch: Choices, upload: pd.DataFrame | None, key: str | None
) -> Choices:
    """What the selection widgets offer with the page's use of a partner file.

    `ch`: the store's choices; `key`: the use (`upload_use`). The file alone
    offers its own months, categories and sources; the file with the police
    data offers both. Districts and wards are the boundaries' either way.
    """
    mode, _ = upload_use(key)
    if upload is None or mode not in ("alone", "with") or upload.empty:
        return ch
    held = _frame_months(upload)
    months = any_months(held)
    categories = sorted(upload["category"].dropna().astype(str).unique())
    sources = sorted(upload["source"].astype(str).unique())
    if mode == "alone":
        return replace(
            ch,
            months=months,
            categories=categories,
            sources=sources,
            shared_months=shared_months(held),
        )
    return replace(
        ch,
        months=sorted({*ch.months, *months}),
        categories=sorted({*ch.categories, *categories}),
        sources=sorted({*ch.sources, *sources}),
        shared_months=sorted(set(ch.shared_months).intersection(shared_months(held))),
    )


def months_help(ch: Choices) -> str:
    """The months slider's help: the months offered, and any gap in them."""
    periods = pd.PeriodIndex(ch.months, freq="M")
    gaps = [
        f"{(a + 1).strftime('%Y-%m')}"
        + (f" to {(b - 1).strftime('%Y-%m')}" if (b - a).n > 2 else "")
        for a, b in itertools.pairwise(periods)
        if (b - a).n > 1
    ]
    text = f"The data holds {ch.months[0]} to {ch.months[-1]}"
    if not gaps:
        return text + "."
    return text + f", with no data for {', '.join(gaps)}."


def fit_selection(
    ch: Choices,
    months: tuple[str, str] | None,
    categories: Sequence[str],
    sources: Sequence[str],
) -> tuple[tuple[str, str] | None, list[str], list[str], list[str]]:
    """A selection's months, categories and sources fitted to what `ch` offers.

    For the page after the data in use changes (a partner file mapped alone or
    with the police data, or no longer): a category or source the data now in
    use lacks is left out; the months range is narrowed to the months it
    offers inside it (the same incidents), or, with none inside it, becomes
    the default range. Returns ``(months, categories, sources, notes)``; each
    note says what was left out or changed, for the page to say.
    """
    notes: list[str] = []
    if months is not None:
        lo, hi = months
        inside = [m for m in ch.months if lo <= m <= hi]
        if inside:
            fitted = (inside[0], inside[-1])
        else:
            d = default_view(ch)
            fitted = (d.month_from, d.month_to)
            notes.append(
                f"months {lo} to {hi} (the data now mapped has none; "
                f"{fitted[0]} to {fitted[1]} instead)"
            )
        months = fitted
    kept = {}
    for name, given, known in (
        ("category", categories, set(ch.categories)),
        ("source", sources, set(ch.sources)),
    ):
        kept[name] = [v for v in given if v in known]
        notes += [f"{name} {v}" for v in given if v not in known]
    return months, kept["category"], kept["source"], notes


def fitted_note(notes: list[str]) -> str:
    """What the page says of the selection it fitted to the data now mapped."""
    if not notes:
        return ""
    return (
        "Left out of the selection, because the data now mapped does not hold "
        f"them: {'; '.join(notes)}."
    )


@dataclass(frozen=True)
class View:
    """Everything the user chose: the selection, the method and its settings."""

    month_from: str
    month_to: str
    themes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    wards: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    harm: bool = False
    method: str = "kde"
    auto: bool = False
    bandwidth: int = int(KDE_BANDWIDTH_M)
    rule: str = "knn"
    cell_size: int = int(GISTAR_CELL_SIZE_M)
    eps: int = 150
    min_incidents: int = 30
    coverage: float = 2.0
    basemap: str = "OpenStreetMap"


_LISTS = ("themes", "categories", "districts", "wards", "sources")
_INTS = {"bandwidth": (50, 1500), "cell_size": (100, 1000), "eps": (50, 1000), "min_incidents": (5, 500)}  # fmt: skip


def default_view(ch: Choices) -> View:
    """The opening view: the latest unbroken run of months (at most 6), KDE.

    police.uk extracts can have gaps (the bundled Kent data has none for
    2023-02..2023-12): a default spanning a gap would mislead, so it stops there.
    With sources that cover different months, a month one of them lacks is a
    gap too, when they all hold the latest month (a partner log from 2023-11
    beside police data that resumes in 2024-01 opens on 2024-01..04).
    """
    shared = ch.shared_months
    months = shared if shared and shared[-1] == ch.months[-1] else ch.months
    periods = [pd.Period(m, freq="M") for m in months]
    start = len(periods) - 1
    while (
        start > 0
        and len(periods) - start < 6
        and periods[start - 1] == periods[start] - 1
    ):
        start -= 1
    return View(month_from=months[start], month_to=months[-1])


def from_query(
    params: dict[str, str], ch: Choices, dropped: list[str] | None = None
) -> View:
    """A view from URL query parameters; anything unknown or invalid is dropped.

    A shared link must never break the page: a bad value falls back to the
    default (an unknown district code, a month not in the data, ...). Each
    setting dropped is described in `dropped`, if given, for the page to say.
    """
    said = dropped if dropped is not None else []
    base = asdict(default_view(ch))
    out: dict[str, Any] = dict(base)
    for key in ("month_from", "month_to"):
        if params.get(key) in ch.months:
            out[key] = params[key]
        elif key in params:
            said.append(f"{key}={params[key]} (not a month of the data)")
    if ch.months.index(out["month_from"]) > ch.months.index(out["month_to"]):
        said.append(
            f"months {out['month_from']} to {out['month_to']} (the first after the "
            "last)"
        )
        out["month_from"], out["month_to"] = base["month_from"], base["month_to"]
    allowed = {
        "themes": set(THEMES),
        "categories": set(ch.categories),
        "districts": set(ch.districts),
        "wards": set(ch.wards),
        "sources": set(ch.sources),
    }
    for key in _LISTS:
        given = [v for v in params.get(key, "").split("|") if v]
        out[key] = [v for v in given if v in allowed[key]]
        said += [f"{key}={v} (unknown)" for v in given if v not in allowed[key]]
    out["harm"] = params.get("harm") == "1"
    out["auto"] = params.get("auto") == "1"
    for key, known in (("rule", RULE_LABELS), ("method", METHOD_LABELS)):
        if params.get(key) in known:
            out[key] = params[key]
        elif key in params:
            said.append(f"{key}={params[key]} (unknown)")
    for key, (lo, hi) in _INTS.items():
        if key not in params:
            continue
        try:
            value = int(params[key])
        except ValueError:
            value = None
        if value is not None and lo <= value <= hi:
            out[key] = value
        else:
            said.append(f"{key}={params[key]} (a whole number from {lo} to {hi})")
    if "coverage" in params:
        try:
            cov = float(params["coverage"])
        except ValueError:
            cov = math.nan
        if 0.5 <= cov <= 10:
            out["coverage"] = cov
        else:
            said.append(f"coverage={params['coverage']} (a percentage from 0.5 to 10)")
    if params.get("basemap") == "none":
        out["basemap"] = "none"
    return View(**out)


def dropped_note(dropped: list[str]) -> str:
    """What the page says of the settings of its address it left out, or ""."""
    if not dropped:
        return ""
    return (
        "Some settings in this page's address were not understood and were left out "
        f"(the defaults are used instead): {'; '.join(dropped)}."
    )


def widget_defaults(view: View) -> dict[str, Any]:
    """The sidebar widgets' starting values (by widget key) for a view.

    The months range slider is left out: a range slider takes its value as a
    parameter (its key keeps its identity).
    """
    return {
        "w_themes": list(view.themes),
        "w_categories": list(view.categories),
        "w_districts": list(view.districts),
        "w_wards": list(view.wards),
        "w_sources": list(view.sources),
        "w_harm": view.harm,
        "method": view.method,
        "w_auto": view.auto,
        "w_bandwidth": view.bandwidth,
        "w_coverage": view.coverage,
        "w_rule": view.rule,
        "w_cell": view.cell_size,
        "w_eps": view.eps,
        "w_min_incidents": view.min_incidents,
        "w_basemap": view.basemap,
    }


def to_query(view: View) -> dict[str, str]:
    """URL query parameters of a view (defaults left out, lists joined by |)."""
    out: dict[str, str] = {}
    for f in fields(View):
        value = getattr(view, f.name)
        if f.name in _LISTS:
            if value:
                out[f.name] = "|".join(value)
        elif isinstance(value, bool):
            out[f.name] = "1" if value else "0"
        else:
            out[f.name] = str(value)
    return out


def selection_key(view: View, upload: str | None = None) -> tuple[tuple[str, Any], ...]:
    """A hashable key of the incident selection (for caching)."""
    items: dict[str, Any] = {
        "month_from": view.month_from,
        "month_to": view.month_to,
        "themes": tuple(view.themes) or None,
        "categories": tuple(view.categories) or None,
        "districts": tuple(view.districts) or None,
        "wards": tuple(view.wards) or None,
        "sources": tuple(view.sources) or None,
        "upload": upload,
    }
    return tuple(items.items())


#: The columns hotspot detection and what the page shows of it read
#: (`run_method`): selecting only these copies half the data of the others.
DETECTION_COLUMNS = (
    "month", "theme", "category", "ward_code", "lad_code", "sensitivity",
    "location_text", "weight", "source", "geometry",
)  # fmt: skip

#: The text columns of `DETECTION_COLUMNS` held as categoricals by `detection_frame`.
CATEGORICAL_COLUMNS = (
    "theme", "category", "ward_code", "lad_code", "sensitivity", "source",
    "location_text",
)  # fmt: skip
#: The last frame's `detection_frame`, made by one session at a time.
_DETECTION_FRAME: FrameMemo[gpd.GeoDataFrame] = FrameMemo(1, exclusive=True)


def detection_frame(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`DETECTION_COLUMNS` of `incidents`, its text as categoricals; made once.

    The same values, rows and index: a selection then copies and counts small
    integer codes instead of Arrow strings (a county-wide theme's rows: 0.036 s
    -> 0.016 s; a new view about 0.05 s less), and every result is the same
    (each map, table and chart of seven views compared). Kept for the last
    frame asked about, which must not change after (the page's store frame is
    shared and read-only).
    """

    def make() -> gpd.GeoDataFrame:
        frame = incidents[list(DETECTION_COLUMNS)].copy()
        for column in CATEGORICAL_COLUMNS:
            frame[column] = frame[column].astype("category")
        return frame

    return _DETECTION_FRAME.get(incidents, make)


#: The columns the ward and district tables read (`area_tables`; the source:
#: which months they can compare, `data_months`).
AREA_INPUT_COLUMNS = ("month", "ward_code", "lad_code", "weight", "source", "geometry")


def upload_ident(name: str, data: bytes, mapping: dict[str, str], covers: str) -> str:
    """``"NAME:DIGEST"``: a partner file as read, for the page's use of it.

    The digest is of its name, bytes, column mapping and the months it covers:
    the page's caches are keyed by it. The same bytes read with another mapping or months are another reading
    (the page had kept the first reading's results under the second's rows).
    """
    digest = hashlib.sha256(data)
    digest.update(json.dumps([name, sorted(mapping.items()), covers]).encode())
    return f"{name}:{digest.hexdigest()[:20]}"


def source_name_taken(name: str, sources: Sequence[str]) -> str:
    """Why a partner file cannot be called `name`, or "" if it can.

    A name the data already holds (``police.uk``, or a source in the store)
    would make the file part of that source: its months would count as that
    source's, and a comparison over time would read them as a change.
    """
    taken = {s.casefold(): s for s in sources}
    if name.strip().casefold() in taken:
        return (
            f"The data already holds a source called '{taken[name.strip().casefold()]}'"
            ": give this file a name of its own (Name of this source)."
        )
    return ""


def upload_use(key: str | None) -> tuple[str, str]:
    """``(mode, file key)`` of the page's use of a partner file.

    `key` is ``"alone|SOURCE:HASH"`` (the file alone), ``"with|SOURCE:HASH"``
    (with the police data) or None (police data only: ``("", "")``).
    """
    mode, _, ident = (key or "").partition("|")
    return mode, ident


_FRAME_MONTHS: FrameMemo[dict[str, list[str]]] = FrameMemo(4)


def _frame_months(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The months (``YYYY-MM``) each source of a frame holds (`source_months`).

    Found once per frame, and kept for the last few frames asked about (the
    store's and a partner file's), which must not change after.
    """
    from hotspots.dates import source_months

    return _FRAME_MONTHS.get(frame, lambda: source_months(frame))


def held_months(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
    sources: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """The months (``YYYY-MM``) each source of the data in use holds.

    The store's sources, a partner file's when it is used alone, or both
    together (as `select` combines them); only the sources the selection
    names, if it names any, and only `sources` when given.
    """
    k = dict(key)
    mode, _ = upload_use(k.get("upload"))
    if upload is not None and mode == "alone":
        frames = [upload]
    elif upload is not None and mode == "with":
        frames = [incidents, upload]
    else:
        frames = [incidents]
    held: dict[str, set[str]] = {}
    for frame in frames:
        for source, months in _frame_months(frame).items():
            held.setdefault(source, set()).update(months)
    named = set(k.get("sources") or held) & set(held if sources is None else sources)
    return {s: sorted(m) for s, m in sorted(held.items()) if s in named}


def data_months(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
    *,
    within: bool = False,
    sources: Sequence[str] | None = None,
    shared: bool = False,
) -> list[str]:
    """Every month the data in use holds (``YYYY-MM``), whatever the selection.

    Of its sources (`held_months`), or only `sources` (those the incidents in
    question come from, `sources_of`). A month of these without an incident of
    the selection counts as none; a month outside them is missing (police.uk
    Kent has no 2023-02..2023-12), never read as zero. ``within=True``: only
    those in the selection's months. ``shared=True``: only the months every
    one of the sources holds (`hotspots.dates.shared_months`), for comparisons
    over time, which must never read a month one source lacks as a month
    without its incidents (a partner log from 2023-11 beside police data with
    none then would look like a rise).
    """
    k = dict(key)
    cover = held_months(incidents, upload, key, sources)
    held = (
        shared_months(cover)
        if shared
        else sorted({m for months in cover.values() for m in months})
    )
    if within:
        held = [m for m in held if k["month_from"] <= m <= k["month_to"]]
    return held


def months_note(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
    sources: Sequence[str] | None = None,
) -> str:
    """The months of the selection that not every one of its sources holds.

    "" when there are none (or one source). `sources`: those the selection's
    incidents come from (`sources_of`), default every source of the data in
    use. Said under the map, with what it does to the page's figures: time
    steps (months active, the charts) take every month any source holds, but
    comparisons over time (the trends of hotspots and street-week sites, the
    Trends tab's cells, the PSPO evidence, the change in the ward and district
    tables) only the months all hold.
    """
    k = dict(key)
    lo, hi = k["month_from"], k["month_to"]
    cover = held_months(incidents, upload, key, sources)
    if len(cover) < 2:
        return ""
    within = {s: {m for m in ms if lo <= m <= hi} for s, ms in cover.items()}
    every = set().union(*within.values())
    parts = [
        f"{name} holds no data for {_months_text(sorted(every - held))}"
        for name, held in within.items()
        if every - held
    ]
    if not parts:
        return ""
    both = data_months(
        incidents, upload, key, within=True, sources=list(cover), shared=True
    )
    kept = (
        f"the months all hold: {_months_text(both)}"
        if both
        else "months all hold, and there are none in this selection"
    )
    return (
        "The sources of this selection cover different months: "
        f"{'; '.join(parts)}. The map counts every incident, but the trends of "
        "the hotspots and street-week sites, the Trends tab's hot spot cells and "
        f"the PSPO evidence compare only {kept}, and the ward and district tables "
        "show a change only when all hold every month of both periods, so that a "
        "month one source lacks is not read as a month without its incidents."
    )


def select(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
    *,
    areas: bool = False,
    safeguarding: bool = False,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """The incidents of a selection key (with an uploaded partner file if chosen).

    With ``areas=True`` the month and area filters are left off (area statistics
    pick the current and previous months and the areas themselves, and count
    the unlocated incidents of the selection) and safeguarding incidents are kept;
    otherwise they are left out (they never shape outlines, surfaces or points)
    unless ``safeguarding=True`` (the street-week planner counts them).
    `columns`: only these columns (e.g. `DETECTION_COLUMNS`); default all.
    """
    k = dict(key)
    mode, _ = upload_use(k.get("upload"))
    base = incidents
    if upload is not None and mode == "alone":
        base = upload
    elif upload is not None and mode == "with":
        base = pd.concat([incidents, upload], ignore_index=True)
        # the months each part's files were declared to cover (concat keeps
        # attrs only where all agree)
        declared = {**incidents.attrs.get(COVERS, {}), **upload.attrs.get(COVERS, {})}
        if declared:
            base.attrs[COVERS] = declared
    sel = Selection(
        month_from=None if areas else k["month_from"],
        month_to=None if areas else k["month_to"],
        themes=k["themes"],
        categories=k["categories"],
        districts=None if areas else k["districts"],
        wards=None if areas else k["wards"],
        sources=k["sources"],
    )
    keep = sel.mask(base)
    if not (areas or safeguarding):
        # safeguarding incidents count in ward and district tables, but never
        # shape hotspot outlines, surfaces or points on this page
        keep &= ~disclosure.safeguarding_rows(base)
    if columns is not None:  # one copy of the rows and columns kept
        return base.loc[keep, list(columns)]
    return base[keep]  # one copy of the rows kept (each copy of the county: 0.05 s)


def provenance_lines(result: MapResult, ch: Choices) -> list[str]:
    """The provenance record of a view in plain words (the page's Provenance tab).

    Data (counts, sources, months), the filters by name, the method with every
    parameter's explanation, and the software and time; the JSON has the rest.
    """
    record = result.provenance
    data = record.get("data", {})
    counts = data.get("sources", {})
    held = data.get("source_months", {}) if len(counts) > 1 else {}
    sources = ", ".join(
        f"{k} {v:,}" + (f" in {_months_text(held[k])}" if held.get(k) else "")
        for k, v in counts.items()
    )
    months = f"{data.get('month_from')} to {data.get('month_to')}"
    lines = [
        f"**Data**: {data.get('incidents', 0):,} incidents ({sources}), {months}; "
        f"{data.get('unlocated', 0):,} without a location."
    ]
    tables_only = data.get("counted_not_mapped", {}).get("sources", {})
    if tables_only:
        n = sum(tables_only.values())
        lines[0] += (
            f" Also {n:,} safeguarding concern{'' if n == 1 else 's'} "
            f"({', '.join(f'{k} {v:,}' for k, v in tables_only.items())}): counted "
            "in the ward and district tables, never mapped."
        )
    names: dict[str, dict[str, str]] = {"districts": ch.districts, "wards": ch.wards}
    shown = []
    for key, value in record.get("filters", {}).items():
        if key in ("month_from", "month_to"):
            continue
        if isinstance(value, list):
            lookup = names.get(key, {})
            value = ", ".join(str(lookup.get(v, v)) for v in value)
        shown.append(f"{key} {value}")
    lines.append("**Filters**: " + ("; ".join(shown) or "none") + ".")
    weighted = record.get("parameters", {}).get("weight")
    method = result.method_label + ("; weighted by harm" if weighted else "")
    lines.append(f"**Method**: {method}. " + " ".join(result.explanations))
    lines.append(
        f"**Made by** {record.get('software', 'hotspots')} on "
        f"{str(record.get('created', ''))[:16].replace('T', ' ')} UTC; "
        f"{record.get('crs', '')}."
    )
    lines.append(
        "**Positions**: longitude/latitude placed on the grid by "
        f"{record.get('transformation', 'OSTN15')}. The web map above is drawn in "
        "WGS84 by PROJ's Helmert transformation (2-5 m off OSTN15, for the screen); "
        "the downloads in WGS84 are transformed by OSTN15 and say so."
    )
    return lines


def describe_view(view: View, ch: Choices, upload: str | None = None) -> str:
    """One line saying what is on the screen.

    `upload`: the page's use of a partner file (``"alone|SOURCE:HASH"`` or
    ``"with|..."``, as `select` takes it), named at the start of the line.
    """
    mode, ident = upload_use(upload)
    source = ident.rsplit(":", 1)[0]
    data = {
        "alone": f"Your file '{source}' alone: ",
        "with": f"police.uk with your file '{source}': ",
    }.get(mode, "")
    where = ", ".join(ch.districts[d] for d in view.districts) or "all of Kent & Medway"
    if view.wards:
        where = f"{len(view.wards)} ward(s) in " + where
    what = ", ".join(view.themes) or "all themes"
    if view.categories:
        what += f" ({', '.join(view.categories)})"
    weight = ", weighted by harm" if view.harm else ""
    return (
        f"{data}{what}; {where}; {view.month_from} to {view.month_to}{weight}. "
        f"Method: {METHOD_LABELS[view.method]}."
    )


# ---------------------------------------------------------------------------------
# detection for the map


@dataclass(frozen=True)
class MapResult:
    """Hotspots of one method on one selection, ready to draw and tabulate."""

    method: str
    method_label: str
    hotspots: gpd.GeoDataFrame
    parameters: dict[str, Any]
    explanations: list[str]
    warnings: list[str]
    image_url: str | None
    image_bounds: tuple[tuple[float, float], tuple[float, float]] | None
    legend: dict[str, Any]
    incidents: int
    unlocated: int
    incidents_in_hotspots: int
    area_km2: float
    study_area_km2: float
    selected: pd.DataFrame
    monthly: pd.DataFrame
    mix: pd.DataFrame
    points: pd.DataFrame
    provenance: dict[str, Any]
    #: The hotspots' outlines as the map draws them (`mapping.display_outlines`).
    outlines: Any = None
    #: The selection's time steps (``YYYY-MM``: every month any of its sources
    #: holds, within its range; empty when not given to `run_method`) and those
    #: every source holds (None: all of them).
    months: list[str] = field(default_factory=list)
    shared_months: list[str] | None = None

    @property
    def area_share(self) -> float:
        """Hotspot area over study area."""
        return self.area_km2 / self.study_area_km2 if self.study_area_km2 else 0.0

    @property
    def share_in_hotspots(self) -> float:
        """Share of the selection's located incidents inside hotspots."""
        located_n = self.incidents - self.unlocated
        return self.incidents_in_hotspots / located_n if located_n else 0.0


def _image(
    method: str, result: Any, *, harm: bool = False
) -> tuple[str | None, Any, dict[str, Any]]:
    from hotspots.mapping import DENSITY_COLOURS, GISTAR_COLOURS
    from hotspots.raster import WebImage, categorical, colour, to_web_mercator

    if method == "kde":
        values = np.where(result.mask, result.kde_per_km2, np.nan)
        positive = values[np.isfinite(values) & (values > 0)]
        if not positive.size:
            return None, None, {}
        vmax = float(np.percentile(positive, 99.5))
        image, bounds = to_web_mercator(result.grid, values)
        indices, palette = colour(
            image, colours=DENSITY_COLOURS, vmin=0, vmax=vmax,
            transparent_below=0.02 * vmax,
        )  # fmt: skip
        # weighted by harm, the surface sums weights: harm, not incidents, per km²
        title = "Harm per km² (KDE, weighted)" if harm else "Incidents per km² (KDE)"
        legend = {"kind": "density", "vmax": vmax, "title": title}
        return WebImage(indices, palette, bounds).png_data_url(), bounds, legend
    if method == "gistar":
        values = np.where(result.mask, result.gi_bin.astype(float), np.nan)
        image, bounds = to_web_mercator(result.grid, values)
        indices, palette = categorical(image, palette=GISTAR_COLOURS)
        legend = {"kind": "gistar", "title": "Getis-Ord Gi* (FDR corrected)"}
        return WebImage(indices, palette, bounds).png_data_url(), bounds, legend
    return None, None, {"kind": "clusters"}


#: What the page says when a selection holds no incident.
NO_MATCH = "No incidents match this selection. Widen the months, themes or areas."


def no_match(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    selection: tuple[tuple[str, Any], ...],
) -> str:
    """Why a selection has nothing to map: no incident, or only safeguarding ones.

    Safeguarding incidents never shape the map (`select`), so a selection of
    only those (a safeguarding log mapped alone) has nothing to map, yet it is
    not empty: they count in the ward and district tables.
    """
    held = select(incidents, upload, selection, safeguarding=True, columns=["month"])
    if held.empty:
        return NO_MATCH
    n = len(held)
    which = (
        "The one incident of this selection is a safeguarding concern"
        if n == 1
        else f"All {n:,} incidents of this selection are safeguarding concerns"
    )
    return (
        f"{which}: counted in the ward and district tables, the street-week plan "
        "and the PSPO evidence, never mapped (as points, a surface or outlines). "
        "Add other themes or sources to map."
    )


def charts_leave_out(result: MapResult) -> str:
    """The Trends tab's note on the safeguarding concerns its charts leave out.

    They count in the ward and district tables; "" when there are none.
    """
    sources = result.provenance.get("data", {}).get("counted_not_mapped", {})
    n = sum(sources.get("sources", {}).values())
    if not n:
        return ""
    return (
        f"These charts leave out the selection's {n:,} safeguarding "
        f"concern{'' if n == 1 else 's'} (never mapped, so in no hotspot); the ward "
        "and district tables count them, so a ward's chart can be lower than its "
        "count there."
    )


def wards_within(
    wards: Sequence[str], districts: Sequence[str], ref: Reference
) -> tuple[list[str], list[str]]:
    """``(inside, outside)``: the chosen wards in the chosen districts, and not.

    Areas filter together, so a ward outside the districts chosen would add
    nothing but its empty land to the study area and the map's frame (alone,
    it had left the page with "No incidents match" and no reason): the view
    leaves it out, and the page says so (`wards_outside_note`). No districts:
    every ward is inside.
    """
    if not districts:
        return list(wards), []
    lad = dict(zip(ref.wards["ward_code"], ref.wards["lad_code"], strict=True))
    inside = [w for w in wards if lad.get(w) in districts]
    return inside, [w for w in wards if w not in inside]


def wards_outside_note(outside: Sequence[str], ch: Choices) -> str:
    """What the page says of the wards `wards_within` left out, or ""."""
    if not outside:
        return ""
    names = "; ".join(ch.wards.get(w, w) for w in outside)
    one = len(outside) == 1
    return (
        f"{'This ward is' if one else 'These wards are'} outside the districts "
        f"chosen, so {'it is' if one else 'they are'} left out of the view: "
        f"{names}. Choose {'its district' if one else 'their districts'} too, or "
        "no district, to map "
        f"{'it' if one else 'them'}."
    )


#: The emerging hot spot analysis' cell sizes offered on the page (metres).
TREND_CELL_SIZES = (100, 200, 400, 800)


@dataclass(frozen=True)
class TrendCells:
    """A selection's grid cells classified month by month, as the page shows them.

    `summary`: one row per pattern found (the order of
    `hotspots.trends.PATTERN_MEANINGS`) with its cells, their incidents over
    the months, its meaning and the wards with most of its cells; `image_url`
    and `bounds`: the cells coloured by pattern (`mapping.TREND_COLOURS`) as a
    Web Mercator image; `notes`: the analysis' own warnings (few months, too
    sparse).
    """

    summary: pd.DataFrame
    image_url: str | None
    bounds: Any
    months: list[str]
    cell_size: float
    notes: list[str]
    #: The classified cells (with their ``ward``) and their provenance record,
    #: for the download (`trend_cells_file`).
    cells: gpd.GeoDataFrame
    record: dict[str, Any]
    #: Whether Gi* and the trend ran on summed harm weights (not counts).
    harm: bool = False


def trend_cells(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    selection: tuple[tuple[str, Any], ...],
    ref: Reference,
    *,
    cell_size: float,
    harm: bool = False,
) -> TrendCells:
    """Emerging hot spot patterns of the selection (`classify_hotspot_trends`).

    `harm`: on the incidents' summed harm weights (the view's *Weight by harm*),
    not their count.

    The incidents the map's hotspots are found in (no safeguarding rows), over
    the view's districts. The time steps are every month of the data in use
    within the selection's months, so a month without an incident of the
    selection counts as none; months missing from the data are not steps.
    With sources that cover different months, only the months every source of
    the selection holds are steps (`hotspots.trends.over_shared_months`): the
    incidents of the others are left out, and a note says so.
    """
    from hotspots.grid import grid_for
    from hotspots.mapping import TREND_COLOURS
    from hotspots.raster import WebImage, categorical, to_web_mercator
    from hotspots.trends import (
        PATTERN_MEANINGS,
        classify_hotspot_trends,
        over_shared_months,
    )

    k = dict(selection)
    chosen = select(incidents, upload, selection, columns=DETECTION_COLUMNS)
    if chosen.empty:
        raise HotspotsError(no_match(incidents, upload, selection))
    held = held_months(incidents, upload, selection)
    steps, common = selection_months(chosen, held, k["month_from"], k["month_to"])
    chosen, months, note = over_shared_months(chosen, steps, common)
    if chosen.empty:
        raise HotspotsError(note)
    notes = [note] if note else []
    districts = k.get("districts")
    area = study_area(list(districts) if districts else None, k.get("wards"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        cells = classify_hotspot_trends(
            chosen, cell_size=float(cell_size), study_area=area, months=months,
            weight="weight" if harm else None,
        )  # fmt: skip
    notes += [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    # each cell's ward: the one holding its centre
    centres = gpd.GeoDataFrame(geometry=cells.geometry.centroid, crs=cells.crs)
    wards = ref.wards[["ward_name", "lad_name", "geometry"]]
    joined = gpd.sjoin(centres, wards, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    shared = set(wards["ward_name"][wards["ward_name"].duplicated()])
    name = joined["ward_name"].where(
        ~joined["ward_name"].isin(shared),
        joined["ward_name"] + " (" + joined["lad_name"] + ")",
    )
    cells = cells.assign(ward=name.reindex(cells.index))
    rows = []
    for pattern, meaning in PATTERN_MEANINGS.items():
        these = cells[cells["pattern"] == pattern]
        if these.empty:
            continue
        top = these["ward"].value_counts().head(3)
        rows.append(
            {
                "Pattern": pattern,
                "Cells": len(these),
                "Incidents (all months)": int(these["n"].sum()),
                **({"Harm (all months)": float(these["harm"].sum())} if harm else {}),
                "Meaning": meaning,
                "Wards (most cells)": ", ".join(f"{w} ({n})" for w, n in top.items()),
            }
        )
    summary = pd.DataFrame(
        rows,
        columns=[
            "Pattern", "Cells", "Incidents (all months)",
            *(["Harm (all months)"] if harm else []), "Meaning", "Wards (most cells)",
        ],
    )  # fmt: skip
    url = bounds = None
    if len(cells):
        grid = grid_for(
            area.total_bounds, cell_size=float(cell_size), crs=chosen.crs.to_string()
        )
        classes = np.full(grid.shape, np.nan)
        index = {p: i for i, p in enumerate(PATTERN_MEANINGS)}
        classes[cells["row"], cells["col"]] = cells["pattern"].map(index)
        image, bounds = to_web_mercator(grid, classes)
        palette = {index[p]: TREND_COLOURS[p] for p in PATTERN_MEANINGS}
        indices, colours = categorical(image, palette=palette, alpha=0.8)
        url = WebImage(indices, colours, bounds).png_data_url()
    parameters = dict(cells.attrs["parameters"])
    record = provenance(
        chosen, filters=_filters(selection), method="trends", parameters=parameters
    )
    return TrendCells(
        summary=summary,
        image_url=url,
        bounds=bounds,
        months=[str(m) for m in parameters["months"]],
        cell_size=float(cell_size),
        notes=notes,
        cells=cells,
        record=record,
        harm=harm,
    )


def trend_cells_file(trend: TrendCells, mode: str) -> tuple[str, bytes, str]:
    """The classified cells as a GeoPackage download: ``(name, bytes, mime)``.

    Public (`disclosure.disclose_trend_cells`: cells under 10 incidents left
    out, counts rounded to 5) or restricted; as ``hotspots trends --mode``.
    """
    from hotspots.export import trend_cells_bytes

    name = f"hotspot-trends-{trend.cell_size:g}m-{mode}"
    return trend_cells_bytes(trend.cells, trend.record, mode=mode, name=name)


def trend_cells_caption(trend: TrendCells) -> str:
    """What the emerging hot spot analysis did, in one sentence.

    Of harm, when the view is weighted by harm (`TrendCells.harm`).
    """
    from hotspots.trends import method_sentence

    cells = int(trend.summary["Cells"].sum())
    return (
        f"{method_sentence(trend.cell_size, trend.months, weighted=trend.harm)} "
        "Months missing from the data are left out; a month without an incident "
        f"of the selection counts as none. {cells:,} "
        f"{'cell was' if cells == 1 else 'cells were'} a significant hot spot (95%, "
        "false discovery rate corrected) in some month; the patterns follow ArcGIS's "
        "Emerging Hot Spot Analysis."
    )


def trends_map(ref: Reference, trend: TrendCells, **kwargs: Any) -> Any:
    """The emerging hot spot map (drawn by `hotspots.mapping.trends_map`)."""
    from hotspots.mapping import trends_map as draw

    return draw(ref, trend.image_url, trend.bounds, list(trend.summary["Pattern"]),
                **kwargs)  # fmt: skip


def _points(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    """Distinct incident locations (never safeguarding rows) in WGS84.

    One row per location, ordered by x then y (British National Grid), with its
    incidents and the label most often written there (ties: alphabetical).
    Counted from integer codes (pandas groupbys over every incident took 0.25 s).
    """
    empty = pd.DataFrame(columns=["lon", "lat", "incidents", "label"])

    def positions(rows: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, Any]:
        # the located rows' coordinates as the block found them, if in one
        has, xy = located_xy(rows)
        safe = ~disclosure.safeguarding_rows(rows)
        keep = has & safe
        xy = xy[safe[has]]
        loc, where = pd.factorize(xy[:, 0] + 1j * xy[:, 1])
        return keep, loc, where

    # decide before any per-location work (county-wide selections have 35,000);
    # in a large selection, on its first rows when they already hold too many
    large = len(incidents) > 8 * MAX_POINTS
    if large and len(positions(incidents.iloc[: 4 * MAX_POINTS])[2]) > MAX_POINTS:
        return empty
    keep, loc, where = positions(incidents)
    if not keep.any() or len(where) > MAX_POINTS:
        return empty
    order = np.lexsort((where.imag, where.real))
    x, y = where.real[order], where.imag[order]
    rank = np.empty(len(where), dtype=np.int64)
    rank[order] = np.arange(len(where))
    loc = rank[loc]  # locations numbered in x, then y order
    # labels numbered in alphabetical order (missing = "")
    codes, uniques = pd.factorize(incidents["location_text"])
    values = [str(u) for u in np.asarray(uniques, dtype=object)] + [""]  # -1: ""
    texts = sorted(set(values))
    position = {v: i for i, v in enumerate(texts)}
    to_text = np.array([position[v] for v in values], dtype=np.int64)
    label = to_text[np.asarray(codes)[keep]]
    n_labels = max(len(texts), 1)
    pair, k = np.unique(loc * n_labels + label, return_counts=True)
    at, label = np.divmod(pair, n_labels)
    # the label most often written at each location (ties: alphabetical)
    order = np.lexsort((label, -k, at))
    at, label = at[order], label[order]
    first = np.ones(len(at), dtype=bool)
    first[1:] = at[1:] != at[:-1]
    shown = np.empty(len(where), dtype=object)
    shown[at[first]] = np.asarray(texts, dtype=object)[label[first]]
    web = to_web(gpd.GeoSeries.from_xy(x, y, crs=incidents.crs))
    return pd.DataFrame(
        {
            "lon": web.x.to_numpy(),
            "lat": web.y.to_numpy(),
            "incidents": np.bincount(loc, minlength=len(where)),
            "label": shown,
        }
    )


def run_method(
    incidents: gpd.GeoDataFrame,
    ref: Reference,
    *,
    method: str,
    options: dict[str, Any],
    coverage: float | None,
    harm: bool,
    districts: tuple[str, ...] | None,
    about: AboutSelection | None = None,
    filters: dict[str, Any] | None = None,
    months: Sequence[str] | None = None,
    trend_months: Sequence[str] | None = None,
    wards: Sequence[str] | None = None,
) -> MapResult:
    """Detect hotspots and prepare everything the page shows about them.

    The study area is the `districts` (default all), or the `wards` if given
    (`hotspots.boundaries.study_area`).
    `about`: `AboutSelection.of(incidents)`, if the caller has it. `filters`:
    the selection that made `incidents` (`_filters`), for the provenance
    record; without them it names the districts only. `months`: the data's
    months in the selection (`data_months`), the hotspots' time steps;
    `trend_months`: the months their trends compare (those every source holds:
    `hotspots.dates.selection_months`; default all).
    """
    from hotspots.detect import detect, sparse_warning, uniform_weight
    from hotspots.detect import explanations as explain

    if incidents.empty:
        raise HotspotsError(NO_MATCH)
    pts = located(incidents)
    if not pts.any():
        raise HotspotsError("None of the selected incidents has a location to map.")
    area = study_area(list(districts) if districts else None, wards)
    weight = "weight" if harm else None
    # the map's outlines (GEOS work, which leaves Python free) made beside the
    # rest: from the polygons as soon as they are found (clusters, Gi*), while
    # they are profiled, or else once the hotspots are
    early: list[tuple[gpd.GeoSeries, Future[Any]]] = []

    def outline_early(shapes: gpd.GeoSeries) -> None:
        early.append((shapes, _OUTLINES.submit(_display_outlines, shapes.to_frame())))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        found = detect(
            incidents, method=method, study_area=area, coverage=coverage, weight=weight,
            options=options, months=months, trend_months=trend_months,
            polygons_found=outline_early,
        )  # fmt: skip
    advice = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    hot = found.hotspots
    if "hotspot" in hot and "hotspot_id" not in hot:
        hot = hot.rename(columns={"hotspot": "hotspot_id"})
    outlines = _outlines_of(hot, early[0] if early else None)
    url, bounds, legend = _image(method, found.result, harm=harm)
    explanations = explain(found.parameters)
    sparse = sparse_warning(method, hot, found, int(pts.sum()))
    if sparse:
        advice.append(sparse)
    if harm and uniform_weight(incidents) is not None:
        advice.append(UNWEIGHTED_HARM)
    # the hotspot of each incident, as detect counted it (no second spatial join)
    member = found.membership
    if member is None:
        member = np.zeros(len(incidents), dtype="int64")
    if about is None:
        about = AboutSelection.of(incidents)
    selected = about.selected.assign(hotspot=member)
    record = provenance(
        incidents,
        filters=filters or {"districts": list(districts) if districts else "all 13"},
        method=method,
        parameters=found.parameters,
        data=about.data,
    )
    return MapResult(
        method=method,
        method_label=METHOD_LABELS[method],
        hotspots=hot,
        parameters=found.parameters,
        explanations=explanations,
        warnings=advice,
        image_url=url,
        image_bounds=bounds,
        legend=legend,
        incidents=len(incidents),
        unlocated=int((~pts).sum()),
        incidents_in_hotspots=found.incidents_in_hotspots,
        area_km2=found.area_km2,
        study_area_km2=found.study_area_km2,
        selected=selected,
        monthly=about.monthly,
        mix=about.mix,
        points=about.points,
        provenance=record,
        outlines=outlines(),
        months=list(months or []),
        shared_months=None if trend_months is None else list(trend_months),
    )


#: Under the map when *Weight by harm* is on but every mapped incident weighs the
#: same: the harm-weighted map is then the unweighted one.
UNWEIGHTED_HARM = (
    "Weight by harm changes nothing here: every mapped incident of this selection "
    "has the same harm weight. police.uk incidents all weigh 1; a partner file can "
    "give each row its own weight in a harm weight column (tab *Your data*)."
)


def _selected(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    """The month, theme, category and ward of each incident, for the charts."""
    return pd.DataFrame(
        {
            # categoricals (`.array`): `.to_numpy()` would box every value into
            # an object array, 20 times the memory of every cached result
            "month": _month_category(incidents["month"]),
            "theme": incidents["theme"].astype("category").array,
            "category": incidents["category"].astype("category").array,
            "ward": incidents["ward_code"].astype("category").array,
        }
    )


#: Makes each result's map outlines while its thread goes on with the rest (a
#: new county-wide view's took 0.07-0.1 s, the time of its image and tables).
_OUTLINES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots-outlines")


def _display_outlines(hot: gpd.GeoDataFrame) -> Any:
    from hotspots.mapping import display_outlines

    return display_outlines(hot) if len(hot) else None


def _outlines_of(
    hot: gpd.GeoDataFrame, early: tuple[gpd.GeoSeries, Future[Any]] | None
) -> Callable[[], Any]:
    """The map's outlines of `hot` (`_display_outlines`), when they are needed.

    `early`: polygons as found and their outlines under way (`run_method`):
    taken for the hotspots' own polygons (the same shapely objects, ranked,
    some dropped); for others (KDE's, dissolved later) made now, beside the
    caller.
    """
    if early is not None and len(hot):
        shapes, job = early
        at = {id(shape): i for i, shape in enumerate(shapes.array)}
        rows = [at.get(id(shape), -1) for shape in hot.geometry.array]
        if -1 not in rows:
            return lambda: job.result()[rows]
    later = _OUTLINES.submit(_display_outlines, hot)
    return later.result


# ---------------------------------------------------------------------------------
# tables and charts


#: The most hotspots a hotspot picker lists (the busiest, by rank): HDBSCAN over
#: the county finds 2,800, a list no one scrolls, sent with every rerun while its
#: tab is open. Any other hotspot is picked by choosing its row in the ranked
#: table (`picker_ranks`).
PICK_LIMIT = 200


def picker_ranks(ranks: Sequence[int], focus: int | None = None) -> list[int]:
    """The ranks a hotspot picker lists: the first `PICK_LIMIT`, and `focus`.

    `focus` (the hotspot ticked in the ranked table) is added at the end when it
    is further down the list; a rank that is not one of `ranks` is ignored.
    """
    shown = list(ranks[:PICK_LIMIT])
    if focus is not None and focus not in shown and focus in set(ranks):
        shown.append(focus)
    return shown


def picker_note(n_hotspots: int) -> str | None:
    """What a picker with `picker_ranks` says of the hotspots it leaves out."""
    if n_hotspots <= PICK_LIMIT:
        return None
    return (
        f"Lists the {PICK_LIMIT} busiest of the {n_hotspots:,} hotspots; choose "
        "any other's row in the hotspot table beside the map to see it here."
    )


def hotspot_table(hot: gpd.GeoDataFrame) -> pd.DataFrame:
    """The ranked hotspot table as shown (plain column names with units)."""
    if hot.empty:
        return pd.DataFrame(
            columns=[
                "Rank",
                "Incidents",
                "Trend",
                "Wards",
                "Districts",
                "Share",
                "Area (km²)",
            ]
        )
    t = hot.sort_values("hotspot_id")
    table = pd.DataFrame(
        {
            "Rank": t["hotspot_id"].astype(int),
            "Incidents": t["incidents"].astype(int),
            "Harm": t["harm"].round(1),
            "Trend": t["trend"],
            "Wards": t["wards"],
            "Districts": t["districts"],
            "Share": (100 * t["share"]).round(1),  # % (a number: it sorts)
            "Top categories": t["top_categories"],
            "Months active": t["months_active"],
            "Area (km²)": t["area_km2"].round(2),
        }
    ).reset_index(drop=True)
    if (t["harm"].to_numpy() == t["incidents"].to_numpy()).all():
        table = table.drop(columns="Harm")  # no harm weighting: it repeats Incidents
    return table


def area_tables(
    selected_no_months: pd.DataFrame,
    available: list[str],
    selection: dict[str, Any],
    *,
    harm: bool,
) -> dict[str, Any]:
    """Ward and district statistics (counts, rates, LQ, change) as shown.

    `available`: the months the data holds (`data_months`).
    """
    from hotspots.areas import area_statistics

    months = (selection["month_from"], selection["month_to"])
    districts = list(selection["districts"]) if selection.get("districts") else None
    out: dict[str, Any] = {}
    for level in ("ward", "district"):
        stats = area_statistics(
            selected_no_months,
            level=level,
            months=months,
            weight="weight" if harm else None,
            districts=districts,
            available_months=available,
        )
        if level == "ward" and selection.get("wards"):
            stats = stats[stats["ward_code"].isin(selection["wards"])]
        out[f"{level}_stats"] = stats
        out[level] = _area_view(stats, level)
        out["note"] = _area_note(stats, county=districts is None)
    return out


def _area_view(stats: pd.DataFrame, level: str) -> pd.DataFrame:
    # one frame from the columns' arrays (a column at a time cost 0.02 s a table)
    view: dict[str, Any] = {}
    if level == "ward":
        view["Ward"] = stats["ward_name"].array
    view["District"] = stats["lad_name"].array
    view["Incidents"] = stats["incidents"].to_numpy(dtype=int)
    harm = stats["harm"].to_numpy(dtype=float)
    if not np.isnan(harm).all() and (harm != view["Incidents"]).any():
        view["Harm"] = np.round(harm, 1)  # weighted by harm (else it repeats them)
    view["Residents"] = stats["residents"].array
    view["Per 1,000 residents"] = stats["rate_per_1000"].round(1).array
    view["Share %"] = (100 * stats["share"]).round(1).array
    view["LQ"] = stats["location_quotient"].round(2).array
    if stats["change"].notna().any():
        view["Previous period"] = stats["previous"].array
        view["Change"] = stats["change"].array
        view["Change %"] = stats["change_pct"].round(0).array
        view["Significant"] = stats["change_significant_adj"].array
    # else no change was computed (months missing from the data: the note says
    # which), and four columns of blanks would read as a fault
    view["Rank"] = stats["rank"].array
    view["Rate rank"] = stats["rate_rank"].array
    return pd.DataFrame(view)


def _area_note(stats: pd.DataFrame, *, county: bool = False) -> str:
    """What the table covers; `county`: every district analysed (none chosen)."""
    a = stats.attrs
    prev = a.get("previous_months") or []
    note = (
        f"Current period {a.get('months', [''])[0]} to {a.get('months', [''])[-1]}"
        if a.get("months")
        else ""
    )
    if prev:
        note += f"; previous period {prev[0]} to {prev[-1]}"
    if a.get("previous_note"):
        note += f". Change not shown: {str(a['previous_note']).rstrip('.')}"
    note += (
        f". {a.get('unlocated', 0):,} incidents of this selection across Kent & Medway"
        " have no location, so they are in no ward or district (police.uk gives them"
        " no area either)."
    )
    if county and a.get("outside"):
        # with districts chosen, "outside" is every other district's: not news
        note += (
            f" {a['outside']:,} located incidents lie just outside Kent & Medway's"
            " wards (e.g. Kent Police records that police.uk places over the county"
            " border), so they are in no row either."
        )
    note += " Ward populations are Census 2021 estimates (see data/README.md)."
    return note


def _month_category(months: pd.Series) -> pd.Categorical[str]:
    """``months.astype(str).astype("category")``, converting the distinct months only."""
    codes, text = _codes(months, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(text, dtype=str))


def _codes(column: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a column (-1 = missing) and the text of each code.

    The text of the few distinct values only: ``astype(str)`` of every row boxes
    275,000 values (0.1 s a column on the county).
    """
    codes, uniques = pd.factorize(column, sort=sort)
    return codes, [str(u) for u in uniques]


def monthly_by_theme(selected: pd.DataFrame) -> pd.DataFrame:
    """Incidents per month and theme, zero-filled over the months present."""
    month, month_text = _codes(selected["month"])
    theme, theme_text = _codes(selected["theme"])
    months = sorted(set(month_text))
    themes = [t for t in THEMES if t in set(theme_text)]
    keep = (month >= 0) & (theme >= 0)
    n = np.bincount(
        month[keep] * len(theme_text) + theme[keep],
        minlength=len(month_text) * len(theme_text),
    )
    found = pd.MultiIndex.from_product([month_text, theme_text])
    counts = pd.Series(n, index=found).groupby(level=[0, 1]).sum()
    full = pd.MultiIndex.from_product(
        [pd.Index(months, dtype=str), pd.Index(themes, dtype=str)],
        names=["month", "theme"],
    )
    out = counts.reindex(full, fill_value=0).rename("incidents").reset_index()
    out["month"] = pd.to_datetime(out["month"])
    return out


def monthly_line(
    monthly: pd.DataFrame,
    data_months: Sequence[str],
    month_from: str,
    month_to: str,
    shared: Sequence[str] | None = None,
) -> pd.DataFrame:
    """`monthly_by_theme` for a line chart over every calendar month of the view.

    A month of the data that the selection has no incident in counts 0; a month
    missing from the data (police.uk's 2023-02..2023-12 here) is NaN, so the
    line breaks there instead of joining the months on either side as if the
    months between had been counted. ``partial``: a month of the data that not
    every source holds (not in `shared`, when given): its count is of some
    sources only, and the charts shade it.
    """
    months = pd.period_range(month_from, month_to, freq="M")
    themes = list(dict.fromkeys(monthly["theme"]))
    full = pd.MultiIndex.from_product(
        [months.to_timestamp(), pd.Index(themes, dtype=str)], names=["month", "theme"]
    )
    out = (
        monthly.set_index(["month", "theme"])["incidents"]
        .astype("float64")
        .reindex(full, fill_value=0.0)
        .reset_index()
    )
    month = out["month"].dt.strftime("%Y-%m")
    in_data = month.isin(set(data_months))
    out.loc[~in_data, "incidents"] = np.nan
    out["partial"] = in_data & ~month.isin(
        set(data_months if shared is None else shared)
    )
    return out


def gap_note(line: pd.DataFrame) -> str:
    """What the breaks in a `monthly_line` chart are, or "" when it has none."""
    from hotspots.dates import month_runs

    def runs(rows: pd.Series) -> list[pd.Period]:
        months = line.loc[rows, "month"].drop_duplicates().sort_values()
        return [pd.Period(m, freq="M") for m in months]

    gone = runs(line["incidents"].isna())
    partial = runs(line["partial"]) if "partial" in line else []
    notes = []
    if gone:
        notes.append(
            f"No data for {month_runs(gone)} ({len(gone)} months), shaded grey: "
            "the lines break there."
        )
    if partial:
        notes.append(
            f"Not every source of the selection holds {month_runs(partial)}, shaded "
            "amber: those months count some of its sources only."
        )
    return " ".join(notes)


def category_mix(selected: pd.DataFrame, *, top: int = 12) -> pd.DataFrame:
    """The most frequent categories with their share (ties: first seen first).

    ``selected["category"].astype(str).value_counts()``, counted on integer
    codes: converting every row to text took 0.05 s on the county.
    """
    codes, uniques = pd.factorize(selected["category"])  # in order of first sight
    seen = codes >= 0
    counts = pd.Series(
        np.bincount(codes[seen], minlength=len(uniques)),
        index=pd.Index([str(u) for u in uniques], dtype=str, name="category"),
        name="count",
    )
    if counts.index.has_duplicates:  # distinct values with the same text
        counts = counts.groupby(level=0, sort=False).sum()
    counts = counts.sort_values(ascending=False, kind="stable")
    out = counts.head(top).rename_axis("category").rename("incidents").reset_index()
    out["share"] = out["incidents"] / max(1, int(counts.sum()))
    return out


def hotspot_monthly(
    result: MapResult, rank: int, data_months: Sequence[str], months: tuple[str, str]
) -> pd.DataFrame:
    """Incidents per month and theme inside one hotspot, over the view's months.

    `months` is the view's (from, to); the result is a `monthly_line`, so the
    months missing from `data_months` are NaN.
    """
    return _months_of(result, result.selected["hotspot"] == rank, data_months, months)


def ward_monthly(
    result: MapResult,
    ward_code: str,
    data_months: Sequence[str],
    months: tuple[str, str],
) -> pd.DataFrame:
    """Incidents per month and theme in one ward, as `hotspot_monthly`."""
    return _months_of(result, result.selected["ward"] == ward_code, data_months, months)


def _months_of(
    result: MapResult,
    keep: pd.Series,
    data_months: Sequence[str],
    months: tuple[str, str],
) -> pd.DataFrame:
    """Monthly counts of part of the selection over every month of the view.

    A month of the data without an incident here is 0; a month missing from the
    data is NaN, which the charts show as a grey band, not as an empty month; a
    month not every source holds is ``partial`` (`monthly_line`).
    """
    part = monthly_by_theme(result.selected[keep.fillna(False).to_numpy(bool)])
    return monthly_line(part, data_months, *months, result.shared_months)


# ---------------------------------------------------------------------------------
# partner uploads


def preview(name: str, data: bytes) -> Table:
    """Read an uploaded file as a text table (clear errors for bad files)."""
    return read_table(name, data)


def detected_columns(table: Table) -> dict[str, str]:
    """Column roles detected from the header names."""
    return detect_columns(list(table.frame.columns))


#: The help of the upload's "Months it covers".
COVERS_HELP = (
    "The first and last month the file covers, as YYYY-MM..YYYY-MM. Leave it "
    "empty and the file covers the month of its first incident to that of its "
    "last (a month between them without an incident counts as none). Give it "
    "when the file's first or last months had no incident, so that trends read "
    "them as months with none, not as months the file lacks."
)


def ingest_summary(report: dict[str, Any]) -> str:
    """The ingest report in one paragraph.

    With how each file was read when that was not the plain case (another
    encoding or delimiter, a chosen sheet).
    """
    text = (
        f"**Read {report['rows_read']:,} rows:** kept {report['rows_kept']:,} "
        f"({report['rows_unlocated']:,} without a usable location: counted, not "
        f"mapped), rejected {report['rows_rejected']:,}."
    )
    from hotspots.ingest import ingest_positions
    from hotspots.io import CP1252_NOTE

    positions = ingest_positions(report)
    if positions:
        text += f" Positions: {positions}."
    if "covers" in report:
        first, _, last = str(report["covers"]).partition("..")
        text += f" It covers {first} to {last}, as given."
    elif report.get("months") and all(
        f.get("kind") == "partner" for f in report.get("files", [])
    ):
        months = sorted(report["months"])
        text += (
            f" It covers {months[0]} to {months[-1]}, the months of its first and "
            "last incidents (if it covers more, give *Months it covers*)."
        )

    for f in report.get("files", []):
        # how the file was read; the noted rows' counts are in the reasons table
        read = f.get("read_as", [])
        if read:
            name = Path(str(f["file"])).name  # the page reads a temporary copy
            text += f" {name} was read with: {'; '.join(read)}."
        if CP1252_NOTE in read:
            text += (
                " Check that names with accents, £ or other special characters "
                "look right; if not, save the file from Excel as CSV UTF-8."
            )
    return text


def reasons_table(report: dict[str, Any]) -> pd.DataFrame:
    """Every reason a row was rejected, left unlocated or noted, with counts."""
    rows = [("Rejected", r, n) for r, n in report["rejected_by_reason"].items()]
    rows += [
        ("Kept, not mapped", r, n) for r, n in report["unlocated_by_reason"].items()
    ]
    rows += [("Kept, noted", r, n) for r, n in report["noted_by_reason"].items()]
    return pd.DataFrame(rows, columns=["Outcome", "Reason", "Rows"])


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes safe to open in Excel (formulas neutralised)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.csv"
        write_csv_safe(frame, path)
        return path.read_bytes()


def build_map(
    result: MapResult,
    ref: Reference,
    tables: dict[str, Any],
    view: View,
    *,
    focus: int | None = None,
    static_urls: dict[str, str] | None = None,
) -> Any:
    """The folium map of a result (drawn by `hotspots.mapping`).

    `static_urls`: where the browser finds the fixed layers (`static_layers`).
    """
    from hotspots.mapping import dashboard_map

    return dashboard_map(
        result,
        ref,
        tables.get("ward_stats"),
        basemap=view.basemap,
        districts=view.districts or None,
        focus=focus,
        static_urls=static_urls,
        wards=view.wards or None,
    )


def static_layers(ref: Reference) -> dict[str, tuple[str, bytes]]:
    """The map's fixed layers (districts, wards, schools) as files.

    Key -> (file name, GeoJSON bytes); the name changes with the content.
    Public reference data only (no incidents).
    """
    from hotspots.mapping import static_file_name, static_layer_files

    return {
        key: (static_file_name(key, data), data)
        for key, data in static_layer_files(ref).items()
    }


def analysis_for_export(
    incidents: gpd.GeoDataFrame,
    view: View,
    *,
    upload: gpd.GeoDataFrame | None,
    upload_key: str | None = None,
) -> Any:
    """The analysis behind a download: the same as ``hotspots export`` for the view.

    The method options are the view's (automatic rules when chosen), so the file
    equals the command line's for the same selection and settings. `upload_key`:
    the page's use of the partner file `upload` (`upload_use`), as the map's.
    """
    from hotspots.pipeline import analyse

    key = selection_key(view, upload_key)
    selected = select(incidents, upload, key)
    around = select(incidents, upload, key, areas=True)
    # advice about the data (a bandwidth under the locations' spacing, ...) is
    # the view's: the page says it under the map, for the same detection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return analyse(
            selected,
            method=view.method,
            filters={
                k: v
                for k, v in dict(key).items()
                if v not in (None, ()) and k != "upload"
            },
            districts=view.districts or None,
            wards=view.wards or None,
            months=(view.month_from, view.month_to),
            coverage=view.coverage / 100 if view.method == "kde" else None,
            weight="weight" if view.harm else None,
            options=view_options(view),
            area_incidents=around,
            source_months=held_months(incidents, upload, key),
        )


def view_options(view: View) -> dict[str, Any]:
    """The method options a view stands for (what the sidebar sends to detect).

    A bandwidth or cell size at detect's default is sent as not given (None), so
    that the page says it is the default (`hotspots.detect.explanations`).
    """
    if view.method == "kde":
        if view.auto:
            return {"bandwidth_rule": view.rule}
        return {"bandwidth": _given(view.bandwidth, KDE_BANDWIDTH_M)}
    if view.method == "gistar":
        if view.auto:
            return {"cell_size": "auto"}
        return {"cell_size": _given(view.cell_size, GISTAR_CELL_SIZE_M)}
    if view.method == "dbscan":
        return {
            "eps": None if view.auto else float(view.eps),
            "min_incidents": view.min_incidents,
        }
    return {"min_cluster_incidents": view.min_incidents}


def _given(value: float, default: float) -> float | None:
    """`value` as a method option: None (not given) when it is the default."""
    return None if float(value) == default else float(value)


#: Street-week sites the planner suggests by default.
PLAN_SITES = 6


def plan_spread(districts: Sequence[str]) -> int | None:
    """The planner's default "at most per district" for a view of `districts`.

    One, to spread the sites, when the view (no districts: the county) has a
    district for each default site; otherwise no limit (at most one per
    district, Thanet alone could hold only one site).
    """
    return 1 if not districts or len(districts) >= PLAN_SITES else None


def plan_for_view(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
    *,
    k: int,
    radius: float,
    max_per_district: int | None,
    priorities: dict[str, float],
    weights: dict[str, float] | None = None,
    exclude: gpd.GeoDataFrame | None = None,
) -> Any:
    """Street-week sites for a selection (safeguarding concerns counted, not shown).

    `weights` multiply the harm of themes (1 = as recorded); `exclude` holds
    recent street-week sites (points or areas) to leave out.
    """
    from hotspots.planner import PlanInfeasible, plan_sites

    districts = dict(key).get("districts")
    selected = select(incidents, upload, key, safeguarding=True)
    if selected.empty:
        raise HotspotsError(
            "No incidents match this selection. Widen the months or areas."
        )
    span = dict(key)["month_from"], dict(key)["month_to"]
    steps, compared = selection_months(
        selected, held_months(incidents, upload, key), *span
    )
    layer = load_boundary("districts")
    try:
        return plan_sites(
            selected,
            k=k,
            radius=radius,
            max_per_district=max_per_district,
            priorities={p: w for p, w in priorities.items() if w} or None,
            weights={t: w for t, w in (weights or {}).items() if w != 1} or None,
            exclude=exclude,
            districts=layer[layer["lad_code"].isin(districts)] if districts else None,
            months=steps,
            trend_months=compared,
        )
    except PlanInfeasible as err:
        raise HotspotsError(plan_infeasible_message(err)) from err


def plan_infeasible_message(err: PlanInfeasible) -> str:
    """Why no plan fits, in the words of the page's controls.

    Sites, Footprint radius, At most per district and the recent sites left
    out, rather than the planner's parameters (`err.limit` names the one).
    """
    from hotspots.planner import CELL_SIZE_M  # the page's plans use the default

    k = err.k
    asked = f"fewer than the {k} asked for"
    if err.limit == "sites":
        n = err.excluded
        where = (
            f"once the {plural(n, 'recent site')} {'is' if n == 1 else 'are'} left out"
            if n
            else "in this selection"
        )
        places = (
            "No place can" if not err.possible
            else f"Only {plural(err.possible, 'place')} can"
        )  # fmt: skip
        fewer = ", leave out fewer recent sites" if n else ""
        return (
            f"{places} hold a site {where}, {asked} (a place is the centre of a "
            f"{CELL_SIZE_M:g} m square within the footprint radius of an incident). "
            f"Choose fewer sites{fewer} or widen the months or areas."
        )
    if err.limit == "per_district":
        areas = "one district" if err.districts == 1 else f"{err.districts} districts"
        return (
            f"At most {plural(err.max_per or 0, 'site')} per district, in the {areas} "
            f"with incidents, gives at most {plural(err.possible, 'site')}, {asked}. "
            "Choose 'no limit' (or more) under At most per district, or fewer sites."
        )
    if err.limit == "separation":
        return (
            f"No {k} sites fit at least {err.separation:,.0f} m apart (twice the "
            "footprint radius, so that no two footprints overlap) among the incidents "
            "of this selection. Choose fewer sites or a smaller footprint radius, or "
            "widen the months or areas."
        )
    return (
        f"No {k} sites fit the limits set. Choose fewer sites, or 'no limit' under "
        "At most per district."
    )


def read_exclusions(name: str, data: bytes) -> gpd.GeoDataFrame:
    """Recent street-week sites from an uploaded GeoJSON, GeoPackage, KML or zipped shapefile.

    The same reader as a PSPO boundary (`hotspots.io.read_layer`): the format
    is recognised from the bytes, and the layer comes back in EPSG:27700.
    """
    from hotspots.io import read_layer

    return read_layer(name, data)


def plan_table(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The ranked street-week sites as shown."""
    return pd.DataFrame(
        {
            "Site": sites["rank"].astype(int),
            "Ward": sites["ward_name"],
            "District": sites["lad_name"],
            "Incidents covered": sites["incidents"].astype(int),
            "Why": sites["explanation"],
        }
    )


def plan_map(plan: Any, ref: Reference, view: View) -> Any:
    """The folium map of a plan (drawn by `hotspots.mapping`)."""
    from hotspots.mapping import plan_map as draw

    return draw(
        plan.sites,
        plan.footprints,
        ref,
        basemap=view.basemap,
        districts=view.districts or None,
    )


def plan_caption(plan: Any) -> str:
    """What the sites cover, how they were chosen, and what the limits cost."""
    p = plan.parameters
    sites = plural(len(plan.sites), "site")
    verb = "covers" if len(plan.sites) == 1 else "cover"
    # every incident weighing 1 (no harm weights, no theme weighted): incidents
    counts = (p.get("harm_covered"), p.get("harm_total")) == (
        p.get("incidents_covered"), p.get("incidents_located"),
    )  # fmt: skip
    text = f"The {sites} {verb} {p.get('harm_covered', 0):,.0f} of the selection's "
    text += f"{p.get('harm_total', 0):,.0f} {'incidents' if counts else 'harm'}"
    if p.get("harm_share") is not None:
        text += f" ({p['harm_share']:.0%})"
    text += ", each incident counted once. "
    solver = str(p.get("solver", "the planner"))
    gap = p.get("gap")
    how = "integer programming" if solver.startswith("exact") else "greedy search"
    if gap is not None and gap <= 1e-9:
        text += f"Chosen by {how}: proven the best possible under the limits set"
    elif gap is not None:
        text += f"Chosen by {how}: within {100 * gap:.1f}% of the best possible"
    else:
        text += f"Chosen by {solver}"
    limits = []
    if p.get("min_separation_m"):
        limits.append(f"sites at least {p['min_separation_m']:,.0f} m apart")
    if p.get("max_per_district"):
        limits.append(f"at most {p['max_per_district']} per district")
    if p.get("exclusions"):
        limits.append(f"{plural(p['exclusions'], 'place')} left out")
    cost = p.get("constraint_cost_harm")
    if cost is None or not limits:
        return text + "."
    named = f"the limits ({', '.join(limits)})"
    if cost <= 1e-9:
        return (
            f"{text}; {named} cost nothing: the best sites without them cover no more."
        )
    return (
        f"{text}; {named} cost {cost:,.0f} of harm covered against the best sites "
        "without them."
    )


#: The sites download's help: what the file is (`hotspots.pipeline.write_plan`).
PLAN_FILE_HELP = (
    "Exact counts for the partnership's planning, safeguarding concerns counted in "
    "each footprint: not for publication. To publish, use the public briefings."
)


def plan_download(
    plan: Any, selection: tuple[tuple[str, Any], ...] | None = None
) -> bytes:
    """The sites and footprints of a plan as GeoPackage bytes, with provenance.

    `selection`: the view's key the plan was made for (its filters are recorded).
    """
    import tempfile
    from pathlib import Path

    from hotspots.pipeline import write_plan

    filters = _filters(selection) if selection is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        path = write_plan(plan, Path(tmp) / "street-weeks.gpkg", filters=filters)
        return path.read_bytes()


# ---------------------------------------------------------------------------------
# PSPO evidence tab

#: The two disclosure levels of downloads, briefings and reports (key -> label).
DISCLOSURE_LABELS = {
    "public": "Public (counts under 10 withheld, others rounded to 5)",
    "restricted": "Restricted (full detail, for data-sharing partners)",
}
#: How the PSPO tab's area can be chosen (key -> label).
PSPO_AREA_SOURCES = {
    "ward": "A ward",
    "hotspot": "A hotspot of this view",
    "upload": "Upload a boundary (GeoJSON, GeoPackage, zipped shapefile, KML)",
    "draw": "Draw it on the map",
    "sample": "Sample: Margate town centre (illustrative order, from 2022-07)",
}
#: What the page says in place of a result made for another view. Street-week
#: plans, PSPO evidence and prepared downloads are kept while the page is open;
#: after the selection changes they are not shown as the new view's.
STALE_PLAN = (
    "The selection has changed since the last plan: press *Plan the street weeks* "
    "to plan for this one."
)
STALE_PSPO = (
    "The selection has changed since the last evidence was made: press *Make the "
    "evidence* for this one."
)
STALE_EXPORT = (
    "The file prepared earlier was of other choices (the view, the format, the "
    "disclosure or the coordinates have changed since): press *Prepare the file* "
    "for these."
)
#: The sample order boundary shipped in data/samples (illustrative, not a real order).
PSPO_SAMPLE = "margate-town-centre-pspo.geojson"


def pspo_area(spec: tuple[Any, ...], hotspots: gpd.GeoDataFrame | None = None) -> Any:
    """The `hotspots.pspo.Area` described by a hashable `spec` from the tab.

    ``("ward", code)``, ``("file", name, bytes, kind)``, ``("drawn", geojson
    text)``, ``("sample",)`` or ``("hotspot", rank, label)`` (with `hotspots`,
    the view's hotspot polygons).
    """
    import json

    from hotspots import bundled, pspo

    kind = spec[0]
    if kind == "ward":
        return pspo.area_from_ward(spec[1])
    if kind == "file":
        return pspo.read_area(spec[1], spec[2], kind=spec[3])
    if kind == "drawn":
        return pspo.area_from_geojson(json.loads(spec[1]), name="Drawn area")
    if kind == "sample":
        path = bundled.SAMPLES_DIR / PSPO_SAMPLE
        return pspo.read_area(path.name, path.read_bytes(), kind="order")
    if kind == "hotspot":
        if hotspots is None or not len(hotspots):
            raise HotspotsError("This view has no hotspots; choose another area.")
        return pspo.area_from_hotspot(hotspots, int(spec[1]), label=str(spec[2]))
    raise HotspotsError(f"Unknown kind of area {kind!r}.")


def _pct(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def fixed(value: Any, digits: int = 1) -> str:
    """A number with thousands separators and `digits` decimals; "n/a" for NaN."""
    return "n/a" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def pspo_comparison(profile: Any) -> pd.DataFrame:
    """The profile's area / district / county comparison, labelled for the page."""
    c = profile.comparison
    names = {
        "area": profile.area.name,
        "district": f"{profile.district_name} (district)",
        "county": "Kent & Medway",
    }
    return pd.DataFrame(
        {
            "Where": [names.get(i, str(i)) for i in c.index],
            "Incidents": c["incidents"].astype(int).to_numpy(),
            "Area (km²)": [fixed(v, 2) for v in c["area_km2"]],
            "Residents (est.)": [fixed(v, 0) for v in c["residents"]],
            "Per km²": [fixed(v) for v in c["per_km2"]],
            "Per 1,000 residents": [fixed(v) for v in c["per_1000"]],
            "Share of district incidents": [
                _pct(v) for v in c["share_of_district_incidents"]
            ],
            "Share of district land": [_pct(v) for v in c["share_of_district_land"]],
            "Concentration (× fair share)": [fixed(v) for v in c["concentration"]],
        }
    )


def pspo_statutory(profile: Any) -> pd.DataFrame:
    """The s59 test point by point: what the data shows and cannot show."""
    return pd.DataFrame(
        {
            "Statutory test (s59)": [s["test"] for s in profile.statutory],
            "What the data shows": [s["shows"] for s in profile.statutory],
            "What it cannot show": [s["cannot_show"] for s in profile.statutory],
        }
    )


def pspo_monthly(profile: Any) -> pd.DataFrame:
    """Incidents per 1,000 residents per month in the area and its district (tidy).

    Rates, not counts: a town centre and its whole district differ a hundredfold
    in counts, so only rates show them on one axis. Months missing from the data
    are NaN (a gap in the line, not a fall to zero).
    """
    m = profile.monthly
    residents = profile.comparison["residents"]
    rows = []
    for col, label in (
        ("area", profile.area.name),
        ("district", profile.district_name),
    ):
        count = pd.to_numeric(m[col], errors="coerce").to_numpy(dtype=float)
        people = float(residents.get(col, np.nan))
        rate = 1000.0 * count / people if people > 0 else np.full(len(m), np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "month": pd.PeriodIndex(m["month"].astype(str), freq="M")
                    .to_timestamp()
                    .to_numpy(),
                    "where": label,
                    "incidents": count,
                    "per_1000": rate,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def pspo_evaluation(ev: Any) -> pd.DataFrame:
    """Before/after counts of the area, buffer and control, labelled for the page."""
    c = ev.counts
    names = {
        "area": ev.area.name,
        "buffer": f"Buffer ({ev.buffer_m:,.0f} m ring)",
        "control": "Control",
    }
    return pd.DataFrame(
        {
            "Where": [names.get(i, str(i)) for i in c.index],
            "Before": c["before"].astype(int).to_numpy(),
            "After": c["after"].astype(int).to_numpy(),
            "Change": [f"{int(v):+,}" for v in c["change"]],
            "Change %": [
                "n/a" if pd.isna(v) else f"{float(v):+.1f}%" for v in c["change_pct"]
            ],
            "p (change)": [fixed(v, 3) for v in c["p"]],
            "Area (km²)": [fixed(v, 2) for v in c["area_km2"]],
        }
    )


def pspo_relative(ev: Any) -> pd.DataFrame:
    """The odds ratios against the control, labelled for the page."""
    r = ev.relative
    return pd.DataFrame(
        {
            "Comparison": list(r.index),
            "Odds ratio (>1: fell relative to control)": [
                fixed(v, 2) for v in r["odds_ratio"]
            ],
            "95% interval": [
                f"{fixed(lo, 2)} to {fixed(hi, 2)}"
                for lo, hi in zip(r["ci_low"], r["ci_high"], strict=True)
            ],
            "p": [fixed(v, 4) for v in r["p"]],
        }
    )


def pspo_key_figures(ev: Any) -> list[str]:
    """WDQ and total net effect in plain words."""
    wdq = ev.wdq
    if pd.isna(wdq):
        wdq_text = (
            "Weighted Displacement Quotient: not defined (the area did not improve "
            "relative to the control, so there is nothing to displace)."
        )
    else:
        meaning = (
            "displacement greater than the benefit"
            if wdq < -1
            else "some displacement"
            if wdq < 0
            else "diffusion of benefit"
            if wdq > 0
            else "no effect on the buffer"
        )
        wdq_text = f"Weighted Displacement Quotient: {wdq:.2f} ({meaning})."
    tne = ev.total_net_effect
    expected = "than the control's change predicts, in the area and buffer together"
    if pd.isna(tne):
        tne_text = "Total net effect: not defined (no control incidents before)."
    elif round(tne) > 0:
        tne_text = (
            f"Total net effect: about {round(tne):,} incidents fewer {expected} "
            "(prevented, net of displacement)."
        )
    elif round(tne) < 0:
        tne_text = (
            f"Total net effect: about {-round(tne):,} incidents more {expected} "
            "(a net increase)."
        )
    else:
        tne_text = (
            "Total net effect: about none (as many incidents as the control's change "
            "predicts, in the area and buffer together)."
        )
    return [wdq_text, tne_text]


def area_key(area: Any) -> tuple[str, str, str, bytes]:
    """A hashable key of a `hotspots.pspo.Area` (for caching)."""
    return (area.name, area.kind, area.source, area.geometry.wkb)


def area_from_key(key: tuple[str, str, str, bytes]) -> Any:
    """The `hotspots.pspo.Area` of an `area_key`."""
    import shapely

    from hotspots.pspo import Area

    name, kind, source, wkb = key
    return Area(name=name, kind=kind, geometry=shapely.from_wkb(wkb), source=source)


def pspo_incidents(
    incidents: gpd.GeoDataFrame,
    upload: gpd.GeoDataFrame | None,
    key: tuple[tuple[str, Any], ...],
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The incidents a PSPO profile or evaluation reads, and their months.

    The months are those every source of the incidents holds: the profile and
    the evaluation compare months, which must not read a month one source
    lacks as a month without its incidents. The selection's themes, categories
    and sources apply; its months and areas do not (the profile compares the
    area with its district and county, and an evaluation picks its own before
    and after months). Safeguarding incidents are kept: they are counted,
    never placed.
    """
    chosen = select(incidents, upload, key, areas=True)
    return chosen, data_months(
        incidents, upload, key, sources=sources_of(chosen), shared=True
    )


def pspo_profile(
    incidents: gpd.GeoDataFrame,
    area: Any,
    *,
    months: tuple[str, str],
    available: list[str],
    selection: tuple[tuple[str, Any], ...],
) -> Any:
    """`hotspots.pspo.profile_area` for the tab."""
    from hotspots.pspo import profile_area

    return profile_area(
        incidents,
        area,
        months=months,
        available_months=available,
        filters=_filters(selection),
    )


def pspo_evaluate(
    incidents: gpd.GeoDataFrame,
    area: Any,
    start: str,
    *,
    buffer_m: float,
    control: Any,
    available: list[str],
    selection: tuple[tuple[str, Any], ...],
) -> Any:
    """`hotspots.pspo.evaluate_order` for the tab."""
    from hotspots.pspo import evaluate_order

    return evaluate_order(
        incidents,
        area,
        start,
        buffer_m=buffer_m,
        control=control,
        available_months=available,
        filters=_filters(selection),
    )


def _filters(selection: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The selection's filters as set (for provenance)."""
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in selection
        if v is not None and k != "upload"
    }


def pspo_map(ref: Reference, **kwargs: Any) -> Any:
    """The PSPO tab's folium map (drawn by `hotspots.mapping.pspo_map`)."""
    from hotspots.mapping import pspo_map as draw

    return draw(ref, **kwargs)


def pspo_heading(evidence: Any) -> str:
    """One line naming the area, its size and source, and the months compared."""
    area = evidence.area
    text = f"**{_md(area.name)}**: {area.area_km2:.2f} km², {_md(area.source)}. "
    months = getattr(evidence, "months", None)
    if months is not None:
        span = f"{months[0]} to {months[-1]}" if months else "no months"
        return (
            text
            + f"Compared with {_md(evidence.district_name)} and Kent & Medway, {span}."
        )
    return (
        text + f"Order from {evidence.start}; buffer ring {evidence.buffer_m:,.0f} m."
    )


def _md(text: Any) -> str:
    """Text made safe for Streamlit markdown (no markup, no HTML)."""
    import re

    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


def _months_text(months: list[str]) -> str:
    """'2022-01 to 2022-06 (6 months)' for a run of months, else the list."""
    if not months:
        return "no months"
    periods = pd.PeriodIndex(months, freq="M")
    if len(periods) > 2 and (periods[-1] - periods[0]).n == len(periods) - 1:
        return f"{months[0]} to {months[-1]} ({len(months)} months)"
    return ", ".join(months)


def pspo_windows(ev: Any) -> str:
    """The evaluation's before and after months and its control, in one line."""
    return (
        f"Before: {_months_text(ev.before_months)}. After: "
        f"{_months_text(ev.after_months)}. Control: {ev.control_source}."
    )


def pspo_themes(profile: Any) -> pd.DataFrame:
    """The profile's theme mix: the area's shares against the district's and county's."""
    t = profile.themes
    return pd.DataFrame(
        {
            "Theme": [str(i) for i in t.index],
            "Area": t["area"].astype(int).to_numpy(),
            "Area share": [_pct(v) for v in t["area_share"]],
            "District share": [_pct(v) for v in t["district_share"]],
            "County share": [_pct(v) for v in t["county_share"]],
        }
    )


def pspo_locations(profile: Any) -> pd.DataFrame:
    """The area's most frequent location descriptions (never from safeguarding rows)."""
    return pd.DataFrame(profile.top_locations, columns=["Location", "Incidents"])


def pspo_day_hour(profile: Any) -> pd.DataFrame | None:
    """The day-of-week × hour table as tidy rows for a heat map; None without times."""
    table = profile.day_hour
    if table is None:
        return None
    tidy = table.rename_axis(index="day", columns="hour").stack().rename("incidents")
    return tidy.reset_index().assign(hour=lambda f: f["hour"].astype(int))
