"""The wall's view model: everything its page draws, read from the frame store and settings here, so
that layouts/wall.py only builds components and callbacks/wall.py only asks for new parts.

:func:`render` draws one part (a panel's figure or markup, a caption, a KPI tile, a scope) and caches
it by the versions of the datasets it reads (and the view, for the parts that follow it), so many
walls cost one build per publish. :func:`wall_request` reads what a page depends on (cheap: the
datasets' statuses), :func:`wall_view` every part of that page.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from dash.development.base_component import Component

from dashboard import command_feed, runtime
from dashboard.freshness import freshness
from dashboard.permissions import has_permission
from layouts import components as cx
from layouts import markup
from layouts import wall_params
from layouts.wall_canvas import FACE_SECONDS, playlist_views, valid_view, wall_geometry
from layouts.wall_ids import DATASETS, FEEDS, VERSIONED
from layouts.wall_panels import EXTRA_RENDERS, KPIS, PANELS, Ctx, district_names, scope_names, scope_text, spec_of

log = logging.getLogger("citywall.wall")


# ---- data --------------------------------------------------------------------------------------------

class Frames:
    """The snapshots one render reads, each read once (a snapshot is a whole publish, never half); a
    feed's (layouts/wall_ids.py FEEDS) from its cache (dashboard/command_feed.py), never the database."""

    def __init__(self, store, datasets) -> None:
        self.snaps = {ds: command_feed.current_snapshot() if ds in FEEDS else store.snapshot(ds) for ds in datasets}

    def version(self, ds: str) -> int:
        snap = self.snaps.get(ds)
        return snap.version if snap is not None else 0

    def frame(self, ds: str, name: str):
        snap = self.snaps.get(ds)
        return None if snap is None else snap.frames.get(name)


def freshness_map(settings, statuses: dict, datasets=DATASETS, now: float | None = None, details: bool = False) -> dict:
    """{dataset: {"b": badge, "r": reason, "a": age seconds}} for the stale datasets only; a failed
    source's error only with ``details`` (the caller holds view_raw_rows)."""
    from dashboard.store import DatasetStatus

    now = now or time.time()
    out = {}
    for ds in datasets:
        f = freshness(settings, statuses.get(ds) or DatasetStatus(ds), now)
        if f.stale:
            out[ds] = {"b": f.badge, "r": f.shown_reason(details), "a": None if f.age_seconds is None else int(f.age_seconds)}
    return out


def wall_freshness(settings, statuses: dict, now: float | None = None, details: bool = False) -> dict:
    """The stale map of everything the wall shows: its datasets and its feeds (a failing read of the
    instructions, dashboard/command_feed.py)."""
    return {**freshness_map(settings, statuses, DATASETS, now, details), **command_feed.current_freshness(details)}


def header_updated(statuses: dict, fresh: dict, datasets=DATASETS, now: float | None = None) -> list:
    now = now or time.time()
    published = [statuses[ds].published_at if ds in statuses else None for ds in datasets]
    ages = [statuses[ds].age_seconds(now) if ds in statuses else None for ds in datasets]
    return cx.updated_text(published, ages, bool(fresh))



# ---- render with a cache keyed by dataset versions ---------------------------------------------------

_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256


def geography_of(rt):
    """The city's geography, or an empty one when its GeoJSON cannot be read (the map then says so;
    the rest of the wall still draws)."""
    try:
        return rt.geography
    except Exception:  # a bad path or file in [city.geo]: logged once per call, never a blank wall
        log.exception("城市地理数据无法加载，一张图显示为暂无地图数据")
        from dashboard.geo import Geography

        return Geography()


def context(view: str = "city") -> Ctx:
    rt = runtime.current()
    city = rt.settings.city
    return Ctx(wall_geometry(city.canvas, city.text_scale), rt.settings, geography_of(rt), view, date.today())


_IN_FLIGHT: dict[tuple, threading.Event] = {}


