"""/tasks (指令): the instructions a caller may see — a dispatcher every department's, a 部门 user its
own — in a table with state, deadline and 超期 in red, the summary 指挥调度 (today's, open,
overdue per department, the latest steps) and, for the selected instruction, its record, its steps
and the actions the caller may take (签收, 开始处置, 反馈, 办结确认, 退回; the note box carries the
feedback or the reason). A dispatcher also gets the 下达指令 form.

The gate checks ``view_drilldowns`` (held by the 部门 role too); the page itself needs ``dispatch``
or ``handle_instructions`` (dashboard/instructions.py, which also checks every action again).
"""
from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import dcc, html

from dashboard import pages
from dashboard.instructions_view import CommandPanel, TaskDetail, TasksView
from layouts import drill_parts as dp
from layouts.drill_page import drill_page
from layouts.tasks_form import issue_form

PAGE_ID = "tasks-page"
IDS = {k: f"tasks-{k}" for k in ("grid", "detail", "note", "message", "selected", "summary")}
#: the action buttons: id → the steps (dashboard/instructions.py STEPS) the button takes
BUTTONS = {"sign": ("签收", ("sign",)), "start": ("开始处置", ("start",)), "feedback": ("反馈", ("feedback",)),
           "confirm": ("办结确认", ("confirm",)), "return": ("退回", ("refuse", "send_back"))}
BUTTON_IDS = {k: f"tasks-do-{k}" for k in BUTTONS}
COLUMNS = [("id", "编号", 80), ("text", "指令内容", 260), ("department", "承办部门", 160), ("where", "地点", 160),
           ("deadline", "办理期限", 150), ("state", "状态", 150), ("overdue", "超期", 80), ("issued_by", "下达人", 110),
           ("issued_at", "下达时间", 150), ("actions", "可办理", 140)]
GRID_TEXT = {"noRowsToShow": "暂无指令", "page": "第", "of": "/", "to": "–", "next": "下一页", "previous": "上一页",
             "first": "首页", "last": "末页"}


def _stat(label: str, value: int, tone: str = "") -> html.Div:
    return html.Div([html.Span(label, className="cw-muted"), html.Strong(str(value), className=f"cw-stat-value {tone}")],
                    className="cw-task-stat")


def summary(panel: CommandPanel) -> html.Section:
    """指挥调度: the counts of what the caller sees, overdue per department, the latest steps."""
    late = [html.Span(f"{name} {n}", className="cw-task-late-dept") for name, n in panel.overdue_by_department]
    return html.Section([
        html.H2(["指挥调度", html.Span(panel.scope, className="cw-card-note")]),
        html.Div([_stat("今日下达", panel.issued_today), _stat("未办结", panel.open),
                  _stat("超期", panel.overdue, "is-late" if panel.overdue else "")], className="cw-task-stats"),
        html.Div([html.Span("超期（按部门）：", className="cw-muted"), *(late or [html.Span("无", className="cw-muted")])],
                 className="cw-task-line"),
        html.Ol([html.Li([html.Span(e.when, className="cw-muted"), " ", e.text]) for e in panel.latest],
                className="cw-task-events", **{"aria-label": "最近动态"}) if panel.latest else None,
    ], className="cw-card", id=IDS["summary"])


def table(view: TasksView) -> html.Div:
    # a least width that shows each header whole (drill_parts.header_width), as the other drill tables
    columns = [{"field": f, "headerName": h, "minWidth": max(w, dp.header_width(h)), "flex": 2 if f == "text" else 1,
                "sortable": True, "filter": True, "resizable": True} for f, h, w in COLUMNS]
    for col in columns:
        if col["field"] in ("overdue", "deadline"):
            col["cellClassRules"] = {"cw-cell-red": "params.data.overdue == '超期'"}
    return dp.grid_box(dag.AgGrid(
        id=IDS["grid"], rowData=[r.record() for r in view.rows], columnDefs=columns, getRowId="params.data.id",
        rowClassRules={"cw-task-row-late": "params.data.overdue == '超期'"},
        dashGridOptions={"pagination": True, "paginationPageSize": 15, "paginationPageSizeSelector": False,
                         "localeText": GRID_TEXT, "rowSelection": "single", "animateRows": False,
                         "domLayout": "autoHeight"},
        className="cw-grid"))


