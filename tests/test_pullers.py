"""Pullers end to end on real files and a real SQLite app database: publish, quarantine, history,
several sources in one dataset, and a failing source keeping its last good frames while stale."""
import time
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard import db
from dashboard.freshness import freshness
from dashboard.pullers import Puller
from dashboard.scheduler import PullScheduler, backoff_seconds
from dashboard.settings import load_settings
from dashboard.store import DiskFrameStore, MemoryFrameStore

NOW = datetime(2026, 11, 22, 12, 0)
HEADER = "工单编号,类别,网格,经度,纬度,受理时间,办理时限,办结时间,状态\n"


def hotline_csv(path, rows, encoding="utf-8"):
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows), encoding=encoding)


ROWS_12345 = [
    ("H1", "市容环境", "G1", "113.0", "28.2", "2026/11/22 08:00", "2026/11/23 08:00", "2026/11/22 10:00", "3"),
    ("H2", "噪声扰民", "G2", "113.1", "28.3", "2026/11/21 09:00", "2026/11/22 09:00", "", "2"),
    ("H3", "市容环境", "G1", "113.0", "28.2", "2026/13/45 09:00", "", "", "1"),  # bad date → quarantine
]
ROWS_GRID = [
    ("W1", "城市管理", "G2", "113.1", "28.3", "2026/11/22 07:00", "2026/11/24 07:00", "", "1"),
    ("W2", "城市管理", "G1", "113.0", "28.2", "2026/11/20 07:00", "2026/11/24 07:00", "2026/11/21 07:00", "3"),
]
MAPPING = ('columns = { "工单编号" = "incident_id", "类别" = "category", "网格" = "region_id", "经度" = "lon", '
           '"纬度" = "lat", "受理时间" = "reported_at", "办理时限" = "deadline_at", "办结时间" = "closed_at", '
           '"状态" = "status" }\nvalues.status = { "1" = "受理", "2" = "处置中", "3" = "已办结" }\n')


@pytest.fixture
def city(tmp_path):
    hotline_csv(tmp_path / "12345.csv", ROWS_12345, encoding="gbk")
    hotline_csv(tmp_path / "grid.csv", ROWS_GRID)
    config = tmp_path / "city.toml"
    config.write_text(f"""
[city]
name = "测试市"
[app]
data_dir = "var"
[targets]
[[targets.custom]]
indicator_id = "incident_closure_rate"
name = "事件办结率"
target = 0.9
deadline = 2027-12-31
[[sources]]
name = "12345热线"
dataset = "incidents"
kind = "files"
path = "12345.csv"
schedule = "interval:10m"
constants = {{ source = "12345" }}
{MAPPING}
[[sources]]
name = "网格系统"
dataset = "incidents"
kind = "files"
path = "grid.csv"
schedule = "cron:*/5 * * * *"
constants = {{ source = "网格" }}
{MAPPING}
""", encoding="utf-8")
    settings = load_settings(config, environ={})
    return settings, tmp_path


def make_puller(settings, store=None):
    return Puller(settings, store or MemoryFrameStore(), clock=lambda: NOW)


def test_pull_publishes_quarantines_and_logs(city):
    settings, _ = city
    puller = make_puller(settings)
    result = puller.run_source("12345热线", "manual")
    assert result.ok and result.rows_ok == 2 and result.rows_quarantined == 1 and result.version == 1
    summary = puller.store.frame("incidents", "summary").set_index("period")
    assert summary.loc["今日", "incidents"] == 1
    runs = db.recent_runs(puller.engine)
    assert runs.loc[0, "source"] == "12345热线" and runs.loc[0, "rows_quarantined"] == 1
    assert runs.loc[0, "trigger"] == "manual" and runs.loc[0, "error"] == ""
    quarantined = db.quarantined_rows(puller.engine, "12345热线")
    assert len(quarantined) == 1 and "reported_at 无法解析" in quarantined.loc[0, "reason"]
    assert quarantined.loc[0, "row_number"] == 3 and "H3" in quarantined.loc[0, "row_json"]


