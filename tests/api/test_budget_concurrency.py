"""Applies and fundings racing for the same few budget lines, through the running app.

Each round sends 50 requests at once: applies of approved refocusings that move money among
three lines, and fundings of trainings that commit money on them. The money is tight, so some
of them must be refused. Afterwards the balances must equal a serial replay of the requests
that succeeded (each successful apply moved its amounts once, each successful funding
committed its cost once; a refused request changed nothing), no line may be below what is
committed on it, and the ledger must hold exactly one pair of entries per applied movement.

PostgreSQL keeps this correct with row locks taken in ascending line order; SQLite by
serialising writers (BEGIN IMMEDIATE). Both run it.
"""

import random
import uuid
from collections import Counter

from sqlalchemy import select

from app.models.account import Role
from app.models.budget import BudgetEntry
from tests.factories import create_budget_line
from tests.races import overlapping_pairs, race

ROUNDS = 4
RACERS = 50
APPLIES = 30  # and RACERS - APPLIES fundings
CEILING = 20_000_000
DOCUMENT = {
    "fiscal_year": 2025,
    "region_code": "64.02",
    "reason": "Pergeseran untuk pelatihan koperasi",
    "legal_basis": "Inpres 1/2025",
    "document_type": "pergeseran",
    "document_number": "900/77/BPKAD/2025",
    "document_date": "2025-06-10",
}
# 409 is a refusal (the line would fall short); 503 is the app saying the database was too
# busy (lock or pool timeout) and the client may retry. Both must leave nothing changed.
# Anything else, above all a 500, is a failure.
REFUSED = {409, 503}


def _lines(client):
    return [
        create_budget_line(
            client,
            kode_rekening=f"5.1.02.02.01.{n:04d}",
            name=f"Line {n}",
            original_ceiling=CEILING,
        )["id"]
        for n in (1, 2, 3)
    ]


