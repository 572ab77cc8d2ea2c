"""The wall's map (一张图): districts from the city's GeoJSON, the density raster and its PNG, focus,
tiles, the SVG layer's projection, all on a hand-made two-district city; what the figure carries,
not pixels.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import selections as sel
from layouts import figure_base as fb
from layouts import map_figure as mapfig
from layouts import map_projection as mproj
from layouts import raster
from layouts import theme
from tests.components import by_district_frame, square


# ---- 一张图 -----------------------------------------------------------------------------------------------

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
