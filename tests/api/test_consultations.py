import json
import re

from app.models.account import Role
from tests.factories import assert_problem, create_cooperative, if_match

WITA = "+08:00"


def consult(client, headers=None, **overrides):
    body = {
        "channel": "walk_in",
        "occurred_at": f"2025-08-04T09:30:00{WITA}",
        "duration_minutes": 45,
        "topics": ["bookkeeping", "rat"],
        "business_units": ["gerai_sembako"],
        "summary": "Ketua asked how to prepare the first RAT.",
        "advice": "Close the books by December; template given.",
        **overrides,
    }
    response = client.post("/api/v1/consultations", json=body, headers=headers or {})
    return response


def created(client, **overrides):
    response = consult(client, **overrides)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_walk_in_with_follow_ups(client):
    coop = create_cooperative(client)
    record = created(
        client,
        cooperative_id=coop["id"],
        follow_ups=[
            {
                "description": "Send RAT template",
                "responsible": "officer",
                "due_date": "2025-08-11",
            },
            {
                "description": "Bring 2024 ledger",
                "responsible": "cooperative",
                "due_date": "2099-01-01",
            },
        ],
    )
    assert record["status"] == "held"
    assert record["village_code"] == coop["village_code"]
    assert record["district_code"] == "64.02.12"
    assert record["topics"] == ["bookkeeping", "rat"]
    me = client.get("/api/v1/auth/me").json()
    assert record["officer_id"] == me["id"]  # the person who recorded it, by default
    first, second = record["follow_ups"]
    assert (first["status"], first["overdue"], first["officer_id"]) == ("open", True, me["id"])
    assert (second["overdue"], second["officer_id"]) == (False, None)
    assert client.get(f"/api/v1/consultations/{record['id']}").json() == record


def test_a_group_still_forming_needs_village_and_contact(client):
    record = created(
        client,
        channel="field_visit",
        village_code="64.02.12.2003",
        contact_name="Pak Yusuf",
        contact_phone="0813-5000-1234",
        latitude=0.47,
        longitude=116.0,
        topics=["legalitas"],
    )
    assert record["cooperative_id"] is None and record["contact_name"] == "Pak Yusuf"
    assert record["contact_phone"] == "+6281350001234"
    assert_problem(consult(client, contact_name="x"), 422, field="village_code")
    assert_problem(consult(client, village_code="64.02.12.2003"), 422, field="contact_name")
    assert_problem(
        consult(client, village_code="64.02.12.2003", contact_name="x", latitude=0.4),
        422,
        field="longitude",
    )
    assert_problem(
        consult(client, village_code="64.02.12.2003", contact_name="x", latitude=40, longitude=116),
        422,
        field="latitude",
    )


def test_bad_input(client):
    coop = create_cooperative(client)
    base = {"cooperative_id": coop["id"]}
    cases = [
        ({"occurred_at": "2999-01-01T10:00:00+08:00"}, "occurred_at"),
        ({"occurred_at": "2025-08-04T10:00:00"}, "occurred_at"),  # no time zone
        ({"occurred_at": None}, "occurred_at"),
        ({"channel": "telepathy"}, "channel"),
        ({"topics": ["astrology"]}, "topics"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"cooperative_id": 999}, "cooperative_id"),
        ({"village_code": "64.02.12.2002"}, "village_code"),  # not the cooperative's village
        ({"officer_id": 999}, "officer_id"),
        ({"status": "held"}, "status"),
        (
            {
                "follow_ups": [
                    {"description": "x", "responsible": "officer", "due_date": "2025-08-01"}
                ]
            },
            "due_date",
        ),  # due before the consultation itself
    ]
    for override, field in cases:
        assert_problem(consult(client, **{**base, **override}), 422, field=field)
    assert client.get("/api/v1/consultations", params={"total": "true"}).json()["total"] == 0


