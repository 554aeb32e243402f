"""PostgreSQL restarted under load: errors only while it is down, then full recovery.

Serves the API with 2 workers on a fresh database and keeps 8 clients reading (and now and then
writing) while PostgreSQL restarts. Passes when:
- every answer is a 200, or a 503 problem with Retry-After (never a 500, a dropped connection or
  a request hanging for longer than HANG_SECONDS);
- the 503s all overlap the restart window;
- within RECOVERY_SECONDS of PostgreSQL accepting connections again every request succeeds, with
  the same app processes (no restart of the app);
- /readyz answers 503 while PostgreSQL is down and 200 after.

The restart command is `pg_ctlcluster <version> main restart` (the local Debian cluster), or
KOPDES_FAULTS_PG_RESTART. With --terminate the script only ends the app's database sessions
(pg_terminate_backend) instead, which leaves other users of the server undisturbed.

    .venv/bin/python faults/pg_restart.py [--terminate]
"""

import argparse
import asyncio
import os
import shlex
import time
from dataclasses import dataclass

import asyncpg
import httpx
from harness import (
    configure,
    connect,
    fail,
    fresh_database,
    login,
    not_a_retryable_503,
    passed,
    serve,
    until_ready,
)

PORT = 8771
CLIENTS = 8
WARM_UP_SECONDS = 3
AFTER_SECONDS = 8
RECOVERY_SECONDS = 5
HANG_SECONDS = 10


@dataclass
class Answer:
    started: float
    ended: float
    what: str
    status: int | None  # None: no HTTP answer at all
    wrong: str | None  # why a non-200 is not an acceptable 503


def restart_command() -> list[str]:
    custom = os.environ.get("KOPDES_FAULTS_PG_RESTART")
    if custom:
        return shlex.split(custom)
    (version,) = os.listdir("/etc/postgresql")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


async def restart_postgres(url: str) -> float:
    """Restart PostgreSQL; returns when it accepted connections again, as seen by a client
    trying all along (the restart command itself may return later)."""
    command = restart_command()
    print("running:", shlex.join(command))
    process = await asyncio.create_subprocess_exec(*command)
    went_down = False
    while True:
        try:
            connection = await connect(url)
        except (OSError, asyncpg.PostgresError):  # refused, or "the database is starting up"
            went_down = True
        else:
            await connection.close()
            if went_down or process.returncode is not None:
                break
        await asyncio.sleep(0.05)
    back = time.monotonic()
    if await process.wait():
        fail(f"{shlex.join(command)} exited with {process.returncode}")
    return back


