"""Peluncuran: launch day. The launches the caller reaches (and, for the office, a form that runs
a saved plan as one), a launch's readiness board (and the form that changes the launch, for the
office running it), a hub's page (its checklist, its coordinator and capacity, its delegates with
their check-in codes and QR codes), the coordinator's check-in page for a phone, and the live
board; afterwards, the delegates imported from a file, the attendance report as a spreadsheet,
and what the launch actually cost beside its plan. Each handler calls the API's services
(`app.services.launches`, `launch_registrations`, `launch_registration_import`, `check_ins`,
`launch_costs`).

The check-in page keeps what the phone has seen in the browser (`static/check-in.js`) and sends
it in batches to `POST …/check-in`, which is `check_ins.check_in`: idempotent by registration,
and by the phone's own id for a walk-in count, so a batch sent again counts nobody twice."""

import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.permissions import Permission
from app.access.scope import runs_launch
from app.core.db import ReaderDep, SessionDep
from app.core.spreadsheets import ContentTooLarge, UnsupportedMediaType, said
from app.errors import (
    N_,
    AppError,
    Conflict,
    Forbidden,
    Invalid,
    PreconditionFailed,
    PreconditionRequired,
)
from app.http import downloads
from app.http.body_limit import max_body_bytes
from app.http.conditional import etag_of
from app.http.events import board_events
from app.http.idempotency import WriterDep
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.account import Role
from app.models.cooperative import CooperativeFilters
from app.models.launch import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ActualCostIn,
    Board,
    BoardLevel,
    CheckInAnswer,
    CheckInBatch,
    HubPublic,
    HubStatus,
    HubUpdate,
    Launch,
    LaunchCreate,
    LaunchPublic,
    LaunchUpdate,
    ReadinessUpdate,
    RegistrationCreate,
    RegistrationUpdate,
)
from app.models.region import REGION_CODE_PATTERN
from app.routers.params import RecordId
from app.services import (
    check_ins,
    cooperatives,
    launch_costs,
    launch_plans,
    launch_registration_import,
    launch_registrations,
    launches,
)
from app.services import regions as region_service
from app.services.exports import ExportFormat, HeaderLanguage
from app.services.live_board import LiveBoardDep
from app.web.calendar import qr_code
from app.web.forms import field_errors, file_problems, message, parse
from app.web.i18n import current_locale, gettext, office_moment, office_now
from app.web.rendering import render
from app.web.routing import (
    FormWriterDep,
    answer_of,
    new_idempotency_key,
    page_router,
    see_other,
)
from app.web.session import flash
from app.web.words import name_of
from planner import Format

router = page_router()

# Launches on the list; a regency runs a few a year.
LAUNCHES = 100
# Saved plans to choose from when making a launch.
PLANS = 50
# Hubs on a launch's board (a national launch has one per regency: 514), and delegates on a
# hub's page and its check-in list (a hall seats a few hundred).
LIST_SIZE = 600
CHECKLIST = ("venue_confirmed", "screen_ready", "sound_ready", "power_ready", "rehearsal_done")
HUB_FIELDS = ("coordinator_id", "capacity")
DELEGATE_FIELDS = ("cooperative_id", "name", "role", "phone")
# How many check-ins (and walk-in counts) the phone sends at once: well under the API's 1,000
# and the request body limit.
CHECK_IN_BATCH = 500

# The attendance report's levels offered on the launch's page: a hub's and a district's.
REPORT_LEVELS = (BoardLevel.hub, BoardLevel.district)
COST_FIELDS = ("line", "quantity", "amount", "payer", "note")

Level = Annotated[BoardLevel, Query()]
Within = Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)]


