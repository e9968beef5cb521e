"""The dashboard in a real headless Chromium: first load, filter and parameter changes.

Run: .venv/bin/python -c "from bench.bench_dashboard import run; run(2)"

Targets (2-core machine): first load on the bundled data, page and map visible
within 5 s; a filter or parameter change on the county-wide 17 months, map and
tables updated within 1 s.

How it measures. The dashboard (``app.py``) runs as a real ``streamlit run``
subprocess on a free loopback port; Debian's Chromium is driven by Playwright.
Every URL carries ``basemap=none`` so the map fetches no tiles (there is no
internet here; with OpenStreetMap tiles a real user would also wait for them).
Times are taken inside the browser with ``performance.now()``: a load runs from
navigation start, a change from the click on "Update the map" (a capture-phase
click listener), to the moment a polling function (every 50 ms) sees

- visible: the Leaflet map drawn in the st_folium iframe, the metrics and the
  hotspot table on the page;
- updated (changes): the map shows a NEW view (the dashboard draws each view in
  place of the last, in the same frame: its container's ``data-view`` names a
  view other than the one before the click; so does the baseline page's empty
  map), the "Incidents selected" metric changed (filter changes),
  and the app idle (no status widget, no spinner), so every table below the map
  has been redrawn too.

"Cold" is the first page of a fresh ``streamlit run`` process (Python modules
not yet imported by the script, Streamlit's caches empty), timed from navigation,
which starts as soon as the server answers its health check; the store
(data/store/hotspots.duckdb) exists. It is measured twice: "streamlit run
alone, nothing saved", with no saved opening view (the file beside the store is
deleted first, so the server reads the store and detects), and "make run /
any restart": ``make run`` first runs scripts/prepare_dashboard.py, which saves
the opening view for the store and code (timed here: once per data and code
version), then starts the server as it does (scripts/serve.py: ``streamlit run``,
with the page's modules imported while the browser loads), whose first page
opens from it, as does every restart after a server saved it. Both are also
given from the launch of the process. "Warm" is a new page on the same server (caches full). A "first-time" change computes a selection or parameter
the server has not seen; a "cached" change returns to one it has. Bytes are the
WebSocket frames the server sent during a load or change (the map travels as
the st_folium component's arguments: its HTML and script).

"Server" is the seconds of the script run a change started, as app.py logs them
(``HOTSPOTS_RUN_LOG``, `hotspots.dashboard.log_run`); the rest of a change is the
WebSocket's and the browser's (Streamlit redrawing the page, Leaflet the map).
"Chromium CPU" is what every Chromium process used from the click to the update
(/proc, both cores together). Browser and server share this machine's 2 cores,
so the browser's work during the script run (React redrawing the page, the
compositor drawing frames) slows the run; a user's browser on their own
computer would not. (Streamlit's own fade of stale elements, composited frame by
frame here, cost 0.4-0.5 s of CPU a second: app.py dims them in one step.)

Each change starts from a freshly loaded page (a new Streamlit session), so every
change is timed from the same starting view. (The sidebar widgets of app.py have
keys and keep their own state; the URL seeds a widget only when it has none, so
a second change of the same widget in one session would be kept too.) A change
the app did not take is flagged "CHANGE LOST". A page's first change also pays
for the browser compiling the page's scripts for speed (V8's optimising
compilers: 0.39 s of CPU beside the server's run in one traced change), which
later changes in the same page do not: "later" rows time a page's third change
(two other new selections first), as a user's changes after their first.

"Other kinds of change" time, once each from a fresh page, the other widgets
of the sidebar on the county-wide view: the first month of the range one later,
a district chosen, and the two clustering methods.

Baseline, measured in the same run with the same browser: a trivial Streamlit
page (one ``st.write``, one button, one empty folium map through streamlit_folium
with the same locally served Leaflet), its cold and warm loads and a rerun from
its button. Ratios say what the dashboard costs over the framework's floor.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import row

ROOT = Path(__file__).resolve().parent.parent
#: How `make run` starts the server (`streamlit run app.py`, importing the page's
#: modules while the browser loads).
MAKE_RUN = ROOT / "scripts" / "serve.py"
#: Where the dashboard appends each script run's server seconds (app.py, `log_run`).
RUN_LOG_ENV = "HOTSPOTS_RUN_LOG"
RUN_LOG = str(Path(tempfile.gettempdir()) / f"bench-dashboard-runs-{os.getpid()}.log")
LOAD_TARGET_S = 5.0
CHANGE_TARGET_S = 1.0
COUNTY = "?month_from=2022-01&month_to=2024-04&basemap=none"
DEFAULT = "?basemap=none"
TIMEOUT_MS = 180_000
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

BASELINE_APP = '''
"""The framework's floor: one line of text, one button, one empty folium map,
drawn anew in place of the last on every run (as the dashboard draws its views)."""
import streamlit as st
from streamlit_folium import _component_func

from hotspots.mapping import in_place_args, new_map

st.write("Baseline: a trivial Streamlit page with an empty map.")
st.button("Rerun")
# each run names a new view, drawn in place on the same map in the same frame
runs = st.session_state["runs"] = st.session_state.get("runs", 0) + 1
component = in_place_args(new_map(basemap="none"), key="baseline", view=f"run-{runs}")
_component_func(
    **component, height=560, width="stretch", returned_objects=[], default={},
    zoom=None, center=None, return_on_hover=False, layer_control=None,
    pixelated=False, wrap_longitude=False,
)
'''

# Clicks are timed in the page: the last click before a change is "Update the map".
CLICK_CLOCK = """
window.__benchClick = null;
document.addEventListener('click', () => { window.__benchClick = performance.now(); }, true);
"""

# One poll of the page state; resolves (returns performance.now()) when `want` holds.
STATE_JS = """
(want) => {
  const busy = document.querySelector('[data-testid="stStatusWidget"]')
            || document.querySelector('[data-testid="stSpinner"]');
  if (want.idle && busy) return false;
  let fresh = false;
  for (const f of document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
    let d = null;
    try { d = f.contentDocument; } catch (e) { d = null; }
    if (!d || f.getBoundingClientRect().height <= 0) continue;
    const c = d.querySelector('.leaflet-container');
    if (!c || c.getBoundingClientRect().width <= 0) continue;
    // a new view: a map not seen before the click, or the same map (drawn in
    // place) now naming another view
    if (want.fresh && c.dataset.benchOld === (c.dataset.view || 'untitled')) continue;
    fresh = true;
  }
  if (!fresh) return false;
  if (want.metric) {
    let value = null;
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const label = m.querySelector('[data-testid="stMetricLabel"]');
      if (label && label.textContent.trim() === 'Incidents selected') {
        const v = m.querySelector('[data-testid="stMetricValue"]');
        value = v ? v.textContent.trim() : null;
      }
    }
    if (value === null || value === want.notMetric) return false;
  }
  if (want.table && !document.querySelector('[data-testid="stDataFrame"]')) return false;
  return performance.now();
}
"""

# Characters of the map iframe's document (after Leaflet drew it).
MAP_DOM_JS = """
() => {
  let n = 0;
  for (const f of document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
    const d = f.contentDocument;
    if (d && d.querySelector('.leaflet-container')) n = d.documentElement.outerHTML.length;
  }
  return n;
}
"""

# Mark the maps on the page now, with the view they show: a change is done when
# a map shows another view (or a new, unmarked map is drawn).
TAG_MAPS_JS = """
() => {
  for (const f of document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
    const c = f.contentDocument && f.contentDocument.querySelector('.leaflet-container');
    if (c) c.dataset.benchOld = c.dataset.view || 'untitled';
  }
}
"""

METRIC_JS = """
() => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = m.querySelector('[data-testid="stMetricLabel"]');
    if (label && label.textContent.trim() === 'Incidents selected')
      return m.querySelector('[data-testid="stMetricValue"]').textContent.trim();
  }
  return null;
}
"""


# ---------------------------------------------------------------------------------
# the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(
    script: Path, cwd: Path, *extra: str, launcher: Path | None = None
) -> Iterator[tuple[str, int, float]]:
    """A `streamlit run` subprocess; yields (url, pid, monotonic time of its launch)
    once healthy, always stops it. `launcher`: a script that starts `script` as
    `make run` does (scripts/serve.py), instead of `streamlit run` itself."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-streamlit-", suffix=".log")  # noqa: SIM115
    start = [str(launcher)] if launcher else ["-m", "streamlit", "run", str(script)]
    proc = subprocess.Popen(
        [sys.executable, *start,
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra],
        cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "ignore", RUN_LOG_ENV: RUN_LOG},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"streamlit did not start ({script}):\n{tail}")
            time.sleep(0.2)
        yield url, proc.pid, started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _settle(pid: int, *, quiet: float = 0.1, limit: float = 60.0) -> float:
    """Wait until the server's background warm-up is done (it starts
    `WARM_UP_DELAY_S` after the first page), then until the server is idle
    (under `quiet` of a core over half a second); returns the seconds waited."""
    from hotspots.dashboard import WARM_UP_DELAY_S

    tick = os.sysconf("SC_CLK_TCK")
    time.sleep(WARM_UP_DELAY_S + 0.5)

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    start = time.monotonic()
    before = cpu()
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        now = cpu()
        if now - before < quiet * 0.5:
            break
        before = now
    return time.monotonic() - start


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------------
# the browser


