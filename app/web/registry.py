"""Koperasi: the registry, a cooperative's page, its legal milestones, its record's edit form
and the audited reading of an officer's full NIK. Each handler calls the API's services."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.access.auth import Caller, CallerDep
from app.access.permissions import Permission
from app.access.scope import caller_region
from app.access.security import NikCipherDep
from app.core.clock import TodayDep
from app.core.db import ReaderDep, SessionDep
from app.errors import Conflict, Invalid, NotFound, PreconditionFailed
from app.http.conditional import etag_of, no_store
from app.http.downloads import streamed
from app.http.idempotency import WriterDep
from app.http.pagination import CursorCodec, CursorCodecDep, PageParams
from app.models.account import Role
from app.models.cooperative import (
    BusinessUnit,
    CooperativeFilters,
    CooperativePublic,
    CooperativeUpdate,
    LegalEventCreate,
    LegalEventRecorded,
    LegalStage,
)
from app.models.mentoring import ConsultationFilters, TrainingFilters
from app.models.region import REGION_CODE_PATTERN, RegionPublic
from app.routers.params import RecordId
from app.services import consultations, cooperatives, exports, legal, officers, regions, trainings
from app.services.cooperatives import COOPERATIVE_EDITABLE
from app.services.exports import ExportFormat, HeaderLanguage
from app.web.forms import Blank, field_errors, form_values, parse
from app.web.i18n import gettext
from app.web.rendering import render
from app.web.routing import FormWriterDep, new_idempotency_key, page_router, see_other
from app.web.session import flash

router = page_router()

REGISTRY_PAGE_SIZE = 25
SECTION_SIZE = 50  # officers, consultations and trainings on a cooperative's page
# The edit form's fields, in its order; a cooperative's own account gets only those it may
# change (COOPERATIVE_EDITABLE).
RECORD_FIELDS = (
    "name",
    "members_male",
    "members_female",
    "is_active",
    "last_rat_year",
    "contact_phone",
    "business_units",
    "business_units_other",
    "akta_number",
    "akta_date",
    "notary_name",
    "sk_ahu_number",
    "sk_ahu_date",
    "nik_koperasi",
    "nib",
    "npwp",
)
MILESTONE_FIELDS = ("milestone", "occurred_on", "document_number", "note")

RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN)]


class RegistryQuery(BaseModel):
    """The registry's filters as its form sends them: an unchosen select is an empty value."""

    model_config = ConfigDict(frozen=True)

    wilayah: Blank[RegionCode] = None
    desa: Blank[RegionCode] = None
    tahap: Blank[LegalStage] = None
    unit: Blank[BusinessUnit] = None
    q: Blank[Annotated[str, Field(max_length=100)]] = None

    def filters(self) -> CooperativeFilters:
        return CooperativeFilters(
            region=self.desa or self.wilayah,
            legal_stage=self.tahap,
            business_unit=self.unit,
            q=self.q.strip() if self.q else None,
        )


RegistryQueryDep = Annotated[RegistryQuery, Query()]


