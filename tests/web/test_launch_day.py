"""Peluncuran in a real browser: an officer runs a saved plan as a launch and reads which hubs
need attention; a hub's page registers a delegate, whose QR code holds their check-in code; and
on the day a coordinator's phone readies the hub and checks people in, keeping what it saw
through a lost connection, while a live board elsewhere counts each arrival once."""

import io
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from app.web.i18n import office_now
from tests.web.conftest import DEMO_PASSWORD, DESKTOP, check_page, log_in

pytestmark = pytest.mark.browser

TABANG = "64.02.12"
TENGGARONG = "64.02.06"


@contextmanager
def _api(live_server: str, username: str = "demo-officer") -> Iterator[httpx.Client]:
    """The API as `username`."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _plan(api: httpx.Client, name: str) -> dict[str, Any]:
    body = {
        "name": name,
        "region": "64.02",
        "inputs": {"preset": "kukar", "event": {"date": "2026-12-20"}, "draws": 20},
    }
    saved = api.post("/api/v1/launch-plans", json=body, headers=_key())
    assert saved.status_code == 201, saved.text
    return saved.json()


def _launch(api: httpx.Client, name: str, *, days_ahead: int) -> dict[str, Any]:
    plan = _plan(api, f"Rencana {name}")
    starts = office_now() + timedelta(days=days_ahead)
    made = api.post(
        "/api/v1/launches",
        json={
            "plan_id": plan["id"],
            "format": "hybrid_hubs",
            "name": name,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "meeting_url": "https://zoom.us/j/123456789",
        },
        headers=_key(),
    )
    assert made.status_code == 201, made.text
    return made.json()


def _hub(api: httpx.Client, launch: dict[str, Any], region: str) -> dict[str, Any]:
    hubs = api.get(f"/api/v1/launches/{launch['id']}/hubs", params={"page_size": 100}).json()
    return next(h for h in hubs["items"] if h["region_code"] == region)


def _new_account(
    live_server: str, role: str = "coordinator", scope: str = "64.02"
) -> tuple[str, int]:
    """A new account (by default a hub coordinator of Kukar), made by Kukar's administrator."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    with _api(live_server, "demo-admin") as admin:
        made = admin.post(
            "/api/v1/users",
            json={
                "username": username,
                "password": DEMO_PASSWORD,
                "role": role,
                "region_scope": scope,
            },
            headers=_key(),
        )
    assert made.status_code == 201, made.text
    return username, made.json()["id"]


