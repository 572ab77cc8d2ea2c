"""Read a source from files in a drop folder (one file or a glob of several): CSV, XLSX, JSON and
JSON Lines.

Every cell stays as the file gave it (CSV as text, so ids like 000123 keep their zeros and "NA" stays
a code); the contract does the typing. Chinese department exports come as UTF-8, UTF-8 with BOM, GBK
or GB18030, so ``encoding = "auto"`` tries those in turn with strict decoding. Title rows, rows
below the header and footers are skipped by the layout settings (:mod:`datasources.layout`).
"""
from __future__ import annotations

import glob
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from datasources.adapters import SourceError
from datasources.csvfile import AUTO_ENCODINGS, EmptyFile, read_csv_file
from datasources.jsonrecords import json_frame
from datasources.layout import (drop_footers, footer_pattern, header_cells, header_index, header_span,
                                unique_names)
from datasources.contracts import REJECTED

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json": False, ".jsonl": True, ".ndjson": True}  # suffix → JSON Lines


def matching_files(source: SourceSettings, settings: Settings) -> list[Path]:
    """Files matching ``source.path`` (relative to the config file), sorted by path."""
    pattern = str(settings.resolve(source.path))
    if glob.has_magic(pattern):
        found = [Path(p) for p in glob.glob(pattern, recursive=True)]
    else:
        found = [Path(pattern)]
    # "~$name.xlsx" are Excel lock files left next to an open workbook, not data
    files = sorted((p for p in found if p.is_file() and not p.name.startswith("~$")), key=str)
    if not files:
        raise SourceError(source.name, f"没有找到匹配的文件: {pattern}")
    return files


def _read_xlsx(path: Path, source: SourceSettings) -> pd.DataFrame:
    # dtype=object keeps each cell as Excel gave it (int, float, text, datetime); keep_default_na
    # stops text such as "NA" or "null" turning into missing values.
    sheet = pd.read_excel(path, sheet_name=0 if source.sheet is None else source.sheet, engine="openpyxl",
                          header=None, dtype=object, keep_default_na=False)
    sheet = sheet.where(sheet != "", None)
    if sheet.empty:
        return sheet
    head = sheet.head(max(60, (source.header_row or 0) + 1)).values.tolist()
    first, span = header_span(head, header_index(head, source), source)
    frame = sheet.iloc[first + span + source.skip_rows:].reset_index(drop=True)
    frame.columns = unique_names(header_cells(sheet.iloc[first:first + span].values.tolist(), source))
    frame = frame.dropna(how="all")  # blank rows between data and footers
    return drop_footers(frame, footer_pattern(source)).reset_index(drop=True)


def _read_one(path: Path, source: SourceSettings) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv_file(path, source)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, source)
    if suffix in JSON_SUFFIXES:
        if path.stat().st_size == 0:
            raise EmptyFile(f"文件为空（0 字节）: {path}")
        return json_frame(source, path.read_bytes(), f"文件 {path.name} 的", lines=JSON_SUFFIXES[suffix])
    raise SourceError(source.name, f"不支持的文件类型 {path.suffix or '(无扩展名)'}: {path}"
                                   "（支持 .csv .txt .xlsx .xlsm .json .jsonl）")


def read_files(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """Read every matching file and concatenate them in path order; set-aside lines travel along."""
    frames = []
    for path in matching_files(source, settings):
        try:
            frames.append(_read_one(path, source))
        except UnicodeDecodeError as exc:
            tried = "、".join(AUTO_ENCODINGS) if source.encoding == "auto" else source.encoding
            fix = ("请将文件另存为 UTF-8，或在配置中把 encoding 设为文件的实际编码" if source.encoding == "auto" else
                   f'请在配置中把该数据源的 encoding 设为 "auto"（依次尝试 {"、".join(AUTO_ENCODINGS)}）或文件的实际编码（如 "gbk"）')
            raise SourceError(source.name, f"文件编码无法识别（已尝试 {tried}）: {path}"
                                           f"（第 {exc.start} 字节附近）；{fix}") from exc
        except EmptyFile as exc:
            raise SourceError(source.name, str(exc)) from exc
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(source.name, f"读取文件失败: {path}: {type(exc).__name__}: {exc}") from exc
    if len(frames) == 1:
        return frames[0]
    rejected, offset = [], 0
    for f in frames:  # set-aside rows are numbered within their file: renumber within the whole
        rejected += [(row + offset, reason, raw) for row, reason, raw in f.attrs.get(REJECTED, ())]
        offset += len(f)
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs.pop(REJECTED, None)
    if rejected:
        frame.attrs[REJECTED] = tuple(rejected)
    return frame
