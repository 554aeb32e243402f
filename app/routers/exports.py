from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.access.auth import CallerDep
from app.core.db import SessionDep
from app.errors import problems
from app.http import downloads
from app.http.downloads import MEDIA_TYPES, streamed
from app.http.json_bodies import StrictJSONRoute
from app.models.cooperative import CooperativeFilters
from app.models.mentoring import (
    ConsultationFilters,
    TrainingFilters,
)
from app.services import exports
from app.services.exports import ExportFormat, HeaderLanguage

router = APIRouter(prefix="/exports", tags=["exports"], route_class=StrictJSONRoute)

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


@router.get("/cooperatives", response_class=StreamingResponse, responses=FILE_RESPONSES)
async def export_cooperatives(
    request: Request,
    caller: CallerDep,
    filters: Annotated[CooperativeFilters, Query()],
    export_format: FormatQuery = ExportFormat.xlsx,
    headers: HeadersQuery = HeaderLanguage.id,
) -> StreamingResponse:
    """The cooperatives the list would show (the same filters), in village order, as CSV or
    XLSX, streamed: the whole country is one file. Phones are masked as the list masks them
    for your role. The Indonesian headers are the import's, so the file can be imported."""
    return streamed(
        request,
        exports.cooperatives_export(caller, filters),
        exports.COOPERATIVE_LAYOUT,
        export_format,
        headers,
        "koperasi",
    )


@router.get("/consultations", response_class=StreamingResponse, responses=FILE_RESPONSES)
async def export_consultations(
    request: Request,
    caller: CallerDep,
    filters: Annotated[ConsultationFilters, Query()],
    export_format: FormatQuery = ExportFormat.xlsx,
    headers: HeadersQuery = HeaderLanguage.id,
) -> StreamingResponse:
    """The consultations that the list would show, as CSV or XLSX, streamed. Phones are
    masked."""
    return streamed(
        request,
        exports.consultations_export(caller, filters, request.app.state.settings.timezone),
        exports.CONSULTATION_LAYOUT,
        export_format,
        headers,
        "konsultasi",
    )


@router.get("/trainings", response_class=StreamingResponse, responses=FILE_RESPONSES)
async def export_trainings(
    request: Request,
    caller: CallerDep,
    filters: Annotated[TrainingFilters, Query()],
    export_format: FormatQuery = ExportFormat.xlsx,
    headers: HeadersQuery = HeaderLanguage.id,
) -> StreamingResponse:
    """The trainings the list would show (the same filters), with their funding status, seats
    and attendance, streamed."""
    return streamed(
        request,
        exports.trainings_export(caller, filters),
        exports.TRAINING_LAYOUT,
        export_format,
        headers,
        "pelatihan",
    )


@router.get("/budget-summary", response_class=StreamingResponse, responses=FILE_RESPONSES)
async def export_budget_summary(
    session: SessionDep,
    caller: CallerDep,
    fiscal_year: Annotated[int, Query(ge=2000, le=2100)],
    export_format: FormatQuery = ExportFormat.xlsx,
) -> StreamingResponse:
    """The budget summary in the layout offices already use: No, Kode Sub Kegiatan, Kode
    Rekening, Uraian, ANGGARAN AWAL, PERGESERAN (+/-) (the net shift, signed), ANGGARAN AKHIR,
    Terikat (committed), Tersedia (available), and a final JUMLAH row with the totals. Amounts
    are integer rupiah: numeric cells in XLSX, plain digits in CSV."""
    return await downloads.budget_summary(session, caller, fiscal_year, export_format)
