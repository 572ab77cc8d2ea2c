#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs pytest.
#   bash scripts/test.sh [pytest args…]
# Installs: Python packages from requirements-test.txt; Debian chromium, chromium-driver and
# fonts-noto-cjk for the browser tests (needs root or sudo when they are missing). When everything
# is there it never touches the network, so an offline machine runs the tests too.
set -euo pipefail

# The Debian packages the browser tests need that are missing, one per line (nothing when all are there).
# fc-list's output is read whole before it is searched: `fc-list | grep -q` under pipefail fails
# whenever grep stops early and fc-list dies of SIGPIPE, which made the font look missing at random.
missing_debs() {
  command -v chromium >/dev/null 2>&1 || echo chromium
  command -v chromedriver >/dev/null 2>&1 || echo chromium-driver
  local fonts
  fonts=$(fc-list : family 2>/dev/null || true)
  grep -qi "Noto Sans CJK" <<<"$fonts" || echo fonts-noto-cjk
}

install_debs() {
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  echo "installing Debian packages: $*"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  local PYTHON=${PYTHON:-python3}
  # quick and offline when everything is already satisfied
  "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt
  local need_debs
  mapfile -t need_debs < <(missing_debs)
  if [ ${#need_debs[@]} -gt 0 ]; then
    install_debs "${need_debs[@]}"
  fi
  exec "$PYTHON" -m pytest "$@"
}

# sourced (by tests/test_test_script.py) it only defines the functions
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
