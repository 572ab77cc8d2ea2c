"""Target presets from the source documents, and target status (已达标 / 按期可达 / 滞后 / 逾期未达标,
or 未设期限 for a target whose deadline nobody has set yet).

A target compares one indicator (by ``indicator_id``) against a number by a deadline. Rates are
fractions (0.8 means 80%). Milestone targets ("six of six built") are checklists whose value is
the number of items done, and whose history is exact: it steps up on each item's done date.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

MET, ON_TRACK, LAGGING, OVERDUE, NO_DEADLINE = "已达标", "按期可达", "滞后", "逾期未达标", "未设期限"
STATUSES = (MET, ON_TRACK, LAGGING, OVERDUE, NO_DEADLINE)
#: the trend behind 按期可达 / 滞后: today and the 179 days before it
TREND_WINDOW_DAYS = 180
#: a trend reaching its target later than this is flat (float error), it never reaches it
REACH_HORIZON_DAYS = 365 * 100
#: units of whole things: targets on them are met by whole items, and forecast as whole items
COUNT_UNITS = ("个", "项", "条", "件")


@dataclass(frozen=True)
class Target:
    target_id: str
    indicator_id: str
    name: str
    level: str
    unit: str
    target: float
    deadline: date | None  # None: the document leaves the date to the city, which has not set it yet
    comparator: str
    source_doc: str
    binding: bool = True
    preset: str = ""


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


def _t(preset, indicator_id, name, level, unit, target, deadline: str | None, doc) -> Target:
    return Target(f"{preset}:{indicator_id}", indicator_id, name, level, unit, target,
                  date.fromisoformat(deadline) if deadline else None, ">=", doc, True, preset)


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
    # 长沙's document leaves the date to the city ("可配置"): no deadline until it sets one
    # ([targets.deadlines] or a custom target)
    "长沙": (_t("长沙", "six_databases", "六大基础数据库", "市", "项", 6, None, CHANGSHA),),
}


def undated_preset_targets(presets: list[str]) -> list[str]:
    """The target ids of the picked presets whose document sets no deadline."""
    return [t.target_id for p in presets for t in PRESETS[p] if t.deadline is None]


def configured_targets(target_settings) -> list[Target]:
    """The presets a city picked plus its own targets. A custom target replaces a preset one for the
    same indicator with the same deadline year, or one whose document leaves the date to the city;
    ``[targets.deadlines]`` dates the remaining undated ones."""
    chosen: dict[str, Target] = {}
    for preset in target_settings.presets:
        for t in PRESETS[preset]:
            chosen[t.target_id] = t
    for c in target_settings.custom:
        t = Target(f"自定:{c.indicator_id}:{c.deadline.isoformat()}", c.indicator_id, c.name, c.level,
                   c.unit, c.target, c.deadline, c.comparator, c.source_doc, c.binding, "自定")
        chosen = {k: v for k, v in chosen.items()
                  if not (v.indicator_id == t.indicator_id
                          and (v.deadline is None or v.deadline.year == t.deadline.year))}
        chosen[t.target_id] = t
    chosen = {k: replace(v, deadline=target_settings.deadlines[k]) if k in target_settings.deadlines else v
              for k, v in chosen.items()}
    return sorted(chosen.values(), key=lambda t: (t.deadline or date.max, t.target_id))


def required_count(target_rate: float, total: float) -> int:
    """The fewest whole items that meet a rate target: ceil(target_rate × total), so 90% of 329
    systems is 297 (296 would be 89.97%). A product that is whole up to float error stays whole
    (80% of 10 is 8, not 9)."""
    product = float(target_rate) * float(total)
    return max(0, math.ceil(product - 1e-9 * max(1.0, abs(product))))


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


def with_milestones(history: pd.DataFrame, milestones: dict[str, dict[str, date | str]], today: date,
                    days: int = 730) -> pd.DataFrame:
    """The history targets are judged on. A checklist the city configures wins over any history
    source for its indicator: that indicator's rows are replaced by the checklist's exact daily
    counts over the last ``days`` days."""
    for indicator_id, items in milestones.items():
        exact = milestone_history(items, today - timedelta(days=days), today)
        history = pd.concat([history[history["indicator_id"] != indicator_id], pd.DataFrame({
            "indicator_id": indicator_id, "date": pd.to_datetime(exact.index), "value": exact.to_numpy()})],
            ignore_index=True)
    return history


def item_count(indicator_id: str, milestones: dict[str, dict]) -> int | None:
    """How many items a count indicator can reach: the city's checklist, else the document's list."""
    items = milestones.get(indicator_id) or MILESTONES.get(indicator_id, ("", ()))[1]
    return len(items) or None


# ---- status ----------------------------------------------------------------------------------

def _meets(value: float, target: float, comparator: str) -> bool:
    if comparator == ">=":
        return value >= target - 1e-12
    if comparator == "<=":
        return value <= target + 1e-12
    return abs(value - target) < 1e-9


def trend_line(history: pd.Series | None, *, today: date,
               window_days: int = TREND_WINDOW_DAYS) -> tuple[float, float] | None:
    """(slope per day, value today) of the least-squares line over the history of the last
    ``window_days`` days (today and the ``window_days - 1`` days before it, anchored on today, not
    on the last history date). ``history`` is indexed by date. Needs two distinct days, else None."""
    if history is None or history.dropna().empty:
        return None
    h = history.dropna()
    idx = pd.to_datetime(pd.Index(h.index))
    anchor = pd.Timestamp(today)
    keep = (idx > anchor - pd.Timedelta(days=window_days)) & (idx <= anchor)
    x = (idx[keep] - anchor).days.to_numpy(dtype=float)
    y = h.to_numpy(dtype=float)[keep]
    if len(np.unique(x)) < 2:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def trend_forecast(history: pd.Series, on: date, *, today: date,
                   window_days: int = TREND_WINDOW_DAYS) -> float | None:
    """The :func:`trend_line` evaluated on ``on``."""
    line = trend_line(history, today=today, window_days=window_days)
    if line is None:
        return None
    slope, intercept = line
    return float(intercept + slope * (pd.Timestamp(on) - pd.Timestamp(today)).days)


def reach_date(target: Target, history: pd.Series | None, today: date) -> date | None:
    """The first day on which the :func:`trend_line` meets the target (today when it already
    does), or None when it never does by the deadline (a flat or wrong-way trend, no trend, a
    passed deadline). Without a deadline, any day the line reaches."""
    line = trend_line(history, today=today)
    if line is None or (target.deadline is not None and today > target.deadline):
        return None
    slope, intercept = line
    if _meets(intercept, target.target, target.comparator):
        return today
    rising = target.comparator == ">="
    if slope == 0 or (slope > 0) != rising or target.comparator == "==":
        return None
    days = (target.target - intercept) / slope
    if not math.isfinite(days) or days > REACH_HORIZON_DAYS:  # flat up to float error: never
        return None
    reached = today + timedelta(days=math.ceil(days - 1e-9))
    return None if target.deadline is not None and reached > target.deadline else reached


def value_bounds(target: Target, items: int | None = None) -> tuple[float, float | None]:
    """What the target's indicator can be: a rate 0–100%, a count 0 to its number of items (no
    upper bound when unknown), anything else at least 0."""
    if target.unit == "%":
        return 0.0, 1.0
    return 0.0, (float(items) if items and target.unit in COUNT_UNITS else None)


def forecast_value(target: Target, history: pd.Series | None, today: date, items: int | None = None) -> float | None:
    """The trend's value on the deadline, as a value the indicator can take: clipped to
    :func:`value_bounds`, and for counts a whole number of items (rounded towards missing the
    target, so "5.86 项" forecasts 5, not a 6 that the status would contradict). None without a
    deadline, once the deadline has passed, or without a trend."""
    if target.deadline is None or today > target.deadline or history is None:
        return None
    forecast = trend_forecast(history, target.deadline, today=today)
    if forecast is None:
        return None
    low, high = value_bounds(target, items)
    forecast = max(low, forecast if high is None else min(high, forecast))
    if target.unit in COUNT_UNITS:
        whole = {">=": math.floor, "<=": math.ceil}.get(target.comparator, round)
        forecast = float(whole(forecast + (1e-9 if target.comparator == ">=" else -1e-9)))
    return forecast


def target_status(current: float | None, target: Target, history: pd.Series | None, today: date,
                  items: int | None = None) -> str:
    """已达标 if the current value meets the target; else 未设期限 without a deadline; past the
    deadline 逾期未达标; before it, 按期可达 when the least-squares trend over the last 180 days of
    indicator_history (:func:`forecast_value`) meets the target on the deadline, else 滞后 (also
    when there is no value or too little history to draw a trend)."""
    if current is not None and _meets(current, target.target, target.comparator):
        return MET
    if target.deadline is None:
        return NO_DEADLINE
    if today > target.deadline:
        return OVERDUE
    forecast = forecast_value(target, history, today, items)
    if forecast is not None and _meets(forecast, target.target, target.comparator):
        return ON_TRACK
    return LAGGING
