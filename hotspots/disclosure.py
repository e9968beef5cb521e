"""Disclosure control for published outputs: suppression, rounding and audits.

Two modes (`MODES`):

- ``restricted`` (partners with a data-sharing agreement): full detail, nothing
  changed.
- ``public`` (the default for downloads): the rules below.

Rules of the public mode (``t`` = `threshold`, default 10; ``b`` = rounding base 5)

1. **Primary suppression.** A count ``c < t`` (zero included: "no incidents" is
   also a fact about a small area) is withheld: NA, shown as ``"<10"``.
2. **Rounding.** Every published count is rounded to the nearest ``b`` (halves
   up): ``b * floor(c / b + 1/2)``. A count ``>= t`` stays ``>= t`` since ``t`` is a
   multiple of ``b`` by default.
3. **Secondary suppression** (tables). A *line* is a set of cells whose total
   is published or can be derived: each count column within each group (e.g.
   the wards of one district, whose total is the district's row; with no group,
   the whole column, whose total is the grand total), and each row when several
   count columns add up to a row total (``row_totals=True``). Lines of one cell
   are skipped (that cell *is* the total, protected in the parent table).
   Repeated until nothing changes:

   a. a line with exactly one withheld cell also withholds its smallest
      published cell (differencing the total would give the cell away);
   b. a line whose withheld cells add up to less than ``t`` withholds its next
      smallest published cell (so the withheld remainder is itself not small);

   and then an **audit** (`audit_suppression`) checks the pattern the way an
   attacker would, with linear programming (HiGHS via scipy): for every
   primary cell it finds the smallest and largest value consistent with the
   line totals **given exactly** and every published cell **unrounded** (both
   stronger than what is published), with primary cells in ``[0, t-1]`` and
   secondary cells ``>= t`` (shown as ``"[c]"``, so their being ``>= t`` is
   known). The line constraints of a table (rows × columns per group) form the
   incidence matrix of a bipartite graph, which is totally unimodular, so the
   LP minimum and maximum are integers and both are reached by integer tables:
   if they differ, at least two different integer values fit and the cell cannot
   be worked out. A cell whose minimum equals its maximum gets one more secondary
   suppression in one of its lines (its smallest published cell) and the audit
   runs again. If a line has nothing left to withhold the table cannot be
   protected and `HotspotsError` is raised (it needs every other cell of the
   line to be exactly ``t`` and the suppressed ones 0; raise the threshold or use
   the restricted mode).

   Why this is sufficient for row and column totals: every equation an
   attacker can write from the published table is a sum of line equations, and
   the audit solves over *all* of them at once, so any combination of row and
   column totals is covered, not only single lines (e.g. the "bridge" between
   two blocks of a 2-D table, which per-line rules alone miss).
4. **No incident points**, and nothing derived from ``safeguarding`` rows at a
   finer scale than ward (enforced by `hotspots.export`).
5. **Derived fields** that could undo 1-3 are recomputed from the published
   (rounded) counts or dropped: see `disclose_areas` and `disclose_hotspots`.
6. **Density surfaces** (the KDE GeoTIFF, the summary report's map) show only
   cells with at least ``t`` incidents within the bandwidth of their centre
   (`disclose_surface`): elsewhere a lone incident's bump would give its place.
   Likewise Gi* cells are published only where their window holds at least
   ``t`` incidents (`disclose_gistar_bins`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linprog

from hotspots._validate import HotspotsError

MODES = ("public", "restricted")
DEFAULT_THRESHOLD = 10
ROUNDING_BASE = 5
#: Cell states in a suppression pattern.
PUBLISHED, PRIMARY, SECONDARY = 0, 1, 2
#: How a withheld cell is shown in CSV (``{t}`` is the threshold).
SHOWN_PRIMARY = "<{t}"
SHOWN_SECONDARY = "[c]"


def safeguarding_rows(frame: pd.DataFrame) -> NDArray[np.bool_]:
    """Which rows of `frame` are safeguarding incidents (none without ``sensitivity``).

    Such rows are counted, never shown or written as points (DESIGN.md).
    """
    if "sensitivity" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    # compared as it is stored (a categorical's codes: converting the dashboard's
    # categorical column to strings first took 0.05 s a selection)
    return (frame["sensitivity"] == "safeguarding").to_numpy(dtype=bool, na_value=False)


def check_mode(mode: str, threshold: int = DEFAULT_THRESHOLD) -> str:
    """Return `mode` after checking it and `threshold` (an integer of 1 or more).

    Raises
    ------
    HotspotsError
        Unknown mode, or a threshold that is not a positive integer.
    """
    if mode not in MODES:
        raise HotspotsError(
            f"Unknown disclosure mode {mode!r}; choose 'public' (suppressed and "
            "rounded, for publication) or 'restricted' (full detail, for partners "
            "with a data-sharing agreement)."
        )
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | np.integer)
        or threshold < 1
    ):
        raise HotspotsError(
            f"`threshold` must be a whole number of 1 or more, got {threshold!r}."
        )
    return mode


def disclosure_record(
    mode: str, *, threshold: int = DEFAULT_THRESHOLD, base: int = ROUNDING_BASE
) -> dict[str, Any]:
    """The ``disclosure`` entry of a provenance record: mode, threshold, rounding."""
    check_mode(mode, threshold)
    if mode == "restricted":
        return {
            "mode": "restricted",
            "threshold": None,
            "rounding": None,
            "note": "full detail for partners with a data-sharing agreement",
        }
    return {
        "mode": "public",
        "threshold": int(threshold),
        "rounding": f"nearest {base}",
        "suppressed_shown_as": SHOWN_PRIMARY.format(t=threshold),
        "secondary_shown_as": SHOWN_SECONDARY,
        "secondary_rule": (
            "lines (group columns, row totals) never hold exactly one withheld "
            "cell nor withheld cells adding up to less than the threshold; "
            "audited by linear programming against exact totals"
        ),
    }


def round_to_base(values: ArrayLike, base: int = ROUNDING_BASE) -> NDArray[np.float64]:
    """Round to the nearest multiple of `base`, halves up (NaN stays NaN)."""
    v = np.asarray(values, dtype="float64")
    return base * np.floor(v / base + 0.5)


# ---------------------------------------------------------------- pattern
def _lines(
    n: int, m: int, groups: NDArray[Any] | None, row_totals: bool
) -> list[NDArray[np.intp]]:
    """Flat cell indices (row * m + col) of every line with two or more cells."""
    lines: list[NDArray[np.intp]] = []
    if groups is None:
        members = [np.arange(n)]
    else:
        _, inverse = np.unique(groups.astype(str), return_inverse=True)
        members = [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]
    for rows in members:
        if len(rows) < 2:
            continue
        for j in range(m):
            lines.append(rows * m + j)
    if row_totals and m > 1:
        for i in range(n):
            lines.append(i * m + np.arange(m))
    return lines


def _check_counts(counts: ArrayLike) -> NDArray[np.float64]:
    c = np.asarray(counts, dtype="float64")
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim != 2:
        raise HotspotsError(f"Counts must be a table (rows × columns), got {c.ndim}D.")
    if np.isnan(c).any() or (c < 0).any():
        raise HotspotsError(
            "Counts to disclose must be 0 or more with no missing values; "
            "fill missing counts with 0 first."
        )
    return c


def _add_secondary(
    c: NDArray[np.float64],
    state: NDArray[np.int8],
    lines: list[NDArray[np.intp]],
    threshold: int,
) -> None:
    """Rules 3a and 3b to a fixed point (in place, on flat arrays)."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            withheld = state[line] != PUBLISHED
            k = int(withheld.sum())
            if k == 0 or k == len(line):
                continue
            if k == 1 or c[line][withheld].sum() < threshold:
                _withhold_smallest(c, state, line)
                changed = True


