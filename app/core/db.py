"""The one entry point to the database: the engines, and every way code gets a connection.

- A request: `SessionDep` (`get_session`), on the primary; GET and HEAD in autocommit.
- A write: the same session, inside the write handle (`app/http/idempotency.py: Writer`).
- The hot reads: `ReaderDep` and `read_rows`, no session at all.
- The statistics: `StatsSessionDep`, on the read replica when one is configured.
- The export stream: `stream_session`, a connection of its own that outlives the request's.
- The API-key check, before the route runs: `own_session` on the primary.
- The readiness probe: `schema_revisions`.
- The command line: `cli_session`, with an engine of its own.
- The schema itself: Alembic (`alembic/env.py`), never `create_all`.

Endpoints are ``async def`` on an async engine (asyncpg / aiosqlite): the measured sync
``def`` + threadpool pattern reaches only a small fraction of the driver's throughput
(see bench/README.md).
"""

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, Select, event, text
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel

from app.errors import DatabaseBusy, database_problem
from app.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Constraint names must be stable so that Alembic can drop and alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
AUTOCOMMIT = "AUTOCOMMIT"
SAFE_METHODS = frozenset({"GET", "HEAD"})


def build_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """The engine for `url`, by default the primary database's."""
    url = url or settings.database_url
    if url.startswith("sqlite"):
        return _build_sqlite_engine(url)
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No ping before each use: on asyncpg it is three round trips (BEGIN, ping, ROLLBACK),
        # more than a hot read itself. A connection that died (the server restarted) fails
        # its next statement instead; SQLAlchemy then discards every connection of the pool
        # opened before, and the request gets a 503 with Retry-After (see app/errors.py).
        pool_pre_ping=False,
        # Bound parameters can hold personal data; they must not reach the logs with an error.
        hide_parameters=True,
        connect_args={
            # A new connection waits no longer than a pooled one (asyncpg's default is 60 s).
            "timeout": settings.db_pool_timeout_seconds,
            "server_settings": {
                "application_name": "kopdes",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            },
        },
    )
    event.listen(engine.sync_engine, "handle_error", _mark_disconnects)
    return engine


def _is_disconnect(sqlstate: str) -> bool:
    """PostgreSQL ends sessions with 57P01-57P03 when it stops or restarts, and class 08 means
    the connection is lost."""
    return sqlstate in ("57P01", "57P02", "57P03") or sqlstate.startswith("08")


def _mark_disconnects(context: ExceptionContext) -> None:
    """asyncpg reports a disconnect before it notices the socket is closed, so SQLAlchemy would
    keep the dead connection and fail again on its ROLLBACK; as disconnects the pool drops it
    (and the pool's other connections, made before the restart) at once."""
    if _is_disconnect(getattr(context.original_exception, "sqlstate", None) or ""):
        context.is_disconnect = True


def _build_sqlite_engine(url: str) -> AsyncEngine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT and all-or-nothing
    # writes; SQLAlchemy's documented recipe hands transaction control back to SQLAlchemy.
    # Transactions begin IMMEDIATE: a write that read first would otherwise fail at once with
    # "database is locked" when another writer committed in between (WAL snapshot rules);
    # this way they queue on busy_timeout instead. The embedded database serialises writers.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("isolation_level") != AUTOCOMMIT:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, its statements each committed on their own."""
    return engine.execution_options(isolation_level=AUTOCOMMIT)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request. GET and HEAD only read (or append one audit row): they run in
    autocommit, which spares the BEGIN and ROLLBACK round trips of a transaction that would
    change nothing; on the hot reads those round trips cost more than the query."""
    state = request.app.state
    engine = state.autocommit_engine if request.method in SAFE_METHODS else state.engine
    async with own_session(engine) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_stats_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for the statistics: on the read replica when one is configured."""
    async with own_session(request.app.state.stats_engine) as session:
        yield session


StatsSessionDep = Annotated[AsyncSession, Depends(get_stats_session)]


def stream_session(request: Request) -> AsyncSession:
    """A session for a response that streams: the request's own session is closed before the
    body is sent, so the stream reads on a connection of its own, from the primary (a replica
    may lag behind what the office just entered)."""
    return AsyncSession(request.app.state.engine)


