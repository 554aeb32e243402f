from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import problems
from app.models.mentoring import (
    AttendanceCreate,
    AttendeePublic,
    InvitationCreate,
    InvitationPublic,
    Topic,
    TrainingCreate,
    TrainingPublic,
    TrainingStatus,
    TrainingUpdate,
    TransitionCreate,
)
from app.models.region import REGION_CODE_PATTERN
from app.pagination import CursorCodecDep, Page, PageDep
from app.routers.params import RecordId
from app.services import trainings
from app.sync import SyncPage, UpdatedSince

router = APIRouter(prefix="/trainings", tags=["trainings"])

TrainingId = RecordId


@router.get("", responses=problems(400))
async def list_trainings(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    region: Annotated[
        str | None,
        Query(
            pattern=REGION_CODE_PATTERN,
            description="Any ancestor code: `64.02` is every training held for Kukar or "
            "one of its districts or villages.",
        ),
    ] = None,
    status: TrainingStatus | None = None,
    topic: Topic | None = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[TrainingPublic]:
    """Trainings of your region, oldest first; with `updated_since`, what changed since a
    client's last sync, in change order. A cooperative's account sees only the trainings it is
    invited to."""
    return await trainings.list_trainings(
        session,
        caller,
        codec,
        page,
        region=region,
        status=status,
        topic=topic,
        updated_since=updated_since,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_training(
    session: SessionDep, caller: CallerDep, data: TrainingCreate
) -> TrainingPublic:
    """Plan a training. It starts `waiting_for_budget`; move it on with `/transitions`."""
    return await trainings.create_training(session, caller, data)


@router.get("/{training_id}", responses=problems(404))
async def get_training(
    session: SessionDep, caller: CallerDep, training_id: TrainingId
) -> TrainingPublic:
    """One training, with its seat count, attendance and dated status history."""
    return await trainings.get_training(session, caller, training_id)


@router.patch("/{training_id}", responses=problems(404, 409))
async def update_training(
    session: SessionDep, caller: CallerDep, training_id: TrainingId, patch: TrainingUpdate
) -> TrainingPublic:
    """Change the fields sent. A held or cancelled training can no longer be changed (409)."""
    return await trainings.update_training(session, caller, training_id, patch)


@router.post(
    "/{training_id}/transitions",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409),
)
async def transition_training(
    session: SessionDep, caller: CallerDep, training_id: TrainingId, data: TransitionCreate
) -> TrainingPublic:
    """Move the funding status: waiting_for_budget → funded → scheduled → held, or cancelled
    before it is held. Any other move is a 409 that lists the allowed ones. Scheduling needs
    the planned dates. Each step is dated, kept in `transitions`, and audited."""
    return await trainings.transition(session, caller, training_id, data)


@router.get("/{training_id}/invitations", responses=problems(400, 404))
async def list_invitations(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    training_id: TrainingId,
) -> Page[InvitationPublic]:
    """Who is invited: cooperatives with their seats, and named people."""
    return await trainings.list_invitations(session, caller, codec, page, training_id)


@router.post(
    "/{training_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409),
)
async def invite(
    session: SessionDep, caller: CallerDep, training_id: TrainingId, data: InvitationCreate
) -> InvitationPublic:
    """Invite a cooperative of your region with a number of seats, or one named person. The
    seats invited never exceed the capacity (409)."""
    return await trainings.invite(session, caller, training_id, data)


@router.get("/{training_id}/attendance", responses=problems(400, 404))
async def list_attendance(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    training_id: TrainingId,
) -> Page[AttendeePublic]:
    """The attendance list, in the order it was recorded."""
    return await trainings.list_attendance(session, caller, codec, page, training_id)


@router.post(
    "/{training_id}/attendance",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409),
)
async def record_attendance(
    session: SessionDep, caller: CallerDep, training_id: TrainingId, data: AttendanceCreate
) -> list[AttendeePublic]:
    """Record attendance per person (name, role, cooperative; no NIK), all or nothing, for a
    scheduled or held training. People present never exceed the capacity (409), and a person
    already on the list is a 409, so a retried upload does not count anyone twice."""
    return await trainings.record_attendance(session, caller, training_id, data)
