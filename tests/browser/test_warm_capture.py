"""The warm capture Chromium (dashboard/capture_browser.py) and the exports' service token
(dashboard/capture_token.py), with real Chromium, real exports and a city whose anonymous access is off:
two captures share one launch; killing the browser between two exports, or in the middle of one, does
not fail them; a revoked service token fails the capture with a Chinese message naming the command
that issues a new one."""
from __future__ import annotations

import os
import threading
import time

import psutil
import pytest

from dashboard import accounts, audit, capture, capture_token, exports, jobs
from dashboard.capture_browser import WarmBrowser
from dashboard.export_jobs import export_params

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def no_anonymous(live_app):
    """The session's app with anonymous access off while this module runs: a capture must sign in."""
    server = live_app.app.server
    before = server.config["CITYWALL_SETTINGS"]
    closed = before.model_copy(update={"auth": before.auth.model_copy(update={"anonymous_role": ""})})
    server.config["CITYWALL_SETTINGS"] = closed
    yield live_app
    server.config["CITYWALL_SETTINGS"] = before


@pytest.fixture(scope="module")
def runner(no_anonymous):
    """The job runner of the scheduler's process, in this process, capturing from the served app."""
    working = jobs.JobRunner(no_anonymous.puller, poll_seconds=0.2)
    working.exports.use_app(no_anonymous.app)
    working.start()
    yield working
    working.stop()


def capture_browsers() -> list[psutil.Process]:
    """The capture Chromium's main processes among this process's descendants (not the tests' own)."""
    found = []
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if capture.BROWSER_MARK in proc.cmdline():
                found.append(proc)
        except psutil.Error:  # it ended meanwhile
            pass
    return found


def kill_capture_browsers(spare=()) -> int:
    """SIGKILL every capture Chromium process but ``spare``'s (the browser and its children); → how many browsers."""
    browsers = [proc for proc in capture_browsers() if proc not in spare]
    for proc in browsers:
        try:
            family = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            continue
        for member in family:
            try:
                member.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(family, timeout=10)
    return len(browsers)


def export(app, kind: str, view: str, label: str) -> jobs.Job:
    job, queued = jobs.enqueue(app.puller.engine, "export", requested_by="简报员", params=export_params(kind, view, label))
    assert queued
    give_up = time.monotonic() + 180
    while jobs.get(app.puller.engine, job.id).active and time.monotonic() < give_up:
        time.sleep(0.2)
    return jobs.get(app.puller.engine, job.id)


def archived(app, job: jobs.Job) -> bytes:
    return exports.file_of(exports.folder(app.settings), exports.for_job(app.puller.engine, job.id)).read_bytes()


def test_two_captures_reuse_one_launch_and_sign_in_with_the_service_token(no_anonymous):
    app = no_anonymous
    before = len(audit.query(app.puller.engine, action="capture", limit=10_000))
    with WarmBrowser(app.settings) as browser:
        first = capture.capture_png(app.settings, app.url, capture.wall_path(), (1280, 720), "简报员", browser=browser)
        second = capture.capture_png(app.settings, app.url, capture.capture_path("/scoreboard"), capture.DRILL_SIZE,
                                     "简报员", browser=browser)
        assert browser.launches == 1 and len(capture_browsers()) == 1
    assert capture_browsers() == []  # closed with its owner
    assert first.png[:8] == second.png[:8] == b"\x89PNG\r\n\x1a\n" and second.size == capture.DRILL_SIZE
    rows = audit.query(app.puller.engine, action="capture", limit=10_000)
    assert len(rows) == before + 2  # one per page load, naming the token and who the export was for
    assert {(r.actor, r.actor_kind) for r in rows[:2]} == {(f"服务令牌:{capture_token.NAME}", "capture")}
    assert rows[0].detail == "/scoreboard?capture=1（为 简报员 导出）"
    assert os.stat(capture_token.secret_file(app.settings)).st_mode & 0o777 == 0o600


