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
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from xml.parsers import expat

from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum

from app.errors import N_, AppError, Invalid

# Columns past this one are not read at all.
MAX_COLUMNS = 100

# A workbook is checked as it unpacks, before python-calamine reads any of it: calamine holds what
# it reads in memory, often at many times its size, and a few kilobytes of zip can unpack to
# gigabytes. Python's zipfile and calamine's zip reader both stop at a part's declared size, and
# zipfile checks the part's CRC as it reads it.
#
# What a workbook may unpack to, for every import. The whole country's registry export (83,762
# cooperatives, every column) unpacks to 119 MB; bench/bench_national.py's import file to 67 MB.
MAX_UNPACKED_BYTES = 256 * 2**20
# calamine reads the list of sheets, the styles and their relationships whole as it opens a
# workbook, at up to 8 times their size in memory; real ones take kilobytes, at most a megabyte
# or two.
MAX_WORKBOOK_PARTS_BYTES = 8 * 2**20
WORKBOOK_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
# The parts by which calamine, failing to open a workbook as XLSX, would read it as OpenDocument
# or XLSB instead, none of it checked.
FOREIGN_PARTS = {"content.xml", "xl/workbook.bin"}
# calamine holds a sheet as a grid of 32-byte cells from its first to its last cell with a value
# (calamine issue 693): room for 100,000 rows by 30 columns.
MAX_CELLS = 3_000_000
# The text calamine holds for the shared strings, and then (with Python) for the first sheet's
# cells, where a shared string is copied into every cell that uses it. Counted as the XML holds
# it, markup included, with 32 bytes more for each shared string: the whole country's registry
# export as Excel saves it counts 35 MB of shared strings and 46 MB in its cells.
MAX_TEXT_BYTES = 64 * 2**20
_STRING_OVERHEAD_BYTES = 32
# The most XML between two `<`: a cell at Excel's limit of 32,767 characters, each written as a
# character reference (up to 10 bytes, `&#x10FFFF;`). An XML parser holds such a run whole.
MAX_XML_RUN_BYTES = 32_767 * 10
_UNPACK_CHUNK_BYTES = 64 * 1024
EXCEL_MAX_ROW = 1_048_576
# Errors quoted in the problem's `detail`; `errors` always holds all of them.
DETAIL_ERRORS = 5

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPES = {"text/csv", "application/csv", "text/comma-separated-values"}


class ContentTooLarge(AppError):
    status_code = 413
    slug = "payload-too-large"
    title = N_("Payload too large")


class UnsupportedMediaType(AppError):
    status_code = 415
    slug = "unsupported-media-type"
    title = N_("Unsupported media type")


# A refused file's detail: how many rows are wrong, then the first errors as they are (all are
# under `errors`); by which rows, and whether there are more errors than those quoted.
_IMPORT_REFUSED = {
    ("none", False): N_(
        "the file cannot be imported; nothing was written. Fix and send the whole file "
        "again. {quoted}"
    ),
    ("none", True): N_(
        "the file cannot be imported; nothing was written. Fix and send the whole file "
        "again. {quoted} (and {more} more under `errors`)"
    ),
    ("one", False): N_(
        "1 row cannot be imported; nothing was written. Fix and send the whole file again. {quoted}"
    ),
    ("one", True): N_(
        "1 row cannot be imported; nothing was written. Fix and send the whole file "
        "again. {quoted} (and {more} more under `errors`)"
    ),
    ("many", False): N_(
        "{count} rows cannot be imported; nothing was written. Fix and send the whole "
        "file again. {quoted}"
    ),
    ("many", True): N_(
        "{count} rows cannot be imported; nothing was written. Fix and send the whole "
        "file again. {quoted} (and {more} more under `errors`)"
    ),
}


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
            "the file is {size_mb:.1f} MB; the limit is {limit_mb} MB. Split it into smaller "
            "files.",
            params={"size_mb": len(content) / 2**20, "limit_mb": expected.max_bytes // 2**20},
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
            "a .{extension} file cannot be read; save it as .xlsx (Excel workbook) or .csv",
            params={"extension": extension},
        )
    elif media_type == XLSX_MEDIA_TYPE:
        declared = ImportFormat.xlsx
    elif media_type in CSV_MEDIA_TYPES:
        declared = ImportFormat.csv
    else:
        raise UnsupportedMediaType(
            "send {expected_document} as a .csv or .xlsx file (the file name's extension, or a "
            "content type of text/csv or {XLSX_MEDIA_TYPE})",
            params={"expected_document": expected.document, "XLSX_MEDIA_TYPE": XLSX_MEDIA_TYPE},
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
            ["file"],
            "the file has a header row but no {expected_records} below it",
            params={"expected_records": expected.records},
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
                "the file has more than {expected_max_rows:,} {expected_records}; split it into "
                "files of at most {expected_max_rows:,} rows",
                params={
                    "expected_max_rows": expected.max_rows,
                    "expected_records": expected.records,
                },
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
            ["file", "row", reader.line_num], "not readable as CSV: {exc}", params={"exc": exc}
        ) from None


