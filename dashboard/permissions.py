"""Named permissions, and the roles that hold them.

Code asks for a permission (``require_permission("refresh")``), never for a role: settings map the
roles onto permissions, so a city can give its operators exports without a code change. The default
roles follow DESIGN.md's users.

Who the caller is comes from the auth layer, which installs its resolver with
:func:`install_caller_resolver` when the app is built (sessions, kiosk tokens, the anonymous role).
Without one, every caller is anonymous and holds no permission at all: failing closed.

What a page or a callback needs is declared where it is defined, and checked on the server by the
auth layer (dashboard/auth.py) before any of its code runs:

- a page: ``dash.register_page(..., permission="view_drilldowns")`` (Dash keeps extra keywords in
  ``dash.page_registry``); a page that declares none needs ``view_drilldowns``; ``permission=None``
  opens a page without data (the 404 page) to everyone;
- a callback: :func:`protect_callbacks` with its output ids (``"ops-*"``: every id with that prefix;
  a pattern-matching id by its ``type``). A callback POST whose outputs are not all declared is
  refused (403), so a new callback cannot be reached before someone says who may run it.

A callback that acts (a refresh, an export) still calls :func:`require_permission` itself: the
declaration guards the door, the call guards the deed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

#: every permission the code checks, with its Chinese name (shown in refusals and on the admin pages)
PERMISSIONS: dict[str, str] = {
    "view_wall": "查看大屏",
    "view_drilldowns": "查看下钻页面",
    "download_tables": "下载表格",
    "refresh": "刷新数据源",
    "accept_guard": "处理暂缓发布",
    "export": "导出简报",
    "view_briefing": "查看通报",
    "view_raw_rows": "查看原始行与错误详情",
    "control_wall": "控制大屏",
    "dispatch": "下达指令",
    "handle_instructions": "办理本部门指令",
    "admin": "系统管理",
}

#: the default roles (settings may redefine them); admin holds every permission
DEFAULT_ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"view_wall"}),
    "leader": frozenset({"view_wall", "view_drilldowns", "download_tables", "dispatch"}),
    "operator": frozenset({"view_wall", "view_drilldowns", "download_tables", "refresh", "accept_guard",
                           "view_raw_rows", "control_wall", "dispatch"}),
    "briefing": frozenset({"view_wall", "view_drilldowns", "export", "view_briefing"}),
    # a 部门 account is bound to one department (users.department): /tasks shows it that department's instructions
    "department": frozenset({"view_wall", "view_drilldowns", "handle_instructions"}),
    "admin": frozenset(PERMISSIONS),
}

#: never held by an anonymous visitor, whatever settings.auth.anonymous_role grants: these need a login
LOGIN_ONLY = frozenset({"refresh", "accept_guard", "export", "view_briefing", "view_raw_rows", "control_wall",
                        "dispatch", "handle_instructions", "admin"})
#: what a kiosk token (a wall screen's URL) may do: look at the wall, nothing else
KIOSK_PERMISSIONS = frozenset({"view_wall"})
#: a kiosk token bound to a named screen (dashboard/wall_control.py): the wall, and the drill-down pages an
#: operator may send to that screen; still no downloads, raw rows, refreshes or exports
SCREEN_PERMISSIONS = frozenset({"view_wall", "view_drilldowns"})
#: what the exports' service token (dashboard/capture_token.py) lets the server's own headless Chromium
#: see: what it draws (the wall, a drill-down page, the 通报), never raw rows, downloads, refreshes or exports
CAPTURE_PERMISSIONS = frozenset({"view_wall", "view_drilldowns", "view_briefing"})
#: whoever may export the 通报 may read it: a role holding the key permission holds the implied ones
IMPLIED = {"export": frozenset({"view_briefing"})}
#: what a page needs when its register_page declares no ``permission``
DEFAULT_PAGE_PERMISSION = "view_drilldowns"

ROLE_LABELS = {"viewer": "观看者", "leader": "领导", "operator": "运维", "briefing": "简报", "department": "部门",
               "admin": "管理员"}


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user, a kiosk screen or an anonymous visitor, with the permissions they hold."""
    name: str = ""  # user name; "" for an anonymous visitor or a kiosk screen
    role: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    kind: str = "anonymous"  # "user" | "kiosk" | "anonymous" | "capture" (the exports' service token)
    screen: str = ""  # a kiosk token's wall screen name (the only one it may claim); "" for every other caller

    @property
    def logged_in(self) -> bool:
        return self.kind == "user"


