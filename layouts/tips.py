"""The hover texts of the wall's numbers, from the one indicator registry (dashboard/indicators.py).

Every hover says, in this order: the number's name (and scope: 全市 or a district), its 口径
(formula, period, what is excluded), its source document and the data's as-of time. HTML panels
carry the text as ``data-tip`` (escaped by layouts/markup.py, shown by assets/wall.js); Plotly
figures add the same lines to their hover templates (:func:`plotly_lines`).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import formatting as fmt
from dashboard import periods
from dashboard.formatting import _missing
from dashboard.indicators import indicator

CITY = "全市"


def period_text(indicator_id: str, today: date | None = None, days: int | None = None) -> str:
    """The indicator's 统计期: '近30日（2026-11-02 至 2026-12-01），按受理时间 reported_at 计', or its
    own words for a value at the moment of the pull."""
    entry = indicator(indicator_id)
    days = days or entry.days
    if days is None:
        return entry.period
    return f"{periods.describe(days, today or date.today())}，{entry.period}"


def as_of_text(as_of) -> str:
    if _missing(as_of):
        return fmt.MISSING
    return fmt.moment(pd.Timestamp(as_of))[:-3]  # to the minute: '2026年12月1日 09:15'


def as_of(frame: pd.DataFrame | None):
    """The as-of time of a dataset's ``as_of`` frame (the pull that built its frames)."""
    if isinstance(frame, pd.DataFrame) and "as_of" in frame.columns and len(frame):
        return frame["as_of"].iloc[0]
    return None


def lines(indicator_id: str, *, today: date | None = None, days: int | None = None, as_of=None,
          document: str | None = None, period: str | None = None) -> list[str]:
    """口径, 统计期, 不计入, 依据 and 数据截至 lines of an indicator. ``document``: the document of a
    configured target, named as 目标依据 where the registry's documents do not already name it;
    ``period``: the 统计期 of a drill-down's own selection (本月, a date range), instead of the wall's."""
    entry = indicator(indicator_id)
    out = [f"口径：{entry.formula}", f"统计期：{period or period_text(indicator_id, today, days)}"]
    if entry.excluded:
        out.append(f"不计入：{entry.excluded}")
    out.append(f"依据：{entry.source_text()}")
    if document and document not in entry.documents:
        out.append(f"目标依据：{document}")
    out.append(f"数据截至：{as_of_text(as_of)}")
    return out


def tip(indicator_id: str, value: str | None = None, *, scope: str | None = CITY, head: str | None = None,
        details: list[str] | tuple = (), **kwargs) -> str:
    """The whole hover: '<scope> <name> <value>' (or ``head``), ``details``, then :func:`lines`."""
    entry = indicator(indicator_id)
    first = head or " ".join(part for part in (scope, entry.name, value) if part)
    return "\n".join([first, *details, *lines(indicator_id, **kwargs)])


def plotly_lines(indicator_id: str, **kwargs) -> str:
    """The same lines for a Plotly hover template, '<br>'-joined."""
    return "<br>".join(lines(indicator_id, **kwargs))
