"""The dashboard's logic through Streamlit's AppTest: start-up, methods, filters, uploads."""

import io
import json
import pickle
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pdf_text import pdf_text
from streamlit.testing.v1 import AppTest

from hotspots.store import read_bundled_police

ROOT = Path(__file__).parent.parent
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "data" / "samples"
THANET = "E07000114"
MEDWAY = "E06000035"


@pytest.fixture(scope="module")
def police():
    return read_bundled_police()


def _count(police, months, themes=None, districts=None):
    keep = police["month"].astype(str).between(*months)
    if themes:
        keep &= police["theme"].isin(themes)
    if districts:
        keep &= police["lad_code"].isin(districts).fillna(False)
    return int(keep.sum())


def _table(at, first_column):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _app(**query):
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture(scope="module")
def started():
    return _app()


def _open(at, tab):
    """Open a tab (only the open tab's content is built) and rerun."""
    at.session_state["tab"] = tab
    return at.run()


def _submit(at):
    next(b for b in at.button if b.label == "Update the map").click()
    return at.run()


def test_starts_without_error(started):
    assert not started.exception, started.exception
    assert not started.error


def test_opens_on_the_latest_unbroken_months(started, police):
    # police.uk Kent has no 2023-02..2023-12: the default stops at the gap
    assert started.select_slider[0].value == ("2024-01", "2024-04")
    expected = _count(police, ("2024-01", "2024-04"))
    assert _metrics(started)["Incidents selected"] == f"{expected:,}"
    assert int(_metrics(started)["Hotspots"].replace(",", "")) > 0


def test_view_is_kept_in_the_url(started):
    assert started.query_params["month_from"] == "2024-01"
    assert started.query_params["method"] == "kde"


def test_a_restart_shows_the_saved_opening_view(started):
    import streamlit as st

    from hotspots import dashboard as dash

    # the first run saved the opening view beside the (test) store
    assert dash.opening_path(None).exists()
    st.cache_data.clear()
    st.cache_resource.clear()  # as in a fresh server process
    again = _app()
    assert not again.exception, again.exception
    assert _metrics(again) == _metrics(started)
    assert _table(again, "Rank").equals(_table(started, "Rank"))
    assert _table(again, "Ward").equals(_table(started, "Ward"))


def test_prepared_opening_view_opens_without_detecting(started, monkeypatch):
    """`make run` prepares the opening view before the server starts
    (scripts/prepare_dashboard.py): a first page then shows it as saved, for
    each background map, without detecting anything."""
    import streamlit as st

    from hotspots import dashboard as dash

    dash.opening_path(None).unlink()
    assert dash.prepare_opening(Path(APP)) is True
    assert dash.prepare_opening(Path(APP)) is False  # already there: nothing to do
    stamp = dash.opening_stamp(None, code=dash.code_digest(Path(APP).read_bytes()))
    saved = dash.load_opening(stamp, None)
    assert saved is not None
    assert set(saved["maps"]) == set(dash.BASEMAPS)
    assert saved["detect_key"] == dash.opening_key(saved["choices"])

    def refuse(*args, **kwargs):
        raise AssertionError("the prepared view was computed again")

    # (the background warm-up, 3 s after a first page, still reads the store)
    for name in ("detect_view", "view_tables", "choices"):
        monkeypatch.setattr(dash, name, refuse)
    for basemap in dash.BASEMAPS:
        st.cache_data.clear()
        st.cache_resource.clear()  # as in a fresh server process
        first = _app(basemap=basemap)
        assert not first.exception, first.exception
        assert _metrics(first) == _metrics(started)
        assert _table(first, "Rank").equals(_table(started, "Rank"))
        assert _table(first, "Ward").equals(_table(started, "Ward"))


