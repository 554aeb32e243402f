"""The officer's calendar feed: it parses as iCalendar, holds the right events, and can be
fetched with a bearer token or, for a phone calendar, with a feed token in the URL."""

import uuid
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from itsdangerous import URLSafeSerializer

from app.models.account import ApiScope, Role, UserAccount
from app.models.common import utcnow
from app.models.mentoring import Consultation, FollowUp
from tests.api.test_trainings import create_training, moved
from tests.conftest import TEST_PASSWORD
from tests.factories import NO_IDEMPOTENCY_KEY, assert_problem, create_cooperative, if_match

KUKAR = "64.02"
TODAY = date.today()
SOON = TODAY + timedelta(days=30)


def _day(offset):
    return (TODAY + timedelta(days=offset)).isoformat()


def _bearer(client, username):
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _events(body):
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    for event in events.values():
        assert event.get("DTSTAMP") is not None and event.get("SUMMARY")
    return events


def _trainings(client):
    """Upcoming in Kukar (in the feed) and the ones that are not."""
    scheduled = create_training(
        client, title="Pembukuan dasar", planned_start=_day(30), planned_end=_day(32)
    )
    moved(client, scheduled["id"], "funded", "scheduled")
    funded = create_training(
        client, title="RAT pertama", planned_start=_day(60), planned_end=_day(60)
    )
    moved(client, funded["id"], "funded")
    waiting = create_training(client, planned_start=_day(40), planned_end=_day(41))
    past = create_training(client, planned_start=_day(-20), planned_end=_day(-19))
    moved(client, past["id"], "funded", "scheduled")
    cancelled = create_training(client, planned_start=_day(45), planned_end=_day(45))
    moved(client, cancelled["id"], "funded", "cancelled")
    kubar = create_training(
        client, region_code="64.03.01", planned_start=_day(30), planned_end=_day(30)
    )
    moved(client, kubar["id"], "funded", "scheduled")
    return (scheduled, funded), (waiting, past, cancelled, kubar)


def _follow_ups(in_app_session, officer_id, other_officer_id, cooperative_id):
    """Follow-ups as the consultations service writes them (set up directly, so that this test
    does not depend on the consultations API's request shapes)."""

    def consultation(**fields):
        return Consultation(
            village_code="64.02.12.2001",
            district_code="64.02.12",
            regency_code=KUKAR,
            province_code="64",
            channel="walk_in",
            status="held",
            occurred_at=utcnow(),
            officer_id=officer_id,
            created_by="user:test",
            **fields,
        )

    async def write(session):
        seen = consultation(cooperative_id=cooperative_id)
        group = consultation(contact_name="Pak Yusuf", contact_phone="+6281350001234")
        erased = consultation(
            cooperative_id=cooperative_id,
            deleted_at=utcnow(),
            deleted_by="user:test",
            deleted_reason="entered twice",
        )
        session.add_all([seen, group, erased])
        await session.flush()

        def follow_up(consultation, description, due, officer=officer_id, status="open"):
            return FollowUp(
                consultation_id=consultation.id,
                description=description,
                responsible="officer",
                officer_id=officer,
                due_date=due,
                status=status,
            )

        mine = [
            follow_up(seen, "Send the RAT template", SOON),
            follow_up(
                group, "Call Pak Yusuf at 0813-5000-1234 about the deed", TODAY - timedelta(5)
            ),
        ]
        not_mine = [
            follow_up(seen, "Already done", SOON, status="done"),
            follow_up(seen, "Someone else's", SOON, officer=other_officer_id),
            follow_up(erased, "On a deleted record", SOON),
        ]
        session.add_all(mine + not_mine)
        await session.commit()
        return [f.id for f in mine], [f.id for f in not_mine]

    return in_app_session(write)


@pytest.fixture
def officer(client, account, in_app_session):
    """An officer of Kukar with trainings and follow-ups in the calendar, and what is not."""
    coop = create_cooperative(client)
    user = account("ani", Role.officer, KUKAR)
    someone = account("budi", Role.officer, KUKAR)
    upcoming, excluded = _trainings(client)
    mine, not_mine = _follow_ups(in_app_session, user.id, someone.id, coop["id"])
    expected = {f"training-{t['id']}@kopdes" for t in upcoming} | {
        f"follow-up-{i}@kopdes" for i in mine
    }
    unexpected = {f"training-{t['id']}@kopdes" for t in excluded} | {
        f"follow-up-{i}@kopdes" for i in not_mine
    }
    return {
        "user": user,
        "headers": _bearer(client, "ani"),
        "upcoming": upcoming,
        "coop": coop,
        "expected": expected,
        "unexpected": unexpected,
    }


