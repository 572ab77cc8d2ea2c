"""Who is calling: login sessions (Flask-Login over rows in the app database), kiosk tokens, the
exports' service token (dashboard/capture_token.py) and the anonymous role; the login and logout pages.

:func:`install` wires it into the Flask server the Dash app runs on and installs the caller resolver
of dashboard/permissions.py. What each page and callback needs is checked by dashboard/auth_gate.py.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta
from urllib.parse import unquote

import flask
import flask_login

from dashboard import accounts, audit, capture_token
from dashboard.auth_pages import login_page, message_page
from dashboard.permissions import ANONYMOUS, Caller, install_caller_resolver, role_caller
from dashboard.settings import Settings

log = logging.getLogger("citywall.auth")
LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"
KIOSK_KEY = "kiosk"  # the Flask session's key for a wall screen's kiosk token
TOKEN_PARAM = "token"  # the wall URL's parameter: /wall?token=…


class SessionUser(flask_login.UserMixin):
    """A logged-in user as Flask-Login holds it: its id is the session's secret (a row of auth_sessions)."""

    def __init__(self, user: accounts.User, secret: str):
        self.user, self.secret = user, secret

    def get_id(self) -> str:
        return self.secret


def _engine():
    from dashboard import runtime

    return runtime.current().engine


def resolve_caller() -> Caller:
    """The current request's caller (a user, a kiosk screen or an anonymous visitor), once per request."""
    if not flask.has_request_context():
        return ANONYMOUS
    caller = flask.g.get("cw_caller")
    if caller is None:
        caller = flask.g.cw_caller = _resolve()
    return caller


def _capture_caller() -> Caller | None:
    """The exports' service token (dashboard/capture_token.py) in the request's header: its caller
    (the wall, drill-downs and 通报 only), or one holding nothing when the token is not valid (a
    revoked or guessed token never falls back to the anonymous role); None without the header.
    A page load is audited, naming the token and who the export is for."""
    sent = flask.request.headers.get(capture_token.HEADER)
    if sent is None:
        return None
    page_load = flask.request.method == "GET" and not flask.request.path.startswith(("/_dash", "/assets/"))
    token = accounts.token_of(_engine(), sent, touch=page_load, scope=accounts.CAPTURE_SCOPE)
    if token is None:
        return Caller(name="服务令牌（无效）", kind="capture")
    caller = role_caller(f"服务令牌:{token.name}", "", {}, kind="capture")
    if page_load:
        asked_by = unquote(flask.request.headers.get(capture_token.ON_BEHALF_HEADER, ""))[:100]
        audit.record("capture", token.name, "ok", caller,
                     detail=flask.request.full_path.rstrip("?") + (f"（为 {asked_by} 导出）" if asked_by else ""))
    return caller


def _resolve() -> Caller:
    capture = _capture_caller()
    if capture is not None:
        return capture
    settings = flask.current_app.config["CITYWALL_SETTINGS"]
    roles = settings.auth.role_permissions()
    user = flask_login.current_user
    if user.is_authenticated:
        return role_caller(user.user.name, user.user.role, roles)
    kiosk_secret = flask.session.get(KIOSK_KEY)
    if kiosk_secret:
        token = accounts.token_of(_engine(), kiosk_secret)
        if token is not None:
            return role_caller(f"kiosk:{token.name}", "", roles, kind="kiosk", screen=token.screen or "")
        # the gate refuses the request, and every one after it from this browser until a login or a new
        # token: a revoked screen must not fall back to the anonymous role
        flask.g.cw_revoked_token = True
    role = settings.auth.anonymous_role
    return role_caller("", role, roles, kind="anonymous") if role else ANONYMOUS


