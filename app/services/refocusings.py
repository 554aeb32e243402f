"""Refocusings (pergeseran anggaran): money moved between budget lines, from a draft through
submission, approval by someone else (maker–checker), and applying it to the ledger; an applied
one is undone only by a reversal, itself a refocusing.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import code_in_caller_scope, in_caller_scope, lies_within
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.observability import REFOCUSINGS_APPLIED
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.budget import (
    BudgetEntry,
    BudgetLine,
    EntryKind,
    MovementIn,
    MovementPublic,
    Refocusing,
    RefocusingCreate,
    RefocusingMovement,
    RefocusingPublic,
    RefocusingStatus,
    RefocusingTraining,
    RefocusingUpdate,
    ReversalCreate,
)
from app.models.common import utcnow
from app.models.mentoring import Training, TrainingStatus
from app.models.region import Region
from app.services import audit
from app.services.ledger import LineAmounts, available, line_amounts, require_line


def _refocusings_visible_to(caller: Caller) -> list[Any]:
    return code_in_caller_scope(caller, Refocusing.region_code)


async def require_refocusing(
    session: AsyncSession, caller: Caller, refocusing_id: int
) -> Refocusing:
    refocusing = await session.scalar(
        select(Refocusing).where(
            col(Refocusing.id) == refocusing_id, *_refocusings_visible_to(caller)
        )
    )
    return _found(refocusing, refocusing_id)


async def lock_refocusing(writer: Writer, refocusing_id: int) -> Refocusing:
    """The refocusing, locked: its steps happen one after another."""
    refocusing = await writer.lock(
        Refocusing, refocusing_id, *_refocusings_visible_to(writer.caller)
    )
    return _found(refocusing, refocusing_id)


def _found(refocusing: Refocusing | None, refocusing_id: int) -> Refocusing:
    if refocusing is None:
        raise NotFound(
            "refocusing {refocusing_id} does not exist", params={"refocusing_id": refocusing_id}
        )
    return refocusing


@dataclass(frozen=True)
class _Parts:
    """What a refocusing's public form needs besides its own row."""

    movements: list[RefocusingMovement]
    trainings: list[int]
    reversed_by: int | None


async def _parts(session: AsyncSession, refocusing_id: int) -> _Parts:
    movements = await session.scalars(
        select(RefocusingMovement)
        .where(col(RefocusingMovement.refocusing_id) == refocusing_id)
        .order_by(col(RefocusingMovement.id))
    )
    trainings = await session.scalars(
        select(col(RefocusingTraining.training_id))
        .where(col(RefocusingTraining.refocusing_id) == refocusing_id)
        .order_by(col(RefocusingTraining.training_id))
    )
    reversed_by = await session.scalar(
        select(col(Refocusing.id)).where(col(Refocusing.reverses_id) == refocusing_id)
    )
    return _Parts(list(movements), list(trainings), reversed_by)


async def _publish(
    session: AsyncSession, refocusing: Refocusing, parts: _Parts | None = None
) -> RefocusingPublic:
    assert refocusing.id is not None  # stored
    parts = parts or await _parts(session, refocusing.id)
    movements, trainings, reversed_by = parts.movements, parts.trainings, parts.reversed_by
    return RefocusingPublic(
        **refocusing.model_dump(),
        reversed_by_id=reversed_by,
        movements=[MovementPublic.model_validate(m, from_attributes=True) for m in movements],
        total_moved=sum(m.amount for m in movements),
        unblocks_training_ids=trainings,
    )


