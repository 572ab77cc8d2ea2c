"""Workbook benchmark: time to build the XLSX of the wall's numbers (dashboard/workbook.py).

    python benchmarks/workbook.py [--incidents 2000000] [--runs 5] [--keep DIR]

With the demo city at ``--incidents`` rows seeded and pulled into the on-disk frame store (the same
city and ``--keep`` folder as benchmarks/wall.py), in this process:

- cold: a fresh frame store, so the first build also reads every dataset's snapshot from Parquet
  (as ``python run.py snapshot --xlsx`` does);
- warm: the store's snapshots already read (as in the running app, where export jobs call
  ``build_workbook``), for 全市 and for a district view. Goal: under 3 s at 2,000,000 incidents.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description="Excel 工作簿导出基准测试")
    parser.add_argument("--incidents", type=int, default=2_000_000, help="演示城市的事件条数")
    parser.add_argument("--runs", type=int, default=5, help="每个视图的重复次数")
    parser.add_argument("--keep", metavar="DIR", help="演示城市只生成一次，之后复用该目录")
    args = parser.parse_args()
    from benchmarks.wall import _city

    config = _city(args)

    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from dashboard.workbook import build_workbook
    from layouts.wall_panels import district_names

    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    t0 = time.perf_counter()
    data = build_workbook(settings, store)
    print(f"workbook at {args.incidents:,} incidents ({len(data) / 1e3:.0f} kB)")
    print(f"  cold (reads the snapshots)   {time.perf_counter() - t0:6.2f} s")
    from dashboard.geo import load_geography

    geography = load_geography(settings)
    district = next(iter(district_names(geography)))
    for label, view in (("全市", None), (f"district:{district}", f"district:{district}")):
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            build_workbook(settings, store, view, geography=geography)
            times.append(time.perf_counter() - t0)
        print(f"  warm {label:<22} p50 {statistics.median(times):6.2f} s  max {max(times):6.2f} s  goal < 3 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
