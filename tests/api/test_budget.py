import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.models.account import Role
from tests.factories import NO_IDEMPOTENCY_KEY, assert_problem, create_budget_line
from tests.races import overlapping_pairs, race

MOVE = {
    "fiscal_year": 2025,
    "region_code": "64.02",
    "reason": "Notary fees of the kelurahan cooperatives (refocusing of BTT)",
    "legal_basis": "Inpres 1/2025; Perbup Kukar tentang pergeseran anggaran",
    "document_type": "pergeseran",
    "document_number": "900/123/BPKAD/2025",
    "document_date": "2025-06-10",
}


def key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def two_lines(client, source=100_000_000, target=10_000_000):
    btt = create_budget_line(
        client,
        sub_kegiatan_code="2.17.01.2.01.0001",
        kode_rekening="5.4.01.01.01.0001",
        name="Belanja Tidak Terduga",
        original_ceiling=source,
    )
    training = create_budget_line(client, original_ceiling=target)
    return btt, training


def draft(client, movements, headers=None, **overrides):
    body = {**MOVE, "movements": movements, **overrides}
    response = client.post("/api/v1/refocusings", json=body, headers={**key(), **(headers or {})})
    assert response.status_code == 201, response.text
    return response.json()


def line(client, line_id):
    return client.get(f"/api/v1/budget-lines/{line_id}").json()


def approved(client, login_as, movements):
    """A refocusing drafted and submitted by an officer, approved by the head of office."""
    officer = login_as(Role.officer, "64.02")
    refocusing = draft(client, movements, headers=officer)
    url = f"/api/v1/refocusings/{refocusing['id']}"
    assert client.post(url + "/submit", headers=officer).status_code == 200
    assert client.post(url + "/approve").status_code == 200
    return refocusing


def test_budget_lines_validate_their_codes_and_derive_their_amounts(client):
    created = create_budget_line(client)
    assert (created["current_ceiling"], created["committed"], created["available"]) == (
        100_000_000,
        0,
        100_000_000,
    )
    for field, value in [
        ("sub_kegiatan_code", "2.17.05.01.0001"),
        ("kode_rekening", "5.1.02.02"),
        ("original_ceiling", -1),
        ("original_ceiling", 1.5),
        ("fiscal_year", "2025"),
        ("region_code", "99"),
    ]:
        response = client.post(
            "/api/v1/budget-lines",
            json={
                "fiscal_year": 2025,
                "region_code": "64.02",
                "skpd": "Diskop",
                "sub_kegiatan_code": "2.17.05.2.01.0001",
                "sub_kegiatan_name": "x",
                "kode_rekening": "5.1.02.02.12.0001",
                "name": "x",
                "original_ceiling": 1,
                field: value,
            },
        )
        assert_problem(response, 422, field=field)
    assert_problem(
        client.post(
            "/api/v1/budget-lines",
            json={
                **{
                    k: created[k]
                    for k in (
                        "fiscal_year",
                        "region_code",
                        "skpd",
                        "sub_kegiatan_code",
                        "sub_kegiatan_name",
                        "kode_rekening",
                        "name",
                    )
                },
                "original_ceiling": 5,
            },
        ),
        409,
    )


