"""Rencana peluncuran in a real browser: a plan computed, saved, printed and compared with
another, the planner's own sentences in the page's language, a unit cost overridden beside its
catalog value, and a bad input said in Indonesian."""

import re
import uuid

import pytest

from tests.web.conftest import check_page, log_in

pytestmark = pytest.mark.browser


def _compute(page, participants: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/rencana")
    page.get_by_label("Peserta (opsional)").fill(participants)
    page.get_by_label("Tanggal acara").fill("2025-07-21")
    page.get_by_role("button", name="Hitung rencana").click()


def test_a_plan_is_computed_saved_and_compared(page):
    run = uuid.uuid4().hex[:6]
    log_in(page, "demo-officer")
    _compute(page, "1008")
    result = page.get_by_role("region", name=re.compile("^Hasil"))
    assert result.get_by_role("columnheader", name="Daring").is_visible()
    assert result.get_by_role("columnheader", name="Nobar di titik-titik (hub)").is_visible()
    assert page.get_by_text(re.compile("^Disarankan:")).is_visible()
    # The planner's reason, and its cost lines, in Indonesian too.
    cheapest = re.compile(r"adalah format layak yang termurah: Rp[\d.]+ untuk 1\.008 peserta")
    assert page.get_by_text(cheapest).is_visible()
    page.get_by_text("Rincian biaya").click()
    assert page.get_by_role("cell", name="Transportasi").first.is_visible()
    assert page.get_by_role(
        "img", name="Total biaya menurut jumlah peserta, per format"
    ).is_visible()
    check_page(page, "rencana")
    page.get_by_label("Nama rencana").fill(f"Kukar 1.008 peserta {run}")
    page.get_by_role("button", name="Simpan rencana").click()
    assert page.get_by_text("Rencana telah disimpan.").is_visible()
    assert page.get_by_role("heading", name=f"Kukar 1.008 peserta {run}").is_visible()
    assert page.get_by_text("Kepala Dinas Koperasi dan UMKM").is_visible()  # to sign
    assert page.get_by_text(cheapest).is_visible()  # kept as data, said in the reader's language
    page.get_by_role("button", name="English").click()
    page.get_by_text(re.compile("is the cheapest feasible format")).wait_for()
    page.get_by_role("button", name="Bahasa Indonesia").click()
    page.get_by_text(cheapest).wait_for()
    check_page(page, "rencana-satu")

    _compute(page, "5000")
    page.get_by_label("Nama rencana").fill(f"Kukar 5.000 peserta {run}")
    page.get_by_role("button", name="Simpan rencana").click()
    page.goto("/rencana")
    page.get_by_role("radio", name=f"Bandingkan sebagai A: Kukar 5.000 peserta {run}").check()
    page.get_by_role("radio", name=f"Bandingkan sebagai B: Kukar 1.008 peserta {run}").check()
    page.get_by_role("button", name="Bandingkan A dan B").click()
    assert page.get_by_role("heading", name="Dua rencana dibandingkan").is_visible()
    online = page.get_by_role("region", name="Daring")
    total = online.get_by_role("row").last.inner_text()
    assert total.startswith("Jumlah") and "-Rp" in total  # B (fewer people) costs less
    check_page(page, "rencana-banding")


def test_a_unit_cost_is_overridden_beside_its_catalog_value_and_bad_input_is_refused(page):
    log_in(page, "demo-viewer")
    page.goto("/rencana")
    page.get_by_text("Biaya satuan: dari katalog, atau milik Anda").click()
    lunch = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="meal.lunch"))
    assert re.search(r"\d", lunch.get_by_role("cell").first.inner_text())  # the catalog's
    page.get_by_label("meal.lunch").fill("-5")
    page.get_by_label("Peserta (opsional)").fill("0")
    page.get_by_role("button", name="Hitung rencana").click()
    assert page.locator("#participants-error").is_visible()
    assert page.get_by_label("Peserta (opsional)").input_value() == "0"  # kept
    check_page(page, "rencana-salah")
    assert page.get_by_role("button", name="Simpan rencana").count() == 0  # a viewer saves none
