"""0010_wall_screens on real SQLite files: from an empty database, and from 0009_instructions with a
kiosk token (it keeps working, bound to no screen), and back down (the wall-control tables go)."""
import sqlalchemy as sa
from alembic import command

from dashboard import accounts, db, migrations, wall_control
from tests.test_migrations import revision, schema_drift


def test_wall_screens_revision_from_an_empty_database(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    assert revision(engine) == migrations.head() and schema_drift(engine) == []
    token, secret = accounts.add_token(engine, "主屏", "测试", screen="main")
    assert accounts.token_of(engine, secret).screen == "main" == token.screen
    wall_control.ensure_screen(engine, "main", now=100.0)
    assert [(s.name, s.last_seen_at, s.showing) for s in wall_control.screens(engine)] == [("main", None, "")]


def test_wall_screens_revision_keeps_kiosk_tokens_and_goes_back_down(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}", migrate=False)
    migrations.upgrade(engine, "0009_instructions")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO kiosk_tokens (name, token_hash, created_at, created_by) "
                             f"VALUES ('大厅屏', '{accounts.secret_digest('s3cret')}', 1.0, 'admin')"))
    assert migrations.upgrade(engine) == migrations.head() and schema_drift(engine) == []
    kiosk = accounts.token_of(engine, "s3cret")
    assert (kiosk.name, kiosk.screen, kiosk.active) == ("大厅屏", None, True)

    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "0009_instructions")
    tables = set(sa.inspect(engine).get_table_names())
    assert not {"wall_screens", "wall_commands"} & tables
    assert "screen" not in {c["name"] for c in sa.inspect(engine).get_columns("kiosk_tokens")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM kiosk_tokens")).scalars().all() == ["大厅屏"]
