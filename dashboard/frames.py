"""Ready-to-draw frames: what a pull publishes for each dataset, and the day's indicator values.

Callbacks never aggregate raw rows; everything a panel draws is computed here, once per pull.
``build_frames(dataset, rows, ctx)`` returns ``{frame name: DataFrame}`` and
``indicator_values(dataset, rows, ctx)`` returns ``{indicator_id: value}`` for indicator_history.
The frame names and columns are listed in FRAME_COLUMNS, the contract between pullers and layouts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from dashboard import indicators as ind
from dashboard import periods
from dashboard.incident_frames import incident_frames
from datasources.contracts import SHARED, SYSTEM_STATUSES



@dataclass
class PullContext:
    now: datetime
    regions: pd.DataFrame | None = None  # the published regions frame, for district roll-ups
    extra: dict = field(default_factory=dict)


# ---- departments / regions ---------------------------------------------------------------------

def _departments(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    return {"departments": rows.sort_values("dept_id").reset_index(drop=True)}


def region_lineage(regions: pd.DataFrame) -> pd.DataFrame:
    """Each region with its 区县 and 镇街 ancestors (district_id, street_id)."""
    parent = dict(zip(regions["region_id"], regions["parent_id"]))
    level = dict(zip(regions["region_id"], regions["level"]))

    def ancestor(rid, wanted):
        seen = 0
        while rid is not None and seen < 10:
            if level.get(rid) == wanted:
                return rid
            rid = parent.get(rid)
            seen += 1
        return None

    out = regions.copy()
    out["district_id"] = [ancestor(r, "区县") for r in out["region_id"]]
    out["street_id"] = [ancestor(r, "镇街") for r in out["region_id"]]
    return out


def _regions(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    return {"regions": region_lineage(rows).sort_values(["level", "region_id"]).reset_index(drop=True)}


# ---- catalog -------------------------------------------------------------------------------------

def _catalog(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    flags = pd.DataFrame({
        "dept_id": rows["dept_id"],
        "resources": 1,
        "shared": rows["share_type"].isin(SHARED).astype(int),
        "unconditional": (rows["share_type"] == "无条件共享").astype(int),
        "conditional": (rows["share_type"] == "有条件共享").astype(int),
        "not_shared": (rows["share_type"] == "不予共享").astype(int),
        "gov_resources": (rows["data_class"] == "政务").astype(int),
        "gov_mounted": ((rows["data_class"] == "政务") & rows["mounted"].astype(bool)).astype(int),
        "city_resources": (rows["data_class"] == "城市").astype(int),
        "city_mounted": ((rows["data_class"] == "城市") & rows["mounted"].astype(bool)).astype(int),
    })
    by_dept = flags.groupby("dept_id", as_index=False).sum()
    _add_catalog_rates(by_dept)
    by_dept = by_dept.sort_values(["sharing_rate", "resources"], ascending=[False, False]).reset_index(drop=True)
    total = by_dept.drop(columns=["dept_id"]).sum(numeric_only=True).to_frame().T
    _add_catalog_rates(total)
    summary = total.assign(
        sharing_rate=ind.sharing_rate(rows), gov_aggregation_rate=ind.gov_aggregation_rate(rows),
        city_aggregation_rate=ind.city_aggregation_rate(rows), departments=len(by_dept))
    by_type = rows.groupby(["data_class", "share_type"], as_index=False).size().rename(columns={"size": "resources"})
    items = rows[["resource_id", "dept_id", "name", "data_class", "share_type", "mounted"]].assign(
        mounted=rows["mounted"].astype(bool)).sort_values(["dept_id", "resource_id"]).reset_index(drop=True)
    return {"summary": summary, "by_dept": by_dept, "by_share_type": by_type, "items": items}


def _add_catalog_rates(frame: pd.DataFrame) -> None:
    def rate(num, den):
        return (frame[num] / frame[den].where(frame[den] > 0)).astype(float)

    frame["sharing_rate"] = rate("shared", "resources")
    frame["gov_aggregation_rate"] = rate("gov_mounted", "gov_resources")
    frame["city_aggregation_rate"] = rate("city_mounted", "city_resources")


# ---- exchange ------------------------------------------------------------------------------------

def exchange_daily(rows: pd.DataFrame, today) -> pd.DataFrame:
    """records and api_calls per calendar day from the first day with rows to today: a day without
    rows is in the frame with 0 (so 近30日 is always 30 days, :mod:`dashboard.periods`)."""
    sums = rows.groupby("date")[["records", "api_calls"]].sum()
    if sums.empty:
        return pd.DataFrame({"date": pd.DatetimeIndex([]), "records": [], "api_calls": []})
    last = max(pd.Timestamp(sums.index.max()), pd.Timestamp(today).normalize())
    days = pd.date_range(pd.Timestamp(sums.index.min()).normalize(), last, freq="D")
    daily = sums.reindex(days, fill_value=0).astype("int64").rename_axis("date").reset_index()
    return daily


def _exchange(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    daily = exchange_daily(rows, ctx.now)
    start, end = periods.last_days(periods.EXCHANGE_DAYS, ctx.now)
    recent = rows[(rows["date"] >= start) & (rows["date"] < end)]
    by_provider = (recent.groupby("provider_dept", as_index=False)[["records", "api_calls"]].sum()
                   .rename(columns={"provider_dept": "dept_id"}).sort_values("records", ascending=False))
    by_consumer = (recent.groupby("consumer_dept", as_index=False)[["records", "api_calls"]].sum()
                   .rename(columns={"consumer_dept": "dept_id"}).sort_values("records", ascending=False))
    pairs = (recent.groupby(["provider_dept", "consumer_dept"], as_index=False)[["records", "api_calls"]].sum()
             .sort_values("records", ascending=False))
    records_30d, calls_30d = ind.exchange_volume(rows, start, end)
    with_rows = rows.groupby("date")["records"].sum().sort_index()
    summary = pd.DataFrame([{
        "records_30d": records_30d, "api_calls_30d": calls_30d,
        "records_last_day": int(with_rows.iloc[-1]) if len(with_rows) else 0,
        "last_day": with_rows.index[-1] if len(with_rows) else pd.NaT,
        "active_pairs_30d": len(pairs), "records_total": int(rows["records"].sum()),
    }])
    return {"summary": summary, "daily": daily, "by_provider_30d": by_provider,
            "by_consumer_30d": by_consumer, "pairs_30d": pairs.reset_index(drop=True), **exchange_daily_by_party(rows)}


def exchange_daily_by_party(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The /exchange filters' daily series, rolled up once per pull: records and api_calls per day
    and provider, per day and consumer, and per day and pair (the contract's key: one row each)."""
    columns = ["records", "api_calls"]
    out = {}
    for name, keys in (("daily_by_provider", ["provider_dept"]), ("daily_by_consumer", ["consumer_dept"]),
                       ("daily_pairs", ["provider_dept", "consumer_dept"])):
        out[name] = rows.groupby(["date", *keys], as_index=False)[columns].sum().sort_values(["date", *keys]) \
            .reset_index(drop=True)
    return out


