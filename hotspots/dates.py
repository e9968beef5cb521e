"""Parse dates, times and months as typed in partner spreadsheets (UK, day first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType

from hotspots._validate import HotspotsError

#: Excel's day 0 for serial dates (the 1900 date system, after its 1900 leap bug).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Only numbers in this date range are read as Excel serial dates; other numbers
#: (ids, counts, years) are not dates.
EXCEL_FIRST = pd.Timestamp("1990-01-01")
EXCEL_LAST = pd.Timestamp("2100-12-31")
_SERIAL_MIN = float((EXCEL_FIRST - EXCEL_EPOCH).days)  # 32874
_SERIAL_END = float((EXCEL_LAST - EXCEL_EPOCH).days + 1)  # 73416, exclusive

#: The explicit formats tried, in order, each on the values still unparsed. Every
#: date is first split from its time and rewritten as "day/month/4-digit year"
#: (from d/m/y with / - or . separators, y-m-d, "14 Mar 2025" and the like), so
#: one format covers them all and day-first is never left to guessing.
DATE_FORMATS: tuple[str, ...] = ("%d/%m/%Y", "%Y%m%d")

_NS_MIN = pd.Timestamp.min.as_unit("ns")
_NS_MAX = pd.Timestamp.max.as_unit("ns")
_DAY_S = 86_400

_MONTH_ABBREVIATIONS = (
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
)  # fmt: skip
_MONTHS = {name: str(i) for i, name in enumerate(_MONTH_ABBREVIATIONS, start=1)}
_MONTH_NAME = (
    r"(JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?"
    r"|SEPT?(?:EMBER)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)\.?"
)
#: Runs of whitespace (written out: pyarrow's fast regex engine lacks Python's \s).
_SPACES = "[ \t\r\n\f\v\xa0\u2007\u2009\u202f]+"
_ODD_SPACE = "  |[\t\r\n\f\v\xa0\u2007\u2009\u202f]"
_WEEKDAY = r"^(?:MON|TUE|WED|THU|FRI|SAT|SUN)[A-Z]*\.?,? "
_DMY = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$"
_YMD = r"^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$"
_D_MON_Y = (
    r"^(\d{1,2})(?:ST|ND|RD|TH)?[ ./-]?(?:OF )?"
    + _MONTH_NAME
    + r"[ ./,-]*(\d{4}|\d{2})$"
)
_CANONICAL = r"\d{1,2}/\d{1,2}/\d{4}|\d{8}"
_SERIAL = r"\d+(?:\.\d+)?"
#: Where a time follows a date: " 21:30", "T21:30:00", " 9.30pm".
_TIME_START = r"[ T][0-9]{1,2}[:.][0-9][0-9]"


# --------------------------------------------------------------------------------
# shared helpers


def _require_series(values: object, name: str = "values") -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(
            f"`{name}` must be a pandas Series, got {type(values).__name__}."
        )
    return values


def _by_unique(values: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply `parse` to the distinct non-missing values only, then spread back.

    Partner columns repeat the same few thousand values across 100k rows, so this
    makes a parser cost O(distinct values). Missing values give the missing value
    of the result's dtype.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse(pd.Series(uniques))
    taken = parsed.array.take(codes, allow_fill=True)
    return pd.Series(taken, index=values.index, name=values.name)


def _kinds(u: pd.Series) -> pd.Series:
    """Kind of each value: text, number, datetime, date, time, delta, period, other."""
    if pd.api.types.is_string_dtype(u.dtype) and not pd.api.types.is_object_dtype(
        u.dtype
    ):
        return pd.Series("text", index=u.index)
    if pd.api.types.is_bool_dtype(u.dtype):
        return pd.Series("other", index=u.index)
    if pd.api.types.is_numeric_dtype(u.dtype):
        return pd.Series("number", index=u.index)
    return u.map(_kind).astype(object)


def _kind(v: Any) -> str:
    if isinstance(v, str):
        return "text"
    if isinstance(v, bool | np.bool_):
        return "other"
    if isinstance(v, int | float | np.integer | np.floating):
        return "number"
    if isinstance(v, dt.datetime | np.datetime64):  # pd.Timestamp is a datetime
        return "datetime"
    if isinstance(v, dt.date):
        return "date"
    if isinstance(v, dt.time):
        return "time"
    if isinstance(v, dt.timedelta | np.timedelta64):  # pd.Timedelta too
        return "delta"
    if isinstance(v, pd.Period):
        return "period"
    return "other"


def _clean_text(u: pd.Series) -> pd.Series:
    """Upper-cased text, outer whitespace trimmed, inner runs made one space."""
    text = u.astype("str").str.strip().str.upper()
    odd = text.str.contains(_ODD_SPACE, regex=True)
    if odd.any():
        text[odd] = text[odd].str.replace(_SPACES, " ", regex=True)
    return text


def _split_date_time(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split cleaned text into its date part and its time part (NaN if none).

    The time starts at the first " h:mm"/"Th:mm" (or "." for ":"); it is cut off
    by its length, as slicing is far cheaper than a regex with capture groups.
    """
    timed = text.str.contains(_TIME_START, regex=True)
    day = text.copy()
    time = pd.Series(np.nan, index=text.index, dtype="str")
    if timed.any():
        day[timed] = text[timed].str.replace(_TIME_START + ".*$", "", regex=True)
        length = text[timed].str.len() - day[timed].str.len() - 1
        for n in length.unique():
            rows = length.index[length == n]
            time[rows] = text[rows].str.slice(-int(n))
    return day, time


