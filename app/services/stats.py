"""Aggregates the office reads: how far each child region's cooperatives have come, and the
mentoring work per district."""

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import caller_region, code_in_region, in_caller_scope, levels_in_region
from app.core.sql import level_column
from app.errors import Invalid, NotFound
from app.models.common import table_of
from app.models.cooperative import Cooperative, LegalProgress, LegalStage, StageCounts
from app.models.mentoring import (
    Channel,
    Consultation,
    ConsultationStatus,
    ConsultationTopic,
    DistrictMentoring,
    FollowUp,
    FollowUpStatus,
    MentoringStats,
    Topic,
    Training,
    TrainingAttendee,
    TrainingInvitation,
    TrainingStatus,
)
from app.models.region import Region, RegionLevel
from app.services.consultations import visible_to as consultation_visible_to
from app.services.cooperatives import visible_to as cooperative_visible_to

# The cooperative column that groups by the children of a region of each code length.
_CHILD_LENGTH = {None: 2, 2: 5, 5: 8, 8: 13}


async def legal_progress(
    session: AsyncSession, caller: Caller, region: str | None
) -> LegalProgress:
    """Counts per child of `region`; without one, per child of the caller's own region."""
    if region is None:
        region = caller_region(caller)
    if region is not None:
        if not in_caller_scope(caller, region) or await session.get(Region, region) is None:
            raise NotFound(f"region {region} is not in the Kemendagri list that is loaded")
        if len(region) == 13:
            raise Invalid.field(
                ["query", "region"], "a desa or kelurahan has no child regions; give its district"
            )
        children_query = select(Region).where(col(Region.parent_code) == region)
    else:
        children_query = select(Region).where(col(Region.level) == RegionLevel.province.value)
    children = list(await session.scalars(children_query.order_by(Region.code)))

    columns = table_of(Cooperative).c
    group = level_column(columns, _CHILD_LENGTH[len(region) if region else None])
    counts_query = select(group, col(Cooperative.legal_stage), func.count()).group_by(
        group, Cooperative.legal_stage
    )
    if region is not None:
        counts_query = counts_query.where(levels_in_region(columns, region))
    counts: dict[str, dict[LegalStage, int]] = {}
    for code, stage, count in await session.execute(counts_query):
        counts.setdefault(code, {})[LegalStage(stage)] = count

    rows = []
    totals = dict.fromkeys(LegalStage, 0)
    for child in children:
        stages = {stage: counts.get(child.code, {}).get(stage, 0) for stage in LegalStage}
        for stage, count in stages.items():
            totals[stage] += count
        rows.append(
            StageCounts(
                code=child.code,
                name=child.name,
                level=child.level,
                total=sum(stages.values()),
                stages=stages,
            )
        )
    return LegalProgress(region=region, rows=rows, totals=totals)


