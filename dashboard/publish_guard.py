"""The publish guard: a pull that would blank or gut a source's data is held, not published.

A header-only export, an empty export, an HTTP source answering ``[]`` or a file whose every row broke
the contract must not turn 47 good rows into 0. The guard judges each pull against the rows of the
source's own last publish (``pull_runs``):

- every row read broke the contract (all quarantined): held, always;
- 0 good rows, or fewer than ``(1 - guard_max_shrink)`` × the last publish's rows (default: less than
  half): held, unless the source switched the guard off (``guard = false``, e.g. a source that sends only
  today's tickets);
- a source's first pull has nothing to compare with and is never held for its size.

A held publish keeps the last good frames (the dataset shows stale with the reason) and waits, rows
and all, in ``data_dir/held/<source>.parquet`` plus a row in ``held_publishes``, so that
``python run.py pull --accept NAME`` in another process (or /ops 「接受」, through the job queue) can
let it through, or /ops 「放弃」 throw it away (:meth:`HeldPublishes.discard`).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from dashboard import db
from dashboard import formatting as fmt
from dashboard.settings import SourceSettings


def safe_name(name: str) -> str:
    """A source name as a file name."""
    return re.sub(r"[^\w.-]+", "_", name)


@dataclass(frozen=True)
class Verdict:
    held: bool
    reason: str = ""


PASS = Verdict(False)


def judge(source: SourceSettings, *, rows_before: int | None, rows_read: int, rows_ok: int) -> Verdict:
    """Would publishing ``rows_ok`` good rows (of ``rows_read``) be let through?"""
    if rows_read > 0 and rows_ok == 0:
        return Verdict(True, f"本次读取的 {fmt.count(rows_read)} 行全部不符合数据合约（已隔离），未发布")
    if rows_before is None or not source.guard or rows_before == 0:
        return PASS
    if rows_ok == 0:
        return Verdict(True, f"本次没有数据行（空文件、只有表头或接口返回空列表），上次发布 {fmt.count(rows_before)} 行，未发布")
    floor = rows_before * (1 - source.guard_max_shrink)
    if rows_ok < floor:
        return Verdict(True, f"行数由 {fmt.count(rows_before)} 降至 {fmt.count(rows_ok)}"
                             f"（减少 {fmt.percent(1 - rows_ok / rows_before)}，超过允许的 "
                             f"{fmt.percent(source.guard_max_shrink)}），未发布")
    return PASS


@dataclass(frozen=True)
class HeldPublish:
    source: str
    dataset: str
    held_at: float
    rows_before: int | None
    rows_after: int
    rows_quarantined: int
    reason: str
    rows_path: str


class HeldPublishes:
    """Held publishes of one app: rows on disk, what and why in the app database."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder

    def hold(self, source: SourceSettings, rows: pd.DataFrame, verdict: Verdict, *, rows_before: int | None,
             rows_quarantined: int) -> HeldPublish:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{safe_name(source.name)}.parquet"
        rows.to_parquet(path, index=False)
        held = HeldPublish(source.name, source.dataset, time.time(), rows_before, len(rows), rows_quarantined,
                           verdict.reason, str(path))
        with self.engine.begin() as conn:
            conn.execute(delete(db.held_publishes).where(db.held_publishes.c.source == source.name))
            conn.execute(insert(db.held_publishes).values(**held.__dict__))
        return held

    def get(self, source: str) -> HeldPublish | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.held_publishes).where(db.held_publishes.c.source == source)).mappings().first()
        return HeldPublish(**row) if row else None

    def all(self) -> list[HeldPublish]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(db.held_publishes).order_by(db.held_publishes.c.source)).mappings().all()
        return [HeldPublish(**r) for r in rows]

    def rows(self, held: HeldPublish) -> pd.DataFrame:
        return pd.read_parquet(held.rows_path)

    def discard(self, source: str) -> HeldPublish | None:
        """An operator threw a held publish away (/ops 「放弃」): its rows go, the last good frames stay,
        and the discard is logged in ``pull_runs`` (``discarded``). None when nothing was held."""
        held = self.get(source)
        if held is None:
            return None
        self.release(source)
        now = time.time()
        db.log_run(self.engine, source=source, dataset=held.dataset, started_at=now, finished_at=now, rows_ok=0,
                   rows_quarantined=held.rows_quarantined, error=f"已放弃被暂缓的发布（{held.reason}）",
                   trigger="manual", status="discarded")
        return held

    def release(self, source: str) -> None:
        """Forget a hold: it was accepted, or a later pull went through on its own."""
        held = self.get(source)
        if held is None:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(db.held_publishes).where(db.held_publishes.c.source == source))
        Path(held.rows_path).unlink(missing_ok=True)