def test_prepare_compiles_the_package_for_the_server(monkeypatch):
    """`make run`'s preparation leaves bytecode of every module of the package,
    current with its source, so the server imports without compiling."""
    import importlib.util
    import runpy

    from hotspots import dashboard as dash

    monkeypatch.setattr(dash, "prepare_opening", lambda app: False)
    script = runpy.run_path(str(ROOT / "scripts" / "prepare_dashboard.py"))
    assert script["main"]() == 0
    for source in sorted((ROOT / "hotspots").glob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.exists(), source.name
        # the header records the source's mtime and size: current, so it is used
        header = cached.read_bytes()[8:16]
        stat = source.stat()
        assert int.from_bytes(header[:4], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        assert int.from_bytes(header[4:], "little") == stat.st_size & 0xFFFFFFFF


def test_background_warm_up_primes_the_county_view(police):
    """The warm-up's small view runs on the real data and leaves what a first
    change needs: the county grid's pixel lookup, the projection thread."""
    from hotspots import dashboard as dash
    from hotspots import raster
    from hotspots.boundaries import study_area

    raster._PIXELS.clear()
    dash.warm_up()
    dash.prime(police, dash.load_reference())
    grids = [grid for grid, _ in raster._PIXELS]
    assert any(g.cell_size == 50 for g in grids)  # the default KDE's cells
    area = study_area(None).total_bounds
    county = max((g for g in grids if g.cell_size == 50), key=lambda g: g.nx * g.ny)
    assert county.x0 <= area[0]
    assert county.y0 <= area[1]
    assert county.bounds[2] >= area[2]
    assert county.bounds[3] >= area[3]


def test_settled_heap_is_skipped_by_the_collector_and_still_freed():
    """After `settle_heap` the objects alive then are out of the collector's
    scans; objects made later are collected as before. (Apps run by other tests
    settle this process's heap from their warm-up threads too.)"""
    import gc
    import weakref

    from hotspots import dashboard as dash

    class Node:
        pass

    def scanned(obj):
        return any(o is obj for o in gc.get_objects())  # the collector's generations

    gc.unfreeze()
    alive = Node()
    alive.me = alive
    assert scanned(alive)
    try:
        dash.settle_heap()
        assert gc.get_freeze_count() > 100_000  # modules, frames, the app's data
        assert not scanned(alive)
        cycle = Node()
        cycle.me = cycle  # garbage only the collector can free
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_script_runs_are_logged_only_when_asked(tmp_path, monkeypatch):
    """The page appends each run's server seconds to $HOTSPOTS_RUN_LOG (the bench
    reads them); without it nothing is written."""
    from hotspots import dashboard as dash

    log = tmp_path / "runs.log"
    monkeypatch.delenv(dash.RUN_LOG_ENV, raising=False)
    dash.log_run(0.5)
    assert not log.exists()
    monkeypatch.setenv(dash.RUN_LOG_ENV, str(log))
    at = _app(basemap="none")
    assert not at.exception, at.exception
    at.run()
    runs = [float(v) for v in log.read_text().split()]
    assert len(runs) == 2
    assert all(0 < v < 300 for v in runs)


def test_shared_url_opens_the_same_view(police):
    at = _app(
        month_from="2024-01", month_to="2024-04", districts=THANET,
        themes="serious violence & weapons", method="gistar",
    )  # fmt: skip
    assert not at.exception, at.exception
    expected = _count(
        police, ("2024-01", "2024-04"), ["serious violence & weapons"], [THANET]
    )
    assert _metrics(at)["Incidents selected"] == f"{expected:,}"
    assert at.radio(key="method").value == "gistar"
    wards = _table(at, "Ward")
    assert set(wards["District"]) == {"Thanet"}
    assert wards["Incidents"].sum() <= expected


def test_ward_table_shows_change_only_where_it_was_computed(started, police):
    """Change needs every month of both periods: 2024-01..04 follows a gap in the
    police.uk data, so the columns are left out and the note says why; 2022-07..12
    against 2022-01..06 has them, with the counts of each period."""
    wards = _table(started, "Ward")
    assert "Change" not in wards.columns
    assert "Previous period" not in wards.columns
    note = next(
        c.value for c in started.caption if c.value.startswith("Current period")
    )
    assert "Change not shown" in note
    at = _app(month_from="2022-07", month_to="2022-12", districts=THANET)
    assert not at.exception, at.exception
    wards = _table(at, "Ward")
    assert {"Previous period", "Change", "Change %", "Significant"} <= set(
        wards.columns
    )
    assert wards["Incidents"].sum() == _count(
        police, ("2022-07", "2022-12"), None, [THANET]
    )
    assert wards["Previous period"].sum() == _count(
        police, ("2022-01", "2022-06"), None, [THANET]
    )
    assert (wards["Change"] == wards["Incidents"] - wards["Previous period"]).all()


def test_table_numbers_are_formatted_as_counts_and_fixed_decimals():
    """Counts get thousands separators and each decimal column one number of
    decimals (10.0 under 13.4, not 10): every float column of the hotspot, ward
    and district tables has a display format, and the hotspots' share is a
    number, so it sorts as one ("9.5%" sorted as text came after "12.0%"); the
    area tables show a dash for a missing value."""
    at = _app(month_from="2022-07", month_to="2022-12", districts=THANET)
    assert not at.exception, at.exception
    shown = {d.value.columns[0]: d for d in at.dataframe}
    _open(at, "Districts")
    shown.update({d.value.columns[0]: d for d in at.dataframe})
    assert {"Rank", "Ward", "District"} <= set(shown)
    for first, element in shown.items():
        table, config = element.value, json.loads(element.proto.columns)

        def fmt(column, config=config):
            return config.get(column, {}).get("type_config", {}).get("format")

        for column in table.columns:
            if table[column].dtype.kind == "f":
                assert fmt(column), f"{first} table: {column} has no format"
        for column in {"Incidents", "Residents", "Previous period"} & set(table):
            assert table[column].dtype.kind in "iu", (first, column)
            assert fmt(column) == "localized", (first, column)
    # a missing value (no previous incidents, no residents) shows as a dash,
    # not as Streamlit's "None"
    assert shown["Ward"].proto.placeholder == shown["District"].proto.placeholder == "–"
    hot = shown["Rank"].value
    assert hot["Share"].dtype.kind == "f"
    assert 0 < hot["Share"].sum() <= 100.0001  # per cent of the located incidents


def test_every_theme_has_its_own_colour_in_the_charts(started):
    """A fixed colour per theme (colour-blind safe), so a theme keeps its colour
    whichever themes a chart shows; a theme added to the categories without one
    would fall outside the charts' colour scale."""
    from hotspots import dashboard as dash
    from hotspots.categories import THEMES

    assert set(dash.THEME_COLOURS) == set(THEMES)
    assert len(set(dash.THEME_COLOURS.values())) == len(THEMES)
    at = _open(started, "Trends")
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    layers = [layer for s in specs for layer in s.get("layer", [s])]
    scales = [
        s["encoding"]["color"]["scale"] for s in layers if "color" in s["encoding"]
    ]
    assert scales
    for scale in scales:
        given = dict(zip(scale["domain"], scale["range"], strict=True))
        assert given.items() <= dash.THEME_COLOURS.items()
        assert len(given) >= 4  # the themes of the default selection


def test_the_monthly_line_breaks_where_the_data_has_no_month():
    """Months missing from the data are gaps (NaN: the line breaks), months of
    the data without an incident of the selection are 0, and the counts stay."""
    from hotspots import dashboard as dash

    monthly = pd.DataFrame(
        {
            "month": pd.to_datetime(["2023-01-01", "2023-01-01", "2024-02-01"]),
            "theme": ["acquisitive", "other", "acquisitive"],
            "incidents": [5, 2, 7],
        }
    )
    data_months = ["2022-12", "2023-01", "2024-01", "2024-02"]
    line = dash.monthly_line(monthly, data_months, "2022-12", "2024-02")
    acq = line[line["theme"] == "acquisitive"].set_index("month")["incidents"]
    assert len(acq) == 15  # every calendar month of the view
    assert acq["2022-12-01"] == 0  # in the data, none selected
    assert acq["2023-01-01"] == 5
    assert acq["2024-01-01"] == 0
    assert acq["2024-02-01"] == 7
    assert acq["2023-02-01":"2023-12-01"].isna().all()  # not in the data
    other = line[line["theme"] == "other"].set_index("month")["incidents"]
    assert other["2023-01-01"] == 2
    assert other["2024-02-01"] == 0
    assert dash.gap_note(line) == (
        "No data for 2023-02..2023-12 (11 months), shaded grey: the lines break there."
    )
    assert dash.gap_note(line[line["month"] >= "2024-01-01"]) == ""


def test_one_hotspot_and_one_ward_show_missing_months_as_missing():
    """The bar charts of one hotspot and one ward span the view's months: a
    month missing from the data (police.uk's 2023-02..2023-12) is a grey band,
    not an empty month like one without incidents, and the bars keep every
    incident of the hotspot."""
    from hotspots import dashboard as dash

    at = _open(
        _app(month_from="2022-06", month_to="2024-04", districts="E07000114"),
        "Trends",
    )
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 4  # the selection's line, its mix, a hotspot, a ward
    for spec in (specs[0], specs[2], specs[3]):
        band, partial, counts = spec["layer"]
        assert band["mark"]["type"] == partial["mark"]["type"] == "rect"
        assert {"filter": "!isValid(datum.incidents)"} in band["transform"]
        assert {"filter": "datum.partial"} in partial["transform"]
        assert counts["encoding"]["y"]["field"] == "incidents"
    # the data behind the first hotspot's chart, as the page makes it
    incidents, ref = dash.load_incidents(None), dash.load_reference()
    ch = dash.choices(incidents, ref)
    view = dash.from_query(dict(at.query_params), ch)
    result = dash.detect_view(incidents, None, dash.view_detect_key(view), ref)
    series = dash.hotspot_monthly(result, 1, ch.months, ("2022-06", "2024-04"))
    per_month = series.groupby("month")["incidents"].sum(min_count=1)
    assert len(per_month) == 23  # every calendar month of the view
    assert per_month["2023-02-01":"2023-12-01"].isna().all()
    assert per_month.drop(per_month["2023-02-01":"2023-12-01"].index).notna().all()
    first = result.hotspots[result.hotspots["hotspot_id"] == 1].iloc[0]
    assert per_month.sum() == first["incidents"]


def test_provenance_names_every_filter_of_the_view():
    """The view's provenance records its whole selection (it recorded the
    districts only: a Thanet serious-violence view read as all themes), and the
    Provenance tab says it in words, districts by name."""
    at = _app(
        themes="serious violence & weapons", districts=THANET,
        month_from="2024-01", month_to="2024-04",
    )  # fmt: skip
    assert not at.exception, at.exception
    at = _open(at, "Provenance and sources")
    assert not at.exception, at.exception
    record = json.loads(at.json[0].value)
    assert record["filters"]["themes"] == ["serious violence & weapons"]
    assert record["filters"]["districts"] == [THANET]
    assert "categories" not in record["filters"]  # not set: every category
    words = " ".join(m.value for m in at.markdown)
    assert "**Filters**: themes serious violence & weapons; districts Thanet." in words
    assert "2024-01 to 2024-04" in words
    assert "Bandwidth 200 m" in words
    # which transformation placed the positions, and which draws the web map
    assert "**Positions**: longitude/latitude placed on the grid by OSTN15" in words
    assert "drawn in WGS84 by PROJ's Helmert transformation" in words


def test_detection_key_of_a_view_is_the_pages(police):
    """`view_detect_key` (the page, the saved opening view, the warm-up) gives
    the hotspot coverage to KDE only: the other methods keep every hotspot."""
    from hotspots import dashboard as dash

    ch = dash.choices(police, dash.load_reference())
    for method in ("kde", "gistar", "dbscan", "hdbscan"):
        view = dash.from_query({"method": method, "coverage": "3.5"}, ch)
        key = dash.view_detect_key(view)
        assert key[1] == method
        assert key[2] == tuple(sorted(dash.view_options(view).items()))
        assert key[3] == (0.035 if method == "kde" else None)
    # a setting at detect's default goes as not given, so the page says "the default"
    kde = dash.from_query({"bandwidth": "200"}, ch)
    assert dash.view_options(kde) == {"bandwidth": None}
    assert dash.view_options(replace(kde, bandwidth=225)) == {"bandwidth": 225.0}
    assert dash.view_options(replace(kde, auto=True)) == {"bandwidth_rule": "knn"}
    gi = dash.from_query({"method": "gistar"}, ch)
    assert dash.view_options(gi) == {"cell_size": None}
    assert dash.view_options(replace(gi, cell_size=150)) == {"cell_size": 150.0}
    assert dash.view_options(replace(gi, auto=True)) == {"cell_size": "auto"}


def test_each_view_names_its_map(police):
    """The map is drawn in place; its name (`map_key`) tells one view from another
    by anything it shows: a parameter, the harm weighting, the basemap, the focus."""
    from hotspots import dashboard as dash

    ch = dash.choices(police, dash.load_reference())
    queries = [
        {},
        {"bandwidth": "225"},
        {"coverage": "3"},
        {"harm": "1"},
        {"themes": "serious violence & weapons"},
        {"method": "gistar"},
        {"method": "gistar", "cell_size": "200"},
    ]
    keys = [dash.view_detect_key(dash.from_query(q, ch)) for q in queries]
    names = {dash.map_key(k, "none", None) for k in keys}
    assert len(names) == len(queries)
    assert dash.map_key(keys[0], "none", None) != dash.map_key(keys[0], "none", 1)
    assert dash.map_key(keys[0], "none", None) != dash.map_key(
        keys[0], "OpenStreetMap", None
    )
    assert dash.map_key(keys[0], "none", None) == dash.map_key(
        dash.view_detect_key(dash.from_query({}, ch)), "none", None
    )


@pytest.mark.parametrize("method", ["kde", "dbscan", "hdbscan", "gistar"])
def test_the_map_outlines_made_beside_the_detection_are_the_maps_own(police, method):
    """A result's outlines (made on another thread while the hotspots are
    profiled, or the page's tables made) are those the map would make itself:
    the same map, byte for byte."""
    from hotspots import dashboard as dash
    from hotspots import mapping

    ref = dash.load_reference()
    view = dash.from_query(
        {
            "method": method,
            "districts": THANET,
            "month_from": "2022-10",
            "month_to": "2023-01",
        },
        dash.choices(police, ref),
    )
    assert (view.month_from, view.month_to) == ("2022-10", "2023-01")  # in the data
    key = dash.view_detect_key(view)
    result = dash.detect_view(police, None, key, ref)
    assert len(result.hotspots) > 0
    assert len(result.outlines) == len(result.hotspots)
    made = mapping.display_outlines(result.hotspots)
    assert all(a.equals_exact(b, 0) for a, b in zip(result.outlines, made, strict=True))
    # the page's cache keeps results pickled: the outlines come back the same
    # (a geometry array, pickled in one piece as WKB)
    kept = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert kept.outlines.crs == made.crs
    assert all(a.equals_exact(b, 0) for a, b in zip(kept.outlines, made, strict=True))
    tables = dash.view_tables(police, None, key[0], harm=False)
    static = dict.fromkeys(("districts", "wards", "schools"), "")
    given = dash.map_args(
        dash.build_map(result, ref, tables, view, static_urls=static), key, "none", None
    )
    itself = dash.map_args(
        dash.build_map(
            replace(result, outlines=None), ref, tables, view, static_urls=static
        ),
        key, "none", None,
    )  # fmt: skip
    assert given["feature_group"] == itself["feature_group"]
    with pytest.raises(ValueError, match="outlines"):
        dash.build_map(
            replace(result, outlines=result.outlines[:-1]), ref, tables, view,
            static_urls=static,
        )  # fmt: skip


def test_detection_frame_holds_the_same_values_as_categoricals(police):
    import pandas as pd

    from hotspots import dashboard as dash

    frame = dash.detection_frame(police)
    assert list(frame.columns) == list(dash.DETECTION_COLUMNS)
    assert set(dash.AREA_INPUT_COLUMNS) <= set(frame.columns)  # tables read it too
    assert frame.index.equals(police.index)
    for column in dash.CATEGORICAL_COLUMNS:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
        same = frame[column].astype(object).fillna("<missing>").to_numpy()
        want = police[column].astype(object).fillna("<missing>").to_numpy()
        assert (same == want).all(), column
    assert frame.geometry.geom_equals_exact(police.geometry, 0).all()
    # made once per frame; another frame gets its own
    assert dash.detection_frame(police) is frame
    other = police.iloc[:1000]
    assert len(dash.detection_frame(other)) == 1000
    assert dash.detection_frame(police) is not frame


@pytest.mark.parametrize(
    "query",
    [
        {
            "themes": "drugs & county lines",
            "month_from": "2022-10",
            "month_to": "2023-01",
        },
        {"method": "gistar", "districts": THANET, "harm": "1"},
        {
            "method": "hdbscan",
            "districts": THANET,
            "month_from": "2022-10",
            "month_to": "2023-01",
        },
    ],
)
def test_detection_on_categoricals_gives_the_results_of_the_store_frame(police, query):
    """The view's detection and area tables (on `detection_frame`) against the
    same on the store's own text columns: every hotspot, count, table, chart
    table and map layer the same."""
    import pandas as pd

    from hotspots import dashboard as dash

    ref = dash.load_reference()
    view = dash.from_query(query, dash.choices(police, ref))
    assert view.month_from == query.get("month_from", view.month_from)  # in the data
    key = dash.view_detect_key(view)
    selection, method, options, coverage, harm, _ = key
    result = dash.detect_view(police, None, key, ref)
    plain = dash.run_method(
        dash.select(police, None, selection, columns=dash.DETECTION_COLUMNS), ref,
        method=method, options=dict(options), coverage=coverage, harm=harm,
        districts=dict(selection).get("districts"),
    )  # fmt: skip
    assert len(result.hotspots) > 0
    pd.testing.assert_frame_equal(
        dash.hotspot_table(result.hotspots), dash.hotspot_table(plain.hotspots)
    )
    pd.testing.assert_frame_equal(result.monthly, plain.monthly)
    pd.testing.assert_frame_equal(result.mix, plain.mix)
    pd.testing.assert_frame_equal(result.points, plain.points)
    assert (result.incidents, result.unlocated, result.incidents_in_hotspots) == (
        plain.incidents, plain.unlocated, plain.incidents_in_hotspots,
    )  # fmt: skip
    assert result.image_url == plain.image_url
    tables = dash.view_tables(police, None, selection, harm=harm)
    plain_tables = dash.area_tables(
        dash.select(
            police, None, selection, areas=True, columns=dash.AREA_INPUT_COLUMNS
        ),
        sorted({str(m) for m in police["month"].unique()}), dict(selection), harm=harm,
    )  # fmt: skip
    assert tables.keys() == plain_tables.keys()
    for name, table in tables.items():
        if isinstance(table, pd.DataFrame):
            pd.testing.assert_frame_equal(table, plain_tables[name])
        else:
            assert table == plain_tables[name]
    static = dict.fromkeys(("districts", "wards", "schools"), "")
    maps = [
        dash.map_args(
            dash.build_map(r, ref, tables, view, static_urls=static), key, "none", None
        )
        for r in (result, plain)
    ]
    assert maps[0] == maps[1]


def test_what_a_selection_shows_is_made_once_per_selection(police, monkeypatch):
    """A new method or parameter on the same selection reuses its charts' tables,
    incident points and data description (the same values as made afresh); a
    new selection, or another frame with the same selection key, makes its own."""
    import geopandas.testing
    import pandas as pd

    from hotspots import dashboard as dash

    ref = dash.load_reference()
    ch = dash.choices(police, ref)
    made = []
    real = dash.AboutSelection.of.__func__

    def counted(cls, incidents):
        made.append(len(incidents))
        return real(cls, incidents)

    monkeypatch.setattr(dash.AboutSelection, "of", classmethod(counted))
    # the located rows, coordinates and positions: kept with the selection too
    from hotspots import _points

    facts_made = []
    real_init = _points.PointFacts.__init__

    def init(self, shapes):
        facts_made.append(len(shapes))
        real_init(self, shapes)

    monkeypatch.setattr(_points.PointFacts, "__init__", init)
    dash._ABOUT.clear()
    base = {"districts": THANET, "themes": "drugs & county lines"}
    first = dash.detect_view(
        police, None, dash.view_detect_key(dash.from_query(base, ch)), ref
    )
    assert len(facts_made) == 1
    query = {**base, "method": "gistar", "cell_size": "150"}
    key = dash.view_detect_key(dash.from_query(query, ch))
    second = dash.detect_view(police, None, key, ref)
    assert len(made) == 1
    assert len(facts_made) == 1
    assert second.monthly is first.monthly
    assert second.points is first.points
    selection, method, options, coverage, harm, _ = key
    fresh = dash.run_method(
        dash.select(police, None, selection, columns=dash.DETECTION_COLUMNS), ref,
        method=method, options=dict(options), coverage=coverage, harm=harm,
        districts=dict(selection).get("districts"),
    )  # fmt: skip
    assert len(made) == 2
    assert len(facts_made) == 2
    geopandas.testing.assert_geodataframe_equal(second.hotspots, fresh.hotspots)
    pd.testing.assert_frame_equal(second.monthly, fresh.monthly)
    pd.testing.assert_frame_equal(second.mix, fresh.mix)
    pd.testing.assert_frame_equal(second.points, fresh.points)
    # (the page's categoricals carry the whole frame's categories)
    pd.testing.assert_frame_equal(
        second.selected.astype(object), fresh.selected.astype(object)
    )
    assert second.provenance["data"] == fresh.provenance["data"]
    assert second.provenance["parameters"] == fresh.provenance["parameters"]
    # another selection; then the same key on another frame
    assert ch.months[-6] != dash.from_query(base, ch).month_from
    dash.detect_view(
        police, None,
        dash.view_detect_key(dash.from_query({**base, "month_from": ch.months[-6]}, ch)),
        ref,
    )  # fmt: skip
    assert len(made) == 3
    fewer = police.iloc[::2]
    half = dash.detect_view(fewer, None, key, ref)
    assert len(made) == 4
    assert half.incidents < second.incidents
    assert int(half.monthly["incidents"].sum()) < int(second.monthly["incidents"].sum())


def test_a_sparse_kde_map_says_its_hotspots_are_mostly_single_locations(police):
    """One theme county-wide: the hottest share of the area takes in nearly every
    incident, and the page says so (with the counts); a denser selection, or
    Gi* over the 17 months, is not flagged; Gi* on one month of that theme is,
    in its own words (lone incidents come out significant)."""
    from hotspots import dashboard as dash

    ref = dash.load_reference()
    ch = dash.choices(police, ref)
    months = {"month_from": "2022-01", "month_to": "2024-04"}

    def view(**query):
        v = dash.from_query({**months, **query}, ch)
        return dash.detect_view(police, None, dash.view_detect_key(v), ref)

    drugs = view(themes="drugs & county lines")
    small = int((drugs.hotspots["incidents"] <= 2).sum())
    assert small > len(drugs.hotspots) / 2
    (line,) = [w for w in drugs.warnings if w.startswith("Most of these hotspots")]
    assert f"({small:,} of {len(drugs.hotspots):,})" in line
    located = drugs.incidents - drugs.unlocated
    assert f"of the {located:,} located" in line
    assert f"{drugs.incidents_in_hotspots / located:.0%}" in line
    for dense in (
        view(themes="serious violence & weapons"),
        view(themes="drugs & county lines", districts=THANET),
        view(themes="drugs & county lines", method="gistar"),
    ):
        assert not [w for w in dense.warnings if w.startswith("Most of these")]
    month = view(
        themes="drugs & county lines", method="gistar",
        month_from="2024-04", month_to="2024-04",
    )  # fmt: skip
    small = int((month.hotspots["incidents"] <= 2).sum())
    assert small > len(month.hotspots) / 2
    (line,) = [w for w in month.warnings if w.startswith("Most of these hot spots")]
    assert f"({small:,} of {len(month.hotspots):,})" in line
    assert "too sparse for Gi* at 100 m cells" in line
    # the rule itself: more than half the hotspots with one or two incidents
    from types import SimpleNamespace

    import pandas as pd

    from hotspots.detect import SPARSE_HOTSPOT_SHARE, sparse_warning

    found = SimpleNamespace(
        incidents_in_hotspots=40, parameters={"coverage": 0.05, "cell_size_m": 250.0}
    )
    half = pd.DataFrame({"incidents": [1, 2, 9, 30]})
    assert SPARSE_HOTSPOT_SHARE == 0.5
    assert sparse_warning("kde", half, found, 50) == ""
    assert sparse_warning("gistar", half, found, 50) == ""
    most = pd.DataFrame({"incidents": [1, 2, 1, 30]})
    line = sparse_warning("kde", most, found, 50)
    assert "(3 of 4)" in line
    assert "hottest 5% of the area" in line
    assert "80% of the 50 located" in line
    line = sparse_warning("gistar", most, found, 50)
    assert "(3 of 4)" in line
    assert "Gi* at 250 m cells" in line
    for method in ("dbscan", "hdbscan"):  # a cluster needs its minimum by construction
        assert sparse_warning(method, most, found, 50) == ""
    assert sparse_warning("kde", most.iloc[:0], found, 50) == ""
    assert sparse_warning("gistar", most, found, 0) == ""


def test_bad_url_values_fall_back_to_defaults():
    at = _app(
        month_from="1999-01", districts="NOPE|<script>", method="magic", bandwidth="-5"
    )
    assert not at.exception, at.exception
    assert at.select_slider[0].value == ("2024-01", "2024-04")
    assert at.radio(key="method").value == "kde"
    assert at.multiselect[2].value == []
    # the page says what it left out of the shared link (it had said nothing)
    (note,) = [w.value for w in at.warning if "were not understood" in w.value]
    assert note == (
        "Some settings in this page's address were not understood and were left "
        "out (the defaults are used instead): month_from=1999-01 (not a month of the "
        "data); districts=NOPE (unknown); districts=<script> (unknown); "
        "method=magic (unknown); bandwidth=-5 (a whole number from 50 to 1500)."
    )
    # the address is rewritten with the view's own settings: said once only
    at = _submit(at)
    assert not any("were not understood" in w.value for w in at.warning)


def test_every_dropped_setting_of_an_address_is_said(police):
    from hotspots import dashboard as dash

    ch = dash.choices(police, dash.load_reference())
    dropped: list[str] = []
    view = dash.from_query(
        {"month_from": "2024-03", "month_to": "2022-05", "coverage": "nan",
         "eps": "1e3", "min_incidents": "30", "rule": "knn", "themes": "ASB|nope",
         "wards": "E05005093"},
        ch, dropped,
    )  # fmt: skip
    assert dropped == [
        "months 2024-03 to 2022-05 (the first after the last)",
        "themes=ASB (unknown)",  # (a theme's whole name: "ASB & public space")
        "themes=nope (unknown)",
        "eps=1e3 (a whole number from 50 to 1000)",
        "coverage=nan (a percentage from 0.5 to 10)",
    ]
    assert (view.month_from, view.month_to) == ("2024-01", "2024-04")
    assert view.themes == []
    assert (view.min_incidents, view.rule, view.wards) == (30, "knn", ["E05005093"])
    clean: list[str] = []
    assert dash.from_query(dash.to_query(view), ch, clean) == view
    assert clean == []


@pytest.mark.parametrize("method", ["kde", "dbscan", "hdbscan", "gistar"])
def test_each_method_maps_hotspots(method):
    at = _app(districts=THANET)
    at.radio(key="method").set_value(method)
    at = _submit(at)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert int(_metrics(at)["Hotspots"].replace(",", "")) > 0
    table = _table(at, "Rank")
    assert table["Incidents"].is_monotonic_decreasing
    assert set(table["Districts"]) == {"Thanet"}
    # under the map, a line on each parameter (where its value came from)
    said = [c.value for c in at.caption]
    first = {
        "kde": "Bandwidth 200 m, the default (chosen with a back-test on Kent data).",
        "dbscan": "Clusters grow from places with ",
        "hdbscan": "Clusters of ",
        "gistar": "Test: the incidents in each cell and its 8 neighbours",
    }[method]
    assert any(line.startswith(first) for line in said), said


def test_theme_filter_changes_the_counts(police):
    at = _app()
    at.multiselect[0].set_value(["drugs & county lines"])
    at = _submit(at)
    expected = _count(police, ("2024-01", "2024-04"), ["drugs & county lines"])
    assert _metrics(at)["Incidents selected"] == f"{expected:,}"
    districts = _table(_open(at, "Districts"), "District")
    # located incidents are counted by district; unlocated ones are in none
    assert districts["Incidents"].sum() <= expected
    assert districts["Incidents"].sum() >= 0.98 * expected


@pytest.mark.parametrize("method", ["kde", "gistar"])
def test_a_selection_of_wards_is_mapped_over_those_wards(police, method):
    """Hotspots of chosen wards are the hottest share of those wards (the study
    area had stayed the county: 'every cell with any density, 529 of 1,496,946',
    one hotspot holding every incident), and the map opens on them."""
    import re

    from hotspots import dashboard as dash
    from hotspots.boundaries import load_boundary

    wards = ["E05005093", "E05005088"]  # Margate Central, Cliftonville West
    ref, _, view = _all_months(police, wards="|".join(wards), method=method)
    result = dash.detect_view(police, None, dash.view_detect_key(view), ref)
    outlines = load_boundary("wards").set_index("ward_code").loc[wards]
    assert result.study_area_km2 == pytest.approx(outlines.area.sum() / 1e6, rel=1e-6)
    assert 0 < result.share_in_hotspots < 0.5
    assert len(result.hotspots) >= 1
    # the cells of the wards (those whose centre lies inside), not the county's
    said = " ".join(result.explanations)
    size = 50 if method == "kde" else 100
    pattern = (
        r" of ([\d,]+) cells\)" if method == "kde" else r"against all ([\d,]+) cells"
    )
    cells = int(re.search(pattern, said).group(1).replace(",", ""))
    assert cells == pytest.approx(result.study_area_km2 * 1e6 / size**2, rel=0.02)
    # the map opens on the wards
    tables = dash.view_tables(police, None, dash.selection_key(view), harm=False)
    component = dash.map_args(
        dash.build_map(result, ref, tables, view), dash.view_detect_key(view),
        "none", None,
    )  # fmt: skip
    west, south, east, north = outlines.to_crs(4326).total_bounds
    fitted = component["feature_group"].split("fitBounds(", 1)[1].split("]]", 1)[0]
    s, w, n, e = (float(v) for v in re.findall(r"-?\d+\.\d+", fitted))
    # (the map's ward outlines are simplified for display: within about 100 m)
    assert (s, w, n, e) == pytest.approx((south, west, north, east), abs=0.002)


def test_empty_selection_is_a_message_not_a_traceback():
    at = _app(
        districts=THANET, categories="Bicycle theft", themes="drugs & county lines"
    )
    assert not at.exception, at.exception
    assert any("No incidents match" in e.value for e in at.error)


def test_upload_partner_file_and_map_it():
    at = _open(_app(districts=THANET), "Your data")
    data = (SAMPLES / "council-asb-log.csv").read_bytes()
    at.file_uploader(key="partner_upload").set_value(
        ("council-asb-log.csv", data, "text/csv")
    )
    at.run()
    assert not at.exception, at.exception
    read = next(b for b in at.button if b.label == "Read the file")
    read.click()
    at.run()
    assert not at.exception, at.exception
    report = " ".join(m.value for m in at.markdown)
    assert "Read 3,003 rows" in report
    assert "rejected 9" in report
    # how the rows were placed, so a postcode's position is not taken for an address's
    assert "Positions: 852 from longitude/latitude (by " in report
    assert "1,486 from postcodes (the postcode's position)." in report
    assert "It covers 2023-11 to 2024-04, the months of its first and last" in report
    at.radio(key="map_upload").set_value("alone")
    at.run()
    assert not at.exception, at.exception
    caption = at.caption[0].value
    assert caption.startswith("Your file 'council-asb-log' alone: all themes; Thanet;")
    # the file alone: its own Thanet rows of the months shown, not the police data
    ingested = at.session_state["uploads"][at.session_state["use_upload"].split("|")[1]]
    rows = ingested[
        ingested["month"].astype(str).between("2024-01", "2024-04")
        & (ingested["lad_code"] == THANET).fillna(False)
        & (ingested["sensitivity"] != "safeguarding")
    ]
    assert 0 < len(rows) < 3003
    assert _metrics(at)["Incidents selected"] == f"{len(rows):,}"
    at.radio(key="map_upload").set_value("with")
    at.run()
    assert not at.exception, at.exception
    assert at.caption[0].value.startswith(
        "police.uk with your file 'council-asb-log': all themes; Thanet;"
    )
    # both hold every month shown (2024-01..04): no note on the months
    assert not any("cover different months" in w.value for w in at.warning)
    # from 2023-01 the partner file holds two months the police data lacks (and
    # the police one the file lacks): said under the map
    at.select_slider(key="w_months").set_value(("2023-01", "2024-04"))
    _submit(at)
    assert not at.exception, at.exception
    notes = [w.value for w in at.warning if "cover different months" in w.value]
    assert len(notes) == 1
    assert "police.uk holds no data for 2023-11, 2023-12" in notes[0]
    assert "council-asb-log holds no data for 2023-01;" in notes[0]
    assert "compare only the months all hold: 2024-01 to 2024-04" in notes[0]


def _read_file(at, name, data, mime="text/csv"):
    """Upload `data` as a file called `name` on the Your data tab and read it."""
    at.file_uploader(key="partner_upload").set_value((name, data, mime))
    at.run()
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    return at


def _read_sample(at, name):
    """Upload the sample `name` on the Your data tab and read it."""
    return _read_file(at, name, (SAMPLES / name).read_bytes())


def test_how_a_file_is_mapped_survives_the_other_tabs():
    """The Your data tab is built only when open, and a widget not drawn loses
    its state: coming back to the tab had set 'Map it' back to 'Police data only'
    and put the police data back on the map, unasked."""
    at = _read_sample(_open(_app(districts=THANET), "Your data"), "council-asb-log.csv")
    at.radio(key="map_upload").set_value("alone")
    at.run()
    alone = "Your file 'council-asb-log' alone: all themes; Thanet;"
    assert at.caption[0].value.startswith(alone)
    incidents = _metrics(at)["Incidents selected"]
    for tab in ("Wards", "Your data"):
        at = _open(at, tab)
        assert not at.exception, at.exception
        assert at.caption[0].value.startswith(alone)
        assert _metrics(at)["Incidents selected"] == incidents
    assert at.radio(key="map_upload").value == "alone"
    at.radio(key="map_upload").set_value("no")
    at.run()
    assert at.caption[0].value.startswith("all themes; Thanet;")


def test_the_record_names_safeguarding_concerns_the_tables_count(tmp_path):
    """With safeguarding concerns beside the police data, the ward and district
    tables count them, but the Provenance tab, its JSON and the download's
    record had named police.uk alone (their data is the rows detection used)."""
    import pyogrio

    at = _read_sample(
        _open(_app(districts=THANET), "Your data"), "safeguarding-concerns.csv"
    )
    at.radio(key="map_upload").set_value("with")
    at.run()
    assert not at.exception, at.exception
    ingested = next(iter(at.session_state["uploads"].values()))
    concerns = int(
        (
            ingested["month"].astype(str).between("2024-01", "2024-04")
            & (ingested["lad_code"] == THANET).fillna(False)
        ).sum()
    )
    assert 0 < concerns < 100
    at = _open(at, "Provenance and sources")
    record = at.json[0].value
    record = json.loads(record) if isinstance(record, str) else record
    assert record["data"]["sources"] == {"police.uk": 5303}
    assert record["data"]["counted_not_mapped"]["sources"] == {
        "safeguarding-concerns": concerns
    }
    words = " ".join(m.value for m in at.markdown)
    assert (
        f"Also {concerns} safeguarding concerns (safeguarding-concerns {concerns}): "
        "counted in the ward and district tables, never mapped." in words
    )
    # the Trends tab's charts leave them out, and say so
    at = _open(at, "Trends")
    assert (
        f"These charts leave out the selection's {concerns} safeguarding concerns"
        in " ".join(c.value for c in at.caption)
    )
    # the download's record too (restricted: exact; public: withheld or rounded)
    at = _open(at, "Download")
    at.radio(key="dl_mode").set_value("restricted")
    at.button(key="prepare_export").click()
    at.run()
    assert not at.exception, at.exception
    _, (name, data, _) = at.session_state["export"]
    (tmp_path / name).write_bytes(data)
    table = pyogrio.read_dataframe(tmp_path / name, layer="provenance")
    saved = dict(zip(table["key"], table["value"], strict=True))
    key = "data.counted_not_mapped.sources.safeguarding-concerns"
    assert json.loads(saved[key]) == concerns


def test_a_file_of_safeguarding_concerns_alone_is_counted_not_mapped(police):
    """Safeguarding concerns never shape the map: mapped alone, such a file has
    nothing to map. The page says so (it had said no incident matched, and
    stopped, leaving no way back to the file's choices), and still shows the
    ward and district tables that count them, and the Your data tab."""
    at = _app(month_from="2022-01", month_to="2024-04")
    at = _read_sample(_open(at, "Your data"), "safeguarding-concerns.csv")
    at.radio(key="map_upload").set_value("alone")
    at.run()
    assert not at.exception, at.exception
    ingested = next(iter(at.session_state["uploads"].values()))
    assert (ingested["sensitivity"] == "safeguarding").all()
    assert [e.value for e in at.error] == [
        f"All {len(ingested):,} incidents of this selection are safeguarding "
        "concerns: counted in the ward and district tables, the street-week plan "
        "and the PSPO evidence, never mapped (as points, a surface or outlines). Add "
        "other themes or sources to map."
    ]
    assert not at.metric  # no map, no hotspot figures
    assert [t.label for t in at.tabs] == ["Wards", "Districts", "Your data"]
    wards = _table(at, "Ward")
    in_wards = ingested["ward_code"].notna()
    assert 0 < in_wards.sum() < len(ingested)  # some have no usable postcode
    from hotspots import dashboard as dash

    names = dash.load_reference().wards.set_index("ward_code")
    codes = ingested.loc[in_wards, "ward_code"]
    by_ward = (
        pd.DataFrame({"Ward": codes.map(names["ward_name"]),
                      "District": codes.map(names["lad_name"])})
        .value_counts()
    )  # fmt: skip
    shown = wards.set_index(["Ward", "District"])["Incidents"]
    assert shown.sum() == in_wards.sum()
    assert shown[shown > 0].sort_index().to_dict() == by_ward.sort_index().to_dict()
    # the file's choices are still there: with the police data, the map is back,
    # and its figures (the police incidents only) say what they leave out
    assert at.radio(key="map_upload").value == "alone"
    at.radio(key="map_upload").set_value("with")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _metrics(at)["Incidents selected"] == f"{len(police):,}"
    incidents = next(m for m in at.metric if m.label == "Incidents selected")
    assert "Not counting safeguarding concerns" in incidents.help


def test_upload_with_the_months_it_covers():
    """The months a file covers, given on the page: kept with the file (its
    empty first month too, here 2023-10), said in the report and in the note
    on months; one written wrong is a message in the page."""
    at = _open(_app(districts=THANET), "Your data")
    data = (SAMPLES / "council-asb-log.csv").read_bytes()
    at.file_uploader(key="partner_upload").set_value(("asb.csv", data, "text/csv"))
    at.run()
    covers = next(t for t in at.text_input if t.label == "Months it covers (optional)")
    covers.set_value("2023-10..2024-13")
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    assert any("are written YYYY-MM..YYYY-MM" in e.value for e in at.error)
    covers = next(t for t in at.text_input if t.label == "Months it covers (optional)")
    covers.set_value("2023-10..2024-04")
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    report = " ".join(m.value for m in at.markdown)
    assert "It covers 2023-10 to 2024-04, as given." in report
    at.radio(key="map_upload").set_value("with")
    at.run()
    at.select_slider(key="w_months").set_value(("2023-01", "2024-04"))
    _submit(at)
    assert not at.exception, at.exception
    (note,) = [w.value for w in at.warning if "cover different months" in w.value]
    assert "police.uk holds no data for 2023-10 to 2023-12 (3 months)" in note


def test_a_mapped_file_offers_its_months_categories_and_sources(tmp_path):
    """A partner file's months, categories and source can be chosen in the
    sidebar once it is mapped (they had been the police data's only: the ASB
    log's 2023-11 and 2023-12, its 'Street drinking' and its source could not
    be chosen); going back to the police data leaves out, and says, what it
    lacks."""
    import pyogrio

    at = _read_sample(_open(_app(districts=THANET), "Your data"), "council-asb-log.csv")
    assert "Street drinking" not in at.multiselect(key="w_categories").options
    assert "2023-11" not in at.select_slider(key="w_months").options
    at.radio(key="map_upload").set_value("with")
    at.run()
    assert not at.exception, at.exception
    months = at.select_slider(key="w_months")
    assert months.options[12:15] == ["2023-01", "2023-11", "2023-12"]
    assert months.help == (
        "The data holds 2022-01 to 2024-04, with no data for 2023-02 to 2023-10."
    )
    assert "Street drinking" in at.multiselect(key="w_categories").options
    assert "Burglary" in at.multiselect(key="w_categories").options
    sources = at.multiselect(key="w_sources").options
    assert sources == ["council-asb-log", "police.uk"]
    # the file's own months, category and source, with a police category
    months.set_value(("2023-11", "2023-12"))
    at.multiselect(key="w_categories").set_value(["Street drinking", "Burglary"])
    at.multiselect(key="w_sources").set_value(["council-asb-log"])
    _submit(at)
    assert not at.exception, at.exception
    ingested = next(iter(at.session_state["uploads"].values()))
    rows = ingested[
        ingested["month"].astype(str).isin(["2023-11", "2023-12"])
        & (ingested["lad_code"] == THANET).fillna(False)
        & (ingested["category"] == "Street drinking")
    ]
    assert len(rows) > 0
    assert _metrics(at)["Incidents selected"] == f"{len(rows):,}"
    assert not at.info or "Left out" not in " ".join(i.value for i in at.info)
    # the download is of this selection (its view had been read back against
    # the police data's choices, which dropped the file's category and source)
    at = _open(at, "Download")
    at.button(key="prepare_export").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, (name, data, _) = at.session_state["export"]
    (tmp_path / name).write_bytes(data)
    table = pyogrio.read_dataframe(tmp_path / name, layer="provenance")
    record = {
        k: json.loads(v) for k, v in zip(table["key"], table["value"], strict=True)
    }
    assert record["filters.categories"] == ["Street drinking", "Burglary"]
    assert record["filters.sources"] == ["council-asb-log"]
    assert record["data.source_months.council-asb-log"] == ["2023-11", "2023-12"]
    # the file alone: the police category goes, and the page says so; the
    # months and the file's category and source stay
    at = _open(at, "Your data")
    at.radio(key="map_upload").set_value("alone")
    at.run()  # (the tab reruns the page with the file alone)
    assert not at.exception, at.exception
    assert at.select_slider(key="w_months").options[0] == "2023-11"
    assert at.select_slider(key="w_months").value == ("2023-11", "2023-12")
    assert at.multiselect(key="w_categories").value == ["Street drinking"]
    assert at.multiselect(key="w_sources").value == ["council-asb-log"]
    assert [i.value for i in at.info if "Left out" in i.value] == [
        "Left out of the selection, because the data now mapped does not hold "
        "them: category Burglary."
    ]
    assert _metrics(at)["Incidents selected"] == f"{len(rows):,}"
    # back to the police data only: none of its months, category or source
    at.radio(key="map_upload").set_value("no")
    at.run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if "Left out" in i.value] == [
        "Left out of the selection, because the data now mapped does not hold "
        "them: months 2023-11 to 2023-12 (the data now mapped has none; 2024-01 "
        "to 2024-04 instead); category Street drinking; source council-asb-log."
    ]
    assert at.select_slider(key="w_months").value == ("2024-01", "2024-04")
    assert at.multiselect(key="w_categories").value == []
    assert at.multiselect(key="w_sources").value == []
    assert at.caption[0].value.startswith("all themes; Thanet; 2024-01 to 2024-04")
    at.run()  # said once: the selection fits the data now
    assert not [i.value for i in at.info if "Left out" in i.value]


def _read_again(at, **roles):
    """Set the Your data tab's column roles (role -> column) and read the file
    again."""
    for role, column in roles.items():
        at.selectbox(key=f"role-{role}").set_value(column)
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_file_read_again_another_way_is_mapped_as_read():
    """The same bytes read with another column mapping are another file: the
    page had kept the first reading's hotspots (its key was the file's name
    and bytes), and a reading that kept no row had left the page mapping the
    earlier one, with no way back to the police data."""
    at = _read_sample(_open(_app(districts=THANET), "Your data"), "council-asb-log.csv")
    _read_again(at, category="Reporting Officer Team")
    at.radio(key="map_upload").set_value("alone")
    at.run()
    tops = set(_table(at, "Rank")["Top categories"])
    assert tops == {"Other (unmapped) 100%"}
    # the categories read as they should be: the map and table follow
    at = _read_again(_open(at, "Your data"), category="Incident Type")
    assert at.radio(key="map_upload").value == "alone"
    tops = " ".join(_table(at, "Rank")["Top categories"])
    assert "Anti-social behaviour" in tops
    incidents = _metrics(at)["Incidents selected"]
    # read with a date column that holds no dates: nothing kept, so nothing of
    # the file is mapped (the page goes back to the police data only)
    at = _read_again(_open(at, "Your data"), date="Location Description")
    assert "No row of this file was kept" in " ".join(i.value for i in at.info)
    assert at.session_state["use_upload"] is None
    assert at.caption[0].value.startswith("all themes; Thanet;")
    assert _metrics(at)["Incidents selected"] != incidents


def test_a_file_cannot_take_a_name_the_data_holds():
    """Called 'police.uk', a partner file's rows would count as police.uk's, its
    months too: Thanet's change on the previous period read +3,101%."""
    at = _open(_app(districts=THANET), "Your data")
    data = (SAMPLES / "council-asb-log.csv").read_bytes()
    at.file_uploader(key="partner_upload").set_value(("asb.csv", data, "text/csv"))
    at.run()
    name = next(t for t in at.text_input if t.label == "Name of this source")
    name.set_value("Police.UK ")
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The data already holds a source called 'police.uk': give this file a name "
        "of its own (Name of this source)."
    ]
    assert "uploads" not in at.session_state
    assert not any(r.key == "map_upload" for r in at.radio)


