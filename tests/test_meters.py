"""The wall's HTML panels (layouts/meters.py) on small frames built by hand: what each shows, in
which order, with which tone, tooltip and drill-down link; and "暂无数据" for missing frames."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.targets import OVERDUE
from layouts import meters as mt
from tests.components import find, texts


def classes(component) -> str:
    return getattr(component, "className", "") or ""


def with_class(tree, name: str) -> list:
    return find(tree, lambda c: name in classes(c).split())


def attr(component, name: str):
    return getattr(component, name, None)


@pytest.mark.parametrize("build", [
    lambda f: mt.sharing_meter(f, 0.9),
    lambda f: mt.cloud_meter(f),
    lambda f: mt.dept_ranking(f, None),
    lambda f: mt.dept_migration_stack(f, None),
    lambda f: mt.target_bullets(f),
])
@pytest.mark.parametrize("frame", [None, pd.DataFrame(), pd.DataFrame({"other": [1]})])
def test_missing_frames_say_no_data(build, frame):
    assert texts(build(frame)) == "暂无数据"


def test_a_rate_of_none_is_no_data():
    assert texts(mt.sharing_meter(pd.DataFrame({"sharing_rate": [None]}), 0.9)) == "暂无数据"
    assert texts(mt.cloud_meter(pd.DataFrame({"cloud_migration_rate": [0.5], "已上云": [0]}))) == "暂无数据"


def test_sharing_meter_against_target():
    summary = pd.DataFrame({"sharing_rate": [0.876], "unconditional": [700], "conditional": [176], "not_shared": [124]})
    meter = mt.sharing_meter(summary, 0.95, deadline=pd.Timestamp("2027-12-31"))
    text = texts(meter)
    assert "87.6%" in text and "≥ 95.0%" in text and "2027年12月31日" in text and "7.4" in text  # gap in points
    assert "无条件共享" in text and "700" in text and "不予共享" in text
    value = with_class(meter, "cw-meter-value")[0]
    assert "is-warn" in classes(value)  # within 10 points of the target
    # the arc is filled to the rate and the target tick sits at 95% of the 270° sweep
    assert f"{0.876 * mt.GAUGE_SWEEP:.1f}deg" in with_class(meter, "cw-meter-arc")[0].style["background"]
    tick = with_class(meter, "cw-meter-tick")[0].style["transform"]
    assert tick == f"rotate({mt.tick_angle(0.95, 270, 225):.1f}deg)"
    met = mt.sharing_meter(summary.assign(sharing_rate=0.97), 0.95)
    assert "已达标" in texts(met) and "is-good" in classes(with_class(met, "cw-meter-value")[0])
    assert "is-bad" in classes(with_class(mt.sharing_meter(summary.assign(sharing_rate=0.5), 0.95), "cw-meter-value")[0])


def test_tick_angle_runs_clockwise_from_twelve():
    assert mt.tick_angle(0.0) == 0 and mt.tick_angle(0.25) == 90 and mt.tick_angle(0.8) == pytest.approx(288)
    assert mt.tick_angle(1.5) == 0  # clamped to a full turn
    assert mt.tick_angle(0.5, 270, 225) == pytest.approx(0)  # the middle of the gauge points up


def systems_summary(rate=0.6) -> pd.DataFrame:
    return pd.DataFrame([{"nonclassified": 100, "已上云": 60, "迁移中": 20, "未迁移": 15, "暂缓": 5,
                          "behind_plan": 7, "cloud_migration_rate": rate}])


def test_cloud_meter_ring_by_status_against_target():
    meter = mt.cloud_meter(systems_summary(), 0.8)
    ring = with_class(meter, "cw-meter-ring")[0].style["background"]
    # 已上云 first from 12 o'clock, then 迁移中 / 未迁移 / 暂缓, in proportion (a summary without the
    # approval split counts its 暂缓 as unapproved)
    assert ring == ("conic-gradient(var(--cw-s-cloud) 0.0deg 216.0deg, var(--cw-s-moving) 216.0deg 288.0deg, "
                    "var(--cw-s-waiting) 288.0deg 342.0deg, var(--cw-s-exempt) 342.0deg 342.0deg, "
                    "var(--cw-s-deferred) 342.0deg 360.0deg)")
    assert with_class(meter, "cw-meter-tick")[0].style["transform"] == "rotate(288.0deg)"  # target 80%
    text = texts(meter)
    assert "60.0%" in text and "≥ 80%" in text and "20.0" in text and "逾期未迁" in text and "7" in text
    assert "已上云 60 个系统（60%）" in attr(meter, "data-tip")


def test_cloud_ring_splits_approved_and_unapproved_deferrals_and_lists_the_approved():
    """The ring's 暂缓 is 经批准暂缓 + 未批准暂缓, shown apart; the approved systems are listed by name on
    their hover (the 上云率 hover promises they are 单独列示)."""
    summary = systems_summary().assign(deferred_approved=3, deferred_unapproved=2)
    exempt = pd.DataFrame({"system_id": ["S1", "S2", "S3"], "dept_id": ["D01", "D02", "D02"],
                           "name": ["档案影像系统", "应急指挥专网", "信访系统"], "status": "暂缓"})
    departments = pd.DataFrame({"dept_id": ["D01", "D02"], "name": ["档案局", "应急局"], "short_name": ["档案", "应急"]})
    meter = mt.cloud_meter(summary, 0.8, exempt=exempt, departments=departments)
    text = texts(meter)
    assert "经批准暂缓 3" in text and "未批准暂缓 2" in text and "暂缓 5" not in text
    ring = with_class(meter, "cw-meter-ring")[0].style["background"]
    assert "var(--cw-s-exempt) 342.0deg 352.8deg, var(--cw-s-deferred) 352.8deg 360.0deg" in ring
    approved = [c for c in with_class(meter, "cw-legend-item") if "经批准暂缓" in texts(c)][0]
    tip = attr(approved, "data-tip")
    assert "经批准暂缓上云的非涉密系统 3 个" in tip and "· 档案影像系统（档案）" in tip and "· 信访系统（应急）" in tip
    assert "依据：济源新型智慧城市建设指导意见" in tip


def test_ranking_shows_best_and_worst_in_order(by_dept, departments):
    ranking = mt.dept_ranking(by_dept, departments, n=3)
    rows = with_class(ranking, "cw-bar-row")
    assert [texts(with_class(r, "cw-bar-name")) for r in rows] == ["第1局", "第2局", "第3局", "第10局", "第11局", "第12局"]
    assert [texts(with_class(r, "cw-bar-rank")) for r in rows] == ["1", "2", "3", "9", "10", "11"]
    assert texts(with_class(rows[0], "cw-bar-value")) == "99.0%"
    assert with_class(rows[0], "cw-bar-track")[0].style["--fill"] == "99.0%"
    assert "is-good" in classes(with_class(rows[0], "cw-bar-track")[0])
    assert "is-bad" in classes(with_class(rows[-1], "cw-bar-track")[0])
    assert len(with_class(ranking, "cw-bar-gap")) == 1  # between the best and the worst
    # a click opens the department's drill-down; the hover names the rank and the counts
    assert attr(rows[0], "data-href") == "/department/D01"
    assert "排名 第 1 名 / 共 11 个部门" in attr(rows[0], "data-tip") and "99 / 100" in attr(rows[0], "data-tip")


def test_ranking_with_few_departments_lists_them_once(by_dept, departments):
    few = by_dept[by_dept["dept_id"].isin(["D01", "D02", "D06", "D09", "D12"])]
    ranking = mt.dept_ranking(few, departments, n=5)
    assert len(with_class(ranking, "cw-bar-row")) == 4 and not with_class(ranking, "cw-bar-gap")  # D06 has no rate


def test_migration_stack_shows_laggards_on_one_scale(departments):
    frame = pd.DataFrame({"dept_id": ["D01", "D02", "D03", "D04"], "未迁移": [1, 5, 0, 3], "迁移中": [1, 0, 0, 1],
                          "已上云": [8, 1, 4, 1], "暂缓": [0, 1, 0, 0]})
    frame["total"] = frame[["未迁移", "迁移中", "已上云", "暂缓"]].sum(axis=1)
    frame["cloud_migration_rate"] = frame["已上云"] / frame["total"]
    stack = mt.dept_migration_stack(frame, departments, n=3)
    rows = with_class(stack, "cw-stack-row")
    assert [texts(with_class(r, "cw-bar-name")) for r in rows] == ["第2局", "第4局", "第1局"]  # lowest rate first
    segments = with_class(rows[0], "cw-stack-seg")  # 第2局: 已上云 1, 未迁移 5, 暂缓 1 of the widest 10
    assert [s.className.split()[1] for s in segments] == ["s-cloud", "s-waiting", "s-deferred"]
    assert [s.style["width"] for s in segments] == ["10.00%", "50.00%", "10.00%"]
    assert texts(with_class(rows[0], "cw-bar-value")) == "14%"
    assert attr(rows[0], "data-href") == "/department/D02" and "未迁移 5 个" in attr(rows[0], "data-tip")
    assert "暂缓" in texts(with_class(stack, "cw-legend"))


def test_target_bullets_one_per_target(targets):
    bullets = mt.target_bullets(targets, width=620, height=250)
    items = with_class(bullets, "cw-bullet")
    assert len(items) == len(targets)
    names = [texts(with_class(i, "cw-bullet-name")) for i in items]
    # 省级 first, then by deadline
    assert sorted(names[:2]) == sorted(["政务数据汇聚率", "\"六个一\"基础工程"]) and names[2] == "非涉密政务信息系统上云率"
    by_name = dict(zip(names, items))
    assert "is-good" in classes(with_class(by_name["政务数据汇聚率"], "cw-bar-track")[0])
    six = by_name["\"六个一\"基础工程"]
    assert "is-bad" in classes(with_class(six, "cw-bar-track")[0]) and OVERDUE in texts(six)
    # level, deadline and target are attributes the CSS draws beside the text
    assert "5 项" in texts(six) and attr(with_class(six, "cw-bullet-value")[0], "data-target") == " / ≥6 项"
    assert attr(with_class(six, "cw-bullet-status")[0], "data-deadline") == "2021-12 "
    assert attr(with_class(six, "cw-bullet-name")[0], "data-level") == "省" and "is-province" in classes(
        with_class(six, "cw-bullet-name")[0])
    # the actual fills its share of the axis and the target tick sits at the target
    gov = by_name["政务数据汇聚率"]
    track = with_class(gov, "cw-bullet-track")[0]
    assert track.style == {"--fill": "83.0%", "--tick": "80.0%"} and "has-tick" in classes(track)
    tip = attr(gov, "data-tip")
    assert "依据：陕政办发〔2018〕47号" in tip and "期限 2021年12月31日" in tip
    assert attr(items[0], "data-href").startswith("/targets?target=")
    assert bullets.style["gridTemplateColumns"] == "repeat(1, 1fr)"  # five rows fit one column


def test_target_bullets_count_what_does_not_fit(targets):
    many = pd.concat([targets] * 6, ignore_index=True)
    bullets = mt.target_bullets(many, width=620, height=140)
    cols, rows, shown = mt.target_layout(len(many), 620, 140)
    assert (cols, rows, shown) == (1, 5, 4)  # 28 px lines of 16 px text
    assert len(with_class(bullets, "cw-bullet-name")) == shown
    assert f"另有 {len(many) - shown} 项目标" in texts(with_class(bullets, "cw-bullet-more"))


def test_target_layout_uses_two_columns_only_when_needed():
    assert mt.target_layout(5, 620, 250) == (1, 5, 5)
    assert mt.target_layout(12, 620, 250) == (1, 8, 7)  # too narrow for two: the last place counts the rest
    assert mt.target_layout(12, 1240, 250) == (2, 6, 12)  # wide enough for two columns of 36 em
    assert mt.target_layout(12, 1240, 500, scale=2.0) == (1, 8, 7)  # the same picture on a 4K canvas
    # a bigger text scale shows fewer, bigger bullets
    assert mt.target_layout(12, 620, 250, text_scale=1.5) == (1, 5, 4)
