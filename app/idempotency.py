"""Idempotency-Key handling for writes that must happen once (moving money first of all).

A field officer's phone may send the same request again after a timeout, hours or days later.
The first request *claims* its key (committed on its own, so a concurrent duplicate sees it
and gets a 409 instead of running twice); the operation then stores its response with the key
**in the same transaction as its effect**, so either both are there or neither is. A later
request with the same key and the same body gets the stored response again; with another body,
a 422. If the operation fails, the claim is released and the key may be used again.

Keys are kept for KEY_WINDOW (30 days), long enough for a phone that was offline for weeks.
"""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.errors import BadRequest, Conflict, Invalid
from app.models.budget import IdempotencyRecord
from app.models.common import utcnow
from app.services.query import dialect_insert

KEY_WINDOW = timedelta(days=30)
# A claim this old whose request never finished (a worker died mid-write) may be taken over.
ABANDONED_AFTER = timedelta(minutes=2)
IN_FLIGHT, COMPLETED = "in_flight", "completed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Required. A unique value (e.g. a UUID) per intended operation; send the "
        "same one again when retrying. Kept for 30 days.",
    ),
]
RecordResult = Callable[[AsyncSession, BaseModel], Awaitable[None]]


@dataclass(frozen=True)
class Claim:
    actor: str
    key: str


async def run_once(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    key: str | None,
    status_code: int,
    operation: Callable[[RecordResult], Awaitable[BaseModel]],
) -> Response:
    """Run `operation` at most once per key, replaying its response for repeats.

    `operation` must await the `record_result` it is given, with its session and its response
    model, just before it commits."""
    if not key:
        raise BadRequest(
            "the Idempotency-Key header is required for this request: send a new UUID, and "
            "the same one again if you retry"
        )
    name = f"{request.method} {request.url.path}"
    request_hash = hashlib.sha256(name.encode() + b"\n" + await request.body()).hexdigest()
    engine = request.app.state.engine
    async with AsyncSession(engine, expire_on_commit=False) as claiming:
        replay = await _claim(claiming, caller.principal.actor, key, name, request_hash)
    if replay is not None:
        return replay
    claim = Claim(caller.principal.actor, key)

    async def record_result(session: AsyncSession, result: BaseModel) -> None:
        # Joins the operation's own transaction: stored if and only if the effect is.
        body = result.model_dump_json()
        recorded[0] = body
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.actor == claim.actor, IdempotencyRecord.key == claim.key)
            .values(
                status=COMPLETED,
                response_status=status_code,
                response_body=body,
                completed_at=utcnow(),
            )
        )

    recorded: list[str | None] = [None]
    try:
        await operation(record_result)
    except BaseException:
        # End the failed operation's transaction first: on SQLite it holds the write lock.
        await session.rollback()
        async with AsyncSession(engine) as releasing:
            await releasing.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.actor == claim.actor,
                    IdempotencyRecord.key == claim.key,
                    IdempotencyRecord.status == IN_FLIGHT,
                )
            )
            await releasing.commit()
        raise
    return Response(recorded[0], status_code=status_code, media_type="application/json")


async def _claim(
    session: AsyncSession, actor: str, key: str, name: str, request_hash: str
) -> Response | None:
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
    if claimed.rowcount == 1:
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
    if record.operation != name or record.request_hash != request_hash:
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


def _in_flight() -> Conflict:
    return Conflict(
        "a request with this Idempotency-Key is still being processed; wait and retry with "
        "the same key to get its result",
        headers={"Retry-After": "1"},
    )