class Session:
    """One browser context; counts the WebSocket bytes the server sends."""

    def __init__(self, browser: Any):
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.context.add_init_script(CLICK_CLOCK)
        self.received = 0

    def page(self) -> Any:
        pg = self.context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        pg.on("websocket", self._watch)
        return pg

    def _watch(self, ws: Any) -> None:
        ws.on("framereceived", self._count)

    def _count(self, payload: bytes | str) -> None:
        self.received += len(payload)


def _wait(page: Any, **want: Any) -> float:
    """performance.now() (ms) when the page state satisfies `want`."""
    want = {"idle": False, "fresh": False, "metric": False, "notMetric": None,
            "table": False, **want}  # fmt: skip
    handle = page.wait_for_function(STATE_JS, arg=want, polling=50, timeout=TIMEOUT_MS)
    return float(handle.json_value())


def _load(sess: Session, page: Any, url: str, *, table: bool) -> dict[str, float]:
    """Navigate; seconds from navigation start to visible and to idle, bytes received."""
    before = sess.received
    page.goto(url, wait_until="commit")
    visible = _wait(page, metric=table, table=table)
    idle = _wait(page, idle=True, metric=table, table=table)
    page.wait_for_timeout(300)  # trailing frames of the same run
    return {
        "visible": visible / 1000,
        "idle": idle / 1000,
        "bytes": sess.received - before,
        "dom": page.evaluate(MAP_DOM_JS),
    }


