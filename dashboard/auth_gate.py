"""Authorization on the server, before any page, route or callback runs.

- a page (a GET of a path Dash Pages routes): its ``permission`` (register_page), else
  :data:`~dashboard.permissions.DEFAULT_PAGE_PERMISSION`; a visitor who is not logged in is sent
  to /login, a logged-in one gets a Chinese 403. Every page's layout is wrapped too, so the routing
  callback and the first-page shortcut (dashboard/first_page.py, whatever the Referer names)
  render a refusal instead of the page;
- a callback POST: every output must be declared with
  :func:`~dashboard.permissions.protect_callbacks` and its permission held, else 403;
- the app shell (/_dash-layout, /_dash-dependencies): any permission at all;
- other Flask routes (downloads) call ``require_permission``; its :class:`PermissionDenied` is
  answered here (401/403, Chinese).

Refusals are audited (action ``denied``) and logged in one line.
"""
from __future__ import annotations

import logging

import dash
import flask

from dashboard import audit, auth, pages, security
from dashboard.auth_pages import denied_page, message_page, refusal
from dashboard.permissions import PermissionDenied, callback_permission, current_caller, page_permission
from dashboard.settings import Settings

log = logging.getLogger("citywall.auth")
#: open to everyone: the login pages and static code (no data)
OPEN_PREFIXES = ("/login", "/logout", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/_reload-hash")
SHELL_PATHS = ("/_dash-layout", "/_dash-dependencies")
#: Dash Pages' routing callback: what it renders is checked by the page's wrapped layout
ROUTER_OUTPUTS = frozenset({"_pages_content", "_pages_store", "_pages_dummy"})


def guard_page_layouts() -> None:
    """Wrap every registered page's layout: a caller without the page's permission gets a refusal."""
    for page in dash.page_registry.values():
        layout = page.get("layout")
        if getattr(layout, "citywall_guarded", False):
            continue
        permission = page_permission(page)
        if permission is None:
            continue

        def guarded(*args, _layout=layout, _permission=permission, **kwargs):
            caller = current_caller()
            if _permission not in caller.permissions:
                return refusal(_permission, caller)
            return _layout(*args, **kwargs) if callable(_layout) else _layout

        guarded.citywall_guarded = True
        guarded.__wrapped__ = layout  # the validation layout (dashboard/pages.py) reads ids past the check
        page["layout"] = guarded


def _refuse(exc: PermissionDenied, what: str):
    log.warning("拒绝（%s）%s: %s，来自 %s", exc.caller.name or exc.caller.kind, what, exc.message,
                flask.request.remote_addr or "?")
    audit.record("denied", what, "denied", exc.caller, detail=exc.message)
    if security.is_callback_request() or flask.request.path in SHELL_PATHS:
        return security.plain(exc.message, 403 if exc.caller.logged_in else 401)
    return denied_page(exc)


def _check_callback(app: dash.Dash):
    body = security.callback_body(app)
    caller = current_caller()
    ids = security.output_ids(body)
    if all(i in ROUTER_OUTPUTS for i in ids if isinstance(i, str)) and not caller.permissions:
        raise PermissionDenied("view_wall", caller)
    needed = {callback_permission(i) for i in ids if not (isinstance(i, str) and i in ROUTER_OUTPUTS)}
    if None in needed:
        log.warning("回调 %s 的输出未声明所需权限（permissions.protect_callbacks），已拒绝", body["output"])
        return security.plain("此操作未声明所需权限，已拒绝", 403)
    for permission in sorted(needed):
        if permission not in caller.permissions:
            return _refuse(PermissionDenied(permission, caller), f"回调 {body['output'][:120]}")
    return None


def _check_page(app: dash.Dash):
    hit = pages.match(app.strip_relative_path(flask.request.path))
    if hit is None:
        return None  # not a page: a route of its own (or the 404 page), which checks its own permission
    page = hit[0]
    permission = page_permission(page)
    caller = current_caller()
    if permission is None or permission in caller.permissions:
        return None
    if not caller.logged_in and flask.request.method == "GET":
        target = flask.request.full_path.rstrip("?")
        return flask.redirect(f"{auth.LOGIN_PATH}?next={flask.request.script_root}{target}" if target != "/"
                              else auth.LOGIN_PATH)
    return _refuse(PermissionDenied(permission, caller), f"页面 {flask.request.path}")


def install(app: dash.Dash, settings: Settings) -> None:
    server = app.server
    guard_page_layouts()

    def gate():
        path = flask.request.path
        if path.startswith(OPEN_PREFIXES):
            return None
        refused = auth.admit_kiosk_token()
        if refused is not None:
            return refused
        caller = current_caller()
        if flask.g.get("cw_revoked_token"):
            audit.record("kiosk", "（已吊销的令牌）", "denied", caller, detail=path)
            message = "大屏令牌已被吊销，请向管理员索取新的大屏地址"
            return (security.plain(message, 403) if flask.request.method != "GET" or path in SHELL_PATHS
                    else message_page("大屏令牌已被吊销", message + "。", 403))
        if security.is_callback_request():
            return _check_callback(app)
        if path in SHELL_PATHS:
            return None if caller.permissions else _refuse(PermissionDenied("view_wall", caller), path)
        if flask.request.method in ("GET", "HEAD"):
            return _check_page(app)
        return None

    server.before_request(gate)
    server.register_error_handler(PermissionDenied, lambda exc: _refuse(exc, flask.request.path))
