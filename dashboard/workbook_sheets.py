"""The workbook's sheets (dashboard/workbook.py): the numbers of each wall panel, of the department
scoreboard and of the targets' status, as tables with their scope, period, 口径 and as-of time.

Every number comes from the function the wall (layouts/wall_panels.py) or the drill-down page draws
it with — the selections of dashboard/selections.py, the scoreboard, the targets' trend — over the
same frames and :class:`~layouts.wall_panels.Ctx`, so a cell equals what the wall shows. Where a
panel shows the first rows of a list (a ranking's best and worst, the 分类 heatmap's largest
categories), its sheet holds the whole list: the rows the wall shows are among them, equal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from dashboard import periods
from dashboard import selections as sel
from dashboard.scoreboard import scoreboard
from dashboard.target_views import target_detail
from dashboard.targets import MET, STATUSES, configured_targets, required_count
from dashboard.instructions_view import scoreboard_rates
from layouts import components as cx
from layouts import figure_base as fb
from layouts import wall_panels as wp
from layouts.meters import RING_PARTS, ring_counts
from layouts.scoreboard_page import weights_text
from layouts.tips import indicator

#: what a cell holds, and so its number format (dashboard/workbook.py)
TEXT, COUNT, PERCENT, DECIMAL, SCORE, SIGNED, DATE, DATETIME, MONTH = (
    "text", "count", "percent", "decimal", "score", "signed", "date", "datetime", "month")


@dataclass(frozen=True)
class Cell:
    """A value whose kind is not its column's (a table of mixed items: a rate, then a count)."""
    value: object
    kind: str


@dataclass(frozen=True)
class Sheet:
    name: str  # the tab's name
    title: str  # what it holds: the wall panel's title
    datasets: tuple[str, ...]  # its as-of time is theirs
    scope: str  # 全市 or the district, with the wall's period label
    period: str  # the period with its days, or the indicator's own words (时点值)
    indicators: tuple[str, ...]  # the registry ids whose 口径 its numbers follow
    columns: list[tuple[str, str]]  # (Chinese header, kind)
    rows: list[list]
    notes: tuple[str, ...] = ()
    total_row: bool = False  # the last row is a 合计 (drawn bold)


@dataclass
class Source:
    """What the sheets read: one read of the frames, the wall's context (view, canvas, day) and settings."""
    frames: object  # dashboard.wall_view.Frames
    ctx: wp.Ctx
    settings: object
    districts: dict[str, str] = field(default_factory=dict)

    def frame(self, ds: str, name: str):
        return self.frames.frame(ds, name)


def _scope(panel: str, s: Source) -> str:
    return wp.scope_text(wp.spec_of("scope", panel), s.ctx)[0]


def _period(days: int | None, s: Source, indicator_id: str) -> str:
    return periods.describe(days, s.ctx.today) if days else indicator(indicator_id).period


def _rate_cell(value, unit: str) -> Cell:
    """A target's value: a rate as a percentage, a count of items whole where it is whole."""
    if unit == "%":
        return Cell(value, PERCENT)
    whole = value is None or pd.isna(value) or float(value).is_integer()
    return Cell(value, COUNT if whole else DECIMAL)


def _names(s: Source) -> dict[str, str]:
    return cx.region_names(s.frame("regions", "regions"), getattr(s.ctx.geography, "regions", None))


# ---- the KPI tiles and the panels ----------------------------------------------------------------------

