"""Map images: pixel positions on the grid, reprojection to Web Mercator."""

import functools

import numpy as np
import pytest

from hotspots import raster
from hotspots.grid import Grid

# a county-sized grid over Kent: 110 km x 60 km of 50 m cells
KENT = Grid(x0=530_000, y0=125_000, cell_size=50, nx=2200, ny=1200)


def _pixels(grid: Grid, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    to_merc = raster._transformer(grid.crs, "EPSG:3857")
    minx, miny, maxx, maxy = grid.bounds
    (west, east), (south, north) = to_merc.transform([minx, maxx], [miny, maxy])
    px = west + (np.arange(cols) + 0.5) * (east - west) / cols
    py = north - (np.arange(rows) + 0.5) * (north - south) / rows
    return px, py


def test_interpolated_positions_are_within_the_tolerance():
    px, py = _pixels(KENT, 1000, 550)
    back = raster._transformer("EPSG:3857", KENT.crs)
    x, y = raster.pixel_positions(px, py, back)
    ex, ey = back.transform(*np.meshgrid(px, py))
    assert x.shape == y.shape == (550, 1000)
    assert np.abs(x - ex).max() <= raster.LATTICE_TOLERANCE_M
    assert np.abs(y - ey).max() <= raster.LATTICE_TOLERANCE_M


def test_positions_are_exact_when_the_tolerance_cannot_be_met():
    px, py = _pixels(KENT, 300, 200)
    back = raster._transformer("EPSG:3857", KENT.crs)
    x, y = raster.pixel_positions(px, py, back, tolerance=0.0)
    ex, ey = back.transform(*np.meshgrid(px, py))
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)


@pytest.mark.parametrize("shape", [(1, 1), (2, 5), (40, 3)])
def test_tiny_images_are_transformed_exactly(shape):
    px, py = _pixels(KENT, shape[1], shape[0])
    back = raster._transformer("EPSG:3857", KENT.crs)
    x, _ = raster.pixel_positions(px, py, back)
    ex, _ = back.transform(*np.meshgrid(px, py))
    np.testing.assert_array_equal(x, ex)


def test_web_mercator_image_takes_the_cell_under_each_pixel(monkeypatch):
    rng = np.random.default_rng(0)
    values = rng.random(KENT.shape)
    values[:100] = np.nan  # a strip of cells not drawn
    image, bounds = raster.to_web_mercator(KENT, values)
    (south, west), (north, east) = bounds
    assert image.shape[1] == raster.MAX_PIXELS
    assert south < north
    assert west < east
    assert np.isnan(image).any()
    assert np.isfinite(image).any()
    # against every pixel centre transformed exactly: the same cell, but for
    # centres within the tolerance of a cell edge
    exact_positions = functools.partial(raster.pixel_positions, tolerance=-1.0)
    monkeypatch.setattr(raster, "pixel_positions", exact_positions)
    exact, exact_bounds = raster.to_web_mercator(KENT, values)
    assert exact_bounds == bounds
    same = (image == exact) | (np.isnan(image) & np.isnan(exact))
    assert same.mean() > 0.999  # 0.013% differ here (centres < 2.5 cm off an edge)
