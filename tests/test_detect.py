"""`detect`: one entry point for every method, and the command line that writes it."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely import box

from hotspots._validate import HotspotsError
from hotspots.cli import main
from hotspots.detect import KDE_BANDWIDTH_M, detect, limit_to_coverage
from hotspots.store import read_bundled_police

SHARED_KENT = (
    Path(__file__).parent.parent.parent / "shared" / "data" / "police-uk" / "kent"
)
THANET = "E07000114"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def thanet_violence():
    inc = read_bundled_police()
    keep = (
        inc["lad_code"].eq(THANET).fillna(False)
        & inc["theme"].eq("serious violence & weapons")
        & (inc["month"] >= pd.Period("2024-01", "M"))
    )
    return inc[keep.to_numpy(dtype=bool)]


# --- inputs -------------------------------------------------------------------------
def test_unknown_method(thanet_violence):
    with pytest.raises(HotspotsError, match="Unknown method 'kmeans'"):
        detect(thanet_violence, method="kmeans")


def test_geographic_crs_refused(thanet_violence):
    with pytest.raises(HotspotsError, match="projected CRS in metres"):
        detect(thanet_violence.to_crs("EPSG:4326"), method="gistar")


@pytest.mark.parametrize("coverage", [0, -0.1, 1.5])
def test_coverage_out_of_range(coverage):
    polys = gpd.GeoDataFrame(
        {"incidents": [5], "area_km2": [1.0]},
        geometry=[box(0, 0, 1000, 1000)],
        crs=27700,
    )
    with pytest.raises(HotspotsError, match="coverage"):
        limit_to_coverage(polys, coverage=coverage, study_area_km2=10)


def test_cli_errors_are_one_line(capsys, tmp_path):
    code, _out, err = run(
        capsys,
        "detect",
        "--method",
        "gistar",
        "--from",
        "2024-13",
        "--out",
        tmp_path / "x.gpkg",
    )
    assert code == 2
    assert "write it as YYYY-MM" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(
        capsys, "detect", "--method", "gistar", "--out", tmp_path / "x.shp"
    )
    assert code == 2
    assert "ending .gpkg" in err
    code, _, err = run(
        capsys,
        "detect",
        "--method",
        "gistar",
        "--district",
        "E99999999",
        "--out",
        tmp_path / "x.gpkg",
    )
    assert code == 2
    assert "Unknown district" in err
    assert "E07000114 Thanet" in err
    code, _, err = run(
        capsys,
        "detect",
        "--method",
        "gistar",
        "--theme",
        "no such theme",
        "--out",
        tmp_path / "x.gpkg",
    )
    assert code == 2
    assert "'no such theme' is not a theme; the themes are:" in err
    # a parameter the engine refuses is named by the flag that set it
    code, _, err = run(
        capsys, "detect", "--method", "kde", "--bandwidth", "0", "--from", "2024-04",
        "--to", "2024-04", "--out", tmp_path / "x.gpkg",
    )  # fmt: skip
    assert code == 2
    assert "error: --bandwidth must be greater than 0" in err


@pytest.mark.parametrize("method", ["kde", "dbscan", "gistar"])
def test_hotspots_are_ranked_by_harm_when_weighted(method):
    # a partner's scale weighing violence 10 and everything else 1: weighted, the
    # ranks follow harm (not incidents, whose order then breaks); unweighted,
    # incidents, whatever the weight column holds
    from hotspots.boundaries import study_area

    inc = read_bundled_police()
    month = inc["month"].astype(str)
    keep = inc["lad_code"].eq(THANET).fillna(False) & month.between(
        "2024-01", "2024-04"
    )
    sel = inc[keep.to_numpy(dtype=bool)]
    violence = sel["category"] == "Violence and sexual offences"
    sel = sel.assign(weight=np.where(violence, 10.0, 1.0))
    area = study_area([THANET])
    hot = detect(sel, method=method, study_area=area, weight="weight").hotspots
    assert hot["hotspot_id"].tolist() == list(range(1, len(hot) + 1))
    harm, incidents = hot["harm"].to_numpy(), hot["incidents"].to_numpy()
    assert (np.diff(harm) <= 0).all()
    ties = np.diff(harm) == 0
    assert (np.diff(incidents)[ties] <= 0).all()
    assert (np.diff(incidents) > 0).any()  # not the incidents' order
    plain = detect(sel, method=method, study_area=area).hotspots
    assert (np.diff(plain["incidents"].to_numpy()) <= 0).all()


# --- outputs ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["dbscan", "hdbscan"])
def test_cluster_layer_carries_one_profile(thanet_violence, method):
    # every method's hotspots are profiled by the incidents inside their outline;
    # the clusters' own statistics (of their members) had been left beside that
    # profile: a rank, a trend label and ward names that disagreed with it (on
    # Thanet and Medway, 15 of 182 DBSCAN trend labels; ranks in 143 of 182)
    from hotspots.boundaries import study_area

    hot = detect(
        thanet_violence, method=method, study_area=study_area([THANET])
    ).hotspots
    kde = detect(thanet_violence, method="kde").hotspots
    assert list(hot.columns) == ["hotspot_id", "cluster"] + [
        c for c in kde.columns if c in hot.columns and c != "hotspot_id"
    ]
    stale = {"rank", "trend_label", "ward_names", "district_names"}
    assert not stale & set(hot.columns)
    assert hot["hotspot_id"].tolist() == list(range(1, len(hot) + 1))
    assert (np.diff(hot["incidents"].to_numpy()) <= 0).all()
    # the profile's counts are of the incidents inside each outline
    inside = [int(thanet_violence.geometry.within(g).sum()) for g in hot.geometry[:5]]
    assert inside == hot["incidents"].head(5).tolist()


def test_clusters_keep_incidents_strictly_inside_the_study_area():
    # as GeoSeries.within: a point on the area's edge or corner is outside, and
    # so is an unlocated row (the polygon is prepared for speed: same answer)
    from shapely import Point

    from hotspots.detect import _inside

    area = gpd.GeoDataFrame(
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 500)], crs=27700
    )
    points = gpd.GeoDataFrame(
        geometry=[
            Point(500, 500),  # inside
            Point(0, 500),  # on an edge
            Point(0, 0),  # on a corner
            Point(1000, 250),  # on the shared edge: inside the union
            Point(1500, 600),  # outside
            Point(),  # unlocated
            Point(1999.999, 499.999),  # just inside
        ],
        crs=27700,
    )
    union = area.geometry.union_all()
    assert _inside(points, area).tolist() == points.geometry.within(union).tolist()
    assert _inside(points, area).tolist() == [1, 0, 0, 1, 0, 0, 1]
    # in a block, each distinct position is tested once: the same answer for
    # every row of a repeated position, unlocated rows between them
    from hotspots.grid import located_once

    repeated = points.iloc[[0, 1, 5, 0, 3, 4, 5, 6, 1, 6]].reset_index(drop=True)
    with located_once(repeated):
        assert _inside(repeated, area).tolist() == [1, 0, 0, 1, 1, 0, 0, 1, 0, 1]
    nowhere = points.iloc[[5, 5]].reset_index(drop=True)
    with located_once(nowhere):
        assert _inside(nowhere, area).tolist() == [0, 0]


def test_point_facts_of_kept_rows_are_those_found_anew():
    # the clusters' rows (inside the study area) take the selection's facts
    from shapely import Point

    from hotspots._points import PointFacts

    rng = np.random.default_rng(3)
    spots = [Point(*xy) for xy in rng.integers(0, 50, (40, 2)) * 10.0]
    shapes = np.array([spots[i] for i in rng.integers(0, 40, 300)] + [None, Point()])
    shapes = shapes[rng.permutation(len(shapes))]
    keep = rng.random(len(shapes)) < 0.6
    parent = PointFacts(shapes)
    for with_codes in (False, True):
        if with_codes:
            parent.location_codes  # noqa: B018 (found: the subset renumbers them)
        sub = parent.subset(keep, shapes[keep])
        fresh = PointFacts(shapes[keep])
        assert np.array_equal(sub.located, fresh.located)
        assert np.array_equal(sub.xy, fresh.xy)
        assert np.array_equal(sub.location_codes, fresh.location_codes)
    with pytest.raises(ValueError, match="keep"):
        parent.subset(keep, shapes[:3])


def test_limit_to_coverage_keeps_densest_within_area():
    # three squares: 1 km² with 50, 2 km² with 60 (30/km²), 0.25 km² with 20 (80/km²)
    polys = gpd.GeoDataFrame(
        {"incidents": [50, 60, 20], "area_km2": [1.0, 2.0, 0.25]},
        geometry=[
            box(0, 0, 1000, 1000),
            box(2000, 0, 4000, 1000),
            box(5000, 0, 5500, 500),
        ],
        crs=27700,
    )
    kept = limit_to_coverage(polys, coverage=0.125, study_area_km2=10)  # 1.25 km²
    assert sorted(kept["incidents"]) == [20, 50]
    assert kept["hotspot_id"].tolist() == [1, 2]  # ranked by incidents
    assert kept.iloc[0]["incidents"] == 50
    assert kept["area_km2"].sum() <= 1.25


def test_gistar_detection_counts_are_real(thanet_violence):
    from hotspots.boundaries import study_area

    area = study_area([THANET])
    result = detect(thanet_violence, method="gistar", study_area=area)
    hot = result.hotspots
    assert len(hot) > 0
    # incidents in the polygons equal an independent point-in-polygon count
    pts = thanet_violence[~thanet_violence.geometry.is_empty]
    joined = gpd.sjoin(pts[["geometry"]], hot[["geometry"]], predicate="within")
    assert result.incidents_in_hotspots == joined.index.nunique()
    assert result.summary()["parameters"]["method"] == "gistar"
    assert np.isclose(result.study_area_km2, area.area.sum() / 1e6)


def test_kde_detection_outlines_and_counts_are_real(thanet_violence):
    # the outlines are dissolved on another thread while the hotspots are
    # profiled: each ranked row must get its own cells' outline
    from hotspots.boundaries import study_area
    from hotspots.density import kde_surface, surface_hotspots

    area = study_area([THANET])
    result = detect(thanet_violence, method="kde", study_area=area, coverage=0.02)
    hot = result.hotspots
    assert len(hot) > 3
    assert hot.geometry.notna().all()
    assert hot.geometry.is_valid.all()
    # each hotspot's area is its cells' area, and its incidents lie inside it
    np.testing.assert_allclose(hot.geometry.area / 1e6, hot["area_km2"], rtol=1e-9)
    pts = thanet_violence[~thanet_violence.geometry.is_empty]
    joined = gpd.sjoin(pts[["geometry"]], hot[["geometry", "incidents"]])
    counted = joined.groupby("index_right").size()
    np.testing.assert_array_equal(
        counted.reindex(hot.index, fill_value=0).to_numpy(), hot["incidents"]
    )
    # the same outlines as the polygons made at once (those with incidents:
    # detection drops the others)
    surface = kde_surface(thanet_violence, study_area=area, bandwidth=200)
    direct = surface_hotspots(surface, thanet_violence, coverage=0.02)
    direct = direct[direct["incidents"] > 0]
    assert len(direct) == len(hot)
    assert hot.geometry.union_all().equals(direct.geometry.union_all())


@pytest.mark.parametrize("method", ["dbscan", "hdbscan", "gistar", "kde"])
def test_polygons_found_are_handed_on_before_they_are_profiled(thanet_violence, method):
    # a caller can start work on the outlines while they are profiled: it gets
    # the polygons as found, and the hotspots' outlines are those same objects
    # (ranked; Gi* drops the hot spots without incidents). KDE's are dissolved
    # later: none handed on
    from hotspots.boundaries import study_area

    area = study_area([THANET])
    handed: list[gpd.GeoSeries] = []

    def found(shapes: gpd.GeoSeries) -> None:
        assert not handed  # once
        handed.append(shapes)

    result = detect(
        thanet_violence, method=method, study_area=area, polygons_found=found
    )
    hot = result.hotspots
    assert len(hot) > 1
    if method == "kde":
        assert handed == []
        return
    (shapes,) = handed
    assert shapes.crs == hot.crs
    assert len(shapes) >= len(hot)
    ids = {id(shape): i for i, shape in enumerate(shapes.array)}
    rows = [ids.get(id(shape)) for shape in hot.geometry.array]
    assert None not in rows
    assert len(set(rows)) == len(rows)
    plain = detect(thanet_violence, method=method, study_area=area)
    assert hot.geometry.geom_equals_exact(plain.hotspots.geometry, 0).all()


def test_cli_detect_notes_when_harm_weighting_changes_nothing(capsys, tmp_path):
    args = ["detect", "--method", "kde", "--from", "2024-01", "--to", "2024-04",
            "--district", THANET, "--theme", "drugs & county lines",
            "--out", tmp_path / "d.gpkg", "--json"]  # fmt: skip
    code, stdout, err = run(capsys, *args, "--harm")
    assert code == 0, err
    json.loads(stdout.strip().splitlines()[-1])  # stdout keeps its one JSON object
    (note,) = [line for line in err.splitlines() if "--harm changes nothing" in line]
    assert note.startswith("hotspots detect: note:")
    assert "weighs 1 " in note
    code, _, err = run(capsys, *args)  # without --harm: nothing to say
    assert code == 0, err
    assert "--harm" not in err


def test_cli_detect_writes_gpkg_with_parameters_and_provenance(capsys, tmp_path):
    out = tmp_path / "thanet.gpkg"
    code, stdout, err = run(
        capsys, "detect", "--method", "gistar", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", "serious violence & weapons", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    for key in ("hotspots", "incidents_in_hotspots", "area_km2", "parameters"):
        assert key in summary
    layers = dict(pyogrio.list_layers(out))
    assert {"hotspots", "parameters", "provenance"} <= set(layers)
    info = pyogrio.read_info(out, layer="hotspots")
    assert info["crs"] == "EPSG:27700"
    assert info["features"] == summary["hotspots"]
    hot = gpd.read_file(out, layer="hotspots")
    assert hot["incidents"].sum() == summary["incidents_in_hotspots"]
    params = pyogrio.read_dataframe(out, layer="parameters").set_index("name")["value"]
    assert json.loads(params["method"]) == "gistar"
    prov = pyogrio.read_dataframe(out, layer="provenance").set_index("key")["value"]
    assert json.loads(prov["data.month_from"]) == "2024-01"
    assert json.loads(prov["data.month_to"]) == "2024-04"
    assert json.loads(prov["filters.districts"]) == [THANET]
    assert json.loads(prov["software"]).startswith("hotspots ")
    # exact counts (the smallest hotspots hold a few incidents): the file, the
    # JSON and the line printed say it is the restricted, analyst's detail
    assert hot["incidents"].min() < 10
    assert json.loads(prov["disclosure.mode"]) == "restricted"
    assert "not for publication" in json.loads(prov["disclosure.note"])
    assert summary["out_mode"] == "restricted"
    code, stdout, err = run(
        capsys, "detect", "--method", "gistar", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", "serious violence & weapons", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    assert stdout.splitlines()[0].endswith(
        f"written to {out} (restricted: exact counts, for analysts; `hotspots "
        "export` writes public files)"
    )


@pytest.mark.parametrize(
    ("method", "extra", "chosen"),
    [
        ("kde", [], {"cell_size_m"}),  # the cell size from the default bandwidth
        ("kde", ["--bandwidth-rule", "knn"], {"bandwidth_m", "cell_size_m"}),
        ("dbscan", [], {"eps_m"}),
        ("dbscan", ["--eps", "150"], set()),
        ("gistar", [], set()),  # 100 m: the default, not chosen from the data
    ],
)
def test_parameters_table_marks_the_automatic_choices(
    capsys, tmp_path, method, extra, chosen
):
    """The GeoPackage's parameters table marks a value chosen by a rule (its
    `<name>_automatic` is recorded without the unit: cell_size_m by
    cell_size_automatic), and nothing else."""
    out = tmp_path / "p.gpkg"
    code, _, err = run(
        capsys, "detect", "--method", method, *extra, "--district", THANET,
        "--from", "2024-01", "--to", "2024-04", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    table = pyogrio.read_dataframe(out, layer="parameters")
    assert set(table.loc[table["automatic"], "name"]) == chosen


def test_every_parameter_is_explained_as_given_default_or_chosen(thanet_violence):
    """Each method's parameters come with a line saying where the value came from."""
    from hotspots.boundaries import study_area
    from hotspots.detect import explanations

    area = study_area([THANET])
    kde = detect(thanet_violence, method="kde", study_area=area)
    said = explanations(kde.parameters)
    assert (
        said[0]
        == "Bandwidth 200 m, the default (chosen with a back-test on Kent data)."
    )
    assert kde.parameters["bandwidth_rule"] == "default"
    assert said[-1].startswith("Hotspots: hottest 5% of the study area")
    given = detect(
        thanet_violence, method="kde", study_area=area, options={"bandwidth": 300}
    )
    assert explanations(given.parameters)[0] == "Bandwidth 300 m, as given."
    assert given.parameters["bandwidth_rule"] == "given"

    gi = detect(thanet_violence, method="gistar", study_area=area)
    said = explanations(gi.parameters)
    assert (
        said[0]
        == "Cell size 100 m, the default (chosen with a back-test on Kent data)."
    )
    assert said[1].startswith("Test: the incidents in each cell and its 8 neighbours")
    assert said[2] == (
        "Hotspots: cells hot at 95% confidence or more, joined where they share an edge."
    )
    auto = detect(
        thanet_violence, method="gistar", study_area=area, options={"cell_size": "auto"}
    )
    # Thanet's bounding box is 9.8 km north to south: / 50 = 196 m, rounded down
    assert auto.parameters["cell_size_m"] == 100
    assert explanations(auto.parameters)[0].startswith(
        "Cell size 100 m, chosen automatically"
    )
    # a coverage keeps some of the hot spots: said after which cells are hot
    few = detect(thanet_violence, method="gistar", study_area=area, coverage=0.01)
    said = explanations(few.parameters)
    assert said[-2].startswith("Hotspots: cells hot at 95%")
    assert said[-1] == (
        "Kept: the hotspots with the most incidents per km², while together they "
        "cover at most 1.0% of the study area."
    )
    assert 0 < few.hotspots["area_km2"].sum() <= 0.01 * few.study_area_km2

    for method, key in [
        ("dbscan", "min_incidents"),
        ("hdbscan", "min_cluster_incidents"),
    ]:
        found = detect(thanet_violence, method=method, study_area=area)
        line = found.parameters[f"{key}_explanation"]
        assert f"{line[:1].upper()}{line[1:]}." in explanations(found.parameters)


