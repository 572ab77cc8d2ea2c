"""Records from JSON: a list of objects (or an object holding one at ``records_path``), or JSON Lines
(one object per line, as crawlers and log shippers write them), for files and HTTP bodies alike.

Nested objects become ``a.b`` columns. In JSON Lines a line that is not a JSON object does not
reject the rest: it becomes an empty row, listed in ``frame.attrs[REJECTED]`` with its line number
and the raw line, and is quarantined with that reason.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd

from datasources.adapters import SourceError
from datasources.contracts import CONTRACTS
from datasources.contracts import REJECTED

if TYPE_CHECKING:
    from dashboard.settings import SourceSettings

_BOM = b"\xef\xbb\xbf"


def _records(source: SourceSettings, document: Any, what: str) -> list:
    """Follow ``records_path`` (dotted keys; a number indexes a list) to the list of records."""
    node = document
    walked: list[str] = []
    for part in filter(None, source.records_path.split(".")):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            where = ".".join(walked) or "(根)"
            keys = f"，该处可用的键: {', '.join(map(str, list(node)[:20]))}" if isinstance(node, dict) else ""
            raise SourceError(source.name, f"{what} JSON 中找不到 records_path「{source.records_path}」"
                                           f"（在 {where} 下没有「{part}」{keys}）")
        walked.append(part)
    if isinstance(node, list):
        return node
    if isinstance(node, dict) and not source.records_path:
        raise SourceError(source.name, f"{what} JSON 是对象而不是记录列表，请配置 records_path"
                                       f"（可用的键: {', '.join(map(str, list(node)[:20]))}）")
    where = f"records_path「{source.records_path}」处" if source.records_path else f"{what} JSON "
    raise SourceError(source.name, f"{where}不是记录列表，而是 {type(node).__name__}")


def _frame(source: SourceSettings, records: list[dict]) -> pd.DataFrame:
    if not any(records):
        # no records carry no keys: give the columns the config expects, so an empty day validates
        # as zero rows rather than failing as "required columns missing"
        mapped = {name for targets in source.columns.values() for name in _as_list(targets)}
        names = list(source.columns) + [c for c in CONTRACTS[source.dataset].names if c not in mapped]
        return pd.DataFrame({name: pd.Series([None] * len(records), dtype=object) for name in names})
    return pd.json_normalize(records, sep=".")


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def looks_like_lines(body: bytes) -> bool:
    """Several lines, the first of them a whole JSON object: JSON Lines rather than one document."""
    first, _, rest = body.strip().partition(b"\n")
    if not rest.strip() or not first.strip().startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def json_lines_frame(source: SourceSettings, body: bytes, where: str) -> pd.DataFrame:
    records, rejected = [], []
    for number, line in enumerate(body.removeprefix(_BOM).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            problem = "" if isinstance(record, dict) else f"不是 JSON 对象，而是 {type(record).__name__}"
        except orjson.JSONDecodeError as exc:
            problem = f"不是合法的 JSON（{exc}）"
        if problem:  # an empty record keeps the line's place, so _row stays the position in the frame
            rejected.append((len(records) + 1, f"{where}内容第 {number} 行{problem}",
                             line.decode("utf-8", errors="replace")))
            record = {}
        records.append(record)
    frame = _frame(source, records)
    if rejected:
        frame.attrs[REJECTED] = tuple(rejected)
    return frame


def json_frame(source: SourceSettings, body: bytes, what: str, *, lines: bool | None = None) -> pd.DataFrame:
    """A JSON document or JSON Lines (``lines=None``: told apart by the body) → a frame of records.

    ``what`` starts the messages: "返回的" for an HTTP body, "文件 x.json 的" for a file."""
    body = body.removeprefix(_BOM)
    if lines is None:
        lines = looks_like_lines(body)
    if lines:
        return json_lines_frame(source, body, what)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        preview = body[:80].decode("utf-8", errors="replace")
        raise SourceError(source.name, f"{what}内容不是合法的 JSON（{exc}）: {preview!r}") from exc
    records = _records(source, document, what)
    bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
    if bad is not None:
        raise SourceError(source.name, f"第 {bad + 1} 条记录不是 JSON 对象，而是 {type(records[bad]).__name__}")
    return _frame(source, records)
