"""导出归档 page (/exports): the buttons that queue an export (大屏 PNG, 通报 PDF, 数据 Excel) with the job's
progress, and every archived export with its download. Built from dashboard/exports_view.py's view
model only; what the buttons do is callbacks/exports.py over dashboard/export_actions.py."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import export_actions
from dashboard.exports_view import ExportRow, ExportsView
from dashboard.ops_view import JobProgress
from layouts.drill_page import drill_page
from layouts.status import _table

IDS = {"interval": "exports-interval", "list": "exports-list", "job": "exports-job", "view": "exports-view",
       "bar": "exports-progress", "text": "exports-progress-text", "done": "exports-done", "message": "exports-message"}
BUTTON_IDS = {"png": "exports-png", "pdf": "exports-pdf", "xlsx": "exports-xlsx"}
HEADERS = ["时间", "类型", "视图", "数据版本", "导出人", "大小", "状态", "下载"]
CRUMBS = [("大屏", "/wall"), ("导出归档", None)]


def _status(row: ExportRow):
    if not row.failed:
        return row.status
    return html.Span([row.status, html.Div(row.error, className="cw-ops-error")], className="cw-export-failed")


def export_table(rows: list[ExportRow]) -> html.Div | html.Table:
    if not rows:
        return html.P("尚无导出记录。")
    cells = [[r.made_at, r.kind, r.view, r.data_version, r.made_by, r.size, _status(r),
              html.A("下载", href=r.href, className="cw-pager-link", download="") if r.href else "—"] for r in rows]
    return _table(HEADERS, cells, ["is-bad" if r.failed else "" for r in rows], className="cw-exports-list")


def controls(view: ExportsView | None, job: JobProgress | None) -> html.Div:
    buttons = [html.Button(b.text + (f"（{b.note}）" if b.note else ""), id=BUTTON_IDS[b.kind], n_clicks=0,
                           disabled=not b.available, className="cw-ops-button is-primary")
               for b in (view.buttons if view else [])]
    views = view.views if view else [("city", "全市")]
    return html.Div([
        html.Label([html.Span("大屏视图（PNG）", className="cw-filter-label"),
                    dcc.Dropdown(id=IDS["view"], options=[{"label": label, "value": v} for v, label in views],
                                 value="city", clearable=False, searchable=len(views) > 8, className="cw-filter-select")],
                   className="cw-filter cw-export-view"),
        *buttons,
        html.Progress(id=IDS["bar"], value=str(job.done if job else 0), max=str(job.total if job else 2),
                      className="cw-ops-progress"),
        html.Span(job.text if job else "没有正在进行的导出", id=IDS["text"], className="cw-ops-progress-text",
                  role="status"),
        html.Div(id=IDS["message"], className="cw-ops-message", role="alert"),
        html.Div(id=IDS["done"], className="cw-ops-done", role="status"),
    ], className="cw-ops-controls")


def page(view: ExportsView) -> html.Div:
    return drill_page("导出归档", CRUMBS, [
        dcc.Interval(id=IDS["interval"], interval=5000),
        dcc.Store(id=IDS["job"], data=view.job.job_id if view.job else None),
        controls(view, view.job),
        html.P(f"导出文件{view.retention}；{view.schedule}。", className="cw-export-settings"),
        html.Div(export_table(view.rows), id=IDS["list"]),
    ], page_id="exports-page")


def layout(**_query) -> html.Div:
    """The page (dashboard/auth_gate.py has checked ``export`` before it runs)."""
    return page(export_actions.view())


def validation_components() -> list:
    """What the page holds, buttons and all, whatever the producers installed."""
    return [dcc.Interval(id=IDS["interval"]), dcc.Store(id=IDS["job"]), controls(None, None),
            *[html.Button(id=i) for i in BUTTON_IDS.values()], html.Div(id=IDS["list"])]


dash.register_page(__name__, path="/exports", title="导出归档", name="导出归档", layout=layout, permission="export",
                   validation_layout=validation_components, draws_graphs=False)
