"""Import of cooperatives from a spreadsheet (CSV or XLSX), all or nothing: up to the whole
country (83,762 villages) in one file.

Row 1 holds the headers, matched case-insensitively (`_`, `-` and spaces alike), in English
(the API's field names) or in Indonesian; see COLUMNS. Only `name` and `village_code` are
required. Every row is checked with the rules of `POST /cooperatives`: the fields by
`CooperativeCreate` itself, then the village (a loaded desa or kelurahan, within the caller's
region) and one cooperative per village unless `is_joint`, against the other rows of the file
and against the registry. If any row is wrong, nothing is written and the 422 names every bad
row and column (`loc: ["file", "row", 7, "npwp"]`, rows numbered as the spreadsheet shows
them). The checks run in bulk (a few queries whatever the file's size) and the rows are
written with batched INSERTs.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import OUTSIDE_CALLER_SCOPE, in_caller_scope, outside_caller_scope
from app.core import bulk
from app.core.spreadsheets import (
    Expected,
    ImportErrors,
    ImportFormat,
    Sheet,
    cell_text,
    check_size,
    detect_format,
    find_columns,
    model_message,
    normal_header,
    read_sheet,
    shown,
)
from app.errors import Conflict
from app.http.idempotency import Writer
from app.models.common import utcnow
from app.models.cooperative import (
    Cooperative,
    CooperativeCreate,
    CooperativePublic,
    LegalStage,
    sk_ahu_format,
)
from app.models.region import Region, RegionLevel, ancestor_codes
from app.services import audit
from app.services.cooperatives import record_problems

# The whole country is 83,762 villages; a CSV of them with every column filled is about 25 MB.
MAX_FILE_BYTES = 48 * 1024 * 1024
# The multipart envelope around the file (boundaries, part headers).
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_ROWS = 100_000
EXPECTED = Expected(
    document="the cooperatives",
    records="cooperatives",
    max_bytes=MAX_FILE_BYTES,
    max_rows=MAX_ROWS,
)
# Codes looked up per query: under both drivers' limits on bound parameters.
_LOOKUP_BATCH = 10_000
_VILLAGE_LEVELS = {RegionLevel.desa.value, RegionLevel.kelurahan.value}

# field -> (the header shown in messages and in the template, the other headers accepted)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Nama Koperasi", ("nama",)),
    "village_code": ("Kode Desa", ("kode desa/kelurahan", "kode kelurahan", "kode wilayah")),
    "is_joint": ("Koperasi Bersama", ("bersama",)),
    "business_units": ("Unit Usaha", ()),
    "business_units_other": ("Unit Usaha Lainnya", ()),
    "members_male": ("Anggota Laki-laki", ("anggota l", "anggota pria")),
    "members_female": ("Anggota Perempuan", ("anggota p", "anggota wanita")),
    "is_active": ("Aktif", ()),
    "last_rat_year": ("Tahun RAT Terakhir", ("rat terakhir",)),
    "contact_phone": ("Telepon", ("no hp", "nomor telepon", "no telepon")),
    "akta_number": ("Nomor Akta", ("no akta",)),
    "akta_date": ("Tanggal Akta", ()),
    "notary_name": ("Notaris", ("nama notaris",)),
    "sk_ahu_number": ("Nomor SK AHU", ("no sk ahu", "sk ahu")),
    "sk_ahu_date": ("Tanggal SK AHU", ()),
    "nik_koperasi": ("NIK Koperasi", ()),
    "nib": ("NIB", ()),
    "npwp": ("NPWP", ()),
}
REQUIRED_COLUMNS = {"name", "village_code"}
HEADER_FIELDS: dict[str, str] = {
    normal_header(alias): name
    for name, (indonesian, others) in COLUMNS.items()
    for alias in (name, indonesian, *others)
}
_INTEGERS = {"members_male", "members_female", "last_rat_year"}
_FLAGS = {"is_joint", "is_active"}
_DATES = {"akta_date", "sk_ahu_date"}
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/-]([0-9]{1,2})[/-]([0-9]{4})")
_TRUE = {"true", "ya", "y", "yes", "1"}
_FALSE = {"false", "tidak", "t", "no", "n", "0"}


class CooperativeImportReport(BaseModel):
    file_name: str | None
    format: ImportFormat
    rows_read: int = PydanticField(description="Data rows read (blank rows are skipped).")
    cooperatives_created: int
    ids: list[int] = PydanticField(description="The new cooperatives' ids, in row order.")
    ignored_columns: list[str] = PydanticField(
        description="Headers of columns that are not cooperative fields, left unread."
    )


@dataclass(frozen=True)
class _Row:
    number: int
    data: CooperativeCreate


def _label(name: str) -> str:
    return f"{name} ({COLUMNS[name][0]})"


def _value(name: str, cell: Any, text: str) -> Any:
    """The cell (`text` as written) as the model's field expects it; ValueError saying what
    is wrong."""
    if name in _INTEGERS:
        if isinstance(cell, int) and not isinstance(cell, bool):
            return cell
        if not (text.isascii() and text.isdigit()):
            raise ValueError("must be a whole number, e.g. 40")
        return int(text)
    if name in _FLAGS:
        if isinstance(cell, bool):
            return cell
        if text.casefold() in _TRUE:
            return True
        if text.casefold() in _FALSE:
            return False
        raise ValueError("must be ya or tidak (TRUE or FALSE)")
    if name in _DATES:
        return _date(cell, text)
    if name == "business_units":
        # "Gerai Sembako, simpan_pinjam; klinik desa"
        return [
            re.sub(r"[\s\-]+", "_", part.strip()).casefold()
            for part in re.split(r"[,;]", text)
            if part.strip()
        ]
    return text


def _date(cell: Any, text: str) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    try:
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year = match.groups()
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date such as 2025-06-20 or 20/06/2025") from None


def check_rows(sheet: Sheet, errors: ImportErrors) -> tuple[list[_Row], list[str]]:
    """Each row against `CooperativeCreate` and the record rules (no database needed: CPU
    work, run off the event loop). Returns the rows that pass, and the ignored headers."""
    columns, ignored = find_columns(
        sheet.header,
        HEADER_FIELDS,
        [name for name in COLUMNS if name in REQUIRED_COLUMNS],
        _label,
        errors,
    )
    if errors.items:
        return [], ignored
    rows = []
    for number, cells in sheet.rows:
        data: dict[str, Any] = {}
        flagged = False
        for name, index in columns.items():
            cell = cells[index] if index < len(cells) else None
            text = cell_text(cell)
            if text is None:
                continue
            try:
                data[name] = _value(name, cell, text)
            except ValueError as exc:
                errors.row(number, name, str(exc), found=shown(cell))
                flagged = True
        try:
            model = CooperativeCreate.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "row"
                found = None
                if name in columns and error["type"] != "missing":
                    raw = cells[columns[name]] if columns[name] < len(cells) else None
                    found = shown(raw)
                errors.row(number, name, model_message(error), error["type"], found=found)
            continue
        problems = record_problems(
            business_units=model.business_units,
            business_units_other=model.business_units_other,
            last_rat_year=model.last_rat_year,
        )
        for name, message in problems:
            errors.row(number, name, message)
        if not (flagged or problems):
            rows.append(_Row(number, model))
    return rows, ignored


async def _village_levels(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    levels: dict[str, str] = {}
    for start in range(0, len(codes), _LOOKUP_BATCH):
        batch = codes[start : start + _LOOKUP_BATCH]
        levels.update(
            (
                await session.execute(
                    select(col(Region.code), col(Region.level)).where(col(Region.code).in_(batch))
                )
            ).all()
        )
    return levels


async def _single_cooperatives(session: AsyncSession, codes: list[str]) -> dict[str, int]:
    """village code -> the id of its own (not joint) cooperative, for these villages."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), _LOOKUP_BATCH):
        batch = codes[start : start + _LOOKUP_BATCH]
        found.update(
            (
                await session.execute(
                    # The id column holds no NULL, whatever SQLModel's `int | None` says.
                    select(col(Cooperative.village_code), cast(Mapped[int], Cooperative.id)).where(
                        col(Cooperative.village_code).in_(batch),
                        col(Cooperative.is_joint).is_(False),
                    )
                )
            ).all()
        )
    return found