def _change(
    sess: Session, page: Any, act: Callable[[], None], *, metric: bool
) -> dict[str, float]:
    """Run `act` (ends with a click on the submit button); seconds until updated."""
    page.evaluate(TAG_MAPS_JS)
    before_metric = page.evaluate(METRIC_JS) if metric else None
    before = sess.received
    runs = len(_runs())
    act()
    done = _wait(
        page, idle=True, fresh=True, metric=metric, notMetric=before_metric,
        table=metric,
    )  # fmt: skip
    browser_cpu = _browser_cpu() - _CPU_AT_CLICK
    clicked = page.evaluate("window.__benchClick")
    page.wait_for_timeout(300)
    new_runs = _runs()[runs:]
    return {
        "seconds": (done - clicked) / 1000,
        "bytes": sess.received - before,
        "metric": page.evaluate(METRIC_JS) if metric else None,
        # the script run the click started (the last): the server's part
        "server": new_runs[-1] if new_runs else float("nan"),
        # Chromium's CPU seconds from the click to the update (both cores)
        "browser_cpu": browser_cpu,
    }


def _runs() -> list[float]:
    """Seconds of every dashboard script run so far (`RUN_LOG`)."""
    try:
        return [float(v) for v in Path(RUN_LOG).read_text().split()]
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------
# dashboard actions (selectors as in tests/test_browser.py)


def _submit(page: Any) -> None:
    global _CPU_AT_CLICK
    _CPU_AT_CLICK = _browser_cpu()
    page.get_by_role("button", name="Update the map").click()


