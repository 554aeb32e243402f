"""The sync feed at national scale, and what the change clock costs writers, on PostgreSQL.

1. Pads Kukar's demo data with one cooperative in every other village of Indonesia, written
   the way bulk writers must: Core inserts numbered with `reserve_changes` (rows per second).
2. A Kukar officer's first sync of the cooperatives (updated_since=0, pages of 200).
3. Then 5,000 cooperatives elsewhere change, and the Kukar officer syncs again: from the cursor
   it kept (the page's `sync_cursor`, which moved past changes it cannot see) and, for
   comparison, from the number of its own last visible change (what a client would have to
   keep if cursors did not move past other regions' changes). Median latency of each.
4. Writers: concurrent PATCHes of distinct Kukar cooperatives through the API; every one of them
   takes the change clock, so they commit one after another (writes per second, p95).

Needs PostgreSQL (KOPDES_BENCH_POSTGRES_URL, default the local cluster). It drops and
recreates the database named in that URL.

    .venv/bin/python bench/bench_sync.py [--workers 2] [--seconds 8] [--concurrency 32]
"""

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter

import httpx
from common import DEMO_PASSWORD, prepare_database, serve
from sqlalchemy import bindparam, func, insert, select, update

from app.core.db import build_engine
from app.models.cooperative import Cooperative
from app.models.region import Region, RegionLevel, ancestor_codes
from app.models.sync import reserve_changes
from app.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_sync"
PORT = 8767
KUKAR = "64.02"
BATCH = 5_000
CHANGED_ELSEWHERE = 5_000


async def pad_nation(url: str) -> tuple[int, float]:
    """One cooperative in every village outside Kukar, in batches; returns (rows, seconds)."""
    engine = build_engine(Settings(database_url=url))
    async with engine.connect() as connection:
        villages = list(
            await connection.scalars(
                select(Region.code)
                .where(
                    Region.level.in_([RegionLevel.desa.value, RegionLevel.kelurahan.value]),
                    ~Region.code.startswith(KUKAR + "."),
                )
                .order_by(Region.code)
            )
        )
    started = time.perf_counter()
    for start in range(0, len(villages), BATCH):
        batch = villages[start : start + BATCH]
        async with engine.begin() as connection:
            first = await reserve_changes(connection, len(batch))
            rows = []
            for offset, code in enumerate(batch):
                province, regency, district = ancestor_codes(code)
                rows.append(
                    {
                        "name": f"Koperasi Desa Merah Putih {code}",
                        "village_code": code,
                        "district_code": district,
                        "regency_code": regency,
                        "province_code": province,
                        "kind": "desa",
                        "is_demo": True,
                        "change": first + offset,
                    }
                )
            await connection.execute(insert(Cooperative), rows)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return len(villages), elapsed


async def change_elsewhere(url: str, count: int) -> None:
    """`count` cooperatives outside Kukar change, each with its own change number."""
    engine = build_engine(Settings(database_url=url))
    async with engine.begin() as connection:
        ids = list(
            await connection.scalars(
                select(Cooperative.id)
                .where(Cooperative.regency_code != KUKAR)
                .order_by(func.random())
                .limit(count)
            )
        )
        first = await reserve_changes(connection, len(ids))
        table = Cooperative.__table__
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(change=bindparam("new_change"), members_male=table.c.members_male + 1),
            [{"row_id": i, "new_change": first + n} for n, i in enumerate(ids)],
        )
    await engine.dispose()


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def full_sync(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, int, float]:
    """(records, the last sync_cursor, seconds) of a first sync in pages of 200."""
    started, records, cursor = time.perf_counter(), 0, None
    while True:
        params = {"updated_since": 0, "page_size": 200, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/cooperatives", params=params, headers=headers)).json()
        records += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return records, page["sync_cursor"], time.perf_counter() - started


async def median_ms(client: httpx.AsyncClient, headers: dict[str, str], since: int) -> float:
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        response = await client.get(
            "/api/v1/cooperatives", params={"updated_since": since}, headers=headers
        )
        response.raise_for_status()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


async def writers(
    client: httpx.AsyncClient, headers: dict[str, str], seconds: float, concurrency: int
) -> tuple[int, Counter[int], float]:
    """(writes, statuses other than 200, p95 ms) of PATCHes of distinct Kukar cooperatives,
    `concurrency` at a time, for `seconds`."""
    ids = [
        item["id"]
        for item in (
            await client.get(
                "/api/v1/cooperatives",
                params={"region": KUKAR, "page_size": 200},
                headers=headers,
            )
        ).json()["items"]
    ]
    deadline = time.perf_counter() + seconds
    timings: list[float] = []
    failures: Counter[int] = Counter()

    async def worker(n: int) -> None:
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            started = time.perf_counter()
            response = await client.patch(
                f"/api/v1/cooperatives/{ids[n % len(ids)]}",
                json={"members_male": count % 500},
                headers={**headers, "If-Match": "*"},
            )
            timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                failures[response.status_code] += 1

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return len(timings), failures, statistics.quantiles(timings, n=20)[-1] * 1000


async def run(args: argparse.Namespace, url: str) -> None:
    padded, seconds = await pad_nation(url)
    print(
        f"bulk insert with reserve_changes: {padded:,} cooperatives in {seconds:.1f} s "
        f"({padded / seconds:,.0f} rows/s, batches of {BATCH:,})"
    )
    with serve(url, PORT, args.workers) as (base, _):
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            officer = await login(client, "demo-officer")
            records, cursor, took = await full_sync(client, officer)
            print(f"Kukar officer's first sync: {records} cooperatives in {took * 1000:.0f} ms")
            own_last = max(
                item["change"]
                for item in (
                    await client.get(
                        "/api/v1/cooperatives",
                        params={"updated_since": 0, "page_size": 200},
                        headers=officer,
                    )
                ).json()["items"]
            )
            await change_elsewhere(url, CHANGED_ELSEWHERE)
            page = (
                await client.get(
                    "/api/v1/cooperatives", params={"updated_since": cursor}, headers=officer
                )
            ).json()
            assert page["items"] == [] and page["sync_cursor"] > cursor
            print(
                f"after {CHANGED_ELSEWHERE:,} changes elsewhere, an empty Kukar sync takes "
                f"{await median_ms(client, officer, page['sync_cursor']):.1f} ms from the "
                f"cursor it was given, {await median_ms(client, officer, own_last):.1f} ms "
                "from its own last change (median of 200)"
            )
            writes, failures, p95 = await writers(client, officer, args.seconds, args.concurrency)
            print(
                f"writers: {writes / args.seconds:,.0f} PATCH/s with {args.concurrency} at once "
                f"({args.workers} workers), p95 {p95:.0f} ms, not 200: {dict(failures) or 'none'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    prepare_database(url)
    asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
