"""Launch day through HTTP: a saved plan made into a launch, its hubs' readiness, delegates
registered within capacity, check-in by code (idempotent, at any hub), and the live count;
every test runs on SQLite and on PostgreSQL."""

import asyncio
import csv
import io
import json
from datetime import date, timedelta

import httpx
import pytest
import redis
import segno
import zxingcpp
from PIL import Image

from app.main import create_app
from app.models.account import Role
from app.web.i18n import office_now
from planner import default_catalog, parse_catalog
from tests.conftest import settings_for
from tests.factories import TABANG_VILLAGE, assert_problem, create_cooperative, if_match
from tests.races import overlapping_pairs, race

PLAN_INPUTS = {"preset": "kukar", "event": {"date": "2026-12-20", "hours": 3}, "draws": 50}
TABANG = "64.02.12"
TENGGARONG = "64.02.06"


def save_plan(client, region="64.02"):
    body = {"name": "Peluncuran Kopdes Kukar", "region": region, "inputs": PLAN_INPUTS}
    response = client.post("/api/v1/launch-plans", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def create_launch(client, *, days_ahead=15, **overrides):
    plan = save_plan(client)
    starts = office_now() + timedelta(days=days_ahead)
    body = {
        "plan_id": plan["id"],
        "format": "hybrid_hubs",
        "name": "Peluncuran Kopdes Merah Putih Kukar",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "meeting_url": "https://zoom.us/j/123456789",
        **overrides,
    }
    response = client.post("/api/v1/launches", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def hubs_of(client, launch, headers=None, **params):
    response = client.get(
        f"/api/v1/launches/{launch['id']}/hubs",
        params={"page_size": 100, **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def hub_serving(client, launch, code):
    return next(h for h in hubs_of(client, launch) if h["region_code"] == code)


def register(client, launch, cooperative, headers=None, **overrides):
    body = {"cooperative_id": cooperative["id"], "name": "Siti Aminah", "role": "ketua"}
    return client.post(
        f"/api/v1/launches/{launch['id']}/registrations",
        json={**body, **overrides},
        headers=headers,
    )


def check_in(client, launch, hub, codes, headers=None, walk_ins=()):
    body = {
        "check_ins": [
            {"code": code, "method": "code", "scanned_at": "2026-12-20T09:00:00+08:00"}
            for code in codes
        ],
        "walk_ins": [
            {"id": walk_in, "people": 2, "scanned_at": "2026-12-20T09:05:00+08:00"}
            for walk_in in walk_ins
        ],
    }
    return client.post(
        f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}/check-ins", json=body, headers=headers
    )


def board(client, launch, headers=None, **params):
    response = client.get(f"/api/v1/launches/{launch['id']}/board", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def coordinator(client, login_as, launch, hub):
    """Headers of a new coordinator account, made the hub's coordinator."""
    headers = login_as(Role.coordinator, "64.02")
    user_id = client.get("/api/v1/auth/me", headers=headers).json()["id"]
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}"
    response = client.patch(url, json={"coordinator_id": user_id}, headers=if_match(client, url))
    assert response.status_code == 200, response.text
    return headers


# --- the launch -------------------------------------------------------------------------------


def test_a_launch_takes_its_hubs_and_needs_from_the_saved_plan(client):
    launch = create_launch(client)
    plan = client.get(f"/api/v1/launch-plans/{launch['plan_id']}").json()["result"]
    hybrid = plan["plans"]["hybrid_hubs"]
    assert launch["format"] == "hybrid_hubs"
    assert launch["planned"] == hybrid["participants"]
    assert launch["hub_down_mbps"] == hybrid["bandwidth"]["downlink_mbps"]
    hubs = hubs_of(client, launch)
    assert launch["hubs"] == len(hubs) == len(hybrid["hubs"])
    planned = {h["code"]: h["attendees"] for h in hybrid["hubs"]}
    assert {h["region_code"]: h["planned"] for h in hubs} == planned
    assert all(h["capacity"] == max(h["planned"], 1) for h in hubs)
    tabang = hub_serving(client, launch, TABANG)
    assert tabang["name"] == "Tabang"
    assert tabang["status"] == "not_ready"
    assert not tabang["flagged"]  # fifteen days ahead


def test_an_online_launchs_watch_parties_need_a_hubs_download_not_a_viewers(client):
    launch = create_launch(client, format="online")
    # The online plan's hubs are for the villages without a signal.
    assert all(hub["region_code"].count(".") == 3 for hub in hubs_of(client, launch))
    assert launch["hub_down_mbps"] == float(default_catalog().value("bandwidth.hub_mbps"))


def test_the_window_must_end_after_it_starts(client):
    plan = save_plan(client)
    body = {
        "plan_id": plan["id"],
        "name": "Peluncuran",
        "starts_at": "2026-12-20T09:00:00+08:00",
        "ends_at": "2026-12-20T08:00:00+08:00",
    }
    assert_problem(client.post("/api/v1/launches", json=body), 422, field="ends_at")
    assert client.get("/api/v1/launches").json()["items"] == []


def test_links_are_for_the_office_running_it_and_the_coordinators(client, login_as):
    launch = create_launch(client)
    url = f"/api/v1/launches/{launch['id']}"
    assert client.get(url).json()["meeting_url"] == "https://zoom.us/j/123456789"
    viewer = client.get(url, headers=login_as(Role.viewer, "64.02")).json()
    assert viewer["meeting_url"] is None
    hub = hub_serving(client, launch, TABANG)
    headers = coordinator(client, login_as, launch, hub)
    assert client.get(url, headers=headers).json()["meeting_url"] == "https://zoom.us/j/123456789"


# --- readiness --------------------------------------------------------------------------------


def test_readiness_is_derived_from_the_checklist_and_the_measured_internet(client, login_as):
    launch = create_launch(client, days_ahead=2, hub_up_mbps=1.0)
    hub = hub_serving(client, launch, TABANG)
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}"
    reasons = {r["reason"] for r in hub["reasons"]}
    assert {"no_coordinator", "venue_unconfirmed", "internet_untested", "no_rehearsal"} <= reasons
    assert hub["flagged"]  # two days before the start and not ready
    coordinator(client, login_as, launch, hub)

    def tick(**checklist):
        response = client.patch(url + "/readiness", json=checklist, headers=if_match(client, url))
        assert response.status_code == 200, response.text
        return response.json()

    tick(venue_confirmed=True, screen_ready=True, sound_ready=True, power_ready=True)
    slow = tick(down_mbps=1.0, up_mbps=2.0)  # the plan needs 1.5 down per hall
    assert slow["status"] == "not_ready"
    assert [r["reason"] for r in slow["reasons"]] == ["internet_too_slow", "no_rehearsal"]
    thin = tick(down_mbps=hub["connections"] * 1.6, up_mbps=2.0)
    assert thin["status"] == "at_risk"
    assert {r["reason"] for r in thin["reasons"]} == {"internet_thin_margin", "no_rehearsal"}
    assert all(not r["blocking"] for r in thin["reasons"])
    assert thin["internet_tested_at"] is not None
    ready = tick(down_mbps=hub["connections"] * 10.0, up_mbps=5.0, rehearsal_done=True)
    assert (ready["status"], ready["reasons"], ready["flagged"]) == ("ready", [], False)
    half = client.patch(url + "/readiness", json={"down_mbps": 5.0}, headers=if_match(client, url))
    assert_problem(half, 422, field="up_mbps")


def test_the_readiness_board_filters_by_district(client):
    launch = create_launch(client)
    hubs = hubs_of(client, launch, within=TABANG)
    assert [h["region_code"] for h in hubs] == [TABANG]


# --- registration -----------------------------------------------------------------------------


def test_registration_goes_to_the_villages_hub_within_its_capacity(client):
    launch = create_launch(client)
    cooperative = create_cooperative(client)  # in Tabang
    hub = hub_serving(client, launch, TABANG)
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}"
    client.patch(url, json={"capacity": 2}, headers=if_match(client, url))
    first = register(client, launch, cooperative, phone="0812-3456-7890")
    assert first.status_code == 201, first.text
    assert first.json()["hub_id"] == hub["id"]
    assert first.json()["phone"] == "+6281234567890"  # an officer may see it whole
    assert register(client, launch, cooperative, name="Budi").status_code == 201
    full = register(client, launch, cooperative, name="Rahmat")
    assert_problem(full, 409)
    assert "2 seats" in full.json()["detail"]
    assert client.get(url).json()["registered"] == 2
    smaller = client.patch(url, json={"capacity": 1}, headers=if_match(client, url))
    assert_problem(smaller, 422, field="capacity")
    # Cancelling frees the seat.
    reg_url = f"/api/v1/launches/{launch['id']}/registrations/{first.json()['id']}"
    assert client.delete(reg_url, headers=if_match(client, reg_url)).status_code == 204
    assert register(client, launch, cooperative, name="Rahmat").status_code == 201


def test_moving_a_delegate_frees_the_seat_at_the_first_hub(client):
    launch = create_launch(client)
    cooperative = create_cooperative(client)
    tabang = hub_serving(client, launch, TABANG)
    tenggarong = hub_serving(client, launch, TENGGARONG)
    registration = register(client, launch, cooperative).json()
    url = f"/api/v1/launches/{launch['id']}/registrations/{registration['id']}"
    moved = client.patch(url, json={"hub_id": tenggarong["id"]}, headers=if_match(client, url))
    assert moved.status_code == 200, moved.text
    hub_url = f"/api/v1/launches/{launch['id']}/hubs/"
    assert client.get(hub_url + str(tabang["id"])).json()["registered"] == 0
    assert client.get(hub_url + str(tenggarong["id"])).json()["registered"] == 1


def test_the_qr_code_holds_the_check_in_code(client):
    launch = create_launch(client)
    registration = register(client, launch, create_cooperative(client)).json()
    assert len(registration["code"]) == 8
    url = f"/api/v1/launches/{launch['id']}/registrations/{registration['id']}/qr"
    svg = client.get(url)
    assert svg.headers["content-type"] == "image/svg+xml"
    # Read back from the image, as the phone's camera would: drawn from the SVG's modules.
    png = io.BytesIO()
    segno.make(registration["code"], error="m").save(png, kind="png", scale=8, border=2)
    assert svg.content == _svg_of(registration["code"])
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.getvalue())))
    assert [d.text for d in decoded] == [registration["code"]]
    hub = hub_serving(client, launch, TABANG)
    answer = check_in(client, launch, hub, [decoded[0].text]).json()
    assert answer["check_ins"][0]["outcome"] == "checked_in"


