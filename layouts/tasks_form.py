"""The 下达指令 form: a button that opens a small form (what, department, deadline) on the incident
record, on /tasks and on /district pages. callbacks/tasks.py issues the instruction (``dispatch``).

Built from plain values: the department choices, the defaults, and what the page already knows
(the incident, the region) in the form's store.
"""
from __future__ import annotations

from dash import dcc, html

ISSUE_IDS = {k: f"issue-{k}" for k in ("open", "form", "text", "dept", "deadline", "submit", "cancel", "message",
                                       "context")}
DEADLINE_FORMAT = "YYYY-MM-DD HH:MM"


def issue_form(departments: list[tuple[str, str]], *, text: str = "", deadline: str = "", context: dict | None = None,
               hidden: bool = True) -> html.Div:
    """The 下达指令 button and its form. ``context``: incident_id, region_id, region, category of the
    page it sits on, issued with the instruction."""
    return html.Div([
        html.Button("下达指令", id=ISSUE_IDS["open"], n_clicks=0, className="cw-button cw-issue-open"),
        html.Div([
            html.Label(["指令内容", dcc.Textarea(id=ISSUE_IDS["text"], value=text, maxLength=500,
                                                className="cw-issue-text", placeholder="要做什么，如：处置占道经营")]),
            html.Label(["承办部门", dcc.Dropdown(id=ISSUE_IDS["dept"], options=[{"label": n, "value": i} for i, n in departments],
                                                 placeholder="选择部门", clearable=False, className="cw-issue-dept")]),
            html.Label(["办理期限", dcc.Input(id=ISSUE_IDS["deadline"], value=deadline, type="text", debounce=False,
                                              placeholder=DEADLINE_FORMAT, className="cw-issue-deadline")]),
            html.Div([
                html.Button("下达", id=ISSUE_IDS["submit"], n_clicks=0, className="cw-button is-primary"),
                html.Button("取消", id=ISSUE_IDS["cancel"], n_clicks=0, className="cw-button"),
            ], className="cw-table-tools"),
        ], id=ISSUE_IDS["form"], hidden=hidden, className="cw-card cw-issue-form"),
        html.Div(id=ISSUE_IDS["message"], className="cw-issue-message", role="status"),
        dcc.Store(id=ISSUE_IDS["context"], data=context or {}),
    ], className="cw-issue")


def record_issue_form(incident_id: str, district: str | None, region: str) -> html.Div | None:
    """The form on an incident's record, for a caller who may dispatch (None for the others)."""
    from dashboard import instructions_view as iv

    if not iv.may_dispatch():
        return None
    return issue_form(iv.department_choices(), text=f"处置事件 {incident_id}", deadline=iv.default_deadline(iv.clock()),
                      context={"incident_id": incident_id, "region_id": district, "region": region})