def _page(size: int, total: bool = False) -> PageParams:
    return PageParams(page_size=size, cursor=None, total=total)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _mbps(text: str) -> float | str:
    """A speed as typed (`12,5` as an Indonesian writes it too) as the JSON number the API
    takes; anything else as typed, for the model to refuse by name."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _may(caller: Caller, permission: Permission) -> bool:
    return permission in caller.principal.permissions


def _may_change(caller: Caller, launch: Launch) -> bool:
    """Whether the caller may change the launch and its hubs, as `PATCH /api/v1/launches/{id}`
    allows: the office that runs it, with the right to write launches."""
    return _may(caller, Permission.launches_write) and runs_launch(caller, launch)


# --- the launches -----------------------------------------------------------------------------


def _new_launch_values() -> dict[str, str]:
    """The form's first values: a launch a week from now, 09.00 to 12.00 on the office's
    clock."""
    start = (office_now() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }


async def _launches_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = (await launches.list_launches(session, caller, codec, _page(LAUNCHES))).items
    context: dict[str, Any] = {
        "launches": found,
        "values": values,
        "errors": errors or {},
        "idempotency_key": new_idempotency_key(),
        "formats": list(Format),
        "hubs_of": {},
    }
    if caller.role is Role.coordinator:
        # A coordinator's start: the hubs given to them, each with its way to the check-in.
        context["hubs_of"] = {
            launch.id: (
                await launches.list_hubs(session, caller, launch.id, codec, _page(LIST_SIZE), None)
            ).items
            for launch in found
        }
    if _may(caller, Permission.launches_write):
        plans = await launch_plans.list_plans(session, caller, codec, _page(PLANS), None)
        context["plans"] = plans.items
    return render(request, "peluncuran.html", context, status_code=status_code)


@router.get("/peluncuran")
async def launches_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    rencana: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """`rencana`: the saved plan to run, chosen on its page."""
    values = {**_new_launch_values(), "plan_id": str(rencana or "")}
    return await _launches_page(request, session, caller, codec, values=values)


def _launch_input(form: FormData) -> LaunchCreate:
    """The form as `POST /api/v1/launches` takes it: the moments on the office's clock, blank
    boxes as nothing."""
    plan = _text(form, "plan_id")
    data: dict[str, Any] = {
        "plan_id": int(plan) if plan.isdigit() else plan,
        "format": _text(form, "format") or None,
        "name": _text(form, "name"),
        "starts_at": office_moment(_text(form, "starts_at")) or "",
        "ends_at": office_moment(_text(form, "ends_at")) or "",
        "meeting_url": _text(form, "meeting_url") or None,
        "stream_url": _text(form, "stream_url") or None,
        "hub_up_mbps": _mbps(_text(form, "hub_up_mbps")) if _text(form, "hub_up_mbps") else None,
    }
    return LaunchCreate.model_validate_json(json.dumps(data))


@router.post("/peluncuran")
async def create_launch(request: Request, codec: CursorCodecDep, writer: FormWriterDep) -> Response:
    form = await request.form()
    try:
        data = _launch_input(form)
        answer = await writer.once(201, launches.create_launch(writer, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _launches_page(
            request,
            writer.session,
            writer.caller,
            codec,
            values=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    created = json.loads(bytes(answer.body))
    flash(request, gettext("The launch has been created with the plan's hubs."))
    return see_other(f"/peluncuran/{created['id']}")


async def _launch_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    launch_id: int,
    within: str | None = None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The launch's page; after a refused change, with what was typed and the errors."""
    launch = await launches.get_launch(session, caller, launch_id)
    launch_row = await launches.visible_launch(session, caller, launch_id)
    hubs = (
        await launches.list_hubs(session, caller, launch_id, codec, _page(LIST_SIZE), within)
    ).items
    areas = await region_service.children(session, launch.region or None)
    may_change = _may_change(caller, launch_row)
    return render(
        request,
        "peluncuran_satu.html",
        {
            "launch": launch,
            "hubs": hubs,
            "areas": areas,
            "within": within or "",
            "counts": {status: sum(h.status is status for h in hubs) for status in HubStatus},
            "flagged": sum(h.flagged for h in hubs),
            "may_change": may_change,
            "etag": etag_of(launch) if may_change else "",
            "values": _launch_values(launch) if values is None and may_change else values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/peluncuran/{launch_id:int}")
async def launch_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    launch_id: RecordId,
    wilayah: Within = None,
) -> Response:
    """The launch and its readiness board; `wilayah` shows only the hubs within a region (a
    district). The office running it changes it here too."""
    return await _launch_page(request, session, caller, codec, launch_id, wilayah)


def _office_clock(moment: datetime) -> str:
    """A moment as a `datetime-local` box shows it, on the office's clock (`office_moment`
    reads it back); its seconds only when it has some, so that saving keeps it as it was."""
    local = moment.astimezone(office_now().tzinfo)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _speed(mbps: float | None) -> str:
    """A speed as the box shows it: every digit kept (`_mbps` reads it back exactly), the
    decimal comma on an Indonesian page."""
    if mbps is None:
        return ""
    text = str(int(mbps)) if mbps.is_integer() else str(mbps)
    return text.replace(".", ",") if current_locale() == "id" else text


def _launch_values(launch: LaunchPublic) -> dict[str, str]:
    """The change form's first values: the launch as it is."""
    return {
        "name": launch.name,
        "starts_at": _office_clock(launch.starts_at),
        "ends_at": _office_clock(launch.ends_at),
        "meeting_url": launch.meeting_url or "",
        "stream_url": launch.stream_url or "",
        "hub_down_mbps": _speed(launch.hub_down_mbps),
        "hub_up_mbps": _speed(launch.hub_up_mbps),
    }


def _launch_update_input(form: FormData) -> LaunchUpdate:
    """The form as `PATCH /api/v1/launches/{id}` takes it: every field sent, the moments on the
    office's clock; an empty link or upload box as null, which clears it (the name, the times
    and the download cannot be cleared: an empty box is refused by name)."""
    down, up = _text(form, "hub_down_mbps"), _text(form, "hub_up_mbps")
    data: dict[str, Any] = {
        "name": _text(form, "name"),
        "starts_at": office_moment(_text(form, "starts_at")),
        "ends_at": office_moment(_text(form, "ends_at")),
        "meeting_url": _text(form, "meeting_url") or None,
        "stream_url": _text(form, "stream_url") or None,
        "hub_down_mbps": _mbps(down) if down else None,
        "hub_up_mbps": _mbps(up) if up else None,
    }
    return LaunchUpdate.model_validate_json(json.dumps(data))


@router.post("/peluncuran/{launch_id:int}/ubah")
async def change_launch(
    request: Request, codec: CursorCodecDep, writer: WriterDep, launch_id: RecordId
) -> Response:
    """The office running the launch changes its name, times, links and the internet each hub
    needs (`PATCH /api/v1/launches/{id}`, with the ETag the page was drawn with)."""
    form = await request.form()
    try:
        data = _launch_update_input(form)
        await launches.update_launch(writer, launch_id, data, if_match=_etag(form))
    except (PreconditionFailed, PreconditionRequired):
        flash(request, gettext("Someone else changed this launch. Look at it again first."))
        return see_other(f"/peluncuran/{launch_id}")
    except (ValidationError, Invalid) as invalid:
        # The service set the values before it refused the window: not to be flushed now.
        await writer.session.rollback()
        return await _launch_page(
            request,
            writer.session,
            writer.caller,
            codec,
            launch_id,
            values=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    flash(request, gettext("The launch has been changed."))
    return see_other(f"/peluncuran/{launch_id}")


# --- the delegates from a file, and the attendance report -------------------------------------


@router.get("/peluncuran/{launch_id:int}/impor")
async def import_page(
    request: Request, session: SessionDep, caller: CallerDep, launch_id: RecordId
) -> Response:
    return await _import_page(request, session, caller, launch_id, None)


async def _import_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    launch_id: int,
    refused: AppError | None,
    status_code: int = 200,
) -> Response:
    launch = await launches.get_launch(session, caller, launch_id)
    return render(
        request,
        "peluncuran_impor.html",
        {
            "launch": launch,
            "refused": refused,
            "problems": (
                file_problems(refused, launch_registration_import.COLUMNS, _problem_words)
                if refused
                else []
            ),
        },
        status_code=status_code,
    )


def _problem_words(error: dict[str, Any]) -> str:
    """A file's problem in the page's language. A rule of the delegate's fields that pydantic
    itself checks (a role nobody has, a name too long) comes in pydantic's English, which no
    catalog holds: it is said as a form says it."""
    text = error["message"]
    if gettext(text) != text or error.get("type") in (None, "value_error", "missing"):
        return said(error, gettext)
    if error["type"] == "enum":
        options = ", ".join(re.findall(r"'([^']*)'", text))
        words = gettext("Use one of: %(options)s.") % {"options": options}
    else:
        limits = [int(digits) for digits in re.findall(r"\d+", text)]
        context = {"min_length": limits[0], "max_length": limits[0]} if limits else {}
        try:
            words = message({"type": error["type"], "ctx": context})
        except KeyError:
            words = gettext("Check this field.")
    if error.get("found") is not None:
        words += gettext(N_(" (found {found})")).format(found=repr(error["found"]))
    return words


@router.post(
    "/peluncuran/{launch_id:int}/impor",
    openapi_extra=max_body_bytes(launch_registration_import.MAX_REQUEST_BYTES),
)
async def import_delegates(request: Request, writer: WriterDep, launch_id: RecordId) -> Response:
    """The whole file or nothing (`POST /api/v1/launches/{id}/registrations/import`): a refused
    file is listed row by row, and nobody is registered."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid.field(["file", "file"], "choose the file of delegates to import")
        content = await upload.read(launch_registration_import.MAX_FILE_BYTES + 1)
        report = await launch_registration_import.import_registrations(
            writer,
            launch_id,
            content=content,
            file_name=upload.filename,
            content_type=upload.content_type,
        )
    except (Invalid, Conflict, ContentTooLarge, UnsupportedMediaType) as refused:
        return await _import_page(
            request,
            writer.session,
            writer.caller,
            launch_id,
            refused,
            status_code=refused.status_code,
        )
    flash(
        request,
        gettext("%(count)s delegates have been registered from %(file)s.")
        % {"count": report.registrations_created, "file": report.file_name},
    )
    return see_other(f"/peluncuran/{launch_id}")


@router.get("/peluncuran/{launch_id:int}/kehadiran")
async def attendance_download(
    session: SessionDep,
    caller: CallerDep,
    launch_id: RecordId,
    tingkat: Level = BoardLevel.hub,
    format: Annotated[ExportFormat, Query()] = ExportFormat.xlsx,
) -> Response:
    """The attendance report with Indonesian headers, as `GET …/attendance` makes it."""
    return await downloads.attendance(
        session, caller, launch_id, tingkat, format, HeaderLanguage.id
    )


# --- what it actually cost --------------------------------------------------------------------


async def _costs_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    launch_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    launch = await launches.get_launch(session, caller, launch_id)
    launch_row = await launches.visible_launch(session, caller, launch_id)
    costs = await launch_costs.plan_against_actual(session, caller, launch_id)
    return render(
        request,
        "peluncuran_biaya.html",
        {
            "launch": launch,
            "costs": costs,
            "may_enter": _may(caller, Permission.budget_write) and runs_launch(caller, launch_row),
            "values": values or {},
            "errors": errors or {},
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.get("/peluncuran/{launch_id:int}/biaya")
async def costs_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    launch_id: RecordId,
    baris: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:
    """The plan's lines beside what they cost; `baris`: the line the form starts on."""
    values = {"line": str(baris)} if baris is not None else {}
    return await _costs_page(request, session, caller, launch_id, values=values)


def _digits(text: str) -> str:
    """Rupiah as an Indonesian types them (`1.250.000`) as the whole number the API takes."""
    return text.replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})+", text) else text


