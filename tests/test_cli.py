import json
import re
from pathlib import Path

import pyogrio
import pytest

from hotspots.cli import main

ROOT = Path(__file__).parent.parent


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def test_ingest_json_contract(capsys, tmp_path, police_slice):
    store = tmp_path / "s.duckdb"
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(
        capsys, "ingest", police_slice, "--store", store, "--rejects", rejects, "--json"
    )
    assert code == 0, err
    rep = last_json(out)
    for key in (
        "rows_read",
        "rows_kept",
        "rows_unlocated",
        "rows_rejected",
        "by_reason",
        "rejects_file",
    ):
        assert key in rep
    assert rep["rows_read"] == rep["rows_kept"] + rep["rows_rejected"] == 248
    assert rep["rejects_file"] == str(rejects)
    assert rejects.exists()
    code, out, _ = run(capsys, "info", "--store", store, "--json")
    info = last_json(out)
    assert info["incidents"] == 248
    assert info["unlocated"] == 20
    assert info["months"] == {"2022-01": 248}
    # again: nothing doubles
    run(
        capsys, "ingest", police_slice, "--store", store, "--rejects", rejects, "--json"
    )
    _, out, _ = run(capsys, "info", "--store", store, "--json")
    assert last_json(out)["incidents"] == 248


def test_ingest_covers(capsys, tmp_path, write):
    """--covers: the store holds the months given, and info lists them; a span
    written wrong, or not covering the file, is a one-line error."""
    log = write("asb.csv", "Date,Postcode,Type\n03/02/2024,ME1 1AA,Noise\n")
    store = tmp_path / "s.duckdb"
    code, out, err = run(
        capsys, "ingest", log, "--store", store, "--covers", "2024-01..2024-03"
    )
    assert code == 0, err
    assert "The files cover 2024-01..2024-03 (as given with --covers)." in out
    code, out, _ = run(capsys, "info", "--store", store, "--json")
    assert last_json(out)["source_months"] == {"asb": ["2024-01", "2024-02", "2024-03"]}
    assert last_json(out)["months"] == {"2024-02": 1}  # with incidents
    code, out, _ = run(capsys, "info", "--store", store)
    assert "  asb: 1 (2024-01..2024-03)" in out.splitlines()
    assert "  months 2024-01..2024-03 (3 months)" in out.splitlines()
    for bad, says in (("2024-3", "YYYY-MM..YYYY-MM"), ("2024-03..2024-04", "outside")):
        code, _, err = run(capsys, "ingest", log, "--store", store, "--covers", bad)
        assert code != 0
        assert says in err
        assert len(err.strip().splitlines()) == 1


def test_covers_for_files_read_with_input(capsys, tmp_path):
    """--covers with --input: the months a partner file covers count in the
    analysis of the file itself, as they do once ingested with --covers; without
    --input (the store) it is a one-line error, and a span that leaves out some
    of the file's months is named."""
    log = ROOT / "data" / "samples" / "council-asb-log.csv"  # 2023-11..2024-04
    sel = [
        "--input",
        log,
        "--from",
        "2023-09",
        "--to",
        "2024-06",
        "--district",
        "Thanet",
    ]

    def trends(*extra):
        code, out, err = run(
            capsys, "trends", *sel, *extra, "--out", tmp_path / "t.gpkg"
        )
        assert code == 0, err
        return out.splitlines()[0]

    assert " over 6 months (2023-11..2024-04), " in trends()
    # two empty months either side: months with none, in Gi*'s monthly steps
    assert " over 10 months (2023-09..2024-06), " in trends(
        "--covers", "2023-09..2024-06"
    )
    code, _, err = run(
        capsys, "trends", "--covers", "2023-09..2024-06", "--out", tmp_path / "s.gpkg"
    )
    assert code == 2
    assert err.strip().splitlines() == [
        "hotspots trends: error: --covers applies to the files given with --input; a "
        "store keeps the months its files cover from `hotspots ingest --covers`."
    ]
    code, _, err = run(
        capsys, "detect", "--input", log, "--covers", "2024-01..2024-02",
        "--method", "kde", "--out", tmp_path / "d.gpkg",
    )  # fmt: skip
    assert code == 2
    assert "outside the months it is said to cover (2024-01..2024-02)" in err
    assert len(err.strip().splitlines()) == 1


