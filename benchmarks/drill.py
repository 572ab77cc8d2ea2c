"""/incidents benchmark: server time of the drill-down's page callbacks, one table page, downloads.

    python benchmarks/drill.py [--incidents 2000000] [--rounds 20] [--keep DIR]

With the demo city at ``--incidents`` rows seeded and pulled into the on-disk frame store (as
`python run.py seed --incidents N` and `python run.py pull` do), in this process:

1. filter and drill callbacks: the page function Dash Pages calls for a URL (query reading,
   selections from the published cube, figures, components) over a mix of views — the city, a
   district, a street, a grid, with periods, a date range, category, source and status filters —
   the first time each view is drawn (after the app's warmer has made the frames' arrays, as it
   does after every publish), again (views are kept per publish), and the first view right after a
   publish, once warmed and with the warmer paused (the arrays then made by the view);
2. one table page sorted and filtered (the grid's getRowsRequest callback's work), with numpy over
   the published detail frame, and the same page by DuckDB over the published Parquet file;
3. a download of 100,000 rows as CSV (UTF-8 with BOM) and as XLSX (xlsxwriter's constant_memory
   workbook), each with its time and peak memory (``--only downloads`` measures these alone).

Prints p50 / p95 of each (milliseconds) against the goals of issue 11.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _report(label: str, times: list[float], goal_ms: float | None = None) -> None:
    p50, p95 = statistics.median(times) * 1000, _pct(times, 0.95) * 1000
    goal = f"  goal < {goal_ms:.0f} ms: {'met' if p95 < goal_ms else 'NOT met'}" if goal_ms else ""
    print(f"  {label:<44} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms{goal}")


def _views(regions) -> list[dict]:
    district = regions[regions["level"] == "区县"]["region_id"].iloc[0]
    street = regions[(regions["level"] == "镇街") & (regions["parent_id"] == district)]["region_id"].iloc[0]
    grid = regions[(regions["level"] == "网格") & (regions["parent_id"] == street)]["region_id"].iloc[0]
    return [
        {}, {"period": "year"}, {"period": "today"}, {"category": "市容环境"}, {"source": "12345热线", "status": "已办结"},
        {"region": district}, {"region": district, "period": "quarter", "category": "交通出行"},
        {"region": street}, {"region": street, "period": "year"}, {"region": grid}, {"region": grid, "period": "year"},
        {"from": "2026-01-01", "to": "2026-06-30"}, {"weekday": "1", "hour": "9"},
        {"region": district, "weekday": "1", "hour": "9"}, {"region": street, "weekday": "1", "hour": "9"},
        {"region": grid, "period": "year", "hour": "9"},  # 镇街 / 网格 hour questions: the detail's
    ]


def _wait_warmed(version: int, timeout: float = 120.0) -> float:
    """Seconds until the app's warmer (callbacks/wall.py, callbacks/drill_warm.py) has warmed ``version``
    of the incidents."""
    from callbacks import drill_warm

    t0 = time.perf_counter()
    while drill_warm.warmed("incidents") != version:
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError("the warmer did not warm the new publish")
        time.sleep(0.02)
    return time.perf_counter() - t0


def measure_after_publish(rounds: int) -> None:
    """The first view drawn after each of ``rounds`` publishes of the incidents (the frames as
    published, read back from the store: new frame objects, so every cache starts empty): once the
    app's warmer has run after the publish, as a visitor finds it; and, with the warmer paused, the
    first view made from cold frames."""
    from plotly.io.json import to_json_plotly

    from callbacks import wall as wall_callbacks
    from dashboard import runtime
    from layouts import incidents

    rt = runtime.current()
    views = _views(rt.geography.regions)
    warm_times, cold_times, warming = [], [], []
    for i in range(2 * rounds):
        cold = i % 2 == 1
        if cold:
            wall_callbacks.WARMING.clear()
        snap = rt.store.snapshot("incidents")
        t0 = time.perf_counter()
        version = rt.store.publish("incidents", snap.frames, snap.meta)
        rt.store.snapshot("incidents").frames.get("detail")  # the read from disk is the pull's share, not the view's
        if not cold:
            _wait_warmed(version)
            warming.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        to_json_plotly(incidents.layout(**dict(views[1 + (i // 2) % (len(views) - 1)])))  # not the warmed default view
        (cold_times if cold else warm_times).append(time.perf_counter() - t0)
        wall_callbacks.WARMING.set()
    _report(f"first view after a publish, warmed ({rounds} publishes)", warm_times, 100)
    _report("  the warmer's work after each publish (background)", warming)
    _report("first view after a publish, warmer paused", cold_times)


def measure_callbacks(rounds: int) -> None:
    from plotly.io.json import to_json_plotly

    from dashboard import runtime
    from layouts import incidents

    def render(view):  # the page function and the JSON of its answer, as the router callback sends it
        return to_json_plotly(incidents.layout(**view))

    regions = runtime.current().geography.regions
    views = _views(regions)
    levels = dict(zip(regions["region_id"], regions["level"]))
    render({})  # frames read from Parquet once
    _wait_warmed(runtime.current().store.status("incidents").version)  # as the app's warmer leaves them
    first: list[float] = []
    first_cpu: list[float] = []
    for view in views:  # each view drawn the first time (the default view {} is the warmer's)
        t0, c0 = time.perf_counter(), time.thread_time()
        render(dict(view))
        first.append(time.perf_counter() - t0)
        first_cpu.append(time.thread_time() - c0)
    times: list[float] = []
    by_level: dict[str, list[float]] = {}
    for _ in range(rounds):
        for view in views:
            t0 = time.perf_counter()
            render(dict(view))
            elapsed = time.perf_counter() - t0
            times.append(elapsed)
            by_level.setdefault(levels.get(view.get("region"), "city"), []).append(elapsed)
    print(f"filter / drill callbacks (the page of a URL, with its JSON), {len(views)} views:")
    _report("first time each view is drawn", first, 100)
    _report("  the same, CPU time of the request's thread", first_cpu)
    print(f"  … and {rounds} rounds more of each (drawn once per publish):")
    _report("all views", times, 100)
    for key, label in (("city", "city views"), ("区县", "a district"), ("镇街", "a street"), ("网格", "a grid")):
        if key in by_level:
            _report(label, by_level[key])


def measure_wall(rounds: int) -> None:
    """The wall's panels, KPIs and captions (what its redraw callbacks send) drawn from the published
    frames with the render cache emptied first: each part's work after a publish, city and district view."""
    from dashboard import runtime, wall_view

    rt = runtime.current()
    regions = rt.geography.regions
    district = regions[regions["level"] == "区县"]["region_id"].iloc[0]
    times: dict[str, list[float]] = {}
    slowest: dict[str, float] = {}
    cached: list[float] = []
    for view in ("city", f"district:{district}"):
        ctx = wall_view.context(view)
        for _ in range(rounds):
            with wall_view._CACHE_LOCK:
                wall_view._CACHE.clear()
            frames = wall_view.Frames(rt.store, wall_view.DATASETS)
            for kind, name in list(wall_view.page_parts(frames, ctx)):
                if kind == "scope_text":
                    continue
                with wall_view._CACHE_LOCK:
                    wall_view._CACHE.clear()
                t0 = time.perf_counter()
                wall_view.render(kind, name, frames, ctx)
                elapsed = time.perf_counter() - t0
                times.setdefault(view.split(":")[0], []).append(elapsed)
                slowest[f"{kind}:{name}"] = max(slowest.get(f"{kind}:{name}", 0.0), elapsed)
                t0 = time.perf_counter()
                wall_view.render(kind, name, frames, ctx)  # again: what a callback costs once the warmer drew it
                cached.append(time.perf_counter() - t0)
    print(f"the wall's parts drawn uncached (each redraw callback draws one or a few), {rounds} rounds:")
    for view, values in times.items():
        _report(f"{view} view, {len(values) // rounds} parts", values, 50)
    _report("the same parts from the render cache", cached, 50)
    print("  slowest uncached:", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in
                                           sorted(slowest.items(), key=lambda kv: -kv[1])[:4]))