def _cost_input(form: FormData) -> ActualCostIn:
    """The form as `POST /api/v1/launches/{id}/costs` takes it: a quantity typed with a comma
    as a JSON number, an empty payer as the plan's."""
    line, amount = _text(form, "line"), _digits(_text(form, "amount"))
    data: dict[str, Any] = {
        "line": int(line) if line.isdigit() else line,
        "quantity": _mbps(_text(form, "quantity")) if _text(form, "quantity") else None,
        "amount": int(amount) if amount.isdigit() else amount,
        "payer": _text(form, "payer") or None,
        "note": _text(form, "note") or None,
    }
    return ActualCostIn.model_validate_json(json.dumps(data))


@router.post("/peluncuran/{launch_id:int}/biaya")
async def enter_cost(request: Request, writer: FormWriterDep, launch_id: RecordId) -> Response:
    """What one line cost, entered (or corrected) by the office running the launch."""
    form = await request.form()
    try:
        data = _cost_input(form)
        answer = await writer.once(201, launch_costs.enter_actual(writer, launch_id, data))
    except (ValidationError, Invalid, Conflict, Forbidden) as invalid:
        return await _costs_page(
            request,
            writer.session,
            writer.caller,
            launch_id,
            values=dict(form),
            errors=field_errors(invalid),
            status_code=invalid.status_code if isinstance(invalid, Conflict | Forbidden) else 422,
        )
    entered = answer_of(answer)
    flash(
        request,
        gettext("The actual cost of line %(line)s has been entered.")
        % {"line": entered["line"] + 1},
    )
    return see_other(f"/peluncuran/{launch_id}/biaya")


