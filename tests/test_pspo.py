"""PSPO evidence: hand-computed statistics, crafted areas, the bundled data, bad input."""

from __future__ import annotations

import io
import json
import math
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import Point, box

from hotspots import bundled, pspo
from hotspots._validate import HotspotsError
from hotspots.pspo import (
    Area,
    area_from_geojson,
    area_from_hotspot,
    area_from_ward,
    area_residents,
    change_p,
    evaluate_order,
    profile_area,
    read_area,
    relative_effect,
    total_net_effect,
    wdq,
)

CRS = "EPSG:27700"
THANET = "E07000114"
SAMPLE = bundled.SAMPLES_DIR / "margate-town-centre-pspo.geojson"
#: The sample polygon's corners (lon, lat), as in the GeoJSON file.
MARGATE_LONLAT = [
    (1.375369, 51.38623), (1.379154, 51.388819), (1.380688, 51.390124),
    (1.385025, 51.390448), (1.385576, 51.388184), (1.383877, 51.384635),
    (1.380257, 51.38429), (1.376737, 51.385291), (1.375369, 51.38623),
]  # fmt: skip


# ---------------------------------------------------------------------------
# the pure statistics, against hand computations
# ---------------------------------------------------------------------------


def test_wdq_by_hand():
    # R 100 -> 60, B 50 -> 40, C 1000 -> 900
    # SM = 60/900 - 100/1000 = (600 - 900)/9000 = -1/30
    # BM = 40/900 - 50/1000  = (400 - 450)/9000 = -1/180
    # WDQ = (-1/180) / (-1/30) = 30/180 = 1/6: the buffer improved too (diffusion)
    assert wdq(100, 60, 50, 40, 1000, 900) == pytest.approx(0.1666667, abs=1e-7)
    # buffer 10 -> 60 with R 60 -> 30, C 200 -> 180:
    # SM = 30/180 - 60/200 = 1/6 - 3/10 = -2/15;  BM = 60/180 - 10/200 = 1/3 - 1/20
    # = 17/60;  WDQ = (17/60)/(-2/15) = -17/8 = -2.125: displacement exceeds benefit
    assert wdq(60, 30, 10, 60, 200, 180) == pytest.approx(-2.125)


def test_wdq_control_unchanged_and_buffer_unchanged():
    # control 500 -> 500 (no change): SM = 30/500 - 50/500 = -0.04, BM = 0 -> WDQ 0
    assert wdq(50, 30, 20, 20, 500, 500) == 0.0
    # control halves 200 -> 100 and the buffer halves too, 20 -> 10:
    # BM = 10/100 - 20/200 = 0.1 - 0.1 = 0, SM = 5/100 - 40/200 = -0.15 -> WDQ 0
    assert wdq(40, 5, 20, 10, 200, 100) == 0.0


def test_wdq_undefined():
    # no improvement: SM = 60/900 - 50/1000 = 0.0667 - 0.05 > 0 -> nothing to displace
    assert math.isnan(wdq(50, 60, 10, 10, 1000, 900))
    # SM exactly 0 (area changed as the control did): 45/900 - 50/1000 = 0
    assert math.isnan(wdq(50, 45, 10, 10, 1000, 900))
    # control count 0 in either window: ratios undefined
    assert math.isnan(wdq(50, 40, 10, 10, 0, 900))
    assert math.isnan(wdq(50, 40, 10, 10, 1000, 0))


def test_total_net_effect_by_hand():
    # Ca/Cb = 900/1000 = 0.9; area: 100*0.9 - 60 = 30; buffer: 50*0.9 - 40 = 5
    assert total_net_effect(100, 60, 50, 40, 1000, 900) == pytest.approx(35.0)
    # control unchanged (Ca/Cb = 1): (50 - 30) + (20 - 20) = 20
    assert total_net_effect(50, 30, 20, 20, 500, 500) == pytest.approx(20.0)
    # displacement: (60*0.9 - 30) + (10*0.9 - 60) = 24 - 51 = -27 (a net increase)
    assert total_net_effect(60, 30, 10, 60, 200, 180) == pytest.approx(-27.0)
    # control empty after (Ca = 0): (50*0 - 40) + (10*0 - 10) = -50
    assert total_net_effect(50, 40, 10, 10, 1000, 0) == pytest.approx(-50.0)
    # control empty before: undefined
    assert math.isnan(total_net_effect(50, 40, 10, 10, 0, 900))


def test_relative_effect_by_hand():
    # X 100 -> 60, C 1000 -> 900: OR = (100*900)/(60*1000) = 90000/60000 = 1.5
    # var ln OR = 1/100 + 1/60 + 1/1000 + 1/900
    #           = 0.01 + 0.0166667 + 0.001 + 0.0011111 = 0.0287778; SE = 0.1696401
    # ln 1.5 = 0.4054651; z = 0.4054651/0.1696401 = 2.390148
    # CI = exp(0.4054651 -/+ 1.959964*0.1696401) = exp(0.0729771), exp(0.7379531)
    #    = 1.075705, 2.091651;  p = 2*(1 - Phi(2.390148)) = 0.016842
    r = relative_effect(100, 60, 1000, 900)
    assert r["odds_ratio"] == pytest.approx(1.5)
    assert r["z"] == pytest.approx(2.390148, abs=1e-6)
    assert r["ci_low"] == pytest.approx(1.075705, abs=1e-6)
    assert r["ci_high"] == pytest.approx(2.091651, abs=1e-6)
    assert r["p"] == pytest.approx(0.016842, abs=1e-6)
    assert r["corrected"] is False


def test_relative_effect_control_and_zone_unchanged():
    # 30 -> 30 against 500 -> 500: OR = 1, z = 0, p = 1
    # var = 1/30 + 1/30 + 1/500 + 1/500 = 0.0706667; SE = 0.2658320
    # CI = exp(-/+ 1.959964*0.2658320) = exp(-/+0.5210212) = 0.593914, 1.683746
    r = relative_effect(30, 30, 500, 500)
    assert r["odds_ratio"] == 1.0
    assert r["z"] == 0.0
    assert r["p"] == pytest.approx(1.0)
    assert r["ci_low"] == pytest.approx(0.593914, abs=1e-6)
    assert r["ci_high"] == pytest.approx(1.683746, abs=1e-6)


