"""The wall's pure parts: figure builders, components and helpers, on small frames built by hand.

Each test draws from frames shaped like dashboard/frames.py publishes them and asserts on what the
figure carries (traces, values, labels, hovers), not on pixels. The last tests render the whole
wall layout and run the poll callback over a memory frame store.
"""
from __future__ import annotations

import time
from datetime import date, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html, no_update

from dashboard import runtime
from dashboard.geo import Geography
from dashboard.settings import Settings
from dashboard.store import DatasetStatus, MemoryFrameStore
from dashboard.targets import LAGGING, MET, NO_DEADLINE, ON_TRACK, OVERDUE
from dashboard import wall_view as wv
from layouts import components as cx
from dashboard import selections as sel
from layouts import chart_figures as charts
from layouts import figure_base as fb
from layouts import map_figure as mapfig
from layouts import map_projection as mproj
from layouts import raster
from layouts import wall_canvas
from layouts.wall_ids import DATASETS, IDS
from layouts import theme
from tests.components import find, texts

W, H = 400, 240


# ---- helpers -----------------------------------------------------------------------------------------

def annotation_texts(fig: go.Figure) -> str:
    return " ".join(a.text or "" for a in fig.layout.annotations)


def is_no_data(fig: go.Figure) -> bool:
    return not fig.data and fb.NO_DATA in annotation_texts(fig) or "暂无地图数据" in annotation_texts(fig)


def square(x0, y0, size=0.1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]}


@pytest.fixture
def geography() -> Geography:
    features = [{"type": "Feature", "id": "D1", "properties": {"name": "东湖区"}, "geometry": square(113.0, 28.0)},
                {"type": "Feature", "id": "D2", "properties": {"name": "西城区"}, "geometry": square(113.1, 28.1)}]
    regions = pd.DataFrame({"region_id": ["D1", "D2"], "name": ["东湖区", "西城区"], "level": ["区县", "区县"],
                            "parent_id": [None, None], "lon": [113.05, 113.15], "lat": [28.05, 28.15]})
    return Geography({"区县": {"type": "FeatureCollection", "features": features}}, regions, (113.0, 28.0, 113.2, 28.2))


# ---- empty and missing frames ---------------------------------------------------------------------------

EMPTY = pd.DataFrame()


@pytest.mark.parametrize("build", [
    lambda f: charts.exchange_trend(f, width=W, height=H),
    lambda f: charts.migration_burnup(f, width=W, height=H),
    lambda f: charts.hour_weekday_heatmap(f, width=W, height=H),
    lambda f: charts.category_district_heatmap(f, None, width=W, height=H),
    lambda f: mapfig.incident_map(f, f, None, width=W, height=H),
])
@pytest.mark.parametrize("frame", [None, EMPTY, pd.DataFrame({"unrelated": [1]})])
def test_missing_or_empty_frames_say_no_data(build, frame):
    fig = build(frame)
    assert isinstance(fig, go.Figure)
    assert is_no_data(fig)
    assert fig.layout.width == W and fig.layout.height == H and fig.layout.uirevision


def test_map_without_district_layer_is_no_data(geography):
    empty_geo = Geography()
    assert is_no_data(mapfig.incident_map(None, None, empty_geo, width=W, height=H))


# ---- 数据共享 -------------------------------------------------------------------------------------------

def test_target_for_picks_the_next_deadline_else_the_latest(targets):
    assert sel.target_for(targets, "cloud_migration_rate", date(2026, 11, 22))["target"] == 0.9
    assert sel.target_for(targets, "cloud_migration_rate", date(2028, 1, 1))["target_id"] == "c:cloud"
    assert sel.target_for(targets, "cloud_migration_rate", date(2022, 1, 1))["target"] == 0.8
    assert sel.target_for(targets, "network_rate", date(2026, 1, 1)) is None
    assert sel.target_for(None, "sharing_rate") is None


def test_exchange_trend_draws_the_last_30_days():
    days = pd.date_range("2026-09-01", periods=60, freq="D")
    daily = pd.DataFrame({"date": days, "records": np.arange(60) * 1000 + 5, "api_calls": np.arange(60) * 10})
    fig = charts.exchange_trend(daily.sample(frac=1, random_state=1), 30, today=days[-1], width=W, height=H)
    records, calls = fig.data
    assert len(records.x) == 30 and pd.Timestamp(records.x[0]) == days[30] and pd.Timestamp(records.x[-1]) == days[-1]
    assert records.y[-1] == 59005 and calls.yaxis == "y2"
    assert "交换记录" in records.hovertemplate and "11月" in records.customdata[-1][0] or "10月" in records.customdata[-1][0]
    assert not fig.layout.annotations  # the keys and the total are HTML (tests/test_captions.py)
    assert fig.layout.xaxis.ticklabeloverflow == "allow" and fig.layout.xaxis.tickangle == 0  # no label measuring


def test_nice_ticks_and_tick_text():
    assert fb.nice_ticks(3_120_000, 3) == [0, 2_000_000, 4_000_000]
    assert fb.nice_ticks(95, 4) == [0, 25, 50, 75, 100]
    assert fb.nice_ticks(0) == [0.0, 1.0]
    assert fb.tick_text(3_000_000) == "300万" and fb.tick_text(2_500) == "2,500" and fb.tick_text(2e8) == "2亿"
    assert fb.tick_text(250_000) == "25万"


# ---- 一张图 -----------------------------------------------------------------------------------------------

def by_district_frame() -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["D2", "D1", "未知区域"], "incidents_30d": [30, 120, 4], "open": [3, 10, 1],
                         "overdue": [1, 4, 0], "today": [2, 5, 0], "closure_rate_30d": [0.9, 0.92, 0.75]})


def decode_png(source: str) -> tuple[int, int, np.ndarray]:
    """A data-URI PNG as written by raster.png_indexed → (width, height, (rows, cols, 4) RGBA), checking
    each chunk's CRC on the way."""
    import base64
    import struct
    import zlib

    prefix = "data:image/png;base64,"
    assert source.startswith(prefix)
    png = base64.b64decode(source[len(prefix):])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        tag, body = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(tag + body)
        chunks[tag] = chunks.get(tag, b"") + body
        at += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour_type, interlace) == (8, 3, 0) and b"IEND" in chunks
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, width + 1)
    assert (raw[:, 0] == 0).all()  # filter "none" on every row
    palette = np.frombuffer(chunks[b"PLTE"], dtype=np.uint8).reshape(-1, 3)
    alpha = np.frombuffer(chunks[b"tRNS"], dtype=np.uint8)
    rgba = np.column_stack([palette, alpha])[raw[:, 1:]]
    return width, height, rgba


