"""The one period definition (dashboard/periods.py): 近 n 日 is today and the n − 1 days before it."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from dashboard import periods


def test_last_days_is_anchored_on_today_and_ends_at_midnight():
    start, end = periods.last_days(30, date(2026, 12, 1))
    assert start == pd.Timestamp("2026-11-02") and end == pd.Timestamp("2026-12-02")
    assert periods.last_days(1, datetime(2026, 12, 1, 15, 30)) == (pd.Timestamp("2026-12-01"), pd.Timestamp("2026-12-02"))
    assert periods.last_days(7, pd.Timestamp("2026-12-01 23:59")) == (pd.Timestamp("2026-11-25"), pd.Timestamp("2026-12-02"))


def test_a_period_with_days_without_rows_still_has_every_day():
    index = periods.daily_index(30, date(2026, 12, 1))
    assert len(index) == 30 and index[0] == pd.Timestamp("2026-11-02") and index[-1] == pd.Timestamp("2026-12-01")
    # rows on only 3 of the 30 days: the days between are in the period with 0
    counts = pd.Series([1, 1, 1], index=pd.to_datetime(["2026-11-02", "2026-11-20", "2026-12-01"]))
    assert counts.reindex(index, fill_value=0).sum() == 3 and (counts.reindex(index, fill_value=0) == 0).sum() == 27


def test_in_last_days_includes_the_first_midnight_and_excludes_tomorrow():
    moments = pd.Series(pd.to_datetime(["2026-11-01 23:59:59", "2026-11-02 00:00:00", "2026-12-01 23:59:59",
                                        "2026-12-02 00:00:00", None]))
    assert periods.in_last_days(moments, 30, date(2026, 12, 1)).tolist() == [False, True, True, False, False]
    assert periods.in_last_days(moments, None, date(2026, 12, 1)).tolist() == [True, True, True, True, False]


def test_labels_and_descriptions():
    assert [periods.label(d) for d in (1, 7, 30, None)] == ["今日", "近7日", "近30日", "全部"]
    assert periods.describe(30, date(2026, 12, 1)) == "近30日（2026-11-02 至 2026-12-01）"
    assert periods.describe(1, date(2026, 12, 1)) == "今日（2026-12-01）"


def test_a_period_of_no_days_is_a_clear_error():
    with pytest.raises(ValueError, match="统计期天数须为正整数"):
        periods.last_days(0, date(2026, 12, 1))
