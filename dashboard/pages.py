"""The app's pages: which modules register them, which page a path opens, the validation layout that
makes an ID typo fail, and what each kind of page loads. Only documented Dash APIs
(``dash.register_page``, ``dash.page_registry``, ``app.validation_layout``, ``app.dependencies``).

**Adding a page** (the drill-down pages follow these steps):

1. Its module in layouts/ calls, when imported, once its layout function exists::

       dash.register_page(__name__, path_template="/district/<region_id>", title="区县下钻", name="区县下钻",
                          layout=layout, page_kind=pages.DRILL)

   ``layout(**path_variables, **query)`` builds the page's components from a view model (dashboard/…),
   never from the store. Called with no arguments it returns the page's default view: that is how the
   page's components enter the validation layout. ``page_kind`` is :data:`WALL` (the light cartesian
   plotly.js bundle and no Bootstrap), :data:`DRILL`, the default (the cartesian bundle, Bootstrap's CSS
   and the stylesheets in assets/drill/), or :data:`DRILL_FULL` for a drill-down page that draws traces
   the cartesian bundle lacks (the department's sankey: plotly's full bundle); see :func:`page_assets`.
   A page of tables and text says ``draws_graphs=False``: its HTML then links no plotly.js at all.
2. Components that only a callback puts on the page (a detail panel, a dialog) are not in the default
   view. Name them in the same call with ``validation_layout=lambda: [dcc.Store(id="…"), …]``.
3. Its module goes into :data:`PAGE_MODULES`, its callbacks' module into :data:`CALLBACK_MODULES`:
   :func:`dashboard.app.create_app` imports them once the Dash app exists (``register_page`` needs
   the app). Tests and benchmarks get pages only through ``create_app``.

At the first request :func:`install_validation` builds ``app.validation_layout`` from every page's
default view, every ``validation_layout`` and the app's shell, and checks every callback (server and
clientside) against it: a callback naming an id no page has stops the app with
:class:`CallbackIdError`, in Chinese, naming the callback and the id.
"""
from __future__ import annotations

import copy
import logging
import re
from urllib.parse import parse_qs

import dash
import orjson
from dash import html
from dash.development.base_component import Component

log = logging.getLogger("citywall.pages")

PAGE_MODULES = ("layouts.status", "layouts.wall", "layouts.incidents", "layouts.incident_record",
                "layouts.programme_pages", "layouts.ops", "layouts.ops_quarantine", "layouts.admin", "layouts.exports",
                "layouts.briefing", "layouts.tasks", "layouts.console", "dashboard.not_found")
CALLBACK_MODULES = ("callbacks.status", "callbacks.wall", "callbacks.incidents", "callbacks.programmes",
                    "callbacks.admin", "callbacks.tasks", "callbacks.console",
                    "callbacks.command_bar")  # callbacks.ops: per app (create_app)

WALL = "wall"  # the wall and the pages linked from it without graphs that need more (数据状态, 404)
DRILL = "drill"  # the desktop drill-down pages
DRILL_FULL = "drill-full"  # a desktop drill-down page drawing traces the cartesian bundle lacks (sankey)
PLOTLY_FULL = "/_dash-component-suites/plotly/package_data/plotly.min.js"  # what dcc.Graph loads itself


class CallbackIdError(RuntimeError):
    """A callback names a component id that no page's layout has."""


# ---- which page a path opens ------------------------------------------------------------------------

def _template_pattern(template: str) -> re.Pattern:
    """``/district/<region_id>`` → a regex with one named group per variable. A variable matches any
    text, as in Dash Pages' own routing, so a path opens the same page here and in the router."""
    parts = re.split(r"<([^<>]+)>", template.strip("/"))
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*)" for i, p in enumerate(parts))
    return re.compile(pattern)


def match(path: str) -> tuple[dict, dict] | None:
    """(the registered page, its path variables) for a path inside the app (no prefix), else None.
    Pages are tried in ``dash.page_registry``'s order, a page's template before its path."""
    path = (path or "").strip("/")
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template:
            hit = _template_pattern(template).fullmatch(path)
            if hit and hit.groupdict():
                return page, hit.groupdict()
        if path == str(page.get("path", "")).strip("/"):
            return page, {}
    return None


def query_values(search: str) -> dict:
    """``?a=1&b=2&b=3`` → {"a": "1", "b": ["2", "3"]}: what a page layout gets as keyword arguments."""
    if not search or not search.startswith("?"):
        return {}
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(search[1:], keep_blank_values=True).items()}


def is_not_found_page(page: dict) -> bool:
    """Dash Pages shows the page whose module ends with ``not_found_404`` for a path no page matches."""
    return str(page.get("module", "")).split(".")[-1] == "not_found_404"


def page_kind(path: str) -> str:
    """The kind (:data:`WALL`, :data:`DRILL`, :data:`DRILL_FULL`) of a path's page; a path no page
    matches is the 404 page, a wall page."""
    hit = match(path)
    if hit is None or is_not_found_page(hit[0]):
        return WALL
    return hit[0].get("page_kind", DRILL)


def page_draws_graphs(path: str) -> bool:
    """False for the page of a path registered with ``draws_graphs=False``. Only speed rests on it: a
    graph that appears there anyway (or on a page reached from it in place) still draws, because
    dcc.Graph loads plotly's full bundle itself when ``window.Plotly`` is missing."""
    hit = match(path)
    return hit is None or bool(hit[0].get("draws_graphs", True))