def test_several_sources_become_one_frame_with_a_source_column(city):
    settings, _ = city
    puller = make_puller(settings)
    puller.run_all()
    by_source = puller.store.frame("incidents", "by_source").set_index("source")["incidents"].to_dict()
    assert by_source == {"12345": 2, "网格": 2}
    assert puller.store.snapshot("incidents").meta["rows"] == 4


def test_failing_source_keeps_last_good_frames_and_is_stale(city):
    settings, folder = city
    store = DiskFrameStore(settings.data_dir / "frames")
    puller = make_puller(settings, store)
    puller.run_all()
    version = store.status("incidents").version
    before = store.frame("incidents", "by_source")

    (folder / "grid.csv").unlink()  # the grid system's export stops arriving
    result = puller.run_source("网格系统")
    assert not result.ok and "网格系统" in result.error
    status = store.status("incidents")
    assert status.version == version and status.failed and status.failed_sources == ("网格系统",)
    pd.testing.assert_frame_equal(store.frame("incidents", "by_source"), before)
    fresh = freshness(settings, status)
    assert fresh.stale and "网格系统" in fresh.reason and fresh.badge.startswith("数据滞后")

    # the other source still refreshes, with the grid system's last good rows, and stays stale
    hotline_csv(folder / "12345.csv", ROWS_12345[:1], encoding="gbk")
    restarted = make_puller(settings, store)  # a restart while the grid system is down
    restarted._source_errors["网格系统"] = result.error
    assert restarted.run_source("12345热线").ok
    by_source = store.frame("incidents", "by_source").set_index("source")["incidents"].to_dict()
    assert by_source == {"12345": 1, "网格": 2}
    assert store.status("incidents").failed

    hotline_csv(folder / "grid.csv", ROWS_GRID)
    assert restarted.run_source("网格系统").ok
    assert not store.status("incidents").failed


def test_unchanged_data_does_not_bump_the_version(city):
    settings, _ = city
    puller = make_puller(settings)
    first = puller.run_source("12345热线").version
    store_status = puller.store.status("incidents")
    time.sleep(0.01)
    second = puller.run_source("12345热线").version
    assert first == second == 1
    assert puller.store.status("incidents").published_at > store_status.published_at


def test_derived_datasets_keep_their_version_across_a_disk_round_trip(city):
    settings, _ = city
    store = DiskFrameStore(settings.data_dir / "frames")
    puller = make_puller(settings, store)
    puller.run_all()
    versions = store.versions()
    puller.run_all()  # nothing changed: targets (datetime deadlines) and history must not bump
    assert store.versions() == versions


def test_indicator_history_and_targets(city):
    settings, _ = city
    puller = make_puller(settings)
    puller.run_all()
    history = db.load_history(puller.engine)
    today = history[history["date"] == pd.Timestamp(NOW.date())].set_index("indicator_id")["value"]
    assert today["incident_closure_rate"] == pytest.approx(2 / 4)
    assert today["overdue_open"] == 1  # H2: deadline 11-22 09:00 passed, still 处置中
    targets = puller.store.frame("targets", "targets")
    row = targets.set_index("indicator_id").loc["incident_closure_rate"]
    assert row["current"] == pytest.approx(0.5) and row["status"] == "滞后" and row["target"] == 0.9
    latest = puller.store.frame("indicator_history", "latest").set_index("indicator_id")
    assert latest.loc["incident_closure_rate", "value"] == pytest.approx(0.5)


def test_scheduler_has_one_job_per_source_and_retries_with_backoff(city):
    settings, folder = city
    scheduler = PullScheduler(make_puller(settings))
    scheduler.start(run_now=False)
    try:
        jobs = {j.id: j for j in scheduler.scheduler.get_jobs()}
        # one job per source, the export archive's daily retention and the midnight re-anchoring of the periods
        assert set(jobs) == {"12345热线", "网格系统", "export:retention", "periods:midnight"}
        assert "interval" in str(jobs["12345热线"].trigger) and "cron" in str(jobs["网格系统"].trigger)
        assert all(job.next_run_time is not None for job in jobs.values())  # waiting for a trigger, not paused
        (folder / "grid.csv").unlink()
        scheduler._job("网格系统", "schedule")
        retry = scheduler.scheduler.get_job("网格系统#retry")
        assert retry is not None and scheduler.failures["网格系统"] == 1
        assert 25 <= (retry.next_run_time.replace(tzinfo=None) - datetime.now()).total_seconds() <= 31
    finally:
        scheduler.shutdown()


