"""One entry point for every hotspot method: polygons, statistics and parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from hotspots._points import known_facts
from hotspots._validate import HotspotsError, require_points
from hotspots.grid import located, located_once, located_xy

METHODS = ("kde", "dbscan", "hdbscan", "gistar")
#: Each method's name in the dashboard and the reports.
METHOD_LABELS = {
    "kde": "Kernel density (KDE)",
    "dbscan": "Clusters (DBSCAN)",
    "hdbscan": "Clusters (HDBSCAN)",
    "gistar": "Getis-Ord Gi*",
}
#: What each method does, in one or two plain sentences (sidebar, reports).
METHOD_MEANINGS = {
    "kde": "Spreads each incident over a circle of the bandwidth and adds them up: "
    "a smooth surface of incidents per km². The hottest cells covering the chosen "
    "share of the area are outlined as hotspots.",
    "dbscan": "Groups incidents that lie close together: a cluster is a run of "
    "places each with at least the minimum number of incidents within the radius.",
    "hdbscan": "Like DBSCAN but finds the radius itself, place by place: clusters "
    "of different densities (town centre and estate) in one go.",
    "gistar": "Counts incidents in grid cells and tests each cell with its "
    "neighbours against the whole area: red cells are statistically significant "
    "hot spots, blue cold spots (false discovery rate corrected).",
}

#: Defaults chosen with the back-test on the bundled Kent data (train 2022, test
#: 2024-01..04; docs/backtest.md). The automatic (Silverman) KDE bandwidth,
#: kilometres wide county-wide, scored worst in all 5 themes, so no rule is the
#: default. 100 m scored best in 4 of 5 themes and 200 m in the fifth, about 5
#: points of hit rate behind 100 m at 1% coverage; but county-wide 100 m splits
#: into ~2,250 hotspots and takes ~4 s, 200 m gives ~430 in under 1 s, so 200 m
#: is the default and 100 m the choice for targeting small areas. 100 m Gi*
#: cells beat 200 m cells in 4 of 5 themes.
KDE_BANDWIDTH_M = 200.0
GISTAR_CELL_SIZE_M = 100.0


@dataclass(frozen=True)
class Detection:
    """Hotspot polygons of one method, with every parameter that produced them.

    ``hotspots`` has one row per hotspot polygon (EPSG:27700) with at least
    ``hotspot_id``, ``incidents`` and ``area_km2``; ``parameters`` records every
    setting, automatic choices included (``*_automatic`` keys and plain-English
    ``*_explanation`` keys); ``result`` is the method's own full result (a
    `DensitySurface`, `GiStarResult` or `ClusterResult`) for maps and exports.
    ``membership`` is the ``hotspot_id`` of each input incident (row order of the
    incidents given to `detect`; 0 = in no hotspot or unlocated), counted as the
    hotspots' statistics count them (on a shared edge, in one hotspot only).
    """

    method: str
    hotspots: gpd.GeoDataFrame
    parameters: dict[str, Any]
    study_area_km2: float
    result: Any = None
    membership: np.ndarray | None = None

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Supporting vector layers worth writing beside the hotspots, by name.

        Gi*: every study-area cell with its z, p and bin (``gistar_cells``).
        KDE surfaces are rasters (a county at 50 m is over a million cells), so
        they are written as GeoTIFF by the export module, not as polygons here.
        """
        if self.method == "gistar" and self.result is not None:
            return {"gistar_cells": self.result.to_cells()}
        return {}

    @property
    def incidents_in_hotspots(self) -> int:
        """Located incidents inside the hotspot polygons."""
        return int(self.hotspots["incidents"].sum()) if len(self.hotspots) else 0

    @property
    def area_km2(self) -> float:
        """Total area of the hotspot polygons in km²."""
        return float(self.hotspots["area_km2"].sum()) if len(self.hotspots) else 0.0

    def summary(self) -> dict[str, Any]:
        """The JSON summary of DESIGN.md: hotspots, incidents, area, parameters."""
        return {
            "hotspots": len(self.hotspots),
            "incidents_in_hotspots": self.incidents_in_hotspots,
            "area_km2": round(self.area_km2, 4),
            "study_area_km2": round(self.study_area_km2, 2),
            "parameters": self.parameters,
        }


