"""The wall read from 5 m, without a browser: the one type scale (theme.py and wall.css agree), the
``city.text_scale`` setting, every figure font at or over the minimums, fewer and bigger items when
the text grows, ticker rows from earlier days with their date, the map legend's band kept clear of a
district in focus, and district names placed without overlaps on the real 长沙 and 景德镇 GeoJSON."""
from __future__ import annotations

import re
from datetime import date, datetime
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import formatting as fmt
from dashboard.geo import load_geography
from dashboard.settings import SettingsError, load_settings
from layouts import components as cx
from layouts import chart_figures as charts
from layouts import figure_base as fb
from layouts import map_figure as mapfig
from layouts import map_projection as mproj
from layouts import map_labels as ml
from layouts import theme
from layouts.wall_canvas import wall_geometry
from layouts.wall_panels import map_list_width, plot_size
from tests.components import texts

CSS = Path(__file__).resolve().parents[1] / "assets" / "wall.css"


def test_css_type_scale_is_the_theme_type_scale():
    css = CSS.read_text(encoding="utf-8")
    steps = dict(re.findall(r"--fs-(\w+): calc\((\d+(?:\.\d+)?) \* var\(--tu\)\)", css))
    assert {k: float(v) for k, v in steps.items()} == {k: float(v) for k, v in theme.TYPE_SCALE.items()}
    assert "--tu: calc(var(--s, 1) * var(--ts, 1) * 1px)" in css
    # no HTML text is sized off the type scale below a label: every small literal size is gone
    literal = [float(n) for n in re.findall(r"font-size: calc\((\d+(?:\.\d+)?) \* var\(--u\)\)", css)]
    assert literal and min(literal) >= theme.LABEL_PX * 1.25  # big numbers only (they stay over the minimum at 1.25)


def write_config(tmp_path, text: str) -> Path:
    config = tmp_path / "city.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_text_scale_setting(tmp_path):
    assert load_settings(write_config(tmp_path, "[city]\n"), environ={}).city.text_scale == 1.0
    assert load_settings(write_config(tmp_path, "[city]\ntext_scale = 1.25\n"), environ={}).city.text_scale == 1.25
    assert load_settings(write_config(tmp_path, "[city]\n"),
                         environ={"CITYWALL_CITY__TEXT_SCALE": "1.1"}).city.text_scale == 1.1
    for bad, reason in (("0.8", "必须 ≥ 1.0"), ("2", "必须 ≤ 1.25"), ('"大"', "应为数字"), ("nan", "必须 ≤ 1.25")):
        with pytest.raises(SettingsError) as info:
            load_settings(write_config(tmp_path, f"[city]\ntext_scale = {bad}\n"), environ={})
        assert "city.text_scale" in str(info.value) and reason in str(info.value), str(info.value)


