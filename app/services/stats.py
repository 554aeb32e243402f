"""Aggregates the office reads: how far each child region's cooperatives have come."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, in_scope
from app.errors import Invalid, NotFound
from app.models.cooperative import Cooperative, LegalProgress, LegalStage, StageCounts
from app.models.region import Region, RegionLevel
from app.services.cooperatives import REGION_COLUMN_BY_LENGTH, region_column

# The cooperative column that groups by the children of a region of each code length.
_CHILD_LENGTH = {None: 2, 2: 5, 5: 8, 8: 13}


async def legal_progress(
    session: AsyncSession, caller: Caller, region: str | None
) -> LegalProgress:
    """Counts per child of `region`; without one, per child of the caller's own region."""
    if region is None:
        region = caller.region_scope or None
    if region is not None:
        if not in_scope(region, caller.region_scope) or await session.get(Region, region) is None:
            raise NotFound(f"region {region} is not in the Kemendagri list that is loaded")
        if len(region) == 13:
            raise Invalid.field(
                ["query", "region"], "a desa or kelurahan has no child regions; give its district"
            )
        children_query = select(Region).where(Region.parent_code == region)
    else:
        children_query = select(Region).where(Region.level == RegionLevel.province.value)
    children = list(await session.scalars(children_query.order_by(Region.code)))

    group = REGION_COLUMN_BY_LENGTH[_CHILD_LENGTH[len(region) if region else None]]
    counts_query = select(group, Cooperative.legal_stage, func.count()).group_by(
        group, Cooperative.legal_stage
    )
    if region is not None:
        counts_query = counts_query.where(region_column(region) == region)
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
