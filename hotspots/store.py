"""The embedded incident store (one DuckDB file): add batches, read selections back."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

if TYPE_CHECKING:
    import duckdb

from hotspots import bundled
from hotspots._validate import HotspotsError, require_points
from hotspots.crs import WORKING_CRS
from hotspots.dates import COVERS
from hotspots.grid import located
from hotspots.ingest import CANONICAL_COLUMNS, EXTRA_COLUMNS, normalise_types

SCHEMA_VERSION = "1"
_DDL = """
CREATE TABLE IF NOT EXISTS incidents (
    incident_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    agency VARCHAR,
    month DATE NOT NULL,
    occurred_at TIMESTAMP,
    category VARCHAR,
    theme VARCHAR,
    raw_category VARCHAR,
    location_text VARCHAR,
    geocode_method VARCHAR,
    geocode_precision_m DOUBLE,
    sensitivity VARCHAR NOT NULL,
    weight DOUBLE NOT NULL,
    ward_code VARCHAR,
    lad_code VARCHAR,
    x DOUBLE,
    y DOUBLE,
    unlocated_reason VARCHAR,
    batch VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS coverage (
    batch VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    first DATE NOT NULL,
    last DATE NOT NULL
);
"""
_COLUMNS = [c for c in CANONICAL_COLUMNS if c != "geometry"] + [
    "x",
    "y",
    *EXTRA_COLUMNS,
]


@dataclass(frozen=True)
class Selection:
    """Which incidents to read; ``None`` means no filter on that field.

    Months are inclusive ``YYYY-MM`` strings; districts and wards are ONS codes.
    """

    month_from: str | None = None
    month_to: str | None = None
    categories: Sequence[str] | None = None
    themes: Sequence[str] | None = None
    sources: Sequence[str] | None = None
    districts: Sequence[str] | None = None
    wards: Sequence[str] | None = None
    sensitivities: Sequence[str] | None = None
    located_only: bool = False

    def apply(self, incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The same selection made in memory (for incidents not in a store)."""
        return incidents[self.mask(incidents)]

    def mask(self, incidents: gpd.GeoDataFrame) -> NDArray[np.bool_]:
        """True for the rows of `incidents` this selection keeps (see `apply`)."""
        keep = np.ones(len(incidents), dtype=bool)
        month = incidents["month"]
        if self.month_from is not None:
            keep &= (month >= parse_month(self.month_from)).to_numpy(dtype=bool)
        if self.month_to is not None:
            keep &= (month <= parse_month(self.month_to)).to_numpy(dtype=bool)
        for column, values in (
            ("category", self.categories),
            ("theme", self.themes),
            ("source", self.sources),
            ("lad_code", self.districts),
            ("ward_code", self.wards),
            ("sensitivity", self.sensitivities),
        ):
            if values is not None:
                keep &= (
                    incidents[column].isin(list(values)).fillna(False).to_numpy(bool)
                )
        if self.located_only:
            keep &= located(incidents)
        return keep

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, for provenance records."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value is None or value is False:
                continue
            out[key] = list(value) if isinstance(value, list | tuple) else value
        return out

    def where(self) -> tuple[str, list[Any]]:
        """SQL WHERE clause and its parameters."""
        parts: list[str] = []
        params: list[Any] = []
        for bound, op in ((self.month_from, ">="), (self.month_to, "<=")):
            if bound is not None:
                parts.append(f"month {op} ?")
                params.append(_month_date(bound))
        for column, values in (
            ("category", self.categories),
            ("theme", self.themes),
            ("source", self.sources),
            ("lad_code", self.districts),
            ("ward_code", self.wards),
            ("sensitivity", self.sensitivities),
        ):
            if values is not None:
                parts.append(f"{column} IN (SELECT unnest(?))")
                params.append(list(values))
        if self.located_only:
            parts.append("x IS NOT NULL")
        return (" WHERE " + " AND ".join(parts)) if parts else "", params


def parse_month(value: str) -> pd.Period:
    """A ``YYYY-MM`` month as a Period; anything else is a HotspotsError."""
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise HotspotsError(f"Month {value!r} is not a month; write it as YYYY-MM.")
    return pd.Period(text, freq="M")


def _month_date(value: str) -> pd.Timestamp:
    return parse_month(value).to_timestamp()


class Store:
    """A DuckDB file holding the canonical incidents of every source.

    Adding is idempotent: each incident carries a ``batch`` (a police.uk force and
    month, or a partner source and file name) and adding a batch again replaces it.
    Keep to this small interface (add, read, info, months, remove_source) so a
    shared server (PostGIS) can stand behind it later.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb  # here: a restarted dashboard shows its saved view without it

        if not write and not self.path.exists():
            raise HotspotsError(
                f"{self.path}: no store here yet. Ingest data first: "
                "python -m hotspots ingest FILE --store PATH."
            )
        if self.path.is_dir():
            raise HotspotsError(
                f"{self.path}: a folder, not a store; give the store's file "
                f"(such as {self.path / 'hotspots.duckdb'})."
            )
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), read_only=not write)
        except duckdb.IOException as err:
            first = str(err).splitlines()[0]
            why = (
                "It is not a store (a DuckDB file made by `hotspots ingest`)."
                if "not a valid DuckDB database" in first
                else "Another program may be writing to it; try again when it has "
                "finished."
            )
            raise HotspotsError(
                f"{self.path}: cannot open the store ({first}). {why}"
            ) from None
        try:
            if write:
                con.execute(_DDL)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    [SCHEMA_VERSION],
                )
            yield con
        finally:
            con.close()

    def add(self, incidents: gpd.GeoDataFrame) -> int:
        """Add canonical incidents, replacing any earlier rows of the same batches.

        The months a batch was declared to cover (``incidents.attrs["covers"]``,
        `hotspots.dates.COVERS`) are kept with it, and replaced with it.
        Returns the number of rows the store holds afterwards.
        """
        require_points(incidents, name="incidents")
        missing = set(CANONICAL_COLUMNS + EXTRA_COLUMNS) - set(incidents.columns)
        if missing:
            raise HotspotsError(f"Incidents lack canonical columns {sorted(missing)}.")
        frame = _to_rows(incidents)
        declared = incidents.attrs.get(COVERS) or {}
        covers = pd.DataFrame(
            [
                (b, s, _month_date(first), _month_date(last))
                for b, s in frame[["batch", "source"]]
                .drop_duplicates()
                .itertuples(index=False)
                if b in declared
                for first, last in [declared[b]]
            ],
            columns=["batch", "source", "first", "last"],
        )
        with self._connect(write=True) as con:
            con.register("new_rows", frame)
            con.register("new_covers", covers)
            con.execute("BEGIN TRANSACTION")
            try:
                for table in ("incidents", "coverage"):
                    con.execute(
                        f"DELETE FROM {table} WHERE batch IN "
                        "(SELECT DISTINCT batch FROM new_rows)"
                    )
                con.execute(
                    f"INSERT INTO incidents ({', '.join(_COLUMNS)}) "
                    f"SELECT {', '.join(_COLUMNS)} FROM new_rows"
                )
                con.execute(
                    "INSERT INTO coverage SELECT batch, source, first, last "
                    "FROM new_covers"
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            row = con.execute("SELECT count(*) FROM incidents").fetchone()
        return int(row[0]) if row else 0

    def read(self, selection: Selection | None = None) -> gpd.GeoDataFrame:
        """Read a selection back as canonical incidents (EPSG:27700).

        With the months its batches were declared to cover, if any were, in
        ``attrs["covers"]`` (`hotspots.dates.COVERS`).
        """
        where, params = (selection or Selection()).where()
        with self._connect() as con:
            table = con.sql(
                f"SELECT {', '.join(_COLUMNS)} FROM incidents{where} "
                "ORDER BY month, source, batch, incident_id",
                params=params,
            ).to_arrow_table()
            declared = _declared(con)
        # text straight into Arrow-backed strings (the canonical dtype): through
        # Python objects it took half of reading the whole store (0.7 of 1.4 s)
        text = pd.StringDtype("pyarrow")
        frame = table.to_pandas(
            types_mapper={pa.string(): text, pa.large_string(): text}.get
        )
        out = _from_rows(frame)
        if declared:
            held = set(pd.unique(out["batch"].dropna()))
            out.attrs[COVERS] = {b: v for b, v in declared.items() if b in held}
        return out

    def info(self) -> dict[str, Any]:
        """Counts of what the store holds: incidents, unlocated, by source and month.

        ``source_months``: the months (``YYYY-MM``) each source holds, every
        month from the first to the last of each batch it was added in, or of
        what the batch was declared to cover (as `hotspots.dates.source_months`
        finds them in a frame).
        """
        with self._connect() as con:
            total, unlocated = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE x IS NULL) FROM incidents"
            ).fetchone() or (0, 0)
            sources = con.execute(
                "SELECT source, count(*) FROM incidents GROUP BY 1 ORDER BY 1"
            ).fetchall()
            months = con.execute(
                "SELECT strftime(month, '%Y-%m'), count(*) FROM incidents GROUP BY 1 ORDER BY 1"
            ).fetchall()
            # every month of each batch's span, or of what it was declared to
            # cover (`hotspots.dates.source_months`)
            covered = "coverage" if _has_coverage(con) else _NO_COVERAGE
            held = con.execute(
                "SELECT DISTINCT source, strftime(unnest(generate_series("
                "lo, hi, INTERVAL 1 MONTH)), '%Y-%m') AS m FROM (SELECT i.source, "
                "least(min(i.month), any_value(c.first)) AS lo, "
                "greatest(max(i.month), any_value(c.last)) AS hi "
                f"FROM incidents i LEFT JOIN {covered} c USING (batch) "
                "GROUP BY i.source, batch) ORDER BY 1, 2"
            ).fetchall()
        source_months: dict[str, list[str]] = {}
        for source, month in held:
            source_months.setdefault(source, []).append(month)
        return {
            "store": str(self.path),
            "incidents": int(total),
            "unlocated": int(unlocated),
            "sources": {s: int(n) for s, n in sources},
            "months": {m: int(n) for m, n in months},
            "source_months": source_months,
        }

    def remove_source(self, source: str) -> int:
        """Delete every incident of one source; returns how many were deleted."""
        with self._connect(write=True) as con:
            row = con.execute(
                "SELECT count(*) FROM incidents WHERE source = ?", [source]
            ).fetchone()
            con.execute("DELETE FROM incidents WHERE source = ?", [source])
            con.execute("DELETE FROM coverage WHERE source = ?", [source])
        return int(row[0]) if row else 0


#: An empty stand-in for the coverage table of a store made before it.
_NO_COVERAGE = (
    "(SELECT NULL::VARCHAR AS batch, NULL::DATE AS first, NULL::DATE AS last "
    "WHERE false)"
)


def _has_coverage(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has its coverage table (a store made before has not)."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'coverage'"
    ).fetchone()
    return bool(row and row[0])


def _declared(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The months each batch was declared to cover: batch -> ``[first, last]``."""
    if not _has_coverage(con):
        return {}
    rows = con.execute(
        "SELECT batch, strftime(first, '%Y-%m'), strftime(last, '%Y-%m') FROM coverage"
    ).fetchall()
    return {b: [first, last] for b, first, last in rows}


def _to_rows(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = incidents.geometry
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    xy = np.full((len(incidents), 2), np.nan)
    if (~empty).any():
        xy[~empty] = geoms[~empty].get_coordinates().to_numpy()
    frame = pd.DataFrame(incidents.drop(columns=incidents.geometry.name))
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M").to_timestamp()
    frame["x"] = xy[:, 0]
    frame["y"] = xy[:, 1]
    return frame[_COLUMNS]


def _from_rows(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = gpd.GeoSeries.from_xy(frame["x"], frame["y"], crs=WORKING_CRS)
    from shapely import Point

    missing = frame["x"].isna().to_numpy()
    if missing.any():
        geometry[missing] = Point()
    frame = frame.assign(month=pd.to_datetime(frame["month"]).dt.to_period("M"))
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]), geometry=geometry, crs=WORKING_CRS
    )
    return normalise_types(gdf[CANONICAL_COLUMNS + EXTRA_COLUMNS])


