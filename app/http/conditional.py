"""Conditional requests (RFC 9110 §13): an ETag on every single record, `If-Match` on every
change or removal, `If-None-Match` on reads.

The ETag is a digest of the record's public representation as the caller receives it, so every
kind of record works the same way without a version column, and the tag changes whenever
anything the caller can see changes (a follow-up's `overdue` flag at midnight, an API key's
`last_used_at`). It is a strong validator: the same bytes give the same tag.

A write compares `If-Match` with the representation it builds from the row it has just locked,
inside its own transaction, so of two editors holding the same ETag only the first passes; the
second gets a 412 and must read the record again.
"""

import base64
import hashlib
import re
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import to_json

from app.errors import PreconditionFailed, PreconditionRequired, problems

# Required (app.main marks it so in the OpenAPI document), but declared optional to FastAPI:
# `require_if_match` answers its absence with a 428 (RFC 6585).
IfMatchHeader = Annotated[
    str | SkipJsonSchema[None],
    Header(
        alias="If-Match",
        min_length=1,
        max_length=2000,
        description="Required: a 428 without it. The `ETag` from your last GET of this record "
        "(or from the answer of your last change to it); `*` for whatever it holds now.",
    ),
]
IfNoneMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=2000,
        description="The `ETag` you already have: if the record is unchanged the answer is a "
        "304 without a body.",
    ),
]

ETAG_HEADER = {
    "ETag": {
        "description": "The record's entity tag: send it as `If-Match` to change the record.",
        "schema": {"type": "string"},
    }
}
# `responses=` entries for the routes.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Unchanged since the ETag in If-None-Match.", "headers": ETAG_HEADER}
}
PRECONDITIONS = problems(412, 428)


def with_etag(status_code: int = 200) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting the ETag of a route's success answer."""
    return {status_code: {"headers": ETAG_HEADER}}


# An answer that holds a credential or a full NIK: no cache, shared or private, may keep it
# (RFC 6749 §5.1 asks this of token answers, with Pragma for HTTP/1.0 caches).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_NO_STORE_HEADERS = {
    "Cache-Control": {
        "description": "`no-store`: the answer holds a secret or personal data; no cache may "
        "keep it.",
        "schema": {"type": "string"},
    },
    "Pragma": {"description": "`no-cache`, for HTTP/1.0 caches.", "schema": {"type": "string"}},
}


def no_store(response: Response) -> None:
    response.headers.update(_NO_STORE)


def with_no_store(
    responses: dict[int | str, dict[str, Any]], status_code: int = 200
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose success answer is sent with `no_store`."""
    success = responses.get(status_code, {})
    headers = {**success.get("headers", {}), **_NO_STORE_HEADERS}
    return {**responses, status_code: {**success, "headers": headers}}


# A quoted entity-tag, optionally weak; commas may appear inside the quotes (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')


def etag_of(representation: Any) -> str:
    """The strong ETag of a representation (a pydantic model, or a list of them)."""
    return etag_of_json(to_json(representation))


def etag_of_json(body: str | bytes | memoryview) -> str:
    raw = body.encode() if isinstance(body, str) else body
    digest = hashlib.sha256(raw).digest()[:16]
    return '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'


def _tags(header: str) -> list[str]:
    return [match.group(0) for match in _ENTITY_TAG.finditer(header)]


def require_if_match(if_match: str | None, current: Any, what: str) -> None:
    """Refuse a change whose If-Match is missing (428) or does not name `current` (412).

    `current` is the representation of the locked row as this caller would GET it. The
    comparison is strong: a weak tag (`W/"…"`) never matches."""
    if not if_match:
        raise PreconditionRequired(
            "send If-Match with the ETag from your last GET of this {what}, so that a change made "
            "by someone else in the meantime is not overwritten",
            params={"what": what},
        )
    if if_match.strip() == "*":
        return
    if etag_of(current) not in _tags(if_match):
        raise PreconditionFailed(
            "this {what} changed since you read it (If-Match does not hold its current ETag); GET "
            "it again, reapply your change and send the new ETag",
            params={"what": what},
        )


def represent(representation: Any, if_none_match: str | None = None) -> Response:
    """The JSON answer with its ETag, or a 304 when If-None-Match already names it (weak
    comparison, as RFC 9110 asks for reads)."""
    body = to_json(representation)
    tag = etag_of_json(body)
    if if_none_match is not None:
        held = {t.removeprefix("W/") for t in _tags(if_none_match)}
        if if_none_match.strip() == "*" or tag in held:
            return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag})
