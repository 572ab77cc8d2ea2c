"""Dataset contracts, and validation that splits a frame into good rows and quarantined rows.

Each contract names its columns, their types, allowed values, ranges and keys. Validation runs in
two steps, and neither silently drops or coerces a value:

1. *parse*: text from a CSV, XLSX, JSON or SQL source is turned into the contract's types. A value
   that does not parse is a quarantine reason (``reported_at 无法解析: '2019/13/45'``), never NaT.
2. *check*: a pandera schema checks nulls, allowed codes, ranges, duplicate keys and the rules that
   span columns (closed_at before reported_at, timestamps in the future, …).

Every quarantined row keeps its original values and gets every reason it broke, in Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

# How far ahead a timestamp may lie: clock skew for things that happened, a planning horizon for
# deadlines and plans. Anything beyond is a typo (2102 for 2021) and is quarantined.
PAST_SKEW = timedelta(days=1)
PLAN_HORIZON = timedelta(days=365 * 15)

ROW, REASON = "_row", "_reason"

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
    """A rule over several columns: ``bad(frame) -> bool Series`` marks rows that break it."""
    name: str
    reason: str
    bad: Callable[[pd.DataFrame], pd.Series]


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
        RowRule("parent_missing", "parent_id 为空: 非区县级区域必须有上级", _parent_missing),
        RowRule("parent_is_self", "parent_id 不能等于自身 region_id", _parent_is_self),
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
                _exchange_with_itself),
    ), label="数据交换"),
    Contract("systems", (
        Col("system_id", "str"), Col("dept_id", "str"), Col("name", "str"),
        Col("classified", "bool"), Col("status", "str", allowed=SYSTEM_STATUSES),
        Col("exempt_approved", "bool"),
        Col("planned_date", "date", required=False, future="plan"),
        Col("migrated_date", "date", required=False),
    ), key=("system_id",), rules=(
        RowRule("migrated_without_date", "status 为 已上云 但 migrated_date 为空", _migrated_without_date),
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
        RowRule("closed_before_reported", "closed_at 早于 reported_at", _closed_before_reported),
        RowRule("closed_without_time", "status 为 已办结 但 closed_at 为空", _closed_without_time),
        RowRule("deadline_before_reported", "deadline_at 早于 reported_at", _deadline_before_reported),
        RowRule("null_island", "坐标为占位值 (0, 0)", _null_island),
        RowRule("half_coordinates", "lon 与 lat 必须同时填写或同时为空", _half_coordinates),
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
        RowRule("rate_target_out_of_range", "单位为 % 的目标值必须在 0–1 之间", _rate_target_out_of_range),
    ), label="目标"),
    Contract("indicator_history", (
        Col("indicator_id", "str"), Col("date", "date"), Col("value", "float"),
    ), key=("indicator_id", "date"), rules=(
        RowRule("rate_value_out_of_range", "比率类指标的值必须在 0–1 之间", _rate_value_out_of_range),
    ), label="指标历史"),
)}


@dataclass
class ValidationResult:
    dataset: str
    good: pd.DataFrame
    quarantined: pd.DataFrame  # original values as text, plus _row (1-based) and _reason
    reasons: pd.Series = field(default_factory=lambda: pd.Series(dtype=str))

    @property
    def rows_ok(self) -> int:
        return len(self.good)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)


# ---- parse ---------------------------------------------------------------------------------------

_TRUE = {"true", "1", "1.0", "是", "y", "yes", "t", "已挂接", "已联通", "已接入"}
_FALSE = {"false", "0", "0.0", "否", "n", "no", "f", "未挂接", "未联通", "未接入"}
# Formats seen in department exports; the first that parses most values of a column wins, so a
# file's own format is used for the whole column and a typo in one row stays a typo.
DATE_FORMATS = (
    "ISO8601", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日", "%Y%m%d",
)


def _text(s: pd.Series) -> pd.Series:
    """Values as stripped text, blanks missing. Ids and codes from Excel keep no '.0' (12.0 → '12')."""
    if pd.api.types.is_float_dtype(s.dtype):
        integral = s.notna() & (s == np.floor(s.fillna(0)))
        out = s.astype("str")
        out[integral] = s[integral].astype("int64").astype("str")
        return out
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.astype("str")
    stripped = s.str.strip()
    return stripped.where(stripped != "")


_UTC_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def _to_local(aware: pd.Series) -> pd.Series:
    """Offset-aware timestamps → naive local time (the machine's zone, which ``datetime.now()`` uses)."""
    return aware.dt.tz_convert(datetime.now().astimezone().tzinfo).dt.tz_localize(None).astype("datetime64[us]")


def _parse_datetime(text: pd.Series, fmt: str) -> pd.Series:
    present = text.notna()
    formats = ([fmt] if fmt else []) + [f for f in DATE_FORMATS if f != fmt]
    best, best_ok = None, -1
    sample = text[present].head(2000)
    for candidate in formats:
        ok = pd.to_datetime(sample, format=candidate, errors="coerce", utc=True).notna().sum()  # utc: only counting
        if ok > best_ok:
            best, best_ok = candidate, ok
        if ok == len(sample):
            break
    try:
        parsed = pd.to_datetime(text, format=best, errors="coerce")
    except ValueError:  # some values carry a UTC offset and some do not
        parsed = None
    if parsed is None or getattr(parsed.dt, "tz", None) is not None:
        # times with an offset (JSON "+08:00", timestamptz) become local wall-clock time, the time the
        # wall and every period ("今日") use; times without one are local already
        aware = text.str.contains(_UTC_OFFSET, na=False)
        local = pd.to_datetime(text.where(~aware), format=best, errors="coerce").astype("datetime64[us]")
        shifted = _to_local(pd.to_datetime(text.where(aware), utc=True, format="ISO8601", errors="coerce"))
        parsed = local.where(~aware, shifted)
    if best != "ISO8601":  # the odd row in another common layout is still a valid timestamp
        retry = present & parsed.isna()
        if retry.any():
            parsed[retry] = pd.to_datetime(text[retry], format="ISO8601", errors="coerce")
    return parsed.astype("datetime64[us]")


def _parse_column(s: pd.Series, col: Col, date_format: str) -> tuple[pd.Series, pd.Series]:
    """→ (typed values, mask of values present in the source that failed to parse)."""
    no_failures = pd.Series(False, index=s.index)
    if col.kind in ("int", "float") and pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype("float64")
        failed = no_failures
    elif col.kind in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = (_to_local(s) if getattr(s.dt, "tz", None) is not None else s).astype("datetime64[us]")
        failed = no_failures
    elif col.kind == "bool" and pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), no_failures
    else:
        text = _text(s)
        if col.kind == "str":
            return text, no_failures
        if col.kind in ("int", "float"):
            out = pd.to_numeric(text, errors="coerce").astype("float64")
        elif col.kind == "bool":
            lower = text.str.lower()
            out = pd.Series(pd.NA, index=s.index, dtype="boolean")
            out[lower.isin(_TRUE)] = True
            out[lower.isin(_FALSE)] = False
        else:
            out = _parse_datetime(text, date_format)
        failed = text.notna() & out.isna()
    if col.kind == "int":
        fractional = out.notna() & (out != np.floor(out.fillna(0)))
        failed = failed | fractional
        out = out.where(~fractional)
        out = out.astype("int64") if out.notna().all() else out.astype("Int64")
    if col.kind == "date":
        out = out.dt.normalize()
    return out, failed