def _withhold_smallest(
    c: NDArray[np.float64], state: NDArray[np.int8], line: NDArray[np.intp]
) -> bool:
    open_ = line[state[line] == PUBLISHED]
    if len(open_) == 0:
        return False
    state[open_[np.argmin(c[open_])]] = SECONDARY
    return True


def audit_suppression(
    counts: ArrayLike,
    pattern: ArrayLike,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    groups: ArrayLike | None = None,
    row_totals: bool = True,
) -> NDArray[np.float64]:
    """What an attacker can work out about each primary-suppressed cell.

    For every primary cell: the minimum and maximum of its value over all tables
    consistent with the line totals (given exactly), the published cells (given
    unrounded), primary cells in ``[0, threshold - 1]`` and secondary cells
    ``>= threshold``. Solved by linear programming (HiGHS) per connected block
    of withheld cells; the line constraints are totally unimodular, so both
    bounds are integers reached by integer tables.

    Parameters
    ----------
    counts
        ``(n,)`` or ``(n, m)`` true counts.
    pattern
        Same shape: `PUBLISHED`, `PRIMARY` or `SECONDARY` per cell.
    threshold, groups, row_totals
        As for `suppression_pattern`.

    Returns
    -------
    ndarray
        ``(n, m, 2)``: ``[..., 0]`` the minimum and ``[..., 1]`` the maximum for
        primary cells, NaN elsewhere. A cell is protected when max > min.
    """
    c = _check_counts(counts)
    n, m = c.shape
    state = np.asarray(pattern).reshape(n, m).astype(np.int8).ravel()
    flat = c.ravel()
    g = None if groups is None else np.asarray(groups)
    lines = [ln for ln in _lines(n, m, g, row_totals) if (state[ln] != 0).any()]
    out = np.full((n * m, 2), np.nan)
    hidden = np.flatnonzero(state != PUBLISHED)
    if len(hidden) == 0:
        return out.reshape(n, m, 2)
    # connected blocks of withheld cells (cells sharing a line), by union-find
    parent = {int(i): int(i) for i in hidden}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for line in lines:
        cells = [int(i) for i in line if state[i] != PUBLISHED]
        for a in cells[1:]:
            parent[find(a)] = find(cells[0])
    blocks: dict[int, list[int]] = {}
    for i in hidden:
        blocks.setdefault(find(int(i)), []).append(int(i))
    for cells in blocks.values():
        prim = [i for i in cells if state[i] == PRIMARY]
        if not prim:
            continue
        pos = {cell: k for k, cell in enumerate(cells)}
        rows_eq, rhs = [], []
        for line in lines:
            inside = [int(i) for i in line if state[i] != PUBLISHED]
            if not inside or inside[0] not in pos:
                continue
            row = np.zeros(len(cells))
            row[[pos[i] for i in inside]] = 1.0
            rows_eq.append(row)
            rhs.append(float(flat[inside].sum()))
        bounds = [
            (0.0, threshold - 1.0) if state[i] == PRIMARY else (float(threshold), None)
            for i in cells
        ]
        a_eq = np.array(rows_eq) if rows_eq else None
        b_eq = np.array(rhs) if rows_eq else None
        for cell in prim:
            objective = np.zeros(len(cells))
            objective[pos[cell]] = 1.0
            lo = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
            hi = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
            if lo.status != 0 or hi.status != 0:  # the true table is feasible
                raise RuntimeError(f"disclosure audit LP failed: {lo.message}")
            out[cell] = (round(lo.fun), round(-hi.fun))
    return out.reshape(n, m, 2)