def _svg_of(code):
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="svg", scale=8, border=2, title=code)
    return out.getvalue()


def test_no_nik_is_taken(client):
    launch = create_launch(client)
    response = register(client, launch, create_cooperative(client), nik="6402125304850001")
    assert_problem(response, 422, field="nik")


# --- check-in ---------------------------------------------------------------------------------


def test_a_retry_or_a_second_scan_never_counts_twice(client):
    launch = create_launch(client)
    cooperative = create_cooperative(client)
    hub = hub_serving(client, launch, TABANG)
    codes = [
        register(client, launch, cooperative, name=f"Delegasi {n}").json()["code"] for n in range(3)
    ]
    first = check_in(client, launch, hub, [codes[0], codes[1], codes[0]], walk_ins=[WALK_IN])
    assert first.status_code == 200, first.text
    assert [r["outcome"] for r in first.json()["check_ins"]] == [
        "checked_in",
        "checked_in",
        "already",
    ]
    assert first.json()["walk_ins_added"] == 2
    again = check_in(client, launch, hub, [*codes, "ZZZZZZZZ"], walk_ins=[WALK_IN]).json()
    assert [r["outcome"] for r in again["check_ins"]] == [
        "already",
        "already",
        "checked_in",
        "unknown",
    ]
    assert again["walk_ins_added"] == 0
    totals = board(client, launch)["totals"]
    assert (totals["registered"], totals["checked_in"], totals["walk_ins"]) == (3, 3, 2)


