"""Step 1 of validation: text from a CSV, XLSX, JSON or SQL source → the contract's types.

A value that does not parse is reported back as a failure (the contract quarantines it with
``reported_at 无法解析…``), never silently turned into a null.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasources.arrowtext import already_stripped, arrow_cast
from datasources.contracts import Col
from datasources.dates import parse_datetimes, to_local

_TRUE = {"true", "1", "1.0", "是", "y", "yes", "t", "已挂接", "已联通", "已接入"}
_FALSE = {"false", "0", "0.0", "否", "n", "no", "f", "未挂接", "未联通", "未接入"}

#: full-width ASCII (U+FF01–U+FF5E) and the ideographic space, as a Chinese input method types them
HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULLWIDTH = "[\uff01-\uff5e\u3000]"

KIND_ZH = {"int": "整数", "float": "数字", "bool": "是/否", "datetime": "日期时间", "date": "日期", "str": "文本"}


def as_text(s: pd.Series) -> pd.Series:
    """Values as stripped text, blanks missing. Ids and codes from Excel keep no '.0' (12.0 → '12')."""
    if pd.api.types.is_float_dtype(s.dtype):
        integral = s.notna() & (s == np.floor(s.fillna(0)))
        out = s.astype("str")
        out[integral] = s[integral].astype("int64").astype("str")
        return out
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.astype("str")
    stripped = s if already_stripped(s) else s.str.strip()
    blank = (stripped == "").to_numpy(dtype=bool, na_value=False)
    return stripped.where(~blank) if blank.any() else stripped  # no copy of a column without blanks


def halfwidth(text: pd.Series) -> pd.Series:
    """Full-width digits, letters and signs as half-width (２０２４／７／２ → 2024/7/2), for the cells
    that have any; the others (nearly always all of them) are left as they are, without a copy."""
    cells = pa.array(text, from_pandas=True)
    if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)) or pc.all(pc.string_is_ascii(cells)).as_py() is not False:
        return text  # Arrow checks the cells in C (a Python regex per cell costs ~1 s a million)
    has = pc.fill_null(pc.match_substring_regex(cells, _FULLWIDTH), False).to_numpy(zero_copy_only=False)
    if not has.any():
        return text
    return text.astype(object).where(~has, text[has].astype(object).str.translate(HALFWIDTH))


def parse_column(s: pd.Series, col: Col, date_format: str | list[str] = "") -> tuple[pd.Series, pd.Series]:
    """→ (typed values, mask of values present in the source that failed to parse)."""
    no_failures = pd.Series(False, index=s.index)
    if col.kind in ("int", "float") and pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype("float64")
        failed = no_failures
    elif col.kind in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = (to_local(s) if getattr(s.dt, "tz", None) is not None else s).astype("datetime64[us]")
        failed = no_failures
    elif col.kind == "bool" and pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), no_failures
    else:
        text = as_text(s)
        if col.kind == "str":
            return text, no_failures
        typed = halfwidth(text)  # a number or a date typed in full width is the same number or date
        if col.kind in ("int", "float"):
            out = arrow_cast(typed, pa.float64())
            if out is None:
                out = pd.to_numeric(typed, errors="coerce").astype("float64")
        elif col.kind == "bool":
            lower = typed.str.lower()
            out = pd.Series(pd.NA, index=s.index, dtype="boolean")
            out[lower.isin(_TRUE)] = True
            out[lower.isin(_FALSE)] = False
        else:
            out = parse_datetimes(typed, date_format)
        failed = text.notna() & out.isna()
    if col.kind == "int":
        fractional = out.notna() & (out != np.floor(out.fillna(0)))
        failed = failed | fractional
        out = out.where(~fractional)
        out = out.astype("int64") if out.notna().all() else out.astype("Int64")
    if col.kind == "date":
        out = out.dt.normalize()
    return out, failed
