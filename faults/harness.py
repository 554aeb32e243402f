"""What the fault scripts share: a fresh database and the served API (from bench/common.py),
a row lock held by the script itself, and the checks on the answers the API gives."""

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# The benchmarks' helpers are scripts next to each other, not a package.
sys.path.insert(0, str(ROOT / "bench"))

from bench_refocusing import create_lines, login, prepare_approved, violations  # noqa: E402
from common import connect, prepare_database, serve  # noqa: E402

from app.core.migrations import head_revisions  # noqa: E402

__all__ = ["create_lines", "login", "prepare_approved", "serve", "violations"]

PROBLEM = "application/problem+json"


def database_url(name: str) -> str:
    """`<database of KOPDES_FAULTS_POSTGRES_URL>_fault_<name>` on that server."""
    base = make_url(
        os.environ.get("KOPDES_FAULTS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/kopdes")
    )
    return base.set(
        drivername="postgresql", database=f"{base.database}_fault_{name}"
    ).render_as_string(hide_password=False)


def fresh_database(name: str) -> str:
    """A new database for one fault, with the regions and Kukar's demo data; returns its URL.

    Loading them takes about a minute, so it is done once into a template database, which is
    rebuilt when the migrations have moved on; each fault gets a copy (CREATE DATABASE ...
    TEMPLATE copies the files)."""
    template, url = database_url("template"), database_url(name)

    async def template_revisions() -> set[str]:
        try:
            connection = await connect(template)
        except asyncpg.InvalidCatalogNameError:
            return set()
        try:
            return set(
                await connection.fetchval("SELECT array_agg(version_num) FROM alembic_version")
                or []
            )
        except asyncpg.UndefinedTableError:
            return set()
        finally:
            await connection.close()

    async def copy() -> None:
        admin = await connect(make_url(url).set(database="postgres").render_as_string(False))
        target, source = make_url(url).database, make_url(template).database
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        finally:
            await admin.close()

    if asyncio.run(template_revisions()) != head_revisions():
        print("preparing the template database (migrations, regions, demo data)")
        prepare_database(template)
    asyncio.run(copy())
    return url


def configure(**settings: str | int | float) -> None:
    """KOPDES_* settings for the server `serve` starts next (it inherits this environment)."""
    for name, value in settings.items():
        os.environ[f"KOPDES_{name.upper()}"] = str(value)


async def until_ready(base: str) -> None:
    """`serve` waits ten seconds at most; starting workers on a busy machine can take longer."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for _ in range(600):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    fail(f"the app at {base} did not become ready")


def fail(message: str) -> None:
    raise SystemExit(f"FAILED: {message}")


def passed(message: str) -> None:
    print(f"PASSED: {message}")


def not_a_retryable_503(response: httpx.Response) -> str | None:
    """Why `response` is not the 503 a client can act on (problem+json with Retry-After)."""
    if response.status_code != 503:
        return f"status {response.status_code}"
    if not response.headers.get("content-type", "").startswith(PROBLEM):
        return f"content-type {response.headers.get('content-type')}"
    if not response.headers.get("retry-after"):
        return "no Retry-After"
    return None


@asynccontextmanager
async def row_locked(url: str, table: str, row_id: int) -> AsyncIterator[None]:
    """Hold `table` row `row_id` locked FOR UPDATE in the script's own transaction, the way a
    slow writer elsewhere would; the app's writers of that row wait for it."""
    connection = await connect(url)
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(f"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE", row_id)
        yield
    finally:
        await transaction.rollback()
        await connection.close()


async def wait_for_lock_waiter(url: str) -> None:
    """Until one of the app's connections waits on a lock (10 s at most)."""
    connection = await connect(url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = await connection.fetchval(
                """SELECT count(*) FROM pg_stat_activity
                   WHERE application_name = 'kopdes' AND datname = current_database()
                     AND wait_event_type = 'Lock'"""
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
        fail("no request of the app came to wait on the script's row lock")
    finally:
        await connection.close()
