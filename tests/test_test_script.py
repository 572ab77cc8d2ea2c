"""scripts/test.sh: its check for the Debian packages is deterministic (it once decided in 13 of 30
runs that the installed CJK font was missing: `fc-list | grep -q` under pipefail), and with
everything installed it runs offline, without apt-get."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "test.sh"


def test_the_machine_has_what_the_browser_tests_need():
    fonts = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True).stdout
    assert "noto sans cjk" in fonts.lower()  # the premise of the next tests (bash scripts/test.sh installs it)


def test_the_package_check_finds_nothing_missing_in_30_runs_out_of_30():
    loop = 'source "$1"; for i in $(seq 30); do echo "run:$(missing_debs | tr "\\n" " ")"; done'
    result = subprocess.run(["bash", "-c", loop, "bash", str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    runs = result.stdout.splitlines()
    assert len(runs) == 30 and set(runs) == {"run:"}, [r for r in runs if r != "run:"]


def test_with_everything_installed_it_runs_pytest_offline_and_never_calls_apt_get():
    env = {**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    result = subprocess.run(["bash", "-x", str(SCRIPT), "--version"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pytest" in (result.stdout + result.stderr).lower()
    assert "apt-get" not in result.stderr and "installing Debian packages" not in result.stdout


def test_the_run_commands_setup_is_the_same_script_and_runs_offline_without_apt_get():
    setup = REPO / "scripts" / "setup.sh"
    assert 'source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"' in SCRIPT.read_text(encoding="utf-8")
    env = {**os.environ, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    result = subprocess.run(["bash", "-x", str(setup)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "-r requirements.txt" in result.stderr  # the runtime packages, playwright among them
    assert "apt-get" not in result.stderr and "installing Debian packages" not in result.stdout
