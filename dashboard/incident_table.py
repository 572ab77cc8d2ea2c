"""The incident table of /incidents: a page of the published ``detail`` frame at a time, sorted and
filtered on the server, and the streamed download of the whole selection (up to a cap).

The detail frame is published newest first, so the default order pages by slicing the selection's
row numbers; another order sorts only the selected rows, and only as far as the page needs
(``np.argpartition``). Grid column filters (AG Grid's filter model) narrow the selection further,
testing its rows only. A page's values are taken from the frame's arrays at the page's rows.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard import incident_duckdb as duck
from dashboard.detail_file import DetailFile
from dashboard.downloads import Column
from dashboard.incident_query import IncidentQuery
from dashboard import incident_arrays as arrays
from dashboard import incident_select as select
from dashboard.masking import mask_text

#: the table's columns: detail column → Chinese header (the grid's and the download's)
COLUMNS: dict[str, str] = {
    "incident_id": "事件编号", "reported_at": "受理时间", "district_id": "区县", "street_id": "镇街",
    "grid_id": "网格", "category": "事件分类", "source": "来源", "status": "办理状态",
    "deadline_at": "办理时限", "closed_at": "办结时间", "handling_hours": "处置时长（小时）", "overdue": "超期未办结",
}
REGION_COLUMNS = ("district_id", "street_id", "grid_id")
TIME_COLUMNS = ("reported_at", "deadline_at", "closed_at")
CHUNK_ROWS = 20_000
#: the download's columns (dashboard/downloads.py): the table's headers with their kinds
SHEET: list[Column] = [Column(label, "datetime" if key in TIME_COLUMNS else
                              "decimal" if key == "handling_hours" else "text",
                              width=22 if key == "incident_id" else None) for key, label in COLUMNS.items()]


def _text_filter(values: pa.Array, spec: dict) -> np.ndarray:
    """An AG Grid text condition over ``values`` (Arrow strings; '' where none)."""
    needle = str(spec.get("filter") or "")
    kind = spec.get("type", "contains")
    if kind in ("equals", "notEqual"):
        hit = pc.equal(values, needle)
    elif kind == "startsWith":
        hit = pc.starts_with(values, pattern=needle)
    elif kind == "endsWith":
        hit = pc.ends_with(values, pattern=needle)
    else:
        hit = pc.match_substring(values, pattern=needle)
    hit = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return ~hit if kind in ("notEqual", "notContains") else hit


def _number_filter(values: np.ndarray, spec: dict) -> np.ndarray:
    kind, a, b = spec.get("type", "equals"), spec.get("filter"), spec.get("filterTo")
    try:
        a = float(a) if a is not None else None
        b = float(b) if b is not None else None
    except (TypeError, ValueError):
        return np.ones(len(values), dtype=bool)
    if a is None:
        return np.ones(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        return {"greaterThan": values > a, "greaterThanOrEqual": values >= a, "lessThan": values < a,
                "lessThanOrEqual": values <= a, "notEqual": values != a,
                "inRange": (values >= a) & (values <= (b if b is not None else a))}.get(kind, values == a)


def _text_of(cols: arrays.Columns, column: str, rows: np.ndarray) -> pa.Array:
    """The raw text of ``column`` at ``rows``: a category's label looked up once per category."""
    if column == "incident_id":
        return cols.arrow("incident_id").take(pa.array(rows))
    labels = pa.array([*cols.labels(column).tolist(), ""], pa.string())
    codes = cols.codes(column)[rows].astype(np.int32)
    codes[codes < 0] = len(labels) - 1
    return labels.take(pa.array(codes))


