"""Parts the programme drill-downs share: numbers with the wall's hover (tap on touch), stat cards,
traffic lights, filters that write the URL, dash-ag-grid tables with sorting, filtering and a
download, and the trend figure. Built from plain values; no store, no database.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import formatting as fmt
from layouts import theme

URL_ID = "drill-url"  # the page's dcc.Location: filters write the query here (callbacks/programmes.py)
FILTER = "drill-filter"  # {"type": FILTER, "key": query key}: its value is the query's value
GRID = "drill-grid"  # {"type": GRID, "key": "sort"}: its sort and page are the query's sort and page
LIGHT_CLASS = {"绿": "is-green", "黄": "is-yellow", "红": "is-red"}
LIGHT_TEXT = {"绿": "绿灯", "黄": "黄灯", "红": "红灯"}
GRID_TEXT = {  # AG Grid's own words, in Chinese
    "page": "页码", "of": "/", "to": "–", "more": "更多", "next": "下一页", "previous": "上一页", "first": "首页",
    "last": "末页", "pageSizeSelectorLabel": "每页", "noRowsToShow": "暂无数据", "loadingOoo": "加载中…",
    "filterOoo": "筛选…", "contains": "包含", "notContains": "不包含", "equals": "等于", "notEqual": "不等于",
    "startsWith": "开头是", "endsWith": "结尾是", "blank": "为空", "notBlank": "不为空", "lessThan": "小于",
    "greaterThan": "大于", "lessThanOrEqual": "小于等于", "greaterThanOrEqual": "大于等于", "inRange": "介于",
    "andCondition": "且", "orCondition": "或", "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除",
    "selectAll": "全选", "searchOoo": "搜索…", "ariaPageSizeSelectorLabel": "每页行数",
}


def tipped(text: str, tip: str, className: str = "") -> html.Span:
    """A number with the wall's hover; tapping it on a touch screen shows the same text
    (assets/drill-tips.js)."""
    return html.Span(text, className=f"cw-num {className}".strip(), tabIndex=0, **{"data-tip": tip})


def stat_card(label: str, value: str, tip: str, *sub, tone: str = "") -> dbc.Card:
    return dbc.Card([
        html.Div(label, className="cw-stat-label"),
        tipped(value, tip, f"cw-stat-value {tone}".strip()),
        *[html.Div(s, className="cw-stat-sub") for s in sub if s],
    ], className="cw-stat", body=True)


def light_tag(light: str | None) -> html.Span:
    if light is None:
        return html.Span(fmt.MISSING, className="cw-light is-none")
    return html.Span(LIGHT_TEXT[light], className=f"cw-light {LIGHT_CLASS[light]}")


def section(title: str, *children, note: str = "") -> html.Section:
    return html.Section([html.H2([title, html.Span(note, className="cw-section-note") if note else None]),
                         *children], className="cw-section")


def select(key: str, label: str, options: dict[str, str], value: str | None, *, clearable: bool = False,
           placeholder: str = "全部", default: str | None = None) -> html.Label:
    """A filter whose value is the URL query's ``key`` (callbacks/programmes.py writes it there; the
    ``default`` value, the view without the filter, is left out of the URL)."""
    return html.Label([
        html.Span(label, className="cw-filter-label"),
        dcc.Dropdown(id={"type": FILTER, "key": key, "default": default or ""}, options=[{"label": v, "value": k} for k, v in options.items()],
                     value=value, clearable=clearable, searchable=len(options) > 8, placeholder=placeholder,
                     className="cw-filter-select"),
    ], className="cw-filter")


def filters(*controls) -> dbc.Row:
    return dbc.Row([dbc.Col(c, xs=12, md=6, lg=4, xl=3) for c in controls], className="g-3")


def url_state() -> dcc.Location:
    """The page's location, written by its filters without a reload (each change is one back step)."""
    return dcc.Location(id=URL_ID, refresh="callback-nav")


# ---- tables --------------------------------------------------------------------------------------

Column = tuple[str, str, str]  # (field, Chinese header, kind: text | percent | count | date | link | light | yesno)

_FORMATTERS = {
    "percent": "params.value == null ? '—' : d3.format('.1%')(params.value)",
    "count": "params.value == null ? '—' : d3.format(',')(params.value)",
    "signed": "params.value == null ? '—' : d3.format('+.1f')(params.value * 100) + ' 分'",
    "score": "params.value == null ? '—' : d3.format('.1f')(params.value * 100)",
}


def column_def(field: str, header: str, kind: str, sort: str | None = None) -> dict:
    col: dict = {"field": field, "headerName": header, "sortable": True, "filter": True, "resizable": True,
                 "minWidth": 90}
    if kind in _FORMATTERS:
        col.update(valueFormatter={"function": _FORMATTERS[kind]}, filter="agNumberColumnFilter", type="rightAligned")
    elif kind == "link":
        col.update(cellRenderer="markdown", minWidth=220, flex=1)
    elif kind == "text":
        col.update(minWidth=200, flex=1)
    elif kind == "light":
        col.update(cellClassRules={"cw-cell-green": "params.value == '绿灯'", "cw-cell-yellow": "params.value == '黄灯'",
                                   "cw-cell-red": "params.value == '红灯'"}, minWidth=96)
    if sort:
        col["sort"] = sort
    return col


