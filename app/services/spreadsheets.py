"""Reading uploaded spreadsheets (CSV or XLSX) for the all-or-nothing imports, and reporting
every bad row and column of them in one 422.

The first row of the file (or of the workbook's first sheet) holds the column headers; every
other non-blank row is one record, numbered as the spreadsheet shows it (header = row 1).
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from openpyxl import load_workbook

from app.errors import AppError, Invalid

# Columns past this one are not read at all.
MAX_COLUMNS = 100
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


@dataclass(frozen=True)
class Expected:
    """What an import expects, for its limits and for its messages."""

    document: str  # "the DPA"
    records: str  # "budget lines"
    max_bytes: int
    max_rows: int
    # An XLSX is a zip: refuse one that unpacks to far more than the real thing would.
    max_unpacked_bytes: int


@dataclass
class Sheet:
    format: ImportFormat
    header: list[Any]
    # (row number as the spreadsheet shows it, the cells), blank rows left out
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


# --- reading the file -------------------------------------------------------------------------


def check_size(content: bytes, expected: Expected) -> None:
    if len(content) > expected.max_bytes:
        raise ContentTooLarge(
            f"the file is {len(content) / 2**20:.1f} MB; the limit is "
            f"{expected.max_bytes // 2**20} MB. Split it into smaller files."
        )


def detect_format(
    file_name: str | None, content_type: str | None, content: bytes, expected: Expected
) -> ImportFormat:
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
            f"send {expected.document} as a .csv or .xlsx file (the file name's extension, or a "
            f"content type of text/csv or {XLSX_MEDIA_TYPE})"
        )
    is_zip = content.startswith(b"PK\x03\x04")
    if declared is ImportFormat.csv and is_zip:
        raise Invalid.field(
            ["file"], "this is an Excel workbook, not CSV text; name it .xlsx or save it as CSV"
        )
    if declared is ImportFormat.xlsx and not is_zip:
        raise Invalid.field(["file"], "this is not an Excel .xlsx workbook; save it as .xlsx")
    return declared


def read_sheet(content: bytes, file_format: ImportFormat, expected: Expected) -> Sheet:
    if not content.strip():
        raise Invalid.field(["file"], "the file is empty")
    sheet = (
        _read_csv(content, expected)
        if file_format is ImportFormat.csv
        else _read_xlsx(content, expected)
    )
    if not sheet.rows:
        raise Invalid.field(
            ["file"], f"the file has a header row but no {expected.records} below it"
        )
    return sheet


def _is_blank(cells: list[Any] | tuple[Any, ...]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _collect(sheet: Sheet, numbered_rows: Iterator[tuple[int, Any]], expected: Expected) -> Sheet:
    for number, cells in numbered_rows:
        if _is_blank(cells):
            continue
        if len(sheet.rows) == expected.max_rows:
            raise Invalid.field(
                ["file"],
                f"the file has more than {expected.max_rows:,} {expected.records}; split it "
                f"into files of at most {expected.max_rows:,} rows",
            )
        sheet.rows.append((number, list(cells)))
    return sheet


def _read_csv(content: bytes, expected: Expected) -> Sheet:
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
            expected,
        )
    except csv.Error as exc:
        raise Invalid.field(
            ["file", "row", reader.line_num], f"not readable as CSV: {exc}"
        ) from None


def _read_xlsx(content: bytes, expected: Expected) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise Invalid.field(["file"], "the workbook is damaged; save it again as .xlsx") from None
    if unpacked > expected.max_unpacked_bytes:
        raise ContentTooLarge(
            f"the workbook unpacks to {unpacked // 2**20} MB; {expected.document} needs far "
            f"less. Copy the {expected.records} into a new workbook."
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

            def numbered() -> Iterator[tuple[int, Any]]:
                for number, cells in enumerate(rows, start=2):
                    if number > EXCEL_MAX_ROW:
                        raise Invalid.field(["file"], "the sheet runs past Excel's last row")
                    yield number, cells

            return _collect(sheet, numbered(), expected)
        except (Invalid, ContentTooLarge):
            raise
        except Exception:
            raise Invalid.field(
                ["file"], "the workbook's first sheet cannot be read; save it again as .xlsx"
            ) from None
    finally:
        workbook.close()


# --- cells and headers ------------------------------------------------------------------------


def normal_header(header: str) -> str:
    """Headers match case-insensitively, with `_`, `-` and spaces alike."""
    return re.sub(r"[\s_\-]+", " ", header).strip(" :*").casefold()


def cell_text(cell: Any) -> str | None:
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


def find_columns(
    header: list[Any],
    fields: dict[str, str],
    required: Iterable[str],
    label: Callable[[str], str],
    errors: "ImportErrors",
) -> tuple[dict[str, int], list[str]]:
    """Each field's column index, found by its header (`fields`: normal header -> field), and
    the headers of the columns nobody asked for. A repeated or missing required column is a
    row-1 error."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if text is None:
            continue
        name = fields.get(normal_header(text))
        if name is None:
            ignored.append(text)
        elif name in found:
            errors.row(
                1,
                name,
                f"two columns hold {label(name)}: column {found[name] + 1} and column "
                f"{index + 1}; keep one",
            )
        else:
            found[name] = index
    for name in required:
        if name not in found:
            errors.row(1, name, f"missing column {label(name)}", "missing")
    return found, ignored


def shown(cell: Any) -> str:
    """The cell as quoted in a message, cut short."""
    text = cell_text(cell) or ""
    return text if len(text) <= 40 else text[:37] + "..."


def model_message(error: Any) -> str:
    """A pydantic error's message as a row report says it."""
    if error["type"] == "missing":
        return "is empty"
    return str(error["msg"]).removeprefix("Value error, ")


# --- reporting --------------------------------------------------------------------------------


class ImportErrors:
    """Every problem found in a file, raised together as one 422."""

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
