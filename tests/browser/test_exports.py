"""Exports in headless Chromium over the real app on 127.0.0.1, with the job runner of the scheduler's
process working the queue: a PNG export queued, captured by real Chromium, archived (file and row) and
its progress shown; /exports lists it and downloads it; a caller without ``export`` is refused."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from dashboard import capture, exports, jobs
from dashboard.export_jobs import data_version, export_params
from layouts.wall_ids import IDS
from tests.browser.test_capture import REPO, decoded
from tests.browser.test_wall import open_wall

pytestmark = pytest.mark.browser

#: every text the progress line shows, in order (the background callback updates it)
WATCH_PROGRESS = """() => { window.cwSeen = [];
  const el = document.querySelector('#exports-progress-text');
  new MutationObserver(() => window.cwSeen.push(el.textContent)).observe(el, {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def exports_live(live_app):
    """The session's app, with the job runner of the scheduler's process working the queue (in-process),
    capturing from the served app itself. It keeps no wall page warm ([export] warm_pages = 0): these
    tests watch a capture's progress, which a warm capture ends before the page looks again
    (tests/browser/test_warm_pages.py covers the warm pages)."""
    from dashboard.capture_browser import WarmBrowser

    runner = jobs.JobRunner(live_app.puller, poll_seconds=0.2)
    runner.exports.browser = WarmBrowser(live_app.settings, warm_pages=0)
    runner.exports.use_app(live_app.app)
    runner.start()
    yield live_app
    runner.stop()
    for job in jobs.active_jobs(live_app.puller.engine):  # a test that failed midway: no watcher waits on it
        jobs.request_cancel(live_app.puller.engine, job.id)


def test_a_queued_png_export_is_captured_and_archived(exports_live, open_page):
    app = exports_live
    job, queued = jobs.enqueue(app.puller.engine, "export", requested_by="简报员",
                               params=export_params("png", "city", "全市"))
    assert queued
    give_up = time.monotonic() + 120
    while jobs.get(app.puller.engine, job.id).active and time.monotonic() < give_up:
        time.sleep(0.2)
    done = jobs.get(app.puller.engine, job.id)
    assert done.status == "done", done.error
    export = exports.for_job(app.puller.engine, job.id)
    path = exports.file_of(exports.folder(app.settings), export)
    png = path.read_bytes()
    assert (export.kind, export.view, export.view_label, export.created_by, export.status, export.trigger) == \
        ("png", "city", "全市", "简报员", "done", "manual")
    assert export.size_bytes == len(png) and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.parent.parent == app.settings.data_dir / "exports"
    # the archive's data version is the one the wall stamps on itself
    wall = open_wall(open_page, app.url + capture.wall_path())
    assert export.data_version == data_version(app.store) == wall.page.get_attribute(f"#{IDS['root']}", "data-cw-version")
    pixels = decoded(open_page, png)
    assert (pixels["w"], pixels["h"]) == tuple(app.settings.city.canvas) and pixels["colours"] > 50, pixels


def test_exports_page_queues_shows_progress_lists_and_downloads(exports_live, open_page, briefing_login):
    app = exports_live
    watch = open_page(f"{app.url}/exports", user=briefing_login)
    page = watch.page
    page.get_by_role("button", name="导出大屏 PNG").wait_for(timeout=30_000)
    for kind in ("导出通报 PDF", "导出数据 Excel"):  # every producer is installed
        assert page.get_by_role("button", name=kind, exact=True).is_enabled()
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="导出大屏 PNG").click()
    page.wait_for_function("() => document.querySelector('#exports-done').textContent.length > 0", timeout=180_000)
    ended = page.locator("#exports-done").inner_text()
    assert ended == "导出大屏 PNG「全市」: 完成 · 已归档，可在下方列表下载", ended  # the job's end, as the watcher saw it
    seen = page.evaluate("() => window.cwSeen")
    assert "截图中" in seen, seen  # queued → capturing → done, as the job reports it
    assert page.locator("#exports-progress-text").inner_text() == "完成 · 已归档，可在下方列表下载"
    assert "已加入队列: 导出大屏 PNG「全市」" in page.locator("#exports-message").inner_text()
    newest = exports.recent(app.puller.engine, limit=1)[0]
    row = page.locator("#exports-list tbody tr").first
    row.get_by_text("下载").wait_for(timeout=30_000)
    cells = row.locator("td").all_inner_texts()
    assert cells[1:7] == ["大屏 PNG", "全市", newest.data_version, f"{briefing_login}（手动）",
                          f"{newest.size_bytes / (1 << 20):.1f} MB" if newest.size_bytes >= 1 << 20
                          else f"{newest.size_bytes / 1024:.1f} KB", "完成"], cells
    with page.expect_download() as caught:
        row.get_by_text("下载").click()
    download = caught.value
    assert download.suggested_filename.startswith("示范市-大屏PNG-全市-") and download.suggested_filename.endswith(".png")
    body = open(download.path(), "rb").read()
    assert body == exports.file_of(exports.folder(app.settings), newest).read_bytes()
    assert not watch.off_host() and not watch.console_errors, watch.console_errors
    watch.screenshot("exports-page")


def test_without_the_export_permission_the_page_refuses_in_chinese(exports_live, open_page, leader_login):
    watch = open_page(f"{exports_live.url}/exports", user=leader_login)
    watch.page.get_by_text("没有权限").first.wait_for(timeout=30_000)
    assert "当前账号（领导）没有「导出简报」权限" in watch.page.inner_text("body")
    assert watch.page.get_by_role("button", name="导出大屏 PNG").count() == 0


def test_the_scheduler_process_makes_and_archives_the_daily_briefing(tmp_path, open_page):
    """``run.py scheduler`` in its own process, with a briefing due every minute: it queues the run due
    at its start, builds its own app, captures it and archives the file, by 定时任务."""
    from dashboard.export_producers import PRODUCERS
    from tests.browser.test_capture import _snapshot_config

    config = _snapshot_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace('schedule = "interval:1m"', 'schedule = "interval:1h"')
                      + '\n[export]\ndaily_briefing = "* * * * *"\n', encoding="utf-8")
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    settings = load_settings(config, environ={})
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    assert all(r.ok for r in puller.run_all("test"))  # the city made and pulled: the scheduler's first pulls are quick
    engine = puller.engine
    log = open(tmp_path / "scheduler.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "run.py", "--config", str(config), "scheduler"], cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        give_up = time.monotonic() + 240
        made = []
        while time.monotonic() < give_up and not made:
            made = [e for e in exports.recent(engine) if e.trigger == "schedule"]
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)  # systemd's stop
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read()
    assert proc.returncode == 0, output[-3000:]  # SIGTERM stops it cleanly
    assert made, output[-3000:]
    briefing = made[0]
    kind = "pdf" if PRODUCERS["pdf"].available else "png"
    assert (briefing.kind, briefing.status, briefing.created_by) == (kind, "done", "定时任务"), briefing.error
    job = jobs.get(engine, briefing.job_id)
    assert job.owner.split(":")[1] == str(proc.pid) and job.params["slot"].endswith("+08:00")
    body = exports.file_of(tmp_path / "data" / "exports", briefing).read_bytes()
    if kind == "png":
        pixels = decoded(open_page, body)
        assert (pixels["w"], pixels["h"]) == (1920, 1080) and pixels["colours"] > 50, pixels
    else:
        assert body.startswith(b"%PDF")
