"""通报 (/briefing, printed to the A4 PDF): its view model, a pure function of published frames, the
datasets' statuses and the settings. layouts/briefing.py builds the document from it; the numbers
come from the same functions as the wall and the drill-downs (the scoreboard from
dashboard/scoreboard.py, the targets from dashboard/target_views.py), so they equal what those show.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard import formatting as fmt
from dashboard import periods
from dashboard.freshness import DATASET_LABELS, freshness
from dashboard.indicators import indicator
from dashboard.programme_views import series_of
from dashboard.scoreboard import Scoreboard, scoreboard
from dashboard.selections import ordered_targets, period_row, target_for
from dashboard.store import DatasetStatus
from dashboard.target_views import with_reach
from dashboard.instructions_view import scoreboard_rates

#: the datasets the briefing reads (each one's freshness is listed at its end)
DATASETS = ("departments", "regions", "catalog", "systems", "incidents", "targets", "indicator_history",
            "department_history")
#: the 通报's sections, in order (layouts/briefing.py)
SECTIONS = ("一、主要指标", "二、重点图表", "三、部门绩效排名", "四、低于阈值的部门", "五、目标完成情况", "六、数据来源与时效")
INCIDENT_PERIOD = "近30日"
#: datasets no source feeds: what the puller builds them from
DERIVED = {"targets": "由配置 [targets] 与指标历史生成"}
SHARING_SERIES = ("sharing_rate", "gov_aggregation_rate", "city_aggregation_rate")


def period_text(today: date, period: str) -> str:
    """The 通报's period, the scoreboard's: '2026年第49周（11月30日至12月6日）' or '2026年12月'."""
    if period == "month":
        return f"{today.year}年{today.month}月"
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    year, week, _ = today.isocalendar()
    return f"{year}年第{week}周（{monday.month}月{monday.day}日至{sunday.month}月{sunday.day}日）"


@dataclass(frozen=True)
class KpiLine:
    """One number of the KPI summary, with its scope and its 口径 from the indicator registry."""
    indicator_id: str
    name: str
    value: str
    scope: str  # 全市 · 统计期
    formula: str
    excluded: str
    source: str


@dataclass(frozen=True)
class SourceLine:
    """One dataset's freshness: its sources, when it was published, its data's own date, 正常 or 滞后 and why."""
    label: str
    sources: str  # 演示-事件（市城市运行管理中心）: the configured sources and their owners
    published: str
    age: str
    data_as_of: str
    state: str
    reason: str


@dataclass(frozen=True)
class Briefing:
    title: str
    city: str
    period: str
    issued: str
    as_of: str  # the newest publish of the datasets it reads
    kpis: list[KpiLine]
    sharing: dict[str, pd.DataFrame]  # indicator name → (date, value) history
    sharing_target: float | None
    burnup: pd.DataFrame | None
    cloud_target: float | None
    incidents_daily: pd.DataFrame  # date, reported, closed over 近30日
    map_frames: dict  # by_district, by_grid, density: the wall map's inputs
    board: Scoreboard
    targets: pd.DataFrame  # the targets frame in the wall's order with each target's ``reach`` text
    sources: list[SourceLine]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _kpi(indicator_id: str, value: str, scope: str) -> KpiLine:
    entry = indicator(indicator_id)
    return KpiLine(indicator_id, entry.name, value, scope, entry.formula, entry.excluded, entry.source_text())


def kpi_lines(frames, today: date) -> list[KpiLine]:
    """The wall's KPI numbers, 全市, each with its 统计期."""
    catalog = frames.frame("catalog", "summary")
    systems = frames.frame("systems", "summary")
    catalog_row = catalog.iloc[0] if isinstance(catalog, pd.DataFrame) and len(catalog) else {}
    systems_row = systems.iloc[0] if isinstance(systems, pd.DataFrame) and len(systems) else {}
    at_pull = f"全市 · {indicator('sharing_rate').period}"
    lines = [_kpi(k, fmt.percent(_number(catalog_row.get(k)) if len(catalog_row) else None), at_pull)
             for k in SHARING_SERIES]
    lines.append(_kpi("cloud_migration_rate", fmt.percent(
        _number(systems_row.get("cloud_migration_rate")) if len(systems_row) else None), at_pull))
    row = period_row(frames.frame("incidents", "summary"), INCIDENT_PERIOD)
    get = (lambda k: None if row is None else _number(row.get(k)))  # noqa: E731
    scope = f"全市 · {periods.describe(periods.PERIODS[INCIDENT_PERIOD], today)}"
    lines += [_kpi("incident_count", f"{fmt.count(get('incidents'))} 件", scope),
              _kpi("incident_closure_rate", fmt.percent(get("closure_rate")), scope),
              _kpi("ontime_closure_rate", fmt.percent(get("ontime_rate")), scope),
              _kpi("open_incidents", f"{fmt.count(get('open_all'))} 件", "全市 · 全部时段"),
              _kpi("overdue_open", f"{fmt.count(get('overdue_open_all'))} 件", "全市 · 全部时段")]
    targets = frames.frame("targets", "targets")
    if isinstance(targets, pd.DataFrame) and "status" in targets.columns and len(targets):
        met = int((targets["status"] == "已达标").sum())
        lines.append(_kpi("target_attainment", f"{met} / {len(targets)} 项", "全市 · 当前"))
    return lines