def test_backoff_doubles_and_caps():
    assert [backoff_seconds(n, 30, 300) for n in (1, 2, 3, 4, 5, 9)] == [30, 60, 120, 240, 300, 300]


def test_run_py_pull_prints_a_summary_table(city):
    import subprocess
    import sys
    from pathlib import Path

    settings, _ = city
    out = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "pull"],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ["数据源", "数据集", "结果", "合格行", "隔离行"]
    assert any(line.startswith("12345热线") and "成功" in line and " 1 " in line for line in lines)


# ---- indicator history from a source: the source wins, except over a configured checklist ---------

def history_city(tmp_path, extra: str = ""):
    config = tmp_path / "history.toml"
    config.write_text(f"""
[app]
data_dir = "var"
[targets]
presets = ["长沙"]
[[targets.custom]]   # the city dates the preset its document leaves undated
indicator_id = "six_databases"
name = "六大基础数据库"
unit = "项"
target = 6
deadline = 2027-12-31
source_doc = "长沙市新型智慧城市建设管理应用办法"
{extra}
[[sources]]
name = "指标历史"
dataset = "indicator_history"
kind = "files"
path = "history.csv"
schedule = "interval:1h"
""", encoding="utf-8")
    return load_settings(config, environ={})


def history_csv(path, values: dict[str, float]):
    path.write_text("indicator_id,date,value\n" + "".join(f"six_databases,{d},{v}\n" for d, v in values.items()),
                    encoding="utf-8")


def test_corrected_history_from_the_source_wins_and_restatuses_targets(tmp_path):
    history_csv(tmp_path / "history.csv", {"2026-11-20": 5, "2026-11-21": 5, "2026-11-22": 5})
    puller = make_puller(history_city(tmp_path))
    assert puller.run_source("指标历史").ok
    row = puller.store.frame("targets", "targets").set_index("indicator_id").loc["six_databases"]
    assert (row["current"], row["status"]) == (5, "滞后")

    # the source corrects a past day (5 → 4) and today (5 → 6)
    history_csv(tmp_path / "history.csv", {"2026-11-20": 4, "2026-11-21": 5, "2026-11-22": 6})
    assert puller.run_source("指标历史").ok
    row = puller.store.frame("targets", "targets").set_index("indicator_id").loc["six_databases"]
    assert (row["current"], row["status"]) == (6, "已达标")
    latest = puller.store.frame("indicator_history", "latest").set_index("indicator_id")
    assert latest.loc["six_databases", "value"] == 6
    stored = db.load_history(puller.engine).set_index("date")["value"]
    assert stored.to_dict() == {pd.Timestamp("2026-11-20"): 4, pd.Timestamp("2026-11-21"): 5,
                                pd.Timestamp("2026-11-22"): 6}


def test_a_configured_checklist_wins_over_a_history_source(tmp_path):
    history_csv(tmp_path / "history.csv", {"2026-11-21": 6, "2026-11-22": 6})
    checklist = ('[targets.milestones.six_databases]\n"人口" = 2020-01-01\n"法人" = 2021-01-01\n'
                 '"地理空间" = 2026-11-21\n"经济信息" = ""\n"房产房屋" = ""\n"城市部件" = ""\n')
    puller = make_puller(history_city(tmp_path, checklist))
    assert puller.run_source("指标历史").ok
    row = puller.store.frame("targets", "targets").set_index("indicator_id").loc["six_databases"]
    assert row["current"] == 3 and row["status"] == "滞后"  # 3 of 6 done by the checklist, not the source's 6
    latest = puller.store.frame("indicator_history", "latest").set_index("indicator_id")
    assert latest.loc["six_databases", "value"] == 3
    today = db.load_history(puller.engine).set_index("date")["value"][pd.Timestamp(NOW.date())]
    assert today == 3  # the app database's day of record is the checklist's too


