"""The dashboard map's data layers: data in the page's HTML, features and tables kept."""

from __future__ import annotations

import json
import math
import re
from types import SimpleNamespace
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box, shape

from hotspots import mapping
from hotspots.dashboard import load_reference

THANET = "E07000114"
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.DOTALL
)
HOSTILE = "</script><script>alert(1)</script><!--"
#: Where the dashboard's maps load their fixed layers from (as app.py serves them).
STATIC_URLS = {
    "districts": "/d.geojson",
    "wards": "/w.geojson",
    "schools": "/s.geojson",
}


@pytest.fixture(scope="module")
def ref() -> Any:
    return load_reference()


@pytest.fixture(scope="module")
def drawn(ref: Any) -> dict[str, Any]:
    """A Thanet dashboard map: its inputs, its page and streamlit-folium's parts."""
    import streamlit_folium as sf

    wards = ref.wards[ref.wards["lad_code"] == THANET]
    stats = pd.DataFrame(
        {
            "ward_code": wards["ward_code"].to_numpy(),
            "incidents": range(len(wards)),
            "rate_per_1000": [1.25 * i for i in range(len(wards))],
            "change_pct": [float("nan"), *[10.0] * (len(wards) - 1)],
        }
    )
    hotspots = gpd.GeoDataFrame(
        {
            "hotspot_id": [1, 2],
            "incidents": [1234, 56],
            "top_categories": [HOSTILE, "Drugs 100%"],
            "months_active": [4, 2],
            "trend": ["rising", "too few to tell"],
            "wards": ["Cliftonville West", "Central Harbour"],
            "area_km2": [0.31, float("nan")],
        },
        geometry=[
            box(635_000, 170_500, 635_600, 171_000),
            box(637_500, 165_000, 638_000, 165_400),
        ],
        crs="EPSG:27700",
    )
    points = pd.DataFrame(
        {
            "lon": [1.3843, 1.4159],
            "lat": [51.3914, 51.3595],
            "incidents": [37, 4],
            "label": ["On or near Odell House", HOSTILE],
        }
    )
    result = SimpleNamespace(
        method="kde",
        image_url=None,
        image_bounds=None,
        hotspots=hotspots,
        points=points,
        legend={"kind": "density", "vmax": 10.0, "title": "Incidents per km²"},
    )
    m = mapping.dashboard_map(
        result,
        ref,
        stats,
        basemap="none",
        districts=[THANET],
        static_urls=STATIC_URLS,
    )
    page = m.get_root().render()
    # what mapping.component_args sends the browser (streamlit-folium 0.27)
    html = sf._get_html(m)
    script = sf._get_map_string(m)
    return {
        "wards": wards,
        "stats": stats,
        "hotspots": hotspots,
        "points": points,
        "page": page,
        "html": html,
        "script": script,
    }


def _blocks(text: str) -> dict[str, dict[str, Any]]:
    return {i: json.loads(body) for i, body in DATA_BLOCK.findall(text)}


def _layer_script(script: str, data_id: str) -> str:
    """The layer's own script: from its data id to the next layer."""
    start = script.index(json.dumps(data_id))
    return script[start : start + 4000]


def test_layer_data_sits_in_the_html_part_not_in_the_script(drawn):
    blocks = _blocks(drawn["html"])
    assert len(blocks) == 3  # wards, hotspots, incident points
    for data_id in blocks:
        assert data_id in drawn["script"]  # the layer's script reads its block
    assert "FeatureCollection" not in drawn["script"]
    for name in drawn["wards"]["ward_name"]:
        assert json.dumps(name)[1:-1] not in drawn["script"]
    # in a folium page (exports, notebooks) the data comes before the map's script
    page = drawn["page"]
    assert _blocks(page).keys() == blocks.keys()
    last_block = max(page.index(i) for i in blocks)
    assert last_block < page.index("L.map(")