def test_a_ward_outside_the_districts_chosen_is_left_out_and_said(police):
    """Areas filter together: a Medway ward with Thanet chosen adds nothing but
    its empty land (the map had been framed from Medway to Thanet, and the
    hotspots' 2% taken of both); alone it had left the page with 'No incidents
    match' and no reason."""
    chatham = "E05014450"  # Chatham Central & Brompton, Medway
    margate = "E05005093"  # Margate Central, Thanet
    said = (
        "This ward is outside the districts chosen, so it is left out of the "
        "view: Chatham Central & Brompton (Medway). Choose its district too, or no "
        "district, to map it."
    )
    both = _app(districts=THANET, wards=f"{chatham}|{margate}")
    assert [w.value for w in both.warning] == [said]
    alone = _app(districts=THANET, wards=margate)
    assert not alone.warning
    assert _metrics(both) == _metrics(alone)
    assert both.caption[0].value == alone.caption[0].value
    assert both.query_params["wards"] == margate  # (the URL shares the view)
    # only wards outside: the districts' view, said
    at = _app(districts=THANET, wards=chatham)
    assert not at.exception, at.exception
    assert not at.error
    assert [w.value for w in at.warning] == [said]
    assert (
        _metrics(at)["Incidents selected"]
        == f"{_count(police, ('2024-01', '2024-04'), districts=[THANET]):,}"
    )
    assert not _app(wards=chatham).warning  # no district: every ward is in


