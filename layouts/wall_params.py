"""The wall's URL parameters (``kiosk``, ``rotate``, ``view``, ``scale``, ``screen``), checked before anything uses them.

A URL typed by hand, or cut off by a browser, must never stop a wall. The rules (assets/wall.js
applies the same ones in the browser, ``wallParams``):

- a value longer than :data:`MAX_LENGTH` characters is ignored;
- ``rotate`` is a plain decimal number of seconds: ``0`` turns rotation off, any other finite
  number is clamped into :data:`ROTATE_RANGE` (``-5`` → 5 s, ``99999999999999999999`` → 3600 s);
  ``inf``, ``1e309``, ``nan`` or text fall back to the default;
- ``view`` is ``city`` or ``district:<id>`` of a district the city has; ``scale`` one of
  :data:`SCALE_MODES`; ``kiosk`` ``1/true/yes/on`` or ``0/false/no/off``: anything else falls back
  to the default;
- ``screen`` names the wall screen (大屏控制, dashboard/wall_control.py): letters, digits, 汉字, - and _,
  1–32 characters; anything else is ignored (the wall then takes no commands);
- each correction adds a Chinese notice (shown outside kiosk mode). Notices never repeat the value,
  so a long query string is not echoed into the page.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Collection, Mapping

SCALE_MODES = ("fit", "fill-width", "stretch")
SCALE_LABELS = {"fit": "适应", "fill-width": "铺满宽度", "stretch": "拉伸"}
ROTATE_RANGE = (5, 3600)  # seconds; a browser timer overflows past 2^31 ms (about 24.8 days)
MAX_LENGTH = 64  # characters per value: a region id, a number, a mode
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")  # what JavaScript's Number() reads alike


@dataclass(frozen=True)
class WallParams:
    kiosk: bool
    rotate: int  # seconds between views, 0 = no rotation
    view: str | None  # "city" / "district:<id>", None = the default view
    scale: str
    notices: tuple[str, ...] = ()
    screen: str | None = None  # the screen's name for wall control (assets/wall-control.js), None = not a named screen


def clamp_rotate(seconds: float) -> int:
    """A finite number of seconds → 0 (off) or an int within ROTATE_RANGE."""
    if seconds == 0:
        return 0
    lo, hi = ROTATE_RANGE
    return int(min(hi, max(lo, math.floor(seconds + 0.5))))  # halves round up, as Math.round in wall.js


def _text(query: Mapping, key: str, notices: list[str]) -> str | None:
    """The parameter as text, or None when absent or unusable (a repeated or over-long value)."""
    value = query.get(key)
    if value is None:
        return None
    if not isinstance(value, str):  # ?rotate=5&rotate=6 arrives as a list
        notices.append(f"参数 {key} 出现多次，已改用默认值")
        return None
    if len(value) > MAX_LENGTH:
        notices.append(f"参数 {key} 过长（超过 {MAX_LENGTH} 个字符），已忽略")
        return None
    return value.strip()


def _kiosk(raw: str | None, notices: list[str]) -> bool:
    if raw is None or raw.lower() in FALSE_WORDS:
        return False
    if raw.lower() in TRUE_WORDS:
        return True
    notices.append("参数 kiosk 的值无效（可用 1 或 0），已按普通模式显示")
    return False


def _rotate(raw: str | None, default: int, notices: list[str]) -> int:
    fallback = clamp_rotate(default) if default and math.isfinite(default) else 0
    if raw is None or raw == "":
        return fallback
    number = float(raw) if _NUMBER.match(raw) else math.nan
    if not math.isfinite(number):
        when = f"每 {fallback} 秒轮播" if fallback else "不轮播"
        notices.append(f"参数 rotate 的值无效（应为秒数），已改用默认设置：{when}")
        return fallback
    seconds = clamp_rotate(number)
    lo, hi = ROTATE_RANGE
    if number != 0 and not lo <= number <= hi:  # a fraction within the range is only rounded
        notices.append(f"参数 rotate 超出范围（{lo}–{hi} 秒，0 为不轮播），已按每 {seconds} 秒轮播")
    return seconds


def _view(raw: str | None, districts: Collection[str], notices: list[str]) -> str | None:
    if raw is None or raw == "":
        return None
    if raw == "city" or (raw.startswith("district:") and raw[len("district:"):] in districts):
        return raw
    notices.append("参数 view 不是本市的区县视图（应为 city 或 district:区县编码），已显示默认视图")
    return None


def _scale(raw: str | None, default: str, notices: list[str]) -> str:
    fallback = default if default in SCALE_MODES else "fit"
    if raw is None or raw == "":
        return fallback
    if raw in SCALE_MODES:
        return raw
    notices.append(f"参数 scale 的值无效（可用 {' / '.join(SCALE_MODES)}），已按「{SCALE_LABELS[fallback]}」显示")
    return fallback


def _screen(raw: str | None, notices: list[str]) -> str | None:
    from dashboard.wall_control import WallControlError, screen_name

    if raw is None or raw == "":
        return None
    try:
        return screen_name(raw)
    except WallControlError:
        notices.append("参数 screen 无效（大屏名称只能用字母、数字、汉字、- 和 _，1–32 个字符），此屏不接受大屏控制")
        return None


def parse(query: Mapping, *, districts: Collection[str], default_rotate: int = 0,
          default_scale: str = "fit") -> WallParams:
    """The wall's parameters from a URL query (Dash Pages' dict of its values); never raises."""
    notices: list[str] = []
    kiosk = _kiosk(_text(query, "kiosk", notices), notices)
    rotate = _rotate(_text(query, "rotate", notices), default_rotate, notices)
    view = _view(_text(query, "view", notices), districts, notices)
    scale = _scale(_text(query, "scale", notices), default_scale, notices)
    screen = _screen(_text(query, "screen", notices), notices)
    return WallParams(kiosk, rotate, view, scale, tuple(notices), screen)