def test_ingest_out_writes_a_geopackage(capsys, tmp_path, police_slice):
    gpkg = tmp_path / "clean.gpkg"
    code, _out, err = run(
        capsys,
        "ingest",
        police_slice,
        "--dry-run",
        "--out",
        gpkg,
        "--rejects",
        tmp_path / "r.csv",
        "--json",
    )
    assert code == 0, err
    info = pyogrio.read_info(gpkg, layer="incidents")
    assert info["features"] == 248
    assert info["crs"] == "EPSG:27700"
    assert "ward_code" in list(info["fields"])


def test_ingest_out_never_writes_safeguarding_points(capsys, tmp_path):
    """The sample's safeguarding concerns go to the store, not to --out as points
    (nor their location text); the report says how many were left out."""
    sample = ROOT / "data" / "samples"
    gpkg = tmp_path / "clean.gpkg"
    code, out, err = run(
        capsys, "ingest", sample / "safeguarding-concerns.csv", sample / "council-asb-log.csv",
        "--source", "partners", "--dry-run", "--out", gpkg,
        "--rejects", tmp_path / "r.csv", "--json",
    )  # fmt: skip
    assert code == 0, err
    rep = last_json(out)
    written = pyogrio.read_dataframe(gpkg, layer="incidents")
    assert rep["out_safeguarding_left_out"] > 0
    assert len(written) == rep["rows_kept"] - rep["out_safeguarding_left_out"]
    assert "safeguarding" not in set(written["sensitivity"])
    code, out, _ = run(
        capsys, "ingest", sample / "safeguarding-concerns.csv", "--dry-run",
        "--out", tmp_path / "only.gpkg", "--rejects", tmp_path / "r2.csv",
    )  # fmt: skip
    assert code == 0
    assert (
        "safeguarding incidents left out of it: they are never written as points" in out
    )


def test_human_output(capsys, tmp_path, police_slice):
    code, out, _ = run(
        capsys,
        "ingest",
        police_slice,
        "--store",
        tmp_path / "s.duckdb",
        "--rejects",
        tmp_path / "r.csv",
    )
    assert code == 0
    assert "Read 248 rows: kept 248" in out
    assert "far outside the area of the data" in out
    # 20 of the 248 have no usable location; the rest came as longitude/latitude
    assert re.search(
        r"^Positions: 228 from longitude/latitude \(by (OSTN15|Helmert)\)\.$", out, re.M
    )
    assert "Rejected rows written" not in out  # none was rejected


def test_human_output_says_how_a_file_was_read(capsys, tmp_path):
    # Excel's "Unicode Text" export: UTF-16, tab separated
    log = tmp_path / "asb.txt"
    log.write_text("Date\tPostcode\tType\n05/01/2024\tME4 4QU\tASB\n", "utf-16")
    code, out, _ = run(
        capsys, "ingest", log, "--dry-run", "--rejects", tmp_path / "r.csv"
    )  # fmt: skip
    assert code == 0
    assert f"  {log} was read with: UTF-16 text; separated by tabs." in out
    assert "Positions: 1 from postcodes" in out


