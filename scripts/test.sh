#!/usr/bin/env bash
# Set up everything the tests need (venv, dev tools, Debian's Chromium, fonts and PostgreSQL) and run
# lint + tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k preprocess
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh dev
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
# Chromium for the browser tests; the fonts digits and non-digits are generated from (the fixed
# lists of synthesis.fonts and synthesis.nondigits: DejaVu, Liberation, FreeFont, Noto), and
# Debian's PostgreSQL server, which the feedback tests start as its own user (tests/postgres.py)
FONTS=/usr/share/fonts/truetype
if ! command -v chromium >/dev/null || [ ! -f $FONTS/dejavu/DejaVuSans-ExtraLight.ttf ] \
    || [ ! -d $FONTS/liberation ] || [ ! -d $FONTS/freefont ] || [ ! -d $FONTS/noto ] \
    || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "installing Debian's chromium, fonts and PostgreSQL for the tests ..."
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-liberation fonts-dejavu-core fonts-dejavu-extra \
    fonts-freefont-ttf fonts-noto-core postgresql >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
