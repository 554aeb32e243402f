"""Changing a launch once it is made: the office running it changes its name, times, links and
the internet each hub needs on the launch's page (`PATCH /api/v1/launches/{id}` underneath); a
refused change keeps what was typed and says why, a stale form says to look again, and an office
that does not run the launch (or a hub's coordinator) gets no form and a refusal."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html import unescape

import httpx
import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from app.web.i18n import office_now
from tests.web.conftest import DEMO_PASSWORD, check_page, log_in
from tests.web.test_launch_day import (
    TABANG,
    _api,
    _hub,
    _launch,
    _make_coordinator,
    _new_account,
)

pytestmark = pytest.mark.browser


def _on_the_office_clock(moment: str) -> str:
    """An API moment as the form's `datetime-local` box holds it."""
    local = datetime.fromisoformat(moment).astimezone(office_now().tzinfo)
    return local.strftime("%Y-%m-%dT%H:%M")


def test_an_officer_changes_a_launch_on_its_page(page, live_server):
    name = f"Peluncuran diubah ({page.size_name} {uuid.uuid4().hex[:6]})"
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran lama {uuid.uuid4().hex[:6]}", days_ahead=10)
    log_in(page, "demo-officer")
    page.goto(f"/peluncuran/{launch['id']}")
    page.get_by_text("Ubah peluncuran").click()
    form = page.locator("form[action$='/ubah']")
    expect(form.get_by_label("Tautan rapat (opsional)")).to_have_value(launch["meeting_url"])
    check_page(page, "peluncuran-ubah")

    # The end before the start: refused next to its field, with everything as typed.
    day = (office_now() + timedelta(days=12)).date()
    typed = {
        "Nama peluncuran": name,
        "Mulai (waktu kantor)": f"{day.isoformat()}T10:30",
        "Selesai (waktu kantor)": f"{day.isoformat()}T09:00",
        "Tautan rapat (opsional)": "",
        "Tautan siaran (opsional)": "https://www.youtube.com/live/kukar",
        "Unduhan yang dibutuhkan tiap hub, dalam Mbps": "3,5",
        "Unggahan yang dibutuhkan tiap hub, dalam Mbps (opsional)": "1,5",
    }
    for label, value in typed.items():
        form.get_by_label(label).fill(value)
    with page.expect_response(f"**/peluncuran/{launch['id']}/ubah") as sent:
        form.get_by_role("button", name="Simpan peluncuran").click()
    assert sent.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Periksa isian berikut")
    expect(page.locator("#ends_at-error")).to_have_text("harus sesudah waktu mulai")
    form = page.locator("form[action$='/ubah']")
    for label, value in typed.items():
        expect(form.get_by_label(label)).to_have_value(value)
    expect(page.get_by_role("heading", level=1)).to_have_text(launch["name"])  # unchanged
    check_page(page, "peluncuran-ubah-ditolak")

    form.get_by_label("Selesai (waktu kantor)").fill(f"{day.isoformat()}T13:45")
    form.get_by_role("button", name="Simpan peluncuran").click()
    expect(page.get_by_role("status").first).to_have_text("Peluncuran telah diubah.")
    assert page.url.endswith(f"/peluncuran/{launch['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    facts = page.locator("dl.facts")
    long_day = format_date(day, "long", locale="id")
    expect(facts).to_contain_text(f"{long_day} 10.30")
    expect(facts).to_contain_text(f"{long_day} 13.45")
    expect(facts).to_contain_text("3,5 Mbps unduh, 1,5 Mbps unggah")
    expect(facts).not_to_contain_text("Tautan rapat")  # emptied, so removed
    expect(facts.get_by_role("link", name="https://www.youtube.com/live/kukar")).to_be_visible()
    with _api(live_server) as api:
        changed = api.get(f"/api/v1/launches/{launch['id']}").json()
    assert (changed["name"], changed["meeting_url"], changed["stream_url"]) == (
        name,
        None,
        "https://www.youtube.com/live/kukar",
    )
    assert (changed["hub_down_mbps"], changed["hub_up_mbps"]) == (3.5, 1.5)
    assert _on_the_office_clock(changed["starts_at"]) == f"{day.isoformat()}T10:30"
    assert _on_the_office_clock(changed["ends_at"]) == f"{day.isoformat()}T13:45"


# --- through HTTP, without a browser -----------------------------------------------------------


@contextmanager
def _logged_in(live_server: str, username: str, **headers: str) -> Iterator[httpx.Client]:
    """The web app as `username`, logged in through its form."""
    with httpx.Client(base_url=live_server, headers=headers, timeout=30) as web:
        token = _form_token(web.get("/masuk").text)
        logged_in = web.post(
            "/masuk", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
        )
        assert logged_in.status_code == 303, logged_in.text
        yield web


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]  # type: ignore[index]