def test_every_ward_with_its_tooltip_fields(drawn):
    # the wards' outlines come from their file; the map carries only the view's
    # numbers, by ward code, which the layer joins to them
    data_id, numbers = next(iter(_blocks(drawn["html"]).items()))
    assert sorted(numbers) == sorted(drawn["stats"]["ward_code"])
    for row in drawn["stats"].itertuples():
        expected = "n/a" if math.isnan(row.change_pct) else f"{row.change_pct:+.0f}%"
        assert numbers[row.ward_code] == {
            "incidents": row.incidents,
            "rate_per_1000": round(row.rate_per_1000, 1),
            "change_pct": expected,
        }
    layer = _layer_script(drawn["script"], data_id)
    tooltip = [
        ["ward_name", "Ward"],
        ["lad_name", "District"],
        ["incidents", "Incidents"],
        ["rate_per_1000", "Per 1,000 residents"],
        ["change_pct", "Change on previous period"],
    ]
    assert f"var tooltip = {json.dumps(tooltip)};" in layer
    assert "var popup = null;" in layer
    assert 'var url = "/w.geojson";' in layer
    assert 'var join = "ward_code";' in layer
    assert f'var keep = ["{THANET}"];' in layer  # the view's districts only
    assert 'var keepKey = "lad_code";' in layer


def test_the_ward_file_has_every_ward_with_its_names_and_outline(ref):
    files = mapping.static_layer_files(ref)
    wards = json.loads(files["wards"])
    props = [f["properties"] for f in wards["features"]]
    assert len(props) == len(ref.wards)
    assert {tuple(p) for p in props} == {
        ("ward_code", "ward_name", "lad_code", "lad_name")
    }
    expected = ref.wards[["ward_code", "ward_name", "lad_code", "lad_name"]]
    assert sorted(tuple(p.values()) for p in props) == sorted(
        tuple(mapping._escape_value(v) for v in row)
        for row in expected.itertuples(index=False)
    )
    # the same display outlines as the wards drawn inline (WGS84, simplified)
    shown = mapping._web_once(ref.wards)
    by_code = dict(zip(shown["ward_code"], shown.geometry, strict=True))
    for f in wards["features"][:25]:
        outline = shape(f["geometry"])
        assert outline.is_valid
        assert outline.equals_exact(by_code[f["properties"]["ward_code"]], 1e-9)
    assert files["wards"].decode().count("<") == 0  # no markup in names


def test_points_are_rounded_to_about_a_metre_and_missing_labels_blank():
    m = folium.Map()
    mapping.add_points(
        m,
        pd.DataFrame(
            {"lon": [1.3843449], "lat": [51.39145501], "incidents": [3],
             "label": [pd.NA]}
        ),
    )  # fmt: skip
    (points,) = _blocks(m.get_root().render()).values()
    assert points == {
        "lon": [1.38434],
        "lat": [51.39146],
        "n": [3],
        "label": [""],
    }


def test_a_layer_from_a_file_needs_its_join():
    with pytest.raises(ValueError, match="join"):
        mapping._InlineGeoJson({}, name="x", url="/w.geojson")
    with pytest.raises(ValueError, match="keep_key"):
        mapping._InlineGeoJson({}, name="x", url="/w.geojson", join="a", keep=["b"])


def test_every_hotspot_with_its_tooltip_and_popup(drawn):
    data_id, hotspots = list(_blocks(drawn["html"]).items())[1]
    props = {
        f["properties"]["hotspot_id"]: f["properties"] for f in hotspots["features"]
    }
    assert sorted(props) == [1, 2]
    assert props[1]["incidents"] == 1234
    assert props[1]["wards"] == "Cliftonville West"
    assert props[2]["area_km2"] is None  # a missing value, not NaN (invalid JSON)
    # text reaches the tables' innerHTML HTML-escaped: no markup of its own
    assert props[1]["top_categories"].startswith("&lt;/script&gt;&lt;script&gt;")
    layer = _layer_script(drawn["script"], data_id)
    assert 'var tooltip = [["hotspot_id", "Hotspot"], ["incidents", "Incidents"]];' in (
        layer
    )
    for field, label in [
        ("top_categories", "Top categories"),
        ("months_active", "Months active"),
        ("trend", "Trend"),
        ("wards", "Wards"),
        ("area_km2", "Area (km\\u00b2)"),
    ]:
        assert f'["{field}", "{label}"]' in layer.split("var popup = ")[1]


