"""0008_capture_token on real SQLite files: from an empty database, and from 0007_exports with a kiosk
token (it stays a kiosk token), and back down (the service tokens go, the kiosk tokens stay)."""
import sqlalchemy as sa
from alembic import command

from dashboard import accounts, db, migrations
from tests.test_migrations import revision, schema_drift


def test_capture_token_revision_from_an_empty_database(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    assert revision(engine) == migrations.head() and schema_drift(engine) == []
    token, secret = accounts.add_token(engine, accounts.CAPTURE_SCOPE, "测试", scope=accounts.CAPTURE_SCOPE)
    assert accounts.token_of(engine, secret, scope=accounts.CAPTURE_SCOPE) == token
    assert accounts.token_of(engine, secret) is None  # a service token opens no kiosk screen


def test_capture_token_revision_keeps_kiosk_tokens_and_goes_back_down(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}", migrate=False)
    migrations.upgrade(engine, "0007_exports")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO kiosk_tokens (name, token_hash, created_at, created_by) "
                             f"VALUES ('大厅屏', '{accounts.secret_digest('s3cret')}', 1.0, 'admin')"))
    assert migrations.upgrade(engine) == migrations.head() and schema_drift(engine) == []
    kiosk = accounts.token_of(engine, "s3cret")
    assert (kiosk.name, kiosk.scope, kiosk.active) == ("大厅屏", accounts.KIOSK_SCOPE, True)
    accounts.add_token(engine, "导出截图服务", "系统", scope=accounts.CAPTURE_SCOPE)

    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "0007_exports")
    assert "scope" not in {c["name"] for c in sa.inspect(engine).get_columns("kiosk_tokens")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM kiosk_tokens")).scalars().all() == ["大厅屏"]
