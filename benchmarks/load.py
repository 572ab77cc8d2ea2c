"""Load test: wall screens polling and leaders drilling down, against gunicorn workers, on 127.0.0.1 only.

    python benchmarks/load.py [--incidents 2000000] [--screens 200] [--leaders 20] [--minutes 10]
                              [--workers 4] [--redis] [--postgres] [--keep DIR]

Builds the demo city at ``--incidents`` rows in DIR (kept with ``--keep``, reused when it is there),
starts ``run.py serve --workers N`` and ``run.py scheduler`` (the incidents source republishing every
minute), and, with ``--redis`` / ``--postgres``, a redis-server and a PostgreSQL server of its own
(tests/servers.py) for the frame store and the app database. Then, for ``--minutes``:

- each wall screen loads the wall's layout once, then polls every 5 s as the browser does (the poll
  callback with its ack) and, when a poll announces new versions, asks for the panels of those datasets;
- each leader logs in, then in a loop opens an /incidents view (the pages router's callback, with a
  district and a period), pages its table twice (the grid's getRows callback, sorted) and pauses 2–5 s.

It prints requests per second, p50 / p95 / p99 latency per request kind, the errors, and the workers'
resident memory after the first minute and at the end. Fixed counts and duration: it always stops.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.auth_helpers import callback_body, csrf_token  # noqa: E402  the dash-renderer's request shapes

CALLBACK = "/_dash-update-component"
PERIODS = ("近7日", "近30日", "本月", "本年")
SORTS = ("reported_at", "duration_hours", "category")


class Client:
    """One keep-alive HTTP connection to 127.0.0.1, with a cookie jar of one session."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        if self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in (0, 1):  # a keep-alive connection the server closed: reconnect once
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: dict[str, str] = {}
        self.lock = threading.Lock()

    def timed(self, kind: str, client: Client, method: str, path: str, body: dict | None = None,
              ok=lambda status: status == 200, valid=lambda data: True):
        started = time.perf_counter()
        try:
            status, data = client.request(method, path, json.dumps(body).encode() if body is not None else None)
        except Exception as exc:  # noqa: BLE001  counted, never raised: the load goes on
            status, data = 0, str(exc).encode()
        elapsed = time.perf_counter() - started
        with self.lock:
            if ok(status) and valid(data):
                self.times[kind].append(elapsed)
            else:
                self.errors[kind] += 1
                self.examples.setdefault(kind, f"HTTP {status}: {data[:200]!r}")
        return status, data


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def wall_screen(port: int, deps: list[dict], rec: Recorder, stop: threading.Event, start_delay: float) -> None:
    if stop.wait(start_delay):
        return
    client = Client(port)
    rec.timed("wall layout", client, "GET", "/_dash-layout")
    versions, ack, n = {}, None, 0
    panels = [cb for cb in deps if not cb.get("clientside_function")
              and any(str(i["id"]).startswith("wall-v-") for i in cb["inputs"])]
    while not stop.wait(5.0):
        n += 1
        body = callback_body(deps, "wall-versions.data", {"wall-poll.data": {"n": n, "t": time.time()},
                                                          "wall-ack.data": ack})
        status, data = rec.timed("wall poll", client, "POST", CALLBACK, body, ok=lambda s: s in (200, 204))
        if status != 200:
            continue
        answer = json.loads(data).get("response", {})
        ack = answer.get("wall-ack", {}).get("data", ack)
        new = answer.get("wall-versions", {}).get("data")
        if not new:
            continue
        changed = {ds for ds, v in new.items() if versions and versions.get(ds) != v}
        versions = new
        for cb in panels:  # the panels of the datasets that changed, as the fan-out triggers them
            if not any(i["id"] == f"wall-v-{ds}" for ds in changed for i in cb["inputs"]):
                continue
            values = {f"wall-v-{ds}.data": v for ds, v in versions.items()} | {"wall-view.data": "city"}
            rec.timed("wall panel", client, "POST", CALLBACK, callback_body(deps, cb["output"], values),
                      ok=lambda s: s in (200, 204))