@router.get("/peluncuran/{launch_id:int}/biaya/katalog")
async def catalog_download(session: SessionDep, caller: CallerDep, launch_id: RecordId) -> Response:
    """The planner's catalog with the prices this launch paid (`GET …/costs/catalog`)."""
    return await downloads.catalog_of_actuals(session, caller, launch_id)


# --- a hub ------------------------------------------------------------------------------------


async def _hub_page(
    request: Request,
    reader: Any,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    launch_id: int,
    hub_id: int,
    *,
    section: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The hub's page; after a refused form, `section` names it (`kesiapan`, `hub`, `delegasi`,
    or `ubah-delegasi` for a move or a cancellation), with what was typed and the errors."""
    launch = await launches.get_launch(session, caller, launch_id)
    hub = await launches.get_hub(session, caller, launch_id, hub_id)
    launch_row = await launches.visible_launch(session, caller, launch_id)
    registrations = await launch_registrations.list_registrations(
        session,
        caller,
        launch_id,
        codec,
        _page(LIST_SIZE, total=True),
        hub_id=hub_id,
        cooperative_id=None,
    )
    places = {
        code: (await region_service.get_region(session, code)).name
        for code in filter(None, (hub.region_code, hub.place_code))
    }
    need_down, need_up = launches.internet_needs(launch, hub)
    context: dict[str, Any] = {
        "launch": launch,
        "hub": hub,
        "places": places,
        "etag": etag_of(hub),
        "delegates": [(delegate, _qr(delegate.code)) for delegate in registrations.items],
        "delegates_total": registrations.total or 0,
        "may_ready": _may(caller, Permission.launch_hubs_ready)
        and (caller.role is Role.coordinator or runs_launch(caller, launch_row)),
        "may_change": _may_change(caller, launch_row),
        "may_register": _may(caller, Permission.launch_registrations_write),
        "section": section,
        "values": values or {},
        "errors": errors or {},
        "idempotency_key": new_idempotency_key(),
        "need_down": need_down,
        "need_up": need_up,
    }
    if context["may_change"]:
        context["coordinators"] = await launches.coordinator_choices(
            session, caller, launch_id, hub_id
        )
    if context["may_register"]:
        # Where a delegate may move: the launch's other hubs in this hub's province (all of a
        # regency's launch; a national launch's 514 would make each delegate's list too long).
        hubs = await launches.list_hubs(session, caller, launch_id, codec, _page(LIST_SIZE), None)
        province = hub.region_code.split(".")[0]
        context["move_to"] = [
            other
            for other in hubs.items
            if other.id != hub_id and other.region_code.split(".")[0] == province
        ]
        # The cooperatives whose delegates come here: those of the hub's region (a
        # cooperative's account: its own).
        region = None if caller.role is Role.cooperative else hub.region_code
        context["cooperatives"] = (
            await cooperatives.list_cooperatives(
                reader,
                caller,
                codec,
                _page(LIST_SIZE),
                filters=CooperativeFilters(region=region),
                sort=None,
                updated_since=None,
            )
        ).items
    return render(request, "peluncuran_hub.html", context, status_code=status_code)


@router.get("/peluncuran/{launch_id:int}/hub/{hub_id:int}")
async def hub_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    launch_id: RecordId,
    hub_id: RecordId,
) -> Response:
    return await _hub_page(request, reader, session, caller, codec, launch_id, hub_id)


def _readiness_input(form: FormData) -> ReadinessUpdate:
    """The checklist as ticked (each box sent, ticked or not), and an internet test when either
    speed is filled in: both go together, or the service says which is missing."""
    data: dict[str, Any] = {name: form.get(name) == "on" for name in CHECKLIST}
    for name in ("down_mbps", "up_mbps"):
        if _text(form, name):
            data[name] = _mbps(_text(form, name))
    return ReadinessUpdate.model_validate_json(json.dumps(data))


def _qr(code: str) -> Any:
    """The check-in code as the QR code the hub's phone scans (what the API's `…/qr` holds)."""
    return qr_code(code, gettext("QR code of the check-in code %(code)s") % {"code": code})


def _etag(form: FormData) -> str | None:
    etag = form.get("etag")
    return etag if isinstance(etag, str) else None


def _changed_meanwhile(request: Request, launch_id: int, hub_id: int) -> Response:
    flash(request, gettext("Someone else changed this hub. Look at it again first."))
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}")


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/kesiapan")
async def save_readiness(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: WriterDep,
    launch_id: RecordId,
    hub_id: RecordId,
) -> Response:
    """The hub's checklist, from its coordinator or the office running the launch."""
    form = await request.form()
    try:
        data = _readiness_input(form)
        hub = await launches.update_readiness(writer, launch_id, hub_id, data, if_match=_etag(form))
    except (PreconditionFailed, PreconditionRequired):
        return _changed_meanwhile(request, launch_id, hub_id)
    except (ValidationError, Invalid) as invalid:
        return await _form_refused(
            request, reader, writer, codec, launch_id, hub_id, "kesiapan", form, invalid
        )
    flash(request, _status_notice(hub))
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}")


