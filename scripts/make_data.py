"""Build the bundled open data (data/, boundaries/) from the raw files in shared/data.

Run by `make data`. Deterministic: the same raw files give the same tables (row
order is fixed by sorting; nothing depends on the time or on randomness). Each
step says what it wrote. See boundaries/README.md and data/README.md for what the
outputs are, their sources, vintages, methods and licences.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotspots import bundled  # noqa: E402
from hotspots.bundled import KENT_MEDWAY_DISTRICTS  # noqa: E402
from hotspots.crs import WORKING_CRS  # noqa: E402

KENT_MEDWAY = KENT_MEDWAY_DISTRICTS
CODEPOINT_COLUMNS = [
    "postcode",
    "quality",
    "easting",
    "northing",
    "country_code",
    "nhs_region",
    "nhs_ha",
    "county_code",
    "lad_code",
    "ward_code",
]
AGE_BANDS = {
    "Aged 15 years and under": "aged_0_15",
    "Aged 16 to 24 years": "aged_16_24",
    "Aged 25 to 34 years": "aged_25_34",
    "Aged 35 to 49 years": "aged_35_49",
    "Aged 50 to 64 years": "aged_50_64",
    "Aged 65 years and over": "aged_65_plus",
}
#: GIAS establishment types that are pupil referral units or alternative provision.
PRU_TYPES = {"Pupil referral unit"}
AP_TYPES = {
    "Academy alternative provision converter",
    "Academy alternative provision sponsor led",
    "Free schools alternative provision",
}


def say(path: Path, what: str) -> None:
    size = path.stat().st_size / 1e6
    print(f"  {path.relative_to(ROOT)}: {what} ({size:.2f} MB)")


def write_parquet(gdf: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(gdf, gpd.GeoDataFrame):
        gdf.to_parquet(path, compression="zstd", index=False, write_covering_bbox=False)
    else:
        gdf.to_parquet(path, compression="zstd", index=False)


# ---------------------------------------------------------------------------------
# boundaries


def build_boundaries(shared: Path) -> gpd.GeoDataFrame:
    """Wards, districts (dissolved from the wards), UK districts, 2011 LSOAs."""
    wards = gpd.read_file(
        shared / "boundaries" / "wards-may2024-kent-medway-bsc-epsg27700.geojson"
    )
    wards = wards.set_crs(WORKING_CRS, allow_override=True)
    wards = wards[wards["lad_code"].isin(KENT_MEDWAY)]
    wards = wards.sort_values("ward_code", ignore_index=True)
    wards["geometry"] = wards.geometry.make_valid()
    wards = wards[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]]
    write_parquet(wards, bundled.WARDS)
    say(bundled.WARDS, f"{len(wards)} wards, May 2024")

    # Districts are the union of their wards, so a point in a ward is always in
    # that ward's district (the separately generalised LAD file differs slightly).
    districts = wards.dissolve("lad_code", as_index=False, sort=True)[
        ["lad_code", "lad_name", "geometry"]
    ]
    districts["area_km2"] = (districts.area / 1e6).round(2)
    write_parquet(districts, bundled.DISTRICTS)
    say(bundled.DISTRICTS, f"{len(districts)} districts (dissolved wards)")

    uk = gpd.read_file(shared / "boundaries" / "lad-dec2024-uk-bsc-epsg4326.geojson")
    uk = uk.rename(columns={"LAD24CD": "lad_code", "LAD24NM": "lad_name"})
    uk = uk[["lad_code", "lad_name", "geometry"]].to_crs(WORKING_CRS)
    uk = uk.sort_values("lad_code", ignore_index=True)
    uk["geometry"] = uk.geometry.make_valid()
    write_parquet(uk, bundled.UK_DISTRICTS)
    say(bundled.UK_DISTRICTS, f"{len(uk)} UK districts, Dec 2024")

    parts = []
    for path in sorted((shared / "boundaries" / "lsoa2011-kent-medway").glob("*.json")):
        part = gpd.read_file(path)
        part["lad_code"] = path.stem
        parts.append(part)
    lsoa = pd.concat(parts, ignore_index=True)
    lsoa = gpd.GeoDataFrame(lsoa, geometry="geometry", crs=parts[0].crs)
    lsoa = lsoa.rename(columns={"LSOA11CD": "lsoa11_code", "LSOA11NM": "lsoa11_name"})
    lsoa = lsoa[["lsoa11_code", "lsoa11_name", "lad_code", "geometry"]].to_crs(
        WORKING_CRS
    )
    lsoa["geometry"] = lsoa.geometry.make_valid()
    lsoa = lsoa.sort_values("lsoa11_code", ignore_index=True)
    write_parquet(lsoa, bundled.LSOA2011)
    say(bundled.LSOA2011, f"{len(lsoa)} LSOAs (2011)")
    return wards


# ---------------------------------------------------------------------------------
# postcodes


def build_postcodes(shared: Path) -> pd.DataFrame:
    """OS Code-Point Open for BR, CT, DA, ME and TN: postcode -> position, ward."""
    folder = shared / "postcodes" / "codepoint-open-2025.2"
    frames = [
        pd.read_csv(p, header=None, names=CODEPOINT_COLUMNS, dtype=str)
        for p in sorted(folder.glob("*.csv"))
    ]
    pc = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame(
        {
            "postcode": pc["postcode"].str.strip(),
            "easting": pd.to_numeric(pc["easting"]).astype("int32"),
            "northing": pd.to_numeric(pc["northing"]).astype("int32"),
            "quality": pd.to_numeric(pc["quality"]).astype("int16"),
            "lad_code": pc["lad_code"],
            "ward_code": pc["ward_code"],
        }
    ).sort_values("postcode", ignore_index=True)
    write_parquet(out, bundled.POSTCODES)
    say(bundled.POSTCODES, f"{len(out):,} postcodes (Code-Point Open 2025.2)")
    return out


# ---------------------------------------------------------------------------------
# police.uk


def build_police(shared: Path) -> None:
    """The 17 Kent police.uk months as canonical incidents (the product's ingest)."""
    from hotspots.ingest import ingest
    from hotspots.store import write_bundled_police

    result = ingest([shared / "police-uk" / "kent"])
    rep = result.report
    assert rep["rows_read"] == rep["rows_kept"] + rep["rows_rejected"]
    write_bundled_police(result.incidents, bundled.POLICE_UK_KENT)
    say(
        bundled.POLICE_UK_KENT,
        f"{rep['rows_kept']:,} incidents, {len(rep['months'])} months, "
        f"{rep['rows_unlocated']:,} unlocated, {rep['rows_rejected']} rejected",
    )


# ---------------------------------------------------------------------------------
# population


def _zones(pop21: pd.DataFrame, lsoa11: pd.Series) -> pd.Series:
    """Map each 2021 LSOA to a 'zone' of 2011 LSOAs it can be placed in.

    Most 2021 LSOAs kept their 2011 code: the zone is that LSOA. The rest (split
    or merged in 2021) are pooled with the 2011 LSOAs of the same MSOA that have
    no 2021 namesake: the zone is ``"MSOA name|changed"``.
    """
    known = set(lsoa11)
    msoa = pop21["lsoa21_name"].str[:-1]
    return pop21["lsoa21_code"].where(
        pop21["lsoa21_code"].isin(known), msoa + "|changed"
    )


def build_population(
    shared: Path, postcodes: pd.DataFrame, wards: gpd.GeoDataFrame
) -> None:
    """Census 2021 residents by district (exact) and ward (apportioned by postcodes)."""
    raw = pd.read_csv(shared / "population" / "census21_pop__extract_kent_medway.csv")
    wide = (
        raw.pivot_table(
            index=["lsoa21_code", "lsoa21_name", "lad_name"],
            columns="age_group",
            values="usual_residents",
            aggfunc="sum",
        )
        .rename(columns=AGE_BANDS)
        .reset_index()
    )
    bands = list(AGE_BANDS.values())
    wide["residents"] = wide[bands].sum(axis=1)
    names = {v: k for k, v in KENT_MEDWAY.items()}
    wide["lad_code"] = wide["lad_name"].map(names)
    assert wide["lad_code"].notna().all(), "unknown district name in the census extract"

    districts = (
        wide.groupby("lad_code")[["residents", *bands]].sum().round().astype("int64")
    )
    districts.insert(0, "lad_name", districts.index.map(KENT_MEDWAY))
    districts = districts.reset_index()
    districts.to_csv(bundled.POPULATION_DISTRICTS, index=False)
    say(
        bundled.POPULATION_DISTRICTS,
        f"{len(districts)} districts, {districts['residents'].sum():,} residents",
    )

    # Postcode -> 2011 LSOA (ONS lookup, live small-user postcodes, i.e. mostly homes)
    lookup = pd.read_csv(
        next((shared / "postcodes").glob("PCD_OA_LSOA_*.csv")),
        usecols=["pcds", "doterm", "usertype", "lsoa11cd", "msoa11nm", "lsoa11nm"],
        dtype=str,
    )
    lookup = lookup[lookup["doterm"].isna() & (lookup["usertype"] == "0")]
    homes = lookup.merge(
        postcodes[["postcode", "ward_code"]], left_on="pcds", right_on="postcode"
    )
    homes = homes[homes["ward_code"].isin(wards["ward_code"])]

    lsoa11 = gpd.read_parquet(bundled.LSOA2011)
    wide["zone"] = _zones(wide, lsoa11["lsoa11_code"])
    changed = ~lsoa11["lsoa11_code"].isin(wide["lsoa21_code"])
    zone_of_lsoa11 = lsoa11["lsoa11_code"].where(
        ~changed, lsoa11["lsoa11_name"].str[:-1] + "|changed"
    )
    homes["zone"] = homes["lsoa11cd"].map(
        dict(zip(lsoa11["lsoa11_code"], zone_of_lsoa11, strict=True))
    )
    homes = homes.dropna(subset=["zone"])
    share = (
        homes.groupby(["zone", "ward_code"]).size().rename("postcodes").reset_index()
    )
    share["share"] = share["postcodes"] / share.groupby("zone")["postcodes"].transform(
        "sum"
    )

    zone_pop = wide.groupby("zone")[["residents", *bands]].sum()
    missing = sorted(set(zone_pop.index) - set(share["zone"]))
    if missing:
        # no live residential postcode: put the zone in the ward holding its centre
        lsoa11 = lsoa11.assign(zone=zone_of_lsoa11)
        centres = lsoa11[lsoa11["zone"].isin(missing)].dissolve("zone")
        pts = gpd.GeoDataFrame(geometry=centres.representative_point(), crs=lsoa11.crs)
        hit = gpd.sjoin(pts, wards[["ward_code", "geometry"]], predicate="within")
        extra = pd.DataFrame(
            {"zone": hit.index, "ward_code": hit["ward_code"], "share": 1.0}
        )
        share = pd.concat([share, extra], ignore_index=True)
    alloc = share.merge(zone_pop, left_on="zone", right_index=True)
    for col in ["residents", *bands]:
        alloc[col] = alloc[col] * alloc["share"]
    by_ward = alloc.groupby("ward_code")[["residents", *bands]].sum()
    out = wards[["ward_code", "ward_name", "lad_code", "lad_name"]].merge(
        by_ward, left_on="ward_code", right_index=True, how="left"
    )
    out[["residents", *bands]] = (
        out[["residents", *bands]].fillna(0).round().astype("int64")
    )
    out.to_csv(bundled.POPULATION_WARDS, index=False)
    total = int(wide["residents"].sum())
    say(
        bundled.POPULATION_WARDS,
        f"{len(out)} wards, {out['residents'].sum():,} residents "
        f"(census total {total:,}; differences are rounding)",
    )


# ---------------------------------------------------------------------------------
# schools and deprivation


def build_schools(shared: Path) -> None:
    """Open schools with pupil referral units and alternative provision flagged."""
    raw = pd.read_csv(shared / "schools" / "gias__extract_kent_medway.csv")
    e = pd.to_numeric(raw["easting"], errors="coerce")
    n = pd.to_numeric(raw["northing"], errors="coerce")
    # one record has 0/0 and one lies in London: keep them, unlocated, with a reason
    districts = gpd.read_parquet(bundled.DISTRICTS)
    area = districts.geometry.union_all().buffer(2_000)
    pts = gpd.GeoSeries.from_xy(e, n, crs=WORKING_CRS)
    inside = pts.within(area) & e.gt(0) & n.gt(0)
    reason = np.where(
        e.fillna(0).eq(0) | n.fillna(0).eq(0),
        "no coordinates (0, 0) in GIAS",
        np.where(~inside, "coordinates outside Kent & Medway in GIAS", ""),
    )
    etype = raw["establishment_type"].fillna("")
    out = gpd.GeoDataFrame(
        {
            "urn": raw["urn"].astype("int64").astype(str),
            "name": raw["establishment_name"],
            "establishment_type": etype,
            "type_group": raw["establishment_type_group"],
            "phase": raw["education_phase"],
            "pupils": pd.to_numeric(raw["number_of_pupils"], errors="coerce"),
            "pupil_referral_unit": etype.isin(PRU_TYPES),
            "alternative_provision": etype.isin(AP_TYPES)
            | etype.str.contains("alternative provision", case=False),
            "special_school": etype.str.contains("special", case=False),
            "secure_unit": etype.str.contains("secure", case=False),
            "la_name": raw["la_name"],
            "unlocated_reason": pd.Series(reason).replace("", pd.NA),
        },
        geometry=pts.where(inside, None),
        crs=WORKING_CRS,
    ).sort_values("urn", ignore_index=True)
    out["geometry"] = out.geometry.fillna(
        gpd.GeoSeries.from_xy([np.nan], [np.nan]).iloc[0]
    )
    write_parquet(out, bundled.SCHOOLS)
    say(
        bundled.SCHOOLS,
        f"{len(out)} schools, {int(out['pupil_referral_unit'].sum())} PRUs, "
        f"{int(out['alternative_provision'].sum())} AP, "
        f"{int(out['special_school'].sum())} special, "
        f"{int(out['unlocated_reason'].notna().sum())} unlocated",
    )


def build_deprivation(shared: Path) -> None:
    """English Indices of Deprivation 2019 by 2011 LSOA (ranks and deciles)."""
    raw = pd.read_csv(shared / "deprivation" / "iod2019_eng__extract_kent_medway.csv")
    raw = raw.rename(
        columns={
            "lsoa11_code": "lsoa11_code",
            "index_of_multiple_deprivation_imd_rank": "imd_rank",
            "index_of_multiple_deprivation_imd_decile": "imd_decile",
        }
    )
    keep = ["lsoa11_code", "lsoa11_name", "lad19_code", "imd_rank", "imd_decile"]
    keep += [
        c for c in raw.columns if c.endswith(("_rank", "_decile")) and c not in keep
    ]
    out = raw[keep].copy()
    for c in out.columns:
        if c.endswith(("_rank", "_decile")):
            out[c] = out[c].astype("int64")
    out = out.sort_values("lsoa11_code", ignore_index=True)
    write_parquet(out, bundled.DEPRIVATION)
    say(bundled.DEPRIVATION, f"{len(out)} LSOAs, IoD 2019")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--shared",
        default=str(ROOT.parent / "shared" / "data"),
        help="folder of the raw open data (default ../shared/data)",
    )
    p.add_argument(
        "--only",
        choices=[
            "boundaries",
            "postcodes",
            "police",
            "population",
            "schools",
            "deprivation",
        ],
        action="append",
        help="rebuild only these parts (repeatable); default all",
    )
    args = p.parse_args(argv)
    shared = Path(args.shared)
    if not (shared / "police-uk").exists():
        print(f"make_data: {shared} does not hold the raw open data.", file=sys.stderr)
        return 2
    only = set(args.only or [])

    def want(part: str) -> bool:
        return not only or part in only

    print(f"Building bundled data from {shared}")
    if want("boundaries"):
        build_boundaries(shared)
    wards = gpd.read_parquet(bundled.WARDS)
    if want("postcodes"):
        build_postcodes(shared)
    postcodes = pd.read_parquet(bundled.POSTCODES)
    if want("police"):
        build_police(shared)
    if want("population"):
        build_population(shared, postcodes, wards)
    if want("schools"):
        build_schools(shared)
    if want("deprivation"):
        build_deprivation(shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
