"""What a launch actually cost, line by line of its plan, beside what the plan said; and the
planner's catalog made from it."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import runs_launch
from app.errors import Conflict, Forbidden, Invalid
from app.http.idempotency import Writer
from app.models.common import utcnow
from app.models.launch import (
    ActualCostIn,
    GroupAgainstActual,
    Launch,
    LaunchCost,
    LineAgainstActual,
    PlanAgainstActual,
)
from app.models.launch_plan import LaunchPlanPublic
from app.services import audit, launch_plans
from app.services.launches import visible_launch
from planner import Paid, Payer, catalog_from_actuals, default_catalog

_THOUSAND = Decimal(1000)


async def _plan(session: AsyncSession, caller: Caller, launch: Launch) -> LaunchPlanPublic:
    if launch.plan_id is None:
        raise Conflict(
            "launch {launch_id}'s plan was deleted; its costs can no longer be compared",
            params={"launch_id": launch.id},
        )
    return await launch_plans.get_plan(session, caller, launch.plan_id)


async def _plan_lines(session: AsyncSession, caller: Caller, launch: Launch) -> list[Any]:
    """The cost lines of the launch's format in its saved plan (English texts)."""
    plan = await _plan(session, caller, launch)
    lines: list[Any] = plan.result["plans"][launch.format]["lines"]
    return lines


async def _entered(session: AsyncSession, launch_id: int) -> dict[int, LaunchCost]:
    costs = await session.scalars(select(LaunchCost).where(col(LaunchCost.launch_id) == launch_id))
    return {cost.line: cost for cost in costs}


def _line(number: int, planned: dict[str, Any], cost: LaunchCost | None) -> LineAgainstActual:
    quantity = unit_cost = None
    if cost is not None:
        quantity = Decimal(cost.quantity_thousandths) / _THOUSAND
        unit_cost = (Decimal(cost.amount) / quantity).quantize(Decimal("0.01"))
    return LineAgainstActual(
        line=number,
        item=planned["item"],
        detail=planned["detail"],
        unit=planned["unit"],
        payer=planned["payer"],
        planned_quantity=Decimal(planned["quantity"]),
        planned_unit_cost=Decimal(planned["unit_cost"]),
        planned_amount=planned["amount"],
        actual_quantity=quantity,
        actual_unit_cost=unit_cost,
        actual_amount=cost.amount if cost else None,
        actual_payer=Payer(cost.payer) if cost else None,
        difference=cost.amount - planned["amount"] if cost else None,
        note=cost.note if cost else None,
        entered_by=cost.entered_by if cost else None,
        updated_at=cost.updated_at if cost else None,
    )


def _groups(lines: list[LineAgainstActual], planned_key: str, actual_key: str) -> list[Any]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in lines:
        sums[getattr(line, planned_key)][0] += line.planned_amount
        if line.actual_amount is not None:
            sums[getattr(line, planned_key)][1] += line.planned_amount
            sums[getattr(line, actual_key)][2] += line.actual_amount
    return [
        GroupAgainstActual(key=key, planned=planned, planned_entered=entered, actual=actual)
        for key, (planned, entered, actual) in sorted(sums.items())
    ]


async def plan_against_actual(
    session: AsyncSession, caller: Caller, launch_id: int
) -> PlanAgainstActual:
    """Every line of the plan beside what it actually cost, with the totals per item and per
    payer: the plan's amount of every line, of the lines entered, and what was paid."""
    launch = await visible_launch(session, caller, launch_id)
    planned = await _plan_lines(session, caller, launch)
    entered = await _entered(session, launch_id)
    lines = [_line(number, line, entered.get(number)) for number, line in enumerate(planned)]
    done = [line for line in lines if line.actual_amount is not None]
    totals = GroupAgainstActual(
        key="total",
        planned=sum(line.planned_amount for line in lines),
        planned_entered=sum(line.planned_amount for line in done),
        actual=sum(line.actual_amount or 0 for line in done),
    )
    return PlanAgainstActual(
        launch_id=launch_id,
        plan_id=launch.plan_id or 0,
        format=launch.format,
        lines=lines,
        by_item=_groups(lines, "item", "item"),
        by_payer=_groups(lines, "payer", "actual_payer"),
        totals=totals,
        lines_entered=len(entered),
    )


