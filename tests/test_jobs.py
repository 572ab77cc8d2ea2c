"""The job queue, the pull lock and crash recovery, across real processes on a real SQLite app database
and (parametrised, tests/servers.py) a real PostgreSQL one:
enqueue and claim, progress, cancel between sources and inside a pull, two processes and one pull,
a pull killed with SIGKILL shown 中断 after a restart, and the staging folder of a killed publish."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pandas as pd
import psutil
import pytest

from dashboard import db, jobs, locks
from dashboard.pullers import Puller
from dashboard.settings import load_settings
from dashboard.store import DiskFrameStore

REPO = Path(__file__).resolve().parents[1]
DEPTS = [{"dept_id": "D1", "name": "市大数据局", "short_name": "大数据局", "kind": "委办局"}]


def ops_city(tmp_path, urls: dict[str, str], database_url: str = ""):
    """One departments source per URL (name → URL), on a disk store in tmp_path/var; the app database
    at ``database_url`` (default: SQLite in var)."""
    sources = "".join(f'[[sources]]\nname = "{name}"\ndataset = "departments"\nkind = "http"\nurl = "{url}"\n'
                      f'timeout_seconds = 60\nguard = false\n' for name, url in urls.items())
    config = tmp_path / "city.toml"
    database = f'database_url = "{database_url}"\n' if database_url else ""
    config.write_text(f'[app]\ndata_dir = "var"\n{database}queue_poll_seconds = 0.1\nlock_expiry_seconds = 30\n'
                      f'{sources}',
                      encoding="utf-8")
    return load_settings(config, environ={})


def body(n: int = 1) -> bytes:
    return orjson.dumps([{**DEPTS[0], "dept_id": f"D{i}", "name": f"第{i}局"} for i in range(n)])


def runs_of(engine, source=None) -> pd.DataFrame:
    runs = db.recent_runs(engine)
    return runs if source is None else runs[runs["source"] == source]


def wait_for(predicate, timeout=20.0, step=0.05):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if value := predicate():
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_enqueue_hands_back_the_active_job_instead_of_a_second_one(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"部门A": http_server.route("/a", body()), "部门B": http_server.route("/b", body())},
                        app_database_url)
    engine = db.connect(settings.database_url)
    first, queued = jobs.enqueue(engine, "refresh_source", "部门A", requested_by="ops-test")
    again, queued_again = jobs.enqueue(engine, "refresh_source", "部门A")
    other, queued_other = jobs.enqueue(engine, "refresh_source", "部门B")
    assert queued and not queued_again and again.id == first.id and first.status == "queued"
    assert queued_other and other.id != first.id
    everything, _ = jobs.enqueue(engine, "refresh_all")
    # while 全部刷新 is queued, a single source's refresh is covered by it
    covered, queued_covered = jobs.enqueue(engine, "refresh_source", "部门C")
    assert not queued_covered and covered.id == everything.id
    assert [j.id for j in jobs.active_jobs(engine)] == [first.id, other.id, everything.id]
    with pytest.raises(ValueError, match="未知任务类型"):
        jobs.enqueue(engine, "reboot")


CLAIMER = """
import sys, time
from dashboard import db, jobs, locks
engine = db.connect(sys.argv[1])
claimed = []
while (job := jobs.claim(engine, locks.process_owner())) is not None:
    claimed.append(job.id)
