"""The wall (大屏) at ``/`` and ``/wall``: one fixed design canvas that wall.js scales to the window.

URL parameters: ``kiosk=1`` (no controls, no cursor), ``rotate=SECONDS`` (cycle the playlist of
views), ``view=city|district:<region_id>`` (reopen a view), ``scale=fit|fill-width|stretch``.

The page draws every panel from its view model (:mod:`dashboard.wall_view`: every part already
rendered from the frame store), so the first paint needs no callback round trip; the version stores
start at the versions drawn. After that callbacks/wall.py polls the versions and redraws only the
panels whose datasets changed. Every panel is described once in :data:`layouts.wall_panels.PANELS`;
指挥调度 shares the box of 省级目标指标 in turn (``#wall-faces``, assets/wall-faces.js).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import dash
from dash import dcc, html

from dashboard import first_page, pages, wall_view
from dashboard.selections import parse_view
from dashboard.wall_view import WallView, map_key, poll_signature, shown_freshness
from layouts import components as cx
from layouts import links
from layouts import markup
from layouts.wall_canvas import view_label
from layouts.wall_ids import DATASETS, IDS, VERSIONED
from layouts.wall_panels import KPIS, PANELS, map_list_width, plot_size

_PAGES: OrderedDict = OrderedDict()  # a page per (query, versions, badges and header text, day)
_PAGES_SIZE = 32
_PAGES_LOCK = threading.Lock()


def layout(**query) -> html.Div:
    """The wall page for a URL's parameters. Every wall asking for the same view of the same data
    shares one page: a reload or a second screen costs a few status reads."""
    request = wall_view.wall_request(query)
    with _PAGES_LOCK:
        if request.key in _PAGES:
            _PAGES.move_to_end(request.key)
            return _PAGES[request.key]
    page = first_page.share(wall_page(wall_view.wall_view(request)))
    with _PAGES_LOCK:
        _PAGES[request.key] = page
        while len(_PAGES) > _PAGES_SIZE:
            _PAGES.popitem(last=False)
    return page


def wall_page(view_model: WallView) -> html.Div:
    """The page: the header, every panel of the view model, the stores the callbacks start from."""
    request, parts, geo, versions = view_model.request, view_model.parts, view_model.geo, view_model.versions
    fresh, view, mode, kiosk, rotate_s = request.fresh, request.view, request.mode, request.kiosk, request.rotate_s
    s, text_scale = geo["s"], view_model.text_scale

    def scope(name, className="cw-scope"):
        """The title bar's scope: a block redrawn with the view, or the fixed '全市 · …'."""
        if name in IDS["scope"]:
            return markup.html_block(parts["scope", name], id=IDS["scope"][name], tag="span", className=className)
        return parts["scope_text", name]

    def panel(name, body, className="", subtitle=None):
        spec = PANELS[name]
        return cx.panel(spec.title, body, name=name, datasets=spec.datasets, box=geo[spec.slot or name],
                        href=links.in_view(spec.href, parse_view(view)),
                        tooltip=spec.tooltip, fresh=fresh, className=className,
                        subtitle=scope(name) if subtitle is None else subtitle)

    def caption(name, className="cw-caption"):
        return markup.html_block(parts["caption", name], id=IDS["caption"][name], className=className)

    def graph_panel(name, points=False, className=""):
        graph = cx.graph(IDS["graph"][name], parts["panel", name], points=points)
        return panel(name, [graph, caption(name)] if PANELS[name].caption else graph, className)

    def html_panel(name):
        return panel(name, markup.html_block(parts["panel", name], id=IDS["body"][name],
                                             className="cw-html-body"))

    _, map_h = plot_size(geo["map"], s, text_scale)
    map_figure = parts["panel", "map"]
    tiles = [cx.kpi_tile(spec.title, parts["kpi", name], name=f"kpi-{name}", datasets=spec.datasets,
                         body_id=IDS["kpi"][name], box=geo["kpi"][name], href=links.in_view(spec.href, parse_view(view)),
                         fresh=fresh,
                         scope=scope(f"kpi-{name}", "cw-kpi-scope") if spec.uses_view else None)
             for name, spec in KPIS.items()]
    canvas_children = [
        cx.header(view_model.city_name, updated=request.updated, view_label=view_label(view, view_model.districts),
                  toolbar=cx.toolbar(mode), box=geo["header"]),
        html_panel("sharing"), html_panel("ranking"), graph_panel("exchange"),
        *tiles,
        panel("map", html.Div([
            cx.graph(IDS["graph"]["map"], map_figure, points=True),
            caption("map", "cw-map-legend"),
            markup.html_block(parts["extra", "districts"], id=IDS["districts"], className="cw-districts",
                              style={"width": f"{map_list_width(s)}px", "height": f"{map_h}px"}),
        ], className="cw-map-wrap"), className="cw-panel--map"),
        html_panel("cloud"), html_panel("migration"), graph_panel("burnup"),
        graph_panel("hour_weekday", points=True), graph_panel("category_district", points=True),
        panel("ticker", html.Div(html.Div(markup.html_block(parts["panel", "ticker"], id=IDS["ticker"],
                                                            className="cw-ticker-list", tag="ul"),
                                          className="cw-ticker-track"), className="cw-ticker")),
        # 省级目标指标 and 指挥调度 take turns in one box (assets/wall-faces.js): the targets first
        html.Div([html_panel("targets"), html_panel("command")], id=IDS["faces"], className="cw-faces"),
    ]
    state = [
        dcc.Store(id=IDS["config"], data=view_model.config),
        dcc.Store(id=IDS["versions"], data=versions),
        *[dcc.Store(id=IDS["version"][ds], data=versions[ds]) for ds in VERSIONED],
        dcc.Store(id=IDS["fresh"], data=fresh),
        dcc.Store(id=IDS["poll"], data={"n": 0, "t": 0}),
        dcc.Store(id=IDS["ack"], data={"n": 0, "v": poll_signature(versions),
                                       "f": poll_signature(shown_freshness(fresh)), "u": poll_signature(request.updated)}),
        dcc.Store(id=IDS["view"], data=view),
        dcc.Store(id=IDS["map_key"], data=map_key(map_figure, view)),
        dcc.Store(id=IDS["nav"], data=None),
        dcc.Interval(id=IDS["tick"], interval=view_model.refresh_ms),
        dcc.Interval(id=IDS["rotate"], interval=max(rotate_s, 1) * 1000, disabled=not rotate_s),
        html.Div(id=IDS["mount"], hidden=True),
    ]
    classes = "cw-wall" + (" is-kiosk" if kiosk else "")
    # a text scale over 1 drops secondary items (assets/wall.css .is-text-large): fewer, bigger ones
    large = " is-text-large" if text_scale > 1 else ""
    return html.Div([*state, html.Div(canvas_children, id=IDS["canvas"], className="cw-canvas" + large, style={
        "width": f"{geo['canvas'][0]}px", "height": f"{geo['canvas'][1]}px", "--s": f"{s:.4f}",
        "--ts": f"{text_scale:g}"})],
        # data-cw-version: the datasets' versions drawn, the value of assets/drawn.js's "all panels drawn"
        # flag (and of a capture's data version, dashboard/export_jobs.py): the feeds are not data of the store
        id=IDS["root"], className=classes,
        **{"data-mode": mode, "data-cw-version": poll_signature({ds: versions[ds] for ds in DATASETS})})


# registered once the Dash app exists: dashboard/app.py imports this module (dashboard/pages.py)
dash.register_page(__name__, path="/wall", name="大屏", title=wall_view.wall_title, layout=layout, order=0,
                   page_kind=pages.WALL, permission="view_wall")
dash.register_page("layouts.wall_home", path="/", name="首页", title=wall_view.wall_title, layout=layout, order=1,
                   page_kind=pages.WALL, permission="view_wall")