def test_relative_effect_zero_cell_haldane_anscombe():
    # X 0 -> 5, C 100 -> 100: a zero cell, so 0.5 is added to all four:
    # OR = (0.5*100.5)/(5.5*100.5) = 0.5/5.5 = 0.0909091
    # var = 1/0.5 + 1/5.5 + 1/100.5 + 1/100.5 = 2 + 0.1818182 + 0.0199005 = 2.2017187
    # SE = 1.4838190; z = ln(0.0909091)/1.4838190 = -2.3978953/1.4838190 = -1.616030
    # p = 2*Phi(-1.616030) = 0.106088
    r = relative_effect(0, 5, 100, 100)
    assert r["corrected"] is True
    assert r["odds_ratio"] == pytest.approx(0.0909091, abs=1e-7)
    assert r["z"] == pytest.approx(-1.616030, abs=1e-6)
    assert r["p"] == pytest.approx(0.106088, abs=1e-6)
    # a zero in the control is corrected the same way, and never divides by zero
    assert relative_effect(10, 5, 0, 7)["corrected"] is True


def test_relative_effect_refuses_negative_counts():
    with pytest.raises(HotspotsError, match="0 or more"):
        relative_effect(-1, 5, 10, 10)


def test_change_p_by_hand():
    # equal windows: after ~ Binomial(30, 1/2); 20 of 30 after.
    # two-sided p = 2 * sum_{k=20..30} C(30, k) / 2^30 = 2 * 53009102 / 1073741824
    assert change_p(10, 20, 6, 6) == pytest.approx(2 * 53009102 / 1073741824)
    assert change_p(10, 20, 6, 6) == pytest.approx(0.0987371, abs=1e-7)
    # unequal windows, 4 months before and 2 after: p0 = 2/6 = 1/3; n = 4, after = 0
    # P(k) = C(4,k)(1/3)^k(2/3)^(4-k) = 16/81, 32/81, 24/81, 8/81, 1/81 for k = 0..4;
    # outcomes no more likely than P(0) = 16/81: k = 0, 3, 4 -> (16 + 8 + 1)/81 = 25/81
    assert change_p(4, 0, 4, 2) == pytest.approx(25 / 81)
    # no change at all, or nothing at all
    assert change_p(7, 7, 3, 3) == 1.0
    assert change_p(0, 0, 3, 3) == 1.0


def test_change_p_refuses_bad_windows():
    with pytest.raises(HotspotsError, match="months_before"):
        change_p(3, 4, 0, 3)
    with pytest.raises(HotspotsError, match="0 or more"):
        change_p(-3, 4, 3, 3)


# ---------------------------------------------------------------------------
# evaluate_order on crafted zones whose counts are known exactly
# ---------------------------------------------------------------------------

X0, Y0 = 600_000.0, 150_000.0
AREA_BOX = box(X0, Y0, X0 + 100, Y0 + 100)  # 0.01 km²
IN_AREA = (X0 + 50, Y0 + 50)
IN_BUFFER = (X0 + 125, Y0 + 50)  # 25 m outside the area: inside a 50 m ring
IN_CONTROL = (X0 + 1500, Y0 + 500)
ELSEWHERE = (X0 + 9000, Y0 + 9000)
CONTROL_BOX = box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)


def _canonical(rows: list[tuple[str, tuple[float, float] | None, int]], **extra):
    """(month, position or None for unlocated, n) -> canonical incidents."""
    months, geoms = [], []
    for month, xy, n in rows:
        months += [month] * n
        geoms += [Point(xy) if xy is not None else Point()] * n
    n = len(months)
    columns = {
        "incident_id": [f"i{i}" for i in range(n)],
        "source": ["police.uk"] * n,
        "month": months,
        "category": ["Anti-social behaviour"] * n,
        "theme": ["ASB & public space"] * n,
        "location_text": ["On or near High Street"] * n,
        "sensitivity": ["public"] * n,
        "lad_code": ["D1"] * n,
    }
    columns.update(extra)
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS)


def _spread(total: int, months: list[str], xy) -> list:
    """`total` incidents at `xy` spread over `months` (the first months take the rest)."""
    base, rest = divmod(total, len(months))
    return [(m, xy, base + (i < rest)) for i, m in enumerate(months)]


BEFORE = ["2022-01", "2022-02", "2022-03"]
AFTER = ["2022-04", "2022-05", "2022-06"]
AREA = Area("Crafted", "order", AREA_BOX, "test")


def _zones(rb, ra, bb, ba, cb, ca) -> gpd.GeoDataFrame:
    rows = (
        _spread(rb, BEFORE, IN_AREA) + _spread(ra, AFTER, IN_AREA)
        + _spread(bb, BEFORE, IN_BUFFER) + _spread(ba, AFTER, IN_BUFFER)
        + _spread(cb, BEFORE, IN_CONTROL) + _spread(ca, AFTER, IN_CONTROL)
        # noise: outside every zone, unlocated, and a month outside the windows
        + [("2022-02", ELSEWHERE, 7), ("2022-05", None, 4)]
    )  # fmt: skip
    return _canonical([r for r in rows if r[2]])


def _evaluate(frame, **kwargs):
    return evaluate_order(
        frame, AREA, "2022-04", buffer_m=50, control=CONTROL_BOX, **kwargs
    )


