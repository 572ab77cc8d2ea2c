"""The app database (SQLAlchemy; SQLite by default, PostgreSQL at city scale): pull log, quarantine
and indicator history.

The tables below are the schema's current shape; its changes are Alembic revisions in
dashboard/migrations, which :func:`connect` applies to SQLite (see dashboard.migrations).

A transaction opened with ``execution_options(write_lock=True)`` (look-then-write: queueing a job,
the shared secret, login failures, a migration) runs alone among such transactions of every
process: SQLite takes its write lock at BEGIN (``BEGIN IMMEDIATE``), PostgreSQL a transaction-level
advisory lock (``pg_advisory_xact_lock``), released at commit or rollback.
"""
from __future__ import annotations

import time
from pathlib import Path
from datetime import date

import pandas as pd
from sqlalchemy import (Column, Date, Float, Identity, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        and_, bindparam, create_engine, delete, event, func, insert, select, update)
from sqlalchemy.engine import Connection, Engine, make_url

from dashboard import migrations

metadata = MetaData()

pull_runs = Table(
    "pull_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False, index=True),
    Column("dataset", String(50), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("rows_ok", Integer, default=0),
    Column("rows_quarantined", Integer, default=0),
    Column("error", Text, default=""),
    Column("trigger", String(20), default="schedule"),  # schedule | retry | manual | cli
    Column("status", String(20), nullable=False, server_default="ok"),  # RUN_STATUSES
    Column("owner", String(200)),  # the process running it (dashboard/locks.py's owner id)
)

#: the PostgreSQL advisory lock key of ``write_lock`` transactions (any constant of CityWall's own)
WRITE_LOCK_KEY = 0x43697479  # "City"

#: pull_runs.status: published, failed, held by the publish guard, skipped (previous run still going),
#: a held publish let through by an operator, still running (written when a pull starts), interrupted
#: (its process died mid-run: marked by the next start), cancelled by an operator, a held publish an
#: operator threw away
RUN_STATUSES = ("ok", "failed", "held", "skipped", "accepted", "running", "interrupted", "cancelled", "discarded")

jobs = Table(  # the job queue (dashboard/jobs.py): the web side asks, the scheduler's process runs
    "jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # JOB_KINDS
    Column("source", String(200)),  # refresh_source: which one
    Column("status", String(20), nullable=False, server_default="queued", index=True),  # JOB_STATUSES
    Column("requested_by", String(200), nullable=False, server_default=""),
    Column("requested_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("owner", String(200)),
    Column("heartbeat_at", Float),
    Column("cancel_requested", Integer, nullable=False, server_default="0"),
    Column("sources_total", Integer, nullable=False, server_default="0"),
    Column("sources_done", Integer, nullable=False, server_default="0"),
    Column("rows_read", Integer),
    Column("current_source", String(200)),
    Column("error", Text, nullable=False, server_default=""),
    Column("results_json", Text, nullable=False, server_default="[]"),
    Column("params_json", Text, nullable=False, server_default="{}"),  # export: kind, view, trigger
    Column("stage", String(40)),  # export: the step it is at (截图中, 生成中, 归档中)
)

exports = Table(  # the export archive (dashboard/exports.py); files under data_dir/exports/
    "exports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("created_by", String(200), nullable=False, server_default=""),
    Column("kind", String(10), nullable=False),  # png | pdf | xlsx
    Column("view", String(300), nullable=False),  # city | district:<id> | a page path
    Column("view_label", String(300), nullable=False, server_default=""),
    Column("data_version", String(100), nullable=False, server_default=""),
    Column("trigger", String(20), nullable=False, server_default="manual"),  # manual | schedule
    Column("job_id", Integer),
    Column("path", Text),  # relative to data_dir/exports; None for a failed export
    Column("size_bytes", Integer),
    Column("status", String(20), nullable=False),  # done | failed
    Column("error", Text, nullable=False, server_default=""),
)

locks = Table(  # cross-process locks (dashboard/locks.py): one row per name while someone holds it
    "locks", metadata,
    Column("name", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

held_publishes = Table(  # a publish the guard held; its rows wait in data_dir/held/<source>.parquet
    "held_publishes", metadata,
    Column("source", String(200), primary_key=True),
    Column("dataset", String(50), nullable=False),
    Column("held_at", Float, nullable=False),
    Column("rows_before", Integer),
    Column("rows_after", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("rows_path", Text, nullable=False),
)

source_checks = Table(  # each source's latest check-source report (dashboard/source_check.py), as JSON
    "source_checks", metadata,
    Column("source", String(200), primary_key=True),
    Column("checked_at", Float, nullable=False),
    Column("report_json", Text, nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False, index=True),
    Column("dataset", String(50), nullable=False),
    Column("pulled_at", Float, nullable=False),
    Column("row_number", Integer),
    Column("reason", Text, nullable=False),
    Column("row_json", Text, nullable=False),
)

indicator_history = Table(
    "indicator_history", metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("indicator_id", String(100), nullable=False),
    Column("date", Date, nullable=False),
    Column("value", Float, nullable=False),
    UniqueConstraint("indicator_id", "date", name="uq_indicator_history_indicator_id_date"),
)
HISTORY_KEY = ("indicator_id", "date")

department_history = Table(  # each department's daily values (dashboard/department_history.py)
    "department_history", metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("dept_id", String(100), nullable=False),
    Column("indicator_id", String(100), nullable=False),
    Column("date", Date, nullable=False),
    Column("value", Float, nullable=False),
    UniqueConstraint("dept_id", "indicator_id", "date", name="uq_department_history_dept_indicator_date"),
)
DEPARTMENT_HISTORY_KEY = ("dept_id", "indicator_id", "date")


def connect(url: str, *, migrate: bool = True) -> Engine:
    """An engine on the app database at the code's schema revision: an SQLite database (the embedded
    default) is upgraded on the spot; any other must have been upgraded with ``run.py db upgrade``
    (:class:`migrations.SchemaError` says so). ``migrate=False`` leaves the schema alone."""
    # a server restarted under us: a pooled connection it cut is replaced, not handed out dead
    engine = create_engine(url, future=True, pool_pre_ping=make_url(url).get_backend_name() != "sqlite")
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "begin")
        def _postgres_begin(conn):  # write_lock: look-then-write transactions of all processes take turns
            if conn.get_execution_options().get("write_lock"):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
    if engine.dialect.name == "sqlite":
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # the web server and the scheduler share the file
            dbapi_conn.isolation_level = None  # SQLAlchemy begins (below), so DDL is transactional too
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # write_lock (a migration): processes starting at once take turns
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write_lock") else "BEGIN")
    if migrate:
        if engine.dialect.name == "sqlite":
            migrations.upgrade(engine)
        else:
            migrations.require_head(engine)
    return engine


def log_run(engine: Engine, *, source: str, dataset: str, started_at: float, finished_at: float,
            rows_ok: int, rows_quarantined: int, error: str, trigger: str, status: str = "", owner: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(insert(pull_runs).values(
            source=source, dataset=dataset, started_at=started_at, finished_at=finished_at,
            rows_ok=rows_ok, rows_quarantined=rows_quarantined, error=error, trigger=trigger,
            status=status or ("failed" if error else "ok"), owner=owner or None))


def start_run(engine: Engine, *, source: str, dataset: str, started_at: float, trigger: str, owner: str) -> int:
    """The log row of a pull that starts now (运行中); :func:`finish_run` completes it. A process killed
    mid-run leaves it ``running``, and the next start marks it interrupted (dashboard/jobs.py)."""
    with engine.begin() as conn:
        return conn.execute(insert(pull_runs).values(
            source=source, dataset=dataset, started_at=started_at, rows_ok=0, rows_quarantined=0, error="",
            trigger=trigger, status="running", owner=owner)).inserted_primary_key[0]


def finish_run(engine: Engine, run_id: int, *, finished_at: float, rows_ok: int, rows_quarantined: int,
               error: str, status: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(update(pull_runs).where(pull_runs.c.id == run_id).values(
            finished_at=finished_at, rows_ok=rows_ok, rows_quarantined=rows_quarantined, error=error,
            status=status or ("failed" if error else "ok")))


def last_published_rows(engine: Engine, source: str) -> int | None:
    """Rows of the source's last publish (a pull that went through, or an accepted hold); None if never."""
    q = (select(pull_runs.c.rows_ok).where(pull_runs.c.source == source, pull_runs.c.status.in_(("ok", "accepted")))
         .order_by(pull_runs.c.id.desc()).limit(1))
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def recent_runs(engine: Engine, limit: int = 200) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(pull_runs).order_by(pull_runs.c.started_at.desc(), pull_runs.c.id.desc())
                            .limit(limit)).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in pull_runs.columns])


def replace_quarantine(engine: Engine, source: str, dataset: str, rows: pd.DataFrame) -> None:
    """Keep the latest run's quarantined rows of a source (with reasons and original values)."""
    pulled_at = time.time()
    payload = []
    if len(rows):
        import orjson

        values = rows.drop(columns=["_row", "_reason"]).to_dict("records")
        payload = [{"source": source, "dataset": dataset, "pulled_at": pulled_at, "row_number": int(n),
                    "reason": reason, "row_json": orjson.dumps(v, default=str).decode()}
                   for n, reason, v in zip(rows["_row"], rows["_reason"], values)]
    with engine.begin() as conn:
        conn.execute(delete(quarantine).where(quarantine.c.source == source))
        if payload:
            conn.execute(insert(quarantine), payload)


def quarantined_rows(engine: Engine, source: str | None = None, limit: int | None = 1000,
                     offset: int = 0) -> pd.DataFrame:
    q = select(quarantine).order_by(quarantine.c.source, quarantine.c.row_number).limit(limit).offset(offset)
    if source:
        q = q.where(quarantine.c.source == source)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in quarantine.columns])


def count_quarantined(engine: Engine, source: str | None = None) -> int:
    q = select(func.count()).select_from(quarantine)
    if source:
        q = q.where(quarantine.c.source == source)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar() or 0)


