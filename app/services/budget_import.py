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
import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, in_scope
from app.errors import AppError, Conflict, Invalid
from app.models.budget import BudgetLine, BudgetLineCreate, BudgetLinePublic
from app.models.region import Region
from app.services import audit

MAX_FILE_BYTES = 2 * 1024 * 1024
# The multipart envelope around the file (boundaries, part headers, the query-less form).
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_ROWS = 5_000
# Columns past this one are not read at all (a DPA sheet has about ten).
MAX_COLUMNS = 100
# An XLSX is a zip: refuse one that unpacks to far more than any real DPA sheet would.
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
EXCEL_MAX_ROW = 1_048_576
# Errors quoted in the problem's `detail`; `errors` always holds all of them.
DETAIL_ERRORS = 5

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPES = {"text/csv", "application/csv", "text/comma-separated-values"}


class ContentTooLarge(AppError):
    status_code = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(AppError):
    status_code = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ImportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


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


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header).strip(" :*").casefold()


HEADER_FIELDS: dict[str, str] = {
    _normal(alias): name
    for name, (indonesian, others) in COLUMNS.items()
    for alias in (name, indonesian, *others)
}


def _label(name: str) -> str:
    return f"{name} ({COLUMNS[name][0]})"


@dataclass
class Sheet:
    format: ImportFormat
    header: list[Any]
    # (row number as the spreadsheet shows it, the cells), blank rows left out
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


# --- reading the file -------------------------------------------------------------------------


def detect_format(file_name: str | None, content_type: str | None, content: bytes) -> ImportFormat:
    """By the file's extension, else its content type; the bytes must agree."""
    extension = (file_name or "").rsplit(".", 1)[-1].casefold() if "." in (file_name or "") else ""
    media_type = (content_type or "").split(";")[0].strip().casefold()
    if extension in ("csv", "txt"):
        declared = ImportFormat.csv
    elif extension == "xlsx":
        declared = ImportFormat.xlsx
    elif extension in ("xls", "xlsm", "ods"):
        raise UnsupportedMediaType(
            f"a .{extension} file cannot be read; save it as .xlsx (Excel workbook) or .csv"
        )
    elif media_type == XLSX_MEDIA_TYPE:
        declared = ImportFormat.xlsx
    elif media_type in CSV_MEDIA_TYPES:
        declared = ImportFormat.csv
    else:
        raise UnsupportedMediaType(
            "send the DPA as a .csv or .xlsx file (the file name's extension, or a content "
            f"type of text/csv or {XLSX_MEDIA_TYPE})"
        )
    is_zip = content.startswith(b"PK\x03\x04")
    if declared is ImportFormat.csv and is_zip:
        raise Invalid.field(
            ["file"], "this is an Excel workbook, not CSV text; name it .xlsx or save it as CSV"
        )
    if declared is ImportFormat.xlsx and not is_zip:
        raise Invalid.field(["file"], "this is not an Excel .xlsx workbook; save it as .xlsx")
    return declared


def read_sheet(content: bytes, file_format: ImportFormat) -> Sheet:
    if not content.strip():
        raise Invalid.field(["file"], "the file is empty")
    sheet = _read_csv(content) if file_format is ImportFormat.csv else _read_xlsx(content)
    if not sheet.rows:
        raise Invalid.field(["file"], "the file has a header row but no budget lines below it")
    return sheet


def _too_many_rows() -> Invalid:
    return Invalid.field(
        ["file"],
        f"the file has more than {MAX_ROWS:,} budget lines; split it into files of at most "
        f"{MAX_ROWS:,} rows",
    )