def test_evaluate_counts_and_measures_by_hand():
    ev = _evaluate(_zones(60, 30, 10, 12, 200, 180))
    assert ev.before_months == BEFORE
    assert ev.after_months == AFTER
    c = ev.counts
    assert c["before"].tolist() == [60, 10, 200]
    assert c["after"].tolist() == [30, 12, 180]
    assert c["change"].tolist() == [-30, 2, -20]
    # -50%, +20%, -10%
    assert c["change_pct"].tolist() == pytest.approx([-50.0, 20.0, -10.0])
    assert c.loc["area", "per_month_before"] == 20.0
    assert c.loc["area", "area_km2"] == pytest.approx(0.01)
    # area: 30 of 90 after, p0 = 1/2: binomtest(30, 90, 0.5) (equal windows)
    assert c.loc["area", "p"] == pytest.approx(change_p(60, 30, 3, 3))
    # SM = 30/180 - 60/200 = 1/6 - 3/10 = -2/15 = -0.1333333
    # BM = 12/180 - 10/200 = 1/15 - 1/20 = 1/60 = 0.0166667
    # WDQ = (1/60)/(-2/15) = -1/8; TNE = (60*0.9 - 30) + (10*0.9 - 12) = 24 - 3 = 21
    assert ev.success_measure == pytest.approx(-2 / 15)
    assert ev.buffer_measure == pytest.approx(1 / 60)
    assert ev.wdq == pytest.approx(-0.125)
    assert ev.total_net_effect == pytest.approx(21.0)
    # area vs control: OR = (60*180)/(30*200) = 10800/6000 = 1.8
    # var = 1/60 + 1/30 + 1/200 + 1/180 = 0.0605556; z = ln 1.8 / 0.2460804 = 2.388596
    # p = 0.016913 -> significant reduction
    area = ev.relative.loc["area vs control"]
    assert area["odds_ratio"] == pytest.approx(1.8)
    assert area["z"] == pytest.approx(2.388596, abs=1e-6)
    assert area["p"] == pytest.approx(0.016913, abs=1e-6)
    # buffer vs control: OR = (10*180)/(12*200) = 0.75; var = 0.1 + 0.0833333 +
    # 0.005 + 0.0055556 = 0.1938889; z = ln 0.75 / 0.4403282 = -0.653336; p = 0.51354
    buf = ev.relative.loc["buffer vs control"]
    assert buf["odds_ratio"] == pytest.approx(0.75)
    assert buf["p"] == pytest.approx(0.51354, abs=1e-5)
    assert ev.verdict == "reduction"
    assert "fell from 60 to 30 (−50%)" in ev.sentence
    assert "the control fell 10%" in ev.sentence
    assert (
        "(WDQ) −0.12: the buffer worsened, by less than the area improved, but not significantly"
        in ev.sentence
    )
    assert "about 21 incidents fewer" in ev.sentence
    assert ev.provenance["parameters"]["buffer_m"] == 50.0
    assert ev.provenance["area"]["name"] == "Crafted"


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        # buffer 20 -> 60: OR = (20*180)/(60*200) = 0.3, z = -4.33 -> displacement
        ((60, 30, 20, 60, 200, 180), "reduction with displacement"),
        # buffer 60 -> 20: OR = (60*180)/(20*200) = 2.7 -> diffusion of benefit
        ((60, 30, 60, 20, 200, 180), "reduction with diffusion of benefit"),
        # area 30 -> 60: OR = (30*180)/(60*200) = 0.45, significant rise
        ((30, 60, 10, 10, 200, 180), "increase"),
        # area 40 -> 38 against 200 -> 180: OR = 0.947, not significant
        ((40, 38, 10, 10, 200, 180), "no evidence of reduction"),
        # 3 + 2 = 5 incidents in the area: under 10
        ((3, 2, 10, 10, 200, 180), "too few incidents to tell"),
    ],
)
def test_evaluate_verdicts(counts, verdict):
    assert _evaluate(_zones(*counts)).verdict == verdict


def test_evaluate_displacement_wdq_and_net_effect():
    ev = _evaluate(_zones(60, 30, 20, 60, 200, 180))
    # BM = 60/180 - 20/200 = 1/3 - 1/10 = 7/30; WDQ = (7/30)/(-2/15) = -7/4
    assert ev.wdq == pytest.approx(-1.75)
    # TNE = (54 - 30) + (18 - 60) = 24 - 42 = -18: displacement ate the benefit
    assert ev.total_net_effect == pytest.approx(-18.0)
    assert "displacement exceeds the benefit" in ev.sentence
    assert "about 18 incidents more" in ev.sentence


def test_evaluate_control_and_buffer_unchanged_notes():
    # control 100 -> 100 and buffer 20 -> 20: WDQ = 0, TNE = (40 - 20) + 0 = 20
    ev = _evaluate(_zones(40, 20, 20, 20, 100, 100))
    assert ev.wdq == 0.0
    assert math.copysign(1, ev.wdq) == 1.0  # not "-0"
    assert ev.total_net_effect == pytest.approx(20.0)
    assert "(WDQ) 0.00: the buffer changed as the control did" in ev.sentence
    notes = " ".join(ev.notes)
    assert "control did not change" in notes
    assert "WDQ 0" in notes


def test_evaluate_zero_counts_and_no_improvement():
    # nothing in the buffer at all; the area rises: no WDQ, and said why
    ev = _evaluate(_zones(10, 20, 0, 0, 200, 180))
    assert math.isnan(ev.wdq)
    assert bool(ev.relative.loc["buffer vs control", "corrected"]) is True
    assert bool(ev.relative.loc["area vs control", "corrected"]) is False
    notes = " ".join(ev.notes)
    assert "Zero count (buffer before, buffer after)" in notes
    assert "WDQ not defined: the area did not improve" in notes
    assert math.isnan(ev.counts.loc["buffer", "change_pct"])
    assert ev.counts.loc["buffer", "p"] == 1.0


def test_evaluate_empty_control_window():
    ev = _evaluate(_zones(30, 10, 5, 5, 0, 40))
    assert ev.verdict == "too few incidents to tell"
    assert "no basis for comparison" in ev.sentence
    assert math.isnan(ev.wdq)
    assert math.isnan(ev.total_net_effect)
    assert math.isnan(ev.success_measure)
    assert "control has no incidents before" in " ".join(ev.notes)


def test_evaluate_default_windows_equalised_with_a_gap():
    # data: 2021-12..2022-06 then 2022-08 (2022-07 missing); start 2022-04
    frame = pd.concat(
        [
            _zones(60, 30, 10, 12, 200, 180),
            _canonical([("2021-12", IN_AREA, 5), ("2022-08", IN_AREA, 5)]),
        ],
        ignore_index=True,
    )
    ev = _evaluate(frame)
    # before run 2021-12..2022-03 (4), after run 2022-04..2022-06 (3): 3 each
    assert ev.before_months == BEFORE
    assert ev.after_months == AFTER
    assert any("2021-12 left out" in n for n in ev.notes)
    assert ev.counts.loc["area", "before"] == 60


def test_evaluate_given_windows_unequal_and_missing_months():
    frame = _zones(60, 30, 10, 12, 200, 180)
    # before 2021-11..2022-03: 2021-11 and 2021-12 have no data (left out, noted);
    # after 2022-04..2022-05: two months, so the windows are 3 and 2 months long
    ev = _evaluate(frame, before=("2021-11", "2022-03"), after=("2022-04", "2022-05"))
    assert ev.before_months == BEFORE
    assert ev.after_months == ["2022-04", "2022-05"]
    notes = " ".join(ev.notes)
    assert "no data for 2021-11..2021-12" in notes
    assert "differ in length (3 months before, 2 after)" in notes
    # after = 10 + 10 in the area (30 spread over three months)
    assert ev.counts.loc["area", "after"] == 20
    # per month 20 -> 10: -50%
    assert ev.counts.loc["area", "change_pct"] == pytest.approx(-50.0)
    assert ev.counts.loc["area", "p"] == pytest.approx(change_p(60, 20, 3, 2))
    assert "20.0 a month" in ev.sentence


