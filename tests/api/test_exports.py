import csv
import io

import pytest
from openpyxl import load_workbook

from app.models.account import Role
from tests.factories import assert_problem, create_cooperative, if_match


def _consultation(client, coop, **overrides):
    body = {
        "cooperative_id": coop["id"],
        "channel": "field_visit",
        "occurred_at": "2025-08-04T09:30:00+08:00",
        "topics": ["rat", "bookkeeping"],
        "summary": "RAT preparation",
        "advice": "Template given",
        "follow_ups": [{"description": "x", "responsible": "officer", "due_date": "2025-08-20"}],
        **overrides,
    }
    response = client.post("/api/v1/consultations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_consultations_export_as_csv_with_indonesian_headers_and_masked_phones(client):
    coop = create_cooperative(client)
    _consultation(client, coop, contact_name="Pak Yusuf", contact_phone="0813-5000-1234")
    response = client.get("/api/v1/exports/consultations", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="konsultasi.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows
    assert header[:4] == ["ID", "Waktu", "Status", "Kanal"]
    record = dict(zip(header, row, strict=True))
    assert record["Waktu"] == "2025-08-04 09:30"  # in the office's own time zone
    assert record["Koperasi"] == coop["name"]
    assert record["Desa/Kelurahan"] == "Gunung Sari" and record["Kecamatan"] == "Tabang"
    assert record["Topik"] == "bookkeeping, rat"
    assert record["Tindak lanjut terbuka"] == "1"
    # Masked, it is no number: a spreadsheet would read it as a formula without the apostrophe.
    assert record["Telepon"] == "'+62813*****234"
    assert "5000" not in response.text


def test_consultations_export_as_xlsx_in_english_follows_the_filters(client):
    coop = create_cooperative(client)
    _consultation(client, coop)
    _consultation(
        client, coop, channel="walk_in", occurred_at="2025-09-01T08:00:00+08:00", follow_ups=[]
    )
    response = client.get(
        "/api/v1/exports/consultations",
        params={"format": "xlsx", "headers": "en", "channel": "walk_in"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "occurred_at", "status", "channel")
    assert [row[3] for row in rows[1:]] == ["walk_in"]


def test_trainings_export_and_who_may_export(client, login_as):
    created = client.post(
        "/api/v1/trainings",
        json={
            "title": "Tata kelola koperasi",
            "region_code": "64.02",
            "capacity": 40,
            "estimated_cost": 45_000_000,
            "topics": ["rat"],
        },
    )
    assert created.status_code == 201, created.text
    response = client.get("/api/v1/exports/trainings", params={"format": "csv", "headers": "en"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["title"], r["status"], r["estimated_cost"], r["region"]) for r in rows] == [
        ("Tata kelola koperasi", "waiting_for_budget", "45000000", "Kabupaten Kutai Kartanegara")
    ]
    kubar = login_as(Role.viewer, "64.03")
    other_office = client.get("/api/v1/exports/trainings", params={"format": "csv"}, headers=kubar)
    assert len(other_office.content.decode("utf-8-sig").splitlines()) == 1  # headers only
    coop = create_cooperative(client)
    own = login_as(Role.cooperative, "64.02", coop["id"])
    assert_problem(client.get("/api/v1/exports/consultations", headers=own), 403)
    assert_problem(client.get("/api/v1/exports/consultations", params={"format": "pdf"}), 422)


def _csv_records(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_cooperatives_export_streams_the_list_with_phones_masked_for_viewers(client, login_as):
    tabang = create_cooperative(client)
    create_cooperative(client, name="KDMP Kubar", village_code="64.03.01.2001", npwp=None)
    response = client.get("/api/v1/exports/cooperatives", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert 'filename="koperasi.csv"' in response.headers["content-disposition"]
    records = _csv_records(response)
    assert [r["Kode Desa"] for r in records] == ["64.02.12.2001", "64.03.01.2001"]
    first = records[0]
    assert first["Nama Koperasi"] == tabang["name"] and first["Desa/Kelurahan"] == "Gunung Sari"
    assert first["Kecamatan"] == "Tabang" and first["Provinsi"] == "Kalimantan Timur"
    assert first["Unit Usaha"] == "gerai_sembako, simpan_pinjam"
    assert first["Aktif"] == "ya" and first["Tanggal Akta"] == "2025-06-02"
    assert first["Telepon"] == "+6281234567890"  # an officer's or admin's export shows it

    viewer = login_as(Role.viewer, "64.02")
    response = client.get(
        "/api/v1/exports/cooperatives", params={"format": "xlsx", "headers": "en"}, headers=viewer
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, *data = rows
    assert len(data) == 1  # Kutai Barat lies outside the viewer's region
    record = dict(zip(header, data[0], strict=True))
    assert record["village_code"] == "64.02.12.2001"
    assert record["contact_phone"] == "+62812*****890"

    filtered = client.get(
        "/api/v1/exports/cooperatives", params={"format": "csv", "region": "64.03"}
    )
    assert [r["Kode Desa"] for r in _csv_records(filtered)] == ["64.03.01.2001"]
    own = login_as(Role.cooperative, "64.02", tabang["id"])
    assert_problem(client.get("/api/v1/exports/cooperatives", headers=own), 403)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_registry_imports_again(client, file_format):
    # The XLSX holds numbers and dates as typed cells.
    create_cooperative(client)
    create_cooperative(
        client, name="KKMP Jahab", village_code="64.02.06.1001", npwp=None, business_units=[]
    )
    exported = client.get("/api/v1/exports/cooperatives", params={"format": file_format})
    before = [
        {**r, "ID": None}
        for r in _csv_records(client.get("/api/v1/exports/cooperatives", params={"format": "csv"}))
    ]
    for cooperative in client.get("/api/v1/cooperatives").json()["items"]:
        url = f"/api/v1/cooperatives/{cooperative['id']}"
        assert client.delete(url, headers=if_match(client, url)).status_code == 204

    boundary = "kopdes-test-roundtrip"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="koperasi.{file_format}"\r\nContent-Type: {exported.headers["content-type"]}'
            "\r\n\r\n"
        ).encode()
        + exported.content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    imported = client.post(
        "/api/v1/cooperatives/import",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert imported.status_code == 201, imported.text
    after = [
        {**r, "ID": None}
        for r in _csv_records(client.get("/api/v1/exports/cooperatives", params={"format": "csv"}))
    ]
    assert after == before


# Paging, sync and sort belong to a list; the format and header language to an export.
_LIST_ONLY = {"page_size", "cursor", "total", "updated_since", "sort"}
_EXPORT_ONLY = {"format", "headers"}


@pytest.mark.parametrize("name", ["cooperatives", "consultations", "trainings"])
def test_an_export_takes_exactly_its_lists_filters(client, name):
    paths = client.get("/openapi.json").json()["paths"]

    def filters(path):
        return {parameter["name"] for parameter in paths[path]["get"]["parameters"]}

    assert (
        filters(f"/api/v1/{name}") - _LIST_ONLY == filters(f"/api/v1/exports/{name}") - _EXPORT_ONLY
    )


def test_the_registry_export_finds_by_name_as_the_list_does(client):
    for name in ("Koperasi Tabang Makmur", "Koperasi Sungai Mesra"):
        create_cooperative(client, is_joint=True, name=name)
    listed = client.get("/api/v1/cooperatives", params={"q": "tabang"}).json()["items"]
    exported = client.get("/api/v1/exports/cooperatives", params={"q": "tabang", "format": "csv"})
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row["Nama Koperasi"] for row in rows] == [c["name"] for c in listed]
    assert [c["name"] for c in listed] == ["Koperasi Tabang Makmur"]


def test_the_trainings_export_follows_the_lists_filters(client):
    for title, region in (("Pelatihan Kukar", "64.02"), ("Pelatihan Kubar", "64.07")):
        created = client.post(
            "/api/v1/trainings",
            json={"title": title, "region_code": region, "capacity": 20, "estimated_cost": 0},
        )
        assert created.status_code == 201, created.text
    exported = client.get("/api/v1/exports/trainings", params={"region": "64.02", "format": "csv"})
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Pelatihan Kukar"]
