from typing import Annotated

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Form, Request, Response, status

from app.access.auth import CallerDep, describe
from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import no_store, with_no_store
from app.http.json_bodies import StrictJSONRoute
from app.models.account import LoginForm, Me, RefreshRequest, TokenPair
from app.services import accounts

router = APIRouter(prefix="/auth", tags=["auth"], route_class=StrictJSONRoute)


def _origin(request: Request) -> accounts.Origin:
    return accounts.Origin(
        request_id=correlation_id.get(),
        client_ip=request.client.host if request.client else None,
    )


@router.post("/token", responses=with_no_store(problems(401, 429)))
async def login(
    request: Request,
    response: Response,
    session: SessionDep,
    form: Annotated[LoginForm, Form()],
) -> TokenPair:
    """OAuth2 password login: a short-lived access token and a refresh token.

    Attempts are limited per account and per address; past the limit the answer is a 429 with
    `Retry-After`."""
    no_store(response)
    return await accounts.login(
        session,
        request.app.state.settings,
        request.app.state.login_limiter,
        _origin(request),
        username=form.username,
        password=form.password,
    )


@router.post("/refresh", responses=with_no_store(problems(401)))
async def refresh(
    request: Request, response: Response, session: SessionDep, body: RefreshRequest
) -> TokenPair:
    """A new token pair for a refresh token. Each refresh token works once; reusing one ends
    every session that descends from the same login."""
    no_store(response)
    state = request.app.state
    return await accounts.refresh(
        session, state.settings, state.login_checks, _origin(request), body.refresh_token
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, session: SessionDep, body: RefreshRequest) -> None:
    """Revoke a refresh token and every token issued from the same login, access tokens
    included."""
    await accounts.logout(
        session, request.app.state.login_checks, _origin(request), body.refresh_token
    )


@router.get("/me", responses=problems(401))
async def me(caller: CallerDep) -> Me:
    """Who the credentials belong to: role, region scope, cooperative and API scopes."""
    return describe(caller.principal)
