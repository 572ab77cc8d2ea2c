"""Validation: split a mapped frame into good rows and quarantined rows, each with its reasons.

Two steps, and neither silently drops or coerces a value:

1. *parse* (:mod:`datasources.parsing`): text is turned into the contract's types. A value that
   does not parse is a quarantine reason (``reported_at 无法解析: '2019/13/45'``), never NaT.
2. *check*: a pandera schema checks nulls, allowed codes, ranges, duplicate keys and the rules that
   span columns (closed_at before reported_at, timestamps in the future, …).

Every quarantined row keeps its original values and gets every reason it broke, in Chinese. A line a
reader could not split into fields (a CSV line with an unquoted comma) arrives as an empty row listed
in the frame's ``attrs[REJECTED]``; it is quarantined with the reader's reason (naming the line) and
the raw line in ``_raw``. ``_row`` is always the row's 1-based position in the frame read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from datasources.contracts import (CONTRACTS, PAST_SKEW, PLAN_HORIZON, RAW, REASON, REJECTED, REQUIRED, ROW,
                                   Contract, ContractError)
from datasources.parsing import KIND_ZH, parse_column


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



def _schema(contract: Contract, now: datetime, required: frozenset[str]) -> pa.DataFrameSchema:
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
            nullable=not (col.required or col.name in required), checks=checks, unique=unique,
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


def validate(dataset: str, frame: pd.DataFrame, *, date_format: str | list[str] = "", now: datetime | None = None,
             bbox: tuple[float, float, float, float] | None = None) -> ValidationResult:
    """Split ``frame`` (already mapped onto the contract's column names) into good and quarantined rows.

    ``date_format`` is the source's layout or list of layouts, tried before the common ones
    (:mod:`datasources.dates`). ``bbox`` (min_lon, min_lat, max_lon, max_lat) quarantines incident
    coordinates outside the city, which is how placeholder coordinates from a hotline export are caught.
    """
    contract = CONTRACTS[dataset]
    rejected = frame.attrs.get(REJECTED, ())
    required = frozenset(frame.attrs.get(REQUIRED, ()))
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
    typed, failures = {}, {}
    for col in contract.columns:
        values, failed = parse_column(original[col.name], col, date_format)
        typed[col.name] = values
        if failed.any():
            failures[col.name] = failed
            raw = original[col.name][failed].astype(str)
            reason_parts.append(pd.Series(
                f"{col.name} 无法解析为{KIND_ZH[col.kind]}: '" + raw + "'", index=raw.index))
    typed = pd.DataFrame(typed, index=index)

    # 2. check with pandera (nulls, codes, ranges, keys, future timestamps)
    try:
        _schema(contract, now, required).validate(typed, lazy=True)
    except SchemaErrors as exc:
        reason_parts.extend(_schema_reasons(contract, typed, exc.failure_cases, failures))
    #    … and the rules that span columns, vectorised; a value that did not parse already has its
    #    reason, and is not also "empty" to a rule that reads it
    for rule in contract.rules:
        bad = rule.bad(typed).fillna(False).astype(bool)
        for name in rule.reads:
            if name in failures:
                bad &= ~failures[name]
        if bad.any():
            reason_parts.append(pd.Series(rule.reason, index=index[bad.to_numpy()]))
    if bbox is not None and {"lon", "lat"} <= set(typed.columns):
        reason_parts.append(_outside(typed, bbox))
    return _split(contract, original, typed, reason_parts, rejected)


def _schema_reasons(contract: Contract, typed: pd.DataFrame, cases: pd.DataFrame,
                    failures: dict[str, pd.Series]) -> list[pd.Series]:
    parts = []
    cases = cases[cases["index"].notna()]
    if failures:  # an unparsed value is not also "empty"
        echo = [k == "not_nullable" and c in failures and bool(failures[c].iat[int(i)])
                for c, k, i in zip(cases["column"], cases["check"], cases["index"])]
        cases = cases[~np.array(echo, dtype=bool)]
    composite = cases["check"].astype(str) == "multiple_fields_uniqueness"
    if composite.any():  # one reason per row for a repeated key, not one per key column
        rows = cases.loc[composite, "index"].astype("int64").unique()
        key = ", ".join(contract.key)
        parts.append(pd.Series(
            [f"（{key}）组合重复: (" + ", ".join(_fmt(typed.at[i, c]) for c in contract.key) + ")" for i in rows],
            index=rows))
        cases = cases[~composite]
    if len(cases):
        texts = [_reason(contract, c, k, v) for c, k, v in
                 zip(cases["column"], cases["check"].astype(str), cases["failure_case"])]
        per_row = pd.Series(texts, index=cases["index"].astype("int64").to_numpy())
        parts.append(per_row.groupby(level=0).agg("；".join))
    return parts


def _outside(typed: pd.DataFrame, bbox: tuple[float, float, float, float]) -> pd.Series:
    min_lon, min_lat, max_lon, max_lat = bbox
    has = typed["lon"].notna() & typed["lat"].notna()
    outside = has & ~typed["lon"].between(min_lon, max_lon)
    outside |= has & ~typed["lat"].between(min_lat, max_lat)
    sub = typed[outside]
    return pd.Series("坐标超出城市范围（可能为占位值）: (" + sub["lon"].astype(str) + ", " + sub["lat"].astype(str) + ")",
                     index=sub.index, dtype=object)


def _split(contract: Contract, original: pd.DataFrame, typed: pd.DataFrame, reason_parts: list[pd.Series],
           rejected: tuple[tuple[int, str, str], ...]) -> ValidationResult:
    reason_parts = [p for p in reason_parts if len(p)]
    reasons = pd.concat(reason_parts).groupby(level=0, sort=True).agg("；".join) if reason_parts \
        else pd.Series(dtype=object)
    raw = None
    if rejected:
        # a line the reader could not split is an empty row here: its one reason is why, not "为空"
        spots = np.array([row for row, _, _ in rejected], dtype="int64") - 1
        reasons = pd.concat([reasons.drop(index=spots, errors="ignore"),
                             pd.Series([reason for _, reason, _ in rejected], index=spots)]).sort_index()
        raw = pd.Series([line for _, _, line in rejected], index=spots)
    if not len(reasons):
        return ValidationResult(contract.dataset, typed, _empty_quarantine(contract))
    bad_rows = reasons.index
    quarantined = original.loc[bad_rows].astype(str).where(original.loc[bad_rows].notna(), "")
    quarantined.insert(0, REASON, reasons.loc[bad_rows])
    quarantined.insert(0, ROW, (bad_rows + 1).astype("int64"))
    if raw is not None:  # the whole line as the file had it, for the rows that never split
        quarantined[RAW] = raw.reindex(bad_rows).fillna("")
    good = typed.drop(index=bad_rows).reset_index(drop=True)
    return ValidationResult(contract.dataset, good, quarantined.sort_values(ROW).reset_index(drop=True), reasons)


def _empty_quarantine(contract: Contract) -> pd.DataFrame:
    return pd.DataFrame(columns=[ROW, REASON, *contract.names])
