"""Spreadsheet exports: the cooperatives registry, consultations and trainings for the office's
reports to the regent, and the budget summary.

Columns can be headed in Indonesian (the default, as the reports go to the regent) or English.
Consultation phone numbers are always masked (a spreadsheet travels further than the API);
a cooperative's contact phone is masked as the API masks it for the caller's role.

The registry, consultations and trainings stream: rows come from a server-side cursor a
partition at a time and leave as CSV text, or through openpyxl's write-only workbook, so memory
stays flat for the whole country.
"""

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth import Caller
from app.models.account import UserAccount
from app.models.common import mask_phone
from app.models.cooperative import Cooperative
from app.models.mentoring import (
    Consultation,
    ConsultationTopic,
    FollowUp,
    FollowUpStatus,
    Training,
    TrainingAttendee,
    TrainingInvitation,
)
from app.models.region import Region
from app.services import budget as budget_service
from app.services import consultations as consultation_service
from app.services import cooperatives as cooperative_service
from app.services import trainings as training_service
from app.services.consultations import ConsultationFilters
from app.services.cooperatives import CooperativeFilters

# The budget summary is built in memory (its layout merges cells): past this many lines,
# narrow it down. The other exports stream and have no limit.
MAX_ROWS = 50_000


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class HeaderLanguage(StrEnum):
    id = "id"
    en = "en"


CONSULTATION_COLUMNS = [
    ("id", "ID"),
    ("occurred_at", "Waktu"),
    ("status", "Status"),
    ("channel", "Kanal"),
    ("cooperative", "Koperasi"),
    ("village", "Desa/Kelurahan"),
    ("district", "Kecamatan"),
    ("contact", "Kontak"),
    ("phone", "Telepon"),
    ("officer", "Petugas"),
    ("topics", "Topik"),
    ("business_units", "Unit usaha"),
    ("summary", "Ringkasan"),
    ("advice", "Saran"),
    ("open_follow_ups", "Tindak lanjut terbuka"),
]
TRAINING_COLUMNS = [
    ("id", "ID"),
    ("title", "Judul"),
    ("status", "Status pendanaan"),
    ("region", "Wilayah"),
    ("venue", "Tempat"),
    ("planned_start", "Mulai"),
    ("planned_end", "Selesai"),
    ("capacity", "Kapasitas"),
    ("estimated_cost", "Perkiraan biaya (Rp)"),
    ("budget_line_id", "Sub-kegiatan/DPA"),
    ("topics", "Topik"),
    ("modules", "Modul"),
    ("seats_invited", "Kursi diundang"),
    ("attended", "Hadir"),
]


class TooManyRows(Exception):
    pass


COOPERATIVE_COLUMNS = [
    # The Indonesian headers are the import's (app/services/cooperative_import.py), so an
    # export can be corrected and imported elsewhere.
    ("id", "ID"),
    ("name", "Nama Koperasi"),
    ("village_code", "Kode Desa"),
    ("village", "Desa/Kelurahan"),
    ("kind", "Jenis"),
    ("district", "Kecamatan"),
    ("regency", "Kabupaten/Kota"),
    ("province", "Provinsi"),
    ("legal_stage", "Tahap Legalitas"),
    ("is_joint", "Koperasi Bersama"),
    ("is_active", "Aktif"),
    ("business_units", "Unit Usaha"),
    ("business_units_other", "Unit Usaha Lainnya"),
    ("members_male", "Anggota Laki-laki"),
    ("members_female", "Anggota Perempuan"),
    ("last_rat_year", "Tahun RAT Terakhir"),
    ("contact_phone", "Telepon"),
    ("akta_number", "Nomor Akta"),
    ("akta_date", "Tanggal Akta"),
    ("notary_name", "Notaris"),
    ("sk_ahu_number", "Nomor SK AHU"),
    ("sk_ahu_date", "Tanggal SK AHU"),
    ("nik_koperasi", "NIK Koperasi"),
    ("nib", "NIB"),
    ("npwp", "NPWP"),
    ("is_demo", "Demo"),
]

# Rows fetched from the server-side cursor, and written, per round.
PARTITION_ROWS = 1_000
FILE_CHUNK_BYTES = 256 * 1024
ToRow = Callable[[Any], list[Any]]


def _region_name(column: Any) -> Any:
    return select(Region.name).where(Region.code == column).scalar_subquery()


def _yes_no(flag: bool) -> str:
    return "ya" if flag else "tidak"