def test_evaluate_default_control_is_the_rest_of_the_district(monkeypatch):
    districts = gpd.GeoDataFrame(
        {"lad_code": ["D1"], "lad_name": ["Dee"], "area_km2": [9.0]},
        geometry=[box(X0 - 500, Y0 - 500, X0 + 2500, Y0 + 2500)],
        crs=CRS,
    )
    monkeypatch.setattr(pspo, "_kent_districts", lambda: districts)
    ev = evaluate_order(_zones(60, 30, 10, 12, 200, 180), AREA, "2022-04", buffer_m=50)
    assert ev.control_source.startswith("the rest of Dee")
    assert ev.counts["before"].tolist() == [60, 10, 200]
    assert not ev.control.intersects(AREA_BOX)
    assert ev.control.area == pytest.approx(9e6 - AREA_BOX.buffer(50).area, rel=1e-9)
    assert "the rest of Dee fell 10%" in ev.sentence


def test_evaluate_control_as_area():
    control = Area("Other town", "drawn", CONTROL_BOX, "drawn on the map")
    ev = evaluate_order(
        _zones(60, 30, 10, 12, 200, 180), AREA, "2022-04", buffer_m=50, control=control
    )
    assert ev.counts.loc["control", "before"] == 200
    assert ev.control_source.startswith("Other town")


# ---------------------------------------------------------------------------
# evaluate_order: bad input
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crafted() -> gpd.GeoDataFrame:
    return _zones(60, 30, 10, 12, 200, 180)


@pytest.mark.parametrize("buffer_m", [0, -100.0])
def test_evaluate_refuses_buffer_not_positive(crafted, buffer_m):
    with pytest.raises(HotspotsError, match="`buffer_m` must be greater than 0"):
        evaluate_order(crafted, AREA, "2022-04", buffer_m=buffer_m, control=CONTROL_BOX)


def test_evaluate_refuses_start_outside_the_data(crafted):
    with pytest.raises(HotspotsError, match="after the last month with data"):
        _evaluate_at(crafted, "2030-01")
    with pytest.raises(HotspotsError, match="no month before it"):
        _evaluate_at(crafted, "2021-06")
    with pytest.raises(HotspotsError, match="not a month"):
        _evaluate_at(crafted, "July")


def _evaluate_at(frame, start):
    return evaluate_order(frame, AREA, start, buffer_m=50, control=CONTROL_BOX)


def test_evaluate_refuses_overlapping_windows(crafted):
    with pytest.raises(HotspotsError, match="overlap in 2022-03"):
        _evaluate(crafted, before=("2022-01", "2022-03"), after=("2022-03", "2022-06"))
    with pytest.raises(HotspotsError, match="must come before"):
        _evaluate(crafted, before=("2022-04", "2022-06"), after=("2022-01", "2022-03"))
    with pytest.raises(HotspotsError, match="both"):
        _evaluate(crafted, before=("2022-01", "2022-03"))
    with pytest.raises(HotspotsError, match="no months with data"):
        _evaluate(crafted, before=("2020-01", "2020-03"), after=("2022-04", "2022-06"))


def test_evaluate_refuses_an_empty_control(crafted):
    with pytest.raises(HotspotsError, match="control is empty"):
        evaluate_order(crafted, AREA, "2022-04", buffer_m=50, control=AREA_BOX)


def test_evaluate_refuses_degrees(crafted):
    with pytest.raises(HotspotsError, match="projected CRS"):
        _evaluate(crafted.set_crs("EPSG:4326", allow_override=True))


# ---------------------------------------------------------------------------
# profile_area on a crafted district whose every figure is known
# ---------------------------------------------------------------------------


@pytest.fixture
def two_districts(monkeypatch: pytest.MonkeyPatch) -> None:
    """D1 and D2, 4 km² each; wards W1 (1,000 residents, 4 postcodes) and W2."""
    districts = gpd.GeoDataFrame(
        {"lad_code": ["D1", "D2"], "lad_name": ["Dee", "Eff"], "area_km2": [4.0, 4.0]},
        geometry=[box(0, 0, 2000, 2000), box(2000, 0, 4000, 2000)],
        crs=CRS,
    )
    pops = {
        "ward": pd.DataFrame({"ward_code": ["W1", "W2"], "residents": [1000, 3000]}),
        "district": pd.DataFrame({"lad_code": ["D1", "D2"], "residents": [4000, 6000]}),
    }
    postcodes = pd.DataFrame(
        {
            # one of W1's four postcodes inside the area box(0, 0, 500, 500)
            "easting": [250, 1500, 1600, 1700, 3000, 3100],
            "northing": [250, 1500, 1600, 1700, 1000, 1000],
            "ward_code": ["W1"] * 4 + ["W2"] * 2,
        }
    )
    monkeypatch.setattr(pspo, "_kent_districts", lambda: districts)
    monkeypatch.setattr(pspo, "load_population", lambda level: pops[level])
    monkeypatch.setattr(pspo, "_postcodes", lambda: postcodes)


CRAFTED_AREA = Area("Town centre", "drawn", box(0, 0, 500, 500), "drawn on the map")