def _to_ns(stamps: pd.Series) -> pd.Series:
    """datetime64[ns], NaT outside what nanoseconds can hold (years 1677-2262).

    Time-zone-aware values keep their wall-clock time in their own zone.
    """
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    inside = (stamps >= _NS_MIN) & (stamps <= _NS_MAX)
    return stamps.where(inside).astype("datetime64[ns]")


def _naive(value: Any) -> pd.Timestamp | NaTType:
    """Convert a datetime or date to a naive Timestamp; NaT if not representable."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts if _NS_MIN <= ts <= _NS_MAX else pd.NaT


def _serials_to_datetimes(serial: pd.Series) -> pd.Series:
    """Excel serial day numbers -> datetime64[ns] to the nearest second; NaT outside.

    Only serials for 1 Jan 1990 to 31 Dec 2100 are accepted.
    """
    s = serial.astype("float64")
    ok = (s >= _SERIAL_MIN) & (s < _SERIAL_END)
    seconds = pd.Series(np.round(s.where(ok) * _DAY_S), index=s.index)
    delta = pd.to_timedelta(seconds, unit="s")
    return (delta + EXCEL_EPOCH).astype("datetime64[ns]")


def _expand_year(year: pd.Series) -> pd.Series:
    """Two-digit years: 00-69 -> 2000-2069, 70-99 -> 1970-1999 (others kept)."""
    year = year.astype("str")
    two = (year.str.len() == 2).to_numpy()
    century = np.where((year.str.slice(0, 1) < "7").to_numpy(), "20", "19")
    return year.where(~two, century + year)


def _canonical_dates(text: pd.Series) -> pd.Series:
    """Rewrite d/m/y, y-m-d and '14 Mar 2025' forms as 'd/m/yyyy' (others unchanged)."""
    text = text.str.replace(_WEEKDAY, "", regex=True)
    out = text.copy()
    done = pd.Series(False, index=text.index)
    dmy = text.str.extract(_DMY)
    ymd = text.str.extract(_YMD)
    named = text.str.extract(_D_MON_Y)
    named_month = named[1].str.slice(0, 3).map(_MONTHS).astype("str")
    for day, month, year in (
        (dmy[0], dmy[1], dmy[2]),
        (ymd[2], ymd[1], ymd[0]),
        (named[0], named_month, named[2]),
    ):
        hit = day.notna() & month.notna() & ~done
        done |= hit
        if hit.any():
            out[hit] = day[hit] + "/" + month[hit] + "/" + _expand_year(year[hit])
    return out


def _parse_day_text(text: pd.Series) -> pd.Series:
    """Parse cleaned date text (no time) to midnight of that day; NaT if not a date."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if len(text) == 0:
        return out
    canonical = _canonical_dates(text)
    todo = canonical.str.fullmatch(_CANONICAL)
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(canonical[todo], format=fmt, errors="coerce")
        got = parsed.index[parsed.notna()]
        out[got] = _to_ns(parsed[got])
        todo[got] = False
    return out


