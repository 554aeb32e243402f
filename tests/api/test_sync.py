"""The sync feed: a client that was offline catches up from its last `sync_cursor`.

Lists asked with `updated_since` hold what changed after it in change order, and `deleted`
what was removed; following the pages and keeping the last `sync_cursor` misses nothing.
"""

import asyncio

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.account import Role
from app.models.cooperative import Cooperative
from tests.api.test_consultations import created as create_consultation
from tests.api.test_trainings import create_training, invite
from tests.factories import TENGGARONG_KELURAHAN, assert_problem, create_cooperative

COOPERATIVES = "/api/v1/cooperatives"
CONSULTATIONS = "/api/v1/consultations"
FOLLOW_UPS = "/api/v1/follow-ups"
TRAININGS = "/api/v1/trainings"
KUBAR_VILLAGE = "64.03.01.2001"
ANY_VERSION = {"If-Match": "*"}  # writes here are not about conflicts (see the 412 test)


def sync(client, path, since, headers=None, **params):
    """Everything a client gets by following the pages from `since`: (items, deleted ids,
    the last page's sync_cursor). Each page must be one ascending stretch of changes."""
    items, deleted, cursor, last = [], [], None, since
    while True:
        query = {"updated_since": since, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers or {})
        assert response.status_code == 200, response.text
        page = response.json()
        changes = [i["change"] for i in page["items"]] + [d["change"] for d in page["deleted"]]
        assert [i["change"] for i in page["items"]] == sorted(i["change"] for i in page["items"])
        assert all(last < change <= page["sync_cursor"] for change in changes)
        items += page["items"]
        deleted += [d["id"] for d in page["deleted"]]
        last, cursor = page["sync_cursor"], page["next_cursor"]
        if cursor is None:
            return items, deleted, last


def ids(records):
    return [record["id"] for record in records]


def test_the_feed_holds_creates_updates_and_deletes_in_change_order(client):
    first = create_cooperative(client)
    second = create_cooperative(client, name="Kop Jahab", village_code=TENGGARONG_KELURAHAN)
    third = create_cooperative(client, name="Kop Merabu", village_code=KUBAR_VILLAGE)
    items, deleted, cursor = sync(client, COOPERATIVES, 0)
    assert (ids(items), deleted) == ([first["id"], second["id"], third["id"]], [])
    assert items[0] == client.get(f"{COOPERATIVES}/{first['id']}").json()
    assert first["change"] < second["change"] < third["change"] <= cursor

    changed = client.patch(
        f"{COOPERATIVES}/{first['id']}", json={"members_male": 41}, headers=ANY_VERSION
    ).json()
    assert changed["change"] > cursor
    assert client.get(f"{COOPERATIVES}/{first['id']}").json()["change"] == changed["change"]
    assert client.delete(f"{COOPERATIVES}/{second['id']}", headers=ANY_VERSION).status_code == 204
    page = client.get(COOPERATIVES, params={"updated_since": cursor}).json()
    assert page["items"] == [changed]
    [tombstone] = page["deleted"]
    assert tombstone["id"] == second["id"] and tombstone["change"] > changed["change"]
    assert page["sync_cursor"] >= tombstone["change"]
    assert page["next_cursor"] is None

    # Nothing happened since: an empty page that keeps the cursor.
    again = client.get(COOPERATIVES, params={"updated_since": page["sync_cursor"]}).json()
    assert (again["items"], again["deleted"], again["sync_cursor"]) == ([], [], page["sync_cursor"])
    # Without updated_since a list is what it always was.
    plain = client.get(COOPERATIVES).json()
    assert (plain["deleted"], plain["sync_cursor"]) == (None, None)


def test_pages_cut_one_stream_of_rows_and_tombstones(client):
    villages = [f"64.02.12.200{n}" for n in range(1, 10)]
    made = [create_cooperative(client, name=f"Kop {v}", village_code=v) for v in villages]
    for gone in made[2:6:2] + made[7:8]:
        assert client.delete(f"{COOPERATIVES}/{gone['id']}", headers=ANY_VERSION).status_code == 204
    client.patch(f"{COOPERATIVES}/{made[0]['id']}", json={"is_active": False}, headers=ANY_VERSION)

    items, deleted, cursor = sync(client, COOPERATIVES, 0, page_size=2)
    assert sorted(ids(items)) == sorted(m["id"] for m in made if m["id"] not in deleted)
    assert deleted == [made[2]["id"], made[4]["id"], made[7]["id"]]
    assert ids(items)[-1] == made[0]["id"]  # changed last
    assert len(set(ids(items))) == len(items)
    # Page by page, nothing more and nothing twice.
    whole = client.get(COOPERATIVES, params={"updated_since": 0, "page_size": 200}).json()
    assert (ids(whole["items"]), whole["sync_cursor"]) == (ids(items), cursor)
    assert whole["next_cursor"] is None

    first = client.get(COOPERATIVES, params={"updated_since": 0, "page_size": 2}).json()
    for wrong in ({"updated_since": 1}, {"updated_since": 0, "region": "64.02"}):
        reused = client.get(COOPERATIVES, params={**wrong, "cursor": first["next_cursor"]})
        assert_problem(reused, 400)


