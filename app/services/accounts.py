"""Logging in, refresh-token rotation, and the user accounts an administrator manages."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller, LoginChecks
from app.access.rate_limits import RateLimit
from app.access.scope import check_grantable_scope, credentials_in_caller_scope, lies_within
from app.access.security import (
    hash_password,
    issue_access_token,
    new_refresh_token,
    new_token_family,
    sha256_hex,
    verify_password,
)
from app.core.sql import rowcount
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.observability import LOGINS_FAILED
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.account import (
    RefreshToken,
    Role,
    TokenPair,
    UserAccount,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.models.common import utcnow
from app.models.cooperative import Cooperative
from app.services import audit
from app.settings import Settings


class LoginLimiter:
    """Counts login attempts per account and per client address, across workers via Redis."""

    def __init__(self, limiter: MovingWindowRateLimiter, attempts_per_minute: int) -> None:
        self._per_account = RateLimit(limiter, RateLimitItemPerMinute(attempts_per_minute), "login")
        # A whole office often shares one address behind its router: allow it ten accounts' worth.
        self._per_address = RateLimit(
            limiter, RateLimitItemPerMinute(attempts_per_minute * 10), "login"
        )

    async def check(self, username: str, client_ip: str | None) -> None:
        for limit, key in (
            (self._per_account, f"user:{username.lower()}"),
            (self._per_address, f"ip:{client_ip}"),
        ):
            wait = await limit.hit(key)
            if wait is not None:
                raise TooManyRequests(
                    "too many login attempts; wait before trying again", retry_after=wait
                )


def access_claims(user: UserAccount) -> dict[str, object]:
    return {
        "sub": str(user.id),
        "typ": "access",
        "name": user.username,
        "role": user.role,
        "scope": user.region_scope,
        "coop": user.cooperative_id,
        "ver": user.token_version,
    }


async def open_login(session: AsyncSession, settings: Settings, user: UserAccount) -> TokenPair:
    """The first token pair of a new login (a refresh family of its own), once the user has
    proved who they are."""
    return await _issue(session, settings, user, new_token_family())


async def _issue(
    session: AsyncSession, settings: Settings, user: UserAccount, family: str
) -> TokenPair:
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=cast(int, user.id),  # a stored account
            token_hash=sha256_hex(refresh),
            family=family,
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.commit()
    return TokenPair(
        access_token=issue_access_token(
            # The family binds the access token to its login: ending the login ends it too.
            {**access_claims(user), "fam": family},
            settings.secret_key.get_secret_value(),
            settings.access_token_minutes,
        ),
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh,
    )


@dataclass(frozen=True)
class Origin:
    """Where a login or refresh came from, for the audit trail."""

    request_id: str | None
    client_ip: str | None


def _sign_in_event(
    session: AsyncSession,
    origin: Origin,
    action: str,
    user: UserAccount | None,
    username: str,
    outcome: str = "success",
) -> None:
    audit.record_sign_in(
        session,
        action=action,
        username=username,
        outcome=outcome,
        role=user.role if user else "unknown",
        region_code=user.region_scope if user else "",
        request_id=origin.request_id,
        client_ip=origin.client_ip,
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    limiter: LoginLimiter,
    origin: Origin,
    *,
    username: str,
    password: str,
) -> TokenPair:
    await limiter.check(username, origin.client_ip)
    user = await session.scalar(select(UserAccount).where(col(UserAccount.username) == username))
    if not verify_password(password, user.password_hash if user else None) or not (
        user and user.is_active
    ):
        # Failed attempts are evidence too: recorded on their own, as nothing else is written.
        typed = username if user else _unknown_username(username)
        _sign_in_event(session, origin, "auth.login", user, typed, outcome="failure")
        await session.commit()
        LOGINS_FAILED.inc()
        raise Unauthorized("wrong username or password, or the account is disabled")
    _sign_in_event(session, origin, "auth.login", user, username)
    return await open_login(session, settings, user)


def _unknown_username(typed: str) -> str:
    """What the trail keeps of a username that is no account's: it may be a NIK or a password
    typed into the wrong field, so only enough to recognise it (`64***`). No account's name
    holds a `*`."""
    return typed[:2] + "***"


async def refresh(
    session: AsyncSession, settings: Settings, logins: LoginChecks, origin: Origin, token: str
) -> TokenPair:
    """Exchange a refresh token for a new pair. Each refresh token works once."""
    stored = await session.scalar(
        select(RefreshToken).where(col(RefreshToken.token_hash) == sha256_hex(token))
    )
    now = utcnow()
    refused = Unauthorized("the refresh token is invalid, expired or revoked; log in again")
    if stored is None:
        raise refused
    if stored.revoked_at is not None:
        # A used token presented again: someone holds a copy. End the whole family.
        await _end_login(session, logins, stored.user_id, stored.family)
        raise refused
    user = await session.get(UserAccount, stored.user_id)
    if stored.expires_at <= now or user is None or not user.is_active:
        raise refused
    # Claim the token with a conditional update: of two requests racing with the same token,
    # exactly one wins; the other is a reuse and ends the family.
    claimed = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == stored.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    if rowcount(claimed) != 1:
        user_id, family = stored.user_id, stored.family  # read before the rollback expires them
        await session.rollback()
        await _end_login(session, logins, user_id, family)
        raise refused
    _sign_in_event(session, origin, "auth.refresh", user, user.username)
    return await _issue(session, settings, user, stored.family)


async def logout(session: AsyncSession, logins: LoginChecks, origin: Origin, token: str) -> None:
    stored = await session.scalar(
        select(RefreshToken).where(col(RefreshToken.token_hash) == sha256_hex(token))
    )
    if stored is not None:
        user = await session.get(UserAccount, stored.user_id)
        if user is not None:
            _sign_in_event(session, origin, "auth.logout", user, user.username)
        await _end_login(session, logins, stored.user_id, stored.family)


async def _end_login(session: AsyncSession, logins: LoginChecks, user_id: int, family: str) -> None:
    """Revoke the login's refresh tokens (and so its access tokens), and commit."""
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family) == family, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    await session.commit()
    logins.forget(user_id, family)


