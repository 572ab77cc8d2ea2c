"""Drill-down pages in headless Chromium: Bootstrap's CSS from 127.0.0.1 on them only (the wall has none),
the cartesian plotly.js bundle on both, plotly's full bundle on the department page only (its sankey),
reached from a drill page's link by a full page load; the dark theme, the tablet by touch."""
from __future__ import annotations

import pytest

from dashboard.app import DRILL_CSS
from layouts.wall_ids import IDS
from tests.browser.test_wall import open_wall, wait_ready

pytestmark = pytest.mark.browser

STYLESHEETS = "[...document.styleSheets].map(s => s.href || '')"
COLOURS = "(sel) => { const s = getComputedStyle(document.querySelector(sel)); return [s.backgroundColor, s.color]; }"


def _district(live_app) -> str:
    return live_app.store.frame("regions", "regions").query("level == '区县'")["region_id"].iloc[0]


def test_a_drill_page_has_bootstraps_css_and_the_cartesian_bundle_and_the_wall_no_bootstrap(live_app, open_page):
    drill = open_page(f"{live_app.url}/district/{_district(live_app)}")
    page = drill.page
    page.wait_for_selector("h1:has-text('事件 · 一张图')", timeout=20_000)  # /district/<id>: the incidents of that region
    sheets = page.evaluate(STYLESHEETS)
    bootstrap = [h for h in sheets if "bootstrap" in h]
    assert len(bootstrap) == 1 and bootstrap[0].startswith(f"{live_app.url}/assets/vendor/bootstrap-5")
    assert [h.split("?")[0].rsplit("/assets/", 1)[1] for h in sheets if "/assets/drill/" in h] == list(DRILL_CSS)
    assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--bs-breakpoint-md').trim()") == "768px"
    assert page.locator(".cw-drill-page[data-bs-theme='dark']").count() == 1
    # the wall's colours, not Bootstrap's: the page background and text are wall.css :root's
    assert page.evaluate(COLOURS, "body") == ["rgb(5, 13, 31)", "rgb(214, 230, 255)"]
    assert page.evaluate("() => !('sankey' in Plotly.PlotSchema.get().traces) && 'heatmap' in Plotly.PlotSchema.get().traces")
    assert not [u for u in drill.requests if "plotly.min.js" in u]
    assert drill.off_host() == [] and drill.console_errors == []
    drill.screenshot("drill-placeholder")

    wall = open_wall(open_page, live_app.url + "/wall")
    assert not [h for h in wall.page.evaluate(STYLESHEETS) if "bootstrap" in h or "/assets/drill/" in h]
    assert wall.page.evaluate("getComputedStyle(document.body).getPropertyValue('--bs-breakpoint-md')") == ""
    assert wall.page.evaluate("!('sankey' in Plotly.PlotSchema.get().traces) && 'heatmap' in Plotly.PlotSchema.get().traces")
    # (dash-bootstrap-components' JS is a component suite Dash links on every page; its CSS is not)
    assert not [u for u in wall.requests if ("bootstrap" in u and ".css" in u) or "plotly.min.js" in u]
    assert wall.off_host() == []


def test_a_link_to_the_department_page_loads_the_full_bundle_its_sankey_needs(live_app, open_page):
    watch = open_page(f"{live_app.url}/scoreboard")
    page = watch.page
    link = page.locator(".ag-center-cols-container a[href^='/department/']").first
    link.wait_for(timeout=20_000)
    # the scoreboard draws no graphs (draws_graphs=False): no plotly.js at all
    assert page.evaluate("() => window.Plotly === undefined") and not [u for u in watch.requests if "plotly" in u]
    href = link.get_attribute("href")
    page.evaluate("() => { window.__samePage = true; }")
    link.click()  # a page of another kind (assets/pages.js): a full page load, not Dash's in-place routing
    page.wait_for_url(f"**{href}", timeout=10_000)
    page.wait_for_selector("#department-sankey .main-svg", timeout=20_000)
    assert page.evaluate("() => window.__samePage === undefined")
    assert page.evaluate("() => 'sankey' in Plotly.PlotSchema.get().traces")
    assert [u for u in watch.requests if "plotly.min.js" in u]
    assert watch.off_host() == [] and watch.console_errors == []


def test_from_a_page_without_graphs_a_page_with_graphs_opens_in_place_and_draws(live_app, open_page):
    watch = open_page(f"{live_app.url}/scoreboard")
    page = watch.page
    page.wait_for_function("() => !!document.documentElement.dataset.cwDrawn", timeout=30_000)
    page.evaluate("() => { window.__samePage = true; window.CityWall.go('/incidents'); }")
    page.wait_for_url("**/incidents", timeout=10_000)
    # Dash's in-place routing: dcc.Graph finds no window.Plotly and loads plotly's full bundle itself
    page.wait_for_function("""() => document.querySelectorAll('.cw-drill-page .js-plotly-plot .main-svg').length >= 3
                              && !!document.documentElement.dataset.cwDrawn""", timeout=30_000)
    assert page.evaluate("() => window.__samePage === true")
    assert [u for u in watch.requests if "plotly.min.js" in u]
    assert watch.off_host() == [] and watch.console_errors == []


def test_a_drill_page_by_touch_on_a_tablet_and_back_to_the_wall(live_app, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 1024}, has_touch=True, is_mobile=False,
                                  locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live_app.url}/department/x", wait_until="load")
        page.wait_for_selector("h1:has-text('部门 ·')", timeout=20_000)  # an unknown id: a notice, the first department
        assert "不存在" in page.locator(".cw-drill-notices").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing wider than the tablet
        crumb = page.locator(".cw-breadcrumb a.cw-crumb").first
        assert crumb.bounding_box()["height"] >= 44  # a touch target
        assert page.locator(".cw-crumb.is-current").inner_text() in page.locator("h1").inner_text()
        crumb.tap()  # 全市: a wall page, loaded anew with the cartesian bundle
        page.wait_for_url("**/wall", timeout=10_000)
        wait_ready(page)
        assert page.locator(f"#{IDS['root']}").count() == 1
        assert not page.evaluate("'sankey' in Plotly.PlotSchema.get().traces")
    finally:
        context.close()