def measure_table(rounds: int, parquet: Path) -> None:
    try:
        import duckdb  # only this comparison needs it (pip install "duckdb>=2,<3"); the app does not
    except ImportError:
        duckdb = None

    from dashboard import incident_table, runtime
    from dashboard.incident_query import IncidentQuery
    from dashboard.incident_view import region_names

    rt = runtime.current()
    detail = rt.store.frame("incidents", "detail")
    names = region_names(rt.geography)
    today = date.today()
    query = IncidentQuery(period="year", category="市容环境")
    pages = [(start, sort) for start in (0, 500, 5000) for sort in ("handling_hours:desc", "incident_id:asc",
                                                                    "reported_at:desc", "closed_at:asc")]
    numpy_times, duck_times = [], []
    first, last = query.days(today)
    con = duckdb.connect() if duckdb else None
    if con is not None:
        con.execute(f"CREATE VIEW detail AS SELECT * FROM read_parquet('{parquet.as_posix()}')")
    for _ in range(rounds):
        for start, sort in pages:
            t0 = time.perf_counter()
            rows, total = incident_table.page(detail, query, None, today, names, start=start, end=start + 50,
                                              sort=sort, filter_model={"handling_hours": {"type": "greaterThan",
                                                                                          "filter": 2}})
            numpy_times.append(time.perf_counter() - t0)
            if con is None:
                continue
            column, _, direction = sort.partition(":")
            t0 = time.perf_counter()
            where = ("reported_at >= ? AND reported_at < ? + INTERVAL 1 DAY AND category = '市容环境' "
                     "AND handling_hours > 2")
            con.execute(f"SELECT * FROM detail WHERE {where} ORDER BY {column} {direction} NULLS LAST "
                        f"LIMIT 50 OFFSET {start}", [first, last]).df()
            con.execute(f"SELECT count(*) FROM detail WHERE {where}", [first, last]).fetchone()
            duck_times.append(time.perf_counter() - t0)
    print(f"one table page (50 rows), 本年 × 市容环境 × 处置时长 > 2 小时 (selection {total:,} rows), "
          f"{len(pages)} pages × {rounds} rounds:")
    from dashboard.detail_file import DetailFile

    _report("DuckDB over the published detail file (incident_table.page)" if isinstance(detail, DetailFile)
            else "numpy over the published detail frame", numpy_times, 150)
    if duck_times:
        _report("DuckDB over the published Parquet", duck_times, 150)
    else:
        print("  DuckDB over the published Parquet: duckdb is not installed, not measured")


