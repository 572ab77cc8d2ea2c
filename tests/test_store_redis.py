"""The Redis frame store against a real redis-server (tests/servers.py starts it on 127.0.0.1): the
round trip of every dtype, kill -9 mid-publish, a restart that comes back empty, Redis down (the
store, then the wall's first layout), and one round trip per poll. tests/test_store.py runs the
interface's tests (versions, failures, a concurrent reader of another instance) on Redis too."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis

from dashboard.settings import AppSettings, Settings, SettingsError, load_settings
from dashboard.store import open_store
from dashboard.store_redis import REDIS_DOWN, REDIS_REFILLING, RedisFrameStore
from dashboard.wall_view import freshness_map
from tests.servers import own_redis_server, redis_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]


def url_of(server) -> str:
    return f"redis://127.0.0.1:{server.port}/0"


def pair(server, tmp_path, prefix: str | None = None) -> tuple[RedisFrameStore, RedisFrameStore]:
    """The owner (its copy on disk) and a reader of another process or host (a copy folder of its own)."""
    prefix = prefix or f"t{uuid.uuid4().hex[:8]}"
    return (RedisFrameStore(url_of(server), tmp_path / "owner-copy", prefix=prefix),
            RedisFrameStore(url_of(server), tmp_path / "reader-copy", prefix=prefix))


def generation_frames(generation: int, rows: int = 3000) -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame({"generation": [generation] * rows, "x": np.arange(rows)})
            for name in ("summary", "by_dept", "daily")}


def every_dtype() -> dict[str, pd.DataFrame]:
    n = 5000
    rng = np.random.default_rng(7)
    return {
        "rows": pd.DataFrame({
            "status": pd.Categorical(rng.choice(["受理", "处置中", "办结"], n), categories=["受理", "处置中", "办结"],
                                     ordered=True),
            "region": pd.Categorical(rng.choice(["东城区", "西城区"], n)),
            "reported_at": pd.date_range("2026-11-01 08:00", periods=n, freq="min"),
            "closed_at": pd.Series(pd.date_range("2026-11-02", periods=n, freq="min")).where(np.arange(n) % 3 > 0),
            "deadline_at": pd.date_range("2026-11-03", periods=n, freq="h", tz="Asia/Shanghai"),
            "title": [f"工单{i}" if i % 7 else None for i in range(n)],
            "count": rng.integers(0, 1000, n),
            "rate": np.where(np.arange(n) % 5 == 0, np.nan, rng.random(n)),
            "overdue": rng.random(n) > 0.8,
            "nullable": pd.array([i if i % 4 else None for i in range(n)], dtype="Int64"),
            "waited": pd.to_timedelta(rng.integers(0, 10_000, n), unit="s"),
        }),
        "empty": pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype="str")}),
    }


def test_round_trip_keeps_frames_meta_and_dtypes(redis_server, tmp_path):
    owner, reader = pair(redis_server, tmp_path)
    owner.CHUNK_BYTES = 10_000  # several chunks per frame
    frames = every_dtype()
    assert owner.publish("sample_a", frames, {"rows": 5000, "data_as_of": 1.7e9}) == 1
    snap = reader.snapshot("sample_a")
    assert snap.version == 1 and snap.meta == {"rows": 5000, "data_as_of": 1.7e9}
    assert set(snap.frames) == set(frames)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(snap.frames[name], frame)
    status = reader.status("sample_a")
    assert status.version == 1 and status.data_as_of == 1.7e9 and not status.failed
    # a new version: its keys are permanent, the old one's expire after the grace period
    owner.publish("sample_a", {"rows": frames["rows"].head(10)}, {})
    client = redis.Redis.from_url(url_of(redis_server))
    base = f"{owner.prefix}:frames:sample_a"
    assert client.ttl(f"{base}:2") == -1 and client.ttl(f"{base}:2:rows:0") == -1
    assert 0 < client.ttl(f"{base}:1") <= RedisFrameStore.GRACE_SECONDS
    assert 0 < client.ttl(f"{base}:1:rows:3") <= RedisFrameStore.GRACE_SECONDS
    assert reader.snapshot("sample_a").frames["rows"].equals(frames["rows"].head(10))
    # the durable copy on the owner's disk holds the same versions
    assert owner.copy.status("sample_a").version == 2
    pd.testing.assert_frame_equal(owner.copy.snapshot("sample_a").frames["rows"], frames["rows"].head(10))


def test_open_store_and_the_setting(redis_server, tmp_path):
    store = open_store(url_of(redis_server), tmp_path)
    assert isinstance(store, RedisFrameStore) and store.copy.root == tmp_path / "frames"
    assert AppSettings(store="redis://10.0.0.5:6380/2").store == "redis://10.0.0.5:6380/2"
    for spec, message in [("redis://:6379/0", "缺少主机名"), ("redis://h:99999/0", "端口应为 1–65535"),
                          ("redis://h:6379/abc", "库号应为 0–15"), ("redis://h:6379/0?timeout=1", "不支持 ?")]:
        config = tmp_path / "citywall.toml"
        config.write_text(f'[app]\nstore = "{spec}"\n', encoding="utf-8")
        with pytest.raises(SettingsError) as info:
            load_settings(config, environ={})
        assert f"app.store = '{spec}'" in str(info.value) and message in str(info.value)


PUBLISHER = """
import sys, numpy as np, pandas as pd
from dashboard.store_redis import RedisFrameStore
url, copy, prefix = sys.argv[1:4]
store = RedisFrameStore(url, copy, prefix=prefix)
store.CHUNK_BYTES = 64 * 1024
rows = 400_000
for generation in range(1, 10_000):
    frames = {name: pd.DataFrame({"generation": np.full(rows, generation), "x": np.arange(rows) * 1.5})
              for name in ("summary", "by_dept", "daily", "map")}
    print(store.publish("sample_k", frames, {"generation": generation}), flush=True)
