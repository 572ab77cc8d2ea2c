"""Server-side PNG captures of the real wall and drill-down pages in headless Debian Chromium.

The page is opened in capture mode (``?capture=1``: it stamps itself with the view, the data version,
the data's update time and the time of the capture; the wall also in kiosk mode, without controls)
in a viewport of the canvas size, so the image is drawn at scale 1. The capture waits for the page's
"all panels drawn" flag (assets/drawn.js), never for a fixed time; a page that does not draw in
``export.capture_timeout_seconds`` fails with a Chinese error instead of an image of spinners.
Every request off 127.0.0.1 is refused: a capture never reaches the network.

:class:`LocalServer` serves the app on a private 127.0.0.1 port in a thread, for the CLI's snapshot
when no server is running.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

from dashboard import auth

#: the page's "all panels drawn" flag (assets/drawn.js)
DRAWN_FLAG = "() => !!document.documentElement.dataset.cwDrawn"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
DRILL_SIZE = (1920, 1080)  # drill-down pages are desktop pages, whatever the wall's canvas
INSTALL_HINT = "请安装 Debian 软件包 chromium 与 fonts-noto-cjk（运行 bash scripts/setup.sh），或在配置 [export] chromium 中填写其路径"


class CaptureError(RuntimeError):
    """A capture failed; ``.message`` says why in Chinese and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Capture:
    png: bytes
    size: tuple[int, int]
    url: str


def chromium_executable(settings) -> str:
    """The configured Chromium, or a :class:`CaptureError` naming the package to install."""
    path = Path(settings.export.chromium)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise CaptureError(f"未找到可用的 Chromium：{path}。截图需要无界面 Chromium 与中文字体；{INSTALL_HINT}。大屏本身不受影响。")
    return str(path)


def wall_path(view: str | None = None) -> str:
    """The wall's address in capture mode (kiosk: no controls), for ``view`` (None or "city": 全市)."""
    query = {"kiosk": "1", "capture": "1"}
    if view and view != "city":
        query["view"] = view
    return "/wall?" + urlencode(query)


def capture_path(path: str) -> str:
    """``path`` (a drill-down page, or the wall with its own parameters) with ``capture=1`` added."""
    return path + ("&" if "?" in path else "?") + "capture=1"


def capture_png(settings, base_url: str, path: str, size: tuple[int, int], on_behalf_of: str = "命令行") -> Capture:
    """A PNG of ``base_url + path`` (which carries ``capture=1``) in a ``size`` viewport, taken once
    every panel has drawn. Playwright runs in a thread of its own: its sync API refuses a thread
    that already runs an event loop (a caller's own Playwright, an async server). The page is served
    by this process (:class:`LocalServer`); its browser gets a capture pass (dashboard/auth.py), so
    the capture works whatever anonymous visitors may see; ``on_behalf_of`` names who asked."""
    outcome: dict = {}

    def work():
        try:
            outcome["capture"] = _capture(settings, base_url, path, size, on_behalf_of)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="citywall-capture")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["capture"]


def _capture(settings, base_url: str, path: str, size: tuple[int, int], on_behalf_of: str) -> Capture:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise CaptureError("缺少 Python 包 playwright：请运行 pip install -r requirements.txt") from None

    executable = chromium_executable(settings)
    url = base_url.rstrip("/") + path
    timeout_ms = settings.export.capture_timeout_seconds * 1000
    secret = auth.capture_pass(on_behalf_of, settings.export.capture_timeout_seconds + 60)
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            raise CaptureError(f"Chromium 无法启动（{executable}）：{str(exc).splitlines()[0]}；{INSTALL_HINT}。") from None
        try:
            context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1,
                                          locale="zh-CN", extra_http_headers={auth.CAPTURE_HEADER: secret})
            context.route("**/*", _local_only)
            page = context.new_page()
            try:
                response = page.goto(url, wait_until="commit", timeout=timeout_ms)  # the flag wait covers the rest
            except PlaywrightError as exc:
                raise CaptureError(f"无法打开页面 {url}：{str(exc).splitlines()[0]}") from None
            if response is not None and response.status >= 400:
                raise CaptureError(f"页面 {url} 返回 HTTP {response.status}，未生成截图；请检查页面地址")
            try:
                page.wait_for_function(DRAWN_FLAG, timeout=timeout_ms)
            except PlaywrightTimeout:
                raise CaptureError(f"等待页面绘制完成超时（{settings.export.capture_timeout_seconds:g} 秒）：{url} "
                                   "仍有面板未绘制完成，未生成截图；可在配置 [export] capture_timeout_seconds 中放宽时限") from None
            return Capture(page.screenshot(type="png"), size, url)
        finally:
            browser.close()
            auth.end_capture_pass(secret)


def _local_only(route) -> None:
    """Requests to 127.0.0.1 (and data:/blob: URLs) go through; anything else is refused."""
    url = route.request.url
    if url.startswith(("data:", "blob:")) or urlparse(url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A Dash app served by waitress on a private 127.0.0.1 port, in a thread, until closed:
    ``with LocalServer(app) as base_url: …``."""

    def __init__(self, app):
        from waitress.server import create_server

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = create_server(app.server, host="127.0.0.1", port=self.port, threads=4)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="citywall-capture-server")

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.thread.join(timeout=5)
