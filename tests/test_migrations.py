"""Schema migrations of the app database on real SQLite files and a real PostgreSQL server: from an
empty database (both), from the schema the pre-migration create_all made (with rows; SQLite, where it
was made), through ``run.py db``, and the SQL the same revisions render for PostgreSQL."""
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from dashboard import db, migrations

REPO = Path(__file__).resolve().parents[1]

# What dashboard/db.py's metadata.create_all made on SQLite before migrations existed (verbatim)
OLD_DDL = """
CREATE TABLE pull_runs (
    id INTEGER NOT NULL, source VARCHAR(200) NOT NULL, dataset VARCHAR(50) NOT NULL,
    started_at FLOAT NOT NULL, finished_at FLOAT, rows_ok INTEGER, rows_quarantined INTEGER,
    error TEXT, "trigger" VARCHAR(20), PRIMARY KEY (id));
CREATE INDEX ix_pull_runs_source ON pull_runs (source);
CREATE TABLE quarantine (
    id INTEGER NOT NULL, source VARCHAR(200) NOT NULL, dataset VARCHAR(50) NOT NULL,
    pulled_at FLOAT NOT NULL, row_number INTEGER, reason TEXT NOT NULL, row_json TEXT NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_quarantine_source ON quarantine (source);
CREATE TABLE indicator_history (
    indicator_id VARCHAR(100) NOT NULL, date DATE NOT NULL, value FLOAT NOT NULL,
    PRIMARY KEY (indicator_id, date));
INSERT INTO pull_runs (source, dataset, started_at, finished_at, rows_ok, rows_quarantined, error, "trigger")
    VALUES ('12345热线', 'incidents', 1.0, 2.0, 10, 1, '', 'cli');
INSERT INTO quarantine (source, dataset, pulled_at, row_number, reason, row_json)
    VALUES ('12345热线', 'incidents', 2.0, 3, 'reported_at 无法解析', '{"incident_id": "H3"}');
INSERT INTO indicator_history VALUES ('six_databases', '2026-11-21', 5.0);
INSERT INTO indicator_history VALUES ('six_databases', '2026-11-22', 5.0);
INSERT INTO indicator_history VALUES ('sharing_rate', '2026-11-22', 0.81);
"""


def old_database(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_DDL)
    return f"sqlite:///{path}"


