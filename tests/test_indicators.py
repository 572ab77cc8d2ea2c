"""Every indicator against values computed by hand on small fixtures."""
from datetime import date, datetime

import pandas as pd
import pytest

from dashboard import indicators as ind
from dashboard.frames import PullContext, build_frames, indicator_values, migration_burnup
from datasources.contracts import validate

NOW = datetime(2026, 11, 22, 12, 0)


@pytest.fixture
def catalog():
    rows = [  # dept, class, share, mounted
        ("D1", "政务", "无条件共享", "1"), ("D1", "政务", "有条件共享", "1"), ("D1", "城市", "不予共享", "0"),
        ("D2", "政务", "不予共享", "0"), ("D2", "政务", "无条件共享", "1"), ("D2", "城市", "无条件共享", "1"),
        ("D2", "城市", "有条件共享", "0"), ("D3", "政务", "无条件共享", "0"),
    ]
    frame = pd.DataFrame([{"resource_id": f"R{i}", "dept_id": d, "name": f"资源{i}", "data_class": c,
                           "share_type": s, "open_type": None, "mounted": m, "updated_at": "2026-01-01"}
                          for i, (d, c, s, m) in enumerate(rows)])
    return validate("catalog", frame, now=NOW).good


def test_sharing_and_aggregation_rates(catalog):
    assert ind.sharing_rate(catalog) == pytest.approx(6 / 8)
    assert ind.gov_aggregation_rate(catalog) == pytest.approx(3 / 5)  # 政务: 5 rows, 3 mounted
    assert ind.city_aggregation_rate(catalog) == pytest.approx(1 / 3)


def test_city_rate_is_pooled_not_mean_of_departments(catalog):
    frames = build_frames("catalog", catalog, PullContext(now=NOW))
    by_dept = frames["by_dept"].set_index("dept_id")
    assert by_dept.loc["D1", "sharing_rate"] == pytest.approx(2 / 3)
    assert by_dept.loc["D2", "sharing_rate"] == pytest.approx(3 / 4)
    assert by_dept.loc["D3", "sharing_rate"] == pytest.approx(1.0)
    mean_of_depts = by_dept["sharing_rate"].mean()
    summary = frames["summary"].iloc[0]
    assert summary["sharing_rate"] == pytest.approx(0.75) != pytest.approx(mean_of_depts)
    assert summary["resources"] == 8 and summary["shared"] == 6


def test_empty_denominator_is_none():
    empty = pd.DataFrame({"share_type": [], "data_class": [], "mounted": []})
    assert ind.sharing_rate(empty) is None and ind.city_aggregation_rate(empty) is None


@pytest.fixture
def systems():
    rows = [  # classified, status, exempt, planned, migrated
        ("0", "已上云", "0", "2025-01-15", "2025-01-10"), ("0", "已上云", "0", "2025-02-15", "2025-03-20"),
        ("0", "迁移中", "0", "2025-03-01", None), ("0", "暂缓", "1", None, None),
        ("0", "未迁移", "0", "2026-12-01", None), ("1", "未迁移", "0", None, None),
        ("1", "已上云", "0", "2025-01-01", "2025-01-01"),
    ]
    frame = pd.DataFrame([{"system_id": f"S{i}", "dept_id": "D1" if i < 3 else "D2", "name": f"系统{i}",
                           "classified": c, "status": s, "exempt_approved": e, "planned_date": p,
                           "migrated_date": m} for i, (c, s, e, p, m) in enumerate(rows)])
    return validate("systems", frame, now=NOW).good


def test_cloud_migration_rate_keeps_exemptions_in_denominator(systems):
    assert ind.cloud_migration_rate(systems) == pytest.approx(2 / 5)
    assert ind.exempt_systems(systems) == 1


def test_migration_burnup(systems):
    burnup = migration_burnup(systems).set_index("month")
    assert burnup.loc["2025-01-01", "planned_cum"] == 1 and burnup.loc["2025-01-01", "actual_cum"] == 1
    assert burnup.loc["2025-02-01", "planned_cum"] == 2 and burnup.loc["2025-02-01", "actual_cum"] == 1
    assert burnup.loc["2025-03-01", "actual_cum"] == 2
    assert burnup["planned_cum"].iloc[-1] == 4 and burnup["total"].iloc[0] == 5


