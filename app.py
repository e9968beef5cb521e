"""Kent & Medway hotspot dashboard (Streamlit). Run with `make run`.

A thin shell over the `hotspots` package: widgets, cached calls and layout. Every
number and map layer comes from a `hotspots` function; nothing here does geometry.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import hotspots as hs
from hotspots import dashboard as dash
from hotspots.categories import THEMES
from hotspots.detect import METHOD_MEANINGS

_RUN_STARTED = time.perf_counter()  # this run's server time (`dash.log_run`)
st.set_page_config(
    page_title="Kent & Medway hotspots",
    # an emoji here would import streamlit.emojis (0.1 s), and a Material icon is
    # fetched from Google: the same emoji, drawn in a file served from static/
    page_icon="/app/static/favicon.svg",
    layout="wide",
    initial_sidebar_state="expanded",
)
# While a run is under way Streamlit fades the page's elements (opacity 0.33,
# a 1 s transition after 0.5 s). A browser without a GPU (this machine's, or a
# virtual desktop's) composites every frame of that fade in software: 0.4-0.5 s
# of CPU per second of fading, taken from the server's run when both share a
# computer. The same cue in one step: after 0.5 s the elements dim at once.
# (Style alone: Streamlit puts it outside the page's elements, taking no space.)
STALE_STYLE = (
    '<style>[data-stale="true"] { transition: opacity 0s 0.5s !important; }</style>'
)
st.html(STALE_STYLE)

METHODS = {
    "kde": "Kernel density (KDE)",
    "dbscan": "Clusters (DBSCAN)",
    "hdbscan": "Clusters (HDBSCAN)",
    "gistar": "Hot and cold spots (Getis-Ord Gi*)",
}


# ---------------------------------------------------------------------------------
# cached data and computations (only package calls; hashable arguments)


@st.cache_resource(show_spinner="Opening the incident store…")
def all_incidents() -> Any:
    """Every incident in the store (shared, read-only)."""
    return dash.load_incidents(None)


@st.cache_resource(show_spinner=False)
def reference() -> dash.Reference:
    """Boundaries, population, schools: read once."""
    return dash.load_reference()


@st.cache_resource(show_spinner=False)
def static_urls() -> dict[str, str]:
    """Where the browser loads the map's fixed layers (districts, wards, schools): files
    written once into static/layers/ (Streamlit serves static/), so each map of a
    view carries only its own layers and the wards' numbers (about 0.35 MB less per
    map)."""
    return dash.write_static_layers(
        Path(__file__).parent / "static" / "layers", reference()
    )


@st.cache_resource(show_spinner=False)
def code_version() -> str:
    """Digest of the package's and this app's source (saved views depend on it)."""
    return dash.code_digest(Path(__file__).read_bytes())


@st.cache_resource(show_spinner=False)
def saved_opening(stamp: str | None) -> dict[str, Any] | None:
    """The opening view an earlier server saved for this store and code, or None.

    A fresh server shows it as saved (choices, detection, tables, map) instead of
    reading the store and detecting, about 8 s; the store is read in the
    background a few seconds after the first page (`warm_up`).
    """
    return dash.load_opening(stamp, None)


@st.cache_resource(show_spinner=False)
def opening_saved_here() -> set[tuple[str, str]]:
    """(stamp, basemap) of the opening views this process has saved."""
    return set()


def save_opening(opening: dict[str, Any], basemap: str) -> None:
    """Save the opening view as shown (choices, detect_key, result, tables and
    the map for `basemap`) for the next fresh server; once per map."""
    stamp = dash.opening_stamp(None, code=code_version())
    if stamp is None or (stamp, basemap) in opening_saved_here():
        return
    earlier = dash.load_opening(stamp, None) or {}
    maps = {**earlier.get("maps", {}), basemap: opening.pop("map")}
    dash.save_opening(stamp, {**opening, "maps": maps}, None)
    opening_saved_here().add((stamp, basemap))


@st.cache_resource(show_spinner=False)
def warm_up(_delay: float, _prime: bool) -> threading.Thread:
    """Once per server, on a background thread: import what a new view needs,
    read the store (both cached for every session), with `_prime` make one
    small view end to end and drop it (`dash.prime`: first calls), and load
    the compiled loops of the KDE and HDBSCAN (`dash.warm_kernels`).

    Started once (the arguments are not part of the cache key): at once and
    without priming when there is no saved opening view (the imports overlap
    the store read; the opening view itself then primes), else `_delay`
    seconds after the first page was sent: the same process serves that page's
    scripts and layers, and an import-heavy thread beside it made the page
    visible 1-2 s later. Without it the first change on a fresh server waited
    about 4 s more (scipy.stats, folium, the store, first calls). Then what
    stays is set aside from garbage collection (`dash.settle_heap`).
    """

    def work() -> None:
        time.sleep(_delay)
        try:
            dash.warm_up()
            all_incidents()
            reference()
            if _prime:
                dash.prime(all_incidents(), reference())
            dash.warm_kernels()
            dash.settle_heap()
        except Exception:  # the page shows any real problem itself
            # stopped meanwhile (Ctrl+C): imports fail as Python shuts down
            stopping = getattr(threading, "_SHUTTING_DOWN", False)
            if threading.main_thread().is_alive() and not stopping:
                logging.getLogger(__name__).exception("Warming up the dashboard failed")

    # outside a page, Streamlit's cached calls and streamlit-folium's import log
    # "missing ScriptRunContext ... can be ignored": not from this thread
    name = "hotspots-warm-up"
    logging.getLogger(
        "streamlit.runtime.scriptrunner_utils.script_run_context"
    ).addFilter(lambda record: record.threadName != name)
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def view_choices() -> dash.Choices:
    """What each selection widget offers (months, categories, areas, sources)."""
    return dash.choices(all_incidents(), reference())


@st.cache_data(show_spinner="Finding hotspots…", max_entries=48)
def find_hotspots(
    selection: tuple[tuple[str, Any], ...],
    method: str,
    options: tuple[tuple[str, Any], ...],
    coverage: float | None,
    harm: bool,
    upload_key: str | None,
) -> dash.MapResult:
    """Detection on the selection, with the map image and tables it needs."""
    key = (selection, method, options, coverage, harm, upload_key)
    return dash.detect_view(all_incidents(), _upload(upload_key), key, reference())


@st.cache_data(show_spinner="Counting by ward and district…", max_entries=48)
def area_tables(
    selection: tuple[tuple[str, Any], ...], harm: bool, upload_key: str | None
) -> dict[str, pd.DataFrame]:
    """District and ward statistics for the selection, with change."""
    return dash.view_tables(all_incidents(), _upload(upload_key), selection, harm=harm)


@st.cache_data(show_spinner="Classifying the cells month by month…", max_entries=16)
def trend_cells(
    selection: tuple[tuple[str, Any], ...],
    upload_key: str | None,
    cell_size: int,
    harm: bool,
) -> dash.TrendCells:
    """The selection's emerging hot spot patterns (the Trends tab)."""
    return dash.trend_cells(
        all_incidents(), _upload(upload_key), selection, reference(),
        cell_size=cell_size, harm=harm,
    )  # fmt: skip


@st.cache_data(show_spinner="Preparing the file…", max_entries=16)
def trend_cells_file(
    selection: tuple[tuple[str, Any], ...],
    upload_key: str | None,
    cell_size: int,
    harm: bool,
    mode: str,
) -> tuple[str, bytes, str]:
    """The Trends tab's cells as a GeoPackage (public or restricted)."""
    return dash.trend_cells_file(
        trend_cells(selection, upload_key, cell_size, harm), mode
    )


