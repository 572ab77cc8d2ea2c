"""The frame store: ready-to-draw frames, versioned per dataset, published atomically.

A *snapshot* is everything one publish of a dataset wrote: named frames plus metadata, under one
version number. Readers get a whole snapshot, the old one or the new one, never a mix. Besides
the frames each dataset has a *status* (last attempt, last error) kept apart from the frames: a
failed pull changes the status and leaves the last good frames in place.

Backends share one interface: :class:`MemoryFrameStore` for one process and tests,
:class:`DiskFrameStore` (Parquet files plus an atomically replaced pointer) for several processes
on one host, and :class:`~dashboard.store_redis.RedisFrameStore` (Arrow IPC in Redis, with a durable
copy on disk) for the processes of several hosts.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
import pandas as pd

from dashboard.detail_file import DetailFile
from dashboard.frame_schemas import check_frames

FILES = "files"  # a version's frames kept as files (dashboard/detail_file.py), read by DuckDB, never loaded


@dataclass(frozen=True)
class Snapshot:
    dataset: str
    version: int
    published_at: float  # unix seconds
    frames: dict[str, pd.DataFrame]
    meta: dict = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame:
        try:
            return self.frames[name]
        except KeyError:
            raise KeyError(f"数据集 {self.dataset} 没有帧 {name}；已有: {sorted(self.frames)}") from None


@dataclass(frozen=True)
class DatasetStatus:
    """What operations staff and the stale badges need to know about one dataset."""
    dataset: str
    version: int = 0
    published_at: float | None = None  # last successful publish
    attempted_at: float | None = None  # last pull attempt, successful or not
    error: str = ""  # last attempt's error; empty when it succeeded
    failed_sources: tuple[str, ...] = ()
    data_as_of: float | None = None  # the newest row's time (meta "data_as_of" of the publish)

    @property
    def failed(self) -> bool:
        return bool(self.error)

    def age_seconds(self, now: float | None = None) -> float | None:
        return None if self.published_at is None else (now or time.time()) - self.published_at

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "version": self.version, "published_at": self.published_at,
                "attempted_at": self.attempted_at, "error": self.error,
                "failed_sources": list(self.failed_sources), "data_as_of": self.data_as_of}

    @classmethod
    def from_json(cls, data: dict) -> "DatasetStatus":
        return cls(data["dataset"], data.get("version", 0), data.get("published_at"),
                   data.get("attempted_at"), data.get("error", ""), tuple(data.get("failed_sources", ())),
                   data.get("data_as_of"))


class FrameStore(ABC):
    """Interface every backend implements."""

    def publish(self, dataset: str, frames: dict[str, pd.DataFrame], meta: dict | None = None) -> int:
        """Atomically replace a dataset's frames; returns the new version and clears its error. Frames
        that break their schemas (dashboard/frame_schemas.py) are refused with a
        :class:`~dashboard.frame_schemas.FrameSchemaError`: the last good version stays."""
        check_frames(dataset, frames)
        return self._publish(dataset, frames, meta)

    @abstractmethod
    def _publish(self, dataset: str, frames: dict[str, pd.DataFrame], meta: dict | None) -> int:
        """The backend's atomic replace of checked frames."""

    @abstractmethod
    def snapshot(self, dataset: str) -> Snapshot | None:
        """The current snapshot, or None if the dataset was never published."""

    @abstractmethod
    def status(self, dataset: str) -> DatasetStatus:
        ...

    @abstractmethod
    def _write_status(self, status: DatasetStatus) -> None:
        ...

    @abstractmethod
    def datasets(self) -> list[str]:
        ...

    # ---- shared behaviour -----------------------------------------------------------------------
    def frame(self, dataset: str, name: str) -> pd.DataFrame | None:
        snap = self.snapshot(dataset)
        return None if snap is None or name not in snap.frames else snap.frames[name]

    def versions(self) -> dict[str, int]:
        """The cheap poll: dataset → version, without reading any frame."""
        return {d: self.status(d).version for d in self.datasets()}

    def statuses(self) -> dict[str, DatasetStatus]:
        return {d: self.status(d) for d in self.datasets()}

    @abstractmethod
    def _exclusive(self, dataset: str):
        """A context in which nobody else publishes or changes this dataset's status."""

    def _status_for_update(self, dataset: str) -> DatasetStatus:
        """The status a status change starts from (a backend whose readers see a stand-in while its
        server is away changes the real one)."""
        return self.status(dataset)

    #: seconds between two runs of :meth:`keep` by the owner of the pulls; None: nothing to keep
    upkeep_seconds: float | None = None

    def keep(self) -> list[str]:
        """The owner's periodic upkeep; → the datasets it restored. Nothing to do here."""
        return []

    def confirm(self, dataset: str) -> int:
        """A pull succeeded and nothing changed: the data is fresh again, under the same version."""
        with self._exclusive(dataset):  # read-modify-write: a publish in between must not be undone
            now = time.time()
            status = replace(self._status_for_update(dataset), published_at=now, attempted_at=now, error="",
                             failed_sources=())
            self._write_status(status)
            return status.version

    def clean_staging(self) -> int:
        """Remove what a publish killed mid-write left behind; the number of folders and files removed."""
        return 0

    def mark_failed(self, dataset: str, error: str, sources: tuple[str, ...] = ()) -> DatasetStatus:
        """Record a failed pull; frames and version stay as they were."""
        with self._exclusive(dataset):
            status = replace(self._status_for_update(dataset), attempted_at=time.time(), error=error,
                             failed_sources=tuple(sources))
            self._write_status(status)
            return status


