"""The job queue in the app database, and the runner that works it off in the scheduler's process.

The web side (/ops) checks the caller's permission, then :func:`enqueue` s a request (refresh one
source, refresh every source; later an export) and reads its progress back with :func:`get`. The
process that runs jobs (the scheduler's, ``run.py serve`` or ``run.py scheduler``; with a broker the
Celery workers of dashboard/worker.py, told of each new job) polls the queue every ``app.queue_poll_seconds``
and :func:`claim` s a request with one ``UPDATE … WHERE id = (SELECT the oldest queued … FOR UPDATE SKIP
LOCKED)`` that only one process wins: on PostgreSQL a claimer skips the job another is claiming instead of
waiting for it, on SQLite the statement runs under the database's write lock. Progress is sources done of all and
rows read (known once a source is read). Cancel is a flag on the request (:func:`request_cancel`) that
the job checks between sources and between the steps of a pull (read, validate, publish): a
cancelled pull publishes nothing. One pull per source at a time is the puller's database lock
(dashboard/locks.py), whichever process asks.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import orjson
from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine

from dashboard import db, locks

log = logging.getLogger("citywall.jobs")

JOB_KINDS = {"refresh_source": "刷新数据源", "refresh_all": "全部刷新", "accept": "放行暂缓的发布", "export": "导出"}
JOB_STATUSES = {"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "部分失败",
                "cancelled": "已取消", "interrupted": "中断"}
ACTIVE = ("queued", "running")
INTERRUPTED_PULL = "拉取未完成：执行它的进程在运行中退出（被终止或崩溃），本次没有发布"
INTERRUPTED_JOB = "任务未完成：执行它的进程在运行中退出（被终止或崩溃）"


class Cancelled(Exception):
    """An operator cancelled the job: raised at the next check, before anything is published."""


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    source: str | None
    status: str
    requested_by: str
    requested_at: float
    started_at: float | None = None
    finished_at: float | None = None
    owner: str | None = None
    heartbeat_at: float | None = None
    cancel_requested: bool = False
    sources_total: int = 0
    sources_done: int = 0
    rows_read: int | None = None
    current_source: str | None = None
    error: str = ""
    results: list[dict] = field(default_factory=list)  # per source: source, status, rows_ok, error
    params: dict = field(default_factory=dict)  # export: kind, view, trigger (dashboard/export_jobs.py)
    stage: str | None = None  # export: the step it is at

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def label(self) -> str:
        if self.kind == "export":
            from dashboard.export_producers import export_label

            return export_label(self.params)
        return f"{JOB_KINDS[self.kind]}「{self.source}」" if self.source else JOB_KINDS[self.kind]


def _job(row) -> Job:
    data = dict(row)
    data["results"] = orjson.loads(data.pop("results_json") or "[]")
    data["params"] = orjson.loads(data.pop("params_json") or "{}")
    data["cancel_requested"] = bool(data["cancel_requested"])
    return Job(**data)


def get(engine: Engine, job_id: int) -> Job | None:
    with engine.connect() as conn:
        row = conn.execute(select(db.jobs).where(db.jobs.c.id == job_id)).mappings().first()
    return _job(row) if row else None


def active_jobs(engine: Engine) -> list[Job]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.jobs).where(db.jobs.c.status.in_(ACTIVE)).order_by(db.jobs.c.id)).mappings()
        return [_job(r) for r in rows]


def enqueue(engine: Engine, kind: str, source: str | None = None, requested_by: str = "",
            params: dict | None = None, once: bool = False) -> tuple[Job, bool]:
    """Queue a job, or hand back the active one already doing it: (job, queued_now). A second click on
    "刷新此数据源" while that source's refresh (or a 全部刷新) is queued or running starts nothing new;
    an export with the same ``params`` likewise. ``once``: a job with these params in any status (a
    scheduled briefing's slot) counts too, so several scheduler processes queue it once."""
    if kind not in JOB_KINDS:
        raise ValueError(f"未知任务类型: {kind}")
    params_json = orjson.dumps(params or {}, option=orjson.OPT_SORT_KEYS).decode()
    covering = (db.jobs.c.kind == kind) & (db.jobs.c.source == source if source else db.jobs.c.source.is_(None))
    covering &= db.jobs.c.params_json == params_json
    if kind == "refresh_source":  # a 全部刷新 queued or running pulls this source too
        covering = or_(covering, db.jobs.c.kind == "refresh_all")
    same = covering if once else covering & db.jobs.c.status.in_(ACTIVE)
    # write_lock: two web processes asking at once take turns over look-and-insert (dashboard/db.py)
    with engine.connect() as conn, conn.execution_options(write_lock=True).begin():
        running = conn.execute(select(db.jobs).where(same).order_by(db.jobs.c.id).limit(1)).mappings().first()
        if running:
            return _job(running), False
        job_id = conn.execute(insert(db.jobs).values(kind=kind, source=source, status="queued",
                                                     requested_by=requested_by, requested_at=time.time(),
                                                     results_json="[]", params_json=params_json)
                              ).inserted_primary_key[0]
    if _notify is not None:
        _notify(job_id)
    return get(engine, job_id), True


def claim(engine: Engine, owner: str, queued_before: float | None = None) -> Job | None:
    """The oldest queued job (queued before ``queued_before``, if given) not being claimed by another
    process, now ``running`` for ``owner``; None when there is none. One statement: the row the
    subquery locks is the row it updates."""
    oldest = select(db.jobs.c.id).where(db.jobs.c.status == "queued")
    if queued_before is not None:
        oldest = oldest.where(db.jobs.c.requested_at < queued_before)
    oldest = oldest.order_by(db.jobs.c.id).limit(1).with_for_update(skip_locked=True).scalar_subquery()
    now = time.time()
    with engine.begin() as conn:
        job_id = conn.execute(update(db.jobs).where(db.jobs.c.id == oldest, db.jobs.c.status == "queued")
                              .values(status="running", owner=owner, started_at=now, heartbeat_at=now)
                              .returning(db.jobs.c.id)).scalar()
    return None if job_id is None else get(engine, job_id)


def claim_job(engine: Engine, job_id: int, owner: str) -> Job | None:
    """Job ``job_id``, now ``running`` for ``owner``; None when it is not queued (any more)."""
    now = time.time()
    with engine.begin() as conn:
        won = conn.execute(update(db.jobs).where(db.jobs.c.id == job_id, db.jobs.c.status == "queued")
                           .values(status="running", owner=owner, started_at=now, heartbeat_at=now)).rowcount
    return get(engine, job_id) if won else None


_notify = None  # set by set_notifier: a new job's id goes to a worker (dashboard/worker.py)


def set_notifier(notify) -> None:
    """``notify(job_id)`` after each new job (Celery's task), or None: the queue is only polled."""
    global _notify
    _notify = notify


def request_cancel(engine: Engine, job_id: int) -> bool:
    """Set the cancel flag of an active job (the job stops at its next check); False if it was not active.
    A job still queued is cancelled at once."""
    with engine.begin() as conn:
        dropped = conn.execute(update(db.jobs).where(db.jobs.c.id == job_id, db.jobs.c.status == "queued")
                               .values(status="cancelled", cancel_requested=1, finished_at=time.time())).rowcount
        flagged = conn.execute(update(db.jobs).where(db.jobs.c.id == job_id, db.jobs.c.status.in_(ACTIVE))
                               .values(cancel_requested=1)).rowcount
    return bool(dropped or flagged)


def update_job(engine: Engine, job_id: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(update(db.jobs).where(db.jobs.c.id == job_id).values(**values))


def cancel_flag(engine: Engine, job_id: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(db.jobs.c.cancel_requested).where(db.jobs.c.id == job_id)).scalar())


def recover(engine: Engine) -> tuple[int, int]:
    """At the owner's start: pulls and jobs left ``running`` by a process that died are marked
    interrupted (中断). Returns (pulls, jobs) marked."""
    now = time.time()
    with engine.connect() as conn:
        runs = conn.execute(select(db.pull_runs.c.id, db.pull_runs.c.source, db.pull_runs.c.owner)
                            .where(db.pull_runs.c.status == "running")).all()
        running = conn.execute(select(db.jobs.c.id, db.jobs.c.owner).where(db.jobs.c.status == "running")).all()
    orphans = [r.id for r in runs if not locks.owner_alive(r.owner) or locks.holder_of(engine, f"pull:{r.source}") is None]
    dead_jobs = [j.id for j in running if not locks.owner_alive(j.owner)]
    with engine.begin() as conn:
        if orphans:
            conn.execute(update(db.pull_runs).where(db.pull_runs.c.id.in_(orphans))
                         .values(status="interrupted", finished_at=now, error=INTERRUPTED_PULL))
        if dead_jobs:
            conn.execute(update(db.jobs).where(db.jobs.c.id.in_(dead_jobs))
                         .values(status="interrupted", finished_at=now, error=INTERRUPTED_JOB))
    for run_id in orphans:
        log.warning("pull_runs %s: %s", run_id, INTERRUPTED_PULL)
    return len(orphans), len(dead_jobs)


class JobRunner:
    """Works off the queue in one process: one job at a time, polled every ``poll_seconds``.

    ``on_result`` gets every source's PullResult: the scheduler hands its retry with backoff, so a
    manual refresh that fails is retried like a scheduled one."""

    def __init__(self, puller, *, poll_seconds: float | None = None, on_result=None) -> None:
        self.puller = puller
        self.engine = puller.engine
        self.poll_seconds = poll_seconds or puller.settings.app.queue_poll_seconds
        self.on_result = on_result
        self.owner = locks.process_owner()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        from dashboard.export_jobs import ExportRunner

        self.exports = ExportRunner(puller)  # export jobs (their captures' server starts on the first)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="citywall jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self.exports.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_next()
            except Exception:  # the database went away for a moment: keep polling
                log.exception("job runner")
                ran = False
            if not ran:
                self._stop.wait(self.poll_seconds)

    def run_next(self) -> bool:
        """Claim and run one queued job; False when there was none."""
        job = claim(self.engine, self.owner)
        if job is None:
            return False
        self.run(job)
        return True

    def run(self, job: Job) -> Job:
        from dashboard.pullers import pull_order

        if job.kind == "export":
            return self.exports.run(job)
        names = [job.source] if job.source else [s.name for s in pull_order(self.puller.settings)]
        update_job(self.engine, job.id, sources_total=len(names), rows_read=0)
        rows_read, results, status = 0, [], "done"
        expiry = self.puller.settings.app.lock_expiry_seconds
        with locks.beating(lambda: update_job(self.engine, job.id, heartbeat_at=time.time()), expiry / 3):
            for done, name in enumerate(names):
                if cancel_flag(self.engine, job.id):
                    status = "cancelled"
                    break
                update_job(self.engine, job.id, current_source=name)

                def checkpoint(read: int | None = None, _before=rows_read) -> None:
                    if read is not None:
                        update_job(self.engine, job.id, rows_read=_before + read, heartbeat_at=time.time())
                    if cancel_flag(self.engine, job.id):
                        raise Cancelled()

                result = (self.puller.accept(name, "manual") if job.kind == "accept"
                          else self.puller.run_source(name, "manual", checkpoint=checkpoint))
                rows_read += result.rows_ok + result.rows_quarantined
                results.append({"source": name, "status": result.status, "rows_ok": result.rows_ok,
                                "rows_quarantined": result.rows_quarantined, "error": result.error})
                update_job(self.engine, job.id, sources_done=done + 1, rows_read=rows_read,
                        results_json=orjson.dumps(results).decode())
                if self.on_result is not None:
                    self.on_result(result)
                if result.status == "cancelled":
                    status = "cancelled"
                    break
        failed = [r for r in results if r["status"] in ("failed", "held")]
        if status == "done" and failed:
            status = "failed"
        error = "；".join(f"{r['source']}: {r['error']}" for r in failed)
        update_job(self.engine, job.id, status=status, finished_at=time.time(), current_source=None, error=error)
        log.info("job %s (%s) %s", job.id, job.label, status)
        return get(self.engine, job.id)