async def _check_movements(
    session: AsyncSession,
    caller: Caller,
    fiscal_year: int,
    region_code: str,
    movements: list[MovementIn],
) -> None:
    for index, movement in enumerate(movements):
        loc: list[str | int] = ["body", "movements", index]
        if movement.from_line_id == movement.to_line_id:
            raise Invalid.field([*loc, "to_line_id"], "a movement needs two different lines")
        for side in ("from_line_id", "to_line_id"):
            line = await require_line(session, caller, getattr(movement, side), loc=[*loc, side])
            if line.fiscal_year != fiscal_year:
                raise Invalid.field(
                    [*loc, side],
                    "line {line_id} belongs to fiscal year {line_fiscal_year}",
                    params={"line_id": line.id, "line_fiscal_year": line.fiscal_year},
                )
            if not lies_within(line.region_code, region_code):
                raise Invalid.field(
                    [*loc, side],
                    "line {line_id} is not in this refocusing's region",
                    params={"line_id": line.id},
                )


async def _check_trainings(session: AsyncSession, caller: Caller, ids: list[int]) -> None:
    for index, training_id in enumerate(ids):
        found = await session.scalar(
            select(col(Training.id)).where(
                col(Training.id) == training_id,
                *code_in_caller_scope(caller, Training.region_code),
            )
        )
        if found is None:
            raise Invalid.field(
                ["body", "unblocks_training_ids", index],
                "no training {training_id} for you",
                params={"training_id": training_id},
            )


def _write_movements(
    session: AsyncSession, refocusing_id: int, movements: list[MovementIn], trainings: list[int]
) -> None:
    session.add_all(
        RefocusingMovement(refocusing_id=refocusing_id, **m.model_dump()) for m in movements
    )
    session.add_all(
        RefocusingTraining(refocusing_id=refocusing_id, training_id=t)
        for t in dict.fromkeys(trainings)
    )


async def create_refocusing(writer: Writer, data: RefocusingCreate) -> RefocusingPublic:
    session, caller = writer.session, writer.caller
    if await session.get(Region, data.region_code) is None or not in_caller_scope(
        caller, data.region_code
    ):
        raise Invalid.field(["body", "region_code"], "not a region of yours")
    await _check_movements(session, caller, data.fiscal_year, data.region_code, data.movements)
    await _check_trainings(session, caller, data.unblocks_training_ids)
    refocusing = Refocusing(
        **data.model_dump(exclude={"movements", "unblocks_training_ids"}),
        created_by=caller.principal.actor,
    )
    session.add(refocusing)
    await session.flush()
    assert refocusing.id is not None  # flushed
    _write_movements(session, refocusing.id, data.movements, data.unblocks_training_ids)
    await session.flush()
    public = await _publish(session, refocusing)
    _audit(session, caller, "refocusing.create", refocusing, after=public)
    await writer.record(public)
    await writer.commit()
    return public


def _audit(
    session: AsyncSession, caller: Caller, action: str, refocusing: Refocusing, **change: Any
) -> None:
    audit.record(
        session,
        caller,
        action=action,
        resource_type="refocusing",
        resource_id=refocusing.id,
        region_code=refocusing.region_code,
        **change,
    )


async def get_refocusing(
    session: AsyncSession, caller: Caller, refocusing_id: int
) -> RefocusingPublic:
    return await _publish(session, await require_refocusing(session, caller, refocusing_id))


async def list_refocusings(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    fiscal_year: int | None,
    status: RefocusingStatus | None,
) -> Page[RefocusingPublic]:
    conditions = _refocusings_visible_to(caller)
    if fiscal_year is not None:
        conditions.append(Refocusing.fiscal_year == fiscal_year)
    if status is not None:
        conditions.append(Refocusing.status == status.value)
    scope = {"list": "refocusings", "fiscal_year": fiscal_year, "status": status}
    found = await page_by_id(session, Refocusing, conditions, codec, page, scope, newest_first=True)
    items = [await _publish(session, r) for r in found.rows]
    return Page(items=items, next_cursor=found.next_cursor, total=found.total)


@dataclass(frozen=True)
class Unblocked:
    """A training waiting for budget that a refocusing would fund."""

    training: Training
    line_id: int | None = None
    """The refocusing's target line that the training is to be funded from; None when the
    training names no such line (the refocusing lists it, but its funding line is not chosen)."""
    covered: bool | None = None
    """Whether that line, once the money has moved, still has enough for it after the
    trainings before it; None without a line."""


