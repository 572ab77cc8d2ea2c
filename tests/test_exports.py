"""The export archive, export jobs and the daily briefing's schedule on a real SQLite app database (and
a real PostgreSQL one, parametrised) and real files: archiving, retention (rows and files), the queue handing back the same export, the producer
registry, a failed export logged, archived as failed and shown on /ops and /exports, the cron's due run
as a pure function, and the daily briefing queued once per run."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from dashboard import db, exports, jobs
from dashboard.export_jobs import TIMEZONE, briefing_kind, briefing_slot, export_params, queue_daily_briefing
from dashboard.export_producers import PRODUCERS, ExportError, Producer, check_view, producer, view_label
from dashboard.pullers import Puller
from dashboard.settings import SettingsError, load_settings
from dashboard.store import DiskFrameStore

DAY = 86400


def city(tmp_path, export: str = "", database_url: str = ""):
    config = tmp_path / "city.toml"
    database = f'database_url = "{database_url}"\n' if database_url else ""
    config.write_text(f'[app]\ndata_dir = "var"\n{database}[export]\n{export}\n', encoding="utf-8")
    return load_settings(config, environ={})


@pytest.fixture
def archive_city(tmp_path, app_database_url):
    settings = city(tmp_path, "retention_days = 30", app_database_url)
    return settings, db.connect(settings.database_url), exports.folder(settings)


def archived(engine, folder, made_at: float, body: bytes = b"PNG!", kind: str = "png") -> exports.Export:
    path = exports.store_file(folder, body, kind, made_at, None)
    os.utime(folder / path, (made_at, made_at))
    return exports.record(engine, kind=kind, view="city", view_label="全市", created_by="简报员", data_version="v1",
                          path=path, size_bytes=len(body), created_at=made_at)


def test_an_archived_export_has_its_file_and_its_row(archive_city):
    _, engine, folder = archive_city
    made_at = datetime(2026, 12, 1, 8, 0, 5).timestamp()
    made = archived(engine, folder, made_at, b"\x89PNG-bytes")
    assert made.path == "2026-12/20261201-080005-cli.png"
    assert exports.file_of(folder, made).read_bytes() == b"\x89PNG-bytes"
    assert not list(folder.rglob("*.part"))  # written under a temporary name, then renamed
    assert [e.id for e in exports.recent(engine)] == [made.id]
    assert (made.size_bytes, made.created_by, made.view_label, made.status) == (10, "简报员", "全市", "done")
    outside = exports.Export(**{**made.__dict__, "path": "../../city.toml"})
    assert exports.file_of(folder, outside) is None  # never a file outside the archive


def test_retention_removes_old_rows_their_files_and_stray_old_files(archive_city):
    settings, engine, folder = archive_city
    now = time.time()
    old, recent = archived(engine, folder, now - 31 * DAY), archived(engine, folder, now - 29 * DAY)
    failed = exports.record(engine, kind="png", view="city", view_label="全市", created_by="x", data_version="",
                            status="failed", error="截图失败", created_at=now - 40 * DAY)
    stray = folder / "2020-01" / "20200101-000000-7.png"  # a process died after writing it
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    os.utime(stray, (now - 40 * DAY, now - 40 * DAY))

    assert exports.purge(engine, folder, settings.export.retention_days, now) == (2, 2)
    assert [e.id for e in exports.recent(engine)] == [recent.id]
    assert exports.get(engine, old.id) is None and exports.get(engine, failed.id) is None
    assert exports.file_of(folder, recent) is not None
    assert not (folder / old.path).exists() and not stray.parent.exists()
    assert exports.purge(engine, folder, 0, now + 1000 * DAY) == (0, 0)  # 0: kept for ever
    assert exports.file_of(folder, recent) is not None


def test_retention_and_the_briefing_cron_are_validated_in_chinese(tmp_path):
    with pytest.raises(SettingsError) as caught:
        city(tmp_path, "retention_days = -3")
    assert "export.retention_days = -3: 必须 ≥ 0" in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        city(tmp_path, 'daily_briefing = "8:00"')
    assert "export.daily_briefing" in str(caught.value) and "cron 表达式无效（现有 1 段）" in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        city(tmp_path, 'daily_briefing = "0 24 * * *"')
    assert "某一段的取值超出范围" in str(caught.value)
    assert city(tmp_path, 'daily_briefing = "0 8 * * 1-5"').export.daily_briefing == "0 8 * * 1-5"
    assert city(tmp_path).export.daily_briefing == ""  # off by default


def test_the_same_export_asked_twice_is_queued_once(archive_city):
    _, engine, _ = archive_city
    params = export_params("png", "city", "全市")
    first, queued = jobs.enqueue(engine, "export", requested_by="简报员", params=params)
    again, queued_again = jobs.enqueue(engine, "export", params=dict(reversed(params.items())))
    other, queued_other = jobs.enqueue(engine, "export", params=export_params("png", "district:D1", "东城区"))
    assert queued and not queued_again and again.id == first.id
    assert queued_other and other.id != first.id
    assert first.label == "导出大屏 PNG「全市」"
    refresh, queued_refresh = jobs.enqueue(engine, "refresh_all")  # a refresh is not covered by an export
    assert queued_refresh


def test_the_producer_registry_imports_a_kind_only_when_it_runs():
    missing = Producer("pdf", "通报 PDF", "生成中", "application/pdf", "/briefing", "dashboard.capture:no_such_function",
                       lambda fn, ctx: fn())
    assert not missing.available
    with pytest.raises(ExportError) as caught:
        missing.produce(None)
    assert caught.value.message == "通报 PDF 导出尚未可用（缺少 dashboard.capture.no_such_function）"
    assert PRODUCERS["png"].available and producer("png").stage == "截图中"
    with pytest.raises(ExportError) as caught:
        producer("gif")
    assert "未知的导出类型「gif」" in caught.value.message


def test_views_are_checked_and_named(archive_city):
    districts = {"D1": "东城区"}
    assert [view_label(v, districts) for v in ("city", "district:D1", "/briefing", "/incidents?type=x")] == \
        ["全市", "东城区", "通报", "页面 /incidents?type=x"]
    assert check_view("district:D1", districts) == "district:D1"
    with pytest.raises(ExportError) as caught:
        check_view("district:D9", districts)
    assert "视图 district:D9 无效" in caught.value.message and "district:D1（东城区）" in caught.value.message


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


def test_the_briefing_due_is_the_crons_latest_run_within_the_catch_up():
    cron = "0 8 * * *"
    assert briefing_slot(cron, beijing(2026, 12, 2, 7, 59)) is None  # before today's run (yesterday's too old)
    assert briefing_slot(cron, beijing(2026, 12, 2, 8, 0)) == beijing(2026, 12, 2, 8, 0)
    assert briefing_slot(cron, beijing(2026, 12, 2, 13, 30)) == beijing(2026, 12, 2, 8, 0)  # made up after a restart
    assert briefing_slot(cron, beijing(2026, 12, 2, 14, 1)) is None  # more than 6 hours late: skipped
    # the cron is Beijing time whatever the server's zone: 00:00 UTC is 08:00 in Beijing
    assert briefing_slot(cron, datetime(2026, 12, 2, 0, 0, 30, tzinfo=timezone.utc)) == beijing(2026, 12, 2, 8, 0)
    assert briefing_slot("*/15 * * * *", beijing(2026, 12, 2, 9, 44)) == beijing(2026, 12, 2, 9, 30)
    assert briefing_slot("", beijing(2026, 12, 2, 8, 0)) is None
    assert briefing_slot(cron, beijing(2026, 12, 2, 9, 0), catch_up=timedelta(minutes=30)) is None
    # a city on another zone (city.timezone) has its 08:00 there: 02:00 UTC in Urumqi
    urumqi = briefing_slot(cron, datetime(2026, 12, 2, 2, 0, 30, tzinfo=timezone.utc), timezone="Asia/Urumqi")
    assert urumqi.isoformat() == "2026-12-02T08:00:00+06:00"


def test_the_daily_briefing_is_queued_once_per_run(tmp_path, monkeypatch, app_database_url):
    settings = city(tmp_path, 'daily_briefing = "0 8 * * *"', app_database_url)
    engine = db.connect(settings.database_url)
    monkeypatch.setitem(PRODUCERS, "pdf", Producer("pdf", "通报 PDF", "生成中", "application/pdf", "/briefing",
                                                   "dashboard.capture:no_such_function", lambda fn, ctx: fn()))
    assert briefing_kind() == "png"  # no PDF producer yet: the wall's PNG
    job = queue_daily_briefing(engine, settings, beijing(2026, 12, 2, 8, 0, 20))
    assert job is not None and job.requested_by == "定时任务"
    assert job.params == {"kind": "png", "view": "city", "label": "每日通报（全市大屏）", "trigger": "schedule",
                          "slot": "2026-12-02T08:00:00+08:00"}
    jobs.update_job(engine, job.id, status="done")  # made: a second scheduler process finds the slot taken
    assert queue_daily_briefing(engine, settings, beijing(2026, 12, 2, 8, 0, 50)) is None
    assert queue_daily_briefing(engine, settings, beijing(2026, 12, 2, 7, 0)) is None
    tomorrow = queue_daily_briefing(engine, settings, beijing(2026, 12, 3, 8, 1))
    assert tomorrow is not None and tomorrow.params["slot"] == "2026-12-03T08:00:00+08:00"

    monkeypatch.setitem(PRODUCERS, "pdf", Producer("pdf", "通报 PDF", "生成中", "application/pdf", "/briefing",
                                                   "dashboard.capture:capture_png", lambda fn, ctx: fn()))
    assert briefing_kind() == "pdf"  # once the PDF producer is there, the briefing is the PDF
    pdf = queue_daily_briefing(engine, settings, beijing(2026, 12, 4, 8, 0))
    assert pdf.params["kind"] == "pdf" and pdf.params["view"] == "/briefing" and pdf.params["label"] == "每日通报"
    # the cron runs in the city's zone (city.timezone), not a fixed Beijing time
    urumqi = settings.model_copy(update={"city": settings.city.model_copy(update={"timezone": "Asia/Urumqi"})})
    later = queue_daily_briefing(engine, urumqi, datetime(2026, 12, 5, 2, 0, 20, tzinfo=timezone.utc))
    assert later is not None and later.params["slot"] == "2026-12-05T08:00:00+06:00"


def test_a_failed_export_is_logged_archived_as_failed_and_shown_on_ops_and_exports(tmp_path, caplog):
    from dashboard.app import create_app
    from dashboard.exports_view import exports_view
    from dashboard.ops_view import ops_view
    from tests.components import texts

    settings = city(tmp_path, 'chromium = "/nonexistent/chromium"')
    store = DiskFrameStore(settings.data_dir / "frames")
    puller = Puller(settings, store)
    app = create_app(settings, store, puller.engine)
    runner = jobs.JobRunner(puller)
    runner.exports.use_app(app)
    job, _ = jobs.enqueue(puller.engine, "export", requested_by="简报员", params=export_params("png", "city", "全市"))
    try:
        assert runner.run_next()
    finally:
        runner.stop()
    done = jobs.get(puller.engine, job.id)
    assert done.status == "failed" and done.error.startswith("未找到可用的 Chromium：/nonexistent/chromium")
    assert "fonts-noto-cjk" in done.error
    assert any("export job" in r.message and r.levelname == "ERROR" for r in caplog.records)
    failed = exports.for_job(puller.engine, job.id)
    assert (failed.status, failed.path, failed.created_by, failed.error) == ("failed", None, "简报员", done.error)

    from layouts.ops import ops_body  # a page module: imported once the app exists

    rows = exports_view({}).rows
    assert [(r.status, r.href, r.error) for r in rows] == [("失败", None, done.error)]
    view = ops_view()
    assert view.jobs == [] and [r.error for r in view.export_failures] == [done.error]
    shown = texts(ops_body(view))
    assert "失败的导出（最近 5 次）" in shown and done.error in shown


def test_an_excel_export_through_the_queue_archives_the_walls_workbook(tmp_path):
    """xlsx → dashboard.workbook.build_workbook, run by the job runner and archived like a capture."""
    from openpyxl import load_workbook

    from dashboard.app import create_app
    from dashboard.workbook import build_workbook
    from tests.auth_helpers import pulled_city

    pulled = pulled_city(tmp_path, incidents=500)
    puller = Puller(pulled.settings, pulled.store)
    create_app(pulled.settings, pulled.store, puller.engine)
    runner = jobs.JobRunner(puller)
    job, _ = jobs.enqueue(puller.engine, "export", requested_by="简报员", params=export_params("xlsx", "city", "全市"))
    try:
        assert runner.run_next()
    finally:
        runner.stop()
    done = jobs.get(puller.engine, job.id)
    assert done.status == "done", done.error
    made = exports.for_job(puller.engine, job.id)
    assert (made.kind, made.view_label, made.created_by, made.status) == ("xlsx", "全市", "简报员", "done")
    archived_book = load_workbook(exports.file_of(exports.folder(pulled.settings), made), read_only=True)
    import io

    direct = load_workbook(io.BytesIO(build_workbook(pulled.settings, pulled.store)), read_only=True)
    assert archived_book.sheetnames == direct.sheetnames and {"关键指标", "部门绩效", "口径"} <= set(direct.sheetnames)
    for name in ("关键指标", "部门绩效"):  # the same numbers as the workbook made directly
        assert list(archived_book[name].values)[4:] == list(direct[name].values)[4:]
