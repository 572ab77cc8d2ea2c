"""Display-only panels as one Dash component each: server-rendered, escaped markup.

Why: dash-renderer runs a selector for every component on every store update, so a page's load
and each refresh cost (components × updates). The wall's rows — ticker, rankings, bullets, meters,
KPI tiles, the district list — are read-only pictures of a frame: no callback reads or targets
anything inside them. Each is built with Dash's own ``html`` vocabulary (so the builders stay
plain functions, tested as component trees) and rendered here, once per dataset version, to one
escaped HTML string carried by one :class:`HtmlBlock`. The page drops from ~680 components to ~170
and its layout JSON to a third (benchmarks/README.md).

Hover texts (``data-tip``) and clicks (``data-href``, and links) work on the markup through
assets/wall.js's delegated listeners. The browser side of the component is assets/components.js.
"""
from __future__ import annotations

import re

from dash import dcc, html
from dash.development.base_component import Component
from markupsafe import Markup, escape

#: props that are React/Dash plumbing, not HTML attributes
_NOT_ATTRIBUTES = {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key", "loading_state",
                   "refresh", "setProps"}
_ATTRIBUTE_NAMES = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex", "colSpan": "colspan",
                    "rowSpan": "rowspan"}
#: CSS properties whose bare numbers stay bare (React adds "px" to the others)
_UNITLESS = {"opacity", "zIndex", "flex", "flexGrow", "flexShrink", "fontWeight", "lineHeight", "order", "zoom"}
_VOID = {"br", "hr", "img", "wbr"}
_CAMEL = re.compile(r"[A-Z]")
_URL_ATTRIBUTES = {"href", "src", "data-href", "action", "formAction"}
_SAFE_URL = re.compile(r"^(?:/(?!/)|#|\?|https?://)|^[^:]*$", re.IGNORECASE)


class HtmlBlock(Component):
    """One element (``tag``, default div) whose content is ``html``: :class:`markupsafe.Markup` made by
    :func:`to_html` from components, never a plain string (which could carry a source's ``<script>``).
    Its ``html`` is what callbacks update, with markup from :func:`to_html` too."""

    _children_props: list = []
    _base_nodes: list = []
    _namespace = "citywall"
    _type = "HtmlBlock"

    def __init__(self, html: Markup = Markup(""), id=None, className: str | None = None, tag: str = "div",
                 style: dict | None = None, **wildcards):
        if not isinstance(html, Markup):
            raise TypeError("HtmlBlock 只接受由组件生成的 markupsafe.Markup（layouts.markup.to_html），不接受普通字符串")
        self._prop_names = ["id", "html", "className", "tag", "style"]
        self._valid_wildcard_attributes = ["data-", "aria-"]
        self.available_properties = list(self._prop_names)
        self.available_wildcard_properties = list(self._valid_wildcard_attributes)
        args = {"id": id, "html": html, "className": className, "tag": tag, "style": style, **wildcards}
        super().__init__(**{k: v for k, v in args.items() if v is not None})


def css(style: dict) -> str:
    """A React style dict as a CSS declaration list ({"fontSize": 12} → "font-size:12px")."""
    parts = []
    for key, value in style.items():
        if value is None:
            continue
        name = key if key.startswith("--") else _CAMEL.sub(lambda m: "-" + m.group(0).lower(), key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in _UNITLESS:
            value = f"{value}px"
        parts.append(f"{name}:{value}")
    return ";".join(parts)


def _attributes(component: Component) -> str:
    props = component.to_plotly_json()["props"]
    out = []
    for key, value in props.items():
        if key in _NOT_ATTRIBUTES or value is None or value is False:
            continue
        if key == "id" and not isinstance(value, str):
            raise TypeError(f"HtmlBlock markup cannot carry a pattern-matching id: {value!r}")
        name = _ATTRIBUTE_NAMES.get(key, key)
        if key in _URL_ATTRIBUTES and not _SAFE_URL.match(str(value)):
            value = "#"  # a javascript: or data: address from a source's text would run on a click
        if key == "style":
            value = css(value)
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{escape(str(value))}"')
    return "".join(out)


def _write(node, out: list) -> None:
    if node is None:
        return
    if isinstance(node, (list, tuple)):
        for child in node:
            _write(child, out)
        return
    if isinstance(node, (str, int, float)):
        out.append(str(escape(str(node))))
        return
    if isinstance(node, dcc.Link):
        tag = "a"
    elif isinstance(node, Component) and node._namespace == html.Div._namespace:
        tag = node._type.lower()
    else:
        raise TypeError(f"HtmlBlock markup takes html.* components and dcc.Link, not {type(node).__name__}")
    out.append(f"<{tag}{_attributes(node)}>")
    if tag in _VOID:
        return
    _write(getattr(node, "children", None), out)
    out.append(f"</{tag}>")


def to_html(node) -> Markup:
    """Escaped markup of a tree of ``html.*`` components (and dcc.Link, as ``<a href>``): every text
    and attribute value is escaped, so a source's ``<script>`` arrives as text."""
    out: list = []
    _write(node, out)
    return Markup("".join(out))


def html_block(content, *, id: str | None = None, className: str | None = None, tag: str = "div",
               style: dict | None = None) -> HtmlBlock:
    """One HtmlBlock of ``content``: markup from :func:`to_html`, or components (a plain string is refused)."""
    if isinstance(content, str) and not isinstance(content, Markup):
        raise TypeError("html_block 不接受普通字符串：请传入组件，或 to_html() 生成的 Markup")
    return HtmlBlock(html=content if isinstance(content, Markup) else to_html(content), id=id, className=className,
                     tag=tag, style=style)
