"""Reading Dash component trees in tests."""
from __future__ import annotations


def texts(component) -> str:
    """All text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(texts(c) for c in component)
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
