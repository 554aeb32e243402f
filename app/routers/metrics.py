from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.http.json_bodies import StrictJSONRoute
from app.http.observability import scrape

# Not part of the JSON API: left out of the OpenAPI document.
router = APIRouter(include_in_schema=False, route_class=StrictJSONRoute)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics. Open in dev; in prod only with `KOPDES_METRICS_TOKEN` as bearer."""
    return Response(scrape(request), media_type=CONTENT_TYPE_LATEST)
