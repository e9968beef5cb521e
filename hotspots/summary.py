"""Census 2021 residents by district and ward (the denominators of every rate)."""

from __future__ import annotations

from functools import cache

import pandas as pd

from hotspots import bundled
from hotspots._validate import HotspotsError


def load_population(level: str) -> pd.DataFrame:
    """Census 2021 residents by ``district`` or ``ward`` (see data/README.md).

    Read once per process (every ward and district table needs it); each call
    returns its own copy.
    """
    return _read_population(level).copy()


@cache
def _read_population(level: str) -> pd.DataFrame:
    path = {"district": bundled.POPULATION_DISTRICTS, "ward": bundled.POPULATION_WARDS}
    if level not in path:
        raise HotspotsError(f"level must be 'district' or 'ward', got {level!r}.")
    try:
        return pd.read_csv(path[level], dtype={"lad_code": str, "ward_code": str})
    except FileNotFoundError:
        raise HotspotsError(
            f"{path[level]}: bundled population missing; run `make data`."
        ) from None
