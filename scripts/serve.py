"""Start the dashboard: ``streamlit run app.py`` (`make run` runs this).

A new server imports pandas, pyarrow and the package only when the first page's
script runs: 0.7-1.0 s of that page. Here a thread imports them as soon as the
server has started, while the browser is still loading Streamlit's own page
(1-1.5 s), so the first page finds them imported. It also tells NumPy not to ask
Linux for huge pages (below). Nothing else differs from ``streamlit run app.py``;
arguments are passed on to it, e.g.
``.venv/bin/python scripts/serve.py --server.port 8502``.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# NumPy asks Linux for transparent huge pages (madvise) for every array of 4 MB
# or more. With the kernel's usual settings (huge pages, and their
# defragmenting, on "madvise") a long-running server's new large arrays then
# wait in the kernel as they are first touched: county-wide, a new KDE
# bandwidth's detection spent 0.31-0.35 s of 0.57-0.69 s there, and 0.10-0.20 s
# of 0.38-0.55 s without. NumPy reads this when it is imported, so it is set
# before anything imports it; a value already in the environment is kept.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def import_page_modules() -> None:
    """Import what the first page's script imports (app.py's own imports)."""
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    sys.path.insert(0, str(ROOT))  # as `streamlit run` puts the app's folder
    import hotspots.dashboard  # noqa: F401


def main(argv: list[str]) -> Any:
    from streamlit.web import bootstrap, cli

    started = bootstrap._on_server_start

    def on_server_start(server: Any) -> None:
        started(server)
        threading.Thread(
            target=import_page_modules, name="hotspots-imports", daemon=True
        ).start()

    # Streamlit calls this module-level hook once the server listens (pinned
    # version, requirements.txt); it prints the address and opens the browser
    bootstrap._on_server_start = on_server_start
    return cli.main(["run", str(ROOT / "app.py"), *argv], prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
