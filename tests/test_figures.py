"""The wall's pure parts: figure builders, components and helpers, on small frames built by hand.

Each test draws from frames shaped like dashboard/frames.py publishes them and asserts on what the
figure carries (traces, values, labels, hovers), not on pixels. The last tests render the whole
wall layout and run the poll callback over a memory frame store.
"""
from __future__ import annotations

import time
from datetime import date, datetime

import dash
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html, no_update

from dashboard import runtime
from dashboard.geo import Geography
from dashboard.settings import Settings
from dashboard.store import DatasetStatus, MemoryFrameStore
from dashboard.targets import LAGGING, MET, ON_TRACK, OVERDUE
from layouts import components as cx
from layouts import figures as fg
from layouts import theme

W, H = 400, 240


# ---- helpers -----------------------------------------------------------------------------------------

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


def annotation_texts(fig: go.Figure) -> str:
    return " ".join(a.text or "" for a in fig.layout.annotations)


def is_no_data(fig: go.Figure) -> bool:
    return not fig.data and fg.NO_DATA in annotation_texts(fig) or "暂无地图数据" in annotation_texts(fig)


def square(x0, y0, size=0.1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]}


@pytest.fixture
def geography() -> Geography:
    features = [{"type": "Feature", "id": "D1", "properties": {"name": "东湖区"}, "geometry": square(113.0, 28.0)},
                {"type": "Feature", "id": "D2", "properties": {"name": "西城区"}, "geometry": square(113.1, 28.1)}]
    regions = pd.DataFrame({"region_id": ["D1", "D2"], "name": ["东湖区", "西城区"], "level": ["区县", "区县"],
                            "parent_id": [None, None], "lon": [113.05, 113.15], "lat": [28.05, 28.15]})
    return Geography({"区县": {"type": "FeatureCollection", "features": features}}, regions, (113.0, 28.0, 113.2, 28.2))


@pytest.fixture
def departments() -> pd.DataFrame:
    ids = [f"D{i:02d}" for i in range(1, 13)]
    return pd.DataFrame({"dept_id": ids, "name": [f"第{i}局全称" for i in range(1, 13)],
                         "short_name": [f"第{i}局" for i in range(1, 13)], "kind": "委办局"})


@pytest.fixture
def by_dept() -> pd.DataFrame:
    # D01 best … D12 worst; D06 has no catalog rows (no rate) and must be left out
    rates = [0.99, 0.95, 0.93, 0.90, 0.88, None, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30]
    ids = [f"D{i:02d}" for i in range(1, 13)]
    frame = pd.DataFrame({"dept_id": ids, "resources": [100] * 12, "sharing_rate": rates})
    frame["shared"] = (frame["sharing_rate"].fillna(0) * 100).astype(int)
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)  # order must not matter


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame([
        {"target_id": "p:sharing_rate", "indicator_id": "sharing_rate", "name": "政务数据共享率", "level": "市", "unit": "%",
         "target": 0.95, "deadline": pd.Timestamp("2027-12-31"), "comparator": ">=", "source_doc": "示范市三年行动方案",
         "binding": True, "preset": "自定", "current": 0.9, "forecast": 0.96, "status": ON_TRACK},
        {"target_id": "s:gov", "indicator_id": "gov_aggregation_rate", "name": "政务数据汇聚率", "level": "省", "unit": "%",
         "target": 0.8, "deadline": pd.Timestamp("2021-12-31"), "comparator": ">=", "source_doc": "陕政办发〔2018〕47号",
         "binding": True, "preset": "陕西省-2021", "current": 0.83, "forecast": None, "status": MET},
        {"target_id": "s:six", "indicator_id": "six_ones", "name": "\"六个一\"基础工程", "level": "省", "unit": "项",
         "target": 6.0, "deadline": pd.Timestamp("2021-12-31"), "comparator": ">=", "source_doc": "陕政办发〔2018〕47号",
         "binding": True, "preset": "陕西省-2021", "current": 5.0, "forecast": None, "status": OVERDUE},
        {"target_id": "j:cloud", "indicator_id": "cloud_migration_rate", "name": "非涉密政务信息系统上云率", "level": "市",
         "unit": "%", "target": 0.8, "deadline": pd.Timestamp("2022-12-31"), "comparator": ">=",
         "source_doc": "济源新型智慧城市建设指导意见", "binding": True, "preset": "济源-2022", "current": 0.76,
         "forecast": 0.7, "status": OVERDUE},
        {"target_id": "c:cloud", "indicator_id": "cloud_migration_rate", "name": "非涉密政务信息系统上云率", "level": "市",
         "unit": "%", "target": 0.9, "deadline": pd.Timestamp("2027-06-30"), "comparator": ">=",
         "source_doc": "示范市三年行动方案", "binding": True, "preset": "自定", "current": 0.76, "forecast": 0.8,
         "status": LAGGING},
    ])


