import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal

from hotspots import HotspotsError
from hotspots.ingest import ingest
from hotspots.store import Selection, Store, open_store, read_bundled_police


@pytest.fixture
def slice_incidents(police_slice):
    return ingest([police_slice]).incidents


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "s.duckdb")


def _sorted(gdf):
    return gdf.sort_values(["batch", "incident_id"]).reset_index(drop=True)


# --- inputs -------------------------------------------------------------------------
def test_reading_a_missing_store(tmp_path):
    with pytest.raises(HotspotsError, match="no store here yet"):
        Store(tmp_path / "none.duckdb").info()


def test_add_refuses_lon_lat(store, slice_incidents):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        store.add(slice_incidents.to_crs(4326))


def test_add_refuses_missing_columns(store, slice_incidents):
    with pytest.raises(HotspotsError, match="lack canonical columns"):
        store.add(slice_incidents.drop(columns=["theme"]))


def test_bad_month_in_selection(store, slice_incidents):
    store.add(slice_incidents)
    with pytest.raises(HotspotsError, match="write it as YYYY-MM"):
        store.read(Selection(month_from="January"))


# --- outputs ------------------------------------------------------------------------
def test_round_trip_is_exact(store, slice_incidents):
    store.add(slice_incidents)
    back = store.read()
    assert_geodataframe_equal(_sorted(back), _sorted(slice_incidents), check_like=False)


def test_add_is_idempotent(store, slice_incidents):
    assert store.add(slice_incidents) == 248
    assert store.add(slice_incidents) == 248
    assert store.info()["incidents"] == 248


def test_sources_live_side_by_side(store, slice_incidents, write):
    store.add(slice_incidents)
    text = "Date,Postcode,Type\n03/01/2024,ME1 1AA,Noise\n04/01/2024,ME4 4AA,Begging\n"
    partner = ingest([write("asb.csv", text)], source="medway-asb").incidents
    assert store.add(partner) == 250
    info = store.info()
    assert info["sources"] == {"medway-asb": 2, "police.uk": 248}
    assert info["months"] == {"2022-01": 248, "2024-01": 2}
    assert info["unlocated"] == 20
    # the same partner file again replaces, not doubles
    assert store.add(partner) == 250
    assert store.remove_source("medway-asb") == 2
    assert store.info()["incidents"] == 248


def test_the_months_a_source_holds_span_each_file_it_came_in(store, write):
    """A partner file holds every month from its first to its last incident (a
    month inside it without one is a month with none); police.uk holds just the
    months it was given, each one batch; two files of one source hold their
    own spans, not the gap between them. The store and a frame agree."""
    from hotspots.dates import source_months

    police = "\n".join(
        ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
         "LSOA code,LSOA name,Crime type,Last outcome category,Context"]
        + [f"{m},{m},Kent Police,Kent Police,0.52,51.38,On or near X,,,"
           "Burglary,,"  for m in ("2024-01", "2024-02", "2024-04")]
    )  # fmt: skip
    store.add(ingest([write("police.csv", police)]).incidents)
    first = "Date,Postcode,Type\n03/01/2024,ME1 1AA,Noise\n04/03/2024,ME4 4AA,Begging\n"
    later = "Date,Postcode,Type\n05/06/2024,ME1 1AA,Noise\n"
    for name, text in (("asb-q1.csv", first), ("asb-jun.csv", later)):
        store.add(ingest([write(name, text)], source="medway-asb").incidents)
    held = store.info()["source_months"]
    assert held == {
        "medway-asb": ["2024-01", "2024-02", "2024-03", "2024-06"],
        "police.uk": ["2024-01", "2024-02", "2024-04"],
    }
    assert source_months(store.read()) == held
    # without batches (a frame made by hand): the months with an incident
    assert source_months(store.read().drop(columns="batch"))["medway-asb"] == [
        "2024-01", "2024-03", "2024-06"
    ]  # fmt: skip


def test_the_months_a_file_was_declared_to_cover_are_kept_with_it(store, write):
    """A partner file ingested with --covers holds every month declared, its
    empty first and last months too, in the store's info and in what it reads
    back (which the dashboard and the command line compare by); adding the file
    again without it, or removing the source, drops the declaration. A store
    made before there was a coverage table reads as before."""
    import duckdb

    from hotspots.dates import COVERS, source_months

    text = "Date,Postcode,Type\n03/02/2024,ME1 1AA,Noise\n04/03/2024,ME4 4AA,Begging\n"
    log = write("asb.csv", text)
    store.add(ingest([log], source="asb", covers="2024-01..2024-05").incidents)
    months = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert store.info()["source_months"] == {"asb": months}
    back = store.read()
    assert back.attrs[COVERS] == {"asb|asb.csv": ["2024-01", "2024-05"]}
    assert source_months(back) == {"asb": months}
    # a selection keeps the declaration of its files alone
    assert store.read(Selection(sources=["nobody"])).attrs.get(COVERS, {}) == {}
    assert source_months(store.read(Selection(month_from="2024-03"))) == {"asb": months}
    store.add(ingest([log], source="asb").incidents)
    assert store.info()["source_months"] == {"asb": ["2024-02", "2024-03"]}
    assert COVERS not in store.read().attrs
    store.add(ingest([log], source="asb", covers="2024-01..2024-05").incidents)
    assert store.remove_source("asb") == 2
    store.add(ingest([log], source="asb").incidents)
    assert store.info()["source_months"] == {"asb": ["2024-02", "2024-03"]}
    # a store from before the coverage table
    with duckdb.connect(str(store.path)) as con:
        con.execute("DROP TABLE coverage")
    assert store.info()["source_months"] == {"asb": ["2024-02", "2024-03"]}
    assert COVERS not in store.read().attrs
    assert len(store.read()) == 2


def test_selection_filters(store, slice_incidents):
    store.add(slice_incidents)
    ref = slice_incidents
    drugs = store.read(Selection(themes=["drugs & county lines"]))
    assert len(drugs) == (ref["theme"] == "drugs & county lines").sum() > 0
    medway = store.read(Selection(districts=["E06000035"]))
    assert len(medway) == (ref["lad_code"] == "E06000035").sum() > 0
    located = store.read(Selection(located_only=True))
    assert len(located) == (~ref.geometry.is_empty).sum()
    assert len(store.read(Selection(month_from="2022-02"))) == 0
    assert len(store.read(Selection(month_from="2022-01", month_to="2022-01"))) == 248
    none = store.read(Selection(categories=[]))
    assert len(none) == 0
    assert isinstance(none, gpd.GeoDataFrame)


def test_default_store_is_seeded_from_bundled_data():
    store = open_store()
    info = store.info()
    bundled = read_bundled_police()
    assert info["incidents"] == len(bundled) == 275_539
    assert len(info["months"]) == 17
    assert info["sources"] == {"police.uk": 275_539}


def test_bundled_police_matches_the_raw_month_counts():
    counts = read_bundled_police()["month"].astype(str).value_counts().sort_index()
    assert counts["2022-01"] == 16_338
    assert counts["2024-04"] == 15_727
    assert list(counts.index) == [
        *(f"2022-{m:02d}" for m in range(1, 13)),
        "2023-01",
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert str(read_bundled_police()["month"].dtype) == "period[M]"
