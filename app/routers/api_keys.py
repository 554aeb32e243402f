from fastapi import APIRouter, Response, status

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import (
    NOT_MODIFIED,
    PRECONDITIONS,
    IfMatchHeader,
    IfNoneMatchHeader,
    no_store,
    represent,
    with_etag,
    with_no_store,
)
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.models.account import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.routers.params import RecordId
from app.services import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"], route_class=StrictJSONRoute)
# Not `key_id`: that is the name of the key's public hex id in its representation.
ApiKeyId = RecordId


@router.get("", responses=problems(400))
async def list_api_keys(
    session: SessionDep, caller: CallerDep, codec: CursorCodecDep, page: PageDep
) -> Page[ApiKeyPublic]:
    """The API keys within your region (never the keys themselves)."""
    return await api_keys.list_api_keys(session, caller, codec, page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=with_no_store(idempotent(201, etag=True), 201),
)
async def create_api_key(writer: IdempotentWriterDep, data: ApiKeyCreate) -> Response:
    """Create a key for another system. The response shows the key once; it is stored only
    as a hash. Send it as the `X-API-Key` header.

    A retry with the same Idempotency-Key answers with the key's details but **without**
    `key`: the secret is never stored, not even for replays. If you lost the first answer,
    revoke that key (its `id` is in the replay) and create a new one."""
    response = await writer.once(
        status.HTTP_201_CREATED, api_keys.create_api_key(writer, data), etag=True
    )
    no_store(response)
    return response


@router.get(
    "/{api_key_id}",
    response_model=ApiKeyPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_api_key(
    session: SessionDep,
    caller: CallerDep,
    api_key_id: ApiKeyId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One key's details, including when it was last used (which changes its `ETag`, at most
    once a minute). The `ETag` goes in `If-Match` to revoke it."""
    return represent(await api_keys.get_api_key(session, caller, api_key_id), if_none_match)


@router.delete(
    "/{api_key_id}",
    response_model=ApiKeyPublic,
    responses={**problems(404), **PRECONDITIONS, **with_etag()},
)
async def revoke_api_key(
    writer: WriterDep, api_key_id: ApiKeyId, if_match: IfMatchHeader = None
) -> Response:
    """Revoke a key. It is refused from the next request on; the record stays for the trail."""
    return represent(await api_keys.revoke_api_key(writer, api_key_id, if_match=if_match))
