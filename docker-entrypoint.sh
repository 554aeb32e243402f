#!/bin/sh
# Migrate, then serve with several workers. Any other command runs as given (e.g. `kopdes ...`).
set -eu
if [ "${1:-serve}" = "serve" ]; then
    alembic upgrade head
    # The workers keep their metrics here and /metrics adds them up; stale ones are cleared.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/kopdes-metrics}"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && find "$PROMETHEUS_MULTIPROC_DIR" -name "*.db" -delete
    exec uvicorn --factory app.main:create_app \
        --host 0.0.0.0 --port 8000 \
        --workers "${WEB_CONCURRENCY:-2}" \
        --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
        --timeout-graceful-shutdown 30
fi
exec "$@"
