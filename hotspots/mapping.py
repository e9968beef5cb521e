"""Build folium maps (the only module that imports folium)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement, Template
from folium.elements import ElementAddToElement
from folium.map import Layer
from geopandas.array import GeometryArray
from numpy.typing import NDArray
from pandas.api.types import is_object_dtype, is_string_dtype

from hotspots.crs import WEB_CRS, to_web

_Frame = TypeVar("_Frame", pd.DataFrame, gpd.GeoDataFrame)

#: Colour-blind-safe ramps. Density: viridis (sequential, perceptually uniform).
DENSITY_COLOURS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
#: Gi* bins: ColorBrewer RdBu (diverging, colour-blind safe), hot = red.
GISTAR_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
GISTAR_LABELS = {
    3: "Hot spot, 99% confidence",
    2: "Hot spot, 95% confidence",
    1: "Hot spot, 90% confidence",
    -1: "Cold spot, 90% confidence",
    -2: "Cold spot, 95% confidence",
    -3: "Cold spot, 99% confidence",
}
#: The emerging hot spot patterns (`hotspots.trends`): Okabe-Ito's eight colours
#: and a grey, colour-blind safe; vermillion and orange for the new ones, black
#: for persistent, blues for fading, grey for former.
TREND_COLOURS = {
    "new": "#D55E00",
    "consecutive": "#E69F00",
    "intensifying": "#CC79A7",
    "persistent": "#000000",
    "diminishing": "#0072B2",
    "oscillating": "#F0E442",
    "sporadic": "#009E73",
    "historical": "#56B4E9",
    "former": "#999999",
}
HOTSPOT_OUTLINE = "#e7298a"  # magenta outline, distinct from viridis and RdBu
SCHOOL_COLOUR = "#1b9e77"
PRU_COLOUR = "#d95f02"

#: Simplification tolerance for boundaries drawn in the browser (metres); the
#: analysis always uses the full bundled geometry.
DISPLAY_TOLERANCE_M = 25.0
ATTRIBUTION = (
    "Boundaries: Contains OS data © Crown copyright and database right 2025; "
    "Contains National Statistics data © Crown copyright and database right 2025"
)


#: Leaflet (and jQuery, which folium's popups need) served by the dashboard itself
#: (static/, Streamlit static serving),
#: so the map draws with no internet; only background tiles come from outside.
LEAFLET_JS = [
    ("leaflet", "/app/static/leaflet/leaflet.js"),
    ("jquery", "/app/static/jquery/jquery.min.js"),  # folium's popups use it
]
LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]


def new_map(*, basemap: str = "OpenStreetMap") -> folium.Map:
    """An empty folium map that loads Leaflet locally; `basemap` OpenStreetMap or none.

    With ``basemap="none"`` nothing at all is fetched from the internet.
    """
    tiles = None if basemap == "none" else "OpenStreetMap"
    # zoom in quarter steps, so fitting a district fills the frame
    m = folium.Map(
        tiles=tiles,
        control_scale=True,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
        scroll_wheel_zoom=False,  # until the map is clicked: see `_WheelGate`
    )
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
    _WheelGate().add_to(m)
    return m


#: What the map says when the mouse wheel turns over it before it was clicked.
WHEEL_HINT = "Click the map to zoom with the mouse wheel, or use + and −"


class _WheelGate(MacroElement):
    """The mouse wheel zooms the map once it is clicked, until the mouse leaves it.

    Before that, the wheel scrolls the page, and the map says how to zoom. The
    map fills much of a page that scrolls: with Leaflet's default, a user
    scrolling down to the tables with the mouse over the map zoomed the map out
    instead (the "click, then scroll" of embedded web maps). The hint and the
    listeners belong to the map's container, made once, so views drawn in place
    (`in_place_args`) add none twice.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var box = map.getContainer();  // made with scrollWheelZoom off
            if (box.__wheelHint) { return; }  // a view drawn in place: all set
            var hint = L.DomUtil.create('div', 'hotspots-wheel-hint', box);
            box.addEventListener('click', function() {
                map.scrollWheelZoom.enable();
                hint.style.opacity = 0;
            });
            box.addEventListener('mouseleave', function() {
                map.scrollWheelZoom.disable();
            });
            hint.textContent = {{ this.text }};
            hint.style.cssText = 'position:absolute;left:50%;top:50%;'
                + 'transform:translate(-50%,-50%);z-index:1000;padding:8px 14px;'
                + 'background:rgba(0,0,0,0.7);color:#fff;border-radius:4px;'
                + 'font:14px/1.3 sans-serif;pointer-events:none;opacity:0;'
                + 'transition:opacity 0.2s';
            box.__wheelHint = hint;
            var timer = null;
            box.addEventListener('wheel', function() {
                if (map.scrollWheelZoom.enabled()) { return; }
                hint.style.opacity = 1;
                clearTimeout(timer);
                timer = setTimeout(function() { hint.style.opacity = 0; }, 1500);
            }, {passive: true});
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self.text = json.dumps(WHEEL_HINT)


#: Coordinates sent to the browser are rounded to this many degrees (about 1 m):
#: full float precision would double the page for nothing.
DISPLAY_GRID_DEG = 1e-5


def _simplified(shapes: NDArray[np.object_]) -> NDArray[np.object_]:
    """Hotspot outlines simplified for display (Douglas-Peucker, `DISPLAY_TOLERANCE_M`).

    Without topology checks, which took 0.07 s of the 0.08 over the county's
    2,800 HDBSCAN outlines; an outline that comes out invalid or empty (a ring
    crossing itself, a sliver collapsed) is simplified again with them. On the
    bundled data none did, and the outlines of every method differ from the
    checked ones by 0.6% of their total area or less.
    """
    fast = shapely.simplify(shapes, DISPLAY_TOLERANCE_M, preserve_topology=False)
    bad = ~shapely.is_valid(fast) | (shapely.is_empty(fast) & ~shapely.is_empty(shapes))
    if bad.any():
        fast[bad] = shapely.simplify(
            shapes[bad], DISPLAY_TOLERANCE_M, preserve_topology=True
        )
    return fast


def _web(gdf: gpd.GeoDataFrame, *, outlines: bool = False) -> gpd.GeoDataFrame:
    """`gdf` as the map draws it: simplified, in WGS84, coordinates rounded.

    `outlines`: hotspot outlines (`_simplified`); else the topology-preserving
    simplification (boundaries, whose shared edges should not cross).
    """
    if outlines:
        simple_shapes = _simplified(np.asarray(gdf.geometry.array))
    else:
        simple_shapes = gdf.geometry.simplify(
            DISPLAY_TOLERANCE_M, preserve_topology=True
        ).to_numpy()
    simple = to_web(gdf.assign(geometry=simple_shapes))
    # pointwise: each coordinate rounded, repeated ones dropped, without the
    # full re-noding of the default mode (0.06 s on the county's hotspots; the
    # same coordinates, which only need to look right)
    rounded = shapely.set_precision(
        simple.geometry.to_numpy(), DISPLAY_GRID_DEG, mode="pointwise"
    )
    return simple.assign(geometry=rounded)