@st.cache_data(show_spinner="Choosing the sites…", max_entries=16)
def plan_sites_cached(plan_key: tuple[Any, ...]) -> Any:
    """Street-week sites; `plan_key` = (selection, k, radius, max per district,
    priorities, upload, theme weights, recent sites (name, bytes) or None)."""
    selection, k, radius, per_district, priorities, upload_key, weights, exclude = (
        plan_key
    )
    return dash.plan_for_view(
        all_incidents(),
        _upload(upload_key),
        selection,
        k=k,
        radius=radius,
        max_per_district=per_district,
        priorities=dict(priorities),
        weights=dict(weights),
        exclude=dash.read_exclusions(*exclude) if exclude else None,
    )


@st.cache_data(show_spinner="Writing the briefing…", max_entries=32)
def briefing_files(
    plan_key: tuple[Any, ...], rank: int, mode: str
) -> tuple[bytes, str]:
    """One site's briefing (PDF bytes, HTML text) for the plan of `plan_key`."""
    from hotspots.briefing import briefing_html, briefing_pdf

    plan = plan_sites_cached(plan_key)
    selection, upload_key = plan_key[0], plan_key[5]
    incidents = dash.select(
        all_incidents(), _upload(upload_key), selection, safeguarding=True
    )
    return (
        briefing_pdf(plan, incidents, rank, mode=mode),
        briefing_html(plan, incidents, rank, mode=mode),
    )


@st.cache_data(show_spinner="Building the PSPO evidence…", max_entries=16)
def pspo_result(pspo_key: tuple[Any, ...]) -> Any:
    """An area profile or an order evaluation; `pspo_key` = (what, area key,
    selection, upload, start, buffer m, control area key or None)."""
    what, area_key, selection, upload_key, start, buffer_m, control_key = pspo_key
    incidents, available = dash.pspo_incidents(
        all_incidents(), _upload(upload_key), selection
    )
    area = dash.area_from_key(area_key)
    if what == "profile":
        k = dict(selection)
        return dash.pspo_profile(
            incidents, area, months=(k["month_from"], k["month_to"]),
            available=available, selection=selection,
        )  # fmt: skip
    return dash.pspo_evaluate(
        incidents, area, start, buffer_m=buffer_m,
        control=dash.area_from_key(control_key) if control_key else None,
        available=available, selection=selection,
    )  # fmt: skip


@st.cache_data(show_spinner="Writing the report…", max_entries=16)
def pspo_report(pspo_key: tuple[Any, ...], mode: str) -> tuple[bytes, str]:
    """The PSPO report (PDF bytes, HTML text) for `pspo_key`."""
    from hotspots import pspo_report as report

    result = pspo_result(pspo_key)
    if pspo_key[0] == "profile":
        return report.profile_pdf(result, mode=mode), report.profile_html(
            result, mode=mode
        )
    return report.evaluation_pdf(result, mode=mode), report.evaluation_html(
        result, mode=mode
    )


@st.cache_data(show_spinner="Preparing the file…", max_entries=16)
def export_file(
    view_items: tuple[tuple[str, str], ...],
    upload_key: str | None,
    fmt: str,
    mode: str,
    crs: str,
) -> tuple[str, bytes, str]:
    """The download for a view: the same file as `hotspots export` writes."""
    from hotspots.pipeline import export_analysis

    ch = dash.upload_choices(view_choices(), _upload(upload_key), upload_key)
    view = dash.from_query(dict(view_items), ch)
    analysis = dash.analysis_for_export(
        all_incidents(), view, upload=_upload(upload_key), upload_key=upload_key
    )
    out = export_analysis(analysis, None, fmt=fmt, mode=mode, crs=crs)
    assert isinstance(out, tuple)
    return out


@st.cache_data(show_spinner="Drawing the map…", max_entries=48)
def map_component(
    detect_key: tuple[Any, ...],
    basemap: str,
    focus: int | None,
    _result: dash.MapResult,
    _tables: dict[str, Any],
    _view: dash.View,
) -> dict[str, Any]:
    """The dashboard's map of a view, made once (`dash.map_args`).

    `detect_key` (find_hotspots' arguments), `basemap` and `focus` determine the
    map; `_result`, `_tables` and `_view` are what they stand for (not hashed).
    """
    fmap = dash.build_map(
        _result, reference(), _tables, _view, focus=focus, static_urls=static_urls()
    )
    return dash.map_args(fmap, detect_key, basemap, focus)


def st_folium(*args: Any, **kwargs: Any) -> Any:
    """streamlit-folium's `st_folium`, imported when a tab first draws a map.

    Importing streamlit-folium imports folium (0.4 s), which a restarted
    server's first page, the saved opening view, does not need.
    """
    from streamlit_folium import st_folium as draw

    return draw(*args, **kwargs)


def map_frame() -> Any:
    """streamlit-folium's component, as the package declares it, without importing
    the package (`st_folium`); declared again on each run (a dictionary entry), so
    every runtime has it, and the same declaration when the package is imported."""
    from streamlit.components.v1.custom_component import CustomComponent
    from streamlit.runtime import get_instance

    component = CustomComponent(
        name="streamlit_folium.st_folium",
        path=dash.folium_frontend(),
        url=None,
        module_name="streamlit_folium",
    )
    get_instance().component_registry.register_component(component)
    return component


def draw_map(component: dict[str, Any], *, height: int) -> None:
    """Draw a map made by `dash.map_args`, in place of the page's previous map (no
    values come back: panning and zooming never rerun the script)."""
    map_frame()(
        **component, height=height, width="stretch", returned_objects=[],
        default={}, zoom=None, center=None,
        return_on_hover=False, layer_control=None, pixelated=False,
        wrap_longitude=False,
    )  # fmt: skip