def test_killing_the_warm_chromium_between_two_exports_does_not_fail_the_second(no_anonymous, runner):
    app = no_anonymous
    wall = export(app, "png", "city", "全市")
    assert wall.status == "done", wall.error
    assert archived(app, wall)[:8] == b"\x89PNG\r\n\x1a\n"
    assert runner.exports.browser.launches == 1
    assert kill_capture_browsers() == 1 and capture_browsers() == []

    briefing = export(app, "pdf", capture.BRIEFING_PATH, "通报")
    assert briefing.status == "done", briefing.error
    document = archived(app, briefing)
    assert document.startswith(b"%PDF") and b"%%EOF" in document[-1024:]
    assert runner.exports.browser.launches == 2  # relaunched once, for the second export
    again = export(app, "png", "city", "全市")  # and kept warm again
    assert again.status == "done" and runner.exports.browser.launches == 2
    assert runner.exports.browser.pages.opened == 2  # the wall page kept for the first went with the browser


def test_a_browser_killed_in_the_middle_of_a_capture_is_relaunched_and_the_capture_retried(no_anonymous):
    app = no_anonymous
    engine = app.puller.engine
    loads = len(audit.query(engine, action="capture", limit=10_000))
    others = capture_browsers()  # the runner's, kept warm for the other tests
    with WarmBrowser(app.settings) as browser:
        browser.run(lambda b: None)  # launched and warm
        outcome: dict = {}
        worker = threading.Thread(target=lambda: outcome.update(shot=capture.capture_png(
            app.settings, app.url, capture.wall_path(), (1280, 720), "简报员", browser=browser)))
        worker.start()
        give_up = time.monotonic() + 60  # the server has the page's request: the capture is under way
        while len(audit.query(engine, action="capture", limit=10_000)) == loads and time.monotonic() < give_up:
            time.sleep(0.02)
        assert kill_capture_browsers(spare=others) == 1
        worker.join(timeout=180)
        assert outcome["shot"].png[:8] == b"\x89PNG\r\n\x1a\n"
        assert browser.launches == 2
        assert len(audit.query(engine, action="capture", limit=10_000)) == loads + 2  # the page loaded again


def test_a_capture_timeout_is_not_a_reason_to_relaunch(no_anonymous):
    from dashboard.settings import ExportSettings

    settings = no_anonymous.settings.model_copy(update={"export": ExportSettings(capture_timeout_seconds=2)})
    with WarmBrowser(settings) as browser:
        with pytest.raises(capture.CaptureError) as caught:  # /status has no drawn flag
            capture.capture_png(settings, no_anonymous.url, "/status?capture=1", (1280, 720), browser=browser)
        assert "等待页面绘制完成超时（2 秒）" in caught.value.message
        assert browser.launches == 1


def test_a_revoked_service_token_fails_the_export_in_chinese_until_a_new_one_is_issued(no_anonymous, runner):
    app = no_anonymous
    engine = app.puller.engine
    capture_token.secret(engine, app.settings)  # issued (by the first capture, or here)
    revoked = accounts.revoke_token(engine, capture_token.NAME)
    assert revoked.scope == accounts.CAPTURE_SCOPE and not revoked.active
    try:
        with pytest.raises(capture.CaptureError) as caught:
            capture.capture_png(app.settings, app.url, capture.wall_path(), (1280, 720))
        assert caught.value.message == capture_token.REVOKED
        assert "服务令牌已被吊销" in caught.value.message and "python run.py token capture" in caught.value.message
        failed = export(app, "png", "city", "全市")
        assert failed.status == "failed" and failed.error == capture_token.REVOKED
        assert exports.for_job(engine, failed.id).status == "failed"  # archived as failed, shown on /exports and /ops
    finally:
        capture_token.issue(engine, app.settings, "测试")
    made = export(app, "png", "city", "全市")
    assert made.status == "done", made.error
