"""Trainings: planned while they wait for budget, then funded, scheduled and held (or
cancelled). Who is invited and who attended is their roster (`app.services.roster`).

Scoping (BOLA): a training belongs to the region it serves (`region_code`: a district, a
regency, ...). An office sees the trainings whose region lies within its own scope: an office
scoped `64.02` sees `64.02` and `64.02.06` trainings, but not a province-wide `64` training,
which is the province office's to manage. Anything else is a 404, as if it did not exist.
A cooperative's account sees only the trainings its cooperative is invited to: the invitation
is what grants it, so it is not also filtered by the account's region.
"""

import typing
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import (
    check_in_caller_scope,
    code_in_caller_scope,
    code_in_region,
    of_own_cooperative,
)
from app.errors import Conflict, Invalid, NotFound
from app.http import sync_feed
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, PageParams, cut_page
from app.http.sync_feed import SyncPage
from app.models.account import Role
from app.models.common import utcnow
from app.models.mentoring import (
    TRAINING_TRANSITIONS,
    Topic,
    Training,
    TrainingAttendee,
    TrainingCreate,
    TrainingFilters,
    TrainingInvitation,
    TrainingPublic,
    TrainingStatus,
    TrainingTransition,
    TrainingUpdate,
    TransitionCreate,
    TransitionPublic,
)
from app.models.region import Region
from app.services import audit, ledger

# Once held or cancelled a training is history: it is kept as it was.
_CLOSED = frozenset({TrainingStatus.held, TrainingStatus.cancelled})


def visible_to(caller: Caller) -> list[Any]:
    """Conditions limiting trainings to those that exist for this caller (see the module doc)."""
    if caller.role is Role.cooperative:
        return [
            col(Training.id).in_(
                select(col(TrainingInvitation.training_id)).where(
                    *of_own_cooperative(caller, TrainingInvitation.cooperative_id)
                )
            )
        ]
    return code_in_caller_scope(caller, Training.region_code)


async def require_training(session: AsyncSession, caller: Caller, training_id: int) -> Training:
    """The training, if it exists for this caller."""
    training = await session.scalar(
        select(Training).where(col(Training.id) == training_id, *visible_to(caller))
    )
    return _found(training, training_id)


async def lock_training(writer: Writer, training_id: int) -> Training:
    """The training, if it exists for the writer's caller, locked: two requests cannot both
    take the last free seats or both move the status on (SQLite has no row locks, but it
    serialises writers anyway)."""
    training = await writer.lock(Training, training_id, *visible_to(writer.caller))
    return _found(training, training_id)


def _found(training: Training | None, training_id: int) -> Training:
    if training is None:
        raise NotFound("training {training_id} does not exist", params={"training_id": training_id})
    return training


def allowed_from(status: TrainingStatus) -> list[TrainingStatus]:
    """The next statuses, in the machine's own order (funded before cancelled)."""
    return [s for s in TrainingStatus if s in TRAINING_TRANSITIONS[status]]


async def _publics(session: AsyncSession, trainings: list[Training]) -> list[TrainingPublic]:
    """Trainings with their seat and attendee counts and history, in three queries in all."""
    ids = [t.id for t in trainings]
    if not ids:
        return []
    seats = dict(
        (
            await session.execute(
                select(col(TrainingInvitation.training_id), func.sum(col(TrainingInvitation.seats)))
                .where(col(TrainingInvitation.training_id).in_(ids))
                .group_by(col(TrainingInvitation.training_id))
            )
        ).all()
    )
    present = dict(
        (
            await session.execute(
                select(col(TrainingAttendee.training_id), func.count())
                .where(
                    col(TrainingAttendee.training_id).in_(ids),
                    col(TrainingAttendee.attended).is_(True),
                )
                .group_by(col(TrainingAttendee.training_id))
            )
        ).all()
    )
    history: dict[int, list[TransitionPublic]] = defaultdict(list)
    for step in await session.scalars(
        select(TrainingTransition)
        .where(col(TrainingTransition.training_id).in_(ids))
        .order_by(col(TrainingTransition.id))
    ):
        history[step.training_id].append(
            TransitionPublic.model_validate(step, from_attributes=True)
        )
    # Read from the database, so each has its id.
    return [
        TrainingPublic(
            id=t.id,
            title=t.title,
            topics=[Topic(topic) for topic in t.topics],
            modules=t.modules,
            venue=t.venue,
            region_code=t.region_code,
            planned_start=t.planned_start,
            planned_end=t.planned_end,
            capacity=t.capacity,
            estimated_cost=t.estimated_cost,
            budget_line_id=t.budget_line_id,
            status=TrainingStatus(t.status),
            allowed_transitions=allowed_from(TrainingStatus(t.status)),
            seats_invited=int(seats.get(typing.cast(int, t.id), 0)),
            attendees=int(present.get(typing.cast(int, t.id), 0)),
            transitions=history[typing.cast(int, t.id)],
            created_by=t.created_by,
            created_at=t.created_at,
            updated_at=t.updated_at,
            change=t.change,
        )
        for t in trainings
    ]