def test_bad_sync_requests_say_what_to_fix(client):
    create_cooperative(client)
    sorted_too = client.get(COOPERATIVES, params={"updated_since": 0, "sort": "name"})
    assert_problem(sorted_too, 422, field="sort")
    assert_problem(client.get(COOPERATIVES, params={"updated_since": -1}), 422)
    assert_problem(client.get(COOPERATIVES, params={"updated_since": "yesterday"}), 422)
    ahead = client.get(COOPERATIVES, params={"updated_since": 2**40})
    assert "sync again from 0" in assert_problem(ahead, 400)["detail"]


def test_a_client_sees_only_changes_and_removals_in_its_region(client, login_as):
    kukar = login_as(Role.officer, "64.02")
    mine = create_cooperative(client)
    elsewhere = create_cooperative(client, name="Kop Merabu", village_code=KUBAR_VILLAGE)
    for record in (mine, elsewhere):
        client.delete(f"{COOPERATIVES}/{record['id']}", headers=ANY_VERSION)
    kept = create_cooperative(client, name="Kop Jahab", village_code=TENGGARONG_KELURAHAN)
    kubar_kept = create_cooperative(client, name="Kop Merabu 2", village_code=KUBAR_VILLAGE)

    items, deleted, _ = sync(client, COOPERATIVES, 0, kukar)
    assert (ids(items), deleted) == ([kept["id"]], [mine["id"]])
    items, deleted, _ = sync(client, COOPERATIVES, 0)
    assert (ids(items), deleted) == ([kept["id"], kubar_kept["id"]], [mine["id"], elsewhere["id"]])
    items, deleted, _ = sync(client, COOPERATIVES, 0, region="64.03")
    assert (ids(items), deleted) == ([kubar_kept["id"]], [elsewhere["id"]])

    # A cooperative's own account follows its own record only.
    own = login_as(Role.cooperative, "64.02", cooperative_id=kept["id"])
    assert sync(client, COOPERATIVES, 0, own)[:2] == ([kept], [])


def test_officers_sync_within_their_cooperative(client):
    coop = create_cooperative(client)
    url = f"{COOPERATIVES}/{coop['id']}/officers"
    ketua = client.post(url, json={"body": "pengurus", "role": "ketua", "name": "Siti"}).json()
    bendahara = client.post(url, json={"body": "pengurus", "role": "bendahara", "name": "Ani"})
    items, _, cursor = sync(client, url, 0)
    assert ids(items) == [ketua["id"], bendahara.json()["id"]]
    renamed = client.patch(f"{url}/{ketua['id']}", json={"name": "Siti R."}, headers=ANY_VERSION)
    assert renamed.json()["change"] > cursor
    client.delete(f"{url}/{bendahara.json()['id']}", headers=ANY_VERSION)
    assert sync(client, url, cursor)[:2] == ([renamed.json()], [bendahara.json()["id"]])


