"""Drill pages ready in headless Chromium, against bare Dash pages; and the server time of their requests.

    python benchmarks/drill_ready.py [--incidents 2000000] [--runs 9] [--keep DIR] [--pages /incidents ...]

With the demo city at ``--incidents`` rows (seeded and pulled as for wall.py, the same ``--keep``
folder), CityWall is served by waitress on 127.0.0.1 in a process of its own, with request hooks
that log the server time of every request (benchmarks/wall.py's RequestTimer). Headless Debian
Chromium at 1920×1080 loads each drill page, and the time is taken from navigation start to the
page's "drawn" flag (assets/drawn.js: every graph drawn, every table showing its first rows, no
component code still loading), cold (a fresh browser context) and warm (a repeat visit in the same
tab, arriving from a small JSON of the same server, ``/_dash-dependencies``).

The floors are bare Dash pages served the same way, with the same drawn.js and nothing else:
one ``dcc.Graph``; and, per drill page, as many empty graphs as the page draws and an empty AG Grid
where it has one (issue 11's goal: ready within 1.5× of that). Runs alternate between the pages
(one run of each in turn), so a shared machine's drift weighs on all alike.

Prints median and p95 of each, the ratios, and per drill page the server time (p50 / p95) of its
page request (``/_dash-layout``, which carries the page) and of the callbacks its first draw fires.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.wall import (CHROMIUM_ARGS, TIMED_WALL_APP, _city, _output_ids, _pct, _serve_process,  # noqa: E402
                             request_log)

PAGES = ("/incidents", "/sharing", "/scoreboard")
#: the moment the drawn flag goes up, in ms since navigation start
FLAG_JS = """(() => {
  new MutationObserver((_, observer) => {
    if (document.documentElement.dataset.cwDrawn && !window.__cwDrawnAt) {
      window.__cwDrawnAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-cw-drawn']});
})();"""
READY_JS = "() => !!window.__cwDrawnAt"
BARE_APP = """
import sys
import dash
import dash_ag_grid as dag
from dash import dcc, html
from waitress import serve
# argv: graphs, port, assets folder (drawn.js only), grids
app = dash.Dash(__name__, serve_locally=True, update_title=None, assets_folder=sys.argv[3])
graphs = [dcc.Graph(id=f"g{i}", figure={}, style={"height": "300px"}, config={"displayModeBar": False})
          for i in range(int(sys.argv[1]))]
grids = [dag.AgGrid(id=f"t{i}", rowData=[], columnDefs=[{"field": "a"}, {"field": "b"}], style={"height": "400px"})
         for i in range(int(sys.argv[4]))]
app.layout = html.Div(graphs + grids, className="cw-drill-page")
serve(app.server, host="127.0.0.1", port=int(sys.argv[2]), threads=8)
"""


def _load(browser, url: str, light: str) -> tuple[float, float]:
    """(cold, warm) ms from navigation start to the drawn flag."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_init_script(FLAG_JS)
    page = context.new_page()
    try:
        times = []
        for warm in (False, True):
            if warm:
                page.goto(light)
            page.goto(url, wait_until="commit")
            page.wait_for_function(READY_JS, timeout=120_000, polling=50)
            times.append(page.evaluate("window.__cwDrawnAt"))
        return times[0], times[1]
    finally:
        context.close()


def _shape(browser, url: str, light: str) -> tuple[int, int]:
    """How many graphs and tables the drill page at ``url`` draws."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(FLAG_JS)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY_JS, timeout=120_000, polling=50)
    shape = (0, 0)
    for _ in range(10):  # the page as it stands once drawn (taken a few times: the most it shows)
        now = page.evaluate("() => [document.querySelectorAll('.cw-drill-page .dash-graph').length, "
                            "document.querySelectorAll('.cw-drill-page .ag-root-wrapper').length]")
        shape = (max(shape[0], int(now[0])), max(shape[1], int(now[1])))
        page.wait_for_timeout(100)
    context.close()
    return shape


def _row(label: str, cold: list[float], warm: list[float]) -> str:
    return (f"   {label:34}{statistics.median(cold):>8.0f}{_pct(cold, .95):>8.0f}"
            f"{statistics.median(warm):>8.0f}{_pct(warm, .95):>8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description="下钻页就绪时间基准测试（对比空白 Dash 页面）")
    parser.add_argument("--incidents", type=int, default=2_000_000, help="演示城市的事件条数")
    parser.add_argument("--runs", type=int, default=9, help="每个页面的加载次数")
    parser.add_argument("--keep", metavar="DIR", help="演示城市只生成一次，之后复用该目录")
    parser.add_argument("--pages", nargs="+", default=list(PAGES), help="要测的下钻页路径")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    config = _city(args)
    assets = Path(tempfile.mkdtemp(prefix="citywall-bare-assets-"))
    shutil.copy(ROOT / "assets" / "drawn.js", assets / "drawn.js")  # the same flag, nothing else
    log_path = Path(tempfile.mkdtemp(prefix="citywall-bench-log-")) / "requests.jsonl"
    procs = []
    try:
        wall_url, proc = _serve_process(TIMED_WALL_APP, str(config), str(ROOT), str(log_path))
        procs.append(proc)
        light = wall_url + "/_dash-dependencies"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            shapes = {path: _shape(browser, wall_url + path, light) for path in args.pages}
            floors: dict[tuple[int, int], str] = {}
            for shape in {(1, 0), *shapes.values()}:
                url, proc = _serve_process(BARE_APP, str(shape[0]), str(assets), str(shape[1]))
                procs.append(proc)
                floors[shape] = url
            targets = {f"bare Dash, {g} graph{'s' if g != 1 else ''}" + (f" + {t} empty grid" if t else ""):
                       (floors[(g, t)], None) for g, t in sorted(floors)}
            targets.update({f"CityWall {path}": (wall_url + path, path) for path in args.pages})
            times = {label: ([], []) for label in targets}
            windows: dict[str, list[tuple[float, float]]] = {path: [] for path in args.pages}
            for label, (url, _) in targets.items():  # warm the browser binary, fonts and the page caches
                _load(browser, url, "/".join(url.split("/", 3)[:3]) + "/_dash-dependencies")
            for _ in range(args.runs):
                for label, (url, path) in targets.items():
                    origin = "/".join(url.split("/", 3)[:3])
                    started = time.time()
                    # the warm visit arrives from a small JSON of the same server (not a page request)
                    cold, warm = _load(browser, url, origin + "/_dash-dependencies")
                    times[label][0].append(cold)
                    times[label][1].append(warm)
                    if path:
                        windows[path].append((started, time.time()))
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()

    print(f"\npage ready at 1920×1080 (navigation start → drawn flag), {args.runs} loads each, ms")
    print(f"   {'':34}{'cold':>8}{'p95':>8}{'warm':>8}{'p95':>8}")
    for label, (cold, warm) in times.items():
        print(_row(label, cold, warm))
    one_cold, one_warm = times["bare Dash, 1 graph"]
    for path in args.pages:
        graphs, grids = shapes[path]
        floor = f"bare Dash, {graphs} graph{'s' if graphs != 1 else ''}" + (f" + {grids} empty grid" if grids else "")
        cold, warm = times[f"CityWall {path}"]
        f_cold, f_warm = times[floor]
        print(f"   {path}: ratio to '{floor}' cold {statistics.median(cold) / statistics.median(f_cold):.2f}, "
              f"warm {statistics.median(warm) / statistics.median(f_warm):.2f} (goal ≤ 1.5); to one graph "
              f"cold {statistics.median(cold) / statistics.median(one_cold):.2f}, "
              f"warm {statistics.median(warm) / statistics.median(one_warm):.2f}")

    records = request_log(log_path)
    print("\nserver time of each drill page's requests during its loads (ms)")
    print(f"   {'':46}{'n':>5}{'p50':>8}{'p95':>8}")
    for path in args.pages:
        mine = [r for r in records if any(a <= r["at"] <= b for a, b in windows[path])]
        layout = [r["ms"] for r in mine if r["key"] == "/_dash-layout" or "_pages_content" in r["key"]]
        callbacks = [r for r in mine if r["key"].startswith("..") or r["key"].count(".") and "/" not in r["key"]]
        if layout:
            print(f"   {path + ' page (/_dash-layout)':46}{len(layout):>5}{_pct(layout, .5):>8.1f}{_pct(layout, .95):>8.1f}")
        by_output: dict[str, list[float]] = {}
        for r in callbacks:
            by_output.setdefault(", ".join(_output_ids(r["key"]))[:40], []).append(r["ms"])
        for name, values in sorted(by_output.items()):
            print(f"   {'  ' + name:46}{len(values):>5}{_pct(values, .5):>8.1f}{_pct(values, .95):>8.1f}")
        every = [r["ms"] for r in callbacks]
        if every:
            print(f"   {'  all first-draw callbacks':46}{len(every):>5}{_pct(every, .5):>8.1f}{_pct(every, .95):>8.1f}"
                  "   (goal p95 < 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
