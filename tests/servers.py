"""Real servers the tests start on 127.0.0.1 (a free port, a temp folder) and stop: Debian's
redis-server today. :class:`ServerProcess` is generic (start, stop, kill, restart on the same port);
each server adds its command line and its readiness check. Where the binary is missing the tests
skip, except in CI (CI=true), where a missing server is a broken setup (scripts/setup.sh installs it).

Use the fixtures by importing them into a test module: ``from tests.servers import redis_server``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
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
