"""Spreadsheet exports: the cooperatives registry, consultations and trainings for the office's
reports to the regent, the budget summary, and a launch's attendance.

Columns can be headed in Indonesian (the default, as the reports go to the regent) or English.
Consultation phone numbers are always masked (a spreadsheet travels further than the API);
a cooperative's contact phone is masked as the API masks it for the caller's role.

The registry, consultations and trainings stream: rows come from a server-side cursor a
partition at a time and leave as CSV text, or through openpyxl's write-only workbook, so memory
stays flat for the whole country.

Every export, the budget summary too, is written by `write`, and every text cell goes through
`safe_text`: a spreadsheet program must never run what a user typed as a formula (an officer of
one cooperative could otherwise plant `=HYPERLINK(...)` in the office's registry export), and
one stored character that a workbook cannot hold must not break the office's whole export.
"""

import csv
import io
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.auth import Caller
from app.errors import Invalid
from app.models.account import UserAccount
from app.models.common import UNPRINTABLE, mask_phone, table_of
from app.models.cooperative import Cooperative, CooperativeFilters
from app.models.launch import BoardLevel, BoardRow
from app.models.mentoring import (
    Consultation,
    ConsultationFilters,
    ConsultationTopic,
    FollowUp,
    FollowUpStatus,
    Training,
    TrainingAttendee,
    TrainingFilters,
    TrainingInvitation,
)
from app.models.region import Region
from app.services import budget as budget_service
from app.services import check_ins
from app.services import consultations as consultation_service
from app.services import cooperatives as cooperative_service
from app.services import trainings as training_service

# The budget summary is computed in memory: past this many lines, narrow it down. The other
# exports stream and have no limit.
MAX_ROWS = 50_000


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class HeaderLanguage(StrEnum):
    id = "id"
    en = "en"


@dataclass(frozen=True)
class Layout:
    """An export's sheet, besides its rows."""

    columns: Sequence[tuple[str, str]]  # (English, Indonesian) headers
    sheet: str
    # XLSX only: column widths in characters, and the first column (from 0) of integer rupiah,
    # shown with thousands separators.
    widths: Sequence[int] = ()
    money_from: int | None = None


class BoldRow(list[Any]):
    """A row set in bold in a workbook: the headers, and the budget summary's totals."""


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
COOPERATIVE_LAYOUT = Layout(COOPERATIVE_COLUMNS, "Koperasi")
CONSULTATION_LAYOUT = Layout(CONSULTATION_COLUMNS, "Konsultasi")
TRAINING_LAYOUT = Layout(TRAINING_COLUMNS, "Pelatihan")

# Rows fetched from the server-side cursor, and written, per round.
PARTITION_ROWS = 1_000
FILE_CHUNK_BYTES = 256 * 1024
ToRow = Callable[[Any], list[Any]]


def _region_name(column: Any) -> Any:
    return select(col(Region.name)).where(col(Region.code) == column).scalar_subquery()


def _yes_no(flag: bool) -> str:
    return "ya" if flag else "tidak"