def test_filters_and_the_follow_up_worklist(client, login_as):
    coop = create_cooperative(client)
    other = create_cooperative(client, village_code="64.02.06.1001", name="Kop Jahab")
    officer = login_as(Role.officer, "64.02")
    officer_id = client.get("/api/v1/auth/me", headers=officer).json()["id"]
    walk_in = created(
        client,
        cooperative_id=coop["id"],
        headers=officer,
        follow_ups=[
            {"description": "Call back", "responsible": "officer", "due_date": "2025-08-20"},
        ],
    )
    visit = created(
        client,
        cooperative_id=other["id"],
        channel="field_visit",
        topics=["financing"],
        occurred_at=f"2025-08-18T13:00:00{WITA}",
    )

    def ids(**params):
        return [c["id"] for c in client.get("/api/v1/consultations", params=params).json()["items"]]

    assert ids() == [visit["id"], walk_in["id"]]  # newest first
    assert ids(channel="field_visit") == [visit["id"]]
    assert ids(topic="rat") == [walk_in["id"]]
    assert ids(region="64.02.06") == [visit["id"]]
    assert ids(cooperative_id=coop["id"]) == [walk_in["id"]]
    assert ids(**{"from": "2025-08-10"}) == [visit["id"]]
    assert ids(**{"to": "2025-08-04"}) == [walk_in["id"]]
    assert ids(officer=str(officer_id)) == [walk_in["id"]]
    mine = client.get("/api/v1/consultations", params={"officer": "me"}, headers=officer).json()
    assert [c["id"] for c in mine["items"]] == [walk_in["id"]]

    worklist = client.get(
        "/api/v1/follow-ups",
        params={"due_before": "2025-09-01", "status": "open", "officer": "me"},
        headers=officer,
    ).json()["items"]
    assert [f["description"] for f in worklist] == ["Call back"]
    assert worklist[0]["overdue"] is True
    assert client.get("/api/v1/follow-ups", params={"overdue": "false"}).json()["items"] == []


def test_follow_ups_page_in_due_order_at_every_scope(client, login_as):
    """A national admin, a regency's officer and the region, district and cooperative filters
    all page through the same follow-ups in due order (a regency's are found through its
    consultations, the whole country's through the due-date index)."""
    coop = create_cooperative(client, village_code="64.02.06.1002")
    due: dict[int, tuple[str, int]] = {}
    where: dict[int, str] = {}

    def follow_ups(days, **consultation):
        record = created(
            client,
            follow_ups=[
                {"description": "Kirim templat", "responsible": "officer", "due_date": day}
                for day in days
            ],
            **consultation,
        )
        for follow_up in record["follow_ups"]:
            due[follow_up["id"]] = (follow_up["due_date"], follow_up["id"])
            where[follow_up["id"]] = record["village_code"]

    for village, days in (
        ("64.02.12.2003", ["2025-08-12", "2025-08-05"]),
        ("64.03.01.2001", ["2025-08-05", "2025-08-09"]),
        ("64.02.06.1001", ["2025-08-05", "2025-08-20"]),
    ):
        follow_ups(days, village_code=village, contact_name="Pak Darto")
    follow_ups(["2025-08-05"], cooperative_id=coop["id"])

    def paged(headers=None, **params):
        seen, cursor = [], None
        while True:
            cursor_param = {"cursor": cursor} if cursor else {}
            page = client.get(
                "/api/v1/follow-ups",
                params={**params, "page_size": 1, **cursor_param},
                headers=headers or {},
            ).json()
            seen += [f["id"] for f in page["items"]]
            if not (cursor := page["next_cursor"]):
                return seen

    def in_due_order(region=""):
        return sorted((i for i in due if where[i].startswith(region)), key=due.get)

    assert paged() == in_due_order()
    assert paged(login_as(Role.officer, "64.02")) == in_due_order("64.02")
    assert paged(region="64.02") == in_due_order("64.02")
    assert paged(region="64.02.06") == in_due_order("64.02.06")
    assert paged(cooperative_id=coop["id"]) == in_due_order("64.02.06.1002")


def test_closing_follow_ups(client):
    record = created(
        client,
        village_code="64.02.12.2003",
        contact_name="Bu Rina",
        follow_ups=[
            {"description": "a", "responsible": "officer", "due_date": "2025-08-10"},
            {"description": "b", "responsible": "officer", "due_date": "2025-08-12"},
        ],
    )
    done_url, cancel_url = (f"/api/v1/follow-ups/{f['id']}" for f in record["follow_ups"])

    def change(url, body):
        return client.patch(url, json=body, headers=if_match(client, url))

    done = change(done_url, {"status": "done", "outcome": "ok"})
    assert done.status_code == 200 and done.json()["closed_on"] and not done.json()["overdue"]
    assert_problem(change(done_url, {"status": "open"}), 409)
    assert_problem(change(cancel_url, {"status": "cancelled"}), 422, field="cancel_reason")
    assert_problem(change(cancel_url, {"due_date": "2025-07-01"}), 422, field="due_date")
    cancelled = change(
        cancel_url, {"status": "cancelled", "cancel_reason": "cooperative merged"}
    ).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "cooperative merged"
    assert_problem(client.patch("/api/v1/follow-ups/999", json={"status": "done"}), 404)


