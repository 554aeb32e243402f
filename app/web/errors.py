"""Errors on the web app's pages: the API's answer (`app.errors`), shown as a page.

The status and the detail come from the same handler as the API's problem details, so the two
never disagree; a page that needs a login sends the browser to `/masuk`, and comes back after.
"""

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.access.auth import is_web_page
from app.errors import N_
from app.web import i18n
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


def register(app: FastAPI) -> None:
    """Wrap every handler `app.errors.register` installed (call it after that)."""
    for exception, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(exception, _for_pages(handler))


def _for_pages(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        answered = handler(request, exc)
        response = await answered if inspect.isawaitable(answered) else answered
        if not is_web_page(request):
            return response
        if response.status_code == 401:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/masuk?lanjut={quote(path)}", status_code=303)
        i18n.use(i18n.negotiate(request))
        problem = json.loads(bytes(response.body))  # every handler of app.errors answers JSON
        title = _TITLES.get(response.status_code, _SOMETHING_WENT_WRONG)
        page = render(
            request,
            "error.html",
            {"title": i18n.gettext(title), "detail": i18n.gettext(problem.get("detail") or "")},
            status_code=response.status_code,
        )
        for name in ("Retry-After", "Allow"):
            if name in response.headers:
                page.headers[name] = response.headers[name]
        return page

    return handle
