"""The wall's 指挥调度 feed: the instructions panel (dashboard/instructions_view.py) read from the app
database at most once every :data:`TTL_SECONDS` per process, however many screens poll.

Hundreds of wall screens poll every few seconds; each poll and each redraw asks this cache, never
the database. The feed is the wall's one source beside the frame store's datasets: its snapshot
looks like a dataset's (a version and its "frames", here ``{"panel": CommandPanel}``), so the panel
is cached, announced by the poll and redrawn like every other panel (dashboard/wall_view.py).

The version is a hash of what the panel shows, so every process agrees on it and a wall redraws the
panel only when a number or a line changed, also when time alone changes it (a deadline passes and
超期 goes up; at 00:00 in the city's zone 今日下达 starts again from 0).

A failed read keeps the last panel read and says so with a stale badge, like a failed source.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import asdict
from zoneinfo import ZoneInfo

import orjson

from dashboard import formatting as fmt
from dashboard.store import Snapshot

FEED = "instructions"  # its name among the wall's versions (layouts/wall_ids.py FEEDS)
TTL_SECONDS = 5.0
HIDDEN_ERROR = "指令数据库暂时无法读取，显示最近一次读到的指令"
log = logging.getLogger("citywall.wall")


def panel_version(panel) -> int:
    """A number that changes whenever what the panel shows changes (the same in every process)."""
    payload = orjson.dumps(asdict(panel) if panel is not None else None)
    return int.from_bytes(hashlib.blake2b(payload, digest_size=6).digest(), "big")


class CommandFeed:
    """The latest panel read, re-read when older than ``ttl`` seconds. One read at a time: while it
    runs, other callers get the previous panel at once (a slow database never holds up the polls)."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self.reads = 0  # database reads so far (the tests count them)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._key: tuple | None = None
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._reading = False
        self._error = ""  # the last read's failure, "" once a read succeeds

    def snapshot(self, engine, zone: str, key: tuple = (), now: float | None = None) -> Snapshot:
        """The feed now (``key``: what the cached panel belongs to, e.g. the runtime's generation)."""
        now = time.time() if now is None else now
        key = (key, zone)
        with self._lock:
            snap = self._snapshot if self._key == key else None
            if snap is not None and (self._reading or 0 <= now - self._checked_at < self.ttl):
                return snap
            waiting = self._reading
            if not waiting:
                self._reading, self._key, self._checked_at = True, key, now
                self._done.clear()
        if waiting:  # the first read of this key is under way: wait for it briefly
            self._done.wait(10)
            with self._lock:
                return self._snapshot if self._snapshot is not None and self._key == key else _empty(now)
        return self._read(engine, zone, snap, now)

    def _read(self, engine, zone: str, previous: Snapshot | None, now: float) -> Snapshot:
        from dashboard.instructions_view import panel_now

        snap, error = previous, ""
        try:
            if engine is None:  # an app without its database (a tool, a test of the frames): no panel
                return snap or _empty(now)
            self.reads += 1
            panel = panel_now(engine, now, ZoneInfo(zone))
            snap = Snapshot(FEED, panel_version(panel), now, {"panel": panel, "read_at": now})
        except Exception as exc:  # the database is down or locked: keep the last panel read
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
            if not self._error:
                log.warning("指挥调度：指令数据库读取失败，保留最近一次读到的指令（%s）", error)
            snap = snap or _empty(now)
        finally:
            with self._lock:
                self._snapshot, self._reading = snap, False
                self._error = error
            self._done.set()
        return snap

    def freshness(self, details: bool, now: float | None = None) -> dict:
        """{FEED: {"b": badge, "r": reason, "a": age}} while reads fail (the wall's stale map), else {}."""
        with self._lock:
            error, snap = self._error, self._snapshot
        if not error:
            return {}
        now = time.time() if now is None else now
        read = snap.published_at if snap is not None and snap.frames.get("panel") is not None else None
        age = None if read is None else max(0.0, now - read)
        reason = f"指令数据库读取失败：{error}" if details else HIDDEN_ERROR
        return {FEED: {"b": f"数据滞后 · {fmt.age(age)}", "r": reason, "a": None if age is None else int(age)}}


def _empty(now: float) -> Snapshot:
    return Snapshot(FEED, 0, now, {"panel": None})


#: this process's feed, shared by every screen it serves
FEED_CACHE = CommandFeed()


def current_snapshot() -> Snapshot:
    """The feed of the installed app (its database and its city's zone)."""
    from dashboard import runtime

    rt = runtime.current()
    return FEED_CACHE.snapshot(rt.engine, rt.settings.city.timezone, (rt.generation,))


def current_freshness(details: bool) -> dict:
    return FEED_CACHE.freshness(details)
