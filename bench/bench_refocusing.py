"""Applied refocusings per second under 50-way contention, through the API, on PostgreSQL.

Prepares N approved refocusings that all move money among the same few budget lines (drafted
and submitted by demo-officer, approved by demo-admin: maker-checker), then applies them with
50 concurrent clients, each apply with its own Idempotency-Key, against uvicorn with several
workers. Every apply locks the same lines, so this measures the contended path. Afterwards it
checks the ledger in the database: the year's total is conserved, no line is below what is
committed on it, and there are exactly two entries per applied movement.

Needs PostgreSQL (KOPDES_BENCH_POSTGRES_URL, default the local cluster). It drops and
recreates the database named in that URL.

    .venv/bin/python bench/bench_refocusing.py [--workers 2] [--refocusings 500] [--rounds 3]
"""

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import Counter

import asyncpg
import httpx
from common import DEMO_PASSWORD, prepare_database, serve
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_budget"
PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"
CONCURRENCY = 50
LINES = 4
FISCAL_YEAR = 2025
CEILING = 1_000_000_000_000  # plenty: every apply should go through
DOCUMENT = {
    "fiscal_year": FISCAL_YEAR,
    "region_code": "64.02",
    "reason": "Pergeseran anggaran (benchmark)",
    "legal_basis": "Inpres 1/2025",
    "document_type": "pergeseran",
    "document_number": "900/1/BPKAD/2025",
    "document_date": "2025-06-10",
}


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def create_lines(client: httpx.AsyncClient, admin: dict[str, str]) -> list[int]:
    ids = []
    for n in range(1, LINES + 1):
        response = await client.post(
            "/api/v1/budget-lines",
            headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "fiscal_year": FISCAL_YEAR,
                "region_code": "64.02",
                "skpd": "Dinas Koperasi dan UKM Kab. Kutai Kartanegara",
                "sub_kegiatan_code": "2.17.05.2.01.0001",
                "sub_kegiatan_name": "Pelatihan perkoperasian",
                "kode_rekening": f"5.1.02.02.01.{n:04d}",
                "name": f"Bench line {n}",
                "original_ceiling": CEILING,
            },
        )
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


async def prepare_approved(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    admin: dict[str, str],
    lines: list[int],
    count: int,
    rng: random.Random,
) -> list[int]:
    """`count` approved refocusings of 1-2 movements each among `lines` (prepared 16 at a time;
    this part is not measured)."""
    plans = []
    for _ in range(count):
        movements = []
        for _ in range(rng.choice((1, 2))):
            source, target = rng.sample(lines, 2)
            movements.append(
                {"from_line_id": source, "to_line_id": target, "amount": rng.randrange(1, 1000)}
            )
        plans.append(movements)
    gate = asyncio.Semaphore(16)

    async def one(movements: list[dict[str, int]]) -> int:
        async with gate:
            drafted = await client.post(
                "/api/v1/refocusings",
                json={**DOCUMENT, "movements": movements},
                headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
            )
            drafted.raise_for_status()
            url = f"/api/v1/refocusings/{drafted.json()['id']}"
            for step, headers in (("/submit", officer), ("/approve", admin)):
                key = {"Idempotency-Key": str(uuid.uuid4())}
                (await client.post(url + step, headers={**headers, **key})).raise_for_status()
            return drafted.json()["id"]

    return list(await asyncio.gather(*(one(m) for m in plans)))


async def apply_all(
    client: httpx.AsyncClient, admin: dict[str, str], ids: list[int]
) -> tuple[float, Counter[int], list[int]]:
    """Apply every refocusing, CONCURRENCY at a time; returns (seconds, statuses, applied)."""
    queue = list(reversed(ids))
    statuses: Counter[int] = Counter()
    applied: list[int] = []

    async def worker() -> None:
        while queue:
            rid = queue.pop()
            response = await client.post(
                f"/api/v1/refocusings/{rid}/apply",
                headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
            )
            statuses[response.status_code] += 1
            if response.status_code == 200:
                applied.append(rid)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - start, statuses, applied


