"""Run a script with numba's compiler on and off (the compiled kernels' tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def compiled_and_python(script: str, kernel: str) -> dict[str, list[str]]:
    """The lines `script` prints, compiled (``"0"``) and as Python (``"1"``).

    ``NUMBA_DISABLE_JIT`` is set to each in a fresh interpreter; the script's
    last line must print whether `kernel` of `hotspots._kernels` was compiled,
    which is checked (the switch in effect) and dropped from the lines.
    """
    check = (
        f"\nfrom hotspots import _kernels\n"
        f"print(hasattr(_kernels.{kernel}, 'py_func'))\n"  # compiled, or Python
    )
    runs = {}
    for jit in ("0", "1"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": jit}
        done = subprocess.run(
            [sys.executable, "-c", script + check], env=env, capture_output=True,
            text=True, check=True, cwd=Path(__file__).parent.parent,
        )  # fmt: skip
        *lines, compiled = done.stdout.splitlines()
        assert compiled == ("True" if jit == "0" else "False")
        runs[jit] = lines
    return runs
