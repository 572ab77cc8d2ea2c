"""The wall (大屏) at ``/`` and ``/wall``: one fixed design canvas that wall.js scales to the window.

URL parameters: ``kiosk=1`` (no controls, no cursor), ``rotate=SECONDS`` (cycle the playlist of
views), ``view=city|district:<region_id>`` (reopen a view), ``scale=fit|fill-width|stretch``.

The layout draws every panel straight from the frame store, so the first paint needs no callback
round trip; the version stores start at the versions drawn. After that callbacks/wall.py polls the
versions and redraws only the panels whose datasets changed. Every panel is described once in
:data:`layouts.wall_panels.PANELS` (datasets, drill-down, renderer, scope); the layout and the
callbacks both render through :func:`render`, which caches by dataset versions (and the view, for
the panels that follow it) so many walls cost one build per publish.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import date

import dash
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import first_page, runtime
from dashboard.freshness import freshness
from layouts import components as cx
from layouts import figures as fg
from layouts import markup
from layouts import wall_params
from layouts.wall_panels import (EXTRA_RENDERS, KPIS, PANELS, Ctx, district_names, map_list_width, plot_size,
                                 scope_names, scope_text, spec_of)

log = logging.getLogger("citywall.wall")
#: the datasets the wall draws from (the header's oldest age is over these)
DATASETS = ("departments", "regions", "catalog", "exchange", "systems", "incidents", "targets")

#: the KPI tiles' shares of the row: 今日事件's sub-lines (全部未办结 999,999) are the longest text
KPI_WEIGHTS = {"sharing": 0.97, "aggregation": 0.97, "cloud": 0.97, "today": 1.15, "closure": 0.97, "targets": 0.97}

IDS = {
    "root": "wall-root", "canvas": "wall-canvas", "config": "wall-config", "mount": "wall-mount",
    "tick": "wall-tick",  # dcc.Interval: the refresh poll (settings.app.refresh_seconds)
    "poll": "wall-poll",  # the gated poll request {n, t} (clientside gate → server poll)
    "ack": "wall-ack",  # the poll's answer {n, v, f, u}: the gate opens again when ack.n == poll.n; v, f, u: signatures
    "versions": "wall-versions",  # {dataset: version} the browser has drawn
    "version": {ds: f"wall-v-{ds}" for ds in DATASETS},  # one store per dataset: panels' Inputs
    "fresh": "wall-fresh",  # {dataset: {b: badge, r: reason, a: age}} for stale datasets only
    "updated": cx.UPDATED, "view": "wall-view", "rotate": "wall-rotate", "view_label": cx.VIEW_LABEL,
    "nav": "wall-nav", "clock_time": cx.CLOCK_TIME, "clock_date": cx.CLOCK_DATE,
    "panel": cx.PANEL, "badge": cx.BADGE,  # pattern-matching id types {"type", "name", "ds"}
    # Plotly graphs where a panel needs axes or a map; the lighter panels are HTML (layouts/meters.py)
    "graph": {name: f"wall-g-{name}" for name in ("exchange", "map", "burnup", "hour_weekday", "category_district")},
    "body": {name: f"wall-b-{name}" for name in ("sharing", "ranking", "cloud", "migration", "targets")},
    # the HTML keys, headlines and colour scales over the graphs (layouts/captions.py)
    "caption": {name: f"wall-c-{name}" for name in ("exchange", "map", "burnup", "hour_weekday")},
    "kpi": {name: f"wall-kpi-{name}" for name in ("sharing", "aggregation", "cloud", "today", "closure", "targets")},
    "ticker": "wall-ticker-list", "districts": "wall-district-list",
    "map_key": "wall-map-key",  # the shape of the map figure the browser holds (view and trace types)
    # the scope (全市 or the district in view) in the title bar of each panel and tile that follows the view
    "scope": {name: f"wall-s-{name}" for name in ("map", "hour_weekday", "category_district", "ticker",
                                                  "kpi-today", "kpi-closure")},
}


# ---- geometry --------------------------------------------------------------------------------------

def wall_geometry(canvas: tuple[int, int] = (1920, 1080), text_scale: float = 1.0) -> dict:
    """Every element's box (x, y, w, h) in canvas px, and the scale ``s``.

    Designed on 1920×1080 (s = 1); a 3840×2160 canvas doubles every size; a wider canvas
    (7680×2160) keeps the side columns and the bottom row's proportions and widens the centre.
    A bigger ``text_scale`` (city.text_scale) makes the KPI tiles taller (their lines of text) and
    the map lower.
    """
    W, H = int(canvas[0]), int(canvas[1])
    s = min(W / 1920, H / 1080)
    m, g = 14 * s, 12 * s
    header_h, bottom_h, kpi_h = 84 * s, 300 * s, 128 * s * text_scale
    top = header_h + 6 * s
    main_h = H - top - g - bottom_h - m
    side_w = min(456 * s, 0.3 * W)
    centre_x = m + side_w + g
    right_x = W - m - side_w
    centre_w = right_x - g - centre_x

    def column(x):
        h1, h2 = main_h * 196 / 662, main_h * 262 / 662
        return [(x, top, side_w, h1), (x, top + h1 + g, side_w, h2), (x, top + h1 + h2 + 2 * g, side_w, main_h - h1 - h2 - 2 * g)]

    sharing, ranking, exchange = column(m)
    cloud, migration, burnup = column(right_x)
    tiles = {}
    tile_gap = 10 * s
    unit_w = (centre_w - 5 * tile_gap) / sum(KPI_WEIGHTS.values())
    x = centre_x
    for name in IDS["kpi"]:
        tiles[name] = (x, top, unit_w * KPI_WEIGHTS[name], kpi_h)
        x += unit_w * KPI_WEIGHTS[name] + tile_gap
    bottom_y = H - m - bottom_h
    avail = W - 2 * m - 3 * g
    shares = (410, 420, 376, 650)
    widths = [avail * w / sum(shares) for w in shares]
    xs = [m]
    for w in widths[:-1]:
        xs.append(xs[-1] + w + g)
    boxes = {
        "header": (0, 0, W, header_h), "sharing": sharing, "ranking": ranking, "exchange": exchange,
        "map": (centre_x, top + kpi_h + g, centre_w, main_h - kpi_h - g),
        "cloud": cloud, "migration": migration, "burnup": burnup,
        "hour_weekday": (xs[0], bottom_y, widths[0], bottom_h),
        "category_district": (xs[1], bottom_y, widths[1], bottom_h),
        "ticker": (xs[2], bottom_y, widths[2], bottom_h),
        "targets": (xs[3], bottom_y, widths[3], bottom_h),
    }
    out = {k: tuple(int(round(v)) for v in b) for k, b in boxes.items()}
    out["kpi"] = {k: tuple(int(round(v)) for v in b) for k, b in tiles.items()}
    out["s"] = s
    out["canvas"] = (W, H)
    return out


# ---- views (playlist) -------------------------------------------------------------------------------

def playlist_views(playlist: list[str], districts: dict[str, str]) -> list[dict]:
    """Expand the configured playlist into views: 'city', 'district:<id>', 'districts' (each district)."""
    views: list[dict] = []
    for entry in playlist or ["city"]:
        entry = str(entry).strip()
        if entry == "city":
            views.append({"id": "city", "label": "全市"})
        elif entry == "districts":
            views.extend({"id": f"district:{rid}", "label": name} for rid, name in districts.items())
        elif entry.startswith("district:") and entry.split(":", 1)[1] in districts:
            rid = entry.split(":", 1)[1]
            views.append({"id": f"district:{rid}", "label": districts[rid]})
    return views or [{"id": "city", "label": "全市"}]


def view_label(view: str | None, districts: dict[str, str]) -> str:
    rid = fg.parse_view(view)
    return f"当前视图：{districts.get(rid, '全市') if rid else '全市'}"


def valid_view(view: str | None, districts: dict[str, str]) -> str:
    rid = fg.parse_view(view)
    return f"district:{rid}" if rid in districts else "city"


# ---- data --------------------------------------------------------------------------------------------

class Frames:
    """The snapshots one render reads, each read once (a snapshot is a whole publish, never half)."""

    def __init__(self, store, datasets) -> None:
        self.snaps = {ds: store.snapshot(ds) for ds in datasets}

    def version(self, ds: str) -> int:
        snap = self.snaps.get(ds)
        return snap.version if snap is not None else 0

    def frame(self, ds: str, name: str):
        snap = self.snaps.get(ds)
        return None if snap is None else snap.frames.get(name)


def freshness_map(settings, statuses: dict, datasets=DATASETS, now: float | None = None) -> dict:
    """{dataset: {"b": badge, "r": reason, "a": age seconds}} for the stale datasets only."""
    from dashboard.store import DatasetStatus

    now = now or time.time()
    out = {}
    for ds in datasets:
        f = freshness(settings, statuses.get(ds) or DatasetStatus(ds), now)
        if f.stale:
            out[ds] = {"b": f.badge, "r": f.reason, "a": None if f.age_seconds is None else int(f.age_seconds)}
    return out


def header_updated(statuses: dict, fresh: dict, datasets=DATASETS, now: float | None = None) -> list:
    now = now or time.time()
    published = [statuses[ds].published_at if ds in statuses else None for ds in datasets]
    ages = [statuses[ds].age_seconds(now) if ds in statuses else None for ds in datasets]
    return cx.updated_text(published, ages, bool(fresh))


# ---- panels (layouts/wall_panels.py) --------------------------------------------------------------------

def panel_output(name: str) -> tuple[str, str]:
    """The (component id, property) a panel's render fills."""
    if name in IDS["graph"]:
        return IDS["graph"][name], "figure"
    if name in IDS["body"]:
        return IDS["body"][name], "html"
    return IDS["ticker"], "html"


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


