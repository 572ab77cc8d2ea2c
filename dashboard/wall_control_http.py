"""The screens' command check, ``GET /wall-control/state?screen=main&shows=<command id>`` (view_wall):
the screen's current command as a few bytes of JSON, answered from memory (dashboard/wall_control.py).

A name the caller may not claim is answered 403 with a Chinese ``error`` (audited once: the screen's
script stops polling then); a malformed name 400. Never cached by the browser.
"""
from __future__ import annotations

import flask
import orjson

from dashboard import audit, runtime, wall_control
from dashboard.permissions import current_caller, require_permission


def _json(body: dict, status: int = 200) -> flask.Response:
    response = flask.Response(orjson.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def state():
    require_permission("view_wall")  # PermissionDenied: the gate answers 401/403 in Chinese
    args = flask.request.args
    try:
        answer = wall_control.check(runtime.current().engine, current_caller(), args.get("screen"), args.get("shows"))
    except wall_control.ScreenClaimRefused as exc:
        audit.record("wall_claim", str(args.get("screen", ""))[:40], "denied", detail=exc.message)
        return _json({"error": exc.message}, 403)
    except wall_control.WallControlError as exc:
        return _json({"error": exc.message}, 400)
    return _json(answer)


def install(server: flask.Flask) -> None:
    server.add_url_rule(wall_control.CHECK_PATH, "citywall_wall_control_state", state, methods=["GET"])