def month_chart(mark: str, height: int, data: Any) -> dict[str, Any]:
    """Incidents per month coloured by theme (a line or stacked bars).

    `height` is the plot's; the legend of `data`'s themes (below it, two to a
    row) is added to it, as the page fits the whole chart in the height given.

    The page's charts are plain Vega-Lite specifications (``st.vega_lite_chart``):
    altair, its schema validation and its imports cost about 0.5 s at a fresh
    server's first page and 0.1-0.2 s on every rerun, for four fixed charts.
    Each theme has its colour (`THEME_COLOURS`) whichever themes are shown.
    """
    present = set(data["theme"].dropna())
    shown = [t for t in dash.THEME_COLOURS if t in present]
    counts = {
        "mark": {"type": "line", "point": True} if mark == "line" else {"type": "bar"},
        "encoding": {
            # whole months, named with their year (the data spans 2022 to 2024)
            "x": month_axis(mark),
            "y": {"field": "incidents", "type": "quantitative", "title": "Incidents"},
            # below the chart: the theme names whole, the months the full width
            "color": {
                "field": "theme", "type": "nominal", "title": "Theme",
                "scale": {
                    "domain": shown, "range": [dash.THEME_COLOURS[t] for t in shown]
                },
                "legend": {"orient": "bottom", "labelLimit": 400, "columns": 2},
            },
            "tooltip": [
                {"field": "month", "type": "temporal", "timeUnit": "yearmonth",
                 "format": "%B %Y"},
                {"field": "theme", "type": "nominal"},
                {"field": "incidents", "type": "quantitative"},
            ],
        },
    }  # fmt: skip
    return {
        "layer": [missing_months(mark), partial_months(mark), counts],
        "height": height + 30 + 20 * -(-len(shown) // 2),
        # room on the right for the last month's label (it was cut at the edge)
        "padding": {"left": 5, "top": 5, "bottom": 5, "right": 28},
    }


def month_axis(mark: str) -> dict[str, Any]:
    """The month axis: a time line for lines; for bars one band a month (every
    month of the view is a row of `dash.monthly_line`), labelled under its bar,
    as a time axis also labelled the month after the last one, at its end."""
    return {
        "field": "month", "timeUnit": "yearmonth", "title": None,
        "type": "temporal" if mark == "line" else "ordinal",
        "axis": {"format": "%b %Y", "labelAngle": 0, "labelOverlap": "greedy"},
        **({} if mark == "line" else {"scale": {"paddingInner": 0.1}}),
    }  # fmt: skip


def missing_months(mark: str) -> dict[str, Any]:
    """Months missing from the data (NaN incidents: `dash.monthly_line`) as grey
    bands the chart's height, so they do not read as months without incidents."""
    return month_bands(
        mark, "!isValid(datum.incidents)", "no data for this month", "#bdbdbd"
    )


def partial_months(mark: str) -> dict[str, Any]:
    """Months not every source of the selection holds (``partial``:
    `dash.monthly_line`) as amber bands: their counts are of some sources only."""
    return month_bands(
        mark, "datum.partial", "not every source holds this month", "#f0c36b"
    )


def month_bands(mark: str, test: str, note: str, colour: str) -> dict[str, Any]:
    """A band the chart's height over each month whose rows pass `test`."""
    x = month_axis(mark)
    band = {"x": x}
    if x["type"] == "temporal":  # a band from the month's start to the next's
        band = {"x": {**x, "timeUnit": None}, "x2": {"field": "next"}}
    return {
        "transform": [
            {"filter": test},
            {"aggregate": [{"op": "count", "as": "rows"}], "groupby": ["month"]},
            {"calculate": "timeOffset('month', datum.month, 1)", "as": "next"},
            {"calculate": f"'{note}'", "as": "note"},
        ],
        "mark": {"type": "rect", "color": colour, "opacity": 0.35},
        "encoding": {
            **band,
            "tooltip": [
                {"field": "month", "type": "temporal", "format": "%B %Y",
                 "title": "Month"},
                {"field": "note", "type": "nominal", "title": "Data"},
            ],
        },
    }  # fmt: skip


def mix_chart(mix: Any) -> dict[str, Any]:
    """The category mix (`MIX_CHART`), 26 px a category and 80 for the axis.

    Every name shown: at a fixed 300 px, a county's 14 categories lost every
    other label (the page fits the whole chart, axis included, in the height).
    """
    return {**MIX_CHART, "height": 80 + 26 * max(3, len(mix))}


#: The category mix: bars, the most frequent first.
MIX_CHART = {
    "mark": {"type": "bar"},
    "encoding": {
        "x": {"field": "incidents", "type": "quantitative", "title": "Incidents"},
        "y": {
            "field": "category",
            "type": "nominal",
            "sort": "-x",
            "title": None,
            "axis": {"labelLimit": 240},  # "Violence and sexual offences" whole
        },
        "tooltip": [
            {"field": "category", "type": "nominal"},
            {"field": "incidents", "type": "quantitative"},
            {"field": "share", "type": "quantitative", "format": ".0%"},
        ],
    },
}


def partner_file_tab() -> None:
    """The Your data tab: read a partner file, see its report, choose how to map it."""
    st.markdown(
        "Add a partner file (CSV or Excel): an ASB log, A&E assault locations, "
        "safeguarding concerns. It stays on this computer."
    )
    upload = st.file_uploader(
        "Partner file",
        type=["csv", "txt", "tsv", "xlsx", "xlsm"],
        key="partner_upload",
        help="CSV in UTF-8, UTF-16 (Excel's Unicode Text) or Windows-1252, "
        "separated by commas, semicolons or tabs; or an Excel workbook.",
    )
    if upload is not None:
        try:
            table_in = dash.preview(upload.name, upload.getvalue())
        except hs.HotspotsError as err:
            st.error(str(err))
        else:
            st.write(
                f"{len(table_in.frame):,} rows, {len(table_in.frame.columns)} columns."
            )
            detected = dash.detected_columns(table_in)
            st.markdown("**Columns** (detected; change any that are wrong)")
            mapping: dict[str, str] = {}
            cols = st.columns(4)
            for i, role in enumerate(dash.ROLES):
                options_in = ["(none)", *table_in.frame.columns]
                chosen = cols[i % 4].selectbox(
                    dash.ROLE_LABELS[role],
                    options_in,
                    index=options_in.index(detected[role]) if role in detected else 0,
                    key=f"role-{role}",
                )
                if chosen != "(none)":
                    mapping[role] = chosen
            name = st.text_input("Name of this source", Path(upload.name).stem)
            covers = st.text_input(
                "Months it covers (optional)",
                placeholder="e.g. 2024-01..2024-12",
                help=dash.COVERS_HELP,
            )
            pressed = st.button("Read the file", type="primary")
            # a name the data already holds would merge the file into that source
            taken = dash.source_name_taken(name, view_choices().sources)
            if pressed and taken:
                st.error(taken)
            elif pressed:
                try:
                    with tempfile.TemporaryDirectory() as tmp:
                        path = Path(tmp) / Path(upload.name).name
                        path.write_bytes(upload.getvalue())
                        ingested = hs.ingest(
                            [path],
                            source=name,
                            mapping=mapping,
                            covers=covers.strip() or None,
                        )
                except hs.HotspotsError as err:
                    st.error(dash.upload_message(str(err), path, upload.name))
                else:
                    # what was read: the same bytes read another way are another file
                    key = dash.upload_ident(
                        name, upload.getvalue(), mapping, covers.strip()
                    )
                    st.session_state.setdefault("uploads", {})[key] = ingested.incidents
                    st.session_state["last_ingest"] = (
                        key,
                        ingested.report,
                        ingested.rejects,
                    )
    if "last_ingest" in st.session_state:
        key, report, rejects = st.session_state["last_ingest"]
        st.markdown(dash.ingest_summary(report))
        st.dataframe(dash.reasons_table(report), hide_index=True)
        if len(rejects):
            st.download_button(
                "Download the rejected rows (CSV)",
                dash.safe_csv(rejects),
                file_name="rejected-rows.csv",
                mime="text/csv",
            )
        kept = st.session_state.get("uploads", {}).get(key)
        if kept is None or kept.empty:  # every row rejected: nothing to map
            st.info(dash.NOTHING_KEPT)
            if st.session_state.get("use_upload"):  # (an earlier reading's)
                st.session_state["use_upload"] = None
                st.rerun()
            return
        # the page's use of the file chooses the option: the widget's own state
        # is dropped on every run that does not draw this tab
        mode, using = dash.upload_use(st.session_state.get("use_upload"))
        modes = ["no", "alone", "with"]
        use = st.radio(
            "Map it",
            modes,
            format_func={
                "no": "Police data only",
                "alone": "Your file alone",
                "with": "Your file together with the police data",
            }.get,
            horizontal=True,
            index=modes.index(mode) if using == key and mode in modes else 0,
            key="map_upload",
        )
        wanted = None if use == "no" else f"{use}|{key}"
        if wanted != st.session_state.get("use_upload"):
            st.session_state["use_upload"] = wanted
            st.rerun()


def nothing_to_map(
    selection: tuple[tuple[str, Any], ...], harm: bool, upload_key: str | None
) -> None:
    """What the page still shows of a selection with nothing to map (under the
    message why): its ward and district tables, where safeguarding concerns
    count, and the Your data tab, to map a partner file another way."""
    try:
        tables = area_tables(selection, harm, upload_key)
    except hs.HotspotsError:
        tables = None
    names = ["Your data"] if tables is None else ["Wards", "Districts", "Your data"]
    opened = st.session_state.get("tab")
    for tab, name in zip(
        st.tabs(names, default=opened if opened in names else None, key="tab_unmapped"),
        names,
        strict=True,
    ):
        with tab:
            if name == "Your data":
                partner_file_tab()
            elif tables is not None:
                area_table(tables, "ward" if name == "Wards" else "district")


def area_table(tables: dict[str, Any], level: str) -> None:
    """The Wards or Districts tab: the table of `level` and its note."""
    st.dataframe(
        tables[level], hide_index=True, width="stretch",
        height=380 if level == "ward" else "auto",
        column_config=dash.AREA_COLUMNS, placeholder=dash.MISSING,
    )  # fmt: skip
    st.caption(tables["note"])


def _upload(key: str | None) -> Any:
    """The uploaded incidents of a use key ``"alone|NAME:HASH"`` / ``"with|..."``."""
    if not key:
        return None
    return st.session_state.get("uploads", {}).get(dash.upload_use(key)[1])


# ---------------------------------------------------------------------------------
# the selection, kept in the URL so a view can be shared

try:
    ref = reference()
    saved = saved_opening(dash.opening_stamp(None, code=code_version()))
    if saved is None:
        warm_up(0.0, False)
    store_choices = saved["choices"] if saved else view_choices()
except hs.HotspotsError as err:
    st.error(str(err))
    st.stop()
# the data in use: the store's, a partner file's alone, or both (Your data tab)
upload_key = st.session_state.get("use_upload")
choices = dash.upload_choices(store_choices, _upload(upload_key), upload_key)
# (a setting given twice, districts=A&districts=B, is both)
_query = {k: "|".join(st.query_params.get_all(k)) for k in st.query_params}
_dropped: list[str] = []
state = dash.from_query(_query, choices, _dropped)
_first_run = "w_themes" not in st.session_state
if not _first_run:  # the address is the page's own after its first run
    _dropped = []
# Widgets keep their own state by key; the URL seeds a widget only when it has
# none (the first run, or a method's settings that were hidden and cleared), so a
# second change to the same widget is never undone by the address bar.
for _key, _value in dash.widget_defaults(state).items():
    if _key not in st.session_state:
        st.session_state[_key] = _value
# A partner file mapped alone or with the police data, or no longer: the
# selection keeps only what the data now in use holds, and says what it left out.
month_range = (state.month_from, state.month_to)
_shown_range = st.session_state.get("w_months")
_range, _cats, _srcs, _fitted = dash.fit_selection(
    choices,
    tuple(_shown_range) if _shown_range else None,
    st.session_state["w_categories"],
    st.session_state["w_sources"],
)
for _key, _value in (("w_categories", _cats), ("w_sources", _srcs)):
    if _value != st.session_state[_key]:  # (set only when changed: a value set
        st.session_state[_key] = _value  # is sent to the browser's widget again)
if _range is not None and _range != tuple(_shown_range or ()):
    # a range slider takes its value as a parameter: a new value replaces its state
    del st.session_state["w_months"]
    month_range = _range

# The tabs' own settings. A tab is built only when open, and Streamlit forgets
# the value of a widget on any run that does not draw it: so each run writes
# them back (Streamlit's documented way to keep a widget's state while it is not
# shown), and their widgets take no value of their own but this state's.
# the PSPO order's first month: any month of the data but the first
pspo_starts = choices.months[1:] or choices.months
TAB_SETTINGS: dict[str, Any] = {
    "w_emerging": False,
    "w_emerging_cell": 200,
    "w_emerging_mode": "public",
    "plan_sites": dash.PLAN_SITES,
    "plan_radius": 300,
    **{f"plan_{p}": 0.0 for p in ("schools", "deprivation", "trend", "persistence")},
    **{f"tw-{t}": 1.0 for t in THEMES},
    "pspo_what": "profile",
    "pspo_source": next(iter(dash.PSPO_AREA_SOURCES)),
    "pspo_ward": None,  # (the view's busiest ward until one is chosen)
    "pspo_start": "2022-07"
    if "2022-07" in pspo_starts
    else pspo_starts[len(pspo_starts) // 2],
    "pspo_buffer": 400,
    "pspo_mode": "public",
    "dl_format": next(iter(dash.EXPORT_FORMATS)),
    "dl_mode": "public",
    "dl_crs": "EPSG:27700",
}
if st.session_state.get("pspo_start") not in (None, *pspo_starts):
    del st.session_state["pspo_start"]  # (a month the data now in use lacks)
for _key, _value in TAB_SETTINGS.items():
    if _key in st.session_state:
        st.session_state[_key] = st.session_state[_key]
    elif _value is not None:
        st.session_state[_key] = _value

with st.sidebar:
    st.header("Selection")
    with st.form("selection"):
        months = st.select_slider(
            "Months",
            options=choices.months,
            value=month_range,
            key="w_months",
            help=dash.months_help(choices),
        )
        themes = st.multiselect(
            "Themes", THEMES, key="w_themes", placeholder="All themes"
        )
        categories = st.multiselect(
            "Categories", choices.categories, key="w_categories",
            placeholder="All categories",
        )  # fmt: skip
        districts = st.multiselect(
            "Districts",
            list(choices.districts),
            key="w_districts",
            format_func=choices.districts.get,
            placeholder="All 13 districts",
        )
        wards = st.multiselect(
            "Wards",
            list(choices.wards),
            key="w_wards",
            format_func=choices.wards.get,
            placeholder="All wards of the districts",
        )
        sources = st.multiselect(
            "Sources", choices.sources, key="w_sources", placeholder="All sources"
        )
        harm = st.toggle(
            "Weight by harm",
            key="w_harm",
            help="Count each incident by its harm weight instead of 1. police.uk "
            "incidents all weigh 1; a partner file can carry a harm weight column.",
        )
        st.subheader("Method")
        method = st.radio(
            "Hotspot method",
            list(METHODS),
            format_func=METHODS.get,
            label_visibility="collapsed",
            key="method",
        )
        st.caption(METHOD_MEANINGS[method])
        auto = st.toggle(
            "Choose the parameters automatically",
            key="w_auto",
            help="Rules pick the bandwidth, radius or cell size from the data; "
            "their choice is shown under the map.",
        )
        if method == "kde":
            bandwidth = st.slider(
                "Bandwidth (m)", 50, 1500, step=25, disabled=auto, key="w_bandwidth",
                help="How far each incident is spread. Wider = smoother, fewer, "
                "larger hotspots.",
            )  # fmt: skip
            coverage = st.slider(
                "Hotspot area (% of the study area)", 0.5, 10.0, step=0.5, key="w_coverage",
                help="The hottest cells covering this share of the area are outlined.",
            )  # fmt: skip
            rule = st.selectbox(
                "Automatic rule",
                ["knn", "silverman", "normal"],
                key="w_rule",
                format_func=dash.RULE_LABELS.get,
                disabled=not auto,
                help="How the bandwidth is chosen when automatic.",
            )
            options: dict[str, Any] = (
                {"bandwidth_rule": rule} if auto else {"bandwidth": float(bandwidth)}
            )
        elif method == "gistar":
            cell = st.slider(
                "Cell size (m)", 100, 1000, step=50, disabled=auto, key="w_cell",
                help="Side of the grid cells that are counted and tested.",
            )  # fmt: skip
            options = {"cell_size": "auto" if auto else float(cell)}
            coverage = None
        else:
            eps = st.slider(
                "Cluster radius (m)", 50, 1000, step=25, key="w_eps",
                disabled=auto or method == "hdbscan",
                help="DBSCAN: incidents within this distance are neighbours.",
            )  # fmt: skip
            min_incidents = st.slider(
                "Incidents needed to form a cluster",
                5,
                500,
                step=5,
                key="w_min_incidents",
            )
            options = (
                {"eps": None if auto else float(eps), "min_incidents": min_incidents}
                if method == "dbscan"
                else {"min_cluster_incidents": min_incidents}
            )
            coverage = None
        st.form_submit_button("Update the map", type="primary", width="stretch")
    basemap = st.radio(
        "Background map",
        ["OpenStreetMap", "none"],
        key="w_basemap",
        format_func=lambda b: "None (works offline)" if b == "none" else b,
        horizontal=True,
    )

# (a ward outside the districts chosen is left out, and said under the title)
wards, _wards_out = dash.wards_within(wards, districts, ref)
view = dash.View(
    month_from=months[0],
    month_to=months[1],
    themes=themes,
    categories=categories,
    districts=districts,
    wards=wards,
    sources=sources,
    harm=harm,
    method=method,
    auto=auto,
    bandwidth=int(bandwidth) if method == "kde" else state.bandwidth,
    rule=str(options.get("bandwidth_rule", state.rule)),
    cell_size=int(cell) if method == "gistar" else state.cell_size,
    eps=int(eps) if method in ("dbscan", "hdbscan") else state.eps,
    min_incidents=int(
        options.get("min_incidents")
        or options.get("min_cluster_incidents")
        or state.min_incidents
    ),
    coverage=float(coverage if coverage is not None else state.coverage),
    basemap=basemap,
)
st.query_params.from_dict(dash.to_query(view))
selection_key = dash.selection_key(view, upload_key)

# ---------------------------------------------------------------------------------
# header

st.title("Kent & Medway incident hotspots")
st.caption(dash.describe_view(view, choices, upload_key))
if _dropped:  # a shared link with settings this page does not know
    st.warning(dash.dropped_note(_dropped), icon=":material/link_off:")
if _fitted:
    st.info(dash.fitted_note(_fitted), icon=":material/filter_alt_off:")
if _wards_out:
    st.warning(
        dash.wards_outside_note(_wards_out, choices), icon=":material/wrong_location:"
    )

detect_key = dash.view_detect_key(view, upload_key)
from_saved = saved is not None and detect_key == saved["detect_key"]
try:
    if from_saved:
        result, tables = saved["result"], saved["tables"]
    else:
        result = find_hotspots(*detect_key)
        tables = area_tables(selection_key, harm, upload_key)
except hs.HotspotsError as err:
    st.error(str(err))
    nothing_to_map(selection_key, harm, upload_key)
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Incidents selected",
    f"{result.incidents:,}",
    help="Including those without a location."
    + (
        " Not counting safeguarding concerns: never mapped, they count in the ward "
        "and district tables, the street-week plan and the PSPO evidence."
        if upload_key
        else ""
    ),
)
c2.metric(
    "Without a usable location",
    f"{result.unlocated:,}",
    help="Counted in totals and tables, not on the map.",
)
c3.metric("Hotspots", f"{len(result.hotspots):,}", help=result.method_label)
c4.metric(
    "Incidents in hotspots",
    f"{result.share_in_hotspots:.0%}",
    help=f"{result.incidents_in_hotspots:,} incidents in {result.area_km2:.2f} km² "
    f"({result.area_share:.1%} of the study area).",
)

# ---------------------------------------------------------------------------------
# map and hotspot table

map_col, table_col = st.columns([3, 2], gap="medium")
with table_col:
    st.subheader("Hotspots, ranked")
    table = dash.hotspot_table(result.hotspots)
    # A row chosen in one view is not the next view's choice (a rank maybe past
    # its table's end): after a view change with a row chosen, the table is a new
    # widget, without a choice. (A new widget for every view cost the browser
    # about 0.07 s a change.)
    drawn = st.session_state.get("table_drawn")  # (widget key, the view it showed)
    table_key = drawn[0] if drawn else "hotspot_table-0"
    chosen = (st.session_state.get(table_key) or {}).get("selection", {}).get("rows")
    if drawn and drawn[1] != detect_key and chosen:
        table_key = f"hotspot_table-{int(table_key.rsplit('-', 1)[1]) + 1}"
    st.session_state["table_drawn"] = (table_key, detect_key)
    picked = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=420,
        on_select="rerun",
        selection_mode="single-row",
        key=table_key,
        column_config=dash.HOTSPOT_COLUMNS,
    )
    rows = picked.selection.rows if picked is not None else []
    focus = int(table.iloc[rows[0]]["Rank"]) if rows else None
    st.caption("Choose a row to zoom the map to that hotspot.")
