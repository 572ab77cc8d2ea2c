"""The unattended wall in headless Chromium: a kiosk wall never navigates and shows its controls only
on a deliberate gesture; the back link keeps the wall's parameters; hover boxes never stay on the
next page; the server going away and coming back; every bad URL value; a page that failed to load
retries itself; the Chinese 404."""
from __future__ import annotations

import re
import threading
import time

import flask
import pytest

from layouts.wall_ids import IDS
from tests.browser.test_wall import open_wall, wait_ready

pytestmark = pytest.mark.browser

TIP_SHOWN = "() => !!document.querySelector('.cw-tip.is-shown')"
TOOLBAR_SHOWN = "() => [...document.querySelectorAll('.cw-toolbar')].some(e => e.offsetParent !== null)"


@pytest.fixture(autouse=True)
def fresh_data(request):
    """The session's city is pulled once and these tests take minutes: each starts and ends as if the
    scheduler had just confirmed every source (stale badges would dim the numbers they look at, and
    the next module's tests expect fresh data). A test on servers of its own leaves the session's alone."""
    if request.node.get_closest_marker("own_servers"):
        yield
        return
    live_app = request.getfixturevalue("live_app")

    def confirm():
        for dataset in live_app.store.datasets():
            live_app.store.confirm(dataset)
    confirm()
    yield
    confirm()


def _path(page) -> str:
    return page.evaluate("location.pathname + location.search")


# ---- kiosk -----------------------------------------------------------------------------------------------

def test_kiosk_clicks_and_taps_never_navigate(live_app, browser):
    from tests.browser.conftest import PageWatch

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", has_touch=True)
    try:
        watch = PageWatch(context.new_page())
        watch.page.goto(live_app.url + "/wall?kiosk=1&rotate=30", wait_until="load")
        wait_ready(watch.page)
        _kiosk_stays(watch)
    finally:
        context.close()


def _kiosk_stays(watch):
    page = watch.page
    targets = [f"#{IDS['body']['ranking']} .cw-bar-row", f"#{IDS['districts']} a", f"#{IDS['body']['targets']} .cw-bullet",
               ".cw-panel-title", f"#{IDS['kpi']['today']}", f"#{IDS['body']['migration']} .cw-stack-row"]
    for selector in targets:
        page.locator(selector).first.click(force=True)
        page.locator(selector).first.tap(force=True)
    box = page.locator(f"#{IDS['graph']['map']} .js-plotly-plot").bounding_box()
    centre = (box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
    page.mouse.click(*centre)  # a district on the map (a plotly click: clickData)
    page.touchscreen.tap(*centre)
    page.wait_for_timeout(1500)
    assert _path(page) == "/wall?kiosk=1&rotate=30"
    assert page.locator(f"#{IDS['root']}").count() == 1 and not page.locator("h1:has-text('下钻')").count()
    for x in range(0, 1900, 50):  # mouse jitter: nothing comes back
        page.mouse.move(x, 500 + (x % 7))
    page.wait_for_timeout(300)
    assert not page.evaluate(TOOLBAR_SHOWN)
    assert watch.console_errors == []


def test_kiosk_controls_come_back_on_a_key_or_a_long_press_for_30_seconds(live_app, open_page):
    watch = open_page(live_app.url + "/wall?kiosk=1&rotate=30", clock=True)  # the page's 30 s pass at once
    page = watch.page
    wait_ready(page)
    assert not page.evaluate(TOOLBAR_SHOWN)
    page.keyboard.press("Space")
    page.wait_for_function(TOOLBAR_SHOWN, timeout=2_000)
    cursor = page.evaluate(f"getComputedStyle(document.getElementById('{IDS['root']}')).cursor")
    assert cursor != "none"
    page.clock.fast_forward("00:25")
    assert page.evaluate(TOOLBAR_SHOWN)  # still there within the 30 s
    page.clock.fast_forward("00:06")
    page.wait_for_function(f"() => !({TOOLBAR_SHOWN})()", timeout=8_000)  # and gone after them
    # a short press does nothing; a press held still for a second brings them back, and its click does not navigate
    row = page.locator(f"#{IDS['body']['ranking']} .cw-bar-row").first.bounding_box()
    x, y = row["x"] + 20, row["y"] + row["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.wait_for_timeout(300)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert not page.evaluate(TOOLBAR_SHOWN)
    page.mouse.down()
    page.wait_for_timeout(1_300)
    page.mouse.up()
    page.wait_for_function(TOOLBAR_SHOWN, timeout=2_000)
    page.wait_for_timeout(800)
    wall = _path(page)  # the rotation (30 s) may have moved the view on meanwhile
    assert wall.startswith("/wall?kiosk=1&rotate=30") and not page.locator("h1:has-text('下钻')").count()
    # with the controls shown, the toolbar works; the back link then returns to the kiosk wall
    page.locator(".cw-toolbar a:has-text('数据状态')").click()
    page.wait_for_url("**/status", timeout=10_000)
    page.locator("a.cw-back").click()
    page.wait_for_function(f"() => !!document.getElementById('{IDS['root']}')", timeout=20_000)
    assert _path(page) == wall
    assert page.locator(f"#{IDS['root']}.is-kiosk").count() == 1
    watch.screenshot("wall-kiosk-controls")


def test_back_to_the_wall_keeps_its_parameters(live_app, open_page):
    district = live_app.store.frame("regions", "regions").query("level == '区县'")["region_id"].iloc[0]
    query = f"?rotate=30&view=district:{district}&scale=stretch"
    watch = open_wall(open_page, live_app.url + "/wall" + query)
    page = watch.page
    page.locator(f"#{IDS['body']['ranking']} .cw-bar-row").first.click()
    page.wait_for_selector("h1:has-text('部门 ·')", timeout=30_000)  # a full page load of the drill bundle
    page.locator("a.cw-back").click()
    wait_ready(page)
    assert _path(page) == "/wall" + query.replace(":", "%3A")
    assert page.evaluate(f"document.getElementById('{IDS['root']}').getAttribute('data-mode')") == "stretch"


# ---- hover boxes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("selector, lands_on", [(f"#{IDS['body']['ranking']} .cw-bar-row", "部门 ·"),
                                                (f"#{IDS['body']['migration']} .cw-stack-row", "部门 ·"),
                                                (f"#{IDS['body']['targets']} .cw-bullet", "目标指标")])
