"""/incidents (事件 · 一张图): the page, built from an :class:`~dashboard.incident_view.IncidentsView`.

The page is drawn whole from its URL (reload, a shared link and the browser's back button give the
same view). A filter change pushes the new URL (assets/incidents.js), which draws the page again;
the table pages on the server (callbacks/incidents.py), so its rows never all reach the browser.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

import dash
import dash_ag_grid as dag
from dash import dcc, html

from dashboard import formatting as fmt
from dashboard import pages
from dashboard.kept import Kept
from dashboard.incident_record import record_href
from dashboard.incident_view import current_view
from dashboard.incident_query import DEFAULT_SORT
from dashboard.incident_table import COLUMNS
from layouts import drill_parts as dp
from layouts import incident_figures as figs
from layouts.drill_page import drill_page
from layouts.markup import html_block

PAGE_SIZE = 50
IDS = {name: f"inc-{name}" for name in ("period", "from", "to", "category", "source", "status", "query", "nav",
                                        "grid", "grid-state", "modal", "record", "map", "daily", "hours",
                                        "categories", "download-csv", "download-xlsx", "modal-close",
                                        "record-link", "download-cap")}
# wide enough for a whole value (an id, a time, a grid's name) and its header with the filter button
MIN_WIDTHS = {"incident_id": 190, "reported_at": 160, "deadline_at": 160, "closed_at": 160, "grid_id": 220,
              "street_id": 120, "source": 120, "handling_hours": 200, "overdue": 130}


def _select(name: str, label: str, options, value, *, everything: str | None = "全部") -> html.Label:
    items = ([{"label": everything, "value": ""}] if everything else []) + \
        [{"label": text, "value": key} for key, text in options]
    # dcc.Dropdown, not Bootstrap's select: the wall would load dash-bootstrap-components' bundle too
    return html.Div([html.Span(label, className="cw-filter-label"),
                     dcc.Dropdown(id=IDS[name], options=items, value=value or "", clearable=False, searchable=False,
                                  labels=dp.DROPDOWN_TEXT, className="cw-filter-select")],
                    className="cw-filter")


def filters(view) -> list:
    """The page's filter bar (drill_page's ``filters``): period, dates, category, source, status."""
    q = view.query
    first, last = q.days(view.today)
    return [
        _select("period", "统计期", view.options["period"], q.period, everything=None),
        html.Label([html.Span("起止日期", className="cw-filter-label"),
                    html.Div([dcc.Input(id=IDS["from"], type="date", value=first.isoformat(), debounce=True,
                                        max=view.today.isoformat(), className="cw-filter-date"),
                              html.Span("至", className="cw-muted"),
                              dcc.Input(id=IDS["to"], type="date", value=last.isoformat(), debounce=True,
                                        max=view.today.isoformat(), className="cw-filter-date")],
                             className="cw-filter-dates")], className="cw-filter"),
        _select("category", "事件分类", view.options["category"], q.category),
        _select("source", "事件来源", view.options["source"], q.source),
        _select("status", "办理状态", view.options["status"], q.status),
    ]


def kpi_row(view):
    """The KPI cards, read-only: one server-rendered block (layouts/markup.py), not ~25 Dash components."""
    return html_block([dp.stat_card(k.label, k.value, k.tip, unit=k.unit, card_id=f"inc-kpi-{k.indicator_id}")
                       for k in view.kpis], className="cw-stat-row")


def _graph(name: str, figure) -> dcc.Graph:
    return dp.graph(figure, IDS[name])


def hot_grid_list(view):
    if view.hot_grids.empty:
        return html.P("暂无网格数据（本市未配置网格边界，或所选范围内无事件）", className="cw-muted")
    top = max(int(view.hot_grids["incidents"].max()), 1)
    # one server-rendered block (layouts/markup.py); its links open in place (assets/incidents.js, data-nav)
    return html_block([html.Li(html.A([
        html.Span(r.name, className="cw-hot-name"),
        html.Span(html.Span(style={"width": f"{100 * r.incidents / top:.0f}%"}), className="cw-hot-bar"),
        html.Span(fmt.count(r.incidents), className="cw-hot-count"),
    ], href=view.query.href(region=r.region_id, page=1), **{"data-nav": "1"}), className="cw-hot-row")
        for r in view.hot_grids.itertuples(index=False)], tag="ol", className="cw-hot-list")


def table(view) -> html.Div:
    column, _, direction = view.query.sort.partition(":")
    columns = [{"field": key, "headerName": label, "sortable": True, "minWidth": MIN_WIDTHS.get(key, 110),
                **({"filter": "agNumberColumnFilter"} if key == "handling_hours" else
                   {"filter": "agTextColumnFilter", "filterParams": {"filterOptions": ["contains", "equals",
                                                                                       "startsWith"]}}
                   if key in ("incident_id",) else {})}
               for key, label in COLUMNS.items()]
    state = {"pagination": {"page": view.query.page - 1, "pageSize": PAGE_SIZE}}
    if view.query.sort != DEFAULT_SORT:
        state["sort"] = {"sortModel": [{"colId": column, "sort": direction}]}
    grid = dag.AgGrid(
        id=IDS["grid"], columnDefs=columns, rowModelType="infinite",
        defaultColDef={"resizable": True, "flex": 1},
        getRowId="params.data.incident_id",
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "maxBlocksInCache": 4, "paginationPageSizeSelector": False, "initialState": state,
                         "localeText": LOCALE, "suppressCellFocus": True},
        style={"height": "560px", "width": "100%"}, className="cw-grid")
    search = view.query.search()
    return html.Div([
        html.Div([
            html.Span(f"共 {fmt.count(view.total)} 件（{view.period_text}）", className="cw-table-total"),
            html.A("下载 CSV", id=IDS["download-csv"], href=f"/download/incidents.csv{search}", className="cw-button",
                   **{"data-ignore-nav": "1"}),
            html.A("下载 Excel", id=IDS["download-xlsx"], href=f"/download/incidents.xlsx{search}",
                   className="cw-button", **{"data-ignore-nav": "1"}),
            html.Span(f"超过下载上限：只下载前 {view.download_cap:,} 件", className="cw-muted", id=IDS["download-cap"])
            if view.download_cap and view.total > view.download_cap else None,
            html.Span("点击一行查看事件详情", className="cw-muted"),
        ], className="cw-table-tools"),
        dp.grid_box(grid),
    ])


LOCALE = {"page": "第", "of": "/", "to": "–", "more": "更多", "next": "下一页", "previous": "上一页", "first": "首页",
          "last": "末页", "loadingOoo": "加载中…", "noRowsToShow": "无事件", "filterOoo": "筛选…",
          "contains": "包含", "equals": "等于", "startsWith": "开头是", "notEqual": "不等于",
          "greaterThan": "大于", "lessThan": "小于", "inRange": "介于", "andCondition": "且", "orCondition": "或",
          "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除", "pageSizeSelectorLabel": "每页"}


def record_modal(is_open: bool = False) -> html.Div:
    """The incident's record over the page (a plain dialog: Bootstrap's would load its bundle on the wall)."""
    return html.Div(html.Div([
        html.Div([html.H2("事件详情", className="cw-modal-title"),
                  html.Button("×", id=IDS["modal-close"], className="cw-modal-close", title="关闭", n_clicks=0)],
                 className="cw-modal-head"),
        html.Div(id=IDS["record"], className="cw-modal-body"),
    ], className="cw-modal-box", role="dialog", **{"aria-modal": "true", "aria-label": "事件详情"}),
        id=IDS["modal"], className="cw-modal", hidden=not is_open)


def record_body(record) -> list | html.P:
    """The dialog's body: the record's fields (layouts/incident_record.py) and the link to its own page."""
    from layouts.incident_record import field_list

    if not record.found:
        return html.P(record.notice, className="cw-muted")
    return [html.A("在新页面打开 / 复制链接", href=record_href(record.incident_id), target="_blank",
                   id=IDS["record-link"], className="cw-button", **{"data-ignore-nav": "1"}),
            field_list(record)]


def page(view) -> html.Div:
    q = view.query
    note = "<br>" + view.period_text + (f" · {view.scope}")
    base = q.href(weekday=None, hour=None, page=1)
    join = "&" if "?" in base else "?"
    hrefs = [[f"{base}{join}weekday={d}&hour={h}" for h in range(24)] for d in range(7)]
    category_hrefs = [q.href(category=c, page=1) for c in view.categories["category"]]
    body = [
        dcc.Store(id=IDS["query"], data={"search": q.search(), "region": q.region, "period": q.period,
                                         "weekday": q.weekday, "hour": q.hour, "sort": q.sort,
                                         "page": q.page}),
        dcc.Store(id=IDS["nav"]), dcc.Store(id=IDS["grid-state"]),
        html.Div(html.A("下达指令", href=f"/tasks?region={quote(q.region, safe='')}", className="cw-button",
                        id="inc-issue", **{"data-ignore-nav": "1"}),
                 className="cw-table-tools") if q.region else None,  # the form is on /tasks (dispatch)
        kpi_row(view),
        dp.columns(
            dp.card(f"一张图 · {view.scope}", _graph("map", figs.drill_map(view.map, view.centroids)),
                    note=f"按{view.map.level_label}，点击下钻" if view.map.ids else
                    f"{view.map.level_label}内的事件点位密度"),
            dp.card("事件最多的网格", hot_grid_list(view)), layout="wide"),
        dp.columns(
            dp.card("每日事件", _graph("daily", figs.daily_trend(view.daily, note))),
            dp.card("时段热力（星期 × 小时）", _graph("hours", figs.weekday_hour(view.hour_weekday, hrefs, note)))),
        dp.columns(
            dp.card("事件分类", _graph("categories", figs.category_bars(view.categories, category_hrefs, note))),
            dp.card("事件明细", table(view)), layout="narrow"),
        record_modal(),
    ]
    return drill_page(f"事件 · 一张图 — {view.scope}", view.crumbs, body, query_notices=view.notices,
                      filters=filters(view), page_id="incidents-page", wall_district=view.district)


_PAGES = Kept(64)  # the pages of the views kept (dashboard/incident_view.py)


def page_of(view) -> html.Div:
    """The page of a view, built once per view (dashboard/incident_view.py keeps views per publish)."""
    built = _PAGES.get(view.key) if view.key else None
    if built is None:
        built = page(view)
        if view.key:
            built = _PAGES.put(view.key, built)
    return built


def layout(**query) -> html.Div:
    """/incidents?region=…&period=…: the page of the URL's query."""
    return page_of(current_view(query))


def district_layout(region_id: str = "", **query) -> html.Div:
    """/district/<id>: the incidents view of that region (an unknown id: a notice and the city view)."""
    query.pop("region", None)
    return page_of(current_view({**query, "region": unquote(region_id or "")}))


dash.register_page(__name__, path="/incidents", title="事件 · 一张图", name="事件 · 一张图", layout=layout,
                   page_kind=pages.DRILL)
dash.register_page(f"{__name__}.district", path_template="/district/<region_id>", title="事件 · 一张图",
                   name="区县下钻", layout=district_layout, page_kind=pages.DRILL)
