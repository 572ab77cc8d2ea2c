"""Warming the drill-down pages after a publish (called by the wall's warmer, callbacks/wall.py).

After a publish of the incidents, the arrays every /incidents selection reads are made once here
(dashboard/incident_arrays.py: codes, measures, the region order and its blocks), the map layers
projected, and the default view and its page built, instead of by the first visitor; after a publish
of the programme datasets, /sharing's and /scoreboard's default pages are built (each page is kept
per version of the datasets it reads, dashboard/programme_data.py ``per_version``).
"""
from __future__ import annotations

import logging
import threading

from dashboard import incident_view, runtime

log = logging.getLogger("citywall.drill_warm")
_WARMED: dict[tuple[int, str], int] = {}  # (runtime generation, dataset) → the version warmed
_LOCK = threading.Lock()
PROGRAMME_DATASETS = ("catalog", "systems", "departments", "department_history", "indicator_history", "targets")


def warmed(dataset: str) -> int:
    """The version of ``dataset`` the drill-down pages were last warmed with (0: none yet)."""
    return _WARMED.get((runtime.current().generation, dataset), 0)


def warm(store) -> dict[str, int]:
    """Warm what a publish since the last call made stale; → the versions warmed."""
    from layouts import incidents as incidents_page
    from layouts import map_projection
    from layouts import programme_pages

    rt = runtime.current()
    with _LOCK:
        snap = store.snapshot("incidents")
        if snap is not None and warmed("incidents") != snap.version:
            incident_view.prepare_frames(snap.frames)
            geography = rt.geography
            for level in ("区县", "镇街", "网格"):
                layer = geography.layer(level) if geography is not None else None
                if layer:
                    map_projection.svg_layer(layer)
            incidents_page.layout()
            _WARMED[rt.generation, "incidents"] = snap.version
        versions = tuple(store.status(d).version for d in PROGRAMME_DATASETS)
        if any(warmed(d) != v for d, v in zip(PROGRAMME_DATASETS, versions)):
            programme_pages.sharing()
            programme_pages.scoreboard_layout()
            _WARMED.update({(rt.generation, d): v for d, v in zip(PROGRAMME_DATASETS, versions)})
    return {key[1]: version for key, version in _WARMED.items() if key[0] == rt.generation}