async def import_cooperatives(
    writer: Writer,
    *,
    content: bytes,
    file_name: str | None,
    content_type: str | None,
) -> CooperativeImportReport:
    session, caller = writer.session, writer.caller
    check_size(content, EXPECTED)
    file_format = detect_format(file_name, content_type, content, EXPECTED)
    errors = ImportErrors()

    def read_and_check() -> tuple[int, list[_Row], list[str]]:
        sheet = read_sheet(content, file_format, EXPECTED)
        return len(sheet.rows), *check_rows(sheet, errors)

    # Parsing and validating tens of thousands of rows is CPU work: keep it off the event loop.
    rows_read, rows, ignored = await asyncio.to_thread(read_and_check)
    errors.raise_if_any()

    codes = sorted({entry.data.village_code for entry in rows})
    levels = await _village_levels(session, codes)
    existing = await _single_cooperatives(session, codes)
    first_row_of: dict[str, int] = {}
    valid: list[_Row] = []
    for entry in rows:
        code = entry.data.village_code
        if levels.get(code) not in _VILLAGE_LEVELS:
            errors.row(
                entry.number,
                "village_code",
                "{code} is not a desa or kelurahan in the loaded Kemendagri list",
                code=code,
            )
        elif not in_caller_scope(caller, code):
            errors.row(
                entry.number,
                "village_code",
                OUTSIDE_CALLER_SCOPE,
                **outside_caller_scope(caller, code),
            )
        elif entry.data.is_joint:
            valid.append(entry)
        elif code in existing:
            errors.row(
                entry.number,
                "village_code",
                "village {code} already has cooperative {cooperative_id}; mark this one as a "
                "joint cooperative (Koperasi Bersama) if both are real, or remove the row",
                "duplicate",
                code=code,
                cooperative_id=existing[code],
            )
        elif code in first_row_of:
            errors.row(
                entry.number,
                "village_code",
                "repeats row {row}: one cooperative per village, unless it is marked as a joint "
                "cooperative (Koperasi Bersama)",
                "duplicate",
                row=first_row_of[code],
            )
        else:
            first_row_of[code] = entry.number
            valid.append(entry)
    errors.raise_if_any(rows_read)

    now = utcnow()
    records = [_record(entry.data, levels[entry.data.village_code], now) for entry in valid]
    try:
        ids = await bulk.cooperatives(session, records)
        await bulk.business_units(
            session,
            [
                {"cooperative_id": cooperative_id, "unit": unit}
                for cooperative_id, entry in zip(ids, valid, strict=True)
                for unit in {u.value for u in entry.data.business_units}
            ],
        )
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "another user registered a cooperative in one of these villages while the file was "
            "being checked; nothing was written. Send the file again to see which rows now "
            "repeat a cooperative."
        ) from None
    await bulk.audit_events(
        session,
        [
            _audit_row(caller, cooperative_id, record, entry, file_name)
            for cooperative_id, record, entry in zip(ids, records, valid, strict=True)
        ],
    )
    await writer.commit()
    return CooperativeImportReport(
        file_name=file_name,
        format=file_format,
        rows_read=rows_read,
        cooperatives_created=len(ids),
        ids=ids,
        ignored_columns=ignored,
    )