async def terminate_app_sessions(url: str) -> None:
    connection = await connect(url)
    try:
        ended = await connection.fetchval(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE application_name = 'kopdes' AND datname = current_database()"""
        )
    finally:
        await connection.close()
    print(f"terminated {ended} of the app's database sessions")


async def load(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    ids: list[int],
    number: int,
    stop: asyncio.Event,
    answers: list[Answer],
) -> None:
    turn = 0
    while not stop.is_set():
        turn += 1
        target = ids[(number * 7 + turn) % len(ids)]
        if turn % 10 == 0:
            what, request = (
                "write",
                # `If-Match: *`: the load edits whatever the record holds now.
                client.patch(
                    f"/api/v1/cooperatives/{target}",
                    json={"members_male": turn},
                    headers={**headers, "If-Match": "*"},
                ),
            )
        elif turn % 2:
            what, request = "list", client.get("/api/v1/cooperatives?page_size=20", headers=headers)
        else:
            what, request = "read", client.get(f"/api/v1/cooperatives/{target}", headers=headers)
        started = time.monotonic()
        try:
            response = await request
        except httpx.HTTPError as exc:
            answers.append(Answer(started, time.monotonic(), what, None, repr(exc)))
        else:
            wrong = None if response.status_code == 200 else not_a_retryable_503(response)
            answers.append(Answer(started, time.monotonic(), what, response.status_code, wrong))
        await asyncio.sleep(0.02)


async def poll_readiness(
    client: httpx.AsyncClient, stop: asyncio.Event, seen: list[tuple[float, int]]
) -> None:
    while not stop.is_set():
        try:
            status = (await client.get("/readyz")).status_code
        except httpx.HTTPError:
            status = 0
        seen.append((time.monotonic(), status))
        await asyncio.sleep(0.1)


async def run(url: str, base: str, terminate: bool) -> None:
    await until_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=HANG_SECONDS + 5) as client:
        headers = await login(client, "demo-admin")
        page = await client.get("/api/v1/cooperatives?page_size=50", headers=headers)
        ids = [item["id"] for item in page.json()["items"]]
        answers: list[Answer] = []
        readiness: list[tuple[float, int]] = []
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(load(client, headers, ids, n, stop, answers))
            for n in range(CLIENTS)
        ]
        tasks.append(asyncio.create_task(poll_readiness(client, stop, readiness)))
        await asyncio.sleep(WARM_UP_SECONDS)

        down = time.monotonic()
        if terminate:
            await terminate_app_sessions(url)
            up = time.monotonic()
        else:
            up = await restart_postgres(url)
        await asyncio.sleep(AFTER_SECONDS)
        stop.set()
        await asyncio.gather(*tasks)
    judge(answers, readiness, down, up, terminate)


def judge(
    answers: list[Answer],
    readiness: list[tuple[float, int]],
    down: float,
    up: float,
    terminate: bool,
) -> None:
    def at(moment: float) -> str:
        return f"{moment - down:+.2f}s"

    failed = [a for a in answers if a.status != 200]
    print(
        f"{len(answers)} requests; PostgreSQL went down at +0.00s and accepted connections "
        f"again at {at(up)}; {len(failed)} answers were not 200"
    )
    for answer in failed[:5]:
        print(f"  {answer.what} {at(answer.started)}..{at(answer.ended)}: {answer.status}")
    problems = []
    wrong = [a for a in failed if a.wrong]
    if wrong:
        problems.append(
            f"{len(wrong)} answers were not a 503 problem with Retry-After, e.g. "
            f"{wrong[0].what} at {at(wrong[0].started)}: {wrong[0].wrong}"
        )
    slow = [a for a in answers if a.ended - a.started > HANG_SECONDS]
    if slow:
        problems.append(f"{len(slow)} requests took longer than {HANG_SECONDS}s")
    recovered = up + RECOVERY_SECONDS
    outside = [a for a in failed if a.ended < down or a.started > recovered]
    if outside:
        problems.append(
            f"{len(outside)} errors outside the restart window, e.g. at {at(outside[0].started)}"
        )
    after = [a for a in answers if a.started > recovered]
    if len(after) < CLIENTS:
        problems.append(f"only {len(after)} requests were answered after recovery")
    if failed:
        last = max(a.ended for a in failed)
        print(f"last error ended at {at(last)}, {last - up:.2f}s after PostgreSQL was back")

    not_ready = [t for t, status in readiness if status != 200 and t >= down]
    if not_ready:
        print(f"/readyz: not ready from {at(min(not_ready))} to {at(max(not_ready))}")
    if not terminate and not not_ready:
        problems.append("/readyz never reported the database down")
    if any(status != 200 for t, status in readiness if t > recovered):
        problems.append(f"/readyz was not 200 again {RECOVERY_SECONDS}s after PostgreSQL was back")
    if any(status != 200 for t, status in readiness if t < down):
        problems.append("/readyz was not 200 before the restart")
    if problems:
        fail("; ".join(problems))
    passed(
        f"errors only in the restart window (all 503 with Retry-After), every request succeeded "
        f"from {RECOVERY_SECONDS}s after PostgreSQL was back, /readyz followed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--terminate",
        action="store_true",
        help="end the app's database sessions instead of restarting PostgreSQL",
    )
    args = parser.parse_args()
    url = fresh_database("pg_restart")
    configure(db_pool_size=4, db_max_overflow=2)
    with serve(url, PORT, workers=2):
        asyncio.run(run(url, f"http://127.0.0.1:{PORT}", args.terminate))


if __name__ == "__main__":
    main()