def test_network_rate_per_level():
    frame = pd.DataFrame({"unit_id": list("abcdef"), "name": list("abcdef"),
                          "level": ["市", "市", "镇", "镇", "村", "村"],
                          "connected": ["1", "1", "1", "0", "0", "0"]})
    good = validate("network", frame, now=NOW).good
    assert ind.network_rate(good) == pytest.approx(3 / 6)
    assert ind.network_rate(good, "市") == 1.0 and ind.network_rate(good, "镇") == 0.5
    assert ind.network_rate(good, "村") == 0.0
    by_level = build_frames("network", good, PullContext(now=NOW))["by_level"]
    assert by_level["level"].tolist() == ["市", "镇", "村"]


@pytest.fixture
def incidents():
    rows = [  # reported, deadline, closed, status
        ("2026-11-22 08:00", "2026-11-23 08:00", "2026-11-22 10:00", "已办结"),  # today, on time, 2 h
        ("2026-11-22 09:00", "2026-11-22 11:00", None, "处置中"),  # today, overdue open
        ("2026-11-20 09:00", "2026-11-21 09:00", "2026-11-21 15:00", "已办结"),  # late, 30 h
        ("2026-11-18 09:00", "2026-11-30 09:00", None, "受理"),  # open, not overdue
        ("2026-10-01 09:00", None, "2026-10-02 09:00", "已办结"),  # no deadline: on time, 24 h
    ]
    frame = pd.DataFrame([{"incident_id": f"E{i}", "source": "12345", "category": "市容环境", "region_id": "G1",
                           "lon": None, "lat": None, "reported_at": r, "deadline_at": d, "closed_at": c,
                           "status": s} for i, (r, d, c, s) in enumerate(rows)])
    return validate("incidents", frame, now=NOW).good


def test_incident_indicators(incidents):
    assert ind.incident_closure_rate(incidents) == pytest.approx(3 / 5)
    assert ind.incident_closure_rate(incidents, datetime(2026, 11, 22)) == pytest.approx(1 / 2)
    assert ind.ontime_closure_rate(incidents) == pytest.approx(2 / 3)
    assert ind.overdue_open(incidents, NOW) == 1
    assert ind.mean_handling_hours(incidents) == pytest.approx((2 + 30 + 24) / 3)
    assert ind.mean_handling_hours(incidents, datetime(2026, 11, 1)) == pytest.approx(16)
    assert ind.incident_closure_rate(incidents.iloc[0:0]) is None


def test_incident_summary_periods(incidents):
    summary = build_frames("incidents", incidents, PullContext(now=NOW))["summary"].set_index("period")
    assert summary.loc["今日", "incidents"] == 2 and summary.loc["今日", "closure_rate"] == 0.5
    assert summary.loc["近7日", "incidents"] == 4
    assert summary.loc["全部", "incidents"] == 5 and summary.loc["全部", "overdue_open_all"] == 1


def test_period_windows_count_today_and_the_days_before():
    days = [f"2026-11-{d:02d} 10:00" for d in range(1, 23)]  # one incident a day, 1st to 22nd
    frame = pd.DataFrame([{"incident_id": f"E{i}", "source": "12345", "category": "其他", "region_id": "G1",
                           "lon": None, "lat": None, "reported_at": t, "deadline_at": None, "closed_at": None,
                           "status": "受理"} for i, t in enumerate(days)])
    good = validate("incidents", frame, now=NOW).good
    summary = build_frames("incidents", good, PullContext(now=NOW))["summary"].set_index("period")
    assert summary.loc["今日", "incidents"] == 1 and summary.loc["近7日", "incidents"] == 7
    assert summary.loc["近30日", "incidents"] == 22


def test_exchange_volume():
    frame = pd.DataFrame({"date": ["2026-11-20", "2026-11-21", "2026-11-21", "2026-11-22"],
                          "provider_dept": ["D1", "D1", "D2", "D1"], "consumer_dept": ["D2", "D2", "D1", "D2"],
                          "records": [10, 20, 5, 7], "api_calls": [1, 2, 3, 4]})
    good = validate("exchange", frame, now=NOW).good
    assert ind.exchange_volume(good) == (42, 10)
    assert ind.exchange_volume(good, datetime(2026, 11, 21), datetime(2026, 11, 22)) == (25, 5)
    values = indicator_values("exchange", good, PullContext(now=NOW))
    assert values == {"exchange_records": 25}  # yesterday's full day


def test_indicator_values_cover_the_handbook(catalog, systems, incidents):
    ctx = PullContext(now=NOW)
    assert set(indicator_values("catalog", catalog, ctx)) == {"sharing_rate", "gov_aggregation_rate",
                                                               "city_aggregation_rate"}
    assert indicator_values("systems", systems, ctx) == {"cloud_migration_rate": pytest.approx(0.4)}
    assert set(indicator_values("incidents", incidents, ctx)) == {
        "incident_closure_rate", "ontime_closure_rate", "overdue_open", "mean_handling_hours"}


