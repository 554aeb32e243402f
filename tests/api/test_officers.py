import re

from fastapi.testclient import TestClient

from app.main import create_app
from app.models.account import Role
from tests.conftest import settings_for
from tests.factories import VALID_NIK, assert_problem, create_cooperative, if_match


def _add(client, coop_id, **body):
    payload = {"body": "pengurus", "role": "ketua", "name": "Siti Rahman", **body}
    return client.post(f"/api/v1/cooperatives/{coop_id}/officers", json=payload)


def test_nik_is_validated_stored_and_only_ever_shown_masked(client):
    coop = create_cooperative(client)
    created = _add(client, coop["id"], nik=VALID_NIK, phone="0813 5555 1234")
    assert created.status_code == 201, created.text
    officer = created.json()
    assert officer["nik_masked"] == "6402********0001"
    assert officer["phone"] == "+6281355551234"
    assert "nik" not in officer

    url = f"/api/v1/cooperatives/{coop['id']}/officers/{officer['id']}"
    responses = [
        created,
        client.get(f"/api/v1/cooperatives/{coop['id']}/officers"),
        client.get(url),
        client.patch(url, json={"role": "ketua"}, headers=if_match(client, url)),
    ]
    for response in responses:
        assert VALID_NIK not in response.text
        assert not re.search(r"\b\d{16}\b", response.text.replace(coop["npwp"], ""))


def test_bad_officers_are_refused(client):
    coop = create_cooperative(client)
    assert_problem(_add(client, coop["id"], nik="6402123456789012"), 422, field="nik")
    assert_problem(_add(client, coop["id"], nik="640212530485"), 422, field="nik")
    assert_problem(_add(client, coop["id"], body="pengawas", role="bendahara"), 422, field="role")
    assert_problem(_add(client, coop["id"], role="raja"), 422, field="role")
    assert_problem(_add(client, coop["id"], name=""), 422, field="name")
    assert_problem(_add(client, coop["id"], nik_masked="x"), 422, field="nik_masked")
    listed = client.get(f"/api/v1/cooperatives/{coop['id']}/officers", params={"total": "true"})
    assert listed.json()["total"] == 0


def test_update_and_delete_stay_within_their_cooperative(client):
    coop = create_cooperative(client)
    other = create_cooperative(client, village_code="64.02.12.2002", name="Koperasi Long Lalang")
    officer = _add(client, coop["id"], body="pengawas", role="anggota").json()
    url = f"/api/v1/cooperatives/{coop['id']}/officers/{officer['id']}"

    assert_problem(client.get(f"/api/v1/cooperatives/{other['id']}/officers/{officer['id']}"), 404)
    assert_problem(
        client.delete(f"/api/v1/cooperatives/{other['id']}/officers/{officer['id']}"), 404
    )
    for body, field in [({"role": "sekretaris"}, "role"), ({"name": None}, "name")]:
        assert_problem(
            client.patch(url, json=body, headers=if_match(client, url)), 422, field=field
        )
    assert_problem(client.patch(url, json={"body": "pengurus"}), 422, field="body")

    changed = {"role": "ketua", "phone": "0812-1111-2222"}
    updated = client.patch(url, json=changed, headers=if_match(client, url)).json()
    assert (updated["role"], updated["phone"]) == ("ketua", "+6281211112222")
    assert client.delete(url, headers=if_match(client, url)).status_code == 204
    assert_problem(client.get(url), 404)


def test_officer_list_pages(client):
    coop = create_cooperative(client)
    for index in range(5):
        assert _add(client, coop["id"], name=f"Anggota {index}", role="anggota").status_code == 201
    first = client.get(
        f"/api/v1/cooperatives/{coop['id']}/officers", params={"page_size": 3}
    ).json()
    second = client.get(
        f"/api/v1/cooperatives/{coop['id']}/officers", params={"cursor": first["next_cursor"]}
    ).json()
    names = [o["name"] for o in first["items"] + second["items"]]
    assert names == [f"Anggota {i}" for i in range(5)]
    assert second["next_cursor"] is None


def _nik_url(client):
    coop = create_cooperative(client)
    officer = _add(client, coop["id"], nik=VALID_NIK).json()
    return f"/api/v1/cooperatives/{coop['id']}/officers/{officer['id']}/nik"


def test_a_full_nik_is_never_stored_by_a_cache(client):
    response = client.get(_nik_url(client))
    assert response.json()["nik"] == VALID_NIK
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    paths = client.get("/openapi.json").json()["paths"]
    operation = paths["/api/v1/cooperatives/{cooperative_id}/officers/{officer_id}/nik"]["get"]
    assert "Cache-Control" in operation["responses"]["200"]["headers"]


def test_full_nik_reads_are_limited_per_account_and_hour(database_url, client, login_as):
    url = _nik_url(client)
    mira, budi = login_as(Role.officer, "64.02"), login_as(Role.officer, "64.02")
    settings = settings_for(database_url, nik_reads_per_hour=3)
    with TestClient(create_app(settings), raise_server_exceptions=False) as worker:
        assert [worker.get(url, headers=mira).status_code for _ in range(3)] == [200] * 3
        for _ in range(2):
            refused = worker.get(url, headers=mira)
            assert_problem(refused, 429)
            assert 1 <= int(refused.headers["retry-after"]) <= 3600
        assert worker.get(url, headers=budi).status_code == 200  # each account counts its own
    mira_name = client.get("/api/v1/auth/me", headers=mira).json()["name"]
    events = client.get(
        "/api/v1/audit-events", params={"action": "officer.nik_read_limit_reached"}
    ).json()["items"]
    # Once per account and hour, however often it is refused meanwhile.
    assert [(e["actor"], e["outcome"]) for e in events] == [(f"user:{mira_name}", "refused")]