_KIND_ZH = {"int": "整数", "float": "数字", "bool": "是/否", "datetime": "日期时间", "date": "日期", "str": "文本"}


# ---- check ---------------------------------------------------------------------------------------

def _schema(contract: Contract, now: datetime) -> pa.DataFrameSchema:
    columns = {}
    for col in contract.columns:
        checks = []
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        if col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if col.max is not None:
            checks.append(pa.Check.le(col.max))
        if col.kind in ("datetime", "date"):
            limit = pd.Timestamp(now + (PAST_SKEW if col.future == "past" else PLAN_HORIZON))
            checks.append(pa.Check.le(limit))
        unique = len(contract.key) == 1 and contract.key[0] == col.name
        columns[col.name] = pa.Column(
            nullable=not col.required, checks=checks, unique=unique,
            report_duplicates="exclude_first",
        )
    # rules that span columns run vectorised in validate(): pandera would report them once per column
    return pa.DataFrameSchema(
        columns,
        unique=list(contract.key) if len(contract.key) > 1 else None,
        report_duplicates="exclude_first", coerce=False, strict=False,
    )


def _fmt(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour or value.minute or value.second) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reason(contract: Contract, column: str, check: str, value) -> str:
    if check == "not_nullable":
        return f"{column} 为空（必填）"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return f"{column} 重复: '{_fmt(value)}'"
    col = contract.col(column)
    if check.startswith("isin("):
        return f"{column} 取值不合法: '{_fmt(value)}'（允许: {'、'.join(map(str, col.allowed))}）"
    if check.startswith("greater_than_or_equal_to("):
        return f"{column} 小于下限 {_fmt(float(col.min))}: {_fmt(value)}"
    if check.startswith("less_than_or_equal_to(") and col.kind in ("datetime", "date"):
        horizon = "当前时间" if col.future == "past" else "规划期限（15 年）"
        return f"{column} 时间过远，晚于{horizon}: '{_fmt(value)}'"
    if check.startswith("less_than_or_equal_to("):
        return f"{column} 大于上限 {_fmt(float(col.max))}: {_fmt(value)}"
    return f"{column} 不符合规则 {check}: '{_fmt(value)}'"


