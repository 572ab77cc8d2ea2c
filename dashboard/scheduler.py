"""The owner of the pulls in a process: APScheduler jobs, one per source on its interval or cron
schedule, the job queue's runner (manual refreshes from /ops, dashboard/jobs.py), and retry with
backoff for both. On start it recovers from a crash first (``Puller.recover``). Nothing starts before
:meth:`PullScheduler.start`."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from dashboard import export_jobs
from dashboard.jobs import JobRunner
from dashboard.pullers import Puller, PullResult
from dashboard.settings import parse_schedule

log = logging.getLogger("citywall.scheduler")


def backoff_seconds(failures: int, base: int, cap: int) -> int:
    """30 s, 60 s, 120 s … doubling per consecutive failure, capped."""
    return int(min(cap, base * 2 ** max(0, failures - 1)))


class PullScheduler:
    def __init__(self, puller: Puller) -> None:
        self.puller = puller
        self.settings = puller.settings
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": 300})
        self.failures: dict[str, int] = {}
        self.jobs = JobRunner(puller, on_result=self._after)

    def start(self, *, run_now: bool = True, jobs: bool | None = None) -> None:
        """Schedule every source; ``jobs`` (default: unless Celery workers run them, app.broker_url)
        also starts the job queue's runner."""
        self.puller.recover()
        for source in self.settings.sources:
            kind, value = parse_schedule(source.schedule)
            trigger = IntervalTrigger(seconds=value) if kind == "interval" else CronTrigger.from_crontab(value)
            # next_run_time=None would add the job paused: leave it out to wait for the first trigger
            first_run = {"next_run_time": datetime.now()} if run_now else {}
            self.scheduler.add_job(self._job, trigger, args=[source.name, "schedule"], id=source.name,
                                   name=f"拉取 {source.name}", **first_run)
        # a run due while the previous one still goes is skipped by APScheduler: log it in pull_runs
        self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        # 00:00 city time (the process's zone, dashboard/city_time.py): 今日 and 近30日 move to the new day
        self.scheduler.add_job(self.puller.reanchor, CronTrigger(hour=0, minute=0), id="periods:midnight",
                               name="统计期跨日")
        export_jobs.schedule(self.scheduler, self.puller)  # the daily briefing, the archive's retention
        store = self.puller.store
        if store.upkeep_seconds:  # Redis: refilled from the copy on disk after a restart (store_redis.py)
            self.scheduler.add_job(store.keep, IntervalTrigger(seconds=store.upkeep_seconds), id="store:upkeep",
                                   name="帧存储维护")
        self.scheduler.start()
        if jobs if jobs is not None else not self.settings.app.broker_url:
            self.jobs.start()

    def shutdown(self) -> None:
        self.jobs.stop()
        self.scheduler.shutdown(wait=False)

    def _skipped(self, event) -> None:
        self.puller.skipped(event.job_id.split("#")[0], "schedule")

    def _job(self, name: str, trigger: str) -> None:
        self._after(self.puller.run_source(name, trigger))

    def _after(self, result: PullResult) -> None:
        """A pull ended (scheduled, a retry or from the queue): a failure is retried with backoff."""
        name = result.source
        if result.ok:
            self.failures.pop(name, None)
            return
        if result.skipped or result.cancelled:
            return
        count = self.failures[name] = self.failures.get(name, 0) + 1
        delay = backoff_seconds(count, self.settings.app.retry_base_seconds, self.settings.app.retry_max_seconds)
        log.warning("retrying %s in %ss (failure %d)", name, delay, count)
        self.scheduler.add_job(self._job, DateTrigger(datetime.now() + timedelta(seconds=delay)),
                               args=[name, "retry"], id=f"{name}#retry", replace_existing=True)
