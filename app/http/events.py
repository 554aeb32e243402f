"""Server-Sent Events for the live board, written by hand on Starlette's StreamingResponse.

Why not sse-starlette: it runs a task group of several tasks for every open response, and a
thousand board watchers on one worker then held about 70 KB each (bench/README.md). The stream
here is one generator per watcher: the board's figures as `event: board`, and a comment while
nothing changes, which keeps proxies and phones from closing an idle connection.
"""

from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

MEDIA_TYPE = "text/event-stream"


def board_events(figures: AsyncIterator[str | None]) -> StreamingResponse:
    """`figures` as events: each text as a `board` event, each None as a keep-alive comment."""

    async def events() -> AsyncIterator[bytes]:
        async for data in figures:
            yield (
                b": keep-alive\n\n" if data is None else f"event: board\ndata: {data}\n\n".encode()
            )

    return StreamingResponse(
        events(),
        media_type=MEDIA_TYPE,
        # Not cached, and not held back by a buffering proxy (nginx reads X-Accel-Buffering).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
