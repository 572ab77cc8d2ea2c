"""Several hosts, as two gunicorn servers on different ports sharing one Redis (the frame store) and one
PostgreSQL (the app database), with one scheduler: a publish is seen by every worker of both servers;
a refresh clicked on both servers at once is queued once; a Redis restart and a PostgreSQL restart
are survived (the walls keep their last frames, marked stale) and caught up without a hand."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import psutil
import pytest
import requests

from dashboard import db, jobs
from tests.auth_helpers import CALLBACK_URL, ROOT, add_user, callback_body, demo_config, login
from tests.servers import start_postgres, start_redis
from tests.test_processes import _free_port, _get, _start, _stop, _wait_for, _with_app_setting


HOLD_SECONDS = 10.0  # callbacks/wall.py: a new version is announced at the latest this long after its publish


def _run(config, *args) -> None:
    out = subprocess.run([sys.executable, "run.py", "--config", str(config), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]


class Hosts:
    def __init__(self, folder):
        self.redis = start_redis(folder)
        self.postgres = start_postgres()
        self.database = self.postgres.url(self.postgres.create_database())
        self.config = demo_config(folder, anonymous_role="viewer")
        for line in (f'store = "redis://127.0.0.1:{self.redis.port}/0"', f'database_url = "{self.database}"',
                     "scheduler_lease_seconds = 3", "queue_poll_seconds = 0.3"):
            _with_app_setting(self.config, line)
        _run(self.config, "db", "upgrade")
        _run(self.config, "pull")
        self.engine = db.connect(self.database)
        add_user(self.engine, "operator1", "operator")
        self.ports = [_free_port(), _free_port()]
        self.web = [_start(self.config, "serve", "--workers", "2", "--port", str(p)) for p in self.ports]
        self.scheduler = _start(self.config, "scheduler")
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        for url in self.urls:
            _wait_for(lambda: _get(f"{url}/login") == 200, 120, f"{url} to serve")
        _wait_for(lambda: any("本进程持有调度租约" in line for line in self.scheduler.output), 120, "the scheduler")
        session = login(requests.Session(), self.urls[0], "operator1")
        self.callbacks = session.get(f"{self.urls[0]}/_dash-dependencies", timeout=30).json()

    def close(self):
        for proc in (*self.web, self.scheduler):
            _stop(proc)
        self.engine.dispose()
        self.redis.stop()
        self.postgres.stop()

    def workers(self, index: int) -> list[psutil.Process]:
        return psutil.Process(self.web[index].pid).children()

    def poll(self, index: int) -> dict:
        """One wall poll on a connection of its own: {versions, fresh} as the server answers it."""
        body = callback_body(self.callbacks, "wall-ack", {"wall-poll.data": {"n": 1, "t": time.time()},
                                                          "wall-ack.data": {}})
        response = requests.post(self.urls[index] + CALLBACK_URL, json=body, timeout=30,
                                 headers={"Connection": "close"})
        assert response.status_code == 200, response.text[:300]
        answer = response.json()["response"]
        return {"versions": answer["wall-versions"]["data"], "fresh": answer["wall-fresh"]["data"]}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    deployment = Hosts(tmp_path_factory.mktemp("hosts"))
    yield deployment
    deployment.close()


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def test_a_publish_by_the_scheduler_is_seen_by_every_worker_of_both_servers(hosts):
    before = hosts.poll(0)["versions"]["departments"]
    with sqlite3.connect(hosts.config.parent / "data" / "demo" / "demo_city.db") as conn:
        conn.execute("UPDATE departments SET name = name || '（新）' WHERE rowid = (SELECT min(rowid) FROM departments)")
    job, _ = jobs.enqueue(hosts.engine, "refresh_source", "演示-部门", requested_by="测试")
    done = _wait_for(lambda: (j := jobs.get(hosts.engine, job.id)) and not j.active and j, 90, "the refresh")
    assert done.status == "done" and f":{hosts.scheduler.pid}:" in done.owner
    # each worker announces a new version once its warmer has drawn it, at the latest HOLD_SECONDS
    # after the publish (callbacks/wall.py): then every poll, whichever worker answers, has it
    time.sleep(HOLD_SECONDS)
    for index in (0, 1):
        workers = hosts.workers(index)
        cpu = {w.pid: _cpu(w) for w in workers}
        seen = [hosts.poll(index)["versions"]["departments"] for _ in range(16)]
        assert seen == [before + 1] * 16
        assert all(_cpu(w) > cpu[w.pid] for w in workers)  # both workers answered some of them


def test_a_refresh_clicked_on_both_servers_at_once_is_queued_once(hosts):
    sessions = [login(requests.Session(), url, "operator1") for url in hosts.urls]
    body = callback_body(hosts.callbacks, "ops-job", {"ops-refresh-all.n_clicks": 1})
    answers: list = [None, None]
    barrier = threading.Barrier(2)

    def click(index):
        barrier.wait()
        answers[index] = sessions[index].post(hosts.urls[index] + CALLBACK_URL, json=body, timeout=60)

    threads = [threading.Thread(target=click, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {a.json()["response"]["ops-job"]["data"] for a in answers}
    assert len(ids) == 1, [a.text[:200] for a in answers]
    job_id = ids.pop()
    job = _wait_for(lambda: (j := jobs.get(hosts.engine, job_id)) and not j.active and j, 180, "the 全部刷新")
    assert job.kind == "refresh_all" and f":{hosts.scheduler.pid}:" in job.owner


def test_a_redis_restart_keeps_the_walls_on_their_last_frames_then_catches_up(hosts):
    versions = hosts.poll(0)["versions"]
    hosts.redis.kill()
    try:
        for index in (0, 1):
            answer = hosts.poll(index)
            assert answer["versions"] == versions  # the last frames, never blank
            assert answer["fresh"], answer  # …marked stale
    finally:
        hosts.redis.start()  # empty: the owner refills it from the last good pull
    _wait_for(lambda: not hosts.poll(0)["fresh"] and not hosts.poll(1)["fresh"], 120, "the walls to catch up")
    after = hosts.poll(1)["versions"]
    # every dataset back at its last good version or a newer one (the derived targets may be published
    # again meanwhile), none older and none missing; the instructions' feed is a hash, not a counter
    assert after.keys() == versions.keys()
    assert all(after[ds] >= versions[ds] for ds in versions if ds != "instructions"), (versions, after)


def test_a_postgres_restart_is_survived(hosts):
    versions = hosts.poll(0)["versions"]
    hosts.postgres.halt()
    try:
        for index in (0, 1):  # the walls read the frame store, not the app database
            assert hosts.poll(index)["versions"] == versions
    finally:
        hosts.postgres.resume()
    # the scheduler and the web workers reconnect by themselves: a refresh asked now is run
    job, _ = jobs.enqueue(hosts.engine, "refresh_source", "演示-区域", requested_by="测试")
    done = _wait_for(lambda: (j := jobs.get(hosts.engine, job.id)) and not j.active and j, 120, "a refresh after")
    assert done.status == "done" and f":{hosts.scheduler.pid}:" in done.owner
    session = login(requests.Session(), hosts.urls[1], "operator1")  # sessions are in the app database
    assert session.get(hosts.urls[1] + "/ops", timeout=30).status_code == 200
