"""Selections of the /incidents drill-down: the cube of dashboard/incident_cube.py and an
:class:`~dashboard.incident_query.IncidentQuery` in, small results out.

They pick rows by comparing categorical codes and days (numpy masks) and add up the cube's
additive measures; none groups incident rows. The rates follow the registry's 口径
(dashboard/indicators.py): 办结率 = closed ÷ incidents, 按期办结率 = ontime ÷ closed, 平均处置时长 =
handling_hours ÷ closed, all by 受理时间 in the period; 超期未办结 counts the selection's open
incidents past their deadline of every day (全部时段), as on the wall.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from dashboard import incident_arrays as arrays
from dashboard import incident_duckdb as duck
from dashboard.detail_file import DetailFile
from dashboard.incident_query import DEFAULT_SORT, IncidentQuery
from dashboard.kept import Kept

LEVELS = ("区县", "镇街", "网格")
LEVEL_COLUMN = {"区县": "district_id", "镇街": "street_id", "网格": "grid_id"}
CUBE_OF_LEVEL = {None: "cube_district", "区县": "cube_district", "镇街": "cube_street", "网格": "cube_grid"}
# the hour cube is by 区县 (its size bounded whatever the incident count); below it, the incidents themselves
HOURS_OF_LEVEL = {None: "hours_district", "区县": "hours_district", "镇街": "detail", "网格": "detail"}
_EPOCH = date(1970, 1, 1)


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


def day_column(name: str) -> str:
    """The column a frame's rows are dated by: the cubes' day, the detail frame's 受理时间."""
    return "reported_at" if name == "detail" else "day"


def name_for(query: IncidentQuery, level: str | None) -> str:
    """The smallest frame that holds the query's region level (and its hour, if it selects one)."""
    by_hour = query.weekday is not None or query.hour is not None
    return (HOURS_OF_LEVEL if by_hour else CUBE_OF_LEVEL)[level]


def _source(frames, name: str):
    """(frame, its arrays) of the frame ``name``, or None where it is not published; a detail on disk
    (dashboard/detail_file.py) has no arrays: dashboard/incident_duckdb.py answers over it."""
    frame = frames.get(name)
    if frame is None:
        return None
    return (frame, None) if isinstance(frame, DetailFile) else (frame, arrays.columns(frame, day_column(name)))


@dataclass(frozen=True)
class Rows:
    """Rows of a frame: ``lo:hi``, and of those the ones where ``keep`` (None: all of them); or, for a
    region, the row numbers ``index`` (a block of the region order, dashboard/incident_arrays.py)."""
    lo: int
    hi: int
    keep: np.ndarray | None
    index: np.ndarray | None = None

    def of(self, values: np.ndarray) -> np.ndarray:
        if self.index is not None:
            return values[self.index]
        part = values[self.lo:self.hi]
        return part if self.keep is None else part[self.keep]

    def total(self, values: np.ndarray):
        if self.index is not None:
            return values[self.index].sum()
        part = values[self.lo:self.hi]
        return part.sum() if self.keep is None else np.add.reduce(part, where=self.keep)

    def count(self) -> int:
        if self.index is not None:
            return len(self.index)
        return self.hi - self.lo if self.keep is None else int(np.count_nonzero(self.keep))

    def in_frame_order(self, n: int) -> np.ndarray:
        """The row numbers in the frame's own order (the detail frame's: newest first)."""
        if self.index is None:
            return np.arange(self.lo, self.hi) if self.keep is None else self.lo + np.flatnonzero(self.keep)
        keep = np.zeros(n, dtype=bool)
        keep[self.index] = True
        return np.flatnonzero(keep)


_ROWS = Kept(48)  # (frame, query, …) → (frame, its rows)


