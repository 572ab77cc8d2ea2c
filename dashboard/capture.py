"""Server-side captures in headless Debian Chromium: PNGs of the real wall and drill-down pages, and
the A4 PDF of the print-styled 通报 (/briefing, Chromium's print-to-PDF).

The page is opened in capture mode (``?capture=1``: it stamps itself with the view, the data version,
the data's update time and the time of the capture; the wall also in kiosk mode, without controls)
in a viewport of the canvas size, so the image is drawn at scale 1, in the process's warm Chromium
(dashboard/capture_browser.py), signed in with the exports' service token (dashboard/capture_token.py).
The capture waits for the page's "all panels drawn" flag (assets/drawn.js), never for a fixed time;
a page that does not draw in ``export.capture_timeout_seconds`` fails with a Chinese error instead of an image of spinners.
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
from urllib.parse import quote, urlencode, urlparse

from dashboard import capture_token, warm_pages
from dashboard.capture_browser import WarmBrowser
from dashboard.errors import MessageError

#: the page's "all panels drawn" flag (assets/drawn.js)
DRAWN_FLAG = "() => !!document.documentElement.dataset.cwDrawn"
#: on the capture browser's command line: names its processes (ps, the warm browser's test)
BROWSER_MARK = "--class=citywall-capture"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", BROWSER_MARK]
DRILL_SIZE = (1920, 1080)  # drill-down pages are desktop pages, whatever the wall's canvas
BRIEFING_PATH = "/briefing"  # the 通报 (layouts/briefing.py): no capture stamp, the document dates itself
A4_VIEWPORT = (794, 1123)  # A4 at 96 px per inch: the 通报 lays itself out for it before printing
PDF_MARGINS = {"top": "16mm", "right": "14mm", "bottom": "18mm", "left": "14mm"}  # = assets/briefing.css @page
INSTALL_HINT = "请安装 Debian 软件包 chromium 与 fonts-noto-cjk（运行 bash scripts/setup.sh），或在配置 [export] chromium 中填写其路径"


class CaptureError(MessageError, RuntimeError):
    """A capture failed; ``.message`` says why in Chinese and what to do."""


@dataclass(frozen=True)
class Capture:
    png: bytes
    size: tuple[int, int]
    url: str
    stamp: str = ""  # the capture stamp's text, when read (a wall page kept warm)
    warm: bool = False  # taken from a page kept warm (dashboard/warm_pages.py), not loaded for it


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


def capture_png(settings, base_url: str, path: str, size: tuple[int, int], on_behalf_of: str = "命令行", *,
                browser: WarmBrowser | None = None) -> Capture:
    """A PNG of ``base_url + path`` (which carries ``capture=1``) in a ``size`` viewport, taken once
    every panel has drawn, in ``browser`` (the caller's warm one; else one launched for this capture).
    The browser signs in with the exports' service token (dashboard/capture_token.py), so the capture
    works whatever anonymous visitors may see, and sees what a viewer sees; ``on_behalf_of`` names
    who asked, in the audit trail. A wall page (:func:`wall_path`) captured in a browser that keeps
    pages warm is taken from its warm page when there is one (dashboard/warm_pages.py)."""
    if browser is not None and browser.pages.limit and warm_pages.keeps(path):
        return _capture(settings, browser, lambda b, token: warm_pages.capture_wall(
            b, browser.pages, settings, base_url, path, size, token, on_behalf_of))
    return _capture(settings, browser, lambda b, token: on_drawn_page(
        b, settings, base_url, path, size, token, on_behalf_of, "截图", take_png(size)))


def capture_pdf(settings, base_url: str, path: str = BRIEFING_PATH, *, footer: str = "通报",
                on_behalf_of: str = "命令行", browser: WarmBrowser | None = None) -> bytes:
    """The A4 PDF of ``base_url + path`` (the print-styled /briefing), printed by Chromium once every
    chart has drawn: backgrounds printed, fonts embedded, ``footer`` and the page numbers in every
    page's footer. The margins are assets/briefing.css's @page margins. Browser and sign-in as for
    :func:`capture_png` (the service token may view the 通报: ``view_briefing``)."""
    return _capture(settings, browser, lambda b, token: on_drawn_page(
        b, settings, base_url, path, A4_VIEWPORT, token, on_behalf_of, "通报", take_pdf(footer)))


def _capture(settings, browser: WarmBrowser | None, work):
    """``work(a live browser, the service token's secret)`` in ``browser``, or in one of its own."""
    from dashboard import runtime

    chromium_executable(settings)  # a missing Chromium says so before anything else
    try:
        token = capture_token.secret(runtime.current().engine, settings)
    except capture_token.CaptureTokenError as exc:
        raise CaptureError(exc.message) from None
    if browser is None:
        with WarmBrowser(settings) as once:
            return once.run(lambda b: work(b, token))
    return browser.run(lambda b: work(b, token))


def take_png(size: tuple[int, int]):
    return lambda page, url: Capture(screenshot_png(page), size, url)


def screenshot_png(page) -> bytes:
    """The viewport as PNG, through Chromium's DevTools protocol with ``optimizeForSpeed``: a faster zlib
    level, about three times faster than Playwright's screenshot for a 1920×1080 wall (a somewhat larger
    file), and none of its waits (fonts and panels are drawn already: the drawn flag is up)."""
    import base64

    session = page.context.new_cdp_session(page)
    try:
        shot = session.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
    finally:
        session.detach()
    return base64.b64decode(shot["data"])


def take_pdf(footer: str):
    return lambda page, _url: page.pdf(format="A4", print_background=True, display_header_footer=True,
                                       header_template="<span></span>", footer_template=footer_template(footer),
                                       margin=PDF_MARGINS, prefer_css_page_size=False)


def footer_template(label: str) -> str:
    """Chromium's print footer: the document's name and 第 N 页 / 共 M 页 (Chromium fills the spans)."""
    from html import escape

    from dashboard.print_fonts import CSS_FAMILY

    return ('<div style="width:100%;box-sizing:border-box;padding:0 14mm;font-size:8pt;color:#555;'
            f"font-family:{CSS_FAMILY};display:flex;justify-content:space-between\">"
            f'<span>{escape(label)}</span>'
            '<span>第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</span></div>')


def _playwright():
    try:
        from playwright import sync_api
    except ImportError:
        raise CaptureError("缺少 Python 包 playwright：请运行 pip install -r requirements.txt") from None
    return sync_api


def launch(playwright, settings):
    """Headless Chromium (``settings.export.chromium``), or a :class:`CaptureError` saying what to install."""
    executable = chromium_executable(settings)
    try:
        return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except _playwright().Error as exc:
        raise CaptureError(f"Chromium 无法启动（{executable}）：{str(exc).splitlines()[0]}；{INSTALL_HINT}。") from None


def new_capture_context(browser, size: tuple[int, int], token: str, on_behalf_of: str, **options):
    """A browser context with a ``size`` viewport at scale 1, signed in with the service token ``token``
    (sent in a header of every request) for ``on_behalf_of``."""
    headers = {capture_token.HEADER: token, capture_token.ON_BEHALF_HEADER: quote(on_behalf_of)}
    return browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1, locale="zh-CN",
                               extra_http_headers=headers, **options)


def load_drawn(page, settings, url: str, what: str) -> None:
    """``page`` at ``url``, once its drawn flag is up; a :class:`CaptureError` naming ``what`` (截图, 通报)
    if the token was refused, the page answered an error or did not draw in time."""
    api = _playwright()
    timeout_ms = settings.export.capture_timeout_seconds * 1000
    try:
        response = page.goto(url, wait_until="commit", timeout=timeout_ms)  # the flag wait covers the rest
    except api.Error as exc:
        raise CaptureError(f"无法打开页面 {url}：{str(exc).splitlines()[0]}") from None
    if urlparse(page.url).path.rstrip("/").endswith("/login"):  # the auth layer sent it to sign in
        raise CaptureError(f"打开 {url} 时服务令牌未被接受，未生成{what}：服务令牌只能查看大屏、下钻页面与通报；"
                           f"若令牌已被吊销，请运行 {capture_token.ISSUE_COMMAND} 签发新的服务令牌")
    if response is not None and response.status >= 400:
        raise CaptureError(f"页面 {url} 返回 HTTP {response.status}，未生成{what}；请检查页面地址与账号权限")
    try:
        page.wait_for_function(DRAWN_FLAG, timeout=timeout_ms)
    except api.TimeoutError:
        raise draw_timeout(settings, url, what) from None


def draw_timeout(settings, url: str, what: str) -> CaptureError:
    return CaptureError(f"等待页面绘制完成超时（{settings.export.capture_timeout_seconds:g} 秒）：{url} "
                        f"仍有面板未绘制完成，未生成{what}；可在配置 [export] capture_timeout_seconds 中放宽时限")


def on_drawn_page(browser, settings, base_url: str, path: str, size: tuple[int, int], token: str, on_behalf_of: str,
                  what: str, take):
    """``take(page, url)`` on ``base_url + path`` in a new context of ``browser`` with a ``size``
    viewport, signed in with the service token ``token`` for ``on_behalf_of``, once the page's
    drawn flag is up; only 127.0.0.1 is reachable. ``what`` names the product in errors (截图, 通报)."""
    api = _playwright()
    url = base_url.rstrip("/") + path
    context = new_capture_context(browser, size, token, on_behalf_of)
    try:
        context.route("**/*", _local_only)
        page = context.new_page()
        load_drawn(page, settings, url, what)
        return take(page, url)
    finally:
        try:
            context.close()
        except api.Error:  # the browser died meanwhile: the warm browser relaunches it
            pass


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
        self.server = create_server(app.server, host="127.0.0.1", port=self.port, threads=8)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="citywall-capture-server")

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.thread.join(timeout=5)
