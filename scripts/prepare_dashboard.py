"""Prepare the dashboard's opening view before the server starts (`make run` runs this).

The dashboard saves the view it opens on (the latest months, KDE, county-wide)
beside the store, for its data and code version, so every later start shows it
without reading the store or detecting. This makes that view ahead of the first
start, as the page itself would: the first page then opens as fast as any
restart (see README, Performance). Nothing is done when the view is already
saved; any failure only means the page computes the view itself. It also
compiles the package to bytecode for the server's imports.

Usage: ``.venv/bin/python scripts/prepare_dashboard.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    import compileall
    import logging

    # the package as bytecode: a new server imports it without compiling its
    # sources first (0.1-0.2 s of every start where Python writes none itself,
    # as under PYTHONDONTWRITEBYTECODE; pip does this for installed packages)
    compileall.compile_dir(ROOT / "hotspots", quiet=1)

    # outside a page, streamlit-folium's import warns that there is no script
    # context ("can be ignored"): it is not shown to the user starting the app
    logging.disable(logging.WARNING)
    try:
        import streamlit_folium  # noqa: F401
    finally:
        logging.disable(logging.NOTSET)
    from hotspots.dashboard import opening_path, prepare_opening

    start = time.perf_counter()
    try:
        made = prepare_opening(ROOT / "app.py")
    except Exception as err:  # the page can always compute the view itself
        print(f"Could not prepare the opening view ({err}); the page will make it.")
        return 0
    if made:
        print(
            f"Prepared the dashboard's opening view in {time.perf_counter() - start:.1f} s"
            f" ({opening_path(None)}; once per data and code version)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
