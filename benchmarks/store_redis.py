"""Frame-store benchmark: the Redis backend beside the disk one, on the demo city's published frames.

    python benchmarks/store_redis.py [--incidents 2000000] [--rounds 3] [--polls 2000] [--keep DIR]

The demo city is seeded and pulled as benchmarks/wall.py does (``--keep`` reuses its folder); its
published snapshots (every dataset, the incidents' detail frame included) are then published again,
by each backend into a store of its own, and read back:

- publish: every dataset once, the backend's part (the frame schema check before it, the same for
  every backend, is timed apart); Redis: its disk copy first, then the keys and the pointer swap (the
  Redis part alone is shown too);
- cold read: a new store instance (another process, empty cache) reads every dataset;
- warm read: the same instance reads them again, unchanged (one version check each, frames cached);
- poll: ``statuses()``, all datasets' versions and freshness (one HGETALL against Redis), p50 / p95;
  and the same poll while another process publishes the incidents (p50, p95, max).

A redis-server is started on 127.0.0.1 on a free port (tests/servers.py) and stopped at the end.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _publish_all(store, snapshots) -> None:
    # the backend's part: the frame schema check before it is the same for every backend (timed apart)
    for ds, snap in snapshots.items():
        store._publish(ds, snap.frames, snap.meta)


def _read_all(store, datasets) -> None:
    for ds in datasets:
        assert store.snapshot(ds) is not None


#: another process publishing the incidents ROUNDS times into the store SPEC (while this one polls)
PUBLISHER = """
import sys
sys.path.insert(0, {root!r})
from dashboard.store import DiskFrameStore
from dashboard.store_redis import RedisFrameStore
snap = DiskFrameStore({source!r}).snapshot("incidents")
store = RedisFrameStore({url!r}, {copy!r}) if {url!r} else DiskFrameStore({copy!r})
print("ready", flush=True)
for _ in range({rounds}):
    store._publish("incidents", snap.frames, snap.meta)
"""


def measure(label: str, make_store, snapshots, rounds: int, polls: int, publisher: dict) -> None:
    datasets = list(snapshots)
    writer = make_store()
    publish = min(_timed(lambda: _publish_all(writer, snapshots)) for _ in range(rounds))
    cold, warm = [], []
    for _ in range(rounds):
        reader = make_store()
        cold.append(_timed(lambda: _read_all(reader, datasets)))
        warm.append(_timed(lambda: _read_all(reader, datasets)))
    poll = [_timed(reader.statuses) for _ in range(polls)]
    print(f"{label:<26} publish {publish:6.2f} s   cold read {min(cold):6.2f} s   "
          f"warm read {min(warm) * 1e3:6.2f} ms   poll p50 {statistics.median(poll) * 1e3:.3f} ms "
          f"p95 {_pct(poll, 0.95) * 1e3:.3f} ms")
    # polls from this process while another one publishes the incidents (a real scheduler's publish)
    proc = subprocess.Popen([sys.executable, "-c", PUBLISHER.format(root=str(ROOT), rounds=rounds, **publisher)],
                            stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    during: list[float] = []
    while proc.poll() is None:
        during.append(_timed(reader.statuses))
        time.sleep(0.005)
    print(f"{'':<26} {len(during)} polls while another process published incidents {rounds}×: "
          f"p50 {statistics.median(during) * 1e3:.2f} ms p95 {_pct(during, 0.95) * 1e3:.2f} ms "
          f"max {max(during) * 1e3:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description="帧存储基准测试：Redis 与磁盘")
    parser.add_argument("--incidents", type=int, default=2_000_000, help="演示城市的事件条数")
    parser.add_argument("--rounds", type=int, default=3, help="发布与读取的重复次数（取最好）")
    parser.add_argument("--polls", type=int, default=2000, help="轮询次数")
    parser.add_argument("--keep", metavar="DIR", help="演示城市只生成一次，之后复用该目录")
    args = parser.parse_args()
    from benchmarks.wall import _city

    config = _city(args)

    from dashboard.frame_schemas import check_frames
    from dashboard.settings import load_settings
    from dashboard.store import DiskFrameStore, open_store
    from dashboard.store_redis import RedisFrameStore, frame_to_ipc
    from tests.servers import start_redis

    settings = load_settings(config, environ={})
    source = open_store(settings.app.store, settings.data_dir)
    snapshots = {ds: source.snapshot(ds) for ds in source.datasets()}
    rows = sum(len(f) for s in snapshots.values() for f in s.frames.values())
    ipc = sum(len(frame_to_ipc(f)) for s in snapshots.values() for f in s.frames.values())
    print(f"demo city at {args.incidents:,} incidents: {len(snapshots)} datasets, "
          f"{sum(len(s.frames) for s in snapshots.values())} frames, {rows:,} rows, Arrow IPC (lz4) {ipc / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory(prefix="citywall-store-bench-") as tmp:
        tmp = Path(tmp)
        server = start_redis(tmp)
        try:
            url = f"redis://127.0.0.1:{server.port}/0"
            counter = iter(range(10_000))
            disk_root = tmp / "disk"
            source_root = str(settings.data_dir / "frames")
            t0 = time.perf_counter()
            for ds, snap in snapshots.items():
                check_frames(ds, snap.frames)
            print(f"frame schema check before any publish (every backend): {time.perf_counter() - t0:.2f} s")
            measure("disk (Parquet)", lambda: DiskFrameStore(disk_root), snapshots, args.rounds, args.polls,
                    {"url": "", "copy": str(disk_root), "source": source_root})
            measure("redis (Arrow IPC + copy)", lambda: RedisFrameStore(url, tmp / f"copy-{next(counter)}"),
                    snapshots, args.rounds, args.polls, {"url": url, "copy": str(tmp / "copy-p"), "source": source_root})
            statuses = source.statuses()
            alone = []
            for i in range(args.rounds):
                push = RedisFrameStore(url, tmp / "copy-push", prefix=f"push{i}")
                alone.append(_timed(lambda: [push._push(ds, statuses[ds], snap.frames, snap.meta)
                                             for ds, snap in snapshots.items()]))
            print(f"{'  redis part alone':<28} publish {min(alone):6.2f} s (keys and swap, no disk copy)")
            parquet = sum(p.stat().st_size for p in (tmp / "disk").rglob("v*/*.parquet"))
            print(f"disk: Parquet {parquet / 1e6:.1f} MB for the versions kept; Redis: {ipc / 1e6:.1f} MB a version")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
