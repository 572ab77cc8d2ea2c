"""Selections of the /incidents drill-down: the cube of dashboard/incident_cube.py and an
:class:`~dashboard.incident_query.IncidentQuery` in, small results out.

They pick rows by comparing categorical codes and days (numpy masks) and add up the cube's
additive measures; none groups incident rows. The rates follow the registry's 口径
(dashboard/indicators.py): 办结率 = closed ÷ incidents, 按期办结率 = ontime ÷ closed, 平均处置时长 =
handling_hours ÷ closed, all by 受理时间 in the period; 超期未办结 counts the selection's open
incidents past their deadline of every day (全部时段), as on the wall.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.incident_query import IncidentQuery

LEVELS = ("区县", "镇街", "网格")
LEVEL_COLUMN = {"区县": "district_id", "镇街": "street_id", "网格": "grid_id"}
CUBE_OF_LEVEL = {None: "cube_district", "区县": "cube_district", "镇街": "cube_street", "网格": "cube_grid"}
HOURS_OF_LEVEL = {None: "hours_district", "区县": "hours_district", "镇街": "hours_grid", "网格": "hours_grid"}


@dataclass(frozen=True)
class Kpis:
    incidents: int
    closed: int
    ontime: int
    overdue: int
    handling_hours: float

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.incidents if self.incidents else None

    @property
    def ontime_rate(self) -> float | None:
        return self.ontime / self.closed if self.closed else None

    @property
    def mean_handling_hours(self) -> float | None:
        return self.handling_hours / self.closed if self.closed else None


def child_level(level: str | None) -> str | None:
    """The level a region's children are on: 全市 → 区县 → 镇街 → 网格 → None."""
    if level is None:
        return LEVELS[0]
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def _code(column: pd.Series, value: str) -> int:
    """The categorical code of ``value`` in ``column`` (-2, matching nothing, where it is absent)."""
    categories = column.cat.categories
    hit = categories.get_indexer([value])[0]
    return int(hit) if hit >= 0 else -2


def _eq(frame: pd.DataFrame, column: str, value: str) -> np.ndarray:
    return frame[column].cat.codes.to_numpy() == _code(frame[column], value)


def frame_for(frames, query: IncidentQuery, level: str | None, *, detail: bool = False) -> pd.DataFrame | None:
    """The smallest frame that holds the query's region level (and its hour, if it selects one)."""
    if detail:
        return frames.get("detail")
    by_hour = query.weekday is not None or query.hour is not None
    return frames.get((HOURS_OF_LEVEL if by_hour else CUBE_OF_LEVEL)[level])


_MASKS: dict[tuple, tuple[pd.DataFrame, np.ndarray]] = {}
MASKS_KEPT = 32


def mask(frame: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, *, period: bool = True,
         day_column: str = "day") -> np.ndarray:
    """Rows of ``frame`` (a cube, or the detail frame with ``day_column`` "reported_at") in the
    query's region, period, category, source, status and heatmap cell. A page asks for the same rows
    of one frame several times (its KPIs, trend and categories): the last few masks are kept, keyed by
    the frame itself (a new publish is a new frame)."""
    key = (id(frame), query, level, today, period, day_column)
    hit = _MASKS.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1]
    keep = _mask(frame, query, level, today, period=period, day_column=day_column)
    if len(_MASKS) >= MASKS_KEPT:
        _MASKS.clear()
    _MASKS[key] = (frame, keep)  # the entry keeps the frame alive, so its id stays its own
    return keep


