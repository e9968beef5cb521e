import zipfile

import pandas as pd
import pytest

from hotspots import HotspotsError
from hotspots.io import iter_files, neutralise_formula, read_table, write_csv_safe

HEADER = "Date,Postcode,Type\n"


def _read(path):
    (name, data), *_ = list(iter_files([path]))
    return read_table(name, data)


# --- inputs -----------------------------------------------------------------------
def test_missing_path_names_it(tmp_path):
    with pytest.raises(HotspotsError, match=r"nope\.csv: no such file"):
        list(iter_files([tmp_path / "nope.csv"]))


def test_empty_file(write):
    with pytest.raises(HotspotsError, match=r"empty\.csv: the file is empty"):
        _read(write("empty.csv", ""))


def test_whitespace_only_file(write):
    with pytest.raises(HotspotsError, match="empty"):
        _read(write("blank.csv", "\n\n  \n"))


def test_header_only(write):
    with pytest.raises(HotspotsError, match="header row but no data rows"):
        _read(write("h.csv", HEADER))


@pytest.mark.parametrize("suffix", [".xls", ".pdf", ".json", ".ods"])
def test_wrong_file_type(write, suffix):
    with pytest.raises(HotspotsError, match=rf"cannot read \{suffix} files"):
        _read(write(f"log{suffix}", "x"))


def test_xls_hint_says_save_as_xlsx(write):
    with pytest.raises(HotspotsError, match=r"save as \.xlsx"):
        _read(write("log.xls", "x"))


def test_spreadsheet_renamed_to_csv(write):
    with pytest.raises(HotspotsError, match="not a text CSV"):
        _read(write("log.csv", b"PK\x03\x04" + b"\x00" * 100))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_with_a_byte_order_mark(write, encoding):
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab separated
    text = "Date\tPostcode\tLocation\n05/01/2024\tME4 4QU\tCafé £1 shop\n"
    data = text.encode(encoding)
    if encoding != "utf-16":  # Python's "utf-16" writes the mark itself
        data = "\ufeff".encode(encoding) + data
    table = _read(write("unicode.txt", data))
    assert table.frame.to_dict("records") == [
        {"Date": "05/01/2024", "Postcode": "ME4 4QU", "Location": "Café £1 shop"}
    ]
    assert table.notes == ["UTF-16 text", "separated by tabs"]


def test_broken_utf16_is_a_clear_error(write):
    with pytest.raises(HotspotsError, match="starts as UTF-16 text but is not"):
        _read(write("u.csv", b"\xff\xfe" + "Date,Type\n".encode("utf-16-le") + b"\x00"))


def test_no_delimiter(write):
    with pytest.raises(HotspotsError, match="no comma, semicolon or tab"):
        _read(write("one.csv", "justonecolumn\nvalue\n"))


def test_unclosed_quote_is_a_clear_error(write):
    with pytest.raises(HotspotsError, match="malformed"):
        _read(write("q.csv", 'a,b\n"x,1\n2,3,4,5\n'))


def test_folder_without_tables(tmp_path):
    (tmp_path / "notes.txt.bak").write_text("x")
    with pytest.raises(HotspotsError, match="holds no CSV, XLSX or zip"):
        list(iter_files([tmp_path]))


def test_bad_zip(write):
    with pytest.raises(HotspotsError, match="not a valid zip"):
        list(iter_files([write("a.zip", b"not a zip")]))


def test_corrupt_xlsx(write):
    with pytest.raises(HotspotsError, match="cannot open the workbook"):
        _read(write("a.xlsx", b"PK\x03\x04garbage"))


# --- outputs ----------------------------------------------------------------------
def test_utf8_bom_is_stripped(write):
    t = _read(write("bom.csv", "\ufeff" + HEADER + "01/02/2024,ME1 1AA,Noise\n"))
    assert list(t.frame.columns) == ["Date", "Postcode", "Type"]
    assert t.frame.iloc[0].tolist() == ["01/02/2024", "ME1 1AA", "Noise"]


def test_cp1252_text(write):
    t = _read(write("w.csv", "Location,Date\nCafé – Margate £5,01/02/2024\n", "cp1252"))
    assert t.frame.loc[0, "Location"] == "Café – Margate £5"
    assert any("cp1252" in n for n in t.notes)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters(write, sep):
    t = _read(write("s.csv", f"Date{sep}Postcode\n01/02/2024{sep}ME1 1AA\n"))
    assert t.frame.loc[0, "Postcode"] == "ME1 1AA"


def test_huge_field_is_kept_whole(write):
    big = "x" * 1_000_000
    t = _read(write("big.csv", f"Date,Notes\n01/02/2024,{big}\n"))
    assert len(t.frame.loc[0, "Notes"]) == 1_000_000


def test_formula_cells_stay_text(write):
    t = _read(
        write("f.csv", 'Date,Notes\n01/02/2024,"=HYPERLINK(""x"",""y"")"\n2,+1\n')
    )
    assert t.frame.loc[0, "Notes"] == '=HYPERLINK("x","y")'
    assert t.frame.loc[1, "Notes"] == "+1"


def test_row_numbers_count_the_header(write):
    t = _read(write("r.csv", HEADER + "a,b,c\nd,e,f\n"))
    assert t.rows.tolist() == [2, 3]


def test_folder_and_zip(tmp_path, write):
    a = write("in/a.csv", HEADER + "1,2,3\n")
    write("in/sub/b.csv", HEADER + "4,5,6\n")
    write("in/skip.md", "# not a table")
    names = [n for n, _ in iter_files([a.parent])]
    assert [n.split("in/")[1] for n in names] == ["a.csv", "sub/b.csv"]
    z = tmp_path / "logs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("2024-01/a.csv", HEADER + "1,2,3\n")
        zf.writestr("__MACOSX/._a.csv", "junk")
    assert [n for n, _ in iter_files([z])] == [f"{z}/2024-01/a.csv"]


def test_xlsx_header_below_a_title(tmp_path):
    path = tmp_path / "log.xlsx"
    frame = pd.DataFrame(
        [["ASB log export", None], ["Date", "Postcode"], ["2024-01-03", "ME1 1AA"]]
    )
    frame.to_excel(path, header=False, index=False)
    t = _read(path)
    assert list(t.frame.columns) == ["Date", "Postcode"]
    assert t.rows.tolist() == [3]


def test_neutralise_formula_keeps_numbers():
    s = pd.Series(["=1+1", "+44 1634", "-0.52", "@SUM(A1)", "\tx", "plain", "-", None])
    out = neutralise_formula(s)
    assert out.tolist()[:7] == [
        "'=1+1",
        "'+44 1634",
        "-0.52",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "'-",
    ]
    assert pd.isna(out.iloc[7])


def test_write_csv_safe_roundtrip(tmp_path):
    path = tmp_path / "out.csv"
    write_csv_safe(
        pd.DataFrame({"a": ["=cmd|' /C calc'!A0", "ok"], "n": [1, -2]}), path
    )
    back = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert back["a"].tolist() == ["'=cmd|' /C calc'!A0", "ok"]
    assert back["n"].tolist() == ["1", "-2"]