def test_a_withdrawn_consultation_and_its_follow_ups_become_tombstones(client, login_as):
    coop = create_cooperative(client)
    follow_up = {"description": "Send RAT template", "responsible": "officer"}
    visit = create_consultation(
        client, cooperative_id=coop["id"], follow_ups=[{**follow_up, "due_date": "2025-08-11"}]
    )
    other = create_consultation(client, cooperative_id=coop["id"])
    _, _, consultations_cursor = sync(client, CONSULTATIONS, 0)
    _, _, follow_ups_cursor = sync(client, FOLLOW_UPS, 0)

    # Closing a follow-up changes it, and the consultation that shows it.
    [task] = visit["follow_ups"]
    done = client.patch(
        f"{FOLLOW_UPS}/{task['id']}",
        json={"status": "done", "outcome": "Template sent"},
        headers=ANY_VERSION,
    ).json()
    items, deleted, consultations_cursor = sync(client, CONSULTATIONS, consultations_cursor)
    assert (ids(items), deleted) == ([visit["id"]], [])
    assert items[0]["follow_ups"] == [done]
    items, _, follow_ups_cursor = sync(client, FOLLOW_UPS, follow_ups_cursor)
    assert items == [done]

    withdrawn = client.delete(
        f"{CONSULTATIONS}/{visit['id']}", params={"reason": "recorded twice"}, headers=ANY_VERSION
    )
    assert withdrawn.status_code == 204
    assert sync(client, CONSULTATIONS, consultations_cursor)[:2] == ([], [visit["id"]])
    assert sync(client, FOLLOW_UPS, follow_ups_cursor)[:2] == ([], [task["id"]])
    # Filters on what a record never changes narrow the tombstones too.
    assert sync(client, CONSULTATIONS, 0, cooperative_id=coop["id"])[:2] == (
        [client.get(f"{CONSULTATIONS}/{other['id']}").json()],
        [visit["id"]],
    )
    assert sync(client, CONSULTATIONS, 0, region="64.03")[:2] == ([], [])
    # Another cooperative's account is not told about it.
    stranger = create_cooperative(client, name="Kop Jahab", village_code=TENGGARONG_KELURAHAN)
    theirs = login_as(Role.cooperative, "64.02", cooperative_id=stranger["id"])
    assert sync(client, CONSULTATIONS, 0, theirs)[:2] == ([], [])


def test_trainings_change_when_their_seats_do(client):
    training = create_training(client)
    _, deleted, cursor = sync(client, TRAININGS, 0)
    assert deleted == []
    coop = create_cooperative(client)
    assert invite(client, training["id"], cooperative_id=coop["id"], seats=3).status_code == 201
    [changed], _, _ = sync(client, TRAININGS, cursor)
    assert (changed["id"], changed["seats_invited"]) == (training["id"], 3)
    assert changed["change"] == client.get(f"{TRAININGS}/{training['id']}").json()["change"]


def test_removing_a_cooperative_changes_what_named_it(client):
    coop = create_cooperative(client)
    visit = create_consultation(client, cooperative_id=coop["id"])
    training = create_training(client)
    invite(client, training["id"], cooperative_id=coop["id"], seats=2)
    _, _, consultations_cursor = sync(client, CONSULTATIONS, 0)
    _, _, trainings_cursor = sync(client, TRAININGS, 0)
    client.delete(f"{COOPERATIVES}/{coop['id']}", headers=ANY_VERSION)
    [unlinked], _, _ = sync(client, CONSULTATIONS, consultations_cursor)
    assert (unlinked["id"], unlinked["cooperative_id"]) == (visit["id"], None)
    [uninvited], _, _ = sync(client, TRAININGS, trainings_cursor)
    assert (uninvited["id"], uninvited["seats_invited"]) == (training["id"], 0)


def _if_match(response):
    # `*` until PATCH checks If-Match (the `conditional` branch); see the 412 test below.
    return {"If-Match": response.headers.get("ETag", "*")}