def limit_to_coverage(
    polygons: gpd.GeoDataFrame, *, coverage: float, study_area_km2: float
) -> gpd.GeoDataFrame:
    """Keep the densest polygons while their total area stays within `coverage`.

    Polygons are taken in order of incidents per km² (highest first) until the
    next one would push the total area above ``coverage × study_area_km2``; they
    are then renumbered by incidents. Used for clusters and Gi* hot spots, whose
    polygons come whole; KDE thresholds its surface instead.
    """
    if not 0 < coverage <= 1:
        raise HotspotsError(f"`coverage` must be in (0, 1], got {coverage!r}.")
    if polygons.empty:
        return polygons
    density = polygons["incidents"] / polygons["area_km2"].where(
        polygons["area_km2"] > 0
    )
    order = density.fillna(0).sort_values(ascending=False, kind="stable").index
    area = polygons.loc[order, "area_km2"].cumsum()
    keep = order[(area <= coverage * study_area_km2).to_numpy()]
    out = polygons.loc[keep].sort_values("incidents", ascending=False, kind="stable")
    return out.assign(hotspot_id=np.arange(1, len(out) + 1)).reset_index(drop=True)


def detect(
    incidents: gpd.GeoDataFrame,
    *,
    method: str,
    study_area: gpd.GeoDataFrame | None = None,
    coverage: float | None = None,
    weight: str | None = None,
    options: dict[str, Any] | None = None,
    months: Sequence[Any] | None = None,
    trend_months: Sequence[Any] | None = None,
    polygons_found: Callable[[gpd.GeoSeries], object] | None = None,
) -> Detection:
    """Find hotspots in `incidents` with one method.

    Parameters
    ----------
    incidents
        Canonical incidents (EPSG:27700); unlocated rows are skipped.
    method
        ``kde`` (kernel density surface, thresholded), ``dbscan`` or ``hdbscan``
        (density-based clusters of incident locations) or ``gistar`` (Getis-Ord
        Gi* hot spots on a grid).
    study_area
        Polygon(s) bounding the analysis, e.g. ``boundaries.study_area(codes)``.
    coverage
        Keep only the hottest areas covering this share of the study area
        (0.05 = 5 %). For KDE the default is 0.05; for the others ``None`` keeps
        every hotspot found.
    weight
        Column of harm weights (``weight``), or ``None`` to count incidents.
        Hotspots are ranked (``hotspot_id`` 1, 2, ...) by the incidents inside
        them, ties by harm; with a `weight`, by harm, ties by incidents.
    options
        Method options, as the method's own function names them (e.g.
        ``bandwidth``, ``cell_size``, ``eps``, ``min_incidents``, ``neighbours``).
        ``None`` means "not given": the default applies (`KDE_BANDWIDTH_M`,
        `GISTAR_CELL_SIZE_M`, or the method's own). ``"auto"`` asks for the
        method's automatic rule (e.g. ``cell_size="auto"`` for Gi*; for KDE give
        ``bandwidth_rule`` instead).
    months
        The selection's months (``YYYY-MM``): the time steps of each hotspot's
        months active and trend. Give every month of the data in the selection's
        range, so that a month without an incident of the selection counts as
        none; default the months of the located incidents.
    trend_months
        The months each hotspot's trend compares: with sources that cover
        different months, the months every source of the selection holds
        (`hotspots.profile.describe_hotspots`); recorded in the parameters, with
        a sentence, when they are not all of `months`. Default `months`.
    polygons_found
        Called with the hotspots' outlines (a GeoSeries, in the order found) as
        soon as the clustering or Gi* has drawn them, before they are profiled
        and ranked, so that a caller can start work on them meanwhile (the
        dashboard simplifies them for its map on another thread). The outlines
        of the hotspots returned are these same shapely objects, ranked (some
        may be dropped). Not called for KDE, whose outlines are dissolved while
        its hotspots are profiled.

    Returns
    -------
    Detection
    """
    require_points(incidents, name="incidents")
    if method not in METHODS:
        raise HotspotsError(
            f"Unknown method {method!r}; choose one of {', '.join(METHODS)}."
        )
    # None = not given (the default applies); "auto" = the method's automatic rule
    options = {
        k: (None if v == "auto" else v)
        for k, v in (options or {}).items()
        if v is not None
    }
    area_km2 = (
        float(study_area.geometry.area.sum() / 1e6)
        if study_area is not None
        else float("nan")
    )
    # the hotspot (position) of each located incident, if the method knows it
    which: np.ndarray | None = None
    outlines = None  # KDE: its polygons, dissolved while the hotspots are profiled
    if method == "kde":
        found, which, outlines = _kde(
            incidents, study_area, area_km2, coverage, weight, options
        )
    elif method == "gistar":
        found = _gistar(incidents, study_area, area_km2, coverage, weight, options)
    else:
        found = _clusters(
            incidents, method, study_area, area_km2, coverage, weight, options
        )
    if polygons_found is not None and outlines is None and len(found.hotspots):
        polygons_found(found.hotspots.geometry)
    hot = found.hotspots
    if "hotspot" in hot and "hotspot_id" not in hot:
        hot = hot.rename(columns={"hotspot": "hotspot_id"})
    if hot.empty:
        return replace(
            found, hotspots=hot, membership=np.zeros(len(incidents), dtype="int64")
        )
    # every method's polygons are profiled, and ranked, by the incidents inside them
    # (weighted by harm: by their harm, then incidents);
    # the membership is kept (by position before ranking) for per-hotspot charts
    from hotspots.profile import location_ids, polygon_membership

    hot = hot.reset_index(drop=True)
    n_found = len(hot)
    has = located(incidents)
    places = None
    if which is None:
        # the positions found once, for the spatial query and the profile; the
        # points only: a row selection of the whole frame copied every column
        places = location_ids(incidents, np.flatnonzero(has))
        which = polygon_membership(incidents.geometry[has], hot, ids=places)
    hot = _describe(hot, incidents, weight, which, places, months, trend_months)
    if trend_months is not None and _texts(trend_months) != _texts(months or ()):
        from hotspots.dates import month_runs

        runs = month_runs(sorted({pd.Period(str(m)[:7], "M") for m in trend_months}))
        said = (
            f"trends compare {runs} only: the months every source of the "
            "selection holds"
            if trend_months
            else "no trends: the sources of the selection hold no month in common "
            "(choose one source to see its trends)"
        )
        found = replace(
            found,
            parameters={
                **found.parameters,
                "trend_months": runs,
                "trend_explanation": said,
            },
        )
    # a Gi* hot spot can be a group of empty cells beside busy ones: not a place
    # where harm concentrates, so it is dropped (and counted)
    empty = hot["incidents"] == 0
    if empty.any():
        found = replace(
            found,
            parameters={
                **found.parameters,
                "hotspots_without_incidents_dropped": int(empty.sum()),
            },
        )
        hot = hot[~empty.to_numpy()]
    # weighted, the surface, clusters or hot spots follow harm: so does the rank
    order = ["harm", "incidents"] if weight is not None else ["incidents", "harm"]
    hot = hot.sort_values(order, ascending=False, kind="stable")
    if outlines is not None:
        polygons = outlines()[hot.index.to_numpy()]
        hot = hot.set_geometry(gpd.GeoSeries(polygons, index=hot.index, crs=hot.crs))
    id_at = np.zeros(n_found + 1, dtype="int64")
    id_at[hot.index.to_numpy()] = np.arange(1, len(hot) + 1)
    member = np.zeros(len(incidents), dtype="int64")
    member[np.flatnonzero(has)] = id_at[which]  # -1 (in none) -> the last: 0
    hot = hot.assign(hotspot_id=np.arange(1, len(hot) + 1)).reset_index(drop=True)
    return replace(found, hotspots=hot, membership=member)


