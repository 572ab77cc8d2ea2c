"""The page the app serves: the partial plotly.js bundle, and assets the browser may keep."""
from __future__ import annotations

import re

import pytest

from dashboard import db
from dashboard.app import PLOTLY_BUNDLE, PLOTLY_BUNDLE_VERSION, create_app
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore


def _index_scripts(tiles: str = "") -> tuple[list[str], object]:
    settings = Settings.model_validate({"city": {"geo": {"tiles": tiles}}, "auth": {"anonymous_role": "viewer"}})
    client = create_app(settings, MemoryFrameStore(), db.connect("sqlite://")).server.test_client()
    page = client.get("/").get_data(as_text=True)
    return re.findall(r'<script src="([^"]+)"', page), client


def test_the_wall_loads_the_cartesian_bundle_before_the_renderer():
    scripts, client = _index_scripts()
    bundle = [n for n, src in enumerate(scripts) if PLOTLY_BUNDLE in src]
    renderer = [n for n, src in enumerate(scripts) if "dash_renderer" in src]
    assert len(bundle) == 1 and bundle[0] < renderer[0]  # window.Plotly exists before any graph mounts
    response = client.get(scripts[bundle[0]])
    assert response.status_code == 200 and f"v{PLOTLY_BUNDLE_VERSION}" in response.get_data(as_text=True)[:200]
    assert response.cache_control.max_age == 31_536_000 and response.cache_control.immutable


def test_with_a_tile_server_the_map_needs_the_full_bundle():
    scripts, _ = _index_scripts("http://127.0.0.1:8090/tiles/{z}/{x}/{y}.png")
    assert not [src for src in scripts if "vendor/" in src]  # dcc.Graph then loads plotly's full bundle


def test_the_vendored_bundle_matches_the_plotly_package():
    from plotly.offline import get_plotlyjs_version

    # a newer plotly package may emit attributes an older bundle ignores: upgrade them together
    assert get_plotlyjs_version().split(".")[:2] == PLOTLY_BUNDLE_VERSION.split(".")[:2]


@pytest.mark.parametrize("asset", ["wall.css", "wall.js", "components.js"])
def test_assets_linked_with_their_version_are_kept_a_year(asset):
    _, client = _index_scripts()
    response = client.get(f"/assets/{asset}?m=1")
    assert response.cache_control.max_age == 31_536_000 and response.cache_control.immutable
    assert client.get(f"/assets/{asset}").cache_control.max_age != 31_536_000  # unversioned: revalidated
