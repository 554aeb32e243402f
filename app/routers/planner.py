from fastapi import APIRouter, Response

from app.http.json_bodies import StrictJSONRoute
from app.models.planner import CatalogOut, LaunchComparisonIn, LaunchComparisonOut
from app.services import planning

router = APIRouter(prefix="/planner", tags=["planner"], route_class=StrictJSONRoute)


@router.post("/launch-comparison")
async def compare_launch(body: LaunchComparisonIn) -> LaunchComparisonOut:
    """Cost, feasibility, bookings, bandwidth and travel of a launch held in one venue in
    Tenggarong, online, or as hub watch parties; the cheapest feasible one recommended, with
    break-even attendances and a sensitivity run over the estimated unit costs."""
    return await planning.compare_launch(body)


@router.post(
    "/launch-comparison/chart",
    response_class=Response,
    responses={
        200: {
            "content": {"image/svg+xml": {}},
            "description": "Cost vs attendance per format, break-evens marked.",
        }
    },
)
async def launch_comparison_chart(body: LaunchComparisonIn) -> Response:
    """The same comparison drawn as an SVG chart of total cost against attendance."""
    return Response(await planning.launch_chart_svg(body), media_type="image/svg+xml")


@router.get("/catalog")
async def get_catalog() -> CatalogOut:
    """The packaged unit-cost catalog: every value with its unit, source, date and whether
    it is an estimate (estimates carry the low/high range the sensitivity run draws from)."""
    return planning.get_catalog()
