"""Unduh: the office's lists as spreadsheets (CSV or XLSX, Indonesian headers) with the same
filters as the lists, from the API's own exports. The registry's download lives with the
registry (`/koperasi/unduh`); this page links to it."""

from datetime import date
from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from app.access.auth import CallerDep
from app.access.scope import caller_region
from app.core.clock import TodayDep
from app.core.db import SessionDep
from app.http.downloads import budget_summary, streamed
from app.models.cooperative import LegalStage
from app.models.mentoring import Channel, ConsultationFilters, TrainingFilters, TrainingStatus
from app.models.region import REGION_CODE_PATTERN
from app.services import exports, regions
from app.services.exports import ExportFormat, HeaderLanguage
from app.web.forms import Blank
from app.web.rendering import render
from app.web.routing import page_router

router = page_router()

RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN)]
FormatQuery = Annotated[ExportFormat, Query()]


class ConsultationsQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    wilayah: Blank[RegionCode] = None
    saluran: Blank[Channel] = None
    dari: Blank[date] = None
    sampai: Blank[date] = None

    def filters(self) -> ConsultationFilters:
        return ConsultationFilters.model_validate(
            {"region": self.wilayah, "channel": self.saluran, "from": self.dari, "to": self.sampai}
        )


class TrainingsQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    wilayah: Blank[RegionCode] = None
    status: Blank[TrainingStatus] = None

    def filters(self) -> TrainingFilters:
        return TrainingFilters(region=self.wilayah, status=self.status)


@router.get("/unduh")
async def downloads_page(
    request: Request, session: SessionDep, caller: CallerDep, today: TodayDep
) -> Response:
    return render(
        request,
        "unduh.html",
        {
            "areas": await regions.children(session, caller_region(caller)),
            "stages": list(LegalStage),
            "year": today.year,
        },
    )


@router.get("/unduh/konsultasi")
async def consultations_download(
    request: Request,
    caller: CallerDep,
    query: Annotated[ConsultationsQuery, Query()],
    format: FormatQuery = ExportFormat.xlsx,
) -> Response:
    return streamed(
        request,
        exports.consultations_export(caller, query.filters(), request.app.state.settings.timezone),
        exports.CONSULTATION_LAYOUT,
        format,
        HeaderLanguage.id,
        "konsultasi",
    )


@router.get("/unduh/pelatihan")
async def trainings_download(
    request: Request,
    caller: CallerDep,
    query: Annotated[TrainingsQuery, Query()],
    format: FormatQuery = ExportFormat.xlsx,
) -> Response:
    return streamed(
        request,
        exports.trainings_export(caller, query.filters()),
        exports.TRAINING_LAYOUT,
        format,
        HeaderLanguage.id,
        "pelatihan",
    )


@router.get("/unduh/anggaran")
async def budget_download(
    session: SessionDep,
    caller: CallerDep,
    tahun: Annotated[int, Query(ge=2000, le=2100)],
    format: FormatQuery = ExportFormat.xlsx,
) -> Response:
    """The budget summary of a fiscal year, in the layout offices already use."""
    return await budget_summary(session, caller, tahun, format)
