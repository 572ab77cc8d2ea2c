"""A published incident frame's columns as numpy arrays, made once per frame (a new publish is a new
frame), and the rows of a selection found from them.

Two orders serve the selections: the frame's own (the cubes are grouped by day first, the detail
frame is newest first), where a period is a slice found by binary search; and the region order, a
stable sort of the rows by district, street and grid, where a region (of any level) is one block
and, within a block of the frame's finest region level, a period is again a slice. A city view reads
a slice of the first, a region's view a block of the second, so neither compares every row of a
frame. :func:`prepare` makes every array a selection uses, so that the warmer can do it once after a
publish (dashboard/incident_view.py ``warm``) instead of the first view that reads the frame.
"""
from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.kept import Kept
from datasources.contracts import CLOSED

REGION_COLUMNS = ("district_id", "street_id", "grid_id")  # coarsest first
MEASURES = ("incidents", "closed", "ontime", "handling_hours", "overdue")
KEY_COLUMNS = ("category", "source", "status")


def row_measures(detail: pd.DataFrame) -> dict[str, np.ndarray]:
    """The cube's measures of each incident of a detail frame (dashboard/incident_cube.py): 1, closed,
    closed on time (by its deadline, or without one), its handling hours (0 while open), overdue."""
    closed = (detail["status"] == CLOSED).to_numpy(dtype=bool)
    deadline, closed_at = detail["deadline_at"].to_numpy(), detail["closed_at"].to_numpy()
    return {"incidents": np.ones(len(detail), dtype=np.int64), "closed": closed.astype(np.int64),
            "ontime": (closed & (np.isnat(deadline) | (closed_at <= deadline))).astype(np.int64),
            "handling_hours": detail["handling_hours"].fillna(0.0).to_numpy(dtype=np.float64),
            "overdue": detail["overdue"].to_numpy(dtype=bool).astype(np.int64)}