# ---- systems -------------------------------------------------------------------------------------

def migration_burnup(systems: pd.DataFrame) -> pd.DataFrame:
    """Month by month: non-classified systems planned to be on the cloud vs actually migrated (cumulative)."""
    open_systems = systems[~systems["classified"].astype(bool)]
    planned = open_systems["planned_date"].dropna().dt.to_period("M").value_counts()
    actual = open_systems.loc[open_systems["status"] == "已上云", "migrated_date"].dropna().dt.to_period("M").value_counts()
    if planned.empty and actual.empty:
        return pd.DataFrame(columns=["month", "planned_cum", "actual_cum", "total"])
    seen = planned.index.union(actual.index)
    months = pd.period_range(seen.min(), seen.max(), freq="M")
    frame = pd.DataFrame({
        "month": months.to_timestamp(),
        "planned_cum": planned.reindex(months, fill_value=0).cumsum().to_numpy(),
        "actual_cum": actual.reindex(months, fill_value=0).cumsum().to_numpy(),
    })
    frame["total"] = len(open_systems)
    return frame


def _systems(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    open_systems = rows[~rows["classified"].astype(bool)]
    by_dept = (open_systems.groupby(["dept_id", "status"]).size().unstack(fill_value=0)
               .reindex(columns=list(SYSTEM_STATUSES), fill_value=0))
    by_dept["total"] = by_dept.sum(axis=1)
    by_dept["cloud_migration_rate"] = by_dept["已上云"] / by_dept["total"]
    by_dept["exempt_approved"] = open_systems.groupby("dept_id")["exempt_approved"].sum().reindex(by_dept.index).fillna(0).astype(int)
    by_dept = by_dept.reset_index().sort_values(["cloud_migration_rate", "total"], ascending=[False, False])
    counts = open_systems["status"].value_counts()
    today = pd.Timestamp(ctx.now).normalize()
    overdue_plan = (open_systems["status"] != "已上云") & (open_systems["planned_date"] < today) \
        & ~open_systems["exempt_approved"].astype(bool)
    deferred, approved = open_systems["status"] == "暂缓", open_systems["exempt_approved"].astype(bool)
    exempt = open_systems.loc[deferred & approved, ["system_id", "dept_id", "name", "status"]].sort_values(["dept_id", "system_id"])
    summary = pd.DataFrame([{
        "systems": len(rows), "classified": int(rows["classified"].astype(bool).sum()),
        "nonclassified": len(open_systems),
        **{status: int(counts.get(status, 0)) for status in SYSTEM_STATUSES},
        "exempt_approved": ind.exempt_systems(rows),
        "deferred_approved": int((deferred & approved).sum()), "deferred_unapproved": int((deferred & ~approved).sum()),
        "behind_plan": int(overdue_plan.sum()),
        "cloud_migration_rate": ind.cloud_migration_rate(rows),
    }])
    detail = open_systems[["system_id", "dept_id", "name", "status", "exempt_approved", "planned_date",
                           "migrated_date"]].assign(exempt_approved=open_systems["exempt_approved"].astype(bool),
                                                    overdue=overdue_plan)
    return {"summary": summary, "by_dept_status": by_dept.reset_index(drop=True),
            "burnup": migration_burnup(rows), "exempt_approved": exempt.reset_index(drop=True),
            "systems": detail.sort_values(["dept_id", "system_id"]).reset_index(drop=True)}


# ---- network -------------------------------------------------------------------------------------

def _network(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    by_level = (rows.assign(connected=rows["connected"].astype(bool))
                .groupby("level", as_index=False).agg(units=("unit_id", "size"), connected=("connected", "sum")))
    by_level["level"] = pd.Categorical(by_level["level"], ["市", "镇", "村"], ordered=True)
    by_level = by_level.sort_values("level").assign(level=lambda f: f["level"].astype(str))
    by_level["network_rate"] = by_level["connected"] / by_level["units"]
    summary = pd.DataFrame([{"units": len(rows), "connected": int(rows["connected"].astype(bool).sum()),
                             "network_rate": ind.network_rate(rows)}])
    return {"summary": summary, "by_level": by_level.reset_index(drop=True)}


# ---- incidents (dashboard/incident_frames.py) --------------------------------------------------------

def _incidents(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    return incident_frames(rows, ctx.now, ctx.regions)


# ---- indicator_history ---------------------------------------------------------------------------

def _history(rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    rows = rows.sort_values(["indicator_id", "date"]).reset_index(drop=True)
    latest = rows.groupby("indicator_id", as_index=False).last()
    return {"history": rows, "latest": latest}


BUILDERS = {
    "departments": _departments, "regions": _regions, "catalog": _catalog, "exchange": _exchange,
    "systems": _systems, "network": _network, "incidents": _incidents, "indicator_history": _history,
}


def build_frames(dataset: str, rows: pd.DataFrame, ctx: PullContext) -> dict[str, pd.DataFrame]:
    frames = BUILDERS[dataset](rows, ctx)
    frames["as_of"] = as_of_frame(ctx.now, len(rows))
    return frames


def as_of_frame(now: datetime, rows: int) -> pd.DataFrame:
    """The ``as_of`` frame every dataset publishes: when its data was pulled (the hovers' 数据截至)."""
    return pd.DataFrame({"as_of": [pd.Timestamp(now)], "rows": [rows]})


def indicator_values(dataset: str, rows: pd.DataFrame, ctx: PullContext) -> dict[str, float]:
    """The day's values this dataset contributes to indicator_history (None values are skipped)."""
    now = ctx.now
    today = pd.Timestamp(now).normalize()
    if dataset == "catalog":
        values = {"sharing_rate": ind.sharing_rate(rows), "gov_aggregation_rate": ind.gov_aggregation_rate(rows),
                  "city_aggregation_rate": ind.city_aggregation_rate(rows)}
    elif dataset == "systems":
        values = {"cloud_migration_rate": ind.cloud_migration_rate(rows)}
    elif dataset == "network":
        values = {"network_rate": ind.network_rate(rows),
                  **{f"network_rate_{lv}": ind.network_rate(rows, lv) for lv in ("市", "镇", "村")}}
    elif dataset == "incidents":
        start, _ = periods.last_days(periods.INCIDENT_DAYS, today)
        values = {"incident_closure_rate": ind.incident_closure_rate(rows, start),
                  "ontime_closure_rate": ind.ontime_closure_rate(rows, start),
                  "overdue_open": ind.overdue_open(rows, now),
                  "mean_handling_hours": ind.mean_handling_hours(rows, start)}
    elif dataset == "exchange":
        values = {"exchange_records": ind.exchange_volume(rows, *periods.last_days(1, today - timedelta(days=1)))[0]}
    else:
        values = {}
    return {k: v for k, v in values.items() if v is not None}
