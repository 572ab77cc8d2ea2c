"""The wall in headless Chromium: every panel drawn at 1920×1080 and 3840×2160, no console error,
no scrollbar, no request off 127.0.0.1, the page in the first layout response, silent per-dataset
refresh, stale badges, kiosk mode, drill-down clicks."""
import pytest

from dashboard.app import PLOTLY_BUNDLE_TRACES
from layouts.wall_ids import IDS

pytestmark = pytest.mark.browser

GRAPH_IDS = list(IDS["graph"].values())
#: assets/drawn.js's "all panels drawn" flag: every graph drawn, every HTML panel mounted, nothing loading
DRAWN = "() => !!document.documentElement.dataset.cwDrawn"


def wait_ready(page):
    page.wait_for_function(DRAWN, timeout=60_000)


def open_wall(open_page, url: str, *size):
    """The wall at ``url`` in a new page, every panel drawn (the page's drawn flag); → its PageWatch."""
    watch = open_page(url, *size)
    wait_ready(watch.page)
    return watch


def callback_output(request) -> str | None:
    """The output of a Dash callback request (Dash 4 posts them to a hashed URL), else None."""
    if request.method != "POST":
        return None
    try:
        return (request.post_data_json or {}).get("output")
    except ValueError:
        return None


@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_wall_draws_every_panel(live_app, open_page, width, height):
    watch = open_wall(open_page, live_app.url + "/wall", width, height)
    page = watch.page
    # the drawn flag carries the version signature the page was drawn from (read in one step: a
    # refresh tick lowers the flag while its callback runs, and raises it again when drawn)
    page.wait_for_function("""(id) => {
        const flag = document.documentElement.dataset.cwDrawn;
        return !!flag && flag === document.getElementById(id).getAttribute('data-cw-version');
    }""", arg=IDS["root"], timeout=30_000)
    for graph_id in GRAPH_IDS:  # every figure has data, not the "暂无数据" placeholder
        traces = page.evaluate("(id) => document.getElementById(id).querySelector('.js-plotly-plot').data.length",
                               graph_id)
        assert traces > 0, graph_id
        text = page.inner_text(f"#{graph_id}")
        assert "暂无数据" not in text, graph_id
    for body_id in IDS["body"].values():  # the HTML panels (meters, rankings, bullets) have their rows
        text = page.inner_text(f"#{body_id}")
        assert text.strip() and "暂无数据" not in text, body_id
    assert page.locator(f"#{IDS['body']['ranking']} .cw-bar-row").count() == 8  # best 4 and worst 4 at 16 px
    cut_off = page.evaluate("""() => [...document.querySelectorAll('.cw-html-body')]
        .filter(b => b.firstChild && b.firstChild.scrollHeight > b.clientHeight + 1).map(b => b.id)""")
    assert cut_off == [], cut_off  # every row of every HTML panel fits its panel
    assert page.locator(f"#{IDS['body']['targets']} .cw-bullet").count() >= 5
    for kpi_id in IDS["kpi"].values():
        value = page.inner_text(f"#{kpi_id}").strip()
        assert value and not value.startswith("—"), (kpi_id, value)
    assert page.locator(f"#{IDS['ticker']} li").count() >= 5
    header = page.inner_text("header")
    assert "示范市" in header and "智慧城市运行指挥中心" in header and "星期" in header
    # the canvas is scaled to the window: fit mode fills one dimension exactly, no scrollbars
    box = page.evaluate(f"document.getElementById('{IDS['canvas']}').getBoundingClientRect().toJSON()")
    assert abs(box["width"] - width) <= 2 or abs(box["height"] - height) <= 2, box
    overflow = page.evaluate("""() => ({sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight,
                                       w: window.innerWidth, h: window.innerHeight})""")
    assert overflow["sw"] <= overflow["w"] and overflow["sh"] <= overflow["h"], overflow
    page.wait_for_timeout(1500)  # a few refresh ticks
    assert watch.console_errors == []
    assert watch.off_host() == [], watch.off_host()
    # the page came with the first /_dash-layout response: no routing callback was needed
    assert not [u for u in watch.posts if "_pages_content" in u], watch.posts
    # the figures were drawn by the cartesian bundle, and the full plotly.js was never fetched
    assert not [u for u in watch.requests if "plotly.min.js" in u], watch.requests
    registered = page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")
    assert set(registered) == PLOTLY_BUNDLE_TRACES
    watch.screenshot(f"wall-{width}x{height}")


