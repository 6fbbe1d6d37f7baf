#!/usr/bin/env bash
# Install everything the tests need (pip packages, and Debian's chromium for the browser tests when the
# machine lacks it), then run the whole suite. pytest's own exit code is returned: 5 (no tests ran)
# fails like any other non-zero code.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
exec python3 -m pytest -q "$@"