def test_a_refocusing_from_draft_to_applied_and_reversed(client, login_as):
    btt, training = two_lines(client)
    refocusing = approved(
        client,
        login_as,
        [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 25_000_000}],
    )
    url = f"/api/v1/refocusings/{refocusing['id']}"
    assert client.get(url).json()["status"] == "approved"

    assert_problem(client.post(url + "/apply", headers=NO_IDEMPOTENCY_KEY), 400)
    applied = client.post(url + "/apply", headers=key())
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied" and applied.json()["applied_by"]
    assert line(client, btt["id"])["current_ceiling"] == 75_000_000
    assert line(client, training["id"])["current_ceiling"] == 35_000_000
    assert_problem(client.post(url + "/apply", headers=key()), 409)  # once only

    summary = client.get("/api/v1/budget/summary", params={"fiscal_year": 2025}).json()
    assert summary["totals"]["original_ceiling"] == summary["totals"]["current_ceiling"]
    assert summary["totals"]["shifted_in"] == summary["totals"]["shifted_out"] == 25_000_000

    reversal = client.post(
        url + "/reverse",
        json={
            k: MOVE[k]
            for k in ("reason", "legal_basis", "document_type", "document_number", "document_date")
        },
    )
    assert reversal.status_code == 201, reversal.text
    reversal = reversal.json()
    assert reversal["reverses_id"] == refocusing["id"] and reversal["status"] == "draft"
    assert reversal["movements"][0]["from_line_id"] == training["id"]
    assert_problem(
        client.post(
            url + "/reverse",
            json={
                k: MOVE[k]
                for k in (
                    "reason",
                    "legal_basis",
                    "document_type",
                    "document_number",
                    "document_date",
                )
            },
        ),
        409,
    )
    assert client.get(url).json()["reversed_by_id"] == reversal["id"]


def test_drafts_are_edited_with_if_match(client):
    btt, training = two_lines(client)
    refocusing = draft(
        client, [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}]
    )
    url = f"/api/v1/refocusings/{refocusing['id']}"
    read = client.get(url)
    tag = read.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    change = {
        "movements": [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 2_000}]
    }
    assert_problem(client.patch(url, json=change), 428)
    edited = client.patch(url, json=change, headers={"If-Match": tag})
    assert edited.status_code == 200, edited.text
    assert edited.json()["total_moved"] == 2_000
    assert edited.headers["etag"] == client.get(url).headers["etag"] != tag
    stale = client.patch(url, json={"reason": "a later thought"}, headers={"If-Match": tag})
    assert_problem(stale, 412)
    assert client.get(url).json()["reason"] == MOVE["reason"]


def test_maker_checker_and_who_may_move_money(client, login_as):
    btt, training = two_lines(client)
    movements = [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1}]
    admin = login_as(Role.admin, "64.02")
    refocusing = draft(client, movements, headers=admin)
    url = f"/api/v1/refocusings/{refocusing['id']}"
    client.post(url + "/submit", headers=admin)
    assert_problem(client.post(url + "/approve", headers=admin), 403)  # their own
    assert_problem(client.post(url + "/approve", headers=login_as(Role.officer, "64.02")), 403)
    for role in (Role.viewer, Role.cooperative):
        headers = {**key(), **login_as(role, "64.02")}
        response = client.post(
            "/api/v1/refocusings", json={**MOVE, "movements": movements}, headers=headers
        )
        assert_problem(response, 403)
    assert client.post(url + "/approve").json()["approved_by"] == "user:test-admin"


def test_no_line_falls_below_what_it_holds(client, login_as):
    btt, training = two_lines(client, source=10_000_000)
    funded = client.post(
        "/api/v1/trainings",
        json={
            "title": "Pelatihan",
            "region_code": "64.02",
            "capacity": 10,
            "estimated_cost": 8_000_000,
            "budget_line_id": btt["id"],
        },
    ).json()
    moved = client.post(
        f"/api/v1/trainings/{funded['id']}/transitions",
        json={"to": "funded", "occurred_on": "2025-06-01"},
    )
    assert moved.status_code == 201, moved.text
    assert line(client, btt["id"])["available"] == 2_000_000
    refocusing = approved(
        client,
        login_as,
        [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 3_000_000}],
    )
    refused = client.post(f"/api/v1/refocusings/{refocusing['id']}/apply", headers=key())
    body = assert_problem(refused, 409)
    assert body["budget_line_id"] == btt["id"] and body["shortfall"] == 1_000_000
    assert line(client, btt["id"])["current_ceiling"] == 10_000_000  # nothing moved

    cancelled = client.post(
        f"/api/v1/trainings/{funded['id']}/transitions",
        json={"to": "cancelled", "occurred_on": "2025-06-02"},
    )
    assert cancelled.status_code == 201
    assert line(client, btt["id"])["available"] == 10_000_000  # released
    applied = client.post(f"/api/v1/refocusings/{refocusing['id']}/apply", headers=key())
    assert applied.status_code == 200, applied.text


