"""PSPO evidence: an area profile for an order and a before/after evaluation.

Public Spaces Protection Orders: the evidence for making one (a profile of the
area) and for judging one that has run (before/after, with displacement).

Statutory frame: Anti-social Behaviour, Crime and Policing Act 2014, s59 (the
test), s72 (consultation, publicity and notification), s60 (duration: up to
three years, reviewed before it is extended). The profile is evidence, not
legal advice.

Areas come from an uploaded file (`read_area`: GeoJSON, GeoPackage, KML/KMZ or
a zipped shapefile), a shape drawn on the map (`area_from_geojson`), a ward
(`area_from_ward`) or a detected hotspot (`area_from_hotspot`).

**The profile** (`profile_area`) compares the area with its district (the one
holding most of it) and with Kent & Medway: incidents, per km², per 1,000
residents (`area_residents`: Census 2021 ward residents apportioned by the
share of the ward's postcodes inside the area, an estimate), and the
**concentration ratio** = (share of the district's incidents) / (share of the
district's land); 1 = its fair share. Trend: Mann-Kendall (Mann 1945; Kendall
1975; `hotspots.trends.mann_kendall`) over the months present, and the exact
conditional binomial test of the recent third against the earlier months
(`hotspots.profile.trend_test`). Persistence: the months in which the area held
significantly more of its district's incidents than its share of the land
(one-sided exact binomial test, expected = district count × land share).

**The evaluation** (`evaluate_order`) counts incidents in the order's area (R),
a buffer ring around it (B, the displacement catchment) and a control (C,
default the rest of the district), before and after the order's start:

- Weighted Displacement Quotient (Bowers & Johnson 2003, *Measuring the
  geographical displacement and diffusion of benefit effects of crime
  prevention activity*, J. Quantitative Criminology 19(3)):
  ``WDQ = (Ba/Ca − Bb/Cb) / (Ra/Ca − Rb/Cb)`` (`wdq`);
- total net effect (Guerette 2009, *Analyzing crime displacement and diffusion*,
  POP Center tool guide 10; Bowers, Johnson, Guerette, Summers & Poynton 2011,
  J. Experimental Criminology 7(4)): ``(Rb·Ca/Cb − Ra) + (Bb·Ca/Cb − Ba)``
  (`total_net_effect`);
- relative effect size: the odds ratio ``(Xb·Ca)/(Xa·Cb)`` with the log-OR
  variance ``1/Xb + 1/Xa + 1/Cb + 1/Ca`` (Farrington & Welsh 2002, *Improved
  street lighting and crime prevention*, Justice Quarterly 19(2)), 0.5 added to
  every cell when one is 0 (Haldane 1956; Anscombe 1956) (`relative_effect`);
- the change in each zone's count: the exact conditional binomial test for two
  Poisson counts (Przyborowski & Wilenski 1940), with the null share set by
  the windows' lengths (`change_p`).

All geometry is EPSG:27700 (metres). Counts are incidents; rates per km² and per
1,000 residents over the selected months (not annualised).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import special
from scipy.stats import binomtest
from shapely.geometry.base import BaseGeometry

from hotspots import bundled, disclosure
from hotspots._validate import HotspotsError, require_points, require_positive
from hotspots.areas import Month, Months, _month, _month_ordinals, month_list
from hotspots.boundaries import load_boundary
from hotspots.categories import THEMES
from hotspots.crs import to_working_crs
from hotspots.dates import month_runs, month_span
from hotspots.io import lonlat_geometries_to_bng, polygon_union, read_layer
from hotspots.profile import location_ids, recent_split, trend_test
from hotspots.provenance import provenance
from hotspots.summary import load_population
from hotspots.trends import mann_kendall

#: Kinds of area a profile or an evaluation can be made for.
AREA_KINDS = ("drawn", "uploaded", "hotspot", "ward", "order")
#: Default displacement catchment: a ring of this many metres around the area.
DEFAULT_BUFFER_M = 400.0
#: Significance level used in the plain-words verdicts.
ALPHA = 0.05


@dataclass(frozen=True)
class Area:
    """One area to profile or evaluate, in EPSG:27700.

    Attributes
    ----------
    name
        What the user calls it ("Margate town centre").
    kind
        One of `AREA_KINDS`.
    geometry
        A valid (Multi)Polygon in EPSG:27700, non-empty.
    source
        Where it came from, for provenance: the file name, "drawn on the map",
        "KDE hotspot 3 (bandwidth 200 m)", "ward E05005093".
    """

    name: str
    kind: str
    geometry: BaseGeometry
    source: str

    @property
    def area_km2(self) -> float:
        """The area's size in km²."""
        return float(self.geometry.area) / 1e6


@dataclass(frozen=True)
class AreaProfile:
    """Everything the area profile report shows. Plain data; exact counts.

    Disclosure control (public mode) is applied by the report writer, not here;
    `points` are the non-safeguarding incident positions inside the area for
    restricted maps only.

    Attributes
    ----------
    area
        The `Area`.
    district_code, district_name
        The district holding the largest part of the area (its comparator).
    months
        The selected months present in the data, as 'YYYY-MM', oldest first.
    filters
        The selection as given (themes, categories, sources, months).
    comparison
        DataFrame, one row per level, index ``["area", "district", "county"]``,
        columns: ``incidents`` (int), ``in_district`` (int: those of them in the
        comparison district, which an area across a boundary has fewer of;
        the district's own for the county row), ``area_km2``, ``residents`` (float; the
        area's is estimated, see `area_residents`), ``per_km2``,
        ``per_1000`` (per 1,000 residents over the months), ``share_of_district_incidents``
        (area and district rows: c / C_district; county: NaN),
        ``share_of_district_land`` (km² / district km²; county NaN),
        ``concentration`` (share of incidents / share of land; 1 = its fair share).
    themes
        DataFrame indexed by theme (every theme present in area or district),
        columns ``area``, ``area_share``, ``district``, ``district_share``,
        ``county``, ``county_share`` (counts int, shares 0..1).
    categories
        Same shape as `themes`, indexed by category, the 12 most frequent in the
        area (sorted by area count, descending).
    monthly
        DataFrame, one row per calendar month from first to last selected month:
        ``month`` ('YYYY-MM'), ``area`` (Int64, NA for months missing from the
        data), ``district`` (Int64, NA likewise), ``area_per_1000``.
    trend
        dict: ``mann_kendall_tau``, ``mann_kendall_p``, ``direction``
        ("increasing"/"decreasing"/"no trend"/"too few months"), ``recent_months``
        (list), ``earlier_months`` (list), ``recent``, ``earlier`` (counts),
        ``rate_ratio``, ``p`` (exact binomial, as `hotspots.profile.trend_test`),
        ``label`` (rising/falling/stable/too few to tell/n/a), ``sentence``.
    day_hour
        DataFrame 7 × 24 (index Monday..Sunday, columns 0..23) of incidents with
        a date and time (``occurred_at`` with a time of day), or None when no
        incident in the area has one. ``day_hour_n``: how many had one.
    top_locations
        list of (location_text, count), the 10 most frequent among the area's
        non-safeguarding incidents (empty/"On or near" alone dropped).
    persistence
        dict: ``months_hot`` (list of 'YYYY-MM'), ``months`` (list, the months
        tested), ``n_hot``, ``n_months``, ``definition`` (one sentence), and
        ``by_month`` DataFrame (``month``, ``area``, ``expected``, ``p``, ``hot``).
    safeguarding
        Safeguarding incidents inside the area (counted, never placed).
    statutory
        list of dicts, one per s59 point in order ("Detrimental effect on the
        quality of life", "Persistent or continuing", "Unreasonable",
        "Justifies the restrictions"): ``test``, ``shows`` (what the data shows,
        with the figures), ``cannot_show`` (what it cannot show and what other
        evidence is needed).
    limitations
        list of plain sentences: what this data can and cannot show.
    consultees
        list of plain sentences: who must be consulted / notified (s72).
    points
        ndarray (n, 2) of non-safeguarding incident positions inside the area
        (EPSG:27700), for restricted maps.
    provenance
        A `hotspots.provenance.provenance` record plus the area's source.
    """

    area: Area
    district_code: str
    district_name: str
    months: list[str]
    filters: dict[str, Any]
    comparison: pd.DataFrame
    themes: pd.DataFrame
    categories: pd.DataFrame
    monthly: pd.DataFrame
    trend: dict[str, Any]
    day_hour: pd.DataFrame | None
    day_hour_n: int
    top_locations: list[tuple[str, int]]
    persistence: dict[str, Any]
    safeguarding: int
    statutory: list[dict[str, str]]
    limitations: list[str]
    consultees: list[str]
    points: Any
    provenance: dict[str, Any]


