"""National demo data, on a small region set: one cooperative per village with its officers
and the office's work around it, written in bulk, never mixed with real records."""

import pytest

from app.access.security import NikCipher
from app.models.account import Role
from app.seed import demo
from app.settings import Settings
from tests.factories import create_cooperative

TABANG = "64.02.12"


@pytest.fixture
def load_national(in_app_session):
    cipher = NikCipher(Settings().nik_encryption_key.get_secret_value())
    seen = []

    def load(region=TABANG):
        return in_app_session(
            lambda session: demo.load_demo(
                session,
                cipher,
                scale=demo.Scale.national,
                region=region,
                progress=lambda done, total: seen.append((done, total)),
            )
        )

    load.progress = seen
    return load


def _total(client, url, **params):
    response = client.get(url, params={"total": "true", **params})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_every_village_gets_a_demo_cooperative_with_officers_and_activity(client, load_national):
    villages = _total(client, "/api/v1/regions", parent=TABANG)
    report = load_national()
    assert report.created == villages and report.already_there == 0
    assert load_national.progress[0] == (0, villages)
    assert load_national.progress[-1] == (villages, villages)

    cooperatives = client.get("/api/v1/cooperatives", params={"region": TABANG}).json()["items"]
    assert len(cooperatives) == villages
    assert all(c["is_demo"] for c in cooperatives)
    officers = client.get(f"/api/v1/cooperatives/{cooperatives[0]['id']}/officers").json()
    assert len(officers["items"]) == 4
    assert all(o["nik_masked"].startswith("6402****") for o in officers["items"])

    consultations = _total(client, "/api/v1/consultations", region=TABANG)
    assert consultations == report.rows["consultation"]
    assert 4 * villages <= consultations <= 20 * villages
    assert _total(client, "/api/v1/follow-ups") == report.rows["follow_up"]
    assert _total(client, "/api/v1/trainings") == report.rows["training"] >= 1
    lines = client.get("/api/v1/budget/summary", params={"fiscal_year": 2025}).json()
    assert len(lines["lines"]) == 3 and lines["totals"]["available"] >= 0

    events = client.get("/api/v1/audit-events", params={"action": "demo.load"}).json()["items"]
    assert [e["after"]["rows"] for e in events] == [report.rows]

    # Each village's records are drawn from its own seed: loading again adds nothing.
    again = load_national()
    assert again.created == 0 and again.already_there == villages
    assert _total(client, "/api/v1/consultations", region=TABANG) == consultations


def test_the_national_loader_refuses_real_records(client, load_national):
    create_cooperative(client)
    with pytest.raises(demo.RealRecordsPresent, match="1 real cooperatives"):
        load_national()
    assert _total(client, "/api/v1/consultations") == 0


def test_demo_consultations_are_visible_to_the_office_that_owns_them(
    client, load_national, login_as
):
    load_national()
    kubar = login_as(Role.viewer, "64.03")
    assert _total(client, "/api/v1/consultations", region=TABANG) > 0
    response = client.get("/api/v1/consultations", params={"total": "true"}, headers=kubar)
    assert response.json()["total"] == 0