def test_human_output_of_a_partner_file(capsys, tmp_path):
    rejects = tmp_path / "r.csv"
    code, out, _ = run(
        capsys, "ingest", ROOT / "data" / "samples" / "council-asb-log.csv",
        "--dry-run", "--rejects", rejects,
    )  # fmt: skip
    assert code == 0
    assert "rejected 9." in out
    assert f"Rejected rows written to {rejects}" in out
    assert "  Kept, noted: 10 lat/lon swapped in the source (fixed)" in out
    assert re.search(
        r"^Positions: 852 from longitude/latitude \(by \w+\), 608 from OS grid "
        r"references, 1,486 from postcodes \(the postcode's position\)\.$",
        out,
        re.M,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "no/such/file.csv"], "no such file or folder"),
        (["ingest", "README.md"], "cannot read .md files"),
        (["info", "--store", "missing.duckdb"], "no store here yet"),
        (
            ["ingest", "tests/data/police-uk-kent-2022-01-slice.csv", "--map", "date"],
            "--map takes ROLE=COLUMN",
        ),
    ],
)
def test_errors_are_one_line(capsys, monkeypatch, args, message):
    monkeypatch.chdir(ROOT)
    code, out, err = run(capsys, *args, "--json")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_errors_name_the_flag_that_set_a_parameter():
    """The engine's messages name its parameters in backticks; on the command line
    each becomes the flag of that command that sets it (pspo's subcommands
    included), while a column's name and names no flag sets stay as they are."""
    from hotspots.cli import _in_flags, _parser

    parser = _parser()
    assert _in_flags("lower `k` or the `radius`.", parser, "plan") == (
        "lower --k or the --radius."
    )
    assert _in_flags("`require_districts` asks for 2", parser, "plan") == (
        "--require-district asks for 2"
    )
    assert _in_flags("Give both `before` and `after`", parser, "pspo") == (
        "Give both --before and --after"
    )
    assert _in_flags("`k_mean` or `alpha`", parser, "detect") == "--k-mean or `alpha`"
    # the data's column, not the --weight flag; and a flag of another command
    assert _in_flags("Column `weight` must be finite", parser, "plan") == (
        "Column `weight` must be finite"
    )
    assert _in_flags("`radius` must be", parser, "detect") == "`radius` must be"


# --- names as a council analyst types them ------------------------------------------
def _detect(capsys, tmp_path, *args):
    return run(
        capsys, "detect", "--method", "gistar", "--from", "2024-01", *args,
        "--out", tmp_path / "x.gpkg", "--json",
    )  # fmt: skip


def test_districts_themes_and_categories_by_name(capsys, tmp_path):
    code, out, err = _detect(
        capsys, tmp_path, "--district", "E07000114", "--theme",
        "serious violence & weapons", "--category", "Violence and sexual offences",
    )  # fmt: skip
    assert code == 0, err
    by_code = last_json(out)
    # the same selection typed as people say it: any case, a theme's start
    code, out, err = _detect(
        capsys, tmp_path, "--district", "thanet", "--theme", "Serious violence",
        "--category", "violence AND sexual  offences",
    )  # fmt: skip
    assert code == 0, err
    by_name = last_json(out)
    assert by_name["hotspots"] == by_code["hotspots"] > 0
    assert by_name["incidents_in_hotspots"] == by_code["incidents_in_hotspots"]
    assert by_name["data"] == by_code["data"]  # the same incidents, months, sources


