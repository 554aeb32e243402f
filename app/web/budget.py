"""Anggaran: the office's budget lines with what each holds, the DPA import, and refocusings
(pergeseran) from draft through submission, approval by another person and applying, to
their reversal. Each handler calls the API's services; every money form carries an
idempotency key, so a double click or a resend has one effect."""

import json
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.permissions import Permission
from app.access.scope import caller_region
from app.core.clock import TodayDep, office_today
from app.core.db import SessionDep
from app.core.spreadsheets import ContentTooLarge, said
from app.errors import N_, AppError, Conflict, Forbidden, Invalid, UnsupportedMediaType
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.budget import (
    BudgetLineCreate,
    BudgetLinePublic,
    DocumentType,
    MovementIn,
    RefocusingCreate,
    RefocusingPublic,
    RefocusingStatus,
    ReversalCreate,
)
from app.models.mentoring import TrainingFilters, TrainingStatus
from app.routers.params import RecordId
from app.services import budget, budget_import, refocusings, regions, trainings
from app.services.budget_import import MAX_FILE_BYTES
from app.web.forms import field_errors, file_problems, form_values, parse
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import FormWriterDep, answer_of, new_idempotency_key, page_router, see_other
from app.web.session import flash

router = page_router()

LINE_FIELDS = (
    "fiscal_year",
    "region_code",
    "skpd",
    "sub_kegiatan_code",
    "sub_kegiatan_name",
    "kode_rekening",
    "name",
    "original_ceiling",
)
DOCUMENT_FIELDS = ("reason", "legal_basis", "document_type", "document_number", "document_date")
MOVEMENT_FIELDS = ("from_line_id", "to_line_id", "amount")
# Rows of movements a new refocusing's form offers; the API takes up to 100, an office's
# refocusing moves money among a handful of lines.
MOVEMENT_ROWS = 5
REFOCUSINGS_PAGE_SIZE = 25
# The trainings a refocusing can name, and the lines a year holds: a regency has a few dozen.
CHOICES = PageParams(page_size=200, cursor=None, total=False)
# A step's path, the service that takes it, and what the page says once it is taken.
STEPS = {
    "ajukan": (refocusings.submit, N_("The refocusing has been submitted for approval.")),
    "setujui": (refocusings.approve, N_("The refocusing has been approved.")),
    "terapkan": (refocusings.apply, N_("The refocusing has been applied: the money has moved.")),
}


async def _fiscal_year(
    session: AsyncSession, caller: Caller, today: date, asked: int | None
) -> int:
    """The year asked for; else this year if it has lines, else the latest year that has."""
    if asked is not None:
        return asked
    years = await budget.fiscal_years(session, caller)
    return max((year for year in years if year <= today.year), default=today.year)


@router.get("/anggaran")
async def lines_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    today: TodayDep,
    tahun: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    year = await _fiscal_year(session, caller, today, tahun)
    return await _lines_page(request, session, caller, year, {"fiscal_year": year}, {})


