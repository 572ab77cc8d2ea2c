"""Where the data sits in a department's sheet: title rows above the header, lines below it that
are not data, and footers (填报人、注、合计).

The settings are ``header_row`` (1-based; without it, the first row that holds the most of the
source's mapped column names is the header), ``skip_rows`` (rows right below the header that are
not data, e.g. a 单位 row) and ``footer`` (a regex matched against a row's first non-empty cell).
A header of two rows, a group heading merged over its sub-headings (办理情况 over 办理时限 / 办结时间),
is read as one: the row next to the header that holds mapped names the header lacks is its other row.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Sequence

import pandas as pd

if TYPE_CHECKING:
    from dashboard.settings import SourceSettings

#: how far down a title block may push the header when it is detected
HEADER_SEARCH_ROWS = 30


def source_headers(source: SourceSettings) -> set[str]:
    """The file's own column names the configuration reads (columns, extract and key parts)."""
    names = {str(k).strip() for k in source.columns}
    for rule in source.extract:
        names.update(rule.from_)
    for parts in source.composite.values():
        names.update(parts)
    return names


def header_index(rows: Sequence[Sequence], source: SourceSettings) -> int:
    """0-based index of the header among the first rows of a sheet."""
    if source.header_row is not None:
        return source.header_row - 1
    wanted = source_headers(source)
    best, best_hits = 0, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len(wanted & {str(cell).strip() for cell in row if cell is not None})
        if hits > best_hits:
            best, best_hits = i, hits
        if wanted and hits == len(wanted):
            break
    return best


def _names(row: Sequence) -> set[str]:
    return {str(cell).strip() for cell in row if cell is not None and not (isinstance(cell, float) and pd.isna(cell))}


def header_span(rows: Sequence[Sequence], at: int, source: SourceSettings) -> tuple[int, int]:
    """(first row, rows) of the header found at ``at``: two rows when the row below it (or, for a
    detected header, above it) holds mapped column names the header row lacks, as the sub-headings
    under a merged group heading do; one row otherwise (a 单位 row below holds no mapped names)."""
    wanted = source_headers(source)
    header = _names(rows[at]) if at < len(rows) else set()

    def adds(i: int) -> bool:
        return 0 <= i < len(rows) and bool(wanted & (_names(rows[i]) - header))

    if adds(at + 1):
        return at, 2
    if source.header_row is None and adds(at - 1):
        return at - 1, 2
    return at, 1


def header_cells(rows: Sequence[Sequence], source: SourceSettings) -> list:
    """One header from its rows: per column the mapped name (a sub-heading before its group), else
    the lowest non-empty cell (a heading merged down over both rows is in the upper one only)."""
    if len(rows) == 1:
        return list(rows[0])
    wanted = source_headers(source)
    cells = []
    for column in zip(*rows):
        names = [str(c).strip() for c in column if c is not None and not (isinstance(c, float) and pd.isna(c))]
        mapped = [n for n in names if n in wanted]
        cells.append((mapped or names or [None])[-1])
    return cells


def unique_names(header: Iterable) -> list[str]:
    """Header cells as column names: stripped text, blanks named by position, repeats numbered."""
    names, seen = [], {}
    for i, cell in enumerate(header):
        name = "" if cell is None or (isinstance(cell, float) and pd.isna(cell)) else str(cell).strip()
        name = name or f"未命名列{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def footer_pattern(source: SourceSettings) -> re.Pattern | None:
    return re.compile(source.footer) if source.footer else None


def is_footer_line(text: str, pattern: re.Pattern | None) -> bool:
    """A raw CSV line that is a footer (it has fewer fields than the header, so it never parsed)."""
    return pattern is not None and bool(pattern.search(text.lstrip(' ,\t"\'')))


def drop_footers(frame: pd.DataFrame, pattern: re.Pattern | None) -> pd.DataFrame:
    """Drop rows whose first non-empty cell matches ``pattern``: they describe the sheet, not data.
    The index is kept, so callers can tell where the remaining rows were."""
    if pattern is None or frame.empty:
        return frame
    first = pd.Series(None, index=frame.index, dtype=object)
    for name in frame.columns:
        still = first.isna()
        if not still.any():
            break
        first = first.where(~still, frame[name].astype(object))
    footer = first.astype(str).str.strip().str.count(pattern).gt(0) & first.notna()  # count: no group warning
    return frame[~footer.to_numpy()]
