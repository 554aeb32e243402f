"""The FastAPI application. Serve it with `uvicorn --factory app.main:create_app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app import errors
from app.db import build_engine
from app.pagination import CursorCodec
from app.routers import cooperatives, health, planner, regions, stats
from app.settings import Settings, get_settings

API_PREFIX = "/api/v1"
API_ROUTERS = [regions.router, cooperatives.router, stats.router, planner.router]

DESCRIPTION = """
The Kopdes service for a cooperatives office (Dinas Koperasi dan UMKM): the Kemendagri regions,
the registry of Kopdes/Kel Merah Putih cooperatives with their legal pipeline and officers, and
the figures the office reads every morning.

Errors are RFC 9457 problem details (`application/problem+json`); a 422 lists each field to fix
under `errors`. Lists are paginated with opaque cursors: follow `next_cursor` until it is null.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = build_engine(settings)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(
        title="kopdes",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())
    errors.register(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]
    return app


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents errors as JSON `HTTPValidationError`; ours are problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    problem_content = {errors.PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = problem_content
            if "parameters" in operation or "requestBody" in operation:
                responses.setdefault(
                    "422", {"description": "Invalid request", "content": problem_content}
                )
            responses["default"] = {"description": "Unexpected error", "content": problem_content}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