async def trainings_it_unblocks(
    session: AsyncSession, caller: Caller, refocusing: RefocusingPublic
) -> list[Unblocked]:
    """The trainings still waiting for budget that the refocusing would fund: those it lists,
    and those whose funding line is one it moves money to. Each is weighed against its line's
    available amount after the move (the line as it is, once the refocusing is applied), in
    order of planned start, each after the ones before it."""
    incoming: dict[int, int] = {}
    if refocusing.status != RefocusingStatus.applied:
        for movement in refocusing.movements:
            incoming[movement.to_line_id] = incoming.get(movement.to_line_id, 0) + movement.amount
            incoming[movement.from_line_id] = (
                incoming.get(movement.from_line_id, 0) - movement.amount
            )
    targets = {movement.to_line_id for movement in refocusing.movements}
    waiting = await session.scalars(
        select(Training)
        .where(
            col(Training.status) == TrainingStatus.waiting_for_budget.value,
            or_(
                col(Training.id).in_(refocusing.unblocks_training_ids),
                col(Training.budget_line_id).in_(targets),
            ),
            *code_in_caller_scope(caller, Training.region_code),
        )
        .order_by(
            col(Training.planned_start).is_(None), col(Training.planned_start), col(Training.id)
        )
    )
    lines = {
        line.id: line
        for line in await session.scalars(select(BudgetLine).where(col(BudgetLine.id).in_(targets)))
    }
    amounts = await line_amounts(session, sorted(targets))
    left = {
        line_id: available(line, amounts.get(line_id, LineAmounts())) + incoming.get(line_id, 0)
        for line_id, line in lines.items()
        if line_id is not None
    }
    found: list[Unblocked] = []
    for training in waiting:
        line_id = training.budget_line_id
        if line_id not in left:
            found.append(Unblocked(training))
            continue
        covered = left[line_id] >= training.estimated_cost
        if covered:
            left[line_id] -= training.estimated_cost
        found.append(Unblocked(training, line_id, covered))
    return found


def _require_status(refocusing: Refocusing, wanted: RefocusingStatus, doing: str) -> None:
    if refocusing.status != wanted:
        raise Conflict(
            "refocusing {refocusing_id} is {refocusing_status}; only a {wanted} one can be {doing}",
            refocusing_status=refocusing.status,
            params={
                "refocusing_id": refocusing.id,
                "refocusing_status": refocusing.status,
                "wanted": wanted,
                "doing": doing,
            },
        )


async def update_draft(
    writer: Writer,
    refocusing_id: int,
    patch: RefocusingUpdate,
    *,
    if_match: str | None,
) -> RefocusingPublic:
    session, caller = writer.session, writer.caller
    refocusing = await lock_refocusing(writer, refocusing_id)
    before = await _publish(session, refocusing)
    require_if_match(if_match, before, "refocusing")
    _require_status(refocusing, RefocusingStatus.draft, "edited")
    changes = patch.model_dump(exclude_unset=True)
    if patch.movements is not None:
        await _check_movements(
            session, caller, refocusing.fiscal_year, refocusing.region_code, patch.movements
        )
    if patch.unblocks_training_ids is not None:
        await _check_trainings(session, caller, patch.unblocks_training_ids)
    if patch.movements is not None or patch.unblocks_training_ids is not None:
        movements = (
            patch.movements
            if patch.movements is not None
            else [
                MovementIn(from_line_id=m.from_line_id, to_line_id=m.to_line_id, amount=m.amount)
                for m in before.movements
            ]
        )
        trainings = (
            patch.unblocks_training_ids
            if patch.unblocks_training_ids is not None
            else before.unblocks_training_ids
        )
        for table in (RefocusingMovement, RefocusingTraining):
            for row in await session.scalars(
                select(table).where(col(table.refocusing_id) == refocusing_id)
            ):
                await session.delete(row)
        await session.flush()
        _write_movements(session, refocusing_id, movements, trainings)
    refocusing.sqlmodel_update(
        {k: v for k, v in changes.items() if k not in ("movements", "unblocks_training_ids")}
    )
    refocusing.version += 1
    refocusing.updated_at = utcnow()
    await session.flush()
    after = await _publish(session, refocusing)
    _audit(session, caller, "refocusing.update", refocusing, before=before, after=after)
    await writer.commit()
    return after


