"""The long-running commands and the parts of a process each one owns.

Nothing below starts at import: each command builds and starts what it needs.

| part | owner |
|---|---|
| pulls and the job queue (:class:`~dashboard.scheduler.PullScheduler`, the puller's state) | the one scheduler: ``python run.py`` (everything in one process) or ``python run.py scheduler``, while it holds the scheduler lease (dashboard/scheduler_lease.py) |
| the wall's cache warmer thread (callbacks/wall.py) | every web process: the one-process server, each gunicorn worker after its fork (threads do not survive a fork) |
| the wall's page and render caches, the first-page shells (dashboard/first_page.py, dashboard/wall_view.py) | every web process; keyed by the data version, so a worker forked from the preloaded master keeps the master's entries valid, and each worker fills its own after a publish |
| the app database's connection pool, the background-callback cache's connections | every process; a forked worker drops the inherited ones and opens its own |

``serve --workers N`` runs gunicorn (``--preload``: the app is built once in the master, then
forked) and never schedules: run ``python run.py scheduler`` beside it.
"""
from __future__ import annotations

import logging
import signal
import threading

from dashboard.settings import Settings, SettingsError

log = logging.getLogger("citywall.serve")


def _schedulers(settings: Settings, puller, app):
    """The factory a :class:`SchedulerLease` starts a scheduler with, each time it gains the lease."""
    from dashboard.scheduler import PullScheduler

    def make():
        scheduler = PullScheduler(puller)
        scheduler.jobs.exports.use_app(app)  # exports capture this app: a process builds one app only
        return scheduler
    return make


def _lease(settings: Settings, puller, app, *, run_now: bool = True):
    from dashboard.scheduler_lease import SchedulerLease

    return SchedulerLease(puller.engine, settings.app.scheduler_lease_seconds, _schedulers(settings, puller, app),
                          on_change=lambda message: print(message, flush=True), run_now=run_now)


def start_web_parts() -> None:
    """What every web process runs besides answering requests: the wall's cache warmer."""
    from callbacks.wall import start_warmer

    start_warmer()


def run_scheduler(settings: Settings) -> int:
    """``python run.py scheduler``: the one owner of the pulls and of the job queue's runner."""
    from dashboard.app import create_app
    from dashboard.pullers import Puller
    from dashboard.store import open_store

    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    # the app the exports capture, built here: Dash registers pages from the main thread only
    app = create_app(settings, puller.store, puller.engine)
    stopping = _stop_on_signals()
    lease = _lease(settings, puller, app).start()
    print("CityWall 调度进程已启动：持有调度租约时定时拉取，并执行任务队列中的刷新与导出（Ctrl+C 退出）", flush=True)
    try:
        while not stopping.wait(1):
            pass
        print("正在停止调度进程：等待进行中的拉取与任务结束…", flush=True)
    finally:
        lease.stop(timeout=None)  # its scheduler's shutdown joins the job runner; the lease is released
    return 0


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT (Ctrl+C) or SIGTERM (systemd's stop). Both are handled explicitly: a process
    started in the background by a non-interactive shell inherits SIGINT ignored, and Python then
    raises no KeyboardInterrupt."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    return stopping


def _prepared(settings: Settings, *, first_pull: bool):
    """(puller, app, pulled) over the configured store and database, the first admin made;
    ``first_pull``: an empty store is pulled once first (pulled: True), so the wall draws real frames,
    not empty panels."""
    from dashboard.app import create_app
    from dashboard.cli_auth import first_admin
    from dashboard.pullers import Puller
    from dashboard.store import open_store

    store = open_store(settings.app.store, settings.data_dir)
    puller = Puller(settings, store)
    pulled = first_pull and not store.datasets()
    if pulled:
        from dashboard.cli import print_pull_table

        print("首次启动：正在准备数据（演示城市首次生成约需数秒）…", flush=True)
        print_pull_table(puller.run_all("startup"))
    first_admin(settings, puller.engine)
    return puller, create_app(settings, store, puller.engine), pulled


def serve_one_process(settings: Settings, host: str | None, port: int | None, scheduler: bool) -> int:
    """``python run.py [serve]``: waitress, and (unless ``--no-scheduler``) the scheduler in this process."""
    from waitress import serve

    puller, app, pulled = _prepared(settings, first_pull=scheduler)
    # right after the first start's pull, the scheduled pulls wait for their trigger instead of repeating it
    lease = _lease(settings, puller, app, run_now=not pulled).start() if scheduler else None
    start_web_parts()
    host, port = host or settings.app.host, port or settings.app.port
    print(f"CityWall 已启动: http://{host}:{port}/", flush=True)
    try:
        # waitress reads a whole body before the app sees it: past a few times the app's limit it answers 413 itself
        serve(app.server, host=host, port=port, threads=8, ident="CityWall",
              max_request_body_size=4 * settings.auth.max_request_kb * 1024)
    finally:
        if lease is not None:
            lease.stop()
    return 0


def serve_workers(settings: Settings, host: str | None, port: int | None, workers: int) -> int:
    """``python run.py serve --workers N``: gunicorn with N workers, web only (no scheduler)."""
    if settings.app.store == "memory":
        raise SettingsError("配置 app.store = \"memory\" 不能与 --workers 同用：每个工作进程会各有一个空的帧存储；"
                            "请改用 disk:<目录> 或 redis://…")
    from gunicorn.app.base import BaseApplication

    puller, app, _ = _prepared(settings, first_pull=False)
    if not puller.store.datasets():
        print("帧存储为空：大屏将在调度进程（python run.py scheduler）首次发布后显示数据", flush=True)
    engine = puller.engine
    host, port = host or settings.app.host, port or settings.app.port

    def post_fork(_server, _worker):
        engine.dispose(close=False)  # the master's pooled connections stay the master's
        start_web_parts()

    options = {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 8,
        "preload_app": True, "control_socket_disable": True, "post_fork": post_fork,
        "timeout": 120, "graceful_timeout": 20, "keepalive": 5,
        "limit_request_line": 8190, "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "proc_name": "citywall",
    }

    class CityWallGunicorn(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app.server

    print(f"CityWall 已启动: http://{host}:{port}/（gunicorn，{workers} 个工作进程；定时拉取由 python run.py scheduler 负责）",
          flush=True)
    CityWallGunicorn().run()
    return 0