with map_col:
    if from_saved and focus is None and basemap in saved["maps"]:
        component = saved["maps"][basemap]
        if not (Path(__file__).parent / "static" / "layers").is_dir():
            static_urls()  # the saved map loads them (removed since it was saved)
    else:
        component = map_component(detect_key, basemap, focus, result, tables, view)
        if focus is None and detect_key == dash.opening_key(store_choices):
            opening = {"choices": store_choices, "detect_key": detect_key}
            opening |= {"result": result, "tables": tables, "map": component}
            save_opening(opening, basemap)
    draw_map(component, height=560)
    for line in result.explanations:
        st.caption(line)
    for line in result.warnings:
        st.warning(line, icon=":material/warning:")

# ---------------------------------------------------------------------------------
# districts and wards, charts

(
    tab_wards,
    tab_districts,
    tab_trend,
    tab_plan,
    tab_pspo,
    tab_data,
    tab_download,
    tab_about,
) = st.tabs(
    [
        "Wards",
        "Districts",
        "Trends",
        "Street weeks",
        "PSPO evidence",
        "Your data",
        "Download",
        "Provenance and sources",
    ],
    key="tab",
    on_change="rerun",
)
# Only the open tab's content is built and sent (a tab switch reruns the script):
# every tab drawn at once was most of the browser's work on each change (React
# and styling of the widgets, tables and charts of tabs nobody was looking at).
with tab_wards:
    if tab_wards.open is not False:
        area_table(tables, "ward")
