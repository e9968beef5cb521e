"""Kent & Medway hotspot mapping dashboard (Streamlit). Run with `make run`."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

import hotspots as hs
from hotspots.boundaries import load_boundary
from hotspots.mapping import boundary_map
from hotspots.store import Selection, open_store
from hotspots.summary import counts_by_district, counts_by_month

ATTRIBUTION = """
Contains public sector information licensed under the Open Government Licence v3.0.
Contains National Statistics data © Crown copyright and database right 2025.
Contains OS data © Crown copyright and database right 2025.
Contains Royal Mail data © Royal Mail copyright and database right 2025.
Police data: data.police.uk (Kent Police street-level crime, locations anonymised).
"""

st.set_page_config(page_title="Kent & Medway hotspots", page_icon="🗺️", layout="wide")


@st.cache_data(show_spinner="Loading the incident store…")
def load_incidents(store_path: str | None):
    store = open_store(store_path)
    return store.read(Selection()), store.info()


@st.cache_data(show_spinner=False)
def load_layers():
    return load_boundary("districts"), load_boundary("wards")


st.title("Kent & Medway incident hotspots")
st.caption(
    "Foundation view: the bundled data loaded into the local store. Hotspot "
    "detection (KDE, DBSCAN, Gi*) comes next."
)
try:
    incidents, info = load_incidents(None)
    districts, wards = load_layers()
except hs.HotspotsError as err:
    st.error(str(err))
    st.stop()

months = list(info["months"])
c1, c2, c3, c4 = st.columns(4)
c1.metric("Incidents", f"{info['incidents']:,}")
c2.metric(
    "Without a usable location",
    f"{info['unlocated']:,}",
    help="Counted in totals, not mapped.",
)
c3.metric(
    "Months", f"{len(months)}", help=f"{months[0]} to {months[-1]}" if months else None
)
c4.metric("Sources", f"{len(info['sources'])}", help=", ".join(info["sources"]))

by_district = counts_by_district(incidents, districts)
left, right = st.columns([3, 2])
with left:
    basemap = st.radio(
        "Basemap",
        ["OpenStreetMap", "none"],
        horizontal=True,
        format_func=lambda b: "None (offline)" if b == "none" else b,
    )
    m = boundary_map(
        districts.merge(
            by_district[["lad_code", "incidents", "rate_per_1000"]], on="lad_code"
        ),
        wards,
        basemap=basemap,
    )
    st_folium(
        m,
        returned_objects=[],
        use_container_width=True,
        height=520,
        key=f"map-{basemap}",
    )
with right:
    st.subheader("Incidents by district")
    st.dataframe(
        by_district.rename(
            columns={
                "lad_name": "District",
                "lad_code": "Code",
                "incidents": "Incidents",
                "residents": "Residents (Census 2021)",
                "rate_per_1000": "Per 1,000 residents",
            }
        ),
        hide_index=True,
        use_container_width=True,
    )
st.subheader("Incidents by month and theme")
monthly = counts_by_month(incidents)
st.bar_chart(monthly, x="month", y="incidents", color="theme", height=320)
with st.expander("Data sources and attribution"):
    st.markdown(ATTRIBUTION.replace("\n", "  \n"))
    st.caption(f"Software version {hs.__version__}. Store: {info['store']}")
