"""Wall control (大屏控制): named wall screens, the views an operator sends them, and the cheap check
by which a screen learns its view.

- A screen names itself in its URL, ``/wall?screen=main&kiosk=1``; only a kiosk token issued for that
  name (``python run.py token add --name 主屏 --screen main``, ``kiosk_tokens.screen``) may claim it:
  :func:`claim` refuses every other caller, in Chinese.
- :func:`send` appends a command (one screen, or :data:`ALL_SCREENS`) for a view URL that
  :func:`parse_view_url` accepts: the wall as is (``/wall?view=city``, 全市), a district of the wall
  (``/wall?view=district:<id>``), a page a screen may show (``/incidents?region=…``), or ``/wall``
  alone: back to the wall's rotation/default (恢复轮播). Only same-origin relative paths of known pages.
- The screen's script (assets/wall-control.js) polls :data:`CHECK_PATH` about once a second, apart
  from the data poll. :class:`CommandBoard` answers from memory: it reads the commands' version (their
  newest id) at most every :data:`VERSION_TTL` seconds per process, and a screen's command once per
  version, so many screens polling cost one small query per process and half second.
- :class:`Heartbeat` writes a screen's ``last_seen_at`` and what it shows at most once per
  :data:`HEARTBEAT_SECONDS` per screen and process, or at once when what it shows changed; /console
  counts a screen seen within :data:`ONLINE_SECONDS` as connected.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Engine

from dashboard.errors import MessageError
from dashboard.permissions import PERMISSIONS, SCREEN_PERMISSIONS, Caller, page_permission
from dashboard.wall_control_tables import wall_commands, wall_screens

ALL_SCREENS = "*"
CHECK_PATH = "/wall-control/state"
POLL_MS = 1000  # how often a screen checks for commands (the data poll is apart: settings.app.refresh_seconds)
VERSION_TTL = 0.5  # seconds a process trusts the commands' version it read (another process may have sent one)
HEARTBEAT_SECONDS = 30
ONLINE_SECONDS = 60
URL_MAX = 500
WALL_PATHS = ("/wall", "/")
ROTATION_URL = "/wall"
_SCREEN_NAME = re.compile(r"^[0-9A-Za-z_\-\u4e00-\u9fff]{1,32}$")


class WallControlError(MessageError, ValueError):
    """A screen name or view URL that cannot be used; ``message`` says what to fix, in Chinese."""


class ScreenClaimRefused(MessageError):
    """A caller naming a screen its token was not issued for."""


@dataclass(frozen=True)
class Target:
    """A view a screen can show: ``kind`` wall (``view`` city / district:<id>), drill (a page) or rotation."""
    kind: str
    url: str
    label: str
    view: str | None = None


@dataclass(frozen=True)
class Command:
    id: int
    screen: str
    kind: str
    url: str
    label: str
    issued_by: str
    issued_at: float


@dataclass(frozen=True)
class Screen:
    name: str
    created_at: float
    last_seen_at: float | None
    showing: str  # the view URL it reported; "" = the wall's rotation/default

    def online(self, now: float) -> bool:
        return self.last_seen_at is not None and now - self.last_seen_at <= ONLINE_SECONDS


# ---- names and view URLs (pure) ----------------------------------------------------------------------

def screen_name(text) -> str:
    """A screen's name as given (letters, digits, 汉字, - and _, 1–32 characters), else WallControlError."""
    name = text.strip() if isinstance(text, str) else ""
    if not _SCREEN_NAME.match(name):
        shown = str(text)[:40] if text is not None else ""
        raise WallControlError(f"大屏名称「{shown}」无效：只能用字母、数字、汉字、- 和 _，1–32 个字符（如 main、大厅屏）")
    return name


