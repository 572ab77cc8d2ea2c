"""The programme drill-downs in headless Chromium: a department opened from the wall's ranking, a
filter writing the URL (back restores it), a table's sort in the URL, bad query values, the tablet
viewport by touch, and the scoreboard's 通报 listing. Every request stays on 127.0.0.1."""
from datetime import date

import pytest

from dashboard.scoreboard import scoreboard
from layouts.wall_ids import IDS

pytestmark = pytest.mark.browser

ROWS = ".cw-drill-page .ag-center-cols-container .ag-row"


def open_drill(open_page, url: str, *size, rows: bool = False):
    """The drill page at ``url`` with its title (and, with ``rows``, its main table's rows) drawn."""
    watch = open_page(url, *size)
    watch.page.wait_for_selector(".cw-drill-page h1", timeout=30_000)
    if rows:
        watch.page.wait_for_selector(ROWS, timeout=20_000)
    return watch


def grid_texts(page, column: str) -> list[str]:
    return page.eval_on_selector_all(f"{ROWS} [col-id='{column}']", "cells => cells.map(c => c.innerText.trim())")


def test_a_department_opens_from_the_walls_ranking(live_app, open_page):
    watch = open_page(live_app.url + "/wall")
    page = watch.page
    row = page.locator(f"#{IDS['body']['ranking']} .cw-bar-row").first
    row.wait_for(timeout=60_000)
    href = row.get_attribute("data-href")
    dept_id = href.rsplit("/", 1)[-1]
    name = live_app.store.frame("departments", "departments").set_index("dept_id").loc[dept_id, "name"]
    row.click()
    page.wait_for_url(f"**{href}", timeout=10_000)
    page.wait_for_selector(f"h1:has-text('部门 · {name}')", timeout=20_000)
    page.wait_for_selector(ROWS, timeout=20_000)
    crumbs = page.inner_text(".cw-breadcrumb")
    assert crumbs.split("\n")[-1].strip() == name and "数据共享" in crumbs
    items = live_app.store.frame("catalog", "items")
    assert page.inner_text(".ag-paging-row-summary-panel").endswith(f"/ {(items['dept_id'] == dept_id).sum()}")
    trend = page.evaluate("() => document.querySelector('#department-trend .js-plotly-plot')._fullData[0].x.length")
    assert trend > 100  # the back-filled per-department history
    page.click(".cw-breadcrumb a:has-text('数据共享')")  # one click up
    page.wait_for_url("**/sharing", timeout=10_000)
    page.wait_for_selector("h1:has-text('数据共享')", timeout=20_000)
    assert watch.off_host() == []


def test_a_departments_exchange_partners_are_a_sankey(live_app, open_page):
    pairs = live_app.store.frame("exchange", "pairs_30d")
    dept_id = pairs["provider_dept"].value_counts().index[0]
    partners = ((pairs["provider_dept"] == dept_id) | (pairs["consumer_dept"] == dept_id)).sum()
    watch = open_drill(open_page, live_app.url + f"/department/{dept_id}")  # opened as a drill page: full bundle
    page = watch.page
    page.wait_for_selector("#department-sankey .sankey-node", timeout=20_000)
    assert page.locator("#department-sankey .sankey-node").count() == partners + 1  # each partner, and itself
    assert watch.console_errors == [] and watch.off_host() == []


def test_a_filter_writes_the_url_and_back_restores_it(live_app, open_page):
    watch = open_drill(open_page, live_app.url + "/sharing", rows=True)
    page = watch.page
    page.evaluate("window.__samePage = true")
    by_dept = live_app.store.frame("catalog", "by_dept")
    red = int((by_dept["sharing_rate"] < live_app.settings.scoreboard.yellow_at).sum())
    assert 0 < red < len(by_dept)
    summary = ".cw-drill-page .ag-paging-row-summary-panel"
    assert page.inner_text(summary).endswith(f"/ {len(by_dept)}")
    page.click("button[id*='\"key\":\"light\"']")
    page.get_by_role("option", name="红灯").click()
    page.wait_for_url("**/sharing?light=red", timeout=10_000)
    page.wait_for_function("([sel, n]) => document.querySelector(sel).innerText.endsWith('/ ' + n)",
                           arg=[summary, red], timeout=10_000)
    assert set(grid_texts(page, "light")) == {"红灯"}
    assert page.evaluate("window.__samePage === true")  # no reload
    page.go_back()
    page.wait_for_url("**/sharing", timeout=10_000)
    page.wait_for_function("([sel, n]) => document.querySelector(sel).innerText.endsWith('/ ' + n)",
                           arg=[summary, len(by_dept)], timeout=10_000)
    assert page.inner_text("button[id*='\"key\":\"light\"']").strip() == "全部"
    # a reload of the filtered URL (or a colleague opening it) shows the same view
    shared = open_drill(open_page, live_app.url + "/sharing?light=red", rows=True).page
    assert set(grid_texts(shared, "light")) == {"红灯"}
    assert watch.console_errors == [] and watch.off_host() == []


