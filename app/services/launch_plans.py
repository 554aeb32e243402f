"""Saved launch plans: computed once when saved, kept as they were, scoped by region."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import check_in_caller_scope, code_in_caller_scope
from app.errors import NotFound
from app.http.conditional import etag_of, require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.launch_plan import (
    LaunchPlan,
    LaunchPlanCreate,
    LaunchPlanPublic,
    LaunchPlanSummary,
)
from app.services import audit, planning
from planner import Say, rendered


def _visible_to(caller: Caller) -> list[Any]:
    return code_in_caller_scope(caller, LaunchPlan.region)


def _summary(plan: LaunchPlan) -> LaunchPlanSummary:
    return LaunchPlanSummary.model_validate(plan, from_attributes=True)


def _public(plan: LaunchPlan, say: Say = str) -> LaunchPlanPublic:
    """The plan with its result's texts said by `say` (English unless told: a plan saved
    before its texts were kept as data has them in English only)."""
    public = LaunchPlanPublic.model_validate(plan, from_attributes=True)
    return public.model_copy(update={"result": rendered(plan.result, say)})


def _found(plan: LaunchPlan | None, plan_id: int) -> LaunchPlan:
    if plan is None:
        raise NotFound("launch plan {plan_id} does not exist", params={"plan_id": plan_id})
    return plan


async def list_plans(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    region: str | None,
) -> Page[LaunchPlanSummary]:
    conditions = _visible_to(caller)
    if region is not None:
        conditions.append(col(LaunchPlan.region) == region)
    found = await page_by_id(
        session,
        LaunchPlan,
        conditions,
        codec,
        page,
        {"list": "launch_plans", "region": region},
        newest_first=True,
    )
    return Page(
        items=[_summary(p) for p in found.rows], next_cursor=found.next_cursor, total=found.total
    )


async def _visible(session: AsyncSession, caller: Caller, plan_id: int) -> LaunchPlan:
    plan = await session.scalar(
        select(LaunchPlan).where(col(LaunchPlan.id) == plan_id, *_visible_to(caller))
    )
    return _found(plan, plan_id)


async def get_plan(
    session: AsyncSession, caller: Caller, plan_id: int, say: Say = str
) -> LaunchPlanPublic:
    return _public(await _visible(session, caller, plan_id), say)


async def get_plan_to_read(
    session: AsyncSession, caller: Caller, plan_id: int, say: Say
) -> tuple[LaunchPlanPublic, str]:
    """The plan said by `say`, with the ETag of the version the API serves (in English), which
    `delete_plan` compares an If-Match with."""
    plan = await _visible(session, caller, plan_id)
    return _public(plan, say), etag_of(_public(plan))


async def save_plan(writer: Writer, data: LaunchPlanCreate) -> LaunchPlanPublic:
    session, caller = writer.session, writer.caller
    check_in_caller_scope(caller, data.region, ["body", "region"])
    answer = await planning.comparison_to_keep(data.inputs)
    plan = LaunchPlan(
        region=data.region,
        name=data.name,
        note=data.note,
        participants=answer["participants"],
        recommended=answer["recommendation"]["format"],
        catalog_version=answer["catalog_version"],
        catalog_digest=answer["catalog_digest"],
        result=answer,
        created_by=caller.principal.actor,
    )
    session.add(plan)
    await session.flush()
    saved = _public(plan)
    audit.record(
        session,
        caller,
        action="launch_plan.create",
        resource_type="launch_plan",
        resource_id=plan.id,
        region_code=plan.region,
        after=_summary(plan),
    )
    await writer.record(saved)
    await writer.commit()
    return saved


async def delete_plan(writer: Writer, plan_id: int, *, if_match: str | None) -> None:
    session, caller = writer.session, writer.caller
    plan = _found(await writer.lock(LaunchPlan, plan_id, *_visible_to(caller)), plan_id)
    before = _public(plan)
    require_if_match(if_match, before, "launch plan")
    await session.delete(plan)
    audit.record(
        session,
        caller,
        action="launch_plan.delete",
        resource_type="launch_plan",
        resource_id=plan_id,
        region_code=before.region,
        before=_summary(plan),
    )
    await writer.commit()
