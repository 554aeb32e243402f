"""The web app's pages: thin handlers that call the same services as the API and render them.

Every page is in the permission table (`app.access.permissions`) and goes through `authorize`
like an API route; a page that needs a login sends the browser to `/masuk` instead of a 401.
"""

from typing import Annotated

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from app.access.auth import CallerDep
from app.access.permissions import ROLE_PERMISSIONS, Permission
from app.core.db import SessionDep
from app.errors import Invalid, TooManyRequests, Unauthorized
from app.http.idempotency import WriterDep
from app.models.account import Role
from app.services import accounts
from app.web import i18n
from app.web.forms import PasswordChange, field_errors
from app.web.rendering import render
from app.web.routing import local_page, page_router, see_other
from app.web.session import begin, end, origin

router = page_router()


@router.get("/masuk")
async def login_page(request: Request, lanjut: str | None = None) -> Response:
    return render(request, "masuk.html", {"next": local_page(lanjut)})


@router.post("/masuk")
async def log_in(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    lanjut: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    state = request.app.state
    try:
        pair = await accounts.login(
            session,
            state.settings,
            state.login_limiter,
            origin(request),
            username=username,
            password=password,
        )
    except (Unauthorized, TooManyRequests) as refused:
        message = (
            i18n.gettext("Wrong username or password, or the account is disabled.")
            if isinstance(refused, Unauthorized)
            else i18n.gettext("Too many attempts. Wait a minute, then try again.")
        )
        return render(
            request,
            "masuk.html",
            {"next": local_page(lanjut), "username": username, "error": message},
            status_code=refused.status_code,
        )
    role = begin(request, pair)
    target = local_page(lanjut)
    if target == "/" and Permission.stats_read not in ROLE_PERMISSIONS[role]:
        # The morning table is the office's: a hub's coordinator starts at their hubs, a
        # cooperative at its account.
        target = "/peluncuran" if role is Role.coordinator else "/akun"
    return see_other(target)


@router.post("/keluar")
async def log_out(request: Request, session: SessionDep) -> Response:
    refresh_token = end(request)
    if refresh_token:
        await accounts.logout(
            session, request.app.state.login_checks, origin(request), refresh_token
        )
    return see_other("/masuk")


@router.get("/akun")
async def account_page(request: Request, caller: CallerDep, diubah: bool = False) -> Response:
    """`diubah`: the password has just been changed."""
    return render(request, "akun.html", {"changed": diubah})


@router.post("/akun")
async def change_password(
    request: Request,
    writer: WriterDep,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    repeat_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        change = PasswordChange(
            current_password=current_password,
            new_password=new_password,
            repeat_password=repeat_password,
        )
        state = request.app.state
        pair = await accounts.change_own_password(
            writer,
            state.settings,
            state.login_checks,
            current=change.current_password,
            new=change.new_password,
        )
    except (ValidationError, Invalid) as invalid:
        return render(request, "akun.html", {"errors": field_errors(invalid)}, status_code=422)
    begin(request, pair)
    return see_other("/akun?diubah=1")


@router.post("/bahasa")
async def choose_language(
    request: Request,
    bahasa: Annotated[str, Form(max_length=10)] = i18n.DEFAULT_LOCALE,
    lanjut: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    response = see_other(local_page(lanjut))
    if bahasa in i18n.LOCALES:
        # Remembered for a year, and across logins: it is the person's, not the session's.
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, bahasa, max_age=365 * 24 * 3600, httponly=True, samesite="lax"
        )
    return response
