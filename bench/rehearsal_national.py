"""The national dress rehearsal (issue 20): every village's delegate checked in on one launch, and
the database, the board and its live stream agreeing to the person.

On a fresh PostgreSQL database with the national demo data (83,762 cooperatives, one per
village; `--reuse` keeps a database that already holds them), a national administrator saves a
national plan and runs it as a hybrid_hubs launch (552 hubs: one per regency, and a province's
own). One delegate per village is registered with SQL (launch_day.register), each to the hub
serving its village, and then `--phones` (32) simulated phones check everyone in through the API
(uvicorn, `--workers` 4, a Redis of its own), each hub's queue in batches of `--batch` (100):
- 2% of the codes are scanned twice in a queue, and 0.5% of the delegates arrive at another hub
  than their own;
- 10% of the batches are sent again after their answer (the answer was lost) and 3% twice at
  once (a retry racing the first send);
- `--walk-ins` (2,000) walk-in counts of 1 to 5 people ride along in the batches, each with its
  phone's id; 5% of them are sent again in a later batch.

Then it prints the totals counted from the database (check-in rows, walk-in people, delegates
registered) beside those of `GET /board` (per hub and per province) and of the last event of a
board stream kept open throughout, which must all be equal, and checks every code sent against
the database (none lost, none counted twice). Exits non-zero if anything differs.

Needs PostgreSQL (KOPDES_BENCH_POSTGRES_URL, default the local cluster; the database in it is
dropped and recreated unless --reuse finds the national demo data there) and redis-server.
Loading the national demo data takes 3 to 15 minutes.

    .venv/bin/python bench/rehearsal_national.py [--reuse] [--workers 4] [--phones 32]
        [--batch 100] [--walk-ins 2000]
"""

import argparse
import asyncio
import os
import random
import subprocess
import time
import uuid
from collections import Counter, deque
from typing import Any

