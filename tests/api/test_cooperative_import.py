"""Importing cooperatives from a spreadsheet: every row checked, all or nothing."""

import pytest

from app.models.account import Role
from app.services.cooperative_import import MAX_FILE_BYTES
from tests.api.test_budget_import import csv_bytes, xlsx_bytes
from tests.api.test_budget_import import upload as upload_to
from tests.factories import TABANG_VILLAGE, TENGGARONG_KELURAHAN, assert_problem, create_cooperative

URL = "/api/v1/cooperatives/import"
HEADER = [
    "No",
    "Nama Koperasi",
    "Kode Desa",
    "Unit Usaha",
    "Anggota Laki-laki",
    "Anggota Perempuan",
    "Aktif",
    "Telepon",
    "Tanggal Akta",
    "NPWP",
]
KUTAI_BARAT_VILLAGE = "64.03.01.2001"


def good_rows():
    return [
        [
            "1",
            "KDMP Gunung Sari",
            TABANG_VILLAGE,
            "gerai_sembako, Simpan Pinjam",
            "40",
            "35",
            "ya",
            "0812-3456-7890",
            "02/06/2025",
            "0012345674721000",
        ],
        ["2", "KKMP Jahab", TENGGARONG_KELURAHAN, "", "12", "9", "tidak", "", "2025-06-03", ""],
    ]


def upload(client, content, name="koperasi.csv", headers=None, content_type=None):
    return upload_to(
        client, content, name, params={}, headers=headers, content_type=content_type, url=URL
    )