async def mentoring(
    session: AsyncSession,
    caller: Caller,
    *,
    region: str | None,
    date_from: date | None,
    date_to: date | None,
    no_contact_days: int,
    today: date,
) -> MentoringStats:
    """Per district: consultations by channel and topic, cooperatives not seen lately, open and
    overdue follow-ups, trainings by status and people trained."""
    region = region or caller_region(caller)
    if region is None:
        raise Invalid.field(
            ["query", "region"], "give a province, regency or district (e.g. 64.02)"
        )
    if len(region) == 13:
        raise Invalid.field(["query", "region"], "give a district or a larger region")
    if not in_caller_scope(caller, region) or await session.get(Region, region) is None:
        raise NotFound(f"region {region} is not in the Kemendagri list that is loaded")
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=30)
    if date_from > date_to:
        raise Invalid.field(["query", "from"], "must not be after `to`")

    districts = list(
        await session.scalars(
            select(Region)
            .where(
                col(Region.level) == RegionLevel.district.value,
                code_in_region(Region.code, region),
            )
            .order_by(Region.code)
        )
    )
    consultation = table_of(Consultation).c
    held = [
        *consultation_visible_to(caller),
        levels_in_region(consultation, region),
        consultation.status == ConsultationStatus.held.value,
    ]
    in_period = [
        consultation.occurred_at >= _day_start(date_from),
        consultation.occurred_at < _day_start(date_to + timedelta(days=1)),
    ]
    by_channel = await _counts(
        session,
        select(consultation.district_code, consultation.channel, func.count())
        .where(*held, *in_period)
        .group_by(consultation.district_code, consultation.channel),
    )
    by_topic = await _counts(
        session,
        select(consultation.district_code, col(ConsultationTopic.topic), func.count())
        .join(ConsultationTopic, col(ConsultationTopic.consultation_id) == consultation.id)
        .where(*held, *in_period)
        .group_by(consultation.district_code, ConsultationTopic.topic),
    )

    cooperative = table_of(Cooperative).c
    cooperatives_here = [*cooperative_visible_to(caller), levels_in_region(cooperative, region)]
    seen_since = _day_start(date_to - timedelta(days=no_contact_days - 1))
    recently_seen = (
        select(consultation.id)
        .where(
            consultation.cooperative_id == cooperative.id,
            consultation.deleted_at.is_(None),
            consultation.status == ConsultationStatus.held.value,
            consultation.occurred_at >= seen_since,
            consultation.occurred_at < _day_start(date_to + timedelta(days=1)),
        )
        .exists()
    )
    cooperatives = await _totals(
        session,
        select(cooperative.district_code, func.count())
        .where(*cooperatives_here)
        .group_by(cooperative.district_code),
    )
    unseen = await _totals(
        session,
        select(cooperative.district_code, func.count())
        .where(*cooperatives_here, ~recently_seen)
        .group_by(cooperative.district_code),
    )

    open_follow_ups = [
        FollowUp.consultation_id == consultation.id,
        *consultation_visible_to(caller),
        levels_in_region(consultation, region),
        FollowUp.status == FollowUpStatus.open.value,
    ]
    follow_ups_open = await _totals(
        session,
        select(consultation.district_code, func.count())
        .where(*open_follow_ups)
        .group_by(consultation.district_code),
    )
    follow_ups_overdue = await _totals(
        session,
        select(consultation.district_code, func.count())
        .where(*open_follow_ups, col(FollowUp.due_date) < today)
        .group_by(consultation.district_code),
    )

    trainings = await _trainings_by_district(session, region)
    people_trained = await _totals(
        session,
        select(cooperative.district_code, func.count())
        .select_from(TrainingAttendee)
        .join(Training, col(Training.id) == TrainingAttendee.training_id)
        .join(Cooperative, col(Cooperative.id) == TrainingAttendee.cooperative_id)
        .where(
            col(TrainingAttendee.attended).is_(True),
            col(Training.status) == TrainingStatus.held.value,
            levels_in_region(cooperative, region),
        )
        .group_by(cooperative.district_code),
    )

    rows = [
        DistrictMentoring(
            code=district.code,
            name=district.name,
            consultations=sum(by_channel.get(district.code, {}).values()),
            by_channel={c: by_channel.get(district.code, {}).get(c, 0) for c in Channel},
            by_topic={t: by_topic.get(district.code, {}).get(t, 0) for t in Topic},
            cooperatives=cooperatives.get(district.code, 0),
            cooperatives_without_contact=unseen.get(district.code, 0),
            follow_ups_open=follow_ups_open.get(district.code, 0),
            follow_ups_overdue=follow_ups_overdue.get(district.code, 0),
            trainings_by_status={
                s: trainings.get(district.code, {}).get(s, 0) for s in TrainingStatus
            },
            people_trained=people_trained.get(district.code, 0),
        )
        for district in districts
    ]
    return MentoringStats(
        region=region,
        date_from=date_from,
        date_to=date_to,
        no_contact_days=no_contact_days,
        rows=rows,
    )


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _counts(session: AsyncSession, query: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for district, key, count in await session.execute(query):
        counts.setdefault(district, {})[key] = count
    return counts


async def _totals(session: AsyncSession, query: Any) -> dict[str, int]:
    return dict((await session.execute(query)).all())


async def _trainings_by_district(session: AsyncSession, region: str) -> dict[str, dict[str, int]]:
    """A training counts for a district when it is held there or invites a cooperative of it
    (a regency-wide training counts in every district it draws from)."""
    pairs: set[tuple[str, int, str]] = set()
    for code, training_id, status in await session.execute(
        # The id column holds no NULL, whatever SQLModel's `int | None` says.
        select(
            col(Training.region_code), cast(Mapped[int], Training.id), col(Training.status)
        ).where(
            func.length(Training.region_code) >= 8,
            code_in_region(Training.region_code, region),
        )
    ):
        pairs.add((code[:8], training_id, status))
    for district, training_id, status in await session.execute(
        select(col(Cooperative.district_code), cast(Mapped[int], Training.id), col(Training.status))
        .join(TrainingInvitation, col(TrainingInvitation.cooperative_id) == Cooperative.id)
        .join(Training, col(Training.id) == TrainingInvitation.training_id)
        .where(levels_in_region(table_of(Cooperative).c, region))
    ):
        pairs.add((district, training_id, status))
    counts: dict[str, dict[str, int]] = {}
    for district, _training, status in pairs:
        by_status = counts.setdefault(district, {})
        by_status[status] = by_status.get(status, 0) + 1
    return counts