# ---- empty and missing frames ---------------------------------------------------------------------------

EMPTY = pd.DataFrame()


@pytest.mark.parametrize("build", [
    lambda f: fg.sharing_gauge(f, 0.9, width=W, height=H),
    lambda f: fg.dept_ranking(f, None, width=W, height=H),
    lambda f: fg.exchange_trend(f, width=W, height=H),
    lambda f: fg.cloud_ring(f, width=W, height=H),
    lambda f: fg.dept_migration_stack(f, None, width=W, height=H),
    lambda f: fg.migration_burnup(f, width=W, height=H),
    lambda f: fg.hour_weekday_heatmap(f, width=W, height=H),
    lambda f: fg.category_district_heatmap(f, None, width=W, height=H),
    lambda f: fg.target_bullets(f, width=W, height=H),
    lambda f: fg.incident_map(f, f, None, width=W, height=H),
])
@pytest.mark.parametrize("frame", [None, EMPTY, pd.DataFrame({"unrelated": [1]})])
def test_missing_or_empty_frames_say_no_data(build, frame):
    fig = build(frame)
    assert isinstance(fig, go.Figure)
    assert is_no_data(fig)
    assert fig.layout.width == W and fig.layout.height == H and fig.layout.uirevision


def test_rate_of_none_is_no_data():
    assert is_no_data(fg.sharing_gauge(pd.DataFrame({"sharing_rate": [None]}), 0.9, width=W, height=H))


def test_map_without_district_layer_is_no_data(geography):
    empty_geo = Geography()
    assert is_no_data(fg.incident_map(None, None, empty_geo, width=W, height=H))


# ---- 数据共享 -------------------------------------------------------------------------------------------

def test_ranking_shows_best_and_worst_in_order(by_dept, departments):
    best, worst, total = fg.ranking_rows(by_dept, departments, n=3)
    assert total == 11  # D06 has no rate
    assert list(best["dept_id"]) == ["D01", "D02", "D03"]
    assert list(worst["dept_id"]) == ["D10", "D11", "D12"]
    assert list(worst["rank"]) == [9, 10, 11]

    fig = fg.dept_ranking(by_dept, departments, n=3, width=W, height=H)
    top, bottom = fig.data
    assert list(top.y) == ["1  第1局", "2  第2局", "3  第3局"]
    assert list(bottom.y) == ["9  第10局", "10  第11局", "11  第12局"]
    assert list(top.x) == pytest.approx([0.99, 0.95, 0.93])
    assert list(bottom.x) == pytest.approx([0.5, 0.4, 0.3])
    assert list(top.text) == ["99.0%", "95.0%", "93.0%"]
    # rank 1 drawn at the top, the worst at the bottom, a gap row between the two groups
    assert fig.layout.yaxis.autorange == "reversed"
    assert list(fig.layout.yaxis.categoryarray) == list(top.y) + ["⋯"] + list(bottom.y)
    # a click opens the department's drill-down
    assert top.customdata[0][0] == "/department/D01"
    assert "共享率" in top.hovertemplate and "%{customdata" in top.hovertemplate


