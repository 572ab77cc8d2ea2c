"""Placeholder drill-down pages: every URL the wall links to answers with a plain page (下钻页面建设中)
until the real drill-down replaces it (/incidents and /district/<id>: layouts/incidents.py). The URL already carries the view (``/district/<region_id>``,
``/targets?target=…``), so it reopens the same thing once the page exists.
"""
from __future__ import annotations

from urllib.parse import unquote

import dash
from dash import html

from dashboard import formatting as fmt
from dashboard import pages
from dashboard.drill_view import department_name
from layouts.drill_page import drill_page

QUERY_LABELS = {"category": "事件分类", "target": "目标", "weekday": "星期", "hour": "小时", "dept": "部门"}


def placeholder(title: str, details: list[tuple[str, str]] | None = None) -> html.Div:
    rows = [html.Li([html.Span(f"{k}：", className="cw-muted"), v]) for k, v in (details or []) if v]
    return drill_page(title, [("全市", "/wall"), (title, None)], [
        html.P("下钻页面建设中", className="cw-drill-note"),
        html.Ul(rows, className="cw-drill-params") if rows else None,
    ])


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


def department_layout(dept_id: str = "", **query) -> html.Div:
    dept_id = unquote(dept_id or "")
    name = department_name(dept_id)
    return placeholder(f"部门下钻 · {name}", [("部门", f"{name}（{dept_id}）")] + _query_details(query))


def _simple(title: str):
    def page(**query) -> html.Div:
        return placeholder(title, _query_details(query))
    return page


# registered once the Dash app exists: dashboard/app.py imports this module (dashboard/pages.py)
dash.register_page("layouts.drill.department", path_template="/department/<dept_id>", title="部门下钻",
                   name="部门下钻", layout=department_layout, page_kind=pages.DRILL)
for _path, _title in (("/sharing", "数据共享下钻"), ("/exchange", "数据交换下钻"), ("/cloud", "上云进度下钻"),
                      ("/targets", "目标指标下钻")):
    dash.register_page(f"layouts.drill{_path.replace('/', '.')}", path=_path, title=_title, name=_title,
                       layout=_simple(_title), page_kind=pages.DRILL)
