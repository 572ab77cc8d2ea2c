"""Authorization on the server, over plain HTTP against the real server (waitress on 127.0.0.1): every
page and privileged callback with no session, a viewer's session, a revoked kiosk token, the exports'
service token (issued in this process, checked by the server's), and an operator's session (and an
admin's), on a city that allows no anonymous access."""
from __future__ import annotations

import pytest
import requests

from dashboard import accounts, audit
from dashboard.auth_gate import ROUTER_OUTPUTS
from dashboard.permissions import callback_permission
from dashboard.security import output_ids
from tests.auth_helpers import (CALLBACK_URL, add_token, add_user, callback_body, dependencies, login, output_specs,
                                pulled_city, served_in_another_process)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    city = pulled_city(tmp_path_factory.mktemp("auth-http"), anonymous_role="")
    # a failed pull whose error names a file path and an internal address
    city.store.mark_failed("incidents", "读取 /srv/exports/12345热线/工单.csv 失败；备用 http://10.2.3.4/api 超时")
    with served_in_another_process(city.config) as url:  # its first start makes the admin
        for name, role in (("viewer1", "viewer"), ("leader1", "leader"), ("operator1", "operator"), ("admin1", "admin")):
            add_user(city.engine, name, role)
        city.url = url
        city.callbacks = dependencies(url)
        yield city


def unescaped(response) -> str:
    return response.text.replace("\\u002f", "/")  # Dash's JSON writes "/" as \u002f


def session_of(live, who: str | None) -> requests.Session:
    session = requests.Session()
    if who == "revoked-token":  # a wall screen whose token was revoked after it opened the wall
        name = f"撤下的屏-{len(accounts.list_tokens(live.engine))}"
        assert session.get(f"{live.url}/wall?token={add_token(live.engine, name)}", timeout=30).ok
        accounts.revoke_token(live.engine, name)
    elif who == "service-token":  # what the capture's browser sends (dashboard/capture_token.py)
        from dashboard import capture_token

        session.headers[capture_token.HEADER] = capture_token.secret(live.engine, live.settings)
    elif who:
        login(session, live.url, who)
    return session


CALLERS = [None, "viewer1", "revoked-token", "service-token", "operator1", "admin1"]
VIEWS = {"service-token", "operator1", "admin1"}  # who may see the drill-down pages
#: (path, who may open it)
PAGES = [("/wall", {"viewer1", "service-token", "operator1", "admin1"}),
         ("/", {"viewer1", "service-token", "operator1", "admin1"}),
         ("/status", VIEWS), ("/district/x", VIEWS), ("/admin", {"admin1"}),
         ("/ops", {"operator1", "admin1"}), ("/ops/quarantine", {"operator1", "admin1"}),
         ("/incidents", VIEWS), ("/scoreboard", VIEWS), ("/briefing", {"service-token", "admin1"}),
         ("/console", {"operator1", "admin1"})]


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("path,allowed", PAGES)
def test_pages(live, who, path, allowed):
    response = session_of(live, who).get(live.url + path, allow_redirects=False, timeout=30)
    if who in allowed:
        assert response.status_code == 200
    elif who in (None, "service-token"):  # not logged in: sent to the login page, shown nothing
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403
        assert "没有权限" in response.text or "吊销" in response.text
        assert "Traceback" not in response.text


#: (callback output, its inputs, who may run it): an export, a token (user) change, the wall's poll
CALLBACKS = [
    ("status-download", {"status-download-button.n_clicks": 1, "status-query.data": {}}, {"operator1", "admin1"}),
    ("admin-download", {"admin-download-button.n_clicks": 1}, {"admin1"}),
    ("admin-body", {"admin-token-add.n_clicks": 1, "admin-token-name.value": "越权的屏"}, {"admin1"}),
    ("wall-ack", {"wall-poll.data": {"n": 1, "t": 0}, "wall-ack.data": {}}, {"viewer1", "service-token", "operator1",
                                                                            "admin1"}),
    ("ops-job", {"ops-refresh-all.n_clicks": 1}, {"operator1", "admin1"}),  # 全部刷新: a refresh on the queue
    ("inc-grid", {"inc-grid.getRowsRequest": {"startRow": 0, "endRow": 50}, "inc-query.data": {}},
     VIEWS),  # the incident table's rows, as the drill-down page shows them
]


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("output,values,allowed", CALLBACKS, ids=[c[0] for c in CALLBACKS])
def test_callbacks(live, who, output, values, allowed):
    body = callback_body(live.callbacks, output, values)
    response = session_of(live, who).post(live.url + CALLBACK_URL, json=body, timeout=60)
    if who in allowed:
        assert response.status_code == 200, response.text[:300]
        return
    assert response.status_code in (401, 403)
    assert response.headers["Content-Type"].startswith("text/plain")
    assert any(word in response.text for word in ("需要登录", "没有", "吊销")), response.text
    assert len(response.text) < 200 and "Traceback" not in response.text
    # nothing was done: the only 越权的屏 token is the admin's own, and only they queued refreshes
    assert {t.created_by for t in accounts.list_tokens(live.engine) if t.name == "越权的屏"} <= {"admin1"}
    assert requesters_of_jobs(live) <= {"operator1", "admin1"}


