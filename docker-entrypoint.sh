#!/bin/sh
# `serve` (the default): migrate, then serve with several workers. Any other command runs as
# given (e.g. `kopdes ...`, or `alembic upgrade head` as a one-off migration step).
#
#   WEB_CONCURRENCY                    workers in this container (default 2: about one per core)
#   FORWARDED_ALLOW_IPS                addresses of the proxies whose X-Forwarded-* are trusted
#   UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN  seconds in-flight requests get after SIGTERM (default 30;
#                                      give the container longer than this to stop)
#   UVICORN_TIMEOUT_KEEP_ALIVE         idle keep-alive seconds (default 75: longer than the load
#                                      balancer's own idle timeout, so it never reuses a
#                                      connection the app has just closed)
#   MIGRATE_ON_START=0                 skip the migration when a separate step runs it once,
#                                      as with several replicas
set -eu
if [ "${1:-serve}" = "serve" ]; then
    if [ "${MIGRATE_ON_START:-1}" != "0" ]; then
        alembic upgrade head
    fi
    # The workers keep their metrics here and /metrics adds them up; stale ones are cleared.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/kopdes-metrics}"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && find "$PROMETHEUS_MULTIPROC_DIR" -name "*.db" -delete
    exec uvicorn --factory app.main:create_app \
        --host 0.0.0.0 --port 8000 \
        --workers "${WEB_CONCURRENCY:-2}" \
        --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
        --timeout-graceful-shutdown "${UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN:-30}" \
        --timeout-keep-alive "${UVICORN_TIMEOUT_KEEP_ALIVE:-75}"
fi
exec "$@"
