from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.access.auth import CallerDep
from app.access.security import NikCipherDep
from app.core.db import ReaderDep, SessionDep
from app.errors import problems
from app.http.conditional import (
    NOT_MODIFIED,
    PRECONDITIONS,
    IfMatchHeader,
    IfNoneMatchHeader,
    no_store,
    represent,
    with_etag,
    with_no_store,
)
from app.http.idempotency import IdempotentWriterDep, WriterDep, idempotent
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, PageDep
from app.http.sync_feed import SyncPage, UpdatedSince
from app.models.cooperative import (
    CooperativeCreate,
    CooperativeFilters,
    CooperativePublic,
    CooperativeSort,
    CooperativeUpdate,
    LegalEventCreate,
    LegalEventRecorded,
    LegalHistory,
    OfficerCreate,
    OfficerNik,
    OfficerPublic,
    OfficerUpdate,
)
from app.routers.params import RecordId
from app.services import cooperatives, legal, officers

router = APIRouter(prefix="/cooperatives", tags=["cooperatives"], route_class=StrictJSONRoute)

CooperativeId = RecordId
OfficerId = RecordId


@router.get("", responses=problems(400))
async def list_cooperatives(
    reader: ReaderDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    filters: Annotated[CooperativeFilters, Query()],
    updated_since: UpdatedSince = None,
    sort: Annotated[
        CooperativeSort | None,
        Query(
            description="`village_code` (the default: by Kemendagri code), `name`, "
            "`updated_at` (oldest change first) or `-updated_at` (newest first). "
            "Ties are broken by id. Not with `updated_since`, which lists in change order."
        ),
    ] = None,
) -> SyncPage[CooperativePublic]:
    """Cooperatives, filtered and in a stable order, one page at a time; with
    `updated_since`, what changed since a client's last sync."""
    return await cooperatives.list_cooperatives(
        reader, caller, codec, page, filters=filters, sort=sort, updated_since=updated_since
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CooperativePublic,
    responses=idempotent(201, etag=True),
)
async def create_cooperative(writer: IdempotentWriterDep, data: CooperativeCreate) -> Response:
    """Register a cooperative in a desa or kelurahan. A second one in the same village is a
    409 naming the existing one, unless it is marked as a joint cooperative."""
    return await writer.once(
        status.HTTP_201_CREATED, cooperatives.create_cooperative(writer, data), etag=True
    )