def kpi_sheet(s: Source) -> Sheet:
    f, c = s.frames, s.ctx
    rows = []
    for tile, (ds, indicator_id, default) in wp.KPI_RATES.items():
        summary = f.frame(ds, "summary")
        value = summary.iloc[0][indicator_id] if sel.has_columns(summary, indicator_id) else None
        target = sel.target_for(f.frame("targets", "targets"), indicator_id, c.today)
        goal = target["target"] if target else default
        rows.append([indicator(indicator_id).name, _scope(f"kpi-{tile}", s), indicator(indicator_id).period,
                     Cell(value, PERCENT), Cell(goal, PERCENT), Cell(target.get("deadline") if target else None, DATE)])
    summary = wp._incidents(f, c, "summary", "summary_by_district")
    today = sel.period_row(summary, "今日")
    scope = _scope("kpi-today", s)
    for name, column, days in (("今日事件", "incidents", 1), ("未办结事件（全部）", "open_all", None),
                               ("超期未办结（全部）", "overdue_open_all", None)):
        period = periods.describe(days, c.today) if days else "全部时段（不限受理时间）"
        rows.append([name, scope, period, Cell(None if today is None else today.get(column), COUNT), None, None])
    closure = sel.period_row(summary, wp.INCIDENT_PERIOD)
    for indicator_id, column in (("incident_closure_rate", "closure_rate"), ("ontime_closure_rate", "ontime_rate")):
        rows.append([indicator(indicator_id).name, _scope("kpi-closure", s),
                     periods.describe(periods.PERIODS[wp.INCIDENT_PERIOD], c.today),
                     Cell(None if closure is None else closure.get(column), PERCENT), None, None])
    counts = cx.target_counts(f.frame("targets", "targets"))
    rows.append(["已配置目标", _scope("kpi-targets", s), indicator("target_attainment").period,
                 Cell(counts["total"], COUNT), None, None])
    rows += [[f"目标 · {status}", _scope("kpi-targets", s), indicator("target_attainment").period,
              Cell(counts[status], COUNT), None, None] for status in STATUSES]
    return Sheet("关键指标", "关键指标（大屏顶部指标牌）", ("catalog", "systems", "incidents", "targets"),
                 f"{c.scope}（事件指标）；全市（其余指标）" if c.district else c.scope, "见各行“统计期”",
                 ("sharing_rate", "gov_aggregation_rate", "cloud_migration_rate", "incident_count", "open_incidents",
                  "overdue_open", "incident_closure_rate", "ontime_closure_rate", "target_attainment"),
                 [("指标", TEXT), ("范围", TEXT), ("统计期", TEXT), ("数值", TEXT), ("目标", PERCENT), ("期限", DATE)],
                 rows, (f"目标达标：已达标 {counts[MET]} / {counts['total']} 项",))


def _gap(rate, target) -> Cell:
    if rate is None or target is None:
        return Cell(None, TEXT)
    return Cell("已达标", TEXT) if rate >= target - 1e-12 else Cell((target - rate) * 100, DECIMAL)


def sharing_sheet(s: Source) -> Sheet:
    summary = s.frame("catalog", "summary")
    row = summary.iloc[0] if sel.has_columns(summary, "sharing_rate") else pd.Series(dtype=object)
    rate = sel._num(row.get("sharing_rate"))
    target, deadline = wp._target(s.frames, "sharing_rate", fb.SHARING_DEFAULT_TARGET, s.ctx.today)
    rows = [["政务数据共享率", Cell(rate, PERCENT)], ["目标", Cell(target, PERCENT)], ["期限", Cell(deadline, DATE)],
            ["距目标（百分点）", _gap(rate, target)],
            *[[f"{label}（条）", Cell(row.get(column), COUNT)] for label, column in (
                ("无条件共享", "unconditional"), ("有条件共享", "conditional"), ("不予共享", "not_shared"),
                ("目录条目总数", "resources"))]]
    return Sheet("共享率", wp.PANELS["sharing"].title, ("catalog", "targets"), _scope("sharing", s),
                 indicator("sharing_rate").period, ("sharing_rate",), [("项目", TEXT), ("数值", TEXT)], rows)


def ranking_sheet(s: Source) -> Sheet:
    by_dept = s.frame("catalog", "by_dept")
    ranked, _, total = sel.ranking_rows(by_dept, s.frame("departments", "departments"),
                                        max(len(by_dept) if isinstance(by_dept, pd.DataFrame) else 0, 1))
    rows = [[t.rank, t.name, t.dept_id, t.sharing_rate, getattr(t, "shared", None), getattr(t, "resources", None)]
            for t in ranked.itertuples(index=False)]
    unranked = (len(by_dept) if isinstance(by_dept, pd.DataFrame) else 0) - total
    return Sheet("部门共享率排名", wp.PANELS["ranking"].title, ("catalog", "departments"), _scope("ranking", s),
                 indicator("sharing_rate").period, ("sharing_rate",),
                 [("排名", COUNT), ("部门", TEXT), ("部门编号", TEXT), ("政务数据共享率", PERCENT),
                  ("可共享条目", COUNT), ("目录条目", COUNT)], rows,
                 (f"全部 {total} 个有目录条目的部门（大屏显示前几名与后几名）"
                  + (f"；{unranked} 个部门无共享率，不排名" if unranked else ""),))


