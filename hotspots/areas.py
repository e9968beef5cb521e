"""District and ward statistics: counts, rates, shares, location quotients and change.

Every figure here is a count of incidents by the area codes that ingest gave them
(``ward_code``, ``lad_code``: point-in-polygon against the bundled boundaries,
points just off the clipped coastline snapped to the nearest ward; see
`hotspots.boundaries.assign_areas`). Nothing is re-joined spatially, so a table
is a groupby and takes milliseconds for the whole county.

Definitions (``c`` = an area's incidents in the selected months, ``r`` = its
Census 2021 usual residents, ``C`` and ``R`` their totals over the areas analysed):

- ``rate_per_1000 = 1000 c / r``: per 1,000 residents **over the selected months**
  (not annualised; divide by the number of months and multiply by 12 for that).
- ``share = c / C`` (0..1).
- ``location_quotient = (c / r) / (C / R)``: the **population-based** location
  quotient, i.e. the area's rate as a ratio to the rate of the whole study area
  (the chosen districts). 2 means twice the study area's rate per resident. It is
  not the category-mix LQ (an area's share of one crime type against the county's
  share), which needs no population.
- Change against the previous period of equal length: ``change = c - p``,
  ``change_pct = 100 (c - p) / p`` and a two-sided exact conditional binomial test
  (see `change_test`).

Incidents without a location have no ward, and police.uk ones no district either
(ingest assigns both from the point), so they are in no row: the table's ``attrs``
report them (``unlocated``), with the located incidents that fall outside the
areas analysed (``outside``). A district's row therefore counts only its located
incidents.

Areas with no (or unknown) residents have NaN rate and location quotient; when the
areas analysed have no incidents at all, ``share`` and ``location_quotient`` are NaN
(0/0), never a crash.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from hotspots._validate import HotspotsError, weight_values
from hotspots.boundaries import load_boundary
from hotspots.dates import month_span
from hotspots.grid import located
from hotspots.summary import load_population

#: Significance level for ``change_significant``.
ALPHA = 0.05

#: For each level: the code column, the name columns kept, the boundary layer.
LEVELS: dict[str, tuple[str, list[str], str]] = {
    "ward": ("ward_code", ["ward_code", "ward_name", "lad_code", "lad_name"], "wards"),
    "district": ("lad_code", ["lad_code", "lad_name"], "districts"),
}

#: Groupings offered by `monthly_counts`.
BY_COLUMNS = ("theme", "category")

#: Month text: 'YYYY-MM', optionally followed by a day (and time).
_MONTH_TEXT = re.compile(r"\d{4}-\d{2}(-\d{2}([ T].*)?)?")

Month: TypeAlias = pd.Period | str
#: A selection of months: a list of months (each a ``pd.Period`` or ``"YYYY-MM"``),
#: or a ``(from, to)`` tuple meaning every calendar month from `from` to `to`.
Months: TypeAlias = Sequence[Month] | tuple[Month, Month]


# ---------------------------------------------------------------------------
# months
# ---------------------------------------------------------------------------


def _month(value: Any, *, name: str = "months") -> pd.Period:
    """One month as a monthly ``pd.Period`` (from a Period, date or 'YYYY-MM')."""
    if isinstance(value, pd.Period) and value.freqstr == "M":
        return value
    period: Any = None
    if isinstance(value, str) and not _MONTH_TEXT.fullmatch(value.strip()):
        pass  # pandas would read "March" as March of the current year
    elif isinstance(value, str | datetime.date | np.datetime64):
        try:
            stamp = pd.Timestamp(value) if isinstance(value, np.datetime64) else value
            period = pd.Period(stamp, freq="M")
        except (ValueError, TypeError):
            period = None
    if not isinstance(period, pd.Period):
        raise HotspotsError(
            f"`{name}`: {value!r} is not a month; give months as 'YYYY-MM'."
        )
    return period


def month_list(months: Months | Month, *, name: str = "months") -> list[pd.Period]:
    """The months of a selection, in order.

    Parameters
    ----------
    months
        A ``(from, to)`` **tuple** (both inclusive: every calendar month from
        `from` to `to`), a **list** (or other sequence) of months in increasing
        order, or one month. Months are ``pd.Period`` with monthly frequency or
        ``"YYYY-MM"`` text.
    name
        The parameter's name, for error messages.

    Returns
    -------
    list of pandas.Period
        Strictly increasing monthly periods.

    Raises
    ------
    HotspotsError
        When a value is not a month, `to` comes before `from`, a list is not in
        increasing order (or repeats a month), or the list is empty.
    """
    if isinstance(months, str | pd.Period):
        return [_month(months, name=name)]
    if isinstance(months, tuple) and len(months) == 2:
        start, end = (_month(m, name=name) for m in months)
        if end < start:
            raise HotspotsError(
                f"`{name}` runs backwards: from {start} to {end}. "
                "Give (from, to) with from <= to."
            )
        return list(pd.period_range(start, end, freq="M"))
    out = [_month(m, name=name) for m in months]
    if not out:
        raise HotspotsError(f"`{name}` is empty; give at least one month.")
    for before, after in itertools.pairwise(out):
        if after <= before:
            raise HotspotsError(
                f"`{name}` must be in increasing order without repeats; "
                f"{after} follows {before}. Sort the months, or give (from, to)."
            )
    return out


def previous_period(months: Months | Month) -> list[pd.Period]:
    """The same number of months immediately before the first selected month.

    ``previous_period(("2024-01", "2024-04"))`` is 2023-09 … 2023-12. For a list
    that is not contiguous, the previous period is still ``len(months)``
    consecutive months ending the month before the first one, so both periods
    have the same number of months (which the binomial test assumes).

    Parameters
    ----------
    months
        The selected months (see `month_list`).

    Returns
    -------
    list of pandas.Period
        ``len(month_list(months))`` consecutive months, oldest first.
    """
    current = month_list(months)
    return list(pd.period_range(end=current[0] - 1, periods=len(current), freq="M"))


def _distinct_months(ordinal: NDArray[np.int64]) -> NDArray[np.int64]:
    """``np.unique(ordinal)``, found by counting.

    Months span a few hundred ordinals; sorting every incident's took 0.01-0.02 s
    a table county-wide.
    """
    if not ordinal.size:
        return ordinal[:0]
    lo = int(ordinal.min())
    if int(ordinal.max()) - lo > 1_000_000:
        return np.unique(ordinal)
    return np.flatnonzero(np.bincount(ordinal - lo)).astype(np.int64) + lo


def _month_ordinals(values: pd.Series) -> NDArray[np.int64]:
    """Month ordinals (``Period.ordinal``) of a month column, parsed once per value."""
    if isinstance(values.dtype, pd.PeriodDtype) and values.dtype.freq.freqstr == "M":
        ordinals = np.asarray(values.array.asi8, dtype=np.int64)
        bad = values.isna().to_numpy()
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        parsed = np.empty(len(uniques), dtype=np.int64)
        for i, value in enumerate(uniques):
            try:
                parsed[i] = _month(value, name="month").ordinal
            except HotspotsError:
                raise HotspotsError(
                    f"Column `month`: {value!r} is not a month; months must be "
                    "'YYYY-MM' text or monthly periods."
                ) from None
        bad = codes < 0
        ordinals = np.append(parsed, 0)[codes]  # code -1 (missing) -> 0, raised below
    if bad.any():
        first = values.index[np.flatnonzero(bad)[0]]
        raise HotspotsError(
            f"Column `month` is empty in row {first!r}; every incident needs a month."
        )
    return ordinals


def _text(months: Iterable[pd.Period]) -> list[str]:
    return [str(m) for m in months]


def _span(months: Sequence[pd.Period]) -> str:
    return month_span(months)


# ---------------------------------------------------------------------------
# the test for change
# ---------------------------------------------------------------------------


def change_test(current: ArrayLike, previous: ArrayLike) -> NDArray[np.float64]:
    """Two-sided p-value that two counts from periods of equal length differ.

    The exact conditional test for two Poisson counts (Przyborowski & Wilenski
    1940): if both periods have the same underlying rate, then given their total
    ``n = c + p`` the current count is ``Binomial(n, 0.5)``. The two-sided p-value
    is the probability, under that binomial, of a split at least as uneven::

        p = min(1, 2 * BinomCDF(min(c, p); n, 0.5)),   and 1 when c == p

    which equals ``scipy.stats.binomtest(c, n, 0.5).pvalue`` (the binomial is
    symmetric at 0.5), computed here for all areas at once.

    Why not a z-test, ``(c - p) / sqrt(c + p)``: it relies on a normal
    approximation that fails on the small counts most wards have. For 5 incidents
    against 0 it gives p = 0.025 ("significant"), while the exact probability of
    a 5-0 split under no change is 2 × 0.5⁵ = 0.0625. The conditional test is
    exact at any count, needs no estimate of the unknown common rate (it is
    conditioned out), and never gives p < 1 for equal counts.

    Parameters
    ----------
    current, previous
        Non-negative integer counts, same shape.

    Returns
    -------
    ndarray
        p-values in (0, 1], same shape; 1 where both counts are 0.
    """
    c = np.asarray(current, dtype=np.int64)
    p = np.asarray(previous, dtype=np.int64)
    if c.shape != p.shape:
        raise HotspotsError(
            f"current and previous counts differ in shape: {c.shape} and {p.shape}."
        )
    if (c < 0).any() or (p < 0).any():
        raise HotspotsError("Counts must be 0 or more.")
    n = c + p
    tail = stats.binom.cdf(np.minimum(c, p), n, 0.5)
    out = np.minimum(1.0, 2.0 * tail)
    return np.where(c == p, 1.0, out).astype(np.float64)


def _bh(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values over the finite entries (NaN kept)."""
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = stats.false_discovery_control(p[finite], method="bh")
    return out


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _require_frame(incidents: Any, columns: Sequence[str]) -> None:
    if not isinstance(incidents, pd.DataFrame):
        raise TypeError(
            f"`incidents` must be a DataFrame, got {type(incidents).__name__}."
        )
    missing = [c for c in columns if c not in incidents.columns]
    if missing:
        raise HotspotsError(
            f"`incidents` has no column {', '.join(repr(c) for c in missing)}; "
            "pass canonical incidents (hotspots.ingest or hotspots.store), whose "
            "ward_code and lad_code are assigned at ingest."
        )


