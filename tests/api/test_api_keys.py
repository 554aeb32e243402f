from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.models.account import ApiKey, Role
from tests.factories import assert_problem, create_cooperative, if_match


def _create_key(client, **overrides):
    body = {"name": "Dashboard Provinsi", "scopes": ["cooperatives:read"], "region_scope": "64.02"}
    response = client.post("/api/v1/api-keys", json={**body, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_key_is_shown_once_stored_hashed_and_reads_within_its_scopes(client, in_app_session):
    create_cooperative(client)
    create_cooperative(client, village_code="64.03.01.2001", name="Kop Merabu")
    created = _create_key(client)
    key = created["key"]
    assert key.startswith(f"kop_{created['key_id']}_") and len(key) > 40

    listed = client.get("/api/v1/api-keys").json()["items"]
    assert key not in str(listed) and listed[0]["key_id"] == created["key_id"]
    assert key not in client.get(f"/api/v1/api-keys/{created['id']}").text

    stored = in_app_session(lambda s: s.scalar(select(ApiKey.key_hash)))
    assert key not in stored and len(stored) == 64

    client.headers.pop("Authorization")
    headers = {"X-API-Key": key}
    items = client.get("/api/v1/cooperatives", headers=headers).json()["items"]
    assert [c["village_code"] for c in items] == ["64.02.12.2001"]
    assert "*" in items[0]["contact_phone"]  # integrations see phones masked
    assert_problem(client.get("/api/v1/stats/legal-progress", headers=headers), 403)
    assert_problem(client.get("/api/v1/regions", headers=headers), 403)
    write = client.post("/api/v1/cooperatives", json={"name": "x"}, headers=headers)
    assert_problem(write, 403)
    assert client.get("/api/v1/auth/me", headers=headers).json()["api_scopes"] == [
        "cooperatives:read"
    ]


def test_revoked_and_expired_keys_are_refused_at_once(client):
    key = _create_key(client)
    headers = {"X-API-Key": key["key"]}
    both = client.get("/api/v1/cooperatives", headers=headers)  # the client also sends a token
    assert_problem(both, 401)
    admin = client.headers.pop("Authorization")
    assert client.get("/api/v1/cooperatives", headers=headers).status_code == 200
    client.headers["Authorization"] = admin
    detail = client.get(f"/api/v1/api-keys/{key['id']}").json()
    assert detail["last_used_at"] is not None

    url = f"/api/v1/api-keys/{key['id']}"
    revoked = client.delete(url, headers=if_match(client, url))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    client.headers.pop("Authorization")
    assert_problem(client.get("/api/v1/cooperatives", headers=headers), 401)
    client.headers["Authorization"] = admin

    short = _create_key(client, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_problem(
        client.post(
            "/api/v1/api-keys",
            json={
                "name": "x",
                "scopes": ["stats:read"],
                "region_scope": "64.02",
                "expires_at": past,
            },
        ),
        422,
        field="expires_at",
    )
    client.headers.pop("Authorization")
    assert (
        client.get("/api/v1/cooperatives", headers={"X-API-Key": short["key"]}).status_code == 200
    )
    tampered = short["key"][:-2] + ("AA" if not short["key"].endswith("AA") else "BB")
    assert_problem(client.get("/api/v1/cooperatives", headers={"X-API-Key": tampered}), 401)
    assert_problem(client.get("/api/v1/cooperatives", headers={"X-API-Key": "kop_nope"}), 401)


def test_an_expired_key_is_refused(client, in_app_session):
    key = _create_key(client, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())

    async def expire(session):
        await session.execute(
            update(ApiKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()

    in_app_session(expire)
    client.headers.pop("Authorization")
    assert_problem(client.get("/api/v1/cooperatives", headers={"X-API-Key": key["key"]}), 401)


def test_only_admins_manage_keys_and_only_within_their_region(client, login_as):
    viewer = login_as(Role.viewer, "64.02")
    assert_problem(client.get("/api/v1/api-keys", headers=viewer), 403)
    kukar_admin = login_as(Role.admin, "64.02")
    outside = client.post(
        "/api/v1/api-keys",
        json={"name": "x", "scopes": ["stats:read"], "region_scope": "64.03"},
        headers=kukar_admin,
    )
    assert_problem(outside, 422, field="region_scope")
    national = _create_key(client, region_scope="")
    assert_problem(client.get(f"/api/v1/api-keys/{national['id']}", headers=kukar_admin), 404)
    assert_problem(client.delete(f"/api/v1/api-keys/{national['id']}", headers=kukar_admin), 404)
    bad_scope = client.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["admin"], "region_scope": "64.02"}
    )
    assert_problem(bad_scope, 422, field="scopes")


def test_the_answer_that_shows_a_new_key_is_never_stored_by_a_cache(client):
    response = client.post(
        "/api/v1/api-keys",
        json={"name": "Dashboard", "scopes": ["stats:read"], "region_scope": "64.02"},
    )
    assert response.status_code == 201 and response.json()["key"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/api-keys"]["post"]
    assert {"Cache-Control", "ETag"} <= operation["responses"]["201"]["headers"].keys()
