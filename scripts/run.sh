#!/usr/bin/env bash
# Install the runtime packages and open the dashboard on the bundled synthetic sample study.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec python3 -m streamlit run dashboard.py "$@"
