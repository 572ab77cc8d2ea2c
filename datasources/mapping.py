"""Map a source's own column names and code values onto a dataset contract, by configuration.

Only names and codes change here, plus the values the configuration builds: composite keys (dept +
name) and values pulled out of free text (``extract``). Values stay raw (text or numbers as the
source gave them): typing, range checks and quarantine are the contract's job
(:func:`datasources.contracts.validate`). Missing contract columns are not invented either: a
required one the file cannot feed is a SourceError naming the file's own headers.
"""
from __future__ import annotations

import difflib
import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from datasources.adapters import SourceError
from datasources.contracts import CONTRACTS
from datasources.contracts import REJECTED, REQUIRED
from datasources.parsing import HALFWIDTH, halfwidth

if TYPE_CHECKING:
    from dashboard.settings import ExtractRule, SourceSettings


def code_text(value: Any) -> str | None:
    """A code as text, so 1, "1", 1.0 and Decimal("1") all compare equal to the config key "1"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating, Decimal)):
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            return None
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()  # TOML keys would say "true" / "false"
    return str(value).strip()


def _code_texts(column: pd.Series) -> pd.Series:
    """Vectorised :func:`code_text` for the common dtypes; falls back to per-value for objects."""
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return column.astype("int64").astype(str).astype(object)
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        return column.str.strip().astype(object).where(column.notna(), None)
    return column.map(code_text).astype(object)


def _coalesce(frame: pd.DataFrame, target: str, sources: list[str]) -> pd.Series:
    """Several source columns feed one contract column (aliases such as 受理时间 / created_date,
    typically from files with different headers concatenated): the first non-empty value wins,
    but two different values in one row are a conflict we refuse to resolve silently."""
    result = frame[sources[0]].astype(object)
    for name in sources[1:]:
        other = frame[name].astype(object)
        both = result.notna() & other.notna()
        clash = both & (result.map(code_text) != other.map(code_text))
        if clash.any():
            row = int(np.flatnonzero(clash.to_numpy())[0]) + 1
            raise ValueError(
                f"列「{sources[0]}」与「{name}」都映射到 {target}，但第 {row} 行取值不同: "
                f"{result[clash].iloc[0]!r} ≠ {other[clash].iloc[0]!r}")
        result = result.where(result.notna(), other)
    return result


def _as_list(targets: str | list[str]) -> list[str]:
    return [targets] if isinstance(targets, str) else list(targets)


def _nearest(name: str, headers: list[str]) -> str:
    close = difflib.get_close_matches(name, headers, n=1, cutoff=0.5)
    return f"，最接近的是「{close[0]}」" if close else ""


def _headers_note(headers: list[str]) -> str:
    shown = ", ".join(headers[:40]) + (f" 等 {len(headers)} 列" if len(headers) > 40 else "")
    return f"文件的列: {shown or '（无）'}"


def _require_columns(frame: pd.DataFrame, source: SourceSettings) -> None:
    """Every source column the config reads must exist; the error names the nearest header."""
    headers = list(frame.columns)
    wanted = [(rule.from_, f"extract（{rule.column}）") for rule in source.extract]
    wanted += [(parts, f"composite（{target}）") for target, parts in source.composite.items()]
    for columns, use in wanted:
        absent = [c for c in columns if c not in frame.columns]
        if absent and (use.startswith("composite") or len(absent) == len(columns)):
            raise SourceError(source.name, f"{use} 读取的列「{absent[0]}」在文件中不存在"
                                           f"{_nearest(absent[0], headers)}；{_headers_note(headers)}")


def require_contract_columns(source: SourceSettings, out: pd.DataFrame, headers: list[str]) -> None:
    """A required contract column that the mapped frame ``out`` lacks is a SourceError naming, for
    each, the configured source column and the nearest of the file's own ``headers``."""
    contract = CONTRACTS[source.dataset]
    missing = [c.name for c in contract.columns if c.required and c.name not in out.columns]
    if not missing:
        return
    mapped_from: dict[str, list[str]] = {}
    for src, targets in source.columns.items():
        for target in _as_list(targets):
            mapped_from.setdefault(target, []).append(src.strip())
    notes = []
    for name in missing:
        if name in mapped_from:
            src = mapped_from[name][0]
            notes.append(f"{name}（配置 columns 映射自「{src}」，文件中没有这一列{_nearest(src, headers)}）")
        else:
            notes.append(f"{name}（配置中未映射{_nearest(name, headers)}）")
    raise SourceError(source.name, f"的{contract.label or source.dataset}数据缺少必需列: {'；'.join(notes)}。"
                                   f"{_headers_note(headers)}；请在配置 columns 中映射")


