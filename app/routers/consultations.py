from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access.auth import Caller, CallerDep
from app.core.clock import TodayDep
from app.core.db import SessionDep
from app.errors import Invalid, problems
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
from app.http.pagination import CursorCodecDep, PageDep
from app.http.sync_feed import SyncPage, UpdatedSince
from app.models.common import StrictDate, Text
from app.models.mentoring import (
    Channel,
    ConsultationCreate,
    ConsultationPublic,
    ConsultationStatus,
    ConsultationUpdate,
    FollowUpCreate,
    FollowUpPublic,
    FollowUpStatus,
    FollowUpUpdate,
    RequestDecision,
    Topic,
)
from app.models.region import REGION_CODE_PATTERN
from app.routers.params import RecordId
from app.services import consultations
from app.services.consultations import ConsultationFilters, FollowUpFilters

router = APIRouter(tags=["consultations"], route_class=StrictJSONRoute)

ConsultationId = RecordId
FollowUpId = RecordId
RegionQuery = Annotated[
    str | None, Query(pattern=REGION_CODE_PATTERN, description="Any ancestor code, e.g. `64.02`.")
]
OfficerQuery = Annotated[
    str | None,
    Query(pattern=r"^(me|[1-9][0-9]{0,9})$", description="`me`, or an officer's account id."),
]
IdQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def officer_filter(caller: Caller, officer: str | None) -> int | None:
    if officer != "me":
        if officer and int(officer) > 2**31 - 1:
            # The pattern lets through ten digits; ids are 32-bit in the database.
            raise Invalid.field(["query", "officer"], "no account has an id this large")
        return int(officer) if officer else None
    if caller.principal.kind != "user":
        raise Invalid.field(["query", "officer"], "`me` needs a person's login, not an API key")
    return caller.principal.id


