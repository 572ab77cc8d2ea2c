"""Accounts and logins: argon2 hashes, the login form's CSRF check, login failures limited per user and
per address across processes, sessions in the app database (SQLite and PostgreSQL), the anonymous role,
and the audit rows of each of these; over real HTTP where a browser would be."""
from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa
from argon2 import PasswordHasher

from dashboard import accounts, audit, db
from dashboard.permissions import DEFAULT_ROLES, LOGIN_ONLY, role_caller
from dashboard.settings import Settings
from tests.auth_helpers import PASSWORD, add_user, csrf_token, demo_config, login, served_in_another_process
from tests.browser.conftest import LiveApp


def test_passwords_are_argon2id_hashes_with_their_own_salt(app_database_url):
    engine = db.connect(app_database_url)
    add_user(engine, "a", "viewer")
    add_user(engine, "b", "viewer")
    with engine.connect() as conn:
        hashes = [r[0] for r in conn.exec_driver_sql("SELECT password_hash FROM users ORDER BY name")]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts
    assert accounts.authenticate(engine, "a", PASSWORD).name == "a"
    assert accounts.authenticate(engine, "a", PASSWORD + "x") is None
    assert accounts.authenticate(engine, "nobody", PASSWORD) is None
    with pytest.raises(accounts.AccountError, match="密码至少 8 个字符"):
        add_user(engine, "c", "viewer", password="short")
    with pytest.raises(accounts.AccountError, match="角色 'boss' 不存在"):
        add_user(engine, "c", "boss")
    with pytest.raises(accounts.AccountError, match="已存在"):
        add_user(engine, "a", "viewer")


def test_an_old_hash_is_upgraded_at_the_next_login(app_database_url):
    engine = db.connect(app_database_url)
    add_user(engine, "a", "viewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET password_hash = :weak"), {"weak": weak})
    assert accounts.authenticate(engine, "a", PASSWORD) is not None
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT password_hash FROM users").scalar() != weak


def test_a_disabled_user_cannot_log_in_and_loses_its_sessions(app_database_url):
    engine = db.connect(app_database_url)
    user = add_user(engine, "a", "operator")
    secret = accounts.open_session(engine, user, 3600)
    assert accounts.session_user(engine, secret).name == "a"
    accounts.disable_user(engine, "a")
    assert accounts.session_user(engine, secret) is None
    assert accounts.authenticate(engine, "a", PASSWORD) is None
    expired = accounts.open_session(engine, add_user(engine, "b", "viewer"), -1)
    assert accounts.session_user(engine, expired) is None


def test_anonymous_callers_never_hold_the_login_only_permissions():
    admin_as_anonymous = role_caller("", "admin", DEFAULT_ROLES, kind="anonymous")
    assert not admin_as_anonymous.permissions & LOGIN_ONLY
    assert "view_drilldowns" in admin_as_anonymous.permissions
    assert role_caller("x", "admin", DEFAULT_ROLES, kind="kiosk").permissions == {"view_wall"}


