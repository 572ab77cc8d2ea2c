#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs pytest.
#   bash scripts/test.sh [--split] [pytest args…]   (--split: browser tests beside the others, as CI runs them)
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
  if [ "${1:-}" = --split ]; then
    shift
    split_run "$@"
    return
  fi
  exec "${PYTHON:-python3}" -m pytest "$@"
}

# --split: the browser tests and the others in two pytest processes side by side (CI's two cores; each
# half keeps its own fixtures), each half's log printed when it ends; fails when either half fails.
# Browser tests marked own_servers (they start servers of their own and need nothing of the session's
# served app) run in the other half, which would end first: the two halves end closer together.
# --junitxml=FILE becomes FILE's name with -browser and -other before its extension.
split_run() {
  local args=() junit="" arg
  for arg in "$@"; do
    case "$arg" in
      --junitxml=*) junit="${arg#--junitxml=}" ;;
      *) args+=("$arg") ;;
    esac
  done
  local logs
  logs=$(mktemp -d)
  local browser=(tests/browser -m "not own_servers") other=(tests -m "not browser or own_servers")
  [ -n "$junit" ] && browser+=("--junitxml=${junit%.*}-browser.${junit##*.}") \
    && other+=("--junitxml=${junit%.*}-other.${junit##*.}")
  "${PYTHON:-python3}" -m pytest "${args[@]}" "${browser[@]}" >"$logs/browser.log" 2>&1 &
  local browser_pid=$!
  "${PYTHON:-python3}" -m pytest "${args[@]}" "${other[@]}" >"$logs/other.log" 2>&1 &
  local other_pid=$!
  local status=0
  wait "$other_pid" || status=1
  echo "== tests other than the browser's"; cat "$logs/other.log"
  wait "$browser_pid" || status=1
  echo "== browser tests (tests/browser)"; cat "$logs/browser.log"
  return "$status"
}

# sourced (by tests/test_test_script.py) it only defines the functions
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
