#!/usr/bin/env bash
# Set up everything the tests need (venv, dev tools, Debian's Chromium) and run lint + tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k preprocess
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh dev
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
# Chromium for the browser tests; DejaVu and Liberation fonts for the generated non-digits
# (training and held-out letters are drawn from them)
if ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/liberation ] \
    || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
  echo "installing Debian's chromium and fonts for the tests ..."
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-liberation fonts-dejavu-core >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