def test_cli_detect_prints_what_the_page_says_under_its_map(capsys, tmp_path):
    code, stdout, err = run(
        capsys, "detect", "--method", "gistar", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--theme", "serious violence & weapons",
        "--out", tmp_path / "gi.gpkg",
    )  # fmt: skip
    assert code == 0, err
    lines = stdout.strip().splitlines()
    assert lines[1:] == [
        "  Cell size 100 m, the default (chosen with a back-test on Kent data).",
        lines[2],
        "  Hotspots: cells hot at 95% confidence or more, joined where they share an "
        "edge.",
    ]
    assert lines[2].startswith(
        "  Test: the incidents in each cell and its 8 neighbours"
    )


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_KENT.exists(), reason="raw police.uk files not present")
def test_cli_detect_on_police_files(capsys, tmp_path):
    out = tmp_path / "files.gpkg"
    code, stdout, err = run(
        capsys, "detect", "--method", "gistar", "--input", SHARED_KENT / "2024-01-kent-street.csv",
        SHARED_KENT / "2024-02-kent-street.csv", "--from", "2024-01", "--to", "2024-04",
        "--district", THANET, "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["data"]["months"] == ["2024-01", "2024-02"]
    assert summary["hotspots"] > 0


def test_cli_evaluate_json_contract(capsys):
    code, out, err = run(
        capsys, "evaluate", "--method", "gistar", "--train-from", "2022-01",
        "--train-to", "2022-12", "--test-from", "2024-01", "--test-to", "2024-04",
        "--district", THANET, "--theme", "drugs & county lines", "--coverage", "0.01", "0.05",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    rows = pd.DataFrame(result["rows"])
    assert sorted(rows["method"].unique()) == ["gistar", "naive"]
    assert sorted(rows["coverage"]) == [0.01, 0.01, 0.05, 0.05]
    assert rows["hit_rate"].between(0, 1).all()
    assert (rows["pei"] <= 1 + 1e-12).all()
    assert np.allclose(rows["pai"], rows["hit_rate"] / rows["area_share"])
    # the test incidents are the located Thanet drugs incidents of 2024-01..04
    inc = read_bundled_police()
    keep = (
        inc["lad_code"].eq(THANET).fillna(False)
        & inc["theme"].eq("drugs & county lines")
        & inc["month"].astype(str).between("2024-01", "2024-04")
        & ~inc.geometry.is_empty
    )
    assert (rows["test_incidents"] <= int(keep.sum())).all()
    assert (
        rows["test_incidents"] >= int(keep.sum()) - 5
    ).all()  # a few beyond the coast


EVAL_MONTHS = (
    "--train-from", "2024-01", "--train-to", "2024-02",
    "--test-from", "2024-03", "--test-to", "2024-04",
)  # fmt: skip


def test_cli_evaluate_says_where_the_kde_bandwidth_came_from(capsys):
    """Left out, the bandwidth is the default and says so (as `detect` does);
    given, it says "as given"; with a rule too, the command refuses both."""
    months = (
        *EVAL_MONTHS, "--district", THANET,
        "--theme", "serious violence & weapons", "--coverage", "0.05",
    )  # fmt: skip

    def said(*extra):
        code, out, err = run(
            capsys, "evaluate", "--method", "kde", *months, *extra, "--json"
        )
        assert code == 0, err
        return json.loads(out.strip().splitlines()[-1])["parameters"][
            "method_parameters"
        ]

    default = said()
    assert default["bandwidth_m"] == KDE_BANDWIDTH_M
    assert default["bandwidth_rule"] == "default"
    assert default["bandwidth_explanation"] == (
        "bandwidth 200 m, the default (chosen with a back-test on Kent data)"
    )
    given = said("--bandwidth", "300")
    assert given["bandwidth_m"] == 300
    assert given["bandwidth_rule"] == "given"
    assert given["bandwidth_explanation"] == "bandwidth 300 m, as given"
    assert said("--bandwidth", "200")["bandwidth_rule"] == "given"  # typed, not left
    chosen = said("--bandwidth-rule", "knn")
    assert chosen["bandwidth_automatic"] is True
    assert "as given" not in chosen["bandwidth_explanation"]
    for command, rest in (("evaluate", months), ("detect", ("--out", "unused.gpkg"))):
        code, _, err = run(
            capsys, command, "--method", "kde", *rest,
            "--bandwidth", "150", "--bandwidth-rule", "knn",
        )  # fmt: skip
        assert code == 2
        assert err.strip().splitlines() == [
            f"hotspots {command}: error: Give --bandwidth (metres) or --bandwidth-rule "
            "(chosen from the data), not both."
        ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["detect", "--method", "kde", "--eps", "100", "--out", "x.gpkg"],
            "--eps is an option of --method dbscan; --method kde takes --bandwidth, "
            "--bandwidth-rule, --cell-size, --kernel, --k-mean and --min-density.",
        ),
        (
            ["detect", "--method", "dbscan", "--bandwidth", "300", "--out", "x.gpkg"],
            "--bandwidth is an option of --method kde; --method dbscan takes --eps "
            "and --min-incidents.",
        ),
        (
            [
                "export",
                "--method",
                "hdbscan",
                "--no-fdr",
                "--format",
                "csv",
                "--out",
                "x",
            ],
            "--no-fdr is an option of --method gistar; --method hdbscan takes "
            "--min-incidents.",
        ),
        (
            ["detect", "--method", "gistar", "--min-incidents", "5", "--out", "x.gpkg"],
            "--min-incidents is an option of --method dbscan or hdbscan; --method "
            "gistar takes --cell-size, --neighbours, --permutations, --seed and --no-fdr.",
        ),
        (
            ["evaluate", "--method", "kde", "--cell-size", "50", *EVAL_MONTHS],
            "--cell-size is an option of --method gistar; --method kde takes "
            "--bandwidth and --bandwidth-rule.",
        ),
        (
            ["evaluate", "--method", "naive", "--eps", "100", *EVAL_MONTHS],
            "--eps is an option of --method dbscan; --method naive takes none of "
            "these options.",
        ),
    ],
)
def test_cli_refuses_another_methods_options(capsys, args, message):
    """An option of another method is an error before any data is read, not a
    setting silently ignored."""
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [f"hotspots {args[0]}: error: {message}"]


