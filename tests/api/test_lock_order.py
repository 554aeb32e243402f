"""Changes of a record racing the creation of its children, through the running app.

A synced row is locked only through the write handle, which takes the sync clock first
(app/models/sync.py): a write that locked the row and then waited for the clock would deadlock
with one holding the clock and waiting for the row, and PostgreSQL would end one of them (a
503). Here PATCHes of a consultation, a follow-up and an officer race POSTs that add follow-ups
to the same consultation, or officers to the same cooperative. Every request must succeed, and
the race must really have happened: requests were in the app at the same time.
"""

import uuid
from collections import Counter

import pytest

from tests.factories import create_cooperative
from tests.races import overlapping_pairs, race

ROUNDS = 3
PAIRS = 20  # a PATCH and a POST each


def _post(url, body):
    return ("POST", url, {"json": body, "headers": {"Idempotency-Key": str(uuid.uuid4())}})


def _patch(url, body):
    # `*`: each PATCH applies whatever the racing POSTs did meanwhile.
    return ("PATCH", url, {"json": body, "headers": {"If-Match": "*"}})


def _consultation(client, cooperative_id):
    response = client.post(
        "/api/v1/consultations",
        json={
            "cooperative_id": cooperative_id,
            "channel": "walk_in",
            "occurred_at": "2025-08-04T09:30:00+08:00",
            "topics": ["rat"],
            "summary": "Persiapan RAT pertama.",
            "follow_ups": [
                {
                    "description": "Kirim templat RAT",
                    "responsible": "officer",
                    "due_date": "2025-08-11",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def _follow_up(n):
    return {"description": f"Tindak lanjut {n}", "responsible": "officer", "due_date": "2025-09-01"}


def _consultation_race(client, round_):
    consultation = _consultation(client, create_cooperative(client, is_joint=True)["id"])
    url = f"/api/v1/consultations/{consultation['id']}"
    return [
        request
        for n in range(PAIRS)
        for request in (
            _patch(url, {"summary": f"Persiapan RAT, koreksi {round_}.{n}"}),
            _post(url + "/follow-ups", _follow_up(n)),
        )
    ]


def _follow_up_race(client, round_):
    consultation = _consultation(client, create_cooperative(client, is_joint=True)["id"])
    url = f"/api/v1/follow-ups/{consultation['follow_ups'][0]['id']}"
    adding = f"/api/v1/consultations/{consultation['id']}/follow-ups"
    return [
        request
        for n in range(PAIRS)
        for request in (
            _patch(url, {"description": f"Kirim templat RAT, versi {round_}.{n}"}),
            _post(adding, _follow_up(n)),
        )
    ]


def _officer_race(client, round_):
    cooperative = create_cooperative(client, is_joint=True)
    officers = f"/api/v1/cooperatives/{cooperative['id']}/officers"
    first = client.post(officers, json={"body": "pengurus", "role": "ketua", "name": "Siti"})
    assert first.status_code == 201, first.text
    url = f"{officers}/{first.json()['id']}"
    return [
        request
        for n in range(PAIRS)
        for request in (
            _patch(url, {"name": f"Siti Rahman {round_}.{n}"}),
            _post(officers, {"body": "pengawas", "role": "anggota", "name": f"Budi {n}"}),
        )
    ]


@pytest.mark.parametrize(
    "make_requests",
    [_consultation_race, _follow_up_race, _officer_race],
    ids=lambda r: r.__name__[1:],
)
def test_changes_racing_new_children_all_succeed(client, make_requests):
    statuses: Counter[int] = Counter()
    overlapping = 0
    for round_ in range(ROUNDS):
        timed = race(client, make_requests(client, round_))
        overlapping += overlapping_pairs(timed)
        statuses.update(f"{r.request.method} {r.status_code}" for r, _, _ in timed)
    # The race happened: requests were in the app at the same time, and both kinds ran.
    assert overlapping > 0
    assert statuses == {"PATCH 200": ROUNDS * PAIRS, "POST 201": ROUNDS * PAIRS}, statuses
