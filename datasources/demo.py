"""The ``demo`` source kind: reads the built-in demo city 示范市 (see :mod:`datasources.demo_city`).

The demo database is created on first use (seed and size from ``[demo]`` in the settings) under
the data folder, with its GeoJSON next to it in ``geo/``. With ``demo.live`` on, every read of
the incidents dataset first tops the database up to the current time, so the wall keeps moving.
"""
from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd

from datasources.demo_city import GEO_FILES, VERSION, read_meta, read_table, seed_demo_city, top_up_incidents, write_geojson

try:  # POSIX: one process seeds while the others wait (gunicorn workers, scheduler process)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the in-process lock still serialises threads
    fcntl = None

_LOCK = threading.Lock()


def demo_geo_dir(settings) -> Path:
    """Where the demo city's districts/streets/grids GeoJSON live."""
    return settings.demo_database.parent / "geo"


@contextlib.contextmanager
def _exclusive(db_path: Path):
    with _LOCK:
        if fcntl is None:
            yield
            return
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with open(db_path.with_name(db_path.name + ".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_demo_city(settings, *, incidents: int | None = None, seed: int | None = None,
                     force: bool = False) -> Path:
    """Make sure the demo database and its GeoJSON exist; → the database path.

    Seeds (as of now, with ``settings.demo`` unless ``seed`` / ``incidents`` are given) when the
    database is missing or unreadable, when an explicitly given ``seed`` or ``incidents`` differs
    from what it holds, or when ``force`` is set. A database seeded earlier by the ``seed``
    command is kept as it is. Missing GeoJSON alone is rewritten, for the database's own seed.
    """
    db_path, geo_dir = settings.demo_database, demo_geo_dir(settings)

    def fresh(meta) -> bool:
        return (meta is not None and not force and meta.get("version") == VERSION  # older: lacks a table
                and (seed is None or meta.get("seed") == str(seed))
                and (incidents is None or meta.get("incidents") == str(incidents)))

    def geo_complete() -> bool:
        return all((geo_dir / name).is_file() for name in GEO_FILES.values())

    if fresh(read_meta(db_path)) and geo_complete():
        return db_path
    with _exclusive(db_path):
        meta = read_meta(db_path)  # another worker may have seeded while we waited
        if not fresh(meta):
            seed_demo_city(db_path, geo_dir, seed=settings.demo.seed if seed is None else seed,
                           incidents=settings.demo.incidents if incidents is None else incidents,
                           as_of=datetime.now().replace(microsecond=0))
        elif not geo_complete():
            write_geojson(geo_dir, seed=int(meta["seed"]))
    return db_path


def read_demo(source, settings) -> pd.DataFrame:
    """Rows of ``source.dataset`` from the demo city, as raw values for the contract validator."""
    db_path = ensure_demo_city(settings)
    if source.dataset == "incidents" and settings.demo.live:
        top_up_incidents(db_path, datetime.now())
    return read_table(db_path, source.dataset)
