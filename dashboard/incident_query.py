"""The /incidents drill-down's typed query: what the URL selects, read with Chinese notices.

``/incidents?region=…&period=…&from=…&to=…&category=…&source=…&status=…&sort=…&page=…`` (and
``weekday`` / ``hour`` from a cell of the wall's heatmap). Every value is checked against what the
published frames hold (:class:`Choices`); a bad one falls back to its default with a notice, so
the page shows the default view and says what it ignored (dashboard/query_params.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from dashboard import formatting as fmt
from dashboard import query_params as qp

#: the period choices: URL value → label
PERIODS: dict[str, str] = {"today": "今日", "7d": "近7日", "30d": "近30日", "month": "本月", "quarter": "本季度",
                           "year": "本年", "range": "自定义"}
DEFAULT_PERIOD = "30d"  # the wall's incident panels' period
EARLIEST = date(2000, 1, 1)
#: the table's sortable columns: URL value → column of the detail frame
SORTABLE = ("reported_at", "incident_id", "district_id", "street_id", "grid_id", "category", "source", "status",
            "deadline_at", "closed_at", "handling_hours")
DEFAULT_SORT = "reported_at:desc"
MAX_PAGE = 100_000


@dataclass(frozen=True)
class IncidentQuery:
    """One view of /incidents. ``region`` None is 全市; ``start``/``end`` are the inclusive first and
    last day when ``period`` is "range"."""
    region: str | None = None
    period: str = DEFAULT_PERIOD
    start: date | None = None
    end: date | None = None
    category: str | None = None
    source: str | None = None
    status: str | None = None
    weekday: int | None = None
    hour: int | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    def days(self, today: date) -> tuple[date, date]:
        """The first and last day (inclusive) of the period, anchored on ``today``."""
        return period_days(self.period, today, self.start, self.end)

    def search(self, **changes) -> str:
        """The URL query of this view (with ``changes``): defaults are left out, so equal views have
        equal URLs."""
        q = replace(self, **changes) if changes else self
        params = {"region": q.region, "period": None if q.period == DEFAULT_PERIOD else q.period,
                  "from": q.start.isoformat() if q.period == "range" and q.start else None,
                  "to": q.end.isoformat() if q.period == "range" and q.end else None,
                  "category": q.category, "source": q.source, "status": q.status,
                  "weekday": q.weekday, "hour": q.hour,
                  "sort": None if q.sort == DEFAULT_SORT else q.sort, "page": None if q.page == 1 else q.page}
        text = urlencode({k: v for k, v in params.items() if v is not None})
        return f"?{text}" if text else ""

    def href(self, **changes) -> str:
        return "/incidents" + self.search(**changes)


@dataclass(frozen=True)
class Choices:
    """What a query may select: the regions (id → level), and the values the frames hold."""
    regions: dict[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def period_days(period: str, today: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """First and last day (inclusive): 近 n 日 is today and the n − 1 days before (dashboard/periods.py);
    本月 / 本季度 / 本年 run from their first day to today."""
    if period == "range" and start and end:
        return start, end
    if period == "today":
        return today, today
    if period == "7d":
        return today - timedelta(days=6), today
    if period == "month":
        return today.replace(day=1), today
    if period == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if period == "year":
        return date(today.year, 1, 1), today
    return today - timedelta(days=29), today


def period_label(query: IncidentQuery, today: date) -> str:
    """'近30日（2026-11-02 至 2026-12-01）'."""
    first, last = query.days(today)
    label = PERIODS.get(query.period, "")
    span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
    return f"{label}（{span}）"


def parse_query(raw: dict, choices: Choices, today: date) -> tuple[IncidentQuery, list[str]]:
    """The query of a URL (``raw``: Dash's query dict), and the Chinese notices of its bad values."""
    notices: list[str] = []
    region = qp.choice(raw.get("region"), choices.regions, None, "区域", notices)
    period = qp.choice(raw.get("period"), PERIODS, DEFAULT_PERIOD, "统计期", notices)
    start = qp.day(raw.get("from"), None, "起始日期", notices, earliest=EARLIEST, latest=today)
    end = qp.day(raw.get("to"), None, "截止日期", notices, earliest=EARLIEST, latest=today)
    if start and end and start <= end:
        period = "range"
    elif start or end or period == "range":
        notices.append(f"起始日期 {start.isoformat()} 晚于截止日期 {end.isoformat()}，已显示默认统计期" if start and end
                       else "自定义统计期需同时给出有效的起始日期 from 与截止日期 to，已显示默认统计期")
        period, start, end = (DEFAULT_PERIOD if period == "range" else period), None, None
    weekday = _optional_number(raw.get("weekday"), "星期", 0, 6, notices)
    hour = _optional_number(raw.get("hour"), "小时", 0, 23, notices)
    sort = qp.choice(raw.get("sort"), [f"{c}:{d}" for c in SORTABLE for d in ("asc", "desc")], DEFAULT_SORT, "排序",
                     notices)
    return IncidentQuery(
        region=region, period=period, start=start, end=end,
        category=qp.choice(raw.get("category"), choices.categories, None, "事件分类", notices),
        source=qp.choice(raw.get("source"), choices.sources, None, "事件来源", notices),
        status=qp.choice(raw.get("status"), choices.statuses, None, "办理状态", notices),
        weekday=weekday, hour=hour, sort=sort,
        page=qp.whole_number(raw.get("page"), 1, "页码", notices, low=1, high=MAX_PAGE),
    ), notices


def _optional_number(raw, label: str, low: int, high: int, notices: list[str]) -> int | None:
    """An optional whole number in [low, high]; anything else is ignored with a notice."""
    if raw in (None, ""):
        return None
    seen: list[str] = []
    value = qp.whole_number(raw, -1, label, seen, low=low, high=high)
    if seen:
        notices.append(f"{label}「{qp.shown(raw)}」应为 {low}–{high} 的整数，已忽略")
        return None
    return value


def weekday_hour_label(query: IncidentQuery) -> str:
    """'周一 9 时' for a heatmap cell's selection; '' without one."""
    parts = [fmt.WEEKDAYS_SHORT[query.weekday] if query.weekday is not None else "",
             f"{query.hour} 时" if query.hour is not None else ""]
    return " ".join(p for p in parts if p)