WALK_IN = "0b7e6a52-6f0c-4c47-9a53-1f6f2f1f2a10"


def test_fifty_concurrent_duplicates_count_once(client):
    launch = create_launch(client)
    hub = hub_serving(client, launch, TABANG)
    code = register(client, launch, create_cooperative(client)).json()["code"]
    url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}/check-ins"
    body = {"check_ins": [{"code": code, "method": "qr", "scanned_at": "2026-12-20T09:00:00Z"}]}
    timed = race(client, [("POST", url, {"json": body})] * 50)
    assert overlapping_pairs(timed) > 0
    outcomes = [r.json()["check_ins"][0]["outcome"] for r, _, _ in timed]
    assert sorted(set(outcomes)) == ["already", "checked_in"] and outcomes.count("checked_in") == 1
    assert board(client, launch)["totals"]["checked_in"] == 1


def test_a_delegate_at_another_hub_is_counted_there_and_flagged(client):
    launch = create_launch(client)
    code = register(client, launch, create_cooperative(client)).json()["code"]
    tenggarong = hub_serving(client, launch, TENGGARONG)
    answer = check_in(client, launch, tenggarong, [code]).json()["check_ins"][0]
    assert (answer["outcome"], answer["other_hub"]) == ("checked_in", True)
    rows = {r["name"]: r for r in board(client, launch, level="district")["rows"]}
    assert rows["Tenggarong"]["checked_in"] == rows["Tenggarong"]["other_hub"] == 1
    assert rows["Tabang"]["registered"] == 1 and rows["Tabang"]["checked_in"] == 0


