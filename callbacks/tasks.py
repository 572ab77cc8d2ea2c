"""/tasks' callbacks and the 下达指令 form's (on /tasks, the incident record and /district pages).

- :func:`tasks_update`: a click on a row selects the instruction (its record, its steps, the buttons
  the caller may press); a button takes the step (dashboard/instructions.py checks the caller's
  permission and department again, refuses in Chinese and audits either way), then the table, the
  summary and the record are redrawn.
- :func:`issue_update`: the form opens, closes, and issues the instruction (``dispatch``).
"""
from __future__ import annotations

from datetime import datetime

from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import instructions as ins
from dashboard import instructions_view as iv
from dashboard import runtime
from dashboard.permissions import PermissionDenied, protect_callbacks, require_permission
from layouts import tasks as page
from layouts.tasks_form import ISSUE_IDS

# the page's gate: view_drilldowns; every action checks dispatch / handle_instructions and the department itself
protect_callbacks("view_drilldowns", "tasks-*")
protect_callbacks("dispatch", "issue-*")

_BUTTON_OF = {v: k for k, v in page.BUTTON_IDS.items()}


def _step_of(button: str, detail: iv.TaskDetail) -> str | None:
    """The step a button takes on the selected instruction (退回: the department's or the issuer's)."""
    allowed = {step for step, _label, _note in detail.steps}
    return next((s for s in page.BUTTONS[button][1] if s in allowed), None)


def select_or_act(trigger: str, clicked: dict | None, selected, note: str, now: datetime):
    """(message, selected id, detail or None, note to keep) after a row click or a button press."""
    engine, caller = runtime.current().engine, ins.require_tasks_access()
    detail_frame = iv.current_detail_frame()
    if trigger == page.IDS["grid"]:
        row_id = (clicked or {}).get("rowId")
        if row_id is None:
            return "", selected, None, note
        return "", int(row_id), iv.task_detail(engine, int(row_id), caller, detail_frame, now), note
    if selected is None:
        return "请先在表格中选择一条指令", None, None, note
    button = _BUTTON_OF[trigger]
    ins.visible(engine, int(selected), caller, attempted=page.BUTTONS[button][1][0])  # a refusal is audited
    detail = iv.task_detail(engine, int(selected), caller, detail_frame, now)
    step = _step_of(button, detail)
    if step is None:
        return f"当前不能{page.BUTTONS[button][0]}", selected, detail, note
    if ins.STEPS[step].by == "department":
        require_permission("handle_instructions", caller)
    moved = ins.take(engine, int(selected), step, now, note=note or "", source_closed=detail.source_closed,
                     caller=caller)
    return (f"指令 {moved.id}：已{ins.STEPS[step].label}，当前状态「{moved.state}」", selected,
            iv.task_detail(engine, moved.id, caller, detail_frame, now), "")


@callback(Output(page.IDS["grid"], "rowData"), Output(page.IDS["summary"], "children"),
          Output(page.IDS["detail"], "children"), *[Output(b, "disabled") for b in page.BUTTON_IDS.values()],
          Output(page.IDS["message"], "children"), Output(page.IDS["selected"], "data"),
          Output(page.IDS["note"], "value"),
          Input(page.IDS["grid"], "cellClicked"), *[Input(b, "n_clicks") for b in page.BUTTON_IDS.values()],
          State(page.IDS["selected"], "data"), State(page.IDS["note"], "value"), prevent_initial_call=True)
def tasks_update(clicked, *rest):
    *_clicks, selected, note = rest
    trigger = ctx.triggered_id
    if trigger is None:
        return (no_update,) * (6 + len(page.BUTTONS))
    now = datetime.now(ins.TIMEZONE)
    try:
        message, selected, detail, note = select_or_act(trigger, clicked, selected, note, now)
    except (PermissionDenied, ins.InstructionError) as exc:
        return (no_update,) * (3 + len(page.BUTTONS)) + (exc.message, no_update, no_update)
    view, _departments, _may_issue, _deadline = iv.current_tasks_page(now)
    return ([r.record() for r in view.rows], page.summary(view.panel).children, page.detail_body(detail),
            *page.enabled_buttons(detail), message, selected, note)


def issue_from_form(text: str, dept_id: str, deadline: str, context: dict, now: datetime) -> ins.Instruction:
    """下达 from the form: the department's name from the published departments, the page's context."""
    require_permission("dispatch")
    names = dict(iv.department_choices())
    if dept_id and names and dept_id not in names:
        raise ins.InstructionError(f"部门编号 {dept_id} 不在已发布的部门数据中，请从列表中选择")
    context = context or {}
    return ins.issue(runtime.current().engine, text=text, dept_id=dept_id, department=names.get(dept_id, dept_id or ""),
                     deadline=iv.parse_deadline(deadline), now=now, region_id=context.get("region_id"),
                     region=context.get("region") or "", incident_id=context.get("incident_id"),
                     category=context.get("category") or "", origin="button")


@callback(Output(ISSUE_IDS["form"], "hidden"), Output(ISSUE_IDS["message"], "children"),
          Input(ISSUE_IDS["open"], "n_clicks"), Input(ISSUE_IDS["cancel"], "n_clicks"),
          Input(ISSUE_IDS["submit"], "n_clicks"), State(ISSUE_IDS["text"], "value"), State(ISSUE_IDS["dept"], "value"),
          State(ISSUE_IDS["deadline"], "value"), State(ISSUE_IDS["context"], "data"), prevent_initial_call=True)
def issue_update(_open, _cancel, _submit, text, dept_id, deadline, context):
    trigger = ctx.triggered_id
    if trigger == ISSUE_IDS["open"]:
        return False, ""
    if trigger == ISSUE_IDS["cancel"]:
        return True, ""
    if trigger != ISSUE_IDS["submit"]:
        return no_update, no_update
    try:
        item = issue_from_form(text, dept_id, deadline, context, datetime.now(ins.TIMEZONE))
    except (PermissionDenied, ins.InstructionError) as exc:
        return False, exc.message
    return True, html.Span([f"已下达指令 {item.id}（{item.department}，期限 {ins.moment_text(item.deadline_at)}）。",
                            dcc.Link("查看指令", href="/tasks", className="cw-button")])
