"""The requested page inside the app's first layout response.

Dash Pages answers ``/_dash-layout`` with an empty page container; the page itself follows in a
second round trip, the routing callback that ``dcc.Location`` fires when it mounts. The browser names
the page it is on in the Referer of ``/_dash-layout``, so the shell can already hold that page and a
Location that agrees with the address bar: the Location then has nothing to report and the routing
callback does not run. A wall is ready one round trip sooner.

Without a usable Referer (none sent, another origin, a ``#fragment`` the server cannot see) the shell
is Dash's own container and routing works as usual, so this can only save time, never change a page.

A page layout may hand out the same page object to many requests (the wall does, per data version)
and say so with :func:`share`; its shell is then the same object too, and :func:`layout_json`
serialises it once. Pages built for one request (a drill-down, the status page) are not kept, so
visits to them never push a shared page out of the caches.
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from urllib.parse import urlsplit

import dash
import flask
from dash import dcc, html
from plotly.io.json import to_json_plotly as to_json  # what Dash itself answers /_dash-layout with

from dashboard import pages

log = logging.getLogger("citywall.first_page")
_LOCK = threading.Lock()
_CACHE_SIZE = 32
MAX_QUERY = 2048  # characters of a query string the shell repeats; a longer one is routed the usual way
_SHELLS: OrderedDict = OrderedDict()  # (href, id(page), title, class) → shell; the shell keeps its page alive
_SERIALISED: OrderedDict = OrderedDict()  # id(layout) → (layout, its JSON); the entry keeps the layout alive
_SHARED: weakref.WeakSet = weakref.WeakSet()  # pages handed to many requests, and their shells


def share(page):
    """Mark ``page`` (a component: it is held weakly) as handed out to many requests: its shell and
    JSON are made once. → page"""
    _SHARED.add(page)
    return page


def _remember(cache: OrderedDict, key, value):
    with _LOCK:
        value = cache.setdefault(key, value)
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return value


def requested_page(app: dash.Dash, referrer: str | None, host: str) -> tuple[str, object, str] | None:
    """(the page's URL, its layout, its title) for a same-origin Referer naming a registered page, else None."""
    if not referrer:
        return None
    url = urlsplit(referrer)
    if url.netloc != host or url.fragment or len(url.query) > MAX_QUERY:
        return None  # a huge query string would be echoed twice (the Location's href and search)
    search = f"?{url.query}" if url.query else ""
    hit = pages.match(app.strip_relative_path(url.path))
    if hit is None:
        return None
    page, path_variables = hit
    layout = page.get("layout", "")
    if callable(layout):
        layout = layout(**{**path_variables, **pages.query_values(search)})
    title = page.get("title", app.title)
    if callable(title):
        title = title(**path_variables)
    return referrer, layout, title


def page_shell(app: dash.Dash, className: str = "") -> html.Div:
    """The app layout: Dash's page container, holding the requested page when the request names one."""
    location, content, store, dummy = dash.page_container.children
    page = None
    if flask.has_request_context():
        try:
            page = requested_page(app, flask.request.referrer, flask.request.host)
        except Exception:  # the routing callback will run and report it the usual way
            log.exception("首屏预渲染失败，改由页面路由加载")
    if page is None:
        return html.Div([dash.page_container], className=className)
    href, children, title = page
    shared = children in _SHARED
    key = (href, id(children), title, className)  # an id is unique while its shell, in the cache, holds the page
    with _LOCK:
        shell = _SHELLS.get(key) if shared else None
    if shell is not None:
        return shell
    url = urlsplit(href)
    shell = html.Div([html.Div([
        dcc.Location(id=location.id, refresh=location.refresh, href=href, pathname=url.path,
                     search=f"?{url.query}" if url.query else "", hash=""),
        html.Div(children, id=content.id, disable_n_clicks=True),
        dcc.Store(id=store.id, data={"title": title}),  # what the routing callback would have stored
        html.Div(id=dummy.id, disable_n_clicks=True),
    ])], className=className)
    return share(_remember(_SHELLS, key, shell)) if shared else shell


def layout_json(layout) -> str:
    """Dash's JSON of a layout, made once per shared layout object (a shared page's shell is one object)."""
    if layout not in _SHARED:
        return to_json(layout)
    with _LOCK:
        hit = _SERIALISED.get(id(layout))
    if hit is not None and hit[0] is layout:
        return hit[1]
    return _remember(_SERIALISED, id(layout), (layout, to_json(layout)))[1]
