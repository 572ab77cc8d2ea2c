"""The Dash app factory: the app, then its pages and callbacks (dashboard/pages.py lists them)."""
from __future__ import annotations

import importlib
import os
import logging

import dash
import flask
import orjson
import plotly.io as pio

from dashboard import db, pages, runtime
from dashboard.first_page import layout_json, page_shell
from dashboard.settings import REPO_ROOT, Settings
from dashboard.store import FrameStore, open_store

log = logging.getLogger("citywall.app")

# plotly.js's official cartesian bundle (npm plotly.js-cartesian-dist-min, MIT, same version as the
# plotly package's full bundle). The wall's and the drill-down pages' figures are bars, lines, heatmaps
# and an SVG map of filled scatter traces, so the browser fetches and evaluates 1.5 MB instead of
# 4.8 MB: 100–250 ms of every page load. dcc.Graph uses a ``window.Plotly`` that is already there
# instead of loading the full bundle. The department page draws a sankey: it gets plotly's full bundle
# (dashboard/pages.py DRILL_FULL), and a link between pages of different kinds is a full page load
# (assets/pages.js).
PLOTLY_BUNDLE_VERSION = "4.1.1"
PLOTLY_BUNDLE = f"vendor/plotly-cartesian-{PLOTLY_BUNDLE_VERSION}.min.js"
PLOTLY_BUNDLE_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                                  "histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"})


BOOTSTRAP_CSS = "vendor/bootstrap-5.3.9.min.css"  # npm bootstrap (MIT, licence beside it): drill-down pages only
# the drill-down pages' stylesheets (assets/drill/): shared components first, then each page's own
DRILL_CSS = ("drill/base.css", "drill/incidents.css", "drill/programmes.css", "drill/ops.css", "drill/tasks.css",
             "drill/command-bar.css")


class CityWallDash(dash.Dash):
    """Dash answering ``/_dash-layout`` from :func:`layout_json` (a page shared by many walls is
    serialised once, not once per screen and reload), and an index page with the plotly.js bundle
    and stylesheets of the kind of page its path opens (:func:`dashboard.pages.page_assets`)."""

    cartesian_bundle = True  # False: the figures need the full bundle (a tile server's MapLibre map)

    def serve_layout(self):
        return self.backend.make_response(layout_json(self.get_layout()), mimetype="application/json")

    def interpolate_index(self, **kwargs):
        path = flask.request.path if flask.has_request_context() else "/"
        page_path = self.strip_relative_path(path)
        kind = pages.page_kind(page_path)
        cartesian = f"{self.get_asset_url(PLOTLY_BUNDLE)}?m={PLOTLY_BUNDLE_VERSION}" if self.cartesian_bundle else None
        full = f"{self.get_relative_path(pages.PLOTLY_FULL)}?v={PLOTLY_BUNDLE_VERSION}"
        drill_css = [f"{self.get_asset_url(name)}?m={asset_version(name)}" for name in (BOOTSTRAP_CSS, *DRILL_CSS)]
        script, stylesheets = pages.page_assets(kind, cartesian, drill_css, pages.page_draws_graphs(page_path))
        script = full if script == pages.PLOTLY_FULL else script
        kinds = orjson.dumps({"kind": kind, "pages": pages.kind_patterns()}).decode()
        kwargs["metas"] = (kwargs.get("metas", "") + f'<meta name="citywall-page-kind" content="{kind}">'
                           f'<script id="cw-page-kinds" type="application/json">{kinds}</script>')
        kwargs["css"] = kwargs.get("css", "") + "".join(f'<link rel="stylesheet" href="{u}">' for u in stylesheets)
        # before the renderer and every component: window.Plotly exists before any graph mounts
        if script:
            kwargs["scripts"] = f'<script src="{script}"></script>' + kwargs.get("scripts", "")
        return super().interpolate_index(**kwargs)


def asset_version(name: str) -> int:
    """An asset's modification time, as Dash versions the assets it links itself (``?m=…``)."""
    return int((REPO_ROOT / "assets" / name).stat().st_mtime)