with tab_districts:
    if tab_districts.open is not False:
        area_table(tables, "district")
with tab_trend:
    if tab_trend.open is not False:
        left, right = st.columns([3, 2])
        # the months the selection's sources hold (a partner file's own, alone)
        view_months = result.months or choices.months
        with left:
            st.markdown("**Incidents per month by theme** (the selection)")
            monthly = dash.monthly_line(
                result.monthly, view_months, view.month_from, view.month_to,
                result.shared_months,
            )  # fmt: skip
            st.vega_lite_chart(
                monthly, month_chart("line", 260, monthly), width="stretch"
            )
            gaps = dash.gap_note(monthly)
            if gaps:
                st.caption(gaps)
        with right:
            st.markdown("**Category mix** (the selection)")
            mix = result.mix
            st.vega_lite_chart(mix, mix_chart(mix), width="stretch")
        pick_col, ward_col = st.columns(2)
        span = (view.month_from, view.month_to)
        if len(result.hotspots):
            # one lookup per option (a search of the table per option was 0.7 s)
            wards_of = dict(zip(table["Rank"].tolist(), table["Wards"], strict=True))
            listed = dash.picker_ranks(list(wards_of), focus)
            pick = pick_col.selectbox(
                "Monthly trend of one hotspot",
                listed,
                index=listed.index(focus) if focus in listed else 0,
                format_func=lambda r: f"Hotspot {r}: {wards_of[r]}",
                help=dash.picker_note(len(wards_of)),
            )
            series = dash.hotspot_monthly(result, int(pick), view_months, span)
            pick_col.vega_lite_chart(
                series, month_chart("bar", 200, series), width="stretch"
            )
        ward_codes = tables["ward_stats"]["ward_code"].tolist()
        if ward_codes:
            ward = ward_col.selectbox(
                "Monthly trend of one ward",
                ward_codes,
                format_func=choices.wards.get,
            )
            ward_series = dash.ward_monthly(result, ward, view_months, span)
            ward_col.vega_lite_chart(
                ward_series, month_chart("bar", 200, ward_series), width="stretch"
            )
        if left_out := dash.charts_leave_out(result):
            st.caption(left_out)
        st.markdown("**Where hot spots are emerging, persisting or fading**")
        if st.toggle(
            "Classify the grid cells month by month (emerging hot spot analysis)",
            key="w_emerging",
            help="Gi* hot spots in each month of the selection, then a trend test "
            "in each cell: new, intensifying, persistent, diminishing, former, and "
            "so on. Best over 10 months or more; a second or two county-wide.",
        ):
            cell_m = st.columns([1, 2])[0].select_slider(
                "Cell size (m)", dash.TREND_CELL_SIZES, key="w_emerging_cell"
            )
            try:
                trend = trend_cells(selection_key, upload_key, int(cell_m), view.harm)
            except hs.HotspotsError as err:
                st.warning(str(err))
            else:
                for note in trend.notes:
                    st.warning(note, icon=":material/warning:")
                st.caption(dash.trend_cells_caption(trend))
                st_folium(
                    dash.trends_map(
                        ref, trend, basemap=basemap, districts=view.districts
                    ),
                    returned_objects=[],
                    width="stretch",
                    height=460,
                    key=f"trends-{basemap}",
                )
                st.dataframe(trend.summary, hide_index=True, width="stretch")
                d1, d2 = st.columns([1, 2], vertical_alignment="bottom")
                cells_mode = d1.radio(
                    "Disclosure of the cells",
                    ["public", "restricted"],
                    format_func=dash.DISCLOSURE_LABELS.get,
                    key="w_emerging_mode",
                    help="Public: cells under 10 incidents left out, counts rounded "
                    "to 5. Restricted: exact, for partners with a data-sharing "
                    "agreement.",
                )
                name, data, mime = trend_cells_file(
                    selection_key, upload_key, int(cell_m), view.harm, cells_mode
                )
                d2.download_button(
                    f"Download the cells ({name})", data, file_name=name, mime=mime
                )
