# Production image: the service on LiteRT (no TensorFlow), the committed model baked in, non-root,
# health-checked.
# Build: docker build -t digit-service .    Run: docker run -p 8000:8000 digit-service
# (No "# syntax=" line: the classic builder must be able to build it too.)

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
# Dependencies first, pinned by the lock file: this layer is reused until the lock changes.
COPY requirements/docker.lock /tmp/docker.lock
RUN /opt/venv/bin/pip install -r /tmp/docker.lock
COPY pyproject.toml README.md /src/
COPY app /src/app
COPY digits /src/digits
# pip itself is only needed to build; the import check fails the build early if serving breaks
RUN /opt/venv/bin/pip install --no-deps /src \
 && /opt/venv/bin/python -c "import app.main" \
 && rm -rf /opt/venv/lib/python3.11/site-packages/pip /opt/venv/lib/python3.11/site-packages/pip-*

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --home-dir /srv app \
 && mkdir -p /srv/var && chown 10001 /srv/var
COPY --from=build /opt/venv /opt/venv
COPY model /srv/model
WORKDIR /srv
# the feedback database (SQLite, where DIGITS_DATABASE_URL names no PostgreSQL): mount a volume
VOLUME /srv/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DIGITS_MODEL_DIR=/srv/model \
    DIGITS_DATA_DIR=/srv/var \
    PORT=8000 \
    WORKERS=1 \
    GRACEFUL_TIMEOUT=20 \
    KEEP_ALIVE=75 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=262144
# KEEP_ALIVE: idle keep-alive connections outlive the clients' own idle timeouts (httpx's 5 s,
# load balancers' 60 s), so a client never sends a request on a connection being closed.
# MALLOC_ARENA_MAX: glibc gives each thread that decodes uploads its own heap arena, and freed
# pages stay in them; MALLOC_MMAP_THRESHOLD_: a decoded photo's buffers (over 256 KiB) always
# come from mmap and go back to the system when freed, instead of glibc raising the threshold
# and fragmenting the heap with them. Together they hold RSS under real uploads lower and
# flatter (bench.soak, bench/results.md)
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/readyz\", timeout=2)"]
# exec: uvicorn is PID 1 and gets SIGTERM itself, finishing in-flight requests before it exits;
# --no-access-log: the service writes each request's access line itself, with its answer ids;
# --http: each response's head and body in one write, so a killed replica's half-sent answer never
# reaches nginx (app/http_protocol.py)
CMD ["sh", "-c", "exec uvicorn app.main:app --http app.http_protocol:OneWriteHttpToolsProtocol --host 0.0.0.0 --port \"$PORT\" --workers \"$WORKERS\" --timeout-graceful-shutdown \"$GRACEFUL_TIMEOUT\" --timeout-keep-alive \"$KEEP_ALIVE\" --no-access-log --proxy-headers --forwarded-allow-ips='*'"]
