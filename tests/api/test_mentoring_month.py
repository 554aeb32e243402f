"""August 2025 at the Kukar office, walked through the API, then read back as the office
reads it: the mentoring figures per district and an officer's calendar."""

from icalendar import Calendar

from app.models.account import Role
from tests.factories import create_budget_line, if_match

WITA = "+08:00"


def _post(client, url, body, headers, status=201):
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def _consult(client, officer, coop_id, day, channel, topics, follow_ups=()):
    return _post(
        client,
        "/api/v1/consultations",
        {
            "cooperative_id": coop_id,
            "channel": channel,
            "topics": topics,
            "occurred_at": f"2025-08-{day:02d}T10:00:00{WITA}",
            "duration_minutes": 60,
            "summary": "…",
            "advice": "…",
            "follow_ups": list(follow_ups),
        },
        officer,
    )


def _step(client, officer, training_id, to, day, status=201):
    response = client.post(
        f"/api/v1/trainings/{training_id}/transitions",
        json={"to": to, "occurred_on": f"2025-08-{day:02d}"},
        headers=officer,
    )
    assert response.status_code == status, response.text


def test_a_month_of_mentoring(client, login_as, load_demo):
    load_demo()
    officer = login_as(Role.officer, "64.02")

    def coops(district):
        items = client.get(
            "/api/v1/cooperatives", params={"region": district}, headers=officer
        ).json()["items"]
        return [c["id"] for c in items]

    tenggarong, badak = coops("64.02.06"), coops("64.02.05")
    a, b = tenggarong[:2]
    c, d = badak[:2]

    # Walk-ins and a phone call in Tenggarong, field visits in Muara Badak.
    first = _consult(
        client,
        officer,
        a,
        4,
        "walk_in",
        ["rat", "bookkeeping"],
        [
            {
                "description": "Send the RAT template",
                "responsible": "officer",
                "due_date": "2025-08-08",
            },
            {
                "description": "Check the 2024 ledger",
                "responsible": "officer",
                "due_date": "2025-08-15",
            },
        ],
    )
    _consult(client, officer, b, 5, "walk_in", ["legalitas"])
    _consult(client, officer, a, 11, "walk_in", ["tax"])
    visit = _consult(
        client,
        officer,
        c,
        12,
        "field_visit",
        ["business_plan"],
        [
            {
                "description": "Review the gerai plan",
                "responsible": "officer",
                "due_date": "2099-01-01",
            },
        ],
    )
    _consult(client, officer, d, 19, "field_visit", ["simpan_pinjam"])
    _consult(client, officer, a, 20, "phone", ["financing"])
    template, ledger = (f["id"] for f in first["follow_ups"])
    url = f"/api/v1/follow-ups/{template}"
    done = client.patch(
        url, json={"status": "done", "outcome": "sent"}, headers=if_match(client, url, officer)
    )
    assert done.status_code == 200

    # Cooperative B asks for help online; the office accepts, and it takes place on the 27th.
    own = login_as(Role.cooperative, "64.02", b)
    request = _post(
        client,
        "/api/v1/consultations",
        {
            "channel": "online",
            "topics": ["digital"],
            "summary": "SIMKOPDES account locked",
        },
        own,
    )
    _post(client, f"/api/v1/consultations/{request['id']}/accept", {}, officer, status=200)
    url = f"/api/v1/consultations/{request['id']}"
    held = client.patch(
        url,
        json={"status": "held", "occurred_at": f"2025-08-27T09:00:00{WITA}"},
        headers=if_match(client, url, officer),
    )
    assert held.status_code == 200

    # A training in Tenggarong goes from waiting for budget to held, with attendance.
    line = create_budget_line(client, original_ceiling=60_000_000)
    training = _post(
        client,
        "/api/v1/trainings",
        {
            "budget_line_id": line["id"],
            "title": "Peningkatan kapasitas pengurus",
            "region_code": "64.02.06",
            "capacity": 10,
            "estimated_cost": 35_000_000,
            "topics": ["rat", "bookkeeping"],
            "planned_start": "2025-08-25",
            "planned_end": "2025-08-26",
        },
        officer,
    )
    tid = training["id"]
    _step(client, officer, tid, "scheduled", 5, status=409)  # not funded yet
    _step(client, officer, tid, "funded", 5)
    _post(
        client, f"/api/v1/trainings/{tid}/invitations", {"cooperative_id": a, "seats": 3}, officer
    )
    _post(
        client, f"/api/v1/trainings/{tid}/invitations", {"cooperative_id": b, "seats": 2}, officer
    )
    _step(client, officer, tid, "scheduled", 10)
    _post(
        client,
        f"/api/v1/trainings/{tid}/attendance",
        {
            "attendees": [
                {"name": "Siti", "role": "ketua", "cooperative_id": a},
                {"name": "Rudi", "role": "bendahara", "cooperative_id": a},
                {"name": "Nur", "role": "sekretaris", "cooperative_id": a},
                {"name": "Joko", "role": "ketua", "cooperative_id": b},
                {"name": "Dewi", "role": "pengawas", "cooperative_id": b, "attended": False},
            ]
        },
        officer,
    )
    _step(client, officer, tid, "held", 26)

    # Another training has its money and waits for next year's dates.
    upcoming = _post(
        client,
        "/api/v1/trainings",
        {
            "budget_line_id": line["id"],
            "title": "Pembukuan koperasi",
            "region_code": "64.02.06",
            "capacity": 30,
            "estimated_cost": 20_000_000,
            "planned_start": "2099-03-01",
            "planned_end": "2099-03-02",
        },
        officer,
    )
    _step(client, officer, upcoming["id"], "funded", 28)

    stats = client.get(
        "/api/v1/stats/mentoring",
        params={"region": "64.02", "from": "2025-08-01", "to": "2025-08-31"},
        headers=officer,
    ).json()
    rows = {row["code"]: row for row in stats["rows"]}
    assert len(rows) == 20
    town = rows["64.02.06"]
    assert town["consultations"] == 5
    assert {k: v for k, v in town["by_channel"].items() if v} == {
        "walk_in": 3,
        "phone": 1,
        "online": 1,
    }
    assert {k: v for k, v in town["by_topic"].items() if v} == {
        "rat": 1,
        "bookkeeping": 1,
        "legalitas": 1,
        "tax": 1,
        "financing": 1,
        "digital": 1,
    }
    assert town["cooperatives"] == 14
    assert town["cooperatives_without_contact"] == 12  # all but A and B
    assert (town["follow_ups_open"], town["follow_ups_overdue"]) == (1, 1)  # the ledger
    assert {k: v for k, v in town["trainings_by_status"].items() if v} == {"held": 1, "funded": 1}
    assert town["people_trained"] == 4  # the no-show does not count
    coast = rows["64.02.05"]
    assert (coast["consultations"], coast["by_channel"]["field_visit"]) == (2, 2)
    assert (coast["follow_ups_open"], coast["follow_ups_overdue"]) == (1, 0)
    assert coast["cooperatives_without_contact"] == coast["cooperatives"] - 2
    assert rows["64.02.12"]["consultations"] == 0
    assert sum(row["cooperatives"] for row in rows.values()) == 237

    # Both trainings hold their cost on the line: 35 + 20 million of 60.
    line = client.get(f"/api/v1/budget-lines/{line['id']}").json()
    assert (line["committed"], line["available"]) == (55_000_000, 5_000_000)

    feed = client.get("/api/v1/calendar.ics", params={"officer": "me"}, headers=officer)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {
        f"follow-up-{ledger}@kopdes",  # open, overdue: still on the calendar
        f"follow-up-{visit['follow_ups'][0]['id']}@kopdes",
        f"training-{upcoming['id']}@kopdes",  # the held one is past
    }
