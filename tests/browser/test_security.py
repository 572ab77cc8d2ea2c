"""In a real browser: the Content-Security-Policy lets the wall render with no violation, and a source's
``<script>`` / ``<img onerror>`` in every text field (department, system and target names,
categories, the ticker) shows as text on the wall, a drill-down and /status, never as markup."""
from __future__ import annotations

import sqlite3

import pytest
import requests

from tests.auth_helpers import add_user, demo_config, login_context, served_in_another_process

CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
SCRIPT = '<script>window.__xss="script"</script>'
IMG = "<img src=x onerror=\"window.__xss='img'\">"


def _wall_drawn(page) -> None:
    page.wait_for_selector("#wall-root .cw-panel", timeout=60_000)
    page.wait_for_selector("#wall-g-map .main-svg", timeout=60_000)
    page.wait_for_timeout(1500)  # a poll round trip and the clientside callbacks


def test_the_wall_renders_under_the_content_security_policy(live_app, browser):
    policy = requests.get(f"{live_app.url}/wall", timeout=30).headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(f"{live_app.url}/wall", wait_until="load")
        _wall_drawn(page)
        assert page.evaluate("window.__csp") == []
        assert not [e for e in errors if "Content Security Policy" in e]
        assert page.locator(".cw-panel").count() >= 10 and page.locator(".js-plotly-plot").count() >= 4
    finally:
        context.close()


@pytest.fixture(scope="module")
def poisoned_city(tmp_path_factory):
    """A demo city whose sources carry markup in every text field, served by ``run.py serve``."""
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    folder = tmp_path_factory.mktemp("xss")
    target = (f'\n[[targets.custom]]\nindicator_id = "sharing_rate"\nname = \'目标{SCRIPT}\'\n'
              'target = 0.99\ndeadline = 2027-12-31\nsource_doc = "测试文件"\n')
    config = demo_config(folder, anonymous_role="leader", extra=target)
    settings = load_settings(config, environ={})
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    assert all(r.ok for r in puller.run_all("test"))
    with sqlite3.connect(settings.demo_database) as conn:
        conn.execute("UPDATE departments SET name = '局' || ? || dept_id, short_name = '短' || ? || dept_id", (IMG, SCRIPT))
        conn.execute("UPDATE systems SET name = '系统' || ? || system_id", (IMG,))
        conn.execute("UPDATE incidents SET category = ? || category", (SCRIPT,))
        conn.execute("UPDATE incidents SET category = ? WHERE incident_id LIKE 'RX%90001'", (IMG,))  # quarantined
    assert all(r.ok for r in puller.run_all("test"))
    dept_id = str(puller.store.frame("departments", "departments")["dept_id"].iloc[0])
    add_user(puller.engine, "xss-ops", "operator")
    with served_in_another_process(config) as url:
        yield url, dept_id


def _markup_ran(page) -> dict:
    return page.evaluate("""() => ({
        xss: window.__xss === undefined ? null : window.__xss,
        images: document.querySelectorAll('img[onerror]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
        text: document.body.innerText,
    })""")


@pytest.mark.own_servers
def test_markup_from_a_source_shows_as_text(poisoned_city, browser):
    url, dept_id = poisoned_city
    context = login_context(browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN"), url, "xss-ops")
    try:
        page = context.new_page()
        page.goto(f"{url}/wall", wait_until="load")
        _wall_drawn(page)
        wall = _markup_ran(page)
        assert wall["xss"] is None and wall["images"] == 0 and wall["scripts"] == 0
        assert SCRIPT in wall["text"]  # the category in the ticker, the target's name: as text
        hovered = page.evaluate("[...document.querySelectorAll('[data-tip]')].map(e => e.dataset.tip).join('\\n')")
        assert IMG in hovered or SCRIPT in hovered  # hover texts keep the names as text too

        page.goto(f"{url}/department/{dept_id}", wait_until="load")
        page.wait_for_selector(".cw-drill-page", timeout=30_000)
        page.wait_for_function("() => document.body.innerText.includes('onerror')", timeout=30_000)
        drill = _markup_ran(page)
        assert drill["xss"] is None and drill["images"] == 0 and f"局{IMG}{dept_id}" in drill["text"]

        for path, shown in (("/sharing", IMG), ("/incidents", SCRIPT)):  # a ranking and the category breakdown
            page.goto(f"{url}{path}", wait_until="load")
            page.wait_for_function(f"() => document.body.innerText.includes({shown!r})", timeout=60_000)
            seen = _markup_ran(page)
            assert seen["xss"] is None and seen["images"] == 0 and seen["scripts"] == 0, path

        page.goto(f"{url}/ops/quarantine", wait_until="load")
        page.wait_for_function(f"() => document.body.innerText.includes({IMG!r})", timeout=60_000)
        quarantine = _markup_ran(page)  # /ops's rejected rows: the raw category as text
        assert quarantine["xss"] is None and quarantine["images"] == 0 and quarantine["scripts"] == 0

        page.goto(f"{url}/status", wait_until="load")
        page.wait_for_selector("#quarantine", timeout=30_000)
        status = _markup_ran(page)
        assert status["xss"] is None and status["images"] == 0 and status["scripts"] == 0
        assert IMG in status["text"]  # the quarantined row's raw category
    finally:
        context.close()
