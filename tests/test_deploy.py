"""deploy/: the systemd units start commands the CLI accepts, and the environment file is valid settings."""
from __future__ import annotations

import configparser
import shlex

import pytest

from dashboard.cli import _parser
from dashboard.settings import load_settings
from tests.auth_helpers import ROOT

DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(DEPLOY / name, encoding="utf-8")
    return unit


@pytest.mark.parametrize("name, command", [("citywall-web.service", "serve"), ("citywall-scheduler.service", "scheduler")])
def test_each_unit_runs_a_command_the_cli_accepts(name, command):
    unit = _unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[1] == "run.py"
    args = _parser().parse_args(argv[2:])
    assert args.command == command
    if command == "serve":
        assert args.workers and args.workers >= 2  # gunicorn workers: the web unit never schedules
    assert unit["Service"]["Restart"] == "always"


def test_the_environment_file_is_valid_settings():
    environ = {}
    for line in (DEPLOY / "citywall.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            environ[key] = value.strip('"')  # systemd's EnvironmentFile strips the quotes
    settings = load_settings(environ=environ)
    assert settings.app.database_url.startswith("postgresql")
    assert settings.app.store.startswith("redis://")