def requesters_of_jobs(live) -> set[str]:
    from sqlalchemy import select

    from dashboard import db

    with live.engine.connect() as conn:
        return set(conn.execute(select(db.jobs.c.requested_by)).scalars())


#: Flask routes: the tables' and the rejected rows' downloads (download_tables / view_raw_rows)
ROUTES = [("/download/incidents.csv", {"operator1", "admin1"}), ("/drill-download/sharing.csv", {"operator1", "admin1"}),
          ("/ops/quarantine.csv", {"operator1", "admin1"})]


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("path,allowed", ROUTES)
def test_download_routes(live, who, path, allowed):
    response = session_of(live, who).get(live.url + path, allow_redirects=False, timeout=60)
    if who in allowed:
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
        return
    assert response.status_code in (302, 401, 403) and "Content-Disposition" not in response.headers
    assert "Traceback" not in response.text


def test_the_console_sends_a_view_only_for_control_wall_and_audits_it(live):
    from dashboard import wall_control

    wall_control.ensure_screen(live.engine, "main")
    body = callback_body(live.callbacks, "console-result", {"console-send.n_clicks": 1, "console-target.value": "main",
                                                            "console-view.value": "city"})
    version = wall_control.commands_version(live.engine)
    denied = session_of(live, "viewer1").post(live.url + CALLBACK_URL, json=body, timeout=60)
    assert denied.status_code == 403 and "控制大屏" in denied.text
    assert wall_control.commands_version(live.engine) == version  # nothing was sent
    sent = session_of(live, "operator1").post(live.url + CALLBACK_URL, json=body, timeout=60)
    assert sent.status_code == 200 and "已发送到大屏「main」：全市" in sent.text
    assert wall_control.commands_version(live.engine) > version
    assert ("operator1", "ok") in [(r.actor, r.outcome) for r in audit.query(live.engine, action="wall_command")]


def test_an_admin_adds_a_token_through_the_page_and_it_is_audited(live):
    session = session_of(live, "admin1")
    body = callback_body(live.callbacks, "admin-body", {"admin-token-add.n_clicks": 1, "admin-token-name.value": "二楼屏"})
    response = session.post(live.url + CALLBACK_URL, json=body, timeout=60)
    made = response.json()["response"]["admin-token-made"]["children"]
    assert response.status_code == 200 and "/wall?kiosk=1&token=" in made
    token = next(t for t in accounts.list_tokens(live.engine) if t.name == "二楼屏")
    rows = audit.query(live.engine, action="token_add")
    assert rows[0].actor == "admin1" and rows[0].target == "二楼屏" and rows[0].outcome == "ok"
    assert rows[0].address == "127.0.0.1"

    revoke = callback_body(live.callbacks, "admin-body", {"admin-revoke.n_clicks": [1]})
    revoke["inputs"][5] = [{"id": {"type": "admin-revoke", "token": token.id}, "property": "n_clicks", "value": 1}]
    revoke["changedPropIds"] = [f'{{"token":{token.id},"type":"admin-revoke"}}.n_clicks']
    assert session.post(live.url + CALLBACK_URL, json=revoke, timeout=60).status_code == 200
    assert not next(t for t in accounts.list_tokens(live.engine) if t.id == token.id).active
    assert audit.query(live.engine, action="token_revoke")[0].target == "二楼屏"