def suppression_pattern(
    counts: ArrayLike,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    groups: ArrayLike | None = None,
    row_totals: bool = True,
) -> NDArray[np.int8]:
    """Which cells to withhold: primary (``< threshold``) and secondary cells.

    Parameters
    ----------
    counts
        ``(n,)`` or ``(n, m)`` true counts (0 or more, no NaN): rows are areas or
        hotspots, columns are count columns.
    threshold
        Counts below it are withheld; default 10.
    groups
        ``(n,)`` group of each row (e.g. the district of each ward), whose
        per-column totals are published; ``None``: the whole column is one group
        (its grand total is published).
    row_totals
        Whether the columns add up to a published row total (e.g. categories or
        months of one ward); ignored with one column. Default True.

    Returns
    -------
    ndarray of int8
        Shape ``(n, m)``: `PUBLISHED` (0), `PRIMARY` (1) or `SECONDARY` (2). See
        the module docstring for the rules and why they suffice.

    Raises
    ------
    HotspotsError
        Negative or missing counts, or a table that cannot be protected.
    """
    c = _check_counts(counts)
    n, m = c.shape
    g = None if groups is None else np.asarray(groups)
    if g is not None and len(g) != n:
        raise HotspotsError(f"`groups` has {len(g)} values for {n} rows.")
    flat = c.ravel()
    state = np.where(flat < threshold, PRIMARY, PUBLISHED).astype(np.int8)
    lines = _lines(n, m, g, row_totals)
    for _ in range(n * m + 1):
        _add_secondary(flat, state, lines, threshold)
        bounds = audit_suppression(
            c, state.reshape(n, m), threshold=threshold, groups=g, row_totals=row_totals
        ).reshape(-1, 2)
        exposed = np.flatnonzero(bounds[:, 1] - bounds[:, 0] < 1)
        if len(exposed) == 0:
            return state.reshape(n, m)
        progress = False
        for cell in exposed:
            for line in lines:
                if cell in line and _withhold_smallest(flat, state, line):
                    progress = True
                    break
        if not progress:
            row, col = divmod(int(exposed[0]), m)
            raise HotspotsError(
                f"Row {row}, column {col}: the withheld count could still be worked "
                "out from the totals, and nothing is left to withhold in its lines. "
                "Raise the threshold or export in restricted mode."
            )
    raise RuntimeError("suppression did not converge")  # pragma: no cover


