"""Every list a client can send has a bound, so an oversized list is a 422 and not a slow
request or a huge write."""

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

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
