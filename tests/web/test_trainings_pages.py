"""Pelatihan in a real browser: a training planned, invited, funded, scheduled and held, with
its attendance ticked on the page (and kept through a dropped connection), the printed
attendance sheet, and what a viewer may not do."""

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.web.conftest import DEMO_PASSWORD, check_page, log_in

pytestmark = pytest.mark.browser

LINE = {
    "fiscal_year": 2025,
    "region_code": "64.02",
    "skpd": "Dinas Koperasi dan UKM Kab. Kutai Kartanegara",
    "sub_kegiatan_code": "2.17.05.2.01.0001",
    "sub_kegiatan_name": "Peningkatan Pemahaman dan Pengetahuan Perkoperasian",
    "kode_rekening": "5.1.02.02.12.0077",
    "name": "Belanja Kursus Singkat/Pelatihan (uji pelatihan)",
    "original_ceiling": 10**12,
}


@contextmanager
def _api(live_server: str, username: str = "demo-admin") -> Iterator[httpx.Client]:
    """The API as `username`."""
    with httpx.Client(base_url=live_server) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.fixture(scope="module")
def budget_line(live_server: str) -> Iterator[dict[str, Any]]:
    """A roomy 2025 line of Kukar's office that trainings are funded from (the Kukar demo has
    no budget); made once, whichever test or worker asks first."""
    with _api(live_server) as api:
        lines = api.get("/api/v1/budget-lines", params={"page_size": 200}).json()["items"]
        found = next((x for x in lines if x["kode_rekening"] == LINE["kode_rekening"]), None)
        if found is None:
            made = api.post(
                "/api/v1/budget-lines", json=LINE, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            assert made.status_code in (201, 409), made.text
            lines = api.get("/api/v1/budget-lines", params={"page_size": 200}).json()["items"]
            found = next(x for x in lines if x["kode_rekening"] == LINE["kode_rekening"])
        yield found


def _plan(page, title: str) -> int:  # type: ignore[no-untyped-def]
    page.goto("/pelatihan/baru")
    page.get_by_label("Judul").fill(title)
    page.get_by_label("Tempat (opsional)").fill("Aula Diskop UMKM Kukar, Tenggarong")
    start = date.today() - timedelta(days=2)
    page.get_by_label("Hari pertama (opsional)").fill(start.isoformat())
    page.get_by_label("Hari terakhir (opsional)").fill((start + timedelta(days=1)).isoformat())
    page.get_by_label("Kursi").fill("30")
    page.get_by_label("Perkiraan biaya (rupiah)").fill("4500000")
    page.get_by_label("Pembukuan").check()
    page.get_by_role("button", name="Simpan pelatihan").click()
    assert page.get_by_text("Pelatihan telah dibuat. Menunggu anggaran.").is_visible()
    return int(re.search(r"/pelatihan/(\d+)$", page.url).group(1))  # type: ignore[union-attr]


def test_a_training_goes_from_waiting_to_held_with_attendance_ticked(
    page, live_server, budget_line
):
    title = f"Pembukuan dasar ({page.size_name} {uuid.uuid4().hex[:6]})"
    log_in(page, "demo-officer")
    training_id = _plan(page, title)
    assert page.get_by_role("definition").filter(has_text="Menunggu anggaran").is_visible()
    assert page.get_by_role("button", name="Tandai: Terlaksana").count() == 0  # not allowed yet

    page.get_by_label("Atau orang yang disebut namanya").fill("Ibu Rahma")
    page.get_by_role("button", name="Undang").click()
    page.get_by_label("Atau orang yang disebut namanya").fill("Pak Yusuf")
    page.get_by_role("button", name="Undang").click()
    assert page.get_by_role("cell", name="Pak Yusuf").is_visible()
    check_page(page, "pelatihan-satu")

    page.get_by_label("Pos anggaran yang mendanainya").select_option(str(budget_line["id"]))
    page.get_by_role("button", name="Tandai: Didanai").click()
    assert page.get_by_text("Status pelatihan telah diubah.").is_visible()
    page.get_by_role("button", name="Tandai: Terjadwal").click()
    assert page.get_by_role("definition").filter(has_text="Terjadwal").is_visible()

    page.get_by_role("link", name="Daftar hadir", exact=True).click()
    check_page(page, "pelatihan-hadir")
    rahma = page.get_by_role("listitem").filter(has_text="Ibu Rahma")
    rahma.get_by_role("checkbox").check()
    rahma.get_by_role("status").filter(has_text="Tersimpan").wait_for()
    # The signal drops: the tick waits on the phone, and goes when the signal is back.
    page.context.set_offline(True)
    yusuf = page.get_by_role("listitem").filter(has_text="Pak Yusuf")
    yusuf.get_by_role("checkbox").check()
    yusuf.get_by_role("status").filter(has_text="Menunggu sinyal").wait_for()
    page.context.set_offline(False)
    yusuf.get_by_role("status").filter(has_text="Tersimpan").wait_for()
    page.reload()
    assert rahma.get_by_role("checkbox").is_checked() and yusuf.get_by_role("checkbox").is_checked()
    assert page.get_by_text("2 hadir dari 30 kursi.").is_visible()
    with _api(live_server) as api:
        recorded = api.get(f"/api/v1/trainings/{training_id}/attendance").json()["items"]
    assert sorted(a["name"] for a in recorded) == ["Ibu Rahma", "Pak Yusuf"]  # each once

    page.goto(f"/pelatihan/{training_id}")
    page.get_by_role("button", name="Tandai: Terlaksana").click()
    assert page.get_by_role("definition").filter(has_text="Terlaksana").is_visible()
    page.goto("/pelatihan")
    held = page.get_by_role("region", name=re.compile("^Terlaksana"))
    assert held.get_by_role("link", name=title).is_visible()
    check_page(page, "pelatihan")


def test_the_attendance_sheet_prints_a_row_and_a_signature_box_per_invitee(page, live_server):
    if page.size_name == "phone":
        pytest.skip("the sheet is printed from the office, on A4")
    with _api(live_server) as api:
        made = api.post(
            "/api/v1/trainings",
            json={
                "title": "Penyusunan laporan RAT",
                "region_code": "64.02.06",
                "capacity": 40,
                "estimated_cost": 0,
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ).json()
        for name in ("Siti Aminah", "Budi Santoso", "Maria Ulfa"):
            answer = api.post(
                f"/api/v1/trainings/{made['id']}/invitations",
                json={"person_name": name},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert answer.status_code == 201, answer.text
    log_in(page, "demo-viewer")
    page.goto(f"/pelatihan/{made['id']}/daftar-hadir")
    check_page(page, "daftar-hadir")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "DAFTAR HADIR" in text and "PEMERINTAH KABUPATEN KUTAI KARTANEGARA" in text
    assert "Penyusunan laporan RAT" in text
    for number, name in enumerate(("Siti Aminah", "Budi Santoso", "Maria Ulfa"), start=1):
        assert re.search(rf"{number}\s*{name}", text), text
    assert "Kembali ke pelatihan" not in text  # the screen's links are not printed


def test_a_viewer_reads_the_trainings_but_changes_nothing(page, live_server):
    with _api(live_server) as api:
        made = api.post(
            "/api/v1/trainings",
            json={
                "title": "Literasi digital",
                "region_code": "64.02",
                "capacity": 20,
                "estimated_cost": 0,
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ).json()
    log_in(page, "demo-viewer")
    page.goto("/pelatihan")
    assert page.get_by_role("link", name="Rencanakan pelatihan").count() == 0
    page.goto(f"/pelatihan/{made['id']}")
    assert page.get_by_role("heading", name="Literasi digital").is_visible()
    assert page.get_by_role("button", name=re.compile("^Tandai")).count() == 0
    assert page.get_by_role("button", name="Undang").count() == 0
    page.get_by_role("link", name="Daftar hadir", exact=True).click()
    assert page.get_by_role("checkbox").count() == 0
    assert page.goto("/pelatihan/baru").status == 403
