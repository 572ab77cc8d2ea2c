"""The drill pages' "drawn" flag (assets/drawn.js, what captures and the page-ready benchmark wait for)
rises only once every table shows its rows: an /incidents table's rows come from a server callback
after the page, and AG Grid's code arrives on first use, so the flag must wait for both. Here the
network holds the table's rows (and, on /scoreboard, AG Grid's code) back for a while."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

DRAWN = "() => !!document.documentElement.dataset.cwDrawn"
HOLD_S = 1.5
TABLE = """() => { const grid = document.querySelector('.cw-drill-page .ag-root-wrapper');
  return grid ? [...grid.querySelectorAll('.ag-center-cols-container .ag-cell')].map(c => c.textContent.trim())
                  .filter(Boolean).length : -1; }"""


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    return context, context.new_page()


def _held(pattern_matches):
    def handle(route):
        if pattern_matches(route.request):
            time.sleep(HOLD_S)  # the request waits on the way out; the page goes on meanwhile
        route.continue_()
    return handle


def test_the_incidents_flag_waits_for_the_tables_rows(live_app, browser):
    context, page = _new_page(browser)
    page.route("**/_dash-update-component", _held(lambda r: "getRowsResponse" in (r.post_data or "")))
    page.goto(live_app.url + "/incidents?period=year", wait_until="commit")
    page.wait_for_function(DRAWN, timeout=60_000, polling=20)
    assert page.evaluate(TABLE) > 0  # the first rows' cells have their text, not the stand-in row
    assert page.evaluate("document.querySelectorAll('#inc-map .main-svg').length") > 0
    context.close()


def test_an_empty_selection_counts_as_drawn_with_its_no_rows_notice(live_app, browser):
    context, page = _new_page(browser)
    page.goto(live_app.url + "/incidents?from=2001-01-01&to=2001-01-02", wait_until="commit")
    page.wait_for_function(DRAWN, timeout=60_000, polling=50)
    assert page.locator("#inc-grid .ag-overlay-no-rows-center").inner_text().strip() == "无事件"
    context.close()


def test_the_scoreboard_flag_waits_for_the_grids_code(live_app, browser):
    context, page = _new_page(browser)
    page.route("**/*async-community*", _held(lambda r: True))
    page.goto(live_app.url + "/scoreboard", wait_until="commit")
    page.wait_for_function(DRAWN, timeout=60_000, polling=20)
    assert page.evaluate(TABLE) > 0
    context.close()
