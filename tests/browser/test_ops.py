"""/ops in headless Chromium over the real app on 127.0.0.1, with the job runner of the scheduler's
process working the queue: a refresh shows its progress and completes, and the wall's poll then
announces the dataset's new version; a 全部刷新 cancelled stops before its last source."""
from __future__ import annotations

import re
import sqlite3
import time

import pytest

from dashboard import db, jobs
from tests.browser.conftest import LiveApp

@pytest.fixture(scope="module")
def ops_live(live_app):
    """The session's app, with the job runner of the scheduler's process working the queue (in-process)."""
    runner = jobs.JobRunner(live_app.puller, poll_seconds=0.2)
    runner.start()
    yield live_app
    runner.stop()


def rename_a_department(app: LiveApp, suffix: str, add: bool) -> None:
    """A real change in the demo source: the next pull of 演示-部门 publishes a new version."""
    change = "name || ?" if add else "substr(name, 1, length(name) - length(?))"
    with sqlite3.connect(app.settings.demo_database) as conn:
        conn.execute(f"UPDATE departments SET name = {change} WHERE rowid = (SELECT min(rowid) FROM departments)",
                     (suffix,))


@pytest.fixture
def renamed_department(ops_live):
    rename_a_department(ops_live, "（新）", add=True)
    yield
    rename_a_department(ops_live, "（新）", add=False)  # the other browser tests share this city
    assert ops_live.puller.run_source("演示-部门", "test").ok


def test_a_refresh_shows_progress_completes_and_the_wall_sees_the_new_version(ops_live, open_page, operator_login,
                                                                              renamed_department):
    before = ops_live.store.status("departments").version
    wall = open_page(f"{ops_live.url}/wall")
    announced: list[str] = []
    wall.page.on("response", lambda r: "_dash-update-component" in r.url and announced.append(r.text()))
    wall.page.wait_for_selector(".cw-panel", timeout=30_000)

    ops = open_page(f"{ops_live.url}/ops", user=operator_login)
    row = ops.page.locator("tr").filter(has=ops.page.get_by_text("演示-部门", exact=True))
    row.wait_for(timeout=30_000)
    assert row.locator(".cw-light.is-ok").count() == 1
    row.get_by_role("button", name="刷新此数据源").click()
    ops.page.wait_for_function("() => document.querySelector('#ops-done').textContent.includes('已完成')", timeout=60_000)
    text = ops.page.locator("#ops-progress-text").inner_text()
    assert re.fullmatch(r"已完成 · 数据源 1 / 1 · 已读取 \d+ 行", text), text
    bar = ops.page.locator("#ops-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "1"
    assert "刷新数据源「演示-部门」" in ops.page.locator("#ops-done").inner_text()
    assert "已加入队列" in ops.page.locator("#ops-message").inner_text()

    after = ops_live.store.status("departments").version
    assert after == before + 1
    # the wall's normal poll announces it: {"departments": after, …} in a versions answer
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(f'"departments":{after}' in a.replace(" ", "") for a in announced):
        wall.page.wait_for_timeout(250)
    assert any(f'"departments":{after}' in a.replace(" ", "") for a in announced)
    assert not ops.off_host() and not wall.off_host()
    ops.screenshot("ops-after-refresh")


def test_a_refresh_of_everything_cancelled_stops_before_its_last_source(ops_live, open_page, operator_login):
    ops = open_page(f"{ops_live.url}/ops", user=operator_login)
    ops.page.get_by_role("button", name="全部刷新").click()
    cancel = ops.page.get_by_role("button", name="取消")
    ops.page.wait_for_function("() => !document.querySelector('#ops-cancel').disabled", timeout=30_000)
    cancel.click()
    ops.page.wait_for_function("() => document.querySelector('#ops-done').textContent.includes('已取消')", timeout=60_000)
    job = jobs.get(ops_live.puller.engine, max(j for j in _job_ids(ops_live)))
    # cancelled while queued (no source started) or between sources: never through to the last one
    assert job.status == "cancelled" and (job.sources_total == 0 or job.sources_done < job.sources_total), job
    assert "已请求取消" in ops.page.locator("#ops-message").inner_text()
    assert not ops.console_errors, ops.console_errors


def _job_ids(app):
    from sqlalchemy import select

    with app.puller.engine.connect() as conn:
        return list(conn.execute(select(db.jobs.c.id)).scalars())


def test_an_anonymous_visitor_is_sent_to_the_login_page(ops_live, open_page):
    """The demo lets anonymous visitors see the wall and the drill-downs, never /ops."""
    ops = open_page(f"{ops_live.url}/ops")
    ops.page.wait_for_selector("input[name=username]", timeout=30_000)
    assert ops.page.url.endswith("/login?next=/ops")
    assert "登录" in ops.page.title() + ops.page.inner_text("body")
    assert ops.page.get_by_role("button", name="全部刷新").count() == 0
