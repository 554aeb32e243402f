"""Reading an uploaded workbook: the cells as the imports expect them, numbered as the sheet
shows them, and the limits that keep a small file from costing a lot of memory."""

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from openpyxl import Workbook

from app.core.spreadsheets import (
    MAX_COLUMNS,
    ContentTooLarge,
    ImportFormat,
    cell_text,
    read_sheet,
)
from app.errors import Invalid
from app.services.budget_import import EXPECTED


def workbook(cells: dict[str, Any]) -> bytes:
    book = Workbook()
    for reference, value in cells.items():
        book.active[reference] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(cells: dict[str, Any]):
    return read_sheet(workbook(cells), ImportFormat.xlsx, EXPECTED)


def test_cells_come_as_openpyxl_read_them():
    sheet = read(
        {
            "A1": "whole",
            "B1": "decimal",
            "C1": "date",
            "D1": "datetime",
            "E1": "time",
            "F1": "flag",
            "G1": "error",
            "H1": "text",
            "I1": "empty",
            "J1": "duration",
            "A2": 45_000_000,
            "B2": 1.5,
            "C2": date(2025, 6, 20),
            "D2": datetime(2025, 6, 20, 13, 30),
            "E2": time(13, 30),
            "F2": True,
            "G2": "#N/A",
            "H2": " 007 ",
            "I2": "",
            "J2": timedelta(hours=30),
        }
    )
    (number, cells), *others = sheet.rows
    assert number == 2 and others == []
    assert cells[:10] == [
        45_000_000,
        1.5,
        datetime(2025, 6, 20),
        datetime(2025, 6, 20, 13, 30),
        time(13, 30),
        True,
        "#N/A",
        " 007 ",
        None,
        timedelta(hours=30),
    ]
    assert type(cells[0]) is int
    assert [cell_text(cell) for cell in cells[:3]] == ["45000000", "1.5", "2025-06-20T00:00:00"]


def test_rows_and_columns_are_numbered_as_the_sheet_shows_them():
    # The table starts in column C, has blank rows, and its last row holds only an error.
    sheet = read({"C1": "Kode", "D1": "Nama", "C2": "1", "D4": "dua", "E6": "#REF!"})
    assert sheet.header == [None, None, "Kode", "Nama", None]
    assert sheet.rows == [
        (2, [None, None, "1", None, None]),
        (4, [None, None, None, "dua", None]),
        (6, [None, None, None, None, "#REF!"]),
    ]


def test_the_header_must_be_in_row_1():
    with pytest.raises(Invalid) as raised:
        read({"A3": "Kode", "A4": "1"})
    assert raised.value.errors[0]["loc"] == ["file", "row", 1]


def test_only_the_first_columns_are_read():
    sheet = read({"A1": "Kode", "CV2": "last", "CW2": "past the limit"})
    assert len(sheet.header) <= MAX_COLUMNS
    assert sheet.rows[0][1][MAX_COLUMNS - 1 :] == ["last"]


def test_a_sheet_reaching_far_out_is_refused_before_it_is_read():
    # Read as it is, this would be a grid of 17 billion cells.
    with pytest.raises(ContentTooLarge) as raised:
        read({"A1": "Kode", "A2": "1", "XFD1048576": "x"})
    assert "1,048,576 rows by 16,384 columns" in str(raised.value)
    # A stray cell not that far out is read, and left out past the first columns.
    sheet = read({"A1": "Kode", "A2": "1", "XFD20": "x"})
    assert [number for number, _ in sheet.rows] == [2]