def upsert_history(engine: Engine, values: dict[str, float], on: date) -> None:
    """Write one day's indicator values; a later pull on the same day overwrites the earlier one."""
    write_history(engine, pd.DataFrame({"indicator_id": list(values), "date": on, "value": list(values.values())}))


def load_history(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(select(*(indicator_history.c[k] for k in (*HISTORY_KEY, "value"))), conn)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def write_history(engine: Engine, frame: pd.DataFrame) -> int:
    """Upsert history rows (indicator_id, date, value) by (indicator_id, date): the source wins, so
    a corrected past day or today replaces the value held. Rows without a value are skipped.
    Returns the number of rows written."""
    rows = frame.dropna(subset=["value"])
    records = [{"indicator_id": str(i), "date": pd.Timestamp(d).date(), "value": float(v)}
               for i, d, v in zip(rows["indicator_id"], rows["date"], rows["value"])]
    if records:
        with engine.begin() as conn:
            _upsert(conn, records)
    return len(records)


def _upsert(conn: Connection, records: list[dict], table: Table = indicator_history,
            key: tuple[str, ...] = HISTORY_KEY) -> None:
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        stmt = dialect_insert(table)
        conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_={"value": stmt.excluded.value}),
                     records)
        return
    # other databases: the same upsert as delete + insert, in the caller's transaction
    conn.execute(delete(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key))),
                 [{f"k_{k}": r[k] for k in key} for r in records])
    conn.execute(insert(table), records)


from dashboard import auth_tables  # noqa: E402,F401  users, kiosk tokens, sessions, audit: on this metadata
from dashboard import instructions_tables  # noqa: E402,F401  instructions and their events: on this metadata
from dashboard import wall_control_tables  # noqa: E402,F401  wall screens and their commands
