from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth import CallerDep
from app.db import SessionDep
from app.errors import Invalid, problems
from app.models.common import QueryDate
from app.models.mentoring import Channel, ConsultationStatus, Topic
from app.models.region import REGION_CODE_PATTERN
from app.routers.consultations import IdQuery, OfficerQuery, officer_filter
from app.services import exports
from app.services.consultations import ConsultationFilters
from app.services.exports import ExportFormat, HeaderLanguage

router = APIRouter(prefix="/exports", tags=["exports"])

MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES = {
    200: {
        "description": "The spreadsheet, as an attachment.",
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
    },
    **problems(422),
}
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="`csv` or `xlsx`.")]
HeadersQuery = Annotated[
    HeaderLanguage, Query(description="Column headers in Indonesian (`id`) or English (`en`).")
]


def _attachment(content: bytes, export_format: ExportFormat, name: str) -> Response:
    return Response(
        content,
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{export_format.value}"'},
    )


@router.get("/consultations", response_class=Response, responses=FILE_RESPONSES)
async def export_consultations(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    export_format: FormatQuery = ExportFormat.xlsx,
    headers: HeadersQuery = HeaderLanguage.id,
    cooperative_id: IdQuery = None,
    region: Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)] = None,
    channel: Channel | None = None,
    topic: Topic | None = None,
    officer: OfficerQuery = None,
    status: ConsultationStatus | None = None,
    date_from: Annotated[QueryDate | None, Query(alias="from")] = None,
    date_to: Annotated[QueryDate | None, Query(alias="to")] = None,
) -> Response:
    """The consultations that the list would show, as CSV or XLSX. Phones are masked."""
    filters = ConsultationFilters(
        cooperative_id=cooperative_id,
        region=region,
        channel=channel,
        topic=topic,
        officer_id=officer_filter(caller, officer),
        status=status,
        date_from=date_from,
        date_to=date_to,
    )
    try:
        rows = await exports.consultation_rows(
            session, caller, filters, request.app.state.settings.timezone
        )
    except exports.TooManyRows as exc:
        raise Invalid(str(exc)) from None
    content = exports.render(
        exports.CONSULTATION_COLUMNS, rows, export_format, headers, "Konsultasi"
    )
    return _attachment(content, export_format, "konsultasi")


@router.get("/trainings", response_class=Response, responses=FILE_RESPONSES)
async def export_trainings(
    session: SessionDep,
    caller: CallerDep,
    export_format: FormatQuery = ExportFormat.xlsx,
    headers: HeadersQuery = HeaderLanguage.id,
) -> Response:
    """Every training you can see, with its funding status, seats and attendance."""
    try:
        rows = await exports.training_rows(session, caller)
    except exports.TooManyRows as exc:
        raise Invalid(str(exc)) from None
    content = exports.render(exports.TRAINING_COLUMNS, rows, export_format, headers, "Pelatihan")
    return _attachment(content, export_format, "pelatihan")


@router.get("/budget-summary", response_class=Response, responses=FILE_RESPONSES)
async def export_budget_summary(
    session: SessionDep,
    caller: CallerDep,
    fiscal_year: Annotated[int, Query(ge=2000, le=2100)],
    export_format: FormatQuery = ExportFormat.xlsx,
) -> Response:
    """The budget summary in the layout offices already use: No, Kode Sub Kegiatan, Kode
    Rekening, Uraian, ANGGARAN AWAL, PERGESERAN (+/-) (the net shift, signed), ANGGARAN AKHIR,
    Terikat (committed), Tersedia (available), and a final JUMLAH row with the totals. Amounts
    are integer rupiah: numeric cells in XLSX, plain digits in CSV."""
    try:
        rows = await exports.budget_summary_rows(session, caller, fiscal_year)
    except exports.TooManyRows as exc:
        raise Invalid(str(exc)) from None
    content = exports.render_budget_summary(rows, export_format, f"Anggaran {fiscal_year}")
    return _attachment(content, export_format, f"anggaran-{fiscal_year}")
