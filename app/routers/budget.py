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
from app.models.budget import (
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetSummary,
    RefocusingCreate,
    RefocusingPublic,
    RefocusingStatus,
    RefocusingUpdate,
    ReversalCreate,
)
from app.routers.params import RecordId
from app.services import budget, refocusings

router = APIRouter(tags=["budget"], route_class=StrictJSONRoute)

LineId = RecordId
RefocusingId = RecordId
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/budget-lines", responses=problems(400))
async def list_budget_lines(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    fiscal_year: YearQuery = None,
) -> Page[BudgetLinePublic]:
    """Budget lines with their derived amounts: current ceiling, committed and available."""
    return await budget.list_lines(session, caller, codec, page, fiscal_year)


@router.post(
    "/budget-lines",
    status_code=status.HTTP_201_CREATED,
    response_model=BudgetLinePublic,
    responses=idempotent(201, etag=True),
)
async def create_budget_line(writer: IdempotentWriterDep, data: BudgetLineCreate) -> Response:
    """Add a line of the office's DPA: sub-kegiatan, kode rekening and original ceiling."""
    return await writer.once(status.HTTP_201_CREATED, budget.create_line(writer, data), etag=True)


# `:int`, so that `GET /budget-lines/import` is the import's 405, not a line id to refuse.
@router.get(
    "/budget-lines/{line_id:int}",
    response_model=BudgetLinePublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_budget_line(
    session: SessionDep,
    caller: CallerDep,
    line_id: LineId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One line; its amounts are always computed from the ledger."""
    return represent(await budget.get_line(session, caller, line_id), if_none_match)


@router.get("/budget/summary")
async def budget_summary(
    session: SessionDep,
    caller: CallerDep,
    fiscal_year: Annotated[int, Query(ge=2000, le=2100)],
) -> BudgetSummary:
    """For each line: the original ceiling, shifts in and out, the current ceiling, committed
    and available (ANGGARAN AWAL / PERGESERAN (+/-) / ANGGARAN AKHIR)."""
    return await budget.summary(session, caller, fiscal_year)


@router.post(
    "/refocusings",
    status_code=status.HTTP_201_CREATED,
    response_model=RefocusingPublic,
    responses=idempotent(201, etag=True),
)
async def create_refocusing(writer: IdempotentWriterDep, data: RefocusingCreate) -> Response:
    """Draft a refocusing: movements between lines, its reason, legal basis and document."""
    return await writer.once(
        status.HTTP_201_CREATED, refocusings.create_refocusing(writer, data), etag=True
    )


@router.get("/refocusings", responses=problems(400))
async def list_refocusings(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    fiscal_year: YearQuery = None,
    status: RefocusingStatus | None = None,
) -> Page[RefocusingPublic]:
    """Refocusings, newest first, with their movements and what they unblock."""
    return await refocusings.list_refocusings(session, caller, codec, page, fiscal_year, status)


@router.get(
    "/refocusings/{refocusing_id}",
    response_model=RefocusingPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_refocusing(
    session: SessionDep,
    caller: CallerDep,
    refocusing_id: RefocusingId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One refocusing. Its `ETag` goes in `If-Match` when you edit the draft."""
    return represent(
        await refocusings.get_refocusing(session, caller, refocusing_id), if_none_match
    )


@router.patch(
    "/refocusings/{refocusing_id}",
    response_model=RefocusingPublic,
    responses={**problems(404, 409), **PRECONDITIONS, **with_etag()},
)
async def update_refocusing(
    writer: WriterDep,
    refocusing_id: RefocusingId,
    patch: RefocusingUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Edit a draft. Requires `If-Match` with its current ETag, so that an edit made offline
    never silently overwrites someone else's."""
    return represent(
        await refocusings.update_draft(writer, refocusing_id, patch, if_match=if_match)
    )


@router.post(
    "/refocusings/{refocusing_id}/submit",
    response_model=RefocusingPublic,
    responses={**problems(404, 409), **idempotent(200, etag=True)},
)
async def submit_refocusing(writer: IdempotentWriterDep, refocusing_id: RefocusingId) -> Response:
    """Send the draft for approval."""
    return await writer.once(
        status.HTTP_200_OK, refocusings.submit(writer, refocusing_id), etag=True
    )


@router.post(
    "/refocusings/{refocusing_id}/approve",
    response_model=RefocusingPublic,
    responses={**problems(404, 409), **idempotent(200, etag=True)},
)
async def approve_refocusing(writer: IdempotentWriterDep, refocusing_id: RefocusingId) -> Response:
    """Approve a submitted refocusing. The approver must be neither its drafter nor its
    submitter."""
    return await writer.once(
        status.HTTP_200_OK, refocusings.approve(writer, refocusing_id), etag=True
    )


@router.post(
    "/refocusings/{refocusing_id}/apply",
    response_model=RefocusingPublic,
    responses={**problems(404, 409), **idempotent(200, etag=True)},
)
async def apply_refocusing(writer: IdempotentWriterDep, refocusing_id: RefocusingId) -> Response:
    """Move the money of an approved refocusing, exactly once. Refused (409) if any line would
    fall below what is committed against it."""
    return await writer.once(
        status.HTTP_200_OK, refocusings.apply(writer, refocusing_id), etag=True
    )


@router.post(
    "/refocusings/{refocusing_id}/reverse",
    status_code=status.HTTP_201_CREATED,
    response_model=RefocusingPublic,
    responses={**problems(404, 409), **idempotent(201, etag=True)},
)
async def reverse_refocusing(
    writer: IdempotentWriterDep,
    refocusing_id: RefocusingId,
    data: ReversalCreate,
) -> Response:
    """Draft the reversal of an applied refocusing: the same movements the other way. It is
    approved and applied like any refocusing; the original is never changed."""
    return await writer.once(
        status.HTTP_201_CREATED, refocusings.reverse(writer, refocusing_id, data), etag=True
    )
