#!/usr/bin/env bash
# Set up (first run only) and serve the committed model on http://localhost:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# keep-alive outlives clients' idle timeouts; the service writes its own access lines (with the
# ids of its answers); each response's head and body leave in one write (app/http_protocol.py);
# glibc's heap held lower and flatter (the Dockerfile says why; bench.soak measures it)
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-262144}"
exec .venv/bin/uvicorn app.main:app --http app.http_protocol:OneWriteHttpToolsProtocol \
  --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WORKERS:-1}" \
  --timeout-graceful-shutdown "${GRACEFUL_TIMEOUT:-20}" --timeout-keep-alive "${KEEP_ALIVE:-75}" --no-access-log "$@"