def detail_body(detail: TaskDetail | None) -> list:
    if detail is None:
        return [html.P("点击表格中的一条指令，查看记录并办理。", className="cw-muted")]
    flags = [html.Span("超期", className="cw-irec-status is-late") if detail.overdue else None,
             html.Span("源工单已办结：请下达人决定是否办结", className="cw-irec-status is-done")
             if detail.source_closed else None]
    return [
        html.H2([detail.title, *flags]),
        html.Dl([p for label, value in detail.fields for p in (html.Dt(label), html.Dd(value))], className="cw-record"),
        html.H3("办理过程"),
        html.Ol([html.Li([html.Span(when, className="cw-muted"), f" {who} {step}", f"：{note}" if note else ""])
                 for when, who, step, note in detail.events], className="cw-task-events"),
    ]


def enabled_buttons(detail: TaskDetail | None) -> list[bool]:
    """``disabled`` of each action button (:data:`BUTTONS` order) for the selected instruction."""
    allowed = {step for step, _label, _note in detail.steps} if detail else set()
    return [not (set(steps) & allowed) for _label, steps in BUTTONS.values()]


def actions(detail: TaskDetail | None = None) -> html.Div:
    disabled = enabled_buttons(detail)
    return html.Div([
        dcc.Textarea(id=IDS["note"], value="", maxLength=500, className="cw-task-note",
                     placeholder="反馈说明或退回理由（反馈、退回时必填）"),
        html.Div([html.Button(label, id=BUTTON_IDS[key], n_clicks=0, disabled=off, className="cw-button")
                  for (key, (label, _steps)), off in zip(BUTTONS.items(), disabled)], className="cw-table-tools"),
        html.Div(id=IDS["message"], className="cw-task-message", role="status"),
    ], className="cw-task-actions")


def page(view: TasksView, departments: list[tuple[str, str]], *, may_issue: bool, deadline: str,
         context: dict | None = None, notices: list[str] | None = None) -> html.Div:
    """``context``: the region of a /district page's 下达指令 link (the form opens with it filled in)."""
    context = context or {}
    text = f"处置{context['region']}的" if context.get("region") else ""
    body = [
        summary(view.panel),
        issue_form(departments, deadline=deadline, text=text, context=context, hidden=not context)
        if may_issue else None,
        html.Div([
            html.Section([html.H2(["指令列表", html.Span(view.scope, className="cw-card-note")]), table(view)],
                         className="cw-card"),
            html.Section([html.Div(detail_body(None), id=IDS["detail"]), actions()], className="cw-card"),
        ], className="cw-cols is-wide"),
        dcc.Store(id=IDS["selected"]),
    ]
    return drill_page("指令", [("大屏", "/wall"), ("指令", None)], body, page_id=PAGE_ID, query_notices=notices)


def refused(message: str) -> html.Div:
    return drill_page("指令", [("大屏", "/wall"), ("指令", None)], html.P(message, className="cw-muted"),
                      query_notices=[message], page_id=PAGE_ID)


def layout(region: str = "", **_query) -> html.Div:
    """/tasks[?region=<id>]: the region fills the 下达指令 form in (a /district page links here)."""
    from dashboard import instructions_view as iv

    try:
        view, departments, may_issue, deadline = iv.current_tasks_page()
    except iv.REFUSALS as exc:
        return refused(exc.message)
    context, notice = iv.region_context(region)
    return page(view, departments, may_issue=may_issue, deadline=deadline, context=context,
                notices=[notice] if notice else None)


def validation_components() -> list:
    """The page as a dispatcher sees it (its default view may be a refusal)."""
    from dashboard.instructions_view import CommandPanel as Panel

    return [page(TasksView("全部部门", [], Panel(0, 0, 0, [])), [], may_issue=True, deadline="")]


dash.register_page(__name__, path="/tasks", title="指令", name="指令", layout=layout, page_kind=pages.DRILL,
                   permission="view_drilldowns", validation_layout=validation_components, draws_graphs=False)
