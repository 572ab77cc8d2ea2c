"""Real servers the tests start on 127.0.0.1 (a free port, a temp folder) and stop: Debian's
redis-server and PostgreSQL. :class:`ServerProcess` is generic (start, stop, kill, restart on the same
port); each server adds its command line and its readiness check. PostgreSQL (its own functions below)
runs initdb first, as an unprivileged user when the tests run as root, and is always required: it
fails, never skips, where the binaries are missing. Where the binary is missing the tests
skip, except in CI (CI=true), where a missing server is a broken setup (scripts/setup.sh installs it).

Use the fixtures by importing them into a test module: ``from tests.servers import redis_server``.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed (Debian package {package}; scripts/setup.sh test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class ServerProcess:
    """One server process: ``command(port, folder)`` builds its command line, ``ready(port)`` says
    whether it answers. The port and folder stay across restarts."""

    def __init__(self, command: Callable[[int, Path], list[str]], ready: Callable[[int], bool],
                 folder: Path, name: str) -> None:
        self.command, self.ready, self.folder, self.name = command, ready, folder, name
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "ServerProcess":
        log = open(self.folder / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(self.command(self.port, self.folder), stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.folder)
        log.close()
        deadline = time.monotonic() + timeout
        while not self.ready(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start on port {self.port}: "
                                   f"{(self.folder / f'{self.name}.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.02)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """kill -9: no shutdown of its own (a crash)."""
        self.stop(signal.SIGKILL)

    def restart(self) -> "ServerProcess":
        self.stop()
        return self.start()


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_command(binary: str) -> Callable[[int, Path], list[str]]:
    # memory only: a restart comes back empty, as a Redis without persistence does
    return lambda port, folder: [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                                 "--save", "", "--appendonly", "no", "--daemonize", "no"]


def start_redis(folder: Path) -> ServerProcess:
    binary = need_binary("redis-server", "redis-server")
    return ServerProcess(redis_command(binary), _answers_ping, folder, "redis").start()


def _server(start: Callable[[Path], ServerProcess], prefix: str) -> Iterator[ServerProcess]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    server = start(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[ServerProcess]:
    """One redis-server for the session: tests keep apart by key prefix, and never stop it."""
    yield from _server(start_redis, "citywall-redis-")


@pytest.fixture
def own_redis_server() -> Iterator[ServerProcess]:
    """A redis-server of the test's own, for tests that stop, kill or restart it."""
    yield from _server(start_redis, "citywall-redis-own-")


# ---- PostgreSQL ---------------------------------------------------------------------------------------

PG_USER = "citywall"
PG_TEMPLATE = "citywall_head"  # a database migrated to the newest revision once; tests copy it


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float, what: str) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g} s")


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def _unprivileged_user() -> str | None:
    """Who runs the server: PostgreSQL refuses root, so root hands it to ``postgres`` (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("no unprivileged user (postgres, nobody) to run PostgreSQL as")


def _as_user(user: str | None) -> dict:
    """Popen arguments running the child as ``user`` itself (no runuser in between: a signal sent to the
    child reaches the server, and nothing is left behind when it stops)."""
    if not user:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, trust auth for :data:`PG_USER` on 127.0.0.1."""
    port: int
    folder: Path
    process: subprocess.Popen

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE / DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={PG_USER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str = "template0") -> str:
        """A new empty database (``template0``) or a copy of ``template``; → its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def halt(self) -> None:
        """Stop the server and keep its data (``resume`` starts it again on the same port)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: clients still connected are cut off
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def resume(self) -> "PostgresServer":
        self.process = _postgres_process(self.port, self.folder)
        _wait_for_port(self.port, self.process, 30, "postgres")
        _wait_until_accepting(self)
        return self

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)


def _postgres_process(port: int, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(postgres_bin_dir() / "postgres"), "-D", str(folder / "data"), "-p", str(port), "-h", "127.0.0.1",
         "-k", str(folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off", "-c", "max_connections=100"],
        stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "ab"), cwd=folder,
        **_as_user(_unprivileged_user()))


def start_postgres() -> PostgresServer:
    """initdb a throw-away cluster and start it on a free port of 127.0.0.1 (durability off: tests)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql; scripts/setup.sh test)")
    user = _unprivileged_user()
    folder = Path(tempfile.mkdtemp(prefix="citywall-pg-"))
    data = folder / "data"
    if user:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                   check=True, capture_output=True, cwd=folder, **_as_user(user))
    port = free_port()
    process = _postgres_process(port, folder)
    server = PostgresServer(port, folder, process)
    try:
        _wait_for_port(port, process, 30, "postgres")
        _wait_until_accepting(server)
    except Exception:
        log = (folder / "server.log").read_text(errors="replace")[-2000:]
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
    return server


def _wait_until_accepting(server: PostgresServer, timeout: float = 30) -> None:
    import psycopg

    give_up = time.monotonic() + timeout
    while True:
        try:
            server.execute("SELECT 1")
            return
        except psycopg.OperationalError:  # "the database system is starting up"
            if time.monotonic() > give_up:
                raise
            time.sleep(0.05)


def _migrated_template(server: PostgresServer) -> None:
    from dashboard import db, migrations

    server.execute(f'CREATE DATABASE "{PG_TEMPLATE}" TEMPLATE template0')
    engine = db.connect(server.url(PG_TEMPLATE), migrate=False)
    migrations.upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, with a template database at the newest revision."""
    server = start_postgres()
    try:
        _migrated_template(server)
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server) -> Iterator[str]:
    """The URL of a fresh database at the newest revision (a copy of the template), dropped afterwards."""
    name = postgres_server.create_database(PG_TEMPLATE)
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def empty_postgres_database(postgres_server) -> Iterator[str]:
    """The URL of a fresh database with no tables at all (migration tests), dropped afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def app_database_url(request, tmp_path) -> str:
    """The app database's URL, at the newest revision, on SQLite and on PostgreSQL (parametrised)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> str:
    """The URL of an empty app database (no tables), on SQLite and on PostgreSQL (parametrised)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    return request.getfixturevalue("empty_postgres_database")