def rows(frame: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, *, period: bool = True,
         day_column: str = "day") -> Rows:
    """Rows of ``frame`` (a cube, or the detail frame with ``day_column`` "reported_at") in the
    query's region, period, category, source, status and heatmap cell. A page asks for the same rows
    of one frame several times (its KPIs, trend and categories; the table's pages in any order): the
    last few are kept, keyed by the frame itself (a new publish is a new frame)."""
    query = replace(query, sort=DEFAULT_SORT, page=1)  # the table's order and page select no rows
    key = (id(frame), query, level, today, period, day_column)
    hit = _ROWS.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1]
    found = _rows(arrays.columns(frame, day_column), query, level, today, period)
    return _ROWS.put(key, (frame, found))[1]  # the entry keeps the frame alive, so its id stays its own


def _rows(cols: arrays.Columns, query: IncidentQuery, level: str | None, today: date, period: bool) -> Rows:
    index = None
    if query.region is not None and level is not None:
        column = LEVEL_COLUMN[level]
        index = cols.region_rows(column, cols.code(column, query.region),
                                 cols.day_bounds(*query.days(today)) if period else None)
    if index is not None:
        lo, hi, keep = 0, len(index), None
    else:
        lo, hi, keep = (cols.span(*query.days(today)) if period else (0, len(cols.frame), None))
    tests = []
    if query.region is not None and level is not None and index is None:
        column = LEVEL_COLUMN[level]
        tests.append((cols.codes(column), cols.code(column, query.region), None))
    for column in ("category", "source", "status"):
        value = getattr(query, column)
        if value is not None:
            tests.append((cols.codes(column), cols.code(column, value), None))
    # a heatmap cell's weekday and hour (weekday × 24 + hour)
    if query.weekday is not None and query.hour is not None:
        tests.append((cols.cells(), query.weekday * 24 + query.hour, None))
    elif query.weekday is not None:
        tests.append((cols.cells(), query.weekday, 24))
    elif query.hour is not None:
        tests.append((cols.cells(), query.hour, -24))
    for values, wanted, by in tests:
        part = values[index] if index is not None else values[lo:hi]
        part = part if by is None else part // by if by > 0 else part % -by
        hit = part == wanted
        keep = hit if keep is None else keep & hit
    if index is not None:
        return Rows(0, 0, None, index if keep is None else index[keep])
    return Rows(lo, hi, keep)


def mask(frame: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, *, period: bool = True,
         day_column: str = "day") -> np.ndarray:
    """:func:`rows` as a mask over the whole frame."""
    found = rows(frame, query, level, today, period=period, day_column=day_column)
    keep = np.zeros(len(frame), dtype=bool)
    if found.index is not None:
        keep[found.index] = True
    else:
        keep[found.lo:found.hi] = True if found.keep is None else found.keep
    return keep


def kpis(frames, query: IncidentQuery, level: str | None, today: date) -> Kpis:
    found = _source(frames, name_for(query, level))
    if found is None:
        return Kpis(0, 0, 0, 0, 0.0)
    frame, cols = found
    if cols is None:
        total = duck.sums(frame, query, level, today).iloc[0]
        return Kpis(int(total["incidents"]), int(total["closed"]), int(total["ontime"]),
                    duck.overdue(frame, query, level, today), float(total["handling_hours"]))
    in_period = rows(frame, query, level, today, day_column=cols.day_column)
    every_day = rows(frame, query, level, today, period=False, day_column=cols.day_column)
    return Kpis(int(in_period.total(cols.measure("incidents"))), int(in_period.total(cols.measure("closed"))),
                int(in_period.total(cols.measure("ontime"))), int(every_day.total(cols.measure("overdue"))),
                float(in_period.total(cols.measure("handling_hours"))))


