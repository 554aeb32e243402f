"""API keys for other government systems: random, shown once, stored hashed, scoped."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import check_grantable_scope, credentials_in_caller_scope
from app.access.security import new_api_key, sha256_hex
from app.errors import Invalid, NotFound
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.account import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiScope
from app.models.common import utcnow
from app.services import audit


def _public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.id,
        name=key.name,
        key_id=key.key_id,
        scopes=[ApiScope(s) for s in key.scopes.split(",") if s],
        region_scope=key.region_scope,
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


def _scope_conditions(caller: Caller) -> list[Any]:
    return credentials_in_caller_scope(caller, ApiKey)


async def _require(session: AsyncSession, caller: Caller, key_id: int) -> ApiKey:
    key = await session.scalar(
        select(ApiKey).where(col(ApiKey.id) == key_id, *_scope_conditions(caller))
    )
    return _found(key, key_id)


def _found(key: ApiKey | None, key_id: int) -> ApiKey:
    if key is None:
        raise NotFound("API key {key_id} does not exist", params={"key_id": key_id})
    return key


async def list_api_keys(
    session: AsyncSession, caller: Caller, codec: CursorCodec, page: PageParams
) -> Page[ApiKeyPublic]:
    found = await page_by_id(
        session, ApiKey, _scope_conditions(caller), codec, page, {"list": "api_keys"}
    )
    return Page(
        items=[_public(k) for k in found.rows], next_cursor=found.next_cursor, total=found.total
    )


async def get_api_key(session: AsyncSession, caller: Caller, key_id: int) -> ApiKeyPublic:
    return _public(await _require(session, caller, key_id))


async def create_api_key(writer: Writer, data: ApiKeyCreate) -> ApiKeyCreated:
    """A new key, its secret in the answer only. A retry with the same Idempotency-Key gets
    the key's details without `key`: the stored answer is kept in clear text for 30 days, so
    it must not hold the secret. A client that lost the first answer revokes that key (its
    `id` is in the replay) and creates another."""
    session, caller = writer.session, writer.caller
    check_grantable_scope(caller, data.region_scope)
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise Invalid.field(["body", "expires_at"], "must be in the future")
    secret = new_api_key()
    scopes = sorted(set(data.scopes), key=list(ApiScope).index)
    key = ApiKey(
        name=data.name,
        key_id=secret.key_id,
        key_hash=sha256_hex(secret.key),
        scopes=",".join(scopes),
        region_scope=data.region_scope,
        created_by=caller.principal.id if caller.principal.kind == "user" else None,
        expires_at=data.expires_at,
    )
    session.add(key)
    await session.flush()
    public = _public(key)
    audit.record(
        session,
        caller,
        action="api_key.create",
        resource_type="api_key",
        resource_id=key.id,
        region_code=key.region_scope,
        after=public,
    )
    await writer.record(public)
    await writer.commit()
    return ApiKeyCreated(**public.model_dump(), key=secret.key)


async def revoke_api_key(writer: Writer, key_id: int, *, if_match: str | None) -> ApiKeyPublic:
    session, caller = writer.session, writer.caller
    key = _found(await writer.lock(ApiKey, key_id, *_scope_conditions(caller)), key_id)
    require_if_match(if_match, _public(key), "API key")
    if key.revoked_at is None:
        before = _public(key)
        key.revoked_at = utcnow()
        audit.record(
            session,
            caller,
            action="api_key.revoke",
            resource_type="api_key",
            resource_id=key.id,
            region_code=key.region_scope,
            before=before,
            after=_public(key),
        )
        await writer.commit()
    return _public(key)
