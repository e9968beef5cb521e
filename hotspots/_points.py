"""What the steps of a detection ask of a points frame, found once per block.

A view's detection asks of its selection several times over: whether every
geometry is a point, which rows have a location, where they are and which share
a position (police.uk snaps incidents to anonymous points). Within a
`points_once` block (on this thread, for that frame's geometry array only) each
is found once and then kept as a `PointFacts`; outside a block each call finds
it again. A caller that knows the same rows come back (the dashboard's
selection, made again from the same frame) can hand the facts to the next
block, so none is found again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray


def located_mask(shapes: Any) -> NDArray[np.bool_]:
    """True for geometries that are neither missing nor empty (a location)."""
    # shapely on the bare array: geopandas' isna / is_empty wrappers took
    # 10 ms a call on a county selection, and every step asks
    bare = np.asarray(shapes)
    return ~(shapely.is_missing(bare) | shapely.is_empty(bare))


def first_not_point(shapes: Any) -> int:
    """Position of the first geometry that is not a point (nor empty, nor missing).

    -1 when there is none.
    """
    bare = np.asarray(shapes)  # the bare array: 4x faster than through pandas
    # shapely type ids: -1 missing, 0 point; an empty point is still type 0
    types = shapely.get_type_id(bare)
    wrong = (types != -1) & (types != 0)
    if wrong.any():
        wrong[wrong] = ~shapely.is_empty(bare[wrong])
    return int(np.argmax(wrong)) if wrong.any() else -1


def position_codes(xy: NDArray[np.float64]) -> NDArray[np.intp]:
    """An integer per distinct ``(x, y)`` row, numbered in order of first sight."""
    # one complex number per position hashes fast (a MultiIndex of floats does not)
    codes, _ = pd.factorize(xy[:, 0] + 1j * xy[:, 1])
    return np.asarray(codes)


def _read_only(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


class PointFacts:
    """The facts of one geometry array, each found when first asked, then kept.

    Arrays are read-only (they are shared by every step that asks); `located`
    hands out copies through `hotspots.grid.located`.
    """

    def __init__(self, shapes: Any) -> None:
        self._shapes = np.asarray(shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def subset(self, keep: NDArray[np.bool_], shapes: Any) -> PointFacts:
        """The facts of `shapes`, the rows `keep` of this array (same order).

        Which are located, where, and (when found already) which share a
        position come from these facts (no geometry is read again); the rest is
        found when first asked.
        """
        if len(keep) != len(self) or int(keep.sum()) != len(shapes):
            raise ValueError("`keep` must pick the rows of `shapes` from these facts.")
        out = PointFacts(shapes)
        located = self.located[keep]
        kept = keep[self.located]  # of the located rows, those kept
        out.__dict__["located"] = _read_only(located)
        out.__dict__["xy"] = _read_only(self.xy[kept])
        if "location_codes" in self.__dict__:  # renumbered in order of first sight
            codes, _ = pd.factorize(self.location_codes[kept])
            out.__dict__["location_codes"] = _read_only(np.asarray(codes))
        return out

    @cached_property
    def located(self) -> NDArray[np.bool_]:
        """Rows with a location (`located_mask`)."""
        return _read_only(located_mask(self._shapes))

    @cached_property
    def located_rows(self) -> NDArray[np.intp]:
        """Positions of the located rows, ascending."""
        return _read_only(np.flatnonzero(self.located))

    @cached_property
    def xy(self) -> NDArray[np.float64]:
        """``(n_located, 2)`` coordinates of the located rows, in row order."""
        if not self.located.any():
            return _read_only(np.empty((0, 2)))
        return _read_only(shapely.get_coordinates(self._shapes[self.located]))

    @cached_property
    def not_point(self) -> int:
        """`first_not_point` of the array."""
        return first_not_point(self._shapes)

    @cached_property
    def location_codes(self) -> NDArray[np.intp]:
        """An integer per distinct position of the located rows (first seen: 0)."""
        return _read_only(position_codes(self.xy))


#: The facts known on this thread, by geometry array: id -> (array, facts).
_KNOWN = threading.local()


def known_facts(shapes: Any) -> PointFacts | None:
    """The facts of this geometry array (the same object) in a block, else None."""
    known = getattr(_KNOWN, "facts", None)
    if not known:
        return None
    hit = known.get(id(shapes))
    return hit[1] if hit is not None and hit[0] is shapes else None


@contextmanager
def points_once(shapes: Any, facts: PointFacts | None = None) -> Iterator[PointFacts]:
    """Within the block, the facts of `shapes` (a geometry array) are found once.

    The geometry must not change within the block (the same array object is
    recognised; another array, even of the same points, is not). `facts`, when
    given, must be those of an array with the same geometries in the same order
    (kept from an earlier block); they are checked for length only. Nested
    blocks of the same array start afresh and restore the outer facts when they
    end. Yields the facts in use.
    """
    if facts is not None and len(facts) != len(shapes):
        raise ValueError(
            f"The facts are of {len(facts):,} geometries, the array has "
            f"{len(shapes):,}."
        )
    used = PointFacts(shapes) if facts is None else facts
    known = _KNOWN.__dict__.setdefault("facts", {})
    outer = known.get(id(shapes))
    known[id(shapes)] = (shapes, used)
    try:
        yield used
    finally:
        if outer is None:
            known.pop(id(shapes), None)
        else:
            known[id(shapes)] = outer
