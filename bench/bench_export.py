"""Benchmark: exports of a Thanet KDE detection, and the disclosure audit."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench.common import row, timed


def run(repeat: int) -> None:
    """Time each export format against writing the bare hotspot layer (baseline)."""
    import pyogrio

    from hotspots.boundaries import study_area
    from hotspots.detect import detect
    from hotspots.disclosure import suppression_pattern
    from hotspots.export import export_detection
    from hotspots.provenance import provenance
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    month = inc["month"].astype(str)
    sel = inc[
        (inc["lad_code"] == "E07000114") & (month >= "2024-01") & (month <= "2024-04")
    ]
    d = detect(sel, method="kde", study_area=study_area(["E07000114"]))
    rec = provenance(sel, filters={}, method="kde", parameters=d.parameters)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base, _ = timed(
            lambda: pyogrio.write_dataframe(
                d.hotspots.assign(
                    **{
                        c: d.hotspots[c].astype(str)
                        for c in d.hotspots.select_dtypes("string").columns
                    }
                ),
                folder / "bare.gpkg",
                layer="h",
                driver="GPKG",
            ),
            repeat,
        )
        row("baseline: bare hotspot layer to GPKG", base)
        for fmt in (
            "gpkg",
            "geojson",
            "shapefile",
            "kml",
            "csv",
            "geotiff",
            "pdf",
            "html",
        ):
            t, _ = timed(
                lambda fmt=fmt: export_detection(
                    d, folder / fmt, fmt=fmt, provenance=rec
                ),
                repeat,
            )
            row(f"export public {fmt}", t, f"x{t / base:.1f} baseline")
    counts = np.random.default_rng(0).integers(0, 60, size=279).astype(float)
    groups = np.repeat(np.arange(14), 20)[:279]
    t, _ = timed(lambda: suppression_pattern(counts, groups=groups), repeat)
    t0, _ = timed(lambda: counts < 10, repeat)
    row(
        "suppression + LP audit, 279 wards in 14 districts",
        t,
        f"x{t / max(t0, 1e-9):.0f} primary-only",
    )
