"""Schemathesis against the whole API, in process, on migrated databases with Kukar's demo data.

Every operation gets schemathesis' examples, coverage and fuzzing phases with every check, and
the stateful run chains operations along the OpenAPI links (create, then read, change and
delete what was made). Both backends are fuzzed: PostgreSQL refuses what SQLite stores (ids
past 32 bits, text longer than its column), so each finds its own bugs. The run is
derandomised with a fixed seed: the same code sends the same requests every time.
CONTRIBUTING.md: "Fuzzing the API".
"""

import asyncio
import atexit
import json
import re
import shutil
import sqlite3
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import schemathesis
from alembic import command
from hypothesis import settings
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.security import NikCipher, hash_password
from app.core.db import build_engine, metadata
from app.core.migrations import alembic_config
from app.core.spreadsheets import XLSX_MEDIA_TYPE
from app.main import create_app
from app.models.account import Role, UserAccount
from app.models.common import NOT_BLANK
from app.seed import demo
from app.services import regions
from app.services.accounts import open_login
from app.settings import Settings
from tests.conftest import (
    POSTGRES_URL,
    REFERENCE_TABLES,
    TEST_PASSWORD,
    database_name,
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
            # that must exist in the caller's region, a signed cursor (400), a current ETag
            # (412). Beyond schemathesis' default, only those statuses pass, and each 400 and 422
            # must name fields for such a rule (`refused_only_for_rules_the_schema_cannot_state`
            # below). A 428 would mean a required If-Match that the document does not require.
            "positive_data_acceptance": {
                "expected-statuses": [
                    *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                    *("400", "412", "422"),
                ]
            },
            # RFC 6585: a missing `If-Match` that the server requires is a 428.
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
        },
    }
)
# Pydantic's error types for what a JSON Schema states: a missing or unknown field, a value of
# the wrong type, length, range, pattern or enum, a null where none is allowed. Data that fits
# the document and is refused with one of these means the document understates the service.
SCHEMA_STATED_ERRORS = {
    *("missing", "extra_forbidden", "null_forbidden", "json_invalid", "json_type"),
    *("string_type", "int_type", "bool_type", "float_type", "list_type", "dict_type"),
    *("model_type", "model_attributes_type", "int_parsing", "float_parsing", "bool_parsing"),
    *("string_too_short", "string_too_long", "too_short", "too_long", "multiple_of"),
    *("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"),
    *("string_pattern_mismatch", "enum", "literal_error", "none_required"),
}


