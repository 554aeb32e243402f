from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access.auth import CallerDep
from app.core.db import SessionDep, StatsSessionDep
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
from app.models.account import SCOPE_PATTERN
from app.models.target import SkAhuProgress, SkAhuTargetCreate, SkAhuTargetPublic
from app.routers.params import RecordId
from app.services import targets

router = APIRouter(prefix="/sk-ahu-targets", tags=["stats"], route_class=StrictJSONRoute)
TargetId = RecordId


@router.get("", responses=problems(400))
async def list_targets(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    region: Annotated[
        str | None,
        Query(pattern=SCOPE_PATTERN, description="Only this region's targets (`` national)."),
    ] = None,
) -> Page[SkAhuTargetPublic]:
    """The SK AHU targets within your region, newest first."""
    return await targets.list_targets(session, caller, codec, page, region)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SkAhuTargetPublic,
    responses={**problems(409), **idempotent(201, etag=True)},
)
async def create_target(writer: IdempotentWriterDep, data: SkAhuTargetCreate) -> Response:
    """Set how many cooperatives of a region should receive their SK AHU within a period (a
    push such as June 1-30). Periods of one region do not overlap (409)."""
    return await writer.once(
        status.HTTP_201_CREATED, targets.create_target(writer, data), etag=True
    )


@router.get(
    "/{target_id}",
    response_model=SkAhuTargetPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_target(
    session: SessionDep,
    caller: CallerDep,
    target_id: TargetId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return represent(await targets.get_target(session, caller, target_id), if_none_match)


@router.delete(
    "/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404), **PRECONDITIONS},
)
async def delete_target(
    writer: WriterDep, target_id: TargetId, if_match: IfMatchHeader = None
) -> None:
    """Remove a target set by mistake (its `ETag` in `If-Match`)."""
    await targets.delete_target(writer, target_id, if_match=if_match)


@router.get("/{target_id}/progress", responses=problems(404))
async def get_progress(
    session: StatsSessionDep, caller: CallerDep, target_id: TargetId
) -> SkAhuProgress:
    """Per day of the period: SK AHU issued to the region's cooperatives (by the date on their
    recorded `sk_ahu_issued` milestone), the running total, and where an even pace to the
    target would stand."""
    return await targets.progress(session, caller, target_id)
