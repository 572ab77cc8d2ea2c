"""Chinese (zh-CN) number, date and age formats used by every page and export."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
WEEKDAYS_SHORT = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MISSING = "—"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def percent(value: float | None, digits: int = 1) -> str:
    """0.8523 → '85.2%'."""
    return MISSING if _missing(value) else f"{value * 100:.{digits}f}%"


def count(value: float | None) -> str:
    """12345 → '12,345'; 123456789 → '1.23亿'; 1234567 → '123.5万'."""
    if _missing(value):
        return MISSING
    value = float(value)
    if abs(value) >= 1e8:
        return f"{value / 1e8:.2f}亿"
    if abs(value) >= 1e6:
        return f"{value / 1e4:.1f}万"
    return f"{value:,.0f}"


def hours(value: float | None) -> str:
    if _missing(value):
        return MISSING
    return f"{value:.1f} 小时" if value < 48 else f"{value / 24:.1f} 天"


def day(value: date | datetime | pd.Timestamp | None) -> str:
    """2026-11-22 → '2026年11月22日'."""
    if _missing(value):
        return MISSING
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value: datetime | pd.Timestamp | float | None) -> str:
    """A timestamp (or unix seconds) → '2026年11月22日 14:05:09'."""
    if _missing(value):
        return MISSING
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value)
    return f"{day(value)} {value:%H:%M:%S}"


def clock(value: datetime | pd.Timestamp, today: date) -> str:
    """When something happened, as short as stays unambiguous on a wall that runs for days:
    '14:05' today, '11-30 14:05' on any other day of this year, '2025-11-30 14:05' before it."""
    if _missing(value):
        return MISSING
    if value.date() == today:
        return f"{value:%H:%M}"
    return f"{value:%m-%d %H:%M}" if value.year == today.year else f"{value:%Y-%m-%d %H:%M}"


def age(seconds: float | None) -> str:
    """How old data is, in words: '刚刚', '5 分钟前', '3 小时前', '2 天前'."""
    if _missing(seconds):
        return "从未更新"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)} 小时前"
    return f"{int(seconds // 86400)} 天前"


def duration(seconds: float | None) -> str:
    if _missing(seconds):
        return MISSING
    return f"{seconds * 1000:.0f} 毫秒" if seconds < 1 else f"{seconds:.1f} 秒"
