"""What produced an output: data, filters, method, parameters and software version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from hotspots import __version__, grid
from hotspots._validate import HotspotsError
from hotspots.crs import OSTN15, ostn15_available
from hotspots.dates import source_months
from hotspots.disclosure import safeguarding_rows


def describe_data(incidents: pd.DataFrame) -> dict[str, Any]:
    """Sources, months and counts of the incidents an output was made from."""
    located = int(grid.located(incidents).sum())
    # the text of the distinct months only (astype(str) of every row is slow)
    months = sorted({str(m) for m in incidents["month"].unique()})
    sources = {
        str(k): int(v)
        for k, v in incidents["source"].value_counts().sort_index().items()
    }
    return {
        "incidents": len(incidents),
        "located": located,
        "unlocated": len(incidents) - located,
        "sources": sources,
        # which months each source gives (one source: all of them, no grouping)
        "source_months": (
            dict.fromkeys(sources, months)
            if len(sources) < 2
            else source_months(incidents)
        ),
        "months": months,
        "month_from": months[0] if months else None,
        "month_to": months[-1] if months else None,
        "sensitivities": _distinct_text(incidents["sensitivity"]),
    }


def _distinct_text(values: pd.Series) -> list[str]:
    """The distinct values as sorted text, "missing" for missing ones.

    From the distinct values only: ``astype(str)`` of every row took 0.04 s on
    the county (and left missing values as NaN, which cannot be sorted).
    """
    text = {str(v) for v in values.dropna().unique()}
    if values.isna().any():
        text.add("missing")
    return sorted(text)


def provenance(
    incidents: pd.DataFrame | None,
    *,
    filters: dict[str, Any],
    method: str | None = None,
    parameters: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A provenance record: every output carries one (DESIGN.md, Provenance).

    Parameters
    ----------
    incidents
        The incidents the output was made from (after filtering); None when
        `data` describes them.
    filters
        The selection as the user gave it (months, categories, themes, ...).
    method
        The detection method, if any.
    parameters
        Every parameter used, automatic choices included and marked.
    data
        ``describe_data(incidents)``, if the caller has it (or another
        description of the data, with `incidents` None).

    Returns
    -------
    dict
        JSON-serialisable: software, created (UTC), data, filters, method,
        parameters, coordinate systems and transformation.
    """
    if data is None:
        if incidents is None:
            raise HotspotsError("provenance needs the incidents or `data`.")
        data = describe_data(incidents)
    return {
        "software": f"hotspots {__version__}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data,
        "filters": filters,
        "method": method,
        "parameters": parameters or {},
        "crs": "EPSG:27700 (British National Grid, metres)",
        "transformation": OSTN15 if ostn15_available() else "Helmert (EPSG:1314)",
    }


def counted_not_mapped(
    incidents: pd.DataFrame, keep: Callable[[], Any] | None = None
) -> dict[str, Any] | None:
    """The ``counted_not_mapped`` entry of a provenance record's data, or None.

    Safeguarding concerns count in the ward and district tables but never
    shape hotspots, so the rows a record's ``data`` describes leave them out:
    this names their sources and counts (``{"what": ..., "sources": {...}}``),
    so that a record never omits a source its output counts. `keep`: gives the
    rows of `incidents` in the selection (months and areas), asked only when
    there is any such concern; default all rows.
    """
    sg = safeguarding_rows(incidents)
    if not sg.any():
        return None
    if keep is not None:
        sg &= keep()
    if not sg.any():
        return None
    counts = incidents.loc[sg, "source"].astype(str).value_counts().sort_index()
    return {
        "what": "safeguarding concerns: counted in the ward and district tables, "
        "never mapped",
        "sources": {str(k): int(v) for k, v in counts.items()},
    }
