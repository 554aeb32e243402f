"""Aggregates the office reads: how far each child region's cooperatives have come, and the
mentoring work per district."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.access.permissions import Permission
from app.access.scope import caller_region, code_in_region, in_caller_scope, levels_in_region
from app.core.sql import level_column
from app.errors import Invalid, NotFound
from app.models.budget import BudgetLine
from app.models.common import table_of
from app.models.cooperative import (
    Cooperative,
    LegalEvent,
    LegalMilestone,
    LegalProgress,
    LegalStage,
    StageCounts,
)
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
from app.models.target import OfficeHeadline
from app.services import follow_ups, ledger
from app.services.consultations import visible_to as consultation_visible_to
from app.services.cooperatives import visible_to as cooperative_visible_to
from app.services.legal import stage_rank
from app.services.trainings import visible_to as training_visible_to

# A cooperative at one of these stages is a legal entity: its SK AHU has been issued.
_WITH_SK_AHU = [
    stage.value for stage in LegalStage if stage_rank(stage) >= stage_rank(LegalStage.sk_ahu_issued)
]

# The cooperative column that groups by the children of a region of each code length.
_CHILD_LENGTH = {None: 2, 2: 5, 5: 8, 8: 13}


async def _require_region(session: AsyncSession, caller: Caller, region: str) -> None:
    """A 404 for a region outside the caller's scope, as for one that does not exist."""
    if not in_caller_scope(caller, region) or await session.get(Region, region) is None:
        raise NotFound(
            "region {code} is not in the Kemendagri list that is loaded",
            params={"code": region},
        )


async def headline(
    session: AsyncSession, caller: Caller, region: str | None, today: date
) -> OfficeHeadline:
    """The morning table's first figures for `region` (without one, the caller's own region)."""
    region = region or caller_region(caller)
    if region is not None:
        await _require_region(session, caller, region)

    cooperative = table_of(Cooperative).c
    cooperatives_here = [*cooperative_visible_to(caller)]
    if region is not None:
        cooperatives_here.append(levels_in_region(cooperative, region))
    total, with_sk_ahu = (
        await session.execute(
            select(
                func.count(),
                func.count(case((cooperative.legal_stage.in_(_WITH_SK_AHU), 1))),
            ).where(*cooperatives_here)
        )
    ).one()
    monday = today - timedelta(days=today.weekday())
    this_week = await session.scalar(
        select(func.count())
        .select_from(LegalEvent)
        .join(Cooperative, col(Cooperative.id) == LegalEvent.cooperative_id)
        .where(
            col(LegalEvent.milestone) == LegalMilestone.sk_ahu_issued.value,
            col(LegalEvent.occurred_on) >= monday,
            col(LegalEvent.occurred_on) <= today,
            *cooperatives_here,
        )
    )

    open_count, overdue = await follow_ups.open_counts(session, caller, region, today)

    trainings_here = [
        *training_visible_to(caller),
        col(Training.status) == TrainingStatus.waiting_for_budget.value,
    ]
    lines_here = [*ledger.lines_visible_to(caller)]
    if region is not None:
        trainings_here.append(code_in_region(Training.region_code, region))
        lines_here.append(code_in_region(BudgetLine.region_code, region))
    waiting = await session.scalar(
        select(func.count()).select_from(Training).where(*trainings_here)
    )
    fiscal_year, available = (
        await _budget_available(session, lines_here, today)
        if Permission.budget_read in caller.principal.permissions
        else (None, None)
    )
    return OfficeHeadline(
        region=region,
        today=today,
        cooperatives=total,
        with_sk_ahu=with_sk_ahu,
        sk_ahu_this_week=this_week or 0,
        follow_ups_open=open_count,
        follow_ups_overdue=overdue,
        trainings_waiting_for_budget=waiting or 0,
        budget_fiscal_year=fiscal_year,
        budget_available=available,
    )


async def _budget_available(
    session: AsyncSession, lines_here: list[Any], today: date
) -> tuple[int, int]:
    """This year's, or the latest earlier year's, fiscal year and what is left on its lines."""
    fiscal_year = await session.scalar(
        select(func.max(col(BudgetLine.fiscal_year))).where(
            *lines_here, col(BudgetLine.fiscal_year) <= today.year
        )
    )
    fiscal_year = fiscal_year or today.year
    available = await ledger.available_on(
        session, [*lines_here, col(BudgetLine.fiscal_year) == fiscal_year]
    )
    return fiscal_year, available


async def legal_progress(
    session: AsyncSession, caller: Caller, region: str | None
) -> LegalProgress:
    """Counts per child of `region`; without one, per child of the caller's own region."""
    if region is None:
        region = caller_region(caller)
    if region is not None:
        await _require_region(session, caller, region)
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
    await _require_region(session, caller, region)
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
    queries = mentoring_queries(
        caller,
        region=region,
        date_from=date_from,
        date_to=date_to,
        no_contact_days=no_contact_days,
        today=today,
        dialect=session.get_bind().dialect.name,
    )
    by_channel = await _counts(session, queries["by_channel"])
    by_topic = await _counts(session, queries["by_topic"])
    cooperatives = await _totals(session, queries["cooperatives"])
    unseen = await _totals(session, queries["unseen"])
    follow_ups_open: dict[str, int] = {}
    follow_ups_overdue: dict[str, int] = {}
    for district, open_count, overdue_count in await session.execute(queries["follow_ups"]):
        follow_ups_open[district] = open_count
        follow_ups_overdue[district] = overdue_count
    trainings = await _trainings_by_district(
        session, queries["trainings_here"], queries["trainings_invited"]
    )
    people_trained = await _totals(session, queries["people_trained"])

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