def test_a_kiosk_token_opens_the_wall_read_only_until_it_is_revoked(live):
    engine = live.engine
    secret = add_token(engine, "三楼屏")
    screen = requests.Session()
    before = len(audit.query(engine, action="kiosk"))
    assert screen.get(f"{live.url}/wall?kiosk=1&token={secret}", timeout=30).status_code == 200
    poll = callback_body(live.callbacks, "wall-ack", {"wall-poll.data": {"n": 1, "t": 0}, "wall-ack.data": {}})
    for _ in range(3):  # the polls carry the session, not the token: audited once per page load
        assert screen.post(live.url + CALLBACK_URL, json=poll, timeout=30).status_code == 200
    assert screen.get(f"{live.url}/_dash-layout", headers={"Referer": f"{live.url}/wall"}, timeout=30).status_code == 200
    rows = audit.query(engine, action="kiosk")
    assert len(rows) == before + 1 and rows[0].actor == "kiosk:三楼屏" and rows[0].outcome == "ok"
    other = screen.get(f"{live.url}/status", allow_redirects=False, timeout=30)  # read-only: the wall, nothing else
    assert other.status_code == 302 and other.headers["Location"].startswith("/login")

    accounts.revoke_token(engine, "三楼屏")
    refused = screen.post(live.url + CALLBACK_URL, json=poll, timeout=30)
    assert refused.status_code == 403 and "吊销" in refused.text
    assert screen.get(f"{live.url}/wall", timeout=30).status_code == 403  # and it stays refused
    fresh = requests.get(f"{live.url}/wall?token={secret}", timeout=30)  # the revoked token in a URL
    assert fresh.status_code == 403 and "大屏令牌无效或已被吊销" in fresh.text
    assert audit.query(engine, action="kiosk")[0].outcome == "denied"


def test_the_first_page_shortcut_never_renders_a_page_the_caller_may_not_see(live):
    viewer = session_of(live, "viewer1")
    layout = viewer.get(f"{live.url}/_dash-layout", headers={"Referer": f"{live.url}/admin"}, timeout=30)
    assert layout.status_code == 200
    assert "cw-refused" in layout.text and "admin-body" not in layout.text and "审计记录" not in layout.text
    status = viewer.get(f"{live.url}/_dash-layout", headers={"Referer": f"{live.url}/status"}, timeout=30)
    assert "cw-refused" in status.text and "最近拉取" not in status.text
    nobody = requests.get(f"{live.url}/_dash-layout", headers={"Referer": f"{live.url}/wall"}, timeout=30)
    assert nobody.status_code == 401 and "wall-root" not in nobody.text


def test_a_viewer_sees_no_source_paths_an_operator_does(live):
    def wall_layout(who):
        return unescaped(session_of(live, who).get(f"{live.url}/_dash-layout",
                                                   headers={"Referer": f"{live.url}/wall"}, timeout=30))

    viewer, operator = wall_layout("viewer1"), wall_layout("operator1")
    assert "wall-root" in viewer and "wall-root" in operator
    for secret in ("/srv/exports", "10.2.3.4"):
        assert secret not in viewer
        assert secret in operator  # the shared page cache keeps one page per what the role may see
    assert "数据源异常，显示最近一次成功的数据" in viewer
    assert "/srv/exports" not in wall_layout("viewer1")  # and the viewer's next load is not the operator's page

    poll = callback_body(live.callbacks, "wall-ack", {"wall-poll.data": {"n": 1, "t": 0}, "wall-ack.data": {}})
    assert "/srv/exports" not in unescaped(session_of(live, "viewer1").post(live.url + CALLBACK_URL, json=poll))
    assert "/srv/exports" in unescaped(session_of(live, "operator1").post(live.url + CALLBACK_URL, json=poll))

    leader_status = unescaped(session_of(live, "leader1").get(f"{live.url}/_dash-layout",
                                                              headers={"Referer": f"{live.url}/status"}, timeout=30))
    assert "最近拉取" in leader_status and "/srv/exports" not in leader_status and "原始行（完整" not in leader_status
    operator_status = unescaped(session_of(live, "operator1").get(f"{live.url}/_dash-layout",
                                                                  headers={"Referer": f"{live.url}/status"}, timeout=30))
    assert "/srv/exports" in operator_status and "隔离行" in operator_status


def test_security_headers(live):
    response = requests.get(f"{live.url}/login", timeout=30)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    cookie = session_of(live, "viewer1").cookies
    assert any(c.name == "citywall_session" and c.has_nonstandard_attr("HttpOnly") for c in cookie)


