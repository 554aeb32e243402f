"""Saved launch plans through HTTP: computed once when saved and kept as they were, scoped by
region, deleted only with the ETag, and audited."""

from app.models.account import Role
from tests.factories import assert_problem, if_match

URL = "/api/v1/launch-plans"
INPUTS = {"preset": "kukar", "event": {"date": "2025-07-21", "hours": 3}, "draws": 50}


def save(client, headers=None, **overrides):
    body = {"name": "Peluncuran Kopdes Kukar", "region": "64.02", "inputs": INPUTS, **overrides}
    return client.post(URL, json=body, headers=headers)


def test_a_saved_plan_keeps_its_inputs_result_and_catalog(client):
    response = save(client, note="Untuk ditandatangani Kepala Dinas")
    assert response.status_code == 201, response.text
    plan = response.json()
    compared = client.post("/api/v1/planner/launch-comparison", json=INPUTS).json()
    assert plan["result"]["plans"] == compared["plans"]  # the same planner, the same answer
    assert plan["result"]["inputs"]["preset"] == "kukar"
    assert (plan["catalog_version"], plan["catalog_digest"]) == (
        compared["catalog_version"],
        compared["catalog_digest"],
    )
    assert plan["participants"] == compared["participants"]
    assert plan["recommended"] == compared["recommendation"]["format"]
    assert plan["created_by"] == "user:test-admin"
    assert client.get(f"{URL}/{plan['id']}").json() == plan

    listed = client.get(URL, params={"region": "64.02"}).json()["items"]
    assert [p["id"] for p in listed] == [plan["id"]]
    assert "result" not in listed[0]  # lists stay light


def test_plans_are_scoped_by_region_and_deleted_with_their_etag(client, login_as):
    kubar = save(client, name="Peluncuran Kutai Barat", region="64.03").json()
    officer = login_as(Role.officer, "64.02")
    assert_problem(save(client, headers=officer, region="64.03"), 422, field="region")
    mine = save(client, headers=officer)
    assert mine.status_code == 201, mine.text
    assert [p["id"] for p in client.get(URL, headers=officer).json()["items"]] == [
        mine.json()["id"]
    ]
    assert_problem(client.get(f"{URL}/{kubar['id']}", headers=officer), 404)

    viewer = login_as(Role.viewer, "64.02")
    assert client.get(f"{URL}/{mine.json()['id']}", headers=viewer).status_code == 200
    assert_problem(save(client, headers=viewer), 403)

    url = f"{URL}/{mine.json()['id']}"
    assert_problem(client.delete(url, headers=officer), 428)
    assert client.delete(url, headers=if_match(client, url, officer)).status_code == 204
    assert_problem(client.get(url), 404)
    actions = {
        e["action"]
        for e in client.get("/api/v1/audit-events", params={"resource_type": "launch_plan"}).json()[
            "items"
        ]
    }
    assert actions == {"launch_plan.create", "launch_plan.delete"}


def test_bad_inputs_save_nothing(client):
    assert_problem(save(client, inputs={**INPUTS, "participants": 0}), 422, field="participants")
    assert_problem(save(client, name=""), 422, field="name")
    assert_problem(save(client, extra=1), 422)
    assert client.get(URL).json()["items"] == []
