"""Frame store: versions per dataset, atomic publish under a concurrent reader, failure status. (The
sample datasets have no schemas in dashboard/frame_schemas.py: these tests are about the store alone.)"""
import threading

import pandas as pd
import pytest

from dashboard.store import DiskFrameStore, MemoryFrameStore, open_store
from tests.servers import redis_server  # noqa: F401  (fixture)


@pytest.fixture(params=["memory", "disk", "redis"])
def store(request, tmp_path):
    if request.param == "redis":  # a real redis-server (tests/servers.py), the copy in tmp_path
        from dashboard.store_redis import RedisFrameStore

        server = request.getfixturevalue("redis_server")
        store = RedisFrameStore(f"redis://127.0.0.1:{server.port}/0", tmp_path / "frames", prefix=tmp_path.name)
        store.CHUNK_BYTES = 4096  # frames in several chunks
        store.GRACE_SECONDS = 1  # old versions expire while readers read
        return store
    return MemoryFrameStore() if request.param == "memory" else DiskFrameStore(tmp_path / "frames")


def another_instance(store, tmp_path):
    """The store as another process sees it (another host's, for Redis); memory: the same one."""
    from dashboard.store_redis import RedisFrameStore

    if isinstance(store, RedisFrameStore):
        return RedisFrameStore(store.url, tmp_path / "reader-copy", prefix=store.prefix)
    return DiskFrameStore(store.root) if isinstance(store, DiskFrameStore) else store


def frames(generation: int, rows: int = 2000) -> dict[str, pd.DataFrame]:
    # every frame of one publish carries the same generation number
    return {name: pd.DataFrame({"generation": [generation] * rows, "x": range(rows)})
            for name in ("summary", "by_dept", "daily")}


def test_versions_are_per_dataset(store):
    assert store.versions() == {}
    assert store.publish("sample_a", frames(1)) == 1
    assert store.publish("sample_a", frames(2)) == 2
    assert store.publish("sample_b", frames(1)) == 1
    assert store.versions() == {"sample_a": 2, "sample_b": 1}
    assert store.frame("sample_a", "summary")["generation"].iloc[0] == 2
    assert store.frame("sample_c", "summary") is None


def test_failed_pull_keeps_frames_and_version(store):
    store.publish("sample_a", frames(1), {"rows": 10})
    status = store.mark_failed("sample_a", "数据源「目录」无法连接", ("目录",))
    assert status.failed and status.version == 1 and status.failed_sources == ("目录",)
    assert store.snapshot("sample_a").frames["summary"]["generation"].iloc[0] == 1
    assert store.status("sample_a").error == "数据源「目录」无法连接"
    store.publish("sample_a", frames(2))
    assert not store.status("sample_a").failed


def test_confirm_refreshes_age_without_a_new_version(store):
    store.publish("sample_a", frames(1))
    store.mark_failed("sample_a", "x")
    assert store.confirm("sample_a") == 1
    status = store.status("sample_a")
    assert status.version == 1 and not status.failed


def test_publish_is_atomic_under_a_concurrent_reader(store, tmp_path):
    store.publish("sample_c", frames(0))
    stop = threading.Event()
    mixed, reads = [], [0]
    other = another_instance(store, tmp_path)

    def reader():
        while not stop.is_set():
            snap = other.snapshot("sample_c")
            generations = {int(f["generation"].iloc[0]) for f in snap.frames.values()}
            if len(generations) != 1 or len(snap.frames) != 3:
                mixed.append(generations)
            reads[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for generation in range(1, 40):
        store.publish("sample_c", frames(generation))
    stop.set()
    for t in threads:
        t.join()
    assert reads[0] > 10
    assert mixed == []
    assert store.status("sample_c").version == 40


def test_disk_store_is_shared_between_instances(tmp_path):
    writer = DiskFrameStore(tmp_path / "frames")
    reader = DiskFrameStore(tmp_path / "frames")  # as another process on the same host would
    writer.publish("sample_a", frames(1))
    assert reader.versions() == {"sample_a": 1}
    writer.publish("sample_a", frames(2))
    assert reader.snapshot("sample_a").frames["daily"]["generation"].iloc[0] == 2
    writer.mark_failed("sample_a", "超时")
    assert reader.status("sample_a").error == "超时"
    # old versions are pruned, the current one stays
    for g in range(3, 10):
        writer.publish("sample_a", frames(g))
    kept = sorted(p.name for p in (tmp_path / "frames" / "sample_a").glob("v*"))
    assert "v9" in kept and len(kept) <= DiskFrameStore.KEEP_VERSIONS


def test_disk_store_reader_in_another_process(tmp_path):
    import subprocess
    import sys

    DiskFrameStore(tmp_path / "f").publish("sample_d", frames(7))
    code = ("from dashboard.store import DiskFrameStore; import sys; "
            f"s = DiskFrameStore({str(tmp_path / 'f')!r}); "
            "print(s.versions()['sample_d'], int(s.frame('sample_d', 'summary')['generation'].iloc[0]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.stdout.split() == ["1", "7"]


def test_open_store_specs(tmp_path):
    assert isinstance(open_store("memory", tmp_path), MemoryFrameStore)
    disk = open_store("disk:frames", tmp_path)
    assert isinstance(disk, DiskFrameStore) and disk.root == tmp_path / "frames"
    with pytest.raises(ValueError, match="memory、disk"):
        open_store("s3://bucket", tmp_path)


def test_status_changes_never_undo_a_concurrent_publish(store):
    store.publish("sample_c", frames(0, rows=10))
    stop = threading.Event()

    def flapper():
        while not stop.is_set():
            store.mark_failed("sample_c", "网格系统: 连接超时", ("网格系统",))
            store.confirm("sample_c")

    threads = [threading.Thread(target=flapper) for _ in range(2)]
    for t in threads:
        t.start()
    for generation in range(1, 30):
        store.publish("sample_c", frames(generation, rows=10))
    stop.set()
    for t in threads:
        t.join()
    assert store.status("sample_c").version == store.snapshot("sample_c").version == 30


def test_two_processes_publishing_to_one_disk_store(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    code = ("import pandas as pd; from dashboard.store import DiskFrameStore; "
            f"s = DiskFrameStore({str(tmp_path / 'f')!r}); "
            "[s.publish('sample_c', {'summary': pd.DataFrame({'n': [i]})}) for i in range(40)]")
    repo = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=repo, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    store = DiskFrameStore(tmp_path / "f")
    assert store.status("sample_c").version == 80
    assert not list((tmp_path / "f" / "sample_c").glob(".staging-*"))
