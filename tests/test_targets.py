"""Target presets and status: 已达标 / 按期可达 / 滞后 / 逾期未达标 from a least-squares trend."""
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.settings import TargetSettings
from dashboard.targets import (LAGGING, MET, ON_TRACK, OVERDUE, PRESETS, Target, configured_targets,
                               milestone_history, milestone_value, target_status, trend_forecast)

TODAY = date(2026, 11, 22)


def rate_target(target=0.8, deadline=date(2027, 6, 30), comparator=">="):
    return Target("t", "sharing_rate", "共享率", "市", "%", target, deadline, comparator, "文件")


def linear_history(start_value, per_day, days=120):
    dates = [TODAY - timedelta(days=days - 1 - i) for i in range(days)]
    return pd.Series([start_value + per_day * i for i in range(days)], index=dates)


def test_met():
    assert target_status(0.85, rate_target(), linear_history(0.7, 0.001), TODAY) == MET


def test_on_track_when_trend_reaches_target_by_deadline():
    history = linear_history(0.60, 0.001)  # today ≈ 0.719, +0.22 by the deadline (220 days)
    assert trend_forecast(history, date(2027, 6, 30)) == pytest.approx(0.719 + 0.001 * 220, abs=1e-6)
    assert target_status(float(history.iloc[-1]), rate_target(), history, TODAY) == ON_TRACK


def test_lagging_when_trend_falls_short():
    history = linear_history(0.60, 0.0002)
    assert target_status(float(history.iloc[-1]), rate_target(), history, TODAY) == LAGGING


def test_lagging_without_enough_history():
    assert target_status(0.5, rate_target(), pd.Series([0.5], index=[TODAY]), TODAY) == LAGGING
    assert target_status(None, rate_target(), None, TODAY) == LAGGING


def test_overdue_after_deadline_unless_met():
    past = rate_target(deadline=date(2022, 12, 31))
    assert target_status(0.7, past, linear_history(0.6, 0.01), TODAY) == OVERDUE
    assert target_status(0.9, past, linear_history(0.6, 0.01), TODAY) == MET


def test_lower_is_better_comparator():
    target = rate_target(target=24, comparator="<=")
    assert target_status(20, target, None, TODAY) == MET
    falling = linear_history(60, -0.2)  # hours falling 0.2/day
    assert target_status(float(falling.iloc[-1]), target, falling, TODAY) == ON_TRACK


def test_milestones_are_exact_checklists():
    items = {"一格通": date(2020, 5, 1), "一卡通": date(2021, 3, 1), "一站通": "", "一号通": date(2027, 1, 1)}
    assert milestone_value(items, TODAY) == 2
    history = milestone_history(items, date(2020, 4, 30), TODAY)
    assert history[date(2020, 4, 30)] == 0 and history[date(2020, 5, 1)] == 1
    assert history[date(2021, 3, 1)] == 2 and history[TODAY] == 2


def test_presets_from_the_documents():
    shaanxi = {t.indicator_id: t for t in PRESETS["陕西省-2021"]}
    assert shaanxi["gov_aggregation_rate"].target == 0.8 and shaanxi["city_aggregation_rate"].target == 0.9
    assert shaanxi["network_rate"].target == 0.95 and shaanxi["six_ones"].target == 6
    assert all(t.source_doc == "陕政办发〔2018〕47号" and t.deadline == date(2021, 12, 31) for t in shaanxi.values())
    jiyuan = {t.indicator_id: t for t in PRESETS["济源-2022"]}
    assert jiyuan["cloud_migration_rate"].target == 0.8 and jiyuan["network_rate"].target == 1.0
    assert (jiyuan["smart_communities"].target, jiyuan["smart_towns"].target, jiyuan["smart_parks"].target) == (5, 3, 1)
    assert {t.target for t in PRESETS["陕西省-2019"]} == {0.5, 0.6}
    assert PRESETS["长沙"][0].indicator_id == "six_databases"


def test_city_picks_presets_and_overrides_with_its_own():
    settings = TargetSettings.model_validate({
        "presets": ["济源-2022", "长沙"],
        "custom": [{"indicator_id": "six_databases", "name": "六大基础数据库", "unit": "项", "target": 6,
                    "deadline": "2025-12-31"},
                   {"indicator_id": "sharing_rate", "name": "共享率", "target": 0.95, "deadline": "2027-12-31"}],
    })
    targets = {t.target_id: t for t in configured_targets(settings)}
    assert "长沙:six_databases" not in targets  # replaced by the city's own dated target
    assert targets["自定:six_databases:2025-12-31"].deadline == date(2025, 12, 31)
    assert "济源-2022:cloud_migration_rate" in targets and len(targets) == 7


def test_unknown_preset_is_rejected_with_choices():
    with pytest.raises(ValueError, match="未知预设"):
        TargetSettings.model_validate({"presets": ["江苏省"]})