def test_fit_selection_keeps_what_the_data_holds(police):
    from hotspots import dashboard as dash

    ch = dash.choices(police, dash.load_reference())
    # a range narrowed to the months inside it: the same incidents
    assert dash.fit_selection(ch, ("2022-12", "2024-04"), [], []) == (
        ("2022-12", "2024-04"), [], [], []
    )  # fmt: skip
    file_only = replace(ch, months=["2023-11", "2023-12", "2024-01"])
    assert dash.fit_selection(file_only, ("2022-12", "2024-04"), [], [])[0] == (
        "2023-11", "2024-01"
    )  # fmt: skip
    # a category or source unknown to the data: left out, each said
    got = dash.fit_selection(ch, None, ["Drugs", "Begging"], ["police.uk", "A&E"])
    assert got == (None, ["Drugs"], ["police.uk"], ["category Begging", "source A&E"])
    # no month of the data inside the range: its default range, said
    assert dash.fit_selection(ch, ("2023-03", "2023-10"), [], []) == (
        ("2024-01", "2024-04"), [], [],
        ["months 2023-03 to 2023-10 (the data now mapped has none; 2024-01 to "
         "2024-04 instead)"],
    )  # fmt: skip
    assert dash.fitted_note([]) == ""
    assert dash.months_help(ch) == (
        "The data holds 2022-01 to 2024-04, with no data for 2023-02 to 2023-12."
    )
    one_gap = replace(ch, months=["2022-01", "2022-03", "2022-04", "2022-06"])
    assert dash.months_help(one_gap) == (
        "The data holds 2022-01 to 2022-06, with no data for 2022-02, 2022-05."
    )
    assert dash.months_help(replace(ch, months=["2024-01", "2024-02"])) == (
        "The data holds 2024-01 to 2024-02."
    )
    # no file in use, or an empty one: the store's choices
    assert dash.upload_choices(ch, None, "with|x:1") is ch
    assert dash.upload_choices(ch, police.iloc[:0], "alone|x:1") is ch
    assert dash.upload_choices(ch, police.iloc[:5], None) is ch


