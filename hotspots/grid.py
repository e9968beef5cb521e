"""Square grids in metres: binning points, masking a study area, cells as polygons."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from hotspots._points import PointFacts, known_facts, located_mask, points_once
from hotspots._validate import HotspotsError, require_positive
from hotspots.crs import WORKING_CRS

#: Side of the blocks (in cells) that `area_mask` tests whole before cell by cell.
_BLOCK = 16


@dataclass(frozen=True)
class Grid:
    """A north-up square grid: ``ny`` rows by ``nx`` columns of ``cell_size`` metres.

    Row 0 is the **southernmost** row (arrays index ``[row, col]`` = ``[y, x]``);
    flip with ``np.flipud`` before writing a north-up raster. ``x0, y0`` is the
    south-west corner of cell ``[0, 0]``.
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int
    crs: str = WORKING_CRS

    @property
    def shape(self) -> tuple[int, int]:
        """Array shape ``(ny, nx)``."""
        return (self.ny, self.nx)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the whole grid in metres."""
        return (
            self.x0,
            self.y0,
            self.x0 + self.nx * self.cell_size,
            self.y0 + self.ny * self.cell_size,
        )

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_size**2 / 1e6

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Cell-centre coordinates as two ``(ny, nx)`` arrays (x, y)."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell_size
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell_size
        return np.meshgrid(xs, ys)

    def index_of(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
        """Row and column of the cell holding each point, and whether it is inside.

        A point exactly on the north or east edge of the grid counts as outside.
        """
        xa = np.asarray(x, dtype="float64")
        ya = np.asarray(y, dtype="float64")
        col = np.floor((xa - self.x0) / self.cell_size)
        row = np.floor((ya - self.y0) / self.cell_size)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        inside &= np.isfinite(col) & np.isfinite(row)
        col = np.where(inside, col, 0).astype("int64")
        row = np.where(inside, row, 0).astype("int64")
        return row, col, inside

    def affine(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform of the north-up raster (after ``np.flipud``)."""
        _, _, _, maxy = self.bounds
        return (self.x0, self.cell_size, 0.0, maxy, 0.0, -self.cell_size)


def grid_for(
    bounds: tuple[float, float, float, float] | ArrayLike,
    *,
    cell_size: float,
    margin: float = 0.0,
    crs: str = WORKING_CRS,
) -> Grid:
    """Grid covering `bounds` plus `margin`, aligned to multiples of `cell_size`.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in metres, e.g. ``gdf.total_bounds``.
    cell_size
        Cell side in metres.
    margin
        Extra distance in metres on every side (e.g. the KDE bandwidth, so that
        density near the edge is not cut off). Default 0.
    crs
        CRS of the coordinates; default British National Grid.

    Returns
    -------
    Grid
        Its origin is a multiple of `cell_size`, so grids with the same cell size
        line up across selections (and across months).
    """
    require_positive(cell_size=cell_size)
    minx, miny, maxx, maxy = (float(v) for v in np.asarray(bounds, dtype="float64"))
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise HotspotsError(
            "Cannot make a grid: the bounds are not finite (no points?)."
        )
    if maxx < minx or maxy < miny:
        raise HotspotsError(f"Cannot make a grid: bounds {bounds!r} are inverted.")
    if margin < 0:
        raise HotspotsError(f"`margin` must be 0 or more metres, got {margin!r}.")
    x0 = math.floor((minx - margin) / cell_size) * cell_size
    y0 = math.floor((miny - margin) / cell_size) * cell_size
    nx = max(1, math.floor((maxx + margin - x0) / cell_size) + 1)
    ny = max(1, math.floor((maxy + margin - y0) / cell_size) + 1)
    if nx * ny > 200_000_000:
        wide = margin > max(maxx - minx, maxy - miny)  # the margin makes the area
        raise HotspotsError(
            f"A {cell_size:g} m grid over this area would have {nx * ny:,} cells"
            + (
                f": its margin of {margin:,.0f} m (for a KDE, the kernel's reach) "
                "is wider than the area itself; choose a smaller bandwidth."
                if wide
                else "; choose a larger cell size or a smaller area."
            )
        )
    return Grid(x0=x0, y0=y0, cell_size=float(cell_size), nx=nx, ny=ny, crs=crs)


