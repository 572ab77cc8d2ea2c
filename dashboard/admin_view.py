"""What the 系统管理 page shows, as a view model read from the app database (users, kiosk tokens,
the audit log), so layouts/admin.py only builds components."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dashboard import accounts, audit, runtime
from dashboard.permissions import ROLE_LABELS

AUDIT_PAGE_ROWS = 200


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_values(cls, actor, action, since, until) -> tuple["AuditFilter", list[str]]:
        """The filter from the page's inputs, and Chinese notices for dates it could not read."""
        notices, days = [], []
        for label, text in (("起始日期", since), ("截止日期", until)):
            try:
                days.append(date.fromisoformat(text) if text else None)
            except (TypeError, ValueError):
                notices.append(f"{label}应为 YYYY-MM-DD，已忽略")
                days.append(None)
        return cls(str(actor or ""), str(action or "") if action in audit.ACTIONS else "", *days), notices


@dataclass(frozen=True)
class AdminView:
    users: list[list[str]]
    tokens: list[tuple[int, list[str], bool]]  # id, cells, active
    audit_rows: list[list[str]]
    audit_total_shown: int
    actors: list[str]


def _moment(at: float | None) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def audit_rows(engine, flt: AuditFilter, limit: int | None = AUDIT_PAGE_ROWS) -> list[audit.AuditRow]:
    return audit.query(engine, actor=flt.actor, action=flt.action, since=flt.since, until=flt.until, limit=limit)


def admin_view(engine, flt: AuditFilter) -> AdminView:
    users = [[u.name, ROLE_LABELS.get(u.role, u.role), u.department or "—", "启用" if u.enabled else f"已停用（{_moment(u.disabled_at)}）",
              _moment(u.created_at)] for u in accounts.list_users(engine)]
    tokens = [(t.id, [str(t.id), t.name, t.created_by, _moment(t.created_at), _moment(t.last_used_at),
                      "有效" if t.active else f"已吊销（{_moment(t.revoked_at)}）"], t.active)
              for t in accounts.list_tokens(engine)]
    rows = audit_rows(engine, flt)
    return AdminView(users, tokens, [r.cells() for r in rows], len(rows), audit.actors(engine))


def current_admin_view(flt: AuditFilter = AuditFilter()) -> AdminView:
    """The running app's admin view (the page and its callbacks ask for this)."""
    return admin_view(runtime.current().engine, flt)
