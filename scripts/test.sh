#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs pytest.
#   bash scripts/test.sh [pytest args…]
# Installs: Python packages from requirements-test.txt; Debian chromium, chromium-driver and
# fonts-noto-cjk for the browser tests (needs root or sudo when they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# quick and offline when everything is already satisfied
"$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt

need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_debs+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_debs+=(fonts-noto-cjk)
if [ ${#need_debs[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  echo "installing Debian packages: ${need_debs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_debs[@]}" >/dev/null
fi

exec "$PYTHON" -m pytest "$@"
