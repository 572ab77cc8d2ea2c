"""隔离行 page (/ops/quarantine?source=…&page=…): per source, the rows its last run rejected, paged, each
with its whole raw row and every reason (masked per ``app.mask_personal``), the CSV / Excel download,
and the count trend across runs. Built from dashboard/ops_view.py's QuarantineView only."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import formatting as fmt
from dashboard.ops_view import QuarantineView, quarantine_view
from dashboard.query_params import whole_number
from layouts.drill_page import drill_page
from layouts.status import _table

CRUMBS = [("大屏", "/wall"), ("运维", "/ops")]


def _href(source: str, page: int = 1) -> str:
    return "/ops/quarantine?" + urlencode({k: v for k, v in (("source", source), ("page", page)) if v})


def trend_figure(trend: list[tuple[str, int]]) -> go.Figure:
    figure = go.Figure(go.Bar(x=[t for t, _ in trend], y=[n for _, n in trend], marker_color="#ff9f43",
                              hovertemplate="%{x}<br>隔离 %{y:,} 行<extra></extra>"))
    figure.update_layout(height=240, margin=dict(l=48, r=16, t=16, b=64), xaxis=dict(type="category"),
                         yaxis=dict(title="隔离行数", rangemode="tozero"))
    return figure


def quarantine_body(view: QuarantineView) -> html.Div:
    q = view.page
    scope = f"「{view.source}」" if view.source else "全部数据源"
    pick = html.Div(["数据源: ", dcc.Link("全部", href=_href(""), className="cw-pager-link"),
                     *[dcc.Link(s, href=_href(s), className="cw-pager-link") for s in view.sources]], className="cw-pager")
    query = f"?{urlencode({'source': view.source})}" if view.source else ""
    downloads = html.Div([html.A(f"下载{scope}的隔离行（CSV）", href=f"/ops/quarantine.csv{query}", className="cw-back"),
                          html.A("（Excel）", href=f"/ops/quarantine.xlsx{query}", className="cw-back")],
                         className="cw-ops-downloads") if q.total else None
    pager = html.Div([
        dcc.Link("上一页", href=_href(view.source, q.page - 1), className="cw-pager-link") if q.page > 1
        else html.Span("上一页", className="cw-muted"),
        html.Span(f"第 {q.page} / {q.pages} 页 · 共 {fmt.count(q.total)} 行", className="cw-pager-info"),
        dcc.Link("下一页", href=_href(view.source, q.page + 1), className="cw-pager-link") if q.page < q.pages
        else html.Span("下一页", className="cw-muted"),
    ], className="cw-pager")
    rows = [[r.source, r.row_number, html.Ul([html.Li(part) for part in r.reason.split("；")]),
             html.Div(r.raw, className="cw-raw")] for r in q.rows]
    trend = None
    if view.source:
        trend = html.Div([html.H2(f"{scope}每次拉取的隔离行数（最近 {len(view.trend)} 次）"),
                          dcc.Graph(figure=trend_figure(view.trend), config={"displayModeBar": False})
                          if view.trend else html.P("尚无拉取记录。")])
    return html.Div([
        pick, trend,
        html.H2(f"{scope}最近一次拉取的隔离行"),
        downloads, pager,
        _table(["数据源", "源行号", "原因（全部）", "原始行（完整，已脱敏）"], rows, className="cw-quarantine")
        if rows else html.P("没有隔离行。"),
    ])


def layout(source=None, page=None, **_query) -> html.Div:
    crumbs = [*CRUMBS, ("隔离行", None)]
    notices: list[str] = []
    number = whole_number(page, 1, "页码", notices, low=1, high=1_000_000)
    view = quarantine_view(source or "", number)
    if source and view.source != source:
        notices.append(f"没有名为「{source}」的数据源，显示全部数据源")
    return drill_page("隔离行", crumbs, quarantine_body(view), query_notices=notices, back_href="/ops",
                      page_id="ops-quarantine-page")


dash.register_page(__name__, path="/ops/quarantine", title="隔离行", name="隔离行", layout=layout,
                   permission="view_raw_rows")