def test_district_names_match_with_and_or_ampersand(capsys, tmp_path):
    outs = []
    for name in ("Folkestone and Hythe", "folkestone & hythe", "E07000112"):
        code, out, err = _detect(capsys, tmp_path, "--district", name)
        assert code == 0, err
        outs.append(last_json(out)["hotspots"])
    assert outs[0] == outs[1] == outs[2] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--district", "Thanett"], "Unknown district 'Thanett'; give a Kent & Medway"),
        (["--theme", "violence"], "'violence' is not a theme; the themes are: serious"),
        (["--theme", "a"], "'a' matches more than one theme"),  # ASB, acquisitive
        (["--category", "violence"], "'violence' is not a category; the categories"),
        (["--to", "2023-06"], "--from 2024-01 is after --to 2023-06"),
        (
            ["--to", "2023-06", "--from", "2023-03"],
            "No incidents match months 2023-03 to 2023-06. The data holds the months "
            "2022-01..2023-01, 2024-01..2024-04 and the sources police.uk",
        ),
        (
            ["--source", "Thanet ASB"],
            "No incidents match months from 2024-01; sources Thanet ASB. The data holds",
        ),
    ],
)
def test_selection_errors_say_what_is_known(capsys, tmp_path, args, message):
    code, _out, err = _detect(capsys, tmp_path, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_info_says_which_months_are_missing(capsys):
    # the bundled police.uk extract has no 2023-02..2023-12: "2022-01 to 2024-04"
    # would pass for 28 months
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert (
        "  months 2022-01..2023-01, 2024-01..2024-04 (17 months; none for "
        "2023-02..2023-12)"
    ) in out.splitlines()


def test_a_store_of_sources_with_different_months_compares_only_those_all_hold(
    capsys, tmp_path
):
    """The bundled police data and a partner's ASB log (2023-11..2024-04) in one
    store: info gives each source's months; detect and export compare each
    hotspot's trend only over the months both hold (recorded in the file's
    parameters); trends steps through those months alone and says so; choosing
    one source compares over all of its months."""
    import shutil

    from hotspots.store import default_store_path, open_store

    open_store()  # the bundled store, made on first use
    store = tmp_path / "mixed.duckdb"
    shutil.copy(default_store_path(), store)
    log = ROOT / "data" / "samples" / "council-asb-log.csv"
    code, _, err = run(capsys, "ingest", log, "--source", "ASB log", "--store", store)
    assert code == 0, err
    code, out, _ = run(capsys, "info", "--store", store)
    assert "  ASB log: 2,994 (2023-11..2024-04)" in out.splitlines()
    assert (
        "  police.uk: 275,539 (2022-01..2023-01, 2024-01..2024-04)" in out.splitlines()
    )
    code, out, _ = run(capsys, "info", "--store", store, "--json")
    assert last_json(out)["source_months"]["ASB log"] == [
        "2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04"
    ]  # fmt: skip
    sel = ["--store", store, "--from", "2023-01", "--to", "2024-04",
           "--theme", "ASB", "--district", "Thanet"]  # fmt: skip
    gpkg = tmp_path / "mixed.gpkg"
    code, out, err = run(capsys, "detect", *sel, "--method", "kde", "--out", gpkg)
    assert code == 0, err
    assert "Trends compare 2024-01..2024-04 only" in out
    params = pyogrio.read_dataframe(gpkg, layer="parameters")
    record = dict(zip(params["name"], params["value"], strict=True))
    assert json.loads(record["trend_months"]) == "2024-01..2024-04"
    # one source: every month it holds
    code, out, err = run(
        capsys, "detect", *sel, "--source", "police.uk", "--method", "kde",
        "--out", tmp_path / "police.gpkg",
    )  # fmt: skip
    assert code == 0, err
    assert "Trends compare" not in out
    code, out, err = run(capsys, "trends", *sel, "--out", tmp_path / "t.gpkg", "--json")
    assert code == 0, err
    assert "step only through the months all of them hold (2024-01..2024-04)" in err
    assert last_json(out)["months"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    # 2023 alone: police.uk holds 2023-01, the log 2023-11..12: none in common
    year = ["--store", store, "--from", "2023-01", "--to", "2023-12", "--theme", "ASB",
            "--district", "Thanet"]  # fmt: skip
    code, out, err = run(capsys, "trends", *year, "--out", tmp_path / "none.gpkg")
    assert code == 2
    assert "hold no month in common, so there is no month to compare" in err
    code, out, err = run(
        capsys, "detect", *year, "--method", "kde", "--out", tmp_path / "none.gpkg"
    )
    assert code == 0, err
    assert "No trends: the sources of the selection hold no month in common" in out
    hot = pyogrio.read_dataframe(tmp_path / "none.gpkg", layer="hotspots")
    assert set(hot["trend"]) == {"n/a"}
    # a PSPO report compares months too: the same months, and it says so
    area = ROOT / "data" / "samples" / "margate-town-centre-pspo.geojson"
    code, out, err = run(
        capsys, "pspo", "evaluate", "--store", store, "--area", area,
        "--theme", "ASB", "--start", "2024-01", "--out", tmp_path / "e.html",
    )  # fmt: skip
    assert code == 2
    assert "compares only the months all of them hold (2024-01..2024-04)" in err
    assert "the data holds no month before it (it holds 2024-01..2024-04)" in err
    code, out, err = run(
        capsys, "pspo", "evaluate", "--store", store, "--area", area, "--theme",
        "ASB", "--start", "2024-01", "--source", "police.uk", "--out", tmp_path / "e.html",
    )  # fmt: skip
    assert code == 0, err
    assert "cover different months" not in err


def test_trends_by_harm(capsys, tmp_path):
    """`trends --harm` sums the harm weights per cell and month; police.uk's all
    weigh 1, so harm equals the count, and the command says --harm changes
    nothing. The public file leaves the harm column out (as it does counts it
    cannot round)."""
    sel = ["--from", "2023-01", "--to", "2024-04", "--theme", "serious",
           "--district", "Thanet"]  # fmt: skip
    out_file = tmp_path / "harm.gpkg"
    code, out, err = run(capsys, "trends", *sel, "--harm", "--out", out_file)
    assert code == 0, err
    assert "Gi* of each month's harm on 200 m cells" in out
    assert "--harm changes nothing here" in err
    cells = pyogrio.read_dataframe(out_file, layer="trend_cells")
    assert (cells["harm"] == cells["n"]).all()
    code, _, err = run(
        capsys,
        "trends",
        *sel,
        "--harm",
        "--mode",
        "public",
        "--out",
        tmp_path / "p.gpkg",
    )
    assert code == 0, err
    public = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="trend_cells")
    assert "harm" not in public.columns
    assert (public["n"] % 5 == 0).all()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["detect", "--method", "kde", "--bandwidth", "inf"], "--bandwidth"),
        (["detect", "--method", "dbscan", "--eps", "inf"], "--eps"),
        (["detect", "--method", "gistar", "--cell-size", "1e999"], "--cell-size"),
        (["detect", "--method", "kde", "--min-density", "inf"], "--min-density"),
        (["trends", "--cell-size", "inf"], "--cell-size"),
        (["plan", "--radius", "nan"], "--radius"),
    ],
)
def test_number_flags_refuse_infinity(capsys, tmp_path, args, flag):
    """inf reached the engine as a size (an OverflowError, a grid of NaN cells)
    or gave invalid JSON (Infinity): now a one-line usage error."""
    code, out, err = run(capsys, *args, "--out", tmp_path / "x.gpkg")
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert f"error: argument {flag}: must be a finite number, got" in line


