"""Every page for every role of the office and a cooperative: the page answers as the
permission table says, and no link or form on it leads to an action the role may not take (the
button is absent, not only refused)."""

import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.access.permissions import ROLE_PERMISSIONS, ROUTE_PERMISSIONS, Permission
from app.models.account import Role
from tests.factories import WEB_PAGES
from tests.web.conftest import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser

# A hub coordinator (the demo has none): made by the records below, and given a hub.
COORDINATOR = "uji-koordinator"
ACCOUNTS = {
    "demo-admin": Role.admin,
    "demo-officer": Role.officer,
    "demo-viewer": Role.viewer,
    "demo-cooperative": Role.cooperative,
    COORDINATOR: Role.coordinator,
}
OPEN_TO_ALL = {Permission.public, Permission.authenticated}
DOWNLOADS = {
    "/koperasi/unduh",
    "/unduh/konsultasi",
    "/unduh/pelatihan",
    "/unduh/anggaran",
    "/peluncuran/{launch_id}/kehadiran",
    "/peluncuran/{launch_id}/biaya/katalog",
}
# An event stream never ends loading: the live board's page is walked, its stream is not.
STREAMS = {"/peluncuran/{launch_id}/papan/stream"}


def _route_of(method: str, path: str) -> Permission | None:
    """The permission of the page or API route that `path` names, None if it names none."""
    for (route_method, template), permission in ROUTE_PERMISSIONS.items():
        pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$"
        if route_method == method and re.match(pattern, path):
            return permission
    return None


