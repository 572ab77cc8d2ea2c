"""数据状态 page refresh: the same page of quarantined rows, newly read."""
from dash import Input, Output, State, callback

from layouts.status import IDS, status_body


@callback(Output(IDS["body"], "children"), Input(IDS["interval"], "n_intervals"), State(IDS["query"], "data"),
          prevent_initial_call=True)
def refresh_status(_n, query):
    query = query or {}
    return status_body(query.get("page", 1), query.get("source", ""))