def test_a_checked_in_delegate_cannot_be_cancelled(client):
    launch = create_launch(client)
    registration = register(client, launch, create_cooperative(client)).json()
    check_in(client, launch, hub_serving(client, launch, TABANG), [registration["code"]])
    url = f"/api/v1/launches/{launch['id']}/registrations/{registration['id']}"
    assert_problem(client.delete(url, headers=if_match(client, url)), 409)


def test_the_board_adds_up_per_level(client):
    launch = create_launch(client)
    hubs = hubs_of(client, launch)
    for level in ("hub", "district", "regency", "province"):
        answer = board(client, launch, level=level)
        assert answer["totals"]["planned"] == sum(h["planned"] for h in hubs) == launch["planned"]
    assert [r["key"] for r in board(client, launch, level="regency")["rows"]] == ["64.02"]


# --- scope ------------------------------------------------------------------------------------


def test_a_coordinator_sees_and_checks_in_only_at_their_own_hub(client, login_as):
    launch = create_launch(client)
    cooperative = create_cooperative(client)
    tabang = hub_serving(client, launch, TABANG)
    tenggarong = hub_serving(client, launch, TENGGARONG)
    code = register(client, launch, cooperative).json()["code"]
    headers = coordinator(client, login_as, launch, tabang)
    assert [h["id"] for h in hubs_of(client, launch, headers=headers)] == [tabang["id"]]
    other = f"/api/v1/launches/{launch['id']}/hubs/{tenggarong['id']}"
    assert_problem(client.get(other, headers=headers), 404)
    assert_problem(check_in(client, launch, tenggarong, [code], headers=headers), 404)
    assert check_in(client, launch, tabang, [code], headers=headers).status_code == 200
    listed = client.get(f"/api/v1/launches/{launch['id']}/registrations", headers=headers).json()[
        "items"
    ]
    assert [r["code"] for r in listed] == [code]
    assert listed[0]["checked_in_at"] is not None
    board_rows = board(client, launch, headers=headers)["rows"]
    assert [r["key"] for r in board_rows] == [str(tabang["id"])]
    assert_problem(
        client.patch(other, json={"capacity": 5}, headers={**if_match(client, other), **headers}),
        403,
    )


def test_an_office_sees_only_its_region(client, login_as):
    launch = create_launch(client)
    samarinda = login_as(Role.officer, "64.72")
    assert client.get("/api/v1/launches", headers=samarinda).json()["items"] == []
    assert_problem(client.get(f"/api/v1/launches/{launch['id']}", headers=samarinda), 404)
    district = login_as(Role.officer, TABANG)
    assert [h["region_code"] for h in hubs_of(client, launch, headers=district)] == [TABANG]
    # A district office sees the regency's launch but does not run it.
    url = f"/api/v1/launches/{launch['id']}"
    assert_problem(
        client.patch(url, json={"name": "X"}, headers={**if_match(client, url), **district}), 403
    )


