"""The incidents dataset's frames from aggregates pushed down into the source database
(:class:`datasources.sql_incidents.IncidentAggregates`), equal to what dashboard/incident_frames.py
builds from the same rows (tests/test_postgres_pushdown.py checks it, frame by frame).

Every frame is a sum over the day-grain aggregate, its district / street roll-ups, the hour × 区县 aggregate, or one of the
small side aggregates; the rates follow the registry's 口径 through
:class:`dashboard.incident_select.Kpis` (办结率 = closed ÷ incidents, 按期办结率 = ontime ÷ closed,
平均处置时长 = handling hours ÷ closed). The rows-level frames (the ticker's newest incidents, the
table's detail) come from the rows the source handed over (the newest; every one, for the detail),
through the rows path itself.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from dashboard import periods
from dashboard.detail_file import DetailFile
from dashboard.incident_cube import KEYS, LEVEL_KEYS, MEASURES, _categorical, cube_of, incident_detail
from dashboard.incident_frames import DAILY_DAYS, DENSITY_BIN_DEGREES, UNKNOWN_REGION, incident_frames, region_of
from dashboard.incident_select import Kpis


def _in_days(days: pd.Series, count: int | None, now) -> np.ndarray:
    return periods.in_last_days(days, count, now).to_numpy()


def _kpis(part: pd.DataFrame) -> Kpis:
    return Kpis(int(part["incidents"].sum()), int(part["closed"].sum()), int(part["ontime"].sum()),
                int(part["overdue"].sum()), float(part["handling_hours"].sum()))


def summary(cube: pd.DataFrame, now) -> pd.DataFrame:
    """As incident_frames.incident_summary, from day rows of the cube."""
    records = []
    for label, days in periods.PERIODS.items():
        k = _kpis(cube[_in_days(cube["day"], days, now)] if days else cube)
        records.append({"period": label, "incidents": k.incidents, "closed": k.closed,
                         "closure_rate": k.closure_rate, "ontime_rate": k.ontime_rate,
                         "mean_handling_hours": k.mean_handling_hours, "overdue_open": k.overdue})
    frame = pd.DataFrame(records)
    rates = ["closure_rate", "ontime_rate", "mean_handling_hours"]
    frame[rates] = frame[rates].astype(float)
    frame["overdue_open_all"] = int(cube["overdue"].sum())
    frame["open_all"] = int(cube["incidents"].sum() - cube["closed"].sum())
    return frame


def _counts(cube: pd.DataFrame, keys: list[str], now) -> pd.DataFrame:
    recent = _in_days(cube["day"], periods.INCIDENT_DAYS, now)
    work = pd.DataFrame({**{k: cube[k].astype(str) for k in keys},
                         "incidents_30d": np.where(recent, cube["incidents"], 0),
                         "open": cube["incidents"] - cube["closed"], "overdue": cube["overdue"],
                         "today": np.where(_in_days(cube["day"], 1, now), cube["incidents"], 0),
                         "closed_recent": np.where(recent, cube["closed"], 0)})
    out = work.groupby(keys, as_index=False).sum()
    out["closure_rate_30d"] = out["closed_recent"] / out["incidents_30d"].where(out["incidents_30d"] > 0)
    return out


def _sizes(recent: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    work = recent.assign(**{k: recent[k].astype(str) for k in keys})
    out = work.groupby(keys, as_index=False)["incidents"].sum()
    return out[out["incidents"] > 0].reset_index(drop=True)


def _hour_weekday(hours: pd.DataFrame) -> pd.DataFrame:
    cells = hours["day"].dt.day_of_week.to_numpy() * 24 + hours["hour"].to_numpy().astype(np.int64)
    counts = np.bincount(cells, weights=hours["incidents"].to_numpy(), minlength=7 * 24).astype(np.int64)
    return pd.DataFrame({"weekday": np.repeat(np.arange(7), 24), "hour": np.tile(np.arange(24), 7), "incidents": counts})


def _grids(agg, regions) -> pd.DataFrame:
    grid = agg.grid_recent.sort_values("region_id").reset_index(drop=True)
    located = grid["located"].where(grid["located"] > 0)
    return pd.DataFrame({"region_id": grid["region_id"].astype(str),
                         "district_id": region_of(grid, regions, "district_id").astype(str).to_numpy(),
                         "incidents_30d": grid["incidents_30d"].astype(np.int64),
                         "lon": grid["lon_sum"] / located, "lat": grid["lat_sum"] / located})


def _density(agg) -> pd.DataFrame:
    bins = agg.density
    frame = pd.DataFrame({"lon": (bins["bx"].astype(float) + 0.5) * DENSITY_BIN_DEGREES,
                          "lat": (bins["by"].astype(float) + 0.5) * DENSITY_BIN_DEGREES,
                          "incidents": bins["incidents"].astype(np.int64)})
    return frame.sort_values(["lon", "lat"]).reset_index(drop=True)


def _daily(cube: pd.DataFrame, agg, now) -> pd.DataFrame:
    days = periods.daily_index(DAILY_DAYS, now)
    reported = cube.groupby("day")["incidents"].sum().reindex(days, fill_value=0)
    closed = agg.closed_daily.set_index(pd.to_datetime(agg.closed_daily["day"]))["closed"].reindex(days, fill_value=0) \
        if len(agg.closed_daily) else pd.Series(0, index=days)
    return pd.DataFrame({"date": days, "reported": reported.to_numpy().astype(np.int64),
                         "closed": closed.to_numpy().astype(np.int64)})


def day_base(agg, regions) -> pd.DataFrame:
    """The day × region aggregate keyed as the incidents cube is (district, street, grid, KEYS)."""
    days = agg.days
    return pd.DataFrame({
        "day": pd.to_datetime(days["day_at"]),
        "district_id": region_of(days, regions, "district_id"), "street_id": region_of(days, regions, "street_id"),
        "grid_id": _categorical(days["region_id"].astype(object).fillna(UNKNOWN_REGION)),
        **_measures(days),
    })[["day", *LEVEL_KEYS["grid"], *KEYS, *MEASURES]]


def hour_base(agg) -> pd.DataFrame:
    """The hour × 区县 aggregate keyed as the incidents cube's hours are (day, hour, district, KEYS)."""
    hours = agg.hours
    when = pd.to_datetime(hours["hour_at"])
    return pd.DataFrame({
        "day": when.dt.normalize(), "hour": when.dt.hour.astype(np.int8),
        "district_id": _categorical(hours["district_id"].astype(object).fillna(UNKNOWN_REGION)),
        **_measures(hours),
    })[["day", "hour", *LEVEL_KEYS["district"], *KEYS, *MEASURES]]


