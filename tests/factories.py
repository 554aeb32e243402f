"""Plain builders for request bodies and records, with keyword overrides."""

import re
from typing import Any

from fastapi.testclient import TestClient

from app.main import WEB_ROUTERS

TABANG_VILLAGE = "64.02.12.2001"  # Gunung Sari, a desa in Tabang, Kukar
TENGGARONG_KELURAHAN = "64.02.06.1001"  # Jahab, a kelurahan in Tenggarong
VALID_NPWP_16 = "0012345674721000"  # 0 + a Luhn-valid 15-digit organisation NPWP
VALID_NIK = "6402125304850001"  # Tabang registration, woman born 13 Apr 1985
# Sent as a POST's headers, the test client removes the Idempotency-Key it would otherwise add
# (tests/conftest.py), so that the request arrives without one.
NO_IDEMPOTENCY_KEY = {"Idempotency-Key": "test-client: send none"}

# The web app's pages: they take the session cookie, never a bearer token or an API key, so the
# API's permission walks leave them to tests/web.
WEB_PAGES = {re.sub(r":\w+}", "}", route.path) for router in WEB_ROUTERS for route in router.routes}


def if_match(client: TestClient, url: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """`{"If-Match": <ETag>}` from a GET of `url` (its query string left out), for a PATCH or
    DELETE of the same record; `headers` are the caller's, if not the client's own."""
    response = client.get(url.split("?")[0], headers=headers)
    assert response.status_code == 200, response.text
    return {"If-Match": response.headers["ETag"], **(headers or {})}


def cooperative_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Koperasi Desa Merah Putih Gunung Sari",
        "village_code": TABANG_VILLAGE,
        "business_units": ["gerai_sembako", "simpan_pinjam"],
        "members_male": 40,
        "members_female": 35,
        "is_active": True,
        "last_rat_year": 2025,
        "contact_phone": "0812-3456-7890",
        "akta_number": "17",
        "akta_date": "2025-06-02",
        "notary_name": "Notaris Ratna Dewi, S.H., M.Kn.",
        "sk_ahu_number": "AHU-0025573.AH.01.29.TAHUN 2025",
        "sk_ahu_date": "2025-06-20",
        "nib": "9120001234567",
        "npwp": VALID_NPWP_16,
    }
    body.update(overrides)
    return body


def create_cooperative(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/cooperatives", json=cooperative_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`, naming `field` if given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:kopdes:problem:")
    assert body["title"]
    if field is not None:
        locs = [[str(part) for part in e["loc"]] for e in body.get("errors", [])]
        assert any(field in loc for loc in locs), (field, locs)
        assert field in body["detail"]
    return body


def create_budget_line(client: TestClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fiscal_year": 2025,
        "region_code": "64.02",
        "skpd": "Dinas Koperasi dan UKM Kab. Kutai Kartanegara",
        "sub_kegiatan_code": "2.17.05.2.01.0001",
        "sub_kegiatan_name": "Peningkatan Pemahaman dan Pengetahuan Perkoperasian",
        "kode_rekening": "5.1.02.02.12.0001",
        "name": "Belanja Kursus Singkat/Pelatihan",
        "original_ceiling": 100_000_000,
        **overrides,
    }
    response = client.post("/api/v1/budget-lines", json=body)
    assert response.status_code == 201, response.text
    return response.json()
