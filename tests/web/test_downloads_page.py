"""Unduh in a real browser: each list downloaded as a spreadsheet with Indonesian headers and
the page's filters, the budget summary only for those who may read the budget, and the page
absent for a cooperative's account."""

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.web.conftest import check_page, log_in

pytestmark = pytest.mark.browser


def _read_csv(download) -> list[list[str]]:  # type: ignore[no-untyped-def]
    with open(download.path(), encoding="utf-8-sig") as file:
        return list(csv.reader(io.StringIO(file.read())))


def test_each_list_downloads_with_indonesian_headers_and_its_filters(page):
    log_in(page, "demo-admin")
    page.goto("/unduh")
    check_page(page, "unduh")

    cooperatives = page.locator("form[action='/koperasi/unduh']")
    cooperatives.get_by_label("Wilayah").select_option(label="Tabang")
    cooperatives.get_by_label("Berkas").select_option("csv")
    with page.expect_download() as started:
        cooperatives.get_by_role("button", name="Unduh daftar koperasi").click()
    rows = _read_csv(started.value)
    assert started.value.suggested_filename == "koperasi.csv"
    header = rows[0]
    assert header[:3] == ["ID", "Nama Koperasi", "Kode Desa"]
    assert rows[1:] and all(row[2].startswith("64.02.12.") for row in rows[1:])  # Tabang only

    trainings = page.locator("form[action='/unduh/pelatihan']")
    trainings.get_by_label("Berkas").select_option("csv")
    with page.expect_download() as started:
        trainings.get_by_role("button", name="Unduh daftar pelatihan").click()
    assert started.value.suggested_filename == "pelatihan.csv"
    assert _read_csv(started.value)[0]  # the headers, whatever trainings exist

    budget = page.locator("form[action='/unduh/anggaran']")
    budget.get_by_label("Tahun anggaran").fill("2025")
    with page.expect_download() as started:
        budget.get_by_role("button", name="Unduh ringkasan anggaran").click()
    assert started.value.suggested_filename == "anggaran-2025.xlsx"
    sheet = load_workbook(io.BytesIO(started.value.path().read_bytes())).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Kode Sub Kegiatan" in cells and "JUMLAH" in cells


def test_a_bad_filter_is_a_page_that_says_so_and_a_cooperative_has_no_downloads(page, live_server):
    log_in(page, "demo-viewer")
    answer = page.goto("/unduh/konsultasi?dari=kemarin")
    assert answer is not None and answer.status == 422
    assert page.get_by_role("heading", name="Periksa isian Anda").is_visible()
    page.get_by_role("button", name="Keluar").click()

    log_in(page, "demo-cooperative")
    assert page.get_by_role("link", name="Unduh").count() == 0
    assert page.goto("/unduh").status == 403
    with httpx.Client(base_url=live_server) as client:
        # Without a login, a download sends the browser to log in, as any page does.
        assert client.get("/unduh/anggaran?tahun=2025").status_code == 303
