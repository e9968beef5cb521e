import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from convertbng.cutil import convert_bng

from hotspots import HotspotsError
from hotspots.boundaries import load_boundary
from hotspots.dates import COVERS
from hotspots.ingest import (
    CANONICAL_COLUMNS,
    detect_columns,
    ingest,
    ingest_positions,
    read_mapping_file,
)

PARTNER = """Ref,Date Reported,Time,Incident Type,Location,Postcode,Grid Ref,Lat,Long,Notes
A1,03/01/2024,21:30,Street drinking,High Street Chatham,ME1 1AA,,,,
A2,2024-01-04,,Noise,,me11aa,,,,
A3,14-Jan-2024,09:00,Begging,,,tq 7457 6821,,,
A4,05/01/2024,,Drug dealing suspected,,,,51.3806,0.5206,
A5,06/01/2024,,Noise,,,,0.5206,51.3806,
A6,07/01/2024,,Noise,,,,0,0,
A7,08/01/2024,,Noise,,,,48.8566,2.3522,
A8,09/01/2024,,Noise,,ME99 9ZZ,,,,
A9,10/01/2024,,Noise,,ME1,,,,
A10,11/01/2024,,Noise,Somewhere in Kent,,,,,
A11,TBC,,Noise,,ME1 1AA,,,,
A12,31/02/2024,,Noise,,ME1 1AA,,,,
Ref,Date Reported,Time,Incident Type,Location,Postcode,Grid Ref,Lat,Long,Notes
,,,,,,,,,
A13,45300,,Mystery thing,=1+1,ME1 1AA,,,,"=HYPERLINK(""http://x.invalid"",""y"")"
A14,12/01/2024,,Child criminal exploitation,<script>alert(1)</script>,ME1 1AA,,,,
Total,14,,,,,,,,
"""


@pytest.fixture
def partner(write):
    return write("asb-log.csv", PARTNER)


# --- police.uk ----------------------------------------------------------------------
def test_police_slice_counts(police_slice):
    r = ingest([police_slice])
    rep = r.report
    assert rep["rows_read"] == 248
    assert rep["rows_read"] == rep["rows_kept"] + rep["rows_rejected"]
    assert rep["rows_rejected"] == 0
    assert rep["unlocated_by_reason"] == {
        "no location given": 12,
        "far outside the area of the data": 8,
    }
    assert rep["rows_unlocated"] == 20
    assert rep["months"] == {"2022-01": 248}


def test_police_slice_canonical_table(police_slice):
    inc = ingest([police_slice]).incidents
    assert list(inc.columns) == [*CANONICAL_COLUMNS, "unlocated_reason", "batch"]
    assert inc.crs == "EPSG:27700"
    assert str(inc["month"].dtype) == "period[M]"
    assert inc["incident_id"].is_unique
    assert set(inc["source"]) == {"police.uk"}
    assert set(inc["agency"]) == {"Kent Police"}
    assert set(inc["sensitivity"]) == {"public"}
    assert (inc["weight"] == 1.0).all()
    unlocated = inc["geocode_method"] == "unlocated"
    assert inc.geometry[unlocated].is_empty.all()
    assert inc["geocode_precision_m"][unlocated].isna().all()
    assert not inc.geometry[~unlocated].is_empty.any()
    # themes come from the category table
    asb = inc["raw_category"] == "Anti-social behaviour"
    assert (inc.loc[asb, "theme"] == "ASB & public space").all()
    assert (
        inc.loc[inc["raw_category"] == "Drugs", "theme"] == "drugs & county lines"
    ).all()


def test_identical_asb_rows_are_all_kept(police_slice):
    raw = pd.read_csv(police_slice, dtype=str, keep_default_na=False)
    asb = raw[raw["Crime ID"] == ""]
    inc = ingest([police_slice]).incidents
    kept = inc[inc["raw_category"] == "Anti-social behaviour"]
    assert len(kept) == len(asb) == 33
    assert kept["incident_id"].is_unique  # stable ids from file and row number
    assert (
        kept["incident_id"]
        .str.startswith("police.uk:police-uk-kent-2022-01-slice.csv:")
        .all()
    )


def test_repeated_crime_id_gets_a_suffix(police_slice):
    inc = ingest([police_slice]).incidents
    assert inc["incident_id"].str.endswith("#1").sum() == 1