#: `_browser_cpu` when "Update the map" was last clicked (`_submit`).
_CPU_AT_CLICK = float("nan")


def _browser_cpu() -> float:
    """CPU seconds used so far by every Chromium process on this machine (Linux
    /proc; NaN elsewhere). The browser shares the server's 2 cores: what it uses
    during a change (React redrawing the page, Leaflet the map, the compositor
    drawing frames) is CPU the server's script run does not get."""
    total, seen = 0.0, False
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")].lower()
        if "chrom" in name or "headless" in name:
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
            seen = True
    return total if seen else float("nan")


def _add_theme(
    page: Any, theme: str, *, replacing: str | None = None
) -> Callable[[], None]:
    def act() -> None:
        box = page.get_by_test_id("stMultiSelect").filter(has_text="Themes")
        if replacing is not None:
            box.get_by_role("button", name=f"Remove {replacing}").click()
        box.click()
        page.keyboard.type(theme)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        _submit(page)

    return act


def _remove_theme(page: Any, theme: str) -> Callable[[], None]:
    def act() -> None:
        box = page.get_by_test_id("stMultiSelect").filter(has_text="Themes")
        box.get_by_role("button", name=f"Remove {theme}").click()
        _submit(page)

    return act


def _nudge_bandwidth(page: Any, steps: int) -> Callable[[], None]:
    def act() -> None:
        slider = page.get_by_test_id("stSlider").filter(has_text="Bandwidth (m)")
        slider.get_by_role("slider").focus()
        for _ in range(steps):
            page.keyboard.press("ArrowRight")  # +25 m
        _submit(page)

    return act


def _nudge_months(page: Any, steps: int) -> Callable[[], None]:
    def act() -> None:
        slider = page.get_by_test_id("stSlider").filter(has_text="Months")
        slider.get_by_role("slider").first.focus()
        for _ in range(steps):
            page.keyboard.press("ArrowRight")  # the first month, one later
        _submit(page)

    return act


def _choose(page: Any, box: str, value: str) -> Callable[[], None]:
    def act() -> None:
        page.get_by_test_id("stMultiSelect").filter(has_text=box).click()
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        _submit(page)

    return act


def _method(page: Any, label: str) -> Callable[[], None]:
    def act() -> None:
        page.get_by_text(label, exact=True).click()
        _submit(page)

    return act


# ---------------------------------------------------------------------------------
# reporting


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def _verdict(seconds: float, target: float) -> str:
    return f"{'meets' if seconds <= target else 'MISSES'} the {target:g} s target"


def _summary(values: list[float]) -> tuple[float, str]:
    best, med = min(values), statistics.median(values)
    return best, f"best of {len(values)}; median {med:.3f} s"


# ---------------------------------------------------------------------------------


