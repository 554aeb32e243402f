"""Pelatihan: the trainings board by funding status, a training's page with the steps allowed
from its status, its invitations, the attendance tick list for a phone, and the printable
attendance sheet (daftar hadir). Each handler calls the API's services."""

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from app.access.auth import Caller, CallerDep
from app.access.permissions import Permission
from app.access.scope import caller_region
from app.core.clock import TodayDep
from app.core.db import ReaderDep, SessionDep
from app.errors import Conflict, Invalid, NotFound, PreconditionFailed, PreconditionRequired
from app.http.conditional import etag_of
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.cooperative import CooperativeFilters, OfficerRole
from app.models.mentoring import (
    AttendanceCreate,
    AttendeeCreate,
    InvitationCreate,
    TrainingCreate,
    TrainingFilters,
    TrainingPublic,
    TrainingStatus,
    TrainingUpdate,
    TransitionCreate,
)
from app.models.region import REGION_CODE_PATTERN
from app.routers.params import RecordId
from app.services import budget, cooperatives, officers, regions, roster, trainings
from app.web.forms import field_errors, parse
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import FormWriterDep, new_idempotency_key, page_router, see_other
from app.web.session import flash
from app.web.words import name_of

router = page_router()

# The board shows each status's trainings a page at a time; a regency has a few dozen a year.
BOARD_SIZE = 100
# Invitations and attendees on one training's page; a training's capacity is at most 100,000,
# but a hall's is a few hundred.
LIST_SIZE = 500
TRAINING_FIELDS = (
    "title",
    "topics",
    "venue",
    "region_code",
    "planned_start",
    "planned_end",
    "capacity",
    "estimated_cost",
    "budget_line_id",
)
STEP_FIELDS = ("to", "occurred_on", "note")
INVITATION_FIELDS = ("cooperative_id", "person_name", "seats")
# Ticks from the same row carry the same key: a retry after a dropped connection, or a second
# tick, is the same request and records the person once (app.http.idempotency).
_TICKS = uuid.UUID("6f1d7c52-9a43-4e8e-a0c5-2f4b7b0d3e11")


@dataclass(frozen=True)
class Expected:
    """A row of the attendance list: who is expected, and whether they have been recorded."""

    name: str
    role: str | None
    cooperative_id: int | None
    cooperative: str | None
    recorded: bool

    @property
    def value(self) -> str:
        """The row as its checkbox sends it."""
        return json.dumps([self.cooperative_id, self.name, self.role])

    def key(self, training_id: int) -> str:
        return str(uuid.uuid5(_TICKS, f"{training_id}:{self.value}"))

    @property
    def position(self) -> str | None:
        """The role in the page's words: a board member's by its code, anyone else's as typed."""
        if self.role in set(OfficerRole):
            return name_of(OfficerRole(self.role))
        return self.role


@router.get("/pelatihan")
async def board(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    wilayah: Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)] = None,
) -> Response:
    """The trainings of the caller's region by funding status; `wilayah` narrows the region."""
    page = PageParams(page_size=BOARD_SIZE, cursor=None, total=True)
    columns = {
        status: await trainings.list_trainings(
            session, caller, codec, page, TrainingFilters(status=status, region=wilayah), None
        )
        for status in TrainingStatus
    }
    return render(request, "pelatihan.html", {"columns": columns})


