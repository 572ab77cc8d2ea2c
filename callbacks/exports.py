"""导出归档 page callbacks, put on each app by :func:`register` (as callbacks/ops.py's, for the same reason).

- :func:`request`: the three export buttons. It runs in the request, where the caller is known:
  dashboard/export_actions.py checks the ``export`` permission (a refusal answers 403 in Chinese) and
  queues the export on the job queue; the job id goes to the page's store.
- :func:`watch`: a Dash background callback that only watches the job's progress in the app database
  (排队中 → 截图中 / 生成中 → 归档中 → 完成) until it ends. The process running jobs makes the file.
- :func:`refresh_list`: the archive's list, every few seconds and when a job ends.
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update

from callbacks import job_watch
from dashboard import export_actions
from dashboard.export_producers import ExportError
from dashboard.permissions import protect_callbacks
from layouts.exports import BUTTON_IDS, IDS, export_table

protect_callbacks("export", "exports-*")  # every output of the page's callbacks; the actions check again

WATCH_LIMIT_SECONDS = 1800  # a watcher gives up after half an hour
KIND_OF_BUTTON = {button: kind for kind, button in BUTTON_IDS.items()}


def request(_png, _pdf, _xlsx, view_name):
    kind = KIND_OF_BUTTON.get(ctx.triggered_id)
    if kind is None or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update, no_update
    try:
        job, queued = export_actions.request_export(kind, view_name if kind == "png" else None)
    except ExportError as exc:
        return no_update, exc.message
    return job.job_id, (f"已加入队列: {job.label}" if queued else f"{job.label} 已在进行，未重复启动")


def watch(set_progress, job_id):
    return job_watch.watch(set_progress, job_id, export_actions.progress, WATCH_LIMIT_SECONDS)


def refresh_list(_n, _done):
    return export_table(export_actions.view().rows)


def register(app) -> None:
    app.callback(Output(IDS["job"], "data"), Output(IDS["message"], "children"),
                 *(Input(b, "n_clicks") for b in BUTTON_IDS.values()), State(IDS["view"], "value"),
                 prevent_initial_call=True)(request)
    app.callback(Output(IDS["done"], "children"), Input(IDS["job"], "data"), background=True,
                 progress=[Output(IDS["bar"], "value"), Output(IDS["bar"], "max"), Output(IDS["text"], "children")],
                 interval=500)(watch)
    app.callback(Output(IDS["list"], "children"), Input(IDS["interval"], "n_intervals"),
                 Input(IDS["done"], "children"), prevent_initial_call=True)(refresh_list)
