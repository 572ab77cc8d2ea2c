"""The incidents' ``detail`` frame kept as a Parquet file instead of in memory, for a province's tens
of millions of incidents (a pushed-down pull above ``detail_rows``, dashboard/pull_pushdown.py).

A :class:`DetailFile` is published in place of the DataFrame: the frame store moves its file into the
version's folder and hands readers a new handle on it, never the rows. Its rows are the detail frame's
columns (dashboard/incident_cube.py ``DETAIL_COLUMNS``, without ``id_rank``: DuckDB sorts the ids as
text, the order the rank stands for) plus ``row``, each row's place newest first; row groups of
:data:`ROW_GROUP_ROWS` newest first, so that a period reads the few groups of its days.
dashboard/incident_duckdb.py answers the selections, the table's pages and downloads over it with
DuckDB (one database per process, a cursor per thread), reading only what a query needs.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 131_072
FILE_NAME = "detail.parquet"
CATEGORICAL = ("district_id", "street_id", "grid_id", "category", "source", "status")


_DATABASE = None
_DATABASE_LOCK = threading.Lock()


def _database():
    """The process's one in-memory DuckDB (made on first use, never at import): its threads and memory
    are shared by every request thread's cursor."""
    global _DATABASE
    with _DATABASE_LOCK:
        if _DATABASE is None:
            import duckdb

            _DATABASE = duckdb.connect(config={"threads": 2, "memory_limit": "512MB"})
            _DATABASE.execute("LOAD parquet")  # built in; loaded now so that its setting can be made
            _DATABASE.execute("SET GLOBAL parquet_metadata_cache = true")  # each file's footer read once, not per query
        return _DATABASE


class DetailFile:
    """A published detail frame on disk (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        meta = pq.ParquetFile(self.path)
        self.num_rows = meta.metadata.num_rows
        self.schema = meta.schema_arrow
        self.columns = tuple(self.schema.names)
        self._local = threading.local()
        self._categories: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return self.num_rows

    def __repr__(self) -> str:
        return f"DetailFile({str(self.path)!r}, {self.num_rows:,} rows)"

    @property
    def empty(self) -> bool:
        return self.num_rows == 0

    def sql(self, text: str, params: list | None = None) -> pa.Table:
        """``text`` with ``detail`` standing for the file, as an Arrow table (DuckDB, this thread's connection)."""
        return self._connection().sql(text.replace("{detail}", self._source), params=params or None).to_arrow_table()

    def batches(self, text: str, params: list | None = None, rows: int = 20_000):
        """As :meth:`sql`, a batch of ``rows`` at a time (a download's rows are never all in memory)."""
        reader = self._connection().sql(text.replace("{detail}", self._source), params=params or None) \
            .to_arrow_reader(rows)
        yield from reader

    @property
    def _source(self) -> str:
        return "read_parquet('" + str(self.path).replace("'", "''") + "')"

    def _connection(self):
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = _database().cursor()  # a thread's own connection to the one database
        return con

    def categories(self, column: str) -> list[str]:
        """The distinct values of a categorical column, in text order (the choices' and the schema's)."""
        if self._categories is None:
            self._categories = {}
        if column not in self._categories:
            found = self.sql(f'SELECT DISTINCT "{column}" AS v FROM {{detail}} WHERE "{column}" IS NOT NULL ORDER BY 1')
            self._categories[column] = [str(v) for v in found.column("v").to_pylist()]
        return self._categories[column]

    def schema_frame(self) -> pd.DataFrame:
        """No rows, with the columns and kinds of the detail frame (what the frame-schema check reads);
        ``id_rank`` stands for the text order DuckDB sorts the ids by."""
        frame = self.schema.empty_table().to_pandas()
        for column in CATEGORICAL:
            if column in frame.columns:
                frame[column] = pd.Categorical([], categories=[])
        frame["id_rank"] = pd.Series(dtype=np.int32)
        return frame

    def to_pandas(self) -> pd.DataFrame:
        """Every row as the in-memory detail frame (small files only: tests, and a pull under ``detail_rows``)."""
        return from_arrow_rows(pq.read_table(self.path).to_pandas().sort_values("row", kind="stable"))


class IdLookup:
    """``lower-case id → id`` of a detail file, each asked of DuckDB (一句话响应's incident ids,
    dashboard/ask/lexicon.py; tens of millions of ids are not made into a dict)."""

    def __init__(self, detail: DetailFile):
        self.path, self._detail, self._seen = detail.path, detail, {}

    def __getstate__(self) -> dict:  # pickled with the lexicon: the path, not the connection
        return {"path": self.path, "_detail": None, "_seen": {}}

    def _find(self, key: str):
        if key not in self._seen:
            self._detail = self._detail or DetailFile(self.path)
            found = self._detail.sql("SELECT incident_id FROM {detail} WHERE lower(incident_id) = ? LIMIT 1", [key])
            self._seen[key] = found.column("incident_id")[0].as_py() if found.num_rows else None
            if len(self._seen) > 1024:
                self._seen.pop(next(iter(self._seen)))
        return self._seen[key]

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __getitem__(self, key: str) -> str:
        found = self._find(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return found


def from_arrow_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read back from a detail file, in their order, typed as the in-memory detail frame
    (categoricals, and the ids' rank among these rows)."""
    import pyarrow.compute as pc

    from dashboard.incident_cube import DETAIL_COLUMNS

    frame = frame.reset_index(drop=True)
    for column in CATEGORICAL:
        if column in frame.columns and not isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object).astype("category")
    frame["incident_id"] = frame["incident_id"].astype(str)
    frame["overdue"] = frame["overdue"].astype(bool)
    frame["id_rank"] = pc.rank(pa.array(frame["incident_id"].to_numpy(dtype=object), pa.string()), "ascending") \
        .to_numpy().astype(np.int32)
    return frame[list(DETAIL_COLUMNS)]


def arrow_of(detail: pd.DataFrame, first_row: int) -> pa.Table:
    """A chunk of detail rows (dashboard/incident_cube.py incident_detail) as the file stores them."""
    table = pa.Table.from_pandas(detail.drop(columns=["id_rank"], errors="ignore"), preserve_index=False)
    for column in CATEGORICAL:  # plain text in the file (Parquet encodes it by dictionary itself)
        if column in table.column_names:
            at = table.column_names.index(column)
            table = table.set_column(at, column, table.column(column).cast(pa.string()))
    table = table.replace_schema_metadata(None)  # no pandas metadata: every chunk has one schema
    return table.append_column("row", pa.array(np.arange(first_row, first_row + len(detail), dtype=np.int64)))


def write_detail(path: str | os.PathLike, chunks: Iterable[pd.DataFrame]) -> DetailFile:
    """Write detail frames (newest first, each newer than the next) into one file, chunk by chunk."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer, at = None, 0
    try:
        for chunk in chunks:
            table = arrow_of(chunk, at)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            at += len(chunk)
        if writer is None:
            from dashboard.incident_cube import DETAIL_COLUMNS

            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in DETAIL_COLUMNS})
            for c in ("reported_at", "deadline_at", "closed_at"):
                empty[c] = pd.Series(dtype="datetime64[us]")
            for c in ("handling_hours", "lon", "lat"):
                empty[c] = pd.Series(dtype=float)
            empty["overdue"] = pd.Series(dtype=bool)
            pq.write_table(arrow_of(empty, 0), path)
    finally:
        if writer is not None:
            writer.close()
    return DetailFile(path)
