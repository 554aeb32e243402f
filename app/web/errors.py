"""Errors in the reader's language: the API's problem details when `Accept-Language` asks for
Indonesian, and the web app's error pages.

Both take their status and words from the handlers of `app.errors`, so that they never
disagree. The problem's `type` stays as it is in every language (clients compare it); `title`
and `detail` are translated from the catalogs. A page that needs a login sends the browser to
`/masuk`, and comes back after.
"""

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.access.auth import is_web_page
from app.core.spreadsheets import said
from app.errors import N_, AppError
from app.web import i18n
from app.web.forms import message
from app.web.rendering import render

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_TITLES = {
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Page not found"),
    413: N_("The form is too large"),
    422: N_("Check what you typed"),
    429: N_("Too many requests"),
    503: N_("The service is busy"),
}
_SOMETHING_WENT_WRONG = N_("Something went wrong")
# As many field errors as the API's own detail names (app.errors).
_NAMED_ERRORS = 5


def register(app: FastAPI) -> None:
    """Wrap every handler `app.errors.register` installed (call it after that)."""
    for exception, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(exception, _in_the_readers_language(handler))


def _in_the_readers_language(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        answered = handler(request, exc)
        response = await answered if inspect.isawaitable(answered) else answered
        if is_web_page(request):
            return _page(request, exc, response)
        response.headers.append("Vary", "Accept-Language")
        locale = i18n.asked_for(request)
        if locale is None or locale == "en":
            return response  # the API speaks English unless asked otherwise
        i18n.use(locale)
        problem = json.loads(bytes(response.body))  # every handler of app.errors answers JSON
        problem["title"] = i18n.gettext(problem["title"])
        detail = _detail(exc, problem)
        if detail:
            problem["detail"] = detail
        if isinstance(exc, AppError) and exc.errors and "errors" in problem:
            # A refused file's problems, each in the reader's language.
            for shown, error in zip(problem["errors"], exc.errors, strict=True):
                if "message" in error:
                    shown["msg"] = said(error, i18n.gettext)
        translated = JSONResponse(
            problem, status_code=response.status_code, media_type=response.media_type
        )
        translated.headers.update(
            {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        )
        return translated

    return handle


def _detail(exc: Any, problem: dict[str, Any]) -> str | None:
    """The problem's detail in the current language."""
    # FastAPI wraps an error raised while it reads the body; app.errors answers with ours.
    wrapped = isinstance(exc, StarletteHTTPException) and isinstance(exc.__cause__, AppError)
    cause = exc.__cause__ if wrapped else exc
    if isinstance(cause, AppError):
        return cause.reworded(i18n.gettext)
    if isinstance(exc, RequestValidationError):
        return "; ".join(
            ".".join(map(str, error["loc"])) + ": " + message(error)
            for error in exc.errors()[:_NAMED_ERRORS]
        )
    detail = problem.get("detail")
    return i18n.gettext(detail) if detail else None


def _page(request: Request, exc: Any, response: Response) -> Response:
    if response.status_code == 401:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/masuk?lanjut={quote(path)}", status_code=303)
    i18n.use(i18n.negotiate(request))
    problem = json.loads(bytes(response.body))
    title = _TITLES.get(response.status_code, _SOMETHING_WENT_WRONG)
    page = render(
        request,
        "error.html",
        {"title": i18n.gettext(title), "detail": _detail(exc, problem) or ""},
        status_code=response.status_code,
    )
    for name in ("Retry-After", "Allow"):
        if name in response.headers:
            page.headers[name] = response.headers[name]
    return page