def test_positions_match_an_independent_transform(police_slice):
    raw = pd.read_csv(police_slice, dtype=str, keep_default_na=False)
    inc = ingest([police_slice]).incidents
    ok = (raw["Longitude"] != "").to_numpy() & (
        inc["geocode_method"] == "coordinates"
    ).to_numpy()
    x, y = convert_bng(
        raw["Longitude"][ok].astype(float), raw["Latitude"][ok].astype(float)
    )
    got = inc.geometry[ok].get_coordinates().to_numpy()
    np.testing.assert_allclose(got, np.c_[x, y], atol=0.01)


def test_wards_equal_a_plain_spatial_join(police_slice):
    inc = ingest([police_slice]).incidents
    located = inc[~inc.geometry.is_empty]
    wards = load_boundary("wards")
    plain = gpd.sjoin(
        located[["geometry"]], wards[["ward_code", "geometry"]], predicate="within"
    )
    plain = plain[~plain.index.duplicated()]
    assert (located.loc[plain.index, "ward_code"] == plain["ward_code"]).all()
    # every located Kent row has a Kent & Medway district
    km = set(load_boundary("districts")["lad_code"])
    assert located["lad_code"].isin(km).mean() > 0.99


def test_far_rows_are_outside_kent(police_slice):
    inc = ingest([police_slice]).incidents
    far = inc["unlocated_reason"].eq("far outside the area of the data").fillna(False)
    assert far.sum() == 8
    raw = pd.read_csv(police_slice)
    lon = raw["Longitude"].to_numpy()
    assert (lon[far.to_numpy()] < -0.25).all()  # all west of Kent's westernmost point


def test_archive_format_with_easting_northing(police_slice, write):
    raw = pd.read_csv(police_slice, dtype=str, keep_default_na=False)
    has = raw["Longitude"] != ""
    e, n = convert_bng(
        raw.loc[has, "Longitude"].astype(float), raw.loc[has, "Latitude"].astype(float)
    )
    old = raw.drop(columns=["Longitude", "Latitude"]).assign(Easting="", Northing="")
    old.loc[has, "Easting"] = np.round(e).astype(int).astype(str)
    old.loc[has, "Northing"] = np.round(n).astype(int).astype(str)
    path = write("2022-01-kent-street.csv", old.to_csv(index=False))
    r = ingest([path])
    assert r.report["rows_kept"] == 248
    assert r.report["unlocated_by_reason"]["no location given"] == 12
    assert set(r.incidents["geocode_method"]) == {"bng", "unlocated"}


def test_outcomes_and_stop_search_files_are_skipped(police_slice, tmp_path):
    folder = tmp_path / "2022-01"
    folder.mkdir()
    (folder / "2022-01-kent-street.csv").write_bytes(police_slice.read_bytes())
    (folder / "2022-01-kent-outcomes.csv").write_text("Crime ID,Month\nx,2022-01\n")
    r = ingest([tmp_path])
    assert r.report["rows_read"] == 248
    assert [f["kind"] for f in r.report["files"]] == ["skipped", "police.uk"]


def test_bad_month_rows_are_rejected_whole(police_slice, write):
    raw = pd.read_csv(police_slice, dtype=str, keep_default_na=False)
    raw.loc[5, "Month"] = "sometime"
    r = ingest([write("2022-01-kent-street.csv", raw.to_csv(index=False))])
    assert r.report["rows_rejected"] == 1
    rej = r.rejects.iloc[0]
    assert rej["reject_reason"] == "no usable month: sometime"
    assert rej["row"] == 7  # header is row 1
    assert rej["Crime ID"] == raw.loc[5, "Crime ID"]


# --- partner files --------------------------------------------------------------------
def test_partner_accounting(partner):
    r = ingest([partner])
    rep = r.report
    assert rep["rows_read"] == 17
    assert rep["rows_kept"] == 12
    assert rep["rows_rejected"] == 5
    assert rep["rejected_by_reason"] == {
        "no usable date or month": 2,
        "not a data row": 3,
    }
    assert sorted(r.rejects["reject_reason"]) == sorted(
        [
            "no usable date or month: TBC",
            "no usable date or month: 31/02/2024",
            "not a data row: repeated header",
            "not a data row: empty",
            "not a data row: totals line",
        ]
    )
    assert rep["unlocated_by_reason"] == {
        "(0,0) placeholder": 1,
        "outside Great Britain": 1,
        "unknown postcode": 1,
        "invalid postcode": 1,
        "no location given": 1,
    }