class PeakMemory:
    """The process's peak resident memory above its level at the start, sampled every 5 ms (the
    benchmark's own thread: the writers allocate in Arrow and xlsxwriter, outside tracemalloc's view)."""

    def __enter__(self):
        import threading

        import psutil

        self._process, self._stop = psutil.Process(), threading.Event()
        self.base = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def megabytes(self) -> float:
        return (self.peak - self.base) / 1e6


def measure_downloads(rows_wanted: int) -> None:
    """The download of ``rows_wanted`` rows as the route writes it (dashboard/downloads.py): the
    selection's rows in the table's order, their values, the CSV or XLSX bytes."""
    from dashboard import downloads, incident_table, runtime
    from dashboard.incident_query import IncidentQuery
    from dashboard.incident_view import region_names

    rt = runtime.current()
    detail = rt.store.frame("incidents", "detail")
    names = region_names(rt.geography)
    query = IncidentQuery(period="year")
    print(f"download of {rows_wanted:,} rows (本年, the table's order; time and peak memory above the start):")
    with PeakMemory() as memory:
        t0, cpu = time.perf_counter(), time.process_time()
        rows, _ = incident_table.download_rows(detail, query, None, date.today(), rows_wanted)
        size = sum(len(chunk) for chunk in downloads.csv_chunks(incident_table.SHEET,
                                                                 incident_table.batches(detail, rows, names)))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
    print(f"  CSV  (UTF-8 with BOM, streamed)        {seconds:6.2f} s (CPU {cpu:5.2f} s)  {memory.megabytes:6.1f} MB peak"
          f"  {size / 1e6:5.1f} MB file  goal < 3 s: {'met' if seconds < 3 else 'NOT met'}   ({len(rows):,} rows)")
    with tempfile.TemporaryDirectory() as folder, PeakMemory() as memory:
        path = Path(folder) / "incidents.xlsx"
        t0, cpu = time.perf_counter(), time.process_time()
        rows, _ = incident_table.download_rows(detail, query, None, date.today(), rows_wanted)
        downloads.write_xlsx(path, "事件明细", incident_table.SHEET, incident_table.batches(detail, rows, names))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
        size = path.stat().st_size
    print(f"  XLSX (xlsxwriter, constant_memory)     {seconds:6.2f} s (CPU {cpu:5.2f} s)  {memory.megabytes:6.1f} MB peak"
          f"  {size / 1e6:5.1f} MB file  goal < 10 s: {'met' if seconds < 10 else 'NOT met'}")
    print(f"  load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")


def main() -> int:
    parser = argparse.ArgumentParser(description="/incidents 下钻页基准测试")
    parser.add_argument("--incidents", type=int, default=2_000_000, help="演示城市的事件条数")
    parser.add_argument("--rounds", type=int, default=20, help="每个视图的重复次数")
    parser.add_argument("--keep", metavar="DIR", help="演示城市只生成一次，之后复用该目录")
    parser.add_argument("--only", choices=("wall", "callbacks", "table", "downloads"), help="只测一项")
    parser.add_argument("--config", metavar="TOML", help="已拉取的城市配置（如 pull_postgres.py --keep 留下的），不生成演示城市")
    args = parser.parse_args()
    from benchmarks.wall import _city  # the same seeded, pulled demo city (and --keep folder) as wall.py

    config = Path(args.config) if args.config else _city(args)

    from dashboard.app import create_app
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    create_app(settings, store)  # installs the runtime and registers the pages
    from callbacks.wall import start_warmer

    start_warmer()  # as the serving command does (dashboard/serving.py): it warms the pages after each publish

    if args.only in (None, "wall"):
        measure_wall(max(2, args.rounds // 4))
    if args.only in (None, "callbacks"):
        measure_callbacks(args.rounds)
        measure_after_publish(max(5, args.rounds // 2))
    version = store.status("incidents").version  # after the publishes above
    detail = store.frame("incidents", "detail")
    parquet = getattr(detail, "path", None) or \
        settings.data_dir / "frames" / "incidents" / f"v{version}" / "detail.parquet"
    if args.only in (None, "table"):
        measure_table(max(2, args.rounds // 4), parquet)
    if args.only in (None, "downloads"):
        measure_downloads(100_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
