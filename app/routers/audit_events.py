from typing import Annotated

from fastapi import APIRouter, Query

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http.json_bodies import StrictJSONRoute
from app.http.pagination import CursorCodecDep, Page, PageDep
from app.models.audit import AuditEventPublic
from app.models.common import UtcQueryDatetime
from app.services import audit

router = APIRouter(prefix="/audit-events", tags=["audit"], route_class=StrictJSONRoute)
Text = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("", responses=problems(400))
async def list_audit_events(
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    page: PageDep,
    actor: Annotated[str | None, Query(max_length=100, examples=["user:demo-officer"])] = None,
    resource_type: Text = None,
    resource_id: Text = None,
    action: Annotated[str | None, Query(max_length=60, examples=["cooperative.update"])] = None,
    request_id: Text = None,
    since: Annotated[
        UtcQueryDatetime | None, Query(description="At or after (ISO 8601; no offset: UTC).")
    ] = None,
    until: Annotated[
        UtcQueryDatetime | None, Query(description="Before (ISO 8601; no offset: UTC).")
    ] = None,
) -> Page[AuditEventPublic]:
    """The audit trail of your region, newest first. Events are never changed or deleted."""
    return await audit.list_events(
        session,
        caller,
        codec,
        page,
        actor=actor,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        request_id=request_id,
        since=since,
        until=until,
    )
