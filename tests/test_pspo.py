"""PSPO evidence: hand-computed statistics, crafted areas, the bundled data, bad input."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from hotspots import bundled, pspo
from hotspots._validate import HotspotsError
from hotspots.pspo import (
    Area,
    change_p,
    evaluate_order,
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
        "WDQ −0.12: the buffer worsened, by less than the area improved, but not significantly"
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
    assert ev.total_net_effect == pytest.approx(20.0)
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
