"""/incidents' figures are plain plotly.js figure dicts (no go.Figure in the page's hot path); each
must still pass plotly.py's validators, carry the citywall template, and hold what the page draws."""
from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

import layouts.theme  # noqa: F401  registers the citywall template
from dashboard.incident_view import MapView
from layouts import incident_figures as figs


def _square(rid, x0, y0):
    ring = [[x0, y0], [x0 + 0.1, y0], [x0 + 0.1, y0 + 0.1], [x0, y0 + 0.1], [x0, y0]]
    return {"type": "Feature", "id": rid, "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


LAYER = {"type": "FeatureCollection", "features": [_square("S1", 112.9, 28.1), _square("S2", 113.0, 28.1)]}


def _valid(figure: dict) -> go.Figure:
    assert isinstance(figure, dict) and figure["layout"]["template"] == pio.templates["citywall"].to_plotly_json()
    return go.Figure(figure)  # raises on any property plotly.js does not know


def test_the_map_fills_each_child_region_with_its_count_and_link():
    view = MapView(LAYER, ("S1", "S2"), (7, 0), ("/incidents?region=S1", "/incidents?region=S2"),
                   {"S1": "一街道", "S2": "二街道"}, level_label="镇街")
    centroids = pd.DataFrame({"region_id": ["S1", "S2"], "lon": [112.95, 113.05], "lat": [28.15, 28.15]})
    fig = _valid(figs.drill_map(view, centroids))
    fills = [t for t in fig.data if t.fill == "toself"]
    assert [t.customdata[0] for t in fills] == ["/incidents?region=S1", "/incidents?region=S2"]
    assert "事件 <b>7</b> 件" in fills[0].text and fills[0].fillcolor != fills[1].fillcolor
    x, y = (np.frombuffer(base64.b64decode(a["bdata"]), np.float32) for a in (fills[0].x, fills[0].y))
    assert fills[0].x["dtype"] == "f4" and len(x) == len(y) == 5  # the ring, as a float32 typed array
    assert x[1] - x[0] > 9 and y[2] - y[1] > 11  # km east and north: 0.1° of longitude and latitude
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.dragmode is False
    names = [t for t in fig.data if t.mode == "text"]
    assert names and {"<b>一街道</b>", "<b>二街道</b>"} <= set(names[0].text)


def test_below_the_last_level_the_region_is_outlined_with_its_incidents_glow():
    lon, lat = np.full(50, 112.95), np.full(50, 28.15)
    view = MapView(LAYER, outline="S1", points=(lon, lat), names={"S1": "一街道"}, level_label="网格")
    fig = _valid(figs.drill_map(view, None))
    (outline,) = fig.data
    assert outline.name == "一街道" and outline.hoverinfo == "skip"
    assert len(fig.layout.images) == 1 and fig.layout.images[0].source.startswith("data:image/png;base64,")


def test_trend_heatmap_and_categories():
    daily = pd.DataFrame({"date": pd.date_range("2026-11-29", "2026-12-01"), "incidents": [3, 0, 5],
                          "closed": [2, 0, 1]})
    trend = _valid(figs.daily_trend(daily, ""))
    assert list(trend.data[0].y) == [3, 0, 5] and list(trend.data[1].y) == [2, 0, 1]
    assert trend.data[0].type == "bar" and trend.data[0].marker.color and trend.layout.height == 260
    z = np.zeros((7, 24), dtype=np.int64)
    z[1, 9] = 4
    hrefs = [[f"/incidents?weekday={d}&hour={h}" for h in range(24)] for d in range(7)]
    heat = _valid(figs.weekday_hour(z, hrefs, ""))
    assert heat.data[0].z[1][9] == 4 and heat.data[0].customdata[1][9] == "/incidents?weekday=1&hour=9"
    categories = pd.DataFrame({"category": ["市容环境", "交通出行"], "incidents": [9, 4], "closed": [1, 1]})
    bars = _valid(figs.category_bars(categories, ["/incidents?category=市容环境", "/incidents?category=交通出行"], ""))
    assert list(bars.data[0].y) == ["交通出行", "市容环境"] and list(bars.data[0].x) == [4, 9]  # largest on top
    assert list(bars.data[0].customdata) == ["/incidents?category=交通出行", "/incidents?category=市容环境"]


def test_empty_selections_say_so():
    empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "incidents": [], "closed": []})
    for figure in (figs.daily_trend(empty, ""), figs.drill_map(MapView(None), None),
                   figs.category_bars(pd.DataFrame(columns=["category", "incidents"]), [], "")):
        fig = _valid(figure)
        assert not fig.data and fig.layout.annotations[0].text in ("暂无数据", "暂无地图数据")
