"""Pushed-down pull benchmark: the demo city's incidents in PostgreSQL, aggregated where they lie.

    python benchmarks/pull_postgres.py [--sizes 2000000 20000000] [--url postgresql://…] [--seeded] [--keep DIR]

For each size: ``seed_postgres_incidents`` (COPY, the seed command's ``--database``) into a throw-away
PostgreSQL server on 127.0.0.1 (tests/servers.py starts one as the tests do; ``--url`` uses yours),
then, in a fresh process so that its peak memory is its own, a full pull of an ``sql`` source with
``push_down = true`` through Puller.run_source: the contract in SQL, the aggregates over COPY, the
frames, publish to the on-disk frame store, indicator history and pull log. Prints the seed time, the
pull time, the process's resident memory before the pull and at its peak, the published cubes' and
detail's rows, and the machine's load. Goal at 20,000,000 incidents: pull < 2 min, peak memory < 2 GB.
``--seeded``: the table at ``--url`` is already seeded (``run.py seed --database``), only pull it;
``--keep DIR``: keep each size's config and pulled frames in DIR (``benchmarks/drill.py --config``
then times the pages over them).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CUBES = ("cube_district", "cube_street", "cube_grid", "hours_district")
PUSHED_DOWN_INCIDENTS = """
[[sources]]
name = "事件库"
dataset = "incidents"
kind = "sql"
url = "{url}"
table = "incidents"
push_down = true
timeout_seconds = 600
pull_deadline_seconds = 1800
"""


def _pull(config: str) -> None:
    """The child: pull the regions, then time the pushed-down incidents pull."""
    import psutil

    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    settings = load_settings(config, environ={})
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    puller.run_source("演示-区域", "cli")
    before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    result = puller.run_source("事件库", "cli")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    snapshot = puller.store.snapshot("incidents")  # None: the pull failed (its error is printed)
    frames = snapshot.frames if snapshot is not None else {}
    print(json.dumps({"ok": result.ok, "error": result.error, "rows_ok": result.rows_ok,
                      "quarantined": result.rows_quarantined, "seconds": seconds, "rss_before": before,
                      "rss_peak": peak, "cube_rows": {n: len(frames[n]) for n in CUBES if n in frames},
                      "detail_rows": len(frames["detail"]) if "detail" in frames else 0}))


def _measure(url: str, size: int, folder: Path, seed: bool = True) -> dict:
    from datasources.demo_postgres import seed_postgres_incidents

    started = time.perf_counter()
    rows = seed_postgres_incidents(url, seed=20261201, incidents=size, as_of=datetime.now()) if seed else None
    seeded = time.perf_counter() - started
    config = folder / f"bench-{size}.toml"
    from benchmarks.pull import CONFIG  # the city, the app and the demo regions; here the demo has 1,000 incidents

    config.write_text(CONFIG.format(data=folder / f"data-{size}", incidents=1000)
                      + PUSHED_DOWN_INCIDENTS.format(url=url), encoding="utf-8")
    child = subprocess.run([sys.executable, __file__, "--child", str(config)], capture_output=True, text=True,
                           cwd=ROOT)
    if child.returncode:
        raise SystemExit(child.stderr[-3000:])
    return {"size": size, "rows": rows, "seed_seconds": seeded, **json.loads(child.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description="库内汇总拉取基准：PostgreSQL 中的演示事件")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--url", help="已有的 PostgreSQL 库（默认临时启动一个）")
    parser.add_argument("--seeded", action="store_true", help="--url 的 incidents 表已写入，只拉取")
    parser.add_argument("--keep", metavar="DIR", help="保留各规模的配置与发布的帧（供 drill.py --config）")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _pull(args.child)
        return
    server = None
    if args.url:
        url = args.url
    else:
        from tests.servers import start_postgres

        server = start_postgres()
        server.execute("CREATE DATABASE bench")
        url = server.url("bench")
    try:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            for size in args.sizes:
                m = _measure(url, size, Path(args.keep or tmp), seed=not args.seeded)
                print(f"{m['size']:>11,} incidents: seed {m['seed_seconds']:6.1f} s | pull {m['seconds']:6.1f} s | "
                      f"RSS before {m['rss_before'] / 2**20:6.0f} MiB, peak {m['rss_peak'] / 2**20:6.0f} MiB | "
                      f"{m['rows_ok']:,} ok, {m['quarantined']} quarantined | "
                      + ", ".join(f"{n} {rows:,}" for n, rows in m["cube_rows"].items()) + f", detail {m['detail_rows']:,} rows"
                      + ("" if m["ok"] else f" | FAILED: {m['error']}"), flush=True)
    finally:
        if server is not None:
            server.stop()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
