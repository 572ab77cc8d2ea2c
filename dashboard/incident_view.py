"""The /incidents view model: everything the page draws for one query, as plain values.

:func:`incidents_view` takes the published incident frames, the city's geography, the URL query
and today's date, and returns an :class:`IncidentsView`; :func:`current_view` does so for the
running app (its store and geography). layouts/incidents.py turns a view into components and never
reads the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from dashboard import formatting as fmt
from dashboard import incident_duckdb
from dashboard import incident_select as sel
from dashboard.detail_file import DetailFile
from dashboard.incident_query import PERIODS, Choices, IncidentQuery, parse_query, period_label, weekday_hour_label
from dashboard.indicators import indicator
from dashboard.kept import Kept
from layouts import tips

CITY = "全市"
MAX_POINTS = 20_000  # the density below the last polygon level draws at most this many incidents


@dataclass(frozen=True)
class Kpi:
    indicator_id: str
    label: str
    value: str
    unit: str
    tip: str


@dataclass(frozen=True)
class MapView:
    """The map of one view: ``layer`` (a FeatureCollection) and which of its features to fill with
    which counts, the feature outlined as the region in view, and the incidents' points where no
    polygon level is below the region."""
    layer: dict | None
    ids: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    hrefs: tuple[str, ...] = ()
    names: dict = field(default_factory=dict)
    outline: str | None = None  # the region in view, drawn as an outline where it has no children drawn
    points: tuple[np.ndarray, np.ndarray] | None = None
    level_label: str = "区县"


@dataclass(frozen=True)
class IncidentsView:
    query: IncidentQuery
    notices: list[str]
    scope: str  # 全市, or the region's name
    level: str | None
    crumbs: list[tuple[str, str | None]]
    period_text: str
    kpis: list[Kpi]
    daily: pd.DataFrame
    hour_weekday: np.ndarray
    categories: pd.DataFrame
    hot_grids: pd.DataFrame
    map: MapView
    total: int
    options: dict[str, list[tuple[str, str]]]
    today: date
    as_of: object = None
    centroids: pd.DataFrame | None = None  # the map's child regions' label points
    key: tuple = ()  # what the view depends on: equal keys, equal pages
    district: str | None = None  # the district of the region in view (the wall's view its 大屏 crumb opens)
    download_cap: int = 0  # app.download_max_rows: the table says when its download is cut (0: no cap shown)


@dataclass(frozen=True)
class RegionIndex:
    """The geography's regions as lookups, made once per geography (every view asks for them)."""
    names: dict[str, str]
    levels: dict[str, str]
    parents: dict[str, str | None]
    children: dict[str, frozenset[str]]
    grids: tuple[str, ...]
    by_level: dict[str, pd.DataFrame] = field(default_factory=dict)  # the regions of each level (label points)


_INDEXES: dict[int, tuple[object, RegionIndex]] = {}


def region_index(geography) -> RegionIndex:
    hit = _INDEXES.get(id(geography))
    if hit is not None and hit[0] is geography:
        return hit[1]
    regions = getattr(geography, "regions", None)
    if not isinstance(regions, pd.DataFrame) or regions.empty:
        index = RegionIndex({}, {}, {}, {}, ())
    else:
        ids = regions["region_id"].astype(str).tolist()
        parents = [None if p is None or (isinstance(p, float) and np.isnan(p)) else str(p)
                   for p in regions["parent_id"]]
        levels = dict(zip(ids, regions["level"].astype(str)))
        children: dict[str, set[str]] = {}
        for rid, parent in zip(ids, parents):
            children.setdefault(parent, set()).add(rid)
        index = RegionIndex(dict(zip(ids, regions["name"].astype(str))), levels, dict(zip(ids, parents)),
                            {k: frozenset(v) for k, v in children.items()},
                            tuple(r for r, lv in levels.items() if lv == "网格"),
                            {lv: part for lv, part in regions.groupby(regions["level"].astype(str))})
    if len(_INDEXES) >= 8:
        _INDEXES.clear()
    _INDEXES[id(geography)] = (geography, index)  # the entry keeps the geography alive: its id stays its own
    return index


