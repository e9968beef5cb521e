"""scripts/serve.py, the dashboard's launcher (`make run`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Load serve.py as `make run` runs it (without starting a server), then ask the
# NumPy imported after it whether it asks Linux for huge pages.
PROBE = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("serve", sys.argv[1])
serve = importlib.util.module_from_spec(spec)
spec.loader.exec_module(serve)
import numpy
print(numpy._core.multiarray._get_madvise_hugepage())
"""


def _probe(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "scripts" / "serve.py")],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip()


def test_the_server_asks_numpy_for_no_huge_pages():
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    assert _probe(env) == "False"
    # without the launcher NumPy would ask for them here (Linux 4.6 and newer),
    # so the launcher is what switches them off
    plain = subprocess.run(
        [sys.executable, "-c",
         "import numpy; print(numpy._core.multiarray._get_madvise_hugepage())"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    if sys.platform.startswith("linux"):
        assert plain.stdout.strip() == "True"


def test_a_setting_already_given_is_kept():
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "1"}
    assert _probe(env) == "True"
