"""Instructions (指令), tracked until done: issued by a dispatcher, handled by one department.

The states and who moves an instruction between them:

    已下达 ──签收──▶ 已签收 ──开始处置──▶ 处置中 ──反馈（须写反馈说明）──▶ 已反馈 ──办结确认──▶ 已办结
       │              │                    │                              │
       └──────────────┴──退回（须写理由）───┘──▶ 已退回 ──重新下达──▶ 已下达  └──退回（须写理由）──▶ 处置中

- 签收, 开始处置, 反馈, and 退回 before 已反馈: the department's own user (permission
  ``handle_instructions`` and bound to the instruction's department, ``users.department``); a user of
  another department is refused (:class:`OtherDepartment`). The administrator may act for any department.
- 办结确认, 退回 of a feedback (back to 处置中) and 重新下达 of a returned one: the issuer, or anyone
  holding ``dispatch``. When the incident behind it has closed in its source (the published incidents
  frame says 已办结) the instruction shows 源工单已办结 and its issuer may confirm it in any open state.
- Issuing needs ``dispatch``. Every step is a row of ``instruction_events`` and a row of the audit
  trail; an instruction is never deleted.

**Overdue (超期)**: an instruction is overdue when it is open (its state is not 已办结) and the
current moment is strictly later than its deadline: at the deadline itself it is not yet overdue.
Times are stored as UNIX seconds; a naive ``now`` or deadline is Asia/Shanghai time.

Functions take the engine and the acting :class:`~dashboard.permissions.Caller` (default: the
current request's), so the pages, the command bar and the tests call the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from dashboard import accounts, audit
from dashboard.errors import MessageError
from dashboard.instructions_tables import instruction_events, instructions
from dashboard.permissions import Caller, PermissionDenied, current_caller, has_permission, require_permission

TIMEZONE = ZoneInfo("Asia/Shanghai")
ISSUED, SIGNED, HANDLING, REPORTED, CLOSED, RETURNED = "已下达", "已签收", "处置中", "已反馈", "已办结", "已退回"
STATES = (ISSUED, SIGNED, HANDLING, REPORTED, CLOSED, RETURNED)
OPEN_STATES = tuple(s for s in STATES if s != CLOSED)
SOURCE_CLOSED = "源工单已办结"
ORIGINS = {"sentence": "一句话", "button": "下达指令按钮"}
TEXT_MAX = 500


@dataclass(frozen=True)
class Step:
    """One move of the state machine: its Chinese name, from which states, to which, who makes it
    (``department`` or ``issuer``), whether it needs a note (and what the note is called)."""
    id: str
    label: str
    sources: tuple[str, ...]
    target: str
    by: str
    note: str = ""  # "" | the name of the note it requires


#: every step but the first (下达, :func:`issue`); the audit action of each is ``instruction_<id>``
STEPS: dict[str, Step] = {s.id: s for s in (
    Step("sign", "签收", (ISSUED,), SIGNED, "department"),
    Step("start", "开始处置", (SIGNED,), HANDLING, "department"),
    Step("feedback", "反馈", (HANDLING,), REPORTED, "department", "反馈说明"),
    Step("refuse", "退回", (ISSUED, SIGNED, HANDLING), RETURNED, "department", "退回理由"),
    Step("confirm", "办结确认", (REPORTED,), CLOSED, "issuer"),
    Step("send_back", "退回", (REPORTED,), HANDLING, "issuer", "退回理由"),
    Step("reissue", "重新下达", (RETURNED,), ISSUED, "issuer"),
)}
STEP_LABELS = {"issue": "下达", **{k: s.label for k, s in STEPS.items()}}


class InstructionError(MessageError):
    """A step that cannot be taken (wrong state, missing note, bad value); ``message`` says why in Chinese."""


class OtherDepartment(InstructionError):
    """The caller is a user of another department than the instruction's."""


class NoSuchInstruction(InstructionError):
    """No instruction has this id."""


@dataclass(frozen=True)
class Instruction:
    id: int
    text: str
    action: str
    dept_id: str
    department: str
    region_id: str | None
    region: str
    incident_id: str | None
    category: str
    deadline_at: float
    issued_by: str
    issued_at: float
    origin: str
    sentence: str
    state: str
    updated_at: float
    closed_at: float | None

    @property
    def is_open(self) -> bool:
        return self.state != CLOSED

    def overdue(self, now: datetime | float) -> bool:
        """The overdue rule (module docstring): open and now strictly past the deadline."""
        return is_overdue(self.state, self.deadline_at, now)


