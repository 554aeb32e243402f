"""A statement past the statement timeout: a 503 problem, and nothing half-written.

Serves the API with KOPDES_DB_STATEMENT_TIMEOUT_MS=500. The script locks a cooperative's row in
its own transaction and sends an edit of that cooperative, whose statements then wait on the
lock until PostgreSQL cancels them (57014). Passes when:
- the edit is answered with a 503 problem with Retry-After, after about the timeout (between
  TIMEOUT and TIMEOUT + SLACK seconds);
- the row is unchanged;
- the same edit succeeds once the lock is released, and the worker serves other requests.

    .venv/bin/python faults/statement_timeout.py
"""

import asyncio
import time

import httpx
from harness import (
    configure,
    connect,
    fail,
    fresh_database,
    login,
    not_a_retryable_503,
    passed,
    row_locked,
    serve,
    until_ready,
)

PORT = 8773
TIMEOUT = 0.5
SLACK = 2.0


async def members_male(url: str, cooperative_id: int) -> int:
    connection = await connect(url)
    try:
        return await connection.fetchval(
            "SELECT members_male FROM cooperative WHERE id = $1", cooperative_id
        )
    finally:
        await connection.close()


async def run(url: str, base: str) -> None:
    await until_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = await login(client, "demo-admin")
        page = await client.get("/api/v1/cooperatives?page_size=1", headers=headers)
        cooperative_id = page.json()["items"][0]["id"]
        before = await members_male(url, cooperative_id)
        path, edit = f"/api/v1/cooperatives/{cooperative_id}", {"members_male": before + 1}
        headers = {**headers, "If-Match": "*"}  # the edit applies to whatever the record holds

        async with row_locked(url, "cooperative", cooperative_id):
            started = time.monotonic()
            blocked = await client.patch(path, json=edit, headers=headers)
            seconds = time.monotonic() - started
        unchanged = await members_male(url, cooperative_id) == before
        retried = await client.patch(path, json=edit, headers=headers)
        other = await client.get("/api/v1/cooperatives?page_size=5", headers=headers)

    print(f"edit while the row was locked: {blocked.status_code} after {seconds:.2f}s")
    print(f"  {blocked.text}")
    print(
        f"row unchanged afterwards: {unchanged}; the same edit after the lock: "
        f"{retried.status_code}; another request: {other.status_code}"
    )
    problems = []
    if why := not_a_retryable_503(blocked):
        problems.append(f"the timed-out edit got {why}")
    if not TIMEOUT * 0.9 <= seconds <= TIMEOUT + SLACK:
        problems.append(f"answered after {seconds:.2f}s, expected {TIMEOUT}-{TIMEOUT + SLACK}s")
    if not unchanged:
        problems.append("the timed-out edit changed the row")
    if retried.status_code != 200 or retried.json()["members_male"] != before + 1:
        problems.append(f"the edit after the lock was released got {retried.status_code}")
    if other.status_code != 200:
        problems.append(f"the next request got {other.status_code}")
    if problems:
        fail("; ".join(problems))
    passed(
        f"a statement cancelled after {TIMEOUT:g}s was a 503 with Retry-After, wrote nothing, "
        "and the retry succeeded"
    )


def main() -> None:
    url = fresh_database("statement_timeout")
    configure(db_statement_timeout_ms=int(TIMEOUT * 1000))
    with serve(url, PORT, workers=1):
        asyncio.run(run(url, f"http://127.0.0.1:{PORT}"))


if __name__ == "__main__":
    main()