def _measures(agg_part: pd.DataFrame) -> dict[str, pd.Series]:
    return {**{k: _categorical(agg_part[k]) for k in KEYS},
            **{m: agg_part[m].astype(np.int64) for m in MEASURES if m != "handling_hours"},
            "handling_hours": agg_part["handling_seconds"].astype(float) / 3600.0}


def aggregate_frames(agg, now: datetime, regions: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Every frame of the incidents dataset, from a pushed-down pull's aggregates."""
    now = pd.Timestamp(now)
    detail = agg.detail if isinstance(agg.detail, DetailFile) or "id_rank" in agg.detail.columns \
        else incident_detail(agg.detail, now, regions)  # a detail already made in the pull, or its rows
    cube = cube_of(day_base(agg, regions), hour_base(agg), detail)
    by_day = cube["cube_street"]
    recent_days = by_day[_in_days(by_day["day"], periods.INCIDENT_DAYS, now)]
    recent_hours = cube["hours_district"][_in_days(cube["hours_district"]["day"], periods.INCIDENT_DAYS, now)]
    district_cube = cube["cube_district"]
    summary_by_district = pd.concat(
        [summary(part, now).assign(district_id=str(d)) for d, part in
         district_cube.groupby("district_id", observed=True)] or [summary(district_cube, now).iloc[:0]
                                                                   .assign(district_id="")], ignore_index=True)
    hour_weekday_by_district = pd.concat(
        [_hour_weekday(part).assign(district_id=str(d))
         for d, part in recent_hours.groupby("district_id", observed=True) if part["incidents"].sum()] or [pd.DataFrame(columns=["weekday", "hour", "incidents", "district_id"])],
        ignore_index=True)
    by_category = _sizes(recent_days, ["category"]).sort_values("incidents", ascending=False)
    ticker = incident_frames(agg.newest, now, regions)  # the newest rows through the rows path
    return {
        "summary": summary(district_cube, now), "summary_by_district": summary_by_district,
        "by_district": _counts(by_day, ["district_id"], now),
        "by_street": _counts(by_day, ["district_id", "street_id"], now),
        "by_grid": _grids(agg, regions), "density": _density(agg),
        "hour_weekday": _hour_weekday(recent_hours), "hour_weekday_by_district": hour_weekday_by_district,
        "category_district": _sizes(recent_days, ["category", "district_id"]),
        "category_street": _sizes(recent_days, ["category", "district_id", "street_id"]),
        "by_category": by_category, "by_source": _sizes(recent_days, ["source"]),
        "daily": _daily(district_cube, agg, now),
        "latest": ticker["latest"], "latest_by_district": ticker["latest_by_district"],
        **cube,
    }


def indicator_values(agg_frames: dict[str, pd.DataFrame], now: datetime) -> dict[str, float]:
    """The day's incident values for indicator_history, as dashboard/frames.py's indicator_values
    computes them from rows (受理时间 from the first of 近30日, 超期未办结 of all time)."""
    cube = agg_frames["cube_district"]
    start, _ = periods.last_days(periods.INCIDENT_DAYS, pd.Timestamp(now).normalize())
    k = _kpis(cube[(cube["day"] >= start).to_numpy()])
    values = {"incident_closure_rate": k.closure_rate, "ontime_closure_rate": k.ontime_rate,
              "overdue_open": int(cube["overdue"].sum()), "mean_handling_hours": k.mean_handling_hours}
    return {key: v for key, v in values.items() if v is not None}
