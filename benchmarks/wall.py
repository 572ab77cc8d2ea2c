"""Wall benchmark: time to wall ready, refresh-tick bytes, and server time of layout and figure callbacks.

    python benchmarks/wall.py [--incidents 2000000] [--runs 5] [--rounds 20]

With the demo city at ``--incidents`` rows, the wall is served on 127.0.0.1 by waitress (the same
server `python run.py` uses) in a process of its own, and driven by headless Debian Chromium at 1920×1080:

1. time to wall ready: navigation start → every graph drawn, cold (fresh browser context) and warm
   (a repeat visit in the same tab), beside the same measure for a bare Dash page holding the same number of empty graphs
   (the goal's floor) and for that page with the wall's cartesian plotly.js bundle;
2. refresh ticks: bytes on the wire (request + response) of a tick when nothing changed, and which
   callbacks run and how many bytes they move after a publish to one dataset;
3. server time of the initial layout and of every figure callback (p50 / p95), measured by request
   hooks in the server process around the real requests the browser makes while datasets are
   republished.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
#: Counts a graph as drawn when its Plotly.react promise resolves: after every trace is drawn,
#: including a MapLibre map's canvas (the SVG shell of a map graph appears long before that).
DRAWN_JS = """(() => {
  window.__cwDrawn = {};
  let plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return plotly; }, set(value) {
    plotly = value;
    const react = value.react;
    value.react = function (gd, ...rest) {
      const out = react.call(this, gd, ...rest);
      Promise.resolve(out).then(() => {
        const key = (gd.parentElement && gd.parentElement.id) || gd.id;
        if (!(key in window.__cwDrawn)) window.__cwDrawn[key] = performance.now();
      });
      return out;
    };
  }});
})();"""
READY_JS = "(n) => Object.keys(window.__cwDrawn || {}).length >= n"


class RequestTimer:
    """Flask hooks in the server process: server time and bytes of every request, keyed by callback
    output or path, one JSON line each in ``log_path`` (the measuring process reads it)."""

    def __init__(self, flask_app, log_path: str) -> None:
        self.log = open(log_path, "ab", buffering=0)
        self.lock = threading.Lock()
        flask_app.before_request(self._before)
        flask_app.after_request(self._after)

    @staticmethod
    def _before():
        from flask import g

        g.cw_started = time.perf_counter()

    def _after(self, response):
        from flask import g, request

        key = request.path
        if request.method == "POST":  # Dash 4 posts callbacks to a hashed URL: key them by their output
            try:
                key = orjson.loads(request.get_data()).get("output", key)
            except (orjson.JSONDecodeError, AttributeError):
                pass
        record = {"key": key, "ms": (time.perf_counter() - g.cw_started) * 1000, "req": len(request.get_data()),
                  "resp": response.calculate_content_length() or 0, "at": time.time()}
        with self.lock:
            self.log.write(orjson.dumps(record) + b"\n")
        return response


def request_log(path: Path, since: float = 0.0) -> list[dict]:
    """The timed server's records (see RequestTimer) from ``since`` on."""
    lines = path.read_bytes().splitlines() if path.exists() else []
    return [r for r in map(orjson.loads, lines) if r["at"] >= since]


BARE_APP = """
import sys
import dash
from dash import dcc, html
from waitress import serve
# argv[3], optional: an assets folder (the wall's plotly.js bundle) for a like-for-like floor
app = dash.Dash(__name__, serve_locally=True, update_title=None, **({"assets_folder": sys.argv[3]} if len(sys.argv) > 3 else {}))
app.layout = html.Div([dcc.Graph(id=f"g{i}", figure={}, style={"width": "400px", "height": "250px"},
                                 config={"displayModeBar": False}) for i in range(int(sys.argv[1]))])
serve(app.server, host="127.0.0.1", port=int(sys.argv[2]), threads=8)
"""
WALL_APP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from waitress import serve
from dashboard.app import create_app
from dashboard.settings import load_settings
settings = load_settings(Path(sys.argv[1]), environ={})
serve(create_app(settings).server, host="127.0.0.1", port=int(sys.argv[2]), threads=8)
"""
TIMED_WALL_APP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
sys.path.insert(0, sys.argv[3] + "/benchmarks")
from waitress import serve
from dashboard.app import create_app
from dashboard.settings import load_settings
from wall import RequestTimer
app = create_app(load_settings(Path(sys.argv[1]), environ={}))
RequestTimer(app.server, sys.argv[4])
serve(app.server, host="127.0.0.1", port=int(sys.argv[2]), threads=8)
"""


