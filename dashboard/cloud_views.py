"""Selections of /cloud (上云): the city rate against its target, status by department, each
department's systems (overdue against plan or not), the approved exemptions apart, and the burn-up
with its least-squares projection to the target's deadline.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard import query_params as qp
from dashboard.programme_views import _number, _rows
from dashboard.scoreboard import light
from dashboard.targets import required_count
from datasources.contracts import SYSTEM_STATUSES

STATUS_FILTERS = {"all": "全部", **{s: s for s in SYSTEM_STATUSES}, "overdue": "逾期未上云"}
#: months of actual burn-up the projection's line is fitted on
PROJECTION_MONTHS = 12


@dataclass(frozen=True)
class CloudQuery:
    dept: str | None = None
    status: str = "all"

    @classmethod
    def from_url(cls, query: dict, names: dict[str, str], notices: list[str]) -> "CloudQuery":
        return cls(qp.choice(query.get("dept"), names, None, "部门", notices),
                   qp.choice(query.get("status"), STATUS_FILTERS, "all", "状态", notices))


@dataclass(frozen=True)
class CloudView:
    query: CloudQuery
    rate: float | None
    target: dict | None  # the configured target row (target, deadline, source_doc, name) or None
    counts: dict[str, int]
    by_dept: pd.DataFrame  # dept_id, name, 已上云 … 暂缓, total, cloud_migration_rate, light
    systems: pd.DataFrame  # system_id, dept_id, department, name, status, planned_date, migrated_date, overdue
    exempt: pd.DataFrame  # system_id, department, name, status
    burnup: pd.DataFrame  # month, planned_cum, actual_cum (NaN after this month), total
    projection: pd.DataFrame  # month, projected: the trend from this month to the deadline
    goal: int | None  # the systems the target needs (required_count)


def burnup_projection(burnup: pd.DataFrame | None, today: date, deadline: date | None,
                      months: int = PROJECTION_MONTHS) -> pd.DataFrame:
    """The least-squares line through the actual cumulative count of the last ``months`` months up to
    the current month, month by month from the current month to the deadline's month, never below
    the current count nor above the systems in total. Empty without a deadline ahead or two months."""
    empty = pd.DataFrame({"month": pd.DatetimeIndex([]), "projected": []})
    if not isinstance(burnup, pd.DataFrame) or burnup.empty or deadline is None or deadline < today:
        return empty
    now = pd.Timestamp(today).to_period("M")
    frame = burnup.assign(period=pd.to_datetime(burnup["month"]).dt.to_period("M"))
    done = frame[frame["period"] <= now].tail(months)
    if len(done) < 2:
        return empty
    x = np.array([(p - now).n for p in done["period"]], dtype=float)
    slope, intercept = np.polyfit(x, done["actual_cum"].astype(float).to_numpy(), 1)
    ahead = pd.period_range(now, pd.Timestamp(deadline).to_period("M"), freq="M")
    current = float(done["actual_cum"].iloc[-1])
    total = float(frame["total"].iloc[-1]) if "total" in frame.columns else np.inf
    values = np.clip(intercept + slope * np.arange(len(ahead)), current, total)
    values[0] = current  # the line starts where the actuals are
    return pd.DataFrame({"month": ahead.to_timestamp(), "projected": values})


def cloud_view(summary: pd.DataFrame | None, by_dept_status: pd.DataFrame | None, systems: pd.DataFrame | None,
               exempt: pd.DataFrame | None, burnup: pd.DataFrame | None, target: dict | None,
               names: dict[str, str], scoreboard_settings, query: CloudQuery, today: date) -> CloudView:
    row = summary.iloc[0].to_dict() if isinstance(summary, pd.DataFrame) and len(summary) else {}
    counts = {k: int(row.get(k, 0) or 0) for k in (*SYSTEM_STATUSES, "nonclassified", "classified", "behind_plan",
                                                   "deferred_approved", "deferred_unapproved")}
    by_dept = by_dept_status.copy() if isinstance(by_dept_status, pd.DataFrame) else pd.DataFrame(
        columns=["dept_id", *SYSTEM_STATUSES, "total", "cloud_migration_rate"])
    by_dept["dept_id"] = by_dept["dept_id"].astype(str)
    by_dept.insert(1, "name", [names.get(d, d) for d in by_dept["dept_id"]])
    by_dept["light"] = [light(v, scoreboard_settings.green_at, scoreboard_settings.yellow_at)
                        for v in by_dept["cloud_migration_rate"]]
    by_dept = by_dept.sort_values(["cloud_migration_rate", "total"], ascending=[True, False]).reset_index(drop=True)

    listed = systems if isinstance(systems, pd.DataFrame) else pd.DataFrame(
        columns=["system_id", "dept_id", "name", "status", "exempt_approved", "planned_date", "migrated_date",
                 "overdue"])
    if query.dept:
        listed = _rows(listed, "dept_id", query.dept)
    if query.status == "overdue":
        listed = listed[listed["overdue"].astype(bool)]
    elif query.status != "all":
        listed = listed[listed["status"] == query.status]
    listed = listed.copy()
    listed.insert(2, "department", [names.get(str(d), str(d)) for d in listed["dept_id"]])
    exempt = exempt.copy() if isinstance(exempt, pd.DataFrame) else pd.DataFrame(
        columns=["system_id", "dept_id", "name", "status"])
    exempt.insert(1, "department", [names.get(str(d), str(d)) for d in exempt["dept_id"]])

    deadline = pd.Timestamp(target["deadline"]).date() if target and not pd.isna(target.get("deadline")) else None
    frame = burnup.copy() if isinstance(burnup, pd.DataFrame) else pd.DataFrame(
        columns=["month", "planned_cum", "actual_cum", "total"])
    if len(frame):
        months = pd.to_datetime(frame["month"])
        frame["actual_cum"] = frame["actual_cum"].astype(float).where(months <= pd.Timestamp(today))
    total = _number(frame["total"].iloc[-1]) if len(frame) else None
    goal = required_count(float(target["target"]), total) if target and total else None
    return CloudView(query, _number(row.get("cloud_migration_rate")), target, counts, by_dept,
                     listed.reset_index(drop=True), exempt.drop(columns=["dept_id"]).reset_index(drop=True),
                     frame.reset_index(drop=True), burnup_projection(burnup, today, deadline), goal)