import httpx
from common import BIN, ROOT, prepare_database, serve
from launch_day import (
    Delegate,
    Ledger,
    analyze,
    batch_body,
    board_stream,
    connect,
    counted,
    create_launch,
    create_national_admin,
    discrepancies,
    login,
    private_redis,
    register,
    send_queue,
    until_ready,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_rehearsal"
PORT = 8783
VILLAGES = 83_762
SETTLE_SECONDS = 15


async def national_data_loaded(url: str) -> bool:
    try:
        connection = await connect(url)
    except Exception:  # noqa: BLE001 - no database yet
        return False
    try:
        return bool(await connection.fetchval("SELECT count(*) >= $1 FROM cooperative", VILLAGES))
    except Exception:  # noqa: BLE001 - not migrated
        return False
    finally:
        await connection.close()


def queues(
    delegates: list[Delegate], hub_ids: list[int], walk_ins: int, size: int, rng: random.Random
) -> list[tuple[int, list[str], list[tuple[str, int]]]]:
    """Each hub's queue as batches: (hub, codes, walk-ins)."""
    by_hub: dict[int, list[str]] = {}
    for delegate in delegates:
        hub = delegate.hub_id
        if rng.random() < 0.005:  # came to another hub than their own
            hub = rng.choice(hub_ids)
        by_hub.setdefault(hub, []).append(delegate.code)
    counts: dict[int, list[tuple[str, int]]] = {}
    for _ in range(walk_ins):
        counts.setdefault(rng.choice(hub_ids), []).append((str(uuid.uuid4()), rng.randint(1, 5)))
    batches = []
    for hub in sorted(set(by_hub) | set(counts)):
        codes, people = by_hub.get(hub, []), counts.get(hub, [])
        sent: list[tuple[str, int]] = []
        for start in range(0, max(len(codes), 1), size):
            chunk = codes[start : start + size]
            repeats = rng.sample(chunk, len(chunk) // 50)  # scanned twice
            mine = people[: rng.randint(0, 3)] if start + size < len(codes) else people
            people = people[len(mine) :]
            again = [item for item in sent if rng.random() < 0.05]  # sent again, same id
            sent += mine
            batches.append((hub, chunk + repeats, mine + again))
    rng.shuffle(batches)
    return batches


async def check_everyone_in(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    launch_id: int,
    batches: list[tuple[int, list[str], list[tuple[str, int]]]],
    phones: int,
    rng: random.Random,
    ledger: Ledger,
) -> None:
    queue = deque(batches)

    async def one_phone() -> None:
        while queue:
            hub, codes, walk_ins = queue.popleft()
            call = (client, headers, launch_id, hub, batch_body(codes, walk_ins), ledger)
            draw = rng.random()
            if draw < 0.03:
                await asyncio.gather(send_queue(*call), send_queue(*call))
            else:
                await send_queue(*call)
                if draw < 0.13:
                    await send_queue(*call)

    await asyncio.gather(*(one_phone() for _ in range(phones)))


async def database_totals(url: str, launch_id: int) -> dict[str, int]:
    connection = await connect(url)
    try:
        row = await connection.fetchrow(
            """SELECT (SELECT count(*) FROM launch_check_in WHERE launch_id = $1) AS checked_in,
                      (SELECT count(*) FROM launch_check_in
                       WHERE launch_id = $1 AND other_hub) AS other_hub,
                      (SELECT coalesce(sum(people), 0) FROM launch_walk_in
                       WHERE launch_id = $1) AS walk_ins,
                      (SELECT count(*) FROM launch_registration
                       WHERE launch_id = $1) AS registered""",
            launch_id,
        )
    finally:
        await connection.close()
    return dict(row)


def board_totals(board: dict[str, Any] | None) -> dict[str, int]:
    if board is None:
        return {}
    names = ("checked_in", "other_hub", "walk_ins", "registered")
    return {name: board["totals"][name] for name in names}


async def run(args: argparse.Namespace, url: str, base: str, admin: tuple[str, str]) -> bool:
    await until_ready(base)
    rng = random.Random(2026)
    limits = httpx.Limits(max_connections=args.phones + 8, max_keepalive_connections=args.phones)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        headers = await login(client, *admin)
        started = time.monotonic()
        launch, hubs = await create_launch(
            client, headers, preset="national", region="", name="Peluncuran nasional (gladi)"
        )
        print(
            f"national plan and launch {launch['id']}: {len(hubs)} hubs, "
            f"planned {launch['planned']:,}, in {time.monotonic() - started:.1f} s"
        )
        started = time.monotonic()
        delegates = await register(url, launch["id"], None, seed=83)
        per_hub = Counter(d.hub_id for d in delegates)
        print(
            f"registered {len(delegates):,} delegates (one per village) by SQL in "
            f"{time.monotonic() - started:.1f} s, to {len(per_hub)} hubs "
            f"({min(per_hub.values())} to {max(per_hub.values())} each)"
        )
        hub_ids = [hub["id"] for hub in hubs]
        batches = queues(delegates, sorted(per_hub), args.walk_ins, args.batch, rng)
        ledger = Ledger()
        async with board_stream(base, launch["id"], headers, level="province") as stream:
            await stream.wait_until(lambda _: True, 30)
            started, wall = time.monotonic(), time.time()
            await check_everyone_in(
                client, headers, launch["id"], batches, args.phones, rng, ledger
            )
            seconds = time.monotonic() - started
            database = await database_totals(url, launch["id"])
            settled = await stream.wait_until(
                lambda board: board_totals(board) == database, SETTLE_SECONDS
            )
            waited = time.monotonic() - started - seconds
            last = stream.board()
            events = stream.events
            during = [t for t in stream.arrivals if wall <= t <= wall + seconds]
        path = f"/api/v1/launches/{launch['id']}/board"
        by_hub = (await client.get(path, headers=headers)).json()
        by_province = (await client.get(path, params={"level": "province"}, headers=headers)).json()
        found = await counted(url, launch["id"])

    print(
        f"\n{len(batches):,} batches from {args.phones} phones over {len(hub_ids)} hubs: "
        f"{ledger.requests:,} requests ({ledger.requests - len(batches) - ledger.retries} "
        f"deliberate re-sends, {ledger.retries} after no answer; statuses "
        f"{dict(ledger.statuses)}), {ledger.scans:,} scans of {len(ledger.codes_sent):,} codes, "
        f"{len(ledger.walk_ins_sent):,} walk-in counts; {ledger.new:,} delegates counted in "
        f"{seconds:.1f} s: {ledger.new / seconds:,.0f} check-ins/s"
    )
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    print(
        f"the stream sent {len(during)} events while the check-ins ran"
        + (f", {max(gaps):.1f} s apart at most" if gaps else "")
    )
    print(
        f"the stream's figures equal the database's {waited:.1f} s after the last answer"
        if settled
        else f"the stream never equalled the database within {SETTLE_SECONDS} s"
    )
    rows = {
        "database": database,
        "GET /board (hubs)": board_totals(by_hub),
        "GET /board (provinces)": board_totals(by_province),
        f"last stream event (of {events})": board_totals(last),
    }
    print(f"\n{'':>28} {'checked in':>11} {'other hub':>10} {'walk-ins':>9} {'registered':>11}")
    for name, figures in rows.items():
        print(
            f"{name:>28} {figures.get('checked_in', '-'):>11} {figures.get('other_hub', '-'):>10}"
            f" {figures.get('walk_ins', '-'):>9} {figures.get('registered', '-'):>11}"
        )
    problems = discrepancies(ledger, found, {d.code for d in delegates})
    if len(ledger.codes_sent) != len(delegates) or found.check_ins != len(delegates):
        problems.append(
            f"{len(delegates):,} delegates, {len(ledger.codes_sent):,} sent, "
            f"{found.check_ins:,} checked in"
        )
    if database["walk_ins"] != sum(ledger.walk_ins_sent.values()):
        problems.append("the walk-ins stored are not those sent")
    if any(figures != database for figures in rows.values()):
        problems.append("the totals differ")
    print(
        f"\ncodes: lost {len(ledger.codes_sent - found.codes)}, doubled "
        f"{found.check_ins - len(found.codes)} in the database, "
        f"{len(ledger.doubled_answers())} answered checked_in twice; walk-ins "
        f"{sum(ledger.walk_ins_sent.values()):,} people sent in "
        f"{len(ledger.walk_ins_sent):,} counts, {found.walk_in_people:,} stored"
    )
    if problems:
        print("FAILED: " + "; ".join(problems))
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--phones", type=int, default=32)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--walk-ins", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    started = time.monotonic()
    if args.reuse and asyncio.run(national_data_loaded(url)):
        subprocess.run(
            [BIN / "alembic", "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, "KOPDES_DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        print("reusing the national demo data (migrated to the head)")
    else:
        print("loading the national demo data (3 to 15 minutes)", flush=True)
        prepare_database(url, demo="national")
        print(f"loaded in {time.monotonic() - started:.0f} s")
    asyncio.run(analyze(url))
    admin = create_national_admin(url)
    with private_redis() as redis:
        env = {
            "KOPDES_REDIS_URL": redis.url,
            "KOPDES_DB_POOL_SIZE": "8",
            "KOPDES_BOARD_STREAM_SECONDS": "1800",
        }
        with serve(url, PORT, args.workers, env=env) as (base, _):
            ok = asyncio.run(run(args, url, base, admin))
    print(f"total {time.monotonic() - started:.0f} s")
    if not ok:
        raise SystemExit(1)
    print("PASSED: the database, the board and its stream agree")


if __name__ == "__main__":
    main()
