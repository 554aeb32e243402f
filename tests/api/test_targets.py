"""The morning table's headline figures and the SK AHU targets of a push, through HTTP."""

from datetime import date, timedelta

from app.models.account import ApiScope, Role
from tests.api.test_consultations import created as consultation
from tests.api.test_trainings import create_training
from tests.factories import assert_problem, create_budget_line, create_cooperative, if_match

KUKAR = "64.02"
JUNE = {"region": KUKAR, "starts_on": "2025-06-01", "ends_on": "2025-06-30", "target": 60}


def issue_sk_ahu(client, cooperative_id, day):
    response = client.post(
        f"/api/v1/cooperatives/{cooperative_id}/legal-events",
        json={"milestone": "sk_ahu_issued", "occurred_on": day.isoformat()},
    )
    assert response.status_code == 201, response.text


def headline(client, **params):
    response = client.get("/api/v1/stats/headline", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_headline_counts_what_the_office_reads_first(client, login_as):
    today = date.fromisoformat(headline(client)["today"])
    monday = today - timedelta(days=today.weekday())
    this_week = create_cooperative(client)
    earlier = create_cooperative(client, village_code="64.02.12.2002")
    create_cooperative(client, village_code="64.02.12.2003")  # no SK AHU yet
    elsewhere = create_cooperative(client, village_code="64.03.01.2001")  # Kutai Barat
    issue_sk_ahu(client, this_week["id"], monday)
    issue_sk_ahu(client, earlier["id"], monday - timedelta(days=1))  # last Sunday
    issue_sk_ahu(client, elsewhere["id"], monday)
    consultation(
        client,
        cooperative_id=this_week["id"],
        follow_ups=[
            {
                "description": "Kirim draf AD/ART",
                "responsible": "officer",
                "due_date": "2025-08-11",
            },
            {
                "description": "Bawa buku kas",
                "responsible": "cooperative",
                "due_date": "2099-01-01",
            },
        ],
    )
    create_training(client)  # Tenggarong, waiting for budget
    line = create_budget_line(client, fiscal_year=today.year, original_ceiling=250_000_000)
    create_budget_line(
        client, fiscal_year=today.year, kode_rekening="5.1.02.02.12.0002", original_ceiling=1
    )
    create_budget_line(client, fiscal_year=today.year + 1, kode_rekening="5.1.02.02.12.0003")

    kukar = headline(client, region=KUKAR)
    assert kukar == {
        "region": KUKAR,
        "today": today.isoformat(),
        "cooperatives": 3,
        "with_sk_ahu": 2,
        "sk_ahu_this_week": 1,
        "follow_ups_open": 2,
        "follow_ups_overdue": 1,
        "trainings_waiting_for_budget": 1,
        "budget_fiscal_year": today.year,
        # Next year's line does not count; the 2025 line of create_training is an earlier year.
        "budget_available": line["available"] + 1,
    }
    # A withdrawn consultation's follow-up counts nowhere: in a region, nor in the country
    # (counted there without the consultations' join).
    mistake = consultation(
        client,
        village_code="64.03.01.2001",
        contact_name="Bu Rina",
        follow_ups=[
            {"description": "Salah catat", "responsible": "officer", "due_date": "2025-08-11"}
        ],
    )
    url = f"/api/v1/consultations/{mistake['id']}"
    withdrawn = client.delete(url, params={"reason": "salah catat"}, headers=if_match(client, url))
    assert withdrawn.status_code == 204
    national = headline(client)
    assert (national["region"], national["cooperatives"], national["sk_ahu_this_week"]) == (
        None,
        4,
        2,
    )
    assert (national["follow_ups_open"], national["follow_ups_overdue"]) == (2, 1)
    assert headline(client, region="64.03")["follow_ups_open"] == 0

    # A regency office's own figures by default; a viewer sees the same, a stats key no budget.
    viewer = login_as(Role.viewer, KUKAR)
    assert client.get("/api/v1/stats/headline", headers=viewer).json() == kukar
    assert_problem(
        client.get("/api/v1/stats/headline", params={"region": "64.03"}, headers=viewer), 404
    )
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "Dasbor provinsi", "scopes": [ApiScope.stats_read], "region_scope": KUKAR},
    ).json()["key"]
    client.headers.pop("Authorization")  # a key is sent alone
    by_key = client.get("/api/v1/stats/headline", headers={"X-API-Key": key}).json()
    assert (by_key["budget_fiscal_year"], by_key["budget_available"]) == (None, None)
    assert by_key["cooperatives"] == 3


