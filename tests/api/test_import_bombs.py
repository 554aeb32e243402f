"""Workbooks that unpack to, or would have python-calamine hold, far more than they look are
refused before calamine reads them: a 413 (or a 422 for XML no spreadsheet program writes)
saying what is wrong, and nothing written. bench/bench_import_bombs.py measures the worker's
memory on the full-size ones."""

import io
import zipfile
from collections.abc import Callable, Iterable

import pytest

from tests.api.test_cooperative_import import registry, upload
from tests.factories import TABANG_VILLAGE, assert_problem

MB = 2**20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama Koperasi</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Kode Desa</t></is></c></row>'
)


def workbook(
    rows: Iterable[bytes] = (),
    shared_strings: list[bytes] | None = None,
    styles: bytes | None = None,
    strings_start: bytes = b"",
) -> bytes:
    """An XLSX written part by part: its first sheet's rows after the header, and the shared
    strings' <si> elements."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
            '<sheet name="Koperasi" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        if shared_strings is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                b"".join([strings_start or f'<sst xmlns="{MAIN}">'.encode(), *shared_strings])
                + b"</sst>",
            )
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}'.encode())
            for row in rows:
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def repeat(chunk: bytes, times: int) -> Iterable[bytes]:
    return (chunk for _ in range(times))


def a_cooperative(name: bytes = b"KDMP Gunung Sari") -> bytes:
    return (
        b'<row><c t="inlineStr"><is><t>' + name + b"</t></is></c>"
        b'<c t="inlineStr"><is><t>' + TABANG_VILLAGE.encode() + b"</t></is></c></row>"
    )


def opendocument(text: bytes) -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "content.xml",
            f'<office:document-content xmlns:office="{office}:office:1.0" '
            f'xmlns:table="{office}:table:1.0" xmlns:text="{office}:text:1.0" '
            'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S">'
            '<table:table-row><table:table-cell office:value-type="string"><text:p>'.encode()
            + text
            + b"</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
            b"</office:body></office:document-content>",
        )
    return buffer.getvalue()


# name: (the workbook, the status, what the message says)
BOMBS: dict[str, tuple[Callable[[], bytes], int, str]] = {
    # 257 MB of empty rows: calamine would read them all.
    "unpacking past the cap": (
        lambda: workbook([a_cooperative(), *repeat(b"<row/>" * (MB // 6), 257)]),
        413,
        "a workbook may unpack to at most 256 MB",
    ),
    "an inline string longer than Excel's cells": (
        lambda: workbook([a_cooperative(b"K" * 400_000)]),
        413,
        "longer than Excel's limit of 32,767 characters",
    ),
    "a shared string longer than Excel's cells": (
        lambda: workbook(
            [b'<row><c t="s"><v>0</v></c></row>'],
            [b"<si><t>" + b"K" * 400_000 + b"</t></si>"],
        ),
        413,
        "xl/sharedStrings.xml holds a cell (or other text) longer than Excel's limit",
    ),
    # calamine copies the string into every cell naming it: 67 MB.
    "one long shared string in many cells": (
        lambda: workbook(
            repeat(b'<row><c t="s"><v>0</v></c></row>', 2_100),
            [b"<si><t>" + b"K" * 32_000 + b"</t></si>"],
        ),
        413,
        "the first sheet's cells hold more than 64 MB of text",
    ),
    # calamine would hold a grid of 3.1 million cells.
    "a sheet spanning past its limit": (
        lambda: workbook([a_cooperative(), b'<row r="100001"><c r="AE100001"><v>1</v></c></row>']),
        413,
        "spans 100,001 rows by 31 columns",
    ),
    # calamine would reserve room for them, 96 GB, and abort the process.
    "shared strings declaring four billion": (
        lambda: workbook(
            [a_cooperative()],
            [],
            strings_start=f'<sst xmlns="{MAIN}" uniqueCount="4000000000">'.encode(),
        ),
        413,
        "declares 4,000,000,000 strings",
    ),
    # calamine holds each number format at several times its size.
    "styles of many megabytes": (
        lambda: workbook(
            [a_cooperative()],
            styles=f'<styleSheet xmlns="{MAIN}"><numFmts>'.encode()
            + b"".join(b'<numFmt numFmtId="%d" formatCode="0.0"/>' % n for n in range(230_000))
            + b"</numFmts></styleSheet>",
        ),
        413,
        "the workbook's list of sheets and styles unpack to 9.5 MB; real ones take far less",
    ),
    # calamine would read it as an OpenDocument spreadsheet, none of it checked.
    "an OpenDocument spreadsheet named .xlsx": (
        lambda: opendocument(b"KDMP Gunung Sari"),
        422,
        "this is not an Excel .xlsx workbook",
    ),
    # A comment can hold anything, and a parser holds all of it at once.
    "an XML comment": (
        lambda: workbook([b"<!-- a comment -->", a_cooperative()]),
        422,
        "holds XML that spreadsheet programs do not write",
    ),
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_workbook_bomb_is_refused_before_it_is_read(client, bomb):
    build, status, message = BOMBS[bomb]
    body = assert_problem(upload(client, build(), name="koperasi.xlsx"), status)
    assert message in body["detail"], body["detail"]
    assert registry(client) == []


def test_a_workbook_just_within_the_limits_is_read(client):
    content = workbook(
        [
            a_cooperative(b"KDMP " + b"K" * 195),
            b'<row r="100000"><c r="AD100000"><v>1</v></c></row>',
        ],
        [b"<si><t>" + b"K" * 32_000 + b"</t></si>"],
    )
    response = upload(client, content, name="koperasi.xlsx")
    assert response.status_code == 422, response.text  # its last row is no cooperative...
    assert {tuple(e["loc"][2:]) for e in response.json()["errors"]} == {
        (100_000, "name"),
        (100_000, "village_code"),
    }  # ... but the workbook was read
