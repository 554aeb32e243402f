"""The request body limit: 413 for a body past its route's limit, before it is all read.

Every route takes at most `KOPDES_MAX_BODY_BYTES` (1 MiB by default); an upload route declares
its own larger limit with `openapi_extra=max_body_bytes(...)`, which also shows it in the
OpenAPI document as `x-max-body-bytes`. (FastAPI's own `max_body_size` answers a body declared
too large with a plain-text 413, past the exception handlers, so it cannot give a problem.)
"""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LIMIT_KEY = "x-max-body-bytes"


def max_body_bytes(limit: int) -> dict[str, Any]:
    """`openapi_extra` for a route that accepts bodies up to `limit` bytes."""
    return {LIMIT_KEY: limit}


def too_large(limit: int) -> HTTPException:
    # An HTTPException passes through FastAPI's body parsing unchanged (anything else raised
    # while reading becomes a 400), and `app.errors` renders it as a problem.
    return HTTPException(
        413,
        detail=f"the request body is larger than the {limit:,} bytes "
        f"({limit / 2**20:.1f} MiB) this endpoint accepts; send less",
    )


class BodySizeLimit:
    """Counts what the app reads of the request body. The limit is looked up on the first read,
    when routing has put the route in the scope: a declared Content-Length past it is refused
    before any byte is read, and a chunked body as soon as it passes it."""

    def __init__(self, app: ASGIApp, default_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        limit: int | None = None

        async def limited_receive() -> Message:
            nonlocal received, limit
            if limit is None:
                limit = self._limit_for(scope)
                if _declared_length(scope) > limit:
                    raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)

    def _limit_for(self, scope: Scope) -> int:
        extra = getattr(scope.get("route"), "openapi_extra", None) or {}
        return int(extra.get(LIMIT_KEY, self.default_limit))


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0