@dataclass(frozen=True)
class Event:
    id: int
    instruction_id: int
    at: float
    actor: str
    step: str
    from_state: str
    to_state: str
    note: str

    @property
    def label(self) -> str:
        return STEP_LABELS.get(self.step, self.step)


# ---- time ----------------------------------------------------------------------------------------

def timestamp(moment: datetime | float) -> float:
    """UNIX seconds of ``moment`` (a naive datetime is Asia/Shanghai time)."""
    if isinstance(moment, (int, float)):
        return float(moment)
    return (moment.replace(tzinfo=TIMEZONE) if moment.tzinfo is None else moment).timestamp()


def local(at: float) -> datetime:
    return datetime.fromtimestamp(at, TIMEZONE)


def moment_text(at: float | None) -> str:
    return "—" if at is None else f"{local(at):%Y-%m-%d %H:%M}"


def is_overdue(state: str, deadline_at: float, now: datetime | float) -> bool:
    """超期: the state is not 已办结 and ``now`` is strictly later than the deadline."""
    return state != CLOSED and timestamp(now) > deadline_at


# ---- who the caller is ---------------------------------------------------------------------------

def department_of(engine: Engine, caller: Caller) -> str | None:
    """The dept_id the caller's account is bound to (None: not a 部门 account, or not a user)."""
    if caller.kind != "user" or not caller.name:
        return None
    user = accounts.find_user(engine, caller.name)
    return user.department if user else None


def may_see_all(caller: Caller) -> bool:
    """A dispatcher (or the administrator) sees every department's instructions."""
    return has_permission("dispatch", caller) or has_permission("admin", caller)


def require_tasks_access(caller: Caller | None = None) -> Caller:
    """/tasks: the caller holds ``dispatch`` or ``handle_instructions``; else PermissionDenied."""
    caller = caller or current_caller()
    if not (has_permission("dispatch", caller) or has_permission("handle_instructions", caller)):
        raise PermissionDenied("handle_instructions", caller)
    return caller


def visible_department(engine: Engine, caller: Caller) -> str | None:
    """None when the caller sees every department; else the one department it sees. A caller that
    holds handle_instructions without a bound department sees none (an InstructionError says so)."""
    require_tasks_access(caller)
    if may_see_all(caller):
        return None
    dept = department_of(engine, caller)
    if not dept:
        raise InstructionError("当前账号没有绑定部门，无法查看部门指令：请管理员用 "
                               "run.py user add … --role department --department <部门编号> 建立部门账号")
    return dept


def visible(engine: Engine, instruction_id: int, caller: Caller, *, attempted: str = "") -> "Instruction":
    """The instruction, when the caller may see it (a department user: of its department only; else
    :class:`OtherDepartment`). ``attempted``: the step the caller tried, audited as denied on a refusal."""
    item = get(engine, instruction_id)
    seen = visible_department(engine, caller)
    if seen is not None and item.dept_id != seen:
        message = f"指令 {item.id} 由{item.department}承办，不属于当前账号的部门，无法查看"
        if attempted:
            audit.record(f"instruction_{attempted}", f"指令 {item.id}", "denied", caller, detail=message, engine=engine)
        raise OtherDepartment(message)
    return item


# ---- reading -------------------------------------------------------------------------------------

def _instruction(row) -> Instruction:
    return Instruction(**{c.name: row._mapping[c.name] for c in instructions.columns})


def get(engine: Engine, instruction_id: int) -> Instruction:
    with engine.connect() as conn:
        row = conn.execute(select(instructions).where(instructions.c.id == int(instruction_id))).first()
    if row is None:
        raise NoSuchInstruction(f"没有编号为 {instruction_id} 的指令")
    return _instruction(row)


def listed(engine: Engine, caller: Caller | None = None, *, dept_id: str | None = None) -> list[Instruction]:
    """The instructions the caller may see (a department user: its department's only), newest first."""
    caller = caller or current_caller()
    seen = visible_department(engine, caller)
    query = select(instructions).order_by(instructions.c.issued_at.desc(), instructions.c.id.desc())
    for dept in {d for d in (seen, dept_id) if d}:
        query = query.where(instructions.c.dept_id == dept)
    with engine.connect() as conn:
        return [_instruction(r) for r in conn.execute(query)]


def all_instructions(engine: Engine) -> list[Instruction]:
    """Every instruction (the wall's panel and the indicators: counts, never one department's rows)."""
    with engine.connect() as conn:
        return [_instruction(r) for r in conn.execute(select(instructions).order_by(instructions.c.id))]


