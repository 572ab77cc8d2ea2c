"""Export benchmark: the wall PNG, the PDF 通报 and the XLSX workbook with a warm renderer.

    python benchmarks/exports.py [--incidents 2000000] [--runs 5] [--keep DIR]

With the demo city at ``--incidents`` rows (seeded and pulled as benchmarks/wall.py does, the same
``--keep`` folder), the app is served on 127.0.0.1 by waitress in this process (capture.LocalServer,
as ``run.py snapshot`` and the job runner do) and one Chromium is kept warm
(dashboard/capture_browser.py, as the job runner keeps it, with its ``[export] warm_pages`` wall pages:
dashboard/warm_pages.py). After one warm-up export of each kind (the first fills the server's caches and
the browser's), each run makes:

- the wall PNG at the canvas size (``capture.capture_png``, what an export job calls; goal < 3 s), timed
  cold (the first capture of a view: a new context, the page loaded and drawn, then kept; the kept page
  is closed before each cold run), warm (from the kept page, the data unchanged) and warm after a
  publish (a dataset published again just before: the kept page polls and redraws first): ``交换``
  (one panel) and ``事件`` (the incidents: the map and four panels, the heaviest redraw);
- the PDF 通报 (``capture.on_drawn_page`` with ``take_pdf``, the code behind ``capture_pdf``, timed at
  the drawn flag and at the PDF's bytes: page draw against print; goal < 8 s); the 通报's view model
  and layout are also timed in the server alone;
- the XLSX workbook (``workbook.build_workbook``, snapshots already read; goal < 3 s).

The machine's load (``uptime``) is printed before and after: the figures mean little without it.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _report(label: str, seconds: list[float], goal: float | None = None) -> None:
    verdict = "" if goal is None else ("  (goal < %.0f s: %s)" % (goal, "met" if max(seconds) < goal else
                                                                   "met at p50" if statistics.median(seconds) < goal
                                                                   else "NOT met"))
    print(f"{label:<30} p50 {statistics.median(seconds):6.2f} s   max {max(seconds):6.2f} s{verdict}", flush=True)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _timed(work) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def _capture_chromium():
    """The capture Chromium's processes (the browser and its children), or []."""
    import os

    import psutil

    from dashboard.capture import BROWSER_MARK

    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            line = proc.cmdline()
            if BROWSER_MARK in line and not any(arg.startswith("--type=") for arg in line):
                return [proc, *proc.children(recursive=True)]
        except psutil.Error:
            pass
    return []


def _renderer_memory() -> str:
    """The private memory (USS) of each renderer process of the capture Chromium, in MB (a kept wall
    page has one)."""
    import psutil

    sizes = []
    for proc in _capture_chromium():
        try:
            if "--type=renderer" in proc.cmdline():
                sizes.append(proc.memory_full_info().uss / 2**20)
        except psutil.Error:
            pass
    return ", ".join(f"{mb:.0f} MB" for mb in sorted(sizes, reverse=True)) or "none found"