def create_app(settings: Settings, store: FrameStore | None = None, engine=None) -> dash.Dash:
    """Build the Dash app over a frame store; pages and callbacks only read from that store."""
    store = store or open_store(settings.app.store, settings.data_dir)
    engine = engine if engine is not None else db.connect(settings.database_url)
    runtime.install(runtime.Runtime(settings, store, engine))

    app = CityWallDash(
        __name__,
        title=f"{settings.city.name} 智慧城市运行指挥中心",
        use_pages=True,
        pages_folder="",
        assets_folder=str(REPO_ROOT / "assets"),
        # linked per kind of page (CityWallDash.interpolate_index), never on every page
        assets_path_ignore=["vendor", "drill"],
        serve_locally=True,  # command centres run on isolated networks: no CDN
        update_title=None,  # timed refreshes are silent
        suppress_callback_exceptions=False,  # an id no page has fails (dashboard/pages.py)
        background_callback_manager=background_manager(settings),
    )
    if settings.app.broker_url:  # each new job goes to a Celery worker as well as into the queue table
        from dashboard import jobs, worker

        jobs.set_notifier(worker.notifier(settings))
    app.cartesian_bundle = not settings.city.geo.tiles  # a tile server puts the map on MapLibre
    # no dev-tools UI, and never a version check against a remote server
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    shell = lambda: page_shell(app, className="cw-root")  # noqa: E731
    pages.install_validation(app, shell)
    import layouts.theme  # noqa: F401  registers the plotly template once

    for module in pages.PAGE_MODULES + pages.CALLBACK_MODULES:  # pages register themselves when imported
        importlib.import_module(module)
    import callbacks.exports
    import callbacks.ops  # 运维's callbacks go on each app (callbacks/ops.py says why)
    from callbacks import incidents as incident_callbacks, programmes as programme_callbacks
    from dashboard import export_actions, incident_record, not_found, ops_actions  # its Chinese 404 page, for paths that match no page

    callbacks.ops.register(app)
    callbacks.exports.register(app)
    export_actions.install(app.server)  # the archive's downloads
    not_found.install(app)
    ops_actions.install(app.server)  # the quarantine downloads
    incident_callbacks.install(app)  # the incident table's downloads
    incident_record.install(app)  # HTTP 404 for /incident/<id> of an unknown id
    programme_callbacks.install(app)  # the programme tables' downloads
    from dashboard import wall_control_http

    wall_control_http.install(app.server)  # the wall screens' command check (大屏控制)
    from dashboard import auth, auth_gate, security

    security.install(app, settings)  # headers, size limit, Chinese errors
    auth.install(app.server, settings)  # sessions, kiosk tokens, the anonymous role, /login
    auth_gate.install(app, settings)  # every page, route and callback checks its permission

    pio.templates.default = "citywall"
    app.layout = shell
    app.server.after_request(cache_versioned_assets)
    return app


_CALLBACK_CACHES: list = []  # this process's background-callback caches
_INHERITED: list = []  # a forked child's copies of the parent's connections: kept, never used nor closed


def _forget_inherited_cache_connections() -> None:
    """In a forked child (a background callback): set aside the cache's SQLite connection copied from
    the parent, so the child opens its own on first use. SQLite forbids using a connection across fork:
    the parent's open statements lock the cache and the child's writes end in diskcache.Timeout; and
    closing the copy (even by garbage collection) could undo the parent's locks or WAL, so it is kept
    as it is until the child exits. diskcache keeps the connection per thread in ``_local``."""
    import threading

    for cache in _CALLBACK_CACHES:
        _INHERITED.append(cache._local)
        cache._local = threading.local()


def background_manager(settings: Settings):
    """Dash background callbacks (/ops's and /exports's progress watchers) run in a forked process with
    their results in a diskcache folder under the data folder; with a broker (``app.broker_url``) in
    the Celery workers, with their results in Redis (dashboard/worker.py)."""
    if settings.app.broker_url:
        from dashboard import worker

        return dash.CeleryManager(worker.celery_app(settings))
    import diskcache

    if not _CALLBACK_CACHES:
        os.register_at_fork(after_in_child=_forget_inherited_cache_connections)
    cache = diskcache.Cache(str(settings.data_dir / "callback-cache"))
    _CALLBACK_CACHES.append(cache)
    return dash.DiskcacheManager(cache)


def cache_versioned_assets(response):
    """Let the browser keep assets/ files Dash links with their modification time (``?m=…``), and the
    full plotly.js bundle the drill-down pages link with its version (``?v=…``): a changed file gets a
    new URL. Flask would answer them ``no-cache``, so every page load revalidated the
    stylesheet and scripts before it could render: round trips on the wall's critical path."""
    request = flask.request
    versioned = ((request.endpoint or "").endswith(".static") and "m" in request.args) or (
        request.path.endswith(pages.PLOTLY_FULL) and request.args.get("v") == PLOTLY_BUNDLE_VERSION)
    if versioned and response.status_code == 200:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = 31_536_000
        response.cache_control.immutable = True
    return response
