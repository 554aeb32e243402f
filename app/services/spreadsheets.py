"""Reading uploaded spreadsheets (CSV or XLSX) for the all-or-nothing imports, and reporting
every bad row and column of them in one 422.

The first row of the file (or of the workbook's first sheet) holds the column headers; every
other non-blank row is one record, numbered as the spreadsheet shows it (header = row 1).
"""

import csv
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import IO, Any
from xml.parsers import expat

from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum

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
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception:
        raise Invalid.field(
            ["file"], "the workbook cannot be read; save it again as .xlsx"
        ) from None
    with workbook:
        names = [s.name for s in workbook.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
        if not names:
            raise Invalid.field(["file"], "the workbook has no sheet")
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                height, width, errors = _scan_sheet(archive.open(_sheet_member(archive, names[0])))
            # Room for every row the import takes, MAX_COLUMNS wide.
            if height * width > (expected.max_rows + 1) * MAX_COLUMNS:
                raise ContentTooLarge(
                    f"the first sheet spans {height:,} rows by {width:,} columns, far "
                    f"more than {expected.document} needs. Delete the cells below or to the "
                    f"right of the {expected.records} (Ctrl+End in Excel goes to the last one), "
                    f"or copy the {expected.records} into a new workbook."
                )
            rows = _xlsx_rows(workbook.get_sheet_by_name(names[0]), errors)
            header = next(rows, None)
            if header is None or _is_blank(header):
                raise Invalid.field(
                    ["file", "row", 1], "row 1 of the first sheet must hold the column headers"
                )
            sheet = Sheet(ImportFormat.xlsx, header)

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


def _sheet_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The part holding sheet `name`, found as calamine finds it: through xl/workbook.xml and
    its relationships, the part's name matched ignoring case and with `\\` for `/`."""

    def elements(path: str, local_name: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        parser = expat.ParserCreate()
        parser.StartElementHandler = lambda tag, attrs: (
            found.append(attrs) if tag.rpartition(":")[2] == local_name else None
        )
        parser.Parse(archive.read(_member(archive, path)), True)
        return found

    sheet = next(a for a in elements("xl/workbook.xml", "sheet") if a.get("name") == name)
    rel_id = sheet.get("r:id") or sheet.get("relationships:id")
    target = next(
        a["Target"]
        for a in elements("xl/_rels/workbook.xml.rels", "Relationship")
        if a.get("Id") == rel_id
    )
    if target.startswith("/xl/"):
        target = target[1:]
    elif not target.startswith("xl/"):
        target = f"xl/{target}"
    return _member(archive, target)


def _member(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo:
    # Exactly one: of two, the part checked might not be the one calamine reads.
    (member,) = [
        info
        for info in archive.infolist()
        if info.filename.replace("\\", "/").lower() == path.lower()
    ]
    return member


def _scan_sheet(xml: IO[bytes]) -> tuple[int, int, dict[int, dict[int, str]]]:
    """Walk a sheet's XML as calamine does, for what python-calamine does not tell:
    - how many rows and columns its cells reach (from A1 to the last cell with a value):
      calamine holds a sheet as one dense grid of 32-byte cells (calamine issue 693), so a few
      bytes naming cell XFD1048576 would have it allocate 550 GB and abort the process;
    - the text of each cell holding an Excel error (#N/A, #REF!...), by row and column:
      python-calamine reads those as empty cells, openpyxl read their text.
    Its handlers run once per element, millions of times for the whole country: kept lean."""
    parser = expat.ParserCreate()
    height = width = 0
    errors: dict[int, dict[int, str]] = {}
    row = -1  # of the current <row>; one without `r` follows the one before
    next_column = 0  # for a <c> without `r`
    cell_row = cell_column = 0
    is_error = False
    depth = 0  # in a <c>: calamine reads its <v> or <is> and skips whatever they hold
    text: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal row, next_column, cell_row, cell_column, is_error, depth
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "c":
            reference = attrs.get("r")
            if reference is None:
                cell_row, cell_column = row, next_column
            else:
                letters = reference.rstrip("0123456789")
                cell_row, cell_column = int(reference[len(letters) :]) - 1, _column(letters)
            next_column = cell_column + 1
            is_error = attrs.get("t") == "e"
            depth = 0
            parser.StartElementHandler = start_in_cell
            parser.EndElementHandler = end_in_cell
        elif tag == "row":
            row = int(attrs["r"]) - 1 if "r" in attrs else row + 1
            next_column = 0

    def start_in_cell(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, height, width
        depth += 1
        if depth == 1 and (tag := tag.rpartition(":")[2]) in ("v", "is"):
            if cell_row >= height:
                height = cell_row + 1
            if cell_column >= width:
                width = cell_column + 1
            if is_error and tag == "v":
                text.clear()
                parser.CharacterDataHandler = text.append

    def end_in_cell(tag: str) -> None:
        nonlocal depth
        if depth == 0:  # the cell's own end
            parser.StartElementHandler = start
            parser.EndElementHandler = None
            return
        depth -= 1
        if depth == 0 and parser.CharacterDataHandler is not None:
            parser.CharacterDataHandler = None
            if text:  # calamine reads an empty one as an empty cell
                errors.setdefault(cell_row, {})[cell_column] = "".join(text)

    parser.StartElementHandler = start
    with xml:
        parser.ParseFile(xml)
    return height, width, errors


@functools.cache
def _column(letters: str) -> int:
    """The column from 0 named by `letters` (A, B, ..., XFD); ValueError if it is none."""
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise ValueError(f"not a column: {letters!r}")
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column - 1


def _xlsx_rows(worksheet: CalamineSheet, errors: dict[int, dict[int, str]]) -> Iterator[list[Any]]:
    """Each row from row 1, its first MAX_COLUMNS cells valued as openpyxl valued them.
    calamine yields the rows above its first cell (as empty rows) but not the columns left of
    it; its grid covers the error cells."""
    first_column = worksheet.start[1] if worksheet.start else 0
    for row, values in enumerate(worksheet.iter_rows()):
        cells = [None] * first_column + [_cell(value) for value in values]
        for column, text in errors.get(row, {}).items():
            cells[column] = text
        yield cells[:MAX_COLUMNS]


def _cell(value: Any) -> Any:
    """A calamine value as openpyxl gave it: None for an empty cell, a whole number as int
    (calamine reads every number as float), a date as datetime at midnight."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is date:
        return datetime.combine(value, time())
    return value


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