def rgba_of(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text[text.index("(") + 1:-1].split(","))


def test_png_encoder_round_trips():
    indices = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    palette = np.array([[0, 0, 0, 0], [255, 138, 61, 179], [255, 90, 110, 242]], dtype=np.uint8)
    width, height, rgba = decode_png(raster.png_data_uri(raster.png_indexed(indices, palette)))
    assert (width, height) == (3, 2)
    assert rgba[0, 2].tolist() == [255, 90, 110, 242] and rgba[1, 1].tolist() == [255, 138, 61, 179]
    assert rgba[0, 0, 3] == 0 and rgba[1, 2, 3] == 0
    # the density palette: transparent at 0, DENSITY_SCALE's last colour at the top
    density = raster.scale_palette(fb.DENSITY_SCALE)
    assert density[0].tolist() == [255, 194, 75, 0] and density[-1].tolist() == [255, 90, 110, 242]


def test_map_draws_districts_from_the_citys_geojson(geography):
    grid = pd.DataFrame({"region_id": ["G1", "G2"], "district_id": ["D1", "D2"], "incidents_30d": [100, 20],
                         "lon": [113.05, 113.15], "lat": [28.05, 28.04]})
    fig = mapfig.incident_map(by_district_frame(), grid, geography, width=700, height=480)
    *districts, leaders, labels = fig.data
    assert all(t.type == "scatter" for t in fig.data) and not fig.layout.map.style  # SVG, no MapLibre
    assert [t.name for t in districts] == ["东湖区", "西城区"]
    # each district's outline from the GeoJSON, in km on both axes: the 0.1° squares are 11.13 km high
    # and 0.1° × cos(28.1°) wide, D2 north-east of D1
    d1, d2 = districts
    assert d1.fill == "toself" and d1.mode == "lines" and d1.hoveron == "fills"
    x1, y1, x2, y2 = (np.asarray(v, dtype=float) for v in (d1.x, d1.y, d2.x, d2.y))
    assert len(x1) == 5 and x1[0] == x1[-1] and y1[0] == y1[-1]
    assert np.ptp(y1) == pytest.approx(11.132, abs=2e-3)
    assert np.ptp(x1) == pytest.approx(11.132 * np.cos(np.radians(28.1)), abs=2e-3)
    assert x2.min() == pytest.approx(x1.max(), abs=2e-3) and y2.min() == pytest.approx(y1.max(), abs=2e-3)
    # fill colour from MAP_SCALE by the counts: D1 (120, the most) at the top of the scale, D2 (30) darker
    assert rgba_of(d1.fillcolor) == (111, 240, 255, 1)
    assert sum(rgba_of(d2.fillcolor)[:3]) < sum(rgba_of(d1.fillcolor)[:3])
    assert d1.line.color == "rgba(95,216,255,1)" and d1.line.width == 1.2  # mapfig.DISTRICT_OUTLINE, as before
    # hover: plotly.js shows a fill's scalar text; a click carries the trace's customdata (the URL)
    assert d1.hoverinfo == "text" and "东湖区" in d1.text and "近30日事件 <b>120</b> 件" in d1.text
    assert "未办结（全部） 10 件" in d1.text and "点击进入区县" in d1.text and "近30日办结率" in d1.text
    assert list(d1.customdata) == ["/district/D1"] and list(d2.customdata) == ["/district/D2"]
    # no colour bar in the figure: the scale is an HTML legend over the map (tests/test_captions.py)
    assert not any(getattr(t.marker, "showscale", None) for t in fig.data)
    # the names: one text trace at the centroids, in data coordinates, inside the map, not hoverable
    assert labels.mode == "text" and labels.hoverinfo == "skip" and not fig.layout.annotations
    assert list(labels.text) == ["<b>东湖区</b>", "<b>西城区</b>"] and list(labels.textfont.color) == ["#ffffff"] * 2
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert all(xr[0] < x < xr[1] and yr[0] < y < yr[1] for x, y in zip(labels.x, labels.y))
    assert labels.x[0] == pytest.approx((x1.min() + x1.max()) / 2, abs=2e-3)
    # fixed axes, same scale both ways, fitted to the city's bounds
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.xaxis.fixedrange and fig.layout.yaxis.fixedrange
    assert not fig.layout.xaxis.visible and not fig.layout.yaxis.visible and fig.layout.dragmode is False
    assert (xr[1] - xr[0]) / (yr[1] - yr[0]) == pytest.approx(700 / 480, rel=1e-3)
    assert xr[0] < x1.min() and x2.max() < xr[1] and yr[0] < y1.min() and y2.max() < yr[1]
    assert fig.layout.uirevision == "map:city"


def test_map_density_is_a_small_png_over_the_districts(geography):
    grid = pd.DataFrame({"region_id": ["G1", "G2"], "district_id": ["D1", "D2"], "incidents_30d": [100, 20],
                         "lon": [113.05, 113.15], "lat": [28.05, 28.04]})
    fig = mapfig.incident_map(by_district_frame(), grid, geography, width=700, height=480)
    (image,) = fig.layout.images
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert (image.xref, image.yref, image.sizing, image.layer) == ("x", "y", "stretch", "above")
    assert (image.x, image.y) == (xr[0], yr[1]) and image.sizex == pytest.approx(xr[1] - xr[0])
    assert image.sizey == pytest.approx(yr[1] - yr[0])
    assert len(image.source) < 20_000
    width, height, rgba = decode_png(image.source)
    assert (width, height) == (160, 110)
    # the hottest pixel sits on G1 (the heavier grid) and is orange: a lone grid of the 98th-percentile
    # weight glows, only clusters of hot grids turn red
    row, col = np.unravel_index(np.argmax(rgba[..., 3]), rgba.shape[:2])
    hot_x = xr[0] + (col + 0.5) / width * (xr[1] - xr[0])
    hot_y = yr[1] - (row + 0.5) / height * (yr[1] - yr[0])
    d1 = fig.data[0]
    centre = ((np.nanmin(d1.x) + np.nanmax(d1.x)) / 2, (np.nanmin(d1.y) + np.nanmax(d1.y)) / 2)  # G1 is at D1's centre
    assert abs(hot_x - centre[0]) < 0.5 and abs(hot_y - centre[1]) < 0.5
    r, g, b, a = rgba[row, col].tolist()
    assert r == 255 and 138 <= g <= 194 and 0.35 * 255 < a < 0.7 * 255
    assert rgba[0, 0, 3] == 0 and rgba[-1, -1, 3] == 0  # transparent away from the grids
    # nothing to draw: no picture
    assert not mapfig.incident_map(by_district_frame(), None, geography, width=700, height=480).layout.images