def test_the_admin_page_filters_and_downloads_the_audit_log(live):
    engine = live.engine
    viewer = session_of(live, "viewer1")
    viewer.post(live.url + CALLBACK_URL, timeout=30,
                json=callback_body(live.callbacks, "admin-download", {"admin-download-button.n_clicks": 1}))
    denied = audit.query(engine, actor="viewer1", action="denied")
    assert denied and denied[0].outcome == "denied" and "系统管理" in denied[0].detail

    admin = session_of(live, "admin1")
    filtered = admin.post(live.url + CALLBACK_URL, timeout=30, json=callback_body(
        live.callbacks, "admin-body", {"admin-actor.value": "viewer1", "admin-action.value": "login"}))
    table = filtered.json()["response"]["admin-body"]["children"]
    text = str(table)
    assert "viewer1" in text and "登录" in text and "admin1" not in text.split("审计记录")[1].split("创建者")[0]
    bad_day = admin.post(live.url + CALLBACK_URL, timeout=30, json=callback_body(
        live.callbacks, "admin-body", {"admin-since.value": "昨天"}))
    assert bad_day.json()["response"]["admin-notices"]["children"] == "起始日期应为 YYYY-MM-DD，已忽略"

    download = admin.post(live.url + CALLBACK_URL, timeout=30, json=callback_body(
        live.callbacks, "admin-download", {"admin-download-button.n_clicks": 1, "admin-actor.value": "viewer1"}))
    import base64

    data = download.json()["response"]["admin-download"]["data"]
    csv_text = base64.b64decode(data["content"]).decode("utf-8-sig")
    assert data["filename"] == "审计记录.csv" and csv_text.startswith("时间,用户,身份,操作")
    assert "viewer1" in csv_text and "admin1" not in csv_text
    assert audit.query(engine, action="export")[0].actor == "admin1"  # the download is audited itself


def test_every_server_callback_declares_the_permission_of_its_outputs(live):
    """An undeclared callback is refused at run time (403); this lists them before anyone clicks."""
    from dashboard.app import create_app

    create_app(live.settings, live.store, live.engine)  # imports every page and callback module here too
    undeclared = [cb["output"] for cb in live.callbacks if not cb.get("clientside_function")
                  for i in output_ids({"outputs": output_specs(cb["output"])})
                  if not (isinstance(i, str) and i in ROUTER_OUTPUTS) and callback_permission(i) is None]
    assert len(live.callbacks) > 20 and undeclared == []


def test_a_capture_header_from_outside_the_capturing_process_opens_nothing(live):
    """Only the service token's secret (dashboard/capture_token.py) opens a page to a capture: a guessed
    header opens nothing, not even what an anonymous visitor would see."""
    from dashboard.capture_token import HEADER

    response = requests.get(live.url + "/wall", headers={HEADER: "x" * 43}, allow_redirects=False, timeout=30)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_service_token_is_audited_and_revoked_with_the_cli_until_a_new_one_is_issued(live):
    """The service token works in every process (issued here, honoured by the server's) and lives in the
    database and a 0600 file; ``run.py token revoke`` ends it at once, ``run.py token capture`` replaces it."""
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from dashboard import capture_token
    from tests.auth_helpers import ROOT

    def cli(*args) -> str:
        done = subprocess.run([sys.executable, "run.py", "--config", str(live.config), "token", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def wall(secret: str) -> requests.Response:
        return requests.get(live.url + "/wall?capture=1", allow_redirects=False, timeout=30,
                            headers={capture_token.HEADER: secret, capture_token.ON_BEHALF_HEADER: quote("简报员")})

    secret = capture_token.secret(live.engine, live.settings)
    assert os.stat(capture_token.secret_file(live.settings)).st_mode & 0o777 == 0o600
    assert wall(secret).status_code == 200
    row = audit.query(live.engine, action="capture")[0]
    assert (row.actor, row.actor_kind, row.target, row.detail) == \
        (f"服务令牌:{capture_token.NAME}", "capture", capture_token.NAME, "/wall?capture=1（为 简报员 导出）")
    assert f"{capture_token.NAME}\t有效\t服务令牌（导出截图）" in cli("list")

    said = cli("revoke", capture_token.NAME)
    assert "已吊销服务令牌（导出截图）" in said and capture_token.ISSUE_COMMAND in said
    refused = wall(secret)  # no fallback to what anyone may see: sent to sign in
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    with pytest.raises(capture_token.CaptureTokenError) as caught:
        capture_token.secret(live.engine, live.settings)
    assert "服务令牌已被吊销" in caught.value.message and "python run.py token capture" in caught.value.message

    assert "已签发导出截图的服务令牌" in cli("capture")
    renewed = capture_token.secret(live.engine, live.settings)
    assert renewed != secret and wall(renewed).status_code == 200
    assert [t.active for t in accounts.list_tokens(live.engine) if t.scope == accounts.CAPTURE_SCOPE][-1]