def exchange_sheet(s: Source) -> Sheet:
    frame = sel.exchange_window(s.frame("exchange", "daily"), fb.EXCHANGE_DAYS, s.ctx.today)
    frame = frame if frame is not None else pd.DataFrame(columns=["date", "records", "api_calls"])
    calls = "api_calls" in frame.columns
    rows = [[d, r, c if calls else None] for d, r, c in zip(frame["date"], frame["records"],
                                                            frame["api_calls"] if calls else frame["records"])]
    rows.append(["合计", Cell(frame["records"].sum(), COUNT), Cell(frame["api_calls"].sum() if calls else None, COUNT)])
    return Sheet("交换量", wp.PANELS["exchange"].title, ("exchange",), _scope("exchange", s),
                 _period(fb.EXCHANGE_DAYS, s, "exchange_records"), ("exchange_records",),
                 [("日期", DATE), ("交换记录（条）", COUNT), ("接口调用（次）", COUNT)], rows, total_row=True)


def map_sheet(s: Source) -> Sheet:
    geography = s.ctx.geography
    layer = geography.layer("区县") if geography is not None else None
    ids = [str(f["id"]) for f in (layer or {}).get("features", []) if f.get("id") is not None]
    by_district = s.frame("incidents", "by_district")
    values = sel.district_incidents(by_district, geography)
    stats = by_district.assign(district_id=by_district["district_id"].astype(str)).set_index("district_id") \
        if sel.has_columns(by_district, "district_id") else pd.DataFrame()
    picks = ("today", "open", "overdue", "closure_rate_30d")  # the rest of a district's hover on the map
    rows = [[rid, s.districts.get(rid, rid), v, *[stats.at[rid, col] if rid in stats.index and col in stats.columns
                                                  else None for col in picks]] for rid, v in zip(ids, values)]
    match = s.frame("incidents", "region_match")
    unmatched = int(match["unmatched"].iloc[0]) if isinstance(match, pd.DataFrame) and len(match) else 0
    notes = [f"地图显示全市各区县，焦点为{s.ctx.scope}" if s.ctx.district else "地图显示全市各区县"]
    if unmatched:
        notes.append(f"{unmatched:,} 条事件的区域编码不在地图中")
    return Sheet("一张图", wp.PANELS["map"].title, ("incidents",), _scope("map", s),
                 _period(periods.INCIDENT_DAYS, s, "incident_count"),
                 ("incident_count", "open_incidents", "overdue_open", "incident_closure_rate"),
                 [("区县编号", TEXT), ("区县", TEXT), ("近30日事件", COUNT), ("今日", COUNT), ("未办结（全部）", COUNT),
                  ("超期（全部）", COUNT), ("近30日办结率", PERCENT)], rows, tuple(notes))


def area_sheet(s: Source) -> Sheet:
    """The ranking beside the map: the city's districts, or the streets of the district in view."""
    c = s.ctx
    areas = sel.area_counts(s.frame("incidents", "by_district"), s.frame("incidents", "by_street"), c.district)
    names = _names(s)
    if c.district is None:
        names = s.districts or names
    level = "区县" if c.district is None else "镇街"
    rows = []
    if sel.has_columns(areas, "area_id", "incidents_30d"):
        frame = areas.assign(area_id=areas["area_id"].astype(str))
        frame = frame.assign(_named=~frame["area_id"].isin(names)).sort_values(
            ["_named", "incidents_30d", "area_id"], ascending=[True, False, True], kind="mergesort")
        rows = [[i, r.area_id, names.get(r.area_id, r.area_id), r.incidents_30d, getattr(r, "today", None),
                 getattr(r, "overdue", None)] for i, r in enumerate(frame.itertuples(index=False), start=1)]
        rows.append(["合计", None, None, *[Cell(frame[col].sum() if col in frame.columns else None, COUNT)
                                          for col in ("incidents_30d", "today", "overdue")]])
    return Sheet("事件排行", f"一张图 · {c.scope}{level}事件排行", ("incidents", "regions"), _scope("map", s),
                 _period(periods.INCIDENT_DAYS, s, "incident_count"), ("incident_count", "overdue_open"),
                 [("排名", COUNT), (f"{level}编号", TEXT), (level, TEXT), ("近30日事件", COUNT), ("今日新增", COUNT),
                  ("超期未办结（全部）", COUNT)], rows, ("合计即大屏地图旁的三个数字",), total_row=bool(rows))