async def _lines_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    year: int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    years = sorted({*await budget.fiscal_years(session, caller), year}, reverse=True)
    own = caller_region(caller)
    return render(
        request,
        "anggaran.html",
        {
            "year": year,
            "years": years,
            "summary": await budget.summary(session, caller, year),
            "own_region": own,
            "areas": await regions.children(session, own),
            "values": values,
            "errors": errors,
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.post("/anggaran")
async def add_line(request: Request, today: TodayDep, writer: FormWriterDep) -> Response:
    form = await request.form()
    try:
        data = parse(BudgetLineCreate, form, LINE_FIELDS)
        await writer.once(201, budget.create_line(writer, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _lines_page(
            request,
            writer.session,
            writer.caller,
            _year_given(form, today),
            dict(form),
            field_errors(invalid),
            status_code=invalid.status_code if isinstance(invalid, Conflict) else 422,
        )
    flash(request, gettext("The budget line has been added."))
    return see_other(f"/anggaran?tahun={data.fiscal_year}")


def _year_given(form: FormData, today: date) -> int:
    """The form's fiscal year to show the page of again, if it is one; else this year."""
    year = form.get("fiscal_year")
    if isinstance(year, str) and year.isdigit() and 2000 <= int(year) <= 2100:
        return int(year)
    return today.year


@router.get("/anggaran/impor")
async def import_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    return await _import_page(request, session, caller, {}, None)


async def _import_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    values: dict[str, Any],
    refused: AppError | None,
    status_code: int = 200,
) -> Response:
    own = caller_region(caller)
    return render(
        request,
        "anggaran_impor.html",
        {
            "values": values,
            "refused": refused,
            "problems": (
                file_problems(refused, budget_import.COLUMNS, lambda e: said(e, gettext))
                if refused
                else []
            ),
            "own_region": own,
            "areas": await regions.children(session, own),
            "idempotency_key": new_idempotency_key(),
        },
        status_code=status_code,
    )


@router.post("/anggaran/impor")
async def import_lines(request: Request, writer: FormWriterDep) -> Response:
    """The whole file or nothing: a refused file is listed row by row, and nothing is kept."""
    form = await request.form()
    values = {name: form.get(name) or "" for name in ("fiscal_year", "region_code")}
    upload = form.get("file")
    try:
        year = values["fiscal_year"]
        fiscal_year = int(year) if isinstance(year, str) and year.isdigit() else None
        if year and fiscal_year is None:
            raise Invalid.field(["query", "fiscal_year"], "give the fiscal year as four digits")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid.field(["file", "file"], "choose the DPA file to import")
        content = await upload.read(MAX_FILE_BYTES + 1)
        answer = await writer.once(
            201,
            budget_import.import_lines(
                writer,
                content=content,
                file_name=upload.filename,
                content_type=upload.content_type,
                fiscal_year=fiscal_year,
                region_code=str(values["region_code"]) or None,
            ),
        )
    except (Invalid, Conflict, ContentTooLarge, UnsupportedMediaType) as refused:
        return await _import_page(
            request, writer.session, writer.caller, values, refused, status_code=refused.status_code
        )
    report = answer_of(answer)
    flash(
        request,
        gettext("%(count)s budget lines have been imported from %(file)s.")
        % {"count": report["lines_created"], "file": report["file_name"]},
    )
    return see_other(f"/anggaran?tahun={fiscal_year}" if fiscal_year else "/anggaran")


@router.get("/pergeseran")
async def refocusings_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    tahun: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: RefocusingStatus | None = None,
    halaman: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """`halaman`: the cursor of the page to show."""
    page = PageParams(page_size=REFOCUSINGS_PAGE_SIZE, cursor=halaman, total=True)
    found = await refocusings.list_refocusings(session, caller, codec, page, tahun, status)
    filters = {"tahun": tahun or "", "status": status.value if status else ""}
    return render(
        request,
        "pergeseran.html",
        {
            "found": found,
            "filters": filters,
            "years": await budget.fiscal_years(session, caller),
            "statuses": list(RefocusingStatus),
        },
    )


@router.get("/pergeseran/baru")
async def new_refocusing_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    today: TodayDep,
    tahun: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    year = await _fiscal_year(session, caller, today, tahun)
    return await _new_refocusing_page(request, session, caller, codec, year, {}, {})


async def _new_refocusing_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    year: int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    own = caller_region(caller)
    waiting = await trainings.list_trainings(
        session,
        caller,
        codec,
        CHOICES,
        TrainingFilters(status=TrainingStatus.waiting_for_budget),
        None,
    )
    return render(
        request,
        "pergeseran_baru.html",
        {
            "year": year,
            "lines": (await budget.summary(session, caller, year)).lines,
            "own_region": own,
            "areas": await regions.children(session, own),
            "waiting": waiting.items,
            "rows": range(MOVEMENT_ROWS),
            "document_types": list(DocumentType),
            "values": values,
            "errors": errors,
            "idempotency_key": new_idempotency_key(),
            "today": await office_today(request),
        },
        status_code=status_code,
    )


def _movements(form: FormData) -> tuple[list[dict[str, Any]], list[int]]:
    """The form's movement rows that have anything in them, as the API takes them, and the
    number of each on the form."""
    movements, rows = [], []
    for index in range(MOVEMENT_ROWS):
        row = {name: form.get(f"movements.{index}.{name}") for name in MOVEMENT_FIELDS}
        if any(isinstance(value, str) and value.strip() for value in row.values()):
            movements.append(form_values(MovementIn, row, MOVEMENT_FIELDS))
            rows.append(index)
    return movements, rows


@router.post("/pergeseran/baru")
async def create_refocusing(
    request: Request, codec: CursorCodecDep, today: TodayDep, writer: FormWriterDep
) -> Response:
    form = await request.form()
    movements, rows = _movements(form)
    body = {
        **form_values(RefocusingCreate, form, ("fiscal_year", "region_code", *DOCUMENT_FIELDS)),
        "movements": movements,
        "unblocks_training_ids": [
            int(v) for v in form.getlist("trainings") if isinstance(v, str) and v.isdigit()
        ],
    }
    try:
        data = RefocusingCreate.model_validate_json(json.dumps(body))
        answer = await writer.once(201, refocusings.create_refocusing(writer, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        values = {**dict(form), "trainings": form.getlist("trainings")}
        return await _new_refocusing_page(
            request,
            writer.session,
            writer.caller,
            codec,
            _year_given(form, today),
            values,
            _at_form_rows(field_errors(invalid), rows),
            status_code=422,
        )
    flash(request, gettext("The refocusing has been saved as a draft."))
    return see_other(f"/pergeseran/{answer_of(answer)['id']}")


def _at_form_rows(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    """The movements' errors at the form's own rows: the API numbers only the rows sent, and
    the form's blank rows are not sent."""
    placed = {}
    for name, message in errors.items():
        part = name.split(".")
        if part[0] == "movements" and len(part) == 3 and part[1].isdigit():
            name = f"movements.{rows[int(part[1])]}.{part[2]}"
        placed[name] = message
    return placed


async def _refocusing_page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    refocusing_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    refocusing = await refocusings.get_refocusing(session, caller, refocusing_id)
    line_ids = {m.from_line_id for m in refocusing.movements} | {
        m.to_line_id for m in refocusing.movements
    }
    lines = {line_id: await budget.get_line(session, caller, line_id) for line_id in line_ids}
    return render(
        request,
        "pergeseran_satu.html",
        {
            "refocusing": refocusing,
            "lines": lines,
            "after": _after(refocusing, lines),
            "unblocked": await refocusings.trainings_it_unblocks(session, caller, refocusing),
            "steps": _steps(caller, refocusing),
            "part_taken": refocusings.part_taken(caller, refocusing),
            "document_types": list(DocumentType),
            "values": values or {},
            "errors": errors or {},
            "idempotency_key": new_idempotency_key(),
            "today": await office_today(request),
        },
        status_code=status_code,
    )


def _after(refocusing: RefocusingPublic, lines: dict[int, BudgetLinePublic]) -> dict[int, int]:
    """Each line's available amount once the refocusing is applied (as it is, if it is)."""
    after = {line_id: line.available for line_id, line in lines.items()}
    if refocusing.status != RefocusingStatus.applied:
        for movement in refocusing.movements:
            after[movement.from_line_id] -= movement.amount
            after[movement.to_line_id] += movement.amount
    return after


def _steps(caller: Caller, refocusing: RefocusingPublic) -> list[str]:
    """The steps this caller may take now: the status's next one, if the role allows it, and
    the approval only for someone who neither drafted nor submitted it."""
    permissions = caller.principal.permissions
    if refocusing.status == RefocusingStatus.draft and Permission.budget_write in permissions:
        return ["ajukan"]
    if (
        refocusing.status == RefocusingStatus.submitted
        and Permission.budget_approve in permissions
        and refocusings.part_taken(caller, refocusing) is None
    ):
        return ["setujui"]
    if refocusing.status == RefocusingStatus.approved and Permission.budget_write in permissions:
        return ["terapkan"]
    if (
        refocusing.status == RefocusingStatus.applied
        and refocusing.reversed_by_id is None
        and Permission.budget_write in permissions
    ):
        return ["balik"]
    return []


@router.get("/pergeseran/{refocusing_id:int}")
async def refocusing_page(
    request: Request, session: SessionDep, caller: CallerDep, refocusing_id: RecordId
) -> Response:
    return await _refocusing_page(request, session, caller, refocusing_id)


async def _take_step(request: Request, writer: Any, refocusing_id: int, step: str) -> Response:
    service, done = STEPS[step]
    try:
        await writer.once(200, service(writer, refocusing_id))
    except (Conflict, Forbidden, Invalid) as refused:
        return await _refocusing_page(
            request,
            writer.session,
            writer.caller,
            refocusing_id,
            errors={"": refused.said(gettext)},
            status_code=refused.status_code,
        )
    flash(request, gettext(done))
    return see_other(f"/pergeseran/{refocusing_id}")


@router.post("/pergeseran/{refocusing_id:int}/ajukan")
async def submit(request: Request, writer: FormWriterDep, refocusing_id: RecordId) -> Response:
    return await _take_step(request, writer, refocusing_id, "ajukan")


@router.post("/pergeseran/{refocusing_id:int}/setujui")
async def approve(request: Request, writer: FormWriterDep, refocusing_id: RecordId) -> Response:
    return await _take_step(request, writer, refocusing_id, "setujui")


@router.post("/pergeseran/{refocusing_id:int}/terapkan")
async def apply(request: Request, writer: FormWriterDep, refocusing_id: RecordId) -> Response:
    return await _take_step(request, writer, refocusing_id, "terapkan")


@router.post("/pergeseran/{refocusing_id:int}/balik")
async def reverse(request: Request, writer: FormWriterDep, refocusing_id: RecordId) -> Response:
    """Draft the reversal of an applied refocusing, which then goes through the same steps."""
    form = await request.form()
    try:
        data = parse(ReversalCreate, form, DOCUMENT_FIELDS)
        answer = await writer.once(201, refocusings.reverse(writer, refocusing_id, data))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _refocusing_page(
            request,
            writer.session,
            writer.caller,
            refocusing_id,
            values=dict(form),
            errors=field_errors(invalid),
            status_code=409 if isinstance(invalid, Conflict) else 422,
        )
    flash(
        request, gettext("The reversal has been saved as a draft; it goes through the same steps.")
    )
    return see_other(f"/pergeseran/{answer_of(answer)['id']}")
