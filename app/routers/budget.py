from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import PreconditionFailed, PreconditionRequired, problems
from app.idempotency import IdempotencyKeyHeader, run_once
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
from app.pagination import CursorCodecDep, Page, PageDep
from app.routers.params import RecordId
from app.services import budget

router = APIRouter(tags=["budget"])

LineId = RecordId
RefocusingId = RecordId
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
IDEMPOTENT_RESPONSES = problems(400, 409, 422)


def etag(refocusing: RefocusingPublic) -> str:
    return f'"v{refocusing.version}"'


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


@router.post("/budget-lines", status_code=status.HTTP_201_CREATED, responses=problems(409))
async def create_budget_line(
    session: SessionDep, caller: CallerDep, data: BudgetLineCreate
) -> BudgetLinePublic:
    """Add a line of the office's DPA: sub-kegiatan, kode rekening and original ceiling."""
    return await budget.create_line(session, caller, data)


# `:int`, so that `GET /budget-lines/import` is the import's 405, not a line id to refuse.
@router.get("/budget-lines/{line_id:int}", responses=problems(404))
async def get_budget_line(
    session: SessionDep, caller: CallerDep, line_id: LineId
) -> BudgetLinePublic:
    """One line; its amounts are always computed from the ledger."""
    return await budget.get_line(session, caller, line_id)


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
    responses=IDEMPOTENT_RESPONSES,
)
async def create_refocusing(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    data: RefocusingCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Draft a refocusing: movements between lines, its reason, legal basis and document.
    Requires `Idempotency-Key`; a retry with the same key returns the same answer."""
    return await run_once(
        request,
        session,
        caller,
        idempotency_key,
        status.HTTP_201_CREATED,
        lambda record: budget.create_refocusing(session, caller, data, record_result=record),
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
    return await budget.list_refocusings(session, caller, codec, page, fiscal_year, status)


@router.get(
    "/refocusings/{refocusing_id}",
    responses={**problems(404), 304: {"description": "Unchanged since the ETag you sent."}},
)
async def get_refocusing(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    refocusing_id: RefocusingId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> RefocusingPublic:
    """One refocusing. Its `ETag` goes in `If-Match` when you edit the draft."""
    refocusing = await budget.get_refocusing(session, caller, refocusing_id)
    if if_none_match == etag(refocusing):
        return Response(status_code=304, headers={"ETag": etag(refocusing)})  # type: ignore[return-value]
    response.headers["ETag"] = etag(refocusing)
    return refocusing


@router.patch("/refocusings/{refocusing_id}", responses=problems(404, 409, 412, 428))
async def update_refocusing(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    refocusing_id: RefocusingId,
    patch: RefocusingUpdate,
    if_match: Annotated[
        str | None, Header(description="The ETag from your last GET of this refocusing.")
    ] = None,
) -> RefocusingPublic:
    """Edit a draft. Requires `If-Match` with its current ETag, so that an edit made offline
    never silently overwrites someone else's."""
    if not if_match:
        raise PreconditionRequired(
            "send If-Match with the ETag from your last GET of this refocusing"
        )
    version = if_match.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not version.isdigit():
        raise PreconditionFailed("If-Match does not hold an ETag of this service")
    updated = await budget.update_draft(session, caller, refocusing_id, patch, int(version))
    response.headers["ETag"] = etag(updated)
    return updated


@router.post("/refocusings/{refocusing_id}/submit", responses=problems(404, 409))
async def submit_refocusing(
    session: SessionDep, caller: CallerDep, refocusing_id: RefocusingId
) -> RefocusingPublic:
    """Send the draft for approval."""
    return await budget.submit(session, caller, refocusing_id)


@router.post("/refocusings/{refocusing_id}/approve", responses=problems(404, 409))
async def approve_refocusing(
    session: SessionDep, caller: CallerDep, refocusing_id: RefocusingId
) -> RefocusingPublic:
    """Approve a submitted refocusing. The approver must not be its submitter."""
    return await budget.approve(session, caller, refocusing_id)


@router.post(
    "/refocusings/{refocusing_id}/apply",
    response_model=RefocusingPublic,
    responses={**IDEMPOTENT_RESPONSES, **problems(404)},
)
async def apply_refocusing(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    refocusing_id: RefocusingId,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Move the money of an approved refocusing, exactly once. Refused (409) if any line would
    fall below what is committed against it. Requires `Idempotency-Key`."""
    return await run_once(
        request,
        session,
        caller,
        idempotency_key,
        status.HTTP_200_OK,
        lambda record: budget.apply(session, caller, refocusing_id, record_result=record),
    )


@router.post(
    "/refocusings/{refocusing_id}/reverse",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409),
)
async def reverse_refocusing(
    session: SessionDep, caller: CallerDep, refocusing_id: RefocusingId, data: ReversalCreate
) -> RefocusingPublic:
    """Draft the reversal of an applied refocusing: the same movements the other way. It is
    approved and applied like any refocusing; the original is never changed."""
    return await budget.reverse(session, caller, refocusing_id, data)
