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


def _exact_ramp(values: np.ndarray, colours: list[str], vmin: float, vmax: float):
    """The ramp's exact (unquantised) colours, interpolated independently."""
    stops = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in colours])
    at = np.linspace(vmin, vmax, len(stops))
    return np.stack([np.interp(values, at, stops[:, k]) for k in range(3)], axis=-1)


def test_colour_ramp_matches_a_hand_interpolation():
    # two stops, black -> (200, 100, 50): value v in [0, 10] is v/10 of the way
    image = np.array([[0.0, 2.5, 5.0], [10.0, 20.0, np.nan], [-3.0, 0.4, 7.5]])
    indices, palette = raster.colour(
        image, colours=["#000000", "#C86432"], vmin=0, vmax=10, alpha=0.5,
        transparent_below=0.5,
    )  # fmt: skip
    assert indices.dtype == palette.dtype == np.uint8
    assert indices.shape == (3, 3)
    assert palette.shape == (256, 4)
    rgba = palette[indices]
    for (r, c), v in {
        (0, 1): 2.5,
        (0, 2): 5.0,
        (1, 0): 10.0,
        (1, 1): 10.0,
        (2, 2): 7.5,
    }.items():
        frac = min(v, 10.0) / 10
        expected = np.array([200 * frac, 100 * frac, 50 * frac])
        # 255 levels: within one unit of the exact colour
        assert np.abs(rgba[r, c, :3] - expected).max() <= 1, (r, c, rgba[r, c])
        assert rgba[r, c, 3] == 128
    # the ends of the ramp are its end colours exactly
    assert rgba[1, 0].tolist() == rgba[1, 1].tolist() == [200, 100, 50, 128]
    # NaN, under `transparent_below` (0, -3, 0.4): fully transparent
    for r, c in [(1, 2), (0, 0), (2, 0), (2, 1)]:
        assert rgba[r, c, 3] == 0, (r, c)
    # three stops: the middle stop is hit exactly at the midpoint
    mid, mid_palette = raster.colour(
        np.array([[5.0]]), colours=["#000000", "#FF0000", "#FFFFFF"], vmin=0, vmax=10
    )
    assert mid_palette[mid][0, 0].tolist() == [255, 0, 0, 191]


def test_colour_ramp_quantisation_is_within_two_units_of_the_exact_ramp():
    from hotspots.mapping import DENSITY_COLOURS

    values = np.linspace(0, 153.0, 100_001)[None, :]
    indices, palette = raster.colour(
        values, colours=DENSITY_COLOURS, vmin=0, vmax=153.0, transparent_below=None
    )
    exact = _exact_ramp(values, DENSITY_COLOURS, 0, 153.0)
    assert np.abs(palette[indices][..., :3] - exact).max() <= 2
    # and the levels rise with the value (no value drawn as a lower one's colour)
    assert (np.diff(indices[0].astype(int)) >= 0).all()
    assert len(np.unique(indices)) == raster.RAMP_LEVELS


def test_categorical_image_colours_each_class_and_clears_the_rest():
    image = np.array([[3.0, -3.0, 0.0], [np.nan, 2.0, 7.0]])
    indices, palette = raster.categorical(
        image, palette={3: "#b2182b", 2: "#ef8a62", -3: "#2166ac"}, alpha=0.7
    )
    rgba = palette[indices]
    assert rgba[0, 0].tolist() == [0xB2, 0x18, 0x2B, 178]
    assert rgba[0, 1].tolist() == [0x21, 0x66, 0xAC, 178]
    assert rgba[1, 1].tolist() == [0xEF, 0x8A, 0x62, 178]
    # 0 (not significant), NaN and an unknown class: transparent
    for r, c in [(0, 2), (1, 0), (1, 2)]:
        assert rgba[r, c, 3] == 0, (r, c)


@pytest.mark.parametrize("kind", ["ramp", "classes"])
def test_png_decodes_to_the_image_pixels(kind):
    """The indexed PNG, decoded by an independent reader (Pillow's RGBA
    conversion of its palette and tRNS chunk), is the image's RGBA exactly."""
    import base64
    import io

    from PIL import Image

    rng = np.random.default_rng(1)
    values = rng.random((37, 53)) * 10
    values[rng.random(values.shape) < 0.3] = np.nan
    if kind == "ramp":
        indices, palette = raster.colour(
            values, colours=["#440154", "#21918c", "#fde725"], vmin=0, vmax=10,
            transparent_below=1.0,
        )  # fmt: skip
    else:
        classes = np.where(np.isnan(values), np.nan, np.floor(values) - 5)
        indices, palette = raster.categorical(
            classes, palette={3: "#b2182b", 1: "#fddbc7", -2: "#67a9cf"}
        )
    image = raster.WebImage(indices, palette, ((51.0, 0.5), (51.5, 1.5)))
    url = image.png_data_url()
    assert url.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert png.mode == "P"
    decoded = np.asarray(png.convert("RGBA"))
    assert decoded.shape == (37, 53, 4)
    rgba = image.rgba
    # transparent pixels may carry any colour; drawn ones must match exactly
    np.testing.assert_array_equal(decoded[..., 3], rgba[..., 3])
    drawn = rgba[..., 3] > 0
    assert drawn.any()
    assert (~drawn).any()
    np.testing.assert_array_equal(decoded[drawn], rgba[drawn])


def test_transforms_run_on_one_long_lived_thread():
    """Every rerun of the page is a new thread; the transforms are not (pyproj
    builds its transformers again in each new thread)."""
    import threading

    import geopandas as gpd

    from hotspots import crs

    def where() -> str:
        return threading.current_thread().name

    seen: list[str] = []

    def rerun() -> None:
        seen.append(crs.on_projection_thread(where))
        # nested: inline, not a deadlock waiting for its own thread
        seen.append(crs.on_projection_thread(crs.on_projection_thread, where))

    for _ in range(3):
        thread = threading.Thread(target=rerun)
        thread.start()
        thread.join(timeout=30)
    assert len(seen) == 6
    assert len(set(seen)) == 1
    assert seen[0].startswith("hotspots-proj")
    points = gpd.GeoSeries.from_xy(
        [600_000.0, 530_000.0], [150_000.0, 180_000.0], crs=27700
    )
    web = crs.to_web(points)
    assert web.crs == "EPSG:4326"
    assert web.geom_equals_exact(points.to_crs(4326), 0).all()


def test_repeated_grids_reuse_their_pixel_lookup():
    """The second image of a grid comes from the cached lookup: the same pixels
    as a fresh reprojection, with the new values."""
    grid = Grid(x0=600_000, y0=150_000, cell_size=100, nx=300, ny=200)
    values = np.arange(grid.nx * grid.ny, dtype=float).reshape(grid.shape)
    first, bounds = raster.to_web_mercator(grid, values)
    assert (grid, raster.MAX_PIXELS) in raster._PIXELS
    second, again = raster.to_web_mercator(grid, values * 2)
    raster._PIXELS.clear()
    fresh, fresh_bounds = raster.to_web_mercator(grid, values * 2)
    np.testing.assert_array_equal(second, fresh)
    np.testing.assert_array_equal(second, first * 2)
    assert bounds == again == fresh_bounds
