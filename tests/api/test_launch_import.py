"""Importing a launch's delegates from a spreadsheet: every row checked, all or nothing."""

from app.models.account import Role
from tests.api.test_budget_import import csv_bytes, xlsx_bytes
from tests.api.test_budget_import import upload as upload_to
from tests.api.test_launches import TABANG, create_launch, hub_serving
from tests.factories import TABANG_VILLAGE, TENGGARONG_KELURAHAN, assert_problem, create_cooperative

HEADER = ["No", "Kode Desa", "Nama", "Peran", "Telepon", "Catatan"]


def upload(client, launch, content, name="utusan.csv", headers=None):
    url = f"/api/v1/launches/{launch['id']}/registrations/import"
    return upload_to(client, content, name, params={}, headers=headers, url=url)


def registrations(client, launch, **params):
    url = f"/api/v1/launches/{launch['id']}/registrations"
    return client.get(url, params={"page_size": 100, **params}).json()["items"]


def test_delegates_are_imported_to_their_villages_hubs_with_codes(client):
    launch = create_launch(client)
    tabang = create_cooperative(client)
    jahab = create_cooperative(client, name="KKMP Jahab", village_code=TENGGARONG_KELURAHAN)
    rows = [
        ["1", TABANG_VILLAGE, "Siti Aminah", "ketua", "0812-3456-7890", "datang pagi"],
        ["2", TABANG_VILLAGE, "Budi", "Pengawas", "", ""],
        ["3", TENGGARONG_KELURAHAN, "Rahmat", "anggota", "", ""],
    ]
    # The same delegates as CSV, and three others as XLSX (sent again, they would be refused).
    others = [[number, village, name + " Jr", *rest] for number, village, name, *rest in rows]
    for content, name in (
        (csv_bytes(HEADER, rows), "utusan.csv"),
        (xlsx_bytes(HEADER, others), "utusan.xlsx"),
    ):
        response = upload(client, launch, content, name)
        assert response.status_code == 201, response.text
        report = response.json()
        assert report["registrations_created"] == 3
        assert report["ignored_columns"] == ["No", "Catatan"]
    listed = registrations(client, launch)
    assert len(listed) == 6 and len({r["code"] for r in listed}) == 6
    by_cooperative = {r["cooperative_id"]: r["hub_id"] for r in listed}
    assert by_cooperative[tabang["id"]] == hub_serving(client, launch, TABANG)["id"]
    assert by_cooperative[jahab["id"]] == hub_serving(client, launch, "64.02.06")["id"]
    assert {r["role"] for r in listed} == {"ketua", "pengawas", "anggota"}
    assert listed[0]["phone"] == "+6281234567890"


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(client):
    launch = create_launch(client)
    create_cooperative(client)
    rows = [
        ["1", TABANG_VILLAGE, "Siti", "ketua", "", ""],
        ["2", TABANG_VILLAGE, "", "ketua", "", ""],
        ["3", TABANG_VILLAGE, "Budi", "bupati", "", ""],
        ["4", "64.02.06.1001", "Rahmat", "anggota", "", ""],  # no cooperative there
        ["5", TABANG_VILLAGE, "Ani", "anggota", "12", ""],
    ]
    problem = assert_problem(upload(client, launch, csv_bytes(HEADER, rows)), 422)
    assert problem["bad_rows"] == [3, 4, 6]  # numbered as the spreadsheet shows them
    assert {tuple(e["loc"][2:]) for e in problem["errors"]} == {
        (3, "name"),
        (4, "role"),
        (6, "phone"),
    }
    assert registrations(client, launch) == []
    # The first pass found the fields; with them fixed, the missing cooperative is named.
    rows = [row for row in rows if row[0] in ("1", "4")]
    problem = assert_problem(upload(client, launch, csv_bytes(HEADER, rows)), 422)
    assert [e["loc"][2:] for e in problem["errors"]] == [[3, "village_code"]]
    assert registrations(client, launch) == []


def test_a_hub_over_capacity_refuses_the_file(client):
    launch = create_launch(client)
    create_cooperative(client)
    hub = hub_serving(client, launch, TABANG)
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}"
    etag = client.get(url).headers["ETag"]
    assert client.patch(url, json={"capacity": 2}, headers={"If-Match": etag}).status_code == 200
    rows = [["1", TABANG_VILLAGE, f"Utusan {n}", "anggota", "", ""] for n in range(3)]
    problem = assert_problem(upload(client, launch, csv_bytes(HEADER, rows)), 422)
    assert "seats 2" in problem["errors"][0]["msg"]
    assert registrations(client, launch) == []
    assert upload(client, launch, csv_bytes(HEADER, rows[:2])).status_code == 201


def test_a_column_for_the_cooperative_is_required(client):
    launch = create_launch(client)
    problem = assert_problem(
        upload(client, launch, csv_bytes(["Nama", "Peran"], [["Siti", "ketua"]])), 422
    )
    assert problem["errors"][0]["loc"] == ["file", "row", 1, "cooperative_id"]


def test_an_office_imports_only_its_own_cooperatives(client, login_as):
    launch = create_launch(client)
    create_cooperative(client)
    tabang_office = login_as(Role.officer, TABANG)
    jahab = create_cooperative(client, name="KKMP Jahab", village_code=TENGGARONG_KELURAHAN)
    header = ["ID Koperasi", "Nama", "Peran"]
    problem = assert_problem(
        upload(
            client,
            launch,
            csv_bytes(header, [[jahab["id"], "Rahmat", "ketua"]]),
            headers=tabang_office,
        ),
        422,
    )
    assert problem["errors"][0]["loc"] == ["file", "row", 2, "cooperative_id"]


def test_a_file_sent_again_registers_nobody_twice(client):
    launch = create_launch(client)
    create_cooperative(client)
    content = csv_bytes(
        HEADER,
        [
            ["1", TABANG_VILLAGE, "Siti", "ketua", "", ""],
            ["2", TABANG_VILLAGE, "Budi", "anggota", "", ""],
        ],
    )
    assert upload(client, launch, content).status_code == 201
    problem = assert_problem(upload(client, launch, content), 422)
    assert problem["bad_rows"] == [2, 3]
    assert "already registered" in problem["errors"][0]["msg"]
    assert len(registrations(client, launch)) == 2
    repeated = csv_bytes(
        HEADER,
        [
            ["1", TABANG_VILLAGE, "Ani", "ketua", "", ""],
            ["2", TABANG_VILLAGE, "ANI", "ketua", "", ""],
        ],
    )
    problem = assert_problem(upload(client, launch, repeated), 422)
    assert [e["loc"][2:] for e in problem["errors"]] == [[3, "name"]]
