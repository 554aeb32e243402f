"""The sync feed: how a client that was offline for days catches up.

Every write of a cooperative, officer, consultation, follow-up or training gives the record a
new change number (`app/models/sync.py`), and every removal leaves a tombstone with its own
number. A list asked with `updated_since=<n>` holds the records changed after n, in change
order, and under `deleted` the records removed after n. A client applies a page (drops the
deleted, then stores the items) and keeps the page's `sync_cursor`; next time it passes that as
`updated_since`, and it misses nothing.

Each page covers the change window (after, upto]. Its upper end is never above the clock's
committed value read before the rows: nothing numbered below that value is still in flight, so
no change can later appear inside a window a client has already passed (a transaction that
commits late has a number above the value). When the window holds more than a page of rows and
tombstones together, it is cut at the page size and `next_cursor` continues from there.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import code_in_caller_scope, code_in_region, of_own_cooperative
from app.errors import BadRequest, Invalid
from app.http.pagination import CursorCodec, Page, PageParams
from app.models.sync import DeletedRecord, RecordKind, SyncClock, Tombstone

T = TypeVar("T")

UpdatedSince = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="Sync: the `sync_cursor` of your last sync, or 0 for everything. The list "
        "then holds the records changed since, oldest change first, and `deleted` the records "
        "removed since.",
    ),
]


class SyncPage(Page[T], Generic[T]):
    deleted: list[Tombstone] | None = Field(
        default=None,
        description="Only with `updated_since`: the records removed (deleted, or withdrawn) in "
        "the changes this page covers. Drop them first, then store `items`.",
    )
    sync_cursor: int | None = Field(
        default=None,
        description="Only with `updated_since`: every change up to this number is in this page "
        "or an earlier one. Once the page is applied, keep it and send it as `updated_since` "
        "next time.",
    )


@dataclass(frozen=True)
class Changes:
    """One page of a sync: rows (as the query returned them) and tombstones."""

    rows: list[Any]
    deleted: list[Tombstone]
    next_cursor: str | None
    sync_cursor: int
    total: int | None

    def page(self, items: list[T]) -> SyncPage[T]:
        return SyncPage(
            items=items,
            next_cursor=self.next_cursor,
            total=self.total,
            deleted=self.deleted,
            sync_cursor=self.sync_cursor,
        )


def tombstones(
    kind: RecordKind,
    caller: Caller,
    *,
    region: str | None = None,
    cooperative_id: int | None = None,
) -> list[Any]:
    """Conditions for the tombstones of `kind` that this caller may see: those of records it
    could see. Only the filters on what a record never changes (its region, its cooperative)
    narrow them; a client is told of removals it may not hold, which is harmless."""
    conditions = [
        DeletedRecord.kind == kind.value,
        *code_in_caller_scope(caller, DeletedRecord.region_code),
        *of_own_cooperative(caller, DeletedRecord.cooperative_id),
    ]
    if region:
        conditions.append(code_in_region(DeletedRecord.region_code, region))
    if cooperative_id is not None:
        conditions.append(DeletedRecord.cooperative_id == cooperative_id)
    return conditions


def refuse_sort(sort: object) -> None:
    if sort is not None:
        raise Invalid.field(
            ["query", "sort"], "with updated_since the list is in change order; leave sort out"
        )


async def changes_page(
    session: AsyncSession,
    query: Select[Any],
    change: Any,
    *,
    since: int,
    codec: CursorCodec,
    page: PageParams,
    scope: dict[str, Any],
    removed: list[Any] | None,
    scalars: bool = True,
) -> Changes:
    """The page of `query` (filtered and scoped by the caller) after change `since`, or after
    the page's cursor, with the tombstones matching `removed` (None: the kind is never removed).
    `change` is the query's change column; `scalars` says whether it selects one ORM entity."""
    scope = {**scope, "updated_since": since}
    settled = (await session.execute(select(col(SyncClock.value)))).scalar_one()
    after = codec.decode(page.cursor, scope)[0] if page.cursor else since
    if after > settled:
        raise BadRequest.field(
            ["query", "updated_since"],
            "{after} is beyond the latest change here ({settled}); the data was restored from an "
            "older backup, so sync again from 0",
            "change_unknown",
            params={"after": after, "settled": settled},
        )
    limit = page.page_size + 1
    result = await session.execute(
        query.where(change > after, change <= settled).order_by(change).limit(limit)
    )
    rows = list(result.scalars() if scalars else result)
    gone: list[DeletedRecord] = []
    if removed is not None:
        gone = list(
            await session.scalars(
                select(DeletedRecord)
                .where(
                    *removed,
                    col(DeletedRecord.change) > after,
                    col(DeletedRecord.change) <= settled,
                )
                .order_by(col(DeletedRecord.change))
                .limit(limit)
            )
        )
    # Rows and tombstones are one stream in change order; a page takes its first page_size.
    numbers = sorted([row.change for row in rows] + [record.change for record in gone])
    upto, next_cursor = settled, None
    if len(numbers) > page.page_size:
        upto = numbers[page.page_size - 1]
        rows = [row for row in rows if row.change <= upto]
        gone = [record for record in gone if record.change <= upto]
        next_cursor = codec.encode([upto], scope)
    total = None
    if page.total:
        total = await session.scalar(
            select(func.count()).select_from(
                query.where(change > since, change <= settled).subquery()
            )
        )
    deleted = [
        Tombstone(id=record.record_id, change=record.change, deleted_at=record.deleted_at)
        for record in gone
    ]
    return Changes(rows, deleted, next_cursor, upto, total)
