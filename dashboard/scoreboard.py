"""部门绩效 · 通报: each department's weighted score, its light, its rank and its change since the
last period, from the catalog and systems frames (today) and department_history (the last period).

Pure functions over published frames; the page (/scoreboard) and /sharing's lights call them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard.department_history import DEPARTMENT_INDICATORS, department_values

GREEN, YELLOW, RED = "绿", "黄", "红"
#: why a department has no score: the denominator its missing indicator lacks
EMPTY_DENOMINATOR = {"sharing_rate": "无目录条目", "aggregation_rate": "无目录条目",
                     "cloud_migration_rate": "无非涉密系统", "instruction_ontime_rate": "无到期指令"}
INSTRUCTIONS = "instruction_ontime_rate"  # weighed when [scoreboard].weights gives it more than 0 (default 0)


def light(value: float | None, green_at: float, yellow_at: float) -> str | None:
    """红/黄/绿 of a rate or a score: 绿 at or above ``green_at``, 黄 at or above ``yellow_at``, else
    红; None for a missing value (an empty denominator is not red)."""
    if value is None or pd.isna(value):
        return None
    if value >= green_at - 1e-12:
        return GREEN
    return YELLOW if value >= yellow_at - 1e-12 else RED


def department_score(rates: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """部门绩效得分 = Σ 权重ᵢ × 指标ᵢ ÷ Σ 权重ᵢ，指标为该部门的政务数据共享率、数据汇聚率（部门）与
    非涉密系统上云率（均为 0–1 的比率，各自口径见指标口径手册），权重取自 [scoreboard].weights。

    权重为 0 的指标不参与。任一参与指标的分母为空（无目录条目、无非涉密系统）时不计分（None，显示
    "—"）：缺项部门另列，不参加排名，也不列入通报。"""
    used = {k: w for k, w in weights.items() if w > 0}
    if not used or any(rates.get(k) is None or pd.isna(rates.get(k)) for k in used):
        return None
    return sum(w * float(rates[k]) for k, w in used.items()) / sum(used.values())


def previous_period_day(today: date, period: str) -> date:
    """The day the last period's values are read on: a week ago, or the last day of last month."""
    return today - timedelta(days=7) if period == "week" else today.replace(day=1) - timedelta(days=1)


def rates_today(catalog_by_dept: pd.DataFrame | None, systems_by_dept: pd.DataFrame | None) -> pd.DataFrame:
    """dept_id × indicator table of today's rates, from the frames the last pulls published."""
    parts = []
    if isinstance(catalog_by_dept, pd.DataFrame):
        parts.append(department_values("catalog", {"by_dept": catalog_by_dept}))
    if isinstance(systems_by_dept, pd.DataFrame):
        parts.append(department_values("systems", {"by_dept_status": systems_by_dept}))
    return _wide(pd.concat(parts, ignore_index=True) if parts else None)


def rates_on(history: pd.DataFrame | None, day: date) -> pd.DataFrame:
    """dept_id × indicator table of each department's last value dated on or before ``day``."""
    if not isinstance(history, pd.DataFrame) or history.empty:
        return _wide(None)
    upto = history[pd.to_datetime(history["date"]) <= pd.Timestamp(day)]
    last = upto.sort_values("date").drop_duplicates(["dept_id", "indicator_id"], keep="last")
    return _wide(last)


def _wide(rows: pd.DataFrame | None) -> pd.DataFrame:
    if rows is None or rows.empty:
        return pd.DataFrame(columns=list(DEPARTMENT_INDICATORS), index=pd.Index([], name="dept_id"))
    wide = rows.pivot(index="dept_id", columns="indicator_id", values="value")
    return wide.reindex(columns=list(DEPARTMENT_INDICATORS)).astype(float)


@dataclass(frozen=True)
class Scoreboard:
    ranked: pd.DataFrame  # rank, dept_id, name, the rates, score, previous, change, light (best first)
    lagging: pd.DataFrame  # the ranked rows whose light is 红: what a 通报 names
    apart: pd.DataFrame  # dept_id, name, the rates they have, reason: no score, not ranked
    weights: dict[str, float]
    green_at: float
    yellow_at: float
    period: str
    previous_day: date


def scoreboard(catalog_by_dept: pd.DataFrame | None, systems_by_dept: pd.DataFrame | None,
               departments: pd.DataFrame | None, history: pd.DataFrame | None, settings, today: date,
               instruction_rates: dict[str, float | None] | None = None) -> Scoreboard:
    """Every department of the departments frame scored (``settings``: [scoreboard]), ranked best
    first (equal scores share a rank), with its score on the previous period's day and the change.

    ``instruction_rates``: dept_id → 指令按期办结率 (dashboard/instructions_view.py's
    ``scoreboard_rates``, None while its weight is 0); it has no history, so a board weighing it
    has no previous score (较上期 "—")."""
    now = rates_today(catalog_by_dept, systems_by_dept)
    before_day = previous_period_day(today, settings.period)
    before = rates_on(history, before_day)
    names = dict(zip(departments["dept_id"].astype(str), departments["name"])) if isinstance(
        departments, pd.DataFrame) else {}
    ids = list(names) or list(now.index)
    rows = []
    for dept_id in ids:
        rates = {k: _value(now, dept_id, k) for k in DEPARTMENT_INDICATORS}
        if instruction_rates is not None:
            rates[INSTRUCTIONS] = instruction_rates.get(dept_id)
        previous = department_score({k: _value(before, dept_id, k) for k in DEPARTMENT_INDICATORS}, settings.weights)
        score = department_score(rates, settings.weights)
        missing = [EMPTY_DENOMINATOR[k] for k, w in settings.weights.items() if w > 0 and rates.get(k) is None]
        rows.append({"dept_id": dept_id, "name": names.get(dept_id, dept_id), **rates, "score": score,
                     "previous": previous, "change": None if score is None or previous is None else score - previous,
                     "light": light(score, settings.green_at, settings.yellow_at),
                     "reason": "、".join(dict.fromkeys(missing))})
    weighed = [INSTRUCTIONS] if instruction_rates is not None else []
    frame = pd.DataFrame(rows, columns=["dept_id", "name", *DEPARTMENT_INDICATORS, *weighed, "score", "previous",
                                        "change", "light", "reason"])
    scored = frame[frame["score"].notna()].sort_values(["score", "dept_id"], ascending=[False, True])
    scored.insert(0, "rank", scored["score"].rank(method="min", ascending=False).astype(int))
    scored = scored.drop(columns=["reason"]).reset_index(drop=True)
    apart = frame[frame["score"].isna()].drop(columns=["score", "previous", "change", "light"]).reset_index(drop=True)
    lagging = scored[scored["light"] == RED].sort_values("score").reset_index(drop=True)
    return Scoreboard(scored, lagging, apart, dict(settings.weights), settings.green_at, settings.yellow_at,
                      settings.period, before_day)


def _value(wide: pd.DataFrame, dept_id: str, indicator_id: str) -> float | None:
    if dept_id not in wide.index or indicator_id not in wide.columns:
        return None
    value = wide.at[dept_id, indicator_id]
    return None if pd.isna(value) else float(value)
