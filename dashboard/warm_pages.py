"""Wall pages kept warm for the PNG exports: the wall left open in the capture browser, as on a wall screen.

A cold capture (dashboard/capture.py) opens a new browser context and loads the wall: at 2,000,000
incidents ≈ 2.5 s, most of it the app's scripts fetched and compiled again and every panel drawn. A
:class:`~dashboard.capture_browser.WarmBrowser` made with ``warm_pages=N`` (the job runner's, from
``[export] warm_pages``) keeps the wall pages it captured open instead: one per address (view) and canvas
size, at most N, the least recently used closed first. A kept page is the wall in kiosk and capture mode,
signed in with the service token, polling and redrawing as every wall screen does. A capture of it:

1. reads the data version now (:func:`dashboard.export_jobs.data_version`, the one the export is archived
   with); when the page's drawn flag carries another one, asks the page to poll now (wall.js's pollNow);
2. waits for the drawn flag to carry that version, never for a time: the wall sets its data-cw-version
   once every redraw of a version has answered (callbacks/wall.py), and drawn.js raises the flag with it
   once those panels are drawn, so the image is never of a page half redrawn;
3. writes the capture stamp again with the time of this capture (drawn.js's restamp), once painted;
4. takes the DevTools screenshot, and takes it again if the flag moved meanwhile (a redraw began).

A kept page is loaded again, cold, in a new context, when it crashed or was closed, when one of its
update requests failed (a panel may still show older data; drawn.js counts them in data-cw-failed), when
it did not reach the version within ``capture_timeout_seconds``, when it is older than
:data:`MAX_AGE_SECONDS` (the slow growth of a page left open for days, which the walls' nightly reload
contains too). Pages unused for :data:`IDLE_SECONDS` are closed (nobody is exporting: no memory held for
it). A browser that dies takes its pages with it: the WarmBrowser relaunches it and the capture is cold.

Nothing leaves 127.0.0.1: a kept context cannot use Playwright's request guard (its handler runs in the
capture thread, which sleeps between captures, so the page's polls would wait for the next capture), so
it is given a proxy on 127.0.0.1 that nobody answers for every host but 127.0.0.1 (and the app's CSP
allows the page nothing but its own server).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from dashboard import capture

log = logging.getLogger("citywall.capture")

MAX_AGE_SECONDS = 6 * 3600
IDLE_SECONDS = 30 * 60
#: every host but 127.0.0.1 goes to this proxy, where nothing listens: the request fails on the machine
LOCAL_ONLY_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"}
#: how often a capture waiting for a version asks the page to poll again
NUDGE_SECONDS = 2.0
STATE = "() => [document.documentElement.dataset.cwDrawn || '', document.documentElement.dataset.cwFailed || '']"
AT_VERSION = "(v) => document.documentElement.dataset.cwDrawn === v"
POLL_NOW = "() => window.CityWall.pollNow()"
RESTAMP = "() => window.CityWall.restamp()"
STAMP_TEXT = "() => (document.getElementById('cw-capture-stamp') || {}).textContent || ''"


def keeps(path: str) -> bool:
    """Whether a capture of ``path`` may use a kept page: the wall as :func:`capture.wall_path` addresses it
    (kiosk, capture, a view); not a rotating wall, a named screen or another page."""
    parsed = urlparse(path)
    query = parse_qs(parsed.query)
    return parsed.path in ("/", "/wall") and query.get("capture") == ["1"] and set(query) <= {"kiosk", "capture", "view"}


@dataclass
class WarmPage:
    context: object
    page: object
    opened_at: float
    used_at: float


class WarmPages:
    """The kept pages of one capture browser, used only in its capture thread (Playwright's sync API)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._pages: OrderedDict[tuple, WarmPage] = OrderedDict()  # least recently used first
        self.opened = 0  # pages loaded (cold captures)
        self.hits = 0  # captures of a kept page
        self.replaced = 0  # kept pages found unusable and loaded again

    def __len__(self) -> int:
        return len(self._pages)

    def pages(self) -> list:
        """The kept Playwright pages, least recently used first."""
        return [held.page for held in self._pages.values()]

    def take(self, key: tuple) -> WarmPage | None:
        """The page kept for ``key``, now the most recently used; None if there is none, or it was
        closed or is older than MAX_AGE_SECONDS (then closed)."""
        held = self._pages.get(key)
        if held is None:
            return None
        if held.page.is_closed() or time.monotonic() - held.opened_at > MAX_AGE_SECONDS:
            self.drop(key)
            return None
        self._pages.move_to_end(key)
        held.used_at = time.monotonic()
        return held

    def keep(self, key: tuple, context, page) -> None:
        """Keep ``page`` (in its own ``context``) for ``key``, closing the least recently used beyond the limit."""
        self.drop(key)
        now = time.monotonic()
        self._pages[key] = WarmPage(context, page, now, now)
        self.opened += 1
        while len(self._pages) > self.limit:
            self.drop(next(iter(self._pages)))

    def drop(self, key: tuple) -> None:
        held = self._pages.pop(key, None)
        if held is not None:
            _close(held.context)

    def expire(self, idle_seconds: float = IDLE_SECONDS) -> None:
        """Close the pages unused for ``idle_seconds``."""
        now = time.monotonic()
        for key in [k for k, held in self._pages.items() if now - held.used_at > idle_seconds]:
            self.drop(key)

    def close(self) -> None:
        for key in list(self._pages):
            self.drop(key)

    def forget(self) -> None:
        """The browser died, and its pages with it: nothing to close."""
        self._pages.clear()


def _close(context) -> None:
    try:
        context.close()
    except Exception:  # the browser went away meanwhile
        pass


def data_version() -> str:
    from dashboard import runtime
    from dashboard.export_jobs import data_version as of_store

    return of_store(runtime.current().store)


def capture_wall(browser, pages: WarmPages, settings, base_url: str, path: str, size: tuple[int, int],
                 token: str, on_behalf_of: str) -> capture.Capture:
    """The PNG of the wall at ``base_url + path`` from its kept page, or from one loaded now and kept
    (in the capture thread, with the live ``browser``)."""
    url = base_url.rstrip("/") + path
    key = (url, size, token)  # a new service token (the old one revoked) is a new page
    held = pages.take(key)
    if held is not None:
        try:
            shot = _shoot(held.page, settings, url, size)
        except Exception as exc:
            if not browser.is_connected():
                raise  # the WarmBrowser relaunches it and tries again: the page is gone with it
            said = getattr(exc, "message", None) or str(exc).splitlines()[0]
            log.warning("保持预热的大屏页面 %s 不可用（%s），重新打开", url, said)
            pages.drop(key)
            pages.replaced += 1
        else:
            pages.hits += 1
            _audit(path, on_behalf_of)
            return shot
    context = capture.new_capture_context(browser, size, token, on_behalf_of, proxy=LOCAL_ONLY_PROXY)
    try:
        page = context.new_page()
        capture.load_drawn(page, settings, url, "截图")
        shot = capture.Capture(capture.screenshot_png(page), size, url, stamp=page.evaluate(STAMP_TEXT))
    except BaseException:
        _close(context)
        raise
    pages.keep(key, context, page)
    return shot


def _shoot(page, settings, url: str, size: tuple[int, int]) -> capture.Capture:
    """The screenshot of a kept page once its drawn flag carries the data version now, stamped now."""
    api = capture._playwright()
    deadline = time.monotonic() + settings.export.capture_timeout_seconds
    while True:
        version = data_version()
        drawn, failed = page.evaluate(STATE)
        if failed:
            raise capture.CaptureError(f"页面的 {failed} 次更新请求失败，部分面板可能仍是旧数据")
        if drawn != version:
            page.evaluate(POLL_NOW)
            left = deadline - time.monotonic()
            try:
                page.wait_for_function(AT_VERSION, arg=version, timeout=max(1, min(left, NUDGE_SECONDS)) * 1000)
            except api.TimeoutError:
                if time.monotonic() >= deadline:
                    raise capture.draw_timeout(settings, url, "截图") from None
                continue  # ask again, for the version then (a publish may have come meanwhile)
        stamp = page.evaluate(RESTAMP)
        png = capture.screenshot_png(page)
        if page.evaluate(STATE) == [version, ""]:
            return capture.Capture(png, size, url, stamp=stamp, warm=True)
        if time.monotonic() >= deadline:
            raise capture.draw_timeout(settings, url, "截图")


def _audit(path: str, on_behalf_of: str) -> None:
    """A capture of a kept page loads nothing, so the server audits nothing: the row it would write."""
    from dashboard import audit, capture_token
    from dashboard.permissions import Caller

    audit.record("capture", capture_token.NAME, "ok", Caller(name=f"服务令牌:{capture_token.NAME}", kind="capture"),
                 address="", detail=f"{path}（为 {on_behalf_of} 导出，预热页面）")
