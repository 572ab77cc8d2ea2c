"""Shared pytest fixtures: the shared sample data folder and a real local HTTP server."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real sample exports (read-only; tests read them in place and never copy them)."""
    if not SHARED_DATA.is_dir():
        message = f"shared sample data not found at {SHARED_DATA}"
        if os.environ.get("CI") == "true":  # CI has it: a missing folder is a broken checkout, not a skip
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0
    require_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1; register responses with :meth:`route`."""
    base: str
    routes: dict[str, Route]
    seen_headers: list[dict[str, str]]

    def route(self, path: str, body: bytes | str, **options) -> str:
        self.routes[path] = Route(body.encode("utf-8") if isinstance(body, str) else body, **options)
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        local: LocalServer = self.server.local  # type: ignore[attr-defined]
        local.seen_headers.append(dict(self.headers.items()))
        route = local.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        if route.delay:
            time.sleep(route.delay)
        if any(self.headers.get(k) != v for k, v in route.require_headers.items()):
            self.send_error(401)
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        try:
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def log_message(self, format: str, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True  # a handler still sleeping must not hold up teardown
    local = LocalServer(f"http://127.0.0.1:{server.server_address[1]}", {}, [])
    server.local = local  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield local
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