def _read_upload(name, data):
    """Upload a partner file on the Your data tab and read it.

    Returns the page and the ingest report's sentence ("Read 3,003 rows ...").
    """
    at = _read_file(_open(_app(districts=THANET), "Your data"), name, data, mime="")
    (summary,) = [m.value for m in at.markdown if "Read 3,003 rows" in m.value]
    return at, summary


def test_upload_says_how_an_excel_style_file_was_read():
    # an export from an old Excel: Windows-1252 text, semicolons, a £ sign
    text = (SAMPLES / "council-asb-log.csv").read_text(encoding="utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.loc[0, "Location Description"] = "Café £1 shop, Northdown Road"
    data = frame.to_csv(sep=";", index=False).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    at, summary = _read_upload("asb-excel.csv", data)
    # the name as uploaded, not the temporary copy the page reads
    assert "asb-excel.csv was read with: not UTF-8: read as Windows-1252" in summary
    assert "separated by semicolons" in summary
    assert "save the file from Excel as CSV UTF-8" in summary
    # the rows' own notes stay in the reasons table, not in this sentence
    assert "swapped" not in summary
    ingested = next(iter(at.session_state["uploads"].values()))
    assert "Café £1 shop, Northdown Road" in set(ingested["location_text"])
    # the plain UTF-8, comma file: no sentence about how it was read
    _, summary = _read_upload("plain.csv", text.encode("utf-8"))
    assert "was read with" not in summary
    # Excel's "Unicode Text" (.txt): UTF-16, tab separated
    unicode_text = frame.to_csv(sep="\t", index=False).encode("utf-16")
    at, summary = _read_upload("asb-unicode.txt", unicode_text)
    assert "asb-unicode.txt was read with: UTF-16 text; separated by tabs." in summary
    ingested = next(iter(at.session_state["uploads"].values()))
    assert "Café £1 shop, Northdown Road" in set(ingested["location_text"])


def test_harm_weighting_uses_a_partner_harm_column_and_says_when_it_cannot():
    from hotspots import dashboard as dash

    # police.uk incidents all weigh 1: weighting by harm changes nothing, and
    # the page says so under the map
    police_only = _app(districts=THANET, harm="1")
    assert not police_only.exception, police_only.exception
    assert any(w.value == dash.UNWEIGHTED_HARM for w in police_only.warning)
    assert not any(
        w.value == dash.UNWEIGHTED_HARM for w in _app(districts=THANET).warning
    )
    # an ASB log with its own harm scale (a few bad values among them)
    rows = (
        (SAMPLES / "council-asb-log.csv").read_text(encoding="utf-8-sig").splitlines()
    )
    scale = ["1", "3", "", "0.5", "10"]
    harm = [rows[0] + ",Harm score"] + [
        f"{r},{'high' if i == 7 else scale[i % len(scale)]}"
        for i, r in enumerate(rows[1:])
    ]
    at = _open(_app(districts=THANET, harm="1"), "Your data")
    at.file_uploader(key="partner_upload").set_value(
        ("asb-harm.csv", "\n".join(harm).encode(), "text/csv")
    )
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="role-weight").value == "Harm score"  # detected
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    assert not at.exception, at.exception
    (reasons,) = [d.value for d in at.dataframe if "Outcome" in d.value]
    noted = reasons[reasons["Outcome"] == "Kept, noted"].set_index("Reason")["Rows"]
    assert noted["harm weight not a number of 0 or more (counted as 1)"] == 1
    assert noted["lat/lon swapped in the source (fixed)"] > 0  # the sample's own
    at.radio(key="map_upload").set_value("alone")
    at.run()
    assert not at.exception, at.exception
    assert not any(w.value == dash.UNWEIGHTED_HARM for w in at.warning)
    table = at.dataframe[0].value  # the ranked hotspots, with their harm
    assert "Harm" in table.columns
    assert (table["Harm"] != table["Incidents"]).any()
    at = _open(at, "Wards")
    (wards,) = [d.value for d in at.dataframe if "Ward" in d.value]
    assert wards["Harm"].sum() > wards["Incidents"].sum() > 0
    police = _open(_app(districts=THANET, harm="1"), "Wards")
    (plain,) = [d.value for d in police.dataframe if "Ward" in d.value]
    assert "Harm" not in plain  # every weight 1: it would repeat the incidents


def test_the_area_note_counts_incidents_located_outside_every_ward(police):
    import shapely

    from hotspots import dashboard as dash
    from hotspots.boundaries import COAST_SNAP_M, load_boundary
    from hotspots.grid import located

    ref = dash.load_reference()
    ch = dash.choices(police, ref)

    def note(**query):
        v = dash.from_query({"month_from": ch.months[0], **query}, ch)
        return dash.view_tables(police, None, dash.view_detect_key(v)[0], harm=False)

    tables = note()
    # independently: located points farther than the coast snap from every
    # ward (ingest gives a point on a beach or pier, in no ward, the nearest)
    points = police.geometry[located(police)]
    wards = load_boundary("wards").to_crs(points.crs).geometry.union_all()
    near = shapely.dwithin(points.to_numpy(), wards, COAST_SNAP_M)
    outside = int((~near).sum())
    assert 0 < outside < 200  # the few Kent Police records over the border
    assert f" {outside:,} located incidents lie just outside" in tables["note"]
    assert len(police) - tables["ward"]["Incidents"].sum() == (
        outside + (~located(police)).sum()
    )
    # with districts chosen, the other districts' incidents are not news
    assert "lie just outside" not in note(districts=THANET)["note"]


def test_the_density_legend_says_harm_when_weighted_by_harm(police):
    from hotspots import dashboard as dash

    ref = dash.load_reference()
    ch = dash.choices(police, ref)

    def legend(**query):
        v = dash.from_query({"districts": THANET, **query}, ch)
        return dash.detect_view(police, None, dash.view_detect_key(v), ref).legend

    assert legend()["title"] == "Incidents per km² (KDE)"
    assert legend(harm="1")["title"] == "Harm per km² (KDE, weighted)"
    assert legend(harm="1", method="gistar")["title"].startswith("Getis-Ord Gi*")


