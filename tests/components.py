"""What the unit tests share: reading Dash component trees (server-rendered markup blocks included) and
figures, and the small hand-made frames and shapes they are drawn from. (Fixtures: tests/conftest.py.)"""
from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import plotly.graph_objects as go

from layouts import figure_base as fb
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


def annotation_texts(fig: go.Figure) -> str:
    return " ".join(a.text or "" for a in fig.layout.annotations)


def is_no_data(fig: go.Figure) -> bool:
    return not fig.data and fb.NO_DATA in annotation_texts(fig) or "暂无地图数据" in annotation_texts(fig)


def square(x0, y0, size=0.1) -> dict:
    """A GeoJSON square polygon of ``size`` degrees from (x0, y0)."""
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]}


def by_district_frame() -> pd.DataFrame:
    """incidents/by_district of the two-district city (the ``geography`` fixture), and one unknown id."""
    return pd.DataFrame({"district_id": ["D2", "D1", "未知区域"], "incidents_30d": [30, 120, 4], "open": [3, 10, 1],
                         "overdue": [1, 4, 0], "today": [2, 5, 0], "closure_rate_30d": [0.9, 0.92, 0.75]})
