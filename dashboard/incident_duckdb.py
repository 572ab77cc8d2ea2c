"""The /incidents selections, table pages and downloads over a :class:`~dashboard.detail_file.DetailFile`
(the published detail of a province, on disk), with DuckDB: the same answers as the numpy paths of
dashboard/incident_select.py and dashboard/incident_table.py give over the in-memory detail frame
(tests/test_incident_duckdb.py compares them), reading only the row groups and columns a query needs.

Every query is one ``WHERE`` made here from the query (region, period, category, source, status,
heatmap cell) and the grid's column filters, with its values as parameters, never as text.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.detail_file import DetailFile, from_arrow_rows
from dashboard.incident_query import IncidentQuery
from dashboard.kept import Kept
from datasources.contracts import CLOSED

LEVEL_COLUMN = {"区县": "district_id", "镇街": "street_id", "网格": "grid_id"}
_TEXT_FILTERS = {"equals": "{c} = ?", "notEqual": "{c} = ?", "startsWith": "starts_with({c}, ?)",
                 "endsWith": "ends_with({c}, ?)", "contains": "contains({c}, ?)", "notContains": "contains({c}, ?)"}
_NUMBER_FILTERS = {"greaterThan": ">", "greaterThanOrEqual": ">=", "lessThan": "<", "lessThanOrEqual": "<=",
                   "notEqual": "<>", "equals": "="}
MEASURES_SQL = (f"count(*) AS incidents, count(*) FILTER (WHERE status = '{CLOSED}') AS closed, "
                f"count(*) FILTER (WHERE status = '{CLOSED}' AND (deadline_at IS NULL OR closed_at <= deadline_at)) "
                f"AS ontime, coalesce(sum(handling_hours) FILTER (WHERE status = '{CLOSED}'), 0) AS handling_hours")


def where(query: IncidentQuery, level: str | None, today: date, *, period: bool = True,
          filter_model: dict | None = None) -> tuple[str, list]:
    """The ``WHERE`` text and its parameters of the query's incidents (see the module's docstring)."""
    terms, params = ["TRUE"], []
    if query.region is not None and level is not None:
        terms.append(f"{LEVEL_COLUMN[level]} = ?")
        params.append(query.region)
    if period:
        first, last = query.days(today)
        terms.append("reported_at >= ? AND reported_at < ?")
        params += [pd.Timestamp(first).to_pydatetime(), pd.Timestamp(last + timedelta(days=1)).to_pydatetime()]
    for column in ("category", "source", "status"):
        if getattr(query, column) is not None:
            terms.append(f"{column} = ?")
            params.append(getattr(query, column))
    if query.weekday is not None:
        terms.append("isodow(reported_at) - 1 = ?")
        params.append(query.weekday)
    if query.hour is not None:
        terms.append("hour(reported_at) = ?")
        params.append(query.hour)
    text, more = _grid_filters(filter_model)
    return " AND ".join(terms + text), params + more


def _grid_filters(filter_model: dict | None) -> tuple[list[str], list]:
    """AG Grid's column filters (as dashboard/incident_table.py filter_rows reads them) as SQL terms."""
    from dashboard.incident_table import COLUMNS, TIME_COLUMNS

    terms, params = [], []
    for column, spec in (filter_model or {}).items():
        if column not in COLUMNS or not isinstance(spec, dict) or column in TIME_COLUMNS or column == "overdue":
            continue
        parts = []
        for one in (one for one in (spec.get("conditions") or [spec]) if isinstance(one, dict)):
            if column == "handling_hours":
                part = _number_term(one)
                if part is not None:
                    parts.append(part[0])
                    params += part[1]
                else:
                    parts.append("TRUE")
                continue
            kind = one.get("type", "contains")
            sql = _TEXT_FILTERS.get(kind, _TEXT_FILTERS["contains"]).format(c=f"coalesce({column}, '')")
            parts.append(f"NOT ({sql})" if kind in ("notEqual", "notContains") else sql)
            params.append(str(one.get("filter") or ""))
        if parts:
            terms.append("(" + (" OR " if spec.get("operator") == "OR" else " AND ").join(parts) + ")")
    return terms, params


def _number_term(spec: dict):
    kind, a, b = spec.get("type", "equals"), spec.get("filter"), spec.get("filterTo")
    try:
        a = float(a) if a is not None else None
        b = float(b) if b is not None else None
    except (TypeError, ValueError):
        return None
    if a is None:
        return None
    if kind == "inRange":
        return "(handling_hours >= ? AND handling_hours <= ?)", [a, b if b is not None else a]
    if kind == "notEqual":  # as numpy's NaN != a: an open incident's missing hours differ from any number
        return "(handling_hours IS NULL OR handling_hours <> ?)", [a]
    return f"handling_hours {_NUMBER_FILTERS.get(kind, '=')} ?", [a]


def sums(detail: DetailFile, query: IncidentQuery, level: str | None, today: date, by: str | None = None,
         *, period: bool = True) -> pd.DataFrame:
    """The cube's measures (incidents, closed, ontime, handling_hours) of the selection, by ``by``
    (an SQL expression named ``key``; None: one row)."""
    text, params = where(query, level, today, period=period)
    group = f", {by} AS key" if by else ""
    sql = f"SELECT {MEASURES_SQL}{group} FROM {{detail}} WHERE {text}" + (" GROUP BY key" if by else "")
    return detail.sql(sql, params).to_pandas()


