"""What the launch-day benchmarks and fault scripts share: a launch made through the API on a
fresh database, delegates registered in bulk with SQL, hubs' phones that send their queues until
they have an answer, the board's event stream read over a plain socket, a private Redis, and the
check of what the database counted against what was sent.

Registrations are written with COPY (tens of thousands a second) instead of through the API:
the benchmarks measure check-in, not registration. The launch tables are not synced, so the
rows need no change numbers (app/models/sync.py).
"""

import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from common import BIN, DEMO_PASSWORD, ROOT, connect

from app.models.launch import CODE_ALPHABET, CODE_LENGTH

SCANNED_AT = "2026-12-20T09:00:00+08:00"
ROLES = ("ketua", "pengurus", "pengawas", "anggota", "manajer", "pendamping")
PLAN_INPUTS = {"event": {"date": "2026-12-20", "hours": 3}, "draws": 10}
NATIONAL_ADMIN = "bench-national-admin"
NATIONAL_PASSWORD = "bench-national-password"


# --- the database ------------------------------------------------------------------------------


def create_national_admin(url: str) -> tuple[str, str]:
    """A national administrator (region scope ""), made with the command line as a deployment
    makes its first one; returns the username and password (an existing one is kept)."""
    made = subprocess.run(
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
            "KOPDES_DATABASE_URL": url,
            "KOPDES_ADMIN_PASSWORD": NATIONAL_PASSWORD,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode and "taken" not in made.stderr + made.stdout:
        raise SystemExit(f"could not create {NATIONAL_ADMIN}: {made.stderr or made.stdout}")
    return NATIONAL_ADMIN, NATIONAL_PASSWORD


async def analyze(url: str) -> None:
    """Planner statistics for the freshly loaded tables (the cluster may run without
    autovacuum), as the other benchmarks do."""
    connection = await connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


@dataclass(frozen=True)
class Delegate:
    registration_id: int
    hub_id: int
    code: str


def serving_hub(village_code: str, hubs: dict[str, int]) -> int | None:
    """The hub of the smallest region holding the village (the longest code that is the village
    or continues into it after a dot), as app/services/launch_registrations.py chooses it."""
    parts = village_code.split(".")
    for length in range(len(parts), 0, -1):
        hub = hubs.get(".".join(parts[:length]))
        if hub is not None:
            return hub
    return None


async def register(
    url: str,
    launch_id: int,
    count: int | None,
    *,
    seed: int,
    hub_ids: set[int] | None = None,
) -> list[Delegate]:
    """Register `count` delegates to the launch by SQL (COPY), or one per cooperative when
    `count` is None: the cooperatives of the launch's region in turn, each to the hub serving
    its village (only hubs in `hub_ids` when given; cooperatives served by none are passed
    over), each with a code unique in the launch. Raises hubs' capacities where the delegates
    would not fit. Returns the delegates in the order registered."""
    rng = random.Random(seed)
    connection = await connect(url)
    try:
        region = await connection.fetchval("SELECT region FROM launch WHERE id = $1", launch_id)
        hubs = {
            code: hub_id
            for hub_id, code in await connection.fetch(
                "SELECT id, region_code FROM launch_hub WHERE launch_id = $1", launch_id
            )
        }
        cooperatives = await connection.fetch(
            "SELECT id, village_code FROM cooperative"
            " WHERE ($1 = '' OR village_code LIKE $1 || '.%') ORDER BY id",
            region,
        )
        served = [
            (cooperative_id, village_code, hub)
            for cooperative_id, village_code in cooperatives
            if (hub := serving_hub(village_code, hubs)) is not None
            and (hub_ids is None or hub in hub_ids)
        ]
        if not served:
            raise SystemExit(f"no cooperative of launch {launch_id} is served by its hubs")
        total = len(served) if count is None else count
        taken = set(
            await connection.fetchval(
                "SELECT coalesce(array_agg(code), '{}') FROM launch_registration"
                " WHERE launch_id = $1",
                launch_id,
            )
        )
        codes: list[str] = []
        while len(codes) < total:
            code = "".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
            if code not in taken:
                taken.add(code)
                codes.append(code)
        now = datetime.now(UTC)
        records = []
        for number, code in enumerate(codes):
            cooperative_id, village_code, hub = served[number % len(served)]
            records.append(
                (
                    launch_id,
                    hub,
                    cooperative_id,
                    village_code,
                    f"Delegasi {code}",  # one name a delegate (registered once)
                    ROLES[number % len(ROLES)],
                    None,
                    code,
                    now,
                    now,
                )
            )
        async with connection.transaction():
            await connection.copy_records_to_table(
                "launch_registration",
                records=records,
                columns=[
                    "launch_id",
                    "hub_id",
                    "cooperative_id",
                    "village_code",
                    "name",
                    "role",
                    "phone",
                    "code",
                    "created_at",
                    "updated_at",
                ],
            )
            # Every hub seats at least the delegates registered to it.
            await connection.execute(
                """UPDATE launch_hub h SET capacity = r.n
                   FROM (SELECT hub_id, count(*) AS n FROM launch_registration
                         WHERE launch_id = $1 GROUP BY hub_id) r
                   WHERE h.id = r.hub_id AND h.capacity < r.n""",
                launch_id,
            )
        ids = dict(
            await connection.fetch(
                "SELECT code, id FROM launch_registration WHERE launch_id = $1 AND code = ANY($2)",
                launch_id,
                codes,
            )
        )
        await connection.execute("ANALYZE launch_registration")
    finally:
        await connection.close()
    return [
        Delegate(ids[code], record[1], code) for code, record in zip(codes, records, strict=True)
    ]


@dataclass
class Counted:
    """What the database holds for a launch."""

    check_ins: int
    codes: set[str]
    walk_in_rows: int
    walk_in_ids: set[str]
    walk_in_people: int


async def counted(url: str, launch_id: int) -> Counted:
    connection = await connect(url)
    try:
        codes = [
            code
            for (code,) in await connection.fetch(
                """SELECT r.code FROM launch_check_in c
                   JOIN launch_registration r ON r.id = c.registration_id
                   WHERE c.launch_id = $1""",
                launch_id,
            )
        ]
        walk_ins = await connection.fetch(
            "SELECT id, people FROM launch_walk_in WHERE launch_id = $1", launch_id
        )
    finally:
        await connection.close()
    return Counted(
        check_ins=len(codes),
        codes=set(codes),
        walk_in_rows=len(walk_ins),
        walk_in_ids={row["id"] for row in walk_ins},
        walk_in_people=sum(row["people"] for row in walk_ins),
    )


def restricted(found: Counted, codes: set[str]) -> Counted:
    """What the database counted of these codes only (walk-ins as they are)."""
    mine = found.codes & codes
    return Counted(len(mine), mine, found.walk_in_rows, found.walk_in_ids, found.walk_in_people)


# --- the API -----------------------------------------------------------------------------------


async def until_ready(base: str, seconds: float = 60) -> None:
    """`serve` waits ten seconds at most; starting several workers on a busy machine can take
    longer."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit(f"FAILED: the app at {base} did not become ready")


async def login(
    client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD
) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def create_launch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    preset: str,
    region: str,
    name: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A saved plan (`preset`, for the office of `region`) run as a hybrid_hubs launch; returns
    the launch and its hubs."""
    plan = await client.post(
        "/api/v1/launch-plans",
        json={"name": name, "region": region, "inputs": {"preset": preset, **PLAN_INPUTS}},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    if plan.status_code != 201:
        raise SystemExit(f"saving the plan answered {plan.status_code}: {plan.text[:500]}")
    starts = datetime.now(UTC) + timedelta(days=15)
    launch = await client.post(
        "/api/v1/launches",
        json={
            "plan_id": plan.json()["id"],
            "format": "hybrid_hubs",
            "name": name,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
        },
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    if launch.status_code != 201:
        raise SystemExit(f"creating the launch answered {launch.status_code}: {launch.text[:500]}")
    hubs: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.get(
            f"/api/v1/launches/{launch.json()['id']}/hubs",
            params={"page_size": 100, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        page.raise_for_status()
        hubs += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return launch.json(), hubs


def batch_body(
    codes: list[str], walk_ins: Sequence[tuple[str, int]] = (), method: str = "qr"
) -> dict[str, Any]:
    """A phone's queue as the check-in endpoint takes it."""
    return {
        "check_ins": [{"code": code, "method": method, "scanned_at": SCANNED_AT} for code in codes],
        "walk_ins": [
            {"id": walk_in, "people": people, "scanned_at": SCANNED_AT}
            for walk_in, people in walk_ins
        ],
    }


@dataclass
class Ledger:
    """Everything the phones sent and heard: the codes and walk-ins sent, every answer's status,
    requests that got no answer, and how often each code was answered `checked_in`."""

    codes_sent: set[str] = field(default_factory=set)
    scans: int = 0  # codes in requests, repeats and retries included
    walk_ins_sent: dict[str, int] = field(default_factory=dict)
    statuses: Counter[int | str] = field(default_factory=Counter)
    first_counts: Counter[str] = field(default_factory=Counter)  # `checked_in` answers per code
    walk_ins_added: int = 0
    requests: int = 0
    retries: int = 0
    unretryable: list[str] = field(default_factory=list)  # answers a phone cannot act on
    service_unavailable: list[tuple[float, float]] = field(default_factory=list)  # 503 windows
    slowest: float = 0.0  # seconds, the longest a single request took to end

    @property
    def new(self) -> int:
        return sum(self.first_counts.values())

    def doubled_answers(self) -> list[str]:
        return [code for code, n in self.first_counts.items() if n > 1]


async def send_queue(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    launch_id: int,
    hub_id: int,
    body: dict[str, Any],
    ledger: Ledger,
    *,
    give_up_after: float = 120.0,
    pause: float = 0.2,
) -> tuple[dict[str, Any], int]:
    """Send one batch as a hub's phone does: again and again until it has an answer (after the
    Retry-After of a 503, at once after a dropped connection). Returns the 200's answer and how
    many times the batch was sent."""
    path = f"/api/v1/launches/{launch_id}/hubs/{hub_id}/check-ins"
    ledger.codes_sent.update(item["code"] for item in body["check_ins"])
    ledger.walk_ins_sent.update({item["id"]: item["people"] for item in body["walk_ins"]})
    deadline = time.monotonic() + give_up_after
    attempts = 0
    while True:
        if attempts:
            ledger.retries += 1
        attempts += 1
        ledger.requests += 1
        ledger.scans += len(body["check_ins"])
        started = time.monotonic()
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            ledger.statuses[type(exc).__name__] += 1
            wait = pause
        else:
            ledger.slowest = max(ledger.slowest, time.monotonic() - started)
            ledger.statuses[response.status_code] += 1
            if response.status_code == 200:
                answer: dict[str, Any] = response.json()
                for result in answer["check_ins"]:
                    if result["outcome"] == "checked_in":
                        ledger.first_counts[result["code"]] += 1
                ledger.walk_ins_added += answer["walk_ins_added"]
                return answer, attempts
            why = unretryable(response)
            if why:
                ledger.unretryable.append(f"{response.status_code} {why}: {response.text[:200]}")
                wait = pause
            else:
                ledger.service_unavailable.append((started, time.monotonic()))
                wait = float(response.headers["retry-after"])
        if time.monotonic() > deadline:
            raise SystemExit(f"FAILED: a batch to hub {hub_id} got no answer in {give_up_after}s")
        await asyncio.sleep(wait)


def unretryable(response: httpx.Response) -> str | None:
    """Why a non-200 is not the 503 problem with Retry-After that a phone acts on."""
    if response.status_code != 503:
        return "not a 503"
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return f"content-type {response.headers.get('content-type')}"
    retry_after = response.headers.get("retry-after")
    if not retry_after or not retry_after.isdigit():
        return f"Retry-After {retry_after!r}"
    return None


def discrepancies(ledger: Ledger, found: Counted, registered: set[str]) -> list[str]:
    """What differs between what the phones sent and what the database counted."""
    problems = []
    sent = ledger.codes_sent & registered
    lost = sent - found.codes
    extra = found.codes - sent
    if lost:
        problems.append(f"{len(lost)} codes sent but not checked in, e.g. {sorted(lost)[:3]}")
    if extra:
        problems.append(f"{len(extra)} codes checked in that were not sent")
    if found.check_ins != len(found.codes):
        problems.append(f"{found.check_ins - len(found.codes)} codes checked in twice")
    doubled = ledger.doubled_answers()
    if doubled:
        problems.append(f"{len(doubled)} codes answered checked_in more than once")
    if ledger.new > len(found.codes):
        problems.append(f"{ledger.new} checked_in answers for {len(found.codes)} rows")
    if set(ledger.walk_ins_sent) != found.walk_in_ids:
        problems.append(
            f"walk-in ids: {len(ledger.walk_ins_sent)} sent, {found.walk_in_rows} stored"
        )
    if sum(ledger.walk_ins_sent.values()) != found.walk_in_people:
        problems.append(
            f"walk-ins: {sum(ledger.walk_ins_sent.values())} people sent, "
            f"{found.walk_in_people} stored"
        )
    if ledger.unretryable:
        problems.append(
            f"{len(ledger.unretryable)} answers neither 200 nor a 503 with Retry-After, e.g. "
            f"{ledger.unretryable[0]}"
        )
    return problems


# --- the board's event stream -------------------------------------------------------------------


class BoardStream:
    """`GET /board/stream` read over a plain socket (HTTP/1.1, chunked): far lighter than an
    HTTP library, so that one process can hold a thousand of them. Each `board` event's data
    is kept as it came (`data`), with the time it arrived."""

    def __init__(
        self, base: str, path: str, headers: dict[str, str], keep_arrivals: bool = False
    ) -> None:
        self.keep_arrivals = keep_arrivals
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path, self.headers = path, headers
        self.data: str | None = None
        self.received = 0.0
        self.events = 0
        self.arrivals: list[float] = []  # when each board event came (time.time())
        self.changed = asyncio.Event()
        self.ended: str | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._writer = writer
        headers = "".join(f"{name}: {value}\r\n" for name, value in self.headers.items())
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Accept: text/event-stream\r\n{headers}\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise ConnectionError(f"the board stream answered {status.decode().strip()!r}")
        while (await reader.readline()).strip():
            pass  # the headers: the body is chunked
        self._reader = reader

    async def read(self, on_event: Any = None) -> None:
        """Read events until the stream ends; `on_event(self)` after each board event."""
        buffer = ""
        try:
            while True:
                size = int((await self._reader.readline()).strip() or b"0", 16)
                if size == 0:
                    self.ended = "ended"
                    return
                chunk = await self._reader.readexactly(size + 2)
                # An event's lines may end in CRLF, LF or CR (the SSE format allows each).
                buffer += chunk[:-2].decode().replace("\r\n", "\n").replace("\r", "\n")
                while "\n\n" in buffer:
                    event, buffer = buffer.split("\n\n", 1)
                    lines = event.split("\n")
                    data = [line[6:] for line in lines if line.startswith("data: ")]
                    if "event: board" in lines and data:
                        self.data = "\n".join(data)
                        self.received = time.time()
                        self.events += 1
                        if self.keep_arrivals:
                            self.arrivals.append(self.received)
                        self.changed.set()
                        if on_event is not None:
                            on_event(self)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.ended = repr(exc)
        finally:
            self.changed.set()
            self.close()

    def board(self) -> dict[str, Any] | None:
        return json.loads(self.data) if self.data else None

    async def wait_until(self, check: Any, within: float) -> dict[str, Any] | None:
        """The first board (now or to come, within `within` seconds) for which `check(board)`
        holds; None if none came."""
        deadline = time.monotonic() + within
        while True:
            board = self.board()
            if board is not None and check(board):
                return board
            if self.ended:
                return None
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self.changed.wait()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextlib.asynccontextmanager
async def board_stream(
    base: str, launch_id: int, headers: dict[str, str], level: str = "hub"
) -> AsyncIterator[BoardStream]:
    """One board stream, read in the background while the block runs."""
    path = f"/api/v1/launches/{launch_id}/board/stream?level={level}"
    stream = BoardStream(base, path, headers, keep_arrivals=True)
    await stream.open()
    reading = asyncio.create_task(stream.read())
    try:
        yield stream
    finally:
        stream.close()
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading


def totals(board: dict[str, Any]) -> tuple[int, int]:
    """A board's checked-in and walk-in totals."""
    return board["totals"]["checked_in"], board["totals"]["walk_ins"]


def hub_row(board: dict[str, Any], hub_id: int) -> dict[str, Any] | None:
    return next((row for row in board["rows"] if row["key"] == str(hub_id)), None)


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_pids(master: int) -> list[int]:
    """The uvicorn workers started by the server process `master` (its children that
    multiprocessing started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
        if parent == master and b"--multiprocessing-fork" in command:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class PrivateRedis:
    """A redis-server of the script's own on a spare port, never the shared one: no snapshots,
    no append-only file, so a restart starts empty, as a pub/sub channel does anyway."""

    def __init__(self, port: int | None = None) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise SystemExit(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def private_redis(port: int | None = None) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(port)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")
