"""The web app's pages: the server's time for each page and demo role on Kukar's data, the
morning table's for a national account on the whole country's, and what a first visit to each
page transfers.

Targets (issue 17, "Speed"):
- every page's server time p95 under 50 ms on Kukar's demo data;
- the Beranda (`/`) of a national-scope account under 300 ms p95 on the national demo data, on
  PostgreSQL;
- the first load of any page (its HTML and every stylesheet, script and image it references, as
  a browser with an empty cache fetches them) under 150 KB compressed;
- (issue 18) the planner page with a national plan (`POST /rencana`, the national preset, as the
  head of the office computes it on the page) under 1.5 s, every one of `--plan-requests`.

Kukar: it prepares a PostgreSQL database (KOPDES_BENCH_POSTGRES_URL, default the local cluster's
`kopdes_bench_web`; dropped and recreated) with the regions and Kukar's demo data, runs ANALYZE
(as autovacuum would soon after the load) and serves the app on one uvicorn worker. It logs in
through the form (`GET /masuk` for the session cookie and the CSRF token, then `POST /masuk`) as
each demo account and walks every GET route of `app.main.WEB_ROUTERS`. Path parameters are
filled with ids the API gives: the demo cooperative account's own cooperative (the one record
every role may open) and its first officer, the demo viewer's account, and what the bench
records through the API first, Kukar's demo data having none: a consultation of that
cooperative, a training inviting it, two saved launch plans, and a submitted refocusing between
two budget lines. A route with a path parameter
it cannot fill, or a query parameter it requires that `QUERIES` does not give, is listed as
skipped. Each page is requested as each role and without a login, once to warm up and then
`--requests` times one after another; an answer other than a 200 (a 403 for a role the page is
not for, a 303 to the login) is shown as its status and not timed. The registry's download is
timed as CSV but held to no target.

A page's time is the app's own when it says it in a `Server-Timing` header; otherwise the
client's over loopback (the server's plus well under a millisecond). The output says which.

National (`--skip-national` leaves it out): a second database, named as the first plus
`_national` (`kopdes_bench_web_national`), with the national demo data (about 84,000
cooperatives and a million consultations: 5 to 15 minutes; `--reuse` keeps it when it already
holds them, and migrates it to the head), ANALYZE, and a national admin made with `kopdes users
create-admin`, logged in through the form: `/`, `/?wilayah=64` and `/?wilayah=64.02`.

Sizes: every page as demo-admin, `/masuk` without a login, and the national Beranda, each parsed
(html.parser) for its `<link href>`, `<script src>` and `<img src>`, and each stylesheet for its
`url(...)` and `@import`s; every reference on the same origin is fetched once. Per page: the
bytes raw, and each response gzipped on its own at level 6. The service itself compresses
nothing: the compressed figure is what the browser receives through a proxy that gzips. The
proxy of docs/deploy.md gzips only the static stylesheets and scripts and sends the pages as
they are (each carries its CSRF token: BREACH); that figure is printed too, and the target is
held on both.

It exits non-zero if a target is missed, any answer is a 5xx, or a page refers to another
origin or to a file that is not there.

    .venv/bin/python bench/bench_web.py [--requests 50] [--plan-requests 10] [--reuse]
        [--skip-national]
"""

import argparse
import asyncio
import contextlib
import gzip
import math
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import asyncpg
import httpx
from common import BIN, DEMO_PASSWORD, ROOT, prepare_database, serve
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.engine import make_url

