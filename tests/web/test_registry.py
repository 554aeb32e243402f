"""Koperasi in a real browser: the registry's filters and pages, a cooperative's page for each
role, a milestone refused and recorded, a stale edit, the audited full NIK, markup shown as
text, and a cooperative outside the caller's region."""

import sqlite3
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.web.conftest import DEMO_PASSWORD, OUTSIDE_KUKAR, SCRIPT_NAME, check_page, log_in

pytestmark = pytest.mark.browser


def _cooperative_id(web_database: str, name: str) -> int:
    with sqlite3.connect(make_url(web_database).database or "") as db:
        (found,) = db.execute("SELECT id FROM cooperative WHERE name = ?", (name,)).fetchone()
    return int(found)


def test_the_registry_filters_by_area_and_stage_and_pages_through(page):
    log_in(page, "demo-officer")
    page.get_by_role("link", name="Koperasi", exact=True).click()
    assert page.get_by_role("heading", name="Koperasi").is_visible()
    assert page.get_by_role("status").inner_text().endswith("koperasi ditemukan.")
    next_page = page.get_by_role("link", name="Halaman berikutnya")
    first_row = page.get_by_role("row").nth(1).inner_text()
    next_page.click()
    assert page.get_by_role("row").nth(1).inner_text() != first_row
    assert page.get_by_role("link", name="Halaman pertama").is_visible()
    check_page(page, "koperasi")

    page.get_by_label("Wilayah").select_option(label="Tenggarong")
    page.get_by_role("button", name="Tampilkan").click()
    villages = page.get_by_role("cell").filter(has_text="64.02.")
    assert villages.count() > 0
    assert all(code.startswith("64.02.06.") for code in villages.all_inner_texts())
    assert page.get_by_label("Desa/kelurahan").is_visible()  # a district chosen: its villages
    page.get_by_label("Tahap legalitas").select_option(label="SK AHU terbit")
    page.get_by_role("button", name="Tampilkan").click()
    stages = page.get_by_role("row").all_inner_texts()[1:]
    assert stages and all("SK AHU terbit" in row for row in stages)
    assert "tahap=sk_ahu_issued" in page.get_by_role("link", name="Unduh (CSV)").get_attribute(
        "href"
    )


def test_a_cooperative_page_shows_each_role_only_what_it_may_do(page, web_database):
    jahab = _cooperative_id(web_database, "Koperasi Kelurahan Merah Putih Jahab")
    log_in(page, "demo-officer")
    page.goto(f"/koperasi/{jahab}")
    assert page.get_by_role("heading", name="Riwayat legalitas").is_visible()
    assert page.get_by_role("heading", name="Pengurus dan pengawas").is_visible()
    assert page.get_by_role("link", name="Ubah data").is_visible()
    assert page.get_by_role("button", name="Simpan tahapan").is_visible()
    assert page.get_by_role("link", name="Tampilkan NIK lengkap").count() > 0
    check_page(page, "koperasi-satu")
    page.get_by_role("button", name="Keluar").click()

    log_in(page, "demo-viewer")
    page.goto(f"/koperasi/{jahab}")
    assert page.get_by_role("heading", name="Riwayat legalitas").is_visible()
    for absent in ("Ubah data", "Tampilkan NIK lengkap"):
        assert page.get_by_role("link", name=absent).count() == 0
    assert page.get_by_role("button", name="Simpan tahapan").count() == 0
    assert page.goto(f"/koperasi/{jahab}/ubah").status == 403


def test_markup_in_a_name_is_shown_as_text(page):
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message) or dialog.dismiss())
    log_in(page, "demo-officer")
    page.goto("/koperasi?q=script")
    page.get_by_role("link", name=SCRIPT_NAME).click()
    assert page.get_by_role("heading", level=1).inner_text() == SCRIPT_NAME
    assert not dialogs


def test_a_cooperative_outside_my_region_is_a_404_page(page, web_database):
    outside = _cooperative_id(web_database, OUTSIDE_KUKAR)
    log_in(page, "demo-admin")
    response = page.goto(f"/koperasi/{outside}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Halaman tidak ditemukan").is_visible()
    assert OUTSIDE_KUKAR not in page.content()
    check_page(page, "tidak-ditemukan")


