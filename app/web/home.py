"""Beranda, the morning table: the headline figures, the SK AHU push against its target, and
the cooperatives at each legal stage per child region, from the country down to a district's
villages. The head of the office sets the push's target here."""

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.scope import caller_region, in_caller_scope
from app.core.clock import TodayDep
from app.core.db import SessionDep
from app.errors import Conflict, Invalid, PreconditionFailed, PreconditionRequired
from app.models.region import REGION_CODE_PATTERN
from app.models.target import SkAhuTargetCreate
from app.routers.params import RecordId
from app.services import regions, stats, targets
from app.web.charts import sk_ahu_chart
from app.web.forms import field_errors, parse
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import FormWriterDep, new_idempotency_key, page_router, see_other
from app.web.session import flash

router = page_router()

TARGET_FIELDS = ("region", "starts_on", "ends_on", "target", "note")
Wilayah = Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)]


def _home_url(region: str | None) -> str:
    return f"/?wilayah={region}" if region else "/"


async def _home_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    today: date,
    region: str | None,
    *,
    target_form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The morning table of `region` (None: the caller's own); a district's rows are its
    villages, the end of the drill-down."""
    region = region or caller_region(caller)
    headline = await stats.headline(session, caller, region, today)
    progress = await stats.legal_progress(session, caller, region)
    place = await regions.get_region(session, region) if region else None
    # The way back up, as far as the caller's own region: Indonesia, province, regency.
    trail = (
        [r for r in (place.ancestors if place else []) if in_caller_scope(caller, r.code)]
        if place
        else []
    )
    target = await targets.current_target(session, caller, region, today)
    target_progress = await targets.progress_of(session, caller, target) if target else None
    return render(
        request,
        "beranda.html",
        {
            "region": region,
            "place": place,
            "trail": trail,
            "national_caller": caller_region(caller) is None,
            "headline": headline,
            "progress": progress,
            "target_progress": target_progress,
            "chart": sk_ahu_chart(target_progress) if target_progress else None,
            "target_form": target_form or {"region": region or ""},
            "errors": errors or {},
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.get("/")
async def home(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    today: TodayDep,
    wilayah: Wilayah = None,
) -> Response:
    """`wilayah`: the region to show, within the caller's own."""
    if wilayah and len(wilayah) == 13:
        # A village has no child regions: its cooperatives are in the registry.
        return see_other(f"/koperasi?wilayah={wilayah}")
    return await _home_page(request, session, caller, today, wilayah)


@router.post("/target-sk-ahu")
async def set_target(request: Request, today: TodayDep, writer: FormWriterDep) -> Response:
    form = await request.form()
    region = form.get("region")
    region = region if isinstance(region, str) and region else None
    try:
        data = parse(SkAhuTargetCreate, form, TARGET_FIELDS)
        await writer.once(201, targets.create_target(writer, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _home_page(
            request,
            writer.session,
            writer.caller,
            today,
            region if region and in_caller_scope(writer.caller, region) else None,
            target_form=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    flash(request, gettext("The target has been set."))
    return see_other(_home_url(data.region or None) + "#percepatan")


@router.post("/target-sk-ahu/{target_id}/hapus")
async def delete_target(request: Request, writer: FormWriterDep, target_id: RecordId) -> Response:
    form = await request.form()
    etag = form.get("etag")
    target = await targets.get_target(writer.session, writer.caller, target_id)
    try:
        await targets.delete_target(
            writer, target_id, if_match=etag if isinstance(etag, str) else None
        )
    except (PreconditionFailed, PreconditionRequired):
        flash(request, gettext("Someone else changed this target. Look at it again first."))
    else:
        flash(request, gettext("The target has been deleted."))
    return see_other(_home_url(target.region or None) + "#percepatan")