def _change_form(html: str) -> dict[str, str]:
    """The launch page's change form, as drawn: its hidden fields and every box's value."""
    form = re.search(r'<form method="post" action="/peluncuran/\d+/ubah".*?</form>', html, re.S)
    assert form is not None, "no change form on the page"
    fields = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form[0])
    return {name: unescape(value) for name, value in fields}


def test_a_stale_form_says_to_look_again_and_a_refusal_speaks_english(live_server):
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran basi {uuid.uuid4().hex[:6]}", days_ahead=10)
    url = f"/peluncuran/{launch['id']}"
    with _logged_in(live_server, "demo-officer") as web:
        drawn = _change_form(web.get(url).text)
        assert drawn["name"] == launch["name"]
        assert drawn["meeting_url"] == launch["meeting_url"]
        # Someone else changes the launch meanwhile, through the API.
        with _api(live_server) as api:
            etag = api.get(f"/api/v1/launches/{launch['id']}").headers["ETag"]
            renamed = api.patch(
                f"/api/v1/launches/{launch['id']}",
                json={"name": "Nama dari orang lain"},
                headers={"If-Match": etag},
            )
            assert renamed.status_code == 200, renamed.text
        stale = web.post(f"{url}/ubah", data={**drawn, "name": "Nama saya"})
        assert (stale.status_code, stale.headers["location"]) == (303, url)
        again = web.get(url).text
        assert "Orang lain mengubah peluncuran ini. Periksa lagi dulu." in again
        assert "Nama dari orang lain" in again and "Nama saya" not in again

        # In English, the end before the start is refused in English, the values kept.
        web.cookies.set("bahasa", "en")
        fresh = _change_form(web.get(url).text)
        refused = web.post(
            f"{url}/ubah",
            data={**fresh, "name": "Renamed", "ends_at": fresh["starts_at"], "hub_up_mbps": "2"},
        )
        assert refused.status_code == 422
        assert "must be after the start" in refused.text
        assert "harus sesudah" not in refused.text
        kept = _change_form(refused.text)
        assert (kept["name"], kept["ends_at"], kept["hub_up_mbps"]) == (
            "Renamed",
            fresh["starts_at"],
            "2",
        )
    with _api(live_server) as api:
        assert api.get(f"/api/v1/launches/{launch['id']}").json()["name"] == "Nama dari orang lain"


def test_an_office_that_does_not_run_the_launch_and_a_coordinator_cannot_change_it(live_server):
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran Kukar {uuid.uuid4().hex[:6]}", days_ahead=10)
        coordinator, user_id = _new_account(live_server)
        _make_coordinator(api, launch, _hub(api, launch, TABANG), user_id)
    url = f"/peluncuran/{launch['id']}"
    with _logged_in(live_server, "demo-officer") as web:
        drawn = _change_form(web.get(url).text)  # what a page of the office running it holds
    # A district's officer sees Kukar's launches but does not run them.
    district_officer, _ = _new_account(live_server, "officer", TABANG)
    for username in (district_officer, coordinator):
        with _logged_in(live_server, username) as web:
            shown = web.get(url)
            assert shown.status_code == 200, (username, shown.status_code)
            assert f'action="{url}/ubah"' not in shown.text
            assert "Ubah peluncuran" not in shown.text
            token = _form_token(shown.text)
            refused = web.post(f"{url}/ubah", data={**drawn, "csrf_token": token, "name": "X"})
            assert refused.status_code == 403, (username, refused.text)
            assert "text/html" in refused.headers["content-type"]
            assert "Tidak diizinkan" in refused.text
    with _api(live_server) as api:
        assert api.get(f"/api/v1/launches/{launch['id']}").json()["name"] == launch["name"]
