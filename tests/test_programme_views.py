"""The programme drill-downs' selections against hand-computed values on small fixtures: the score
and its weights, the lights, the change since the last period, the reach date of a target's trend,
the cloud burn-up's projection, the exchange filters, the sharing ranking and the URL writer."""
from datetime import date, timedelta

import pandas as pd
import pytest

from callbacks.programmes import download_table, next_search, sort_of
from dashboard import query_params as qp
from dashboard.cloud_views import burnup_projection
from dashboard.department_history import department_values
from dashboard.programme_views import (ExchangeQuery, SharingQuery, department_view, exchange_view, pick_department,
                                       sharing_view)
from dashboard.scoreboard import department_score, light, previous_period_day, scoreboard
from dashboard.settings import ScoreboardSettings
from dashboard.target_views import NEVER, reach_text, target_detail
from dashboard.targets import Target, reach_date

TODAY = date(2026, 12, 1)
SETTINGS = ScoreboardSettings()  # 共享率 40%, 汇聚率 30%, 上云率 30%; 绿 ≥ 90%, 黄 ≥ 75%


def catalog_by_dept(rows):
    """by_dept rows as dashboard/frames.py publishes them: (dept, resources, shared, gov res/mounted, city res/mounted)."""
    frame = pd.DataFrame(rows, columns=["dept_id", "resources", "shared", "gov_resources", "gov_mounted",
                                        "city_resources", "city_mounted"])
    frame["sharing_rate"] = frame["shared"] / frame["resources"]
    frame["gov_aggregation_rate"] = frame["gov_mounted"] / frame["gov_resources"]
    frame["city_aggregation_rate"] = frame["city_mounted"] / frame["city_resources"]
    for col in ("unconditional", "conditional"):
        frame[col] = frame["shared"] // 2
    frame["not_shared"] = frame["resources"] - frame["shared"]
    return frame


CATALOG = catalog_by_dept([("A", 10, 9, 6, 5, 4, 3), ("B", 4, 2, 4, 1, 0, 0), ("C", 5, 5, 5, 5, 0, 0)])
SYSTEMS = pd.DataFrame({"dept_id": ["A", "B"], "已上云": [2, 0], "迁移中": [1, 1], "未迁移": [1, 1], "暂缓": [0, 0],
                        "total": [4, 2], "cloud_migration_rate": [0.5, 0.0]})
DEPARTMENTS = pd.DataFrame({"dept_id": ["A", "B", "C"], "name": ["甲局", "乙局", "丙局"]})


def test_score_is_the_weighted_mean_of_the_three_rates():
    rates = {"sharing_rate": 0.9, "aggregation_rate": 0.8, "cloud_migration_rate": 0.5}
    assert department_score(rates, SETTINGS.weights) == pytest.approx(0.4 * 0.9 + 0.3 * 0.8 + 0.3 * 0.5)  # 0.75
    # the weights are normalised: 2:1:1 is 50% / 25% / 25%
    assert department_score(rates, {"sharing_rate": 2, "aggregation_rate": 1, "cloud_migration_rate": 1}) == \
        pytest.approx((2 * 0.9 + 0.8 + 0.5) / 4)
    # a weight of 0 leaves its indicator out, even a missing one
    assert department_score({**rates, "cloud_migration_rate": None}, {"sharing_rate": 1, "aggregation_rate": 1,
                                                                     "cloud_migration_rate": 0}) == pytest.approx(0.85)
    assert department_score({**rates, "cloud_migration_rate": None}, SETTINGS.weights) is None


def test_lights_at_their_thresholds():
    assert [light(v, 0.9, 0.75) for v in (0.9, 0.8999, 0.75, 0.7499, None)] == ["绿", "黄", "黄", "红", None]


def test_scoreboard_ranks_names_laggards_and_sets_empty_denominators_apart():
    before = TODAY - timedelta(days=7)
    history = pd.DataFrame({"dept_id": ["A", "A", "A", "A"],
                            "indicator_id": ["sharing_rate", "aggregation_rate", "cloud_migration_rate", "sharing_rate"],
                            "date": pd.to_datetime([before, before, before, before - timedelta(days=30)]),
                            "value": [0.8, 0.8, 0.25, 0.1]})
    board = scoreboard(CATALOG, SYSTEMS, DEPARTMENTS, history, SETTINGS, TODAY)
    assert board.previous_day == before
    assert board.ranked["dept_id"].tolist() == ["A", "B"] and board.ranked["rank"].tolist() == [1, 2]
    a, b = board.ranked.iloc[0], board.ranked.iloc[1]
    assert a["score"] == pytest.approx(0.75) and a["light"] == "黄"  # 0.4×0.9 + 0.3×0.8 + 0.3×0.5
    assert a["previous"] == pytest.approx(0.4 * 0.8 + 0.3 * 0.8 + 0.3 * 0.25)  # the values of a week ago
    assert a["change"] == pytest.approx(0.75 - 0.635)
    assert b["score"] == pytest.approx(0.4 * 0.5 + 0.3 * 0.25) and b["light"] == "红" and pd.isna(b["change"])
    assert board.lagging["dept_id"].tolist() == ["B"]  # 红 only: what a 通报 names
    assert board.apart[["dept_id", "reason"]].values.tolist() == [["C", "无非涉密系统"]]  # no score, not ranked