def _counts(codes: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(codes, weights=weights.astype(np.float64, copy=False), minlength=size)[:size].astype(np.int64)


def daily(frames, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents and closed (of those reported that day) for every day of the period, 0 on quiet days."""
    first, last = query.days(today)
    days = pd.date_range(first, last, freq="D")
    found = _source(frames, name_for(query, level))
    if found is None:
        return pd.DataFrame({"date": days, "incidents": 0, "closed": 0})
    frame, cols = found
    if cols is None:
        return duck.days(frame, query, level, today)
    picked = rows(frame, query, level, today, day_column=cols.day_column)
    index = picked.of(cols.day_numbers()) - (first - _EPOCH).days
    return pd.DataFrame({"date": days, **{column: _counts(index, picked.of(cols.measure(column)), len(days))
                                          for column in ("incidents", "closed")}})


def hour_weekday(frames, query: IncidentQuery, level: str | None, today: date) -> np.ndarray:
    """7 × 24 counts (Monday first) of the selection by weekday and hour of 受理."""
    found = _source(frames, HOURS_OF_LEVEL[level])
    if found is None:
        return np.zeros((7, 24), dtype=np.int64)
    frame, cols = found
    if cols is None:
        return duck.cells(frame, query, level, today)
    picked = rows(frame, query, level, today, day_column=cols.day_column)
    return _counts(picked.of(cols.cells()), picked.of(cols.measure("incidents")), 7 * 24).reshape(7, 24)


def totals_by(frames, query: IncidentQuery, level: str | None, today: date, column: str,
              cube_level: str | None = None, *, only=None, n: int | None = None) -> pd.DataFrame:
    """incidents (and closed) per value of ``column`` over the selection, most first (ties by name);
    rows with none left out. ``cube_level``: the cube to read when ``column`` is finer than the
    query's level; ``only``: the values to keep (None: all); ``n``: the first ``n`` only."""
    found = _source(frames, name_for(query, cube_level or level))
    if found is None or column not in found[0].columns:
        return pd.DataFrame({column: pd.Series(dtype=str), "incidents": pd.Series(dtype=np.int64),
                             "closed": pd.Series(dtype=np.int64)})
    frame, cols = found
    if cols is None:
        return _duck_totals(frame, query, level, today, column, only, n)
    picked = rows(frame, query, level, today, day_column=cols.day_column)
    codes = picked.of(cols.keys(column))
    labels = cols.labels(column)
    counts = _counts(codes, picked.of(cols.measure("incidents")), len(labels))
    chosen = counts > 0
    if only is not None:
        wanted = set(only)
        chosen &= np.fromiter((label in wanted for label in labels), dtype=bool, count=len(labels))
    at = np.flatnonzero(chosen)
    at = at[np.lexsort((cols.label_rank(column)[at], -counts[at]))][:n]
    closed = _counts(codes, picked.of(cols.measure("closed")), len(labels))
    # labels as Python text (object), not Arrow-backed strings: the page reads these few rows one by one
    return pd.DataFrame({column: pd.Series(labels[at], dtype=object), "incidents": counts[at], "closed": closed[at]})


def _duck_totals(detail: DetailFile, query: IncidentQuery, level: str | None, today: date, column: str, only,
                 n: int | None) -> pd.DataFrame:
    found = duck.sums(detail, query, level, today, column)
    found = found[(found["incidents"] > 0) & found["key"].notna()]
    if only is not None:
        found = found[found["key"].isin(set(only))]
    found = found.assign(key=found["key"].astype(str)).sort_values(["incidents", "key"], ascending=[False, True],
                                                                    kind="stable")[:n]
    return pd.DataFrame({column: pd.Series(found["key"].tolist(), dtype=object),
                         "incidents": found["incidents"].to_numpy(dtype=np.int64),
                         "closed": found["closed"].to_numpy(dtype=np.int64)})


def children(frames, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents per child region (districts of the city, streets of a district, grids of a street)."""
    child = child_level(level)
    if child is None:
        return pd.DataFrame({"region_id": pd.Series(dtype=str), "incidents": pd.Series(dtype=np.int64)})
    out = totals_by(frames, query, level, today, LEVEL_COLUMN[child], cube_level=child)
    return out.rename(columns={LEVEL_COLUMN[child]: "region_id"})


def hot_grids(frames, query: IncidentQuery, level: str | None, today: date, grid_ids, n: int = 10) -> pd.DataFrame:
    """The ``n`` grids (ids in ``grid_ids``, the geography's 网格) with the most incidents in the selection."""
    out = totals_by(frames, query, level, today, "grid_id", cube_level="网格", only=grid_ids, n=n)
    return out.rename(columns={"grid_id": "region_id"})
