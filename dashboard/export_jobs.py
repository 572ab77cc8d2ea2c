"""Export jobs on the job queue (dashboard/jobs.py), and the daily briefing's schedule.

The web side queues a job of kind ``export`` whose params say what to make (``kind``: png | pdf |
xlsx, ``view``, its ``label``, ``trigger``). The process that runs jobs hands it to
:class:`ExportRunner`: it reports its step (排队中 → 截图中 / 生成中 → 归档中 → 完成) in the job's row,
calls the kind's producer (dashboard/export_producers.py), and archives the file with its row
(dashboard/exports.py). A failure is logged, ends the job 失败 with the Chinese reason, and is archived
as a failed export, so /exports and /ops show it.

Captures need the app served: the process that runs jobs hands its app over (:meth:`ExportRunner.use_app`:
``run.py serve`` its own, ``run.py scheduler`` one it builds at its start, in its main thread, where Dash
registers pages), served on a private 127.0.0.1 port from the first export until the runner stops.
The runner keeps one Chromium warm for every capture (dashboard/capture_browser.py: launched by the
first, relaunched if it dies, closed when the runner stops), and in it the wall pages it captured
(``[export] warm_pages`` of them, dashboard/warm_pages.py).

The daily briefing: ``[export] daily_briefing`` is a cron in the city's time (``city.timezone``); :func:`briefing_slot` says
which run is due (a pure function), :func:`queue_daily_briefing` queues it once per run whatever the
number of scheduler processes, as a PDF (a PNG of the wall while the PDF producer is not there).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson

from dashboard import city_time, exports, jobs
from dashboard.export_producers import ExportContext, ExportError, PRODUCERS, producer

log = logging.getLogger("citywall.exports")

TIMEZONE = ZoneInfo(city_time.DEFAULT)  # the cron's zone when none is given: city.timezone's default
#: a run missed while no scheduler was up is still made this long after its time
CATCH_UP = timedelta(hours=6)
SCHEDULER_NAME = "定时任务"
ARCHIVING = "归档中"


def data_version(store) -> str:
    """The data version the wall stamps on itself (its ``data-cw-version``) for the store's datasets now."""
    from dashboard.wall_view import poll_signature
    from layouts.wall_ids import DATASETS

    versions = {}
    for ds in DATASETS:
        try:
            versions[ds] = store.status(ds).version
        except Exception:  # a dataset never published
            versions[ds] = 0
    return poll_signature(versions)


class ExportRunner:
    """Runs the export jobs the :class:`~dashboard.jobs.JobRunner` claims."""

    def __init__(self, puller) -> None:
        self.settings = puller.settings
        self.store = puller.store
        self.engine = puller.engine
        self._app = None
        self._server = None
        self._lock = threading.Lock()
        from dashboard.capture_browser import WarmBrowser

        # its thread and Chromium start with the first capture; it keeps the walls captured warm
        self.browser = WarmBrowser(self.settings, warm_pages=self.settings.export.warm_pages)

    def use_app(self, app) -> None:
        """Capture from this app (the serve process's own): never build a second app in its process."""
        self._app = app

    def base_url(self) -> str:
        with self._lock:
            if self._server is None:
                from dashboard.capture import LocalServer

                if self._app is None:  # a process that runs jobs hands its app over (use_app) when it starts
                    raise ExportError("执行任务的进程没有可供截图的应用：请用 run.py serve 或 run.py scheduler 运行任务队列")
                self._server = LocalServer(self._app)
                self._server.__enter__()
            return self._server.url

    def close(self) -> None:
        self.browser.close()
        with self._lock:
            if self._server is not None:
                self._server.__exit__(None, None, None)
                self._server = None

    def run(self, job: jobs.Job) -> jobs.Job:
        params = job.params
        kind, view = params.get("kind", ""), params.get("view", "")
        trigger = params.get("trigger", "manual")
        jobs.update_job(self.engine, job.id, sources_total=2, sources_done=0)
        status, error, export = "done", "", None
        try:
            made = producer(kind)
            jobs.update_job(self.engine, job.id, stage=made.stage)
            version = data_version(self.store)
            body = made.produce(ExportContext(self.settings, self.store, view, self.base_url, job.requested_by,
                                              self.browser))
            if jobs.cancel_flag(self.engine, job.id):
                raise jobs.Cancelled()
            jobs.update_job(self.engine, job.id, stage=ARCHIVING, sources_done=1)
            now = time.time()
            path = exports.store_file(exports.folder(self.settings), body, kind, now, job.id)
            export = exports.record(self.engine, kind=kind, view=view, view_label=params.get("label", view),
                                    created_by=job.requested_by, data_version=version, trigger=trigger,
                                    job_id=job.id, path=path, size_bytes=len(body), created_at=now)
        except jobs.Cancelled:
            status = "cancelled"
        except Exception as exc:  # a failed export is archived as failed, logged, and the runner goes on
            status, error = "failed", getattr(exc, "message", None) or f"导出失败：{exc}"
            log.exception("export job %s (%s) failed", job.id, job.label) if not isinstance(exc, ExportError) \
                else log.error("export job %s (%s) failed: %s", job.id, job.label, error)
            export = exports.record(self.engine, kind=kind, view=view, view_label=params.get("label", view),
                                    created_by=job.requested_by, data_version="", trigger=trigger, job_id=job.id,
                                    status="failed", error=error)
        results = [{"export_id": export.id}] if export is not None else []
        jobs.update_job(self.engine, job.id, status=status, finished_at=time.time(), stage=None, error=error,
                    sources_done=2 if status == "done" else 1 if export else 0,
                    results_json=orjson.dumps(results).decode())
        log.info("job %s (%s) %s", job.id, job.label, status)
        return jobs.get(self.engine, job.id)


