"""Anggaran in a real browser: budget lines added on the page, a DPA file refused row by row and
then imported, and a refocusing drafted by an officer, approved by the head of the office and
applied, with the figures on the page moving to match; the maker-checker rule, a shortfall
said in Indonesian, and a money form sent twice."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.web.conftest import DEMO_PASSWORD, check_page, log_in

pytestmark = pytest.mark.browser

# A year of its own, so that these lines never meet those of the trainings' tests.
YEAR = 2024


@contextmanager
def _api(live_server: str, username: str = "demo-admin") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@contextmanager
def _as(browser, live_server: str, page, username: str) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A second person at a screen of the same size."""
    context = browser.new_context(base_url=live_server, viewport=page.viewport_size, locale="id-ID")
    other = context.new_page()
    log_in(other, username)
    yield other
    context.close()


def _account_code() -> str:
    """A kode rekening of its own for each run: the lines of a year are unique by it."""
    return f"5.1.02.02.{uuid.uuid4().int % 90 + 10}.{uuid.uuid4().int % 9000 + 1000}"


def _add_line(page, name: str, ceiling: int) -> str:  # type: ignore[no-untyped-def]
    code = _account_code()
    page.goto(f"/anggaran?tahun={YEAR}")
    page.get_by_text("Tambah pos anggaran").click()
    page.get_by_label("Tahun anggaran", exact=True).fill(str(YEAR))
    page.get_by_label("Perangkat daerah (SKPD)").fill(
        "Dinas Koperasi dan UKM Kab. Kutai Kartanegara"
    )
    page.get_by_label("Kode sub kegiatan").fill("2.17.05.2.01.0001")
    page.get_by_label("Nama sub kegiatan").fill("Peningkatan Pemahaman Perkoperasian")
    page.get_by_label("Kode rekening").fill(code)
    page.get_by_label("Uraian").fill(name)
    page.get_by_label("Pagu awal (rupiah)").fill(str(ceiling))
    page.get_by_role("button", name="Tambahkan pos anggaran").click()
    page.get_by_text("Pos anggaran telah ditambahkan.").wait_for()
    return code


def _line_id(live_server: str, code: str) -> int:
    with _api(live_server) as api:
        lines = api.get(
            "/api/v1/budget-lines", params={"fiscal_year": YEAR, "page_size": 200}
        ).json()["items"]
    return int(next(line["id"] for line in lines if line["kode_rekening"] == code))


def _available(page, code: str) -> str:  # type: ignore[no-untyped-def]
    """The line's available amount as the budget page shows it."""
    page.goto(f"/anggaran?tahun={YEAR}")
    return str(page.get_by_role("row").filter(has_text=code).locator("td").last.inner_text())


def _draft(page, from_code: str, to_code: str, amount: int, training: str | None = None) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"/pergeseran/baru?tahun={YEAR}")
    page.get_by_label("Alasan").fill(
        "Inpres 1/2025: dana perjalanan dinas untuk pelatihan koperasi"
    )
    page.get_by_label("Dasar hukum").fill("Inpres 1/2025; Perbup Kukar 12/2025")
    page.get_by_label("Nomor dokumen").fill("900/123/BPKAD")
    page.get_by_label("Tanggal dokumen").fill("2024-03-01")
    for label, code in (("Baris 1: dari", from_code), ("Baris 1: ke", to_code)):
        choice = page.get_by_label(label)
        choice.select_option(choice.locator("option", has_text=code).get_attribute("value"))
    page.get_by_label("Baris 1: jumlah (rupiah)").fill(str(amount))
    if training:
        page.get_by_label(re.compile(re.escape(training))).check()
    check_page(page, "pergeseran-baru")
    page.get_by_role("button", name="Simpan sebagai konsep").click()
    page.get_by_text("Pergeseran telah disimpan sebagai konsep.").wait_for()
    return int(re.search(r"/pergeseran/(\d+)$", page.url).group(1))  # type: ignore[union-attr]