def choices_of(frames, geography) -> Choices:
    region_levels = region_index(geography).levels
    cube = frames.get("cube_district")

    def values(column):
        if cube is None or column not in cube.columns:
            return ()
        return tuple(sorted(str(c) for c in cube[column].cat.categories))
    return Choices(region_levels, values("category"), values("source"), values("status"))


def region_names(geography) -> dict[str, str]:
    return region_index(geography).names


def lineage(geography, region: str | None) -> list[str]:
    """The region and its ancestors, the district first."""
    parent = region_index(geography).parents
    chain, at = [], region
    while at is not None and at not in chain and len(chain) < 6:
        chain.append(at)
        at = parent.get(at)
    return chain[::-1]


def crumbs_of(query: IncidentQuery, geography) -> list[tuple[str, str | None]]:
    """全市 › 区县 › 镇街 › 网格: each crumb keeps the filters and goes up one level."""
    names = region_names(geography)
    chain = lineage(geography, query.region)
    out = [(CITY, query.href(region=None, page=1))]
    out += [(names.get(rid, rid), query.href(region=rid, page=1)) for rid in chain]
    return [*out[:-1], (out[-1][0], None)]


def _kpis(k: sel.Kpis, query: IncidentQuery, scope: str, today: date, as_of) -> list[Kpi]:
    period = period_label(query, today)

    def one(indicator_id, value, unit, *, in_period=True):
        entry = indicator(indicator_id)
        text = tips.tip(indicator_id, f"{value}{unit}", scope=scope, as_of=as_of,
                        period=f"{period}，{entry.period}" if in_period else None,
                        details=[f"筛选：{f}" for f in filter_words(query)])
        return Kpi(indicator_id, entry.name, value, unit, text)

    hours = k.mean_handling_hours
    return [
        one("incident_count", fmt.count(k.incidents), " 件"),
        one("incident_closure_rate", fmt.percent(k.closure_rate), ""),
        one("ontime_closure_rate", fmt.percent(k.ontime_rate), ""),
        one("overdue_open", fmt.count(k.overdue), " 件", in_period=False),
        one("mean_handling_hours", fmt.MISSING if hours is None else f"{hours:.1f}", "" if hours is None else " 小时"),
    ]


def filter_words(query: IncidentQuery) -> list[str]:
    words = [f"{label} {value}" for label, value in (("分类", query.category), ("来源", query.source),
                                                     ("状态", query.status)) if value]
    cell = weekday_hour_label(query)
    return words + ([f"时段 {cell}"] if cell else [])


def _map(frames, query: IncidentQuery, level: str | None, geography, today: date, names: dict) -> MapView:
    child = sel.child_level(level)
    layer = geography.layer(child) if child and geography is not None else None
    if layer:
        features = [str(f.get("id")) for f in layer.get("features", [])]
        if level is not None:
            kids = region_index(geography).children.get(query.region, frozenset())
            features = [f for f in features if f in kids]
        if features:
            found = sel.children(frames, query, level, today)
            counts = dict(zip(found["region_id"].tolist(), found["incidents"].tolist()))
            return MapView(layer, tuple(features), tuple(int(counts.get(f, 0)) for f in features),
                           tuple(query.href(region=f, page=1) for f in features), names, level_label=child)
    # below the last polygon level: the region's own outline and its incidents as points
    own = geography.layer(level) if level and geography is not None else None
    detail = frames.get("detail")
    points = None
    if isinstance(detail, DetailFile):
        points = incident_duckdb.points(detail, query, level, today, MAX_POINTS)
    elif detail is not None:
        from dashboard.incident_table import selection

        rows = selection(detail, query, level, today)[:MAX_POINTS]
        lon, lat = detail["lon"].to_numpy()[rows], detail["lat"].to_numpy()[rows]
        located = ~(np.isnan(lon) | np.isnan(lat))
        points = (lon[located], lat[located])
    return MapView(own, (), (), (), names, outline=query.region, points=points, level_label=level or "区县")


