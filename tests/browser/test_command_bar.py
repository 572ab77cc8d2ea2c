"""The command bar (一句话响应) in headless Chromium on a drill-down page of the demo city: "/" focuses it,
suggestions as you type, the interpretation as chips, a removed chip changes the view, Enter opens
the view within the app, the history lists the sentence after a reload."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

BOX = ".cw-cmdbar-input input"
OPEN = ".cw-cmdbar-open"


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _open_href(page, changed_from=None) -> str:
    page.wait_for_function("([sel, old]) => { const a = document.querySelector(sel); const h = a && a.getAttribute('href');"
                           " return h && h !== old; }", arg=[OPEN, changed_from], timeout=10_000)
    return page.locator(OPEN).get_attribute("href")


def test_a_sentence_typed_into_the_bar_opens_its_view_and_stays_in_the_history(live_app, open_page, operator_login):
    watch = open_page(f"{live_app.url}/scoreboard", user=operator_login)
    page = watch.page
    page.wait_for_selector(".cw-cmdbar:not(.is-off)", timeout=20_000)  # the server said it is the operator's
    page.evaluate("() => { window.cwSameDocument = true; }")  # gone after a full page load
    page.keyboard.press("/")
    assert page.evaluate(f"() => document.activeElement === document.querySelector('{BOX}')")

    page.keyboard.type("看看gxq", delay=20)  # pinyin initials: 高新区 is suggested
    suggestion = page.locator(".cw-cmdbar-suggestion", has_text="高新区").first
    suggestion.wait_for(timeout=10_000)
    assert "拼音首字母" in suggestion.inner_text()
    page.keyboard.press("ArrowDown")  # from the box to the first suggestion; Enter picks it
    assert page.evaluate("() => document.activeElement.classList.contains('cw-cmdbar-suggestion')")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('{BOX}').value === '看看高新区'", timeout=5_000)
    page.locator(BOX).press("End")
    page.keyboard.type("本周城管的超期件", delay=20)
    page.wait_for_selector(".cw-chip:has-text('超期未办结')", timeout=10_000)
    chips = [" ".join(t.split()) for t in page.locator(".cw-chip").all_inner_texts()]
    assert [c.split("：")[0] for c in chips] == ["区县", "时段", "事件分类", "指标"]
    assert chips[0].startswith("区县： 高新区") and chips[1].startswith("时段： 本周（")
    assert chips[2].startswith("事件分类： 城市管理 改为")  # 城管: also the department 城市管理局
    first = _open_href(page)
    assert _query(first)["region"] == "430971" and _query(first)["category"] == "城市管理"
    assert _query(first)["period"] == "range"

    page.locator(".cw-chip", has_text="时段").locator(".cw-chip-remove").click()  # drop 本周
    edited = _open_href(page, first)
    assert _query(edited) == {"region": "430971", "category": "城市管理"}
    assert [c.split("：")[0] for c in page.locator(".cw-chip").all_inner_texts()] == ["区县", "事件分类", "指标"]
    assert page.locator(".cw-cmdbar-panel").is_visible()  # the box kept the focus: the panel stays open
    watch.screenshot("command-bar-chips")

    page.locator(BOX).press("Enter")
    page.wait_for_url(f"**{edited}", timeout=10_000)
    page.wait_for_selector("h1:has-text('高新区')", timeout=20_000)
    assert page.evaluate("() => window.cwSameDocument === true")  # opened within the app, no reload

    page.goto(f"{live_app.url}/scoreboard", wait_until="load")  # a new page load: the history stays
    page.wait_for_selector(".cw-cmdbar:not(.is-off)", timeout=20_000)
    page.keyboard.press("/")
    past = page.locator(".cw-cmdbar-past")
    past.first.wait_for(timeout=10_000)
    assert past.all_inner_texts()[0] == "看看高新区本周城管的超期件"

    page.locator(BOX).fill("看" * 201)  # too long: the parser's Chinese message, no view to open
    page.wait_for_selector(".cw-cmdbar-error:has-text('句子过长（201 字）')", timeout=10_000)
    assert page.locator(".cw-chip").count() == 0 and page.locator(OPEN).inner_text() == ""
    page.keyboard.press("Escape")  # clears the box
    assert page.input_value(BOX) == "" and past.first.is_visible()
    page.keyboard.press("Escape")  # the box is empty: Escape leaves it
    assert page.evaluate(f"() => document.activeElement !== document.querySelector('{BOX}')")
    page.keyboard.press("/")
    past.first.click()  # runs it again: the sentence as typed, without the chip edit
    page.wait_for_url(lambda url: _query(url) == _query(first), timeout=10_000)
    assert watch.off_host() == [] and watch.console_errors == []
