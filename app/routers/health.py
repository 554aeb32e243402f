import asyncio

from fastapi import APIRouter, Request

from app.core.db import schema_revisions
from app.core.migrations import head_revisions
from app.errors import PROBLEM_MEDIA_TYPE, Problem, ServiceUnavailable
from app.http.json_bodies import StrictJSONRoute

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP. Touches nothing else."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Not ready"}
    },
)
async def readyz(request: Request) -> dict[str, str]:
    """Readiness: the database answers within a second and its schema is at the latest migration."""
    try:
        async with asyncio.timeout(1):
            current = await schema_revisions(request.app.state.engine)
    except Exception as exc:  # any failure to reach or query the database means "not ready"
        raise ServiceUnavailable(
            "the database did not answer: {error}",
            headers={"Retry-After": "5"},
            params={"error": type(exc).__name__},
        ) from None
    expected = head_revisions()
    if current != expected:
        raise ServiceUnavailable(
            "the database schema is at {current}, the code expects {expected}; run `alembic "
            "upgrade head`",
            headers={"Retry-After": "30"},
            params={"current": sorted(current) or "nothing", "expected": sorted(expected)},
        )
    return {"status": "ready"}