@router.get("/consultations", responses=problems(400))
async def list_consultations(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    today: TodayDep,
    cooperative_id: IdQuery = None,
    region: RegionQuery = None,
    channel: Channel | None = None,
    topic: Topic | None = None,
    officer: OfficerQuery = None,
    status: ConsultationStatus | None = None,
    date_from: Annotated[StrictDate | None, Query(alias="from", description="On or after.")] = None,
    date_to: Annotated[StrictDate | None, Query(alias="to", description="On or before.")] = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[ConsultationPublic]:
    """Consultations and field visits, newest first, each with its follow-ups; with
    `updated_since`, what changed since a client's last sync, in change order."""
    filters = ConsultationFilters(
        cooperative_id=cooperative_id,
        region=region,
        channel=channel,
        topic=topic,
        officer_id=officer_filter(caller, officer),
        status=status,
        date_from=date_from,
        date_to=date_to,
    )
    return await consultations.list_consultations(
        session, caller, codec, page, filters, today, updated_since
    )


@router.post(
    "/consultations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsultationPublic,
    responses=idempotent(201, etag=True),
)
async def create_consultation(
    writer: IdempotentWriterDep, today: TodayDep, data: ConsultationCreate
) -> Response:
    """Record a consultation or field visit, with any follow-ups. From a cooperative's own
    account this is a request (status `requested`) that the office accepts or declines."""
    return await writer.once(
        status.HTTP_201_CREATED, consultations.create_consultation(writer, data, today), etag=True
    )


@router.get(
    "/consultations/{consultation_id}",
    response_model=ConsultationPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_consultation(
    session: SessionDep,
    caller: CallerDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One consultation with its follow-ups. Its `ETag` goes in `If-Match` to change or
    withdraw it."""
    return represent(
        await consultations.get_consultation(session, caller, consultation_id, today),
        if_none_match,
    )


@router.patch(
    "/consultations/{consultation_id}",
    response_model=ConsultationPublic,
    responses={**problems(404, 409), **PRECONDITIONS, **with_etag()},
)
async def update_consultation(
    writer: WriterDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    patch: ConsultationUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Correct a consultation, or mark an accepted request `held` once it took place."""
    return represent(
        await consultations.update_consultation(
            writer, consultation_id, patch, today, if_match=if_match
        )
    )


@router.delete(
    "/consultations/{consultation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404), **PRECONDITIONS},
)
async def delete_consultation(
    writer: WriterDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    reason: Annotated[Text, Query(min_length=3, max_length=1000, description="Why it goes.")],
    if_match: IfMatchHeader = None,
) -> None:
    """Withdraw a consultation recorded by mistake. It is kept, marked with who, when and why,
    and no longer listed."""
    await consultations.delete_consultation(
        writer, consultation_id, reason, today, if_match=if_match
    )


@router.post(
    "/consultations/{consultation_id}/accept",
    response_model=ConsultationPublic,
    responses={**problems(404, 409), **idempotent(200, etag=True)},
)
async def accept_request(
    writer: IdempotentWriterDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    decision: RequestDecision,
) -> Response:
    """Accept a cooperative's request; you (or `officer_id`) will take it."""
    return await writer.once(
        status.HTTP_200_OK,
        consultations.decide_request(writer, consultation_id, decision, accept=True, today=today),
        etag=True,
    )


@router.post(
    "/consultations/{consultation_id}/decline",
    response_model=ConsultationPublic,
    responses={**problems(404, 409), **idempotent(200, etag=True)},
)
async def decline_request(
    writer: IdempotentWriterDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    decision: RequestDecision,
) -> Response:
    """Decline a cooperative's request, with a note for them."""
    return await writer.once(
        status.HTTP_200_OK,
        consultations.decide_request(writer, consultation_id, decision, accept=False, today=today),
        etag=True,
    )


@router.post(
    "/consultations/{consultation_id}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpPublic,
    responses={**problems(404), **idempotent(201, etag=True)},
)
async def add_follow_up(
    writer: IdempotentWriterDep,
    today: TodayDep,
    consultation_id: ConsultationId,
    data: FollowUpCreate,
) -> Response:
    """Add a follow-up action with its due date."""
    return await writer.once(
        status.HTTP_201_CREATED,
        consultations.add_follow_up(writer, consultation_id, data, today),
        etag=True,
    )


@router.get("/follow-ups", responses=problems(400))
async def list_follow_ups(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    today: TodayDep,
    status: FollowUpStatus | None = None,
    due_before: Annotated[
        StrictDate | None, Query(description="Due strictly before this date.")
    ] = None,
    officer: OfficerQuery = None,
    overdue: Annotated[bool | None, Query(description="Open and past due (as of today).")] = None,
    cooperative_id: IdQuery = None,
    region: RegionQuery = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[FollowUpPublic]:
    """Follow-ups by due date, e.g. `?status=open&due_before=2025-09-01&officer=me`; with
    `updated_since`, what changed since a client's last sync, in change order."""
    filters = FollowUpFilters(
        status=status,
        due_before=due_before,
        officer_id=officer_filter(caller, officer),
        overdue=overdue,
        cooperative_id=cooperative_id,
        region=region,
    )
    return await consultations.list_follow_ups(
        session, caller, codec, page, filters, today, updated_since
    )


@router.get(
    "/follow-ups/{follow_up_id}",
    response_model=FollowUpPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_follow_up(
    session: SessionDep,
    caller: CallerDep,
    today: TodayDep,
    follow_up_id: FollowUpId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One follow-up. Its `ETag` goes in `If-Match` to change or close it."""
    return represent(
        await consultations.get_follow_up(session, caller, follow_up_id, today), if_none_match
    )


@router.patch(
    "/follow-ups/{follow_up_id}",
    response_model=FollowUpPublic,
    responses={**problems(404, 409), **PRECONDITIONS, **with_etag()},
)
async def update_follow_up(
    writer: WriterDep,
    today: TodayDep,
    follow_up_id: FollowUpId,
    patch: FollowUpUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Reschedule or reassign an open follow-up, or close it: `done` (with its outcome) or
    `cancelled` (with a reason)."""
    return represent(
        await consultations.update_follow_up(writer, follow_up_id, patch, today, if_match=if_match)
    )
