"""数据状态 page: the refresh (the same page of quarantined rows, newly read) and the CSV download."""
from dash import Input, Output, State, callback, dcc, no_update

from dashboard import audit, runtime
from dashboard.permissions import protect_callbacks, require_permission
from dashboard.status_view import current_status_view, quarantine_download
from layouts.status import IDS, status_components


protect_callbacks("view_drilldowns", IDS["body"])
protect_callbacks("view_raw_rows", IDS["download"])


@callback(Output(IDS["body"], "children"), Input(IDS["interval"], "n_intervals"), State(IDS["query"], "data"),
          prevent_initial_call=True)
def refresh_status(_n, query):
    query = query or {}
    return status_components(current_status_view(query.get("page", 1), query.get("source", "")))


@callback(Output(IDS["download"], "data"), Input(IDS["download_button"], "n_clicks"), State(IDS["query"], "data"),
          prevent_initial_call=True)
def download_quarantine(n_clicks, query):
    if not n_clicks:
        return no_update
    require_permission("view_raw_rows")
    source = (query or {}).get("source", "")
    frame = quarantine_download(runtime.current(), source)
    audit.record("download", f"隔离行-{source or '全部'}", detail=f"{len(frame)} 行")
    # UTF-8 with BOM: Excel, where these files are opened, then reads the Chinese correctly
    return dcc.send_bytes(frame.to_csv(index=False).encode("utf-8-sig"), f"隔离行-{source or '全部'}.csv")
