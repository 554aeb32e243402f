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
from app.models.account import SCOPE_PATTERN
from app.models.launch_plan import LaunchPlanCreate, LaunchPlanPublic, LaunchPlanSummary
from app.routers.params import RecordId
from app.services import launch_plans

router = APIRouter(prefix="/launch-plans", tags=["planner"], route_class=StrictJSONRoute)
PlanId = RecordId


@router.get("", responses=problems(400))
async def list_plans(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    region: Annotated[
        str | None,
        Query(pattern=SCOPE_PATTERN, description="Only this office's plans (`` national)."),
    ] = None,
) -> Page[LaunchPlanSummary]:
    """The saved plans within your region, newest first (without their results)."""
    return await launch_plans.list_plans(session, caller, codec, page, region)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LaunchPlanPublic,
    responses=idempotent(201, etag=True),
)
async def save_plan(writer: IdempotentWriterDep, data: LaunchPlanCreate) -> Response:
    """Compute the plan from `inputs` and keep it: its inputs, its result, the catalog version
    and digest it used, who saved it and when. A saved plan is never recomputed."""
    return await writer.once(
        status.HTTP_201_CREATED, launch_plans.save_plan(writer, data), etag=True
    )


@router.get(
    "/{plan_id}",
    response_model=LaunchPlanPublic,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_plan(
    session: SessionDep,
    caller: CallerDep,
    plan_id: PlanId,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return represent(await launch_plans.get_plan(session, caller, plan_id), if_none_match)


@router.delete(
    "/{plan_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**problems(404), **PRECONDITIONS},
)
async def delete_plan(writer: WriterDep, plan_id: PlanId, if_match: IfMatchHeader = None) -> None:
    """Remove a plan saved by mistake (its `ETag` in `If-Match`); the audit trail keeps that it
    existed."""
    await launch_plans.delete_plan(writer, plan_id, if_match=if_match)