def source_lines(settings, statuses: dict[str, DatasetStatus], now: float) -> list[SourceLine]:
    out = []
    for dataset in DATASETS:
        status = statuses.get(dataset) or DatasetStatus(dataset)
        fresh = freshness(settings, status, now)
        names = "、".join(f"{s.name}（{s.owner}）" if s.owner else s.name for s in settings.sources_for(dataset))
        out.append(SourceLine(DATASET_LABELS.get(dataset, dataset), names or DERIVED.get(dataset, "未配置数据源"),
                              fmt.moment(status.published_at) if status.published_at else "尚未发布",
                              fmt.age(fresh.age_seconds), fresh.as_of or fmt.MISSING,
                              "滞后" if fresh.stale else "正常", fresh.reason))
    return out


def incidents_daily(daily: pd.DataFrame | None, today: date) -> pd.DataFrame:
    """近30日 reported and closed incidents per day, every day present (a day without rows counts 0)."""
    days = periods.daily_index(periods.INCIDENT_DAYS, today)
    if not isinstance(daily, pd.DataFrame) or daily.empty:
        return pd.DataFrame({"date": days, "reported": 0, "closed": 0})
    by_day = daily.assign(date=pd.to_datetime(daily["date"]).dt.normalize()).set_index("date")
    return by_day[["reported", "closed"]].reindex(days, fill_value=0).rename_axis("date").reset_index()


def briefing_view(frames, statuses: dict[str, DatasetStatus], settings, today: date, now: float) -> Briefing:
    """The 通报 of ``today`` (its period: [scoreboard].period) from ``frames`` (anything with
    ``.frame(dataset, name)``, e.g. dashboard.wall_view.Frames) and the datasets' ``statuses``."""
    targets = frames.frame("targets", "targets")
    history = frames.frame("indicator_history", "history")
    board = scoreboard(frames.frame("catalog", "by_dept"), frames.frame("systems", "by_dept_status"),
                       frames.frame("departments", "departments"), frames.frame("department_history", "history"),
                       settings.scoreboard, today, instruction_rates=scoreboard_rates(settings, today))
    ordered = ordered_targets(targets)
    if "target_id" in ordered.columns and len(ordered):
        ordered = with_reach(ordered, settings.targets, history, today)
    sharing_target = (target_for(targets, "sharing_rate", today) or {}).get("target")
    cloud_target = (target_for(targets, "cloud_migration_rate", today) or {}).get("target")
    published = [s.published_at for s in statuses.values() if s.published_at]
    return Briefing(
        title=f"{settings.city.name}智慧城市建设运行情况通报",
        city=settings.city.name,
        period=period_text(today, settings.scoreboard.period),
        issued=fmt.day(today),
        as_of=fmt.moment(max(published)) if published else "尚无数据",
        kpis=kpi_lines(frames, today),
        sharing={indicator(k).name: series_of(history, k) for k in SHARING_SERIES},
        sharing_target=_number(sharing_target),
        burnup=frames.frame("systems", "burnup"),
        cloud_target=_number(cloud_target),
        incidents_daily=incidents_daily(frames.frame("incidents", "daily"), today),
        map_frames={name: frames.frame("incidents", name) for name in ("by_district", "by_grid", "density")},
        board=board,
        targets=ordered,
        sources=source_lines(settings, statuses, now),
    )