def test_incident_points_are_a_zoom_gated_layer(drawn):
    # a table of points (a third of GeoJSON's size), coordinates to about 1 m
    data_id, points = list(_blocks(drawn["html"]).items())[2]
    assert points["n"] == [37, 4]
    assert points["label"][0] == "On or near Odell House"
    assert points["label"][1].startswith("&lt;/script&gt;")
    assert points["lon"] == [1.3843, 1.4159]
    assert points["lat"] == [51.3914, 51.3595]
    script = drawn["script"]
    layer_script = _layer_script(script, data_id)
    assert "var points = true;" in layer_script
    assert "var lazy = true;" in layer_script  # made into markers when first shown
    name = re.search(r"var (\w+) = \(function\(\) \{\s*var source = [^;]*"
                     + re.escape(json.dumps(data_id)), script)  # fmt: skip
    assert name is not None
    layer = name.group(1)
    assert f"{layer}.addTo(" not in script  # hidden until zoomed in
    assert f"var layer = {layer};" in script  # the zoom gate
    assert "map.getZoom() >= 15" in script
    # filled (lightly): an unfilled circle takes the pointer on its outline only
    found = re.search(r"var marker = (\{.*?\});", script[name.start() :])
    assert found is not None
    marker = json.loads(found.group(1))
    assert marker["fill"] is True
    assert 0 < marker["fillOpacity"] <= 0.5


def test_layer_control_lists_the_layers_in_drawing_order(drawn):
    script = drawn["script"]
    control = script[script.index("overlays :") :]
    names = [
        "Wards (May 2024)",
        "Districts (Dec 2024)",
        "Hotspots",
        "Schools, PRUs and alternative provision",
        "Incident locations (zoom 15+)",
    ]
    at = [control.index(json.dumps(n)) for n in names]
    assert at == sorted(at)
    drawn_at = [script.index(f"var {v} = ") for v in _overlay_vars(control)]
    assert drawn_at == sorted(drawn_at)


def _overlay_vars(control: str) -> list[str]:
    body = control[: control.index("}")]
    return re.findall(r'"[^"]+" : (\w+),', body)


def test_no_hostile_text_can_end_a_data_block():
    text = mapping._script_json({"a": HOSTILE, "b": float("nan"), "c": [math.inf]})
    assert "<" not in text
    assert json.loads(text) == {"a": HOSTILE, "b": None, "c": [None]}


def test_plan_and_pspo_maps_keep_their_boundary_tooltips(ref):
    m = mapping.pspo_map(ref, basemap="none", districts=[THANET])
    page = m.get_root().render()
    blocks = list(_blocks(page).values())
    assert len(blocks) == 2  # wards, districts
    names = {f["properties"].get("ward_name") for f in blocks[0]["features"]}
    thanet = ref.wards[ref.wards["lad_code"] == THANET]["ward_name"]
    assert names == set(thanet.map(mapping._escape_value))
    assert [f["properties"] for f in blocks[1]["features"]] == [{"lad_name": "Thanet"}]
    assert '"Wards (May 2024)"' in page
    assert '"Districts (Dec 2024)"' in page


def _thanet_map(ref: Any, label: str, *, basemap: str = "none") -> Any:
    """A small dashboard map whose one hotspot's categories read `label`."""
    hotspots = gpd.GeoDataFrame(
        {"hotspot_id": [1], "incidents": [12], "top_categories": [label]},
        geometry=[box(635_000, 170_500, 635_600, 171_000)],
        crs="EPSG:27700",
    )
    result = SimpleNamespace(
        method="kde", image_url=None, image_bounds=None, hotspots=hotspots,
        points=pd.DataFrame(columns=["lon", "lat", "incidents", "label"]),
        legend={"kind": "density", "vmax": 10.0, "title": "Incidents per km²"},
    )  # fmt: skip
    return mapping.dashboard_map(
        result, ref, None, basemap=basemap, districts=[THANET],
        static_urls={"districts": "/d.geojson", "schools": "/s.geojson"},
    )  # fmt: skip


