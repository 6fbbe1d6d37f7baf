#!/usr/bin/env bash
# Open the dashboard on the bundled synthetic sample study (http://localhost:8501). On first use this creates
# the project's virtualenv .venv/ (unless one is active) and installs the project with its `app` extra there.
# Arguments go to `streamlit run`, e.g. bash scripts/run.sh --server.port 8502
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
medpath_env
medpath_install app
exec python -m streamlit run dashboard.py "$@"