async def _public(session: AsyncSession, training: Training) -> TrainingPublic:
    return (await _publics(session, [training]))[0]


def audit_event(
    session: AsyncSession,
    caller: Caller,
    action: str,
    training: Training,
    **change: Any,
) -> None:
    audit.record(
        session,
        caller,
        action=action,
        resource_type="training",
        resource_id=training.id,
        region_code=training.region_code,
        **change,
    )


def _check_dates(start: date | None, end: date | None) -> None:
    if start is None and end is not None:
        raise Invalid.field(["body", "planned_start"], "give the start date with the end date")
    if end is None and start is not None:
        raise Invalid.field(
            ["body", "planned_end"], "give the end date too (the start date for one day)"
        )
    if start is not None and end is not None and end < start:
        raise Invalid.field(
            ["body", "planned_end"],
            "{end} is before the planned start ({start})",
            params={"end": end, "start": start},
        )


async def seats_invited(session: AsyncSession, training_id: int) -> int:
    total = await session.scalar(
        select(func.sum(col(TrainingInvitation.seats))).where(
            col(TrainingInvitation.training_id) == training_id
        )
    )
    return int(total or 0)


async def attended_count(session: AsyncSession, training_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(TrainingAttendee)
            .where(
                col(TrainingAttendee.training_id) == training_id,
                col(TrainingAttendee.attended).is_(True),
            )
        )
        or 0
    )


# --- trainings --------------------------------------------------------------------------------


def conditions_for(caller: Caller, filters: TrainingFilters) -> list[Any]:
    """The trainings of the list and its export: those that exist for the caller, filtered."""
    conditions = visible_to(caller)
    if filters.region:
        conditions.append(code_in_region(Training.region_code, filters.region))
    if filters.status is not None:
        conditions.append(Training.status == filters.status.value)
    if filters.topic is not None:
        # Topics are a JSON list of enum values; its text holds `"rat"` exactly when the list
        # does (the quotes keep `rat` from matching a longer name). Works on both databases.
        conditions.append(cast(Training.topics, String).like(f'%"{filters.topic.value}"%'))
    if filters.cooperative_id is not None:
        invited = select(col(TrainingInvitation.training_id)).where(
            col(TrainingInvitation.cooperative_id) == filters.cooperative_id
        )
        conditions.append(col(Training.id).in_(invited))
    return conditions


async def list_trainings(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    filters: TrainingFilters,
    updated_since: int | None,
) -> SyncPage[TrainingPublic]:
    conditions = conditions_for(caller, filters)
    scope = filters.model_dump(mode="json")
    query = select(Training).where(*conditions)
    if updated_since is not None:
        # Trainings are never removed (a cancelled one is kept), so there are no tombstones.
        changes = await sync_feed.changes_page(
            session,
            query,
            Training.change,
            since=updated_since,
            codec=codec,
            page=page,
            scope=scope,
            removed=None,
        )
        return changes.page(await _publics(session, changes.rows))
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(Training.id > after_id)
    trainings, next_cursor = cut_page(
        list(await session.scalars(query.order_by(col(Training.id)).limit(page.page_size + 1))),
        page,
        codec,
        scope,
        lambda t: [t.id],
    )
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(Training).where(*conditions))
    return SyncPage(items=await _publics(session, trainings), next_cursor=next_cursor, total=total)


async def get_training(session: AsyncSession, caller: Caller, training_id: int) -> TrainingPublic:
    return await _public(session, await require_training(session, caller, training_id))


async def create_training(writer: Writer, data: TrainingCreate) -> TrainingPublic:
    session, caller = writer.session, writer.caller
    if await session.get(Region, data.region_code) is None:
        raise Invalid.field(
            ["body", "region_code"],
            "{region_code} is not in the loaded Kemendagri list",
            params={"region_code": data.region_code},
        )
    check_in_caller_scope(caller, data.region_code, ["body", "region_code"])
    _check_dates(data.planned_start, data.planned_end)
    if data.budget_line_id is not None:
        await ledger.require_line(
            session, caller, data.budget_line_id, loc=["body", "budget_line_id"]
        )
    training = Training(
        **data.model_dump(exclude={"topics"}),
        topics=[topic.value for topic in data.topics],
        status=TrainingStatus.waiting_for_budget,
        created_by=caller.principal.actor,
    )
    session.add(training)
    await session.flush()
    created = await _public(session, training)
    audit_event(session, caller, "training.create", training, after=created)
    await writer.record(created)
    await writer.commit()
    return created