def _texts(months: Sequence[Any]) -> list[str]:
    """Months (YYYY-MM text or Periods) as sorted ``YYYY-MM`` text."""
    return sorted({str(m)[:7] for m in months})


#: A map is flagged as too sparse when more than this share of its hotspots
#: hold one or two incidents (`sparse_warning`).
SPARSE_HOTSPOT_SHARE = 0.5


def explanations(parameters: dict[str, Any]) -> list[str]:
    """The method's sentences on its parameters, as the page and `detect` show them.

    Each ``*_explanation`` ("Bandwidth 310 m, chosen by ..."); then, where the
    method cut its hotspots at a threshold (KDE, Gi*), "Hotspots: hottest 5% of
    the study area ..."; then, where only some were kept (a coverage for
    clusters or Gi*), which. Each a sentence: capitalised, with a full stop.
    """
    said = [
        str(v)
        for k, v in parameters.items()
        if k.endswith("_explanation") and k != "coverage_explanation" and v
    ]
    if parameters.get("threshold"):
        said.append(f"Hotspots: {parameters['threshold']}")
    if parameters.get("coverage_explanation"):  # which of those hotspots are kept
        said.append(str(parameters["coverage_explanation"]))
    return [s[:1].upper() + s[1:].rstrip(".") + "." for s in said]


