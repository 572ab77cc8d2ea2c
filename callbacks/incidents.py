"""/incidents' callbacks: the table's server-side paging, the incident record, the URL updates
(assets/incidents.js), and the streamed download (/download/incidents.csv|.xlsx).

Each reads the published incident frames and the geography through the runtime, asks the pure
selections (dashboard/incident_table.py) and hands their results to layouts/incidents.py.
"""
from __future__ import annotations

from datetime import date

import dash
import flask
from dash import Input, Output, State, clientside_callback, ClientsideFunction, callback, no_update

from dashboard import audit, downloads, incident_table, permissions, runtime
from dashboard.incident_query import parse_query
from dashboard.incident_record import current_record
from dashboard.incident_view import choices_of, current_frames, region_names
from layouts import incidents as page_layout
from layouts.incidents import IDS

permissions.protect_callbacks("view_drilldowns", "inc-*")  # every id of the page (layouts/incidents.py IDS)


def _query_and_level(search: str):
    """The query of a URL's search string, its level and the frames."""
    from urllib.parse import parse_qsl

    rt = runtime.current()
    frames = current_frames()
    choices = choices_of(frames, rt.geography)
    raw = dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))
    query, notices = parse_query(raw, choices, date.today())
    return query, choices.regions.get(query.region) if query.region else None, frames, notices


@callback(Output(IDS["grid"], "getRowsResponse"), Output(IDS["grid-state"], "data"),
          Input(IDS["grid"], "getRowsRequest"), State(IDS["query"], "data"), prevent_initial_call=True)
def grid_rows(request, state):
    """One block of the table: the rows of the selection the grid asks for, sorted and filtered here."""
    if not request:
        return no_update, no_update
    query, level, frames, _ = _query_and_level((state or {}).get("search", ""))
    detail = frames.get("detail")
    if detail is None:
        return {"rowData": [], "rowCount": 0}, no_update
    sort_model = request.get("sortModel") or []
    sort = f"{sort_model[0]['colId']}:{sort_model[0]['sort']}" if sort_model and \
        sort_model[0].get("colId") in incident_table.COLUMNS else query.sort
    start = max(0, int(request.get("startRow") or 0))
    end = min(start + 500, max(start + 1, int(request.get("endRow") or start + page_layout.PAGE_SIZE)))
    rows, total = incident_table.page(detail, query, level, date.today(), region_names(runtime.current().geography),
                                      start=start, end=end, sort=sort, filter_model=request.get("filterModel"),
                                      mask=runtime.current().settings.app.mask_personal)
    return {"rowData": rows, "rowCount": total}, {"sort": sort, "page": start // page_layout.PAGE_SIZE + 1}


@callback(Output(IDS["modal"], "hidden"), Output(IDS["record"], "children"),
          Input(IDS["grid"], "cellClicked"), Input(IDS["modal-close"], "n_clicks"), prevent_initial_call=True)
def open_record(clicked, _closed):
    """A click on a row opens the incident's full record; × closes it."""
    if dash.ctx.triggered_id == IDS["modal-close"]:
        return True, no_update
    incident_id = (clicked or {}).get("rowId")
    if not incident_id:
        return no_update, no_update
    return False, page_layout.record_body(current_record(incident_id))


clientside_callback(ClientsideFunction("incidents", "filters"), Output(IDS["nav"], "data"),
                    Input(IDS["period"], "value"), Input(IDS["from"], "value"), Input(IDS["to"], "value"),
                    Input(IDS["category"], "value"), Input(IDS["source"], "value"), Input(IDS["status"], "value"),
                    State(IDS["query"], "data"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("citywall", "navigate"), Output(IDS["nav"], "data", allow_duplicate=True),
                    Input(IDS["map"], "clickData"), Input(IDS["hours"], "clickData"),
                    Input(IDS["categories"], "clickData"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("incidents", "tableState"), Output(IDS["nav"], "data", allow_duplicate=True),
                    Input(IDS["grid-state"], "data"), State(IDS["query"], "data"), prevent_initial_call=True)


# ---- download ---------------------------------------------------------------------------------------

def _refusal(message: str, status: int):
    return flask.Response(f"<!doctype html><meta charset='utf-8'><title>无法下载</title><p>{message}</p>",
                          status=status, mimetype="text/html")


def install(app: dash.Dash) -> None:
    """Serve the downloads from the app's Flask server."""
    app.server.add_url_rule("/download/incidents.<kind>", "download_incidents", download)


def download(kind: str):
    """The current selection (the page's URL query) as CSV (UTF-8 with BOM) or XLSX, Chinese headers,
    at most ``app.download_max_rows`` rows in the table's order."""
    permissions.require_permission("download_tables")  # a refusal: 401/403 in Chinese (dashboard/auth_gate.py)
    if kind not in downloads.MIMETYPES:
        return _refusal(f"不支持的下载格式「{kind[:12]}」：可选 csv 或 xlsx", 404)
    query, level, frames, notices = _query_and_level(flask.request.query_string.decode("utf-8", "replace"))
    if notices:
        return _refusal("下载条件有误：" + "；".join(notices), 400)
    detail = frames.get("detail")
    if detail is None:
        return _refusal("事件数据尚未汇聚，暂无可下载的数据", 404)
    cap = runtime.current().settings.app.download_max_rows
    rows, total = incident_table.download_rows(detail, query, level, date.today(), cap)
    names = region_names(runtime.current().geography)
    audit.record("download", "事件明细", detail=f"{len(rows)} 行，{kind.upper()}，{flask.request.query_string.decode('utf-8', 'replace')[:200]}")
    mask = runtime.current().settings.app.mask_personal
    return downloads.response(kind, "事件明细", incident_table.SHEET, incident_table.batches(detail, rows, names, mask),
                              rows=len(rows), total=total, cap=cap)