def parse_view_url(url, districts: dict[str, str]) -> Target:
    """The view a URL names, if a screen may show it: a same-origin relative path (``/…``, never
    ``//host``, ``javascript:`` or another site) of a known page that needs no more than a screen's
    permissions; the wall's ``view`` must be city or a district of ``districts`` ({id: name})."""
    from dashboard import pages

    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise WallControlError("请填写要发送的页面地址（如 /wall?view=city 或 /incidents?region=…）")
    if len(text) > URL_MAX:
        raise WallControlError(f"页面地址过长（超过 {URL_MAX} 个字符）")
    if "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise WallControlError("页面地址含有不允许的字符（反斜杠或控制字符）")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or parts.scheme or parts.netloc:
        raise WallControlError("只能发送本系统的页面地址：以 / 开头的相对地址（如 /incidents?region=…），"
                               "不能是 javascript: 或其他网站的地址")
    query = parse_qs(parts.query, keep_blank_values=True)
    if "token" in query:
        raise WallControlError("页面地址不能含有令牌参数 token：大屏凭自己的令牌登录")
    hit = pages.match(parts.path)
    if hit is None or pages.is_not_found_page(hit[0]):
        raise WallControlError(f"地址 {parts.path[:80]} 不是本系统的页面")
    page = hit[0]
    needed = page_permission(page) or "view_wall"
    if needed not in SCREEN_PERMISSIONS:
        raise WallControlError(f"页面「{page.get('name', parts.path)}」不能发送到大屏：它需要「{PERMISSIONS.get(needed, needed)}」权限，"
                               "大屏令牌没有")
    if parts.path.rstrip("/") in ("/wall", ""):
        return _wall_target(query.get("view"), districts)
    shown = parts.path + (f"?{parts.query}" if parts.query else "")
    return Target("drill", shown, f"{page.get('name', '页面')}（{shown}）"[:200])


def _wall_target(views, districts: dict[str, str]) -> Target:
    if not views:
        return Target("rotation", ROTATION_URL, "恢复轮播（大屏默认视图）")
    view = views[0] if len(views) == 1 else ""
    if view == "city":
        return Target("wall", "/wall?view=city", "全市", "city")
    rid = view[len("district:"):] if view.startswith("district:") else None
    if rid in districts:
        return Target("wall", "/wall?" + urlencode({"view": view}, safe=":"), f"区县：{districts[rid]}", view)
    raise WallControlError("大屏视图 view 无效：应为 city（全市）或 district:区县编码（本市的区县）")


def target_of(command: Command | None) -> dict:
    """What a screen's check answers for its newest command (none: the wall's default)."""
    if command is None:
        return {"id": 0, "kind": "rotation", "url": ROTATION_URL, "view": None, "label": "恢复轮播（大屏默认视图）"}
    view = None
    if command.kind == "wall":
        view = (parse_qs(urlsplit(command.url).query).get("view") or [None])[0]
    return {"id": command.id, "kind": command.kind, "url": command.url, "view": view, "label": command.label}


def claim(caller: Caller, name: str) -> None:
    """A screen name may be claimed only by a kiosk token issued for it; else ScreenClaimRefused."""
    if caller.kind == "kiosk" and caller.screen == name:
        return
    if caller.kind == "kiosk" and caller.screen:
        raise ScreenClaimRefused(f"此大屏令牌只能认领大屏「{caller.screen}」，不能认领「{name}」")
    if caller.kind == "kiosk":
        raise ScreenClaimRefused(f"此大屏令牌没有绑定大屏名称，不能认领「{name}」：请签发绑定该名称的令牌"
                                 f"（python run.py token add --name … --screen {name}）")
    raise ScreenClaimRefused(f"大屏名称「{name}」只能由为它签发的大屏令牌认领"
                             f"（python run.py token add --name … --screen {name}）")


# ---- the app database ----------------------------------------------------------------------------------

def _command(row) -> Command:
    return Command(row.id, row.screen, row.kind, row.url, row.label, row.issued_by, row.issued_at)


def ensure_screen(engine: Engine, name: str, now: float | None = None) -> None:
    """The screen's row (made when a token is issued for it, so /console lists it before it connects)."""
    with engine.begin() as conn:
        if conn.execute(select(wall_screens.c.name).where(wall_screens.c.name == name)).first() is None:
            conn.execute(insert(wall_screens).values(name=name, created_at=now or time.time(), showing=""))


def screens(engine: Engine) -> list[Screen]:
    with engine.connect() as conn:
        rows = conn.execute(select(wall_screens).order_by(wall_screens.c.name)).all()
    return [Screen(r.name, r.created_at, r.last_seen_at, r.showing) for r in rows]


def send(engine: Engine, screen: str, url: str, issued_by: str, districts: dict[str, str],
         now: float | None = None) -> Command:
    """Append a command: ``url`` (see :func:`parse_view_url`) for the screen ``screen`` or for
    :data:`ALL_SCREENS`. An unknown screen or a bad URL raises WallControlError (nothing is written)."""
    name = ALL_SCREENS if screen == ALL_SCREENS else screen_name(screen)
    known = [s.name for s in screens(engine)]
    if name != ALL_SCREENS and name not in known:
        listed = "、".join(known) if known else "尚无大屏：请先用 python run.py token add --screen 名称 签发令牌"
        raise WallControlError(f"没有名为「{name}」的大屏（可选：{listed}）")
    target = parse_view_url(url, districts)
    at = now or time.time()
    with engine.begin() as conn:
        new_id = conn.execute(insert(wall_commands).values(
            screen=name, kind=target.kind, url=target.url, label=target.label, issued_by=issued_by[:100],
            issued_at=at)).inserted_primary_key[0]
    BOARD.forget()
    return Command(new_id, name, target.kind, target.url, target.label, issued_by[:100], at)