def test_ranking_with_few_departments_lists_them_once(by_dept, departments):
    few = by_dept[by_dept["dept_id"].isin(["D01", "D02", "D06", "D09", "D12"])]
    best, worst, total = fg.ranking_rows(few, departments, n=5)
    assert total == len(best) == 4 and worst.empty  # D06 has no rate
    assert len(fg.dept_ranking(few, departments, n=5, width=W, height=H).data) == 1


def test_ranking_falls_back_to_ids_without_departments(by_dept):
    fig = fg.dept_ranking(by_dept, None, n=2, width=W, height=H)
    assert fig.data[0].y[0] == "1  D01"


def test_sharing_gauge_against_target():
    summary = pd.DataFrame({"sharing_rate": [0.876], "unconditional": [700], "conditional": [176], "not_shared": [124],
                            "resources": [1000]})
    fig = fg.sharing_gauge(summary, 0.95, deadline=pd.Timestamp("2027-12-31"), width=W, height=H)
    gauge = fig.data[0]
    assert gauge.type == "indicator" and gauge.value == pytest.approx(87.6)
    assert gauge.gauge.threshold.value == pytest.approx(95.0)
    notes = annotation_texts(fig)
    assert "95.0%" in notes and "2027年12月31日" in notes and "7.4" in notes  # gap in percentage points
    assert "无条件共享" in notes and "700" in notes and "不予共享" in notes
    met = fg.sharing_gauge(summary.assign(sharing_rate=0.97), 0.95, width=W, height=H)
    assert "已达标" in annotation_texts(met)


def test_target_for_picks_the_next_deadline_else_the_latest(targets):
    assert fg.target_for(targets, "cloud_migration_rate", date(2026, 11, 22))["target"] == 0.9
    assert fg.target_for(targets, "cloud_migration_rate", date(2028, 1, 1))["target_id"] == "c:cloud"
    assert fg.target_for(targets, "cloud_migration_rate", date(2022, 1, 1))["target"] == 0.8
    assert fg.target_for(targets, "network_rate", date(2026, 1, 1)) is None
    assert fg.target_for(None, "sharing_rate") is None


def test_exchange_trend_draws_the_last_30_days():
    days = pd.date_range("2026-09-01", periods=60, freq="D")
    daily = pd.DataFrame({"date": days, "records": np.arange(60) * 1000 + 5, "api_calls": np.arange(60) * 10})
    fig = fg.exchange_trend(daily.sample(frac=1, random_state=1), 30, width=W, height=H)
    records, calls = fig.data
    assert len(records.x) == 30 and pd.Timestamp(records.x[0]) == days[30] and pd.Timestamp(records.x[-1]) == days[-1]
    assert records.y[-1] == 59005 and calls.yaxis == "y2"
    assert "交换记录" in records.hovertemplate and "11月" in records.customdata[-1][0] or "10月" in records.customdata[-1][0]
    assert "近30日合计" in annotation_texts(fig)


def test_nice_ticks_and_tick_text():
    assert fg.nice_ticks(3_120_000, 3) == [0, 2_000_000, 4_000_000]
    assert fg.nice_ticks(95, 4) == [0, 25, 50, 75, 100]
    assert fg.nice_ticks(0) == [0.0, 1.0]
    assert fg.tick_text(3_000_000) == "300万" and fg.tick_text(2_500) == "2,500" and fg.tick_text(2e8) == "2亿"
    assert fg.tick_text(250_000) == "25万"


# ---- 一张图 -----------------------------------------------------------------------------------------------

def by_district_frame() -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["D2", "D1", "未知区域"], "incidents_30d": [30, 120, 4], "open": [3, 10, 1],
                         "overdue": [1, 4, 0], "today": [2, 5, 0], "closure_rate_30d": [0.9, 0.92, 0.75]})