def cooperatives_export(caller: Caller, filters: CooperativeFilters) -> tuple[Any, ToRow]:
    """The query for the cooperatives the list would show, in village order, and how each
    result row becomes a spreadsheet row (phones masked as the caller's role requires)."""
    columns = Cooperative.__table__.c
    query = (
        select(
            *columns,
            cooperative_service.BUSINESS_UNITS,
            *(
                _region_name(column).label(label)
                for label, column in (
                    ("village", columns.village_code),
                    ("district", columns.district_code),
                    ("regency", columns.regency_code),
                    ("province", columns.province_code),
                )
            ),
        )
        .where(
            *cooperative_service.filter_conditions(filters), *cooperative_service.visible_to(caller)
        )
        .order_by(columns.village_code, columns.id)
    )
    mask = caller.role in cooperative_service.PHONE_MASKED_ROLES

    def to_row(row: Any) -> list[Any]:
        units = row.business_units
        return [
            row.id,
            row.name,
            row.village_code,
            row.village or "",
            row.kind,
            row.district or "",
            row.regency or "",
            row.province or "",
            row.legal_stage,
            _yes_no(row.is_joint),
            _yes_no(row.is_active),
            ", ".join(sorted(units.split(","))) if units else "",
            row.business_units_other or "",
            row.members_male,
            row.members_female,
            row.last_rat_year,
            (mask_phone(row.contact_phone) if mask else row.contact_phone) or "",
            row.akta_number or "",
            row.akta_date,
            row.notary_name or "",
            row.sk_ahu_number or "",
            row.sk_ahu_date,
            row.nik_koperasi or "",
            row.nib or "",
            row.npwp or "",
            _yes_no(row.is_demo),
        ]

    return query, to_row


def consultations_export(
    caller: Caller, filters: ConsultationFilters, timezone: str
) -> tuple[Any, ToRow]:
    """Consultations in id order with their names, topics and open follow-ups, all in one
    query (so that a stream needs no lookups). Phones are always masked."""
    columns = Consultation.__table__.c
    topics = (
        select(func.aggregate_strings(ConsultationTopic.topic, ","))
        .where(ConsultationTopic.consultation_id == columns.id)
        .scalar_subquery()
    )
    open_follow_ups = (
        select(func.count())
        .where(
            FollowUp.consultation_id == columns.id,
            FollowUp.status == FollowUpStatus.open.value,
        )
        .scalar_subquery()
    )
    query = (
        consultation_service.list_query(caller, filters)
        .with_only_columns(
            *columns,
            topics.label("topics"),
            open_follow_ups.label("open_follow_ups"),
            select(Cooperative.name)
            .where(Cooperative.id == columns.cooperative_id)
            .scalar_subquery()
            .label("cooperative"),
            _region_name(columns.village_code).label("village"),
            _region_name(columns.district_code).label("district"),
            select(UserAccount.username)
            .where(UserAccount.id == columns.officer_id)
            .scalar_subquery()
            .label("officer"),
        )
        .order_by(columns.id)
    )
    zone = ZoneInfo(timezone)

    def to_row(row: Any) -> list[Any]:
        return [
            row.id,
            _local(row.occurred_at, zone),
            row.status,
            row.channel,
            row.cooperative or "",
            row.village or row.village_code,
            row.district or row.district_code,
            row.contact_name or "",
            mask_phone(row.contact_phone) or "",
            row.officer or "",
            ", ".join(sorted(row.topics.split(","))) if row.topics else "",
            ", ".join(row.business_units or []),
            row.summary or "",
            row.advice or "",
            row.open_follow_ups,
        ]

    return query, to_row


def trainings_export(caller: Caller) -> tuple[Any, ToRow]:
    columns = Training.__table__.c
    seats = (
        select(func.coalesce(func.sum(TrainingInvitation.seats), 0))
        .where(TrainingInvitation.training_id == columns.id)
        .scalar_subquery()
    )
    attended = (
        select(func.count())
        .where(TrainingAttendee.training_id == columns.id, TrainingAttendee.attended.is_(True))
        .scalar_subquery()
    )
    query = (
        select(
            *columns,
            seats.label("seats_invited"),
            attended.label("attended"),
            _region_name(columns.region_code).label("region"),
        )
        .where(*training_service.visible_to(caller))
        .order_by(columns.id)
    )

    def to_row(row: Any) -> list[Any]:
        return [
            row.id,
            row.title,
            row.status,
            row.region or row.region_code,
            row.venue or "",
            row.planned_start,
            row.planned_end,
            row.capacity,
            row.estimated_cost,
            row.budget_line_id,
            ", ".join(row.topics or []),
            "; ".join(row.modules or []),
            int(row.seats_invited),
            row.attended,
        ]

    return query, to_row


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    try:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # stored before dates were bounded, too near the end of year 9999
        return moment.strftime("%Y-%m-%d %H:%M UTC")


async def _partitions(engine: AsyncEngine, query: Any, to_row: ToRow) -> AsyncIterator[list[Any]]:
    """The query's rows from a server-side cursor, PARTITION_ROWS at a time, on a connection
    of the stream's own (the request's session may be gone while the response streams)."""
    async with AsyncSession(engine) as session:
        result = await session.stream(query.execution_options(yield_per=PARTITION_ROWS))
        async for partition in result.partitions():
            yield [to_row(row) for row in partition]


