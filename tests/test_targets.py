"""Target presets and status: 已达标 / 按期可达 / 滞后 / 逾期未达标 from a least-squares trend, 未设期限
without a deadline; forecasts the indicator can reach; count targets rounded up."""
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.settings import SettingsError, TargetSettings, load_settings
from dashboard.targets import (LAGGING, MET, NO_DEADLINE, ON_TRACK, OVERDUE, PRESETS, STATUSES, Target,
                               configured_targets, forecast_value, milestone_history, milestone_value, required_count,
                               target_status, trend_forecast, with_milestones)

TODAY = date(2026, 11, 22)


def rate_target(target=0.8, deadline=date(2027, 6, 30), comparator=">="):
    return Target("t", "sharing_rate", "共享率", "市", "%", target, deadline, comparator, "文件")


def count_target(target=6, deadline=date(2027, 6, 30), unit="项"):
    return Target("c", "six_databases", "六大基础数据库", "市", unit, target, deadline, ">=", "文件")


def linear_history(start_value, per_day, days=120, end=TODAY):
    dates = [end - timedelta(days=days - 1 - i) for i in range(days)]
    return pd.Series([start_value + per_day * i for i in range(days)], index=dates)


def test_met():
    assert target_status(0.85, rate_target(), linear_history(0.7, 0.001), TODAY) == MET


def test_on_track_when_trend_reaches_target_by_deadline():
    history = linear_history(0.60, 0.001)  # today ≈ 0.719, +0.22 by the deadline (220 days)
    assert trend_forecast(history, date(2027, 6, 30), today=TODAY) == pytest.approx(0.719 + 0.001 * 220, abs=1e-6)
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


# ---- the trend window: today and the 179 days before it --------------------------------------------

def test_trend_window_is_180_days_ending_today():
    # 180 days rising slowly reach 0.78 by the deadline: 滞后. A low reading on the 181st day back
    # used to enter the fit (181 days) and tilt the line up past 0.8: 按期可达.
    recent = linear_history(0.70, 0.0002, days=180)
    with_old_day = pd.concat([pd.Series([0.0], index=[TODAY - timedelta(days=180)]), recent])
    deadline = date(2027, 6, 30)
    assert trend_forecast(with_old_day, deadline, today=TODAY) == pytest.approx(0.7798, abs=1e-9)
    assert trend_forecast(with_old_day, deadline, today=TODAY) == trend_forecast(recent, deadline, today=TODAY)
    assert target_status(float(recent.iloc[-1]), rate_target(), with_old_day, TODAY) == LAGGING


def test_trend_window_is_anchored_on_today_not_on_the_last_history_day():
    # the history stopped 30 days ago: only its last 150 days are in today's window, and they are flat
    flat = pd.Series(0.5, index=[TODAY - timedelta(days=d) for d in range(179, 29, -1)])
    steep = linear_history(0.0, 0.01, days=40, end=TODAY - timedelta(days=180))
    history = pd.concat([steep, flat])
    assert trend_forecast(history, date(2027, 6, 30), today=TODAY) == pytest.approx(0.5, abs=1e-12)
    # later days than today are not history yet
    future = pd.concat([flat, pd.Series([0.9], index=[TODAY + timedelta(days=3)])])
    assert trend_forecast(future, date(2027, 6, 30), today=TODAY) == pytest.approx(0.5, abs=1e-12)


# ---- a deadline nobody set -------------------------------------------------------------------------

def test_changsha_preset_has_no_deadline_and_no_trend_status():
    preset = PRESETS["长沙"][0]
    assert preset.deadline is None and NO_DEADLINE in STATUSES
    rising = linear_history(2, 0.05, days=60)  # 5 of 6 today, rising
    assert target_status(5, preset, rising, TODAY) == NO_DEADLINE
    assert forecast_value(preset, rising, TODAY) is None
    assert target_status(6, preset, rising, TODAY) == MET  # met is met, deadline or not


