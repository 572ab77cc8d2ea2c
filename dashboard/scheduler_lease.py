"""Exactly one scheduler: the owner of the pulls holds a lease in the app database.

Whichever process would schedule pulls (``python run.py scheduler``, or ``python run.py`` serving
everything in one process) runs a :class:`SchedulerLease`: it takes the lease row ``scheduler`` in the
locks table (dashboard/locks.py, the same SQL on SQLite and PostgreSQL) and starts its
:class:`~dashboard.scheduler.PullScheduler` only while it holds it. A second process waits, trying
again every third of the lease; when the owner dies its lease runs out (``app.scheduler_lease_seconds``)
and the waiting process takes over, at once when the dead owner ran on the same host. An owner that
cannot renew its lease (the database was unreachable for longer than the lease) stops scheduling and
waits again, so two schedulers never run side by side for longer than one renewal. Every pull takes
its own per-source lock besides (Puller.run_source), so even that overlap never pulls a source twice.

The lease's thread is started by :meth:`SchedulerLease.start`, never by an import.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Callable

from dashboard import locks

log = logging.getLogger("citywall.scheduler")

LEASE_NAME = "scheduler"


class SchedulerLease:
    """Runs ``make_scheduler()``'s scheduler while this process holds the scheduler lease."""

    def __init__(self, engine, lease_seconds: float, make_scheduler: Callable[[], object],
                 on_change: Callable[[str], None] | None = None, *, run_now: bool = True) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self.make_scheduler = make_scheduler
        self.owner = f"{locks.process_owner()}/scheduler-{uuid.uuid4().hex[:6]}"
        self.on_change = on_change or (lambda message: log.info(message))
        self.run_now = run_now  # False: the first time it schedules, pulls wait for their trigger
        self.owning = threading.Event()  # set while this process schedules
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "SchedulerLease":
        self._thread = threading.Thread(target=self._run, name="citywall scheduler lease", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        said_waiting = False
        while not self._stop.is_set():
            if not self._try_acquire():
                if not said_waiting:
                    holder = self._holder()
                    self.on_change(f"另一个调度进程正在运行（{holder or '未知'}）：本进程等待接管，"
                                   f"租约 {self.lease_seconds:g} 秒")
                    said_waiting = True
                self._stop.wait(self.lease_seconds / 3)
                continue
            said_waiting = False
            self._own()

    def _own(self) -> None:
        """Schedule while the lease renews; stop scheduling when it is lost or the process stops.
        A renewal that fails for a database error is retried while the lease still runs."""
        scheduler = self.make_scheduler()
        scheduler.start(run_now=self.run_now)
        self.run_now = True  # a lease gained again later (a takeover) pulls at once
        self.owning.set()
        self.on_change("本进程持有调度租约：开始定时拉取与执行任务队列")
        renewed_at = time.monotonic()
        try:
            while not self._stop.wait(self.lease_seconds / 3):
                outcome = self._renew()
                if outcome:
                    renewed_at = time.monotonic()
                elif outcome is False or time.monotonic() - renewed_at > self.lease_seconds * 2 / 3:
                    self.on_change("调度租约已失去（已被接管，或数据库长时间不可达）：停止调度，等待重新获得")
                    return
        finally:
            self.owning.clear()
            scheduler.shutdown()
            if self._stop.is_set():
                self._release()

    def _try_acquire(self) -> bool:
        try:
            return locks.acquire(self.engine, LEASE_NAME, self.owner, self.lease_seconds)
        except Exception:  # the database is unreachable: try again on the next round
            log.warning("scheduler lease: acquire failed", exc_info=True)
            return False

    def _renew(self) -> bool | None:
        """True: renewed; False: another process holds the lease now; None: the database failed."""
        try:
            return locks.renew(self.engine, LEASE_NAME, self.owner, self.lease_seconds)
        except Exception:
            log.warning("scheduler lease: renew failed", exc_info=True)
            return None

    def _holder(self) -> str | None:
        try:
            return locks.holder_of(self.engine, LEASE_NAME)
        except Exception:
            return None

    def _release(self) -> None:
        try:
            locks.release(self.engine, LEASE_NAME, self.owner)
        except Exception:  # the lease runs out by itself
            log.warning("scheduler lease: release failed", exc_info=True)
