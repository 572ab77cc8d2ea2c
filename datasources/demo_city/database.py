"""The demo city's SQLite file: the tables, seeding, the hourly top-up and reading a dataset."""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from datasources.contracts import CONTRACTS
from datasources.demo_city.common import MAX_TOP_UP, TABLES, VERSION, _SQL_TYPES, _TS_FMT, _epoch_s
from datasources.demo_city.departments import (_catalog, _department_history, _exchange, _indicator_history,
                                               _network, _systems, build_departments)
from datasources.demo_city.geography import build_city, region_rows, write_geojson
from datasources.demo_city.incidents import (_concat, _hour_batch, _insert_incidents, generated_incidents,
                                             incident_model)


def _create_tables(conn: sqlite3.Connection) -> None:
    for name in TABLES:
        cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.kind]}' for c in CONTRACTS[name].columns)
        conn.execute(f'CREATE TABLE "{name}" ({cols})')
    conn.execute("CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value TEXT)")
    # open incidents: when each will be dispatched (NULL once it is) and when it will be closed
    conn.execute("CREATE TABLE demo_pending (incident_rowid INTEGER PRIMARY KEY, dispatch_at TEXT, close_at TEXT)")


def seed_demo_city(db_path: Path, geo_dir: Path, *, seed: int, incidents: int, as_of: datetime) -> dict[str, int]:
    """Write a fresh demo database (replacing any existing one) and its GeoJSON; → rows per table."""
    db_path, geo_dir = Path(db_path), Path(geo_dir)
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    if incidents < 100:
        raise ValueError("incidents must be at least 100")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    write_geojson(geo_dir, seed=seed)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.seeding")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        _create_tables(conn)
        city, dep = build_city(seed), build_departments(seed)
        conn.executemany("INSERT INTO departments VALUES (?,?,?,?)",
                         zip(dep.ids, dep.names, dep.shorts, dep.kinds))
        conn.executemany("INSERT INTO regions VALUES (?,?,?,?)", region_rows(city))
        catalog, rates = _catalog(seed, as_of)
        conn.executemany("INSERT INTO catalog VALUES (?,?,?,?,?,?,?,?)", catalog)
        conn.executemany("INSERT INTO exchange VALUES (?,?,?,?,?)", _exchange(seed, as_of))
        systems, classified, migrated = _systems(seed, as_of)
        conn.executemany("INSERT INTO systems VALUES (?,?,?,?,?,?,?,?)", systems)
        conn.executemany("INSERT INTO department_history VALUES (?,?,?,?)",
                         _department_history(seed, as_of, catalog, systems))
        network, net_stats = _network(seed)
        conn.executemany("INSERT INTO network VALUES (?,?,?,?)", network)
        conn.executemany("INSERT INTO indicator_history VALUES (?,?,?)",
                         _indicator_history(seed, as_of, rates, migrated[~classified], net_stats))

        model = incident_model(seed)
        now_s = _epoch_s(as_of)
        scale = 0.0
        for batch in generated_incidents(seed, model, incidents, as_of):
            if isinstance(batch, list):
                conn.executemany("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
            else:
                scale = batch.pop("scale", scale)
                _insert_incidents(conn, model, batch, now_s)
        conn.execute("CREATE INDEX idx_incidents_reported_at ON incidents(reported_at)")
        conn.execute("CREATE INDEX idx_pending_close ON demo_pending(close_at)")
        conn.execute("CREATE INDEX idx_pending_dispatch ON demo_pending(dispatch_at)")
        meta = {"seed": str(seed), "as_of": as_of.strftime(_TS_FMT), "incidents": str(incidents),
                "incidents_generated_until": as_of.strftime(_TS_FMT), "rate_scale": repr(scale),
                "version": VERSION}
        conn.executemany("INSERT INTO demo_meta VALUES (?,?)", sorted(meta.items()))
        conn.commit()
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for suffix in ("-journal", "-wal", "-shm"):  # a stale journal must never meet the new file
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, db_path)
    return counts


def _ro_uri(db_path: Path) -> str:
    return Path(db_path).resolve().as_uri() + "?mode=ro"


def read_meta(db_path: Path) -> dict[str, str] | None:
    """demo_meta as a dict, or None when the file is missing or is not a demo database."""
    if not Path(db_path).is_file():
        return None
    try:
        conn = sqlite3.connect(_ro_uri(db_path), uri=True, timeout=30)
        try:
            return dict(conn.execute("SELECT key, value FROM demo_meta").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def top_up_incidents(db_path: Path, until: datetime) -> int:
    """Generate the incidents that arrived after ``incidents_generated_until`` up to ``until``
    (at most 14 days of backlog), and close or dispatch open incidents whose time has come.
    Returns the number of new rows."""
    until = until.replace(microsecond=0, tzinfo=None)
    until_text = until.strftime(_TS_FMT)
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        conn.execute("BEGIN IMMEDIATE")
        meta = dict(conn.execute("SELECT key, value FROM demo_meta").fetchall())
        generated = datetime.strptime(meta["incidents_generated_until"], _TS_FMT)
        due = conn.execute("SELECT 1 FROM demo_pending WHERE close_at <= ? OR dispatch_at <= ? LIMIT 1",
                           (until_text, until_text)).fetchone()
        if until <= generated and not due:
            conn.rollback()
            return 0
        added = 0
        if until > generated:
            model = incident_model(int(meta["seed"]))
            scale = float(meta["rate_scale"])
            start = max(generated, until - MAX_TOP_UP)
            lo, hi = _epoch_s(start), _epoch_s(until)
            batches = []
            for hour in range(lo // 3600, hi // 3600 + 1):
                b = _hour_batch(model, scale, hour)
                keep = (b["t"] > lo) & (b["t"] <= hi)
                if keep.any():
                    batches.append({k: v[keep] for k, v in b.items()})
            # rows already open close below, with everything else that is due
            added = _insert_incidents(conn, model, _concat(batches), hi)
            conn.execute("UPDATE demo_meta SET value = ? WHERE key = 'incidents_generated_until'", (until_text,))
        closing = conn.execute("SELECT incident_rowid, close_at FROM demo_pending WHERE close_at <= ?",
                               (until_text,)).fetchall()
        if closing:
            conn.executemany("UPDATE incidents SET status = '已办结', closed_at = ? WHERE rowid = ?",
                             [(c, r) for r, c in closing])
            conn.executemany("DELETE FROM demo_pending WHERE incident_rowid = ?", [(r,) for r, _ in closing])
        dispatching = conn.execute("SELECT incident_rowid FROM demo_pending WHERE dispatch_at <= ?",
                                   (until_text,)).fetchall()
        if dispatching:
            conn.executemany("UPDATE incidents SET status = '处置中' WHERE rowid = ?", dispatching)
            conn.executemany("UPDATE demo_pending SET dispatch_at = NULL WHERE incident_rowid = ?", dispatching)
        conn.commit()
        return added
    finally:
        conn.close()


def read_table(db_path: Path, dataset: str):
    """``SELECT *`` of one dataset as a DataFrame of raw values (read in chunks to bound memory)."""
    import pandas as pd

    if dataset not in TABLES:
        raise ValueError(f"演示城市没有数据集 {dataset!r}（可选: {', '.join(TABLES)}）")
    conn = sqlite3.connect(_ro_uri(db_path), uri=True, timeout=60)
    try:
        chunks = list(pd.read_sql(f'SELECT * FROM "{dataset}"', conn, chunksize=100_000))
    finally:
        conn.close()
    if not chunks:
        return pd.DataFrame(columns=CONTRACTS[dataset].names)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