def test_views_are_drawn_in_place_of_each_other_on_one_map(ref):
    # the map itself (its component identity) is the same for every view of a
    # basemap; each view's layers, data and styles travel as the update script
    first = mapping.in_place_args(_thanet_map(ref, "Drugs 100%"), key="k", view="v1")
    second = mapping.in_place_args(_thanet_map(ref, "Theft 80%"), key="k", view="v2")
    osm = mapping.in_place_args(
        _thanet_map(ref, "Theft 80%", basemap="OpenStreetMap"), key="k2", view="v3"
    )
    assert first["script"] == second["script"]
    assert first["key"] == second["key"] != osm["key"]
    base = first["script"].strip()
    assert base.startswith('var map_div = L.map(\n                "map_div",')
    assert base.endswith(");")
    assert "addTo" not in base
    assert "fitBounds" not in base
    assert first["html"] == ""
    update = first["feature_group"]
    assert update != second["feature_group"]
    full = mapping.component_args(_thanet_map(ref, "Drugs 100%"), key="k")
    # everything after the map is made runs in the update, with the data and styles
    rest = full["script"][len(first["script"]) :]
    assert rest.strip()
    assert rest in update
    assert json.dumps(full["html"])[1:-1] in update  # the layers' data, as JS text
    assert "foliumtooltip" in update  # the tooltip styles of the header
    assert '.dataset.view = "v1";' in update
    assert "Drugs 100%" in update
    assert "Theft 80%" not in update
    # the previous view's layers, controls, handlers and data go first
    assert update.index("map.eachLayer") < update.index(rest)
    assert update.index("last.holder.remove()") < update.index(rest)


def test_text_of_the_data_cannot_stand_in_for_the_update_script(ref):
    # a partner's label naming the update's markers stays text in the data
    label = "__SCRIPT__ __VIEW__ __HTML__ " + HOSTILE
    update = mapping.in_place_args(_thanet_map(ref, label), key="k", view="v")[
        "feature_group"
    ]
    assert update.count("__SCRIPT__") == update.count("__VIEW__") == 1
    assert update.count("__HTML__") == 1
    assert "<script>alert" not in update


def test_a_script_that_does_not_make_the_map_first_is_refused(ref, monkeypatch):
    made = mapping.component_args(_thanet_map(ref, "x"), key="k")
    broken = {**made, "script": "L.control.scale().addTo(map_div);\n" + made["script"]}
    monkeypatch.setattr(mapping, "component_args", lambda fmap, key: broken)
    with pytest.raises(RuntimeError, match="does not start by making the map"):
        mapping.in_place_args(_thanet_map(ref, "x"), key="k", view="v")


def test_text_is_escaped_once_per_distinct_value_with_the_same_result():
    # names repeat down a column: each distinct text is escaped once; the
    # values, index and dtype are those of escaping value by value, including
    # missing values ("") and non-text objects (escaped one by one)
    import numpy as np

    cases = [
        pd.Series(
            ["a<b", None, "a<b", "&", np.nan, "", "x"], index=[5, 3, 1, 0, 9, 8, 7]
        ),
        pd.Series(["O'Neil & <Sons>", pd.NA, "b<"], dtype="string"),
        pd.Series(["a", "b", "a"], dtype="category"),
        pd.Series([1, 1.0, True, "x<"], dtype=object),  # equal as keys, not as text
        pd.Series([None, None], dtype=object),
        pd.Series([], dtype=object),
        pd.Series([pd.NaT, "a"], dtype=object),
    ]
    for column in cases:
        got = mapping._escape_column(column)
        want = column.astype(object).map(mapping._escape_value)
        pd.testing.assert_series_equal(got, want)
    assert mapping._escape_column(cases[1]).tolist() == [
        "O&#x27;Neil &amp; &lt;Sons&gt;",
        "",
        "b&lt;",
    ]
    assert mapping._escape_column(cases[3]).tolist() == ["1", "1.0", "True", "x&lt;"]


