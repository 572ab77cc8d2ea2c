"""Celery job workers on a real Redis (started here on 127.0.0.1): a queued refresh is run by a
`run.py worker` process, once; a job whose message was lost is found by the worker's sweep; a broker
that does not answer never fails the request that queued the job."""
from __future__ import annotations

import time

import pytest

from dashboard import jobs, worker
from dashboard.settings import load_settings
from tests.auth_helpers import pulled_city
from tests.servers import own_redis_server, redis_server  # noqa: F401  (fixtures)
from tests.test_processes import _start, _stop, _wait_for, _with_app_setting


@pytest.fixture(scope="module")
def celery_city(tmp_path_factory, redis_server):  # noqa: F811
    city = pulled_city(tmp_path_factory.mktemp("celery"))
    _with_app_setting(city.config, f'broker_url = "redis://127.0.0.1:{redis_server.port}/1"')
    city.settings = load_settings(city.config, environ={})
    proc = _start(city.config, "worker", "--concurrency", "2")
    _wait_for(lambda: any("任务进程已启动" in line for line in proc.output), 120, "the worker to start")
    yield city, proc
    _stop(proc)


def _finished(engine, job_id):
    job = jobs.get(engine, job_id)
    return job if job is not None and not job.active else None


def test_a_queued_refresh_is_run_by_a_worker_process(celery_city):
    city, proc = celery_city
    jobs.set_notifier(worker.notifier(city.settings))
    try:
        job, queued = jobs.enqueue(city.engine, "refresh_source", "演示-部门", requested_by="测试")
        again, queued_again = jobs.enqueue(city.engine, "refresh_source", "演示-部门", requested_by="测试")
    finally:
        jobs.set_notifier(None)
    assert queued and not queued_again and again.id == job.id  # asked twice, queued once
    done = _wait_for(lambda: _finished(city.engine, job.id), 60, "the worker to run the job")
    assert done.status == "done", done.error
    assert f":{proc.pid}:" in done.owner  # claimed by the worker process, not by this one
    assert done.results[0]["source"] == "演示-部门" and done.results[0]["status"] == "ok"
    # through the broker's message, not the sweep, which leaves a job alone for SWEEP_AFTER_SECONDS
    assert done.started_at - done.requested_at < worker.SWEEP_AFTER_SECONDS


def test_a_job_whose_message_was_lost_is_run_by_the_sweep(celery_city):
    city, proc = celery_city
    job, queued = jobs.enqueue(city.engine, "refresh_source", "演示-区域", requested_by="测试")  # no notifier
    assert queued
    started = time.monotonic()
    done = _wait_for(lambda: _finished(city.engine, job.id), 60, "the sweep to run the job")
    assert done.status == "done" and f":{proc.pid}:" in done.owner
    assert time.monotonic() - started >= worker.SWEEP_AFTER_SECONDS - 1  # left alone while it was young


def test_a_broker_that_does_not_answer_leaves_the_job_queued(tmp_path):
    from tests.test_processes import _free_port

    city = pulled_city(tmp_path)
    _with_app_setting(city.config, f'broker_url = "redis://127.0.0.1:{_free_port()}/1"')
    settings = load_settings(city.config, environ={})
    jobs.set_notifier(worker.notifier(settings))
    started = time.monotonic()
    try:
        job, queued = jobs.enqueue(city.engine, "refresh_source", "演示-部门", requested_by="测试")
    finally:
        jobs.set_notifier(None)
    assert time.monotonic() - started < 5  # the click that queued it is not held up (it took ≈ 20 s before)
    assert queued and jobs.get(city.engine, job.id).status == "queued"


def test_the_worker_needs_a_broker(tmp_path):
    import subprocess
    import sys

    from tests.auth_helpers import ROOT

    city = pulled_city(tmp_path)
    out = subprocess.run([sys.executable, "run.py", "--config", str(city.config), "worker"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "需要配置 app.broker_url" in out.stderr


def test_the_worker_carries_on_after_a_redis_restart(tmp_path, own_redis_server):  # noqa: F811
    city = pulled_city(tmp_path)
    _with_app_setting(city.config, f'broker_url = "redis://127.0.0.1:{own_redis_server.port}/1"')
    settings = load_settings(city.config, environ={})
    proc = _start(city.config, "worker", "--concurrency", "2")
    try:
        _wait_for(lambda: any("任务进程已启动" in line for line in proc.output), 120, "the worker to start")
        time.sleep(2)
        own_redis_server.restart()  # empty: the worker's connection is gone and its queue too
        jobs.set_notifier(worker.notifier(settings))
        try:
            job, _ = jobs.enqueue(city.engine, "refresh_source", "演示-部门", requested_by="测试")
        finally:
            jobs.set_notifier(None)
        done = _wait_for(lambda: _finished(city.engine, job.id), 90, "the job after the restart")
        assert done.status == "done" and f":{proc.pid}:" in done.owner
        assert done.started_at - done.requested_at < worker.SWEEP_AFTER_SECONDS  # by its message, not the sweep
    finally:
        _stop(proc)