def _fonts(node, path=""):
    """(path, size) of every font size in a figure's JSON: tickfont sizes are axis ticks."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "size" and path.rsplit(".", 1)[-1] in ("font", "tickfont", "textfont"):
                for size in (value if isinstance(value, list) else [value]):
                    yield path, float(size)
            else:
                yield from _fonts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _fonts(item, path)


@pytest.mark.parametrize("scale, text_scale", [(1.0, 1.0), (2.0, 1.0), (1.0, 1.25)])
def test_every_figure_font_meets_the_minimums(scale, text_scale, geography):
    days = pd.date_range("2026-10-01", periods=60, freq="D")
    daily = pd.DataFrame({"date": days, "records": np.arange(60) * 1000 + 5, "api_calls": np.arange(60) * 10})
    months = pd.date_range("2024-01-01", periods=48, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": np.arange(48) * 6, "actual_cum": np.arange(48) * 5,
                           "total": 329})
    hw = pd.DataFrame([(d, h, d * h) for d in range(7) for h in range(24)], columns=["weekday", "hour", "incidents"])
    regions = pd.DataFrame({"region_id": ["D1", "D2"], "name": ["东湖区", "西城区"], "level": ["区县", "区县"]})
    cd = pd.DataFrame({"category": ["市容环境", "市容环境", "交通出行"], "district_id": ["D1", "D2", "D1"],
                       "incidents": [120, 30, 7]})
    by_district = pd.DataFrame({"district_id": ["D1", "D2"], "incidents_30d": [120, 30]})
    size = dict(scale=scale, text_scale=text_scale)
    figures = [charts.exchange_trend(daily, width=436 * scale, height=134 * scale, **size),
               charts.migration_burnup(burnup, 0.9, today=date(2026, 12, 1), width=436 * scale, height=134 * scale, **size),
               charts.hour_weekday_heatmap(hw, width=390 * scale, height=250 * scale, **size),
               charts.category_district_heatmap(cd, regions, width=400 * scale, height=250 * scale, **size),
               mapfig.incident_map(by_district, None, geography, width=700 * scale, height=480 * scale, **size),
               mapfig.incident_map(by_district, None, geography, focus="D2", width=700 * scale, height=480 * scale, **size),
               fb.empty_figure(400 * scale, 200 * scale, **size)]
    unit = scale * text_scale
    found = []
    for fig in figures:
        for path, px in _fonts({k: v for k, v in fig.to_plotly_json()["layout"].items() if k != "template"}):
            minimum = (theme.TICK_PX if path.endswith("tickfont") else theme.LABEL_PX) * unit
            assert px >= minimum - 1e-9, (path, px, minimum)
            found.append(path)
        for path, px in _fonts(fig.to_plotly_json()["data"], ".data"):
            minimum = (theme.TICK_PX if path.endswith("tickfont") else theme.LABEL_PX) * unit
            assert px >= minimum - 1e-9, (path, px, minimum)
            found.append(path)
    assert any(p.endswith("tickfont") for p in found) and any(p.endswith("textfont") for p in found)


def test_heatmap_shows_cell_values_only_where_they_fit():
    regions = pd.DataFrame({"region_id": [f"D{i}" for i in range(7)], "name": [f"区{i}" for i in range(7)],
                            "level": ["区县"] * 7})
    small = pd.DataFrame({"category": ["市容环境"] * 7, "district_id": regions["region_id"], "incidents": [12] * 7})
    large = small.assign(incidents=[12_345_678] * 7)
    assert charts.category_district_heatmap(small, regions, width=400, height=250).data[0].texttemplate
    assert not charts.category_district_heatmap(large, regions, width=400, height=250).data[0].texttemplate
    # bigger text, fewer rows: a row is 1.5 label lines
    many = pd.DataFrame({"category": [f"类{i}" for i in range(12)], "district_id": ["D0"] * 12,
                         "incidents": range(12, 0, -1)})
    rows = [len(charts.category_district_heatmap(many, regions, width=400, height=250, text_scale=t).data[0].y)
            for t in (1.0, 1.25)]
    assert rows[0] > rows[1] >= 3


def test_bigger_text_shows_fewer_rows():
    assert theme.rows_that_fit(222, theme.LABEL_PX, 1.0) > theme.rows_that_fit(222, theme.LABEL_PX, 1.0, 1.25)
    assert theme.rows_that_fit(444, theme.LABEL_PX, 2.0) == theme.rows_that_fit(222, theme.LABEL_PX, 1.0)
    assert theme.font_px(theme.LABEL_PX, 2.0) == 32 and theme.font_px(theme.TICK_PX, 2.0) == 28


def test_clock_shows_the_date_of_any_other_day():
    today = date(2026, 12, 1)
    assert fmt.clock(datetime(2026, 12, 1, 9, 5), today) == "09:05"
    assert fmt.clock(datetime(2026, 11, 30, 14, 5), today) == "11-30 14:05"
    assert fmt.clock(pd.Timestamp("2025-12-31 23:59"), today) == "2025-12-31 23:59"
    assert fmt.clock(None, today) == fmt.MISSING


def test_ticker_rows_from_yesterday_show_their_date():
    latest = pd.DataFrame({"incident_id": ["A3", "A2", "A1"], "category": ["噪声扰民", "市容环境", "交通出行"],
                           "reported_at": pd.to_datetime(["2026-12-01 08:15", "2026-11-30 23:47", "2026-11-29 14:05"]),
                           "status": ["受理", "处置中", "已办结"], "district_id": ["D1", "D2", "D1"],
                           "source": ["12345热线", "网格巡查", "110"]})
    rows = cx.ticker_rows(latest, {"D1": "东湖区", "D2": "西城区"}, today=date(2026, 12, 1))
    times = [texts(r.children[0]) for r in rows]
    assert times == ["08:15", "11-30 23:47", "11-29 14:05"]
    assert "is-earlier" not in rows[0].children[0].className and "is-earlier" in rows[1].children[0].className
    assert "12345热线" in getattr(rows[0], "data-tip")  # the source moved into the row's hover: four columns at 18 px


def test_a_district_in_focus_stays_above_the_map_legend(geography):
    """A low map (300 px): the focus padding alone (13 % of the height) is less than the legend."""
    for text_scale in (1.0, 1.25):
        fig = mapfig.incident_map(pd.DataFrame({"district_id": ["D1"], "incidents_30d": [5]}), None, geography,
                              focus="D1", width=700, height=300, text_scale=text_scale)
        focus = next(t for t in fig.data if t.line.color == theme.WARN)
        y0, y1 = fig.layout.yaxis.range
        lowest_px = (y1 - np.nanmin(np.asarray(focus.y, dtype=float))) / (y1 - y0) * 300
        assert lowest_px < 300 - mapfig.legend_band(1.0, text_scale), (text_scale, lowest_px)


# ---- district names without overlaps -----------------------------------------------------------

def test_place_labels_moves_a_crowded_label_with_a_leader_and_drops_what_cannot_fit():
    big = ml.Label("A", "岳麓区", 100, 100, 16, weight=10)
    small = ml.Label("B", "天心区", 104, 102, 16, weight=1)
    first, second = ml.place_labels((small, big), 400, 300)
    assert (first.key, first.moved, (first.x, first.y)) == ("A", False, (100, 100))  # the larger keeps its anchor
    assert second.key == "B" and second.moved and not ml.overlaps(first.box, second.box)
    end = ml.leader_end((104, 102), second.box)
    assert second.box[0] - 1e-6 <= end[0] <= second.box[2] + 1e-6 and second.box[1] - 1e-6 <= end[1] <= second.box[3] + 1e-6
    assert end[0] in (pytest.approx(second.box[0]), pytest.approx(second.box[2])) or \
        end[1] in (pytest.approx(second.box[1]), pytest.approx(second.box[3]))  # on the box's edge
    crowd = tuple(ml.Label(str(i), "开福区", 20, 12, 16) for i in range(6))
    assert len(ml.place_labels(crowd, 90, 60)) < 6  # no room: the rest stay in their hovers


@pytest.fixture
def geo_dir(shared_data) -> Path:
    return shared_data / "geo"


def _geography(tmp_path, geojson: Path):
    config = write_config(tmp_path, f'[city]\nname = "测试市"\n[city.geo]\ndistricts = "{geojson}"\nid_property = "adcode"\n')
    return load_geography(load_settings(config, environ={}))


def _label_boxes(fig, width, height):
    """Each drawn name's box in plot px, from the figure's names trace."""
    names = next(t for t in fig.data if t.name == "区县名称")
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    boxes = []
    for x, y, text, size in zip(names.x, names.y, names.text, names.textfont.size):
        px, py = (x - x0) / (x1 - x0) * width, (y1 - y) / (y1 - y0) * height
        boxes.append((text, ml.label_box(text.replace("<b>", "").replace("</b>", ""), size, px, py)))
    return boxes


@pytest.mark.parametrize("city, crowded", [("430100.json", {"芙蓉区", "天心区", "开福区", "雨花区"}),
                                           ("360200.json", {"昌江区", "珠山区"})])
@pytest.mark.parametrize("canvas, text_scale", [((1920, 1080), 1.0), ((3840, 2160), 1.0), ((1920, 1080), 1.25)])
def test_district_names_never_overlap_on_real_geojson(tmp_path, geo_dir, city, crowded, canvas, text_scale):
    geography = _geography(tmp_path, geo_dir / city)
    geo = wall_geometry(canvas)
    w, h = plot_size(geo["map"], geo["s"], text_scale)
    width = w - map_list_width(geo["s"])
    fig = mapfig.incident_map(None, None, geography, width=width, height=h, scale=geo["s"], text_scale=text_scale)
    boxes = _label_boxes(fig, width, h)
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        assert not ml.overlaps(box_a, box_b), (a, b)
    assert all(0 <= b[0] and 0 <= b[1] and b[2] <= width and b[3] <= h for _, b in boxes)
    drawn = {t.replace("<b>", "").replace("</b>", "") for t, _ in boxes}
    names = set(geography.regions["name"])
    assert len(drawn) >= len(names) - 2 and drawn <= names  # at most two small ones left to their hover
    # the names drawn at their centroids, as before, would collide: the placement is what separates them
    regions = geography.regions.set_index("name")
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    svg = mproj.svg_layer(geography.layer("区县"))
    naive = []
    for name in crowded:
        x, y = svg.project(regions.loc[name, "lon"], regions.loc[name, "lat"])
        px, py = (float(x) - x0) / (x1 - x0) * width, (y1 - float(y)) / (y1 - y0) * h
        naive.append(ml.label_box(name, theme.font_px(theme.LABEL_PX, geo["s"], text_scale), px, py))
    assert any(ml.overlaps(a, b) for a, b in combinations(naive, 2))
    # every name drawn off its centroid has a leader line back to it, and only those
    names_trace = next(t for t in fig.data if t.name == "区县名称")
    moved = 0
    for x, y, text in zip(names_trace.x, names_trace.y, names_trace.text):
        cx, cy = svg.project(regions.loc[text[3:-4], "lon"], regions.loc[text[3:-4], "lat"])
        moved += abs(float(cx) - x) > 1e-3 * (x1 - x0) or abs(float(cy) - y) > 1e-3 * (y1 - y0)
    leaders = next(t for t in fig.data if t.name == "区县名称引线")
    assert moved >= 1 and sum(1 for v in leaders.x if v is None) == moved


def _square(lon, lat, size):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_crowded_names_move_with_a_line_to_their_district_on_both_maps():
    from dashboard.geo import Geography

    shapes = {"D1": (113.0, 28.0, 0.3), "D2": (113.148, 28.148, 0.004), "D3": (113.152, 28.152, 0.004)}
    features = [{"type": "Feature", "id": rid, "properties": {"name": name}, "geometry": _square(*shape)}
                for (rid, shape), name in zip(shapes.items(), ("宁乡市", "芙蓉区", "天心区"))]
    regions = pd.DataFrame({"region_id": list(shapes), "name": ["宁乡市", "芙蓉区", "天心区"], "level": ["区县"] * 3,
                            "parent_id": [None] * 3, "lon": [113.1, 113.15, 113.154], "lat": [28.1, 28.15, 28.154]})
    geography = Geography({"区县": {"type": "FeatureCollection", "features": features}}, regions, (113.0, 28.0, 113.3, 28.3))
    svg = mapfig.incident_map(None, None, geography, width=700, height=480)
    leaders, names = svg.data[-2:]
    assert len(names.text) == 3 and sum(v is None for v in leaders.x) >= 1
    tiles = mapfig.incident_map(None, None, geography, tiles="http://10.0.0.5/{z}/{x}/{y}.png", width=700, height=480)
    notes = {n.text: n for n in tiles.layout.annotations}
    assert set(notes) == {"<b>宁乡市</b>", "<b>芙蓉区</b>", "<b>天心区</b>"}
    assert not notes["<b>宁乡市</b>"].showarrow  # the largest keeps its centroid
    moved = [n for n in notes.values() if n.showarrow]
    assert moved and all(abs(n.ax) + abs(n.ay) > 5 for n in moved)  # a line back to the centroid
