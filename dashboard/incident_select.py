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

from dashboard.incident_query import DEFAULT_SORT, IncidentQuery

LEVELS = ("区县", "镇街", "网格")
LEVEL_COLUMN = {"区县": "district_id", "镇街": "street_id", "网格": "grid_id"}
CUBE_OF_LEVEL = {None: "cube_district", "区县": "cube_district", "镇街": "cube_street", "网格": "cube_grid"}
HOURS_OF_LEVEL = {None: "hours_district", "区县": "hours_district", "镇街": "hours_grid", "网格": "hours_grid"}
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


_COLUMNS: dict[tuple, "_Columns"] = {}
COLUMNS_KEPT = 24


class _Columns:
    """A published frame's columns as numpy arrays, made once per frame (a new publish is a new
    frame): categorical codes, and whether the rows run in day order (the cubes are grouped by day
    first; the detail frame is newest first), so that a period is a slice found by binary search
    instead of a comparison of every row."""

    def __init__(self, frame: pd.DataFrame, day_column: str):
        self.frame = frame  # kept alive with its entry, so its id stays its own
        self.day_column = day_column
        self._arrays: dict[str, np.ndarray] = {}
        self.order = 0  # +1 rows by day ascending, -1 descending, 0 neither (periods are then masks)
        if day_column in frame.columns:
            moments = self.moments
            self.unit = np.datetime_data(moments.dtype)[0]
            self.per_day = np.timedelta64(1, "D") // np.timedelta64(1, self.unit)
            ints = moments.view(np.int64)
            self.order = 1 if (ints[1:] >= ints[:-1]).all() else -1 if (ints[1:] <= ints[:-1]).all() else 0

    def _get(self, name: str, make) -> np.ndarray:
        hit = self._arrays.get(name)
        if hit is None:
            hit = self._arrays[name] = make()
        return hit

    @property
    def moments(self) -> np.ndarray:
        """The day (or moment) of each row as datetime64, without a copy."""
        return self._get("@moments", lambda: self.frame[self.day_column].to_numpy())

    def days_of(self, moments: np.ndarray) -> np.ndarray:
        """Days since 1970-01-01 of ``moments`` (some of :attr:`moments`), as np.intp."""
        return moments.view(np.int64) // self.per_day

    def codes(self, column: str) -> np.ndarray:
        return self._get(column, lambda: self.frame[column].cat.codes.to_numpy())

    def keys(self, column: str) -> np.ndarray:
        """The codes as np.intp, what np.bincount counts by (it would convert them on every call)."""
        return self._get(f"@keys:{column}", lambda: self.codes(column).astype(np.intp))

    def values(self, column: str) -> np.ndarray:
        return self._get(column, lambda: self.frame[column].to_numpy())

    def weights(self, column: str) -> np.ndarray:
        """A measure as float64, np.bincount's weights (it would convert them on every call)."""
        return self._get(f"@weights:{column}", lambda: self.values(column).astype(np.float64))

    def hours(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Hour of day of rows ``lo:hi``: the frame's ``hour`` column, or of its moments."""
        if "hour" in self.frame.columns:
            return self.values("hour")[lo:hi]
        return ((self.moments[lo:hi].view(np.int64) // (self.per_day // 24)) % 24).astype(np.int8)

    def weekdays(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return (self.days_of(self.moments[lo:hi]) + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)

    def cells(self) -> np.ndarray:
        """weekday × 24 + hour: each row's cell of the hour × weekday heatmap (np.intp)."""
        return self._get("@cells", lambda: self.weekdays() * 24 + self.hours())

    def code(self, column: str, value: str) -> int:
        """The categorical code of ``value`` in ``column`` (-2, matching nothing, where it is absent)."""
        at = self._get(f"@codes-of:{column}", lambda: {label: i for i, label in enumerate(self.labels(column))})
        return at.get(value, -2)

    def labels(self, column: str) -> np.ndarray:
        """The column's categories as text."""
        return self._get(f"@labels:{column}",
                         lambda: np.asarray(self.frame[column].cat.categories.astype(str), dtype=object))

    def label_rank(self, column: str) -> np.ndarray:
        """Each category's place in text order (the order of ties)."""
        return self._get(f"@rank:{column}", lambda: np.argsort(np.argsort(self.labels(column).astype(str),
                                                                          kind="stable"), kind="stable"))

    def span(self, first: date, last: date) -> tuple[int, int, np.ndarray | None]:
        """(lo, hi, keep): the rows of days ``first`` … ``last`` are ``lo:hi`` (where ``keep``)."""
        a = np.datetime64(first, "D").astype(f"datetime64[{self.unit}]").view(np.int64)
        b = (np.datetime64(last, "D") + np.timedelta64(1, "D")).astype(f"datetime64[{self.unit}]").view(np.int64)
        ints = self.moments.view(np.int64)
        if self.order > 0:
            return int(np.searchsorted(ints, a, "left")), int(np.searchsorted(ints, b, "left")), None
        if self.order < 0:  # newest first
            return _first_below(ints, b), _first_below(ints, a), None
        return 0, len(ints), (ints >= a) & (ints < b)


def _first_below(descending: np.ndarray, value: int) -> int:
    """The first index of a descending array whose value is below ``value`` (binary search:
    np.searchsorted would copy a reversed view)."""
    lo, hi = 0, len(descending)
    while lo < hi:
        mid = (lo + hi) // 2
        if descending[mid] < value:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _columns(frame: pd.DataFrame, day_column: str) -> _Columns:
    key = (id(frame), day_column)
    hit = _COLUMNS.get(key)
    if hit is not None and hit.frame is frame:
        return hit
    if len(_COLUMNS) >= COLUMNS_KEPT:
        _COLUMNS.clear()
    hit = _COLUMNS[key] = _Columns(frame, day_column)
    return hit


def frame_for(frames, query: IncidentQuery, level: str | None, *, detail: bool = False) -> pd.DataFrame | None:
    """The smallest frame that holds the query's region level (and its hour, if it selects one)."""
    if detail:
        return frames.get("detail")
    by_hour = query.weekday is not None or query.hour is not None
    return frames.get((HOURS_OF_LEVEL if by_hour else CUBE_OF_LEVEL)[level])


@dataclass(frozen=True)
class Rows:
    """Rows of a frame: ``lo:hi``, and of those the ones where ``keep`` (None: all of them)."""
    lo: int
    hi: int
    keep: np.ndarray | None

    def of(self, values: np.ndarray) -> np.ndarray:
        part = values[self.lo:self.hi]
        return part if self.keep is None else part[self.keep]

    def total(self, values: np.ndarray):
        part = values[self.lo:self.hi]
        return part.sum() if self.keep is None else np.add.reduce(part, where=self.keep)


_ROWS: dict[tuple, tuple[pd.DataFrame, Rows]] = {}
ROWS_KEPT = 48


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
    found = _rows(_columns(frame, day_column), query, level, today, period)
    if len(_ROWS) >= ROWS_KEPT:
        _ROWS.clear()
    _ROWS[key] = (frame, found)  # the entry keeps the frame alive, so its id stays its own
    return found


def _rows(cols: _Columns, query: IncidentQuery, level: str | None, today: date, period: bool) -> Rows:
    lo, hi, keep = (cols.span(*query.days(today)) if period else (0, len(cols.frame), None))
    tests = []
    if query.region is not None and level is not None:
        column = LEVEL_COLUMN[level]
        tests.append((cols.codes(column), cols.code(column, query.region)))
    for column in ("category", "source", "status"):
        value = getattr(query, column)
        if value is not None:
            tests.append((cols.codes(column), cols.code(column, value)))
    for values, wanted in tests:
        hit = values[lo:hi] == wanted
        keep = hit if keep is None else keep & hit
    # a heatmap cell's weekday and hour, of the rows left in the slice only
    for wanted, of in ((query.weekday, cols.weekdays), (query.hour, cols.hours)):
        if wanted is not None:
            hit = of(lo, hi) == wanted
            keep = hit if keep is None else keep & hit
    return Rows(lo, hi, keep)


def mask(frame: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, *, period: bool = True,
         day_column: str = "day") -> np.ndarray:
    """:func:`rows` as a mask over the whole frame."""
    found = rows(frame, query, level, today, period=period, day_column=day_column)
    keep = np.zeros(len(frame), dtype=bool)
    keep[found.lo:found.hi] = True if found.keep is None else found.keep
    return keep


def kpis(frames, query: IncidentQuery, level: str | None, today: date) -> Kpis:
    cube = frame_for(frames, query, level)
    if cube is None:
        return Kpis(0, 0, 0, 0, 0.0)
    cols = _columns(cube, "day")
    in_period = rows(cube, query, level, today)
    every_day = rows(cube, query, level, today, period=False)
    return Kpis(int(in_period.total(cols.values("incidents"))), int(in_period.total(cols.values("closed"))),
                int(in_period.total(cols.values("ontime"))), int(every_day.total(cols.values("overdue"))),
                float(in_period.total(cols.values("handling_hours"))))


def daily(frames, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents and closed (of those reported that day) for every day of the period, 0 on quiet days."""
    first, last = query.days(today)
    days = pd.date_range(first, last, freq="D")
    cube = frame_for(frames, query, level)
    if cube is None:
        return pd.DataFrame({"date": days, "incidents": 0, "closed": 0})
    cols = _columns(cube, "day")
    found = rows(cube, query, level, today)
    index = cols.days_of(found.of(cols.moments)) - (first - _EPOCH).days
    out = {"date": days}
    for column in ("incidents", "closed"):
        out[column] = np.bincount(index, weights=found.of(cols.weights(column)), minlength=len(days))[:len(days)] \
            .astype(np.int64)
    return pd.DataFrame(out)


def hour_weekday(frames, query: IncidentQuery, level: str | None, today: date) -> np.ndarray:
    """7 × 24 counts (Monday first) of the selection by weekday and hour of 受理."""
    hours = frames.get(HOURS_OF_LEVEL[level])
    if hours is None:
        return np.zeros((7, 24), dtype=np.int64)
    cols = _columns(hours, "day")
    found = rows(hours, query, level, today)
    return np.bincount(found.of(cols.cells()), weights=found.of(cols.weights("incidents")), minlength=7 * 24) \
        .astype(np.int64).reshape(7, 24)


def totals_by(frames, query: IncidentQuery, level: str | None, today: date, column: str,
              cube_level: str | None = None, *, only=None, n: int | None = None) -> pd.DataFrame:
    """incidents (and closed) per value of ``column`` over the selection, most first (ties by name);
    rows with none left out. ``cube_level``: the cube to read when ``column`` is finer than the
    query's level; ``only``: the values to keep (None: all); ``n``: the first ``n`` only."""
    cube = frame_for(frames, query, cube_level or level)
    if cube is None or column not in cube.columns:
        return pd.DataFrame({column: pd.Series(dtype=str), "incidents": pd.Series(dtype=np.int64),
                             "closed": pd.Series(dtype=np.int64)})
    cols = _columns(cube, "day")
    found = rows(cube, query, level, today)
    codes = found.of(cols.keys(column))
    labels = cols.labels(column)
    counts = np.bincount(codes, weights=found.of(cols.weights("incidents")), minlength=len(labels)).astype(np.int64)
    picked = counts > 0
    if only is not None:
        wanted = set(only)
        picked &= np.fromiter((label in wanted for label in labels), dtype=bool, count=len(labels))
    at = np.flatnonzero(picked)
    at = at[np.lexsort((cols.label_rank(column)[at], -counts[at]))][:n]
    closed = np.bincount(codes, weights=found.of(cols.weights("closed")), minlength=len(labels)).astype(np.int64)
    return pd.DataFrame({column: pd.Series(labels[at], dtype=str), "incidents": counts[at], "closed": closed[at]})


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