def test_a_hover_box_does_not_stay_on_the_next_page(live_app, open_page, selector, lands_on):
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    page.locator(selector).first.hover()
    page.wait_for_function(TIP_SHOWN, timeout=5_000)
    page.locator(selector).first.click()  # the mouse does not move after the click
    page.wait_for_selector(f"h1:has-text('{lands_on}')", timeout=30_000)  # a full page load of the drill bundle
    page.wait_for_timeout(300)
    assert not page.evaluate(TIP_SHOWN)


# ---- the server goes away and comes back --------------------------------------------------------------

def _serve(config, port: int):
    """``run.py serve --no-scheduler`` on ``port`` in a process of its own, once it answers."""
    import os
    import subprocess
    import sys

    import requests

    from tests.auth_helpers import ADMIN_PASSWORD, ROOT

    process = subprocess.Popen([sys.executable, "run.py", "--config", str(config), "serve", "--no-scheduler",
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "CITYWALL_ADMIN_PASSWORD": ADMIN_PASSWORD})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/login", timeout=60).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"run.py serve did not answer on port {port}")


def _stop(process) -> None:
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.own_servers
def test_the_wall_says_when_the_server_is_gone_and_recovers_by_itself(wall_config, tmp_path, open_page):
    """The server is a process of its own, stopped and started again on its port: the session's app,
    which the other tests share, never goes away."""
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from tests.browser.conftest import _free_port

    config = tmp_path / "citywall.toml"
    config.write_text(re.sub(r'data_dir = "[^"]*"', f'data_dir = "{tmp_path / "data"}"',
                             wall_config.read_text(encoding="utf-8")).replace("incidents = 20000", "incidents = 2000"),
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    assert all(r.ok for r in Puller(settings, open_store(settings.app.store, settings.data_dir)).run_all("test"))
    port = _free_port()
    server = _serve(config, port)
    try:
        watch = open_wall(open_page, f"http://127.0.0.1:{port}/wall")
        page = watch.page
        page.wait_for_timeout(1500)
        header_time = re.search(r"(\d{2}:\d{2}):\d{2}", page.inner_text(f"#{IDS['updated']}")).group(1)
        assert not page.locator(".cw-offline-banner").count()
        _stop(server)
        page.wait_for_selector(".cw-offline-banner", timeout=20_000)
        assert page.inner_text(".cw-offline-banner") == f"与服务器连接中断 · 显示 {header_time} 的数据"
        dimmed = page.evaluate("getComputedStyle(document.querySelector('.cw-kpi-body')).opacity")
        assert float(dimmed) < 0.6
        clock = page.inner_text(f"#{IDS['clock_time']}")
        page.wait_for_timeout(4000)  # down for a while: still saying so, the clock still ticking
        assert page.locator(".cw-offline-banner").count() == 1 and page.inner_text(f"#{IDS['clock_time']}") != clock
        watch.screenshot("wall-server-gone")
        server = _serve(config, port)
        page.wait_for_function("() => !document.querySelector('.cw-offline-banner') && "
                               "!document.documentElement.classList.contains('cw-offline')", timeout=60_000)
        assert float(page.evaluate("getComputedStyle(document.querySelector('.cw-kpi-body')).opacity")) > 0.9
    finally:
        if server.poll() is None:
            _stop(server)


# ---- bad URL values ------------------------------------------------------------------------------------

BAD_VALUES = {
    "rotate=99999999999999999999": "rotate", "rotate=inf": "rotate", "rotate=1e309": "rotate",
    "rotate=2147484": "rotate", "view=district:999999": "view", "rotate=-5": "rotate", "scale=zoom": "scale",
    "view=" + "x" * 100_000: "view",
}


WATCH_S = 10  # how long each wall's requests are counted


@pytest.fixture(scope="module")
def bad_url_walls(live_app, browser):
    """A wall opened at every bad URL, one after the other, each drawn before the next opens: query →
    (its PageWatch, its /_dash-layout statuses, the times of its requests since, the time it was drawn).
    Their 10-second watches of what they send run side by side, not one after the other; each test
    closes its wall when done."""
    from tests.browser.conftest import PageWatch

    walls = {}
    for query in BAD_VALUES:
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        watch = PageWatch(context.new_page())
        statuses, sent = [], []
        watch.page.on("response", lambda r, statuses=statuses: "/_dash-layout" in r.url and statuses.append(r.status))
        watch.page.goto(f"{live_app.url}/wall?{query}", wait_until="load")
        wait_ready(watch.page)  # the page draws
        watch.page.on("request", lambda r, sent=sent: sent.append(time.monotonic()))
        walls[query] = (watch, statuses, sent, time.monotonic())
    yield walls
    for watch, *_ in walls.values():
        if not watch.page.is_closed():  # a test that failed before closing its wall
            watch.page.context.close()


@pytest.mark.parametrize("query", list(BAD_VALUES), ids=lambda q: q[:30])
def test_a_bad_url_value_never_stops_the_wall(bad_url_walls, query):
    watch, statuses, sent, drawn_at = bad_url_walls[query]
    page = watch.page
    assert statuses and set(statuses) == {200}
    notice = page.locator(".cw-notice")
    notice.wait_for(timeout=5_000)
    assert f"参数 {BAD_VALUES[query]}" in notice.inner_text() and "x" * 20 not in notice.inner_text()
    if query == "scale=zoom":
        watch.screenshot("wall-url-notice")
    assert len(page.evaluate("location.search")) < 100  # the address bar keeps only valid values
    # the page's events reach these lists while a Playwright call runs: wait here past the window's end
    page.wait_for_timeout(max(0.0, drawn_at + WATCH_S - time.monotonic()) * 1000 + 200)
    in_window = [t for t in sent if t <= drawn_at + WATCH_S]
    assert len(in_window) <= 25, len(in_window)  # ~1 poll a second here (app.refresh_seconds = 1); 218 when it spun
    label = page.inner_text(f"#{IDS['view_label']}")
    assert "999999" not in label and "x" * 10 not in label
    assert [e for e in watch.console_errors if "favicon" not in e] == []
    page.context.close()


def test_a_kiosk_wall_shows_no_notice(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall?kiosk=1&scale=zoom")
    watch.page.wait_for_timeout(500)
    assert watch.page.locator(".cw-notice").count() == 0


# ---- a page that fails to load -----------------------------------------------------------------------

def test_a_page_that_failed_to_load_retries_itself_with_backoff(live_app, open_page):
    failing = threading.Event()
    failing.set()

    def refuse_layout():  # a real Flask hook of the running app: /_dash-layout answers 500 while set
        if failing.is_set() and flask.request.path.endswith("/_dash-layout"):
            return flask.Response("服务暂不可用", status=500)
        return None

    hooks = live_app.app.server.before_request_funcs.setdefault(None, [])
    hooks.insert(0, refuse_layout)
    try:
        layout_requests = []
        watch = open_page("about:blank")
        page = watch.page
        page.on("request", lambda r: "/_dash-layout" in r.url and layout_requests.append(time.time()))
        page.goto(f"{live_app.url}/wall?rotate=30", wait_until="load")
        page.wait_for_selector(".cw-load-retry", timeout=10_000)
        assert "页面加载失败" in page.inner_text(".cw-load-retry") and "自动重试" in page.inner_text(".cw-load-retry")
        assert "Error loading" not in page.inner_text("body")
        page.wait_for_timeout(8_000)
        # the first load, then checks after 2 s and 4 s (each asks the layout once): backoff, not a storm
        assert 2 <= len(layout_requests) <= 4, len(layout_requests)
        assert page.evaluate("CityWall.loadRetries()") >= 2
        failing.clear()
        wait_ready(page)  # recovered by itself, with no one at the wall
    finally:
        hooks.remove(refuse_layout)
    assert page.evaluate("CityWall.loadRetries()") == 0
    assert page.evaluate("location.pathname + location.search") == "/wall?rotate=30"
    assert page.evaluate("CityWall.nightlyAt()") > time.time() * 1000  # the nightly reload is set again


# ---- 404 ------------------------------------------------------------------------------------------------

def test_an_unknown_path_is_a_chinese_404_with_a_way_back(live_app, open_page):
    watch = open_page("about:blank")
    page = watch.page
    response = page.goto(f"{live_app.url}/no/such/page", wait_until="load")
    assert response.status == 404
    assert "页面不存在" in page.inner_text("h1") and "Page not found" not in page.content()
    page.locator("a:has-text('返回大屏')").click()
    wait_ready(page)
    # a link inside the app to such a path shows the same words
    page.evaluate("CityWall.go('/no/such/page')")
    page.wait_for_selector("h1:has-text('页面不存在')", timeout=10_000)
    assert "Page not found" not in page.inner_text("body")


QUERIES = ["", "?rotate=30", "?rotate=12.5", "?rotate=-5", "?rotate=99999999999999999999", "?rotate=inf", "?rotate=1e309",
           "?rotate=abc", "?rotate=0", "?kiosk=1&rotate=30", "?kiosk=maybe", "?scale=zoom", "?scale=stretch",
           "?view=city", "?view=district:999999", "?view=" + "x" * 100, "?rotate=5&rotate=6", "?kiosk=ON&scale=fit"]


def test_the_browser_checks_parameters_with_the_servers_rules(live_app, open_page):
    from dashboard.pages import query_values
    from dashboard.wall_view import geography_of
    from layouts.wall_panels import district_names
    from layouts.wall_params import parse
    from dashboard import runtime

    districts = district_names(geography_of(runtime.current()))
    watch = open_wall(open_page, live_app.url + "/wall")
    for query in QUERIES + [f"?view=district:{next(iter(districts))}"]:
        server = parse(query_values(query), districts=districts, default_rotate=20, default_scale="fit")
        browser = watch.page.evaluate("([q, d]) => CityWall.wallParams(q, {rotate: 20, mode: 'fit', districts: d})",
                                      [query, list(districts)])
        assert (browser["kiosk"], browser["rotate"], browser["view"], browser["scale"], tuple(browser["notices"])) == (
            server.kiosk, server.rotate, server.view, server.scale, server.notices), query