def render(kind: str, name: str, frames: Frames, ctx: Ctx):
    """A panel's figure (as a plain dict) or its markup (components rendered by layouts.markup),
    built once per (datasets' versions, view, canvas, day) and shared by every wall; a second caller
    of a render in progress waits for it."""
    spec = spec_of(kind, name)
    if kind == "scope":
        fn = (lambda _frames, c: scope_text(spec, c)) if spec else None
    else:
        fn = (spec.caption if kind == "caption" else spec.render) if spec else EXTRA_RENDERS[name]
    if fn is None:
        raise KeyError(f"panel {name!r} has no {kind}")
    datasets = spec.datasets if spec else ("incidents",)
    uses_view = spec.uses_view if spec else True
    key = (kind, name, tuple(frames.version(ds) for ds in datasets), ctx.view if uses_view else "",
           ctx.geo["canvas"], ctx.today, runtime.current().generation)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        running = _IN_FLIGHT.get(key)
        if running is None:
            _IN_FLIGHT[key] = threading.Event()
    if running is not None:
        running.wait(10)
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        return _build(key, fn, frames, ctx, owner=False)
    return _build(key, fn, frames, ctx, owner=True)


def _build(key, fn, frames: Frames, ctx: Ctx, owner: bool):
    try:
        out = fn(frames, ctx)
        if isinstance(out, (Component, list)):  # an HTML panel: cached as its markup
            out = markup.to_html(out)
        elif hasattr(out, "to_plotly_json"):  # a figure: cached as a plain dict
            out = out.to_plotly_json()
        with _CACHE_LOCK:
            out = _CACHE.setdefault(key, out)  # a concurrent build of the same key keeps the first
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return out
    finally:
        if owner:
            with _CACHE_LOCK:
                done = _IN_FLIGHT.pop(key, None)
            if done is not None:
                done.set()



def warm_parts(store, ctx: Ctx | None = None) -> dict[str, int]:
    """Render every part of the default view into the cache; returns the dataset versions drawn."""
    ctx = ctx or context("city")
    frames = Frames(store, VERSIONED)
    page_parts(frames, ctx)
    return {ds: frames.version(ds) for ds in DATASETS}


def page_parts(frames: Frames, ctx: Ctx) -> dict[tuple[str, str], object]:
    """Every part a wall page draws, {(kind, name): figure dict or markup}; a panel's fixed scope
    (the title bar's "全市") as ("scope_text", name)."""
    parts: dict[tuple[str, str], object] = {}
    for name, spec in PANELS.items():
        parts["panel", name] = render("panel", name, frames, ctx)
        if spec.caption:
            parts["caption", name] = render("caption", name, frames, ctx)
    for name in KPIS:
        parts["kpi", name] = render("kpi", name, frames, ctx)
    for name in EXTRA_RENDERS:
        parts["extra", name] = render("extra", name, frames, ctx)
    for name in scope_names():
        parts["scope", name] = render("scope", name, frames, ctx)
    for name in [*PANELS, *(f"kpi-{k}" for k in KPIS)]:
        spec = spec_of("scope", name)
        if spec is not None:
            parts["scope_text", name] = scope_text(spec, ctx)[0]
    return parts


# ---- the page's view model -------------------------------------------------------------------------------

@dataclass(frozen=True)
class WallRequest:
    """What a wall page depends on, read cheaply (settings and the datasets' statuses): requests with
    the same ``key`` get the same page."""
    key: tuple
    kiosk: bool
    rotate_s: int
    views: list
    view: str
    mode: str
    notices: tuple
    fresh: dict
    updated: list


@dataclass(frozen=True)
class WallView:
    """Everything a wall page draws."""
    request: WallRequest
    city_name: str
    geo: dict  # layouts.wall_canvas.wall_geometry
    text_scale: float
    districts: dict  # region_id → name
    versions: dict  # dataset or feed → the version drawn
    parts: dict  # page_parts
    config: dict  # what wall.js starts from
    refresh_ms: int


