"""The detail on disk (dashboard/detail_file.py, read with DuckDB by dashboard/incident_duckdb.py) gives
the /incidents views, table pages, downloads and records exactly what the in-memory detail frame gives
(numpy), on the demo city: the same detail frame written chunk by chunk to Parquet, then every answer
compared."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import downloads, incident_table
from dashboard import incident_select as sel
from dashboard.detail_file import DetailFile, write_detail
from dashboard.incident_query import IncidentQuery
from tests.test_incident_grain import _views, city  # noqa: F401 - the demo city fixture


@pytest.fixture(scope="module")
def both(city, tmp_path_factory):  # noqa: F811 - the fixture imported above
    detail = city["frames"]["detail"]
    parts = [detail.iloc[at:at + 7_000] for at in range(0, len(detail), 7_000)]
    on_disk = write_detail(tmp_path_factory.mktemp("detail") / "detail.parquet", parts)
    assert isinstance(on_disk, DetailFile) and len(on_disk) == len(detail)
    return city["frames"], {**city["frames"], "detail": on_disk}


def test_the_file_holds_the_frame(both):
    in_memory, on_disk = both
    pd.testing.assert_frame_equal(on_disk["detail"].to_pandas(), in_memory["detail"], check_dtype=False,
                                  check_categorical=False)


def test_hour_questions_below_the_district_agree(city, both):  # noqa: F811
    in_memory, on_disk = both
    today = city["now"].date()
    for query, level in _views(city) + [(IncidentQuery(period="year"), "网格")]:
        got, want = sel.kpis(on_disk, query, level, today), sel.kpis(in_memory, query, level, today)
        assert (got.incidents, got.closed, got.ontime, got.overdue) == \
            (want.incidents, want.closed, want.ontime, want.overdue), query
        assert got.handling_hours == pytest.approx(want.handling_hours, rel=1e-9), query
        np.testing.assert_array_equal(sel.hour_weekday(on_disk, query, level, today),
                                      sel.hour_weekday(in_memory, query, level, today))
        pd.testing.assert_frame_equal(sel.daily(on_disk, query, level, today), sel.daily(in_memory, query, level, today))
        for got, want in ((sel.totals_by(on_disk, query, level, today, "category"),
                           sel.totals_by(in_memory, query, level, today, "category")),
                          (sel.children(on_disk, query, level, today), sel.children(in_memory, query, level, today)),
                          (sel.hot_grids(on_disk, query, level, today, city["grid_ids"]),
                           sel.hot_grids(in_memory, query, level, today, city["grid_ids"]))):
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), obj=str(query))


SORTS = [f"{c}:{d}" for c in ("reported_at", "incident_id", "grid_id", "category", "source", "status", "deadline_at",
                              "closed_at", "handling_hours") for d in ("asc", "desc")]
FILTERS = [None, {"incident_id": {"type": "contains", "filter": "RX"}},
           {"handling_hours": {"type": "greaterThan", "filter": 2}},
           {"handling_hours": {"type": "notEqual", "filter": 1}},
           {"category": {"operator": "OR", "conditions": [{"type": "equals", "filter": "市容环境"},
                                                          {"type": "startsWith", "filter": "交通"}]}},
           {"status": {"type": "notContains", "filter": "办结"}, "grid_id": {"type": "endsWith", "filter": "1"}}]


def test_table_pages_agree(city, both):  # noqa: F811
    in_memory, on_disk = both
    today, names = city["now"].date(), {}
    queries = [(IncidentQuery(period="year"), None), *_views(city)[:2], _views(city)[4]]
    for (query, level) in queries:
        for sort in SORTS:
            for start in (0, 50):
                kw = dict(start=start, end=start + 50, sort=sort)
                assert incident_table.page(on_disk["detail"], query, level, today, names, **kw) == \
                    incident_table.page(in_memory["detail"], query, level, today, names, **kw), (query, sort)
        for model in FILTERS:
            kw = dict(start=0, end=30, sort="handling_hours:desc", filter_model=model)
            got = incident_table.page(on_disk["detail"], query, level, today, names, **kw)
            assert got == incident_table.page(in_memory["detail"], query, level, today, names, **kw), (query, model)


def test_downloads_records_and_points_agree(city, both):  # noqa: F811
    from dashboard.incident_view import incidents_view

    in_memory, on_disk = both
    today = city["now"].date()
    query = IncidentQuery(period="year", sort="handling_hours:desc")

    def csv(frames):
        rows, total = incident_table.download_rows(frames["detail"], query, None, today, cap=12_345)
        data = b"".join(downloads.csv_chunks(incident_table.SHEET, incident_table.batches(frames["detail"], rows, {})))
        return data, len(rows), total
    got, want = csv(on_disk), csv(in_memory)
    assert got[1:] == want[1:] and got[1] == 12_345 and got[0] == want[0]
    ids = in_memory["detail"]["incident_id"].iloc[[5, 500, 5_000]].tolist()
    pd.testing.assert_frame_equal(incident_table.with_ids(on_disk["detail"], ids)[["incident_id", "status"]],
                                  incident_table.with_ids(in_memory["detail"], ids)[["incident_id", "status"]]
                                  .reset_index(drop=True), check_categorical=False)
    grid = _views(city)[4][0].region
    got, want = (incidents_view(frames, city["geography"], {"region": grid}, today).map.points
                 for frames in (on_disk, in_memory))
    assert len(want[0]) > 0
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_a_page_takes_its_ties_in_the_frames_order(city):  # noqa: F811
    """Many incidents share a grid: the first 50 by grid are the frame's first 50 of the first grid
    (np.argpartition alone picked any 50 of them, so pages overlapped and skipped rows)."""
    detail, today = city["frames"]["detail"], city["now"].date()
    rows = incident_table.selection(detail, IncidentQuery(period="year"), None, today)
    codes = detail["grid_id"].cat.codes.to_numpy()[rows]
    whole = rows[np.lexsort((rows, codes))]
    for start in (0, 50, 100):
        page = incident_table.ordered_rows(detail, rows, "grid_id:asc", stop=start + 50)[start:start + 50]
        np.testing.assert_array_equal(page, whole[start:start + 50])
