"""Test databases: every API test runs once on SQLite and once on PostgreSQL.

Schemas are built by running the Alembic migrations, never by `create_all`. Each test starts
from the same reference regions and no records: mutable tables are emptied after every test.

PostgreSQL is used when reachable at KOPDES_TEST_POSTGRES_URL (default: the local cluster);
with KOPDES_TEST_REQUIRE_POSTGRES=1 an unreachable server fails the run instead of skipping.
Under pytest-xdist (`make test` runs one worker per core) each worker process has databases of
its own, named after it (`database_name`).
"""

import asyncio
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.access.security import NikCipher, hash_password
from app.core.db import build_engine, metadata
from app.core.logs import build_formatter
from app.core.migrations import alembic_config
from app.main import create_app
from app.models.account import Role, UserAccount
from app.seed import demo
from app.services import regions
from app.services.accounts import open_login
from app.settings import Settings
from tests.factories import NO_IDEMPOTENCY_KEY
from tests.pii import leaked_niks, leaked_phones

POSTGRES_URL = os.environ.get(
    "KOPDES_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/kopdes_test"
)
REQUIRE_POSTGRES = os.environ.get("KOPDES_TEST_REQUIRE_POSTGRES") == "1"
# pytest-xdist names each worker process (gw0, gw1, ...); empty without xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Kept between tests: the regions, and the sync clock's single row (change numbers only grow).
REFERENCE_TABLES = {"region", "reference_dataset", "alembic_version", "sync_clock"}
TEST_SECRET = "test-secret-" + "x" * 40
TEST_PASSWORD = "test-password-123"
_TEST_PASSWORD_HASH = hash_password(TEST_PASSWORD)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def recreate_postgres_database(url: str) -> None:
    """Drop and create the database named in `url`, connecting to the server's `postgres` db."""
    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
        timeout=5,
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


def database_name(purpose: str = "") -> str:
    """This test process's PostgreSQL database for `purpose` (the suite's own when empty): the
    name of KOPDES_TEST_POSTGRES_URL's, then the xdist worker's, then the purpose."""
    base = make_url(POSTGRES_URL).database or "kopdes_test"
    return "_".join(part for part in (base, WORKER, purpose) if part)


