"""Parts the drill-downs share: numbers with the wall's hover (tap on touch), the KPI row, panel cards
and their columns, traffic lights, filters that write the URL, dash-ag-grid tables with sorting,
filtering and a download, and the trend figure. Built from plain values; no store, no database.
Their look is assets/drill/base.css, one class name per part.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import formatting as fmt
from layouts import theme

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
URL_ID = "drill-url"  # the page's dcc.Location: filters write the query here (callbacks/programmes.py)
TABLE_URL_ID = "drill-table-url"  # the query after a table's sort or page change: put in the address bar as is
FILTER = "drill-filter"  # {"type": FILTER, "key": query key}: its value is the query's value
GRID = "drill-grid"  # {"type": GRID, "key": "sort"}: its sort and page are the query's sort and page
LIGHT_TEXT = {"绿": "绿灯", "黄": "黄灯", "红": "红灯"}
DROPDOWN_TEXT = {"search": "搜索", "clear_search": "清除搜索", "clear_selection": "清除", "no_options_found": "无匹配项",
                 "select_all": "全选", "deselect_all": "全不选"}  # dcc.Dropdown's own words, in Chinese
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
    """A number in a line of text with the wall's hover; tapping it on a touch screen shows the same
    text (assets/drill-tips.js)."""
    return html.Span(text, className=f"cw-tipped {className}".strip(), tabIndex=0, **{"data-tip": tip})


def stat_card(label: str, value: str, tip: str, *sub, unit: str = "", tone: str = "", card_id: str | None = None) -> html.Div:
    """One card of a KPI row: label, number (and unit), lines under it. The whole card carries the
    number's 口径 (hover, or a tap on a tablet): a finger-sized target."""
    return html.Div([
        html.Div(label, className="cw-stat-label"),
        html.Div([html.Span(value, className=f"cw-stat-value {tone}".strip()),
                  html.Span(unit, className="cw-stat-unit") if unit else None]),
        *[html.Div(s, className="cw-stat-sub") for s in sub if s],
    ], className="cw-stat", tabIndex=0, **({"id": card_id} if card_id else {}), **{"data-tip": tip})


def stat_row(*cards) -> html.Div:
    return html.Div(list(cards), className="cw-stat-row")


def card(title: str, *children, note: str = "") -> html.Section:
    """A panel of the page: its title (and a muted note beside it), then its content."""
    return html.Section([html.H2([title, html.Span(note, className="cw-card-note") if note else None]),
                         *children], className="cw-card")


def columns(*cards, layout: str = "halves") -> html.Div:
    """Cards side by side: ``halves``, ``thirds``, ``wide`` (2 : 1) or ``narrow`` (1 : 2); wide and
    narrow stack on the tablet (assets/drill/base.css)."""
    return html.Div(list(cards), className=f"cw-cols is-{layout}")


def select(key: str, label: str, options: dict[str, str], value: str | None, *, clearable: bool = False,
           placeholder: str = "全部", default: str | None = None) -> html.Label:
    """A filter whose value is the URL query's ``key`` (callbacks/programmes.py writes it there; the
    ``default`` value, the view without the filter, is left out of the URL). The page's filter bar
    (drill_page's ``filters``) holds a list of these."""
    return html.Label([
        html.Span(label, className="cw-filter-label"),
        dcc.Dropdown(id={"type": FILTER, "key": key, "default": default or ""}, options=[{"label": v, "value": k} for k, v in options.items()],
                     value=value, clearable=clearable, searchable=len(options) > 8, placeholder=placeholder,
                     labels=DROPDOWN_TEXT, className="cw-filter-select"),
    ], className="cw-filter")


def url_state() -> html.Div:
    """The page's location, written by its filters without a reload (each change is one back step and
    redraws the page from the new query), and the query a table's sort or page change puts in the address
    bar without a redraw (the table shows it already; notices of the first query stay)."""
    return html.Div([dcc.Location(id=URL_ID, refresh="callback-nav"), dcc.Store(id=TABLE_URL_ID)], hidden=True)


# ---- tables --------------------------------------------------------------------------------------

Column = tuple[str, str, str]  # (field, Chinese header, kind: text | percent | count | date | link | light | yesno)

