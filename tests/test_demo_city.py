"""The built-in demo city: deterministic, valid against every contract, plausible, and live."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.settings import AppSettings, DemoSettings, Settings, SourceSettings
from datasources import demo_city as dc
from datasources.contracts import CONTRACTS, validate
from datasources.demo import demo_geo_dir, ensure_demo_city, read_demo

AS_OF = datetime(2025, 11, 20, 14, 37, 12)
SEED = 20261122
N = 5_000


def _seed(root: Path, seed: int = SEED, n: int = N, as_of: datetime = AS_OF) -> tuple[Path, Path, dict]:
    db, geo = root / "demo.db", root / "geo"
    counts = dc.seed_demo_city(db, geo, seed=seed, incidents=n, as_of=as_of)
    return db, geo, counts


def _dump(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f'SELECT rowid, * FROM "{t}" ORDER BY rowid').fetchall() for t in names}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    db, geo, counts = _seed(tmp_path_factory.mktemp("city"))
    return {"db": db, "geo": geo, "counts": counts,
            "frames": {t: dc.read_table(db, t) for t in dc.TABLES},
            "geojson": {lvl: json.loads((geo / f).read_text(encoding="utf-8")) for lvl, f in dc.GEO_FILES.items()}}


@pytest.fixture(scope="module")
def good(city):
    return {t: validate(t, city["frames"][t], now=AS_OF).good for t in dc.TABLES}


# ---- determinism -------------------------------------------------------------------------------

def test_same_seed_same_database_and_geojson(city, tmp_path):
    db, geo, counts = _seed(tmp_path)
    assert counts == city["counts"]
    assert _dump(db) == _dump(city["db"])
    for name in dc.GEO_FILES.values():
        assert (geo / name).read_bytes() == (city["geo"] / name).read_bytes()


def test_different_seed_differs(city, tmp_path):
    db, geo, _ = _seed(tmp_path, seed=SEED + 1)
    a, b = _dump(db), _dump(city["db"])
    for table in ("regions", "catalog", "systems", "incidents", "exchange"):
        assert a[table] != b[table], table
    assert (geo / "grids.geojson").read_bytes() != (city["geo"] / "grids.geojson").read_bytes()


def test_counts_and_schema(city):
    conn = sqlite3.connect(city["db"])
    try:
        for table in dc.TABLES:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            assert cols == CONTRACTS[table].names
            assert conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == city["counts"][table]
        meta = dict(conn.execute("SELECT key, value FROM demo_meta"))
        indexes = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index'") if r[0]]
    finally:
        conn.close()
    assert city["counts"]["incidents"] == N
    assert meta["seed"] == str(SEED) and meta["as_of"] == "2025-11-20 14:37:12"
    assert meta["incidents_generated_until"] == "2025-11-20 14:37:12"
    assert any("incidents(reported_at)" in sql.replace(" ", "") for sql in indexes)
    c = city["counts"]
    assert 30 <= c["departments"] <= 60
    assert 3000 <= c["catalog"] <= 5000
    assert 250 <= c["systems"] <= 420
    assert 400 + 7 + 28 <= c["regions"] <= 700 + 7 + 56


# ---- contracts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("table", dc.TABLES)
def test_every_table_meets_its_contract(city, table):
    result = validate(table, city["frames"][table], now=AS_OF)
    expected = dc.DELIBERATE_QUARANTINE.get(table, 0)
    assert result.rows_quarantined == expected, result.quarantined.head(20).to_string()
    assert result.rows_ok == len(city["frames"][table]) - expected


def test_deliberate_bad_rows_have_the_intended_reasons(city):
    inc = validate("incidents", city["frames"]["incidents"], now=AS_OF).quarantined["_reason"].tolist()
    assert any("closed_at 早于 reported_at" in r for r in inc)
    assert any("status 取值不合法: '9'" in r for r in inc)
    assert any("incident_id 重复" in r for r in inc)
    assert any("(0, 0)" in r for r in inc)
    assert any("reported_at 时间过远" in r for r in inc)
    cat = validate("catalog", city["frames"]["catalog"], now=AS_OF).quarantined["_reason"].tolist()
    assert any("share_type 取值不合法" in r for r in cat)
    assert any("resource_id 重复" in r for r in cat)
    assert any("updated_at 无法解析" in r for r in cat)


# ---- geography -------------------------------------------------------------------------------------

def _ring_area(ring) -> float:
    a = np.asarray(ring, dtype=float)
    x, y = a[:, 0], a[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _feature_area(feature) -> float:
    geom = feature["geometry"]
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    return sum(_ring_area(ring) for poly in polys for ring in poly)


def test_regions_match_geojson(city):
    regions = city["frames"]["regions"]
    by_id = regions.set_index("region_id")
    assert regions["region_id"].is_unique
    assert set(regions["level"]) == {"区县", "镇街", "网格"}
    assert len(regions[regions["level"] == "区县"]) == 7
    streets_per = regions[regions["level"] == "镇街"].groupby("parent_id").size()
    assert streets_per.between(4, 8).all()
    assert 400 <= (regions["level"] == "网格").sum() <= 700
    for level, fc in city["geojson"].items():
        assert fc["type"] == "FeatureCollection"
        rows = regions[regions["level"] == level]
        assert [f["id"] for f in fc["features"]] == rows["region_id"].tolist()
        for f in fc["features"]:
            p = f["properties"]
            assert p["region_id"] == f["id"] and p["level"] == level
            assert p["name"] == by_id.loc[f["id"], "name"]
            parent = by_id.loc[f["id"], "parent_id"]
            assert p["parent_id"] == (None if pd.isna(parent) else parent)
    for rid, row in by_id[by_id["level"] == "网格"].iterrows():
        street = by_id.loc[row["parent_id"]]
        assert street["level"] == "镇街" and rid.startswith(row["parent_id"])
        assert by_id.loc[street["parent_id"], "level"] == "区县"
        assert row["name"].startswith(by_id.loc[street["parent_id"], "name"] + "-" + street["name"] + "-第")


def test_polygons_are_closed_ccw_and_tile(city):
    areas = {}
    for level, fc in city["geojson"].items():
        for f in fc["features"]:
            geom = f["geometry"]
            polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
            for poly in polys:
                assert poly[0][0] == poly[0][-1] and len(poly[0]) >= 7
                assert _ring_area(poly[0]) > 0  # RFC 7946: exterior counter-clockwise
                for hole in poly[1:]:
                    assert hole[0] == hole[-1] and _ring_area(hole) < 0
        areas[level] = sum(_feature_area(f) for f in fc["features"])
    assert areas["网格"] == pytest.approx(areas["区县"], rel=1e-9)
    assert areas["镇街"] == pytest.approx(areas["区县"], rel=1e-9)
    lons = [p[0] for f in city["geojson"]["区县"]["features"] for p in f["geometry"]["coordinates"][0]]
    lats = [p[1] for f in city["geojson"]["区县"]["features"] for p in f["geometry"]["coordinates"][0]]
    assert 112.4 < min(lons) < max(lons) < 113.5 and 27.7 < min(lats) < max(lats) < 28.7


def _inside(lon, lat, ring) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring[:-1], ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_incident_points_lie_in_their_grid(city, good):
    grids = {f["id"]: f["geometry"] for f in city["geojson"]["网格"]["features"]}
    sample = good["incidents"].sample(300, random_state=1)
    for rid, lon, lat in zip(sample["region_id"], sample["lon"], sample["lat"]):
        geom = grids[rid]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        assert any(_inside(lon, lat, poly[0]) and not any(_inside(lon, lat, h) for h in poly[1:])
                   for poly in polys), rid


# ---- plausibility -------------------------------------------------------------------------------------

def test_incident_rhythm_and_handling(good):
    inc = good["incidents"]
    hours = inc["reported_at"].dt.hour.value_counts()
    assert hours.get(10, 0) > 5 * hours.get(3, 0)
    dow = inc["reported_at"].dt.day_of_week
    per_weekday = (dow < 5).sum() / 5
    per_weekend_day = (dow >= 5).sum() / 2
    assert per_weekday > 1.2 * per_weekend_day
    share = inc["source"].value_counts(normalize=True)
    assert 0.5 < share["12345热线"] < 0.7 and 0.2 < share["网格巡查"] < 0.4 and 0.05 < share["110联动"] < 0.15
    assert inc["category"].nunique() == 12
    as_of = pd.Timestamp(AS_OF)
    is_open = inc["status"] != "已办结"
    assert (is_open & (inc["deadline_at"] < as_of)).sum() > 0  # 超期未办结
    closed = inc[~is_open]
    assert (closed["closed_at"] > closed["reported_at"]).all() and (closed["closed_at"] <= as_of).all()
    assert 0.9 < (~is_open).mean() < 0.98
    late = (closed["closed_at"] > closed["deadline_at"]).mean()
    assert 0.03 < late < 0.15
    recent = inc["reported_at"] > as_of - pd.Timedelta(days=7)
    assert is_open[recent].mean() > 3 * is_open[~recent].mean()
    assert (inc["reported_at"] >= as_of - pd.Timedelta(days=401)).all()
    per_grid = inc["region_id"].value_counts()
    assert per_grid.iloc[:10].mean() > 4 * per_grid.median()  # hot spots


def test_rates_in_their_bands(good):
    cat, sysm, net = good["catalog"], good["systems"], good["network"]
    sharing = cat["share_type"].isin(["无条件共享", "有条件共享"]).mean()
    assert 0.85 <= sharing <= 0.92
    assert 0.70 <= (cat["data_class"] == "政务").mean() <= 0.80
    assert 0.75 <= cat.loc[cat["data_class"] == "政务", "mounted"].mean() <= 0.85
    assert 0.60 <= cat.loc[cat["data_class"] == "城市", "mounted"].mean() <= 0.75
    nc = sysm[~sysm["classified"]]
    cloud = (nc["status"] == "已上云").mean()
    assert 0.70 <= cloud <= 0.78
    assert 0.05 <= sysm["classified"].mean() <= 0.11
    assert (sysm["exempt_approved"] & (sysm["status"] == "暂缓")).any()
    assert set(sysm["status"]) == {"未迁移", "迁移中", "已上云", "暂缓"}
    levels = net.groupby("level")["connected"].agg(["mean", "size"])
    assert levels.loc["市", "mean"] >= 0.9 and 40 <= levels.loc["市", "size"] <= 60
    assert 0.85 <= levels.loc["镇", "mean"] <= 0.95
    assert 0.75 <= levels.loc["村", "mean"] <= 0.85 and levels.loc["村", "size"] >= 200
    # laggards: a few departments share far less than the city as a whole
    per_dept = cat.groupby("dept_id")["share_type"].apply(lambda s: s.isin(["无条件共享", "有条件共享"]).mean())
    assert (per_dept < sharing - 0.2).sum() >= 3


def test_exchange_shape(good):
    ex = good["exchange"]
    assert 100 <= ex.groupby(["provider_dept", "consumer_dept"]).ngroups <= 140
    assert (ex["provider_dept"] != ex["consumer_dept"]).all()
    assert ex["date"].max() == pd.Timestamp(AS_OF.date()) - pd.Timedelta(days=1)
    assert ex["date"].min() == pd.Timestamp(AS_OF.date()) - pd.Timedelta(days=dc.EXCHANGE_DAYS)
    daily = ex.groupby("date")["records"].sum()
    weekday = daily[daily.index.day_of_week < 5]
    weekend = daily[daily.index.day_of_week >= 5]
    assert weekday.mean() > 2 * weekend.mean()
    assert daily.iloc[-60:].mean() > daily.iloc[:60].mean()  # growing


def test_indicator_history_reaches_current_values(good):
    hist = good["indicator_history"].sort_values("date")
    last = hist.groupby("indicator_id")["value"].last()
    first = hist.groupby("indicator_id")["value"].first()
    days = hist.groupby("indicator_id")["date"].agg(["min", "max", "size"])
    assert (days["max"] == pd.Timestamp(AS_OF.date())).all() and (days["size"] >= 400).all()
    assert set(last.index) >= {"sharing_rate", "gov_aggregation_rate", "city_aggregation_rate", "cloud_migration_rate",
                               "network_rate", "network_rate_市", "network_rate_镇", "network_rate_村", "six_ones",
                               "six_databases", "smart_communities", "smart_towns", "smart_parks"}
    cat, sysm, net = good["catalog"], good["systems"], good["network"]
    assert last["sharing_rate"] == pytest.approx(cat["share_type"].isin(["无条件共享", "有条件共享"]).mean(), abs=1e-6)
    assert last["gov_aggregation_rate"] == pytest.approx(cat.loc[cat["data_class"] == "政务", "mounted"].mean(), abs=1e-6)
    assert last["network_rate"] == pytest.approx(net["connected"].mean(), abs=1e-6)
    assert last["network_rate_村"] == pytest.approx(net.loc[net["level"] == "村", "connected"].mean(), abs=1e-6)
    # the cloud rate's history is exact: on each day, systems migrated by then
    nc = sysm[~sysm["classified"]]
    for day in pd.to_datetime(["2025-01-01", "2025-06-30", AS_OF.date()]):
        exact = ((nc["status"] == "已上云") & (nc["migrated_date"] <= day)).sum() / len(nc)
        assert hist[(hist["indicator_id"] == "cloud_migration_rate") & (hist["date"] == day)]["value"].iloc[0] \
            == pytest.approx(exact, abs=1e-6)
    rising = ("sharing_rate", "gov_aggregation_rate", "city_aggregation_rate", "cloud_migration_rate", "network_rate")
    for key in rising:
        assert first[key] < last[key], key  # rising towards today
    for key in ("six_ones", "six_databases", "smart_communities", "smart_towns", "smart_parks"):
        values = hist.loc[hist["indicator_id"] == key, "value"]
        assert (values == values.round()).all() and (values.diff().dropna() >= 0).all() and values.max() <= 6


# ---- live feed -----------------------------------------------------------------------------------------

def test_top_up_is_the_same_in_any_chunking(city, tmp_path):
    one, three = tmp_path / "one.db", tmp_path / "three.db"
    shutil.copy(city["db"], one)
    shutil.copy(city["db"], three)
    until = AS_OF + timedelta(days=3, hours=5, minutes=3, seconds=7)
    n_one = dc.top_up_incidents(one, until)
    n_three = sum(dc.top_up_incidents(three, t) for t in
                  (AS_OF + timedelta(minutes=10), AS_OF + timedelta(hours=30, seconds=1), until))
    assert n_one == n_three > 0
    assert _dump(one) == _dump(three)
    frame = dc.read_table(one, "incidents")
    result = validate("incidents", frame, now=until)
    assert result.rows_quarantined == dc.DELIBERATE_QUARANTINE["incidents"]
    assert len(frame) == N + n_one
    new = result.good[result.good["reported_at"] > pd.Timestamp(AS_OF)]
    assert len(new) == n_one and set(new["status"]) <= {"受理", "处置中", "已办结"}
    # incidents open at the seed closed on schedule: fewer open old incidents now
    old = result.good[result.good["reported_at"] <= pd.Timestamp(AS_OF)]
    before = validate("incidents", city["frames"]["incidents"], now=AS_OF).good
    assert (old["status"] != "已办结").sum() < (before["status"] != "已办结").sum()


def test_top_up_with_nothing_due_writes_nothing_and_backlog_is_capped(city, tmp_path):
    db = tmp_path / "live.db"
    shutil.copy(city["db"], db)
    assert dc.top_up_incidents(db, AS_OF) == 0
    dc.top_up_incidents(db, AS_OF + timedelta(hours=2))
    before = db.read_bytes()
    assert dc.top_up_incidents(db, AS_OF + timedelta(hours=2)) == 0
    assert db.read_bytes() == before  # nothing due: a read and a rollback, no write (a live pull ticks often)
    # a month later only the last 14 days arrive
    later = AS_OF + timedelta(days=30)
    dc.top_up_incidents(db, later)
    inc = validate("incidents", dc.read_table(db, "incidents"), now=later).good
    arrived = inc["reported_at"][inc["reported_at"] > pd.Timestamp(AS_OF + timedelta(hours=2))]
    assert arrived.min() > pd.Timestamp(later - dc.MAX_TOP_UP)
    assert dc.read_meta(db)["incidents_generated_until"] == later.strftime("%Y-%m-%d %H:%M:%S")


# ---- the demo source ------------------------------------------------------------------------------------

def _settings(tmp_path: Path, **demo) -> Settings:
    return Settings(app=AppSettings(data_dir=str(tmp_path)),
                    demo=DemoSettings(**{"incidents": 2_000, "seed": 7, **demo}))


def test_read_demo_seeds_when_missing(tmp_path):
    settings = _settings(tmp_path, live=False)
    assert not settings.demo_database.exists()
    frame = read_demo(SourceSettings(name="演示-部门", dataset="departments", kind="demo"), settings)
    assert settings.demo_database.is_file()
    assert list(frame.columns) == CONTRACTS["departments"].names and len(frame) > 30
    assert {p.name for p in demo_geo_dir(settings).iterdir()} >= set(dc.GEO_FILES.values())
    incidents = read_demo(SourceSettings(name="演示-事件", dataset="incidents", kind="demo"), settings)
    assert len(incidents) == 2_000
    assert validate("incidents", incidents).rows_quarantined == dc.DELIBERATE_QUARANTINE["incidents"]


def test_read_demo_live_and_ensure(tmp_path):
    settings = _settings(tmp_path, live=True)
    db = settings.demo_database
    two_days_ago = datetime.now().replace(microsecond=0) - timedelta(days=2)
    dc.seed_demo_city(db, demo_geo_dir(settings), seed=7, incidents=2_000, as_of=two_days_ago)
    assert ensure_demo_city(settings) == db and dc.read_meta(db)["as_of"] == two_days_ago.strftime("%Y-%m-%d %H:%M:%S")
    frame = read_demo(SourceSettings(name="演示-事件", dataset="incidents", kind="demo"), settings)
    assert len(frame) > 2_000  # two days of "live" arrivals
    assert validate("incidents", frame).rows_quarantined == dc.DELIBERATE_QUARANTINE["incidents"]
    mtime = db.stat().st_mtime_ns
    assert ensure_demo_city(settings) == db and db.stat().st_mtime_ns == mtime  # no reseed
    (demo_geo_dir(settings) / "grids.geojson").unlink()
    ensure_demo_city(settings)
    assert (demo_geo_dir(settings) / "grids.geojson").is_file() and db.stat().st_mtime_ns == mtime
    ensure_demo_city(settings, incidents=3_000)
    assert dc.read_meta(db)["incidents"] == "3000"
    ensure_demo_city(settings, force=True)
    assert dc.read_meta(db)["incidents"] == "2000"
    assert dc.read_meta(db)["as_of"] > two_days_ago.strftime("%Y-%m-%d %H:%M:%S")
    # `seed --seed 8`: kept by later reads, and the GeoJSON follows the database's seed
    ensure_demo_city(settings, seed=8, incidents=1_000, force=True)
    ensure_demo_city(settings)
    assert dc.read_meta(db)["seed"] == "8" and dc.read_meta(db)["incidents"] == "1000"
    (demo_geo_dir(settings) / "districts.geojson").unlink()
    ensure_demo_city(settings)
    regions = dc.read_table(db, "regions")
    features = json.loads((demo_geo_dir(settings) / "districts.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["name"] for f in features] == regions.loc[regions["level"] == "区县", "name"].tolist()
    grids = json.loads((demo_geo_dir(settings) / "grids.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["id"] for f in grids] == regions.loc[regions["level"] == "网格", "region_id"].tolist()
