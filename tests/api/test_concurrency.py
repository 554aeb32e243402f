"""Requests that race each other, as retrying phones in the field make them do."""

import asyncio
import uuid
from collections import Counter

import httpx

from app.models.account import Role
from tests.conftest import TEST_PASSWORD
from tests.factories import assert_problem, create_cooperative, if_match


def _race(client, requests, stagger=0.0):
    """Send `requests` ([(method, url, kwargs)]) all at once into the running app (without
    the test client's hooks: POSTs that write need their own Idempotency-Key). With `stagger`,
    each starts that many seconds after the one before it, still while the others run."""

    async def send_all():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=dict(client.headers)
        ) as concurrent:

            async def send(order, method, url, kwargs):
                await asyncio.sleep(order * stagger)
                return await concurrent.request(method, url, **kwargs)

            return await asyncio.gather(
                *(send(order, *request) for order, request in enumerate(requests))
            )

    return client.portal.call(send_all)


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
    for attempt in range(3):
        coop = create_cooperative(client, is_joint=True, name=f"Kop {attempt}")
        url = f"/api/v1/cooperatives/{coop['id']}/legal-events"
        responses = _race(
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
        assert sorted(r.status_code for r in responses) == [201] * len(MILESTONES)
        assert client.get(f"/api/v1/cooperatives/{coop['id']}").json()["legal_stage"] == "operating"
        assert len(client.get(url).json()["events"]) == len(MILESTONES)


def test_of_parallel_edits_from_the_same_read_only_one_lands(client):
    coop = create_cooperative(client)
    url = f"/api/v1/cooperatives/{coop['id']}"
    headers = if_match(client, url)
    responses = _race(
        client,
        [("PATCH", url, {"json": {"members_male": n}, "headers": headers}) for n in range(1, 21)],
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 19
    (winner,) = (r for r in responses if r.status_code == 200)
    final = client.get(url)
    assert final.json()["members_male"] == winner.json()["members_male"]
    assert final.headers["ETag"] == winner.headers["ETag"]


def test_a_refresh_token_raced_by_a_thief_is_honoured_at_most_once(client, account):
    account("ani", Role.officer, "64.02")
    for _ in range(3):
        pair = client.post(
            "/api/v1/auth/token", data={"username": "ani", "password": TEST_PASSWORD}
        ).json()
        body = {"json": {"refresh_token": pair["refresh_token"]}}
        responses = _race(client, [("POST", "/api/v1/auth/refresh", body)] * 5)
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
        responses = _race(client, requests, stagger=0.002)
        for (method, target, _), response in zip(requests, responses, strict=True):
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
    # Some writes landed before a removal and some came after one, or nothing raced.
    assert outcomes[201] and outcomes[404] and outcomes[422], outcomes
