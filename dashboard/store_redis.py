"""The Redis frame store: one store for the processes of several hosts (``app.store = "redis://…"``).

Keys, under a prefix (``citywall``):

- ``P:status``: a hash, dataset → its status as JSON (:meth:`DatasetStatus.to_json`). The version in it
  is the dataset's *pointer*: a publish writes the new version's keys first, then swaps this one field
  (a small Lua script: it also makes the new keys permanent and gives the old version's a grace
  period). One ``HGETALL`` is a whole poll: every dataset's version and freshness in one round trip.
- ``P:frames:DATASET:VERSION``: the version's manifest (JSON: frame → number of chunks, meta);
- ``P:frames:DATASET:VERSION:FRAME:I``: the frame as an Arrow IPC stream (lz4), in chunks of at most
  :attr:`RedisFrameStore.CHUNK_BYTES`, so that no single command holds the server long.

Until the swap, a version's keys expire by themselves (:attr:`STAGING_SECONDS`): what a publish killed
half-way wrote goes without a cleanup. Each process keeps the frames it read, per dataset, and reads a
dataset again only when its version changes.

The owner of the pulls writes every publish and status to a :class:`DiskFrameStore` copy first (the
last good pulls, durably on its host). Its periodic :meth:`keep` refills Redis from that copy when
Redis restarted empty (or from an older dump), or lost a publish while it was down. While Redis is
unreachable (or still being refilled) readers serve the frames they hold, or the copy on their host,
under a status marked failed, so that the wall keeps its panels with stale badges; a publish meanwhile
lands in the copy and reaches Redis on its return.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import redis

from dashboard.detail_file import DetailFile
from dashboard.store import FILES, DatasetStatus, DiskFrameStore, FrameStore, Snapshot

log = logging.getLogger("citywall.store")

#: the stand-in error of a dataset a reader serves from what it holds
REDIS_DOWN = "帧存储（Redis）无法连接，显示本机最近一次读取的数据"
REDIS_REFILLING = "帧存储（Redis）中暂无此数据（可能刚重启），显示本机最近一次读取的数据，调度进程正在补发"

# Swap the pointer to ARGV[3] if it is newer than the current one and its manifest is there; the new
# version's keys become permanent, the old version's expire after ARGV[4] seconds. → 0 when swapped,
# else the current version (or -1: the new manifest is gone).
_SWAP = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local version = tonumber(ARGV[3])
local base = ARGV[5]
local old = nil
if current then
  old = tonumber(cjson.decode(current)['version'])
  if old >= version then return old end
end
local function each_key(v, fn)
  local manifest = redis.call('GET', base .. v)
  if not manifest then return false end
  fn(base .. v)
  for name, n in pairs(cjson.decode(manifest)['frames']) do
    for i = 0, n - 1 do fn(base .. v .. ':' .. name .. ':' .. i) end
  end
  return true
end
if not each_key(version, function(k) redis.call('PERSIST', k) end) then return -1 end
if old then each_key(old, function(k) redis.call('EXPIRE', k, ARGV[4]) end) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 0
"""

# Write a status (same version) unless a newer version is published, or its frames are not in Redis.
_SET_STATUS = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local version = tonumber(ARGV[3])
if current and tonumber(cjson.decode(current)['version']) > version then return 0 end
if version > 0 and redis.call('EXISTS', ARGV[4] .. version) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class StoreUnavailable(RuntimeError):
    """Redis cannot be reached (or answered it is loading)."""