def export_params(kind: str, view: str, label: str, trigger: str = "manual", **extra) -> dict:
    return {"kind": kind, "view": view, "label": label, "trigger": trigger, **extra}


# ---- the daily briefing ----------------------------------------------------------------------------------

def briefing_slot(cron: str, now: datetime, catch_up: timedelta = CATCH_UP,
                  timezone: str | ZoneInfo = TIMEZONE) -> datetime | None:
    """The cron's latest run at or before ``now`` if it is at most ``catch_up`` old, else None: the
    daily briefing due now. The cron reads in the city's ``timezone``; ``cron`` empty: never."""
    if not cron:
        return None
    from apscheduler.triggers.cron import CronTrigger

    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    trigger = CronTrigger.from_crontab(cron, timezone=zone)
    now = now.astimezone(zone)
    due, fire = None, trigger.get_next_fire_time(None, now - catch_up)
    while fire is not None and fire <= now:
        due = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return due


def briefing_kind() -> str:
    """The daily briefing is a PDF; a PNG of the wall while the PDF producer is not there."""
    return "pdf" if PRODUCERS["pdf"].available else "png"


def queue_daily_briefing(engine, settings, now: datetime | None = None) -> jobs.Job | None:
    """Queue the briefing due now, once per cron run (any number of scheduler processes); → the job
    queued now, or None."""
    zone = ZoneInfo(settings.city.timezone)
    slot = briefing_slot(settings.export.daily_briefing, now or datetime.now(zone), timezone=zone)
    if slot is None:
        return None
    kind = briefing_kind()
    made = PRODUCERS[kind]
    view = made.default_view
    label = "每日通报" if kind == "pdf" else "每日通报（全市大屏）"
    job, queued = jobs.enqueue(engine, "export", requested_by=SCHEDULER_NAME, once=True,
                               params=export_params(kind, view, label, "schedule", slot=slot.isoformat()))
    if queued:
        log.info("已加入每日通报任务 %s（%s，%s）", job.id, made.label, slot.isoformat())
    return job if queued else None


def schedule(scheduler, puller, check_seconds: int = 30) -> None:
    """Add the daily briefing check and the daily retention to an APScheduler scheduler."""
    from apscheduler.triggers.interval import IntervalTrigger

    settings, engine = puller.settings, puller.engine
    first = {"next_run_time": datetime.now()}
    if settings.export.daily_briefing:
        scheduler.add_job(queue_daily_briefing, IntervalTrigger(seconds=check_seconds), args=[engine, settings],
                          id="export:daily_briefing", name="每日通报", **first)
    scheduler.add_job(exports.purge, IntervalTrigger(days=1),
                      args=[engine, exports.folder(settings), settings.export.retention_days],
                      id="export:retention", name="导出保留期清理", **first)
