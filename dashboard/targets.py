"""Target presets from the source documents, and target status (已达标 / 按期可达 / 滞后 / 逾期未达标).

A target compares one indicator (by ``indicator_id``) against a number by a deadline. Rates are
fractions (0.8 means 80%). Milestone targets ("six of six built") are checklists whose value is
the number of items done, and whose history is exact: it steps up on each item's done date.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

MET, ON_TRACK, LAGGING, OVERDUE = "已达标", "按期可达", "滞后", "逾期未达标"
STATUSES = (MET, ON_TRACK, LAGGING, OVERDUE)


@dataclass(frozen=True)
class Target:
    target_id: str
    indicator_id: str
    name: str
    level: str
    unit: str
    target: float
    deadline: date
    comparator: str
    source_doc: str
    binding: bool = True
    preset: str = ""
    deadline_set_by_document: bool = True  # False: the document leaves the date to the city


SHAANXI = "陕政办发〔2018〕47号"
JIYUAN = "济源新型智慧城市建设指导意见"
CHANGSHA = "长沙市新型智慧城市建设管理应用办法"

#: The milestone checklists named by the documents: indicator_id → (name, items).
MILESTONES: dict[str, tuple[str, tuple[str, ...]]] = {
    "six_ones": ("\"六个一\"基础工程", ("一格通", "一卡通", "一站通", "一号通", "一点通", "一网通")),
    "six_databases": ("六大基础数据库", ("人口", "法人", "地理空间", "经济信息", "房产房屋", "城市部件")),
    "smart_communities": ("智慧社区（村、居）", ()),
    "smart_towns": ("智慧镇（街道）", ()),
    "smart_parks": ("智慧园区", ()),
}


def _t(preset, indicator_id, name, level, unit, target, deadline, doc) -> Target:
    return Target(f"{preset}:{indicator_id}", indicator_id, name, level, unit, target,
                  date.fromisoformat(deadline), ">=", doc, True, preset)


PRESETS: dict[str, tuple[Target, ...]] = {
    "陕西省-2019": (
        _t("陕西省-2019", "gov_aggregation_rate", "政务数据汇聚率", "省", "%", 0.50, "2019-12-31", SHAANXI),
        _t("陕西省-2019", "city_aggregation_rate", "城市数据汇聚率", "省", "%", 0.60, "2019-12-31", SHAANXI),
    ),
    "陕西省-2021": (
        _t("陕西省-2021", "gov_aggregation_rate", "政务数据汇聚率", "省", "%", 0.80, "2021-12-31", SHAANXI),
        _t("陕西省-2021", "city_aggregation_rate", "城市数据汇聚率", "省", "%", 0.90, "2021-12-31", SHAANXI),
        _t("陕西省-2021", "network_rate", "网络互联互通率", "省", "%", 0.95, "2021-12-31", SHAANXI),
        _t("陕西省-2021", "six_ones", "\"六个一\"基础工程", "省", "项", 6, "2021-12-31", SHAANXI),
    ),
    "济源-2022": (
        _t("济源-2022", "cloud_migration_rate", "非涉密政务信息系统上云率", "市", "%", 0.80, "2022-12-31", JIYUAN),
        _t("济源-2022", "network_rate", "电子政务外网市镇村覆盖率", "市", "%", 1.00, "2022-12-31", JIYUAN),
        _t("济源-2022", "smart_communities", "智慧社区（村、居）", "市", "个", 5, "2022-12-31", JIYUAN),
        _t("济源-2022", "smart_towns", "智慧镇（街道）", "市", "个", 3, "2022-12-31", JIYUAN),
        _t("济源-2022", "smart_parks", "智慧园区", "市", "个", 1, "2022-12-31", JIYUAN),
    ),
    # 长沙's document sets no date: 2027-12-31 stands in until the city sets its own with a custom target.
    "长沙": (
        replace(_t("长沙", "six_databases", "六大基础数据库", "市", "项", 6, "2027-12-31", CHANGSHA),
                deadline_set_by_document=False),
    ),
}


def configured_targets(target_settings) -> list[Target]:
    """The presets a city picked plus its own targets. A custom target replaces a preset one for the
    same indicator with the same deadline year, or one whose document leaves the date to the city."""
    chosen: dict[str, Target] = {}
    for preset in target_settings.presets:
        for t in PRESETS[preset]:
            chosen[t.target_id] = t
    for c in target_settings.custom:
        t = Target(f"自定:{c.indicator_id}:{c.deadline.isoformat()}", c.indicator_id, c.name, c.level,
                   c.unit, c.target, c.deadline, c.comparator, c.source_doc, c.binding, "自定")
        chosen = {k: v for k, v in chosen.items()
                  if not (v.indicator_id == t.indicator_id
                          and (v.deadline.year == t.deadline.year or not v.deadline_set_by_document))}
        chosen[t.target_id] = t
    return sorted(chosen.values(), key=lambda t: (t.deadline, t.target_id))


# ---- milestones ---------------------------------------------------------------------------------

def milestone_value(items: dict[str, date | str], as_of: date) -> int:
    """口径: 清单中完成日期不晚于 as_of 的事项数（如 "六个一" 已建成个数）。"""
    return sum(1 for done in items.values() if done and done <= as_of)


def milestone_history(items: dict[str, date | str], start: date, end: date) -> pd.Series:
    """Daily count of done items from ``start`` to ``end``: exact, not estimated."""
    days = pd.date_range(start, end, freq="D")
    done = sorted(pd.Timestamp(d) for d in items.values() if d)
    counts = np.searchsorted(np.array(done, dtype="datetime64[ns]"), days.values, side="right")
    return pd.Series(counts, index=days.date, dtype=float)


# ---- status ----------------------------------------------------------------------------------

def _meets(value: float, target: float, comparator: str) -> bool:
    if comparator == ">=":
        return value >= target - 1e-12
    if comparator == "<=":
        return value <= target + 1e-12
    return abs(value - target) < 1e-9


def trend_forecast(history: pd.Series, on: date, window_days: int = 180) -> float | None:
    """Least-squares line over the last ``window_days`` of history, evaluated on ``on``.

    ``history`` is indexed by date. Needs two distinct days, else None.
    """
    if history is None or history.dropna().empty:
        return None
    h = history.dropna()
    idx = pd.to_datetime(pd.Index(h.index))
    keep = idx >= idx.max() - pd.Timedelta(days=window_days)
    x = (idx[keep] - idx.max()).days.to_numpy(dtype=float)
    y = h.to_numpy(dtype=float)[keep]
    if len(np.unique(x)) < 2:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept + slope * (pd.Timestamp(on) - idx.max()).days)


def target_status(current: float | None, target: Target, history: pd.Series | None, today: date) -> str:
    """已达标 if the current value meets the target; past the deadline otherwise 逾期未达标; before it,
    按期可达 when the least-squares trend over indicator_history meets the target on the deadline,
    else 滞后 (also when there is no value or too little history to draw a trend)."""
    if current is not None and _meets(current, target.target, target.comparator):
        return MET
    if today > target.deadline:
        return OVERDUE
    forecast = trend_forecast(history, target.deadline) if history is not None else None
    if forecast is not None and _meets(forecast, target.target, target.comparator):
        return ON_TRACK
    return LAGGING