def refuse_if_closed(training: Training, doing: str) -> None:
    if training.status in _CLOSED:
        raise Conflict(
            "training {training_id} is {training_status}: a held or cancelled training is kept as "
            "it was, so it cannot {doing}",
            training_status=training.status,
            params={"training_id": training.id, "training_status": training.status, "doing": doing},
        )


async def update_training(
    writer: Writer,
    training_id: int,
    patch: TrainingUpdate,
    *,
    if_match: str | None,
) -> TrainingPublic:
    session, caller = writer.session, writer.caller
    training = await lock_training(writer, training_id)
    changes = patch.model_dump(exclude_unset=True)
    before = await _public(session, training)
    require_if_match(if_match, before, "training")
    refuse_if_closed(training, "be changed")
    start = changes.get("planned_start", training.planned_start)
    end = changes.get("planned_end", training.planned_end)
    if training.status == TrainingStatus.scheduled and (start is None or end is None):
        missing = "planned_start" if start is None else "planned_end"
        raise Invalid.field(
            ["body", missing], "a scheduled training keeps its dates; cancel it instead"
        )
    _check_dates(start, end)
    if "capacity" in changes:
        taken = max(
            await seats_invited(session, training_id), await attended_count(session, training_id)
        )
        if changes["capacity"] < taken:
            raise Conflict(
                "capacity {capacity} is below the {taken} seats already taken (invited or "
                "attended)",
                seats_taken=taken,
                params={"capacity": changes["capacity"], "taken": taken},
            )
    if "topics" in changes:
        changes["topics"] = [Topic(topic).value for topic in changes["topics"]]
    funded = training.status in (TrainingStatus.funded, TrainingStatus.scheduled)
    for field in ("estimated_cost", "budget_line_id"):
        if funded and field in changes and changes[field] != getattr(training, field):
            raise Conflict(
                "training {training_id} is funded: its {field} is what was committed on the budget"
                " line; cancel it and plan a new one to change that",
                params={"training_id": training_id, "field": field},
            )
    if changes.get("budget_line_id") is not None:
        await ledger.require_line(
            session, caller, changes["budget_line_id"], loc=["body", "budget_line_id"]
        )

    training.sqlmodel_update(changes)
    training.updated_at = utcnow()
    updated = await _public(session, training)
    audit_event(session, caller, "training.update", training, before=before, after=updated)
    await writer.commit()
    return updated


async def transition(writer: Writer, training_id: int, data: TransitionCreate) -> TrainingPublic:
    """Move the funding status along the state machine, dated, stored and audited."""
    session, caller = writer.session, writer.caller
    training = await lock_training(writer, training_id)
    current = TrainingStatus(training.status)
    allowed = allowed_from(current)
    if data.to not in allowed:
        options = ", ".join(allowed) if allowed else "nothing (it is final)"
        raise Conflict(
            "training {training_id} cannot go from {current} to {to}; allowed from {current}: "
            "{options}",
            training_status=current.value,
            allowed_transitions=[s.value for s in allowed],
            params={
                "training_id": training_id,
                "current": current,
                "to": data.to,
                "options": options,
            },
        )
    if data.to == TrainingStatus.scheduled and (
        training.planned_start is None or training.planned_end is None
    ):
        raise Conflict(
            "training {training_id} has no planned dates: set planned_start and planned_end (PATCH"
            " the training) before scheduling it",
            params={"training_id": training_id},
        )
    last = await session.scalar(
        select(col(TrainingTransition.occurred_on))
        .where(col(TrainingTransition.training_id) == training_id)
        .order_by(col(TrainingTransition.id).desc())
        .limit(1)
    )
    if last is not None and data.occurred_on < last:
        raise Invalid.field(
            ["body", "occurred_on"],
            "{occurred_on} is before the previous step ({current}, on {last})",
            params={"occurred_on": data.occurred_on, "current": current, "last": last},
        )

    step = TrainingTransition(
        training_id=training_id,
        from_status=current.value,
        to_status=data.to.value,
        occurred_on=data.occurred_on,
        note=data.note,
        actor=caller.principal.actor,
    )
    session.add(step)
    # Funding holds the estimated cost on the budget line; cancelling gives it back.
    if data.to == TrainingStatus.funded:
        await ledger.commit_for_training(writer, training)
    elif data.to == TrainingStatus.cancelled:
        await ledger.release_for_training(session, training)
    training.status = data.to.value
    training.updated_at = utcnow()
    await session.flush()
    audit_event(
        session,
        caller,
        "training.transition",
        training,
        before={"status": current.value},
        after=TransitionPublic.model_validate(step, from_attributes=True),
    )
    moved = await _public(session, training)
    await writer.record(moved)
    await writer.commit()
    return moved
