"""The walk-in desk, a consultation's page and the follow-ups, in a real browser."""

import re
import time
from datetime import date, timedelta

import pytest

from tests.web.conftest import check_page, log_in

pytestmark = pytest.mark.browser


# A desk officer typing at 40 words a minute (200 characters): 0.3 s a key.
SECONDS_PER_KEY = 0.3


def _tab_to(page, element_id: str) -> int:  # type: ignore[no-untyped-def]
    """Press Tab until `element_id` has the focus, the keyboard alone as an officer would;
    how many times it took."""
    for presses in range(60):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return presses
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached #{element_id}")


def test_a_walk_in_is_recorded_by_keyboard_alone_in_under_30_seconds(page):
    """The browser types at once; the officer's time is the keys pressed at an officer's pace
    plus what the pages took here."""
    log_in(page, "demo-officer")
    page.goto("/meja")
    check_page(page, "meja")
    started = time.monotonic()
    typed = ["Bukit Biru", "Ibu Sari", "Lengkapi akta notaris, lalu ajukan SK AHU."]
    page.keyboard.type(typed[0])  # the name box has the focus
    page.get_by_role("radio").first.wait_for()
    tabs = _tab_to(page, "tempat-1")  # the first match is chosen; the arrows would choose another
    tabs += _tab_to(page, "contact_name")
    page.keyboard.type(typed[1])
    tabs += _tab_to(page, "topic-legalitas")
    page.keyboard.press("Space")
    tabs += _tab_to(page, "advice")
    page.keyboard.type(typed[2])
    tabs += _tab_to(page, "simpan")
    page.keyboard.press("Enter")
    page.get_by_text("Konsultasi telah dicatat.").wait_for()
    keys = sum(map(len, typed)) + tabs + 2  # Space and Enter
    officer_time = time.monotonic() - started + keys * SECONDS_PER_KEY
    print(f"walk-in by keyboard ({page.size_name}): {keys} keys, {officer_time:.1f} s")
    assert officer_time < 30, f"{keys} keys: {officer_time:.1f} s"

    page.get_by_role("link", name="Buka").click()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Bukit Biru")
    details = page.locator("dl").inner_text()
    assert "Datang langsung" in details  # the channel's default
    assert "Legalitas badan hukum" in details
    assert "Lengkapi akta notaris, lalu ajukan SK AHU." in details
    check_page(page, "konsultasi")


def test_a_group_still_forming_picks_its_village_and_must_say_who_came(page):
    log_in(page, "demo-officer")
    page.goto("/meja")
    page.get_by_label("Koperasi atau desa").fill("Loa Ipuh")
    page.get_by_label(re.compile("sedang membentuk koperasi$")).first.check()
    page.get_by_role("button", name="Simpan konsultasi").click()
    assert page.locator("#contact_name-error").is_visible()
    assert page.get_by_label(re.compile("sedang membentuk koperasi$")).first.is_checked()
    page.get_by_label("Yang datang (wajib untuk kelompok yang sedang membentuk koperasi)").fill(
        "Pak Darto"
    )
    page.get_by_role("button", name="Simpan konsultasi").click()
    page.get_by_text("Konsultasi telah dicatat.").wait_for()


def test_a_field_visit_is_recorded_the_same_way_with_its_channel_and_time(page):
    log_in(page, "demo-officer")
    page.goto("/meja")
    page.get_by_label("Koperasi atau desa").fill("Bukit Biru")
    page.get_by_role("radio").first.check()
    page.get_by_label("Saran yang diberikan").fill("Pisahkan kas unit sembako dan simpan pinjam.")
    page.get_by_text(re.compile("^Saluran dan waktu")).click()  # folded: walk-in, now
    page.get_by_label("Saluran").select_option(label="Kunjungan lapangan")
    page.get_by_label("Waktu").fill("2025-08-05T10:15")
    page.get_by_role("button", name="Simpan konsultasi").click()
    page.get_by_role("link", name="Buka").click()
    details = page.locator("dl").inner_text()
    assert "Kunjungan lapangan" in details
    assert "5 Agustus 2025 10.15" in details


def test_sending_the_desk_form_twice_records_one_consultation(page):
    log_in(page, "demo-officer")
    page.goto("/meja")
    form = {
        name: page.locator(f"main input[name={name}]").input_value()
        for name in ("csrf_token", "idempotency_key", "occurred_at")
    }
    form |= {"cari": "Merah Putih Timbau", "channel": "walk_in", "advice": "Sekali saja."}
    first = page.request.post("/meja", form=form, max_redirects=0)
    again = page.request.post("/meja", form=form, max_redirects=0)  # a double click, a retry
    assert first.status == again.status == 303
    assert first.headers["location"] == again.headers["location"]
    assert re.fullmatch(r"/meja\?tersimpan=\d+", first.headers["location"])


def test_follow_ups_are_listed_by_due_date_and_closed_with_a_note(page):
    log_in(page, "demo-officer")
    page.goto("/meja")
    page.get_by_label("Koperasi atau desa").fill("Merah Putih Melayu")
    page.get_by_role("radio").first.wait_for()
    page.get_by_text("Tambahkan tindak lanjut (opsional)").click()
    page.get_by_label("Yang harus dilakukan").fill("Antar contoh AD/ART ke kantor desa.")
    page.get_by_label("Tanggal jatuh tempo").fill((date.today() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Simpan konsultasi").click()
    page.get_by_text("Konsultasi telah dicatat.").wait_for()

    page.get_by_role("link", name="Tindak lanjut", exact=True).click()
    page.get_by_role("link", name="Jatuh tempo dalam seminggu").click()
    card = page.locator(".card").filter(has_text="Antar contoh AD/ART")
    assert card.is_visible()
    check_page(page, "tindak-lanjut")
    card.get_by_label("Catatan: hasilnya, atau alasan pembatalan").fill("Sudah diantar.")
    card.get_by_role("button", name="Tandai selesai").click()
    assert page.get_by_text("Ditandai selesai.").is_visible()
    assert page.locator(".card").filter(has_text="Antar contoh AD/ART").count() == 0