@dataclass(frozen=True)
class Evaluation:
    """A before/after evaluation of an order with displacement. Exact counts.

    Notation (Bowers & Johnson 2003): R = the order's area (the target), B = the
    buffer (displacement catchment), C = the control; subscript b = before,
    a = after.

    Attributes
    ----------
    area
        The order's `Area`.
    buffer_m
        Width of the buffer ring in metres.
    buffer, control
        Their geometries (EPSG:27700): buffer = area.buffer(buffer_m) minus the
        area; control = the given control minus area and buffer (default: the
        rest of the district holding the area).
    control_source
        Plain text: "the rest of Thanet (district), outside the area and buffer".
    start
        The order's first month, 'YYYY-MM'.
    before_months, after_months
        The months compared ('YYYY-MM'), present in the data, equally many
        unless the user gave otherwise.
    counts
        DataFrame index ``["area", "buffer", "control"]``, columns ``before``,
        ``after`` (int), ``change`` (int), ``change_pct`` (NaN when before is 0),
        ``per_month_before``, ``per_month_after``, ``p`` (exact test of the
        change in counts, adjusted for unequal period lengths: conditional
        binomial with p0 = months_after / (months_before + months_after)),
        ``area_km2``.
    relative
        DataFrame index ``["area vs control", "buffer vs control"]``, columns
        ``odds_ratio`` ((Xb·Ca)/(Xa·Cb); > 1 = X fell relative to control),
        ``ci_low``, ``ci_high`` (95%), ``z``, ``p`` (two-sided; log OR variance
        1/Xb + 1/Xa + 1/Cb + 1/Ca, Farrington & Welsh), ``corrected`` (bool:
        0.5 added to every cell because one was 0).
    success_measure
        Ra/Ca − Rb/Cb (negative = the area improved relative to control); NaN
        when Ca or Cb is 0.
    buffer_measure
        Ba/Ca − Bb/Cb.
    wdq
        buffer_measure / success_measure; NaN when undefined (no improvement
        in the area relative to control, i.e. success_measure >= 0, or control
        counts 0). See `wdq`.
    total_net_effect
        (Rb·Ca/Cb − Ra) + (Bb·Ca/Cb − Ba): incidents prevented net of
        displacement (positive = net reduction), NaN when Cb is 0.
    verdict
        One of "reduction", "reduction with displacement", "reduction with
        diffusion of benefit", "no evidence of reduction", "increase",
        "too few incidents to tell".
    sentence
        The verdict in plain words with the figures.
    notes
        Edge cases met (control with no change, zero counts, missing months,
        unequal periods), plain sentences.
    provenance
        A provenance record with every parameter.
    """

    area: Area
    buffer_m: float
    buffer: BaseGeometry
    control: BaseGeometry
    control_source: str
    start: str
    before_months: list[str]
    after_months: list[str]
    counts: pd.DataFrame
    relative: pd.DataFrame
    success_measure: float
    buffer_measure: float
    wdq: float
    total_net_effect: float
    verdict: str
    sentence: str
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


