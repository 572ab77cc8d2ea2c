"""The wall screens' command check (GET /wall-control/state) under many screens: each screen a kiosk token
bound to its name, checking once a second. Prints the time per check through the whole Flask stack (the
auth gate's token lookup included) and how often the commands' version was read from the app database.

    python benchmarks/wall_control.py [--screens 200] [--rounds 5]

Runs in one process over a real SQLite file (no HTTP server: the WSGI stack through Flask's test client).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of one check per screen")
    args = parser.parse_args()

    from dashboard import accounts, db, wall_control
    from dashboard.app import create_app
    from dashboard.settings import Settings
    from dashboard.store import MemoryFrameStore

    folder = Path(tempfile.mkdtemp(prefix="citywall-bench-"))
    engine = db.connect(f"sqlite:///{folder / 'app.db'}")
    app = create_app(Settings.model_validate({"auth": {"anonymous_role": ""}}), MemoryFrameStore(), engine)
    clients = []
    for i in range(args.screens):
        name = f"s{i}"
        secret = accounts.add_token(engine, name, "bench", screen=name)[1]
        wall_control.ensure_screen(engine, name)
        client = app.server.test_client()
        assert client.get(f"/wall?screen={name}&kiosk=1&token={secret}").status_code == 200
        clients.append((name, client))
    wall_control.send(engine, wall_control.ALL_SCREENS, "/wall?view=city", "bench", {})

    reads_before = wall_control.BOARD.version_reads
    times = []
    started = time.perf_counter()
    for _ in range(args.rounds):
        for name, client in clients:
            t = time.perf_counter()
            response = client.get(f"{wall_control.CHECK_PATH}?screen={name}&shows=1")
            times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text
    wall = time.perf_counter() - started
    times.sort()
    checks = len(times)
    print(f"{args.screens} screens × {args.rounds} rounds = {checks} checks in {wall:.2f} s "
          f"({checks / wall:.0f} checks/s in one thread)")
    print(f"per check: median {statistics.median(times) * 1000:.2f} ms, p95 {times[int(0.95 * checks)] * 1000:.2f} ms")
    from dashboard.permissions import SCREEN_PERMISSIONS, Caller

    own = []  # the check's own work (claim, answer from memory, heartbeat), without the HTTP stack and the gate
    for _ in range(args.rounds):
        for name, _client in clients:
            caller = Caller(name=f"kiosk:{name}", permissions=SCREEN_PERMISSIONS, kind="kiosk", screen=name)
            t = time.perf_counter()
            wall_control.check(engine, caller, name, "1")
            own.append(time.perf_counter() - t)
    own.sort()
    print(f"of which the check itself: median {statistics.median(own) * 1000:.3f} ms, "
          f"p95 {own[int(0.95 * len(own))] * 1000:.3f} ms (the rest: Flask, the session cookie, the gate's token lookup)")
    print(f"commands' version read {wall_control.BOARD.version_reads - reads_before} times "
          f"(at most once per {wall_control.VERSION_TTL} s); heartbeats: at most one write per screen per "
          f"{wall_control.HEARTBEAT_SECONDS} s")


if __name__ == "__main__":
    main()
