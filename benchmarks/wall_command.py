"""The wall's 指挥调度 panel under years of instructions: the time of one read of the panel from the app
database (counted by the database, ``instructions_view.panel_now``; beside it the same panel from every
row in Python, as /tasks counts what it lists), and the cost of a poll's look at the per-process cache
(``dashboard.command_feed``), which is all a screen's poll or redraw costs between two reads.

    python benchmarks/wall_command.py [--sizes 1000 20000 100000] [--runs 20]

Runs in one process over a real SQLite file; the instructions are inserted in bulk (a fifth open, a
tenth of those overdue, 2 steps each).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def seed(engine, n: int, now: float) -> None:
    from sqlalchemy import insert

    from dashboard import instructions as ins
    from dashboard.instructions_tables import instruction_events, instructions

    rows, steps = [], []
    for i in range(1, n + 1):
        issued = now - (n - i) * 600.0
        state = ins.CLOSED if i % 5 else ins.HANDLING
        deadline = issued + (3600.0 if i % 50 == 0 else 86400.0 * 3)
        rows.append(dict(id=i, text=f"处置第{i}号事件", action="处置", dept_id=f"D{i % 40:03d}", department=f"部门{i % 40}",
                         region_id=None, region="", incident_id=None, category="", deadline_at=deadline,
                         issued_by="领导甲", issued_at=issued, origin="button", sentence="", state=state,
                         updated_at=issued + 60, closed_at=issued + 3000 if state == ins.CLOSED else None))
        steps.append(dict(instruction_id=i, at=issued, actor="领导甲", step="issue", from_state="", to_state=ins.ISSUED, note=""))
        steps.append(dict(instruction_id=i, at=issued + 60, actor="部门", step="sign", from_state=ins.ISSUED,
                          to_state=ins.SIGNED, note=""))
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(instructions), rows[start:start + 5000])
        for start in range(0, len(steps), 10000):
            conn.execute(insert(instruction_events), steps[start:start + 10000])


def ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000, 100000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from dashboard import command_feed, db
    from dashboard import instructions as ins
    from dashboard import instructions_view as view

    now = time.time()
    print(f"{'instructions':>12}  {'panel_now p50 / p95 ms':>24}  {'every row in Python p50 ms':>28}")
    for n in args.sizes:
        engine = db.connect(f"sqlite:///{Path(tempfile.mkdtemp(prefix='citywall-bench-')) / 'app.db'}")
        seed(engine, n, now)
        p50, p95 = ms(lambda: view.panel_now(engine, now), args.runs)
        rows_p50, _ = ms(lambda: view.command_panel(ins.all_instructions(engine), ins.events(engine, limit=8), now),
                         max(3, args.runs // 4))
        print(f"{n:>12,}  {p50:>11.1f} / {p95:<10.1f}  {rows_p50:>28.1f}")
    feed = command_feed.CommandFeed()
    feed.snapshot(engine, "Asia/Shanghai", ("bench",), now=now)
    calls = 100_000
    t0 = time.perf_counter()
    for i in range(calls):  # the calls of one period (its clock held within it)
        feed.snapshot(engine, "Asia/Shanghai", ("bench",), now=now + i * 1e-5)
    per_call = (time.perf_counter() - t0) / calls * 1e6
    print(f"\na poll's look at the cache (between two reads): {per_call:.2f} µs per call; "
          f"database reads in {calls:,} calls: {feed.reads - 1}")


if __name__ == "__main__":
    main()