@asynccontextmanager
async def cli_session() -> AsyncIterator[AsyncSession]:
    """A session for one command of the `kopdes` command line, on an engine of its own."""
    engine = build_engine(get_settings())
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await engine.dispose()


async def schema_revisions(engine: AsyncEngine) -> set[str]:
    """The Alembic revisions the database is at (the readiness probe compares them)."""
    async with engine.connect() as connection:
        return set(
            (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars()
        )


@asynccontextmanager
async def own_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on `engine` that closes with the block: the request's (above), or one that
    must not be the request's (the API-key check runs before the route has its session)."""
    session = AsyncSession(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        try:
            await session.close()
        except DBAPIError as exc:
            # The session closes after the response is sent; if its connection died meanwhile,
            # PostgreSQL has already rolled back what was left open, and the client has its
            # answer. Raising here would only cut that answer off.
            if not exc.connection_invalidated:
                raise


async def get_reader(request: Request) -> AsyncEngine:
    return request.app.state.autocommit_engine


ReaderDep = Annotated[AsyncEngine, Depends(get_reader)]
"""The engine for `read_rows`: the hot reads take no session."""


@dataclass(frozen=True)
class CompiledSql:
    sql: str
    names: tuple[str, ...]  # of the parameters, in their order
    fixed: dict[str, Any]  # the values the statement holds itself (`col == "x"`)

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.fixed[name] for name in self.names]


# Each statement `read_rows` has run, compiled, per dialect. Statements are built once per
# shape (see the services), so this stays as small as their number.
_COMPILED: dict[tuple[str, Select[*tuple[Any, ...]]], CompiledSql] = {}


def compiled_sql(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> CompiledSql:
    key = (dialect.name, statement)
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        _COMPILED[key] = CompiledSql(
            str(compiled),
            tuple(compiled.positiontup or ()),
            # Only those: a `bindparam` left without its value is a KeyError, not a NULL.
            {name: bind.value for name, bind in compiled.binds.items() if not bind.required},
        )
    return _COMPILED[key]


async def read_rows(
    engine: AsyncEngine, statement: Select[*tuple[Any, ...]], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The rows of a SELECT, as dicts, committed data only. `statement` holds `bindparam`s
    named by the keys of `values`, and is built once and reused: on PostgreSQL its SQL is
    compiled once and sent straight to asyncpg on a pooled connection, since SQLAlchemy's
    per-execution work (compiling from its cache, the execution context, the result) costs
    several times the query itself on the hot reads. SQLite goes through SQLAlchemy, which turns
    its text dates back into dates."""
    if engine.dialect.name != "postgresql":
        async with engine.connect() as connection:
            result = await connection.execute(statement, dict(values))
            return [dict(row) for row in result.mappings()]
    compiled = compiled_sql(statement, engine.dialect)
    try:
        pooled = await engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as exc:
        # Refused while PostgreSQL starts or stops (SQLAlchemy's own path wraps these).
        if not _is_disconnect(getattr(exc, "sqlstate", None) or ""):
            raise
        raise DatabaseBusy() from exc
    try:
        # Only a connection the pool has closed lacks its driver's; this one was just taken.
        driver = cast(asyncpg.Connection, pooled.driver_connection)
        records = await driver.fetch(compiled.sql, *compiled.arguments(values))
    except (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,  # a connection ended under it by the server
        OSError,
    ) as exc:
        sqlstate = getattr(exc, "sqlstate", None) or ""
        if isinstance(exc, asyncpg.PostgresError) and not _is_disconnect(sqlstate):
            # As for SQLAlchemy's errors: NUL text is a 422, a statement timeout a 503.
            problem = database_problem(sqlstate)
            if problem is None:
                raise
            raise problem from exc
        # The connection is lost or in an unknown state. As SQLAlchemy's own path does for a
        # disconnect: neither it nor the pool's others, opened before the server went away,
        # are used again.
        logger.warning("database connection lost during a read: %r", exc)
        pooled.invalidate(exc)
        await engine.dispose(close=False)
        raise DatabaseBusy() from exc
    finally:
        await greenlet_spawn(pooled.close)
    return [dict(record) for record in records]
