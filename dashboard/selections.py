"""Selections: small pure functions from published frames and a scope (全市, or one district) to
what a panel draws. They only pick rows of frames that dashboard/incident_frames.py aggregated at
pull time; none groups incident rows.

``district`` is a 区县 region_id, or None for 全市.
"""
from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from dashboard import periods
from dashboard.formatting import _missing


def _rows_of(frame: pd.DataFrame | None, district: str, column: str = "district_id") -> pd.DataFrame | None:
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return None
    return frame[frame[column].astype(str) == str(district)].drop(columns=[column]).reset_index(drop=True)


def scoped(city: pd.DataFrame | None, by_district: pd.DataFrame | None, district: str | None) -> pd.DataFrame | None:
    """The city frame, or the district's rows of its ``*_by_district`` twin (same columns)."""
    return city if district is None else _rows_of(by_district, district)


def latest_incidents(latest: pd.DataFrame | None, latest_by_district: pd.DataFrame | None,
                     district: str | None) -> pd.DataFrame | None:
    """The ticker's newest incidents: the city's, or the district's own newest (never the city's
    filtered, which would leave a quiet district with few rows)."""
    if district is None or not isinstance(latest_by_district, pd.DataFrame):
        return latest
    return latest_by_district[latest_by_district["district_id"].astype(str) == str(district)].reset_index(drop=True)


def area_counts(by_district: pd.DataFrame | None, by_street: pd.DataFrame | None,
                district: str | None) -> pd.DataFrame | None:
    """The counts of the areas a view ranks, with their id as ``area_id``: the districts of the
    city, or the streets (镇街) of one district."""
    if district is None:
        if not isinstance(by_district, pd.DataFrame) or "district_id" not in by_district.columns:
            return None
        return by_district.rename(columns={"district_id": "area_id"})
    streets = _rows_of(by_street, district)
    return None if streets is None else streets.rename(columns={"street_id": "area_id"})


def category_columns(category_district: pd.DataFrame | None, category_street: pd.DataFrame | None,
                     district: str | None) -> pd.DataFrame | None:
    """category × column counts (``category``, ``column_id``, ``incidents``) of the 分类 heatmap: the
    city's columns are its districts, a district's are its streets."""
    if district is None:
        frame, column = category_district, "district_id"
    else:
        frame, column = _rows_of(category_street, district), "street_id"
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return None
    return frame[["category", column, "incidents"]].rename(columns={column: "column_id"})


def period_row(summary: pd.DataFrame | None, period: str) -> pd.Series | None:
    """The row of an incident summary (city or district) for one period label (今日, 近30日, …)."""
    if not isinstance(summary, pd.DataFrame) or "period" not in summary.columns:
        return None
    rows = summary[summary["period"] == period]
    return None if rows.empty else rows.iloc[0]


def area_order(regions: pd.DataFrame | None, district: str | None, present) -> list[str]:
    """Column order of the 分类 heatmap: the city's districts (or the district's streets) by
    region_id as the regions frame lists them, then any others the counts name (e.g. 未知区域)."""
    present = [str(p) for p in present]
    known: list[str] = []
    if isinstance(regions, pd.DataFrame) and "region_id" in regions.columns:
        ids = regions["region_id"].astype(str)
        if district is None:
            level = regions["level"] if "level" in regions.columns else pd.Series("区县", index=regions.index)
            known = sorted(ids[level == "区县"])
        else:
            parent = "district_id" if "district_id" in regions.columns else "parent_id"
            if parent in regions.columns and "level" in regions.columns:
                known = sorted(ids[(regions["level"] == "镇街") & (regions[parent].astype(str) == str(district))])
    seen = set(present)
    return [k for k in known if k in seen] + sorted(seen - set(known))


# ---- what the wall's panels draw (pure picks and reshapes of small published frames) -------------------

SYSTEM_STATUS_ORDER = ("已上云", "迁移中", "未迁移", "暂缓")


def has_columns(frame, *columns: str) -> bool:
    """A non-empty DataFrame with every named column."""
    return isinstance(frame, pd.DataFrame) and not frame.empty and all(c in frame.columns for c in columns)


