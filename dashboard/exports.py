"""The export archive: every export made, its file under ``data_dir/exports/`` and its row in the app
database's ``exports`` table (time, who, kind, view, data version, size, status), and the retention
that removes old ones (``[export] retention_days``; the scheduler runs :func:`purge` daily).

A file is written under a temporary name and renamed once complete, then its row is inserted: the
archive never lists a half-written file. A failed export gets a row too (status failed, its error,
no file), so /exports and /ops show it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from dashboard import db

log = logging.getLogger("citywall.exports")

FOLDER = "exports"
STATUSES = {"done": "完成", "failed": "失败"}
DAY = 86400


@dataclass(frozen=True)
class Export:
    id: int
    created_at: float
    created_by: str
    kind: str
    view: str
    view_label: str
    data_version: str
    trigger: str
    job_id: int | None
    path: str | None  # relative to the archive folder
    size_bytes: int | None
    status: str
    error: str


def folder(settings) -> Path:
    return settings.data_dir / FOLDER


def store_file(archive: Path, body: bytes, kind: str, made_at: float, job_id: int | None) -> str:
    """Write ``body`` into the archive (month folders); → its path relative to ``archive``."""
    stamp = datetime.fromtimestamp(made_at)
    relative = Path(stamp.strftime("%Y-%m")) / f"{stamp:%Y%m%d-%H%M%S}-{job_id or 'cli'}.{kind}"
    target = archive / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(body)
    partial.replace(target)
    return relative.as_posix()


def record(engine: Engine, *, kind: str, view: str, view_label: str, created_by: str, data_version: str,
           trigger: str = "manual", job_id: int | None = None, path: str | None = None,
           size_bytes: int | None = None, status: str = "done", error: str = "",
           created_at: float | None = None) -> Export:
    values = dict(created_at=created_at or time.time(), created_by=created_by, kind=kind, view=view,
                  view_label=view_label, data_version=data_version, trigger=trigger, job_id=job_id, path=path,
                  size_bytes=size_bytes, status=status, error=error)
    with engine.begin() as conn:
        export_id = conn.execute(insert(db.exports).values(**values)).inserted_primary_key[0]
    return Export(id=export_id, **values)


def get(engine: Engine, export_id: int) -> Export | None:
    with engine.connect() as conn:
        row = conn.execute(select(db.exports).where(db.exports.c.id == export_id)).mappings().first()
    return Export(**row) if row else None


def recent(engine: Engine, limit: int = 200, status: str | None = None) -> list[Export]:
    """The newest exports first."""
    q = select(db.exports).order_by(db.exports.c.created_at.desc(), db.exports.c.id.desc()).limit(limit)
    if status:
        q = q.where(db.exports.c.status == status)
    with engine.connect() as conn:
        return [Export(**row) for row in conn.execute(q).mappings()]


def for_job(engine: Engine, job_id: int) -> Export | None:
    with engine.connect() as conn:
        row = conn.execute(select(db.exports).where(db.exports.c.job_id == job_id)
                           .order_by(db.exports.c.id.desc()).limit(1)).mappings().first()
    return Export(**row) if row else None


def file_of(archive: Path, export: Export) -> Path | None:
    """The export's file, if it has one still there (never a path outside the archive)."""
    if not export.path:
        return None
    path = (archive / export.path).resolve()
    if archive.resolve() not in path.parents or not path.is_file():
        return None
    return path


def purge(engine: Engine, archive: Path, retention_days: int, now: float | None = None) -> tuple[int, int]:
    """Remove the exports older than ``retention_days`` (0: keep them all): their rows, their files, and
    files of the same age no row names (an export whose process died after writing it).
    Returns (rows removed, files removed)."""
    if retention_days <= 0:
        return 0, 0
    cutoff = (now or time.time()) - retention_days * DAY
    with engine.connect() as conn, conn.execution_options(write_lock=True).begin():  # looks, then deletes
        old = conn.execute(select(db.exports.c.id, db.exports.c.path).where(db.exports.c.created_at < cutoff)).all()
        if old:
            conn.execute(delete(db.exports).where(db.exports.c.id.in_([r.id for r in old])))
        kept = {p for (p,) in conn.execute(select(db.exports.c.path).where(db.exports.c.path.is_not(None)))}
    files = 0
    if archive.is_dir():
        named = {r.path for r in old if r.path}
        for path in sorted(archive.rglob("*")):
            name = path.relative_to(archive).as_posix()
            if path.is_file() and name not in kept and (name in named or path.stat().st_mtime < cutoff):
                path.unlink()
                files += 1
        for month in sorted(archive.iterdir()):
            if month.is_dir() and not any(month.iterdir()):
                month.rmdir()
    if old or files:
        log.info("导出归档：已删除 %d 条超过 %d 天的记录、%d 个文件", len(old), retention_days, files)
    return len(old), files
