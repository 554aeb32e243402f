"""Every GET on the national demo data: how long each takes, for a national and a regency admin.

It prepares a PostgreSQL database (KOPDES_BENCH_POSTGRES_URL, default the local cluster's
`kopdes_bench_gets`; dropped and recreated) with the regions and `kopdes demo load --scale
national` (about 84,000 cooperatives, a million consultations, two million topics, 600,000
follow-ups: 4 to 15 minutes), unless `--reuse` finds them already there, in which case it
only migrates it to the head. It runs ANALYZE, as autovacuum would soon after the load, unless
`--as-loaded` asks for the tables as the loader leaves them, without planner statistics (what
a walk right after the load sees, or any walk on a cluster with autovacuum off). It serves the
API on one uvicorn worker and walks:
- every GET in `/openapi.json` that needs no path parameter, with its defaults (a required
  query parameter gets a value: `fiscal_year=2025`, the demo budget's year, and a calendar feed
  token issued for the account); those needing a path parameter are listed as skipped;
- the stats endpoints once per region (`64.02`, `64`, none) and, for the mentoring figures,
  also over 2025 (`from=2025-01-01&to=2025-12-31`);
as a national admin and as a Kukar (64.02) admin, `--requests` times each after a warm-up
request, one after another, and prints per endpoint and account the status codes, p50 and p95.

The exports are downloads whose time grows with what they hold (the whole country's registry
takes seconds as CSV and half a minute as XLSX, which is written whole before its first byte:
bench/bench_national.py measures those). They are walked as CSV (`format=csv`), and their
figure is the time to the first byte of the file, when the user sees the download start; the
rest of the file is not read. `--skip-exports` leaves them out.

It exits non-zero if any p95 is `--limit` ms (300) or more, or any answer is a 5xx.

    .venv/bin/python bench/bench_national_gets.py [--reuse] [--as-loaded] [--requests 20]
        [--only mentoring] [--skip-exports]
"""

import argparse
import asyncio
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import asyncpg
import httpx
from common import BIN, ROOT, prepare_database, serve
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_gets"
PORT = 8771
PASSWORD = "bench-gets-password"
# username -> region scope ("" is national)
ACCOUNTS = {"bench-gets-national": "", "bench-gets-kukar": "64.02"}
STATS_REGIONS = ["64.02", "64", None]
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}
# Values for the query parameters some operations require.
REQUIRED_VALUES = {"fiscal_year": "2025"}
# More than the service's statement timeout (5 s), so that a slow answer is seen as the service
# gives it rather than cut off here.
TIMEOUT = 60.0
# An endpoint this slow on its warm-up is measured fewer times, or the walk takes hours.
SLOW_SECONDS, SLOW_REQUESTS = 2.0, 3


@dataclass
class Target:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    download: bool = False

    def label(self) -> str:
        query = "&".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.path}?{query}" if query else self.path


@dataclass
class Result:
    target: Target
    account: str
    statuses: dict[int, int]
    times: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000


async def connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def loaded(url: str) -> bool:
    """Whether the database exists and holds the national demo data."""
    try:
        connection = await connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        return (await connection.fetchval("SELECT count(*) FROM consultation")) > 500_000
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await connection.close()


async def statistics(url: str, analyze: bool) -> str:
    """ANALYZE first if asked; then whether the big tables have planner statistics."""
    connection = await connect(url)
    try:
        if analyze:
            await connection.execute("ANALYZE")
        tables = await connection.fetchval(
            "SELECT count(DISTINCT tablename) FROM pg_stats WHERE schemaname = 'public' AND "
            "tablename IN ('cooperative', 'consultation', 'consultation_topic', 'follow_up')"
        )
    finally:
        await connection.close()
    return f"{tables} of the 4 big tables have planner statistics"


def kopdes(url: str, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / args[0], *args[1:]],
        cwd=ROOT,
        env={**os.environ, "KOPDES_DATABASE_URL": url, **env},
        check=check,
        capture_output=True,
        text=True,
    )


def prepare(url: str, reuse: bool, as_loaded: bool) -> None:
    if reuse and asyncio.run(loaded(url)):
        kopdes(url, "alembic", "upgrade", "head")
        print("reusing the national demo data (migrated to the head)")
    else:
        started = time.perf_counter()
        prepare_database(url, demo="national")
        print(f"prepared the national demo data in {time.perf_counter() - started:.0f} s")
    # ANALYZE is what autovacuum does soon after a bulk load: the plans measured are those of a
    # settled database. With autovacuum off (as on the development cluster), or in the first
    # minute after the load, the tables have no statistics: `--as-loaded` measures that.
    print(asyncio.run(statistics(url, analyze=not as_loaded)))
    for username, scope in ACCOUNTS.items():
        done = kopdes(
            url,
            "kopdes",
            "users",
            "create-admin",
            "--username",
            username,
            "--region-scope",
            scope,
            check=False,
            KOPDES_ADMIN_PASSWORD=PASSWORD,
        )
        if done.returncode and "taken" not in done.stderr + done.stdout:
            raise SystemExit(f"could not create {username}: {done.stderr or done.stdout}")


