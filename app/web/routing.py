"""What every page's routes share: the caller's language, the CSRF check on unsafe requests,
and the answers a form gets (a redirect after a write, a key that makes it safe to send twice)."""

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.http.idempotency import Writer
from app.http.json_bodies import StrictJSONRoute
from app.web import i18n
from app.web.session import require_csrf

IDEMPOTENCY_FIELD = "idempotency_key"


async def _speak_the_callers_language(request: Request) -> None:
    i18n.use(i18n.negotiate(request))


def page_router() -> APIRouter:
    return APIRouter(
        include_in_schema=False,
        # Pages take forms; a JSON body sent to one is read as strictly as the API's.
        route_class=StrictJSONRoute,
        dependencies=[Depends(_speak_the_callers_language), Depends(require_csrf)],
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_page(target: object) -> str:
    """Where to go next: only a page of this site (`/koperasi?…`), never another."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def new_idempotency_key() -> str:
    """Put in a form when it is drawn: sending the form twice (a double click, a retry after a
    dropped connection) sends the same key, and the write happens once."""
    return str(uuid.uuid4())


async def _form_writer(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: Annotated[str, Form(min_length=1, max_length=255)] = "",
) -> Writer:
    return Writer(session, caller, request, idempotency_key)


FormWriterDep = Annotated[Writer, Depends(_form_writer)]
"""The writer of a form whose write runs once per its `idempotency_key` field (`Writer.once`)."""


def answer_of(response: Response) -> Any:
    """What a `Writer.once` answer holds, the first time or replayed."""
    return json.loads(bytes(response.body))
