"""Shared pytest fixtures: the shared sample data folder, a real local HTTP server, and small
ready-to-draw frames for the figure and meter tests."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pandas as pd
import pytest

from dashboard import city_time
from dashboard.targets import LAGGING, MET, ON_TRACK, OVERDUE
from tests.servers import (app_database_url, empty_database_url, empty_postgres_database,  # noqa: F401
                           postgres_database, postgres_server)

# the app's local time is the city's (dashboard/city_time.py, set when settings load): the tests'
# own clock (date.today() in a test) is the same from the start
city_time.use(city_time.DEFAULT)

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


# ---- small frames shaped like dashboard/frames.py publishes them (figure and meter tests) ------------

@pytest.fixture
def departments() -> pd.DataFrame:
    ids = [f"D{i:02d}" for i in range(1, 13)]
    return pd.DataFrame({"dept_id": ids, "name": [f"第{i}局全称" for i in range(1, 13)],
                         "short_name": [f"第{i}局" for i in range(1, 13)], "kind": "委办局"})


@pytest.fixture
def by_dept() -> pd.DataFrame:
    # D01 best … D12 worst; D06 has no catalog rows (no rate) and must be left out
    rates = [0.99, 0.95, 0.93, 0.90, 0.88, None, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30]
    ids = [f"D{i:02d}" for i in range(1, 13)]
    frame = pd.DataFrame({"dept_id": ids, "resources": [100] * 12, "sharing_rate": rates})
    frame["shared"] = (frame["sharing_rate"].fillna(0) * 100).astype(int)
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)  # order must not matter


@pytest.fixture
def targets() -> pd.DataFrame:
    return pd.DataFrame([
        {"target_id": "p:sharing_rate", "indicator_id": "sharing_rate", "name": "政务数据共享率", "level": "市", "unit": "%",
         "target": 0.95, "deadline": pd.Timestamp("2027-12-31"), "comparator": ">=", "source_doc": "示范市三年行动方案",
         "binding": True, "preset": "自定", "current": 0.9, "forecast": 0.96, "status": ON_TRACK},
        {"target_id": "s:gov", "indicator_id": "gov_aggregation_rate", "name": "政务数据汇聚率", "level": "省", "unit": "%",
         "target": 0.8, "deadline": pd.Timestamp("2021-12-31"), "comparator": ">=", "source_doc": "陕政办发〔2018〕47号",
         "binding": True, "preset": "陕西省-2021", "current": 0.83, "forecast": None, "status": MET},
        {"target_id": "s:six", "indicator_id": "six_ones", "name": "\"六个一\"基础工程", "level": "省", "unit": "项",
         "target": 6.0, "deadline": pd.Timestamp("2021-12-31"), "comparator": ">=", "source_doc": "陕政办发〔2018〕47号",
         "binding": True, "preset": "陕西省-2021", "current": 5.0, "forecast": None, "status": OVERDUE},
        {"target_id": "j:cloud", "indicator_id": "cloud_migration_rate", "name": "非涉密政务信息系统上云率", "level": "市",
         "unit": "%", "target": 0.8, "deadline": pd.Timestamp("2022-12-31"), "comparator": ">=",
         "source_doc": "济源新型智慧城市建设指导意见", "binding": True, "preset": "济源-2022", "current": 0.76,
         "forecast": 0.7, "status": OVERDUE},
        {"target_id": "c:cloud", "indicator_id": "cloud_migration_rate", "name": "非涉密政务信息系统上云率", "level": "市",
         "unit": "%", "target": 0.9, "deadline": pd.Timestamp("2027-06-30"), "comparator": ">=",
         "source_doc": "示范市三年行动方案", "binding": True, "preset": "自定", "current": 0.76, "forecast": 0.8,
         "status": LAGGING},
    ])


def _acting_as(role: str, name: str):
    """Server functions called in the test's own process (no HTTP request) act for a user of ``role``:
    the one place tests swap the caller resolver, restoring the app's (dashboard/auth.py) afterwards.
    Tests over HTTP or in a browser log in for real instead (tests/auth_helpers.py)."""
    from dashboard import permissions

    before = permissions.installed_caller_resolver()
    permissions.install_caller_resolver(lambda: permissions.Caller(
        name=name, role=role, permissions=permissions.DEFAULT_ROLES[role], kind="user"))
    yield
    permissions.install_caller_resolver(before)


@pytest.fixture
def operator_caller():
    """Every request comes from an operator (refresh, accept_guard, view_raw_rows)."""
    yield from _acting_as("operator", "ops-test")


@pytest.fixture
def leader_caller():
    """Every request comes from a 领导 (leader: the drill-downs and their downloads)."""
    yield from _acting_as("leader", "t")


@pytest.fixture
def geography():
    """A hand-made city of two square districts, 东湖区 (D1) and 西城区 (D2)."""
    from dashboard.geo import Geography
    from tests.components import square

    features = [{"type": "Feature", "id": "D1", "properties": {"name": "东湖区"}, "geometry": square(113.0, 28.0)},
                {"type": "Feature", "id": "D2", "properties": {"name": "西城区"}, "geometry": square(113.1, 28.1)}]
    regions = pd.DataFrame({"region_id": ["D1", "D2"], "name": ["东湖区", "西城区"], "level": ["区县", "区县"],
                            "parent_id": [None, None], "lon": [113.05, 113.15], "lat": [28.05, 28.15]})
    return Geography({"区县": {"type": "FeatureCollection", "features": features}}, regions, (113.0, 28.0, 113.2, 28.2))


@pytest.fixture(scope="module")
def wall():
    """The wall's page module: pages register with the app, so through create_app."""
    from dashboard import db
    from dashboard.app import create_app
    from dashboard.settings import Settings
    from dashboard.store import MemoryFrameStore

    create_app(Settings(), MemoryFrameStore(), db.connect("sqlite://"))
    import layouts.wall as wall_module  # noqa: PLC0415

    return wall_module