def targets(client: httpx.Client, skip_exports: bool) -> tuple[list[Target], list[str]]:
    """The walk, from the OpenAPI document, and what it leaves out (with why)."""
    document = client.get("/openapi.json").json()
    walk, skipped = [], []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        if any(p["in"] == "path" for p in parameters):
            skipped.append(f"{path} (path parameter)")
            continue
        download = path.startswith("/api/v1/exports/")
        if download and not any(p["name"] == "format" for p in parameters):
            skipped.append(f"{path} (a download without a CSV format)")
            continue
        if download and skip_exports:
            skipped.append(f"{path} (--skip-exports)")
            continue
        required = {p["name"] for p in parameters if p["in"] == "query" and p.get("required")}
        if required - {*REQUIRED_VALUES, "token"}:
            skipped.append(f"{path} (requires {', '.join(sorted(required))})")
            continue
        params = {name: REQUIRED_VALUES[name] for name in required if name in REQUIRED_VALUES}
        if download:
            params["format"] = "csv"
        if path.startswith("/api/v1/stats/"):
            for region in STATS_REGIONS:
                regional = {"region": region} if region else {}
                walk.append(Target(path, regional))
                if path.endswith("/mentoring"):
                    walk.append(Target(path, {**regional, **YEAR}))
        else:
            walk.append(Target(path, params, download))
    return walk, skipped


def measure(
    client: httpx.Client, target: Target, account: str, headers: dict[str, str], requests: int
) -> Result:
    params = dict(target.params)
    statuses: dict[int, int] = {}
    times: list[float] = []

    def once() -> float:
        started = time.perf_counter()
        with client.stream("GET", target.path, params=params, headers=headers) as response:
            if target.download:
                # A file: its first byte is when the user sees the download start.
                next(response.iter_raw(), None)
                elapsed = time.perf_counter() - started
            else:
                response.read()
                elapsed = time.perf_counter() - started
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return elapsed

    warm_up = once()
    statuses.clear()
    count = SLOW_REQUESTS if warm_up > SLOW_SECONDS else requests
    times = [once() for _ in range(count)]
    return Result(target, account, statuses, times)


def login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def feed_token(client: httpx.Client, headers: dict[str, str]) -> str:
    response = client.post("/api/v1/calendar/feed-token", headers=headers)
    response.raise_for_status()
    return response.json()["token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already holds the data"
    )
    parser.add_argument("--requests", type=int, default=20, help="measured requests per target")
    parser.add_argument("--limit", type=float, default=300.0, help="p95 ceiling in ms")
    parser.add_argument("--only", help="walk only the paths containing this text")
    parser.add_argument(
        "--as-loaded",
        action="store_true",
        help="no ANALYZE: the tables without statistics, as the loader leaves them",
    )
    parser.add_argument("--skip-exports", action="store_true", help="leave out the downloads")
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    prepare(url, args.reuse, args.as_loaded)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.requests} requests per target")
    results: list[Result] = []
    with serve(url, PORT, 1) as (base, _), httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        walk, skipped = targets(client, args.skip_exports)
        if args.only:
            walk = [target for target in walk if args.only in target.path]
        print("skipped: " + "; ".join(skipped))
        for account in ACCOUNTS:
            headers = login(client, account)
            token = None
            for target in walk:
                if target.path.endswith("/feed.ics"):
                    token = token or feed_token(client, headers)
                    target = Target(target.path, {**target.params, "token": token})
                result = measure(client, target, account, headers, args.requests)
                results.append(result)
                print(row(result), flush=True)
    print()
    print(table(results))
    failures = [
        result
        for result in results
        if result.percentile(0.95) >= args.limit or any(code >= 500 for code in result.statuses)
    ]
    if failures:
        print(f"\n{len(failures)} over {args.limit:.0f} ms at p95 or answering 5xx:")
        for result in failures:
            print(row(result))
        sys.exit(1)
    print(f"\nevery p95 under {args.limit:.0f} ms, no 5xx")


def row(result: Result) -> str:
    codes = ",".join(f"{code}x{count}" for code, count in sorted(result.statuses.items()))
    label = result.target.label().replace("/api/v1", "")
    if "token=" in label:
        label = label.split("token=")[0] + "token=…"
    return (
        f"{label:58} {result.account.removeprefix('bench-gets-'):8} {codes:12} "
        f"{result.percentile(0.5):8.1f} {result.percentile(0.95):8.1f} {len(result.times):3}"
        + (" (first byte)" if result.target.download else "")
    )


def table(results: list[Result]) -> str:
    header = f"{'endpoint':58} {'account':8} {'statuses':12} {'p50 ms':>8} {'p95 ms':>8} {'n':>3}"
    return "\n".join([header, "-" * len(header), *(row(result) for result in results)])


if __name__ == "__main__":
    main()