def _parse_date_text(text: pd.Series) -> pd.Series:
    """Parse cleaned text: an Excel serial, or a date and an optional time.

    The date and time parts are parsed separately, each once per distinct value,
    so 300k distinct date-times cost about as much as their few distinct days.
    """
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    serial = text.str.fullmatch(_SERIAL) & ~text.str.fullmatch(r"\d{8}")
    if serial.any():
        out[serial] = _serials_to_datetimes(
            pd.to_numeric(text[serial], errors="coerce")
        )
    rest = ~serial
    if rest.any():
        day_text, time_text = _split_date_time(text[rest])
        day = _by_unique(day_text, _parse_day_text)
        seconds = _by_unique(time_text, _parse_time_text)
        timed = time_text.notna()
        clock = pd.to_timedelta(seconds, unit="s")
        out[rest] = (day + clock).where(timed, day)
    return out


def _parse_dates_unique(u: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    if len(u) == 0:
        return out
    kind = _kinds(u)
    text = kind == "text"
    if text.any():
        out[text] = _parse_date_text(_clean_text(u[text]))
    number = kind == "number"
    if number.any():
        out[number] = _serials_to_datetimes(pd.to_numeric(u[number], errors="coerce"))
    stamp = kind.isin(["datetime", "date"])
    if stamp.any():
        out[stamp] = pd.Series([_naive(v) for v in u[stamp]], index=u.index[stamp])
    return out


# --------------------------------------------------------------------------------
# times

_TIME_PATTERNS = (
    # 21:30, 21:30:05, 21:30:05.123, 9.30pm, 9:30 PM, 21h30
    r"^(?P<h>\d{1,2})[:.H](?P<m>\d\d)(?:[:.](?P<s>\d\d)(?P<f>\.\d{1,9})?)?"
    r"(?: ?(?P<p>[AP])\.?M\.?)?$",
    # 2130, 0930, 930, 930pm
    r"^(?P<h>\d{1,2})(?P<m>\d\d)(?: ?(?P<p>[AP])\.?M\.?)?$",
    # 9pm, 12 am
    r"^(?P<h>\d{1,2}) ?(?P<p>[AP])\.?M\.?$",
)
_FRACTION = r"0|0?\.\d+|0\."


def _day_seconds(parts: pd.DataFrame) -> pd.Series:
    """Seconds after midnight from extracted h, m, s, f, p text; NaN if not a time."""
    missing = pd.Series(np.nan, index=parts.index)
    h = pd.to_numeric(parts["h"], errors="coerce").astype("float64")
    m, s, f = (
        pd.to_numeric(parts.get(c, missing), errors="coerce")
        .astype("float64")
        .fillna(0.0)
        for c in ("m", "s", "f")
    )
    p = parts.get("p", missing).astype("str")
    twelve = p.notna()
    ok = (m < 60) & (s < 60) & (h <= 23) & (~twelve | (h <= 12))
    hour = h.where(~twelve, h % 12 + np.where(p == "P", 12, 0))
    return (hour * 3600 + m * 60 + s + f).where(ok)


def _parse_time_text(text: pd.Series) -> pd.Series:
    """Parse cleaned time text to seconds after midnight (float; NaN if not a time)."""
    seconds = pd.Series(np.nan, index=text.index)
    if len(text) == 0:
        return seconds
    # an ISO time-zone designator: keep the wall-clock time
    text = text.str.replace(r"(?:Z| ?[+-]\d\d:?\d\d)$", "", regex=True)
    text = text.str.replace(r"^(?:12(?::00)? ?)?(?:NOON|MIDDAY)$", "12:00", regex=True)
    text = text.str.replace(r"^(?:12(?::00)? ?)?MIDNIGHT$", "00:00", regex=True)
    number = text.str.fullmatch(_FRACTION) | text.str.fullmatch(r"\d{5}(?:\.\d+)?")
    if number.any():
        seconds[number] = _fraction_seconds(
            pd.to_numeric(text[number], errors="coerce")
        )
    todo = ~number & text.notna()
    for pattern in _TIME_PATTERNS:
        if not todo.any():
            break
        parts = text[todo].str.extract(pattern)
        idx = parts.index[parts["h"].notna()]
        seconds[idx] = _day_seconds(parts.loc[idx])
        todo[idx] = False
    return seconds


def _fraction_seconds(number: pd.Series) -> pd.Series:
    """Convert Excel times (a fraction of a day, or a serial's fraction) to seconds."""
    v = number.astype("float64")
    ok = ((v >= 0) & (v < 1)) | ((v >= _SERIAL_MIN) & (v < _SERIAL_END))
    # a fraction a hair under 1 rounds to 23:59:59, not to the next midnight
    seconds = np.minimum(np.round((v - np.floor(v)) * _DAY_S), _DAY_S - 1)
    return pd.Series(seconds, index=v.index).where(ok)


def _time_of(value: Any) -> float:
    """Seconds after midnight of a time, datetime or timedelta under a day; else NaN."""
    if isinstance(value, np.datetime64):
        value = _naive(value)
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return float(
            value.hour * 3600
            + value.minute * 60
            + value.second
            + value.microsecond / 1e6
        )
    try:
        seconds = pd.Timedelta(value).total_seconds()
    except (ValueError, TypeError, OverflowError):
        return np.nan
    return seconds if 0 <= seconds < _DAY_S else np.nan


def _parse_times_unique(u: pd.Series) -> pd.Series:
    seconds = pd.Series(np.nan, index=u.index)
    if len(u):
        kind = _kinds(u)
        text = kind == "text"
        if text.any():
            clean = _clean_text(u[text])
            day_text, time_text = _split_date_time(clean)
            seconds[text] = _parse_time_text(time_text.fillna(day_text))
        number = kind == "number"
        if number.any():
            seconds[number] = _fraction_seconds(
                pd.to_numeric(u[number], errors="coerce")
            )
        objects = kind.isin(["datetime", "time", "delta"])
        if objects.any():
            found = [_time_of(v) for v in u[objects]]
            seconds[objects] = pd.Series(found, index=u.index[objects], dtype="float64")
    return pd.to_timedelta(seconds, unit="s").astype("timedelta64[ns]")


# --------------------------------------------------------------------------------
# months

_MONTH_PATTERNS: tuple[tuple[str, bool], ...] = (
    # 2022-01, 2022/01, 2022 01, 202201 (without a separator: two-digit month only)
    (r"^(?P<y>\d{4})(?: ?[-/.] ?| |(?=\d\d$))(?P<m>\d{1,2})$", False),
    # 01/2022, 1-2022
    (r"^(?P<m>\d{1,2}) ?[-/.] ?(?P<y>\d{4})$", False),
    # Jan-2022, January 2022, Jan 22, Sept '23
    (
        r"^" + _MONTH_NAME.replace("(", "(?P<m>", 1) + r"[ ./,'-]*(?P<y>\d{4}|\d{2})$",
        True,
    ),
)


def _parse_month_text(text: pd.Series) -> pd.Series:
    """Parse cleaned month text to period[M]; NaT where no month form matched."""
    out = pd.Series(pd.NaT, index=text.index, dtype="period[M]")
    todo = pd.Series(True, index=text.index)
    for pattern, named in _MONTH_PATTERNS:
        parts = text[todo].str.extract(pattern)
        month_text = parts["m"].str.slice(0, 3).map(_MONTHS) if named else parts["m"]
        month = pd.to_numeric(month_text, errors="coerce")
        year = pd.to_numeric(_expand_year(parts["y"]), errors="coerce")
        ok = month.between(1, 12) & year.notna()
        idx = ok.index[ok]
        if len(idx):
            fields = pd.DataFrame({"year": year[idx], "month": month[idx], "day": 1})
            firsts = pd.to_datetime(fields, errors="coerce")
            out[idx] = firsts.dt.to_period("M")
            todo[idx] = False
    return out


def _parse_months_unique(u: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=u.index, dtype="period[M]")
    if len(u) == 0:
        return out
    kind = _kinds(u)
    period = kind == "period"
    if period.any():
        out[period] = [p.asfreq("M") for p in u[period]]
    text = kind == "text"
    if text.any():
        out[text] = _parse_month_text(_clean_text(u[text]))
    rest = (text & out.isna()) | kind.isin(["number", "datetime", "date"])
    if rest.any():
        out[rest] = _parse_dates_unique(u[rest]).dt.to_period("M")
    return out


# --------------------------------------------------------------------------------
# public


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse dates (with optional times) as UK partners write them, day first.

    Accepted: ``14/03/2025``, ``14/3/25``, ``14-03-2025``, ``14.03.2025``; ISO
    ``2025-03-14`` (also ``2025/3/14``); ``14-Mar-2025``, ``14 Mar 2025``,
    ``14th March 2025`` (a leading weekday is ignored); ``20250314``; each optionally
    followed by a time (``21:30``, ``21:30:05``, ``9:30 PM``, ISO ``T21:30:00``; a
    time-zone suffix is dropped, keeping the wall-clock time). Also Excel serial day
    numbers, as numbers or numeric text (``45730`` is 14 March 2025, ``45730.5``
    noon that day; 1899-12-30 epoch; only 1 Jan 1990 to 31 Dec 2100), and datetime
    values already read from a workbook (passed through).

    Slashed, dashed and dotted dates are always day first: ``03/04/2025`` is
    3 April. Two-digit years 00-69 are 2000-2069 and 70-99 are 1970-1999.
    Impossible dates (``31/02/2025``) and times (``25:00``) give NaT, as does
    anything else. Month-first forms (``Mar 14 2025``) are deliberately refused.

    Parameters
    ----------
    values
        Dates as typed: text, numbers, datetimes, or a mix (an XLSX column).

    Returns
    -------
    Series
        datetime64[ns], same index and name; NaT where no date could be read.
    """
    values = _require_series(values)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_ns(values)
    return _by_unique(values, _parse_dates_unique).astype("datetime64[ns]")


def parse_times(values: pd.Series) -> pd.Series:
    """Parse times of day as typed: ``21:30``, ``2130``, ``9.30pm``, Excel fractions.

    Accepted: ``21:30``, ``21:30:05``, ``09:30``, ``2130``, ``930``, ``9.30pm``,
    ``9:30 PM``, ``9pm``, ``noon``, ``midnight``; the time in a date-time
    (``2025-03-14 21:30``); Excel times, as numbers or numeric text: a fraction of a
    day (``0.5`` is 12:00) or the fraction of a serial date-time (``45730.875`` is
    21:00); and ``datetime.time``/``datetime.datetime`` objects.

    Text ``0.xx`` is read as an Excel fraction of a day, not as ``h.mm``: ``0.25``
    is 06:00 (write ``00:25`` or ``12.25am`` for 25 past midnight). Bare one- or
    two-digit numbers (``9``) are not times. Hours 0-23 (1-12 with am/pm), minutes
    and seconds 0-59; anything else gives NaT.

    Parameters
    ----------
    values
        Times as typed: text, numbers, time objects, or a mix.

    Returns
    -------
    Series
        timedelta64[ns] after midnight (0 to 23:59:59.999...), same index and name;
        NaT where no time could be read.
    """
    values = _require_series(values)
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        inside = (values >= pd.Timedelta(0)) & (values < pd.Timedelta(days=1))
        return values.where(inside).astype("timedelta64[ns]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = _to_ns(values)
        return (stamps - stamps.dt.normalize()).astype("timedelta64[ns]")
    return _by_unique(values, _parse_times_unique).astype("timedelta64[ns]")


def parse_months(values: pd.Series) -> pd.Series:
    """Parse the month of each value: ``2022-01``, ``01/2022``, ``Jan-2022``, dates.

    Accepted: ``2022-01`` (police.uk), ``2022/01``, ``202201``, ``01/2022``,
    ``1/2022``, ``Jan-2022``, ``January 2022``, ``Jan 22`` (two-digit years as in
    :func:`parse_dates`), ``pandas.Period`` values, and any date that
    :func:`parse_dates` accepts (its month is taken).

    Parameters
    ----------
    values
        Months as typed: text, Excel serial dates, datetimes, or a mix.

    Returns
    -------
    Series
        period[M], same index and name; NaT where no month could be read.
    """
    values = _require_series(values)
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_ns(values).dt.to_period("M")
    return _by_unique(values, _parse_months_unique).astype(pd.PeriodDtype("M"))


def combine_date_time(dates: pd.Series, times: pd.Series) -> pd.Series:
    """Put each parsed time of day on its date; keep the date as is where no time.

    Where a time parsed, it replaces the date's own time (if any), so a date column
    holding ``14/03/2025 21:30`` and a time column of ``21:30`` give 21:30, not
    19:00 the next day.

    Parameters
    ----------
    dates
        Output of :func:`parse_dates` (anything else is parsed with it first).
    times
        Output of :func:`parse_times` (anything else is parsed with it first),
        with the same index as `dates`.

    Returns
    -------
    Series
        datetime64[ns] with the index and name of `dates`; NaT where the date is NaT.
    """
    dates = _require_series(dates, "dates")
    times = _require_series(times, "times")
    if not dates.index.equals(times.index):
        raise ValueError("`dates` and `times` must have the same index.")
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        dates = parse_dates(dates)
    if not pd.api.types.is_timedelta64_dtype(times.dtype):
        times = parse_times(times)
    dates = _to_ns(dates)
    times = times.astype("timedelta64[ns]")
    combined = (dates.dt.normalize() + times).where(times.notna(), dates)
    combined.name = dates.name
    return combined


def month_span(months: Sequence[Any], empty: str = "(none)") -> str:
    """First and last of some months (ascending): '2022-01..2022-06', '2024-01'."""
    if not len(months):
        return empty
    return str(months[0]) if len(months) == 1 else f"{months[0]}..{months[-1]}"


def month_runs(months: Sequence[pd.Period]) -> str:
    """Months (ascending) as runs of consecutive months: '2022-01..2022-06, 2024-01'."""
    if not months:
        return "none"
    runs: list[list[pd.Period]] = [[months[0]]]
    for m in months[1:]:
        if m.ordinal == runs[-1][-1].ordinal + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(month_span(r) for r in runs)


def time_steps(present: pd.PeriodIndex, months: Sequence[Any] | None) -> pd.PeriodIndex:
    """The months an analysis steps through: `months` (YYYY-MM or Periods), sorted.

    ``None``: the distinct months `present` (the incidents' own). Given months
    should be every month of the data in the selection's range, so that a month
    without an incident counts as one with none; an incident month of `present`
    outside them is an error (it would otherwise count as an earlier month).
    """
    seen = present.dropna().unique().sort_values()
    if months is None:
        return seen
    steps = pd.PeriodIndex([str(m)[:7] for m in months], freq="M").unique()
    outside = seen.difference(steps)
    if len(outside):
        raise HotspotsError(
            f"Incidents of {outside[0]} are not in the months given; give every "
            "month of the selection."
        )
    return steps.sort_values()


def sources_of(incidents: pd.DataFrame) -> list[str]:
    """The sources (names) the rows of `incidents` come from, sorted."""
    return sorted({str(s) for s in pd.unique(incidents["source"].dropna())})


#: The key of a frame's ``attrs`` that holds the months its partner files were
#: declared to cover (``--covers``): batch -> ``[first, last]`` (``YYYY-MM``).
COVERS = "covers"


def parse_span(text: str) -> tuple[str, str]:
    """``(first, last)`` (``YYYY-MM``) of a span written ``YYYY-MM..YYYY-MM``.

    One month (``2024-03``) is a span of one. Raises `HotspotsError` for
    anything else, or a span whose first month is after its last.
    """
    parts = [p.strip() for p in str(text).split("..")]
    ok = len(parts) in (1, 2) and all(
        len(p) == 7 and p[4] == "-" and p[:4].isdigit() and p[5:].isdigit()
        and 1 <= int(p[5:]) <= 12
        for p in parts
    )  # fmt: skip
    if not ok:
        raise HotspotsError(
            "The months covered are written YYYY-MM..YYYY-MM, e.g. 2024-01..2024-12; "
            f"got {text!r}."
        )
    first, last = parts[0], parts[-1]
    if first > last:
        raise HotspotsError(
            f"The months covered {text!r}: the first month comes after the last; write the "
            "earlier month first."
        )
    return first, last


def source_months(incidents: pd.DataFrame) -> dict[str, list[str]]:
    """The months (``YYYY-MM``) each source of `incidents` holds, by source name.

    A source holds every month from the first to the last month of each batch
    it was added in (its ``batch`` column): a police.uk batch is one force's
    month, so police data holds just the months it was given, gaps and all; a
    partner file is one batch, so a month inside it without an incident is a
    month with none (a count of zero), not a month it lacks. Without a
    ``batch`` column, the months with at least one incident. A file declared
    to cover more (``attrs["covers"]``, `COVERS`: ingest's ``covers``, kept by
    the store) holds all it declared, its first or last months without an
    incident too. Rows without a month are left out.
    """
    for col in ("source", "month"):
        if col not in incidents:
            raise HotspotsError(f"`incidents` has no {col!r} column.")
    batch = "batch" if "batch" in incidents else "source"
    pairs = incidents[list(dict.fromkeys(["source", batch, "month"]))].dropna()
    if pairs.empty:
        return {}
    month = pairs["month"]
    if not isinstance(month.dtype, pd.PeriodDtype):
        month = pd.PeriodIndex(month.astype(str).str[:7], freq="M").to_series(
            index=pairs.index
        )
    if batch == "source":  # no batches: the months with an incident
        keys = pd.MultiIndex.from_arrays([pairs["source"], month.to_numpy()])
        spans = [(s, m, m) for s, m in keys.unique()]
    else:
        bounds = month.groupby([pairs["source"], pairs["batch"]], observed=True)
        ends = bounds.agg(["min", "max"])
        declared = incidents.attrs.get(COVERS) or {}
        spans = [
            (
                s,
                min(lo, pd.Period(declared[b][0], "M")),
                max(hi, pd.Period(declared[b][1], "M")),
            )
            if b in declared
            else (s, lo, hi)
            for (s, b), lo, hi in zip(ends.index, ends["min"], ends["max"], strict=True)
        ]
    out: dict[str, set[str]] = {}
    for source, lo, hi in spans:
        months = pd.period_range(lo, hi, freq="M").astype(str)
        out.setdefault(str(source), set()).update(months)
    return {s: sorted(ms) for s, ms in sorted(out.items())}


def any_months(coverage: dict[str, list[str]]) -> list[str]:
    """The months (``YYYY-MM``) any source of `coverage` holds, in order.

    As `source_months` gives them: each month with an incident, and a month
    inside a file's span without one too.
    """
    return sorted(set().union(*coverage.values()))


def shared_months(
    coverage: dict[str, list[str]], sources: Sequence[str] | None = None
) -> list[str]:
    """The months (``YYYY-MM``) every one of `sources` holds (`source_months`).

    Comparisons over time (a trend, this period against the last) use only
    these when sources cover different months: a month that one source lacks
    is not a month without its incidents (a partner log from 2023-11 beside
    police data with none then would read as a rise). `sources`: default every
    source of `coverage`; one not in it is an error. No sources: every month
    of `coverage` (nothing is compared across sources).
    """
    names = list(coverage) if sources is None else list(dict.fromkeys(sources))
    unknown = [s for s in names if s not in coverage]
    if unknown:
        raise HotspotsError(
            f"No months are known for source {unknown[0]!r}; the data holds "
            f"{', '.join(map(repr, coverage)) or 'no sources'}."
        )
    if not names:
        return sorted({m for months in coverage.values() for m in months})
    held = set(coverage[names[0]])
    for name in names[1:]:
        held &= set(coverage[name])
    return sorted(held)


def selection_months(
    incidents: pd.DataFrame,
    held: dict[str, list[str]],
    first: str | None = None,
    last: str | None = None,
) -> tuple[list[str], list[str]]:
    """The months of a selection's analysis over time, from what its sources hold.

    ``(steps, compared)`` within `first`..`last` (``YYYY-MM``; default all):
    the time steps, every month any source of `incidents` holds (a month
    without an incident of the selection counts as none), and the months every
    one of them holds (`shared_months`), which comparisons over time use.
    `held`: the months each source of the data holds (`source_months`), which
    must know every source of `incidents`.
    """
    present = sources_of(incidents)
    compared = shared_months(held, present) if present else []  # checks them
    steps = sorted({m for s in present for m in held[s]})
    lo, hi = first or "0000-01", last or "9999-12"
    return (
        [m for m in steps if lo <= m <= hi],
        [m for m in compared if lo <= m <= hi],
    )
