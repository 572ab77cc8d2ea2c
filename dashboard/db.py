"""The app database (SQLAlchemy; SQLite by default): pull log, quarantine and indicator history."""
from __future__ import annotations

import time
from pathlib import Path
from datetime import date

import pandas as pd
from sqlalchemy import (Column, Date, Float, Integer, MetaData, String, Table, Text, create_engine, delete,
                        event, insert, select)
from sqlalchemy.engine import Engine

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
    Column("indicator_id", String(100), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("value", Float, nullable=False),
)


def connect(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # the web server and the scheduler share the file
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    metadata.create_all(engine)
    return engine


def log_run(engine: Engine, *, source: str, dataset: str, started_at: float, finished_at: float,
            rows_ok: int, rows_quarantined: int, error: str, trigger: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(pull_runs).values(
            source=source, dataset=dataset, started_at=started_at, finished_at=finished_at,
            rows_ok=rows_ok, rows_quarantined=rows_quarantined, error=error, trigger=trigger))


def recent_runs(engine: Engine, limit: int = 200) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(pull_runs).order_by(pull_runs.c.id.desc()).limit(limit)).mappings().all()
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


def quarantined_rows(engine: Engine, source: str | None = None, limit: int = 1000) -> pd.DataFrame:
    q = select(quarantine).order_by(quarantine.c.source, quarantine.c.row_number).limit(limit)
    if source:
        q = q.where(quarantine.c.source == source)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in quarantine.columns])


def upsert_history(engine: Engine, values: dict[str, float], on: date) -> None:
    """Write one day's indicator values; a later pull on the same day overwrites the earlier one."""
    if not values:
        return
    with engine.begin() as conn:
        conn.execute(delete(indicator_history).where(
            indicator_history.c.date == on, indicator_history.c.indicator_id.in_(list(values))))
        conn.execute(insert(indicator_history), [
            {"indicator_id": k, "date": on, "value": float(v)} for k, v in values.items() if v is not None])


def load_history(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(select(indicator_history), conn)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def seed_history(engine: Engine, frame: pd.DataFrame) -> int:
    """Load history rows (indicator_id, date, value) for days the app database has no value for."""
    existing = load_history(engine)
    merged = frame.assign(date=pd.to_datetime(frame["date"]))
    if len(existing):
        key = ["indicator_id", "date"]
        merged = merged.merge(existing[key], on=key, how="left", indicator=True)
        merged = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    records = [{"indicator_id": r.indicator_id, "date": r.date.date(), "value": float(r.value)}
               for r in merged.itertuples()]
    if records:
        with engine.begin() as conn:
            conn.execute(insert(indicator_history), records)
    return len(records)
