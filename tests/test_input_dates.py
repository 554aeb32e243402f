"""Every date or moment a client can send, in a body or a query, is one of the strict types of
app.models.common: ISO 8601 text within EARLIEST_DATE..LATEST_DATE, never a number, and the
OpenAPI document says so."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.main import create_app
from app.models.common import DATE_PATTERN, DATETIME_PATTERN, QUERY_DATETIME_PATTERN
from app.models.cooperative import CooperativeCreate
from app.settings import Settings
from tests.factories import cooperative_body
from tests.test_input_limits import INPUT_MODELS

STRICT = {"date": DATE_PATTERN, "date-time": DATETIME_PATTERN}


def _dates(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        # A moment in a query string is described by its pattern alone (it may lack its zone).
        # (A `format` that is not text is a property of that name, e.g. a launch's format.)
        form = schema.get("format")
        if (isinstance(form, str) and form in STRICT) or schema.get(
            "pattern"
        ) == QUERY_DATETIME_PATTERN:
            yield path, schema
        for key, value in schema.items():
            yield from _dates(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _dates(value, f"{path}[{index}]")


def test_the_walk_finds_dates():
    assert len(list(_dates(CooperativeCreate.model_json_schema(), ""))) == 2


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda cls: cls.__name__)
def test_every_date_in_an_input_model_is_strict(model: type[BaseModel]):
    schema = model.model_json_schema(mode="validation")
    loose = [
        p
        for p, node in _dates(schema, model.__name__)
        if node.get("pattern") != STRICT.get(node.get("format", ""))
    ]
    assert not loose, f"use StrictDate, PastDate or UtcDatetime (app.models.common): {loose}"


def test_every_date_in_a_query_is_strict(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3"))
    found, loose = [], []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                for where, node in _dates(
                    parameter["schema"], f"{method} {path} {parameter['name']}"
                ):
                    found.append(where)
                    allowed = (
                        {DATE_PATTERN} if node.get("format") == "date" else {QUERY_DATETIME_PATTERN}
                    )
                    if node.get("pattern") not in allowed:
                        loose.append(where)
    assert len(found) >= 8 and not loose, loose


def test_a_date_from_a_spreadsheet_is_held_to_the_range_too():
    # The imports pass a cell's date as a Python date.
    body = cooperative_body(akta_date=date(1945, 1, 1))
    assert CooperativeCreate.model_validate(body).akta_date == date(1945, 1, 1)
    with pytest.raises(ValidationError, match="akta_date"):
        CooperativeCreate.model_validate({**body, "akta_date": date(1900, 1, 1)})
