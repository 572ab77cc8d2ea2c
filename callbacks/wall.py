"""The wall's refresh: a cheap gated poll of dataset versions, and per-panel redraws.

Callback graph (ids from layouts.wall.IDS; "cs" = clientside, no server round trip)::

    wall-tick.n_intervals ──cs gate──▶ wall-poll.data ──server poll──▶ wall-versions.data
                 (State wall-poll, wall-ack)   (State wall-ack)     ├─▶ wall-fresh.data
                                                                    ├─▶ wall-updated.children
                                                                    └─▶ wall-ack.data (every tick)
    wall-versions.data ──cs fan-out──▶ wall-v-<dataset>.data (only those that changed; wall-v-instructions:
                       the 指挥调度 feed's version, from dashboard/command_feed.py's cache, never a query per poll)
    wall-v-<dataset>.data (+ wall-view.data for the map and the category heatmap)
                       ──server──▶ each panel's figure / KPI tile / ticker / district list
                       (the map: a Patch without the GeoJSON when only its data changed; State wall-map-key)
    wall-versions.data + every redraw's output ──cs──▶ wall-root.data-cw-version (once they have all answered)
    wall-fresh.data ──cs──▶ every {"type": wall-panel}.className (is-stale) and {"type": wall-badge} text
    wall-rotate.n_intervals ──cs──▶ wall-view.data ──cs──▶ wall-view-label.children
    wall-config.data ──cs──▶ wall-mount (starts wall.js: scaling, clock, ticker, kiosk, nightly reload)
    <graph>.clickData ──cs──▶ wall-nav.data (navigates to the point's drill-down URL)

Skipping a tick: Dash itself does not skip. When an Input changes while the callback it feeds is
still running, dash-renderer drops the running request's result and sends a new request (the
server does the work twice, and a slow server piles up requests). So the interval does not feed
the server directly: a clientside gate passes a tick on to ``wall-poll`` only when ``wall-ack``
has answered the previous one (ack.n == poll.n), or when that answer is overdue (3 periods: the
request failed). An unchanged tick sends one small request (no frames, no figures) and gets back
only the ack: every other output is ``no_update``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

import plotly.io as pio
from dash import ALL, ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback, no_update
from dash import ctx as dash_ctx

from dashboard import command_feed, runtime
from dashboard.permissions import has_permission, protect_callbacks
from dashboard.wall_view import (Frames, context, header_updated, map_key, poll_signature, render, shown_freshness,
                                 wall_freshness, warm_parts)
from layouts import wall as wall_page
from layouts.wall_ids import DATASETS, IDS, VERSIONED, panel_output
from layouts.wall_panels import KPIS, PANELS

pio.json.config.default_engine = "orjson"
protect_callbacks("view_wall", "wall-*")  # every id of the wall (layouts/wall.py IDS) starts with wall-
log = logging.getLogger("citywall.wall")

# ---- the poll ------------------------------------------------------------------------------------

clientside_callback(
    ClientsideFunction("citywall", "gate"),
    Output(IDS["poll"], "data"),
    Input(IDS["tick"], "n_intervals"),
    State(IDS["poll"], "data"), State(IDS["ack"], "data"), State(IDS["config"], "data"),
    prevent_initial_call=True,
)


@callback(
    Output(IDS["versions"], "data"), Output(IDS["fresh"], "data"), Output(IDS["updated"], "children"),
    Output(IDS["ack"], "data"),
    Input(IDS["poll"], "data"), State(IDS["ack"], "data"),
    prevent_initial_call=True,
)
def poll(request, ack):
    """Read only the datasets' statuses (a small file each) and the instructions' cached version;
    send what changed, else no_update.

    The browser sends back only the previous answer's signatures (ack.v for the versions, ack.f for
    the badges, ack.u for the header text), so an unchanged tick carries no data either way.
    """
    rt = runtime.current()
    now = time.time()
    statuses = rt.store.statuses()
    # the instructions' version from this process's cache (read from the database every few seconds)
    versions = {**announced_versions(rt, statuses, now), command_feed.FEED: command_feed.current_snapshot().version}
    fresh = wall_freshness(rt.settings, statuses, now, has_permission("view_raw_rows"))
    updated = header_updated(statuses, fresh, DATASETS, now)
    sigs = {"v": poll_signature(versions), "f": poll_signature(shown_freshness(fresh)), "u": poll_signature(updated)}
    ack = ack or {}
    # d: the datasets' versions alone, the page's data-cw-version once they are redrawn (drawnVersion)
    drawn = poll_signature({ds: versions[ds] for ds in DATASETS})
    return (no_update if ack.get("v") == sigs["v"] else versions,
            no_update if ack.get("f") == sigs["f"] else fresh,
            no_update if ack.get("u") == sigs["u"] else updated,
            {"n": (request or {}).get("n", 0), **sigs, "d": drawn})


def announced_versions(rt, statuses: dict, now: float) -> dict[str, int]:
    """The versions to tell the walls about. A version just published (under HOLD_SECONDS ago) is
    announced once the warmer has drawn it, so the burst of panel redraws that follows is served from
    the cache; if the warmer lags, the version is announced anyway after HOLD_SECONDS (a wall must not
    keep showing old numbers while its badges say the data is fresh)."""
    versions = {ds: statuses[ds].version if ds in statuses else 0 for ds in DATASETS}
    warmed = _WARMED.get(rt.generation) if WARMING.is_set() else None
    if not warmed:
        return versions
    out = {}
    for ds, version in versions.items():
        published = statuses[ds].published_at if ds in statuses else None
        recent = published is not None and now - published < HOLD_SECONDS
        out[ds] = warmed.get(ds, version) if recent and warmed.get(ds, version) < version else version
    return out


clientside_callback(
    ClientsideFunction("citywall", "fanout"),
    [Output(IDS["version"][ds], "data") for ds in VERSIONED],
    Input(IDS["versions"], "data"),
    [State(IDS["version"][ds], "data") for ds in VERSIONED],
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("citywall", "stale"),
    Output({"type": IDS["panel"], "name": ALL, "ds": ALL}, "className"),
    Output({"type": IDS["badge"], "name": ALL, "ds": ALL}, "children"),
    Output({"type": IDS["badge"], "name": ALL, "ds": ALL}, "title"),
    Input(IDS["fresh"], "data"),
    State({"type": IDS["panel"], "name": ALL, "ds": ALL}, "className"),
    prevent_initial_call=True,
)


# ---- per-panel redraws ------------------------------------------------------------------------------

def _inputs(datasets, uses_view: bool) -> list:
    inputs = [Input(IDS["version"][ds], "data") for ds in datasets]
    return inputs + ([Input(IDS["view"], "data")] if uses_view else [])


def _redraw(parts: list[tuple[str, str]], datasets, uses_view: bool):
    """A callback body that renders ``parts`` ((kind, name) pairs, see dashboard.wall_view.render)."""
    def redraw(*args):
        view = args[-1] if uses_view else "city"
        frames = Frames(runtime.current().store, datasets)
        ctx = context(view or "city")
        out = [render(kind, name, frames, ctx) for kind, name in parts]
        return out if len(out) > 1 else out[0]
    return redraw


#: per trace type, what a publish can change on a map of the same shape (same view, same traces);
#: other types (the MapLibre path's choropleth and density traces) resend everything but the GeoJSON
_MAP_DATA_PROPS = {"scatter": ("fillcolor", "text", "customdata")}
#: layout parts drawn from the data: the SVG map's density picture, the MapLibre map's district labels
_MAP_DATA_LAYOUT = {"scatter": ("images",)}
_MAPLIBRE_DATA_LAYOUT = ("annotations",)


def map_patch(figure: dict, client_key, new_key: str, new_data: bool):
    """The map's update: when only its data changed and the browser holds a figure of the same shape
    (same view, same traces), a Patch of what the data drives and never the district polygons (the
    SVG map's x/y, the MapLibre map's GeoJSON, often 100 KB or more); otherwise the whole figure.

    SVG map: each district's fill colour, hover text and URL, the names' trace and the density
    picture. MapLibre map (a tile server): every trace property but the GeoJSON, and the labels.
    (The colour scale's legend is HTML, redrawn beside the figure.)"""
    if not new_data or client_key != new_key:
        return figure
    patch = Patch()
    for i, trace in enumerate(figure.get("data", [])):
        props = _MAP_DATA_PROPS.get(trace.get("type"))
        for prop, value in trace.items():
            if (prop in props) if props is not None else prop != "geojson":
                patch["data"][i][prop] = value
    layout = figure.get("layout", {})
    first_type = (figure.get("data") or [{}])[0].get("type")
    for part in _MAP_DATA_LAYOUT.get(first_type, _MAPLIBRE_DATA_LAYOUT):
        patch["layout"][part] = layout.get(part, [])  # plotly leaves an empty list out: it must clear the browser's
    return patch


@callback(
    Output(IDS["graph"]["map"], "figure"), Output(IDS["caption"]["map"], "html"), Output(IDS["districts"], "html"),
    Output(IDS["map_key"], "data"), Output(IDS["scope"]["map"], "html"),
    Input(IDS["version"]["incidents"], "data"), Input(IDS["view"], "data"), State(IDS["map_key"], "data"),
    prevent_initial_call=True,
)
def redraw_map(_version, view, client_key):
    view = view or "city"
    frames = Frames(runtime.current().store, PANELS["map"].datasets)
    ctx = context(view)
    figure = render("panel", "map", frames, ctx)
    key = map_key(figure, view)
    new_data = dash_ctx.triggered_id == IDS["version"]["incidents"]
    return (map_patch(figure, client_key, key, new_data), render("caption", "map", frames, ctx),
            render("extra", "districts", frames, ctx), key, render("scope", "map", frames, ctx))


for _name, _spec in PANELS.items():
    if _name == "map":
        continue
    _outputs, _parts = [Output(*panel_output(_name))], [("panel", _name)]
    if _spec.caption:  # a graph and the HTML line over it change together
        _outputs.append(Output(IDS["caption"][_name], "html"))
        _parts.append(("caption", _name))
    if _name in IDS["scope"]:  # and its title bar's scope, with the view
        _outputs.append(Output(IDS["scope"][_name], "html"))
        _parts.append(("scope", _name))
    callback(*_outputs, *_inputs(_spec.datasets, _spec.uses_view), prevent_initial_call=True)(
        _redraw(_parts, _spec.datasets, _spec.uses_view))

# KPI tiles drawn from the same datasets (and following the view or not) share one callback (one
# request per publish, not one per tile); a tile that follows the view redraws its scope with it
_kpi_groups: dict[tuple, list[str]] = defaultdict(list)
for _name, _spec in KPIS.items():
    _kpi_groups[(_spec.datasets, _spec.uses_view)].append(_name)
for (_datasets, _uses_view), _names in _kpi_groups.items():
    _outputs, _parts = [], []
    for _name in _names:
        _outputs.append(Output(IDS["kpi"][_name], "html"))
        _parts.append(("kpi", _name))
        if f"kpi-{_name}" in IDS["scope"]:
            _outputs.append(Output(IDS["scope"][f"kpi-{_name}"], "html"))
            _parts.append(("scope", f"kpi-{_name}"))
    callback(*_outputs, *_inputs(_datasets, _uses_view), prevent_initial_call=True)(
        _redraw(_parts, _datasets, _uses_view))


# the page's data-cw-version (the drawn flag's value, assets/drawn.js) follows a new version once every
# redraw it set off has answered: Dash holds a callback while a callback upstream of its inputs is pending
clientside_callback(
    ClientsideFunction("citywall", "drawnVersion"),
    Output(IDS["root"], "data-cw-version"),
    Input(IDS["versions"], "data"), *[Input(*panel_output(name)) for name in PANELS],
    *[Input(IDS["kpi"][name], "html") for name in KPIS], State(IDS["ack"], "data"),
    prevent_initial_call=True,
)


# ---- views, navigation, the browser side -----------------------------------------------------------

clientside_callback(
    ClientsideFunction("citywall", "rotate"),
    Output(IDS["view"], "data"),
    Input(IDS["rotate"], "n_intervals"), State(IDS["view"], "data"), State(IDS["config"], "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("citywall", "viewLabel"),
    Output(IDS["view_label"], "children"),
    Input(IDS["view"], "data"), State(IDS["config"], "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("citywall", "mount"),
    Output(IDS["mount"], "children"),
    Input(IDS["config"], "data"),
)

_POINT_GRAPHS = ("map", "hour_weekday", "category_district")  # the HTML panels' rows carry data-href
clientside_callback(
    ClientsideFunction("citywall", "navigate"),
    Output(IDS["nav"], "data"),
    [Input(IDS["graph"][g], "clickData") for g in _POINT_GRAPHS],
    prevent_initial_call=True,
)


# ---- cache warming ------------------------------------------------------------------------------------

HOLD_SECONDS = 10.0
_WARMED: dict[int, dict[str, int]] = {}  # runtime generation → versions the cache holds the city view of
WARMING = threading.Event()  # cleared: the warmer idles and every version is announced at once (tests)
WARMING.set()


def warm(store, ctx=None) -> dict[str, int]:
    """Render every part of the default view and the default page (``/wall`` without parameters) into
    the caches, so the first wall to load after a publish finds them built; → the versions drawn."""
    versions = warm_parts(store, ctx)
    wall_page.layout()
    return versions


def _warm_loop(period: float = 0.5) -> None:
    """After each publish, render the city view once into the per-version cache, before the poll
    announces the new version (see announced_versions). Between publishes it reads only the versions."""
    seen = None
    while True:
        try:
            rt = runtime.current()
            versions = (rt.generation, rt.store.versions())
            if not WARMING.is_set():
                _WARMED.clear()
                seen = None
            elif versions != seen:
                _WARMED[rt.generation] = warm(rt.store)
                seen = versions
                from callbacks import drill_warm  # then the drill-down pages' arrays and default pages

                drill_warm.warm(rt.store)
        except Exception:  # no runtime yet, or a store hiccup: the callbacks render on demand anyway
            log.debug("wall cache warm-up skipped", exc_info=True)
        time.sleep(period)


_warmer: threading.Thread | None = None


def start_warmer() -> threading.Thread:
    """This process's one warmer thread, started by the command that serves pages (dashboard/serving.py),
    never by an import; a second call finds it running."""
    global _warmer
    if _warmer is None or not _warmer.is_alive():
        _warmer = threading.Thread(target=_warm_loop, name="citywall-wall-warmer", daemon=True)
        _warmer.start()
    return _warmer
