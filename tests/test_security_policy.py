"""The Content-Security-Policy and the framing headers follow the settings (framing portals, an
intranet tile server)."""
from __future__ import annotations

import pytest

from dashboard import db
from dashboard.app import create_app
from dashboard.security import content_security_policy
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore


def _app(**settings):
    return create_app(Settings.model_validate(settings), MemoryFrameStore(), db.connect("sqlite://"))


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