async def submit(writer: Writer, refocusing_id: int) -> RefocusingPublic:
    caller = writer.caller
    refocusing = await lock_refocusing(writer, refocusing_id)
    _require_status(refocusing, RefocusingStatus.draft, "submitted")
    refocusing.status = RefocusingStatus.submitted.value
    refocusing.submitted_by = caller.principal.actor
    refocusing.submitted_at = utcnow()
    return await _step(writer, refocusing, "refocusing.submit")


async def approve(writer: Writer, refocusing_id: int) -> RefocusingPublic:
    session, caller = writer.session, writer.caller
    refocusing = await lock_refocusing(writer, refocusing_id)
    _require_status(refocusing, RefocusingStatus.submitted, "approved")
    created_by_maker = await check_approver(session, caller, refocusing)
    refocusing.status = RefocusingStatus.approved.value
    refocusing.approved_by = caller.principal.actor
    refocusing.approved_at = utcnow()
    return await _step(
        writer, refocusing, "refocusing.approve", approver_created_by_maker=created_by_maker
    )


# How recent an approver's account must be, created by a maker, for the approval to be flagged.
_NEW_ACCOUNT = timedelta(days=1)


async def check_approver(session: AsyncSession, caller: Caller, refocusing: Refocusing) -> bool:
    """Maker-checker, the one rule of every approval: whoever drafted or submitted a
    refocusing may not approve it (403).

    An administrator can still create a second admin account and approve through it, which no
    rule can tell from a new colleague; such an approval goes through, flagged in its audit
    event. Returns whether the approver's account was created by a maker within the last day."""
    did = part_taken(caller, refocusing)
    if did is not None:
        raise Forbidden(
            "you {did} this refocusing; another person must approve it (maker-checker)",
            params={"did": did},
        )
    makers = {refocusing.created_by, refocusing.submitted_by}
    return await audit.created_account(
        session,
        caller.principal.id,
        by={maker for maker in makers if maker},
        since=utcnow() - _NEW_ACCOUNT,
    )


def part_taken(caller: Caller, refocusing: Refocusing | RefocusingPublic) -> str | None:
    """What the caller did to the refocusing that bars them from approving it ("drafted" or
    "submitted"), or None: the maker-checker rule, which the web app asks before it offers
    the approve button."""
    for did, maker in (("drafted", refocusing.created_by), ("submitted", refocusing.submitted_by)):
        if caller.principal.actor == maker:
            return did
    return None


async def _step(
    writer: Writer,
    refocusing: Refocusing,
    action: str,
    **noted: Any,
) -> RefocusingPublic:
    public = await _record_step(writer, refocusing, action, **noted)
    await writer.commit()
    return public


async def _record_step(
    writer: Writer,
    refocusing: Refocusing,
    action: str,
    parts: _Parts | None = None,
    **noted: Any,
) -> RefocusingPublic:
    """Write a lifecycle step (new version, audit event with what is `noted`, stored
    response) without committing."""
    session, caller = writer.session, writer.caller
    refocusing.version += 1
    refocusing.updated_at = utcnow()
    await session.flush()
    public = await _publish(session, refocusing, parts)
    _audit(session, caller, action, refocusing, after={"status": refocusing.status, **noted})
    await writer.record(public)
    await session.flush()
    return public


