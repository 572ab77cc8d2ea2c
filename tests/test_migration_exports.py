"""0007_exports on real SQLite files and a real PostgreSQL server: from an empty database, and from 0005_jobs with queued jobs (they
keep their rows and get empty params), and back down."""
import sqlalchemy as sa
from alembic import command

from dashboard import db, exports, jobs, migrations
from tests.test_migrations import migrated, revision, schema_drift


def test_exports_revision_from_an_empty_database(empty_database_url):
    engine = migrated(empty_database_url)
    assert revision(engine) == migrations.head() and schema_drift(engine) == []
    inspector = sa.inspect(engine)
    assert "exports" in inspector.get_table_names()
    assert {"params_json", "stage"} <= {c["name"] for c in inspector.get_columns("jobs")}
    made = exports.record(engine, kind="png", view="city", view_label="全市", created_by="简报员",
                          data_version="abc123", path="2026-12/x.png", size_bytes=10)
    assert exports.get(engine, made.id) == made


def test_exports_revision_from_the_jobs_schema_keeps_the_queue(empty_database_url):
    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, "0005_jobs")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO jobs (kind, source, status, requested_by, requested_at) "
                             "VALUES ('refresh_source', '12345热线', 'queued', 'ops1', 1.0)"))
    assert migrations.upgrade(engine) == migrations.head()
    assert schema_drift(engine) == []
    job = jobs.get(engine, 1)
    assert (job.kind, job.source, job.status, job.params, job.stage) == ("refresh_source", "12345热线", "queued", {}, None)
    export_job, queued = jobs.enqueue(engine, "export", params={"kind": "png", "view": "city"})
    assert queued and jobs.get(engine, export_job.id).params == {"kind": "png", "view": "city"}

    with engine.begin() as conn:  # and back: the archive goes, the queue keeps its rows
        command.downgrade(migrations.config(connection=conn), "0005_jobs")
    inspector = sa.inspect(engine)
    assert "exports" not in inspector.get_table_names()
    assert "params_json" not in {c["name"] for c in inspector.get_columns("jobs")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 2