def test_a_cooperative_registers_only_its_own_delegates(client, login_as):
    launch = create_launch(client)
    own = create_cooperative(client)
    other = create_cooperative(client, name="Koperasi Lain", village_code="64.02.06.1001")
    headers = login_as(Role.cooperative, "64.02", own["id"])
    assert register(client, launch, own, headers=headers).status_code == 201
    assert_problem(register(client, launch, other, headers=headers), 422, field="cooperative_id")
    register(client, launch, other)
    listed = client.get(f"/api/v1/launches/{launch['id']}/registrations", headers=headers).json()[
        "items"
    ]
    assert {r["cooperative_id"] for r in listed} == {own["id"]}
    assert listed[0]["village_code"] == TABANG_VILLAGE


# --- the live board ---------------------------------------------------------------------------


def _boards(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = response.text.splitlines()
    assert "event: board" in lines
    return [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: ")]


def test_the_live_board_shows_a_check_in_without_reloading(client):
    launch = create_launch(client)
    hub = hub_serving(client, launch, TABANG)
    code = register(client, launch, create_cooperative(client)).json()["code"]
    stream = f"/api/v1/launches/{launch['id']}/board/stream?level=district"
    body = {"check_ins": [{"code": code, "method": "qr", "scanned_at": "2026-12-20T09:00:00Z"}]}
    check_in_url = f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}/check-ins"
    # The stream lasts two seconds in the tests; the check-in comes half a second into it.
    timed = race(client, [("GET", stream, {}), ("POST", check_in_url, {"json": body})], 0.5)
    boards = _boards(timed[0][0])
    assert boards[0]["totals"]["checked_in"] == 0
    assert boards[-1]["totals"]["checked_in"] == 1
    assert boards[-1] == {**board(client, launch, level="district"), "as_of": boards[-1]["as_of"]}


def test_a_check_in_on_one_worker_reaches_the_board_on_another(client, database_url):
    """Two apps on one database, as two workers: the check-in reaches the other's board
    through Redis, where neither keeps the count."""
    redis_url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    launch = create_launch(client)
    hub = hub_serving(client, launch, TABANG)
    code = register(client, launch, create_cooperative(client)).json()["code"]
    workers = [create_app(settings_for(database_url, redis_url=redis_url)) for _ in range(2)]

    async def send(app, method, url, delay, **kwargs):
        await asyncio.sleep(delay)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=dict(client.headers)
        ) as http:
            return await http.request(method, url, **kwargs)

    async def watch_on_one_check_in_on_the_other():
        first, second = workers
        async with first.router.lifespan_context(first), second.router.lifespan_context(second):
            scan = {"code": code, "method": "code", "scanned_at": "2026-12-20T09:00:00Z"}
            return await asyncio.gather(
                send(first, "GET", f"/api/v1/launches/{launch['id']}/board/stream", 0),
                send(
                    second,
                    "POST",
                    f"/api/v1/launches/{launch['id']}/hubs/{hub['id']}/check-ins",
                    0.5,
                    json={"check_ins": [scan]},
                ),
            )

    stream, checked = asyncio.run(watch_on_one_check_in_on_the_other())
    assert checked.status_code == 200, checked.text
    boards = _boards(stream)
    assert [b["totals"]["checked_in"] for b in (boards[0], boards[-1])] == [0, 1]


# --- afterwards -------------------------------------------------------------------------------