def test_map_draws_districts_from_the_citys_geojson(geography):
    grid = pd.DataFrame({"region_id": ["G1", "G2"], "district_id": ["D1", "D2"], "incidents_30d": [100, 20],
                         "lon": [113.05, 113.15], "lat": [28.05, 28.04]})
    fig = fg.incident_map(by_district_frame(), grid, geography, width=700, height=480)
    districts, density = fig.data
    assert districts.type == "choroplethmap" and density.type == "densitymap"
    sent = districts.geojson  # the same GeoJSON, rings as arrays (one orjson call each when serialized)
    original = geography.layer("区县")
    assert [f["id"] for f in sent["features"]] == [f["id"] for f in original["features"]]
    assert np.allclose(sent["features"][1]["geometry"]["coordinates"][0], original["features"][1]["geometry"]["coordinates"][0])
    import orjson  # noqa: PLC0415

    assert orjson.loads(fig.to_json())["data"][0]["geojson"]["features"][0]["geometry"]["coordinates"][0][0] == [113.0, 28.0]
    assert list(districts.locations) == ["D1", "D2"] and list(districts.z) == [120, 30]
    assert districts.customdata[0][0] == "/district/D1" and districts.customdata[0][1] == "东湖区"
    assert "近30日事件" in districts.hovertemplate
    assert list(density.z) == [100, 20]
    # labels are SVG annotations (MapLibre text would need a glyph server), one per district, inside the map
    labels = [a.text for a in fig.layout.annotations]
    assert labels == ["<b>东湖区</b>", "<b>西城区</b>"]
    assert all(0 < a.x < 1 and 0 < a.y < 1 for a in fig.layout.annotations)
    assert fig.layout.map.center.lon == pytest.approx(113.1) and fig.layout.uirevision == "map:city"


def test_map_style_requests_nothing_off_host(geography):
    fig = fg.incident_map(by_district_frame(), None, geography, width=700, height=480)
    style = fig.layout.map.style
    assert isinstance(style, dict) and style["sources"]  # never empty: plotly.js would drop it on an update
    assert all("url" not in src and "tiles" not in src for src in style["sources"].values())
    assert "glyphs" not in style and "sprite" not in style
    assert "http" not in str(fig.to_plotly_json()["layout"]["map"])
    tiled = fg.map_style("http://10.0.0.5/tiles/{z}/{x}/{y}.png")
    assert tiled["sources"]["citywall-tiles"]["tiles"] == ["http://10.0.0.5/tiles/{z}/{x}/{y}.png"]
    assert [layer["type"] for layer in tiled["layers"]] == ["background", "raster"]
    assert tiled["layers"][1]["source"] == "citywall-tiles"


def test_map_uses_density_bins_where_there_are_no_grids(geography):
    density = pd.DataFrame({"lon": [113.01, 113.11, 113.12], "lat": [28.01, 28.02, 28.03], "incidents": [5, 7, 9]})
    fig = fg.incident_map(by_district_frame(), pd.DataFrame(), geography, density=density, width=700, height=480)
    assert fig.data[1].type == "densitymap" and list(fig.data[1].z) == [5, 7, 9]


def test_map_focus_zooms_to_the_district_and_dims_the_rest(geography):
    city = fg.incident_map(by_district_frame(), None, geography, width=700, height=480)
    focus = fg.incident_map(by_district_frame(), None, geography, focus="D2", width=700, height=480)
    assert focus.layout.map.zoom > city.layout.map.zoom
    assert focus.layout.map.center.lon == pytest.approx(113.15)
    assert list(focus.data[0].marker.opacity) == [0.35, 1.0]
    assert focus.layout.uirevision == "map:D2" != city.layout.uirevision
    # an unknown district falls back to the city view
    assert fg.incident_map(by_district_frame(), None, geography, focus="XX", width=700, height=480).layout.uirevision == "map:city"


