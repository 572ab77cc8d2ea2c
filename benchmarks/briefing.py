"""PDF 通报 benchmark: server time of the /briefing view and layout, and the PDF with a warm Chromium.

    python benchmarks/briefing.py [--incidents 2000000] [--runs 5] [--keep DIR]

With the demo city at ``--incidents`` rows (seeded and pulled as benchmarks/wall.py does), the app
is served on 127.0.0.1 by waitress in this process (dashboard.capture.LocalServer, as
``run.py snapshot`` does). One headless Debian Chromium is launched once and kept warm; each run
opens /briefing in a fresh context, waits for the drawn flag and prints the A4 PDF
(dashboard.capture.on_drawn_page + take_pdf, the code behind capture_pdf). Printed: the view model
and layout time in the server, time to drawn, time to the PDF's bytes (p50 / max) and its size.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _report(label: str, seconds: list[float], goal: float | None = None) -> None:
    verdict = "" if goal is None else ("  (goal < %.0f s: %s)" % (goal, "met" if max(seconds) < goal else "NOT met"))
    print(f"{label:<34} p50 {statistics.median(seconds):6.2f} s   max {max(seconds):6.2f} s{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="reuse (or create) the demo city in this folder")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from dashboard import capture
    from dashboard.app import create_app
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from wall import _city

    settings = load_settings(_city(args), environ={})
    store = open_store(settings.app.store, settings.data_dir)
    app = create_app(settings, store, Puller(settings, store).engine)
    with capture.LocalServer(app) as base_url:
        from dashboard.briefing_data import current_briefing
        from layouts.briefing import briefing_page

        server = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            briefing_page(*current_briefing())
            server.append(time.perf_counter() - t0)
        drawn, total, size = [], [], 0
        with sync_playwright() as p:
            t0 = time.perf_counter()
            browser = capture.launch(p, settings)
            print(f"Chromium launched (once, kept warm) in {time.perf_counter() - t0:.2f} s")
            for _ in range(args.runs):
                t0 = time.perf_counter()

                def take(page, url):
                    drawn.append(time.perf_counter() - t0)
                    return capture.take_pdf("基准测试")(page, url)

                document = capture.on_drawn_page(browser, settings, base_url, capture.BRIEFING_PATH,
                                                 capture.A4_VIEWPORT, "基准测试", "通报", take)
                total.append(time.perf_counter() - t0)
                size = len(document)
            browser.close()
    print(f"demo city: {args.incidents:,} incidents; {args.runs} runs; PDF {size / 1024:.0f} KB")
    _report("server: view model + layout", server)
    _report("warm browser: page drawn", drawn)
    _report("warm browser: PDF printed", total, goal=8)


if __name__ == "__main__":
    main()
