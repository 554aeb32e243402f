"""Schemathesis against the whole API, in process, on migrated databases with Kukar's demo data.

Every operation gets schemathesis' examples, coverage and fuzzing phases with every check, and
the stateful run chains operations along the OpenAPI links (create, then read, change and
delete what was made). Both backends are fuzzed: PostgreSQL refuses what SQLite stores (ids
past 32 bits, text longer than its column), so each finds its own bugs. The run is
derandomised with a fixed seed: the same code sends the same requests every time.
README: "Fuzzing the API".
"""

import asyncio
import atexit
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from alembic import command
from hypothesis import settings
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import build_engine
from app.main import create_app
from app.migrations import alembic_config
from app.models.account import Role, UserAccount
from app.security import NikCipher, hash_password
from app.services import demo, regions
from app.services.accounts import open_login
from app.services.spreadsheets import XLSX_MEDIA_TYPE
from app.settings import Settings
from tests.conftest import (
    POSTGRES_URL,
    TEST_PASSWORD,
    fresh_database,
    reference_region_rows,
    settings_for,
)

SEED = 20250721
EXAMPLES_PER_OPERATION = 100
STATEFUL_SCENARIOS = 100
# The fuzzing administrator's own id lies far from the small ids that generated requests aim
# at, so that no generated `PATCH /users/{id}` disables or demotes the account the run uses.
FUZZ_ADMIN_ID = 1_900_000_000

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
        "checks": {
            # A request that fits the JSON Schema may still break a rule the schema cannot
            # state: a NIK or NPWP checksum, a date that must not be in the future, a record
            # that must exist in the caller's region, a signed cursor, a current ETag. Those
            # are refused with 400, 412, 422 or 428 as documented; the rest is schemathesis'
            # default (and negative_data_rejection still demands that invalid data is refused).
            "positive_data_acceptance": {
                "expected-statuses": [
                    *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                    *("400", "412", "422", "428"),
                ]
            },
            # RFC 6585: a missing `If-Match` that the server requires is a 428.
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
        },
    }
)
# The DPA import takes XLSX parts; schemathesis knows no serializer for that type by name.
schemathesis.serializer.alias(XLSX_MEDIA_TYPE, "application/octet-stream")

_WORKDIR = Path(tempfile.mkdtemp(prefix="kopdes-fuzz-"))
atexit.register(shutil.rmtree, _WORKDIR, ignore_errors=True)
_POSTGRES_NAME = (make_url(POSTGRES_URL).database or "kopdes_test") + "_fuzz"


@dataclass
class Target:
    """One backend's database, the app serving it and the schema loaded from that app."""

    backend: str
    url: str
    schema: schemathesis.BaseSchema = field(init=False)
    token: str = ""
    unavailable: str = ""

    def __post_init__(self) -> None:
        app = create_app(settings_for(self.url, access_token_minutes=60))
        # Loading starts the app's lifespan; its engine connects only on the first request.
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
        target = self

        @self.schema.auth()
        class FuzzAdmin:
            def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
                return target.token

            def set(
                self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
            ) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    def prepare(self) -> None:
        try:
            url = fresh_database(self.backend, _POSTGRES_NAME, _WORKDIR)
        except pytest.skip.Exception as skipped:
            self.unavailable = str(skipped)
            return
        assert url == self.url
        command.upgrade(alembic_config(url), "head")
        self.token = asyncio.run(_seed(url))


async def _seed(url: str) -> str:
    """Regions, Kukar's demo cooperatives and a national administrator; returns its token."""
    engine = build_engine(Settings(database_url=url))
    async with AsyncSession(engine, expire_on_commit=False) as session:
        await regions.load_regions(session, reference_region_rows())
        await demo.load_demo(session, NikCipher(Settings().nik_encryption_key.get_secret_value()))
        admin = UserAccount(
            id=FUZZ_ADMIN_ID,
            username="fuzz-admin",
            password_hash=hash_password(TEST_PASSWORD),
            role=Role.admin.value,
            region_scope="",
        )
        session.add(admin)
        await session.commit()
        pair = await open_login(session, settings_for(url, access_token_minutes=60), admin)
    await engine.dispose()
    return pair.access_token


TARGETS = {
    "sqlite": Target("sqlite", f"sqlite+aiosqlite:///{_WORKDIR / (_POSTGRES_NAME + '.sqlite3')}"),
    "postgresql": Target(
        "postgresql",
        make_url(POSTGRES_URL).set(database=_POSTGRES_NAME).render_as_string(hide_password=False),
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _databases() -> Iterator[None]:
    for target in TARGETS.values():
        target.prepare()
    yield
    # The in-process client keeps each app's lifespan (and database pool) open until told.
    shutdown_lifespans()


def _target_of(schema: schemathesis.BaseSchema) -> Target:
    target = next(t for t in TARGETS.values() if t.schema.app is schema.app)
    if target.unavailable:
        pytest.skip(target.unavailable)
    return target


@schemathesis.pytest.parametrize(**{name: t.schema for name, t in TARGETS.items()})
def test_every_operation(case: schemathesis.Case) -> None:
    _target_of(case.operation.schema)
    case.call_and_validate()


@pytest.mark.parametrize("backend", TARGETS)
def test_stateful(backend: str) -> None:
    target = _target_of(TARGETS[backend].schema)
    machine = target.schema.as_state_machine()
    # Schemathesis infers the links from the document: a create leads to the record's reads,
    # changes and removal. Guard against a schema change that loses them.
    links = [name for name in dir(machine) if name.startswith("POST_api_v1_cooperatives___201_")]
    for consumer in ("GET", "PATCH", "DELETE"):
        assert any(f"{consumer}_api_v1_cooperatives_cooperative_id_" in n for n in links), links
    machine.run(settings=settings(machine.TestCase.settings, max_examples=STATEFUL_SCENARIOS))
