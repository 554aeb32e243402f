"""A training's roster: the cooperatives and people invited (within its capacity), and the
attendance list taken on the day or from the sign-in sheet. A cooperative's account sees only
its own lines of either.
"""

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import in_caller_scope, of_own_cooperative
from app.errors import Conflict, Invalid
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, cut_page
from app.models.common import utcnow
from app.models.cooperative import Cooperative
from app.models.mentoring import (
    AttendanceCreate,
    AttendeePublic,
    InvitationCreate,
    InvitationPublic,
    TrainingAttendee,
    TrainingInvitation,
    TrainingStatus,
)
from app.services.trainings import (
    attended_count,
    audit_event,
    lock_training,
    refuse_if_closed,
    require_training,
    seats_invited,
)

# Attendance is taken on the day, or recorded afterwards from the sign-in sheet.
_ATTENDANCE_OPEN = frozenset({TrainingStatus.scheduled, TrainingStatus.held})


async def _check_cooperatives(
    session: AsyncSession, caller: Caller, wanted: dict[int, list[str | int]]
) -> None:
    """Each cooperative (id -> where the body names it) must exist within the caller's scope.

    One outside the scope is answered exactly like one that does not exist, so nothing leaks.
    It is a 422 naming the field, not a 404: the URL's training does exist for the caller,
    and it is a value in the body that is wrong.
    """
    if not wanted:
        return
    villages = dict(
        (
            await session.execute(
                select(col(Cooperative.id), col(Cooperative.village_code)).where(
                    col(Cooperative.id).in_(wanted)
                )
            )
        ).all()
    )
    for cooperative_id, loc in wanted.items():
        village = villages.get(cooperative_id)
        if village is None or not in_caller_scope(caller, village):
            raise Invalid.field(
                loc,
                "cooperative {cooperative_id} does not exist",
                params={"cooperative_id": cooperative_id},
            )


# --- invitations ------------------------------------------------------------------------------


def _invitation_public(invitation: TrainingInvitation) -> InvitationPublic:
    return InvitationPublic.model_validate(invitation, from_attributes=True)


async def invite(writer: Writer, training_id: int, data: InvitationCreate) -> InvitationPublic:
    session, caller = writer.session, writer.caller
    training = await lock_training(writer, training_id)
    refuse_if_closed(training, "take invitations")
    if (data.cooperative_id is None) == (data.person_name is None):
        raise Invalid.field(
            ["body", "cooperative_id"], "give either cooperative_id or person_name, not both"
        )
    invited = select(col(TrainingInvitation.id)).where(
        col(TrainingInvitation.training_id) == training_id
    )
    if data.cooperative_id is not None:
        await _check_cooperatives(
            session, caller, {data.cooperative_id: ["body", "cooperative_id"]}
        )
        existing = await session.scalar(
            invited.where(col(TrainingInvitation.cooperative_id) == data.cooperative_id)
        )
        who = f"cooperative {data.cooperative_id}"
    else:
        if data.seats != 1:
            raise Invalid.field(["body", "seats"], "a named person takes one seat")
        assert data.person_name is not None  # one of the two is given, checked above
        existing = await session.scalar(
            invited.where(
                func.lower(col(TrainingInvitation.person_name)) == data.person_name.lower()
            )
        )
        who = data.person_name
    if existing is not None:
        # Most likely a retried request: say which invitation already holds the seats.
        raise Conflict(
            "{who} is already invited to training {training_id}; one invitation per cooperative or"
            " person",
            existing_id=existing,
            params={"who": who, "training_id": training_id},
        )
    taken = await seats_invited(session, training_id)
    if taken + data.seats > training.capacity:
        raise Conflict(
            "not enough seats: capacity {training_capacity}, {taken} already invited, {free} free,"
            " {seats} asked",
            capacity=training.capacity,
            seats_invited=taken,
            params={
                "training_capacity": training.capacity,
                "taken": taken,
                "free": training.capacity - taken,
                "seats": data.seats,
            },
        )

    invitation = TrainingInvitation(training_id=training_id, **data.model_dump())
    session.add(invitation)
    training.updated_at = utcnow()  # its seat count changed
    await session.flush()
    created = _invitation_public(invitation)
    audit_event(session, caller, "training.invite", training, after=created)
    await writer.record(created)
    await writer.commit()
    return created


