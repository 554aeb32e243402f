"""Every route has a declared permission, and every role gets exactly what the table says."""

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.access.permissions import (
    API_SCOPE_PERMISSIONS,
    ROLE_PERMISSIONS,
    ROUTE_PERMISSIONS,
    Permission,
)
from app.main import create_app
from app.models.account import ApiScope, Role
from app.settings import Settings
from tests.factories import VALID_NIK, WEB_PAGES, create_cooperative


def _api_routes():
    app = create_app(Settings())
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in context.original_route.methods:
                yield method, context.path_format


def test_every_route_declares_a_permission_and_the_table_has_no_strays():
    routes = set(_api_routes())
    missing = routes - ROUTE_PERMISSIONS.keys()
    assert not missing, (
        f"routes without a permission in app/access/permissions.py: {sorted(missing)}"
    )
    stray = ROUTE_PERMISSIONS.keys() - routes
    assert not stray, f"permissions for routes that do not exist: {sorted(stray)}"


def _identities(client, login_as, coop_id):
    headers = {role: login_as(role, "64.02") for role in (Role.admin, Role.officer, Role.viewer)}
    headers[Role.cooperative] = login_as(Role.cooperative, "64.02", coop_id)
    headers[Role.coordinator] = login_as(Role.coordinator, "64.02")
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "all scopes", "scopes": list(ApiScope), "region_scope": "64.02"},
    ).json()["key"]
    headers[Role.integration] = {"X-API-Key": key}
    return headers


def _allowed(role, permission):
    if role is Role.integration:
        granted = frozenset().union(*API_SCOPE_PERMISSIONS.values())
    else:
        granted = ROLE_PERMISSIONS[role]
    return permission in (Permission.public, Permission.authenticated) or permission in granted


def test_role_by_route_matrix(client, login_as):
    coop = create_cooperative(client)
    officer = client.post(
        f"/api/v1/cooperatives/{coop['id']}/officers",
        json={"body": "pengurus", "role": "ketua", "name": "Siti", "nik": VALID_NIK},
    ).json()
    user_id = client.get("/api/v1/users").json()["items"][0]["id"]
    identities = _identities(client, login_as, coop["id"])
    key_id = client.get("/api/v1/api-keys").json()["items"][0]["id"]
    values = {
        "code": "64.02",
        "cooperative_id": coop["id"],
        "officer_id": officer["id"],
        "user_id": user_id,
        "api_key_id": key_id,
    }
    client.headers.pop("Authorization")
    checked = 0
    for (method, template), permission in ROUTE_PERMISSIONS.items():
        if method == "DELETE":
            continue  # deletes are covered below, on records made for the purpose
        if template in WEB_PAGES:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), template)
        for role, headers in [(None, {}), *identities.items()]:
            body = {} if method in ("POST", "PATCH") else None
            response = client.request(method, url, headers=headers, json=body)
            status = response.status_code
            if permission is Permission.public:
                assert status not in (401, 403), (role, method, template, response.text)
            elif role is None:
                assert status == 401, (method, template, status)
            elif _allowed(role, permission):
                assert status not in (401, 403), (role, method, template, response.text)
            else:
                assert status == 403, (role, method, template, status)
                assert response.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked > 150


@pytest.mark.parametrize("role", [Role.viewer, Role.cooperative])
def test_roles_without_delete_rights_cannot_delete(client, login_as, role):
    coop = create_cooperative(client)
    headers = login_as(role, "64.02", coop["id"] if role is Role.cooperative else None)
    response = client.delete(f"/api/v1/cooperatives/{coop['id']}", headers=headers)
    assert response.status_code == 403
    assert client.get(f"/api/v1/cooperatives/{coop['id']}").status_code == 200