@pytest.fixture(scope="module")
def records(live_server: str, web_database: str) -> Iterator[dict[str, Any]]:
    """The demo cooperative account's own cooperative, one of its officers, a consultation of it
    with a follow-up and a training it is invited to, recorded by the demo officer through the
    API."""
    with sqlite3.connect(make_url(web_database).database or "") as db:
        (cooperative_id,) = db.execute(
            "SELECT cooperative_id FROM user_account WHERE username = 'demo-cooperative'"
        ).fetchone()
        (officer_id,) = db.execute(
            "SELECT id FROM officer WHERE cooperative_id = ? ORDER BY id", (cooperative_id,)
        ).fetchone()
        # An account of the demo's Kukar, for the admin pages.
        (user_id,) = db.execute(
            "SELECT id FROM user_account WHERE username = 'demo-officer'"
        ).fetchone()
    with httpx.Client(base_url=live_server) as api:
        token = api.post(
            "/api/v1/auth/token", data={"username": "demo-officer", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        consultation = api.post(
            "/api/v1/consultations",
            json={
                "cooperative_id": cooperative_id,
                "channel": "walk_in",
                "occurred_at": "2025-08-04T09:30:00+08:00",
                "topics": ["rat"],
                "advice": "Tutup buku sebelum RAT.",
                "follow_ups": [
                    {
                        "description": "Kirim contoh laporan RAT",
                        "responsible": "officer",
                        "due_date": (date.today() + timedelta(days=3)).isoformat(),
                    }
                ],
            },
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        assert consultation.status_code == 201, consultation.text
        # A training that invites the cooperative, so that its account sees it too.
        headers = {"Authorization": f"Bearer {token}"}
        training = api.post(
            "/api/v1/trainings",
            json={
                "title": "RAT tepat waktu",
                "region_code": "64.02",
                "capacity": 10,
                "estimated_cost": 0,
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert training.status_code == 201, training.text
        invited = api.post(
            f"/api/v1/trainings/{training.json()['id']}/invitations",
            json={"cooperative_id": cooperative_id, "seats": 2},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert invited.status_code == 201, invited.text
        plan = api.post(
            "/api/v1/launch-plans",
            json={
                "name": "Peluncuran Kukar",
                "region": "64.02",
                "inputs": {"preset": "kukar", "event": {"date": "2025-07-21"}, "draws": 20},
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert plan.status_code == 201, plan.text
        # A refocusing the officer drafted and submitted, waiting for the head's approval.
        lines = []
        for account in ("5.1.02.01.01.0024", "5.1.02.02.01.0026"):
            line = api.post(
                "/api/v1/budget-lines",
                json={
                    "fiscal_year": 2023,
                    "region_code": "64.02",
                    "skpd": "Dinas Koperasi dan UKM Kab. Kutai Kartanegara",
                    "sub_kegiatan_code": "2.17.05.2.01.0001",
                    "sub_kegiatan_name": "Peningkatan Pemahaman Perkoperasian",
                    "kode_rekening": account,
                    "name": f"Pos uji peran {account}",
                    "original_ceiling": 1_000_000,
                },
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            )
            assert line.status_code == 201, line.text
            lines.append(line.json()["id"])
        refocusing = api.post(
            "/api/v1/refocusings",
            json={
                "fiscal_year": 2023,
                "region_code": "64.02",
                "reason": "Uji peran",
                "legal_basis": "Perbup Kukar 12/2023",
                "document_type": "pergeseran",
                "document_number": "900/1/2023",
                "document_date": "2023-05-02",
                "movements": [{"from_line_id": lines[0], "to_line_id": lines[1], "amount": 1}],
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert refocusing.status_code == 201, refocusing.text
        submitted = api.post(
            f"/api/v1/refocusings/{refocusing.json()['id']}/submit",
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert submitted.status_code == 200, submitted.text
        # The plan run as a launch, whose Tenggarong hub the coordinator account is given.
        starts = datetime.now(UTC) + timedelta(days=10)
        launch = api.post(
            "/api/v1/launches",
            json={
                "plan_id": plan.json()["id"],
                "format": "hybrid_hubs",
                "name": "Peluncuran uji peran",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert launch.status_code == 201, launch.text
        hubs = api.get(
            f"/api/v1/launches/{launch.json()['id']}/hubs",
            params={"page_size": 100},
            headers=headers,
        ).json()["items"]
        hub = next(h for h in hubs if h["region_code"] == "64.02.06")
        hub_url = f"/api/v1/launches/{launch.json()['id']}/hubs/{hub['id']}"
        given = api.patch(
            hub_url,
            json={"coordinator_id": _coordinator_id(api)},
            headers={**headers, "If-Match": api.get(hub_url, headers=headers).headers["ETag"]},
        )
        assert given.status_code == 200, given.text
    yield {
        "cooperative_id": cooperative_id,
        "officer_id": officer_id,
        "consultation_id": consultation.json()["id"],
        "user_id": user_id,
        "training_id": training.json()["id"],
        "plan_id": plan.json()["id"],
        "refocusing_id": refocusing.json()["id"],
        "launch_id": launch.json()["id"],
        "hub_id": hub["id"],
    }


def _coordinator_id(api: httpx.Client) -> int:
    """The coordinator account's id, made by the demo administrator the first time."""
    token = api.post(
        "/api/v1/auth/token", data={"username": "demo-admin", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    made = api.post(
        "/api/v1/users",
        json={
            "username": COORDINATOR,
            "password": DEMO_PASSWORD,
            "role": "coordinator",
            "region_scope": "64.02",
        },
        headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
    )
    if made.status_code == 201:
        return int(made.json()["id"])
    assert made.status_code == 409, made.text  # made by an earlier run of these records
    users = api.get("/api/v1/users", params={"page_size": 200}, headers=admin).json()["items"]
    return next(int(u["id"]) for u in users if u["username"] == COORDINATOR)


@pytest.mark.parametrize("username", ACCOUNTS)
def test_each_role_sees_its_pages_and_only_the_actions_it_may_take(page, records, username):
    role = ACCOUNTS[username]
    granted = ROLE_PERMISSIONS[role] | OPEN_TO_ALL
    log_in(page, username)
    for (method, template), permission in ROUTE_PERMISSIONS.items():
        if method != "GET" or template not in WEB_PAGES or template in DOWNLOADS | STREAMS:
            continue  # a download is a file, not a page (tests/web/test_downloads_page.py)
        url = re.sub(r"\{(\w+)\}", lambda name: str(records[name.group(1)]), template)
        queries = {
            "/meja/pilihan": "?cari=Merah",
            "/rencana/banding": f"?a={records['plan_id']}&b={records['plan_id']}",
        }
        response = page.goto(url + queries.get(template, ""))
        assert response is not None
        if template == "/masuk":
            continue  # the login page of a caller who is logged in already
        expected = 200 if permission in granted else 403
        assert response.status == expected, (username, url)
        if expected != 200:
            continue
        for href in page.locator("a[href^='/']").evaluate_all("(a) => a.map(e => e.pathname)"):
            needed = _route_of("GET", href)
            assert needed is None or needed in granted, (username, url, "link", href)
        for action in page.locator("form[method='post']").evaluate_all(
            "(f) => f.map(e => new URL(e.action).pathname)"
        ):
            needed = _route_of("POST", action)
            assert needed is not None and needed in granted, (username, url, "form", action)