def schema_drift(engine) -> list:
    """What differs between the migrated database and dashboard/db.py's tables (empty when in step)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), db.metadata)


def migrated(url: str) -> "sa.Engine":
    """An engine on the database at ``url``, upgraded to the newest revision (PostgreSQL is not
    upgraded by ``db.connect``)."""
    engine = db.connect(url, migrate=False)
    migrations.upgrade(engine)
    return engine


def revision(engine) -> str | None:
    with engine.connect() as conn:
        return migrations.current(conn)


def test_revisions_are_a_line_from_the_baseline():
    script = ScriptDirectory.from_config(migrations.config())
    chain = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    assert chain[:2] == ["0001_baseline", "0002_history_unique"]
    assert script.get_revision("0002_history_unique").down_revision == "0001_baseline"
    assert len(script.get_heads()) == 1


def test_upgrade_from_an_empty_database(empty_database_url):
    engine = migrated(empty_database_url)
    assert revision(engine) == migrations.head()
    assert schema_drift(engine) == []
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) >= {"alembic_version", "pull_runs", "quarantine", "indicator_history"}
    assert inspector.get_pk_constraint("indicator_history")["constrained_columns"] == ["id"]
    assert [u["column_names"] for u in inspector.get_unique_constraints("indicator_history")] == [["indicator_id", "date"]]

    # down to nothing and up again: both directions of every revision run
    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "base")
    assert "indicator_history" not in sa.inspect(engine).get_table_names()
    assert migrations.upgrade(engine) == migrations.head()
    assert schema_drift(engine) == []


def test_upgrade_from_the_pre_migration_schema_keeps_the_rows(tmp_path):
    url = old_database(tmp_path / "old.db")
    engine = db.connect(url)  # detects the old tables, stamps 0001_baseline, upgrades
    assert revision(engine) == migrations.head()
    assert schema_drift(engine) == []
    history = db.load_history(engine).sort_values(["indicator_id", "date"]).reset_index(drop=True)
    assert history.to_dict("records") == [
        {"indicator_id": "sharing_rate", "date": pd.Timestamp("2026-11-22"), "value": 0.81},
        {"indicator_id": "six_databases", "date": pd.Timestamp("2026-11-21"), "value": 5.0},
        {"indicator_id": "six_databases", "date": pd.Timestamp("2026-11-22"), "value": 5.0}]
    runs = db.recent_runs(engine)
    assert runs[["source", "rows_ok", "trigger"]].values.tolist() == [["12345热线", 10, "cli"]]
    assert db.quarantined_rows(engine)["reason"].tolist() == ["reported_at 无法解析"]

    # the new key at work: the old rows got ids, a correction replaces, a duplicate is refused
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(db.indicator_history.c.id)).scalars()) == [1, 2, 3]
    db.upsert_history(engine, {"six_databases": 6.0}, date(2026, 11, 22))
    latest = db.load_history(engine).set_index(["indicator_id", "date"])["value"]
    assert latest[("six_databases", pd.Timestamp("2026-11-22"))] == 6.0 and len(latest) == 3
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(db.indicator_history), {"indicator_id": "sharing_rate", "date": date(2026, 11, 22),
                                                       "value": 0.5})


def test_a_database_of_unknown_shape_is_not_stamped(tmp_path):
    path = tmp_path / "partial.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE pull_runs (id INTEGER PRIMARY KEY)")
    with pytest.raises(migrations.SchemaError, match="缺少表 indicator_history、quarantine"):
        db.connect(f"sqlite:///{path}")


def test_a_database_not_upgraded_automatically_says_what_to_run(empty_database_url):
    engine = db.connect(empty_database_url, migrate=False)
    with pytest.raises(migrations.SchemaError, match="请先运行 python run.py db upgrade"):
        migrations.require_head(engine)
    migrations.upgrade(engine)
    migrations.require_head(engine)  # at head: nothing to say


def test_postgresql_gets_plain_alter_tables(capsys):
    command.upgrade(migrations.config("postgresql://citywall@127.0.0.1/citywall"),
                    "0001_baseline:0002_history_unique", sql=True)
    sql = capsys.readouterr().out
    assert "ALTER TABLE indicator_history DROP CONSTRAINT indicator_history_pkey;" in sql
    assert "ALTER TABLE indicator_history ADD COLUMN id INTEGER GENERATED BY DEFAULT AS IDENTITY;" in sql
    assert "ADD CONSTRAINT uq_indicator_history_indicator_id_date UNIQUE (indicator_id, date);" in sql
    assert "_alembic_tmp" not in sql  # no table copy where ALTER TABLE can do it


def test_run_py_db_upgrade_and_current(tmp_path):
    url = old_database(tmp_path / "old.db")
    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndatabase_url = "{url}"\n', encoding="utf-8")

    def run(*args):
        return subprocess.run([sys.executable, "run.py", "--config", str(config), "db", *args],
                              cwd=REPO, capture_output=True, text=True)

    before = run("current")
    assert before.returncode == 1 and "当前结构版本: （无）" in before.stdout and "db upgrade" in before.stdout
    upgraded = run("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"数据库结构已升级: （无） → {migrations.head()}" in upgraded.stdout
    after = run("current")
    assert after.returncode == 0 and f"当前结构版本: {migrations.head()}（最新）" in after.stdout
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute("SELECT count(*) FROM indicator_history").fetchone() == (3,)



def test_an_interrupted_upgrade_leaves_the_previous_schema_whole(empty_database_url):
    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, migrations.BASELINE)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO indicator_history VALUES ('six_databases', '2026-11-22', 5.0)"))
    with pytest.raises(RuntimeError), engine.connect() as conn, conn.begin():
        command.upgrade(migrations.config(connection=conn), "head")
        raise RuntimeError("进程在提交前被终止")  # every step ran, the commit never came
    # the DDL (SQLite's and PostgreSQL's) rolled back with the rest: no half-copied table left to break the next upgrade
    assert revision(engine) == migrations.BASELINE
    assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("_alembic_tmp")]
    assert migrations.upgrade(engine) == migrations.head()
    assert db.load_history(engine)["value"].tolist() == [5.0]


def test_db_command_names_a_database_it_cannot_open(tmp_path, capsys):
    from dashboard.cli import main

    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndatabase_url = "sqlite:///{tmp_path}"\n', encoding="utf-8")  # a folder, not a file
    assert main(["--config", str(config), "db", "current"]) == 2
    error = capsys.readouterr().err
    assert f"无法打开应用数据库 sqlite:///{tmp_path}" in error and "请检查 app.database_url" in error


def test_a_config_with_only_a_url_migrates_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    command.upgrade(migrations.config(url), "head")
    assert revision(db.connect(url, migrate=False)) == migrations.head()


def test_publish_guard_revision_from_the_previous_schema(empty_database_url):
    """0003 on a database at 0002 with pull log rows: each run gets its status from its error."""
    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, "0002_history_unique")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pull_runs (source, dataset, started_at, finished_at, rows_ok, "
                             "rows_quarantined, error, \"trigger\") VALUES "
                             "('12345热线', 'incidents', 1.0, 2.0, 47, 0, '', 'cli'), "
                             "('12345热线', 'incidents', 3.0, 4.0, 0, 0, '数据源「12345热线」没有找到匹配的文件', 'schedule')"))
    assert migrations.upgrade(engine, "0003_publish_guard") == "0003_publish_guard"
    assert migrations.upgrade(engine) == migrations.head()
    assert schema_drift(engine) == []
    runs = db.recent_runs(engine).sort_values("started_at")
    assert runs["status"].tolist() == ["ok", "failed"]
    assert db.last_published_rows(engine, "12345热线") == 47
    assert {"held_publishes", "source_checks"} <= set(sa.inspect(engine).get_table_names())

    with engine.begin() as conn:  # and back: the tables go, the log keeps its rows
        command.downgrade(migrations.config(connection=conn), "0002_history_unique")
    inspector = sa.inspect(engine)
    assert "held_publishes" not in inspector.get_table_names()
    assert "status" not in {c["name"] for c in inspector.get_columns("pull_runs")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pull_runs")).scalar() == 2


def test_department_history_revision_from_0003(empty_database_url):
    """0004 on a database at 0003 with history rows: the new table, its key, the upsert, and back."""
    from dashboard import department_history

    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, "0003_publish_guard")
    db.upsert_history(engine, {"sharing_rate": 0.81}, date(2026, 11, 22))
    assert "department_history" not in sa.inspect(engine).get_table_names()
    assert migrations.upgrade(engine) == migrations.head()
    assert schema_drift(engine) == []
    assert [u["column_names"] for u in sa.inspect(engine).get_unique_constraints("department_history")] == [
        ["dept_id", "indicator_id", "date"]]
    rows = pd.DataFrame({"dept_id": ["D001", "D001"], "indicator_id": ["sharing_rate", "cloud_migration_rate"],
                         "value": [0.5, 0.25]})
    assert department_history.write(engine, rows, date(2026, 11, 22)) == 2
    department_history.write(engine, rows.assign(value=[0.6, None]), date(2026, 11, 22))  # a later pull wins
    held = department_history.load(engine)
    assert held[["dept_id", "indicator_id", "value"]].values.tolist() == [
        ["D001", "cloud_migration_rate", 0.25], ["D001", "sharing_rate", 0.6]]
    assert db.load_history(engine)["value"].tolist() == [0.81]  # the city's history is untouched

    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "0003_publish_guard")
    assert "department_history" not in sa.inspect(engine).get_table_names()
    assert db.load_history(engine)["value"].tolist() == [0.81]
