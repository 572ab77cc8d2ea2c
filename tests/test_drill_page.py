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
    links = find(page, lambda c: isinstance(c, dcc.Link) and c.href)  # not the command bar's (no view yet)
    assert [(link.children, link.href) for link in links] == [("‹ 返回大屏", "/wall"), ("大屏", "/wall"),
                                                              ("全市", "/incidents")]
    current = find(page, lambda c: "is-current" in (getattr(c, "className", "") or ""))
    assert [c.children for c in current] == ["东湖区"]
    assert drill_page("t", [("全市", None)], None, page_id="drill-x").id == "drill-x"


def test_the_breadcrumb_starts_at_the_wall_in_the_pages_district_view():
    def crumbs(page):
        nav = find(page, lambda c: getattr(c, "className", "") == "cw-breadcrumb")[0]
        return [(c.children, getattr(c, "href", None)) for c in nav.children if "cw-crumb-sep" != c.className]
    district = drill_page("t", [("全市", "/incidents"), ("东湖区", None)], None, wall_district="D1")
    assert crumbs(district) == [("大屏", "/wall?view=district%3AD1"), ("全市", "/incidents"), ("东湖区", None)]
    # a page naming its own 大屏 crumb gets the one link, not two crumbs
    own = drill_page("t", [("大屏", "/wall"), ("数据共享", None)], None)
    assert crumbs(own) == [("大屏", "/wall"), ("数据共享", None)]


def test_wall_links_in_a_district_view_carry_the_region():
    from layouts.links import in_view, wall_href

    assert in_view("/incidents", "D1") == "/incidents?region=D1"
    assert in_view("/incidents?period=today", "D1") == "/incidents?region=D1&period=today"
    assert in_view("/incidents?region=G7", "D1") == "/incidents?region=G7"  # a link naming its own region
    assert in_view("/sharing", "D1") == "/sharing" and in_view("/incidents", None) == "/incidents"
    assert wall_href() == "/wall" and wall_href("D1") == "/wall?view=district%3AD1"