def test_previous_period_day():
    assert previous_period_day(date(2026, 12, 1), "week") == date(2026, 11, 24)
    assert previous_period_day(date(2026, 12, 15), "month") == date(2026, 11, 30)


def test_department_values_from_the_published_frames():
    rows = department_values("catalog", {"by_dept": CATALOG}).set_index(["dept_id", "indicator_id"])["value"]
    assert rows[("A", "sharing_rate")] == pytest.approx(0.9)
    assert rows[("A", "aggregation_rate")] == pytest.approx(0.8)  # (5 + 3) ÷ 10: both classes
    cloud = department_values("systems", {"by_dept_status": SYSTEMS})
    assert cloud["value"].tolist() == [0.5, 0.0]
    assert department_values("network", {}).empty


def target(value=0.8, deadline=date(2028, 12, 31)):
    return Target("T", "sharing_rate", "政务数据共享率", "市", "%", value, deadline, ">=", "某文件")


def linear_history(start: float, per_day: float, days: int = 100) -> pd.Series:
    dates = [TODAY - timedelta(days=d) for d in range(days - 1, -1, -1)]
    return pd.Series([start + per_day * (d - TODAY).days for d in dates], index=dates)


def test_reach_date_of_the_least_squares_trend():
    history = linear_history(0.5, 0.001)  # 0.5 today, +0.1 percentage point a day
    reached = reach_date(target(), history, TODAY)
    assert reached == TODAY + timedelta(days=300)  # (0.8 − 0.5) ÷ 0.001
    assert reach_text(target(), reached, 0.5, TODAY) == "按当前趋势，预计 2027年9月27日 达到 80%"
    assert reach_date(target(deadline=date(2027, 6, 30)), history, TODAY) is None  # after the deadline
    assert reach_text(target(), None, 0.5, TODAY) == NEVER == "按当前趋势期限内无法达到"
    assert reach_date(target(), linear_history(0.5, 0.0), TODAY) is None  # flat
    assert reach_date(target(), linear_history(0.5, -0.001), TODAY) is None  # the wrong way
    assert reach_date(target(0.4), history, TODAY) == TODAY  # already met
    assert reach_text(target(deadline=date(2026, 1, 1)), None, 0.5, TODAY) == "期限 2026年1月1日 已过，未达到 80%"


def test_a_met_target_reads_reached_whatever_its_trend_or_deadline():
    # its status is 已达标: the trend's text must not say 未达到 (a passed deadline) or 无法达到 (a falling trend)
    assert reach_text(target(deadline=date(2026, 1, 1)), None, 0.85, TODAY) == "已达到 80%"
    assert reach_text(target(), None, 0.85, TODAY) == "已达到 80%"


def test_target_detail_draws_the_trend_to_the_deadline_and_lists_a_checklist():
    history = linear_history(0.5, 0.001)
    frame = pd.DataFrame({"indicator_id": "sharing_rate", "date": pd.to_datetime(list(history.index)),
                          "value": history.to_numpy()})
    targets = pd.DataFrame([{"target_id": "T", "current": 0.5, "status": "按期可达"}])
    detail = target_detail(target(), targets, frame, {}, TODAY)
    assert detail.trend["date"].iloc[-1] == pd.Timestamp("2028-12-31")
    assert detail.trend["value"].iloc[-1] == pytest.approx(0.5 + 0.001 * (date(2028, 12, 31) - TODAY).days)
    assert detail.checklist is None and detail.reach.startswith("按当前趋势，预计 2027年9月27日")
    six = Target("S", "six_ones", "\"六个一\"基础工程", "省", "项", 6, date(2027, 12, 31), ">=", "陕政办发〔2018〕47号")
    done = target_detail(six, None, None, {"six_ones": {"一网通": date(2025, 3, 1), "一卡通": ""}}, TODAY).checklist
    assert [(i.item, i.done) for i in done] == [("一网通", date(2025, 3, 1)), ("一卡通", None)]
    listed = target_detail(six, None, None, {}, TODAY).checklist  # the document's items, no dates registered
    assert [i.item for i in listed] == ["一格通", "一卡通", "一站通", "一号通", "一点通", "一网通"]