def _make_coordinator(api: httpx.Client, launch: dict[str, Any], hub: dict[str, Any], user: int):
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}"
    etag = api.get(url).headers["ETag"]
    changed = api.patch(url, json={"coordinator_id": user}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text


def _register(api: httpx.Client, launch: dict[str, Any], hub: dict[str, Any], names: list[str]):
    """Delegates of the hub's district's cooperatives, one each; their check-in codes."""
    found = api.get("/api/v1/cooperatives", params={"region": hub["region_code"]}).json()
    cooperatives = [c["id"] for c in found["items"]]
    codes = []
    for index, name in enumerate(names):
        registered = api.post(
            f"/api/v1/launches/{launch['id']}/registrations",
            json={
                "cooperative_id": cooperatives[index % len(cooperatives)],
                "hub_id": hub["id"],
                "name": name,
                "role": "ketua",
            },
            headers=_key(),
        )
        assert registered.status_code == 201, registered.text
        codes.append(registered.json()["code"])
    return codes


def _board_row(api: httpx.Client, launch: dict[str, Any], hub: dict[str, Any]) -> dict[str, Any]:
    board = api.get(f"/api/v1/launches/{launch['id']}/board").json()
    return next(r for r in board["rows"] if r["key"] == str(hub["id"]))


def test_an_officer_runs_a_saved_plan_as_a_launch_and_sees_which_hubs_need_attention(
    page, live_server
):
    name = f"Peluncuran Kopdes Kukar ({page.size_name} {uuid.uuid4().hex[:6]})"
    with _api(live_server) as api:
        plan = _plan(api, f"Rencana {name}")
    coordinator, _ = _new_account(live_server)
    log_in(page, "demo-officer")
    page.get_by_role("link", name="Peluncuran", exact=True).click()
    assert page.get_by_role("heading", name="Peluncuran", level=1).is_visible()
    check_page(page, "peluncuran")

    page.get_by_label("Rencana tersimpan").select_option(str(plan["id"]))
    page.get_by_label("Format").select_option("hybrid_hubs")
    page.get_by_label("Nama peluncuran").fill(name)
    day = (office_now() + timedelta(days=2)).date().isoformat()
    page.get_by_label("Mulai (waktu kantor)").fill(f"{day}T09:00")
    page.get_by_label("Selesai (waktu kantor)").fill(f"{day}T08:00")  # before it starts
    page.get_by_role("button", name="Buat peluncuran").click()
    assert page.get_by_role("alert").filter(has_text="Periksa isian berikut").is_visible()
    expect(page.locator("#ends_at-error")).to_contain_text("harus sesudah")
    page.get_by_label("Selesai (waktu kantor)").fill(f"{day}T12:00")
    page.get_by_role("button", name="Buat peluncuran").click()
    assert page.get_by_text("Peluncuran telah dibuat dengan hub dari rencananya.").is_visible()
    launch_id = int(re.search(r"/peluncuran/(\d+)$", page.url).group(1))  # type: ignore[union-attr]

    # Two days before the start, no hub is ready: each needs attention, and says why.
    summary = page.locator("#ringkasan")
    expect(summary).to_contain_text("20 hub: 0 siap, 0 berisiko, 20 belum siap.")
    expect(summary).to_contain_text("20 hub perlu perhatian")
    tabang = page.get_by_role("row").filter(has=page.get_by_role("link", name="Tabang", exact=True))
    expect(tabang).to_contain_text("Perlu perhatian")
    expect(tabang).to_contain_text("Belum ada koordinator")
    expect(tabang).to_contain_text("Internet belum diuji")
    check_page(page, "peluncuran-satu")
    page.get_by_label("Tampilkan hub di").select_option(TABANG)
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator("table.hubs tbody tr")).to_have_count(1)
    expect(summary).to_contain_text("1 hub: 0 siap, 0 berisiko, 1 belum siap.")

    # The hub: the office gives it a coordinator, and registers a delegate, whose QR code holds
    # their check-in code.
    page.get_by_role("link", name="Tabang", exact=True).click()
    assert page.get_by_role("heading", name="Hub Tabang", level=1).is_visible()
    page.get_by_label("Koordinator", exact=True).select_option(label=coordinator)
    page.get_by_role("button", name="Simpan hub").click()
    assert page.get_by_text("Hub telah diubah.").is_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(coordinator)
    expect(facts).not_to_contain_text("Belum ada koordinator")

    page.get_by_label("Nama delegasi").fill("Siti Aminah")
    page.get_by_label("Peran di koperasi").select_option("ketua")
    page.get_by_role("button", name="Daftarkan", exact=True).click()
    notice = page.get_by_role("status").filter(has_text="Siti Aminah telah didaftarkan")
    code = re.search(r"Kode check-in: ([0-9A-Z]{8})\.", notice.inner_text()).group(1)  # type: ignore[union-attr]
    card = page.locator("li.delegate").filter(has_text="Siti Aminah")
    expect(card).to_contain_text(code)
    expect(card).to_contain_text("Belum check-in")
    qr = card.get_by_role("img", name=f"Kode QR kode check-in {code}")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot(scale="device"))))
    assert [d.text for d in decoded] == [code]
    check_page(page, "peluncuran-hub")

    # A delegate's name is required, said next to its field.
    page.get_by_role("button", name="Daftarkan", exact=True).click()
    assert page.locator("#name-error").is_visible()
    with _api(live_server) as api:
        registered = api.get(
            f"/api/v1/launches/{launch_id}/registrations", params={"page_size": 100}
        ).json()["items"]
    assert [r["name"] for r in registered] == ["Siti Aminah"]


