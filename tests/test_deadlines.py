"""A slow source cannot hold a pull past its timeout: a real local HTTP server that trickles its reply,
a real slow SQLite query, and a pull that is skipped because the previous one still runs."""
from __future__ import annotations

import socket
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from dashboard.settings import AppSettings, Settings, SourceSettings
from datasources.adapters import SourceError, read_source

BODY = orjson.dumps([{"dept_id": "D1", "name": "市大数据局", "short_name": "大数据局", "kind": "委办局"}])


class _Trickle(BaseHTTPRequestHandler):
    """Answers at once, then sends the body one byte at a time, ``gap`` seconds apart (or the headers
    too, for /headers)."""
    gap = 0.4

    def do_GET(self):  # noqa: N802
        self.close_connection = True
        try:
            if self.path == "/headers":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.gap)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.flush()
            for byte in BODY:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.gap)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: what the test wants
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickle_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def departments_http(url: str, **overrides) -> SourceSettings:
    return SourceSettings(**{"name": "部门接口", "dataset": "departments", "kind": "http", "url": url, **overrides})


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_http_timeout_is_a_deadline_for_the_whole_read(trickle_server, path):
    # the body is ~90 bytes at 0.4 s each (≈ 36 s); each byte arrives well within a per-read timeout
    # of 1.5 s, so before the fix this read ran to the end
    source = departments_http(trickle_server + path, timeout_seconds=1.5)
    started = time.monotonic()
    with pytest.raises(SourceError, match="数据源「部门接口」.*超时.*1.5 秒"):
        read_source(source, Settings(sources=[source]))
    assert time.monotonic() - started < 4  # the deadline plus scheduling slack, far below 36 s


def test_http_deadline_leaves_a_quick_answer_alone(http_server):
    url = http_server.route("/ok", BODY)
    source = departments_http(url, timeout_seconds=1.5)
    frame = read_source(source, Settings(sources=[source]))
    assert frame["dept_id"].tolist() == ["D1"]


def test_http_connect_timeout_names_the_source():
    # a listening socket that never accepts: the backlog fills, then connects hang until the deadline
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        source = departments_http(f"http://127.0.0.1:{port}/", timeout_seconds=1)
        started = time.monotonic()
        with pytest.raises(SourceError, match="数据源「部门接口」"):
            read_source(source, Settings(sources=[source]))
        assert time.monotonic() - started < 4


# ---- SQL statement timeout -----------------------------------------------------------------------

SLOW_QUERY = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000000) "
              "SELECT 'D1' AS dept_id, '市大数据局' AS name, '大数据局' AS short_name, '委办局' AS kind, "
              "count(*) AS c FROM n")


def sqlite_source(tmp_path, query: str, **overrides) -> SourceSettings:
    path = tmp_path / "dept.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    return SourceSettings(**{"name": "部门库", "dataset": "departments", "kind": "sql",
                             "url": f"sqlite:///{path}", "query": query, **overrides})


def test_sqlite_query_is_interrupted_at_its_timeout(tmp_path):
    # counting to 200 million takes SQLite tens of seconds; the progress handler stops it at 1 s
    source = sqlite_source(tmp_path, SLOW_QUERY, timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(SourceError, match="数据源「部门库」查询超时（超过 1 秒），已中止"):
        read_source(source, Settings(sources=[source]))
    assert time.monotonic() - started < 4


def test_sqlite_timeout_defaults_to_the_app_setting(tmp_path):
    source = sqlite_source(tmp_path, SLOW_QUERY)
    with pytest.raises(SourceError, match="查询超时（超过 0.5 秒）"):
        read_source(source, Settings(sources=[source], app=AppSettings(http_timeout_seconds=0.5)))


def test_sqlite_quick_query_is_untouched(tmp_path):
    source = sqlite_source(tmp_path, "SELECT 'D1' AS dept_id, '甲' AS name, '甲' AS short_name, '委办局' AS kind",
                           timeout_seconds=1)
    assert read_source(source, Settings(sources=[source]))["dept_id"].tolist() == ["D1"]


def test_postgresql_gets_a_statement_timeout():
    from sqlalchemy.engine import make_url

    from datasources.sql import _connect_args

    args = _connect_args(make_url("postgresql+psycopg://u@db.intranet/city"), 2.5)
    assert args == {"connect_timeout": 2, "options": "-c statement_timeout=2500"}


# ---- a run skipped while the previous one still goes ----------------------------------------------

def slow_http_settings(tmp_path, url: str, **source_options):
    from dashboard.settings import load_settings

    options = "".join(f"{k} = {v}\n" for k, v in source_options.items())
    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndata_dir = "var"\nstore = "memory"\n[[sources]]\nname = "部门接口"\n'
                      f'dataset = "departments"\nkind = "http"\nurl = "{url}"\n{options}', encoding="utf-8")
    return load_settings(config, environ={})


def test_a_skipped_run_is_logged_and_a_pull_past_its_deadline_makes_the_dataset_stale(tmp_path, http_server):
    from dashboard import db
    from dashboard.freshness import freshness
    from dashboard.pullers import Puller
    from dashboard.store import MemoryFrameStore

    url = http_server.route("/depts", BODY)
    settings = slow_http_settings(tmp_path, url, timeout_seconds=6, pull_deadline_seconds=0.5)
    puller = Puller(settings, MemoryFrameStore())
    assert puller.run_source("部门接口").ok and not puller.store.status("departments").failed

    http_server.route("/depts", BODY, delay=2.5)  # the next answer is slow: the read runs 2.5 s
    running = threading.Thread(target=puller.run_source, args=("部门接口",))
    running.start()
    time.sleep(1.0)  # past the 0.5 s pull deadline, still inside the read
    result = puller.run_source("部门接口")
    running.join()
    assert result.skipped and "上一次拉取仍在进行" in result.error and "超过时限 0.5 秒仍未结束" in result.error
    runs = db.recent_runs(puller.engine)
    skipped = runs[runs["status"] == "skipped"]
    assert len(skipped) == 1 and "超过时限" in skipped.iloc[0]["error"]
    # while it hung the dataset was stale; the slow run then finished and published: fresh again
    slow = runs[runs["status"] != "skipped"].iloc[0]  # its row was written when it started, before the skip
    assert slow["status"] == "ok" and slow["finished_at"] > skipped.iloc[0]["started_at"]
    assert not puller.store.status("departments").failed
    assert not freshness(settings, puller.store.status("departments")).stale


def test_a_run_the_scheduler_skips_is_logged(tmp_path, http_server):
    from dashboard import db
    from dashboard.pullers import Puller
    from dashboard.scheduler import PullScheduler
    from dashboard.store import MemoryFrameStore

    url = http_server.route("/depts", BODY, delay=3)
    settings = slow_http_settings(tmp_path, url, timeout_seconds=6, schedule='"interval:1s"')
    scheduler = PullScheduler(Puller(settings, MemoryFrameStore()))
    scheduler.start(run_now=True)
    try:
        time.sleep(2.6)  # the first run is still reading when the next one or two are due
    finally:
        scheduler.shutdown()
    runs = db.recent_runs(scheduler.puller.engine)
    skipped = runs[runs["status"] == "skipped"]
    assert len(skipped) >= 1 and (skipped["trigger"] == "schedule").all()
    assert skipped["error"].str.startswith("上一次拉取仍在进行").all()
