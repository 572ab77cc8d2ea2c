"""运维 page (/ops): every source's status with a health light, 刷新此数据源 / 全部刷新 with a progress bar
and a cancel button, and the held publishes with 接受 / 放弃. Built from dashboard/ops_view.py's view
models only; what the buttons do is callbacks/ops.py over dashboard/ops_actions.py."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.ops_view import HEALTH, JobProgress, OpsView, ops_view
from layouts.drill_page import drill_page
from layouts.exports import export_table
from layouts.status import _table

IDS = {"interval": "ops-interval", "body": "ops-body", "job": "ops-job", "refresh_all": "ops-refresh-all",
       "cancel": "ops-cancel", "bar": "ops-progress", "text": "ops-progress-text", "done": "ops-done",
       "message": "ops-message"}
REFRESH, ACCEPT, DISCARD = "ops-refresh", "ops-accept", "ops-discard"  # pattern-matching button types
SOURCE_HEADERS = ["状态", "数据源", "数据集", "责任部门", "调度", "下次运行", "最近成功（距今）", "耗时", "合格行",
                  "隔离行", "区域匹配率", "最近错误", "操作"]


def light(health: str) -> html.Span:
    modifier, word = HEALTH[health]
    return html.Span([html.Span(className=f"cw-light {modifier}", **{"aria-hidden": "true"}), word],
                     className="cw-health", title=word)


def sources_table(view: OpsView) -> html.Table:
    rows = [[light(r.health), r.source, r.dataset, r.owner, r.schedule, r.next_run, r.last_success, r.duration,
             r.rows_ok,
             dcc.Link(r.rows_quarantined, href=f"/ops/quarantine?source={r.source}", className="cw-pager-link"),
             r.region_match, html.Div(r.last_error, className="cw-ops-error") if r.last_error else "",
             html.Button("刷新此数据源", id={"type": REFRESH, "source": r.source}, n_clicks=0, className="cw-ops-button")]
            for r in view.sources]
    return _table(SOURCE_HEADERS, rows, [f"cw-ops-row is-{r.health}" for r in view.sources], className="cw-ops-sources")


def held_table(view: OpsView) -> html.Div:
    if not view.held:
        return html.P("没有被暂缓的发布。")
    rows = [[h.source, h.dataset, h.held_at, h.change, h.reason,
             html.Span([html.Button("接受", id={"type": ACCEPT, "source": h.source}, n_clicks=0, className="cw-ops-button"),
                        html.Button("放弃", id={"type": DISCARD, "source": h.source}, n_clicks=0,
                                    className="cw-ops-button is-danger")])] for h in view.held]
    return _table(["数据源", "数据集", "暂缓于", "行数（上次 → 本次）", "原因", "处理"], rows, ["is-stale"] * len(rows))


def ops_body(view: OpsView) -> html.Div:
    return html.Div([
        html.H2("数据源"),
        sources_table(view),
        html.H2("暂缓的发布（发布保护）"),
        held_table(view),
        html.P(dcc.Link("查看隔离行（按数据源，可下载 CSV / Excel）", href="/ops/quarantine", className="cw-back")),
        html.H2("失败的导出（最近 5 次）"),
        export_table(list(view.export_failures)) if view.export_failures else html.P("没有失败的导出。"),
        html.P(dcc.Link("查看导出归档", href="/exports", className="cw-back")),
    ])


def progress_panel(job: JobProgress | None) -> html.Div:
    return html.Div([
        html.Button("全部刷新", id=IDS["refresh_all"], n_clicks=0, className="cw-ops-button is-primary"),
        html.Button("取消", id=IDS["cancel"], n_clicks=0, className="cw-ops-button", disabled=job is None),
        html.Progress(id=IDS["bar"], value=str(job.done if job else 0), max=str(job.total if job else 1),
                      className="cw-ops-progress"),
        html.Span(job.text if job else "没有正在运行的刷新", id=IDS["text"], className="cw-ops-progress-text",
                  role="status"),
        html.Div(id=IDS["message"], className="cw-ops-message", role="alert"),
        html.Div(id=IDS["done"], className="cw-ops-done", role="status"),  # how the last job ended
    ], className="cw-ops-controls")


def layout(**_query) -> html.Div:
    """The page (dashboard/auth_gate.py has checked ``refresh`` before it runs)."""
    view = ops_view()
    job = view.jobs[0] if view.jobs else None
    return drill_page("运维", [("大屏", "/wall"), ("运维", None)], [
        dcc.Interval(id=IDS["interval"], interval=5000),
        dcc.Store(id=IDS["job"], data=job.job_id if job else None),
        progress_panel(job),
        html.Div(ops_body(view), id=IDS["body"]),
    ], page_id="ops-page")


def validation_components() -> list:
    """What the page holds for a caller who may refresh (its default view is the refusal), with one of
    each pattern-matching button."""
    buttons = [html.Button(id={"type": kind, "source": ""}) for kind in (REFRESH, ACCEPT, DISCARD)]
    return [dcc.Interval(id=IDS["interval"]), dcc.Store(id=IDS["job"]), progress_panel(None), html.Div(id=IDS["body"]),
            *buttons]


dash.register_page(__name__, path="/ops", title="运维", name="运维", layout=layout, permission="refresh",
                   validation_layout=validation_components, draws_graphs=False)
