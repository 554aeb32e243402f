"""Request limits: an oversized body is a 413, an oversized list a 422, a page at most 200."""

import json
import re

from fastapi.testclient import TestClient

from app.http.pagination import MAX_PAGE_SIZE
from app.main import create_app
from app.settings import Settings
from tests.factories import TABANG_VILLAGE, assert_problem, cooperative_body


def _padded(body: dict, size: int) -> bytes:
    """`body` as JSON of exactly `size` bytes (spaces are valid JSON whitespace)."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def test_a_body_over_the_limit_is_a_413_and_writes_nothing(client):
    limit = client.app.state.settings.max_body_bytes
    assert limit == 1024 * 1024
    headers = {"content-type": "application/json"}

    body = assert_problem(
        client.post(
            "/api/v1/cooperatives", content=_padded(cooperative_body(), limit + 1), headers=headers
        ),
        413,
    )
    assert f"{limit:,} bytes" in body["detail"]
    assert client.get("/api/v1/cooperatives").json()["items"] == []

    # A chunked body declares no length: it is counted as it arrives.
    def chunks():
        yield json.dumps(cooperative_body())[:-1].encode() + b', "name": "'
        for _ in range(limit // 65_536 + 1):
            yield b"x" * 65_536
        yield b'"}'

    assert_problem(client.post("/api/v1/cooperatives", content=chunks(), headers=headers), 413)
    assert client.get("/api/v1/cooperatives").json()["items"] == []

    # Exactly the limit is still read (and the oversized name refused as any bad field).
    at_limit = client.post(
        "/api/v1/cooperatives",
        content=_padded(cooperative_body(name="Koperasi Desa " + "x" * 300), limit),
        headers=headers,
    )
    assert_problem(at_limit, 422, field="name")


def test_an_upload_route_declares_a_larger_limit(client):
    # 1.5 MiB: over the default limit, within the DPA import's own.
    padding = b"x" * (3 * 2**19)
    response = client.post(
        "/api/v1/budget-lines/import",
        params={"fiscal_year": 2025, "region_code": "64.02"},
        files={"file": ("dpa.csv", b"Uraian\n" + padding, "text/csv")},
    )
    assert response.status_code == 422, response.text
    assert client.get("/api/v1/budget-lines").json()["items"] == []


def test_the_limit_is_a_setting_and_documented(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3", max_body_bytes=4096))
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/cooperatives",
            content=_padded({}, 4097),
            headers={"content-type": "application/json"},
        )
        body = assert_problem(response, 413)
        assert "4,096 bytes" in body["detail"]
        schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)
    upload = schema["paths"]["/api/v1/budget-lines/import"]["post"]
    assert upload["x-max-body-bytes"] > 2 * 1024 * 1024


def test_oversized_lists_are_a_422(client):
    units = ["gerai_sembako"] * 9
    response = client.post("/api/v1/cooperatives", json=cooperative_body(business_units=units))
    assert_problem(response, 422, field="business_units")

    follow_up = {"description": "Kirim draf AD/ART", "due_date": "2025-07-01"}
    consultation = {
        "channel": "walk_in",
        "occurred_at": "2025-06-02T09:00:00+08:00",
        "village_code": TABANG_VILLAGE,
        "summary": "Tanya akta",
        "follow_ups": [follow_up] * 21,
    }
    response = client.post("/api/v1/consultations", json=consultation)
    assert_problem(response, 422, field="follow_ups")

    comparison = {
        "preset": "kukar",
        "event": {"date": "2025-09-01"},
        "no_signal": ["64.02"] * 10_001,
    }
    response = client.post("/api/v1/planner/launch-comparison", json=comparison)
    assert_problem(response, 422, field="no_signal")


def test_every_list_caps_its_page_size(client):
    schema = client.get("/openapi.json").json()
    lists = [
        path
        for path, item in schema["paths"].items()
        if any(p["name"] == "page_size" for p in item.get("get", {}).get("parameters", []))
    ]
    assert len(lists) >= 10
    for path in lists:
        page_size = next(
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"
        )
        assert page_size["schema"]["maximum"] == MAX_PAGE_SIZE, path
        url = re.sub(r"\{\w+\}", "1", path)
        response = client.get(url, params={"page_size": MAX_PAGE_SIZE + 1})
        assert_problem(response, 422, field="page_size")