def _approved(client, officer, movements):
    """Drafted and submitted by an officer, approved by the (other) national admin."""
    body = {**DOCUMENT, "movements": movements}
    drafted = client.post(
        "/api/v1/refocusings",
        json=body,
        headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert drafted.status_code == 201, drafted.text
    url = f"/api/v1/refocusings/{drafted.json()['id']}"
    assert client.post(url + "/submit", headers=officer).status_code == 200
    assert client.post(url + "/approve").status_code == 200
    return drafted.json()["id"], [
        (m["from_line_id"], m["to_line_id"], m["amount"]) for m in movements
    ]


def _training(client, line_id, cost):
    created = client.post(
        "/api/v1/trainings",
        json={
            "title": "Pelatihan perkoperasian",
            "region_code": "64.02",
            "capacity": 20,
            "estimated_cost": cost,
            "budget_line_id": line_id,
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _ledger(in_app_session, lines):
    """The entries on these lines (other tests may have left entries on lines of their own)."""

    async def read(session):
        rows = await session.execute(
            select(
                BudgetEntry.refocusing_id,
                BudgetEntry.training_id,
                BudgetEntry.budget_line_id,
                BudgetEntry.kind,
                BudgetEntry.amount,
            ).where(BudgetEntry.budget_line_id.in_(lines))
        )
        return [tuple(row) for row in rows]

    return in_app_session(read)


def test_racing_applies_and_fundings_equal_a_serial_replay(client, login_as, in_app_session):
    rng = random.Random(20250610)  # the same requests on every run
    officer = login_as(Role.officer, "64.02")
    lines = _lines(client)
    # The serial replay: what the lines must hold, from the requests that succeeded.
    current = dict.fromkeys(lines, CEILING)
    committed = dict.fromkeys(lines, 0)
    applied: dict[int, list[tuple[int, int, int]]] = {}
    funded: dict[int, tuple[int, int]] = {}
    outcomes: Counter[int] = Counter()
    overlapping = 0

    for _ in range(ROUNDS):
        refocusings = []
        for _ in range(APPLIES):
            movements = []
            for _ in range(rng.choice((1, 1, 2))):
                source, target = rng.sample(lines, 2)
                movements.append(
                    {
                        "from_line_id": source,
                        "to_line_id": target,
                        "amount": rng.randrange(1, 30) * 100_000,
                    }
                )
            refocusings.append(_approved(client, officer, movements))
        trainings = []
        for _ in range(RACERS - APPLIES):
            line_id, cost = rng.choice(lines), rng.randrange(1, 40) * 100_000
            trainings.append((_training(client, line_id, cost), line_id, cost))

        requests = [
            (
                "POST",
                f"/api/v1/refocusings/{rid}/apply",
                {"headers": {"Idempotency-Key": str(uuid.uuid4())}},
            )
            for rid, _ in refocusings
        ] + [
            (
                "POST",
                f"/api/v1/trainings/{tid}/transitions",
                {
                    "json": {"to": "funded", "occurred_on": "2025-06-01"},
                    "headers": {"Idempotency-Key": str(uuid.uuid4())},
                },
            )
            for tid, _, _ in trainings
        ]
        order = list(range(RACERS))
        rng.shuffle(order)  # applies and fundings interleaved
        timed = race(client, [requests[i] for i in order])
        overlapping += overlapping_pairs(timed)
        responses = dict(zip(order, (r for r, _, _ in timed), strict=True))

        for i, (rid, movements) in enumerate(refocusings):
            response = responses[i]
            outcomes[response.status_code] += 1
            assert response.status_code in {200} | REFUSED, response.text
            status = client.get(f"/api/v1/refocusings/{rid}").json()["status"]
            if response.status_code == 200:
                assert status == "applied"
                applied[rid] = movements
                for source, target, amount in movements:
                    current[source] -= amount
                    current[target] += amount
            else:
                # A refused apply moved nothing and left the refocusing as it was.
                assert status == "approved", (response.text, status)
                if response.status_code == 409:
                    assert "budget_line_id" in response.json(), response.text  # a shortfall
        for j, (tid, line_id, cost) in enumerate(trainings):
            response = responses[APPLIES + j]
            outcomes[response.status_code] += 1
            assert response.status_code in {201} | REFUSED, response.text
            status = client.get(f"/api/v1/trainings/{tid}").json()["status"]
            if response.status_code == 201:
                assert status == "funded"
                funded[tid] = (line_id, cost)
                committed[line_id] += cost
            else:
                assert status == "waiting_for_budget", (response.text, status)

        # The balances equal the serial replay of what succeeded, and none is short.
        for line_id in lines:
            read = client.get(f"/api/v1/budget-lines/{line_id}").json()
            assert read["current_ceiling"] == current[line_id], (line_id, read)
            assert read["committed"] == committed[line_id], (line_id, read)
            assert read["available"] >= 0 and read["committed"] >= 0, read
        summary = client.get("/api/v1/budget/summary", params={"fiscal_year": 2025}).json()
        ours = [row for row in summary["lines"] if row["id"] in lines]
        assert sum(row["current_ceiling"] for row in ours) == len(lines) * CEILING  # conserved

        # One pair of entries per applied movement, one commitment per funded training, and
        # nothing for anything refused.
        expected: Counter[tuple] = Counter()
        for rid, movements in applied.items():
            for source, target, amount in movements:
                expected[(rid, None, source, "shift_out", amount)] += 1
                expected[(rid, None, target, "shift_in", amount)] += 1
        for tid, (line_id, cost) in funded.items():
            expected[(None, tid, line_id, "commit", cost)] += 1
        assert Counter(_ledger(in_app_session, lines)) == expected

    # The race must have decided something both ways, or it tested nothing: some requests
    # succeeded and (the money being tight) some were refused for a shortfall.
    assert overlapping > 0
    assert outcomes[200] and outcomes[201] and outcomes[409], outcomes
