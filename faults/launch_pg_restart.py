"""PostgreSQL restarted while hubs check in: 503s with Retry-After while it is down, and every
check-in counted exactly once in the end.

Serves the API with 2 workers on a fresh database (Kukar's demo data; pools of 4 + 2 as in
faults/pg_restart.py), runs a Kukar plan as a launch and registers delegates with SQL
(bench/launch_day.py). PHONES phones each send a batch of BATCH codes every PACE seconds; after
WARM_UP_SECONDS, PostgreSQL restarts (`pg_ctlcluster <version> main restart`, or
KOPDES_FAULTS_PG_RESTART, as faults/pg_restart.py does). A phone that gets a 503 waits its
Retry-After and sends the same batch again (after no answer at all, at once). Passes when:
- every answer is a 200, or a 503 problem with Retry-After (never a 500, a dropped connection
  or a request hanging for longer than HANG_SECONDS);
- the 503s all fall in the outage, from PostgreSQL going down to RECOVERY_SECONDS after it
  accepts connections again, and some batches got one (with a restart);
- in the end the database holds exactly the delegates sent, each checked in once, and no code
  was answered `checked_in` twice.

With --terminate the script does not restart the server: for OUTAGE_SECONDS it ends the app's
database sessions (pg_terminate_backend) every TERMINATE_EVERY seconds, which leaves other users
of the server undisturbed; the check-ins cut off that way must get the same 503s.

    .venv/bin/python faults/launch_pg_restart.py [--terminate]
"""

import argparse
import asyncio
import random
import time

import httpx
from harness import configure, connect, fail, fresh_database, passed, serve, until_ready
from launch_day import (
    Counted,
    Ledger,
    batch_body,
    counted,
    create_launch,
    discrepancies,
    login,
    register,
    send_queue,
)
from pg_restart import restart_postgres

PORT = 8778
PHONES = 10
BATCH = 20
PACE = 0.5
DELEGATES = 20_000
WARM_UP_SECONDS = 3
AFTER_SECONDS = 8
RECOVERY_SECONDS = 5
HANG_SECONDS = 10
OUTAGE_SECONDS = 5
TERMINATE_EVERY = 0.2


async def terminate_app_sessions(url: str, seconds: float) -> int:
    """End the app's database sessions again and again for `seconds`; returns how many."""
    connection = await connect(url)
    ended = 0
    try:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            ended += await connection.fetchval(
                """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                   WHERE application_name = 'kopdes' AND datname = current_database()"""
            )
            await asyncio.sleep(TERMINATE_EVERY)
    finally:
        await connection.close()
    return ended


async def run(url: str, base: str, terminate: bool) -> None:
    await until_ready(base)
    rng = random.Random(3)
    async with httpx.AsyncClient(base_url=base, timeout=HANG_SECONDS + 5) as client:
        headers = await login(client, "demo-admin")
        launch, hubs = await create_launch(
            client, headers, preset="kukar", region="64.02", name="Peluncuran (fault)"
        )
        delegates = await register(url, launch["id"], DELEGATES, seed=9)
        rng.shuffle(delegates)
        ledger = Ledger()
        stop = asyncio.Event()
        answered: list[tuple[float, float, int]] = []  # started, ended, attempts

        async def one_phone(number: int) -> None:
            mine = delegates[number::PHONES]
            while mine and not stop.is_set():
                batch, mine = mine[:BATCH], mine[BATCH:]
                codes = [d.code for d in batch]
                codes += rng.sample(codes, 1)  # scanned twice
                started = time.monotonic()
                _, attempts = await send_queue(
                    client,
                    headers,
                    launch["id"],
                    batch[0].hub_id,
                    batch_body(codes),
                    ledger,
                    pause=0.5,
                )
                answered.append((started, time.monotonic(), attempts))
                await asyncio.sleep(max(0.0, started + PACE - time.monotonic()))

        phones = [asyncio.create_task(one_phone(n)) for n in range(PHONES)]
        await asyncio.sleep(WARM_UP_SECONDS)
        down = time.monotonic()
        if terminate:
            ended = await terminate_app_sessions(url, OUTAGE_SECONDS)
            print(f"ended the app's database sessions {ended} times in {OUTAGE_SECONDS} s")
        else:
            await restart_postgres(url)
        up = time.monotonic()
        await asyncio.sleep(AFTER_SECONDS)
        stop.set()
        await asyncio.gather(*phones)
        found = await counted(url, launch["id"])
    judge(ledger, found, {d.code for d in delegates}, answered, down, up, terminate)


def judge(
    ledger: Ledger,
    found: Counted,
    registered: set[str],
    answered: list[tuple[float, float, int]],
    down: float,
    up: float,
    terminate: bool,
) -> None:
    def at(moment: float) -> str:
        return f"{moment - down:+.2f}s"

    unavailable = ledger.service_unavailable
    print(
        f"{len(answered)} batches, {ledger.requests} requests; PostgreSQL went down at +0.00s "
        f"and was back at {at(up)}; answers {dict(ledger.statuses)}"
    )
    if unavailable:
        print(
            f"503s (all with Retry-After) from {at(min(s for s, _ in unavailable))} to "
            f"{at(max(e for _, e in unavailable))}; {sum(a > 1 for *_, a in answered)} batches "
            f"were sent again, the last answered at "
            f"{at(max(e for _, e, a in answered if a > 1))}"
        )
    problems = discrepancies(ledger, found, registered)
    dropped = {k: n for k, n in ledger.statuses.items() if isinstance(k, str)}
    if dropped:
        problems.append(f"requests without an answer: {dropped}")
    if ledger.slowest > HANG_SECONDS:
        problems.append(f"a request took {ledger.slowest:.1f}s, longer than {HANG_SECONDS}s")
    outside = [s for s, e in unavailable if e < down or s > up + RECOVERY_SECONDS]
    if outside:
        problems.append(f"{len(outside)} 503s outside the outage, e.g. at {at(outside[0])}")
    if not terminate and not unavailable:
        problems.append("no check-in got a 503 while PostgreSQL was down")
    after = [started for started, *_ in answered if started > up + RECOVERY_SECONDS]
    if len(after) < PHONES:
        problems.append(f"only {len(after)} batches were sent after recovery")
    print(
        f"database: {found.check_ins:,} check-ins of {len(ledger.codes_sent):,} codes sent "
        f"({ledger.scans:,} scans); {ledger.new:,} answered checked_in; the slowest request "
        f"took {ledger.slowest:.2f}s"
    )
    if problems:
        fail("; ".join(problems))
    passed(
        f"{len(unavailable)} check-ins got a 503 with Retry-After during the outage and none "
        f"anything worse; resent, every delegate sent is checked in exactly once"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--terminate",
        action="store_true",
        help="end the app's database sessions for a few seconds instead of restarting PostgreSQL",
    )
    args = parser.parse_args()
    url = fresh_database("launch_pg_restart")
    configure(db_pool_size=4, db_max_overflow=2)
    with serve(url, PORT, workers=2):
        asyncio.run(run(url, f"http://127.0.0.1:{PORT}", args.terminate))


if __name__ == "__main__":
    main()
