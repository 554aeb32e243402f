from fastapi import APIRouter, status

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import problems
from app.models.account import UserCreate, UserPublic, UserUpdate
from app.pagination import CursorCodecDep, Page, PageDep
from app.routers.params import RecordId
from app.services import accounts

router = APIRouter(prefix="/users", tags=["users"])
UserId = RecordId


@router.get("", responses=problems(400))
async def list_users(
    session: SessionDep, caller: CallerDep, codec: CursorCodecDep, page: PageDep
) -> Page[UserPublic]:
    """The accounts within your region."""
    return await accounts.list_users(session, caller, codec, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problems(409))
async def create_user(session: SessionDep, caller: CallerDep, data: UserCreate) -> UserPublic:
    """Create an account within your region. A `cooperative` account is bound to one
    cooperative (`cooperative_id`)."""
    return await accounts.create_user(session, caller, data)


@router.get("/{user_id}", responses=problems(404))
async def get_user(session: SessionDep, caller: CallerDep, user_id: UserId) -> UserPublic:
    """One account."""
    return await accounts.get_user(session, caller, user_id)


@router.patch("/{user_id}", responses=problems(404))
async def update_user(
    session: SessionDep, caller: CallerDep, user_id: UserId, patch: UserUpdate
) -> UserPublic:
    """Change role, scope, cooperative or password, or disable the account. Disabling it or
    resetting the password ends its sessions."""
    return await accounts.update_user(session, caller, user_id, patch)