def by_ids(engine: Engine, ids) -> dict[int, Instruction]:
    """The instructions of ``ids`` (those that exist), by id."""
    with engine.connect() as conn:
        rows = conn.execute(select(instructions).where(instructions.c.id.in_({int(i) for i in ids})))
        return {item.id: item for item in map(_instruction, rows)}


def events(engine: Engine, instruction_id: int | None = None, limit: int | None = None) -> list[Event]:
    """The steps of one instruction (oldest first), or the latest ``limit`` of all (newest first)."""
    query = select(instruction_events)
    if instruction_id is not None:
        query = query.where(instruction_events.c.instruction_id == int(instruction_id)).order_by(instruction_events.c.id)
    else:
        query = query.order_by(instruction_events.c.id.desc())
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [Event(**r._mapping) for r in conn.execute(query)]


# ---- issuing -------------------------------------------------------------------------------------

def issue(engine: Engine, *, text: str, dept_id: str, deadline: datetime | float, now: datetime | float,
          department: str = "", region_id: str | None = None, region: str = "", incident_id: str | None = None,
          category: str = "", action: str = "", origin: str = "button", sentence: str = "",
          caller: Caller | None = None) -> Instruction:
    """下达 an instruction (permission ``dispatch``): what (``text``), which department, the deadline,
    where (region, incident), from a sentence or a button; the caller is its issuer."""
    caller = caller or current_caller()
    try:
        require_permission("dispatch", caller)
    except PermissionDenied as exc:
        audit.record("instruction_issue", dept_id or "", "denied", caller, detail=exc.message, engine=engine)
        raise
    text, dept_id = (text or "").strip(), (dept_id or "").strip()
    if not text:
        raise InstructionError("请填写指令内容（要做什么）")
    if len(text) > TEXT_MAX:
        raise InstructionError(f"指令内容不超过 {TEXT_MAX} 个字，当前 {len(text)} 个字")
    if not dept_id:
        raise InstructionError("请选择承办部门")
    if deadline is None:
        raise InstructionError("请填写办理期限")
    if origin not in ORIGINS:
        raise InstructionError(f"未知的指令来源 {origin!r}")
    issued_at, deadline_at = timestamp(now), timestamp(deadline)
    if deadline_at <= issued_at:
        raise InstructionError(f"办理期限 {moment_text(deadline_at)} 已过：请给一个晚于现在的期限")
    values = dict(text=text, action=action or "", dept_id=dept_id, department=department or dept_id,
                  region_id=region_id or None, region=region or "", incident_id=incident_id or None,
                  category=category or "", deadline_at=deadline_at, issued_by=caller.name or audit.actor_of(caller),
                  issued_at=issued_at, origin=origin, sentence=sentence or "", state=ISSUED, updated_at=issued_at)
    with engine.begin() as conn:
        new_id = conn.execute(insert(instructions).values(**values)).inserted_primary_key[0]
        conn.execute(insert(instruction_events).values(instruction_id=new_id, at=issued_at, actor=values["issued_by"],
                                                       step="issue", from_state="", to_state=ISSUED, note=text))
    audit.record("instruction_issue", f"指令 {new_id}", caller=caller, engine=engine,
                 detail=f"{values['department']}：{text[:100]}，期限 {moment_text(deadline_at)}")
    return get(engine, new_id)


def issue_from_sentence(engine: Engine, result, issued_by: Caller | None, now: datetime | float) -> Instruction:
    """The instruction a sentence gives (``dashboard.ask.ask(...)``'s :class:`AskResult`), issued by
    ``issued_by`` (default: the current caller; needs ``dispatch``) at ``now``. The command bar calls this
    when the operator confirms a sentence with an instruction verb ("请城管局今天18点前处置滨江区的占道经营").

    The result must name a department and a deadline: without one an :class:`InstructionError` says
    which word to add. The sentence itself is kept on the instruction."""
    given = getattr(result, "instruction", None)
    if given is None:
        raise InstructionError("这句话没有下达指令（如“请城管局今天18点前处置滨江区的占道经营”）")
    if not given.department_id:
        raise InstructionError("这句话没有说明承办部门：请加上部门名称，如“请城管局…”")
    if given.deadline is None:
        raise InstructionError("这句话没有说明办理期限：请加上时间，如“今天18点前”“三天内”")
    return issue(engine, text=given.text, dept_id=given.department_id, department=given.department or "",
                 deadline=given.deadline, now=now, region_id=given.region_id, region=given.region or "",
                 incident_id=given.incident_id, category=given.category or "", action=given.action or "",
                 origin="sentence", sentence=result.sentence, caller=issued_by or current_caller())


