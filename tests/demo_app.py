"""A small pulled demo city served through Flask's test client (for tests of the app's responses)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def demo_test_client(folder: Path, anonymous_role: str = "leader"):
    """The app over a 2,000-incident demo city in ``folder``, pulled once, as a Flask test client;
    visitors without a login hold ``anonymous_role`` (the demo's: leader; "": nothing)."""
    return demo_app(folder, anonymous_role).server.test_client()


def demo_app(folder: Path, anonymous_role: str = "leader", store: str = "disk:frames"):
    """The Dash app over a 2,000-incident demo city in ``folder``, pulled once (see demo_test_client),
    its frames in ``store`` (app.store)."""
    from dashboard.app import create_app
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    config = folder / "citywall.toml"
    config.write_text((ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
                      .replace('data_dir = "../data"', f'data_dir = "{folder / "data"}"')
                      .replace("incidents = 60000", "incidents = 2000").replace("live = true", "live = false")
                      .replace('anonymous_role = "leader"', f'anonymous_role = "{anonymous_role}"')
                      .replace('store = "disk:frames"', f'store = "{store}"'),
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    puller = Puller(settings, store)
    assert all(r.ok for r in puller.run_all("test"))
    return create_app(settings, store, puller.engine)
