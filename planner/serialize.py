"""Plain JSON-ready values from planner dataclasses (for the CLI and the API layer)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from planner.text import Text


def to_jsonable(obj: Any, text: Callable[[Text], Any] = str) -> Any:
    """Dataclasses become dicts, enums their values, Decimals strings (kept exact), and texts
    what `text` makes of them: English sentences, unless told otherwise (`Text.stored`)."""
    if isinstance(obj, Text):
        return text(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name), text) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(to_jsonable(k, text)): to_jsonable(v, text) for k, v in obj.items()}
    if isinstance(obj, list | tuple | frozenset | set):
        items = [to_jsonable(v, text) for v in obj]
        return sorted(items) if isinstance(obj, frozenset | set) else items
    if isinstance(obj, Decimal):
        return format(obj.normalize(), "f")  # "55000", never "5.5E+4"
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj
