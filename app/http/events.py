"""Server-Sent Events for the live board, written by hand as an ASGI response.

A thousand watchers may hold a board open on one worker, so each costs as little as it can
(bench/README.md has the figures): the board's event is formatted once per count and the same
bytes go to every watcher (`board_event`), and one task per stream listens for the client
leaving, where Starlette's streaming response (and sse-starlette) run a task group of two or
more. A comment is sent while nothing changes, which keeps proxies and phones from closing an
idle connection.
"""

import asyncio
from collections.abc import AsyncGenerator

from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

MEDIA_TYPE = "text/event-stream"
KEEP_ALIVE = b": keep-alive\n\n"


def board_event(data: str) -> bytes:
    """The board's figures (JSON) as a `board` event."""
    return f"event: board\ndata: {data}\n\n".encode()


class _EventStream(Response):
    media_type = MEDIA_TYPE

    def __init__(self, events: AsyncGenerator[bytes | None, None]) -> None:
        self.events = events
        self.status_code = 200
        self.background = None
        # Not cached, and not held back by a buffering proxy (nginx reads X-Accel-Buffering).
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The stream notices a client that left at its next event or keep-alive.
        leaving = asyncio.ensure_future(_until_disconnect(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for event in self.events:
                if leaving.done():
                    return
                body = KEEP_ALIVE if event is None else event
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            leaving.cancel()
            await self.events.aclose()  # the watcher leaves its board at once


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def board_events(events: AsyncGenerator[bytes | None, None]) -> Response:
    """`events` (each a `board_event`, or None for a keep-alive comment) as a stream."""
    return _EventStream(events)
