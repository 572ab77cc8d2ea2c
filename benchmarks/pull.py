"""Full-pull benchmark: read, validate, aggregate and publish incidents.

    python benchmarks/pull.py [--runs demo mixed file] [--sizes 200000 2000000] [--file-rows 1800000]
                              [--repeat 2]

Runs, each measure in a fresh process so peak memory is its own:
- demo: the demo city's incidents from SQLite, for each size;
- mixed: the same, with a third of the rows' timestamps rewritten as 2024年7月26日 10:17:00;
- file: one large department file, a GBK CSV of hotline tickets generated into a temp dir.
Each is timed twice:
- baseline: pandas alone reading the same rows (SQLite, or read_csv of the file), parsing the
  timestamps with the explicit layouts they are in, and running the same groupbys
  (dashboard.frames.build_frames);
- full pull: Puller.run_source: read, contract validation with quarantine, aggregation, publish to the
  on-disk frame store, indicator history and pull log.
Goals: demo and mixed: full ≤ 1.5 × baseline at 2,000,000 incidents, peak memory < 2 GB;
file: full pull < 30 s, peak memory < 1.2 GB.
"""
from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZH_LAYOUT = "%Y年%m月%d日 %H:%M:%S"
TIMESTAMPS = ("reported_at", "deadline_at", "closed_at")
HOTLINE_FILE = "12345工单.csv"

CONFIG = """
[city]
name = "基准市"
[app]
data_dir = "{data}"
store = "disk:frames"
[demo]
incidents = {incidents}
live = false
[[sources]]
name = "演示-区域"
dataset = "regions"
kind = "demo"
"""
DEMO_INCIDENTS = """
[[sources]]
name = "演示-事件"
dataset = "incidents"
kind = "demo"
"""
FILE_INCIDENTS = """
[[sources]]
name = "演示-事件"
dataset = "incidents"
kind = "files"
path = "{path}"
encoding = "auto"
constants = {{ source = "12345" }}
columns = {{ "工单编号" = "incident_id", "诉求类别" = "category", "所属网格" = "region_id", "经度" = "lon", "纬度" = "lat", "来电时间" = "reported_at", "办理时限" = "deadline_at", "办结时间" = "closed_at", "办理状态" = "status" }}
"""


def _settings(folder: Path, incidents: int, run: str = "demo"):
    from dashboard.settings import load_settings

    config = folder / "bench.toml"
    source = FILE_INCIDENTS.format(path=folder / HOTLINE_FILE) if run == "file" else DEMO_INCIDENTS
    config.write_text(CONFIG.format(data=folder / "data", incidents=incidents) + source, encoding="utf-8")
    return load_settings(config, environ={})


def _zh(column: str) -> str:
    """SQLite expression: an ISO timestamp as 2024年7月26日 10:17:00 (NULL stays NULL)."""
    return (f"CAST(strftime('%Y', {column}) AS INTEGER) || '年' || CAST(strftime('%m', {column}) AS INTEGER)"
            f" || '月' || CAST(strftime('%d', {column}) AS INTEGER) || '日 ' || strftime('%H:%M:%S', {column})")


