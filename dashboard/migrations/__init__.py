"""Schema migrations of the app database (Alembic, driven from code: no alembic.ini).

Every change of the app database's schema is a revision in ``versions/``. :func:`upgrade` brings a
database to the newest one. It runs on every :func:`dashboard.db.connect` of an SQLite database
(the embedded default upgrades itself on start) and from ``python run.py db upgrade``. A database
created before migrations existed (the tables of the baseline but no ``alembic_version``) is
stamped at the baseline first, then upgraded.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("citywall.db")
# Alembic narrates every connection in English at INFO; the steps that matter are logged below
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

FOLDER = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
#: the tables of the baseline, as the pre-migration ``metadata.create_all`` made them
BASELINE_TABLES = frozenset({"pull_runs", "quarantine", "indicator_history"})


class SchemaError(RuntimeError):
    """The app database's schema cannot be brought to (or is not at) the code's revision."""


def config(url: str = "", connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(FOLDER))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The database's revision; None for a database that has none (empty, or from before migrations)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the database to ``revision`` (default: the newest), in one transaction that holds the
    write lock on SQLite (another process upgrading at the same time waits, then finds it done);
    returns the revision it is at."""
    with engine.connect() as conn:
        at = current(conn)
    if at == head() and revision == "head":
        return at  # the common case on every start: nothing to read or run
    with engine.connect() as conn, conn.execution_options(write_lock=True).begin():
        at = current(conn)
        if at is None and _stamp_pre_migration_database(conn):
            log.info("数据库 %s 建于迁移之前：已标记为 %s", conn.engine.url.render_as_string(hide_password=True), BASELINE)
        command.upgrade(config(connection=conn), revision)
        after = current(conn)
        if after != at:
            log.info("数据库结构已升级: %s → %s", at or "（无）", after)
        return after


def _stamp_pre_migration_database(conn: Connection) -> bool:
    """Stamp a database made by the pre-migration create_all at the baseline; False for an empty one."""
    tables = set(inspect(conn).get_table_names()) & BASELINE_TABLES
    if not tables:
        return False  # an empty database: the baseline creates everything
    if tables != BASELINE_TABLES:
        raise SchemaError(f"数据库 {conn.engine.url.render_as_string(hide_password=True)} 缺少表 "
                          f"{'、'.join(sorted(BASELINE_TABLES - tables))}，又没有版本记录（alembic_version），"
                          "无法判断其结构版本：请检查 app.database_url 是否指向 CityWall 的数据库。")
    command.stamp(config(connection=conn), BASELINE)
    return True


def require_head(engine: Engine) -> None:
    """For a database that is not upgraded automatically: stop with what to run when it is behind."""
    with engine.connect() as conn:
        at = current(conn)
    if at != head():
        raise SchemaError(f"数据库结构版本为 {at or '（无）'}，程序需要 {head()}："
                          "请先运行 python run.py db upgrade。")
