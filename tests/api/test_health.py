import sqlite3

from alembic import command
from fastapi.testclient import TestClient

from app.core.migrations import alembic_config
from app.main import create_app
from app.settings import Settings
from tests.factories import assert_problem


def test_live_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_not_ready_when_database_is_unreachable():
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        body = assert_problem(client.get("/readyz"), 503)
        assert "did not answer" in body["detail"]


def test_requests_get_a_503_to_retry_while_the_database_is_unreachable():
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/auth/token", data={"username": "a", "password": "b"})
    body = assert_problem(response, 503)
    assert "cannot be reached" in body["detail"]
    assert response.headers["retry-after"] == "2"


def test_not_ready_when_migrations_are_behind(tmp_path):
    path = tmp_path / "behind.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'older'")
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    body = assert_problem(response, 503)
    assert "alembic upgrade head" in body["detail"]
    assert response.headers["retry-after"]