def validate(dataset: str, frame: pd.DataFrame, *, date_format: str = "", now: datetime | None = None,
             bbox: tuple[float, float, float, float] | None = None) -> ValidationResult:
    """Split ``frame`` (already mapped onto the contract's column names) into good and quarantined rows.

    ``bbox`` (min_lon, min_lat, max_lon, max_lat) quarantines incident coordinates outside the city,
    which is how placeholder coordinates from a hotline export are caught.
    """
    contract = CONTRACTS[dataset]
    # an optional column a source does not have at all is simply empty (e.g. no coordinates)
    absent_optional = [c.name for c in contract.columns if not c.required and c.name not in frame.columns]
    if absent_optional:
        frame = frame.assign(**{name: None for name in absent_optional})
    missing = [c.name for c in contract.columns if c.name not in frame.columns]
    if missing:
        raise ContractError(f"{contract.label or dataset}数据缺少必需列: {', '.join(missing)}"
                            f"（已有列: {', '.join(map(str, frame.columns))}；可在配置 columns 中映射）")
    now = now or datetime.now()
    original = frame[contract.names].reset_index(drop=True)
    index = original.index
    reason_parts: list[pd.Series] = []

    # 1. parse
    typed = {}
    unparsed: set[tuple[str, int]] = set()  # a value that did not parse is not also "empty"
    for col in contract.columns:
        values, failed = _parse_column(original[col.name], col, date_format)
        typed[col.name] = values
        if failed.any():
            unparsed.update((col.name, i) for i in index[failed.to_numpy()])
            raw = original[col.name][failed].astype(str)
            reason_parts.append(pd.Series(
                f"{col.name} 无法解析为{_KIND_ZH[col.kind]}: '" + raw + "'", index=raw.index))
    typed = pd.DataFrame(typed, index=index)

    # 2. check with pandera (nulls, codes, ranges, keys, future timestamps)
    try:
        _schema(contract, now).validate(typed, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        if unparsed:
            echo = [(c, int(i)) in unparsed and k == "not_nullable"
                    for c, k, i in zip(cases["column"], cases["check"], cases["index"])]
            cases = cases[~np.array(echo, dtype=bool)]
        composite = cases["check"].astype(str) == "multiple_fields_uniqueness"
        if composite.any():  # one reason per row for a repeated key, not one per key column
            rows = cases.loc[composite, "index"].astype("int64").unique()
            key = ", ".join(contract.key)
            reason_parts.append(pd.Series(
                [f"（{key}）组合重复: (" + ", ".join(_fmt(typed.at[i, c]) for c in contract.key) + ")" for i in rows],
                index=rows))
            cases = cases[~composite]
        if len(cases):
            texts = [_reason(contract, c, k, v) for c, k, v in
                     zip(cases["column"], cases["check"].astype(str), cases["failure_case"])]
            per_row = pd.Series(texts, index=cases["index"].astype("int64").to_numpy())
            reason_parts.append(per_row.groupby(level=0).agg("；".join))
    #    … and the rules that span columns, vectorised
    for rule in contract.rules:
        bad = rule.bad(typed).fillna(False).astype(bool)
        if bad.any():
            reason_parts.append(pd.Series(rule.reason, index=index[bad.to_numpy()]))
    if bbox is not None and {"lon", "lat"} <= set(typed.columns):
        min_lon, min_lat, max_lon, max_lat = bbox
        has = typed["lon"].notna() & typed["lat"].notna()
        outside = has & ~typed["lon"].between(min_lon, max_lon)
        outside |= has & ~typed["lat"].between(min_lat, max_lat)
        if outside.any():
            sub = typed[outside]
            reason_parts.append(pd.Series(
                "坐标超出城市范围（可能为占位值）: (" + sub["lon"].astype(str) + ", " + sub["lat"].astype(str) + ")",
                index=sub.index))

    if not reason_parts:
        return ValidationResult(dataset, typed, _empty_quarantine(contract))
    reasons = pd.concat(reason_parts).groupby(level=0, sort=True).agg("；".join)
    bad_rows = reasons.index
    quarantined = original.loc[bad_rows].astype(str).where(original.loc[bad_rows].notna(), "")
    quarantined.insert(0, REASON, reasons.loc[bad_rows])
    quarantined.insert(0, ROW, (bad_rows + 1).astype("int64"))
    quarantined = quarantined.sort_values(ROW)
    good = typed.drop(index=bad_rows).reset_index(drop=True)
    return ValidationResult(dataset, good, quarantined.reset_index(drop=True), reasons)


def _empty_quarantine(contract: Contract) -> pd.DataFrame:
    return pd.DataFrame(columns=[ROW, REASON, *contract.names])