ANONYMOUS = Caller()


class PermissionDenied(Exception):
    """The caller lacks a permission; the web layer answers 403 with :attr:`message`."""

    def __init__(self, permission: str, caller: Caller):
        self.permission = permission
        self.caller = caller
        need = PERMISSIONS.get(permission, permission)
        self.message = (f"需要登录后才能{need}" if not caller.logged_in
                        else f"当前账号（{ROLE_LABELS.get(caller.role, caller.role)}）没有「{need}」权限")
        super().__init__(self.message)


_resolver: Callable[[], Caller] | None = None


def install_caller_resolver(resolver: Callable[[], Caller] | None) -> None:
    """Set how the current request's caller is found (the auth layer does this when the app is built)."""
    global _resolver
    _resolver = resolver


def installed_caller_resolver() -> Callable[[], Caller] | None:
    return _resolver


def current_caller() -> Caller:
    return _resolver() if _resolver is not None else ANONYMOUS


def has_permission(permission: str, caller: Caller | None = None) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"未知权限: {permission}")
    return permission in (caller or current_caller()).permissions


def require_permission(permission: str, caller: Caller | None = None) -> Caller:
    """The caller, when it holds ``permission``; else :class:`PermissionDenied`."""
    caller = caller or current_caller()
    if not has_permission(permission, caller):
        raise PermissionDenied(permission, caller)
    return caller


# ---- what pages and callbacks need -----------------------------------------------------------------

_CALLBACK_PERMISSIONS: dict[str, str] = {}  # output id (or "prefix*") → permission


def protect_callbacks(permission: str, *output_ids: str) -> None:
    """Declare that callbacks writing to these component ids need ``permission`` (an id ending in
    ``*`` covers every id with that prefix; a pattern-matching id is named by its ``type``)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"未知权限: {permission}")
    for output_id in output_ids:
        _CALLBACK_PERMISSIONS[output_id] = permission


def callback_permission(output_id) -> str | None:
    """The permission a callback output needs, or None when nobody declared it."""
    key = output_id.get("type", "") if isinstance(output_id, dict) else str(output_id)
    if key in _CALLBACK_PERMISSIONS:
        return _CALLBACK_PERMISSIONS[key]
    prefixes = [p for p in _CALLBACK_PERMISSIONS if p.endswith("*") and key.startswith(p[:-1])]
    return _CALLBACK_PERMISSIONS[max(prefixes, key=len)] if prefixes else None


def page_permission(page: dict) -> str | None:
    """The permission a page of ``dash.page_registry`` needs; None for a page that declares
    ``permission=None`` (one that shows no data: the 404 page)."""
    if "permission" in page and page["permission"] is None:
        return None
    return page.get("permission") or DEFAULT_PAGE_PERMISSION


def role_caller(name: str, role: str, roles: dict[str, frozenset[str]], kind: str = "user", screen: str = "") -> Caller:
    """A caller holding ``role``'s permissions (an anonymous one never holds :data:`LOGIN_ONLY`); a kiosk
    token bound to a ``screen`` holds :data:`SCREEN_PERMISSIONS`."""
    granted = frozenset(roles.get(role, ()))
    granted |= frozenset().union(*(implied for key, implied in IMPLIED.items() if key in granted))
    if kind == "anonymous":
        granted -= LOGIN_ONLY
    elif kind == "kiosk":
        granted = SCREEN_PERMISSIONS if screen else KIOSK_PERMISSIONS
    elif kind == "capture":
        granted = CAPTURE_PERMISSIONS
    return Caller(name=name, role=role, permissions=granted, kind=kind, screen=screen if kind == "kiosk" else "")