# ---- the publish guard ------------------------------------------------------------------------------

def hotline_rows(n: int, prefix: str = "H") -> list[tuple]:
    return [(f"{prefix}{i}", "市容环境", "G1", "113.0", "28.2", "2026/11/22 08:00", "2026/11/23 08:00", "", "1")
            for i in range(n)]


def test_header_only_file_is_held_and_the_47_good_rows_stay(city):
    settings, folder = city
    puller = make_puller(settings)
    hotline_csv(folder / "12345.csv", hotline_rows(47))
    assert puller.run_source("12345热线").rows_ok == 47
    version = puller.store.status("incidents").version

    (folder / "12345.csv").write_text(HEADER, encoding="utf-8")  # the department's export lost its rows
    result = puller.run_source("12345热线")
    assert result.held and not result.ok and result.rows_ok == 0
    assert "发布保护" in result.error and "上次发布 47 行" in result.error
    status = puller.store.status("incidents")
    assert status.version == version and status.failed and status.failed_sources == ("12345热线",)
    assert puller.store.frame("incidents", "by_source").set_index("source")["incidents"].to_dict() == {"12345": 47}
    fresh = freshness(settings, status)
    assert fresh.stale and "发布保护" in fresh.reason
    runs = db.recent_runs(puller.engine)
    assert runs.loc[0, "status"] == "held" and runs.loc[1, "status"] == "ok"
    held = puller.held.get("12345热线")
    assert held.rows_before == 47 and held.rows_after == 0


def test_an_empty_file_fails_and_keeps_the_last_good_rows(city):
    settings, folder = city
    puller = make_puller(settings)
    hotline_csv(folder / "12345.csv", hotline_rows(47))
    puller.run_source("12345热线")
    (folder / "12345.csv").write_bytes(b"")
    result = puller.run_source("12345热线")
    assert not result.ok and "12345热线" in result.error
    assert puller.store.snapshot("incidents").meta["rows"] == 47 and puller.store.status("incidents").failed


def test_a_source_whose_every_row_breaks_the_contract_is_held_even_on_its_first_pull(city):
    settings, folder = city
    puller = make_puller(settings)
    bad = [(f"B{i}", "市容环境", "G1", "113.0", "28.2", "2026/13/45 08:00", "", "", "1") for i in range(359)]
    hotline_csv(folder / "12345.csv", bad)
    result = puller.run_source("12345热线")
    assert result.held and result.rows_ok == 0 and result.rows_quarantined == 359
    assert "全部不符合数据合约" in result.error
    assert puller.store.snapshot("incidents") is None  # nothing published: the wall says 尚无数据, not 正常
    status = puller.store.status("incidents")
    assert status.failed and freshness(settings, status).stale
    quarantined = db.quarantined_rows(puller.engine, "12345热线")
    assert len(quarantined) == 359 and quarantined["reason"].str.contains("reported_at 无法解析").all()


def test_an_http_source_answering_an_empty_list_is_held(tmp_path, http_server):
    url = http_server.route("/depts", '[{"dept_id": "D1", "name": "甲局", "short_name": "甲", "kind": "委办局"}]')
    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndata_dir = "var"\n[[sources]]\nname = "部门接口"\ndataset = "departments"\n'
                      f'kind = "http"\nurl = "{url}"\n', encoding="utf-8")
    puller = make_puller(load_settings(config, environ={}))
    assert puller.run_source("部门接口").ok
    http_server.route("/depts", "[]")
    result = puller.run_source("部门接口")
    assert result.held and "接口返回空列表" in result.error
    assert puller.store.frame("departments", "departments")["dept_id"].tolist() == ["D1"]


