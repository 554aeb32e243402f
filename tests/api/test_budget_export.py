"""The budget summary export, in the ANGGARAN AWAL / PERGESERAN (+/-) / ANGGARAN AKHIR layout."""

import csv
import io

from openpyxl import load_workbook

from app.models.account import Role
from tests.api.test_budget import approved, key, two_lines
from tests.factories import assert_problem, create_budget_line

URL = "/api/v1/exports/budget-summary"
HEADERS = [
    "No",
    "Kode Sub Kegiatan",
    "Kode Rekening",
    "Uraian",
    "ANGGARAN AWAL",
    "PERGESERAN (+/-)",
    "ANGGARAN AKHIR",
    "Terikat",
    "Tersedia",
]
FORMULA_LIKE = "=1+1 honor narasumber"


def refocused_budget(client, login_as):
    """100M BTT and a 10M training line; 25M moved from BTT to training by an applied
    refocusing; 8M of the training line committed to a funded training; a third line untouched."""
    btt, training = two_lines(client)
    create_budget_line(
        client,
        sub_kegiatan_code="2.17.06.2.01.0003",
        kode_rekening="5.1.02.04.01.0001",
        name=FORMULA_LIKE,
        original_ceiling=5_000_000,
    )
    refocusing = approved(
        client,
        login_as,
        [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 25_000_000}],
    )
    applied = client.post(f"/api/v1/refocusings/{refocusing['id']}/apply", headers=key())
    assert applied.status_code == 200, applied.text
    funded = client.post(
        "/api/v1/trainings",
        json={
            "title": "Pelatihan tata kelola",
            "region_code": "64.02",
            "capacity": 30,
            "estimated_cost": 8_000_000,
            "budget_line_id": training["id"],
        },
    ).json()
    moved = client.post(
        f"/api/v1/trainings/{funded['id']}/transitions",
        json={"to": "funded", "occurred_on": "2025-06-01"},
    )
    assert moved.status_code == 201, moved.text


EXPECTED = [
    [
        1,
        "2.17.01.2.01.0001",
        "5.4.01.01.01.0001",
        "Belanja Tidak Terduga",
        100_000_000,
        -25_000_000,
        75_000_000,
        0,
        75_000_000,
    ],
    [
        2,
        "2.17.05.2.01.0001",
        "5.1.02.02.12.0001",
        "Belanja Kursus Singkat/Pelatihan",
        10_000_000,
        25_000_000,
        35_000_000,
        8_000_000,
        27_000_000,
    ],
    [
        3,
        "2.17.06.2.01.0003",
        "5.1.02.04.01.0001",
        FORMULA_LIKE,
        5_000_000,
        0,
        5_000_000,
        0,
        5_000_000,
    ],
]
TOTALS = [115_000_000, 0, 115_000_000, 8_000_000, 107_000_000]


def test_csv_export_after_an_applied_refocusing(client, login_as):
    refocused_budget(client, login_as)
    response = client.get(URL, params={"fiscal_year": 2025, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="anggaran-2025.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    expected = [[str(cell) for cell in row] for row in EXPECTED]
    expected[2][3] = "'" + FORMULA_LIKE  # a spreadsheet must not run it as a formula
    assert rows[1:4] == expected
    assert rows[4] == ["JUMLAH", "", "", "", *map(str, TOTALS)]
    assert len(rows) == 5
    # Plain digits: no thousands separators, the shift signed.
    assert rows[1][5] == "-25000000" and rows[2][5] == "25000000"

    # The same figures as the JSON summary.
    summary = client.get("/api/v1/budget/summary", params={"fiscal_year": 2025}).json()
    totals = summary["totals"]
    assert [
        totals["original_ceiling"],
        totals["shifted_in"] - totals["shifted_out"],
        totals["current_ceiling"],
        totals["committed"],
        totals["available"],
    ] == TOTALS


def test_xlsx_export_has_numeric_cells_and_a_totals_row(client, login_as):
    refocused_budget(client, login_as)
    response = client.get(URL, params={"fiscal_year": 2025})  # XLSX by default
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="anggaran-2025.xlsx"' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Anggaran 2025"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert rows[1:4] == EXPECTED
    assert rows[4][0] == "JUMLAH" and rows[4][4:] == TOTALS
    assert len(rows) == 5
    for row in sheet.iter_rows(min_row=2, min_col=5):
        assert all(cell.data_type == "n" and isinstance(cell.value, int) for cell in row)
    assert sheet["D4"].data_type == "s" and sheet["D4"].value == FORMULA_LIKE  # not a formula
    assert sheet["E5"].font.bold


def test_who_may_export_the_budget_and_what_they_see(client, login_as):
    refocused_budget(client, login_as)
    viewer = client.get(
        URL, params={"fiscal_year": 2025, "format": "csv"}, headers=login_as(Role.viewer, "64.02")
    )
    assert viewer.status_code == 200
    assert len(list(csv.reader(io.StringIO(viewer.content.decode("utf-8-sig"))))) == 5

    kubar = client.get(
        URL, params={"fiscal_year": 2025, "format": "csv"}, headers=login_as(Role.viewer, "64.03")
    )
    rows = list(csv.reader(io.StringIO(kubar.content.decode("utf-8-sig"))))
    assert rows == [HEADERS, ["JUMLAH", "", "", "", "0", "0", "0", "0", "0"]]

    cooperative = login_as(Role.cooperative, "64.02")
    assert_problem(client.get(URL, params={"fiscal_year": 2025}, headers=cooperative), 403)
    assert_problem(client.get(URL), 422, field="fiscal_year")
    assert_problem(client.get(URL, params={"fiscal_year": 2025, "format": "pdf"}), 422)

    other_year = client.get(URL, params={"fiscal_year": 2026, "format": "csv"})
    assert other_year.content.decode("utf-8-sig").splitlines()[1].startswith("JUMLAH")