def test_coordinates_typed_but_unreadable_say_so(write):
    # "no location given" is for blanks and placeholders; a location typed in
    # that cannot be read says what is wrong with it
    log = write(
        "typed.csv",
        "Date,Lat,Long,Easting,Northing,Postcode\n"
        "2024-01-05,51°22'48\"N,0.52,,,\n"  # degrees and minutes
        "2024-01-05,51.38,,,,\n"  # half a pair
        "2024-01-05,N/A,unknown,,,\n"  # placeholders: nothing given
        "2024-01-05,,,abc,168000,\n"
        "2024-01-05,,,575000,,\n"
        "2024-01-05,51°22'48\"N,0.52,,,ME4 4QU\n"  # the postcode places it
        "2024-01-05,51.38,0.52,,,\n"
        "2024-01-05,,,575000,168000,\n",
    )
    r = ingest([log])
    assert r.report["unlocated_by_reason"] == {
        "latitude/longitude not in decimal degrees": 1,
        "only one of latitude and longitude given": 1,
        "no location given": 1,
        "easting/northing not a number of metres": 1,
        "only one of easting and northing given": 1,
    }
    assert r.report["positions_by_method"] == {
        "coordinates": 1,
        "bng": 1,
        "postcode": 1,
    }
    assert r.incidents["geocode_method"].tolist()[5:] == [
        "postcode",
        "coordinates",
        "bng",
    ]
    assert r.report["rows_kept"] == 8


def test_the_months_a_partner_file_covers(partner, police_slice):
    """--covers: the months a file covers, kept with its incidents when its first
    or last months had none; every kept row must fall within it; not for
    police.uk files; a span written wrong is named."""
    from hotspots.dates import source_months

    plain = ingest([partner], source="asb")
    assert COVERS not in plain.incidents.attrs
    assert "covers" not in plain.report
    assert source_months(plain.incidents) == {"asb": ["2024-01"]}
    given = ingest([partner], source="asb", covers="2023-12..2024-03")
    assert given.incidents.attrs[COVERS] == {"asb|asb-log.csv": ["2023-12", "2024-03"]}
    assert given.report["covers"] == "2023-12..2024-03"
    assert source_months(given.incidents) == {
        "asb": ["2023-12", "2024-01", "2024-02", "2024-03"]
    }
    # the same rows either way
    assert given.report["rows_kept"] == plain.report["rows_kept"]
    assert ingest([partner], covers="2024-01").report["covers"] == "2024-01..2024-01"
    with pytest.raises(HotspotsError, match=r"incidents in 2024-01, outside .*2024-02"):
        ingest([partner], covers="2024-02..2024-06")
    with pytest.raises(HotspotsError, match="the first month comes after the last"):
        ingest([partner], covers="2024-03..2024-01")
    for bad in ("2024-1..2024-3", "Jan 2024", "2024-13..2024-14", "2024-01..", ""):
        with pytest.raises(HotspotsError, match=r"YYYY-MM\.\.YYYY-MM"):
            ingest([partner], covers=bad)
    with pytest.raises(HotspotsError, match=r"police\.uk file covers its own month"):
        ingest([police_slice], covers="2022-01..2022-02")


def test_ingest_positions_in_words():
    report = {
        "positions_by_method": {"coordinates": 1200, "gridref": 3, "postcode": 41},
        "transformation": "OSTN15",
    }
    assert ingest_positions(report) == (
        "1,200 from longitude/latitude (by OSTN15), 3 from OS grid references, "
        "41 from postcodes (the postcode's position)"
    )
    # eastings and northings need no transformation: none is named
    assert (
        ingest_positions(
            {"positions_by_method": {"bng": 2}, "transformation": "OSTN15"}
        )
        == "2 from eastings/northings"
    )
    assert ingest_positions({"positions_by_method": {}, "transformation": "x"}) == ""


def test_partner_rejects_keep_every_cell(partner):
    rej = ingest([partner]).rejects
    tbc = rej[rej["Ref"] == "A11"].iloc[0]
    assert tbc["Postcode"] == "ME1 1AA"
    assert tbc["row"] == 12
    assert tbc["file"].endswith("asb-log.csv")


