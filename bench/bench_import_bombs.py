"""Workbook bombs against the cooperative import: small uploads that unpack to, or make
python-calamine hold, far more than they look. Each must be refused without the worker's memory
growing much.

Each bomb is posted to `POST /api/v1/cooperatives/import` on a newly started single-worker
server (so that its peak is its own), on a fresh PostgreSQL database (KOPDES_BENCH_POSTGRES_URL,
default the local cluster; dropped and recreated) holding the Kemendagri regions. For each it
prints the upload's size, the answer's status and the start of its message, the worker's
resident memory before the upload (VmRSS) and its peak after it (VmHWM, /proc/<pid>/status).
Last, the national import file of bench_national.py (83,762 cooperatives), which must still be
accepted: its status, time and peak.

    .venv/bin/python bench/bench_import_bombs.py [--skip-national]
"""

import argparse
import io
import os
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator

import httpx
from bench_national import PORT, fresh, memory_kb, national_rows, token, xlsx_file
from common import serve

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/kopdes_bench_bombs"
MB = 2**20
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"</Types>"
)
PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="xl/workbook.xml" '
    b'Type="' + RELATIONSHIPS + b'/officeDocument"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="' + MAIN + b'" xmlns:r="' + RELATIONSHIPS + b'"><sheets>'
    b'<sheet name="Koperasi" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    b'Type="' + RELATIONSHIPS + b'/worksheet"/>'
    b'<Relationship Id="rId2" Target="sharedStrings.xml" '
    b'Type="' + RELATIONSHIPS + b'/sharedStrings"/></Relationships>'
)
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + MAIN + b'"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Nama Koperasi</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Kode Desa</t></is></c></row>'
)
SHEET_END = b"</sheetData></worksheet>"
STRINGS_START = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + MAIN + b'">'
STRINGS_END = b"</sst>"
SHEET = "xl/worksheets/sheet1.xml"


def workbook(
    sheet: Iterable[bytes],
    shared_strings: Iterable[bytes] | None = None,
    styles: bytes | None = None,
) -> bytes:
    """An XLSX whose first sheet and shared strings are written from these chunks, streamed
    into the zip (a bomb never sits whole in this process either)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        for name, chunks in ((SHEET, sheet), ("xl/sharedStrings.xml", shared_strings)):
            if chunks is not None:
                with archive.open(name, "w") as part:
                    for chunk in chunks:
                        part.write(chunk)
    return buffer.getvalue()


def repeat(chunk: bytes, times: int) -> Iterator[bytes]:
    for _ in range(times):
        yield chunk


def huge_shared_string(megabytes: int) -> bytes:
    return workbook(
        [SHEET_START, b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', SHEET_END],
        [STRINGS_START, b"<si><t>", *repeat(b"a" * MB, megabytes), b"</t></si>", STRINGS_END],
    )


def huge_inline_string(megabytes: int) -> bytes:
    return workbook(
        [
            SHEET_START,
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>',
            *repeat(b"a" * MB, megabytes),
            b"</t></is></c></row>",
            SHEET_END,
        ]
    )


def lying_directory(content: bytes, declared: int, *, crc_of_what_is_declared: bool) -> bytes:
    """`content` with its sheet declared `declared` bytes long, in its local header and in the
    zip's central directory; its CRC left as it is (that of the whole part), or made that of
    the first `declared` bytes, so that a reader stopping there finds it right."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(SHEET)
        with archive.open(info) as part:
            crc = zlib.crc32(part.read(declared)) if crc_of_what_is_declared else info.CRC
    data = bytearray(content)
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    entry = data.index(b"PK\x01\x02")  # the central directory's entries
    while data[entry + 46 : entry + 46 + len(SHEET)] != SHEET.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 16, crc)
    struct.pack_into("<I", data, entry + 24, declared)
    return bytes(data)


def many_cells(rows: int, columns: int) -> bytes:
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    return workbook([SHEET_START, *repeat(row, rows), SHEET_END])