def _context(view: str = "city") -> Ctx:
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


def warm(store, ctx: Ctx | None = None) -> dict[str, int]:
    """Render every panel of the default view and the default page (``/wall`` without parameters)
    into the caches; returns the dataset versions drawn."""
    ctx = ctx or _context("city")
    frames = Frames(store, DATASETS)
    for name, spec in PANELS.items():
        render("panel", name, frames, ctx)
        if spec.caption:
            render("caption", name, frames, ctx)
    for name in KPIS:
        render("kpi", name, frames, ctx)
    for name in EXTRA_RENDERS:
        render("extra", name, frames, ctx)
    for name in scope_names():
        render("scope", name, frames, ctx)
    layout()  # and the default page itself, so the first wall to load after a publish finds it built
    return {ds: frames.version(ds) for ds in DATASETS}


# ---- the page -----------------------------------------------------------------------------------------

_PAGES: OrderedDict = OrderedDict()  # a page per (query, versions, badges and header text, day)
_PAGES_SIZE = 32


def layout(**query) -> html.Div:
    """The wall page for a URL's parameters (checked by layouts/wall_params.py). Every wall asking for
    the same view of the same data shares one page: a reload or a second screen costs a few status reads."""
    rt = runtime.current()
    settings = rt.settings
    districts = district_names(geography_of(rt))
    views = playlist_views(settings.wall.playlist, districts)
    params = wall_params.parse(query, districts=districts, default_rotate=settings.wall.rotate_seconds,
                               default_scale=settings.city.scale_mode)
    rotate_s, kiosk, notices = params.rotate, params.kiosk, params.notices
    if rotate_s and len(views) < 2:  # rotation asked for, but the playlist is one view: the city, then each district
        views = playlist_views(["city", "districts"], districts)
    rotate_s = rotate_s if len(views) > 1 else 0
    view = valid_view(params.view or (views[0]["id"] if rotate_s else "city"), districts)
    mode = params.scale

    statuses = rt.store.statuses()
    now = time.time()
    fresh = freshness_map(settings, statuses, DATASETS, now)
    updated = header_updated(statuses, fresh, DATASETS, now)
    key = (rt.generation, kiosk, rotate_s, view, mode, notices,
           tuple(statuses[ds].version if ds in statuses else 0 for ds in DATASETS),
           poll_signature(shown_freshness(fresh), updated), date.today())
    with _CACHE_LOCK:
        if key in _PAGES:
            _PAGES.move_to_end(key)
            return _PAGES[key]
    # the page records the versions it draws (a publish since the statuses were read is drawn, not lost)
    page = first_page.share(wall_page(Frames(rt.store, DATASETS), fresh, updated, kiosk=kiosk,
                                      rotate_s=rotate_s, views=views, view=view, mode=mode, notices=notices))
    with _CACHE_LOCK:
        _PAGES[key] = page
        while len(_PAGES) > _PAGES_SIZE:
            _PAGES.popitem(last=False)
    return page


