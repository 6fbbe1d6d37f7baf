# Sourced by scripts/run.sh and scripts/test.sh (from the repository root): makes sure a Python environment
# with this project installed is in use, and puts its bin/ first on PATH.
#
# - Inside an active virtualenv ($VIRTUAL_ENV) that environment is used.
# - Otherwise the project's own virtualenv .venv/ (git-ignored) is created on first use and reused. This is
#   what makes the scripts work with a Debian/Ubuntu system python3, which refuses `pip install` outside a
#   virtualenv (PEP 668, "externally-managed-environment").
#
# medpath_install EXTRAS installs the project editable with those extras (pip install -e ".[EXTRAS]"); it is
# skipped when pyproject.toml and the extras are unchanged since the last successful install.

MEDPATH_PYTHON="${MEDPATH_PYTHON:-python3}"

medpath_die() {
  printf '\nMedPath: %s\n\n' "$*" >&2
  exit 1
}

medpath_env() {
  if ! command -v "$MEDPATH_PYTHON" >/dev/null 2>&1; then
    medpath_die "$MEDPATH_PYTHON not found: install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get install python3 python3-venv)."
  fi
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    echo "MedPath: using the active virtualenv $VIRTUAL_ENV" >&2
  else
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
      "$MEDPATH_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || medpath_die "MedPath needs Python 3.11 or newer; $MEDPATH_PYTHON is $("$MEDPATH_PYTHON" -V 2>&1)."
      # Debian and Ubuntu ship the venv module's pip bootstrap (ensurepip) in a separate package.
      if ! "$MEDPATH_PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        medpath_die "Python's venv module is not installed. On Debian/Ubuntu: sudo apt-get install python3-venv
(then run this command again)."
      fi
      echo "MedPath: creating the project's virtualenv in .venv/ ..." >&2
      rm -rf .venv
      "$MEDPATH_PYTHON" -m venv .venv || { rm -rf .venv; medpath_die "could not create .venv/ (Debian/Ubuntu: sudo apt-get install python3-venv)."; }
    fi
    VIRTUAL_ENV="$PWD/.venv"
    export VIRTUAL_ENV
    echo "MedPath: using the project's virtualenv .venv/" >&2
  fi
  PATH="$VIRTUAL_ENV/bin:$PATH"
  export PATH
  unset PYTHONHOME
}

medpath_install() {
  local extras="$1" stamp="$VIRTUAL_ENV/.medpath-install" want
  want="$extras $(cksum < pyproject.toml) $PWD"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && python -c 'import importlib.metadata as m; m.version("medpath")' >/dev/null 2>&1; then
    return 0
  fi
  echo "MedPath: installing the project and its packages (.[${extras}]) ..." >&2
  python -m pip install --quiet --disable-pip-version-check --editable ".[${extras}]"
  printf '%s' "$want" > "$stamp"
}
