"""The drill-down pages' one stylesheet set (assets/drill/) in headless Chromium: the shared parts look
the same on every page, nothing is wider than the tablet, every control is finger-sized there, a
tap shows a number's 口径, the grids' filter buttons sit by their labels, the department's sankey
labels stay apart, and none of it reaches the wall."""
from __future__ import annotations

import pytest

from tests.auth_helpers import login_context
from tests.browser.test_incidents import wait_page
from tests.browser.test_programmes import ROWS, open_drill
from tests.browser.test_wall import open_wall

pytestmark = pytest.mark.browser

TABLET = {"width": 1366, "height": 1024}
# the computed properties that make a part look the way it does
LOOK = ["font-size", "font-family", "color", "background-color", "border-top-color", "border-top-width",
        "border-radius", "padding-top", "padding-left"]
SHARED_PARTS = [".cw-drill-filters", ".cw-filter-label", "button.cw-filter-select", ".cw-stat", ".cw-stat-label",
                ".cw-stat-value", ".cw-card", ".cw-card > h2", ".cw-crumb.is-current", ".cw-drill-head .cw-back", ".cw-button",
                ".cw-grid .ag-header-cell", ".cw-grid .ag-row", ".cw-grid .ag-paging-button"]
STYLE_OF = """([sel, props]) => { const el = document.querySelector(sel); if (!el) return null;
  const s = getComputedStyle(el); return Object.fromEntries(props.map(p => [p, s.getPropertyValue(p)])); }"""
# everything a finger may tap: links, buttons, inputs, summaries, the grids' paging and filter buttons, numbers with a
# 口径 (a dropdown's button is the target; the invisible input beside it only keeps its focus)
TARGETS = """() => [...document.querySelectorAll('a[href], button, input, summary, .ag-paging-button, .ag-header-cell-filter-button, [data-tip]')]
  .filter(e => !e.closest('.js-plotly-plot, [hidden], .dash-dropdown') && !e.matches('.dash-dropdown-focus-target'))
  .map(e => [e, e.getBoundingClientRect()]).filter(([e, r]) => r.width && r.height
    && getComputedStyle(e).visibility !== 'hidden')
  .filter(([e, r]) => r.width < 40 || r.height < 40)
  .map(([e, r]) => `${e.tagName}.${e.className} «${e.textContent.trim().slice(0, 16)}» ${Math.round(r.width)}×${Math.round(r.height)}`)"""


def _district(live_app) -> str:
    return live_app.store.frame("regions", "regions").query("level == '区县'")["region_id"].iloc[0]


def drill_paths(live_app) -> list[str]:
    departments = live_app.store.frame("departments", "departments")["dept_id"]
    return ["/incidents", f"/district/{_district(live_app)}", "/sharing", f"/department/{departments.iloc[0]}",
            "/exchange", "/cloud", "/targets", "/target/{first}", "/scoreboard", "/ops", "/ops/quarantine", "/status"]


def settle(page, path: str) -> None:
    """The page's title, its table's rows where it has a table, and the graphs drawn."""
    page.wait_for_selector("h1", timeout=30_000)
    if not path.startswith(("/ops", "/status", "/target/")):
        page.wait_for_selector(".cw-grid .ag-row", timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(g => g.querySelector('.main-svg'))",
                           timeout=30_000)


def test_the_shared_parts_look_the_same_on_every_drill_page(live_app, open_page):
    looks = {}
    for path in ("/incidents", "/sharing", "/cloud"):
        page = open_drill(open_page, live_app.url + path, rows=True).page
        looks[path] = {sel: page.evaluate(STYLE_OF, [sel, LOOK]) for sel in SHARED_PARTS}
    for sel in SHARED_PARTS:
        assert looks["/incidents"][sel] is not None, sel  # every shared part is on /incidents
        for path in ("/sharing", "/cloud"):
            assert looks[path][sel] == looks["/incidents"][sel], (sel, path)
    assert looks["/sharing"][".cw-grid .ag-row"]["background-color"] not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")


def test_every_drill_page_fits_the_tablet_and_every_control_is_finger_sized(live_app, browser, operator_login):
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="zh-CN")
    login_context(context, live_app.url, operator_login)  # /ops and its quarantine are an operator's
    try:
        page = context.new_page()
        for path in drill_paths(live_app):
            if path == "/target/{first}":
                path = page.get_attribute(".ag-row a", "href")  # /targets was the page before
            page.goto(live_app.url + path, wait_until="load")
            settle(page, path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
            assert page.evaluate(TARGETS) == [], path
    finally:
        context.close()


@pytest.mark.parametrize("path, number, words", [
    ("/sharing", ".cw-stat >> nth=0", "政务数据共享率"),
    ("/department/{dept}", ".cw-stat >> nth=2", "非涉密系统上云率"),
    ("/scoreboard", "#scoreboard-lagging .cw-tipped >> nth=0", "得分 ="),
    ("/incidents", "#inc-kpi-incident_count", "事件数"),
])
def test_a_tap_on_a_number_shows_its_scope_on_a_tablet(live_app, browser, path, number, words):
    dept = live_app.store.frame("departments", "departments")["dept_id"].iloc[0]
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_app.url + path.format(dept=dept), wait_until="load")
        settle(page, path)
        page.tap(number)
        page.wait_for_selector(".cw-tip.is-shown", timeout=5_000)
        assert page.locator(".cw-tip").count() == 1  # one box, not the wall's as well
        tip = page.inner_text(".cw-tip")
        assert words in tip and "口径：" in tip and "数据截至：" in tip, tip
        box = page.locator(".cw-tip").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"]  # the whole box on the screen
        page.tap("h1")
        page.wait_for_function("() => !document.querySelector('.cw-tip.is-shown')", timeout=5_000)
    finally:
        context.close()


