from typing import Annotated

from fastapi import APIRouter, Query

from app.access.auth import CallerDep
from app.core.clock import TodayDep
from app.core.db import StatsSessionDep
from app.errors import problems
from app.http.json_bodies import StrictJSONRoute
from app.models.common import StrictDate
from app.models.cooperative import LegalProgress
from app.models.mentoring import MentoringStats
from app.models.region import REGION_CODE_PATTERN
from app.models.target import OfficeHeadline
from app.services import stats

router = APIRouter(prefix="/stats", tags=["stats"], route_class=StrictJSONRoute)


@router.get("/legal-progress", responses=problems(404))
async def legal_progress(
    session: StatsSessionDep,
    caller: CallerDep,
    region: Annotated[
        str | None,
        Query(
            pattern=REGION_CODE_PATTERN,
            description="Count per child of this region (`64.02` gives Kukar's districts); "
            "leave out for the children of your own region (the provinces if national).",
        ),
    ] = None,
) -> LegalProgress:
    """For each child region, how many cooperatives stand at each legal stage."""
    return await stats.legal_progress(session, caller, region)


@router.get("/mentoring", responses=problems(404))
async def mentoring(
    session: StatsSessionDep,
    caller: CallerDep,
    today: TodayDep,
    region: Annotated[
        str | None,
        Query(
            pattern=REGION_CODE_PATTERN,
            description="A province, regency or district; leave out for your own region.",
        ),
    ] = None,
    date_from: Annotated[
        StrictDate | None,
        Query(alias="from", description="First day; default 30 days before `to`."),
    ] = None,
    date_to: Annotated[
        StrictDate | None, Query(alias="to", description="Last day; default today.")
    ] = None,
    no_contact_days: Annotated[
        int, Query(ge=1, le=3650, description="'Not seen' means no consultation in this many days.")
    ] = 90,
) -> MentoringStats:
    """Per district: consultations by channel and topic, cooperatives with no contact lately,
    open and overdue follow-ups, trainings by status and people trained."""
    return await stats.mentoring(
        session,
        caller,
        region=region,
        date_from=date_from,
        date_to=date_to,
        no_contact_days=no_contact_days,
        today=today,
    )


@router.get("/headline", responses=problems(404))
async def headline(
    session: StatsSessionDep,
    caller: CallerDep,
    today: TodayDep,
    region: Annotated[
        str | None,
        Query(
            pattern=REGION_CODE_PATTERN,
            description="The region counted; leave out for your own region (the country if "
            "national).",
        ),
    ] = None,
) -> OfficeHeadline:
    """The figures the morning table opens with: cooperatives with an SK AHU out of all, SK AHU
    issued this week (since Monday), open and overdue follow-ups, trainings waiting for budget
    and the budget still available."""
    return await stats.headline(session, caller, region, today)