def test_cli_takes_each_methods_own_options(capsys, tmp_path):
    """The options a method takes still work: DBSCAN's radius, Gi*'s window."""
    sel = ("--district", THANET, "--from", "2024-01", "--to", "2024-04")
    code, out, err = run(
        capsys, "detect", "--method", "dbscan", "--eps", "150", "--min-incidents", "30",
        *sel, "--out", tmp_path / "d.gpkg", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["parameters"]["eps_m"] == 150
    code, out, err = run(
        capsys, "detect", "--method", "gistar", "--cell-size", "200", "--neighbours",
        "2", *sel, "--out", tmp_path / "g.gpkg", "--json",
    )  # fmt: skip
    assert code == 0, err
    params = json.loads(out.strip().splitlines()[-1])["parameters"]
    assert params["cell_size_m"] == 200
    assert params["neighbours"] == 2


def test_cli_evaluate_rejects_overlapping_months(capsys):
    code, _, err = run(
        capsys, "evaluate", "--method", "kde", "--train-from", "2022-01",
        "--train-to", "2022-12", "--test-from", "2022-06", "--test-to", "2022-08",
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_cli_trends_writes_patterns(capsys, tmp_path):
    out = tmp_path / "trends.gpkg"
    code, stdout, err = run(
        capsys, "trends", "--district", THANET, "--theme", "serious violence & weapons",
        "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["cells"] > 0
    assert summary["months"][0] == "2022-01"
    assert "2023-06" not in summary["months"]  # the gap is not counted as months
    assert len(summary["months"]) == 17
    assert summary["cell_size_m"] == 200
    assert summary["mode"] == "restricted"  # the command line's default
    assert summary["cells_written"] == summary["cells"]
    cells = gpd.read_file(out, layer="trend_cells")
    assert cells.crs.to_epsg() == 27700
    assert len(cells) == summary["cells"]
    assert cells["pattern"].value_counts().to_dict() == summary["patterns"]
    assert set(cells["pattern"]) <= {
        "new", "consecutive", "intensifying", "persistent", "diminishing",
        "sporadic", "oscillating", "historical", "former",
    }  # fmt: skip
    # public: cells under 10 incidents left out, the others rounded to 5
    public_out = tmp_path / "public.gpkg"
    code, stdout, err = run(
        capsys, "trends", "--district", THANET, "--theme", "serious violence & weapons",
        "--mode", "public", "--out", public_out,
    )  # fmt: skip
    assert code == 0, err
    public = gpd.read_file(public_out, layer="trend_cells")
    assert len(public) == int((cells["n"] >= 10).sum()) < len(cells)
    assert (public["n"] % 5 == 0).all()
    assert f"{len(public):,} written (public: cells under 10 incidents left out)" in (
        stdout
    )
    # every cell withheld (a rare category): still a polygon layer, not "Unknown"
    none_out = tmp_path / "none.gpkg"
    code, _, err = run(
        capsys, "trends", "--district", THANET, "--category", "Possession of weapons",
        "--from", "2022-01", "--to", "2023-01", "--mode", "public", "--out", none_out,
    )  # fmt: skip
    assert code == 0, err
    info = pyogrio.read_info(none_out, layer="trend_cells")
    assert (info["features"], info["geometry_type"]) == (0, "Polygon")


def test_cli_trends_steps_every_month_of_the_data_and_says_when_too_sparse(
    capsys, tmp_path
):
    # Sevenoaks had no bicycle theft in 2022-03, 2022-04 or 2023-01: those are
    # months with none, not months left out (the last month stays the last)
    inc = read_bundled_police()
    theft = inc[inc["lad_code"].eq("E07000111") & inc["category"].eq("Bicycle theft")]
    with_theft = set(theft["month"].astype(str))
    assert {"2022-03", "2022-04", "2023-01"}.isdisjoint(with_theft)
    out = tmp_path / "theft.gpkg"
    code, stdout, err = run(
        capsys, "trends", "--district", "Sevenoaks", "--category", "bicycle theft",
        "--out", out,
    )  # fmt: skip
    assert code == 0, err
    lines = stdout.strip().splitlines()
    assert lines[0].startswith(
        "Gi* each month on 200 m cells over 17 months (2022-01..2023-01, "
        "2024-01..2024-04)"
    )
    cells = gpd.read_file(out, layer="trend_cells")
    assert (cells["months"] == 17).all()
    counts = cells["pattern"].value_counts()
    for name, n in counts.items():  # each pattern with its count and meaning
        (line,) = [x for x in lines[1:] if x.split()[0] == name]
        assert int(line.split()[1].replace(",", "")) == n
        assert len(line.split()) > 3
    # 36 thefts in 17 months: the hot spots are lone incidents, and it says so
    # on stderr as a note, without Python's file and line
    (note,) = err.strip().splitlines()
    assert note.startswith("hotspots trends: note: ")
    assert "too sparse for monthly Gi*" in note
    assert "Use larger cells" in note
    assert "UserWarning" not in err
    assert ".py" not in err


def test_cli_notes_are_one_line_each_without_python_details(capsys, tmp_path):
    code, _, err = run(
        capsys, "detect", "--method", "kde", "--bandwidth", "60", "--district",
        "Thanet", "--from", "2024-01", "--to", "2024-04", "--out", tmp_path / "k.gpkg",
    )  # fmt: skip
    assert code == 0, err
    (note,) = err.strip().splitlines()
    assert note.startswith("hotspots detect: note: The bandwidth (60 m) is under")
    # a Gi* map of one sparse month: most hot spots are one or two incidents
    code, _, err = run(
        capsys, "detect", "--method", "gistar", "--theme", "drugs", "--from",
        "2024-04", "--to", "2024-04", "--out", tmp_path / "g.gpkg",
    )  # fmt: skip
    assert code == 0, err
    hot = gpd.read_file(tmp_path / "g.gpkg", layer="hotspots")
    small = int((hot["incidents"] <= 2).sum())
    (note,) = err.strip().splitlines()
    assert note.startswith(
        f"hotspots detect: note: Most of these hot spots hold one or two incidents "
        f"({small:,} of {len(hot):,}): this selection is too sparse for Gi* at "
        "100 m cells."
    )
    # the whole county over 17 months is not
    code, _, err = run(
        capsys, "detect", "--method", "gistar", "--theme", "drugs",
        "--out", tmp_path / "g17.gpkg",
    )  # fmt: skip
    assert code == 0
    assert err == ""


def test_dashboard_points_equal_a_direct_count_per_location():
    # the map's incident locations: ties between labels, missing labels,
    # safeguarding and unlocated rows, against a plain per-location count
    from collections import Counter

    from shapely import Point

    from hotspots.crs import WEB_CRS
    from hotspots.dashboard import _points

    rng = np.random.default_rng(5)
    n = 300
    xy = 600_000 + rng.integers(0, 8, size=(n, 2)) * 25.0
    inc = gpd.GeoDataFrame(
        {
            "sensitivity": rng.choice(["none", "safeguarding"], size=n, p=[0.8, 0.2]),
            "location_text": pd.Series(
                rng.choice(["On or near B", "On or near A", "Zed", None], size=n),
                dtype="string",
            ),
        },
        geometry=gpd.points_from_xy(xy[:, 0], 150_000 + xy[:, 1]),
        crs="EPSG:27700",
    )
    inc.loc[inc.index[:10], "geometry"] = Point()
    out = _points(inc)
    counts: dict[tuple[float, float], Counter] = {}
    for geom, sens, text in zip(
        inc.geometry, inc["sensitivity"], inc["location_text"], strict=True
    ):
        if geom.is_empty or sens == "safeguarding":
            continue
        counts.setdefault((geom.x, geom.y), Counter())[
            text if isinstance(text, str) else ""
        ] += 1
    where = sorted(counts)
    assert out["incidents"].tolist() == [sum(counts[p].values()) for p in where]
    best = [min(counts[p].items(), key=lambda kv: (-kv[1], kv[0]))[0] for p in where]
    assert out["label"].tolist() == best
    assert any(
        sorted(c.values())[-2:] == [c.most_common(1)[0][1]] * 2 for c in counts.values()
    )
    web = gpd.GeoSeries([Point(p) for p in where], crs="EPSG:27700").to_crs(WEB_CRS)
    np.testing.assert_allclose(out["lon"], web.x)
    np.testing.assert_allclose(out["lat"], web.y)


def test_dashboard_category_mix_equals_a_direct_count():
    # most frequent first, ties in order of first appearance, missing left out
    from hotspots.dashboard import category_mix

    rng = np.random.default_rng(6)
    values = rng.choice(["Drugs", "Arson", "Theft", "Robbery", None], size=200).tolist()
    selected = pd.DataFrame({"category": pd.Series(values, dtype="category")})
    out = category_mix(selected, top=3)
    seen = [v for v in values if v is not None]
    first = {v: seen.index(v) for v in set(seen)}
    ranked = sorted(first, key=lambda v: (-seen.count(v), first[v]))[:3]
    assert out["category"].tolist() == ranked
    assert out["incidents"].tolist() == [seen.count(v) for v in ranked]
    assert out["share"].tolist() == [seen.count(v) / len(seen) for v in ranked]
    ties = category_mix(pd.DataFrame({"category": ["b", "a", "a", "b", "c"]}))
    assert ties["category"].tolist() == ["b", "a", "c"]
