from fastapi import APIRouter, Request, Response, status

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import (
    NOT_MODIFIED,
    PRECONDITIONS,
    IfMatchHeader,
    IfNoneMatchHeader,
    represent,
    with_etag,
)
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.models.account import UserCreate, UserPublic, UserUpdate
from app.routers.params import RecordId
from app.services import accounts

router = APIRouter(prefix="/users", tags=["users"], route_class=StrictJSONRoute)
UserId = RecordId


@router.get("", responses=problems(400))
async def list_users(
    session: SessionDep, caller: CallerDep, codec: CursorCodecDep, page: PageDep
) -> Page[UserPublic]:
    """The accounts within your region."""
    return await accounts.list_users(session, caller, codec, page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=idempotent(201, etag=True),
)
async def create_user(writer: IdempotentWriterDep, data: UserCreate) -> Response:
    """Create an account within your region. A `cooperative` account is bound to one
    cooperative (`cooperative_id`)."""
    return await writer.once(status.HTTP_201_CREATED, accounts.create_user(writer, data), etag=True)


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_user(
    session: SessionDep,
    caller: CallerDep,
    user_id: UserId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One account. Its `ETag` goes in `If-Match` to change it."""
    return represent(await accounts.get_user(session, caller, user_id), if_none_match)


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    responses={**problems(404), **PRECONDITIONS, **with_etag()},
)
async def update_user(
    writer: WriterDep,
    request: Request,
    user_id: UserId,
    patch: UserUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change role, scope, cooperative or password, or disable the account. Disabling it or
    resetting the password ends its sessions."""
    logins = request.app.state.login_checks
    return represent(await accounts.update_user(writer, logins, user_id, patch, if_match=if_match))
