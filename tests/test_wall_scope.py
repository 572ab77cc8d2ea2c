"""Every figure says its scope, and totals agree across panels: the per-district frames of
dashboard/incident_frames.py, the selections of dashboard/selections.py (the district view) and the
其他 row of the 分类 heatmap, on a small city built by hand (3 districts, 2 streets each, 12 categories)."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from dashboard import selections as sel
from dashboard.frames import PullContext, build_frames
from layouts import components as cx
from layouts import chart_figures as charts
from tests.components import texts

NOW = datetime(2026, 12, 1, 15, 0)
CATEGORIES = [f"类别{i:02d}" for i in range(11)] + ["其他"]


def _regions() -> pd.DataFrame:
    rows = []
    for d in range(1, 4):
        rows.append((f"D{d}", f"{'东西南'[d - 1]}区", "区县", None))
        for s in range(1, 3):
            rows.append((f"D{d}S{s}", f"{'东西南'[d - 1]}{s}街道", "镇街", f"D{d}"))
            rows.append((f"D{d}S{s}G1", f"{'东西南'[d - 1]}{s}网格", "网格", f"D{d}S{s}"))
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    regions = build_frames("regions", _regions(), PullContext(now=NOW))["regions"]
    rng = np.random.default_rng(7)
    n = 3000
    grids = regions.loc[regions["level"] == "网格", "region_id"].to_numpy()
    reported = pd.Timestamp(NOW) - pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), unit="min")
    closed = rng.random(n) < 0.7
    rows = pd.DataFrame({
        "incident_id": [f"i{i}" for i in range(n)], "source": "12345热线",
        "category": rng.choice(CATEGORIES, n, p=np.linspace(2, 0.5, 12) / np.linspace(2, 0.5, 12).sum()),
        "region_id": rng.choice(grids, n), "lon": 113.0, "lat": 28.0, "reported_at": reported,
        "deadline_at": reported + pd.Timedelta(days=2),
        "closed_at": reported.where(~closed, reported + pd.Timedelta(hours=30)).where(closed),
        "status": np.where(closed, "已办结", "处置中"),
    })
    built = build_frames("incidents", rows, PullContext(now=NOW, regions=regions))
    built["regions"] = regions
    return built


def test_category_heatmap_folds_the_rest_into_other_so_columns_sum_to_the_ranking(frames):
    categories, columns, names, z = sel.category_district_matrix(frames["category_district"], frames["regions"], 8)
    assert len(categories) == 8 and categories[-1] == "其他" and categories.count("其他") == 1
    ranking = frames["by_district"].set_index("district_id")["incidents_30d"]
    for j, district in enumerate(columns):  # 滨江区's column = 滨江区's value in the district ranking
        assert z[:, j].sum() == ranking[district]
    assert z.sum() == frames["summary"].set_index("period").at["近30日", "incidents"]


def test_category_rows_keep_every_category_when_they_fit():
    assert sel.category_rows({"甲": 5, "其他": 9, "乙": 7}, 3) == (["乙", "甲", "其他"], {"其他"})
    assert sel.category_rows({"甲": 5, "乙": 7, "丙": 1}, 3) == (["乙", "甲", "丙"], set())
    assert sel.category_rows({"甲": 5, "乙": 7, "丙": 1, "丁": 2}, 3) == (["乙", "甲", "其他"], {"丙", "丁"})


def test_a_districts_figures_agree_in_every_panel(frames):
    by_district = frames["by_district"].set_index("district_id")
    for district in ("D1", "D2", "D3"):
        total = by_district.at[district, "incidents_30d"]
        summary = sel.scoped(frames["summary"], frames["summary_by_district"], district)
        row = sel.period_row(summary, "近30日")
        assert row["incidents"] == total
        assert sel.period_row(summary, "今日")["incidents"] == by_district.at[district, "today"]
        assert sel.period_row(summary, "今日")["overdue_open_all"] == by_district.at[district, "overdue"]
        hw = sel.scoped(frames["hour_weekday"], frames["hour_weekday_by_district"], district)
        assert hw["incidents"].sum() == total and len(hw) == 7 * 24
        streets = sel.area_counts(frames["by_district"], frames["by_street"], district)
        assert set(streets["area_id"]) == {f"{district}S1", f"{district}S2"}
        assert streets["incidents_30d"].sum() == total and streets["overdue"].sum() == by_district.at[district, "overdue"]
        counts = sel.category_columns(frames["category_district"], frames["category_street"], district)
        categories, columns, names, z = sel.category_district_matrix(counts, frames["regions"], 8, district)
        assert columns == [f"{district}S1", f"{district}S2"] and names[0].endswith("1街道")  # the streets as columns
        street_totals = streets.set_index("area_id")["incidents_30d"]
        assert [z[:, j].sum() for j in range(2)] == [street_totals[c] for c in columns]
        latest = sel.latest_incidents(frames["latest"], frames["latest_by_district"], district)
        assert (latest["district_id"] == district).all() and latest["reported_at"].is_monotonic_decreasing
        assert len(latest) == 60  # the district's own newest, not the city's newest filtered


def test_the_city_view_selects_the_city_frames(frames):
    assert sel.scoped(frames["summary"], frames["summary_by_district"], None) is frames["summary"]
    assert sel.latest_incidents(frames["latest"], frames["latest_by_district"], None) is frames["latest"]
    city = sel.area_counts(frames["by_district"], frames["by_street"], None)
    assert sorted(city["area_id"]) == ["D1", "D2", "D3"]
    assert sel.scoped(frames["summary"], None, "D1") is None  # a store from before the district frames: no data


def test_side_figures_of_the_district_view_are_the_districts(frames):
    streets = sel.area_counts(frames["by_district"], frames["by_street"], "D2")
    names = dict(zip(frames["regions"]["region_id"], frames["regions"]["name"]))
    side = texts(cx.district_list(streets, names, scope="西区", area_label="镇街", today=NOW.date()))
    d2 = frames["by_district"].set_index("district_id").loc["D2"]
    assert f"近30日事件{int(d2['incidents_30d']):,}" in side and "西区镇街事件排行 · 近30日" in side
    assert "西1街道" in side and "东1街道" not in side


def test_todays_tile_says_its_open_counts_are_of_all_time(frames):
    tile = cx.kpi_today(frames["summary"], today=NOW.date())
    text = texts(tile)
    assert "全部未办结" in text and "全部超期" in text
    tips = [getattr(c, "data-tip") for c in tile]
    assert "统计期：今日（2026-12-01）" in tips[0]
    assert "统计期：全部时段（不限受理时间）" in tips[1] and "未办结事件" in tips[1]


def test_burnup_target_line_is_the_rounded_up_count():
    months = pd.date_range("2026-01-01", periods=6, freq="MS")
    burnup = pd.DataFrame({"month": months, "planned_cum": [50, 100, 150, 200, 250, 300],
                           "actual_cum": [40, 80, 120, 160, 200, 240], "total": 329})
    fig = charts.migration_burnup(burnup, 0.9, today=date(2026, 4, 1), width=400, height=140)
    assert fig.layout.shapes[0].y0 == 297 and "297 个" in fig.layout.annotations[0].text


def test_the_side_ranking_puts_the_rest_in_other_so_it_sums_to_the_figures_above():
    areas = pd.DataFrame({"area_id": [f"D{i}" for i in range(1, 15)] + ["未知区域"],
                          "incidents_30d": list(range(140, 0, -10)) + [7], "today": 1, "overdue": 0})
    names = {f"D{i}": f"{i}区" for i in range(1, 15)}
    side = cx.district_list(areas, names, limit=12)
    rows = side[2].children
    assert len(rows) == 12 and texts(rows[-1]).startswith("其他（4 个）")
    assert sum(int(texts(r.children[2]).replace(",", "")) for r in rows) == areas["incidents_30d"].sum()
    assert f"近30日事件{areas['incidents_30d'].sum():,}" in texts(side[0])
    assert "其他" not in texts(cx.district_list(areas.head(5), names, limit=12))  # all fit: no 其他 row