def sparse_warning(method: str, hot: Any, found: Detection, located_n: int) -> str:
    """Why the hotspots of a sparse selection are mostly lone incidents, or "".

    For KDE and Gi*, when more than `SPARSE_HOTSPOT_SHARE` of the hotspots `hot`
    (a table with ``incidents``) hold one or two incidents. KDE: the hottest share
    of the area is a relative threshold; with few incidents spread over a large
    area (one theme county-wide) it takes in the bump around almost every
    incident. Gi*: its p-values come from the normal distribution, and in a grid
    of mostly empty cells one incident gives its neighbourhood a large z-score,
    so it is "significant" however often a lone incident happens by chance.
    Clusters need `min_incidents` by construction, so they are never flagged.
    """
    if method not in ("kde", "gistar") or len(hot) == 0 or not located_n:
        return ""
    small = int((hot["incidents"] <= 2).sum())
    if small <= SPARSE_HOTSPOT_SHARE * len(hot):
        return ""
    share = found.incidents_in_hotspots / located_n
    if method == "gistar":
        cell = found.parameters.get("cell_size_m")
        at = f" at {cell:g} m cells" if cell else ""
        return (
            f"Most of these hot spots hold one or two incidents ({small:,} of "
            f"{len(hot):,}): this selection is too sparse for Gi*{at}. Its "
            "p-values assume a normal distribution, and among mostly empty cells a "
            "single incident makes its neighbourhood 'significant', however often "
            "that happens by chance. Use larger cells, more months or more themes, "
            "or read the hot spots from the top of the ranking."
        )
    area = found.parameters.get("coverage")
    hottest = f"the hottest {area * 100:g}% of the area" if area else "the threshold"
    return (
        f"Most of these hotspots hold one or two incidents ({small:,} of "
        f"{len(hot):,}): this selection is too sparse for {hottest} to mark "
        f"concentrations. It takes in the surroundings of almost every incident "
        f"({share:.0%} of the {located_n:,} located), so the outlines are mostly "
        "single locations. Read the hotspots from the top of the ranking, choose "
        "fewer districts or more months, or use Gi*, which tests whether a cluster "
        "is more than chance (and says when the data is too sparse for that too)."
    )