with tab_data:
    if tab_data.open is not False:
        partner_file_tab()
with tab_plan:
    if tab_plan.open is not False:
        st.markdown(
            "Where should the next multi-agency **street weeks** go? The planner picks "
            "the sites whose footprints together cover the most harm in the selection "
            "(each incident counted once), and says why. Safeguarding concerns are "
            "counted but never shown as points."
        )
        with st.form("plan"):
            p1, p2, p3 = st.columns(3)
            k_sites = p1.slider("Sites", 1, 12, key="plan_sites")
            radius = p2.slider(
                "Footprint radius (m)", 100, 800, step=50, key="plan_radius"
            )
            spreads = [None, 1, 2, 3]
            per_district = p3.selectbox(
                "At most per district", spreads,
                index=spreads.index(dash.plan_spread(view.districts)),
                format_func=lambda v: "no limit" if v is None else str(v),
            )  # fmt: skip
            q1, q2, q3, q4 = st.columns(4)
            priorities = {
                name: column.slider(label, 0.0, 1.0, step=0.1, key=f"plan_{name}")
                for column, name, label in (
                    (q1, "schools", "Near schools and PRUs"),
                    (q2, "deprivation", "Deprivation"),
                    (q3, "trend", "Rising trend"),
                    (q4, "persistence", "Persistence"),
                )
            }
            with st.expander("Weight themes, leave out recent sites"):
                w_cols = st.columns(3)
                theme_weights = {
                    t: w_cols[i % 3].number_input(
                        f"Weight of {t}", 0.0, 10.0, step=0.5, key=f"tw-{t}"
                    )
                    for i, t in enumerate(THEMES)
                }
                recent = st.file_uploader(
                    "Recent street-week sites to leave out (GeoJSON, GeoPackage or zipped "
                    "shapefile of points or areas)",
                    type=["geojson", "json", "gpkg", "zip"],
                )
            go = st.form_submit_button("Plan the street weeks", type="primary")
        plan_key = (
            selection_key,
            k_sites,
            float(radius),
            per_district,
            tuple(sorted(priorities.items())),
            upload_key,
            tuple(sorted(theme_weights.items())),
            (recent.name, recent.getvalue()) if recent is not None else None,
        )
        if go:
            try:
                # the key is kept with the plan, so its briefings describe the plan shown
                st.session_state["plan_result"] = (
                    plan_key,
                    plan_sites_cached(plan_key),
                )
            except hs.HotspotsError as err:
                st.session_state.pop("plan_result", None)
                st.error(str(err))
        shown_key = st.session_state.get("plan_result", (None, None))[0]
        if shown_key and (shown_key[0], shown_key[5]) != (selection_key, upload_key):
            # planned for another selection (or partner file): never shown as this one's
            st.info(dash.STALE_PLAN)
        elif shown_key:
            shown_key, plan = st.session_state["plan_result"]
            pm, pt = st.columns([3, 2])
            with pm:
                st_folium(
                    dash.plan_map(plan, ref, view),
                    returned_objects=[],
                    width="stretch",
                    height=480,
                    key=f"plan-map-{hash(str(plan.parameters.get('objective')))}",
                )
            with pt:
                sites = dash.plan_table(plan.sites)
                # as tall as its rows (no empty grid below six sites), at most the map's
                st.dataframe(
                    sites, hide_index=True, height=min(480, 35 * (len(sites) + 1) + 3)
                )
            st.caption(dash.plan_caption(plan))
            st.download_button(
                "Download the sites and footprints (GeoPackage, restricted)",
                # written when clicked (0.1 s), not on every rerun the plan is shown;
                # its filters are those of the key kept with the plan
                lambda: dash.plan_download(plan, shown_key[0]),
                file_name="street-weeks.gpkg",
                mime="application/geopackage+sqlite3",
                help=dash.PLAN_FILE_HELP,
            )
            b1, b2, b3 = st.columns([1, 2, 2])
            site = b1.selectbox("Briefing for site", plan.sites["rank"].tolist())
            level = b2.radio(
                "Briefing disclosure",
                ["public", "restricted"],
                format_func=dash.DISCLOSURE_LABELS.get,
            )
            with b3:
                pdf, page = briefing_files(shown_key, int(site), level)
                st.download_button(
                    "One-page briefing (PDF)", pdf, f"street-week-site-{site}.pdf",
                    mime="application/pdf",
                )  # fmt: skip
                st.download_button(
                    "One-page briefing (HTML)", page, f"street-week-site-{site}.html",
                    mime="text/html",
                )  # fmt: skip