def test_partner_each_location_form(partner):
    inc = ingest([partner]).incidents.set_index("incident_id")
    method = inc["geocode_method"]
    assert method["A1"] == method["A2"] == "postcode"
    assert method["A3"] == "gridref"
    assert inc.loc["A3", "geocode_precision_m"] == 10
    xy = inc.geometry["A3"]
    assert (xy.x, xy.y) == (574575.0, 168215.0)  # centre of the 10 m square
    assert method["A4"] == method["A5"] == "coordinates"
    assert inc.geometry["A4"].distance(inc.geometry["A5"]) < 0.01  # swap fixed
    assert inc.loc["A1", "geometry"].equals(
        inc.loc["A2", "geometry"]
    )  # postcode spelling
    assert (inc.loc["A1", "geometry"].x, inc.loc["A1", "geometry"].y) == (
        574570.0,
        168212.0,
    )
    assert inc.loc[["A1", "A3", "A4"], "lad_code"].eq("E06000035").all()


def test_partner_dates_and_times(partner):
    inc = ingest([partner]).incidents.set_index("incident_id")
    assert inc.loc["A1", "occurred_at"] == pd.Timestamp("2024-01-03 21:30")
    assert inc.loc["A2", "occurred_at"] == pd.Timestamp("2024-01-04")
    assert inc.loc["A3", "occurred_at"] == pd.Timestamp("2024-01-14 09:00")
    # Excel serial 45300 = 45300 days after 1899-12-30 (Excel's 1900 date system)
    assert inc.loc["A13", "occurred_at"] == pd.Timestamp("2024-01-09")
    assert (inc["month"].astype(str) == "2024-01").all()


def test_partner_categories_text_and_sensitivity(partner):
    inc = ingest([partner], source="medway-asb").incidents.set_index("incident_id")
    assert inc.loc["A1", "theme"] == "ASB & public space"
    assert inc.loc["A4", "theme"] == "drugs & county lines"
    assert inc.loc["A13", "category"] == "Other (unmapped)"
    assert inc.loc["A13", "raw_category"] == "Mystery thing"
    assert inc.loc["A13", "location_text"] == "=1+1"  # kept as text, never evaluated
    assert inc.loc["A14", "location_text"] == "<script>alert(1)</script>"
    assert inc.loc["A1", "sensitivity"] == "restricted"  # partner default
    assert inc.loc["A14", "sensitivity"] == "safeguarding"  # exploitation theme
    assert set(inc["source"]) == {"medway-asb"}
    assert set(inc["batch"]) == {"medway-asb|asb-log.csv"}


def test_partner_xlsx(tmp_path):
    frame = pd.DataFrame(
        {
            "Attendance Date": [
                pd.Timestamp("2024-02-01 22:15"),
                pd.Timestamp("2024-02-03"),
                None,
            ],
            "Location Postcode": ["ME1 1AA", "CT9 1PD", "ME1 1AA"],
            "Weapon / Body Part Used": ["Knife", "Fist", "Knife"],
            "Assault Location": ["Outside a pub", "Seafront", ""],
        }
    )
    path = tmp_path / "ae.xlsx"
    frame.to_excel(path, index=False, sheet_name="Assaults")
    r = ingest([path], source="A&E")
    assert r.report["rows_read"] == 3
    assert r.report["rows_rejected"] == 1
    inc = r.incidents
    assert inc["occurred_at"].iloc[0] == pd.Timestamp("2024-02-01 22:15")
    assert inc["category"].tolist() == ["Knife injury", "Assault without a weapon"]
    assert inc["theme"].eq("serious violence & weapons").all()


def test_sensitivity_column_and_flag(write):
    text = "Month,Postcode,Concern Category,Sensitivity\n2024-01,ME1 1AA,Knife possession,\n2024-01,ME1 1AA,Knife possession,public\n"
    inc = ingest([write("s.csv", text)], sensitivity="safeguarding").incidents
    assert inc["sensitivity"].tolist() == ["safeguarding", "public"]
    with pytest.raises(HotspotsError, match="sensitivity must be one of"):
        ingest([write("t.csv", text.replace("public", "secret"))])


