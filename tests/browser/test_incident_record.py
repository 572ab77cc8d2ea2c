"""/incident/<id> (事件详情) in headless Chromium over the seeded demo city: a table row's dialog links
to the record's own page, the page at 1920×1080 and at 1366×1024 by touch, an unknown id, and the way
back to the wall (大屏 crumb, the wall's district view carried into the drill-down's URL)."""
from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

from tests.browser.test_incidents import wait_page
from tests.browser.test_wall import open_wall


def _district(live_app) -> tuple[str, str]:
    from dashboard import runtime

    regions = runtime.current().geography.regions
    first = regions[regions["level"] == "区县"].sort_values("region_id").iloc[0]
    return str(first["region_id"]), str(first["name"])


def wait_record(page):
    page.wait_for_selector("#incident-record-page h1", timeout=60_000)


def test_a_row_opens_the_record_and_its_link_opens_the_records_own_page(live_app, open_page):
    watch = open_page(live_app.url + "/incidents?period=7d")
    page = watch.page
    wait_page(page)
    page.locator("#inc-grid .ag-center-cols-container .ag-row[row-index='0'] .ag-cell").first.click()
    page.wait_for_selector("#inc-record-link", timeout=30_000)
    incident_id = page.inner_text("#inc-grid .ag-center-cols-container .ag-row[row-index='0'] .ag-cell >> nth=0")
    href = page.get_attribute("#inc-record-link", "href")
    assert unquote(href) == f"/incident/{incident_id}" and page.inner_text("#inc-record-link") == "在新页面打开 / 复制链接"
    with page.context.expect_page() as opened:
        page.click("#inc-record-link")
    record = opened.value
    wait_record(record)
    assert record.inner_text("#incident-record-page h1") == f"事件 {incident_id}"
    text = record.inner_text("#incident-record-page")
    for label in ("事件编号", "受理时间", "区县", "镇街", "网格", "事件分类", "来源", "办理状态", "办理时限", "处置时长",
                  "办理时间线", "受理"):
        assert label in text, label
    crumbs = record.eval_on_selector_all(".cw-breadcrumb .cw-crumb", "els => els.map(e => e.textContent)")
    assert crumbs[:2] == ["大屏", "全市"] and crumbs[-1] == f"事件 {incident_id}" and len(crumbs) >= 4
    assert watch.off_host() == [] and watch.console_errors == []


def test_the_record_page_at_desktop_and_tablet_sizes(live_app, open_page):
    from dashboard import runtime

    detail = runtime.current().store.frame("incidents", "detail")
    closed = detail[detail["closed_at"].notna()]
    incident_id = str(closed["incident_id"].iloc[0])
    for width, height in ((1920, 1080), (1366, 1024)):
        watch = open_page(f"{live_app.url}/incident/{incident_id}", width, height)
        page = watch.page
        wait_record(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        steps = page.eval_on_selector_all(".cw-irec-step", "els => els.map(e => e.textContent)")
        assert steps[0] == "受理" and "办结" in steps and set(steps) <= {"受理", "办理时限", "办结"}
        buttons = page.eval_on_selector_all("#incident-record-page .cw-button",
                                            "els => els.map(e => e.getBoundingClientRect().height)")
        assert buttons and min(buttons) >= 40  # finger-sized on the tablet
        watch.screenshot(f"incident-record-{width}x{height}")
        assert watch.off_host() == [] and watch.console_errors == []


def test_an_unknown_id_gives_a_chinese_notice_and_404(live_app, open_page):
    watch = open_page(live_app.url + "/incident/NOPE-404")
    page = watch.page
    wait_record(page)
    assert page.inner_text("#incident-record-page h1") == "事件不存在（404）"
    assert "未找到事件「NOPE-404」" in page.inner_text(".cw-drill-notices")
    watch.screenshot("incident-record-unknown-1920x1080")
    assert page.request.get(live_app.url + "/incident/NOPE-404").status == 404
    assert page.request.get(live_app.url + "/incident/%3Cscript%3E").status == 404
    assert watch.console_errors == [] or all("404" in e for e in watch.console_errors)


def test_the_wall_crumb_returns_to_the_wall_in_the_districts_view(live_app, open_page):
    district, name = _district(live_app)
    watch = open_page(f"{live_app.url}/incidents?region={district}")
    page = watch.page
    wait_page(page, name)
    first = page.locator(".cw-breadcrumb .cw-crumb").first
    assert first.inner_text() == "大屏"
    first.click()
    page.wait_for_selector("#wall-root", timeout=60_000)
    assert parse_qs(urlparse(page.url).query).get("view") == [f"district:{district}"]
    page.wait_for_function("(n) => document.body.innerText.includes('当前视图：' + n)", arg=name, timeout=30_000)


def _landed(page) -> None:
    """The /incidents page a wall link opened, its table's first row shown (today's table of one district
    may hold a single row early in the day: AG Grid once left such a row hidden under .ag-delay-render)."""
    page.wait_for_selector("#incidents-page", timeout=60_000)
    page.wait_for_selector("#inc-grid .ag-center-cols-container .ag-row", state="visible", timeout=30_000)


def test_wall_links_in_a_district_view_carry_the_region(live_app, open_page):
    from dashboard import runtime

    regions = runtime.current().geography.regions
    districts = regions[regions["level"] == "区县"].sort_values("region_id")["region_id"].astype(str).tolist()
    first, second = districts[0], districts[1]
    watch = open_wall(open_page, f"{live_app.url}/wall?view=district:{first}")
    page = watch.page
    page.click("#wall-kpi-today")
    _landed(page)
    assert parse_qs(urlparse(page.url).query) == {"period": ["today"], "region": [first]}
    # the rotation turns the view over in place (wall.js setParam): a link follows the view of the moment
    watch = open_wall(open_page, f"{live_app.url}/wall?view=district:{first}")
    page = watch.page
    page.evaluate("(v) => { const u = new URL(location.href); u.searchParams.set('view', v);"
                  " history.replaceState(history.state, '', u.pathname + u.search); }", f"district:{second}")
    page.click("#wall-kpi-closure")
    _landed(page)
    assert parse_qs(urlparse(page.url).query) == {"region": [second]}
