"""Counts of incidents by month, district and ward, with population rates."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hotspots import bundled
from hotspots._validate import HotspotsError


def load_population(level: str) -> pd.DataFrame:
    """Census 2021 residents by ``district`` or ``ward`` (see data/README.md)."""
    path = {"district": bundled.POPULATION_DISTRICTS, "ward": bundled.POPULATION_WARDS}
    if level not in path:
        raise HotspotsError(f"level must be 'district' or 'ward', got {level!r}.")
    try:
        return pd.read_csv(path[level], dtype={"lad_code": str, "ward_code": str})
    except FileNotFoundError:
        raise HotspotsError(
            f"{path[level]}: bundled population missing; run `make data`."
        ) from None


def counts_by_month(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per month and theme (long form: month, theme, incidents)."""
    out = (
        incidents.groupby([incidents["month"].astype(str), "theme"], observed=True)
        .size()
        .rename("incidents")
        .reset_index()
    )
    return out.sort_values(["month", "theme"], ignore_index=True)


def counts_by_district(
    incidents: pd.DataFrame, districts: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Incidents, unlocated and rate per 1,000 residents for each district.

    Every district of `districts` appears, with 0 where it has no incidents.
    Incidents outside these districts are not counted here.
    """
    pop = load_population("district")[["lad_code", "residents"]]
    counts = incidents.groupby("lad_code").size().rename("incidents")
    out = (
        pd.DataFrame(districts[["lad_code", "lad_name"]])
        .merge(counts, left_on="lad_code", right_index=True, how="left")
        .merge(pop, on="lad_code", how="left")
        .fillna({"incidents": 0})
    )
    out["incidents"] = out["incidents"].astype("int64")
    out["rate_per_1000"] = (1000 * out["incidents"] / out["residents"]).round(1)
    return out.sort_values("incidents", ascending=False, ignore_index=True)
