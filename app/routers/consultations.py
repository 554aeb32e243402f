from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access.auth import CallerDep
from app.core.clock import TodayDep
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
from app.http.pagination import CursorCodecDep, PageDep
from app.http.sync_feed import SyncPage, UpdatedSince
from app.models.common import Text
from app.models.mentoring import (
    ConsultationCreate,
    ConsultationFilters,
    ConsultationPublic,
    ConsultationUpdate,
    FollowUpCreate,
    FollowUpFilters,
    FollowUpPublic,
    FollowUpUpdate,
    RequestDecision,
)
from app.routers.params import RecordId
from app.services import consultations, follow_ups

router = APIRouter(tags=["consultations"], route_class=StrictJSONRoute)

ConsultationId = RecordId
FollowUpId = RecordId


@router.get("/consultations", responses=problems(400))
async def list_consultations(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    today: TodayDep,
    filters: Annotated[ConsultationFilters, Query()],
    updated_since: UpdatedSince = None,
) -> SyncPage[ConsultationPublic]:
    """Consultations and field visits, newest first, each with its follow-ups; with
    `updated_since`, what changed since a client's last sync, in change order."""
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
        follow_ups.add_follow_up(writer, consultation_id, data, today),
        etag=True,
    )


@router.get("/follow-ups", responses=problems(400))
async def list_follow_ups(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    today: TodayDep,
    filters: Annotated[FollowUpFilters, Query()],
    updated_since: UpdatedSince = None,
) -> SyncPage[FollowUpPublic]:
    """Follow-ups by due date, e.g. `?status=open&due_before=2025-09-01&officer=me`; with
    `updated_since`, what changed since a client's last sync, in change order."""
    return await follow_ups.list_follow_ups(
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
        await follow_ups.get_follow_up(session, caller, follow_up_id, today), if_none_match
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
        await follow_ups.update_follow_up(writer, follow_up_id, patch, today, if_match=if_match)
    )
