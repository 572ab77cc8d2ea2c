"""The drill-down URLs the wall's panels, rows and points open (the drill-down pages registered
through dashboard/pages.py), and the way back to the wall.

The wall in a district view (``/wall?view=district:<id>``) sends that district along: a link to a
page that selects by region (:data:`REGION_PATHS`) carries ``region=<id>``, and a drill-down page's
大屏 crumb opens the wall in the view of the page's district (:func:`wall_href`). The wall's
rotation changes the view in the browser: assets/wall-nav.js applies the same rule to a link when
it is clicked (``regionFor``).
"""
from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

WALL_PATH = "/wall"
WALL_LABEL = "大屏"
#: drill-down paths whose query selects a region (``?region=<id>``)
REGION_PATHS = ("/incidents",)


def _href(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urlencode(params) if params else "")


def district_href(region_id: str, **params) -> str:
    return _href(f"/district/{quote(str(region_id), safe='')}", **params)


def department_href(dept_id: str) -> str:
    return f"/department/{quote(str(dept_id), safe='')}"


def in_view(href: str, district: str | None) -> str:
    """``href`` as the wall in the view of ``district`` (None: 全市) links it: a page of
    :data:`REGION_PATHS` with ``region=<district>`` unless the link names a region itself."""
    if not district or not href:
        return href
    parts = urlsplit(href)
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    if parts.path not in REGION_PATHS or query.get("region"):
        return href
    return _href(parts.path, region=district, **query)


def wall_href(district: str | None = None) -> str:
    """The wall, in the view of ``district`` when there is one (a drill-down's 大屏 crumb)."""
    return _href(WALL_PATH, view=f"district:{district}" if district else None)