def cooperatives_export(caller: Caller, filters: CooperativeFilters) -> tuple[Any, ToRow]:
    """The query for the cooperatives the list would show, in village order, and how each
    result row becomes a spreadsheet row (phones masked as the caller's role requires)."""
    columns = table_of(Cooperative).c
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
    columns = table_of(Consultation).c
    topics = (
        select(func.aggregate_strings(col(ConsultationTopic.topic), ","))
        .where(col(ConsultationTopic.consultation_id) == columns.id)
        .scalar_subquery()
    )
    open_follow_ups = (
        select(func.count())
        .where(
            col(FollowUp.consultation_id) == columns.id,
            col(FollowUp.status) == FollowUpStatus.open.value,
        )
        .scalar_subquery()
    )
    query = (
        consultation_service.list_query(caller, filters)
        .with_only_columns(
            *columns,
            topics.label("topics"),
            open_follow_ups.label("open_follow_ups"),
            select(col(Cooperative.name))
            .where(col(Cooperative.id) == columns.cooperative_id)
            .scalar_subquery()
            .label("cooperative"),
            _region_name(columns.village_code).label("village"),
            _region_name(columns.district_code).label("district"),
            select(col(UserAccount.username))
            .where(col(UserAccount.id) == columns.officer_id)
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


def trainings_export(caller: Caller, filters: TrainingFilters) -> tuple[Any, ToRow]:
    columns = table_of(Training).c
    seats = (
        select(func.coalesce(func.sum(TrainingInvitation.seats), 0))
        .where(col(TrainingInvitation.training_id) == columns.id)
        .scalar_subquery()
    )
    attended = (
        select(func.count())
        .where(
            col(TrainingAttendee.training_id) == columns.id,
            col(TrainingAttendee.attended).is_(True),
        )
        .scalar_subquery()
    )
    query = (
        select(
            *columns,
            seats.label("seats_invited"),
            attended.label("attended"),
            _region_name(columns.region_code).label("region"),
        )
        .where(*training_service.conditions_for(caller, filters))
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


async def partitions(
    session: AsyncSession, query: Any, to_row: ToRow
) -> AsyncIterator[list[list[Any]]]:
    """The query's rows from a server-side cursor, PARTITION_ROWS at a time, on the stream's
    own session (`stream_session`), closed when the stream ends."""
    async with session:
        result = await session.stream(query.execution_options(yield_per=PARTITION_ROWS))
        async for partition in result.partitions():
            yield [to_row(row) for row in partition]


# A text cell starting with one of these is run as a formula by spreadsheet programs: OWASP's
# list against CSV injection, with the full-width forms that some programs read alike.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# ... unless the whole text is a number (-5000, or a phone number such as +6281234567890), which
# a spreadsheet reads as that number.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def safe_text(text: str) -> tuple[str, bool]:
    """The text as an export writes it, and whether a spreadsheet program would run it as a
    formula (CSV then puts an apostrophe before it, XLSX sets Excel's own quote prefix). The
    characters that inputs refuse, which records stored before may hold, become U+FFFD: XML
    cannot hold most of them, and a CSV is often opened as a workbook."""
    if not text.isprintable():  # a quick test first: most text is
        text = UNPRINTABLE.sub("\ufffd", text)
    return text, text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


async def write(
    layout: Layout,
    batches: AsyncIterator[list[list[Any]]],
    export_format: ExportFormat,
    language: HeaderLanguage,
) -> AsyncIterator[bytes]:
    """The file, written as the `batches` of rows come: memory stays flat whatever the number
    of rows. An XLSX is written by openpyxl's write-only mode to a temporary file, then
    streamed from it."""
    headers = [
        english if language is HeaderLanguage.en else indonesian
        for english, indonesian in layout.columns
    ]
    if export_format is ExportFormat.csv:
        # The byte-order mark makes Excel open the file as UTF-8.
        yield ("\ufeff" + _csv_text([headers])).encode("utf-8")
        async for rows in batches:
            yield _csv_text(rows).encode("utf-8")
        return
    # openpyxl (with PIL) adds 8 MB to a worker: only one that writes a workbook loads it.
    from app.services import workbook

    async for chunk in workbook.chunks(layout, headers, batches):
        yield chunk


async def at_once(rows: list[list[Any]]) -> AsyncIterator[list[list[Any]]]:
    """Rows already in memory, as `write` takes them."""
    yield rows


def _csv_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text, formula = safe_text(value)
    return "'" + text if formula else text


def _csv_text(rows: list[list[Any]]) -> str:
    text = io.StringIO()
    csv.writer(text).writerows([_csv_cell(value) for value in row] for row in rows)
    return text.getvalue()


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


async def budget_summary_rows(
    session: AsyncSession, caller: Caller, fiscal_year: int
) -> list[list[Any]]:
    """One row per line in the office's layout, then the JUMLAH row with the totals.
    PERGESERAN (+/-) is the net shift: moved in minus moved out, signed."""
    summary = await budget_service.summary(session, caller, fiscal_year)
    if len(summary.lines) > MAX_ROWS:
        raise Invalid(
            "{lines} lines; at most {limit} can be exported",
            params={"lines": len(summary.lines), "limit": MAX_ROWS},
        )

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
    rows.append(BoldRow(["JUMLAH", None, None, None, *amounts(summary.totals)]))
    return rows


def budget_summary_layout(fiscal_year: int) -> Layout:
    """Amounts with thousands separators in XLSX; plain digits in CSV."""
    return Layout(
        columns=[(header, header) for header in BUDGET_SUMMARY_HEADERS],
        sheet=f"Anggaran {fiscal_year}",
        widths=(6, 20, 20, 50, 18, 18, 18, 18, 18),
        money_from=BUDGET_SUMMARY_HEADERS.index("ANGGARAN AWAL"),
    )


# --- a launch's attendance --------------------------------------------------------------------

_ATTENDANCE_FIRST = {
    BoardLevel.hub: ("hub", "ID Hub"),
    BoardLevel.district: ("district", "Kode Kecamatan"),
    BoardLevel.regency: ("regency", "Kode Kabupaten/Kota"),
    BoardLevel.province: ("province", "Kode Provinsi"),
}
_ATTENDANCE_COLUMNS = [
    ("name", "Nama"),
    ("planned", "Direncanakan"),
    ("registered", "Terdaftar"),
    ("checked_in", "Hadir (terdaftar)"),
    ("from_other_hubs", "Di antaranya dari hub lain"),
    ("walk_ins", "Hadir tanpa daftar"),
    ("present", "Jumlah hadir"),
]


def attendance_layout(level: BoardLevel) -> Layout:
    return Layout(
        columns=[_ATTENDANCE_FIRST[level], *_ATTENDANCE_COLUMNS],
        sheet="Kehadiran",
        widths=(16, 40, 14, 14, 18, 22, 18, 14),
    )


async def attendance_rows(
    session: AsyncSession, caller: Caller, launch_id: int, level: BoardLevel
) -> list[list[Any]]:
    """The board at `level` as the report's rows, then the JUMLAH row with the totals."""
    board = await check_ins.board(session, caller, launch_id, level, None)

    def figures(row: BoardRow) -> list[int]:
        present = row.checked_in + row.walk_ins
        return [row.planned, row.registered, row.checked_in, row.other_hub, row.walk_ins, present]

    rows: list[list[Any]] = [[r.key, safe_text(r.name)[0], *figures(r)] for r in board.rows]
    rows.append(BoldRow(["JUMLAH", None, *figures(board.totals)]))
    return rows