def _idle_cpu(seconds: float = 20) -> float:
    """The CPU the capture Chromium uses while its kept page waits (polling, the clock), in % of one core."""
    import psutil

    def used(procs):
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    procs = _capture_chromium()
    before = used(procs)
    time.sleep(seconds)
    return 100 * (used(procs) - before) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description="导出基准测试：大屏 PNG、PDF 通报与 Excel 工作簿（浏览器保持预热）")
    parser.add_argument("--incidents", type=int, default=2_000_000, help="演示城市的事件条数")
    parser.add_argument("--runs", type=int, default=5, help="每种导出的重复次数")
    parser.add_argument("--keep", metavar="DIR", help="演示城市只生成一次，之后复用该目录")
    args = parser.parse_args()
    from benchmarks.wall import _city

    config = _city(args)
    from dashboard import capture, capture_token
    from dashboard.app import create_app
    from dashboard.capture_browser import WarmBrowser
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from dashboard.workbook import build_workbook

    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    engine = Puller(settings, store).engine
    app = create_app(settings, store, engine)
    canvas = tuple(settings.city.canvas)
    print(f"load before: {_uptime()}", flush=True)
    with capture.LocalServer(app) as base_url, WarmBrowser(settings, warm_pages=settings.export.warm_pages) as browser:
        print(f"Chromium launched (once, kept warm) in {_timed(lambda: browser.run(lambda b: None)):.2f} s", flush=True)
        token = capture_token.secret(engine, settings)
        drawn: list[float] = []
        shots: list[capture.Capture] = []

        def png():
            shots.append(capture.capture_png(settings, base_url, capture.wall_path(), canvas, "基准测试", browser=browser))
            return shots[-1]

        def cold_png():
            browser.run(lambda b: browser.pages.close())  # the view's kept page closed: its next capture loads it
            return _timed(png)

        def png_after_publish(dataset):
            snap = store.snapshot(dataset)
            store.publish(dataset, snap.frames, snap.meta)  # a new version of the same data
            return _timed(png)

        def pdf():
            t0 = time.perf_counter()

            def take(page, url):
                drawn.append(time.perf_counter() - t0)
                return capture.take_pdf(f"{settings.city.name} · 通报")(page, url)

            return browser.run(lambda b: capture.on_drawn_page(b, settings, base_url, capture.BRIEFING_PATH,
                                                               capture.A4_VIEWPORT, token, "基准测试", "通报", take))

        def xlsx():
            return build_workbook(settings, store)

        sizes = {"png": len(png().png), "pdf": len(pdf()), "xlsx": len(xlsx())}
        first_drawn = drawn.pop()
        times = {"png cold": [cold_png() for _ in range(args.runs)]}
        times["png warm"] = [_timed(png) for _ in range(args.runs)]
        warm_of = {"png warm": [shot.warm for shot in shots[-args.runs:]]}
        times.update({kind: [_timed(make) for _ in range(args.runs)] for kind, make in (("pdf", pdf), ("xlsx", xlsx))})
        for dataset in ("exchange", "incidents"):
            times[f"png after {dataset}"] = [png_after_publish(dataset) for _ in range(args.runs)]
            warm_of[f"png after {dataset}"] = [shot.warm for shot in shots[-args.runs:]]
        memory, idle = _renderer_memory(), _idle_cpu()
    from dashboard.briefing_data import current_briefing
    from layouts.briefing import briefing_page

    server = [_timed(lambda: briefing_page(*current_briefing())) for _ in range(args.runs)]
    print(f"load after:  {_uptime()}")
    print(f"demo city: {args.incidents:,} incidents; {args.runs} runs after one warm-up each "
          f"(warm-up 通报 drawn in {first_drawn:.2f} s); PNG {canvas[0]}×{canvas[1]} {sizes['png'] / 1024:.0f} KB, "
          f"PDF {sizes['pdf'] / 1024:.0f} KB, XLSX {sizes['xlsx'] / 1024:.0f} KB")
    _report("wall PNG, cold (first of a view)", times["png cold"], goal=3)
    for key, label in (("png warm", "wall PNG, warm (kept page)"), ("png after exchange", "wall PNG, warm, after 交换"),
                       ("png after incidents", "wall PNG, warm, after 事件")):
        _report(label, times[key], goal=3)
        if not all(warm_of[key]):  # the kept page did not reach the version in time: loaded again, cold
            print(f"    {warm_of[key].count(False)} of {len(warm_of[key])} fell back to a cold load")
    print(f"capture Chromium with one wall page kept: renderers {memory}; idle CPU {idle:.1f} % of a core "
          f"(the page polls every {settings.app.refresh_seconds} s)")
    _report("PDF 通报: server view + layout", server)
    _report("PDF 通报: page drawn", drawn)
    _report("PDF 通报: printed", [t - d for t, d in zip(times["pdf"], drawn)])
    _report("PDF 通报: total", times["pdf"], goal=8)
    _report("XLSX workbook", times["xlsx"], goal=3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
