"""The wall's page: the canvas geometry and the playlist, the whole layout drawn from a memory frame
store, and the poll callback (what it sends, redraws and patches).
"""
from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from dashboard import runtime
from dashboard.geo import Geography
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore
from dashboard import wall_view as wv
from layouts import components as cx
from layouts import map_figure as mapfig
from layouts import wall_canvas
from layouts.wall_ids import DATASETS, IDS
from tests.components import by_district_frame, find, texts


# ---- the page: geometry, views, layout, poll ---------------------------------------------------------------


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
    # the ack again, and the datasets' signature the page sets as its data-cw-version once redrawn
    root = next(iter(find(page, lambda c: getattr(c, "id", None) == "wall-root")))
    assert out[3] == {**ack, "n": 1, "d": getattr(root, "data-cw-version")}

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
    of_datasets = [b for b in badges if b.id["ds"] != "instructions"]  # 指挥调度 reads the app database instead
    assert of_datasets and all(b.children == "数据滞后 · 从未更新" for b in of_datasets)
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