def leader(port: int, user: str, password: str, deps: list[dict], districts: list[str], rec: Recorder,
           stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(port)
    _, page = client.request("GET", "/login")
    form = urlencode({"username": user, "password": password, "csrf_token": csrf_token(page.decode()), "next": "/"})
    client.request("POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    while not stop.is_set():
        query = {"region": rng.choice(districts), "period": rng.choice(PERIODS)}
        search = "?" + urlencode(query)
        router = callback_body(deps, "_pages_content.children", {"_pages_location.pathname": "/incidents",
                                                                 "_pages_location.search": search})
        rec.timed("drill view", client, "POST", CALLBACK, router, valid=lambda data: "事件".encode() in data)
        for start in (0, 50):
            rows = callback_body(deps, "inc-grid.getRowsResponse", {
                "inc-grid.getRowsRequest": {"startRow": start, "endRow": start + 50,
                                            "sortModel": [{"colId": rng.choice(SORTS), "sort": rng.choice(("asc", "desc"))}],
                                            "filterModel": {}},
                "inc-query.data": {"search": search, **query}})
            rec.timed("table page", client, "POST", CALLBACK, rows, valid=lambda data: b'"rowData"' in data)
        stop.wait(rng.uniform(2, 5))


def worker_rss(master_pid: int) -> list[float]:
    import psutil

    return [round(c.memory_info().rss / 2**20) for c in psutil.Process(master_pid).children()]


def _start(config: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_")}
    log = open(config.parent / f"{args[0]}.log", "ab")
    return subprocess.Popen([sys.executable, "run.py", "--config", str(config), *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def city_config(folder: Path, incidents: int, store: str, database: str) -> Path:
    text = (ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
    text = (text.replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
            .replace("incidents = 60000", f"incidents = {incidents}"))
    app = [f'store = "{store}"'] if store else []
    app += [f'database_url = "{database}"'] if database else []
    text = text.replace("[app]\n", "[app]\n" + "".join(line + "\n" for line in app), 1)
    config = folder / "citywall.toml"
    config.write_text(text, encoding="utf-8")
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--leaders", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    from tests import servers

    folder = args.keep or Path(tempfile.mkdtemp(prefix="citywall-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    started_servers = []
    store = database = ""
    if args.redis:
        started_servers.append(redis := servers.start_redis(folder))
        store = f"redis://127.0.0.1:{redis.port}/0"
    if args.postgres:
        started_servers.append(postgres := servers.start_postgres())
        database = postgres.url(postgres.create_database())
    config = city_config(folder, args.incidents, store, database)
    if database:
        subprocess.run([sys.executable, "run.py", "--config", str(config), "db", "upgrade"], cwd=ROOT, check=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "run.py", "--config", str(config), "pull"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"city ready ({args.incidents:,} incidents) in {time.perf_counter() - t0:.0f} s", flush=True)

    from dashboard import accounts, db
    from dashboard.permissions import DEFAULT_ROLES
    from dashboard.settings import load_settings

    settings = load_settings(config, environ={})
    engine = db.connect(settings.database_url)
    password = "负载测试的密码-load-test-1"
    for i in range(args.leaders):
        try:
            accounts.add_user(engine, f"leader{i}", "leader", password, DEFAULT_ROLES)
        except accounts.AccountError:
            pass  # a kept city has them
    from dashboard.store import open_store

    districts = [r for r in open_store(settings.app.store, settings.data_dir).frame("regions", "regions")
                 .query("level == '区县'")["region_id"]]

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = _start(config, "serve", "--workers", str(args.workers), "--port", str(port))
    scheduler = _start(config, "scheduler")
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                status, _ = Client(port).request("GET", "/_dash-dependencies")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        # the callbacks as a leader's browser sees them (the walls' are among them)
        probe = Client(port)
        _, page = probe.request("GET", "/login")
        form = urlencode({"username": "leader0", "password": password, "csrf_token": csrf_token(page.decode()),
                          "next": "/"})
        probe.request("POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        deps = json.loads(probe.request("GET", "/_dash-dependencies")[1])

        rec, stop = Recorder(), threading.Event()
        threads = [threading.Thread(target=wall_screen, args=(port, deps, rec, stop, i * 5.0 / args.screens), daemon=True)
                   for i in range(args.screens)]
        threads += [threading.Thread(target=leader, args=(port, f"leader{i}", password, deps, districts, rec, stop, i),
                                     daemon=True) for i in range(args.leaders)]
        began = time.time()
        for t in threads:
            t.start()
        time.sleep(60)
        rss_start = worker_rss(web.pid)
        stop.wait(max(0.0, args.minutes * 60 - (time.time() - began)))
        stop.set()
        for t in threads:
            t.join(timeout=70)
        elapsed = time.time() - began
        rss_end = worker_rss(web.pid)
    finally:
        for proc in (web, scheduler):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        for server in started_servers:
            server.stop()

    total = sum(len(v) for v in rec.times.values()) + sum(rec.errors.values())
    load = os.getloadavg()
    print(f"\n{args.screens} screens, {args.leaders} leaders, {args.workers} workers, {elapsed / 60:.1f} min, "
          f"store {store or 'disk'}, database {'PostgreSQL' if database else 'SQLite'}; load {load[0]:.1f}")
    print(f"requests: {total:,} ({total / elapsed:.1f}/s), errors: {sum(rec.errors.values())}")
    print(f"{'kind':<14}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in sorted(set(rec.times) | set(rec.errors)):
        times = rec.times.get(kind, [])
        cells = (f"{_pct(times, .5):>9.1f}{_pct(times, .95):>9.1f}{_pct(times, .99):>9.1f}" if times else " " * 27)
        print(f"{kind:<14}{len(times):>8}{cells}{rec.errors.get(kind, 0):>8}")
    for kind, example in rec.examples.items():
        print(f"  first error of {kind}: {example}")
    growth = [(e - s) / s * 100 for s, e in zip(sorted(rss_start), sorted(rss_end)) if s]
    print(f"worker RSS after 1 min: {rss_start} MB; at the end: {rss_end} MB; growth "
          f"{statistics.mean(growth) if growth else 0:.1f}% (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
