"""The web app in a real browser: logging in and out, the language, the morning table, the
account page, and what every page promises (security headers, CSRF, accessibility)."""

import re

import httpx
import pytest

from tests.web.conftest import DEMO_PASSWORD, check_page, log_in

pytestmark = pytest.mark.browser


def test_login_leads_to_the_morning_table_and_logout_ends_it(page):
    page.goto("/")
    assert re.search(r"/masuk\?lanjut=/$", page.url)
    check_page(page, "masuk")
    log_in(page, "demo-admin")
    assert page.get_by_role("heading", name="Beranda").is_visible()
    table = page.get_by_role("table")
    assert table.get_by_role("rowheader", name="Tenggarong", exact=True).is_visible()
    assert table.get_by_role("columnheader", name="SK AHU terbit").is_visible()
    check_page(page, "beranda")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/masuk")
    page.goto("/akun")
    assert "/masuk" in page.url  # the login has ended


def test_a_cooperative_account_starts_at_its_account_and_sees_no_office_page(page):
    log_in(page, "demo-cooperative")
    assert page.url.endswith("/akun")
    assert page.get_by_role("link", name="Akun saya").is_visible()
    assert page.get_by_role("link", name="Beranda").count() == 0  # absent, not just refused
    response = page.goto("/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Tidak diizinkan").is_visible()
    check_page(page, "tidak-diizinkan")


def test_a_wrong_password_is_said_in_indonesian_next_to_the_form(page):
    log_in(page, "demo-admin", "not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("Nama pengguna atau kata sandi salah")
    assert page.get_by_label("Nama pengguna").input_value() == "demo-admin"


def test_the_language_switch_is_remembered(page):
    log_in(page, "demo-viewer")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Home").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/akun")
    assert page.get_by_role("heading", name="My account").is_visible()
    check_page(page, "akun-en")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    assert page.get_by_role("heading", name="Akun saya").is_visible()


def test_changing_my_password_keeps_me_in_and_says_what_is_wrong(page, live_server):
    log_in(page, "demo-officer")
    page.goto("/akun")
    check_page(page, "akun")
    page.get_by_label("Kata sandi saat ini").fill(DEMO_PASSWORD)
    page.get_by_label("Kata sandi baru (paling sedikit 12 karakter)").fill("pendek")
    page.get_by_label("Ulangi kata sandi baru").fill("pendek")
    page.get_by_role("button", name="Simpan").click()
    assert "Gunakan paling sedikit 12 karakter." in page.get_by_role("alert").inner_text()
    assert (
        page.get_by_label("Kata sandi baru (paling sedikit 12 karakter)").get_attribute(
            "aria-invalid"
        )
        == "true"
    )
    new_password = page.get_by_label("Kata sandi baru (paling sedikit 12 karakter)")
    page.get_by_label("Kata sandi saat ini").fill("bukan-kata-sandinya")
    new_password.fill("kata-sandi-baru-123")
    page.get_by_label("Ulangi kata sandi baru").fill("kata-sandi-baru-123")
    page.get_by_role("button", name="Simpan").click()
    assert "kata sandi saat ini tidak benar" in page.get_by_role("alert").inner_text()
    try:
        page.get_by_label("Kata sandi saat ini").fill(DEMO_PASSWORD)
        page.get_by_label("Kata sandi baru (paling sedikit 12 karakter)").fill(
            "kata-sandi-baru-123"
        )
        page.get_by_label("Ulangi kata sandi baru").fill("kata-sandi-baru-123")
        page.get_by_role("button", name="Simpan").click()
        assert page.get_by_role("status").inner_text().startswith("Kata sandi Anda sudah diganti")
        page.goto("/")
        assert page.get_by_role("heading", name="Beranda").is_visible()  # still logged in
    finally:
        # Back to the demo password, through the API, for the other tests.
        token = httpx.post(
            f"{live_server}/api/v1/auth/token",
            data={"username": "demo-admin", "password": DEMO_PASSWORD},
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        users = httpx.get(f"{live_server}/api/v1/users", headers=admin).json()["items"]
        (officer,) = [u for u in users if u["username"] == "demo-officer"]
        url = f"{live_server}/api/v1/users/{officer['id']}"
        etag = httpx.get(url, headers=admin).headers["ETag"]
        reset = httpx.patch(
            url, json={"password": DEMO_PASSWORD}, headers={**admin, "If-Match": etag}
        )
        assert reset.status_code == 200, reset.text


def test_a_form_posted_without_its_csrf_token_is_refused(live_server):
    with httpx.Client(base_url=live_server) as browserless:
        login_page = browserless.get("/masuk")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)[1]
        refused = browserless.post(
            "/masuk", data={"username": "demo-admin", "password": DEMO_PASSWORD}
        )
        assert refused.status_code == 403
        assert "Tidak diizinkan" in refused.text
        accepted = browserless.post(
            "/masuk",
            data={"username": "demo-admin", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert accepted.status_code == 303
        assert browserless.post("/keluar").status_code == 403  # logged in, still no token


@pytest.mark.parametrize("path", ["/masuk", "/", "/akun", "/docs", "/redoc", "/tidak-ada"])
def test_every_page_sends_the_security_headers(live_server, path):
    response = httpx.get(live_server + path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy or "'unsafe-inline'" not in policy.split("script-src")[1]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site(live_server):
    response = httpx.get(live_server + "/masuk")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_the_api_documents_work_offline(page):
    page.goto("/docs")
    page.get_by_text("/api/v1/cooperatives", exact=True).first.wait_for()
    page.goto("/redoc")
    page.get_by_text("kopdes", exact=False).first.wait_for()


def test_an_unknown_page_is_a_404_page_in_indonesian(page):
    response = page.goto("/tidak-ada")
    assert response.status == 404
    assert page.get_by_role("heading", name="Halaman tidak ditemukan").is_visible()
