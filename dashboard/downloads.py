"""Table downloads, one writer for every table the app lets a user take away: /incidents'
(/download/incidents.csv|xlsx), the programme drill-downs' (/drill-download/<table>.csv|xlsx) and the
quarantined rows (/ops/quarantine.csv|xlsx).

A download is a list of :class:`Column` (Chinese header, kind) and batches of rows as Arrow tables
with those columns in order: text as strings, numbers as numbers, dates and moments as timestamps.

* CSV: UTF-8 with a BOM (Excel then reads the Chinese headers as UTF-8), streamed a batch at a time
  by Arrow's CSV writer; moments as '2026-12-01 09:15', dates as '2026-12-01', decimals as '2.3',
  rates as '85.2%'.
* XLSX: dashboard/xlsx_stream.py, each batch's rows built by Arrow's string kernels and deflated into
  the file as they come (no per-cell Python work): a bold, frozen header row with an auto-filter, column
  widths, number formats (#,##0 · 0.0 · 0.0% · yyyy-mm-dd · yyyy-mm-dd hh:mm) on real numbers and dates.

A selection larger than the download cap (``app.download_max_rows``) is cut at the cap, and says so
in Chinese: a last line of the file (:func:`truncation_notice`) and the response's
``X-Rows-Truncated: 1`` header (with ``X-Rows``, ``X-Rows-Total`` and ``X-Rows-Cap``).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Iterator
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dashboard import xlsx_stream

KINDS = ("text", "integer", "decimal", "percent", "date", "datetime")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_XLSX_FORMATS = {"integer": "#,##0", "decimal": "0.0", "percent": "0.0%", "date": "yyyy-mm-dd",
                 "datetime": "yyyy-mm-dd hh:mm"}
_TEXT_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M"}
_NUMBER_TEXT = {"decimal": lambda v: f"{v:.1f}", "percent": lambda v: f"{v * 100:.1f}%"}
_WIDTHS = {"text": 14, "integer": 10, "decimal": 10, "percent": 10, "date": 12, "datetime": 17}
_EXCEL_EPOCH_DAYS = 25569.0  # 1970-01-01 as an Excel serial day number


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    missing: str = ""  # what an empty value shows ('—' where a blank would read as zero)
    width: float | None = None  # in characters; None: wide enough for the header and the kind

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"未知的下载列类型「{self.kind}」（可选 {'、'.join(KINDS)}）")

    @property
    def chars(self) -> float:
        header = sum(2 if ord(ch) > 0x2E7F else 1 for ch in self.header) + 2  # a CJK glyph is two wide
        return self.width or max(header, _WIDTHS[self.kind])


def truncation_notice(total: int, cap: int) -> str | None:
    """The Chinese line a cut download ends with (None when nothing was cut)."""
    if total <= cap:
        return None
    return (f"（已截断：所选范围共 {total:,} 行，超过下载上限 {cap:,} 行，本文件只含前 {cap:,} 行；"
            f"请缩小筛选范围后分批下载，上限由设置 app.download_max_rows 决定）")


# ---- CSV --------------------------------------------------------------------------------------------

def _text(values: pa.Array, column: Column) -> pa.Array:
    if column.kind in _TEXT_FORMATS:
        values = pc.strftime(pc.cast(values, pa.timestamp("us")), format=_TEXT_FORMATS[column.kind])
    elif column.kind in _NUMBER_TEXT:  # one decimal, as the XLSX's 0.0 and 0.0% formats show them
        shown = _NUMBER_TEXT[column.kind]
        values = pa.array([None if v is None else shown(v) for v in values.to_pylist()], pa.string())
    else:
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, column.missing) if column.missing else values


def _line(cells) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def csv_chunks(columns: list[Column], batches: Iterable[pa.Table], *, notice: str | None = None) -> Iterator[bytes]:
    """The CSV a batch at a time: the BOM and the header first, ``notice`` as its last line."""
    yield "\ufeff".encode("utf-8") + _line(c.header for c in columns)
    options = pacsv.WriteOptions(include_header=False, eol="\r\n")
    for batch in batches:
        text = pa.table({str(i): _text(batch.column(i), c) for i, c in enumerate(columns)})
        buffer = io.BytesIO()
        pacsv.write_csv(text, buffer, options)
        yield buffer.getvalue()
    if notice:
        yield _line([notice])


# ---- XLSX -------------------------------------------------------------------------------------------

def _cell_array(values: pa.Array, column: Column, sheet: xlsx_stream.SheetWriter) -> pa.Array:
    """A column's cells: text as inline strings; numbers, dates and moments (as Excel serial days) as
    numbers in the column's format."""
    if column.kind == "text":
        return xlsx_stream.text_cells(values, column.missing)
    if column.kind in _TEXT_FORMATS:
        micros = pc.cast(pc.cast(values, pa.timestamp("us")), pa.int64())
        values = pc.add(pc.divide(pc.cast(micros, pa.float64()), 86_400e6), _EXCEL_EPOCH_DAYS)
    return xlsx_stream.number_cells(values, sheet.style(_XLSX_FORMATS[column.kind]), column.missing)