def current_command(engine: Engine, name: str) -> Command | None:
    """The newest command for the screen: its own, or one sent to every screen."""
    with engine.connect() as conn:
        row = conn.execute(select(wall_commands).where(or_(wall_commands.c.screen == name,
                                                           wall_commands.c.screen == ALL_SCREENS))
                           .order_by(wall_commands.c.id.desc()).limit(1)).first()
    return _command(row) if row else None


def command_by_id(engine: Engine, command_id: int) -> Command | None:
    with engine.connect() as conn:
        row = conn.execute(select(wall_commands).where(wall_commands.c.id == command_id)).first()
    return _command(row) if row else None


def recent_commands(engine: Engine, limit: int = 10) -> list[Command]:
    with engine.connect() as conn:
        rows = conn.execute(select(wall_commands).order_by(wall_commands.c.id.desc()).limit(limit)).all()
    return [_command(r) for r in rows]


def commands_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(wall_commands.c.id))).scalar() or 0)


class CommandBoard:
    """Each screen's answer, kept in memory per commands' version; the version is read again at most
    every ``ttl`` seconds (a command sent in this process is seen at once: :meth:`forget`)."""

    def __init__(self, ttl: float = VERSION_TTL, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._lock = threading.Lock()
        self._engine = None
        self._version, self._read_at = -1, float("-inf")
        self._answers: dict[str, dict] = {}
        self.version_reads = 0  # for the tests and the benchmark: how often the database was asked

    def forget(self) -> None:
        with self._lock:
            self._read_at = float("-inf")

    def answer(self, engine: Engine, name: str) -> dict:
        with self._lock:
            now = self.clock()
            if engine is not self._engine or now - self._read_at >= self.ttl:
                version = commands_version(engine)
                self.version_reads += 1
                if engine is not self._engine or version != self._version:
                    self._answers.clear()
                self._engine, self._version, self._read_at = engine, version, now
            cached = self._answers.get(name)
        if cached is None:
            cached = {"screen": name, **target_of(current_command(engine, name)), "poll": POLL_MS}
            with self._lock:
                self._answers.setdefault(name, cached)
        return cached


class Heartbeat:
    """A screen's last-seen time and what it shows, written at most once per ``interval`` per screen in
    this process, or at once when the command it shows changed (the data poll never writes)."""

    def __init__(self, interval: float = HEARTBEAT_SECONDS):
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[tuple[int, str], tuple[float, int]] = {}

    def beat(self, engine: Engine, name: str, shows: int, showing, now: float) -> bool:
        """Write the heartbeat when it is due (``showing()``: the view URL of command ``shows``, asked
        only then); → whether it wrote."""
        key = (id(engine), name)
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last[0] < self.interval and last[1] == shows:
                return False
            self._last[key] = (now, shows)
        url = showing()
        with engine.begin() as conn:
            done = conn.execute(update(wall_screens).where(wall_screens.c.name == name)
                                .values(last_seen_at=now, showing=url)).rowcount
            if not done:
                conn.execute(insert(wall_screens).values(name=name, created_at=now, last_seen_at=now, showing=url))
        return True


BOARD = CommandBoard()
HEARTBEAT = Heartbeat()


def check(engine: Engine, caller: Caller, screen, shows, now: float | None = None,
          board: CommandBoard = BOARD, heartbeat: Heartbeat = HEARTBEAT) -> dict:
    """A screen's check: its claim verified, its current command (from memory), its heartbeat when
    due. ``shows``: the id of the command the screen shows (0: none, the wall's default)."""
    name = screen_name(screen)
    claim(caller, name)
    answer = board.answer(engine, name)
    shown_id = _whole(shows)

    def showing() -> str:
        command = None
        if shown_id and shown_id != answer["id"]:  # an older one: the screen has not switched yet
            command = command_by_id(engine, shown_id)
        elif shown_id:
            return "" if answer["kind"] == "rotation" else answer["url"]
        return "" if command is None or command.kind == "rotation" else command.url

    heartbeat.beat(engine, name, shown_id, showing, now or time.time())
    return answer


def _whole(value) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**53 else 0
