#!/usr/bin/env bash
# Regenerate requirements.lock: every package of the runtime set (pyproject.toml's dependencies and its `app`
# extra, i.e. requirements.txt) at an exact version with its PyPI hashes, resolved for Python 3.11 on Linux,
# the Docker image's. The image installs it with `pip install --require-hashes -r requirements.lock` and then
# the project itself with `pip install --no-deps .`.
#
#   bash scripts/lock.sh                 # keep the current pins where they still fit pyproject.toml
#   bash scripts/lock.sh --upgrade       # move every pin to the newest release that fits
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
medpath_env
medpath_install app,test,dev   # pip-tools (pip-compile) is in the dev extra
# Only PyPI: this machine's pip configuration (extra local indexes, find-links) is ignored, so every hash is
# one that PyPI serves.
env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
    CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" \
  pip-compile --quiet --extra app --generate-hashes --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links \
    --output-file requirements.lock "$@" pyproject.toml
