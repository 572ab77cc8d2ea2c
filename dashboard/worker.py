"""Celery, when ``app.broker_url`` names a Redis server: job workers and Dash's background callbacks.

The job queue stays the app database's ``jobs`` table (dashboard/jobs.py): the web side checks the
caller's permission and inserts the request, as without Celery. With a broker it also sends the task
``citywall.run_job`` carrying the job's id; a worker (``python run.py worker``) claims that job with the
same conditional UPDATE the scheduler's runner uses, so a job runs once however many workers got the
message, and runs it: a refresh takes each source's pull lock, an export its captures. A message lost
while the broker was down costs nothing either: each worker sweeps the table for jobs left queued
longer than ``SWEEP_AFTER_SECONDS`` (and at its start), so every request is run. With a broker the
scheduler no longer runs queued jobs itself; it keeps the schedule, the daily briefing and retries.

Dash's background callbacks (/ops's and /exports's progress watchers) go to the same Celery app
(``dash.CeleryManager``), so they run in the workers, with results in Redis, not in a folder of one host.
"""
from __future__ import annotations

import logging
import threading
import time

from dashboard import jobs
from dashboard.settings import Settings

log = logging.getLogger("citywall.worker")

RUN_JOB = "citywall.run_job"
SWEEP_AFTER_SECONDS = 10.0  # a queued job older than this lost its message (or none was sent)

_celery_apps: dict[str, object] = {}
_runner = None  # the worker process's JobRunner (set by run_worker)


def celery_app(settings: Settings):
    """The Celery app on ``settings.app.broker_url`` (one per URL and process), with its job task."""
    url = settings.app.broker_url
    if url in _celery_apps:
        return _celery_apps[url]
    from celery import Celery

    app = Celery("citywall", broker=url, backend=url)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    task_acks_late=True, worker_prefetch_multiplier=1, result_expires=3600,
                    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
                    # a web request that queues a job must not wait on a Redis that is away: one quick
                    # try, then the job waits in the table for a worker's sweep
                    broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 2, "max_retries": 1,
                                              "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5})

    @app.task(name=RUN_JOB, ignore_result=True, shared=False)  # its own app only: one app per broker URL
    def run_job(job_id: int) -> None:
        if _runner is None:  # not a CityWall worker process
            raise RuntimeError("citywall.run_job 只能在 python run.py worker 中执行")
        job = jobs.claim_job(_runner.engine, job_id, _runner.owner)
        if job is not None:  # another worker (or the sweep) has it already, or it was cancelled
            _runner.run(job)

    _celery_apps[url] = app
    return app


def notifier(settings: Settings):
    """What :func:`dashboard.jobs.enqueue` calls with a new job's id: the task to a worker. A broker
    that does not answer is logged; the job stays queued for a worker's sweep."""
    app = celery_app(settings)

    def notify(job_id: int) -> None:
        try:
            # no result to wait for: otherwise the result backend subscribes first, and retries for
            # about 20 s while Redis is away, holding up the web request that queued the job
            app.send_task(RUN_JOB, args=[job_id], retry=False, ignore_result=True)
        except Exception:
            log.warning("job %s: broker unreachable, left for a worker's sweep", job_id, exc_info=True)
    return notify


def _sweep(runner, stop: threading.Event, period: float) -> None:
    """Run jobs whose message was lost: queued for longer than SWEEP_AFTER_SECONDS."""
    while not stop.wait(period):
        try:
            while (job := jobs.claim(runner.engine, runner.owner, queued_before=time.time() - SWEEP_AFTER_SECONDS)):
                runner.run(job)
        except Exception:  # the database is away for a moment: the next round tries again
            log.exception("worker sweep")


def run_worker(settings: Settings, concurrency: int) -> int:
    """``python run.py worker``: a Celery worker (threads) for queued jobs and background callbacks."""
    global _runner
    from dashboard.app import create_app
    from dashboard.jobs import JobRunner
    from dashboard.pullers import Puller
    from dashboard.settings import SettingsError
    from dashboard.store import open_store

    if not settings.app.broker_url:
        raise SettingsError("python run.py worker 需要配置 app.broker_url（Redis，例如 redis://127.0.0.1:6379/1）；"
                            "未配置时任务由调度进程执行")
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    # the app the exports capture, and the one whose background callbacks this worker runs
    app = create_app(settings, puller.store, puller.engine)
    _runner = JobRunner(puller)
    _runner.exports.use_app(app)
    jobs.recover(puller.engine)
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep, args=(_runner, stop, settings.app.queue_poll_seconds * 5),
                               name="citywall worker sweep", daemon=True)
    sweeper.start()
    print(f"CityWall 任务进程已启动：Celery（{concurrency} 个线程），执行任务队列中的刷新与导出（Ctrl+C 退出）", flush=True)
    try:
        celery_app(settings).worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}",
                                          "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                                          "--hostname=citywall@%h", "--queues=celery"])
    finally:
        stop.set()
        _runner.exports.close()
    return 0
