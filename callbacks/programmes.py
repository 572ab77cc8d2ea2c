"""The programme drill-downs' behaviour: filters, table sort and page write the URL query (one
history step each, no reload: the page re-renders from its URL), and the tables' downloads
(/drill-download/<table>.csv|xlsx?<query>, Chinese headers, at most ``app.download_max_rows`` rows,
permission ``download_tables``; dashboard/downloads.py writes them).
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import parse_qsl, urlencode

import flask
import pandas as pd
import pyarrow as pa
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from dashboard import audit, downloads, runtime
from dashboard import formatting as fmt
from dashboard import programme_data as pages
from dashboard.permissions import protect_callbacks, require_permission
from layouts import cloud_page, scoreboard_page, sharing_pages, target_pages
from layouts.drill_parts import FILTER, GRID, TABLE_URL_ID, URL_ID

protect_callbacks("view_drilldowns", URL_ID, TABLE_URL_ID)  # the filters and the grid's sort and page write the URL


def next_search(search: str, filters: dict[str, str | None], sort: str | None, page: int | None,
                filter_changed: bool, defaults: dict[str, str] | None = None) -> str:
    """The URL query after a change: the filters' values (empty ones and ``defaults`` dropped: the
    default view has the shortest URL), the table's sort and page (1-based; a filter change goes
    back to page 1); other keys of ``search`` are kept."""
    query = dict(parse_qsl(search.lstrip("?"), keep_blank_values=False))
    defaults = defaults or {}
    for key, value in filters.items():
        query.pop(key, None)
        if value not in (None, "") and value != defaults.get(key):
            query[key] = str(value)
    query.pop("sort", None)
    if sort:
        query["sort"] = sort
    query.pop("page", None)
    if page and page > 1 and not filter_changed:
        query["page"] = str(page)
    return f"?{urlencode(query)}" if query else ""


def sort_of(column_state: list[dict] | None) -> str | None:
    """'field' or '-field' of the first sorted column of an AG Grid columnState, else None."""
    sorted_columns = sorted((c for c in column_state or [] if c.get("sort")), key=lambda c: c.get("sortIndex") or 0)
    if not sorted_columns:
        return None
    first = sorted_columns[0]
    return ("-" if first["sort"] == "desc" else "") + first["colId"]


@callback(Output(URL_ID, "search"),
          Output(TABLE_URL_ID, "data"),
          Input({"type": FILTER, "key": ALL, "default": ALL}, "value"),
          Input({"type": GRID, "key": ALL}, "columnState"),
          Input({"type": GRID, "key": ALL}, "paginationInfo"),
          State({"type": FILTER, "key": ALL, "default": ALL}, "id"),
          State(URL_ID, "search"),
          prevent_initial_call=True)
def write_url(values, column_states, pagination, ids, search):
    trigger = ctx.triggered_id
    filter_changed = isinstance(trigger, dict) and trigger.get("type") == FILTER
    filters = {i["key"]: v for i, v in zip(ids, values)}
    sort = sort_of(column_states[0]) if column_states and column_states[0] is not None else \
        dict(parse_qsl((search or "").lstrip("?"))).get("sort")
    info = pagination[0] if pagination else None
    page = int(info.get("currentPage", 0)) + 1 if info else None
    if page is None:
        page = int(dict(parse_qsl((search or "").lstrip("?"))).get("page", 1) or 1)
    new = next_search(search or "", filters, sort, page, filter_changed, {i["key"]: i["default"] for i in ids})
    if new == (search or ""):
        return no_update, no_update
    # a filter redraws the page from the new query; a table already shows its sort and page
    return (new, no_update) if filter_changed else (no_update, new)


# the table's query replaces the address bar's (no history step, no redraw); the Location's own search
# is left as it was, and write_url reads the table's sort and page from the table itself
clientside_callback(
    """function (search) {
        if (typeof search !== "string") { return window.dash_clientside.no_update; }
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
        return window.dash_clientside.no_update;
    }""",
    Output(TABLE_URL_ID, "modified_timestamp"),
    Input(TABLE_URL_ID, "data"),
    prevent_initial_call=True)


# ---- downloads ----------------------------------------------------------------------------------

Table = tuple[str, Callable[[dict, list], pd.DataFrame], list]  # (Chinese name, rows of a query, columns)
_PLAIN = {"department": "name", "target_link": "name"}  # link columns download as the plain name


def _without(columns, *fields):
    return [c for c in columns if c[0] not in fields]


TABLES: dict[str, Table] = {
    "sharing": ("部门共享率排名", lambda q, n: pages.select_sharing(q, n).ranking.assign(
        light=lambda f: f["light"].fillna(fmt.MISSING)), sharing_pages.RANKING_COLUMNS),
    "department_items": ("部门资源目录", lambda q, n: pages.select_department(q, n).items, sharing_pages.ITEM_COLUMNS),
    "department_systems": ("部门信息系统", lambda q, n: pages.select_department(q, n).systems,
                           sharing_pages.SYSTEM_COLUMNS),
    "exchange_pairs": ("交换最多的部门对", lambda q, n: pages.select_exchange(q, n).pairs, sharing_pages.PAIR_COLUMNS),
    "cloud_depts": ("各部门上云状态", lambda q, n: pages.select_cloud(q, n).by_dept, cloud_page.BY_DEPT_COLUMNS),
    "cloud_systems": ("各部门信息系统", lambda q, n: pages.select_cloud(q, n).systems, cloud_page.SYSTEM_COLUMNS),
    "targets": ("目标指标", lambda q, n: target_pages.targets_table(pages.select_targets(q, n)),
                target_pages.LIST_COLUMNS),
    "scoreboard": ("部门绩效排名", lambda q, n: pages.select_scoreboard(q, n).ranked, scoreboard_page.SCORE_COLUMNS),
}


#: a table column's kind (layouts' column specs) → the download's (dashboard/downloads.py)
_KINDS = {"percent": "percent", "count": "integer", "score": "decimal", "signed": "decimal", "date": "date"}


def download_table(rows: pd.DataFrame, columns) -> tuple[list[downloads.Column], pa.Table]:
    """The rows as the table shows them, under its Chinese headers: rates as percentages, scores ×100,
    dates, 是/否, lights in words, links as the plain name; an empty value shows '—'."""
    heads, values = [], []
    for field, header, kind in columns:
        source = _PLAIN.get(field, field) if kind == "link" else field
        column = rows[source] if source in rows.columns else pd.Series([None] * len(rows), index=rows.index)
        column = column.astype(object).where(column.notna(), None)
        if kind in ("score", "signed"):
            column = column.map(lambda v: None if v is None else round(float(v) * 100, 1))
        elif kind == "yesno":
            column = column.map(lambda v: "是" if bool(v) else "否")
        elif kind == "light":
            column = column.map(lambda v: {"绿": "绿灯", "黄": "黄灯", "红": "红灯"}.get(v, v) if v else None)
        out = _KINDS.get(kind, "text")
        heads.append(downloads.Column(header, out, missing=fmt.MISSING))
        if out == "date":
            values.append(pa.array(pd.to_datetime(column).to_numpy().astype("datetime64[us]"), pa.timestamp("us"),
                                   from_pandas=True))
        elif out == "text":
            values.append(pa.array([None if v is None else str(v) for v in column], pa.string()))
        else:
            values.append(pa.array(column.tolist(), pa.float64()))
    return heads, pa.table({str(i): v for i, v in enumerate(values)})


def download(table: str, kind: str):
    require_permission("download_tables")  # a refusal: 401/403 in Chinese (dashboard/auth_gate.py)
    if table not in TABLES or kind not in downloads.MIMETYPES:
        return flask.Response(f"没有可下载的表格「{table}.{kind}」；可选: {'、'.join(TABLES)}（csv 或 xlsx）",
                              status=404, mimetype="text/plain; charset=utf-8")
    title, select, columns = TABLES[table]
    query = {k: v for k, v in flask.request.args.items()}
    notices: list[str] = []
    selected = select(query, notices)
    cap = runtime.current().settings.app.download_max_rows
    heads, rows = download_table(selected.head(cap), columns)
    audit.record("download", title, detail=f"{rows.num_rows} 行，{kind.upper()}")
    return downloads.response(kind, title, heads, [rows], rows=rows.num_rows, total=len(selected), cap=cap)


def install(app) -> None:
    """The download route on the app's server (once per app)."""
    if "drill_download" not in app.server.view_functions:
        app.server.add_url_rule("/drill-download/<table>.<kind>", "drill_download", download)
