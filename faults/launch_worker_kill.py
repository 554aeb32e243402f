"""A worker killed while hubs send check-ins: every delegate sent is checked in exactly once.

Serves the API with 2 workers on a fresh database (Kukar's demo data), runs a Kukar plan as a
launch (20 hubs) and registers DELEGATES delegates with SQL (bench/launch_day.py). PHONES phones
send their hubs' queues at once, in batches of BATCH codes (with a few codes scanned twice). A
third of the way through, one worker gets SIGKILL: the batches it was serving get no answer,
and each phone sends such a batch again, as it does whenever it hears nothing (a 503 after its
Retry-After). Passes when:
- the kill cut some batches off (otherwise nothing was tested: run again);
- every answer was a 200, or a 503 problem with Retry-After (never a 500);
- uvicorn replaces the worker, and the app serves without being restarted;
- the database holds exactly the delegates sent, each checked in once (none missing, none
  extra), and no code was answered `checked_in` twice.

    .venv/bin/python faults/launch_worker_kill.py
"""

import asyncio
import os
import random
import signal
import time
from collections import deque

import httpx
from harness import fail, fresh_database, passed, serve, until_ready
from launch_day import (
    Ledger,
    batch_body,
    counted,
    create_launch,
    discrepancies,
    login,
    register,
    send_queue,
    worker_pids,
)

PORT = 8776
DELEGATES = 6000
BATCH = 50
PHONES = 20
REPLACE_SECONDS = 15


async def run(url: str, base: str, master: int) -> None:
    await until_ready(base)
    rng = random.Random(11)
    limits = httpx.Limits(max_connections=PHONES + 5, max_keepalive_connections=PHONES)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        headers = await login(client, "demo-admin")
        launch, hubs = await create_launch(
            client, headers, preset="kukar", region="64.02", name="Peluncuran (fault)"
        )
        delegates = await register(url, launch["id"], DELEGATES, seed=5)
        queue = deque()
        for hub in hubs:
            codes = [d.code for d in delegates if d.hub_id == hub["id"]]
            for start in range(0, len(codes), BATCH):
                chunk = codes[start : start + BATCH]
                queue.append((hub["id"], chunk + rng.sample(chunk, max(1, len(chunk) // 25))))
        batches = len(queue)
        shuffled = list(queue)
        rng.shuffle(shuffled)
        queue = deque(shuffled)
        before = worker_pids(master)
        print(
            f"workers {before}; launch {launch['id']} with {len(hubs)} hubs, "
            f"{len(delegates):,} delegates; {batches} batches from {PHONES} phones"
        )

        ledger = Ledger()
        answered = 0
        killed = 0
        cut_off = 0

        async def one_phone() -> None:
            nonlocal answered, killed, cut_off
            while queue:
                hub_id, codes = queue.popleft()
                _, attempts = await send_queue(
                    client, headers, launch["id"], hub_id, batch_body(codes), ledger
                )
                cut_off += attempts > 1
                answered += 1
                if not killed and answered >= batches // 3:
                    killed = random.choice(worker_pids(master))
                    os.kill(killed, signal.SIGKILL)
                    print(f"SIGKILL to worker {killed} after {answered} batches were answered")

        started = time.monotonic()
        await asyncio.gather(*(one_phone() for _ in range(PHONES)))
        print(
            f"{ledger.requests} requests in {time.monotonic() - started:.1f} s: "
            f"{dict(ledger.statuses)}; {cut_off} batches sent again after no answer"
        )

        deadline = time.monotonic() + REPLACE_SECONDS
        after = worker_pids(master)
        while (killed in after or len(after) != len(before)) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            after = worker_pids(master)
        print(f"workers now {after}")
        board = await client.get(f"/api/v1/launches/{launch['id']}/board", headers=headers)
        found = await counted(url, launch["id"])

    problems = discrepancies(ledger, found, {d.code for d in delegates})
    print(
        f"database: {found.check_ins:,} check-ins of {len(ledger.codes_sent):,} codes sent "
        f"({ledger.scans:,} scans); {ledger.new:,} answered checked_in, "
        f"{found.check_ins - ledger.new} counted by a batch whose answer was lost (the resend "
        f"answered already); "
        f"board {board.status_code} {board.json()['totals']['checked_in']:,}"
    )
    if killed in after or len(after) != len(before):
        problems.append(f"the killed worker was not replaced: workers {before}, then {after}")
    if not cut_off:
        problems.append("the kill cut no batch off, so nothing was tested; run again")
    if len(ledger.codes_sent) != len(delegates):
        problems.append(f"{len(ledger.codes_sent)} of {len(delegates)} codes were sent")
    if board.status_code != 200 or board.json()["totals"]["checked_in"] != found.check_ins:
        problems.append("the board does not show the database's count")
    if problems:
        fail("; ".join(problems))
    passed(
        f"killing a worker cut off {cut_off} batches; sent again, every one of the "
        f"{len(delegates):,} delegates is checked in exactly once"
    )


def main() -> None:
    url = fresh_database("launch_worker_kill")
    with serve(url, PORT, workers=2) as (base, master):
        asyncio.run(run(url, base, master))


if __name__ == "__main__":
    main()
