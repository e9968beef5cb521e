"""Shared fixtures: real police.uk slices, crafted partner files, a private store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"

# No test may touch the user's store: the default store lives in a temp folder.
os.environ["HOTSPOTS_STORE"] = str(
    Path(tempfile.mkdtemp(prefix="hotspots-test-")) / "store" / "hotspots.duckdb"
)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if SHARED.exists():
        return
    skip = pytest.mark.skip(reason=f"{SHARED} not present (raw open data)")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def police_slice() -> Path:
    """248 real rows of Kent's 2022-01 police.uk file.

    220 seeded-random rows, 12 identical-pair ASB rows, 12 with no location, the 8
    rows that lie far outside Kent, and one row repeated (a repeated Crime ID).
    """
    return DATA / "police-uk-kent-2022-01-slice.csv"


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return path

    return _write


@pytest.fixture
def two_clusters() -> gpd.GeoDataFrame:
    """20 incidents around each of two Maidstone centres 2 km apart, plus 5 loners."""
    rng = np.random.default_rng(0)
    centres = [(576_000, 155_500), (578_000, 155_500)]
    blobs = [rng.normal(c, scale=30, size=(20, 2)) for c in centres]
    loners = [(570_000, 150_000 + 1_000 * i) for i in range(5)]
    xy = np.vstack([*blobs, loners])
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs="EPSG:27700")
