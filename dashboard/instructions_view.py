"""View models of the instructions (指令): /tasks' table and its summary, the wall panel 指挥调度
(:func:`command_panel`), the department scoreboard's 指令按期办结率 and which instructions' incidents
have closed in their source (源工单已办结). Plain values, so layouts only build components.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select

from dashboard import indicators
from dashboard import instructions as ins
from dashboard.instructions_tables import instructions
from dashboard.permissions import Caller, PermissionDenied, has_permission
from datasources.contracts import CLOSED as INCIDENT_CLOSED

LATEST_EVENTS = 8
ONTIME_DAYS = 30  # the registry's period of 指令按期办结率


def source_closed_ids(detail: pd.DataFrame | None, incident_ids) -> set[str]:
    """The incidents among ``incident_ids`` whose status in the published detail frame is 已办结."""
    wanted = {str(i) for i in incident_ids if i}
    if detail is None or not wanted or detail.empty:
        return set()
    from dashboard.incident_table import with_ids

    rows = with_ids(detail, wanted)
    return set(rows.loc[rows["status"].astype(str) == INCIDENT_CLOSED, "incident_id"].astype(str))


def _day_start(now: datetime | float, zone: ZoneInfo = ins.TIMEZONE) -> float:
    """00:00 of ``now``'s day in the city's ``zone``, in UNIX seconds."""
    day = datetime.fromtimestamp(ins.timestamp(now), zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


# ---- the wall panel 指挥调度 ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PanelEvent:
    when: str  # HH:MM (today) or MM-DD HH:MM
    text: str  # "城市管理局 签收 指令 3：…"
    today: bool = True  # taken today (the city's day)
    who: str = ""  # the department (its steps) or the user (the issuer's)
    step: str = ""  # 下达, 签收, …
    subject: str = ""  # what the instruction says


@dataclass(frozen=True)
class CommandPanel:
    """指挥调度: instructions issued today, open, overdue (per department) and the loop's latest events."""
    issued_today: int
    open: int
    overdue: int
    overdue_by_department: list[tuple[str, int]]  # (department name, overdue count), most first
    latest: list[PanelEvent] = field(default_factory=list)
    scope: str = "全市 · 今日（Asia/Shanghai）"


def command_panel(items: list[ins.Instruction], events: list[ins.Event], now: datetime | float,
                  zone: ZoneInfo = ins.TIMEZONE) -> CommandPanel:
    """The panel's counts at ``now``: 今日下达 (issued since today's 00:00 in the city's ``zone``), 未办结
    (state not 已办结), 超期 (the overdue rule of dashboard/instructions.py), overdue per department,
    and the latest events (``events`` newest first, as :func:`instructions.events` gives them)."""
    start, at = _day_start(now, zone), ins.timestamp(now)
    per_dept: dict[str, int] = {}
    for item in items:
        if item.overdue(at):
            per_dept[item.department] = per_dept.get(item.department, 0) + 1
    return CommandPanel(issued_today=sum(1 for i in items if i.issued_at >= start),
                        open=sum(1 for i in items if i.is_open), overdue=sum(per_dept.values()),
                        overdue_by_department=_most_first(per_dept),
                        latest=_latest(events, {i.id: i for i in items}, start, zone))


