"""The operator console's (/console) view model, and :func:`send_view`, the one way a view URL goes to
a screen from the web (the console's form, and the command bar's resolved URL: see README 大屏控制).

Reads the app database and the city's districts here, so layouts/console.py only builds components.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from dashboard import audit, formatting, runtime, wall_control
from dashboard.permissions import Caller, require_permission

#: the form's choices that are not a district: the wall as is, back to its rotation, a page's URL
CHOICE_CITY, CHOICE_ROTATION, CHOICE_URL = "city", "rotation", "url"


@dataclass(frozen=True)
class ScreenRow:
    name: str
    online: bool
    state: str  # 在线 / 离线 / 从未连接
    showing: str  # what it shows, in words
    last_seen: str


@dataclass(frozen=True)
class ConsoleView:
    screens: list[ScreenRow]
    screen_options: list[dict]  # the form's target: every screen, or 全部大屏
    view_options: list[dict]  # 全市, each district, 恢复轮播, 页面地址
    recent: list[list[str]]  # the last commands: time, screen, view, by whom


def districts() -> dict[str, str]:
    """The city's districts {id: name}, as the wall names them."""
    from dashboard.wall_view import geography_of
    from layouts.wall_panels import district_names

    return district_names(geography_of(runtime.current()))


def showing_label(url: str, names: dict[str, str]) -> str:
    """What a screen reported showing, in words ("" is the wall's default, with its rotation)."""
    if not url:
        return "大屏默认视图（轮播）"
    try:
        return wall_control.parse_view_url(url, names).label
    except wall_control.WallControlError:
        return url


def screen_rows(screens: list[wall_control.Screen], names: dict[str, str], now: float) -> list[ScreenRow]:
    rows = []
    for s in screens:
        online = s.online(now)
        state = "在线" if online else ("从未连接" if s.last_seen_at is None else "离线")
        seen = "—" if s.last_seen_at is None else f"{formatting.moment(s.last_seen_at)}（{_ago(now - s.last_seen_at)}）"
        rows.append(ScreenRow(s.name, online, state, showing_label(s.showing, names) if s.last_seen_at else "—", seen))
    return rows


def _ago(seconds: float) -> str:
    return f"{int(max(0, seconds))} 秒前" if seconds < 60 else formatting.age(seconds)


def console_view(now: float | None = None) -> ConsoleView:
    engine = runtime.current().engine
    now = now or time.time()
    names = districts()
    screens = wall_control.screens(engine)
    rows = screen_rows(screens, names, now)
    screen_options = [{"label": "全部大屏", "value": wall_control.ALL_SCREENS}] + [
        {"label": f"{r.name}（{r.state}）", "value": r.name} for r in rows]
    view_options = ([{"label": "全市", "value": CHOICE_CITY}]
                    + [{"label": f"区县：{name}", "value": f"district:{rid}"} for rid, name in names.items()]
                    + [{"label": "恢复轮播", "value": CHOICE_ROTATION},
                       {"label": "下钻页面（填写页面地址）", "value": CHOICE_URL}])
    recent = [[datetime.fromtimestamp(c.issued_at).strftime("%H:%M:%S"),
               "全部大屏" if c.screen == wall_control.ALL_SCREENS else c.screen, c.label, c.issued_by]
              for c in wall_control.recent_commands(engine)]
    return ConsoleView(rows, screen_options, view_options, recent)


def view_url_of(choice, url) -> str:
    """The view URL the form's choice names: 全市 /wall?view=city, a district /wall?view=district:<id>,
    恢复轮播 /wall, 页面地址 the URL typed (checked by wall_control.parse_view_url when sent)."""
    if choice == CHOICE_CITY:
        return "/wall?view=city"
    if choice == CHOICE_ROTATION:
        return wall_control.ROTATION_URL
    if isinstance(choice, str) and choice.startswith("district:"):
        return f"/wall?view={choice}"
    if choice == CHOICE_URL:
        return url if isinstance(url, str) else ""
    raise wall_control.WallControlError("请选择要发送的视图（全市、区县、恢复轮播或下钻页面）")


def send_view(screen, view_url, caller: Caller | None = None) -> wall_control.Command:
    """Send ``view_url`` to the screen named ``screen`` (or ``"*"``, every screen): needs control_wall
    (PermissionDenied otherwise), audited either way it goes. A bad screen or URL raises
    WallControlError with a Chinese message (audited as failed; nothing is sent)."""
    caller = require_permission("control_wall", caller)
    target = str(screen or "")[:40]
    try:
        command = wall_control.send(runtime.current().engine, screen, view_url, caller.name or "匿名", districts())
    except wall_control.WallControlError as exc:
        audit.record("wall_command", target, "failed", caller, detail=f"{str(view_url)[:200]}：{exc.message}")
        raise
    audit.record("wall_command", "全部大屏" if command.screen == wall_control.ALL_SCREENS else command.screen, "ok",
                 caller, detail=f"{command.label}（{command.url}）")
    return command
