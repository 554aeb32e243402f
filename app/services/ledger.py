"""The budget ledger: what each line holds, derived from its entries, and the holds that fund
trainings.

Amounts are never stored on a line: they are sums over its ledger entries. Writes that change
a line's balance lock the lines involved (`SELECT … FOR UPDATE`, in ascending id order so that
two writers never wait on each other in a circle) and check the balance inside the same
transaction; the database's own trigger refuses any entry that would still break it.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import code_in_caller_scope
from app.errors import Conflict, Invalid, NotFound
from app.http.idempotency import Writer
from app.models.budget import (
    BudgetEntry,
    BudgetLine,
    EntryKind,
)
from app.models.mentoring import Training


@dataclass(frozen=True)
class LineAmounts:
    shifted_in: int = 0
    shifted_out: int = 0
    committed: int = 0


def _sum(kind: EntryKind, sign: int = 1) -> Any:
    return func.coalesce(
        func.sum(
            case((col(BudgetEntry.kind) == kind.value, sign * col(BudgetEntry.amount)), else_=0)
        ),
        0,
    )


async def line_amounts(session: AsyncSession, line_ids: list[int]) -> dict[int, LineAmounts]:
    if not line_ids:
        return {}
    rows = await session.execute(
        select(
            col(BudgetEntry.budget_line_id),
            _sum(EntryKind.shift_in),
            _sum(EntryKind.shift_out),
            _sum(EntryKind.commit) + _sum(EntryKind.release, -1),
        )
        .where(col(BudgetEntry.budget_line_id).in_(line_ids))
        .group_by(col(BudgetEntry.budget_line_id))
    )
    return {
        line_id: LineAmounts(int(shifted_in), int(shifted_out), int(committed))
        for line_id, shifted_in, shifted_out, committed in rows
    }


async def available_on(session: AsyncSession, lines: list[Any]) -> int:
    """What is still available on all the lines meeting the conditions `lines`, together: the
    sum of `available` over them, summed in the database rather than line by line."""
    chosen = select(col(BudgetLine.id)).where(*lines)
    ceilings = await session.scalar(
        select(func.coalesce(func.sum(col(BudgetLine.original_ceiling)), 0)).where(*lines)
    )
    moved = await session.scalar(
        select(
            _sum(EntryKind.shift_in)
            - _sum(EntryKind.shift_out)
            - _sum(EntryKind.commit)
            + _sum(EntryKind.release)
        ).where(col(BudgetEntry.budget_line_id).in_(chosen))
    )
    return int(ceilings or 0) + int(moved or 0)


def lines_visible_to(caller: Caller) -> list[Any]:
    return code_in_caller_scope(caller, BudgetLine.region_code)


async def require_line(
    session: AsyncSession, caller: Caller, line_id: int, *, loc: list[str | int] | None = None
) -> BudgetLine:
    line = await session.scalar(
        select(BudgetLine).where(col(BudgetLine.id) == line_id, *lines_visible_to(caller))
    )
    if line is None:
        if loc is not None:
            raise Invalid.field(
                loc,
                "budget line {line_id} does not exist in your region",
                params={"line_id": line_id},
            )
        raise NotFound("budget line {line_id} does not exist", params={"line_id": line_id})
    return line


def available(line: BudgetLine, amounts: LineAmounts) -> int:
    return line.original_ceiling + amounts.shifted_in - amounts.shifted_out - amounts.committed


async def commit_for_training(writer: Writer, training: Training) -> None:
    """Hold the training's estimated cost on its budget line (part of the caller's
    transaction, which commits it)."""
    session, caller = writer.session, writer.caller
    if training.budget_line_id is None:
        raise Invalid.field(["body", "to"], "set the training's budget_line_id before funding it")
    line = await require_line(session, caller, training.budget_line_id)
    assert line.id is not None  # stored
    locked = (await writer.lock_all(BudgetLine, {line.id}))[line.id]
    amounts = (await line_amounts(session, [line.id])).get(line.id, LineAmounts())
    left = available(locked, amounts)
    if training.estimated_cost == 0:
        return  # nothing to hold (a sponsored training); a zero entry would mean nothing
    if left < training.estimated_cost:
        raise Conflict(
            "line {line_id} ({line_name}) has Rp{left:,} available; the training needs "
            "Rp{training_estimated_cost:,}. A refocusing can move money to it first.",
            budget_line_id=line.id,
            available=left,
            params={
                "line_id": line.id,
                "line_name": line.name,
                "left": left,
                "training_estimated_cost": training.estimated_cost,
            },
        )
    session.add(
        BudgetEntry(
            budget_line_id=line.id,
            kind=EntryKind.commit.value,
            amount=training.estimated_cost,
            training_id=training.id,
        )
    )


async def release_for_training(session: AsyncSession, training: Training) -> None:
    """Give back what a cancelled training held, if it held anything."""
    held = await session.execute(
        select(
            col(BudgetEntry.budget_line_id), _sum(EntryKind.commit) + _sum(EntryKind.release, -1)
        )
        .where(col(BudgetEntry.training_id) == training.id)
        .group_by(col(BudgetEntry.budget_line_id))
    )
    for line_id, amount in held:
        if amount > 0:
            session.add(
                BudgetEntry(
                    budget_line_id=line_id,
                    kind=EntryKind.release.value,
                    amount=int(amount),
                    training_id=training.id,
                )
            )
