"""The live board: a check-in at any hub reaches every worker's board watchers within seconds.

The count is never kept here. A worker only learns *that* a launch changed, and counts again
from the database (`check_ins.board`), so several workers and several instances show the same
figures, and a worker that missed a message is right again at its next count.

How a worker learns it: Redis pub/sub (`KOPDES_REDIS_URL`), one channel for every launch. Why
Redis and not PostgreSQL's LISTEN/NOTIFY: a NOTIFY takes a lock that every notifying commit of
the cluster waits for, in the check-ins' own hot path, and each worker would hold a database
connection of its own only to listen; Redis is already the deployment's rate-limit store, and a
message lost while it is down costs only a delay. Without Redis (the embedded single-process
set-up) the signal stays in the process.

Watchers who see the same board (one launch, one level and region, one reach) share one count:
a thousand watchers of the regency's board cost one query per change, not a thousand. Changes
that arrive together are counted once (`SETTLE`), and every board is counted again at least
every `CATCH_UP` seconds, which is how it catches up after Redis was down.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("kopdes.live_board")

CHANNEL = "kopdes:launch-changed"
# Changes arriving within this long of each other are counted once.
SETTLE = 0.5
# Every board is counted again at least this often, signal or not, and its watchers who got
# nothing for as long get a keep-alive.
CATCH_UP = 10.0
# How long a message waits for Redis before the boards are left to catch up on their own.
PUBLISH_TIMEOUT = 0.5

# Counts a board: its figures as they are sent to a watcher.
Count = Callable[[], Awaitable[bytes]]


@dataclass(eq=False)
class _Board:
    """One board and its watchers. The watchers hold no figures of their own: each waits for
    `updated`, then sends `latest` if its `version` is one it has not sent (a slow watcher
    skips to the latest)."""

    launch_id: int
    count: Count
    watchers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    updated: asyncio.Event = field(default_factory=asyncio.Event)
    latest: bytes | None = None
    version: int = 0
    ended: bool = False
    task: asyncio.Task[None] | None = None


class LiveBoard:
    def __init__(self, redis_url: str | None) -> None:
        self._redis = Redis.from_url(redis_url) if redis_url else None
        self._boards: dict[Any, _Board] = {}
        self._listener: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._unpublished: set[int] = set()
        self._publish_wanted = asyncio.Event()

    async def start(self) -> None:
        if self._redis is not None:
            self._listener = asyncio.create_task(self._listen(self._redis))
            self._publisher = asyncio.create_task(self._publish(self._redis))

    async def stop(self) -> None:
        tasks = [b.task for b in self._boards.values()] + [self._listener, self._publisher]
        running = [task for task in tasks if task is not None]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()

    def changed(self, launch_id: int) -> None:
        """Tell every worker's watchers of the launch that its figures changed. A check-in has
        committed before this, and does not wait for Redis: the message goes out in the
        background, and if Redis cannot be told, the boards catch up on their own."""
        if self._redis is None:
            self._mark(launch_id)
            return
        self._unpublished.add(launch_id)
        self._publish_wanted.set()

    async def watch(
        self, key: Any, launch_id: int, count: Count, lasting: float
    ) -> AsyncGenerator[bytes | None, None]:
        """The board's figures now and after each change, for `lasting` seconds, and None
        after about CATCH_UP seconds without a change. Watchers with the same `key` share
        one board, counted by the first one's `count`."""
        board = self._boards.get(key)
        if board is None:
            board = self._boards[key] = _Board(launch_id, count)
            board.task = asyncio.create_task(self._keep_counting(key, board))
        board.watchers += 1
        sent = 0
        # No timer of its own: the board wakes its watchers at least every CATCH_UP seconds.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lasting
        try:
            while True:
                if board.latest is not None and board.version != sent:
                    sent = board.version
                    yield board.latest
                elif board.ended or loop.time() >= deadline:
                    return  # the watcher opens the stream again (and a board starts anew)
                else:
                    await board.updated.wait()
                    if board.version == sent and not board.ended:
                        yield None
        finally:
            board.watchers -= 1

    def _mark(self, launch_id: int) -> None:
        for board in self._boards.values():
            if board.launch_id == launch_id:
                board.changed.set()

    async def _keep_counting(self, key: Any, board: _Board) -> None:
        loop = asyncio.get_running_loop()
        woken = loop.time()
        try:
            while True:
                figures = await board.count()
                changed = figures != board.latest
                if changed:
                    board.latest = figures
                    board.version += 1
                if changed or loop.time() - woken >= CATCH_UP:
                    # New figures, or a keep-alive for watchers who got nothing for a while.
                    woken = loop.time()
                    board.updated.set()  # wakes every watcher waiting now
                    board.updated.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(CATCH_UP):
                        await board.changed.wait()
                board.changed.clear()
                if not board.watchers:
                    return
                await asyncio.sleep(SETTLE)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live board: counting launch %s failed", board.launch_id)
        finally:
            if self._boards.get(key) is board:
                del self._boards[key]
            board.ended = True
            board.updated.set()

    async def _publish(self, redis: Redis) -> None:
        """Send one message per launch changed since the last was sent: while one is on its
        way, the check-ins that follow wait for the next, so a busy worker sends a few
        messages a second rather than one per check-in."""
        while True:
            await self._publish_wanted.wait()
            self._publish_wanted.clear()
            launches, self._unpublished = self._unpublished, set()
            for launch_id in launches:
                try:
                    async with asyncio.timeout(PUBLISH_TIMEOUT):
                        await redis.publish(CHANNEL, str(launch_id))
                except (RedisError, OSError, TimeoutError) as exc:
                    log.warning("live board: could not publish launch %s: %r", launch_id, exc)

    async def _listen(self, redis: Redis) -> None:
        """Mark the boards of each launch named on the channel; when Redis goes away, try
        again every few seconds, and count every board anew once it is back."""
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    for board in self._boards.values():
                        board.changed.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self._mark(int(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("live board: Redis unreachable (%r); retrying", exc)
                await asyncio.sleep(2)


async def _live_board(request: Request) -> LiveBoard:
    board: LiveBoard = request.app.state.live_board
    return board


LiveBoardDep = Annotated[LiveBoard, Depends(_live_board)]
