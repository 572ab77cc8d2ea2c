"""The app database on a real PostgreSQL server (tests/servers.py): what only concurrency there shows.

Each race is made to happen, not hoped for: the test holds the other process's transaction open at
the worst moment, then checks what the code under test does meanwhile and once it is committed.
"""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from dashboard import accounts, db, jobs, locks
from dashboard.auth_tables import app_secrets, users


def in_thread(function, *args):
    """Run ``function(*args)`` in a thread; → (thread, outcome dict with "value" or "error")."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except Exception as exc:  # handed to the test, which asserts on it
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def still_waiting(thread: threading.Thread, seconds: float = 0.5) -> bool:
    thread.join(timeout=seconds)
    return thread.is_alive()


def test_a_second_enqueue_waits_for_the_one_in_flight_and_hands_back_its_job(postgres_database):
    engine = db.connect(postgres_database)
    with engine.connect() as other, other.execution_options(write_lock=True).begin():
        # another web process is between its look and its insert of the same refresh
        other.execute(sa.insert(db.jobs).values(kind="refresh_source", source="12345热线", status="queued",
                                                requested_by="ops1", requested_at=time.time(),
                                                results_json="[]", params_json="{}"))
        thread, outcome = in_thread(jobs.enqueue, engine, "refresh_source", "12345热线", "ops2")
        assert still_waiting(thread)  # it takes its turn instead of looking past the uncommitted row
    thread.join(timeout=10)
    job, queued_now = outcome["value"]
    assert not queued_now and job.requested_by == "ops1"
    assert [j.requested_by for j in jobs.active_jobs(engine)] == ["ops1"]


def test_a_claimer_skips_the_job_another_is_claiming(postgres_database):
    engine = db.connect(postgres_database)
    first = jobs.enqueue(engine, "refresh_source", "源1")[0]
    second = jobs.enqueue(engine, "refresh_source", "源2")[0]
    with engine.connect() as other, other.begin():
        other.execute(sa.select(db.jobs.c.id).where(db.jobs.c.id == first.id).with_for_update())
        thread, outcome = in_thread(jobs.claim, engine, "h:2:2:b")
        thread.join(timeout=10)
        assert not thread.is_alive(), "the claim waited for the locked job"
        assert outcome["value"].id == second.id
    assert jobs.claim(engine, "h:3:3:c").id == first.id  # released: the next claimer takes it
    assert jobs.claim(engine, "h:3:3:c") is None


def test_two_first_starts_make_one_admin(postgres_database):
    engine = db.connect(postgres_database)
    with engine.connect() as other, other.begin():
        other.execute(sa.insert(users).values(name="admin", role="admin", password_hash="x", created_at=time.time()))
        thread, outcome = in_thread(accounts.ensure_first_admin, engine, "correct horse battery")
        assert still_waiting(thread)  # its insert waits on the other's uncommitted name
    thread.join(timeout=10)
    assert outcome == {"value": (False, None)}  # the other start made it: no error, no second admin
    assert [u.name for u in accounts.list_users(engine)] == ["admin"]


def test_every_process_gets_the_one_shared_secret(postgres_database):
    engine = db.connect(postgres_database)
    with engine.connect() as other, other.execution_options(write_lock=True).begin():
        other.execute(sa.insert(app_secrets).values(name="session", value="made-by-the-other-process"))
        thread, outcome = in_thread(accounts.shared_secret, engine, "session")
        assert still_waiting(thread)
    thread.join(timeout=10)
    assert outcome == {"value": "made-by-the-other-process"}


def test_many_threads_taking_one_pull_lock_at_once_give_it_to_one(postgres_database):
    engine = db.connect(postgres_database)
    start = threading.Barrier(8)
    owners = [f"{locks.process_owner()}/{i}" for i in range(8)]
    won: list[str] = []

    def take(i: int) -> None:
        start.wait()
        if locks.acquire(engine, "pull:12345热线", owners[i], expiry=60):
            won.append(owners[i])

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(won) == 1
    assert locks.holder_of(engine, "pull:12345热线") == won[0]


def test_connections_the_server_cut_are_replaced(postgres_server, postgres_database):
    engine = db.connect(postgres_database)
    assert jobs.active_jobs(engine) == []  # a pooled connection now exists
    name = sa.make_url(postgres_database).database
    postgres_server.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    job, queued = jobs.enqueue(engine, "refresh_all")  # a restart of the server looks the same to the pool
    assert queued and jobs.get(engine, job.id).status == "queued"


def test_a_postgresql_database_not_upgraded_says_what_to_run(empty_postgres_database):
    with pytest.raises(Exception, match="请先运行 python run.py db upgrade"):
        db.connect(empty_postgres_database)