def cloud_sheet(s: Source) -> Sheet:
    summary = s.frame("systems", "summary")
    row = summary.iloc[0] if sel.has_columns(summary, "cloud_migration_rate") else pd.Series(dtype=object)
    rate = sel._num(row.get("cloud_migration_rate"))
    target, deadline = wp._target(s.frames, "cloud_migration_rate", fb.CLOUD_DEFAULT_TARGET, s.ctx.today)
    counts = ring_counts(row) if len(row) else [None] * len(RING_PARTS)
    rows = [["非涉密系统上云率", Cell(rate, PERCENT)], ["目标", Cell(target, PERCENT)], ["期限", Cell(deadline, DATE)],
            ["距目标（百分点）", _gap(rate, target)],
            ["非涉密系统（个）", Cell(sum(counts) if len(row) else None, COUNT)],
            *[[f"{label}（个）", Cell(n, COUNT)] for (_, label, _), n in zip(RING_PARTS, counts)],
            ["逾期未迁（个）", Cell(row.get("behind_plan"), COUNT)]]
    exempt = s.frame("systems", "exempt_approved")
    depts = sel._names(s.frame("departments", "departments"), "dept_id", "short_name", "name")
    listed = tuple(f"经批准暂缓：{t.name}（{depts.get(str(t.dept_id), t.dept_id)}）"
                   for t in exempt.itertuples(index=False)) if sel.has_columns(exempt, "name", "dept_id") else ()
    return Sheet("上云率", wp.PANELS["cloud"].title, ("systems", "targets"), _scope("cloud", s),
                 indicator("cloud_migration_rate").period, ("cloud_migration_rate",), [("项目", TEXT), ("数值", TEXT)],
                 rows, listed)


def migration_sheet(s: Source) -> Sheet:
    by_dept = s.frame("systems", "by_dept_status")
    frame = sel.migration_laggards(by_dept, s.frame("departments", "departments"),
                                   len(by_dept) if isinstance(by_dept, pd.DataFrame) else 0)
    rows = [[t.name, t.dept_id, *[getattr(t, st) for st in sel.SYSTEM_STATUS_ORDER], t.total, t.cloud_migration_rate]
            for t in frame.itertuples(index=False)]
    return Sheet("部门上云状态", wp.PANELS["migration"].title, ("systems", "departments"), _scope("migration", s),
                 indicator("cloud_migration_rate").period, ("cloud_migration_rate",),
                 [("部门", TEXT), ("部门编号", TEXT), *[(st, COUNT) for st in sel.SYSTEM_STATUS_ORDER],
                  ("非涉密系统", COUNT), ("部门上云率", PERCENT)], rows,
                 ("全部有非涉密系统的部门，上云率最低者在前（大屏显示最低的几个）",))


def burnup_sheet(s: Source) -> Sheet:
    burnup = s.frame("systems", "burnup")
    rows, notes = [], []
    if sel.has_columns(burnup, "month", "planned_cum", "actual_cum"):
        frame, months, _, actual, total = sel.burnup_actuals(burnup, s.ctx.today)
        rows = [[m, p, a] for m, p, a in zip(months, frame["planned_cum"], actual)]
        target, _ = wp._target(s.frames, "cloud_migration_rate", fb.CLOUD_DEFAULT_TARGET, s.ctx.today)
        if total:
            notes.append(f"非涉密系统 {total:,.0f} 个；目标线 {target:.0%} 即 {required_count(target, total):,} 个")
    return Sheet("上云累计", wp.PANELS["burnup"].title, ("systems", "targets"), _scope("burnup", s),
                 indicator("cloud_burnup").period, ("cloud_burnup",),
                 [("月份", MONTH), ("计划累计上云（个）", COUNT), ("实际累计上云（个）", COUNT)], rows, tuple(notes))


