"""A worker killed in the middle of money writes: no partial write, and retries apply once.

Serves the API with 2 workers and applies REFOCUSINGS approved refocusings (moving money among
the same few budget lines) with CLIENTS concurrent clients, each apply with its own
Idempotency-Key. A quarter of the way through, one worker gets SIGKILL: the requests it was
serving are cut off. Passes when:
- the ledger holds no partial write: every refocusing is fully applied (both entries of each
  movement) or not at all, the year's total is conserved and no line is below what is committed
  on it (the checks of bench/bench_refocusing.py);
- uvicorn replaces the worker, and the app serves without being restarted;
- retrying each cut-off request with its own Idempotency-Key ends in a 200 and the refocusing
  applied exactly once. A claim left by the killed worker is refused (409) until it counts as
  abandoned (app.http.idempotency.ABANDONED_AFTER, 2 minutes); instead of waiting, the script ages
  those claims in the database by that much, as if the time had passed.

    .venv/bin/python faults/worker_kill.py
"""

import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from harness import (
    connect,
    create_lines,
    fail,
    fresh_database,
    login,
    passed,
    prepare_approved,
    serve,
    until_ready,
    violations,
)

from app.http.idempotency import ABANDONED_AFTER

PORT = 8774
CLIENTS = 30
REFOCUSINGS = 120
REPLACE_SECONDS = 15


def worker_pids() -> list[int]:
    """The uvicorn worker processes serving PORT: the children of the process started with
    `--port PORT`."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
        processes[int(entry.name)] = (command, parent)
    masters = {
        pid
        for pid, (command, _) in processes.items()
        if b"app.main:create_app" in command and str(PORT).encode() in command
    }
    return sorted(
        pid
        for pid, (command, parent) in processes.items()
        if parent in masters and b"--multiprocessing-fork" in command
    )


async def apply(
    client: httpx.AsyncClient, admin: dict[str, str], refocusing_id: int, key: str
) -> int | str:
    """The status of one apply, or what went wrong on the way if there was no answer."""
    try:
        response = await client.post(
            f"/api/v1/refocusings/{refocusing_id}/apply",
            headers={**admin, "Idempotency-Key": key},
        )
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return response.status_code


async def apply_all_and_kill(
    client: httpx.AsyncClient, admin: dict[str, str], keys: dict[int, str]
) -> tuple[dict[int, int | str], int]:
    """Apply every refocusing, CLIENTS at a time, killing a worker a quarter of the way."""
    queue = list(keys)
    outcomes: dict[int, int | str] = {}
    killed = 0

    async def one_client() -> None:
        nonlocal killed
        while queue:
            refocusing_id = queue.pop()
            outcomes[refocusing_id] = await apply(client, admin, refocusing_id, keys[refocusing_id])
            if not killed and len(outcomes) >= len(keys) // 4:
                killed = random.choice(worker_pids())
                os.kill(killed, signal.SIGKILL)
                print(f"SIGKILL to worker {killed} after {len(outcomes)} applies were answered")

    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return outcomes, killed


async def age_unfinished_claims(url: str) -> int:
    connection = await connect(url)
    try:
        result = await connection.execute(
            "UPDATE idempotency_record SET created_at = created_at - $1::interval "
            "WHERE status = 'in_flight'",
            ABANDONED_AFTER,
        )
    finally:
        await connection.close()
    return int(result.split()[-1])


async def applied_count(url: str, ids: list[int]) -> int:
    connection = await connect(url)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM refocusing WHERE id = ANY($1) AND status = 'applied'", ids
        )
    finally:
        await connection.close()


def check_ledger(found: dict[str, int], when: str) -> None:
    broken = {k: v for k, v in found.items() if not k.startswith("_") and v}
    print(
        f"ledger {when}: {found['_entries']} entries for {found['_movements']} applied "
        f"movements; violations: {broken or 'none'}"
    )
    if broken:
        fail(f"the ledger {when} breaks its invariants: {broken}")


async def run(url: str, base: str) -> None:
    await until_ready(base)
    before = worker_pids()
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        officer = await login(client, "demo-officer")
        admin = await login(client, "demo-admin")
        lines = await create_lines(client, admin)
        ids = await prepare_approved(client, officer, admin, lines, REFOCUSINGS, random.Random(7))
        keys = {refocusing_id: str(uuid.uuid4()) for refocusing_id in ids}
        print(f"workers {before}; applying {len(ids)} refocusings with {CLIENTS} clients")

        started = time.monotonic()
        outcomes, killed = await apply_all_and_kill(client, admin, keys)
        print(f"answers: {dict(Counter(outcomes.values()))} in {time.monotonic() - started:.1f}s")
        check_ledger(await violations(url), "after the kill")

        await until_ready(base)
        # uvicorn's supervisor notices a dead worker on its next check, a moment later.
        deadline = time.monotonic() + REPLACE_SECONDS
        after = worker_pids()
        while (killed in after or len(after) != len(before)) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            after = worker_pids()
        print(f"workers now {after}")
        if killed in after or len(after) != len(before):
            fail(f"the killed worker was not replaced: workers {before} before, {after} after")

        cut_off = [rid for rid, outcome in outcomes.items() if outcome != 200]
        if any(outcome == 500 for outcome in outcomes.values()):
            fail("an apply got a 500")
        if not cut_off:
            fail("no apply was cut off by the kill, so nothing was tested; run again")
        first = Counter([await apply(client, admin, rid, keys[rid]) for rid in cut_off])
        print(f"{len(cut_off)} cut-off applies retried at once with their keys: {dict(first)}")
        aged = await age_unfinished_claims(url)
        print(f"claims left unfinished by the killed worker, aged by {ABANDONED_AFTER}: {aged}")
        retried = Counter([await apply(client, admin, rid, keys[rid]) for rid in cut_off])
        replayed = Counter([await apply(client, admin, rid, keys[rid]) for rid in cut_off])
        print(f"retried after that: {dict(retried)}; once more (replays): {dict(replayed)}")
        found = await violations(url)
        check_ledger(found, "after the retries")
        applied = await applied_count(url, ids)

    problems = []
    if set(retried) != {200} or set(replayed) != {200}:
        problems.append("not every retry of a cut-off apply ended in a 200")
    if applied != len(ids):
        problems.append(f"{applied} of {len(ids)} refocusings are applied")
    if problems:
        fail("; ".join(problems))
    passed(
        f"killing a worker cut off {len(cut_off)} applies and left no partial write; each "
        f"retry with its key applied its refocusing once ({found['_entries']} ledger entries "
        f"for {found['_movements']} movements)"
    )


def main() -> None:
    url = fresh_database("worker_kill")
    with serve(url, PORT, workers=2):
        asyncio.run(run(url, f"http://127.0.0.1:{PORT}"))


if __name__ == "__main__":
    main()
