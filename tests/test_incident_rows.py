"""The /incidents selections' row picking: a period is a slice of the day-ordered cubes (and of the
newest-first detail frame), found by binary search; a frame in no day order falls back to a mask.
Both must pick exactly the rows a plain comparison of every row picks."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard import incident_select as sel
from dashboard.incident_query import IncidentQuery

TODAY = date(2026, 12, 1)


def _frame(order: str) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 500
    day = pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.integers(0, 92, n), unit="D") \
        + pd.to_timedelta(rng.integers(0, 24 * 60, n), unit="min")
    frame = pd.DataFrame({
        "day": day.astype("datetime64[us]"),
        "district_id": pd.Categorical(rng.choice(["D1", "D2", "D3"], n)),
        "category": pd.Categorical(rng.choice(["市容环境", "交通出行"], n)),
        "source": pd.Categorical(rng.choice(["12345热线", "网格巡查"], n)),
        "status": pd.Categorical(rng.choice(["已办结", "受理"], n)),
        "incidents": rng.integers(1, 4, n), "closed": rng.integers(0, 2, n), "ontime": rng.integers(0, 2, n),
        "handling_hours": rng.random(n) * 10, "overdue": rng.integers(0, 2, n),
    })
    if order == "asc":
        frame = frame.sort_values("day", kind="stable")
    elif order == "desc":
        frame = frame.sort_values("day", ascending=False, kind="stable")
    return frame.reset_index(drop=True)


def _plain(frame: pd.DataFrame, query: IncidentQuery) -> np.ndarray:
    first, last = query.days(TODAY)
    days = frame["day"].dt.normalize()
    keep = (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))
    for column, value in (("district_id", query.region), ("category", query.category), ("source", query.source)):
        if value is not None:
            keep &= frame[column] == value
    if query.weekday is not None:
        keep &= frame["day"].dt.day_of_week == query.weekday
    if query.hour is not None:
        keep &= frame["day"].dt.hour == query.hour
    return keep.to_numpy()


QUERIES = [IncidentQuery(), IncidentQuery(period="7d"), IncidentQuery(period="today"),
           IncidentQuery(period="range", start=date(2026, 10, 3), end=date(2026, 10, 9), category="市容环境"),
           IncidentQuery(region="D2", period="quarter", source="网格巡查"), IncidentQuery(weekday=2, hour=14),
           IncidentQuery(period="range", start=date(2025, 1, 1), end=date(2025, 2, 1))]


@pytest.mark.parametrize("order", ["asc", "desc", "none"])
@pytest.mark.parametrize("query", QUERIES)
def test_rows_of_a_period_are_those_a_plain_comparison_picks(order, query):
    frame = _frame(order)
    level = "区县" if query.region else None
    picked = sel.mask(frame, query, level, TODAY)
    assert np.array_equal(picked, _plain(frame, query))
    found = sel.rows(frame, query, level, TODAY)
    # a slice alone where it can be one; a region's rows a block of the region order (no mask over the frame)
    assert (found.keep is None and found.index is None) == (order != "none" and query.weekday is None
                                                            and query.region is None and query.category is None)
    assert (found.index is not None) == (query.region is not None)
    assert found.total(frame["incidents"].to_numpy()) == frame["incidents"].to_numpy()[picked].sum()


def test_the_table_order_and_page_share_the_rows_of_their_selection():
    frame = _frame("desc")
    a = sel.rows(frame, IncidentQuery(period="7d"), None, TODAY)
    b = sel.rows(frame, IncidentQuery(period="7d", sort="handling_hours:asc", page=3), None, TODAY)
    assert a is b  # kept once per selection: paging and sorting the table pick no rows again


def test_a_republished_frame_is_read_afresh():
    frame = _frame("asc")
    before = sel.kpis({"cube_district": frame}, IncidentQuery(period="year"), None, TODAY).incidents
    again = frame.copy()
    again["incidents"] = again["incidents"] * 2
    after = sel.kpis({"cube_district": again}, IncidentQuery(period="year"), None, TODAY).incidents
    assert after == 2 * before == 2 * frame["incidents"].sum()


def _nested(order: str) -> pd.DataFrame:
    """A cube of three levels: each grid in one street, each street in one district."""
    rng = np.random.default_rng(11)
    n = 900
    grid = rng.choice([f"G{i}" for i in range(8)], n)
    street = np.array([f"S{int(g[1:]) // 2}" for g in grid])
    district = np.array([f"D{int(s[1:]) // 2}" for s in street])
    frame = pd.DataFrame({
        "day": (pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.integers(0, 92, n), unit="D")).astype("datetime64[us]"),
        "district_id": pd.Categorical(district), "street_id": pd.Categorical(street), "grid_id": pd.Categorical(grid),
        "category": pd.Categorical(rng.choice(["市容环境", "交通出行"], n)),
        "source": pd.Categorical(rng.choice(["12345热线", "网格巡查"], n)),
        "status": pd.Categorical(rng.choice(["已办结", "受理"], n)),
        "incidents": rng.integers(1, 4, n),
    })
    if order != "none":
        frame = frame.sort_values("day", ascending=order == "asc", kind="stable")
    return frame.reset_index(drop=True)


@pytest.mark.parametrize("order", ["asc", "desc", "none"])
@pytest.mark.parametrize("level, region", [("区县", "D1"), ("镇街", "S2"), ("网格", "G5"), ("网格", "G9")])
@pytest.mark.parametrize("query", [IncidentQuery(), IncidentQuery(period="7d", category="市容环境"),
                                   IncidentQuery(period="year", weekday=3)])
def test_a_region_of_any_level_is_a_block_of_the_region_order(order, level, region, query):
    frame = _nested(order)
    query = replace(query, region=region)
    column = sel.LEVEL_COLUMN[level]
    plain = _plain(frame.assign(district_id=frame[column]), query)  # the region compared row by row
    found = sel.rows(frame, query, level, TODAY)
    assert found.index is not None and np.array_equal(np.sort(found.index), np.flatnonzero(plain))
    assert np.array_equal(found.in_frame_order(len(frame)), np.flatnonzero(plain))
    assert found.total(frame["incidents"].to_numpy()) == frame["incidents"].to_numpy()[plain].sum()
    every_day = sel.rows(frame, query, level, TODAY, period=False)
    assert every_day.count() >= found.count()


def test_a_region_split_across_blocks_is_compared_row_by_row():
    frame = _nested("asc")
    # a street id under two districts (a lineage that is not consistent): no single block holds it
    frame["street_id"] = frame["street_id"].cat.add_categories(["S9"])
    frame.loc[frame["grid_id"].isin(["G0", "G7"]), "street_id"] = "S9"
    query = IncidentQuery(region="S9", period="year")
    found = sel.rows(frame, query, "镇街", TODAY)
    plain = _plain(frame.assign(district_id=frame["street_id"]), query)
    assert found.index is None and found.total(frame["incidents"].to_numpy()) == frame["incidents"][plain].sum()


def test_the_arrays_of_a_frame_are_made_once_and_prepared_ahead():
    from dashboard import incident_arrays

    frame = _nested("asc")
    cols = incident_arrays.prepare(frame, "day")
    assert incident_arrays.columns(frame, "day") is cols
    order = cols.region_order()
    assert {"@region-order", "@region-days", "@blocks:grid_id", "@weights:incidents"} <= set(cols._arrays)
    sel.rows(frame, IncidentQuery(region="G3"), "网格", TODAY)
    assert cols.region_order() is order  # a selection reads the prepared arrays, it makes none