async def enter_actual(writer: Writer, launch_id: int, data: ActualCostIn) -> LineAgainstActual:
    """Enter (or correct) what one line of the plan actually cost; the office running the
    launch only."""
    session, caller = writer.session, writer.caller
    launch = await visible_launch(session, caller, launch_id)
    if not runs_launch(caller, launch):
        raise Forbidden(
            "launch {launch_id} is run by the office of {region}; ask it to change it",
            params={"launch_id": launch_id, "region": launch.region or "Indonesia"},
        )
    planned = await _plan_lines(session, caller, launch)
    if data.line >= len(planned):
        raise Invalid.field(
            ["body", "line"],
            "the plan has {count} lines, numbered from 0",
            params={"count": len(planned)},
        )
    # Locked, so that two officers correcting one line at once write one after the other.
    await writer.lock(Launch, launch_id)
    cost = (await _entered(session, launch_id)).get(data.line)
    before = _line(data.line, planned[data.line], cost) if cost else None
    if cost is None:
        cost = LaunchCost(
            launch_id=launch_id,
            line=data.line,
            quantity_thousandths=0,
            entered_by="",
            amount=0,
            payer="",
        )
        session.add(cost)
    cost.quantity_thousandths = int(data.quantity * _THOUSAND)
    cost.amount = data.amount
    cost.payer = data.payer.value if data.payer else planned[data.line]["payer"]
    cost.note = data.note
    cost.entered_by = caller.principal.actor
    cost.updated_at = utcnow()
    await session.flush()
    after = _line(data.line, planned[data.line], cost)
    audit.record(
        session,
        caller,
        action="launch_cost.enter",
        resource_type="launch",
        resource_id=launch_id,
        region_code=launch.region,
        before=before,
        after=after,
    )
    await writer.record(after)
    await writer.commit()
    return after


async def catalog_of_actuals(session: AsyncSession, caller: Caller, launch_id: int) -> str:
    """The planner's catalog (TOML) with the prices this launch actually paid, dated today,
    naming the launch as its source: for `python -m planner --catalog`."""
    launch = await visible_launch(session, caller, launch_id)
    plan = await _plan(session, caller, launch)
    base = default_catalog()
    if plan.catalog_digest != base.digest:
        raise Conflict(
            "the plan was made with catalog {planned} ({digest}); this service's catalog is "
            "{current} ({current_digest}), so its prices cannot be scaled by the plan's",
            params={
                "planned": plan.catalog_version,
                "digest": plan.catalog_digest,
                "current": base.version,
                "current_digest": base.digest,
            },
        )
    planned = plan.result["plans"][launch.format]["lines"]
    entered = await _entered(session, launch_id)
    if not entered:
        raise Conflict(
            "no actual cost is entered for launch {launch_id} yet",
            params={"launch_id": launch_id},
        )
    today = utcnow().date().isoformat()
    text, _ = catalog_from_actuals(
        base,
        [
            Paid(
                keys=tuple(planned[number]["keys"]),
                planned_unit_cost=Decimal(planned[number]["unit_cost"]),
                quantity=Decimal(cost.quantity_thousandths) / _THOUSAND,
                amount=cost.amount,
            )
            for number, cost in sorted(entered.items())
        ],
        version=f"{base.version}+launch-{launch_id}-{today}",
        source=f"Actual cost of launch {launch_id} ({launch.name}, {launch.starts_at.date()}), "
        f"entered by the office of {launch.region or 'Indonesia'}",
        as_of=today,
    )
    return text
