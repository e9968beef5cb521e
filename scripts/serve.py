"""Start the dashboard: ``streamlit run app.py`` (`make run` runs this).

A new server imports pandas, pyarrow and the package only when the first page's
script runs: 0.7-1.0 s of that page. Here a thread imports them as soon as the
server has started, while the browser is still loading Streamlit's own page
(1-1.5 s), so the first page finds them imported. Nothing else differs from
``streamlit run app.py``; arguments are passed on to it, e.g.
``.venv/bin/python scripts/serve.py --server.port 8502``.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


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