def test_the_same_request_sent_again_has_one_effect(client, login_as):
    btt, training = two_lines(client)
    body = {
        **MOVE,
        "movements": [
            {"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 5_000_000}
        ],
    }
    headers = key()
    first = client.post("/api/v1/refocusings", json=body, headers=headers)
    again = client.post("/api/v1/refocusings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/refocusings", json={**body, "reason": "other"}, headers=headers)
    assert_problem(other, 422)
    listed = client.get("/api/v1/refocusings", params={"total": "true"}).json()
    assert listed["total"] == 1

    refocusing = approved(client, login_as, body["movements"])
    apply_key = key()
    timed = race(
        client,
        [("POST", f"/api/v1/refocusings/{refocusing['id']}/apply", {"headers": apply_key})] * 50,
    )
    assert overlapping_pairs(timed) > 0
    responses = [r for r, _, _ in timed]
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 409} and 200 in codes, codes
    successes = [r.json() for r in responses if r.status_code == 200]
    assert all(s == successes[0] for s in successes)
    # In flight duplicates got 409 and may retry; afterwards the key replays the one result.
    replay = client.post(f"/api/v1/refocusings/{refocusing['id']}/apply", headers=apply_key)
    assert replay.status_code == 200 and replay.json() == successes[0]
    assert line(client, btt["id"])["current_ceiling"] == 95_000_000  # moved exactly once


def test_the_database_itself_refuses_to_break_the_ledger(client, in_app_session):
    btt, _ = two_lines(client, source=1_000)

    def write(statement):
        async def run(session):
            await session.execute(text(statement))
            await session.commit()

        return run

    overdraw = (
        "INSERT INTO budget_entry (budget_line_id, kind, amount, created_at) "
        f"VALUES ({btt['id']}, 'shift_out', 1001, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(DBAPIError, match="below its commitments"):
        in_app_session(write(overdraw))
    allowed = overdraw.replace("1001", "1000")
    in_app_session(write(allowed))
    assert line(client, btt["id"])["current_ceiling"] == 0
    for statement in ("UPDATE budget_entry SET amount = 1", "DELETE FROM budget_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            in_app_session(write(statement))


def test_whoever_drafted_or_submitted_a_refocusing_may_not_approve_it(client, login_as):
    btt, training = two_lines(client)
    movements = [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1}]
    drafter = login_as(Role.admin, "64.02")
    refocusing = draft(client, movements, headers=drafter)
    url = f"/api/v1/refocusings/{refocusing['id']}"
    assert client.post(url + "/submit", headers=login_as(Role.officer, "64.02")).status_code == 200
    refused = assert_problem(client.post(url + "/approve", headers=drafter), 403)
    assert "drafted" in refused["detail"]
    assert client.post(url + "/approve").json()["approved_by"] == "user:test-admin"


def _approval_event(client, refocusing_id):
    (event,) = client.get(
        "/api/v1/audit-events",
        params={"action": "refocusing.approve", "resource_id": str(refocusing_id)},
    ).json()["items"]
    return event


def test_an_approval_through_an_account_the_maker_just_created_is_flagged(client, login_as):
    btt, training = two_lines(client)
    movements = [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1}]
    refocusing = draft(client, movements)  # the national test-admin drafts and submits
    url = f"/api/v1/refocusings/{refocusing['id']}"
    assert client.post(url + "/submit").status_code == 200
    created = client.post(
        "/api/v1/users",
        json={
            "username": "deputy",
            "password": "a long enough password",
            "role": "admin",
            "region_scope": "64.02",
        },
    )
    assert created.status_code == 201, created.text
    login = client.post(
        "/api/v1/auth/token", data={"username": "deputy", "password": "a long enough password"}
    )
    deputy = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.post(url + "/approve", headers=deputy).status_code == 200  # allowed, but
    assert _approval_event(client, refocusing["id"])["after"]["approver_created_by_maker"]

    usual = approved(client, login_as, movements)  # an officer's draft, the head approves
    assert _approval_event(client, usual["id"])["after"]["approver_created_by_maker"] is False