def test_the_attendance_report_has_indonesian_headers_and_totals(client):
    launch = create_launch(client)
    cooperative = create_cooperative(client)
    codes = [
        register(client, launch, cooperative, name=f"Utusan {n}").json()["code"] for n in range(2)
    ]
    check_in(client, launch, hub_serving(client, launch, TABANG), codes[:1], walk_ins=[WALK_IN])
    response = client.get(
        f"/api/v1/launches/{launch['id']}/attendance", params={"format": "csv", "level": "district"}
    )
    assert response.status_code == 200, response.text
    assert "kehadiran-peluncuran" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Kode Kecamatan",
        "Nama",
        "Direncanakan",
        "Terdaftar",
        "Hadir (terdaftar)",
        "Di antaranya dari hub lain",
        "Hadir tanpa daftar",
        "Jumlah hadir",
    ]
    tabang = next(row for row in rows if row[0] == TABANG)
    assert tabang[1] == "Tabang" and tabang[3:] == ["2", "1", "0", "2", "3"]
    assert rows[-1][0] == "JUMLAH" and rows[-1][3:] == ["2", "1", "0", "2", "3"]
    assert int(rows[-1][2]) == launch["planned"]
    xlsx = client.get(f"/api/v1/launches/{launch['id']}/attendance")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_actual_costs_stand_beside_the_plan_per_line_item_and_payer(client, login_as):
    launch = create_launch(client)
    url = f"/api/v1/launches/{launch['id']}/costs"
    before = client.get(url).json()
    assert before["lines_entered"] == 0 and before["totals"]["actual"] == 0
    lines = before["lines"]
    kit = next(line for line in lines if line["item"] == "hub_kit")
    entered = client.post(
        url,
        json={
            "line": kit["line"],
            "quantity": float(kit["planned_quantity"]),
            "amount": kit["planned_amount"] + 1_000_000,
            "note": "Sewa proyektor lebih mahal",
        },
    )
    assert entered.status_code == 201, entered.text
    assert entered.json()["difference"] == 1_000_000
    after = client.get(url).json()
    assert after["lines_entered"] == 1
    kits = next(group for group in after["by_item"] if group["key"] == "hub_kit")
    assert kits["actual"] == kit["planned_amount"] + 1_000_000
    assert kits["planned_entered"] == kit["planned_amount"]
    assert after["totals"]["planned"] == sum(line["planned_amount"] for line in lines)
    # Sent again for the same line, it replaces what was entered; another payer is kept.
    again = client.post(
        url,
        json={"line": kit["line"], "quantity": 1, "amount": 500_000, "payer": "others"},
    )
    assert again.status_code == 201, again.text
    payers = {group["key"]: group for group in client.get(url).json()["by_payer"]}
    assert payers["others"]["actual"] == 500_000
    assert_problem(
        client.post(url, json={"line": len(lines), "quantity": 1, "amount": 1}), 422, field="line"
    )
    assert_problem(
        client.post(url, json={"line": 0, "quantity": 1, "amount": -1}), 422, field="amount"
    )
    district = login_as(Role.officer, TABANG)
    assert_problem(
        client.post(url, json={"line": 0, "quantity": 1, "amount": 1}, headers=district), 403
    )


def test_actual_costs_make_a_new_catalog_version_for_the_planner(client):
    launch = create_launch(client)
    url = f"/api/v1/launches/{launch['id']}/costs"
    assert_problem(client.get(url + "/catalog"), 409)
    lines = client.get(url).json()["lines"]
    kit = next(line for line in lines if line["item"] == "hub_kit")
    # Twice the plan's price per kit, for the kits the plan counted.
    entered = client.post(
        url,
        json={
            "line": kit["line"],
            "quantity": float(kit["planned_quantity"]),
            "amount": 2 * kit["planned_amount"],
        },
    )
    assert entered.status_code == 201, entered.text
    response = client.get(url + "/catalog")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/toml")
    catalog = parse_catalog(response.text)
    assert catalog.version.endswith(f"+launch-{launch['id']}-{date.today().isoformat()}")
    entry = catalog.entries["hub.kit"]
    assert entry.value == 2 * default_catalog().entries["hub.kit"].value
    assert not entry.estimate and f"launch {launch['id']}" in entry.source


def test_a_delegate_is_registered_once(client):
    launch = create_launch(client)
    cooperative = create_cooperative(client)
    assert register(client, launch, cooperative).status_code == 201
    again = register(client, launch, cooperative, name="siti aminah")
    assert "already registered" in assert_problem(again, 409)["detail"]
