"""RFC 9457 problem details for every error the API returns."""

import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any, Self

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("kopdes.errors")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


def N_(message: str) -> str:
    """Marks a message for the web app's catalogs (`make i18n-update` extracts it), so that a
    page can show it in the reader's language."""
    return message


class AppError(Exception):
    """An answer the API gives as problem details.

    `detail` is an English sentence and, as written, a message of the web app's catalogs (the
    argument of every raise is a literal: `make i18n-update` extracts it, and a test refuses an
    f-string). The values it names come in `params`, as `{name}` fields: then a reader who asks
    for Indonesian gets the same sentence translated, with the same values."""

    status_code = 500
    slug = "internal-error"
    title = N_("Internal server error")

    def __init__(
        self,
        detail: str,
        *,
        params: Mapping[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.message = detail
        self.params = dict(params or {})
        self.location: str | None = None  # `field` sets it: the field the message is about
        self.detail = self.reworded(_as_written)
        super().__init__(self.detail)
        self.errors = errors
        self.headers = headers
        self.extensions = extensions

    @classmethod
    def field(
        cls,
        loc: list[str | int],
        msg: str,
        type_: str = "value_error",
        *,
        params: Mapping[str, Any] | None = None,
    ) -> Self:
        """The error of one field, named in `detail` and in `errors`."""
        error = cls(msg, params=params)
        error.location = ".".join(str(part) for part in loc)
        error.errors = [{"loc": loc, "msg": error.detail, "type": type_}]
        error.detail = error.reworded(_as_written)
        return error

    def reworded(self, translate: Callable[[str], str]) -> str:
        """`detail` in the words `translate` gives its message (`gettext`)."""
        said = self.said(translate)
        return f"{self.location}: {said}" if self.location else said

    def said(self, translate: Callable[[str], str]) -> str:
        """The message with its values, without the field it is about."""
        words = translate(self.message)
        return words.format_map(self.params) if self.params else words


def _as_written(message: str) -> str:
    return message


class BadRequest(AppError):
    status_code = 400
    slug = "bad-request"
    title = N_("Bad request")


class Unauthorized(AppError):
    status_code = 401
    slug = "unauthorized"
    title = N_("Unauthorized")

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    slug = "forbidden"
    title = N_("Forbidden")


class NotFound(AppError):
    status_code = 404
    slug = "not-found"
    title = N_("Not found")


class Conflict(AppError):
    status_code = 409
    slug = "conflict"
    title = N_("Conflict")


class PreconditionFailed(AppError):
    status_code = 412
    slug = "precondition-failed"
    title = N_("Precondition failed")


class PreconditionRequired(AppError):
    status_code = 428
    slug = "precondition-required"
    title = N_("Precondition required")


class UnsupportedMediaType(AppError):
    status_code = 415
    slug = "unsupported-media-type"
    title = N_("Unsupported media type")


class Invalid(AppError):
    """A well-formed request whose content breaks a rule; ``errors`` names the fields."""

    status_code = 422
    slug = "validation-error"
    title = N_("Invalid request")


class TooManyRequests(AppError):
    status_code = 429
    slug = "too-many-requests"
    title = N_("Too many requests")

    def __init__(
        self, detail: str, *, retry_after: int, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(detail, params=params, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(AppError):
    status_code = 503
    slug = "service-unavailable"
    title = N_("Service unavailable")


# A conflict, a timeout or a restarting server: the same request will pass shortly.
_DATABASE_BUSY = "the database is busy or restarting; try again shortly"
_RETRY_SOON = {"Retry-After": "2"}


class DatabaseBusy(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(_DATABASE_BUSY, headers=_RETRY_SOON)


_SLUG_BY_STATUS = {
    400: ("bad-request", N_("Bad request")),
    401: ("unauthorized", N_("Unauthorized")),
    403: ("forbidden", N_("Forbidden")),
    404: ("not-found", N_("Not found")),
    405: ("method-not-allowed", N_("Method not allowed")),
    406: ("not-acceptable", N_("Not acceptable")),
    409: ("conflict", N_("Conflict")),
    412: ("precondition-failed", N_("Precondition failed")),
    413: ("payload-too-large", N_("Payload too large")),
    415: ("unsupported-media-type", N_("Unsupported media type")),
    422: ("validation-error", N_("Invalid request")),
    428: ("precondition-required", N_("Precondition required")),
    429: ("too-many-requests", N_("Too many requests")),
    503: ("service-unavailable", N_("Service unavailable")),
}


def problem_response(
    request: Request,
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    default_slug, default_title = _SLUG_BY_STATUS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": f"urn:kopdes:problem:{slug or default_slug}",
        "title": title or default_title,
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    if errors is not None:
        # A field error is its loc, msg and type (FieldError); an import's problem carries its
        # message's parts too, for the web app to say it in the page's language.
        body["errors"] = [{key: error[key] for key in ("loc", "msg", "type")} for error in errors]
    body.update(extensions or {})
    request_id = correlation_id.get()
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _loc(raw: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in raw]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        exc.status_code,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": _loc(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    named = "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in errors[:5])
    return problem_response(request, 422, detail=named, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if isinstance(exc.__cause__, AppError):
        # FastAPI answers anything raised while it reads the body with a 400 whose cause it is;
        # ours (app.http.json_bodies) carry their own answer.
        return await _app_error(request, exc.__cause__)
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's 400 for a JSON body that is not UTF-8: a malformed body like any other.
        msg = "the body is not valid UTF-8; send JSON encoded as UTF-8"
        errors = [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]
        return problem_response(request, 422, detail=f"body: {msg}", errors=errors)
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return problem_response(request, exc.status_code, detail=detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method of the path. Starlette names only those of the first route that matched
    it, and FastAPI makes one route per method."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(request.scope["path"]):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


# PostgreSQL errors that a client can fix (text it cannot store, such as NUL characters) and
# those that pass if the client retries (conflicts, timeouts, a restarting server).
_UNSTORABLE_TEXT = {"22021", "22P05"}
_RETRYABLE = {"40001", "40P01", "55P03", "57014", "57P01", "57P03"}


def database_problem(sqlstate: str | None) -> AppError | None:
    """The answer to a PostgreSQL error the client can fix or retry; None for any other, which
    is a bug."""
    if sqlstate in _UNSTORABLE_TEXT:
        return Invalid(
            "the request holds text the database cannot store, such as a NUL (\\u0000) "
            "character; remove it and send again"
        )
    if sqlstate in _RETRYABLE:
        return DatabaseBusy()
    return None


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    problem = database_problem(getattr(getattr(exc, "orig", None), "sqlstate", None))
    if problem is None and (
        isinstance(exc, PoolTimeout)
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or "database is locked" in str(getattr(exc, "orig", ""))
    ):
        problem = DatabaseBusy()
    if problem is None:
        return await _unhandled(request, exc)
    return await _app_error(request, problem)


# The driver raises these itself, unwrapped by SQLAlchemy, when it cannot reach the database at
# all (refused while PostgreSQL restarts, a name that does not resolve, a connect timeout).
_UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror)


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, _UNREACHABLE):
        return await _unhandled(request, exc)
    logger.warning("database unreachable on %s %s: %r", request.method, request.url.path, exc)
    return problem_response(
        request,
        503,
        detail="the database cannot be reached right now; try again shortly",
        headers=_RETRY_SOON,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    request_id = correlation_id.get()
    return problem_response(
        request,
        500,
        slug="internal-error",
        title="Internal server error",
        detail="The server could not complete the request. It has been logged.",
        # Unhandled errors are answered outside the middleware that adds this header.
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def register(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(OSError, _unreachable)
    app.add_exception_handler(Exception, _unhandled)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for a route's error statuses; `app.main` gives them the problem+json
    media type, and adds 422 to every route that takes input."""
    return {
        status: {"model": Problem, "description": _SLUG_BY_STATUS[status][1]} for status in statuses
    }