def _num(value) -> float | None:
    if _missing(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def target_for(targets: pd.DataFrame | None, indicator_id: str, today: date | None = None) -> dict | None:
    """The configured target of an indicator that matters now: the nearest deadline on or after
    ``today``, else the most recent one already past. None when none is configured."""
    if not has_columns(targets, "indicator_id", "target", "deadline"):
        return None
    rows = targets[targets["indicator_id"] == indicator_id]
    if rows.empty:
        return None
    today = pd.Timestamp(today or date.today())
    deadlines = pd.to_datetime(rows["deadline"])
    future = rows[deadlines >= today]
    pick = future.loc[pd.to_datetime(future["deadline"]).idxmin()] if not future.empty \
        else rows.loc[deadlines.idxmax()]
    return pick.to_dict()


def _names(frame: pd.DataFrame | None, key: str, *columns: str) -> dict[str, str]:
    """id → first non-empty of ``columns`` (e.g. short_name, then name)."""
    if not has_columns(frame, key):
        return {}
    keys = [str(k) for k in frame[key].tolist()]
    out: dict[str, str] = {}
    for col in reversed([c for c in columns if c in frame.columns]):
        out.update((k, v) for k, v in zip(keys, frame[col].tolist()) if isinstance(v, str) and v.strip())
    return out


def ranking_rows(by_dept: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 5,
                 value: str = "sharing_rate") -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The best ``n`` and worst ``n`` departments by ``value`` (best first, worst last), with rank
    and display name; and how many departments were ranked. Departments without a rate are left out."""
    empty = pd.DataFrame(columns=["dept_id", "name", "rank", value])
    if not has_columns(by_dept, "dept_id", value):
        return empty, empty, 0
    frame = by_dept[by_dept[value].notna()].copy()
    frame["dept_id"] = frame["dept_id"].astype(str)
    tiebreak = "resources" if "resources" in frame.columns else ("total" if "total" in frame.columns else None)
    keys, ascending = [value], [False]
    if tiebreak:
        keys, ascending = [value, tiebreak], [False, False]
    frame = frame.sort_values(keys + ["dept_id"], ascending=ascending + [True], kind="mergesort").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    names = _names(departments, "dept_id", "short_name", "name")
    frame["name"] = [names.get(d, d) for d in frame["dept_id"]]
    if len(frame) <= 2 * n:
        return frame, frame.iloc[0:0], len(frame)
    return frame.head(n), frame.tail(n), len(frame)


def exchange_window(daily: pd.DataFrame | None, days: int = periods.EXCHANGE_DAYS, today=None) -> pd.DataFrame | None:
    """近 ``days`` 日 of the ``exchange.daily`` frame (dashboard/periods.py: today and the days before
    it, a day without rows as 0), oldest first; None without the frame."""
    if not has_columns(daily, "date", "records"):
        return None
    index = periods.daily_index(days, today or date.today())
    frame = daily.assign(date=pd.to_datetime(daily["date"])).set_index("date")
    columns = [c for c in ("records", "api_calls") if c in frame.columns]
    return frame[columns].reindex(index, fill_value=0).rename_axis("date").reset_index()


def parse_view(view: str | None) -> str | None:
    """'district:<region_id>' → region_id; 'city' / None → None."""
    if view and isinstance(view, str) and view.startswith("district:"):
        return view.split(":", 1)[1] or None
    return None


def _density_points(by_grid: pd.DataFrame | None, density: pd.DataFrame | None) -> pd.DataFrame | None:
    """lon, lat, weight: the grid points with their 近30日 incidents, else the lon/lat density bins."""
    points = None
    if has_columns(by_grid, "lon", "lat", "incidents_30d"):
        points = by_grid.loc[by_grid["lon"].notna() & by_grid["lat"].notna(), ["lon", "lat", "incidents_30d"]]
        points = points.rename(columns={"incidents_30d": "weight"})
    if (points is None or points.empty) and has_columns(density, "lon", "lat", "incidents"):
        points = density[["lon", "lat", "incidents"]].rename(columns={"incidents": "weight"})
    return points if points is not None and not points.empty else None


def district_incidents(by_district: pd.DataFrame | None, geography) -> np.ndarray:
    """近30日 incidents of each district of the map's layer (0 where the frame has none)."""
    layer = geography.layer("区县") if geography is not None else None
    ids = [str(f["id"]) for f in (layer or {}).get("features", []) if f.get("id") is not None]
    if not ids or not has_columns(by_district, "district_id", "incidents_30d"):
        return np.zeros(len(ids))
    counts = dict(zip(by_district["district_id"].astype(str), by_district["incidents_30d"]))
    return np.array([_num(counts.get(rid)) or 0 for rid in ids], dtype=float)


def migration_laggards(by_dept_status: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 8) -> pd.DataFrame:
    """The ``n`` departments lowest in 上云率 (more systems first on ties), lowest first, with names."""
    if not has_columns(by_dept_status, "dept_id", "cloud_migration_rate"):
        return pd.DataFrame(columns=["dept_id", "name", "cloud_migration_rate", *SYSTEM_STATUS_ORDER])
    frame = by_dept_status.copy()
    frame["dept_id"] = frame["dept_id"].astype(str)
    for status in SYSTEM_STATUS_ORDER:
        if status not in frame.columns:
            frame[status] = 0
    if "total" not in frame.columns:
        frame["total"] = frame[list(SYSTEM_STATUS_ORDER)].sum(axis=1)
    frame = frame[frame["total"] > 0].sort_values(["cloud_migration_rate", "total", "dept_id"],
                                                  ascending=[True, False, True], kind="mergesort").head(n)
    names = _names(departments, "dept_id", "short_name", "name")
    frame["name"] = [names.get(d, d) for d in frame["dept_id"]]
    return frame.reset_index(drop=True)


def burnup_actuals(burnup: pd.DataFrame, today=None):
    """(frame by month, its months, the current month, actual_cum up to the current month (NaN
    after), the non-classified systems in total or None)."""
    frame = burnup.sort_values("month")
    months = pd.to_datetime(frame["month"])
    now_month = pd.Timestamp(today or datetime.now()).to_period("M").to_timestamp()
    total = _num(frame["total"].iloc[-1]) if "total" in frame.columns and len(frame) else None
    return frame, months, now_month, frame["actual_cum"].astype(float).where(months <= now_month), total


def hour_weekday_matrix(hour_weekday: pd.DataFrame | None) -> np.ndarray:
    """The 7×24 matrix (周一..周日 × 0..23 时) of the ``hour_weekday`` frame; missing cells are 0."""
    z = np.zeros((7, 24))
    if has_columns(hour_weekday, "weekday", "hour", "incidents"):
        wd = hour_weekday["weekday"].astype(int).to_numpy()
        hr = hour_weekday["hour"].astype(int).to_numpy()
        ok = (wd >= 0) & (wd < 7) & (hr >= 0) & (hr < 24)
        z[wd[ok], hr[ok]] = hour_weekday["incidents"].astype(float).to_numpy()[ok]
    return z


OTHER = "其他"


def category_rows(totals: dict[str, float], max_categories: int) -> tuple[list[str], set[str]]:
    """The heatmap's rows: the largest categories by total, and, when there are more than
    ``max_categories`` (or a category is itself named 其他), one last row 其他 that holds the rest,
    so every column still sums to its area's total. → (rows, the categories folded into 其他)."""
    named = sorted((c for c in totals if c != OTHER), key=lambda c: (-totals[c], c))
    if len(named) + (OTHER in totals) <= max_categories:
        return named + ([OTHER] if OTHER in totals else []), {OTHER} & set(totals)
    kept = named[:max(max_categories - 1, 1)]
    return kept + [OTHER], set(totals) - set(kept)


def category_district_matrix(category_district: pd.DataFrame | None, regions: pd.DataFrame | None,
                             max_categories: int = 8, district: str | None = None
                             ) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(categories, column ids, column names, z) for the 分类 heatmap: the city's districts as
    columns (``district_id`` or ``column_id`` counts), or a district's streets (``district``, with
    ``column_id`` counts from dashboard.selections.category_columns).

    Columns in the order of the regions frame (stable from refresh to refresh), then any others the
    incidents name (e.g. 未知区域); categories by their 近30日 total, the largest first and the rest in
    one 其他 row (:func:`category_rows`), so a column sums to its area's count in the rankings.
    (A reshape of the small published frame, a few hundred rows: plain Python is faster than pandas.)
    """
    column = "column_id" if has_columns(category_district, "column_id") else "district_id"
    if not has_columns(category_district, "category", column, "incidents"):
        return [], [], [], np.zeros((0, 0))
    cats = [str(c) for c in category_district["category"].tolist()]
    dists = [str(d) for d in category_district[column].tolist()]
    values = [float(v) for v in category_district["incidents"].tolist()]
    columns = area_order(regions, district, set(dists))
    totals: dict[str, float] = {}
    for c, v in zip(cats, values):
        totals[c] = totals.get(c, 0.0) + v
    categories, folded = category_rows(totals, max_categories)
    row = {c: i for i, c in enumerate(categories)}
    col = {d: j for j, d in enumerate(columns)}
    z = np.zeros((len(categories), len(columns)))
    for c, d, v in zip(cats, dists, values):
        z[row[OTHER] if c in folded else row[c], col[d]] += v
    names = _names(regions, "region_id", "name")
    return categories, columns, [names.get(d, d) for d in columns], z


def ordered_targets(targets: pd.DataFrame | None) -> pd.DataFrame:
    """Targets in a stable order for the wall: 省级 first, then by deadline and name."""
    if not has_columns(targets, "name", "target"):
        return pd.DataFrame(columns=["name", "target"])
    frame = targets.copy()
    frame["_level"] = frame["level"].map({"省": 0, "市": 1}).fillna(2) if "level" in frame.columns else 2
    frame["_deadline"] = pd.to_datetime(frame["deadline"]) if "deadline" in frame.columns else pd.NaT
    return frame.sort_values(["_level", "_deadline", "name"], kind="mergesort").drop(
        columns=["_level", "_deadline"]).reset_index(drop=True)
