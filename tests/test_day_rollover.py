"""The wall's day-anchored frames (今日, 近7日, 近30日 of the incidents; the exchange's 近30日; the
systems' 逾期未迁) are re-anchored at midnight from the last good rows, without waiting for the next
pull: an incidents source pulled hourly (or nightly) showed yesterday's 今日事件 as today's until
then, while /incidents, which selects days when it is viewed, already said 0."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dashboard.pullers import Puller
from dashboard.scheduler import PullScheduler
from dashboard.settings import load_settings
from dashboard.store import open_store

CONFIG = """
[city]
name = "测试市"
[app]
data_dir = "{data}"
store = "memory"
[[sources]]
name = "12345热线"
dataset = "incidents"
kind = "files"
path = "{path}"
schedule = "interval:1h"
constants = {{ source = "12345" }}
columns = {{ "工单编号" = "incident_id", "类别" = "category", "受理时间" = "reported_at", "状态" = "status", "网格" = "region_id" }}
values.status = {{ "1" = "受理", "3" = "已办结" }}
"""


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _today_row(store):
    summary = store.frame("incidents", "summary").set_index("period")
    return summary.loc["今日"], summary.loc["近30日"]


def test_the_day_anchored_frames_move_to_the_new_day_at_midnight(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text("工单编号,类别,受理时间,状态,网格\n"
                    "A1,噪声,2026-11-30 09:00,1,G1\nA2,噪声,2026-12-01 08:00,1,G1\nA3,市容,2026-12-01 21:00,1,G1\n"
                    "A4,市容,2026-11-01 10:00,3,G1\n", encoding="utf-8")
    config = tmp_path / "citywall.toml"
    config.write_text(CONFIG.format(data=tmp_path / "data", path=path.as_posix()), encoding="utf-8")
    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    clock = Clock(datetime(2026, 12, 1, 23, 50))
    puller = Puller(settings, store, clock=clock)
    assert all(r.ok for r in puller.run_all("test"))
    today, month = _today_row(store)
    assert (today["incidents"], month["incidents"]) == (2, 3)  # 11-02 … 12-01: A4 (11-01) is out

    clock.now = datetime(2026, 12, 2, 0, 0, 5)
    version = store.status("incidents").version
    puller.reanchor()
    assert store.status("incidents").version > version
    today, month = _today_row(store)
    assert (today["incidents"], month["incidents"]) == (0, 3)  # 11-03 … 12-02
    assert store.frame("incidents", "as_of")["as_of"].iloc[0] == datetime(2026, 12, 2, 0, 0, 5)


def test_the_scheduler_re_anchors_every_midnight(tmp_path: Path):
    config = tmp_path / "citywall.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "data"}"\nstore = "memory"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    scheduler = PullScheduler(Puller(settings, open_store(settings.app.store, settings.data_dir)))
    scheduler.start(run_now=False, jobs=False)
    try:
        job = scheduler.scheduler.get_job("periods:midnight")
        assert job is not None and job.name == "统计期跨日"
        fire = job.next_run_time
        assert (fire.hour, fire.minute) == (0, 0) and fire.date() > datetime.now().date()
    finally:
        scheduler.shutdown()
