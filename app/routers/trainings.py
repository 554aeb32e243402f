from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import (
    NOT_MODIFIED,
    PRECONDITIONS,
    IfMatchHeader,
    IfNoneMatchHeader,
    represent,
    with_etag,
)
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.http.sync_feed import SyncPage, UpdatedSince
from app.models.mentoring import (
    AttendanceCreate,
    AttendeePublic,
    InvitationCreate,
    InvitationPublic,
    TrainingCreate,
    TrainingFilters,
    TrainingPublic,
    TrainingUpdate,
    TransitionCreate,
)
from app.routers.params import RecordId
from app.services import roster, trainings

router = APIRouter(prefix="/trainings", tags=["trainings"], route_class=StrictJSONRoute)

TrainingId = RecordId


@router.get("", responses=problems(400))
async def list_trainings(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    filters: Annotated[TrainingFilters, Query()],
    updated_since: UpdatedSince = None,
) -> SyncPage[TrainingPublic]:
    """Trainings of your region, oldest first; with `updated_since`, what changed since a
    client's last sync, in change order. A cooperative's account sees only the trainings it is
    invited to."""
    return await trainings.list_trainings(session, caller, codec, page, filters, updated_since)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingPublic,
    responses=idempotent(201, etag=True),
)
async def create_training(writer: IdempotentWriterDep, data: TrainingCreate) -> Response:
    """Plan a training. It starts `waiting_for_budget`; move it on with `/transitions`."""
    return await writer.once(
        status.HTTP_201_CREATED, trainings.create_training(writer, data), etag=True
    )


@router.get(
    "/{training_id}",
    response_model=TrainingPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_training(
    session: SessionDep,
    caller: CallerDep,
    training_id: TrainingId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One training, with its seat count, attendance and dated status history. Its `ETag`
    goes in `If-Match` to change it."""
    return represent(await trainings.get_training(session, caller, training_id), if_none_match)


@router.patch(
    "/{training_id}",
    response_model=TrainingPublic,
    responses={**problems(404, 409), **PRECONDITIONS, **with_etag()},
)
async def update_training(
    writer: WriterDep,
    training_id: TrainingId,
    patch: TrainingUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change the fields sent. A held or cancelled training can no longer be changed (409)."""
    return represent(await trainings.update_training(writer, training_id, patch, if_match=if_match))


@router.post(
    "/{training_id}/transitions",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingPublic,
    responses={**problems(404, 409), **idempotent(201, etag=True)},
)
async def transition_training(
    writer: IdempotentWriterDep,
    training_id: TrainingId,
    data: TransitionCreate,
) -> Response:
    """Move the funding status: waiting_for_budget → funded → scheduled → held, or cancelled
    before it is held. Any other move is a 409 that lists the allowed ones. Scheduling needs
    the planned dates. Each step is dated, kept in `transitions`, and audited."""
    return await writer.once(
        status.HTTP_201_CREATED, trainings.transition(writer, training_id, data), etag=True
    )


@router.get("/{training_id}/invitations", responses=problems(400, 404))
async def list_invitations(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    training_id: TrainingId,
) -> Page[InvitationPublic]:
    """Who is invited: cooperatives with their seats, and named people."""
    return await roster.list_invitations(session, caller, codec, page, training_id)


@router.post(
    "/{training_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationPublic,
    responses={**problems(404, 409), **idempotent(201)},
)
async def invite(
    writer: IdempotentWriterDep,
    training_id: TrainingId,
    data: InvitationCreate,
) -> Response:
    """Invite a cooperative of your region with a number of seats, or one named person. The
    seats invited never exceed the capacity (409)."""
    return await writer.once(status.HTTP_201_CREATED, roster.invite(writer, training_id, data))


@router.get("/{training_id}/attendance", responses=problems(400, 404))
async def list_attendance(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    training_id: TrainingId,
) -> Page[AttendeePublic]:
    """The attendance list, in the order it was recorded."""
    return await roster.list_attendance(session, caller, codec, page, training_id)


@router.post(
    "/{training_id}/attendance",
    status_code=status.HTTP_201_CREATED,
    response_model=list[AttendeePublic],
    responses={**problems(404, 409), **idempotent(201)},
)
async def record_attendance(
    writer: IdempotentWriterDep,
    training_id: TrainingId,
    data: AttendanceCreate,
) -> Response:
    """Record attendance per person (name, role, cooperative; no NIK), all or nothing, for a
    scheduled or held training. People present never exceed the capacity (409), and a person
    already on the list is a 409, so a retried upload does not count anyone twice."""
    return await writer.once(
        status.HTTP_201_CREATED, roster.record_attendance(writer, training_id, data)
    )