def kind_patterns() -> list[list[str]]:
    """[[regex, kind], …] for assets/pages.js, which turns a link to a page of the other kind into a
    full page load (another kind has another plotly.js bundle or other stylesheets)."""
    out = []
    for page in dash.page_registry.values():
        if is_not_found_page(page):
            continue
        kind = page.get("page_kind", DRILL)
        if page.get("path_template"):  # JavaScript names a group (?<name>…), Python (?P<name>…)
            out.append([_template_pattern(page["path_template"]).pattern.replace("(?P<", "(?<"), kind])
        out.append([re.escape(str(page.get("path", "")).strip("/")), kind])
    return out


# ---- the validation layout ------------------------------------------------------------------------------

def _children(value):
    if isinstance(value, Component):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _children(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _children(item)


def components(layout):
    """Every component in a layout, depth first (components in any property, not only children)."""
    stack = list(_children(layout))
    while stack:
        component = stack.pop()
        yield component
        stack.extend(_children(component.to_plotly_json()["props"]))


def _skeleton(component: Component) -> Component:
    """The component with only its id: what the renderer needs to check callbacks, a few bytes each."""
    try:
        return type(component)(id=component.id)
    except TypeError:  # a component with other required properties: itself, without its children
        clone = copy.copy(component)
        if hasattr(clone, "children"):
            clone.children = None
        return clone


def full_validation_layout(shell) -> html.Div:
    """Every registered page's default view, each page's ``validation_layout`` extras, and the shell."""
    parts = []
    for page in dash.page_registry.values():
        layout = page.get("layout")
        layout = getattr(layout, "__wrapped__", layout)  # past the permission check (dashboard/auth_gate.py): ids only
        parts.append(layout() if callable(layout) else layout)
        extra = page.get("validation_layout")
        if extra is not None:
            parts.append(extra() if callable(extra) else extra)
    from layouts.command_bar import validation_components  # the command bar's chips, suggestions, history

    return html.Div(parts + [validation_components(), shell])


def validation_skeleton(layout) -> html.Div:
    """One id-only component per id of ``layout`` (app.validation_layout: sent with every page)."""
    seen, out = set(), []
    for component in components(layout):
        cid = getattr(component, "id", None)
        key = orjson.dumps(cid, option=orjson.OPT_SORT_KEYS) if cid is not None else None
        if key is not None and key not in seen:
            seen.add(key)
            out.append(_skeleton(component))
    return html.Div(out)


def _ids(layout) -> tuple[set[str], list[dict]]:
    strings, dicts = set(), []
    for component in components(layout):
        cid = getattr(component, "id", None)
        if isinstance(cid, dict):
            dicts.append(cid)
        elif cid is not None:
            strings.add(str(cid))
    return strings, dicts


def _output_specs(output: str) -> list[str | dict]:
    """The ids of a callback's ``output`` string: ``id.prop``, ``..a.x...b.y..``, ``{"type":…}.prop@hash``."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [_dependency_id(part.rsplit(".", 1)[0]) for part in parts]


def _dependency_id(cid):
    """A pattern-matching id arrives as its JSON text."""
    return orjson.loads(cid) if isinstance(cid, str) and cid.startswith("{") else cid


def _wildcard(value) -> bool:
    return isinstance(value, list) and len(value) == 1 and value[0] in ("ALL", "MATCH", "ALLSMALLER")


def _pattern_found(pattern: dict, ids: list[dict]) -> bool:
    return any(set(cid) == set(pattern) and all(_wildcard(v) or cid[k] == v for k, v in pattern.items())
               for cid in ids)


def unknown_ids(callbacks: list[dict], layout) -> list[str]:
    """Chinese messages for each id a callback (an entry of ``/_dash-dependencies``) names that no
    component of ``layout`` has."""
    strings, dicts = _ids(layout)
    problems = []
    for cb in callbacks:
        named = _output_specs(cb.get("output", "")) + [_dependency_id(d["id"]) for d in cb.get("inputs", []) + cb.get("state", [])
                                                       if not d.get("allow_optional")]
        for cid in named:
            found = _pattern_found(cid, dicts) if isinstance(cid, dict) else cid in strings
            if not found:
                text = orjson.dumps(cid).decode() if isinstance(cid, dict) else cid
                problems.append(f"回调（输出 {cb.get('output', '')}）引用的组件 ID「{text}」不在任何页面的布局中")
    return sorted(set(problems))


def install_validation(app: dash.Dash, shell) -> None:
    """At the first request (when Dash has collected every callback): set ``app.validation_layout``
    and check every callback against it. Register before hooks that may answer a request early (a
    login redirect), so the check runs after Dash's own first-request setup and before those."""
    checked: list[str] = []  # the problems found, once: every later request fails with them too

    def validate():
        if not checked:
            layout = full_validation_layout(shell())
            problems = unknown_ids(orjson.loads(app.dependencies().get_data()), layout)
            app.validation_layout = validation_skeleton(layout)
            checked.append("\n".join(problems))
        if checked[0]:
            raise CallbackIdError("页面回调引用了不存在的组件（请检查 ID 拼写）：\n" + checked[0])

    app.server.before_request(validate)


# ---- what each kind of page loads -----------------------------------------------------------------------

def page_assets(kind: str, cartesian_url: str | None, drill_css: list[str],
                draws_graphs: bool = True) -> tuple[str | None, list[str]]:
    """(the plotly.js script, the extra stylesheets) for a kind of page. The wall and the drill-down
    pages get the cartesian bundle (``cartesian_url`` None: the figures need the full one, e.g. a tile
    server's MapLibre map): it is a third of the full bundle to evaluate on every page load. A
    :data:`DRILL_FULL` page gets plotly's full bundle, served locally. Drill-down pages get Bootstrap's
    CSS with assets/drill/'s stylesheets. A page that draws no graphs gets no plotly.js (None)."""
    script = PLOTLY_FULL if kind == DRILL_FULL else cartesian_url or PLOTLY_FULL
    if not draws_graphs:
        script = None
    return script, [] if kind == WALL else drill_css