def uniform_weight(incidents: gpd.GeoDataFrame, weight: str = "weight") -> float | None:
    """The weight every located incident has, or None when they differ or none is located.

    Weighting by it changes nothing: a surface, clusters or hot spots weighted by
    one constant are the unweighted ones (police.uk incidents all weigh 1).
    """
    w = incidents[weight].to_numpy(dtype=np.float64)[located(incidents)]
    return float(w[0]) if w.size and bool((w == w[0]).all()) else None


def _describe(
    polygons: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    weight: str | None,
    membership: np.ndarray | None = None,
    locations: np.ndarray | None = None,
    months: Sequence[Any] | None = None,
    trend_months: Sequence[Any] | None = None,
) -> gpd.GeoDataFrame:
    """Every method's polygons get the same profile (mix, months, trend, areas)."""
    from hotspots.boundaries import load_boundary
    from hotspots.profile import describe_hotspots

    wards = load_boundary("wards")
    districts = load_boundary("districts")
    return describe_hotspots(
        polygons,
        incidents,
        months=months,
        trend_months=trend_months,
        weight=weight,
        ward_names=wards.set_index("ward_code")["ward_name"],
        district_names=districts.set_index("lad_code")["lad_name"],
        membership=membership,
        locations=locations,
    )


def default_text(name: str, value: float) -> str:
    """The explanation of a parameter left at its default (`KDE_BANDWIDTH_M`).

    The defaults were chosen with the back-test on the Kent data (docs/backtest.md).
    """
    return f"{name} {value:g} m, the default (chosen with a back-test on Kent data)"


def _finish(
    method: str,
    polygons: gpd.GeoDataFrame,
    parameters: dict[str, Any],
    area_km2: float,
    coverage: float | None,
    result: Any,
) -> Detection:
    if coverage is not None and method != "kde":
        if not np.isfinite(area_km2):
            raise HotspotsError("`coverage` needs a study area (choose districts).")
        polygons = limit_to_coverage(
            polygons, coverage=coverage, study_area_km2=area_km2
        )
        parameters = {
            **parameters,
            "coverage": coverage,
            "coverage_explanation": f"kept: the hotspots with the most incidents per "
            f"km², while together they cover at most {coverage:.1%} of the study area",
        }
    return Detection(
        method=method,
        hotspots=polygons,
        parameters={"method": method, **parameters},
        study_area_km2=area_km2,
        result=result,
    )


def _kde(
    incidents: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame | None,
    area_km2: float,
    coverage: float | None,
    weight: str | None,
    options: dict[str, Any],
) -> tuple[Detection, np.ndarray | None, Callable[[], np.ndarray] | None]:
    """KDE hotspots, each located incident's hotspot, and their polygons.

    The hotspot is a position (-1: none); the polygons are dissolved on another
    thread and waited for when called (`_surface_hotspots`, ``outlines_later``).
    """
    from hotspots.density import _surface_hotspots, kde_surface

    thresholds: dict[str, Any] = {
        k: options.pop(k) for k in ("k_mean", "min_density") if k in options
    }
    if not thresholds:
        thresholds = {"coverage": 0.05 if coverage is None else coverage}
    elif coverage is not None:
        raise HotspotsError(
            "Give one threshold: --coverage, --k-mean or --min-density."
        )
    default = options.get("bandwidth") is None and "bandwidth_rule" not in options
    if default:
        options["bandwidth"] = KDE_BANDWIDTH_M
    surface = kde_surface(incidents, study_area=study_area, weight=weight, **options)
    # the cells give each incident's hotspot: no polygon test per incident
    polygons, which, outlines = _surface_hotspots(
        surface, incidents, **thresholds, outlines_later=True
    )
    parameters: dict[str, Any] = {**surface.parameters, **thresholds}
    if default:
        parameters["bandwidth_rule"] = "default"
        parameters["bandwidth_explanation"] = default_text("bandwidth", KDE_BANDWIDTH_M)
    # the threshold the hotspots were cut at, in words and in incidents per km²
    found_at = polygons.attrs.get("parameters", {})
    for key in ("threshold", "threshold_kde_per_km2"):
        if key in found_at:
            parameters[key] = found_at[key]
    found = _finish("kde", polygons, parameters, area_km2, None, surface)
    return found, which, outlines


