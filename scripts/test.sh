#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs pytest.
#   bash scripts/test.sh [pytest args…]
# Installs (scripts/setup.sh, the run command's setup too): Python packages from requirements-test.txt;
# Debian chromium, chromium-driver and fonts-noto-cjk for the browser tests (needs root or sudo when
# they are missing). When everything is there it never touches the network, so an offline machine
# runs the tests too.
set -euo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  setup requirements-test.txt test
  exec "${PYTHON:-python3}" -m pytest "$@"
}

# sourced (by tests/test_test_script.py) it only defines the functions
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