def test_a_cooperative_requests_and_the_office_accepts(client, login_as):
    coop = create_cooperative(client)
    own = login_as(Role.cooperative, "64.02", coop["id"])
    request = consult(
        client,
        headers=own,
        channel="online",
        occurred_at=None,
        summary="We want help with our business plan.",
        advice=None,
        topics=["business_plan"],
    )
    assert request.status_code == 201, request.text
    request = request.json()
    assert request["status"] == "requested" and request["cooperative_id"] == coop["id"]
    assert request["officer_id"] is None
    assert_problem(
        consult(client, headers=own, advice="self-advice", occurred_at=None), 422, field="advice"
    )
    assert_problem(
        client.patch(f"/api/v1/consultations/{request['id']}", json={"summary": "x"}, headers=own),
        403,
    )

    officer = login_as(Role.officer, "64.02")
    url = f"/api/v1/consultations/{request['id']}"
    assert_problem(
        client.patch(url, json={"status": "held"}, headers=if_match(client, url, officer)), 409
    )
    accepted = client.post(url + "/accept", json={"note": "Thursday 10:00"}, headers=officer)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert_problem(client.post(url + "/decline", json={}, headers=officer), 409)
    held = client.patch(
        url,
        json={
            "status": "held",
            "occurred_at": f"2025-08-07T10:00:00{WITA}",
            "advice": "Use the SIMKOPDES template.",
        },
        headers=if_match(client, url, officer),
    )
    assert held.status_code == 200 and held.json()["status"] == "held"
    assert [c["id"] for c in client.get("/api/v1/consultations", headers=own).json()["items"]] == [
        request["id"]
    ]


def test_records_are_corrected_not_erased(client):
    record = created(client, village_code="64.02.12.2003", contact_name="Bu Rina")
    url = f"/api/v1/consultations/{record['id']}"
    assert_problem(client.delete(url), 422, field="reason")
    withdrawn = client.delete(
        url, params={"reason": "entered twice"}, headers=if_match(client, url)
    )
    assert withdrawn.status_code == 204
    assert_problem(client.get(url), 404)
    assert client.get("/api/v1/consultations").json()["items"] == []
    (event,) = client.get("/api/v1/audit-events", params={"action": "consultation.delete"}).json()[
        "items"
    ]
    assert event["after"] == {"deleted_reason": "entered twice"}
    assert event["before"]["contact_name"] == "Bu Rina"


def test_other_offices_and_roles(client, login_as):
    record = created(client, village_code="64.02.12.2003", contact_name="Bu Rina")
    kubar = login_as(Role.officer, "64.03")
    url = f"/api/v1/consultations/{record['id']}"
    assert_problem(client.get(url, headers=kubar), 404)
    assert_problem(client.patch(url, json={"summary": "x"}, headers=kubar), 404)
    assert_problem(client.delete(url, params={"reason": "mine now"}, headers=kubar), 404)
    assert client.get("/api/v1/consultations", headers=kubar).json()["items"] == []
    assert_problem(
        consult(client, headers=kubar, village_code="64.02.12.2003", contact_name="x"),
        422,
        field="village_code",
    )
    viewer = login_as(Role.viewer, "64.02")
    assert client.get(url, headers=viewer).status_code == 200
    assert_problem(
        consult(client, headers=viewer, village_code="64.02.12.2003", contact_name="x"), 403
    )
    assert client.get(url).json()["summary"] == record["summary"]


def test_an_officer_id_past_32_bits_is_refused_not_a_500(client):
    for path in ("/api/v1/consultations", "/api/v1/follow-ups", "/api/v1/exports/consultations"):
        response = client.get(path, params={"officer": "4143785743"})
        assert_problem(response, 422, field="officer")


def test_an_officer_outside_my_region_is_answered_as_one_that_does_not_exist(client, login_as):
    coop = create_cooperative(client)
    # A province officer's region covers the village, but the regency office cannot see
    # the account: naming it must tell the office nothing it would not learn from a bad id.
    province = client.get("/api/v1/auth/me", headers=login_as(Role.officer, "64")).json()["id"]
    kukar = login_as(Role.officer, "64.02")
    answers = []
    for officer_id in (province, 999_999):
        response = consult(client, headers=kukar, cooperative_id=coop["id"], officer_id=officer_id)
        problem = assert_problem(response, 422, field="officer_id")
        del problem["instance"], problem["request_id"]
        answers.append(re.sub(rf"\b{officer_id}\b", "<id>", json.dumps(problem)))
    assert answers[0] == answers[1]
