"""The 通报's view model (dashboard/briefing_view.py) on small hand-made frames: its period, the KPI
numbers with their 口径 from the indicator registry, the scoreboard as /scoreboard computes it, the
incident trend with every day present, each dataset's freshness; and the print figures carry none
of the wall's screen colours."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard.briefing_view import DATASETS, briefing_view, incidents_daily, period_text
from dashboard.indicators import REGISTRY
from dashboard.scoreboard import scoreboard
from dashboard.settings import SettingsError, load_settings
from dashboard.store import DatasetStatus
from layouts import briefing_figures as bf
from layouts import theme
from tests.test_programme_views import CATALOG, DEPARTMENTS, SYSTEMS

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 30).timestamp()
SETTINGS = load_settings(Path(__file__).resolve().parents[1] / "config" / "citywall.toml", environ={})


class PublishedFrames:
    """Frames by (dataset, name), as dashboard.wall_view.Frames hands them out of the store."""

    def __init__(self, frames: dict[tuple[str, str], pd.DataFrame]):
        self.frames = frames

    def frame(self, dataset: str, name: str):
        return self.frames.get((dataset, name))


FRAMES = PublishedFrames({
    ("catalog", "summary"): pd.DataFrame({"sharing_rate": [0.8421], "gov_aggregation_rate": [0.5],
                                          "city_aggregation_rate": [None]}),
    ("catalog", "by_dept"): CATALOG,
    ("systems", "summary"): pd.DataFrame({"cloud_migration_rate": [1 / 3]}),
    ("systems", "by_dept_status"): SYSTEMS,
    ("departments", "departments"): DEPARTMENTS,
    ("incidents", "summary"): pd.DataFrame({"period": ["今日", "近30日"], "incidents": [12, 1234],
                                            "closure_rate": [0.5, 0.875], "ontime_rate": [1.0, 0.9],
                                            "open_all": [40, 40], "overdue_open_all": [7, 7]}),
    ("incidents", "daily"): pd.DataFrame({"date": pd.to_datetime(["2026-11-30", "2026-12-01"]),
                                          "reported": [5, 3], "closed": [4, 1]}),
})


def test_the_period_is_the_scoreboards_week_or_month():
    assert period_text(TODAY, "week") == "2026年第49周（11月30日至12月6日）"
    assert period_text(date(2026, 12, 31), "week") == "2026年第53周（12月28日至1月3日）"  # a week across the year
    assert period_text(TODAY, "month") == "2026年12月"


def test_kpis_say_their_numbers_scope_and_registry_kou_jing():
    view = briefing_view(FRAMES, {}, SETTINGS, TODAY, NOW)
    kpis = {k.indicator_id: k for k in view.kpis}
    assert kpis["sharing_rate"].value == "84.2%" and kpis["city_aggregation_rate"].value == "—"
    assert kpis["cloud_migration_rate"].value == "33.3%"
    assert kpis["incident_count"].value == "1,234 件" and kpis["incident_closure_rate"].value == "87.5%"
    assert kpis["incident_count"].scope == "全市 · 近30日（2026-11-02 至 2026-12-01）"
    assert kpis["overdue_open"].value == "7 件" and kpis["overdue_open"].scope == "全市 · 全部时段"
    for k in view.kpis:
        entry = REGISTRY[k.indicator_id]
        assert (k.name, k.formula, k.excluded, k.source) == (entry.name, entry.formula, entry.excluded,
                                                             entry.source_text())
    assert "target_attainment" not in kpis  # no targets published: no made-up count


def test_the_scoreboard_is_the_scoreboards_own():
    view = briefing_view(FRAMES, {}, SETTINGS, TODAY, NOW)
    board = scoreboard(CATALOG, SYSTEMS, DEPARTMENTS, None, SETTINGS.scoreboard, TODAY)
    pd.testing.assert_frame_equal(view.board.ranked, board.ranked)
    assert list(view.board.lagging["name"]) == list(board.lagging["name"]) == ["乙局"]
    assert list(view.board.apart["name"]) == ["丙局"]  # no systems: not scored, not named


def test_the_incident_trend_has_every_day_of_its_period():
    daily = incidents_daily(FRAMES.frame("incidents", "daily"), TODAY)
    assert len(daily) == 30 and daily["date"].iloc[-1] == pd.Timestamp(TODAY)
    assert daily["reported"].sum() == 8 and daily["reported"].iloc[:-2].eq(0).all()
    assert len(incidents_daily(None, TODAY)) == 30


def test_each_dataset_says_when_it_was_published_and_whether_it_is_stale():
    statuses = {"catalog": DatasetStatus("catalog", 3, published_at=NOW - 120),
                "systems": DatasetStatus("systems", 2, published_at=NOW - 86400 * 3),  # scheduled every 10 min
                "incidents": DatasetStatus("incidents", 1, published_at=NOW - 60, error="连接超时")}
    view = briefing_view(FRAMES, statuses, SETTINGS, TODAY, NOW)
    lines = {s.label: s for s in view.sources}
    assert [s.label for s in view.sources] == [
        "部门", "区域", "资源目录", "信息系统", "事件", "目标指标", "指标历史", "部门指标历史"]
    assert len(view.sources) == len(DATASETS)
    assert lines["资源目录"].state == "正常" and lines["资源目录"].age == "2 分钟前"
    assert lines["事件"].sources == "演示-事件（市城市运行管理中心）"  # config/citywall.toml's source and owner
    assert lines["目标指标"].sources == "由配置 [targets] 与指标历史生成"
    assert lines["信息系统"].state == "滞后" and "至今未更新" in lines["信息系统"].reason
    assert lines["事件"].state == "滞后" and "连接超时" in lines["事件"].reason
    assert lines["部门"].published == "尚未发布" and lines["部门"].state == "滞后"
    assert view.as_of == "2026年12月1日 09:29:00"  # the newest publish


def test_the_print_figures_carry_none_of_the_walls_screen_colours():
    burnup = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01", "2026-12-01"]),
                           "planned_cum": [2, 4, 6], "actual_cum": [1, 3, 5], "total": [10, 10, 10]})
    history = pd.DataFrame({"date": pd.to_datetime(["2026-11-01", "2026-12-01"]), "value": [0.8, 0.84]})
    daily = incidents_daily(FRAMES.frame("incidents", "daily"), TODAY)
    screen = {c.lower() for c in (theme.ACCENT, theme.WARN, theme.GOOD, theme.TEXT, theme.PANEL, theme.BACKGROUND,
                                  theme.MUTED, theme.GRID)}
    for figure in (bf.burnup_figure(burnup, 0.8, TODAY), bf.sharing_figure({"政务数据共享率": history}, 0.9),
                   bf.incident_figure(daily)):
        text = figure.to_json().lower()
        assert not [c for c in screen if c in text], [c for c in screen if c in text]
        layout, template = figure.layout, figure.layout.template.layout  # set on the figure, or by its print template
        assert (layout.paper_bgcolor or template.paper_bgcolor) == "#ffffff"
        assert (layout.font.family or template.font.family).startswith("'Noto Sans CJK SC Print'")
        assert len(figure.data) >= 1
    burnup_json = bf.burnup_figure(burnup, 0.8, TODAY).to_json()
    assert "80%目标 8 个" in burnup_json  # the wall's target line, kept
    assert bf.sharing_figure({"政务数据共享率": history.iloc[:0]}, None).layout.annotations[0].text == "暂无数据"


def test_a_bad_period_stops_the_settings_with_a_chinese_error(tmp_path):
    config = tmp_path / "citywall.toml"
    config.write_text("[scoreboard]\nperiod = \"year\"\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={})
    assert "scoreboard.period = 'year': 允许的值: 'week'、'month'" in str(caught.value)