print(",".join(map(str, claimed)))
"""


def test_two_processes_claiming_at_once_never_take_the_same_job(app_database_url):
    url = app_database_url
    engine = db.connect(url)
    ids = [jobs.enqueue(engine, "refresh_source", f"源{i}")[0].id for i in range(60)]
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    claimed = [[int(x) for x in p.communicate(timeout=120)[0].strip().split(",") if x] for p in procs]
    assert sorted(claimed[0] + claimed[1]) == ids  # every job claimed, none twice
    assert not set(claimed[0]) & set(claimed[1])
    assert all(j.status == "running" for j in (jobs.get(engine, i) for i in ids))
    assert jobs.claim(engine, "nobody") is None


def test_a_job_reports_progress_and_results(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"部门A": http_server.route("/a", body(3)), "部门B": http_server.route("/b", b"oops")},
                        app_database_url)
    puller = Puller(settings, DiskFrameStore(settings.data_dir / "frames"))
    job, _ = jobs.enqueue(puller.engine, "refresh_all", requested_by="ops-test")
    runner = jobs.JobRunner(puller)
    assert runner.run_next() and not runner.run_next()
    done = jobs.get(puller.engine, job.id)
    assert (done.status, done.sources_done, done.sources_total, done.rows_read) == ("failed", 2, 2, 3)
    assert [r["status"] for r in done.results] == ["ok", "failed"]
    assert done.error.startswith("部门B: ") and done.owner == runner.owner and done.finished_at >= done.started_at
    assert set(runs_of(puller.engine)["trigger"]) == {"manual"}


def test_cancel_stops_inside_the_running_pull_and_before_the_next_source(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"慢部门": http_server.route("/slow", body(2), delay=1.5),
                                   "部门B": http_server.route("/b", body())}, app_database_url)
    puller = Puller(settings, DiskFrameStore(settings.data_dir / "frames"))
    job, _ = jobs.enqueue(puller.engine, "refresh_all")
    runner = jobs.JobRunner(puller)
    thread = threading.Thread(target=runner.run_next)
    thread.start()
    wait_for(lambda: jobs.get(puller.engine, job.id).current_source == "慢部门")
    assert jobs.request_cancel(puller.engine, job.id)
    thread.join(timeout=30)
    done = jobs.get(puller.engine, job.id)
    assert done.status == "cancelled" and done.sources_done == 1
    slow = runs_of(puller.engine, "慢部门").iloc[0]
    assert slow["status"] == "cancelled" and "取消" in slow["error"]
    assert runs_of(puller.engine, "部门B").empty  # never started
    assert puller.store.status("departments").version == 0  # nothing published
    assert not jobs.request_cancel(puller.engine, job.id)  # over: nothing to cancel


def test_a_queued_job_cancelled_never_runs(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"部门A": http_server.route("/a", body())}, app_database_url)
    engine = db.connect(settings.database_url)
    job, _ = jobs.enqueue(engine, "refresh_source", "部门A")
    assert jobs.request_cancel(engine, job.id) and jobs.get(engine, job.id).status == "cancelled"
    assert jobs.claim(engine, "x") is None


def test_the_database_lock_is_one_owner_at_a_time_and_expires(app_database_url):
    engine = db.connect(app_database_url)
    assert locks.acquire(engine, "pull:A", "h:1:1:a", expiry=60)
    assert not locks.acquire(engine, "pull:A", f"{locks.process_owner()}/b", expiry=60)
    assert locks.acquire(engine, "pull:A", "h:1:1:a", expiry=0.01)  # the holder renews
    time.sleep(0.05)
    assert locks.holder_of(engine, "pull:A") is None  # expired: free for the next
    assert locks.acquire(engine, "pull:A", f"{locks.process_owner()}/b", expiry=60)
    with locks.held(engine, "pull:B", 60) as got, locks.held(engine, "pull:B", 60) as again:
        assert got and not again  # two threads of one process exclude each other too
    assert locks.holder_of(engine, "pull:B") is None  # released on the way out


def test_two_processes_pulling_one_source_make_one_pull(tmp_path, http_server):
    # the first pull reads for 25 s: time for the second process to start even on a loaded machine
    settings = ops_city(tmp_path, {"慢部门": http_server.route("/slow", body(), delay=25.0)})
    command = [sys.executable, "run.py", "--config", settings.config_path, "pull", "--source", "慢部门"]
    procs = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    engine = db.connect(settings.database_url)
    wait_for(lambda: locks.holder_of(engine, "pull:慢部门"))
    procs.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=90) for p in procs]
    runs = runs_of(engine, "慢部门")
    assert sorted(runs["status"]) == ["ok", "skipped"], outs
    assert "跳过" in outs[1][0] and "成功" in outs[0][0]
    assert runs["owner"].nunique() == 2  # two processes asked; the lock let one pull


def test_a_pull_killed_with_sigkill_shows_interrupted_after_a_restart(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"慢部门": http_server.route("/slow", body(), delay=90)}, app_database_url)
    proc = subprocess.Popen([sys.executable, "run.py", "--config", settings.config_path, "pull", "--source", "慢部门"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = db.connect(settings.database_url)
    # the process's start (imports, migrations) may take half a minute on a loaded machine; the source answers
    # only after 90 s, so its pull is still running when this sees it
    running = wait_for(lambda: (r := runs_of(engine, "慢部门")).size and r.iloc[0]["status"] == "running", timeout=60)
    assert running
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert runs_of(engine, "慢部门").iloc[0]["status"] == "running"  # the row it wrote when it started
    # the restart: the owner's next start marks it, and the source can be pulled at once
    http_server.route("/slow", body())
    Puller(settings, DiskFrameStore(settings.data_dir / "frames")).recover()
    row = runs_of(engine, "慢部门").iloc[0]
    assert row["status"] == "interrupted" and row["error"] == jobs.INTERRUPTED_PULL and row["finished_at"]
    assert locks.acquire(engine, "pull:慢部门", f"{locks.process_owner()}/t", 30)  # the dead owner's lock is free
    locks.release(engine, "pull:慢部门", f"{locks.process_owner()}/t")
    from dashboard.status_view import RUN_RESULTS

    assert RUN_RESULTS["interrupted"] == "中断"


def test_a_job_left_running_by_a_dead_process_is_interrupted(app_database_url):
    engine = db.connect(app_database_url)
    job, _ = jobs.enqueue(engine, "refresh_source", "部门A")
    live, _ = jobs.enqueue(engine, "refresh_all")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead_owner = f"{locks.process_owner().split(':')[0]}:{proc.pid}:{int(psutil.Process(proc.pid).create_time())}:x"
    assert jobs.claim(engine, dead_owner).id == job.id
    assert jobs.claim(engine, locks.process_owner()).id == live.id
    proc.kill()
    proc.wait()
    assert jobs.recover(engine) == (0, 1)
    assert jobs.get(engine, job.id).status == "interrupted"
    assert jobs.get(engine, live.id).status == "running"  # this process lives: its job goes on


PUBLISHER = """
import sys
import numpy as np, pandas as pd
from dashboard.store import DiskFrameStore
store = DiskFrameStore(sys.argv[1])
ids = np.arange(6_000_000).astype(str)
big = pd.DataFrame({"dept_id": ids, "name": ids})
store.publish("departments", {"departments": big, "as_of": pd.DataFrame({"as_of": [pd.Timestamp.now()], "rows": [1]})})
"""


def test_the_staging_folder_of_a_killed_publish_is_cleaned_on_start(tmp_path):
    root = tmp_path / "frames"
    store = DiskFrameStore(root)
    store.publish("departments", {"departments": pd.DataFrame({"dept_id": ["D1"], "name": ["市大数据局"]}),
                                  "as_of": pd.DataFrame({"as_of": [pd.Timestamp.now()], "rows": [1]})})
    proc = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(root)], cwd=REPO)
    staging = wait_for(lambda: list((root / "departments").glob(".staging-*")), timeout=120, step=0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert staging[0].exists()  # what kill -9 left mid-write
    assert store.clean_staging() == 1
    assert not list((root / "departments").glob(".staging-*"))
    assert store.snapshot("departments").frame("departments")["name"].tolist() == ["市大数据局"]  # whole


def test_the_scheduler_in_its_own_process_runs_the_queued_refresh(tmp_path, http_server, app_database_url):
    settings = ops_city(tmp_path, {"部门A": http_server.route("/a", body(2))}, app_database_url)
    (tmp_path / "city.toml").write_text((tmp_path / "city.toml").read_text(encoding="utf-8")
                                        .replace('guard = false', 'guard = false\nschedule = "interval:1d"'),
                                        encoding="utf-8")
    engine = db.connect(settings.database_url)
    # started as a non-interactive shell starts a background job (CI does): with SIGINT ignored
    proc = subprocess.Popen([sys.executable, "run.py", "--config", settings.config_path, "scheduler"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for(lambda: (r := runs_of(engine, "部门A")).size and r.iloc[0]["status"] == "ok"
                 and locks.holder_of(engine, "pull:部门A") is None, timeout=60)  # its first run, over
        job, _ = jobs.enqueue(engine, "refresh_source", "部门A", requested_by="ops-test")
        done = wait_for(lambda: (j := jobs.get(engine, job.id)).status == "done" and j, timeout=60)
        assert done.owner.split(":")[1] == str(proc.pid)  # claimed by the scheduler's process
        assert done.sources_done == done.sources_total == 1 and done.rows_read == 2
        assert runs_of(engine, "部门A").iloc[0]["trigger"] == "manual"
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0]  # Ctrl+C stops it all the same
    assert proc.returncode == 0, out
    assert "调度进程已启动" in out and "正在停止调度进程" in out
