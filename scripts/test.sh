#!/usr/bin/env bash
# Set up everything the tests need (venv, dev tools, Debian's Chromium) and run lint + tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k preprocess
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh dev
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium for the browser tests ..."
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