@schemathesis.check
def refused_only_for_rules_the_schema_cannot_state(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Data that fits the document may be refused (400, 422) only for a rule the document
    cannot state, and the refusal must name the fields that break it."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    errors = response.json().get("errors") or []
    if not errors:
        raise AssertionError(f"a {response.status_code} that names no field: {response.text}")
    stated = [error for error in errors if error["type"] in SCHEMA_STATED_ERRORS]
    if stated:
        raise AssertionError(f"refused for what the document should have said: {stated}")
    return None


# The DPA import takes XLSX parts; schemathesis knows no serializer for that type by name.
schemathesis.serializer.alias(XLSX_MEDIA_TYPE, "application/octet-stream")

_WORKDIR = Path(tempfile.mkdtemp(prefix="kopdes-fuzz-"))
atexit.register(shutil.rmtree, _WORKDIR, ignore_errors=True)
_POSTGRES_NAME = database_name("fuzz")


@dataclass
class Target:
    """One backend's database, the app serving it and the schema loaded from that app."""

    backend: str
    url: str
    schema: schemathesis.BaseSchema = field(init=False)
    token: str = ""
    unavailable: str = ""
    restored_for: str = ""  # the test that last found the database as seeded

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
        if self.backend == "sqlite":
            shutil.copyfile(self._sqlite_file, self._sqlite_file.with_suffix(".seeded"))
        else:
            asyncio.run(_postgres(url, _KEEP_SEEDED))

    def restore(self, test: str) -> None:
        """Put the database back as seeded when `test` starts, so that each test sees the same
        data whatever ran before it, in this process or another: the verdict does not depend
        on the order. Hypothesis calls a test once per example; only its first one restores."""
        if self.restored_for == test:
            return
        self.restored_for = test
        if self.backend == "sqlite":
            # SQLite's backup API copies the pages under the app's open connections, which
            # see the seeded data at their next transaction.
            seeded = sqlite3.connect(self._sqlite_file.with_suffix(".seeded"))
            live = sqlite3.connect(self._sqlite_file)
            try:
                seeded.backup(live)
            finally:
                seeded.close()
                live.close()
        else:
            asyncio.run(_postgres(self.url, _RESTORE_SEEDED))

    @property
    def _sqlite_file(self) -> Path:
        return Path(make_url(self.url).database or "")


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


# What the seed wrote (every table but the reference ones), copied aside in a schema of its own,
# with where each sequence stood.
_SEEDED = [t.name for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES]
_KEEP_SEEDED = f"""
CREATE SCHEMA seeded;
{"".join(f'CREATE TABLE seeded."{t}" AS TABLE public."{t}";' for t in _SEEDED)}
CREATE TABLE seeded.sequences AS
    SELECT sequencename AS name, last_value, last_value IS NOT NULL AS is_called
    FROM pg_sequences WHERE schemaname = 'public';
"""
# As replica: no trigger fires (the append-only tables' own, the sync clock's, the foreign keys').
_RESTORE_SEEDED = f"""
SET session_replication_role = replica;
TRUNCATE {", ".join(f'public."{t}"' for t in _SEEDED)};
{"".join(f'INSERT INTO public."{t}" SELECT * FROM seeded."{t}";' for t in _SEEDED)}
SELECT setval(format('public.%I', name), coalesce(last_value, 1), is_called)
    FROM seeded.sequences;
"""


async def _postgres(url: str, sql: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


TARGETS = {
    "sqlite": Target("sqlite", f"sqlite+aiosqlite:///{_WORKDIR / (_POSTGRES_NAME + '.sqlite3')}"),
    "postgresql": Target(
        "postgresql",
        make_url(POSTGRES_URL).set(database=_POSTGRES_NAME).render_as_string(hide_password=False),
    ),
}


# Once per test process: under xdist a worker may leave this module for another's tests and come
# back, and a module-scoped fixture would seed the databases again.
@pytest.fixture(scope="session", autouse=True)
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
    """Every generated request, with every check; each valid one is sent made hostile too."""
    target = _target_of(case.operation.schema)
    target.restore(case.operation.label)
    case.call_and_validate()
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _send_made_hostile(target, case)


@pytest.mark.parametrize("backend", TARGETS)
def test_stateful(backend: str) -> None:
    target = _target_of(TARGETS[backend].schema)
    target.restore("stateful")
    machine = target.schema.as_state_machine()
    # Schemathesis infers the links from the document: a create leads to the record's reads,
    # changes and removal. Guard against a schema change that loses them.
    links = [name for name in dir(machine) if name.startswith("POST_api_v1_cooperatives___201_")]
    for consumer in ("GET", "PATCH", "DELETE"):
        assert any(f"{consumer}_api_v1_cooperatives_cooperative_id_" in n for n in links), links
    machine.run(settings=settings(machine.TestCase.settings, max_examples=STATEFUL_SCENARIOS))


# --- hostile input -----------------------------------------------------------------------------

# Sent inside every text of a body that the document accepts: none may be stored.
CONTROL_CHARACTERS = ["\x1b[2J", "\x07", "\x7f", "\x9b", "\ufffe"]
# Dates just inside the documented range (app.models.common), and beyond it.
DATES_AT_THE_ENDS = ["1945-01-01", "2100-12-31"]
DATES_BEYOND = ["0001-01-01", "1944-12-31", "2101-01-01", "9999-12-31"]
_DAY_FIRST = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _mapped(value: Any, change: Callable[[str], str | None]) -> tuple[Any, int]:
    """`value` with each string in it (not the keys) passed through `change` (None: keep it),
    and how many were changed."""
    if isinstance(value, str):
        changed = change(value)
        return (value, 0) if changed is None else (changed, 1)
    if isinstance(value, list):
        items = [_mapped(item, change) for item in value]
        return [item for item, _ in items], sum(count for _, count in items)
    if isinstance(value, dict):
        entries = {key: _mapped(item, change) for key, item in value.items()}
        return {key: item for key, (item, _) in entries.items()}, sum(
            count for _, count in entries.values()
        )
    return value, 0


def _free_text(value: Any, schema: dict[str, Any], bundled: dict[str, Any]) -> Iterator[tuple]:
    """The path of every free text in `value` by its `schema` (a name, a summary: not a code,
    an enum value or a date, which a control character would make invalid anyway)."""
    while "$ref" in schema:
        schema = bundled[schema["$ref"].rsplit("/", 1)[-1]]
    options = [schema, *schema.get("anyOf", [])]
    if isinstance(value, str):
        if any(
            option.get("type") == "string"
            and not {"enum", "const", "format"} & option.keys()
            and option.get("pattern", NOT_BLANK) == NOT_BLANK
            for option in options
        ):
            yield ()
    elif isinstance(value, list):
        for option in options:
            if option.get("type") == "array":
                for index, item in enumerate(value):
                    for path in _free_text(item, option.get("items", {}), bundled):
                        yield (index, *path)
    elif isinstance(value, dict):
        for option in options:
            properties = option.get("properties", {})
            for key, item in value.items():
                if key in properties:
                    for path in _free_text(item, properties[key], bundled):
                        yield (key, *path)


def _with_control(value: Any, path: tuple, control: str) -> Any:
    if not path:
        return value[:1] + control + value[1:]
    head, *rest = path
    changed = value.copy()
    changed[head] = _with_control(value[head], tuple(rest), control)
    return changed


def _day(day: str) -> Callable[[str], str | None]:
    return lambda text: day + text[10:] if _DAY_FIRST.match(text) else None


def _hostile_variants(case: schemathesis.Case) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(what, keyword arguments for `case.call`, whether it must be refused) for hostile
    variants of a valid request. Each request gets one control character, one date at an end
    of the range and one beyond it, taken in turn (by the request's content), so that the run
    sends them all without sending every one with every request."""
    body = case.body if case.media_type == "application/json" else None
    turn = zlib.crc32(repr((case.path_parameters, case.query, body)).encode())
    control = CONTROL_CHARACTERS[turn % len(CONTROL_CHARACTERS)]
    definition = case.operation.body[0].definition if case.operation.body else {}
    schema = definition.get("schema", {})
    paths = list(_free_text(body, schema, schema.get("x-bundled", {})))
    if paths:
        hostile = body
        for path in paths:
            hostile = _with_control(hostile, path, control)
        yield f"text with {control!r}", {"json": hostile}, True
    for day, beyond in (
        (DATES_AT_THE_ENDS[turn % len(DATES_AT_THE_ENDS)], False),
        (DATES_BEYOND[turn % len(DATES_BEYOND)], True),
    ):
        mutated, count = _mapped(body, _day(day))
        if count:
            yield f"body dates {day}", {"json": mutated}, beyond
        query, count = _mapped(dict(case.query or {}), _day(day))
        if count:
            yield f"query dates {day}", {"params": query}, beyond
    if isinstance(body, dict) and body:
        key = next(iter(body))
        text = json.dumps(body)
        twice = "{" + json.dumps(key) + ": " + json.dumps(body[key]) + ", " + text[1:]
        yield f"the key {key!r} twice", {"json": None, "data": twice.encode()}, True


def _send_made_hostile(target: Target, case: schemathesis.Case) -> None:
    """A valid request made hostile: a control character in every text, dates at an end of
    the documented range and beyond it, a key sent twice. None may be a 5xx, and what breaks
    a rule must be refused with a 4xx."""
    failures = []
    for what, send, must_be_refused in _hostile_variants(case):
        headers = {"Authorization": f"Bearer {target.token}"}
        if "data" in send:
            headers["Content-Type"] = "application/json"
        if "Idempotency-Key" in (case.headers or {}):
            headers["Idempotency-Key"] = str(uuid.uuid4())  # each variant its own request
        response = case.call(headers=headers, **send)
        status = response.status_code
        if status >= 500 or (must_be_refused and not 400 <= status < 500):
            failures.append(f"{what}: {status} {response.text[:300]}")
    assert not failures, f"{case.operation.label}: " + "; ".join(failures)
