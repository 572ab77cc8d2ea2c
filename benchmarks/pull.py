"""Full-pull benchmark: read, validate, aggregate and publish the demo city's incidents.

    python benchmarks/pull.py [--sizes 200000 2000000] [--repeat 2]

For each size it seeds a demo city, then times, each in a fresh process so peak memory is its own:
- baseline: pandas alone reading the same rows from SQLite, parsing the timestamps and running
  the same groupbys (dashboard.frames.build_frames);
- full pull: Puller.run_source: read, contract validation with quarantine, aggregation, publish to the
  on-disk frame store, indicator history and pull log.
Goal: full ≤ 1.5 × baseline at 2,000,000 incidents; peak memory < 2 GB.
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
[[sources]]
name = "演示-事件"
dataset = "incidents"
kind = "demo"
"""


def _settings(folder: Path, incidents: int):
    from dashboard.settings import load_settings

    config = folder / "bench.toml"
    config.write_text(CONFIG.format(data=folder / "data", incidents=incidents), encoding="utf-8")
    return load_settings(config, environ={})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_baseline(folder: Path, incidents: int) -> dict:
    import pandas as pd

    from dashboard.frames import PullContext, build_frames

    settings = _settings(folder, incidents)
    regions = __import__("dashboard.store", fromlist=["x"]).open_store("disk:frames", settings.data_dir).frame(
        "regions", "regions")
    start = time.perf_counter()
    with sqlite3.connect(settings.demo_database) as conn:
        rows = pd.read_sql("SELECT * FROM incidents", conn)
    for col in ("reported_at", "deadline_at", "closed_at"):
        rows[col] = pd.to_datetime(rows[col], format="ISO8601")
    build_frames("incidents", rows, PullContext(now=datetime.now(), regions=regions))
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": len(rows)}


def measure_full(folder: Path, incidents: int) -> dict:
    from dashboard.pullers import Puller
    from dashboard.store import open_store

    settings = _settings(folder, incidents)
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    start = time.perf_counter()
    result = puller.run_source("演示-事件", "benchmark")
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(result.error)
    return {"seconds": elapsed, "peak_mb": _peak_mb(), "rows": result.rows_ok + result.rows_quarantined}


def _run(kind: str, folder: Path, incidents: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", kind, "--folder", str(folder),
                          "--incidents", str(incidents)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per measure; the best is reported")
    parser.add_argument("--measure", choices=["baseline", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--incidents", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        fn = measure_baseline if args.measure == "baseline" else measure_full
        print(json.dumps(fn(args.folder, args.incidents)))
        return

    print(f"{'incidents':>10}  {'seed s':>7}  {'pandas alone s':>14}  {'full pull s':>11}  {'ratio':>5}  "
          f"{'peak MB (pandas)':>16}  {'peak MB (pull)':>14}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="citywall-bench-") as tmp:
            folder = Path(tmp)
            from dashboard.pullers import Puller
            from dashboard.store import open_store
            from datasources.demo import ensure_demo_city

            settings = _settings(folder, size)
            t0 = time.perf_counter()
            ensure_demo_city(settings, force=True)
            seed_s = time.perf_counter() - t0
            Puller(settings, open_store(settings.app.store, settings.data_dir)).run_source("演示-区域")
            base = min((_run("baseline", folder, size) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            full = min((_run("full", folder, size) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            print(f"{full['rows']:>10,}  {seed_s:>7.1f}  {base['seconds']:>14.2f}  {full['seconds']:>11.2f}  "
                  f"{full['seconds'] / base['seconds']:>5.2f}  {base['peak_mb']:>16.0f}  {full['peak_mb']:>14.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