def test_a_coordinator_checks_in_through_a_lost_connection_and_each_arrival_counts_once(
    page, browser, live_server, web_database
):
    name = f"Peluncuran hari H ({page.size_name} {uuid.uuid4().hex[:6]})"
    people = ["Ani", "Budi", "Citra", "Dedi", "Eka"]
    with _api(live_server) as api:
        launch = _launch(api, name, days_ahead=1)
        hub = _hub(api, launch, TENGGARONG)
        elsewhere = _hub(api, launch, TABANG)
        username, user_id = _new_account(live_server)
        _make_coordinator(api, launch, hub, user_id)
        codes = _register(api, launch, hub, people)
        (visitor,) = _register(api, launch, elsewhere, ["Fajar"])

    # The office watches the live board, in a browser of its own.
    office = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="id-ID")
    office.set_default_timeout(15_000)
    refused: list[str] = []
    board = office.new_page()
    # What the board's browser refused or could not load (as the `page` fixture watches).
    board.on(
        "console",
        lambda m: (
            refused.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    board.on(
        "response", lambda r: refused.append(f"{r.url} {r.status}") if r.status >= 400 else None
    )
    log_in(board, "demo-officer")
    board.goto(f"/peluncuran/{launch['id']}/papan")
    checked_in = board.locator("tfoot [data-col=checked_in]")
    expect(checked_in).to_have_text("0")
    expect(board.locator("#papan-status")).to_have_text("Langsung: diperbarui sendiri.")

    # The coordinator starts at their hub, and readies it.
    log_in(page, username)
    assert page.url.endswith("/peluncuran")
    assert page.get_by_role("link", name="Beranda").count() == 0
    mine = page.locator("li.hub-card")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Perlu perhatian")
    check_page(page, "peluncuran-koordinator")
    mine.get_by_role("link", name="Daftar periksa dan delegasi").click()
    for label in (
        "Tempat sudah pasti",
        "Layar atau proyektor siap",
        "Pengeras suara siap",
        "Listrik siap",
        "Gladi sudah dilakukan",
    ):
        page.get_by_label(label).check()
    page.get_by_label("Unduh (Mbps)").fill("50")
    page.get_by_label("Unggah (Mbps)").fill("20,5")
    page.get_by_role("button", name="Simpan daftar periksa").click()
    assert page.get_by_text("Daftar periksa telah disimpan. Hub sekarang: Siap.").is_visible()
    expect(page.locator("dl.facts")).to_contain_text("50 Mbps unduh, 20,5 Mbps unggah")
    check_page(page, "peluncuran-hub-koordinator")

    # Three by code, with a signal.
    page.get_by_role("link", name="Check-in", exact=True).first.click()
    assert page.get_by_role("heading", name="Check-in di Tenggarong", level=1).is_visible()
    check_page(page, "peluncuran-check-in")
    code_box = page.get_by_label("Kode check-in")
    answers = page.locator("#hasil li")
    for person, code in zip(people[:3], codes[:3], strict=True):
        code_box.fill(code.lower())  # typed as it comes: the page reads it as the code
        code_box.press("Enter")
        expect(answers.filter(has_text=code)).to_contain_text(f"{person} ({code}): Tercatat hadir")
    expect(page.locator("#jumlah-hadir")).to_have_text("3")
    expect(checked_in).to_have_text("3")  # the other browser, without a reload
    page.get_by_role("button", name="+1 walk-in").click()
    expect(answers.filter(has_text="Walk-in tercatat")).to_have_count(1)

    # The signal drops: two more arrive, one is typed again, one walks in; all wait here.
    page.context.set_offline(True)
    for code in codes[3:] + codes[:1]:
        code_box.fill(code)
        code_box.press("Enter")
    page.get_by_role("button", name="+1 walk-in").click()
    queue = page.locator("#antrean li")
    expect(queue).to_have_count(4)
    for person, code in zip(people[3:], codes[3:], strict=True):
        expect(queue.filter(has_text=code)).to_contain_text(f"{person} ({code}) · menunggu dikirim")
    expect(page.get_by_role("status").filter(has_text="Tidak ada sinyal")).to_be_visible()
    with _api(live_server) as api:
        assert _board_row(api, launch, hub)["checked_in"] == 3  # nothing has left the phone

    # It returns: the queue goes, and each person is counted once.
    page.context.set_offline(False)
    expect(queue).to_have_count(0)
    for person, code in zip(people[3:], codes[3:], strict=True):
        expect(answers.filter(has_text=code)).to_contain_text(f"{person} ({code}): Tercatat hadir")
    expect(answers.filter(has_text=codes[0]).first).to_contain_text("Sudah check-in sebelumnya")
    expect(page.locator("#jumlah-hadir")).to_have_text("5")
    expect(page.locator("#jumlah-walk-in")).to_have_text("2")
    expect(checked_in).to_have_text("5")
    expect(board.locator("tfoot [data-col=walk_ins]")).to_have_text("2")
    with _api(live_server) as api:
        row = _board_row(api, launch, hub)
        assert (row["checked_in"], row["other_hub"], row["walk_ins"]) == (5, 0, 2)
    with sqlite3.connect(make_url(web_database).database or "") as db:
        rows = db.execute(
            "SELECT r.code, COUNT(*) FROM launch_check_in c JOIN launch_registration r"
            " ON r.id = c.registration_id WHERE c.launch_id = ? GROUP BY r.code",
            (launch["id"],),
        ).fetchall()
        (walk_ins,) = db.execute(
            "SELECT SUM(people) FROM launch_walk_in WHERE launch_id = ?", (launch["id"],)
        ).fetchone()
    assert sorted(rows) == sorted((code, 1) for code in codes)
    assert walk_ins == 2

    # A code nobody has, and a delegate of another hub, who is counted here.
    code_box.fill("ZZZZZZZZ")
    code_box.press("Enter")
    expect(answers.filter(has_text="ZZZZZZZZ")).to_contain_text("Kode tidak dikenal")
    code_box.fill(visitor)
    code_box.press("Enter")
    expect(answers.filter(has_text=visitor)).to_contain_text(
        f"Fajar ({visitor}): Tercatat hadir (terdaftar di hub lain; dihitung di sini)"
    )
    code_box.fill("12")
    code_box.press("Enter")
    expect(page.locator("#kode-error")).to_contain_text("Kode terdiri dari delapan huruf dan angka")
    expect(board.locator("tfoot [data-col=checked_in]")).to_have_text("6")
    check_page(page, "peluncuran-check-in-hasil")

    # The list: ticking a name checks them in too, and the page says who is in already.
    page.reload()
    row = page.locator("#daftar li").filter(has_text="Ani")
    expect(row.get_by_role("checkbox")).to_be_disabled()
    expect(row).to_contain_text("Sudah check-in sebelumnya")

    board.goto(f"/peluncuran/{launch['id']}/papan?tingkat=district")
    expect(board.get_by_role("rowheader", name="Tenggarong", exact=True)).to_be_visible()
    expect(board.locator("tfoot [data-col=present]")).to_have_text("8")
    office.close()
    assert not refused, refused


def test_the_live_board_and_a_hub_are_read_only_for_a_viewer(page, live_server):
    name = f"Peluncuran dibaca ({page.size_name} {uuid.uuid4().hex[:6]})"
    with _api(live_server) as api:
        launch = _launch(api, name, days_ahead=20)
        hub = _hub(api, launch, TENGGARONG)
        _register(api, launch, hub, ["Gita", "Hadi"])
    log_in(page, "demo-viewer")
    page.goto("/peluncuran")
    page.get_by_role("link", name=name).click()
    summary = page.locator("#ringkasan")
    expect(summary).to_contain_text("20 hub: 0 siap, 0 berisiko, 20 belum siap.")
    expect(summary).not_to_contain_text("perlu perhatian")  # twenty days ahead
    assert page.get_by_role("link", name=re.compile("^Check-in")).count() == 0
    page.get_by_role("link", name="Papan kehadiran langsung").click()
    tenggarong = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="Tenggarong", exact=True)
    )
    expect(tenggarong.locator("[data-col=registered]")).to_have_text("2")
    expect(tenggarong.locator("[data-col=turnout]")).to_have_text("0%")
    expect(page.locator("#papan-status")).to_have_text("Langsung: diperbarui sendiri.")
    check_page(page, "peluncuran-papan")
    page.goto(f"/peluncuran/{launch['id']}/hub/{hub['id']}")
    assert page.get_by_role("button").filter(has_text=re.compile("Simpan|Daftarkan")).count() == 0
    assert page.locator("form[method=post][action*='/peluncuran/']").count() == 0
    assert page.goto(f"/peluncuran/{launch['id']}/hub/{hub['id']}/check-in").status == 403


