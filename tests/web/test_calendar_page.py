"""Kalender in a real browser: the subscription link, as text and as a QR code, shown after a
click; revoking it makes a new one, and the old feed URL is refused from then on."""

import httpx
import pytest

from tests.web.conftest import check_page, log_in

pytestmark = pytest.mark.browser


def _shown_link(page) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Tampilkan tautan langganan saya").click()
    qr = page.get_by_role("img", name="Kode QR tautan langganan kalender Anda")
    assert qr.is_visible()
    assert qr.evaluate("(svg) => svg.tagName") == "svg" and qr.locator("path").count() == 1
    link = page.get_by_label("Tautan untuk ditempel di aplikasi kalender").input_value()
    assert "/api/v1/calendar/feed.ics?token=" in link
    assert page.get_by_role("link", name="Buka tautan langganan").get_attribute("href") == link
    return link


def test_the_link_is_shown_with_a_qr_code_and_revoking_it_makes_a_new_one(page):
    # Each screen size has its own account: the database is shared, and a revocation ends
    # every link of the account.
    username = {"desktop": "demo-officer", "phone": "demo-viewer"}[page.size_name]
    log_in(page, username)
    page.get_by_role("link", name="Kalender", exact=True).click()
    assert page.get_by_role("heading", name="Kalender", level=1).is_visible()
    assert page.locator("svg.qr").count() == 0  # nothing shown before the click
    check_page(page, "kalender")

    old = _shown_link(page)
    check_page(page, "kalender-tautan")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Salin tautan").click()
    page.get_by_role("status").filter(has_text="Tersalin.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == old
    with httpx.Client() as phone:  # no header, as a phone calendar fetches it
        feed = phone.get(old)
        assert feed.status_code == 200, feed.text
        assert feed.headers["content-type"].startswith("text/calendar")

    page.get_by_role("button", name="Cabut tautan dan buat yang baru").click()
    assert page.get_by_text("Tautan lama telah dicabut dan tidak berlaku lagi.").is_visible()
    new = _shown_link(page)
    assert new != old
    with httpx.Client() as phone:
        assert phone.get(old).status_code == 401
        assert phone.get(new).status_code == 200
    # The officer stays logged in: revoking the link ends no login.
    page.goto("/akun")
    assert page.get_by_role("heading", name="Akun saya").is_visible()


def test_showing_the_link_is_a_form_that_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="id-ID", java_script_enabled=False)
    page = context.new_page()
    log_in(page, "demo-admin")
    page.goto("/kalender")
    page.get_by_role("button", name="Tampilkan tautan langganan saya").click()
    field = page.get_by_label("Tautan untuk ditempel di aplikasi kalender")
    assert "/api/v1/calendar/feed.ics?token=" in field.input_value()
    assert page.get_by_role("button", name="Salin tautan").is_hidden()  # it needs the script
    context.close()