def _read_xlsx(content: bytes, expected: Expected) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_parts(archive, expected)
            shared_strings = _shared_string_sizes(archive, expected)
    except (ContentTooLarge, Invalid):
        raise
    except Exception:  # not a zip, a bad CRC, XML that is not well-formed...
        raise Invalid.field(["file"], "the workbook is damaged; save it again as .xlsx") from None
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
                errors = _scan_sheet(
                    archive, _sheet_member(archive, names[0]), shared_strings, expected
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


def _check_parts(archive: zipfile.ZipFile, expected: Expected) -> None:
    if any(_part_name(info) in FOREIGN_PARTS for info in archive.infolist()):
        raise Invalid.field(
            ["file"], "this is not an Excel .xlsx workbook (an .ods or .xlsb?); save it as .xlsx"
        )
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ContentTooLarge(
            "the workbook unpacks to {unpacked_mb:,} MB; a workbook may unpack to at most "
            "{limit_mb} MB, and {expected_records} take far less. Copy the {expected_records} into"
            " a new workbook.",
            params={
                "unpacked_mb": unpacked // 2**20,
                "limit_mb": MAX_UNPACKED_BYTES // 2**20,
                "expected_records": expected.records,
            },
        )
    parts = sum(info.file_size for info in archive.infolist() if _part_name(info) in WORKBOOK_PARTS)
    if parts > MAX_WORKBOOK_PARTS_BYTES:
        raise ContentTooLarge(
            "the workbook's list of sheets and styles unpack to {size_mb:.1f} MB; real ones take "
            "far less. Copy the {expected_records} into a new workbook.",
            params={"size_mb": parts / 2**20, "expected_records": expected.records},
        )


def _shared_string_sizes(archive: zipfile.ZipFile, expected: Expected) -> Sequence[int]:
    """The size in bytes of each shared string as written (at least its length), in order.
    calamine reads them all as it opens a workbook, after reserving room for as many as the
    table declares (a few bytes declaring four billion would have it abort the process)."""
    sizes = array("I")
    member = _member(archive, "xl/sharedStrings.xml")
    if member is None:
        return sizes
    parser = expat.ParserCreate()
    started = 0
    total = 0

    def too_large(what: str) -> ContentTooLarge:
        return ContentTooLarge(
            "the workbook's table of shared strings {what}, far more than {expected_records} take."
            " Copy the {expected_records} into a new workbook.",
            params={"what": what, "expected_records": expected.records},
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal started
        tag = tag.rpartition(":")[2]
        if tag == "si":
            started = parser.CurrentByteIndex
        elif tag == "sst":
            declared = max(int(attrs.get("count", 0)), int(attrs.get("uniqueCount", 0)))
            if declared * _STRING_OVERHEAD_BYTES > MAX_TEXT_BYTES:
                raise too_large(f"declares {declared:,} strings")

    def end(tag: str) -> None:
        nonlocal total
        if tag.rpartition(":")[2] == "si":
            sizes.append(parser.CurrentByteIndex - started)
            total += sizes[-1] + _STRING_OVERHEAD_BYTES
            if total > MAX_TEXT_BYTES:
                raise too_large(f"holds more than {MAX_TEXT_BYTES // 2**20} MB of text")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse(parser, archive, member, expected)
    return sizes


def _parse(
    parser: Any, archive: zipfile.ZipFile, member: zipfile.ZipInfo, expected: Expected
) -> None:
    """Feed the part to `parser` as it unpacks, refusing XML that would have a parser (this one,
    then calamine's) hold much of it at once: a run of more than MAX_XML_RUN_BYTES between two
    `<`, and the markup that can hide one (comments, CDATA sections, document types, processing
    instructions but the XML declaration), which spreadsheet programs do not write."""
    run = 0  # bytes since the last `<`
    last = b""  # the chunk before's last byte, for markup cut in two
    with archive.open(member) as part:
        while chunk := part.read(_UNPACK_CHUNK_BYTES):
            window = last + chunk
            # NUL: a part in UTF-16, where these checks would not find the markup.
            if b"<!" in window or window.find(b"<?", 0 if last else 4) >= 0 or b"\0" in chunk:
                raise Invalid.field(
                    ["file"],
                    "the workbook's {member_filename} holds XML that spreadsheet programs do not "
                    "write (a comment, CDATA section, document type, processing instruction, or "
                    "UTF-16 text); save it again as .xlsx",
                    params={"member_filename": member.filename},
                )
            # A chunk is shorter than the limit: only a run through chunks can pass it.
            first = chunk.find(b"<")
            longest = run + (len(chunk) if first < 0 else first)
            run = longest if first < 0 else len(chunk) - chunk.rfind(b"<") - 1
            if longest > MAX_XML_RUN_BYTES:
                raise ContentTooLarge(
                    "the workbook's {member_filename} holds a cell (or other text) longer than "
                    "Excel's limit of 32,767 characters. Copy the {expected_records} into a new "
                    "workbook.",
                    params={
                        "member_filename": member.filename,
                        "expected_records": expected.records,
                    },
                )
            parser.Parse(chunk, False)
            last = chunk[-1:]
    parser.Parse(b"", True)


def _sheet_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The part holding sheet `name`, found as calamine finds it: through xl/workbook.xml and
    its relationships (both small: see MAX_WORKBOOK_PARTS_BYTES)."""

    def elements(path: str, local_name: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        parser = expat.ParserCreate()
        parser.StartElementHandler = lambda tag, attrs: (
            found.append(attrs) if tag.rpartition(":")[2] == local_name else None
        )
        parser.Parse(archive.read(_required(archive, path)), True)
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
    return _required(archive, target)


def _part_name(info: zipfile.ZipInfo) -> str:
    """A part's name as calamine matches it: ignoring case, with `\\` for `/`."""
    return info.filename.replace("\\", "/").lower()


def _member(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo | None:
    """The part at `path`, if there is one. Two are an error: the one checked might not be the
    one calamine reads."""
    found = [info for info in archive.infolist() if _part_name(info) == path.lower()]
    if len(found) > 1:
        raise ValueError(f"two parts are named {path}")
    return found[0] if found else None


def _required(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo:
    member = _member(archive, path)
    if member is None:
        raise ValueError(f"no part is named {path}")
    return member


def _scan_sheet(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    shared_strings: Sequence[int],
    expected: Expected,
) -> dict[int, dict[int, str]]:
    """Walk a sheet's XML as calamine does, before calamine reads it, refusing a sheet that
    would have calamine hold far more than the import needs:
    - more than MAX_CELLS from A1 to its last cell with a value: calamine holds a sheet as one
      dense grid, so a few bytes naming cell XFD1048576 would have it allocate 550 GB;
    - more than MAX_TEXT_BYTES of text in its cells, each shared string counted in every cell
      that uses it (calamine copies it into each: a million cells could name one string of
      32,767 characters).
    Returns the text of each cell holding an Excel error (#N/A, #REF!...), by row and column:
    python-calamine reads those as empty cells, openpyxl read their text.
    Its handlers run once per element, millions of times for the whole country: kept lean."""
    parser = expat.ParserCreate()
    height = width = 0
    text_bytes = 0
    errors: dict[int, dict[int, str]] = {}
    row = -1  # of the current <row>; one without `r` follows the one before
    next_column = 0  # for a <c> without `r`
    cell_row = cell_column = 0
    cell_type: str | None = None
    depth = 0  # in a <c>: calamine reads its <v> or <is> and skips whatever they hold
    value_at = -1  # where the cell's <v> or <is> starts; -1 out of one
    text: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal row, next_column, cell_row, cell_column, cell_type, depth
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
            cell_type = attrs.get("t")
            depth = 0
            parser.StartElementHandler = start_in_cell
            parser.EndElementHandler = end_in_cell
        elif tag == "row":
            row = int(attrs["r"]) - 1 if "r" in attrs else row + 1
            next_column = 0

    def start_in_cell(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, height, width, value_at
        depth += 1
        if depth == 1 and (tag := tag.rpartition(":")[2]) in ("v", "is"):
            if cell_row >= height or cell_column >= width:
                height, width = max(height, cell_row + 1), max(width, cell_column + 1)
                if height * width > MAX_CELLS:
                    raise ContentTooLarge(
                        "the first sheet spans {height:,} rows by {width:,} columns or more, far "
                        "more than {expected_records} take. Delete the cells below or to the right"
                        " of the {expected_records} (Ctrl+End in Excel goes to the last one), or "
                        "copy the {expected_records} into a new workbook.",
                        params={
                            "height": height,
                            "width": width,
                            "expected_records": expected.records,
                        },
                    )
            value_at = parser.CurrentByteIndex
            if tag == "v" and cell_type in ("e", "s"):
                text.clear()
                parser.CharacterDataHandler = text.append

    def end_in_cell(tag: str) -> None:
        nonlocal depth, text_bytes, value_at
        if depth == 0:  # the cell's own end
            parser.StartElementHandler = start
            parser.EndElementHandler = None
            return
        depth -= 1
        if depth or value_at < 0:
            return
        if parser.CharacterDataHandler is None:
            text_bytes += parser.CurrentByteIndex - value_at
        else:
            parser.CharacterDataHandler = None
            value = "".join(text)
            if cell_type == "s":
                try:
                    size = shared_strings[int(value)]
                except (ValueError, IndexError):  # no such string: calamine will say so
                    size = 0
                text_bytes += size
            elif value:  # calamine reads an empty error as an empty cell
                errors.setdefault(cell_row, {})[cell_column] = value
        value_at = -1
        if text_bytes > MAX_TEXT_BYTES:
            raise ContentTooLarge(
                "the first sheet's cells hold more than {limit_mb} MB of text, far more than "
                "{expected_records} take. Copy the {expected_records} into a new workbook.",
                params={"limit_mb": MAX_TEXT_BYTES // 2**20, "expected_records": expected.records},
            )

    parser.StartElementHandler = start
    _parse(parser, archive, member, expected)
    return errors


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
                "two columns hold {column}: column {first} and column {second}; keep one",
                column=label(name),
                first=found[name] + 1,
                second=index + 1,
            )
        else:
            found[name] = index
    for name in required:
        if name not in found:
            errors.row(1, name, "missing column {column}", "missing", column=label(name))
    return found, ignored


def shown(cell: Any) -> str:
    """The cell as quoted in a message, cut short."""
    text = cell_text(cell) or ""
    return text if len(text) <= 40 else text[:37] + "..."


def model_message(error: Any) -> str:
    """A pydantic error's message as a row report says it."""
    if error["type"] == "missing":
        return N_("is empty")
    return str(error["msg"]).removeprefix("Value error, ")


# --- reporting --------------------------------------------------------------------------------


class ImportErrors:
    """Every problem found in a file, raised together as one 422.

    Each problem's message is a catalog message with its values as `{fields}` in `params` (never
    an f-string), and `found` the cell as written, if it is quoted: `said` puts it in a reader's
    language. The problem's `errors` give it in English (`msg`)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def query(self, name: str, msg: str, type_: str = "value_error", **params: Any) -> None:
        """A problem with the query parameter `name`, which applies to the whole file."""
        self._add(["query", name], msg, type_, None, params)

    def row(
        self,
        number: int,
        name: str,
        msg: str,
        type_: str = "value_error",
        *,
        found: str | None = None,
        **params: Any,
    ) -> None:
        self._add(["file", "row", number, name], msg, type_, found, params)

    def _add(
        self,
        loc: list[str | int],
        msg: str,
        type_: str,
        found: str | None,
        params: dict[str, Any],
    ) -> None:
        problem = {"message": msg, "params": params, "found": found}
        self.items.append({"loc": loc, "msg": said(problem, _as_written), "type": type_, **problem})

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
        rows = "none" if not bad_rows else "one" if len(bad_rows) == 1 else "many"
        counted: dict[str, Any] = {"rows_read": rows_read} if rows_read is not None else {}
        raise Invalid(
            _IMPORT_REFUSED[rows, more > 0],
            params={"count": len(bad_rows), "quoted": quoted, "more": more},
            errors=self.items,
            bad_rows=bad_rows,
            **counted,
        )


def said(problem: Mapping[str, Any], translate: Callable[[str], str]) -> str:
    """A file's problem (an `ImportErrors` item) in the words `translate` gives it."""
    words = translate(problem["message"])
    if problem.get("params"):  # a message without values may hold braces of its own (a pattern)
        words = words.format_map(problem["params"])
    if problem.get("found") is not None:
        words += translate(N_(" (found {found})")).format(found=repr(problem["found"]))
    return words


def _as_written(message: str) -> str:
    return message