async def _form_refused(
    request: Request,
    reader: Any,
    writer: Any,
    codec: CursorCodec,
    launch_id: int,
    hub_id: int,
    section: str,
    form: Any,
    refused: ValidationError | AppError,
) -> Response:
    """The hub's page again, with the refused form's `section` as it was typed and its errors."""
    return await _hub_page(
        request,
        reader,
        writer.session,
        writer.caller,
        codec,
        launch_id,
        hub_id,
        section=section,
        values=dict(form),
        errors=field_errors(refused),
        status_code=422,
    )


def _status_notice(hub: HubPublic) -> str:
    return gettext("The checklist has been saved. The hub is now: %(status)s.") % {
        "status": name_of(hub.status)
    }


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/ubah")
async def change_hub(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: WriterDep,
    launch_id: RecordId,
    hub_id: RecordId,
) -> Response:
    """The office sets the hub's coordinator and capacity."""
    form = await request.form()
    try:
        data = parse(HubUpdate, form, HUB_FIELDS)
        await launches.update_hub(writer, launch_id, hub_id, data, if_match=_etag(form))
    except (PreconditionFailed, PreconditionRequired):
        return _changed_meanwhile(request, launch_id, hub_id)
    except (ValidationError, Invalid) as invalid:
        return await _form_refused(
            request, reader, writer, codec, launch_id, hub_id, "hub", form, invalid
        )
    flash(request, gettext("The hub has been changed."))
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}")


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/delegasi")
async def register_delegate(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: FormWriterDep,
    launch_id: RecordId,
    hub_id: RecordId,
) -> Response:
    """Register a cooperative's delegate to this hub; the answer names their check-in code."""
    form = await request.form()
    try:
        values = {name: form.get(name) for name in DELEGATE_FIELDS} | {"hub_id": str(hub_id)}
        data = parse(RegistrationCreate, values, (*DELEGATE_FIELDS, "hub_id"))
        answer = await writer.once(201, launch_registrations.register(writer, launch_id, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _form_refused(
            request, reader, writer, codec, launch_id, hub_id, "delegasi", form, invalid
        )
    registered = json.loads(bytes(answer.body))
    flash(
        request,
        gettext("%(name)s has been registered. Check-in code: %(code)s.")
        % {"name": registered["name"], "code": registered["code"]},
    )
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}#delegasi")


def _registration_changed(request: Request, launch_id: int, hub_id: int) -> Response:
    flash(request, gettext("Someone else changed this delegate. Look at them again first."))
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}#delegasi")