class MemoryFrameStore(FrameStore):
    """One process. Publishing swaps one reference, so readers never see half a publish."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self._statuses: dict[str, DatasetStatus] = {}
        self._lock = threading.RLock()

    def _exclusive(self, dataset):
        return self._lock

    def _publish(self, dataset, frames, meta=None):
        with self._lock:
            version = self.status(dataset).version + 1
            now = time.time()
            self._snapshots[dataset] = Snapshot(dataset, version, now, dict(frames), dict(meta or {}))
            self._statuses[dataset] = DatasetStatus(dataset, version, now, now, data_as_of=(meta or {}).get("data_as_of"))
            return version

    def snapshot(self, dataset):
        return self._snapshots.get(dataset)

    def status(self, dataset):
        return self._statuses.get(dataset) or DatasetStatus(dataset)

    def _write_status(self, status):
        with self._lock:
            self._statuses[status.dataset] = status

    def datasets(self):
        return sorted(self._statuses)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # the same file system: no copy of a province's detail
    except OSError:
        shutil.copyfile(source, target)


class DiskFrameStore(FrameStore):
    """Parquet files shared by the processes of one host.

    Layout: ``ROOT/<dataset>/v<N>/<frame>.parquet`` (a :class:`~dashboard.detail_file.DetailFile`
    under ``v<N>/files/``, handed to readers as a new handle, its rows never loaded) written in full first, then
    ``ROOT/<dataset>/status.json`` (version, times, error) replaced atomically: that replace *is*
    the publish. Readers read the pointer, then the version folder it names. Each process caches
    the frames of the versions it has read, so a poll costs one small file read.
    """

    KEEP_VERSIONS = 3

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, Snapshot] = {}
        self._lock = threading.RLock()
        self._held = threading.local()  # the datasets this thread holds the lock of

    def _dir(self, dataset: str) -> Path:
        return self.root / dataset

    @contextmanager
    def _exclusive(self, dataset):
        """Threads of this process (a lock) and other processes on the host (flock on a lock file).
        Reentrant in a thread (a store this one is the copy of publishes under it): a second flock of
        the file through another descriptor would wait for the first forever."""
        held = self._held.__dict__.setdefault("datasets", set())
        if dataset in held:
            yield
            return
        ddir = self._dir(dataset)
        ddir.mkdir(parents=True, exist_ok=True)
        with self._lock, open(ddir / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            held.add(dataset)
            try:
                yield
            finally:
                held.discard(dataset)
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _publish(self, dataset, frames, meta=None, above: int = 0):
        """``above``: a version the new one must exceed (a store this one is the durable copy of)."""
        with self._exclusive(dataset):
            ddir = self._dir(dataset)
            version = max(self.status(dataset).version, self._highest_folder(ddir), above) + 1
            staging = Path(tempfile.mkdtemp(dir=ddir, prefix=".staging-"))
            try:
                for name, frame in frames.items():
                    if isinstance(frame, DetailFile):  # its rows stay on disk: the file itself is the frame
                        _link_or_copy(frame.path, staging / FILES / f"{name}.parquet")
                    else:
                        frame.to_parquet(staging / f"{name}.parquet", index=False)
                (staging / "meta.json").write_bytes(orjson.dumps(meta or {}, default=str))
                os.replace(staging, ddir / f"v{version}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # gone after the rename; left over on failure
            now = time.time()
            status = DatasetStatus(dataset, version, now, now, data_as_of=(meta or {}).get("data_as_of"))
            _atomic_write(ddir / "status.json", orjson.dumps(status.to_json()))
            self._prune(ddir, version)
            return version

    def clean_staging(self) -> int:
        """A publish killed with ``kill -9`` leaves its ``.staging-*`` folder (and a status write its
        ``.status.json.*`` file). Under the dataset's lock no publish is half-way, so whatever is left
        is an orphan: the owner removes them on its start."""
        removed = 0
        for ddir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            with self._exclusive(ddir.name):
                for leftover in [*ddir.glob(".staging-*"), *ddir.glob(".status.json.*")]:
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
                    removed += 1
        return removed

    @staticmethod
    def _highest_folder(ddir: Path) -> int:
        nums = [int(p.name[1:]) for p in ddir.glob("v*") if p.name[1:].isdigit()]
        return max(nums, default=0)

    def _prune(self, ddir: Path, current: int) -> None:
        # keep a few old versions: a reader that read the pointer just before a publish still finds them
        for p in ddir.glob("v*"):
            if p.name[1:].isdigit() and int(p.name[1:]) <= current - self.KEEP_VERSIONS:
                shutil.rmtree(p, ignore_errors=True)

    def status(self, dataset):
        try:
            return DatasetStatus.from_json(orjson.loads((self._dir(dataset) / "status.json").read_bytes()))
        except FileNotFoundError:
            return DatasetStatus(dataset)

    def _write_status(self, status):
        ddir = self._dir(status.dataset)
        ddir.mkdir(parents=True, exist_ok=True)
        _atomic_write(ddir / "status.json", orjson.dumps(status.to_json()))

    def snapshot(self, dataset):
        for _ in range(5):
            status = self.status(dataset)
            if status.version == 0:
                return None
            cached = self._cache.get(dataset)
            if cached is not None and cached.version == status.version:
                return cached
            folder = self._dir(dataset) / f"v{status.version}"
            try:
                frames = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
                frames.update({p.stem: DetailFile(p) for p in sorted((folder / FILES).glob("*.parquet"))})
                meta = orjson.loads((folder / "meta.json").read_bytes())
            except (FileNotFoundError, OSError):
                continue  # pruned under us by a quick succession of publishes: read the pointer again
            snap = Snapshot(dataset, status.version, status.published_at or 0.0, frames, meta)
            self._cache[dataset] = snap
            return snap
        raise RuntimeError(f"数据集 {dataset} 在读取时连续被替换，稍后重试")

    def datasets(self):
        return sorted(p.parent.name for p in self.root.glob("*/status.json"))


def open_store(spec: str, data_dir: Path) -> FrameStore:
    """``memory`` | ``disk:PATH`` (relative to the data folder) | ``redis://HOST:PORT/DB`` (its durable
    copy of the last good pulls in ``DATA_DIR/frames``)."""
    if spec == "memory":
        return MemoryFrameStore()
    if spec.startswith("disk:"):
        path = Path(spec[5:])
        return DiskFrameStore(path if path.is_absolute() else data_dir / path)
    if spec.startswith("redis://"):
        from dashboard.store_redis import RedisFrameStore

        return RedisFrameStore(spec, data_dir / "frames")
    raise ValueError(f"app.store = {spec!r}: 此版本支持 memory、disk:<目录> 或 redis://<主机>:<端口>/<库号>")