def test_a_client_back_from_days_offline_catches_up(client, login_as):
    ani = login_as(Role.officer, "64.02")  # the field officer's phone
    budi = login_as(Role.officer, "64.02")  # her colleague at the office
    tabang = create_cooperative(client)
    jahab = create_cooperative(client, name="Kop Jahab", village_code=TENGGARONG_KELURAHAN)
    visit = create_consultation(client, cooperative_id=tabang["id"])

    # Ani syncs before she leaves for the field.
    coops, _, coop_cursor = sync(client, COOPERATIVES, 0, ani)
    _, _, visit_cursor = sync(client, CONSULTATIONS, 0, ani)
    replica = {coop["id"]: coop for coop in coops}
    # Offline, she updates Tabang's member count: an edit of the version she holds.
    queued = {"id": tabang["id"], "change": replica[tabang["id"]]["change"], "members_male": 52}

    # Meanwhile Budi changes Tabang's phone, removes Jahab, withdraws the visit, and
    # registers a new cooperative.
    url = f"{COOPERATIVES}/{tabang['id']}"
    budi_edit = client.patch(
        url,
        json={"contact_phone": "0813-1111-2222"},
        headers={**budi, **_if_match(client.get(url))},
    )
    assert budi_edit.status_code == 200
    client.delete(f"{COOPERATIVES}/{jahab['id']}", headers={**budi, **ANY_VERSION})
    client.delete(
        f"{CONSULTATIONS}/{visit['id']}",
        params={"reason": "wrong day"},
        headers={**budi, **ANY_VERSION},
    )
    new = client.post(
        COOPERATIVES,
        json={"name": "Kop Sidomulyo", "village_code": "64.02.12.2003"},
        headers=budi,
    ).json()

    # Back online, she syncs first: Budi's changes and removals, in the order they happened.
    items, deleted, coop_cursor = sync(client, COOPERATIVES, coop_cursor, ani)
    assert (ids(items), deleted) == ([tabang["id"], new["id"]], [jahab["id"]])
    assert sync(client, CONSULTATIONS, visit_cursor, ani)[:2] == ([], [visit["id"]])
    for gone in deleted:
        replica.pop(gone)
    replica.update({item["id"]: item for item in items})
    assert sorted(replica) == sorted([tabang["id"], new["id"]])

    # Her queued edit was made on an older version of Tabang: she re-reads it and re-applies
    # her change to the current version, so Budi's phone number is kept.
    assert replica[queued["id"]]["change"] != queued["change"]
    current = client.get(url, headers=ani)
    mine = client.patch(
        url, json={"members_male": queued["members_male"]}, headers={**ani, **_if_match(current)}
    )
    assert mine.status_code == 200
    assert (mine.json()["members_male"], mine.json()["contact_phone"]) == (52, "+6281311112222")
    # Her next sync brings back her own write and nothing else.
    assert sync(client, COOPERATIVES, coop_cursor, ani)[:2] == ([mine.json()], [])


def test_an_offline_edit_of_a_stale_version_is_refused_then_reapplied(client, login_as):
    ani = login_as(Role.officer, "64.02")
    budi = login_as(Role.officer, "64.02")
    tabang = create_cooperative(client)
    url = f"{COOPERATIVES}/{tabang['id']}"
    held = client.get(url, headers=ani)  # the version on Ani's phone
    changed = client.patch(
        url, json={"contact_phone": "0813-1111-2222"}, headers={**budi, **_if_match(held)}
    )
    assert changed.status_code == 200

    stale = client.patch(
        url, json={"members_male": 52}, headers={**ani, "If-Match": held.headers["ETag"]}
    )
    assert_problem(stale, 412)
    assert client.get(url).json() == changed.json()
    current = client.get(url, headers=ani)
    again = client.patch(
        url, json={"members_male": 52}, headers={**ani, "If-Match": current.headers["ETag"]}
    )
    assert again.status_code == 200
    assert (again.json()["members_male"], again.json()["contact_phone"]) == (52, "+6281311112222")


def test_a_change_committed_late_is_not_skipped(client):
    """Two writers: A takes a change number and holds its transaction open; B starts later.
    B must not get a number (and commit) before A commits, or a client that synced in between
    would store B's number as its cursor and never see A's change."""
    engine = client.app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; nothing commits out of order")
    first = create_cooperative(client)
    second = create_cooperative(client, name="Kop Jahab", village_code=TENGGARONG_KELURAHAN)
    _, _, cursor = sync(client, COOPERATIVES, 0)

    async def race():
        transport = httpx.ASGITransport(app=client.app)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", headers=dict(client.headers)
            ) as http,
            AsyncSession(engine) as writer_a,
        ):
            row = await writer_a.scalar(select(Cooperative).where(Cooperative.id == first["id"]))
            row.members_male = 99
            await writer_a.flush()  # A holds its change number, uncommitted
            writer_b = asyncio.create_task(
                http.patch(
                    f"{COOPERATIVES}/{second['id']}", json={"members_male": 7}, headers=ANY_VERSION
                )
            )
            async with engine.connect() as watcher:
                for _ in range(200):  # until B waits for A's lock (or, wrongly, finishes)
                    waiting = await watcher.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND datname = current_database()"
                        )
                    )
                    if waiting or writer_b.done():
                        break
                    await asyncio.sleep(0.05)
            between = await http.get(COOPERATIVES, params={"updated_since": cursor})
            await writer_a.commit()
            return between.json(), await writer_b

    between, b_answer = client.portal.call(race)
    assert b_answer.status_code == 200, b_answer.text
    # The client that synced while A was open stored a cursor below A's change...
    assert between["items"] == []
    items, _, _ = sync(client, COOPERATIVES, between["sync_cursor"])
    # ...so it now gets both, in commit order.
    assert ids(items) == [first["id"], second["id"]]
    assert items[0]["members_male"] == 99
    assert items[0]["change"] < items[1]["change"] == b_answer.json()["change"]