_COUNTS = Kept(64)  # (file, where, params) → rows: the table's pages of one selection ask its size once


def count(detail: DetailFile, text: str, params: list) -> int:
    """The rows of ``WHERE text`` (kept per file: a new publish is a new file)."""
    key = (str(detail.path), detail.num_rows, text, tuple(params))
    found = _COUNTS.get(key)
    if found is None:
        found = _COUNTS.put(key, int(detail.sql(f"SELECT count(*) AS n FROM {{detail}} WHERE {text}", params)
                                     .column("n")[0].as_py()))
    return found


def overdue(detail: DetailFile, query: IncidentQuery, level: str | None, today: date) -> int:
    text, params = where(query, level, today, period=False)
    return count(detail, f"{text} AND overdue", params)


def cells(detail: DetailFile, query: IncidentQuery, level: str | None, today: date) -> np.ndarray:
    """7 × 24 counts (Monday first) of the selection by weekday and hour of 受理."""
    found = sums(detail, query, level, today, "(isodow(reported_at) - 1) * 24 + hour(reported_at)")
    out = np.zeros(7 * 24, dtype=np.int64)
    out[found["key"].to_numpy(dtype=np.int64)] = found["incidents"].to_numpy(dtype=np.int64)
    return out.reshape(7, 24)


def days(detail: DetailFile, query: IncidentQuery, level: str | None, today: date) -> pd.DataFrame:
    """incidents and closed per day of the period (0 on quiet days)."""
    first, last = query.days(today)
    index = pd.date_range(first, last, freq="D")
    found = sums(detail, query, level, today, "CAST(reported_at AS DATE)")
    found = found.set_index(pd.to_datetime(found["key"]))
    return pd.DataFrame({"date": index, **{c: found[c].reindex(index, fill_value=0).to_numpy(dtype=np.int64)
                                           for c in ("incidents", "closed")}})


def _order(sort: str) -> str:
    column, _, direction = sort.partition(":")
    from dashboard.incident_query import SORTABLE

    column = column if column in SORTABLE else "reported_at"
    way = "ASC" if direction == "asc" else "DESC"
    if column == "reported_at" and way == "DESC":
        return "row"  # the file's own order, newest first (as the in-memory table's default order)
    return f"{column} {way} NULLS LAST, row"  # missing values last either way; ties in the frame's order


def page(detail: DetailFile, query: IncidentQuery, level: str | None, today: date, *, start: int, end: int,
         sort: str, filter_model: dict | None = None) -> tuple[pd.DataFrame, int]:
    """The rows ``start`` … ``end`` − 1 of the selection in ``sort`` order (as detail rows), and its size."""
    text, params = where(query, level, today, filter_model=filter_model)
    total = count(detail, text, params)
    rows = detail.sql(f"SELECT * FROM {{detail}} WHERE {text} ORDER BY {_order(sort)} LIMIT ? OFFSET ?",
                      params + [max(0, end - start), start]).to_pandas()
    return from_arrow_rows(rows), total


class DownloadRows:
    """What a download of the selection writes (at most ``cap`` rows in the table's order), as
    dashboard/incident_table.py download_rows gives it: its length is the rows' count."""

    def __init__(self, detail: DetailFile, query: IncidentQuery, level: str | None, today: date, cap: int):
        self.detail, self.text, self.params = detail, *where(query, level, today)
        self.total = count(detail, self.text, self.params)
        self.sql = f"SELECT * FROM {{detail}} WHERE {self.text} ORDER BY {_order(query.sort)} LIMIT ?"
        self.cap = cap

    def __len__(self) -> int:
        return min(self.total, self.cap)

    def frames(self, rows: int):
        """The rows as detail-row frames, ``rows`` at a time."""
        for batch in self.detail.batches(self.sql, self.params + [self.cap], rows):
            yield from_arrow_rows(batch.to_pandas())


def with_ids(detail: DetailFile, ids) -> pd.DataFrame:
    """The rows of the incidents ``ids`` (detail rows, in the frame's order)."""
    wanted = sorted({str(i) for i in ids})
    if not wanted:
        return from_arrow_rows(detail.sql("SELECT * FROM {detail} LIMIT 0").to_pandas())
    return from_arrow_rows(detail.sql("SELECT * FROM {detail} WHERE incident_id = ANY(?)", [wanted]).to_pandas())


def points(detail: DetailFile, query: IncidentQuery, level: str | None, today: date, limit: int):
    """lon, lat of the selection's newest ``limit`` incidents that have them."""
    text, params = where(query, level, today)
    found = detail.sql(f"SELECT lon, lat FROM (SELECT lon, lat FROM {{detail}} WHERE {text} ORDER BY row LIMIT ?) "
                       "WHERE lon IS NOT NULL AND lat IS NOT NULL AND NOT isnan(lon) AND NOT isnan(lat)",
                       params + [limit])
    return found.column("lon").to_numpy(), found.column("lat").to_numpy()