@pytest.mark.parametrize("auth,message", [
    ({"anonymous_role": "boss"}, "不是已定义的角色"),
    ({"roles": {"admin": ["admin"], "x": ["fly"]}}, "权限 ['fly'] 不存在"),
    ({"roles": {"x": ["view_wall"]}}, "须保留 admin 角色"),
    ({"frame_ancestors": ["portal"]}, "不是来源"),
    ({"max_request_kb": 1}, "≥ 16"),
])
def test_bad_auth_settings_say_what_to_fix(tmp_path, auth, message):
    from dashboard.settings import SettingsError, load_settings

    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in auth.items() if not isinstance(v, dict)]
    roles = auth.get("roles", {})
    config = tmp_path / "c.toml"
    config.write_text("[auth]\n" + "\n".join(lines) + ("\n[auth.roles]\n" + "\n".join(
        f'{k} = {v!r}'.replace("'", '"') for k, v in roles.items()) if roles else "") + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(config, environ={})


def test_custom_roles_replace_the_built_in_ones():
    settings = Settings.model_validate({"auth": {"roles": {"admin": ["admin", "view_wall"], "大屏": ["view_wall"]},
                                                 "anonymous_role": "大屏"}})
    assert settings.auth.role_permissions() == {"admin": {"admin", "view_wall"}, "大屏": {"view_wall"}}


# ---- over HTTP ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    app = LiveApp(demo_config(tmp_path_factory.mktemp("login"), anonymous_role="leader"))
    yield app
    app.close()


def _post_login(session, url, name, password, csrf=None):
    token = csrf if csrf is not None else csrf_token(session.get(f"{url}/login", timeout=30).text)
    return session.post(f"{url}/login", data={"username": name, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=30)


def test_the_login_form_refuses_a_post_without_its_csrf_token(live):
    add_user(live.puller.engine, "csrf1", "operator")
    session = requests.Session()
    for token in ("", "forged-token"):
        response = _post_login(session, live.url, "csrf1", PASSWORD, csrf=token)
        assert response.status_code == 400 and "CSRF 校验失败" in response.text
    # a form posted from another site carries no session cookie, so no token can match
    assert _post_login(requests.Session(), live.url, "csrf1", PASSWORD, csrf="x").status_code == 400
    rows = audit.query(live.puller.engine, action="login_failed", actor="csrf1")
    assert rows and all(r.outcome == "denied" and "CSRF" in r.detail for r in rows)
    assert _post_login(session, live.url, "csrf1", PASSWORD).status_code == 302  # with it: logged in


def test_login_logout_and_their_audit_rows(live):
    engine = live.puller.engine
    add_user(engine, "audit1", "operator")
    session = requests.Session()
    assert _post_login(session, live.url, "audit1", "wrong-password").status_code == 401
    page = _post_login(session, live.url, "audit1", PASSWORD)
    assert page.status_code == 302 and page.headers["Location"] == "/"
    assert session.get(f"{live.url}/status", timeout=30).status_code == 200
    assert session.get(f"{live.url}/logout", allow_redirects=False, timeout=30).headers["Location"] == "/login"
    rows = audit.query(engine, actor="audit1")
    assert [(r.action, r.outcome) for r in rows][:3] == [("logout", "ok"), ("login", "ok"), ("login_failed", "failed")]
    assert all(r.address == "127.0.0.1" for r in rows[:3])
    # the session row is gone: the old cookie no longer logs anyone in
    assert session.get(f"{live.url}/admin", allow_redirects=False, timeout=30).status_code == 302


def test_login_failures_are_limited_per_user_across_processes(live):
    engine = live.puller.engine
    add_user(engine, "locked1", "viewer")
    limit = live.settings.auth.login_max_failures
    for _ in range(limit):
        assert _post_login(requests.Session(), live.url, "locked1", "wrong-password").status_code == 401
    # the right password now: refused, here and on a second server process over the same database
    refused = _post_login(requests.Session(), live.url, "locked1", PASSWORD)
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text
    with served_in_another_process(live.settings.config_path) as url:
        assert _post_login(requests.Session(), url, "locked1", PASSWORD).status_code == 429
    assert audit.query(engine, actor="locked1", action="login_failed")[0].outcome == "denied"
    add_user(engine, "free1", "viewer")  # another account from the same address is not locked yet
    assert _post_login(requests.Session(), live.url, "free1", PASSWORD).status_code == 302


def test_login_failures_are_limited_per_address(live):
    engine = live.puller.engine
    per_address = live.settings.auth.login_max_failures_per_address
    with engine.begin() as conn:  # as if many names had been tried from this address
        conn.exec_driver_sql("INSERT OR REPLACE INTO login_attempts VALUES ('addr:127.0.0.1', ?, strftime('%s','now'))",
                             (per_address,))
    add_user(engine, "addr1", "viewer")
    try:
        assert _post_login(requests.Session(), live.url, "addr1", PASSWORD).status_code == 429
    finally:
        accounts.clear_login_failures(engine, "addr:127.0.0.1")
    assert _post_login(requests.Session(), live.url, "addr1", PASSWORD).status_code == 302


def test_the_demo_lets_anonymous_visitors_see_the_wall_and_drilldowns_but_nothing_privileged(live):
    anonymous = requests.Session()
    for path in ("/wall", "/status", "/district/x"):
        assert anonymous.get(live.url + path, timeout=30).status_code == 200
    admin = anonymous.get(f"{live.url}/admin", allow_redirects=False, timeout=30)
    assert admin.status_code == 302 and admin.headers["Location"] == "/login?next=/admin"
    status = anonymous.get(f"{live.url}/_dash-layout", headers={"Referer": f"{live.url}/status"}, timeout=30).text
    assert "需要「查看原始行与错误详情」权限" in status and "原始行（完整" not in status


def test_the_login_page_is_chinese_and_keeps_only_local_next_paths(live):
    page = requests.get(f"{live.url}/login?next=//evil.example/x", timeout=30)
    assert page.status_code == 200 and "用户名" in page.text and "密码" in page.text and 'lang="zh-CN"' in page.text
    assert 'name="next" value="/"' in page.text
    add_user(live.puller.engine, "next1", "viewer")
    session = requests.Session()
    form = session.get(f"{live.url}/login", timeout=30).text
    response = session.post(f"{live.url}/login", data={"username": "next1", "password": PASSWORD,
                                                       "csrf_token": csrf_token(form), "next": "/status?x=1"},
                            allow_redirects=False, timeout=30)
    assert response.headers["Location"] == "/status?x=1"
    assert login(requests.Session(), live.url, "next1")  # the shared helper logs in the same way
