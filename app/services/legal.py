"""The legal pipeline: dated milestones, and the stage a cooperative derives from them."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.errors import Conflict
from app.http.idempotency import Writer
from app.models.common import utcnow
from app.models.cooperative import (
    STAGE_OF_MILESTONE,
    STAGE_ORDER,
    LegalEvent,
    LegalEventCreate,
    LegalEventPublic,
    LegalEventRecorded,
    LegalHistory,
    LegalMilestone,
    LegalStage,
)
from app.services import audit
from app.services.cooperatives import lock_cooperative, require_cooperative

_MILESTONE_ORDER = list(LegalMilestone)


def stage_rank(stage: LegalStage) -> int:
    return STAGE_ORDER.index(stage)


def derive_stage(milestones: list[LegalMilestone]) -> LegalStage:
    """The furthest stage reached. Records may arrive out of order; gaps are not filled in."""
    stages = [STAGE_OF_MILESTONE[m] for m in milestones]
    return max(stages, key=stage_rank, default=LegalStage.none)


def _public(event: LegalEvent) -> LegalEventPublic:
    milestone = LegalMilestone(event.milestone)
    return LegalEventPublic(
        id=event.id,
        milestone=milestone,
        stage=STAGE_OF_MILESTONE[milestone],
        occurred_on=event.occurred_on,
        document_number=event.document_number,
        note=event.note,
        recorded_at=event.recorded_at,
    )


def _warnings(new: LegalEventCreate, earlier: list[LegalEvent]) -> list[str]:
    """Oddities worth a second look. The record is kept as given; dates are never invented."""
    warnings = []
    new_rank = stage_rank(STAGE_OF_MILESTONE[new.milestone])
    by_milestone = {LegalMilestone(e.milestone): e for e in earlier}
    reached = {STAGE_OF_MILESTONE[m] for m in by_milestone}

    later = [m for m in by_milestone if stage_rank(STAGE_OF_MILESTONE[m]) > new_rank]
    if later:
        warnings.append(
            f"recorded out of order: later milestones ({', '.join(sorted(later))}) "
            "were recorded before this one"
        )
    missing = [stage.value for stage in STAGE_ORDER[1:new_rank] if stage not in reached]
    if missing:
        warnings.append(
            "earlier stages have no record yet: "
            + ", ".join(missing)
            + "; add them with their own dates when the documents arrive"
        )
    for milestone, event in by_milestone.items():
        rank = stage_rank(STAGE_OF_MILESTONE[milestone])
        if rank < new_rank and event.occurred_on > new.occurred_on:
            warnings.append(
                f"dated {new.occurred_on} but the earlier stage {milestone} is dated "
                f"{event.occurred_on}; check both documents"
            )
        elif rank > new_rank and event.occurred_on < new.occurred_on:
            warnings.append(
                f"dated {new.occurred_on} but the later stage {milestone} is dated "
                f"{event.occurred_on}; check both documents"
            )
    return warnings


async def _events(session: AsyncSession, cooperative_id: int) -> list[LegalEvent]:
    events = await session.scalars(
        select(LegalEvent).where(col(LegalEvent.cooperative_id) == cooperative_id)
    )
    return sorted(events, key=lambda e: (_MILESTONE_ORDER.index(LegalMilestone(e.milestone)), e.id))


async def record_legal_event(
    writer: Writer, cooperative_id: int, data: LegalEventCreate
) -> LegalEventRecorded:
    session, caller = writer.session, writer.caller
    # Locked: the stage derives from all events, so two records at once must not interleave.
    cooperative = await lock_cooperative(writer, cooperative_id)
    earlier = await _events(session, cooperative_id)
    duplicate = next((e for e in earlier if e.milestone == data.milestone.value), None)
    if duplicate is not None:
        raise _already_recorded(data.milestone, duplicate)

    warnings = _warnings(data, earlier)
    event = LegalEvent(cooperative_id=cooperative_id, **data.model_dump())
    session.add(event)
    stage = derive_stage([LegalMilestone(e.milestone) for e in earlier] + [data.milestone])
    cooperative.legal_stage = stage.value
    cooperative.updated_at = utcnow()
    try:
        await session.flush()
        recorded = _public(event)
        audit.record(
            session,
            caller,
            action="legal_event.create",
            resource_type="cooperative",
            resource_id=cooperative_id,
            region_code=cooperative.village_code,
            after={**recorded.model_dump(mode="json"), "legal_stage": stage.value},
        )
        answer = LegalEventRecorded(event=recorded, legal_stage=stage, warnings=warnings)
        await writer.record(answer)
        await writer.commit()
    except IntegrityError:
        await session.rollback()
        duplicate = next(
            e for e in await _events(session, cooperative_id) if e.milestone == data.milestone.value
        )
        raise _already_recorded(data.milestone, duplicate) from None
    return answer


def _already_recorded(milestone: LegalMilestone, existing: LegalEvent) -> Conflict:
    return Conflict(
        "{milestone} is already recorded, dated {existing_occurred_on}",
        existing_id=existing.id,
        params={"milestone": milestone, "existing_occurred_on": existing.occurred_on},
    )


async def legal_history(session: AsyncSession, caller: Caller, cooperative_id: int) -> LegalHistory:
    cooperative = await require_cooperative(session, caller, cooperative_id)
    events = await _events(session, cooperative_id)
    return LegalHistory(
        cooperative_id=cooperative_id,
        legal_stage=LegalStage(cooperative.legal_stage),
        events=[_public(e) for e in events],
    )
