"""Requests that race each other, as retrying phones in the field make them do."""

import uuid
from collections import Counter

from app.models.account import Role
from tests.conftest import TEST_PASSWORD
from tests.factories import assert_problem, create_cooperative, if_match
from tests.races import overlapping_pairs, race

MILESTONES = [
    "sosialisasi",
    "musdesus",
    "founding_meeting",
    "notary_deed",
    "sk_ahu_requested",
    "sk_ahu_issued",
    "nib",
    "operating",
]


def test_milestones_recorded_at_once_still_add_up_to_the_furthest_stage(client):
    overlapping = 0
    for attempt in range(3):
        coop = create_cooperative(client, is_joint=True, name=f"Kop {attempt}")
        url = f"/api/v1/cooperatives/{coop['id']}/legal-events"
        timed = race(
            client,
            [
                (
                    "POST",
                    url,
                    {
                        "json": {"milestone": m, "occurred_on": "2025-06-01"},
                        "headers": {"Idempotency-Key": str(uuid.uuid4())},
                    },
                )
                for m in MILESTONES
            ],
        )
        overlapping += overlapping_pairs(timed)
        assert sorted(r.status_code for r, _, _ in timed) == [201] * len(MILESTONES)
        assert client.get(f"/api/v1/cooperatives/{coop['id']}").json()["legal_stage"] == "operating"
        assert len(client.get(url).json()["events"]) == len(MILESTONES)
    assert overlapping > 0  # the milestones were in the app at the same time


def test_of_parallel_edits_from_the_same_read_only_one_lands(client):
    coop = create_cooperative(client)
    url = f"/api/v1/cooperatives/{coop['id']}"
    headers = if_match(client, url)
    timed = race(
        client,
        [("PATCH", url, {"json": {"members_male": n}, "headers": headers}) for n in range(1, 21)],
    )
    assert overlapping_pairs(timed) > 0
    responses = [r for r, _, _ in timed]
    assert sorted(r.status_code for r in responses) == [200] + [412] * 19
    (winner,) = (r for r in responses if r.status_code == 200)
    final = client.get(url)
    assert final.json()["members_male"] == winner.json()["members_male"]
    assert final.headers["ETag"] == winner.headers["ETag"]


def test_a_refresh_token_raced_by_a_thief_is_honoured_at_most_once(client, account):
    account("ani", Role.officer, "64.02")
    overlapping, statuses = 0, Counter()
    for _ in range(3):
        pair = client.post(
            "/api/v1/auth/token", data={"username": "ani", "password": TEST_PASSWORD}
        ).json()
        body = {"json": {"refresh_token": pair["refresh_token"]}}
        timed = race(client, [("POST", "/api/v1/auth/refresh", body)] * 5)
        overlapping += overlapping_pairs(timed)
        responses = [r for r, _, _ in timed]
        statuses.update(r.status_code for r in responses)
        assert sum(r.status_code == 200 for r in responses) <= 1
        assert {r.status_code for r in responses} <= {200, 401}
        for response in responses:
            if response.status_code == 200:
                # The losers presented a used token, which ends the whole family: even the
                # winner's new token is dead.
                again = client.post(
                    "/api/v1/auth/refresh",
                    json={"refresh_token": response.json()["refresh_token"]},
                )
                assert again.status_code == 401
    # The thief's copies were in flight beside the owner's, and were refused.
    assert overlapping > 0 and statuses[401] > 0, statuses


def test_text_with_nul_characters_is_refused_not_a_crash(client):
    response = client.post(
        "/api/v1/cooperatives",
        json={"name": "Kop\u0000", "village_code": "64.02.12.2001"},
    )
    assert response.status_code == 422 and "name" in response.json()["detail"]
    for url in (
        "/api/v1/cooperatives?q=%00",
        "/api/v1/regions?q=ab%00",
        "/api/v1/audit-events?actor=%00",
    ):
        response = client.get(url)
        assert response.status_code < 500, (url, response.text)
    login = client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x" * 12})
    assert login.status_code in (401, 422)


def test_a_cooperative_removed_while_others_write_to_it_refuses_them_cleanly(client):
    """Officers and consultations added while the cooperative is being removed: each either
    lands before the removal (and goes with it) or is refused as if the cooperative were
    already gone; none is a 500, and nothing is left pointing at it."""
    officer_body = {"body": "pengurus", "role": "anggota", "name": "Siti"}
    outcomes: Counter[int] = Counter()
    overlapping = 0
    for attempt in range(4):
        coop = create_cooperative(client, is_joint=True, name=f"Kop {attempt}")
        url = f"/api/v1/cooperatives/{coop['id']}"
        consultation_body = {
            "cooperative_id": coop["id"],
            "occurred_at": "2025-06-02T02:00:00Z",
            "channel": "walk_in",
            "topics": ["legalitas"],
            "summary": "Tanya akta",
        }
        writes = [
            (
                "POST",
                target,
                {"json": body, "headers": {"Idempotency-Key": str(uuid.uuid4())}},
            )
            for _ in range(8)
            for target, body in (
                (url + "/officers", officer_body),
                ("/api/v1/consultations", consultation_body),
            )
        ]
        delete = ("DELETE", url, {"headers": if_match(client, url)})
        # The removal joins the queue at another point each round; the writes before it get
        # a head start, so that some land before it and some after it.
        position = 4 * (attempt + 1)
        requests = [*writes[:position], delete, *writes[position:]]
        timed = race(client, requests, stagger=0.002)
        overlapping += overlapping_pairs(timed)
        for (method, target, _), (response, _, _) in zip(requests, timed, strict=True):
            if method == "DELETE":
                assert response.status_code == 204, response.text
                continue
            outcomes[response.status_code] += 1
            if response.status_code != 201:
                # Refused as if the cooperative were already gone.
                refused = 404 if target.endswith("/officers") else 422
                assert_problem(response, refused)
                assert "cooperative" in response.json()["detail"], response.text
        assert client.get(url).status_code == 404
        assert client.get(url + "/officers").status_code == 404
        linked = client.get("/api/v1/consultations", params={"cooperative_id": coop["id"]})
        assert linked.json()["items"] == []
    # The writes were in flight beside the removal: some landed before it and some after.
    assert overlapping > 0
    assert outcomes[201] and outcomes[404] and outcomes[422], outcomes
