"""The Chinese pages of the auth layer: the login form, a refusal (401/403/429) and the same refusal
inside the app (a Dash page the caller may not see)."""
from __future__ import annotations

import flask
from dash import html
from markupsafe import Markup

from dashboard.permissions import PERMISSIONS, Caller, PermissionDenied

_STYLE = """
body { margin: 0; background: #050d1f; color: #d6e6ff; display: flex; align-items: center; justify-content: center;
  min-height: 100vh; font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif; }
main { min-width: 360px; text-align: center; }
h1 { font-size: 32px; margin: 0 0 20px; }
p { font-size: 18px; color: #7f9cc7; }
.error { color: #ff6b6b; }
label { display: block; text-align: left; margin: 14px 0 6px; font-size: 16px; }
input { width: 100%; box-sizing: border-box; padding: 10px; font-size: 18px; background: #0b1a36; color: #d6e6ff;
  border: 1px solid #27d3ff55; border-radius: 4px; }
button { margin-top: 22px; width: 100%; padding: 12px; font-size: 18px; background: #27d3ff; color: #050d1f;
  border: 0; border-radius: 4px; cursor: pointer; }
a { color: #27d3ff; font-size: 18px; }
"""


def _document(title: str, body: Markup, status: int) -> flask.Response:
    page = Markup("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title>"
                  "<style>{}</style></head><body><main>{}</main></body></html>").format(title, Markup(_STYLE), body)
    response = flask.Response(str(page), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def login_page(csrf: str, next_path: str, error: str = "", status: int = 200) -> flask.Response:
    body = Markup(
        "<h1>登录 · 智慧城市运行指挥中心</h1>{error}"
        "<form method=\"post\" action=\"/login\">"
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">"
        "<input type=\"hidden\" name=\"next\" value=\"{next}\">"
        "<label for=\"username\">用户名</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>"
        "<label for=\"password\">密码</label>"
        "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
        "<button type=\"submit\">登录</button></form>"
    ).format(error=Markup("<p class=\"error\" role=\"alert\">{}</p>").format(error) if error else "",
             csrf=csrf, next=next_path)
    return _document("登录", body, status)


def message_page(title: str, message: str, status: int, login_link: bool = True) -> flask.Response:
    link = Markup("<p><a href=\"/login\">登录</a> · <a href=\"/wall\">返回大屏</a></p>") if login_link else ""
    body = Markup("<h1>{}（{}）</h1><p>{}</p>{}").format(title, status, message, link)
    return _document(title, body, status)


def denied_page(exc: PermissionDenied) -> flask.Response:
    """A refused request: 401 for a visitor who is not logged in, else 403."""
    status = 403 if exc.caller.logged_in else 401
    return message_page("没有权限", exc.message, status)


def refusal(permission: str, caller: Caller) -> html.Div:
    """A page the caller may not see, inside the app (a link followed within the wall)."""
    message = PermissionDenied(permission, caller).message
    return html.Div([
        html.H1("没有权限"),
        html.P(f"{message}。", className="cw-drill-note"),
        html.P([html.A("登录", href="/login", className="cw-back") if not caller.logged_in else None,
                html.A("‹ 返回大屏", href="/wall", className="cw-back")]),
    ], className="cw-page cw-refused", **{"data-permission": permission, "data-need": PERMISSIONS[permission]})