def test_every_indicator_has_a_formula_docstring():
    for fn in (ind.sharing_rate, ind.gov_aggregation_rate, ind.city_aggregation_rate, ind.cloud_migration_rate,
               ind.network_rate, ind.incident_closure_rate, ind.ontime_closure_rate, ind.overdue_open,
               ind.mean_handling_hours, ind.exchange_volume):
        name = fn.__doc__.split("=")[0].strip()
        assert "=" in fn.__doc__ and name in {i.name for i in ind.REGISTRY.values()} | {"平均处置时长（小时）"}, fn


# ---- the one registry behind every hover -------------------------------------------------------------------

def test_the_registry_covers_every_indicator_the_pullers_and_targets_name(catalog, systems, incidents):
    from dashboard.targets import PRESETS

    ctx = PullContext(now=NOW)
    ids = set()
    for dataset, rows in (("catalog", catalog), ("systems", systems), ("incidents", incidents)):
        ids |= set(indicator_values(dataset, rows, ctx))
    ids |= {t.indicator_id for preset in PRESETS.values() for t in preset}
    assert ids <= set(ind.REGISTRY)
    for entry in ind.REGISTRY.values():
        assert entry.name and entry.unit and entry.formula and entry.period and entry.source_text(), entry
    assert not hasattr(ind, "FORMULAS") and not hasattr(ind, "INDICATORS")  # no second copy of the strings


def test_registry_documents_are_the_programmes_own():
    assert ind.REGISTRY["gov_aggregation_rate"].documents == ("陕政办发〔2018〕47号",)
    assert ind.REGISTRY["cloud_migration_rate"].documents == ("济源新型智慧城市建设指导意见",)
    assert ind.REGISTRY["six_databases"].documents == ("长沙市新型智慧城市建设管理应用办法",)
    # no preset document covers the incident indicators: the hover says so instead of inventing one
    assert ind.REGISTRY["mean_handling_hours"].source_text() == "无预置依据文件，口径依 DESIGN.md 指标口径手册"


@pytest.mark.parametrize("indicator_id, formula", [
    ("city_aggregation_rate", "城市类目录中已挂接到城市数据池的条目数 ÷ 城市类目录条目数"),
    ("network_rate", "已接入电子政务外网的单位数 ÷ 单位总数"),
    ("mean_handling_hours", "（办结时间 − 受理时间）的平均值"),
])
def test_the_indicators_that_showed_no_formula_show_it_on_their_target_bullet(indicator_id, formula):
    from layouts import meters

    targets = pd.DataFrame([{"target_id": "t", "indicator_id": indicator_id, "name": ind.REGISTRY[indicator_id].name,
                             "level": "省", "unit": ind.REGISTRY[indicator_id].unit, "target": 0.9,
                             "deadline": pd.Timestamp("2027-12-31"), "comparator": ">=", "source_doc": "陕政办发〔2018〕47号",
                             "current": 0.8, "forecast": 0.85, "status": "按期可达"}])
    bullet = meters.target_bullets(targets, as_of=pd.Timestamp("2026-12-01 09:15")).children[0]
    tip = getattr(bullet, "data-tip")
    assert "口径：" in tip and formula in tip
    assert "依据：" in tip and "数据截至：2026年12月1日 09:15" in tip


def test_hover_lines_name_the_period_exclusions_document_and_as_of():
    from layouts import tips

    text = tips.tip("ontime_closure_rate", "95.0%", scope="东湖区", today=date(2026, 12, 1),
                    as_of=pd.Timestamp("2026-12-01 09:15:31"))
    assert text.splitlines() == [
        "东湖区 按期办结率 95.0%",
        "口径：统计期内受理且已办结的事件中办结时间不晚于办理时限的数量 ÷ 其中已办结的事件数",
        "统计期：近30日（2026-11-02 至 2026-12-01），按受理时间 reported_at 计",
        "不计入：未办结事件不计入；无办理时限的已办结事件视为按期",
        "依据：无预置依据文件，口径依 DESIGN.md 指标口径手册",
        "数据截至：2026年12月1日 09:15",
    ]
    city_target = tips.lines("sharing_rate", document="示范市三年行动方案")
    assert "依据：政务信息资源共享管理暂行办法（国发〔2016〕51号）" in city_target and "目标依据：示范市三年行动方案" in city_target
