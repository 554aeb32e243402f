"""Change numbers and tombstones, so that offline clients can catch up (`app/http/sync_feed.py`).

Every write of a synced record stamps it with the next number of one global counter, the
`sync_clock` row. Why a locked row and not a sequence: a sequence hands out numbers in the order
transactions start, but they commit in another order, so a client that saw change 11 would
never see change 10 committed after it. `UPDATE sync_clock ... RETURNING` locks the row until
the writing transaction ends, so numbers become visible in the order they were taken, and the
committed value of the clock is a number below which nothing is still in flight. On SQLite
writers are serialised anyway.

The row lock serialises writers of synced records from their first stamp to their commit.
Stamping happens at flush, and a flush's own statements lock rows after the clock (the rows it
updates, the parents its inserts refer to). So a transaction that locks a synced row itself
(`SELECT ... FOR UPDATE`) must take the clock first: holding the row while waiting for the
clock, it would deadlock with a writer that holds the clock and waits for the row. Rows are
locked only through the write handle (`Writer.lock` in app/http/idempotency.py), which calls
`hold_clock` first for a synced table, so the clock is the first lock of every transaction
that writes synced rows.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Connection,
    Integer,
    String,
    event,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, table_of, utcnow


class Synced(SQLModel):
    """A table whose rows carry the change number of their latest write."""

    change: int | None = Field(
        default=None, sa_type=BigInteger, nullable=False, unique=True, index=True
    )


class SyncClock(SQLModel, table=True):
    __tablename__ = "sync_clock"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    value: int = Field(sa_type=BigInteger)


class RecordKind(StrEnum):
    cooperative = "cooperative"
    officer = "officer"
    consultation = "consultation"
    follow_up = "follow_up"


class DeletedRecord(Synced, table=True):
    """A tombstone: a record that is gone from every list (deleted, or a withdrawn
    consultation), kept so that clients that hold a copy learn to drop it."""

    __tablename__ = "deleted_record"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(20))
    record_id: int = Field(sa_type=Integer)
    # Whom the tombstone is shown to: those who could see the record (its region, and for a
    # cooperative's own account its cooperative).
    region_code: str = Field(sa_type=String(13))
    cooperative_id: int | None = Field(default=None, sa_type=Integer)
    deleted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


Change = Annotated[
    int,
    PydanticField(
        description="The change number of this version of the record; it grows with every "
        "write. See `updated_since` on the lists."
    ),
]


class Tombstone(BaseModel):
    id: int = PydanticField(description="The id of the record that is gone.")
    change: Change
    deleted_at: datetime


_CLOCK = table_of(SyncClock)


def _take(count: int) -> Any:
    return update(_CLOCK).values(value=_CLOCK.c.value + count).returning(_CLOCK.c.value)


async def reserve_changes(db: AsyncSession | AsyncConnection, count: int) -> int:
    """Take `count` change numbers for rows written with Core statements (bulk imports); the
    ORM stamps its own rows. Returns the first: the rows get first, first + 1, ...,
    first + count - 1, one number each. Call it inside the writing transaction, right before
    the write: the clock stays locked until that transaction ends."""
    last = (await db.execute(_take(count))).scalar_one()
    return int(last) - count + 1


async def hold_clock(session: AsyncSession) -> None:
    """Lock the clock before locking a synced row (see the module doc); SQLite needs nothing."""
    await session.execute(select(_CLOCK.c.value).with_for_update())


def _reserve(connection: Connection, count: int) -> int:
    return int(connection.execute(_take(count)).scalar_one()) - count + 1


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Every new or changed synced row gets its own change number, whoever wrote it."""
    changed = [row for row in session.new if isinstance(row, Synced)]
    changed += [
        row for row in session.dirty if isinstance(row, Synced) and session.is_modified(row)
    ]
    if changed:
        first = _reserve(session.connection(), len(changed))
        for offset, row in enumerate(changed):
            row.change = first + offset