def test_map_uses_density_bins_where_there_are_no_grids(geography):
    density = pd.DataFrame({"lon": [113.01, 113.11, 113.12], "lat": [28.01, 28.02, 28.03], "incidents": [5, 7, 9]})
    fig = mapfig.incident_map(by_district_frame(), pd.DataFrame(), geography, density=density, width=700, height=480)
    _, _, rgba = decode_png(fig.layout.images[0].source)
    assert rgba[..., 3].max() > 0
    tiled = mapfig.incident_map(by_district_frame(), pd.DataFrame(), geography, tiles="http://10.0.0.5/{z}/{x}/{y}.png",
                            density=density, width=700, height=480)
    assert tiled.data[1].type == "densitymap" and list(tiled.data[1].z) == [5, 7, 9]


def test_map_focus_zooms_to_the_district_and_dims_the_rest(geography):
    city = mapfig.incident_map(by_district_frame(), None, geography, width=700, height=480)
    focus = mapfig.incident_map(by_district_frame(), None, geography, focus="D2", width=700, height=480)
    span = lambda fig: fig.layout.xaxis.range[1] - fig.layout.xaxis.range[0]  # noqa: E731
    assert span(focus) < span(city) / 1.4
    d1, d2 = focus.data[0], focus.data[1]  # the district in focus last: its outline over its neighbours
    assert (d1.name, d2.name) == ("东湖区", "西城区")
    x2, y2 = np.asarray(d2.x, dtype=float), np.asarray(d2.y, dtype=float)
    assert sum(focus.layout.xaxis.range) / 2 == pytest.approx((x2.min() + x2.max()) / 2, abs=1e-3)
    # centred above the band of the map's legend, which never covers the district in focus
    (ya, yb), band = focus.layout.yaxis.range, mapfig.legend_band(1.0)
    above = ya + band * (yb - ya) / 480
    assert (above + yb) / 2 == pytest.approx((y2.min() + y2.max()) / 2, abs=1e-3) and y2.min() > above
    assert d2.line.color == theme.WARN and d2.line.width > d1.line.width
    assert rgba_of(d2.fillcolor)[3] == 1 and rgba_of(d1.fillcolor)[3] == pytest.approx(0.35)
    assert rgba_of(d1.line.color)[3] == pytest.approx(0.35)
    assert list(focus.data[-1].text) == ["<b>西城区</b>"]  # D1's centre is out of view
    assert focus.layout.uirevision == "map:D2" != city.layout.uirevision
    # an unknown district falls back to the city view
    assert mapfig.incident_map(by_district_frame(), None, geography, focus="XX", width=700, height=480).layout.uirevision == "map:city"


def test_map_requests_nothing_off_host(geography):
    grid = pd.DataFrame({"district_id": ["D1"], "incidents_30d": [5], "lon": [113.05], "lat": [28.05]})
    fig = mapfig.incident_map(by_district_frame(), grid, geography, width=700, height=480)
    sent = str(fig.to_plotly_json())
    assert "http" not in sent and "url(" not in sent and sent.count("data:image/png;base64,") == 1


def test_map_with_tiles_is_maplibre_over_the_raster_source(geography):
    grid = pd.DataFrame({"region_id": ["G1", "G2"], "district_id": ["D1", "D2"], "incidents_30d": [100, 20],
                         "lon": [113.05, 113.15], "lat": [28.05, 28.04]})
    tiles = "http://10.0.0.5/tiles/{z}/{x}/{y}.png"
    fig = mapfig.incident_map(by_district_frame(), grid, geography, tiles=tiles, width=700, height=480)
    districts, density = fig.data
    assert districts.type == "choroplethmap" and density.type == "densitymap"
    sent = districts.geojson  # the same GeoJSON, rings as arrays (one orjson call each when serialized)
    original = geography.layer("区县")
    assert [f["id"] for f in sent["features"]] == [f["id"] for f in original["features"]]
    assert np.allclose(sent["features"][1]["geometry"]["coordinates"][0], original["features"][1]["geometry"]["coordinates"][0])
    import orjson  # noqa: PLC0415

    assert orjson.loads(fig.to_json())["data"][0]["geojson"]["features"][0]["geometry"]["coordinates"][0][0] == [113.0, 28.0]
    assert list(districts.locations) == ["D1", "D2"] and list(districts.z) == [120, 30]
    assert districts.showscale is False and districts.zmax == 120  # the scale is the HTML legend, 0 … 120
    assert districts.customdata[0][0] == "/district/D1" and districts.customdata[0][1] == "东湖区"
    assert "近30日事件" in districts.hovertemplate and "%{customdata[2]}" in districts.hovertemplate
    assert list(density.z) == [100, 20]
    style = fig.layout.map.style
    assert style["sources"]["citywall-tiles"]["tiles"] == [tiles]
    assert [layer["type"] for layer in style["layers"]] == ["background", "raster"]
    assert [a.text for a in fig.layout.annotations] == ["<b>东湖区</b>", "<b>西城区</b>"]
    assert all(0 < a.x < 1 and 0 < a.y < 1 and a.xref == "paper" for a in fig.layout.annotations)
    assert fig.layout.map.center.lon == pytest.approx(113.1) and fig.layout.uirevision == "map:city"
    focus = mapfig.incident_map(by_district_frame(), None, geography, focus="D2", tiles=tiles, width=700, height=480)
    assert focus.layout.map.zoom > fig.layout.map.zoom and list(focus.data[0].marker.opacity) == [0.35, 1.0]


def test_map_style_requests_nothing_off_host():
    style = mapfig.map_style()
    assert isinstance(style, dict) and style["sources"]  # never empty: plotly.js would drop it on an update
    assert all("url" not in src and "tiles" not in src for src in style["sources"].values())
    assert "glyphs" not in style and "sprite" not in style and "http" not in str(style)
    tiled = mapfig.map_style("http://10.0.0.5/tiles/{z}/{x}/{y}.png")
    assert tiled["sources"]["citywall-tiles"]["tiles"] == ["http://10.0.0.5/tiles/{z}/{x}/{y}.png"]
    assert [layer["type"] for layer in tiled["layers"]] == ["background", "raster"]
    assert tiled["layers"][1]["source"] == "citywall-tiles"


