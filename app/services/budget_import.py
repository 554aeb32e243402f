"""Import of budget lines from the office's DPA spreadsheet (CSV or XLSX), all or nothing.

The first row of the file (or of the workbook's first sheet) holds the column headers; every
other non-blank row is one budget line. Headers are matched case-insensitively, with `_`, `-`
and spaces alike, in English or in Indonesian:

| field               | headers accepted                                                |
|---------------------|-----------------------------------------------------------------|
| `sub_kegiatan_code` | Kode Sub Kegiatan, Kode Subkegiatan                             |
| `sub_kegiatan_name` | Nama Sub Kegiatan, Nama Subkegiatan                             |
| `kode_rekening`     | Kode Rekening, Kode Rek                                         |
| `name`              | Uraian, Uraian Rekening, Uraian Belanja, Nama Rekening          |
| `original_ceiling`  | Pagu, Pagu Awal, Pagu Anggaran, Anggaran Awal                   |
| `skpd`              | SKPD, Nama SKPD, Perangkat Daerah                               |
| `fiscal_year`       | Tahun, Tahun Anggaran (optional: else `?fiscal_year=`)          |
| `region_code`       | Kode Wilayah (optional: else `?region_code=`)                   |

Other columns (such as `No`) are ignored and named in the report. Amounts are integer rupiah:
`45000000`, `45.000.000` or `Rp 45.000.000`; decimals and negative amounts are refused.

Every row is checked with the same rules as `POST /budget-lines` (`BudgetLineCreate`), against
the other rows of the file and against the lines that already exist. If any row is wrong,
nothing is written and the 422 names every bad row and column
(`loc: ["file", "row", 7, "kode_rekening"]`, rows numbered as the spreadsheet shows them).
"""

import asyncio
import math
import re
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.access.auth import Caller
from app.access.scope import in_caller_scope
from app.core.spreadsheets import (
    Expected,
    ImportErrors,
    ImportFormat,
    cell_text,
    check_size,
    detect_format,
    find_columns,
    model_message,
    normal_header,
    read_sheet,
    shown,
)
from app.errors import N_, Conflict
from app.http.idempotency import Writer
from app.models.budget import BudgetLine, BudgetLineCreate, BudgetLinePublic
from app.models.region import Region
from app.services import audit

MAX_FILE_BYTES = 2 * 1024 * 1024
# The multipart envelope around the file (boundaries, part headers, the query-less form).
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_ROWS = 5_000
EXPECTED = Expected(
    document="the DPA",
    records="budget lines",
    max_bytes=MAX_FILE_BYTES,
    max_rows=MAX_ROWS,
)


class BudgetImportReport(BaseModel):
    file_name: str | None
    format: ImportFormat
    rows_read: int = PydanticField(description="Data rows read (blank rows are skipped).")
    lines_created: int
    ids: list[int] = PydanticField(description="The new lines' ids, in the file's row order.")
    ignored_columns: list[str] = PydanticField(
        description="Headers of columns that are not budget-line fields, left unread."
    )


# field -> (the header shown in messages, the other headers accepted)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sub_kegiatan_code": ("Kode Sub Kegiatan", ("kode subkegiatan",)),
    "sub_kegiatan_name": ("Nama Sub Kegiatan", ("nama subkegiatan",)),
    "kode_rekening": ("Kode Rekening", ("kode rek",)),
    "name": ("Uraian", ("uraian rekening", "uraian belanja", "nama rekening")),
    "original_ceiling": ("Pagu", ("pagu awal", "pagu anggaran", "anggaran awal")),
    "skpd": ("SKPD", ("nama skpd", "perangkat daerah")),
    "fiscal_year": ("Tahun", ("tahun anggaran",)),
    "region_code": ("Kode Wilayah", ()),
}
OPTIONAL_COLUMNS = {"fiscal_year", "region_code"}


HEADER_FIELDS: dict[str, str] = {
    normal_header(alias): name
    for name, (indonesian, others) in COLUMNS.items()
    for alias in (name, indonesian, *others)
}


def _label(name: str) -> str:
    return f"{name} ({COLUMNS[name][0]})"


# --- turning cells into values ----------------------------------------------------------------