# ---------------------------------------------------------------- frames
def apply_disclosure(
    frame: pd.DataFrame,
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    count_columns: Sequence[str] = ("incidents",),
    group_column: str | None = None,
    row_totals: bool = True,
    base: int = ROUNDING_BASE,
) -> pd.DataFrame:
    """Suppress and round the count columns of a table for `mode`.

    Parameters
    ----------
    frame
        A table (or GeoDataFrame) with one row per area, hotspot, etc.
    mode
        ``"public"`` or ``"restricted"`` (returned unchanged, as a copy).
    threshold
        Counts below it are withheld (default 10).
    count_columns
        Columns of counts (0 or more, no NaN) to protect together.
    group_column
        Column whose groups have published per-column totals (e.g. ``lad_code``
        for a ward table); ``None``: the whole table is one group.
    row_totals
        Whether the count columns add up to a published row total (default
        True; no effect with one column).
    base
        Rounding base for published counts (default 5).

    Returns
    -------
    DataFrame
        A copy: each count column becomes ``Int64``, rounded to `base`, NA when
        withheld; a string column ``<col>_note`` says ``"<10"`` (primary) or
        ``"[c]"`` (secondary) for withheld cells and is NA otherwise.
        ``attrs["disclosure"]`` holds `disclosure_record` and the numbers of
        primary and secondary cells.
    """
    check_mode(mode, threshold)
    require_columns(frame, [*count_columns, *([group_column] if group_column else [])])
    out = frame.copy()
    if mode == "restricted" or len(frame) == 0:
        out.attrs = {**frame.attrs, "disclosure": disclosure_record(mode)}
        return out
    counts = np.column_stack(
        [pd.to_numeric(frame[c]).to_numpy(dtype="float64") for c in count_columns]
    )
    groups = frame[group_column].to_numpy() if group_column else None
    state = suppression_pattern(
        counts, threshold=threshold, groups=groups, row_totals=row_totals
    )
    shown = {PRIMARY: SHOWN_PRIMARY.format(t=threshold), SECONDARY: SHOWN_SECONDARY}
    for j, col in enumerate(count_columns):
        rounded = round_to_base(counts[:, j], base)
        values = pd.array(
            np.where(state[:, j] == PUBLISHED, rounded, 0).astype("int64"),
            dtype="Int64",
        )
        values[state[:, j] != PUBLISHED] = pd.NA
        note = pd.array([shown.get(int(s)) for s in state[:, j]], dtype="string")
        out[col] = values
        out[f"{col}_note"] = note
    out.attrs = {
        **frame.attrs,
        "disclosure": {
            **disclosure_record(mode, threshold=threshold, base=base),
            "primary_cells": int((state == PRIMARY).sum()),
            "secondary_cells": int((state == SECONDARY).sum()),
        },
    }
    return out


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise HotspotsError naming the first of `columns` missing from `frame`."""
    for col in columns:
        if col not in frame.columns:
            raise HotspotsError(
                f"Column {col!r} is missing; the table has {list(frame.columns)}."
            )


def _published_total(total: float, threshold: int, base: int) -> float:
    return float(round_to_base(total, base)) if total >= threshold else math.nan


def disclose_areas(
    table: pd.DataFrame,
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    base: int = ROUNDING_BASE,
) -> pd.DataFrame:
    """A ward or district table of `hotspots.areas.area_statistics`, made safe.

    Public mode: ``incidents`` and ``previous`` are suppressed and rounded by
    `apply_disclosure` (wards grouped by ``lad_code``, whose totals are the
    district table; districts as one group, whose total is the grand total).
    Derived columns are recomputed from the **published** counts ``c'``, so they
    carry nothing the counts do not: ``harm`` rounded to `base` (NA where
    ``incidents`` is withheld); ``rate_per_1000 = 1000 c'/residents`` (2 dp);
    ``share = c' / C'`` and ``location_quotient = (c'/r) / (C'/R)`` with ``C'`` the
    rounded total (4 dp); ``change = c' - p'``; ``change_pct`` from ``c', p'``;
    ``rank`` and ``rate_rank`` over published values (NA when withheld);
    ``change_significant*`` NA where either count is withheld. ``change_p`` and
    ``change_p_adj`` are dropped (an exact p-value with one count gives the
    other back, unrounded). Restricted mode: unchanged.
    """
    check_mode(mode, threshold)
    if mode == "restricted":
        return apply_disclosure(table, mode=mode)
    require_columns(table, ["incidents"])
    group = "lad_code" if "ward_code" in table.columns else None
    out = apply_disclosure(
        table, mode=mode, threshold=threshold, group_column=group, base=base
    )
    c = out["incidents"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    hidden = np.isnan(c)
    total = _published_total(float(table["incidents"].sum()), threshold, base)
    changes: dict[str, Any] = {}
    if "previous" in table.columns and table["previous"].notna().all():
        prev = apply_disclosure(
            table,
            mode=mode,
            threshold=threshold,
            count_columns=["previous"],
            group_column=group,
            base=base,
        )
        out["previous"] = prev["previous"]
        out["previous_note"] = _join_notes(table.get("previous_note"), prev)
        p = (
            prev["previous"]
            .astype("Float64")
            .to_numpy(dtype="float64", na_value=np.nan)
        )
        both = ~(np.isnan(c) | np.isnan(p))
        changes["change"] = pd.array(
            np.where(both, c - p, 0).astype("int64"), dtype="Int64"
        )
        changes["change"][~both] = pd.NA
        with np.errstate(divide="ignore", invalid="ignore"):
            changes["change_pct"] = np.where(
                both & (p > 0), np.round(100 * (c - p) / p, 1), np.nan
            )
        for col in ("change_significant", "change_significant_adj"):
            if col in table.columns:
                flag: Any = table[col].astype("boolean").array.copy()
                flag[~both] = pd.NA
                changes[col] = flag
    if "harm" in table.columns:
        harm = round_to_base(pd.to_numeric(table["harm"]).to_numpy("float64"), base)
        changes["harm"] = np.where(hidden, np.nan, harm)
    if "residents" in table.columns:
        r = pd.to_numeric(table["residents"]).to_numpy("float64", na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(r > 0, 1000.0 * c / r, np.nan)
            study = 1000.0 * total / np.nansum(np.where(r > 0, r, np.nan))
            changes["rate_per_1000"] = np.round(rate, 2)
            if "location_quotient" in table.columns:
                changes["location_quotient"] = np.round(rate / study, 4)
        if "rate_rank" in table.columns:
            changes["rate_rank"] = _rank(rate)
    if "share" in table.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            changes["share"] = np.round(c / total, 4)
    if "rank" in table.columns:
        changes["rank"] = _rank(c)
    out = out.assign(**changes)
    return out.drop(columns=[k for k in ("change_p", "change_p_adj") if k in out])


def _join_notes(existing: pd.Series | None, prev: pd.DataFrame) -> pd.Series:
    """Keep the table's own previous-period note; add the suppression note."""
    note = prev["previous_note"].astype("string")
    if existing is None:
        return note
    return existing.astype("string").where(existing.notna(), note)


