"""The frame every drill-down page shares: title, breadcrumb, notices for bad query values, filters and
body, in the wall's dark theme. Pages are desktop pages (1920×1080, and 1366×1024 by touch), laid out
responsively with dash-bootstrap-components, not the wall's scaled canvas.

Built from plain values only: a page module turns its view model into these calls.
"""
from __future__ import annotations

from dash import dcc, html

from layouts.command_bar import command_bar
from layouts.links import WALL_LABEL, wall_href

Crumb = tuple[str, str | None]  # (label, href); the last crumb, the current view, has no link


def breadcrumb(crumbs: list[Crumb]) -> html.Nav:
    """全市 › 滨江区 › 某街道: every crumb but the last is one click up."""
    items: list = []
    for i, (label, href) in enumerate(crumbs):
        if i:
            items.append(html.Span("›", className="cw-crumb-sep", **{"aria-hidden": "true"}))
        last = i == len(crumbs) - 1
        items.append(html.Span(label, className="cw-crumb is-current", **{"aria-current": "page"}) if last or not href
                     else dcc.Link(label, href=href, className="cw-crumb"))
    return html.Nav(items, className="cw-breadcrumb", **{"aria-label": "位置"})


def notices(messages: list[str]) -> html.Div | None:
    """The Chinese notices of a query that had bad values (the view shown is the default one)."""
    if not messages:
        return None
    return html.Div([html.Div(m, className="cw-notice-line") for m in messages], className="cw-drill-notices",
                    role="status")


def with_wall(crumbs: list[Crumb], district: str | None = None) -> list[Crumb]:
    """The breadcrumb starting at the wall (大屏), in the view of ``district`` when the page has one;
    a page's own 大屏 crumb gets that link too."""
    rest = crumbs[1:] if crumbs and crumbs[0][0] == WALL_LABEL else crumbs
    return [(WALL_LABEL, wall_href(district)), *rest]


def drill_page(title: str, crumbs: list[Crumb], body, *, query_notices: list[str] | None = None, filters=None,
               back_href: str = "/wall", page_id: str = "", wall_district: str | None = None,
               bar: str = "drill") -> html.Div:
    """One drill-down page: a header (back link, breadcrumb from 大屏, the command bar named ``bar``), the
    title, the notices, the filters, the body. ``wall_district``: the district the page is about, whose
    wall view its 大屏 crumb opens."""
    return html.Div([
        html.Header([
            dcc.Link("‹ 返回大屏", href=back_href, className="cw-back"),
            breadcrumb(with_wall(crumbs, wall_district)),
            command_bar(bar),  # 一句话响应: shown to a caller holding view_drilldowns (callbacks/command_bar.py)
        ], className="cw-drill-head"),
        html.H1(title),
        notices(query_notices or []),
        html.Div(filters, className="cw-drill-filters") if filters is not None else None,
        html.Div(body, className="cw-drill-body"),
    ], className="cw-page cw-drill-page", **({"id": page_id} if page_id else {}),
        **{"data-bs-theme": "dark"})  # Bootstrap's dark theme (assets/drill/base.css gives it the wall's colours)