def display_outlines(polygons: gpd.GeoDataFrame) -> GeometryArray:
    """The polygons' outlines as the map draws them: simplified, WGS84, rounded.

    One per row of `polygons`; `add_hotspots` takes them instead of making them.
    Nearly all of it is GEOS work, which runs beside Python threads. A geometry
    array, which pickles in one piece (as WKB) where an array of shapely objects
    pickles each (the dashboard's cache pickles its results: 15 ms against 1 ms
    for the county's 2,800 HDBSCAN outlines).
    """
    frame = polygons[[polygons.geometry.name]]
    return _web(frame, outlines=True).geometry.array


_WEB_ONCE: dict[int, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]] = {}


def _web_once(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`_web` of a reference layer that never changes (the wards), once per process.

    Simplifying and reprojecting the wards took 0.1 s of every new map.
    """
    hit = _WEB_ONCE.get(id(frame))
    if hit is None or hit[0] is not frame:
        hit = _WEB_ONCE[id(frame)] = (frame, _web(frame))
    return hit[1]


def _collection_json(frame: gpd.GeoDataFrame) -> str:
    """`frame` (WGS84) as a GeoJSON FeatureCollection, in compact JSON text.

    The same features as geopandas' ``__geo_interface__`` (ids from the index,
    missing values null) without the per-feature bounding boxes, built in bulk:
    GEOS writes the geometries, where geopandas boxes every vertex and property
    in Python (0.2 s for the county's hotspots), and they are not parsed to be
    written again (0.1 s more); pandas writes the properties (`_record_lines`).
    """
    geometry = shapely.to_geojson(frame.geometry.to_numpy())
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records = _record_lines(props)
    ids = [json.dumps(str(i)) for i in frame.index]
    features = ",".join(
        f'{{"id":{i},"type":"Feature","properties":{p},"geometry":{g or "null"}}}'
        for i, p, g in zip(ids, records, geometry, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def _record_lines(props: pd.DataFrame) -> list[str]:
    r"""Each row of `props` as a compact JSON object (column -> value), in order.

    pandas writes them all at once (a JSON line a row; a newline inside text is
    written ``\n``), 4 times as fast as one ``json.dumps`` a row for the county's
    hotspots: missing and non-finite numbers are null; floats keep 15
    significant digits. pandas writes every ``/`` as ``\/``; they are written
    back as ``/``, as ``json.dumps`` writes them (a backslash before a ``/`` is
    always that escape: a backslash of the text is written ``\\``).
    """
    if props.empty:  # no rows, or rows without properties
        return ["{}"] * len(props)
    text = props.to_json(orient="records", lines=True, double_precision=15)
    text = text.replace("\\/", "/")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(props):
        raise RuntimeError(f"{len(lines)} JSON lines for {len(props)} rows")
    return lines


def _escape(frame: _Frame) -> _Frame:
    """HTML-escape text columns: names and descriptions reach tooltips as HTML."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    text = [
        c
        for c in frame.columns
        if c != geometry and (is_string_dtype(frame[c]) or is_object_dtype(frame[c]))
    ]
    return frame.assign(**{c: _escape_column(frame[c]) for c in text})


def _escape_column(column: pd.Series) -> pd.Series:
    """`_escape_value` of every value (same index).

    Text is escaped once per distinct value (names, months, categories repeat
    down a column); other objects one by one.
    """
    values = column.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return values.map(_escape_value)
    codes, uniques = pd.factorize(values)  # missing values: -1
    escaped = np.array([*(html.escape(u) for u in uniques), ""], dtype=object)
    # the dtype pandas gives the same strings from `map` (text: str)
    return pd.Series(escaped[codes], index=column.index)


def _escape_value(value: object) -> str:
    return (
        ""
        if value is None or value is pd.NA or value != value
        else html.escape(str(value))
    )


def add_boundaries(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    ward_fields: dict[str, str] | None = None,
    district_fields: dict[str, str] | None = None,
) -> None:
    """District and ward outlines with tooltips (fields: column -> label).

    Text is HTML-escaped; numbers are shown as they are, so round them first.
    """
    _add_wards(m, wards, ward_fields)
    _add_districts(m, districts, district_fields)


def _add_districts(
    m: folium.Map, districts: gpd.GeoDataFrame, district_fields: dict[str, str] | None
) -> None:
    district_fields = district_fields or {"lad_name": "District"}
    d = _escape(_web(districts))
    present = {f: label for f, label in district_fields.items() if f in d}
    _InlineGeoJson(
        _collection_json(d[[*present, "geometry"]]),
        name="Districts (Dec 2024)",
        style={"color": "#1f3b73", "weight": 2.2, "fillOpacity": 0},
        tooltip=present,
    ).add_to(m)


WARD_LAYER = "Wards (May 2024)"
WARD_STYLE = {"color": "#555555", "weight": 0.7, "fillOpacity": 0}
WARD_HIGHLIGHT = {"weight": 2.5, "color": "#000000"}


def _add_wards(
    m: folium.Map,
    wards: gpd.GeoDataFrame,
    ward_fields: dict[str, str] | None,
    *,
    web: bool = False,
) -> None:
    """Ward outlines with tooltips; ``web=True``: `wards` went through `_web`."""
    ward_fields = ward_fields or {"ward_name": "Ward", "lad_name": "District"}
    w = _escape(wards if web else _web(wards))
    present = {f: label for f, label in ward_fields.items() if f in w}
    _InlineGeoJson(
        _collection_json(w[[*present, "geometry"]]),
        name=WARD_LAYER,
        style=WARD_STYLE,
        highlight=WARD_HIGHLIGHT,
        tooltip=present,
    ).add_to(m)


def _add_ward_file(
    m: folium.Map,
    url: str,
    stats: pd.DataFrame | None,
    ward_fields: dict[str, str],
    *,
    keep: Sequence[str] | None,
) -> None:
    """Ward outlines from their `static_layer_files` file, with `stats` joined.

    Only the view's statistics (by ``ward_code``) travel with the map, not the
    wards' outlines (0.15 MB a view); `keep` limits them to those districts.
    """
    own: dict[str, Any] = {}
    if stats is not None and len(stats):
        shown = _escape(stats.set_index("ward_code"))
        own = shown.astype(object).where(shown.notna(), None).to_dict("index")
    _InlineGeoJson(
        own,
        name=WARD_LAYER,
        style=WARD_STYLE,
        highlight=WARD_HIGHLIGHT,
        tooltip=ward_fields,
        url=url,
        join="ward_code",
        keep=keep,
        keep_key="lad_code",
    ).add_to(m)


