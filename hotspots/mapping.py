"""Build folium maps (the only module that imports folium)."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
from pandas.api.types import is_object_dtype, is_string_dtype

from hotspots.crs import WEB_CRS

#: Simplification tolerance for boundaries drawn in the browser (metres); the
#: analysis always uses the full bundled geometry.
DISPLAY_TOLERANCE_M = 25.0
ATTRIBUTION = (
    "Boundaries: Contains OS data © Crown copyright and database right 2025; "
    "Contains National Statistics data © Crown copyright and database right 2025"
)


#: Leaflet served by the dashboard itself (static/leaflet, Streamlit static serving),
#: so the map draws with no internet; only background tiles come from outside.
LEAFLET_JS = [("leaflet", "/app/static/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]


def new_map(*, basemap: str = "OpenStreetMap") -> folium.Map:
    """An empty folium map that loads Leaflet locally; `basemap` OpenStreetMap or none.

    With ``basemap="none"`` nothing at all is fetched from the internet.
    """
    tiles = None if basemap == "none" else "OpenStreetMap"
    m = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=True)
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
    return m


def _web(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.assign(
        geometry=gdf.geometry.simplify(DISPLAY_TOLERANCE_M, preserve_topology=True)
    ).to_crs(WEB_CRS)


def _escape(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """HTML-escape text columns: names and descriptions reach tooltips as HTML."""
    text = [
        c
        for c in frame.columns
        if c != frame.geometry.name
        and (is_string_dtype(frame[c]) or is_object_dtype(frame[c]))
    ]
    return frame.assign(**{c: frame[c].astype(str).map(html.escape) for c in text})


def boundary_map(
    districts: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    basemap: str = "OpenStreetMap",
) -> folium.Map:
    """District and ward outlines with tooltips; `basemap` is OpenStreetMap or none.

    `districts` may carry ``incidents`` and ``rate_per_1000`` columns for the tooltip.
    """
    d = _escape(_web(districts))
    w = _escape(_web(wards))
    minx, miny, maxx, maxy = d.total_bounds
    m = new_map(basemap=basemap)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    fields = [c for c in ("lad_name", "incidents", "rate_per_1000") if c in d]
    aliases = {
        "lad_name": "District",
        "incidents": "Incidents",
        "rate_per_1000": "Per 1,000 residents",
    }
    folium.GeoJson(
        w[["ward_name", "lad_name", "geometry"]],
        name="Wards (May 2024)",
        style_function=lambda _: {"color": "#666666", "weight": 0.6, "fillOpacity": 0},
        tooltip=folium.GeoJsonTooltip(
            ["ward_name", "lad_name"], aliases=["Ward", "District"]
        ),
    ).add_to(m)
    folium.GeoJson(
        d[[*fields, "geometry"]],
        name="Districts (Dec 2024)",
        style_function=lambda _: {"color": "#1f3b73", "weight": 2, "fillOpacity": 0.03},
        tooltip=folium.GeoJsonTooltip(fields, aliases=[aliases[f] for f in fields]),
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m
