#!/usr/bin/env bash
# Create .venv and install the project (plus EXTRAS, e.g. "dev") into it; a no-op when up to date.
# Works on a fresh Debian 12 with only python3: installs python3-venv if venv is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    echo "installing python3-venv (Debian) ..."
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV" && "$PYTHON" -m venv "$VENV"
  fi
fi
stamp="$VENV/.installed-${EXTRAS:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"
  touch "$stamp"
fi