def test_projection_centre_and_direction():
    assert fg.project(113.1, 28.05, (113.1, 28.05), 10, 700, 480) == pytest.approx((0.5, 0.5))
    x, y = fg.project(113.2, 28.1, (113.1, 28.05), 10, 700, 480)
    assert x > 0.5 and y > 0.5  # east is right, north is up


def test_parse_view():
    assert fg.parse_view("district:430902") == "430902"
    assert fg.parse_view("city") is None and fg.parse_view(None) is None and fg.parse_view("district:") is None


# ---- 上云进度 ----------------------------------------------------------------------------------------------

def systems_summary(rate=0.6) -> pd.DataFrame:
    return pd.DataFrame([{"nonclassified": 100, "已上云": 60, "迁移中": 20, "未迁移": 15, "暂缓": 5,
                          "exempt_approved": 4, "behind_plan": 7, "cloud_migration_rate": rate}])


def test_cloud_ring_against_target():
    fig = fg.cloud_ring(systems_summary(), 0.8, width=W, height=150)
    track, ring = fig.data
    assert list(ring.labels) == ["已上云", "迁移中", "未迁移", "暂缓"] and list(ring.values) == [60, 20, 15, 5]
    assert track.values[0] == pytest.approx(0.8)  # the target tick sits at 80% of the circle
    assert ring.direction == track.direction == "clockwise" and ring.sort is False
    notes = annotation_texts(fig)
    assert "60.0%" in notes and "80%" in notes and "20.0" in notes and "逾期未迁" in notes


def test_dept_migration_stack_shows_laggards(departments):
    frame = pd.DataFrame({"dept_id": ["D01", "D02", "D03", "D04"], "未迁移": [1, 5, 0, 3], "迁移中": [1, 0, 0, 1],
                          "已上云": [8, 1, 4, 1], "暂缓": [0, 1, 0, 0]})
    frame["total"] = frame[["未迁移", "迁移中", "已上云", "暂缓"]].sum(axis=1)
    frame["cloud_migration_rate"] = frame["已上云"] / frame["total"]
    fig = fg.dept_migration_stack(frame, departments, n=3, width=W, height=H)
    assert [t.name for t in fig.data] == ["已上云", "迁移中", "未迁移", "暂缓"]
    assert list(fig.data[0].y) == ["第2局", "第4局", "第1局"]  # lowest rate first; D03 (100%) left out
    assert list(fig.data[2].x) == [5, 3, 1]
    assert fig.layout.barmode == "stack"


def test_burnup_stops_actuals_at_the_current_month():
    months = pd.date_range("2026-09-01", periods=6, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": [10, 20, 30, 40, 50, 60], "actual_cum": [8, 15, 25, 25, 25, 25],
                           "total": 80})
    fig = fg.migration_burnup(burnup, 0.8, today=date(2026, 11, 22), width=W, height=H)
    planned, actual = fig.data
    assert list(planned.y) == [10, 20, 30, 40, 50, 60]
    assert list(actual.y[:3]) == [8, 15, 25] and all(v is None for v in actual.y[3:])
    assert fig.layout.shapes[0].y0 == pytest.approx(64)  # 80% of 80 systems
    assert "80%目标" in annotation_texts(fig)


# ---- 事件 --------------------------------------------------------------------------------------------------

def test_hour_weekday_heatmap_matrix():
    hw = pd.DataFrame({"weekday": [0, 0, 6, 3], "hour": [0, 9, 23, 14], "incidents": [5, 7, 11, 2]})
    fig = fg.hour_weekday_heatmap(hw, width=W, height=H)
    z = np.array(fig.data[0].z)
    assert z.shape == (7, 24) and z.sum() == 25
    assert z[0, 0] == 5 and z[0, 9] == 7 and z[6, 23] == 11 and z[3, 14] == 2
    assert list(fig.data[0].y) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert fig.data[0].x[9] == "9时" and fig.layout.yaxis.autorange == "reversed"
    assert fig.data[0].customdata[3][14] == "/incidents?weekday=3&hour=14"
    assert "周日 23时" in annotation_texts(fig)  # the peak