class Columns:
    """The arrays of one frame (see the module's docstring). ``order``: +1 rows by day ascending, -1
    descending, 0 neither (periods are then masks)."""

    def __init__(self, frame: pd.DataFrame, day_column: str):
        self.frame = frame  # kept alive with its entry, so its id stays its own
        self.day_column = day_column
        self._arrays: dict[str, object] = {}
        self._lock = threading.RLock()  # the warmer and a request may make the same array at once
        self.order = 0
        self.regions = tuple(c for c in REGION_COLUMNS if c in frame.columns)
        if day_column in frame.columns:
            moments = self.moments
            self.unit = np.datetime_data(moments.dtype)[0]
            self.per_day = np.timedelta64(1, "D") // np.timedelta64(1, self.unit)
            ints = moments.view(np.int64)
            self.order = 1 if (ints[1:] >= ints[:-1]).all() else -1 if (ints[1:] <= ints[:-1]).all() else 0

    def _get(self, name: str, make):
        hit = self._arrays.get(name)
        if hit is None:
            with self._lock:
                hit = self._arrays.get(name)
                if hit is None:
                    hit = self._arrays[name] = make()
        return hit

    # ---- the frame's own order -----------------------------------------------------------------

    @property
    def moments(self) -> np.ndarray:
        """The day (or moment) of each row as datetime64, without a copy."""
        return self._get("@moments", lambda: self.frame[self.day_column].to_numpy())

    def day_numbers(self) -> np.ndarray:
        """Days since 1970-01-01 of each row (int32; NaT far below any day)."""
        return self._get("@days", lambda: np.maximum(self.moments.view(np.int64) // self.per_day,
                                                     np.iinfo(np.int32).min).astype(np.int32))

    def codes(self, column: str) -> np.ndarray:
        return self._get(column, lambda: self.frame[column].cat.codes.to_numpy())

    def keys(self, column: str) -> np.ndarray:
        """The codes as np.intp, what np.bincount counts by (it would convert them on every call)."""
        return self._get(f"@keys:{column}", lambda: self.codes(column).astype(np.intp))

    def values(self, column: str) -> np.ndarray:
        return self._get(column, lambda: self.frame[column].to_numpy())

    def arrow(self, column: str) -> pa.Array:
        """A text column as one Arrow array (a take from a chunked column would join its chunks each time)."""
        def make():
            values = pa.array(self.frame[column].astype(str), pa.string())  # no copy of Arrow-backed text
            return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        return self._get(f"@arrow:{column}", make)

    def weights(self, column: str) -> np.ndarray:
        """A measure as float64, np.bincount's weights (it would convert them on every call)."""
        return self._get(f"@weights:{column}", lambda: self.values(column).astype(np.float64))

    def measure(self, name: str) -> np.ndarray:
        """An additive measure of each row: a cube's column as float64 (np.bincount's weights), or, for
        the detail frame (one row per incident), :func:`row_measures`' kept small (0/1 as int8; its own
        ``handling_hours`` is NaN while open), converted by the caller for the few rows it selects."""
        if self.day_column != "reported_at":
            return self.weights(name)
        return self._get("@row-measures", lambda: {
            k: v if v.dtype.kind == "f" else v.astype(np.int8) for k, v in row_measures(self.frame).items()})[name]

    def cells(self) -> np.ndarray:
        """weekday × 24 + hour: each row's cell of the hour × weekday heatmap (np.intp)."""
        def make():
            weekdays = (self.day_numbers().astype(np.intp) + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
            if "hour" in self.frame.columns:
                hours = self.values("hour").astype(np.intp)
            else:
                hours = (self.moments.view(np.int64) // (self.per_day // 24)) % 24
            return weekdays * 24 + hours
        return self._get("@cells", make)

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

    def day_bounds(self, first: date, last: date) -> tuple[int, int]:
        """Day numbers: ``first`` and the day after ``last``."""
        epoch = date(1970, 1, 1)
        return (first - epoch).days, (last - epoch).days + 1

    def span(self, first: date, last: date) -> tuple[int, int, np.ndarray | None]:
        """(lo, hi, keep): the rows of days ``first`` … ``last`` are ``lo:hi`` (where ``keep``)."""
        a, b = self.day_bounds(first, last)
        return _span(self.day_numbers(), self.order, a, b)

    # ---- the region order ----------------------------------------------------------------------

    def region_order(self) -> np.ndarray:
        """Row numbers sorted by district, street and grid, the frame's order kept within each (int32)."""
        def make():
            if not self.regions:
                return np.arange(len(self.frame), dtype=np.int32)
            # one small code per distinct (district, street, grid), ranked in their order: a radix sort
            combined = np.zeros(len(self.frame), dtype=np.int64)
            for column in self.regions:
                codes = self.codes(column).astype(np.int64) + 1  # -1 (missing) sorts first
                combined = combined * (int(codes.max(initial=0)) + 1) + codes
            _, rank = np.unique(combined, return_inverse=True)
            dtype = np.int16 if rank.max(initial=0) < np.iinfo(np.int16).max else np.int32
            return np.argsort(rank.astype(dtype), kind="stable").astype(np.int32)
        return self._get("@region-order", make)

    def region_days(self) -> np.ndarray:
        """:meth:`day_numbers` in the region order."""
        return self._get("@region-days", lambda: self.day_numbers()[self.region_order()])

    def blocks(self, column: str) -> tuple[dict[int, tuple[int, int]], frozenset[int]]:
        """(code → (lo, hi), split codes): where each region of ``column`` lies in the region order;
        a region whose rows are not one block (a lineage that is not consistent) is split."""
        def make():
            codes = self.codes(column)[self.region_order()]
            if not len(codes):
                return {}, frozenset()
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            ends = np.r_[starts[1:], len(codes)]
            found: dict[int, tuple[int, int]] = {}
            split: set[int] = set()
            for code, lo, hi in zip(codes[starts].tolist(), starts.tolist(), ends.tolist()):
                if code in found or code in split:
                    found.pop(code, None)
                    split.add(code)
                else:
                    found[code] = (lo, hi)
            return found, frozenset(split)
        return self._get(f"@blocks:{column}", make)

    def region_rows(self, column: str, code: int, days: tuple[int, int] | None) -> np.ndarray | None:
        """Row numbers (in the region order) of region ``code`` of ``column`` on ``days`` (day numbers,
        end exclusive; None: every day); None where the region is not one block."""
        if column not in self.regions:
            return None
        found, split = self.blocks(column)
        if code in split:
            return None
        if code not in found:
            return np.empty(0, dtype=np.int32)
        lo, hi = found[code]
        rows = self.region_order()[lo:hi]
        if days is None:
            return rows
        in_days = self.region_days()[lo:hi]
        order = self.order if column == self.regions[-1] else 0  # days are in order within a finest block only
        a, b, keep = _span(in_days, order, *days)
        return rows[a:b] if keep is None else rows[keep]


def _span(days: np.ndarray, order: int, a: int, b: int) -> tuple[int, int, np.ndarray | None]:
    a, b = days.dtype.type(a), days.dtype.type(b)  # a Python int would have np.searchsorted convert the array
    if order > 0:
        return int(np.searchsorted(days, a, "left")), int(np.searchsorted(days, b, "left")), None
    if order < 0:  # newest first
        return _first_below(days, b), _first_below(days, a), None
    return 0, len(days), (days >= a) & (days < b)


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


_COLUMNS = Kept(24)  # the frames of a few publishes: the newest are used, the oldest dropped first


def columns(frame: pd.DataFrame, day_column: str) -> Columns:
    key = (id(frame), day_column)
    hit = _COLUMNS.get(key)  # an entry keeps its frame alive: its id is the frame's own
    return hit if hit is not None else _COLUMNS.put(key, Columns(frame, day_column))


def prepare(frame: pd.DataFrame, day_column: str) -> Columns:
    """Every array the selections read from ``frame``, made now (the warmer's work after a publish)."""
    cols = columns(frame, day_column)
    if day_column in frame.columns:
        cols.day_numbers()
        cols.region_days()
        if "hour" in frame.columns or day_column == "reported_at":
            cols.cells()
    for column in cols.regions:
        cols.keys(column)
        cols.labels(column)
        cols.blocks(column)
    for column in KEY_COLUMNS:
        if column in frame.columns:
            cols.keys(column)
            cols.labels(column)
            cols.label_rank(column)
    for column in MEASURES:
        if column in frame.columns and day_column == "day":
            cols.weights(column)
            cols.values(column)
    if day_column == "reported_at":
        cols.measure("incidents")  # every measure of the detail's rows (the hour questions below 区县)
    return cols
