"""Text inputs refuse the characters no text may hold (controls but tab and line breaks, lone
surrogates, U+FFFE/U+FFFF) with a 422 naming the field: stored, one of them would break the
office's XLSX exports, and PostgreSQL cannot hold some at all."""

import pytest

from tests.api.test_budget import MOVE, key, two_lines
from tests.factories import (
    assert_problem,
    cooperative_body,
    create_cooperative,
    if_match,
)

TRAINING = {"title": "Tata kelola", "region_code": "64.02", "capacity": 40, "estimated_cost": 1}


def consultation(coop):
    return {
        "cooperative_id": coop["id"],
        "channel": "walk_in",
        "occurred_at": "2025-08-04T09:30:00+08:00",
    }


def refused(response, field: str, code: str) -> None:
    body = assert_problem(response, 422, field=field)
    assert f"control character U+{code}" in body["detail"], body["detail"]


@pytest.mark.parametrize(
    ("character", "code"),
    [("\x1b", "001B"), ("\x07", "0007"), ("\x7f", "007F"), ("\x85", "0085"), ("\ufffe", "FFFE")],
)
def test_a_cooperative_refuses_control_characters_in_any_text(client, character, code):
    refused(
        client.post("/api/v1/cooperatives", json=cooperative_body(name=f"KDMP{character} Maju")),
        "name",
        code,
    )
    coop = create_cooperative(client)
    url = f"/api/v1/cooperatives/{coop['id']}"
    for field, value in [
        ("notary_name", f"Notaris{character} Ratna"),
        ("business_units_other", f"Agen{character} LPG"),
        ("sk_ahu_number", f"AHU-{character}0025573"),
        ("contact_phone", f"0812{character}3456 7890"),
    ]:
        refused(client.patch(url, json={field: value}, headers=if_match(client, url)), field, code)
    assert client.get(url).json()["notary_name"] == coop["notary_name"]


def test_a_control_character_at_either_end_is_refused_not_trimmed(client):
    """Python counts U+0085 as white space: trimming the ends must not make it vanish (the
    fuzzer's find: a code framed by it was stored, though longer than its documented limit)."""
    for name in ("\x85KDMP Maju", "KDMP Maju\x85", "\x85\x85KDMP Maju\x85"):
        refused(
            client.post("/api/v1/cooperatives", json=cooperative_body(name=name)), "name", "0085"
        )
    assert client.get("/api/v1/cooperatives").json()["items"] == []


def test_a_lone_surrogate_is_refused_not_a_server_error(client):
    # JSON can name one (\ud800); no database can store it. Pydantic refused it already: this
    # keeps it so.
    response = client.post(
        "/api/v1/cooperatives",
        content=b'{"name": "KDMP \\ud800", "village_code": "64.02.12.2001"}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 422, field="name")


def test_tabs_and_line_breaks_are_kept(client):
    coop = create_cooperative(client)
    summary = "Baris satu\r\nBaris dua\n\tdengan tab"
    response = client.post("/api/v1/consultations", json={**consultation(coop), "summary": summary})
    assert response.status_code == 201, response.text
    assert response.json()["summary"] == summary


def test_mentoring_records_refuse_control_characters(client):
    coop = create_cooperative(client)
    walk_in = consultation(coop)
    refused(
        client.post("/api/v1/consultations", json={**walk_in, "summary": "Rapat\x1b"}),
        "summary",
        "001B",
    )
    follow_up = {"description": "Kirim\x08 templat", "responsible": "officer"}
    refused(
        client.post(
            "/api/v1/consultations",
            json={**walk_in, "follow_ups": [{**follow_up, "due_date": "2025-09-01"}]},
        ),
        "description",
        "0008",
    )
    refused(
        client.post("/api/v1/trainings", json={**TRAINING, "modules": ["Modul\x1b"]}),
        "modules",
        "001B",
    )
    refused(
        client.post("/api/v1/trainings", json={**TRAINING, "venue": "Balai\x0cDesa"}),
        "venue",
        "000C",
    )
    created = client.post("/api/v1/consultations", json=walk_in).json()
    url = f"/api/v1/consultations/{created['id']}"
    refused(
        client.delete(url, params={"reason": "salah\x1b input"}, headers=if_match(client, url)),
        "reason",
        "001B",
    )


def test_budget_records_refuse_control_characters(client):
    refused(
        client.post(
            "/api/v1/budget-lines",
            json={
                "fiscal_year": 2025,
                "region_code": "64.02",
                "skpd": "Dinas Koperasi",
                "sub_kegiatan_code": "2.17.05.2.01.0001",
                "sub_kegiatan_name": "Pelatihan",
                "kode_rekening": "5.1.02.02.12.0001",
                "name": "Belanja\x1b Kursus",
                "original_ceiling": 1,
            },
        ),
        "name",
        "001B",
    )
    btt, training = two_lines(client)
    movements = [{"from_line_id": btt["id"], "to_line_id": training["id"], "amount": 1}]
    for field in ("reason", "legal_basis", "document_number"):
        refused(
            client.post(
                "/api/v1/refocusings",
                json={**MOVE, "movements": movements, field: "Perbup\x1b 12/2025"},
                headers=key(),
            ),
            field,
            "001B",
        )


def test_officers_accounts_and_plans_refuse_control_characters(client):
    coop = create_cooperative(client)
    refused(
        client.post(
            f"/api/v1/cooperatives/{coop['id']}/officers",
            json={"body": "pengurus", "role": "ketua", "name": "Ani\x1b"},
        ),
        "name",
        "001B",
    )
    refused(
        client.post(
            "/api/v1/users",
            json={
                "username": "ani",
                "password": "kata-sandi-\x1b-panjang",
                "role": "viewer",
                "region_scope": "64.02",
            },
        ),
        "password",
        "001B",
    )
    refused(
        client.post(
            "/api/v1/planner/launch-comparison",
            json={
                "event": {"date": "2025-07-21"},
                "groups": [{"count": 1, "origin": "64.02", "role": "delegate", "label": "Ak\x1b"}],
            },
        ),
        "label",
        "001B",
    )
