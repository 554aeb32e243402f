"""Requests that race each other, as retrying phones in the field make them do."""

import asyncio
import uuid

import httpx

from app.models.account import Role
from tests.conftest import TEST_PASSWORD
from tests.factories import create_cooperative, if_match


def _race(client, requests):
    """Send `requests` ([(method, url, kwargs)]) all at once into the running app (without
    the test client's hooks: POSTs that write need their own Idempotency-Key)."""

    async def send_all():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=dict(client.headers)
        ) as concurrent:
            return await asyncio.gather(
                *(concurrent.request(method, url, **kwargs) for method, url, kwargs in requests)
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