def test_a_table_sort_goes_into_the_url(live_app, open_page):
    watch = open_drill(open_page, live_app.url + "/scoreboard", rows=True)
    page = watch.page
    page.click(".ag-header-cell[col-id='score'] .ag-header-cell-label")
    page.wait_for_url("**/scoreboard?sort=*score*", timeout=10_000)
    sorted_url = page.url
    reopened = open_drill(open_page, sorted_url, rows=True).page
    scores = [float(s) for s in grid_texts(reopened, "score")]
    assert scores == sorted(scores, reverse=sorted_url.endswith("-score"))
    assert watch.console_errors == []


@pytest.mark.parametrize("path, notice", [
    ("/sharing?light=%3Cscript%3Ealert(1)%3C/script%3E", "信号灯「<script>alert(1)</script…」不存在或不可选"),
    ("/department/999999", "部门「999999」不存在或不可选"),
    ("/exchange?provider=nope&period=2026-13-45", "提供部门「nope」不存在或不可选"),
    ("/cloud?status=%27%20OR%201%3D1&page=abc", "状态「' OR 1=1」不存在或不可选"),
    ("/target/nope", "目标「nope」不存在或不可选"),
    ("/scoreboard?sort=score;drop", "排序「score;drop」不是可排序的列"),
])
def test_bad_query_values_give_a_notice_and_the_default_view(live_app, open_page, path, notice):
    watch = open_drill(open_page, live_app.url + path)
    page = watch.page
    page.wait_for_selector(".cw-drill-notices", timeout=20_000)
    assert notice in page.inner_text(".cw-drill-notices")
    page.wait_for_selector(ROWS, timeout=20_000)  # the default view's table, not a blank page
    # the table's first sort and page report corrects the address bar without a redraw: the notice stays
    page.wait_for_function("() => !location.search.includes('drop') && !location.search.includes('abc')",
                           timeout=10_000)
    assert notice in page.inner_text(".cw-drill-notices", timeout=5_000)
    assert "Traceback" not in page.content() and watch.console_errors == []
    assert page.evaluate("() => !!document.querySelector('script') && !window.__xss")


def test_the_tablet_viewport_by_touch(live_app, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 1024}, has_touch=True, is_mobile=False,
                                  locale="zh-CN")
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        for path in ("/sharing", "/exchange", "/cloud", "/targets", "/scoreboard"):
            page.goto(live_app.url + path, wait_until="load")
            page.wait_for_selector(ROWS, timeout=30_000)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        page.goto(live_app.url + "/cloud", wait_until="load")
        number = page.locator(".cw-stat-value").first
        number.wait_for(timeout=20_000)
        number.tap()  # no hover on a tablet: a tap shows the number's 口径
        page.wait_for_selector(".cw-tip.is-shown", timeout=5_000)
        tip = page.inner_text(".cw-tip")
        assert "非涉密系统上云率" in tip and "口径：" in tip and "依据：" in tip and "数据截至：" in tip
        page.tap("h1")
        page.wait_for_function("() => !document.querySelector('.cw-tip.is-shown')", timeout=5_000)  # tap away
        box = page.locator("button[id*='\"key\":\"status\"']").bounding_box()
        assert box["height"] >= 40  # a finger-sized filter
        assert all(r.startswith(live_app.url) or r.startswith(("data:", "blob:")) for r in requests)
    finally:
        context.close()


def test_the_scoreboard_names_the_departments_below_threshold(live_app, open_page):
    store, settings = live_app.store, live_app.settings
    board = scoreboard(store.frame("catalog", "by_dept"), store.frame("systems", "by_dept_status"),
                       store.frame("departments", "departments"), store.frame("department_history", "history"),
                       settings.scoreboard, date.today())
    assert len(board.lagging) > 0 and board.apart.empty
    watch = open_drill(open_page, live_app.url + "/scoreboard")
    page = watch.page
    items = page.locator("#scoreboard-lagging li")
    assert items.count() == len(board.lagging)
    first = items.first.inner_text()
    worst = board.lagging.iloc[0]
    assert worst["name"] in first and f"{worst['score'] * 100:.1f}" in first and f"第 {worst['rank']} 名" in first
    assert "较上周" in first  # the back-filled history gives a change from the first start
    rule = page.inner_text("#scoreboard-rule")
    assert "政务数据共享率 × 40%" in rule and "非涉密系统上云率 × 30%" in rule
    page.wait_for_selector(ROWS, timeout=20_000)
    watch.screenshot("scoreboard")
    assert watch.console_errors == [] and watch.off_host() == []