async def apply(writer: Writer, refocusing_id: int) -> RefocusingPublic:
    """Move the money, once: all movements in one transaction, every line still covering
    what is committed against it, the year's total unchanged."""
    session, caller = writer.session, writer.caller
    refocusing = await lock_refocusing(writer, refocusing_id)
    _require_status(refocusing, RefocusingStatus.approved, "applied")
    # Every refocusing of an office moves money among the same few lines, so the time their
    # locks are held limits how many can be applied per second. So all that does not need
    # them (the refocusing's own row, its audit event, the stored response) is written first,
    # in the same transaction: if a line turns out short, all of it is rolled back.
    parts = await _parts(session, refocusing_id)
    refocusing.status = RefocusingStatus.applied.value
    refocusing.applied_by = caller.principal.actor
    refocusing.applied_at = utcnow()
    public = await _record_step(writer, refocusing, "refocusing.apply", parts)

    movements = parts.movements
    line_ids = {m.from_line_id for m in movements} | {m.to_line_id for m in movements}
    lines = await writer.lock_all(BudgetLine, line_ids)
    amounts = await line_amounts(session, sorted(line_ids))
    change = dict.fromkeys(line_ids, 0)
    for movement in movements:
        change[movement.from_line_id] -= movement.amount
        change[movement.to_line_id] += movement.amount
    for line_id in sorted(line_ids):
        left = available(lines[line_id], amounts.get(line_id, LineAmounts())) + change[line_id]
        if left < 0:
            raise Conflict(
                "line {line_id} ({name}) would be Rp{short:,} short of what it holds and has "
                "committed; nothing was moved",
                budget_line_id=line_id,
                shortfall=-left,
                params={"line_id": line_id, "name": lines[line_id].name, "short": -left},
            )
    # Increases are written first: SQLite checks each entry as it is inserted (PostgreSQL
    # at commit), and one flush inserts them in the order they were added.
    for kind in (EntryKind.shift_in, EntryKind.shift_out):
        for movement in movements:
            line_id = movement.to_line_id if kind is EntryKind.shift_in else movement.from_line_id
            session.add(
                BudgetEntry(
                    budget_line_id=line_id,
                    kind=kind.value,
                    amount=movement.amount,
                    refocusing_id=refocusing_id,
                )
            )
    await writer.commit()
    REFOCUSINGS_APPLIED.inc()
    return public


async def reverse(writer: Writer, refocusing_id: int, data: ReversalCreate) -> RefocusingPublic:
    """A new draft that moves the same amounts back; it goes through the same approvals."""
    session, caller = writer.session, writer.caller
    original = await lock_refocusing(writer, refocusing_id)
    _require_status(original, RefocusingStatus.applied, "reversed")
    if await session.scalar(
        select(col(Refocusing.id)).where(col(Refocusing.reverses_id) == refocusing_id)
    ):
        raise Conflict(
            "refocusing {refocusing_id} already has a reversal",
            params={"refocusing_id": refocusing_id},
        )
    movements = list(
        await session.scalars(
            select(RefocusingMovement).where(col(RefocusingMovement.refocusing_id) == refocusing_id)
        )
    )
    reversal = Refocusing(
        fiscal_year=original.fiscal_year,
        region_code=original.region_code,
        reverses_id=refocusing_id,
        created_by=caller.principal.actor,
        **data.model_dump(),
    )
    session.add(reversal)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "refocusing {refocusing_id} already has a reversal",
            params={"refocusing_id": refocusing_id},
        ) from None
    assert reversal.id is not None  # flushed
    _write_movements(
        session,
        reversal.id,
        [
            MovementIn(from_line_id=m.to_line_id, to_line_id=m.from_line_id, amount=m.amount)
            for m in movements
        ],
        [],
    )
    await session.flush()
    public = await _publish(session, reversal)
    _audit(session, caller, "refocusing.reverse", reversal, after=public)
    await writer.record(public)
    await writer.commit()
    return public