@router.get("/koperasi")
async def registry(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    query: RegistryQueryDep,
    halaman: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """`halaman`: the cursor of the page to show."""
    page = PageParams(page_size=REGISTRY_PAGE_SIZE, cursor=halaman, total=True)
    found = await cooperatives.list_cooperatives(
        reader, caller, codec, page, filters=query.filters(), sort=None, updated_since=None
    )
    areas = await regions.children(session, caller_region(caller))
    district = query.wilayah if query.wilayah and len(query.wilayah) == 8 else None
    villages = await regions.children(session, district) if district else []
    return render(
        request,
        "koperasi.html",
        {
            "found": found,
            "query": query,
            "areas": areas,
            "villages": villages,
            "chosen_area": await _chosen(session, query.wilayah, areas),
            "filter_query": _query_string(query),
        },
    )


async def _chosen(
    session: AsyncSession, code: str | None, areas: list[RegionPublic]
) -> RegionPublic | None:
    """The chosen area when a link named one deeper than the select lists (a regency, from the
    national table), so that the select can still show it."""
    if not code or any(area.code == code for area in areas):
        return None
    try:
        return await regions.get_region(session, code)
    except NotFound:  # lists nothing, and the select shows no choice
        return None


def _query_string(query: RegistryQuery) -> str:
    return urlencode({k: v for k, v in query.model_dump(mode="json").items() if v})


@router.get("/koperasi/unduh")
async def registry_download(
    request: Request,
    caller: CallerDep,
    query: RegistryQueryDep,
    format: Annotated[ExportFormat, Query()] = ExportFormat.xlsx,
) -> Response:
    """The registry as the filters show it, as the API's export (Indonesian headers)."""
    return streamed(
        request,
        exports.cooperatives_export(caller, query.filters()),
        exports.COOPERATIVE_LAYOUT,
        format,
        HeaderLanguage.id,
        "koperasi",
    )


async def _cooperative_page(
    request: Request,
    reader: ReaderDep,
    session: AsyncSession,
    caller: Caller,
    codec: CursorCodec,
    today: Any,
    cooperative_id: int,
    *,
    milestone: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The cooperative's page: each section the caller's role may read, and the milestone
    form (with what was typed and its errors, when it comes back)."""
    cooperative = await cooperatives.get_cooperative(reader, caller, cooperative_id)
    permissions = caller.principal.permissions
    first = PageParams(page_size=SECTION_SIZE, cursor=None, total=True)
    context: dict[str, Any] = {
        "cooperative": cooperative,
        "place": await regions.get_region(session, cooperative.village_code),
        "history": await legal.legal_history(session, caller, cooperative_id),
        "milestone": milestone or {},
        "errors": errors or {},
        "idempotency_key": new_idempotency_key(),
        "today": today,
    }
    if Permission.officers_read in permissions:
        context["officers"] = await officers.list_officers(
            session, caller, codec, first, cooperative_id, None
        )
    if Permission.consultations_read in permissions:
        context["consultations"] = await consultations.list_consultations(
            session,
            caller,
            codec,
            first,
            ConsultationFilters(cooperative_id=cooperative_id),
            today,
            None,
        )
    if Permission.trainings_read in permissions:
        context["trainings"] = await trainings.list_trainings(
            session, caller, codec, first, TrainingFilters(cooperative_id=cooperative_id), None
        )
    return render(request, "koperasi_satu.html", context, status_code=status_code)


@router.get("/koperasi/{cooperative_id:int}")
async def cooperative_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    caller: CallerDep,
    codec: CursorCodecDep,
    today: TodayDep,
    cooperative_id: RecordId,
) -> Response:
    return await _cooperative_page(request, reader, session, caller, codec, today, cooperative_id)


@router.post("/koperasi/{cooperative_id:int}/tahapan")
async def record_milestone(
    request: Request,
    reader: ReaderDep,
    codec: CursorCodecDep,
    today: TodayDep,
    writer: FormWriterDep,
    cooperative_id: RecordId,
) -> Response:
    form = await request.form()
    try:
        event = parse(LegalEventCreate, form, MILESTONE_FIELDS)
        answer = await writer.once(201, legal.record_legal_event(writer, cooperative_id, event))
    except (ValidationError, Invalid, Conflict) as invalid:
        return await _cooperative_page(
            request,
            reader,
            writer.session,
            writer.caller,
            codec,
            today,
            cooperative_id,
            milestone=dict(form),
            errors=field_errors(invalid),
            status_code=422,
        )
    recorded = LegalEventRecorded.model_validate_json(bytes(answer.body))
    flash(request, gettext("The milestone has been recorded."))
    for warning in recorded.warnings:
        flash(request, gettext(warning))
    return see_other(f"/koperasi/{cooperative_id}#tahapan")


@router.get("/koperasi/{cooperative_id:int}/ubah")
async def edit_page(
    request: Request, reader: ReaderDep, caller: CallerDep, cooperative_id: RecordId
) -> Response:
    cooperative = await cooperatives.get_cooperative(reader, caller, cooperative_id)
    return _edit_form(request, caller, cooperative, cooperative.model_dump(mode="json"))


def _edit_form(
    request: Request,
    caller: Caller,
    cooperative: CooperativePublic,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    theirs: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The edit form with `values` in its fields, and the ETag of `cooperative`, the version
    the form changes. `theirs`: what someone else saved meanwhile, shown beside each field."""
    return render(
        request,
        "koperasi_ubah.html",
        {
            "cooperative": cooperative,
            "fields": _editable(caller),
            "values": values,
            "etag": etag_of(cooperative),
            "errors": errors or {},
            "theirs": theirs or {},
        },
        status_code=status_code,
    )


def _editable(caller: Caller) -> tuple[str, ...]:
    if caller.role is not Role.cooperative:
        return RECORD_FIELDS
    return tuple(name for name in RECORD_FIELDS if name in COOPERATIVE_EDITABLE)


@router.post("/koperasi/{cooperative_id:int}/ubah")
async def save_record(
    request: Request, reader: ReaderDep, writer: WriterDep, cooperative_id: RecordId
) -> Response:
    form = await request.form()
    caller = writer.caller
    fields = _editable(caller)
    etag = form.get("etag")
    try:
        patch = parse(CooperativeUpdate, form, fields)
        await cooperatives.update_cooperative(
            writer, cooperative_id, patch, if_match=etag if isinstance(etag, str) else None
        )
    except (ValidationError, Invalid) as invalid:
        await writer.session.rollback()
        cooperative = await cooperatives.get_cooperative(reader, caller, cooperative_id)
        typed = form_values(CooperativeUpdate, form, fields)
        return _edit_form(
            request, caller, cooperative, typed, errors=field_errors(invalid), status_code=422
        )
    except PreconditionFailed:
        # Someone saved first: show their values beside what this user typed, and take the
        # form again against their version, so that saving now is a deliberate overwrite.
        await writer.session.rollback()
        current = await cooperatives.get_cooperative(reader, caller, cooperative_id)
        typed = form_values(CooperativeUpdate, form, fields)
        saved = current.model_dump(mode="json")
        theirs = {name: saved[name] for name in fields if saved.get(name) != typed.get(name)}
        return _edit_form(request, caller, current, typed, theirs=theirs, status_code=409)
    flash(request, gettext("The changes have been saved."))
    return see_other(f"/koperasi/{cooperative_id}")


@router.get("/koperasi/{cooperative_id:int}/pengurus/{officer_id:int}/nik")
async def nik_confirmation(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    cooperative_id: RecordId,
    officer_id: RecordId,
) -> Response:
    """Asks first: every full NIK read is recorded in the audit trail, and counted."""
    officer = await officers.get_officer(session, caller, cooperative_id, officer_id)
    return render(request, "nik.html", {"officer": officer, "nik": None})


@router.post("/koperasi/{cooperative_id:int}/pengurus/{officer_id:int}/nik")
async def reveal_nik(
    request: Request,
    writer: WriterDep,
    cipher: NikCipherDep,
    cooperative_id: RecordId,
    officer_id: RecordId,
) -> Response:
    officer = await officers.get_officer(writer.session, writer.caller, cooperative_id, officer_id)
    limit = request.app.state.nik_read_limit
    read = await officers.read_officer_nik(writer, cipher, limit, cooperative_id, officer_id)
    page = render(request, "nik.html", {"officer": officer, "nik": read.nik})
    no_store(page)
    return page
