"""Rencana peluncuran: the launch planner's form and its three formats side by side, saved plans
(kept as computed, printable for signing) and two saved plans compared line by line. The
planner runs through the same service as the API (`app.services.planning`)."""

import json
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.scope import caller_region
from app.core.clock import TodayDep
from app.core.db import SessionDep
from app.errors import Invalid, PreconditionFailed, PreconditionRequired
from app.http.pagination import CursorCodecDep, PageParams
from app.models.launch_plan import LaunchPlanCreate
from app.models.planner import LaunchComparisonIn
from app.routers.params import RecordId
from app.services import launch_plans, planning
from app.web.charts import cost_chart
from app.web.forms import field_errors
from app.web.i18n import gettext, say
from app.web.rendering import render
from app.web.routing import FormWriterDep, new_idempotency_key, page_router, see_other
from app.web.session import flash
from planner import HubLevel, NoSignalPolicy, Role

router = page_router()

SAVED_LIST = 50
# The form's own fields; each catalog entry's override is `overrides.<key>`, each role's payer
# `payers.<role>`.
_ROLES = list(Role)


def _number(text: str) -> float | str:
    """A number box's text as the JSON number the API takes (`2,5` as an Indonesian writes
    it too); anything else as typed, for the API to refuse by name."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _inputs_from(form: FormData | dict[str, Any]) -> dict[str, Any]:
    """The planner's input (`LaunchComparisonIn`) as the form gives it: blank boxes left out,
    so that the planner's own defaults apply, as they do in the API."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    data: dict[str, Any] = {
        "preset": text("preset") or None,
        "event": {"date": text("event.date"), "hours": _number(text("event.hours") or "3")},
        "no_signal_policy": text("no_signal_policy") or NoSignalPolicy.HUB.value,
    }
    for name in ("participants", "delegates_per_cooperative", "draws"):
        if text(name):
            data[name] = int(text(name)) if text(name).isdigit() else text(name)
    if text("hub_level"):
        data["hub_level"] = text("hub_level")
    if text("no_signal"):
        data["no_signal"] = text("no_signal").replace(",", " ").split()
    data["payers"] = {
        role.value: text(f"payers.{role.value}") for role in Role if text(f"payers.{role.value}")
    }
    data["overrides"] = {
        key.removeprefix("overrides."): value.strip()
        for key, value in form.items()
        if key.startswith("overrides.") and isinstance(value, str) and value.strip()
    }
    return data


def _errors(invalid: ValidationError | Invalid) -> dict[str, str]:
    """Field errors keyed as the form names its fields (`event.date`, `overrides.meal.lunch`)."""
    found = field_errors(invalid)
    # The planner names a catalog entry by its dotted key under `overrides`: keep it whole.
    return {key.replace("body.", "", 1): message for key, message in found.items()}


async def _planner_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    codec: Any,
    *,
    values: dict[str, Any],
    result: Any = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page = PageParams(page_size=SAVED_LIST, cursor=None, total=False)
    saved = await launch_plans.list_plans(session, caller, codec, page, None)
    return render(
        request,
        "rencana.html",
        {
            "values": values,
            "catalog": planning.get_catalog(),
            "roles": _ROLES,
            "hub_levels": list(HubLevel),
            "policies": list(NoSignalPolicy),
            "result": result.model_dump(mode="json") if result else None,
            "chart": cost_chart(result.model_dump(mode="json")) if result else None,
            "inputs_json": result.inputs.model_dump_json() if result else "",
            "errors": errors or {},
            "overrides_refused": any(key.startswith("overrides.") for key in errors or {}),
            "saved": saved.items,
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.get("/rencana")
async def planner_page(
    request: Request, session: SessionDep, caller: CallerDep, codec: CursorCodecDep, today: TodayDep
) -> Response:
    return await _planner_page(
        request,
        session,
        caller,
        codec,
        values={"preset": "kukar", "event.date": today.isoformat(), "event.hours": "3"},
    )


@router.post("/rencana")
async def compute(
    request: Request, session: SessionDep, caller: CallerDep, codec: CursorCodecDep
) -> Response:
    form = await request.form()
    values = dict(form)
    try:
        inputs = LaunchComparisonIn.model_validate_json(json.dumps(_inputs_from(form)))
        result = await planning.compare_launch(inputs, say)
    except (ValidationError, Invalid) as invalid:
        return await _planner_page(
            request, session, caller, codec, values=values, errors=_errors(invalid), status_code=422
        )
    return await _planner_page(request, session, caller, codec, values=values, result=result)


@router.post("/rencana/simpan")
async def save(request: Request, codec: CursorCodecDep, writer: FormWriterDep) -> Response:
    form = await request.form()
    try:
        data = LaunchPlanCreate.model_validate_json(
            json.dumps(
                {
                    "name": form.get("name") or "",
                    "note": form.get("note") or None,
                    "region": caller_region(writer.caller) or "",
                    "inputs": json.loads(str(form.get("inputs") or "null")),
                }
            )
        )
        answer = await writer.once(201, launch_plans.save_plan(writer, data))
    except (ValidationError, Invalid, ValueError) as invalid:
        if isinstance(invalid, ValueError) and not isinstance(invalid, ValidationError):
            invalid = Invalid.field(["body", "inputs"], "compute the plan again, then save it")
        flash(request, next(iter(_errors(invalid).values())))
        return see_other("/rencana")
    saved = json.loads(bytes(answer.body))
    flash(request, gettext("The plan has been saved."))
    return see_other(f"/rencana/{saved['id']}")


@router.get("/rencana/banding")
async def compare_saved(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Response:
    """Two saved plans side by side: each format's total, and its cost lines by item."""
    first = await launch_plans.get_plan(session, caller, a, say)
    second = await launch_plans.get_plan(session, caller, b, say)
    formats = {}
    for name in first.result["plans"]:
        lines: dict[tuple[str, str], list[int]] = {}
        for index, plan in enumerate((first, second)):
            for line in plan.result["plans"].get(name, {}).get("lines", []):
                amounts = lines.setdefault((line["item"], line["detail"]), [0, 0])
                amounts[index] += line["amount"]
        formats[name] = {
            "totals": [p.result["plans"].get(name, {}).get("total", 0) for p in (first, second)],
            "lines": sorted(lines.items()),
        }
    return render(
        request, "rencana_banding.html", {"first": first, "second": second, "formats": formats}
    )


@router.get("/rencana/{plan_id:int}")
async def saved_plan(
    request: Request, session: SessionDep, caller: CallerDep, plan_id: RecordId
) -> Response:
    plan, etag = await launch_plans.get_plan_to_read(session, caller, plan_id, say)
    # Shown as it was saved, whatever the planner answers today.
    return render(
        request,
        "rencana_satu.html",
        {
            "plan": plan,
            "result": plan.result,
            "chart": cost_chart(plan.result),
            "etag": etag,
            "idempotency_key": new_idempotency_key(),
        },
    )


@router.post("/rencana/{plan_id:int}/hapus")
async def delete(request: Request, writer: FormWriterDep, plan_id: RecordId) -> Response:
    form = await request.form()
    etag = form.get("etag")
    try:
        await launch_plans.delete_plan(
            writer, plan_id, if_match=etag if isinstance(etag, str) else None
        )
    except (PreconditionFailed, PreconditionRequired):
        flash(request, gettext("Someone else changed this plan. Look at it again first."))
        return see_other(f"/rencana/{plan_id}")
    flash(request, gettext("The plan has been deleted."))
    return see_other("/rencana")
