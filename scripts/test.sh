#!/usr/bin/env bash
# Install everything the checks need, then run them all: ruff (lint and format), mypy, and the whole pytest
# suite, browser tests included. On first use this creates the project's virtualenv .venv/ (unless one is
# active) and installs the project with its app, test and dev extras there; Debian's chromium (for the
# browser tests) and poppler-utils (pdftotext, for the printed report) are installed with apt-get when the machine
# lacks them.
#
# pytest runs twice: the tests without a browser spread over every core (pytest-xdist), then the real-browser
# tests one at a time (each starts a Streamlit server and Chromium). Arguments, if any, go to one plain pytest
# run instead, e.g. bash scripts/test.sh -m "not browser and not slow" (the fast unit tests).
# Every check runs even when an earlier one fails; the script fails if any did. pytest's exit code 5 (no tests
# ran) fails like any other non-zero code.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
medpath_env
medpath_install app,test,dev

if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "MedPath: installing Debian's chromium (browser tests) and poppler-utils (the printed report's pages) ..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
fi

failed=()
step() {
  echo "==> $*" >&2
  "$@" || failed+=("$*")
}
step ruff check .
step ruff format --check .
step mypy
if [ $# -gt 0 ]; then
  step python -m pytest -q "$@"
else
  step python -m pytest -q -n auto -m "not browser"
  step python -m pytest -q -m browser
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
