"""What the app declares about itself: every server callback names the permission it needs, and the
Content-Security-Policy follows the settings (framing portals, an intranet tile server)."""
from __future__ import annotations

import pytest
from dash._callback import GLOBAL_CALLBACK_MAP

from dashboard import db
from dashboard.app import create_app
from dashboard.auth_gate import ROUTER_OUTPUTS
from dashboard.permissions import callback_permission
from dashboard.security import content_security_policy, output_ids
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore
from tests.auth_helpers import output_specs


def _app(**settings):
    return create_app(Settings.model_validate(settings), MemoryFrameStore(), db.connect("sqlite://"))


def test_every_server_callback_declares_the_permission_of_its_outputs():
    """An undeclared callback is refused at run time (403); this lists them before anyone clicks."""
    app = _app()
    undeclared = []
    for key, spec in {**GLOBAL_CALLBACK_MAP, **app.callback_map}.items():
        if spec.get("clientside_function") or spec.get("clientside"):
            continue  # runs in the browser, never POSTs
        ids = output_ids({"outputs": output_specs(key)})
        undeclared += [key for i in ids if not (isinstance(i, str) and i in ROUTER_OUTPUTS) and callback_permission(i) is None]
    assert undeclared == []


@pytest.mark.parametrize("settings,expected,absent", [
    ({}, ["frame-ancestors 'none'", "img-src 'self' data: blob:;", "connect-src 'self';"], []),
    ({"auth": {"frame_ancestors": ["https://portal.example.gov.cn"]}},
     ["frame-ancestors https://portal.example.gov.cn"], ["frame-ancestors 'none'"]),
    ({"city": {"geo": {"tiles": "http://10.1.2.3:8090/tiles/{z}/{x}/{y}.png"}}},
     ["img-src 'self' data: blob: http://10.1.2.3:8090", "connect-src 'self' http://10.1.2.3:8090"], []),
])
def test_the_policy_follows_the_settings(settings, expected, absent):
    app = _app(**settings)
    policy = content_security_policy(app, Settings.model_validate(settings))
    for part in expected:
        assert part in policy
    for part in absent:
        assert part not in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy


def test_framing_is_refused_unless_portals_are_named():
    client = _app(auth={"anonymous_role": "viewer"}).server.test_client()
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"
    portal = _app(auth={"frame_ancestors": ["https://portal.example.gov.cn"]}).server.test_client()
    response = portal.get("/login")
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors https://portal.example.gov.cn" in response.headers["Content-Security-Policy"]
