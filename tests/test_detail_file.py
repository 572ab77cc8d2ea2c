"""A detail kept on disk (dashboard/detail_file.py) through the frame stores: the disk store links the
file into its version and another instance reads it back as a file, never loading its rows; the Redis
store sends readers to its durable copy's file; the frame-schema check reads the file's columns."""
from __future__ import annotations

import uuid

import pandas as pd
import pytest

from dashboard.detail_file import DetailFile, write_detail
from dashboard.frame_schemas import FrameSchemaError
from dashboard.incident_cube import incident_cube, incident_detail
from dashboard.store import DiskFrameStore
from tests.servers import redis_server  # noqa: F401  (fixture)
from tests.test_incident_select import NOW, REGIONS, _t


def _frames(folder):
    rows = pd.DataFrame([
        ("A", "12345热线", "市容环境", "G1", "2026-12-01 09:10", "2026-12-02 09:00", "2026-12-01 11:10", "已办结"),
        ("B", "网格巡查", "交通出行", "G3", "2026-11-30 22:00", "2026-11-30 23:00", None, "处置中"),
    ], columns=["incident_id", "source", "category", "region_id", "reported_at", "deadline_at", "closed_at", "status"])
    for column in ("reported_at", "deadline_at", "closed_at"):
        rows[column] = rows[column].map(_t)
    rows["lon"], rows["lat"] = 112.9, 28.2
    frames = incident_cube(incident_detail(rows, NOW, REGIONS))
    staged = folder / "staging" / "detail-1.parquet"
    frames["detail"] = write_detail(staged, [frames["detail"]])
    return frames, staged


def test_the_disk_store_publishes_the_file_and_another_reader_opens_it(tmp_path):
    frames, staged = _frames(tmp_path)
    DiskFrameStore(tmp_path / "frames").publish("incidents", frames)
    staged.unlink()  # the pull lets its file go once published
    detail = DiskFrameStore(tmp_path / "frames").frame("incidents", "detail")
    assert isinstance(detail, DetailFile) and len(detail) == 2 and detail.path.parent.name == "files"
    assert detail.to_pandas()["incident_id"].tolist() == ["A", "B"]
    assert detail.categories("status") == ["处置中", "已办结"]


def test_the_redis_store_sends_readers_to_its_copys_file(redis_server, tmp_path):  # noqa: F811
    from dashboard.store_redis import RedisFrameStore

    prefix = f"t{uuid.uuid4().hex[:8]}"
    frames, staged = _frames(tmp_path)
    owner = RedisFrameStore(f"redis://127.0.0.1:{redis_server.port}/0", tmp_path / "copy", prefix=prefix)
    owner.publish("incidents", frames)
    staged.unlink()
    assert owner.frame("incidents", "detail").path.is_relative_to(tmp_path / "copy")
    reader = RedisFrameStore(f"redis://127.0.0.1:{redis_server.port}/0", tmp_path / "reader", prefix=prefix)
    detail = reader.frame("incidents", "detail")
    assert isinstance(detail, DetailFile) and detail.to_pandas()["incident_id"].tolist() == ["A", "B"]
    assert len(reader.frame("incidents", "cube_grid")) == 2


def test_a_detail_file_missing_a_column_is_refused(tmp_path):
    frames, _ = _frames(tmp_path)
    frames["detail"] = _without(tmp_path, frames["detail"], "overdue")
    with pytest.raises(FrameSchemaError, match="缺少列「overdue」"):
        DiskFrameStore(tmp_path / "frames").publish("incidents", frames)


def _without(folder, detail: DetailFile, column: str) -> DetailFile:
    import pyarrow.parquet as pq

    table = pq.read_table(detail.path).drop_columns([column])
    pq.write_table(table, folder / "without.parquet")
    return DetailFile(folder / "without.parquet")


def test_ask_finds_incident_ids_in_a_detail_file_and_its_lexicon_pickles(tmp_path):
    import pickle

    from dashboard.ask.lexicon import build_lexicon

    frames, _ = _frames(tmp_path)
    lexicon = pickle.loads(pickle.dumps(build_lexicon(frames, "示范市")))
    assert "a" in lexicon.incidents and lexicon.incidents["b"] == "B" and "c" not in lexicon.incidents
