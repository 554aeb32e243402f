"""Input that a lenient parser would take in silently is refused with a 4xx that says why:
another script's digits in codes and numbers, duplicate JSON keys, JSON in another charset."""

import json

from fastapi.routing import APIRoute, iter_route_contexts

from app.http.json_bodies import StrictJSONRoute, _number
from tests.api.test_budget_import import ID_HEADERS, SKPD, TRAINING, csv_bytes
from tests.api.test_budget_import import upload as upload_dpa
from tests.api.test_cooperative_import import HEADER, good_rows
from tests.api.test_cooperative_import import upload as upload_cooperatives
from tests.factories import (
    TABANG_VILLAGE,
    assert_problem,
    cooperative_body,
    create_cooperative,
)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def arabic(text: str) -> str:
    return text.translate(ARABIC_INDIC)


def test_codes_and_numbers_take_ascii_digits_only(client):
    for path in ("/api/v1/cooperatives", "/api/v1/consultations", "/api/v1/exports/cooperatives"):
        assert_problem(client.get(path, params={"region": arabic("64.02")}), 422, field="region")
    assert_problem(client.get(f"/api/v1/regions/{arabic('64.02')}"), 422, field="code")
    assert_problem(
        client.get("/api/v1/follow-ups", params={"officer": arabic("12")}), 422, field="officer"
    )

    refused = {
        "village_code": arabic(TABANG_VILLAGE),
        "nib": arabic("9120001234567"),
        "nik_koperasi": arabic("1234567890123"),
    }
    for field, value in refused.items():
        response = client.post("/api/v1/cooperatives", json=cooperative_body(**{field: value}))
        assert_problem(response, 422, field=field)
    # An SK AHU number in other digits is kept as typed, but it is not the modern format.
    coop = create_cooperative(client, sk_ahu_number=arabic("AHU-0025573.AH.01.29.TAHUN 2025"))
    assert coop["sk_ahu_format"] == "legacy"

    for path, body in [
        ("/api/v1/users", {"username": "ani", "password": "a-long-password", "role": "viewer"}),
        ("/api/v1/api-keys", {"name": "Dasbor", "scopes": ["stats:read"]}),
    ]:
        response = client.post(path, json={**body, "region_scope": arabic("64.02")})
        assert_problem(response, 422, field="region_scope")

    line = {
        "fiscal_year": 2025,
        "region_code": "64.02",
        "skpd": SKPD,
        "sub_kegiatan_code": TRAINING[0],
        "sub_kegiatan_name": TRAINING[1],
        "kode_rekening": "5.1.02.02.12.0001",
        "name": "Belanja Kursus Singkat/Pelatihan",
        "original_ceiling": 100_000_000,
    }
    for field in ("sub_kegiatan_code", "kode_rekening", "region_code"):
        response = client.post("/api/v1/budget-lines", json={**line, field: arabic(line[field])})
        assert_problem(response, 422, field=field)


def test_spreadsheet_cells_take_ascii_digits_only(client):
    rows = good_rows()
    rows[0][8] = arabic(rows[0][8])  # Tanggal Akta, 02/06/2025
    body = assert_problem(upload_cooperatives(client, csv_bytes(HEADER, rows)), 422)
    assert [e["loc"][2:] for e in body["errors"]] == [[2, "akta_date"]]

    row = ["1", *TRAINING, "5.1.02.02.12.0001", "Belanja Kursus", arabic("45.000.000"), SKPD]
    body = assert_problem(upload_dpa(client, csv_bytes(ID_HEADERS, [row])), 422)
    assert "original_ceiling" in json.dumps(body["errors"])


PLANNER = "/api/v1/planner/launch-comparison"
JSON = {"content-type": "application/json"}


def _plan(**event):
    return json.dumps({"preset": "kukar", "event": {"date": "2025-07-21", **event}})


def test_every_route_reads_json_strictly(client):
    routes = [
        context.original_route
        for context in iter_route_contexts(client.app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(routes) > 50
    assert all(isinstance(route, StrictJSONRoute) for route in routes)


def test_a_key_sent_twice_is_refused_naming_it(client):
    twice = '{"preset": "kukar", "preset": "national", "event": {"date": "2025-07-21"}}'
    problem = assert_problem(client.post(PLANNER, content=twice, headers=JSON), 422, field="preset")
    assert "more than once" in problem["detail"]
    nested = _plan().replace('"date"', '"hours": 3, "date": "2025-07-20", "date"')
    assert_problem(client.post(PLANNER, content=nested, headers=JSON), 422, field="date")
    assert client.post(PLANNER, content=_plan(), headers=JSON).status_code == 200

    # On a write, nothing is written.
    body = json.dumps(cooperative_body(members_male=40))[:-1] + ', "members_male": 400}'
    assert_problem(
        client.post("/api/v1/cooperatives", content=body, headers=JSON), 422, field="members_male"
    )
    assert client.get("/api/v1/cooperatives").json()["items"] == []


def test_json_is_utf8_only(client):
    for charset in ("utf-8", "UTF-8", '"utf-8"', "utf8"):
        headers = {"content-type": f"application/json; charset={charset}"}
        assert client.post(PLANNER, content=_plan().encode(), headers=headers).status_code == 200
    for charset, encoding in [
        ("utf-16", "utf-16"),
        ("UTF-32LE", "utf-32-le"),
        ("latin-1", "latin-1"),
        ("klingon", "utf-8"),
    ]:
        headers = {"content-type": f"application/json; charset={charset}"}
        answer = client.post(PLANNER, content=_plan().encode(encoding), headers=headers)
        problem = assert_problem(answer, 415)
        assert "UTF-8" in problem["detail"]
    # Without a charset, bytes that are not UTF-8 are a malformed body, as before.
    for encoding in ("utf-16", "utf-32"):
        answer = client.post(PLANNER, content=_plan().encode(encoding), headers=JSON)
        assert_problem(answer, 422, field="body")
    # A byte order mark in front of UTF-8 is ignored (RFC 8259 allows it).
    assert client.post(PLANNER, content=_plan().encode("utf-8-sig"), headers=JSON).is_success


def test_the_openapi_document_names_the_415(client):
    operation = client.get("/openapi.json").json()["paths"][PLANNER]["post"]
    assert "415" in operation["responses"]


def _post_json(client, text: str):
    return client.post(
        "/api/v1/cooperatives", content=text, headers={"Content-Type": "application/json"}
    )


def test_a_whole_number_written_with_a_fraction_is_that_integer(client):
    # JSON has one kind of number, and the document's `integer` admits 40.0 (JSON Schema).
    body = json.dumps(cooperative_body(members_male=40, members_female=35))
    created = _post_json(client, body.replace('"members_male": 40', '"members_male": 40.0'))
    assert created.status_code == 201, created.text
    assert created.json()["members_male"] == 40
    fraction = body.replace('"members_male": 40', '"members_male": 40.5')
    assert_problem(_post_json(client, fraction), 422, field="members_male")
    # Read exactly, not through a float (which would make 2**53 + 1 even), and cheaply.
    assert _number(f"{2**53 + 1}.0") == 2**53 + 1
    assert _number("1e999999999") == float("inf")


def test_nan_and_infinity_are_not_json(client):
    body = json.dumps(cooperative_body())
    for constant in ("NaN", "Infinity", "-Infinity"):
        sent = body.replace('"members_male": 40', f'"members_male": {constant}')
        problem = assert_problem(_post_json(client, sent), 422)
        assert constant.lstrip("-") in problem["detail"]