def test_a_target_tracks_the_sk_ahu_issued_per_day(client):
    first = create_cooperative(client)
    second = create_cooperative(client, village_code="64.02.12.2002")
    before = create_cooperative(client, village_code="64.02.12.2003")
    issue_sk_ahu(client, first["id"], date(2025, 6, 2))
    issue_sk_ahu(client, second["id"], date(2025, 6, 2))
    issue_sk_ahu(client, before["id"], date(2025, 5, 31))  # before the push: not counted

    response = client.post("/api/v1/sk-ahu-targets", json=JUNE)
    assert response.status_code == 201, response.text
    target = response.json()
    assert target["created_by"] == "user:test-admin"
    assert client.get(f"/api/v1/sk-ahu-targets/{target['id']}").json() == target

    progress = client.get(f"/api/v1/sk-ahu-targets/{target['id']}/progress").json()
    assert progress["issued"] == 2
    days = progress["days"]
    assert len(days) == 30
    assert days[0] == {"day": "2025-06-01", "issued": 0, "cumulative": 0, "planned": 2}
    assert days[1] == {"day": "2025-06-02", "issued": 2, "cumulative": 2, "planned": 4}
    assert days[-1]["planned"] == 60 and days[-1]["cumulative"] == 2

    listed = client.get("/api/v1/sk-ahu-targets", params={"region": KUKAR}).json()
    assert [t["id"] for t in listed["items"]] == [target["id"]]


def test_targets_of_a_region_do_not_overlap_and_must_make_sense(client):
    assert client.post("/api/v1/sk-ahu-targets", json=JUNE).status_code == 201
    overlap = {**JUNE, "starts_on": "2025-06-30", "ends_on": "2025-07-15"}
    refused = assert_problem(client.post("/api/v1/sk-ahu-targets", json=overlap), 409)
    assert "overlaps" in refused["detail"]
    # Another region may push at the same time.
    assert (
        client.post("/api/v1/sk-ahu-targets", json={**overlap, "region": "64"}).status_code == 201
    )
    backwards = {**JUNE, "starts_on": "2025-07-10", "ends_on": "2025-07-01"}
    assert_problem(client.post("/api/v1/sk-ahu-targets", json=backwards), 422, field="ends_on")
    too_long = {**JUNE, "starts_on": "2026-01-01", "ends_on": "2027-01-02"}
    assert_problem(client.post("/api/v1/sk-ahu-targets", json=too_long), 422, field="ends_on")
    for bad in ({"target": 0}, {"target": "60"}, {"region": "64.2"}, {"extra": 1}):
        response = client.post(
            "/api/v1/sk-ahu-targets",
            json={**JUNE, "starts_on": "2026-01-01", "ends_on": "2026-01-31", **bad},
        )
        assert_problem(response, 422)


def test_only_an_admin_sets_targets_within_their_region(client, login_as):
    officer = login_as(Role.officer, KUKAR)
    assert_problem(client.post("/api/v1/sk-ahu-targets", json=JUNE, headers=officer), 403)
    admin = login_as(Role.admin, KUKAR)
    outside = {**JUNE, "region": "64.03"}
    assert_problem(
        client.post("/api/v1/sk-ahu-targets", json=outside, headers=admin),
        422,
        field="region",
    )
    national = {**JUNE, "region": ""}
    assert_problem(
        client.post("/api/v1/sk-ahu-targets", json=national, headers=admin),
        422,
        field="region",
    )
    theirs = client.post("/api/v1/sk-ahu-targets", json=outside).json()  # the national admin
    assert_problem(client.get(f"/api/v1/sk-ahu-targets/{theirs['id']}", headers=admin), 404)
    assert client.get("/api/v1/sk-ahu-targets", headers=admin).json()["items"] == []

    mine = client.post("/api/v1/sk-ahu-targets", json=JUNE, headers=admin).json()
    url = f"/api/v1/sk-ahu-targets/{mine['id']}"
    assert_problem(client.delete(url, headers=admin), 428)
    assert client.delete(url, headers=if_match(client, url, admin)).status_code == 204
    assert_problem(client.get(url), 404)
    trail = client.get("/api/v1/audit-events", params={"resource_type": "sk_ahu_target"}).json()[
        "items"
    ]
    assert {e["action"] for e in trail} >= {"sk_ahu_target.create", "sk_ahu_target.delete"}
