"""A token's use is recorded in a write of its own: a pull writing at the same moment never fails the page."""
from __future__ import annotations

import sqlite3
import threading
import time

from dashboard import accounts, db


def test_a_token_is_accepted_while_another_process_writes_and_its_use_is_recorded(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    token, secret = accounts.add_token(engine, "大屏 main", "admin")
    writer = sqlite3.connect(tmp_path / "app.db", isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")  # another process (a pull) is writing
    writer.execute("INSERT INTO pull_runs (source, dataset, started_at, rows_ok, rows_quarantined, error, trigger,"
                   " status) VALUES ('s', 'd', 0, 0, 0, '', 'test', 'running')")
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    before = time.time()
    # a transaction that read first could not write after that commit (SQLite: "database is locked" at once)
    found = accounts.token_of(engine, secret, touch=True)
    assert found is not None and found.id == token.id
    used = next(t for t in accounts.list_tokens(engine) if t.id == token.id).last_used_at
    assert used is not None and used >= before
    writer.close()
