"""The running app's shared parts (settings, frame store, app database, geography).

Page layouts and callbacks are module-level functions, as Dash Pages wants; they reach the parts
of the app they read through :func:`current`, which :func:`dashboard.app.create_app` installs.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from dashboard.settings import Settings
from dashboard.store import FrameStore


@dataclass
class Runtime:
    settings: Settings
    store: FrameStore
    engine: Engine
    #: set by install(): caches keyed by it never serve one app's pages to another (ids can be reused)
    generation: int = field(default=0, init=False, compare=False)

    @cached_property
    def geography(self):
        from dashboard.geo import load_geography

        return load_geography(self.settings)


_current: Runtime | None = None
_generations = itertools.count(1)


def install(runtime: Runtime) -> Runtime:
    global _current
    runtime.generation = next(_generations)
    _current = runtime
    return runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("CityWall runtime not installed: build the app with dashboard.app.create_app()")
    return _current
