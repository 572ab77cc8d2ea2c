"""The ``sql`` source with ``push_down = true`` on a real PostgreSQL server: the demo city's incidents
seeded with COPY (``run.py seed --database``), aggregated in the database, give the same frames, the
same quarantine and the same indicator values as the rows path (validate → incident_frames) on the
same rows, and a pull through the Puller publishes them."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.store import MemoryFrameStore

from dashboard import db
from dashboard.aggregate_frames import aggregate_frames, indicator_values
from dashboard.frames import PullContext, build_frames
from dashboard.frames import indicator_values as rows_indicator_values
from dashboard.incident_frames import incident_frames
from dashboard.pull_pushdown import district_of, district_region_ids
from dashboard.settings import load_settings
from datasources.demo_city import build_city, region_rows
from datasources.demo_postgres import seed_postgres_incidents
from datasources.sql_incidents import read_incident_aggregates
from datasources.validation import validate

SEED = 11
AS_OF = datetime(2026, 11, 30, 16, 20, 5)
NOW = AS_OF + timedelta(minutes=7)
BBOX = "[112.0, 27.5, 114.0, 29.0]"


@pytest.fixture(scope="module")
def seeded(postgres_server):
    """A database with 20,000 demo incidents (module-wide: every test here only reads it)."""
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    assert seed_postgres_incidents(url, seed=SEED, incidents=20_000, as_of=AS_OF) == 19_999  # the repeat refused
    yield url
    postgres_server.drop_database(name)


def table_rows(url: str, table: str = "incidents") -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(sa.text(f"SELECT * FROM {table}"), conn)
    finally:
        engine.dispose()


def city(tmp_path, url: str, extra: str = ""):
    config = tmp_path / "city.toml"
    config.write_text(f'[city]\nbbox = {BBOX}\n[app]\ndata_dir = "var"\n[[sources]]\nname = "事件库"\n'
                      f'dataset = "incidents"\nkind = "sql"\nurl = "{url}"\ntable = "incidents"\npush_down = true\n'
                      f'guard = false\n{extra}', encoding="utf-8")
    return load_settings(config, environ={})


def demo_regions() -> pd.DataFrame:
    rows = pd.DataFrame(region_rows(build_city(SEED)), columns=["region_id", "name", "level", "parent_id"])
    return build_frames("regions", validate("regions", rows).good, PullContext(now=NOW))["regions"]


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: categoricals as text, rows in key order (each path keeps its own row order)."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype) or out[name].dtype == object:
            out[name] = out[name].astype(object).where(out[name].notna(), None).astype(str)
        elif pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = out[name].astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(out[name]):
            out[name] = out[name].astype(bool)
    keys = [c for c in out.columns if not pd.api.types.is_float_dtype(out[c]) or c in ("lon", "lat")]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def both_paths(seeded, tmp_path_factory):
    settings = city(tmp_path_factory.mktemp("pushdown"), seeded)
    regions = demo_regions()
    rows = validate("incidents", table_rows(seeded), now=NOW, bbox=settings.city.bbox)
    agg = read_incident_aggregates(settings.sources[0], settings, NOW, district_region_ids(regions),
                                   district_of(regions))
    return rows, incident_frames(rows.good, NOW, regions), agg, aggregate_frames(agg, NOW, regions)


def test_the_seed_writes_typed_rows_with_a_key(seeded):
    engine = sa.create_engine(seeded)
    columns = {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns("incidents")}
    assert columns["reported_at"] == "TIMESTAMP" and columns["lon"] == "DOUBLE PRECISION"
    assert sa.inspect(engine).get_pk_constraint("incidents")["constrained_columns"] == ["incident_id"]
    engine.dispose()


def test_the_contract_refuses_the_same_rows_in_the_database(both_paths):
    rows, _, agg, _ = both_paths
    assert agg.rows_read == len(rows.good) + len(rows.quarantined) == 19_999
    assert agg.rows_ok == len(rows.good)
    assert sorted(agg.quarantined["_reason"]) == sorted(rows.quarantined["_reason"])
    assert len(agg.quarantined) == 4  # the demo's deliberate bad rows, less the repeat the key refused


def test_every_frame_equals_the_rows_path(both_paths):
    _, from_rows, _, pushed = both_paths
    assert set(pushed) == set(from_rows)
    for name in sorted(from_rows):
        expected, got = comparable(from_rows[name]), comparable(pushed[name])
        assert list(got.columns) == list(expected.columns), name
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-9, obj=name)


def test_the_counts_are_identical_and_the_rates_agree_to_the_last_digits(both_paths):
    _, from_rows, _, pushed = both_paths
    for name in ("summary", "by_district", "cube_grid", "hours_district"):
        for column in ("incidents", "closed", "overdue_open", "incidents_30d", "open", "overdue", "ontime"):
            if column in from_rows[name]:
                assert from_rows[name][column].sum() == pushed[name][column].sum(), (name, column)
    rows = from_rows["summary"].set_index("period")
    got = pushed["summary"].set_index("period")
    assert (rows["closure_rate"] == got["closure_rate"]).all()  # the same two integers divided


def test_the_days_indicator_values_equal_the_rows_path(both_paths):
    rows, _, _, pushed = both_paths
    expected = rows_indicator_values("incidents", rows.good, PullContext(now=NOW))
    got = indicator_values(pushed, NOW)
    assert set(got) == set(expected)
    for key in expected:
        # counts exact; 平均处置时长 sums hours per cube cell, the rows path averages timedeltas: 1e-12 apart
        assert got[key] == pytest.approx(expected[key], rel=1e-9), key


def test_a_pull_publishes_the_aggregates_and_keeps_the_quarantine(seeded, tmp_path):
    from dashboard.pullers import Puller
    from dashboard.store import MemoryFrameStore

    settings = city(tmp_path, seeded)
    puller = Puller(settings, MemoryFrameStore(), db.connect(settings.database_url), clock=lambda: NOW)
    result = puller.run_source("事件库", "cli")
    assert result.ok and (result.rows_ok, result.rows_quarantined) == (19_995, 4), result.error
    snapshot = puller.store.snapshot("incidents")
    assert int(snapshot.frame("summary").set_index("period").loc["全部", "incidents"]) == 19_995
    assert len(snapshot.frame("detail")) == 19_995  # detail_rows (100,000) covers them all
    assert sorted(db.quarantined_rows(puller.engine)["reason"]) == sorted(
        validate("incidents", table_rows(seeded), now=NOW, bbox=settings.city.bbox).quarantined["_reason"])
    history = db.load_history(puller.engine).set_index("indicator_id")["value"]
    assert {"incident_closure_rate", "overdue_open"} <= set(history.index)
    puller.engine.dispose()


def test_a_pull_the_guard_would_hold_fails_and_keeps_the_last_frames(seeded, tmp_path):
    """No raw rows came over to hold: the pull fails with the guard's reason, the wall keeps its frames."""
    from dashboard.pullers import Puller
    from dashboard.store import MemoryFrameStore

    settings = city(tmp_path, seeded)
    puller = Puller(settings, MemoryFrameStore(), db.connect(settings.database_url), clock=lambda: NOW)
    first = puller.run_source("事件库", "cli")
    guarded = settings.sources[0].model_copy(update={"guard": True, "table": "shrunk"})
    engine = sa.create_engine(seeded)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE shrunk AS SELECT * FROM incidents ORDER BY incident_id LIMIT 1000"))
    try:
        puller.settings = settings.model_copy(update={"sources": [guarded]})
        held = puller.run_source("事件库", "cli")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE shrunk"))
        engine.dispose()
    assert first.ok and not held.ok and "发布保护" in held.error and "下次拉取重新判断" in held.error
    assert puller.store.status("incidents").version == first.version  # the last good frames stay
    assert db.recent_runs(puller.engine).iloc[0]["status"] == "failed"
    puller.engine.dispose()

