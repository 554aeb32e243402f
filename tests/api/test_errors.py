from fastapi.testclient import TestClient

from app.access.permissions import ROUTE_PERMISSIONS, Permission
from app.main import create_app
from app.settings import Settings
from tests.factories import assert_problem


def test_framework_errors_are_problems(client):
    assert_problem(client.get("/api/v1/nowhere"), 404)
    assert_problem(client.put("/api/v1/cooperatives"), 405)
    malformed = client.post(
        "/api/v1/cooperatives", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(malformed, 422)
    assert_problem(client.post("/api/v1/cooperatives", json=[1, 2]), 422)
    not_utf8 = client.post(
        "/api/v1/cooperatives",
        content=b'{"name": "\xff"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(not_utf8, 422, field="body")
    broken_form = client.post(
        "/api/v1/budget-lines/import",
        content=b"--b\r\nTrue--b--\r\n",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert_problem(broken_form, 400)
    # A 405 names every method of the path, not only those of the first route that matched.
    assert assert_problem(client.put("/api/v1/cooperatives/1"), 405)
    assert client.put("/api/v1/cooperatives/1").headers["allow"] == "DELETE, GET, PATCH"
    assert client.get("/api/v1/budget-lines/import").headers["allow"] == "POST"


def test_unhandled_errors_are_a_500_without_internals(tmp_path, monkeypatch):
    monkeypatch.setitem(ROUTE_PERMISSIONS, ("GET", "/api/v1/boom"), Permission.public)
    monkeypatch.setitem(ROUTE_PERMISSIONS, ("GET", "/boom"), Permission.public)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3"))

    @app.get("/api/v1/boom")
    @app.get("/boom")  # a web page
    async def boom() -> None:
        raise RuntimeError("secret internal detail in /srv/app.py line 42")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
        page = client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["instance"] == "/api/v1/boom"
    assert body["request_id"] == response.headers["x-request-id"]
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Terjadi kesalahan" in page.text
    assert "secret" not in page.text and "Traceback" not in page.text


def test_openapi_documents_every_route_and_problem_shape(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/cooperatives/{cooperative_id}/legal-events" in schema["paths"]
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) >= 14
    for operation in operations:
        assert operation.get("description") or operation.get("summary")
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"]
    assert client.get("/docs").status_code == 200


def test_a_misspelt_query_parameter_is_a_422_naming_it(client):
    answer = client.get("/api/v1/cooperatives", params={"regoin": "64.02", "page_size": 5})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"] == [
        {"loc": ["query", "regoin"], "msg": "unknown parameter", "type": "extra_forbidden"}
    ]
    assert "regoin" in problem["detail"] and "region" in problem["detail"]
    # The parameters the route takes, its page's and its dependencies' included, still work.
    assert client.get(
        "/api/v1/cooperatives", params={"region": "64.02", "total": "true"}
    ).is_success


def test_problems_speak_indonesian_when_asked_and_keep_their_type(client):
    english = client.get("/api/v1/cooperatives/999999")
    indonesian = client.get("/api/v1/cooperatives/999999", headers={"Accept-Language": "id-ID"})
    assert english.json()["title"] == "Not found"
    assert english.json()["detail"] == "cooperative 999999 does not exist"
    problem = assert_problem(indonesian, 404)
    assert problem["type"] == english.json()["type"] == "urn:kopdes:problem:not-found"
    assert problem["title"] == "Tidak ditemukan"
    assert "999999" in problem["detail"] and problem["detail"] != english.json()["detail"]
    assert indonesian.headers["content-type"] == "application/problem+json"
    assert "Accept-Language" in indonesian.headers["vary"]

    # A field's rule and a field error of the service, each said in Indonesian.
    typed = client.post(
        "/api/v1/sk-ahu-targets",
        json={"region": "64.02", "starts_on": "2025-06-01", "ends_on": "2025-06-30", "target": 0},
        headers={"Accept-Language": "id"},
    )
    assert assert_problem(typed, 422, field="target")["detail"] == "body.target: Isi 1 atau lebih."
    backwards = client.post(
        "/api/v1/sk-ahu-targets",
        json={"region": "64.02", "starts_on": "2025-07-01", "ends_on": "2025-06-01", "target": 5},
        headers={"Accept-Language": "id, en;q=0.5"},
    )
    detail = assert_problem(backwards, 422, field="ends_on")["detail"]
    assert detail.startswith("body.ends_on: ") and "starts_on" in detail
    assert detail != "body.ends_on: must not be before starts_on"
    # English first, or a language we do not speak: English, as before.
    for header in ("en-GB, id;q=0.5", "fr"):
        asked = client.get("/api/v1/cooperatives/999999", headers={"Accept-Language": header})
        assert asked.json()["title"] == "Not found"
