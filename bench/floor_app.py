"""The least an API can do for the two hot reads: FastAPI and asyncpg, nothing else. No
authentication, access log, metrics or request id, and the rows go out as JSON (pydantic's
Rust encoder) without being validated. bench_registry.py serves it on the same workers and SQL
as the real API, to show what this machine and this stack allow before the service does
anything of its own.

Served by bench_registry.py with the SQL in FLOOR_QUERIES (JSON: list and single, each the SQL
and its arguments; in the single read's arguments, null stands for the id from the path).
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Response
from pydantic_core import to_json
from sqlalchemy.engine import make_url


def _json(rows: Any) -> Response:
    return Response(to_json(rows), media_type="application/json")


def create_app() -> FastAPI:
    queries = json.loads(os.environ["FLOOR_QUERIES"])
    list_sql, list_arguments = queries["list"]
    single_sql, single_arguments = queries["single"]
    url = make_url(os.environ["KOPDES_DATABASE_URL"])
    pool_size = int(os.environ.get("KOPDES_DB_POOL_SIZE", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            database=url.database,
            min_size=pool_size,
            max_size=pool_size,
        )
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/api/v1/cooperatives")
    async def cooperatives() -> Response:
        async with app.state.pool.acquire() as connection:
            rows = await connection.fetch(list_sql, *list_arguments)
        return _json([dict(row) for row in rows])

    @app.get("/api/v1/cooperatives/{cooperative_id}")
    async def cooperative(cooperative_id: int) -> Response:
        arguments = [cooperative_id if a is None else a for a in single_arguments]
        async with app.state.pool.acquire() as connection:
            rows = await connection.fetch(single_sql, *arguments)
        return _json(dict(rows[0]) if rows else {})

    return app