_FORMATTERS = {
    "percent": "params.value == null ? '—' : d3.format('.1%')(params.value)",
    "count": "params.value == null ? '—' : d3.format(',')(params.value)",
    "signed": "params.value == null ? '—' : d3.format('+.1f')(params.value * 100) + ' 分'",
    "score": "params.value == null ? '—' : d3.format('.1f')(params.value * 100)",
}


def header_width(header: str) -> int:
    """The width a header needs whole: its characters (14 px type), the filter button and the padding."""
    return 14 * len(header) + 64


def column_def(field: str, header: str, kind: str, sort: str | None = None) -> dict:
    """Every column grows to fill the table (flex) from a least width that shows its header whole."""
    least = {"link": 220, "text": 200, "light": 96}.get(kind, 100)
    col: dict = {"field": field, "headerName": header, "sortable": True, "filter": True, "resizable": True,
                 "flex": 1, "minWidth": max(least, header_width(header))}
    if kind in _FORMATTERS:
        col.update(valueFormatter={"function": _FORMATTERS[kind]}, filter="agNumberColumnFilter", type="rightAligned")
    elif kind in ("link", "text"):
        col.update(cellRenderer="markdown" if kind == "link" else None, flex=2)
    elif kind == "light":
        col.update(cellClassRules={"cw-cell-green": "params.value == '绿灯'", "cw-cell-yellow": "params.value == '黄灯'",
                                   "cw-cell-red": "params.value == '红灯'"})
    if sort:
        col["sort"] = sort
    return {k: v for k, v in col.items() if v is not None}


def grid(key: str, frame: pd.DataFrame, columns: list[Column], *, sort: tuple[str, str] | None = None,
         page: int = 0, page_size: int = 15, height: int | None = None, main: bool = True) -> html.Div:
    """A sortable, filterable table; ``sort`` (field, asc|desc) and ``page`` come from the URL. The
    page's ``main`` table writes its sort and page back to the URL; the others keep theirs."""
    rows = frame[[c[0] for c in columns if c[0] in frame.columns]].copy()
    for name, _header, kind in columns:
        if kind == "date" and name in rows.columns:
            rows[name] = [fmt.day(v) if not pd.isna(v) else fmt.MISSING for v in rows[name]]
        elif kind == "yesno" and name in rows.columns:
            rows[name] = ["是" if bool(v) else "否" for v in rows[name]]
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return grid_box(dag.AgGrid(
        id={"type": GRID if main else "drill-table", "key": key},
        rowData=records,
        columnDefs=[column_def(f, h, k, sort[1] if sort and sort[0] == f else None) for f, h, k in columns],
        dashGridOptions={"pagination": True, "paginationPageSize": page_size, "localeText": GRID_TEXT,
                         "paginationPageSizeSelector": False, "animateRows": False,
                         "domLayout": "autoHeight" if height is None else "normal"},
        paginationGoTo=page or None,
        className="cw-grid",
        style={"height": f"{height}px"} if height else {},
    ))


def grid_box(table: dag.AgGrid) -> html.Div:
    """A grid in AG Grid's dark colour scheme (set on a parent element, as the Theming API reads it)."""
    return html.Div(table, className="cw-grid-box", **{"data-ag-theme-mode": "dark"})


def download_links(table: str, query: dict) -> html.Div:
    """CSV and XLSX of the table as the page selects it (server side, Chinese headers, permission
    download_tables: callbacks/programmes.py)."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    suffix = f"?{urlencode(params)}" if params else ""
    return html.Div([
        html.Span("下载：", className="cw-muted"),
        html.A("CSV", href=f"/drill-download/{table}.csv{suffix}", className="cw-button", download=""),
        html.A("XLSX", href=f"/drill-download/{table}.xlsx{suffix}", className="cw-button", download=""),
    ], className="cw-table-tools")


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


def graph(figure: go.Figure | dict, graph_id: str) -> dcc.Graph:
    """A responsive graph takes its container's height: it is given the figure's (a go.Figure, or a
    plotly.js figure dict such as layouts/incident_figures.py builds)."""
    height = figure["layout"].get("height") if isinstance(figure, dict) else figure.layout.height
    return dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG, className="cw-graph",
                     style={"height": f"{height or 300}px"})
