"""`/metrics` and the structured logs, seen from outside: scraped and captured as written."""

import json
import logging
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.core.logs import build_formatter
from app.main import create_app
from app.models.account import Role
from app.services import consultations
from tests.api.test_budget import MOVE, approved, draft, key, two_lines
from tests.conftest import settings_for
from tests.factories import VALID_NIK, assert_problem, create_cooperative
from tests.pii import leaked_niks, leaked_phones

OFFICER_PHONE = "0821-4455-6677"
CONTACT_PHONE = "+6281350001234"


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(client):
    coop = create_cooperative(client)
    before = scrape(client)
    for missing in (999_001, 999_002):
        assert_problem(client.get(f"/api/v1/cooperatives/{missing}"), 404)
    assert client.get(f"/api/v1/cooperatives/{coop['id']}").status_code == 200
    assert client.get("/no/such/page/123").status_code == 404
    after = scrape(client)

    route = "/api/v1/cooperatives/{cooperative_id}"
    for status, count in (("404", 2), ("200", 1)):
        counted = value(after, "http_requests_total", method="GET", route=route, status=status)
        assert counted - value(
            before, "http_requests_total", method="GET", route=route, status=status
        ) == pytest.approx(count)
    latency = "http_request_duration_seconds_count"
    assert value(after, latency, method="GET", route=route) - value(
        before, latency, method="GET", route=route
    ) == pytest.approx(3)
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "http_requests_total", **unmatched) - value(
        before, "http_requests_total", **unmatched
    ) == pytest.approx(1)
    routes = {dict(labels).get("route") for name, labels in after if name == "http_requests_total"}
    assert not any(str(route).endswith(("999001", "123")) for route in routes)


def test_refusals_replays_and_applied_refocusings_are_counted(client, login_as, database_url):
    btt, training = two_lines(client)
    movements = [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1_000}]
    before = scrape(client)

    refocusing = draft(client, movements)
    url = f"/api/v1/refocusings/{refocusing['id']}"
    stale = client.patch(url, json={"reason": "a later thought"}, headers={"If-Match": '"v0"'})
    assert_problem(stale, 412)

    same = key()
    body = {**MOVE, "movements": movements}
    assert client.post("/api/v1/refocusings", json=body, headers=same).status_code == 201
    replay = client.post("/api/v1/refocusings", json=body, headers=same)
    assert replay.headers["Idempotent-Replayed"] == "true"

    to_apply = approved(client, login_as, movements)
    applied = client.post(f"/api/v1/refocusings/{to_apply['id']}/apply", headers=key())
    assert applied.status_code == 200, applied.text

    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password"}
        ).status_code
        == 401
    )
    # A service whose login limit is one attempt a minute, on the same database.
    with TestClient(create_app_with(database_url, login_attempts_per_minute=1)) as limited:
        for expected in (401, 429):
            response = limited.post(
                "/api/v1/auth/token", data={"username": "someone", "password": "wrong-password"}
            )
            assert response.status_code == expected

    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(
        "kopdes_precondition_failed_total", route="/api/v1/refocusings/{refocusing_id}"
    ) == pytest.approx(1)
    assert moved("kopdes_idempotent_replays_total", route="/api/v1/refocusings") == pytest.approx(1)
    assert moved("kopdes_rate_limited_total", route="/api/v1/auth/token") == pytest.approx(1)
    assert moved("kopdes_refocusings_applied_total") == pytest.approx(1)
    assert moved("kopdes_logins_failed_total") == pytest.approx(2)


def create_app_with(database_url: str, **overrides):
    return create_app(settings_for(database_url, **overrides))


def test_database_pool_gauges(client, database_url):
    metrics = scrape(client)
    for name in ("checked_out", "checked_in", "overflow"):
        assert ("kopdes_db_pool_" + name, frozenset()) in metrics
    if database_url.startswith("postgresql"):
        assert value(metrics, "kopdes_db_pool_size") == 20  # KOPDES_DB_POOL_SIZE's default
        # The scrape itself holds no connection; nothing else is running.
        assert value(metrics, "kopdes_db_pool_checked_out") == 0


