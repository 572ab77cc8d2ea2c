"""0005_jobs on real SQLite files and a real PostgreSQL server: from an empty database and from 0004_dept_history with pull log rows,
and back down."""
import sqlalchemy as sa
from alembic import command

from dashboard import db, migrations
from tests.test_migrations import migrated, revision, schema_drift


def test_jobs_revision_from_an_empty_database(empty_database_url):
    engine = migrated(empty_database_url)
    assert revision(engine) == migrations.head() and schema_drift(engine) == []
    inspector = sa.inspect(engine)
    assert {"jobs", "locks"} <= set(inspector.get_table_names())
    assert "owner" in {c["name"] for c in inspector.get_columns("pull_runs")}
    assert inspector.get_pk_constraint("locks")["constrained_columns"] == ["name"]


def test_jobs_revision_from_the_previous_schema_keeps_the_log(empty_database_url):
    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, "0004_dept_history")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pull_runs (source, dataset, started_at, finished_at, rows_ok, "
                             "rows_quarantined, error, \"trigger\", status) VALUES "
                             "('12345热线', 'incidents', 1.0, 2.0, 47, 3, '', 'cli', 'ok')"))
    assert migrations.upgrade(engine) == migrations.head()
    assert schema_drift(engine) == []
    runs = db.recent_runs(engine)
    assert runs[["source", "rows_ok", "status"]].values.tolist() == [["12345热线", 47, "ok"]]
    assert runs["owner"].isna().all()
    run_id = db.start_run(engine, source="12345热线", dataset="incidents", started_at=3.0, trigger="manual", owner="h:1:1:x")
    assert db.recent_runs(engine).set_index("id").loc[run_id, "status"] == "running"

    with engine.begin() as conn:  # and back: the queue goes, the log keeps its rows
        command.downgrade(migrations.config(connection=conn), "0004_dept_history")
    inspector = sa.inspect(engine)
    assert not {"jobs", "locks"} & set(inspector.get_table_names())
    assert "owner" not in {c["name"] for c in inspector.get_columns("pull_runs")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pull_runs")).scalar() == 2