def test_svg_layer_is_projected_once_per_layer():
    two_islands = {"type": "MultiPolygon", "coordinates": [square(113.0, 28.0)["coordinates"],
                                                           square(113.3, 28.0, 0.05)["coordinates"]]}
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "D1", "properties": {}, "geometry": two_islands},
        {"type": "Feature", "properties": {}, "geometry": square(114.0, 29.0)}]}  # no id: not drawn
    svg = mproj.svg_layer(layer)
    assert svg is mproj.svg_layer(layer) and svg.ids == ("D1",)
    x = np.asarray(svg.xs[0], dtype=float)
    assert np.isnan(x).sum() == 1 and len(x) == 11  # both outer rings in one trace, a gap between them
    x0, y0, x1, y1 = svg.boxes[0]
    assert x1 - x0 == pytest.approx(0.35 * 111.32 * np.cos(np.radians(svg.origin[1])), abs=2e-3)
    assert svg.origin == pytest.approx((113.175, 28.05))
    # a district of thousands of points costs no per-point Python work per figure: float32 arrays
    assert svg.xs[0].dtype == np.float32


def test_projection_centre_and_direction():
    assert mproj.project(113.1, 28.05, (113.1, 28.05), 10, 700, 480) == pytest.approx((0.5, 0.5))
    x, y = mproj.project(113.2, 28.1, (113.1, 28.05), 10, 700, 480)
    assert x > 0.5 and y > 0.5  # east is right, north is up


def test_parse_view():
    assert sel.parse_view("district:430902") == "430902"
    assert sel.parse_view("city") is None and sel.parse_view(None) is None and sel.parse_view("district:") is None


# ---- 上云进度 ----------------------------------------------------------------------------------------------

def test_burnup_stops_actuals_at_the_current_month():
    months = pd.date_range("2026-09-01", periods=6, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": [10, 20, 30, 40, 50, 60], "actual_cum": [8, 15, 25, 25, 25, 25],
                           "total": 80})
    fig = charts.migration_burnup(burnup, 0.8, today=date(2026, 11, 22), width=W, height=H)
    planned, actual = fig.data
    assert list(planned.y) == [10, 20, 30, 40, 50, 60]
    assert list(actual.y[:3]) == [8, 15, 25] and all(v is None for v in actual.y[3:])
    assert fig.layout.shapes[0].y0 == pytest.approx(64)  # 80% of 80 systems
    assert annotation_texts(fig) == "80%目标 64 个"  # the goal line's label; the key and progress are HTML


# ---- 事件 --------------------------------------------------------------------------------------------------

def test_hour_weekday_heatmap_matrix():
    hw = pd.DataFrame({"weekday": [0, 0, 6, 3], "hour": [0, 9, 23, 14], "incidents": [5, 7, 11, 2]})
    fig = charts.hour_weekday_heatmap(hw, width=W, height=H)
    z = np.array(fig.data[0].z)
    assert z.shape == (7, 24) and z.sum() == 25
    assert z[0, 0] == 5 and z[0, 9] == 7 and z[6, 23] == 11 and z[3, 14] == 2
    assert list(fig.data[0].y) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert fig.data[0].x[9] == "9时" and fig.layout.yaxis.autorange == "reversed"
    assert fig.data[0].customdata[3][14] == "/incidents?weekday=3&hour=14"
    assert fig.data[0].showscale is False and not fig.layout.annotations  # scale and peak are HTML
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 11)  # both set: colours from 0, as the HTML scale says


def test_category_district_heatmap_matrix():
    cd = pd.DataFrame({"category": ["市容环境", "市容环境", "噪声扰民", "交通出行", "噪声扰民"],
                       "district_id": ["D2", "D1", "D1", "D2", "未知区域"], "incidents": [10, 4, 6, 1, 2]})
    regions = pd.DataFrame({"region_id": ["D1", "D2", "G1"], "name": ["东湖区", "西城区", "某网格"],
                            "level": ["区县", "区县", "网格"]})
    categories, districts, names, z = sel.category_district_matrix(cd, regions, max_categories=2)
    assert categories == ["市容环境", "其他"]  # the largest first; the rest (噪声扰民, 交通出行) in 其他
    assert districts == ["D1", "D2", "未知区域"] and names == ["东湖区", "西城区", "未知区域"]
    assert z.tolist() == [[4, 10, 0], [6, 1, 2]]  # every column sums to its district's total
    fig = charts.category_district_heatmap(cd, regions, width=W, height=H, max_categories=2, focus="D2")
    assert np.array(fig.data[0].z).tolist() == z.tolist()
    assert list(fig.data[0].x) == names and list(fig.data[0].y) == categories
    assert fig.data[0].customdata[0][1].startswith("/district/D2?category=")
    assert fig.layout.shapes[0].x0 == 0.5  # the focused district is outlined


def test_ticker_rows_newest_first():
    latest = pd.DataFrame({"incident_id": ["A2", "A1"], "source": ["12345热线", "网格巡查"], "category": ["噪声扰民", "市容环境"],
                           "region_id": ["G1", "G2"], "reported_at": pd.to_datetime(["2026-11-22 14:05", "2026-11-22 13:50"]),
                           "deadline_at": pd.to_datetime(["2026-11-25", "2026-11-21"]), "status": ["受理", "处置中"],
                           "district_id": ["D1", "D2"], "overdue": [False, True]})
    rows = cx.ticker_rows(latest, {"D1": "东湖区", "D2": "西城区", "G1": "一号网格"})
    assert [getattr(r, "data-key") for r in rows] == ["A2", "A1"]  # wall.js anchors the scroll on these keys
    assert "14:05" in texts(rows[0]) and "东湖区" in texts(rows[0]) and "噪声扰民" in texts(rows[0])
    assert "超期" in texts(rows[1])  # overdue and still open
    assert "一号网格" in getattr(rows[0], "data-tip")  # the one hover: details and the data's as-of time
    assert "数据截至" in getattr(rows[0], "data-tip")
    assert texts(cx.ticker_rows(None)) == "暂无数据"


def test_district_list_ranks_districts(geography):
    rows = cx.district_list(by_district_frame().rename(columns={"district_id": "area_id"}), {"D1": "东湖区", "D2": "西城区"},
                            focus="D2")
    links = find(rows, lambda c: getattr(c, "href", None) and "/district/" in c.href)
    assert [c.href for c in links] == ["/district/D1", "/district/D2"]
    assert "is-focus" in links[1].className and "154" in texts(rows)  # total of all districts


# ---- 目标指标 -------------------------------------------------------------------------------------------------

def test_value_text_units():
    assert fb.value_text(0.8, "%") == "80.0%" and fb.value_text(6, "项") == "6 项"
    assert fb.value_text(None, "%") == "—" and fb.value_text(12, "小时") == "12.0 小时"