def test_burnup_projection_extends_the_last_months_to_the_deadline():
    burnup = pd.DataFrame({"month": pd.to_datetime(["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]),
                           "planned_cum": [10, 20, 30, 40], "actual_cum": [10, 20, 30, 30], "total": 55})
    projection = burnup_projection(burnup, TODAY, date(2027, 3, 31))
    assert projection["month"].dt.strftime("%Y-%m").tolist() == ["2026-12", "2027-01", "2027-02", "2027-03"]
    assert projection["projected"].tolist() == pytest.approx([30, 40, 50, 55])  # +10 a month, never past the total
    assert burnup_projection(burnup, TODAY, None).empty
    assert burnup_projection(burnup, TODAY, date(2026, 1, 1)).empty  # the deadline has passed


def test_exchange_filters_pick_the_rolled_up_series():
    days = pd.to_datetime(["2026-11-28", "2026-11-30"])
    by_provider = pd.DataFrame({"date": days, "provider_dept": ["A", "A"], "records": [5, 7], "api_calls": [1, 1]})
    pairs = pd.DataFrame({"provider_dept": ["A", "A", "B"], "consumer_dept": ["B", "C", "A"],
                          "records": [9, 3, 4], "api_calls": [1, 1, 1]})
    names = {"A": "甲局", "B": "乙局", "C": "丙局"}
    notices: list[str] = []
    query = ExchangeQuery.from_url({"provider": "A", "period": "30"}, names, notices)
    view = exchange_view(None, by_provider, None, None, pairs, names, query, TODAY)
    assert notices == [] and view.records == 12 and len(view.daily) == 30  # days without rows are 0
    assert view.daily.set_index("date").loc[pd.Timestamp("2026-11-29"), "records"] == 0
    assert view.pairs[["provider", "consumer", "records"]].values.tolist() == [["甲局", "乙局", 9], ["甲局", "丙局", 3]]
    ExchangeQuery.from_url({"provider": "A", "consumer": "A", "period": "7"}, names, notices)
    assert len(notices) == 2 and "时段「7」不存在" in notices[1]


def test_sharing_ranking_lights_and_filter():
    summary = pd.DataFrame([{"sharing_rate": 16 / 19, "gov_aggregation_rate": 0.7, "city_aggregation_rate": 0.75}])
    view = sharing_view(summary, CATALOG, DEPARTMENTS, None, SETTINGS, SharingQuery())
    assert view.ranking[["name", "rank", "light"]].values.tolist() == [["丙局", 1, "绿"], ["甲局", 2, "绿"],
                                                                      ["乙局", 3, "红"]]
    assert view.counts == {"绿": 2, "红": 1} and view.cards[0].value == pytest.approx(16 / 19)
    red = sharing_view(summary, CATALOG, DEPARTMENTS, None, SETTINGS, SharingQuery("red"))
    assert red.ranking["dept_id"].tolist() == ["B"]


def test_department_view_and_an_unknown_department():
    notices: list[str] = []
    names = {"A": "甲局", "B": "乙局"}
    assert pick_department("999999", names, notices) == "A" and "部门「999999」不存在" in notices[0]
    pairs = pd.DataFrame({"provider_dept": ["A", "B"], "consumer_dept": ["B", "A"], "records": [9, 4], "api_calls": [1, 1]})
    view = department_view("A", names, CATALOG, None, pairs, None, None, SYSTEMS)
    assert view.rates == {"sharing_rate": 0.9, "aggregation_rate": 0.8, "cloud_migration_rate": 0.5}
    assert view.given["partner"].tolist() == ["乙局"] and view.received["records"].tolist() == [4]
    assert view.mounting.values.tolist() == [["政务", 5, 1], ["城市", 3, 1]]


def test_the_url_writer_keeps_one_query_per_view():
    assert next_search("?light=red&page=3", {"light": "yellow"}, None, 3, True) == "?light=yellow"  # back to page 1
    assert next_search("?light=red", {"light": "red"}, "-score", 2, False) == "?light=red&sort=-score&page=2"
    assert next_search("?dept=A", {"dept": None}, None, 1, True) == ""
    assert next_search("", {"light": "all"}, None, 1, False, {"light": "all"}) == ""  # the default view
    assert sort_of([{"colId": "name", "sort": None}, {"colId": "score", "sort": "desc", "sortIndex": 0}]) == "-score"
    notices: list[str] = []
    assert qp.sort_key("-score", ["score"], None, "排序", notices) == ("score", "desc")
    assert qp.sort_key("'; drop", ["score"], None, "排序", notices) is None and "不是可排序的列" in notices[0]


def test_downloads_have_chinese_headers_and_the_table_values():
    rows = pd.DataFrame({"name": ["甲局"], "dept_id": ["A"], "score": [0.75], "light": ["黄"], "sharing_rate": [0.9]})
    heads, table = download_table(rows, [("department", "部门", "link"), ("score", "得分", "score"),
                                         ("light", "信号灯", "light"), ("sharing_rate", "共享率", "percent")])
    assert [(h.header, h.kind) for h in heads] == [("部门", "text"), ("得分", "decimal"), ("信号灯", "text"),
                                                   ("共享率", "percent")]
    assert [c[0] for c in table.to_pydict().values()] == ["甲局", 75.0, "黄灯", 0.9]  # XLSX: 0.9 as 0.0%
    from dashboard import downloads

    text = b"".join(downloads.csv_chunks(heads, [table])).decode("utf-8-sig").splitlines()
    assert text == ["部门,得分,信号灯,共享率", '"甲局","75.0","黄灯","90.0%"']
