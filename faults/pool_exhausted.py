"""Database pool exhausted: other requests get a 503 with Retry-After within the pool timeout.

Serves the API with one worker whose pool holds one connection (pool_size=1, max_overflow=0,
pool_timeout=1 s). The script locks a cooperative's row in its own transaction, the way a slow
writer elsewhere would, and sends an edit of that cooperative: the edit takes the pool's only
connection and waits on the lock. Passes when:
- each of CLIENTS other requests, sent meanwhile, is answered with a 503 problem with
  Retry-After after about the pool timeout (between POOL_TIMEOUT and POOL_TIMEOUT + SLACK
  seconds), never hanging;
- once the lock is released, the edit completes (200) and new requests succeed again.

    .venv/bin/python faults/pool_exhausted.py
"""

import asyncio
import time
from collections.abc import Awaitable

import httpx
from harness import (
    configure,
    fail,
    fresh_database,
    login,
    not_a_retryable_503,
    passed,
    row_locked,
    serve,
    until_ready,
    wait_for_lock_waiter,
)

PORT = 8772
POOL_TIMEOUT = 1.0
SLACK = 2.0
CLIENTS = 5


async def timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await request
    return time.monotonic() - started, response


async def run(url: str, base: str) -> None:
    await until_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = await login(client, "demo-admin")
        page = await client.get("/api/v1/cooperatives?page_size=2", headers=headers)
        held, other = (item["id"] for item in page.json()["items"])

        async with row_locked(url, "cooperative", held):
            edit = asyncio.create_task(
                client.patch(
                    f"/api/v1/cooperatives/{held}",
                    json={"members_male": 7},
                    headers={**headers, "If-Match": "*"},
                )
            )
            await wait_for_lock_waiter(url)
            print("the pool's only connection is waiting on the script's row lock")
            answers = await asyncio.gather(
                *(
                    timed(client.get(f"/api/v1/cooperatives/{other}", headers=headers))
                    for _ in range(CLIENTS)
                )
            )
        edited = await edit
        after = await client.get(f"/api/v1/cooperatives/{other}", headers=headers)

    for seconds, response in answers:
        print(f"  request while exhausted: {response.status_code} after {seconds:.2f}s")
    print(f"held edit after the lock was released: {edited.status_code}")
    print(f"request after: {after.status_code}")
    problems = [
        f"{why} after {seconds:.2f}s"
        for seconds, response in answers
        if (why := not_a_retryable_503(response))
    ]
    problems += [
        f"answered after {seconds:.2f}s, expected {POOL_TIMEOUT}-{POOL_TIMEOUT + SLACK}s"
        for seconds, _ in answers
        if not POOL_TIMEOUT * 0.9 <= seconds <= POOL_TIMEOUT + SLACK
    ]
    if edited.status_code != 200:
        problems.append(f"the held edit ended with {edited.status_code}, not 200")
    if after.status_code != 200:
        problems.append(f"a request after the pool was free again got {after.status_code}")
    if problems:
        fail("; ".join(problems))
    passed(
        f"with the pool exhausted, {CLIENTS} requests got a 503 with Retry-After after about "
        f"the {POOL_TIMEOUT:g}s pool timeout; the app recovered when the connection came back"
    )


def main() -> None:
    url = fresh_database("pool_exhausted")
    configure(
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=POOL_TIMEOUT,
        # Longer than the test: the held edit keeps its connection until the lock is released.
        db_statement_timeout_ms=60_000,
    )
    with serve(url, PORT, workers=1):
        asyncio.run(run(url, f"http://127.0.0.1:{PORT}"))


if __name__ == "__main__":
    main()
