"""Locks across processes, in the app database: one row per held lock, with its owner and expiry.

A lock is taken with a conditional UPDATE (free, expired, or already ours) and, when no row exists, an
INSERT that the primary key lets only one process win: the same SQL on SQLite and PostgreSQL. While
held, a heartbeat thread (started by :func:`held`, never at import) pushes the expiry forward, so a
process killed with ``kill -9`` loses its locks after ``app.lock_expiry_seconds`` at most, and at
once for the next start on the same host, which sees the owner's process gone (:func:`owner_alive`).
"""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import psutil
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from dashboard import db


@lru_cache(maxsize=None)
def _owner_for(pid: int) -> str:
    # host, process id and the process's start time: a reused pid is not mistaken for the dead owner
    created = int(psutil.Process(pid).create_time())
    return f"{socket.gethostname()}:{pid}:{created}:{uuid.uuid4().hex[:8]}"


def process_owner() -> str:
    """This process's owner id (a forked child gets its own)."""
    return _owner_for(os.getpid())


def owner_alive(owner: str | None) -> bool:
    """Whether the process behind an owner id still runs. An owner on another host counts as alive:
    its locks end by expiry there."""
    try:
        host, pid, created, _ = (owner or "").split("/")[0].split(":")
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    try:
        return int(psutil.Process(int(pid)).create_time()) == int(created)
    except (psutil.NoSuchProcess, ValueError):
        return False


def acquire(engine: Engine, name: str, owner: str, expiry: float) -> bool:
    """Take lock ``name`` for ``owner`` for ``expiry`` seconds; False when another live owner holds it."""
    now = time.time()
    with engine.begin() as conn:
        taken = conn.execute(update(db.locks).where(
            db.locks.c.name == name, or_(db.locks.c.owner == owner, db.locks.c.expires_at < now)
        ).values(owner=owner, acquired_at=now, expires_at=now + expiry)).rowcount
    if taken:
        return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(db.locks).values(name=name, owner=owner, acquired_at=now, expires_at=now + expiry))
        return True
    except IntegrityError:
        pass
    holder = holder_of(engine, name)
    if holder is not None and not owner_alive(holder):  # its process died on this host: take it over
        with engine.begin() as conn:
            return bool(conn.execute(update(db.locks).where(db.locks.c.name == name, db.locks.c.owner == holder)
                                     .values(owner=owner, acquired_at=now, expires_at=now + expiry)).rowcount)
    return False


def renew(engine: Engine, name: str, owner: str, expiry: float) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(update(db.locks).where(db.locks.c.name == name, db.locks.c.owner == owner)
                                 .values(expires_at=time.time() + expiry)).rowcount)


def release(engine: Engine, name: str, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(db.locks).where(db.locks.c.name == name, db.locks.c.owner == owner))


def holder_of(engine: Engine, name: str) -> str | None:
    """The owner holding ``name`` now (an expired lock is held by nobody)."""
    held_since = lock_info(engine, name)
    return held_since[0] if held_since else None


def lock_info(engine: Engine, name: str) -> tuple[str, float] | None:
    """(owner, acquired_at) of the unexpired lock ``name``, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(db.locks.c.owner, db.locks.c.acquired_at).where(
            db.locks.c.name == name, db.locks.c.expires_at >= time.time())).first()
    return (row[0], row[1]) if row else None


@contextmanager
def beating(beat, interval: float) -> Iterator[None]:
    """Call ``beat()`` every ``interval`` seconds in a thread while inside (a lock's or a job's heartbeat)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            beat()

    thread = threading.Thread(target=loop, name="citywall heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@contextmanager
def held(engine: Engine, name: str, expiry: float, owner: str | None = None, wait: float = 0.0) -> Iterator[bool]:
    """``with held(engine, "pull:12345热线", 120) as got:`` — ``got`` says whether the lock was taken;
    while inside, the lock is renewed every third of ``expiry``. Each hold has its own owner id (the
    process's, plus a token), so two threads of one process exclude each other too."""
    owner = owner or f"{process_owner()}/{uuid.uuid4().hex[:6]}"
    if not acquire(engine, name, owner, expiry):
        yield False
        return
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(expiry / 3):
            renew(engine, name, owner, expiry)

    beat = threading.Thread(target=heartbeat, name=f"lock {name}", daemon=True)
    beat.start()
    try:
        yield True
    finally:
        stop.set()
        beat.join(timeout=5)
        release(engine, name, owner)
