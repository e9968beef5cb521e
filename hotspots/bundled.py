"""Paths of the open data bundled in data/ and boundaries/ (built by `make data`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BOUNDARIES_DIR = ROOT / "boundaries"

# boundaries/ (GeoParquet, EPSG:27700)
DISTRICTS = BOUNDARIES_DIR / "districts.parquet"  # 13 Kent & Medway LADs, Dec 2024
UK_DISTRICTS = BOUNDARIES_DIR / "uk-districts.parquet"  # all 361 UK LADs, Dec 2024
WARDS = BOUNDARIES_DIR / "wards.parquet"  # 279 Kent & Medway wards, May 2024
LSOA2011 = BOUNDARIES_DIR / "lsoa2011.parquet"  # 1,065 Kent & Medway 2011 LSOAs

# data/
POLICE_UK_KENT = DATA_DIR / "police-uk-kent.parquet"  # canonical incidents, 17 months
POSTCODES = DATA_DIR / "postcodes.parquet"  # OS Code-Point Open, BR CT DA ME TN
POPULATION_WARDS = DATA_DIR / "population-wards.csv"  # Census 2021, apportioned
POPULATION_DISTRICTS = DATA_DIR / "population-districts.csv"
SCHOOLS = DATA_DIR / "schools.parquet"  # GIAS, PRUs and AP flagged
DEPRIVATION = DATA_DIR / "deprivation.parquet"  # IoD 2019 by 2011 LSOA
CATEGORIES = DATA_DIR / "categories.csv"  # editable: raw category -> category, theme
SAMPLES_DIR = DATA_DIR / "samples"  # generated partner data (not real people)

# the default local store (not in git; created on first use from the bundled data)
STORE_DIR = DATA_DIR / "store"
DEFAULT_STORE = STORE_DIR / "hotspots.duckdb"

#: The 13 Kent & Medway districts (local authority districts, ONS codes).
KENT_MEDWAY_DISTRICTS = {
    "E06000035": "Medway",
    "E07000105": "Ashford",
    "E07000106": "Canterbury",
    "E07000107": "Dartford",
    "E07000108": "Dover",
    "E07000109": "Gravesham",
    "E07000110": "Maidstone",
    "E07000111": "Sevenoaks",
    "E07000112": "Folkestone and Hythe",
    "E07000113": "Swale",
    "E07000114": "Thanet",
    "E07000115": "Tonbridge and Malling",
    "E07000116": "Tunbridge Wells",
}
