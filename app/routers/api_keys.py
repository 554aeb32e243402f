from fastapi import APIRouter, status

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import problems
from app.models.account import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.pagination import CursorCodecDep, Page, PageDep
from app.routers.params import RecordId
from app.services import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"])
KeyId = RecordId


@router.get("", responses=problems(400))
async def list_api_keys(
    session: SessionDep, caller: CallerDep, codec: CursorCodecDep, page: PageDep
) -> Page[ApiKeyPublic]:
    """The API keys within your region (never the keys themselves)."""
    return await api_keys.list_api_keys(session, caller, codec, page)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    session: SessionDep, caller: CallerDep, data: ApiKeyCreate
) -> ApiKeyCreated:
    """Create a key for another system. The response shows the key once; it is stored only
    as a hash. Send it as the `X-API-Key` header."""
    return await api_keys.create_api_key(session, caller, data)


@router.get("/{key_id}", responses=problems(404))
async def get_api_key(session: SessionDep, caller: CallerDep, key_id: KeyId) -> ApiKeyPublic:
    """One key's details, including when it was last used."""
    return await api_keys.get_api_key(session, caller, key_id)


@router.delete("/{key_id}", responses=problems(404))
async def revoke_api_key(session: SessionDep, caller: CallerDep, key_id: KeyId) -> ApiKeyPublic:
    """Revoke a key. It is refused from the next request on; the record stays for the trail."""
    return await api_keys.revoke_api_key(session, caller, key_id)