def test_above_detail_rows_the_detail_is_published_as_a_file_of_every_row(seeded, tmp_path):
    """A province's detail is never all in memory: written from COPY chunk by chunk, linked into the
    store's version, paged with DuckDB; the same rows as the in-memory detail of a smaller setting."""
    from dashboard import incident_table
    from dashboard.detail_file import DetailFile
    from dashboard.incident_query import IncidentQuery
    from dashboard.pullers import Puller
    from dashboard.store import DiskFrameStore

    (tmp_path / "file").mkdir()
    (tmp_path / "memory").mkdir()
    small = city(tmp_path / "file", seeded, "detail_rows = 500\n")
    puller = Puller(small, DiskFrameStore(tmp_path / "frames"), db.connect(small.database_url), clock=lambda: NOW)
    assert puller.run_source("事件库", "cli").ok
    on_disk = puller.store.frame("incidents", "detail")
    assert isinstance(on_disk, DetailFile) and len(on_disk) == 19_995 and "/v1/files/" in str(on_disk.path)
    assert not list((small.data_dir / "staging").glob("detail-*"))  # linked into the version, then let go
    large = city(tmp_path / "memory", seeded)
    memory = Puller(large, MemoryFrameStore(), db.connect(large.database_url), clock=lambda: NOW)
    assert memory.run_source("事件库", "cli").ok
    in_memory = memory.store.frame("incidents", "detail")
    assert isinstance(in_memory, pd.DataFrame) and in_memory["reported_at"].is_monotonic_decreasing
    pd.testing.assert_frame_equal(comparable(on_disk.to_pandas()), comparable(in_memory), check_dtype=False)
    query = IncidentQuery(period="year", sort="handling_hours:desc")
    for frame in (on_disk, in_memory):
        rows, total = incident_table.page(frame, query, None, NOW.date(), {}, start=40, end=60, sort=query.sort)
        assert total == int(memory.store.frame("incidents", "cube_district").pipe(
            lambda c: c[c["day"] >= pd.Timestamp(NOW.year, 1, 1)]["incidents"].sum()))
        assert len(rows) == 20
    puller.engine.dispose()
    memory.engine.dispose()