def frame_to_ipc(frame: pd.DataFrame) -> bytes:
    """A frame as an Arrow IPC stream: dtypes (categoricals, timestamps with their zone) survive."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_ipc(data: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def stand_in(status: DatasetStatus, why: str) -> DatasetStatus:
    """A status a reader serves in place of one it cannot read: failed with ``why``, so it is stale."""
    return replace(status, error=f"{why}；{status.error}" if status.error else why)


class RedisFrameStore(FrameStore):
    CHUNK_BYTES = 4 * 1024 * 1024
    STAGING_SECONDS = 3600  # a version's keys until its swap: a killed publish's leftovers expire
    GRACE_SECONDS = 60  # an old version's keys after the swap, for a reader that read the pointer just before
    RETRY_SECONDS = 1.0  # after a failed call, calls wait this long before trying Redis again
    upkeep_seconds = 5.0

    def __init__(self, url: str, copy_dir: str | Path, *, prefix: str = "citywall",
                 client: redis.Redis | None = None) -> None:
        self.url = url
        self.client = client or redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=10.0, health_check_interval=0,
            # one immediate retry: the first call after a restart meets a dead pooled connection
            retry=redis.retry.Retry(redis.backoff.NoBackoff(), 1))
        self.copy = DiskFrameStore(copy_dir)
        self.prefix = prefix
        self._status_key = f"{prefix}:status"
        self._swap = self.client.register_script(_SWAP)
        self._set_status = self.client.register_script(_SET_STATUS)
        self._cache: dict[str, Snapshot] = {}  # this process's frames, per dataset
        self._seen: dict[str, DatasetStatus] = {}  # the last status read of each dataset
        self._down_until = 0.0  # while Redis is down: when to try it again

    def _base(self, dataset: str) -> str:
        return f"{self.prefix}:frames:{dataset}:"

    def _call(self, fn):
        """Run ``fn()`` against Redis; StoreUnavailable when it is down (then, for RETRY_SECONDS,
        without trying: a poll must not wait for a connect timeout each time)."""
        if time.monotonic() < self._down_until:
            raise StoreUnavailable(REDIS_DOWN)
        try:
            answer = fn()
        except (redis.RedisError, OSError) as exc:  # down, loading, or refusing writes (maxmemory)
            if not self._down_until:  # logged once per outage, not once a poll
                log.warning("Redis frame store unavailable (%s): serving the frames held here", exc)
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            raise StoreUnavailable(REDIS_DOWN) from exc
        if self._down_until:
            log.warning("Redis frame store reachable again")
            self._down_until = 0.0
        return answer

    # ---- reading ---------------------------------------------------------------------------------
    def _remote_statuses(self) -> dict[str, DatasetStatus]:
        raw = self._call(lambda: self.client.hgetall(self._status_key))
        return {k.decode(): DatasetStatus.from_json(orjson.loads(v)) for k, v in raw.items()}

    def _remote_status(self, dataset: str) -> DatasetStatus | None:
        raw = self._call(lambda: self.client.hget(self._status_key, dataset))
        return None if raw is None else DatasetStatus.from_json(orjson.loads(raw))

    def statuses(self) -> dict[str, DatasetStatus]:
        """The poll: one HGETALL. Datasets this process knows but Redis cannot give are served from
        what it holds (or its host's copy), marked failed: stale badges, never blank panels."""
        try:
            remote = self._remote_statuses()
        except StoreUnavailable:
            return {ds: stand_in(self._known(ds), REDIS_DOWN) for ds in sorted({*self._seen, *self.copy.datasets()})}
        self._seen.update(remote)
        missing = {ds: stand_in(self._known(ds), REDIS_REFILLING) for ds in self._seen if ds not in remote}
        return dict(sorted({**remote, **missing}.items()))

    def _known(self, dataset: str) -> DatasetStatus:
        """The newest status this process has without Redis: the last one it read, or its host's copy
        (where the owner's publishes land while Redis is down)."""
        seen, copied = self._seen.get(dataset), self.copy.status(dataset)
        return seen if seen is not None and seen.version >= copied.version else copied

    def _held(self, dataset: str) -> Snapshot | None:
        """The newest frames this process has without Redis: those it read, or its host's copy."""
        cached = self._cache.get(dataset)
        copied = self.copy.snapshot(dataset) if self.copy.status(dataset).version > (cached.version if cached else 0) \
            else None
        return copied or cached

    def versions(self) -> dict[str, int]:
        return {ds: s.version for ds, s in self.statuses().items()}

    def datasets(self) -> list[str]:
        return list(self.statuses())

    def status(self, dataset: str) -> DatasetStatus:
        try:
            remote = self._remote_status(dataset)
        except StoreUnavailable:
            known = self._known(dataset)
            return stand_in(known, REDIS_DOWN) if known.version else known
        if remote is None:
            known = self._known(dataset)
            return stand_in(known, REDIS_REFILLING) if known.version else known
        self._seen[dataset] = remote
        return remote

    def snapshot(self, dataset: str) -> Snapshot | None:
        for _ in range(5):
            status = self.status(dataset)
            cached = self._cache.get(dataset)
            if status.version == 0:
                return None
            if cached is not None and cached.version == status.version:
                return cached
            try:
                snap = self._read(dataset, status)
            except StoreUnavailable:
                snap = None
            if snap is None and status.failed and status.error.startswith((REDIS_DOWN, REDIS_REFILLING)):
                return self._held(dataset)
            if snap is not None:
                self._cache[dataset] = snap
                return snap
            # pruned under us by a quick succession of publishes: read the pointer again
        held = self._held(dataset)  # or keys gone for good (evicted: Redis needs maxmemory-policy noeviction)
        if held is None:
            raise RuntimeError(f"数据集 {dataset} 在读取时连续被替换，稍后重试")
        log.warning("frames of %s v%d missing in Redis: serving v%d held here", dataset, status.version, held.version)
        return held

    def _read(self, dataset: str, status: DatasetStatus) -> Snapshot | None:
        """A version's frames (two round trips: the manifest, then its chunks); None if it is gone."""
        base = f"{self._base(dataset)}{status.version}"
        raw = self._call(lambda: self.client.get(base))
        if raw is None:
            return None
        manifest = orjson.loads(raw)
        keys = [(name, f"{base}:{name}:{i}") for name, n in manifest["frames"].items() for i in range(n)]

        def chunks():
            pipe = self.client.pipeline(transaction=False)
            for _, key in keys:
                pipe.get(key)
            return pipe.execute()

        values = self._call(chunks) if keys else []
        if any(v is None for v in values):
            return None
        parts: dict[str, list[bytes]] = {name: [] for name in manifest["frames"]}
        for (name, _), value in zip(keys, values):
            parts[name].append(value)
        frames = {name: frame_from_ipc(b"".join(p)) for name, p in parts.items()}
        try:
            frames.update({name: DetailFile(path) for name, path in manifest.get("files", {}).items()})
        except FileNotFoundError:
            return None  # pruned from the copy under us
        return Snapshot(dataset, status.version, status.published_at or 0.0, frames, manifest["meta"])

    # ---- writing (the owner of the pulls) --------------------------------------------------------
    def _exclusive(self, dataset):
        return self.copy._exclusive(dataset)

    def _status_for_update(self, dataset):
        try:
            return self._remote_status(dataset) or self.copy.status(dataset)
        except StoreUnavailable:
            return self.copy.status(dataset)

    def _publish(self, dataset, frames, meta=None):
        with self._exclusive(dataset):
            try:
                above = (self._remote_status(dataset) or DatasetStatus(dataset)).version
            except StoreUnavailable:
                above = 0
            version = self.copy._publish(dataset, frames, meta, above=above)  # durable first
            status = self.copy.status(dataset)
            try:
                self._push(dataset, status, frames, meta or {})
            except StoreUnavailable:
                log.warning("Redis unreachable: %s v%d kept in the copy on disk, sent when Redis is back",
                            dataset, version)
            return version

    def _push(self, dataset: str, status: DatasetStatus, frames: dict[str, pd.DataFrame], meta: dict) -> None:
        """Write one version's keys (expiring), then swap the pointer to it."""
        base = f"{self._base(dataset)}{status.version}"
        pieces, files = {}, {}
        for name, frame in frames.items():
            if isinstance(frame, DetailFile):  # its rows stay on disk: readers open the copy's file (a shared folder)
                files[name] = str(self.copy.root / dataset / f"v{status.version}" / FILES / f"{name}.parquet")
                continue
            data = frame_to_ipc(frame)
            pieces[name] = [data[i:i + self.CHUNK_BYTES] for i in range(0, len(data), self.CHUNK_BYTES)] or [b""]
        manifest = orjson.dumps({"frames": {name: len(p) for name, p in pieces.items()}, "files": files, "meta": meta},
                                default=str)

        def write():
            pipe = self.client.pipeline(transaction=False)  # many commands, no transaction: polls go on
            for name, chunks in pieces.items():
                for i, chunk in enumerate(chunks):
                    pipe.set(f"{base}:{name}:{i}", chunk, ex=self.STAGING_SECONDS)
            pipe.set(base, manifest, ex=self.STAGING_SECONDS)  # last: the swap needs it
            pipe.execute()

        self._call(write)
        answer = self._call(lambda: self._swap(keys=[self._status_key], args=[
            dataset, orjson.dumps(status.to_json()), status.version, self.GRACE_SECONDS, self._base(dataset)]))
        if answer != 0:
            log.warning("publish of %s v%d not swapped in: Redis holds v%s", dataset, status.version, answer)
            return
        self._seen[dataset] = status
        held = {**frames, **{name: DetailFile(path) for name, path in files.items()}}  # the copy's, not the pull's file
        self._cache[dataset] = Snapshot(dataset, status.version, status.published_at or 0.0, held, dict(meta))

    def _write_status(self, status: DatasetStatus) -> None:
        if self.copy.status(status.dataset).version == status.version:  # the copy holds those frames
            self.copy._write_status(status)
        try:
            self._call(lambda: self._set_status(keys=[self._status_key], args=[
                status.dataset, orjson.dumps(status.to_json()), status.version, self._base(status.dataset)]))
        except StoreUnavailable:
            log.warning("Redis unreachable: the status of %s is sent when Redis is back", status.dataset)

    def clean_staging(self) -> int:
        """The owner's start: the copy's leftovers go, and Redis is refilled if it needs it."""
        removed = self.copy.clean_staging()
        self.keep()
        return removed

    def keep(self) -> list[str]:
        """Refill Redis from the copy on disk: each dataset whose copy is newer than Redis's (Redis
        restarted empty, or lost a publish while down); a status changed while Redis was down follows."""
        try:
            remote = self._remote_statuses()
        except StoreUnavailable:
            return []
        refilled = []
        for dataset in self.copy.datasets():
            with self._exclusive(dataset):
                local = self.copy.status(dataset)
                there = remote.get(dataset) or DatasetStatus(dataset)
                try:
                    if local.version > there.version:
                        snap = self.copy.snapshot(dataset)
                        self._push(dataset, local, snap.frames, snap.meta)
                        refilled.append(dataset)
                    elif local.version == there.version and (local.attempted_at or 0) > (there.attempted_at or 0):
                        self._write_status(local)
                except StoreUnavailable:
                    return refilled
        if refilled:
            log.warning("Redis refilled from the copy on disk: %s", ", ".join(refilled))
        return refilled
