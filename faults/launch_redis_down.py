"""Redis down on launch day: check-ins go on, and the live board catches up once it is back.

Starts a redis-server of its own on a spare port (never the shared one on 6379), serves the API
with 2 workers told of it (KOPDES_REDIS_URL) on a fresh database, runs a Kukar plan as a launch
and registers delegates with SQL (bench/launch_day.py), and keeps one board stream open:
1. with Redis up, a hub checks a batch in every half second: the time each takes to reach the
   stream is printed;
2. Redis is stopped for OUTAGE_SECONDS while the batches go on: every one must answer 200 (a
   check-in does not wait for Redis: its message goes out in the background, and the boards
   catch up on their own when it cannot);
3. Redis starts again on the same port: with no new check-in, the stream must show every
   check-in made so far within CATCH_UP_SECONDS; then batches go on for AFTER_SECONDS, each
   timed to the stream, and at the end the stream must show the database's exact count.
The stream must stay open throughout. It also prints when the stream first showed all the
check-ins made while Redis was down (each board counts again every 10 s, Redis or not).

    .venv/bin/python faults/launch_redis_down.py
"""

import asyncio
import statistics
import time

import httpx
from harness import fail, fresh_database, passed, serve, until_ready
from launch_day import (
    Delegate,
    Ledger,
    PrivateRedis,
    batch_body,
    board_stream,
    counted,
    create_launch,
    discrepancies,
    login,
    register,
    send_queue,
    totals,
)

PORT = 8777
BATCH = 20
EVERY = 0.5
BEFORE_SECONDS = 4
OUTAGE_SECONDS = 14
AFTER_SECONDS = 5
CATCH_UP_SECONDS = 15


async def run(url: str, base: str, redis: PrivateRedis) -> None:
    await until_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = await login(client, "demo-admin")
        launch, hubs = await create_launch(
            client, headers, preset="kukar", region="64.02", name="Peluncuran (fault)"
        )
        delegates = await register(url, launch["id"], 2000, seed=7)
        queue = list(reversed(delegates))
        ledger = Ledger()
        timings: list[tuple[str, float, int]] = []  # phase, seconds to the answer, attempts
        outage_events: list[tuple[float, int]] = []  # what the stream showed while Redis was down

        async with board_stream(base, launch["id"], headers) as stream:
            await stream.wait_until(lambda _: True, 30)

            async def send(phase: str) -> int:
                """One batch at one hub; returns how many delegates are checked in now."""
                batch: list[Delegate] = [queue.pop() for _ in range(BATCH)]
                hub_id = batch[0].hub_id
                started = time.monotonic()
                _, attempts = await send_queue(
                    client,
                    headers,
                    launch["id"],
                    hub_id,
                    batch_body([d.code for d in batch]),
                    ledger,
                )
                timings.append((phase, time.monotonic() - started, attempts))
                return len(ledger.codes_sent)

            # 1. Redis up.
            arrivals = []
            until = time.monotonic() + BEFORE_SECONDS
            while time.monotonic() < until:
                sent = time.monotonic()
                expected = await send("up")
                board = await stream.wait_until(lambda b, n=expected: totals(b)[0] >= n, 15)
                arrivals.append(time.monotonic() - sent if board else float("inf"))
            print(
                f"Redis up: {len(arrivals)} batches, each on the stream after "
                f"{statistics.median(arrivals):.2f} s (median), {max(arrivals):.2f} s at most"
            )

            # 2. Redis down.
            redis.stop()
            down = time.monotonic()
            print(f"stopped the private Redis on port {redis.port}")
            outage_count, seen = 0, stream.events
            until = down + OUTAGE_SECONDS
            while time.monotonic() < until:
                outage_count = await send("down")
                await asyncio.sleep(EVERY)
                if stream.events != seen:
                    seen = stream.events
                    outage_events.append((stream.received, totals(stream.board())[0]))
            shown_down = totals(stream.board())

            # 3. Redis back: first with no new check-in, then with some.
            redis.start()
            back = time.monotonic()
            print(
                f"started it again after {back - down:.1f} s; the stream then showed "
                f"{shown_down[0]:,} of the {outage_count:,} delegates checked in"
            )
            caught_up_board = await stream.wait_until(
                lambda b: totals(b)[0] >= outage_count, CATCH_UP_SECONDS
            )
            caught_up = time.monotonic() - back
            back_arrivals = []
            until = time.monotonic() + AFTER_SECONDS
            while time.monotonic() < until:
                sent = time.monotonic()
                expected = await send("back")
                board = await stream.wait_until(
                    lambda b, n=expected: totals(b)[0] >= n, CATCH_UP_SECONDS
                )
                back_arrivals.append((sent - back, time.monotonic() - sent if board else None))
            found = await counted(url, launch["id"])
            board = await stream.wait_until(
                lambda b: totals(b)[0] == found.check_ins, CATCH_UP_SECONDS
            )
            ended = stream.ended

    for phase in ("up", "down", "back"):
        mine = [t for t in timings if t[0] == phase]
        print(
            f"check-ins with Redis {phase}: {len(mine)} batches, "
            f"{sum(t[2] > 1 for t in mine)} of them sent more than once; answered in "
            f"{statistics.median(t[1] for t in mine) * 1000:.0f} ms median, "
            f"{max(t[1] for t in mine) * 1000:.0f} ms at most"
        )
    print(f"answers: {dict(ledger.statuses)}")
    print(
        "after Redis was back, batches sent at "
        + ", ".join(
            f"+{at:.1f} s reached the stream in "
            + (f"{took:.2f} s" if took is not None else "never")
            for at, took in back_arrivals
        )
    )
    wall = time.time() - time.monotonic()
    print(
        "while Redis was down the stream sent "
        + (
            ", ".join(f"{count:,} at +{at - wall - down:.1f} s" for at, count in outage_events)
            or "nothing"
        )
    )
    problems = discrepancies(ledger, found, {d.code for d in delegates})
    if any(t[2] > 1 for t in timings):
        problems.append("a check-in was not answered 200 at its first sending")
    if ended:
        problems.append(f"the board stream ended: {ended}")
    if caught_up_board is None:
        problems.append(
            f"the stream did not show the {outage_count:,} check-ins made before and while "
            f"Redis was down within {CATCH_UP_SECONDS} s of Redis being back"
        )
    else:
        print(
            f"with no new check-in, the stream showed all {outage_count:,} check-ins "
            f"{caught_up:.1f} s after Redis was back"
        )
    if board is None:
        problems.append(
            f"at the end the stream did not show the database's {found.check_ins:,} check-ins "
            f"(it showed {totals(stream.board())[0]:,})"
        )
    else:
        print(f"at the end the stream showed the database's exact count, {found.check_ins:,}")
    if problems:
        fail("; ".join(problems))
    passed(
        f"with Redis down for {OUTAGE_SECONDS} s every check-in answered 200; the board "
        f"caught up {caught_up:.1f} s after Redis was back, and ended at the exact count"
    )


def main() -> None:
    url = fresh_database("launch_redis_down")
    redis = PrivateRedis()
    redis.start()
    try:
        with serve(url, PORT, workers=2, env={"KOPDES_REDIS_URL": redis.url}) as (base, _):
            asyncio.run(run(url, base, redis))
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
