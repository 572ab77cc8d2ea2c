"""Read a source from any database SQLAlchemy can reach: a whole table, or a parameterised query.

Heavy aggregation belongs in ``query`` (SQL GROUP BY), so only aggregates travel to the wall.
``timeout_seconds`` (default ``app.http_timeout_seconds``) bounds connecting and the statement: SQLite
is interrupted through a progress handler, PostgreSQL gets ``statement_timeout``.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from datasources.adapters import SourceError

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings

# connect-timeout argument per DBAPI driver; drivers not listed keep their own default
_TIMEOUT_ARG = {
    "pysqlite": "timeout",  # sqlite: seconds to wait for a locked database
    "psycopg2": "connect_timeout",
    "psycopg": "connect_timeout",
    "pg8000": "timeout",
    "pymysql": "connect_timeout",
    "mysqldb": "connect_timeout",
    "mysqlconnector": "connection_timeout",
    "pyodbc": "timeout",
    "pymssql": "login_timeout",
    "oracledb": "tcp_connect_timeout",
}
_INT_TIMEOUT = {"psycopg2", "psycopg", "pymysql", "mysqldb", "mysqlconnector", "pyodbc", "pymssql"}


def _url(source: SourceSettings, settings: Settings) -> URL:
    """The source URL, with a relative SQLite file resolved against the config file's folder
    (like every other path in the config), not against whatever the working directory is."""
    url = make_url(source.url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:"):
        url = url.set(database=str(settings.resolve(database)))
    return url


def _connect_args(url: URL, timeout: float) -> dict[str, Any]:
    arg = _TIMEOUT_ARG.get(url.get_driver_name())
    if arg is None:
        return {}
    args = {arg: max(1, round(timeout)) if url.get_driver_name() in _INT_TIMEOUT else timeout}
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        args["options"] = f"-c statement_timeout={max(1, round(timeout * 1000))}"  # the server cancels it
    return args


def _interrupt_sqlite_at(engine: sa.Engine, deadline: float) -> None:
    """SQLite runs in this thread: its progress handler, called every few thousand VM steps, stops the
    statement once the deadline has passed (sqlite3 then raises "interrupted")."""
    @sa.event.listens_for(engine, "connect")
    def _progress_handler(dbapi_conn, _record):
        dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


def _timed_out(exc: sa.exc.DBAPIError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == "57014" or "interrupted" in str(orig)  # PostgreSQL query_canceled | SQLite interrupt


def _table(name: str) -> sa.TableClause:
    """``schema.table`` or ``table``; SQLAlchemy quotes each part as the dialect requires."""
    schema, _, table = name.strip().rpartition(".")
    return sa.table(table, schema=schema or None)


def read_sql(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """Run ``SELECT * FROM table`` or ``query`` (with ``:name`` params bound from ``params``)."""
    url = _url(source, settings)
    timeout = source.timeout_seconds or settings.app.http_timeout_seconds
    statement: sa.Executable = (
        sa.select(sa.text("*")).select_from(_table(source.table)) if source.table
        else sa.text(source.query)
    )
    deadline = time.monotonic() + timeout
    # NullPool: a puller connects once per run, so an idle pool would only hold server sessions.
    engine = sa.create_engine(url, connect_args=_connect_args(url, timeout), poolclass=NullPool)
    if url.get_backend_name() == "sqlite":
        _interrupt_sqlite_at(engine, deadline)
    try:
        try:
            with engine.connect() as conn:
                return pd.read_sql(statement, conn, params=dict(source.params) if source.query else None)
        except pd.errors.DatabaseError as exc:
            # pandas wraps the driver's error in its own; the SQLAlchemy one says what actually failed
            if isinstance(exc.__cause__, sa.exc.SQLAlchemyError):
                raise exc.__cause__ from None
            raise
    except sa.exc.DBAPIError as exc:
        if _timed_out(exc):
            raise SourceError(source.name, f"查询超时（超过 {timeout:g} 秒），已中止") from exc
        raise
    finally:
        engine.dispose()