def _gistar(
    incidents: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame | None,
    area_km2: float,
    coverage: float | None,
    weight: str | None,
    options: dict[str, Any],
) -> Detection:
    from hotspots.gistar import gistar_grid

    min_bin = int(options.pop("min_bin", 2))
    default = "cell_size" not in options  # None there: the automatic rule
    if default:
        options["cell_size"] = GISTAR_CELL_SIZE_M
    result = gistar_grid(incidents, study_area=study_area, weight=weight, **options)
    polygons = result.hotspots(min_bin=min_bin)
    parameters = dict(polygons.attrs["parameters"])  # with min_bin and threshold
    if default:
        parameters["cell_size_explanation"] = default_text(
            "cell size", GISTAR_CELL_SIZE_M
        )
    return _finish(
        "gistar",
        polygons,
        parameters,
        area_km2,
        coverage,
        result,
    )


def _inside(
    incidents: gpd.GeoDataFrame, study_area: gpd.GeoDataFrame
) -> NDArray[np.bool_]:
    """Rows strictly inside the study area, as ``GeoSeries.within`` finds them.

    Unlocated rows and points on the boundary are outside. The polygon is
    prepared (an index of its edges) before the test: unprepared, testing every
    incident of the county took 0.55 s, prepared 0.045 s; in a `located_once`
    block, each distinct position once, 0.01 s.
    """
    shape = shapely.union_all(np.asarray(study_area.geometry.array))
    shapely.prepare(shape)
    mask, xy = located_xy(incidents)
    inside = np.zeros(len(incidents), dtype=bool)
    facts = known_facts(incidents.geometry.array)
    if facts is None or not mask.any():
        inside[mask] = shapely.contains_xy(shape, xy[:, 0], xy[:, 1])
        return inside
    # each distinct position tested once (police.uk's 270,000 incidents
    # county-wide sit on 35,000), with the codes the profile uses later
    codes = facts.location_codes
    one = np.empty(int(codes.max()) + 1, dtype=np.intp)  # a row at each position
    one[codes] = np.arange(len(codes))
    at = xy[one]
    inside[mask] = shapely.contains_xy(shape, at[:, 0], at[:, 1])[codes]
    return inside


def _clusters(
    incidents: gpd.GeoDataFrame,
    method: str,
    study_area: gpd.GeoDataFrame | None,
    area_km2: float,
    coverage: float | None,
    weight: str | None,
    options: dict[str, Any],
) -> Detection:
    from hotspots.cluster import find_clusters

    points = incidents
    # where the rows are: the selection's facts when a block knows them (the
    # clustering and the outlines asked again: 50 ms county-wide)
    facts = known_facts(incidents.geometry.array)
    if study_area is not None:
        keep = _inside(incidents, study_area)
        points = incidents[keep]
        if points.empty:
            raise HotspotsError("No located incidents inside the study area.")
        if facts is not None:  # of the rows kept
            facts = facts.subset(keep, points.geometry.array)
    kind: Literal["dbscan", "hdbscan"] = "hdbscan" if method == "hdbscan" else "dbscan"
    # outlines only: `detect` profiles every method's polygons by the incidents
    # inside them (`_describe`); the clusters' own statistics (of their members)
    # had been computed too, and their rank, trend label and ward names were left
    # beside the profile's, sometimes disagreeing with it
    with located_once(points, facts):
        result = find_clusters(
            points, method=kind, weight=weight, statistics=False, **options
        )
    polygons = result.polygons.drop(columns="rank")
    polygons.insert(0, "hotspot_id", np.arange(1, len(polygons) + 1))
    return _finish(
        method, polygons, dict(result.parameters), area_km2, coverage, result
    )