def test_category_district_heatmap_matrix():
    cd = pd.DataFrame({"category": ["市容环境", "市容环境", "噪声扰民", "交通出行", "噪声扰民"],
                       "district_id": ["D2", "D1", "D1", "D2", "未知区域"], "incidents": [10, 4, 6, 1, 2]})
    regions = pd.DataFrame({"region_id": ["D1", "D2", "G1"], "name": ["东湖区", "西城区", "某网格"],
                            "level": ["区县", "区县", "网格"]})
    categories, districts, names, z = fg.category_district_matrix(cd, regions, max_categories=2)
    assert categories == ["市容环境", "噪声扰民"]  # largest totals first; 交通出行 dropped
    assert districts == ["D1", "D2", "未知区域"] and names == ["东湖区", "西城区", "未知区域"]
    assert z.tolist() == [[4, 10, 0], [6, 0, 2]]
    fig = fg.category_district_heatmap(cd, regions, width=W, height=H, max_categories=2, focus="D2")
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
    assert "一号网格" in rows[0].title
    assert texts(cx.ticker_rows(None)) == "暂无数据"


def test_district_list_ranks_districts(geography):
    rows = cx.district_list(by_district_frame(), {"D1": "东湖区", "D2": "西城区"}, focus="D2")
    links = find(rows, lambda c: getattr(c, "href", None) and "/district/" in c.href)
    assert [c.href for c in links] == ["/district/D1", "/district/D2"]
    assert "is-focus" in links[1].className and "154" in texts(rows)  # total of all districts


# ---- 目标指标 -------------------------------------------------------------------------------------------------

def test_target_bullets_one_per_target(targets):
    fig = fg.target_bullets(targets, width=620, height=250)
    track, actual, ticks, names_, statuses, values = fig.data
    assert len(track.base) == len(actual.x) == len(targets) == len(ticks.x) == len(names_.text) == len(values.text)
    # 省级 first, then by deadline
    names = [c[1] for c in actual.customdata]
    assert sorted(names[:2]) == sorted(["政务数据汇聚率", "\"六个一\"基础工程"]) and names[2] == "非涉密政务信息系统上云率"
    # status colour, source document and deadline on hover
    colors = dict(zip(names, actual.marker.color))
    assert colors["政务数据汇聚率"] == theme.GOOD and colors["\"六个一\"基础工程"] == theme.BAD
    assert "依据" in actual.hovertemplate
    docs = {c[1]: c[7] for c in actual.customdata}
    assert docs["政务数据汇聚率"] == "陕政办发〔2018〕47号"
    six = next(c for c in actual.customdata if c[1] == "\"六个一\"基础工程")
    assert six[3] == "5 项" and six[4] == "≥ 6 项" and six[5] == "2021年12月31日" and six[6] == OVERDUE
    notes = " ".join(statuses.text) + " ".join(values.text)
    assert "2021-12" in notes and "逾期未达标" in notes and "83.0%" in notes and "≥80.0%" in notes
    assert "政务数据汇聚率" in " ".join(names_.text)
    assert actual.customdata[0][0].startswith("/targets?target=")


def test_target_bullets_count_what_does_not_fit(targets):
    many = pd.concat([targets] * 6, ignore_index=True)
    fig = fg.target_bullets(many, width=620, height=140)
    shown = len(fig.data[1].x)
    assert shown < len(many)
    assert f"另有 {len(many) - shown} 项目标" in annotation_texts(fig)


def test_value_text_units():
    assert fg.value_text(0.8, "%") == "80.0%" and fg.value_text(6, "项") == "6 项"
    assert fg.value_text(None, "%") == "—" and fg.value_text(12, "小时") == "12.0 小时"


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
    assert counts == {"total": 5, MET: 1, ON_TRACK: 1, LAGGING: 1, OVERDUE: 2}
    tile = texts(cx.kpi_targets(targets))
    assert tile.startswith("1/5") and "逾期 2" in tile.replace(" · ", " ")


