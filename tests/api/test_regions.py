from tests.factories import assert_problem


def test_kukar_has_twenty_districts_in_code_order(client):
    response = client.get("/api/v1/regions", params={"parent": "64.02", "total": "true"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 20
    codes = [r["code"] for r in body["items"]]
    assert codes[0] == "64.02.01" and codes[-1] == "64.02.20"
    assert codes == sorted(codes)
    assert {r["level"] for r in body["items"]} == {"district"}
    assert body["next_cursor"] is None


def test_name_search_ignores_case_and_filters_level(client):
    response = client.get("/api/v1/regions", params={"q": "tABANG", "level": "district"})
    assert [r["code"] for r in response.json()["items"]] == ["64.02.12"]


def test_cursor_walks_every_page_without_gaps(client):
    seen, cursor = [], None
    while True:
        params = {"parent": "64.02.12", "page_size": 7}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/regions", params=params).json()
        seen += [r["code"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 19 == len(set(seen))  # Tabang's 19 desa
    assert seen == sorted(seen)


def test_cursor_from_other_filters_or_forged_is_refused(client):
    cursor = client.get("/api/v1/regions", params={"parent": "64.02", "page_size": 2}).json()[
        "next_cursor"
    ]
    other = client.get("/api/v1/regions", params={"parent": "64.03", "cursor": cursor})
    assert_problem(other, 400)
    forged = client.get(
        "/api/v1/regions", params={"parent": "64.02", "cursor": cursor[:-3] + "abc"}
    )
    assert_problem(forged, 400)


def test_region_detail_has_ancestors_province_first(client):
    body = client.get("/api/v1/regions/64.02.12.2001").json()
    assert body["name"] == "Gunung Sari"
    assert body["level"] == "desa"
    assert [a["code"] for a in body["ancestors"]] == ["64", "64.02", "64.02.12"]


def test_unknown_code_is_404_and_malformed_is_422(client):
    assert_problem(client.get("/api/v1/regions/64.02.99"), 404)
    assert_problem(client.get("/api/v1/regions/64-02"), 422, field="code")
    assert_problem(client.get("/api/v1/regions", params={"parent": "6402"}), 422, field="parent")


def test_page_size_is_capped(client):
    assert_problem(client.get("/api/v1/regions", params={"page_size": 201}), 422, field="page_size")
    assert len(client.get("/api/v1/regions", params={"page_size": 200}).json()["items"]) == 200