def fresh_database(backend: str, name: str, tmp_path: Path) -> str:
    """An empty database for `backend`; skips (or fails) when PostgreSQL is unreachable."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        run(recreate_postgres_database(url))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return url


def reference_region_rows() -> list[dict[str, str | None]]:
    """Every province and regency, and all of East Kalimantan (Kukar 64.02, Kutai Barat 64.03)."""
    return [
        row
        for row in regions.read_region_file()
        if len(row["code"] or "") <= 5 or (row["code"] or "").startswith("64.")
    ]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database(request.param, database_name(), tmp_path_factory.mktemp(request.param))
    migrate_and_load_regions(url)
    if request.param == "sqlite":
        database = Path(make_url(url).database or "")
        shutil.copyfile(database, _template_of(database))
    return url


def migrate_and_load_regions(url: str) -> None:
    command.upgrade(alembic_config(url), "head")

    async def load() -> None:
        engine = build_engine(Settings(database_url=url))
        async with AsyncSession(engine) as session:
            await regions.load_regions(session, reference_region_rows())
        await engine.dispose()

    run(load())


def _template_of(database: Path) -> Path:
    return database.with_suffix(".template")


# Every NIK and phone number the suite sends, and every place one turned up where it must not.
SENT_NIKS: set[str] = set()
SENT_PHONES: set[str] = set()
NIK_LEAKS: list[str] = []
PHONE_LEAKS: list[str] = []
GATED_NIK_PATH = "/nik"


def _remember_sent_personal_data(request: httpx.Request) -> None:
    try:
        body = json.loads(request.content or b"null")
    except (ValueError, httpx.RequestNotRead):  # not JSON, or streamed (chunked)
        return
    if isinstance(body, dict) and isinstance(body.get("nik"), str):
        SENT_NIKS.add(body["nik"])
    if isinstance(body, dict):
        SENT_PHONES.update(v for k, v in body.items() if k.endswith("phone") and isinstance(v, str))


def _scan_response(response: httpx.Response) -> None:
    if response.request.url.path.endswith(GATED_NIK_PATH):
        return
    response.read()
    for nik in leaked_niks(response.text, SENT_NIKS):
        NIK_LEAKS.append(f"{response.request.method} {response.request.url.path}: {nik}")


def _add_idempotency_key(request: httpx.Request) -> None:
    """Every POST that writes needs an Idempotency-Key (app/http/idempotency.py). The test client
    gives each POST without one a fresh key, so that tests of other behaviour stay short;
    tests of the key itself send their own, or `NO_IDEMPOTENCY_KEY` to send none at all."""
    if request.method != "POST":
        return
    sent = request.headers.get("Idempotency-Key")
    if sent is None:
        request.headers["Idempotency-Key"] = str(uuid.uuid4())
    elif sent == NO_IDEMPOTENCY_KEY["Idempotency-Key"]:
        del request.headers["Idempotency-Key"]


class _LogCapture(logging.Handler):
    """Scans each record as the service writes it: through its JSON formatter."""

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        for nik in leaked_niks(line, SENT_NIKS):
            NIK_LEAKS.append(f"log {record.name}: {nik}")
        for phone in leaked_phones(line, SENT_PHONES):
            PHONE_LEAKS.append(f"log {record.name}: {phone}")


_LOG_SCAN = _LogCapture(level=logging.DEBUG)
_LOG_SCAN.setFormatter(build_formatter("json"))


@pytest.fixture(autouse=True)
def _capture_logs() -> None:
    # Attached before every test: running the migrations (alembic's env.py calls
    # logging.config.fileConfig) replaces the root logger's handlers.
    logging.getLogger().addHandler(_LOG_SCAN)


@pytest.fixture(scope="session")
def app_client(database_url: str) -> Iterator[TestClient]:
    app = create_app(settings_for(database_url))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.event_hooks = {
            "request": [_remember_sent_personal_data, _add_idempotency_key],
            "response": [_scan_response],
        }
        yield client


def settings_for(database_url: str, **overrides: Any) -> Settings:
    defaults: dict[str, Any] = {
        "secret_key": TEST_SECRET,
        "login_attempts_per_minute": 10_000,
        "nik_reads_per_hour": 10_000,
        "account_check_seconds": 0,  # so that tests see account changes at once
        "board_stream_seconds": 2,  # a live board's stream ends in time for a test to read it
    }
    return Settings(database_url=database_url, **{**defaults, **overrides})


async def _empty_mutable_tables(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        # The append-only tables refuse DELETE by trigger, and SQLite cannot switch triggers
        # off: put back the copy taken right after the regions were loaded.
        await engine.dispose()
        database = Path(engine.url.database or "")
        for leftover in (
            database.with_name(database.name + "-wal"),
            database.with_name(database.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(_template_of(database), database)
        return
    async with engine.begin() as connection:
        # TRUNCATE does not fire the append-only tables' row triggers.
        tables = [t for t in reversed(metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
        names = ", ".join(f'"{t.name}"' for t in tables)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """A client logged in as a national administrator; `login_as` gives other identities."""
    app_client.headers["Authorization"] = _login(app_client, "test-admin", Role.admin, "")
    yield app_client
    app_client.headers.pop("Authorization", None)
    app_client.portal.call(_empty_mutable_tables, app_client.app.state.engine)  # type: ignore[union-attr,attr-defined]


def _login(
    client: TestClient, username: str, role: Role, scope: str, cooperative_id: int | None = None
) -> str:
    """Create the account, log it in, and return an `Authorization` header value for it."""
    user = _create_account(client, username, role, scope, cooperative_id)

    async def log_in() -> str:
        async with AsyncSession(client.app.state.engine, expire_on_commit=False) as session:  # type: ignore[attr-defined]
            pair = await open_login(session, client.app.state.settings, user)  # type: ignore[attr-defined]
        return f"Bearer {pair.access_token}"

    return client.portal.call(log_in)  # type: ignore[union-attr]


def _create_account(
    client: TestClient, username: str, role: Role, scope: str, cooperative_id: int | None = None
) -> UserAccount:
    """An account with the password TEST_PASSWORD, written straight to the database."""

    async def create() -> UserAccount:
        async with AsyncSession(client.app.state.engine, expire_on_commit=False) as session:  # type: ignore[attr-defined]
            user = UserAccount(
                username=username,
                password_hash=_TEST_PASSWORD_HASH,
                role=role.value,
                region_scope=scope,
                cooperative_id=cooperative_id,
            )
            session.add(user)
            await session.commit()
            return user

    return client.portal.call(create)  # type: ignore[union-attr]


@pytest.fixture
def account(client: TestClient) -> Callable[..., UserAccount]:
    """`account("ani", Role.officer, "64.02")`: an account that can log in with TEST_PASSWORD."""

    def create(
        username: str, role: Role, scope: str, cooperative_id: int | None = None
    ) -> UserAccount:
        return _create_account(client, username, role, scope, cooperative_id)

    return create


@pytest.fixture
def login_as(client: TestClient) -> Callable[..., dict[str, str]]:
    """`login_as(Role.viewer, "64.02")` -> headers for a new account with that role and scope."""
    counter = iter(range(10_000))

    def headers(role: Role, scope: str, cooperative_id: int | None = None) -> dict[str, str]:
        username = f"test-{role.value}-{next(counter)}"
        return {"Authorization": _login(client, username, role, scope, cooperative_id)}

    return headers


@pytest.fixture
def load_demo(in_app_session: Callable[..., Any]) -> Callable[[], demo.DemoReport]:
    """Load Kukar's demo cooperatives into the test database (callable more than once)."""
    cipher = NikCipher(Settings().nik_encryption_key.get_secret_value())
    return lambda: in_app_session(lambda session: demo.load_demo(session, cipher))