"""


def test_kill_9_mid_publish_leaves_the_previous_or_the_new_version(redis_server, tmp_path):
    """A publisher process killed while its new version's keys are half written: readers see the
    version before or after, whole; the owner's next upkeep brings Redis level with its copy."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(url_of(redis_server))
    script = tmp_path / "publisher.py"
    script.write_text(PUBLISHER, encoding="utf-8")
    copy = tmp_path / "copy"
    mid_publish_kills = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, str(script), url_of(redis_server), str(copy), prefix],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        target = int(proc.stdout.readline()) + 1  # one whole publish done: the next one is under way
        deadline = time.monotonic() + 30
        while not client.exists(f"{prefix}:frames:sample_k:{target}:summary:0") and time.monotonic() < deadline:
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        pointer = RedisFrameStore(url_of(redis_server), tmp_path / "r", prefix=prefix).status("sample_k").version
        if pointer == target - 1 and client.exists(f"{prefix}:frames:sample_k:{target}:summary:0"):
            mid_publish_kills += 1
            # the half-written version's keys expire by themselves
            assert 0 < client.ttl(f"{prefix}:frames:sample_k:{target}:summary:0") <= RedisFrameStore.STAGING_SECONDS
        reader = RedisFrameStore(url_of(redis_server), tmp_path / "r", prefix=prefix)
        snap = reader.snapshot("sample_k")
        assert snap.version in (target - 1, target)
        assert {int(f["generation"].iloc[0]) for f in snap.frames.values()} == {snap.meta["generation"]}
        assert all(len(f) == 400_000 for f in snap.frames.values()) and len(snap.frames) == 4
        if mid_publish_kills:
            break
    assert mid_publish_kills  # killed at least once between writing the new keys and the swap
    # the owner restarts: its copy may hold the killed version whole (written before Redis): it is sent
    owner = RedisFrameStore(url_of(redis_server), copy, prefix=prefix)
    owner.clean_staging()
    fresh = RedisFrameStore(url_of(redis_server), tmp_path / "r2", prefix=prefix)
    assert fresh.status("sample_k").version == owner.copy.status("sample_k").version
    snap = fresh.snapshot("sample_k")
    assert {int(f["generation"].iloc[0]) for f in snap.frames.values()} == {snap.meta["generation"]}


