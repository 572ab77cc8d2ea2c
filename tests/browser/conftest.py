"""Browser fixtures: the real app served on 127.0.0.1 over a seeded demo city, and headless Chromium.

Browser tests never skip in CI (CI=true): a missing Chromium there is a failure.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--hide-scrollbars=false"]


def pytest_itemcollected(item):
    """Every test here is a browser test (the mark test.sh --split tells the halves apart by)."""
    item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def wall_config(tmp_path_factory) -> Path:
    """A demo-city config in a temporary data folder (small, fast, deterministic)."""
    folder = tmp_path_factory.mktemp("citywall")
    base = (Path(__file__).resolve().parents[2] / "config" / "citywall.toml").read_text(encoding="utf-8")
    config = folder / "citywall.toml"
    config.write_text(base.replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
                      .replace("incidents = 60000", "incidents = 20000")
                      .replace("live = true", "live = false")
                      .replace("refresh_seconds = 15", "refresh_seconds = 1")
                      # nothing pulls again during the session: a 1-minute schedule would turn the
                      # wall stale 3 minutes in, whatever the test in progress
                      .replace('schedule = "interval:1m"', 'schedule = "interval:1h"'), encoding="utf-8")
    return config


class LiveApp:
    def __init__(self, config: Path):
        from waitress.server import create_server

        from dashboard.app import create_app
        from dashboard.pullers import Puller
        from dashboard.settings import load_settings
        from dashboard.store import open_store

        self.settings = load_settings(config, environ={})
        self.store = open_store(self.settings.app.store, self.settings.data_dir)
        self.puller = Puller(self.settings, self.store)
        results = self.puller.run_all("test")
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        self.app = create_app(self.settings, self.store, self.puller.engine)
        from dashboard.serving import start_web_parts

        start_web_parts()  # the wall's cache warmer, as `python run.py` runs it
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = create_server(self.app.server, host="127.0.0.1", port=self.port, threads=8)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self):
        self.server.close()


@pytest.fixture(scope="session")
def live_app(wall_config):
    app = LiveApp(wall_config)
    yield app
    app.close()


def _account(live_app, role: str) -> str:
    from tests.auth_helpers import add_user

    add_user(live_app.puller.engine, f"{role}-test", role)
    return f"{role}-test"


@pytest.fixture(scope="session")
def operator_login(live_app) -> str:
    """An operator's account in the session's app database; ``open_page(url, user=…)`` logs in as it."""
    return _account(live_app, "operator")


@pytest.fixture(scope="session")
def briefing_login(live_app) -> str:
    """A 简报 account (the wall, the drill-downs and exports) in the session's app database."""
    return _account(live_app, "briefing")


@pytest.fixture(scope="session")
def leader_login(live_app) -> str:
    """A 领导 account (the drill-downs and their downloads, no exports) in the session's app database."""
    return _account(live_app, "leader")


@pytest.fixture(scope="session")
def viewer_login(live_app) -> str:
    """A viewer's account (the wall only) in the session's app database."""
    return _account(live_app, "viewer")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI: bash scripts/test.sh installs the Debian package 'chromium'")
        pytest.skip("Chromium not installed (bash scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """Every request the page makes, and every console error."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.posts: list[str] = []  # callback requests: their POST bodies
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("request", lambda r: r.method == "POST" and self.posts.append(r.post_data or ""))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def off_host(self) -> list[str]:
        from urllib.parse import urlparse

        return [u for u in self.requests
                if not u.startswith(("data:", "blob:", "about:")) and urlparse(u).hostname != "127.0.0.1"]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(url: str, width: int = 1920, height: int = 1080, user: str = "", clock: bool = False) -> PageWatch:
        """The page at ``url``, logged in as ``user`` first when given (tests/auth_helpers.py); with
        ``clock``, on Playwright's clock (time runs as usual until the test moves it on with
        ``page.clock.fast_forward``, so a 30-second timer needs no 30-second wait)."""
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        if clock:
            context.clock.install()
        if user:
            from urllib.parse import urlsplit

            from tests.auth_helpers import login_context

            parts = urlsplit(url)
            login_context(context, f"{parts.scheme}://{parts.netloc}", user)
        watch = PageWatch(context.new_page())
        watch.page.goto(url, wait_until="load")
        return watch

    yield _open
    for context in contexts:
        context.close()
