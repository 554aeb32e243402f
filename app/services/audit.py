"""The audit trail: written in the same transaction as the change it records."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import code_in_caller_scope
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.audit import AuditEvent, AuditEventPublic
from app.models.common import mask_phone

# Fields holding personal data; the trail keeps them masked (UU 27/2022, data minimisation).
_PHONE_FIELDS = {"contact_phone", "phone"}
_DROPPED_FIELDS = {"nik", "nik_ciphertext", "password", "password_hash", "key", "key_hash"}


def snapshot(record: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-able copy of a record for the trail, personal data masked or left out."""
    if record is None:
        return None
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else dict(record)
    return {
        key: mask_phone(value) if key in _PHONE_FIELDS else value
        for key, value in data.items()
        if key not in _DROPPED_FIELDS
    }


def record(
    session: AsyncSession,
    caller: Caller,
    *,
    action: str,
    resource_type: str,
    resource_id: int | str | None,
    region_code: str,
    before: BaseModel | dict[str, Any] | None = None,
    after: BaseModel | dict[str, Any] | None = None,
    outcome: str = "success",
) -> None:
    """Add the event to the caller's transaction; it is written only if that commits."""
    session.add(
        AuditEvent(
            actor=caller.principal.actor,
            role=caller.role.value,
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            region_code=region_code,
            request_id=caller.request_id,
            client_ip=caller.client_ip,
            before=snapshot(before),
            after=snapshot(after),
            outcome=outcome,
        )
    )


def record_sign_in(
    session: AsyncSession,
    *,
    action: str,
    username: str,
    role: str,
    region_code: str,
    outcome: str,
    request_id: str | None,
    client_ip: str | None,
) -> None:
    """Logins, token refreshes and logouts, which happen before there is a caller."""
    session.add(
        AuditEvent(
            actor=f"user:{username}",
            role=role,
            action=action,
            resource_type="session",
            region_code=region_code,
            request_id=request_id,
            client_ip=client_ip,
            outcome=outcome,
        )
    )


async def created_account(
    session: AsyncSession, user_id: int, *, by: set[str], since: datetime
) -> bool:
    """Whether one of the actors `by` created the account `user_id` at `since` or later."""
    found = await session.scalar(
        select(col(AuditEvent.id))
        .where(
            col(AuditEvent.resource_type) == "user",
            col(AuditEvent.resource_id) == str(user_id),
            col(AuditEvent.action) == "user.create",
            col(AuditEvent.actor).in_(by),
            col(AuditEvent.at) >= since,
        )
        .limit(1)
    )
    return found is not None


async def list_events(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    *,
    actor: str | None,
    resource_type: str | None,
    resource_id: str | None,
    action: str | None,
    request_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Page[AuditEventPublic]:
    conditions: list[Any] = code_in_caller_scope(caller, AuditEvent.region_code)
    for column, value in (
        (AuditEvent.actor, actor),
        (AuditEvent.resource_type, resource_type),
        (AuditEvent.resource_id, resource_id),
        (AuditEvent.action, action),
        (AuditEvent.request_id, request_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if until is not None:
        conditions.append(AuditEvent.at < until)
    scope_key = {
        "actor": actor,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "action": action,
        "request_id": request_id,
        "since": since,
        "until": until,
    }
    # Newest first: an administrator usually asks what just happened.
    found = await page_by_id(
        session, AuditEvent, conditions, codec, page, scope_key, newest_first=True
    )
    return Page(
        items=[AuditEventPublic.model_validate(e, from_attributes=True) for e in found.rows],
        next_cursor=found.next_cursor,
        total=found.total,
    )
