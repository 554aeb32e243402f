from datetime import date, timedelta

from tests.factories import assert_problem, create_cooperative


def _record(client, coop_id, milestone, occurred_on, **extra):
    return client.post(
        f"/api/v1/cooperatives/{coop_id}/legal-events",
        json={"milestone": milestone, "occurred_on": occurred_on, **extra},
    )


def test_stages_in_order_build_a_dated_history(client):
    coop = create_cooperative(client)
    steps = [
        ("sosialisasi", "2025-04-10"),
        ("musdesus", "2025-05-20"),
        ("founding_meeting", "2025-05-20"),
        ("notary_deed", "2025-06-02"),
        ("sk_ahu_requested", "2025-06-05"),
        ("sk_ahu_issued", "2025-06-20"),
    ]
    for milestone, day in steps:
        response = _record(client, coop["id"], milestone, day, document_number="BA/01/2025")
        assert response.status_code == 201, response.text
        assert response.json()["warnings"] == []
        assert response.json()["legal_stage"] == milestone
    history = client.get(f"/api/v1/cooperatives/{coop['id']}/legal-events").json()
    assert [(e["milestone"], e["occurred_on"]) for e in history["events"]] == steps
    assert history["legal_stage"] == "sk_ahu_issued"
    assert client.get(f"/api/v1/cooperatives/{coop['id']}").json()["legal_stage"] == "sk_ahu_issued"


def test_registrations_come_in_any_order_and_are_one_stage(client):
    coop = create_cooperative(client)
    _record(client, coop["id"], "sk_ahu_issued", "2025-06-20")
    for milestone, day in [
        ("npwp", "2025-08-01"),
        ("nib", "2025-07-15"),
        ("bank_account", "2025-08-10"),
    ]:
        body = _record(client, coop["id"], milestone, day).json()
        assert body["legal_stage"] == "registration"
        assert body["event"]["stage"] == "registration"
    assert (
        _record(client, coop["id"], "operating", "2025-12-01").json()["legal_stage"] == "operating"
    )


def test_late_and_out_of_order_records_are_kept_with_warnings_and_no_invented_dates(client):
    coop = create_cooperative(client)
    first = _record(client, coop["id"], "sk_ahu_issued", "2025-06-20").json()
    assert first["legal_stage"] == "sk_ahu_issued"
    assert any("earlier stages have no record" in w and "musdesus" in w for w in first["warnings"])

    late = _record(client, coop["id"], "musdesus", "2025-07-01").json()
    assert late["legal_stage"] == "sk_ahu_issued"  # the furthest stage still counts
    assert any("out of order" in w for w in late["warnings"])
    assert any("later stage sk_ahu_issued is dated 2025-06-20" in w for w in late["warnings"])

    history = client.get(f"/api/v1/cooperatives/{coop['id']}/legal-events").json()
    # Only what was recorded, with the dates given: nothing filled in for the gaps.
    assert [(e["milestone"], e["occurred_on"]) for e in history["events"]] == [
        ("musdesus", "2025-07-01"),
        ("sk_ahu_issued", "2025-06-20"),
    ]


def test_future_dates_duplicates_and_unknown_milestones_are_refused(client):
    coop = create_cooperative(client)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert_problem(_record(client, coop["id"], "musdesus", tomorrow), 422, field="occurred_on")
    assert_problem(_record(client, coop["id"], "launched", "2025-05-01"), 422, field="milestone")
    assert_problem(_record(client, coop["id"], "musdesus", "2025-13-01"), 422, field="occurred_on")
    assert _record(client, coop["id"], "musdesus", "2025-05-20").status_code == 201
    duplicate = assert_problem(_record(client, coop["id"], "musdesus", "2025-05-21"), 409)
    assert "2025-05-20" in duplicate["detail"]
    history = client.get(f"/api/v1/cooperatives/{coop['id']}/legal-events").json()
    assert len(history["events"]) == 1
    assert_problem(_record(client, 999, "musdesus", "2025-05-20"), 404)
    assert_problem(client.get("/api/v1/cooperatives/999/legal-events"), 404)
