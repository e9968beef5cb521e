"""The dashboard in a real headless Chromium: it loads, draws the map offline, reacts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Chromium not installed (make browser)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        pg = browser.new_page(viewport={"width": 1366, "height": 768})
        pg.goto(server)
        yield pg
        browser.close()


def _map(page):
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    return frame


def test_map_draws_without_internet(page):
    frame = _map(page)
    # Leaflet itself is served by the dashboard, so boundaries draw with no CDN
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert page.get_by_text("275,539").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-start.png"), full_page=True)


def test_offline_basemap_choice(page):
    page.get_by_text("None (offline)").click()
    frame = _map(page)
    page.wait_for_timeout(1500)
    # no tile layer at all once the offline basemap is chosen
    assert frame.locator(".leaflet-tile-pane img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "dashboard-offline.png"), full_page=True)