def test_a_list_flag_given_twice_keeps_both(capsys, tmp_path):
    """--district Thanet --district Medway is both districts (argparse kept the
    last); a list flag's default is replaced, not added to."""
    sel = ["--from", "2024-01", "--to", "2024-01", "--method", "kde"]
    areas = {}
    for name, districts in {
        "both": ["--district", "Thanet", "--district", "Medway"],
        "one list": ["--district", "Thanet", "Medway"],
        "medway": ["--district", "Medway"],
    }.items():
        code, out, err = run(
            capsys, "detect", *sel, *districts, "--out", tmp_path / "d.gpkg", "--json"
        )
        assert code == 0, err
        areas[name] = last_json(out)["study_area_km2"]
    assert areas["both"] == areas["one list"] > areas["medway"]
    code, out, err = run(
        capsys, "evaluate", "--method", "naive", "--train-from", "2024-01",
        "--train-to", "2024-02", "--test-from", "2024-03", "--test-to", "2024-04",
        "--district", "Thanet", "--coverage", "0.1", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert last_json(out)["parameters"]["coverages"] == [0.1]


def test_paths_and_sizes_that_cannot_work_are_one_line_errors(capsys, tmp_path):
    """A folder given as the file to write, and a Gi* window too large for memory,
    were tracebacks; a PSPO report's missing folder is made, as for the others."""
    folder = tmp_path / "taken.gpkg"
    folder.mkdir()
    sel = ["--district", "Thanet", "--from", "2024-01", "--to", "2024-01"]
    code, _, err = run(capsys, "detect", "--method", "kde", *sel, "--out", folder)
    assert code == 2
    assert err.strip().splitlines() == [
        f"hotspots detect: error: {folder}: Is a directory. Check the path (give a "
        "file name, in a folder that exists)."
    ]
    code, _, err = run(
        capsys, "detect", "--method", "gistar", "--neighbours", "100000", *sel,
        "--out", tmp_path / "g.gpkg",
    )  # fmt: skip
    assert code == 2  # its window had been built first: a 37 GiB array
    assert err.strip().splitlines() == [
        "hotspots detect: error: A window of 200,001 cells a side is wider than the "
        "study area (165 × 99 cells of 100 m): choose --neighbours of at most 165 (or "
        "a `distance` of at most 16,500 m)."
    ]
    report = tmp_path / "new" / "folder" / "margate.html"
    code, _, err = run(
        capsys, "pspo", "profile", "--ward", "Margate Central", "--from", "2024-01",
        "--to", "2024-02", "--out", report,
    )  # fmt: skip
    assert code == 0, err
    assert report.exists()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["detect", "--method", "kde"], "--out"),
        (["export", "--method", "gistar", "--format", "geojson"], "--out"),
        (["trends"], "--out"),
        (["plan"], "--out"),
        (["plan"], "--briefings"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(
    capsys, monkeypatch, tmp_path, args, flag
):
    """An --out in a folder no file can be made in (/proc), or under a file, had
    run the whole analysis, then ended as 'a fault in hotspots' (exit 1)."""
    from hotspots import cli

    def never(_args):
        raise AssertionError("the command ran")

    monkeypatch.setitem(cli.COMMANDS, args[0], never)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    sel = ["--district", "Thanet", "--from", "2024-01", "--to", "2024-01"]
    for where, says in [
        ("/proc/hotspots-test/out.gpkg", "cannot write in /proc ("),
        (plain / "out.gpkg", f"{plain} is a file, not a folder"),
    ]:
        code, out, err = run(capsys, *args, *sel, flag, where)
        assert code == 2, err
        assert out == ""
        (line,) = err.strip().splitlines()
        assert line.startswith(f"hotspots {args[0]}: error: {flag} {where}: {says}")
    assert not Path("/proc/hotspots-test").exists()


def test_running_out_of_memory_is_a_one_line_error(capsys, monkeypatch):
    """A size the computer cannot hold (a street-week radius of 10,000 km had
    asked numpy for 298 GiB) ends in one line, whatever step asked for it."""
    from hotspots import cli

    def too_big(args):
        raise MemoryError

    monkeypatch.setitem(cli.COMMANDS, "info", too_big)
    code, out, err = run(capsys, "info")
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("hotspots info: error: this needs more memory than")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["detect", "--method", "gistar", "--seed", "3", "--out", "x.gpkg"],
            "--seed sets the random draws of --permutations; give --permutations too",
        ),
        (
            [
                "detect",
                "--method",
                "gistar",
                "--permutations",
                "99",
                "--seed",
                "-1",
                "--out",
                "x.gpkg",
            ],
            "--seed takes a whole number, 0 or more, got -1.",
        ),
        (
            [
                "detect",
                "--method",
                "gistar",
                "--permutations",
                "100000000000",
                "--district",
                "Thanet",
                "--from",
                "2024-01",
                "--to",
                "2024-01",
                "--out",
                "x.gpkg",
            ],
            "--permutations of 100,000,000,000 would run for hours; use at most 99,999",
        ),
        (
            [
                "export",
                "--method",
                "kde",
                "--mode",
                "restricted",
                "--threshold",
                "3",
                "--out",
                "x.gpkg",
            ],
            "--threshold is the smallest count public mode publishes; restricted mode",
        ),
        (
            ["plan", "--mode", "public", "--out", "x.gpkg"],
            "--mode sets the level of the briefings: give --briefings FOLDER too",
        ),
        (
            [
                "plan",
                "--district",
                "Thanet",
                "--exclude-since",
                "2024-01-01",
                "--out",
                "x.gpkg",
            ],
            "--exclude-since applies to the places of --exclude; give those too.",
        ),
    ],
)
def test_flags_that_would_do_nothing_are_refused(
    capsys, tmp_path, monkeypatch, args, message
):
    """Each was accepted and silently ignored (or ran for hours, or a traceback)."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"hotspots {args[0]}: error: {message}")


def test_a_fault_of_the_tool_is_one_line_unless_the_trace_is_asked_for(
    capsys, monkeypatch
):
    from hotspots import cli

    def broken(args):
        raise ValueError("something inside went wrong\nwith a second line")

    monkeypatch.setitem(cli.COMMANDS, "info", broken)
    monkeypatch.delenv("HOTSPOTS_TRACEBACK", raising=False)
    code, _out, err = run(capsys, "info")
    assert code == 1
    assert err.strip().splitlines() == [
        "hotspots info: error: the tool failed (ValueError: something inside went "
        "wrong). This is a fault in hotspots, not in your data: run again with "
        "HOTSPOTS_TRACEBACK=1 to see where, and report it."
    ]
    monkeypatch.setenv("HOTSPOTS_TRACEBACK", "1")
    with pytest.raises(ValueError, match="something inside"):
        main(["info"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--agency", "Thanet District Council"],
            "a police.uk file gives its own agency (the force that reported each "
            "row); give --agency for partner files only (ingest them apart).",
        ),
        (
            ["--sensitivity", "safeguarding"],
            "a police.uk file gives its own sensitivity (public: police.uk is "
            "published data); give --sensitivity for partner files only",
        ),
    ],
)
def test_police_files_refuse_partner_settings(
    capsys, tmp_path, police_slice, extra, message
):
    """Both had been accepted and ignored: the rows kept Kent Police and public."""
    code, _, err = run(
        capsys, "ingest", police_slice, "--dry-run", "--store", tmp_path / "s.duckdb",
        "--rejects", tmp_path / "r.csv", *extra,
    )  # fmt: skip
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"hotspots ingest: error: {police_slice}: {message}")


def test_covers_cannot_run_past_this_month(capsys, tmp_path, write):
    log = write("asb.csv", "Date,Postcode,Type\n03/02/2024,ME1 1AA,Noise\n")
    code, _, err = run(
        capsys, "ingest", log, "--store", tmp_path / "s.duckdb", "--covers",
        "2024-01..2999-12",
    )  # fmt: skip
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(
        "hotspots ingest: error: The months covered end in 2999-12, after this month ("
    )


def test_a_store_that_is_not_one_says_so(capsys, tmp_path):
    """A folder, or a file that is not DuckDB, had been met with "another program
    may be writing to it"."""
    code, _, err = run(capsys, "info", "--store", tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [
        f"hotspots info: error: {tmp_path}: a folder, not a store; give the store's "
        f"file (such as {tmp_path / 'hotspots.duckdb'})."
    ]
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n")
    code, _, err = run(capsys, "info", "--store", text)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.endswith("It is not a store (a DuckDB file made by `hotspots ingest`).")
    assert "Another program" not in line


def test_a_bandwidth_wider_than_the_area_is_blamed_not_the_cell_size(capsys, tmp_path):
    code, _, err = run(
        capsys, "detect", "--method", "kde", "--bandwidth", "1e9", "--district",
        "Thanet", "--from", "2024-01", "--to", "2024-01", "--out", tmp_path / "x.gpkg",
    )  # fmt: skip
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.endswith(
        "its margin of 1,000,000,000 m (for a KDE, the kernel's reach) is wider than "
        "the area itself; choose a smaller bandwidth."
    )


def test_rejects_are_written_under_a_csv_name(capsys, tmp_path, police_slice):
    """--rejects rej.gpkg had written CSV text into a file named .gpkg."""
    target = tmp_path / "rej.gpkg"
    code, _, err = run(
        capsys, "ingest", police_slice, "--dry-run", "--rejects", target,
        "--store", tmp_path / "s.duckdb",
    )  # fmt: skip
    assert code == 2
    assert err.strip().splitlines() == [
        f"hotspots ingest: error: {target}: the rejected rows are written as CSV; give "
        "a name ending .csv."
    ]
    assert not target.exists()