#: Layers that are the same on every dashboard map, sent once as files (static/):
#: name -> (layer name, style, tooltip fields: property -> label, pane or "").
#: District outlines are drawn in a pane above the others that takes no mouse
#: events: a canvas map gives the pointer to the topmost shape containing it, so
#: districts drawn over the wards would hide the ward tooltips (counts, rates,
#: change; they name the district too), and over the hotspots their popups.
STATIC_LAYERS: dict[str, tuple[str, dict[str, Any], dict[str, str], str]] = {
    "districts": (
        "Districts (Dec 2024)",
        {"color": "#1f3b73", "weight": 2.2, "fillOpacity": 0},
        {},
        "hotspotsOutlines",
    ),
    "schools": (
        "Schools, PRUs and alternative provision",
        {"weight": 1, "fillOpacity": 0.9},
        {"name": "School", "kind": "Type"},
        "",
    ),
}


def static_layer_files(ref: Any) -> dict[str, bytes]:
    """The fixed layers of the dashboard map as GeoJSON files, by layer key.

    Districts and wards (simplified, with their codes and names) and schools
    (with their kind and whether a pupil referral unit): public reference data
    only, never incidents. Text is HTML-escaped (tooltips insert it as HTML).
    """
    d = _escape(_web(ref.districts))
    w = _escape(_web_once(ref.wards))
    ward_columns = ["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]
    return {
        "districts": _collection_json(d[["lad_code", "lad_name", "geometry"]]).encode(),
        "wards": _collection_json(w[ward_columns]).encode(),
        "schools": json.dumps(
            {"type": "FeatureCollection", "features": _school_features(ref.schools)},
            separators=(",", ":"),
        ).encode(),
    }


def static_file_name(key: str, data: bytes) -> str:
    """A static layer's file name, which changes with its content.

    So no stale copy is ever used from a browser's cache.
    """
    return f"{key}-{hashlib.sha256(data).hexdigest()[:12]}.geojson"


#: A GeoJSON file fetched and parsed once per map frame (JavaScript): every view
#: drawn in place in the frame uses the same features. A failed fetch is
#: forgotten, so the next view tries again.
_FETCH_ONCE = """function(url) {
    var files = window.__hotspotsFiles || (window.__hotspotsFiles = {});
    return files[url] || (files[url] = fetch(url).then(function(r) {
        if (!r.ok) { throw new Error(url + ': ' + r.status); }
        return r.json();
    }).catch(function(e) { delete files[url]; throw e; }));
}"""


class _GeoJsonFile(Layer):
    """A GeoJSON layer the browser loads from a URL when the layer is first shown.

    Listed in the layer control like any layer; `keep` limits it to features whose
    ``filter_key`` property is one of `keep`; points are circle markers, PRUs
    (``pru`` true) larger and orange. A map without its file still draws: the
    layer stays empty.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var keep = {{ this.keep|tojson }};
            var style = {{ this.style|tojson }};
            var fields = {{ this.fields|tojson }};
            var pane = {{ this.pane|tojson }};
            var map = {{ this._parent.get_name() }};
            if (pane && !map.getPane(pane)) {
                var p = map.createPane(pane);
                p.style.zIndex = 450;  /* above the overlays (400), below popups */
                p.style.pointerEvents = 'none';
            }
            var layer = L.geoJson(null, {
                pane: pane || 'overlayPane',
                interactive: !pane,
                filter: function(f) {
                    return keep === null
                        || keep.indexOf(f.properties[{{ this.filter_key|tojson }}]) >= 0;
                },
                style: function() { return style; },
                pointToLayer: function(f, latlng) {
                    var pru = f.properties.pru;
                    var c = pru ? {{ this.pru_colour|tojson }} : {{ this.colour|tojson }};
                    return L.circleMarker(latlng, Object.assign({}, style,
                        {color: c, fillColor: c, radius: pru ? 6 : 3.5}));
                },
                onEachFeature: function(f, l) {
                    if (!fields.length) { return; }
                    var rows = fields.map(function(kv) {
                        return '<tr><th>' + kv[1] + '</th><td>'
                            + (f.properties[kv[0]] == null ? '' : f.properties[kv[0]])
                            + '</td></tr>';
                    }).join('');
                    l.bindTooltip('<table>' + rows + '</table>', {sticky: true});
                }
            });
            var loaded = false;
            layer.on('add', function() {
                if (loaded) { return; }
                loaded = true;
                (__FETCH_ONCE__)({{ this.url|tojson }}).then(function(d) {
                    layer.addData(d);
                }, function() { loaded = false; });
            });
            return layer;
        })();
        {% endmacro %}
        """.replace("__FETCH_ONCE__", _FETCH_ONCE)
    )

    def __init__(
        self,
        url: str,
        *,
        name: str,
        style: dict[str, Any],
        fields: dict[str, str],
        show: bool = True,
        filter_key: str = "",
        keep: Sequence[str] | None = None,
        pane: str = "",
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self.pane = pane
        self._name = "GeoJsonFile"
        self.url = url
        self.style = style
        self.fields = [[k, html.escape(v)] for k, v in fields.items()]
        self.filter_key = filter_key
        self.keep = list(keep) if keep else None
        self.colour, self.pru_colour = SCHOOL_COLOUR, PRU_COLOUR


def add_static_layer(
    m: folium.Map,
    key: str,
    url: str,
    *,
    show: bool = True,
    keep: Sequence[str] | None = None,
) -> None:
    """One of `STATIC_LAYERS`, loaded by the browser from `url`.

    `url` serves the layer's `static_layer_files` file; districts can be limited
    to the codes in `keep`.
    """
    name, style, fields, pane = STATIC_LAYERS[key]
    _GeoJsonFile(
        url, name=name, style=style, fields=fields, show=show,
        filter_key="lad_code", keep=keep, pane=pane,
    ).add_to(m)  # fmt: skip


class _Raw(Element):
    """Text added to a figure as it is: never compiled as a Jinja template.

    branca wraps every rendered script in ``Element(text)``, which compiles the
    text (with a layer's data, hundreds of kB) as a template.
    """

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


#: folium's GeoJsonTooltip and GeoJsonPopup styles (their class names are kept),
#: at a fixed small size: at the frame's inherited size a ward's tooltip was wider
#: than half the map and ran off its edge.
_TABLE_CSS = """
    <style>
        .foliumtooltip, .foliumpopup { font-size: 12px; line-height: 1.35; }
        .foliumtooltip table, .foliumpopup table { margin: auto; }
        .foliumpopup { margin: auto; }
        .foliumtooltip tr, .foliumpopup tr { text-align: left; }
        .foliumtooltip th, .foliumpopup th { padding: 2px; padding-right: 8px; }
    </style>
"""


def _script_json(data: Any) -> str:
    """`data` (or its JSON text) as compact JSON that can sit in a ``<script>``.

    Every ``<`` is written ``\u003c`` (the same string to `JSON.parse`), so no
    ``</script>`` or ``<!--`` can end or confuse the element; text is already
    HTML-escaped. Non-finite numbers, which JSON cannot carry, become null.
    """
    text = data if isinstance(data, str) else _compact_json(data)
    return text.replace("<", "\\u003c")


def _compact_json(data: Any) -> str:
    """`data` as compact JSON; non-finite numbers (not JSON) become null."""
    try:
        return json.dumps(data, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class _InlineGeoJson(Layer):
    """A GeoJSON layer whose data travels in the page's HTML, not in its script.

    The data (a FeatureCollection, or its JSON text from `_collection_json`) is
    written once (`_script_json`) into
    ``<script type="application/json" id=...>`` in the figure's HTML part (the
    body, before the map's script, in folium's pages and in streamlit-folium's
    frame alike) and parsed there by the layer's small script. folium's GeoJson
    puts the data in the script, where branca compiles it as a Jinja template and
    streamlit-folium renders and scans it again (0.6 s for the county's map).

    Every feature gets `style` (and `highlight` while the pointer is over it);
    `tooltip` and `popup` (property -> label, or None) are tables like folium's
    GeoJsonTooltip (sticky) and GeoJsonPopup (numbers in the browser's locale);
    with `marker` (circle marker options) points are circle markers of radius
    ``3 + min(8, sqrt(n))`` for their ``n`` property. Listed in the layer control.

    With `url`, the features come from that GeoJSON file (`static_layer_files`),
    fetched once per frame, and `data` is ``{feature's join property: its own
    properties}`` (a view's statistics), added to each feature's; `keep` limits
    the features to those whose `keep_key` property is one of `keep`. Such a
    layer is drawn below the map's other vector layers (a base layer).

    With `points`, `data` is a table of points instead of GeoJSON: ``{"lon":
    [...], "lat": [...], property: [...], ...}`` (a third of the size); with
    `lazy`, the data is read and its features made only when the layer is first
    shown (the incident points, shown only when zoomed in).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var source = document.getElementById({{ this.data_id|tojson }});
            var points = {{ this.points|tojson }};
            function read() {
                var d = source ? JSON.parse(source.textContent) : null;
                if (!d || !points) { return d; }
                // a table of points: {lon: [...], lat: [...], property: [...]}
                var names = Object.keys(d).filter(function(k) {
                    return k !== 'lon' && k !== 'lat';
                });
                return d.lon.map(function(x, i) {  /* features, as addData takes */
                    var p = {};
                    names.forEach(function(k) { p[k] = d[k][i]; });
                    return {type: 'Feature', properties: p,
                            geometry: {type: 'Point', coordinates: [x, d.lat[i]]}};
                });
            }
            var lazy = {{ this.lazy|tojson }};
            var data = lazy ? null : read();
            var url = {{ this.url|tojson }};
            var join = {{ this.join|tojson }};
            var keep = {{ this.keep|tojson }};
            var keepKey = {{ this.keep_key|tojson }};
            var style = {{ this.style|tojson }};
            var highlight = {{ this.highlight|tojson }};
            var tooltip = {{ this.tooltip|tojson }};
            var popup = {{ this.popup|tojson }};
            var marker = {{ this.marker|tojson }};
            function cell(v) {
                if (v === null || v === undefined) { return ''; }
                return typeof v === 'object' ? JSON.stringify(v) : v;
            }
            function table(fields, locale) {
                return function(l) {
                    var p = l.feature.properties;
                    return '<table>' + fields.map(function(kv) {
                        var v = cell(p[kv[0]]);
                        return '<tr><th>' + kv[1] + '</th><td>'
                            + (locale ? v.toLocaleString() : v) + '</td></tr>';
                    }).join('') + '</table>';
                };
            }
            var layer = L.geoJson(null, {
                style: style ? function() { return style; } : undefined,
                pointToLayer: marker ? function(f, latlng) {
                    return L.circleMarker(latlng, Object.assign({}, marker,
                        {radius: 3 + Math.min(8, Math.sqrt(f.properties.n))}));
                } : undefined,
                onEachFeature: highlight ? function(f, l) {
                    l.on({
                        mouseout: function(e) { layer.resetStyle(e.target); },
                        mouseover: function(e) { e.target.setStyle(highlight); }
                    });
                } : undefined
            });
            if (tooltip) {
                layer.bindTooltip(table(tooltip, false),
                    {sticky: true, className: 'foliumtooltip'});
            }
            if (popup) {
                layer.bindPopup(table(popup, true), {className: 'foliumpopup'});
            }
            if (url) {
                // every view drawn in place joins its own properties to the
                // features of the same file, fetched and parsed once
                (__FETCH_ONCE__)(url).then(function(d) {
                    layer.addData(d.features.filter(function(f) {
                        return keep === null || keep.indexOf(f.properties[keepKey]) >= 0;
                    }).map(function(f) {
                        var own = (data && data[f.properties[join]]) || {};
                        return {type: 'Feature', id: f.id, geometry: f.geometry,
                                properties: Object.assign({}, f.properties, own)};
                    }));
                    // drawn after the view's other layers (the file comes later),
                    // but below them: the topmost shape under the pointer takes
                    // it, and the hotspots' popups must stay reachable
                    layer.bringToBack();
                }, function() {});  /* no file: the layer stays empty */
            } else if (lazy) {
                layer.once('add', function() {
                    var d = read();
                    if (d) { layer.addData(d); }
                });
            } else if (data) { layer.addData(data); }
            return layer;
        })();
        {% endmacro %}
        """.replace("__FETCH_ONCE__", _FETCH_ONCE)
    )

    def __init__(
        self,
        data: dict[str, Any] | str,
        *,
        name: str,
        style: dict[str, Any] | None = None,
        highlight: dict[str, Any] | None = None,
        tooltip: Mapping[str, str] | None = None,
        popup: Mapping[str, str] | None = None,
        marker: dict[str, Any] | None = None,
        show: bool = True,
        url: str | None = None,
        join: str | None = None,
        keep: Sequence[str] | None = None,
        keep_key: str | None = None,
        points: bool = False,
        lazy: bool = False,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "InlineGeoJson"
        if url is not None and join is None:
            raise ValueError(
                "A layer from a file needs `join`: the property to join on."
            )
        if keep is not None and keep_key is None:
            raise ValueError("`keep` needs `keep_key`: the property it lists.")
        if lazy and url is not None:
            raise ValueError("A layer from a file is read at once; `lazy` is for data.")
        self.url, self.join, self.keep_key = url, join, keep_key
        self.points, self.lazy = points, lazy
        self.keep = list(keep) if keep is not None else None
        self.data_json = _script_json(data)
        digest = hashlib.sha256(self.data_json.encode()).hexdigest()[:16]
        # hyphens: streamlit-folium rewrites `_[a-z0-9]+` names in the script
        self.data_id = f"hotspots-geojson-{digest}"
        self.style = style
        self.highlight = highlight
        self.tooltip = _fields(tooltip)
        self.popup = _fields(popup)
        self.marker = marker

    def render(self, **kwargs: Any):
        """Add the data to the figure's HTML and the script to its script, raw.

        As `Layer.render` (which adds a shown layer to the map), but the texts
        are added as they are: branca would compile both as Jinja templates.
        """
        parent = self._parent
        assert parent is not None, "add the layer to a map first"
        if self.show:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(),
                    element_parent_name=parent.get_name(),
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        assert isinstance(figure, folium.Figure), "render the map's figure"
        if self.tooltip or self.popup:
            figure.header.add_child(_Raw(_TABLE_CSS), name="inline_geojson_css")
        figure.html.add_child(
            _Raw(
                f'\n<script type="application/json" id="{self.data_id}">'
                f"{self.data_json}</script>\n"
            ),
            name=self.get_name(),
        )
        script = self._template.module.script(self, kwargs)
        figure.script.add_child(_Raw(script), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def _fields(fields: Mapping[str, str] | None) -> list[list[str]] | None:
    """Property -> label as [property, HTML-escaped label] pairs (None: no table)."""
    if not fields:
        return None
    return [[k, html.escape(v)] for k, v in fields.items()]


def add_image(
    m: folium.Map,
    url: str,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    *,
    name: str,
    show: bool = True,
) -> None:
    """Draw a Web Mercator image (`hotspots.raster.WebImage`) as a map layer.

    `url` is the image's data URL and `bounds` ``((south, west), (north, east))``.
    """
    folium.raster_layers.ImageOverlay(
        image=url,
        bounds=[list(bounds[0]), list(bounds[1])],
        name=name,
        mercator_project=False,
        interactive=False,
        show=show,
    ).add_to(m)


def add_hotspots(
    m: folium.Map,
    polygons: gpd.GeoDataFrame,
    *,
    name: str,
    fields: dict[str, str],
    outlines: GeometryArray | None = None,
) -> None:
    """Hotspot outlines with a popup of their statistics (fields: column -> label).

    `outlines`: `display_outlines(polygons)` if made already.
    """
    if polygons.empty:
        return
    present = {f: label for f, label in fields.items() if f in polygons}
    # only the columns shown are simplified, reprojected and escaped
    if outlines is None:
        shown = _web(polygons[[*present, polygons.geometry.name]], outlines=True)
    elif len(outlines) == len(polygons):
        shown = gpd.GeoDataFrame(
            pd.DataFrame(polygons[list(present)]), geometry=outlines, crs=WEB_CRS
        )
    else:
        raise ValueError(
            f"{len(outlines)} outlines for {len(polygons)} polygons: make them with "
            "`display_outlines` of the same polygons."
        )
    p = _escape(shown)
    _InlineGeoJson(
        _collection_json(p),
        name=name,
        style={
            "color": HOTSPOT_OUTLINE,
            "weight": 2.5,
            "fillColor": HOTSPOT_OUTLINE,
            "fillOpacity": 0.08,
        },
        highlight={"weight": 4, "fillOpacity": 0.2},
        tooltip=dict(list(present.items())[:2]),
        popup=present,
    ).add_to(m)


def add_schools(
    m: folium.Map, schools: gpd.GeoDataFrame, *, show: bool = False
) -> None:
    """Schools, with pupil referral units and alternative provision marked."""
    features = _school_features(schools)
    # one GeoJSON layer, not 828 markers: a fraction of the page weight
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="Schools, PRUs and alternative provision",
        show=show,
        marker=folium.CircleMarker(radius=4, weight=1, fill_opacity=0.9),
        style_function=lambda f: {
            "color": PRU_COLOUR if f["properties"]["pru"] else SCHOOL_COLOUR,
            "fillColor": PRU_COLOUR if f["properties"]["pru"] else SCHOOL_COLOUR,
            "radius": 6 if f["properties"]["pru"] else 3.5,
        },
        tooltip=folium.GeoJsonTooltip(["name", "kind"], aliases=["School", "Type"]),
    ).add_to(m)


def _school_features(schools: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Located schools as GeoJSON point features: name, kind, pru (WGS84)."""
    s = schools[~(schools.geometry.isna() | schools.geometry.is_empty)]
    s = _escape(s.to_crs(WEB_CRS))
    vulnerable = (s["pupil_referral_unit"] | s["alternative_provision"]).to_numpy()
    kind = np.where(
        vulnerable,
        "Pupil referral unit / alternative provision",
        s["phase"].astype(str),
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
            "properties": {"name": name, "kind": k, "pru": bool(v)},
        }
        for x, y, name, k, v in zip(
            s.geometry.x, s.geometry.y, s["name"], kind, vulnerable, strict=True
        )
    ]
    return features


class _ZoomGate(MacroElement):
    """Show a layer only at or above a zoom level (keeps the county view light)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer_name }};
            function gate() {
                if (map.getZoom() >= {{ this.min_zoom }}) {
                    if (!map.hasLayer(layer)) { map.addLayer(layer); }
                } else if (map.hasLayer(layer)) { map.removeLayer(layer); }
            }
            map.on('zoomend', gate);
            gate();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: Layer, min_zoom: int):
        super().__init__()
        self.layer_name = layer.get_name()
        self.min_zoom = int(min_zoom)