@pytest.mark.parametrize("mode", ["fill-width", "stretch"])
def test_scale_modes_have_no_scrollbars(live_app, open_page, mode):
    watch = open_wall(open_page, live_app.url + f"/wall?scale={mode}", 1600, 1200)
    page = watch.page
    box = page.evaluate(f"document.getElementById('{IDS['canvas']}').getBoundingClientRect().toJSON()")
    assert abs(box["width"] - 1600) <= 2, box
    if mode == "stretch":
        assert abs(box["height"] - 1200) <= 2, box
    overflow = page.evaluate("[document.documentElement.scrollWidth <= innerWidth, "
                             "document.documentElement.scrollHeight <= innerHeight]")
    assert overflow == [True, True]
    watch.screenshot(f"wall-{mode}-1600x1200")


def test_publish_to_one_dataset_redraws_only_its_panels(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    page.wait_for_timeout(2500)
    outputs = []
    page.on("request", lambda r: (out := callback_output(r)) and outputs.append(out))
    map_fills = f"document.getElementById('{IDS['graph']['map']}').querySelector('.js-plotly-plot').data.map(t => t.fillcolor)"
    map_before = page.evaluate(map_fills)
    caption = f"document.getElementById('{IDS['caption']['exchange']}').innerText"
    caption_before = page.evaluate(caption)
    assert "近30日合计" in caption_before
    assert map_before and all(map_before[:3]), map_before  # one filled trace per district
    page.wait_for_timeout(2500)  # unchanged ticks: only the poll
    assert outputs and all(IDS["versions"] in o for o in outputs), outputs
    outputs.clear()

    snap = live_app.store.snapshot("exchange")
    daily = snap.frames["daily"].copy()
    daily.loc[daily.index[-1], "records"] = int(daily["records"].iloc[-1]) + 123_456
    live_app.store.publish("exchange", {**snap.frames, "daily": daily}, snap.meta)
    page.wait_for_function("(id) => document.getElementById(id).querySelector('.js-plotly-plot').data[0].y.slice(-1)[0] > 0",
                           arg=IDS["graph"]["exchange"], timeout=10_000)
    page.wait_for_timeout(2500)
    redraws = [o for o in outputs if IDS["versions"] not in o]
    assert any(IDS["graph"]["exchange"] in o for o in redraws), redraws
    for other in (IDS["graph"]["map"], IDS["graph"]["hour_weekday"], IDS["body"]["sharing"], IDS["body"]["cloud"],
                  IDS["body"]["targets"], IDS["kpi"]["today"]):
        assert not any(other in o for o in redraws), (other, redraws)
    assert page.evaluate(map_fills) == map_before
    assert page.evaluate(caption) != caption_before  # the total over the trend changed with it
    last = page.evaluate(f"document.getElementById('{IDS['graph']['exchange']}').querySelector('.js-plotly-plot').data[0].y.slice(-1)[0]")
    assert last == pytest.approx(int(daily["records"].iloc[-1]), rel=1e-6) or last == pytest.approx(
        int(daily["records"].iloc[-1]) / 1e4, rel=1e-6)


def test_stale_dataset_shows_its_badge(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    try:
        live_app.store.mark_failed("systems", "数据源「演示-信息系统」无法连接: 测试", ("演示-信息系统",))
        page.wait_for_function("""() => [...document.querySelectorAll('.cw-panel.is-stale')]
                                  .some(p => p.innerText.includes('数据滞后'))""", timeout=10_000)
        stale_text = page.evaluate("""() => [...document.querySelectorAll('.cw-panel.is-stale')]
                                      .map(p => p.innerText).join('|')""")
        assert "上云" in stale_text and "数据滞后" in stale_text
        watch.screenshot("wall-stale-systems")
    finally:
        # the source answers again; every other dataset too (the session's data ages while the suite runs)
        for dataset in live_app.store.datasets():
            live_app.store.confirm(dataset)
    page.wait_for_function("() => !document.querySelector('.cw-panel.is-stale')", timeout=10_000)


def test_kiosk_hides_controls_and_cursor(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall?kiosk=1")
    page = watch.page
    cursor = page.evaluate(f"getComputedStyle(document.getElementById('{IDS['root']}')).cursor")
    assert cursor == "none"
    visible_controls = page.evaluate("""() => [...document.querySelectorAll('.cw-toolbar, .cw-toolbar *')]
                                        .filter(e => e.offsetParent !== null).length""")
    assert visible_controls == 0
    watch.screenshot("wall-kiosk")


def test_rotation_cycles_views_and_url_reopens_a_view(live_app, open_page):
    district = live_app.store.frame("regions", "regions").query("level == '区县'")["region_id"].iloc[0]
    name = live_app.store.frame("regions", "regions").set_index("region_id").loc[district, "name"]
    watch = open_wall(open_page, live_app.url + f"/wall?view=district:{district}")
    assert name in watch.page.inner_text(f"#{IDS['view_label']}")
    rotating = open_wall(open_page, live_app.url + "/wall?rotate=5")  # 5 s: the shortest period (wall_params)
    labels = set()
    for _ in range(14):
        labels.add(rotating.page.inner_text(f"#{IDS['view_label']}"))
        rotating.page.wait_for_timeout(600)
    assert len(labels) >= 2, labels


def test_clicking_a_district_opens_its_drill_down(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    page.evaluate("window.__samePage = true")
    page.locator(f"#{IDS['districts']} a").first.click()  # a link in server-rendered markup
    page.wait_for_url("**/district/*", timeout=10_000)
    assert "/district/" in page.url
    page.wait_for_selector("#incidents-page h1", timeout=30_000)  # the district's incidents view
    # a drill-down page is a page of another kind (Bootstrap): loaded anew; since main's 377a652 a district's
    # page draws with the cartesian bundle too (only /department's sankey needs the full one)
    assert page.evaluate("window.__samePage") is None
    assert page.evaluate("!!document.querySelector('link[href*=\"bootstrap\"]')")
    assert watch.console_errors == []


def test_html_panels_show_details_on_hover_and_open_drill_downs(live_app, open_page, monkeypatch):
    """…and 指挥调度: an instruction issued brings it to the front of the targets' box, with the counts
    of the app database and an overdue count in red whose hover says its 口径."""
    import re
    import time
    from datetime import datetime, timedelta

    from dashboard import command_feed
    from dashboard import instructions as ins
    from dashboard import instructions_view as iv
    from dashboard.indicators import REGISTRY
    from dashboard.permissions import DEFAULT_ROLES, Caller

    monkeypatch.setattr(command_feed.FEED_CACHE, "ttl", 0.5)  # the default 5 s would only slow the test
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    assert page.evaluate("CityWall.frontFace()") == 0  # the targets first
    page.locator(f"#{IDS['body']['targets']} .cw-bullet").first.hover()
    page.wait_for_selector(".cw-tip.is-shown", timeout=5_000)
    tip = page.inner_text(".cw-tip")
    assert "依据：" in tip and "期限" in tip and "目标" in tip

    engine, now = live_app.puller.engine, datetime.now(ins.TIMEZONE)
    leader = Caller(name="leader-wall", role="leader", permissions=DEFAULT_ROLES["leader"], kind="user")
    ins.issue(engine, text="核查大屏指挥调度的超期件", dept_id="D002", department="示范市城市管理局", caller=leader,
              now=now - timedelta(hours=1), deadline=now - timedelta(minutes=1))  # overdue already
    page.wait_for_function("() => CityWall.frontFace() === 1", timeout=15_000)
    expected = iv.panel_now(engine, time.time())
    body = f"#{IDS['body']['command']}"
    shown = re.sub(r"\s+", "", page.inner_text(body))
    assert (f"今日下达{expected.issued_today}条" in shown and f"未办结{expected.open}条" in shown
            and f"超期{expected.overdue}条" in shown), shown
    assert "城市管理局1" in shown and "leader-wall下达核查大屏指挥" in shown  # the city's name left out
    overdue = page.locator(f"{body} .cw-cmd-value.is-bad")
    assert overdue.evaluate("e => getComputedStyle(e).color") == "rgb(255, 90, 110)"  # --cw-bad
    overdue.hover()
    page.wait_for_function("() => ((document.querySelector('.cw-tip.is-shown') || {}).innerText || '').includes('超期指令')",
                           timeout=5_000)
    assert f"口径：{REGISTRY['overdue_instructions'].formula}" in page.inner_text(".cw-tip")
    watch.screenshot("wall-command")
    page.locator(f"#{IDS['body']['ranking']} .cw-bar-row").first.click()
    page.wait_for_url("**/department/*", timeout=30_000)  # a full page load (another bundle): slow on a busy machine
    page.wait_for_selector("h1:has-text('部门 ·')", timeout=30_000)  # the page follows the URL
    assert watch.console_errors == []


def test_district_view_shows_the_districts_numbers(live_app, open_page):
    """/wall?view=district:<id>: the incident tiles, the side figures and the 分类 heatmap's columns
    are that district's, and the page says so; the city programmes' panels say 全市."""
    regions = live_app.store.frame("regions", "regions")
    district = regions.query("level == '区县'")["region_id"].iloc[0]
    name = regions.set_index("region_id").loc[district, "name"]
    summary = live_app.store.frame("incidents", "summary_by_district")
    today = summary[(summary["district_id"] == district) & (summary["period"] == "今日")].iloc[0]
    recent = summary[(summary["district_id"] == district) & (summary["period"] == "近30日")].iloc[0]
    watch = open_wall(open_page, live_app.url + f"/wall?view=district:{district}")
    page = watch.page
    tile = page.inner_text(f"#{IDS['kpi']['today']}")
    assert tile.replace("\n", "").startswith(f"{int(today['incidents']):,}件")
    assert f"全部未办结 {int(today['open_all']):,}" in tile.replace("\n", " ")
    assert page.inner_text(f"#{IDS['scope']['kpi-today']}") == name
    closure = page.inner_text(f"#{IDS['kpi']['closure']}").replace("\n", "")
    assert closure.startswith(f"{recent['closure_rate'] * 100:.1f}%")
    side = page.inner_text(f"#{IDS['districts']}")
    assert f"{int(recent['incidents']):,}" in side and f"{name}镇街事件排行" in side
    streets = set(regions.query("level == '镇街' and district_id == @district")["name"])
    columns = page.evaluate("(id) => document.getElementById(id).querySelector('.js-plotly-plot').data[0].x",
                            IDS["graph"]["category_district"])
    assert columns and set(columns) <= streets | {"未知区域"}
    assert f"{name} · 近30日" in page.inner_text(f"#{IDS['scope']['hour_weekday']}")
    assert "全市" in page.inner_text("[id*='\"name\":\"cloud\"'] .cw-panel-subtitle")
    page.locator(f"#{IDS['kpi']['today']} .cw-kpi-value").hover()
    page.wait_for_selector(".cw-tip.is-shown", timeout=5_000)
    tip = page.inner_text(".cw-tip")
    assert tip.startswith(f"{name} 事件数") and "口径：" in tip and "依据：" in tip and "数据截至：" in tip
    watch.screenshot("wall-district")
    assert watch.console_errors == []


def test_rotating_to_a_district_redraws_the_scopes(live_app, open_page):
    """A view change in the browser (rotation) redraws the scope blocks with the panels."""
    watch = open_wall(open_page, live_app.url + "/wall?rotate=4")
    page = watch.page
    page.wait_for_function("(id) => !document.getElementById(id).innerText.endsWith('全市')", arg=IDS["view_label"],
                           timeout=15_000)
    page.wait_for_function("""([label, scope]) => {
        const name = document.getElementById(label).innerText.split('：').pop().split(' · ')[0];  // 东湖区 · 轮播 2/8
        return document.getElementById(scope).innerText === name;
    }""", arg=[IDS["view_label"], IDS["scope"]["kpi-today"]], timeout=15_000)
    assert watch.console_errors == []


def test_the_clock_shows_the_citys_time_whatever_the_screens_zone(live_app, browser):
    """A wall PC set to another zone (here UTC) still shows 示范市's clock (city.timezone, Asia/Shanghai),
    and reloads at night at the city's 03:30 (app.nightly_reload), not at 03:30 on its own clock."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")

    def next_reload(moment: datetime) -> float:
        at = moment.replace(hour=3, minute=30, second=0, microsecond=0)
        return (at if at > moment else at + timedelta(days=1)).timestamp()

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="UTC")
    try:
        page = context.new_page()
        before = datetime.now(zone)
        page.goto(live_app.url + "/wall", wait_until="load")
        wait_ready(page)
        shown = page.inner_text("#wall-clock-time") + " " + page.inner_text("#wall-clock-date")
        city = datetime.now(zone)
        candidates = {(city + timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0, 60)}
        assert shown[:5] in candidates, (shown, city)
        assert f"{city.year}年{city.month}月{city.day}日" in shown
        assert live_app.settings.app.nightly_reload == "03:30"
        nightly = page.evaluate("CityWall.nightlyAt()") / 1000
        assert nightly in {next_reload(before), next_reload(city)}, datetime.fromtimestamp(nightly, zone)
    finally:
        context.close()