def test_a_refocusing_made_by_one_person_approved_by_another_moves_the_money(
    page, browser, live_server
):
    log_in(page, "demo-officer")
    travel = _add_line(page, "Belanja Perjalanan Dinas Dalam Daerah", 50_000_000)
    training_line = _add_line(page, "Belanja Kursus Singkat/Pelatihan", 10_000_000)
    check_page(page, "anggaran")
    assert _available(page, travel) == "Rp50.000.000"
    title = f"Pelatihan pengelola gerai ({page.size_name} {uuid.uuid4().hex[:6]})"
    with _api(live_server, "demo-officer") as api:
        made = api.post(
            "/api/v1/trainings",
            json={
                "title": title,
                "region_code": "64.02",
                "capacity": 30,
                "estimated_cost": 15_000_000,
                "budget_line_id": _line_id(live_server, training_line),
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert made.status_code == 201, made.text

    refocusing = _draft(page, travel, training_line, 20_000_000, training=title)
    check_page(page, "pergeseran-satu")
    page.get_by_role("definition").filter(has_text="Konsep").wait_for()
    # What it unblocks: the 15 M training the 10 M line could not fund, once 20 M more is in.
    unblocked = page.get_by_role("listitem").filter(has_text=title)
    assert "dapat didanai" in unblocked.inner_text()
    page.get_by_role("button", name="Ajukan untuk persetujuan").click()
    page.get_by_text("Pergeseran telah diajukan untuk disetujui.").wait_for()
    assert page.get_by_role("button", name="Setujui").count() == 0  # not the officer's to do

    with _as(browser, live_server, page, "demo-admin") as head:
        head.goto(f"/pergeseran/{refocusing}")
        head.get_by_role("button", name="Setujui").click()
        head.get_by_text("Pergeseran telah disetujui.").wait_for()

    # The officer applies it; a second press of the same form (a double click, a resend)
    # replays the answer and moves nothing more.
    page.goto(f"/pergeseran/{refocusing}")
    form = page.locator(f"form[action='/pergeseran/{refocusing}/terapkan']")
    fields = {
        str(hidden.get_attribute("name")): str(hidden.get_attribute("value"))
        for hidden in form.locator("input[type=hidden]").all()
    }
    page.get_by_role("button", name="Terapkan: pindahkan uangnya").click()
    page.get_by_text("Pergeseran telah diterapkan: uangnya telah dipindahkan.").wait_for()
    again = page.request.post(f"/pergeseran/{refocusing}/terapkan", form=fields, max_redirects=0)
    assert again.status == 303, again.text()
    page.get_by_role("definition").filter(has_text="Diterapkan").wait_for()

    assert _available(page, travel) == "Rp30.000.000"
    assert _available(page, training_line) == "Rp30.000.000"
    check_page(page, "anggaran-setelah")


def test_the_maker_never_sees_approve_and_a_shortfall_is_said_in_indonesian(
    page, browser, live_server
):
    log_in(page, "demo-admin")
    source = _add_line(page, "Belanja Alat Tulis Kantor", 5_000_000)
    target = _add_line(page, "Belanja Makanan dan Minuman Rapat", 1_000_000)
    refocusing = _draft(page, source, target, 4_000_000)
    page.get_by_role("button", name="Ajukan untuk persetujuan").click()
    # The head of the office may approve, but not what they drafted themselves.
    assert page.get_by_role("button", name="Setujui").count() == 0
    page.get_by_text("orang lain yang harus menyetujuinya").wait_for()

    # Meanwhile, 2 M of the source line is spent elsewhere: it no longer covers the 4 M.
    with _api(live_server) as api:
        made = api.post(
            "/api/v1/trainings",
            json={
                "title": f"Rapat koordinasi ({page.size_name})",
                "region_code": "64.02",
                "capacity": 20,
                "estimated_cost": 2_000_000,
                "budget_line_id": _line_id(live_server, source),
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ).json()
        funded = api.post(
            f"/api/v1/trainings/{made['id']}/transitions",
            json={"to": "funded", "occurred_on": "2024-03-02"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert funded.status_code == 201, funded.text

    with _as(browser, live_server, page, "kemenkop-admin") as checker:
        checker.goto(f"/pergeseran/{refocusing}")
        checker.get_by_role("button", name="Setujui").click()
        checker.get_by_text("Pergeseran telah disetujui.").wait_for()

    page.goto(f"/pergeseran/{refocusing}")
    touched = page.get_by_role("region", name="Pos yang disentuhnya")
    assert "kurang" in touched.get_by_role("row").filter(has_text=source).inner_text()
    page.get_by_role("button", name="Terapkan: pindahkan uangnya").click()
    alert = page.get_by_role("alert")
    assert "akan kurang Rp1" in alert.inner_text()  # said in Indonesian, with the amount
    assert "tidak ada yang dipindahkan" in alert.inner_text()
    page.get_by_role("definition").filter(has_text="Disetujui").wait_for()
    assert _available(page, source) == "Rp3.000.000"  # nothing moved


def test_a_dpa_file_is_refused_row_by_row_then_imported_whole(page, live_server):
    log_in(page, "demo-officer")
    good, other = _account_code(), _account_code()
    header = "Kode Sub Kegiatan;Nama Sub Kegiatan;Kode Rekening;Uraian;Pagu;SKPD\n"
    row = "2.17.05.2.01.0001;Peningkatan Pemahaman Perkoperasian;{code};{name};{ceiling};Diskop\n"
    bad = (
        header
        + row.format(code=good, name="Belanja Honorarium Narasumber", ceiling="12.500.000")
        + row.format(code="5.1.02", name="Belanja Sewa Gedung", ceiling="-4000000")
    )
    page.goto("/anggaran/impor")
    check_page(page, "anggaran-impor")
    page.get_by_label("Berkas DPA").set_input_files(
        {"name": "dpa.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_label("Tahun anggaran (jika berkas tidak punya kolom Tahun)").fill(str(YEAR))
    page.get_by_role("button", name="Periksa dan impor").click()
    alert = page.get_by_role("alert")
    assert "Tidak ada yang diimpor" in alert.inner_text()
    cells = [r.inner_text() for r in alert.get_by_role("row").all()[1:]]
    assert any(c.startswith("3\tKode Rekening") for c in cells), cells
    assert any(c.startswith("3\tPagu") for c in cells), cells
    # What to fix, in Indonesian, with the cell as written.
    assert any("tidak boleh negatif (tertulis '-4000000')" in c for c in cells), cells
    assert not any(c.startswith("2\t") for c in cells), cells  # the good row is fine
    check_page(page, "anggaran-impor-ditolak")
    page.goto(f"/anggaran?tahun={YEAR}")
    assert page.get_by_role("row").filter(has_text=good).count() == 0  # nothing was kept

    clean = (
        header
        + row.format(code=good, name="Belanja Honorarium Narasumber", ceiling="12.500.000")
        + row.format(code=other, name="Belanja Sewa Gedung", ceiling="4000000")
    )
    page.goto("/anggaran/impor")
    page.get_by_label("Berkas DPA").set_input_files(
        {"name": "dpa.csv", "mimeType": "text/csv", "buffer": clean.encode()}
    )
    page.get_by_label("Tahun anggaran (jika berkas tidak punya kolom Tahun)").fill(str(YEAR))
    page.get_by_role("button", name="Periksa dan impor").click()
    page.get_by_text("2 pos anggaran telah diimpor dari dpa.csv.").wait_for()
    assert _available(page, good) == "Rp12.500.000"
    assert _available(page, other) == "Rp4.000.000"


def test_a_viewer_reads_the_budget_and_takes_no_step(page):
    log_in(page, "demo-viewer")
    page.goto("/anggaran")
    assert page.get_by_role("heading", name=re.compile("^Anggaran")).is_visible()
    assert page.get_by_text("Tambah pos anggaran").count() == 0
    assert page.get_by_role("link", name="Impor berkas DPA").count() == 0
    page.goto("/pergeseran")
    assert page.get_by_role("link", name="Pergeseran baru").count() == 0
    check_page(page, "pergeseran")