def registry(client):
    return client.get("/api/v1/cooperatives", params={"page_size": 200}).json()["items"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_file_of_cooperatives_is_registered_with_every_field(client, file_format):
    content = (csv_bytes if file_format == "csv" else xlsx_bytes)(HEADER, good_rows())
    response = upload(client, content, name=f"koperasi.{file_format}")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["rows_read"] == 2 and report["cooperatives_created"] == 2
    assert report["ignored_columns"] == ["No"] and report["format"] == file_format

    first = client.get(f"/api/v1/cooperatives/{report['ids'][0]}").json()
    assert first["village_code"] == TABANG_VILLAGE and first["district_code"] == "64.02.12"
    assert first["kind"] == "desa" and first["is_active"] is True
    assert first["business_units"] == ["gerai_sembako", "simpan_pinjam"]
    assert first["contact_phone"] == "+6281234567890"
    assert first["akta_date"] == "2025-06-02" and first["npwp"] == "0012345674721000"
    assert first["members_total"] == 75 and first["is_demo"] is False
    second = client.get(f"/api/v1/cooperatives/{report['ids'][1]}").json()
    assert second["kind"] == "kelurahan" and second["business_units"] == []

    events = client.get("/api/v1/audit-events", params={"action": "cooperative.import"}).json()[
        "items"
    ]
    assert {e["resource_id"] for e in events} == {str(i) for i in report["ids"]}
    assert all(e["after"]["contact_phone"] in (None, "+62812*****890") for e in events)


def test_every_bad_row_and_column_is_reported_and_nothing_is_written(client):
    rows = good_rows() + [
        ["3", "", "64.02.12.2002", "", "x", "5", "mungkin", "12", "31/02/2025", "123"],
        ["4", "KDMP Ke Kecamatan", "64.02.12", "", "1", "1", "", "", "", ""],
        ["5", "KDMP Tak Ada", "64.02.12.9999", "toko_emas", "1", "1", "", "", "", ""],
        ["6", "KDMP Lainnya", "64.02.12.2003", "lainnya", "1", "1", "", "", "", ""],
        ["7", "KDMP Masa Depan", "64.02.12.2004", "", "1", "1", "", "", "2099-01-01", ""],
    ]
    body = assert_problem(upload(client, csv_bytes(HEADER, rows)), 422)
    errors = {tuple(e["loc"][2:]) for e in body["errors"]}
    # Numbered as the spreadsheet shows them: the header is row 1.
    assert errors == {
        (4, "name"),
        (4, "members_male"),
        (4, "is_active"),
        (4, "contact_phone"),
        (4, "akta_date"),
        (4, "npwp"),
        (5, "village_code"),
        (6, "village_code"),
        (6, "business_units"),
        (7, "business_units_other"),
        (8, "akta_date"),
    }
    assert body["bad_rows"] == [4, 5, 6, 7, 8]
    assert "5 rows cannot be imported; nothing was written" in body["detail"]
    messages = {tuple(e["loc"][2:]): e["msg"] for e in body["errors"]}
    assert "whole number" in messages[(4, "members_male")]
    assert "'x'" in messages[(4, "members_male")]
    assert registry(client) == []


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_control_characters_in_a_cell_are_row_errors(client, file_format):
    rows = good_rows()
    if file_format == "xlsx":
        rows[0][1] = "KDMP_x001B_Gunung Sari"  # how Excel writes an escape character
        rows[1][7] = "0812_x0007_3456 7890"
    else:
        rows[0][1] = "KDMP\x1bGunung Sari"
        rows[1][7] = "0812\x073456 7890"
    content = (csv_bytes if file_format == "csv" else xlsx_bytes)(HEADER, rows)
    body = assert_problem(upload(client, content, name=f"koperasi.{file_format}"), 422)
    messages = {tuple(e["loc"][2:]): e["msg"] for e in body["errors"]}
    assert messages.keys() == {(2, "name"), (3, "contact_phone")}
    assert "control character U+001B" in messages[(2, "name")]
    assert "control character U+0007" in messages[(3, "contact_phone")]
    assert registry(client) == []


def test_villages_must_exist_and_lie_in_your_region(client, login_as):
    rows = [
        ["1", "KDMP Tak Ada", "64.02.12.2999", "", "1", "1", "", "", "", ""],
        ["2", "KDMP Kubar", KUTAI_BARAT_VILLAGE, "", "1", "1", "", "", "", ""],
        ["3", "KDMP Gunung Sari", TABANG_VILLAGE, "", "1", "1", "", "", "", ""],
    ]
    kukar_officer = login_as(Role.officer, "64.02")
    body = assert_problem(upload(client, csv_bytes(HEADER, rows), headers=kukar_officer), 422)
    messages = {tuple(e["loc"][2:]): e["msg"] for e in body["errors"]}
    assert set(messages) == {(2, "village_code"), (3, "village_code")}
    assert "not a desa or kelurahan" in messages[(2, "village_code")]
    assert "outside your region" in messages[(3, "village_code")]

    # Viewers may not register cooperatives at all.
    viewer = login_as(Role.viewer, "64.02")
    assert_problem(upload(client, csv_bytes(HEADER, rows[2:]), headers=viewer), 403)
    created = upload(client, csv_bytes(HEADER, rows[2:]), headers=kukar_officer)
    assert created.status_code == 201, created.text
    assert [c["village_code"] for c in registry(client)] == [TABANG_VILLAGE]


def test_duplicates_in_the_file_and_in_the_registry_are_reported(client):
    existing = create_cooperative(client)  # Gunung Sari already has its cooperative
    header = ["Nama Koperasi", "Kode Desa", "Koperasi Bersama"]
    rows = [
        ["KDMP Gunung Sari", TABANG_VILLAGE, ""],
        ["KKMP Jahab", TENGGARONG_KELURAHAN, ""],
        ["KKMP Jahab (lagi)", TENGGARONG_KELURAHAN, "tidak"],
        ["Koperasi Bersama Jahab", TENGGARONG_KELURAHAN, "ya"],
    ]
    body = assert_problem(upload(client, csv_bytes(header, rows)), 422)
    messages = {tuple(e["loc"][2:]): e["msg"] for e in body["errors"]}
    assert set(messages) == {(2, "village_code"), (4, "village_code")}
    assert f"already has cooperative {existing['id']}" in messages[(2, "village_code")]
    assert "repeats row 3" in messages[(4, "village_code")]
    assert len(registry(client)) == 1

    joint = upload(client, csv_bytes(header, rows[1:2] + rows[3:]))
    assert joint.status_code == 201, joint.text
    assert len(registry(client)) == 3


def test_the_file_must_be_a_readable_spreadsheet_within_the_limits(client):
    assert_problem(upload(client, csv_bytes(["Nama"], [["KDMP"]])), 422, field="village_code")
    body = assert_problem(upload(client, csv_bytes(HEADER, [])), 422)
    assert "no cooperatives" in body["detail"]
    assert_problem(upload(client, b"not a zip", name="koperasi.xlsx"), 422, field="file")
    assert_problem(upload(client, b"a,b\n", "koperasi.pdf", content_type="application/pdf"), 415)
    # Past the limit with its envelope, an upload is refused as it arrives.
    body = assert_problem(upload(client, b"x" * (MAX_FILE_BYTES + 128 * 1024)), 413)
    assert "bytes (48.1 MiB) this endpoint accepts" in body["detail"]
    assert registry(client) == []
