"""Admin in a real browser: accounts made, changed, disabled and enabled again within the
administrator's region; an API key shown once and revoked; the audit trail filtered, with links
to the records; and no admin page for the roles that may not use one."""

import re
import uuid
from datetime import date, timedelta

import httpx
import pytest

from app.web.i18n import office_now
from tests.web.conftest import DEMO_PASSWORD, OUTSIDE_KUKAR, SCRIPT_NAME, check_page, log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kata-sandi-baru-yang-panjang"


def _create_account(live_server: str, username: str, password: str = DEMO_PASSWORD) -> int:
    """An officer of Kukar, made by the demo administrator through the API."""
    with httpx.Client(base_url=live_server) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": "demo-admin", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        created = api.post(
            "/api/v1/users",
            json={
                "username": username,
                "password": password,
                "role": "officer",
                "region_scope": "64.02",
            },
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_an_admin_creates_an_account_whose_owner_logs_in_until_it_is_disabled(
    page, browser, live_server
):
    username = f"petugas-baru-{page.size_name}"  # the database is shared by both sizes
    log_in(page, "demo-admin")
    page.get_by_role("link", name="Admin", exact=True).click()
    assert page.get_by_role("heading", name="Pengguna", level=2).is_visible()
    assert page.get_by_role("row").filter(has_text="demo-officer").is_visible()
    check_page(page, "admin-pengguna")

    page.get_by_role("link", name="Buat akun").click()
    check_page(page, "admin-pengguna-baru")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi (paling sedikit 12 karakter)").fill("pendek")
    page.get_by_label("Peran").select_option(label="Petugas")
    page.get_by_label("Wilayah (kode Kemendagri)").fill("64.01")  # Kutai Barat: not Kukar's
    page.get_by_role("button", name="Buat akun ini").click()
    assert page.locator("#password-error").inner_text() == "Gunakan paling sedikit 12 karakter."
    assert page.get_by_label("Nama pengguna").input_value() == username  # kept
    check_page(page, "admin-pengguna-salah")

    page.get_by_label("Kata sandi (paling sedikit 12 karakter)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Buat akun ini").click()
    assert "wilayah Anda sendiri ('64.02')" in page.locator("#region_scope-error").inner_text()
    page.get_by_label("Kata sandi (paling sedikit 12 karakter)").fill(NEW_PASSWORD)
    page.get_by_label("Wilayah (kode Kemendagri)").fill("64.02.06")
    page.get_by_role("button", name="Buat akun ini").click()
    assert page.get_by_text(f"Akun {username} telah dibuat.").is_visible()
    assert page.get_by_role("heading", name=f"Akun {username}").is_visible()
    facts = page.locator("dl.facts").inner_text()
    assert "Petugas" in facts and "64.02.06" in facts and "Aktif" in facts
    check_page(page, "admin-pengguna-satu")

    owner = browser.new_context(base_url=live_server, locale="id-ID").new_page()
    log_in(owner, username, NEW_PASSWORD)
    assert owner.get_by_role("heading", name="Beranda: Tenggarong").is_visible()

    page.get_by_role("button", name="Nonaktifkan akun").click()
    assert page.get_by_text("Akun telah dinonaktifkan").is_visible()
    assert "Nonaktif" in page.locator("dl.facts").inner_text()
    owner.reload()
    assert re.search(r"/masuk", owner.url)  # the login has ended
    log_in(owner, username, NEW_PASSWORD)
    assert owner.get_by_text("Nama pengguna atau kata sandi salah").is_visible()

    page.get_by_role("button", name="Aktifkan kembali akun").click()
    assert page.get_by_text("Akun telah diaktifkan kembali.").is_visible()
    log_in(owner, username, NEW_PASSWORD)
    assert owner.get_by_role("heading", name="Beranda: Tenggarong").is_visible()
    owner.context.close()

    page.get_by_role("link", name="Kembali ke daftar pengguna").click()
    assert page.get_by_role("row").filter(has_text=username).is_visible()


