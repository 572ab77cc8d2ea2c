"""Indicator formulas (指标口径): pure functions from validated frames to numbers.

Each docstring states the 口径 as DESIGN.md's indicator handbook gives it. City-level rates are
pooled ratios over all rows, never the mean of department rates. A rate over an empty
denominator is ``None`` (shown as "—"), not 0.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from datasources.contracts import CLOSED, SHARED

# indicator_id → (name, unit); the ids are what targets and indicator_history refer to
INDICATORS: dict[str, tuple[str, str]] = {
    "sharing_rate": ("政务数据共享率", "%"),
    "gov_aggregation_rate": ("政务数据汇聚率", "%"),
    "city_aggregation_rate": ("城市数据汇聚率", "%"),
    "cloud_migration_rate": ("非涉密系统上云率", "%"),
    "network_rate": ("网络互联互通率", "%"),
    "network_rate_市": ("网络互联互通率（市级）", "%"),
    "network_rate_镇": ("网络互联互通率（镇级）", "%"),
    "network_rate_村": ("网络互联互通率（村级）", "%"),
    "incident_closure_rate": ("事件办结率", "%"),
    "ontime_closure_rate": ("按期办结率", "%"),
    "overdue_open": ("超期未办结", "件"),
    "mean_handling_hours": ("平均处置时长", "小时"),
    "exchange_records": ("数据交换量", "条"),
}

FORMULAS: dict[str, str] = {
    "sharing_rate": "共享类型为无条件共享或有条件共享的目录条目数 ÷ 目录条目总数",
    "gov_aggregation_rate": "政务类目录中已挂接到城市数据池的条目数 ÷ 政务类目录条目数",
    "city_aggregation_rate": "城市类目录中已挂接到城市数据池的条目数 ÷ 城市类目录条目数",
    "cloud_migration_rate": "非涉密系统中状态为已上云的数量 ÷ 非涉密系统总数（经批准暂缓的仍计入分母，单独列示）",
    "network_rate": "已接入电子政务外网的单位数 ÷ 单位总数（可按市/镇/村分级）",
    "incident_closure_rate": "所选时段内已办结事件数 ÷ 事件总数",
    "ontime_closure_rate": "在办理时限内办结的事件数 ÷ 已办结事件数",
    "overdue_open": "未办结且办理时限已过的事件数",
    "mean_handling_hours": "已办结事件（办结时间 − 受理时间）的平均值",
    "exchange_records": "所选时段内部门间交换记录数之和（另计接口调用次数）",
}


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def sharing_rate(catalog: pd.DataFrame) -> float | None:
    """政务数据共享率 = share_type ∈ {无条件共享, 有条件共享} 的目录条目数 ÷ 目录条目总数。"""
    return _ratio(int(catalog["share_type"].isin(SHARED).sum()), len(catalog))


def gov_aggregation_rate(catalog: pd.DataFrame) -> float | None:
    """政务数据汇聚率 = data_class 为 政务 且 mounted 的条目数 ÷ data_class 为 政务 的条目数。"""
    gov = catalog[catalog["data_class"] == "政务"]
    return _ratio(int(gov["mounted"].sum()), len(gov))


def city_aggregation_rate(catalog: pd.DataFrame) -> float | None:
    """城市数据汇聚率 = data_class 为 城市 且 mounted 的条目数 ÷ data_class 为 城市 的条目数。"""
    city = catalog[catalog["data_class"] == "城市"]
    return _ratio(int(city["mounted"].sum()), len(city))


def cloud_migration_rate(systems: pd.DataFrame) -> float | None:
    """非涉密系统上云率 = 非涉密且 status 为 已上云 的系统数 ÷ 非涉密系统数。

    经批准暂缓（exempt_approved）的系统仍在分母中；其数量由 :func:`exempt_systems` 单独列示。
    """
    open_systems = systems[~systems["classified"].astype(bool)]
    return _ratio(int((open_systems["status"] == "已上云").sum()), len(open_systems))


def exempt_systems(systems: pd.DataFrame) -> int:
    """经批准暂缓上云的非涉密系统数（在上云率分母中，单独列示）。"""
    return int((~systems["classified"].astype(bool) & systems["exempt_approved"].astype(bool)).sum())


def network_rate(network: pd.DataFrame, level: str | None = None) -> float | None:
    """网络互联互通率 = connected 的单位数 ÷ 单位总数；给出 level（市/镇/村）时只算该级。"""
    units = network if level is None else network[network["level"] == level]
    return _ratio(int(units["connected"].astype(bool).sum()), len(units))


def _in_period(incidents: pd.DataFrame, start: datetime | None, end: datetime | None) -> pd.DataFrame:
    mask = pd.Series(True, index=incidents.index)
    if start is not None:
        mask &= incidents["reported_at"] >= pd.Timestamp(start)
    if end is not None:
        mask &= incidents["reported_at"] < pd.Timestamp(end)
    return incidents[mask]


def incident_closure_rate(incidents: pd.DataFrame, start: datetime | None = None,
                          end: datetime | None = None) -> float | None:
    """事件办结率 = 时段内（按 reported_at）status 为 已办结 的事件数 ÷ 时段内事件数。"""
    period = _in_period(incidents, start, end)
    return _ratio(int((period["status"] == CLOSED).sum()), len(period))


def ontime_closure_rate(incidents: pd.DataFrame, start: datetime | None = None,
                        end: datetime | None = None) -> float | None:
    """按期办结率 = 时段内已办结且 closed_at ≤ deadline_at 的事件数 ÷ 时段内已办结事件数。

    没有 deadline_at 的已办结事件视为按期（无时限即不超期）。
    """
    closed = _in_period(incidents, start, end)
    closed = closed[closed["status"] == CLOSED]
    on_time = closed["deadline_at"].isna() | (closed["closed_at"] <= closed["deadline_at"])
    return _ratio(int(on_time.sum()), len(closed))


def overdue_open(incidents: pd.DataFrame, now: datetime) -> int:
    """超期未办结 = status 不是 已办结 且 deadline_at 早于 now 的事件数。"""
    return int(((incidents["status"] != CLOSED) & (incidents["deadline_at"] < pd.Timestamp(now))).sum())


def mean_handling_hours(incidents: pd.DataFrame, start: datetime | None = None,
                        end: datetime | None = None) -> float | None:
    """平均处置时长（小时）= 时段内已办结事件 closed_at − reported_at 的平均值。"""
    closed = _in_period(incidents, start, end)
    closed = closed[closed["status"] == CLOSED]
    if closed.empty:
        return None
    return float((closed["closed_at"] - closed["reported_at"]).mean() / pd.Timedelta(hours=1))


def exchange_volume(exchange: pd.DataFrame, start: datetime | None = None,
                    end: datetime | None = None) -> tuple[int, int]:
    """数据交换量 = 时段内（按 date，含 start 不含 end）records 之和，以及 api_calls 之和。"""
    mask = pd.Series(True, index=exchange.index)
    if start is not None:
        mask &= exchange["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= exchange["date"] < pd.Timestamp(end)
    rows = exchange[mask]
    return int(rows["records"].sum()), int(rows["api_calls"].sum())
