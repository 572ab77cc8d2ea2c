"""The processes of a deployment: gunicorn workers that never pull, exactly one scheduler (a lease in
the app database, taken over when its owner dies), and no thread started by an import."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import psutil
import pytest

from dashboard import db, locks
from dashboard.scheduler_lease import LEASE_NAME, SchedulerLease
from tests.auth_helpers import ROOT, pulled_city


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(config, *args) -> subprocess.Popen:
    """``run.py --config CONFIG ARGS…`` in its own process group; ``proc.output`` collects what it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_")}
    proc = subprocess.Popen([sys.executable, "run.py", "--config", str(config), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    proc.output = []
    threading.Thread(target=lambda: proc.output.extend(proc.stdout), daemon=True).start()
    return proc


def _printed(proc, text: str) -> bool:
    return any(text in line for line in list(proc.output))


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:  # whatever of its group is left (a gunicorn worker, a Chromium) never outlives the test
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    time.sleep(0.2)  # the reader's last lines
    return "".join(proc.output)


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _with_app_setting(config, line: str):
    """``config`` with ``key = value`` set in its [app] section (replacing the key's line if it has one)."""
    import re

    text = config.read_text(encoding="utf-8")
    key = line.split("=", 1)[0].strip()
    head, _, rest = text.partition("[app]\n")
    assert _, "no [app] section"
    section, nxt, tail = rest.partition("\n[")
    section = re.sub(rf"(?m)^{re.escape(key)}\s*=.*\n?", "", section)
    config.write_text(f"{head}[app]\n{line}\n{section}{nxt}{tail}", encoding="utf-8")
    return config


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except OSError:
        return 0


# ---- no thread at import ---------------------------------------------------------------------------

def test_building_the_app_starts_no_thread(tmp_path):
    """Importing every page and callback and building the app starts no thread: the commands do."""
    city = pulled_city(tmp_path)
    code = ("import threading, sys\n"
            "from dashboard.settings import load_settings\n"
            "from dashboard.app import create_app\n"
            f"settings = load_settings({str(city.config)!r}, environ={{}})\n"
            "before = {t.name for t in threading.enumerate()}\n"
            "create_app(settings)\n"
            "after = {t.name for t in threading.enumerate()}\n"
            "print(sorted(after - before))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ---- the scheduler lease, in one process -----------------------------------------------------------

class RecordingScheduler:
    """Stands in for PullScheduler in the lease's own tests: records when it was started and stopped."""

    def __init__(self, log: list, name: str):
        self.log, self.name = log, name

    def start(self, run_now: bool = True):
        self.log.append(("start", self.name))

    def shutdown(self):
        self.log.append(("stop", self.name))


def _lease(engine, log, name, seconds=1.5):
    return SchedulerLease(engine, seconds, lambda: RecordingScheduler(log, name), on_change=lambda _m: None)


def test_a_second_scheduler_waits_then_takes_over_when_the_first_stops(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    log: list = []
    first = _lease(engine, log, "first").start()
    _wait_for(first.owning.is_set, 10, "the first lease")
    second = _lease(engine, log, "second").start()
    time.sleep(2.5)  # more than a whole lease: the first keeps renewing it, so the second still waits
    assert not second.owning.is_set() and log == [("start", "first")]
    first.stop()
    _wait_for(second.owning.is_set, 10, "the takeover")
    assert log == [("start", "first"), ("stop", "first"), ("start", "second")]
    assert locks.holder_of(engine, LEASE_NAME) == second.owner
    second.stop()
    assert locks.holder_of(engine, LEASE_NAME) is None


def test_a_scheduler_that_lost_its_lease_stops_scheduling(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    log: list = []
    lease = _lease(engine, log, "only").start()
    _wait_for(lease.owning.is_set, 10, "the lease")
    with engine.begin() as conn:  # another process took the lease over (as after a long pause of this one)
        conn.execute(db.locks.update().where(db.locks.c.name == LEASE_NAME).values(owner="elsewhere:1:1:x"))
    _wait_for(lambda: ("stop", "only") in log, 10, "the scheduler to stop")
    assert not lease.owning.is_set()
    lease.stop()


# ---- real processes ---------------------------------------------------------------------------------

def _pull_runs(engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(db.pull_runs.select()).fetchall())


def test_two_scheduler_processes_one_pulls_and_the_other_takes_over_after_kill_9(tmp_path):
    city = pulled_city(tmp_path)
    config = _with_app_setting(city.config, "scheduler_lease_seconds = 3")
    first = _start(config, "scheduler")
    try:
        holder = _wait_for(lambda: locks.holder_of(city.engine, LEASE_NAME), 60, "the first scheduler's lease")
        assert f":{first.pid}:" in holder
        second = _start(config, "scheduler")
        try:
            _wait_for(lambda: _printed(second, "等待接管"), 90, "the second scheduler to wait")
            time.sleep(4)  # more than a lease: the first renews it, so the second still waits
            assert f":{first.pid}:" in locks.holder_of(city.engine, LEASE_NAME)
            assert not _printed(second, "本进程持有调度租约")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            new_holder = _wait_for(lambda: (h := locks.holder_of(city.engine, LEASE_NAME)) and
                                   f":{second.pid}:" in h and h, 30, "the second scheduler's takeover")
            assert new_holder
            before = _pull_runs(city.engine)
            _wait_for(lambda: _pull_runs(city.engine) > before, 60, "a pull by the new owner")  # it recovers, then pulls
        finally:
            out = _stop(second)
        assert "等待接管" in out and "本进程持有调度租约" in out, out
    finally:
        _stop(first)


def test_serve_with_workers_runs_gunicorn_workers_that_never_pull(tmp_path):
    city = pulled_city(tmp_path)
    runs = _pull_runs(city.engine)
    port = _free_port()
    server = _start(city.config, "serve", "--workers", "2", "--port", str(port))
    try:
        _wait_for(lambda: _get(f"http://127.0.0.1:{port}/login") == 200, 120, "gunicorn to serve")
        master = psutil.Process(server.pid)
        workers = _wait_for(lambda: len(master.children()) == 2 and master.children(), 30, "two workers")
        # a burst of requests, each on its own connection: both workers answer some
        cpu_before = {w.pid: sum(w.cpu_times()[:2]) for w in workers}
        with_threads = [threading.Thread(target=lambda: [_get(f"http://127.0.0.1:{port}/login")
                                                         for _ in range(15)]) for _ in range(4)]
        for t in with_threads:
            t.start()
        for t in with_threads:
            t.join()
        assert all(sum(w.cpu_times()[:2]) > cpu_before[w.pid] for w in workers)
        # a worker killed with SIGKILL is replaced, and the server keeps answering
        workers[0].kill()
        _wait_for(lambda: len(master.children()) == 2 and workers[0].pid not in [c.pid for c in master.children()],
                  30, "a new worker")
        assert _get(f"http://127.0.0.1:{port}/login") == 200
        assert _pull_runs(city.engine) == runs and locks.holder_of(city.engine, LEASE_NAME) is None
    finally:
        out = _stop(server)
    assert "gunicorn，2 个工作进程" in out, out


def test_workers_refuse_a_memory_store(tmp_path):
    city = pulled_city(tmp_path)
    config = _with_app_setting(city.config, 'store = "memory"')
    out = subprocess.run([sys.executable, "run.py", "--config", str(config), "serve", "--workers", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "不能与 --workers 同用" in out.stderr, out.stderr


@pytest.mark.parametrize("value", ["0", "两个"])
def test_workers_must_be_a_positive_number(value):
    out = subprocess.run([sys.executable, "run.py", "serve", "--workers", value], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "应为不小于 1 的整数" in out.stderr