def test_rows_the_predicate_doubts_but_the_contract_accepts_are_counted(seeded, postgres_server, tmp_path):
    """A padded category is doubtful in SQL, good to the validator (it strips): aggregated by its ctid."""
    engine = sa.create_engine(seeded)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE padded AS SELECT * FROM incidents"))
        conn.execute(sa.text("UPDATE padded SET category = ' ' || category || ' ' WHERE incident_id IN "
                             "(SELECT incident_id FROM padded WHERE status = '已办结' ORDER BY incident_id LIMIT 3)"))
    try:
        settings = city(tmp_path, seeded)
        source = settings.sources[0].model_copy(update={"table": "padded"})
        agg = read_incident_aggregates(source, settings, NOW, [])
        assert agg.rows_ok == 19_995 and len(agg.quarantined) == 4
        assert int(agg.hours["incidents"].sum()) == int(agg.days["incidents"].sum()) == len(agg.detail) == 19_995
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE padded"))
        engine.dispose()


@pytest.mark.parametrize("extra, message", [
    ('values = { status = { "1" = "受理" } }\n', "只能用 columns 改列名"),
])
def test_push_down_settings_say_what_to_fix(tmp_path, extra, message):
    from dashboard.settings import SettingsError

    with pytest.raises(SettingsError, match=message):
        city(tmp_path, "postgresql+psycopg://u@127.0.0.1/cw", extra)
    config = tmp_path / "sqlite.toml"
    config.write_text('[[sources]]\nname = "x"\ndataset = "incidents"\nkind = "sql"\nurl = "sqlite:///x.db"\n'
                      'table = "incidents"\npush_down = true\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="push_down = true 需要 PostgreSQL"):
        load_settings(config, environ={})
    with pytest.raises(SettingsError, match="须是 incidents 唯一的数据源"):
        city(tmp_path, "postgresql+psycopg://u@127.0.0.1/cw",
             '[[sources]]\nname = "热线"\ndataset = "incidents"\nkind = "demo"\n')


def test_run_py_seed_database_writes_the_incidents_into_postgresql(postgres_server, tmp_path, capsys):
    from dashboard.cli import main

    name = postgres_server.create_database()
    try:
        config = tmp_path / "city.toml"
        config.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[demo]\nincidents = 1000\n', encoding="utf-8")
        url = postgres_server.url(name, driver="postgresql")
        assert main(["--config", str(config), "seed", "--incidents", "3000", "--database", url]) == 0
        assert "已向 PostgreSQL 写入 2,999 条演示事件" in capsys.readouterr().out
        assert len(table_rows(url.replace("postgresql://", "postgresql+psycopg://"))) == 2_999
        assert (tmp_path / "var").is_dir()  # the rest of the demo city, local as before

        assert main(["--config", str(config), "seed", "--database", "mysql://u@h/cw"]) == 2
        assert "--database 'mysql://u@h/cw': 不支持的数据库 mysql" in capsys.readouterr().err
    finally:
        postgres_server.drop_database(name)