# ---- components: KPI tiles, stale badges, header --------------------------------------------------------------

def test_kpi_rate_tile(targets):
    summary = pd.DataFrame({"sharing_rate": [0.899]})
    body = cx.kpi_rate(summary, "sharing_rate", targets, "sharing_rate", 0.9, date(2026, 11, 22))
    text = texts(body)
    assert "89.9" in text and "%" in text and "目标 95%" in text and "5.1" in text
    number = find(body, lambda c: "cw-num" in (getattr(c, "className", "") or ""))[0]
    assert number.children == "89.9" and "is-warn" in number.className
    assert "已达标" in texts(cx.kpi_rate(summary.assign(sharing_rate=0.97), "sharing_rate", targets, "sharing_rate"))
    assert "未配置目标" in texts(cx.kpi_rate(summary, "sharing_rate", None, "sharing_rate"))
    assert "—" in texts(cx.kpi_rate(None, "sharing_rate", targets, "sharing_rate"))


def test_kpi_incident_and_target_tiles(targets):
    summary = pd.DataFrame({"period": ["今日", "近7日", "近30日", "全部"], "incidents": [56, 400, 1600, 9000],
                            "closed": [10, 300, 1400, 8800], "closure_rate": [0.2, 0.75, 0.891, 0.97],
                            "ontime_rate": [1.0, 0.9, 0.947, 0.95], "overdue_open_all": 12, "open_all": 200})
    assert "56" in texts(cx.kpi_today(summary)) and "200" in texts(cx.kpi_today(summary)) and "12" in texts(cx.kpi_today(summary))
    closure = texts(cx.kpi_closure(summary))
    assert "89.1" in closure and "按期办结率" in closure and "94.7%" in closure
    counts = cx.target_counts(targets)
    assert counts == {"total": 5, MET: 1, ON_TRACK: 1, LAGGING: 1, OVERDUE: 2, NO_DEADLINE: 0}  # every status counted
    tile = texts(cx.kpi_targets(targets))
    assert tile.startswith("1/5") and "逾期 2" in tile.replace(" · ", " ")


def test_stale_badge_for_a_failed_pull(wall):
    settings = Settings()
    now = time.time()
    statuses = {
        "catalog": DatasetStatus("catalog", 3, now - 7200, now - 60, error="连接超时"),
        "systems": DatasetStatus("systems", 2, now - 30, now - 30),
    }
    fresh = wv.freshness_map(settings, statuses, ("catalog", "systems", "incidents"), now, details=True)
    assert set(fresh) == {"catalog", "incidents"}  # failed, never published; systems is fresh
    assert fresh["catalog"]["b"] == "数据滞后 · 2 小时前" and "连接超时" in fresh["catalog"]["r"]
    # without view_raw_rows the source's error (URLs, paths) stays on the server
    hidden = wv.freshness_map(settings, statuses, ("catalog",), now)["catalog"]["r"]
    assert hidden == "数据源异常，显示最近一次成功的数据（更新于 2 小时前）"
    assert fresh["incidents"]["b"] == "数据滞后 · 从未更新"

    stale = cx.panel("数据共享", html.Div("x"), name="sharing", datasets=("catalog", "targets"), box=(0, 0, 10, 10),
                     fresh=fresh, href="/sharing")
    assert "is-stale" in stale.className
    badge = find(stale, lambda c: isinstance(getattr(c, "id", None), dict) and c.id.get("type") == cx.BADGE)[0]
    assert badge.children == "数据滞后 · 2 小时前" and "连接超时" in badge.title
    assert badge.id["ds"] == "catalog targets"

    fresh_panel = cx.panel("上云", html.Div("x"), name="cloud", datasets=("systems",), box=(0, 0, 10, 10), fresh=fresh)
    assert "is-stale" not in fresh_panel.className
    assert find(fresh_panel, lambda c: getattr(c, "className", "") == "cw-badge")[0].children == ""
    # the never-published dataset is the worst of two
    assert cx.stale_from(fresh, ("catalog", "incidents"))[0] == "数据滞后 · 从未更新"


def test_header_updated_text():
    now = time.time()
    parts = cx.updated_text([now - 300, now - 60], [300, 60], stale=False)
    text = texts(parts)
    assert text.startswith("数据更新于 ") and "最旧数据 5 分钟前" in text
    assert "从未更新" in texts(cx.updated_text([now], [60, None], stale=True))


# ---- the page: geometry, views, layout, poll ---------------------------------------------------------------

@pytest.fixture(scope="module")
def wall():
    """The wall's page module: pages register with the app, so through create_app."""
    from dashboard import db
    from dashboard.app import create_app

    create_app(Settings(), MemoryFrameStore(), db.connect("sqlite://"))
    import layouts.wall as wall_module  # noqa: PLC0415

    return wall_module


def _boxes(geo):
    return {k: v for k, v in geo.items() if isinstance(v, tuple) and len(v) == 4} | {
        f"kpi-{k}": v for k, v in geo["kpi"].items()}


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("canvas", [(1920, 1080), (3840, 2160), (7680, 2160), (2560, 1440)])
def test_geometry_fits_the_canvas_without_overlaps(wall, canvas):
    geo = wall_canvas.wall_geometry(canvas)
    boxes = _boxes(geo)
    panels = {k: v for k, v in boxes.items() if k != "header"}
    for name, (x, y, w, h) in boxes.items():
        assert x >= 0 and y >= 0 and x + w <= canvas[0] and y + h <= canvas[1], name
    names = list(panels)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(panels[a], panels[b]), (a, b)
    # the map is the largest element
    area = {k: v[2] * v[3] for k, v in panels.items()}
    assert max(area, key=area.get) == "map"


def test_geometry_scales_with_the_canvas(wall):
    small, big, wide = wall_canvas.wall_geometry((1920, 1080)), wall_canvas.wall_geometry((3840, 2160)), wall_canvas.wall_geometry((7680, 2160))
    assert big["s"] == 2 and small["s"] == 1
    for name, box in _boxes(small).items():
        assert _boxes(big)[name] == pytest.approx(tuple(2 * v for v in box), abs=2), name
    assert wide["ranking"][2] == big["ranking"][2]  # side columns keep their width
    assert wide["map"][2] > 2 * big["map"][2]  # the centre widens
    assert 44 <= 46 * small["s"]  # big KPI numbers (46 px in wall.css) readable from 5 m