def test_harm_weight_column(write):
    # a partner's own harm scale becomes each incident's weight; a blank or bad
    # one counts as 1 (the weight of a police.uk incident), and is reported, but
    # does not reject the row: it is still an incident
    text = (
        "Month,Postcode,Type,Harm score\n"
        "2024-01,ME1 1AA,Noise,2.5\n"
        "2024-01,ME1 1AA,Noise,0\n"
        "2024-01,ME1 1AA,Noise,\n"
        "2024-01,ME1 1AA,Noise,1e2\n"
        "2024-01,ME1 1AA,Noise,high\n"
        "2024-01,ME1 1AA,Noise,-1\n"
        "2024-01,ME1 1AA,Noise,inf\n"
        ",ME1 1AA,Noise,oops\n"
    )
    r = ingest([write("harm.csv", text)])
    assert r.incidents["weight"].tolist() == [2.5, 0.0, 1.0, 100.0, 1.0, 1.0, 1.0]
    assert r.incidents["weight"].dtype == "float64"
    assert r.report["rows_kept"] == 7
    assert r.report["rows_rejected"] == 1  # no month: rejected for that alone
    (file,) = r.report["files"]
    assert file["columns"]["weight"] == "Harm score"
    assert "harm weight not a number of 0 or more (counted as 1): 3" in file["notes"]
    assert r.report["noted_by_reason"] == {
        "harm weight not a number of 0 or more (counted as 1)": 3
    }
    # a column of text given as the weight: every row kept, weighing 1, reported
    wrong = ingest(
        [write("h.csv", text)],
        mapping={"month": "Month", "postcode": "Postcode", "weight": "Type"},
    )
    assert wrong.incidents["weight"].eq(1.0).all()
    assert wrong.report["rows_kept"] == 7
    notes = wrong.report["files"][0]["notes"]
    assert "harm weight not a number of 0 or more (counted as 1): 7" in notes
    # without the column every partner incident weighs 1
    plain = ingest([write("p.csv", "Month,Postcode\n2024-01,ME1 1AA\n")])
    assert plain.incidents["weight"].tolist() == [1.0]


def test_month_only_rows(write):
    text = "Month,Postcode,Concern Category\nJan-2024,ME1 1AA,Missing episode\n2024-02,ME1 1AA,Missing episode\n,ME1 1AA,Missing episode\n"
    r = ingest([write("sg.csv", text)])
    assert r.incidents["month"].astype(str).tolist() == ["2024-01", "2024-02"]
    assert r.incidents["occurred_at"].isna().all()
    assert r.rejects["reject_reason"].tolist() == ["no usable date or month: (blank)"]


def test_placeholder_and_future_dates_are_rejected(write):
    """A system's date for "not known" (Excel's day 0 or 1, the Unix epoch) or a
    date still to come is not when an incident happened: such rows had been
    kept, and a 1900 or 2030 incident spread the file's months over decades."""
    today = pd.Timestamp.now()
    tomorrow = (today + pd.Timedelta(days=1)).strftime("%d/%m/%Y")
    next_month = (today + pd.DateOffset(months=1)).strftime("%Y-%m")
    text = (
        "Date,Month,Postcode\n"
        "05/01/2030,,ME1 1AA\n"
        f"{tomorrow},,ME1 1AA\n"
        "01/01/1900,,ME1 1AA\n"
        "1899-12-30,,ME1 1AA\n"
        "31/12/1899,,ME1 1AA\n"
        "1970-01-01,,ME1 1AA\n"
        f",{next_month},ME1 1AA\n"
        "05/01/2024,,ME1 1AA\n"
        f"{today.strftime('%d/%m/%Y')},,ME1 1AA\n"
        "02/01/1970,,ME1 1AA\n"
    )
    r = ingest([write("d.csv", text)])
    assert r.report["rows_kept"] == 3
    assert r.incidents["month"].astype(str).tolist() == [
        "2024-01", today.strftime("%Y-%m"), "1970-01",
    ]  # fmt: skip
    assert r.rejects["reject_reason"].tolist() == [
        "date in the future: 05/01/2030",
        f"date in the future: {tomorrow}",
        "placeholder date: 01/01/1900",
        "placeholder date: 1899-12-30",
        "placeholder date: 31/12/1899",
        "placeholder date: 1970-01-01",
        f"date in the future: {next_month}",
    ]
    assert r.report["rejected_by_reason"] == {
        "date in the future": 3, "placeholder date": 4,
    }  # fmt: skip


