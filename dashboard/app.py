"""The Dash app factory."""
from __future__ import annotations

import logging

import dash
import flask
import plotly.io as pio

from dashboard import db, runtime
from dashboard.first_page import layout_json, page_shell
from dashboard.settings import REPO_ROOT, Settings
from dashboard.store import FrameStore, open_store

log = logging.getLogger("citywall.app")

# plotly.js's official cartesian bundle (npm plotly.js-cartesian-dist-min, MIT, same version as the
# plotly package's full bundle). The wall's figures are scatter and heatmap traces on an SVG map, so
# the browser fetches and evaluates 1.5 MB instead of 4.8 MB: about 100 ms of every wall load.
# dcc.Graph uses a ``window.Plotly`` that is already there instead of loading the full bundle.
PLOTLY_BUNDLE_VERSION = "4.1.1"
PLOTLY_BUNDLE = f"vendor/plotly-cartesian-{PLOTLY_BUNDLE_VERSION}.min.js"
PLOTLY_BUNDLE_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                                  "histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"})


class CityWallDash(dash.Dash):
    """Dash answering ``/_dash-layout`` from :func:`layout_json`: a page shared by many walls is
    serialised once, not once per screen and reload."""

    def serve_layout(self):
        return self.backend.make_response(layout_json(self.get_layout()), mimetype="application/json")


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
        assets_path_ignore=["vendor"],  # linked below only when the figures fit the bundle
        serve_locally=True,  # command centres run on isolated networks: no CDN
        update_title=None,  # timed refreshes are silent
        suppress_callback_exceptions=True,
    )
    # no dev-tools UI, and never a version check against a remote server
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    import layouts.theme  # noqa: F401  registers the plotly template once
    import layouts.status  # noqa: F401  registers its page
    import callbacks.status  # noqa: F401
    import layouts.wall, layouts.drill, callbacks.wall  # noqa: F401,E401  the wall (/ and /wall) and its drill-downs
    from dashboard import not_found  # its Chinese 404 page, for paths that match no page

    not_found.install(app)

    pio.templates.default = "citywall"
    if not settings.city.geo.tiles:  # a tile server puts the map on MapLibre: the full bundle, lazily
        app.config.external_scripts.append(f"{app.get_asset_url(PLOTLY_BUNDLE)}?m={PLOTLY_BUNDLE_VERSION}")
    app.layout = lambda: page_shell(app, className="cw-root")
    app.server.after_request(cache_versioned_assets)
    return app


def cache_versioned_assets(response):
    """Let the browser keep assets/ files Dash links with their modification time (``?m=…``): a changed
    file gets a new URL. Flask would answer them ``no-cache``, so every page load revalidated the
    stylesheet and scripts before it could render: round trips on the wall's critical path."""
    request = flask.request
    if (request.endpoint or "").endswith(".static") and "m" in request.args and response.status_code == 200:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = 31_536_000
        response.cache_control.immutable = True
    return response
