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