def one_string_in_many_cells(cells: int, length: int) -> bytes:
    row = b'<row><c t="s"><v>0</v></c><c t="s"><v>0</v></c></row>'
    return workbook(
        [SHEET_START, *repeat(row, cells // 2), SHEET_END],
        [STRINGS_START, b"<si><t>", b"a" * length, b"</t></si>", STRINGS_END],
    )


def far_dimension() -> bytes:
    return workbook(
        [SHEET_START, b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', SHEET_END]
    )


def declared_string_count(count: int) -> bytes:
    return workbook(
        [SHEET_START, SHEET_END],
        [STRINGS_START.replace(b"<sst ", f'<sst uniqueCount="{count}" '.encode()), STRINGS_END],
    )


def empty_shared_strings(count: int) -> bytes:
    return workbook(
        [SHEET_START, SHEET_END],
        [STRINGS_START, *repeat(b"<si/>" * 100_000, count // 100_000), STRINGS_END],
    )


def number_formats(count: int) -> bytes:
    formats = b"".join(
        b'<numFmt numFmtId="%d" formatCode="0.00"/>' % (200 + n) for n in range(count)
    )
    return workbook(
        [SHEET_START, SHEET_END],
        styles=b'<?xml version="1.0"?><styleSheet xmlns="'
        + MAIN
        + b'"><numFmts>'
        + formats
        + b'</numFmts><cellXfs><xf numFmtId="0"/></cellXfs></styleSheet>',
    )


def opendocument_named_xlsx(megabytes: int) -> bytes:
    office = b"urn:oasis:names:tc:opendocument:xmlns"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        with archive.open("content.xml", "w") as content:
            content.write(
                b'<office:document-content xmlns:office="' + office + b':office:1.0" '
                b'xmlns:table="' + office + b':table:1.0" xmlns:text="' + office + b':text:1.0" '
                b'office:version="1.2"><office:body><office:spreadsheet><table:table '
                b'table:name="S"><table:table-row><table:table-cell office:value-type="string">'
                b"<text:p>"
            )
            for chunk in repeat(b"a" * MB, megabytes):
                content.write(chunk)
            content.write(
                b"</text:p></table:table-cell></table:table-row></table:table>"
                b"</office:spreadsheet></office:body></office:document-content>"
            )
    return buffer.getvalue()


def huge_comment(megabytes: int) -> bytes:
    # A `<` every few bytes, so that no run between two `<` is long.
    return workbook(
        [SHEET_START, b"<!--", *repeat(b"<a>" * (MB // 3), megabytes), b"-->", SHEET_END]
    )


BOMBS: list[tuple[str, Callable[[], bytes]]] = [
    ("one 400 MB shared string", lambda: huge_shared_string(400)),
    ("one 200 MB shared string (within the unpacked cap)", lambda: huge_shared_string(200)),
    ("one 400 MB inline string", lambda: huge_inline_string(400)),
    ("one 200 MB inline string (within the unpacked cap)", lambda: huge_inline_string(200)),
    (
        "lying zip directory: a 400 MB sheet declared 4 KB, its CRC that of the whole",
        lambda: lying_directory(huge_inline_string(400), 4096, crc_of_what_is_declared=False),
    ),
    (
        "lying zip directory: a 400 MB sheet declared 4 KB, its CRC that of those 4 KB",
        lambda: lying_directory(huge_inline_string(400), 4096, crc_of_what_is_declared=True),
    ),
    ("many cells: 100,000 rows by 100 columns", lambda: many_cells(100_000, 100)),
    (
        "many cells: 1,000,000 naming one 32,000-character string",
        lambda: one_string_in_many_cells(1_000_000, 32_000),
    ),
    ("a sheet reaching cell XFD1048576", far_dimension),
    ("shared strings declaring 4,000,000,000 strings", lambda: declared_string_count(4 * 10**9)),
    ("10,000,000 empty shared strings", lambda: empty_shared_strings(10_000_000)),
    ("1,000,000 number formats in the styles", lambda: number_formats(1_000_000)),
    ("a 200 MB XML comment in the sheet", lambda: huge_comment(200)),
    (
        "an OpenDocument spreadsheet named .xlsx, holding a 200 MB string",
        lambda: opendocument_named_xlsx(200),
    ),
]


def post(base: str, bearer: dict[str, str], content: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/cooperatives/import",
        headers=bearer,
        files={"file": ("koperasi.xlsx", content, XLSX_MEDIA_TYPE)},
        timeout=600,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-national", action="store_true", help="Leave out the national file.")
    args = parser.parse_args()
    url = os.environ.get("KOPDES_BENCH_POSTGRES_URL", DEFAULT_URL)
    fresh(url)
    # Logging in hashes the password with Argon2id (64 MiB), which would set the peak by itself:
    # the token comes from another server.
    with serve(url, PORT, 1) as (base, _):
        bearer = {"Authorization": f"Bearer {token(base)}"}
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'bomb':76} {'upload':>9} status  worker RSS before -> peak")
    for name, build in BOMBS:
        content = build()
        with serve(url, PORT, 1) as (base, pid):
            httpx.get(f"{base}/api/v1/auth/me", headers=bearer)
            before = memory_kb(pid)["VmRSS"]
            response = post(base, bearer, content)
            peak = memory_kb(pid)["VmHWM"]
            registry = httpx.get(f"{base}/api/v1/cooperatives", headers=bearer).json()["items"]
        detail = response.json().get("detail", "")
        print(
            f"{name:76} {len(content) / 1024:7.0f} KB   {response.status_code}   "
            f"{before / 1024:4.0f} MB -> {peak / 1024:4.0f} MB"
            f"{'  (cooperatives written!)' if registry else ''}\n    {detail[:150]}"
        )
    if args.skip_national:
        return
    content = xlsx_file(national_rows())
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    with serve(url, PORT, 1) as (base, pid):
        httpx.get(f"{base}/api/v1/auth/me", headers=bearer)
        before = memory_kb(pid)["VmRSS"]
        started = time.perf_counter()
        response = post(base, bearer, content)
        elapsed = time.perf_counter() - started
        peak = memory_kb(pid)["VmHWM"]
    print(
        f"national file: {len(content) / MB:.1f} MB, unpacking to {unpacked / MB:.1f} MB: "
        f"{response.status_code} in {elapsed:.1f} s; worker RSS {before / 1024:.0f} MB -> peak "
        f"{peak / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
