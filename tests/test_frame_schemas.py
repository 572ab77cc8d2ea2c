"""Published frames have schemas: every frame a pull publishes is registered and fits it, and a
renamed column, a wrong dtype or an unregistered frame refuses the publish, keeping the last good data."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.frame_schemas import FRAME_SCHEMAS, FrameSchemaError, frame_problems
from dashboard.pullers import Puller
from dashboard.settings import load_settings
from dashboard.store import DiskFrameStore, MemoryFrameStore
from tests.demo_app import ROOT


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """The frames one pull of a small demo city publishes: {dataset: {frame: DataFrame}}."""
    folder = tmp_path_factory.mktemp("schemas")
    config = folder / "citywall.toml"
    config.write_text((ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
                      .replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
                      .replace("incidents = 60000", "incidents = 2000").replace("live = true", "live = false"),
                      encoding="utf-8")
    store = MemoryFrameStore()
    results = Puller(load_settings(config, environ={}), store).run_all("test")
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return {ds: dict(store.snapshot(ds).frames) for ds in store.datasets()}


def test_every_frame_published_today_is_registered_and_fits(pulled):
    assert set(pulled) == set(FRAME_SCHEMAS)
    for dataset, frames in pulled.items():
        assert set(frames) <= set(FRAME_SCHEMAS[dataset]), dataset
        for name, frame in frames.items():
            assert frame_problems(dataset, name, frame) == [], (dataset, name)


@pytest.fixture(params=["memory", "disk"])
def store(request, tmp_path, pulled):
    store = MemoryFrameStore() if request.param == "memory" else DiskFrameStore(tmp_path / "frames")
    store.publish("incidents", pulled["incidents"])
    return store


def _refused(store, frames) -> str:
    before = store.snapshot("incidents")
    with pytest.raises(FrameSchemaError) as refused:
        store.publish("incidents", frames)
    after = store.snapshot("incidents")
    assert after.version == before.version == store.status("incidents").version  # the last good version stays
    assert set(after.frames) == set(before.frames) and "incidents_30d" in after.frames["by_district"].columns
    return refused.value.message


def test_a_renamed_column_refuses_the_publish_naming_the_frame_and_the_column(store, pulled):
    frames = {**pulled["incidents"], "by_district": pulled["incidents"]["by_district"].rename(
        columns={"incidents_30d": "incidents_month"})}
    message = _refused(store, frames)
    assert "发布被拒绝，保留上一版数据" in message
    assert "帧 by_district 缺少列「incidents_30d」" in message and "incidents_month" in message


def test_a_column_of_the_wrong_kind_and_an_unregistered_frame_are_refused(store, pulled):
    daily = pulled["incidents"]["daily"].assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    message = _refused(store, {**pulled["incidents"], "daily": daily})
    assert "帧 daily 的列「date」应为日期时间" in message
    message = _refused(store, {**pulled["incidents"], "by_distrct": pulled["incidents"]["by_district"]})
    assert "帧 by_distrct 没有登记模式" in message and "frame_schemas.py" in message


def test_an_empty_frame_with_its_columns_fits_whatever_their_dtypes():
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_SCHEMAS["systems"]["burnup"]})
    assert frame_problems("systems", "burnup", empty) == []
    assert frame_problems("systems", "burnup", empty.drop(columns=["total"])) != []


def test_a_pull_whose_frames_break_their_schema_keeps_the_last_good_data_and_says_why(tmp_path, monkeypatch, pulled):
    from dashboard import frames as frame_builders

    folder = tmp_path
    config = folder / "citywall.toml"
    config.write_text((ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
                      .replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
                      .replace("incidents = 60000", "incidents = 500").replace("live = true", "live = false"),
                      encoding="utf-8")
    store = MemoryFrameStore()
    puller = Puller(load_settings(config, environ={}), store)
    assert all(r.ok for r in puller.run_all("test"))
    version = store.status("exchange").version
    real = frame_builders.BUILDERS["exchange"]
    monkeypatch.setitem(frame_builders.BUILDERS, "exchange", lambda rows, ctx: {
        **real(rows, ctx), "daily": real(rows, ctx)["daily"].rename(columns={"records": "record_count"})})
    source = next(s.name for s in puller.settings.sources if s.dataset == "exchange")
    result = puller.run_source(source, "test")
    assert not result.ok and "帧 daily 缺少列「records」" in result.error
    status = store.status("exchange")
    assert status.version == version and status.failed and "records" in status.error  # stale, last good kept