def _most_first(per_dept: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(per_dept.items(), key=lambda kv: (-kv[1], kv[0]))


def _latest(events: list[ins.Event], by_id: dict, start: float, zone: ZoneInfo) -> list[PanelEvent]:
    latest = []
    for event in events[:LATEST_EVENTS]:
        item = by_id.get(event.instruction_id)
        who = item.department if item and event.step in ("sign", "start", "feedback", "refuse") else event.actor
        moment = datetime.fromtimestamp(event.at, zone)
        today = event.at >= start
        latest.append(PanelEvent(f"{moment:%H:%M}" if today else f"{moment:%m-%d %H:%M}",
                                 f"{who} {event.label} 指令 {event.instruction_id}" + (f"：{item.text[:24]}" if item else ""),
                                 today, who, event.label, item.text if item else f"指令 {event.instruction_id}"))
    return latest


def panel_now(engine, now: datetime | float, zone: ZoneInfo = ins.TIMEZONE) -> CommandPanel:
    """The panel from the app database (every department: the wall shows the whole city), counted by
    the database (COUNT … GROUP BY, the same rules as :func:`command_panel`): a few small queries
    however many instructions years of dispatching have left (none is ever deleted)."""
    start, at = _day_start(now, zone), ins.timestamp(now)
    table, is_open = instructions, instructions.c.state != ins.CLOSED
    events = ins.events(engine, limit=LATEST_EVENTS)
    with engine.connect() as conn:
        issued_today = conn.scalar(select(func.count()).where(table.c.issued_at >= start))
        open_count = conn.scalar(select(func.count()).where(is_open))
        per_dept = dict(conn.execute(select(table.c.department, func.count()).where(is_open, table.c.deadline_at < at)
                                     .group_by(table.c.department)).all())
    by_id = ins.by_ids(engine, {e.instruction_id for e in events})
    return CommandPanel(issued_today=issued_today, open=open_count, overdue=sum(per_dept.values()),
                        overdue_by_department=_most_first(per_dept), latest=_latest(events, by_id, start, zone))


# ---- 指令按期办结率 ----------------------------------------------------------------------------------

def instruction_frame(items: list[ins.Instruction]) -> pd.DataFrame:
    """dept_id, deadline_at, closed_at (UNIX seconds; NaN while open) of each instruction."""
    return pd.DataFrame({"dept_id": [i.dept_id for i in items], "deadline_at": [i.deadline_at for i in items],
                         "closed_at": [float("nan") if i.closed_at is None else i.closed_at for i in items]},
                        columns=["dept_id", "deadline_at", "closed_at"]).astype({"deadline_at": float, "closed_at": float})


def ontime_rates(items: list[ins.Instruction], now: datetime | float, days: int = ONTIME_DAYS) -> dict[str, float | None]:
    """dept_id → 指令按期办结率 of the instructions due since ``days`` days before ``now``: those whose
    deadline passed since, and those closed already whose deadline is still to come
    (indicators.instruction_ontime_rate, its period open-ended)."""
    at = ins.timestamp(now)
    start = at - timedelta(days=days).total_seconds()
    frame = instruction_frame(items)
    return {dept: indicators.instruction_ontime_rate(rows, start, float("inf"), at)
            for dept, rows in frame.groupby("dept_id")}


def scoreboard_rates(settings, today) -> dict[str, float | None] | None:
    """dept_id → 指令按期办结率 for the department scoreboard (dashboard/scoreboard.py), or None while
    [scoreboard].weights gives it no weight (the default 0: the app database is not even read). Up to
    the end of ``today`` or now, whichever is earlier; every caller (the page, the 通报, the workbook) asks here."""
    if settings.scoreboard.weights.get("instruction_ontime_rate", 0) <= 0:
        return None
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), ins.TIMEZONE).timestamp()
    return ontime_rates(ins.all_instructions(_engine(settings.database_url)), min(ins.timestamp(clock()), end))


@lru_cache(maxsize=4)
def _engine(url: str):
    from dashboard import db

    return db.connect(url, migrate=False)


# ---- /tasks -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskRow:
    id: int
    text: str
    department: str
    where: str
    deadline: str
    state: str
    overdue: bool
    source_closed: bool
    issued_by: str
    issued_at: str
    actions: str  # the labels of the steps the caller may take

    def record(self) -> dict:
        return {"id": self.id, "text": self.text, "department": self.department, "where": self.where,
                "deadline": self.deadline, "state": self.state + (f"（{ins.SOURCE_CLOSED}）" if self.source_closed else ""),
                "overdue": "超期" if self.overdue else "", "issued_by": self.issued_by, "issued_at": self.issued_at,
                "actions": self.actions}


@dataclass(frozen=True)
class TaskDetail:
    """The selected instruction: its fields, its events, the steps the caller may take now."""
    id: int
    title: str
    fields: list[tuple[str, str]]
    events: list[tuple[str, str, str, str]]  # (when, who, step, note)
    steps: list[tuple[str, str, str]]  # (step id, label, note name or "")
    overdue: bool
    source_closed: bool


@dataclass(frozen=True)
class TasksView:
    scope: str  # "全部部门" | the department's name
    rows: list[TaskRow]
    panel: CommandPanel
    notice: str = ""


def _where(item: ins.Instruction) -> str:
    parts = [p for p in (item.region, f"事件 {item.incident_id}" if item.incident_id else "") if p]
    return "、".join(parts) or "—"


def task_rows(engine, items: list[ins.Instruction], caller: Caller, closed_incidents: set[str],
              now: datetime | float) -> list[TaskRow]:
    rows = []
    for item in items:
        closed = bool(item.incident_id) and item.incident_id in closed_incidents and item.is_open
        steps = ins.allowed_steps(engine, item, caller, source_closed=closed)
        rows.append(TaskRow(item.id, item.text, item.department, _where(item), ins.moment_text(item.deadline_at),
                            item.state, item.overdue(now), closed, item.issued_by, ins.moment_text(item.issued_at),
                            "、".join(dict.fromkeys(s.label for s in steps)) or "—"))
    return rows