def _level(level: str) -> tuple[str, list[str], str]:
    if level not in LEVELS:
        raise HotspotsError(f"Unknown level {level!r}; choose 'ward' or 'district'.")
    return LEVELS[level]


def _districts(districts: Sequence[str] | None) -> list[str]:
    """The chosen Kent & Medway district codes (all 13 when None)."""
    layer = load_boundary("districts")
    known = list(layer["lad_code"])
    if districts is None:
        return sorted(known)
    if isinstance(districts, str):
        districts = [districts]
    codes = list(dict.fromkeys(districts))
    unknown = [c for c in codes if c not in known]
    if unknown or not codes:
        listing = ", ".join(
            f"{c} {n}"
            for c, n in zip(layer["lad_code"], layer["lad_name"], strict=True)
        )
        raise HotspotsError(
            f"Unknown district code(s) {unknown or '(none given)'}; the Kent & "
            f"Medway districts are: {listing}."
        )
    return sorted(codes)


@cache
def _areas(level: str, districts: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The areas of `level` in `districts`, with residents, sorted by code.

    Made once per level and districts (a fifth of each table's time on a
    county selection), so the frame is shared: read it, do not modify it.
    """
    code, names, layer_name = _level(level)
    layer = load_boundary(layer_name)
    areas = layer.loc[layer["lad_code"].isin(districts), [*names, "geometry"]]
    pop = load_population(level)[[code, "residents"]]
    return areas.merge(pop, on=code, how="left").sort_values(code, ignore_index=True)


def _area_index(values: pd.Series, codes: pd.Index) -> NDArray[np.intp]:
    """Position of each row's area code in `codes`; -1 for none or another area."""
    factor, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = np.append(codes.get_indexer(pd.Index(uniques, dtype=object)), -1)
    return np.asarray(lookup[factor], dtype=np.intp)


def _located(incidents: pd.DataFrame, code_missing: NDArray[np.bool_]) -> Any:
    """Rows with a location: a point if a GeoDataFrame, else an area code."""
    if isinstance(incidents, gpd.GeoDataFrame):
        try:
            return located(incidents)
        except AttributeError:  # a GeoDataFrame without an active geometry column
            return ~code_missing
    return ~code_missing


def _weights(incidents: pd.DataFrame, weight: str | None) -> NDArray[np.float64]:
    if weight is None:
        return np.ones(len(incidents))
    return weight_values(incidents, weight)


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------


def area_statistics(
    incidents: pd.DataFrame,
    *,
    level: str = "ward",
    months: Months | Month | None = None,
    previous: Months | Month | None = None,
    weight: str | None = None,
    districts: Sequence[str] | None = None,
    available_months: Iterable[Month] | None = None,
    alpha: float = ALPHA,
    with_geometry: bool = False,
) -> pd.DataFrame:
    """Counts, rates, shares, location quotients, change and ranks by ward or district.

    One row for every ward (or district) of the chosen districts, with 0 where
    it has no incidents. Incidents are counted by their ``ward_code`` /
    ``lad_code`` columns (assigned by point-in-polygon at ingest).

    Filter `incidents` by category, theme, source or sensitivity before calling,
    but **not by month or area**: the function picks the current and previous
    months itself, and reports the incidents that fall in no analysed area.

    Parameters
    ----------
    incidents
        Canonical incidents (a GeoDataFrame, or a DataFrame with at least
        ``month`` and the level's code column). ``month`` may be ``period[M]``
        or ``"YYYY-MM"`` text.
    level
        ``"ward"`` (default; 279 May 2024 wards across Kent & Medway) or
        ``"district"`` (13 local authority districts).
    months
        The current period: ``(from, to)`` tuple (inclusive), a list of months in
        increasing order, or one month (see `month_list`). ``None`` (default):
        every month present in `incidents`.
    previous
        The comparison period; ``None`` (default) = `previous_period` of
        `months`, the same number of months immediately before. If given it must
        have as many months as `months` and must not overlap it.
    weight
        Name of a column of harm weights (e.g. ``"weight"``, the canonical one).
        When given, ``harm`` is the sum of it per area; ``None`` (default):
        ``harm`` is NaN. Counts and tests always count incidents.
    districts
        District (LAD) codes, e.g. ``["E07000110"]``; ``None`` (default) = all 13
        Kent & Medway districts. Totals, shares and location quotients are over
        the areas of these districts (the study area).
    available_months
        The months the source holds data for (e.g. ``Store.info()["months"]``).
        ``None`` (default): the months present in `incidents`. Inferring is
        conservative: after filtering to a rare category a month with no
        incidents counts as absent, so change is withheld rather than invented.
    alpha
        Significance level for ``change_significant`` and
        ``change_significant_adj``; default 0.05.
    with_geometry
        If True, return a GeoDataFrame with each area's boundary (EPSG:27700).

    Returns
    -------
    DataFrame or GeoDataFrame
        Sorted by ``rank`` then code. Columns:

        - ``ward_code, ward_name, lad_code, lad_name`` (ward level) or
          ``lad_code, lad_name`` (district level);
        - ``incidents`` (int): incidents in the current months;
        - ``harm`` (float): sum of `weight` (NaN without `weight`);
        - ``residents`` (Int64): Census 2021 usual residents (wards: an estimate,
          see data/README.md);
        - ``rate_per_1000``: ``1000 × incidents / residents`` over the whole
          current period (not annualised); NaN for no residents;
        - ``share``: ``incidents / total`` (0..1) over the areas analysed;
        - ``location_quotient``: ``(c / r) / (C / R)``, the area's rate as a
          ratio to the study area's (population-based LQ); NaN for no residents;
        - ``previous`` (Int64): incidents in the previous period;
        - ``change`` (Int64) ``= incidents - previous``; ``change_pct``
          ``= 100 × change / previous`` (NaN when previous is 0);
        - ``change_p``: two-sided p of the exact conditional binomial test
          (`change_test`); ``change_p_adj``: Benjamini-Hochberg adjusted over the
          areas in the table (controls the false discovery rate across the many
          areas tested: with 279 wards about 14 would pass p < 0.05 by chance);
        - ``change_significant`` / ``change_significant_adj`` (boolean):
          ``change_p < alpha`` / ``change_p_adj < alpha``;
        - ``previous_note`` (string): NA when change was computed; otherwise
          why not;
        - ``rank`` (int, 1 = most incidents, ties share the best rank) and
          ``rate_rank`` (Int64, 1 = highest rate, NA without residents).

        **The previous-period rule**: change is computed only when every month
        of both periods is in the data (`available_months`). Otherwise
        ``previous``, ``change``, ``change_pct``, ``change_p``, ``change_p_adj``
        and both ``change_significant`` columns are NA and ``previous_note`` says
        which months are missing: a month absent from the source is not a month
        with no crime (the bundled Kent data stops at 2023-01 and resumes at
        2024-01).

        ``attrs`` holds the context: ``level``, ``districts``, ``months``,
        ``previous_months``, ``previous_note``, ``total_incidents``,
        ``total_residents``, ``unlocated`` (incidents in the current months with
        no location: in no ward, and for police.uk in no district either, so
        they cannot be given to a district selection), ``outside`` (located
        incidents in the current months outside the analysed areas: other
        districts, other forces' areas, or beyond the snapped coastline),
        ``unlocated_previous``, ``outside_previous`` and ``alpha``.

    Raises
    ------
    HotspotsError
        Unknown level or district, a missing column (named), bad months (not a
        month, out of order, unequal or overlapping periods), a bad weight, or
        alpha outside (0, 1).
    """
    code, names, _ = _level(level)
    _require_frame(incidents, ["month", code])
    if not 0 < alpha < 1:
        raise HotspotsError(f"`alpha` must lie between 0 and 1, got {alpha!r}.")
    chosen = _districts(districts)
    w = _weights(incidents, weight)
    ordinal = _month_ordinals(incidents["month"])
    present = _distinct_months(ordinal)

    if months is None:
        current = [pd.Period(ordinal=int(o), freq="M") for o in present]
    else:
        current = month_list(months, name="months")
    if previous is None:
        prior = previous_period(current) if current else []
    else:
        prior = month_list(previous, name="previous")
        if len(prior) != len(current):
            raise HotspotsError(
                f"`previous` has {len(prior)} months and `months` has {len(current)}; "
                "the change test compares periods of equal length."
            )
        if set(prior) & set(current):
            raise HotspotsError(
                f"`previous` ({_span(prior)}) overlaps `months` ({_span(current)}); "
                "choose an earlier comparison period."
            )
    if available_months is None:
        available = {int(o) for o in present}
    else:
        available = {
            m.ordinal
            for m in (_month(v, name="available_months") for v in available_months)
        }

    note = _previous_note(current, prior, available)

    areas = _areas(level, tuple(chosen))
    area_codes = pd.Index(areas[code].astype(str))
    idx = _area_index(incidents[code], area_codes)
    located = _located(incidents, incidents[code].isna().to_numpy())
    n = len(areas)

    def tally(period: list[pd.Period]) -> tuple[Any, Any, int, int]:
        rows = np.isin(ordinal, [m.ordinal for m in period])
        inside = rows & (idx >= 0)
        counts = np.bincount(idx[inside], minlength=n)
        harm = np.bincount(idx[inside], weights=w[inside], minlength=n)
        unlocated = int((rows & ~located).sum())
        outside = int((rows & located & (idx < 0)).sum())
        return counts, harm, unlocated, outside

    c, harm, unlocated, outside = tally(current)
    p, _, unlocated_prev, outside_prev = tally(prior)

    residents = areas["residents"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_people = residents > 0
    total = int(c.sum())
    total_residents = float(np.nansum(residents[has_people]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(has_people, 1000.0 * c / residents, np.nan)
        study_rate = 1000.0 * total / total_residents if total_residents else np.nan
        share = c / total if total else np.full(n, np.nan)
        lq = rate / study_rate if total else np.full(n, np.nan)

    if note is None:
        change_p = change_test(c, p)
        p_adj = _bh(change_p)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(p > 0, 100.0 * (c - p) / p, np.nan)
        prev_col = pd.array(p, dtype="Int64")
        change = pd.array(c - p, dtype="Int64")
        sig = pd.array(change_p < alpha, dtype="boolean")
        sig_adj = pd.array(p_adj < alpha, dtype="boolean")
    else:
        change_p = p_adj = pct = np.full(n, np.nan)
        prev_col = change = pd.array([pd.NA] * n, dtype="Int64")
        sig = sig_adj = pd.array([pd.NA] * n, dtype="boolean")

    out = pd.DataFrame({col: areas[col].astype("string") for col in names})
    out = out.assign(
        incidents=c.astype(np.int64),
        harm=harm if weight is not None else np.full(n, np.nan),
        residents=pd.array(areas["residents"], dtype="Int64"),
        rate_per_1000=rate,
        share=share,
        location_quotient=lq,
        previous=prev_col,
        change=change,
        change_pct=pct,
        change_p=change_p,
        change_p_adj=p_adj,
        change_significant=sig,
        change_significant_adj=sig_adj,
        previous_note=pd.array([note] * n, dtype="string"),
        rank=pd.Series(c).rank(method="min", ascending=False).astype(np.int64),
        rate_rank=pd.Series(rate).rank(method="min", ascending=False).astype("Int64"),
    )
    order = np.lexsort((out[code].to_numpy(dtype=object), out["rank"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    if with_geometry:
        geometry = areas.set_index(code).geometry.loc[out[code].to_numpy()]
        out = gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=areas.crs)
    out.attrs = {
        "level": level,
        "districts": chosen,
        "months": _text(current),
        "previous_months": _text(prior),
        "previous_note": note,
        "total_incidents": total,
        "total_residents": int(total_residents),
        "unlocated": unlocated,
        "outside": outside,
        "unlocated_previous": unlocated_prev,
        "outside_previous": outside_prev,
        "alpha": alpha,
    }
    return out


def _previous_note(
    current: list[pd.Period], prior: list[pd.Period], available: set[int]
) -> str | None:
    """Why change cannot be computed (None when it can)."""
    if not current:
        return "No months selected (no incidents): change not computed."
    missing_prior = [m for m in prior if m.ordinal not in available]
    missing_current = [m for m in current if m.ordinal not in available]
    if not missing_prior and not missing_current:
        return None
    parts = []
    if missing_prior:
        parts.append(
            f"previous period {_span(prior)} has no data for {_listing(missing_prior)}"
        )
    if missing_current:
        parts.append(
            f"current period {_span(current)} has no data for "
            f"{_listing(missing_current)}"
        )
    return (
        "; ".join(parts).capitalize()
        + ": change not computed (a month missing from the source is not a month "
        "without incidents)."
    )


def _listing(months: list[pd.Period]) -> str:
    if len(months) <= 4:
        return ", ".join(str(m) for m in months)
    return f"{len(months)} months ({months[0]}..{months[-1]})"


# ---------------------------------------------------------------------------
# monthly series
# ---------------------------------------------------------------------------


def monthly_counts(
    incidents: pd.DataFrame,
    *,
    by: str | None = "theme",
    area_codes: Sequence[str] | None = None,
    level: str = "ward",
    months: Months | Month | None = None,
    available_months: Iterable[Month] | None = None,
) -> pd.DataFrame:
    """Incidents per month and group, every month of the range filled in (tidy).

    Parameters
    ----------
    incidents
        Canonical incidents (``month`` plus the `by` column and, with
        `area_codes`, the level's code column).
    by
        ``"theme"`` (default), ``"category"``, or ``None`` for one group
        ``"all incidents"``. Missing values become the group ``"(none)"``.
    area_codes
        Keep only incidents in these wards (``level="ward"``) or districts
        (``level="district"``); unlocated incidents, having no area, then drop
        out. ``None`` (default): every incident, unlocated ones included.
    level
        Which code `area_codes` are: ``"ward"`` (default) or ``"district"``.
    months
        The range to fill (see `month_list`); ``None`` (default): every calendar
        month from the first to the last month in `incidents`.
    available_months
        Months the source has data for; ``None`` (default): those present in
        `incidents`.

    Returns
    -------
    DataFrame
        Columns ``month`` (period[M]), ``group`` (string) and ``incidents``
        (Int64), one row per month and group (groups: every value of `by` in
        `incidents`, so a chart's legend does not change with the area), sorted
        by month then group. Months in range with no incidents are 0; months
        missing from the data (not in `available_months`) are **NA**, so charts
        show a gap rather than a fall to zero.
    """
    code, _, _ = _level(level)
    if by is not None and by not in BY_COLUMNS:
        raise HotspotsError(
            f"Unknown grouping {by!r}; choose 'theme', 'category' or None."
        )
    needed = (
        ["month"] + ([by] if by else []) + ([code] if area_codes is not None else [])
    )
    _require_frame(incidents, needed)
    ordinal = _month_ordinals(incidents["month"])
    if months is not None:
        span = month_list(months, name="months")
    elif len(ordinal):
        span = list(
            pd.period_range(
                pd.Period(ordinal=int(ordinal.min()), freq="M"),
                pd.Period(ordinal=int(ordinal.max()), freq="M"),
                freq="M",
            )
        )
    else:
        span = []
    if available_months is None:
        available = set(np.unique(ordinal).tolist())
    else:
        available = {
            _month(v, name="available_months").ordinal for v in available_months
        }

    if by is None:
        group = pd.Series("all incidents", index=incidents.index, dtype="string")
        groups = ["all incidents"]
    else:
        group = incidents[by].astype("string").fillna("(none)")
        groups = sorted(set(group.unique()))

    keep = np.ones(len(incidents), dtype=bool)
    if area_codes is not None:
        if isinstance(area_codes, str):
            area_codes = [area_codes]
        keep = incidents[code].isin(list(area_codes)).fillna(False).to_numpy(dtype=bool)

    span_ord = np.array([m.ordinal for m in span], dtype=np.int64)
    m_idx = pd.Index(span_ord).get_indexer(pd.Index(ordinal))
    g_codes, g_uniques = pd.factorize(group)
    g_idx = pd.Index(groups).get_indexer(g_uniques)[g_codes] if len(group) else g_codes
    take = keep & (m_idx >= 0)
    n_g = len(groups)
    counts = np.bincount(
        m_idx[take] * n_g + g_idx[take], minlength=len(span) * n_g
    ).astype(np.int64)
    values = pd.array(counts, dtype="Int64")
    absent = np.repeat(
        np.array([o not in available for o in span_ord], dtype=bool), n_g
    )
    values[absent] = pd.NA
    return pd.DataFrame(
        {
            # pandas >= 2.2; not yet in pandas-stubs
            "month": pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]
                np.repeat(span_ord, n_g), freq="M"
            ),
            "group": pd.array(np.tile(groups, len(span)), dtype="string"),
            "incidents": values,
        }
    )