# --- user management --------------------------------------------------------------------------


def _public(user: UserAccount) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def _scope_conditions(caller: Caller) -> list[Any]:
    return credentials_in_caller_scope(caller, UserAccount)


async def _require_user(session: AsyncSession, caller: Caller, user_id: int) -> UserAccount:
    """The account, if it lies within the caller's scope."""
    user = await session.scalar(
        select(UserAccount).where(col(UserAccount.id) == user_id, *_scope_conditions(caller))
    )
    return _found(user, user_id)


def _found(user: UserAccount | None, user_id: int) -> UserAccount:
    if user is None:
        raise NotFound("user {user_id} does not exist", params={"user_id": user_id})
    return user


async def _check_assignment(
    writer: Writer, *, role: Role, scope: str, cooperative_id: int | None
) -> None:
    caller = writer.caller
    check_grantable_scope(caller, scope)
    if role is Role.integration:
        raise Invalid.field(["body", "role"], "integrations use API keys, not user accounts")
    if role is Role.cooperative:
        # Locked against its removal, which would otherwise fail the insert.
        cooperative = cooperative_id and await writer.lock(Cooperative, cooperative_id, shared=True)
        if not cooperative or not lies_within(cooperative.village_code, scope):
            raise Invalid.field(
                ["body", "cooperative_id"],
                "a cooperative account needs a cooperative within its region scope",
            )
    elif cooperative_id is not None:
        raise Invalid.field(["body", "cooperative_id"], "only cooperative accounts are bound")


async def list_users(
    session: AsyncSession, caller: Caller, codec: CursorCodec, page: PageParams
) -> Page[UserPublic]:
    found = await page_by_id(
        session, UserAccount, _scope_conditions(caller), codec, page, {"list": "users"}
    )
    return Page(
        items=[_public(u) for u in found.rows], next_cursor=found.next_cursor, total=found.total
    )


async def get_user(session: AsyncSession, caller: Caller, user_id: int) -> UserPublic:
    return _public(await _require_user(session, caller, user_id))


async def create_user(writer: Writer, data: UserCreate) -> UserPublic:
    session, caller = writer.session, writer.caller
    await _check_assignment(
        writer, role=data.role, scope=data.region_scope, cooperative_id=data.cooperative_id
    )
    user = UserAccount(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role.value,
        region_scope=data.region_scope,
        cooperative_id=data.cooperative_id,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "the username {username!r} is taken", params={"username": data.username}
        ) from None
    public = _public(user)
    audit.record(
        session,
        caller,
        action="user.create",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_scope,
        after=public,
    )
    await writer.record(public)
    await writer.commit()
    return public