#: Fewer incidents than this in the area (before + after) and no verdict is given.
MIN_EVALUATION_INCIDENTS = 10
#: Themes and categories shown in the mix tables.
TOP_CATEGORIES = 12
#: Location texts listed in the profile.
TOP_LOCATIONS = 10
#: z for a two-sided 95% confidence interval.
_Z95 = 1.959963984540054
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: police.uk's prefix, which alone is not a location.
_BARE_LOCATION = re.compile(r"^\s*(on or near)?\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------
# the statistics (pure, on counts)
# ---------------------------------------------------------------------------


def wdq(rb: float, ra: float, bb: float, ba: float, cb: float, ca: float) -> float:
    """Weighted Displacement Quotient (Bowers & Johnson 2003).

    ::

        success measure  SM  = Ra/Ca − Rb/Cb     (< 0: the area improved
                                                  relative to the control)
        buffer measure   BM  = Ba/Ca − Bb/Cb
        WDQ = BM / SM

    Interpretation: WDQ > 0 diffusion of benefit (the buffer improved too);
    WDQ < 0 displacement (the buffer worsened); WDQ < −1 the displacement
    exceeds the benefit in the area; 0 no effect on the buffer.

    Parameters
    ----------
    rb, ra
        Incidents in the area (R) before and after.
    bb, ba
        Incidents in the buffer (B) before and after.
    cb, ca
        Incidents in the control (C) before and after.

    Returns
    -------
    float
        The WDQ; NaN when Ca or Cb is 0 (the ratios are undefined) or when the
        success measure is >= 0: the area did not improve relative to the
        control, so there is no benefit that could have been displaced.
    """
    if ca == 0 or cb == 0:
        return float("nan")
    success = ra / ca - rb / cb
    if success >= 0:
        return float("nan")
    return float((ba / ca - bb / cb) / success) + 0.0  # + 0.0: no '-0'


def total_net_effect(
    rb: float, ra: float, bb: float, ba: float, cb: float, ca: float
) -> float:
    """Total net effect of an intervention on area and buffer together.

    ``(Rb·Ca/Cb − Ra) + (Bb·Ca/Cb − Ba)`` (Guerette 2009; Bowers, Johnson,
    Guerette et al. 2011): each zone's before count scaled by the control's
    change is what it would have had without the order; the effect is what it
    had less. Positive = incidents prevented, net of any displacement to the
    buffer; negative = a net increase.

    Parameters
    ----------
    rb, ra, bb, ba, cb, ca
        Area, buffer and control counts before (b) and after (a); see `wdq`.

    Returns
    -------
    float
        Incidents; NaN when Cb is 0 (the control's change is undefined).
    """
    if cb == 0:
        return float("nan")
    scale = ca / cb
    return float((rb * scale - ra) + (bb * scale - ba))


def relative_effect(xb: float, xa: float, cb: float, ca: float) -> dict[str, Any]:
    """Odds ratio of a zone's change against the control's, with its test.

    ``OR = (Xb·Ca) / (Xa·Cb)``: above 1 the zone fell relative to the control
    (e.g. 1.25: the control's after/before ratio is 1.25 times the zone's).
    The variance of ln OR is ``1/Xb + 1/Xa + 1/Cb + 1/Ca`` (Farrington & Welsh
    2002), which assumes Poisson counts; crime counts are usually
    over-dispersed, so the interval is if anything too narrow. If any count is
    0, 0.5 is added to all four (Haldane–Anscombe) and ``corrected`` is True.

    Parameters
    ----------
    xb, xa
        The zone's (area's or buffer's) incidents before and after.
    cb, ca
        The control's incidents before and after.

    Returns
    -------
    dict
        ``odds_ratio``, ``ci_low``, ``ci_high`` (95%), ``z`` (= ln OR / SE),
        ``p`` (two-sided, normal) and ``corrected`` (bool).
    """
    cells = [float(v) for v in (xb, xa, cb, ca)]
    if any(v < 0 or not math.isfinite(v) for v in cells):
        raise HotspotsError(f"Counts must be finite and 0 or more, got {cells}.")
    corrected = any(v == 0 for v in cells)
    if corrected:
        cells = [v + 0.5 for v in cells]
    b, a, c_b, c_a = cells
    log_or = math.log((b * c_a) / (a * c_b))
    se = math.sqrt(sum(1.0 / v for v in cells))
    z = log_or / se
    return {
        "odds_ratio": math.exp(log_or),
        "ci_low": math.exp(log_or - _Z95 * se),
        "ci_high": math.exp(log_or + _Z95 * se),
        "z": z,
        "p": float(2.0 * special.ndtr(-abs(z))),
        "corrected": corrected,
    }


def change_p(before: int, after: int, months_before: int, months_after: int) -> float:
    """Two-sided p-value of the change in one zone's count, exact.

    If the rate per month did not change, then given ``n = before + after``
    the after count is ``Binomial(n, months_after / (months_before +
    months_after))`` (the conditional test for two Poisson counts,
    Przyborowski & Wilenski 1940; with equal windows p0 = 0.5 and this is
    `hotspots.areas.change_test`). The two-sided p is scipy's
    ``binomtest(after, n, p0).pvalue`` (the outcomes no more likely than the
    one observed).

    Parameters
    ----------
    before, after
        Incidents in the before and after windows (0 or more).
    months_before, months_after
        The windows' lengths in months (more than 0).

    Returns
    -------
    float
        p in (0, 1]; 1.0 when both counts are 0.
    """
    require_positive(months_before=months_before, months_after=months_after)
    if before < 0 or after < 0:
        raise HotspotsError(f"Counts must be 0 or more, got {before} and {after}.")
    n = int(before) + int(after)
    if n == 0:
        return 1.0
    p0 = months_after / (months_before + months_after)
    return float(binomtest(int(after), n, p0).pvalue)


# ---------------------------------------------------------------------------
# areas: from files, drawings, wards and hotspots
# ---------------------------------------------------------------------------


def _kent_districts() -> gpd.GeoDataFrame:
    return load_boundary("districts")


def _make_area(name: str, kind: str, geometry: BaseGeometry, source: str) -> Area:
    """An `Area`, refused when it does not touch Kent & Medway."""
    if kind not in AREA_KINDS:
        raise HotspotsError(f"Unknown area kind {kind!r}; choose one of {AREA_KINDS}.")
    districts = _kent_districts()
    if not districts.geometry.intersects(geometry).any():
        raise HotspotsError(
            f"{name}: the area lies entirely outside Kent & Medway{_where(geometry)}. "
            "Give the boundary of an area in one of the 13 Kent & Medway districts "
            "(check it was saved with the right coordinate system)."
        )
    return Area(name=name, kind=kind, geometry=geometry, source=source)


def _where(geometry: BaseGeometry) -> str:
    """Where a shape outside Kent is (" (it is in X)"), when the UK layer says."""
    try:
        uk = load_boundary("uk-districts")
    except HotspotsError:
        return ""
    hit = uk[uk.geometry.intersects(geometry.representative_point())]
    return f" (it is in {hit['lad_name'].iloc[0]})" if len(hit) else ""


def _first_name(layer: gpd.GeoDataFrame) -> str | None:
    for column in ("name", "Name", "NAME", "title", "Title"):
        if column in layer.columns:
            values = layer[column].dropna().astype(str).str.strip()
            values = values[values != ""]
            if len(values):
                return str(values.iloc[0])
    return None


def read_area(
    name: str, data: bytes, *, kind: str = "uploaded", area_name: str | None = None
) -> Area:
    """An order's area from an uploaded boundary file.

    Every polygon of the first layer holding polygons is made valid
    (``make_valid``) and dissolved into one (Multi)Polygon in EPSG:27700.

    Parameters
    ----------
    name
        The file's name (for messages and the area's ``source``).
    data
        The file's bytes: GeoJSON, GeoPackage, KML/KMZ or a zipped shapefile
        (see `read_layer`).
    kind
        The area's kind, one of `AREA_KINDS`; default ``"uploaded"``.
    area_name
        What to call the area; ``None`` (default): the first feature's
        ``name`` (or ``Name``, ``title``) attribute, else the file's name
        without its extension.

    Returns
    -------
    Area

    Raises
    ------
    HotspotsError
        Unreadable or empty file, no coordinate system, no polygon (points or
        lines only), or an area entirely outside Kent & Medway.
    """
    layer = read_layer(name, data, prefer_polygons=True)
    geometry = polygon_union(layer.geometry.to_numpy())
    if geometry is None:
        found = ", ".join(sorted(set(layer.geom_type.astype(str))))
        raise HotspotsError(
            f"{name}: the layer holds no polygon (only {found}). Give the order's "
            "boundary as a polygon: a closed shape around the area."
        )
    polygonal = layer[
        np.isin(shapely.get_type_id(layer.geometry.to_numpy()), [3, 6, 7])
    ]
    label = area_name or _first_name(polygonal) or Path(name).stem or "Uploaded area"
    return _make_area(label, kind, geometry, f"uploaded file {name}")


def area_from_geojson(geojson: dict[str, Any], *, name: str = "Drawn area") -> Area:
    """An area drawn on the web map (folium Draw output, WGS84 lon/lat).

    Parameters
    ----------
    geojson
        A GeoJSON geometry, Feature or FeatureCollection (every polygon in it
        is dissolved into one).
    name
        What to call the area; default ``"Drawn area"``.

    Returns
    -------
    Area
        Kind ``"drawn"``, source ``"drawn on the map"``, in EPSG:27700
        (converted with `hotspots.crs.lonlat_to_bng`).

    Raises
    ------
    HotspotsError
        Not GeoJSON, no polygon, or outside Kent & Medway.
    """
    if not isinstance(geojson, dict):
        raise TypeError(f"`geojson` must be a dict, got {type(geojson).__name__}.")
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        shapes = [f.get("geometry") for f in geojson.get("features") or []]
    elif kind == "Feature":
        shapes = [geojson.get("geometry")]
    else:
        shapes = [geojson]
    try:
        geoms = [shapely.geometry.shape(s) for s in shapes if s]
    except (
        AttributeError,
        KeyError,
        TypeError,
        ValueError,
        shapely.errors.GEOSException,
    ) as err:
        raise HotspotsError(
            f"{name}: not a GeoJSON shape ({err}). Draw the area again."
        ) from None
    if not geoms:
        raise HotspotsError(f"{name}: nothing was drawn; draw the area as a polygon.")
    lonlat = polygon_union(geoms)
    if lonlat is None:
        raise HotspotsError(
            f"{name}: the drawing holds no polygon; draw the order's boundary as a "
            "polygon or rectangle, not as points or lines."
        )
    geometry = lonlat_geometries_to_bng(name, np.asarray([lonlat], dtype=object))[0]
    geometry = polygon_union([geometry])
    if geometry is None:  # pragma: no cover - a polygon stays a polygon
        raise HotspotsError(f"{name}: the drawn polygon has no area; draw it again.")
    return _make_area(name, "drawn", geometry, "drawn on the map")


def area_from_ward(ward_code: str) -> Area:
    """A ward (May 2024 boundaries) as an area.

    Parameters
    ----------
    ward_code
        ONS ward code, e.g. ``"E05005093"``.

    Returns
    -------
    Area
        Kind ``"ward"``, named "<ward name> ward", source "ward <code>
        (<ward>, <district>)".

    Raises
    ------
    HotspotsError
        When the code is not one of the 279 Kent & Medway wards.
    """
    wards = load_boundary("wards")
    code = str(ward_code).strip().upper()
    hit = wards[wards["ward_code"] == code]
    if hit.empty:
        raise HotspotsError(
            f"Unknown ward code {ward_code!r}: not one of the {len(wards)} Kent & "
            "Medway wards (May 2024). Ward codes look like E05005093; the Wards "
            "tab lists them."
        )
    row = hit.iloc[0]
    geometry = polygon_union([row.geometry])
    if geometry is None:  # pragma: no cover - bundled wards are polygons
        raise HotspotsError(f"Ward {code} has no boundary; run `make data`.")
    return Area(
        name=f"{row['ward_name']} ward",
        kind="ward",
        geometry=geometry,
        source=f"ward {code} ({row['ward_name']}, {row['lad_name']})",
    )


def area_from_hotspot(hotspots: gpd.GeoDataFrame, rank: int, *, label: str) -> Area:
    """A detected hotspot as an area.

    Parameters
    ----------
    hotspots
        Hotspot polygons as produced by `hotspots.detect` (or the dashboard's
        ``MapResult.hotspots``): ``hotspot_id`` is the rank (1 = most
        incidents). Without that column, ``rank`` or else the row order is used.
    rank
        Which hotspot, 1 = the first.
    label
        The method and its key setting, for provenance, e.g. ``"KDE (bandwidth
        200 m)"``.

    Returns
    -------
    Area
        Kind ``"hotspot"``, named "Hotspot <rank>", source "<label>, hotspot
        <rank>".

    Raises
    ------
    HotspotsError
        No hotspot of that rank, or hotspots without a CRS.
    """
    if not isinstance(hotspots, gpd.GeoDataFrame):
        raise TypeError(
            f"`hotspots` must be a GeoDataFrame, got {type(hotspots).__name__}."
        )
    column = next((c for c in ("hotspot_id", "rank") if c in hotspots.columns), None)
    if column is not None:
        rows = hotspots[hotspots[column] == rank]
    else:
        rows = hotspots.iloc[rank - 1 : rank] if rank >= 1 else hotspots.iloc[:0]
    if rows.empty:
        raise HotspotsError(
            f"There is no hotspot ranked {rank}; the map has {len(hotspots)} "
            f"(ranks 1..{len(hotspots)}). Choose one from the ranked table."
        )
    rows = to_working_crs(rows)
    geometry = polygon_union(rows.geometry.to_numpy())
    if geometry is None:
        raise HotspotsError(f"Hotspot {rank} has no polygon; choose another one.")
    return _make_area(
        f"Hotspot {rank}", "hotspot", geometry, f"{label}, hotspot {rank}"
    )


# ---------------------------------------------------------------------------
# residents
# ---------------------------------------------------------------------------


@cache
def _postcodes() -> pd.DataFrame:
    """Bundled Code-Point Open postcodes (easting, northing, ward_code)."""
    try:
        table = pd.read_parquet(
            bundled.POSTCODES, columns=["easting", "northing", "ward_code"]
        )
    except FileNotFoundError:
        raise HotspotsError(
            f"{bundled.POSTCODES}: bundled postcode table missing. Run `make data`."
        ) from None
    return table.dropna(subset=["ward_code"])


def area_residents(geometry: BaseGeometry) -> float:
    """Census 2021 usual residents estimated to live inside a polygon.

    For each ward: its residents (`hotspots.summary.load_population`) × the
    share of the ward's postcodes (bundled OS Code-Point Open) lying inside
    the polygon, summed over wards. It is an **estimate**: it assumes each
    postcode of a ward houses as many residents as any other (business and
    large-user postcodes count as much as residential ones), and counts where
    people live, not who is there during the day (a town centre's visitors are
    not in it).

    Parameters
    ----------
    geometry
        A polygon in EPSG:27700.

    Returns
    -------
    float
        Estimated residents (0.0 when no postcode lies inside).
    """
    postcodes = _postcodes()
    population = load_population("ward").set_index("ward_code")["residents"]
    shapely.prepare(geometry)
    inside = shapely.intersects_xy(
        geometry,
        postcodes["easting"].to_numpy(dtype=float),
        postcodes["northing"].to_numpy(dtype=float),
    )
    if not inside.any():
        return 0.0
    wards = postcodes["ward_code"].astype(str)
    total = wards.value_counts()
    within = wards[inside].value_counts()
    share = within / total.reindex(within.index)
    people = population.reindex(share.index).fillna(0).astype(float)
    return float((share * people).sum())


# ---------------------------------------------------------------------------
# shared helpers: incidents, months, districts, point-in-polygon
# ---------------------------------------------------------------------------


def _require_incidents(incidents: Any, columns: Sequence[str]) -> None:
    require_points(incidents, name="incidents")
    missing = [c for c in columns if c not in incidents.columns]
    if missing:
        raise HotspotsError(
            f"`incidents` has no column {', '.join(repr(c) for c in missing)}; pass "
            "canonical incidents (hotspots.ingest or hotspots.store)."
        )


def _available(ordinal: NDArray[np.int64], given: Iterable[Month] | None) -> set[int]:
    """Month ordinals the source has data for (default: those in the incidents)."""
    if given is None:
        return {int(o) for o in np.unique(ordinal)}
    return {_month(v, name="available_months").ordinal for v in given}


def _period(ordinal: int) -> pd.Period:
    return pd.Period(ordinal=ordinal, freq="M")


def _span(months: Sequence[pd.Period | str]) -> str:
    return month_span(months, "(no months)")


def _zone_of(
    points: gpd.GeoDataFrame, zones: Sequence[BaseGeometry]
) -> NDArray[np.int64]:
    """Index of the first zone each (located) point lies in or on; -1 if none.

    As `hotspots.profile.polygon_membership`, the test runs once per distinct
    position (police.uk puts many incidents on one snap point), here against
    prepared polygons with ``shapely.intersects_xy``.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not zones:
        return out
    ids = location_ids(points)
    _, first = np.unique(ids, return_index=True)
    xy = points.geometry.get_coordinates().to_numpy()[first]
    zone = np.full(len(first), -1, dtype=np.int64)
    for k, geometry in enumerate(zones):
        if geometry is None or geometry.is_empty:
            continue
        todo = np.flatnonzero(zone < 0)
        minx, miny, maxx, maxy = geometry.bounds
        near = todo[
            (xy[todo, 0] >= minx)
            & (xy[todo, 0] <= maxx)
            & (xy[todo, 1] >= miny)
            & (xy[todo, 1] <= maxy)
        ]
        shapely.prepare(geometry)
        hit = shapely.intersects_xy(geometry, xy[near, 0], xy[near, 1])
        zone[near[hit]] = k
    return zone[ids]


def _inside(incidents: gpd.GeoDataFrame, geometry: BaseGeometry) -> NDArray[np.bool_]:
    """True for the located incidents lying in or on `geometry`."""
    geoms = incidents.geometry
    located = ~(geoms.isna() | geoms.is_empty).to_numpy()
    out = np.zeros(len(incidents), dtype=bool)
    if located.any():
        out[located] = _zone_of(incidents[located], [geometry]) == 0
    return out


@dataclass(frozen=True)
class _Comparator:
    code: str
    name: str
    geometry: BaseGeometry
    km2: float
    land_km2: float  # the area's part inside this district
    county_land_km2: float  # the area's part inside Kent & Medway


def _comparator(area: Area) -> _Comparator:
    """The district holding the largest part of the area."""
    districts = _kent_districts()
    touching = districts[districts.geometry.intersects(area.geometry)]
    if touching.empty:
        raise HotspotsError(
            f"{area.name}: the area lies entirely outside Kent & Medway; give an "
            "area in one of the 13 districts."
        )
    overlap = touching.geometry.intersection(area.geometry).area.to_numpy() / 1e6
    i = int(np.argmax(overlap))
    row = touching.iloc[i]
    km2 = (
        float(row["area_km2"])
        if "area_km2" in touching.columns
        else float(row.geometry.area) / 1e6
    )
    return _Comparator(
        code=str(row["lad_code"]),
        name=str(row["lad_name"]),
        geometry=row.geometry,
        km2=km2,
        land_km2=float(overlap[i]),
        county_land_km2=float(overlap.sum()),
    )


def _county_km2() -> float:
    districts = _kent_districts()
    if "area_km2" in districts.columns:
        return float(districts["area_km2"].sum())
    return float(districts.geometry.area.sum()) / 1e6


def _residents(level: str, codes: Sequence[str]) -> float:
    key = "lad_code" if level == "district" else "ward_code"
    table = load_population(level)
    return float(table.loc[table[key].isin(list(codes)), "residents"].sum())


def _fmt_p(p: float) -> str:
    if not math.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _fmt_pct(x: float, *, signed: bool = False) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{abs(x):.0f}%"
    if signed:
        return ("−" if x < 0 else "+") + text if round(abs(x)) else "0%"
    return text


def _share(x: float) -> str:
    """A share 0..1 as a percentage with sensible precision."""
    if not math.isfinite(x):
        return "n/a"
    pct = 100 * x
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


# ---------------------------------------------------------------------------
# the area profile
# ---------------------------------------------------------------------------

_PROFILE_COLUMNS = ("month", "lad_code", "theme", "category", "sensitivity", "source")


def _mix(
    values: pd.Series, masks: dict[str, NDArray[np.bool_]], index: list[str]
) -> pd.DataFrame:
    """Counts and shares of `values` within each level's mask, on `index`."""
    out = pd.DataFrame(index=pd.Index(index, dtype="string"))
    for level, mask in masks.items():
        counts = values[mask].value_counts()
        counts.index = counts.index.astype("string")
        n = int(mask.sum())
        column = counts.reindex(out.index, fill_value=0).astype(np.int64)
        out[level] = column.to_numpy()
        out[f"{level}_share"] = column.to_numpy() / n if n else np.nan
    return out


def _has_time(incidents: pd.DataFrame) -> NDArray[np.bool_]:
    """True where ``occurred_at`` holds a time of day.

    Ingest stores a date without a time as midnight of that day (see
    `hotspots.dates.combine_date_time`), so a value at exactly 00:00:00 is read
    as "date only"; an incident really recorded at midnight is lost to the
    table, which is the price of not inventing times.
    """
    if "occurred_at" not in incidents.columns:
        return np.zeros(len(incidents), dtype=bool)
    stamps = pd.to_datetime(incidents["occurred_at"], errors="coerce")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    timed = stamps.notna() & (stamps != stamps.dt.normalize())
    return timed.to_numpy(dtype=bool)


def _day_hour(stamps: pd.Series) -> pd.DataFrame:
    table = pd.crosstab(
        pd.Categorical(stamps.dt.day_of_week, categories=range(7)),
        pd.Categorical(stamps.dt.hour, categories=range(24)),
        dropna=False,
    )
    table.index = pd.Index(_DAYS, name="day")
    table.columns = pd.Index(range(24), name="hour")
    return table.astype(np.int64)


def _top_locations(texts: pd.Series) -> list[tuple[str, int]]:
    cleaned = texts.astype("string").fillna("").str.strip()
    cleaned = cleaned[~cleaned.str.fullmatch(_BARE_LOCATION.pattern, case=False)]
    if cleaned.empty:
        return []
    counts = cleaned.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return [(str(k), int(v)) for k, v in ordered[:TOP_LOCATIONS]]


def _trend(
    counts: list[int], months: list[pd.Period], residents_note: str = ""
) -> dict[str, Any]:
    """Mann-Kendall and the recent-third test on the area's monthly counts."""
    n = len(counts)
    if n >= 3:
        mk = mann_kendall(np.asarray(counts, dtype=float))
        s, p_mk = float(mk.s), float(mk.p)
        tau = s / (n * (n - 1) / 2)
        if p_mk < ALPHA:
            direction = "increasing" if s > 0 else "decreasing"
        else:
            direction = "no trend"
    else:
        tau, p_mk, direction = float("nan"), float("nan"), "too few months"
    earlier_months, recent_months = recent_split(months)
    recent_set = {m.ordinal for m in recent_months}
    recent = sum(
        c for c, m in zip(counts, months, strict=True) if m.ordinal in recent_set
    )
    total = sum(counts)
    ratio, p, label = trend_test(
        recent, total, recent_months=len(recent_months), all_months=len(months)
    )
    if direction == "too few months":
        first = f"Too few months ({n}) for a Mann-Kendall trend test (it needs 3)."
    else:
        first = (
            f"Mann-Kendall over the {n} months with data: {direction} "
            f"(tau {tau:+.2f}, {_fmt_p(p_mk)})."
        )
    if label == "n/a":
        second = "No recent third to compare (fewer than 3 months)."
    elif label == "too few to tell":
        second = (
            f"Recent third ({month_runs(recent_months)}): {recent} incidents, too few "
            "in all to test."
        )
    else:
        second = (
            f"Recent third ({month_runs(recent_months)}): {recent} incidents against "
            f"{total - recent} in the earlier {len(earlier_months)} months, "
            f"{ratio:.2f} times the earlier rate per month ({_fmt_p(p)}): {label}."
        )
    return {
        "mann_kendall_tau": tau,
        "mann_kendall_p": p_mk,
        "direction": direction,
        "recent_months": [str(m) for m in recent_months],
        "earlier_months": [str(m) for m in earlier_months],
        "recent": int(recent),
        "earlier": int(total - recent),
        "rate_ratio": float(ratio),
        "p": float(p),
        "label": label,
        "sentence": f"{first} {second}",
    }


def _persistence(
    area_counts: list[int], district_counts: list[int], months: list[pd.Period],
    land_share: float, district: str,
) -> dict[str, Any]:  # fmt: skip
    rows = []
    for k, n, m in zip(area_counts, district_counts, months, strict=True):
        expected = n * land_share
        if n > 0 and 0 < land_share < 1:
            p = float(binomtest(k, n, land_share, alternative="greater").pvalue)
        else:
            p = float("nan")
        rows.append((str(m), k, expected, p, bool(p < ALPHA)))
    by_month = pd.DataFrame(rows, columns=["month", "area", "expected", "p", "hot"])
    by_month = by_month.astype(
        {"area": np.int64, "expected": float, "p": float, "hot": bool}
    )
    hot = by_month.loc[by_month["hot"], "month"].tolist()
    return {
        "months_hot": hot,
        "months": by_month["month"].tolist(),
        "n_hot": len(hot),
        "n_months": len(by_month),
        "definition": (
            f"A month counts as a hotspot month when the area held significantly "
            f"more of {district}'s incidents than its share of {district}'s land "
            f"({_share(land_share)}): one-sided exact binomial test, p < {ALPHA}, "
            "expected = the district's incidents that month × the land share."
        ),
        "by_month": by_month,
    }


def profile_area(
    incidents: gpd.GeoDataFrame,
    area: Area,
    *,
    months: Months | Month | None = None,
    available_months: Iterable[Month] | None = None,
    filters: dict[str, Any] | None = None,
) -> AreaProfile:
    """Profile an area as evidence for a Public Spaces Protection Order.

    Parameters
    ----------
    incidents
        Canonical incidents (EPSG:27700) already filtered by theme, category
        and source, but **not** by month or area (the district and county
        comparisons need the rest), as for `hotspots.areas.area_statistics`.
    area
        The area (see `read_area` and the other ``area_from_*``).
    months
        The months to profile: ``(from, to)``, a list, or one month (see
        `hotspots.areas.month_list`); ``None`` (default): every month with data.
        Months missing from the data are left out of every count and test.
    available_months
        The months the source holds (e.g. ``Store.info()["months"]``); ``None``
        (default): the months present in `incidents`.
    filters
        The selection as the user gave it (themes, categories, sources), for
        the record; ``months`` is added.

    Returns
    -------
    AreaProfile
        See the class for every field. Definitions:

        - the **comparator** is the district holding the largest part of the
          area; district and county (the 13 districts) counts are by the
          incidents' ``lad_code``, their areas from the bundled boundaries;
        - the area row's ``area_km2`` is the whole polygon (`Area.area_km2`):
          an order may cover a beach below the coastline, where incidents are
          recorded too. ``share_of_district_land`` uses the polygon's part
          inside the district, as the district's own km² stop at the coastline
          (the bundled boundaries are clipped to it);
        - ``share_of_district_incidents`` counts the area's incidents that lie
          in the comparator district (all of them unless the area straddles a
          district boundary);
        - **safeguarding** incidents count in every aggregate (comparison,
          mixes, monthly series, trend, persistence), as they do in the ward
          tables of `hotspots.areas`, but never in ``points``,
          ``top_locations`` or ``day_hour`` (no place or time of a single
          safeguarding concern is shown); ``safeguarding`` says how many of the
          area's incidents they are;
        - ``day_hour`` counts incidents whose ``occurred_at`` has a time of day
          (not exactly midnight, which ingest uses for a date without a time).

    Raises
    ------
    HotspotsError
        Incidents not in a metre CRS or missing a column, bad months, no
        selected month with data, or an area outside Kent & Medway.
    """
    _require_incidents(incidents, _PROFILE_COLUMNS)
    if not isinstance(area, Area):
        raise TypeError(f"`area` must be an Area, got {type(area).__name__}.")
    ordinal = _month_ordinals(incidents["month"])
    available = _available(ordinal, available_months)
    if months is None:
        base = available if available_months is not None else set(ordinal.tolist())
        chosen = [_period(o) for o in sorted(base)]
    else:
        chosen = month_list(months, name="months")
    selected = [m for m in chosen if m.ordinal in available]
    if not selected:
        held = month_runs([_period(o) for o in sorted(available)])
        raise HotspotsError(
            f"No data for the months chosen ({_span(chosen)}); the data holds "
            f"{held}. Choose months with data."
        )
    span = list(pd.period_range(chosen[0], chosen[-1], freq="M"))
    span_ord = np.array([m.ordinal for m in span], dtype=np.int64)
    sel_ord = np.array([m.ordinal for m in selected], dtype=np.int64)

    keep = np.isin(ordinal, span_ord)
    sub = incidents[keep]
    month = ordinal[keep]
    sel = np.isin(month, sel_ord)
    inside = _inside(sub, area.geometry)
    lad = sub["lad_code"].astype("string").fillna("").to_numpy(dtype=str)
    comp = _comparator(area)
    county_codes = [str(c) for c in _kent_districts()["lad_code"]]
    in_district = lad == comp.code
    in_county = np.isin(lad, county_codes)
    safeguarding = disclosure.safeguarding_rows(sub)

    # --- comparison --------------------------------------------------------
    n_area = int((inside & sel).sum())
    n_area_district = int((inside & in_district & sel).sum())
    n_district = int((in_district & sel).sum())
    n_county = int((in_county & sel).sum())
    residents_area = area_residents(area.geometry)
    residents_district = _residents("district", [comp.code])
    residents_county = _residents("district", county_codes)
    county_km2 = _county_km2()
    share_inc = _ratio(n_area_district, n_district)
    share_land = _ratio(comp.land_km2, comp.km2)
    comparison = pd.DataFrame(
        {
            "incidents": [n_area, n_district, n_county],
            "in_district": [n_area_district, n_district, n_district],
            "area_km2": [area.area_km2, comp.km2, county_km2],
            "residents": [residents_area, residents_district, residents_county],
            "share_of_district_incidents": [share_inc, 1.0, np.nan],
            "share_of_district_land": [share_land, 1.0, np.nan],
        },
        index=pd.Index(["area", "district", "county"]),
    )
    comparison[["incidents", "in_district"]] = comparison[
        ["incidents", "in_district"]
    ].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        comparison["per_km2"] = comparison["incidents"] / comparison["area_km2"]
        comparison["per_1000"] = np.where(
            comparison["residents"] > 0,
            1000 * comparison["incidents"] / comparison["residents"],
            np.nan,
        )
        comparison["concentration"] = (
            comparison["share_of_district_incidents"]
            / comparison["share_of_district_land"]
        )
    comparison = comparison[
        ["incidents", "in_district", "area_km2", "residents", "per_km2", "per_1000",
         "share_of_district_incidents", "share_of_district_land", "concentration"]
    ]  # fmt: skip
    concentration = float(comparison["concentration"].to_numpy()[0])

    # --- mixes -------------------------------------------------------------
    masks = {
        "area": inside & sel,
        "district": in_district & sel,
        "county": in_county & sel,
    }
    theme = sub["theme"].astype("string").fillna("(none)")
    present = set(theme[masks["area"] | masks["district"]])
    theme_index = [t for t in THEMES if t in present] + sorted(present - set(THEMES))
    themes = _mix(theme, masks, theme_index)
    category = sub["category"].astype("string").fillna("(none)")
    area_cats = category[masks["area"]].value_counts()
    top_cats = sorted(area_cats.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    categories = _mix(category, masks, [str(k) for k, _ in top_cats[:TOP_CATEGORIES]])

    # --- monthly -----------------------------------------------------------
    pos = pd.Index(span_ord).get_indexer(pd.Index(month))
    area_month = np.bincount(pos[inside], minlength=len(span))
    district_month = np.bincount(pos[in_district], minlength=len(span))
    area_district_month = np.bincount(pos[inside & in_district], minlength=len(span))
    missing = ~np.isin(span_ord, list(available))
    area_col = pd.array(area_month, dtype="Int64")
    district_col = pd.array(district_month, dtype="Int64")
    area_col[missing] = pd.NA
    district_col[missing] = pd.NA
    per_1000 = pd.array(
        1000 * area_month / residents_area if residents_area > 0 else
        np.full(len(span), np.nan), dtype="Float64",
    )  # fmt: skip
    per_1000[missing | (residents_area <= 0)] = pd.NA
    monthly = pd.DataFrame(
        {
            "month": [str(m) for m in span],
            "area": area_col,
            "district": district_col,
            "area_per_1000": per_1000,
        }
    )
    sel_pos = pd.Index(span_ord).get_indexer(pd.Index(sel_ord))

    trend = _trend([int(area_month[i]) for i in sel_pos], selected)
    persistence = _persistence(
        [int(area_district_month[i]) for i in sel_pos],
        [int(district_month[i]) for i in sel_pos],
        selected,
        share_land,
        comp.name,
    )

    # --- what may be shown: never a safeguarding incident's place or time -----
    public = inside & sel & ~safeguarding
    timed = public & _has_time(sub)
    day_hour_n = int(timed.sum())
    day_hour = (
        _day_hour(pd.to_datetime(sub["occurred_at"][timed])) if day_hour_n else None
    )
    top_locations = (
        _top_locations(sub["location_text"][public])
        if "location_text" in sub.columns
        else []
    )
    points = sub.geometry[public].get_coordinates().to_numpy().reshape(-1, 2)
    n_safeguarding = int((inside & sel & safeguarding).sum())

    record_filters = {**(filters or {}), "months": [str(m) for m in selected]}
    record = provenance(
        incidents[np.isin(ordinal, sel_ord)],
        filters=record_filters,
        method="PSPO area profile",
        parameters={
            "alpha": ALPHA,
            "comparator_district": f"{comp.code} {comp.name}",
            "comparator_district_automatic": True,
            "months_missing_from_data": [str(m) for m in chosen if m not in selected],
            "residents_method": "ward residents × share of the ward's postcodes inside",
        },
    )
    record["area"] = _area_record(area)

    context = _Context(
        area=area, comp=comp, months=selected, comparison=comparison,
        themes=themes, categories=categories, trend=trend, persistence=persistence,
        day_hour=day_hour, concentration=concentration, n_safeguarding=n_safeguarding,
        missing=[m for m in span if m.ordinal not in available],
        sources=sorted(sub["source"][masks["area"]].astype(str).unique()),
    )  # fmt: skip
    return AreaProfile(
        area=area,
        district_code=comp.code,
        district_name=comp.name,
        months=[str(m) for m in selected],
        filters=record_filters,
        comparison=comparison,
        themes=themes,
        categories=categories,
        monthly=monthly,
        trend=trend,
        day_hour=day_hour,
        day_hour_n=day_hour_n,
        top_locations=top_locations,
        persistence=persistence,
        safeguarding=n_safeguarding,
        statutory=_statutory(context),
        limitations=_limitations(context),
        consultees=_consultees(context),
        points=points,
        provenance=record,
    )


def _area_record(area: Area) -> dict[str, Any]:
    return {
        "name": area.name,
        "kind": area.kind,
        "source": area.source,
        "area_km2": round(area.area_km2, 4),
    }


@dataclass(frozen=True)
class _Context:
    """What the plain-words sections of a profile are written from."""

    area: Area
    comp: _Comparator
    months: list[pd.Period]
    comparison: pd.DataFrame
    themes: pd.DataFrame
    categories: pd.DataFrame
    trend: dict[str, Any]
    persistence: dict[str, Any]
    day_hour: pd.DataFrame | None
    concentration: float
    n_safeguarding: int
    missing: list[pd.Period]
    sources: list[str]


def _statutory(c: _Context) -> list[dict[str, str]]:
    """The four s59 points: what the figures show and what they cannot."""
    row: dict[Any, Any] = c.comparison.loc["area"].to_dict()
    dist: dict[Any, Any] = c.comparison.loc["district"].to_dict()
    theme_share: dict[Any, Any] = c.themes.to_dict(orient="index")
    n = int(row["incidents"])
    district = c.comp.name
    span = _span(c.months)
    if n:
        # the theme most over-represented against the district (the largest
        # when none is): what sets the area apart
        excess = (c.themes["area_share"] - c.themes["district_share"]).where(
            c.themes["area"] > 0
        )
        top_theme = str(
            excess.idxmax() if excess.max() > 0 else c.themes["area"].idxmax()
        )
        shares = theme_share[top_theme]
        theme_line = (
            f" {_share(float(shares['area_share']))} of the area's incidents are "
            f"{top_theme} against {_share(float(shares['district_share']))} in "
            f"{district}."
        )
        conc = (
            f"{c.concentration:.1f} times its share of {district}'s land"
            if math.isfinite(c.concentration)
            else f"its share of {district}'s land is not known"
        )
        detriment = (
            f"{n:,} incidents in {row['area_km2']:.2f} km² in {span}: {conc} "
            f"({_share(float(row['share_of_district_incidents']))} of the district's "
            f"incidents on {_share(float(row['share_of_district_land']))} of its "
            f"land); {row['per_km2']:,.0f} per km² against {dist['per_km2']:,.0f} "
            f"across {district}.{theme_line}"
        )
        cats = ", ".join(
            f"{k} {int(v)} ({_share(int(v) / n)})"
            for k, v in c.categories["area"].head(3).items()
        )
    else:
        detriment = (
            f"No incidents of the selected kinds were recorded in the area in {span}."
        )
        cats = "nothing"
    p = c.persistence
    hot = month_runs([pd.Period(m, freq="M") for m in p["months_hot"]])
    persistent = (
        f"The area held significantly more than its share of {district}'s incidents "
        f"in {p['n_hot']} of {p['n_months']} months with data"
        + (f" ({hot})." if p["n_hot"] else ".")
        + f" {c.trend['sentence']}"
    )
    if c.day_hour is not None and int(c.day_hour.to_numpy().sum()):
        values = c.day_hour.to_numpy()
        day, hour = np.unravel_index(int(values.argmax()), values.shape)
        by_day = c.day_hour.sum(axis=1)
        when = (
            f"Of the incidents with a recorded time, the busiest hour is "
            f"{_DAYS[day]} {int(hour):02d}:00-{int(hour):02d}:59 and the busiest day "
            f"{by_day.idxmax()}: restrictions can be limited to those times."
        )
    else:
        when = (
            "The data has no times of day (police.uk gives none), so it cannot "
            "show when restrictions are needed; partner logs with times can."
        )
    return [
        {
            "test": "Detrimental effect on the quality of life",
            "shows": detriment,
            "cannot_show": (
                "Recorded incidents are not the experience of residents and "
                "visitors: the effect on their quality of life needs consultation "
                "responses, complaints, surveys and witness statements. Much "
                "anti-social behaviour is never reported. "
                + positions_note(
                    c.sources,
                    "an incident near the boundary may be "
                    "placed just inside or outside it.",
                )
            ),
        },
        {
            "test": "Persistent or continuing",
            "shows": persistent,
            "cannot_show": (
                "Whether the activities will continue without an order. Months "
                "missing from the data count neither way"
                + (f" ({month_runs(c.missing)} here)" if c.missing else "")
                + ", and recorded counts also move with reporting and patrolling; "
                "complaint logs and patrol records over a longer period show "
                "persistence better."
            ),
        },
        {
            "test": "Unreasonable",
            "shows": (
                f"What was recorded in {span}, the largest categories first: {cats}. "
                "The data describes the activities; it does not weigh them."
            ),
            "cannot_show": (
                "Whether the behaviour is unreasonable is a judgement for the "
                "council, weighing its effect on others against the rights of "
                "those whose activities would be restricted (s72 requires "
                "particular regard to the rights of freedom of expression and "
                "assembly)."
            ),
        },
        {
            "test": "Justifies the restrictions imposed",
            "shows": (
                f"The restrictions should target what dominates ({cats}). {when} "
                f"The area holds {_share(float(row['share_of_district_incidents']))} "
                f"of {district}'s incidents on "
                f"{_share(float(row['share_of_district_land']))} of its land."
            ),
            "cannot_show": (
                "Data cannot show that the restrictions would work or be "
                "proportionate, nor that existing powers (community protection "
                "notices, dispersal directions, injunctions) would not do. An "
                "order may displace the behaviour to nearby streets: evaluate it "
                "with a buffer once it has run (this tool's before/after evaluation)."
            ),
        },
    ]


def positions_note(sources: Sequence[str], so: str) -> str:
    """Why incident positions are approximate, for the data's `sources`.

    police.uk's anonymised snap points, a partner postcode's one position;
    then `so` (what follows for the reader: "so ..."). One sentence.
    """
    why = []
    if "police.uk" in sources or not sources:
        why.append(
            "police.uk positions are anonymised to snap points (the nearest of a "
            "set of street points)"
        )
    if any(s != "police.uk" for s in sources):
        why.append(
            "a partner's incident located by postcode is at the postcode's one "
            "position (about 100 m across in towns)"
        )
    text = "; ".join(why) + ", so " + so
    # a sentence (police.uk is written so, even first)
    return text if text.startswith("police.uk") else text[0].upper() + text[1:]


def _limitations(c: _Context) -> list[str]:
    out = [
        "This is evidence, not legal advice: whether the s59 conditions are met is "
        "for the council to decide and its legal advisers to check.",
        "Counts are recorded incidents of the selected kinds over the months "
        f"{_span(c.months)} (not annualised); they depend on reporting and "
        "recording, and much anti-social behaviour is never reported to the police.",
        positions_note(
            c.sources, "incidents near the boundary may fall either side of it."
        ),
        "Residents inside the area are estimated (ward residents apportioned by "
        "postcodes) and count where people live; town centres have many visitors "
        "and workers, so rates per 1,000 residents overstate the risk to a person.",
        f"The concentration ratio compares the area with all of {c.comp.name}, "
        "rural land included, so a town centre almost always concentrates "
        "incidents; comparing with other town centres is fairer.",
        "Persistence and trend are tested on monthly counts; a significant result "
        "is evidence of a pattern, not of its cause.",
    ]
    if c.missing:
        out.append(
            f"No data for {month_runs(c.missing)}: those months are left out of every "
            "count and test (a month missing from the source is not a month "
            "without incidents)."
        )
    if "police.uk" in c.sources or not c.sources:
        out.append(
            "police.uk data has no dates or times of day, only months, so it "
            "cannot show when incidents happen."
        )
    whole = c.area.area_km2
    if whole > 0 and c.comp.county_land_km2 < 0.99 * whole:
        out.append(
            f"{_share(1 - c.comp.county_land_km2 / whole)} of the area's polygon "
            "lies outside the district boundaries (beach or sea beyond the "
            "coastline, or beyond Kent & Medway): densities use the whole polygon, "
            f"the share of {c.comp.name}'s land only its part inside "
            f"({c.comp.land_km2:.2f} km²)."
        )
    if c.comp.land_km2 < 0.99 * c.comp.county_land_km2:
        out.append(
            f"The area straddles a district boundary; it is compared with "
            f"{c.comp.name}, which holds the largest part of it."
        )
    if c.n_safeguarding:
        out.append(
            f"{c.n_safeguarding} safeguarding incidents in the area are counted in "
            "the totals but never placed on a map or listed."
        )
    return out


def _consultees(c: _Context) -> list[str]:
    """Who must be consulted and notified, and what published (s72(3)-(5))."""
    if c.comp.code.startswith("E06"):
        notify = (
            "Notify any parish or town council for the area ('the necessary "
            "notification', s72(4)); Medway is a unitary council, so there is no "
            "county council to notify."
        )
    else:
        notify = (
            "Notify Kent County Council (the order is made by a district council) "
            "and any parish or town council for the area ('the necessary "
            "notification', s72(4))."
        )
    return [
        "The chief officer of police: the Chief Constable of Kent Police "
        "('the necessary consultation', s72(3) and (4)).",
        "The local policing body: the Kent Police and Crime Commissioner (s72(4)).",
        "Whatever community representatives the council thinks appropriate: "
        "residents' and business groups, and groups whose activities would be "
        "restricted (s72(4)).",
        "The owners or occupiers of land within the area, so far as reasonably "
        "practicable; not needed for land the council owns and occupies "
        "(s72(4) and (5)).",
        "Publish the text of the proposed order ('the necessary publicity', "
        "s72(4)) and, once it is made, the order itself.",
        notify,
        "If the order would restrict a public right of way over a highway, s64's "
        "further steps apply (notify those likely to be affected, tell them how "
        "to see the draft and make representations, and consider them).",
    ]


# ---------------------------------------------------------------------------
# the before/after evaluation
# ---------------------------------------------------------------------------

_EVALUATION_COLUMNS = ("month", "source", "sensitivity")


def _window(
    value: Any, name: str, available: set[int], notes: list[str]
) -> list[pd.Period]:
    """A user-given (from, to) window: its months with data (the rest noted)."""
    months = month_list(value, name=name)
    kept = [m for m in months if m.ordinal in available]
    gone = [m for m in months if m.ordinal not in available]
    if not kept:
        raise HotspotsError(
            f"`{name}` ({_span(months)}) has no months with data; the data holds "
            f"{month_runs([_period(o) for o in sorted(available)])}."
        )
    if gone:
        notes.append(
            f"The {name} window {_span(months)} has no data for {month_runs(gone)}; "
            "those months are left out."
        )
    return kept


def _run(months: list[pd.Period], *, backwards: bool) -> list[pd.Period]:
    """The unbroken run of consecutive months at the start (or end) of `months`."""
    ordered = months[::-1] if backwards else months
    run = ordered[:1]
    for m in ordered[1:]:
        step = -1 if backwards else 1
        if m.ordinal != run[-1].ordinal + step:
            break
        run.append(m)
    return run[::-1] if backwards else run


def _default_windows(
    start: pd.Period, available: set[int], notes: list[str]
) -> tuple[list[pd.Period], list[pd.Period]]:
    """The longest equal windows of months with data just before and from `start`."""
    months = [_period(o) for o in sorted(available)]
    earlier = [m for m in months if m < start]
    later = [m for m in months if m >= start]
    held = month_runs(months)
    if not later:
        raise HotspotsError(
            f"The order starts in {start}, after the last month with data "
            f"({months[-1]}); the data holds {held}. There is nothing to evaluate "
            "yet: choose an earlier start or add the months since."
        )
    if not earlier:
        raise HotspotsError(
            f"The order starts in {start}, but the data holds no month before it "
            f"(it holds {held}), so there is no before period. Give `before` "
            "yourself or add older data."
        )
    before_run = _run(earlier, backwards=True)
    after_run = _run(later, backwards=False)
    k = min(len(before_run), len(after_run))
    before, after = before_run[-k:], after_run[:k]
    if before[-1].ordinal != start.ordinal - 1:
        gap = list(pd.period_range(before[-1] + 1, start - 1, freq="M"))
        notes.append(
            f"No data for {month_runs(gap)}: the before window ends in {before[-1]}, "
            f"{len(gap)} month(s) before the order started."
        )
    if after[0] != start:
        notes.append(
            f"No data for {_span(list(pd.period_range(start, after[0] - 1, freq='M')))}"
            f": the after window starts in {after[0]}."
        )
    left = [m for m in before_run if m not in before] + [
        m for m in after_run if m not in after
    ]
    if left:
        notes.append(
            f"{month_runs(left)} left out so that both windows have {k} months with data "
            f"(before {_span(before)}, after {_span(after)})."
        )
    return before, after


def _control(
    area: Area, ring: BaseGeometry, control: BaseGeometry | Area | None
) -> tuple[BaseGeometry, str, str]:
    """The control geometry (outside area and buffer), its description, its name."""
    if control is None:
        comp = _comparator(area)
        geometry = comp.geometry.difference(ring)
        return (
            geometry,
            f"the rest of {comp.name} (district), outside the area and buffer",
            f"the rest of {comp.name}",
        )
    if isinstance(control, Area):
        geometry, label = control.geometry, f"{control.name} ({control.source})"
    elif isinstance(control, BaseGeometry):
        geometry, label = control, "the control area given"
    else:
        raise TypeError(
            f"`control` must be an Area or a shapely geometry, got "
            f"{type(control).__name__}."
        )
    polygons = polygon_union([geometry])
    if polygons is None:
        raise HotspotsError("`control` holds no polygon; give the control as an area.")
    geometry = polygons.difference(ring)
    return geometry, f"{label}, outside the area and buffer", "the control"


def _change_words(before: int, after: int, mb: int, ma: int) -> str:
    if before == 0:
        return f"went from 0 to {after}"
    pct = 100 * ((after / ma) - (before / mb)) / (before / mb)
    if round(pct) == 0:
        return "did not change"
    return f"{'fell' if pct < 0 else 'rose'} {abs(pct):.0f}%"


def evaluate_order(
    incidents: gpd.GeoDataFrame,
    area: Area,
    start: Month,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    control: BaseGeometry | Area | None = None,
    before: tuple[Month, Month] | None = None,
    after: tuple[Month, Month] | None = None,
    available_months: Iterable[Month] | None = None,
    filters: dict[str, Any] | None = None,
) -> Evaluation:
    """Evaluate an order: the change in its area against a control, and displacement.

    Incidents are counted by point-in-polygon in three zones: the area (R), the
    buffer ring (B: ``area.buffer(buffer_m)`` minus the area) and the control
    (C), in the windows before (b) and after (a) the start. Safeguarding
    incidents count like any other (counts only; nothing is placed).

    **The verdict**, in order:

    1. fewer than `MIN_EVALUATION_INCIDENTS` (10) incidents in the area before
       and after together, or a control with no incidents in a window (no basis
       for comparison): "too few incidents to tell";
    2. the area fell significantly relative to the control (area vs control
       odds ratio > 1 with p < `ALPHA`): "reduction"; then, by the buffer vs
       control odds ratio: the buffer rose significantly relative to the
       control (OR < 1, p < `ALPHA`): "reduction with displacement"; it fell
       significantly (OR > 1, p < `ALPHA`): "reduction with diffusion of
       benefit";
    3. the area rose significantly relative to the control (OR < 1, p <
       `ALPHA`): "increase";
    4. otherwise "no evidence of reduction".

    The WDQ (`wdq`) and the total net effect (`total_net_effect`) size the
    effects; the odds ratios' tests decide the verdict, as the WDQ has no test
    of its own.

    Parameters
    ----------
    incidents
        Canonical incidents (EPSG:27700) already filtered by theme, category
        and source, not by month or area.
    area
        The order's area.
    start
        The order's first month, ``"YYYY-MM"``.
    buffer_m
        Width of the displacement catchment around the area, in metres;
        default 400 m (`DEFAULT_BUFFER_M`), about a five-minute walk.
    control
        The control area, as an `Area` or a shapely geometry in EPSG:27700;
        the area and buffer are taken out of it. ``None`` (default): the
        district holding the largest part of the area.
    before, after
        The windows as ``(from, to)`` months, both inclusive; they must not
        overlap, and months without data are left out (and noted). ``None``
        (default): the longest windows of equally many months with data,
        unbroken, immediately before and from `start` (on the bundled data,
        start 2022-07 gives 2022-01..2022-06 against 2022-07..2022-12, leaving
        out 2023-01 so the windows are equal).
    available_months
        The months the source holds; ``None`` (default): the months present
        in `incidents`.
    filters
        The selection as the user gave it, for the record.

    Returns
    -------
    Evaluation
        See the class. ``counts.change_pct`` compares rates per month, so it
        is the plain percentage change when the windows are equal.

    Raises
    ------
    HotspotsError
        Bad incidents, `buffer_m` <= 0, a start outside the data, windows that
        overlap or hold no month with data, or an empty control.
    """
    _require_incidents(incidents, _EVALUATION_COLUMNS)
    if not isinstance(area, Area):
        raise TypeError(f"`area` must be an Area, got {type(area).__name__}.")
    require_positive(buffer_m=buffer_m)
    start_month = _month(start, name="start")
    ordinal = _month_ordinals(incidents["month"])
    available = _available(ordinal, available_months)
    if not available:
        raise HotspotsError("`incidents` is empty: there is nothing to evaluate.")
    notes: list[str] = []
    automatic = before is None and after is None
    if automatic:
        before_m, after_m = _default_windows(start_month, available, notes)
    else:
        if before is None or after is None:
            raise HotspotsError(
                "Give both `before` and `after` as (from, to), or neither for the "
                "automatic windows."
            )
        before_m = _window(before, "before", available, notes)
        after_m = _window(after, "after", available, notes)
        overlap = sorted(set(month_list(before, name="before")) & set(
            month_list(after, name="after")
        ))  # fmt: skip
        if overlap:
            raise HotspotsError(
                f"`before` and `after` overlap in {month_runs(overlap)}; choose windows "
                "that do not share months."
            )
        if before_m[-1] > after_m[0]:
            raise HotspotsError(
                f"`before` ({_span(before_m)}) must come before `after` "
                f"({_span(after_m)}); swap them."
            )
        if after_m[0] < start_month:
            notes.append(
                f"The after window starts in {after_m[0]}, before the order "
                f"started ({start_month})."
            )
    mb, ma = len(before_m), len(after_m)
    if mb != ma:
        notes.append(
            f"The windows differ in length ({mb} months before, {ma} after): "
            "changes are compared per month, and the test of each change allows "
            "for the lengths."
        )

    ring = area.geometry.buffer(buffer_m)
    buffer_zone = ring.difference(area.geometry)
    control_geom, control_source, control_name = _control(area, ring, control)
    if control_geom.is_empty or control_geom.area <= 0:
        raise HotspotsError(
            "The control is empty once the area and buffer are taken out of it; "
            "give a larger control or a narrower buffer."
        )

    b_ord = np.array([m.ordinal for m in before_m], dtype=np.int64)
    a_ord = np.array([m.ordinal for m in after_m], dtype=np.int64)
    in_b = np.isin(ordinal, b_ord)
    in_a = np.isin(ordinal, a_ord)
    window = in_b | in_a
    sub = incidents[window]
    geoms = sub.geometry
    located = ~(geoms.isna() | geoms.is_empty).to_numpy()
    zone = np.full(len(sub), -1, dtype=np.int64)
    if located.any():
        zone[located] = _zone_of(
            sub[located], [area.geometry, buffer_zone, control_geom]
        )
    sub_b, sub_a = in_b[window], in_a[window]
    names = ["area", "buffer", "control"]
    counts_b = [int(((zone == k) & sub_b).sum()) for k in range(3)]
    counts_a = [int(((zone == k) & sub_a).sum()) for k in range(3)]
    (rb, bb, cb), (ra, ba, ca) = counts_b, counts_a

    with np.errstate(divide="ignore", invalid="ignore"):
        per_b = np.array(counts_b, dtype=float) / mb
        per_a = np.array(counts_a, dtype=float) / ma
        pct = np.where(per_b > 0, 100 * (per_a - per_b) / per_b, np.nan)
    counts = pd.DataFrame(
        {
            "before": np.array(counts_b, dtype=np.int64),
            "after": np.array(counts_a, dtype=np.int64),
            "change": np.array(counts_a, dtype=np.int64) - np.array(counts_b),
            "change_pct": pct,
            "per_month_before": per_b,
            "per_month_after": per_a,
            "p": [
                change_p(x, y, mb, ma) for x, y in zip(counts_b, counts_a, strict=True)
            ],
            "area_km2": [
                g.area / 1e6 for g in (area.geometry, buffer_zone, control_geom)
            ],
        },
        index=pd.Index(names),
    )
    rel_area = relative_effect(rb, ra, cb, ca)
    rel_buffer = relative_effect(bb, ba, cb, ca)
    relative = pd.DataFrame(
        [rel_area, rel_buffer], index=pd.Index(["area vs control", "buffer vs control"])
    )
    relative = relative.astype({"corrected": bool})
    success = ra / ca - rb / cb if ca and cb else float("nan")
    buffer_measure = ba / ca - bb / cb if ca and cb else float("nan")
    quotient = wdq(rb, ra, bb, ba, cb, ca)
    net = total_net_effect(rb, ra, bb, ba, cb, ca)

    # --- edge cases, in plain words ---------------------------------------
    if cb == 0 or ca == 0:
        notes.append(
            f"The control has no incidents {'before' if cb == 0 else 'after'}: the "
            "success measure, WDQ"
            + (" and net effect" if cb == 0 else "")
            + " are not defined."
        )
    elif ca * mb == cb * ma:
        notes.append(
            f"The control did not change ({cb} before, {ca} after"
            + (" per month" if mb != ma else "")
            + "), so the count expected without the order is the before count itself."
        )
    if math.isfinite(success) and success >= 0:
        notes.append(
            f"WDQ not defined: the area did not improve relative to the control "
            f"(success measure {success:+.4f} >= 0), so there is no reduction that "
            "could have been displaced."
        )
    if math.isfinite(quotient) and quotient == 0:
        notes.append(
            "The buffer changed exactly as the control did (WDQ 0): no displacement "
            "and no diffusion of benefit."
        )
    zeros = [
        f"{z} {w}"
        for z, x, y in zip(names, counts_b, counts_a, strict=True)
        for w, v in (("before", x), ("after", y))
        if v == 0
    ]
    if zeros:
        notes.append(
            f"Zero count ({', '.join(zeros)}): 0.5 added to every cell of the odds "
            "ratios that involve it (Haldane–Anscombe correction)."
        )
    notes.append(
        "Orders are usually made after a peak, so some fall is expected anyway "
        "(regression to the mean): the control allows for change across the "
        "district, not for that."
    )

    verdict = _verdict(counts, rel_area, rel_buffer)
    sentence = _evaluation_sentence(
        verdict, counts, rel_area, rel_buffer, quotient, net, success, control_name,
        mb, ma,
    )  # fmt: skip

    record = provenance(
        incidents[window],
        filters={**(filters or {}), "before": [str(m) for m in before_m],
                 "after": [str(m) for m in after_m]},
        method="before/after with displacement (Bowers & Johnson 2003 WDQ)",
        parameters={
            "start": str(start_month),
            "buffer_m": float(buffer_m),
            "control": control_source,
            "control_automatic": control is None,
            "before_months": [str(m) for m in before_m],
            "after_months": [str(m) for m in after_m],
            "windows_automatic": automatic,
            "alpha": ALPHA,
            "min_incidents": MIN_EVALUATION_INCIDENTS,
        },
    )  # fmt: skip
    record["area"] = _area_record(area)
    return Evaluation(
        area=area,
        buffer_m=float(buffer_m),
        buffer=buffer_zone,
        control=control_geom,
        control_source=control_source,
        start=str(start_month),
        before_months=[str(m) for m in before_m],
        after_months=[str(m) for m in after_m],
        counts=counts,
        relative=relative,
        success_measure=float(success),
        buffer_measure=float(buffer_measure),
        wdq=float(quotient),
        total_net_effect=float(net),
        verdict=verdict,
        sentence=sentence,
        notes=notes,
        provenance=record,
    )


def _significant(rel: dict[str, Any]) -> bool:
    return bool(rel["p"] < ALPHA)


def _verdict(
    counts: pd.DataFrame, rel_area: dict[str, Any], rel_buffer: dict[str, Any]
) -> str:
    area = counts.loc["area", ["before", "after"]].to_numpy()
    control = counts.loc["control", ["before", "after"]].to_numpy()
    if area.sum() < MIN_EVALUATION_INCIDENTS or (control == 0).any():
        return "too few incidents to tell"
    if _significant(rel_area) and rel_area["odds_ratio"] > 1:
        if _significant(rel_buffer) and rel_buffer["odds_ratio"] < 1:
            return "reduction with displacement"
        if _significant(rel_buffer) and rel_buffer["odds_ratio"] > 1:
            return "reduction with diffusion of benefit"
        return "reduction"
    if _significant(rel_area) and rel_area["odds_ratio"] < 1:
        return "increase"
    return "no evidence of reduction"


def _wdq_words(quotient: float, rel_buffer: dict[str, Any]) -> str:
    """The WDQ in words, with whether the buffer's change is significant."""
    head = f"Weighted displacement quotient (WDQ) {quotient:.2f}".replace("-", "−")
    buffer_test = f"buffer against control: {_or_text(rel_buffer)}"
    if quotient == 0:
        return f"{head}: the buffer changed as the control did ({buffer_test})."
    if quotient > 0:
        what, kind = "the buffer also improved", "diffusion of benefit"
    elif quotient > -1:
        what, kind = (
            "the buffer worsened, by less than the area improved",
            ("displacement"),
        )
    else:
        what, kind = (
            "the buffer worsened by more than the area improved",
            ("displacement exceeds the benefit"),
        )
    if _significant(rel_buffer):
        return f"{head}: {what} ({kind}; {buffer_test})."
    return (
        f"{head}: {what}, but not significantly ({buffer_test}), so no clear "
        f"{'diffusion of benefit' if quotient > 0 else 'displacement'}."
    )


def _or_text(rel: dict[str, Any]) -> str:
    return (
        f"OR {rel['odds_ratio']:.2f}, 95% CI {rel['ci_low']:.2f}–{rel['ci_high']:.2f}, "
        f"{_fmt_p(rel['p'])}"
    )


def _evaluation_sentence(
    verdict: str, counts: pd.DataFrame, rel_area: dict[str, Any],
    rel_buffer: dict[str, Any], quotient: float, net: float, success: float,
    control_name: str, mb: int, ma: int,
) -> str:  # fmt: skip
    table: dict[Any, Any] = counts.to_dict(orient="index")
    rb, ra = int(table["area"]["before"]), int(table["area"]["after"])
    cb, ca = int(table["control"]["before"]), int(table["control"]["after"])
    if mb == ma:
        moved = f"from {rb:,} to {ra:,}"
    else:
        moved = (
            f"from {rb:,} in {mb} months ({rb / mb:,.1f} a month) to {ra:,} in {ma} "
            f"({ra / ma:,.1f} a month)"
        )
    pct = float(table["area"]["change_pct"])
    if not math.isfinite(pct):
        area_words = f"Incidents in the area went {moved}"
    else:
        rate_b, rate_a = rb / mb, ra / ma
        verb = "fell" if rate_a < rate_b else "rose" if rate_a > rate_b else "stayed"
        area_words = (
            f"Incidents in the area {verb} {moved} ({_fmt_pct(pct, signed=True)})"
        )
    parts = [f"{area_words} while {control_name} {_change_words(cb, ca, mb, ma)}"]
    if verdict == "too few incidents to tell":
        if cb == 0 or ca == 0:
            parts[0] += (
                "; with no incidents in the control in one window there is no "
                "basis for comparison, so it is too soon or too small to tell."
            )
        else:
            parts[0] += (
                f"; with {rb + ra} incidents in the area in all, that is too few "
                "to tell."
            )
        return " ".join(parts)
    sig = "significant" if _significant(rel_area) else "not significant"
    parts[0] += f"; relative to the control that is {sig} ({_or_text(rel_area)})."
    if math.isfinite(quotient):
        parts.append(_wdq_words(quotient, rel_buffer))
    elif math.isfinite(success):
        parts.append(
            "Weighted displacement quotient (WDQ) not defined: the area did not improve relative to the control."
        )
    else:
        parts.append(
            "Weighted displacement quotient (WDQ) not defined: the control has no incidents in a window."
        )
    if math.isfinite(net):
        if round(net) > 0:
            parts.append(f"Net effect: about {round(net):,} incidents fewer.")
        elif round(net) < 0:
            parts.append(f"Net effect: about {-round(net):,} incidents more.")
        else:
            parts.append("Net effect: about none.")
    return " ".join(parts)
