"""A path that matches no page: a Chinese page with HTTP 404 and a link back to the wall.

Two ways in: a request for such a path (typed, bookmarked) is answered by a Flask hook before Dash's
catch-all route would serve the app with HTTP 200; a link inside the app (a client-side route) shows
Dash Pages' ``not_found_404`` page, registered here in Chinese. A path that matches a page but names
an unknown id (``/district/999999``) is that page's business, not this module's.
"""
from __future__ import annotations

import dash
import flask
from dash import dcc, html

from dashboard.pages import WALL, is_not_found_page, match

TITLE = "页面不存在"
MESSAGE = "这个地址没有对应的页面。请检查地址，或返回大屏。"
BACK = "‹ 返回大屏"

PAGE_HTML = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{TITLE}（404）</title>
<style>
body {{ margin: 0; background: #050d1f; color: #d6e6ff; display: flex; align-items: center; justify-content: center;
  min-height: 100vh; font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif; }}
main {{ text-align: center; }}
h1 {{ font-size: 40px; margin: 0 0 16px; }}
p {{ font-size: 20px; color: #7f9cc7; }}
a {{ color: #27d3ff; font-size: 22px; }}
</style></head>
<body><main><h1>{TITLE}（404）</h1><p>{MESSAGE}</p><p><a class="cw-back" href="/wall">{BACK}</a></p></main></body>
</html>
"""


def install(app: dash.Dash) -> None:
    """Answer 404 for the paths Dash's catch-all route would otherwise serve as an empty app."""
    catch_all = app.config.routes_pathname_prefix + "<path:path>"

    def answer_not_found():
        request = flask.request
        if request.method not in ("GET", "HEAD") or request.endpoint != catch_all:
            return None
        hit = match(app.strip_relative_path(request.path))
        if hit and not is_not_found_page(hit[0]):
            return None
        return flask.Response(PAGE_HTML, status=404, mimetype="text/html")

    app.server.before_request(answer_not_found)


def layout(**_query) -> html.Div:
    """The same page inside the app, for a link to a path no page matches."""
    return html.Div([html.H1(f"{TITLE}（404）"), html.P(MESSAGE, className="cw-drill-note"),
                     dcc.Link(BACK, href="/wall", className="cw-back")], className="cw-page cw-not-found")


# Dash Pages shows the page whose module ends with "not_found_404" for a path that matches no page
dash.register_page("layouts.not_found_404", path="/404", title=TITLE, name=TITLE, layout=layout,
                   page_kind=WALL, permission=None)  # shows no data: open to everyone
