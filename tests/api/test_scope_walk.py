"""What exists for each caller, walked over every route and every list.

Two regencies, Kukar (64.02) and Samarinda (64.72), each get cooperatives with officers and
legal events, consultations (one of a group still forming a cooperative, with no cooperative),
follow-ups, a training with invitations and attendance, a budget line, a refocusing, an
account and an API key. Then accounts of every role, in either region or the whole country,
with and without a cooperative, read every list: none may show a record outside the caller's
scope. A cooperative account whose cooperative is gone is refused everywhere.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from app.access.permissions import (
    API_SCOPE_PERMISSIONS,
    ROLE_PERMISSIONS,
    ROUTE_PERMISSIONS,
    Permission,
)
from app.access.scope import lies_within
from app.models.account import ApiScope, Role
from tests.conftest import TEST_PASSWORD
from tests.factories import (
    VALID_NIK,
    WEB_PAGES,
    assert_problem,
    create_budget_line,
    create_cooperative,
)

KUKAR, SAMARINDA = "64.02", "64.72"
# Two villages of each regency: a cooperative in each.
VILLAGES = {
    KUKAR: ("64.02.12.2001", "64.02.06.1001"),
    SAMARINDA: ("64.72.01.1001", "64.72.01.1002"),
}
SCOPES = ["", "64", KUKAR, SAMARINDA, "64.02.12"]


@dataclass
class World:
    """Every record made, with what decides who may see it."""

    cooperatives: dict[int, str] = field(default_factory=dict)  # id -> village
    consultations: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    trainings: dict[int, str] = field(default_factory=dict)  # id -> region
    invited: dict[int, set[int]] = field(default_factory=dict)  # training -> cooperatives
    officers: dict[int, int] = field(default_factory=dict)  # id -> cooperative
    follow_ups: dict[int, int] = field(default_factory=dict)  # id -> consultation
    budget_lines: dict[int, str] = field(default_factory=dict)  # id -> region
    refocusings: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)  # id -> region scope
    api_keys: dict[int, str] = field(default_factory=dict)
    sk_ahu_targets: dict[int, str] = field(default_factory=dict)  # id -> region
    launch_plans: dict[int, str] = field(default_factory=dict)  # id -> region
    launches: dict[int, str] = field(default_factory=dict)  # id -> region
    hubs: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> launch, region
    # id -> launch, village, cooperative
    registrations: dict[int, tuple[int, str, int]] = field(default_factory=dict)


def _launch(client, world: World, region: str, plan_id: int) -> int:
    """A launch of `region` run from the plan, with the preset's hubs (in Kukar's districts)."""
    launch = client.post(
        "/api/v1/launches",
        json={
            "plan_id": plan_id,
            "format": "hybrid_hubs",
            "name": f"launch {region}",
            "starts_at": "2025-07-21T09:00:00+08:00",
            "ends_at": "2025-07-21T12:00:00+08:00",
        },
    )
    assert launch.status_code == 201, launch.text
    launch_id = launch.json()["id"]
    world.launches[launch_id] = region
    hubs = client.get(f"/api/v1/launches/{launch_id}/hubs", params={"page_size": 100})
    world.hubs.update({h["id"]: (launch_id, h["region_code"]) for h in hubs.json()["items"]})
    return launch_id


def _populate(client) -> World:
    world = World()
    for region, villages in VILLAGES.items():
        coops = []
        for number, village in enumerate(villages):
            coop = create_cooperative(
                client,
                village_code=village,
                name=f"Kop {village}",
                nib=f"91200012345{number}{len(world.cooperatives)}",
                npwp=None,
            )
            coops.append(coop["id"])
            world.cooperatives[coop["id"]] = village
            base = f"/api/v1/cooperatives/{coop['id']}"
            officer = {"body": "pengurus", "role": "ketua", "name": "Siti", "nik": VALID_NIK}
            added = client.post(base + "/officers", json=officer)
            assert added.status_code == 201, added.text
            world.officers[added.json()["id"]] = coop["id"]
            event = {"milestone": "musdesus", "occurred_on": "2025-05-20"}
            assert client.post(base + "/legal-events", json=event).status_code == 201
        forming = {"village_code": villages[0], "contact_name": "Pak Yusuf"}
        for about in ({"cooperative_id": coops[0]}, {"cooperative_id": coops[1]}, forming):
            consultation = client.post(
                "/api/v1/consultations",
                json={
                    **about,
                    "contact_phone": "0812-3456-7890",
                    "channel": "walk_in",
                    "occurred_at": "2025-08-04T09:30:00+08:00",
                    "topics": ["rat"],
                    "summary": "Persiapan RAT",
                    "follow_ups": [
                        {
                            "description": "Kirim templat",
                            "responsible": "officer",
                            "due_date": "2025-08-11",
                        }
                    ],
                },
            )
            assert consultation.status_code == 201, consultation.text
            record = consultation.json()
            world.consultations[record["id"]] = (record["village_code"], record["cooperative_id"])
            for follow_up in record["follow_ups"]:
                world.follow_ups[follow_up["id"]] = record["id"]
        line, other_line = (
            create_budget_line(
                client, region_code=region, kode_rekening=f"5.1.02.02.01.{region[3:]}{n:02d}"
            )
            for n in (1, 2)
        )
        world.budget_lines.update({line["id"]: region, other_line["id"]: region})
        training = client.post(
            "/api/v1/trainings",
            json={
                "title": "Pembukuan koperasi",
                "topics": ["bookkeeping"],
                "modules": ["Jurnal umum"],
                "region_code": region,
                "planned_start": "2025-09-15",
                "planned_end": "2025-09-17",
                "capacity": 30,
                "estimated_cost": 1_000_000,
                "budget_line_id": line["id"],
            },
        ).json()
        url = f"/api/v1/trainings/{training['id']}"
        for invitation in ({"cooperative_id": coops[0], "seats": 2}, {"person_name": "Bu Ani"}):
            assert client.post(url + "/invitations", json=invitation).status_code == 201
        world.trainings[training["id"]] = region
        world.invited[training["id"]] = {coops[0]}
        for step in ("funded", "scheduled"):
            moved = client.post(
                url + "/transitions", json={"to": step, "occurred_on": "2025-06-01"}
            )
            assert moved.status_code == 201, moved.text
        attendance = {
            "attendees": [{"name": "Siti", "cooperative_id": coops[0]}, {"name": "Bu Ani"}]
        }
        assert client.post(url + "/attendance", json=attendance).status_code == 201
        refocusing = client.post(
            "/api/v1/refocusings",
            json={
                "fiscal_year": 2025,
                "region_code": region,
                "reason": "Pelatihan",
                "legal_basis": "Inpres 1/2025",
                "document_type": "pergeseran",
                "document_number": "900/77/2025",
                "document_date": "2025-06-10",
                "movements": [
                    {"from_line_id": line["id"], "to_line_id": other_line["id"], "amount": 1}
                ],
            },
        )
        assert refocusing.status_code == 201, refocusing.text
        world.refocusings[refocusing.json()["id"]] = region
        user = client.post(
            "/api/v1/users",
            json={
                "username": f"staff-{region.replace('.', '')}",
                "password": TEST_PASSWORD,
                "role": "viewer",
                "region_scope": region,
            },
        )
        world.users[user.json()["id"]] = region
        key = client.post(
            "/api/v1/api-keys",
            json={
                "name": f"dashboard {region}",
                "scopes": ["cooperatives:read"],
                "region_scope": region,
            },
        )
        world.api_keys[key.json()["id"]] = region
        target = client.post(
            "/api/v1/sk-ahu-targets",
            json={
                "region": region,
                "starts_on": "2025-06-01",
                "ends_on": "2025-06-30",
                "target": 9,
            },
        )
        assert target.status_code == 201, target.text
        world.sk_ahu_targets[target.json()["id"]] = region
        plan = client.post(
            "/api/v1/launch-plans",
            json={
                "name": f"launch {region}",
                "region": region,
                "inputs": {
                    "preset": "kukar",
                    "event": {"date": "2025-07-21", "hours": 3},
                    "draws": 10,
                },
            },
        )
        assert plan.status_code == 201, plan.text
        world.launch_plans[plan.json()["id"]] = region
        launch_id = _launch(client, world, region, plan.json()["id"])
        if region == SAMARINDA:  # a hub of its own, beside the preset's in Kukar
            hub = client.post(
                f"/api/v1/launches/{launch_id}/hubs",
                json={"region_code": "64.72.01", "name": "Palaran", "capacity": 50},
            )
            assert hub.status_code == 201, hub.text
            world.hubs[hub.json()["id"]] = (launch_id, "64.72.01")
        registered = client.post(
            f"/api/v1/launches/{launch_id}/registrations",
            json={"cooperative_id": coops[0], "name": "Siti", "role": "ketua"},
        )
        assert registered.status_code == 201, registered.text
        world.registrations[registered.json()["id"]] = (launch_id, villages[0], coops[0])
    # The province's launch, which both regencies' offices see.
    plan = client.post(
        "/api/v1/launch-plans",
        json={
            "name": "launch 64",
            "region": "64",
            "inputs": {"preset": "kukar", "event": {"date": "2025-07-21", "hours": 3}, "draws": 10},
        },
    )
    assert plan.status_code == 201, plan.text
    world.launch_plans[plan.json()["id"]] = "64"
    _launch(client, world, "64", plan.json()["id"])
    return world


def _launch_visible(world: World, identity: "Identity", launch_id: int) -> bool:
    """A launch is seen by the offices of its region and of the regions inside it."""
    region = world.launches[launch_id]
    return identity.sees_region(region) or lies_within(identity.scope, region)


def _hub_visible(world: World, identity: "Identity", hub_id: int) -> bool:
    launch_id, region = world.hubs[hub_id]
    return _launch_visible(world, identity, launch_id) and identity.sees_region(region)


def _registration_visible(world: World, identity: "Identity", registration_id: int) -> bool:
    launch_id, village, cooperative_id = world.registrations[registration_id]
    if identity.role is Role.cooperative:
        mine = cooperative_id == identity.cooperative_id
    else:
        mine = identity.sees_region(village)
    return _launch_visible(world, identity, launch_id) and mine


@dataclass(frozen=True)
class Identity:
    role: Role
    scope: str
    cooperative_id: int | None = None

    def sees_region(self, code: str) -> bool:
        return lies_within(code, self.scope)

    def may(self, permission: Permission) -> bool:
        if self.role is Role.integration:
            granted = frozenset().union(*API_SCOPE_PERMISSIONS.values())
        else:
            granted = ROLE_PERMISSIONS[self.role]
        return permission in granted


def _headers(client, login_as, identity: Identity, admin: dict[str, str]) -> dict[str, str]:
    if identity.role is not Role.integration:
        return login_as(identity.role, identity.scope, identity.cooperative_id)
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "walk", "scopes": list(ApiScope), "region_scope": identity.scope},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    return {"X-API-Key": key.json()["key"]}


def _items(client, url, headers):
    """Every item of a paginated list, following its cursor."""
    items, params = [], {"page_size": 200}
    while True:
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == 200, (url, response.text)
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params = {"page_size": 200, "cursor": page["next_cursor"]}


def _csv_ids(client, url, headers):
    response = client.get(url, params={"format": "csv"}, headers=headers)
    assert response.status_code == 200, (url, response.text)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [int(row[0]) for row in rows[1:]]


def _list_routes(client) -> set[str]:
    """Every GET route whose answer is a page of items, from the OpenAPI document."""
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    found = set()
    for path, item in schema["paths"].items():
        ok = item.get("get", {}).get("responses", {}).get("200", {})
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        answer = components[ref.rsplit("/", 1)[-1]] if ref else {}
        if {"items", "next_cursor"} <= answer.get("properties", {}).keys():
            found.add(path)
    return found


def _check_lists(client, world: World, identity: Identity, headers) -> int:
    """Reads every list as `identity`; returns how many items it saw."""
    own = identity.cooperative_id
    is_coop = identity.role is Role.cooperative

    def coop_visible(coop_id: int | None) -> bool:
        if is_coop:
            return coop_id is not None and coop_id == own
        return coop_id is not None and identity.sees_region(world.cooperatives[coop_id])

    def consultation_visible(consultation_id: int) -> bool:
        village, coop_id = world.consultations[consultation_id]
        if is_coop:
            return coop_id is not None and coop_id == own
        return identity.sees_region(village)

    def training_visible(training_id: int) -> bool:
        if is_coop:
            return own in world.invited[training_id]
        return identity.sees_region(world.trainings[training_id])

    in_region = {
        "region_code": lambda item: identity.sees_region(item["region_code"]),
        "region_scope": lambda item: identity.sees_region(item["region_scope"]),
    }
    # How each list's items are checked; a new list needs its line here.
    checks = {
        "/api/v1/cooperatives": lambda item: coop_visible(item["id"]),
        "/api/v1/consultations": lambda item: consultation_visible(item["id"]),
        "/api/v1/follow-ups": lambda item: consultation_visible(item["consultation_id"]),
        "/api/v1/trainings": lambda item: training_visible(item["id"]),
        "/api/v1/budget-lines": in_region["region_code"],
        "/api/v1/refocusings": in_region["region_code"],
        "/api/v1/users": in_region["region_scope"],
        "/api/v1/api-keys": in_region["region_scope"],
        "/api/v1/sk-ahu-targets": lambda item: identity.sees_region(item["region"]),
        "/api/v1/launch-plans": lambda item: identity.sees_region(item["region"]),
        "/api/v1/audit-events": in_region["region_code"],
        # Reference data, the same for everyone (Kemendagri's public list).
        "/api/v1/regions": None,
        "/api/v1/cooperatives/{cooperative_id}/officers": lambda item: coop_visible(
            item["cooperative_id"]
        ),
        "/api/v1/trainings/{training_id}/invitations": lambda item: (
            training_visible(item["training_id"]) and (not is_coop or item["cooperative_id"] == own)
        ),
        "/api/v1/trainings/{training_id}/attendance": lambda item: (
            training_visible(item["training_id"]) and (not is_coop or item["cooperative_id"] == own)
        ),
        "/api/v1/launches": lambda item: _launch_visible(world, identity, item["id"]),
        "/api/v1/launches/{launch_id}/hubs": lambda item: _hub_visible(world, identity, item["id"]),
        "/api/v1/launches/{launch_id}/registrations": lambda item: _registration_visible(
            world, identity, item["id"]
        ),
    }
    routes = _list_routes(client)
    assert routes == checks.keys(), f"lists without a check here: {routes - checks.keys()}"
    parents = {
        "cooperative_id": (world.cooperatives, coop_visible),
        "training_id": (world.trainings, training_visible),
        "launch_id": (world.launches, lambda i: _launch_visible(world, identity, i)),
    }
    seen = 0
    for template, check in checks.items():
        permission = ROUTE_PERMISSIONS[("GET", template)]
        if check is None or not identity.may(permission):
            continue
        parameter = re.search(r"\{(\w+)\}", template)
        if parameter is None:
            urls = [(template, True)]
        else:
            records, visible = parents[parameter[1]]
            urls = [
                (template.replace(parameter[0], str(parent)), visible(parent)) for parent in records
            ]
        for url, parent_visible in urls:
            if not parent_visible:
                assert client.get(url, headers=headers).status_code == 404, (identity, url)
                continue
            for item in _items(client, url, headers):
                assert check(item), (identity, url, item)
                seen += 1
    exports = {
        "/api/v1/exports/cooperatives": coop_visible,
        "/api/v1/exports/consultations": consultation_visible,
        "/api/v1/exports/trainings": training_visible,
    }
    if identity.may(Permission.exports_read):
        for url, visible in exports.items():
            for record_id in _csv_ids(client, url, headers):
                assert visible(record_id), (identity, url, record_id)
                seen += 1
    return seen


def _check_reads_by_id(client, world: World, identity: Identity, headers) -> None:
    """Every GET of one record, for every record of the world: 200 for what the caller may
    see, 404 for the rest (as if it did not exist), 403 for routes its role may not call."""
    own, is_coop = identity.cooperative_id, identity.role is Role.cooperative

    def coop_visible(coop_id: int) -> bool:
        return coop_id == own if is_coop else identity.sees_region(world.cooperatives[coop_id])

    def consultation_visible(consultation_id: int) -> bool:
        village, coop_id = world.consultations[consultation_id]
        return coop_id == own if is_coop else identity.sees_region(village)

    def training_visible(training_id: int) -> bool:
        if is_coop:
            return own in world.invited[training_id]
        return identity.sees_region(world.trainings[training_id])

    # The records a route can name, by its path parameters, and whether each is visible.
    records = {
        ("cooperative_id",): [({"cooperative_id": c}, coop_visible(c)) for c in world.cooperatives],
        ("cooperative_id", "officer_id"): [
            ({"cooperative_id": c, "officer_id": o}, coop_visible(c))
            for o, c in world.officers.items()
        ],
        ("consultation_id",): [
            ({"consultation_id": c}, consultation_visible(c)) for c in world.consultations
        ],
        ("follow_up_id",): [
            ({"follow_up_id": f}, consultation_visible(c)) for f, c in world.follow_ups.items()
        ],
        ("training_id",): [({"training_id": t}, training_visible(t)) for t in world.trainings],
        ("line_id",): [
            ({"line_id": i}, identity.sees_region(r)) for i, r in world.budget_lines.items()
        ],
        ("refocusing_id",): [
            ({"refocusing_id": i}, identity.sees_region(r)) for i, r in world.refocusings.items()
        ],
        ("user_id",): [({"user_id": i}, identity.sees_region(r)) for i, r in world.users.items()],
        ("api_key_id",): [
            ({"api_key_id": i}, identity.sees_region(r)) for i, r in world.api_keys.items()
        ],
        ("plan_id",): [
            ({"plan_id": i}, identity.sees_region(r)) for i, r in world.launch_plans.items()
        ],
        ("target_id",): [
            ({"target_id": i}, identity.sees_region(r)) for i, r in world.sk_ahu_targets.items()
        ],
        ("launch_id",): [
            ({"launch_id": i}, _launch_visible(world, identity, i)) for i in world.launches
        ],
        ("launch_id", "hub_id"): [
            ({"launch_id": launch, "hub_id": i}, _hub_visible(world, identity, i))
            for i, (launch, _) in world.hubs.items()
        ],
        ("launch_id", "registration_id"): [
            (
                {"launch_id": launch, "registration_id": i},
                _registration_visible(world, identity, i),
            )
            for i, (launch, _, _) in world.registrations.items()
        ],
        # Reference data, the same for everyone.
        ("code",): [],
    }
    for (method, template), permission in ROUTE_PERMISSIONS.items():
        names = tuple(re.findall(r"\{(\w+)\}", template))
        if method != "GET" or not names or template in WEB_PAGES:
            continue  # the pages take no token: tests/web walks them in the browser
        assert names in records, f"no records for {template} here"
        for params, visible in records[names]:
            url = template.format(**params)
            if "/costs" in template:
                # What a launch cost is seen by the office running it (its plan's region).
                visible = identity.sees_region(world.launches[params["launch_id"]])
            status = client.get(url, headers=headers).status_code
            expected = 200 if visible else 404
            if visible and template.endswith("/costs/catalog"):
                expected = 409  # it exists, but no actual cost is entered yet
            assert status == (expected if identity.may(permission) else 403), (
                identity,
                url,
                status,
            )


identities = st.one_of(
    st.builds(
        Identity,
        role=st.sampled_from([Role.admin, Role.officer, Role.viewer, Role.integration]),
        scope=st.sampled_from(SCOPES),
    ),
    st.builds(
        Identity,
        role=st.just(Role.cooperative),
        scope=st.sampled_from([KUKAR, SAMARINDA]),
        # The index of one of the world's four cooperatives, or none at all.
        cooperative_id=st.one_of(st.none(), st.integers(0, 3)),
    ),
)


def test_no_route_shows_a_record_outside_the_callers_scope(client, login_as):
    world = _populate(client)
    coops = sorted(world.cooperatives)
    # From here on each request says who sends it: an API key must come alone.
    admin = {"Authorization": client.headers.pop("Authorization")}

    # Hypothesis runs the walk many times within one use of the fixtures: the world is made
    # once, and each example adds one account.
    @settings(max_examples=20, deadline=None, derandomize=True)
    @given(identity=identities)
    def walk(identity: Identity) -> None:
        if identity.role is Role.cooperative and identity.cooperative_id is not None:
            coop_id = coops[identity.cooperative_id]
            identity = Identity(Role.cooperative, world.cooperatives[coop_id][:5], coop_id)
        headers = _headers(client, login_as, identity, admin)
        if identity.role is Role.cooperative and identity.cooperative_id is None:
            assert_problem(client.get("/api/v1/cooperatives", headers=headers), 403)
            return
        _check_lists(client, world, identity, headers)
        _check_reads_by_id(client, world, identity, headers)

    walk()


def test_every_office_account_sees_records_of_its_scope(client, login_as):
    """The walk above could pass by showing nothing: the national and regency accounts do
    see their records, of both regions or of their own."""
    world = _populate(client)
    admin = {"Authorization": client.headers.pop("Authorization")}
    national = _check_lists(client, world, Identity(Role.admin, ""), admin)
    kukar = Identity(Role.viewer, KUKAR)
    regency = _check_lists(client, world, kukar, _headers(client, login_as, kukar, admin))
    assert national > regency > 0


def test_a_cooperative_account_without_a_cooperative_is_refused_on_every_route(client, login_as):
    _populate(client)
    orphan = login_as(Role.cooperative, KUKAR, None)
    refusals = set()
    for (method, template), permission in ROUTE_PERMISSIONS.items():
        if permission is Permission.public or template in WEB_PAGES:
            continue
        url = re.sub(r"\{(\w+)\}", "1", template)
        body = {} if method in ("POST", "PATCH") else None
        response = client.request(method, url, headers=orphan, json=body)
        problem = assert_problem(response, 403)
        refusals.add(problem["detail"])
    assert len(refusals) == 1 and "no cooperative" in refusals.pop()


def test_removing_a_cooperative_disables_its_accounts(client):
    coop = create_cooperative(client)
    created = client.post(
        "/api/v1/users",
        json={
            "username": "ketua-gunung-sari",
            "password": TEST_PASSWORD,
            "role": "cooperative",
            "region_scope": KUKAR,
            "cooperative_id": coop["id"],
        },
    )
    assert created.status_code == 201, created.text
    login = {"username": "ketua-gunung-sari", "password": TEST_PASSWORD}
    token = client.post("/api/v1/auth/token", data=login).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get(f"/api/v1/cooperatives/{coop['id']}", headers=bearer).status_code == 200

    url = f"/api/v1/cooperatives/{coop['id']}"
    etag = client.get(url).headers["ETag"]
    removed = client.delete(url, headers={"If-Match": etag})
    assert removed.status_code == 204

    account = client.get(f"/api/v1/users/{created.json()['id']}").json()
    assert account["is_active"] is False and account["cooperative_id"] is None
    assert client.get("/api/v1/consultations", headers=bearer).status_code == 401
    assert client.post("/api/v1/auth/token", data=login).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 401
    events = client.get(
        "/api/v1/audit-events", params={"request_id": removed.headers["X-Request-ID"]}
    ).json()["items"]
    disabled = [e for e in events if e["action"] == "user.update"]
    assert [e["resource_id"] for e in disabled] == [str(created.json()["id"])]
    assert disabled[0]["before"]["is_active"] is True
    assert disabled[0]["after"]["is_active"] is False
