from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parent.parent / "app.py")


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def test_starts_without_error(app):
    assert not app.exception, app.exception
    assert not app.error


def test_shows_the_bundled_data(app):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Incidents"] == "275,539"
    assert metrics["Months"] == "17"
    table = app.dataframe[0].value
    assert len(table) == 13
    assert table["Incidents"].sum() > 270_000


def test_offline_basemap(app):
    app.radio[0].set_value("none").run()
    assert not app.exception