async def stream(
    engine: AsyncEngine,
    columns: Sequence[tuple[str, str]],
    query: Any,
    to_row: ToRow,
    export_format: ExportFormat,
    language: HeaderLanguage,
    sheet: str,
) -> AsyncIterator[bytes]:
    """The file, as it is written: memory stays flat whatever the number of rows. An XLSX is
    written by openpyxl's write-only mode to a temporary file, then streamed from it."""
    headers = [
        english if language is HeaderLanguage.en else indonesian for english, indonesian in columns
    ]
    if export_format is ExportFormat.csv:
        # The byte-order mark makes Excel open the file as UTF-8.
        yield ("\ufeff" + _csv_text([headers])).encode("utf-8")
        async for rows in _partitions(engine, query, to_row):
            yield _csv_text(rows).encode("utf-8")
        return
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(headers)
    async for rows in _partitions(engine, query, to_row):
        # Writing cells is CPU work: keep it off the event loop.
        await asyncio.to_thread(_append, worksheet, rows)
    with tempfile.TemporaryFile() as file:
        await asyncio.to_thread(workbook.save, file)
        file.seek(0)
        while chunk := await asyncio.to_thread(file.read, FILE_CHUNK_BYTES):
            yield chunk


def _csv_text(rows: list[list[Any]]) -> str:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue()


def _append(worksheet: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        worksheet.append(row)


def render(
    columns: Sequence[tuple[str, str]],
    rows: list[list[Any]],
    export_format: ExportFormat,
    language: HeaderLanguage,
    sheet: str,
) -> bytes:
    """A small export built in memory (the budget summary's CSV)."""
    headers = [
        english if language is HeaderLanguage.en else indonesian for english, indonesian in columns
    ]
    if export_format is ExportFormat.csv:
        return ("\ufeff" + _csv_text([headers, *rows])).encode("utf-8")
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(headers)
    _append(worksheet, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- budget summary (ANGGARAN AWAL / PERGESERAN (+/-) / ANGGARAN AKHIR) ------------------------

BUDGET_SUMMARY_HEADERS = [
    "No",
    "Kode Sub Kegiatan",
    "Kode Rekening",
    "Uraian",
    "ANGGARAN AWAL",
    "PERGESERAN (+/-)",
    "ANGGARAN AKHIR",
    "Terikat",
    "Tersedia",
]
_MONEY_FROM_COLUMN = 5  # 1-based: ANGGARAN AWAL onwards are integer rupiah
# A cell starting with one of these is taken as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def budget_summary_rows(
    session: AsyncSession, caller: Caller, fiscal_year: int
) -> list[list[Any]]:
    """One row per line in the office's layout, then the JUMLAH row with the totals.
    PERGESERAN (+/-) is the net shift: moved in minus moved out, signed."""
    summary = await budget_service.summary(session, caller, fiscal_year)
    if len(summary.lines) > MAX_ROWS:
        raise TooManyRows(f"{len(summary.lines)} lines; at most {MAX_ROWS} can be exported")

    def amounts(line: Any) -> list[int]:
        return [
            line.original_ceiling,
            line.shifted_in - line.shifted_out,
            line.current_ceiling,
            line.committed,
            line.available,
        ]

    rows: list[list[Any]] = [
        [number, line.sub_kegiatan_code, line.kode_rekening, line.name, *amounts(line)]
        for number, line in enumerate(summary.lines, start=1)
    ]
    rows.append(["JUMLAH", "", "", "", *amounts(summary.totals)])
    return rows


def render_budget_summary(rows: list[list[Any]], export_format: ExportFormat, sheet: str) -> bytes:
    """CSV through `render` (amounts as plain digits; a name that a spreadsheet would run as a
    formula gets a leading apostrophe), or an XLSX with numeric, thousands-formatted amounts,
    every text cell stored as text, and the JUMLAH row in bold."""
    columns = [(header, header) for header in BUDGET_SUMMARY_HEADERS]
    if export_format is ExportFormat.csv:
        safe = [
            [
                "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS) else cell
                for cell in row
            ]
            for row in rows
        ]
        return render(columns, safe, export_format, HeaderLanguage.id, sheet)
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    bold = Font(bold=True)
    for column, header in enumerate(BUDGET_SUMMARY_HEADERS, start=1):
        worksheet.cell(row=1, column=column, value=header).font = bold
    for row_number, row in enumerate(rows, start=2):
        is_total = row_number == len(rows) + 1
        for column, value in enumerate(row, start=1):
            cell = worksheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell.value = value
            if column >= _MONEY_FROM_COLUMN:
                cell.number_format = "#,##0;-#,##0"
            if is_total:
                cell.font = bold
        if is_total:
            worksheet.merge_cells(
                start_row=row_number, start_column=1, end_row=row_number, end_column=4
            )
    worksheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (6, 20, 20, 50, 18, 18, 18, 18, 18), strict=True):
        worksheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