def _profile_incidents() -> gpd.GeoDataFrame:
    """40 incidents in the area (2 safeguarding), 60 elsewhere in D1, 50 in D2.

    Months with data: 2024-01, 2024-02 and 2024-04 (2024-03 is missing).
    """
    frames = []

    def add(month, xy, n, lad="D1", **cols):
        frames.append(_canonical([(month, xy, n)], lad_code=[lad] * n, **{
            k: [v] * n for k, v in cols.items()
        }))  # fmt: skip

    shop = {"category": "Shoplifting", "theme": "acquisitive"}
    # the area: 10, 10 and 20 incidents
    add("2024-01", (100, 100), 5, occurred_at=pd.Timestamp("2024-01-01 21:30"))
    add("2024-01", (100, 100), 5, occurred_at=pd.Timestamp("2024-01-02"))  # date only
    add("2024-02", (120, 100), 8, location_text="On or near")
    add("2024-02", (120, 100), 2, location_text="")
    add("2024-04", (300, 300), 3, location_text="")
    add("2024-04", (300, 300), 5, location_text="On or near Market Place")
    add("2024-04", (300, 310), 10)
    add(
        "2024-04", (310, 310), 2, sensitivity="safeguarding",
        category="Exploitation concern", theme="exploitation & safeguarding",
        location_text="On or near Secret Street",
        occurred_at=pd.Timestamp("2024-04-01 10:15"),
    )  # fmt: skip
    # the rest of D1: 20 a month; D2: 50 in 2024-01
    for month in ("2024-01", "2024-02", "2024-04"):
        add(month, (1500, 1500), 20, **shop)
    add("2024-01", (3000, 1000), 50, lad="D2", **shop)
    # not counted: before the months chosen, and unlocated with no district
    add("2023-12", (100, 100), 9)
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"]))
    unlocated = _canonical([("2024-01", None, 3)], lad_code=[None] * 3)
    return pd.concat([frame, unlocated], ignore_index=True)


@pytest.fixture
def crafted_profile(two_districts):
    return profile_area(
        _profile_incidents(),
        CRAFTED_AREA,
        months=("2024-01", "2024-04"),
        available_months=["2023-12", "2024-01", "2024-02", "2024-04"],
        filters={"themes": ["all"]},
    )


def test_profile_comparison_by_hand(crafted_profile):
    p = crafted_profile
    assert p.district_code == "D1"
    assert p.district_name == "Dee"
    assert p.months == ["2024-01", "2024-02", "2024-04"]
    c = p.comparison
    assert c.index.tolist() == ["area", "district", "county"]
    assert c["incidents"].tolist() == [40, 100, 150]
    assert c["area_km2"].tolist() == pytest.approx([0.25, 4.0, 8.0])
    # residents: W1's 1,000 × 1/4 of its postcodes inside = 250
    assert c["residents"].tolist() == pytest.approx([250.0, 4000.0, 10000.0])
    assert c["per_km2"].tolist() == pytest.approx([160.0, 25.0, 18.75])
    assert c["per_1000"].tolist() == pytest.approx([160.0, 25.0, 15.0])
    # 40/100 of the district's incidents on 0.25/4 = 1/16 of its land: 6.4 times
    assert c.loc["area", "share_of_district_incidents"] == pytest.approx(0.4)
    assert c.loc["area", "share_of_district_land"] == pytest.approx(0.0625)
    assert c.loc["area", "concentration"] == pytest.approx(6.4)
    assert c.loc["district", "concentration"] == 1.0
    assert math.isnan(c.loc["county", "concentration"])
    assert "6.4 times its share of Dee's land" in p.statutory[0]["shows"]
    assert p.filters == {"themes": ["all"], "months": p.months}


def test_profile_mix_tables(crafted_profile):
    t = crafted_profile.themes
    assert t.index.tolist() == [
        "ASB & public space", "exploitation & safeguarding", "acquisitive",
    ]  # fmt: skip
    assert t["area"].tolist() == [38, 2, 0]
    assert t["district"].tolist() == [38, 2, 60]
    assert t["county"].tolist() == [38, 2, 110]
    assert t["area_share"].tolist() == pytest.approx([0.95, 0.05, 0.0])
    assert t["district_share"].tolist() == pytest.approx([0.38, 0.02, 0.6])
    cats = crafted_profile.categories
    assert cats.index.tolist() == ["Anti-social behaviour", "Exploitation concern"]
    assert cats["area"].tolist() == [38, 2]


