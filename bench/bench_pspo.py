"""Benchmark: the PSPO area profile and order evaluation on the bundled Kent data."""

from __future__ import annotations

from bench.common import row, timed


def run(repeat: int) -> None:
    """Time reading an area, the profile, the evaluation and the reports.

    Baseline: one plain point-in-polygon count of every incident against the
    area with geopandas (``GeoSeries.intersects``), the least any profile does.
    """
    from hotspots import bundled, pspo
    from hotspots.pspo_report import evaluation_pdf, profile_html, profile_pdf
    from hotspots.store import read_bundled_police

    inc = read_bundled_police()
    available = sorted(inc["month"].astype(str).unique())
    path = bundled.SAMPLES_DIR / "margate-town-centre-pspo.geojson"
    data = path.read_bytes()
    print(f"\nPSPO evidence: the Margate sample area, {len(inc):,} incidents")
    t_read, area = timed(lambda: pspo.read_area(path.name, data), repeat)
    base, inside = timed(
        lambda: int(inc.geometry.intersects(area.geometry).sum()), repeat
    )
    row("baseline: geopandas point-in-polygon count, all incidents", base,
        f"{inside:,} inside")  # fmt: skip
    row("read_area (GeoJSON, OSTN15)", t_read)
    t, prof = timed(
        lambda: pspo.profile_area(
            inc, area, months=("2024-01", "2024-04"), available_months=available
        ),
        repeat,
    )
    row("profile_area, 2024-01..04", t, f"x{t / base:.1f} baseline")
    t, ev = timed(
        lambda: pspo.evaluate_order(inc, area, "2022-07", available_months=available),
        repeat,
    )
    row("evaluate_order from 2022-07, 400 m buffer", t, f"x{t / base:.1f} baseline")
    for label, fn in (
        ("profile report, PDF (restricted)", lambda: profile_pdf(prof)),
        ("profile report, HTML (public)", lambda: profile_html(prof, mode="public")),
        ("evaluation report, PDF (public)", lambda: evaluation_pdf(ev, mode="public")),
    ):
        t, _ = timed(fn, repeat)
        row(label, t)