def hour_weekday_sheet(s: Source) -> Sheet:
    z = sel.hour_weekday_matrix(wp._incidents(s.frames, s.ctx, "hour_weekday", "hour_weekday_by_district"))
    rows = [[day, *z[i].tolist(), Cell(z[i].sum(), COUNT)] for i, day in enumerate(("周一", "周二", "周三", "周四",
                                                                                  "周五", "周六", "周日"))]
    return Sheet("时段热力", wp.PANELS["hour_weekday"].title, ("incidents",), _scope("hour_weekday", s),
                 _period(periods.INCIDENT_DAYS, s, "incident_count"), ("incident_count",),
                 [("星期", TEXT), *[(f"{h}时", COUNT) for h in range(24)], ("合计", COUNT)], rows,
                 (f"合计 {z.sum():,.0f} 件（星期 × 小时）",))


def category_sheet(s: Source) -> Sheet:
    f, c = s.frames, s.ctx
    counts = sel.category_columns(f.frame("incidents", "category_district"), f.frame("incidents", "category_street"),
                                  c.district)
    regions = wp._regions(f, c)
    # every category, none folded into 其他 (the wall folds the smallest to fit its panel)
    categories, _, names, z = sel.category_district_matrix(counts, regions, 10 ** 6, c.district)
    level = "区县" if c.district is None else "镇街"
    rows = [[cat, *z[i].tolist(), Cell(z[i].sum(), COUNT)] for i, cat in enumerate(categories)]
    return Sheet("分类热力", f"事件 · 分类 × {level}", ("incidents", "regions"), _scope("category_district", s),
                 _period(periods.INCIDENT_DAYS, s, "incident_count"), ("incident_count",),
                 [("分类", TEXT), *[(n, COUNT) for n in names], ("合计", COUNT)], rows,
                 (f"全部分类（大屏显示最多的几类，其余计入“{sel.OTHER}”）",))


def ticker_sheet(s: Source) -> Sheet:
    latest = sel.latest_incidents(s.frame("incidents", "latest"), s.frame("incidents", "latest_by_district"),
                                  s.ctx.district)
    names = _names(s)
    rows = []
    if sel.has_columns(latest, "incident_id", "reported_at"):
        for r in latest.head(wp.TICKER_ROWS).itertuples(index=False):
            status = getattr(r, "status", "") or ""
            overdue = bool(getattr(r, "overdue", False)) and status != "已办结"
            district = str(getattr(r, "district_id", "") or "")
            rows.append([pd.Timestamp(r.reported_at), names.get(district, district),
                         names.get(str(getattr(r, "region_id", "")), ""), getattr(r, "category", "") or "",
                         "超期" if overdue else status, getattr(r, "source", "") or "", str(r.incident_id)])
    return Sheet("最新事件", wp.PANELS["ticker"].title, ("incidents", "regions"), _scope("ticker", s),
                 "最新受理的事件（不限统计期）", ("overdue_open",),
                 [("受理时间", DATETIME), ("区县", TEXT), ("网格", TEXT), ("分类", TEXT), ("状态", TEXT), ("来源", TEXT),
                  ("事件编号", TEXT)], rows, (f"大屏滚动显示的最新 {wp.TICKER_ROWS} 条",))


def _target_rows(targets: pd.DataFrame, extra: Callable) -> list[list]:
    rows = []
    for t in targets.itertuples(index=False):
        unit = getattr(t, "unit", "%") or "%"
        rows.append([t.name, getattr(t, "level", "") or "", _rate_cell(getattr(t, "current", None), unit),
                     _rate_cell(t.target, unit), unit, getattr(t, "deadline", None),
                     getattr(t, "status", "") or "", *extra(t, unit)])
    return rows


def _target_indicators(targets: pd.DataFrame) -> tuple[str, ...]:
    """target_attainment, and the indicators of the targets (each bullet's hover states its 口径)."""
    ids = targets["indicator_id"].astype(str).tolist() if "indicator_id" in targets else []
    return tuple(dict.fromkeys(["target_attainment", *ids]))


