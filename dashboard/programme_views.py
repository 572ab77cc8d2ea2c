"""Selections of the programme drill-downs /sharing, /department/<id> and /exchange: typed queries
read from the URL (with Chinese notices for bad values, dashboard/query_params.py) and small pure
functions from published frames to the view models the page layouts draw.

They pick and join rows of frames the pullers aggregated (dashboard/frames.py); none groups raw rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard import query_params as qp
from dashboard.scoreboard import light

#: the /sharing ranking's light filter: code → label
LIGHT_FILTERS = {"all": "全部", "red": "红灯", "yellow": "黄灯", "green": "绿灯"}
LIGHT_OF_FILTER = {"red": "红", "yellow": "黄", "green": "绿"}
#: /exchange's period: code → (label, days or None for all)
EXCHANGE_PERIODS = {"30": ("近30日", 30), "90": ("近90日", 90), "365": ("近一年", 365), "all": ("全部", None)}
TOP_PAIRS = 15


def department_names(departments: pd.DataFrame | None) -> dict[str, str]:
    """dept_id → name, in dept_id order."""
    if not isinstance(departments, pd.DataFrame) or "dept_id" not in departments.columns:
        return {}
    frame = departments.sort_values("dept_id")
    return dict(zip(frame["dept_id"].astype(str), frame["name"].astype(str)))


def series_of(history: pd.DataFrame | None, indicator_id: str, dept_id: str | None = None) -> pd.DataFrame:
    """(date, value) of one indicator from indicator_history, or of one department from
    department_history (``dept_id``), oldest first."""
    if not isinstance(history, pd.DataFrame) or history.empty:
        return pd.DataFrame({"date": pd.DatetimeIndex([]), "value": []})
    rows = history[history["indicator_id"] == indicator_id]
    if dept_id is not None:
        rows = rows[rows["dept_id"].astype(str) == str(dept_id)]
    return rows[["date", "value"]].assign(date=pd.to_datetime(rows["date"])).sort_values("date").reset_index(drop=True)


# ---- /sharing ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SharingQuery:
    light: str = "all"  # LIGHT_FILTERS

    @classmethod
    def from_url(cls, query: dict, notices: list[str]) -> "SharingQuery":
        return cls(qp.choice(query.get("light"), LIGHT_FILTERS, "all", "信号灯", notices))


@dataclass(frozen=True)
class RateCard:
    indicator_id: str
    value: float | None
    trend: pd.DataFrame  # date, value


@dataclass(frozen=True)
class SharingView:
    query: SharingQuery
    cards: list[RateCard]
    ranking: pd.DataFrame  # rank, dept_id, name, resources, shared, sharing_rate, 汇聚率 columns, light
    green_at: float
    yellow_at: float
    counts: dict[str, int] = field(default_factory=dict)  # light → departments


SHARING_CARDS = ("sharing_rate", "gov_aggregation_rate", "city_aggregation_rate")


def sharing_view(summary: pd.DataFrame | None, by_dept: pd.DataFrame | None, departments: pd.DataFrame | None,
                 history: pd.DataFrame | None, scoreboard_settings, query: SharingQuery) -> SharingView:
    """The city's three rates with their trends, and every department with a catalog ranked by its
    sharing rate (best first), its light against the [scoreboard] thresholds, filtered by light."""
    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) and len(summary) else {}
    cards = [RateCard(k, _number(row.get(k)) if len(row) else None, series_of(history, k)) for k in SHARING_CARDS]
    names = department_names(departments)
    columns = ["rank", "dept_id", "name", "resources", "shared", "sharing_rate", "gov_aggregation_rate",
               "city_aggregation_rate", "light"]
    if not isinstance(by_dept, pd.DataFrame) or by_dept.empty:
        return SharingView(query, cards, pd.DataFrame(columns=columns), scoreboard_settings.green_at,
                           scoreboard_settings.yellow_at)
    ranking = by_dept.sort_values(["sharing_rate", "resources", "dept_id"], ascending=[False, False, True]).copy()
    ranking["dept_id"] = ranking["dept_id"].astype(str)
    ranking["name"] = [names.get(d, d) for d in ranking["dept_id"]]
    ranking["rank"] = ranking["sharing_rate"].rank(method="min", ascending=False).astype("Int64")
    ranking["light"] = [light(v, scoreboard_settings.green_at, scoreboard_settings.yellow_at)
                        for v in ranking["sharing_rate"]]
    counts = ranking["light"].value_counts().to_dict()
    if query.light != "all":
        ranking = ranking[ranking["light"] == LIGHT_OF_FILTER[query.light]]
    return SharingView(query, cards, ranking[columns].reset_index(drop=True), scoreboard_settings.green_at,
                       scoreboard_settings.yellow_at, counts)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# ---- /department/<id> ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DepartmentView:
    dept_id: str
    name: str
    share_types: pd.DataFrame  # share_type, resources
    mounting: pd.DataFrame  # data_class, mounted, not_mounted
    items: pd.DataFrame  # resource_id, name, data_class, share_type, mounted
    given: pd.DataFrame  # partner_id, partner, records (this department → partner), 近30日
    received: pd.DataFrame  # partner_id, partner, records (partner → this department), 近30日
    trend: pd.DataFrame  # date, value: its sharing rate from department_history
    rates: dict[str, float | None]
    systems: pd.DataFrame  # system_id, name, status, exempt_approved, planned_date, migrated_date, overdue
    system_counts: dict[str, int]


def pick_department(raw, names: dict[str, str], notices: list[str]) -> str | None:
    """The department a /department/<id> URL names; an unknown one gives the first department."""
    return qp.choice(raw, names, next(iter(names), None), "部门", notices)


def department_view(dept_id: str, names: dict[str, str], catalog_by_dept: pd.DataFrame | None,
                    items: pd.DataFrame | None, pairs_30d: pd.DataFrame | None, history: pd.DataFrame | None,
                    systems: pd.DataFrame | None, systems_by_dept: pd.DataFrame | None) -> DepartmentView:
    row = _row_of(catalog_by_dept, dept_id)
    share_types = pd.DataFrame({"share_type": ["无条件共享", "有条件共享", "不予共享"],
                                "resources": [int(row.get(k, 0) or 0) for k in ("unconditional", "conditional",
                                                                               "not_shared")]})
    mounting = pd.DataFrame([{"data_class": cls, "mounted": int(row.get(f"{key}_mounted", 0) or 0),
                              "not_mounted": int(row.get(f"{key}_resources", 0) or 0)
                              - int(row.get(f"{key}_mounted", 0) or 0)} for cls, key in (("政务", "gov"), ("城市", "city"))])
    own_items = _rows(items, "dept_id", dept_id)
    given = _partners(pairs_30d, "provider_dept", "consumer_dept", dept_id, names)
    received = _partners(pairs_30d, "consumer_dept", "provider_dept", dept_id, names)
    own_systems = _rows(systems, "dept_id", dept_id)
    system_row = _row_of(systems_by_dept, dept_id)
    rates = {"sharing_rate": _number(row.get("sharing_rate")) if row else None,
             "aggregation_rate": (row["gov_mounted"] + row["city_mounted"]) / row["resources"]
             if row and row.get("resources") else None,
             "cloud_migration_rate": _number(system_row.get("cloud_migration_rate")) if system_row else None}
    counts = {k: int(system_row.get(k, 0) or 0) for k in ("已上云", "迁移中", "未迁移", "暂缓", "total")}
    return DepartmentView(dept_id, names.get(dept_id, dept_id), share_types, mounting,
                          own_items.drop(columns=["dept_id"], errors="ignore"), given, received,
                          series_of(history, "sharing_rate", dept_id), rates,
                          own_systems.drop(columns=["dept_id"], errors="ignore"), counts)


def _row_of(frame: pd.DataFrame | None, dept_id: str) -> dict:
    rows = _rows(frame, "dept_id", dept_id)
    return rows.iloc[0].to_dict() if len(rows) else {}


def _rows(frame: pd.DataFrame | None, column: str, value: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return pd.DataFrame()
    return frame[frame[column].astype(str) == str(value)].reset_index(drop=True)


def _partners(pairs: pd.DataFrame | None, own: str, other: str, dept_id: str, names: dict[str, str]) -> pd.DataFrame:
    rows = _rows(pairs, own, dept_id)
    if rows.empty:
        return pd.DataFrame(columns=["partner_id", "partner", "records"])
    out = rows[[other, "records"]].rename(columns={other: "partner_id"})
    out["partner_id"] = out["partner_id"].astype(str)
    out.insert(1, "partner", [names.get(p, p) for p in out["partner_id"]])
    return out.sort_values("records", ascending=False).reset_index(drop=True)


# ---- /exchange ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExchangeQuery:
    provider: str | None = None
    consumer: str | None = None
    period: str = "90"

    @classmethod
    def from_url(cls, query: dict, names: dict[str, str], notices: list[str]) -> "ExchangeQuery":
        provider = qp.choice(query.get("provider"), names, None, "提供部门", notices)
        consumer = qp.choice(query.get("consumer"), names, None, "使用部门", notices)
        if provider is not None and provider == consumer:
            notices.append("提供部门与使用部门相同（部门内部流转不计入共享交换），已只按提供部门筛选")
            consumer = None
        return cls(provider, consumer, qp.choice(query.get("period"), EXCHANGE_PERIODS, "90", "时段", notices))


@dataclass(frozen=True)
class ExchangeView:
    query: ExchangeQuery
    daily: pd.DataFrame  # date, records, api_calls
    records: int
    api_calls: int
    pairs: pd.DataFrame  # provider_dept, provider, consumer_dept, consumer, records, api_calls (近30日, top)
    start: date | None
    end: date | None


def exchange_view(daily: pd.DataFrame | None, by_provider: pd.DataFrame | None, by_consumer: pd.DataFrame | None,
                  daily_pairs: pd.DataFrame | None, pairs_30d: pd.DataFrame | None, names: dict[str, str],
                  query: ExchangeQuery, today: date) -> ExchangeView:
    """The daily series of the selection (city, one provider, one consumer or one pair: each a
    frame the pull rolled up) over the period, its totals, and the top partner pairs of the last
    30 days among the selection."""
    q = query
    if q.provider and q.consumer:
        series = _rows(_rows(daily_pairs, "provider_dept", q.provider), "consumer_dept", q.consumer)
    elif q.provider:
        series = _rows(by_provider, "provider_dept", q.provider)
    elif q.consumer:
        series = _rows(by_consumer, "consumer_dept", q.consumer)
    else:
        series = daily if isinstance(daily, pd.DataFrame) else pd.DataFrame()
    series = series[["date", "records", "api_calls"]] if len(series) else pd.DataFrame(
        {"date": pd.DatetimeIndex([]), "records": [], "api_calls": []})
    series = series.assign(date=pd.to_datetime(series["date"])).sort_values("date")
    days = EXCHANGE_PERIODS[q.period][1]
    end = pd.Timestamp(today).normalize()
    start = end - pd.Timedelta(days=days) if days else None
    if start is not None:
        series = series[(series["date"] >= start) & (series["date"] < end)]
        # a day without exchange has no row in the per-party frames: it is a 0, not a gap
        series = series.set_index("date").reindex(pd.date_range(start, end - pd.Timedelta(days=1)), fill_value=0) \
            .rename_axis("date").reset_index()
    pairs = pairs_30d if isinstance(pairs_30d, pd.DataFrame) else pd.DataFrame(
        columns=["provider_dept", "consumer_dept", "records", "api_calls"])
    if q.provider:
        pairs = pairs[pairs["provider_dept"].astype(str) == q.provider]
    if q.consumer:
        pairs = pairs[pairs["consumer_dept"].astype(str) == q.consumer]
    pairs = pairs.sort_values("records", ascending=False).head(TOP_PAIRS).copy()
    pairs.insert(1, "provider", [names.get(str(p), str(p)) for p in pairs["provider_dept"]])
    pairs.insert(3, "consumer", [names.get(str(c), str(c)) for c in pairs["consumer_dept"]])
    first = series["date"].min() if len(series) else None
    return ExchangeView(q, series.reset_index(drop=True), int(series["records"].sum()),
                        int(series["api_calls"].sum()), pairs.reset_index(drop=True),
                        start.date() if start is not None else (first.date() if first is not None else None),
                        (end - pd.Timedelta(days=1)).date())