def test_an_admin_changes_a_role_and_region_and_resets_a_password(page, browser, live_server):
    username = f"petugas-pindah-{page.size_name}"
    user_id = _create_account(live_server, username)
    owner = browser.new_context(base_url=live_server, locale="id-ID").new_page()
    log_in(owner, username)

    log_in(page, "demo-admin")
    page.goto(f"/admin/pengguna/{user_id}")
    page.get_by_label("Peran").select_option(label="Koperasi")
    page.get_by_role("button", name="Simpan peran dan wilayah").click()
    error = page.locator("#cooperative_id-error").inner_text()
    assert error.startswith("akun koperasi memerlukan koperasi")  # and says so in Indonesian

    page.get_by_label("Peran").select_option(label="Pembaca")
    page.get_by_label("Wilayah (kode Kemendagri)").fill("64.02.12")
    page.get_by_role("button", name="Simpan peran dan wilayah").click()
    page.get_by_text("Peran dan wilayah telah disimpan.").wait_for()
    facts = page.locator("dl.facts").inner_text()
    assert "Pembaca" in facts and "64.02.12" in facts
    owner.reload()
    assert re.search(r"/masuk", owner.url)  # a new role ends the logins

    page.get_by_label("Kata sandi baru (paling sedikit 12 karakter)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Tetapkan kata sandi baru").click()
    assert page.get_by_text("Kata sandi baru telah ditetapkan").is_visible()
    log_in(owner, username)  # the old password
    assert owner.get_by_text("Nama pengguna atau kata sandi salah").is_visible()
    log_in(owner, username, NEW_PASSWORD)
    assert owner.get_by_role("heading", name=re.compile("^Beranda")).is_visible()
    owner.context.close()

    # The administrator's own account has no such forms: that is My account.
    page.get_by_role("link", name="Kembali ke daftar pengguna").click()
    page.get_by_role("link", name="demo-admin", exact=True).click()
    assert page.get_by_role("button", name="Nonaktifkan akun").count() == 0
    assert page.get_by_role("button", name="Simpan peran dan wilayah").count() == 0