def test_playlist_views(wall):
    districts = {"D1": "东湖区", "D2": "西城区"}
    views = wall_canvas.playlist_views(["city", "districts"], districts)
    assert [v["id"] for v in views] == ["city", "district:D1", "district:D2"]
    assert views[1]["label"] == "东湖区"
    assert [v["id"] for v in wall_canvas.playlist_views(["district:D2", "district:XX"], districts)] == ["district:D2"]
    assert wall_canvas.playlist_views([], districts) == [{"id": "city", "label": "全市"}]
    assert wall_canvas.valid_view("district:D1", districts) == "district:D1" and wall_canvas.valid_view("district:ZZ", districts) == "city"
    assert wall_canvas.view_label("district:D1", districts) == "当前视图：东湖区" and wall_canvas.view_label("city", districts) == "当前视图：全市"


def _publish_small_city(store: MemoryFrameStore):
    from dashboard.frames import PullContext, build_frames

    now = datetime(2026, 11, 22, 14, 0)
    ctx = PullContext(now=now)
    regions = pd.DataFrame({"region_id": ["D1", "D2", "G1", "G2"], "name": ["东湖区", "西城区", "一网格", "二网格"],
                            "level": ["区县", "区县", "网格", "网格"], "parent_id": [None, None, "D1", "D2"]})
    store.publish("regions", build_frames("regions", regions, ctx))
    depts = pd.DataFrame({"dept_id": ["A", "B"], "name": ["甲局", "乙局"], "short_name": ["甲", "乙"], "kind": "委办局"})
    store.publish("departments", build_frames("departments", depts, ctx))
    catalog = pd.DataFrame({"resource_id": ["r1", "r2", "r3"], "dept_id": ["A", "A", "B"], "name": "x",
                            "data_class": ["政务", "政务", "城市"], "share_type": ["无条件共享", "不予共享", "有条件共享"],
                            "open_type": None, "mounted": [True, False, True], "updated_at": pd.Timestamp(now)})
    store.publish("catalog", build_frames("catalog", catalog, ctx))
    reported = pd.date_range("2026-11-01", periods=40, freq="13h")
    incidents = pd.DataFrame({"incident_id": [f"i{i}" for i in range(40)], "source": "12345热线",
                              "category": ["噪声扰民", "市容环境"] * 20, "region_id": ["G1", "G2"] * 20,
                              "lon": [113.05, 113.15] * 20, "lat": [28.05, 28.05] * 20, "reported_at": reported,
                              "deadline_at": reported + pd.Timedelta(days=3), "closed_at": pd.NaT, "status": "受理"})
    store.publish("incidents", build_frames("incidents", incidents, PullContext(now=now, regions=store.frame("regions", "regions"))))


@pytest.fixture
def rt(wall, geography):
    import callbacks.wall as cb  # noqa: PLC0415  (its cache warmer would otherwise hold new versions back)

    cb.WARMING.clear()
    store = MemoryFrameStore()
    _publish_small_city(store)
    runtime_ = runtime.install(runtime.Runtime(Settings(), store, None))
    runtime_.__dict__["geography"] = geography  # a hand-made city instead of the demo city's GeoJSON
    yield runtime_
    cb.WARMING.set()


def test_layout_draws_every_panel_from_the_store(wall, rt):
    page = wall.layout(kiosk="1", rotate="20", view="district:D2")
    assert "is-kiosk" in page.className
    graphs = find(page, lambda c: type(c).__name__ == "Graph")
    assert {g.id for g in graphs} == set(IDS["graph"].values())
    for g in graphs:
        assert g.config["displayModeBar"] is False and g.config["responsive"] is False and g.figure["layout"]["uirevision"]
    by_id = {g.id: g.figure for g in graphs}
    assert {d["type"] for d in by_id["wall-g-map"]["data"]} == {"scatter"}  # the SVG map (no tile server)
    assert by_id["wall-g-map"]["layout"]["uirevision"] == "map:D2"  # the view from the URL
    from dashboard.app import PLOTLY_BUNDLE_TRACES  # noqa: PLC0415

    # the partial plotly.js the page loads (no tile server) can draw every trace of the wall
    assert {d["type"] for g in graphs for d in g.figure["data"]} <= PLOTLY_BUNDLE_TRACES
    stores = {s.id: s.data for s in find(page, lambda c: type(c).__name__ == "Store")}
    import callbacks.wall as cb  # noqa: PLC0415

    # the page's first map key is the one the refresh compares with: the first publish is a Patch
    assert stores[IDS["map_key"]] == cb.map_key(by_id["wall-g-map"], "district:D2")
    assert stores["wall-v-catalog"] == rt.store.status("catalog").version == 1
    assert stores["wall-v-systems"] == 0  # never published: drawn as 暂无数据 and marked stale
    assert "systems" in stores["wall-fresh"] and stores["wall-view"] == "district:D2"
    assert stores["wall-config"]["rotate"] == 20 and stores["wall-config"]["kiosk"] is True
    assert stores["wall-versions"]["incidents"] == 1
    stale_panels = find(page, lambda c: isinstance(getattr(c, "id", None), dict) and "is-stale" in (c.className or ""))
    assert {p.id["name"] for p in stale_panels} >= {"cloud", "migration", "burnup", "kpi-cloud", "targets"}
    assert not any(p.id["name"] == "hour_weekday" for p in stale_panels)  # incidents is fresh (no schedule)
    assert not find(page, lambda c: type(c).__name__ == "Loading")  # no spinner anywhere on the wall
    side = texts(find(page, lambda c: getattr(c, "id", None) == IDS["districts"]))
    assert "西城区镇街事件排行" in side and "东湖区" not in side  # the district's own figures, not the city's ranking
    captions = {c.id: c.html for c in find(page, lambda c: getattr(c, "id", None) in IDS["caption"].values())}
    assert set(captions) == set(IDS["caption"].values())  # each graph's HTML key or scale rides with it
    assert "高峰" in captions["wall-c-hour_weekday"] and "近30日事件" in captions["wall-c-map"]