sys.path.insert(0, str(ROOT))
from app.main import WEB_ROUTERS  # noqa: E402  (the app's own list of page routers)
from app.web.session import CSRF_FIELD  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_web"
PORT = 8772
ROLES = ["demo-admin", "demo-officer", "demo-viewer", "demo-cooperative"]
ANONYMOUS = "no login"
NATIONAL_ADMIN, NATIONAL_PASSWORD = "bench-web-national", "bench-web-national-password"
NATIONAL_PAGES = ["/", "/?wilayah=64", "/?wilayah=64.02"]
PAGE_P95_MS, NATIONAL_P95_MS, FIRST_LOAD_KB = 50.0, 300.0, 150
NATIONAL_PLAN_MS = 1500.0
NATIONAL_PLAN_FORM = {"preset": "national", "event.date": "2025-07-21", "event.hours": "3"}
# Query strings for the routes that need one to show anything, filled like the paths: the
# choices the walk-in desk swaps in as the officer types (held to the page target: the officer
# waits for them), the downloads (timed, held to no target: files, not pages), and two saved
# launch plans side by side.
QUERIES = {
    "/meja/pilihan": "?cari=Merah",
    "/koperasi/unduh": "?format=csv",
    "/unduh/konsultasi": "?format=csv",
    "/unduh/pelatihan": "?format=csv",
    "/unduh/anggaran": "?format=csv&tahun=2025",
    "/rencana/banding": "?a={plan_id}&b={second_plan_id}",
}
DOWNLOADS = {"/koperasi/unduh", "/unduh/konsultasi", "/unduh/pelatihan", "/unduh/anggaran"}
# The `<link rel>`s a browser fetches as it loads the page (not `alternate`, `canonical`, ...).
FETCHED_LINKS = {"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "manifest"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
TIMEOUT = 60.0


# --- reading pages ----------------------------------------------------------------------------


class Html(HTMLParser):
    """What a browser reads off a page: its form fields, what it fetches as it loads (the
    stylesheets, scripts and images), and every reference of those kinds (for the origin)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.fetched: list[str] = []
        self.references: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "input" and named.get("name"):
            self.fields[named["name"]] = named.get("value", "")
        elif tag == "link" and named.get("href"):
            self.references.append(named["href"])
            if set(named.get("rel", "").lower().split()) & FETCHED_LINKS:
                self.fetched.append(named["href"])
        elif tag in ("script", "img") and named.get("src"):
            self.references.append(named["src"])
            self.fetched.append(named["src"])


def css_references(text: str) -> list[str]:
    """The files a stylesheet makes the browser fetch: its `url(...)`s and `@import`s."""
    found = [match.group(2) or match.group(4) for match in CSS_URL.finditer(text)]
    return [url.strip() for url in found if not url.strip().startswith(("data:", "#"))]


def server_ms(response: httpx.Response) -> float | None:
    """The app's own time for the answer, from its `Server-Timing` header: the entry named
    `total` or `app`, else the longest; None without one."""
    durations: dict[str, float] = {}
    for entry in response.headers.get("server-timing", "").split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "dur":
                with contextlib.suppress(ValueError):
                    durations[name] = float(value.strip().strip('"'))
    for name in ("total", "app"):
        if name in durations:
            return durations[name]
    return max(durations.values(), default=None)


# --- logging in, and the ids the pages need ---------------------------------------------------


def log_in(base: str, username: str, password: str) -> httpx.Client:
    """A client holding the session cookie of a login through the form, as a browser's."""
    client = httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Accept-Language": "id"})
    form = Html(client.get("/masuk").text).fields
    answer = client.post(
        "/masuk",
        data={
            CSRF_FIELD: form[CSRF_FIELD],
            "lanjut": form.get("lanjut") or "/",
            "username": username,
            "password": password,
        },
    )
    if answer.status_code != 303:
        client.close()
        raise SystemExit(f"could not log in as {username} through /masuk: {answer.status_code}")
    return client


def bearer(api: httpx.Client, username: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def created(api: httpx.Client, path: str, body: object, headers: dict[str, str]) -> int:
    answer = api.post(path, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    if answer.status_code != 201:
        raise SystemExit(f"POST {path}: {answer.status_code} {answer.text[:300]}")
    return int(answer.json()["id"])


def page_ids(base: str) -> dict[str, int]:
    """Ids for the pages' path parameters, through the API: the demo cooperative account's own
    cooperative (every role may open it) and its first officer; the demo viewer's account; and,
    Kukar's demo data having none, records the bench makes: a consultation of the cooperative
    with a follow-up, recorded by the demo officer, a training inviting it, and two launch plans
    of Kukar, by the demo admin."""
    with httpx.Client(base_url=base, timeout=TIMEOUT) as api:
        me = api.get("/api/v1/auth/me", headers=bearer(api, "demo-cooperative"))
        cooperative_id = int(me.json()["cooperative_id"])
        viewer = api.get("/api/v1/auth/me", headers=bearer(api, "demo-viewer"))
        admin, officer = bearer(api, "demo-admin"), bearer(api, "demo-officer")
        ids = {"cooperative_id": cooperative_id, "user_id": int(viewer.json()["id"])}
        cooperative = api.get(f"/api/v1/cooperatives/{cooperative_id}", headers=admin).json()
        officers = api.get(
            f"/api/v1/cooperatives/{cooperative_id}/officers",
            params={"page_size": 1},
            headers=admin,
        ).json()["items"]
        if officers:
            ids["officer_id"] = int(officers[0]["id"])
        consultation = {
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
        }
        ids["consultation_id"] = created(api, "/api/v1/consultations", consultation, officer)
        training = {
            "title": "Pelatihan RAT dan tutup buku",
            "topics": ["rat", "bookkeeping"],
            "region_code": cooperative["village_code"].rsplit(".", 1)[0],
            "capacity": 30,
            "estimated_cost": 7_500_000,
        }
        training_id = created(api, "/api/v1/trainings", training, admin)
        invitation = {"cooperative_id": cooperative_id, "seats": 3}
        created(api, f"/api/v1/trainings/{training_id}/invitations", invitation, admin)
        ids["training_id"] = training_id
        regency = ".".join(cooperative["village_code"].split(".")[:2])
        ids["refocusing_id"] = refocusing(api, regency, officer)
        for name, draws in (("plan_id", 20), ("second_plan_id", 40)):
            plan = {
                "name": f"Peluncuran Kukar, {draws} undian",
                "region": regency,
                "inputs": {"preset": "kukar", "event": {"date": "2025-07-21"}, "draws": draws},
            }
            ids[name] = created(api, "/api/v1/launch-plans", plan, admin)
    return ids


def refocusing(api: httpx.Client, regency: str, officer: dict[str, str]) -> int:
    """A submitted refocusing between two new budget lines of the regency's office."""
    lines = [
        created(
            api,
            "/api/v1/budget-lines",
            {
                "fiscal_year": 2025,
                "region_code": regency,
                "skpd": "Dinas Koperasi dan UKM",
                "sub_kegiatan_code": "2.17.05.2.01.0001",
                "sub_kegiatan_name": "Peningkatan Pemahaman dan Pengetahuan Perkoperasian",
                "kode_rekening": account,
                "name": name,
                "original_ceiling": 150_000_000,
            },
            officer,
        )
        for account, name in (
            ("5.1.02.04.01.0001", "Belanja Perjalanan Dinas Biasa"),
            ("5.1.02.02.12.0077", "Belanja Kursus Singkat/Pelatihan"),
        )
    ]
    made = created(
        api,
        "/api/v1/refocusings",
        {
            "fiscal_year": 2025,
            "region_code": regency,
            "reason": "Inpres 1/2025: perjalanan dinas untuk pelatihan koperasi",
            "legal_basis": "Inpres 1/2025; Perbup 12/2025",
            "document_type": "pergeseran",
            "document_number": "900/123/BPKAD/2025",
            "document_date": "2025-03-01",
            "movements": [{"from_line_id": lines[0], "to_line_id": lines[1], "amount": 40_000_000}],
        },
        officer,
    )
    submitted = api.post(
        f"/api/v1/refocusings/{made}/submit",
        headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
    )
    if submitted.status_code != 200:
        raise SystemExit(f"submit refocusing {made}: {submitted.status_code} {submitted.text}")
    return made


def required_queries(route: APIRoute) -> list[str]:
    """The query parameters a route cannot do without (a model of parameters, such as the
    registry's filters, is as optional as its fields)."""
    return [
        param.alias
        for param in route.dependant.query_params
        if param.field_info.is_required()
        and not (
            isinstance(param.field_info.annotation, type)
            and issubclass(param.field_info.annotation, BaseModel)
        )
    ]


def page_urls(ids: dict[str, int]) -> tuple[list[str], list[str]]:
    """Every GET route of the web app with its parameters filled; those it cannot fill."""
    urls, skipped = [], []
    for router in WEB_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in (route.methods or set()):
                continue  # a form's target only (/keluar, /bahasa, ...)
            path = re.sub(r":\w+}", "}", route.path)
            query = QUERIES.get(path, "")
            names = re.findall(r"\{(\w+)\}", path + query)
            given = parse_qs(query.lstrip("?"))
            missing = [name for name in names if name not in ids] + [
                name for name in required_queries(route) if name not in given
            ]
            if missing:
                skipped.append(f"{path} (no {', '.join(missing)})")
                continue
            urls.append((path + query).format(**{name: ids[name] for name in names}))
    return urls, skipped


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Timing:
    url: str
    who: str
    statuses: dict[int, int] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)  # ms, of the 200s
    sources: set[str] = field(default_factory=set)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    def cell(self) -> str:
        if not self.times:
            return "/".join(str(code) for code in sorted(self.statuses))
        others = {code: n for code, n in self.statuses.items() if code != 200}
        odd = "".join(f" {code}x{n}" for code, n in sorted(others.items()))
        return f"{self.percentile(0.5):.1f} / {self.percentile(0.95):.1f}{odd}"


def timed(
    client: httpx.Client, url: str, who: str, requests: int, form: dict[str, str] | None = None
) -> Timing:
    """One warm-up, then `requests` one after another; a page that does not answer 200 to the
    warm-up is not timed. With `form`, each is a POST of it with the CSRF token of the page's
    GET, as the browser sends it."""
    timing = Timing(url, who)

    def ask() -> httpx.Response:
        return client.get(url) if form is None else client.post(url, data=form)

    if form is not None:
        form = {**form, CSRF_FIELD: Html(client.get(url).text).fields[CSRF_FIELD]}
    warm = ask()
    if warm.status_code != 200:
        timing.statuses[warm.status_code] = 1
        return timing
    for _ in range(requests):
        started = time.perf_counter()
        answer = ask()
        elapsed = (time.perf_counter() - started) * 1000
        timing.statuses[answer.status_code] = timing.statuses.get(answer.status_code, 0) + 1
        if answer.status_code == 200:
            own = server_ms(answer)
            timing.times.append(elapsed if own is None else own)
            timing.sources.add("client" if own is None else "Server-Timing")
    return timing


# --- sizes ------------------------------------------------------------------------------------


@dataclass
class Load:
    """A page's first load with an empty cache, in bytes."""

    url: str
    files: int = 0
    raw: int = 0
    gzipped: int = 0  # every response gzipped
    deployed: int = 0  # the static stylesheets and scripts gzipped, the rest as it is
    foreign: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    encodings: set[str] = field(default_factory=set)

    def add(self, answer: httpx.Response) -> None:
        body, kind = answer.content, answer.headers.get("content-type", "")
        packed = len(gzip.compress(body, compresslevel=6))
        static = answer.url.path.startswith("/static/") and ("css" in kind or "javascript" in kind)
        self.files += 1
        self.raw += len(body)
        self.gzipped += packed
        self.deployed += packed if static else len(body)
        if answer.headers.get("content-encoding"):
            self.encodings.add(answer.headers["content-encoding"])


def first_load(client: httpx.Client, url: str) -> Load:
    page = client.get(url)
    load = Load(url)
    load.add(page)
    if page.status_code != 200:
        load.broken.append(f"{url} ({page.status_code})")
        return load
    origin = urlsplit(str(page.url))[:2]
    html = Html(page.text)
    load.foreign += [
        absolute
        for absolute in (urljoin(str(page.url), ref) for ref in html.references)
        if urlsplit(absolute)[:2] != origin
    ]
    queue, seen = [urljoin(str(page.url), ref) for ref in html.fetched], set()
    while queue:
        target = queue.pop(0)
        if target in seen or urlsplit(target)[:2] != origin:
            continue
        seen.add(target)
        answer = client.get(target)
        if answer.status_code != 200:
            load.broken.append(f"{target} ({answer.status_code})")
            continue
        load.add(answer)
        if "css" in answer.headers.get("content-type", ""):
            found = [urljoin(target, ref) for ref in css_references(answer.text)]
            load.foreign += [ref for ref in found if urlsplit(ref)[:2] != origin]
            queue += found
    return load


# --- the two databases ------------------------------------------------------------------------


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def _has_cooperatives(url: str) -> bool:
    """Whether the database exists and holds the national demo data's cooperatives."""
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
    """As autovacuum would soon after a bulk load: the plans measured are a settled database's."""
    db = await _connect(url)
    try:
        await db.execute("ANALYZE")
    finally:
        await db.close()


def run(url: str, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=ROOT,
        env={**os.environ, "KOPDES_DATABASE_URL": url, **env},
        check=check,
        capture_output=True,
        text=True,
    )


def national_url(url: str) -> str:
    parsed = make_url(url)
    national = parsed.set(database=f"{parsed.database}_national")
    return national.render_as_string(hide_password=False)


# --- the two parts ----------------------------------------------------------------------------


def kukar(
    url: str, requests: int, plan_requests: int
) -> tuple[list[Timing], list[Load], list[str], Timing]:
    started = time.perf_counter()
    prepare_database(url, demo="kukar")
    asyncio.run(_analyze(url))
    print(f"prepared Kukar's demo data in {time.perf_counter() - started:.0f} s (then ANALYZE)")
    timings, loads = [], []
    with serve(url, PORT, 1) as (base, _):
        urls, skipped = page_urls(page_ids(base))
        clients = {role: log_in(base, role, DEMO_PASSWORD) for role in ROLES}
        clients[ANONYMOUS] = httpx.Client(base_url=base, timeout=TIMEOUT)
        print("\nKukar's demo data, one worker: p50 / p95 in ms, or the status of a page not timed")
        columns = [*(role.removeprefix("demo-") for role in ROLES), ANONYMOUS]
        header = f"{'page':<36}" + "".join(f"{column:>17}" for column in columns)
        print(header + "\n" + "-" * len(header))
        for page in urls:
            row = [timed(client, page, who, requests) for who, client in clients.items()]
            timings += row
            print(f"{page:<36}" + "".join(f"{timing.cell():>17}" for timing in row), flush=True)
        opened = {t.url for t in timings if t.who == "demo-admin" and t.times}
        for page in urls:
            if page in opened and page.split("?")[0] not in DOWNLOADS:
                loads.append(first_load(clients["demo-admin"], page))
        loads.append(first_load(clients[ANONYMOUS], "/masuk"))
        loads[-1].url = "/masuk (no login)"
        plan = timed(
            clients["demo-admin"], "/rencana", "admin", plan_requests, form=NATIONAL_PLAN_FORM
        )
        plan.url = "POST /rencana (national preset)"
        print(f"\n{plan.url}: p50 / p95 {plan.cell()} ms over {plan_requests} requests")
        for client in clients.values():
            client.close()
    return timings, loads, skipped, plan


def national(url: str, requests: int, reuse: bool) -> tuple[list[Timing], Load]:
    if reuse and asyncio.run(_has_cooperatives(url)):
        run(url, "alembic", "upgrade", "head")
        print("\nreusing the national demo data (migrated to the head)")
    else:
        print("\nloading the national demo data (5 to 15 minutes)", flush=True)
        started = time.perf_counter()
        prepare_database(url, demo="national")
        print(f"loaded the national demo data in {time.perf_counter() - started:.0f} s")
    asyncio.run(_analyze(url))
    made = run(
        url,
        "kopdes",
        "users",
        "create-admin",
        "--username",
        NATIONAL_ADMIN,
        "--region-scope",
        "",
        check=False,
        KOPDES_ADMIN_PASSWORD=NATIONAL_PASSWORD,
    )
    if made.returncode and "taken" not in made.stderr + made.stdout:  # there from an earlier run
        raise SystemExit(f"could not create {NATIONAL_ADMIN}: {made.stderr or made.stdout}")
    with serve(url, PORT, 1) as (base, _):
        client = log_in(base, NATIONAL_ADMIN, NATIONAL_PASSWORD)
        timings = [timed(client, page, "national admin", requests) for page in NATIONAL_PAGES]
        load = first_load(client, "/")
        load.url = "/ (national admin, national data)"
        client.close()
    return timings, load


# --- the report -------------------------------------------------------------------------------


def source_of(timings: list[Timing]) -> str:
    sources = set[str]().union(*(timing.sources for timing in timings))
    if sources == {"Server-Timing"}:
        return "the app's own time, from its Server-Timing header"
    if sources == {"client"}:
        return "the client's elapsed time over loopback (the app sets no Server-Timing header)"
    return "Server-Timing where the app sent one, else the client's elapsed time"


def print_loads(loads: list[Load]) -> None:
    print(
        "\nFirst load with an empty cache: the page and every stylesheet, script and image it "
        "references (KB).\n"
        "gzip: each response gzipped at level 6, what the browser receives through a proxy "
        "that gzips (the service itself compresses nothing);\n"
        "as deployed: docs/deploy.md's proxy, the static stylesheets and scripts gzipped and "
        "the page as it is."
    )
    header = f"{'page':<40}{'files':>6}{'raw':>9}{'gzip':>9}{'as deployed':>13}"
    print(header + "\n" + "-" * len(header))
    for load in loads:
        print(
            f"{load.url:<40}{load.files:>6}{load.raw / 1024:>9.1f}{load.gzipped / 1024:>9.1f}"
            f"{load.deployed / 1024:>13.1f}"
        )
    encodings = set[str]().union(*(load.encodings for load in loads))
    if encodings:
        print(f"the service sent Content-Encoding {', '.join(sorted(encodings))} itself")


def verdicts(
    kukar_timings: list[Timing],
    national_timings: list[Timing] | None,
    loads: list[Load],
    plan: Timing,
) -> list[str]:
    lines = []

    def verdict(ok: bool, text: str) -> None:
        lines.append(f"{'PASS' if ok else 'FAIL'} {text}")

    pages = [t for t in kukar_timings if t.times and t.url.split("?")[0] not in DOWNLOADS]
    worst = max(pages, key=lambda timing: timing.percentile(0.95), default=None)
    if worst is None:
        verdict(False, "every page's p95 under 50 ms on Kukar: no page answered 200")
    else:
        slow = [t for t in pages if t.percentile(0.95) >= PAGE_P95_MS]
        verdict(
            not slow,
            f"every page's p95 under {PAGE_P95_MS:.0f} ms on Kukar's data: the slowest "
            f"{worst.url} as {worst.who}, {worst.percentile(0.95):.1f} ms"
            + (f"; {len(slow)} of {len(pages)} pages and accounts over it" if slow else ""),
        )
    if national_timings is None:
        lines.append("SKIP the national Beranda (--skip-national)")
    else:
        beranda = national_timings[0]
        verdict(
            bool(beranda.times) and beranda.percentile(0.95) < NATIONAL_P95_MS,
            f"the national Beranda's p95 under {NATIONAL_P95_MS:.0f} ms: "
            + (
                f"p50 {beranda.percentile(0.5):.1f}, p95 {beranda.percentile(0.95):.1f} ms"
                if beranda.times
                else f"answered {beranda.cell()}"
            ),
        )
    verdict(
        bool(plan.times) and max(plan.times) < NATIONAL_PLAN_MS,
        f"a national plan computed on the planner page in under {NATIONAL_PLAN_MS / 1000:.1f} s: "
        + (
            f"p50 {plan.percentile(0.5):.0f}, slowest {max(plan.times):.0f} ms"
            if plan.times
            else f"answered {plan.cell()}"
        ),
    )
    biggest = max(loads, key=lambda load: load.deployed)
    largest_gzip = max(loads, key=lambda load: load.gzipped)
    verdict(
        biggest.deployed < FIRST_LOAD_KB * 1024,
        f"every first load under {FIRST_LOAD_KB} KB compressed: the largest "
        f"{largest_gzip.url}, {largest_gzip.gzipped / 1024:.1f} KB all gzipped "
        f"({largest_gzip.raw / 1024:.1f} KB raw); as deployed {biggest.url}, "
        f"{biggest.deployed / 1024:.1f} KB",
    )
    foreign = sorted({ref for load in loads for ref in load.foreign})
    broken = sorted({ref for load in loads for ref in load.broken})
    verdict(not foreign, "no reference to another origin" + (f": {foreign}" if foreign else ""))
    verdict(not broken, "every reference answers 200" + (f": {broken}" if broken else ""))
    errors = sorted(
        f"{t.url} as {t.who}: {code}"
        for t in [*kukar_timings, *(national_timings or []), plan]
        for code in t.statuses
        if code >= 500
    )
    verdict(not errors, "no 5xx" + (f": {'; '.join(errors)}" if errors else ""))
    return lines


def stopped(error: httpx.TransportError) -> SystemExit:
    return SystemExit(f"FAIL the server stopped answering ({error}): see var/bench-{PORT}.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the national database if it holds the data"
    )
    parser.add_argument("--skip-national", action="store_true", help="Kukar's data only")
    parser.add_argument(
        "--plan-requests", type=int, default=10, help="national plans computed on the page"
    )
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.requests} requests per page and account")
    try:
        kukar_timings, loads, skipped, plan = kukar(url, args.requests, args.plan_requests)
    except httpx.TransportError as error:
        raise stopped(error) from error
    for line in skipped:
        print(f"skipped: {line}")
    print(f"times: {source_of(kukar_timings)}")
    national_timings = None
    if not args.skip_national:
        try:
            national_timings, national_load = national(national_url(url), args.requests, args.reuse)
        except httpx.TransportError as error:
            raise stopped(error) from error
        loads.append(national_load)
        print("The national demo data, a national admin, one worker: p50 / p95 in ms")
        for timing in national_timings:
            print(f"{timing.url:<36}{timing.cell():>17}")
        print(f"times: {source_of(national_timings)}")
    print_loads(loads)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    lines = verdicts(kukar_timings, national_timings, loads, plan)
    print("\n".join(lines))
    sys.exit(1 if any(line.startswith("FAIL") for line in lines) else 0)


if __name__ == "__main__":
    main()
