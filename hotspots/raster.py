"""Grids as images for the web map: resampled to Web Mercator, coloured, PNG-encoded."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from hotspots._validate import HotspotsError
from hotspots.grid import Grid

#: Largest side of a map image in pixels: enough for a county at street scale,
#: small enough to keep the page light (a PNG of this size is a few hundred kB).
MAX_PIXELS = 1000


@dataclass(frozen=True)
class WebImage:
    """An RGBA image whose pixel grid is regular in Web Mercator (EPSG:3857).

    ``bounds`` is ``((south, west), (north, east))`` in degrees, as Leaflet's
    ImageOverlay wants; the image must be drawn without further projection.
    """

    rgba: NDArray[np.uint8]
    bounds: tuple[tuple[float, float], tuple[float, float]]

    def png_data_url(self) -> str:
        """The image as a ``data:image/png;base64,...`` URL (no file, no network)."""
        from PIL import Image

        buf = io.BytesIO()
        # fast compression: the image is rebuilt on every change of the selection
        Image.fromarray(self.rgba, mode="RGBA").save(
            buf, format="PNG", compress_level=1
        )
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def to_web_mercator(
    grid: Grid, values: NDArray[np.float64], *, max_pixels: int = MAX_PIXELS
) -> tuple[NDArray[np.float64], tuple[tuple[float, float], tuple[float, float]]]:
    """Resample a British National Grid array onto a regular Web Mercator grid.

    Each output pixel takes the value of the grid cell under its centre (nearest
    neighbour: cell values are never blended, so a density is never smoothed
    twice and a category never mixed). Pixels off the grid are NaN.

    Parameters
    ----------
    grid
        The source grid (EPSG:27700), arrays ``(ny, nx)`` with row 0 southernmost.
    values
        ``(ny, nx)`` values; NaN for cells not to be drawn.
    max_pixels
        Largest side of the output in pixels; default about one pixel per cell.

    Returns
    -------
    tuple
        ``(image, bounds)``: a ``(rows, cols)`` array with row 0 the **northern**
        edge (image order) and ``((south, west), (north, east))`` in degrees.
    """
    if values.shape != grid.shape:
        raise HotspotsError(f"values have shape {values.shape}, the grid {grid.shape}.")
    to_merc = Transformer.from_crs(grid.crs, "EPSG:3857", always_xy=True)
    minx, miny, maxx, maxy = grid.bounds
    ex = np.linspace(minx, maxx, 21)
    ey = np.linspace(miny, maxy, 21)
    edge_x = np.concatenate([ex, ex, np.full(21, minx), np.full(21, maxx)])
    edge_y = np.concatenate([np.full(21, miny), np.full(21, maxy), ey, ey])
    mx, my = to_merc.transform(edge_x, edge_y)
    west, east = float(np.min(mx)), float(np.max(mx))
    south, north = float(np.min(my)), float(np.max(my))
    scale = max(grid.nx, grid.ny) / max_pixels
    cols = max(1, min(max_pixels, round(grid.nx / max(scale, 1.0))))
    rows = max(1, min(max_pixels, round(grid.ny / max(scale, 1.0))))
    px = west + (np.arange(cols) + 0.5) * (east - west) / cols
    py = north - (np.arange(rows) + 0.5) * (north - south) / rows
    gx, gy = np.meshgrid(px, py)
    back = Transformer.from_crs("EPSG:3857", grid.crs, always_xy=True)
    bx, by = back.transform(gx.ravel(), gy.ravel())
    r, c, inside = grid.index_of(bx, by)
    out = np.full(gx.size, np.nan)
    out[inside] = values[r[inside], c[inside]]
    to_deg = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    w, s = to_deg.transform(west, south)
    e, n = to_deg.transform(east, north)
    return out.reshape(rows, cols), ((float(s), float(w)), (float(n), float(e)))


def colour(
    image: NDArray[np.float64],
    *,
    colours: list[str],
    vmin: float,
    vmax: float,
    alpha: float = 0.75,
    transparent_below: float | None = None,
) -> NDArray[np.uint8]:
    """Colour a value image with a sequential ramp; NaN (and low values) transparent.

    Parameters
    ----------
    image
        Values; NaN pixels are transparent.
    colours
        Hex colours of the ramp from low to high (linear between stops).
    vmin, vmax
        Values mapped to the first and last colour (clipped outside).
    alpha
        Opacity of coloured pixels (0-1).
    transparent_below
        Values under this are transparent too (e.g. the near-zero density that
        would otherwise tint the whole county); default none.
    """
    stops = np.array(
        [[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in colours], float
    )
    span = vmax - vmin if vmax > vmin else 1.0
    t = np.clip((np.nan_to_num(image, nan=vmin) - vmin) / span, 0, 1) * (len(stops) - 1)
    lo = np.floor(t).astype(int).clip(0, len(stops) - 2)
    frac = (t - lo)[..., None]
    rgb = stops[lo] * (1 - frac) + stops[lo + 1] * frac
    a = np.where(np.isnan(image), 0.0, alpha)
    if transparent_below is not None:
        a = np.where(np.nan_to_num(image, nan=-np.inf) < transparent_below, 0.0, a)
    return np.dstack([rgb, a * 255]).round().astype(np.uint8)


def categorical(
    image: NDArray[np.float64], *, palette: dict[int, str], alpha: float = 0.7
) -> NDArray[np.uint8]:
    """Colour an image of integer classes (e.g. Gi* bins); classes not in `palette` clear."""
    out = np.zeros((*image.shape, 4), dtype=np.uint8)
    cls = np.nan_to_num(image, nan=-9999).astype(int)
    for value, hexcol in palette.items():
        hit = cls == value
        out[hit, :3] = [int(hexcol[i : i + 2], 16) for i in (1, 3, 5)]
        out[hit, 3] = round(alpha * 255)
    return out