def bin_points(
    grid: Grid,
    x: ArrayLike,
    y: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Sum of `weights` (default 1 each) of the points falling in each cell.

    Points outside the grid, or with NaN coordinates, are ignored.

    Returns
    -------
    ndarray
        ``(ny, nx)`` float array, row 0 the southernmost.
    """
    row, col, inside = grid.index_of(x, y)
    w = (
        np.ones(inside.shape)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype="float64"), inside.shape)
    )
    flat = np.bincount(
        row[inside] * grid.nx + col[inside],
        weights=w[inside],
        minlength=grid.nx * grid.ny,
    )
    return np.asarray(flat, dtype="float64").reshape(grid.shape)


def area_mask(
    grid: Grid, area: gpd.GeoDataFrame | gpd.GeoSeries | None
) -> NDArray[np.bool_]:
    """True for cells whose centre lies inside `area` (all True when `area` is None).

    `area` must share the grid's CRS; it is dissolved to one shape first. The
    result is cached for the same grid and area (the dashboard asks again on
    every rerun), so treat it as read-only.
    """
    if area is None:
        return np.ones(grid.shape, dtype=bool)
    if area.crs is None or area.crs != grid.crs:
        raise HotspotsError(
            f"The study area is in {area.crs}, the grid in {grid.crs}; "
            "reproject the area first."
        )
    shape = shapely.union_all(np.asarray(area.geometry.array))
    return _mask(grid, shapely.to_wkb(shape))


@lru_cache(maxsize=16)
def _mask(grid: Grid, wkb: bytes) -> NDArray[np.bool_]:
    """Centre-in-polygon mask, tested block by block.

    Blocks of `_BLOCK` x `_BLOCK` cells wholly inside the area are True and blocks
    missing it are False without testing their cells; only blocks on the
    boundary test each cell centre (``shapely.contains_xy``). Same answer as
    testing every centre, many times faster on county grids of millions of cells.
    """
    shape = shapely.from_wkb(wkb)
    shapely.prepare(shape)
    b = _BLOCK
    by, bx = -(-grid.ny // b), -(-grid.nx // b)
    x0 = grid.x0 + np.arange(bx) * b * grid.cell_size
    y0 = grid.y0 + np.arange(by) * b * grid.cell_size
    gx, gy = np.meshgrid(x0, y0)
    size = b * grid.cell_size
    boxes = shapely.box(gx, gy, gx + size, gy + size)
    inside = shapely.contains_properly(shape, boxes)
    touches = shapely.intersects(shape, boxes) & ~inside
    mask = np.repeat(np.repeat(inside, b, axis=0), b, axis=1)[
        : grid.ny, : grid.nx
    ].copy()
    edge = np.repeat(np.repeat(touches, b, axis=0), b, axis=1)[: grid.ny, : grid.nx]
    rows, cols = np.nonzero(edge)
    cx = grid.x0 + (cols + 0.5) * grid.cell_size
    cy = grid.y0 + (rows + 0.5) * grid.cell_size
    mask[rows, cols] = shapely.contains_xy(shape, cx, cy)
    mask.setflags(write=False)
    return mask


def cells_frame(
    grid: Grid,
    columns: dict[str, NDArray[np.generic]],
    *,
    where: NDArray[np.bool_] | None = None,
) -> gpd.GeoDataFrame:
    """Square cells as polygons with per-cell values, for the cells in `where`.

    Parameters
    ----------
    grid
        The grid.
    columns
        Column name -> ``(ny, nx)`` array of values.
    where
        ``(ny, nx)`` boolean array of cells to keep; default every cell.

    Returns
    -------
    GeoDataFrame
        One row per kept cell with ``row``, ``col`` and the given columns, in the
        grid's CRS, ordered south to north then west to east.
    """
    keep = np.ones(grid.shape, dtype=bool) if where is None else np.asarray(where, bool)
    if keep.shape != grid.shape:
        raise HotspotsError(f"`where` has shape {keep.shape}, the grid {grid.shape}.")
    rows, cols = np.nonzero(keep)
    x = grid.x0 + cols * grid.cell_size
    y = grid.y0 + rows * grid.cell_size
    geoms = shapely.box(x, y, x + grid.cell_size, y + grid.cell_size)
    data: dict[str, NDArray[np.generic]] = {"row": rows, "col": cols}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.shape != grid.shape:
            raise HotspotsError(
                f"Column {name!r} has shape {arr.shape}, grid {grid.shape}."
            )
        data[name] = arr[keep]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=grid.crs)


def located(points: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """True for rows with a point (unlocated incidents have empty geometry)."""
    shapes = points.geometry.array
    facts = known_facts(shapes)
    if facts is not None:
        return facts.located.copy()
    return located_mask(shapes)


@contextmanager
def located_once(
    points: gpd.GeoDataFrame, facts: PointFacts | None = None
) -> Iterator[PointFacts]:
    """Within the block, what the steps ask of `points` is found once (this thread).

    Which rows are located, their coordinates, the geometry type check and the
    distinct positions (`hotspots._points.PointFacts`): a view's detection asks
    about its selection five times and its area tables twice (3-7 ms each,
    county-wide; the coordinates 25 ms). The geometry must not change within
    the block (the same array object is recognised; a new frame's is not).
    `facts` kept from an earlier block on the same rows (same geometries, same
    order) are used instead of finding them again. Yields the facts in use.
    """
    with points_once(points.geometry.array, facts) as used:
        yield used


def located_xy(
    points: gpd.GeoDataFrame,
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """`located(points)` and `point_xy(points)`, the located rows found once.

    In a `located_once` block the coordinates are the block's (read-only).
    """
    shapes = points.geometry.array
    facts = known_facts(shapes)
    if facts is not None:
        return facts.located.copy(), facts.xy
    mask = located_mask(shapes)
    if not mask.any():
        return mask, np.empty((0, 2))
    # shapely on the bare array (geopandas' get_coordinates builds a frame with
    # an index first: 0.04 s county-wide)
    return mask, shapely.get_coordinates(np.asarray(shapes)[mask])


def point_xy(points: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """``(n, 2)`` coordinates of the located points, in the order of `points`.

    Unlocated rows are dropped; use `located(points)` to align other columns
    (e.g. ``weight``) with the result. In a `located_once` block, the block's
    (read-only) array.
    """
    return located_xy(points)[1]
