"""The commands a new user types: `python run.py` serves the demo city from nothing; `seed` scales it."""
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_")}
    env.update({"CITYWALL_APP__DATA_DIR": f'"{tmp_path / "data"}"', "CITYWALL_DEMO__INCIDENTS": "5000", **extra})
    return env


def test_run_py_with_no_arguments_seeds_pulls_and_serves(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=REPO, env=_env(tmp_path, CITYWALL_APP__PORT=str(port)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 90
        body = None
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as response:
                    body = response.read().decode()
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.5)
        assert body is not None, "server did not come up"
        assert (tmp_path / "data" / "demo" / "demo_city.db").exists()
        assert (tmp_path / "data" / "citywall.db").exists()
        assert {p.name for p in (tmp_path / "data" / "frames").iterdir()} >= {"catalog", "incidents", "targets"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=5) as response:
            assert response.status == 200
        # the first start pulled every source once; the scheduled pulls wait for their trigger (≥ 1 min)
        # instead of pulling everything again at once
        time.sleep(2)
        with sqlite3.connect(tmp_path / "data" / "citywall.db") as conn:
            triggers = dict(conn.execute("SELECT trigger, COUNT(*) FROM pull_runs GROUP BY trigger").fetchall())
        assert triggers.get("startup", 0) >= 9 and "schedule" not in triggers, triggers
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_seed_scale_knob(tmp_path):
    out = subprocess.run([sys.executable, "run.py", "seed", "--incidents", "3000"], cwd=REPO, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "演示城市已生成" in out.stdout
    with sqlite3.connect(tmp_path / "data" / "demo" / "demo_city.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 3000
    assert (tmp_path / "data" / "demo" / "geo" / "districts.geojson").exists()


def test_help_lists_every_subcommand():
    out = subprocess.run([sys.executable, "run.py", "--help"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("serve", "pull", "seed"):
        assert command in out.stdout
