"""Selections of /targets and /target/<id>: every configured target with its actual value, target,
deadline, status and document; one target's history with its least-squares trend extended to the
deadline and the day that trend reaches the target; milestone targets as checklists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard import formatting as fmt
from dashboard.targets import (MILESTONES, TREND_WINDOW_DAYS, Target, _meets, configured_targets, reach_date,
                               trend_line)

NEVER = "按当前趋势期限内无法达到"


def target_href(target_id: str) -> str:
    from urllib.parse import quote

    return f"/target/{quote(str(target_id), safe='')}"


def goal_text(value: float, unit: str) -> str:
    """A target value as a leader reads it: 80%, 6 项."""
    if unit == "%":
        return f"{value * 100:g}%"
    return f"{value:g} {unit}".strip()


def reach_text(target: Target, reached: date | None, current: float | None, today: date) -> str:
    """'按当前趋势，预计 2027年3月14日 达到 80%', '已达到 80%', '期限 … 已过，未达到 80%' or :data:`NEVER`."""
    goal = goal_text(target.target, target.unit)
    if current is not None and _meets(current, target.target, target.comparator):  # 已达标, whatever the trend
        return f"已达到 {goal}"
    if reached is None and target.deadline is not None and today > target.deadline:
        return f"期限 {fmt.day(target.deadline)} 已过，未达到 {goal}"
    if reached is None:
        return NEVER
    if reached <= today and current is not None:
        return f"已达到 {goal}"
    return f"按当前趋势，预计 {fmt.day(reached)} 达到 {goal}"


@dataclass(frozen=True)
class ChecklistItem:
    item: str
    done: date | None  # None: not done, or its date not registered


@dataclass(frozen=True)
class TargetDetail:
    target: Target
    row: dict  # the targets frame's row: current, status, forecast …
    history: pd.DataFrame  # date, value
    trend: pd.DataFrame  # date, value: the line from the window's start to the deadline (empty: none)
    reached: date | None
    reach: str
    checklist: list[ChecklistItem] | None  # milestone targets only


def find_target(target_settings, raw, notices: list[str], label: str = "目标") -> Target | None:
    """The configured target a URL names (its target_id), else None with a notice."""
    from dashboard import query_params as qp

    targets = {t.target_id: t for t in configured_targets(target_settings)}
    picked = qp.choice(raw, targets, None, label, notices)
    return targets.get(picked) if picked else None


def checklist(target: Target, milestones: dict[str, dict]) -> list[ChecklistItem] | None:
    """The items of a milestone target with their done dates: the city's checklist
    ([targets.milestones]), else the document's item list with no dates registered."""
    if target.indicator_id not in MILESTONES and target.indicator_id not in milestones:
        return None
    configured = milestones.get(target.indicator_id)
    if configured:
        items = [ChecklistItem(k, v or None) for k, v in configured.items()]
        return sorted(items, key=lambda i: (i.done is None, i.done or date.max, i.item))
    return [ChecklistItem(item, None) for item in MILESTONES[target.indicator_id][1]]


def trend_points(history: pd.Series, target: Target, today: date) -> pd.DataFrame:
    """The least-squares trend (the one behind 按期可达 / 滞后) as two points: the start of its window
    and the deadline (today when there is none, or it has passed)."""
    line = trend_line(history, today=today)
    if line is None:
        return pd.DataFrame({"date": pd.DatetimeIndex([]), "value": []})
    slope, intercept = line
    start = today - timedelta(days=TREND_WINDOW_DAYS - 1)
    end = target.deadline if target.deadline and target.deadline > today else today
    days = [start, end]
    return pd.DataFrame({"date": pd.to_datetime(days),
                         "value": [intercept + slope * (d - today).days for d in days]})


def target_detail(target: Target, targets: pd.DataFrame | None, history: pd.DataFrame | None,
                  milestones: dict[str, dict], today: date) -> TargetDetail:
    rows = targets[targets["target_id"] == target.target_id] if isinstance(targets, pd.DataFrame) else pd.DataFrame()
    row = rows.iloc[0].to_dict() if len(rows) else {}
    frame = history[history["indicator_id"] == target.indicator_id] if isinstance(history, pd.DataFrame) \
        else pd.DataFrame(columns=["date", "value"])
    frame = frame[pd.to_datetime(frame["date"]) <= pd.Timestamp(today)]
    series = pd.Series(frame["value"].to_numpy(dtype=float), index=pd.to_datetime(frame["date"]).dt.date)
    current = row.get("current")
    current = None if current is None or pd.isna(current) else float(current)
    reached = reach_date(target, series, today) if len(series) else None
    return TargetDetail(target, row, frame[["date", "value"]].sort_values("date").reset_index(drop=True),
                        trend_points(series, target, today), reached, reach_text(target, reached, current, today),
                        checklist(target, milestones))


def with_reach(targets: pd.DataFrame, target_settings, history: pd.DataFrame | None, today: date) -> pd.DataFrame:
    """The targets frame with each target's ``reach`` text (:func:`reach_text` of its trend)."""
    configured = {t.target_id: t for t in configured_targets(target_settings)}
    texts = []
    for row in targets.itertuples():
        t = configured.get(row.target_id)
        texts.append(target_detail(t, targets, history, {}, today).reach if t is not None else "")
    return targets.assign(reach=texts)