@pytest.mark.parametrize("path, grid", [("/sharing", "#drill-sharing .cw-grid"), ("/incidents", "#inc-grid")])
def test_a_header_filter_button_sits_beside_its_label(live_app, open_page, path, grid):
    page = open_drill(open_page, live_app.url + path, rows=True).page
    page.wait_for_selector(f"{grid} .ag-header-cell-filter-button", timeout=20_000)
    placed = page.eval_on_selector_all(f"{grid} .ag-header-cell", """cells => cells
      .filter(c => c.querySelector('.ag-header-cell-filter-button'))
      .map(c => { const cell = c.getBoundingClientRect(), b = c.querySelector('.ag-header-cell-filter-button .ag-icon')
        .getBoundingClientRect(), t = c.querySelector('.ag-header-cell-text').getBoundingClientRect();
        return [c.getAttribute('col-id'), Math.max(b.left - t.right, t.left - b.right),
                b.left >= cell.left && b.right <= cell.right]; })""")
    assert placed
    for column, gap, inside in placed:
        assert inside and gap <= 16, (column, gap)  # the icon by its own label, not by the next column's
    # a grid AG Grid leaves under .ag-delay-render (ag-grid#12061) still shows its rows and headers
    hidden = page.evaluate("""(grid) => { const root = document.querySelector(grid + ' .ag-root');
        root.classList.add('ag-delay-render');
        const cells = [...root.querySelectorAll('.ag-row .ag-cell, .ag-header-cell')];
        return [cells.length, cells.filter(c => getComputedStyle(c).visibility !== 'visible').length]; }""", grid)
    assert hidden[0] > 0 and hidden[1] == 0, hidden


def test_the_department_sankeys_labels_do_not_overlap(live_app, open_page):
    dept = live_app.store.frame("departments", "departments")["dept_id"].iloc[0]
    page = open_drill(open_page, f"{live_app.url}/department/{dept}").page
    page.wait_for_selector("#department-sankey .node-label", timeout=20_000)
    boxes = page.eval_on_selector_all("#department-sankey .node-label",
                                      "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom]; })")
    assert sum("（提供）" in b[0] for b in boxes) >= 3  # the case that overlapped: several small providers
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, (a[0], b[0])


def test_the_drill_stylesheets_stay_off_the_wall(live_app, open_page):
    wall = open_wall(open_page, live_app.url + "/wall")
    sheets = wall.page.evaluate("[...document.styleSheets].map(s => s.href || '')")
    assert not [h for h in sheets if "/assets/drill/" in h]
    # a number on the wall keeps the wall's look (a drill page's dotted underline once reached it)
    assert wall.page.evaluate("getComputedStyle(document.querySelector('.cw-kpi-value .cw-num')).borderBottomStyle") == "none"


def test_the_ops_health_light_is_a_dot(live_app, open_page, operator_login):
    page = open_page(live_app.url + "/ops", user=operator_login).page
    light = page.locator(".cw-ops-sources .cw-light").first
    light.wait_for(timeout=30_000)
    box = light.bounding_box()
    assert round(box["width"]) == round(box["height"]) == 12  # not the drill pages' word-sized signal


def test_the_incident_page_and_the_programme_pages_share_the_page_frame(live_app, open_page):
    """/incidents' filters, KPIs and cards are the shared ones, not copies under other names."""
    page = open_page(live_app.url + "/incidents").page
    wait_page(page)
    assert page.locator(".cw-drill-filters > .cw-filter").count() == 5
    assert page.locator(".cw-stat-row > .cw-stat[data-tip]").count() == 5
    assert page.locator(".cw-cols > .cw-card").count() == 6
    assert page.locator("[data-ag-theme-mode='dark'] > .cw-grid").count() == 1
    sharing = open_drill(open_page, live_app.url + "/sharing", rows=True).page
    assert sharing.locator(".cw-drill-filters > .cw-filter").count() == 1
    assert sharing.locator("[data-ag-theme-mode='dark'] > .cw-grid").count() == 1
    assert sharing.locator(ROWS).count() > 0
