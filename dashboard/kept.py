"""A small thread-safe cache of the entries used last (views, pages, a frame's arrays): a new entry
pushes out the one unused longest, so what is warmed after a publish stays while it is visited."""
from __future__ import annotations

import threading
from collections import OrderedDict


class Kept:
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value = self._entries.get(key, default)
            if key in self._entries:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value):
        """Keep ``value`` under ``key`` (one already there wins: two requests made it at once) → the kept one."""
        with self._lock:
            value = self._entries.setdefault(key, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