# A phone whose browser reads QR codes itself: its camera and detector stood in for, as the page
# sees them (a page script could not be injected: the CSP refuses inline scripts, but a script
# added through the DevTools protocol runs before the page's own).
QR_READER = """
window.scannedCodes = [];
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  detect() {
    const code = window.scannedCodes.shift();
    return Promise.resolve(code ? [{ rawValue: code, format: "qr_code" }] : []);
  }
};
navigator.mediaDevices.getUserMedia = () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return Promise.resolve(canvas.captureStream(5));
};
"""


def test_a_phone_that_reads_qr_codes_checks_people_in_by_scanning(page, live_server, web_database):
    if page.size_name != "phone":
        pytest.skip("scanning is the phone's")
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran pindai {uuid.uuid4().hex[:6]}", days_ahead=1)
        hub = _hub(api, launch, TENGGARONG)
        (code,) = _register(api, launch, hub, ["Intan"])
    page.add_init_script(QR_READER)
    log_in(page, "demo-officer")
    page.goto(f"/peluncuran/{launch['id']}/hub/{hub['id']}/check-in")
    page.get_by_role("button", name="Pindai kode QR").click()
    expect(page.get_by_role("button", name="Berhenti memindai")).to_be_visible()
    page.evaluate("(code) => window.scannedCodes.push(code, code)", code)  # seen twice
    answers = page.locator("#hasil li")
    expect(answers.filter(has_text=code)).to_have_text(f"Intan ({code}): Tercatat hadir")
    expect(answers).to_have_count(1)  # the second sight of it was the same person
    page.get_by_role("button", name="Berhenti memindai").click()
    expect(page.get_by_role("button", name="Pindai kode QR")).to_be_visible()
    with sqlite3.connect(make_url(web_database).database or "") as db:
        methods = db.execute(
            "SELECT method FROM launch_check_in WHERE launch_id = ?", (launch["id"],)
        ).fetchall()
    assert methods == [("qr",)]