def test_stale_badge_for_a_failed_pull(wall):
    settings = Settings()
    now = time.time()
    statuses = {
        "catalog": DatasetStatus("catalog", 3, now - 7200, now - 60, error="连接超时"),
        "systems": DatasetStatus("systems", 2, now - 30, now - 30),
    }
    fresh = wall.freshness_map(settings, statuses, ("catalog", "systems", "incidents"), now)
    assert set(fresh) == {"catalog", "incidents"}  # failed, never published; systems is fresh
    assert fresh["catalog"]["b"] == "数据滞后 · 2 小时前" and "连接超时" in fresh["catalog"]["r"]
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
    """layouts.wall registers pages, which needs a Dash app with pages."""
    dash.Dash(__name__, use_pages=True, pages_folder="")
    import layouts.wall as wall_module  # noqa: PLC0415

    return wall_module


def _boxes(geo):
    return {k: v for k, v in geo.items() if isinstance(v, tuple) and len(v) == 4} | {
        f"kpi-{k}": v for k, v in geo["kpi"].items()}


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("canvas", [(1920, 1080), (3840, 2160), (7680, 2160), (2560, 1440)])
def test_geometry_fits_the_canvas_without_overlaps(wall, canvas):
    geo = wall.wall_geometry(canvas)
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
    small, big, wide = wall.wall_geometry((1920, 1080)), wall.wall_geometry((3840, 2160)), wall.wall_geometry((7680, 2160))
    assert big["s"] == 2 and small["s"] == 1
    for name, box in _boxes(small).items():
        assert _boxes(big)[name] == pytest.approx(tuple(2 * v for v in box), abs=2), name
    assert wide["ranking"][2] == big["ranking"][2]  # side columns keep their width
    assert wide["map"][2] > 2 * big["map"][2]  # the centre widens
    assert 44 <= 46 * small["s"]  # big KPI numbers (46 px in wall.css) readable from 5 m


def test_playlist_views(wall):
    districts = {"D1": "东湖区", "D2": "西城区"}
    views = wall.playlist_views(["city", "districts"], districts)
    assert [v["id"] for v in views] == ["city", "district:D1", "district:D2"]
    assert views[1]["label"] == "东湖区"
    assert [v["id"] for v in wall.playlist_views(["district:D2", "district:XX"], districts)] == ["district:D2"]
    assert wall.playlist_views([], districts) == [{"id": "city", "label": "全市"}]
    assert wall.valid_view("district:D1", districts) == "district:D1" and wall.valid_view("district:ZZ", districts) == "city"
    assert wall.view_label("district:D1", districts) == "当前视图：东湖区" and wall.view_label("city", districts) == "当前视图：全市"


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
    assert {g.id for g in graphs} == set(wall.IDS["graph"].values())
    for g in graphs:
        assert g.config["displayModeBar"] is False and g.config["responsive"] is False and g.figure["layout"]["uirevision"]
    by_id = {g.id: g.figure for g in graphs}
    assert [d["type"] for d in by_id["wall-g-map"]["data"]][0] == "choroplethmap"
    assert by_id["wall-g-map"]["layout"]["uirevision"] == "map:D2"  # the view from the URL
    stores = {s.id: s.data for s in find(page, lambda c: type(c).__name__ == "Store")}
    assert stores["wall-v-catalog"] == rt.store.status("catalog").version == 1
    assert stores["wall-v-systems"] == 0  # never published: drawn as 暂无数据 and marked stale
    assert "systems" in stores["wall-fresh"] and stores["wall-view"] == "district:D2"
    assert stores["wall-config"]["rotate"] == 20 and stores["wall-config"]["kiosk"] is True
    assert stores["wall-versions"]["incidents"] == 1
    stale_panels = find(page, lambda c: isinstance(getattr(c, "id", None), dict) and "is-stale" in (c.className or ""))
    assert {p.id["name"] for p in stale_panels} >= {"cloud", "migration", "burnup", "kpi-cloud", "targets"}
    assert not any(p.id["name"] == "hour_weekday" for p in stale_panels)  # incidents is fresh (no schedule)
    assert not find(page, lambda c: type(c).__name__ == "Loading")  # no spinner anywhere on the wall
    assert "东湖区" in texts(find(page, lambda c: getattr(c, "id", None) == wall.IDS["districts"]))