def read_bundled_police() -> gpd.GeoDataFrame:
    """The bundled 17 months of Kent police.uk street crime, canonical."""
    try:
        gdf = gpd.read_parquet(bundled.POLICE_UK_KENT)
    except FileNotFoundError:
        raise HotspotsError(
            f"{bundled.POLICE_UK_KENT}: bundled police.uk data missing. Run `make data`."
        ) from None
    gdf["month"] = pd.PeriodIndex(gdf["month"], freq="M")
    return normalise_types(gdf[CANONICAL_COLUMNS + EXTRA_COLUMNS])


def write_bundled_police(incidents: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write canonical incidents as GeoParquet (month as YYYY-MM text)."""
    out = incidents.assign(month=incidents["month"].astype(str))
    out.to_parquet(path, compression="zstd", index=False, write_covering_bbox=False)


def default_store_path() -> Path:
    """The default store: $HOTSPOTS_STORE if set, else data/store/hotspots.duckdb."""
    return Path(os.environ.get("HOTSPOTS_STORE") or bundled.DEFAULT_STORE)


def open_store(path: str | Path | None = None) -> Store:
    """Open a store; the default one is created from the bundled data on first use.

    A store named by `path` is opened as it is (created empty by the first add).
    """
    if path is not None:
        return Store(path)
    target = default_store_path()
    if not target.exists():
        # build beside it and rename, so a second process never sees half a store
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        Store(partial).add(read_bundled_police())
        os.replace(partial, target)
    return Store(target)
