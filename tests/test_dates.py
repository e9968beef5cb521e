"""Tests for hotspots.dates: parsing dates, times and months as partners type them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hotspots._validate import HotspotsError
from hotspots.dates import combine_date_time, parse_dates, parse_months, parse_times

LONG = "x" * 10_000
T = pd.Timestamp


def one(func, value):
    """Parse a single value in an object column (as from an XLSX sheet)."""
    return func(pd.Series([value], dtype=object)).iloc[0]


# ================================================================================
# inputs: bad values never raise, they give NaT


GARBAGE = [
    "",
    "   ",
    "N/A",
    "unknown",
    "=1+1",
    "=DATE(2025,3,14)",
    LONG,
    "ünïcødé 日付",
    "14/03",
    "2025",
    "2025-03",
    "31/02/2025",
    "29/02/2023",
    "14/13/2025",
    "32/01/2025",
    "00/01/2025",
    "14/03/202",
    "Mar 14 2025",
    "03-14-2025",
    "14/03/2025 25:00",
    "14/03/2025 21:60",
    "14/03/2025 junk",
    "1e5",
    "-45730",
    "32873",  # 31/12/1989: before the accepted Excel range
    "73416",  # 1/1/2101: after it
    "0",
    "45730.5.5",
    "14 Marchy 2025",
]


@pytest.mark.parametrize("value", GARBAGE)
def test_parse_dates_garbage_is_nat(value):
    assert pd.isna(one(parse_dates, value))


@pytest.mark.parametrize(
    "value",
    [None, np.nan, pd.NA, pd.NaT, True, False, 0, 100, 1e10, -5, 32873.9, 73416],
)
def test_parse_dates_non_text_garbage_is_nat(value):
    assert pd.isna(one(parse_dates, value))


def test_parse_dates_all_missing_and_empty():
    out = parse_dates(pd.Series([None, np.nan, ""], dtype=object))
    assert out.isna().all()
    assert out.dtype == "datetime64[ns]"
    empty = parse_dates(pd.Series([], dtype="str"))
    assert empty.dtype == "datetime64[ns]"
    assert empty.empty


def test_parse_dates_rejects_non_series():
    with pytest.raises(TypeError, match="pandas Series"):
        parse_dates(["14/03/2025"])


def test_parse_dates_out_of_nanosecond_range_is_nat():
    out = parse_dates(pd.Series(["01/01/0001", "31/12/9999", dt.datetime(1, 1, 1)]))
    assert out.isna().all()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "N/A",
        "=1+1",
        LONG,
        "ünï",
        "24:00",
        "21:60",
        "13pm",
        "0pm x",
        "9",
        "21",
        "1.5",
        "12:30:61",
        "-0.5",
        "99999",
        "21:30:05:01",
    ],
)
def test_parse_times_garbage_is_nat(value):
    assert pd.isna(one(parse_times, value))


@pytest.mark.parametrize(
    "value", [None, np.nan, True, 1.5, -0.1, 2, dt.date(2025, 3, 14)]
)
def test_parse_times_non_text_garbage_is_nat(value):
    assert pd.isna(one(parse_times, value))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "N/A",
        "=1+1",
        LONG,
        "ünï",
        "2022-13",
        "13/2022",
        "2022",
        "Jann 2022",
        "20221",
        "Mar 14 2025",
        "2022-00",
        None,
        np.nan,
        True,
    ],
)
def test_parse_months_garbage_is_nat(value):
    assert pd.isna(one(parse_months, value))


def test_combine_needs_same_index():
    dates = parse_dates(pd.Series(["14/03/2025"], index=[1]))
    times = parse_times(pd.Series(["21:30"], index=[2]))
    with pytest.raises(ValueError, match="same index"):
        combine_date_time(dates, times)


@pytest.mark.parametrize("func", [parse_dates, parse_times, parse_months])
def test_text_column_with_numbers_and_formulas(func):
    values = pd.Series(["=1+1", "@SUM(A1)", "+44 1622", "-", "1", "12345678901234"])
    assert func(values).isna().all()


# ================================================================================
# outputs: exact values, dtypes, index and name kept, input untouched


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14/03/2025", T("2025-03-14")),
        ("14/03/2025 21:30", T("2025-03-14 21:30")),
        ("14/03/2025 21:30:05", T("2025-03-14 21:30:05")),
        ("14/03/2025 9:30 PM", T("2025-03-14 21:30")),
        ("14/03/2025 9.30pm", T("2025-03-14 21:30")),
        ("14/03/2025 21:30:05.123000", T("2025-03-14 21:30:05.123")),
        ("14/3/25", T("2025-03-14")),
        ("14-03-2025", T("2025-03-14")),
        ("14.03.2025", T("2025-03-14")),
        ("2025-03-14", T("2025-03-14")),
        ("2025-03-14T21:30:00", T("2025-03-14 21:30")),
        ("2025-03-14T21:30:00Z", T("2025-03-14 21:30")),
        ("2025-03-14T21:30:00+01:00", T("2025-03-14 21:30")),
        ("2025-03-14 21:30", T("2025-03-14 21:30")),
        ("2025/3/14", T("2025-03-14")),
        ("20250314", T("2025-03-14")),
        ("14-Mar-2025", T("2025-03-14")),
        ("14 Mar 2025", T("2025-03-14")),
        ("14 march 2025", T("2025-03-14")),
        ("14th March 2025", T("2025-03-14")),
        ("Friday 14 March 2025 21:30", T("2025-03-14 21:30")),
        ("14 Sept 2025", T("2025-09-14")),
        ("  14/03/2025  ", T("2025-03-14")),
        ("14/03/2025\t21:30", T("2025-03-14 21:30")),
        ("03/04/2025", T("2025-04-03")),  # day first, always
        ("12/01/2025", T("2025-01-12")),
        ("29/02/2024", T("2024-02-29")),  # leap day
        ("1/1/00", T("2000-01-01")),
        ("1/1/69", T("2069-01-01")),
        ("1/1/70", T("1970-01-01")),
        ("31/12/99", T("1999-12-31")),
        ("45730", T("2025-03-14")),
        ("45730.5", T("2025-03-14 12:00")),
        (45730, T("2025-03-14")),
        (45730.5, T("2025-03-14 12:00")),
        (np.int64(45730), T("2025-03-14")),
        (32874, T("1990-01-01")),
        (73415, T("2100-12-31")),
        (45730 + 21.5 / 24, T("2025-03-14 21:30")),
        (dt.datetime(2025, 3, 14, 21, 30), T("2025-03-14 21:30")),
        (dt.date(2025, 3, 14), T("2025-03-14")),
        (T("2025-03-14 21:30"), T("2025-03-14 21:30")),
        (T("2025-03-14 21:30", tz="Europe/London"), T("2025-03-14 21:30")),
        (np.datetime64("2025-03-14T21:30"), T("2025-03-14 21:30")),
    ],
)
def test_parse_dates_values(value, expected):
    assert one(parse_dates, value) == expected


def test_excel_serial_matches_python_date_arithmetic():
    # independent check: Excel day n is n days after 1899-12-30
    days = [32874, 40000, 45000, 45730, 60000, 73415]
    expected = [dt.datetime(1899, 12, 30) + dt.timedelta(days=d) for d in days]
    out = parse_dates(pd.Series(days))
    assert out.tolist() == [T(e) for e in expected]
    assert T(expected[3]) == T("2025-03-14")


@pytest.mark.parametrize(
    "fmt",
    [
        "%d/%m/%Y",
        "%d/%m/%y",
        "%d-%m-%Y",
        "%d.%m.%Y",
        "%Y-%m-%d",
        "%d-%b-%Y",
        "%d %B %Y",
        "%d/%m/%Y %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d %b %Y %H:%M:%S",
        "%Y%m%d",
    ],
)
def test_parse_dates_round_trips_formats(fmt):
    # independent check: Python's strftime writes them, parse_dates reads them back
    rng = np.random.default_rng(0)
    start = dt.datetime(1995, 1, 1)
    stamps = [
        start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 30 * 525_600, 300)
    ]
    text = pd.Series([s.strftime(fmt) for s in stamps])
    expected = pd.Series([dt.datetime.strptime(t, fmt) for t in text])
    out = parse_dates(text)
    pd.testing.assert_series_equal(out, expected.astype("datetime64[ns]"))


def test_parse_dates_dtype_index_name_and_input_untouched():
    values = pd.Series(
        ["14/03/2025", None, "garbage", 45730, dt.datetime(2024, 2, 29, 6)],
        index=[30, 10, 20, 5, 7],
        name="Date of incident",
        dtype=object,
    )
    before = values.copy()
    out = parse_dates(values)
    assert out.dtype == "datetime64[ns]"
    assert out.index.equals(values.index)
    assert out.name == "Date of incident"
    pd.testing.assert_series_equal(values, before)
    assert out.tolist()[0] == T("2025-03-14")
    assert pd.isna(out[10])
    assert pd.isna(out[20])
    assert out[5] == T("2025-03-14")
    assert out[7] == T("2024-02-29 06:00")


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_parse_dates_text_dtypes(dtype):
    values = pd.Series(["14/03/2025", None, "2025-03-14 21:30"], dtype=dtype)
    out = parse_dates(values)
    assert out.tolist()[0] == T("2025-03-14")
    assert pd.isna(out[1])
    assert out[2] == T("2025-03-14 21:30")


def test_parse_dates_datetime_column_passes_through_as_ns():
    values = pd.Series(pd.to_datetime(["2025-03-14 21:30", None]).as_unit("us"))
    out = parse_dates(values)
    assert out.dtype == "datetime64[ns]"
    assert out[0] == T("2025-03-14 21:30")
    assert pd.isna(out[1])


def test_parse_dates_repeated_values_are_each_parsed():
    values = pd.Series(["14/03/2025", "15/03/2025"] * 1000 + [None])
    out = parse_dates(values)
    assert (out[:-1:2] == T("2025-03-14")).all()
    assert (out[1:-1:2] == T("2025-03-15")).all()
    assert pd.isna(out.iloc[-1])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("21:30", "21:30:00"),
        ("21:30:05", "21:30:05"),
        ("21:30:05.5", "21:30:05.5"),
        ("2130", "21:30:00"),
        ("0930", "09:30:00"),
        ("930", "09:30:00"),
        ("09:30", "09:30:00"),
        ("9.30pm", "21:30:00"),
        ("9:30 PM", "21:30:00"),
        ("9:30 p.m.", "21:30:00"),
        ("9pm", "21:00:00"),
        ("12am", "00:00:00"),
        ("12:30 am", "00:30:00"),
        ("12pm", "12:00:00"),
        ("12.15PM", "12:15:00"),
        ("noon", "12:00:00"),
        ("Midnight", "00:00:00"),
        ("00:00", "00:00:00"),
        ("23:59:59", "23:59:59"),
        ("21h30", "21:30:00"),
        ("0.5", "12:00:00"),
        ("0.25", "06:00:00"),  # text 0.xx is an Excel fraction, not h.mm
        ("0", "00:00:00"),
        ("45730.875", "21:00:00"),
        ("2025-03-14 21:30", "21:30:00"),
        ("2025-03-14T21:30:00", "21:30:00"),
        ("14/03/2025 21:30", "21:30:00"),
        (0.5, "12:00:00"),
        (0.75, "18:00:00"),
        (0, "00:00:00"),
        (0.99999999, "23:59:59"),
        (45730.875, "21:00:00"),
        (dt.time(9, 30, 5), "09:30:05"),
        (dt.datetime(2025, 3, 14, 21, 30), "21:30:00"),
        (T("2025-03-14 21:30"), "21:30:00"),
        (pd.Timedelta(hours=3), "03:00:00"),
    ],
)
def test_parse_times_values(value, expected):
    assert one(parse_times, value) == pd.Timedelta(expected)


def test_parse_times_dtype_index_and_input_untouched():
    values = pd.Series(["21:30", None, "junk", 0.5], index=list("dcba"), name="Time")
    before = values.copy()
    out = parse_times(values)
    assert out.dtype == "timedelta64[ns]"
    assert out.index.equals(values.index)
    assert out.name == "Time"
    pd.testing.assert_series_equal(values, before)
    assert out["d"] == pd.Timedelta("21:30:00")
    assert out["a"] == pd.Timedelta("12:00:00")
    assert out[["c", "b"]].isna().all()


def test_parse_times_typed_columns():
    deltas = pd.Series(pd.to_timedelta(["03:00:00", "1 day 01:00:00", None]))
    out = parse_times(deltas)
    assert out[0] == pd.Timedelta(hours=3)
    assert out[1:].isna().all()
    stamps = pd.Series(pd.to_datetime(["2025-03-14 21:30", None]))
    assert parse_times(stamps).tolist()[0] == pd.Timedelta("21:30:00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-01", "2022-01"),
        ("2022/01", "2022-01"),
        ("2022 01", "2022-01"),
        ("202201", "2022-01"),
        ("01/2022", "2022-01"),
        ("1/2022", "2022-01"),
        ("Jan-2022", "2022-01"),
        ("January 2022", "2022-01"),
        ("Jan 22", "2022-01"),
        ("JAN-22", "2022-01"),
        ("sept 2023", "2023-09"),
        ("Dec '99", "1999-12"),
        ("14/03/2025", "2025-03"),
        ("2025-03-14T21:30:00", "2025-03"),
        ("14 March 2025", "2025-03"),
        ("45730", "2025-03"),
        (45730, "2025-03"),
        (dt.datetime(2024, 2, 29), "2024-02"),
        (pd.Period("2022-05", "M"), "2022-05"),
        (pd.Period("2022-05-17", "D"), "2022-05"),
    ],
)
def test_parse_months_values(value, expected):
    assert one(parse_months, value) == pd.Period(expected, "M")


def test_parse_months_dtype_index_and_input_untouched():
    values = pd.Series(
        ["2022-01", "", None, "2022-12"], index=[9, 8, 7, 6], name="Month"
    )
    before = values.copy()
    out = parse_months(values)
    assert out.dtype == pd.PeriodDtype("M")
    assert out.index.equals(values.index)
    assert out.name == "Month"
    pd.testing.assert_series_equal(values, before)
    assert out[9] == pd.Period("2022-01", "M")
    assert out[6] == pd.Period("2022-12", "M")
    assert out[[8, 7]].isna().all()


def test_parse_months_typed_columns():
    stamps = pd.Series(pd.to_datetime(["2025-03-14", None]))
    assert parse_months(stamps).tolist()[0] == pd.Period("2025-03", "M")
    periods = pd.Series(pd.period_range("2022-01-30", periods=2, freq="D"))
    assert parse_months(periods).tolist() == [pd.Period("2022-01", "M")] * 2


def test_combine_date_time():
    index = pd.Index([4, 3, 2, 1, 0])
    dates = parse_dates(
        pd.Series(["14/03/2025", "14/03/2025 10:00", "", "15/03/2025", "16/03/2025"])
    ).set_axis(index)
    times = parse_times(pd.Series(["21:30", "21:30", "21:30", None, "junk"])).set_axis(
        index
    )
    before = dates.copy(), times.copy()
    out = combine_date_time(dates, times)
    assert out.dtype == "datetime64[ns]"
    assert out.index.equals(index)
    assert out[4] == T("2025-03-14 21:30")
    assert out[3] == T("2025-03-14 21:30")  # the time replaces the date's own time
    assert pd.isna(out[2])
    assert out[1] == T("2025-03-15")
    assert out[0] == T("2025-03-16")
    pd.testing.assert_series_equal(dates, before[0])
    pd.testing.assert_series_equal(times, before[1])


def test_combine_date_time_parses_text():
    out = combine_date_time(pd.Series(["14/03/2025"]), pd.Series(["9.30pm"]))
    assert out.tolist() == [T("2025-03-14 21:30")]


# --- the months each source holds ------------------------------------------------
def _sourced(pairs):
    return pd.DataFrame(pairs, columns=["source", "month"])


def test_source_months_and_the_months_every_source_holds():
    from hotspots.dates import selection_months, shared_months, source_months

    frame = _sourced(
        [("police.uk", "2024-01"), ("police.uk", "2024-02"), ("police.uk", "2024-02"),
         ("police.uk", "2024-03"), ("ASB log", "2024-02"), ("ASB log", "2024-04"),
         ("ASB log", None)]
    )  # fmt: skip
    held = source_months(frame)
    assert held == {
        "ASB log": ["2024-02", "2024-04"],
        "police.uk": ["2024-01", "2024-02", "2024-03"],
    }
    # Periods and categoricals read the same
    typed = frame.dropna().assign(
        source=lambda f: f["source"].astype("category"),
        month=lambda f: pd.PeriodIndex(f["month"], freq="M"),
    )
    assert source_months(typed) == held
    assert shared_months(held) == ["2024-02"]
    assert shared_months(held, ["police.uk"]) == held["police.uk"]
    assert shared_months(held, []) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert shared_months({"a": ["2024-01"], "b": ["2024-02"]}) == []
    with pytest.raises(HotspotsError, match="No months are known for source 'x'"):
        shared_months(held, ["x"])
    # a selection: the steps are the months any of its sources holds, the
    # compared months those all hold, both within the range given
    police_only = frame[frame["source"] == "police.uk"]
    assert selection_months(police_only, held) == (held["police.uk"],) * 2
    assert selection_months(frame, held, "2024-02", "2024-04") == (
        ["2024-02", "2024-03", "2024-04"],
        ["2024-02"],
    )
    assert selection_months(frame.iloc[:0], held) == ([], [])
    with pytest.raises(HotspotsError, match="no 'source' column"):
        source_months(frame[["month"]])
    assert source_months(frame.iloc[:0]) == {}
    # with batches, each batch's span: the ASB log's file holds 2024-03 too
    # (no incident that month is a count of zero), police its months alone
    batched = typed.assign(
        batch=lambda f: f["source"].astype(str).map({"ASB log": "a|log"})
        .fillna("p|" + f["month"].astype(str)).astype("category")
    )  # fmt: skip
    assert source_months(batched) == {
        "ASB log": ["2024-02", "2024-03", "2024-04"],
        "police.uk": ["2024-01", "2024-02", "2024-03"],
    }
    assert shared_months(source_months(batched)) == ["2024-02", "2024-03"]
