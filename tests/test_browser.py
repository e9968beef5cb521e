"""The dashboard in a real headless Chromium: it loads, draws the map offline, reacts."""

from __future__ import annotations

import base64
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
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
    proc = subprocess.Popen(  # started as `make run` starts it
        [sys.executable, str(ROOT / "scripts" / "serve.py"),
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
    frame.locator(".leaflet-container").wait_for(timeout=90_000)
    return frame


def _metric(page, label):
    label_el = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    box = page.get_by_test_id("stMetric").filter(has=label_el)
    return box.get_by_test_id("stMetricValue").inner_text()


def _idle(page, timeout_s=120, *, until=None):
    """Wait until the script has finished rerunning (no status, no spinner).

    `until`: a check that holds only once the rerun has drawn its result (a
    metric changed, say). Without one, a rerun that starts late (a slow
    machine) could be taken for an idle page.
    """
    page.wait_for_timeout(700)
    deadline = time.monotonic() + timeout_s
    while until is not None and not until():
        if time.monotonic() > deadline:
            pytest.fail(f"the dashboard had not updated after {timeout_s} s")
        page.wait_for_timeout(250)
    while time.monotonic() < deadline:
        busy = (
            page.get_by_test_id("stStatusWidget").count()
            + page.get_by_test_id("stSpinner").count()
        )
        if not busy:
            page.wait_for_timeout(300)
            return
        page.wait_for_timeout(250)
    pytest.fail(f"the dashboard was still busy after {timeout_s} s")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_map_with_boundaries_hotspots_and_legend(page):
    frame = _map(page)
    _idle(page)
    # Leaflet is served by the dashboard itself, so everything draws with no CDN
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert (
        frame.locator(".hotspots-legend").inner_text().startswith("Incidents per km²")
    )
    assert frame.locator(".leaflet-image-layer").count() == 1  # the density surface
    layers = frame.locator(".leaflet-control-layers-overlays").inner_text()
    for name in ("Wards", "Districts", "Density surface", "Hotspots", "Schools"):
        assert name in layers
    assert frame.locator("canvas").count() >= 1  # vector layers draw on a canvas
    assert int(_metric(page, "Hotspots").replace(",", "")) > 0
    # wards and hotspots read their features from JSON in the frame's HTML
    features = frame.locator(".leaflet-container").evaluate(
        "() => { const n = []; window.map.eachLayer(l => {"
        " if (l instanceof L.GeoJSON) { n.push(l.getLayers().length); } });"
        " return n; }"
    )
    assert len([n for n in features if n > 0]) >= 2, features
    _shot(page, "1-start-kde")


def test_no_deploy_button_nor_developer_menu(page):
    # the page is for council officers: Streamlit's "Deploy" (publish the app
    # and its data on Streamlit's cloud) and its developer options are hidden
    _map(page)
    _idle(page)
    assert page.get_by_role("button", name="Deploy").count() == 0
    page.get_by_test_id("stMainMenu").click()
    menu = page.get_by_test_id("stMainMenuPopover")
    menu.get_by_text("Print").wait_for(timeout=10_000)
    assert menu.get_by_text("Clear cache").count() == 0
    page.keyboard.press("Escape")


#: In the map's frame: count the map's moves from now on (a handler of the page's,
#: which no view removes), and say where the map is.
_COUNT_MOVES = """
() => {
  window.__moves = 0;
  map.on('moveend', () => { window.__moves += 1; });
  const c = map.getCenter();
  return [c.lat, c.lng, map.getZoom()];
}
"""
_MOVES = (
    "() => [window.__moves, map.getCenter().lat, map.getCenter().lng, map.getZoom()]"
)


def test_theme_and_method_change_the_map_and_tables(page):
    before = _metric(page, "Incidents selected")
    container = _map(page).locator(".leaflet-container[data-view]")
    first_view = container.get_attribute("data-view")
    at = container.evaluate(_COUNT_MOVES)
    themes = page.get_by_test_id("stMultiSelect").filter(has_text="Themes")
    themes.click()
    page.keyboard.type("serious violence")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_text("Hot and cold spots (Getis-Ord Gi*)").click()
    page.get_by_role("button", name="Update the map").click()
    _idle(page, until=lambda: _metric(page, "Incidents selected") != before)
    after = _metric(page, "Incidents selected")
    assert after != before
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    frame = _map(page)
    frame.locator(".hotspots-legend", has_text="Getis-Ord Gi*").wait_for(timeout=60_000)
    assert "themes=serious" in page.url
    assert "method=gistar" in page.url
    # the same districts: the new view is fitted to where the map is, and does
    # not move it (a move of no pixel redrew every shape)
    assert container.get_attribute("data-view") != first_view
    moves, *now = container.evaluate(_MOVES)
    assert moves == 0
    assert now == pytest.approx(at)
    _shot(page, "2-violence-gistar")
    # a second change to the same widget must stick (the URL must not undo it)
    themes.get_by_role("button", name="Clear all").click()
    page.get_by_role("button", name="Update the map").click()
    _idle(page, until=lambda: _metric(page, "Incidents selected") != after)
    assert _metric(page, "Incidents selected") == before
    assert "themes=" not in page.url


def test_offline_basemap_choice(page):
    page.get_by_text("None (works offline)").click()
    _idle(page)
    frame = _map(page)
    page.wait_for_timeout(1500)
    assert frame.locator(".leaflet-tile-pane img").count() == 0
    _shot(page, "3-offline-basemap")


def test_with_the_offline_basemap_nothing_is_fetched_from_elsewhere(page, server):
    """DESIGN's privacy rule: map tiles are the only network use. With the
    offline basemap, every request of the page (scripts, fonts, its icon, the
    map's frame, Leaflet and the boundary layers) goes to the dashboard itself
    (a Material icon as the page's icon, say, was fetched from Google)."""
    other = page.context.browser.new_page(viewport={"width": 1366, "height": 768})
    asked: list[str] = []
    other.on("request", lambda r: asked.append(r.url))
    try:
        other.goto(server + "/?basemap=none")
        frame = _map(other)
        frame.locator(".hotspots-legend").wait_for(timeout=90_000)
        _idle(other)
        other.get_by_role("tab", name="Trends").click()  # charts, and their fonts
        _idle(other)
    finally:
        other.close()
    elsewhere = [
        u for u in asked if not u.startswith((server, "data:", "blob:", "about:"))
    ]
    assert elsewhere == []
    assert any("/app/static/favicon.svg" in u for u in asked)
    assert any("/app/static/layers/" in u for u in asked)


def test_upload_a_partner_sample(page):
    page.get_by_role("tab", name="Your data").click()
    sample = ROOT / "data" / "samples" / "council-asb-log.csv"
    page.locator('input[type=file][accept*=".csv"]').set_input_files(str(sample))
    page.get_by_role("button", name="Read the file").wait_for(timeout=60_000)
    page.get_by_role("button", name="Read the file").click()
    _idle(page)
    page.get_by_text("Read 3,003 rows").wait_for(timeout=60_000)
    page.get_by_text("Download the rejected rows (CSV)").wait_for(timeout=30_000)
    _shot(page, "4-upload")


def _zoom(page):
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    frame.locator(".leaflet-container").wait_for(timeout=90_000)
    return frame.locator("body").evaluate(
        "() => { const k = Object.keys(window).find(k => k.startsWith('map_'));"
        " return window[k].getZoom(); }"
    )


def test_choosing_a_hotspot_row_zooms_the_map(page):
    page.get_by_role("tab", name="Wards").click()  # leave the upload tab
    before = _zoom(page)
    grid = page.get_by_test_id("stDataFrame").first
    grid.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # first row's tick box
    _idle(page)
    after = before
    for _ in range(40):  # the map is drawn again after the rerun: poll its zoom
        after = _zoom(page)
        if after > before + 1:
            break
        page.wait_for_timeout(500)
    assert after > before + 1  # from the district down to one hotspot
    # every view so far was drawn in place, on one map in one frame: one of each
    # control, and the canvases still follow the map (their handlers kept)
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 1
    frame = _map(page)
    for control in (
        ".hotspots-legend",
        ".leaflet-control-layers",
        ".leaflet-control-scale",
    ):
        assert frame.locator(control).count() == 1, control
    following = frame.locator(".leaflet-container").evaluate(
        "() => { const r = [map._renderer, ...Object.values(map._paneRenderers)]"
        ".filter(x => x && map.hasLayer(x));"
        " const moved = map._events.moveend || [];"
        " return r.length > 0 && r.every(x => moved.some(h => h.ctx === x)); }"
    )
    assert following
    _shot(page, "5-hotspot-zoom")


def test_a_chosen_row_is_not_carried_into_the_next_view(page):
    """The row chosen in one view's table had stayed chosen in the next: the map
    zoomed to the new view's hotspot of that rank, which nobody chose, and a rank
    past the new table's end stopped the page with a traceback."""
    frame = _map(page)
    container = frame.locator(".leaflet-container[data-view]")
    assert "-None-" not in container.get_attribute("data-view")  # a row is chosen
    before = _metric(page, "Incidents selected")
    wards = page.get_by_test_id("stMultiSelect").filter(has_text="Wards")
    wards.click()
    page.keyboard.type("Margate Central")
    wards_list = page.get_by_role("option", name="Margate Central (Thanet)")
    wards_list.wait_for(timeout=10_000)  # the list offers it before Enter takes it
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("listbox").wait_for(state="hidden", timeout=10_000)  # (clicks)
    page.get_by_role("button", name="Update the map").click()
    _idle(page, until=lambda: "wards=E05005093" in page.url)
    assert _metric(page, "Incidents selected") != before
    assert page.get_by_test_id("stException").count() == 0
    _idle(page, until=lambda: "-None-" in container.get_attribute("data-view"))
    # back to every ward, for the tests after this one
    wards.get_by_role("button", name="Clear all").click()
    page.get_by_role("button", name="Update the map").click()
    _idle(page, until=lambda: _metric(page, "Incidents selected") == before)


#: In the map's frame: the ward layer (outlines from a file, the view's numbers
#: joined), one ward's tooltip, and a hotspot whose centre lies inside it, with
#: the map centred there at zoom 14 (incident points, drawn from 15, off).
_WARDS_AND_A_HOTSPOT = """
() => {
  const out = {wards: 0, joined: 0, tip: null, incidents: null, hotspot: null};
  const hot = [];
  map.eachLayer(l => {
    if (!(l instanceof L.GeoJSON) || !l.getLayers().length) { return; }
    const ls = l.getLayers();
    const p = ls[0].feature.properties;
    if ('ward_name' in p) {
      out.wards = ls.length;
      out.joined = ls.filter(x => typeof x.feature.properties.incidents === 'number').length;
      out.incidents = p.incidents;
      ls[0].fire('mouseover', {latlng: ls[0].getCenter()}, true);
      const t = document.querySelector('.foliumtooltip');
      out.tip = t ? t.innerText : null;
      ls[0].fire('mouseout', {}, true);
    }
    if ('hotspot_id' in p) { hot.push(...ls); }
  });
  hot.sort((a, b) => b.feature.properties.incidents - a.feature.properties.incidents);
  for (const x of hot) {
    const c = x.getCenter();
    map.setView(c, 14, {animate: false});
    if (x._containsPoint(map.latLngToLayerPoint(c))) {
      const q = map.latLngToContainerPoint(c);
      out.hotspot = [x.feature.properties.hotspot_id, q.x, q.y];
      break;
    }
  }
  return out;
}
"""


def test_ward_tooltips_and_hotspot_popups_after_views_drawn_in_place(page):
    page.get_by_role("tab", name="Wards").click()
    frame = _map(page)
    _idle(page)
    found = frame.locator(".leaflet-container").evaluate(_WARDS_AND_A_HOTSPOT)
    # the county's wards, each with this view's numbers joined to its outline
    assert found["wards"] > 250, found
    assert found["joined"] == found["wards"], found
    assert "Per 1,000 residents" in found["tip"], found
    assert f"Incidents\t{found['incidents']}" in found["tip"], found
    # the wards lie under the view's hotspots (their file comes after them): a
    # click on a hotspot opens its popup, not nothing
    assert found["hotspot"] is not None, found
    hotspot_id, x, y = found["hotspot"]
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').first
    box.scroll_into_view_if_needed()
    b = box.bounding_box()
    assert b is not None
    page.wait_for_timeout(300)
    page.mouse.click(b["x"] + x, b["y"] + y)
    popup = frame.locator(".foliumpopup")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text().startswith(f"Hotspot\t{hotspot_id}\n"), popup.inner_text()


#: In the map's frame: zoom onto the first incident location (its table is the
#: last data block); then the markers drawn (the zoom-gated layer makes them
#: when first shown) and one's tooltip.
_ZOOM_ONTO_A_POINT = """
() => {
  const data = JSON.parse(document.querySelector(
    'script[type="application/json"][id^="hotspots-geojson-"]:last-of-type').textContent);
  map.setView([data.lat[0], data.lon[0]], 16, {animate: false});
  return {locations: data.lon.length};
}
"""
_MARKERS = """
() => {
  let found = null;
  map.eachLayer(l => {
    if (!(l instanceof L.GeoJSON)) { return; }
    const ls = l.getLayers();
    if (ls.length && ls[0] instanceof L.CircleMarker) {
      ls[0].fire('mouseover', {latlng: ls[0].getLatLng()}, true);
      const t = document.querySelector('.foliumtooltip');
      found = {markers: ls.length, tip: t ? t.innerText : null};
      ls[0].fire('mouseout', {}, true);
    }
  });
  return found;
}
"""


def test_incident_points_appear_when_zoomed_in(page, server):
    # a small selection (drugs in Thanet, 2024) has its incident locations on the
    # map, made into markers only when zoomed in to street level
    browser = page.context.browser
    assert browser is not None
    view = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        view.goto(
            server + "/?month_from=2024-01&month_to=2024-04&basemap=none"
            "&themes=drugs+%26+county+lines&districts=E07000114"
        )
        frame = _map(view)
        _idle(view)
        frame.locator(".leaflet-container[data-view]").wait_for(timeout=60_000)
        zoomed = frame.locator(".leaflet-container").evaluate(_ZOOM_ONTO_A_POINT)
        assert zoomed["locations"] > 0, zoomed
        view.wait_for_timeout(500)
        found = frame.locator(".leaflet-container").evaluate(_MARKERS)
        assert found is not None
        assert found["markers"] == zoomed["locations"], (found, zoomed)
        assert found["tip"].startswith("Where\t"), found
        assert "Incidents\t" in found["tip"], found
        _shot(view, "5b-incident-points")
    finally:
        view.close()


#: A 1x1 PNG: every tile of the OpenStreetMap basemap in the test below (the
#: tests have no internet; the browser is handed this instead).
_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

#: In the map's frame: whether each tile layer on the map, and each tile drawn,
#: carries the mark (set on every one first when `mark`).
_TILE_LAYERS = """
(container, mark) => {
  const layers = [];
  map.eachLayer(l => {
    if (l instanceof L.TileLayer) {
      if (mark) { l.__marked = true; }
      layers.push(l.__marked === true);
    }
  });
  const tiles = Array.from(container.querySelectorAll('.leaflet-tile-pane img'));
  if (mark) { tiles.forEach(t => { t.dataset.marked = '1'; }); }
  return {layers: layers, tiles: tiles.length,
          marked: tiles.filter(t => t.dataset.marked === '1').length};
}
"""


def test_the_basemap_stays_when_a_view_is_drawn_in_place(page, server):
    # OpenStreetMap is the page's default basemap: a new view of the same area
    # keeps the tile layer on the map, so no tile is fetched or drawn again
    browser = page.context.browser
    assert browser is not None
    view = browser.new_page(viewport={"width": 1366, "height": 768})
    fetched: list[str] = []

    def tile(route):
        fetched.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=_TILE)

    view.route("https://tile.openstreetmap.org/**", tile)
    try:
        view.goto(server + "/?month_from=2024-01&month_to=2024-04&districts=E07000114")
        frame = _map(view)
        _idle(view)
        container = frame.locator(".leaflet-container[data-view]")
        container.wait_for(timeout=60_000)
        first = container.get_attribute("data-view")
        view.wait_for_timeout(1000)
        assert fetched, "the basemap's tiles were not asked for"
        before = len(fetched)
        drawn = container.evaluate(_TILE_LAYERS, True)
        assert drawn["layers"] == [True], drawn
        assert drawn["tiles"] == drawn["marked"] > 0, drawn
        # another bandwidth: a new view of the same district (the same bounds)
        slider = view.get_by_test_id("stSlider").filter(has_text="Bandwidth (m)")
        slider.get_by_role("slider").focus()
        view.keyboard.press("ArrowRight")
        view.get_by_role("button", name="Update the map").click()
        _idle(view, until=lambda: container.get_attribute("data-view") != first)
        assert "bandwidth=" in view.url
        view.wait_for_timeout(1000)
        # the same tile layer, alone, with the same tiles: none fetched or drawn
        assert container.evaluate(_TILE_LAYERS, False) == drawn
        assert len(fetched) == before, fetched[before:]
        attribution = frame.locator(".leaflet-control-attribution").inner_text()
        assert "OpenStreetMap" in attribution
    finally:
        view.close()


_SCROLLED = """() => window.scrollY + [...document.querySelectorAll('*')]
    .filter(e => e.scrollHeight > e.clientHeight + 1).reduce((n, e) => n + e.scrollTop, 0)"""


def test_the_mouse_wheel_scrolls_the_page_until_the_map_is_clicked(page, server):
    from hotspots.mapping import WHEEL_HINT

    browser = page.context.browser
    assert browser is not None
    view = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        view.goto(server + "/?districts=E07000114&basemap=none")
        frame = _map(view)
        _idle(view)
        hint = frame.locator(".hotspots-wheel-hint")
        assert hint.inner_text() == WHEEL_HINT
        box = view.locator('iframe[title="streamlit_folium.st_folium"]').first
        box.evaluate("el => el.scrollIntoView({block: 'start'})")
        view.wait_for_timeout(500)

        def over_the_map():
            b = box.bounding_box()
            assert b is not None
            at = (b["x"] + b["width"] * 0.3, b["y"] + b["height"] * 0.3)
            view.mouse.move(*at)
            return at

        zoom = _zoom(view)
        over_the_map()
        top = view.evaluate(_SCROLLED)
        view.mouse.wheel(0, 300)  # down, over the map: the page scrolls
        view.wait_for_timeout(800)
        assert _zoom(view) == zoom
        assert view.evaluate(_SCROLLED) > top
        assert hint.evaluate("el => getComputedStyle(el).opacity") == "1"
        # clicked, the map takes the wheel
        box.evaluate("el => el.scrollIntoView({block: 'start'})")
        view.wait_for_timeout(500)
        view.mouse.click(*over_the_map())
        view.mouse.wheel(0, -300)  # up: zoom in
        view.wait_for_timeout(1000)
        zoomed = _zoom(view)
        assert zoomed > zoom
        # the mouse left the map: the wheel scrolls the page again
        view.mouse.move(5, 5)
        view.wait_for_timeout(200)
        over_the_map()
        view.mouse.wheel(0, 300)
        view.wait_for_timeout(800)
        assert _zoom(view) == zoomed
    finally:
        view.close()


def test_trends_tab_maps_emerging_hot_spots(page):
    page.get_by_role("tab", name="Trends").click()
    _idle(page)
    page.get_by_text("Classify the grid cells month by month").click()
    _idle(page, until=lambda: page.get_by_text("Gi* each month on").count() > 0)
    frame, index = _pspo_frame(page, legend="Hot spot pattern")
    legend = frame.locator(".hotspots-legend", has_text="Hot spot pattern").inner_text()
    shown = legend.splitlines()[1:]
    assert shown
    assert set(shown) <= {
        "new", "consecutive", "intensifying", "persistent", "diminishing",
        "oscillating", "sporadic", "historical", "former",
    }  # fmt: skip
    # the cells are drawn as one image on the map, with the boundaries
    image = frame.locator("img.leaflet-image-layer")
    assert image.count() == 1
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    layers = frame.locator(".leaflet-control-layers-overlays").inner_text()
    for name in ("Hot spot patterns (cells)", "Wards (May 2024)", "Districts"):
        assert name in layers
    _frame_in_view(page, index)
    _shot(page, "5b-emerging-hot-spots")
    # the cells as a public GeoPackage, as a user downloads them
    with page.expect_download(timeout=60_000) as started:
        page.get_by_role("button", name="Download the cells").click()
    assert started.value.suggested_filename == "hotspot-trends-200m-public.gpkg"
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / started.value.suggested_filename
    started.value.save_as(path)
    cells = gpd.read_file(path, layer="trend_cells")
    assert len(cells) > 0
    assert (cells["n"] % 5 == 0).all()
    assert (cells["n"] >= 10).all()
    page.get_by_text("Classify the grid cells month by month").click()  # off again
    _idle(page)


def test_street_week_planner_tab(page):
    page.get_by_role("tab", name="Street weeks").click()
    page.get_by_role("button", name="Plan the street weeks").click()
    _idle(page)
    maps = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    plan_map = maps.nth(1)
    plan_map.locator(".leaflet-container").wait_for(timeout=90_000)
    plan_map.locator(".hotspots-legend", has_text="Street weeks").wait_for(
        timeout=60_000
    )
    assert plan_map.locator(".leaflet-marker-icon").count() == 6
    # every numbered marker (its drawn disc) whole inside the map, centred on its site
    placed = plan_map.locator(".leaflet-container").evaluate(
        """box => {
            const edge = box.getBoundingClientRect();
            const map = box.ownerDocument.defaultView.map_div;
            const out = [];
            map.eachLayer(layer => {
                if (!(layer instanceof box.ownerDocument.defaultView.L.Marker)) return;
                const r = layer.getElement().firstElementChild.getBoundingClientRect();
                const at = map.latLngToContainerPoint(layer.getLatLng());
                out.push({box: [r.left, r.top, r.right, r.bottom],
                          centre: [(r.left + r.right) / 2 - edge.left,
                                   (r.top + r.bottom) / 2 - edge.top],
                          site: [at.x, at.y]});
            });
            return {edge: [edge.left, edge.top, edge.right, edge.bottom], markers: out};
        }"""
    )
    left, top, right, bottom = placed["edge"]
    assert len(placed["markers"]) == 6
    for marker in placed["markers"]:
        x0, y0, x1, y1 = marker["box"]
        assert left <= x0
        assert x1 <= right
        assert top <= y0
        assert y1 <= bottom
        assert math.dist(marker["centre"], marker["site"]) < 1.5
    page.get_by_text("Chosen by").first.scroll_into_view_if_needed()
    _shot(page, "6-street-weeks")


def _pspo_frame(page, legend=None):
    """The PSPO tab's map (the st_folium frame whose map has the draw tools or
    the PSPO legend)."""
    maps = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    for _ in range(120):
        for i in range(
            page.locator('iframe[title="streamlit_folium.st_folium"]').count()
        ):
            frame = maps.nth(i)
            probe = (
                frame.locator(".hotspots-legend", has_text=legend)
                if legend
                else frame.locator(".leaflet-draw-toolbar")
            )
            if probe.count():
                return frame, i
        page.wait_for_timeout(500)
    pytest.fail("the PSPO map did not appear")


def _frame_in_view(page, index):
    """Scroll the page so the map frame `index` sits in the upper part of the view."""
    page.locator('iframe[title="streamlit_folium.st_folium"]').nth(index).evaluate(
        "el => el.scrollIntoView({block: 'center'})"
    )  # no mouse wheel: over the map it would zoom the map
    page.wait_for_timeout(800)


def test_pspo_evidence_tab(page):
    page.get_by_role("tab", name="PSPO evidence").click()
    page.get_by_text("Sample: Margate town centre").click()
    _idle(page)
    page.get_by_role("button", name="Make the evidence").click()
    _idle(page)
    page.get_by_text("The statutory test, point by point").wait_for(timeout=60_000)
    frame, index = _pspo_frame(page, legend="PSPO")
    assert "the area" in frame.locator(".hotspots-legend").inner_text()
    _frame_in_view(page, index)
    _shot(page, "7-pspo-profile")
    page.get_by_text("Before/after evaluation (an existing order)").click()
    _idle(page)
    page.get_by_role("button", name="Make the evidence").click()
    _idle(page)
    page.get_by_text("Weighted Displacement Quotient").first.wait_for(timeout=60_000)
    frame, index = _pspo_frame(page, legend="buffer")
    legend = frame.locator(".hotspots-legend").inner_text()
    assert "control area" in legend
    _frame_in_view(page, index)
    _shot(page, "8-pspo-evaluation")


def test_pspo_area_drawn_on_the_map(page):
    page.get_by_role("tab", name="PSPO evidence").click()
    page.get_by_text("Area profile (a proposed order)").click()
    page.get_by_text("Draw it on the map").click()
    _idle(page)
    frame, index = _pspo_frame(page)
    frame.locator(".leaflet-draw-draw-rectangle").click()
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').nth(index)
    box.scroll_into_view_if_needed()
    b = box.bounding_box()
    assert b is not None
    x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    page.mouse.move(x - 40, y - 30)
    page.mouse.down()
    page.mouse.move(x, y, steps=5)
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    _idle(page)
    page.get_by_role("button", name="Make the evidence").click()
    _idle(page)
    page.get_by_text("The statutory test, point by point").wait_for(timeout=60_000)
    assert page.get_by_text("Drawn area").count() >= 1
    _, index = _pspo_frame(page, legend="PSPO")
    _frame_in_view(page, index)
    _shot(page, "9-pspo-drawn")


def test_download_tab_gives_the_summary_report(page):
    """The Download tab's summary report (PDF) of the view on screen, downloaded as
    a user does; its first page saved as an image beside the screenshots."""
    pdfium = pytest.importorskip("pypdfium2")
    page.get_by_role("tab", name="Download").click()
    prepare = page.get_by_role("button", name="Prepare the file")
    _idle(page, until=lambda: prepare.count() > 0)
    fmt = page.get_by_test_id("stSelectbox").filter(has_text="Format")
    fmt.scroll_into_view_if_needed()
    page.mouse.wheel(0, 300)  # room below it for the list
    fmt.click()
    page.keyboard.type("Summary report")
    page.keyboard.press("Enter")
    coordinates = page.get_by_test_id("stRadio").filter(has_text="Coordinates")
    # the PDF map is always British National Grid: the choice is switched off
    _idle(page, until=lambda: coordinates.locator("input[disabled]").count() > 0)
    prepare.click()
    button = page.get_by_role("button", name="Download hotspots-")
    button.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as started:
        button.click()
    name = started.value.suggested_filename
    assert name.endswith(".pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"summary-report-{name}"
    started.value.save_as(path)
    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        text = " ".join(doc[0].get_textpage().get_text_range().split())
        doc[0].render(scale=1.2).to_pil().save(ARTIFACTS / "10-summary-report.png")
    finally:
        doc.close()
    assert "Hotspots:" in text
    assert "public version" in text
    assert "Hotspots, ranked" in text


#: The first element marked stale by the running script, with its opacity and
#: transition once it has dimmed (None until then).
# the main area's elements (the sidebar's method settings are replaced when the
# method changes: a new element is drawn dimmed, with no transition to delay)
STALE_DIMMED_JS = """() => {
  for (const e of document.querySelectorAll('[data-testid="stMain"] [data-stale="true"]')) {
    const s = getComputedStyle(e);
    if (parseFloat(s.opacity) < 0.5) {
      return [s.opacity, s.transitionDuration, s.transitionDelay];
    }
  }
  return null;
}"""


def test_a_long_run_dims_the_page_in_one_step(page, server):
    # Streamlit fades stale elements over 1 s, a transition a browser without a
    # GPU composites frame by frame (0.4-0.5 s of CPU per second, taken from the
    # server's run on a shared computer): the page dims them at once instead,
    # still only when a run takes over half a second. A long run: HDBSCAN over
    # the whole county with the smallest clusters the sidebar offers (5
    # incidents: 10,500 clusters, 0.8 s of detection here, and their map; at
    # 30 incidents it now takes under half a second, and nothing dims)
    page.goto(
        server + "/?month_from=2022-01&month_to=2024-04&basemap=none&min_incidents=5"
    )
    _map(page)
    _idle(page, until=lambda: _metric(page, "Incidents selected") == "275,539")
    page.get_by_text("Clusters (HDBSCAN)").click()
    started = time.monotonic()
    page.get_by_role("button", name="Update the map").click()
    dimmed = page.wait_for_function(STALE_DIMMED_JS, polling="raf", timeout=60_000)
    waited = time.monotonic() - started
    opacity, duration, delay = dimmed.json_value()
    assert float(opacity) == pytest.approx(0.33)
    assert (duration, delay) == ("0s", "0.5s")
    assert waited >= 0.45  # not before half a second
    frame = _map(page)
    frame.locator(".hotspots-legend", has_text="Clusters").wait_for(timeout=120_000)
    _idle(page)
    assert int(_metric(page, "Hotspots").replace(",", "")) > 5_000  # the long run
    # once the run has finished, nothing is left dimmed
    assert page.evaluate(STALE_DIMMED_JS) is None
