"""Indicator formulas (指标口径): pure functions from validated frames to numbers.

Each docstring states the 口径 as DESIGN.md's indicator handbook gives it. City-level rates are
pooled ratios over all rows, never the mean of department rates. A rate over an empty
denominator is ``None`` (shown as "—"), not 0.

:data:`REGISTRY` is the one place the wall's hovers and the drill-downs read an indicator's name,
unit, 口径 (formula, period, exclusions) and source documents from (layouts/tips.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from dashboard.targets import CHANGSHA, JIYUAN, SHAANXI
from datasources.contracts import CLOSED, SHARED

HANDBOOK = "DESIGN.md 指标口径手册"
SHARING_DOCUMENT = "政务信息资源共享管理暂行办法（国发〔2016〕51号）"
#: catalog, systems and network indicators are values at the moment of the pull, not of a period
AT_PULL = "时点值（最新一次汇聚时的全部数据）"
BY_REPORTED = "按受理时间 reported_at 计"


@dataclass(frozen=True)
class Indicator:
    """One indicator's 口径, as every hover on the wall and every drill-down states it.

    ``days``: the period in days of the wall's figure (dashboard/periods.py), None for a value at
    the moment of the pull (``period`` then says so); ``documents``: the policy documents that set
    the indicator or its targets — empty where none of the programme's documents does, and the
    hover then names the handbook the formula comes from."""
    id: str
    name: str
    unit: str
    formula: str
    period: str
    excluded: str = ""
    documents: tuple[str, ...] = ()
    days: int | None = None

    def source_text(self) -> str:
        """The source document(s), or an honest note that only the handbook defines it."""
        return "；".join(self.documents) if self.documents else f"无预置依据文件，口径依 {HANDBOOK}"


def _network_level(level: str) -> Indicator:
    return Indicator(f"network_rate_{level}", f"网络互联互通率（{level}级）", "%",
                     f"{level}级单位中已接入电子政务外网的单位数 ÷ {level}级单位总数", AT_PULL,
                     documents=(SHAANXI, JIYUAN))


def _aggregation(indicator_id: str, data_class: str, other: str) -> Indicator:
    return Indicator(indicator_id, f"{data_class}数据汇聚率", "%",
                     f"{data_class}类目录中已挂接到城市数据池的条目数 ÷ {data_class}类目录条目数", AT_PULL,
                     f"{other}类目录条目不计入", (SHAANXI,))


_MILESTONE_FORMULA = "清单中已完成的项数（每项以其完成日期计入）"

REGISTRY: dict[str, Indicator] = {i.id: i for i in (
    Indicator("sharing_rate", "政务数据共享率", "%",
              "共享类型为无条件共享或有条件共享的目录条目数 ÷ 目录条目总数", AT_PULL,
              "不予共享的条目在分母中、不在分子中", (SHARING_DOCUMENT,)),
    _aggregation("gov_aggregation_rate", "政务", "城市"),
    Indicator("aggregation_rate", "数据汇聚率（部门）", "%",
              "部门目录中已挂接到城市数据池的条目数 ÷ 部门目录条目数（政务与城市类合计）", AT_PULL,
              "目录条目为 0 的部门无此值（显示 —）", (SHAANXI,)),
    _aggregation("city_aggregation_rate", "城市", "政务"),
    Indicator("cloud_migration_rate", "非涉密系统上云率", "%",
              "非涉密系统中状态为已上云的数量 ÷ 非涉密系统总数", AT_PULL,
              "涉密系统不计入；经批准暂缓的系统仍计入分母，单独列示", (JIYUAN,)),
    Indicator("network_rate", "网络互联互通率", "%",
              "已接入电子政务外网的单位数 ÷ 单位总数（可按市/镇/村分级）", AT_PULL,
              documents=(SHAANXI, JIYUAN)),
    *(_network_level(level) for level in ("市", "镇", "村")),
    Indicator("incident_closure_rate", "事件办结率", "%",
              "统计期内受理的事件中状态为已办结的数量 ÷ 统计期内受理的事件数", BY_REPORTED, days=30),
    Indicator("ontime_closure_rate", "按期办结率", "%",
              "统计期内受理且已办结的事件中办结时间不晚于办理时限的数量 ÷ 其中已办结的事件数", BY_REPORTED,
              "未办结事件不计入；无办理时限的已办结事件视为按期", days=30),
    Indicator("overdue_open", "超期未办结", "件", "状态不是已办结且办理时限早于当前时刻的事件数",
              "全部时段（不限受理时间）"),
    Indicator("open_incidents", "未办结事件", "件", "状态不是已办结的事件数", "全部时段（不限受理时间）"),
    Indicator("instruction_ontime_rate", "指令按期办结率", "%",
              "统计期内到期的指令中，办结确认时间不晚于办理期限的数量 ÷ 统计期内到期的指令数",
              "按办理期限计：期限在统计期内，且期限已过或已办结",
              "期限未到且未办结的指令不计入；已退回的指令按未办结计", days=30),
    Indicator("instructions_issued_today", "今日下达指令", "条",
              "今日 00:00（城市时区 city.timezone）起下达的指令数，不论其现在的状态", "今日（按下达时间计）"),
    Indicator("open_instructions", "未办结指令", "条",
              "状态不是已办结的指令数（已下达、已签收、处置中、已反馈、已退回）", "全部时段（不限下达时间）"),
    Indicator("overdue_instructions", "超期指令", "条",
              "状态不是已办结、且当前时刻已晚于办理期限的指令数", "全部时段（不限下达时间）",
              "到期时刻本身尚不算超期；已办结的指令不计入"),
    Indicator("mean_handling_hours", "平均处置时长", "小时",
              "统计期内受理且已办结的事件（办结时间 − 受理时间）的平均值", BY_REPORTED,
              "未办结事件不计入", days=30),
    Indicator("incident_count", "事件数", "件", "统计期内受理的事件数（12345 热线、网格等各来源合计）",
              BY_REPORTED, days=30),
    Indicator("exchange_records", "数据交换量", "条",
              "统计期内各日部门间交换记录数之和（另计接口调用次数）",
              "按交换日期计；无交换记录的日期计 0", days=30),
    Indicator("cloud_burnup", "上云累计进度", "个",
              "各月末非涉密系统中已上云的累计数（实际）与按计划日期应上云的累计数（计划）；"
              "目标线 = 目标上云率 × 非涉密系统总数，向上取整", "按月，实际值截至本月",
              "涉密系统不计入", (JIYUAN,)),
    Indicator("target_attainment", "目标达标", "项", "已达标的目标数 ÷ 已配置的目标数（按期可达、滞后、逾期另计）",
              "当前（按各目标期限）", documents=(SHAANXI, JIYUAN, CHANGSHA)),
    Indicator("six_ones", "\"六个一\"基础工程", "项", _MILESTONE_FORMULA, "截至今日", documents=(SHAANXI,)),
    Indicator("six_databases", "六大基础数据库", "项", _MILESTONE_FORMULA, "截至今日", documents=(CHANGSHA,)),
    Indicator("smart_communities", "智慧社区（村、居）", "个", _MILESTONE_FORMULA, "截至今日", documents=(JIYUAN,)),
    Indicator("smart_towns", "智慧镇（街道）", "个", _MILESTONE_FORMULA, "截至今日", documents=(JIYUAN,)),
    Indicator("smart_parks", "智慧园区", "个", _MILESTONE_FORMULA, "截至今日", documents=(JIYUAN,)),
)}


#: what people in the command room call an indicator besides its name (一句话响应, dashboard/ask/)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sharing_rate": ("共享率", "数据共享率"), "gov_aggregation_rate": ("政务汇聚率",),
    "aggregation_rate": ("汇聚率", "数据汇聚率", "部门汇聚率"), "city_aggregation_rate": ("城市汇聚率",),
    "cloud_migration_rate": ("上云率", "系统上云率"), "network_rate": ("互联互通率", "外网覆盖率", "联通率"),
    "network_rate_市": ("市级联通率",), "network_rate_镇": ("镇级联通率",), "network_rate_村": ("村级联通率",),
    "incident_closure_rate": ("办结率",), "ontime_closure_rate": ("按期率", "按时办结率", "及时办结率"),
    "overdue_open": ("超期", "超期件", "逾期", "超时", "超期未办"), "open_incidents": ("未办结", "积压"),
    "mean_handling_hours": ("处置时长", "办理时长", "平均用时"), "incident_count": ("事件量", "事件数量", "件数"),
    "exchange_records": ("交换量",), "cloud_burnup": ("上云累计",), "target_attainment": ("达标率", "达标情况"),
    "six_ones": ("六个一",), "six_databases": ("六大库", "基础数据库"), "smart_communities": ("智慧社区",),
    "smart_towns": ("智慧镇", "智慧街道"), "smart_parks": ("园区",),
}


def indicator(indicator_id: str) -> Indicator:
    """The registry's entry; an unknown id (a city's own target) gets an entry that says its 口径
    is the city's configuration."""
    found = REGISTRY.get(indicator_id)
    if found is not None:
        return found
    return Indicator(indicator_id, indicator_id, "", "由本市目标配置定义（未在指标口径手册中）", "截至今日")


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


def instruction_ontime_rate(instructions: pd.DataFrame, start: float, end: float, now: float) -> float | None:
    """指令按期办结率 = 统计期内到期的指令中 closed_at ≤ deadline_at 的数量 ÷ 统计期内到期的指令数。

    "统计期内到期"：start ≤ deadline_at < end，且期限已过（deadline_at < now）或已办结（closed_at 非空）；
    期限未到又未办结的指令尚无结论，不计入。时间均为 UNIX 秒（dashboard/instructions.py）。
    """
    due = instructions[(instructions["deadline_at"] >= start) & (instructions["deadline_at"] < end)]
    closed = due["closed_at"].notna()
    due, closed = due[closed | (due["deadline_at"] < now)], closed[closed | (due["deadline_at"] < now)]
    return _ratio(int((closed & (due["closed_at"] <= due["deadline_at"])).sum()), len(due))


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
