"""Hot reads through the API versus the raw database driver, on the national demo data.

For the cooperatives list (one regency, a page of 50) and the single read by id (rotating over
that regency's cooperatives, which the demo officer may read), it measures:
- the API: uvicorn with several workers, loaded by wrk (64 connections), with its p50/p95/p99;
- the raw driver: asyncpg running the very same SQL in a plain Python loop, one query after
  another on one connection ("raw", the baseline as the 0.5x target words it); and with 16
  concurrent tasks on a pool ("raw x16"), which keeps the driver busy while PostgreSQL answers:
  a stricter baseline;
- a bare app (bench/floor_app.py): FastAPI and asyncpg running that SQL with nothing else, on as
  many workers, which shows the most any API on this stack could reach here;
and prints the ratios API / raw, API / raw x16 and the bare app's, the medians over a few rounds
(timings here are noisy).
Before measuring it checks PostgreSQL's plans for both queries: no sequential scan.

Needs PostgreSQL (KOPDES_BENCH_POSTGRES_URL, default the local cluster) and wrk
(`apt-get install wrk`). It drops and recreates the database named in that URL, and loads the
national demo data (a few minutes) unless `--reuse` finds it already there.

    .venv/bin/python bench/bench_registry.py [--workers 2] [--seconds 8] [--rounds 3] [--reuse]
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import asyncpg
import httpx
from common import DEMO_PASSWORD, prepare_database, serve
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from app.access.auth import Caller, user_principal
from app.core.db import compiled_sql
from app.models.cooperative import CooperativeFilters, CooperativeSort
from app.services.cooperatives import page_query, single_query

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_national"
PORT, FLOOR_PORT = 8765, 8767
RAW_CONCURRENCY = 16
WRK_CONNECTIONS = 64
REGION = "64.02"

# wrk prints p50/p75/p90/p99 only; this reports the percentiles we quote, in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES %d %d %d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
WRK_ROTATE_IDS = """
local ids, i = {%s}, 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/cooperatives/" .. ids[1 + i %% #ids])
end
"""


# The demo officer, as the API sees it: the raw loop runs the very statements the API runs for
# that account, scope condition included.
DEMO_OFFICER = Caller(
    user_principal({"sub": 0, "name": "demo-officer", "role": "officer", "scope": REGION}),
    None,
    None,
)


def compiled(statement, values):
    found = compiled_sql(statement, postgresql.asyncpg.dialect())
    return found.sql, found.arguments(values)


async def connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def sequential_scans(url: str, sql: str, params: list) -> list[str]:
    """Tables PostgreSQL would read whole for this query."""
    connection = await connect(url)
    try:
        plan = json.loads(await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params))
    finally:
        await connection.close()
    found, nodes = [], [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if node["Node Type"] == "Seq Scan":
            found.append(node["Relation Name"])
        nodes += node.get("Plans", [])
    return found


async def loop_rate(url: str, sql: str, params_for, seconds: float) -> float:
    """Queries per second with asyncpg alone, in a plain loop: fetch the rows, nothing else."""
    connection = await connect(url)
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        await connection.fetch(sql, *params_for(done))
        done += 1
    elapsed = time.perf_counter() - start
    await connection.close()
    return done / elapsed


async def raw_rate(url: str, sql: str, params_for, seconds: float) -> float:
    """Queries per second with asyncpg alone, RAW_CONCURRENCY tasks on a pool."""
    parsed = make_url(url)
    pool = await asyncpg.create_pool(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        database=parsed.database,
        min_size=RAW_CONCURRENCY,
        max_size=RAW_CONCURRENCY,
    )
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < deadline:
            async with pool.acquire() as connection:
                await connection.fetch(sql, *params_for(i))
            done += 1
            i += RAW_CONCURRENCY

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(RAW_CONCURRENCY)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return done / elapsed


def wrk_rate(
    port: int, path: str, seconds: float, token: str, script: str
) -> tuple[float, list[float]]:
    """Requests per second and the p50/p95/p99 latencies in milliseconds."""
    command = ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "-s", script]
    command += ["-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        # Reported, not hidden: e.g. 503s when requests wait longer than the pool timeout.
        print(
            "  the API answered with errors under load: "
            + " / ".join(
                line.strip()
                for line in output.splitlines()
                if "Non-2xx" in line or "Socket" in line
            )
        )
    rate = next(line for line in output.splitlines() if line.startswith("Requests/sec:"))
    percentiles = next(line for line in output.splitlines() if line.startswith("PERCENTILES"))
    return float(rate.split()[1]), [int(us) / 1000 for us in percentiles.split()[1:]]


def lua(*parts: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(parts))
    return script.name


async def cooperative_ids(url: str) -> tuple[list[int], int]:
    """The ids of the region's cooperatives (the demo officer reads those; others are 404s to
    them), and how many cooperatives there are in all."""
    connection = await connect(url)
    try:
        ids = await connection.fetch(
            "SELECT id FROM cooperative WHERE regency_code = $1 ORDER BY id", REGION
        )
        count = await connection.fetchval("SELECT count(*) FROM cooperative")
    finally:
        await connection.close()
    return [row["id"] for row in ids], count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", choices=["national", "kukar"], default="national")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already holds the data"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    if not args.reuse:
        started = time.perf_counter()
        prepare_database(url, demo=args.scale)
        print(f"prepared {args.scale} demo data in {time.perf_counter() - started:.0f} s")
    ids, count = asyncio.run(cooperative_ids(url))

    list_sql, list_params = compiled(
        *page_query(
            DEMO_OFFICER, CooperativeFilters(region=REGION), CooperativeSort.village_code, 51
        )
    )
    single_statement, single_values = single_query(DEMO_OFFICER, ids[0])
    single_sql, _ = compiled(single_statement, single_values)
    single_params = [compiled(*single_query(DEMO_OFFICER, id_))[1] for id_ in ids]
    # For the bare app: the single read's arguments, None where the id from the path goes.
    floor_queries = {
        "list": [list_sql, list_params],
        "single": [single_sql, compiled(single_statement, {**single_values, "id": None})[1]],
    }
    cases = {
        f"list (region={REGION}, 50 rows)": (
            f"/api/v1/cooperatives?region={REGION}&page_size=50",
            lua(WRK_REPORT),
            list_sql,
            lambda i: list_params,
        ),
        f"single by id ({len(ids)} in {REGION})": (
            "/api/v1/cooperatives/0",
            lua(WRK_ROTATE_IDS % ", ".join(map(str, ids)), WRK_REPORT),
            single_sql,
            lambda i: single_params[i % len(ids)],
        ),
    }
    for name, (_, _, sql, params_for) in cases.items():
        if scanned := asyncio.run(sequential_scans(url, sql, params_for(0))):
            raise SystemExit(f"{name}: PostgreSQL plans a sequential scan over {scanned}")
    print("query plans: no sequential scan")

    # A connection for each request a worker has in hand (docs/deploy.md, Running at scale).
    pool = {"KOPDES_DB_POOL_SIZE": str(WRK_CONNECTIONS // args.workers)}
    results = {
        name: {"api": [], "raw": [], "raw x16": [], "latencies": [], "bare": []} for name in cases
    }
    # The API, with the raw loops between its rounds; then the bare app (the two together would
    # hold more connections than PostgreSQL allows).
    with serve(url, PORT, args.workers, env=pool):
        # The demo officer (created by `kopdes demo load`) reads as an office user would.
        token = httpx.post(
            f"http://127.0.0.1:{PORT}/api/v1/auth/token",
            data={"username": "demo-officer", "password": DEMO_PASSWORD},
        ).json()["access_token"]
        for name, (path, script, sql, params_for) in cases.items():
            for _ in range(args.rounds):
                rate, percentiles = wrk_rate(PORT, path, args.seconds, token, script)
                results[name]["api"].append(rate)
                results[name]["latencies"].append(percentiles)
                results[name]["raw"].append(
                    asyncio.run(loop_rate(url, sql, params_for, args.seconds))
                )
                results[name]["raw x16"].append(
                    asyncio.run(raw_rate(url, sql, params_for, args.seconds))
                )
    floor_env = {**pool, "FLOOR_QUERIES": json.dumps(floor_queries)}
    with serve(url, FLOOR_PORT, args.workers, factory="bench.floor_app:create_app", env=floor_env):
        for name, (path, script, _, _) in cases.items():
            for _ in range(args.rounds):
                rate, _ = wrk_rate(FLOOR_PORT, path, args.seconds, "-", script)
                results[name]["bare"].append(rate)

    print(
        f"{count:,} cooperatives; workers={args.workers} (pools of "
        f"{pool['KOPDES_DB_POOL_SIZE']}), wrk -c{WRK_CONNECTIONS}; raw: asyncpg in a plain loop, "
        f"raw x16: {RAW_CONCURRENCY} tasks; {args.seconds}s x {args.rounds} rounds, medians; "
        "bare: FastAPI and asyncpg alone (bench/floor_app.py)"
    )
    print(
        f"{'read':34} {'API req/s':>10} {'raw q/s':>8} {'x16 q/s':>8} {'bare req/s':>10} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    for name, found in results.items():
        api, raw, x16, bare = (
            statistics.median(found[key]) for key in ("api", "raw", "raw x16", "bare")
        )
        p50, p95, p99 = (
            statistics.median(column) for column in zip(*found["latencies"], strict=True)
        )
        print(
            f"{name:34} {api:>10.0f} {raw:>8.0f} {x16:>8.0f} {bare:>10.0f} "
            f"{p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
        )
    # Each round's API figure against the raw figures taken right after it; the bare app runs
    # later, so its ratios are of the medians.
    print(f"{'ratios':34} {'API/raw':>10} {'API/x16':>8} {'bare/raw':>8} {'bare/x16':>10}")
    for name, found in results.items():
        api_raw, api_x16 = (
            statistics.median(a / r for a, r in zip(found["api"], found[key], strict=True))
            for key in ("raw", "raw x16")
        )
        raw, x16, bare = (statistics.median(found[key]) for key in ("raw", "raw x16", "bare"))
        print(f"{name:34} {api_raw:>10.2f} {api_x16:>8.2f} {bare / raw:>8.2f} {bare / x16:>10.2f}")


if __name__ == "__main__":
    main()
