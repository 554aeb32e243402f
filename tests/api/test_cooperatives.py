import pytest

from app.seed import demo
from tests.factories import (
    TABANG_VILLAGE,
    TENGGARONG_KELURAHAN,
    assert_problem,
    cooperative_body,
    create_cooperative,
    if_match,
)


def _total(client, **params):
    response = client.get("/api/v1/cooperatives", params={**params, "total": "true"})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_create_derives_kind_and_normalises_identifiers(client):
    created = create_cooperative(
        client, npwp="01.234.567.4-721.000", nib="9120 0012 34567", contact_phone="0812-3456-7890"
    )
    assert created["kind"] == "desa"
    assert created["district_code"] == "64.02.12"
    assert created["regency_code"] == "64.02"
    assert created["province_code"] == "64"
    assert created["npwp"] == "0012345674721000"  # 0 + the old 15 digits
    assert created["nib"] == "9120001234567"
    assert created["contact_phone"] == "+6281234567890"
    assert created["sk_ahu_format"] == "modern"
    assert created["business_units"] == ["gerai_sembako", "simpan_pinjam"]
    assert created["members_total"] == 75
    assert created["legal_stage"] == "none"
    assert created["is_demo"] is False
    assert client.get(f"/api/v1/cooperatives/{created['id']}").json() == created


def test_kelurahan_kind_and_legacy_sk_ahu_is_kept_and_flagged(client):
    created = create_cooperative(
        client,
        name="Koperasi Kelurahan Merah Putih Jahab",
        village_code=TENGGARONG_KELURAHAN,
        sk_ahu_number="518/BH/M.KUKM.2/VIII/2017",
    )
    assert created["kind"] == "kelurahan"
    assert created["sk_ahu_number"] == "518/BH/M.KUKM.2/VIII/2017"
    assert created["sk_ahu_format"] == "legacy"


def test_second_cooperative_in_a_village_is_409_with_the_existing_id(client):
    first = create_cooperative(client)
    response = client.post("/api/v1/cooperatives", json=cooperative_body(name="Another"))
    body = assert_problem(response, 409)
    assert body["existing_id"] == first["id"]
    joint = create_cooperative(client, name="Koperasi Bersama", is_joint=True)
    assert joint["is_joint"] is True
    assert _total(client, region=TABANG_VILLAGE) == 2


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"village_code": "64.02.12.2999"}, "village_code"),  # well formed, not a village
        ({"village_code": "64.02.12"}, "village_code"),  # a district, not a village
        ({"npwp": "12.345.678.9-012.345"}, "npwp"),
        ({"nib": "912000123456"}, "nib"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"members_male": False}, "members_male"),
        ({"members_female": "3"}, "members_female"),
        ({"members_male": -1}, "members_male"),
        ({"is_active": "yes"}, "is_active"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"akta_date": "2999-01-01"}, "akta_date"),
        ({"last_rat_year": 2999}, "last_rat_year"),
        ({"business_units": ["lainnya"]}, "business_units_other"),
        ({"business_units": ["casino"]}, "business_units"),
        ({"role": "admin"}, "role"),
        ({"id": 5}, "id"),
        ({"legal_stage": "operating"}, "legal_stage"),
        ({"is_demo": True}, "is_demo"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, override, field):
    response = client.post("/api/v1/cooperatives", json=cooperative_body(**override))
    assert_problem(response, 422, field=field)
    assert _total(client) == 0


def test_lainnya_with_a_description_is_accepted(client):
    created = create_cooperative(
        client, business_units=["lainnya", "logistik"], business_units_other="Agen LPG 3 kg"
    )
    assert created["business_units"] == ["lainnya", "logistik"]


def test_missing_and_out_of_range_ids(client):
    assert_problem(client.get("/api/v1/cooperatives/999"), 404)
    assert_problem(client.get("/api/v1/cooperatives/99999999999"), 422, field="cooperative_id")
    assert_problem(client.patch("/api/v1/cooperatives/999", json={"name": "x"}), 404)
    assert_problem(client.delete("/api/v1/cooperatives/999"), 404)