def _mask(frame: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, *, period: bool,
          day_column: str) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    if query.region is not None and level is not None:
        keep &= _eq(frame, LEVEL_COLUMN[level], query.region)
    for column in ("category", "source", "status"):
        value = getattr(query, column)
        if value is not None:
            keep &= _eq(frame, column, value)
    moments = None
    if period or query.weekday is not None or query.hour is not None:
        moments = frame[day_column].to_numpy()  # datetime64 of the frame's unit: compared without a copy
    if period:
        first, last = query.days(today)
        keep &= (moments >= np.datetime64(first, "D")) & (moments < np.datetime64(last, "D") + np.timedelta64(1, "D"))
    if query.weekday is not None:  # 1970-01-01 was a Thursday (weekday 3)
        keep &= ((moments.astype("datetime64[D]").astype(np.int64) + 3) % 7) == query.weekday
    if query.hour is not None:
        hours = frame["hour"].to_numpy() if "hour" in frame.columns else \
            (moments.astype("datetime64[s]").astype(np.int64) // 3600) % 24
        keep &= hours == query.hour
    return keep


def kpis(frames, query: IncidentQuery, level: str | None, today: date) -> Kpis:
    cube = frame_for(frames, query, level)
    if cube is None:
        return Kpis(0, 0, 0, 0, 0.0)
    in_period = mask(cube, query, level, today)
    every_day = mask(cube, query, level, today, period=False)

    def total(column, keep):
        return cube[column].to_numpy()[keep].sum()
    return Kpis(int(total("incidents", in_period)), int(total("closed", in_period)), int(total("ontime", in_period)),
                int(total("overdue", every_day)), float(total("handling_hours", in_period)))


def daily(frames, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents and closed (of those reported that day) for every day of the period, 0 on quiet days."""
    first, last = query.days(today)
    days = pd.date_range(first, last, freq="D")
    cube = frame_for(frames, query, level)
    if cube is None:
        return pd.DataFrame({"date": days, "incidents": 0, "closed": 0})
    keep = mask(cube, query, level, today)
    index = ((cube["day"].to_numpy()[keep].astype("datetime64[D]") - np.datetime64(first, "D")).astype(np.int64))
    out = {"date": days}
    for column in ("incidents", "closed"):
        out[column] = np.bincount(index, weights=cube[column].to_numpy()[keep], minlength=len(days))[:len(days)] \
            .astype(np.int64)
    return pd.DataFrame(out)


def hour_weekday(frames, query: IncidentQuery, level: str | None, today: date) -> np.ndarray:
    """7 × 24 counts (Monday first) of the selection by weekday and hour of 受理."""
    hours = frames.get(HOURS_OF_LEVEL[level])
    if hours is None:
        return np.zeros((7, 24), dtype=np.int64)
    keep = mask(hours, query, level, today)
    weekday = (hours["day"].to_numpy()[keep].astype("datetime64[D]").astype(np.int64) + 3) % 7
    cell = weekday * 24 + hours["hour"].to_numpy()[keep].astype(np.int64)
    return np.bincount(cell, weights=hours["incidents"].to_numpy()[keep], minlength=7 * 24).astype(np.int64) \
        .reshape(7, 24)


def totals_by(frames, query: IncidentQuery, level: str | None, today: date, column: str,
              cube_level: str | None = None) -> pd.DataFrame:
    """incidents (and closed) per value of ``column`` over the selection, most first; rows with none
    left out. ``cube_level``: the cube to read when ``column`` is finer than the query's level."""
    cube = frame_for(frames, query, cube_level or level)
    if cube is None or column not in cube.columns:
        return pd.DataFrame({column: pd.Series(dtype=str), "incidents": pd.Series(dtype=np.int64),
                             "closed": pd.Series(dtype=np.int64)})
    keep = mask(cube, query, level, today)
    codes = cube[column].cat.codes.to_numpy()[keep]
    size = len(cube[column].cat.categories)
    counts = np.bincount(codes, weights=cube["incidents"].to_numpy()[keep], minlength=size).astype(np.int64)
    closed = np.bincount(codes, weights=cube["closed"].to_numpy()[keep], minlength=size).astype(np.int64)
    out = pd.DataFrame({column: cube[column].cat.categories.astype(str), "incidents": counts, "closed": closed})
    out = out[out["incidents"] > 0]
    return out.sort_values(["incidents", column], ascending=[False, True], kind="stable").reset_index(drop=True)


def children(frames, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents per child region (districts of the city, streets of a district, grids of a street)."""
    child = child_level(level)
    if child is None:
        return pd.DataFrame({"region_id": pd.Series(dtype=str), "incidents": pd.Series(dtype=np.int64)})
    out = totals_by(frames, query, level, today, LEVEL_COLUMN[child], cube_level=child)
    return out.rename(columns={LEVEL_COLUMN[child]: "region_id"})


def hot_grids(frames, query: IncidentQuery, level: str | None, today: date, grid_ids, n: int = 10) -> pd.DataFrame:
    """The ``n`` grids (ids in ``grid_ids``, the geography's 网格) with the most incidents in the selection."""
    out = totals_by(frames, query, level, today, "grid_id", cube_level="网格")
    out = out[out["grid_id"].isin(set(grid_ids))].head(n)
    return out.rename(columns={"grid_id": "region_id"}).reset_index(drop=True)
