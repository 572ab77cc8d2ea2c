"""Read a source from CSV / XLSX files in a drop folder: one file or a glob of several.

CSV columns are read as text so ids like 000123 keep their zeros and "NA" stays a code; the
contract does the typing. Chinese department exports come as UTF-8, UTF-8 with BOM, GBK or
GB18030, so ``encoding = "auto"`` tries those in turn with strict decoding.
"""
from __future__ import annotations

import glob
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from datasources.adapters import SourceError

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings

# utf-8-sig reads plain UTF-8 too; GBK before GB18030 because GB18030 accepts nearly any bytes,
# so it is the last resort rather than a guess that always "succeeds".
AUTO_ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


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


def decode(data: bytes, encoding: str) -> tuple[str, str]:
    """→ (text, encoding used). ``auto`` tries :data:`AUTO_ENCODINGS`; decoding is always strict."""
    *firsts, final = AUTO_ENCODINGS if encoding == "auto" else (encoding,)
    for candidate in firsts:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return data.decode(final), final  # its UnicodeDecodeError says where the bytes went wrong


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    text, _ = decode(path.read_bytes(), encoding)
    # a BOM read with a declared plain "utf-8" would otherwise stick to the first header
    frame = pd.read_csv(io.StringIO(text.removeprefix("\ufeff")), dtype=str, keep_default_na=False)
    return frame.where(frame != "", None)


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    # dtype=object keeps each cell as Excel gave it (int, float, text, datetime); keep_default_na
    # stops text such as "NA" or "null" turning into missing values.
    frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl",
                          dtype=object, keep_default_na=False)
    return frame.where(frame != "", None)


def read_files(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """Read every matching file and concatenate them in path order."""
    frames = []
    for path in matching_files(source, settings):
        suffix = path.suffix.lower()
        try:
            if suffix in CSV_SUFFIXES:
                frames.append(_read_csv(path, source.encoding))
            elif suffix in XLSX_SUFFIXES:
                frames.append(_read_xlsx(path, source.sheet))
            else:
                raise SourceError(source.name, f"不支持的文件类型 {path.suffix or '(无扩展名)'}: {path}"
                                               "（支持 .csv .txt .xlsx .xlsm）")
        except UnicodeDecodeError as exc:
            tried = "、".join(AUTO_ENCODINGS) if source.encoding == "auto" else source.encoding
            raise SourceError(source.name, f"文件编码无法识别（已尝试 {tried}）: {path}"
                                           f"（第 {exc.start} 字节附近）") from exc
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(source.name, f"读取文件失败: {path}: {type(exc).__name__}: {exc}") from exc
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
