"""JSON request bodies, read strictly: UTF-8 only, each key of an object once, numbers as JSON
has them (no NaN; `310.0` is an integer).

Python's json module reads UTF-16 and UTF-32 too (it guesses from the first bytes, whatever the
Content-Type says), and of two equal keys it keeps the last one silently, so that
`{"amount": 1, "amount": 1000000}` would reach the endpoint as whichever a proxy or a log did not
show. JSON exchanged between systems must be UTF-8 (RFC 8259, section 8.1), and a key sent twice
is a mistake to point out.

FastAPI reads every JSON body with `Request.json()`; every router is made with
`route_class=StrictJSONRoute`, whose requests read it this way (FastAPI's documented way to
customise request parsing: a custom `Request` and `APIRoute` class). A request without a body,
such as any GET, pays for one small object and nothing else.
"""

import codecs
import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from app.errors import Invalid, UnsupportedMediaType


def is_json(content_type: str | None) -> bool:
    """`application/json` or any `application/*+json`, as FastAPI decides whether to read a
    body as JSON."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _charset(content_type: str | None) -> str | None:
    message = Message()
    message["content-type"] = content_type or ""
    return message.get_content_charset()


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"  # also "UTF-8", "utf8"
    except LookupError:
        return False


def _each_key_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise Invalid.field(
                    ["body", key],
                    'the key "{key}" appears more than once in an object; send it once',
                    "json_duplicate_key",
                    params={"key": key},
                )
            seen.add(key)
    return document


# Digits an integral number written with a fraction or exponent may have to be read as an
# integer: more than any field takes, few enough that `1e999999999` costs nothing.
_INTEGER_DIGITS = 30


def _number(text: str) -> int | float:
    """A JSON number written with a fraction or an exponent. JSON has one kind of number, and
    JSON Schema's `integer` is any number without a fractional part: `310.0` is the integer
    310 (read exactly, not through a float)."""
    number = Decimal(text)
    if number == number.to_integral_value() and number.adjusted() < _INTEGER_DIGITS:
        return int(number)
    return float(text)


def _no_constant(name: str) -> Any:
    raise Invalid.field(
        ["body"], "{name} is not a JSON number (RFC 8259)", "json_invalid", params={"name": name}
    )


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        """The body as JSON. Raises UnsupportedMediaType (415) for a charset other than UTF-8,
        UnicodeDecodeError for bytes that are not UTF-8, JSONDecodeError for text that is not
        JSON, and Invalid (422) for a key sent twice in an object or for NaN or Infinity.
        FastAPI turns the first and last into a 400 whose cause they are, which `app.errors`
        answers with them."""
        if not hasattr(self, "_strict_json"):
            charset = _charset(self.headers.get("content-type"))
            if charset is not None and not _is_utf8(charset):
                raise UnsupportedMediaType(
                    "JSON must be encoded as UTF-8 (RFC 8259), not {charset}; send it as UTF-8, "
                    "with `Content-Type: application/json` or `; charset=utf-8`",
                    params={"charset": charset},
                )
            # utf-8-sig: a byte order mark in front is ignored, as RFC 8259 allows.
            text = (await self.body()).decode("utf-8-sig")
            self._strict_json = json.loads(
                text,
                object_pairs_hook=_each_key_once,
                parse_float=_number,
                parse_constant=_no_constant,
            )
        return self._strict_json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is read by StrictJSONRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_json_handler
