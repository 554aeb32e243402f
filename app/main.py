"""The FastAPI application. Serve it with `uvicorn --factory app.main:create_app`."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.middleware.sessions import SessionMiddleware

from app import errors
from app.access.auth import API_KEY_HEADER, LoginChecks, authorize, verified_tokens
from app.access.permissions import ROUTE_PERMISSIONS, Permission
from app.access.security import NikCipher
from app.core.db import autocommit, build_engine
from app.core.logs import configure_logging
from app.http.body_limit import LIMIT_KEY, BodySizeLimit
from app.http.observability import ObservabilityMiddleware
from app.http.pagination import CursorCodec
from app.http.security_headers import SecurityHeaders
from app.routers import (
    api_keys,
    audit_events,
    auth,
    budget,
    budget_import,
    calendar,
    consultations,
    cooperative_import,
    cooperatives,
    exports,
    health,
    launch_plans,
    launches,
    metrics,
    planner,
    regions,
    stats,
    targets,
    trainings,
    users,
)
from app.routers.params import only_known_query_parameters
from app.services.accounts import LoginLimiter
from app.services.live_board import LiveBoard
from app.services.officers import NikReadLimit
from app.settings import Settings, get_settings
from app.web import admin as admin_pages
from app.web import api_docs, desk, home, pages, registry
from app.web import budget as budget_pages
from app.web import calendar as calendar_pages
from app.web import downloads as downloads_pages
from app.web import errors as web_errors
from app.web import launches as launch_pages
from app.web import planner as planner_pages
from app.web import trainings as trainings_pages
from app.web.rendering import STATIC_FILES

API_PREFIX = "/api/v1"
# Requests are matched against the routes in this order, at a cost per route passed: the
# launch day's check-ins, the busiest requests of all, come first.
API_ROUTERS = [
    launches.router,
    auth.router,
    regions.router,
    cooperatives.router,
    cooperative_import.router,
    consultations.router,
    trainings.router,
    calendar.router,
    exports.router,
    budget.router,
    budget_import.router,
    stats.router,
    targets.router,
    planner.router,
    launch_plans.router,
    users.router,
    api_keys.router,
    audit_events.router,
]
WEB_ROUTERS = [
    pages.router,
    home.router,
    registry.router,
    desk.router,
    trainings_pages.router,
    budget_pages.router,
    calendar_pages.router,
    admin_pages.router,
    planner_pages.router,
    launch_pages.router,
    downloads_pages.router,
]

DESCRIPTION = """
The Kopdes service for a cooperatives office (Dinas Koperasi dan UMKM): the Kemendagri regions,
the registry of Kopdes/Kel Merah Putih cooperatives with their legal pipeline and officers, and
the figures the office reads every morning.

Log in with `POST /api/v1/auth/token` (OAuth2 password flow; the **Authorize** button below)
and send `Authorization: Bearer <access token>`; other systems send `X-API-Key`. Each account
sees only the records of its own region.

