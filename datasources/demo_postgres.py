"""The demo city's incidents in PostgreSQL: ``python run.py seed --incidents N --database postgresql://…``.

The same generator as the SQLite demo city (:func:`datasources.demo_city.generated_incidents`: the
same seed gives the same incidents), written with ``COPY`` one ~30-day batch at a time, so memory stays
flat at 20,000,000 rows. The table ``incidents`` has the contract's columns with PostgreSQL types
(timestamps, double precision), the primary key ``incident_id`` and an index on ``reported_at``; an
``sql`` source with ``push_down = true`` aggregates it where it lies (datasources/sql_incidents.py).
The deliberate bad rows come along, except the repeated ticket, which the primary key refuses.
"""
from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sqlalchemy.engine import make_url

from datasources.demo_city import (CATEGORIES, SOURCES, _incident_ids, generated_incidents, incident_model,
                                   incident_status)
from datasources.sql_incidents import libpq_url

COLUMNS = ("incident_id", "source", "category", "region_id", "lon", "lat", "reported_at", "deadline_at",
           "closed_at", "status")
DDL = """
CREATE TABLE {table} (
    incident_id text NOT NULL, source text, category text, region_id text,
    lon double precision, lat double precision, reported_at timestamp, deadline_at timestamp,
    closed_at timestamp, status text)
"""


def _batch_csv(model, rows: dict[str, np.ndarray], now_s: int) -> bytes:
    closed, _, status = incident_status(rows, now_s)
    table = pa.table({
        "incident_id": pa.array(_incident_ids(rows["t"], rows["src"], rows["k"]), pa.string()),
        "source": pa.array(np.array(SOURCES, dtype=object)[rows["src"]], pa.string()),
        "category": pa.array(np.array(CATEGORIES, dtype=object)[rows["cat"]], pa.string()),
        "region_id": pa.array(model.grid_ids[rows["grid"]].astype(object), pa.string()),
        "lon": pa.array(rows["lon"], pa.float64()), "lat": pa.array(rows["lat"], pa.float64()),
        "reported_at": pa.array(rows["t"], pa.timestamp("s")),
        "deadline_at": pa.array(rows["deadline"], pa.timestamp("s")),
        "closed_at": pa.array(rows["close"], pa.timestamp("s"), mask=~closed),
        "status": pa.array(status, pa.string()),
    })
    out = io.BytesIO()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()


def seed_postgres_incidents(url: str, *, seed: int, incidents: int, as_of: datetime,
                            table: str = "incidents") -> int:
    """Replace ``table`` in the PostgreSQL database at ``url`` with the demo city's incidents; → rows."""
    import psycopg

    if incidents < 100:
        raise ValueError("事件条数至少为 100")
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    now_s = int((as_of - datetime(1970, 1, 1)).total_seconds())
    model = incident_model(seed)
    name = psycopg.sql.Identifier(table)
    with psycopg.connect(libpq_url(make_url(url))) as conn:
        conn.execute(psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        conn.execute(psycopg.sql.SQL(DDL.format(table="{}")).format(name))
        columns = psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, COLUMNS))
        bad: list[tuple] = []
        with conn.cursor() as cur, cur.copy(psycopg.sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)")
                                            .format(name, columns)) as copy:
            for batch in generated_incidents(seed, model, incidents, as_of):
                if isinstance(batch, list):
                    bad = batch
                    continue
                batch.pop("scale", None)
                copy.write(_batch_csv(model, batch, now_s))
        # the key and the index once the rows are in (faster than row by row); then the bad rows,
        # less the repeated ticket the key refuses
        conn.execute(psycopg.sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (incident_id)").format(name))
        conn.execute(psycopg.sql.SQL("CREATE INDEX ON {} (reported_at)").format(name))
        with conn.cursor() as cur:
            cur.executemany(psycopg.sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
                name, columns, psycopg.sql.SQL(", ").join(psycopg.sql.Placeholder() * len(COLUMNS))), bad)
        conn.commit()
        conn.autocommit = True
        conn.execute(psycopg.sql.SQL("VACUUM ANALYZE {}").format(name))
        return conn.execute(psycopg.sql.SQL("SELECT count(*) FROM {}").format(name)).fetchone()[0]
