"""The frame every drill-down page shares (layouts/drill_page.py)."""
from __future__ import annotations

from dash import dcc, html

from layouts.drill_page import drill_page
from tests.components import find


def test_a_drill_page_without_an_id_builds_in_bootstraps_dark_theme():
    page = drill_page("区县下钻 · 东湖区", [("全市", "/incidents"), ("东湖区", None)], html.P("x"),
                      query_notices=["「period」的值「x」无效，已显示默认视图"])
    assert "id" not in page.to_plotly_json()["props"]  # Dash 4 refuses id=None: the page failed to build
    assert page.to_plotly_json()["props"]["data-bs-theme"] == "dark"
    assert "cw-drill-page" in page.className
    links = find(page, lambda c: isinstance(c, dcc.Link))
    assert [(link.children, link.href) for link in links] == [("‹ 返回大屏", "/wall"), ("全市", "/incidents")]
    current = find(page, lambda c: "is-current" in (getattr(c, "className", "") or ""))
    assert [c.children for c in current] == ["东湖区"]
    assert drill_page("t", [("全市", None)], None, page_id="drill-x").id == "drill-x"
