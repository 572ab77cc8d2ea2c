"""The wall's component ids, shared by its page (layouts/wall.py), its callbacks (callbacks/wall.py),
its view model (dashboard/wall_view.py) and the tests."""
from __future__ import annotations

from layouts import components as cx

#: the datasets the wall draws from (the header's oldest age is over these)
DATASETS = ("departments", "regions", "catalog", "exchange", "systems", "incidents", "targets")
#: what the wall draws beside the frame store: the instructions of 指挥调度 (dashboard/command_feed.py),
#: versioned and redrawn like a dataset, outside the header's age and the capture's data version
FEEDS = ("instructions",)
VERSIONED = DATASETS + FEEDS

IDS = {
    "root": "wall-root", "canvas": "wall-canvas", "config": "wall-config", "mount": "wall-mount",
    "tick": "wall-tick",  # dcc.Interval: the refresh poll (settings.app.refresh_seconds)
    "poll": "wall-poll",  # the gated poll request {n, t} (clientside gate → server poll)
    "ack": "wall-ack",  # the poll's answer {n, v, f, u}: the gate opens again when ack.n == poll.n; v, f, u: signatures
    "versions": "wall-versions",  # {dataset: version} the browser has drawn
    "version": {ds: f"wall-v-{ds}" for ds in VERSIONED},  # one store per dataset or feed: panels' Inputs
    "fresh": "wall-fresh",  # {dataset: {b: badge, r: reason, a: age}} for stale datasets only
    "updated": cx.UPDATED, "view": "wall-view", "rotate": "wall-rotate", "view_label": cx.VIEW_LABEL,
    "nav": "wall-nav", "clock_time": cx.CLOCK_TIME, "clock_date": cx.CLOCK_DATE,
    "panel": cx.PANEL, "badge": cx.BADGE,  # pattern-matching id types {"type", "name", "ds"}
    # Plotly graphs where a panel needs axes or a map; the lighter panels are HTML (layouts/meters.py)
    "graph": {name: f"wall-g-{name}" for name in ("exchange", "map", "burnup", "hour_weekday", "category_district")},
    "body": {name: f"wall-b-{name}" for name in ("sharing", "ranking", "cloud", "migration", "targets", "command")},
    # the HTML keys, headlines and colour scales over the graphs (layouts/captions.py)
    "caption": {name: f"wall-c-{name}" for name in ("exchange", "map", "burnup", "hour_weekday")},
    "kpi": {name: f"wall-kpi-{name}" for name in ("sharing", "aggregation", "cloud", "today", "closure", "targets")},
    "ticker": "wall-ticker-list", "districts": "wall-district-list",
    "faces": "wall-faces",  # the panels taking turns in one box (省级目标指标, 指挥调度): assets/wall-faces.js
    "map_key": "wall-map-key",  # the shape of the map figure the browser holds (view and trace types)
    # the scope (全市 or the district in view) in the title bar of each panel and tile that follows the view
    "scope": {name: f"wall-s-{name}" for name in ("map", "hour_weekday", "category_district", "ticker",
                                                  "kpi-today", "kpi-closure")},
}


def panel_output(name: str) -> tuple[str, str]:
    """The (component id, property) a panel's render fills."""
    if name in IDS["graph"]:
        return IDS["graph"][name], "figure"
    if name in IDS["body"]:
        return IDS["body"][name], "html"
    return IDS["ticker"], "html"