def test_an_api_key_is_shown_once_then_revoked(page, live_server):
    name = f"Dasbor Bappeda {page.size_name}"
    log_in(page, "demo-admin")
    page.goto("/admin/pengguna")
    tabs = page.get_by_role("navigation", name="Administrasi")
    tabs.get_by_role("link", name="Kunci API").click()
    check_page(page, "admin-kunci-api")
    page.get_by_label("Nama: sistem apa, dan siapa pengelolanya").fill(name)
    page.get_by_label(re.compile(r"^Koperasi \(")).check()
    page.get_by_label("Hari terakhir berlaku (opsional)").fill(
        (date.today() + timedelta(days=90)).isoformat()
    )
    form = page.locator("main form[action='/admin/kunci-api']")
    sent = {
        field: form.locator(f"input[name={field}]").input_value()
        for field in ("csrf_token", "idempotency_key")
    }
    page.get_by_role("button", name="Buat kunci ini").click()
    key = page.get_by_label("Kunci (dikirim sebagai header X-API-Key)").input_value()
    assert key.startswith("kop_")
    assert page.get_by_text("hanya ditampilkan kali ini").is_visible()
    check_page(page, "admin-kunci-api-baru")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Salin kunci").click()
    page.get_by_role("status").filter(has_text="Tersalin.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    with httpx.Client(base_url=live_server) as system:
        read = system.get("/api/v1/cooperatives", headers={"X-API-Key": key})
        assert read.status_code == 200, read.text

    # Sent again (a reload, a double click), the form makes no second key and shows no secret.
    again = page.request.post(
        "/admin/kunci-api",
        form={
            **sent,
            "name": name,
            "scopes": "cooperatives:read",
            "region_scope": "64.02",
            "expires_at": (date.today() + timedelta(days=90)).isoformat(),
        },
    )
    assert again.status == 200
    assert key not in again.text() and "hanya sekali" in again.text()
    page.goto("/admin/kunci-api")
    assert key not in page.content()
    card = page.locator(".card").filter(has_text=name)
    assert card.count() == 1
    assert "Berlaku sampai" in card.inner_text()

    card.get_by_role("button", name=f"Cabut kunci {name}").click()
    assert page.get_by_text(f"Kunci API {name} telah dicabut.").is_visible()
    assert "Dicabut" in page.locator(".card").filter(has_text=name).inner_text()
    with httpx.Client(base_url=live_server) as system:
        assert system.get("/api/v1/cooperatives", headers={"X-API-Key": key}).status_code == 401


def test_the_audit_trail_is_filtered_and_links_each_event_to_its_record(page, live_server):
    username = f"jejak-{page.size_name}"
    user_id = _create_account(live_server, username)
    log_in(page, "demo-admin")
    page.goto("/admin/audit")
    assert page.get_by_role("heading", name="Jejak audit").is_visible()
    check_page(page, "admin-audit")

    page.get_by_label("Aksi").fill("user.create")
    page.get_by_role("button", name="Tampilkan").click()
    rows = page.locator("table.audit tbody tr")
    assert rows.count() > 0
    assert all("user.create" in row for row in rows.all_inner_texts())
    mine = rows.filter(has_text=f"Akun {user_id}")
    assert "user:demo-admin" in mine.inner_text()
    assert mine.get_by_role("link", name="Buka datanya").get_attribute("href") == (
        f"/admin/pengguna/{user_id}"
    )
    mine.get_by_text("Yang berubah").click()  # what the account was made with
    assert username in mine.locator("dl.changes").inner_text()
    check_page(page, "admin-audit-saring")
    mine.get_by_role("link", name="Buka datanya").click()
    assert page.get_by_role("heading", name=f"Akun {username}").is_visible()

    # Cooperatives made in Kukar link to their page; those elsewhere are not Kukar's to see.
    page.goto("/admin/audit")
    page.get_by_label("Jenis data").select_option(label="Koperasi")
    page.get_by_label("Aksi").fill("cooperative.create")
    page.get_by_role("button", name="Tampilkan").click()
    assert "jenis=cooperative" in page.url and "aksi=cooperative.create" in page.url
    assert OUTSIDE_KUKAR not in page.content()
    rows = page.locator("table.audit tbody tr")
    assert rows.count() > 0
    rows.first.get_by_role("link", name="Buka datanya").click()
    assert re.search(r"/koperasi/\d+$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == SCRIPT_NAME

    # The period: today's events, then none from tomorrow on; days on the office's clock (WITA),
    # which is a day ahead of UTC's in its evening.
    today = office_now().date()
    page.goto("/admin/audit")
    page.get_by_label("Siapa").fill("demo-admin")
    page.get_by_label("Dari").fill(today.isoformat())
    page.get_by_label("Sampai").fill(today.isoformat())
    page.get_by_role("button", name="Tampilkan").click()
    assert page.locator("table.audit tbody tr").count() > 0
    page.get_by_label("Dari").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Sampai").fill((today + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Tampilkan").click()
    page.get_by_text("Tidak ada kejadian yang cocok dengan saringan ini.").wait_for()


@pytest.mark.parametrize("username", ["demo-viewer", "demo-officer"])
def test_an_officer_or_a_viewer_sees_no_admin_link_and_gets_403_pages(page, username):
    log_in(page, username)
    assert page.get_by_role("link", name="Kalender", exact=True).is_visible()
    assert page.get_by_role("link", name="Admin", exact=True).count() == 0
    for url in ("/admin/pengguna", "/admin/pengguna/baru", "/admin/kunci-api", "/admin/audit"):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        assert page.get_by_role("heading", name="Tidak diizinkan").is_visible()
    check_page(page, f"admin-403-{username}")