def test_bad_upload_is_a_clear_message():
    at = _open(_app(), "Your data")
    at.file_uploader(key="partner_upload").set_value(("empty.csv", b"", "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert any("empty" in e.value for e in at.error)


def _read_bytes(name, data):
    """`_read_file` on a new page of Thanet."""
    return _read_file(_open(_app(districts=THANET), "Your data"), name, data)


def test_an_upload_message_speaks_of_the_file_and_the_page():
    """Ingest's messages named the server's temporary copy of the file and the
    command line's --map flag; the page names the file and its own controls."""
    at = _read_bytes("no-location.csv", b"Date,Type\n2024-01-03,Noise\n")
    (message,) = [e.value for e in at.error]
    assert message.startswith("no-location.csv: no location columns found among ")
    assert "Choose them under *Columns* above (Postcode, Grid reference" in message
    assert "--map" not in message
    assert "/tmp" not in message
    at = _read_bytes("no-date.csv", b"Postcode,Type\nCT9 1AA,Noise\n")
    (message,) = [e.value for e in at.error]
    assert message.startswith("no-date.csv: no date or month column found")
    assert message.endswith("Choose its column under *Columns* above (Date, or Month).")


def test_a_file_with_no_row_kept_is_not_offered_for_the_map():
    from hotspots import dashboard as dash

    at = _read_bytes("all-bad.csv", b"Date,Postcode\nnot a date,CT9 1AA\nTBC,CT9 1AB\n")
    report = " ".join(m.value for m in at.markdown)
    assert "kept 0" in report
    assert "rejected 2" in report
    assert [i.value for i in at.info] == [dash.NOTHING_KEPT]
    assert not any(r.key == "map_upload" for r in at.radio)


def test_download_public_geopackage(tmp_path):
    import pyogrio

    at = _open(_app(districts=THANET, themes="serious violence & weapons"), "Download")
    next(b for b in at.button if b.label == "Prepare the file").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, (name, data, _) = at.session_state["export"]
    path = tmp_path / name
    path.write_bytes(data)
    hot = pyogrio.read_dataframe(path, layer="hotspots")
    assert len(hot) > 0
    assert (hot["incidents"] % 5 == 0).all()  # public mode: rounded to 5


def test_download_of_a_sparse_view_is_a_file_not_a_warning():
    """Advice about the data (a bandwidth under the locations' spacing) is said
    under the map; preparing the download had shown it again as a Python
    warning with its traceback."""
    at = _app(
        districts=THANET, categories="Possession of weapons",
        month_from="2024-04", month_to="2024-04",
    )  # fmt: skip
    said = [
        e.value
        for e in (*at.caption, *at.warning, *at.info, *at.markdown)
        if "under the median spacing" in str(e.value)
    ]
    assert said, "the map's advice"
    at = _open(at, "Download")
    at.button(key="prepare_export").click()
    at.run()
    assert not at.exception, at.exception
    assert [b.label for b in at.get("download_button")] == [
        "Download hotspots-kde.gpkg"
    ]


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_download_summary_report(fmt):
    """The Download tab's summary report: a PDF or a web page of the view, British
    National Grid only (the coordinates choice is switched off)."""
    at = _open(_app(districts=THANET, themes="serious violence & weapons"), "Download")
    next(s for s in at.selectbox if s.label == "Format").set_value(fmt)
    at.run()
    assert next(r for r in at.radio if r.label == "Coordinates").disabled
    next(b for b in at.button if b.label == "Prepare the file").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, (name, data, mime) = at.session_state["export"]
    if fmt == "pdf":
        assert (name, mime) == ("hotspots-kde.pdf", "application/pdf")
        text = pdf_text(data)
    else:
        assert (name, mime) == ("hotspots-kde.html", "text/html")
        text = data.decode("utf-8").replace("&amp;", "&")
    assert "Hotspots: serious violence & weapons, Thanet" in text
    assert "public version" in text


def test_download_refuses_geotiff_for_clusters():
    at = _open(_app(districts=THANET, method="dbscan"), "Download")
    fmt = next(s for s in at.selectbox if s.label == "Format")
    fmt.set_value("geotiff")
    at.run()
    next(b for b in at.button if b.label == "Prepare the file").click()
    at.run()
    assert not at.exception, at.exception
    assert any("GeoTIFF" in e.value or "surface" in e.value for e in at.error)


def _plan(at):
    """Click "Plan the street weeks"; the page's error messages, joined ("" if none)."""
    next(b for b in at.button if b.label == "Plan the street weeks").click()
    at.run()
    assert not at.exception, at.exception
    return " ".join(e.value for e in at.error)


def _plan_refused(at, words, api):
    """Plan where no plan fits: the page's message starts with `words`, never names
    the planner's parameter `api`, and no plan is kept."""
    message = _plan(at)
    assert message.startswith(words), message
    assert api not in message  # the page's words, not the API's
    assert "plan_result" not in at.session_state


def test_street_week_planner_tab():
    at = _open(_app(), "Street weeks")
    assert _plan(at) == ""
    sites = _table(at, "Site")
    assert sites["Site"].tolist() == [1, 2, 3, 4, 5, 6]
    assert sites["District"].nunique() == 6  # at most one per district by default
    assert sites["Why"].str.startswith("Covers ").all()
    # the sites file is exact: the button says so, and what to publish instead
    (sites_file,) = [
        b for b in at.get("download_button") if "sites and footprints" in b.proto.label
    ]
    assert sites_file.proto.label.endswith("(GeoPackage, restricted)")
    assert "not for publication" in sites_file.proto.help
    assert "public briefings" in sites_file.proto.help


def test_street_weeks_in_one_district_plan_with_the_defaults():
    """Thanet alone: the page's default is no limit per district (one per district
    could hold one site of the six), so the defaults plan six Thanet sites; one per
    district asked for there is a message in the page's own words."""
    at = _open(_app(districts=THANET), "Street weeks")
    per = next(s for s in at.selectbox if s.label == "At most per district")
    assert per.value is None
    assert _plan(at) == ""
    sites = _table(at, "Site")
    assert len(sites) == 6
    assert set(sites["District"]) == {"Thanet"}
    # police.uk incidents all weigh 1, no theme weighted: the caption counts
    # incidents (it had said "5,303 harm")
    _, plan = at.session_state["plan_result"]
    located = plan.parameters["incidents_located"]
    assert any(
        c.value.startswith("The 6 sites cover ")
        and f" of the selection's {located:,} incidents (" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]

    next(s for s in at.selectbox if s.label == "At most per district").set_value(1)
    _plan_refused(
        at,
        "At most 1 site per district, in the one district with incidents, gives at "
        "most 1 site, fewer than the 6 asked for. Choose 'no limit' (or more) under "
        "At most per district",
        "max_per_district",
    )


def test_street_weeks_too_many_for_a_small_selection_say_so_in_the_pages_words():
    """Twelve sites of 800 m in one month of drugs in one Thanet ward cannot be
    1,600 m apart: the page says so with its own controls (the planner's
    `min_separation` is not one of them)."""
    at = _open(
        _app(districts=THANET, themes="drugs & county lines", month_from="2024-04",
             month_to="2024-04", wards="E05005086"),
        "Street weeks",
    )  # fmt: skip
    next(s for s in at.slider if s.label == "Sites").set_value(12)
    next(s for s in at.slider if s.label == "Footprint radius (m)").set_value(800)
    _plan_refused(
        at,
        "No 12 sites fit at least 1,600 m apart (twice the footprint radius, so that "
        "no two footprints overlap) among the incidents of this selection. Choose "
        "fewer sites or a smaller footprint radius",
        "min_separation",
    )


def test_the_plan_caption_says_what_the_sites_cover_and_what_the_limits_cost():
    from types import SimpleNamespace

    from hotspots import dashboard as dash

    params = {
        "harm_covered": 2951.0, "harm_total": 9592.0, "harm_share": 2951 / 9592,
        "solver": "exact (HiGHS MILP)", "gap": 0.0, "min_separation_m": 600.0,
        "max_per_district": None, "exclusions": 0, "constraint_cost_harm": 52.0,
    }  # fmt: skip
    plan = SimpleNamespace(sites=[1] * 6, parameters=params)
    assert dash.plan_caption(plan) == (
        "The 6 sites cover 2,951 of the selection's 9,592 harm (31%), each incident "
        "counted once. Chosen by integer programming: proven the best possible under "
        "the limits set; the limits (sites at least 600 m apart) cost 52 of harm "
        "covered against the best sites without them."
    )
    params.update(solver="greedy", gap=0.034, max_per_district=1, exclusions=1,
                  constraint_cost_harm=0.0)  # fmt: skip
    one = SimpleNamespace(sites=[1], parameters=params)
    assert dash.plan_caption(one).startswith("The 1 site covers 2,951")
    assert "Chosen by greedy search: within 3.4% of the best possible" in (
        dash.plan_caption(one)
    )
    assert dash.plan_caption(one).endswith(
        "the limits (sites at least 600 m apart, at most 1 per district, 1 place left "
        "out) cost nothing: the best sites without them cover no more."
    )


def test_street_weeks_leave_out_recent_sites_and_weight_themes(tmp_path):
    import geopandas as gpd
    from shapely import Point

    at = _open(_app(), "Street weeks")
    assert _plan(at) == ""
    first = _table(at, "Site")
    top_ward = first["Ward"].iloc[0]
    # leave out the first site (a point at its centre), then plan again
    plan = at.session_state["plan_result"][1]
    centre = plan.sites.geometry.iloc[0]
    recent = gpd.GeoDataFrame(
        {"date": ["2024-03-01"]}, geometry=[Point(centre.x, centre.y)], crs=27700
    ).to_crs(4326)
    data = recent.to_json().encode()
    uploader = next(u for u in at.file_uploader if "Recent street-week" in u.label)
    uploader.set_value(("recent.geojson", data, "application/geo+json"))
    next(
        n for n in at.number_input if n.label == "Weight of drugs & county lines"
    ).set_value(3.0)
    assert _plan(at) == ""
    again = at.session_state["plan_result"][1]
    # no site within the footprint radius of the recent one
    assert again.sites.geometry.distance(centre).min() >= 300 - 1e-6
    assert top_ward in set(first["Ward"])
    assert again.parameters["weights"]["drugs & county lines"] == 3.0


def test_street_weeks_with_every_place_left_out_say_which_control_to_change():
    """Recent sites covering the whole selection leave no place for a site: the
    page says so, and that leaving out fewer recent sites would help."""
    from hotspots import dashboard as dash

    at = _open(
        _app(districts=THANET, themes="drugs & county lines", month_from="2024-04",
             month_to="2024-04"),
        "Street weeks",
    )  # fmt: skip
    thanet = dash.load_boundary("districts").query("lad_code == @THANET")
    data = thanet[["geometry"]].buffer(1_000).to_crs(4326).to_json().encode()
    uploader = next(u for u in at.file_uploader if "Recent street-week" in u.label)
    uploader.set_value(("recent.geojson", data, "application/geo+json"))
    _plan_refused(
        at,
        "No place can hold a site once the 1 recent site is left out, fewer than the "
        "6 asked for (a place is the centre of a 100 m square within the footprint "
        "radius of an incident). Choose fewer sites, leave out fewer recent sites or "
        "widen the months or areas.",
        "`exclude`",
    )


def _pspo(at, what="profile", source="sample"):
    _open(at, "PSPO evidence")
    at.radio(key="pspo_what").set_value(what)
    at.radio(key="pspo_source").set_value(source)
    at.run()
    return at


def _make_evidence(at):
    next(b for b in at.button if b.label == "Make the evidence").click()
    return at.run()


def test_the_tabs_settings_survive_the_other_tabs():
    """Each tab is built only when open, and a widget not drawn loses its state:
    the tabs' settings had gone back to their defaults on every visit (a plan of
    4 sites shown under a slider saying 6)."""
    at = _open(_app(districts=THANET), "Street weeks")
    at.slider(key="plan_sites").set_value(4)
    at.number_input(key="tw-acquisitive").set_value(2.5)
    next(b for b in at.button if b.label == "Plan the street weeks").click()
    at.run()
    assert not at.exception, at.exception
    _, plan = at.session_state["plan_result"]
    assert len(plan.sites) == 4
    at = _pspo(at, what="evaluate", source="ward")
    at.slider(key="pspo_buffer").set_value(600)  # in a form: kept once made
    at = _make_evidence(at)
    assert not at.error, [e.value for e in at.error]
    _open(at, "Download")
    at.selectbox(key="dl_format").set_value("csv")
    at.radio(key="dl_mode").set_value("restricted")
    at.run()
    for tab in ("Wards", "Street weeks"):
        at = _open(at, tab)
        assert not at.exception, at.exception
    assert at.slider(key="plan_sites").value == 4
    assert at.number_input(key="tw-acquisitive").value == 2.5
    assert len(_table(at, "Site")) == 4  # the plan, under the settings that made it
    at = _open(at, "PSPO evidence")
    assert at.radio(key="pspo_what").value == "evaluate"
    assert at.radio(key="pspo_source").value == "ward"
    assert at.slider(key="pspo_buffer").value == 600
    assert at.selectbox(key="pspo_start").value == "2022-07"  # the default, kept
    at = _open(at, "Download")
    assert at.selectbox(key="dl_format").value == "csv"
    assert at.radio(key="dl_mode").value == "restricted"
    assert not at.warning, [w.value for w in at.warning]


def test_a_result_is_never_shown_under_another_selection(tmp_path):
    """A prepared download, a street-week plan and PSPO evidence are kept while
    the page is open; after the selection changes they had still been offered
    (Thanet's file under 'Download hotspots-kde.gpkg' in a Medway view, Medway's
    sites in a Thanet view). Now the page says to make them again."""
    import geopandas as gpd

    from hotspots import dashboard as dash

    at = _open(_app(districts=THANET), "Download")
    at.button(key="prepare_export").click()
    at.run()
    assert [b.label for b in at.get("download_button")] == [
        "Download hotspots-kde.gpkg"
    ]
    at = _open(at, "Street weeks")
    next(b for b in at.button if b.label == "Plan the street weeks").click()
    at.run()
    assert len(_table(at, "Site")) > 0
    at = _make_evidence(_pspo(at))
    assert not at.error, [e.value for e in at.error]
    assert "pspo_evidence" in at.session_state
    at.multiselect(key="w_districts").set_value([MEDWAY])
    at = _submit(at)
    assert not at.exception, at.exception
    assert at.caption[0].value.startswith("all themes; Medway;")
    assert [i.value for i in at.info] == [dash.STALE_PSPO]
    assert not any(d.value.columns[0] == "Site" for d in at.dataframe)
    at = _open(at, "Street weeks")
    assert [i.value for i in at.info] == [dash.STALE_PLAN]
    assert not any(d.value.columns[0] == "Site" for d in at.dataframe)
    at = _open(at, "Download")
    assert not at.get("download_button")
    assert dash.STALE_EXPORT in [c.value for c in at.caption]
    # the same file again for this view's choices
    at.button(key="prepare_export").click()
    at.run()
    assert [b.label for b in at.get("download_button")] == [
        "Download hotspots-kde.gpkg"
    ]
    _, (_, data, _) = at.session_state["export"]
    (tmp_path / "medway.gpkg").write_bytes(data)
    hot = gpd.read_file(tmp_path / "medway.gpkg", layer="hotspots")
    assert len(hot) > 0
    assert set(hot["districts"]) == {"Medway"}


def test_pspo_profile_of_the_sample_order(police):
    import geopandas as gpd
    import shapely

    at = _make_evidence(_pspo(_app()))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, prof = at.session_state["pspo_evidence"]
    assert prof.area.kind == "order"
    comparison = _table(at, "Where")
    assert len(comparison) == 3
    order = (
        gpd.read_file(SAMPLES / "margate-town-centre-pspo.geojson")
        .to_crs(27700)
        .geometry.iloc[0]
    )
    rows = police[police["month"].astype(str).between("2024-01", "2024-04")]
    pts = rows.geometry.to_numpy()
    pts = pts[~shapely.is_empty(pts)]
    expected = int(shapely.intersects(order, pts).sum())
    assert comparison["Incidents"].iloc[0] == expected
    # counts shown with thousands separators (the county's 41514 read as 41,514)
    shown = next(d for d in at.dataframe if d.value.columns[0] == "Where")
    formats = json.loads(shown.proto.columns)
    assert formats["Incidents"]["type_config"]["format"] == "localized"
    statutory = _table(at, "Statutory test (s59)")
    assert len(statutory) == 4
    assert _metrics(at)["Incidents in the area"] == f"{expected:,}"


def test_pspo_evaluation_of_the_sample_order():
    at = _make_evidence(_pspo(_app(), what="evaluate"))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, ev = at.session_state["pspo_evidence"]
    assert ev.start == "2022-07"
    assert ev.before_months[0] == "2022-01"
    assert ev.after_months[-1] == "2022-12"
    counts = _table(at, "Where")
    assert len(counts) == 3  # area, buffer, control
    assert counts["Before"].iloc[0] > 0
    # an order starting in the first month of data would have no before period
    starts = at.selectbox(key="pspo_start").options
    assert "2022-01" not in starts
    assert starts[0] == "2022-02"
    assert starts[-1] == "2024-04"
    # the net effect in words, its sign said once (it had read "-18 incidents
    # (a net increase)")
    tne = round(ev.total_net_effect)
    (line,) = [m.value for m in at.markdown if m.value.startswith("- Total net effect")]
    fewer_or_more = "fewer" if tne > 0 else "more"
    assert line.startswith(
        f"- Total net effect: about {abs(tne):,} incidents {fewer_or_more} "
    )
    assert "-" not in line[2:]


def test_pspo_net_effect_in_words():
    from types import SimpleNamespace

    from hotspots import dashboard as dash

    def said(tne):
        return dash.pspo_key_figures(SimpleNamespace(wdq=0.5, total_net_effect=tne))

    assert said(-18.4)[1] == (
        "Total net effect: about 18 incidents more than the control's change "
        "predicts, in the area and buffer together (a net increase)."
    )
    assert said(1234.6)[1].startswith("Total net effect: about 1,235 incidents fewer")
    assert said(1234.6)[1].endswith("(prevented, net of displacement).")
    assert said(0.3)[1].startswith("Total net effect: about none (as many incidents")
    assert said(float("nan"))[1] == (
        "Total net effect: not defined (no control incidents before)."
    )
    assert said(-18.4)[0] == (
        "Weighted Displacement Quotient: 0.50 (diffusion of benefit)."
    )


def test_pspo_ward_profile_and_bad_boundary():
    at = _pspo(_app(), source="ward")
    at.selectbox(key="pspo_ward").set_value("E05005093")  # Margate Central
    _make_evidence(at.run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Margate Central" in at.session_state["pspo_evidence"][1].area.name
    at = _pspo(_app(), source="upload")
    at.file_uploader(key="pspo_upload").set_value(
        ("order.geojson", b"not a map at all", "application/geo+json")
    )
    _make_evidence(at.run())
    assert not at.exception, at.exception
    assert any("order.geojson" in e.value for e in at.error)


def test_pspo_profile_of_a_hotspot_names_where_it_came_from():
    at = _pspo(_app(districts=THANET, harm="1"), source="hotspot")
    at.selectbox(key="pspo_hotspot").set_value(2)
    _make_evidence(at.run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    area = at.session_state["pspo_evidence"][1].area
    assert area.name == "Hotspot 2"
    assert area.source == (
        "Kernel density (KDE), 2024-01..2024-04, weighted by harm, hotspot 2"
    )


def test_pspo_ward_choice_starts_with_the_views_busiest_ward():
    at = _pspo(_app(districts=THANET), source="ward")
    assert not at.exception, at.exception
    wards = _table(_open(_app(districts=THANET), "Wards"), "Ward")
    pick = at.selectbox(key="pspo_ward")
    # Thanet's wards as its ward table ranks them, then every other ward
    thanet = [f"{w} (Thanet)" for w in wards["Ward"]]
    assert pick.options[: len(thanet)] == thanet
    assert len(set(pick.options)) == len(pick.options) == 279
    assert pick.options.index("Aylesford & East Stour (Ashford)") == len(thanet)


def test_pspo_profile_with_a_partner_log_shows_days_and_hours():
    at = _open(_app(), "Your data")
    data = (SAMPLES / "council-asb-log.csv").read_bytes()
    at.file_uploader(key="partner_upload").set_value(
        ("council-asb-log.csv", data, "text/csv")
    )
    at.run()
    next(b for b in at.button if b.label == "Read the file").click()
    at.run()
    at.radio(key="map_upload").set_value("with")
    at.run()
    _make_evidence(_pspo(at))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    _, prof = at.session_state["pspo_evidence"]
    # the Thanet ASB log has dates and times; police.uk has months only
    assert prof.day_hour is not None
    assert prof.day_hour_n == int(prof.day_hour.to_numpy().sum()) > 0
    assert "police.uk" in prof.provenance["data"]["sources"]
    assert any("Day of the week and hour" in m.value for m in at.markdown)


def _all_months(police, **query):
    """The reference, the choices and a view of the 17 months with `query`."""
    from hotspots import dashboard as dash

    ref = dash.load_reference()
    ch = dash.choices(police, ref)
    view = dash.from_query(
        {"month_from": "2022-01", "month_to": "2024-04", **query}, ch
    )
    return ref, ch, view


def test_emerging_hot_spots_of_a_view_equal_the_analysis_run_directly(police):
    """The Trends tab's cell patterns: the engine's, on the map's incidents (no
    safeguarding rows), over the view's district, every month of the data in the
    range a time step; each pattern's wards counted from the cells' centres."""
    import geopandas as gpd
    import numpy as np
    from PIL import Image

    from hotspots import dashboard as dash
    from hotspots.boundaries import study_area
    from hotspots.mapping import TREND_COLOURS
    from hotspots.trends import PATTERN_MEANINGS, classify_hotspot_trends

    ref, ch, view = _all_months(
        police, districts=THANET, themes="serious violence & weapons"
    )
    trend = dash.trend_cells(police, None, dash.selection_key(view), ref, cell_size=200)
    assert trend.months == ch.months  # all 17, the 2023 gap left out
    assert trend.notes == []  # 17 months, dense
    chosen = police[
        police["lad_code"].eq(THANET)
        & police["theme"].eq("serious violence & weapons")
        & police["sensitivity"].ne("safeguarding")
    ]
    direct = classify_hotspot_trends(
        chosen, cell_size=200, study_area=study_area([THANET]), months=ch.months
    )
    counts = direct["pattern"].value_counts()
    assert list(trend.summary["Pattern"]) == [
        p for p in PATTERN_MEANINGS if p in counts
    ]
    for row in trend.summary.itertuples():
        these = direct[direct["pattern"] == row.Pattern]
        assert row.Cells == len(these)
        assert row._3 == these["n"].sum()  # incidents over the months
        assert row.Meaning == PATTERN_MEANINGS[row.Pattern]
    # the wards of the persistent cells, from a point-in-polygon count of centres
    persistent = direct[direct["pattern"] == "persistent"]
    centres = gpd.GeoDataFrame(geometry=persistent.centroid, crs=persistent.crs)
    wards = ref.wards[ref.wards["lad_code"] == THANET]
    by_ward = {
        w.ward_name: int(centres.within(w.geometry).sum()) for w in wards.itertuples()
    }
    top = sorted(by_ward.items(), key=lambda kv: -kv[1])[:3]
    shown = trend.summary.set_index("Pattern").loc["persistent", "Wards (most cells)"]
    assert shown.startswith(f"{top[0][0]} ({top[0][1]})")
    # the image: the patterns' colours and nothing else
    head, data = trend.image_url.split(",", 1)
    assert head == "data:image/png;base64"
    import base64

    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")
    pixels = np.asarray(image).reshape(-1, 4)
    shown_rgb = {tuple(p[:3]) for p in pixels if p[3] > 0}
    allowed = {
        tuple(int(TREND_COLOURS[p][i : i + 2], 16) for i in (1, 3, 5))
        for p in counts.index
    }
    assert shown_rgb == allowed


def test_emerging_hot_spot_cells_download_public_or_restricted(police, tmp_path):
    import geopandas as gpd
    import pyogrio

    from hotspots import dashboard as dash

    ref, _, view = _all_months(
        police, districts=THANET, themes="serious violence & weapons"
    )
    trend = dash.trend_cells(police, None, dash.selection_key(view), ref, cell_size=200)
    layers = {}
    for mode in ("public", "restricted"):
        name, data, mime = dash.trend_cells_file(trend, mode)
        assert name == f"hotspot-trends-200m-{mode}.gpkg"
        assert mime == "application/geopackage+sqlite3"
        path = tmp_path / name
        path.write_bytes(data)
        layers[mode] = gpd.read_file(path, layer="trend_cells")
        prov = pyogrio.read_dataframe(path, layer="provenance").set_index("key")
        assert prov.loc["disclosure.mode", "value"] == f'"{mode}"'
        assert prov.loc["method", "value"] == '"trends"'
    exact, public = layers["restricted"], layers["public"]
    assert len(exact) == int(trend.summary["Cells"].sum())
    assert (exact["n"] < 10).any()
    assert len(public) == int((exact["n"] >= 10).sum())
    assert (public["n"] % 5 == 0).all()
    assert (public["n"] >= 10).all()
    assert "mk_p" in exact
    assert "mk_p" not in public
    assert exact.crs.to_epsg() == 27700


def test_emerging_hot_spots_step_through_empty_months_and_warn_when_sparse(police):
    import numpy as np

    from hotspots import dashboard as dash

    # Sevenoaks had no bicycle theft in 2022-03, 2022-04 or 2023-01
    ref, ch, view = _all_months(
        police, districts="E07000111", categories="Bicycle theft"
    )
    trend = dash.trend_cells(police, None, dash.selection_key(view), ref, cell_size=200)
    assert trend.months == ch.months
    assert "2022-03" in trend.months
    (note,) = trend.notes
    assert "too sparse for monthly Gi*" in note
    assert "17 months (2022-01..2023-01, 2024-01..2024-04" in dash.trend_cells_caption(
        trend
    )
    assert "monthly counts" in dash.trend_cells_caption(trend)
    # weighted by harm (a partner's harm weights: here 2 for every other row),
    # Gi* and the trend run on the cells' summed harm, and the page says so
    heavy = police.assign(weight=np.where(np.arange(len(police)) % 2, 2.0, 1.0))
    weighted = dash.trend_cells(
        heavy, None, dash.selection_key(view), ref, cell_size=200, harm=True
    )
    caption = dash.trend_cells_caption(weighted)
    assert "Gi* of each month's harm on 200 m cells" in caption
    assert "monthly harm (its summed harm weights)" in caption
    summary = weighted.summary
    assert summary["Harm (all months)"].sum() == pytest.approx(
        weighted.cells["harm"].sum()
    )
    assert summary["Harm (all months)"].sum() > summary["Incidents (all months)"].sum()
    assert "Harm (all months)" not in trend.summary
    # too few months, or nothing selected: the engine's words, no traceback
    short = dash.from_query({"month_from": "2024-03", "month_to": "2024-04"}, ch)
    with pytest.raises(dash.HotspotsError, match="at least 3 months"):
        dash.trend_cells(police, None, dash.selection_key(short), ref, cell_size=200)
    none = dash.from_query(
        {"month_from": "2022-03", "month_to": "2022-04", "districts": "E07000111",
         "categories": "Bicycle theft"},
        ch,
    )  # fmt: skip
    with pytest.raises(dash.HotspotsError, match="No incidents match"):
        dash.trend_cells(police, None, dash.selection_key(none), ref, cell_size=200)


def test_trends_tab_classifies_cells_when_asked(started):
    at = _open(started, "Trends")
    assert not at.exception, at.exception
    assert not [c for c in at.caption if c.value.startswith("Gi* each month")]
    at.toggle(key="w_emerging").set_value(True)
    at = at.run()
    assert not at.exception, at.exception
    # the default view has 4 months: the analysis says that is weak
    assert [w for w in at.warning if w.value.startswith("Only 4 months")]
    (caption,) = [c for c in at.caption if c.value.startswith("Gi* each month")]
    assert caption.value.startswith("Gi* each month on 200 m cells over 4 months")
    table = at.dataframe[-1].value
    assert list(table.columns)[:3] == ["Pattern", "Cells", "Incidents (all months)"]
    assert table["Cells"].gt(0).all()
    (button,) = at.get("download_button")
    assert "hotspot-trends-200m-public.gpkg" in button.proto.label
    at.select_slider(key="w_emerging_cell").set_value(800)
    at = at.run()
    (caption,) = [c for c in at.caption if c.value.startswith("Gi* each month")]
    assert "on 800 m cells" in caption.value
    assert at.dataframe[-1].value["Cells"].sum() < table["Cells"].sum()
    # one month cannot make a trend: said in the page
    at.select_slider(key="w_months").set_value(("2024-04", "2024-04"))
    at = _submit(at)
    assert not at.exception, at.exception
    assert [w for w in at.warning if "at least 3 months" in w.value]


def test_data_months_and_the_hotspot_trends_step_through_every_month_of_the_data(
    police,
):
    """A month of the data without an incident of the selection counts as none in
    each hotspot's trend (Sevenoaks had thefts from the person in 15 of the 17
    months); the months the data holds follow the data in use."""
    import numpy as np

    from hotspots import dashboard as dash
    from hotspots.ingest import ingest
    from hotspots.profile import recent_split, trend_tests

    ref, ch, view = _all_months(
        police, districts="E07000111", categories="Theft from the person"
    )
    key = dash.selection_key(view)
    assert dash.data_months(police, None, key) == ch.months
    chosen = dash.select(police, None, key)
    assert chosen["month"].nunique() == 15
    result = dash.detect_view(police, None, dash.view_detect_key(view), ref)
    _, recent = recent_split([pd.Period(m, "M") for m in ch.months])
    assert [str(m) for m in recent] == ["2023-01", "2024-01", "2024-02", "2024-03",
                                        "2024-04"]  # fmt: skip
    sel = result.selected
    in_hot = sel[sel["hotspot"] > 0]
    n = in_hot.groupby("hotspot").size()
    is_recent = in_hot["month"].astype(str).str[:7].isin([str(m) for m in recent])
    r = in_hot[is_recent].groupby("hotspot").size().reindex(n.index, fill_value=0)
    _, p, labels = trend_tests(
        r.to_numpy(), n.to_numpy(), recent_months=5, all_months=17
    )
    hot = result.hotspots.set_index("hotspot_id").loc[n.index]
    tested = np.isfinite(p)
    assert tested.sum() >= 2  # the hotspots of 10 incidents or more
    np.testing.assert_allclose(hot["trend_p"].to_numpy()[tested], p[tested])
    assert hot["trend"].tolist() == labels
    # a partner file alone: its own months; with the police data: both
    asb = ingest([ROOT / "data" / "samples" / "council-asb-log.csv"]).incidents
    alone = dash.selection_key(view, "alone|asb:1")
    both = dash.selection_key(view, "with|asb:1")
    own = sorted(asb["month"].astype(str).unique())
    assert dash.data_months(police, asb, alone) == own
    assert dash.data_months(police, asb, both) == sorted(set(own) | set(ch.months))
    assert dash.data_months(police, asb, both, within=True) == [
        m for m in sorted(set(own) | set(ch.months)) if "2022-01" <= m <= "2024-04"
    ]
    assert "2023-11" in own
    assert "2023-11" not in dash.data_months(police, asb, key)  # police alone
    # comparing periods, both together count only the months both hold: the
    # police data has no 2023-11..12, so 2024-01..02 against them is withheld
    # (read as zero, the partner's log alone would look like a rise); the
    # partner's file alone holds them, so its change is computed
    sources = ["council-asb-log", "police.uk"]
    assert dash.data_months(police, asb, both, sources=sources, shared=True) == [
        m for m in own if m in ch.months
    ]
    assert dash.data_months(police, asb, both, sources=["police.uk"]) == ch.months
    # the page says which months one source does not hold, and what that does
    note = dash.months_note(police, asb, both)
    assert "police.uk holds no data for 2023-11, 2023-12" in note
    assert "council-asb-log holds no data for 2022-01 to 2023-01 (13 months)" in note
    assert "compare only the months all hold: 2024-01 to 2024-04 (4 months)" in note
    assert dash.months_note(police, asb, alone) == ""
    # a month inside the file without an incident is a month with none, not
    # one it lacks: the file still holds its first to its last month
    gap = asb[asb["month"].astype(str) != "2024-02"]
    assert dash.data_months(police, gap, alone) == own
    assert dash.months_note(police, gap, both) == note
    # a file declared to cover more holds its empty first and last months too
    wide = ingest(
        [ROOT / "data" / "samples" / "council-asb-log.csv"], covers="2023-10..2024-05"
    ).incidents
    assert dash.data_months(police, wide, alone) == ["2023-10", *own, "2024-05"]
    assert {"2023-10", "2024-05"} <= set(dash.data_months(police, wide, both))
    # such a store offers them in the sidebar's months too
    wide_choices = dash.choices(wide, dash.load_reference())
    assert wide_choices.months == ["2023-10", *own, "2024-05"]
    assert dash.choices(gap, dash.load_reference()).months == own
    assert dash.months_note(police, None, key) == ""
    assert dash.months_note(police, asb, both, ["police.uk"]) == ""  # none of theirs
    # the file alone: its charts step through its own months (2023-11 has data)
    thanet = dash.from_query(
        {"month_from": "2022-01", "month_to": "2024-04", "districts": THANET}, ch
    )
    mine = dash.detect_view(
        police, asb, dash.view_detect_key(thanet, "alone|asb:1"), ref
    )
    assert mine.months == [m for m in own if "2022-01" <= m <= "2024-04"]
    line = dash.monthly_line(mine.monthly, mine.months, "2022-01", "2024-04")
    nov = line[line["month"].dt.strftime("%Y-%m") == "2023-11"]
    assert nov["incidents"].notna().all()
    assert not line["partial"].any()
    early = dash.from_query({"month_from": "2024-01", "month_to": "2024-02"}, ch)
    assert dash.months_note(police, asb, dash.selection_key(early, "with|asb:1")) == ""
    for use, withheld in (("with|asb:1", True), ("alone|asb:1", False)):
        key = dash.selection_key(early, use)
        stats = dash.view_tables(police, asb, key, harm=False)["district_stats"]
        assert bool(stats["previous"].isna().all()) is withheld, use
        if not withheld:
            chosen = asb[asb["month"].astype(str).isin(["2023-11", "2023-12"])]
            assert stats["previous"].sum() == len(chosen[chosen["lad_code"].notna()])


def test_sources_that_cover_different_months_are_compared_only_where_all_hold(
    police, tmp_path
):
    """A store that holds the police data and a partner's ASB log (2023-11..
    2024-04, which police.uk lacks for 2023-11..12): the map counts every
    incident, but each hotspot's trend compares only the months both hold (the
    partner's two extra months would read as a rise), the area tables withhold
    change over months one of them lacks, the Trends tab's cells step through
    the shared months only, and the page says so. Choosing one source lifts it."""
    import geopandas as gpd
    import numpy as np

    from hotspots import dashboard as dash
    from hotspots.ingest import ingest
    from hotspots.profile import recent_split, trend_tests

    asb = ingest([ROOT / "data" / "samples" / "council-asb-log.csv"]).incidents
    store = gpd.GeoDataFrame(pd.concat([police, asb], ignore_index=True))
    ref, ch, _ = _all_months(police)
    ch = dash.choices(store, ref)
    # the page opens on the latest run of months both hold, not 2023-11..2024-04
    opening = dash.default_view(ch)
    assert (opening.month_from, opening.month_to) == ("2024-01", "2024-04")
    assert ch.months[-7:-5] == ["2023-01", "2023-11"]
    view = dash.from_query(
        {"month_from": "2023-01", "month_to": "2024-04",
         "themes": "ASB & public space", "districts": "E07000114"}, ch,
    )  # fmt: skip
    key = dash.selection_key(view)
    result = dash.detect_view(store, None, dash.view_detect_key(view), ref)
    assert result.parameters["trend_months"] == "2024-01..2024-04"
    assert "Trends compare 2024-01..2024-04 only" in " ".join(result.explanations)
    [note] = [w for w in result.warnings if "cover different months" in w]
    assert "police.uk holds no data for 2023-11, 2023-12" in note
    assert "council-asb-log holds no data for 2023-01" in note
    # each hotspot's trend, counted independently over the shared months
    shared = [pd.Period(m, "M") for m in ("2024-01", "2024-02", "2024-03", "2024-04")]
    _, recent = recent_split(shared)
    sel = result.selected
    in_hot = sel[sel["hotspot"] > 0]
    month = in_hot["month"].astype(str).str[:7]
    counted = in_hot[month.isin([str(m) for m in shared])]
    n = (
        counted.groupby("hotspot")
        .size()
        .reindex(result.hotspots["hotspot_id"], fill_value=0)
    )
    is_recent = counted["month"].astype(str).str[:7].isin([str(m) for m in recent])
    r = counted[is_recent].groupby("hotspot").size().reindex(n.index, fill_value=0)
    _, p, labels = trend_tests(
        r.to_numpy(), n.to_numpy(), recent_months=1, all_months=4
    )
    np.testing.assert_allclose(result.hotspots["trend_p"], p)
    assert result.hotspots["trend"].tolist() == labels
    # the provenance says which months each source gave
    data_line = dash.provenance_lines(result, ch)[0]
    assert "council-asb-log 764 in 2023-11 to 2024-04 (6 months)" in data_line
    assert (
        "police.uk 1,767 in 2023-01, 2024-01, 2024-02, 2024-03, 2024-04)" in data_line
    )
    # the charts: every month either holds, those not both hold shaded amber
    assert result.months == ["2023-01", "2023-11", "2023-12", "2024-01", "2024-02",
                             "2024-03", "2024-04"]  # fmt: skip
    line = dash.monthly_line(
        result.monthly, result.months, "2023-01", "2024-04", result.shared_months
    )
    by_month = line.groupby(line["month"].dt.strftime("%Y-%m"))
    partial = by_month["partial"].any()
    assert partial[partial].index.tolist() == ["2023-01", "2023-11", "2023-12"]
    assert by_month["incidents"].sum().loc["2023-11"] > 0
    assert by_month["incidents"].apply(lambda v: v.isna().all()).sum() == 9  # 02..10
    gaps = dash.gap_note(line)
    assert "No data for 2023-02..2023-10 (9 months), shaded grey" in gaps
    assert "Not every source of the selection holds 2023-01, 2023-11..2023-12" in gaps
    # the incidents of the months one source holds still count
    assert (
        result.hotspots["incidents"].tolist()
        == in_hot.groupby("hotspot")
        .size()
        .reindex(result.hotspots["hotspot_id"], fill_value=0)
        .tolist()
    )
    assert (month == "2023-11").any()
    # area tables: 2024-01..04 against 2023-09..12, which police.uk lacks
    recent_view = dash.from_query(
        {
            "month_from": "2024-01",
            "month_to": "2024-02",
            "themes": "ASB & public space",
        },
        ch,
    )
    tables = dash.view_tables(store, None, dash.selection_key(recent_view), harm=False)
    assert tables["district_stats"]["previous"].isna().all()
    assert tables["note"].endswith(
        "A month that not every source of the selection holds counts as missing here."
    )
    assert "2023-11" not in dash.data_months(
        store,
        None,
        dash.selection_key(recent_view),
        sources=["council-asb-log", "police.uk"],
        shared=True,
    )
    # the partner's log alone holds 2023-11..12: its change is computed
    own = dash.from_query(
        {"month_from": "2024-01", "month_to": "2024-02", "sources": "council-asb-log"},
        ch,
    )
    mine = dash.view_tables(store, None, dash.selection_key(own), harm=False)[
        "district_stats"
    ]
    before = asb[asb["month"].astype(str).isin(["2023-11", "2023-12"])]
    assert mine["previous"].sum() == before["lad_code"].notna().sum() > 0
    assert dash.months_note(store, None, dash.selection_key(own)) == ""
    # the Trends tab's cells: the shared months only, and said
    trend = dash.trend_cells(store, None, key, ref, cell_size=200)
    assert trend.months == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert any("the cells' trends step only through" in n for n in trend.notes)
    # the street-week planner's trends too
    plan = dash.plan_for_view(
        store, None, key, k=2, radius=300, max_per_district=None, priorities={}
    )
    assert plan.parameters["trend_months"] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert plan.parameters["months"][0] == "2023-01"
    # its download records the data and the view's filters (it had held only
    # the parameters: no software version, no selection)
    import json as _json

    import pyogrio

    path = tmp_path / "street-weeks.gpkg"
    path.write_bytes(dash.plan_download(plan, key))
    rows = pyogrio.read_dataframe(path, layer="provenance")
    record = dict(zip(rows["key"], rows["value"].map(_json.loads), strict=True))
    assert record["software"].startswith("hotspots ")
    assert record["filters.month_from"] == dict(key)["month_from"]
    assert set(record) >= {"data.sources.police.uk", "data.sources.council-asb-log"}
    # police only (a theme the partner's log has none of): nothing to say
    drugs = dash.from_query(
        {"month_from": "2023-01", "month_to": "2024-04",
         "themes": "serious violence & weapons",
         "districts": "E07000114"}, ch,
    )  # fmt: skip
    plain = dash.detect_view(store, None, dash.view_detect_key(drugs), ref)
    assert "trend_months" not in plain.parameters
    assert not [w for w in plain.warnings if "cover different months" in w]


def test_hotspot_pickers_list_the_busiest_and_the_row_chosen():
    from hotspots import dashboard as dash

    ranks = list(range(1, 2824))
    assert dash.picker_ranks(ranks) == ranks[: dash.PICK_LIMIT]
    assert dash.picker_ranks(ranks, 7) == ranks[: dash.PICK_LIMIT]  # listed already
    assert dash.picker_ranks(ranks, 2500) == [*ranks[: dash.PICK_LIMIT], 2500]
    assert dash.picker_ranks(ranks, 9999) == ranks[: dash.PICK_LIMIT]  # not a rank
    assert dash.picker_ranks([1, 2, 3], 3) == [1, 2, 3]
    assert dash.picker_note(dash.PICK_LIMIT) is None
    assert "200 busiest of the 2,823" in dash.picker_note(2823)


def test_county_clusters_list_200_hotspots_in_the_trend_picker():
    # DBSCAN over the county's 17 months: 870 clusters, 200 of them listed
    at = _app(month_from="2022-01", month_to="2024-04", method="dbscan")
    assert not at.exception, at.exception
    n = len(_table(at, "Rank"))
    at = _open(at, "Trends")
    assert not at.exception, at.exception
    assert n > 200
    picker = next(s for s in at.selectbox if s.label == "Monthly trend of one hotspot")
    assert len(picker.options) == 200
    assert picker.options[0].startswith("Hotspot 1: ")
    assert f"200 busiest of the {n:,} hotspots" in picker.help