def filter_rows(detail: pd.DataFrame, rows: np.ndarray, filter_model: dict | None) -> np.ndarray:
    """Narrow the row numbers ``rows`` by the grid's column filters: text filters on the id, regions,
    category, source and status columns, number filters on the handling hours (AG Grid's filter
    model; conditions of one column joined by its operator). Only the selection's rows are tested."""
    cols = arrays.columns(detail, "reported_at")
    for column, spec in (filter_model or {}).items():
        if column not in COLUMNS or not isinstance(spec, dict) or column in TIME_COLUMNS or column == "overdue":
            continue
        specs = [one for one in (spec.get("conditions") or [spec]) if isinstance(one, dict)]
        if not specs:
            continue
        values = cols.values(column)[rows] if column == "handling_hours" else _text_of(cols, column, rows)
        parts = [_number_filter(values, one) if column == "handling_hours" else _text_filter(values, one)
                 for one in specs]
        joined = np.logical_or.reduce(parts) if spec.get("operator") == "OR" else np.logical_and.reduce(parts)
        rows = rows[joined]
    return rows


def _sort_key(cols: arrays.Columns, column: str, rows: np.ndarray) -> np.ndarray:
    frame = cols.frame
    if isinstance(frame[column].dtype, pd.CategoricalDtype):
        return cols.codes(column)[rows].astype(np.int64)
    if column in TIME_COLUMNS:
        moments = cols.values(column)[rows]
        out = moments.astype("datetime64[s]").astype(np.int64).astype(float)
        out[np.isnat(moments)] = np.nan
        return out
    if column == "incident_id":
        return cols.values("id_rank")[rows].astype(np.int64)
    return cols.values(column)[rows].astype(float)


def ordered_rows(detail: pd.DataFrame, rows: np.ndarray, sort: str, stop: int | None = None) -> np.ndarray:
    """The row numbers ``rows`` (in the frame's order) in the ``sort`` order ("column:asc|desc"); with
    ``stop`` only the first ``stop`` are guaranteed ordered (the rest follow in any order)."""
    column, _, direction = sort.partition(":")
    if column == "reported_at" and direction == "desc":
        return rows  # the frame's own order
    key = _sort_key(arrays.columns(detail, "reported_at"), column, rows)
    if key.dtype.kind == "f":  # missing values last in either direction
        key = np.where(np.isnan(key), np.inf if direction == "asc" else -np.inf, key)
    if direction == "desc":
        key = -key
    if stop is not None and stop < len(rows):
        # every row up to the stop-th key, ties included: argpartition picks among equal keys at random,
        # and a page must take its ties in the frame's order, as the whole sort would
        kth = key[np.argpartition(key, stop - 1)[stop - 1]]
        part = np.flatnonzero(key <= kth)
        return rows[part[np.lexsort((rows[part], key[part]))]]
    return rows[np.lexsort((rows, key))]


def selection(detail: pd.DataFrame, query: IncidentQuery, level: str | None, today: date,
              filter_model: dict | None = None) -> np.ndarray:
    """Row numbers of the query's incidents (and the grid's filters), in the frame's order: newest first."""
    found = select.rows(detail, query, level, today, day_column="reported_at")
    return filter_rows(detail, found.in_frame_order(len(detail)), filter_model)


def _labels(codes: np.ndarray, categories: list[str], names: dict[str, str], masked: bool) -> pa.Array:
    """A categorical column's values by name (each category looked up, and masked, once, not each row)."""
    labels = [names.get(c, c) for c in categories]
    labels = pa.array([mask_text(t) for t in labels] + [""] if masked else labels + [""], pa.string())
    codes = codes.astype(np.int32)
    codes[codes < 0] = len(labels) - 1  # missing: the last label, ''
    return labels.take(pa.array(codes))