@pytest.fixture
def in_app_session(
    client: TestClient,
) -> Callable[[Callable[[AsyncSession], Coroutine[Any, Any, Any]]], Any]:
    """Run service code against the app's own database, for setting up what HTTP cannot."""

    def call(work: Callable[[AsyncSession], Coroutine[Any, Any, Any]]) -> Any:
        async def with_session() -> Any:
            async with AsyncSession(client.app.state.engine, expire_on_commit=False) as session:  # type: ignore[attr-defined]
                return await work(session)

        return client.portal.call(with_session)  # type: ignore[union-attr]

    return call


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A full NIK outside the gated endpoint, or a full phone number in the logs, fails the
    whole run, whichever test caused it. An xdist worker hands what it saw to the controller
    (`pytest_testnodedown`), which decides."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["personal_data"] = {
            "niks": sorted(SENT_NIKS),
            "phones": sorted(SENT_PHONES),
            "nik_leaks": NIK_LEAKS,
            "phone_leaks": PHONE_LEAKS,
        }
    if NIK_LEAKS or PHONE_LEAKS:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)  # an xdist hook: the controller, as each worker ends
def pytest_testnodedown(node: Any, error: Any) -> None:
    seen = getattr(node, "workeroutput", {}).get("personal_data")
    if seen:
        SENT_NIKS.update(seen["niks"])
        SENT_PHONES.update(seen["phones"])
        NIK_LEAKS.extend(seen["nik_leaks"])
        PHONE_LEAKS.extend(seen["phone_leaks"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly which database backends the suite ran on, and any personal data leaked."""
    if NIK_LEAKS:
        terminalreporter.write_line(
            f"FULL NIK LEAKED outside {GATED_NIK_PATH} ({len(NIK_LEAKS)}): "
            + "; ".join(sorted(set(NIK_LEAKS))[:10]),
            red=True,
        )
    if PHONE_LEAKS:
        terminalreporter.write_line(
            f"FULL PHONE NUMBER LOGGED ({len(PHONE_LEAKS)}): "
            + "; ".join(sorted(set(PHONE_LEAKS))[:10]),
            red=True,
        )
    terminalreporter.write_line(
        f"personal data scan: {len(SENT_NIKS)} NIKs and {len(SENT_PHONES)} phone numbers "
        f"tracked, {len(NIK_LEAKS)} NIK leaks, {len(PHONE_LEAKS)} phone numbers in logs"
    )
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in ("sqlite", "postgresql"):
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid:
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    for backend in ("sqlite", "postgresql"):
        summary = counts.get(backend, {})
        text_ = ", ".join(f"{n} {outcome}" for outcome, n in summary.items()) or "did not run"
        terminalreporter.write_line(f"database backend {backend}: {text_}")
