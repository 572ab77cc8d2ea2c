"""The one shared helper for tests that need a caller: accounts in a real app database, a login over
real HTTP (a requests.Session or a Playwright browser context), kiosk tokens, and callback POSTs.

    city = pulled_city(tmp_path, anonymous_role="")   # the demo city, pulled, not served yet
    add_user(city.engine, "ops1", "operator")
    with served_in_another_process(city.config) as url:  # run.py serve: a process with every callback
        session = login(requests.Session(), url, "ops1")
        page = login_context(browser.new_context(), url, "ops1").new_page()
        body = callback_body(dependencies(url), "status-download", {"status-download-button.n_clicks": 1})
        session.post(url + CALLBACK_URL, json=body)

A server in its own process, not in the test's: Dash hands the callbacks registered at import to the
first app of a process only, so a second app built in a test process would have none.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dashboard import accounts

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "正确的密码-correct-horse"  # long enough for accounts.MIN_PASSWORD
ADMIN_PASSWORD = "管理员的初始密码-1"  # the first start's admin, in a served city
CALLBACK_URL = "/_dash-update-component"


def demo_config(folder: Path, anonymous_role: str = "", incidents: int = 2000, extra: str = "") -> Path:
    """The demo city's config in ``folder`` (small, not live), with ``anonymous_role`` and ``extra`` TOML."""
    config = folder / "citywall.toml"
    text = ((ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
            .replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
            .replace("incidents = 60000", f"incidents = {incidents}").replace("live = true", "live = false")
            .replace('schedule = "interval:1m"', 'schedule = "interval:1h"')
            .replace('anonymous_role = "leader"', f'anonymous_role = "{anonymous_role}"'))
    config.write_text(text + "\n" + extra, encoding="utf-8")
    return config


@dataclass
class PulledCity:
    config: Path
    settings: object
    store: object
    engine: object
    url: str = ""


def pulled_city(folder: Path, anonymous_role: str = "", incidents: int = 2000, extra: str = "") -> PulledCity:
    """The demo city in ``folder``, pulled once in this process (no app is built here)."""
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    config = demo_config(folder, anonymous_role, incidents, extra)
    settings = load_settings(config, environ={})
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    results = puller.run_all("test")
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return PulledCity(config, settings, puller.store, puller.engine)


def add_user(engine, name: str, role: str, password: str = PASSWORD, roles=None) -> accounts.User:
    """A user with ``role`` (a role of the default roles, or of ``roles``) in the app database."""
    from dashboard.permissions import DEFAULT_ROLES

    return accounts.add_user(engine, name, role, password, roles or DEFAULT_ROLES)


def add_token(engine, name: str = "大厅屏") -> str:
    """A kiosk token's secret (for ``/wall?token=…``)."""
    return accounts.add_token(engine, name, "测试")[1]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "login page without a CSRF token"
    return match.group(1)


def login(session, base_url: str, name: str, password: str = PASSWORD):
    """Log a ``requests.Session`` in through /login (its CSRF token included); → the session."""
    form = session.get(f"{base_url}/login", timeout=30)
    response = session.post(f"{base_url}/login", data={"username": name, "password": password,
                                                       "csrf_token": csrf_token(form.text), "next": "/"},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, (response.status_code, response.text[:300])
    return session


def login_context(context, base_url: str, name: str, password: str = PASSWORD):
    """Log a Playwright BrowserContext in (its cookies then hold the session); → the context."""
    form = context.request.get(f"{base_url}/login")
    response = context.request.post(f"{base_url}/login", form={"username": name, "password": password,
                                                               "csrf_token": csrf_token(form.text()), "next": "/"},
                                    max_redirects=0)
    assert response.status == 302, (response.status, response.text()[:300])
    return context


def dependencies(url: str) -> list[dict]:
    """The callbacks a served app has (its ``/_dash-dependencies``), read as the first start's admin."""
    import requests

    return login(requests.Session(), url, "admin", ADMIN_PASSWORD).get(f"{url}/_dash-dependencies", timeout=30).json()


def callback_body(callbacks: list[dict], output: str, values: dict | None = None) -> dict:
    """The JSON dash-renderer would POST for the callback whose output key contains ``output``;
    ``values`` maps "id.property" (or a pattern-matching id's type + ".property") to a value;
    a pattern-matching ALL input is sent as an empty list unless given; the inputs given are the
    ones that changed."""
    values = values or {}
    specs = [cb for cb in callbacks if output in cb["output"]]
    assert len(specs) == 1, f"callback for {output!r}: {[cb['output'] for cb in specs]}"
    spec = specs[0]
    keys = [spec["output"]]

    def item(dep: dict) -> dict | list:
        name = dep["id"] if isinstance(dep["id"], str) else dep["id"].get("type", "")
        key = f"{name}.{dep['property']}"
        if not isinstance(dep["id"], str) and key not in values:
            return []
        return {"id": dep["id"], "property": dep["property"], "value": values.get(key)}

    outputs = [{"id": o["id"], "property": o["property"]} for o in output_specs(keys[0])]
    inputs = [item(i) for i in spec["inputs"]]
    return {"output": keys[0], "outputs": outputs[0] if len(outputs) == 1 and not keys[0].startswith("..") else outputs,
            "inputs": inputs, "state": [item(s) for s in spec.get("state", [])],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs
                               if isinstance(i, dict) and f"{i['id']}.{i['property']}" in values]}


def output_specs(key: str) -> list[dict]:
    import json

    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        out.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return out


@contextlib.contextmanager
def served_in_another_process(config, log_path: Path | None = None):
    """``python run.py serve --no-scheduler`` on ``config`` (its app database included), in a process
    of its own (its log into ``log_path``); → its base URL once it answers. The first start makes the
    account ``admin`` with :data:`ADMIN_PASSWORD`."""
    import requests

    from tests.browser.conftest import _free_port

    port = _free_port()
    env = {**os.environ, "CITYWALL_ADMIN_PASSWORD": ADMIN_PASSWORD}
    log = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "run.py", "--config", str(config), "serve", "--no-scheduler",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/login", timeout=60)  # the first request sets the app up: seconds
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if log_path:
            log.close()
