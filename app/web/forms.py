"""What the web forms take, and their errors in the page's language next to each field.

A form is read into the API's own input model, validated as the API validates a JSON body
(`parse`), so a rule has one home; only the words are the page's.
"""

import json
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from starlette.datastructures import FormData

from app.errors import AppError
from app.models.account import Password
from app.web.i18n import gettext

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


def _none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Blank = Annotated[T | None, BeforeValidator(_none_if_blank)]
"""A query parameter from a form's select or text box, where "nothing chosen" is empty."""


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str
    new_password: Password
    repeat_password: str

    @field_validator("repeat_password")
    @classmethod
    def _repeated(cls, repeated: str, info: ValidationInfo) -> str:
        if repeated != info.data.get("new_password", repeated):
            raise ValueError("the two new passwords differ")
        return repeated


def parse(model: type[Model], form: FormData | Mapping[str, Any], fields: Iterable[str]) -> Model:
    """The form's `fields` as `model` takes them from the API: a list from repeated fields
    (checkboxes), a flag from a checkbox, a number from its digits, an empty box as null where
    the field may be null. Raises the model's ValidationError."""
    return model.model_validate_json(json.dumps(form_values(model, form, fields)))


def form_values(
    model: type[BaseModel], form: FormData | Mapping[str, Any], fields: Iterable[str]
) -> dict[str, Any]:
    properties = _properties(model)
    values: dict[str, Any] = {}
    for name in fields:
        kinds = _kinds(properties[name])
        if "array" in kinds:
            values[name] = form.getlist(name) if isinstance(form, FormData) else form.get(name, [])
        elif "boolean" in kinds:
            values[name] = form.get(name) in ("on", "true", "1")
        else:
            raw = form.get(name)
            text = raw.strip() if isinstance(raw, str) else ""
            if not text:
                values[name] = None if "null" in kinds else text
            elif "integer" in kinds and text.lstrip("-").isdigit():
                values[name] = int(text)
            else:
                values[name] = text
    return values


@cache
def _properties(model: type[BaseModel]) -> dict[str, Any]:
    # Built once per model: a JSON schema takes far longer to make than a form to read.
    return dict(model.model_json_schema()["properties"])


def _kinds(schema: Mapping[str, Any]) -> set[str]:
    kinds = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", ()):
        kinds |= _kinds(option)
    return kinds or {"string"}  # an enum ($ref) is a string


def field_errors(invalid: ValidationError | AppError) -> dict[str, str]:
    """Each field's first error, in the page's language; the form's own under `""` (a
    conflict, such as a milestone already recorded)."""
    found: dict[str, str] = {}
    if isinstance(invalid, AppError) and invalid.params and len(invalid.errors or []) <= 1:
        # One message naming its values ("the username 'ani' is taken"): translated before
        # the values go in, as the catalog holds it.
        where = invalid.errors[0]["loc"] if invalid.errors else []
        return {_field(where): invalid.said(gettext)}
    if isinstance(invalid, AppError):
        for error in invalid.errors or [{"loc": [], "msg": invalid.detail}]:
            found.setdefault(_field(error["loc"]), gettext(error["msg"]))
        return found
    for detail in invalid.errors(include_url=False):
        found.setdefault(_field(detail["loc"]), message(detail))
    return found


def _field(loc: Any) -> str:
    """`occurred_on`; `follow_ups.0.due_date` for a field of a list's first item; `topics`
    for an item of a list of values (its checkboxes share one name)."""
    parts = [part for part in loc if part not in ("body", "query")]
    while parts and isinstance(parts[-1], int):
        parts.pop()
    return ".".join(str(part) for part in parts)


def message(error: Mapping[str, Any]) -> str:
    """A pydantic error, as a person would be told what to fix, in the page's language."""
    context = error.get("ctx") or {}
    kind = error["type"]
    if kind in ("string_too_short", "too_short"):
        if context.get("min_length") == 1:
            return gettext("Fill this in.")
        return gettext("Use at least %(count)s characters.") % {"count": context["min_length"]}
    if kind in ("string_too_long", "too_long"):
        return gettext("Use at most %(count)s characters.") % {"count": context["max_length"]}
    if kind in ("missing", "null_forbidden", "none_required"):
        return gettext("Fill this in.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return gettext("Give a whole number.")
    if kind == "greater_than_equal":
        return gettext("Give %(limit)s or more.") % {"limit": context["ge"]}
    if kind == "less_than_equal":
        return gettext("Give %(limit)s or less.") % {"limit": context["le"]}
    if kind.startswith("date") or kind.startswith("datetime"):
        return gettext("Give a date as day, month and year.")
    if kind == "enum":
        return gettext("Choose one of the options.")
    if kind == "string_pattern_mismatch":
        return gettext("Check the format of this field.")
    if kind == "value_error":
        reason = str(context.get("error", ""))
        if "differ" in reason:
            return gettext("The two new passwords differ: type the same one twice.")
        translated = gettext(reason)
        if translated != reason:  # a rule's own explanation, in the catalog
            return translated[:1].upper() + translated[1:] + "."
    return gettext("Check this field.")


def file_problems(
    refused: AppError,
    columns: Mapping[str, tuple[str, Any]],
    words: Callable[[dict[str, Any]], str],
) -> list[tuple[int | None, str, str]]:
    """Each bad cell of a refused file as (its row, its column as the file heads it, what is
    wrong in the page's `words`), in the spreadsheet's numbering; a problem of the whole file
    has no row."""
    found = []
    for error in refused.errors or [{"loc": [], "msg": refused.said(gettext)}]:
        loc = error["loc"]
        row = loc[2] if loc[:2] == ["file", "row"] and len(loc) > 2 else None
        name = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
        column = columns[name][0] if name in columns else name
        found.append((row, column, words(error) if "message" in error else error["msg"]))
    return found