def _rank(values: Any) -> Any:
    """Rank 1 = largest, ties share the best rank, NA for NaN."""
    return pd.Series(values).rank(method="min", ascending=False).astype("Int64").array


#: Hotspot columns kept as they are in public mode (no incident counts in them).
_HOTSPOT_KEEP = {
    "hotspot_id",
    "cluster",
    "rank",
    "cells",
    "area_km2",
    "months_active",
    "first_month",
    "last_month",
    "trend",
    "trend_label",
    "wards",
    "ward_names",
    "districts",
    "district_names",
    "threshold",
}
#: Hotspot columns rounded (decimal places) in public mode: smoothed densities
#: and test statistics, which carry no exact count.
_HOTSPOT_ROUND = {
    "peak_kde_per_km2": 1,
    "mean_kde_per_km2": 1,
    "threshold_kde_per_km2": 1,
}
# Gi*'s max_z and mean_z are not published: a z-score is a linear function of
# its window's count (one scale, S, for the whole grid), so to 2 decimals the
# busiest window of each hotspot could be read off them (9 incidents in a 300 m
# square of a 40-incident hotspot, on Thanet's drugs data), once S is fitted.
_CATEGORY_ITEM = re.compile(r"^\s*(?P<name>.+?)\s+(?P<pct>\d+(?:\.\d+)?)%\s*$")