async def violations(url: str) -> dict[str, int]:
    """Read the ledger straight from the database and count what breaks an invariant."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        balances = await connection.fetch(
            """
            SELECT l.id, l.original_ceiling,
              l.original_ceiling
              + COALESCE(SUM(CASE e.kind WHEN 'shift_in' THEN e.amount
                                         WHEN 'shift_out' THEN -e.amount END), 0) AS current,
              COALESCE(SUM(CASE e.kind WHEN 'commit' THEN e.amount
                                       WHEN 'release' THEN -e.amount END), 0) AS committed
            FROM budget_line l LEFT JOIN budget_entry e ON e.budget_line_id = l.id
            WHERE l.fiscal_year = $1 GROUP BY l.id, l.original_ceiling
            """,
            FISCAL_YEAR,
        )
        movements = await connection.fetchval(
            """SELECT count(*) FROM refocusing_movement m JOIN refocusing r
               ON r.id = m.refocusing_id WHERE r.status = 'applied'"""
        )
        entries = await connection.fetchval(
            "SELECT count(*) FROM budget_entry WHERE refocusing_id IS NOT NULL"
        )
        # Each applied movement: exactly one shift_out and one shift_in of its amount.
        unmatched = await connection.fetchval(
            """
            SELECT count(*) FROM refocusing_movement m JOIN refocusing r ON r.id = m.refocusing_id
            WHERE r.status = 'applied' AND (
              (SELECT count(*) FROM budget_entry e WHERE e.refocusing_id = m.refocusing_id
                 AND e.kind = 'shift_out' AND e.budget_line_id = m.from_line_id
                 AND e.amount = m.amount)
              <> (SELECT count(*) FROM refocusing_movement o WHERE o.refocusing_id = m.refocusing_id
                 AND o.from_line_id = m.from_line_id AND o.amount = m.amount)
              OR
              (SELECT count(*) FROM budget_entry e WHERE e.refocusing_id = m.refocusing_id
                 AND e.kind = 'shift_in' AND e.budget_line_id = m.to_line_id
                 AND e.amount = m.amount)
              <> (SELECT count(*) FROM refocusing_movement o WHERE o.refocusing_id = m.refocusing_id
                 AND o.to_line_id = m.to_line_id AND o.amount = m.amount))
            """
        )
        not_applied_with_entries = await connection.fetchval(
            """SELECT count(DISTINCT e.refocusing_id) FROM budget_entry e
               JOIN refocusing r ON r.id = e.refocusing_id WHERE r.status <> 'applied'"""
        )
    finally:
        await connection.close()
    return {
        "total not conserved": int(
            sum(row["current"] for row in balances)
            != sum(row["original_ceiling"] for row in balances)
        ),
        "lines below committed": sum(row["current"] < row["committed"] for row in balances),
        "entries != 2 x applied movements": int(entries != 2 * movements),
        "movements without their pair": unmatched,
        "unapplied with entries": not_applied_with_entries,
        "_movements": movements,
        "_entries": entries,
    }


async def run(args: argparse.Namespace, url: str) -> None:
    rng = random.Random(2025)
    limits = httpx.Limits(max_connections=CONCURRENCY + 10, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=BASE, limits=limits, timeout=60) as client:
        officer = await login(client, "demo-officer")
        admin = await login(client, "demo-admin")
        lines = await create_lines(client, admin)
        rates, totals = [], Counter()
        applied_total = 0
        print(
            f"workers={args.workers} clients={CONCURRENCY} lines={LINES} "
            f"refocusings/round={args.refocusings} rounds={args.rounds}"
        )
        print(
            f"{'round':>5} {'applied':>8} {'seconds':>8} {'applies/s':>10} {'409':>5} "
            f"{'503':>5} {'other':>6}"
        )
        for number in range(1, args.rounds + 1):
            ids = await prepare_approved(client, officer, admin, lines, args.refocusings, rng)
            seconds, statuses, applied = await apply_all(client, admin, ids)
            rate = len(applied) / seconds
            rates.append(rate)
            totals.update(statuses)
            applied_total += len(applied)
            other = sum(n for code, n in statuses.items() if code not in (200, 409, 503))
            print(
                f"{number:>5} {len(applied):>8} {seconds:>8.2f} {rate:>10.1f} "
                f"{statuses[409]:>5} {statuses[503]:>5} {other:>6}"
            )
        found = await violations(url)
    errors = sum(n for code, n in totals.items() if code not in (200, 409, 503))
    broken = {k: v for k, v in found.items() if not k.startswith("_") and v}
    print(
        f"median {statistics.median(rates):.1f} applies/s; applied {applied_total}, "
        f"409 {totals[409]}, 503 {totals[503]}, errors {errors} ({dict(totals)})"
    )
    print(
        f"ledger: {found['_entries']} entries for {found['_movements']} applied movements; "
        f"violations: {broken or 'none'}"
    )
    if broken or errors:
        raise SystemExit("FAILED: invariant violations or server errors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--refocusings", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    prepare_database(url)
    with serve(url, PORT, args.workers):
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