def test_layout_is_fast(wall, rt):
    wall.layout()  # warm the figure cache
    start = time.perf_counter()
    for _ in range(5):
        wall.layout()
    assert (time.perf_counter() - start) / 5 < 0.05


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
    assert "incidents" in out2[1] and "事件库不可达" in out2[1]["incidents"]["r"]  # … and marks it stale
    assert out2[3]["f"] != out[3]["f"]


def test_panel_redraw_reads_only_its_datasets(wall, rt):
    frames = wall.Frames(rt.store, ("incidents",))
    ctx = wall._context("city")
    fig = wall.render("panel", "hour_weekday", frames, ctx)
    assert fig is wall.render("panel", "hour_weekday", wall.Frames(rt.store, ("incidents",)), ctx)  # cached by version
    rt.store.publish("incidents", rt.store.snapshot("incidents").frames)
    assert fig is not wall.render("panel", "hour_weekday", wall.Frames(rt.store, ("incidents",)), ctx)


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
    assert "从未更新" in texts(find(page, lambda c: getattr(c, "id", None) == wall.IDS["updated"]))


def test_new_versions_are_announced_once_drawn_or_after_a_hold(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    now = time.time()
    statuses = rt.store.statuses()
    current = {ds: statuses[ds].version if ds in statuses else 0 for ds in wall.DATASETS}
    assert cb.announced_versions(rt, statuses, now) == current  # no warmer: announced at once
    cb._WARMED[id(rt)] = {**current, "incidents": current["incidents"] - 1}
    cb.WARMING.set()
    try:
        held = cb.announced_versions(rt, statuses, now)
        assert held["incidents"] == current["incidents"] - 1 and held["catalog"] == current["catalog"]
        # never held for long: after HOLD_SECONDS the new version is announced even if the warmer lags
        assert cb.announced_versions(rt, statuses, now + cb.HOLD_SECONDS + 1) == current
    finally:
        cb.WARMING.clear()
        cb._WARMED.pop(id(rt), None)


def test_warm_draws_every_panel_once(wall, rt):
    versions = wall.warm(rt.store, wall._context("city"))
    assert versions["incidents"] == rt.store.status("incidents").version
    frames = wall.Frames(rt.store, wall.DATASETS)
    before = len(wall._CACHE)
    wall.warm(rt.store, wall._context("city"))
    assert len(wall._CACHE) == before  # the second warm is all cache hits
    assert wall.render("panel", "map", frames, wall._context("city")) is wall.render(
        "panel", "map", wall.Frames(rt.store, wall.DATASETS), wall._context("city"))


def test_map_refresh_is_a_patch_without_the_geojson(wall, rt):
    import callbacks.wall as cb  # noqa: PLC0415

    figure = wall.render("panel", "map", wall.Frames(rt.store, ("incidents",)), wall._context("city"))
    key = cb.map_key(figure, "city")
    assert key == "city|choroplethmap,densitymap"
    patch = cb.map_patch(figure, key, key, new_data=True)
    ops = patch.to_plotly_json()["operations"]
    changed = {tuple(op["location"]) for op in ops}
    assert ("data", 0, "z") in changed and ("data", 1, "lat") in changed
    assert not any("geojson" in loc for loc in changed)
    assert cb.map_patch(figure, "district:D1|choroplethmap", key, new_data=True) is figure  # another shape: all
    assert cb.map_patch(figure, key, key, new_data=False) is figure  # a view change: all
