"""The audit trail: who did what, when, from where, with what outcome (table ``audit_log``).

Other modules call :func:`record` for what they do (ops: refresh, cancel, accept/discard a held
publish). The app only ever inserts rows; removing old ones is the admin CLI's
``run.py audit archive --before DATE``, which first writes them to a file.
"""
from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import flask
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from dashboard.auth_tables import audit_log
from dashboard.permissions import Caller, current_caller

log = logging.getLogger("citywall.audit")

#: the actions recorded, with their Chinese names (the admin page's filter and the download)
ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出登录", "kiosk": "大屏令牌访问",
    "refresh": "刷新数据源", "cancel": "取消刷新", "accept_guard": "放行暂缓发布", "discard_guard": "放弃暂缓发布",
    "export": "导出", "download": "下载表格", "user_add": "新增用户", "user_disable": "停用用户",
    "token_add": "新增大屏令牌", "token_revoke": "吊销大屏令牌", "audit_archive": "归档审计记录",
    "denied": "拒绝访问", "capture": "导出截图访问",
    # instructions (dashboard/instructions.py): every step
    "instruction_issue": "下达指令", "instruction_sign": "签收指令", "instruction_start": "开始处置指令",
    "instruction_feedback": "反馈指令", "instruction_refuse": "退回指令（部门）", "instruction_confirm": "办结确认指令",
    "instruction_send_back": "退回指令（下达人）", "instruction_reissue": "重新下达指令",
    "wall_command": "向大屏发送视图", "wall_claim": "认领大屏名称",
}
OUTCOMES = {"ok": "成功", "denied": "拒绝", "failed": "失败"}
COLUMNS = ("时间", "用户", "身份", "操作", "对象", "结果", "来源地址", "说明")
KINDS = {"user": "账号", "kiosk": "大屏令牌", "anonymous": "匿名", "cli": "命令行", "capture": "导出截图"}


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: float
    actor: str
    actor_kind: str
    action: str
    target: str
    outcome: str
    address: str
    detail: str

    def cells(self) -> list[str]:
        return [datetime.fromtimestamp(self.at).strftime("%Y-%m-%d %H:%M:%S"), self.actor,
                KINDS.get(self.actor_kind, self.actor_kind), ACTIONS.get(self.action, self.action), self.target,
                OUTCOMES.get(self.outcome, self.outcome), self.address, self.detail]


def _engine() -> Engine:
    from dashboard import runtime

    return runtime.current().engine


def request_address() -> str:
    return (flask.request.remote_addr or "") if flask.has_request_context() else ""


def actor_of(caller: Caller) -> str:
    return caller.name or "匿名"


def record(action: str, target: str = "", outcome: str = "ok", caller: Caller | None = None, *,
           detail: str = "", engine: Engine | None = None, address: str | None = None) -> None:
    """Append one row: ``caller`` (default: the current request's caller) did ``action`` on ``target``.
    outcome: ok | denied | failed. A failure to write is logged, never raised into the caller's work."""
    caller = caller or current_caller()
    if action not in ACTIONS:
        raise KeyError(f"未知的审计操作: {action}")
    if outcome not in OUTCOMES:
        raise KeyError(f"未知的审计结果: {outcome}")
    row = {"at": time.time(), "actor": actor_of(caller)[:100], "actor_kind": caller.kind, "action": action,
           "target": str(target), "outcome": outcome, "address": (request_address() if address is None else address)[:100],
           "detail": detail}
    try:
        with (engine or _engine()).begin() as conn:
            conn.execute(insert(audit_log).values(**row))
    except Exception as exc:  # the audit must not turn a done refresh into an error page
        log.error("审计记录写入失败（%s %s %s）: %s", row["actor"], action, outcome, exc)


def query(engine: Engine, *, actor: str = "", action: str = "", since: date | None = None,
          until: date | None = None, limit: int | None = 500) -> list[AuditRow]:
    """Rows newest first, filtered by user, action and days (``until`` inclusive)."""
    q = select(audit_log).order_by(audit_log.c.id.desc())
    if actor:
        q = q.where(audit_log.c.actor == actor)
    if action:
        q = q.where(audit_log.c.action == action)
    if since:
        q = q.where(audit_log.c.at >= _day_start(since))
    if until:
        q = q.where(audit_log.c.at < _day_start(until) + 86400)
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        return [AuditRow(**r) for r in conn.execute(q).mappings()]


def actors(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.actor).distinct().order_by(audit_log.c.actor)).scalars())


def _day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day).timestamp()


def write_csv(rows: list[AuditRow], path_or_file) -> None:
    """The rows as CSV with Chinese headers (UTF-8 with BOM: Excel reads it right)."""
    own = isinstance(path_or_file, (str, Path))
    handle = open(path_or_file, "w", encoding="utf-8-sig", newline="") if own else path_or_file
    try:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(r.cells() for r in rows)
    finally:
        if own:
            handle.close()


def archive(engine: Engine, before: date, path: Path) -> int:
    """Write every row older than ``before`` to ``path`` (CSV), then remove those rows; the count.
    The file is complete before anything is deleted, and only the rows written are deleted."""
    rows = sorted(query(engine, until=date.fromordinal(before.toordinal() - 1), limit=None), key=lambda r: r.id)
    if not rows:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, path)
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id <= rows[-1].id, audit_log.c.at < _day_start(before)))
    return len(rows)


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar() or 0)
