"""One entry point from a configured source to a frame with the contract's column names.

``read_source`` picks the reader for ``source.kind``, turns any failure into a
:class:`SourceError` that names the source in Chinese, and applies the configured mapping.
Values stay raw: :func:`datasources.contracts.validate` types them and quarantines bad rows.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

import pandas as pd

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings

Reader = Callable[["SourceSettings", "Settings"], pd.DataFrame]

# kind → (module, function), imported on first use: a wall with only files sources never pays for
# SQLAlchemy, and the readers can import SourceError from here without an import cycle.
READERS: dict[str, tuple[str, str]] = {
    "sql": ("datasources.sql", "read_sql"),
    "files": ("datasources.files", "read_files"),
    "http": ("datasources.http", "read_http"),
    "demo": ("datasources.demo", "read_demo"),
    "geo": ("datasources.georegions", "read_geo"),
}


class SourceError(RuntimeError):
    """A source could not be read. ``str()`` is a Chinese message that names the source."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"数据源「{source}」{problem}")

    def __reduce__(self):  # picklable across processes (scheduler, Celery) despite two arguments
        return type(self), (self.source, self.problem)


def describe(exc: BaseException) -> str:
    """A short Chinese account of an exception raised while reading, for :class:`SourceError`."""
    try:
        from sqlalchemy import exc as sa_exc
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency, but only sql needs it
        sa_exc = None
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError):
        detail = str(exc.orig).strip() or type(exc.orig).__name__
        if isinstance(exc, sa_exc.OperationalError):
            return f"无法连接或查询失败: {detail}"
        return f"查询失败: {detail}"
    if sa_exc is not None and isinstance(exc, sa_exc.ArgumentError):
        return f"数据库连接串或语句无效: {exc}"
    if sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError):
        return f"数据库读取失败: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"文本编码无法识别（{exc.encoding}，第 {exc.start} 字节附近）"
    if isinstance(exc, FileNotFoundError):
        return f"文件不存在: {exc.filename or exc}"
    if isinstance(exc, PermissionError):
        return f"没有读取权限: {exc.filename or exc}"
    if isinstance(exc, TimeoutError):
        return f"超时: {exc}"
    if isinstance(exc, ConnectionError):
        return f"无法连接: {exc}"
    if isinstance(exc, OSError):
        return f"读取失败: {exc}"
    if isinstance(exc, ImportError):
        return f"读取程序不可用（缺少模块 {exc.name or exc}）"
    return f"读取失败: {type(exc).__name__}: {exc}"


def reader_for(kind: str) -> Reader:
    """The reader function for a source kind."""
    if kind not in READERS:
        raise ValueError(f"不支持的数据源类型 kind = {kind!r}（可选: {', '.join(READERS)}）")
    module, function = READERS[kind]
    return getattr(importlib.import_module(module), function)


def read_raw(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """Read ``source`` as it comes: its own column names and values (check-source shows these)."""
    try:
        return reader_for(source.kind)(source, settings)
    except SourceError:
        raise
    except Exception as exc:  # every failure of one source must reach the puller as a SourceError
        raise SourceError(source.name, describe(exc)) from exc


def map_raw(frame: pd.DataFrame, source: SourceSettings) -> pd.DataFrame:
    """A frame from :func:`read_raw` mapped onto its dataset's contract column names."""
    from datasources.mapping import apply_mapping, require_contract_columns

    try:
        mapped = apply_mapping(frame, source)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(source.name, f"按配置映射列失败: {exc}") from exc
    require_contract_columns(source, mapped, [str(c).strip() for c in frame.columns])
    return mapped


def read_source(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """Read ``source`` and map it onto its dataset's contract column names (values still raw)."""
    return map_raw(read_raw(source, settings), source)
