"""Cursor pagination shared by every list endpoint.

Cursors are opaque: signed, so a client cannot forge one, and bound to the filters and sort
they were issued for, so reusing one with other filters is a clear 400 instead of a wrong page.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BadRequest

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )
    total: int | None = Field(
        default=None, description="Number of matching records; only when `total=true` was asked."
    )


class PageParams(BaseModel):
    page_size: int
    cursor: str | None
    total: bool


async def page_params(
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}.")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the previous page.")
    ] = None,
    total: Annotated[bool, Query(description="Also count all matching records.")] = False,
) -> PageParams:
    return PageParams(page_size=page_size, cursor=cursor, total=total)


PageDep = Annotated[PageParams, Depends(page_params)]


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="kopdes.cursor")

    def encode(self, position: list[Any], scope: dict[str, Any]) -> str:
        return self._serializer.dumps({"p": position, "s": _fingerprint(scope)})

    def decode(self, token: str, scope: dict[str, Any]) -> list[Any]:
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            raise BadRequest.field(
                ["query", "cursor"],
                "not a cursor issued by this service; start again without it",
                "cursor_invalid",
            ) from None
        if data.get("s") != _fingerprint(scope):
            raise BadRequest.field(
                ["query", "cursor"],
                "it was issued for other filters or another sort; start again without it "
                "when you change them",
                "cursor_invalid",
            )
        return list(data["p"])


def _fingerprint(scope: dict[str, Any]) -> str:
    canonical = json.dumps(scope, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


async def get_cursor_codec(request: Request) -> CursorCodec:
    return request.app.state.cursor_codec


CursorCodecDep = Annotated[CursorCodec, Depends(get_cursor_codec)]


def cut_page(
    rows: list[T],
    page: PageParams,
    codec: CursorCodec,
    scope: dict[str, Any],
    position: Callable[[T], list[Any]],
) -> tuple[list[T], str | None]:
    """Trim the extra row a page query fetched (limit = page_size + 1) into a next cursor."""
    if len(rows) <= page.page_size:
        return rows, None
    rows = rows[: page.page_size]
    return rows, codec.encode(position(rows[-1]), scope)


@dataclass(frozen=True)
class RowsPage(Generic[T]):
    rows: list[T]
    next_cursor: str | None
    total: int | None


async def page_by_id(
    session: AsyncSession,
    model: Any,
    conditions: list[Any],
    codec: CursorCodec,
    page: PageParams,
    scope: dict[str, Any],
    *,
    newest_first: bool = False,
) -> RowsPage[Any]:
    """One page of `model` rows matching `conditions`, in id order (or newest first)."""
    query = select(model).where(*conditions)
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(model.id < after_id if newest_first else model.id > after_id)
    order = model.id.desc() if newest_first else model.id
    rows, next_cursor = cut_page(
        list(await session.scalars(query.order_by(order).limit(page.page_size + 1))),
        page,
        codec,
        scope,
        lambda row: [row.id],
    )
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(model).where(*conditions))
    return RowsPage(rows, next_cursor, total)