def rewrite_a_third_in_zh_layout(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE incidents SET " + ", ".join(f"{c} = {_zh(c)}" for c in TIMESTAMPS) + " WHERE rowid % 3 = 0")


def write_hotline_file(folder: Path, rows: int, grids: list[str]) -> Path:
    """A department export as it arrives: GBK, Chinese headers and codes, free text, ~110 bytes a row."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    start = pd.Timestamp("2024-01-01")
    reported = start + pd.to_timedelta(rng.integers(0, 200 * 86400, rows), unit="s")
    status = rng.choice(np.array(["受理", "处置中", "已办结"]), rows, p=[0.1, 0.15, 0.75])
    closed = reported + pd.to_timedelta(rng.integers(600, 5 * 86400, rows), unit="s")
    categories = np.array(["噪声扰民", "占道经营", "井盖缺失", "垃圾清运", "违章停车", "路灯损坏", "供水问题", "物业纠纷"])
    texts = np.array(["反映夜间施工噪声扰民", "人行道被摊贩占用", "路口井盖缺失", "小区垃圾多日未清运"])
    frame = pd.DataFrame({
        "工单编号": pd.Series(np.arange(rows)).map("GD{:07d}".format),
        "来电时间": reported.strftime("%Y-%m-%d %H:%M:%S"),
        "诉求类别": rng.choice(categories, rows),
        "所属网格": rng.choice(np.array(grids), rows),
        "经度": np.round(113.0 + rng.random(rows) * 0.1, 5),
        "纬度": np.round(28.2 + rng.random(rows) * 0.1, 5),
        "办理时限": (reported + pd.Timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),
        "办结时间": pd.Series(closed.strftime("%Y-%m-%d %H:%M:%S")).where(status == "已办结", ""),
        "办理状态": status,
        "诉求内容": rng.choice(texts, rows),
    })
    path = folder / HOTLINE_FILE
    frame.to_csv(path, index=False, encoding="gbk")
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parse_explicit(text, layouts: list[str]):
    """pandas alone with the layouts known in advance: each one over the cells still unparsed."""
    import pandas as pd

    parsed = pd.to_datetime(text, format=layouts[0], errors="coerce")
    for layout in layouts[1:]:
        rest = parsed.isna() & text.notna()
        parsed[rest] = pd.to_datetime(text[rest], format=layout)
    return parsed


def measure_baseline(folder: Path, incidents: int, run: str) -> dict:
    import pandas as pd

    from dashboard.frames import PullContext, build_frames

    settings = _settings(folder, incidents, run)
    regions = __import__("dashboard.store", fromlist=["x"]).open_store("disk:frames", settings.data_dir).frame(
        "regions", "regions")
    start = time.perf_counter()
    if run == "file":
        rows = pd.read_csv(folder / HOTLINE_FILE, encoding="gbk", dtype=str, keep_default_na=False)
        rows = rows.rename(columns={"工单编号": "incident_id", "诉求类别": "category", "所属网格": "region_id",
                                    "经度": "lon", "纬度": "lat", "来电时间": "reported_at", "办理时限": "deadline_at",
                                    "办结时间": "closed_at", "办理状态": "status"}).replace("", None)
        rows["source"] = "12345"
        rows[["lon", "lat"]] = rows[["lon", "lat"]].astype(float)
    else:
        with sqlite3.connect(settings.demo_database) as conn:
            rows = pd.read_sql("SELECT * FROM incidents", conn)
    layouts = ["ISO8601", ZH_LAYOUT] if run == "mixed" else ["ISO8601"]
    for col in TIMESTAMPS:
        rows[col] = _parse_explicit(rows[col], layouts)
    build_frames("incidents", rows, PullContext(now=datetime.now(), regions=regions))
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": len(rows)}


def measure_full(folder: Path, incidents: int, run: str) -> dict:
    from dashboard.pullers import Puller
    from dashboard.store import open_store

    settings = _settings(folder, incidents, run)
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    start = time.perf_counter()
    result = puller.run_source("演示-事件", "benchmark")
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(result.error)
    return {"seconds": elapsed, "peak_mb": _peak_mb(), "rows": result.rows_ok + result.rows_quarantined,
            "quarantined": result.rows_quarantined}


def _run(kind: str, folder: Path, incidents: int, run: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", kind, "--folder", str(folder),
                          "--incidents", str(incidents), "--runs", run],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare(folder: Path, run: str, size: int) -> tuple[int, float]:
    """Seed the demo city (a small one for the file run, for its regions) and write the run's data."""
    from dashboard.pullers import Puller
    from dashboard.store import open_store
    from datasources.demo import ensure_demo_city
    from datasources.demo_city import read_table

    settings = _settings(folder, 1000 if run == "file" else size, run)
    t0 = time.perf_counter()
    ensure_demo_city(settings, force=True)
    if run == "mixed":
        rewrite_a_third_in_zh_layout(settings.demo_database)
    if run == "file":
        grids = read_table(settings.demo_database, "regions").query("level == '网格'")["region_id"].tolist()
        write_hotline_file(folder, size, grids)
    seconds = time.perf_counter() - t0
    Puller(settings, open_store(settings.app.store, settings.data_dir)).run_source("演示-区域")
    return (1000 if run == "file" else size), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", choices=["demo", "mixed", "file"], default=["demo", "mixed", "file"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--file-rows", type=int, default=1_800_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per measure; the best is reported")
    parser.add_argument("--measure", choices=["baseline", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--incidents", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        fn = measure_baseline if args.measure == "baseline" else measure_full
        print(json.dumps(fn(args.folder, args.incidents, args.runs[0])))
        return

    print(f"{'run':>5}  {'incidents':>10}  {'prepare s':>9}  {'pandas alone s':>14}  {'full pull s':>11}  {'ratio':>5}  "
          f"{'peak MB (pandas)':>16}  {'peak MB (pull)':>14}")
    for run in args.runs:
        for size in [args.file_rows] if run == "file" else args.sizes:
            with tempfile.TemporaryDirectory(prefix="citywall-bench-") as tmp:
                folder = Path(tmp)
                seeded, prepare_s = _prepare(folder, run, size)
                base = min((_run("baseline", folder, seeded, run) for _ in range(args.repeat)),
                           key=lambda r: r["seconds"])
                full = min((_run("full", folder, seeded, run) for _ in range(args.repeat)),
                           key=lambda r: r["seconds"])
                extra = f"  quarantined {full['quarantined']:,}"
                if run == "file":
                    extra += f"  file {(folder / HOTLINE_FILE).stat().st_size / 1e6:,.0f} MB"
                print(f"{run:>5}  {full['rows']:>10,}  {prepare_s:>9.1f}  {base['seconds']:>14.2f}  "
                      f"{full['seconds']:>11.2f}  {full['seconds'] / base['seconds']:>5.2f}  "
                      f"{base['peak_mb']:>16.0f}  {full['peak_mb']:>14.0f}{extra}", flush=True)


if __name__ == "__main__":
    main()