@pytest.mark.parametrize("name", ["police.uk", " Police.UK"])
def test_a_partner_file_cannot_be_called_police_uk(write, name):
    # its months would count as police.uk's: a change across months police.uk
    # lacks would read as real
    path = write("log.csv", "Date,Postcode\n05/01/2024,ME1 1AA\n")
    with pytest.raises(HotspotsError, match="source name; give the partner file a"):
        ingest([path], source=name)
    assert ingest([path], source="police.uk log").incidents["source"].tolist() == [
        "police.uk log"
    ]


def test_mapping_override(write):
    text = "When,Where,What\n03/01/2024,ME1 1AA,Noise\n"
    path = write("odd.csv", text)
    with pytest.raises(HotspotsError, match=r"no date or month column.*--map date="):
        ingest([path])
    r = ingest(
        [path], mapping={"date": "When", "postcode": "Where", "category": "What"}
    )
    assert r.incidents["geocode_method"].tolist() == ["postcode"]
    with pytest.raises(HotspotsError, match="no such column"):
        ingest([path], mapping={"date": "Wen"})
    with pytest.raises(HotspotsError, match="Unknown column role"):
        ingest([path], mapping={"colour": "What"})


def test_no_location_columns_is_an_error(write):
    with pytest.raises(HotspotsError, match="no location columns"):
        ingest([write("x.csv", "Date,Type\n03/01/2024,Noise\n")])


def test_mapping_files(write):
    j = write("m.json", '{"date": "When", "postcode": "Where"}')
    c = write("m.csv", "role,column\ndate,When\n# comment\npostcode,Where\n")
    assert (
        read_mapping_file(j)
        == read_mapping_file(c)
        == {"date": "When", "postcode": "Where"}
    )
    with pytest.raises(HotspotsError, match="not valid JSON"):
        read_mapping_file(write("bad.json", "{date"))
    with pytest.raises(HotspotsError, match="expected 'role,Column name'"):
        read_mapping_file(write("bad.csv", "date\n"))


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Latitude", "lat"),
        ("LAT", "lat"),
        ("lng", "lon"),
        ("Long", "lon"),
        ("X Coord", "easting"),
        ("OS Grid Reference", "gridref"),
        ("Incident Postcode", "postcode"),
        ("Location Postcode", "postcode"),
        ("Date of Incident", "date"),
        ("Weapon / Body Part Used", "category"),
        ("Assault Location", "location"),
        ("Harm", "weight"),
        ("Harm Score", "weight"),
        ("Crime Severity Score", "weight"),
    ],
)
def test_detect_columns(header, role):
    assert detect_columns([header, "Other"]).get(role) == header


def test_location_type_is_not_a_location():
    got = detect_columns(["Location Type", "Assault Location"])
    assert got["location"] == "Assault Location"


def test_sensitivity_argument_checked(partner):
    with pytest.raises(HotspotsError, match="sensitivity must be one of"):
        ingest([partner], sensitivity="secret")


def test_empty_line_is_rejected_and_later_rows_keep_their_line_numbers(write):
    path = write(
        "log.csv",
        "Ref,Date,Postcode\nA1,01/02/2024,ME4 4AA\n\nA2,TBC,ME4 4AA\nA3,02/02/2024,ME4 4AA\n",
    )
    result = ingest([path])
    rep = result.report
    assert rep["rows_read"] == 4  # the empty line counts: nothing is lost silently
    assert rep["rows_read"] == rep["rows_kept"] + rep["rows_rejected"]
    rej = result.rejects.set_index("row")["reject_reason"]
    assert rej[3] == "not a data row: empty"
    assert rej[4].startswith("no usable date or month")  # A2 is on line 4


def test_cardiff_model_headers_are_recognised(write):
    path = write(
        "ae.csv",
        "Attendance ID,Incident Date,Assault Location Description,Location Postcode,"
        "Weapon / Body Part Used,Hospital\n"
        "X1,03/02/2024,Outside the station,ME4 4AA,Knife,Medway Maritime Hospital\n",
    )
    inc = ingest([path]).incidents
    assert inc.loc[0, "incident_id"] == "X1"
    assert inc.loc[0, "location_text"] == "Outside the station"
    assert inc.loc[0, "agency"] == "Medway Maritime Hospital"
    assert inc.loc[0, "category"] == "Knife injury"
