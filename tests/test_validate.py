"""hotspots._validate.weight_values: the one check of harm weights every method uses."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspots._validate import HotspotsError, weight_values


@pytest.fixture
def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"weight": [1.0, 2.5, 0.0, np.nan], "n": [1, 2, 3, 4], "flag": [True] * 4,
         "text": ["a"] * 4},
        geometry=gpd.points_from_xy([0, 1, 2, 3], [0, 1, 2, 3]),
        crs="EPSG:27700",
        index=[10, 11, 12, 13],
    )  # fmt: skip


def test_weights_of_the_rows_used(frame):
    used = np.array([True, True, True, False])  # the last row: unlocated, say
    np.testing.assert_array_equal(weight_values(frame, "weight", used), [1.0, 2.5, 0.0])
    # every row: the NaN of row 13 is named, by its index label
    with pytest.raises(HotspotsError, match=r"row 13 has nan\. Fill or fix it"):
        weight_values(frame, "weight")
    with pytest.raises(HotspotsError, match=r"row 11 has -2\.0"):
        weight_values(frame.assign(weight=[1.0, -2.0, 1.0, 1.0]), "weight")
    with pytest.raises(HotspotsError, match="row 10 has inf"):
        weight_values(frame.assign(weight=np.inf), "weight", used)


def test_what_is_not_a_weight_column(frame):
    # the numeric columns are offered, not the geometry, the flags or the text
    with pytest.raises(HotspotsError, match=r"'harm' not found; the numeric columns "
                       r"are \['weight', 'n'\]"):  # fmt: skip
        weight_values(frame, "harm")
    with pytest.raises(HotspotsError, match="'text' must be numeric, got str"):
        weight_values(frame, "text")
    with pytest.raises(HotspotsError, match="'flag' must be numeric, got bool"):
        weight_values(frame, "flag")
    with pytest.raises(TypeError, match="column name"):
        weight_values(frame, 1)  # type: ignore[arg-type]
    assert weight_values(pd.DataFrame({"w": [3]}), "w").tolist() == [3.0]
