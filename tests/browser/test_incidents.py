"""/incidents (事件 · 一张图) in headless Chromium over the seeded demo city: drilling from the wall down
to a grid and back up, URL state (filters, back, a shared link), bad query values, the server-side
table and its download, and the tablet by touch."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_wall import open_wall

KPI = "#inc-kpi-incident_count .cw-stat-value"


def wait_page(page, title_part: str = ""):
    page.wait_for_selector("#incidents-page", timeout=60_000)
    if title_part:
        page.wait_for_function("(t) => document.querySelector('#incidents-page h1').textContent.includes(t)",
                               arg=title_part, timeout=30_000)
    page.wait_for_selector("#inc-grid .ag-center-cols-container .ag-row", timeout=30_000)


def choose(page, dropdown: str, label: str) -> None:
    """Pick ``label`` in a filter's dropdown, as a user does."""
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=label, exact=True).click()


def shown_choice(page, dropdown: str) -> str:
    return page.inner_text(f"#{dropdown}").strip()


def kpis(page) -> list[str]:
    return page.eval_on_selector_all(".cw-stat-value", "els => els.map(e => e.textContent)")


def click_map_child(page, index: int = 0) -> str:
    """Click the ``index``-th filled region of the map the way plotly.js reports a click on a fill
    (no point number; the trace's customdata holds its URL) → that URL."""
    return page.evaluate("""(i) => {
      const gd = document.querySelector('#inc-map .js-plotly-plot');
      const traces = gd.data.filter(t => t.fill === 'toself' && t.customdata);
      const t = traces[i];
      gd.emit('plotly_click', {points: [{curveNumber: gd.data.indexOf(t), data: t}]});
      return t.customdata[0];
    }""", index)


def names_of(live_app):
    from dashboard import runtime

    regions = runtime.current().geography.regions
    return dict(zip(regions["region_id"].astype(str), regions["name"].astype(str))), regions


def test_drill_from_the_wall_to_a_grid_and_back_up(live_app, open_page):
    names, regions = names_of(live_app)
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    row = page.locator("a.cw-drow").first
    district = urlparse(row.get_attribute("href")).path.rsplit("/", 1)[1]
    row.click()
    wait_page(page, names[district])
    assert page.url.endswith(f"/district/{district}")
    assert page.locator(".cw-crumb").all_inner_texts() == ["大屏", "全市", names[district]]

    street_href = click_map_child(page)  # a street of the district
    street = parse_qs(urlparse(street_href).query)["region"][0]
    wait_page(page, names[street])
    assert regions.set_index("region_id").at[street, "parent_id"] == district
    assert "region=" + street in page.url

    grid_link = page.locator(".cw-hot-row a").first  # the hottest grid of the street
    grid = parse_qs(urlparse(grid_link.get_attribute("href")).query)["region"][0]
    grid_link.click()
    wait_page(page, names[grid])
    assert page.locator(".cw-crumb").all_inner_texts() == ["大屏", "全市", names[district], names[street], names[grid]]
    assert "事件点位密度" in page.inner_text("#incidents-page")  # no level below a grid: its incidents' points

    page.locator("a.cw-crumb", has_text=names[district]).click()  # one click up to the district
    wait_page(page, names[district])
    page.locator("a.cw-crumb", has_text="全市").click()
    wait_page(page, "全市")
    assert watch.off_host() == [] and watch.console_errors == []


