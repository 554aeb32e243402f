from __future__ import annotations

from planner.text import Text, Value

Loc = tuple[str | int, ...]


def format_loc(loc: Loc) -> str:
    """Render a location like ``("groups", 2, "count")`` as ``groups[2].count``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or not part:
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else part
    return out


class PlannerError(Exception):
    """Any planner input or data problem; ``loc`` names the offending field.

    The message is a literal with `{name}` fields for its values, as every text of the planner
    (`planner.text`), so that the API can say it in the reader's language."""

    def __init__(self, message: str, loc: Loc = (), /, **params: Value) -> None:
        self.text = Text(message, **params)
        self.message = str(self.text)
        super().__init__(self.message)
        self.loc = loc

    @property
    def field(self) -> str:
        return format_loc(self.loc)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.loc else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, loc={self.loc!r})"


class InvalidInputError(PlannerError):
    """A request value is out of range (negative count, zero hours, ...)."""


class UnknownRegionError(PlannerError):
    """A region code is not in the Kemendagri region data."""


class CatalogError(PlannerError):
    """A catalog file or catalog override is malformed or out of range."""
