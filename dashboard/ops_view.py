"""What the 运维 pages show (/ops and /ops/quarantine), as view models read from the frame store and
the app database here, so that layouts/ops.py only builds components and callbacks/ops.py only asks
for a new one. The quarantine page reuses dashboard/status_view.py's QuarantinePage."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from dashboard import db, formatting as fmt, jobs, runtime
from dashboard.freshness import DATASET_LABELS, freshness
from dashboard.publish_guard import HeldPublishes
from dashboard.settings import parse_schedule
from dashboard.source_check import load_reports
from dashboard.status_view import RUN_RESULTS, QuarantinePage, quarantine_page

#: health light of a source: (css modifier, word)
HEALTH = {"ok": ("is-ok", "正常"), "warn": ("is-warn", "注意"), "bad": ("is-bad", "异常"), "none": ("is-none", "未拉取")}
TREND_RUNS = 30


@dataclass(frozen=True)
class SourceRow:
    source: str
    dataset: str  # its Chinese label
    owner: str
    schedule: str
    next_run: str
    last_success: str  # "2026-11-22 08:00（3 分钟前）" or "—"
    duration: str
    rows_ok: str
    rows_quarantined: str
    region_match: str
    last_error: str
    health: str  # a HEALTH key
    result: str  # the last run's result word


@dataclass(frozen=True)
class HeldRow:
    source: str
    dataset: str
    held_at: str
    change: str  # "47 → 0"
    reason: str


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    label: str
    status: str  # jobs.JOB_STATUSES key
    done: int
    total: int
    text: str  # "数据源 3 / 8 · 已读取 12,345 行 · 正在拉取 12345热线"; a finished job's starts with its result
    active: bool
    error: str


@dataclass(frozen=True)
class OpsView:
    sources: list[SourceRow]
    held: list[HeldRow]
    jobs: list[JobProgress]  # refreshes and accepts queued or running now
    export_failures: list = ()  # the latest failed exports (dashboard/exports_view.py's ExportRow)


@dataclass(frozen=True)
class QuarantineView:
    source: str
    sources: list[str]
    page: QuarantinePage
    trend: list[tuple[str, int]]  # (run start, rows quarantined), oldest first


def schedule_text(schedule: str) -> str:
    kind, value = parse_schedule(schedule)
    if kind == "cron":
        return f"定时（cron {value}）"
    for unit, word in ((86400, "天"), (3600, "小时"), (60, "分钟"), (1, "秒")):
        if value % unit == 0:
            return f"每 {value // unit} {word}"
    return f"每 {value} 秒"


def next_run(schedule: str, last_started: float | None, now: float) -> float | None:
    """When the scheduler runs the source next (the first run after start for one never pulled)."""
    kind, value = parse_schedule(schedule)
    if kind == "interval":
        return now if last_started is None else max(now, last_started + value)
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(value)
    fire = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
    return fire.timestamp() if fire else None


def _last_runs(engine) -> tuple[dict, dict]:
    """Per source: its latest run that did something (not a skip), and its latest success."""
    runs = db.recent_runs(engine, limit=2000)
    latest, success = {}, {}
    for r in runs.itertuples():  # newest first
        if r.status != "skipped":
            latest.setdefault(r.source, r)
        if r.status in ("ok", "accepted"):
            success.setdefault(r.source, r)
    return latest, success


def _health(last, fresh_stale: bool, failing: bool, held: bool) -> str:
    if last is None:
        return "none"
    if last.status in ("failed", "interrupted") or failing:
        return "bad"
    if held or fresh_stale or last.status in ("held", "running", "cancelled"):
        return "warn"
    return "ok"


def source_rows(rt, now: float | None = None) -> list[SourceRow]:
    now = now or time.time()
    latest, success = _last_runs(rt.engine)
    reports = load_reports(rt.engine)
    held = {h.source for h in HeldPublishes(rt.engine, rt.settings.data_dir / "held").all()}
    rows = []
    for source in rt.settings.sources:
        last, good = latest.get(source.name), success.get(source.name)
        status = rt.store.status(source.dataset)
        fresh = freshness(rt.settings, status, now)
        report = reports.get(source.name)
        failing = source.name in status.failed_sources
        error = (last.error if last is not None and last.error and last.status != "ok" else "") or \
            (status.error if failing else "")
        rate = report.region_match_rate if report is not None else None
        rows.append(SourceRow(
            source=source.name, dataset=DATASET_LABELS.get(source.dataset, source.dataset),
            owner=source.owner or fmt.MISSING, schedule=schedule_text(source.schedule),
            next_run=fmt.moment(next_run(source.schedule, last.started_at if last is not None else None, now)),
            last_success=f"{fmt.moment(good.started_at)}（{fmt.age(now - good.finished_at)}）" if good is not None
            else fmt.MISSING,
            duration=fmt.duration((last.finished_at or now) - last.started_at) if last is not None else fmt.MISSING,
            rows_ok=fmt.count(last.rows_ok) if last is not None else fmt.MISSING,
            rows_quarantined=fmt.count(last.rows_quarantined) if last is not None else fmt.MISSING,
            region_match=fmt.percent(rate) if rate is not None else fmt.MISSING,
            last_error=error or ("" if not fresh.stale else fresh.reason),
            health=_health(last, fresh.stale, failing, source.name in held),
            result=RUN_RESULTS.get(last.status, last.status) if last is not None else "未拉取"))
    return rows


def job_progress(job: jobs.Job) -> JobProgress:
    parts = [f"数据源 {job.sources_done} / {job.sources_total or '—'}"]
    if job.rows_read is not None:
        parts.append(f"已读取 {fmt.count(job.rows_read)} 行")
    if job.status == "queued":
        parts = ["排队中，等待执行任务的进程领取"]
    elif job.active and job.current_source:
        parts.append(f"正在拉取 {job.current_source}")
    if job.cancel_requested and job.active:
        parts.append("正在取消")
    if not job.active:
        parts.insert(0, jobs.JOB_STATUSES.get(job.status, job.status))
    return JobProgress(job.id, job.label, job.status, job.sources_done, max(job.sources_total, 1), " · ".join(parts),
                       job.active, job.error)


def ops_view(rt=None) -> OpsView:
    rt = rt or runtime.current()
    held = [HeldRow(h.source, DATASET_LABELS.get(h.dataset, h.dataset), fmt.moment(h.held_at),
                    f"{'首次' if h.rows_before is None else fmt.count(h.rows_before)} → {fmt.count(h.rows_after)}",
                    h.reason) for h in HeldPublishes(rt.engine, rt.settings.data_dir / "held").all()]
    from dashboard.exports_view import recent_rows

    return OpsView(source_rows(rt), held, [job_progress(j) for j in jobs.active_jobs(rt.engine) if j.kind != "export"],
                   recent_rows(rt, limit=5, status="failed"))


def quarantine_trend(engine, source: str, limit: int = TREND_RUNS) -> list[tuple[str, int]]:
    """Rows quarantined by each of the source's last runs that read it (oldest first): a jump says the
    department's export broke."""
    q = (select(db.pull_runs.c.started_at, db.pull_runs.c.rows_quarantined)
         .where(db.pull_runs.c.source == source, db.pull_runs.c.status.in_(("ok", "held", "failed")))
         .order_by(db.pull_runs.c.started_at.desc()).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [(fmt.moment(started), int(count or 0)) for started, count in reversed(rows)]


def quarantine_view(source: str = "", page: int = 1, rt=None) -> QuarantineView:
    rt = rt or runtime.current()
    names = [s.name for s in rt.settings.sources]
    source = source if source in names else ""
    trend = quarantine_trend(rt.engine, source) if source else []
    return QuarantineView(source, names, quarantine_page(rt, page, source), trend)


def source_known(name: str, rt=None) -> bool:
    rt = rt or runtime.current()
    return any(s.name == name for s in rt.settings.sources)


def download_frame(source: str = "", rt=None) -> pd.DataFrame:
    """The rejected rows of the source's last run (or of every source) for the CSV / Excel download."""
    from dashboard.status_view import quarantine_download

    return quarantine_download(rt or runtime.current(), source)