def test_the_feed_lists_my_upcoming_trainings_and_open_follow_ups(client, officer):
    response = client.get(
        "/api/v1/calendar.ics", params={"officer": "me"}, headers=officer["headers"]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert "no-store" in response.headers["cache-control"]
    events = _events(response.content)
    assert set(events) == officer["expected"]

    scheduled, funded = officer["upcoming"]
    event = events[f"training-{scheduled['id']}@kopdes"]
    assert event["DTSTART"].dt == date.fromisoformat(scheduled["planned_start"])  # all day
    assert event["DTEND"].dt == date.fromisoformat(scheduled["planned_end"]) + timedelta(1)
    assert str(event["SUMMARY"]) == "Training: Pembukuan dasar"
    assert str(event["STATUS"]) == "CONFIRMED" and "Tenggarong" in str(event["LOCATION"])
    tentative = events[f"training-{funded['id']}@kopdes"]
    assert str(tentative["STATUS"]) == "TENTATIVE" and "not yet scheduled" in tentative["SUMMARY"]

    follow_ups = [e for uid, e in events.items() if uid.startswith("follow-up-")]
    by_summary = {str(e["SUMMARY"]): e for e in follow_ups}
    template = by_summary["Follow-up: Send the RAT template"]
    assert template["DTSTART"].dt == SOON
    assert officer["coop"]["name"] in str(template["DESCRIPTION"])
    overdue = next(e for s, e in by_summary.items() if "Pak Yusuf" in s)
    assert overdue["DTSTART"].dt == TODAY - timedelta(5)  # overdue ones stay in view
    # Names only: no phone numbers, from the record or typed into a description.
    body = response.text
    for digits in ("0813-5000-1234", "6281350001234", "81350001234"):
        assert digits not in body

    # Stable: the same request gives the same UIDs and DTSTAMPs, so phones do not duplicate.
    again = _events(client.get("/api/v1/calendar.ics", headers=officer["headers"]).content)
    assert {u: e["DTSTAMP"].dt for u, e in again.items()} == {
        u: e["DTSTAMP"].dt for u, e in events.items()
    }


def test_a_phone_subscribes_with_a_feed_token(client, officer):
    issued = client.post("/api/v1/calendar/feed-token", headers=officer["headers"])
    assert issued.status_code == 201, issued.text
    token, url = issued.json()["token"], issued.json()["url"]
    assert "/api/v1/calendar/feed.ics?token=" in url

    admin = client.headers.pop("Authorization")
    subscribed = client.get(url)  # no header at all, as a phone calendar would
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.headers["content-type"].startswith("text/calendar")
    assert set(_events(subscribed.content)) == officer["expected"]

    feed = "/api/v1/calendar/feed.ics"
    assert_problem(client.get(feed), 422, field="token")
    assert_problem(client.get(feed, params={"token": token[:-2] + "xx"}), 401)
    forged = URLSafeSerializer("another-secret-" + "y" * 40, salt="kopdes.calendar-feed")
    assert_problem(client.get(feed, params={"token": forged.dumps({"u": officer["user"].id})}), 401)
    assert_problem(client.get("/api/v1/calendar.ics", params={"token": token}), 401)

    client.headers["Authorization"] = admin
    user_url = f"/api/v1/users/{officer['user'].id}"
    client.patch(
        user_url, json={"password": "a changed password"}, headers=if_match(client, user_url)
    )
    client.headers.pop("Authorization")
    revoked = assert_problem(client.get(url), 401)
    assert "feed-token" in revoked["detail"]


def test_a_deactivated_account_loses_its_feed(client, officer, in_app_session):
    url = client.post("/api/v1/calendar/feed-token", headers=officer["headers"]).json()["url"]
    client.headers.pop("Authorization")
    assert client.get(url).status_code == 200

    async def deactivate(session):
        user = await session.get(UserAccount, officer["user"].id)
        user.is_active = False
        await session.commit()

    in_app_session(deactivate)
    assert_problem(client.get(url), 401)


def test_who_may_have_a_calendar(client, login_as):
    coop = create_cooperative(client)
    tid = create_training(client, planned_start=_day(10), planned_end=_day(10))["id"]
    moved(client, tid, "funded")
    viewer = login_as(Role.viewer, KUKAR)
    events = _events(client.get("/api/v1/calendar.ics", headers=viewer).content)
    assert set(events) == {f"training-{tid}@kopdes"}
    assert (
        _events(client.get("/api/v1/calendar.ics", headers=login_as(Role.viewer, "64.03")).content)
        == {}
    )

    assert_problem(
        client.get("/api/v1/calendar.ics", params={"officer": "budi"}), 422, field="officer"
    )
    cooperative = login_as(Role.cooperative, KUKAR, coop["id"])
    assert_problem(client.get("/api/v1/calendar.ics", headers=cooperative), 403)
    assert_problem(client.post("/api/v1/calendar/feed-token", headers=cooperative), 403)
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "dashboard", "scopes": list(ApiScope), "region_scope": KUKAR},
    ).json()["key"]
    client.headers.pop("Authorization")  # an API key comes alone
    assert_problem(client.get("/api/v1/calendar.ics", headers={"X-API-Key": key}), 403)