def test_profile_monthly_gap_is_na(crafted_profile):
    m = crafted_profile.monthly
    assert m["month"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert m["area"].tolist()[:2] == [10, 10]
    assert m["area"].isna().tolist() == [False, False, True, False]
    assert m["area"][3] == 20
    assert m["district"].isna().tolist() == [False, False, True, False]
    assert m["district"].dropna().tolist() == [30, 30, 40]
    # 1000 × 10/250 = 40 per 1,000 residents
    assert m["area_per_1000"].dropna().tolist() == pytest.approx([40.0, 40.0, 80.0])


def test_profile_trend_and_persistence(crafted_profile):
    trend = crafted_profile.trend
    # S = sign(10-10) + sign(20-10) + sign(20-10) = 2; tau = 2/3; Var S with one tie
    # of 2 = (3*2*11 - 2*1*9)/18 = 48/18; z = (2-1)/sqrt(48/18) = 0.6124: no trend
    assert trend["mann_kendall_tau"] == pytest.approx(2 / 3)
    assert trend["direction"] == "no trend"
    assert trend["recent_months"] == ["2024-04"]
    assert trend["earlier_months"] == ["2024-01", "2024-02"]
    assert (trend["recent"], trend["earlier"]) == (20, 20)
    # 20 in one month against 20 in two: twice the rate
    assert trend["rate_ratio"] == pytest.approx(2.0)
    per = crafted_profile.persistence
    by_month = per["by_month"]
    assert by_month["month"].tolist() == ["2024-01", "2024-02", "2024-04"]
    # expected = district count × 1/16: 30/16, 30/16, 40/16
    assert by_month["expected"].tolist() == pytest.approx([1.875, 1.875, 2.5])
    assert by_month["area"].tolist() == [10, 10, 20]
    # P(X >= 10 | n = 30, p = 1/16) is tiny: hot in every month
    assert per["months_hot"] == ["2024-01", "2024-02", "2024-04"]
    assert (per["n_hot"], per["n_months"]) == (3, 3)
    assert "one-sided exact binomial" in per["definition"]


def test_profile_safeguarding_counted_never_placed(crafted_profile):
    p = crafted_profile
    assert p.safeguarding == 2
    assert p.points.shape == (38, 2)
    # the safeguarding incidents stand at (310, 310); nothing public does
    assert not ((p.points[:, 0] == 310) & (p.points[:, 1] == 310)).any()
    texts = [t for t, _ in p.top_locations]
    assert "On or near Secret Street" not in texts
    # empty and bare "On or near" dropped; the rest counted
    assert p.top_locations == [
        ("On or near High Street", 20),
        ("On or near Market Place", 5),
    ]
    assert any("2 safeguarding incidents" in s for s in p.limitations)


def test_profile_day_hour_only_real_times(crafted_profile):
    p = crafted_profile
    # five at Monday 21:30; the date-only midnights and the safeguarding time are not
    assert p.day_hour_n == 5
    assert p.day_hour.shape == (7, 24)
    assert p.day_hour.loc["Monday", 21] == 5
    assert int(p.day_hour.to_numpy().sum()) == 5
    assert p.day_hour.loc["Monday", 10] == 0
    assert p.day_hour.loc["Tuesday", 0] == 0


def test_profile_without_times_has_no_day_hour(two_districts):
    frame = _profile_incidents().drop(columns="occurred_at")
    p = profile_area(frame, CRAFTED_AREA, months=("2024-01", "2024-02"))
    assert p.day_hour is None
    assert p.day_hour_n == 0
    assert p.comparison.loc["area", "incidents"] == 20


def test_profile_statutory_limitations_consultees(crafted_profile):
    p = crafted_profile
    assert [s["test"] for s in p.statutory] == [
        "Detrimental effect on the quality of life",
        "Persistent or continuing",
        "Unreasonable",
        "Justifies the restrictions imposed",
    ]
    assert all(s["shows"] and s["cannot_show"] for s in p.statutory)
    assert "40 incidents in 0.25 km²" in p.statutory[0]["shows"]
    assert "3 of 3 months" in p.statutory[1]["shows"]
    assert "2024-03" in p.statutory[1]["cannot_show"]
    assert any("This is evidence, not legal advice" in s for s in p.limitations)
    assert any("No data for 2024-03" in s for s in p.limitations)
    consultees = " ".join(p.consultees)
    for who in (
        "Kent Police",
        "Police and Crime Commissioner",
        "community representatives",
        "owners or occupiers",
        "Kent County Council",
        "parish or town council",
    ):
        assert who in consultees
    assert p.provenance["area"] == {
        "name": "Town centre",
        "kind": "drawn",
        "source": "drawn on the map",
        "area_km2": 0.25,
    }


def test_profile_says_why_positions_are_approximate_for_its_sources(
    crafted_profile, two_districts
):
    """police.uk's snap points for police data; a partner file alone had been
    told its positions were police.uk's snap points too."""
    said = " ".join(
        [crafted_profile.statutory[0]["cannot_show"], *crafted_profile.limitations]
    )
    assert "police.uk positions are anonymised to snap points" in said
    assert "located by postcode" not in said
    partner = _profile_incidents().assign(source="council ASB log")
    p = profile_area(
        partner, CRAFTED_AREA, months=("2024-01", "2024-04"),
        available_months=["2023-12", "2024-01", "2024-02", "2024-04"],
    )  # fmt: skip
    said = " ".join([p.statutory[0]["cannot_show"], *p.limitations])
    assert "police.uk" not in said
    assert (
        "A partner's incident located by postcode is at the postcode's one position "
        "(about 100 m across in towns), so incidents near the boundary may fall "
        "either side of it." in p.limitations
    )


def test_profile_refuses_months_without_data(two_districts):
    with pytest.raises(HotspotsError, match="No data for the months chosen"):
        profile_area(_profile_incidents(), CRAFTED_AREA, months=("2025-01", "2025-03"))


def test_area_residents_shares_of_postcodes(two_districts):
    # W1: 1000 × 2/4 (two of its postcodes inside) + W2: 3000 × 1/2
    assert area_residents(box(0, 0, 1550, 1550)) == pytest.approx(500.0)
    assert area_residents(box(0, 0, 1550, 1550).union(box(2900, 900, 3050, 1100))) == (
        pytest.approx(2000.0)
    )
    assert area_residents(box(10_000, 10_000, 10_100, 10_100)) == 0.0


# ---------------------------------------------------------------------------
# areas: files, drawings, wards, hotspots
# ---------------------------------------------------------------------------


def _feature_collection(geometry: dict, **properties) -> bytes:
    feature = {"type": "Feature", "properties": properties, "geometry": geometry}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _lonlat_polygon(coords) -> dict:
    return {"type": "Polygon", "coordinates": [[list(c) for c in coords]]}


def _kml(coords, *, altitude: bool = False, name: str = "Margate from KML") -> bytes:
    text = " ".join(f"{x},{y}" + (",0" if altitude else "") for x, y in coords)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>
<name>{name}</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>{text}</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>""".encode()


@pytest.fixture(scope="module")
def margate() -> Area:
    return read_area(SAMPLE.name, SAMPLE.read_bytes())


def test_read_area_geojson_sample(margate):
    assert margate.name == "Margate town centre (illustrative)"
    assert margate.kind == "uploaded"
    assert margate.source == f"uploaded file {SAMPLE.name}"
    assert margate.geometry.geom_type == "Polygon"
    assert margate.geometry.is_valid
    # about 550 m by 700 m in the middle of Margate
    assert 0.25 < margate.area_km2 < 0.4
    x, y = margate.geometry.centroid.coords[0]
    assert 635_000 < x < 636_500
    assert 170_000 < y < 171_500


def test_read_area_kml_written_by_hand(margate):
    for altitude in (False, True):
        area = read_area("order.kml", _kml(MARGATE_LONLAT, altitude=altitude))
        assert area.name == "Margate from KML"
        assert area.geometry.has_z is False
        # the same corners as the GeoJSON sample: the same polygon
        assert area.area_km2 == pytest.approx(margate.area_km2, rel=1e-9)
        assert area.geometry.symmetric_difference(margate.geometry).area < 1e-3


def test_read_area_kml_written_by_geopandas(tmp_path, margate):
    layer = gpd.GeoDataFrame(
        {"Name": ["Order"]},
        geometry=[shapely.Polygon(MARGATE_LONLAT)],
        crs="EPSG:4326",
    )
    layer.to_file(tmp_path / "order.kml", driver="KML")
    area = read_area("order.kml", (tmp_path / "order.kml").read_bytes())
    assert area.area_km2 == pytest.approx(margate.area_km2, rel=1e-6)
    # a KMZ is a zip holding doc.kml
    kmz = io.BytesIO()
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", (tmp_path / "order.kml").read_bytes())
    assert read_area("order.kmz", kmz.getvalue()).area_km2 == pytest.approx(
        margate.area_km2, rel=1e-6
    )


def test_read_area_geopackage_picks_the_polygon_layer(tmp_path, margate):
    path = tmp_path / "order.gpkg"
    bng = margate.geometry
    gpd.GeoDataFrame(geometry=[bng.centroid], crs=CRS).to_file(path, layer="signs")
    gpd.GeoDataFrame({"name": ["Order area"]}, geometry=[bng], crs=CRS).to_file(
        path, layer="boundary"
    )
    area = read_area("order.gpkg", path.read_bytes(), area_name="Given name")
    assert area.name == "Given name"
    assert area.area_km2 == pytest.approx(margate.area_km2, rel=1e-9)


def _zipped_shapefile(tmp_path, frame, *, prj: bool = True, folder: str = "") -> bytes:
    frame.to_file(tmp_path / "order.shp")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for ext in ("shp", "shx", "dbf") + (("prj",) if prj else ()):
            archive.write(tmp_path / f"order.{ext}", f"{folder}order.{ext}")
    return out.getvalue()


def test_read_area_zipped_shapefile_in_a_folder(tmp_path, margate):
    frame = gpd.GeoDataFrame(
        {"name": ["x", "y"]},
        geometry=[box(635_500, 170_500, 635_700, 170_700), box(635_690, 170_500, 635_900, 170_700)],
        crs=CRS,
    )  # fmt: skip
    area = read_area("order.zip", _zipped_shapefile(tmp_path, frame, folder="pspo/"))
    # two overlapping squares dissolved into one polygon: 0.2 × 0.2 + 0.21 × 0.2 - 0.01 × 0.2
    assert area.geometry.geom_type == "Polygon"
    assert area.area_km2 == pytest.approx(0.08)
    assert area.name == "x"


def test_read_area_makes_invalid_polygons_valid():
    # a bow-tie (self-intersecting) ring around Margate's centre
    x, y = 1.38, 51.387
    bowtie = [(x, y), (x + 0.002, y + 0.002), (x + 0.002, y), (x, y + 0.002), (x, y)]
    area = read_area("bowtie.geojson", _feature_collection(_lonlat_polygon(bowtie)))
    assert area.geometry.is_valid
    assert area.geometry.area > 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02 not a map at all", "cannot read it as a map layer"),
        (b"PK\x03\x04 damaged", "zip file is damaged"),
        (
            b'{"type": "FeatureCollection", "features": [',
            "cannot read it as a map layer",
        ),
        (b'{"type": "FeatureCollection", "features": []}', "holds no features"),
    ],
)
def test_read_area_refuses_bad_files(data, message):
    with pytest.raises(HotspotsError, match=message) as info:
        read_area("upload.geojson", data)
    assert str(info.value).startswith("upload.geojson: ")


def test_read_area_refuses_points_and_lines():
    points = _feature_collection({"type": "MultiPoint", "coordinates": MARGATE_LONLAT})
    with pytest.raises(HotspotsError, match="Give the order's boundary as a polygon"):
        read_area("points.geojson", points)
    line = _feature_collection({"type": "LineString", "coordinates": MARGATE_LONLAT})
    with pytest.raises(HotspotsError, match=r"only LineString\)"):
        read_area("line.geojson", line)


def test_read_area_refuses_a_shapefile_without_crs(tmp_path):
    frame = gpd.GeoDataFrame(
        geometry=[box(635_500, 170_500, 635_700, 170_700)], crs=CRS
    )
    with pytest.raises(HotspotsError, match=r"no coordinate system.*\.prj"):
        read_area("order.zip", _zipped_shapefile(tmp_path, frame, prj=False))


def test_read_area_refuses_zip_without_a_layer():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "no map here")
    with pytest.raises(HotspotsError, match="holds no map layer"):
        read_area("order.zip", out.getvalue())


def test_read_area_refuses_areas_outside_kent():
    edinburgh = [(-3.20, 55.95), (-3.18, 55.95), (-3.18, 55.96), (-3.20, 55.96), (-3.20, 55.95)]  # fmt: skip
    with pytest.raises(
        HotspotsError, match=r"entirely outside Kent & Medway.*Edinburgh"
    ):
        read_area("scotland.geojson", _feature_collection(_lonlat_polygon(edinburgh)))
    paris = [(2.33, 48.85), (2.36, 48.85), (2.36, 48.87), (2.33, 48.85)]
    with pytest.raises(HotspotsError, match="outside Great Britain"):
        read_area("paris.kml", _kml(paris))


def test_area_from_geojson_feature_collection_and_bare(margate):
    geometry = _lonlat_polygon(MARGATE_LONLAT)
    feature = {"type": "Feature", "properties": {}, "geometry": geometry}
    collection = {"type": "FeatureCollection", "features": [feature]}
    for shape in (geometry, feature, collection):
        area = area_from_geojson(shape, name="Drawn")
        assert (area.name, area.kind, area.source) == (
            "Drawn",
            "drawn",
            "drawn on the map",
        )
        assert area.area_km2 == pytest.approx(margate.area_km2, rel=1e-9)


def test_area_from_geojson_refuses_bad_drawings():
    line = {"type": "LineString", "coordinates": MARGATE_LONLAT}
    with pytest.raises(HotspotsError, match="no polygon"):
        area_from_geojson(line)
    with pytest.raises(HotspotsError, match="nothing was drawn"):
        area_from_geojson({"type": "FeatureCollection", "features": []})
    with pytest.raises(HotspotsError, match="not a GeoJSON shape"):
        area_from_geojson({"type": "Polygon", "coordinates": "nonsense"})
    with pytest.raises(TypeError):
        area_from_geojson("not a dict")  # type: ignore[arg-type]


def test_area_from_ward():
    area = area_from_ward("e05005093")
    assert area.name == "Margate Central ward"
    assert area.kind == "ward"
    assert area.source == "ward E05005093 (Margate Central, Thanet)"
    ward = load_ward("E05005093")
    assert area.geometry.symmetric_difference(ward).area < 1.0
    with pytest.raises(HotspotsError, match="Unknown ward code 'E05999999'"):
        area_from_ward("E05999999")


def load_ward(code: str):
    wards = gpd.read_parquet(bundled.WARDS)
    return wards.loc[wards["ward_code"] == code].geometry.iloc[0]


def test_area_from_hotspot(margate):
    hot = gpd.GeoDataFrame(
        {"hotspot_id": [1, 2], "incidents": [90, 40]},
        geometry=[margate.geometry, margate.geometry.buffer(-100)],
        crs=CRS,
    )
    area = area_from_hotspot(hot, 2, label="KDE (bandwidth 200 m)")
    assert (area.name, area.kind) == ("Hotspot 2", "hotspot")
    assert area.source == "KDE (bandwidth 200 m), hotspot 2"
    assert area.area_km2 == pytest.approx(margate.geometry.buffer(-100).area / 1e6)
    with pytest.raises(HotspotsError, match="no hotspot ranked 3"):
        area_from_hotspot(hot, 3, label="KDE")


def test_area_residents_of_a_ward_is_close_to_its_census_count():
    pop = pd.read_csv(bundled.POPULATION_WARDS).set_index("ward_code")["residents"]
    estimate = area_residents(load_ward("E05005093"))
    assert estimate == pytest.approx(pop["E05005093"], rel=0.1)


# ---------------------------------------------------------------------------
# the bundled data: the Margate sample order
# ---------------------------------------------------------------------------

PROFILE_MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]


@pytest.fixture(scope="module")
def kent() -> gpd.GeoDataFrame:
    return gpd.read_parquet(bundled.POLICE_UK_KENT)


@pytest.fixture(scope="module")
def margate_profile(kent, margate):
    return profile_area(kent, margate, months=("2024-01", "2024-04"))


@pytest.fixture(scope="module")
def margate_evaluation(kent, margate):
    return evaluate_order(kent, margate, "2022-07")


def _hits(frame: gpd.GeoDataFrame, geometry) -> np.ndarray:
    """Independent point-in-polygon (geopandas, no distinct-position shortcut)."""
    return frame.geometry.intersects(geometry).to_numpy()


def test_real_profile_counts_match_point_in_polygon(kent, margate, margate_profile):
    p = margate_profile
    chosen = kent[kent["month"].astype(str).isin(PROFILE_MONTHS)]
    near = chosen.cx[633_000:638_000, 168_000:173_000]
    expected = int(_hits(near, margate.geometry).sum())
    assert expected > 100
    c = p.comparison
    assert c.loc["area", "incidents"] == expected
    assert len(p.points) == expected  # police.uk has no safeguarding rows
    assert p.safeguarding == 0
    assert c.loc["district", "incidents"] == int((chosen["lad_code"] == THANET).sum())
    county = chosen["lad_code"].isin(list(bundled.KENT_MEDWAY_DISTRICTS))
    assert c.loc["county", "incidents"] == int(county.sum())
    assert (p.district_code, p.district_name) == (THANET, "Thanet")
    # a town centre: far more than its share of the district's incidents
    assert c.loc["area", "concentration"] > 5
    assert c.loc["area", "per_km2"] > 10 * c.loc["district", "per_km2"]
    assert 0 < c.loc["area", "residents"] < 20_000
    assert p.monthly["month"].tolist() == PROFILE_MONTHS
    assert int(p.monthly["area"].sum()) == expected
    assert p.day_hour is None  # police.uk gives months only
    assert p.top_locations
    assert all(t.strip().lower() != "on or near" for t, _ in p.top_locations)
    assert p.trend["recent_months"] == ["2024-04"]
    assert p.persistence["n_months"] == 4
    assert p.provenance["area"]["name"] == margate.name
    assert p.provenance["data"]["months"] == PROFILE_MONTHS


def test_real_profile_all_months_leaves_the_gap_empty(kent, margate):
    p = profile_area(kent, margate)
    gap = p.monthly[p.monthly["area"].isna()]["month"].tolist()
    assert gap == [f"2023-{m:02d}" for m in range(2, 13)]
    assert len(p.months) == 17
    assert any("2023-02..2023-12" in s for s in p.limitations)


def test_real_evaluation_windows_and_counts(kent, margate, margate_evaluation):
    ev = margate_evaluation
    assert ev.before_months == [f"2022-{m:02d}" for m in range(1, 7)]
    assert ev.after_months == [f"2022-{m:02d}" for m in range(7, 13)]
    assert any("2023-01 left out" in n for n in ev.notes)
    assert ev.buffer_m == pytest.approx(400.0)
    assert ev.control_source.startswith("the rest of Thanet")
    # independent counts: area first, then the ring, then the rest of Thanet
    months = kent["month"].astype(str)
    thanet = kent.cx[620_000:641_000, 160_000:175_000]
    in_area = _hits(thanet, margate.geometry)
    in_buffer = _hits(thanet, ev.buffer) & ~in_area
    in_control = _hits(thanet, ev.control) & ~in_area & ~in_buffer
    before = months[thanet.index].isin(ev.before_months).to_numpy()
    after = months[thanet.index].isin(ev.after_months).to_numpy()
    for zone, hits in (
        ("area", in_area),
        ("buffer", in_buffer),
        ("control", in_control),
    ):
        assert ev.counts.loc[zone, "before"] == int((hits & before).sum()), zone
        assert ev.counts.loc[zone, "after"] == int((hits & after).sum()), zone
    # the measures are those of the counts
    (rb, ra), (bb, ba), (cb, ca) = ev.counts[["before", "after"]].to_numpy().tolist()
    assert ev.success_measure == pytest.approx(ra / ca - rb / cb)
    assert ev.total_net_effect == pytest.approx(
        total_net_effect(rb, ra, bb, ba, cb, ca)
    )
    assert ev.wdq == pytest.approx(wdq(rb, ra, bb, ba, cb, ca), nan_ok=True)
    assert ev.verdict in {
        "reduction", "reduction with displacement",
        "reduction with diffusion of benefit", "no evidence of reduction", "increase",
    }  # fmt: skip
    assert ev.sentence.startswith("Incidents in the area ")
    assert not ev.buffer.intersects(margate.geometry.buffer(-0.01))
    assert ev.provenance["parameters"]["before_months"] == ev.before_months


def test_read_layer_reads_points_for_other_uploads():
    # the street-week planner's recent sites come through the same reader
    placemarks = "".join(
        f"<Placemark><name>site {i}</name><Point><coordinates>{x},{y}</coordinates>"
        "</Point></Placemark>"
        for i, (x, y) in enumerate(MARGATE_LONLAT[:3])
    )
    kml = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{placemarks}</Document></kml>"
    ).encode()
    layer = pspo.read_layer("sites.kml", kml)
    assert layer.crs == CRS
    assert layer.geom_type.tolist() == ["Point"] * 3
    assert layer["Name"].tolist() == ["site 0", "site 1", "site 2"]
    with pytest.raises(HotspotsError, match="not a GeoJSON, GeoPackage, KML/KMZ"):
        pspo.read_layer("sites.csv", b"site,x,y\na,1,2\n")
