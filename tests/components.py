"""Reading Dash component trees in tests (server-rendered markup blocks included)."""
from __future__ import annotations

from html.parser import HTMLParser

from layouts.markup import HtmlBlock


def markup_text(markup: str) -> str:
    """The text of a markup string, entities decoded."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append
    parser.feed(markup)
    parser.close()
    return "".join(parts)


def texts(component) -> str:
    """All text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(texts(c) for c in component)
    if isinstance(component, HtmlBlock):
        return markup_text(component.html)
    return texts(getattr(component, "children", None))


def find(component, predicate):
    """Every component in a tree for which predicate(component) holds."""
    out = []
    if isinstance(component, (list, tuple)):
        for c in component:
            out += find(c, predicate)
        return out
    if component is None or isinstance(component, (str, int, float)):
        return out
    if predicate(component):
        out.append(component)
    return out + find(getattr(component, "children", None), predicate)