def test_a_restart_empty_is_refilled_by_the_scheduler_without_a_manual_step(own_redis_server, tmp_path):
    from dashboard.pullers import Puller
    from dashboard.scheduler import PullScheduler

    owner, reader = pair(own_redis_server, tmp_path)
    owner.upkeep_seconds = 0.3
    owner.publish("sample_a", generation_frames(1))
    owner.publish("sample_b", generation_frames(4))
    owner.mark_failed("sample_b", "数据源「网格系统」连接超时", ("网格系统",))
    assert reader.snapshot("sample_a").frames["summary"]["generation"].iloc[0] == 1
    settings = Settings(app=AppSettings(data_dir=str(tmp_path / "data")))
    scheduler = PullScheduler(Puller(settings, owner))
    scheduler.start(run_now=False, jobs=False)
    try:
        own_redis_server.restart()  # memory only: back empty
        time.sleep(RedisFrameStore.RETRY_SECONDS)
        during = reader.statuses()  # before the owner's upkeep ran, or after: never blank
        assert set(during) == {"sample_a", "sample_b"}
        deadline = time.monotonic() + 10
        while any(s.error.startswith(REDIS_REFILLING) for s in reader.statuses().values()):
            assert time.monotonic() < deadline, "Redis was not refilled"
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    statuses = RedisFrameStore(url_of(own_redis_server), tmp_path / "new", prefix=owner.prefix).statuses()
    assert statuses["sample_a"].version == 1 and not statuses["sample_a"].failed
    assert statuses["sample_b"].version == 1 and statuses["sample_b"].error == "数据源「网格系统」连接超时"
    newcomer = RedisFrameStore(url_of(own_redis_server), tmp_path / "new", prefix=owner.prefix)
    pd.testing.assert_frame_equal(newcomer.frame("sample_b", "daily"), generation_frames(4)["daily"])


def test_readers_serve_their_frames_while_redis_restarts_empty(own_redis_server, tmp_path):
    owner, reader = pair(own_redis_server, tmp_path)
    owner.publish("sample_a", generation_frames(1))
    reader.snapshot("sample_a")
    own_redis_server.restart()
    time.sleep(RedisFrameStore.RETRY_SECONDS)
    status = reader.statuses()["sample_a"]
    assert status.version == 1 and status.error == REDIS_REFILLING
    assert reader.snapshot("sample_a").frames["summary"]["generation"].iloc[0] == 1
    assert owner.keep() == ["sample_a"]
    assert not reader.statuses()["sample_a"].failed
    assert owner.keep() == []  # level: nothing more to send


def test_redis_down_serves_the_last_frames_as_stale_then_catches_up(own_redis_server, tmp_path):
    owner, reader = pair(own_redis_server, tmp_path)
    owner.publish("sample_a", generation_frames(1))
    reader.snapshot("sample_a")
    own_redis_server.stop()

    statuses = reader.statuses()
    assert statuses["sample_a"].version == 1 and statuses["sample_a"].error == REDIS_DOWN
    badges = freshness_map(Settings(), statuses, ["sample_a"], details=True)
    assert badges["sample_a"]["b"].startswith("数据滞后") and REDIS_DOWN in badges["sample_a"]["r"]
    assert reader.snapshot("sample_a").frames["daily"]["generation"].iloc[0] == 1  # never blank
    # a process started during the outage on the owner's host reads the copy on disk
    same_host = RedisFrameStore(url_of(own_redis_server), tmp_path / "owner-copy", prefix=owner.prefix)
    assert same_host.frame("sample_a", "summary")["generation"].iloc[0] == 1
    # the owner's pulls go on: into its copy, and a failure is kept there too
    assert owner.publish("sample_a", generation_frames(2)) == 2
    owner.mark_failed("sample_a", "数据源「目录」无法连接", ("目录",))
    assert owner.copy.status("sample_a").error == "数据源「目录」无法连接"
    assert reader.snapshot("sample_a").frames["daily"]["generation"].iloc[0] == 1
    # the owner's own process (one process serving and pulling) shows its new pull, stale all the same
    assert owner.snapshot("sample_a").frames["daily"]["generation"].iloc[0] == 2
    assert owner.statuses()["sample_a"].version == 2 and owner.status("sample_a").failed

    own_redis_server.start()  # back, empty
    time.sleep(RedisFrameStore.RETRY_SECONDS)
    assert owner.keep() == ["sample_a"]
    status = reader.status("sample_a")
    assert status.version == 2 and status.error == "数据源「目录」无法连接"
    assert reader.snapshot("sample_a").frames["daily"]["generation"].iloc[0] == 2
    owner.confirm("sample_a")
    assert not reader.statuses()["sample_a"].failed


