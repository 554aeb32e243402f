"""Importing the office's DPA spreadsheet: every row checked, all or nothing."""

import csv
import io

import pytest
from openpyxl import Workbook

from app.models.account import Role
from app.services.budget_import import MAX_FILE_BYTES, MAX_REQUEST_BYTES, MAX_ROWS, rupiah
from tests.factories import assert_problem, create_budget_line

URL = "/api/v1/budget-lines/import"
SKPD = "Dinas Koperasi dan UKM Kab. Kutai Kartanegara"
ID_HEADERS = [
    "No",
    "Kode Sub Kegiatan",
    "Nama Sub Kegiatan",
    "Kode Rekening",
    "Uraian",
    "Pagu",
    "SKPD",
]
TRAINING = ("2.17.05.2.01.0001", "Peningkatan Pemahaman dan Pengetahuan Perkoperasian")
MENTORING = ("2.17.06.2.01.0003", "Pendampingan Koperasi")


def good_rows():
    return [
        ["1", *TRAINING, "5.1.02.02.12.0001", "Belanja Kursus", "45.000.000", SKPD],
        ["2", *TRAINING, "5.1.02.01.01.0052", "Belanja Makanan", "12500000", SKPD],
        ["3", *MENTORING, "5.1.02.04.01.0001", "Perjalanan Dinas", "7.250.000", SKPD],
    ]


def csv_bytes(header, rows, delimiter=","):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def xlsx_bytes(header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content, name="dpa.csv", params=None, headers=None, content_type=None, url=URL):
    """POST the file as multipart/form-data, encoded here: the suite's request hook reads each
    body whole, which httpx's streaming multipart encoder does not allow."""
    media_type = content_type or (
        "text/csv"
        if name.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    boundary = "kopdes-test-" + "b" * 24
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        url,
        content=body,
        params=params if params is not None else {"fiscal_year": 2025, "region_code": "64.02"},
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            **(headers or {}),
        },
    )


def lines(client):
    return client.get("/api/v1/budget-lines", params={"page_size": 100}).json()["items"]


def locs(body):
    return {tuple(error["loc"]) for error in body["errors"]}


def test_a_good_csv_with_indonesian_headers_is_imported(client):
    # Excel in an Indonesian locale writes `;` between cells.
    content = csv_bytes(ID_HEADERS, good_rows(), delimiter=";")
    response = upload(client, content)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["format"] == "csv" and report["file_name"] == "dpa.csv"
    assert (report["rows_read"], report["lines_created"]) == (3, 3)
    assert report["ignored_columns"] == ["No"]

    created = {line["id"]: line for line in lines(client)}
    assert sorted(created) == sorted(report["ids"])
    first = created[report["ids"][0]]
    assert first["kode_rekening"] == "5.1.02.02.12.0001"
    assert first["sub_kegiatan_name"] == TRAINING[1] and first["skpd"] == SKPD
    assert (first["fiscal_year"], first["region_code"]) == (2025, "64.02")
    assert [created[i]["original_ceiling"] for i in report["ids"]] == [
        45_000_000,
        12_500_000,
        7_250_000,
    ]
    assert all(line["current_ceiling"] == line["available"] for line in created.values())

    # One audit event per line, naming the row it came from.
    events = client.get(
        "/api/v1/audit-events", params={"action": "budget_line.import", "page_size": 100}
    ).json()["items"]
    assert sorted(int(e["resource_id"]) for e in events) == sorted(report["ids"])
    rows = {int(e["resource_id"]): e["after"]["imported_from"]["row"] for e in events}
    assert [rows[i] for i in report["ids"]] == [2, 3, 4]


def test_a_good_xlsx_with_english_headers_and_its_own_year_and_region_is_imported(client):
    header = [
        "fiscal_year",
        "Region_Code",
        "SKPD",
        "sub_kegiatan_code",
        "sub_kegiatan_name",
        "kode_rekening",
        "name",
        "ORIGINAL_CEILING",
        "Keterangan",
    ]
    rows = [
        [2025, "64.02", SKPD, *TRAINING, "5.1.02.02.12.0001", "Belanja Kursus", 45_000_000, ""],
        [None] * 9,  # a blank row is skipped, and the numbering keeps counting
        [2026, "64.02", SKPD, *TRAINING, "5.1.02.02.12.0001", "Belanja Kursus", 50000000.0, "x"],
        [2025, "64.02.06", SKPD, *MENTORING, "5.1.02.04.01.0001", "Perjalanan", "1.000.000", ""],
    ]
    response = upload(client, xlsx_bytes(header, rows), name="DPA 2025.xlsx", params={})
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["format"] == "xlsx"
    assert (report["rows_read"], report["lines_created"]) == (3, 3)
    assert report["ignored_columns"] == ["Keterangan"]
    created = {line["id"]: line for line in lines(client)}
    assert [
        (created[i]["fiscal_year"], created[i]["region_code"], created[i]["original_ceiling"])
        for i in report["ids"]
    ] == [(2025, "64.02", 45_000_000), (2026, "64.02", 50_000_000), (2025, "64.02.06", 1_000_000)]