def test_re_enabling_an_account_does_not_revive_its_feed(client, officer):
    url = client.post("/api/v1/calendar/feed-token", headers=officer["headers"]).json()["url"]
    user_url = f"/api/v1/users/{officer['user'].id}"
    for active in (False, True):
        changed = client.patch(
            user_url, json={"is_active": active}, headers=if_match(client, user_url)
        )
        assert changed.status_code == 200, changed.text
    client.headers.pop("Authorization")
    assert_problem(client.get(url), 401)


def test_the_answer_with_a_feed_token_is_never_stored_by_a_cache(client, login_as):
    issued = client.post("/api/v1/calendar/feed-token", headers=login_as(Role.officer, KUKAR))
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    assert issued.headers["pragma"] == "no-cache"
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/calendar/feed-token"]["post"]
    assert "Cache-Control" in operation["responses"]["201"]["headers"]


def test_revoking_the_link_ends_the_old_feed_and_issues_a_new_one(client, officer):
    headers = officer["headers"]
    old = client.post("/api/v1/calendar/feed-token", headers=headers).json()["url"]
    again = client.post("/api/v1/calendar/feed-token", headers=headers).json()["url"]
    assert again == old  # the same link until it is revoked

    key = {"Idempotency-Key": str(uuid.uuid4())}
    revoked = client.post("/api/v1/calendar/feed-token/revoke", headers={**headers, **key})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json().keys() == {"revoked_at"}  # no token: the answer is kept for retries
    new = client.post("/api/v1/calendar/feed-token", headers=headers).json()["url"]
    assert new != old

    # A retry with the same key is the same revocation: the new link still works.
    replay = client.post("/api/v1/calendar/feed-token/revoke", headers={**headers, **key})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == revoked.json()

    admin = client.headers.pop("Authorization")
    assert_problem(client.get(old), 401)
    assert set(_events(client.get(new).content)) == officer["expected"]
    # The officer's logins are untouched.
    assert client.get("/api/v1/calendar.ics", headers=headers).status_code == 200

    client.headers["Authorization"] = admin
    trail = client.get(
        "/api/v1/audit-events", params={"action": "calendar.feed_token_revoke"}
    ).json()["items"]
    assert [(e["actor"], e["resource_type"], e["resource_id"]) for e in trail] == [
        ("user:ani", "user", str(officer["user"].id))
    ]


def test_a_link_issued_before_feed_versions_works_until_it_is_revoked(client, officer):
    """Tokens issued before the feed version existed carry none: they are version 1."""
    user = officer["user"]
    serializer = URLSafeSerializer(
        client.app.state.settings.secret_key.get_secret_value(), salt="kopdes.calendar-feed"
    )
    token = serializer.dumps({"u": user.id, "v": user.token_version})
    feed = "/api/v1/calendar/feed.ics"
    admin = client.headers.pop("Authorization")
    assert client.get(feed, params={"token": token}).status_code == 200
    revoked = client.post("/api/v1/calendar/feed-token/revoke", headers=officer["headers"])
    assert revoked.status_code == 200, revoked.text
    assert_problem(client.get(feed, params={"token": token}), 401)
    client.headers["Authorization"] = admin


def test_who_may_revoke_a_calendar_link(client, login_as):
    revoke = "/api/v1/calendar/feed-token/revoke"
    assert_problem(client.post(revoke, headers=NO_IDEMPOTENCY_KEY), 400)
    coop = create_cooperative(client)
    assert_problem(client.post(revoke, headers=login_as(Role.cooperative, KUKAR, coop["id"])), 403)
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "dashboard", "scopes": list(ApiScope), "region_scope": KUKAR},
    ).json()["key"]
    client.headers.pop("Authorization")
    assert_problem(client.post(revoke, headers={"X-API-Key": key}), 403)
    assert_problem(client.post(revoke), 401)