# ---- moving --------------------------------------------------------------------------------------

def allowed_steps(engine: Engine, item: Instruction, caller: Caller, *, source_closed: bool = False) -> list[Step]:
    """The steps the caller may take on ``item`` now (the page shows these buttons)."""
    return [s for s in _candidate_steps(item, source_closed) if _refusal(engine, item, s, caller) is None]


def _candidate_steps(item: Instruction, source_closed: bool) -> list[Step]:
    steps = [s for s in STEPS.values() if item.state in s.sources]
    if source_closed and item.is_open and item.state != REPORTED:
        steps.append(STEPS["confirm"])  # 源工单已办结: the issuer decides
    return steps


def _refusal(engine: Engine, item: Instruction, step: Step, caller: Caller) -> str | None:
    """Why ``caller`` may not take ``step`` on ``item`` (None: it may)."""
    if step.by == "issuer":
        if (caller.logged_in and caller.name == item.issued_by) or has_permission("dispatch", caller):
            return None
        return f"只有下达人（{item.issued_by}）或有「下达指令」权限的账号可以{step.label}"
    if not has_permission("handle_instructions", caller):
        return PermissionDenied("handle_instructions", caller).message
    if has_permission("admin", caller):
        return None
    dept = department_of(engine, caller)
    if dept != item.dept_id:
        return (f"指令 {item.id} 由{item.department}承办，当前账号属于{'其他部门（' + dept + '）' if dept else '未绑定部门'}，"
                f"不能{step.label}")
    return None


def take(engine: Engine, instruction_id: int, step_id: str, now: datetime | float, *, note: str = "",
         source_closed: bool = False, dept_id: str | None = None, department: str = "",
         caller: Caller | None = None) -> Instruction:
    """Take one step (:data:`STEPS`) on an instruction; audited either way. ``source_closed``: the
    incident behind it is closed in its source (the issuer may then confirm it from any open state);
    ``dept_id``/``department``: 重新下达 to another department."""
    caller = caller or current_caller()
    step = STEPS.get(step_id)
    if step is None:
        raise InstructionError(f"未知的指令操作 {step_id!r}；可选: {'、'.join(STEPS)}")
    action = f"instruction_{step.id}"
    item = get(engine, instruction_id)
    target = f"指令 {item.id}"
    refusal = _refusal(engine, item, step, caller)
    if refusal is not None:
        audit.record(action, target, "denied", caller, detail=refusal, engine=engine)
        if step.by == "department" and not has_permission("handle_instructions", caller):
            raise PermissionDenied("handle_instructions", caller)
        raise (OtherDepartment if step.by == "department" else InstructionError)(refusal)
    if step not in _candidate_steps(item, source_closed):
        audit.record(action, target, "failed", caller, detail=f"状态为{item.state}", engine=engine)
        raise InstructionError(f"指令 {item.id} 当前状态为「{item.state}」，不能{step.label}"
                               f"（{step.label}须在「{'」或「'.join(step.sources)}」时）")
    note = (note or "").strip()
    if step.note and not note:
        raise InstructionError(f"{step.label}须填写{step.note}")
    if len(note) > TEXT_MAX:
        raise InstructionError(f"{step.note or '说明'}不超过 {TEXT_MAX} 个字，当前 {len(note)} 个字")
    at = timestamp(now)
    values: dict = {"state": step.target, "updated_at": at}
    if step.target == CLOSED:
        values["closed_at"] = at
    if step.id == "reissue" and dept_id:
        values.update(dept_id=dept_id, department=department or dept_id)
    if step.id == "confirm" and item.state != REPORTED:
        note = note or SOURCE_CLOSED
    actor = caller.name or audit.actor_of(caller)
    with engine.begin() as conn:
        moved = conn.execute(update(instructions).where(instructions.c.id == item.id,
                                                        instructions.c.state == item.state).values(**values)).rowcount
        if not moved:  # someone else moved it between the look and the write
            raise InstructionError(f"指令 {item.id} 刚被他人处理，请刷新后再试")
        conn.execute(insert(instruction_events).values(instruction_id=item.id, at=at, actor=actor, step=step.id,
                                                       from_state=item.state, to_state=step.target, note=note))
    audit.record(action, target, caller=caller, engine=engine,
                 detail=f"{item.state} → {step.target}" + (f"：{note[:100]}" if note else ""))
    return get(engine, item.id)