def test_outlines_simplified_without_topology_checks_fall_back_when_they_break():
    # Douglas-Peucker alone collapses an outline narrower than the tolerance to
    # nothing; the checked simplification keeps a shape there, the rest as fast
    import numpy as np
    import shapely
    from shapely import Polygon

    small = box(0, 0, 10, 10)  # a 10 m square: under the 25 m tolerance
    notch = Polygon([(0, 0), (1000, 0), (1000, 1000), (990, 10), (0, 20)])
    shapes = np.array([small, box(0, 0, 1000, 1000), notch, None], dtype=object)
    tolerance = mapping.DISPLAY_TOLERANCE_M
    assert shapely.simplify(small, tolerance, preserve_topology=False).is_empty
    out = mapping._simplified(shapes)
    assert not out[0].is_empty
    assert out[0].is_valid
    assert out[0].equals(shapely.simplify(small, tolerance, preserve_topology=True))
    assert out[1].equals(box(0, 0, 1000, 1000))
    assert out[2].is_valid
    assert len(out[2].exterior.coords) < len(notch.exterior.coords)
    assert out[3] is None


def test_feature_collection_text_is_geopandas_geojson_without_boxes(ref):
    # written in bulk (GEOS the geometries, pandas the properties), the text
    # parses to geopandas' own GeoJSON of the frame (ids from the index, missing
    # and non-finite numbers null) without its bounding boxes, in row order
    import numpy as np

    wards = ref.wards.to_crs(mapping.WEB_CRS).iloc[:40]
    frame = gpd.GeoDataFrame(
        {
            "ward_name": wards["ward_name"].to_numpy(),
            "incidents": np.arange(40),
            "rate": [0.1403485310560870, np.nan, np.inf, -1.5, *[2 / 3] * 36],
            "change": [pd.NA, "n/a", 'a/b\n"c" é <', "back\\/slash\\", *[12.5] * 36],
            "flag": [True, False] * 20,
        },
        geometry=[None, *wards.geometry.iloc[1:]],
        index=[f"w{i}" for i in range(40)],
        crs=mapping.WEB_CRS,
    )
    got = json.loads(mapping._collection_json(frame))
    want = json.loads(frame.to_json(drop_id=False, na="null", show_bbox=False))
    assert got["type"] == "FeatureCollection"
    assert [f["id"] for f in got["features"]] == list(frame.index)
    for g, w in zip(got["features"], want["features"], strict=True):
        assert g["type"] == "Feature"
        assert g["geometry"] == w["geometry"]
        assert g["properties"].keys() == w["properties"].keys()
        for key, value in w["properties"].items():
            if isinstance(value, float) and math.isfinite(value):
                assert g["properties"][key] == pytest.approx(value, rel=1e-14)
            else:
                assert g["properties"][key] == (
                    None if isinstance(value, float) else value
                )
    assert got["features"][0]["properties"]["rate"] == 0.140348531056087
    assert got["features"][2]["properties"]["change"] == 'a/b\n"c" é <'
    assert got["features"][3]["properties"]["change"] == "back\\/slash\\"
    # slashes written as json.dumps writes them (pandas escapes them)
    assert '"n/a"' in mapping._collection_json(frame)
    assert got["features"][2]["properties"]["rate"] is None  # infinity: not JSON
    assert got["features"][0]["geometry"] is None
    empty = json.loads(mapping._collection_json(frame.iloc[:0]))
    assert empty == {"type": "FeatureCollection", "features": []}
    bare = json.loads(mapping._collection_json(frame[["geometry"]].iloc[:2]))
    assert [f["properties"] for f in bare["features"]] == [{}, {}]