def _options(choices: Choices) -> dict[str, list[tuple[str, str]]]:
    return {"period": list(PERIODS.items()),
            "category": [(c, c) for c in choices.categories], "source": [(s, s) for s in choices.sources],
            "status": [(s, s) for s in choices.statuses]}


def incidents_view(frames, geography, raw_query: dict, today: date, as_of=None, *, key: tuple = (),
                   download_cap: int = 0) -> IncidentsView:
    """The view of ``raw_query`` (the URL's query dict): bad values give notices and their defaults."""
    choices = choices_of(frames, geography)
    query, notices = parse_query(raw_query, choices, today)
    if frames.get("cube_district") is None:
        notices.append("事件数据尚未汇聚（或缺少下钻所需的事件立方），暂无数据")
    level = choices.regions.get(query.region) if query.region else None
    names = region_names(geography)
    scope = names.get(query.region, query.region) if query.region else CITY
    k = sel.kpis(frames, query, level, today)
    grid_ids = region_index(geography).grids
    return IncidentsView(
        query=query, notices=notices, scope=scope, level=level, crumbs=crumbs_of(query, geography),
        period_text=period_label(query, today), kpis=_kpis(k, query, scope, today, as_of),
        daily=sel.daily(frames, query, level, today), hour_weekday=sel.hour_weekday(frames, query, level, today),
        categories=sel.totals_by(frames, query, level, today, "category"),
        hot_grids=_named(sel.hot_grids(frames, query, level, today, grid_ids), names),
        map=_map(frames, query, level, geography, today, names), total=k.incidents, options=_options(choices),
        today=today, as_of=as_of, centroids=_centroids(geography, level), key=key, download_cap=download_cap,
        district=(lineage(geography, query.region) or [None])[0],
    )


def _named(grids: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    grids["name"] = [names.get(r, r) for r in grids["region_id"].tolist()]
    return grids


def _centroids(geography, level: str | None) -> pd.DataFrame | None:
    child = sel.child_level(level)
    return region_index(geography).by_level.get(child) if child is not None else None


def current_frames() -> dict:
    """The incidents dataset's published frames in the running app ({} before its first publish)."""
    from dashboard import runtime

    snap = runtime.current().store.snapshot("incidents")
    return snap.frames if snap is not None else {}


CUBES = ("cube_district", "cube_street", "cube_grid", "hours_district")


def prepare_frames(frames) -> None:
    """Make every array the selections read from the published frames (dashboard/incident_arrays.py):
    the warmer's work right after a publish, so that no view pays it."""
    from dashboard import incident_arrays

    for name in CUBES:
        if frames.get(name) is not None:
            incident_arrays.prepare(frames[name], "day")
    detail = frames.get("detail")
    if isinstance(detail, DetailFile):
        detail.sql("SELECT count(*) FROM {detail}")  # this thread's DuckDB connection and the file's footer
    elif detail is not None:
        incident_arrays.prepare(detail, "reported_at").arrow("incident_id")


def as_of_of(frames):
    frame = frames.get("as_of")
    return frame["as_of"].iloc[0] if frame is not None and len(frame) else None


_VIEWS = Kept(64)  # views of the last publishes, per query


def current_view(raw_query: dict) -> IncidentsView:
    """The view of a URL's query in the running app. Views are kept per publish of the incidents (and
    per app and day): a view a leader sends round, or goes back to, is computed once."""
    from dashboard import runtime

    rt = runtime.current()
    snap = rt.store.snapshot("incidents")
    key = (rt.generation, snap.version if snap is not None else 0, date.today(),
           tuple(sorted((str(k), str(v)) for k, v in raw_query.items())))
    view = _VIEWS.get(key)
    if view is None:
        frames = snap.frames if snap is not None else {}
        view = incidents_view(frames, rt.geography, raw_query, date.today(), as_of_of(frames), key=key,
                              download_cap=rt.settings.app.download_max_rows)
        view = _VIEWS.put(key, view)
    return view
