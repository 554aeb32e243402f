"""What every benchmark needs: a fresh PostgreSQL database with Kukar's demo data, and the API
served by uvicorn with several workers."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "bench-demo-password"


def prepare_database(url: str, *, demo: str | None = "kukar") -> None:
    """Drop and recreate the database in `url`, migrate it, load the regions and the demo data
    at scale `demo` (`kukar` or `national`; None for none)."""
    parsed = make_url(url)

    async def recreate() -> None:
        admin = await asyncpg.connect(
            host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres"
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
        await admin.close()

    asyncio.run(recreate())
    env = {**os.environ, "KOPDES_DATABASE_URL": url, "KOPDES_DEMO_PASSWORD": DEMO_PASSWORD}
    commands = [[BIN / "alembic", "upgrade", "head"], [BIN / "kopdes", "regions", "load"]]
    if demo:
        commands.append([BIN / "kopdes", "demo", "load", "--scale", demo])
    for command in commands:
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


async def connect(url: str) -> asyncpg.Connection:
    """A plain driver connection to the database in `url`, for checking what the server did."""
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )


@contextmanager
def serve(
    url: str,
    port: int,
    workers: int,
    *,
    factory: str = "app.main:create_app",
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """The API (or another app `factory`) on 127.0.0.1:`port`, ready to answer, with `env` added
    to its environment; yields its base URL and the server's process id (with one worker,
    uvicorn serves from that very process). The server's log goes to var/bench-<port>.log."""
    log = ROOT / "var" / f"bench-{port}.log"
    log.parent.mkdir(exist_ok=True)
    server = subprocess.Popen(
        [
            BIN / "uvicorn",
            "--factory",
            factory,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        # The server logs as in production (a JSON line per request, which is part of the
        # cost measured), to a file rather than over the benchmark's own output.
        env={**os.environ, "KOPDES_DATABASE_URL": url, "KOPDES_LOG_FORMAT": "json", **(env or {})},
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
