"""``run.py user|token|audit`` on a real app database (SQLite and PostgreSQL), the first start's admin, the audit log's
append-only archive, and the 0006_auth migration from an empty database and from 0003."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from dashboard import accounts, audit, db, migrations
from dashboard.cli_auth import first_admin
from dashboard.permissions import Caller
from dashboard.settings import load_settings
from tests.auth_helpers import ROOT

AUTH_TABLES = {"users", "kiosk_tokens", "auth_sessions", "login_attempts", "audit_log", "app_secrets"}


@pytest.fixture
def config(tmp_path, app_database_url):
    """A city on SQLite and on PostgreSQL (parametrised)."""
    path = tmp_path / "city.toml"
    path.write_text(f'[app]\ndata_dir = "{tmp_path / "data"}"\ndatabase_url = "{app_database_url}"\n', encoding="utf-8")
    return path


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys, monkeypatch):
    """``python run.py --config CONFIG ARGS`` in this process (tests/test_run_commands.py runs the real one)."""
    from dashboard.cli import main

    def _run(config, *args, stdin: str = "", env: dict | None = None) -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        try:
            code = main(["--config", str(config), *args])
        except SystemExit as exc:  # argparse: -h, bad arguments
            code = exc.code
        finally:
            for key in env or {}:
                monkeypatch.delenv(key)
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return _run


def test_the_real_command_line(config):
    added = subprocess.run([sys.executable, "run.py", "--config", str(config), "user", "add", "赵", "--role", "viewer",
                            "--password-stdin"], cwd=ROOT, input="赵的密码-123456\n", capture_output=True, text=True)
    assert added.returncode == 0 and "已新增用户 赵（观看者）" in added.stdout, added.stderr


def engine_of(config):
    return db.connect(load_settings(config, environ={}).database_url)


def test_user_add_disable_list_and_their_audit_rows(run, config):
    added = run(config, "user", "add", "王运维", "--role", "operator", "--password-stdin", stdin="运维的密码-123\n")
    assert added.returncode == 0 and "已新增用户 王运维（运维）" in added.stdout
    from_env = run(config, "user", "add", "李领导", "--role", "leader", env={"CITYWALL_PASSWORD": "领导的密码-456"})
    assert from_env.returncode == 0, from_env.stderr
    engine = engine_of(config)
    assert accounts.authenticate(engine, "王运维", "运维的密码-123").role == "operator"
    assert accounts.authenticate(engine, "李领导", "领导的密码-456").role == "leader"

    bad_role = run(config, "user", "add", "x", "--role", "boss", "--password-stdin", stdin="whatever-123\n")
    assert bad_role.returncode == 2 and "角色 'boss' 不存在" in bad_role.stderr
    no_password = run(config, "user", "add", "y", "--role", "viewer")  # no terminal, no stdin flag, no env
    assert no_password.returncode == 2 and "--password-stdin" in no_password.stderr

    assert run(config, "user", "disable", "王运维").returncode == 0
    listed = run(config, "user", "list").stdout
    assert "李领导\t领导（leader）\t启用" in listed and "王运维\t运维（operator）\t已停用" in listed
    assert accounts.authenticate(engine, "王运维", "运维的密码-123") is None
    rows = audit.query(engine)
    assert [(r.action, r.target, r.actor_kind) for r in rows] == [
        ("user_disable", "王运维", "cli"), ("user_add", "李领导", "cli"), ("user_add", "王运维", "cli")]


def test_tokens_from_the_command_line(run, config):
    added = run(config, "token", "add", "--name", "大厅屏")
    assert added.returncode == 0 and "/wall?kiosk=1&token=" in added.stdout
    secret = added.stdout.split("token=")[1].split()[0]
    engine = engine_of(config)
    assert accounts.token_of(engine, secret).name == "大厅屏"
    assert "1\t大厅屏\t有效" in run(config, "token", "list").stdout
    assert run(config, "token", "revoke", "大厅屏").returncode == 0
    assert accounts.token_of(engine, secret) is None
    assert "已吊销" in run(config, "token", "list").stdout
    missing = run(config, "token", "revoke", "99")
    assert missing.returncode == 2 and "没有令牌 99" in missing.stderr
    assert [r.action for r in audit.query(engine)] == ["token_revoke", "token_add"]


def test_cli_help_is_chinese(run, config):
    for args in (("user", "-h"), ("user", "add", "-h"), ("token", "-h"), ("audit", "archive", "-h")):
        out = run(config, *args).stdout
        assert out.startswith("用法：") and "显示帮助并退出" in out
    bad = run(config, "audit", "archive", "--before", "2026-13-01")
    assert bad.returncode == 2 and "应为 YYYY-MM-DD" in bad.stderr


def test_audit_archive_writes_old_rows_to_a_file_then_removes_them(run, config, tmp_path):
    engine = engine_of(config)
    someone = Caller(name="张三", role="operator", kind="user")
    audit.record("refresh", "12345热线", caller=someone, engine=engine, address="10.0.0.8")
    audit.record("export", "简报", caller=someone, engine=engine, address="10.0.0.8")
    with engine.begin() as conn:  # the first two rows are forty days old
        conn.execute(sa.update(db.auth_tables.audit_log).values(at=time.time() - 40 * 86400))
    audit.record("login", "张三", caller=someone, engine=engine, address="10.0.0.8")
    before = (date.today() - timedelta(days=30)).isoformat()
    out = tmp_path / "archive.csv"
    done = run(config, "audit", "archive", "--before", before, "--out", str(out))
    assert done.returncode == 0 and "已把 2 条审计记录写入" in done.stdout
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(audit.COLUMNS)
    assert [r[3] for r in rows[1:]] == ["刷新数据源", "导出"] and rows[1][1] == "张三" and rows[1][6] == "10.0.0.8"
    left = audit.query(engine)
    assert [r.action for r in left] == ["audit_archive", "login"]  # the archive itself is audited
    again = run(config, "audit", "archive", "--before", before, "--out", str(out))
    assert again.returncode == 2 and "已存在" in again.stderr  # never overwrites an archive


def test_no_web_code_path_updates_or_deletes_audit_rows():
    """Only the archive CLI deletes audit rows; nothing updates them."""
    offenders = []
    for path in [*ROOT.glob("dashboard/**/*.py"), *ROOT.glob("layouts/*.py"), *ROOT.glob("callbacks/*.py")]:
        text = path.read_text(encoding="utf-8")
        if "audit_log" in text and any(w in text for w in ("update(audit_log", "delete(audit_log")):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == ["dashboard/audit.py"]  # archive(), called from dashboard/cli_auth.py only
    callers = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("**/*.py")
               if "audit.archive(" in p.read_text(encoding="utf-8") and "tests/" not in p.as_posix()]
    assert callers == ["dashboard/cli_auth.py"]


def test_the_first_start_creates_the_admin_once(tmp_path, capsys, monkeypatch):
    settings = load_settings(_config(tmp_path), environ={})
    engine = db.connect(settings.database_url)
    monkeypatch.delenv("CITYWALL_ADMIN_PASSWORD", raising=False)
    first_admin(settings, engine)
    printed = capsys.readouterr().out
    password = printed.split("密码 ")[1].split("（")[0]
    assert "已创建管理员账号 admin" in printed and accounts.authenticate(engine, "admin", password).role == "admin"
    first_admin(settings, engine)
    assert capsys.readouterr().out == ""  # printed once: the second start finds the admin
    assert [r.action for r in audit.query(engine)] == ["user_add"]

    other = db.connect(f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("CITYWALL_ADMIN_PASSWORD", "环境变量给的密码")
    first_admin(settings, other)
    assert "取自环境变量 CITYWALL_ADMIN_PASSWORD" in capsys.readouterr().out
    assert accounts.authenticate(other, "admin", "环境变量给的密码") is not None


def _config(tmp_path):
    path = tmp_path / "first.toml"
    path.write_text(f'[app]\ndata_dir = "{tmp_path / "first"}"\n', encoding="utf-8")
    return path


def test_auth_revision_from_the_previous_schema_and_back(empty_database_url):
    engine = db.connect(empty_database_url, migrate=False)
    migrations.upgrade(engine, "0003_publish_guard")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pull_runs (source, dataset, started_at, rows_ok, status) "
                             "VALUES ('12345热线', 'incidents', 1.0, 5, 'ok')"))
    assert not AUTH_TABLES & set(sa.inspect(engine).get_table_names())
    assert migrations.upgrade(engine) == migrations.head()
    assert AUTH_TABLES <= set(sa.inspect(engine).get_table_names())
    from tests.test_migrations import schema_drift

    assert schema_drift(engine) == []
    assert db.recent_runs(engine)["rows_ok"].tolist() == [5]  # the older tables keep their rows
    accounts.add_user(engine, "a", "viewer", "足够长的密码-1", {"viewer": ()})
    with engine.begin() as conn:
        command.downgrade(migrations.config(connection=conn), "0003_publish_guard")
    assert not AUTH_TABLES & set(sa.inspect(engine).get_table_names())
    assert migrations.upgrade(engine) == migrations.head()  # and up again, from empty auth tables
    assert accounts.list_users(engine) == []