async def _delegate_refused(
    request: Request,
    reader: Any,
    writer: Any,
    codec: CursorCodec,
    launch_id: int,
    hub_id: int,
    refused: ValidationError | AppError,
) -> Response:
    errors = field_errors(refused)
    return await _hub_page(
        request,
        reader,
        writer.session,
        writer.caller,
        codec,
        launch_id,
        hub_id,
        section="ubah-delegasi",
        errors={"": next(iter(errors.values()))} if errors else {},
        status_code=refused.status_code if isinstance(refused, AppError) else 422,
    )


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/delegasi/{registration_id:int}/pindah")
async def move_delegate(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: WriterDep,
    launch_id: RecordId,
    hub_id: RecordId,
    registration_id: RecordId,
) -> Response:
    """Move a delegate to another hub of the launch, which frees their seat here."""
    form = await request.form()
    try:
        data = parse(RegistrationUpdate, {"hub_id": form.get("hub_id")}, ("hub_id",))
        moved = await launch_registrations.update_registration(
            writer, launch_id, registration_id, data, if_match=_etag(form)
        )
    except (PreconditionFailed, PreconditionRequired):
        return _registration_changed(request, launch_id, hub_id)
    except (ValidationError, Invalid, Conflict) as refused:
        return await _delegate_refused(request, reader, writer, codec, launch_id, hub_id, refused)
    there = await launches.get_hub(writer.session, writer.caller, launch_id, moved.hub_id)
    flash(
        request,
        gettext("%(name)s has been moved to the hub %(hub)s.")
        % {"name": moved.name, "hub": there.name},
    )
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}#delegasi")


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/delegasi/{registration_id:int}/batal")
async def cancel_delegate(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: WriterDep,
    launch_id: RecordId,
    hub_id: RecordId,
    registration_id: RecordId,
) -> Response:
    """Cancel a delegate's registration, which frees their seat."""
    form = await request.form()
    try:
        await launch_registrations.cancel_registration(
            writer, launch_id, registration_id, if_match=_etag(form)
        )
    except (PreconditionFailed, PreconditionRequired):
        return _registration_changed(request, launch_id, hub_id)
    except (Invalid, Conflict) as refused:
        return await _delegate_refused(request, reader, writer, codec, launch_id, hub_id, refused)
    flash(request, gettext("The registration has been cancelled; the seat is free again."))
    return see_other(f"/peluncuran/{launch_id}/hub/{hub_id}#delegasi")


