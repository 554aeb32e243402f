"""Spreadsheet downloads, streamed: the API's exports and the web app's Unduh buttons answer
with the same file."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.auth import Caller
from app.core.db import stream_session
from app.models.launch import BoardLevel
from app.services import exports, launch_costs
from app.services.exports import ExportFormat, HeaderLanguage

MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(
    content: AsyncIterator[bytes], export_format: ExportFormat, name: str
) -> StreamingResponse:
    return StreamingResponse(
        content,
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{export_format.value}"'},
    )


def streamed(
    request: Request,
    export: tuple[Any, exports.ToRow],
    layout: exports.Layout,
    export_format: ExportFormat,
    headers: HeaderLanguage,
    name: str,
) -> StreamingResponse:
    """The rows of `export` (a query and how each result becomes a row), read on a connection
    of their own while the file is sent."""
    query, to_row = export
    rows = exports.partitions(stream_session(request), query, to_row)
    return attachment(exports.write(layout, rows, export_format, headers), export_format, name)


async def budget_summary(
    session: AsyncSession, caller: Caller, fiscal_year: int, export_format: ExportFormat
) -> StreamingResponse:
    """A fiscal year's budget summary, in the layout offices already use (written whole: a
    year has a few hundred lines at most)."""
    rows = await exports.budget_summary_rows(session, caller, fiscal_year)
    content = exports.write(
        exports.budget_summary_layout(fiscal_year),
        exports.at_once(rows),
        export_format,
        HeaderLanguage.id,
    )
    return attachment(content, export_format, f"anggaran-{fiscal_year}")


async def attendance(
    session: AsyncSession,
    caller: Caller,
    launch_id: int,
    level: BoardLevel,
    export_format: ExportFormat,
    headers: HeaderLanguage,
) -> StreamingResponse:
    """A launch's attendance per hub or region, with its totals (a few thousand rows at most:
    written whole)."""
    rows = await exports.attendance_rows(session, caller, launch_id, level)
    content = exports.write(
        exports.attendance_layout(level), exports.at_once(rows), export_format, headers
    )
    return attachment(content, export_format, f"kehadiran-peluncuran-{launch_id}-{level.value}")


async def catalog_of_actuals(session: AsyncSession, caller: Caller, launch_id: int) -> Response:
    """The planner's catalog with the prices the launch paid, as a TOML file."""
    text = await launch_costs.catalog_of_actuals(session, caller, launch_id)
    return Response(
        text,
        media_type="application/toml",
        headers={
            "Content-Disposition": f'attachment; filename="katalog-peluncuran-{launch_id}.toml"'
        },
    )
