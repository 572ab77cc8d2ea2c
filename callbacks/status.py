"""数据状态 page refresh."""
from dash import Input, Output, callback

from layouts.status import IDS, status_body


@callback(Output(IDS["body"], "children"), Input(IDS["interval"], "n_intervals"), prevent_initial_call=True)
def refresh_status(_n):
    return status_body()
