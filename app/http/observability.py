"""Prometheus metrics and the access log, both written by one middleware per request.

Several uvicorn workers are several processes, each with its own counters. When
`PROMETHEUS_MULTIPROC_DIR` is set (the Docker entrypoint sets it), prometheus-client keeps every
worker's values in files there and `/metrics`, whichever worker answers, adds them all up.
It must be set before the service starts and emptied at each start (docs/deploy.md, Metrics).
"""

import hmac
import logging
import os
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access.auth import route_template
from app.errors import NotFound, Unauthorized

access_log = logging.getLogger("kopdes.access")
UNMATCHED = "unmatched"  # one label for every path no route matched, so ids cannot explode it

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10),
)
IN_PROGRESS = Gauge(
    "http_requests_in_progress", "HTTP requests being answered", multiprocess_mode="livesum"
)
# Per worker process; with several workers the figures are summed over the live ones.
POOL_SIZE = Gauge("kopdes_db_pool_size", "Connections the pool keeps", multiprocess_mode="livesum")
POOL_CHECKED_OUT = Gauge(
    "kopdes_db_pool_checked_out", "Connections in use by requests", multiprocess_mode="livesum"
)
POOL_CHECKED_IN = Gauge(
    "kopdes_db_pool_checked_in", "Open connections idle in the pool", multiprocess_mode="livesum"
)
POOL_OVERFLOW = Gauge(
    "kopdes_db_pool_overflow",
    "Connections open beyond the pool size (up to KOPDES_DB_MAX_OVERFLOW)",
    multiprocess_mode="livesum",
)
REFOCUSINGS_APPLIED = Counter(
    "kopdes_refocusings_applied_total", "Refocusings applied to the budget lines"
)
LOGINS_FAILED = Counter(
    "kopdes_logins_failed_total", "Logins refused for a wrong username or password"
)
IDEMPOTENT_REPLAYS = Counter(
    "kopdes_idempotent_replays_total",
    "Retried writes answered with the stored response of their first run",
    ["route"],
)
# Counted here from the status of every response, whichever code refused the request.
BY_STATUS = {
    412: Counter(
        "kopdes_precondition_failed_total",
        "Writes refused because the record changed since the client read it (412)",
        ["route"],
    ),
    429: Counter("kopdes_rate_limited_total", "Requests refused by a rate limit (429)", ["route"]),
}


class ObservabilityMiddleware:
    """Times each request, counts it by route template and status, and writes its access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # An exception that escapes the app is answered with a 500 by Starlette's outermost
        # middleware, after this one.
        response = {"status": 500, "replayed": False}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["replayed"] = (b"idempotent-replayed", b"true") in message["headers"]
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            IN_PROGRESS.dec()
            _record(scope, int(response["status"]), bool(response["replayed"]), started)


def _record(scope: Scope, status: int, replayed: bool, started: float) -> None:
    duration = time.perf_counter() - started
    app: FastAPI = scope["app"]
    route = _route_label(app, scope.get("route"))
    method = scope["method"]
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(duration)
    if status in BY_STATUS:
        BY_STATUS[status].labels(route).inc()
    if replayed:
        IDEMPOTENT_REPLAYS.labels(route).inc()
    record_pool(app.state.engine)
    caller = scope.get("state", {}).get("caller")
    client = scope.get("client")
    access_log.info(
        "request",
        extra={
            "method": method,
            "route": route,
            "path": scope["path"],  # never the query string: it can hold a feed token
            "status": status,
            "duration_ms": round(duration * 1000, 1),
            "actor": caller.principal.actor if caller else None,
            # uvicorn puts the forwarded address here when the proxy is trusted
            # (--forwarded-allow-ips); a client's own X-Forwarded-For is never believed.
            "client": client[0] if client else None,
        },
    )


def _route_label(app: FastAPI, route: object) -> str:
    if isinstance(route, APIRoute):
        return route_template(app, route)
    return getattr(route, "path", UNMATCHED)  # /docs and /openapi.json are plain routes


def record_pool(engine: AsyncEngine) -> None:
    """Reads the pool's figures. Called after every request and at every scrape, so each
    worker's figures are current wherever the scrape lands."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return
    POOL_SIZE.set(pool.size())
    POOL_CHECKED_OUT.set(pool.checkedout())
    POOL_CHECKED_IN.set(pool.checkedin())
    # overflow() counts down from -size while the pool fills; only the excess is overflow.
    POOL_OVERFLOW.set(max(pool.overflow(), 0))


def forget_dead_workers() -> None:
    """Drops the live gauges of worker processes that have exited (uvicorn restarts a crashed
    worker under a new pid); their counters stay, as what they counted did happen."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            pass  # alive, under another user


def scrape(request: Request) -> bytes:
    """The metrics in Prometheus text format, for a caller allowed to read them."""
    settings = request.app.state.settings
    token = settings.metrics_token
    if token is None:
        if settings.environment == "prod":
            raise NotFound("metrics are off: set KOPDES_METRICS_TOKEN to serve them")
    else:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        expected = token.get_secret_value()
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Unauthorized("send `Authorization: Bearer <KOPDES_METRICS_TOKEN>`")
    record_pool(request.app.state.engine)
    forget_dead_workers()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
