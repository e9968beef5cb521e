"""Disclosure control: each public rule on crafted tables, and differencing attacks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from shapely.geometry import box

from hotspots._validate import HotspotsError
from hotspots.disclosure import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    apply_disclosure,
    audit_suppression,
    check_mode,
    disclose_areas,
    disclose_gistar_bins,
    disclose_hotspots,
    disclose_record,
    disclose_surface,
    disclose_trend_cells,
    round_to_base,
    suppression_pattern,
)


# ------------------------------------------------------------------ inputs
def test_bad_mode_and_threshold() -> None:
    with pytest.raises(HotspotsError, match="Unknown disclosure mode"):
        check_mode("open")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(HotspotsError, match="threshold"):
            check_mode("public", bad)  # type: ignore[arg-type]


def test_negative_or_missing_counts_refused() -> None:
    with pytest.raises(HotspotsError, match="0 or more"):
        suppression_pattern([5, -1, 30])
    with pytest.raises(HotspotsError, match="0 or more"):
        suppression_pattern([5, np.nan, 30])


def test_missing_column_named() -> None:
    with pytest.raises(HotspotsError, match="'incidents' is missing"):
        apply_disclosure(pd.DataFrame({"n": [1]}), mode="public")


def test_empty_frame_passes() -> None:
    out = apply_disclosure(pd.DataFrame({"incidents": []}), mode="public")
    assert out.empty


# ------------------------------------------------------------------ rules
def test_restricted_changes_nothing() -> None:
    frame = pd.DataFrame({"incidents": [1, 2, 40], "g": list("aab")})
    out = apply_disclosure(frame, mode="restricted", group_column="g")
    pd.testing.assert_frame_equal(out, frame)
    assert out.attrs["disclosure"]["mode"] == "restricted"


def test_primary_suppression_below_threshold_zero_included() -> None:
    frame = pd.DataFrame({"incidents": [0, 9, 10, 11, 100, 200]})
    out = apply_disclosure(frame, mode="public")
    assert out["incidents"].isna().tolist()[:2] == [True, True]
    assert out["incidents_note"].tolist()[:2] == ["<10", "<10"]
    assert out["incidents_note"].iloc[2] == "[c]"  # secondary: see below
    assert frame["incidents"].tolist() == [0, 9, 10, 11, 100, 200]  # input untouched


def test_configurable_threshold() -> None:
    out = apply_disclosure(
        pd.DataFrame({"incidents": [4, 6, 60, 70]}), mode="public", threshold=5
    )
    assert out["incidents_note"].tolist()[0] == "<5"
    assert (
        not pd.isna(out["incidents"].iloc[1]) or out["incidents_note"].iloc[1] == "[c]"
    )


def test_rounding_to_nearest_five() -> None:
    assert round_to_base([10, 12, 12.5, 13, 17, 22.4, 1003]).tolist() == [
        10,
        10,
        15,
        15,
        15,
        20,
        1005,
    ]
    frame = pd.DataFrame({"incidents": [23, 37, 41, 1002]})
    out = apply_disclosure(frame, mode="public")
    assert out["incidents"].tolist() == [25, 35, 40, 1000]
    assert out["incidents"].dtype == "Int64"


def test_secondary_when_one_cell_in_a_group() -> None:
    # district a: one ward suppressed -> the next smallest (12) is withheld too
    frame = pd.DataFrame({"incidents": [3, 50, 12, 60, 40, 45], "lad": list("aaabbb")})
    out = apply_disclosure(frame, mode="public", group_column="lad")
    assert out["incidents_note"].tolist()[:3] == ["<10", pd.NA, "[c]"] or (
        out["incidents_note"].iloc[0] == "<10"
        and out["incidents_note"].iloc[2] == "[c]"
    )
    assert out["incidents"].iloc[3:].tolist() == [60, 40, 45]  # group b untouched


def test_secondary_when_withheld_sum_is_small() -> None:
    # two primaries summing to 3 (< 10): a third cell is withheld
    state = suppression_pattern([1, 2, 30, 40])
    assert state.ravel().tolist() == [PRIMARY, PRIMARY, SECONDARY, PUBLISHED]


def _attack(
    counts: np.ndarray,
    state: np.ndarray,
    lines: list[list[tuple[int, int]]],
    cell: tuple[int, int],
    threshold: int = 10,
) -> tuple[float, float]:
    """An attacker's LP, written independently: exact totals, exact published cells,
    withheld cells only >= 0 (weaker than the module's own audit)."""
    hidden = [tuple(x) for x in np.argwhere(state != PUBLISHED)]
    pos = {h: k for k, h in enumerate(hidden)}
    a_eq, b_eq = [], []
    for line in lines:
        row = np.zeros(len(hidden))
        rhs = float(sum(counts[c] for c in line))
        for c in line:
            if c in pos:
                row[pos[c]] = 1
            else:
                rhs -= counts[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    obj = np.zeros(len(hidden))
    obj[pos[cell]] = 1
    lo = linprog(obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=[(0, None)] * len(hidden))
    hi = linprog(-obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=[(0, None)] * len(hidden))
    return lo.fun, -hi.fun


def test_cannot_recover_cell_from_row_and_column_totals() -> None:
    # 3 wards x 3 categories; row totals (ward) and column totals published
    counts = np.array([[4, 25, 30], [20, 40, 50], [35, 60, 70]])
    rows = [[(i, j) for j in range(3)] for i in range(3)]
    cols = [[(i, j) for i in range(3)] for j in range(3)]
    naive = np.zeros_like(counts)
    naive[0, 0] = PRIMARY
    # without secondary suppression the attack recovers the cell exactly
    assert _attack(counts, naive, rows + cols, (0, 0)) == (4, 4)
    state = suppression_pattern(counts)
    assert state[0, 0] == PRIMARY
    lo, hi = _attack(counts, state, rows + cols, (0, 0))
    assert hi - lo >= 1, (lo, hi)
    # every row and column holds 0 or at least 2 withheld cells
    hidden = state != PUBLISHED
    assert set(hidden.sum(axis=0)) <= {0, 2, 3}
    assert set(hidden.sum(axis=1)) <= {0, 2, 3}


def test_bridge_between_blocks_is_caught_by_the_audit() -> None:
    # Per-line rules alone can leave a cell that is a bridge between two blocks;
    # the audit must find and fix it. Build such a pattern and audit it directly.
    counts = np.array(
        [[2, 30, 0, 0], [30, 3, 0, 0], [0, 0, 4, 40], [0, 5, 40, 50]], dtype=float
    ) + np.array([[0, 0, 60, 60], [0, 0, 60, 60], [60, 60, 0, 0], [60, 0, 0, 0]])
    state = np.zeros((4, 4), dtype=np.int8)
    for cell in [(0, 0), (1, 1), (2, 2), (3, 1)]:
        state[cell] = PRIMARY
    for cell in [(0, 1), (1, 0), (2, 3), (3, 2)]:
        state[cell] = SECONDARY
    bounds = audit_suppression(counts, state)
    assert np.nanmin(bounds[..., 1] - bounds[..., 0]) >= 0
    final = suppression_pattern(counts)
    audit = audit_suppression(counts, final)
    prim = final == PRIMARY
    assert (audit[..., 1][prim] - audit[..., 0][prim] >= 1).all()


def test_exhaustive_small_tables_never_recoverable() -> None:
    rng = np.random.default_rng(0)
    for _ in range(60):
        counts = rng.integers(0, 40, size=(4, 3))
        rows = [[(i, j) for j in range(3)] for i in range(4)]
        cols = [[(i, j) for i in range(4)] for j in range(3)]
        try:
            state = suppression_pattern(counts)
        except HotspotsError:
            continue  # refused rather than exposed
        for cell in map(tuple, np.argwhere(state == PRIMARY)):
            lo, hi = _attack(counts, state, rows + cols, cell)
            assert hi - lo >= 1, (counts, state, cell)


def test_grouped_ward_table_attack_fails() -> None:
    rng = np.random.default_rng(1)
    wards = rng.integers(0, 30, size=24).astype(float)
    groups = np.repeat(list("abcd"), 6)
    state = suppression_pattern(wards, groups=groups).ravel()
    lines = [[(int(i), 0) for i in np.flatnonzero(groups == g)] for g in "abcd"]
    for i in np.flatnonzero(state == PRIMARY):
        lo, hi = _attack(wards[:, None], state[:, None], lines, (int(i), 0))
        assert hi - lo >= 1


def test_unprotectable_table_refused() -> None:
    # one primary 0 and one other cell of exactly 10: the total gives both away
    with pytest.raises(HotspotsError, match="worked out"):
        suppression_pattern([0, 10])


def _ward_table() -> pd.DataFrame:
    inc = np.array([3, 50, 12, 60, 40, 45, 0, 100])
    prev = np.array([20, 40, 9, 55, 41, 30, 2, 90])
    return pd.DataFrame(
        {
            "ward_code": [f"W{i}" for i in range(8)],
            "ward_name": [
                '=HYPERLINK("http://x","y")',
                *[f"w{i}" for i in range(1, 8)],
            ],
            "lad_code": list("aaabbbcc"),
            "incidents": inc,
            "harm": inc * 1.5,
            "residents": [1000] * 8,
            "rate_per_1000": inc / 1.0,
            "share": inc / inc.sum(),
            "location_quotient": inc / inc.mean(),
            "previous": pd.array(prev, dtype="Int64"),
            "change": pd.array(inc - prev, dtype="Int64"),
            "change_pct": 100 * (inc - prev) / prev,
            "change_p": np.full(8, 0.5),
            "change_p_adj": np.full(8, 0.5),
            "change_significant": pd.array([False] * 8, dtype="boolean"),
            "previous_note": pd.array([pd.NA] * 8, dtype="string"),
            "rank": pd.Series(inc).rank(method="min", ascending=False).astype(int),
        }
    )


def test_area_table_derived_fields_follow_published_counts() -> None:
    table = _ward_table()
    out = disclose_areas(table, mode="public")
    hidden = out["incidents"].isna().to_numpy()
    assert hidden[[0, 2, 6, 7]].all()  # 3 and 0 primary; 12, 100 secondary
    for col in (
        "harm",
        "rate_per_1000",
        "share",
        "location_quotient",
        "change",
        "change_pct",
        "rank",
    ):
        assert out.loc[hidden, col].isna().all(), col
    assert "change_p" not in out
    assert "change_p_adj" not in out
    pub = ~hidden
    c = out.loc[pub, "incidents"].astype(float)
    assert (c % 5 == 0).all()
    np.testing.assert_allclose(
        out.loc[pub, "rate_per_1000"], c / 1000 * 1000, atol=0.01
    )
    total = round_to_base(table["incidents"].sum())
    np.testing.assert_allclose(out.loc[pub, "share"], (c / total).round(4))
    p = out.loc[pub, "previous"].astype(float)
    np.testing.assert_array_equal(out.loc[pub, "change"].astype(float), c - p)
    assert (out.loc[pub, "harm"] % 5 == 0).all()


def test_hotspots_public_rules() -> None:
    hot = gpd.GeoDataFrame(
        {
            "hotspot_id": [1, 2, 3],
            "incidents": [103, 12, 7],
            "harm": [103.0, 12.0, 7.0],
            "share": [103 / 500, 12 / 500, 7 / 500],
            "area_km2": [1.0, 0.5, 0.1],
            "incidents_per_km2": [103.0, 24.0, 70.0],
            "top_categories": [
                "Violence 50%, Drugs 9%, Robbery 2%",
                "Burglary 100%",
                "X 100%",
            ],
            "trend_ratio": [1.2, 0.5, 2.0],
            "trend_p": [0.1, 0.2, 0.3],
            "locations": [40, 3, 1],
            "mystery_count": [5, 6, 7],
            "wards": ["<script>alert(1)</script>", "b", "c"],
        },
        geometry=[
            box(0, 0, 1000, 1000),
            box(2000, 0, 2500, 1000),
            box(5000, 0, 5100, 1000),
        ],
        crs="EPSG:27700",
    )
    out = disclose_hotspots(hot, mode="public")
    assert out["hotspot_id"].tolist() == [1, 2]  # under 10 dropped
    assert out["incidents"].tolist() == [105, 10]
    assert out["top_categories"].tolist() == ["Violence", "Burglary"]
    assert out["share"].tolist() == [round(105 / 500, 3), round(10 / 500, 3)]
    for dropped in ("trend_ratio", "trend_p", "locations", "mystery_count"):
        assert dropped not in out
    assert out.crs == hot.crs
    assert len(hot) == 3
    full = disclose_hotspots(hot, mode="restricted")
    assert len(full) == 3
    assert "locations" in full


def test_provenance_counts_rounded_in_public() -> None:
    record = {
        "software": "hotspots 0.1.0",
        "data": {
            "incidents": 5303,
            "located": 5301,
            "unlocated": 2,
            "sources": {"police.uk": 5303},
            "months": ["2024-01"],
        },
        "parameters": {"incidents_used": 5301, "bandwidth_m": 200.0},
    }
    out = disclose_record(record, mode="public")
    assert out["data"]["incidents"] == 5305
    assert out["data"]["unlocated"] == "<10"
    assert out["data"]["sources"]["police.uk"] == 5305
    assert out["parameters"]["bandwidth_m"] == 200.0
    assert out["disclosure"] == {
        **out["disclosure"],
        "mode": "public",
        "threshold": 10,
        "rounding": "nearest 5",
    }
    assert disclose_record(record, mode="restricted")["data"]["incidents"] == 5303


def test_trend_cells_public_drop_small_cells_round_counts_and_drop_test_statistics():
    cells = gpd.GeoDataFrame(
        {
            "row": [1, 2, 3, 4, 5],
            "col": [0, 0, 0, 0, 0],
            "n": [3, 9, 10, 12, 27],
            "months": 17,
            "months_hot": [1, 2, 16, 17, 5],
            "months_cold": 0,
            "hot_last": [True, False, True, True, False],
            "pattern": ["new", "former", "intensifying", "persistent", "former"],
            "mk_s": [4.0, -2.0, 60.0, 3.0, -40.0],
            "mk_z": [0.5, -0.2, 3.1, 0.1, -2.5],
            "mk_p": [0.6, 0.8, 0.002, 0.9, 0.01],
            "trend": ["none", "none", "up", "none", "down"],
            "ward": ["A", "A", "B", "B", "C"],
        },
        geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(5)],
        crs="EPSG:27700",
    )
    public = disclose_trend_cells(cells, mode="public")
    assert public["row"].tolist() == [3, 4, 5]  # under 10 incidents: left out
    assert public["n"].tolist() == [10, 10, 25]  # to the nearest 5
    assert not {"mk_s", "mk_z", "mk_p"} & set(public.columns)
    for kept in ("pattern", "trend", "months_hot", "hot_last", "ward", "geometry"):
        assert public[kept].tolist() == cells[kept].iloc[2:].tolist()
    record = public.attrs["disclosure"]
    assert record["mode"] == "public"
    assert record["cells_dropped_below_threshold"] == 2
    assert sorted(record["columns_dropped"]) == ["mk_p", "mk_s", "mk_z"]
    assert disclose_trend_cells(cells, mode="public", threshold=3)["n"].tolist() == [
        5, 10, 10, 10, 25,
    ]  # fmt: skip
    restricted = disclose_trend_cells(cells, mode="restricted")
    pd.testing.assert_frame_equal(restricted, cells)
    assert restricted.attrs["disclosure"]["mode"] == "restricted"
    with pytest.raises(HotspotsError, match="disclosure mode"):
        disclose_trend_cells(cells, mode="open")
    with pytest.raises(HotspotsError, match="n"):
        disclose_trend_cells(cells.drop(columns="n"), mode="public")


def test_disclose_surface_withholds_cells_of_few_incidents():
    values = np.array([[0.0, 5.0, 50.0], [np.nan, 123.4, 7.6]])
    counts = np.array([[0.0, 1.0, 9.0], [np.nan, 10.0, 31.0]])
    public = disclose_surface(values, counts, mode="public")
    # withheld under 10 incidents; the rest to 1 significant figure
    expected = np.array([[np.nan, np.nan, np.nan], [np.nan, 100.0, 8.0]])
    np.testing.assert_array_equal(public, expected)
    # the threshold is the user's; restricted is the surface itself
    shown = disclose_surface(values, counts, mode="public", threshold=1)
    np.testing.assert_array_equal(
        np.isnan(shown), [[True, False, False], [True, False, False]]
    )
    assert disclose_surface(values, counts, mode="restricted") is values
    with pytest.raises(HotspotsError):
        disclose_surface(values, counts, mode="open")


def test_disclose_gistar_bins_needs_a_window_of_threshold_incidents():
    bins = np.array([[3, 2, 0], [-1, 1, -3]], dtype=np.int8)
    windows = np.array([[1.0, 10.0, 0.0], [4.0, 25.0, 9.0]])
    public = disclose_gistar_bins(bins, windows, mode="public")
    np.testing.assert_array_equal(public, [[False, True, False], [False, True, False]])
    assert disclose_gistar_bins(bins, windows, mode="restricted").all()
    with pytest.raises(HotspotsError):
        disclose_gistar_bins(bins, windows, mode="public", threshold=0)


def test_round_significant():
    from hotspots.disclosure import round_significant

    got = round_significant([0.0, np.nan, 0.0347, 1.0, 149.0, 151.0, 9_640.0, -26.0], 1)
    want = [0.0, np.nan, 0.03, 1.0, 100.0, 200.0, 10_000.0, -30.0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(round_significant([1234.5, 0.012345], 3), [1230, 0.0123])


def test_a_public_surface_does_not_give_the_counts_at_known_places_back():
    """Exact densities are linear in the counts at each location: where the
    locations are known (postcode centroids), a bounded least-squares solve
    from the published cells gave almost every count back. Independently of
    the module: 120 places with 1-5 incidents in a 2 km square, the quartic
    kernel (bandwidth 200 m) on 50 m cells written out here."""
    from scipy.optimize import lsq_linear

    rng = np.random.default_rng(0)
    places = rng.uniform(0, 2000, size=(120, 2))
    n = 1 + rng.poisson(0.7, size=len(places))
    h = 200.0
    cx, cy = np.meshgrid(np.arange(25, 2000, 50), np.arange(25, 2000, 50))
    centres = np.column_stack([cx.ravel(), cy.ravel()])
    d2 = ((centres[:, None, :] - places[None, :, :]) ** 2).sum(-1)
    kernel = 3 / (np.pi * h * h) * (1 - d2 / (h * h)) ** 2 * 1e6  # per km²
    A = np.where(d2 < h * h, kernel, 0.0)
    density = A @ n
    within = (d2 < h * h) @ n

    def recovered(values: np.ndarray) -> tuple[float, int]:
        shown = np.isfinite(values)
        used = (A[shown] > 0).any(axis=0)
        solved = lsq_linear(A[shown][:, used], values[shown], bounds=(0, np.inf)).x
        several = n[used] >= 2
        return float((np.rint(solved) == n[used])[several].mean()), int(several.sum())

    # the premise: the cells of 10 incidents or more, exact, give the counts back
    # (all of them on one machine, 57 of 59 on another: the solver's rounding)
    exact, several = recovered(np.where(within >= 10, density, np.nan))
    assert several > 40
    assert exact > 0.9
    public, _ = recovered(disclose_surface(density, within, mode="public"))
    assert public < 0.3


def test_public_gistar_hotspots_leave_out_their_z_scores():
    """A Gi* z-score is its window's count, scaled by one number for the whole
    grid: to 2 decimals, the busiest 300 m square of each hotspot could be read
    back (9 incidents in one of 40, here). Public layers leave max_z and mean_z
    out; restricted ones keep them."""
    from scipy.signal import convolve2d

    from hotspots.boundaries import study_area
    from hotspots.detect import detect
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    month = inc["month"].astype(str)
    sel = inc[
        (inc["lad_code"] == "E07000114")
        & month.between("2024-01", "2024-04")
        & (inc["theme"] == "drugs & county lines")
    ]
    found = detect(sel, method="gistar", study_area=study_area(["E07000114"]))
    r = found.result
    # the premise, independently: z = (W - 9 x̄) / (S c) inside the area
    x = np.where(r.mask, r.counts, 0.0)
    window = convolve2d(x, np.ones((3, 3)), mode="same")
    full = convolve2d(r.mask.astype(float), np.ones((3, 3)), mode="same") == 9
    n, mean, sd = r.mask.sum(), x[r.mask].mean(), x[r.mask].std()
    c = np.sqrt((n * 9 - 81) / (n - 1))
    inside = r.mask & full & np.isfinite(r.gi_z)
    back = 9 * mean + np.round(r.gi_z[inside], 2) * sd * c
    np.testing.assert_allclose(back, window[inside], atol=0.05)
    public = disclose_hotspots(found.hotspots, mode="public")
    assert len(public) > 0
    assert not {"max_z", "mean_z"} & set(public.columns)
    assert {"max_z", "mean_z"} <= set(public.attrs["disclosure"]["columns_dropped"])
    restricted = disclose_hotspots(found.hotspots, mode="restricted")
    assert {"max_z", "mean_z"} <= set(restricted.columns)
