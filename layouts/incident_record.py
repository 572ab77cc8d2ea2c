"""/incident/<id> (事件详情): one incident's full record at its own URL, built from an
:class:`~dashboard.incident_record.IncidentRecord` (the published detail frame, never the source).

The page: the breadcrumb 大屏 › 全市 › 区县 › 镇街 › 网格 › 事件 <id>, the status (with 超期 when it is
late), every field under its Chinese label, the timeline 受理 → 办理时限 → 办结, and a link back to
the incidents of its grid. An unknown or malformed id shows a Chinese notice and 事件不存在（404）;
a direct request for it is answered with HTTP 404 (dashboard/incident_record.py's ``install``).
The incident table's dialog (layouts/incidents.py) shows the same fields with a link here.
"""
from __future__ import annotations

from urllib.parse import unquote

import dash
from dash import dcc, html

from dashboard import pages
from dashboard.incident_record import IncidentRecord, Step, current_record, record_href
from layouts.drill_page import drill_page

PAGE_ID = "incident-record-page"
_STATUS_TONE = {"已办结": "is-done", "处置中": "is-open", "受理": "is-open"}
_STEP_MARK = {"done": "●", "due": "◆", "late": "▲", "pending": "○"}


def field_list(record: IncidentRecord) -> html.Dl:
    """Every field of the record, Chinese label → value."""
    return html.Dl([part for label, value in record.fields for part in (html.Dt(label), html.Dd(value))],
                   className="cw-record")


def _step(step: Step) -> html.Li:
    return html.Li([
        html.Span(_STEP_MARK[step.state], className="cw-irec-mark", **{"aria-hidden": "true"}),
        html.Div([html.Span(step.label, className="cw-irec-step"), html.Span(step.when, className="cw-irec-when")]),
        html.Div(step.note, className="cw-irec-note") if step.note else None,
    ], className=f"cw-irec-item is-{step.state}")


def timeline(record: IncidentRecord) -> html.Ol:
    return html.Ol([_step(s) for s in record.timeline], className="cw-irec-timeline", **{"aria-label": "办理时间线"})


def status_line(record: IncidentRecord) -> html.Div:
    return html.Div([
        html.Span(record.status, className=f"cw-irec-status {_STATUS_TONE.get(record.status, 'is-open')}"),
        html.Span("超期未办结", className="cw-irec-status is-late") if record.overdue else None,
        dcc.Link("‹ 返回事件列表", href=record.list_href, className="cw-button"),
        html.A("本页链接", href=record_href(record.incident_id), className="cw-button", id="irec-link"),
    ], className="cw-irec-head")


def missing_body(record: IncidentRecord) -> html.Section:
    """Where to go from an id that names no incident (the notice above says why)."""
    return html.Section([
        html.P("可从事件列表中点开一条事件，查看它的完整记录。", className="cw-muted"),
        dcc.Link("‹ 查看事件列表", href="/incidents", className="cw-button"),
    ], className="cw-card cw-irec-missing")


def page(record: IncidentRecord, issue=None) -> html.Div:
    """The record; ``issue``: the 下达指令 form (layouts/tasks_form.py) for a caller who may dispatch."""
    if not record.found:
        return drill_page(record.title, record.crumbs, missing_body(record), query_notices=[record.notice],
                          page_id=PAGE_ID)
    body = [
        status_line(record),
        html.Div([
            html.Section([html.H2("事件信息"), field_list(record)], className="cw-card"),
            html.Section([html.H2("办理时间线"), timeline(record)], className="cw-card"),
        ], className="cw-irec-grid"),
        issue,
    ]
    return drill_page(record.title, record.crumbs, body, page_id=PAGE_ID, wall_district=record.district)


def layout(incident_id: str = "", **_query) -> html.Div:
    """/incident/<id>: the record of that incident (no id: the notice of a malformed one)."""
    from layouts.tasks_form import record_issue_form

    record = current_record(unquote(incident_id or ""))
    region = record.crumbs[-2][0] if record.found and len(record.crumbs) > 1 else ""
    return page(record, record_issue_form(record.incident_id, record.district, region) if record.found else None)


dash.register_page(__name__, path_template="/incident/<incident_id>", title="事件详情", name="事件详情",
                   layout=layout, page_kind=pages.DRILL, draws_graphs=False)
