"""The one shared helper for tests that need a caller: accounts in a real app database, a login over
real HTTP (a requests.Session or a Playwright browser context), kiosk tokens, and callback POSTs.

    engine = live.puller.engine                      # or runtime.current().engine
    add_user(engine, "ops1", "operator")
    session = login(requests.Session(), live.url, "ops1")
    page = login_context(browser.new_context(), live.url, "ops1").new_page()
    body = callback_body(live.app, "status-download", {"status-download-button.n_clicks": 1})
    session.post(live.url + "/_dash-update-component", json=body)
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from dashboard import accounts

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "正确的密码-correct-horse"  # long enough for accounts.MIN_PASSWORD
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


def callback_body(app, output: str, values: dict | None = None) -> dict:
    """The JSON dash-renderer would POST for the callback whose output key contains ``output``;
    ``values`` maps "id.property" (or a pattern-matching id's type + ".property") to a value;
    a pattern-matching ALL input is sent as an empty list unless given; the inputs given are the
    ones that changed."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    values = values or {}
    callbacks = {**GLOBAL_CALLBACK_MAP, **app.callback_map}  # Dash merges them at its first request
    keys = [k for k in callbacks if output in k]
    assert len(keys) == 1, f"callback for {output!r}: {keys}"
    spec = callbacks[keys[0]]

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
def served_in_another_process(config):
    """``python run.py serve --no-scheduler`` on ``config`` (its app database included), in a process
    of its own; → its base URL once it answers."""
    import requests

    from tests.browser.conftest import _free_port

    port = _free_port()
    env = {**os.environ, "CITYWALL_ADMIN_PASSWORD": "管理员的初始密码-1"}  # the first start prints nothing secret
    process = subprocess.Popen([sys.executable, "run.py", "--config", str(config), "serve", "--no-scheduler",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/login", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