with tab_pspo:
    if tab_pspo.open is not False:
        st.markdown(
            "Evidence for a **Public Spaces Protection Order** (Anti-social Behaviour, "
            "Crime and Policing Act 2014, s59): a **profile** of an area against its "
            "district and the county, or a **before/after evaluation** of an existing "
            "order with a displacement buffer and a control. It uses the selection on "
            "the left (months, themes, categories, sources). *Evidence, not legal "
            "advice.*"
        )
        what = st.radio(
            "Report",
            ["profile", "evaluate"],
            format_func={
                "profile": "Area profile (a proposed order)",
                "evaluate": "Before/after evaluation (an existing order)",
            }.get,
            horizontal=True,
            key="pspo_what",
        )
        source = st.radio(
            "The area",
            list(dash.PSPO_AREA_SOURCES),
            format_func=dash.PSPO_AREA_SOURCES.get,
            key="pspo_source",
        )
        spec: tuple[Any, ...] | None = None
        if source == "ward":
            # the view's wards first, busiest first (as its ward table), then the rest
            in_view = tables["ward_stats"]["ward_code"].tolist()
            shown = set(in_view)
            ward_pick = st.selectbox(
                "Ward",
                in_view + [c for c in choices.wards if c not in shown],
                format_func=choices.wards.get,
                key="pspo_ward",
                help="The wards of this view first, the busiest first; then every "
                "other Kent & Medway ward. Type to search.",
            )
            spec = ("ward", ward_pick)
        elif source == "hotspot":
            if len(result.hotspots):
                # one lookup per option (a search of the table per option was 0.7 s)
                wards_by_rank = dict(
                    zip(table["Rank"].tolist(), table["Wards"], strict=True)
                )
                rank = st.selectbox(
                    "Hotspot",
                    dash.picker_ranks(list(wards_by_rank), focus),
                    format_func=lambda r: f"Hotspot {r}: {wards_by_rank[r]}",
                    key="pspo_hotspot",
                    help=dash.picker_note(len(wards_by_rank)),
                )
                by = ", weighted by harm" if view.harm else ""
                spec = (
                    "hotspot", int(rank),
                    f"{result.method_label}, {view.month_from}..{view.month_to}{by}",
                )  # fmt: skip
            else:
                st.info("This view has no hotspots; choose another way.")
        elif source == "upload":
            boundary = st.file_uploader(
                "The area's boundary",
                type=["geojson", "json", "gpkg", "zip", "kml"],
                key="pspo_upload",
            )
            if boundary is not None:
                kind = "order" if what == "evaluate" else "uploaded"
                spec = ("file", boundary.name, boundary.getvalue(), kind)
        elif source == "draw":
            st.caption(
                "Draw the area with the polygon or rectangle tool (left of the map); "
                "the last shape drawn is used."
            )
            drawn = st_folium(
                dash.pspo_map(
                    ref, basemap=basemap, districts=view.districts, draw=True
                ),
                returned_objects=["last_active_drawing"],
                width="stretch",
                height=420,
                key=f"pspo-draw-{basemap}",
            )
            shape = (drawn or {}).get("last_active_drawing")
            if shape:
                spec = ("drawn", json.dumps(shape, sort_keys=True))
        else:
            spec = ("sample",)
        with st.form("pspo"):
            start = buffer_m = None
            control_file = None
            if what == "evaluate":
                e1, e2 = st.columns(2)
                start = e1.selectbox(
                    "The order's first month",
                    pspo_starts,
                    key="pspo_start",
                    help="Any month of the data but the first: the evaluation "
                    "compares the months before it with as many from it on.",
                )  # fmt: skip
                buffer_m = float(
                    e2.slider(
                        "Buffer ring (m): where displaced behaviour would go",
                        100,
                        1000,
                        step=50,
                        key="pspo_buffer",
                    )
                )
                control_file = st.file_uploader(
                    "Control area (optional; default: the rest of the area's district)",
                    type=["geojson", "json", "gpkg", "zip", "kml"],
                    key="pspo_control",
                )
            make = st.form_submit_button("Make the evidence", type="primary")
        if make:
            if spec is None:
                st.warning("Choose the area first.")
            else:
                try:
                    area = dash.pspo_area(spec, result.hotspots)
                    control_key = (
                        dash.area_key(
                            dash.pspo_area(
                                (
                                    "file",
                                    control_file.name,
                                    control_file.getvalue(),
                                    "uploaded",
                                )
                            )
                        )
                        if control_file is not None
                        else None
                    )
                    key = (
                        what, dash.area_key(area), selection_key, upload_key,
                        start, buffer_m, control_key,
                    )  # fmt: skip
                    st.session_state["pspo_evidence"] = (key, pspo_result(key))
                except hs.HotspotsError as err:
                    st.session_state.pop("pspo_evidence", None)
                    st.error(str(err))
        shown = st.session_state.get("pspo_evidence", (None, None))[0]
        if shown and (shown[2], shown[3]) != (selection_key, upload_key):
            # made for another selection (or partner file): never shown as this one's
            st.info(dash.STALE_PSPO)
        elif shown:
            import altair as alt  # the evidence's charts only (0.5 s of imports)

            from hotspots.mapping import PSPO_COLOURS

            shown, evidence = st.session_state["pspo_evidence"]
            st.markdown(dash.pspo_heading(evidence))
            if shown[0] == "profile":
                prof = evidence
                row = prof.comparison.loc["area"]
                m1, m2, m3, m4 = st.columns(4)
                m1.metric("Incidents in the area", f"{int(row['incidents']):,}")
                m2.metric(
                    "Per km²", dash.fixed(row["per_km2"]),
                    help="Incidents per km² over the selected months.",
                )  # fmt: skip
                m3.metric(
                    "Concentration",
                    f"{dash.fixed(row['concentration'])}×",
                    help="The area's share of its district's incidents divided by its "
                    "share of the district's land: 1 = its fair share.",
                )
                m4.metric(
                    "Months a hotspot",
                    f"{prof.persistence['n_hot']} of {prof.persistence['n_months']}",
                    help=prof.persistence["definition"],
                )
                pm, pt = st.columns([2, 3])
                with pm:
                    st_folium(
                        dash.pspo_map(ref, basemap=basemap, area=prof.area.geometry),
                        returned_objects=[],
                        width="stretch",
                        height=380,
                        key=f"pspo-map-{hash(shown) % 10**8}",
                    )
                with pt:
                    st.dataframe(
                        dash.pspo_comparison(prof),
                        hide_index=True,
                        width="stretch",
                        column_config=dash.PSPO_COLUMNS,
                    )
                    st.caption(prof.trend["sentence"])
                    st.markdown("**Incidents per 1,000 residents, month by month**")
                    st.altair_chart(
                        alt.Chart(dash.pspo_monthly(prof))
                        .mark_line(point=True)
                        .encode(
                            x=alt.X(
                                "month:T",
                                title=None,
                                axis=alt.Axis(format="%b %Y", tickCount="month"),
                            ),
                            y=alt.Y("per_1000:Q", title="Per 1,000 residents"),
                            color=alt.Color(
                                "where:N",
                                # the area in the map's colour, its district in the buffer's
                                scale=alt.Scale(
                                    domain=[prof.area.name, prof.district_name],
                                    range=[
                                        PSPO_COLOURS["area"],
                                        PSPO_COLOURS["buffer"],
                                    ],
                                ),
                                title=None,
                                legend=alt.Legend(orient="bottom", labelLimit=300),
                            ),
                            tooltip=[
                                alt.Tooltip("month:T", format="%b %Y"),
                                "where:N",
                                "incidents:Q",
                                alt.Tooltip("per_1000:Q", format=".1f"),
                            ],
                        )
                        .properties(height=240),
                        width="stretch",
                    )
                st.markdown("**The statutory test, point by point**")
                st.dataframe(
                    dash.pspo_statutory(prof), hide_index=True, width="stretch"
                )
                mix_col, loc_col = st.columns(2)
                mix_col.markdown(
                    "**Theme mix** (the area against its district and county)"
                )
                mix_col.dataframe(
                    dash.pspo_themes(prof),
                    hide_index=True,
                    width="stretch",
                    column_config=dash.PSPO_COLUMNS,
                )
                loc_col.markdown("**Most frequent locations** (never safeguarding)")
                loc_col.dataframe(
                    dash.pspo_locations(prof),
                    hide_index=True,
                    width="stretch",
                    column_config=dash.PSPO_COLUMNS,
                )
                day_hour = dash.pspo_day_hour(prof)
                if day_hour is None:
                    st.caption(
                        "No day-of-week × hour pattern: no incident in the area has a "
                        "time of day (police.uk gives months only; add a partner log "
                        "with dates and times in *Your data*)."
                    )
                else:
                    st.markdown(
                        f"**Day of the week and hour** ({prof.day_hour_n:,} incidents "
                        "with a time of day)"
                    )
                    st.altair_chart(
                        alt.Chart(day_hour)
                        .mark_rect()
                        .encode(
                            x=alt.X("hour:O", title="Hour of the day"),
                            y=alt.Y(
                                "day:N", sort=list(day_hour["day"].unique()), title=None
                            ),
                            color=alt.Color(
                                "incidents:Q",
                                scale=alt.Scale(scheme="viridis"),
                                title="Incidents",
                            ),
                            tooltip=["day:N", "hour:O", "incidents:Q"],
                        )
                        .properties(height=200),
                        width="stretch",
                    )
                with st.expander("What this data can and cannot show; who to consult"):
                    for line in prof.limitations:
                        st.markdown(f"- {line}")
                    st.markdown("**Consultation and notification (s72)**")
                    for line in prof.consultees:
                        st.markdown(f"- {line}")
            else:
                ev = evidence
                st.info(ev.sentence)
                pm, pt = st.columns([2, 3])
                with pm:
                    st_folium(
                        dash.pspo_map(
                            ref,
                            basemap=basemap,
                            area=ev.area.geometry,
                            buffer=ev.buffer,
                            control=ev.control,
                        ),
                        returned_objects=[],
                        width="stretch",
                        height=380,
                        key=f"pspo-map-{hash(shown) % 10**8}",
                    )
                with pt:
                    st.caption(dash.pspo_windows(ev))
                    st.dataframe(
                        dash.pspo_evaluation(ev),
                        hide_index=True,
                        width="stretch",
                        column_config=dash.PSPO_COLUMNS,
                    )
                    st.dataframe(
                        dash.pspo_relative(ev), hide_index=True, width="stretch"
                    )
                    for line in dash.pspo_key_figures(ev):
                        st.markdown(f"- {line}")
                    for line in ev.notes:
                        st.caption(line)
            r1, r2 = st.columns([2, 3])
            pspo_mode = r1.radio(
                "Report disclosure",
                ["public", "restricted"],
                format_func=dash.DISCLOSURE_LABELS.get,
                key="pspo_mode",
            )
            with r2:
                pdf_bytes, page_html = pspo_report(shown, pspo_mode)
                name = "pspo-profile" if shown[0] == "profile" else "pspo-evaluation"
                st.download_button(
                    "Report (PDF)", pdf_bytes, f"{name}.pdf", mime="application/pdf",
                    key="pspo_pdf",
                )  # fmt: skip
                st.download_button(
                    "Report (HTML)", page_html, f"{name}.html", mime="text/html",
                    key="pspo_html",
                )  # fmt: skip