def rupiah(cell: Any) -> int:
    """Integer rupiah from a cell: 45000000, 45000000.0 (an Excel number), "45000000",
    "45.000.000" or "Rp 45.000.000". Raises ValueError saying what is wrong."""
    whole = "must be whole rupiah without decimals, e.g. 45000000 or 45.000.000"
    if isinstance(cell, bool):
        raise ValueError("must be an amount in rupiah, e.g. 45.000.000")
    if isinstance(cell, int):
        number = cell
    elif isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise ValueError(whole)
        number = int(cell)
    else:
        text = re.sub(r"\s+", "", str(cell).replace("\u00a0", ""))
        text = re.sub(r"^rp\.?", "", text, flags=re.IGNORECASE)
        if text.startswith("-") or (text.startswith("(") and text.endswith(")")):
            raise ValueError("must not be negative")
        if re.fullmatch(r"[0-9]+", text):
            number = int(text)
        elif re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text):
            number = int(text.replace(".", ""))
        elif re.fullmatch(r"[0-9.,]+", text):
            raise ValueError(whole)
        else:
            raise ValueError("must be an amount in rupiah, e.g. 45.000.000")
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _year(cell: Any) -> int:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    text = cell_text(cell) or ""
    if not re.fullmatch(r"[0-9]{4}", text):
        raise ValueError("must be a year such as 2025")
    return int(text)


# --- checking and writing ---------------------------------------------------------------------


class _Regions:
    """Whether a region code is loaded and lies in the caller's scope, asked once per code."""

    def __init__(self, session: AsyncSession, caller: Caller) -> None:
        self.session = session
        self.caller = caller
        self.known: dict[str, str | None] = {}

    async def problem(self, code: str) -> str | None:
        if code not in self.known:
            if await self.session.get(Region, code) is None:
                self.known[code] = N_("{code} is not a Kemendagri code that is loaded")
            elif not in_caller_scope(self.caller, code):
                self.known[code] = N_("{code} lies outside your region")
            else:
                self.known[code] = None
        return self.known[code]