def _baseline(browser: Any, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        app = Path(tmp) / "baseline_app.py"
        app.write_text(textwrap.dedent(BASELINE_APP))
        shutil.copytree(ROOT / "static", Path(tmp) / "static")
        with _server(app, Path(tmp), "--server.enableStaticServing", "true") as (
            url,
            _,
            started,
        ):
            sess = Session(browser)
            navigated = time.monotonic()
            cold = _load(sess, sess.page(), url, table=False)
            cold_launch = navigated - started + cold["visible"]
            warm = [_load(sess, sess.page(), url, table=False) for _ in range(repeat)]
            page = sess.page()
            _load(sess, page, url, table=False)
            reruns = [
                _change(
                    sess,
                    page,
                    lambda: page.get_by_role("button", name="Rerun").click(),
                    metric=False,
                )["seconds"]
                for _ in range(repeat)
            ]
            sess.context.close()
    return {
        "cold": cold["visible"],
        "cold_launch": cold_launch,
        "warm": min(w["visible"] for w in warm),
        "rerun": min(reruns),
        "bytes": cold["bytes"],
    }


def _from(
    sess: Session,
    page: Any,
    url: str,
    act: Callable[[Any], Callable[[], None]],
    *,
    metric: bool,
    expect: str | None = None,
) -> dict[str, Any]:
    """Load `url` afresh (a new session), then time one change.

    A fresh session per change, so every change starts from the same view (see
    the module docstring).
    """
    _load(sess, page, url, table=True)
    r = _change(sess, page, act(page), metric=metric)
    r["lost"] = expect is not None and expect not in page.url
    return r


def _cold(browser: Any, url: str, started: float) -> tuple[Session, dict[str, float]]:
    sess = Session(browser)
    navigated = time.monotonic()
    cold = _load(sess, sess.page(), url + DEFAULT, table=True)
    cold["launch"] = navigated - started + cold["visible"]
    return sess, cold


def _dashboard(browser: Any, repeat: int, base: dict[str, float]) -> None:
    from hotspots.dashboard import WARM_UP_DELAY_S, opening_path

    n = max(1, repeat)
    print("\n  First load of the dashboard (default view: latest 6 months, KDE)")
    opening_path(None).unlink(missing_ok=True)
    with _server(ROOT / "app.py", ROOT) as (url, _, started):
        sess, first = _cold(browser, url, started)
        sess.context.close()
    row(
        "cold, streamlit run alone, nothing saved: visible",
        first["visible"],
        f"{first['visible'] / base['cold']:.1f}x baseline; "
        f"{_verdict(first['visible'], LOAD_TARGET_S)}; "
        f"from launch {first['launch']:.3f} s",
    )
    # `make run` prepares the opening view before it starts the server
    opening_path(None).unlink(missing_ok=True)
    began = time.monotonic()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "prepare_dashboard.py")],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    row(
        "make run's preparation of the opening view (once per data+code)",
        time.monotonic() - began,
        "scripts/prepare_dashboard.py, before the server starts",
    )
    if not opening_path(None).exists():
        print("  (the opening view was not saved: the start below computes it too)")
    with _server(ROOT / "app.py", ROOT, launcher=MAKE_RUN) as (url, pid, started):
        sess, cold = _cold(browser, url, started)
        row(
            "cold, make run / any restart (view saved): page, map, table visible",
            cold["visible"],
            f"{cold['visible'] / base['cold']:.1f}x baseline; "
            f"{_verdict(cold['visible'], LOAD_TARGET_S)}",
        )
        row(
            "cold, make run / restart, from the launch of streamlit run",
            cold["launch"],
            f"baseline from launch {base['cold_launch']:.3f} s",
        )
        row("cold, make run / restart: app idle (tables, charts drawn)", cold["idle"])
        waited = _settle(pid)
        print(
            f"  (then the server warmed up in the background, {WARM_UP_DELAY_S:g} s "
            f"after the page: imports, the store, one small view; idle "
            f"{waited:.1f} s later)"
        )
        warm = [_load(sess, sess.page(), url + DEFAULT, table=True) for _ in range(n)]
        best, how = _summary([w["visible"] for w in warm])
        row(
            "warm (new page, server caches full): visible",
            best,
            f"{best / base['warm']:.1f}x baseline; {how}; "
            f"{_verdict(best, LOAD_TARGET_S)}",
        )
        row("warm: app idle", min(w["idle"] for w in warm))
        print(
            f"  sent to the browser (WebSocket) on the default view: {_mb(cold['bytes'])}"
            f" (baseline page: {base['bytes'] / 1e3:.1f} kB);"
            f" map iframe DOM {cold['dom'] / 1e6:.2f} M chars"
        )

        print("\n  County-wide, all 17 months (KDE 200 m)")
        page = sess.page()
        county = url + COUNTY
        first = _load(sess, page, county, table=True)
        row(
            "load, first time on this server (computes the view): visible",
            first["visible"],
            f"{first['visible'] / base['warm']:.1f}x baseline (warm)",
        )
        again = _load(sess, page, county, table=True)
        row(
            "load again (cached): visible",
            again["visible"],
            f"{again['visible'] / base['warm']:.1f}x baseline (warm); "
            f"idle {again['idle']:.3f} s; {_verdict(again['visible'], LOAD_TARGET_S)}",
        )
        print(
            f"  sent to the browser (WebSocket) on the county-wide view: "
            f"{_mb(again['bytes'])}; map iframe DOM {again['dom'] / 1e6:.2f} M chars"
        )

        print(
            "\n  Filter change on the county-wide 17 months (each from a fresh page; "
            f"click -> map and tables updated; target {CHANGE_TARGET_S:g} s)"
        )
        violence = "serious violence & weapons"
        themes = [violence, "ASB & public space", "drugs & county lines", "acquisitive"]
        fresh: list[float] = []
        for theme in themes[:n]:
            r = _from(sess, page, county, partial(_add_theme, theme=theme), metric=True)
            fresh.append(r["seconds"])
            row(
                f"first-time: add theme '{theme}'",
                r["seconds"],
                f"{r['seconds'] / base['rerun']:.0f}x baseline rerun; "
                f"{r['metric']} incidents; {_mb(r['bytes'])} sent; "
                f"server {r['server']:.2f} s; Chromium CPU {r['browser_cpu']:.2f} s",
            )
        cached: list[float] = []
        cached_server: list[float] = []
        for i in range(n):
            if i % 2 == 0:  # all themes -> violence, seen above
                r = _from(
                    sess, page, county, lambda pg: _add_theme(pg, violence), metric=True
                )
            else:  # violence -> all themes, seen above
                start = county + "&themes=serious+violence+%26+weapons"
                r = _from(
                    sess,
                    page,
                    start,
                    lambda pg: _remove_theme(pg, violence),
                    metric=True,
                )
            cached.append(r["seconds"])
            cached_server.append(r["server"])
        best, how = _summary(fresh)
        row(
            "first-time selection (uncached computation)",
            best,
            f"{best / base['rerun']:.0f}x baseline rerun; {how}; "
            f"{_verdict(best, CHANGE_TARGET_S)}",
        )
        best, how = _summary(cached)
        row(
            "back to a selection already seen (cached)",
            best,
            f"{best / base['rerun']:.0f}x baseline rerun; {how}; "
            f"{_verdict(best, CHANGE_TARGET_S)}; "
            f"server {min(cached_server):.2f}-{max(cached_server):.2f} s",
        )

        print(
            "\n  Parameter change on the county-wide 17 months (each from a fresh page)"
        )
        fresh, cached = [], []
        for i in range(n - 1):  # with Gi* below: `n` first-time parameter changes
            bw = 200 + 25 * (i + 1)
            r = _from(
                sess, page, county, partial(_nudge_bandwidth, steps=i + 1),
                metric=False, expect=f"bandwidth={bw}",
            )  # fmt: skip
            fresh.append(r["seconds"])
            row(
                f"first-time: KDE bandwidth 200 -> {bw} m",
                r["seconds"],
                f"{r['seconds'] / base['rerun']:.0f}x baseline rerun; "
                f"server {r['server']:.2f} s; Chromium CPU {r['browser_cpu']:.2f} s"
                + ("; CHANGE LOST (URL unchanged)" if r["lost"] else ""),
            )
        r = _from(
            sess, page, county,
            lambda pg: _method(pg, "Hot and cold spots (Getis-Ord Gi*)"),
            metric=False, expect="method=gistar",
        )  # fmt: skip
        fresh.append(r["seconds"])
        row(
            "first-time: method KDE -> Gi* (100 m cells)",
            r["seconds"],
            f"{r['seconds'] / base['rerun']:.0f}x baseline rerun; {_mb(r['bytes'])} sent; "
            f"server {r['server']:.2f} s; Chromium CPU {r['browser_cpu']:.2f} s"
            + ("; CHANGE LOST (URL unchanged)" if r["lost"] else ""),
        )
        for _ in range(n):
            r = _from(
                sess, page, county, lambda pg: _nudge_bandwidth(pg, 1),
                metric=False, expect="bandwidth=225",
            )  # fmt: skip
            cached.append(r["seconds"])
        best, how = _summary(fresh)
        row(
            "first-time parameter (uncached computation)",
            best,
            f"{best / base['rerun']:.0f}x baseline rerun; {how}; "
            f"{_verdict(best, CHANGE_TARGET_S)}",
        )
        best, how = _summary(cached)
        row(
            "parameters already seen (cached: bandwidth 225 m again)",
            best,
            f"{best / base['rerun']:.0f}x baseline rerun; {how}; "
            f"{_verdict(best, CHANGE_TARGET_S)}",
        )
        print(
            "\n  Other kinds of change, county-wide (each once, from a fresh page; "
            f"target {CHANGE_TARGET_S:g} s)"
        )
        others = [
            (
                "first-time: months from 2022-01 -> 2022-02 (slider)",
                partial(_nudge_months, steps=1),
                True,
                "month_from=2022-02",
            ),
            (
                "first-time: district Medway chosen",
                partial(_choose, box="Districts", value="Medway"),
                True,
                "districts=E06000035",
            ),
            (
                "first-time: method KDE -> DBSCAN (150 m, 30 incidents)",
                lambda pg: _method(pg, "Clusters (DBSCAN)"),
                False,
                "method=dbscan",
            ),
            (
                "first-time: method KDE -> HDBSCAN (smallest cluster 30 incidents)",
                lambda pg: _method(pg, "Clusters (HDBSCAN)"),
                False,
                "method=hdbscan",
            ),
        ]
        for label, act, metric, expect in others:
            r = _from(sess, page, county, act, metric=metric, expect=expect)
            row(
                label,
                r["seconds"],
                f"{r['seconds'] / base['rerun']:.0f}x baseline rerun; "
                f"{_verdict(r['seconds'], CHANGE_TARGET_S)}; "
                f"server {r['server']:.2f} s; Chromium CPU {r['browser_cpu']:.2f} s"
                + ("; CHANGE LOST (URL unchanged)" if r["lost"] else ""),
            )
        print(
            "\n  Later changes, county-wide (a page's third change: two other new "
            "selections first; one month fewer each, so each is new)"
        )
        later: list[float] = []
        for i, theme in enumerate(themes[:n]):
            span = county.replace("month_from=2022-01", f"month_from=2022-{i + 2:02d}")
            _load(sess, page, span, table=True)
            _change(sess, page, _add_theme(page, "other"), metric=True)
            _change(
                sess,
                page,
                _add_theme(page, "acquisitive", replacing="other"),
                metric=True,
            )
            r = _change(
                sess,
                page,
                _add_theme(page, theme, replacing="acquisitive"),
                metric=True,
            )
            later.append(r["seconds"])
            row(
                f"later, first-time: theme '{theme}' from 2022-{i + 2:02d}",
                r["seconds"],
                f"{r['seconds'] / base['rerun']:.0f}x baseline rerun; "
                f"{r['metric']} incidents; server {r['server']:.2f} s; "
                f"Chromium CPU {r['browser_cpu']:.2f} s",
            )
        best, how = _summary(later)
        row(
            "later first-time selection (a page's third change)",
            best,
            f"{best / base['rerun']:.0f}x baseline rerun; {how}; "
            f"{_verdict(best, CHANGE_TARGET_S)}",
        )
        print(f"\n  Server peak memory (VmHWM of streamlit): {_vm_hwm_mb(pid):,.0f} MB")
        sess.context.close()


def run(repeat: int) -> None:
    """Measure the dashboard in headless Chromium and print each figure."""
    chromium = shutil.which("chromium")
    print("\nDashboard in a headless browser (Streamlit + streamlit-folium)")
    if chromium is None:
        print("  skipped: Chromium not installed (make browser); no browser figures")
        return
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    load = os.getloadavg()
    print(
        f"  Chromium {chromium}, viewport 1366x768; URLs use basemap=none (no tile "
        f"requests: no internet here). Load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} on {os.cpu_count()} cores (a shared machine)."
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            base = _baseline(browser, repeat)
            print("\n  Baseline: trivial Streamlit page with an empty folium map")
            row("baseline cold load (fresh server): visible", base["cold"])
            row("baseline cold, from the launch of streamlit run", base["cold_launch"])
            row("baseline warm load (new page): visible", base["warm"])
            row(
                "baseline rerun (button click -> map redrawn in place, idle)",
                base["rerun"],
            )
            _dashboard(browser, repeat, base)
        finally:
            browser.close()
            Path(RUN_LOG).unlink(missing_ok=True)
    load = os.getloadavg()
    print(
        f"  Load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"browser bench took {time.perf_counter() - t0:.0f} s"
    )
