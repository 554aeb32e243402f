"""Spreadsheet exports of consultations and trainings, for the office's reports to the regent.

Columns can be headed in Indonesian (the default, as the reports go to the regent) or English.
Phone numbers are always masked: a spreadsheet travels further than the API.
"""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
from app.services import trainings as training_service
from app.services.consultations import ConsultationFilters

# An export is a report, not a backup: past this many rows, narrow the filters.
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


async def consultation_rows(
    session: AsyncSession, caller: Caller, filters: ConsultationFilters, timezone: str
) -> list[list[Any]]:
    query = consultation_service.list_query(caller, filters)
    await _check_size(session, query)
    consultations = list(await session.scalars(query.order_by(Consultation.id)))
    ids = [c.id for c in consultations]
    topics: dict[int, list[str]] = {}
    open_follow_ups: dict[int, int] = {}
    if ids:
        for consultation_id, topic in await session.execute(
            select(ConsultationTopic.consultation_id, ConsultationTopic.topic)
            .where(ConsultationTopic.consultation_id.in_(ids))
            .order_by(ConsultationTopic.topic)
        ):
            topics.setdefault(consultation_id, []).append(topic)
        open_follow_ups = dict(
            (
                await session.execute(
                    select(FollowUp.consultation_id, func.count())
                    .where(
                        FollowUp.consultation_id.in_(ids),
                        FollowUp.status == FollowUpStatus.open.value,
                    )
                    .group_by(FollowUp.consultation_id)
                )
            ).all()
        )
    names = await _names(
        session,
        regions={code for c in consultations for code in (c.village_code, c.district_code)},
        cooperatives={c.cooperative_id for c in consultations if c.cooperative_id},
        users={c.officer_id for c in consultations if c.officer_id},
    )
    zone = ZoneInfo(timezone)
    return [
        [
            c.id,
            _local(c.occurred_at, zone),
            c.status,
            c.channel,
            names["cooperatives"].get(c.cooperative_id, ""),
            names["regions"].get(c.village_code, c.village_code),
            names["regions"].get(c.district_code, c.district_code),
            c.contact_name or "",
            mask_phone(c.contact_phone) or "",
            names["users"].get(c.officer_id, ""),
            ", ".join(topics.get(c.id, [])),  # type: ignore[arg-type]
            ", ".join(c.business_units),
            c.summary or "",
            c.advice or "",
            open_follow_ups.get(c.id, 0),  # type: ignore[arg-type]
        ]
        for c in consultations
    ]


async def training_rows(session: AsyncSession, caller: Caller) -> list[list[Any]]:
    query = select(Training).where(*training_service.visible_to(caller))
    await _check_size(session, query)
    trainings = list(await session.scalars(query.order_by(Training.id)))
    ids = [t.id for t in trainings]
    seats = await _per_training(
        session, func.sum(TrainingInvitation.seats), TrainingInvitation, ids
    )
    attended = await _per_training(
        session, func.count(), TrainingAttendee, ids, TrainingAttendee.attended.is_(True)
    )
    names = await _names(session, regions={t.region_code for t in trainings})
    return [
        [
            t.id,
            t.title,
            t.status,
            names["regions"].get(t.region_code, t.region_code),
            t.venue or "",
            t.planned_start,
            t.planned_end,
            t.capacity,
            t.estimated_cost,
            t.budget_line_id,
            ", ".join(t.topics),
            "; ".join(t.modules),
            seats.get(t.id, 0),  # type: ignore[arg-type]
            attended.get(t.id, 0),  # type: ignore[arg-type]
        ]
        for t in trainings
    ]


async def _per_training(
    session: AsyncSession, aggregate: Any, table: Any, ids: list[int | None], *conditions: Any
) -> dict[int, int]:
    if not ids:
        return {}
    result = await session.execute(
        select(table.training_id, aggregate)
        .where(table.training_id.in_(ids), *conditions)
        .group_by(table.training_id)
    )
    return {training_id: int(total or 0) for training_id, total in result}


async def _check_size(session: AsyncSession, query: Any) -> None:
    count = await session.scalar(select(func.count()).select_from(query.subquery()))
    if count and count > MAX_ROWS:
        raise TooManyRows(f"{count} rows match; narrow the filters to at most {MAX_ROWS}")


async def _names(
    session: AsyncSession,
    *,
    regions: set[str] = frozenset(),  # type: ignore[assignment]
    cooperatives: set[int | None] = frozenset(),  # type: ignore[assignment]
    users: set[int | None] = frozenset(),  # type: ignore[assignment]
) -> dict[str, dict[Any, str]]:
    names: dict[str, dict[Any, str]] = {"regions": {}, "cooperatives": {}, "users": {}}
    for key, model, label, wanted in (
        ("regions", Region, Region.name, regions),
        ("cooperatives", Cooperative, Cooperative.name, cooperatives),
        ("users", UserAccount, UserAccount.username, users),
    ):
        if wanted:
            identity = Region.code if model is Region else model.id
            names[key] = dict(
                (await session.execute(select(identity, label).where(identity.in_(wanted)))).all()
            )
    return names


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def render(
    columns: Sequence[tuple[str, str]],
    rows: list[list[Any]],
    export_format: ExportFormat,
    language: HeaderLanguage,
    sheet: str,
) -> bytes:
    headers = [
        english if language is HeaderLanguage.en else indonesian for english, indonesian in columns
    ]
    if export_format is ExportFormat.csv:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(rows)
        # The byte-order mark makes Excel open the file as UTF-8.
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(headers)
    for row in rows:
        worksheet.append(row)
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
