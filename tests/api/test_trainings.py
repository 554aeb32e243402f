"""Trainings through HTTP: the funding state machine, invitations and attendance under the
capacity, and who may see and change what."""

import re
import uuid
from datetime import date, timedelta

from app.access.permissions import ROLE_PERMISSIONS, ROUTE_PERMISSIONS, Permission
from app.models.account import ApiScope, Role
from tests.factories import assert_problem, create_budget_line, create_cooperative, if_match
from tests.races import overlapping_pairs, race

KUKAR, KUBAR = "64.02", "64.03"
TENGGARONG = "64.02.06"
TODAY = date.today().isoformat()


def training_body(**overrides):
    body = {
        "title": "Pembukuan koperasi dasar",
        "topics": ["bookkeeping", "rat"],
        "modules": ["Jurnal umum", "Neraca dan SHU"],
        "venue": "Aula Diskop UMKM Kukar, Tenggarong",
        "region_code": TENGGARONG,
        "planned_start": "2025-09-15",
        "planned_end": "2025-09-17",
        "capacity": 30,
        "estimated_cost": 45_000_000,
    }
    body.update(overrides)
    return body


def budget_line_for(client, region_code):
    """A roomy 2025 line of the region's office, so that trainings can be funded."""
    office = region_code[:5]
    for line in client.get("/api/v1/budget-lines", params={"page_size": 200}).json()["items"]:
        if line["region_code"] == office:
            return line["id"]
    return create_budget_line(client, region_code=office, original_ceiling=10**12)["id"]


