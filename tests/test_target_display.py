"""Targets as the wall shows them: the targets frame built from indicator history
(dashboard.pullers.evaluate_targets), then the bullets' tooltips, the 目标达标 tile and the burn-up's
target line drawn from it."""
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.pullers import evaluate_targets
from dashboard.settings import Settings, TargetSettings
from dashboard.targets import NO_DEADLINE
from layouts import components as cx
from layouts import chart_figures as charts
from layouts import meters as mt
from tests.components import find, texts

TODAY = date(2026, 11, 22)


def history(indicator_id, start, per_day, days=180):
    dates = pd.to_datetime([TODAY - timedelta(days=days - 1 - i) for i in range(days)])
    return pd.DataFrame({"indicator_id": indicator_id, "date": dates, "value": [start + per_day * i for i in range(days)]})


@pytest.fixture
def frame() -> pd.DataFrame:
    settings = Settings(targets=TargetSettings.model_validate({
        "presets": ["长沙"],
        "custom": [
            {"indicator_id": "sharing_rate", "name": "政务数据共享率", "target": 0.95, "deadline": "2027-06-30"},
            {"indicator_id": "cloud_migration_rate", "name": "上云率", "target": 0.9, "deadline": "2026-06-30"},
            {"indicator_id": "smart_parks", "name": "智慧园区", "unit": "个", "target": 3, "deadline": "2027-06-30"},
        ]}))
    rows = pd.concat([
        history("sharing_rate", 0.40, -0.002),        # the line would be at -4.3% … below zero by the deadline
        history("cloud_migration_rate", 0.2, 0.003),  # deadline passed, 73.7% now
        history("smart_parks", 2.0, -0.01),           # a count heading below zero
        history("six_databases", 4.0, 1 / 179),       # 5 of 6 today, no deadline
    ])
    return evaluate_targets(settings, rows, TODAY).set_index("indicator_id", drop=False)


def tips(bullets) -> dict[str, str]:
    items = find(bullets, lambda c: "cw-bullet" in (getattr(c, "className", "") or "").split())
    return {texts(find(i, lambda c: "cw-bullet-name" in (getattr(c, "className", "") or ""))): getattr(i, "data-tip")
            for i in items}


def test_forecasts_in_the_frame_are_values_the_indicator_can_take(frame):
    assert frame.loc["sharing_rate", "forecast"] == 0.0
    assert frame.loc["smart_parks", "forecast"] == 0.0
    assert pd.isna(frame.loc["cloud_migration_rate", "forecast"])  # 2026-06-30 has passed
    assert pd.isna(frame.loc["six_databases", "forecast"]) and frame.loc["six_databases", "status"] == NO_DEADLINE


def test_bullet_tooltips_show_forecasts_in_the_indicators_format(frame):
    by_name = tips(mt.target_bullets(frame, width=1200, height=600))
    assert "趋势预测（期限日） 0.0%" in by_name["政务数据共享率"]
    assert "趋势预测（期限日） 0 个" in by_name["智慧园区"]
    assert "实际 0 个" in by_name["智慧园区"]  # 0.21 parks left on the line today: whole items, not "0.21 个"
    assert "实际 73.7%" in by_name["上云率"] and "趋势预测（期限日） —" in by_name["上云率"]
    six = by_name["六大基础数据库"]
    assert "实际 5 项 · 目标 ≥ 6 项" in six and "期限 未设" in six and "未设期限" in six and "趋势预测（期限日） —" in six


def test_an_undated_target_shows_progress_and_no_trend_status(frame):
    bullets = mt.target_bullets(frame, width=1200, height=600)
    six = [i for i in find(bullets, lambda c: "cw-bullet" in (getattr(c, "className", "") or "").split())
           if "六大基础数据库" in texts(i)][0]
    status = find(six, lambda c: "cw-bullet-status" in (getattr(c, "className", "") or ""))[0]
    assert status.children == "未设期限" and "is-muted" in status.className and getattr(status, "data-deadline") == ""
    value = find(six, lambda c: "cw-bullet-value" in (getattr(c, "className", "") or ""))[0]
    assert value.children == "5 项" and getattr(value, "data-target") == " / ≥6 项"


def test_target_tile_counts_an_undated_target_in_neither_lagging_nor_on_track(frame):
    counts = cx.target_counts(frame)
    assert counts["total"] == 4 and counts[NO_DEADLINE] == 1
    assert counts["按期可达"] + counts["滞后"] + counts["逾期未达标"] + counts["已达标"] == 3
    assert counts["按期可达"] == 0 and counts["滞后"] == 2 and counts["逾期未达标"] == 1
    tile = texts(cx.kpi_targets(frame))
    assert tile.startswith("0/4") and "按期可达 0" in tile and "滞后 2" in tile


def test_burnup_target_line_rounds_the_count_up():
    months = pd.date_range("2026-09-01", periods=4, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": [100, 200, 300, 329], "actual_cum": [90, 180, 250, 250],
                           "total": 329})
    fig = charts.migration_burnup(burnup, 0.9, today=TODAY, width=436, height=134)
    assert fig.layout.shapes[0].y0 == 297  # 296 systems would be 89.97%
    assert fig.layout.annotations[0].text == "90%目标 297 个"