Errors are RFC 9457 problem details (`application/problem+json`); a 422 lists each field to fix
under `errors`. Lists are paginated with opaque cursors: follow `next_cursor` until it is null.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_format or "json", settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = build_engine(settings)
        app.state.autocommit_engine = autocommit(app.state.engine)
        replica = (
            build_engine(settings, settings.stats_database_url)
            if settings.stats_database_url
            else None
        )
        app.state.stats_engine = autocommit(replica) if replica else app.state.autocommit_engine
        # Each request allocates thousands of objects and frees nearly all of them by reference
        # counting; at the default threshold (700) the cycle collector still ran several times
        # per request under load. Less often, the hot reads' p99 latency fell by a third (list)
        # to two thirds (single read) at the same memory (bench/README.md).
        gc.set_threshold(50_000, 50, 100)
        # Shared through Redis when configured, so the limits hold across worker processes.
        storage = RedisStorage(settings.redis_url) if settings.redis_url else MemoryStorage()
        limiter = MovingWindowRateLimiter(storage)
        app.state.login_limiter = LoginLimiter(limiter, settings.login_attempts_per_minute)
        app.state.nik_read_limit = NikReadLimit(limiter, settings.nik_reads_per_hour)
        app.state.live_board = LiveBoard(settings.redis_url)
        await app.state.live_board.start()
        try:
            yield
        finally:
            await app.state.live_board.stop()
            await app.state.engine.dispose()
            if replica:
                await replica.dispose()

    app = FastAPI(
        title="kopdes",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by app.web.api_docs from the service's own files.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        dependencies=[Depends(authorize), Depends(only_known_query_parameters)],
        # Metrics are Prometheus' and logs structlog's (app/http/observability.py,
        # app/core/logs.py); with no OpenTelemetry, FastAPI's own would only look for a
        # provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())
    app.state.nik_cipher = NikCipher(settings.nik_encryption_key.get_secret_value())
    app.state.verified_tokens = verified_tokens(settings)
    app.state.login_checks = LoginChecks(settings.account_check_seconds)
    # The web app's login; a signed cookie sent again with each page, so it lapses when idle.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="kopdes_sesi",
        max_age=settings.web_idle_minutes * 60,
        same_site="lax",
        https_only=settings.environment == "prod",
    )
    app.add_middleware(BodySizeLimit, default_limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    # Inside the request-id middleware, so that the access line carries the id.
    app.add_middleware(ObservabilityMiddleware)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID", validator=_is_uuid)
    errors.register(app)
    web_errors.register(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(metrics.router)
    if settings.docs_enabled:
        app.include_router(api_docs.router)
    for web_router in WEB_ROUTERS:
        app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_FILES), name="static")
    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]  # FastAPI's documented hook
    return app


def _is_uuid(value: str) -> bool:
    """A client's own request id is kept when it is any valid UUID."""
    try:
        UUID(value)
    except ValueError:
        return False
    return True


SECURITY_SCHEMES = {
    "OAuth2Password": {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}},
    },
    # The same access token as sent on the wire; clients and tools that do not speak the
    # OAuth2 password flow see from this one that it goes in `Authorization: Bearer`.
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /api/v1/auth/token`.",
    },
    "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
}


# Headers that a route declares optional to FastAPI, so that it can answer their absence itself
# with the status their RFCs ask for (a 400 for Idempotency-Key, a 428 for If-Match) instead of
# FastAPI's 422; to a client they are required all the same.
_HEADERS_REQUIRED_BY_THE_ROUTE = {"Idempotency-Key", "If-Match"}


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """Errors are documented as problem+json, and each operation's security comes from the
    permission table (FastAPI would otherwise show `HTTPValidationError` and no security)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    problem_content = {errors.PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            responses = operation["responses"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] in (
                    _HEADERS_REQUIRED_BY_THE_ROUTE
                ):
                    parameter["required"] = True
            if ROUTE_PERMISSIONS.get((method.upper(), path)) is not Permission.public:
                operation["security"] = [{"OAuth2Password": []}, {"Bearer": []}, {"ApiKey": []}]
                responses.setdefault("401", {"description": "Not logged in"})
                responses.setdefault("403", {"description": "Not allowed for your role"})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = problem_content
            body_types = operation.get("requestBody", {}).get("content", {})
            if body_types.keys() & {"multipart/form-data", "application/x-www-form-urlencoded"}:
                # Starlette's answer to form data it cannot parse (e.g. a broken boundary).
                responses.setdefault(
                    "400", {"description": "Malformed form data", "content": problem_content}
                )
            if "application/json" in body_types:
                responses.setdefault(
                    "415",
                    {"description": "The JSON body is not UTF-8", "content": problem_content},
                )
            if "requestBody" in operation:
                limit = operation.setdefault(LIMIT_KEY, app.state.settings.max_body_bytes)
                responses.setdefault(
                    "413",
                    {
                        "description": f"The request body is over {limit:,} bytes",
                        "content": problem_content,
                    },
                )
            if "parameters" in operation or "requestBody" in operation:
                responses.setdefault(
                    "422", {"description": "Invalid request", "content": problem_content}
                )
            # Named rather than `default`, so that any other status is an undocumented one.
            responses["500"] = {"description": "Unexpected error", "content": problem_content}
            responses["503"] = {
                "description": "The database is busy or restarting; retry after `Retry-After`",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}},
                "content": problem_content,
            }
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    components = schema["components"].setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
