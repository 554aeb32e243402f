"""Clients that lose the connection: every write is safe to retry (Idempotency-Key) and no
edit silently overwrites another (ETag, If-Match, If-None-Match), on every kind of record."""

import hashlib
import json
import uuid

import pytest

from app.models.account import Role
from app.models.idempotency import IdempotencyRecord
from tests.api.test_budget import MOVE, approved, draft, two_lines
from tests.api.test_consultations import WITA, created
from tests.api.test_trainings import create_training, moved, training_body
from tests.factories import (
    NO_IDEMPOTENCY_KEY,
    assert_problem,
    cooperative_body,
    create_budget_line,
    create_cooperative,
)
from tests.races import overlapping_pairs, race

DOCUMENT = {k: MOVE[k] for k in ("legal_basis", "document_type", "document_number")}
_CONSULT = {
    "channel": "walk_in",
    "occurred_at": f"2025-08-04T09:30:00{WITA}",
    "topics": ["rat"],
    "village_code": "64.02.12.2003",
    "contact_name": "Bu Rina",
}


def _officer(client):
    coop = create_cooperative(client)
    officer = client.post(
        f"/api/v1/cooperatives/{coop['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti", "phone": "0812-3456-7890"},
    ).json()
    return f"/api/v1/cooperatives/{coop['id']}/officers/{officer['id']}"


def _follow_up(client):
    follow_up = {"description": "a", "responsible": "officer", "due_date": "2099-08-10"}
    record = created(client, **_CONSULT, follow_ups=[follow_up])
    return f"/api/v1/follow-ups/{record['follow_ups'][0]['id']}"


def _user(client):
    body = {"username": "ani", "password": "a long password", "role": "viewer"}
    user = client.post("/api/v1/users", json={**body, "region_scope": "64.02"}).json()
    return f"/api/v1/users/{user['id']}"


def _api_key(client):
    body = {"name": "Dashboard", "scopes": ["stats:read"], "region_scope": "64.02"}
    return f"/api/v1/api-keys/{client.post('/api/v1/api-keys', json=body).json()['id']}"


