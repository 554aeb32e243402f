"""Every list a client can send has a bound, so an oversized list is a 422 and not a slow
request or a huge write."""

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import app.models


def _input_models() -> Iterator[type[BaseModel]]:
    """The request models: those that refuse unknown fields (`INPUT_CONFIG`)."""
    for module_info in pkgutil.iter_modules(app.models.__path__):
        module = importlib.import_module(f"app.models.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseModel)
                and cls.__module__ == module.__name__
                and cls.model_config.get("extra") == "forbid"
            ):
                yield cls


def _unbounded(schema: Any, path: str) -> Iterator[str]:
    if isinstance(schema, dict):
        if schema.get("type") == "array" and "maxItems" not in schema:
            yield path
        if isinstance(schema.get("additionalProperties"), dict) and "maxProperties" not in schema:
            yield path
        for key, value in schema.items():
            yield from _unbounded(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _unbounded(value, f"{path}[{index}]")


INPUT_MODELS = sorted(_input_models(), key=lambda cls: cls.__qualname__)


def test_the_walk_finds_the_input_models():
    names = {cls.__name__ for cls in INPUT_MODELS}
    assert {"CooperativeCreate", "ConsultationCreate", "RefocusingCreate"} <= names


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda cls: cls.__name__)
def test_every_list_in_an_input_model_is_bounded(model: type[BaseModel]):
    schema = model.model_json_schema(mode="validation")
    unbounded = sorted(set(_unbounded(schema, model.__name__)))
    assert not unbounded, f"give these lists a max_length: {unbounded}"


def _string_paths(schema: Any, defs: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[Any]:
    """The path of every free text a client can send in `schema` (0 for a list's items): not
    the strings held to a pattern or a format (a date, a decimal, a region code)."""
    if "$ref" in schema:
        yield from _string_paths(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, path)
    for option in schema.get("anyOf", []):
        yield from _string_paths(option, defs, path)
    if schema.get("type") == "string":
        # `\S` only says that the text is not blank: still free text.
        if not {"enum", "const", "format"} & schema.keys() and schema.get("pattern", r"\S") == (
            r"\S"
        ):
            yield path
    elif schema.get("type") == "array":
        yield from _string_paths(schema.get("items", {}), defs, (*path, 0))
    elif schema.get("type") == "object":
        for name, field in schema.get("properties", {}).items():
            yield from _string_paths(field, defs, (*path, name))


def _at(path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    return [_at(tuple(rest), value)] if head == 0 else {head: _at(tuple(rest), value)}


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda cls: cls.__name__)
def test_no_text_field_of_an_input_model_takes_control_characters(model: type[BaseModel]):
    """Text that a field takes, with an escape character in it, is refused, and says why."""
    schema = model.model_json_schema(mode="validation")
    for path in sorted(set(_string_paths(schema, schema.get("$defs", {}), ())), key=str):
        for text in ("Kop Maju", "Koperasi Merah Putih Maju"):
            taken = _errors_at(model, path, text) == []
            if taken:
                errors = _errors_at(model, path, text[:3] + "\x1b" + text[3:])
                assert errors, f"{model.__name__}.{path} takes an escape character"
                assert "U+001B" in errors[0]["msg"], (model.__name__, path, errors)


def _errors_at(model: type[BaseModel], path: tuple[str | int, ...], text: str) -> list[Any]:
    try:
        model.model_validate(_at(path, text))
    except ValidationError as exc:
        return [error for error in exc.errors() if tuple(error["loc"]) == path]
    return []
