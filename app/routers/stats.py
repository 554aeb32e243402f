from typing import Annotated

from fastapi import APIRouter, Query

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import problems
from app.models.cooperative import LegalProgress
from app.models.region import REGION_CODE_PATTERN
from app.services import stats

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/legal-progress", responses=problems(404))
async def legal_progress(
    session: SessionDep,
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