def create_training(client, headers=None, **overrides):
    if "region_code" not in overrides or len(overrides["region_code"]) >= 5:
        overrides.setdefault(
            "budget_line_id", budget_line_for(client, overrides.get("region_code", TENGGARONG))
        )
    response = client.post("/api/v1/trainings", json=training_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def move(client, training_id, to, occurred_on=TODAY, headers=None, **extra):
    return client.post(
        f"/api/v1/trainings/{training_id}/transitions",
        json={"to": to, "occurred_on": occurred_on, **extra},
        headers=headers,
    )


def moved(client, training_id, *steps):
    for to in steps:
        response = move(client, training_id, to)
        assert response.status_code == 201, response.text
    return client.get(f"/api/v1/trainings/{training_id}").json()


def change(client, training_id, body):
    """PATCH the training with the ETag of a fresh read."""
    url = f"/api/v1/trainings/{training_id}"
    return client.patch(url, json=body, headers=if_match(client, url))


def invite(client, training_id, headers=None, **body):
    return client.post(f"/api/v1/trainings/{training_id}/invitations", json=body, headers=headers)


def attend(client, training_id, *attendees, headers=None):
    return client.post(
        f"/api/v1/trainings/{training_id}/attendance",
        json={"attendees": list(attendees)},
        headers=headers,
    )


def audit_events(client, request_id):
    response = client.get("/api/v1/audit-events", params={"request_id": request_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_training_goes_from_waiting_to_held_with_attendance(client):
    coop = create_cooperative(client)
    training = create_training(client)
    assert training["status"] == "waiting_for_budget"
    assert training["allowed_transitions"] == ["funded", "cancelled"]
    assert (training["seats_invited"], training["attendees"], training["transitions"]) == (0, 0, [])
    assert training["estimated_cost"] == 45_000_000
    tid = training["id"]

    assert invite(client, tid, cooperative_id=coop["id"], seats=3).status_code == 201
    assert invite(client, tid, person_name="Bu Rahma (pendamping)").status_code == 201

    steps = [("funded", "2025-08-01"), ("scheduled", "2025-08-20"), ("held", "2025-09-17")]
    for to, day in steps:
        request_id = str(uuid.uuid4())
        response = move(
            client, tid, to, day, headers={"X-Request-ID": request_id}, note=f"now {to}"
        )
        assert response.status_code == 201, response.text
        (event,) = audit_events(client, request_id)
        assert (event["action"], event["resource_type"], event["resource_id"]) == (
            "training.transition",
            "training",
            str(tid),
        )
        assert event["region_code"] == TENGGARONG
        assert event["after"]["to_status"] == to and event["after"]["occurred_on"] == day
        if to == "scheduled":
            # On the day, attendance is taken: two came, one sent word she could not.
            recorded = attend(
                client,
                tid,
                {"name": "Siti Aminah", "role": "ketua", "cooperative_id": coop["id"]},
                {"name": "Budi", "role": "bendahara", "cooperative_id": coop["id"]},
                {"name": "Rina", "cooperative_id": coop["id"], "attended": False},
            )
            assert recorded.status_code == 201, recorded.text
            assert [a["name"] for a in recorded.json()] == ["Siti Aminah", "Budi", "Rina"]

    held = client.get(f"/api/v1/trainings/{tid}").json()
    assert held["status"] == "held" and held["allowed_transitions"] == []
    assert [(t["from_status"], t["to_status"], t["occurred_on"]) for t in held["transitions"]] == [
        ("waiting_for_budget", "funded", "2025-08-01"),
        ("funded", "scheduled", "2025-08-20"),
        ("scheduled", "held", "2025-09-17"),
    ]
    assert {t["actor"] for t in held["transitions"]} == {"user:test-admin"}
    assert held["transitions"][0]["note"] == "now funded"
    assert (held["seats_invited"], held["attendees"]) == (4, 2)

    # A late sign-in sheet can still be recorded once held.
    late = attend(client, tid, {"name": "Yusuf", "cooperative_id": coop["id"]})
    assert late.status_code == 201, late.text
    listed = client.get(f"/api/v1/trainings/{tid}/attendance").json()["items"]
    assert [(a["name"], a["attended"]) for a in listed] == [
        ("Siti Aminah", True),
        ("Budi", True),
        ("Rina", False),
        ("Yusuf", True),
    ]
    assert all("nik" not in a for a in listed)
    trail = client.get(
        "/api/v1/audit-events", params={"resource_type": "training", "resource_id": str(tid)}
    ).json()["items"]
    actions = [e["action"] for e in trail]
    for action in ("training.create", "training.invite", "training.attendance"):
        assert action in actions

    # Held is history: it is not changed any more.
    assert_problem(change(client, tid, {"title": "Renamed"}), 409)
    assert_problem(invite(client, tid, person_name="Latecomer"), 409)
    refused = assert_problem(move(client, tid, "cancelled"), 409)
    assert "allowed from held: nothing" in refused["detail"]


def test_illegal_transitions_are_409s_naming_the_allowed_ones(client):
    training = create_training(client, planned_start=None, planned_end=None)
    tid = training["id"]

    refused = assert_problem(move(client, tid, "scheduled"), 409)
    assert "allowed from waiting_for_budget: funded, cancelled" in refused["detail"]
    assert refused["allowed_transitions"] == ["funded", "cancelled"]
    assert_problem(move(client, tid, "held"), 409)
    assert_problem(move(client, tid, "waiting_for_budget"), 409)

    moved(client, tid, "funded")
    no_dates = assert_problem(move(client, tid, "scheduled"), 409)
    assert "planned_start" in no_dates["detail"]
    refused = assert_problem(move(client, tid, "held"), 409)
    assert "allowed from funded: scheduled, cancelled" in refused["detail"]

    # Dated steps keep their order, and only what has happened is recorded.
    assert_problem(move(client, tid, "cancelled", "2000-01-01"), 422, field="occurred_on")
    future = (date.today() + timedelta(days=3)).isoformat()
    assert_problem(move(client, tid, "cancelled", future), 422, field="occurred_on")
    assert_problem(move(client, tid, "postponed"), 422, field="to")

    cancelled = moved(client, tid, "cancelled")
    assert cancelled["status"] == "cancelled"
    assert [t["to_status"] for t in cancelled["transitions"]] == ["funded", "cancelled"]
    refused = assert_problem(move(client, tid, "funded"), 409)
    assert "allowed from cancelled: nothing" in refused["detail"]
    assert_problem(change(client, tid, {"capacity": 5}), 409)

    # Cancelling works from any state before held.
    for steps in ([], ["funded"], ["funded", "scheduled"]):
        other = create_training(client)
        moved(client, other["id"], *steps)
        assert moved(client, other["id"], "cancelled")["status"] == "cancelled"


def test_invitations_never_exceed_the_capacity(client):
    coop_a = create_cooperative(client)
    coop_b = create_cooperative(client, village_code="64.02.12.2002", name="Kop Long Lalang")
    tid = create_training(client, capacity=20)["id"]

    assert invite(client, tid, cooperative_id=coop_a["id"], seats=15).status_code == 201
    over = assert_problem(invite(client, tid, cooperative_id=coop_b["id"], seats=6), 409)
    assert "capacity 20, 15 already invited, 5 free, 6 asked" in over["detail"]
    again = assert_problem(invite(client, tid, cooperative_id=coop_a["id"], seats=1), 409)
    assert "already invited" in again["detail"] and again["existing_id"]
    assert invite(client, tid, cooperative_id=coop_b["id"], seats=5).status_code == 201
    assert_problem(invite(client, tid, person_name="Pak Camat"), 409)

    both = invite(client, tid, cooperative_id=coop_a["id"], person_name="X")
    assert_problem(both, 422, field="cooperative_id")
    assert_problem(invite(client, tid, seats=2), 422, field="cooperative_id")
    assert_problem(invite(client, tid, person_name="Pak Lurah", seats=3), 422, field="seats")
    assert_problem(invite(client, tid, cooperative_id=999_999), 422, field="cooperative_id")

    shrink = assert_problem(change(client, tid, {"capacity": 19}), 409)
    assert "20 seats already taken" in shrink["detail"]
    training = client.get(f"/api/v1/trainings/{tid}").json()
    assert (training["capacity"], training["seats_invited"]) == (20, 20)
    invitations = client.get(f"/api/v1/trainings/{tid}/invitations").json()["items"]
    assert [(i["cooperative_id"], i["seats"]) for i in invitations] == [
        (coop_a["id"], 15),
        (coop_b["id"], 5),
    ]


def test_attendance_needs_a_scheduled_training_and_fits_the_capacity(client):
    tid = create_training(client, capacity=3)["id"]
    early = assert_problem(attend(client, tid, {"name": "Siti"}), 409)
    assert "scheduled or held" in early["detail"]
    moved(client, tid, "funded")
    assert_problem(attend(client, tid, {"name": "Siti"}), 409)
    moved(client, tid, "scheduled")

    four = [{"name": name} for name in ("Siti", "Budi", "Rina", "Yusuf")]
    over = assert_problem(attend(client, tid, *four), 409)
    assert "capacity 3" in over["detail"]
    assert client.get(f"/api/v1/trainings/{tid}/attendance").json()["items"] == []  # all or none

    # No-shows are on the list but take no seat.
    assert attend(client, tid, *four[:2], {"name": "Rina", "attended": False}).status_code == 201
    assert attend(client, tid, {"name": "Yusuf"}).status_code == 201
    full = assert_problem(attend(client, tid, {"name": "Ahmad"}), 409)
    assert "3 already attended" in full["detail"]
    retried = assert_problem(attend(client, tid, {"name": "siti"}), 409)
    assert "already on the attendance list" in retried["detail"]
    assert_problem(attend(client, tid, {"name": "A", "cooperative_id": 999_999}), 422)
    assert_problem(client.post(f"/api/v1/trainings/{tid}/attendance", json={"attendees": []}), 422)
    assert client.get(f"/api/v1/trainings/{tid}").json()["attendees"] == 3


def test_bad_dates_and_amounts_are_422s_naming_the_field(client):
    checks = [
        ({"planned_start": "2025-09-17", "planned_end": "2025-09-15"}, "planned_end"),
        ({"planned_start": None, "planned_end": "2025-09-15"}, "planned_start"),
        ({"planned_start": "2025-09-15", "planned_end": None}, "planned_end"),
        ({"planned_start": "2025-02-30"}, "planned_start"),
        ({"estimated_cost": 1.5}, "estimated_cost"),
        ({"estimated_cost": "45000000"}, "estimated_cost"),
        ({"estimated_cost": -1}, "estimated_cost"),
        ({"capacity": 0}, "capacity"),
        ({"region_code": "64.02.99"}, "region_code"),
        ({"region_code": "Tenggarong"}, "region_code"),
        ({"status": "funded"}, "status"),
    ]
    for overrides, field in checks:
        response = client.post("/api/v1/trainings", json=training_body(**overrides))
        assert_problem(response, 422, field=field)

    tid = create_training(client)["id"]
    url = f"/api/v1/trainings/{tid}"
    assert_problem(change(client, tid, {"planned_end": "2025-09-01"}), 422, field="planned_end")
    assert_problem(client.patch(url, json={"title": None}), 422, field="title")
    assert_problem(client.patch(url, json={"region_code": KUBAR}), 422, field="region_code")
    changed = change(client, tid, {"planned_start": "2025-09-10", "venue": "Balai Desa"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["planned_start"], changed.json()["venue"]) == (
        "2025-09-10",
        "Balai Desa",
    )

    moved(client, tid, "funded", "scheduled")
    keeps = change(client, tid, {"planned_start": None, "planned_end": None})
    assert_problem(keeps, 422, field="planned_start")


def test_lists_filter_by_region_status_and_topic(client):
    tabang = create_training(client, region_code="64.02.12", topics=["tax"])
    tenggarong = create_training(client, topics=["rat", "tax"])
    regency = create_training(client, region_code=KUKAR, topics=["rat"])
    moved(client, tenggarong["id"], "funded")

    def ids(**params):
        response = client.get("/api/v1/trainings", params=params)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    assert ids() == [tabang["id"], tenggarong["id"], regency["id"]]
    assert ids(region="64.02.12") == [tabang["id"]]
    assert ids(region=KUKAR) == [tabang["id"], tenggarong["id"], regency["id"]]
    assert ids(region=KUBAR) == []
    assert ids(status="funded") == [tenggarong["id"]]
    assert ids(topic="rat") == [tenggarong["id"], regency["id"]]
    assert ids(topic="tax", status="waiting_for_budget") == [tabang["id"]]

    first = client.get("/api/v1/trainings", params={"page_size": 2, "total": True}).json()
    assert len(first["items"]) == 2 and first["total"] == 3
    rest = client.get("/api/v1/trainings", params={"page_size": 2, "cursor": first["next_cursor"]})
    assert [t["id"] for t in rest.json()["items"]] == [regency["id"]]
    reused = client.get(
        "/api/v1/trainings", params={"cursor": first["next_cursor"], "topic": "rat"}
    )
    assert_problem(reused, 400)
    assert_problem(client.get("/api/v1/trainings", params={"region": "64-02"}), 422, field="region")


def test_offices_cannot_reach_each_others_trainings(client, login_as):
    kukar_coop = create_cooperative(client)
    kubar_coop = create_cooperative(client, village_code="64.03.01.2001", name="Kop Merabu")
    kukar = create_training(client)
    province = create_training(client, region_code="64")  # the province office's
    tid = kukar["id"]
    for role in (Role.admin, Role.officer):
        headers = login_as(role, KUBAR)
        base = f"/api/v1/trainings/{tid}"
        for url in (base, base + "/invitations", base + "/attendance"):
            assert_problem(client.get(url, headers=headers), 404)
        assert_problem(client.patch(base, json={"title": "X"}, headers=headers), 404)
        assert_problem(move(client, tid, "funded", headers=headers), 404)
        assert_problem(invite(client, tid, person_name="X", headers=headers), 404)
        assert_problem(attend(client, tid, {"name": "X"}, headers=headers), 404)
        listed = client.get("/api/v1/trainings", headers=headers).json()["items"]
        assert listed == []
        outside = client.post("/api/v1/trainings", json=training_body(), headers=headers)
        assert_problem(outside, 422, field="region_code")

    kukar_officer = login_as(Role.officer, KUKAR)
    listed = client.get("/api/v1/trainings", headers=kukar_officer).json()["items"]
    assert [t["id"] for t in listed] == [tid]  # not the province-wide one
    assert_problem(client.get(f"/api/v1/trainings/{province['id']}", headers=kukar_officer), 404)
    # A cooperative of another region is answered like one that does not exist.
    other = assert_problem(
        invite(client, tid, cooperative_id=kubar_coop["id"], headers=kukar_officer),
        422,
        field="cooperative_id",
    )
    missing = assert_problem(
        invite(client, tid, cooperative_id=999_999, headers=kukar_officer),
        422,
        field="cooperative_id",
    )
    assert other["detail"].replace(str(kubar_coop["id"]), "N") == missing["detail"].replace(
        "999999", "N"
    )
    moved(client, tid, "funded", "scheduled")
    foreign = attend(
        client, tid, {"name": "X", "cooperative_id": kubar_coop["id"]}, headers=kukar_officer
    )
    assert_problem(foreign, 422, field="cooperative_id")
    ok = invite(client, tid, cooperative_id=kukar_coop["id"], headers=kukar_officer)
    assert ok.status_code == 201, ok.text
    assert client.get(f"/api/v1/trainings/{tid}").json()["seats_invited"] == 1
    assert_problem(move(client, tid, "held", headers=login_as(Role.admin, KUBAR)), 404)
    assert client.get(f"/api/v1/trainings/{tid}").json()["status"] == "scheduled"


def test_a_cooperative_sees_only_the_trainings_it_is_invited_to(client, login_as):
    own = create_cooperative(client)
    other = create_cooperative(client, village_code="64.02.12.2002", name="Kop Long Lalang")
    invited = create_training(client)
    not_invited = create_training(client, title="Simpan pinjam syariah")
    invite(client, invited["id"], cooperative_id=own["id"], seats=2)
    invite(client, invited["id"], cooperative_id=other["id"], seats=2)
    invite(client, invited["id"], person_name="Pak Camat Tabang")
    invite(client, not_invited["id"], cooperative_id=other["id"], seats=2)
    moved(client, invited["id"], "funded", "scheduled")
    attend(
        client,
        invited["id"],
        {"name": "Siti", "cooperative_id": own["id"]},
        {"name": "Budi", "cooperative_id": other["id"]},
    )
    headers = login_as(Role.cooperative, KUKAR, own["id"])

    listed = client.get("/api/v1/trainings", headers=headers).json()["items"]
    assert [t["id"] for t in listed] == [invited["id"]]
    assert client.get(f"/api/v1/trainings/{invited['id']}", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/trainings/{not_invited['id']}", headers=headers), 404)
    base = f"/api/v1/trainings/{invited['id']}"
    invitations = client.get(base + "/invitations", headers=headers).json()["items"]
    assert [(i["cooperative_id"], i["person_name"]) for i in invitations] == [(own["id"], None)]
    attendance = client.get(base + "/attendance", headers=headers).json()["items"]
    assert [a["name"] for a in attendance] == ["Siti"]
    assert_problem(invite(client, invited["id"], person_name="X", headers=headers), 403)
    assert_problem(attend(client, invited["id"], {"name": "X"}, headers=headers), 403)
    assert_problem(client.post("/api/v1/trainings", json=training_body(), headers=headers), 403)


def test_a_viewer_reads_but_does_not_write_and_integrations_see_no_trainings(client, login_as):
    tid = create_training(client)["id"]
    viewer = login_as(Role.viewer, KUKAR)
    assert client.get("/api/v1/trainings", headers=viewer).json()["items"][0]["id"] == tid
    assert client.get(f"/api/v1/trainings/{tid}", headers=viewer).status_code == 200
    for response in (
        client.post("/api/v1/trainings", json=training_body(), headers=viewer),
        client.patch(f"/api/v1/trainings/{tid}", json={"title": "X"}, headers=viewer),
        move(client, tid, "funded", headers=viewer),
        invite(client, tid, person_name="X", headers=viewer),
        attend(client, tid, {"name": "X"}, headers=viewer),
    ):
        assert_problem(response, 403)
    assert client.get(f"/api/v1/trainings/{tid}").json()["status"] == "waiting_for_budget"

    key = client.post(
        "/api/v1/api-keys",
        json={"name": "dashboard", "scopes": list(ApiScope), "region_scope": KUKAR},
    ).json()["key"]
    client.headers.pop("Authorization")  # an API key comes alone
    assert_problem(client.get("/api/v1/trainings", headers={"X-API-Key": key}), 403)


def test_every_training_and_calendar_route_follows_the_permission_table(client, login_as):
    """The role × route matrix of test_permissions, on these routes with a real training."""
    coop = create_cooperative(client)
    tid = create_training(client)["id"]
    invite(client, tid, cooperative_id=coop["id"])
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "all scopes", "scopes": list(ApiScope), "region_scope": KUKAR},
    ).json()["key"]
    identities = {role: login_as(role, KUKAR) for role in (Role.admin, Role.officer, Role.viewer)}
    identities[Role.cooperative] = login_as(Role.cooperative, KUKAR, coop["id"])
    client.headers.pop("Authorization")
    routes = {
        route: permission
        for route, permission in ROUTE_PERMISSIONS.items()
        if re.match(r"/api/v1/(trainings|calendar)", route[1])
    }
    assert len(routes) == 13
    for (method, template), permission in routes.items():
        url = template.replace("{training_id}", str(tid))
        body = {} if method in ("POST", "PATCH") else None
        anonymous = client.request(method, url, json=body)
        if permission is Permission.public:
            assert anonymous.status_code not in (401, 403), (method, template)
        else:
            assert anonymous.status_code == 401, (method, template)
        api_key = client.request(method, url, json=body, headers={"X-API-Key": key})
        if permission is not Permission.public:
            assert api_key.status_code == 403, (method, template)  # no stats-only leaks
        for role, headers in identities.items():
            response = client.request(method, url, json=body, headers=headers)
            if permission is Permission.public or permission in ROLE_PERMISSIONS[role]:
                assert response.status_code not in (401, 403, 500), (role, method, template)
            else:
                assert response.status_code == 403, (role, method, template)


def test_invitations_racing_for_the_last_seats_never_overbook(client):
    tid = create_training(client, capacity=5)["id"]
    url = f"/api/v1/trainings/{tid}/invitations"
    timed = race(
        client,
        [
            (
                "POST",
                url,
                {
                    "json": {"person_name": f"Peserta {n}"},
                    "headers": {"Idempotency-Key": str(uuid.uuid4())},
                },
            )
            for n in range(12)
        ],
    )
    assert overlapping_pairs(timed) > 0
    assert sorted(r.status_code for r, _, _ in timed) == [201] * 5 + [409] * 7
    assert client.get(f"/api/v1/trainings/{tid}").json()["seats_invited"] == 5