TARGET_COLUMNS = [("目标", TEXT), ("级别", TEXT), ("实际值", TEXT), ("目标值", TEXT), ("单位", TEXT), ("期限", DATE),
                  ("状态", TEXT)]


def targets_sheet(s: Source) -> Sheet:
    frame = sel.ordered_targets(s.frame("targets", "targets"))
    rows = _target_rows(frame, lambda t, unit: [_rate_cell(getattr(t, "forecast", None), unit),
                                                getattr(t, "source_doc", "") or ""]) if "target_id" in frame else []
    return Sheet("目标指标", wp.PANELS["targets"].title, ("targets",), _scope("targets", s),
                 indicator("target_attainment").period, _target_indicators(frame),
                 [*TARGET_COLUMNS, ("趋势预测（期限日）", TEXT), ("依据文件", TEXT)], rows)


# ---- the briefing's tables ---------------------------------------------------------------------------------

def scoreboard_sheet(s: Source) -> Sheet:
    board = scoreboard(s.frame("catalog", "by_dept"), s.frame("systems", "by_dept_status"),
                       s.frame("departments", "departments"), s.frame("department_history", "history"),
                       s.settings.scoreboard, s.ctx.today, instruction_rates=scoreboard_rates(s.settings, s.ctx.today))
    lagging = set(board.lagging["dept_id"])
    rates = ("sharing_rate", "aggregation_rate", "cloud_migration_rate")
    rows = [[t.rank, t.name, t.dept_id, t.score * 100, None if t.change is None or pd.isna(t.change) else t.change * 100,
             f"{t.light}灯" if t.light else None, *[getattr(t, k) for k in rates],
             "是" if t.dept_id in lagging else "否", ""] for t in board.ranked.itertuples(index=False)]
    rows += [[None, t.name, t.dept_id, None, None, None, *[getattr(t, k) for k in rates], "否", t.reason]
             for t in board.apart.itertuples(index=False)]
    return Sheet("部门绩效", "部门绩效 · 通报", ("catalog", "systems", "departments", "department_history"), "全市",
                 indicator("sharing_rate").period, rates,
                 [("排名", COUNT), ("部门", TEXT), ("部门编号", TEXT), ("得分", SCORE), ("较上期", SIGNED), ("信号灯", TEXT),
                  *[(indicator(k).name, PERCENT) for k in rates], ("列入通报", TEXT), ("不计分原因", TEXT)], rows,
                 (f"得分 = {weights_text(board)}（满分 100）；≥{board.green_at * 100:g} 分绿灯，"
                  f"<{board.yellow_at * 100:g} 分红灯并列入通报",
                  f"较上期：与 {board.previous_day:%Y-%m-%d} 的得分相比；列入通报 {len(board.lagging)} 个部门"))


def target_status_sheet(s: Source) -> Sheet:
    targets = s.frame("targets", "targets")
    frame = sel.ordered_targets(targets)
    configured = {t.target_id: t for t in configured_targets(s.settings.targets)}
    history = s.frame("indicator_history", "history")

    def trend(t, unit):
        target = configured.get(t.target_id)
        if target is None:
            return [None, ""]
        detail = target_detail(target, targets, history, s.settings.targets.milestones, s.ctx.today)
        return [detail.reached, detail.reach]

    rows = _target_rows(frame, lambda t, unit: [*trend(t, unit), getattr(t, "source_doc", "") or ""]) \
        if "target_id" in frame else []
    return Sheet("目标状态", "目标状态（期限与预测）", ("targets", "indicator_history"), "全市",
                 indicator("target_attainment").period, _target_indicators(frame),
                 [*TARGET_COLUMNS, ("按趋势预计达到日期", DATE), ("按当前趋势", TEXT), ("依据文件", TEXT)], rows,
                 ("预测：近180日最小二乘趋势",))


#: the sheets after the cover, in order: the KPI tiles, the panels as the wall lays them out, the briefing's
PANEL_SHEETS = (kpi_sheet, sharing_sheet, ranking_sheet, exchange_sheet, map_sheet, area_sheet, cloud_sheet,
                migration_sheet, burnup_sheet, hour_weekday_sheet, category_sheet, ticker_sheet, targets_sheet)
BRIEFING_SHEETS = (scoreboard_sheet, target_status_sheet)
