"""Peluncuran, before and after the day, in a real browser: an officer imports the delegates
from a spreadsheet (a file with a bad row is refused whole, the row named in Indonesian),
downloads the attendance report, enters what a line of the plan actually cost and reads the
difference, and moves and cancels a delegate on a hub's page."""

import csv
import io
import re
import uuid
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import expect

from tests.web.conftest import check_page, log_in
from tests.web.test_launch_day import TABANG, TENGGARONG, _api, _hub, _launch

pytestmark = pytest.mark.browser

HEADER = ["ID Koperasi", "Nama", "Peran", "ID Hub"]


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode()


def _registered(api: httpx.Client, launch_id: int) -> list[dict[str, object]]:
    found = api.get(f"/api/v1/launches/{launch_id}/registrations", params={"page_size": 100})
    items: list[dict[str, object]] = found.json()["items"]
    return items


def _downloaded(page, link) -> bytes:  # type: ignore[no-untyped-def]
    with page.expect_download() as download:
        link.click()
    return Path(download.value.path()).read_bytes()


def test_an_officer_imports_delegates_and_downloads_the_attendance_report(page, live_server):
    name = f"Peluncuran impor ({page.size_name} {uuid.uuid4().hex[:6]})"
    with _api(live_server) as api:
        launch = _launch(api, name, days_ahead=5)
        hub = _hub(api, launch, TENGGARONG)
        found = api.get("/api/v1/cooperatives", params={"region": TENGGARONG}).json()["items"]
    cooperative = found[0]["id"]
    log_in(page, "demo-officer")
    page.goto(f"/peluncuran/{launch['id']}")
    page.get_by_role("link", name="Impor delegasi").click()
    assert page.get_by_role("heading", name="Impor delegasi", level=1).is_visible()
    check_page(page, "peluncuran-impor")

    # A file with one bad row (a role nobody has): refused whole, the row named.
    bad = _csv([[cooperative, "Ani", "ketua", hub["id"]], [cooperative, "Budi", "raja", hub["id"]]])
    box = page.get_by_label("Berkas delegasi (CSV atau XLSX)")
    box.set_input_files({"name": "delegasi.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="Periksa dan impor").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Tidak ada yang didaftarkan")
    problem = alert.get_by_role("row").filter(has_text="Peran")
    expect(problem).to_have_count(1)
    expect(problem.get_by_role("cell").first).to_have_text("3")
    expect(problem).to_contain_text("Gunakan salah satu: ketua, pengurus")
    expect(problem).to_contain_text("(tertulis 'raja')")
    check_page(page, "peluncuran-impor-ditolak")
    with _api(live_server) as api:
        assert _registered(api, launch["id"]) == []

    good = _csv([[cooperative, "Ani", "ketua", hub["id"]], [cooperative, "Budi", "anggota", ""]])
    box.set_input_files({"name": "delegasi.csv", "mimeType": "text/csv", "buffer": good})
    page.get_by_role("button", name="Periksa dan impor").click()
    expect(page.get_by_role("status").first).to_have_text(
        "2 delegasi telah didaftarkan dari delegasi.csv."
    )
    page.get_by_role("link", name="Tenggarong", exact=True).click()
    delegates = page.locator("li.delegate")
    expect(delegates).to_have_count(2)
    expect(delegates.filter(has_text="Budi")).to_contain_text("Anggota")

    # The attendance report, with its Indonesian headers: per hub as CSV, per district as XLSX.
    page.goto(f"/peluncuran/{launch['id']}")
    text = _downloaded(
        page, page.get_by_role("link", name="Laporan kehadiran, per hub, CSV")
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "ID Hub",
        "Nama",
        "Direncanakan",
        "Terdaftar",
        "Hadir (terdaftar)",
        "Di antaranya dari hub lain",
        "Hadir tanpa daftar",
        "Jumlah hadir",
    ]
    tenggarong = next(r for r in rows if r[0] == str(hub["id"]))
    assert tenggarong[3] == "2"
    content = _downloaded(
        page, page.get_by_role("link", name="Laporan kehadiran, per kecamatan, Excel (XLSX)")
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == ["Kode Kecamatan", "Nama"]


def test_an_officer_enters_an_actual_cost_and_sees_the_difference(page, live_server):
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran biaya {uuid.uuid4().hex[:6]}", days_ahead=1)
        first = api.get(f"/api/v1/launches/{launch['id']}/costs").json()["lines"][0]
    log_in(page, "demo-officer")
    page.goto(f"/peluncuran/{launch['id']}")
    page.get_by_role("link", name="Biaya sebenarnya").click()
    assert page.get_by_role("heading", name="Biaya sebenarnya", level=1).is_visible()
    assert page.get_by_role("link", name=re.compile("Unduh katalog")).count() == 0
    check_page(page, "peluncuran-biaya")

    # A refused amount is said next to its field.
    page.get_by_label("Baris rencana").select_option("0")
    page.get_by_label("Jumlah yang dibeli, dalam satuan baris itu").fill("1")
    page.get_by_label("Jumlah dibayar (rupiah)").fill("banyak")
    page.get_by_role("button", name="Simpan biaya sebenarnya").click()
    assert page.locator("#amount-error").is_visible()

    paid = first["planned_amount"] + 125_000
    page.get_by_label("Jumlah yang dibeli, dalam satuan baris itu").fill(
        str(first["planned_quantity"]).replace(".", ",")
    )
    page.get_by_label("Jumlah dibayar (rupiah)").fill(f"{paid:,}".replace(",", "."))
    page.get_by_role("button", name="Simpan biaya sebenarnya").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Biaya sebenarnya baris 1 telah dimasukkan."
    )
    expect(page.locator("#baris-0 [data-col=difference]")).to_have_text("+Rp125.000")
    expect(page.locator("tfoot [data-col=difference]")).to_have_text("+Rp125.000")
    check_page(page, "peluncuran-biaya-diisi")
    catalog = _downloaded(page, page.get_by_role("link", name=re.compile("Unduh katalog")))
    assert f"launch-{launch['id']}" in catalog.decode()
    with _api(live_server) as api:
        line = api.get(f"/api/v1/launches/{launch['id']}/costs").json()["lines"][0]
    assert (line["actual_amount"], line["difference"]) == (paid, 125_000)


def test_an_officer_moves_and_cancels_delegates(page, live_server):
    with _api(live_server) as api:
        launch = _launch(api, f"Peluncuran pindah {uuid.uuid4().hex[:6]}", days_ahead=3)
        hub, tabang = _hub(api, launch, TENGGARONG), _hub(api, launch, TABANG)
        tabang_url = f"/api/v1/launches/{launch['id']}/hubs/{tabang['id']}"
        etag = api.get(tabang_url).headers["ETag"]
        assert api.patch(tabang_url, json={"capacity": 1}, headers={"If-Match": etag}).is_success
        found = api.get("/api/v1/cooperatives", params={"region": TENGGARONG}).json()["items"]
        for person in ("Ani", "Budi", "Citra"):
            registered = api.post(
                f"/api/v1/launches/{launch['id']}/registrations",
                json={
                    "cooperative_id": found[0]["id"],
                    "hub_id": hub["id"],
                    "name": person,
                    "role": "ketua",
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert registered.status_code == 201, registered.text
    log_in(page, "demo-officer")
    page.goto(f"/peluncuran/{launch['id']}/hub/{hub['id']}")
    check_page(page, "peluncuran-hub-delegasi")

    ani = page.locator("li.delegate").filter(has_text="Ani")
    ani.get_by_label("Pindahkan Ani ke").select_option(str(tabang["id"]))
    ani.get_by_role("button", name="Pindahkan").click()
    expect(page.get_by_role("status").first).to_have_text("Ani telah dipindahkan ke hub Tabang.")
    expect(page.locator("li.delegate")).to_have_count(2)

    # Tabang's one seat is Ani's now: Citra cannot follow, and the page says why.
    citra = page.locator("li.delegate").filter(has_text="Citra")
    citra.get_by_label("Pindahkan Citra ke").select_option(str(tabang["id"]))
    citra.get_by_role("button", name="Pindahkan").click()
    expect(page.get_by_role("alert")).to_contain_text("hub Tabang penuh")
    check_page(page, "peluncuran-hub-delegasi-ditolak")

    page.locator("li.delegate").filter(has_text="Budi").get_by_role(
        "button", name="Batalkan pendaftaran Budi"
    ).click()
    expect(page.get_by_role("status").first).to_have_text(
        "Pendaftaran telah dibatalkan; kursinya kosong lagi."
    )
    with _api(live_server) as api:
        where = {r["name"]: r["hub_id"] for r in _registered(api, launch["id"])}
    assert where == {"Ani": tabang["id"], "Citra": hub["id"]}