def wall_page(frames: Frames, fresh: dict, updated: list, *, kiosk: bool, rotate_s: int, views: list[dict],
              view: str, mode: str, notices: tuple[str, ...] = ()) -> html.Div:
    """The page: the header, every panel drawn from ``frames``, the stores the callbacks start from."""
    rt = runtime.current()
    settings = rt.settings
    geo = wall_geometry(settings.city.canvas, settings.city.text_scale)
    s = geo["s"]
    geography = geography_of(rt)
    districts = district_names(geography)
    ctx = Ctx(geo, settings, geography, view, date.today())
    versions = {ds: frames.version(ds) for ds in DATASETS}

    def scope(name, className="cw-scope"):
        """The title bar's scope: a block redrawn with the view, or the fixed '全市 · …'."""
        if name in IDS["scope"]:
            return markup.html_block(render("scope", name, frames, ctx), id=IDS["scope"][name], tag="span",
                                     className=className)
        return scope_text(spec_of("scope", name), ctx)[0]

    def panel(name, body, className="", subtitle=None):
        spec = PANELS[name]
        return cx.panel(spec.title, body, name=name, datasets=spec.datasets, box=geo[name], href=spec.href,
                        tooltip=spec.tooltip, fresh=fresh, className=className,
                        subtitle=scope(name) if subtitle is None else subtitle)

    def caption(name, className="cw-caption"):
        return markup.html_block(render("caption", name, frames, ctx), id=IDS["caption"][name], className=className)

    def graph_panel(name, points=False, className=""):
        graph = cx.graph(IDS["graph"][name], render("panel", name, frames, ctx), points=points)
        return panel(name, [graph, caption(name)] if PANELS[name].caption else graph, className)

    def html_panel(name):
        return panel(name, markup.html_block(render("panel", name, frames, ctx), id=IDS["body"][name],
                                             className="cw-html-body"))

    _, map_h = plot_size(geo["map"], s, settings.city.text_scale)
    map_figure = render("panel", "map", frames, ctx)
    tiles = [cx.kpi_tile(spec.title, render("kpi", name, frames, ctx), name=f"kpi-{name}", datasets=spec.datasets,
                         body_id=IDS["kpi"][name], box=geo["kpi"][name], href=spec.href, fresh=fresh,
                         scope=scope(f"kpi-{name}", "cw-kpi-scope") if spec.uses_view else None)
             for name, spec in KPIS.items()]
    canvas_children = [
        cx.header(settings.city.name, updated=updated,
                  view_label=view_label(view, districts), toolbar=cx.toolbar(mode), box=geo["header"]),
        html_panel("sharing"), html_panel("ranking"), graph_panel("exchange"),
        *tiles,
        panel("map", html.Div([
            cx.graph(IDS["graph"]["map"], map_figure, points=True),
            caption("map", "cw-map-legend"),
            markup.html_block(render("extra", "districts", frames, ctx), id=IDS["districts"], className="cw-districts",
                              style={"width": f"{map_list_width(s)}px", "height": f"{map_h}px"}),
        ], className="cw-map-wrap"), className="cw-panel--map"),
        html_panel("cloud"), html_panel("migration"), graph_panel("burnup"),
        graph_panel("hour_weekday", points=True), graph_panel("category_district", points=True),
        panel("ticker", html.Div(html.Div(markup.html_block(render("panel", "ticker", frames, ctx), id=IDS["ticker"],
                                                            className="cw-ticker-list", tag="ul"),
                                          className="cw-ticker-track"), className="cw-ticker")),
        html_panel("targets"),
    ]
    config = {"canvas": list(geo["canvas"]), "mode": mode, "kiosk": kiosk, "rotate": rotate_s, "views": views,
              "nightly": settings.app.nightly_reload, "refresh": settings.app.refresh_seconds,
              "notices": list(notices), "districts": sorted(districts)}  # wall.js re-checks the URL with these
    poll_ms = settings.app.refresh_seconds * 1000
    state = [
        dcc.Store(id=IDS["config"], data=config),
        dcc.Store(id=IDS["versions"], data=versions),
        *[dcc.Store(id=IDS["version"][ds], data=versions[ds]) for ds in DATASETS],
        dcc.Store(id=IDS["fresh"], data=fresh),
        dcc.Store(id=IDS["poll"], data={"n": 0, "t": 0}),
        dcc.Store(id=IDS["ack"], data={"n": 0, "v": poll_signature(versions),
                                       "f": poll_signature(shown_freshness(fresh)), "u": poll_signature(updated)}),
        dcc.Store(id=IDS["view"], data=view),
        dcc.Store(id=IDS["map_key"], data=map_key(map_figure, view)),
        dcc.Store(id=IDS["nav"], data=None),
        dcc.Interval(id=IDS["tick"], interval=poll_ms),
        dcc.Interval(id=IDS["rotate"], interval=max(rotate_s, 1) * 1000, disabled=not rotate_s),
        html.Div(id=IDS["mount"], hidden=True),
    ]
    classes = "cw-wall" + (" is-kiosk" if kiosk else "")
    # a text scale over 1 drops secondary items (assets/wall.css .is-text-large): fewer, bigger ones
    large = " is-text-large" if settings.city.text_scale > 1 else ""
    return html.Div([*state, html.Div(canvas_children, id=IDS["canvas"], className="cw-canvas" + large, style={
        "width": f"{geo['canvas'][0]}px", "height": f"{geo['canvas'][1]}px", "--s": f"{s:.4f}",
        "--ts": f"{settings.city.text_scale:g}"})],
        id=IDS["root"], className=classes, **{"data-mode": mode})


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


def _title(**_kwargs) -> str:
    try:
        return f"{runtime.current().settings.city.name} 智慧城市运行指挥中心"
    except RuntimeError:
        return "智慧城市运行指挥中心"


def register_pages(app=None) -> None:
    """Register the pages now, or (as a dash.hooks.setup hook) while a Dash app is being created."""
    token = None
    if app is not None:  # inside Dash.__init__: dash.get_app() does not answer yet, so give it the app
        from dash import _get_app

        token = _get_app.app_context.set(app)
    try:
        dash.register_page("layouts.wall", path="/wall", name="大屏", title=_title, layout=layout, order=0)
        dash.register_page("layouts.wall_home", path="/", name="首页", title=_title, layout=layout, order=1)
    finally:
        if token is not None:
            _get_app.app_context.reset(token)


try:
    register_pages()
except dash.exceptions.PageError:  # imported before any Dash app exists (a benchmark, a test): register with the app
    dash.hooks.setup()(register_pages)
