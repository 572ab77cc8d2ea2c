"""0009_instructions on real SQLite files: from an empty database, and from 0008_capture_token with
an account (it keeps its role and gets no department), and back down (the tables and the column go,
the accounts stay)."""
import sqlalchemy as sa
from alembic import command

from dashboard import accounts, db, migrations
from dashboard import instructions as ins
from dashboard.permissions import DEFAULT_ROLES, Caller
from tests.test_migrations import revision, schema_drift

LEADER = Caller(name="领导甲", role="leader", permissions=DEFAULT_ROLES["leader"], kind="user")


def test_instructions_revision_from_an_empty_database(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    assert revision(engine) == migrations.head() and schema_drift(engine) == []
    tables = set(sa.inspect(engine).get_table_names())
    assert {"instructions", "instruction_events"} <= tables
    item = ins.issue(engine, text="核查", dept_id="D002", deadline=2_000_000_000.0, now=1_900_000_000.0, caller=LEADER)
    assert [e.step for e in ins.events(engine, item.id)] == ["issue"]


def test_instructions_revision_from_0008_keeps_accounts_and_goes_back_down(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}", migrate=False)
    migrations.upgrade(engine, "0008_capture_token")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name, role, password_hash, created_at) "
                             "VALUES ('老运维', 'operator', 'x', 1.0)"))
    assert migrations.upgrade(engine, "0009_instructions") == "0009_instructions"
    assert migrations.upgrade(engine) == migrations.head() and schema_drift(engine) == []
    old = accounts.find_user(engine, "老运维")
    assert (old.role, old.department) == ("operator", None)
    ins.issue(engine, text="核查", dept_id="D002", deadline=2_000_000_000.0, now=1_900_000_000.0, caller=LEADER)

    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "0008_capture_token")
    inspector = sa.inspect(engine)
    assert not {"instructions", "instruction_events"} & set(inspector.get_table_names())
    assert "department" not in {c["name"] for c in inspector.get_columns("users")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name, role FROM users")).all() == [("老运维", "operator")]
