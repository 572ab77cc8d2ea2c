"""The incident table of /incidents: a page of the published ``detail`` frame at a time, sorted and
filtered on the server, and the streamed download of the whole selection (up to a cap).

The detail frame is published newest first, so the default order pages by slicing the selection's
row numbers; another order sorts only the selected rows, and only as far as the page needs
(``np.argpartition``). Grid column filters (AG Grid's filter model) narrow the selection further.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.downloads import Column
from dashboard.incident_query import IncidentQuery
from dashboard.incident_select import mask as selected
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


def _text_filter(values: pd.Series, spec: dict) -> np.ndarray:
    needle = str(spec.get("filter") or "")
    kind = spec.get("type", "contains")
    text = values.astype(str)
    if kind == "equals":
        return (text == needle).to_numpy()
    if kind == "notEqual":
        return (text != needle).to_numpy()
    if kind == "startsWith":
        return text.str.startswith(needle).to_numpy()
    if kind == "endsWith":
        return text.str.endswith(needle).to_numpy()
    if kind == "notContains":
        return ~text.str.contains(needle, regex=False).to_numpy()
    return text.str.contains(needle, regex=False).to_numpy()


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


def filter_rows(detail: pd.DataFrame, keep: np.ndarray, filter_model: dict | None) -> np.ndarray:
    """Narrow ``keep`` by the grid's column filters: text filters on the id, category, source and
    status columns, number filters on the handling hours (AG Grid's filter model; conditions of one
    column joined by its operator)."""
    for column, spec in (filter_model or {}).items():
        if column not in COLUMNS or not isinstance(spec, dict):
            continue
        specs = spec.get("conditions") or [spec]
        parts = []
        for one in specs:
            if not isinstance(one, dict):
                continue
            if column in TIME_COLUMNS or column == "overdue":
                continue
            sub = np.flatnonzero(keep)  # only the selected rows are tested
            part = np.zeros(len(detail), dtype=bool)
            part[sub] = _number_filter(detail[column].to_numpy()[sub], one) if column == "handling_hours" \
                else _text_filter(detail[column].iloc[sub], one)
            parts.append(part)
        if parts:
            joined = np.logical_or.reduce(parts) if spec.get("operator") == "OR" else np.logical_and.reduce(parts)
            keep = keep & joined
    return keep


def _sort_key(detail: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
    values = detail[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()[rows].astype(np.int64)
    if column in TIME_COLUMNS:
        out = values.to_numpy()[rows].astype("datetime64[s]").astype(np.int64).astype(float)
        out[np.isnat(values.to_numpy()[rows])] = np.nan
        return out
    if column == "incident_id":
        return detail["id_rank"].to_numpy()[rows].astype(np.int64)
    return values.to_numpy()[rows].astype(float)


def ordered_rows(detail: pd.DataFrame, keep: np.ndarray, sort: str, stop: int | None = None) -> np.ndarray:
    """Row numbers of the selection in the ``sort`` order ("column:asc|desc"); with ``stop`` only
    the first ``stop`` are guaranteed ordered (the rest follow in any order)."""
    rows = np.flatnonzero(keep)
    column, _, direction = sort.partition(":")
    if column == "reported_at" and direction == "desc":
        return rows  # the frame's own order
    key = _sort_key(detail, column, rows)
    if key.dtype.kind == "f":  # missing values last in either direction
        key = np.where(np.isnan(key), np.inf if direction == "asc" else -np.inf, key)
    if direction == "desc":
        key = -key
    if stop is not None and stop < len(rows):
        part = np.argpartition(key, stop - 1)[:stop]
        return rows[part[np.lexsort((rows[part], key[part]))]]
    return rows[np.lexsort((rows, key))]


def selection(detail: pd.DataFrame, query: IncidentQuery, level: str | None, today: date,
              filter_model: dict | None = None) -> np.ndarray:
    return filter_rows(detail, selected(detail, query, level, today, day_column="reported_at"), filter_model)


def _labels(values: pd.Series, names: dict[str, str], masked: bool) -> pa.Array:
    """A categorical column's values by name (each category looked up, and masked, once, not each row)."""
    labels = [names.get(str(c), str(c)) for c in values.cat.categories]
    labels = pa.array([mask_text(t) for t in labels] + [""] if masked else labels + [""], pa.string())
    codes = values.cat.codes.to_numpy().astype(np.int32)
    codes[codes < 0] = len(labels) - 1  # missing: the last label, ''
    return pc.cast(pa.DictionaryArray.from_arrays(pa.array(codes), labels), pa.string())


