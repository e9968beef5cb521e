"""Values made from a shared, read-only frame, kept while that frame lives."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class FrameMemo(Generic[T]):
    """Values made from frames, by the frame's identity and a key.

    For the page's frames, which are shared between sessions and never change
    once made (the store's incidents, a partner file's): a value is made again
    only for another frame object or key. Keeps the `size` most recently used;
    a kept value whose frame has gone is made anew. Thread-safe: a value asked
    for by two sessions at once may be made twice, and one of them kept; with
    ``exclusive=True`` values are made one at a time instead (for large values
    that every session asks for at once, such as a copy of the store).
    """

    def __init__(self, size: int, *, exclusive: bool = False) -> None:
        if size < 1:
            raise ValueError("`size` must be at least 1.")
        self._size = size
        self._exclusive = threading.Lock() if exclusive else None
        self._kept: dict[tuple[int, Hashable], tuple[weakref.ref[Any], T]] = {}
        self._lock = threading.Lock()

    def get(self, frame: Any, make: Callable[[], T], key: Hashable = None) -> T:
        """The value for `frame` and `key`: kept, or `make()` and kept."""
        if self._exclusive is None:
            return self._get(frame, make, key)
        with self._exclusive:
            return self._get(frame, make, key)

    def _get(self, frame: Any, make: Callable[[], T], key: Hashable) -> T:
        slot = (id(frame), key)
        with self._lock:
            kept = self._kept.pop(slot, None)
            if kept is not None and kept[0]() is frame:
                self._kept[slot] = kept  # most recently used last
                return kept[1]
        value = make()
        with self._lock:
            self._kept[slot] = (weakref.ref(frame), value)
            while len(self._kept) > self._size:
                del self._kept[next(iter(self._kept))]
        return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._kept.clear()