PROD = {
    "environment": "prod",
    "nik_encryption_key": Fernet.generate_key().decode(),
}


def test_metrics_are_off_in_prod_without_a_token_and_need_it_when_set(client, database_url):
    with TestClient(create_app_with(database_url, **PROD)) as prod:
        assert_problem(prod.get("/metrics"), 404)
    token = "metrics-" + "t" * 32
    for environment in ({**PROD}, {}):
        app = create_app_with(database_url, metrics_token=token, **environment)
        with TestClient(app) as guarded:
            for refused in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
                response = guarded.get("/metrics", headers=refused)
                assert_problem(response, 401)
                assert response.headers["WWW-Authenticate"] == "Bearer"
            scrape(guarded, Authorization=f"Bearer {token}")
    # Dev without a token: open, and not part of the API description.
    assert client.get("/metrics").status_code == 200
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """The JSON lines the service writes while the test runs."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Capture()
    handler.setFormatter(build_formatter("json"))
    logging.getLogger().addHandler(handler)
    yield lines
    logging.getLogger().removeHandler(handler)


def test_access_lines_carry_the_request_and_personal_data_is_masked(client, log_lines, monkeypatch):
    coop = create_cooperative(client)
    officer = client.post(
        f"/api/v1/cooperatives/{coop['id']}/officers",
        json={
            "body": "pengurus",
            "role": "ketua",
            "name": "Siti",
            "nik": VALID_NIK,
            "phone": OFFICER_PHONE,
        },
    )
    assert officer.status_code == 201, officer.text
    contact = {
        "channel": "field_visit",
        "occurred_at": "2025-08-04T09:30:00+08:00",
        "topics": ["legalitas"],
        "summary": "A group still forming.",
        "village_code": "64.02.12.2003",
        "contact_name": "Pak Yusuf",
        "contact_phone": CONTACT_PHONE,
    }
    assert client.post("/api/v1/consultations", json=contact).status_code == 201

    async def failing(*_args, **_kwargs):
        raise RuntimeError(f"cannot reach {OFFICER_PHONE} or {CONTACT_PHONE} for NIK {VALID_NIK}")

    monkeypatch.setattr(consultations, "create_consultation", failing)
    failed = client.post("/api/v1/consultations", json=contact)
    assert_problem(failed, 500)

    records = [json.loads(line) for line in log_lines]  # every line is one JSON object
    for line in log_lines:
        assert not leaked_niks(line, {VALID_NIK}), line
        assert not leaked_phones(line, {OFFICER_PHONE, CONTACT_PHONE}), line
    # The failure was logged, with its exception text, masked.
    (error,) = [r for r in records if r["logger"] == "kopdes.errors"]
    assert "RuntimeError: cannot reach" in error["exception"]
    assert "6402********0001" in error["exception"]
    assert error["request_id"] == failed.headers["X-Request-ID"]

    access = {r["request_id"]: r for r in records if r["logger"] == "kopdes.access"}
    line = access[officer.headers["X-Request-ID"]]
    assert line["route"] == "/api/v1/cooperatives/{cooperative_id}/officers"
    assert (line["method"], line["status"], line["actor"]) == ("POST", 201, "user:test-admin")
    assert line["path"] == f"/api/v1/cooperatives/{coop['id']}/officers"
    assert line["duration_ms"] >= 0 and line["client"] == "testclient"
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    crashed = access[failed.headers["X-Request-ID"]]
    assert (crashed["route"], crashed["status"]) == ("/api/v1/consultations", 500)


def test_a_request_id_sent_by_the_client_is_the_one_logged(client, log_lines, login_as):
    request_id = "6f1c1f8e-2f4b-4d84-9d38-0b6c1a0f3f11"
    viewer = login_as(Role.viewer, "64.02")
    response = client.get("/api/v1/regions/64.02", headers={"X-Request-ID": request_id, **viewer})
    assert response.headers["X-Request-ID"] == request_id
    (line,) = [
        json.loads(line) for line in log_lines if '"kopdes.access"' in line and request_id in line
    ]
    assert (
        line["actor"].startswith("user:test-viewer") and line["route"] == "/api/v1/regions/{code}"
    )