def _record(data: CooperativeCreate, level: str, now: datetime) -> dict[str, Any]:
    province, regency, district = ancestor_codes(data.village_code)
    return {
        **data.model_dump(exclude={"business_units"}),
        "kind": level,
        "province_code": province,
        "regency_code": regency,
        "district_code": district,
        "sk_ahu_format": sk_ahu_format(data.sk_ahu_number).value if data.sk_ahu_number else None,
        "created_at": now,
        "updated_at": now,
    }


def _audit_row(
    caller: Caller,
    cooperative_id: int,
    record: dict[str, Any],
    entry: _Row,
    file_name: str | None,
) -> dict[str, Any]:
    """One event per cooperative, as `POST /cooperatives` writes, naming the file and row."""
    created = CooperativePublic(
        **record,
        id=cooperative_id,
        business_units=sorted(set(entry.data.business_units)),
        members_total=entry.data.members_male + entry.data.members_female,
        legal_stage=LegalStage.none,
        is_demo=False,
    )
    return {
        "actor": caller.principal.actor,
        "role": caller.role.value,
        "action": "cooperative.import",
        "resource_type": "cooperative",
        "resource_id": str(cooperative_id),
        "region_code": record["village_code"],
        "request_id": caller.request_id,
        "client_ip": caller.client_ip,
        "before": None,
        "after": {
            # The same snapshot (phone masked) that a single create records.
            **(audit.snapshot(created) or {}),
            "imported_from": {"file": file_name, "row": entry.number},
        },
        "outcome": "success",
    }