def typed(frame: pd.DataFrame, names: dict[str, str], mask: bool = True) -> pa.Table:
    """Rows with their values as the downloads take them, in :data:`COLUMNS` order: region names,
    times as timestamps, hours to one decimal, 是/否; with ``mask`` (``app.mask_personal``) phone and
    身份证 numbers in the text columns masked (dashboard/masking.py) as everywhere source values are
    shown. The incident id is the row's key (the record's URL), shown as it is. Built in Arrow: a
    download formats 100,000 rows."""
    columns = {"incident_id": pa.array(frame["incident_id"].astype(str), pa.string())}
    for column in REGION_COLUMNS:
        columns[column] = _labels(frame[column], names, mask)
    for column in ("category", "source", "status"):
        columns[column] = _labels(frame[column], {}, mask)
    for column in TIME_COLUMNS:
        columns[column] = pa.array(frame[column].to_numpy().astype("datetime64[us]"), pa.timestamp("us"),
                                   from_pandas=True)
    columns["handling_hours"] = pa.array(frame["handling_hours"].round(1).to_numpy(), from_pandas=True)
    overdue = frame["overdue"].to_numpy(dtype=bool).astype(np.int32)
    columns["overdue"] = pc.cast(pa.DictionaryArray.from_arrays(pa.array(overdue), pa.array(["否", "是"])), pa.string())
    return pa.table({column: columns[column] for column in COLUMNS})


def display(frame: pd.DataFrame, names: dict[str, str], mask: bool = True) -> pa.Table:
    """Rows as the table shows them: :func:`typed`, with times as text to the minute ('' where none)."""
    table = typed(frame, names, mask)
    for column in TIME_COLUMNS:
        at = table.column_names.index(column)
        table = table.set_column(at, column, pc.fill_null(
            pc.strftime(table.column(column), format="%Y-%m-%d %H:%M"), ""))
    return table


def page(detail: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, names: dict[str, str], *,
         start: int, end: int, sort: str, filter_model: dict | None = None, mask: bool = True) \
        -> tuple[list[dict], int]:
    """The rows ``start``…``end`` − 1 of the selection in ``sort`` order, and the selection's size."""
    keep = selection(detail, query, level, today, filter_model)
    rows = ordered_rows(detail, keep, sort, stop=end)[start:end]
    return display(detail.iloc[rows], names, mask).to_pylist(), int(keep.sum())


def download_rows(detail: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, cap: int) \
        -> tuple[np.ndarray, int]:
    """The row numbers a download of the selection writes (in the table's order, at most ``cap``),
    and the selection's size."""
    keep = selection(detail, query, level, today)
    return ordered_rows(detail, keep, query.sort, stop=cap)[:cap], int(keep.sum())


def batches(detail: pd.DataFrame, rows: np.ndarray, names: dict[str, str], mask: bool = True) \
        -> Iterator[pa.Table]:
    """The download's rows a chunk at a time (dashboard/downloads.py writes them)."""
    for at in range(0, len(rows), CHUNK_ROWS):
        yield typed(detail.iloc[rows[at:at + CHUNK_ROWS]], names, mask)


def find(detail: pd.DataFrame, incident_id: str) -> int | None:
    """The row number of an incident in the detail frame, or None."""
    hit = np.flatnonzero(detail["incident_id"].to_numpy() == str(incident_id))
    return int(hit[0]) if len(hit) else None
