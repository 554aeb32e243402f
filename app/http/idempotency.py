"""Idempotency-Key handling: every POST that writes a record runs at most once per key.

A field officer's phone may send the same request again after a timeout, hours or days later.
The first request *claims* its key (committed on its own, so a concurrent duplicate sees it
and gets a 409 instead of running twice); the operation then stores its response with the key
**in the same transaction as its effect**, so either both are there or neither is. A later
request with the same key and the same body gets the stored response again; with another body,
a 422. A JSON body is the same when it is the same JSON: its keys in another order, or other
whitespace, are the same request (a client may serialise it anew when it retries). If the
operation fails, the claim is released and the key may be used again.

Keys are kept for KEY_WINDOW (30 days), long enough for a phone that was offline for weeks;
`kopdes idempotency purge` (run daily) removes older ones, whose stored answers can hold phone
numbers.

Services write through a `Writer`, the write handle: it carries the request's session and
caller, locks rows (`lock`), stores the answer to replay (`record`) and commits (`commit`). A
route that takes an Idempotency-Key runs its service through `Writer.once`; every other write
(PATCH, DELETE, the CLI, the demo loader) gets a writer whose `record` keeps nothing. What is
stored is what a replay returns: usually the answer itself, but never a secret shown once (an
API key's `key`), since the record is kept in clear text.
"""

import hashlib
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Protocol, TypeVar, cast

from fastapi import Depends, Header, Request, Response
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import to_json
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller, CallerDep
from app.core.db import SessionDep
from app.core.sql import dialect_insert, rowcount
from app.errors import BadRequest, Conflict, Invalid, problems
from app.http.conditional import ETAG_HEADER, etag_of, etag_of_json
from app.http.json_bodies import is_json
from app.models.common import utcnow
from app.models.idempotency import IdempotencyRecord
from app.models.sync import Synced, hold_clock


class _Stored(Protocol):
    """A table model with an integer primary key `id` (None only before its INSERT)."""

    id: int | None


Row = TypeVar("Row", bound=_Stored)

KEY_WINDOW = timedelta(days=30)
# A claim this old whose request never finished (a worker died mid-write) may be taken over.
ABANDONED_AFTER = timedelta(minutes=2)
IN_FLIGHT, COMPLETED = "in_flight", "completed"

# Required (app.main marks it so in the OpenAPI document), but declared optional to FastAPI:
# its absence is answered here with a 400, as the Idempotency-Key draft asks.
IdempotencyKeyHeader = Annotated[
    str | SkipJsonSchema[None],
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Required: a 400 without it. A unique value (e.g. a UUID) per intended "
        "operation; send the same one again when retrying. Kept for 30 days.",
    ),
]
_REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string"},
    }
}


