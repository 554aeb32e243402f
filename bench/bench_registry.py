"""Hot reads through the API versus the raw database driver, on the Kukar demo data.

For the cooperatives list (region 64.02, a page of 50) and the single read by id, it measures:
- the API: uvicorn with several workers, loaded by wrk (64 connections);
- the raw driver: asyncpg running the very same SQL in a plain Python loop (16 concurrent tasks),
and prints the ratio API / raw, the median over a few rounds (timings here are noisy).

Needs PostgreSQL (KOPDES_BENCH_POSTGRES_URL, default the local cluster) and wrk
(`apt-get install wrk`). It drops and recreates the database named in that URL.

    .venv/bin/python bench/bench_registry.py [--workers 2] [--seconds 8] [--rounds 3]
"""

import argparse
import asyncio
import os
import re
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

from app.models.cooperative import CooperativeSort
from app.services.cooperatives import CooperativeFilters, list_query, single_query

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench"
PORT = 8765
RAW_CONCURRENCY = 16
WRK_CONNECTIONS = 64

WRK_ROTATE_IDS = """
local first, count, i = %d, %d, 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/cooperatives/" .. (first + i %% count))
end
"""


def compiled(statement):
    sql = statement.compile(
        dialect=postgresql.asyncpg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(sql), [sql.params[name] for name in sql.positiontup]


async def raw_rate(url: str, sql: str, params_for, seconds: float) -> float:
    """Queries per second with asyncpg alone: fetch the rows, nothing else."""
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
    path: str, seconds: float, token: str, script: str | None = None
) -> tuple[float, str, str]:
    command = ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"the API answered with errors under load:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    p50 = re.search(r"50%\s+(\S+)", output).group(1)
    return rate, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    prepare_database(url)

    with serve(url, PORT, args.workers):
        # The demo officer (created by `kopdes demo load`) reads as an office user would.
        token = httpx.post(
            f"http://127.0.0.1:{PORT}/api/v1/auth/token",
            data={"username": "demo-officer", "password": DEMO_PASSWORD},
        ).json()["access_token"]
        page = httpx.get(
            f"http://127.0.0.1:{PORT}/api/v1/cooperatives",
            params={"region": "64.02"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["items"]
        first_id = page[0]["id"]

        list_sql, list_params = compiled(
            list_query(CooperativeFilters(region="64.02"), CooperativeSort.village_code, 51)
        )
        single_sql, _ = compiled(single_query(first_id))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(WRK_ROTATE_IDS % (first_id, 237))

        cases = {
            "list (region=64.02, 50 rows)": (
                "/api/v1/cooperatives?region=64.02&page_size=50",
                None,
                list_sql,
                lambda i: list_params,
            ),
            "single by id": (
                "/api/v1/cooperatives/0",
                lua.name,
                single_sql,
                lambda i: [first_id + i % 237],
            ),
        }
        print(
            f"workers={args.workers} wrk -c{WRK_CONNECTIONS} raw asyncpg x{RAW_CONCURRENCY} "
            f"{args.seconds:.0f}s x {args.rounds} rounds, medians"
        )
        print(f"{'read':32} {'API req/s':>10} {'raw q/s':>10} {'ratio':>6} {'p50':>9} {'p99':>9}")
        for name, (path, script, sql, params_for) in cases.items():
            api, raw, ratios, p50s, p99s = [], [], [], [], []
            for _ in range(args.rounds):
                rate, p50, p99 = wrk_rate(path, args.seconds, token, script)
                baseline = asyncio.run(raw_rate(url, sql, params_for, args.seconds))
                api.append(rate)
                raw.append(baseline)
                ratios.append(rate / baseline)
                p50s.append(p50)
                p99s.append(p99)
            print(
                f"{name:32} {statistics.median(api):>10.0f} {statistics.median(raw):>10.0f} "
                f"{statistics.median(ratios):>6.2f} {p50s[len(p50s) // 2]:>9} "
                f"{p99s[len(p99s) // 2]:>9}"
            )


if __name__ == "__main__":
    main()
