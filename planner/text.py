"""The planner's words: each sentence it writes is an English message with `{name}` fields and
their values, so that a reader of another language can have it in theirs.

`str(text)` is the English sentence (the CLI and the API print it). A caller with a message
catalog renders it with `render(translate, number)`: `translate` gives the message in the
reader's language (the web app's Babel catalogs hold every message written here) and `number`
writes a count or a decimal as that language does. Amounts of money come already written
(`format_idr`), the same in every language.

A plan kept for later (a saved launch plan) keeps its texts as `stored()` data, so that each
reader still gets them in their own language: `rendered` turns that data back into sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

Value: TypeAlias = "str | int | Decimal | Text"
Say: TypeAlias = Callable[["Text"], str]


def _as_written(message: str) -> str:
    return message


def _english_number(value: int | float | Decimal) -> str:
    return f"{value:,}"


class Text:
    """One sentence, or a name, of the planner's output (hashable: cost lines group by it)."""

    __slots__ = ("_hash", "message", "params")

    def __init__(self, message: str, /, **params: Value) -> None:
        self.message = message
        self.params: Mapping[str, Value] = params
        self._hash = hash((message, *params.items()))

    def render(
        self,
        translate: Callable[[str], str] = _as_written,
        number: Callable[[int | float | Decimal], str] = _english_number,
    ) -> str:
        def value(v: Any) -> str:
            if isinstance(v, Text):
                return v.render(translate, number)
            if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
                return number(v)
            return str(v)

        words = translate(self.message)
        return words.format_map({k: value(v) for k, v in self.params.items()})

    def stored(self) -> dict[str, Any]:
        """The text as JSON data, to be rendered in any language later (`rendered`)."""

        def value(v: Any) -> Any:
            if isinstance(v, Text):
                return v.stored()
            if isinstance(v, Decimal):
                return float(v)  # a figure in a sentence, never money
            return v

        return {"message": self.message, "params": {k: value(v) for k, v in self.params.items()}}

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return self.message == other.message and self.params == other.params

    def __hash__(self) -> int:
        return self._hash


def joined(parts: Sequence[Value], separator: str = " ") -> Text:
    """The parts one after the other: the sentences of a paragraph, the items of a list. Its
    message is only their places, which every language keeps as they are."""
    places = separator.join(f"{{part{i}}}" for i in range(len(parts)))
    return Text(places, **{f"part{i}": part for i, part in enumerate(parts)})


def _is_stored(data: Any) -> bool:
    return isinstance(data, dict) and data.keys() == {"message", "params"}


def _from_stored(data: dict[str, Any]) -> Text:
    def value(v: Any) -> Any:
        return _from_stored(v) if _is_stored(v) else v

    return Text(data["message"], **{k: value(v) for k, v in data["params"].items()})


def rendered(data: Any, say: Say = str) -> Any:
    """JSON data with every stored text (`Text.stored`) rendered by `say`; other values as
    they are (a plan kept before its texts were stored is already in English)."""
    if _is_stored(data):
        return say(_from_stored(data))
    if isinstance(data, dict):
        return {k: rendered(v, say) for k, v in data.items()}
    if isinstance(data, list):
        return [rendered(v, say) for v in data]
    return data
