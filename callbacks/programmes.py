"""The programme drill-downs' behaviour: filters, table sort and page write the URL query (one
history step each, no reload: the page re-renders from its URL), and the tables' downloads
(/drill-download/<table>.csv|xlsx?<query>, Chinese headers, permission ``download_tables``).
"""
from __future__ import annotations

import csv
import io
from typing import Callable
from urllib.parse import parse_qsl, quote, urlencode

import flask
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update

from dashboard import audit
from dashboard import formatting as fmt
from dashboard import programme_data as pages
from dashboard.permissions import protect_callbacks, require_permission
from layouts import cloud_page, scoreboard_page, sharing_pages, target_pages
from layouts.drill_parts import FILTER, GRID, URL_ID

#: the download's row cap (a department ranking or a system list is far smaller)
MAX_DOWNLOAD_ROWS = 100_000


protect_callbacks("view_drilldowns", URL_ID)  # the filters and the grid's sort and page write the URL


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
    return no_update if new == (search or "") else new


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


def download_frame(rows: pd.DataFrame, columns) -> pd.DataFrame:
    """The rows as the table shows them, under its Chinese headers (rates as percentages)."""
    out = {}
    for field, header, kind in columns:
        source = _PLAIN.get(field, field) if kind == "link" else field
        values = rows[source] if source in rows.columns else pd.Series([None] * len(rows), index=rows.index)
        if kind == "percent":
            values = [fmt.percent(v) for v in values]
        elif kind in ("score", "signed"):
            values = [fmt.MISSING if v is None or pd.isna(v) else round(float(v) * 100, 1) for v in values]
        elif kind == "date":
            values = [fmt.MISSING if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]
        elif kind == "yesno":
            values = ["是" if bool(v) else "否" for v in values]
        elif kind == "light":
            values = [{"绿": "绿灯", "黄": "黄灯", "红": "红灯"}.get(v, v if v else fmt.MISSING) for v in values]
        out[header] = list(values)
    return pd.DataFrame(out)


def _csv(frame: pd.DataFrame):
    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(frame.columns)
        yield "\ufeff" + buffer.getvalue()  # Excel opens UTF-8 with a BOM as UTF-8
        for start in range(0, len(frame), 5000):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(frame.iloc[start:start + 5000].itertuples(index=False, name=None))
            yield buffer.getvalue()
    return rows()


def _xlsx(frame: pd.DataFrame, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: str, kind: str):
    require_permission("download_tables")  # a refusal: 401/403 in Chinese (dashboard/auth_gate.py)
    if table not in TABLES or kind not in ("csv", "xlsx"):
        return flask.Response(f"没有可下载的表格「{table}.{kind}」；可选: {'、'.join(TABLES)}（csv 或 xlsx）",
                              status=404, mimetype="text/plain; charset=utf-8")
    title, select, columns = TABLES[table]
    query = {k: v for k, v in flask.request.args.items()}
    notices: list[str] = []
    frame = download_frame(select(query, notices).head(MAX_DOWNLOAD_ROWS), columns)
    name = quote(f"{title}.{kind}")
    audit.record("download", title, detail=f"{len(frame)} 行，{kind.upper()}")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}", "X-Rows": str(len(frame))}
    if kind == "csv":
        return flask.Response(_csv(frame), mimetype="text/csv; charset=utf-8", headers=headers)
    return flask.Response(_xlsx(frame, title), headers=headers,
                          mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def install(app) -> None:
    """The download route on the app's server (once per app)."""
    if "drill_download" not in app.server.view_functions:
        app.server.add_url_rule("/drill-download/<table>.<kind>", "drill_download", download)