class CountingConnection(redis.Connection):
    """A real connection that counts its round trips (each send of one command or one pipeline)."""
    sends = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sends += 1
        return super().send_packed_command(command, check_health)


def test_one_poll_is_one_round_trip_and_unchanged_datasets_are_not_read_again(own_redis_server, tmp_path):
    owner = RedisFrameStore(url_of(own_redis_server), tmp_path / "owner-copy", prefix="cw")
    for i in range(8):
        owner.publish(f"sample_{i}", generation_frames(i, rows=100))
    pool = redis.ConnectionPool(host="127.0.0.1", port=own_redis_server.port, db=0,
                                connection_class=CountingConnection)
    reader = RedisFrameStore(url_of(own_redis_server), tmp_path / "reader-copy", prefix="cw",
                             client=redis.Redis(connection_pool=pool))
    admin = redis.Redis(port=own_redis_server.port)
    for i in range(8):
        reader.snapshot(f"sample_{i}")
    admin.config_resetstat()
    CountingConnection.sends = 0
    for _ in range(10):
        assert len(reader.statuses()) == 8
    for _ in range(5):
        assert reader.versions() == {f"sample_{i}": 1 for i in range(8)}
    assert CountingConnection.sends == 15
    stats = admin.info("commandstats")
    assert stats["cmdstat_hgetall"]["calls"] == 15
    assert {k for k in stats if not k.startswith("cmdstat_config")} == {"cmdstat_hgetall"}
    # a dataset whose version did not change is served from the cache: one HGET, no frame read
    admin.config_resetstat()
    reader.snapshot("sample_3")
    reader.snapshot("sample_3")
    stats = admin.info("commandstats")
    assert stats["cmdstat_hget"]["calls"] == 2 and "cmdstat_get" not in stats
    owner.publish("sample_3", generation_frames(30, rows=100))
    admin.config_resetstat()
    assert reader.snapshot("sample_3").frames["summary"]["generation"].iloc[0] == 30
    assert admin.info("commandstats")["cmdstat_get"]["calls"] == 1 + 3  # the manifest, three frames


def _drawn_figures(node) -> int:
    """How many figures in a layout have traces."""
    if isinstance(node, dict):
        figure = node.get("figure")
        own = int(isinstance(figure, dict) and bool(figure.get("data")))
        return own + sum(_drawn_figures(v) for v in node.values())
    if isinstance(node, list):
        return sum(_drawn_figures(v) for v in node)
    return 0


def test_the_wall_keeps_its_panels_with_stale_badges_while_redis_is_down(own_redis_server, tmp_path):
    """One process serving and pulling over Redis: the wall's first layout while Redis is down still
    draws every figure, with stale badges; once Redis is back (empty) and refilled, the badges go."""
    import orjson

    from tests.demo_app import demo_app

    app = demo_app(tmp_path, store=url_of(own_redis_server))
    client = app.server.test_client()

    def wall() -> tuple[int, str]:
        response = client.get("/_dash-layout", headers={"Referer": "http://localhost/wall"})
        assert response.status_code == 200
        return _drawn_figures(orjson.loads(response.data)), response.data.decode()

    figures, page = wall()
    assert figures >= 5
    stale_before = page.count("数据滞后")
    own_redis_server.stop()
    during, page = wall()
    assert during == figures  # never blank
    assert page.count("数据滞后") > stale_before
    own_redis_server.start()
    time.sleep(RedisFrameStore.RETRY_SECONDS)
    from dashboard import runtime

    assert runtime.current().store.keep()  # the scheduler's upkeep (5 s) would do it
    after, page = wall()
    assert after == figures and page.count("数据滞后") == stale_before
