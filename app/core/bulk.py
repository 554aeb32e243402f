"""Bulk writes for loaders and imports that write thousands of rows: one function per table.

Each function takes rows as dicts keyed by column name (the same keys in every row; columns
left out take their defaults, such as the timestamps) and writes them with one Core
executemany, which SQLAlchemy sends as multi-row INSERTs ("insertmanyvalues") on both backends.
Every bulk write of a table goes through its function here, so anything that all rows of a
table must carry is added in one place: the synced tables' rows each take a change number
(`reserve_changes`, which holds the change clock until the transaction ends).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent
from app.models.budget import BudgetEntry, BudgetLine
from app.models.common import table_of
from app.models.cooperative import Cooperative, CooperativeBusinessUnit, LegalEvent, Officer
from app.models.launch import LaunchRegistration
from app.models.mentoring import (
    Consultation,
    ConsultationTopic,
    FollowUp,
    Training,
    TrainingTransition,
)
from app.models.sync import reserve_changes

Row = dict[str, Any]


async def _insert_returning_ids(
    session: AsyncSession, table: Table, rows: Sequence[Row]
) -> list[int]:
    """The new rows' ids, in the order of `rows`."""
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list((await session.execute(statement, list(rows))).scalars())


async def _insert(session: AsyncSession, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        await session.execute(insert(table), list(rows))


async def _with_changes(session: AsyncSession, rows: Sequence[Row]) -> Sequence[Row]:
    """Rows of a synced table each get their own change number, set in the caller's dicts so
    that what it reports matches what was written; syncing clients find the rows by it (see
    app/models/sync.py). The ORM stamps its own writes; Core writes take their numbers here."""
    if rows:
        first = await reserve_changes(session, len(rows))
        for offset, row in enumerate(rows):
            row["change"] = first + offset
    return rows


async def cooperatives(session: AsyncSession, rows: Sequence[Row]) -> list[int]:
    return await _insert_returning_ids(
        session, table_of(Cooperative), await _with_changes(session, rows)
    )


async def business_units(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(CooperativeBusinessUnit), rows)


async def legal_events(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(LegalEvent), rows)


async def officers(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(Officer), await _with_changes(session, rows))


async def consultations(session: AsyncSession, rows: Sequence[Row]) -> list[int]:
    return await _insert_returning_ids(
        session, table_of(Consultation), await _with_changes(session, rows)
    )


async def consultation_topics(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(ConsultationTopic), rows)


async def follow_ups(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(FollowUp), await _with_changes(session, rows))


async def trainings(session: AsyncSession, rows: Sequence[Row]) -> list[int]:
    return await _insert_returning_ids(
        session, table_of(Training), await _with_changes(session, rows)
    )


async def training_transitions(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(TrainingTransition), rows)


async def budget_lines(session: AsyncSession, rows: Sequence[Row]) -> list[int]:
    return await _insert_returning_ids(session, table_of(BudgetLine), rows)


async def budget_entries(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(BudgetEntry), rows)


async def launch_registrations(session: AsyncSession, rows: Sequence[Row]) -> list[int]:
    return await _insert_returning_ids(session, table_of(LaunchRegistration), rows)


async def audit_events(session: AsyncSession, rows: Sequence[Row]) -> None:
    await _insert(session, table_of(AuditEvent), rows)