def add_points(
    m: folium.Map,
    locations: pd.DataFrame,
    *,
    min_zoom: int = 15,
) -> None:
    """Incident locations (lon, lat, incidents, label), drawn only when zoomed in.

    `locations` must already exclude safeguarding incidents: this function draws
    whatever it is given.
    """
    digits = round(-np.log10(DISPLAY_GRID_DEG))  # as the outlines: about 1 m
    table = {
        "lon": np.round(locations["lon"].to_numpy(float), digits).tolist(),
        "lat": np.round(locations["lat"].to_numpy(float), digits).tolist(),
        "n": locations["incidents"].to_numpy(int).tolist(),
        "label": _escape_column(locations["label"]).tolist(),
    }
    # circle markers of radius 3 + min(8, sqrt(n)), filled lightly: an unfilled
    # circle (as folium drew them) took the pointer on its outline only, so its
    # tooltip was hard to find, and a dark fill would hide the surface below.
    # A table, not GeoJSON (4,000 points: 0.5 MB less per view), made into
    # markers only once the layer is shown (most views never zoom in that far)
    layer = _InlineGeoJson(
        table,
        points=True,
        lazy=True,
        name=f"Incident locations (zoom {min_zoom}+)",
        show=False,
        marker={
            "stroke": True,
            "color": "#333333",
            "weight": 1,
            "opacity": 1.0,
            "fill": True,
            "fillColor": "#333333",
            "fillOpacity": 0.3,
        },
        tooltip={"label": "Where", "n": "Incidents"},
    )
    layer.add_to(m)
    m.add_child(_ZoomGate(layer, min_zoom))


