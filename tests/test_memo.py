"""hotspots._memo.FrameMemo: values kept by a frame's identity while it lives."""

from __future__ import annotations

import gc
import threading

import pandas as pd
import pytest

from hotspots._memo import FrameMemo


def test_a_value_is_made_once_per_frame_object_and_key():
    memo: FrameMemo[int] = FrameMemo(2)
    made = []

    def make(n):
        made.append(n)
        return n

    a = pd.DataFrame({"x": [1, 2]})
    equal = a.copy()  # the same values, another frame: made again
    assert memo.get(a, lambda: make(1)) == 1
    assert memo.get(a, lambda: make(99)) == 1
    assert memo.get(equal, lambda: make(2)) == 2
    assert memo.get(a, lambda: make(3), key="other") == 3
    assert made == [1, 2, 3]
    # the two most recently used are kept: (a, None) went out when "other" came
    assert memo.get(equal, lambda: make(99)) == 2
    assert memo.get(a, lambda: make(4)) == 4
    assert memo.get(a, lambda: make(99), key="other") == 99  # out with a's return
    assert made == [1, 2, 3, 4, 99]


def test_a_frame_that_has_gone_is_never_mistaken_for_a_new_one():
    memo: FrameMemo[str] = FrameMemo(4)
    frame = pd.DataFrame({"x": [1]})
    memo.get(frame, lambda: "old")
    del frame
    gc.collect()
    # a new frame may reuse the old one's id(): its value is made afresh
    for _ in range(50):
        new = pd.DataFrame({"x": [2]})
        assert memo.get(new, lambda: "new") == "new"
        del new


def test_exclusive_values_are_made_one_at_a_time():
    memo: FrameMemo[int] = FrameMemo(1, exclusive=True)
    frame = pd.DataFrame({"x": [1]})
    calls = []
    inside = threading.Event()

    def make():
        calls.append(1)
        inside.set()
        threading.Event().wait(0.05)
        return len(calls)

    threads = [threading.Thread(target=memo.get, args=(frame, make)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside.is_set()
    assert calls == [1]  # the others waited and took the kept value
    assert memo.get(frame, lambda: 0) == 1
    memo.clear()
    assert memo.get(frame, lambda: 7) == 7
    with pytest.raises(ValueError, match="at least 1"):
        FrameMemo(0)