def mentoring_queries(
    caller: Caller,
    *,
    region: str,
    date_from: date,
    date_to: date,
    no_contact_days: int,
    today: date,
    dialect: str,
) -> dict[str, Any]:
    """The statements behind the mentoring figures, each grouped by district and each reading
    only the region's rows through an index: consultations by their level column and date,
    their topics and open follow-ups by consultation, a cooperative's last contact by
    cooperative and date (tests/api/test_query_plans.py holds them to that)."""
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
    queries: dict[str, Any] = {
        "by_channel": select(consultation.district_code, consultation.channel, func.count())
        .where(*held, *in_period)
        .group_by(consultation.district_code, consultation.channel)
    }

    topic = table_of(ConsultationTopic).c
    if dialect == "postgresql":
        # Each consultation's topics by its primary key. As a plain join, PostgreSQL hashes
        # the whole topic table (two million rows) once a province's consultations are
        # estimated at more than a few thousand; that took 140-240 ms for Kalimantan Timur,
        # looking them up 30 ms. OFFSET 0 keeps the planner from flattening the subquery
        # back into that join.
        topics = (
            select(topic.topic).where(topic.consultation_id == consultation.id).offset(0)
        ).lateral("topics")
        queries["by_topic"] = (
            select(consultation.district_code, topics.c.topic, func.count())
            .select_from(table_of(Consultation).join(topics, true()))
            .where(*held, *in_period)
            .group_by(consultation.district_code, topics.c.topic)
        )
    else:
        queries["by_topic"] = (
            select(consultation.district_code, topic.topic, func.count())
            .join(ConsultationTopic, topic.consultation_id == consultation.id)
            .where(*held, *in_period)
            .group_by(consultation.district_code, topic.topic)
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
    queries["cooperatives"] = (
        select(cooperative.district_code, func.count())
        .where(*cooperatives_here)
        .group_by(cooperative.district_code)
    )
    queries["unseen"] = (
        select(cooperative.district_code, func.count())
        .where(*cooperatives_here, ~recently_seen)
        .group_by(cooperative.district_code)
    )

    # Open and overdue in one pass over the region's consultations and their open follow-ups.
    follow_up = table_of(FollowUp).c
    queries["follow_ups"] = (
        select(
            consultation.district_code,
            func.count(),
            func.count(case((follow_up.due_date < today, 1))),
        )
        .select_from(table_of(Consultation))
        .join(FollowUp, follow_up.consultation_id == consultation.id)
        .where(
            *consultation_visible_to(caller),
            levels_in_region(consultation, region),
            follow_up.status == FollowUpStatus.open.value,
        )
        .group_by(consultation.district_code)
    )

    queries["trainings_here"] = select(
        col(Training.region_code), col(Training.id), col(Training.status)
    ).where(
        func.length(col(Training.region_code)) >= 8,
        code_in_region(Training.region_code, region),
    )
    queries["trainings_invited"] = (
        select(col(Cooperative.district_code), col(Training.id), col(Training.status))
        .join(TrainingInvitation, col(TrainingInvitation.cooperative_id) == Cooperative.id)
        .join(Training, col(Training.id) == TrainingInvitation.training_id)
        .where(levels_in_region(cooperative, region))
    )
    queries["people_trained"] = (
        select(cooperative.district_code, func.count())
        .select_from(TrainingAttendee)
        .join(Training, col(Training.id) == TrainingAttendee.training_id)
        .join(Cooperative, col(Cooperative.id) == TrainingAttendee.cooperative_id)
        .where(
            col(TrainingAttendee.attended).is_(True),
            col(Training.status) == TrainingStatus.held.value,
            levels_in_region(cooperative, region),
        )
        .group_by(cooperative.district_code)
    )
    return queries


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _counts(session: AsyncSession, query: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for district, key, count in await session.execute(query):
        counts.setdefault(district, {})[key] = count
    return counts


async def _totals(session: AsyncSession, query: Any) -> dict[str, int]:
    return dict((await session.execute(query)).all())


async def _trainings_by_district(
    session: AsyncSession, held_here: Any, invited: Any
) -> dict[str, dict[str, int]]:
    """A training counts for a district when it is held there or invites a cooperative of it
    (a regency-wide training counts in every district it draws from)."""
    pairs: set[tuple[str, int, str]] = set()
    for code, training_id, status in await session.execute(held_here):
        pairs.add((code[:8], training_id, status))
    for district, training_id, status in await session.execute(invited):
        pairs.add((district, training_id, status))
    counts: dict[str, dict[str, int]] = {}
    for district, _training, status in pairs:
        by_status = counts.setdefault(district, {})
        by_status[status] = by_status.get(status, 0) + 1
    return counts
