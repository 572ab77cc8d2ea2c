"""Wall pages kept warm for the PNG exports (dashboard/warm_pages.py), in real Chromium over the served
app: the second capture of a view comes from its kept page, stamped with its own time and audited; after
a publish the kept page polls and redraws, and the capture carries the new version; a crashed kept page
is loaded again; the kept pages are bounded (least recently used closed first) and reach nothing off
127.0.0.1."""
from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from dashboard import audit, capture
from dashboard.capture_browser import WarmBrowser
from dashboard.export_jobs import data_version
from layouts.wall_ids import IDS
from tests.browser.test_capture import decoded

pytestmark = pytest.mark.browser
SIZE = (1280, 720)
CAPTION = f"() => document.getElementById('{IDS['caption']['exchange']}').innerText"


@pytest.fixture(scope="module")
def warm(live_app):
    """A capture browser keeping two wall pages, as the job runner's keeps ``[export] warm_pages``."""
    with WarmBrowser(live_app.settings, warm_pages=2) as browser:
        yield browser


def shot(app, browser: WarmBrowser, view: str | None = None) -> capture.Capture:
    return capture.capture_png(app.settings, app.url, capture.wall_path(view), SIZE, "简报员", browser=browser)


def on_newest(browser: WarmBrowser, work):
    """``work(page)`` in the capture thread, on the most recently used kept page."""
    return browser.run(lambda _b: work(browser.pages.pages()[-1]))


def stamped_at(stamp: str) -> datetime:
    return datetime.strptime(re.search(r"截图于 (\S+ \S+)", stamp).group(1), "%Y-%m-%d %H:%M:%S")


def test_a_capture_after_a_publish_shows_the_new_version_from_the_kept_page(live_app, warm, open_page):
    app = live_app
    version = data_version(app.store)
    first = shot(app, warm)
    assert not first.warm and (warm.pages.opened, len(warm.pages)) == (1, 1)
    assert first.stamp.startswith(f"全市 · 数据版本 {version} · ") and "截图于 " in first.stamp, first.stamp
    time.sleep(1)  # the stamp counts seconds: the next one must say a later time than the page's load
    asked = datetime.now().replace(microsecond=0)
    second = shot(app, warm)
    assert second.warm and (warm.pages.opened, warm.pages.hits) == (1, 1)
    assert second.stamp.startswith(f"全市 · 数据版本 {version} · ") and stamped_at(second.stamp) >= asked, second.stamp
    row = audit.query(app.puller.engine, action="capture", limit=1)[0]  # loading nothing, it is audited all the same
    assert (row.actor, row.detail) == ("服务令牌:导出截图服务", f"{capture.wall_path()}（为 简报员 导出，预热页面）")
    pixels = decoded(open_page, second.png)
    assert (pixels["w"], pixels["h"]) == SIZE and pixels["colours"] > 50, pixels

    caption_before = on_newest(warm, lambda page: page.evaluate(CAPTION))
    snap = app.store.snapshot("exchange")
    daily = snap.frames["daily"].copy()
    daily.loc[daily.index[-1], "records"] = int(daily["records"].iloc[-1]) + 654_321
    app.store.publish("exchange", {**snap.frames, "daily": daily}, snap.meta)
    try:
        newer = data_version(app.store)
        assert newer != version
        third = shot(app, warm)  # at once: the capture asks the page to poll, and waits for its redraw
        assert third.warm and warm.pages.opened == 1
        assert third.stamp.startswith(f"全市 · 数据版本 {newer} · "), third.stamp
        assert on_newest(warm, lambda page: page.evaluate(CAPTION)) != caption_before  # redrawn, not relabelled
    finally:
        app.store.publish("exchange", snap.frames, snap.meta)


def test_a_crashed_kept_page_is_loaded_again(live_app, warm):
    shot(app := live_app, warm)
    opened, launches = warm.pages.opened, warm.launches

    def crash(page):
        try:
            page.goto("chrome://crash", timeout=30_000)  # Chromium's own way to crash a page's renderer
        except Exception:  # "page crashed"
            pass

    on_newest(warm, crash)
    again = shot(app, warm)
    assert not again.warm and again.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (warm.pages.replaced, warm.pages.opened, warm.launches) == (1, opened + 1, launches)  # the browser lives on
    assert shot(app, warm).warm  # and the new page is kept


def test_the_kept_pages_are_bounded_and_reach_nothing_off_the_machine(live_app, warm):
    app = live_app
    shot(app, warm)
    city = on_newest(warm, lambda page: page)
    districts = live_app.store.frame("regions", "regions").query("level == '区县'")["region_id"].tolist()
    for region in districts[:2]:
        assert not shot(app, warm, f"district:{region}").warm
    assert len(warm.pages) == 2 and warm.run(lambda _b: city.is_closed())  # 全市, least recently used, closed

    def off_host(page):
        other = page.context.new_page()  # the kept context's guard: every host but 127.0.0.1 goes nowhere
        try:
            other.goto("http://198.51.100.7/", timeout=15_000)
        except Exception as exc:
            return str(exc)
        finally:
            other.close()
        return "reached"

    assert "ERR_PROXY_CONNECTION_FAILED" in on_newest(warm, off_host)
    warm.run(lambda _b: warm.pages.expire(idle_seconds=0))  # what the idle capture thread does after IDLE_SECONDS
    assert len(warm.pages) == 0
