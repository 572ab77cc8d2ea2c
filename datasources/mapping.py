"""Map a source's own column names and code values onto a dataset contract, by configuration.

Only names and codes change here. Values stay raw (text or numbers as the source gave them):
typing, range checks and quarantine are the contract's job (:func:`datasources.contracts.validate`).
Missing contract columns are not invented either; ``validate`` names them in a ContractError.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from datasources.contracts import CONTRACTS

if TYPE_CHECKING:
    from dashboard.settings import SourceSettings


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


def apply_mapping(frame: pd.DataFrame, source: SourceSettings) -> pd.DataFrame:
    """Rename by ``source.columns``, recode by ``source.values``, add ``source.constants``, and
    keep only the contract's columns (in contract order) that are present."""
    contract_names = CONTRACTS[source.dataset].names
    # Headers from spreadsheets may be numbers or carry stray spaces; config keys are plain text.
    frame = frame.rename(columns=lambda c: str(c).strip())

    # rename: a mapped column wins over a same-named unmapped one (e.g. an export with both
    # "status" (free text) and "SRStatus" (the code) where the config picks SRStatus).
    feeds: dict[str, list[str]] = {}
    for src, dst in source.columns.items():
        if src.strip() in frame.columns and dst in contract_names:
            feeds.setdefault(dst, []).append(src.strip())
    columns: dict[str, pd.Series] = {}
    for name in contract_names:
        if name in feeds:
            sources = feeds[name]
            columns[name] = frame[sources[0]] if len(sources) == 1 else _coalesce(frame, name, sources)
        elif name in frame.columns:
            columns[name] = frame[name]
    out = pd.DataFrame(columns, index=frame.index)

    # recode: unmapped codes pass through unchanged so the contract quarantines them with the
    # original value in the reason, instead of us turning them into nulls.
    for column, codes in source.values.items():
        if column not in out.columns or not codes:
            continue
        lookup = {str(k).strip(): v for k, v in codes.items()}
        mapped = _code_texts(out[column]).map(lookup)
        hit = mapped.notna()
        if hit.any():
            out[column] = out[column].astype(object).where(~hit, mapped)

    # constants fill a column the source lacks, and never overwrite one it has: a constant is a
    # default for missing information, and overwriting real values would silently coerce them.
    for column, value in source.constants.items():
        if column not in out.columns:
            out[column] = pd.Series([value] * len(out), index=out.index, dtype=object)

    return out[[c for c in contract_names if c in out.columns]].reset_index(drop=True)