def _refocusing(client):
    btt, training = two_lines(client)
    movement = {"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}
    return f"/api/v1/refocusings/{draft(client, [movement])['id']}"


# kind: (make a record and return its URL, a PATCH body or None, a DELETE query or None)
EDITABLE = {
    "cooperative": (
        lambda c: f"/api/v1/cooperatives/{create_cooperative(c)['id']}",
        {"members_male": 41},
        {},
    ),
    "officer": (_officer, {"name": "Siti Aminah"}, {}),
    "consultation": (
        lambda c: f"/api/v1/consultations/{created(c, **_CONSULT)['id']}",
        {"summary": "Corrected summary"},
        {"reason": "entered twice"},
    ),
    "follow-up": (_follow_up, {"description": "Send the RAT template"}, None),
    "training": (lambda c: f"/api/v1/trainings/{create_training(c)['id']}", {"capacity": 40}, None),
    "refocusing": (_refocusing, {"reason": "A better reason for the move"}, None),
    "user": (_user, {"role": "officer"}, None),
    "api key": (_api_key, None, {}),
}
READ_ONLY = {
    "budget line": lambda c: f"/api/v1/budget-lines/{create_budget_line(c)['id']}",
    "region": lambda c: "/api/v1/regions/64.02.12",
}


@pytest.mark.parametrize("kind", [*EDITABLE, *READ_ONLY])
def test_every_record_has_an_etag_and_answers_304_when_unchanged(client, kind):
    url = EDITABLE[kind][0](client) if kind in EDITABLE else READ_ONLY[kind](client)
    read = client.get(url)
    assert read.status_code == 200, read.text
    tag = read.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 16
    assert client.get(url).headers["ETag"] == tag  # the same state, the same tag

    for held in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        unchanged = client.get(url, headers={"If-None-Match": held})
        assert unchanged.status_code == 304, held
        assert unchanged.headers["ETag"] == tag and unchanged.content == b""
    changed = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.json() == read.json()


@pytest.mark.parametrize("kind", [k for k, (_, patch, _) in EDITABLE.items() if patch])
def test_a_patch_needs_the_current_etag(client, kind):
    make, patch, _ = EDITABLE[kind]
    url = make(client)
    before = client.get(url)
    tag = before.headers["ETag"]

    missing = assert_problem(client.patch(url, json=patch), 428)
    assert "If-Match" in missing["detail"] and "GET" in missing["detail"]
    for wrong in ('"not-its-etag"', f"W/{tag}", tag.strip('"')):
        stale = assert_problem(client.patch(url, json=patch, headers={"If-Match": wrong}), 412)
        assert "GET it again" in stale["detail"]
    assert client.get(url).json() == before.json()  # nothing changed

    changed = client.patch(url, json=patch, headers={"If-Match": f'"x", {tag}'})
    assert changed.status_code == 200, changed.text
    now = client.get(url)
    assert changed.headers["ETag"] == now.headers["ETag"] != tag
    assert changed.json() == now.json()
    # The first editor's tag is stale now: a second edit from the same read is refused.
    assert_problem(client.patch(url, json=patch, headers={"If-Match": tag}), 412)
    assert client.patch(url, json=patch, headers={"If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("kind", [k for k, (_, _, query) in EDITABLE.items() if query is not None])
def test_a_delete_needs_the_current_etag(client, kind):
    make, _, query = EDITABLE[kind]
    url = make(client)
    before = client.get(url)
    assert_problem(client.delete(url, params=query), 428)
    assert_problem(client.delete(url, params=query, headers={"If-Match": '"stale"'}), 412)
    assert client.get(url).json() == before.json()
    gone = client.delete(url, params=query, headers={"If-Match": before.headers["ETag"]})
    assert gone.status_code in (200, 204), gone.text
    if kind == "api key":  # revoked, kept for the trail
        assert client.get(url).json()["revoked_at"] is not None
    else:
        assert_problem(client.get(url), 404)


def test_201_answers_carry_the_etag_a_get_returns(client):
    created_coop = client.post("/api/v1/cooperatives", json=cooperative_body())
    url = f"/api/v1/cooperatives/{created_coop.json()['id']}"
    assert created_coop.headers["ETag"] == client.get(url).headers["ETag"]
    edited = client.patch(
        url, json={"members_male": 1}, headers={"If-Match": created_coop.headers["ETag"]}
    )
    assert edited.status_code == 200


def test_the_etag_is_the_callers_view_of_the_record(client, login_as):
    """A viewer sees phones masked: its representation, and so its ETag, differ."""
    url = _officer(client)
    viewer = login_as(Role.viewer, "64.02")
    mine, theirs = client.get(url), client.get(url, headers=viewer)
    assert "*" in theirs.json()["phone"] and mine.headers["ETag"] != theirs.headers["ETag"]
    officer = login_as(Role.officer, "64.02")
    assert client.get(url, headers=officer).headers["ETag"] == mine.headers["ETag"]


# --- Idempotency-Key --------------------------------------------------------------------------


def _consultation_request(client, login_as):
    coop = create_cooperative(client)
    own = login_as(Role.cooperative, "64.02", coop["id"])
    body = {"channel": "online", "topics": ["digital"], "summary": "SIMKOPDES account locked"}
    request = client.post("/api/v1/consultations", json=body, headers=own).json()
    return f"/api/v1/consultations/{request['id']}"


def _submitted(client, login_as):
    btt, training = two_lines(client)
    officer = login_as(Role.officer, "64.02")
    movement = {"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}
    url = f"/api/v1/refocusings/{draft(client, [movement], headers=officer)['id']}"
    assert client.post(url + "/submit", headers=officer).status_code == 200
    return url


def _approved(client, login_as):
    btt, training = two_lines(client)
    movement = {"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}
    return f"/api/v1/refocusings/{approved(client, login_as, [movement])['id']}"


def _applied(client, login_as):
    url = _approved(client, login_as)
    assert client.post(url + "/apply").status_code == 200
    return url


def _line_body(**overrides):
    return {
        "fiscal_year": 2025,
        "region_code": "64.02",
        "skpd": "Diskop Kukar",
        "sub_kegiatan_code": "2.17.05.2.01.0001",
        "sub_kegiatan_name": "Peningkatan Pemahaman Perkoperasian",
        "kode_rekening": "5.1.02.02.12.0001",
        "name": "Belanja Kursus Singkat/Pelatihan",
        "original_ceiling": 100_000_000,
        **overrides,
    }


def _coop_url(client):
    return f"/api/v1/cooperatives/{create_cooperative(client)['id']}"


def _training_url(client, *steps):
    tid = create_training(client)["id"]
    moved(client, tid, *steps)
    return f"/api/v1/trainings/{tid}"


def _refocusing_bodies(client, _):
    btt, training = two_lines(client)
    movement = {"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}
    body = {**MOVE, "movements": [movement]}
    return "/api/v1/refocusings", body, {**body, "reason": "Another reason for the move"}


_REVERSAL = {**DOCUMENT, "reason": "Undo", "document_date": "2025-07-01"}
_USER = {"password": "a long password", "role": "viewer", "region_scope": "64.02"}
_KEY = {"scopes": ["stats:read"], "region_scope": "64.02"}
_FOLLOW_UP = {"responsible": "officer", "due_date": "2099-08-10"}

# operation: (client, login_as) -> (URL, body, another body). Bodiless actions have no other
# body to send.
CREATES = {
    "cooperative": lambda c, _: (
        "/api/v1/cooperatives",
        cooperative_body(),
        cooperative_body(name="Koperasi Lain"),
    ),
    "legal event": lambda c, _: (
        _coop_url(c) + "/legal-events",
        {"milestone": "musdesus", "occurred_on": "2025-05-20"},
        {"milestone": "sosialisasi", "occurred_on": "2025-05-20"},
    ),
    "officer": lambda c, _: (
        _coop_url(c) + "/officers",
        {"body": "pengurus", "role": "ketua", "name": "Siti"},
        {"body": "pengurus", "role": "ketua", "name": "Rina"},
    ),
    "consultation": lambda c, _: (
        "/api/v1/consultations",
        {**_CONSULT, "summary": "RAT"},
        {**_CONSULT, "summary": "Tax"},
    ),
    "follow-up": lambda c, _: (
        f"/api/v1/consultations/{created(c, **_CONSULT)['id']}/follow-ups",
        {**_FOLLOW_UP, "description": "a"},
        {**_FOLLOW_UP, "description": "b"},
    ),
    "training": lambda c, _: (
        "/api/v1/trainings",
        training_body(),
        training_body(title="Lain"),
    ),
    "transition": lambda c, _: (
        _training_url(c) + "/transitions",
        {"to": "funded", "occurred_on": "2025-06-01"},
        {"to": "cancelled", "occurred_on": "2025-06-01"},
    ),
    "invitation": lambda c, _: (
        _training_url(c) + "/invitations",
        {"person_name": "A"},
        {"person_name": "B"},
    ),
    "attendance": lambda c, _: (
        _training_url(c, "funded", "scheduled") + "/attendance",
        {"attendees": [{"name": "A"}]},
        {"attendees": [{"name": "B"}]},
    ),
    "budget line": lambda c, _: (
        "/api/v1/budget-lines",
        _line_body(),
        _line_body(name="Belanja lain"),
    ),
    "user": lambda c, _: (
        "/api/v1/users",
        {**_USER, "username": "ani"},
        {**_USER, "username": "budi"},
    ),
    "api key": lambda c, _: (
        "/api/v1/api-keys",
        {**_KEY, "name": "Dashboard"},
        {**_KEY, "name": "Other"},
    ),
    "refocusing": _refocusing_bodies,
    "submit": lambda c, _: (_refocusing(c) + "/submit", None, None),
    "approve": lambda c, login_as: (_submitted(c, login_as) + "/approve", None, None),
    "apply": lambda c, login_as: (_approved(c, login_as) + "/apply", None, None),
    "reverse": lambda c, login_as: (
        _applied(c, login_as) + "/reverse",
        _REVERSAL,
        {**_REVERSAL, "reason": "Other"},
    ),
    "accept": lambda c, login_as: (
        _consultation_request(c, login_as) + "/accept",
        {"note": "Thu"},
        {"note": "Fri"},
    ),
    "decline": lambda c, login_as: (
        _consultation_request(c, login_as) + "/decline",
        {"note": "No"},
        {"note": "Never"},
    ),
}


def _events(client):
    """How many audit events there are: every write adds one."""
    total = client.get("/api/v1/audit-events", params={"total": "true"}).json()["total"]
    assert total > 0
    return total


@pytest.mark.parametrize("operation", CREATES)
def test_every_write_runs_once_per_idempotency_key(client, login_as, operation):
    url, body, other = CREATES[operation](client, login_as)

    assert_problem(client.post(url, json=body, headers=NO_IDEMPOTENCY_KEY), 400)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(url, json=body, headers=key)
    assert first.status_code in (200, 201), first.text
    assert "Idempotent-Replayed" not in first.headers
    events = _events(client)

    again = client.post(url, json=body, headers=key)
    assert again.status_code == first.status_code
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _events(client) == events  # nothing was done twice
    if operation == "api key":
        # The secret is never stored, so a replay cannot show it again.
        assert first.json()["key"] and "key" not in again.json()
        assert again.json() == {k: v for k, v in first.json().items() if k != "key"}
    else:
        assert again.json() == first.json()
    assert again.headers.get("ETag") == first.headers.get("ETag")
    if body is not None:
        # The same JSON written another way (keys in another order, other whitespace), as a
        # client that serialises the request anew when it retries sends it.
        rewritten = json.dumps(dict(reversed(body.items())), indent=2)
        json_key = {**key, "content-type": "application/json"}
        retried = client.post(url, content=rewritten, headers=json_key)
        assert retried.headers["Idempotent-Replayed"] == "true", retried.text
        assert _events(client) == events

    if other is not None:
        reused = assert_problem(client.post(url, json=other, headers=key), 422)
        assert reused["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        assert _events(client) == events


def test_a_key_stored_before_bodies_were_compared_as_json_still_replays(client, in_app_session):
    """Keys live 30 days: one claimed before the upgrade holds the digest of the bytes as they
    were sent, and the same bytes sent again get the stored answer."""
    sent = b'{"name": "Dashboard",  "scopes": ["stats:read"], "region_scope": "64.02"}'
    name = "POST /api/v1/api-keys"
    key = str(uuid.uuid4())

    async def store(session):
        session.add(
            IdempotencyRecord(
                actor="user:test-admin",
                key=key,
                operation=name,
                request_hash=hashlib.sha256(name.encode() + b"\n" + sent).hexdigest(),
                status="completed",
                response_status=201,
                response_body='{"id": 7, "name": "Dashboard"}',
            )
        )
        await session.commit()

    in_app_session(store)
    headers = {"Idempotency-Key": key, "content-type": "application/json"}
    replay = client.post("/api/v1/api-keys", content=sent, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {"id": 7, "name": "Dashboard"}
    other = client.post(
        "/api/v1/api-keys", content=sent.replace(b"Dash", b"Other"), headers=headers
    )
    assert_problem(other, 422)


def test_a_body_that_is_not_json_is_compared_by_its_bytes(client):
    url = _refocusing(client) + "/submit"  # takes no body: one sent is compared as it came
    headers = {"Idempotency-Key": str(uuid.uuid4()), "content-type": "text/plain"}
    assert client.post(url, content=b"a note", headers=headers).status_code == 200
    again = client.post(url, content=b"a note", headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert_problem(client.post(url, content=b"a  note", headers=headers), 422)


def test_a_create_raced_with_itself_under_one_key_happens_once(client):
    """A phone that resends before the first answer came: one record; the others wait (409)
    or get the stored answer."""
    body = cooperative_body(is_joint=True)  # so that a second record would be allowed
    key = {"Idempotency-Key": str(uuid.uuid4())}
    timed = race(client, [("POST", "/api/v1/cooperatives", {"json": body, "headers": key})] * 6)
    assert overlapping_pairs(timed) > 0
    responses = [r for r, _, _ in timed]
    statuses = [r.status_code for r in responses]
    assert 201 in statuses and set(statuses) <= {201, 409}, statuses
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    for waiting in (r for r in responses if r.status_code == 409):
        assert waiting.headers["Retry-After"] == "1"
    assert client.get("/api/v1/cooperatives", params={"total": "true"}).json()["total"] == 1
