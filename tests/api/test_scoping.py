"""Each office sees only its own region; a cooperative's account sees only its cooperative."""

import pytest

from app.models.account import Role
from tests.factories import VALID_NIK, assert_problem, create_cooperative, if_match

KUKAR, KUBAR = "64.02", "64.03"


def _office_records(client, village, name):
    coop = create_cooperative(client, village_code=village, name=name)
    officer = client.post(
        f"/api/v1/cooperatives/{coop['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti", "nik": VALID_NIK},
    ).json()
    client.post(
        f"/api/v1/cooperatives/{coop['id']}/legal-events",
        json={"milestone": "musdesus", "occurred_on": "2025-05-20"},
    )
    return coop, officer


def _urls(coop, officer):
    base = f"/api/v1/cooperatives/{coop['id']}"
    officer_url = f"{base}/officers/{officer['id']}"
    return {
        "GET": [
            base,
            f"{base}/legal-events",
            f"{base}/officers",
            officer_url,
            officer_url + "/nik",
        ],
        "PATCH": [(base, {"members_male": 1}), (officer_url, {"name": "Hacked"})],
        "DELETE": [officer_url, base],
        "POST": [
            (f"{base}/legal-events", {"milestone": "nib", "occurred_on": "2025-08-01"}),
            (f"{base}/officers", {"body": "pengawas", "role": "anggota", "name": "X"}),
        ],
    }


def test_offices_cannot_reach_each_others_records(client, login_as):
    kukar_coop, kukar_officer = _office_records(client, "64.02.12.2001", "Kop Gunung Sari")
    kubar_coop, kubar_officer = _office_records(client, "64.03.01.2001", "Kop Merabu")
    offices = {KUKAR: login_as(Role.admin, KUKAR), KUBAR: login_as(Role.admin, KUBAR)}
    snapshot = {
        coop["id"]: (
            client.get(f"/api/v1/cooperatives/{coop['id']}").json(),
            client.get(f"/api/v1/cooperatives/{coop['id']}/officers").json(),
            client.get(f"/api/v1/cooperatives/{coop['id']}/legal-events").json(),
        )
        for coop in (kukar_coop, kubar_coop)
    }
    for intruder, (coop, officer) in [
        (KUKAR, (kubar_coop, kubar_officer)),
        (KUBAR, (kukar_coop, kukar_officer)),
    ]:
        headers = offices[intruder]
        urls = _urls(coop, officer)
        for url in urls["GET"]:
            assert_problem(client.get(url, headers=headers), 404)
        for url, body in urls["PATCH"] + urls["POST"]:
            method = "PATCH" if (url, body) in urls["PATCH"] else "POST"
            assert_problem(client.request(method, url, json=body, headers=headers), 404)
        for url in urls["DELETE"]:
            assert_problem(client.delete(url, headers=headers), 404)
        listed = client.get("/api/v1/cooperatives", headers=headers).json()["items"]
        assert [c["id"] for c in listed] != [] and coop["id"] not in [c["id"] for c in listed]
        other_region = KUBAR if intruder == KUKAR else KUKAR
        assert_problem(
            client.get(
                "/api/v1/stats/legal-progress", params={"region": other_region}, headers=headers
            ),
            404,
        )
    for coop_id, (record, officers, history) in snapshot.items():
        assert client.get(f"/api/v1/cooperatives/{coop_id}").json() == record
        assert client.get(f"/api/v1/cooperatives/{coop_id}/officers").json() == officers
        assert client.get(f"/api/v1/cooperatives/{coop_id}/legal-events").json() == history


def test_an_office_cannot_register_a_cooperative_outside_its_region(client, login_as):
    response = client.post(
        "/api/v1/cooperatives",
        json={"name": "Kop Merabu", "village_code": "64.03.01.2001"},
        headers=login_as(Role.officer, KUKAR),
    )
    assert_problem(response, 422, field="village_code")


def test_stats_default_to_the_callers_region(client, login_as):
    create_cooperative(client)
    body = client.get("/api/v1/stats/legal-progress", headers=login_as(Role.viewer, KUKAR)).json()
    assert body["region"] == KUKAR and len(body["rows"]) == 20


def test_the_cooperative_role_sees_and_edits_only_its_own_documented_fields(client, login_as):
    own = create_cooperative(client)
    other = create_cooperative(client, village_code="64.02.12.2002", name="Kop Long Lalang")
    headers = login_as(Role.cooperative, KUKAR, own["id"])

    listed = client.get("/api/v1/cooperatives", headers=headers).json()["items"]
    assert [c["id"] for c in listed] == [own["id"]]
    assert_problem(client.get(f"/api/v1/cooperatives/{other['id']}", headers=headers), 404)
    assert_problem(
        client.patch(
            f"/api/v1/cooperatives/{other['id']}", json={"members_male": 1}, headers=headers
        ),
        404,
    )

    own_url = f"/api/v1/cooperatives/{own['id']}"
    allowed = client.patch(
        own_url,
        json={
            "members_male": 77,
            "contact_phone": "0812-9999-0000",
            "business_units": ["logistik"],
        },
        headers=if_match(client, own_url, headers),
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["members_male"] == 77
    for field, value in [("name", "Renamed"), ("npwp", None), ("is_active", True)]:
        refused = client.patch(
            f"/api/v1/cooperatives/{own['id']}", json={field: value}, headers=headers
        )
        assert_problem(refused, 403)
        assert field in refused.json()["detail"]
    assert client.get(f"/api/v1/cooperatives/{own['id']}").json()["name"] == own["name"]

    added = client.post(
        f"/api/v1/cooperatives/{own['id']}/officers",
        json={"body": "pengurus", "role": "bendahara", "name": "Rina"},
        headers=headers,
    )
    assert added.status_code == 201
    nik = client.get(
        f"/api/v1/cooperatives/{own['id']}/officers/{added.json()['id']}/nik", headers=headers
    )
    assert_problem(nik, 403)
    legal = client.post(
        f"/api/v1/cooperatives/{own['id']}/legal-events",
        json={"milestone": "nib", "occurred_on": "2025-08-01"},
        headers=headers,
    )
    assert_problem(legal, 403)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/api/v1/cooperatives", {"role": "admin"}, "role"),
        ("POST", "/api/v1/cooperatives", {"region_scope": ""}, "region_scope"),
        ("POST", "/api/v1/cooperatives", {"id": 7}, "id"),
        ("POST", "/api/v1/cooperatives", {"version": 3}, "version"),
        ("PATCH", "/api/v1/cooperatives/{id}", {"id": 7}, "id"),
        ("PATCH", "/api/v1/cooperatives/{id}", {"legal_stage": "operating"}, "legal_stage"),
        ("PATCH", "/api/v1/cooperatives/{id}", {"version": 3}, "version"),
        ("POST", "/api/v1/users", {"id": 1}, "id"),
        ("PATCH", "/api/v1/users/{user}", {"username": "root"}, "username"),
        ("PATCH", "/api/v1/users/{user}", {"is_demo": True}, "is_demo"),
        ("POST", "/api/v1/api-keys", {"key_hash": "x"}, "key_hash"),
    ],
)
def test_mass_assignment_is_refused(client, method, url, body, field):
    coop = create_cooperative(client)
    user_id = client.get("/api/v1/users").json()["items"][0]["id"]
    url = url.format(id=coop["id"], user=user_id)
    if method == "POST" and url.endswith("/cooperatives"):
        body = {"name": "X", "village_code": "64.02.12.2002", **body}
    assert_problem(client.request(method, url, json=body), 422, field=field)
    assert client.get(f"/api/v1/cooperatives/{coop['id']}").json() == coop