# --- check-in ---------------------------------------------------------------------------------


def _row_of(board: Board, hub_id: int) -> Any:
    return next((r for r in board.rows if r.key == str(hub_id)), board.totals)


@router.get("/peluncuran/{launch_id:int}/hub/{hub_id:int}/check-in")
async def check_in_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    launch_id: RecordId,
    hub_id: RecordId,
) -> Response:
    """The coordinator's phone: by code, by the list, or a walk-in, queued on the phone and
    sent when there is a signal."""
    launch = await launches.get_launch(session, caller, launch_id)
    hub = await launches.get_hub(session, caller, launch_id, hub_id)
    registrations = await launch_registrations.list_registrations(
        session,
        caller,
        launch_id,
        codec,
        _page(LIST_SIZE, total=True),
        hub_id=hub_id,
        cooperative_id=None,
    )
    board = await check_ins.board(session, caller, launch_id, BoardLevel.hub, hub.region_code)
    return render(
        request,
        "peluncuran_check_in.html",
        {
            "launch": launch,
            "hub": hub,
            "delegates": registrations.items,
            "delegates_total": registrations.total or 0,
            "figures": _row_of(board, hub_id),
            "batch": CHECK_IN_BATCH,
            "code_alphabet": CODE_ALPHABET,
            "code_length": CODE_LENGTH,
        },
    )