def _extract(frame: pd.DataFrame, rule: ExtractRule) -> pd.Series:
    """The first match of ``rule.pattern`` in the rule's columns, in order, recoded by its values."""
    pattern = rule.pattern if re.compile(rule.pattern).groups else f"({rule.pattern})"
    found = pd.Series(None, index=frame.index, dtype=object)
    for name in rule.from_:
        if name not in frame.columns:
            continue
        still = found.isna()
        if not still.any():
            break
        hit = frame.loc[still, name].astype("str").str.extract(pattern, expand=False)
        found = found.where(~still, hit.astype(object).reindex(frame.index))
    if rule.values:
        recoded = found.map(rule.values)
        found = found.where(recoded.isna(), recoded)
    return found.where(found.notna(), None)


def _composite(frame: pd.DataFrame, parts: list[str], separator: str) -> pd.Series:
    """Several source columns joined into one key (dept + name); empty when any part is empty."""
    texts = [_code_texts(frame[p]) for p in parts]
    joined = texts[0].astype(str)
    for text in texts[1:]:
        joined = joined + separator + text.astype(str)
    empty = pd.concat([t.isna() for t in texts], axis=1).any(axis=1)
    return joined.astype(object).where(~empty, None)


def apply_mapping(frame: pd.DataFrame, source: SourceSettings) -> pd.DataFrame:
    """Rename by ``source.columns``, build ``composite`` keys, pull ``extract`` values out of text,
    recode by ``source.values``, add ``source.constants``, and keep only the contract's columns (in
    contract order) that are present. A column that ``extract`` or ``composite`` reads and the file
    lacks is a SourceError naming the nearest header; :func:`require_contract_columns` checks the
    result for the contract's required columns."""
    contract_names = CONTRACTS[source.dataset].names
    # Headers from spreadsheets may be numbers or carry stray spaces; config keys are plain text.
    frame = frame.rename(columns=lambda c: str(c).strip())
    _require_columns(frame, source)

    # rename: a mapped column wins over a same-named unmapped one (e.g. an export with both
    # "status" (free text) and "SRStatus" (the code) where the config picks SRStatus). One source
    # column may feed several contract columns.
    feeds: dict[str, list[str]] = {}
    for src, targets in source.columns.items():
        for dst in _as_list(targets):
            if src.strip() in frame.columns and dst in contract_names:
                feeds.setdefault(dst, []).append(src.strip())
    columns: dict[str, pd.Series] = {}
    for name in contract_names:
        if name in feeds:
            sources = feeds[name]
            columns[name] = frame[sources[0]] if len(sources) == 1 else _coalesce(frame, name, sources)
        elif name in frame.columns:
            columns[name] = frame[name]
    for target, parts in source.composite.items():
        columns[target] = _composite(frame, parts, source.composite_separator)
    for rule in source.extract:  # fills what the column lacks, or the whole column when there is none
        found = _extract(frame, rule)
        columns[rule.column] = found if rule.column not in columns else \
            columns[rule.column].astype(object).where(columns[rule.column].notna(), found)
    out = pd.DataFrame(columns, index=frame.index)

    # recode: unmapped codes pass through unchanged so the contract quarantines them with the
    # original value in the reason, instead of us turning them into nulls.
    for column, codes in source.values.items():
        if column not in out.columns or not codes:
            continue
        lookup = {str(k).strip().translate(HALFWIDTH): v for k, v in codes.items()}
        mapped = halfwidth(_code_texts(out[column])).map(lookup)  # a code typed in full width (２) is the code
        hit = mapped.notna()
        if hit.any():
            out[column] = out[column].astype(object).where(~hit, mapped)

    # constants fill a column the source lacks, and never overwrite one it has: a constant is a
    # default for missing information, and overwriting real values would silently coerce them.
    for column, value in source.constants.items():
        if column not in out.columns:
            out[column] = pd.Series([value] * len(out), index=out.index, dtype=object)

    out = out[[c for c in contract_names if c in out.columns]].reset_index(drop=True)
    if REJECTED in frame.attrs:  # lines the reader set aside travel on to validation
        out.attrs[REJECTED] = frame.attrs[REJECTED]
    if source.required:
        out.attrs[REQUIRED] = tuple(source.required)
    return out
