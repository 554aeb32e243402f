"""Browser tests: the web app served by uvicorn on a free port, driven by Debian's Chromium
through Playwright (no browser download: `executable_path`).

The pages call the same services that the API tests run on both databases; the browser tests
run them on SQLite, with Kukar's demo data and the demo accounts. Without Chromium they are
skipped, except in CI (`KOPDES_TEST_REQUIRE_BROWSER=1`), where a missing browser fails the run.
Screenshots of every page, phone and desktop, land in `test-artifacts/screenshots/`.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.auth import Caller, Principal
from app.access.permissions import ROLE_PERMISSIONS
from app.access.security import NikCipher
from app.core.db import build_engine
from app.http.idempotency import Writer
from app.main import create_app
from app.models.account import Role, UserCreate
from app.models.cooperative import CooperativeCreate
from app.seed import demo
from app.services import accounts, cooperatives
from tests.conftest import fresh_database, migrate_and_load_regions, run, settings_for

CHROMIUM = Path(os.environ.get("KOPDES_TEST_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("KOPDES_TEST_REQUIRE_BROWSER") == "1"
DEMO_PASSWORD = "demo-password-for-tests"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


# Beyond the demo data: a cooperative whose name is markup (it must show as text) and one in
# Kutai Barat, outside the demo accounts' Kukar.
SCRIPT_NAME = "<script>alert(1)</script>"
OUTSIDE_KUKAR = "Koperasi Desa Merah Putih Samurangau"
OWN_RECORDS = {SCRIPT_NAME: "64.02.06.1001", OUTSIDE_KUKAR: "64.01.01.2009"}
# An account of the national office, which reads the country's morning table.
NATIONAL_USERNAME = "kemenkop-admin"
NATIONAL_ADMIN = Caller(
    Principal(
        kind="user",
        id=0,
        name="tests",
        role=Role.admin,
        region_scope="",
        cooperative_id=None,
        api_scopes=frozenset(),
        permissions=ROLE_PERMISSIONS[Role.admin],
    ),
    request_id=None,
    client_ip=None,
)


@pytest.fixture(scope="session")
def web_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database("sqlite", "web", tmp_path_factory.mktemp("web"))
    migrate_and_load_regions(url)
    settings = settings_for(url)

    async def load() -> None:
        engine = build_engine(settings)
        cipher = NikCipher(settings.nik_encryption_key.get_secret_value())
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await demo.load_demo(session, cipher)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await demo.load_demo_accounts(session, DEMO_PASSWORD)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            for name, village in OWN_RECORDS.items():
                data = CooperativeCreate(name=name, village_code=village, is_joint=True)
                await cooperatives.create_cooperative(Writer(session, NATIONAL_ADMIN), data)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            national = UserCreate(
                username=NATIONAL_USERNAME, password=DEMO_PASSWORD, role=Role.admin, region_scope=""
            )
            await accounts.create_user(Writer(session, NATIONAL_ADMIN), national)
        await engine.dispose()

    run(load())
    return url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(web_database: str) -> Iterator[str]:
    """The service on 127.0.0.1, in a thread of the test process."""
    port = _free_port()
    app = create_app(settings_for(web_database))
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[object]:
    # Playwright's sync API keeps an event loop running in this thread while it is open, where
    # `asyncio.run` (the database fixtures, Alembic) cannot be called: so it starts after the
    # server and its database, and stops as soon as the next test is another module's (an
    # xdist worker may run other modules' tests between this module's).
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture(params=["desktop", "phone"])
def page(browser, live_server, request):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) at desktop or phone size, on the live server."""
    size = DESKTOP if request.param == "desktop" else PHONE
    context = browser.new_context(
        base_url=live_server, viewport=size, locale="id-ID", is_mobile=request.param == "phone"
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    opened.size_name = request.param
    refused: list[str] = []

    def note_error(message) -> None:  # type: ignore[no-untyped-def]
        # The status of the page itself is each test's to check (a 404 page is a 404).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            refused.append(message.text)

    def note_response(response) -> None:  # type: ignore[no-untyped-def]
        if response.request.resource_type != "document" and response.status >= 400:
            refused.append(f"{response.url}: {response.status}")

    # What the browser refused to run (CSP), asked of another origin, or could not load.
    opened.on("console", note_error)
    opened.on("response", note_response)

    def note_failure(request) -> None:  # type: ignore[no-untyped-def]
        # A page load that a newer navigation replaced was not refused, only left (so is a live
        # board's event stream, which the next page closes); and a test that takes the browser
        # offline means its requests to fail.
        failure = request.failure or ""
        left = request.resource_type in ("document", "eventsource") and "ERR_ABORTED" in failure
        if not (left or "ERR_INTERNET_DISCONNECTED" in failure):
            refused.append(f"{request.url}: {failure}")

    opened.on("requestfailed", note_failure)
    opened.on(
        "request",
        lambda r: (
            None if r.url.startswith((live_server, "blob:", "data:")) else refused.append(r.url)
        ),
    )
    yield opened
    assert not refused, refused
    context.close()


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no serious or critical violation, and the screenshot is kept."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected
    # <script> would be refused: the page allows no inline script).
    page.evaluate(AXE.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    severe = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}-{page.size_name}.png"), full_page=True)
    assert not severe, severe
