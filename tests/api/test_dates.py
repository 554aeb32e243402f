"""Dates: every date a client sends lies within EARLIEST_DATE..LATEST_DATE and is ISO 8601 text;
no date, sent or stored, makes a 500."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from app.models.account import Role
from app.models.common import DATE_PATTERN, EARLIEST_DATE, LATEST_DATE
from app.models.cooperative import Cooperative
from app.models.mentoring import Consultation, FollowUp, Training
from tests.api.test_budget import MOVE, two_lines
from tests.api.test_trainings import create_training, move, moved, training_body
from tests.conftest import TEST_PASSWORD
from tests.factories import TABANG_VILLAGE, assert_problem, cooperative_body, create_cooperative

KUKAR = "64.02"
OTHER_VILLAGE = "64.02.12.2003"  # Tabang has a cooperative already
BEYOND = ["0001-01-01", "1944-12-31", "2101-01-01", "9999-12-31"]
# Every read that takes a date in its query: (path, its other parameters, its date parameters).
DATED_READS = [
    ("/api/v1/consultations", {}, ["from", "to"]),
    ("/api/v1/exports/consultations", {"format": "csv"}, ["from", "to"]),
    ("/api/v1/stats/mentoring", {"region": KUKAR}, ["from", "to"]),
    ("/api/v1/follow-ups", {}, ["due_before"]),
    ("/api/v1/audit-events", {}, ["since", "until"]),
]


def test_the_schema_pattern_is_the_range():
    for day in (EARLIEST_DATE, LATEST_DATE, date(2025, 2, 28)):
        assert re.fullmatch(DATE_PATTERN, day.isoformat())
    for text in BEYOND:
        assert not re.fullmatch(DATE_PATTERN, text)


@pytest.mark.parametrize(("path", "params", "names"), DATED_READS, ids=lambda v: str(v))
def test_every_dated_read_takes_the_range_and_refuses_what_lies_beyond(client, path, params, names):
    for name in names:
        for day in (EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()):
            answer = client.get(path, params={**params, name: day})
            # 422 only for a rule between the two (the stats' `from` after today's `to`).
            assert answer.status_code in (200, 422) and "between" not in answer.text, answer.text
        for day in BEYOND:
            assert_problem(client.get(path, params={**params, name: day}), 422, field=name)
    both_ends = dict(zip(names, (EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()), strict=False))
    assert client.get(path, params={**params, **both_ends}).status_code == 200


def test_a_moment_in_a_query_is_iso_text_within_the_range(client):
    for since in ("2025-08-04", "2025-08-04T01:30:00", "2025-08-04T09:30:00+08:00"):
        assert client.get("/api/v1/audit-events", params={"since": since}).status_code == 200
    for since in ("1700000000", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        assert_problem(
            client.get("/api/v1/audit-events", params={"since": since}), 422, field="since"
        )
    # A date is a day: a moment, or a day in another script's digits, is not one.
    for day in ("2025-08-04T00:00:00", "٢٠٢٥-٠٨-٠٤", "20250804", "0"):
        assert_problem(client.get("/api/v1/consultations", params={"to": day}), 422, field="to")


def _store_out_of_range_rows(in_app_session, officer_id, cooperative_id, training_id):
    """Rows as a database written before the range was enforced may hold them."""

    async def write(session):
        coop = await session.get(Cooperative, cooperative_id)
        coop.akta_date, coop.sk_ahu_date = date(1, 1, 1), date(9999, 12, 31)
        training = await session.get(Training, training_id)
        training.planned_start, training.planned_end = date(2025, 1, 1), date(9999, 12, 31)
        records = []
        for moment in (datetime(9999, 12, 31, 23, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)):
            record = Consultation(
                cooperative_id=cooperative_id,
                village_code=TABANG_VILLAGE,
                district_code="64.02.12",
                regency_code=KUKAR,
                province_code="64",
                channel="walk_in",
                status="held",
                occurred_at=moment,
                officer_id=officer_id,
                created_by="user:test",
            )
            session.add(record)
            records.append(record)
        await session.flush()
        for record, due in zip(records, (date(9999, 12, 31), date(1, 1, 1)), strict=True):
            session.add(
                FollowUp(
                    consultation_id=record.id,
                    description="Typed with a wrong year",
                    responsible="officer",
                    officer_id=officer_id,
                    due_date=due,
                    status="open",
                )
            )
        await session.commit()

    in_app_session(write)


def test_rows_stored_out_of_range_are_still_read(client, account, in_app_session):
    coop = create_cooperative(client)
    officer = account("ani", Role.officer, KUKAR)
    kept = create_training(client, planned_start="2099-01-01", planned_end="2099-01-02")
    moved(client, kept["id"], "funded")
    endless = create_training(client)
    moved(client, endless["id"], "funded", "scheduled")
    _store_out_of_range_rows(in_app_session, officer.id, coop["id"], endless["id"])

    token = client.post(
        "/api/v1/auth/token", data={"username": "ani", "password": TEST_PASSWORD}
    ).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    feed = client.get("/api/v1/calendar.ics", headers=mine)
    assert feed.status_code == 200, feed.text
    # The rows out of range are left out; the rest of the feed is there.
    assert f"training-{kept['id']}@kopdes" in feed.text
    assert f"training-{endless['id']}@kopdes" not in feed.text
    assert "follow-up-" not in feed.text
    for path, params in [
        ("/api/v1/consultations", {}),
        ("/api/v1/follow-ups", {"overdue": "true"}),
        (f"/api/v1/cooperatives/{coop['id']}", {}),
        (f"/api/v1/trainings/{endless['id']}", {}),
        ("/api/v1/trainings", {}),
        ("/api/v1/stats/mentoring", {"region": KUKAR}),
        ("/api/v1/exports/trainings", {"format": "xlsx"}),
        ("/api/v1/exports/cooperatives", {"format": "xlsx"}),
        ("/api/v1/exports/consultations", {"format": "xlsx"}),
    ]:
        answer = client.get(path, params=params)
        assert answer.status_code == 200, (path, answer.text)
    exported = client.get("/api/v1/exports/consultations", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert "9999-12-31 23:00 UTC" in {row[1] for row in rows[1:]}
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/exports/cooperatives").content)).active
    assert sheet.max_row == 2

    url = client.post("/api/v1/calendar/feed-token", headers=mine).json()["url"]
    client.headers.pop("Authorization")  # a phone calendar sends no header
    phone = client.get(url)
    assert phone.status_code == 200 and phone.text == feed.text


def _posts_with_a_date(client):
    """For each kind of date a body holds: the path, the field, and a valid body with a value
    in that field."""
    coop = create_cooperative(client)
    btt, target = two_lines(client)
    training = create_training(client, budget_line_id=target["id"])
    movements = [{"from_line_id": btt["id"], "to_line_id": target["id"], "amount": 1_000_000}]
    walk_in = {"village_code": TABANG_VILLAGE, "contact_name": "Pak Yusuf", "channel": "walk_in"}
    held = {**walk_in, "occurred_at": "2025-08-04T09:30:00+08:00"}
    api_key = {"name": "Dasbor", "scopes": ["stats:read"], "region_scope": KUKAR}
    return [
        ("/api/v1/consultations", "occurred_at", lambda v: {**walk_in, "occurred_at": v}),
        (
            "/api/v1/consultations",
            "due_date",
            lambda v: {
                **held,
                "follow_ups": [{"description": "RAT", "responsible": "officer", "due_date": v}],
            },
        ),
        (
            "/api/v1/refocusings",
            "document_date",
            lambda v: {**MOVE, "movements": movements, "document_date": v},
        ),
        ("/api/v1/api-keys", "expires_at", lambda v: {**api_key, "expires_at": v}),
        (
            "/api/v1/trainings",
            "planned_end",
            lambda v: training_body(budget_line_id=target["id"], planned_end=v),
        ),
        (
            "/api/v1/cooperatives",
            "akta_date",
            lambda v: cooperative_body(village_code=OTHER_VILLAGE, akta_date=v),
        ),
        (
            f"/api/v1/cooperatives/{coop['id']}/legal-events",
            "occurred_on",
            lambda v: {"milestone": "musdesus", "occurred_on": v},
        ),
        (
            f"/api/v1/trainings/{training['id']}/transitions",
            "occurred_on",
            lambda v: {"to": "funded", "occurred_on": v},
        ),
        (
            "/api/v1/planner/launch-comparison",
            "date",
            lambda v: {"preset": "kukar", "event": {"date": v}},
        ),
    ]


@pytest.mark.parametrize(
    "value",
    [0, 1_700_000_000, 1.5, "1700000000", "0", "2025-06-02T00:00:00", "1944-12-31", "2101-01-01"],
    ids=repr,
)
def test_a_date_in_a_body_is_iso_text_within_the_range(client, value):
    for path, field, body in _posts_with_a_date(client):
        assert_problem(client.post(path, json=body(value)), 422, field=field)


def test_the_ends_of_the_range_are_taken(client):
    coop = create_cooperative(client, akta_date=EARLIEST_DATE.isoformat())
    assert coop["akta_date"] == "1945-01-01"
    training = create_training(
        client, planned_start=LATEST_DATE.isoformat(), planned_end=LATEST_DATE.isoformat()
    )
    assert training["planned_end"] == "2100-12-31"
    assert move(client, training["id"], "funded", occurred_on="1945-01-01").status_code == 201
    # A moment counts by its date as written: 2101 in UTC, but 2100 where it was written.
    key = {"name": "Dasbor", "scopes": ["stats:read"], "region_scope": KUKAR}
    last = client.post("/api/v1/api-keys", json={**key, "expires_at": "2100-12-31T23:00:00-12:00"})
    assert last.status_code == 201, last.text
    assert last.json()["expires_at"].startswith("2101-01-01T11:00:00")
    after = {**key, "expires_at": "2101-01-01T00:00:00+14:00"}
    assert_problem(client.post("/api/v1/api-keys", json=after), 422, field="expires_at")