def test_a_filter_change_updates_the_url_and_back_restores_it(live_app, open_page):
    watch = open_page(live_app.url + "/incidents")
    page = watch.page
    wait_page(page)
    before = kpis(page)
    choose(page, "inc-category", "市容环境")
    page.wait_for_function("() => location.search.includes('category=')", timeout=30_000)
    page.wait_for_function("(b) => document.querySelector('#inc-kpi-incident_count .cw-stat-value').textContent !== b",
                           arg=before[0], timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["category"] == ["市容环境"]
    filtered = kpis(page)
    page.go_back()
    page.wait_for_function("() => !location.search.includes('category=')", timeout=30_000)
    page.wait_for_function("(b) => document.querySelector('#inc-kpi-incident_count .cw-stat-value').textContent === b",
                           arg=before[0], timeout=30_000)
    assert kpis(page) == before and filtered != before
    assert shown_choice(page, "inc-category") == "全部"
    assert watch.console_errors == []


def test_a_shared_url_shows_the_same_numbers_in_a_new_browser(live_app, open_page):
    url = live_app.url + "/incidents?period=7d&source=12345%E7%83%AD%E7%BA%BF&status=%E5%B7%B2%E5%8A%9E%E7%BB%93"
    first = open_page(url).page
    wait_page(first)
    second = open_page(url).page  # a new browser context: no shared state but the URL
    wait_page(second)
    assert kpis(first) == kpis(second)
    assert shown_choice(second, "inc-period") == "近7日" and shown_choice(second, "inc-status") == "已办结"
    assert second.inner_text(".cw-table-total") == first.inner_text(".cw-table-total")


@pytest.mark.parametrize("path, notice", [
    ("/district/999999", "区域「999999」不存在"),
    ("/incidents?period=week&from=2026-13-45&category=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
     "统计期「week」不存在"),
])
def test_bad_query_values_give_a_notice_and_the_default_view(live_app, open_page, path, notice):
    default = open_page(live_app.url + "/incidents").page
    wait_page(default)
    watch = open_page(live_app.url + path)
    page = watch.page
    wait_page(page, "全市")
    text = page.inner_text(".cw-drill-notices")
    assert notice in text
    assert kpis(page) == kpis(default)
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert watch.console_errors == []


def test_table_pages_on_the_server_and_the_download_has_the_selection(live_app, open_page):
    # the demo's anonymous visitors are leaders (config/citywall.toml [auth]): they may download
    watch = open_page(live_app.url + "/incidents?period=7d")
    page = watch.page
    wait_page(page)
    total = int(page.inner_text(KPI).replace(",", ""))
    # the paging line counts the selection once the server's first block has told the grid its size
    page.wait_for_function("""(want) => {
        const line = document.querySelector('#inc-grid .ag-paging-row-summary-panel');
        return !!line && line.innerText.includes(want); }""", arg=f"/ {total:,}", timeout=30_000)
    shown = page.locator("#inc-grid .ag-center-cols-container .ag-row").count()
    assert 0 < shown <= 50 < total  # one page of rows in the browser, not the selection
    first_row = page.inner_text("#inc-grid .ag-center-cols-container .ag-row >> nth=0")
    page.click("#inc-grid .ag-paging-button[aria-label='下一页'], #inc-grid .ag-paging-button >> nth=2")
    page.wait_for_function("() => location.search.includes('page=2')", timeout=30_000)
    page.wait_for_function("(r) => document.querySelector('#inc-grid .ag-center-cols-container .ag-row[row-index=\"50\"]')",
                           arg=first_row, timeout=30_000)

    page.locator("#inc-grid .ag-center-cols-container .ag-row[row-index='50'] .ag-cell").first.click()
    page.wait_for_selector(".cw-record", timeout=30_000)
    assert "事件编号" in page.inner_text(".cw-record") and "受理时间" in page.inner_text(".cw-record")
    page.click("#inc-modal-close")
    page.wait_for_selector("#inc-modal", state="hidden", timeout=30_000)

    with page.expect_download() as download:
        page.click("#inc-download-csv")
    body = download.value.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["事件编号", "受理时间", "区县"] and len(rows) - 1 == total
    xlsx = page.request.get(live_app.url + "/download/incidents.xlsx?period=7d")
    assert xlsx.status == 200 and xlsx.headers["x-rows"] == str(total)


def test_the_download_is_refused_in_chinese_without_the_permission(live_app, open_page, viewer_login):
    page = open_page(live_app.url + "/wall", user=viewer_login).page  # a viewer: the wall only
    answer = page.request.get(live_app.url + "/download/incidents.csv")
    assert answer.status == 403 and "当前账号（观看者）没有「下载表格」权限" in answer.text()
    assert "attachment" not in answer.headers.get("content-disposition", "")


def test_the_tablet_by_touch(live_app, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 1024}, has_touch=True, is_mobile=False,
                                  locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_app.url + "/incidents")
        wait_page(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
        page.tap("#inc-kpi-incident_closure_rate")
        page.wait_for_selector(".cw-tip.is-shown", timeout=10_000)
        tip = page.inner_text(".cw-tip")
        assert "事件办结率" in tip and "口径：" in tip and "数据截至：" in tip and "近30日" in tip
        height = page.eval_on_selector("#inc-category", "e => e.getBoundingClientRect().height")
        assert height >= 40  # a finger-sized target
        page.tap(".cw-hot-row a >> nth=0")
        page.wait_for_function("() => location.search.includes('region=')", timeout=30_000)
        wait_page(page)
        assert re.search(r"region=\d+", page.url)
    finally:
        context.close()


def test_wall_clicks_land_on_the_matching_selection_with_the_same_totals(live_app, open_page):
    watch = open_wall(open_page, live_app.url + "/wall")
    page = watch.page
    tile = page.inner_text("#wall-kpi-today")
    today_count, _, overdue = (n.replace(",", "") for n in re.findall(r"[\d,]+", tile)[:3])
    page.click("#wall-kpi-today")
    wait_page(page)
    assert parse_qs(urlparse(page.url).query)["period"] == ["today"]
    values = [v.replace(",", "") for v in kpis(page)]
    assert values[0] == today_count and values[3] == overdue  # 今日事件 and 超期未办结（全部）agree with the wall

    page.goto(live_app.url + "/wall")
    page.wait_for_selector("#wall-g-hour_weekday .js-plotly-plot .main-svg", timeout=60_000)
    cell = page.evaluate("""() => {
      const gd = document.querySelector('#wall-g-hour_weekday .js-plotly-plot');
      const t = gd.data[0];
      gd.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: [1, 9], customdata: t.customdata[1][9],
                                          z: t.z[1][9]}]});
      return {href: t.customdata[1][9], z: t.z[1][9]};
    }""")
    wait_page(page)
    assert parse_qs(urlparse(page.url).query) == {"weekday": ["1"], "hour": ["9"]}
    assert kpis(page)[0].replace(",", "") == str(int(cell["z"]))  # 周二 9 时 of 近30日, as on the wall
    assert watch.console_errors == []