@router.get(
    "/{cooperative_id:int}",
    response_model=CooperativePublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_cooperative(
    reader: ReaderDep,
    caller: CallerDep,
    cooperative_id: CooperativeId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One cooperative. Its `ETag` goes in `If-Match` to change or remove it."""
    return represent(
        await cooperatives.get_cooperative(reader, caller, cooperative_id), if_none_match
    )


@router.patch(
    "/{cooperative_id:int}",
    response_model=CooperativePublic,
    responses={**problems(404), **PRECONDITIONS, **with_etag()},
)
async def update_cooperative(
    writer: WriterDep,
    cooperative_id: CooperativeId,
    patch: CooperativeUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change the fields sent; the others stay as they are."""
    return represent(
        await cooperatives.update_cooperative(writer, cooperative_id, patch, if_match=if_match)
    )


@router.delete(
    "/{cooperative_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404), **PRECONDITIONS},
)
async def delete_cooperative(
    writer: WriterDep,
    request: Request,
    cooperative_id: CooperativeId,
    if_match: IfMatchHeader = None,
) -> None:
    """Remove a cooperative entered by mistake, with its officers and legal history. Its
    accounts are disabled."""
    await cooperatives.delete_cooperative(
        writer, request.app.state.login_checks, cooperative_id, if_match=if_match
    )


@router.get("/{cooperative_id:int}/legal-events", responses=problems(404))
async def get_legal_history(
    session: SessionDep, caller: CallerDep, cooperative_id: CooperativeId
) -> LegalHistory:
    """The dated legal history, in pipeline order, and the stage it adds up to."""
    return await legal.legal_history(session, caller, cooperative_id)


@router.post(
    "/{cooperative_id:int}/legal-events",
    status_code=status.HTTP_201_CREATED,
    response_model=LegalEventRecorded,
    responses={**problems(404, 409), **idempotent(201)},
)
async def record_legal_event(
    writer: IdempotentWriterDep,
    cooperative_id: CooperativeId,
    data: LegalEventCreate,
) -> Response:
    """Record that a milestone was reached on a date. Late or out-of-order records are kept,
    with warnings; dates in the future are refused."""
    return await writer.once(
        status.HTTP_201_CREATED, legal.record_legal_event(writer, cooperative_id, data)
    )


@router.get("/{cooperative_id:int}/officers", responses=problems(400, 404))
async def list_officers(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    cooperative_id: CooperativeId,
    updated_since: UpdatedSince = None,
) -> SyncPage[OfficerPublic]:
    """The board (pengurus) and supervisors (pengawas). NIKs are masked."""
    return await officers.list_officers(session, caller, codec, page, cooperative_id, updated_since)


@router.post(
    "/{cooperative_id:int}/officers",
    status_code=status.HTTP_201_CREATED,
    response_model=OfficerPublic,
    responses={**problems(404), **idempotent(201, etag=True)},
)
async def create_officer(
    writer: IdempotentWriterDep,
    cipher: NikCipherDep,
    cooperative_id: CooperativeId,
    data: OfficerCreate,
) -> Response:
    """Add an officer. The NIK is checked and stored; reads show it masked."""
    return await writer.once(
        status.HTTP_201_CREATED,
        officers.create_officer(writer, cipher, cooperative_id, data),
        etag=True,
    )


@router.get(
    "/{cooperative_id:int}/officers/{officer_id}",
    response_model=OfficerPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_officer(
    session: SessionDep,
    caller: CallerDep,
    cooperative_id: CooperativeId,
    officer_id: OfficerId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One officer, NIK masked. Its `ETag` goes in `If-Match` to change or remove it."""
    return represent(
        await officers.get_officer(session, caller, cooperative_id, officer_id), if_none_match
    )


@router.get(
    "/{cooperative_id:int}/officers/{officer_id}/nik", responses=with_no_store(problems(404, 429))
)
async def read_officer_nik(
    request: Request,
    response: Response,
    writer: WriterDep,
    cipher: NikCipherDep,
    cooperative_id: CooperativeId,
    officer_id: OfficerId,
) -> OfficerNik:
    """The officer's full NIK, for administrators and officers only. Every read is audited.

    Each account may read `KOPDES_NIK_READS_PER_HOUR` full NIKs per hour; past that the answer
    is a 429 with `Retry-After`, and the trail records that the limit was reached."""
    no_store(response)
    limit = request.app.state.nik_read_limit
    return await officers.read_officer_nik(writer, cipher, limit, cooperative_id, officer_id)


@router.patch(
    "/{cooperative_id:int}/officers/{officer_id}",
    response_model=OfficerPublic,
    responses={**problems(404), **PRECONDITIONS, **with_etag()},
)
async def update_officer(
    writer: WriterDep,
    cipher: NikCipherDep,
    cooperative_id: CooperativeId,
    officer_id: OfficerId,
    patch: OfficerUpdate,
    if_match: IfMatchHeader = None,
) -> Response:
    """Change an officer's role, name, phone or NIK."""
    return represent(
        await officers.update_officer(
            writer, cipher, cooperative_id, officer_id, patch, if_match=if_match
        )
    )


@router.delete(
    "/{cooperative_id:int}/officers/{officer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404), **PRECONDITIONS},
)
async def delete_officer(
    writer: WriterDep,
    cooperative_id: CooperativeId,
    officer_id: OfficerId,
    if_match: IfMatchHeader = None,
) -> None:
    """Remove an officer who has left."""
    await officers.delete_officer(writer, cooperative_id, officer_id, if_match=if_match)