def test_every_bad_row_and_column_is_named_and_nothing_is_written(client):
    rows = good_rows() + [
        ["4", *TRAINING, "5.1.02", "Kode rekening salah", "1.000.000", SKPD],
        ["5", *TRAINING, "5.1.02.02.01.0003", "Berdesimal", "45.000.000,50", SKPD],
        ["6", *TRAINING, "5.1.02.02.01.0004", "Negatif", "-5000", SKPD],
        ["7", *TRAINING, "5.1.02.02.01.0005", "", "1000", SKPD],
        ["8", "2.17.05.01", TRAINING[1], "5.1.02.02.01.0006", "Dua salah", "lima juta", SKPD],
        ["9", *TRAINING, "5.1.02.02.01.0007", "Desimal", "1500.5", SKPD],
    ]
    response = upload(client, csv_bytes(ID_HEADERS, rows))
    body = assert_problem(response, 422, field="kode_rekening")
    assert locs(body) == {
        ("file", "row", 5, "kode_rekening"),
        ("file", "row", 6, "original_ceiling"),
        ("file", "row", 7, "original_ceiling"),
        ("file", "row", 8, "name"),
        ("file", "row", 9, "sub_kegiatan_code"),
        ("file", "row", 9, "original_ceiling"),
        ("file", "row", 10, "original_ceiling"),
    }
    assert body["bad_rows"] == [5, 6, 7, 8, 9, 10] and body["rows_read"] == 9
    messages = {tuple(e["loc"]): e["msg"] for e in body["errors"]}
    assert "5.1.02.02.01.0026" in messages[("file", "row", 5, "kode_rekening")]
    assert "without decimals" in messages[("file", "row", 6, "original_ceiling")]
    assert "negative" in messages[("file", "row", 7, "original_ceiling")]
    assert messages[("file", "row", 8, "name")] == "is empty"
    assert "'lima juta'" in messages[("file", "row", 9, "original_ceiling")]
    assert "6 rows cannot be imported; nothing was written" in body["detail"]
    assert lines(client) == []


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_control_characters_in_a_cell_are_row_errors(client, file_format):
    rows = good_rows()
    if file_format == "xlsx":
        rows[1][4] = "Belanja_x001B_Makanan"  # how Excel writes an escape character
    else:
        rows[1][4] = "Belanja\x1bMakanan"
    content = (csv_bytes if file_format == "csv" else xlsx_bytes)(ID_HEADERS, rows)
    body = assert_problem(upload(client, content, name=f"dpa.{file_format}"), 422, field="name")
    assert locs(body) == {("file", "row", 3, "name")}
    assert "control character U+001B" in body["errors"][0]["msg"]
    assert lines(client) == []


def test_duplicates_within_the_file_and_against_existing_lines(client):
    existing = create_budget_line(client, kode_rekening="5.1.02.01.01.0052")
    rows = [
        *good_rows(),  # its row 3 repeats the existing line
        ["4", *MENTORING, "5.1.02.04.01.0001", "Perjalanan lagi", "1", SKPD],  # repeats row 4
        ["5", *MENTORING, "5.1.02.04.01.0002", "Lain", "1", SKPD],
    ]
    body = assert_problem(upload(client, csv_bytes(ID_HEADERS, rows)), 422)
    assert locs(body) == {("file", "row", 3, "kode_rekening"), ("file", "row", 5, "kode_rekening")}
    messages = {tuple(e["loc"]): e["msg"] for e in body["errors"]}
    assert (
        f"budget line {existing['id']} already holds"
        in messages[("file", "row", 3, "kode_rekening")]
    )
    assert "repeats row 4" in messages[("file", "row", 5, "kode_rekening")]
    assert all(error.keys() == {"loc", "msg", "type"} for error in body["errors"])
    assert [line["id"] for line in lines(client)] == [existing["id"]]

    # A reader who asks for Indonesian gets each row's problem in Indonesian.
    indonesian = assert_problem(
        upload(client, csv_bytes(ID_HEADERS, rows), headers={"Accept-Language": "id"}), 422
    )
    said = {tuple(e["loc"]): e["msg"] for e in indonesian["errors"]}
    assert said[("file", "row", 5, "kode_rekening")].startswith("mengulang baris 4: ")
    assert said[("file", "row", 3, "kode_rekening")].startswith(
        f"pos anggaran {existing['id']} sudah memuat"
    )

    # The same file for another year is not a duplicate.
    again = upload(
        client,
        csv_bytes(ID_HEADERS, good_rows()),
        params={"fiscal_year": 2026, "region_code": "64.02"},
    )
    assert again.status_code == 201, again.text
    # ... and sending it twice is refused the second time, row by row.
    twice = upload(
        client,
        csv_bytes(ID_HEADERS, good_rows()),
        params={"fiscal_year": 2026, "region_code": "64.02"},
    )
    assert assert_problem(twice, 422)["bad_rows"] == [2, 3, 4]
    assert len(lines(client)) == 4


