"""Reading a drill-down page's URL query into typed values, with a Chinese notice for each bad value.

A page's query comes from the address bar, so anything may be in it: an unknown region id, a
malformed date, a value outside the allowed list, an injection string, a megabyte of text. Each
reader takes the raw value and returns the value to use, appending a notice to ``notices`` when it
fell back to the default; the page then shows the notices and the default view, never a traceback.
Notices never repeat more than :data:`SHOWN_CHARS` characters of the bad value.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

MAX_VALUE_CHARS = 64  # a longer value is never a valid id, date or choice
SHOWN_CHARS = 24


def shown(raw) -> str:
    """A bad value as a notice may repeat it: cut short, one line."""
    text = " ".join(str(raw).split())
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}…"


def _text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):  # ?a=1&a=2: Dash hands over a list
        return None if not raw else "\x00"
    text = str(raw).strip()
    return text or None


def choice(raw, allowed: Iterable[str], default: str | None, label: str, notices: list[str]) -> str | None:
    """``raw`` when it is one of ``allowed`` (ids, codes), else ``default`` with a notice."""
    text = _text(raw)
    if text is None:
        return default
    allowed = {str(a) for a in allowed}
    if len(text) <= MAX_VALUE_CHARS and text in allowed:
        return text
    notices.append(f"{label}「{shown(raw)}」不存在或不可选，已显示默认视图")
    return default


def day(raw, default: date | None, label: str, notices: list[str], *, earliest: date | None = None,
        latest: date | None = None) -> date | None:
    """A ``YYYY-MM-DD`` date within [earliest, latest], else ``default`` with a notice."""
    text = _text(raw)
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError
        value = date.fromisoformat(text)
    except ValueError:
        notices.append(f"{label}「{shown(raw)}」不是有效日期（格式应为 YYYY-MM-DD），已忽略")
        return default
    if (earliest and value < earliest) or (latest and value > latest):
        notices.append(f"{label} {value.isoformat()} 超出可选范围，已忽略")
        return default
    return value


def whole_number(raw, default: int, label: str, notices: list[str], *, low: int, high: int) -> int:
    """An integer; a finite one outside [low, high] is clamped, anything else gives ``default``."""
    text = _text(raw)
    if text is None:
        return default
    try:
        if len(text) > MAX_VALUE_CHARS:
            raise ValueError
        value = int(text)
    except ValueError:
        notices.append(f"{label}「{shown(raw)}」不是整数，已使用默认值 {default}")
        return default
    if not low <= value <= high:
        clamped = min(max(value, low), high)
        notices.append(f"{label} {shown(value)} 超出范围 {low}–{high}，已改为 {clamped}")
        return clamped
    return value


def sort_key(raw, allowed: Iterable[str], default: tuple[str, str] | None, label: str,
             notices: list[str]) -> tuple[str, str] | None:
    """A table's sort, ``field`` (ascending) or ``-field`` (descending), as (field, "asc"|"desc");
    a field outside ``allowed`` gives ``default`` with a notice."""
    text = _text(raw)
    if text is None:
        return default
    field, direction = (text[1:], "desc") if text.startswith("-") else (text, "asc")
    if len(text) <= MAX_VALUE_CHARS and field in {str(a) for a in allowed}:
        return field, direction
    notices.append(f"{label}「{shown(raw)}」不是可排序的列，已按默认顺序排列")
    return default


def sort_text(sort: tuple[str, str] | None) -> str | None:
    """The URL form of a sort: 'field' or '-field'."""
    return None if sort is None else ("-" if sort[1] == "desc" else "") + sort[0]
