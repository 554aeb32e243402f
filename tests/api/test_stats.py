from tests.factories import assert_problem, create_cooperative


def test_kukar_legal_progress_has_twenty_districts_summing_to_237(client, load_demo):
    load_demo()
    body = client.get("/api/v1/stats/legal-progress", params={"region": "64.02"}).json()
    assert len(body["rows"]) == 20
    assert sum(row["total"] for row in body["rows"]) == 237
    for row in body["rows"]:
        assert row["total"] == sum(row["stages"].values())
    tabang = next(row for row in body["rows"] if row["code"] == "64.02.12")
    assert tabang["name"] == "Tabang" and tabang["total"] == 19
    assert sum(body["totals"].values()) == 237


def test_stage_counts_follow_legal_events(client):
    coop = create_cooperative(client)
    client.post(
        f"/api/v1/cooperatives/{coop['id']}/legal-events",
        json={"milestone": "sk_ahu_issued", "occurred_on": "2025-06-20"},
    )
    body = client.get("/api/v1/stats/legal-progress", params={"region": "64.02.12"}).json()
    assert len(body["rows"]) == 19  # Tabang's desa, each its own row
    row = next(r for r in body["rows"] if r["code"] == coop["village_code"])
    assert row["stages"]["sk_ahu_issued"] == 1 and row["total"] == 1
    national = client.get("/api/v1/stats/legal-progress").json()
    assert len(national["rows"]) == 38
    assert next(r for r in national["rows"] if r["code"] == "64")["total"] == 1


def test_bad_regions(client):
    assert_problem(client.get("/api/v1/stats/legal-progress", params={"region": "99"}), 404)
    assert_problem(
        client.get("/api/v1/stats/legal-progress", params={"region": "64.02.12.2001"}),
        422,
        field="region",
    )
    assert_problem(
        client.get("/api/v1/stats/legal-progress", params={"region": "64.2"}), 422, field="region"
    )