def typed(frame: pd.DataFrame, names: dict[str, str], mask: bool = True, rows: np.ndarray | None = None) -> pa.Table:
    """Rows (``rows`` of ``frame``, a published detail frame; None: all of a small frame) with their
    values as the downloads take them, in :data:`COLUMNS` order: region names, times as timestamps,
    hours to one decimal, 是/否; with ``mask`` (``app.mask_personal``) phone and 身份证 numbers in the
    text columns masked (dashboard/masking.py) as everywhere source values are shown. The incident id
    is the row's key (the record's URL), shown as it is. Built in Arrow from the frame's arrays
    (dashboard/incident_arrays.py): a download formats 100,000 rows, a table page reads 50 of 2 million."""
    if rows is None:  # a few rows of their own (an incident's record): no arrays kept for them
        def values(column):
            return frame[column].to_numpy()

        def codes(column):
            return frame[column].cat.codes.to_numpy()
        ids = pa.array(frame["incident_id"].astype(str), pa.string())
    else:
        cols = arrays.columns(frame, "reported_at")

        def values(column):
            return cols.values(column)[rows]

        def codes(column):
            return cols.codes(column)[rows]
        ids = cols.arrow("incident_id").take(pa.array(rows))
    columns = {"incident_id": ids}
    for column in (*REGION_COLUMNS, "category", "source", "status"):
        categories = [str(c) for c in frame[column].cat.categories]
        columns[column] = _labels(codes(column), categories, names if column in REGION_COLUMNS else {}, mask)
    for column in TIME_COLUMNS:
        columns[column] = pa.array(values(column).astype("datetime64[us]"), pa.timestamp("us"), from_pandas=True)
    columns["handling_hours"] = pa.array(np.round(values("handling_hours").astype(float), 1), from_pandas=True)
    overdue = values("overdue").astype(bool).astype(np.int32)
    columns["overdue"] = pa.array(["否", "是"], pa.string()).take(pa.array(overdue))
    return pa.table({column: columns[column] for column in COLUMNS})


def display(frame: pd.DataFrame, names: dict[str, str], mask: bool = True, rows: np.ndarray | None = None) -> pa.Table:
    """Rows as the table shows them: :func:`typed`, with times as text to the minute ('' where none)."""
    table = typed(frame, names, mask, rows)
    for column in TIME_COLUMNS:
        at = table.column_names.index(column)
        table = table.set_column(at, column, pc.fill_null(
            pc.strftime(table.column(column), format="%Y-%m-%d %H:%M"), ""))
    return table


def page(detail, query: IncidentQuery, level: str | None, today: date, names: dict[str, str], *,
         start: int, end: int, sort: str, filter_model: dict | None = None, mask: bool = True) \
        -> tuple[list[dict], int]:
    """The rows ``start``…``end`` − 1 of the selection in ``sort`` order, and the selection's size."""
    if isinstance(detail, DetailFile):
        found, total = duck.page(detail, query, level, today, start=start, end=end, sort=sort,
                                 filter_model=filter_model)
        return display(found, names, mask).to_pylist(), total
    rows = selection(detail, query, level, today, filter_model)
    shown = ordered_rows(detail, rows, sort, stop=end)[start:end]
    return display(detail, names, mask, rows=shown).to_pylist(), len(rows)


def download_rows(detail, query: IncidentQuery, level: str | None, today: date, cap: int):
    """The row numbers a download of the selection writes (in the table's order, at most ``cap``),
    and the selection's size; over a detail on disk, a :class:`~dashboard.incident_duckdb.DownloadRows`."""
    if isinstance(detail, DetailFile):
        planned = duck.DownloadRows(detail, query, level, today, cap)
        return planned, planned.total
    rows = selection(detail, query, level, today)
    return ordered_rows(detail, rows, query.sort, stop=cap)[:cap], len(rows)


def batches(detail, rows, names: dict[str, str], mask: bool = True) -> Iterator[pa.Table]:
    """The download's rows a chunk at a time (dashboard/downloads.py writes them)."""
    if isinstance(rows, duck.DownloadRows):
        for frame in rows.frames(CHUNK_ROWS):
            yield typed(frame, names, mask)
        return
    for at in range(0, len(rows), CHUNK_ROWS):
        yield typed(detail, names, mask, rows[at:at + CHUNK_ROWS])


def with_ids(detail, ids) -> pd.DataFrame:
    """The detail rows of the incidents ``ids`` (a record, an instruction's 源工单), in the frame's order."""
    if isinstance(detail, DetailFile):
        return duck.with_ids(detail, ids)
    wanted = sorted({str(i) for i in ids})
    values = detail["incident_id"].to_numpy()
    keep = values == wanted[0] if len(wanted) == 1 else pd.Series(values).astype(str).isin(wanted).to_numpy()
    return detail[keep]