with tab_download:
    if tab_download.open is not False:
        st.markdown(
            "Download the hotspots of this view with the ward and district tables, for "
            "QGIS, ArcGIS, reports or publishing; or a summary report (the map, the "
            "ranked hotspots, the wards with the highest rates, the method) for a "
            "partnership meeting, as a PDF or an accessible web page. Every file "
            "carries what made it (data, filters, method, parameters, version)."
        )
        f1, f2, f3 = st.columns(3)
        fmt = f1.selectbox(
            "Format", list(dash.EXPORT_FORMATS), format_func=dash.EXPORT_FORMATS.get,
            key="dl_format",
        )  # fmt: skip
        mode = f2.radio(
            "Disclosure",
            ["public", "restricted"],
            format_func=dash.DISCLOSURE_LABELS.get,
            key="dl_mode",
        )
        crs = f3.radio(
            "Coordinates",
            ["EPSG:27700", "EPSG:4326"],
            format_func={
                "EPSG:27700": "British National Grid (EPSG:27700)",
                "EPSG:4326": "Longitude/latitude (EPSG:4326)",
            }.get,
            disabled=fmt in ("geojson", "kml", "geotiff", "pdf", "html"),
            help="GeoJSON and KML are always longitude/latitude; GeoTIFF and the "
            "summary report's map are always British National Grid.",
            key="dl_crs",
        )
        export_key = (
            tuple(sorted(dash.to_query(view).items())),
            upload_key,
            fmt,
            mode,
            crs,
        )
        if st.button("Prepare the file", key="prepare_export"):
            try:
                st.session_state["export"] = (export_key, export_file(*export_key))
            except hs.HotspotsError as err:
                st.session_state.pop("export", None)
                st.error(str(err))
        if "export" in st.session_state:
            made_for, (name, data, mime) = st.session_state["export"]
            if made_for == export_key:
                st.download_button(f"Download {name}", data, file_name=name, mime=mime)
            else:  # never another view's file under this view
                st.caption(dash.STALE_EXPORT)
with tab_about:
    if tab_about.open is not False:
        st.markdown("**What made this view**")
        st.markdown(
            "\n".join(f"- {line}" for line in dash.provenance_lines(result, choices))
        )
        st.caption("The full record, every parameter (JSON):")
        st.json(result.provenance, expanded=False)
        st.download_button(
            "Download the provenance (JSON)",
            json.dumps(result.provenance, indent=2, default=str),
            file_name="provenance.json",
            mime="application/json",
        )
        st.markdown(dash.ATTRIBUTION)
        st.caption(f"hotspots {hs.__version__}. {dash.CRS_NOTE}")

# the page is sent: get a fresh server ready for the first change (once)
warm_up(dash.WARM_UP_DELAY_S, True)
dash.log_run(time.perf_counter() - _RUN_STARTED)