def install(server: flask.Flask, settings: Settings) -> None:
    server.secret_key = accounts.shared_secret(_engine(), "session_cookie")  # the same in every process
    server.config.update(
        CITYWALL_SETTINGS=settings,
        SESSION_COOKIE_NAME="citywall_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.auth.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.auth.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.auth.secure_cookies,
    )
    manager = flask_login.LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(secret: str):
        user = accounts.session_user(_engine(), secret)
        return SessionUser(user, secret) if user else None

    install_caller_resolver(resolve_caller)
    server.add_url_rule(LOGIN_PATH, "citywall_login", login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "citywall_logout", logout, methods=["GET", "POST"])


# ---- kiosk tokens ---------------------------------------------------------------------------------

def admit_kiosk_token() -> flask.Response | None:
    """A page request with ``?token=``: an active token makes this browser a kiosk screen (audited
    once per page load: the polls that follow carry the session, not the token); any other is refused."""
    secret = flask.request.args.get(TOKEN_PARAM)
    if secret is None or flask.request.method != "GET":
        return None
    token = accounts.token_of(_engine(), secret, touch=True)
    if token is None:
        flask.session.pop(KIOSK_KEY, None)
        audit.record("kiosk", "（无效令牌）", "denied", ANONYMOUS, detail=flask.request.path)
        return message_page("大屏令牌无效或已被吊销", "请向管理员索取新的大屏地址。", 403)
    flask.session[KIOSK_KEY] = secret
    flask.session.permanent = True
    flask.g.pop("cw_caller", None)
    audit.record("kiosk", token.name, "ok", role_caller(f"kiosk:{token.name}", "", {}, kind="kiosk"),
                 detail=flask.request.path)
    return None


# ---- login and logout ------------------------------------------------------------------------------

def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = flask.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _next_path() -> str:
    target = flask.request.values.get("next", "") or "/"
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def login():
    request = flask.request
    if request.method == "GET":
        return login_page(_csrf_token(), _next_path())
    settings: Settings = flask.current_app.config["CITYWALL_SETTINGS"]
    engine = _engine()
    name = request.form.get("username", "").strip()[: accounts.NAME_MAX]
    attempted = Caller(name=name, kind="anonymous")
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, flask.session.get("csrf", "")):
        audit.record("login_failed", name, "denied", attempted, detail="CSRF 校验失败")
        return login_page(_csrf_token(), _next_path(), "登录表单已失效或来源不明（CSRF 校验失败），请刷新页面后重新登录。",
                          status=400)
    auth = settings.auth
    window = auth.login_window_minutes * 60
    keys = {f"user:{name}": auth.login_max_failures, f"addr:{audit.request_address()}": auth.login_max_failures_per_address}
    if accounts.login_blocked(engine, keys, window):
        audit.record("login_failed", name, "denied", attempted, detail="登录失败次数过多，已暂时锁定")
        return login_page(_csrf_token(), _next_path(),
                          f"登录失败次数过多，请 {auth.login_window_minutes} 分钟后再试。", status=429)
    user = accounts.authenticate(engine, name, request.form.get("password", ""))
    if user is None:
        accounts.record_login_failure(engine, keys, window)
        audit.record("login_failed", name, "failed", attempted, detail="用户名或密码错误，或账号已停用")
        return login_page(_csrf_token(), _next_path(), "用户名或密码错误。", status=401)
    accounts.clear_login_failures(engine, f"user:{name}")
    secret = accounts.open_session(engine, user, auth.session_hours * 3600, audit.request_address())
    flask.session.clear()  # a fresh session: nothing from before the login (a kiosk token, the old CSRF token)
    flask.session.permanent = True
    flask_login.login_user(SessionUser(user, secret))
    flask.g.pop("cw_caller", None)
    audit.record("login", user.name, "ok", role_caller(user.name, user.role, auth.role_permissions()))
    return flask.redirect(_next_path())


def logout():
    user = flask_login.current_user
    if user.is_authenticated:
        accounts.close_session(_engine(), user.secret)
        audit.record("logout", user.user.name, "ok")
        flask_login.logout_user()
    flask.session.clear()
    return flask.redirect(LOGIN_PATH)