@router.get("/pelatihan/baru")
async def new_training_page(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    return await _new_training_form(request, session, caller, {}, {})


async def _new_training_form(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    own = caller_region(caller)
    areas = await regions.children(session, own)
    return render(
        request,
        "pelatihan_baru.html",
        {
            "own_region": own,
            "values": values,
            "errors": errors,
            "areas": areas,
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.post("/pelatihan/baru")
async def create_training(request: Request, writer: FormWriterDep) -> Response:
    form = await request.form()
    try:
        data = parse(TrainingCreate, form, TRAINING_FIELDS)
        answer = await writer.once(201, trainings.create_training(writer, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _new_training_form(
            request,
            writer.session,
            writer.caller,
            {**dict(form), "topics": form.getlist("topics")},
            field_errors(invalid),
            status_code=422,
        )
    created = json.loads(bytes(answer.body))
    flash(request, gettext("The training has been created. It waits for budget."))
    return see_other(f"/pelatihan/{created['id']}")


async def _expected(
    session: AsyncSession, reader: Any, caller: Caller, codec: CursorCodec, training_id: int
) -> list[Expected]:
    """Who is expected, in the order of the invitations: each named person, and the board and
    supervisors of each invited cooperative; then anyone recorded who was not invited."""
    page = PageParams(page_size=LIST_SIZE, cursor=None, total=False)
    invited = (await roster.list_invitations(session, caller, codec, page, training_id)).items
    attended = (await roster.list_attendance(session, caller, codec, page, training_id)).items
    recorded = {(a.name.casefold(), a.cooperative_id) for a in attended if a.attended}
    rows: list[Expected] = []
    for invitation in invited:
        people: list[tuple[str, str | None]]
        if invitation.person_name:
            people = [(invitation.person_name, None)]
            cooperative_name = None
        else:
            assert invitation.cooperative_id is not None  # one or the other
            cooperative = await cooperatives.get_cooperative(
                reader, caller, invitation.cooperative_id
            )
            cooperative_name = cooperative.name
            board_members = await officers.list_officers(
                session, caller, codec, page, invitation.cooperative_id, None
            )
            people = [(o.name, o.role.value) for o in board_members.items]
        for name, role in people:
            rows.append(
                Expected(
                    name=name,
                    role=role,
                    cooperative_id=invitation.cooperative_id,
                    cooperative=cooperative_name,
                    recorded=(name.casefold(), invitation.cooperative_id) in recorded,
                )
            )
    listed = {(row.name.casefold(), row.cooperative_id) for row in rows}
    for attendee in attended:
        if (attendee.name.casefold(), attendee.cooperative_id) not in listed:
            rows.append(
                Expected(
                    name=attendee.name,
                    role=attendee.role,
                    cooperative_id=attendee.cooperative_id,
                    cooperative=None,
                    recorded=attendee.attended,
                )
            )
    return rows


async def _training_page(
    request: Request,
    reader: Any,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    today: date,
    training_id: int,
    *,
    step: dict[str, Any] | None = None,
    invitation: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    training = await trainings.get_training(session, caller, training_id)
    page = PageParams(page_size=LIST_SIZE, cursor=None, total=False)
    permissions = caller.principal.permissions
    context: dict[str, Any] = {
        "training": training,
        "place": await regions.get_region(session, training.region_code),
        "etag": etag_of(training),
        "expected": await _expected(session, reader, caller, codec, training_id),
        "step": step or {},
        "invitation": invitation or {},
        "errors": errors or {},
        "idempotency_key": new_idempotency_key(),
        "today": today,
    }
    if Permission.trainings_write in permissions:
        if Permission.budget_read in permissions and TrainingStatus.funded in (
            training.allowed_transitions
        ):
            context["lines"] = (
                await budget.list_lines(session, caller, codec, page, fiscal_year=None)
            ).items
        context["invitable"] = (
            await cooperatives.list_cooperatives(
                reader,
                caller,
                codec,
                page,
                filters=CooperativeFilters(region=training.region_code[:5]),
                sort=None,
                updated_since=None,
            )
        ).items
    return render(request, "pelatihan_satu.html", context, status_code=status_code)


@router.get("/pelatihan/{training_id:int}")
async def training_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    today: TodayDep,
    training_id: RecordId,
) -> Response:
    return await _training_page(request, reader, session, caller, codec, today, training_id)


async def _set_before_step(
    writer: Any, training: TrainingPublic, form: Any, etag: str | None
) -> None:
    """What a step needs on the training first, as its form gives it: the funding line before
    funding, the planned dates before scheduling. Unchanged values are left alone, so that a
    form sent twice changes nothing the second time."""
    fields = {
        TrainingStatus.funded.value: ("budget_line_id",),
        TrainingStatus.scheduled.value: ("planned_start", "planned_end"),
    }.get(str(form.get("to")), ())
    given = {name: form.get(name) for name in fields if form.get(name)}
    current = training.model_dump(mode="json")
    if all(str(current.get(name)) == value for name, value in given.items()):
        return
    patch = parse(TrainingUpdate, form, tuple(given))
    await trainings.update_training(writer, training.id, patch, if_match=etag)


@router.post("/pelatihan/{training_id:int}/langkah")
async def take_step(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    today: TodayDep,
    writer: FormWriterDep,
    training_id: RecordId,
) -> Response:
    form = await request.form()
    etag = form.get("etag")
    try:
        training = await trainings.get_training(writer.session, writer.caller, training_id)
        await _set_before_step(writer, training, form, etag if isinstance(etag, str) else None)
        data = parse(TransitionCreate, form, STEP_FIELDS)
        await writer.once(201, trainings.transition(writer, training_id, data))
    except (PreconditionFailed, PreconditionRequired):
        flash(request, gettext("Someone else changed this training. Look at it again first."))
        return see_other(f"/pelatihan/{training_id}")
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _training_page(
            request,
            reader,
            writer.session,
            writer.caller,
            codec,
            today,
            training_id,
            step=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    flash(request, gettext("The training's status has been changed."))
    return see_other(f"/pelatihan/{training_id}")


@router.post("/pelatihan/{training_id:int}/undangan")
async def invite(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    today: TodayDep,
    writer: FormWriterDep,
    training_id: RecordId,
) -> Response:
    form = await request.form()
    try:
        data = parse(InvitationCreate, form, INVITATION_FIELDS)
        await writer.once(201, roster.invite(writer, training_id, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _training_page(
            request,
            reader,
            writer.session,
            writer.caller,
            codec,
            today,
            training_id,
            invitation=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    flash(request, gettext("The invitation has been recorded."))
    return see_other(f"/pelatihan/{training_id}#undangan")


def _attendee(value: str) -> AttendeeCreate:
    """A tick's row, as its checkbox sent it (`Expected.value`)."""
    try:
        cooperative_id, name, role = json.loads(value)
    except (ValueError, TypeError) as bad:
        raise Invalid.field(["form", "hadir"], "not a row of this attendance list") from bad
    return AttendeeCreate.model_validate(
        {"name": name, "role": role, "cooperative_id": cooperative_id}
    )


@router.post("/pelatihan/{training_id:int}/hadir")
async def tick(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    writer: FormWriterDep,
    training_id: RecordId,
) -> Response:
    """Record who is present. The page's script sends one tick at a time and retries it with
    the same key until it is saved; without the script the form sends every ticked row, and
    those already recorded are left out."""
    form = await request.form()
    one_tick = request.headers.get("X-Kopdes-Tick") == "1"
    try:
        ticked = [_attendee(v) for v in form.getlist("hadir") if isinstance(v, str)]
        expected = await _expected(writer.session, reader, writer.caller, codec, training_id)
        recorded = {(r.name.casefold(), r.cooperative_id) for r in expected if r.recorded}
        new = [a for a in ticked if (a.name.casefold(), a.cooperative_id) not in recorded]
        if new:
            await writer.once(
                201,
                roster.record_attendance(writer, training_id, AttendanceCreate(attendees=new)),
            )
    except (ValidationError, Invalid, Conflict, NotFound) as refused:
        message = next(iter(field_errors(refused).values()), gettext("Check this field."))
        if one_tick:
            return JSONResponse({"saved": False, "message": message}, status_code=409)
        flash(request, message)
        return see_other(f"/pelatihan/{training_id}/hadir")
    if one_tick:
        return JSONResponse({"saved": True})
    flash(request, gettext("The attendance has been saved."))
    return see_other(f"/pelatihan/{training_id}/hadir")


@router.get("/pelatihan/{training_id:int}/hadir")
async def attendance_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    training_id: RecordId,
) -> Response:
    training = await trainings.get_training(session, caller, training_id)
    expected = await _expected(session, reader, caller, codec, training_id)
    return render(
        request,
        "pelatihan_hadir.html",
        {
            "training": training,
            "rows": [(row, row.key(training_id)) for row in expected],
            "idempotency_key": new_idempotency_key(),
        },
    )


@router.get("/pelatihan/{training_id:int}/daftar-hadir")
async def attendance_sheet(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    training_id: RecordId,
) -> Response:
    """The sheet people sign on the day, printed on A4 with the office's header."""
    training = await trainings.get_training(session, caller, training_id)
    place = await regions.get_region(session, training.region_code)
    # The office whose training it is: the regency (or province) above its venue.
    office = next((a for a in place.ancestors if len(a.code) == 5), None) or place
    return render(
        request,
        "daftar_hadir.html",
        {
            "training": training,
            "place": place,
            "office": office,
            "rows": await _expected(session, reader, caller, codec, training_id),
        },
    )