def test_shrink_threshold_per_source_and_the_guard_switched_off(city):
    settings, folder = city
    hotline_csv(folder / "12345.csv", hotline_rows(47))
    strict = make_puller(settings)
    strict.run_source("12345热线")
    hotline_csv(folder / "12345.csv", hotline_rows(20))  # 57% fewer: more than the default 50%
    assert strict.run_source("12345热线").held

    def with_source(**changes):
        sources = [s.model_copy(update=changes) if s.name == "12345热线" else s for s in settings.sources]
        return settings.model_copy(update={"sources": sources})

    loose = Puller(with_source(guard_max_shrink=0.9), MemoryFrameStore(), strict.engine, clock=lambda: NOW)
    assert loose.run_source("12345热线").ok  # a 90% allowance lets 57% through
    hotline_csv(folder / "12345.csv", [])  # a today-only source at midnight
    off = Puller(with_source(guard=False), MemoryFrameStore(), strict.engine, clock=lambda: NOW)
    result = off.run_source("12345热线")
    assert result.ok and result.rows_ok == 0


def test_a_held_publish_is_accepted_from_another_process(city):
    import subprocess
    import sys
    from pathlib import Path

    settings, folder = city
    store = DiskFrameStore(settings.data_dir / "frames")
    puller = make_puller(settings, store)
    hotline_csv(folder / "12345.csv", hotline_rows(47))
    puller.run_source("12345热线")
    hotline_csv(folder / "12345.csv", hotline_rows(10, prefix="N"))  # a stricter export: accepted on purpose
    assert puller.run_source("12345热线").held
    assert Path(puller.held.get("12345热线").rows_path).exists()

    out = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "pull", "--accept", "12345热线"],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert any(line.startswith("12345热线") and "成功" in line and " 10 " in line for line in out.stdout.splitlines())
    by_source = store.frame("incidents", "by_source").set_index("source")["incidents"].to_dict()
    assert by_source == {"12345": 10} and not store.status("incidents").failed
    assert puller.held.get("12345热线") is None
    assert db.recent_runs(puller.engine).loc[0, "status"] == "accepted"
    assert db.last_published_rows(puller.engine, "12345热线") == 10  # the next pull compares with 10

    again = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "pull", "--accept", "12345热线"],
                           cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert again.returncode == 1 and "没有被暂缓的发布" in again.stdout


def test_run_py_pull_says_held(city):
    import subprocess
    import sys
    from pathlib import Path

    settings, folder = city
    make_puller(settings).run_source("12345热线")
    (folder / "12345.csv").write_text(HEADER, encoding="gbk")
    out = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "pull", "--source", "12345热线"],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert out.returncode == 1
    assert any(line.startswith("12345热线") and "暂缓发布" in line for line in out.stdout.splitlines())
    assert "pull --accept" in out.stdout


def test_guard_settings_are_validated_in_chinese(tmp_path):
    from dashboard.settings import SettingsError

    config = tmp_path / "city.toml"
    config.write_text('[[sources]]\nname = "甲"\ndataset = "departments"\nkind = "demo"\nguard_max_shrink = 1.5\n'
                      'guard = "maybe"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as error:
        load_settings(config, environ={})
    assert "sources[0].guard_max_shrink = 1.5: 必须 ≤ 1.0" in str(error.value)
    assert "sources[0].guard = 'maybe': 应为 true 或 false" in str(error.value)


def test_an_unchanged_frame_is_recognised_whatever_a_parquet_round_trip_did_to_its_dtypes():
    import numpy as np

    from dashboard.pullers import _same

    frame = pd.DataFrame({"category": pd.Categorical(["噪声扰民", "市容环境", "噪声扰民"]),
                          "at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]).astype("datetime64[s]"),
                          "hours": [1.5, np.nan, 3.0], "name": pd.array(["甲", None, "乙"], dtype="string")})
    round_trip = frame.assign(at=frame["at"].astype("datetime64[ms]"), category=frame["category"].astype(object))
    assert _same(frame, round_trip)
    assert not _same(frame, frame.assign(hours=[1.5, np.nan, 4.0]))
    assert not _same(frame, frame.assign(category=pd.Categorical(["噪声扰民", "市容环境", "市容环境"])))
    assert not _same(frame, frame.iloc[:2]) and not _same(frame, frame.rename(columns={"name": "名称"}))