class _Legend(MacroElement):
    """A legend drawn by Leaflet itself (no external scripts)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'hotspots-legend');
                div.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 8px;'
                    + 'font:12px/1.35 sans-serif;border-radius:4px;box-shadow:0 1px 4px #0004;'
                    + 'max-width:240px';
                div.innerHTML = {{ this.html }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, body: str):
        super().__init__()
        self.html = json.dumps(body)


def add_density_legend(m: folium.Map, *, vmax: float, title: str) -> None:
    """Legend of the density ramp: 0 to `vmax` in the unit given by `title`."""
    gradient = ", ".join(DENSITY_COLOURS)
    ticks = np.linspace(0, vmax, 3)
    labels = "".join(f"<span>{_num(t)}</span>" for t in ticks)
    body = (
        f"<b>{html.escape(title)}</b>"
        f"<div style='height:10px;background:linear-gradient(to right, {gradient});"
        "margin:4px 0'></div>"
        f"<div style='display:flex;justify-content:space-between'>{labels}</div>"
        f"<div style='margin-top:4px'><span style='display:inline-block;width:14px;"
        f"height:10px;border:2px solid {HOTSPOT_OUTLINE};vertical-align:middle'></span>"
        " hotspot outline</div>"
    )
    m.add_child(_Legend(body))


def add_category_legend(
    m: folium.Map, *, title: str, items: Sequence[tuple[str, str]]
) -> None:
    """Legend of coloured classes: (colour, label) pairs."""
    rows = "".join(
        f"<div><span style='display:inline-block;width:14px;height:10px;"
        f"background:{c};margin-right:5px;vertical-align:middle'></span>"
        f"{html.escape(label)}</div>"
        for c, label in items
    )
    m.add_child(_Legend(f"<b>{html.escape(title)}</b>{rows}"))


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def fit(
    m: folium.Map, bounds: Sequence[float], *, crs: Any = None, padding: int = 0
) -> None:
    """Fit the view to ``(minx, miny, maxx, maxy)`` given in `crs` (default WGS84).

    `padding`: pixels kept clear inside the map's edges.
    """
    minx, miny, maxx, maxy = bounds
    if crs is not None:
        box = to_web(gpd.GeoSeries.from_xy([minx, maxx], [miny, maxy], crs=crs))
        minx, maxx = box.x.min(), box.x.max()
        miny, maxy = box.y.min(), box.y.max()
    m.fit_bounds(
        [[miny, minx], [maxy, maxx]], padding=(padding, padding) if padding else None
    )


def finish(m: folium.Map) -> folium.Map:
    """Add the layer control (last, so it lists every layer)."""
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def component_args(fmap: folium.Map, *, key: str) -> dict[str, Any]:
    """What ``st_folium(fmap, returned_objects=[], key=key)`` sends the browser.

    The same steps as streamlit-folium's `st_folium` (0.27, pinned), rendering the
    map once instead of twice, and returned so it can be cached and saved:
    building and rendering the county's map took about a second on every rerun.
    The dashboard sends it split for drawing in place (`in_place_args`).
    """
    import streamlit_folium as sf

    fmap.get_root().render()
    html = sf._get_html(fmap)
    header = sf._get_header(fmap)
    script = sf._get_map_string(fmap)  # renames the map: after html and header

    def links(node: Any, attr: str) -> list[str]:
        own = [src for _, src in getattr(node, attr, [])]
        kids = getattr(node, "_children", {}).values()
        return own + [src for child in kids for src in links(child, attr)]

    return {
        "script": script,
        "header": header,
        "html": html,
        "id": sf.get_full_id(fmap),
        "key": sf.generate_js_hash(script, key, False),
        "css_links": list(dict.fromkeys(links(fmap, "default_css"))),
        "js_links": list(dict.fromkeys(links(fmap, "default_js"))),
    }


#: The first statement of a map's script as streamlit-folium renders it: the map
#: made (named ``map_div``), before any layer, control or view is added to it.
_MAP_CREATION = re.compile(r"\A\s*var map_div = L\.map\(.*?\n\s*\);", re.S)
_STYLE = re.compile(r"<style>.*?</style>", re.S)

#: Replaces the previous view's content of the map in the frame by this view's:
#: every layer (but the canvas renderers), the controls, event handlers and data
#: elements the previous view added are removed, then the view's script runs
#: against the same map. The map's own zoom buttons (made with it) stay, and so
#: does the basemap's tile layer: the view's ``L.tileLayer`` of the same tiles
#: gives the one on the map (one basemap per frame, `map_args`), whose tiles
#: are then neither fetched nor drawn again.
_IN_PLACE = """
(function() {
    var map = map_div;
    var last = window.__hotspotsView;
    if (last) {
        last.handlers.forEach(function(h) { map.off(h[0], h[1]); });
        last.controls.forEach(function(c) { c.remove(); });
        last.holder.remove();
    }
    map.closePopup();
    // every layer but the canvas renderers, which the next layers draw on, and
    // the basemap's tiles: a frame has one basemap, so the tile layer this view
    // makes is the one drawn already (made anew, every tile would be fetched
    // and drawn again, the map blank meanwhile)
    var tiles = {};
    map.eachLayer(function(layer) {
        if (layer instanceof L.TileLayer && !tiles[layer._url]) {
            tiles[layer._url] = layer;
        } else if (!(layer instanceof L.Renderer)) {
            map.removeLayer(layer);
        }
    });
    var view = {handlers: [], controls: [], holder: document.createElement('div')};
    view.holder.innerHTML = __HTML__;
    document.body.appendChild(view.holder);
    var addTo = L.Control.prototype.addTo;
    map.on = function(types, fn, context) {
        // the view script's own handlers ('zoomend', gate); those of layers and
        // controls (an object of handlers and the layer) go with them
        if (typeof types === 'string' && context === undefined) {
            view.handlers.push([types, fn]);
        }
        return L.Map.prototype.on.apply(this, arguments);
    };
    L.Control.prototype.addTo = function(m) {
        view.controls.push(this);
        return addTo.apply(this, arguments);
    };
    var tileLayer = L.tileLayer;
    L.tileLayer = function(url) {
        var kept = tiles[url];
        if (kept) { delete tiles[url]; return kept; }
        return tileLayer.apply(this, arguments);
    };
    // a view fitted to where the map is already (the same districts) does not
    // move it: a move of no pixel still redraws every shape (20 ms of the
    // browser's for the county's 2,800 cluster outlines)
    map.fitBounds = function(bounds, options) {
        var box = L.latLngBounds(bounds);
        var to = box.isValid() && this._loaded && this._getBoundsCenterZoom(box, options);
        if (to && to.zoom === this.getZoom()) {
            var by = this.project(to.center).subtract(this.project(this.getCenter()));
            if (!by.round().x && !by.round().y) { return this; }
        }
        return L.Map.prototype.fitBounds.apply(this, arguments);
    };
    try {
__SCRIPT__
    } finally {
        delete map.on;
        delete map.fitBounds;
        L.Control.prototype.addTo = addTo;
        L.tileLayer = tileLayer;
    }
    // tiles this view does not have
    Object.keys(tiles).forEach(function(url) { map.removeLayer(tiles[url]); });
    window.__hotspotsView = view;
    map.getContainer().dataset.view = __VIEW__;
})();
"""


def in_place_args(fmap: folium.Map, *, key: str, view: str) -> dict[str, Any]:
    """`component_args` of a map drawn in place of the previous one in its frame.

    A new map in a new frame (streamlit-folium's way when its script changes)
    cost the browser 0.25-0.45 s a view: a new iframe, its component bundle,
    Leaflet and the map made again. Here the map itself (the first statement of
    the script: the same for every view) makes the component's identity, so the
    frame and the Leaflet map stay for every view drawn with the same `key`, and
    the rest (layers, legend, layer control, the view's bounds, the data in the
    page's HTML and its styles) travels as streamlit-folium's ``feature_group``
    script, which it runs whenever it changes. `view` names the view: the map's
    container carries it as ``data-view`` once drawn.
    """
    import streamlit_folium as sf

    args = component_args(fmap, key=key)
    made = _MAP_CREATION.match(args["script"])
    if made is None:
        raise RuntimeError(
            "The map's script does not start by making the map (has the pinned "
            "folium or streamlit-folium changed?)."
        )
    creation = made.group(0)
    styles = "".join(_STYLE.findall(args["header"]))
    parts = {
        "__HTML__": json.dumps(styles + args["html"]),
        "__VIEW__": json.dumps(view),
        "__SCRIPT__": args["script"][made.end() :],
    }
    # one pass: no marker is looked for inside the texts put in
    update = re.sub("__HTML__|__VIEW__|__SCRIPT__", lambda m: parts[m[0]], _IN_PLACE)
    return {
        **args,
        "script": creation,
        "html": "",
        "key": sf.generate_js_hash(creation, key, False),
        "feature_group": update,
    }


def dashboard_map(
    result: Any,
    ref: Any,
    ward_stats: pd.DataFrame | None,
    *,
    basemap: str,
    districts: Sequence[str] | None,
    focus: int | None = None,
    static_urls: Mapping[str, str] | None = None,
    wards: Sequence[str] | None = None,
) -> folium.Map:
    """The dashboard's map: boundaries, the method's surface, hotspots, schools, points.

    `result` is a `hotspots.dashboard.MapResult`, `ref` a `Reference`; the view
    is fitted to the `districts` (default all), or to the `wards` if given, or
    with `focus` (a hotspot_id) to that hotspot. `static_urls`
    (layer key -> URL of its `static_layer_files` file) has the browser load the
    districts, wards and schools from files instead of carrying them in every
    map; only the wards' statistics for the view travel with it.
    """
    static = dict(static_urls or {})
    m = new_map(basemap=basemap)
    stats = None
    if ward_stats is not None and len(ward_stats):
        cols = ["ward_code", "incidents", "rate_per_1000", "change_pct"]
        stats = ward_stats[cols].assign(
            rate_per_1000=ward_stats["rate_per_1000"].round(1),
            change_pct=ward_stats["change_pct"].map(
                lambda v: "n/a" if pd.isna(v) else f"{v:+.0f}%"
            ),
        )
    ward_fields = {
        "ward_name": "Ward",
        "lad_name": "District",
        "incidents": "Incidents",
        "rate_per_1000": "Per 1,000 residents",
        "change_pct": "Change on previous period",
    }
    if "wards" in static:  # the outlines from a file, the view's numbers inline
        _add_ward_file(m, static["wards"], stats, ward_fields, keep=districts)
    else:
        # with the districts from a file, the wards are drawn from their display
        # geometry made once per process (the same shapes: simplified one by one)
        shapes = _web_once(ref.wards) if "districts" in static else ref.wards
        if districts:
            shapes = shapes[shapes["lad_code"].isin(districts)]
        if stats is not None:
            shapes = shapes.merge(stats, on="ward_code", how="left")
        _add_wards(m, shapes, ward_fields, web="districts" in static)
    dists = ref.districts
    if districts:
        dists = dists[dists["lad_code"].isin(districts)]
    if "districts" in static:
        add_static_layer(m, "districts", static["districts"], keep=districts)
    else:
        _add_districts(m, dists, None)
    if result.image_url is not None:
        add_image(
            m,
            result.image_url,
            result.image_bounds,
            name="Density surface" if result.method == "kde" else "Gi* cells",
        )
    add_hotspots(
        m,
        result.hotspots,
        name="Hotspots",
        fields={
            "hotspot_id": "Hotspot",
            "incidents": "Incidents",
            "top_categories": "Top categories",
            "months_active": "Months active",
            "trend": "Trend",
            "wards": "Wards",
            "area_km2": "Area (km²)",
        },
        outlines=getattr(result, "outlines", None),
    )
    if "schools" in static:
        add_static_layer(m, "schools", static["schools"], show=False)
    else:
        add_schools(m, ref.schools)
    if len(result.points):
        add_points(m, result.points, min_zoom=15)
    legend = result.legend
    if legend.get("kind") == "density":
        add_density_legend(m, vmax=legend["vmax"], title=legend["title"])
    elif legend.get("kind") == "gistar":
        add_category_legend(
            m,
            title=legend["title"],
            items=[
                (GISTAR_COLOURS[b], GISTAR_LABELS[b]) for b in (3, 2, 1, -1, -2, -3)
            ],
        )
    else:
        add_category_legend(
            m, title="Clusters", items=[(HOTSPOT_OUTLINE, "cluster outline")]
        )
    target = result.hotspots
    if focus is not None and len(target):
        target = target[target["hotspot_id"] == focus]
    if focus is not None and len(target):
        fit(m, target.total_bounds, crs=target.crs)
    elif wards:
        chosen = ref.wards[ref.wards["ward_code"].isin(wards)]
        fit(m, (chosen if len(chosen) else dists).total_bounds, crs=dists.crs)
    else:
        fit(m, dists.total_bounds, crs=dists.crs)
    return finish(m)


def plan_map(
    sites: gpd.GeoDataFrame,
    footprints: gpd.GeoDataFrame,
    ref: Any,
    *,
    basemap: str,
    districts: Sequence[str] | None = None,
) -> folium.Map:
    """Street-week sites: numbered markers, their footprints and the boundaries."""
    m = new_map(basemap=basemap)
    dists = ref.districts
    wards = ref.wards
    if districts:
        dists = dists[dists["lad_code"].isin(districts)]
        wards = wards[wards["lad_code"].isin(districts)]
    add_boundaries(m, dists, wards)
    rings = _escape(footprints.to_crs(WEB_CRS))
    folium.GeoJson(
        rings[["geometry"]],
        name="Footprints",
        style_function=lambda _: {
            "color": "#7570b3",
            "weight": 2.5,
            "fillColor": "#7570b3",
            "fillOpacity": 0.15,
        },
    ).add_to(m)
    pts = _escape(sites.to_crs(WEB_CRS))
    group = folium.FeatureGroup(name="Street-week sites")
    for row in pts.itertuples():
        folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=(
                    # border inside the 24 px, so the anchor is the centre
                    "<div style='background:#7570b3;color:#fff;border-radius:50%;"
                    "box-sizing:border-box;width:24px;height:24px;line-height:20px;"
                    "text-align:center;"
                    f"font:bold 13px sans-serif;border:2px solid #fff'>{int(row.rank)}</div>"
                ),
                icon_size=(24, 24),
                icon_anchor=(12, 12),
            ),
            tooltip=f"{int(row.rank)}. {row.ward_name}, {row.lad_name}",
            popup=folium.Popup(
                f"<b>Site {int(row.rank)}</b><br>{row.explanation}", max_width=320
            ),
        ).add_to(group)
    group.add_to(m)
    add_category_legend(
        m, title="Street weeks", items=[("#7570b3", "site and its footprint")]
    )
    # the numbered markers and footprints at the edge stay whole
    fit(
        m,
        footprints.total_bounds if len(footprints) else dists.total_bounds,
        crs=dists.crs,
        padding=30,
    )
    return finish(m)


#: Leaflet.draw served by the dashboard (static/leaflet-draw), so drawing an area
#: works with no internet (folium's Draw plugin would fetch it from a CDN).
LEAFLET_DRAW_JS = [("leaflet_draw_js", "/app/static/leaflet-draw/leaflet.draw.js")]
LEAFLET_DRAW_CSS = [("leaflet_draw_css", "/app/static/leaflet-draw/leaflet.draw.css")]
#: PSPO map colours (ColorBrewer Dark2, colour-blind safe): the area, its buffer
#: ring, the control.
PSPO_COLOURS = {"area": "#d95f02", "buffer": "#7570b3", "control": "#1b9e77"}


def pspo_map(
    ref: Any,
    *,
    basemap: str,
    area: Any = None,
    buffer: Any = None,
    control: Any = None,
    districts: Sequence[str] | None = None,
    draw: bool = False,
) -> folium.Map:
    """The PSPO tab's map: the area (and buffer ring and control), boundaries.

    `area`, `buffer` and `control` are shapely geometries in EPSG:27700 (or None).
    With ``draw=True`` the map carries polygon and rectangle drawing tools
    (Leaflet.draw, served locally); the dashboard reads the drawn shape back.
    """
    from folium.plugins import Draw

    m = new_map(basemap=basemap)
    dists, wards = ref.districts, ref.wards
    if districts:
        dists = dists[dists["lad_code"].isin(districts)]
        wards = wards[wards["lad_code"].isin(districts)]
    add_boundaries(m, dists, wards)
    crs = ref.districts.crs
    legend: list[tuple[str, str]] = []
    shown = []
    for key, geom, label, opacity in (
        ("control", control, "control area", 0.06),
        ("buffer", buffer, "buffer (displacement catchment)", 0.2),
        ("area", area, "the area", 0.25),
    ):
        if geom is None or geom.is_empty:
            continue
        colour = PSPO_COLOURS[key]
        layer = _web(gpd.GeoDataFrame(geometry=[geom], crs=crs))
        folium.GeoJson(
            layer,
            name=label[0].upper() + label[1:],
            style_function=lambda _, c=colour, o=opacity: {
                "color": c,
                "weight": 2.5,
                "fillColor": c,
                "fillOpacity": o,
            },
        ).add_to(m)
        legend.append((colour, label))
        shown.append(geom)
    if draw:
        tools = Draw(
            export=False,
            draw_options={
                "polyline": False,
                "circle": False,
                "circlemarker": False,
                "marker": False,
                "polygon": {"allowIntersection": False, "showArea": True},
                "rectangle": True,
            },
            edit_options={"edit": False},
        )
        tools.default_js = list(LEAFLET_DRAW_JS)
        tools.default_css = list(LEAFLET_DRAW_CSS)
        tools.add_to(m)
    if legend:
        add_category_legend(m, title="PSPO", items=legend[::-1])
    focus = [g for g in shown if g is not None]
    if area is not None and not area.is_empty:
        focus = [area] + ([buffer] if buffer is not None else [])
    if focus:
        bounds = gpd.GeoSeries(focus, crs=crs).total_bounds
        pad = 150.0
        fit(m, (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad),
            crs=crs)  # fmt: skip
    else:
        fit(m, dists.total_bounds, crs=dists.crs)
    return finish(m)


def trends_map(
    ref: Any,
    url: str | None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None,
    patterns: Sequence[str],
    *,
    basemap: str,
    districts: Sequence[str] | None = None,
) -> folium.Map:
    """The emerging hot spot map: cells coloured by pattern, boundaries, a legend.

    `url` and `bounds`: the cells as a Web Mercator image
    (`dashboard.trend_cells`); `patterns`: those found, for the legend.
    """
    m = new_map(basemap=basemap)
    dists, wards = ref.districts, ref.wards
    if districts:
        dists = dists[dists["lad_code"].isin(districts)]
        wards = wards[wards["lad_code"].isin(districts)]
    if url is not None and bounds is not None:
        add_image(m, url, bounds, name="Hot spot patterns (cells)")
    add_boundaries(m, dists, wards)
    if patterns:
        items = [(TREND_COLOURS[p], p) for p in patterns]
        add_category_legend(m, title="Hot spot pattern", items=items)
    fit(m, dists.total_bounds, crs=dists.crs)
    return finish(m)