def test_a_milestone_in_the_future_is_refused_in_indonesian_then_recorded(page, web_database):
    with sqlite3.connect(make_url(web_database).database or "") as db:
        (without_nib,) = db.execute(
            "SELECT id FROM cooperative WHERE is_demo AND id NOT IN "
            "(SELECT cooperative_id FROM legal_event WHERE milestone = 'nib') ORDER BY id DESC"
        ).fetchone()
    log_in(page, "demo-officer")
    page.goto(f"/koperasi/{without_nib}")
    page.get_by_label("Tahapan").select_option(label="NIB")
    page.get_by_label("Tanggal terjadinya").fill((date.today() + timedelta(days=3)).isoformat())
    page.get_by_label("Nomor dokumen (opsional)").fill("9120304050607")
    page.get_by_role("button", name="Simpan tahapan").click()
    error = page.locator("#occurred_on-error")
    assert error.inner_text() == "Tanggal ini belum terjadi; catat hanya yang sudah terjadi."
    assert page.get_by_label("Tanggal terjadinya").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Nomor dokumen (opsional)").input_value() == "9120304050607"
    check_page(page, "koperasi-tahapan-salah")

    page.get_by_label("Tanggal terjadinya").fill(date.today().isoformat())
    page.get_by_role("button", name="Simpan tahapan").click()
    page.get_by_text("Tahapan telah dicatat.").wait_for()
    assert page.locator(".timeline").get_by_text("9120304050607").is_visible()


def test_a_stale_edit_shows_their_values_and_keeps_mine(page, browser, live_server, web_database):
    timbau = _cooperative_id(web_database, "Koperasi Kelurahan Merah Putih Timbau")
    log_in(page, "demo-officer")
    page.goto(f"/koperasi/{timbau}/ubah")
    check_page(page, "koperasi-ubah")

    other = browser.new_context(base_url=live_server, locale="id-ID").new_page()
    log_in(other, "demo-admin")
    other.goto(f"/koperasi/{timbau}/ubah")
    other.get_by_label("Anggota laki-laki").fill("77")
    other.get_by_role("button", name="Simpan").click()
    assert other.get_by_text("Perubahan telah disimpan.").is_visible()
    other.context.close()

    page.get_by_label("Anggota laki-laki").fill("55")
    page.get_by_label("Nomor akta notaris").fill("AKTA-55")
    page.get_by_role("button", name="Simpan").click()
    assert "Orang lain mengubah data ini" in page.get_by_role("alert").first.inner_text()
    assert page.get_by_label("Anggota laki-laki").input_value() == "55"
    assert page.get_by_label("Nomor akta notaris").input_value() == "AKTA-55"
    assert page.get_by_text("Disimpan orang lain: 77").is_visible()
    check_page(page, "koperasi-ubah-bentrok")

    page.get_by_role("button", name="Simpan").click()  # now deliberately over theirs
    assert page.get_by_text("Perubahan telah disimpan.").is_visible()
    assert page.get_by_text("laki-laki 55").is_visible()


def test_a_bad_npwp_says_what_is_wrong_next_to_its_field(page, web_database):
    melayu = _cooperative_id(web_database, "Koperasi Kelurahan Merah Putih Melayu")
    log_in(page, "demo-officer")
    page.goto(f"/koperasi/{melayu}/ubah")
    page.get_by_label("NPWP").fill("12.345")
    page.get_by_role("button", name="Simpan").click()
    assert page.locator("#npwp-error").inner_text().startswith("NPWP terdiri dari 16 digit")
    assert page.get_by_label("NPWP").input_value() == "12.345"


def test_revealing_a_full_nik_asks_first_and_is_audited(page, live_server, web_database):
    jahab = _cooperative_id(web_database, "Koperasi Kelurahan Merah Putih Jahab")
    log_in(page, "demo-officer")
    page.goto(f"/koperasi/{jahab}")
    masked = page.get_by_role("cell").filter(has_text="********").first.inner_text()
    page.get_by_role("link", name="Tampilkan NIK lengkap").first.click()
    assert page.get_by_text("jejak audit").is_visible()  # asked first; nothing shown yet
    assert page.locator(".nik").count() == 0
    check_page(page, "nik")
    page.get_by_role("button", name="Ya, tampilkan NIK lengkap").click()
    nik = page.locator(".nik").inner_text()
    assert len(nik) == 16 and nik[:4] == masked[:4] and nik[-4:] == masked.split()[0][-4:]

    with httpx.Client(base_url=live_server) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": "demo-admin", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        events = api.get(
            "/api/v1/audit-events",
            params={"action": "officer.nik_read"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["items"]
    assert any(event["actor"] == "user:demo-officer" for event in events)