def test_poll_sends_only_what_changed(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    page = wall.layout()
    stores = {s.id: s.data for s in find(page, lambda c: type(c).__name__ == "Store")}
    versions, ack = stores["wall-versions"], stores["wall-ack"]
    out = cb.poll({"n": 1, "t": 0}, ack)
    assert out[0] is no_update and out[1] is no_update and out[2] is no_update  # an unchanged tick
    assert out[3] == {**ack, "n": 1}

    rt.store.publish("catalog", {"summary": rt.store.frame("catalog", "summary")})
    out = cb.poll({"n": 2, "t": 0}, out[3])
    assert out[0]["catalog"] == 2 and out[0]["incidents"] == versions["incidents"]
    assert out[1] is no_update  # the publish changed no badge (the header's update time may have)
    assert cb.poll({"n": 3, "t": 0}, out[3])[0] is no_update  # and the next tick is quiet again

    rt.store.mark_failed("incidents", "事件库不可达")
    out2 = cb.poll({"n": 4, "t": 0}, out[3])
    assert out2[0] is no_update  # a failed pull keeps the version …
    # … and marks it stale; called outside a request there is no caller with view_raw_rows: no error text
    assert "incidents" in out2[1] and out2[1]["incidents"]["r"].startswith("数据源异常，显示最近一次成功的数据")
    assert out2[3]["f"] != out[3]["f"]


def test_panel_redraw_reads_only_its_datasets(wall, rt):
    frames = wv.Frames(rt.store, ("incidents",))
    ctx = wv.context("city")
    fig = wv.render("panel", "hour_weekday", frames, ctx)
    assert fig is wv.render("panel", "hour_weekday", wv.Frames(rt.store, ("incidents",)), ctx)  # cached by version
    rt.store.publish("incidents", rt.store.snapshot("incidents").frames)
    assert fig is not wv.render("panel", "hour_weekday", wv.Frames(rt.store, ("incidents",)), ctx)


def test_layout_of_an_empty_store_says_no_data_and_stale(wall):
    rt_ = runtime.install(runtime.Runtime(Settings(), MemoryFrameStore(), None))
    rt_.__dict__["geography"] = Geography()
    page = wall.layout()
    graphs = find(page, lambda c: type(c).__name__ == "Graph")
    for g in graphs:
        notes = " ".join(a.get("text", "") for a in g.figure["layout"].get("annotations", []))
        assert "暂无数据" in notes or "暂无地图数据" in notes, g.id
    badges = find(page, lambda c: isinstance(getattr(c, "id", None), dict) and c.id.get("type") == cx.BADGE)
    assert badges and all(b.children == "数据滞后 · 从未更新" for b in badges)
    assert "从未更新" in texts(find(page, lambda c: getattr(c, "id", None) == IDS["updated"]))


def test_new_versions_are_announced_once_drawn_or_after_a_hold(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    now = time.time()
    statuses = rt.store.statuses()
    current = {ds: statuses[ds].version if ds in statuses else 0 for ds in DATASETS}
    assert cb.announced_versions(rt, statuses, now) == current  # no warmer: announced at once
    cb._WARMED[rt.generation] = {**current, "incidents": current["incidents"] - 1}
    cb.WARMING.set()
    try:
        held = cb.announced_versions(rt, statuses, now)
        assert held["incidents"] == current["incidents"] - 1 and held["catalog"] == current["catalog"]
        # never held for long: after HOLD_SECONDS the new version is announced even if the warmer lags
        assert cb.announced_versions(rt, statuses, now + cb.HOLD_SECONDS + 1) == current
    finally:
        cb.WARMING.clear()
        cb._WARMED.pop(rt.generation, None)


def test_warm_draws_every_panel_once(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    versions = cb.warm(rt.store, wv.context("city"))
    assert versions["incidents"] == rt.store.status("incidents").version
    frames = wv.Frames(rt.store, DATASETS)
    before = len(wv._CACHE)
    cb.warm(rt.store, wv.context("city"))
    assert len(wv._CACHE) == before  # the second warm is all cache hits
    assert wv.render("panel", "map", frames, wv.context("city")) is wv.render(
        "panel", "map", wv.Frames(rt.store, DATASETS), wv.context("city"))


def apply_patch(figure: dict, patch) -> dict:
    """What dash-renderer does with a Patch of Assign operations."""
    import copy

    out = copy.deepcopy(figure)
    for op in patch.to_plotly_json()["operations"]:
        assert op["operation"] == "Assign"
        *path, last = op["location"]
        target = out
        for step in path:
            target = target[step]
        target[last] = op["params"]["value"]
    return out


def test_map_refresh_is_a_patch_without_the_polygons(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    before = wv.render("panel", "map", wv.Frames(rt.store, ("incidents",)), wv.context("city"))
    key = cb.map_key(before, "city")
    assert key == "city|scatter,scatter,scatter,scatter"  # two districts, the names' leader lines and the names
    # a publish that changes the counts: D2's grid gets many more incidents
    snap = rt.store.snapshot("incidents")
    frames = {name: frame.copy() for name, frame in snap.frames.items()}
    frames["by_district"]["incidents_30d"] = np.where(frames["by_district"]["district_id"] == "D2", 500, 3)
    frames["by_grid"]["incidents_30d"] = np.where(frames["by_grid"]["district_id"] == "D2", 500, 3)
    rt.store.publish("incidents", frames, snap.meta)
    after = wv.render("panel", "map", wv.Frames(rt.store, ("incidents",)), wv.context("city"))
    assert cb.map_key(after, "city") == key
    assert before["layout"]["images"][0]["source"] != after["layout"]["images"][0]["source"]
    patch = cb.map_patch(after, key, key, new_data=True)
    changed = {tuple(op["location"]) for op in patch.to_plotly_json()["operations"]}
    assert {("data", 0, "fillcolor"), ("data", 1, "text"), ("data", 3, "text"), ("layout", "images")} <= changed
    assert not any(loc[-1] in ("x", "y", "geojson") for loc in changed)  # never the polygons
    # the browser's figure after the patch is the new figure
    assert apply_patch(before, patch) == after
    assert apply_patch(before, patch)["data"][0]["fillcolor"] != before["data"][0]["fillcolor"]
    # another shape, or a view change: the whole figure
    assert cb.map_patch(after, "district:D1|scatter,scatter", key, new_data=True) is after
    assert cb.map_patch(after, key, key, new_data=False) is after
    # a picture that is gone is cleared, not left behind (plotly leaves an empty list out of a figure)
    bare = {**after, "layout": {k: v for k, v in after["layout"].items() if k != "images"}}
    assert apply_patch(after, cb.map_patch(bare, key, key, new_data=True))["layout"]["images"] == []


def test_map_refresh_with_tiles_is_a_patch_without_the_geojson(geography):
    import callbacks.wall as cb  # noqa: PLC0415

    grid = pd.DataFrame({"district_id": ["D1"], "incidents_30d": [5], "lon": [113.05], "lat": [28.05]})
    figure = mapfig.incident_map(by_district_frame(), grid, geography, tiles="http://10.0.0.5/{z}/{x}/{y}.png",
                             width=700, height=480).to_plotly_json()
    key = cb.map_key(figure, "city")
    assert key == "city|choroplethmap,densitymap"
    changed = {tuple(op["location"]) for op in cb.map_patch(figure, key, key, new_data=True).to_plotly_json()["operations"]}
    assert ("data", 0, "z") in changed and ("data", 1, "lat") in changed and ("layout", "annotations") in changed
    assert not any("geojson" in loc for loc in changed)


def test_wall_page_is_shared_until_its_data_or_query_changes(wall, rt):
    page = wall.layout()
    assert wall.layout() is page  # a reload or a second screen: the same page, no build
    assert wall.layout(kiosk="1") is not page and wall.layout(kiosk="1") is wall.layout(kiosk="yes")
    rt.store.publish("incidents", rt.store.snapshot("incidents").frames)
    fresh_page = wall.layout()
    assert fresh_page is not page
    versions = find(fresh_page, lambda c: getattr(c, "id", None) == IDS["versions"])[0]
    assert versions.data["incidents"] == rt.store.snapshot("incidents").version  # the page says what it drew


def test_poll_of_a_stale_wall_settles_between_badge_changes(wall, rt, monkeypatch):
    import callbacks.wall as cb  # noqa: PLC0415

    rt.store.mark_failed("incidents", "事件库不可达")
    page = wall.layout()
    ack = next(s.data for s in find(page, lambda c: type(c).__name__ == "Store") if s.id == IDS["ack"])
    now = time.time()
    monkeypatch.setattr(cb.time, "time", lambda: now + 5)  # the stale data's age moved on by 5 s
    out = cb.poll({"n": 1, "t": 0}, ack)
    assert out[1] is no_update  # the badge reads the same, so the freshness map is not sent again
    monkeypatch.setattr(cb.time, "time", lambda: now + 7200)  # the badge now says another age
    assert "incidents" in cb.poll({"n": 2, "t": 0}, out[3])[1]


def test_kpi_tiles_give_their_document_and_as_of_time(targets):
    summary = pd.DataFrame({"sharing_rate": [0.899]})
    body = cx.kpi_rate(summary, "sharing_rate", targets, "sharing_rate", 0.9, date(2026, 11, 22),
                       as_of=pd.Timestamp("2026-11-22 09:15"))
    tip = getattr(body[0], "data-tip")
    assert tip.startswith("全市 政务数据共享率 89.9%")
    assert "口径：共享类型为无条件共享或有条件共享的目录条目数 ÷ 目录条目总数" in tip
    assert "依据：政务信息资源共享管理暂行办法（国发〔2016〕51号）" in tip and "目标依据：示范市三年行动方案" in tip
    assert "数据截至：2026年11月22日 09:15" in tip and "全市 · 目标 95%" in texts(body)


def test_district_view_tiles_and_panels_show_the_districts_numbers(wall, rt):
    """view=district:D2: the incident tiles, the side figures, the ticker and both heatmaps are D2's;
    the city programmes say 全市."""
    import re

    page = wall.layout(view="district:D2")
    blocks = {c.id: c.html for c in find(page, lambda c: type(c).__name__ == "HtmlBlock" and isinstance(c.id, str))}
    by_district = rt.store.frame("incidents", "by_district").set_index("district_id")
    summary = rt.store.frame("incidents", "summary_by_district")
    d2_today = summary[(summary["district_id"] == "D2") & (summary["period"] == "今日")].iloc[0]
    city_today = rt.store.frame("incidents", "summary").set_index("period").loc["今日"]
    assert d2_today["open_all"] != city_today["open_all"]  # the check below tells the two apart
    assert f">{int(d2_today['open_all'])}<" in blocks[IDS["kpi"]["today"]]
    assert blocks[IDS["scope"]["kpi-today"]] == "西城区" and blocks[IDS["scope"]["hour_weekday"]] == "西城区 · 近30日"
    assert re.search(rf"近30日事件</span><b>{int(by_district.at['D2', 'incidents_30d'])}<", blocks[IDS["districts"]])
    ticker = blocks[IDS["ticker"]]
    assert "西城区" in ticker and "东湖区" not in ticker
    graphs = {g.id: g.figure for g in find(page, lambda c: type(c).__name__ == "Graph")}
    hw = np.array(graphs[IDS["graph"]["hour_weekday"]]["data"][0]["z"])
    assert hw.sum() == by_district.at["D2", "incidents_30d"]
    titles = texts(find(page, lambda c: "cw-panel-subtitle" in (getattr(c, "className", "") or "")))
    assert "全市" in titles  # sharing, cloud, targets: city programmes


def test_district_view_panels_link_to_the_drill_down_of_that_district(wall, rt):
    """view=district:D2: every panel, tile and heatmap cell opening /incidents carries region=D2 (the
    programme pages stay city-wide); in the city view none does."""
    def incident_links(page):
        hrefs = [getattr(c, "data-href", "") for c in find(page, lambda c: hasattr(c, "data-href"))]
        hrefs += [c.href for c in find(page, lambda c: getattr(c, "className", "") == "cw-panel-title")]
        graphs = {g.id: g.figure for g in find(page, lambda c: type(c).__name__ == "Graph")}
        cells = graphs[IDS["graph"]["hour_weekday"]]["data"][0]["customdata"]
        return [h for h in hrefs if h.startswith("/incidents")], [h for row in cells for h in row]

    panels, cells = incident_links(wall.layout(view="district:D2"))
    assert len(panels) >= 6 and all("region=D2" in h for h in panels), panels
    assert all(h.startswith("/incidents?region=D2&weekday=") for h in cells)
    panels, cells = incident_links(wall.layout())
    assert panels and not any("region=" in h for h in panels + cells)



def test_every_day_of_the_exchange_trend_hovers_with_its_kou_jing():
    """Each day's point of 近30日交换量 ends its hover with the indicator's 口径, period, document and as-of."""
    from layouts import tips

    daily = pd.DataFrame({"date": pd.date_range("2026-11-02", "2026-12-01"), "records": 1000, "api_calls": 50})
    note = tips.plotly_lines("exchange_records", today=date(2026, 12, 1), days=fb.EXCHANGE_DAYS,
                             as_of=pd.Timestamp("2026-12-01 09:15"))
    fig = charts.exchange_trend(daily, today=date(2026, 12, 1), hover_note=note)
    assert len(fig.data) == 2  # records and API calls
    for trace in fig.data:
        assert "口径：" in trace.hovertemplate and "统计期：" in trace.hovertemplate
        assert "依据：" in trace.hovertemplate and "数据截至：2026年12月1日 09:15" in trace.hovertemplate
