"""The web app's pages: how long each takes for each demo role on Kukar's data, how long the
morning table takes for a national account on the whole country's, and what a first visit to
each page transfers.

Targets (issue 17): every page's p95 under 50 ms on Kukar's data; the national Beranda's p95
under 300 ms on PostgreSQL; the first load of any page (its HTML and every stylesheet, script
and image it references, with an empty cache) under 150 KB compressed.

It prepares two PostgreSQL databases (dropped and recreated): `kopdes_bench_web` with Kukar's
demo data, and `kopdes_bench_web_national` with the national demo data (about 84,000
cooperatives and their activity: 4 to 15 minutes to load; `--reuse` keeps it when it is already
there, and ANALYZE runs either way). It serves the app on one uvicorn worker, logs in through the
form (`/masuk`) as each demo account and as a national admin, and requests each page
`--requests` times one after another after a warm-up. A page's time is the client's, over
loopback: the server's own plus well under a millisecond. A page a role may not open is listed
as 403 and not timed.

Sizes: the service compresses nothing; docs/deploy.md has the proxy in front of it gzip the
static files only (a page carries the CSRF token: BREACH). The compressed figure is the page as
it is plus each stylesheet and script gzipped at level 6, as such a proxy sends them.

It exits non-zero if a target is missed, any answer is a 5xx, or a page refers to another origin.

    .venv/bin/python bench/bench_web.py [--requests 50] [--reuse] [--skip-national]
"""

import argparse
import asyncio
import gzip
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import asyncpg
import httpx
from common import BIN, DEMO_PASSWORD, ROOT, prepare_database, serve
from sqlalchemy.engine import make_url

sys.path.insert(0, str(ROOT))
from app.main import WEB_ROUTERS  # noqa: E402  (the app's own list of pages)

SERVER = "postgresql://postgres@127.0.0.1:5432/"
KUKAR_URL = os.environ.get("KOPDES_BENCH_POSTGRES_URL", SERVER + "kopdes_bench_web")
NATIONAL_URL = os.environ.get(
    "KOPDES_BENCH_NATIONAL_POSTGRES_URL", SERVER + "kopdes_bench_web_national"
)
PORT = 8772
ROLES = ["demo-admin", "demo-officer", "demo-viewer", "demo-cooperative"]
NATIONAL_ADMIN, NATIONAL_PASSWORD = "bench-web-national", "bench-web-national-password"
PAGE_P95_MS, NATIONAL_P95_MS, FIRST_LOAD_KB = 50, 300, 150
# Not pages: a download, and the choices the walk-in desk swaps in (timed with a query).
DOWNLOADS = {"/koperasi/unduh"}
QUERIES = {"/meja/pilihan": "?cari=Merah"}


class References(HTMLParser):
    """The stylesheets, scripts and images a page asks the browser for."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "link" and named.get("rel") == "stylesheet" and named.get("href"):
            self.found.append(named["href"] or "")
        elif tag in ("script", "img") and named.get("src"):
            self.found.append(named["src"] or "")


def log_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, headers={"Accept-Language": "id"})
    form = client.get("/masuk").text
    token = re.findall(r'name="csrf_token" value="([^"]+)"', form)[0]
    answer = client.post(
        "/masuk", data={"csrf_token": token, "username": username, "password": password}
    )
    if answer.status_code != 303:
        raise SystemExit(f"could not log in as {username}: {answer.status_code}")
    return client


def page_urls(base: str) -> tuple[list[str], list[str]]:
    """Every GET page of the app with its path parameters filled from the demo data (the demo
    cooperative account's own cooperative, one of its officers, and a consultation of it that
    the demo officer records here, Kukar's demo having none), and those skipped."""
    ids = asyncio.run(_ids())
    ids["consultation_id"] = record_a_consultation(base, ids["cooperative_id"])
    urls, skipped = [], []
    for router in WEB_ROUTERS:
        for route in router.routes:
            path = re.sub(r":\w+}", "}", getattr(route, "path", ""))
            if "GET" not in getattr(route, "methods", set()) or path in DOWNLOADS:
                continue
            names = re.findall(r"\{(\w+)\}", path)
            if any(ids.get(name) is None for name in names):
                skipped.append(f"{path} (no {', '.join(n for n in names if ids.get(n) is None)})")
                continue
            urls.append(
                re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path) + QUERIES.get(path, "")
            )
    return urls, skipped


def record_a_consultation(base: str, cooperative_id: int | None) -> int:
    with httpx.Client(base_url=base, timeout=60) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": "demo-officer", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        answer = api.post(
            "/api/v1/consultations",
            json={
                "cooperative_id": cooperative_id,
                "channel": "walk_in",
                "occurred_at": "2025-08-04T09:30:00+08:00",
                "topics": ["rat"],
                "advice": "Tutup buku sebelum RAT.",
                "follow_ups": [
                    {
                        "description": "Kirim contoh laporan RAT",
                        "responsible": "officer",
                        "due_date": "2025-08-11",
                    }
                ],
            },
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        answer.raise_for_status()
        return int(answer.json()["id"])


