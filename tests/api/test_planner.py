from tests.factories import assert_problem

URL = "/api/v1/planner/launch-comparison"
EVENT = {"date": "2025-07-21", "hours": 3}


def test_kukar_preset_comparison(client):
    response = client.post(URL, json={"preset": "kukar", "event": EVENT, "draws": 200})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["participants"] == 1008
    assert set(body["plans"]) == {"offline_central", "online", "hybrid_hubs"}
    offline = body["plans"]["offline_central"]
    assert offline["total"] == sum(offline["by_payer"].values())
    assert body["recommendation"]["format"] in body["plans"]
    assert body["inputs"]["preset"] == "kukar" and body["catalog_version"]


def test_groups_and_overrides(client):
    payload = {
        "groups": [{"count": 10, "origin": "64.02.02.2004", "role": "delegate"}],
        "event": EVENT,
        "draws": 10,
    }
    base = client.post(URL, json=payload).json()["plans"]["offline_central"]["total"]
    dearer = client.post(URL, json={**payload, "overrides": {"perdiem.kukar_luar_kota": 500000}})
    assert dearer.json()["plans"]["offline_central"]["total"] - base == 10 * 70_000


def test_negative_count_is_a_problem_naming_the_field(client):
    response = client.post(
        URL,
        json={
            "groups": [
                {"count": 5, "origin": "64.02.06", "role": "delegate"},
                {"count": -1, "origin": "64.02.06", "role": "press"},
            ],
            "event": EVENT,
        },
    )
    body = assert_problem(response, 422)
    assert ["body", "groups", 1, "count"] in [e["loc"] for e in body["errors"]]


def test_unknown_region_is_a_problem_naming_the_field(client):
    response = client.post(
        URL,
        json={
            "preset": "kukar",
            "groups": [{"count": 5, "origin": "99.99.99", "role": "delegate"}],
            "event": EVENT,
        },
    )
    body = assert_problem(response, 422, field="origin")
    assert body["errors"][0]["loc"] == ["body", "groups", 0, "origin"]


def test_negative_cap_override_is_a_problem_naming_the_field(client):
    response = client.post(
        URL, json={"preset": "kukar", "event": EVENT, "overrides": {"platform.zoom_pro.cap": -1}}
    )
    body = assert_problem(response, 422, field="platform.zoom_pro.cap")
    assert body["errors"][0]["loc"] == ["body", "overrides", "platform.zoom_pro.cap"]


def test_unknown_fields_and_missing_attendance_are_refused(client):
    assert_problem(client.post(URL, json={"preset": "kukar", "event": EVENT, "x": 1}), 422)
    assert_problem(client.post(URL, json={"event": EVENT}), 422)


def test_chart_is_svg(client):
    response = client.post(URL + "/chart", json={"preset": "kukar", "event": EVENT, "draws": 10})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_catalog(client):
    body = client.get("/api/v1/planner/catalog").json()
    entries = {e["key"]: e for e in body["entries"]}
    assert entries["perdiem.luar_kota"]["value"] == "430000"
    assert entries["perdiem.luar_kota"]["estimate"] is False
    assert entries["lodging.night"]["estimate"] is True and entries["lodging.night"]["low"]
    assert body["version"] and body["digest"]


def test_openapi_documents_the_svg_chart(client):
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/planner/launch-comparison/chart"]["post"]
    assert "image/svg+xml" in op["responses"]["200"]["content"]


def test_an_override_outside_its_range_is_a_problem_naming_the_entry_and_range(client):
    for key, value, allowed in (
        ("travel.road_speed_kmh", 0, "between 5 and 120"),
        ("meal.lunch", "1e306", "between 0 and 100000000000"),
        ("hub.kit_seats", 0, "between 1 and 100000"),
    ):
        response = client.post(
            URL, json={"preset": "kukar", "event": EVENT, "draws": 10, "overrides": {key: value}}
        )
        body = assert_problem(response, 422, field=key)
        assert body["errors"][0]["loc"] == ["body", "overrides", key]
        assert allowed in body["errors"][0]["msg"]


def test_counts_past_the_largest_launch_and_a_blink_of_an_event_are_problems(client):
    for count in (10**12, 10**19):
        body = assert_problem(
            client.post(
                URL,
                json={
                    "groups": [{"count": count, "origin": "64.02.06", "role": "delegate"}],
                    "event": EVENT,
                },
            ),
            422,
        )
        assert body["errors"][0]["loc"] == ["body", "groups", 0, "count"]
    too_many = {"preset": "national", "delegates_per_cooperative": 12, "event": EVENT}
    body = assert_problem(client.post(URL, json=too_many), 422)
    assert body["errors"][0]["loc"] == ["body", "delegates_per_cooperative"]
    blink = {"preset": "kukar", "event": {"date": "2025-07-21", "hours": 1e-9}}
    body = assert_problem(client.post(URL, json=blink), 422)
    assert body["errors"][0]["loc"] == ["body", "event", "hours"]


def test_the_planner_speaks_english_unless_asked_and_its_problems_indonesian_when_asked(client):
    body = client.post(URL, json={"preset": "kukar", "event": EVENT, "draws": 10}).json()
    assert "is the cheapest feasible format" in body["recommendation"]["reason"]
    lines = body["plans"]["offline_central"]["lines"]
    assert any(line["item"] == "transport" and line["unit"] == "person-km" for line in lines)

    too_slow = {"preset": "kukar", "event": EVENT, "overrides": {"travel.road_speed_kmh": 0}}
    response = client.post(URL, json=too_slow, headers={"Accept-Language": "id"})
    problem = assert_problem(response, 422, field="travel.road_speed_kmh")
    assert problem["detail"] == "body.overrides.travel.road_speed_kmh: harus antara 5 dan 120"
