"""Upload routes that refuse a body past their own size limit as it arrives."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message

from app.services.spreadsheets import ContentTooLarge


def limited_upload_route(max_request_bytes: int, too_large: str) -> type[APIRoute]:
    """A route class refusing a request body past `max_request_bytes` (by its Content-Length,
    or by counting the bytes of a chunked body) before it is spooled to disk, with a 413 that
    says `too_large`."""

    class LimitedUploadRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def limited(request: Request) -> Response:
                length = request.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_request_bytes:
                    raise ContentTooLarge(too_large)
                received = 0
                receive = request.receive

                async def counting_receive() -> Message:
                    nonlocal received
                    message = await receive()
                    if message["type"] == "http.request":
                        received += len(message.get("body", b""))
                        if received > max_request_bytes:
                            # An HTTPException passes through FastAPI's body parsing unchanged.
                            raise HTTPException(413, detail=too_large)
                    return message

                return await handler(Request(request.scope, counting_receive))

            return limited

    return LimitedUploadRoute