def test_city_dates_an_undated_preset_in_configuration(tmp_path):
    dated = TargetSettings.model_validate({"presets": ["长沙", "济源-2022"],
                                           "deadlines": {"长沙:six_databases": "2027-06-30"}})
    targets = {t.target_id: t for t in configured_targets(dated)}
    assert targets["长沙:six_databases"].deadline == date(2027, 6, 30)
    assert targets["长沙:six_databases"].source_doc == "长沙市新型智慧城市建设管理应用办法"
    config = tmp_path / "city.toml"
    config.write_text('[targets]\npresets = ["济源-2022"]\n[targets.deadlines]\n"济源-2022:smart_parks" = 2028-12-31\n',
                      encoding="utf-8")
    with pytest.raises(SettingsError, match="不是所选预设中文件未定期限的目标"):
        load_settings(config, environ={})


# ---- forecasts the indicator can reach, in its own format --------------------------------------------

def test_forecasts_are_clipped_to_what_the_indicator_can_be():
    falling = linear_history(0.30, -0.002, days=180)  # would reach -0.13 by the deadline
    assert forecast_value(rate_target(), falling, TODAY) == 0.0
    rising = linear_history(0.90, 0.001, days=180)  # would pass 100%
    assert forecast_value(rate_target(target=1.0), rising, TODAY) == 1.0
    emptying = linear_history(3, -0.05, days=60)
    assert forecast_value(count_target(unit="个"), emptying, TODAY) == 0.0
    assert forecast_value(count_target(), linear_history(0, 0.05, days=120), TODAY, items=6) == 6.0


def test_count_forecasts_are_whole_items_that_agree_with_the_status():
    history = linear_history(4.264, 0.004, days=180)  # 4.98 today; the line reaches 5.86 items by the deadline
    assert trend_forecast(history, date(2027, 6, 30), today=TODAY) == pytest.approx(5.86, abs=1e-9)
    assert forecast_value(count_target(), history, TODAY, items=6) == 5.0
    assert target_status(float(history.iloc[-1]), count_target(), history, TODAY, items=6) == LAGGING


def test_a_deadline_already_passed_has_no_forecast():
    past = rate_target(deadline=date(2025, 12, 31))
    assert forecast_value(past, linear_history(0.2, 0.001, days=180), TODAY) is None
    assert target_status(0.7, past, linear_history(0.2, 0.001, days=180), TODAY) == OVERDUE


# ---- count targets round up ------------------------------------------------------------------------

@pytest.mark.parametrize("rate, total, needed", [
    (0.9, 329, 297),  # 296.1 systems: 296 would be 89.97%
    (0.8, 10, 8),     # 8.000000000000002 in floating point: still 8
    (0.95, 20, 19), (1.0, 7, 7), (0.8, 0, 0), (0.3, 10, 3), (0.7, 10, 7),
])
def test_required_count_rounds_up_with_float_tolerance(rate, total, needed):
    assert required_count(rate, total) == needed
    assert needed / total >= rate - 1e-12 if total else needed == 0


def test_milestones_replace_the_history_of_their_indicator():
    source = pd.DataFrame({"indicator_id": ["six_ones", "six_ones", "sharing_rate"],
                           "date": pd.to_datetime([TODAY, TODAY - timedelta(days=1), TODAY]), "value": [6.0, 6.0, 0.8]})
    items = {"一格通": date(2020, 5, 1), "一卡通": date(2026, 11, 22), "一站通": ""}
    history = with_milestones(source, {"six_ones": items}, TODAY, days=10)
    six = history[history["indicator_id"] == "six_ones"].set_index("date")["value"]
    assert len(six) == 11 and six[pd.Timestamp(TODAY)] == 2 and six[pd.Timestamp(TODAY - timedelta(days=1))] == 1
    assert history[history["indicator_id"] == "sharing_rate"]["value"].tolist() == [0.8]
