"""A path that matches no page answers in Chinese, with HTTP 404 and a link back to the wall."""
from __future__ import annotations

import pytest

from dashboard import db
from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore


@pytest.fixture(scope="module")
def client():
    return create_app(Settings(auth={"anonymous_role": "leader"}), MemoryFrameStore(), db.connect("sqlite://")).server.test_client()


@pytest.mark.parametrize("path", ["/nothing-here", "/wall/extra/parts", "/district", "/404", "/statusx?x=1"])
def test_an_unknown_path_is_a_chinese_404_with_a_link_to_the_wall(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "页面不存在" in body and 'href="/wall"' in body and "返回大屏" in body
    assert "Page not found" not in body and 'lang="zh-CN"' in body


@pytest.mark.parametrize("path", ["/", "/wall", "/wall/", "/status", "/sharing", "/district/999999",
                                  "/department/x", "/_dash-layout", "/_dash-dependencies", "/assets/wall.js"])
def test_pages_and_the_apps_own_routes_still_answer(client, path):
    assert client.get(path).status_code == 200


def test_a_link_inside_the_app_to_an_unknown_path_shows_the_chinese_page():
    import dash

    from dashboard import not_found

    page = next(p for m, p in dash.page_registry.items() if m.endswith("not_found_404"))
    text = str(page["layout"]().to_plotly_json())
    assert "页面不存在" in text and "/wall" in text and not_found.is_not_found_page(page)
