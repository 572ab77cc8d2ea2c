"""Timestamps from department exports: each cell parsed by the first layout that fits it.

One column often mixes layouts (``2024/7/26 10:17:00`` next to ``2024年6月30日 06:44``, typed by
different clerks or merged from two systems). The layouts a source configures come first, then the
common Chinese government layouts. Each layout is one vectorised pass over the cells still unparsed,
so a column in one layout costs one ``pd.to_datetime``; a cell no layout fits stays NaT, and the
contract quarantines it as 无法解析.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

#: ISO 8601 (``2024-07-26T10:17:00+08:00``); offsets are converted to local wall-clock time.
ISO = "ISO8601"
#: Excel serial day numbers (45499 = 2024-07-26, 45499.5 = noon), as CSVs saved from Excel carry them.
EXCEL = "excel"

#: The layouts tried after a source's own, in this order. ``%m`` / ``%d`` / ``%H`` accept one digit.
COMMON_LAYOUTS = (
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    ISO,
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M:%S", "%Y年%m月%d日%H:%M", "%Y年%m月%d日",
    "%Y%m%d",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    EXCEL,
)

# Excel serials read as dates only between 1930 and 2100: a count such as 12 in a date column
# is a shifted field, not 1900-01-12.
_EXCEL_RANGE = (10959, 73051)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_UTC_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def layouts_for(configured: str | list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """The configured layout(s) first, then :data:`COMMON_LAYOUTS` not already named."""
    first = [configured] if isinstance(configured, str) else list(configured)
    first = [f for f in first if f]
    return tuple(first) + tuple(f for f in COMMON_LAYOUTS if f not in first)


def to_local(aware: pd.Series) -> pd.Series:
    """Offset-aware timestamps → naive local time (the machine's zone, which ``datetime.now()`` uses)."""
    return aware.dt.tz_convert(datetime.now().astimezone().tzinfo).dt.tz_localize(None).astype("datetime64[us]")


def _one_layout(text: pd.Series, layout: str) -> pd.Series:
    """Parse ``text`` with one layout; cells that do not fit it are NaT."""
    if layout == EXCEL:
        serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(?:\.\d+)?")), errors="coerce")
        serial = serial.where(serial.between(*_EXCEL_RANGE))
        return (_EXCEL_EPOCH + pd.to_timedelta(serial.astype("float64"), unit="D")).dt.round("s")
    if layout == ISO:
        aware = text.str.contains(_UTC_OFFSET, na=False)
        if aware.any():
            local = pd.to_datetime(text.where(~aware), format=ISO, errors="coerce").astype("datetime64[us]")
            # times with an offset (JSON "+08:00", timestamptz) become local wall-clock time, the time
            # the wall and every period ("今日") use; times without one are local already
            shifted = to_local(pd.to_datetime(text.where(aware), format=ISO, errors="coerce", utc=True))
            return local.where(~aware, shifted)
    return pd.to_datetime(text, format=layout, errors="coerce")


def parse_datetimes(text: pd.Series, configured: str | list[str] | tuple[str, ...] = ()) -> pd.Series:
    """Stripped text (missing = NA) → naive ``datetime64[us]``; a cell no layout fits is NaT."""
    values = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    positions = np.flatnonzero(text.notna().to_numpy())
    pending = text.iloc[positions]
    for layout in layouts_for(configured):
        if not len(positions):
            break
        got = _one_layout(pending, layout).to_numpy(dtype="datetime64[us]")
        hit = ~np.isnat(got)
        if hit.any():
            values[positions[hit]] = got[hit]
            positions, pending = positions[~hit], pending[~hit]
    return pd.Series(values, index=text.index)