def _token_material(user: UserAccount) -> tuple[object, ...]:
    """What access tokens rely on: a change to any of it must end them."""
    return (user.password_hash, user.role, user.region_scope, user.cooperative_id, user.is_active)


async def update_user(
    writer: Writer,
    logins: LoginChecks,
    user_id: int,
    patch: UserUpdate,
    *,
    if_match: str | None,
) -> UserPublic:
    session, caller = writer.session, writer.caller
    user = _found(await writer.lock(UserAccount, user_id, *_scope_conditions(caller)), user_id)
    before, material = _public(user), _token_material(user)
    changes = patch.model_dump(exclude_unset=True)
    require_if_match(if_match, before, "account")
    role = Role(changes.get("role", user.role))
    scope = changes.get("region_scope", user.region_scope)
    cooperative_id = changes.get("cooperative_id", user.cooperative_id)
    if role is not Role.cooperative and "cooperative_id" not in changes:
        cooperative_id = None
    await _check_assignment(writer, role=role, scope=scope, cooperative_id=cooperative_id)
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    user.sqlmodel_update({**changes, "role": role.value, "cooperative_id": cooperative_id})
    user.updated_at = utcnow()
    ended = _token_material(user) != material
    if ended:
        # Only ever up: re-enabling an account, or setting its old role back, does not
        # revive the tokens of before.
        user.token_version += 1
    if user.is_active is False or "password" in patch.model_fields_set:
        # A disabled account or a reset password ends every session the account had.
        await _end_sessions(session, user)
    after = _public(user)
    audit.record(
        session,
        caller,
        action="user.update",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_scope,
        before=before,
        after=after,
    )
    await writer.commit()
    if ended:
        logins.forget(user_id)
    return after


async def change_own_password(
    writer: Writer, settings: Settings, logins: LoginChecks, *, current: str, new: str
) -> TokenPair:
    """The caller's new password, once they have typed their current one. Like a reset, it ends
    every login the account had; the caller gets a new one, and stays logged in."""
    session, caller = writer.session, writer.caller
    user = await writer.lock(UserAccount, caller.principal.id)
    if user is None or caller.principal.kind != "user":
        raise Forbidden("only a person's account has a password")
    if not verify_password(current, user.password_hash):
        raise Invalid.field(["body", "current_password"], "the current password is not right")
    if new == current:
        raise Invalid.field(["body", "new_password"], "the new password is the current one")
    user.password_hash = hash_password(new)
    user.updated_at = utcnow()
    user.token_version += 1
    await _end_sessions(session, user)
    audit.record(
        session,
        caller,
        action="user.password_change",
        resource_type="user",
        resource_id=user.id,
        region_code=user.region_scope,
    )
    pair = await open_login(session, settings, user)  # commits the change with the new login
    logins.forget(caller.principal.id)
    return pair


async def disable_accounts_bound_to(
    session: AsyncSession, caller: Caller, cooperative_id: int
) -> list[int]:
    """Disable the accounts of a cooperative that is being removed, in the caller's
    transaction, and return their ids (for `LoginChecks.forget` once it commits). Left
    enabled, they would keep the `cooperative` role and lose their binding (the foreign key
    clears it): an account that belongs to no cooperative."""
    bound = await session.scalars(
        select(UserAccount)
        .where(
            col(UserAccount.cooperative_id) == cooperative_id, col(UserAccount.is_active).is_(True)
        )
        .order_by(col(UserAccount.id))
        .with_for_update()
    )
    disabled: list[int] = []
    for user in bound:
        before = _public(user)
        user.is_active = False
        user.token_version += 1
        user.updated_at = utcnow()
        await _end_sessions(session, user)
        disabled.append(cast(int, user.id))  # a stored account
        audit.record(
            session,
            caller,
            action="user.update",
            resource_type="user",
            resource_id=user.id,
            region_code=user.region_scope,
            before=before,
            after=_public(user),
        )
    return disabled


async def _end_sessions(session: AsyncSession, user: UserAccount) -> None:
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def create_account(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    region_scope: str,
    cooperative_id: int | None = None,
    is_demo: bool = False,
) -> UserAccount:
    """For the command line (bootstrap and demo accounts), where there is no caller yet."""
    user = UserAccount(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        region_scope=region_scope,
        cooperative_id=cooperative_id,
        is_demo=is_demo,
    )
    session.add(user)
    await session.commit()
    return user