def tasks_view(engine, caller: Caller, detail: pd.DataFrame | None, now: datetime | float) -> TasksView:
    """/tasks for ``caller``: a dispatcher sees every department, a department user its own
    (dashboard/instructions.py refuses the rest); the summary counts what the caller sees."""
    seen = ins.visible_department(engine, caller)
    items = ins.listed(engine, caller)
    closed = source_closed_ids(detail, [i.incident_id for i in items])
    ids = {i.id for i in items}
    events = [e for e in ins.events(engine, limit=200) if e.instruction_id in ids]
    scope = "全部部门" if seen is None else (items[0].department if items else seen)
    panel = replace(command_panel(items, events, now), scope=f"{'全市' if seen is None else scope} · 今日（Asia/Shanghai）")
    return TasksView(scope, task_rows(engine, items, caller, closed, now), panel)


def task_detail(engine, instruction_id: int, caller: Caller, detail: pd.DataFrame | None,
                now: datetime | float) -> TaskDetail:
    """One instruction for the caller (a department user: of its department only, else OtherDepartment)."""
    item = ins.visible(engine, instruction_id, caller)
    closed = bool(item.incident_id) and item.is_open and item.incident_id in source_closed_ids(detail, [item.incident_id])
    fields = [("指令内容", item.text), ("承办部门", item.department), ("地点", _where(item)),
              ("事件分类", item.category or "—"), ("办理期限", ins.moment_text(item.deadline_at)),
              ("状态", item.state), ("下达人", item.issued_by), ("下达时间", ins.moment_text(item.issued_at)),
              ("来源", ins.ORIGINS.get(item.origin, item.origin) + (f"：“{item.sentence}”" if item.sentence else ""))]
    steps = [(s.id, s.label, s.note) for s in ins.allowed_steps(engine, item, caller, source_closed=closed)]
    history = [(ins.moment_text(e.at), e.actor, e.label, e.note) for e in ins.events(engine, item.id)]
    return TaskDetail(item.id, f"指令 {item.id}", fields, history, steps, item.overdue(now), closed)


#: what /tasks shows instead of the page, in Chinese (.message)
REFUSALS = (PermissionDenied, ins.InstructionError)


def default_deadline(now: datetime | float) -> str:
    """The form's default deadline: today 18:00, or tomorrow's when today's has passed (Shanghai)."""
    moment = ins.local(ins.timestamp(now))
    evening = moment.replace(hour=18, minute=0, second=0, microsecond=0)
    return f"{evening if moment < evening else evening + timedelta(days=1):%Y-%m-%d %H:%M}"


def parse_deadline(text: str) -> datetime:
    """A deadline typed as YYYY-MM-DD HH:MM (Asia/Shanghai); an InstructionError names the format."""
    try:
        return datetime.strptime((text or "").strip().replace("T", " "), "%Y-%m-%d %H:%M").replace(tzinfo=ins.TIMEZONE)
    except ValueError:
        raise ins.InstructionError(f"办理期限「{(text or '')[:20]}」无法识别：请写成 2026-12-01 18:00 的形式") from None


def current_detail_frame() -> pd.DataFrame | None:
    """The published incidents' detail frame (源工单 states), None before the first publish."""
    from dashboard.incident_view import current_frames

    return current_frames().get("detail")


def current_tasks_page(now: datetime | None = None):
    """/tasks for the current caller: (TasksView, department choices, may issue, default deadline)."""
    from dashboard import runtime

    now = now or clock()
    caller = ins.require_tasks_access()
    view = tasks_view(runtime.current().engine, caller, current_detail_frame(), now)
    return view, department_choices(), has_permission("dispatch", caller), default_deadline(now)


def region_context(region_id: str | None) -> tuple[dict, str]:
    """The 下达指令 form's context for /tasks?region=<id> (a /district page's 下达指令 link): the
    region's id and name, and a notice for an id the city's geography does not have."""
    from dashboard import runtime

    if not region_id:
        return {}, ""
    regions = runtime.current().geography.regions
    hit = regions[regions["region_id"].astype(str) == str(region_id)] if len(regions) else regions
    if hit.empty:
        return {}, f"区域编号「{str(region_id)[:24]}」不存在：下达指令时未填入区域"
    return {"region_id": str(region_id), "region": str(hit["name"].iloc[0])}, ""


def department_choices() -> list[tuple[str, str]]:
    """(dept_id, name) of the published departments frame, for the 下达指令 form."""
    from dashboard import runtime

    frame = runtime.current().store.frame("departments", "departments")
    if frame is None:
        return []
    return list(zip(frame["dept_id"].astype(str), frame["name"].astype(str)))


def clock() -> datetime:
    """Now, in Asia/Shanghai (the pages' and the forms' moment)."""
    return datetime.now(ins.TIMEZONE)


def may_dispatch() -> bool:
    return has_permission("dispatch")
