"""The incidents dataset's ready-to-draw frames, for the city and for each district.

Every period is :mod:`dashboard.periods`' (近30日 = today and the 29 days before it). The wall's
district view (``view=district:<id>``) only selects rows of the ``*_by_district`` frames built here
(see :mod:`dashboard.selections`); nothing groups incident rows after the pull.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from dashboard import indicators as ind
from dashboard import periods
from datasources.contracts import CLOSED

LATEST_INCIDENTS = 60  # the newest incidents published for the ticker, for the city and per district
DENSITY_BIN_DEGREES = 0.005  # ≈ 500 m: the density layer's resolution where no grid polygons exist
UNKNOWN_REGION = "未知区域"
DAILY_DAYS = 90


def region_of(rows: pd.DataFrame, regions: pd.DataFrame | None, level_column: str) -> pd.Series:
    """Each incident's 区县 (``level_column`` "district_id") or 镇街 ("street_id") from the regions
    lineage, as a categorical (grouping millions of rows by a string column costs seconds); 未知区域
    where its region is unknown or has no ancestor of that level. Without a regions frame a region
    id is its own district."""
    codes, uniques = pd.factorize(rows["region_id"])
    uniques = pd.Index(uniques, dtype=object).astype(str)
    if regions is not None and not regions.empty and level_column in regions.columns:
        lookup = pd.Series(regions[level_column].to_numpy(dtype=object), index=regions["region_id"].astype(str).to_numpy())
        mapped = lookup[~lookup.index.duplicated()].reindex(uniques)
    else:
        mapped = pd.Series(uniques if level_column == "district_id" else None, index=uniques, dtype=object)
    names = np.append(mapped.fillna(UNKNOWN_REGION).astype(str).to_numpy(), UNKNOWN_REGION)  # code -1: no region
    name_codes, categories = pd.factorize(names)
    return pd.Series(pd.Categorical.from_codes(name_codes[codes], categories), index=rows.index)


def incident_summary(rows: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """One row per period (今日, 近7日, 近30日, 全部): incidents reported in it, closed, the rates,
    and (in every row) the open and overdue incidents of all time (``open_all``, ``overdue_open_all``)."""
    records = []
    for label, days in periods.PERIODS.items():
        period = rows[periods.in_last_days(rows["reported_at"], days, now)] if days else rows
        records.append({
            "period": label, "incidents": len(period), "closed": int((period["status"] == CLOSED).sum()),
            "closure_rate": ind.incident_closure_rate(period),
            "ontime_rate": ind.ontime_closure_rate(period),
            "mean_handling_hours": ind.mean_handling_hours(period),
            "overdue_open": ind.overdue_open(period, now),
        })
    frame = pd.DataFrame(records)
    rates = ["closure_rate", "ontime_rate", "mean_handling_hours"]
    frame[rates] = frame[rates].astype(float)  # None → NaN: a rate over no incidents, in every frame alike
    frame["overdue_open_all"] = ind.overdue_open(rows, now)
    frame["open_all"] = int((rows["status"] != CLOSED).sum())
    return frame


def _counts(work: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = _str_columns(work.groupby(keys, as_index=False, observed=True).sum(), *keys).rename(
        columns={"recent": "incidents_30d"})
    out["closure_rate_30d"] = out["closed_recent"] / out["incidents_30d"].where(out["incidents_30d"] > 0)
    return out


def _hour_weekday(recent: pd.DataFrame) -> pd.DataFrame:
    weekday_hour = recent["reported_at"].dt.day_of_week * 24 + recent["reported_at"].dt.hour
    counts = np.bincount(weekday_hour.to_numpy(dtype=np.int64), minlength=7 * 24)
    return pd.DataFrame({"weekday": np.repeat(np.arange(7), 24), "hour": np.tile(np.arange(24), 7), "incidents": counts})


def _latest(rows: pd.DataFrame, district: pd.Series, overdue: pd.Series, index) -> pd.DataFrame:
    latest = rows.loc[index, ["incident_id", "source", "category", "region_id", "reported_at", "deadline_at",
                              "status"]].assign(district_id=district.loc[index].astype(str))
    latest["overdue"] = overdue.loc[index].to_numpy()
    return latest.reset_index(drop=True)


def _parts(frame: pd.DataFrame, key: pd.Series):
    """(key, rows) for each key, the rows as slices of one sorted copy: one take of the frame instead
    of one per group (a groupby's split)."""
    codes = key.cat.codes.to_numpy()
    order = np.argsort(codes, kind="stable")
    ordered = frame.iloc[order]
    bounds = np.searchsorted(codes[order], np.arange(len(key.cat.categories) + 1))
    for i, name in enumerate(key.cat.categories):
        if bounds[i + 1] > bounds[i]:
            yield str(name), ordered.iloc[bounds[i]:bounds[i + 1]]


def _str_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The published frames keep region ids as strings (the categoricals are for grouping only)."""
    return frame.assign(**{c: frame[c].astype(str) for c in columns})


def incident_frames(rows: pd.DataFrame, now: datetime, regions: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    from dashboard.incident_cube import incident_cube, incident_detail  # it builds on region_of, above

    now = pd.Timestamp(now)
    district = region_of(rows, regions, "district_id")
    street = region_of(rows, regions, "street_id")
    # what the summaries read, with status as a categorical: each district's summary copies 4 columns, not all
    slim = pd.DataFrame({"reported_at": rows["reported_at"], "deadline_at": rows["deadline_at"],
                         "closed_at": rows["closed_at"], "status": rows["status"].astype("category")})
    is_open = rows["status"] != CLOSED
    overdue = is_open & (rows["deadline_at"] < now)
    recent_mask = periods.in_last_days(rows["reported_at"], periods.INCIDENT_DAYS, now)
    recent = rows[recent_mask].assign(district_id=district[recent_mask], street_id=street[recent_mask])

    work = pd.DataFrame({
        "district_id": district, "street_id": street, "recent": recent_mask.astype(int), "open": is_open.astype(int),
        "overdue": overdue.astype(int), "today": periods.in_last_days(rows["reported_at"], 1, now).astype(int),
        "closed_recent": (recent_mask & ~is_open).astype(int),
    })
    by_district = _counts(work.drop(columns=["street_id"]), ["district_id"])
    by_street = _counts(work, ["district_id", "street_id"])

    grids = _str_columns(recent.groupby("region_id", as_index=False).agg(
        district_id=("district_id", "first"), incidents_30d=("incident_id", "size"),
        lon=("lon", "mean"), lat=("lat", "mean")), "district_id")

    located = recent[recent["lon"].notna()]
    bins = pd.DataFrame({
        "lon": (np.floor(located["lon"] / DENSITY_BIN_DEGREES) + 0.5) * DENSITY_BIN_DEGREES,
        "lat": (np.floor(located["lat"] / DENSITY_BIN_DEGREES) + 0.5) * DENSITY_BIN_DEGREES,
    })
    density = bins.groupby(["lon", "lat"], as_index=False).size().rename(columns={"size": "incidents"})

    hour_weekday_by_district = pd.concat(
        [_hour_weekday(part).assign(district_id=str(d)) for d, part in recent.groupby("district_id", observed=True)]
        or [pd.DataFrame(columns=["weekday", "hour", "incidents", "district_id"])], ignore_index=True)

    category_district = _str_columns(recent.groupby(["category", "district_id"], as_index=False, observed=True).size()
                                     .rename(columns={"size": "incidents"}), "district_id")
    category_street = _str_columns(recent.groupby(["category", "district_id", "street_id"], as_index=False,
                                                  observed=True).size().rename(columns={"size": "incidents"}),
                                   "district_id", "street_id")
    by_category = recent.groupby("category", as_index=False).size().rename(columns={"size": "incidents"}) \
        .sort_values("incidents", ascending=False)
    by_source = recent.groupby("source", as_index=False).size().rename(columns={"size": "incidents"})

    days = periods.daily_index(DAILY_DAYS, now)
    reported = rows["reported_at"].dt.normalize().value_counts().reindex(days, fill_value=0)
    closed_days = rows.loc[~is_open, "closed_at"].dt.normalize().value_counts().reindex(days, fill_value=0)
    daily = pd.DataFrame({"date": days, "reported": reported.to_numpy(), "closed": closed_days.to_numpy()})

    newest = rows["reported_at"].sort_values(ascending=False, kind="mergesort").index
    newest_district = district.loc[newest]
    # groupby().head keeps the rows' order: each district's newest first
    latest_by_district = _latest(rows, district, overdue,
                                 newest_district.groupby(newest_district, observed=True).head(LATEST_INCIDENTS).index)
    summary_by_district = pd.concat(
        [incident_summary(part, now).assign(district_id=d) for d, part in _parts(slim, district)]
        or [incident_summary(slim, now).iloc[:0].assign(district_id="")], ignore_index=True)  # no rows: the columns
    return {
        "summary": incident_summary(slim, now), "summary_by_district": summary_by_district,
        "by_district": by_district, "by_street": by_street, "by_grid": grids, "density": density,
        "hour_weekday": _hour_weekday(recent), "hour_weekday_by_district": hour_weekday_by_district,
        "category_district": category_district, "category_street": category_street,
        "by_category": by_category, "by_source": by_source, "daily": daily,
        "latest": _latest(rows, district, overdue, newest[:LATEST_INCIDENTS]),
        "latest_by_district": latest_by_district,
        **incident_cube(incident_detail(rows, now, regions)),  # the /incidents drill-down's (dashboard/incident_cube.py)
    }
