"""The /incidents views of streets and grids on the demo city, against every number recomputed from the
validated rows with plain pandas: KPIs, the hour × weekday heatmap, the trend, the categories, the map's
child regions and the hottest grids, with and without a heatmap cell (weekday, hour) selected.

The published hour cube is by 区县 only (its size does not grow with the incidents below that level);
the hour questions of a 镇街 or 网格 are answered from the published detail frame. These numbers are
the ones the pages showed when the hour cube was by 网格 (this test passed on that code too)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
import pytest

from dashboard.incident_query import IncidentQuery, period_days
from datasources.contracts import CLOSED

INCIDENTS = 20_000


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from dashboard.geo import load_geography
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import MemoryFrameStore
    from datasources.demo import read_demo
    from datasources.validation import validate

    folder = tmp_path_factory.mktemp("grain")
    config = folder / "city.toml"
    config.write_text(f'[app]\ndata_dir = "{folder / "data"}"\n[demo]\nincidents = {INCIDENTS}\nlive = false\n'
                      '[[sources]]\nname = "区域"\ndataset = "regions"\nkind = "demo"\n'
                      '[[sources]]\nname = "事件"\ndataset = "incidents"\nkind = "demo"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    now = datetime.now().replace(microsecond=0)
    puller = Puller(settings, MemoryFrameStore(), clock=lambda: now)
    assert all(r.ok for r in puller.run_all("test"))
    source = next(s for s in settings.sources if s.dataset == "incidents")
    rows = validate("incidents", read_demo(source, settings), now=now, bbox=settings.city.bbox).good
    regions = puller.store.frame("regions", "regions").set_index("region_id")
    rows = rows.assign(grid_id=rows["region_id"], district_id=rows["region_id"].map(regions["district_id"]),
                       street_id=rows["region_id"].map(regions["street_id"]))
    from dashboard.incident_view import region_index

    frames, geography = puller.store.snapshot("incidents").frames, load_geography(settings)
    yield {"frames": frames, "geography": geography, "rows": rows, "now": pd.Timestamp(now),
           "grid_ids": set(region_index(geography).grids)}
    puller.engine.dispose()


LEVEL_COLUMN = {"区县": "district_id", "镇街": "street_id", "网格": "grid_id"}
CHILD = {None: "district_id", "区县": "street_id", "镇街": "grid_id"}


def _picked(rows: pd.DataFrame, query: IncidentQuery, level: str | None, today: date, period: bool = True):
    keep = pd.Series(True, index=rows.index)
    if query.region is not None:
        keep &= rows[LEVEL_COLUMN[level]] == query.region
    if period:
        first, last = period_days(query.period, today, query.start, query.end)
        day = rows["reported_at"].dt.normalize()
        keep &= (day >= pd.Timestamp(first)) & (day <= pd.Timestamp(last))
    for column in ("category", "source", "status"):
        if getattr(query, column) is not None:
            keep &= rows[column] == getattr(query, column)
    if query.weekday is not None:
        keep &= rows["reported_at"].dt.day_of_week == query.weekday
    if query.hour is not None:
        keep &= rows["reported_at"].dt.hour == query.hour
    return rows[keep]


def _expected(city, query: IncidentQuery, level: str | None, today: date) -> dict:
    rows, now = city["rows"], city["now"]
    part = _picked(rows, query, level, today)
    closed = part[part["status"] == CLOSED]
    every_day = _picked(rows, query, level, today, period=False)
    first, last = period_days(query.period, today, query.start, query.end)
    heat = np.zeros((7, 24), dtype=np.int64)
    np.add.at(heat, (part["reported_at"].dt.day_of_week.to_numpy(), part["reported_at"].dt.hour.to_numpy()), 1)
    days = pd.date_range(first, last, freq="D")
    by_day = part["reported_at"].dt.normalize()
    child = CHILD.get(level)
    grids = part["grid_id"].value_counts()
    return {
        "incidents": len(part), "closed": len(closed),
        "ontime": int((closed["deadline_at"].isna() | (closed["closed_at"] <= closed["deadline_at"])).sum()),
        "overdue": int(((every_day["status"] != CLOSED) & (every_day["deadline_at"] < now)).sum()),
        "handling_hours": float(((closed["closed_at"] - closed["reported_at"]) / pd.Timedelta(hours=1)).sum()),
        "heatmap": heat,
        "daily": by_day.value_counts().reindex(days, fill_value=0).tolist(),
        "daily_closed": by_day[part["status"] == CLOSED].value_counts().reindex(days, fill_value=0).tolist(),
        "categories": part["category"].value_counts().to_dict(),
        "children": part[child].value_counts().to_dict() if child else None,
        "hot": grids[grids.index.isin(city["grid_ids"])].to_dict(),
    }


def _views(city):
    """Street and grid views (and a district and the city with a heatmap cell): the busiest street of
    the busiest district, its busiest grid, and the busiest cell of the street's heatmap."""
    rows = city["rows"]
    recent = rows[rows["reported_at"] >= city["now"].normalize() - timedelta(days=29)]
    district = recent["district_id"].value_counts().index[0]
    street = recent[recent["district_id"] == district]["street_id"].value_counts().index[0]
    grid = recent[recent["street_id"] == street]["grid_id"].value_counts().index[0]
    in_street = recent[recent["street_id"] == street]["reported_at"]
    cell = (in_street.dt.day_of_week * 24 + in_street.dt.hour).value_counts().index[0]
    weekday, hour = int(cell // 24), int(cell % 24)
    category = recent["category"].value_counts().index[0]
    return [
        (IncidentQuery(region=street), "镇街"),
        (IncidentQuery(region=street, weekday=weekday, hour=hour), "镇街"),
        (IncidentQuery(region=street, hour=hour), "镇街"),
        (IncidentQuery(region=street, weekday=weekday, period="year", category=category), "镇街"),
        (IncidentQuery(region=grid), "网格"),
        (IncidentQuery(region=grid, period="year", weekday=weekday), "网格"),
        (IncidentQuery(region=grid, period="quarter", hour=hour, status=CLOSED), "网格"),
        (IncidentQuery(region=district, weekday=weekday, hour=hour), "区县"),
        (IncidentQuery(weekday=weekday, hour=hour, period="7d"), None),
    ]


def test_street_and_grid_views_show_the_numbers_of_the_rows(city):
    from dashboard import incident_select as sel
    from dashboard.incident_view import incidents_view

    frames, geography, today = city["frames"], city["geography"], city["now"].date()
    for query, level in _views(city):
        want = _expected(city, query, level, today)
        k = sel.kpis(frames, query, level, today)
        assert (k.incidents, k.closed, k.ontime, k.overdue) == \
            (want["incidents"], want["closed"], want["ontime"], want["overdue"]), query
        assert k.handling_hours == pytest.approx(want["handling_hours"], rel=1e-9), query
        assert want["incidents"] > 0, query  # every view selects something
        view = incidents_view(frames, geography, dict(parse_qsl(query.search()[1:])), today)
        assert view.total == want["incidents"] and view.level == level, query
        np.testing.assert_array_equal(view.hour_weekday, want["heatmap"], err_msg=str(query))
        assert view.daily["incidents"].tolist() == want["daily"], query
        assert view.daily["closed"].tolist() == want["daily_closed"], query
        assert dict(zip(view.categories["category"], view.categories["incidents"])) == want["categories"], query
        hot = dict(zip(view.hot_grids["region_id"], view.hot_grids["incidents"]))
        assert all(want["hot"][g] == n for g, n in hot.items()), query
        assert sorted(hot.values(), reverse=True) == sorted(want["hot"].values(), reverse=True)[:len(hot)], query
        if want["children"] is not None:
            shown = dict(zip(view.map.ids, view.map.counts))
            assert {r: n for r, n in shown.items() if n} == \
                {r: n for r, n in want["children"].items() if r in shown}, query


def test_the_hour_cube_is_by_district_and_bounded_whatever_the_incident_count(city):
    frames, rows = city["frames"], city["rows"]
    assert "hours_grid" not in frames
    hours = frames["hours_district"]
    assert list(hours.columns[:3]) == ["day", "hour", "district_id"] and "street_id" not in hours.columns
    bound = hours["day"].nunique() * 24 * rows["district_id"].nunique() * 3 * 12 * 3  # statuses, categories, sources
    assert len(hours) <= bound and len(hours) < len(frames["cube_grid"]) < len(rows)
    assert int(hours["incidents"].sum()) == len(rows) == int(frames["cube_grid"]["incidents"].sum())
