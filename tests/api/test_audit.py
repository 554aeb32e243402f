import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.access.auth import Caller, user_principal
from app.models.account import Role
from app.services import audit
from app.services.cooperatives import require_cooperative
from tests.factories import (
    VALID_NIK,
    assert_problem,
    cooperative_body,
    create_cooperative,
    if_match,
)


def _events(client, **filters):
    response = client.get("/api/v1/audit-events", params=filters)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _request_id():
    return str(uuid.uuid4())


def test_every_write_leaves_an_event_per_record_with_masked_personal_data(client):
    request_id = _request_id()
    created = client.post(
        "/api/v1/cooperatives", json=cooperative_body(), headers={"X-Request-ID": request_id}
    ).json()
    (event,) = _events(client, request_id=request_id)
    assert (event["action"], event["resource_type"], event["resource_id"]) == (
        "cooperative.create",
        "cooperative",
        str(created["id"]),
    )
    assert event["actor"] == "user:test-admin" and event["role"] == "admin"
    assert event["region_code"] == created["village_code"]
    assert event["outcome"] == "success" and event["client_ip"]
    assert event["before"] is None
    assert event["after"]["contact_phone"] == "+62812*****890"  # masked in the trail

    update_id = _request_id()
    url = f"/api/v1/cooperatives/{created['id']}"
    client.patch(
        url,
        json={"members_male": 41},
        headers={"X-Request-ID": update_id, **if_match(client, url)},
    )
    (update,) = _events(client, request_id=update_id)
    assert update["before"]["members_male"] == 40 and update["after"]["members_male"] == 41

    officer_id = _request_id()
    officer = client.post(
        f"/api/v1/cooperatives/{created['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti", "nik": VALID_NIK},
        headers={"X-Request-ID": officer_id},
    ).json()
    (officer_event,) = _events(client, request_id=officer_id)
    assert officer_event["after"]["nik_masked"] == "6402********0001"
    assert VALID_NIK not in str(officer_event)

    delete_id = _request_id()
    client.delete(url, headers={"X-Request-ID": delete_id, **if_match(client, url)})
    # The officer goes with the cooperative, and its removal is audited as its own would be.
    events = _events(client, request_id=delete_id)
    assert sorted(e["action"] for e in events) == ["cooperative.delete", "officer.delete"]
    deleted = {e["action"]: e for e in events}
    assert deleted["cooperative.delete"]["after"] is None
    officer_deleted = deleted["officer.delete"]
    assert officer_deleted["resource_type"] == "officer"
    assert officer_deleted["resource_id"] == str(officer["id"])
    assert officer_deleted["region_code"] == created["village_code"]
    assert officer_deleted["before"]["nik_masked"] == "6402********0001"
    assert VALID_NIK not in str(officer_deleted)


def test_a_refused_write_leaves_no_event(client):
    request_id = _request_id()
    response = client.post(
        "/api/v1/cooperatives",
        json=cooperative_body(npwp="123"),
        headers={"X-Request-ID": request_id},
    )
    assert_problem(response, 422)
    create_cooperative(client)
    duplicate_id = _request_id()
    response = client.post(
        "/api/v1/cooperatives", json=cooperative_body(), headers={"X-Request-ID": duplicate_id}
    )
    assert_problem(response, 409)
    assert _events(client, request_id=request_id) == []
    assert _events(client, request_id=duplicate_id) == []


def test_an_event_is_written_only_if_its_transaction_commits(client, in_app_session):
    coop = create_cooperative(client)
    marker = _request_id()

    async def change_then_fail(session):
        principal = user_principal(
            {"sub": "1", "name": "test-admin", "role": "admin", "scope": "", "coop": None}
        )
        caller = Caller(principal=principal, request_id=marker, client_ip="127.0.0.1")
        cooperative = await require_cooperative(session, caller, coop["id"])
        cooperative.members_male = 999
        audit.record(
            session,
            caller,
            action="cooperative.update",
            resource_type="cooperative",
            resource_id=coop["id"],
            region_code=cooperative.village_code,
            after={"x": 1},
        )
        await session.flush()
        raise RuntimeError("the write fails before it commits")

    with pytest.raises(RuntimeError):
        in_app_session(change_then_fail)
    assert _events(client, request_id=marker) == []
    assert client.get(f"/api/v1/cooperatives/{coop['id']}").json()["members_male"] == 40


def test_full_nik_reads_are_gated_and_audited(client, login_as):
    coop = create_cooperative(client)
    officer = client.post(
        f"/api/v1/cooperatives/{coop['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti", "nik": VALID_NIK},
    ).json()
    url = f"/api/v1/cooperatives/{coop['id']}/officers/{officer['id']}/nik"
    for role in (Role.viewer, Role.cooperative):
        headers = login_as(role, "64.02", coop["id"] if role is Role.cooperative else None)
        assert_problem(client.get(url, headers=headers), 403)
    request_id = _request_id()
    response = client.get(
        url, headers={**login_as(Role.officer, "64.02"), "X-Request-ID": request_id}
    )
    assert response.json() == {"officer_id": officer["id"], "nik": VALID_NIK}
    (event,) = _events(client, request_id=request_id)
    assert event["action"] == "officer.nik_read" and event["role"] == "officer"
    assert event["resource_id"] == str(officer["id"])


def test_the_trail_is_append_only(client, in_app_session):
    create_cooperative(client)

    def tamper(statement):
        async def run(session):
            await session.execute(text(statement))
            await session.commit()

        return run

    for statement in ("UPDATE audit_event SET actor = 'someone else'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            in_app_session(tamper(statement))
    assert _events(client)[0]["actor"] == "user:test-admin"


def test_each_admin_reads_only_their_regions_trail_with_filters(client, login_as):
    create_cooperative(client)
    create_cooperative(client, village_code="64.03.01.2001", name="Kop Merabu")
    kubar_admin = login_as(Role.admin, "64.03")
    events = client.get("/api/v1/audit-events", headers=kubar_admin).json()["items"]
    assert {e["region_code"][:5] for e in events} == {"64.03"}
    assert _events(client, action="cooperative.create", actor="user:test-admin")
    assert _events(client, since="2099-01-01T00:00:00Z") == []
    assert_problem(client.get("/api/v1/audit-events", headers=login_as(Role.officer, "64.02")), 403)


def test_a_failed_login_keeps_only_the_start_of_a_name_that_is_no_account(client, account):
    account("ani", Role.officer, "64.02")
    typed = {
        "ani": "user:ani",  # an account's own name stays: the trail must say whose it was
        VALID_NIK: "user:64***",  # a NIK typed into the username field
        "Rahasia-Sekali-2025": "user:Ra***",  # a password typed into the wrong field
    }
    for username, actor in typed.items():
        request_id = _request_id()
        response = client.post(
            "/api/v1/auth/token",
            data={"username": username, "password": "wrong-password"},
            headers={"X-Request-ID": request_id},
        )
        assert_problem(response, 401)
        (event,) = _events(client, request_id=request_id)
        assert (event["action"], event["outcome"], event["actor"]) == (
            "auth.login",
            "failure",
            actor,
        )