def write_xlsx(target, sheet_title: str, columns: list[Column], batches: Iterable[pa.Table], *,
               notice: str | None = None) -> int:
    """The XLSX of the batches into ``target`` (a path or a binary file): one worksheet named
    ``sheet_title`` (dashboard/xlsx_stream.py); returns the data rows written."""
    sheet = xlsx_stream.SheetWriter(target, sheet_title, [c.header for c in columns], [c.chars for c in columns],
                                    [_XLSX_FORMATS.get(c.kind, "") for c in columns])
    for batch in batches:
        sheet.rows([_cell_array(batch.column(i), c, sheet) for i, c in enumerate(columns)])
    return sheet.close(notice)


# ---- small frames and the HTTP answer ---------------------------------------------------------------

def frame_table(frame: pd.DataFrame) -> pa.Table:
    """A frame of already formatted values (every column as text) as one batch."""
    return pa.table({str(i): pa.array(["" if pd.isna(v) else str(v) for v in frame[c]], pa.string())
                     for i, c in enumerate(frame.columns)})


def frame_file(frame: pd.DataFrame, kind: str, sheet_title: str) -> bytes:
    """A small frame of text (the quarantined rows) as CSV or XLSX bytes, its columns as headers."""
    columns = [Column(str(c)) for c in frame.columns]
    batches = [frame_table(frame)]
    if kind == "xlsx":
        out = io.BytesIO()
        write_xlsx(out, sheet_title, columns, batches)
        return out.getvalue()
    return b"".join(csv_chunks(columns, batches))


def _xlsx_stream(sheet_title: str, columns: list[Column], batches, notice) -> Iterator[bytes]:
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, sheet_title, columns, batches, notice=notice)
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk
    finally:
        os.unlink(path)


def response(kind: str, name: str, columns: list[Column], batches: Iterable[pa.Table], *, rows: int,
             total: int, cap: int):
    """The download's answer: ``name``-YYYYMMDD.csv|xlsx (Chinese, RFC 5987), streamed, with its row
    counts in headers and, when the selection was cut at ``cap``, the Chinese notice as its last line."""
    import flask

    notice = truncation_notice(total, cap)
    filename = f"{name}-{date.today():%Y%m%d}.{kind}"
    headers = {"Content-Disposition": f"attachment; filename=download.{kind}; filename*=UTF-8''{quote(filename)}",
               "X-Rows": str(rows), "X-Rows-Total": str(total), "X-Rows-Cap": str(cap),
               "X-Rows-Truncated": "1" if notice else "0"}
    body = csv_chunks(columns, batches, notice=notice) if kind == "csv" else \
        _xlsx_stream(name, columns, batches, notice)
    return flask.Response(flask.stream_with_context(body), mimetype=MIMETYPES[kind], headers=headers)
