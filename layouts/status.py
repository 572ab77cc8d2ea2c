"""数据状态 page: each dataset's version, age and last error, and the pull log."""
from __future__ import annotations

import time

import dash
from dash import dcc, html

from dashboard import db, formatting as fmt, runtime
from dashboard.freshness import DATASET_LABELS, freshness

IDS = {"interval": "status-interval", "body": "status-body"}
TRIGGERS = {"schedule": "定时", "retry": "重试", "manual": "手动", "cli": "命令行", "startup": "启动",
            "benchmark": "基准测试", "test": "测试"}


def _table(headers: list[str], rows: list[list], row_classes: list[str] | None = None) -> html.Table:
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in headers])),
        html.Tbody([html.Tr([html.Td(c) for c in row], className=(row_classes or [""] * len(rows))[i])
                    for i, row in enumerate(rows)]),
    ], className="cw-table")


def status_body() -> html.Div:
    rt = runtime.current()
    now = time.time()
    statuses = rt.store.statuses()
    dataset_rows, classes = [], []
    for name, status in statuses.items():
        fresh = freshness(rt.settings, status, now)
        dataset_rows.append([DATASET_LABELS.get(name, name), name, status.version, fmt.moment(status.published_at),
                             fmt.age(fresh.age_seconds), "滞后" if fresh.stale else "正常", fresh.reason])
        classes.append("is-stale" if fresh.stale else "")
    runs = db.recent_runs(rt.engine, limit=50)
    run_rows = [[r.source, DATASET_LABELS.get(r.dataset, r.dataset), fmt.moment(r.started_at),
                 fmt.duration((r.finished_at or r.started_at) - r.started_at), fmt.count(r.rows_ok),
                 fmt.count(r.rows_quarantined), TRIGGERS.get(r.trigger, r.trigger), r.error or "成功"] for r in runs.itertuples()]
    quarantine = db.quarantined_rows(rt.engine, limit=100)
    quarantine_rows = [[q.source, DATASET_LABELS.get(q.dataset, q.dataset), q.row_number, q.reason,
                        q.row_json[:160]] for q in quarantine.itertuples()]
    return html.Div([
        html.H2("数据集"),
        _table(["数据集", "标识", "版本", "最近成功", "数据年龄", "状态", "说明"], dataset_rows, classes)
        if dataset_rows else html.P("尚无数据集发布。请运行 python run.py pull。"),
        html.H2("最近拉取"),
        _table(["数据源", "数据集", "开始", "耗时", "合格行", "隔离行", "触发", "结果"], run_rows)
        if run_rows else html.P("尚无拉取记录。"),
        html.H2("隔离行（不符合数据合约，未参与统计）"),
        _table(["数据源", "数据集", "源行号", "原因", "原始内容"], quarantine_rows)
        if quarantine_rows else html.P("没有隔离行。"),
    ])


def layout(**_query) -> html.Div:
    rt = runtime.current()
    return html.Div([
        html.H1(f"{rt.settings.city.name} · 数据状态"),
        dcc.Interval(id=IDS["interval"], interval=rt.settings.app.refresh_seconds * 1000),
        html.Div(status_body(), id=IDS["body"]),
        dcc.Link("‹ 返回大屏", href="/wall", className="cw-back"),  # wall-nav.js keeps the wall's own parameters
    ], className="cw-page")


# registered after `layout` exists: Dash only finds layouts itself for modules in a pages folder
dash.register_page(__name__, path="/status", title="数据状态", name="数据状态", layout=layout)