def wall_request(query: dict) -> WallRequest:
    """The URL's parameters (checked by layouts/wall_params.py) and the data's versions and badges."""
    rt = runtime.current()
    settings = rt.settings
    districts = district_names(geography_of(rt))
    views = playlist_views(settings.wall.playlist, districts)
    params = wall_params.parse(query, districts=districts, default_rotate=settings.wall.rotate_seconds,
                               default_scale=settings.city.scale_mode)
    rotate_s = params.rotate
    if rotate_s and len(views) < 2:  # rotation asked for, but the playlist is one view: the city, then each district
        views = playlist_views(["city", "districts"], districts)
    rotate_s = rotate_s if len(views) > 1 else 0
    view = valid_view(params.view or (views[0]["id"] if rotate_s else "city"), districts)
    statuses = rt.store.statuses()
    now = time.time()
    details = has_permission("view_raw_rows")  # source errors: a page per what the role may see
    fresh = wall_freshness(settings, statuses, now, details)
    updated = header_updated(statuses, fresh, DATASETS, now)
    key = (rt.generation, details, params.kiosk, rotate_s, view, params.scale, params.notices,
           tuple(statuses[ds].version if ds in statuses else 0 for ds in DATASETS),
           command_feed.current_snapshot().version,
           poll_signature(shown_freshness(fresh), updated), date.today())
    return WallRequest(key, params.kiosk, rotate_s, views, view, params.scale, params.notices, fresh, updated)


def wall_view(request: WallRequest) -> WallView:
    """Every part of the page ``request`` names, drawn from one read of the frames (the page records
    the versions it draws: a publish since the statuses were read is drawn, not lost)."""
    rt = runtime.current()
    settings = rt.settings
    geo = wall_geometry(settings.city.canvas, settings.city.text_scale)
    geography = geography_of(rt)
    districts = district_names(geography)
    frames = Frames(rt.store, VERSIONED)
    ctx = Ctx(geo, settings, geography, request.view, date.today())
    config = {"canvas": list(geo["canvas"]), "mode": request.mode, "kiosk": request.kiosk, "rotate": request.rotate_s,
              "views": request.views, "nightly": settings.app.nightly_reload, "timezone": settings.city.timezone, "refresh": settings.app.refresh_seconds,
              "notices": list(request.notices), "districts": sorted(districts),  # wall.js re-checks the URL with these
              "faces": FACE_SECONDS,  # the turns of the panels sharing a box (assets/wall-faces.js)
              "names": districts}  # the view label of a district outside the playlist (a view sent from /console)
    return WallView(request, settings.city.name, geo, settings.city.text_scale, districts,
                    {ds: frames.version(ds) for ds in VERSIONED}, page_parts(frames, ctx), config,
                    settings.app.refresh_seconds * 1000)


def wall_title(**_path_variables) -> str:
    """The browser tab's title of the wall."""
    try:
        return f"{runtime.current().settings.city.name} 智慧城市运行指挥中心"
    except RuntimeError:
        return "智慧城市运行指挥中心"


def shown_freshness(fresh: dict) -> dict:
    """What the wall shows of a freshness map: each stale dataset's badge and reason. Its ages move
    every second, so a signature over the whole map would never settle while anything is stale."""
    return {ds: (info.get("b"), info.get("r")) for ds, info in fresh.items()}


def map_key(figure: dict, view: str) -> str:
    """What the browser's map must match for a Patch (callbacks/wall.py): the view and the traces'
    types in order (one trace per district on the SVG map, so a different district layer gives
    another key)."""
    return f"{view}|" + ",".join(t.get("type", "") for t in figure.get("data", []))


def poll_signature(*parts) -> str:
    """A short hash of what the poll would send (versions; badges and header text), kept in the
    browser's ack so an unchanged tick sends nothing back but the ack."""
    import hashlib

    import orjson

    payload = orjson.dumps(list(parts), default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                           option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=6).hexdigest()

