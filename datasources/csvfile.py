"""Read one department CSV: encoding detected, title rows and footers skipped, bad lines set aside.

Read with pyarrow's CSV reader, streaming in blocks and keeping every column as Arrow-backed text,
so a 200 MB export does not become two million Python strings. Every cell stays text (000123 keeps
its zeros, "NA" stays a code); the contract does the typing.

A line with more or fewer fields than the header (an unquoted comma in row 9) does not reject the
file: it keeps its place as an empty row, listed in ``frame.attrs[REJECTED]`` with a Chinese reason
that names its line and the raw line, and the validation quarantines it with that reason alone while
the rest of the file loads. Every ``_row`` so stays the row's 1-based position in the frame read.
"""
from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from datasources.layout import drop_footers, footer_pattern, header_index, is_footer_line, unique_names
from datasources.contracts import REJECTED

if TYPE_CHECKING:
    from dashboard.settings import SourceSettings

# utf-8-sig reads plain UTF-8 too; GBK before GB18030 because GB18030 accepts nearly any bytes,
# so it is the last resort rather than a guess that always "succeeds".
AUTO_ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
_HEAD_BYTES = 256 * 1024
_CHUNK = 4 * 1024 * 1024


class EmptyFile(ValueError):
    """The file holds no bytes, or no header line."""


def _decodes(path: Path, encoding: str) -> None:
    """Raise UnicodeDecodeError (with the byte offset) unless the whole file decodes strictly."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise UnicodeDecodeError(exc.encoding, exc.object, offset + exc.start, offset + exc.end,
                                         exc.reason) from None
            offset += len(chunk)
        decoder.decode(b"", final=True)


def detect_encoding(path: Path, encoding: str) -> str:
    """``auto`` tries :data:`AUTO_ENCODINGS` in turn; decoding is always strict."""
    *firsts, final = AUTO_ENCODINGS if encoding == "auto" else (encoding,)
    for candidate in firsts:
        try:
            _decodes(path, candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    _decodes(path, final)  # its UnicodeDecodeError says where the bytes went wrong
    return final


def _head_rows(path: Path, encoding: str) -> list[list[str]]:
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    text = head.decode(encoding, errors="ignore").removeprefix("\ufeff")
    lines = text.splitlines()[:-1] if len(head) == _HEAD_BYTES else text.splitlines()
    return list(csv.reader(lines[:60]))


def read_csv_file(path: Path, source: SourceSettings) -> pd.DataFrame:
    """One CSV as text columns (blank cells missing); rejected lines in ``attrs[REJECTED]``."""
    if path.stat().st_size == 0:
        raise EmptyFile(f"文件为空（0 字节）: {path}")
    encoding = detect_encoding(path, source.encoding)
    rows = _head_rows(path, encoding)
    if not rows:
        raise EmptyFile(f"文件中没有表头行: {path}")
    header_at = header_index(rows, source)
    if header_at >= len(rows):
        raise EmptyFile(f"header_row = {header_at + 1} 超出了文件的行数: {path}")
    if not any(cell.strip() for cell in rows[header_at]):
        raise EmptyFile(f"文件中没有表头行（第 {header_at + 1} 行为空）: {path}")
    names = unique_names(rows[header_at])
    if len(rows) <= header_at + 1 + source.skip_rows and path.stat().st_size <= _HEAD_BYTES:
        return pd.DataFrame({name: pd.Series(dtype="str") for name in names})  # a header and no rows
    footer = footer_pattern(source)
    set_aside: list[tuple[int, str, str]] = []  # (data record number, reason, raw line)
    first_record = header_at + source.skip_rows + 2  # pyarrow numbers records from 1, header included
    skipped_footers = 0

    def handle(row: pacsv.InvalidRow) -> str:
        nonlocal skipped_footers
        if is_footer_line(row.text, footer):
            skipped_footers += 1
        else:
            fewer = row.actual_columns < row.expected_columns
            problem = (f"只有 {row.actual_columns} 个字段，少于表头的 {row.expected_columns} 列（字段缺失或错位）"
                       if fewer else f"有 {row.actual_columns} 个字段，多于表头的 {row.expected_columns} 列"
                                     "（可能含未加引号的逗号）")
            set_aside.append((row.number - first_record - skipped_footers,
                              f"文件 {path.name} 第 {row.number} 行{problem}，无法拆分为字段", row.text))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding="utf8" if encoding.startswith("utf-8") else encoding, column_names=names,
            skip_rows=header_at + 1, skip_rows_after_names=source.skip_rows,
            use_threads=False),  # single-threaded so each set-aside line knows its number
        # blank lines stay rows (dropped below) so that record numbers and row positions agree
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                         invalid_row_handler=handle),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, null_values=[""],
            strings_can_be_null=True, quoted_strings_can_be_null=True))
    # self_destruct frees each Arrow column as it is converted: the table is not held twice
    return with_placeholders(table.to_pandas(self_destruct=True), set_aside, footer)


def with_placeholders(frame: pd.DataFrame, set_aside: list[tuple[int, str, str]],
                      footer: re.Pattern | None) -> pd.DataFrame:
    """Put an empty row where each set-aside line was, so every row keeps its place in the file,
    drop blank and footer rows, and list the set-aside rows as (_row, _reason, _raw) in attrs."""
    if set_aside:
        spots = np.array([spot for spot, _, _ in set_aside], dtype="int64")
        total = len(frame) + len(spots)
        frame.index = np.setdiff1d(np.arange(total), spots, assume_unique=True)
        frame = frame.reindex(np.arange(total))
        blank = frame.isna().all(axis=1).to_numpy() & ~np.isin(np.arange(total), spots)
    else:
        blank = frame.isna().all(axis=1).to_numpy()
    if blank.any():
        frame = frame[~blank]
    frame = drop_footers(frame, footer)
    if set_aside:
        rows = frame.index.get_indexer(spots) + 1
        frame.attrs[REJECTED] = tuple((int(row), reason, raw) for row, (_, reason, raw) in zip(rows, set_aside))
    return frame.reset_index(drop=True)
