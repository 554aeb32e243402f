"""SK AHU targets: how many cooperatives an office means to bring to a legal entity within a
period, and how the days of that period went."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import check_in_caller_scope, code_in_caller_scope, levels_in_region
from app.errors import Conflict, Invalid, NotFound
from app.http.conditional import require_if_match
from app.http.idempotency import Writer
from app.http.pagination import CursorCodec, Page, PageParams, page_by_id
from app.models.common import table_of
from app.models.cooperative import Cooperative, LegalEvent, LegalMilestone
from app.models.target import (
    MAX_TARGET_DAYS,
    SkAhuDay,
    SkAhuProgress,
    SkAhuTarget,
    SkAhuTargetCreate,
    SkAhuTargetPublic,
)
from app.services import audit
from app.services.cooperatives import visible_to as cooperative_visible_to


def _public(target: SkAhuTarget) -> SkAhuTargetPublic:
    return SkAhuTargetPublic.model_validate(target, from_attributes=True)


def _visible_to(caller: Caller) -> list[Any]:
    return code_in_caller_scope(caller, SkAhuTarget.region)


def _found(target: SkAhuTarget | None, target_id: int) -> SkAhuTarget:
    if target is None:
        raise NotFound("SK AHU target {target_id} does not exist", params={"target_id": target_id})
    return target


async def _require(session: AsyncSession, caller: Caller, target_id: int) -> SkAhuTarget:
    target = await session.scalar(
        select(SkAhuTarget).where(col(SkAhuTarget.id) == target_id, *_visible_to(caller))
    )
    return _found(target, target_id)


async def list_targets(
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    page: PageParams,
    region: str | None,
) -> Page[SkAhuTargetPublic]:
    conditions = _visible_to(caller)
    if region is not None:
        conditions.append(col(SkAhuTarget.region) == region)
    found = await page_by_id(
        session,
        SkAhuTarget,
        conditions,
        codec,
        page,
        {"list": "sk_ahu_targets", "region": region},
        newest_first=True,
    )
    return Page(
        items=[_public(t) for t in found.rows], next_cursor=found.next_cursor, total=found.total
    )


async def get_target(session: AsyncSession, caller: Caller, target_id: int) -> SkAhuTargetPublic:
    return _public(await _require(session, caller, target_id))


async def create_target(writer: Writer, data: SkAhuTargetCreate) -> SkAhuTargetPublic:
    session, caller = writer.session, writer.caller
    check_in_caller_scope(caller, data.region, ["body", "region"])
    if data.ends_on < data.starts_on:
        raise Invalid.field(["body", "ends_on"], "must not be before starts_on")
    if (data.ends_on - data.starts_on).days + 1 > MAX_TARGET_DAYS:
        raise Invalid.field(["body", "ends_on"], "a target period is at most 366 days long")
    # One target per region and day, or the chart would not know which to draw.
    overlapping = await session.scalar(
        select(SkAhuTarget).where(
            col(SkAhuTarget.region) == data.region,
            col(SkAhuTarget.starts_on) <= data.ends_on,
            col(SkAhuTarget.ends_on) >= data.starts_on,
        )
    )
    if overlapping is not None:
        raise Conflict(
            "another target of this region overlaps the period; delete it or choose other days",
            existing_id=overlapping.id,
        )
    target = SkAhuTarget(**data.model_dump(), created_by=caller.principal.actor)
    session.add(target)
    await session.flush()
    public = _public(target)
    audit.record(
        session,
        caller,
        action="sk_ahu_target.create",
        resource_type="sk_ahu_target",
        resource_id=target.id,
        region_code=target.region,
        after=public,
    )
    await writer.record(public)
    await writer.commit()
    return public


async def delete_target(writer: Writer, target_id: int, *, if_match: str | None) -> None:
    session, caller = writer.session, writer.caller
    target = _found(await writer.lock(SkAhuTarget, target_id, *_visible_to(caller)), target_id)
    before = _public(target)
    require_if_match(if_match, before, "SK AHU target")
    await session.delete(target)
    audit.record(
        session,
        caller,
        action="sk_ahu_target.delete",
        resource_type="sk_ahu_target",
        resource_id=target_id,
        region_code=before.region,
        before=before,
    )
    await writer.commit()


async def current_target(
    session: AsyncSession, caller: Caller, region: str | None, today: date
) -> SkAhuTarget | None:
    """The target of `region` (None: the country) whose period holds `today`; else the one that
    ended last, so that after a push the morning table still shows how it went."""
    return await session.scalar(
        select(SkAhuTarget)
        .where(
            col(SkAhuTarget.region) == (region or ""),
            col(SkAhuTarget.starts_on) <= today,
            *_visible_to(caller),
        )
        .order_by(col(SkAhuTarget.ends_on).desc())
        .limit(1)
    )


async def progress(session: AsyncSession, caller: Caller, target_id: int) -> SkAhuProgress:
    return await progress_of(session, caller, await _require(session, caller, target_id))


async def progress_of(session: AsyncSession, caller: Caller, target: SkAhuTarget) -> SkAhuProgress:
    """Per day of the target's period: the SK AHU issued to the region's cooperatives (by the
    date on the recorded milestone), their running total, and an even pace to the target."""
    cooperative = table_of(Cooperative).c
    conditions = [*cooperative_visible_to(caller)]
    if target.region:
        conditions.append(levels_in_region(cooperative, target.region))
    issued_query = (
        select(col(LegalEvent.occurred_on), func.count())
        .where(
            col(LegalEvent.milestone) == LegalMilestone.sk_ahu_issued.value,
            col(LegalEvent.occurred_on) >= target.starts_on,
            col(LegalEvent.occurred_on) <= target.ends_on,
        )
        .group_by(col(LegalEvent.occurred_on))
    )
    if conditions:
        # The whole country's needs no cooperative: every event has one (60 ms for the join).
        issued_query = issued_query.join(
            Cooperative, col(Cooperative.id) == LegalEvent.cooperative_id
        ).where(*conditions)
    issued_on = dict((await session.execute(issued_query)).all())
    length = (target.ends_on - target.starts_on).days + 1
    days, cumulative = [], 0
    for offset in range(length):
        day = target.starts_on + timedelta(days=offset)
        issued = issued_on.get(day, 0)
        cumulative += issued
        # Integer division: the pace reaches the target exactly on the last day.
        planned = target.target * (offset + 1) // length
        days.append(SkAhuDay(day=day, issued=issued, cumulative=cumulative, planned=planned))
    return SkAhuProgress(target=_public(target), issued=cumulative, days=days)