async def list_invitations(
    session: AsyncSession, caller: Caller, codec: CursorCodec, page: PageParams, training_id: int
) -> Page[InvitationPublic]:
    await require_training(session, caller, training_id)
    conditions = [col(TrainingInvitation.training_id) == training_id]
    # Which other cooperatives and people are invited is not a cooperative's business.
    conditions.extend(of_own_cooperative(caller, TrainingInvitation.cooperative_id))
    return await _page(
        session, codec, page, training_id, TrainingInvitation, conditions, _invitation_public
    )


# --- attendance -------------------------------------------------------------------------------


def _attendee_public(attendee: TrainingAttendee) -> AttendeePublic:
    return AttendeePublic.model_validate(attendee, from_attributes=True)


async def record_attendance(
    writer: Writer, training_id: int, data: AttendanceCreate
) -> list[AttendeePublic]:
    """Record who came (and who did not), all or nothing. Names only: no NIK is needed."""
    session, caller = writer.session, writer.caller
    training = await lock_training(writer, training_id)
    if training.status not in _ATTENDANCE_OPEN:
        raise Conflict(
            "training {training_id} is {training_status}: attendance is recorded only for a "
            "scheduled or held training",
            training_status=training.status,
            params={"training_id": training_id, "training_status": training.status},
        )
    wanted: dict[int, list[str | int]] = {}
    for index, person in enumerate(data.attendees):
        if person.cooperative_id is not None:
            wanted.setdefault(person.cooperative_id, ["body", "attendees", index, "cooperative_id"])
    await _check_cooperatives(session, caller, wanted)

    # A retried upload (poor connectivity) must not count people twice: a person is their
    # name (any case) within their cooperative.
    rows = await session.execute(
        select(col(TrainingAttendee.name), col(TrainingAttendee.cooperative_id)).where(
            col(TrainingAttendee.training_id) == training_id
        )
    )
    seen = {(name.casefold(), cooperative_id) for name, cooperative_id in rows}
    for index, person in enumerate(data.attendees):
        key = (person.name.casefold(), person.cooperative_id)
        if key in seen:
            raise Conflict(
                "attendees.{index}: {person_name} is already on the attendance list of training "
                "{training_id}",
                params={"index": index, "person_name": person.name, "training_id": training_id},
            )
        seen.add(key)

    present = await attended_count(session, training_id)
    coming = sum(person.attended for person in data.attendees)
    if present + coming > training.capacity:
        raise Conflict(
            "over capacity: capacity {training_capacity}, {present} already attended, {coming} "
            "more would make {total}",
            capacity=training.capacity,
            attended=present,
            params={
                "training_capacity": training.capacity,
                "present": present,
                "coming": coming,
                "total": present + coming,
            },
        )

    attendees = [
        TrainingAttendee(training_id=training_id, **person.model_dump())
        for person in data.attendees
    ]
    session.add_all(attendees)
    training.updated_at = utcnow()  # its attendee count changed
    await session.flush()
    recorded = [_attendee_public(a) for a in attendees]
    audit_event(
        session,
        caller,
        "training.attendance",
        training,
        after={"attendees": [a.model_dump(mode="json") for a in recorded]},
    )
    await writer.record(recorded)
    await writer.commit()
    return recorded


async def list_attendance(
    session: AsyncSession, caller: Caller, codec: CursorCodec, page: PageParams, training_id: int
) -> Page[AttendeePublic]:
    await require_training(session, caller, training_id)
    conditions = [col(TrainingAttendee.training_id) == training_id]
    conditions.extend(of_own_cooperative(caller, TrainingAttendee.cooperative_id))
    return await _page(
        session, codec, page, training_id, TrainingAttendee, conditions, _attendee_public
    )


_Listed = TypeVar("_Listed", TrainingInvitation, TrainingAttendee)


async def _page(
    session: AsyncSession,
    codec: CursorCodec,
    page: PageParams,
    training_id: int,
    table: type[_Listed],
    conditions: list[Any],
    to_public: Any,
) -> Page[Any]:
    """One page of a training's invitations or attendees, in the order they were recorded."""
    # A cursor is bound to its list and training; the role filter is fixed per caller.
    scope = {"list": table.__tablename__, "training": training_id}
    query = select(table).where(*conditions)
    if page.cursor:
        (after_id,) = codec.decode(page.cursor, scope)
        query = query.where(col(table.id) > after_id)
    rows, next_cursor = cut_page(
        list(await session.scalars(query.order_by(col(table.id)).limit(page.page_size + 1))),
        page,
        codec,
        scope,
        lambda row: [row.id],
    )
    total = None
    if page.total:
        total = await session.scalar(select(func.count()).select_from(table).where(*conditions))
    return Page(items=[to_public(r) for r in rows], next_cursor=next_cursor, total=total)