def _serve_process(code: str, *args: str) -> tuple[str, object]:
    """Serve a Dash app from its own process (two Dash apps in one process share Dash's global
    callback registry; and the measuring process must not slow either server). It runs in an empty
    folder, so the bare page picks up no assets."""
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", code, *args[:1], str(port), *args[1:]],
                            cwd=tempfile.mkdtemp(prefix="citywall-bench-"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return url, proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the benchmark server did not start: {code.strip().splitlines()[-1]}")


def _time_to_ready(browser, url: str, n_graphs: int, runs: int) -> tuple[list[float], list[float]]:
    """Cold: a fresh browser context (empty HTTP cache, new renderer). Warm: a repeat visit in the
    same tab, arriving from a small page of the same server (HTTP and code caches warm), so neither
    measure includes tearing down a previous copy of the page."""
    origin = url.split("/", 3)
    light = "/".join(origin[:3]) + "/_dash-layout"  # a few hundred bytes of JSON on the same origin
    cold, warm = [], []
    for _ in range(runs):
        context, page = _new_page(browser)
        page.goto(url, wait_until="commit")
        page.wait_for_function(READY_JS, arg=n_graphs, timeout=60_000, polling=16)
        cold.append(page.evaluate("Math.max(...Object.values(window.__cwDrawn))"))
        page.goto(light)
        page.goto(url, wait_until="commit")
        page.wait_for_function(READY_JS, arg=n_graphs, timeout=60_000, polling=16)
        warm.append(page.evaluate("Math.max(...Object.values(window.__cwDrawn))"))
        context.close()
    return cold, warm


def _output_ids(key: str) -> list[str]:
    """'..wall-g-map.figure...wall-district-list.children..' → ['wall-g-map', 'wall-district-list']."""
    return [part.rsplit(".", 1)[0] for part in key.strip(".").split("...") if part]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _city(args) -> Path:
    """The demo city's config, seeded and pulled (or reused from ``--keep``)."""
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from datasources.demo import ensure_demo_city

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="citywall-wall-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "citywall.toml"
    base = (ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
    # no pullers run while measuring, so every source is hourly: the wall stays fresh for the whole
    # run instead of turning stale (hatched panels, pulsing badges) a few minutes in
    config.write_text(base.replace('data_dir = "../data"', f'data_dir = "{tmp / "data"}"')
                      .replace("incidents = 60000", f"incidents = {args.incidents}")
                      .replace("live = true", "live = false").replace("refresh_seconds = 15", "refresh_seconds = 1")
                      .replace('schedule = "interval:1m"', 'schedule = "interval:1h"')
                      .replace('schedule = "interval:10m"', 'schedule = "interval:1h"')
                      .replace('schedule = "interval:30m"', 'schedule = "interval:1h"'), encoding="utf-8")
    marker = tmp / f"pulled-{args.incidents}"
    if marker.exists():  # pull again: a wall of hours-old data would be measured with its stale badges
        settings = load_settings(config, environ={})
        assert all(r.ok for r in Puller(settings, open_store(settings.app.store, settings.data_dir)).run_all("benchmark"))
        return config
    settings = load_settings(config, environ={})
    t0 = time.perf_counter()
    ensure_demo_city(settings, force=True)
    assert all(r.ok for r in Puller(settings, open_store(settings.app.store, settings.data_dir)).run_all("benchmark"))
    print(f"demo city: {args.incidents:,} incidents seeded and pulled in {time.perf_counter() - t0:.1f} s")
    marker.touch()
    return config


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_init_script(DRAWN_JS)
    return context, context.new_page()


def measure_ready(browser, config: Path, n_graphs: int, runs: int) -> None:
    """The goal's floor is a bare Dash page (full plotly.js); the second floor loads the wall's
    cartesian bundle too, so the wall's own cost shows apart from the smaller bundle's."""
    bare_url, bare_proc = _serve_process(BARE_APP, str(n_graphs))
    slim_url, slim_proc = _serve_process(BARE_APP, str(n_graphs), str(ROOT / "assets" / "vendor"))
    wall_url, wall_proc = _serve_process(WALL_APP, str(config), str(ROOT))
    pages = {"bare Dash, empty graphs": bare_url, "  with the wall's bundle": slim_url,
             "CityWall /wall": wall_url + "/wall"}
    times = {label: ([], []) for label in pages}
    try:
        for url in pages.values():  # warm the browser binary, the font cache and the wall's render cache
            _time_to_ready(browser, url, n_graphs, 1)
        # interleaved, one run of each page in turn: a shared machine's drift weighs on all alike
        for _ in range(runs):
            for label, url in pages.items():
                one_cold, one_warm = _time_to_ready(browser, url, n_graphs, 1)
                times[label][0].extend(one_cold)
                times[label][1].extend(one_warm)
    finally:
        for proc in (bare_proc, slim_proc, wall_proc):
            proc.terminate()
    print(f"\n1. time to wall ready at 1920×1080 ({n_graphs} graphs, median of {runs} loads; "
          "every graph's Plotly draw resolved)")
    print(f"   {'':26}{'cold ms':>9}{'warm ms':>9}")
    for label, (cold, warm) in times.items():
        print(f"   {label:26}{statistics.median(cold):>9.0f}{statistics.median(warm):>9.0f}"
              f"   (cold {', '.join(f'{v:.0f}' for v in cold)}; warm {', '.join(f'{v:.0f}' for v in warm)})")
    (wall_cold, wall_warm) = times["CityWall /wall"]
    for label, note in (("bare Dash, empty graphs", " (goal ≤ 1.5)"), ("  with the wall's bundle", "")):
        cold, warm = times[label]
        print(f"   ratio wall / {label.strip()}: cold {statistics.median(wall_cold) / statistics.median(cold):.2f}, "
              f"warm {statistics.median(wall_warm) / statistics.median(warm):.2f}{note}")


def measure_ticks_and_server(browser, config: Path, n_graphs: int, rounds: int) -> None:
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from layouts.wall_ids import DATASETS, IDS

    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)  # the server's store, on disk: publishes reach it
    log_path = Path(tempfile.mkdtemp(prefix="citywall-bench-log-")) / "requests.jsonl"
    wall_url, wall_proc = _serve_process(TIMED_WALL_APP, str(config), str(ROOT), str(log_path))
    context, page = _new_page(browser)
    page.goto(wall_url + "/wall", wait_until="networkidle")
    page.wait_for_function(READY_JS, arg=n_graphs, timeout=60_000)
    page.wait_for_timeout(3000)
    start = time.time()
    page.wait_for_timeout(10_000)
    idle = request_log(log_path, start)
    polls = [r for r in idle if IDS["versions"] in r["key"]]
    others = [r for r in idle if IDS["versions"] not in r["key"]]
    per_tick = [r["req"] + r["resp"] for r in polls]
    print("\n2. refresh ticks (period 1 s)")
    print(f"   unchanged: {len(polls)} ticks in 10 s, {statistics.mean(per_tick):.0f} B per tick "
          f"(request {statistics.mean(r['req'] for r in polls):.0f} B + response "
          f"{statistics.mean(r['resp'] for r in polls):.0f} B; goal < 2 KB); other requests: {len(others)}")
    for dataset in ("exchange", "incidents"):
        snap = store.snapshot(dataset)
        start = time.time()
        store.publish(dataset, snap.frames, snap.meta)
        page.wait_for_timeout(4000)
        changed = [r for r in request_log(log_path, start) if IDS["versions"] not in r["key"]]
        outputs = sorted({o for r in changed for o in _output_ids(r["key"])})
        print(f"   after a publish to {dataset}: {len(changed)} callback requests, "
              f"{sum(r['req'] + r['resp'] for r in changed) / 1024:.1f} KB: {', '.join(outputs)}")

    # 3. server time: initial layout (page loads) and figure callbacks (republish every dataset)
    layout_start = time.time()
    for i in range(2 * rounds):
        # half the loads come right after a publish (the page is built anew), half are repeat visits;
        # a new browser context each time, so the layout request shares the server with every asset's
        if i % 2 == 0:
            dataset = DATASETS[(i // 2) % len(DATASETS)]
            snap = store.snapshot(dataset)
            store.publish(dataset, snap.frames, snap.meta)
            page.wait_for_timeout(1500)
        load_context, load_page = _new_page(browser)
        load_page.goto(wall_url + "/wall", wait_until="commit")
        load_page.wait_for_function(READY_JS, arg=n_graphs, timeout=60_000)
        load_context.close()
    page.wait_for_timeout(2000)
    start = time.time()
    for _ in range(rounds):
        for dataset in DATASETS:  # one publish at a time, as pullers publish
            snap = store.snapshot(dataset)
            store.publish(dataset, snap.frames, snap.meta)
            page.wait_for_timeout(1500)
    callbacks = defaultdict(list)
    for r in request_log(log_path, start):
        if IDS["versions"] not in r["key"]:
            callbacks[r["key"]].append(r["ms"])
    layouts = [r["ms"] for r in request_log(log_path, layout_start)
               if "_pages_content" in r["key"] or r["key"] == "/_dash-layout"]
    print(f"\n3. server time (ms)            {'n':>4}{'p50':>8}{'p95':>8}")
    print(f"   initial layout (page)       {len(layouts):>4}{_pct(layouts, .5):>8.1f}{_pct(layouts, .95):>8.1f}"
          "   (cold page loads, half of them right after a publish)")
    everything = []
    for key, values in sorted(callbacks.items()):
        everything += values
        print(f"   {', '.join(_output_ids(key))[:28]:28}{len(values):>4}{_pct(values, .5):>8.1f}{_pct(values, .95):>8.1f}")
    print(f"   all figure callbacks        {len(everything):>4}{_pct(everything, .5):>8.1f}"
          f"{_pct(everything, .95):>8.1f}   (goal p95 < 50 ms)")
    context.close()
    wall_proc.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=7, help="page loads per time-to-ready measure")
    parser.add_argument("--rounds", type=int, default=10, help="republish rounds for callback server times")
    parser.add_argument("--only", choices=("ready", "ticks"), help="run one part (ticks includes server times)")
    parser.add_argument("--keep", metavar="DIR", help="seed the city into DIR once and reuse it on later runs")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from layouts.wall_ids import IDS

    config = _city(args)
    n_graphs = len(IDS["graph"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        if args.only in (None, "ready"):
            measure_ready(browser, config, n_graphs, args.runs)
        if args.only in (None, "ticks"):
            measure_ticks_and_server(browser, config, n_graphs, args.rounds)
        browser.close()


if __name__ == "__main__":
    main()
