"""British National Grid <-> WGS84: OSTN15 both ways, and bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from hotspots._validate import HotspotsError
from hotspots.crs import (
    HELMERT_TO_WGS84,
    OSTN15_TO_WGS84,
    bng_to_lonlat,
    lonlat_to_bng,
    to_wgs84,
)

# Margate, Canterbury, Maidstone, Chatham: eastings and northings (metres)
KENT = np.array(
    [
        [635_300.0, 170_900.0],
        [615_000.0, 157_800.0],
        [576_000.0, 155_700.0],
        [575_800.0, 167_600.0],
    ]
)


def test_round_trip_and_difference_from_helmert() -> None:
    there = bng_to_lonlat(KENT[:, 0], KENT[:, 1])
    assert there.method == OSTN15_TO_WGS84
    back = lonlat_to_bng(there.x, there.y)
    np.testing.assert_allclose(np.column_stack([back.x, back.y]), KENT, atol=0.01)
    # PROJ without the grid (Helmert) lands 1-5 m away in Kent
    hx, hy = Transformer.from_crs(27700, 4326, always_xy=True).transform(
        KENT[:, 0], KENT[:, 1]
    )
    metres = np.hypot((there.x - hx) * 70_000, (there.y - hy) * 111_000)
    assert ((metres > 0.5) & (metres < 6)).all()


def test_bad_and_outside_input() -> None:
    with pytest.raises(HotspotsError, match="differ in length"):
        bng_to_lonlat([1.0, 2.0], [1.0])
    out = bng_to_lonlat([np.nan, 600_000.0], [150_000.0, np.inf])
    assert np.isnan(out.x).all()
    assert np.isnan(out.y).all()
    # far outside OSTN15's cover: Helmert, and the method says so
    far = bng_to_lonlat([2_000_000.0], [5_000_000.0])
    assert np.isfinite(far.x).all()
    assert HELMERT_TO_WGS84 in far.method
    assert "outside OSTN15" in far.method


def test_to_wgs84_frames() -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[shapely.Point(KENT[0]), shapely.box(*KENT[2], *(KENT[2] + 500))],
        crs=27700,
    )
    web = to_wgs84(frame)
    assert web.crs.to_epsg() == 4326
    assert list(web["name"]) == ["a", "b"]
    assert frame.crs.to_epsg() == 27700  # a copy
    ll = bng_to_lonlat(KENT[:1, 0], KENT[:1, 1])
    assert (web.geometry.iloc[0].x, web.geometry.iloc[0].y) == (ll.x[0], ll.y[0])
    assert len(web.geometry.iloc[1].exterior.coords) == 5
    series = to_wgs84(frame.geometry)
    assert isinstance(series, gpd.GeoSeries)
    assert series.crs.to_epsg() == 4326
    with pytest.raises(HotspotsError, match="no CRS"):
        to_wgs84(gpd.GeoSeries([shapely.Point(1, 2)]))
    # another CRS goes through PROJ
    merc = gpd.GeoSeries([shapely.Point(100_000, 6_700_000)], crs=3857)
    assert to_wgs84(merc).crs.to_epsg() == 4326