@router.post("/peluncuran/{launch_id:int}/hub/{hub_id:int}/check-in")
async def check_in(
    writer: WriterDep,
    live: LiveBoardDep,
    launch_id: RecordId,
    hub_id: RecordId,
    batch: CheckInBatch,
) -> CheckInAnswer:
    """What the page queued, as JSON with the page's CSRF token in `X-CSRF-Token`: the API's
    check-in, safe to send again."""
    return await check_ins.check_in(writer, live, launch_id, hub_id, batch)


# --- the live board ---------------------------------------------------------------------------


@router.get("/peluncuran/{launch_id:int}/papan")
async def board_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    launch_id: RecordId,
    tingkat: Level = BoardLevel.hub,
    wilayah: Within = None,
) -> Response:
    """Checked in against registered against planned, per hub or region; the page's script
    keeps it current through `…/papan/stream`."""
    launch = await launches.get_launch(session, caller, launch_id)
    board = await check_ins.board(session, caller, launch_id, tingkat, wilayah)
    query = f"tingkat={tingkat.value}" + (f"&wilayah={wilayah}" if wilayah else "")
    return render(
        request,
        "peluncuran_papan.html",
        {
            "launch": launch,
            "board": board,
            "level": tingkat,
            "levels": list(BoardLevel),
            "stream": f"/peluncuran/{launch_id}/papan/stream?{query}",
        },
    )


@router.get("/peluncuran/{launch_id:int}/papan/stream")
async def board_stream(
    request: Request,
    caller: CallerDep,
    live: LiveBoardDep,
    launch_id: RecordId,
    tingkat: Level = BoardLevel.hub,
    wilayah: Within = None,
) -> Response:
    """The board as Server-Sent Events, as `GET /api/v1/launches/{id}/board/stream` sends it,
    for the page's session. When it ends, the browser opens it again (and the login is
    checked again)."""
    state = request.app.state
    figures = await check_ins.watch_board(
        caller,
        launch_id,
        tingkat,
        wilayah,
        live=live,
        engine=state.engine,
        lasting=state.settings.board_stream_seconds,
    )
    return board_events(figures)
