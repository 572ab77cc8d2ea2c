"""The one definition of the wall's periods (统计期): 今日, 近7日, 近30日.

近 n 日 is today and the n − 1 days before it, by calendar day, anchored on today (not on the last
day that has rows): 近30日 on 2026-12-01 runs from 2026-11-02 00:00 up to, not including,
2026-12-02 00:00. Days without rows are days of the period all the same (they count 0), so a daily
series of a period always has n entries (:func:`daily_index`).
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

#: the wall's periods by label: the number of days, None for 全部 (every row)
PERIODS: dict[str, int | None] = {"今日": 1, "近7日": 7, "近30日": 30, "全部": None}
INCIDENT_DAYS = 30  # the period of the wall's incident panels (heatmaps, map, district counts)
EXCHANGE_DAYS = 30  # the period of the exchange trend and its total


def label(days: int | None) -> str:
    """1 → '今日', 30 → '近30日', None → '全部'."""
    if days is None:
        return "全部"
    return "今日" if days == 1 else f"近{days}日"


def _day(today: date | datetime | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(today).normalize()


def last_days(days: int, today: date | datetime | pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) of 近 ``days`` 日: start is 00:00 of the day ``days`` − 1 before today, end is
    00:00 of tomorrow (excluded). A moment ``t`` is in the period when start ≤ t < end."""
    if days < 1:
        raise ValueError(f"统计期天数须为正整数，收到 {days!r}")
    end = _day(today) + pd.Timedelta(days=1)
    return end - pd.Timedelta(days=days), end


def in_last_days(moments: pd.Series, days: int | None, today) -> pd.Series:
    """True for the moments inside 近 ``days`` 日 (every non-missing moment for None, 全部)."""
    if days is None:
        return moments.notna()
    start, end = last_days(days, today)
    return (moments >= start) & (moments < end)


def daily_index(days: int, today) -> pd.DatetimeIndex:
    """The ``days`` calendar days of 近 ``days`` 日, oldest first, every day present."""
    start, end = last_days(days, today)
    return pd.date_range(start, end - pd.Timedelta(days=1), freq="D")


def describe(days: int | None, today) -> str:
    """'近30日（2026-11-02 至 2026-12-01）': the label with its first and last day."""
    if days is None:
        return "全部"
    start, end = last_days(days, today)
    last = end - pd.Timedelta(days=1)
    if days == 1:
        return f"今日（{last:%Y-%m-%d}）"
    return f"{label(days)}（{start:%Y-%m-%d} 至 {last:%Y-%m-%d}）"