async def _ids() -> dict[str, int | None]:
    db = await _connect(KUKAR_URL)
    try:
        cooperative = await db.fetchval(
            "SELECT cooperative_id FROM user_account WHERE username = 'demo-cooperative'"
        )
        return {
            "cooperative_id": cooperative,
            "officer_id": await db.fetchval(
                "SELECT min(id) FROM officer WHERE cooperative_id = $1", cooperative
            ),
        }
    finally:
        await db.close()


def timed(client: httpx.Client, url: str, requests: int) -> tuple[int, list[float]]:
    """The page's status, and its times in ms (none unless it is a 200)."""
    warm = client.get(url)
    if warm.status_code != 200:
        return warm.status_code, []
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            return answer.status_code, []
    return 200, times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def first_load(client: httpx.Client, url: str) -> tuple[int, int, list[str]]:
    """The bytes of the page and what it references, raw and as sent by a proxy that gzips the
    static files; the references to another origin."""
    page = client.get(url)
    parser = References()
    parser.feed(page.text)
    raw, packed, foreign = len(page.content), len(page.content), []
    for reference in parser.found:
        target = urljoin(str(page.url), reference)
        if urlparse(target).netloc != urlparse(str(page.url)).netloc:
            foreign.append(target)
            continue
        body = client.get(target).content
        raw, packed = raw + len(body), packed + len(gzip.compress(body, 6))
    return raw, packed, foreign


def kukar(requests: int) -> list[str]:
    failures = []
    prepare_database(KUKAR_URL, demo="kukar")
    asyncio.run(_analyze(KUKAR_URL))  # as autovacuum would soon after the load
    with serve(KUKAR_URL, PORT, 1) as (base, _):
        urls, skipped = page_urls(base)
        print(f"Kukar's demo data, {requests} requests per page and role (ms; 403: not allowed)")
        print(f"{'page':<34}" + "".join(f"{role.removeprefix('demo-'):>22}" for role in ROLES))
        clients = {role: log_in(base, role, DEMO_PASSWORD) for role in ROLES}
        for url in urls:
            cells = []
            for role in ROLES:
                status, times = timed(clients[role], url, requests)
                if status >= 500:
                    failures.append(f"{url} as {role}: {status}")
                if not times:
                    cells.append(f"{status:>22}")
                    continue
                worst = p95(times)
                if worst >= PAGE_P95_MS:
                    failures.append(f"{url} as {role}: p95 {worst:.1f} ms")
                cells.append(f"{statistics.median(times):>9.1f} / {worst:>5.1f} p95")
            print(f"{url:<34}" + "".join(cells))
        for line in skipped:
            print(f"skipped: {line}")

        print(f"\nFirst load as demo-admin, empty cache (KB; target < {FIRST_LOAD_KB} compressed)")
        largest = 0
        for url in urls:
            raw, packed, foreign = first_load(clients["demo-admin"], url)
            largest = max(largest, packed)
            print(f"{url:<34}{raw / 1024:>8.1f} raw {packed / 1024:>8.1f} static gzipped")
            failures += [f"{url} refers to another origin: {f}" for f in foreign]
        print(f"largest first load: {largest / 1024:.1f} KB compressed")
        if largest >= FIRST_LOAD_KB * 1024:
            failures.append(f"a first load of {largest / 1024:.1f} KB")
    return failures


def national(requests: int, reuse: bool) -> list[str]:
    if not (reuse and asyncio.run(_has_cooperatives(NATIONAL_URL))):
        started = time.perf_counter()
        prepare_database(NATIONAL_URL, demo="national")
        print(f"\nloaded the national demo data in {time.perf_counter() - started:.0f} s")
    asyncio.run(_analyze(NATIONAL_URL))
    subprocess.run(
        [
            BIN / "kopdes",
            "users",
            "create-admin",
            "--username",
            NATIONAL_ADMIN,
            "--region-scope",
            "",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "KOPDES_DATABASE_URL": NATIONAL_URL,
            "KOPDES_ADMIN_PASSWORD": NATIONAL_PASSWORD,
        },
        capture_output=True,
        check=False,  # already there from an earlier run
    )
    failures = []
    with serve(NATIONAL_URL, PORT, 1) as (base, _):
        client = log_in(base, NATIONAL_ADMIN, NATIONAL_PASSWORD)
        print(f"\nThe national demo data, a national admin, {requests} requests (ms)")
        for url in ("/", "/?wilayah=64", "/?wilayah=64.02"):
            status, times = timed(client, url, requests)
            if not times:
                failures.append(f"{url}: {status}")
                continue
            worst = p95(times)
            print(f"{url:<34}{statistics.median(times):>9.1f} / {worst:>5.1f} p95")
            if url == "/" and worst >= NATIONAL_P95_MS:
                failures.append(f"the national Beranda: p95 {worst:.1f} ms")
    return failures


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def _has_cooperatives(url: str) -> bool:
    try:
        db = await _connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        return bool(await db.fetchval("SELECT count(*) > 80000 FROM cooperative"))
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await db.close()


async def _analyze(url: str) -> None:
    db = await _connect(url)
    try:
        await db.execute("ANALYZE")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="keep loaded national data")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    failures = kukar(args.requests)
    if not args.skip_national:
        failures += national(args.requests, args.reuse)
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    print("PASS: every target met" if not failures else f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
