"""The /incidents selections against hand-computed values on a small fixture: six incidents in two
districts, two streets and three grids, pulled through the real cube builder."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard import incident_select as sel
from dashboard import incident_table
from dashboard import downloads
from dashboard.incident_cube import incident_cube, incident_detail
from dashboard.incident_query import Choices, IncidentQuery, parse_query, period_days

TODAY = date(2026, 12, 1)
NOW = pd.Timestamp("2026-12-01 12:00")

REGIONS = pd.DataFrame({
    "region_id": ["D1", "D2", "S1", "S2", "G1", "G2", "G3"],
    "level": ["区县", "区县", "镇街", "镇街", "网格", "网格", "网格"],
    "parent_id": [None, None, "D1", "D2", "S1", "S1", "S2"],
    "district_id": ["D1", "D2", "D1", "D2", "D1", "D1", "D2"],
    "street_id": [None, None, "S1", "S2", "S1", "S1", "S2"],
})


def _t(text):
    return pd.Timestamp(text) if text else pd.NaT


@pytest.fixture(scope="module")
def frames():
    rows = pd.DataFrame([
        # id, source, category, grid, reported, deadline, closed, status
        ("A", "12345热线", "市容环境", "G1", "2026-12-01 09:10", "2026-12-02 09:00", "2026-12-01 11:10", "已办结"),
        ("B", "12345热线", "市容环境", "G1", "2026-11-30 22:00", "2026-11-30 23:00", "2026-12-01 02:00", "已办结"),
        ("C", "网格巡查", "交通出行", "G2", "2026-11-25 09:30", "2026-11-26 09:00", None, "处置中"),
        ("D", "网格巡查", "市容环境", "G3", "2026-11-20 10:00", None, "2026-11-20 16:00", "已办结"),
        ("E", "110联动", "交通出行", "G3", "2026-10-01 08:00", "2026-10-02 08:00", None, "受理"),
        ("F", "12345热线", "交通出行", "G2", "2026-12-01 09:50", "2026-12-05 09:00", None, "受理"),
    ], columns=["incident_id", "source", "category", "region_id", "reported_at", "deadline_at", "closed_at", "status"])
    for column in ("reported_at", "deadline_at", "closed_at"):
        rows[column] = rows[column].map(_t)
    rows["lon"], rows["lat"] = 112.9, 28.2
    return incident_cube(incident_detail(rows, NOW, REGIONS))


def test_city_kpis_of_the_last_30_days(frames):
    k = sel.kpis(frames, IncidentQuery(), None, TODAY)
    # 近30日 = 11-02 … 12-01: A, B, C, D, F (E is October)
    assert (k.incidents, k.closed, k.ontime) == (5, 3, 2)  # B closed after its deadline; D has none: on time
    assert k.closure_rate == pytest.approx(3 / 5)
    assert k.ontime_rate == pytest.approx(2 / 3)
    assert k.mean_handling_hours == pytest.approx((2 + 4 + 6) / 3)
    assert k.overdue == 2  # C (deadline 11-26) and E (10-02, outside the period: 超期未办结 is of every day)


def test_district_street_and_grid_selections(frames):
    d1 = sel.kpis(frames, IncidentQuery(region="D1"), "区县", TODAY)
    assert (d1.incidents, d1.closed, d1.overdue) == (4, 2, 1)
    g2 = sel.kpis(frames, IncidentQuery(region="G2", period="today"), "网格", TODAY)
    assert (g2.incidents, g2.closed) == (1, 0)  # F only
    assert sel.children(frames, IncidentQuery(), None, TODAY).set_index("region_id")["incidents"].to_dict() == \
        {"D1": 4, "D2": 1}
    assert sel.children(frames, IncidentQuery(region="S1"), "镇街", TODAY).set_index("region_id")["incidents"] \
        .to_dict() == {"G1": 2, "G2": 2}
    assert sel.child_level("网格") is None


def test_filters_trend_heatmap_and_categories(frames):
    q = IncidentQuery(category="交通出行", period="7d")
    assert sel.kpis(frames, q, None, TODAY).incidents == 2  # C, F
    daily = sel.daily(frames, q, None, TODAY)
    assert len(daily) == 7 and daily["incidents"].tolist() == [1, 0, 0, 0, 0, 0, 1]  # 11-25 … 12-01
    z = sel.hour_weekday(frames, IncidentQuery(), None, TODAY)
    assert z.sum() == 5 and z[1, 9] == 2 and z[0, 22] == 1  # 12-01 is a Tuesday: A and F at 9 时; B Monday 22 时
    cats = sel.totals_by(frames, IncidentQuery(), None, TODAY, "category")
    assert cats.to_dict("list") == {"category": ["市容环境", "交通出行"], "incidents": [3, 2], "closed": [3, 0]}
    cell = sel.kpis(frames, IncidentQuery(weekday=1, hour=9), None, TODAY)
    assert cell.incidents == 2
    hot = sel.hot_grids(frames, IncidentQuery(), None, TODAY, ["G1", "G2", "G3"], n=2)
    assert hot.to_dict("list")["region_id"] == ["G1", "G2"]


def test_table_pages_sorts_and_filters(frames):
    detail = frames["detail"]
    rows, total = incident_table.page(detail, IncidentQuery(period="year"), None, TODAY, {}, start=0, end=2,
                                      sort="reported_at:desc")
    assert total == 6 and [r["incident_id"] for r in rows] == ["F", "A"]
    rows, _ = incident_table.page(detail, IncidentQuery(period="year"), None, TODAY, {}, start=1, end=3,
                                  sort="handling_hours:desc")
    assert [r["incident_id"] for r in rows] == ["B", "A"]  # D 6 h, B 4 h, A 2 h
    rows, total = incident_table.page(detail, IncidentQuery(period="year"), None, TODAY, {"D1": "一区"}, start=0,
                                      end=10, sort="incident_id:asc",
                                      filter_model={"incident_id": {"type": "contains", "filter": "C"}})
    assert total == 1 and rows[0]["district_id"] == "一区" and rows[0]["overdue"] == "是"
    rows, total = incident_table.download_rows(detail, IncidentQuery(period="year"), None, TODAY, cap=4)
    chunks = b"".join(downloads.csv_chunks(incident_table.SHEET, incident_table.batches(detail, rows, {})))
    lines = chunks.decode("utf-8-sig").strip().split("\r\n")
    assert chunks.startswith(b"\xef\xbb\xbf") and lines[0].startswith("事件编号,受理时间") and len(lines) == 1 + 4 and total == 6


def test_query_reading_gives_notices_and_defaults():
    choices = Choices({"D1": "区县"}, ("市容环境",), ("12345热线",), ("已办结",))
    query, notices = parse_query({"region": "999999", "period": "week", "from": "2026-13-01", "to": "2026-11-01",
                                  "category": "<script>alert(1)</script>", "page": "x"}, choices, TODAY)
    assert query == IncidentQuery()
    assert any("区域「999999」" in n for n in notices) and any("统计期「week」" in n for n in notices)
    assert any("YYYY-MM-DD" in n for n in notices) and any("事件分类" in n for n in notices)
    query, notices = parse_query({"from": "2026-11-01", "to": "2026-11-03", "region": "D1"}, choices, TODAY)
    assert notices == [] and query.period == "range" and query.days(TODAY) == (date(2026, 11, 1), date(2026, 11, 3))
    assert query.search() == "?region=D1&period=range&from=2026-11-01&to=2026-11-03"
    assert period_days("quarter", TODAY) == (date(2026, 10, 1), TODAY)
    assert period_days("month", TODAY) == (TODAY, TODAY)
    assert np.array_equal(period_days("year", TODAY), (date(2026, 1, 1), TODAY))


def test_the_published_frames_have_their_listed_columns(frames):
    from dashboard.incident_cube import FRAME_COLUMNS

    assert sorted(frames) == sorted(FRAME_COLUMNS)
    for name, columns in FRAME_COLUMNS.items():
        assert tuple(frames[name].columns) == columns, name
    assert frames["detail"]["incident_id"].tolist() == ["F", "A", "B", "C", "D", "E"]  # newest first
    assert frames["detail"].set_index("incident_id")["id_rank"].to_dict() == {c: i + 1 for i, c in enumerate("ABCDEF")}
