"""The wall's charts, tiles and badges: figure builders and components on small frames built by hand.

Each test draws from frames shaped like dashboard/frames.py publishes them and asserts on what the
figure carries (traces, values, labels, hovers), not on pixels.
"""
from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html

from dashboard.geo import Geography
from dashboard.settings import Settings
from dashboard.store import DatasetStatus
from dashboard.targets import LAGGING, MET, NO_DEADLINE, ON_TRACK, OVERDUE
from dashboard import wall_view as wv
from layouts import components as cx
from dashboard import selections as sel
from layouts import chart_figures as charts
from layouts import figure_base as fb
from layouts import map_figure as mapfig
from tests.components import annotation_texts, by_district_frame, find, is_no_data, texts

W, H = 400, 240


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


def test_kpi_tiles_give_their_document_and_as_of_time(targets):
    summary = pd.DataFrame({"sharing_rate": [0.899]})
    body = cx.kpi_rate(summary, "sharing_rate", targets, "sharing_rate", 0.9, date(2026, 11, 22),
                       as_of=pd.Timestamp("2026-11-22 09:15"))
    tip = getattr(body[0], "data-tip")
    assert tip.startswith("全市 政务数据共享率 89.9%")
    assert "口径：共享类型为无条件共享或有条件共享的目录条目数 ÷ 目录条目总数" in tip
    assert "依据：政务信息资源共享管理暂行办法（国发〔2016〕51号）" in tip and "目标依据：示范市三年行动方案" in tip
    assert "数据截至：2026年11月22日 09:15" in tip and "全市 · 目标 95%" in texts(body)


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
