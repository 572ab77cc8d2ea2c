"""Placeholder drill-down pages: every URL the wall links to answers with a plain page (下钻页面建设中)
until the real drill-down replaces it. The URL already carries the view (``/district/<region_id>``,
``/targets?target=…``), so it reopens the same thing once the page exists.
"""
from __future__ import annotations

from urllib.parse import unquote

import dash
from dash import dcc, html

from dashboard import formatting as fmt
from dashboard import runtime

QUERY_LABELS = {"category": "事件分类", "target": "目标", "weekday": "星期", "hour": "小时", "dept": "部门"}


def _region_name(region_id: str) -> str:
    try:
        regions = runtime.current().geography.regions
        hit = regions[regions["region_id"].astype(str) == region_id]
        return str(hit["name"].iloc[0]) if len(hit) else region_id
    except Exception:  # no runtime or no geography: show the id
        return region_id


def _dept_name(dept_id: str) -> str:
    try:
        frame = runtime.current().store.frame("departments", "departments")
        hit = frame[frame["dept_id"].astype(str) == dept_id]
        return str(hit["name"].iloc[0]) if len(hit) else dept_id
    except Exception:
        return dept_id


def placeholder(title: str, details: list[tuple[str, str]] | None = None) -> html.Div:
    rows = [html.Li([html.Span(f"{k}：", className="cw-muted"), v]) for k, v in (details or []) if v]
    return html.Div([
        html.H1(title),
        html.P("下钻页面建设中", className="cw-drill-note"),
        html.Ul(rows, className="cw-drill-params") if rows else None,
        dcc.Link("‹ 返回大屏", href="/wall", className="cw-back"),
    ], className="cw-page cw-drill")


def _query_details(query: dict) -> list[tuple[str, str]]:
    out = []
    for key, value in query.items():
        if key in QUERY_LABELS and value not in (None, ""):
            if key == "weekday" and str(value).isdigit() and int(value) < 7:
                value = fmt.WEEKDAYS_SHORT[int(value)]
            elif key == "hour":
                value = f"{value} 时"
            out.append((QUERY_LABELS[key], str(value)))
    return out


def district_layout(region_id: str = "", **query) -> html.Div:
    region_id = unquote(region_id or "")
    name = _region_name(region_id)
    return placeholder(f"区县下钻 · {name}", [("区县", f"{name}（{region_id}）")] + _query_details(query))


def department_layout(dept_id: str = "", **query) -> html.Div:
    dept_id = unquote(dept_id or "")
    name = _dept_name(dept_id)
    return placeholder(f"部门下钻 · {name}", [("部门", f"{name}（{dept_id}）")] + _query_details(query))


def _simple(title: str):
    def page(**query) -> html.Div:
        return placeholder(title, _query_details(query))
    return page


def register_pages(app=None) -> None:
    """Register the pages now, or (as a dash.hooks.setup hook) while a Dash app is being created."""
    token = None
    if app is not None:  # inside Dash.__init__: dash.get_app() does not answer yet, so give it the app
        from dash import _get_app

        token = _get_app.app_context.set(app)
    try:
        dash.register_page("layouts.drill.district", path_template="/district/<region_id>", title="区县下钻",
                           name="区县下钻", layout=district_layout)
        dash.register_page("layouts.drill.department", path_template="/department/<dept_id>", title="部门下钻",
                           name="部门下钻", layout=department_layout)
        for path, title in (("/sharing", "数据共享下钻"), ("/exchange", "数据交换下钻"), ("/cloud", "上云进度下钻"),
                            ("/incidents", "事件下钻"), ("/targets", "目标指标下钻")):
            dash.register_page(f"layouts.drill{path.replace('/', '.')}", path=path, title=title, name=title,
                               layout=_simple(title))
    finally:
        if token is not None:
            _get_app.app_context.reset(token)


try:
    register_pages()
except dash.exceptions.PageError:  # imported before any Dash app exists: register with the app
    dash.hooks.setup()(register_pages)