def test_patch_changes_only_what_is_sent(client):
    created = create_cooperative(client)
    url = f"/api/v1/cooperatives/{created['id']}"
    response = client.patch(
        url,
        json={
            "members_female": 50,
            "business_units": ["klinik_desa"],
            "sk_ahu_number": "SK lama 12",
        },
        headers=if_match(client, url),
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["members_female"] == 50
    assert updated["members_total"] == 90
    assert updated["business_units"] == ["klinik_desa"]
    assert updated["sk_ahu_format"] == "legacy"
    assert updated["name"] == created["name"]
    assert updated["npwp"] == created["npwp"]
    assert updated["updated_at"] > created["updated_at"]

    cleared = client.patch(url, json={"npwp": None}, headers=if_match(client, url)).json()
    assert cleared["npwp"] is None


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"name": None}, "name"),
        ({"members_male": None}, "members_male"),
        ({"village_code": "64.02.12.2002"}, "village_code"),
        ({"kind": "kelurahan"}, "kind"),
        ({"npwp": "123"}, "npwp"),
        ({"business_units": ["lainnya"]}, "business_units_other"),
    ],
)
def test_bad_patch_is_422_and_changes_nothing(client, patch, field):
    created = create_cooperative(client)
    url = f"/api/v1/cooperatives/{created['id']}"
    response = client.patch(url, json=patch, headers=if_match(client, url))
    assert_problem(response, 422, field=field)
    assert client.get(f"/api/v1/cooperatives/{created['id']}").json() == created


def test_delete_removes_it_with_its_officers(client):
    created = create_cooperative(client)
    officer = client.post(
        f"/api/v1/cooperatives/{created['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti Rahman"},
    )
    assert officer.status_code == 201
    url = f"/api/v1/cooperatives/{created['id']}"
    assert client.delete(url, headers=if_match(client, url)).status_code == 204
    assert_problem(client.get(f"/api/v1/cooperatives/{created['id']}"), 404)
    assert_problem(client.get(f"/api/v1/cooperatives/{created['id']}/officers"), 404)
    # The village is free again.
    create_cooperative(client)


def test_list_filters(client):
    tabang = create_cooperative(client)
    jahab = create_cooperative(
        client,
        name="Koperasi Kelurahan Merah Putih Jahab",
        village_code=TENGGARONG_KELURAHAN,
        business_units=["apotek_desa"],
        is_active=False,
    )
    kubar = create_cooperative(
        client, name="Koperasi Desa Merah Putih Merabu", village_code="64.03.01.2001"
    )
    client.post(
        f"/api/v1/cooperatives/{jahab['id']}/legal-events",
        json={"milestone": "musdesus", "occurred_on": "2025-05-20"},
    )

    def ids(**params):
        body = client.get("/api/v1/cooperatives", params=params).json()
        return [item["id"] for item in body["items"]]

    assert ids(region="64.02") == [jahab["id"], tabang["id"]]  # village-code order
    assert ids(region="64.02.12") == [tabang["id"]]
    assert ids(region="64") == [jahab["id"], tabang["id"], kubar["id"]]
    assert ids(kind="kelurahan") == [jahab["id"]]
    assert ids(active="false") == [jahab["id"]]
    assert ids(business_unit="apotek_desa") == [jahab["id"]]
    assert ids(legal_stage="musdesus") == [jahab["id"]]
    assert ids(legal_stage="none", region="64.02") == [tabang["id"]]
    assert ids(q="merabu") == [kubar["id"]]
    assert ids(q="%") == []
    assert ids(sort="name") == [tabang["id"], kubar["id"], jahab["id"]]
    assert ids(sort="-updated_at")[0] == jahab["id"]  # the legal event touched it last
    # In change order: the legal event changed Jahab after Merabu was registered.
    assert ids(updated_since=0) == [tabang["id"], kubar["id"], jahab["id"]]
    assert ids(updated_since=0, region="64.02") == [tabang["id"], jahab["id"]]
    assert ids(updated_since=kubar["change"]) == [jahab["id"]]


@pytest.mark.parametrize("sort", ["village_code", "name", "updated_at", "-updated_at"])
def test_every_sort_pages_through_everything_once(client, load_demo, sort):
    load_demo()
    seen, cursor = [], None
    while True:
        params = {"region": "64.02", "page_size": 40, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/cooperatives", params=params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 237 == len(set(seen))


def test_cursor_bound_to_its_filters(client, load_demo):
    load_demo()
    cursor = client.get("/api/v1/cooperatives", params={"page_size": 5}).json()["next_cursor"]
    response = client.get("/api/v1/cooperatives", params={"cursor": cursor, "sort": "name"})
    assert_problem(response, 400)


def test_kukar_demo_has_237_cooperatives_one_per_village(client, load_demo):
    report = load_demo()
    assert report.created == 237
    assert _total(client, region="64.02") == 237
    assert _total(client, region="64.02", kind="kelurahan") == 44
    again = load_demo()
    assert (again.created, again.already_there) == (0, 237)
    first = client.get("/api/v1/cooperatives", params={"region": "64.02"}).json()["items"][0]
    assert first["is_demo"] is True


def test_demo_refuses_a_database_with_real_records(client, load_demo):
    create_cooperative(client)
    with pytest.raises(demo.RealRecordsPresent):
        load_demo()
    assert _total(client) == 1
