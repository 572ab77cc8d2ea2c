"""运维 page callbacks.

- :func:`act`: every button (全部刷新, 刷新此数据源, 取消, 接受, 放弃). It runs in the request, where the caller is
  known: dashboard/ops_actions.py checks the permission (a refusal answers 403 in Chinese) and puts the
  request on the job queue, or flags a cancel. The job id goes to the page's store.
- :func:`watch_job`: a Dash background callback (DiskcacheManager by default) that only watches the
  queued job's progress in the app database and reports it to the progress bar until the job ends.
  The pulling itself happens in the process that runs jobs (the scheduler's).
- :func:`refresh_table`: the status table, every few seconds and when a job ends.

:func:`register` puts them on each app (``app.callback``) as :func:`dashboard.app.create_app` builds it:
``dash.callback`` hands a module's callbacks to the first app only, and tests build several apps in
one process.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from callbacks import job_watch
from dashboard import ops_actions
from dashboard.permissions import protect_callbacks
from layouts.ops import ACCEPT, DISCARD, IDS, REFRESH, ops_body

# the page needs refresh; accept / discard check accept_guard again in dashboard/ops_actions.py
protect_callbacks("refresh", "ops-*")

WATCH_LIMIT_SECONDS = 3600  # a watcher gives up after an hour (the job goes on; the page shows it on reload)


def _clicks(button) -> int:
    """The clicks of the button that fired, read from the inputs themselves: Dash's ``ctx.triggered`` loses
    the value of a pattern-matching id holding Chinese (the browser sends it unescaped)."""
    for item in ctx.inputs_list:
        for entry in item if isinstance(item, list) else [item]:
            if entry["id"] == button:
                return entry.get("value") or 0
    return 0


def act(_all, _one, _cancel, _accept, _discard, job_id):
    trigger = ctx.triggered_id
    if trigger is None or not _clicks(trigger):
        return no_update, no_update  # a button newly drawn by a table refresh, not a click
    if trigger == IDS["cancel"]:
        if job_id is None:
            return no_update, "没有正在运行的刷新"
        return no_update, "已请求取消：当前数据源的这一步结束后停止，不发布未完成的拉取" if ops_actions.cancel(job_id) \
            else "该任务已结束，无需取消"
    if trigger == IDS["refresh_all"]:
        job, queued = ops_actions.request_refresh(None)
    elif trigger["type"] == REFRESH:
        job, queued = ops_actions.request_refresh(trigger["source"])
    elif trigger["type"] == ACCEPT:
        job, queued = ops_actions.accept_held(trigger["source"]), True
    else:
        dropped = ops_actions.discard_held(trigger["source"])
        return no_update, f"已放弃「{trigger['source']}」被暂缓的发布，保留上次的数据" if dropped else "该发布已处理"
    return job.job_id, (f"已加入队列: {job.label}" if queued else f"{job.label} 已在进行，未重复启动")


def watch_job(set_progress, job_id):
    return job_watch.watch(set_progress, job_id, ops_actions.progress, WATCH_LIMIT_SECONDS)


def refresh_table(_n, _done):
    return ops_body(ops_actions.view())


def register(app) -> None:
    app.callback(Output(IDS["job"], "data"), Output(IDS["message"], "children"),
                 Input(IDS["refresh_all"], "n_clicks"), Input({"type": REFRESH, "source": ALL}, "n_clicks"),
                 Input(IDS["cancel"], "n_clicks"), Input({"type": ACCEPT, "source": ALL}, "n_clicks"),
                 Input({"type": DISCARD, "source": ALL}, "n_clicks"), State(IDS["job"], "data"),
                 prevent_initial_call=True)(act)
    app.callback(Output(IDS["done"], "children"), Input(IDS["job"], "data"), background=True,
                 progress=[Output(IDS["bar"], "value"), Output(IDS["bar"], "max"), Output(IDS["text"], "children")],
                 running=[(Output(IDS["cancel"], "disabled"), False, True)], interval=500)(watch_job)
    app.callback(Output(IDS["body"], "children"), Input(IDS["interval"], "n_intervals"),
                 Input(IDS["done"], "children"), prevent_initial_call=True)(refresh_table)
