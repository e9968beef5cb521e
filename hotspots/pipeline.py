"""One selection, analysed and exported the same way by the dashboard and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hotspots.areas import area_statistics
from hotspots.boundaries import study_area
from hotspots.dates import selection_months
from hotspots.detect import Detection, detect
from hotspots.disclosure import safeguarding_rows
from hotspots.export import export_bytes, export_detection
from hotspots.provenance import counted_not_mapped, provenance
from hotspots.store import Selection


@dataclass(frozen=True)
class Analysis:
    """A detection with its ward and district tables and its provenance record."""

    incidents: gpd.GeoDataFrame
    detection: Detection
    area_tables: dict[str, pd.DataFrame]
    provenance: dict[str, Any]


def analyse(
    incidents: gpd.GeoDataFrame,
    *,
    method: str,
    filters: dict[str, Any],
    districts: list[str] | None = None,
    wards: list[str] | None = None,
    months: tuple[str, str] | None = None,
    coverage: float | None = None,
    weight: str | None = None,
    options: dict[str, Any] | None = None,
    area_incidents: pd.DataFrame | None = None,
    available_months: list[str] | None = None,
    source_months: dict[str, list[str]] | None = None,
) -> Analysis:
    """Detect hotspots and count by ward and district for one selection.

    Parameters
    ----------
    incidents
        The selected incidents (already filtered by months, themes, areas ...).
    method, coverage, weight, options
        As `hotspots.detect.detect`.
    filters
        The selection as the user gave it, for the provenance record.
    districts, wards
        The chosen areas (codes); ``None`` = all of Kent & Medway.
    months
        ``(from, to)`` of the selection, for the area tables' current period.
    area_incidents
        The incidents for the area tables: the selection **without** its month
        and area filters (the tables choose the current and previous periods and
        count incidents in no area); default `incidents`.
    available_months
        The months the data holds (so a missing month is never read as zero);
        those within `months` are the hotspots' time steps (months active, trend).
    source_months
        The months each source of the data holds (`hotspots.dates.source_months`),
        in place of `available_months`: the time steps are the months any source
        of the selection holds, but comparisons over time (the hotspots' trends,
        the area tables' change) use only those every one holds
        (`hotspots.dates.shared_months`), so that a month one source lacks is
        not read as a month without its incidents.
    """
    area = study_area(districts, wards)
    base = incidents if area_incidents is None else area_incidents
    steps = trend = None
    compared = available_months
    if source_months is not None:
        steps, trend = selection_months(incidents, source_months, *(months or ()))
        compared = selection_months(base, source_months)[1]
    elif available_months is not None and months is not None:
        steps = [m for m in available_months if months[0] <= m <= months[1]]
    found = detect(
        incidents,
        method=method,
        study_area=area,
        coverage=coverage,
        weight=weight,
        options=options,
        months=steps,
        trend_months=trend,
    )
    tables: dict[str, pd.DataFrame] = {}
    for level in ("ward", "district"):
        stats = area_statistics(
            base,
            level=level,
            months=months,
            weight=weight,
            districts=districts,
            available_months=compared,
        )
        if level == "ward" and wards:
            stats = stats[stats["ward_code"].isin(wards)]
        tables[level] = stats
    record = provenance(
        incidents,
        filters={**filters, "study_area": area["lad_codes"].iloc[0]},
        method=method,
        parameters=found.parameters,
    )
    in_selection = Selection(
        month_from=months[0] if months else None,
        month_to=months[1] if months else None,
        districts=districts,
        wards=wards,
    )
    # (unless detection used them too: `detect --include-safeguarding`)
    tables_only = None
    if not safeguarding_rows(incidents).any():
        tables_only = counted_not_mapped(base, lambda: in_selection.mask(base))
    if tables_only:
        record["data"]["counted_not_mapped"] = tables_only
    return Analysis(incidents, found, tables, record)


def export_analysis(
    analysis: Analysis,
    target: str | Path | None,
    *,
    fmt: str = "gpkg",
    mode: str = "public",
    crs: str = "EPSG:27700",
    threshold: int = 10,
) -> list[Path] | tuple[str, bytes, str]:
    """Write an analysis (`target` a file or folder) or return it as bytes (None).

    Files and bytes are made by the same code (`hotspots.export`), so the
    dashboard's downloads equal the command line's files for the same selection.
    """
    kwargs: dict[str, Any] = {
        "fmt": fmt,
        "provenance": analysis.provenance,
        "mode": mode,
        "crs": crs,
        "threshold": threshold,
        "incidents": analysis.incidents,
        "area_tables": analysis.area_tables,
    }
    if target is None:
        return export_bytes(analysis.detection, **kwargs)
    return export_detection(analysis.detection, target, **kwargs)


#: What a plan's sites file is, in its parameters table and wherever it is offered.
PLAN_FILE_DISCLOSURE = (
    "restricted: exact counts for the partnership's planning (safeguarding concerns "
    "counted in each footprint); not for publication: publish the public briefings"
)


def plan_record(plan: Any, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance record of a plan's sites file (`write_plan`).

    Software, time, coordinate system, the data the plan counted (its sources,
    themes and months, from the plan's parameters), `filters` (the selection,
    where the caller has it), every parameter and the file's disclosure level.
    """
    params = plan.parameters
    data = {
        key: params.get(name)
        for key, name in (
            ("sources", "sources"),
            ("themes", "themes"),
            ("months", "months"),
            ("trend_months", "trend_months"),
            ("located", "incidents_located"),
            ("unlocated", "incidents_unlocated"),
        )
    }
    record = provenance(
        None,  # `data` describes them
        filters=filters or {},
        method="street-week plan (maximal covering of harm)",
        parameters=params,
        data=data,
    )
    record["disclosure"] = PLAN_FILE_DISCLOSURE
    return record


def write_plan(
    plan: Any, path: str | Path, *, filters: dict[str, Any] | None = None
) -> Path:
    """Write street-week sites: GeoPackage (sites, footprints, parameters) or CSV.

    The GeoPackage also holds a ``provenance`` table (key, value as JSON:
    `plan_record`); the CSV (sites only, no geometry, coordinates as x/y in
    EPSG:27700, safe to open in Excel) has it in a ``.provenance.json`` file
    beside it. Used by ``hotspots plan --out`` and the dashboard's download.
    Either is restricted (`PLAN_FILE_DISCLOSURE`): exact counts for the
    partnership's planning, safeguarding concerns counted in each footprint; the
    public form of a plan is its public briefings (`hotspots.briefing`).
    """
    import json

    import pyogrio

    from hotspots._validate import HotspotsError
    from hotspots.export import provenance_rows, write_sidecar
    from hotspots.io import write_csv_safe

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".gpkg", ".csv"):
        raise HotspotsError(f"{out}: plan writes .gpkg or .csv.")
    out.parent.mkdir(parents=True, exist_ok=True)
    record = plan_record(plan, filters)
    if suffix == ".csv":
        write_csv_safe(pd.DataFrame(plan.sites.drop(columns="geometry")), out)
        write_sidecar(out, record)
        return out
    out.unlink(missing_ok=True)
    pyogrio.write_dataframe(plan.sites, out, layer="sites", driver="GPKG")
    pyogrio.write_dataframe(plan.footprints, out, layer="footprints", driver="GPKG")
    rows = [("disclosure", json.dumps(PLAN_FILE_DISCLOSURE))]
    rows += [
        (k, json.dumps(v, default=str, ensure_ascii=False))
        for k, v in plan.parameters.items()
    ]
    table = pd.DataFrame(rows, columns=["key", "value"])
    pyogrio.write_dataframe(table, out, layer="parameters", driver="GPKG")
    prov = pd.DataFrame(provenance_rows(record), columns=["key", "value"])
    pyogrio.write_dataframe(prov, out, layer="provenance", driver="GPKG")
    return out
    out.unlink(missing_ok=True)
    pyogrio.write_dataframe(plan.sites, out, layer="sites", driver="GPKG")
    pyogrio.write_dataframe(plan.footprints, out, layer="footprints", driver="GPKG")
    rows = [("disclosure", json.dumps(PLAN_FILE_DISCLOSURE))]
    rows += [(k, json.dumps(v, default=str)) for k, v in plan.parameters.items()]
    table = pd.DataFrame(rows, columns=["key", "value"])
    pyogrio.write_dataframe(table, out, layer="parameters", driver="GPKG")
    return out
