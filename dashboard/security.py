"""Defences of the HTTP surface: response headers (CSP, nosniff, Referrer-Policy, framing), the request
size limit, malformed callback POSTs and Chinese answers for every HTTP error.

A bad request is answered 4xx with a short Chinese message and logged in one line (who, what, why),
never with Flask's English page or a traceback: a flood of them must not flood the log.
"""
from __future__ import annotations

import logging
import traceback
from urllib.parse import urlsplit

import dash
import flask
from werkzeug.exceptions import HTTPException

from dashboard.errors import MessageError
from dashboard.settings import Settings

log = logging.getLogger("citywall.security")
CALLBACK_PATH = "_dash-update-component"

HTTP_MESSAGES = {
    400: "请求无效", 401: "需要登录", 403: "没有权限", 404: "页面不存在", 405: "不支持该请求方法",
    413: "请求过大", 415: "请求格式不受支持", 429: "请求过于频繁", 500: "服务器内部错误",
}
#: exceptions a callback raises on values of the wrong shape or type: the request's fault, a 400
BAD_VALUE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)


class BadCallback(MessageError):
    """A callback POST that is not what dash-renderer sends; .message says what, in Chinese."""


def is_callback_request() -> bool:
    return flask.request.path.endswith("/" + CALLBACK_PATH)


def plain(message: str, status: int) -> flask.Response:
    response = flask.Response(message, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _where() -> str:
    request = flask.request
    return f"{request.method} {request.path} 来自 {request.remote_addr or '?'}"


def _is_prop(item) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), (str, dict)) and isinstance(item.get("property"), str)


def _props_ok(items) -> bool:
    """A list of {id, property[, value]} items, or of lists of them (pattern-matching ALL/ALLSMALLER)."""
    return isinstance(items, list) and all(_is_prop(i) or (isinstance(i, list) and all(_is_prop(j) for j in i))
                                           for i in items)


def callback_body(app: dash.Dash) -> dict:
    """The callback POST's JSON, checked against what dash-renderer sends; else :class:`BadCallback`."""
    request = flask.request
    if not request.is_json:
        raise BadCallback("回调请求须为 JSON（Content-Type: application/json）")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadCallback("回调请求的 JSON 应为对象")
    output = body.get("output")
    if not isinstance(output, str) or output not in app.callback_map:
        raise BadCallback("未知的回调输出")
    outputs = body.get("outputs")
    if not (_is_prop(outputs) or _props_ok(outputs)):
        raise BadCallback("回调请求的 outputs 格式无效")
    if not _props_ok(body.get("inputs")) or not _props_ok(body.get("state", [])):
        raise BadCallback("回调请求的 inputs 或 state 格式无效")
    if not isinstance(body.get("changedPropIds", []), list):
        raise BadCallback("回调请求的 changedPropIds 应为列表")
    return body


def output_ids(body: dict) -> list:
    outputs = body["outputs"]
    items = [outputs] if isinstance(outputs, dict) else outputs
    return [j["id"] for i in items for j in (i if isinstance(i, list) else [i])]


def content_security_policy(app: dash.Dash, settings: Settings) -> str:
    """A CSP Dash lives with: scripts only from the app and Dash's own inline scripts (by hash);
    inline styles, which React's and plotly's style attributes need."""
    ancestors = " ".join(settings.auth.frame_ancestors) or "'none'"
    scripts = " ".join(app.csp_hashes())  # quoted already: 'sha256-…'
    tiles = urlsplit(settings.city.geo.tiles)  # an intranet tile server the map loads from
    tile_origin = f" {tiles.scheme}://{tiles.netloc}" if tiles.scheme in ("http", "https") and tiles.netloc else ""
    return "; ".join([
        "default-src 'self'", f"script-src 'self' {scripts}".strip(), "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tile_origin}", "font-src 'self' data:", f"connect-src 'self'{tile_origin}",
        "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", f"frame-ancestors {ancestors}",
    ])


def install(app: dash.Dash, settings: Settings) -> None:
    server = app.server
    limit = settings.auth.max_request_kb * 1024
    server.config["MAX_CONTENT_LENGTH"] = limit
    policy: list[str] = []  # computed at the first response: every callback (and its inline script) exists by then

    def refuse_oversized():
        length = flask.request.content_length
        if length is not None and length > limit:
            log.warning("请求过大（%d 字节，上限 %d）: %s", length, limit, _where())
            return plain(f"请求过大：上限为 {settings.auth.max_request_kb} KB", 413)
        return None

    def add_headers(response: flask.Response):
        if not policy:
            policy.append(content_security_policy(app, settings))
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")  # the first-page shortcut reads same-origin Referers
        headers.setdefault("Content-Security-Policy", policy[0])
        if not settings.auth.frame_ancestors:
            headers.setdefault("X-Frame-Options", "DENY")
        return response

    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, "请求无法处理")
        if status == 413:
            message = f"请求过大：上限为 {settings.auth.max_request_kb} KB"
        log.warning("%d %s: %s", status, message, _where())
        return plain(message, status)

    def bad_callback(exc: BadCallback):
        log.warning("无效的回调请求（%s）: %s", exc.message, _where())
        return plain(exc.message, 400)

    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if is_callback_request() and isinstance(exc, BAD_VALUE_ERRORS):
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            at = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "?"
            log.warning("回调参数无效（%s: %s，于 %s）: %s", type(exc).__name__, str(exc)[:200], at, _where())
            return plain("回调参数无效：值的类型或格式不对", 400)
        if server.testing or server.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc  # as Flask itself does: a test sees what the app raised
        log.error("服务器内部错误: %s", _where(), exc_info=exc)
        return plain(HTTP_MESSAGES[500], 500)

    server.before_request(refuse_oversized)
    server.after_request(add_headers)
    server.register_error_handler(HTTPException, http_error)
    server.register_error_handler(BadCallback, bad_callback)
    server.register_error_handler(Exception, unexpected)
