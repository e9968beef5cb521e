"""The GENERATED partner samples in data/samples/ ingest as their README says.

The expected counts are the numbers of each messy kind that
scripts/make_sample_data.py writes (see data/samples/README.md).
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from hotspots.ingest import IngestResult, ingest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SCRIPT = ROOT / "scripts" / "make_sample_data.py"
SHARED = ROOT.parent / "shared" / "data"

ASB_CSV = SAMPLES / "council-asb-log.csv"
ASB_XLSX = SAMPLES / "council-asb-log.xlsx"
AE_CSV = SAMPLES / "ae-assaults-cardiff.csv"
SG_CSV = SAMPLES / "safeguarding-concerns.csv"
GENERATED = [ASB_CSV, ASB_XLSX, AE_CSV, SG_CSV, SAMPLES / "README.md"]

MEDWAY, THANET = "E06000035", "E07000114"
KENT_BOX = (530_000.0, 125_000.0, 640_000.0, 185_000.0)  # BNG metres, generous

ASB_REJECTS = {
    "no usable date or month: (blank)": 3,
    "no usable date or month: TBC": 1,
    "no usable date or month: not recorded": 1,
    "no usable date or month: 31/02/2024": 1,
    "not a data row: empty": 1,
    "not a data row: repeated header": 1,
    "not a data row: totals line": 1,
}
ASB_UNLOCATED = {
    "no location given": 20,  # 10 blank + 10 placeholder text
    "unknown postcode": 14,  # 8 made up + 6 terminated
    "(0,0) placeholder": 6,
    "invalid postcode": 4,
    "far outside the area of the data": 4,
}
COUNTS = {  # file: (rows_read, rows_rejected, rows_unlocated)
    ASB_CSV: (3003, 9, 48),
    ASB_XLSX: (3003, 9, 48),
    AE_CSV: (1500, 0, 130),
    SG_CSV: (800, 0, 20),
}


@pytest.fixture(scope="module")
def ingested() -> dict[Path, IngestResult]:
    return {path: ingest([path], source=path.stem) for path in COUNTS}


def raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def by_id(result: IngestResult, ids: list[str]) -> pd.DataFrame:
    inc = result.incidents.set_index("incident_id")
    return inc.loc[ids]


@pytest.mark.parametrize("path", list(COUNTS), ids=lambda p: p.name)
def test_counts(ingested, path):
    report = ingested[path].report
    read, rejected, unlocated = COUNTS[path]
    assert report["rows_read"] == read
    assert report["rows_read"] == report["rows_kept"] + report["rows_rejected"]
    assert report["rows_rejected"] == rejected == len(ingested[path].rejects)
    assert report["rows_unlocated"] == unlocated


@pytest.mark.parametrize("path", [ASB_CSV, ASB_XLSX], ids=lambda p: p.name)
def test_asb_rejects_and_reasons(ingested, path):
    result = ingested[path]
    assert Counter(result.rejects["reject_reason"]) == ASB_REJECTS
    assert result.report["unlocated_by_reason"] == ASB_UNLOCATED
    assert result.report["rejected_by_reason"] == {
        "no usable date or month": 6,
        "not a data row": 3,
    }


def test_asb_every_ref_is_kept_or_rejected(ingested):
    refs = raw(ASB_CSV)["Ref"]
    kept = set(ingested[ASB_CSV].incidents["incident_id"])
    rejected = set(ingested[ASB_CSV].rejects["Ref"])
    assert kept | rejected == set(refs)
    assert not kept & rejected
    assert len(kept) == 2994


def test_asb_swapped_lonlat_fixed_inside_kent(ingested):
    frame = raw(ASB_CSV)
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    swapped = frame.loc[lat.between(-9, 3) & lon.between(49, 61), "Ref"].tolist()
    assert len(swapped) == 10
    rows = by_id(ingested[ASB_CSV], swapped)
    assert (rows["geocode_method"] == "coordinates").all()
    assert set(rows["lad_code"]) <= {MEDWAY, THANET}
    xmin, ymin, xmax, ymax = KENT_BOX
    assert rows.geometry.x.between(xmin, xmax).all()
    assert rows.geometry.y.between(ymin, ymax).all()


def test_asb_far_away_and_zero_coordinates_unlocated(ingested):
    frame = raw(ASB_CSV)
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    far = frame.loc[lon < -1, "Ref"].tolist()  # Manchester, Leeds, Birmingham, Cardiff
    zero = frame.loc[(frame["Latitude"] == "0") & (frame["Longitude"] == "0"), "Ref"]
    reasons = by_id(ingested[ASB_CSV], far)["unlocated_reason"]
    assert len(far) == 4
    assert set(reasons) == {"far outside the area of the data"}
    zero_reasons = by_id(ingested[ASB_CSV], zero.tolist())["unlocated_reason"]
    assert list(zero_reasons) == ["(0,0) placeholder"] * 6


@pytest.mark.parametrize("path", [ASB_CSV, ASB_XLSX], ids=lambda p: p.name)
def test_asb_injection_text_kept_verbatim(ingested, path):
    frame = raw(ASB_CSV)
    text = frame["Location Description"]
    risky = frame[text.str.match(r"[=+@]") | text.str.contains("<script>")]
    assert len(risky) == 4
    rows = by_id(ingested[path], risky["Ref"].tolist())
    assert list(rows["location_text"]) == list(risky["Location Description"])
    assert (rows["geocode_method"] == "postcode").all()


def test_asb_located_only_in_medway_and_thanet(ingested):
    inc = ingested[ASB_CSV].incidents
    assert set(inc["lad_code"].dropna()) == {MEDWAY, THANET}
    assert set(inc["geocode_method"]) == {
        "postcode",
        "gridref",
        "coordinates",
        "unlocated",
    }


def test_asb_unmapped_categories_kept_as_other(ingested):
    inc = ingested[ASB_CSV].incidents
    other = inc[inc["category"] == "Other (unmapped)"]
    assert len(other) == 45
    assert set(other["raw_category"]) == {
        "Dog fouling",
        "Abandoned vehicle",
        "Bonfire / burning waste",
    }
    assert set(other["theme"]) == {"other"}


def test_asb_xlsx_matches_csv(ingested):
    columns = ["incident_id", "month", "occurred_at", "category", "geocode_method"]
    csv_inc = ingested[ASB_CSV].incidents
    xlsx_inc = ingested[ASB_XLSX].incidents
    pd.testing.assert_frame_equal(csv_inc[columns], xlsx_inc[columns])
    np.testing.assert_allclose(
        csv_inc.geometry.x.fillna(0), xlsx_inc.geometry.x.fillna(0), atol=0.01
    )


def test_asb_xlsx_has_real_date_cells():
    wb = openpyxl.load_workbook(ASB_XLSX, read_only=True)
    dates = [c for (c,) in wb.active.iter_rows(min_col=2, max_col=2) if c.is_date]
    assert 1_000 < len(dates) < 3_000


def test_ae_dates_categories_and_times(ingested):
    inc = ingested[AE_CSV].incidents
    frame = raw(AE_CSV)
    assert (frame["Incident Date"] != "").all()
    incident_day = pd.to_datetime(frame["Incident Date"], format="%d/%m/%Y")
    assert (inc["occurred_at"].dt.normalize() == incident_day).all()
    assert "Other (unmapped)" not in set(inc["category"])
    assert set(inc["theme"]) == {"serious violence & weapons"}
    assert ingested[AE_CSV].report["unlocated_by_reason"] == {"no location given": 130}
    timed = inc.loc[(frame["Incident Time"] != "").to_numpy(), "occurred_at"]
    night = timed.dt.hour.isin([20, 21, 22, 23, 0, 1, 2, 3])
    assert night.mean() > 0.5


def test_safeguarding_rows_are_safeguarding(ingested):
    inc = ingested[SG_CSV].incidents
    assert (inc["sensitivity"] == "safeguarding").all()
    assert inc["month"].min() == pd.Period("2022-01", "M")
    assert inc["month"].max() == pd.Period("2024-04", "M")
    assert ingested[SG_CSV].report["unlocated_by_reason"] == {"no location given": 20}


def test_samples_are_small():
    assert sum(p.stat().st_size for p in GENERATED) < 2_000_000


@pytest.mark.shared
def test_generator_is_deterministic(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_sample_data", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up
    spec.loader.exec_module(module)
    assert module.main(["--shared", str(SHARED), "--out", str(tmp_path)]) == 0
    for path in GENERATED:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
