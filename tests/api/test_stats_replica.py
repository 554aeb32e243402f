"""The statistics endpoints read a replica when KOPDES_STATS_DATABASE_URL names one."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.main import create_app
from app.settings import Settings
from tests.conftest import fresh_database, migrate_and_load_regions, settings_for
from tests.factories import assert_problem, create_cooperative

LEGAL_PROGRESS = "/api/v1/stats/legal-progress"


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("read replicas are PostgreSQL's")


def _kukar_total(client: TestClient, headers: dict[str, str]) -> int:
    response = client.get(LEGAL_PROGRESS, params={"region": "64.02"}, headers=headers)
    assert response.status_code == 200, response.text
    return sum(response.json()["totals"].values())


def test_the_stats_read_the_replica_and_everything_else_the_primary(
    postgresql_only, client, database_url, tmp_path
):
    create_cooperative(client)
    # Stands in for a replica that has not yet received the new cooperative.
    replica_name = f"{make_url(database_url).database}_stats_replica"  # beside the suite's own
    replica_url = fresh_database("postgresql", replica_name, tmp_path)
    migrate_and_load_regions(replica_url)
    login = {"Authorization": client.headers["Authorization"]}

    app = create_app(settings_for(database_url, stats_database_url=replica_url))
    with TestClient(app) as with_replica:
        assert _kukar_total(client, login) == 1
        assert _kukar_total(with_replica, login) == 0
        listed = with_replica.get("/api/v1/cooperatives", headers=login).json()
        assert len(listed["items"]) == 1


def test_a_replica_that_is_down_fails_only_the_stats(postgresql_only, client, database_url):
    down = "postgresql://postgres@127.0.0.1:1/kopdes"  # nothing listens on port 1
    app = create_app(settings_for(database_url, stats_database_url=down, db_pool_timeout_seconds=1))
    login = {"Authorization": client.headers["Authorization"]}
    with TestClient(app, raise_server_exceptions=False) as with_replica:
        response = with_replica.get(LEGAL_PROGRESS, headers=login)
        assert_problem(response, 503)
        assert response.headers["Retry-After"]
        assert with_replica.get("/api/v1/cooperatives", headers=login).status_code == 200
        assert with_replica.get("/readyz").status_code == 200


def test_a_replica_needs_postgresql_and_an_empty_setting_is_none():
    with pytest.raises(ValidationError, match="KOPDES_STATS_DATABASE_URL"):
        Settings(stats_database_url="sqlite+aiosqlite:///var/replica.sqlite3")
    assert Settings(stats_database_url="").stats_database_url is None