def idempotent(status_code: int, *, etag: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries of a route run through `Writer.once`: its success answer's headers, and
    400 (no key), 409 (the same key still in flight) and 422 (the same key, another body)."""
    headers = {**_REPLAYED_HEADER, **(ETAG_HEADER if etag else {})}
    return {status_code: {"headers": headers}, **problems(400, 409, 422)}


@dataclass(frozen=True)
class Claim:
    actor: str
    key: str
    status_code: int


class Writer:
    """The write handle: what a service writes through.

    It carries the session and the caller, and owns the three steps whose order matters:
    `lock` rows (for synced tables, the sync clock first: see app/models/sync.py), `record` the
    answer a retry gets (in the transaction of the effect), and `commit`."""

    def __init__(
        self,
        session: AsyncSession,
        caller: Caller,
        request: Request | None = None,
        key: str | None = None,
    ) -> None:
        self.session = session
        self.caller = caller
        self._request = request
        self._key = key
        self._claim: Claim | None = None
        self._answers: list[Any] = []

    async def lock(
        self, model: type[Row], row_id: Any, *where: Any, shared: bool = False
    ) -> Row | None:
        """The row `row_id` of `model` that also meets `where`, locked until the transaction
        ends: against any change (the default), or with `shared` only against its removal.
        The row is read afresh, as the lock found it."""
        if issubclass(model, Synced):
            await hold_clock(self.session)
        return await self.session.scalar(
            select(model)
            .where(col(model.id) == row_id, *where)
            .with_for_update(of=model, read=shared, key_share=shared)
            .execution_options(populate_existing=True)
        )

    async def lock_all(self, model: type[Row], row_ids: set[int]) -> dict[int, Row]:
        """The rows `row_ids` of `model`, locked in ascending id order: every writer takes them
        in the same order, so none waits for another that waits for it."""
        if issubclass(model, Synced):
            await hold_clock(self.session)
        column = col(model.id)
        rows = await self.session.scalars(
            select(model)
            .where(column.in_(row_ids))
            .order_by(column)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {cast(int, row.id): row for row in rows}  # read, so stored: never None

    async def record(self, answer: Any) -> None:
        """Keep `answer` as what a retry with this request's Idempotency-Key gets: stored if and
        only if the write commits. Outside `once` there is nothing to keep."""
        self._answers.append(answer)
        if self._claim is None:
            return
        await self.session.execute(
            update(IdempotencyRecord)
            .where(
                col(IdempotencyRecord.actor) == self._claim.actor,
                col(IdempotencyRecord.key) == self._claim.key,
            )
            .values(
                status=COMPLETED,
                response_status=self._claim.status_code,
                response_body=to_json(answer).decode(),
                completed_at=utcnow(),
            )
        )

    async def commit(self) -> None:
        if self._claim is not None and not self._answers:
            # The key would stay claimed until it is abandoned, and retries would get a 409.
            raise RuntimeError("an idempotent write must record its answer before it commits")
        await self.session.commit()

    async def once(
        self, status_code: int, write: Coroutine[Any, Any, Any], *, etag: bool = False
    ) -> Response:
        """Run `write` (a service call on this writer) at most once per Idempotency-Key, and
        answer with `status_code`; a repeat gets the stored answer. With `etag`, the answer
        carries the ETag of the recorded representation (the created record as a GET shows
        it), on replays too."""
        try:
            replay = await self._claim_key(status_code)
        except BaseException:
            write.close()  # never started
            raise
        if replay is not None:
            write.close()
            if etag:
                replay.headers["ETag"] = etag_of_json(replay.body)
            return replay
        try:
            result = await write
        except BaseException:
            await self._release()
            raise
        headers = {"ETag": etag_of(self._answers[-1])} if etag else None
        return Response(
            to_json(result), status_code=status_code, media_type="application/json", headers=headers
        )

    async def _claim_key(self, status_code: int) -> Response | None:
        request = self._request
        if request is None or not self._key:
            raise BadRequest(
                "the Idempotency-Key header is required for this request: send a new UUID, "
                "and the same one again if you retry"
            )
        name = f"{request.method} {request.url.path}"
        if _is_form(request):
            # A web form, already read as its fields (its bytes are gone, and a browser draws a
            # new multipart boundary for every retry): compared by them, a file by its content.
            fields = []
            for field, value in (await request.form()).multi_items():
                if not isinstance(value, str):
                    await value.seek(0)
                    value = f"{value.filename}:{hashlib.sha256(await value.read()).hexdigest()}"
                fields.append((field, value))
            body = json.dumps(sorted(fields)).encode()
            request_hash = sent_hash = _digest(name, body)
        else:
            body = await request.body()
            request_hash = _digest(name, await _comparable(request, body))
            # Keys claimed before JSON bodies were compared as JSON hold the digest of the bytes
            # as sent; a retry sending those bytes again still gets its answer. They have all
            # expired 30 days (KEY_WINDOW) after the upgrade, and `sent_hash` can go then.
            sent_hash = _digest(name, body)
        actor = self.caller.principal.actor
        replay = await _claim(self.session, actor, self._key, name, (request_hash, sent_hash))
        if replay is None:
            self._claim = Claim(actor, self._key, status_code)
        return replay

    async def _release(self) -> None:
        """Free the key of a write that failed, so that a retry runs it again."""
        assert self._claim is not None
        # End the failed write's transaction first: on SQLite it holds the write lock.
        await self.session.rollback()
        await self.session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.actor) == self._claim.actor,
                col(IdempotencyRecord.key) == self._claim.key,
                col(IdempotencyRecord.status) == IN_FLIGHT,
            )
        )
        await self.session.commit()


def _is_form(request: Request) -> bool:
    """A page's form; the API's multipart uploads are compared by their bytes."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return True
    return media_type == "multipart/form-data" and not request.url.path.startswith("/api/")


def _digest(name: str, body: bytes) -> str:
    return hashlib.sha256(name.encode() + b"\n" + body).hexdigest()


async def _comparable(request: Request, body: bytes) -> bytes:
    """The body as a retry is compared with: a JSON body as canonical JSON (keys sorted, no
    whitespace), any other (a multipart upload) as its bytes."""
    if not body or not is_json(request.headers.get("content-type")):
        return body
    try:
        document = await request.json()  # already read by FastAPI, for a route with a body
    except ValueError:  # a route that takes no body ignores one that is not JSON
        return body
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


async def _writer(request: Request, session: SessionDep, caller: CallerDep) -> Writer:
    return Writer(session, caller, request)


async def _idempotent_writer(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Writer:
    return Writer(session, caller, request, idempotency_key)


WriterDep = Annotated[Writer, Depends(_writer)]
"""The writer of a route that changes or removes (it takes If-Match, not a key)."""
IdempotentWriterDep = Annotated[Writer, Depends(_idempotent_writer)]
"""The writer of a POST that takes an Idempotency-Key: its service runs through `once`."""


async def _claim(
    session: AsyncSession, actor: str, key: str, name: str, hashes: tuple[str, str]
) -> Response | None:
    """Claims the key for this request, whose digest is the first of `hashes`; a key already
    used answers the request if its stored digest is either of them."""
    request_hash = hashes[0]
    now = utcnow()
    # The usual case, a new key, is one statement; a conflict means the key was seen before.
    claimed = await session.execute(
        dialect_insert(session)(IdempotencyRecord)
        .values(
            actor=actor,
            key=key,
            operation=name,
            request_hash=request_hash,
            status=IN_FLIGHT,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    await session.commit()
    if rowcount(claimed) == 1:
        return None
    record = await session.get(IdempotencyRecord, (actor, key), with_for_update=True)
    if record is None:  # it expired and was removed in between
        raise _in_flight()
    if record.created_at < now - KEY_WINDOW:
        # Past the window the key is free again: this request starts afresh.
        record.operation, record.request_hash, record.status = name, request_hash, IN_FLIGHT
        record.created_at, record.response_status, record.response_body = now, None, None
        await session.commit()
        return None
    if record.operation != name or record.request_hash not in hashes:
        raise Invalid(
            "this Idempotency-Key was already used for a different request; use a new key "
            "for a new operation",
            errors=[
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "reused with another body",
                    "type": "idempotency_key_reused",
                }
            ],
        )
    if record.status == COMPLETED:
        return Response(
            record.response_body,
            status_code=record.response_status or 200,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    if record.created_at > now - ABANDONED_AFTER:
        raise _in_flight()
    record.created_at = now  # a worker died holding it: take it over
    await session.commit()
    return None


async def purge_expired(session: AsyncSession) -> int:
    """Removes the records of keys past KEY_WINDOW, which can no longer be replayed; returns how
    many. Their stored answers can hold personal data (phone numbers), kept no longer than
    the replays need it."""
    removed = await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < utcnow() - KEY_WINDOW)
    )
    await session.commit()
    return rowcount(removed)


def _in_flight() -> Conflict:
    return Conflict(
        "a request with this Idempotency-Key is still being processed; wait and retry with "
        "the same key to get its result",
        headers={"Retry-After": "1"},
    )
