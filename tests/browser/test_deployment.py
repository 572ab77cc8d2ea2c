"""The several-process deployment in headless Chromium: gunicorn workers serving pages, a Celery worker
on a real Redis running the queued refresh and the page's progress watcher (Dash's CeleryManager)."""
from __future__ import annotations

import re

import pytest

from sqlalchemy import func, select

from dashboard import db, jobs
from tests.auth_helpers import add_user, pulled_city
from tests.servers import redis_server  # noqa: F401  (a fixture)
from tests.test_processes import _free_port, _get, _start, _stop, _wait_for, _with_app_setting

pytestmark = pytest.mark.own_servers


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, redis_server):  # noqa: F811
    city = pulled_city(tmp_path_factory.mktemp("deployment"))
    _with_app_setting(city.config, f'broker_url = "redis://127.0.0.1:{redis_server.port}/2"')
    add_user(city.engine, "operator", "operator")
    port = _free_port()
    web = _start(city.config, "serve", "--workers", "2", "--port", str(port))
    celery = _start(city.config, "worker", "--concurrency", "4")
    city.url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _get(f"{city.url}/login") == 200, 120, "gunicorn to serve")
        _wait_for(lambda: any("任务进程已启动" in line for line in celery.output), 120, "the worker to start")
        yield city, celery
    finally:
        _stop(web)
        _stop(celery)


def test_a_refresh_runs_in_the_celery_worker_and_its_progress_reaches_the_page(deployment, open_page):
    city, celery = deployment
    ops = open_page(f"{city.url}/ops", user="operator")
    row = ops.page.locator("tr").filter(has=ops.page.get_by_text("演示-部门", exact=True))
    row.wait_for(timeout=60_000)
    row.get_by_role("button", name="刷新此数据源").click()
    ops.page.wait_for_function("() => document.querySelector('#ops-done').textContent.includes('已完成')",
                               timeout=90_000)
    text = ops.page.locator("#ops-progress-text").inner_text()
    assert re.fullmatch(r"已完成 · 数据源 1 / 1 · 已读取 \d+ 行", text), text
    with city.engine.connect() as conn:
        newest = conn.execute(select(func.max(db.jobs.c.id))).scalar()
    job = jobs.get(city.engine, newest)
    assert job.kind == "refresh_source" and job.status == "done"
    assert f":{celery.pid}:" in job.owner  # the Celery worker ran it, not a web worker
    assert not ops.off_host()