def grid(key: str, frame: pd.DataFrame, columns: list[Column], *, sort: tuple[str, str] | None = None,
         page: int = 0, page_size: int = 15, height: int | None = None, main: bool = True) -> dag.AgGrid:
    """A sortable, filterable table; ``sort`` (field, asc|desc) and ``page`` come from the URL. The
    page's ``main`` table writes its sort and page back to the URL; the others keep theirs."""
    rows = frame[[c[0] for c in columns if c[0] in frame.columns]].copy()
    for name, _header, kind in columns:
        if kind == "date" and name in rows.columns:
            rows[name] = [fmt.day(v) if not pd.isna(v) else fmt.MISSING for v in rows[name]]
        elif kind == "yesno" and name in rows.columns:
            rows[name] = ["是" if bool(v) else "否" for v in rows[name]]
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return dag.AgGrid(
        id={"type": GRID if main else "drill-table", "key": key},
        rowData=records,
        columnDefs=[column_def(f, h, k, sort[1] if sort and sort[0] == f else None) for f, h, k in columns],
        dashGridOptions={"pagination": True, "paginationPageSize": page_size, "localeText": GRID_TEXT,
                         "paginationPageSizeSelector": False, "animateRows": False,
                         "domLayout": "autoHeight" if height is None else "normal"},
        paginationGoTo=page or None,
        className="ag-theme-alpine-dark cw-grid",
        style={"height": f"{height}px"} if height else {},
    )


def download_links(table: str, query: dict) -> html.Div:
    """CSV and XLSX of the table as the page selects it (server side, Chinese headers, permission
    download_tables: callbacks/programmes.py)."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    suffix = f"?{urlencode(params)}" if params else ""
    return html.Div([
        html.Span("下载：", className="cw-muted"),
        html.A("CSV", href=f"/drill-download/{table}.csv{suffix}", className="cw-download", download=""),
        html.A("XLSX", href=f"/drill-download/{table}.xlsx{suffix}", className="cw-download", download=""),
    ], className="cw-downloads")


# ---- figures -------------------------------------------------------------------------------------

def trend_figure(series: pd.DataFrame, *, name: str, hover: str, unit: str = "%", target: float | None = None,
                 trend: pd.DataFrame | None = None, deadline=None, height: int = 260) -> go.Figure:
    """A daily history line with its target line and, when given, its least-squares trend line."""
    percent = unit == "%"
    fig = go.Figure()
    if len(series):
        values = series["value"].astype(float)
        shown = [fmt.percent(v) if percent else f"{fmt.count(v)} {unit}" for v in values]
        fig.add_trace(go.Scatter(x=series["date"], y=values, mode="lines", name=name,
                                 line=dict(color=theme.ACCENT, width=2), customdata=shown,
                                 hovertemplate="%{x|%Y年%m月%d日}<br>" + name + " <b>%{customdata}</b><br>" + hover
                                 + "<extra></extra>"))
    if trend is not None and len(trend):
        fig.add_trace(go.Scatter(x=trend["date"], y=trend["value"], mode="lines", name="最小二乘趋势",
                                 line=dict(color=theme.WARN, width=1.6, dash="dash"),
                                 hovertemplate="趋势线 %{x|%Y年%m月%d日}: %{y:.1%}<extra></extra>" if percent
                                 else "趋势线 %{x|%Y年%m月%d日}: %{y:.1f}<extra></extra>"))
    if target is not None:
        fig.add_hline(y=target, line=dict(color=theme.GOOD, width=1.2, dash="dot"),
                      annotation_text=f"目标 {fmt.percent(target, 0) if percent else target}",
                      annotation_font_color=theme.GOOD)
    if deadline is not None and not pd.isna(deadline) and (not len(series) or
                                                          pd.Timestamp(deadline) >= series["date"].min()):
        fig.add_vline(x=pd.Timestamp(deadline), line=dict(color=theme.MUTED, width=1, dash="dot"))
    fig.update_layout(height=height, margin=dict(l=56, r=16, t=16, b=36), showlegend=trend is not None,
                      legend=dict(orientation="h", y=1.08, x=0), hovermode="closest",
                      paper_bgcolor=theme.PANEL, plot_bgcolor=theme.PANEL, font=dict(color=theme.TEXT, size=14),
                      xaxis=dict(gridcolor=theme.GRID, tickformat="%Y-%m"),
                      yaxis=dict(gridcolor=theme.GRID, tickformat=".0%" if percent else None, rangemode="tozero"))
    return fig


def graph(figure: go.Figure, graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config={"displayModeBar": False, "responsive": True},
                     className="cw-drill-graph")


def card_row(*cards) -> dbc.Row:
    return dbc.Row([dbc.Col(c, xs=12, sm=6, lg=True) for c in cards], className="g-3 cw-stat-row")
