from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.core.db import SessionDep
from app.errors import problems
from app.http.conditional import NOT_MODIFIED, IfNoneMatchHeader, represent, with_etag
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.models.region import REGION_CODE_PATTERN, RegionDetail, RegionLevel, RegionPublic
from app.services import regions

router = APIRouter(prefix="/regions", tags=["regions"], route_class=StrictJSONRoute)

RegionCodeQuery = Annotated[
    str | None,
    Query(pattern=REGION_CODE_PATTERN, description="Only the direct children of this region."),
]


@router.get("", responses=problems(400))
async def list_regions(
    session: SessionDep,
    codec: CursorCodecDep,
    page: PageDep,
    parent: RegionCodeQuery = None,
    level: RegionLevel | None = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Part of the name, any case.")
    ] = None,
) -> Page[RegionPublic]:
    """Kemendagri regions in code order, e.g. `?parent=64.02` for Kukar's 20 districts."""
    return await regions.list_regions(session, codec, page, parent=parent, level=level, q=q)


@router.get(
    "/{code}",
    response_model=RegionDetail,
    responses={**problems(404), **with_etag(), **NOT_MODIFIED},
)
async def get_region(
    session: SessionDep,
    code: Annotated[str, Path(pattern=REGION_CODE_PATTERN, examples=["64.02.12"])],
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    """One region with its ancestors, province first."""
    return represent(await regions.get_region(session, code), if_none_match)
