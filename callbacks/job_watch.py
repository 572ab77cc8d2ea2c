"""The body of a Dash background callback that watches a queued job's progress in the app database
(/ops's refreshes, /exports's exports): it reports (done, total, text) to the page's progress bar until
the job ends, then says how it ended. The work itself happens in the process that runs jobs."""
from __future__ import annotations

import time

from dash import no_update

from dashboard import runtime

WATCH_SECONDS = 0.3  # how often the watcher reads the job's progress


def watch(set_progress, job_id, read, limit_seconds: float):
    """``read(job_id)`` → the job's JobProgress (None: no such job); gives up after ``limit_seconds``
    (the job goes on; the page shows it on reload)."""
    if job_id is None:
        return no_update
    runtime.current().engine.dispose(close=False)  # a forked worker: its own connections, not the parent's
    give_up = time.monotonic() + limit_seconds
    while time.monotonic() < give_up:
        job = read(job_id)
        if job is None:
            return "任务不存在"
        set_progress((str(job.done), str(job.total), job.text))
        if not job.active:
            return f"{job.label}: {job.text}" + (f"；{job.error}" if job.error else "")
        time.sleep(WATCH_SECONDS)
    return no_update
