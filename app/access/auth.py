"""Who is calling: bearer access tokens for people, API keys for other systems, and the web
app's session cookie for people at its pages.

`authorize` runs before every route. It looks the route up in `app.access.permissions`, refuses a
caller without the permission, and leaves a `Caller` for the services; `app.access.scope` tells
them which records exist for that caller.
"""

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from asgi_correlation_id import correlation_id
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.access.permissions import (
    API_SCOPE_PERMISSIONS,
    ROLE_PERMISSIONS,
    ROUTE_PERMISSIONS,
    Permission,
)
from app.access.security import api_key_id, decode_access_token, sha256_hex
from app.core.db import own_session, read_rows
from app.errors import Forbidden, Unauthorized
from app.models.account import ApiKey, ApiScope, Me, RefreshToken, Role, UserAccount
from app.models.common import utcnow
from app.settings import Settings

API_KEY_HEADER = "X-API-Key"
# The web app's session (Starlette's signed cookie) holds its login under this key: the account
# and the refresh family `accounts.login` opened for it.
WEB_LOGIN = "login"
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: int
    name: str
    role: Role
    region_scope: str
    cooperative_id: int | None
    api_scopes: frozenset[ApiScope]
    permissions: frozenset[Permission]

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a request, with what the audit trail needs."""

    principal: Principal
    request_id: str | None
    client_ip: str | None

    @property
    def role(self) -> Role:
        return self.principal.role


def describe(principal: Principal) -> Me:
    return Me(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        role=principal.role,
        region_scope=principal.region_scope,
        cooperative_id=principal.cooperative_id,
        api_scopes=sorted(principal.api_scopes, key=list(ApiScope).index),
    )


def unbound_cooperative_account() -> Forbidden:
    return Forbidden(
        "this cooperative account is bound to no cooperative (its cooperative was removed); "
        "ask the office to bind it to one"
    )


def user_principal(claims: dict[str, Any]) -> Principal:
    role = Role(claims["role"])
    return Principal(
        kind="user",
        id=int(claims["sub"]),
        name=claims["name"],
        role=role,
        region_scope=claims["scope"],
        cooperative_id=claims.get("coop"),
        api_scopes=frozenset(),
        permissions=ROLE_PERMISSIONS[role],
    )


@dataclass(frozen=True)
class _VerifiedToken:
    principal: Principal
    account_version: int
    family: str  # the refresh-token family of the login the token was issued to
    expires: float  # Unix time


def verified_tokens(settings: Settings) -> TTLCache[str, _VerifiedToken]:
    """Access tokens this worker has verified. Checking a token's signature and claims cost
    about a sixth of a hot read, and a verified token stays good until it expires; whether its
    login still holds is checked on every request (`LoginChecks`)."""
    return TTLCache(maxsize=10_000, ttl=settings.access_token_minutes * 60)


async def _from_bearer(request: Request, token: str) -> Principal:
    state = request.app.state
    cache: TTLCache[str, _VerifiedToken] = state.verified_tokens
    verified = cache.get(token)
    if verified is None or verified.expires <= time.time():
        verified = _verify(token, state.settings.secret_key.get_secret_value())
        cache[token] = verified
    if not await state.login_checks.holds(state.autocommit_engine, verified):
        raise Unauthorized(
            "this login has ended: you logged out, or the account changed or was disabled; "
            "log in again"
        )
    return verified.principal


def _verify(token: str, secret: str) -> _VerifiedToken:
    try:
        claims = decode_access_token(token, secret)
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        version, family = claims["ver"], claims["fam"]
        if type(version) is not int or not isinstance(family, str):
            raise jwt.InvalidTokenError("no account version or login")
        return _VerifiedToken(user_principal(claims), version, family, float(claims["exp"]))
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise Unauthorized("the access token is invalid or expired; log in again") from None


@dataclass(frozen=True)
class _Login:
    account_version: int  # 0 when the account is gone
    live: bool  # its refresh family still holds an unrevoked token


# Both in one round trip. Only a family's newest refresh token is ever unrevoked, and a
# logout or a reused refresh token revokes that one too.
_LOGIN = select(
    col(UserAccount.token_version),
    select(col(RefreshToken.id))
    .where(col(RefreshToken.family) == bindparam("family"), col(RefreshToken.revoked_at).is_(None))
    .exists()
    .label("live"),
).where(col(UserAccount.id) == bindparam("user_id"))


class LoginChecks:
    """Whether the login an access token was issued to still holds: the account has the
    version the token carries (no new password, role, scope, cooperative or active flag since),
    and the login's refresh family is not revoked (no logout, no reused refresh token).

    Each worker looks at a login at most once per `account_check_seconds`, so that hot reads do
    not each pay a database round trip: a change made through another worker takes effect
    within that window, one made through this worker at once (it `forget`s what it saw)."""

    def __init__(self, seconds: float) -> None:
        self._seen: TTLCache[tuple[int, str], _Login] | None = (
            TTLCache(maxsize=100_000, ttl=seconds) if seconds > 0 else None
        )

    async def holds(self, engine: AsyncEngine, token: _VerifiedToken) -> bool:
        key = (token.principal.id, token.family)
        seen = self._seen.get(key) if self._seen is not None else None
        # A token newer than what this worker saw was issued after a change it has not seen
        # yet (a new password, then a login): look again rather than refuse it.
        if seen is None or seen.account_version < token.account_version:
            rows = await read_rows(engine, _LOGIN, {"user_id": key[0], "family": key[1]})
            seen = (
                _Login(rows[0]["token_version"], bool(rows[0]["live"]))
                if rows
                else _Login(0, False)
            )
            if self._seen is not None:
                self._seen[key] = seen
        return seen.live and seen.account_version == token.account_version

    def forget(self, user_id: int, family: str | None = None) -> None:
        """Look again at the account's login `family`, or at all its logins, on their next
        request: this worker has just ended it or changed the account."""
        if self._seen is not None:
            for key in [k for k in self._seen if k[0] == user_id]:
                if family is None or key[1] == family:
                    self._seen.pop(key, None)


async def _from_api_key(request: Request, key: str) -> Principal:
    key_id = api_key_id(key)
    refused = Unauthorized("the API key is unknown, revoked or expired")
    if key_id is None:
        raise refused
    now = utcnow()
    async with own_session(request.app.state.engine) as session:
        api_key = await session.scalar(select(ApiKey).where(col(ApiKey.key_id) == key_id))
        if (
            api_key is None
            or api_key.revoked_at is not None
            or (api_key.expires_at is not None and api_key.expires_at <= now)
            or not _same_hash(sha256_hex(key), api_key.key_hash)
        ):
            raise refused
        assert api_key.id is not None  # a stored row
        if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
            await session.execute(
                update(ApiKey).where(col(ApiKey.id) == api_key.id).values(last_used_at=now)
            )
            await session.commit()
    scopes = frozenset(ApiScope(s) for s in api_key.scopes.split(",") if s)
    return Principal(
        kind="api_key",
        id=api_key.id,
        name=api_key.key_id,
        role=Role.integration,
        region_scope=api_key.region_scope,
        cooperative_id=None,
        api_scopes=scopes,
        permissions=frozenset().union(*(API_SCOPE_PERMISSIONS[s] for s in scopes)),
    )


def _same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


async def _from_web_login(request: Request) -> Principal:
    """The principal of a web page's session: its login must hold as an access token's does (the
    same `LoginChecks`), and the account is read afresh, so that a new role or scope shows at
    the next page."""
    login = request.session.get(WEB_LOGIN)
    if not isinstance(login, dict):
        raise Unauthorized("log in first")
    rows = await read_rows(request.app.state.autocommit_engine, _ACCOUNT, {"id": login["user"]})
    if not rows or not rows[0]["is_active"]:
        raise Unauthorized("the account is disabled; log in again")
    account = rows[0]
    principal = user_principal(
        {
            "sub": account["id"],
            "name": account["username"],
            "role": account["role"],
            "scope": account["region_scope"],
            "coop": account["cooperative_id"],
        }
    )
    verified = _VerifiedToken(principal, login["version"], login["family"], expires=0)
    if not await request.app.state.login_checks.holds(
        request.app.state.autocommit_engine, verified
    ):
        raise Unauthorized(
            "this login has ended: you logged out, or the account changed; log in again"
        )
    return principal


_ACCOUNT = select(
    col(UserAccount.id),
    col(UserAccount.username),
    col(UserAccount.role),
    col(UserAccount.region_scope),
    col(UserAccount.cooperative_id),
    col(UserAccount.is_active),
).where(col(UserAccount.id) == bindparam("id"))


def is_web_page(request: Request) -> bool:
    """A page of the web app, rather than the API, its documents or the probes."""
    path = request.url.path
    return not path.startswith(("/api/", "/docs", "/redoc", "/openapi.json", "/static/")) and (
        path not in ("/healthz", "/readyz", "/metrics")
    )


async def authenticate(request: Request) -> Principal:
    if is_web_page(request):
        # Pages take only the session cookie, and the API never does: the API's callers hold
        # no CSRF token, so a cookie must never speak for them.
        return await _from_web_login(request)
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    api_key = request.headers.get(API_KEY_HEADER)
    if authorization and api_key:
        raise Unauthorized("send either a bearer token or an API key, not both")
    if scheme.lower() == "bearer" and token:
        return await _from_bearer(request, token.strip())
    if api_key:
        return await _from_api_key(request, api_key.strip())
    raise Unauthorized(
        "log in first: send `Authorization: Bearer <access token>` or `X-API-Key: <key>`"
    )


def route_permission(method: str, path: str) -> Permission | None:
    return ROUTE_PERMISSIONS.get(("GET" if method == "HEAD" else method, path))


def route_template(app: FastAPI, route: APIRoute) -> str:
    """The full path template (`/api/v1/cooperatives/{cooperative_id}`) of a matched route;
    FastAPI keeps included routes with their own, prefix-less path."""
    # Keyed by identity: routes compare by value and are not hashable.
    templates: dict[int, str] = app.state.__dict__.setdefault("route_templates", {})
    if id(route) not in templates:
        templates.update(
            (id(context.original_route), context.path_format or "")
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
        )
    return templates[id(route)]


async def authorize(request: Request) -> None:
    path = route_template(request.app, request.scope["route"])
    permission = route_permission(request.method, path)
    if permission is None:
        # Every route must be in the table (a test checks); refuse rather than guess.
        raise Forbidden("this operation has no permission declared")
    if permission is Permission.public:
        return
    principal = await authenticate(request)
    if principal.role is Role.cooperative and principal.cooperative_id is None:
        # Checked before the permission, so that every route gives it the same answer.
        raise unbound_cooperative_account()
    if permission is not Permission.authenticated and permission not in principal.permissions:
        raise Forbidden(
            "your role ({role}) may not do this ({permission})",
            params={"role": principal.role, "permission": permission},
        )
    request.state.caller = Caller(
        principal=principal,
        request_id=correlation_id.get(),
        client_ip=request.client.host if request.client else None,
    )


async def get_caller(request: Request) -> Caller:
    return request.state.caller


CallerDep = Annotated[Caller, Depends(get_caller)]