def _is_blank(cells: list[Any] | tuple[Any, ...]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _collect(sheet: Sheet, numbered_rows: Any) -> Sheet:
    for number, cells in numbered_rows:
        if _is_blank(cells):
            continue
        if len(sheet.rows) == MAX_ROWS:
            raise _too_many_rows()
        sheet.rows.append((number, list(cells)))
    return sheet


def _read_csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # What Excel on Windows writes for "CSV (Comma delimited)".
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise Invalid.field(["file"], "the text is neither UTF-8 nor Windows-1252") from None
    if "\x00" in text:
        raise Invalid.field(["file"], "the file holds NUL characters; it is not CSV text")
    first_line = text.split("\n", 1)[0]
    # Excel in an Indonesian locale separates with `;` (the comma is the decimal mark).
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None or _is_blank(header):
            raise Invalid.field(["file", "row", 1], "the first row must hold the column headers")
        # The reader's line_num counts physical lines; a quoted cell can span several.
        return _collect(
            Sheet(ImportFormat.csv, header[:MAX_COLUMNS]),
            ((number, cells[:MAX_COLUMNS]) for number, cells in enumerate(reader, start=2)),
        )
    except csv.Error as exc:
        raise Invalid.field(
            ["file", "row", reader.line_num], f"not readable as CSV: {exc}"
        ) from None


def _read_xlsx(content: bytes) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise Invalid.field(["file"], "the workbook is damaged; save it again as .xlsx") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ContentTooLarge(
            f"the workbook unpacks to {unpacked // 2**20} MB; a DPA sheet needs far less. "
            "Copy the budget lines into a new workbook."
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a malformed workbook
        raise Invalid.field(
            ["file"], "the workbook cannot be read; save it again as .xlsx"
        ) from None
    try:
        if not workbook.worksheets:
            raise Invalid.field(["file"], "the workbook has no sheet")
        worksheet = workbook.worksheets[0]
        rows = worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        try:
            header = next(rows, None)
            if header is None or _is_blank(header):
                raise Invalid.field(
                    ["file", "row", 1], "row 1 of the first sheet must hold the column headers"
                )
            sheet = Sheet(ImportFormat.xlsx, list(header))

            def numbered() -> Any:
                for number, cells in enumerate(rows, start=2):
                    if number > EXCEL_MAX_ROW:
                        raise Invalid.field(["file"], "the sheet runs past Excel's last row")
                    yield number, cells

            return _collect(sheet, numbered())
        except (Invalid, ContentTooLarge):
            raise
        except Exception:
            raise Invalid.field(
                ["file"], "the workbook's first sheet cannot be read; save it again as .xlsx"
            ) from None
    finally:
        workbook.close()


# --- turning cells into values ----------------------------------------------------------------


def _text(cell: Any) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return str(cell).upper()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    text = str(cell).strip()
    return text or None


def _shown(cell: Any) -> str:
    text = _text(cell) or ""
    return text if len(text) <= 40 else text[:37] + "..."


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
        if re.fullmatch(r"\d+", text):
            number = int(text)
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            number = int(text.replace(".", ""))
        elif re.fullmatch(r"[\d.,]+", text):
            raise ValueError(whole)
        else:
            raise ValueError("must be an amount in rupiah, e.g. 45.000.000")
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _year(cell: Any) -> int:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    text = _text(cell) or ""
    if not re.fullmatch(r"\d{4}", text):
        raise ValueError("must be a year such as 2025")
    return int(text)


# --- checking and writing ---------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, loc: list[str | int], msg: str, type_: str = "value_error") -> None:
        self.items.append({"loc": loc, "msg": msg, "type": type_})

    def row(self, number: int, name: str, msg: str, type_: str = "value_error") -> None:
        self.add(["file", "row", number, name], msg, type_)

    def raise_if_any(self, rows_read: int | None = None) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda e: e["loc"][2] if e["loc"][:2] == ["file", "row"] else 0)
        bad_rows = sorted(
            {
                e["loc"][2]
                for e in self.items
                if e["loc"][:2] == ["file", "row"] and len(e["loc"]) > 2
            }
        )
        quoted = "; ".join(
            ".".join(str(part) for part in e["loc"]) + ": " + e["msg"]
            for e in self.items[:DETAIL_ERRORS]
        )
        more = len(self.items) - DETAIL_ERRORS
        lead = (
            f"{len(bad_rows)} row{'s' if len(bad_rows) != 1 else ''} cannot be imported"
            if bad_rows
            else "the file cannot be imported"
        )
        raise Invalid(
            f"{lead}; nothing was written. Fix and send the whole file again. {quoted}"
            + (f" (and {more} more under `errors`)" if more > 0 else ""),
            errors=self.items,
            bad_rows=bad_rows,
            **({"rows_read": rows_read} if rows_read is not None else {}),
        )


def _columns(header: list[Any], errors: _Errors) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        text = _text(cell)
        if text is None:
            continue
        name = HEADER_FIELDS.get(_normal(text))
        if name is None:
            ignored.append(text)
        elif name in found:
            errors.row(
                1,
                name,
                f"two columns hold {_label(name)}: column {found[name] + 1} and column "
                f"{index + 1}; keep one",
            )
        else:
            found[name] = index
    for name in COLUMNS:
        if name not in found and name not in OPTIONAL_COLUMNS:
            errors.row(1, name, f"missing column {_label(name)}", "missing")
    return found, ignored


class _Regions:
    """Whether a region code is loaded and lies in the caller's scope, asked once per code."""

    def __init__(self, session: AsyncSession, caller: Caller) -> None:
        self.session = session
        self.caller = caller
        self.known: dict[str, str | None] = {}

    async def problem(self, code: str) -> str | None:
        if code not in self.known:
            if await self.session.get(Region, code) is None:
                self.known[code] = f"{code} is not a Kemendagri code that is loaded"
            elif not in_scope(code, self.caller.region_scope):
                self.known[code] = f"{code} lies outside your region"
            else:
                self.known[code] = None
        return self.known[code]


def _model_message(error: Any) -> str:
    if error["type"] == "missing":
        return "is empty"
    return str(error["msg"]).removeprefix("Value error, ")


async def import_lines(
    session: AsyncSession,
    caller: Caller,
    *,
    content: bytes,
    file_name: str | None,
    content_type: str | None,
    fiscal_year: int | None,
    region_code: str | None,
) -> BudgetImportReport:
    if len(content) > MAX_FILE_BYTES:
        raise ContentTooLarge(
            f"the file is {len(content) / 2**20:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 2**20} MB. Split it into smaller files."
        )
    file_format = detect_format(file_name, content_type, content)
    # Parsing a workbook is CPU work: keep it off the event loop.
    sheet = await asyncio.to_thread(read_sheet, content, file_format)

    errors = _Errors()
    columns, ignored = _columns(sheet.header, errors)
    regions = _Regions(session, caller)
    if region_code is not None and (problem := await regions.problem(region_code)):
        errors.add(["query", "region_code"], problem)
    for name, given in (("fiscal_year", fiscal_year), ("region_code", region_code)):
        if name not in columns and given is None:
            errors.add(
                ["query", name],
                f"the file has no {_label(name)} column; give ?{name}= for all its rows",
                "missing",
            )
    errors.raise_if_any()

    rows_read = len(sheet.rows)
    valid: list[tuple[int, BudgetLineCreate]] = []
    first_row_of: dict[tuple[int, str, str, str], int] = {}
    for number, cells in sheet.rows:

        def cell(name: str, cells: list[Any] = cells) -> Any:
            index = columns.get(name)
            value = cells[index] if index is not None and index < len(cells) else None
            return None if _text(value) is None else value

        data: dict[str, Any] = {}
        flagged: set[str] = set()
        for name in ("skpd", "sub_kegiatan_code", "sub_kegiatan_name", "kode_rekening", "name"):
            text = _text(cell(name))
            if text is not None:
                data[name] = text
        raw_ceiling = cell("original_ceiling")
        if raw_ceiling is not None:
            try:
                data["original_ceiling"] = rupiah(raw_ceiling)
            except ValueError as exc:
                errors.row(number, "original_ceiling", f"{exc} (found {_shown(raw_ceiling)!r})")
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
                errors.row(number, "fiscal_year", f"{exc} (found {_shown(raw_year)!r})")
                flagged.add("fiscal_year")
            else:
                if fiscal_year is not None and data["fiscal_year"] != fiscal_year:
                    errors.row(
                        number,
                        "fiscal_year",
                        f"the file says {data['fiscal_year']} but ?fiscal_year={fiscal_year}; "
                        "leave out the query parameter or correct the cell",
                    )
                    flagged.add("fiscal_year")
        raw_region = _text(cell("region_code"))
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
                f"the file says {raw_region} but ?region_code={region_code}; leave out the "
                "query parameter or correct the cell",
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
                message = _model_message(error)
                raw = cell(name) if name in columns else None
                if raw is not None and error["type"] != "missing":
                    message += f" (found {_shown(raw)!r})"
                errors.row(number, name, message, error["type"])
            continue
        # A bad ?region_code= was refused above; this checks the file's own codes.
        if (problem := await regions.problem(line.region_code)) is not None:
            errors.row(number, "region_code", problem)
            continue
        key = (line.fiscal_year, line.region_code, line.sub_kegiatan_code, line.kode_rekening)
        if key in first_row_of:
            errors.row(
                number,
                "kode_rekening",
                f"repeats row {first_row_of[key]}: the same fiscal year, region, sub-kegiatan "
                f"{line.sub_kegiatan_code} and kode rekening {line.kode_rekening}",
                "duplicate",
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
                f"budget line {existing[key]} already holds {key[0]} / {key[1]} / {key[2]} / "
                f"{key[3]}; remove the row (or change that line through the API)",
                "duplicate",
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
    for (number, _), line in zip(valid, lines, strict=True):
        public = BudgetLinePublic(
            **line.model_dump(),
            shifted_in=0,
            shifted_out=0,
            current_ceiling=line.original_ceiling,
            committed=0,
            available=line.original_ceiling,
        )
        audit.record(
            session,
            caller,
            action="budget_line.import",
            resource_type="budget_line",
            resource_id=line.id,
            region_code=line.region_code,
            after={
                **public.model_dump(mode="json"),
                "imported_from": {"file": file_name, "row": number},
            },
        )
    await session.commit()
    return BudgetImportReport(
        file_name=file_name,
        format=file_format,
        rows_read=rows_read,
        lines_created=len(lines),
        ids=[line.id for line in lines],  # type: ignore[misc]
        ignored_columns=ignored,
    )


async def _existing_lines(
    session: AsyncSession, keys: list[tuple[int, str, str, str]]
) -> dict[tuple[int, str, str, str], int]:
    """The ids of lines already holding any of `keys`, whoever's region they are in (the
    database's unique index spans all regions too)."""
    found: dict[tuple[int, str, str, str], int] = {}
    columns = (
        BudgetLine.fiscal_year,
        BudgetLine.region_code,
        BudgetLine.sub_kegiatan_code,
        BudgetLine.kode_rekening,
    )
    # In batches: SQLite allows a limited number of bound parameters per statement.
    for start in range(0, len(keys), 200):
        batch = keys[start : start + 200]
        for line_id, *key in await session.execute(
            select(BudgetLine.id, *columns).where(tuple_(*columns).in_(batch))
        ):
            found[tuple(key)] = line_id  # type: ignore[index]
    return found
