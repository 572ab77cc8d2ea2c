"""/tasks (指令) in headless Chromium over the seeded demo city: a leader issues an instruction from
the 下达指令 form, the 城市管理局's department user signs it, starts and gives feedback (the note
required), and the leader confirms it 已办结; the incident record offers the same form."""
from __future__ import annotations

import pytest

from tests.auth_helpers import PASSWORD

TEXT = "处置浏览器测试里的占道经营"


@pytest.fixture(scope="module")
def department_login(live_app) -> str:
    """A 部门 account of 示范市城市管理局 (D002) in the session's app database."""
    from dashboard import accounts
    from dashboard.permissions import DEFAULT_ROLES

    accounts.add_user(live_app.puller.engine, "城管-test", "department", PASSWORD, DEFAULT_ROLES, department="D002")
    return "城管-test"


def _tasks(open_page, live_app, user):
    watch = open_page(live_app.url + "/tasks", user=user)
    watch.page.wait_for_selector("#tasks-grid .ag-row", timeout=60_000)
    return watch


def _issue(page, text: str) -> None:
    """Fill the open 下达指令 form (城市管理局) and submit it; wait for its answer."""
    page.fill("#issue-text", text)
    page.click("#issue-dept")
    page.keyboard.type("城市管理局")
    page.keyboard.press("Enter")
    page.click("#issue-submit")
    page.wait_for_function("() => document.querySelector('#issue-message').textContent.includes('已下达指令')",
                           timeout=30_000)


def _select(page, text: str = TEXT) -> None:
    page.locator("#tasks-grid .ag-cell[col-id='text']", has_text=text).first.click()
    page.wait_for_selector("#tasks-detail h2", timeout=30_000)


def _press(page, button: str, expect: str) -> None:
    page.click(f"#tasks-do-{button}:not([disabled])")
    page.wait_for_function("(want) => document.querySelector('#tasks-message').textContent.includes(want)",
                           arg=expect, timeout=30_000)


def test_a_department_user_signs_and_reports_and_the_issuer_confirms(live_app, open_page, leader_login,
                                                                     department_login):
    leader = open_page(live_app.url + "/tasks", user=leader_login)
    page = leader.page
    page.wait_for_selector("#issue-open", timeout=60_000)
    page.click("#issue-open")
    _issue(page, TEXT)
    assert "示范市城市管理局" in page.inner_text("#issue-message")

    department = _tasks(open_page, live_app, department_login)
    dept_page = department.page
    assert "示范市城市管理局" in dept_page.inner_text("#tasks-page .cw-card-note >> nth=1")
    _select(dept_page)
    assert dept_page.is_disabled("#tasks-do-confirm") and not dept_page.is_disabled("#tasks-do-sign")
    _press(dept_page, "sign", "已签收")
    _press(dept_page, "start", "已开始处置")
    _press(dept_page, "feedback", "反馈须填写反馈说明")  # no note: refused in Chinese
    dept_page.fill("#tasks-note", "已清理占道摊位 3 处")
    _press(dept_page, "feedback", "当前状态「已反馈」")
    assert dept_page.is_disabled("#tasks-do-confirm")
    department.screenshot("tasks-department")

    page.goto(live_app.url + "/tasks")
    page.wait_for_selector("#tasks-grid .ag-row", timeout=60_000)
    _select(page)
    assert "已清理占道摊位 3 处" in page.inner_text("#tasks-detail")
    _press(page, "confirm", "当前状态「已办结」")
    state = page.locator("#tasks-grid .ag-row", has_text=TEXT).first.locator(".ag-cell[col-id='state']")
    assert state.inner_text() == "已办结"
    assert leader.off_host() == [] and leader.console_errors == [] and department.console_errors == []


def test_the_incident_record_offers_the_issue_form_to_a_dispatcher(live_app, open_page, leader_login):
    from dashboard import runtime

    incident_id = str(runtime.current().store.frame("incidents", "detail")["incident_id"].iloc[0])
    watch = open_page(f"{live_app.url}/incident/{incident_id}", user=leader_login)
    page = watch.page
    page.wait_for_selector("#incident-record-page #issue-open", timeout=60_000)
    page.click("#issue-open")
    assert page.input_value("#issue-text") == f"处置事件 {incident_id}" and page.is_visible("#issue-deadline")
    watch.screenshot("tasks-incident-form")


def test_another_departments_user_is_refused_on_the_server(live_app, leader_login):
    """A 公安局 user posting 签收 for a 城市管理局 instruction (past the page, straight to the callback)."""
    import requests

    from dashboard import accounts
    from dashboard import instructions as ins
    from dashboard.permissions import DEFAULT_ROLES, Caller
    from tests.auth_helpers import CALLBACK_URL, callback_body, login

    engine = live_app.puller.engine
    accounts.add_user(engine, "公安-test", "department", PASSWORD, DEFAULT_ROLES, department="D001")
    leader = Caller(name=leader_login, role="leader", permissions=DEFAULT_ROLES["leader"], kind="user")
    item = ins.issue(engine, text="核查服务端拒绝", dept_id="D002", department="示范市城市管理局",
                     deadline=ins.timestamp(ins.local(2_000_000_000.0)), now=ins.timestamp(ins.local(1_700_000_000.0)),
                     caller=leader)
    session = login(requests.Session(), live_app.url, "公安-test")
    body = callback_body(session.get(live_app.url + "/_dash-dependencies", timeout=30).json(), "tasks-grid.rowData",
                         {"tasks-do-sign.n_clicks": 1, "tasks-selected.data": item.id, "tasks-note.value": ""})
    response = session.post(live_app.url + CALLBACK_URL, json=body, timeout=60)
    assert response.status_code == 200, response.text[:300]
    message = response.json()["response"]["tasks-message"]["children"]
    assert message == f"指令 {item.id} 由示范市城市管理局承办，不属于当前账号的部门，无法查看"
    assert ins.get(engine, item.id).state == ins.ISSUED
    from dashboard import audit

    refused = audit.query(engine, actor="公安-test", action="instruction_sign")[0]
    assert (refused.outcome, refused.target, refused.address) == ("denied", f"指令 {item.id}", "127.0.0.1")


def test_a_district_page_links_to_the_form_with_its_region(live_app, open_page, leader_login):
    from dashboard import instructions as ins
    from dashboard import runtime

    regions = runtime.current().geography.regions
    district = regions[regions["level"] == "区县"].sort_values("region_id").iloc[0]
    page = open_page(f"{live_app.url}/district/{district['region_id']}", user=leader_login).page
    page.wait_for_selector("#inc-issue", timeout=60_000)
    page.click("#inc-issue")
    page.wait_for_selector("#issue-form:not([hidden])", timeout=60_000)
    assert page.input_value("#issue-text") == f"处置{district['name']}的"
    _issue(page, f"处置{district['name']}的积水点")
    made = ins.all_instructions(live_app.puller.engine)[-1]
    assert (made.region_id, made.region, made.text) == (str(district["region_id"]), district["name"],
                                                        f"处置{district['name']}的积水点")
