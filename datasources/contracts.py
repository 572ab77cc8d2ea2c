"""Dataset contracts: each names its columns, their types, allowed values, ranges, keys and the
rules that span columns.

Validation against them lives in :mod:`datasources.validation` (``validate`` is re-exported here),
typing in :mod:`datasources.parsing` and timestamp layouts in :mod:`datasources.dates`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pandas as pd

# How far ahead a timestamp may lie: clock skew for things that happened, a planning horizon for
# deadlines and plans. Anything beyond is a typo (2102 for 2021) and is quarantined.
PAST_SKEW = timedelta(days=1)
PLAN_HORIZON = timedelta(days=365 * 15)

ROW, REASON = "_row", "_reason"
#: the raw line of a quarantined row that a reader could not split into fields
RAW = "_raw"
#: ``frame.attrs`` keys a reader or the mapping sets: rows that stand for lines the reader could not
#: split (a tuple of (_row, _reason, _raw)), and optional contract columns this source must fill.
REJECTED, REQUIRED = "citywall_rejected", "citywall_required"

INCIDENT_STATUSES = ("受理", "处置中", "已办结")
CLOSED = "已办结"
REGION_LEVELS = ("区县", "镇街", "村社区", "网格")
SHARE_TYPES = ("无条件共享", "有条件共享", "不予共享")
SHARED = ("无条件共享", "有条件共享")
OPEN_TYPES = ("无条件开放", "有条件开放", "不予开放")
DATA_CLASSES = ("政务", "城市")
SYSTEM_STATUSES = ("未迁移", "迁移中", "已上云", "暂缓")
NETWORK_LEVELS = ("市", "镇", "村")
DEPT_KINDS = ("委办局", "事业单位", "区县政府", "国有企业", "其他")
TARGET_UNITS = ("%", "个", "项", "小时", "条")

#: what department_history holds per department (dashboard/department_history.py), all rates
DEPARTMENT_INDICATORS = ("sharing_rate", "aggregation_rate", "cloud_migration_rate")
# indicator ids whose values are fractions and so must lie in 0..1
RATE_INDICATORS = frozenset({
    "sharing_rate", "gov_aggregation_rate", "city_aggregation_rate", "cloud_migration_rate",
    "network_rate", "network_rate_市", "network_rate_镇", "network_rate_村",
    "incident_closure_rate", "ontime_closure_rate",
})


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # str | int | float | bool | datetime | date
    required: bool = True  # null not allowed
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    future: str = "past"  # for datetimes: "past" (happened) or "plan" (a deadline)


@dataclass(frozen=True)
class RowRule:
    """A rule over several columns: ``bad(frame) -> bool Series`` marks rows that break it.

    ``reads`` names the columns it looks at: a row whose value there did not parse has that reason
    already and is not also judged by the rule (an unparsed closed_at is not "closed_at 为空")."""
    name: str
    reason: str
    bad: Callable[[pd.DataFrame], pd.Series]
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    dataset: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    rules: tuple[RowRule, ...] = ()
    label: str = ""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


class ContractError(ValueError):
    """The frame as a whole cannot meet the contract (e.g. a required column is missing)."""


def _closed_before_reported(df):
    return df["closed_at"].notna() & (df["closed_at"] < df["reported_at"])


def _closed_without_time(df):
    return (df["status"] == CLOSED) & df["closed_at"].isna()


def _deadline_before_reported(df):
    return df["deadline_at"].notna() & (df["deadline_at"] < df["reported_at"])


def _null_island(df):
    return (df["lon"] == 0) & (df["lat"] == 0)


def _half_coordinates(df):
    return df["lon"].isna() != df["lat"].isna()


def _exchange_with_itself(df):
    return df["provider_dept"] == df["consumer_dept"]


def _migrated_without_date(df):
    return (df["status"] == "已上云") & df["migrated_date"].isna()


def _parent_missing(df):
    return (df["level"] != "区县") & df["parent_id"].isna()


def _parent_is_self(df):
    return df["parent_id"].notna() & (df["parent_id"] == df["region_id"])


def _rate_value_out_of_range(df):
    is_rate = df["indicator_id"].isin(RATE_INDICATORS) | df["indicator_id"].str.startswith("network_rate")
    return is_rate & ((df["value"] < 0) | (df["value"] > 1))


def _rate_target_out_of_range(df):
    return (df["unit"] == "%") & ((df["target"] < 0) | (df["target"] > 1))


CONTRACTS: dict[str, Contract] = {c.dataset: c for c in (
    Contract("departments", (
        Col("dept_id", "str"), Col("name", "str"), Col("short_name", "str"),
        Col("kind", "str", allowed=DEPT_KINDS),
    ), key=("dept_id",), label="部门"),
    Contract("regions", (
        Col("region_id", "str"), Col("name", "str"), Col("level", "str", allowed=REGION_LEVELS),
        Col("parent_id", "str", required=False),
    ), key=("region_id",), rules=(
        RowRule("parent_missing", "parent_id 为空: 非区县级区域必须有上级", _parent_missing, ("level", "parent_id")),
        RowRule("parent_is_self", "parent_id 不能等于自身 region_id", _parent_is_self, ("parent_id", "region_id")),
    ), label="区域"),
    Contract("catalog", (
        Col("resource_id", "str"), Col("dept_id", "str"), Col("name", "str"),
        Col("data_class", "str", allowed=DATA_CLASSES),
        Col("share_type", "str", allowed=SHARE_TYPES),
        Col("open_type", "str", required=False, allowed=OPEN_TYPES),
        Col("mounted", "bool"),
        Col("updated_at", "datetime", required=False),
    ), key=("resource_id",), label="资源目录"),
    Contract("exchange", (
        Col("date", "date"), Col("provider_dept", "str"), Col("consumer_dept", "str"),
        Col("records", "int", min=0), Col("api_calls", "int", min=0),
    ), key=("date", "provider_dept", "consumer_dept"), rules=(
        RowRule("exchange_with_itself", "provider_dept 与 consumer_dept 相同: 部门内部流转不计入共享交换",
                _exchange_with_itself, ("provider_dept", "consumer_dept")),
    ), label="数据交换"),
    Contract("systems", (
        Col("system_id", "str"), Col("dept_id", "str"), Col("name", "str"),
        Col("classified", "bool"), Col("status", "str", allowed=SYSTEM_STATUSES),
        Col("exempt_approved", "bool"),
        Col("planned_date", "date", required=False, future="plan"),
        Col("migrated_date", "date", required=False),
    ), key=("system_id",), rules=(
        RowRule("migrated_without_date", "status 为 已上云 但 migrated_date 为空", _migrated_without_date,
                ("status", "migrated_date")),
    ), label="信息系统"),
    Contract("incidents", (
        Col("incident_id", "str"), Col("source", "str"), Col("category", "str"),
        Col("region_id", "str", required=False),
        Col("lon", "float", required=False, min=-180, max=180),
        Col("lat", "float", required=False, min=-90, max=90),
        Col("reported_at", "datetime"),
        Col("deadline_at", "datetime", required=False, future="plan"),
        Col("closed_at", "datetime", required=False),
        Col("status", "str", allowed=INCIDENT_STATUSES),
    ), key=("incident_id",), rules=(
        RowRule("closed_before_reported", "closed_at 早于 reported_at", _closed_before_reported,
                ("closed_at", "reported_at")),
        RowRule("closed_without_time", "status 为 已办结 但 closed_at 为空", _closed_without_time, ("status", "closed_at")),
        RowRule("deadline_before_reported", "deadline_at 早于 reported_at", _deadline_before_reported,
                ("deadline_at", "reported_at")),
        RowRule("null_island", "坐标为占位值 (0, 0)", _null_island, ("lon", "lat")),
        RowRule("half_coordinates", "lon 与 lat 必须同时填写或同时为空", _half_coordinates, ("lon", "lat")),
    ), label="事件"),
    Contract("network", (
        Col("unit_id", "str"), Col("name", "str"), Col("level", "str", allowed=NETWORK_LEVELS),
        Col("connected", "bool"),
    ), key=("unit_id",), label="电子政务外网"),
    Contract("targets", (
        Col("indicator_id", "str"), Col("name", "str"), Col("level", "str", allowed=("省", "市")),
        Col("unit", "str", allowed=TARGET_UNITS), Col("target", "float"),
        Col("deadline", "date", future="plan"),
        Col("comparator", "str", allowed=(">=", "<=", "==")),
        Col("source_doc", "str", required=False), Col("binding", "bool"),
    ), key=("indicator_id", "deadline"), rules=(
        RowRule("rate_target_out_of_range", "单位为 % 的目标值必须在 0–1 之间", _rate_target_out_of_range, ("unit", "target")),
    ), label="目标"),
    Contract("indicator_history", (
        Col("indicator_id", "str"), Col("date", "date"), Col("value", "float"),
    ), key=("indicator_id", "date"), rules=(
        RowRule("rate_value_out_of_range", "比率类指标的值必须在 0–1 之间", _rate_value_out_of_range, ("indicator_id", "value")),
    ), label="指标历史"),
    Contract("department_history", (
        Col("dept_id", "str"), Col("indicator_id", "str", allowed=DEPARTMENT_INDICATORS), Col("date", "date"),
        Col("value", "float", min=0, max=1),
    ), key=("dept_id", "indicator_id", "date"), label="部门指标历史"),
)}


def __getattr__(name: str):
    """``from datasources.contracts import validate`` stays the one entry point pullers and tools
    use; validation is built on the contracts above, so it is imported on first use (no cycle)."""
    if name in ("validate", "ValidationResult"):
        from datasources import validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
