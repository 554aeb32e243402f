"""Beranda, the morning table, in a real browser: the headline figures, the SK AHU push
against its target, counts that open the registry, the drill-down from the country to a
district's villages, and the target the head of the office sets."""

import re
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from tests.web.conftest import NATIONAL_USERNAME, check_page, log_in

pytestmark = pytest.mark.browser


def _sql(web_database: str, query: str, *params: object) -> int:
    with sqlite3.connect(make_url(web_database).database or "") as db:
        (value,) = db.execute(query, params).fetchone()
    return int(value)


def test_the_morning_table_opens_with_the_headline_and_the_june_push(page, web_database):
    log_in(page, "demo-admin")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Beranda: Kabupaten Kutai Kartanegara"
    )
    kukar = "(village_code LIKE '64.02.%')"
    total = _sql(web_database, f"SELECT count(*) FROM cooperative WHERE {kukar}")
    with_sk_ahu = _sql(
        web_database,
        f"SELECT count(*) FROM cooperative WHERE {kukar} AND legal_stage IN "
        "('sk_ahu_issued', 'registration', 'operating')",
    )
    figures = page.get_by_role("list", name="Sekilas hari ini")
    assert f"{with_sk_ahu} / {total}\nkoperasi sudah memiliki SK AHU" in figures.inner_text()

    # The demo's push: every Kukar cooperative a legal entity within June 2025.
    in_june = _sql(
        web_database,
        "SELECT count(*) FROM legal_event JOIN cooperative ON cooperative.id = cooperative_id "
        f"WHERE milestone = 'sk_ahu_issued' AND occurred_on BETWEEN '2025-06-01' AND "
        f"'2025-06-30' AND {kukar}",
    )
    summary = page.get_by_text(re.compile("^1 Juni 2025 sampai 30 Juni 2025"))
    assert f": {in_june} dari target 237 " in summary.inner_text()
    chart = page.get_by_role("img", name="SK AHU terbit per hari, dibandingkan dengan target")
    assert chart.locator("rect.issued").count() == 30
    page.get_by_text("Angka per hari").click()
    days = page.get_by_role("region", name="Angka per hari").get_by_role("row")
    assert days.count() == 31  # a header and 30 days
    assert days.last.inner_text().split("\t")[2] == str(in_june)
    check_page(page, "beranda")


def test_a_count_opens_those_cooperatives_in_the_registry(page, web_database):
    log_in(page, "demo-officer")
    tenggarong = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Tenggarong", exact=True)
    )
    columns = page.get_by_role("columnheader").all_inner_texts()
    issued = tenggarong.get_by_role("cell").nth(columns.index("SK AHU terbit") - 1)
    count = int(issued.inner_text())
    assert count == _sql(
        web_database,
        "SELECT count(*) FROM cooperative WHERE district_code = '64.02.06' "
        "AND legal_stage = 'sk_ahu_issued'",
    )
    issued.get_by_role("link").click()
    assert re.search(r"/koperasi\?wilayah=64\.02\.06&tahap=sk_ahu_issued$", page.url)
    assert page.get_by_role("status").inner_text().startswith(f"{count} koperasi")


def test_a_national_account_drills_down_from_the_provinces_to_a_districts_villages(page):
    log_in(page, NATIONAL_USERNAME)
    assert page.get_by_role("heading", level=1).inner_text() == "Beranda: Indonesia"
    stages = page.get_by_role("region", name="Koperasi per tahap legalitas")
    assert stages.locator("tbody").get_by_role("rowheader").count() == 38  # the provinces
    check_page(page, "beranda-nasional")
    page.get_by_role("link", name="Kalimantan Timur", exact=True).click()
    assert page.get_by_role("rowheader", name="Kabupaten Kutai Kartanegara").is_visible()
    page.get_by_role("link", name="Kabupaten Kutai Kartanegara", exact=True).click()
    page.get_by_role("link", name="Tenggarong", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Beranda: Tenggarong"
    assert page.get_by_role("rowheader", name="Loa Ipuh", exact=True).is_visible()
    trail = page.get_by_role("navigation", name="Wilayah di atasnya")
    assert trail.get_by_role("link").all_inner_texts() == [
        "Indonesia",
        "Kalimantan Timur",
        "Kabupaten Kutai Kartanegara",
    ]
    trail.get_by_role("link", name="Indonesia").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Beranda: Indonesia"


def test_the_head_of_the_office_sets_and_deletes_a_district_target(page):
    # Each screen size sets its own district's target: the database is shared.
    district = {"desktop": "64.02.12", "phone": "64.02.11"}[page.size_name]
    log_in(page, "demo-admin")
    page.goto(f"/?wilayah={district}")
    assert page.get_by_text("Belum ada target untuk wilayah ini.").is_visible()
    page.get_by_text("Tetapkan target untuk suatu periode").click()
    page.get_by_label("Hari pertama").fill("2025-07-31")
    page.get_by_label("Hari terakhir").fill("2025-07-01")
    page.get_by_label("Koperasi yang menerima SK AHU dalam periode ini").fill("12")
    page.get_by_role("button", name="Tetapkan target").click()
    assert page.locator("#ends_on-error").is_visible()
    assert page.get_by_label("Hari pertama").input_value() == "2025-07-31"  # kept
    check_page(page, "beranda-target-salah")

    page.get_by_label("Hari pertama").fill("2025-07-01")
    page.get_by_label("Hari terakhir").fill("2025-07-31")
    page.get_by_role("button", name="Tetapkan target").click()
    assert page.get_by_role("status").filter(has_text="Target telah ditetapkan.").is_visible()
    summary = page.get_by_text(re.compile(r"^1 Juli 2025 sampai 31 Juli 2025: \d+ dari target 12 "))
    assert summary.is_visible()
    chart = page.get_by_role("img", name="SK AHU terbit per hari, dibandingkan dengan target")
    assert chart.locator("rect.issued").count() == 31

    page.get_by_role("button", name="Hapus target ini").click()
    assert page.get_by_role("status").filter(has_text="Target telah dihapus.").is_visible()
    assert page.get_by_text("Belum ada target untuk wilayah ini.").is_visible()


def test_a_viewer_reads_the_push_but_sets_no_target(page):
    log_in(page, "demo-viewer")
    assert page.get_by_role("img", name=re.compile("^SK AHU terbit per hari")).is_visible()
    assert page.get_by_text("Tetapkan target untuk suatu periode").count() == 0
    assert page.get_by_role("button", name="Hapus target ini").count() == 0