async def import_lines(
    writer: Writer,
    *,
    content: bytes,
    file_name: str | None,
    content_type: str | None,
    fiscal_year: int | None,
    region_code: str | None,
) -> BudgetImportReport:
    session, caller = writer.session, writer.caller
    check_size(content, EXPECTED)
    file_format = detect_format(file_name, content_type, content, EXPECTED)
    # Parsing a workbook is CPU work: keep it off the event loop.
    sheet = await asyncio.to_thread(read_sheet, content, file_format, EXPECTED)

    errors = ImportErrors()
    columns, ignored = find_columns(
        sheet.header,
        HEADER_FIELDS,
        [name for name in COLUMNS if name not in OPTIONAL_COLUMNS],
        _label,
        errors,
    )
    regions = _Regions(session, caller)
    if region_code is not None and (problem := await regions.problem(region_code)):
        errors.query("region_code", problem, code=region_code)
    for name, given in (("fiscal_year", fiscal_year), ("region_code", region_code)):
        if name not in columns and given is None:
            errors.query(
                name,
                "the file has no {column} column; give ?{parameter}= for all its rows",
                "missing",
                column=_label(name),
                parameter=name,
            )
    errors.raise_if_any()

    rows_read = len(sheet.rows)
    valid: list[tuple[int, BudgetLineCreate]] = []
    first_row_of: dict[tuple[int, str, str, str], int] = {}
    for number, cells in sheet.rows:

        def cell(name: str, cells: list[Any] = cells) -> Any:
            index = columns.get(name)
            value = cells[index] if index is not None and index < len(cells) else None
            return None if cell_text(value) is None else value

        data: dict[str, Any] = {}
        flagged: set[str] = set()
        for name in ("skpd", "sub_kegiatan_code", "sub_kegiatan_name", "kode_rekening", "name"):
            text = cell_text(cell(name))
            if text is not None:
                data[name] = text
        raw_ceiling = cell("original_ceiling")
        if raw_ceiling is not None:
            try:
                data["original_ceiling"] = rupiah(raw_ceiling)
            except ValueError as exc:
                errors.row(number, "original_ceiling", str(exc), found=shown(raw_ceiling))
                flagged.add("original_ceiling")
        raw_year = cell("fiscal_year")
        if raw_year is None:
            if fiscal_year is not None:
                data["fiscal_year"] = fiscal_year
            else:
                errors.row(number, "fiscal_year", "is empty; fill it in or give ?fiscal_year=")
                flagged.add("fiscal_year")
        else:
            try:
                data["fiscal_year"] = _year(raw_year)
            except ValueError as exc:
                errors.row(number, "fiscal_year", str(exc), found=shown(raw_year))
                flagged.add("fiscal_year")
            else:
                if fiscal_year is not None and data["fiscal_year"] != fiscal_year:
                    errors.row(
                        number,
                        "fiscal_year",
                        "the file says {found} but ?fiscal_year={given}; leave out the query "
                        "parameter or correct the cell",
                        found=data["fiscal_year"],
                        given=fiscal_year,
                    )
                    flagged.add("fiscal_year")
        raw_region = cell_text(cell("region_code"))
        if raw_region is None:
            if region_code is not None:
                data["region_code"] = region_code
            else:
                errors.row(number, "region_code", "is empty; fill it in or give ?region_code=")
                flagged.add("region_code")
        elif region_code is not None and raw_region != region_code:
            errors.row(
                number,
                "region_code",
                "the file says {found} but ?region_code={given}; leave out the query parameter "
                "or correct the cell",
                found=raw_region,
                given=region_code,
            )
            flagged.add("region_code")
        else:
            data["region_code"] = raw_region

        try:
            line = BudgetLineCreate.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "row"
                if name in flagged:
                    continue
                raw = cell(name) if name in columns else None
                errors.row(
                    number,
                    name,
                    model_message(error),
                    error["type"],
                    found=shown(raw) if raw is not None and error["type"] != "missing" else None,
                )
            continue
        # A bad ?region_code= was refused above; this checks the file's own codes.
        if (problem := await regions.problem(line.region_code)) is not None:
            errors.row(number, "region_code", problem, code=line.region_code)
            continue
        key = (line.fiscal_year, line.region_code, line.sub_kegiatan_code, line.kode_rekening)
        if key in first_row_of:
            errors.row(
                number,
                "kode_rekening",
                "repeats row {row}: the same fiscal year, region, sub-kegiatan {sub_kegiatan} "
                "and kode rekening {kode_rekening}",
                "duplicate",
                row=first_row_of[key],
                sub_kegiatan=line.sub_kegiatan_code,
                kode_rekening=line.kode_rekening,
            )
            continue
        first_row_of[key] = number
        valid.append((number, line))

    existing = await _existing_lines(session, list(first_row_of))
    for key, number in first_row_of.items():
        if key in existing:
            errors.row(
                number,
                "kode_rekening",
                "budget line {line_id} already holds {year} / {region} / {sub_kegiatan} / "
                "{kode_rekening}; remove the row (or change that line through the API)",
                "duplicate",
                line_id=existing[key],
                year=key[0],
                region=key[1],
                sub_kegiatan=key[2],
                kode_rekening=key[3],
            )
    errors.raise_if_any(rows_read)

    lines = [
        BudgetLine(**data.model_dump(), created_by=caller.principal.actor) for _, data in valid
    ]
    session.add_all(lines)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "another user created one of these budget lines while the file was being checked; "
            "nothing was written. Send the file again to see which rows now repeat a line."
        ) from None
    for (number, _), created in zip(valid, lines, strict=True):
        public = BudgetLinePublic(
            **created.model_dump(),
            shifted_in=0,
            shifted_out=0,
            current_ceiling=created.original_ceiling,
            committed=0,
            available=created.original_ceiling,
        )
        audit.record(
            session,
            caller,
            action="budget_line.import",
            resource_type="budget_line",
            resource_id=created.id,
            region_code=created.region_code,
            after={
                **public.model_dump(mode="json"),
                "imported_from": {"file": file_name, "row": number},
            },
        )
    report = BudgetImportReport(
        file_name=file_name,
        format=file_format,
        rows_read=rows_read,
        lines_created=len(lines),
        ids=[line.id for line in lines],
        ignored_columns=ignored,
    )
    await writer.record(report)
    await writer.commit()
    return report


async def _existing_lines(
    session: AsyncSession, keys: list[tuple[int, str, str, str]]
) -> dict[tuple[int, str, str, str], int]:
    """The ids of lines already holding any of `keys`, whoever's region they are in (the
    database's unique index spans all regions too)."""
    found: dict[tuple[int, str, str, str], int] = {}
    columns = (
        col(BudgetLine.fiscal_year),
        col(BudgetLine.region_code),
        col(BudgetLine.sub_kegiatan_code),
        col(BudgetLine.kode_rekening),
    )
    # In batches: SQLite allows a limited number of bound parameters per statement.
    for start in range(0, len(keys), 200):
        batch = keys[start : start + 200]
        # The id column holds no NULL, whatever SQLModel's `int | None` says.
        for line_id, year, region, sub_kegiatan, rekening in await session.execute(
            select(cast(Mapped[int], BudgetLine.id), *columns).where(tuple_(*columns).in_(batch))
        ):
            found[(year, region, sub_kegiatan, rekening)] = line_id
    return found
