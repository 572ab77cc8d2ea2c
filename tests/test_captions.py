"""The HTML lines over the wall's figures (layouts/captions.py): keys, headline numbers and colour
scales, on small frames built by hand; the same numbers the figures draw."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard import formatting as fmt
from dashboard.geo import Geography
from layouts import captions as cp
from layouts import chart_figures as charts
from layouts import figure_base as fb
from tests.components import find, texts


def _classes(tree, name: str) -> list:
    return find(tree, lambda c: name in (getattr(c, "className", "") or "").split())


@pytest.mark.parametrize("build", [
    lambda: cp.exchange_caption(None),
    lambda: cp.burnup_caption(pd.DataFrame({"month": []})),
    lambda: cp.hour_weekday_caption(None),
    lambda: cp.map_legend(None, Geography()),
])
def test_no_frame_no_caption(build):
    assert build() == []  # the figure itself says 暂无数据


def test_css_gradient_follows_the_colour_scale():
    assert cp.css_gradient([[0.0, "#000000"], [0.25, "#111111"], [1.0, "#ffffff"]]) == \
        "linear-gradient(90deg, #000000 0%, #111111 25%, #ffffff 100%)"


def test_exchange_caption_keys_and_the_windows_total():
    days = pd.date_range("2026-09-01", periods=60, freq="D")
    daily = pd.DataFrame({"date": days, "records": np.arange(60) * 1000 + 5, "api_calls": np.arange(60) * 10})
    tree = cp.exchange_caption(daily.sample(frac=1, random_state=1), 30, today=days[-1])
    line = texts(tree)
    assert "交换记录" in line and "接口调用" in line
    total = sum(range(30, 60)) * 1000 + 30 * 5  # the same 30 days the trend draws
    assert f"近30日合计 {fmt.count(total)} 条" in line and fmt.count(total) == "133.5万"
    assert len(_classes(tree, "cw-key")) == 2
    without_calls = texts(cp.exchange_caption(daily.drop(columns="api_calls"), 30, today=days[-1]))
    assert "接口调用" not in without_calls


def test_exchange_caption_sums_the_calendar_period_not_the_last_rows_with_data():
    """近30日 is today and the 29 days before it (dashboard/periods.py): with days missing from the
    source, the caption and the trend still cover those 30 days, never the last 30 rows that have data."""
    from dashboard.frames import PullContext, build_frames

    today = pd.Timestamp("2026-12-01")
    all_days = pd.date_range(today - pd.Timedelta(days=59), today - pd.Timedelta(days=1), freq="D")
    with_rows = [d for i, d in enumerate(all_days) if i % 3]  # every third day has no rows at all
    rows = pd.DataFrame({"date": with_rows, "provider_dept": "D01", "consumer_dept": "D02", "records": 100,
                         "api_calls": 1})
    daily = build_frames("exchange", rows, PullContext(now=today.to_pydatetime()))["daily"]
    in_period = [d for d in with_rows if d >= today - pd.Timedelta(days=29)]
    assert len(in_period) < 30
    line = texts(cp.exchange_caption(daily, 30, today=today.date()))
    assert f"近30日合计 {fmt.count(100 * len(in_period))} 条" in line
    trend = charts.exchange_trend(daily, 30, today=today.date())
    assert len(trend.data[0].x) == 30 and trend.data[0].x[-1] == "2026-12-01"
    assert sum(trend.data[0].y) == 100 * len(in_period)


def test_burnup_caption_counts_actuals_up_to_this_month():
    months = pd.date_range("2026-09-01", periods=6, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": [10, 20, 30, 40, 50, 60], "actual_cum": [8, 15, 25, 31, 40, 50],
                           "total": 80})
    line = texts(cp.burnup_caption(burnup, today=date(2026, 11, 22)))
    assert "实际累计" in line and "计划累计" in line
    assert "已上云 25 / 80 个" in line  # November's actuals, not the later months'


def test_hour_weekday_caption_names_the_peak_and_its_scale():
    hw = pd.DataFrame({"weekday": [0, 0, 6, 3], "hour": [0, 9, 23, 14], "incidents": [5, 7, 1100, 2]})
    tree = cp.hour_weekday_caption(hw)
    assert "高峰 周日 23时 · 1,100 件" in texts(tree)
    scale, = _classes(tree, "cw-scale")
    assert [s.children for s in _classes(scale, "cw-scale-end")] == ["0", "1,100"]
    bar, = _classes(scale, "cw-scale-bar")
    assert bar.style["background"] == cp.css_gradient(fb.HEAT_SCALE)
    figure = charts.hour_weekday_heatmap(hw)
    assert (figure.data[0].zmin, figure.data[0].zmax) == (0, 1100)  # the heatmap is coloured on that scale
    quiet = cp.hour_weekday_caption(hw.assign(incidents=0))  # no incidents: 0 … 1, as the figure
    assert [s.children for s in _classes(quiet, "cw-scale-end")] == ["0", "1"]
    assert charts.hour_weekday_heatmap(hw.assign(incidents=0)).data[0].zmax == 1


def test_map_legend_tops_at_the_busiest_district():
    square = lambda x0, y0: {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + .1, y0], [x0 + .1, y0 + .1], [x0, y0 + .1], [x0, y0]]]}  # noqa: E731
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": rid, "properties": {"region_id": rid}, "geometry": square(113 + i * .1, 28)}
        for i, rid in enumerate(("D1", "D2"))]}
    geography = Geography(layers={"区县": layer})
    by_district = pd.DataFrame({"district_id": ["D1", "D2", "D9"], "incidents_30d": [120, 30, 999]})
    tree = cp.map_legend(by_district, geography)
    assert "近30日事件" in texts(tree)
    assert [s.children for s in _classes(tree, "cw-scale-end")] == ["0", "120"]  # D9 is not on the map
    no_counts = cp.map_legend(None, geography)  # a map with no counts yet: 0 … 1, as its fills
    assert [s.children for s in _classes(no_counts, "cw-scale-end")] == ["0", "1"]