def disclose_hotspots(
    hotspots: gpd.GeoDataFrame,
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    base: int = ROUNDING_BASE,
) -> gpd.GeoDataFrame:
    """Hotspot polygons made safe to publish (public) or unchanged (restricted).

    Public mode, column by column:

    - polygons holding fewer than `threshold` incidents are dropped;
    - ``incidents`` rounded to `base`; ``harm`` rounded to `base`;
    - ``share`` recomputed as ``incidents' / round(total)``, where ``total`` is
      the selection's incidents (``incidents / share``), 3 dp;
      ``incidents_per_km2`` as ``incidents' / area_km2``, 1 dp;
    - ``top_categories`` keeps the names of categories with at least
      `threshold` incidents in the polygon (share × incidents), without
      percentages (which times the count would give category counts);
    - ``trend_ratio``, ``trend_p`` (ratios of monthly counts) and
      ``locations`` (distinct incident points) are dropped;
    - densities rounded (`_HOTSPOT_ROUND`); Gi*'s ``max_z`` and ``mean_z``
      dropped (each is its window's count, scaled); names, months, areas
      and labels kept (`_HOTSPOT_KEEP`); **any other numeric column is
      dropped** (a safe default for columns added later); other text kept.

    Hotspots do not overlap and their total is not published, so no secondary
    suppression is needed; callers must not publish exact totals over them.
    """
    check_mode(mode, threshold)
    out = hotspots.copy()
    if mode == "restricted":
        out.attrs = {**hotspots.attrs, "disclosure": disclosure_record(mode)}
        return out
    require_columns(hotspots, ["incidents"])
    exact = pd.to_numeric(hotspots["incidents"]).to_numpy("float64")
    keep = exact >= threshold
    out = out[keep].copy()
    exact = exact[keep]
    inc = round_to_base(exact, base)
    new: dict[str, Any] = {"incidents": inc.astype("int64")}
    if "harm" in out:
        new["harm"] = round_to_base(pd.to_numeric(out["harm"]).to_numpy("float64"))
    if "share" in out:
        share = pd.to_numeric(hotspots["share"]).to_numpy("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            totals = pd.to_numeric(hotspots["incidents"]).to_numpy("float64") / share
        total = float(np.nanmedian(totals)) if np.isfinite(totals).any() else math.nan
        new["share"] = np.round(inc / round_to_base(total, base), 3)
    if "incidents_per_km2" in out and "area_km2" in out:
        area = pd.to_numeric(out["area_km2"]).to_numpy("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            new["incidents_per_km2"] = np.round(inc / area, 1)
    if "top_categories" in out:
        new["top_categories"] = pd.array(
            [
                _safe_categories(text, n, threshold)
                for text, n in zip(out["top_categories"], exact, strict=True)
            ],
            dtype="string",
        )
    for col, places in _HOTSPOT_ROUND.items():
        if col in out:
            new[col] = np.round(pd.to_numeric(out[col]).to_numpy("float64"), places)
    out = out.assign(**new)
    return _published(
        out, hotspots.attrs, kept=_HOTSPOT_KEEP | set(new),
        also={"trend_ratio", "trend_p", "locations", "max_z", "mean_z"},
        threshold=threshold, base=base,
        hotspots_dropped_below_threshold=int((~keep).sum()),
    )  # fmt: skip


_Frame = TypeVar("_Frame", bound=pd.DataFrame)


def _published(
    frame: _Frame,
    attrs: dict[Any, Any],
    *,
    kept: set[str],
    also: Collection[str] = (),
    threshold: int,
    base: int,
    **dropped: int,
) -> _Frame:
    """A public layer's last step: columns dropped, the disclosure recorded.

    Dropped: `also`, and every numeric or boolean column not in `kept` (a safe
    default for columns added later); the geometry and text stay. The record
    (``attrs["disclosure"]``) names them, with the counts in `dropped` (rows
    left out below the threshold).
    """
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    drop = [
        c
        for c in frame.columns
        if c != geom
        and c not in kept
        and (
            c in also
            or pd.api.types.is_numeric_dtype(frame[c])
            or pd.api.types.is_bool_dtype(frame[c])
        )
    ]
    out = frame.drop(columns=drop).reset_index(drop=True)
    out.attrs = {
        **attrs,
        "disclosure": {
            **disclosure_record("public", threshold=threshold, base=base),
            **dropped,
            "columns_dropped": drop,
        },
    }
    return out


#: Emerging hot spot cell columns kept as they are in public mode: the cell's
#: place in the grid, its months and its labels (no incident counts in them).
_TREND_CELL_KEEP = {
    "row", "col", "months", "months_hot", "months_cold", "hot_last", "pattern",
    "trend", "ward",
}  # fmt: skip


def disclose_trend_cells(
    cells: gpd.GeoDataFrame,
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    base: int = ROUNDING_BASE,
) -> gpd.GeoDataFrame:
    """Emerging hot spot cells (`hotspots.trends`) safe to publish, or unchanged.

    Public mode: cells holding fewer than `threshold` incidents over the months
    (``n``) are dropped, as hotspots are; ``n`` is rounded to `base`; the
    Mann-Kendall statistics (``mk_s``, ``mk_z``, ``mk_p``, computed from the
    exact monthly counts) and any other numeric column not in
    `_TREND_CELL_KEEP` are dropped; the pattern, months and labels are kept.
    Cells do not overlap and their total is not published, so no secondary
    suppression is needed.
    """
    check_mode(mode, threshold)
    if mode == "restricted":
        out = cells.copy()
        out.attrs = {**cells.attrs, "disclosure": disclosure_record(mode)}
        return out
    require_columns(cells, ["n"])
    exact = pd.to_numeric(cells["n"]).to_numpy("float64")
    keep = exact >= threshold
    out = cells[keep].assign(n=round_to_base(exact[keep], base).astype("int64"))
    return _published(
        out, cells.attrs, kept=_TREND_CELL_KEEP | {"n"}, threshold=threshold,
        base=base, cells_dropped_below_threshold=int((~keep).sum()),
    )  # fmt: skip


def disclose_surface(
    values: NDArray[np.float64],
    counts: NDArray[np.float64],
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
) -> NDArray[np.float64]:
    """A density surface safe to publish (public), or unchanged (restricted).

    Public mode withholds (NaN) every cell with fewer than `threshold`
    incidents within the bandwidth of its centre (`counts`: unweighted). A lone
    incident's kernel is a bump centred on its position, so a surface published
    whole would show, to the cell, where each lone incident happened: for partner
    data (exact addresses, not police.uk's snap points) that places individuals.
    What is left is the density where at least `threshold` incidents make it,
    rounded to `SURFACE_FIGURES` significant figure: exact densities are a linear
    system in the counts at each location, so where the locations can be
    guessed (postcode centroids, police.uk's snap points) they gave those counts
    back. On the bundled ASB sample, a bounded least-squares solve from the exact
    published cells gave the count of 179 of the 191 postcodes and coordinates
    with two incidents or more exactly (104 at 2 significant figures, 36 at 1:
    worse than guessing 1 everywhere).
    """
    check_mode(mode, threshold)
    if mode == "restricted":
        return values
    with np.errstate(invalid="ignore", divide="ignore"):
        shown = np.where(counts >= threshold, values, np.nan)
        return round_significant(shown, SURFACE_FIGURES)


#: Significant figures of a published density (`disclose_surface`).
SURFACE_FIGURES = 1
#: The same, as the files and reports say it.
SURFACE_ROUNDING = f"{SURFACE_FIGURES} significant figure" + (
    "s" if SURFACE_FIGURES != 1 else ""
)


def round_significant(values: ArrayLike, figures: int) -> NDArray[np.float64]:
    """`values` rounded to `figures` significant figures (0 and NaN unchanged)."""
    v = np.asarray(values, dtype="float64")
    out = v.copy()
    ok = np.isfinite(v) & (v != 0)
    scale = 10.0 ** (figures - 1 - np.floor(np.log10(np.abs(v[ok]))))
    out[ok] = np.round(v[ok] * scale) / scale
    return out


def disclose_gistar_bins(
    bins: NDArray[np.int8],
    window_counts: NDArray[np.float64],
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
) -> NDArray[np.bool_]:
    """Which Gi* cells `mode` may publish (their bin), as a boolean array.

    Public mode: only the cells whose window (the cell and its neighbours, as
    the statistic used them) holds at least `threshold` incidents. Among mostly
    empty cells a lone incident makes its window "significant", so its hot cells
    would show where it happened; a cold window of few incidents is a small
    count too (rule 1 withholds zeros as well). Restricted: every cell.
    """
    check_mode(mode, threshold)
    if mode == "restricted":
        return np.ones(np.shape(bins), dtype=bool)
    return np.asarray(window_counts) >= threshold


def _safe_categories(text: Any, incidents: float, threshold: int) -> Any:
    """Category names with at least `threshold` incidents, without percentages."""
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return pd.NA
    names = []
    for item in str(text).split(","):
        found = _CATEGORY_ITEM.match(item)
        if found and float(found["pct"]) / 100 * incidents >= threshold:
            names.append(found["name"])
    return ", ".join(names) if names else pd.NA


#: Provenance keys that hold incident counts (rounded or withheld in public mode).
_COUNT_KEYS = re.compile(
    r"^(incidents.*|located|unlocated|total_weight|distinct_locations)$"
)


def disclose_record(
    record: dict[str, Any],
    *,
    mode: str,
    threshold: int = DEFAULT_THRESHOLD,
    base: int = ROUNDING_BASE,
) -> dict[str, Any]:
    """A provenance record for `mode`, with the ``disclosure`` entry added.

    Public mode rounds the incident counts in it (``data.incidents``,
    ``located``, ``unlocated``, every ``sources`` count and parameter keys such
    as ``incidents_used``) to `base`, or shows ``"<10"`` below `threshold`, so the
    record cannot be differenced against the published tables.
    """
    check_mode(mode, threshold)
    shown = SHOWN_PRIMARY.format(t=threshold)

    def safe(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        if not math.isfinite(value):
            return value
        return shown if value < threshold else int(round_to_base(value, base))

    def walk(node: Any, counts: bool) -> Any:
        if isinstance(node, dict):
            return {
                k: walk(v, counts or k == "sources" or bool(_COUNT_KEYS.match(k)))
                for k, v in node.items()
            }
        return safe(node) if counts else node

    out = dict(record) if mode == "restricted" else walk(record, False)
    out["disclosure"] = disclosure_record(mode, threshold=threshold, base=base)
    return out
