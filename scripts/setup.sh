#!/usr/bin/env bash
# The setup both commands call: Python packages, and the Debian packages snapshots (and the browser
# tests) need when they are missing: chromium and fonts-noto-cjk (CJK glyphs, never boxes).
#   bash scripts/setup.sh            # the run command's setup: requirements.txt, chromium, fonts-noto-cjk
# scripts/test.sh sources it and also asks for chromium-driver and poppler-utils. Then the PDF 通报's
# font (dashboard/print_fonts.py), converted once. apt-get needs root or sudo, and runs
# only for what is missing: with everything installed this never touches the network. The web server
# itself never runs apt-get.
set -euo pipefail

# The Debian packages that are missing, one per line (nothing when all are there); with the argument
# `test`, chromium-driver too.
# fc-list's output is read whole before it is searched: `fc-list | grep -q` under pipefail fails
# whenever grep stops early and fc-list dies of SIGPIPE, which made the font look missing at random.
missing_debs() {
  command -v chromium >/dev/null 2>&1 || echo chromium
  if [ "${1:-}" = test ]; then
    command -v chromedriver >/dev/null 2>&1 || echo chromium-driver
    command -v pdftotext >/dev/null 2>&1 || echo poppler-utils  # the PDF 通报's tests: pdftotext, pdffonts
    command -v redis-server >/dev/null 2>&1 || echo redis-server  # the Redis frame store's tests (tests/servers.py)
    compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || echo postgresql  # tests/servers.py starts it
  fi
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

# pip install -r REQUIREMENTS (quick and offline when satisfied), then the missing Debian packages
# (`test`: with chromium-driver)
setup() {
  local requirements=$1 kind=${2:-}
  local PYTHON=${PYTHON:-python3}
  "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$requirements"
  local need_debs
  mapfile -t need_debs < <(missing_debs "$kind")
  if [ ${#need_debs[@]} -gt 0 ]; then
    install_debs "${need_debs[@]}"
  fi
  # the PDF 通报's font: Noto Sans CJK SC with TrueType outlines, made once (a no-op when installed)
  "$PYTHON" -m dashboard.print_fonts || echo "通报打印字体未生成：PDF 将改用 Noto Sans CJK SC（Type 3 字形）" >&2
}

# sourced (by scripts/test.sh, tests/test_test_script.py) it only defines the functions
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  setup requirements.txt
fi