def test_headers_and_the_year_and_region_are_required(client):
    header = [h for h in ID_HEADERS if h != "Kode Rekening"]
    rows = [row[:3] + row[4:] for row in good_rows()]
    body = assert_problem(upload(client, csv_bytes(header, rows)), 422, field="kode_rekening")
    assert locs(body) == {("file", "row", 1, "kode_rekening")}

    body = assert_problem(upload(client, csv_bytes(ID_HEADERS, good_rows()), params={}), 422)
    assert locs(body) == {("query", "fiscal_year"), ("query", "region_code")}

    body = assert_problem(
        upload(
            client, csv_bytes(ID_HEADERS, []), params={"fiscal_year": 2025, "region_code": "64.02"}
        ),
        422,
    )
    assert "no budget lines" in body["detail"]
    assert lines(client) == []


def test_files_that_are_too_large_or_not_spreadsheets_are_refused(client):
    header_line = ",".join(ID_HEADERS) + "\n"
    padding = "x" * (MAX_FILE_BYTES + 1 - len(header_line))
    body = assert_problem(upload(client, (header_line + padding).encode()), 413)
    assert "2 MB" in body["detail"]
    # Past the route's limit (the file and its envelope), an upload is refused as it arrives.
    body = assert_problem(upload(client, b"x" * (3 * MAX_FILE_BYTES)), 413)
    assert f"{MAX_REQUEST_BYTES:,} bytes" in body["detail"]

    row = "1,2.17.05.2.01.0001,Nama,5.1.02.02.12.{:04d},Uraian,1," + SKPD + "\n"
    too_many = header_line + "".join(row.format(i % 10_000) for i in range(MAX_ROWS + 1))
    assert len(too_many) < MAX_FILE_BYTES
    body = assert_problem(upload(client, too_many.encode()), 422)
    assert body["errors"][0]["loc"] == ["file"] and "5,000" in body["detail"]

    assert_problem(
        upload(client, b"whatever", name="dpa.xls", content_type="application/vnd.ms-excel"), 415
    )
    assert_problem(
        upload(client, b"a,b\n1,2\n", name="dpa.pdf", content_type="application/pdf"), 415
    )
    assert_problem(upload(client, b"not a zip", name="dpa.xlsx"), 422, field="file")
    assert_problem(upload(client, b"PK\x03\x04broken", name="dpa.xlsx"), 422, field="file")
    assert_problem(upload(client, xlsx_bytes(ID_HEADERS, []), name="dpa.csv"), 422, field="file")
    assert_problem(upload(client, b""), 422, field="file")
    assert lines(client) == []


def test_who_may_import_and_into_which_region(client, login_as):
    content = csv_bytes(ID_HEADERS, good_rows())
    for role in (Role.viewer, Role.cooperative):
        assert_problem(upload(client, content, headers=login_as(role, "64.02")), 403)
    kubar_officer = login_as(Role.officer, "64.03")
    body = assert_problem(upload(client, content, headers=kubar_officer), 422)
    assert locs(body) == {("query", "region_code")}
    body = assert_problem(
        upload(
            client,
            content,
            headers=kubar_officer,
            params={"fiscal_year": 2025, "region_code": "64.99"},
        ),
        422,
    )
    assert "not a Kemendagri code" in body["errors"][0]["msg"]
    assert lines(client) == []

    kukar_officer = login_as(Role.officer, "64.02")
    created = upload(client, content, headers=kukar_officer)
    assert created.status_code == 201, created.text
    assert created.json()["lines_created"] == 3


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        (45_000_000, 45_000_000),
        (45_000_000.0, 45_000_000),
        ("45000000", 45_000_000),
        ("45.000.000", 45_000_000),
        (" Rp 45.000.000 ", 45_000_000),
        ("0", 0),
    ],
)
def test_rupiah_amounts_are_read_as_offices_write_them(cell, amount):
    assert rupiah(cell) == amount


@pytest.mark.parametrize(
    "cell", ["45.000.000,00", "45000000.5", 1.5, "45,000", "4.50", "-1", "(100)", -1, "Rp", True]
)
def test_decimal_negative_or_unreadable_amounts_are_refused(cell):
    with pytest.raises(ValueError):
        rupiah(cell)
